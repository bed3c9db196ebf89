//! End to end: `evalkit run --suite charxiv` on the CharXiv fixture (official release and
//! VLMEvalKit TSVs) against the mock server, without a judge (rule-decided items scored, the
//! rest `unparsed`) and with `--judge` pointing at a second mock server that answers each
//! item's official grading query; the scores are hand-computed below and the same items give
//! the same ids, scores and judge prompts in every format.

mod common;
mod judged;

use common::*;
use judged::{charxiv_answers as model_answers, charxiv_verdicts as judge_answers};

// The model's answers, keyed on text unique to each item's question. `R` = right by the
// rule pre-pass (the marked final answer equals the gold answer), `U` = left to the judge.
//
// descriptive, figure 0 (subplot at row 1 and column 2):
//   0 qid 7  gold "60"                     "The answer is 60."         R
//   1 qid 13 gold "Ft-CNN, iCaRL*, EEIL*"  "ft-cnn, icarl*, eeil*"     R (case)
//   2 qid 11 gold "Yes"                    "Yes, two lines cross."     U -> judge 1
//   3 qid 15 gold "Not Applicable"         "There is no colorbar."     U -> judge 1 (```json)
// descriptive, figure 2 (current plot):
//   0 qid 2  gold "W_H"                    "**W_H**"                   R (markdown)
//   1 qid 8  gold "0.1"                    "0.10 per tick"             U -> judge 1
//   2 qid 18 gold "1 by 1"                 "<CONCLUSION>1 by 1</CONCLUSION>"  R
//   3 qid 16 gold "increases"              "It goes down."             U -> judge 0
// descriptive, figure 5 (the bottom subplot):
//   0 qid 10 gold "3"                      "\boxed{3}"                 R
//   1 qid 19 gold "3"                      "There are three subplots." U -> judge 1 (JSON without commas)
//   2 qid 1  gold "Not Applicable"         "Not Applicable"            R
//   3 qid 12 gold "4"                      "five, I believe"           U -> judge reply unreadable
// reasoning:
//   figure 0 text-in-chart     gold "Joint-CNN"     "Joint-CNN"        R
//   figure 2 text-in-general   gold "right cluster" "The right one."   U -> judge 1 (trailing text)
//   figure 3 number-in-chart   gold "94"            "About 93"         U -> judge 0
//   figure 5 number-in-general gold "9.17"          "9.170"            U -> judge 1 (```json, "1")
// (The table lives in tests/judged/mod.rs, shared with the run-directory tests.)
// The judge's replies, keyed on the response as the official grading query quotes it.
// (The table lives in tests/judged/mod.rs, shared with the run-directory tests.)
fn accuracy(s: &serde_json::Value, column: Option<(&str, &str)>) -> f64 {
    metric(s, column, "accuracy")
}

fn official() -> std::path::PathBuf {
    fixture("charxiv/official")
}

fn tsv(half: &str) -> std::path::PathBuf {
    fixture(&format!("charxiv/tsv/CharXiv_{half}_val.tsv"))
}

fn gold_ids() -> Vec<String> {
    let gold: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("charxiv/gold.json")).unwrap()).unwrap();
    gold["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_counts(s: &serde_json::Value, answered: u64, rule: u64, judge: u64, unparsed: u64) {
    assert_eq!(s["counts"]["answered"], answered, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0);
    assert_eq!(s["counts"]["invalid"], 0);
    assert_eq!(s["counts"]["unparsed"], unparsed);
    assert_eq!(s["decided_by"]["rule"], rule, "{s:#}");
    assert_eq!(s["decided_by"]["judge"], judge);
    assert_eq!(s["decided_by"]["unparsed"], unparsed);
    assert_eq!(s["primary_metric"], "accuracy");
    assert_eq!(s["scorer"], "charxiv");
    assert_eq!(s["complete"], true);
}

