//! End to end: `evalkit run --suite mmmu` on the MMMU fixture (the `MMMU/MMMU` parquet layout
//! of subject folders, and VLMEvalKit's `MMMU_DEV_VAL.tsv`) against the mock server, with
//! hand-computed scores (rules of `mmmu/utils/eval_utils.py`, MMMU-Benchmark/MMMU `bb0b95a`).
//!
//!   id                       type  gold              answer              decision
//!   validation_Accounting_1  mc    B                 "(B)"               right
//!   validation_Accounting_2  mc    A (3 options, 2 images)  "I cannot tell"  unparsed (expected 1/3)
//!   validation_Chemistry_30  open  ['$MgS$', 'MgS']  "The product is MgS."   "mgs" contains "mgs": right
//!   validation_Math_5        open  1.06              "x = 1.064 m"       1.064 rounds to 1.06: right
//!   validation_Physics_3     mc    D                 "C"                 wrong
//!
//! accuracy 3/5 = 60; accuracy_expected (3 + 1/3)/5 = 66.6667; Business (Accounting) 1/2 = 50,
//! Science (Chemistry, Math, Physics) 2/3 = 66.6667.

mod common;

use common::*;

fn answers() -> AnswerMode {
    let rules = [
        ("unit price", "(B)"),
        ("Which is larger?", "I cannot tell"),
        ("formula of the product", "The product is MgS."),
        ("length of side x", "x = 1.064 m"),
        ("largest?", "C"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "no idea".into(),
    }
}

async fn run(data: &str) -> (serde_json::Value, MockServer) {
    let server = MockServer::start(MockConfig {
        answers: answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture(data);
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmmu",
            "--data",
            data.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&out);
    (summary(&run_dir(&tmp.path().join("runs"))), server)
}

#[tokio::test(flavor = "multi_thread")]
async fn mmmu_scores_as_the_official_parser_without_guessing() {
    for data in ["mmmu/parquet", "mmmu/tsv/MMMU_DEV_VAL.tsv"] {
        let (s, server) = run(data).await;
        assert_eq!(s["counts"]["answered"], 5, "{data}: {s:#}");
        assert_eq!(s["counts"]["unparsed"], 1, "{data}");
        assert_eq!(s["primary_metric"], "accuracy");
        assert_eq!(metric(&s, None, "accuracy"), 60.0, "{data}");
        assert_eq!(metric(&s, None, "accuracy_expected"), 66.6667, "{data}");
        assert_eq!(
            metric(&s, Some(("discipline", "Business")), "accuracy"),
            50.0
        );
        assert_eq!(
            metric(&s, Some(("discipline", "Science")), "accuracy"),
            66.6667
        );
        assert_eq!(metric(&s, Some(("subject", "Math")), "accuracy"), 100.0);
        assert_eq!(
            metric(&s, Some(("question_type", "open")), "accuracy"),
            100.0
        );
        // The multi-image item went with both images, in order, and the official prompt.
        let stats = server.stats();
        let body = stats
            .recent_bodies
            .iter()
            .find(|b| b.to_string().contains("Which is larger?"))
            .expect("the two-image request");
        let parts = body["messages"][0]["content"].as_array().unwrap();
        let images = parts.iter().filter(|p| p["type"] == "image_url").count();
        assert_eq!(images, 2, "{data}");
        let text = parts.iter().find_map(|p| p["text"].as_str()).unwrap();
        assert_eq!(
            text,
            "Compare the balance in <image 1> with the one in <image 2>. Which is larger?\n(A) the \
             first\n(B) the second\n(C) they are equal\n\nAnswer with the option's letter from \
             the given choices directly."
        );
        let open = stats
            .recent_bodies
            .iter()
            .find(|b| b.to_string().contains("length of side x"))
            .unwrap();
        let text = open["messages"][0]["content"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|p| p["text"].as_str())
            .unwrap();
        assert!(
            text.ends_with(
                "(in metres, to two decimals).\nAnswer the question using a single word or phrase."
            ),
            "{text}"
        );
    }
}
