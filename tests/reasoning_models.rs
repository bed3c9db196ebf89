//! Reasoning models' replies on the ChartQA fixture (official JSON, 8 questions; gold 45 x3,
//! 12%, Yes, Japan, 0, 17.5). The card allows 8 tokens, which the mock counts as 32
//! characters:
//! - "<think>the bar is 45</think>45" (30 chars, the three tallest-bar questions): the
//!   thinking is kept as the call's reasoning and the answer is "45": right;
//! - "<think>hmm, let me see" (percentage): the thinking never closes: truncated;
//! - a 58-character sentence (increasing) is cut at 32 characters with finish_reason
//!   "length": truncated;
//! - Japan, 0 and 17.5: right.
//!
//! Relaxed accuracy 6/8 = 75.0; 2 truncated, scored wrong and not counted as decided by a
//! rule (6 were).

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn thinking_is_split_off_and_cut_short_answers_are_truncated() {
    let answers = [
        ("tallest bar", "<think>the bar is 45</think>45"),
        ("percentage", "<think>hmm, let me see"),
        (
            "increasing",
            "Yes, the line is increasing steadily over the whole period",
        ),
        ("lowest value", "Japan"),
        ("Sales in 2019", "0"),
        ("difference", "17.5"),
    ];
    let server = MockServer::start(rules(&answers, "?")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "max_tokens = 8\n");
    let data = fixture("chartqa/json/test");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "chartqa",
            "--data",
            data.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    ok(&out);
    assert!(stdout(&out).contains("2 truncated"), "{}", stdout(&out));
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert_eq!(metric(&s, None, "relaxed_accuracy"), 75.0);
    assert_eq!(s["counts"]["answered"], 8);
    assert_eq!(s["counts"]["truncated"], 2);
    assert_eq!(s["decided_by"]["rule"], 6);
    let records = predictions(&dir);
    let thought: Vec<_> = records.iter().filter(|r| r["response"] == "45").collect();
    assert_eq!(thought.len(), 3);
    assert_eq!(thought[0]["calls"][0]["reasoning"], "the bar is 45");
    let mut truncated: Vec<(&str, &str)> = records
        .iter()
        .filter_map(|r| Some((r["truncated"].as_str()?, r["response"].as_str()?)))
        .collect();
    truncated.sort();
    assert_eq!(
        truncated,
        [
            ("length", "Yes, the line is increasing stea"),
            ("reasoning_unclosed", "")
        ]
    );
    // Rescoring keeps them truncated and wrong.
    ok(&evalkit(
        tmp.path(),
        &["report", dir.to_str().unwrap(), "--rescore"],
        &[],
    ));
    let again = summary(&dir);
    assert_eq!(metric(&again, None, "relaxed_accuracy"), 75.0);
    assert_eq!(again["counts"]["truncated"], 2);
}
