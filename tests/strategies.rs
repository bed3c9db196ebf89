//! The inference strategies end to end against the mock server, on the ChartQA fixture in
//! its official JSON form (8 questions; gold answers 45, 45, 12%, Yes, Japan, 0, 17.5, 45),
//! scored by relaxed accuracy. The mock answers by rules keyed on prompt text; answers
//! written `A|||B` are alternatives picked by the request's seed when it samples, and an
//! assistant prefill is continued (see crates/mockserver/src/sampling.rs). Every expected
//! score, call count and token total below is worked out by hand in the test's comment.

mod common;

use std::path::Path;

use common::*;

fn data() -> String {
    fixture("chartqa/json/test").to_string_lossy().into_owned()
}

/// Runs `--strategy spec` on the fixture; returns the run directory.
async fn run(tmp: &Path, server: &MockServer, spec: &str, extra: &[&str]) -> std::path::PathBuf {
    let card = model_card(tmp, "mock", &server.base_url(), "");
    let data = data();
    let mut args = vec![
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        &data,
        "--strategy",
        spec,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    ok(&evalkit_async(tmp, &args, &[]).await);
    run_dir(&tmp.join("runs"))
}

fn accuracy(s: &serde_json::Value) -> f64 {
    metric(s, None, "relaxed_accuracy")
}

/// cot: the answer is the text after the last `Answer:` line. Right: the three "tallest
/// bar" (45), 12%, Japan, 0 and 17 (|17 - 17.5| / 17.5 = 2.9% <= 5%); wrong: "It goes
/// up." has no answer line and is scored whole against "Yes". 7/8 = 87.5; the format was
/// followed by 7 of 8. One call per item: 8 requests.
#[tokio::test(flavor = "multi_thread")]
async fn cot_scores_the_final_answer_line_and_keeps_the_reasoning() {
    let server = MockServer::start(rules(
        &[
            ("tallest bar", "The tallest bar reaches 45.\nAnswer: 45"),
            ("percentage", "About twelve percent.\n**Answer:** 12%"),
            ("increasing", "It goes up."),
            ("lowest value", "Japan is lowest.\nAnswer: Japan"),
            ("Sales in 2019", "Answer: 0"),
            ("difference", "24.5 - 7.5 = 17\nAnswer: 17"),
        ],
        "?",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), &server, "cot", &[]).await;
    let s = summary(&dir);
    assert_eq!(accuracy(&s), 87.5);
    assert_eq!(server.stats().requests, 8);
    assert_eq!(s["cost"]["format_followed"]["followed"], 7);
    assert_eq!(s["cost"]["format_followed"]["of"], 8);
    assert_eq!(s["cost"]["by_role"]["answer"]["calls_per_item"], 1.0);
    // Completion tokens as the mock counts them (characters / 4, at least 1): the three
    // tallest-bar replies 38 chars -> 9 each, 37 -> 9, 11 -> 2, 30 -> 7, 9 -> 2, 26 -> 6.
    assert_eq!(
        s["cost"]["total"]["completion_tokens"],
        27 + 9 + 2 + 7 + 2 + 6
    );
    let body = server.stats().last_body().cloned().unwrap();
    assert!(body.to_string().contains("Think step by step"), "{body}");
    let records = predictions(&dir);
    let tallest = records
        .iter()
        .find(|r| r["response"] == "45")
        .expect("a tallest-bar record");
    assert_eq!(tallest["format_followed"], true);
    assert_eq!(
        tallest["calls"][0]["response"], "The tallest bar reaches 45.\nAnswer: 45",
        "the reasoning is journaled"
    );
    assert_eq!(tallest["calls"][0]["role"], "answer");
    let unfollowed: Vec<_> = records
        .iter()
        .filter(|r| r["format_followed"] == false)
        .collect();
    assert_eq!(unfollowed.len(), 1);
    assert_eq!(unfollowed[0]["response"], "It goes up.");
}

/// self-consistency:3 (temperature 0.7, seeds 0, 1, 2: alternative `seed % n`):
/// tallest bar 45/44/45 -> 45 (x3, right); percentage 10%/12%/12% -> 12% (right);
/// increasing No/Yes/Maybe -> a three-way tie, the earliest (No) wins (wrong); lowest:
/// Japan x3 (right); Sales 1/0/1 -> 1 (wrong: target 0 needs an exact match); difference
/// 17.5/17.5/3 -> 17.5 (right). 6/8 = 75.0; 8 x 3 = 24 requests, each with its own seed.
#[tokio::test(flavor = "multi_thread")]
async fn self_consistency_takes_the_majority_of_three_seeded_samples() {
    let server = MockServer::start(rules(
        &[
            ("tallest bar", "Answer: 45|||Answer: 44|||Answer: 45"),
            ("percentage", "Answer: 10%|||Answer: 12%|||Answer: 12%"),
            ("increasing", "Answer: No|||Answer: Yes|||Answer: Maybe"),
            ("lowest value", "Answer: Japan"),
            ("Sales in 2019", "Answer: 1|||Answer: 0|||Answer: 1"),
            ("difference", "Answer: 17.5|||Answer: 17.5|||Answer: 3"),
        ],
        "?",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), &server, "self-consistency:3", &[]).await;
    let s = summary(&dir);
    eprintln!("DEBUG {:#}", serde_json::Value::Array(predictions(&dir)));
    assert_eq!(accuracy(&s), 75.0);
    assert_eq!(server.stats().requests, 24);
    assert_eq!(s["cost"]["total"]["calls_per_item"], 3.0);
    // Completion tokens (characters / 4): tallest 10, 10, 10 chars -> 2 + 2 + 2, three
    // items: 18; percentage 11 x 3 -> 6; increasing 10, 11, 13 -> 7; lowest 13 x 3 -> 9;
    // Sales 9 x 3 -> 6; difference 12, 12, 9 -> 8. Total 54.
    assert_eq!(s["cost"]["total"]["completion_tokens"], 54);
    for record in predictions(&dir) {
        let calls = record["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 3, "{record}");
        let hashes: std::collections::BTreeSet<_> = calls
            .iter()
            .map(|c| c["request_hash"].to_string())
            .collect();
        assert_eq!(hashes.len(), 3, "three distinct requests: {record}");
    }
    let records = predictions(&dir);
    let percentage = records.iter().find(|r| r["response"] == "12%").unwrap();
    assert_eq!(percentage["trace"]["winner"], 1);
    assert_eq!(percentage["trace"]["votes"], 2);
    // A finished run re-run sends nothing.
    let before = server.stats().requests;
    run(tmp.path(), &server, "self-consistency:3", &[]).await;
    assert_eq!(server.stats().requests, before);
}

/// best-of-n:2: two samples (seeds 0 and 1), then the model itself judges them with
/// LLaVA-CoT's "all" prompt. The judge picks response 2 when it is 45 or 0, else 1.
/// tallest bar 44|45 -> 45 (x3, right); percentage 12%|13% -> 12% (right); increasing
/// No|Yes -> No (wrong); lowest Japan|Japan (right); Sales 5|0 -> 0 (right); difference
/// 17.5 (right). 7/8 = 87.5; 8 x (2 samples + 1 comparison) = 24 requests.
#[tokio::test(flavor = "multi_thread")]
async fn best_of_n_keeps_the_knockout_winner() {
    let server = MockServer::start(rules(
        &[
            (
                "Repsonse 2: 45\n",
                "Since it is right, I choose response 2.",
            ),
            ("Repsonse 2: 0\n", "Since it is right, I choose response 2."),
            (
                "I choose response [1/2]",
                "Since it reads well, I choose response 1.",
            ),
            ("tallest bar", "44|||45"),
            ("percentage", "12%|||13%"),
            ("increasing", "No|||Yes"),
            ("lowest value", "Japan"),
            ("Sales in 2019", "5|||0"),
            ("difference", "17.5"),
        ],
        "?",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), &server, "best-of-n:2", &[]).await;
    let s = summary(&dir);
    assert_eq!(accuracy(&s), 87.5);
    assert_eq!(server.stats().requests, 24);
    // Cost by role: 2 answer samples and 1 judge comparison per item.
    assert_eq!(s["cost"]["by_role"]["answer"]["calls_per_item"], 2.0);
    assert_eq!(s["cost"]["by_role"]["judge"]["calls_per_item"], 1.0);
    for record in predictions(&dir) {
        let roles: Vec<&str> = record["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["answer", "answer", "judge"], "{record}");
        assert_eq!(record["calls"][2]["model"], "mock");
        assert_eq!(record["trace"]["rounds"].as_array().unwrap().len(), 1);
    }
}

/// stages: the conclusion is the answer when all four stages are there, in order.
/// Followed (7): tallest x3 (45), increasing ("No": wrong), lowest, Sales, difference; not
/// followed (1): the percentage reply has only a conclusion and is scored whole ("<...>"
/// vs 12%: wrong). 6/8 = 75.0.
#[tokio::test(flavor = "multi_thread")]
async fn stages_answer_from_the_conclusion_and_count_the_structure() {
    let staged = |answer: &str| {
        format!(
            "<SUMMARY>plan</SUMMARY>\n<CAPTION>a chart</CAPTION>\n<REASONING>read it</REASONING>\n<CONCLUSION>{answer}</CONCLUSION>"
        )
    };
    let (tallest, increasing, lowest, sales, difference) = (
        staged("45"),
        staged("No"),
        staged("Japan"),
        staged("0"),
        staged("17.5"),
    );
    let server = MockServer::start(rules(
        &[
            ("tallest bar", &tallest),
            ("percentage", "<CONCLUSION>12%</CONCLUSION>"),
            ("increasing", &increasing),
            ("lowest value", &lowest),
            ("Sales in 2019", &sales),
            ("difference", &difference),
        ],
        "?",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), &server, "stages", &[]).await;
    let s = summary(&dir);
    assert_eq!(accuracy(&s), 75.0);
    let records = predictions(&dir);
    let followed = records
        .iter()
        .filter(|r| r["format_followed"] == true)
        .count();
    assert_eq!(followed, 7);
    assert!(
        server
            .stats()
            .last_body()
            .unwrap()
            .to_string()
            .contains("<CONCLUSION>")
    );
}

/// The mock's structured answer for stage-level beam search: three alternatives. A and B
/// differ from the summary on; C shares B's summary and differs from the caption on.
const BEAM: &str = "<SUMMARY>plan A</SUMMARY><CAPTION>cap A</CAPTION><REASONING>reason A</REASONING><CONCLUSION>44</CONCLUSION>|||<SUMMARY>plan B</SUMMARY><CAPTION>cap B</CAPTION><REASONING>reason B</REASONING><CONCLUSION>44</CONCLUSION>|||<SUMMARY>plan B</SUMMARY><CAPTION>cap C</CAPTION><REASONING>reason C</REASONING><CONCLUSION>45</CONCLUSION>";

fn beam_server_config() -> MockConfig {
    rules(
        &[
            // Stage judges, by their authors' prompt text.
            (
                "better provides a summary",
                "Since B is general, I choose response 2.",
            ),
            (
                "better summarizes the information in the image",
                "Since C is thorough, I choose response 2.",
            ),
            ("whether the reasoning process", "correct"),
            (
                "I choose response [1/2]",
                "Since it is fine, I choose response 1.",
            ),
        ],
        BEAM,
    )
}

/// stage-beam:2 on the first question (the tallest bar: 45). SUMMARY: seeds 0 and 1 give
/// "plan A" and "plan B"; the summary judge picks response 2 (B). CAPTION: continuing B's
/// summary, the eligible alternatives are B and C, so seeds 0 and 1 give "cap B" and
/// "cap C"; the caption judge picks 2 (C). REASONING: only C continues, both candidates
/// are "reason C"; both pass the correctness check, the comparison picks 1. CONCLUSION:
/// both "45", picks 1. The answer is C's conclusion, 45: 100.0. Calls: 4 stages x 2
/// candidates + 4 comparisons + 2 reasoning checks = 14, of which 13 are requests: the two
/// reasoning checks are the same request (same text, same hint), so the second comes
/// from the cache.
#[tokio::test(flavor = "multi_thread")]
async fn stage_beam_searches_stage_by_stage() {
    let server = MockServer::start(beam_server_config()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(tmp.path(), &server, "stage-beam:2", &["--limit", "1"]).await;
    let s = summary(&dir);
    assert_eq!(accuracy(&s), 100.0);
    assert_eq!(server.stats().requests, 13);
    let records = predictions(&dir);
    let record = &records[0];
    assert_eq!(record["response"], "45");
    assert_eq!(record["format_followed"], true);
    let winners: Vec<i64> = record["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["winner"].as_i64().unwrap())
        .collect();
    assert_eq!(winners, [1, 1, 0, 0]);
    let roles: Vec<&str> = record["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "answer").count(), 8);
    assert_eq!(roles.iter().filter(|r| **r == "judge").count(), 6);
    // The second stage's candidates continued the chosen summary (an assistant prefill).
    assert!(
        record["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["response"] == "<CAPTION>cap C"),
        "{record}"
    );
}

/// A stage-beam run killed half-way through an item resumes without re-sending any call
/// that had landed: each landed call is journaled at once (calls.jsonl), and the resumed
/// run answers it from there. The server is slow (150 ms a call) and the run is killed
/// once 5 of its 13 requests have been answered; the resumed session sends exactly the 13
/// minus those journaled, and the answer is the same as an uninterrupted run's.
#[tokio::test(flavor = "multi_thread")]
async fn a_stage_beam_item_killed_half_way_resumes_without_resending() {
    let server = MockServer::start(MockConfig {
        latency: std::time::Duration::from_millis(150),
        ..beam_server_config()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = data();
    let args = [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        &data,
        "--strategy",
        "stage-beam:2",
        "--limit",
        "1",
        "--quiet",
    ];
    let mut child = spawn_evalkit(tmp.path(), &args, true);
    let started = std::time::Instant::now();
    // Killed once 5 answers left the server and 4 of them are in calls.jsonl (a reply
    // takes a moment from the server's socket to the journal).
    let journal_lines = |runs: &std::path::Path| -> usize {
        std::fs::read_dir(runs)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|suite| {
                std::fs::read_dir(suite.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .flat_map(|model| {
                std::fs::read_dir(model.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .filter_map(|run| std::fs::read_to_string(run.path().join("calls.jsonl")).ok())
            .map(|text| text.lines().count())
            .sum()
    };
    let runs = tmp.path().join("runs");
    while (server.stats().answered_total() < 5 || journal_lines(&runs) < 4)
        && started.elapsed().as_secs() < 20
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    let landed = server.stats().answered_total();
    assert!((5..13).contains(&landed), "killed after {landed} calls");
    let dir = run_dir(&tmp.path().join("runs"));
    let journaled: std::collections::BTreeSet<String> =
        std::fs::read_to_string(dir.join("calls.jsonl"))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|c| c["request_hash"].to_string())
            .collect();
    assert!(journaled.len() >= 4, "{journaled:?}");
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    let s = summary(&dir);
    assert_eq!(
        s["requests"]["sent"].as_u64().unwrap() as usize,
        13 - journaled.len(),
        "the resumed session re-sent a journaled call"
    );
    assert_eq!(predictions(&dir)[0]["response"], "45");
}

/// Strategy specs that do not parse stop the run before any request, with the fix.
#[test]
fn a_bad_strategy_spec_is_refused_with_the_choices() {
    let tmp = tempfile::tempdir().unwrap();
    for (spec, needle) in [
        ("best-of-n", "give the number of samples"),
        ("beam:2", "unknown strategy `beam`"),
        ("chart-to-table", "--suite chartqa_table"),
    ] {
        let out = evalkit(
            tmp.path(),
            &[
                "run",
                "--model",
                "openai",
                "--suite",
                "chartqa",
                "--strategy",
                spec,
            ],
            &[],
        );
        assert!(!out.status.success());
        assert!(stderr(&out).contains(needle), "{spec}: {}", stderr(&out));
    }
}
