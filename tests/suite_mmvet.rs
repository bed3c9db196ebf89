//! End to end: `evalkit run --suite mmvet` on the MM-Vet fixture (the official `mm-vet.json`
//! with `images/`, and VLMEvalKit's `MMVet.tsv`) against the mock server, graded by a mock
//! judge that replies with a score per band, with hand-computed figures.
//!
//!   id    capabilities    answer                   judge reply               score
//!   v1_0  rec             "a cat"                  "1.0"                     1.0
//!   v1_1  ocr, math       "15"                     "0.0"                     0.0
//!   v1_2  ocr, math       "x = -1"                 "0.5"                     0.5
//!   v1_3  rec, know, gen  "It is about countries." "0.4"                     0.4
//!   v1_4  rec, spat       "a stool"                "0.9\n"                   0.9
//!   v1_5  ocr             "STOP sign"              "I think it is correct"   unparsed, 0
//!
//! Overall 2.8/6 = 46.6667. Per capability: rec (1.0, 0.4, 0.9) 76.6667, ocr (0, 0.5, 0)
//! 16.6667, math 25, know 40, gen 40, spat 90. Per combination: ocr_math 25, rec 100,
//! rec_know_gen 40, rec_spat 90, ocr 0.

mod common;

use common::*;

fn answers() -> AnswerMode {
    let rules = [
        ("What animal", "a cat"),
        ("total of the two prices", "15"),
        ("What is x", "x = -1"),
        ("explain this meme", "It is about countries."),
        ("left of the lamp", "a stool"),
        ("written on the sign", "STOP sign"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "?".into(),
    }
}

fn verdicts() -> AnswerMode {
    let rules = [
        ("| cat | a cat | ", "1.0"),
        ("| 14 | 15 | ", "0.0"),
        ("| It is about countries. | ", "0.4"),
        ("| chair <OR> stool | a stool | ", "0.9\n"),
        ("| STOP sign | ", "I think it is correct"),
        // Last: the few-shot examples of every prompt hold this row too (ending "| 0.5").
        ("| -1 <AND> -5 | x = -1 | ", "0.5"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "unexpected".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mmvet_is_graded_by_the_judge_per_capability() {
    for data in ["mmvet/official", "mmvet/tsv/MMVet.tsv"] {
        let server = MockServer::start(MockConfig {
            answers: answers(),
            ..MockConfig::default()
        })
        .await
        .unwrap();
        let judge = MockServer::start(MockConfig {
            answers: verdicts(),
            ..MockConfig::default()
        })
        .await
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let card = model_card(tmp.path(), "mock", &server.base_url(), "");
        let judge_card = model_card(tmp.path(), "judge", &judge.base_url(), "");
        let path = fixture(data);
        let args = [
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmvet",
            "--data",
            path.to_str().unwrap(),
            "--quiet",
        ];
        // Without a judge the run stops before any request and says why.
        let refused = evalkit_async(tmp.path(), &args, &[]).await;
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains("--judge"), "{}", stderr(&refused));
        assert_eq!(server.stats().requests, 0);

        let mut judged = args.to_vec();
        judged.extend(["--judge", judge_card.to_str().unwrap()]);
        ok(&evalkit_async(tmp.path(), &judged, &[]).await);
        let s = summary(&run_dir(&tmp.path().join("runs")));
        assert_eq!(s["primary_metric"], "score");
        assert_eq!(s["decided_by"]["judge"], 5, "{data}: {s:#}");
        assert_eq!(s["decided_by"]["unparsed"], 1);
        assert_eq!(metric(&s, None, "score"), 46.6667, "{data}");
        let cap = |c: &str| metric(&s, Some(("capability", c)), "score");
        assert_eq!(
            [
                cap("rec"),
                cap("ocr"),
                cap("math"),
                cap("know"),
                cap("gen"),
                cap("spat")
            ],
            [76.6667, 16.6667, 25.0, 40.0, 40.0, 90.0]
        );
        let set = |c: &str| metric(&s, Some(("capability_set", c)), "score");
        assert_eq!(
            [
                set("ocr_math"),
                set("rec"),
                set("rec_know_gen"),
                set("rec_spat"),
                set("ocr")
            ],
            [25.0, 100.0, 40.0, 90.0, 0.0]
        );
    }
}
