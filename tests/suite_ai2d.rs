//! End to end: `evalkit run --suite ai2d` on the AI2D fixture in both forms (lmms-lab/ai2d
//! parquet, VLMEvalKit's AI2D_TEST.tsv) against the mock server, with hand-computed scores; both
//! forms give the same ids, requests and scores, and the TSV's `category` column gives a
//! breakdown the parquet cannot.

mod common;

use std::collections::BTreeMap;

use common::*;

/// Answers keyed on each question, chosen so the scores can be computed by hand:
///
/// | # | category    | gold | answer                          | decided          |
/// |---|-------------|------|---------------------------------|------------------|
/// | 0 | plants      | B    | `B`                             | rule, right      |
/// | 1 | food chains | A    | `The answer is (A).`            | rule, right      |
/// | 2 | life cycles | A    | `C`                             | rule, wrong      |
/// | 3 | life cycles | A    | `C` (same question, other image; id `-2`) | rule, wrong |
/// | 4 | earth       | A    | `Cannot determine the answer` (a refusal) | unparsed, wrong |
/// | 5 | food chains | A    | `grass` (option text)           | rule, right      |
///
/// Overall: 3/6 = 50 (all three figures). By category (TSV only): plants 100, food chains 2/2 = 100,
/// life cycles 0/2 = 0, earth 0. Unparsed: 1.
fn ai2d_answers() -> AnswerMode {
    AnswerMode::Rules {
        rules: vec![
            ("carries water up".into(), "B".into()),
            ("arrow from the sun".into(), "The answer is (A).".into()),
            ("comes after the egg".into(), "C".into()),
            ("outermost".into(), "Cannot determine the answer".into()),
            ("is a producer".into(), "grass".into()),
        ],
        default: "no idea".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_forms_give_the_same_run_with_the_expected_scores() {
    let server = MockServer::start(MockConfig {
        answers: ai2d_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let gold: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("ai2d/gold.json")).unwrap()).unwrap();
    let mut gold_ids: Vec<&str> = gold["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    gold_ids.sort();
    let mut first: Option<BTreeMap<String, (String, String, String)>> = None;
    for (name, data) in [
        ("parquet", fixture("ai2d/parquet/test.parquet")),
        ("tsv", fixture("ai2d/tsv/AI2D_TEST.tsv")),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let card = model_card(tmp.path(), "mock", &server.base_url(), "");
        let out = evalkit_async(
            tmp.path(),
            &[
                "run",
                "--model",
                card.to_str().unwrap(),
                "--suite",
                "ai2d",
                "--data",
                data.to_str().unwrap(),
                "--quiet",
            ],
            &[],
        )
        .await;
        ok(&out);
        let dir = run_dir(&tmp.path().join("runs"));
        let s = summary(&dir);
        assert_eq!(metric(&s, None, "accuracy"), 50.0, "{s:#}");
        assert_eq!(metric(&s, None, "accuracy_normalized"), 50.0);
        // No answer is left to VLMEvalKit a67ace5's verbose-answer regex: the same 3/6.
        assert_eq!(metric(&s, None, "accuracy_verbose_rule"), 50.0);
        assert_eq!(s["counts"]["answered"], 6);
        assert_eq!(s["counts"]["unparsed"], 1);
        assert_eq!(s["decided_by"]["rule"], 5);
        if name == "tsv" {
            for (category, want, n) in [
                ("plants", 100.0, 1),
                ("food chains", 100.0, 2),
                ("life cycles", 0.0, 2),
                ("earth", 0.0, 1),
            ] {
                assert_eq!(metric(&s, Some(("category", category)), "accuracy"), want);
                assert_eq!(s["scores"]["by"]["category"][category]["n"], n);
            }
        } else {
            assert!(
                s["scores"]["by"]["category"].is_null()
                    || s["scores"]["by"]["category"]
                        .as_object()
                        .is_some_and(|o| o.is_empty()),
                "lmms-lab/ai2d has no category: {s:#}"
            );
        }
        let got: BTreeMap<String, (String, String, String)> = predictions(&dir)
            .into_iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    (
                        r["request_hash"].to_string(),
                        r["how"].to_string(),
                        r["metrics"].to_string(),
                    ),
                )
            })
            .collect();
        let ids: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(ids, gold_ids, "format {name}: ids differ from gold.json");
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "format {name} gives a different run"),
        }
    }
}