/// Without a judge: the 7 rule-decided items are right, the other 9 are unparsed (wrong).
/// overall 7/16 = 43.75; descriptive 6/12 = 50; reasoning 1/4 = 25.
/// question_type: right ones (y_tick_highest, legend_labels, x_axis_label, subplot_layout,
/// line_count, title) 100, the others 0.
/// skill: Information Extraction (qids 7, 2, 1) 3/3 = 100; Enumeration (13 R, 15 U, 8 U),
/// Pattern Recognition (11 U, 18 R, 16 U), Counting (10 R, 19 U, 12 U) 1/3 = 33.3333 each.
/// inst_category: text-in-chart 100, the other three 0.
/// subject (release metadata only): cs (figures 0, 2: 8 descriptive + 2 reasoning, right:
/// d-0-0, d-0-1, d-2-0, d-2-2, r-0) 5/10 = 50; math (r-3) 0; physics (figure 5: 4 + 1, right:
/// d-5-0, d-5-2) 2/5 = 40.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_judge_rules_decide_and_the_rest_is_unparsed() {
    let server = MockServer::start(MockConfig {
        answers: model_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let (s, all) = run_judged("charxiv", &server, None, &official()).await;
    assert_counts(&s, 16, 7, 0, 9);
    assert!(s["judge"].is_null(), "{}", s["judge"]);
    assert_eq!(accuracy(&s, None), 43.75);
    assert_eq!(accuracy(&s, Some(("split", "descriptive"))), 50.0);
    assert_eq!(accuracy(&s, Some(("split", "reasoning"))), 25.0);
    for (qtype, want) in [
        ("y_tick_highest", 100.0),
        ("legend_labels", 100.0),
        ("lines_intersect", 0.0),
        ("colorbar_max", 0.0),
        ("x_axis_label", 100.0),
        ("x_tick_step", 0.0),
        ("subplot_layout", 100.0),
        ("trend", 0.0),
        ("line_count", 100.0),
        ("subplot_count", 0.0),
        ("title", 100.0),
        ("legend_label_count", 0.0),
    ] {
        assert_eq!(
            accuracy(&s, Some(("question_type", qtype))),
            want,
            "{qtype}"
        );
    }
    assert_eq!(
        accuracy(&s, Some(("skill", "Information Extraction"))),
        100.0
    );
    for skill in ["Enumeration", "Pattern Recognition", "Counting"] {
        assert_eq!(accuracy(&s, Some(("skill", skill))), 33.3333, "{skill}");
    }
    assert_eq!(
        accuracy(&s, Some(("inst_category", "text-in-chart"))),
        100.0
    );
    for c in ["text-in-general", "number-in-chart", "number-in-general"] {
        assert_eq!(accuracy(&s, Some(("inst_category", c))), 0.0, "{c}");
    }
    assert_eq!(accuracy(&s, Some(("subject", "cs"))), 50.0);
    assert_eq!(accuracy(&s, Some(("subject", "math"))), 0.0);
    assert_eq!(accuracy(&s, Some(("subject", "physics"))), 40.0);
    let mut ids: Vec<&String> = all.keys().collect();
    ids.sort();
    let mut want = gold_ids();
    want.sort();
    assert_eq!(ids, want.iter().collect::<Vec<_>>());
    let rule_right = [
        "descriptive-0-0",
        "descriptive-0-1",
        "descriptive-2-0",
        "descriptive-2-2",
        "descriptive-5-0",
        "descriptive-5-2",
        "reasoning-0",
    ];
    for (id, (acc, how)) in &all {
        if rule_right.contains(&id.as_str()) {
            assert_eq!((*acc, how.as_str()), (1.0, "rule"), "{id}");
        } else {
            assert_eq!((*acc, how.as_str()), (0.0, "unparsed"), "{id}");
        }
    }

    // The TSVs hold the same items: same ids and scores, each half on its own.
    let (d, desc) = run_judged("charxiv", &server, None, &tsv("descriptive")).await;
    assert_counts(&d, 12, 6, 0, 6);
    assert_eq!(accuracy(&d, None), 50.0);
    let (r, reas) = run_judged("charxiv", &server, None, &tsv("reasoning")).await;
    assert_counts(&r, 4, 1, 0, 3);
    assert_eq!(accuracy(&r, None), 25.0);
    let mut both = desc.clone();
    both.extend(reas);
    assert_eq!(both, all, "TSV runs differ from the release's");
    // The same per-question breakdown from the TSV.
    assert_eq!(accuracy(&d, Some(("skill", "Counting"))), 33.3333);
    assert_eq!(
        accuracy(&r, Some(("inst_category", "text-in-chart"))),
        100.0
    );
}

/// With the judge: the 9 items the rules left go to the judge with their official grading
/// query; it decides 8 (6 right: d-0-2, d-0-3, d-2-1, d-5-1, r-2, r-5; 2 wrong: d-2-3, r-3)
/// and its reply about d-5-3 is unreadable, so that item stays unparsed.
/// overall (7 + 6)/16 = 81.25; descriptive (6 + 4)/12 = 83.3333; reasoning (1 + 2)/4 = 75.
/// skill: Information Extraction 3/3 = 100, Enumeration 3/3 = 100, Pattern Recognition
/// (11 right, 18 right, 16 wrong) 66.6667, Counting (10, 19 right; 12 unparsed) 66.6667.
/// inst_category: text-in-chart 100, text-in-general 100, number-in-chart 0,
/// number-in-general 100.
#[tokio::test(flavor = "multi_thread")]
async fn with_a_judge_the_official_grading_queries_decide_the_rest() {
    let server = MockServer::start(MockConfig {
        answers: model_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let judge = MockServer::start(MockConfig {
        answers: judge_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let (s, all) = run_judged("charxiv", &server, Some(&judge), &official()).await;
    assert_counts(&s, 16, 7, 8, 1);
    assert_eq!(s["judge"], "judge");
    assert_eq!(accuracy(&s, None), 81.25);
    assert_eq!(accuracy(&s, Some(("split", "descriptive"))), 83.3333);
    assert_eq!(accuracy(&s, Some(("split", "reasoning"))), 75.0);
    for (skill, want) in [
        ("Information Extraction", 100.0),
        ("Enumeration", 100.0),
        ("Pattern Recognition", 66.6667),
        ("Counting", 66.6667),
    ] {
        assert_eq!(accuracy(&s, Some(("skill", skill))), want, "{skill}");
    }
    for (c, want) in [
        ("text-in-chart", 100.0),
        ("text-in-general", 100.0),
        ("number-in-chart", 0.0),
        ("number-in-general", 100.0),
    ] {
        assert_eq!(accuracy(&s, Some(("inst_category", c))), want, "{c}");
    }
    assert_eq!(accuracy(&s, Some(("question_type", "trend"))), 0.0);
    assert_eq!(
        accuracy(&s, Some(("question_type", "lines_intersect"))),
        100.0
    );
    assert_eq!(
        accuracy(&s, Some(("question_type", "legend_label_count"))),
        0.0
    );
    for (id, want) in [
        ("descriptive-0-2", (1.0, "judge")),
        ("descriptive-0-3", (1.0, "judge")),
        ("descriptive-2-1", (1.0, "judge")),
        ("descriptive-2-3", (0.0, "judge")),
        ("descriptive-5-1", (1.0, "judge")),
        ("descriptive-5-3", (0.0, "unparsed")),
        ("reasoning-2", (1.0, "judge")),
        ("reasoning-3", (0.0, "judge")),
        ("reasoning-5", (1.0, "judge")),
        ("descriptive-0-0", (1.0, "rule")),
    ] {
        let got = &all[id];
        assert_eq!((got.0, got.1.as_str()), want, "{id}");
    }
    // Only the 9 unresolved items were sent to the judge, each with its grading query.
    let stats = judge.stats();
    assert_eq!(stats.requests, 9);
    let prompts: Vec<String> = stats.answered.keys().cloned().collect();
    assert_eq!(prompts.len(), 9);
    let descriptive: Vec<&String> = prompts
        .iter()
        .filter(|p| p.contains("Overarching Question:"))
        .collect();
    assert_eq!(descriptive.len(), 6);
    assert!(
        descriptive.iter().any(
            |p| p.contains("Overarching Question: Do any lines intersect?\n")
                && p.ends_with("T1:\nResponse 1: Yes, two lines cross.\nGround Truth 1: Yes\n\n")
        ),
        "{descriptive:#?}"
    );
    assert!(
        prompts.iter().any(|p| p.contains(
            "* Question: Provide the accuracy (%) of the model with the second highest time.\n    * Ground Truth: 94\n    * Response: About 93\n"
        )),
        "{prompts:#?}"
    );

    // The TSVs' grading queries give the same judge prompts, ids and scores.
    judge.reset_stats();
    let (d, desc) = run_judged("charxiv", &server, Some(&judge), &tsv("descriptive")).await;
    assert_counts(&d, 12, 6, 5, 1);
    assert_eq!(accuracy(&d, None), 83.3333);
    let (r, reas) = run_judged("charxiv", &server, Some(&judge), &tsv("reasoning")).await;
    assert_counts(&r, 4, 1, 3, 0);
    assert_eq!(accuracy(&r, None), 75.0);
    let mut both = desc.clone();
    both.extend(reas);
    assert_eq!(both, all, "TSV runs differ from the release's");
    let tsv_prompts: Vec<String> = judge.stats().answered.keys().cloned().collect();
    assert_eq!(
        tsv_prompts, prompts,
        "TSV grading queries differ from the release's"
    );
}

/// Re-running a finished judged run sends no request of any kind (answers and judge
/// verdicts come from the journal) and writes no journal line; the summary is unchanged.
/// (Before the call context preloaded every role, the judge was asked again each time.)
#[tokio::test(flavor = "multi_thread")]
async fn rerunning_a_finished_judged_run_sends_nothing() {
    let server = MockServer::start(MockConfig {
        answers: model_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let judge = MockServer::start(MockConfig {
        answers: judge_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let judge_card = model_card(tmp.path(), "judge", &judge.base_url(), "");
    let data = official();
    let args = [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "charxiv",
        "--data",
        data.to_str().unwrap(),
        "--judge",
        judge_card.to_str().unwrap(),
        "--quiet",
    ];
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let first = summary(&dir);
    assert_eq!(first["decided_by"]["judge"], 8);
    // The session's requests count the judge's too, by model and role.
    let by_model = &first["requests"]["by_model"];
    let judge_sent = by_model["judge judge"]["sent"].as_u64().unwrap();
    let model_sent = by_model["answer mock"]["sent"].as_u64().unwrap();
    assert_eq!(judge_sent, judge.stats().requests);
    assert_eq!(model_sent, server.stats().requests);
    assert_eq!(
        first["requests"]["sent"].as_u64().unwrap(),
        judge_sent + model_sent
    );
    let lines = predictions(&dir).len();
    let (model_requests, judge_requests) = (server.stats().requests, judge.stats().requests);
    assert!(judge_requests >= 9, "the judge was asked: {judge_requests}");

    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    assert_eq!(
        server.stats().requests,
        model_requests,
        "model requests re-sent"
    );
    assert_eq!(
        judge.stats().requests,
        judge_requests,
        "judge requests re-sent"
    );
    assert_eq!(predictions(&dir).len(), lines, "journal lines appended");
    let again = summary(&dir);
    assert_eq!(again["scores"], first["scores"]);
    assert_eq!(again["decided_by"], first["decided_by"]);
    assert_eq!(again["requests"]["sent"], 0);
}
