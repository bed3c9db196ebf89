//! End to end: `evalkit run --suite reachqa` on the ReachQA fixture (the official `data.json`
//! given as a file and as its directory) against the mock server, without a judge (rule-decided
//! items scored, the rest `unparsed`) and with `--judge` pointing at a second mock server that
//! answers the paper's Correctness prompt; scores are hand-computed below.

mod common;
mod judged;

use std::collections::BTreeMap;

use common::*;
use judged::{reachqa_answers as model_answers, reachqa_verdicts as judge_answers};

// The model's answers, keyed on text unique to each question. `R` = right by the rule
// pre-pass, `U` = left to the judge.
//
//   0 reasoning    gold "TikTok holds 25% ... totaling 19%."  "TikTok has 25%, more than ..."  U -> Yes
//   1 reasoning    gold "156%"            "... The answer is 156%."   R (final answer, equal %)
//   2 recognizing  gold "Violet red"      "violet red"                R (case)
//   3 recognizing  gold "WhatsApp, 60%"   "WhatsApp (about 60%)"      U -> **Correctness:** Yes
//   4 reasoning    gold "2021, 21.25%"    "2022"                      U -> No
//   5 reasoning    gold "45"              "Answer: 45.5"              R (1.1% off, within 5%)
//   6 recognizing  gold "2021"            "2020"                      U (integers must be equal) -> unreadable reply
//   7 recognizing  gold "Electric Scooters, 60%"  "Autonomous Cars"   U -> no (lower case)
// (The table lives in tests/judged/mod.rs, shared with the run-directory tests.)
// The judge's replies, keyed on the prediction as the Correctness prompt quotes it.
// (The table lives in tests/judged/mod.rs, shared with the run-directory tests.)
fn accuracy(s: &serde_json::Value, split: Option<&str>) -> f64 {
    metric(s, split.map(|v| ("split", v)), "accuracy")
}

fn assert_counts(s: &serde_json::Value, rule: u64, judge: u64, unparsed: u64) {
    assert_eq!(s["counts"]["answered"], 8, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0);
    assert_eq!(s["counts"]["invalid"], 0);
    assert_eq!(s["counts"]["unparsed"], unparsed);
    assert_eq!(s["decided_by"]["rule"], rule, "{s:#}");
    assert_eq!(s["decided_by"]["judge"], judge);
    assert_eq!(s["decided_by"]["unparsed"], unparsed);
    assert_eq!(s["scorer"], "reachqa");
    assert_eq!(s["primary_metric"], "accuracy");
    assert_eq!(s["complete"], true);
}

/// Without a judge: items 1, 2, 5 are right by rule, the other five unparsed.
/// overall 3/8 = 37.5; reasoning (0 U, 1 R, 4 U, 5 R) 2/4 = 50; recognizing (2 R, 3, 6, 7 U)
/// 1/4 = 25.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_judge_rules_decide_and_the_rest_is_unparsed() {
    let server = MockServer::start(MockConfig {
        answers: model_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let (s, by_dir) = run_judged("reachqa", &server, None, &fixture("reachqa/official")).await;
    assert_counts(&s, 3, 0, 5);
    assert!(s["judge"].is_null(), "{}", s["judge"]);
    assert_eq!(accuracy(&s, None), 37.5);
    assert_eq!(accuracy(&s, Some("reasoning")), 50.0);
    assert_eq!(accuracy(&s, Some("recognizing")), 25.0);
    let want: BTreeMap<String, (f64, String)> = [
        (0, 0.0, "unparsed"),
        (1, 1.0, "rule"),
        (2, 1.0, "rule"),
        (3, 0.0, "unparsed"),
        (4, 0.0, "unparsed"),
        (5, 1.0, "rule"),
        (6, 0.0, "unparsed"),
        (7, 0.0, "unparsed"),
    ]
    .into_iter()
    .map(|(id, acc, how)| (id.to_string(), (acc, how.to_string())))
    .collect();
    assert_eq!(by_dir, want);
    // The model was asked the paper's way.
    let body = server.stats().last_body().cloned().unwrap();
    let parts = body["messages"][0]["content"].as_array().unwrap();
    assert!(
        parts[0]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg;base64,")
    );
    assert!(
        parts[1]["text"]
            .as_str()
            .unwrap()
            .ends_with("? Let's think step by step.")
    );
    // data.json named directly is the same run.
    let (f, by_file) = run_judged(
        "reachqa",
        &server,
        None,
        &fixture("reachqa/official/data.json"),
    )
    .await;
    assert_eq!(by_file, by_dir);
    assert_eq!(accuracy(&f, None), 37.5);
}

/// With the judge: the five unresolved items go to the judge; it says Yes to 0 and 3, No to
/// 4 and 7, and its reply about 6 is unreadable (6 stays unparsed).
/// overall (3 + 2)/8 = 62.5; reasoning (0 J, 1 R, 5 R right; 4 J wrong) 3/4 = 75;
/// recognizing (2 R, 3 J right; 6 unparsed, 7 J wrong) 2/4 = 50.
#[tokio::test(flavor = "multi_thread")]
async fn with_a_judge_the_correctness_prompt_decides_the_rest() {
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
    let (s, all) = run_judged(
        "reachqa",
        &server,
        Some(&judge),
        &fixture("reachqa/official"),
    )
    .await;
    assert_counts(&s, 3, 4, 1);
    assert_eq!(s["judge"], "judge");
    assert_eq!(accuracy(&s, None), 62.5);
    assert_eq!(accuracy(&s, Some("reasoning")), 75.0);
    assert_eq!(accuracy(&s, Some("recognizing")), 50.0);
    for (id, want) in [
        ("0", (1.0, "judge")),
        ("1", (1.0, "rule")),
        ("3", (1.0, "judge")),
        ("4", (0.0, "judge")),
        ("6", (0.0, "unparsed")),
        ("7", (0.0, "judge")),
    ] {
        let got = &all[id];
        assert_eq!((got.0, got.1.as_str()), want, "{id}");
    }
    let stats = judge.stats();
    assert_eq!(stats.requests, 5, "only unresolved items go to the judge");
    assert!(
        stats.answered.keys().any(|p| p.starts_with(
            "Compare the ground truth with the prediction from AI model and determine if the prediction is correct."
        ) && p.contains(
            "## Question: In which year did Electric Scooters have a higher adoption rate than the average adoption rate of all technologies combined, and by how much did it exceed the average in that year?\n## Ground Truth: 2021, 21.25%\n## Prediction: 2022\n\nNow, let's take a analysis"
        ) && p.ends_with("Correctness: (Yes or No)")),
        "{:#?}",
        stats.answered.keys().collect::<Vec<_>>()
    );
}
