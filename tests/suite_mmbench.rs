//! End to end: `evalkit run --suite mmbench` and `--suite mmbench_circular` on the MMBench
//! fixture (VLMEvalKit's `MMBench_DEV_EN.tsv` with the circular copies of question 0) against
//! the mock server, with hand-computed scores.
//!
//! Questions: 0 "Which animal" (cow, horse, sheep, pig; gold cow), 1 "weather" (sunny, rainy,
//! snowy; gold snowy), 2 "light on" (yes, no; gold no). The model answers "cow", "snowy", and
//! "I am not sure" (unparsed), except on the rotation of question 0 whose options start with
//! sheep (sheep, pig, cow, horse), where it answers "D" (horse): one rotation wrong.
//!
//! Vanilla (3 items): 0 right, 1 right, 2 unparsed: 66.6667.
//! Circular (4 + 3 + 2 = 9 rotations): right 3 + 3 + 0 = 6/9 = 66.6667 per rotation
//! (`accuracy`); questions right in every rotation: only 1, so `circular_accuracy` = 1/3 =
//! 33.3333, the headline; image_scene (1, 2) 50, object_localization (0) 0.

mod common;

use common::*;

fn answers() -> AnswerMode {
    let rules = [
        ("A. sheep", "D"),
        ("Which animal", "cow"),
        ("weather", "snowy"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "I am not sure".into(),
    }
}

async fn run(suite: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let server = MockServer::start(MockConfig {
        answers: answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("mmbench/tsv/MMBench_DEV_EN.tsv");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            suite,
            "--data",
            data.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&out);
    let dir = run_dir(&tmp.path().join("runs"));
    (summary(&dir), predictions(&dir))
}

#[tokio::test(flavor = "multi_thread")]
async fn vanilla_asks_each_question_once() {
    let (s, records) = run("mmbench").await;
    assert_eq!(records.len(), 3, "the circular copies are skipped");
    assert_eq!(s["primary_metric"], "accuracy");
    assert_eq!(metric(&s, None, "accuracy"), 66.6667);
    assert_eq!(s["counts"]["unparsed"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn circular_needs_every_rotation_right() {
    let (s, records) = run("mmbench_circular").await;
    assert_eq!(records.len(), 9, "{s:#}");
    assert_eq!(s["primary_metric"], "circular_accuracy");
    assert_eq!(metric(&s, None, "accuracy"), 66.6667);
    assert_eq!(metric(&s, None, "circular_accuracy"), 33.3333);
    assert_eq!(
        metric(&s, Some(("category", "image_scene")), "circular_accuracy"),
        50.0
    );
    assert_eq!(
        metric(
            &s,
            Some(("category", "object_localization")),
            "circular_accuracy"
        ),
        0.0
    );
    // The wrong rotation is question 0 shifted by two (index 2000000), gold C (cow).
    let wrong: Vec<&str> = records
        .iter()
        .filter(|r| r["metrics"]["accuracy"] == 0.0 && r["how"] == "rule")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(wrong, vec!["2000000"]);
}
