//! `evalkit ablate` end to end against the mock server on the ChartQA fixture (8
//! questions): a base (direct), a listed variant (cot) and a grid of self-consistency
//! with 1, 2 and 4 samples. Variants share the request cache, so the samples a smaller N
//! already drew are not sent again: direct 8 + cot 8 + sc1 8 + sc2 8 new + sc4 16 new = 48
//! requests. Scores by hand (relaxed accuracy; gold 45 x3, 12%, Yes, Japan, 0, 17.5):
//! - direct: the replies keep their "Answer: " prefix, which the official rule does not
//!   strip: 0/8;
//! - cot and sc1 (no sampling / seed 0: the first alternatives): 45 x3, 12%, No, Japan, 1,
//!   17.5 -> 6/8 = 75.0;
//! - sc2 (seeds 0, 1): Sales 1|0 is a tie and the earliest (1) wins; increasing No|Yes
//!   tie -> No: 6/8 = 75.0;
//! - sc4 (seeds 0..3): Sales 1,0,0,0 -> 0; increasing No,Yes,Yes,Yes -> Yes: 8/8 = 100.
//!   Paired against the base: +12.5 points on 8 items.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn variants_share_the_cache_and_the_report_compares_them() {
    let server = MockServer::start(rules(
        &[
            ("tallest bar", "Answer: 45"),
            ("percentage", "Answer: 12%"),
            (
                "increasing",
                "Answer: No|||Answer: Yes|||Answer: Yes|||Answer: Yes",
            ),
            ("lowest value", "Answer: Japan"),
            (
                "Sales in 2019",
                "Answer: 1|||Answer: 0|||Answer: 0|||Answer: 0",
            ),
            ("difference", "Answer: 17.5"),
        ],
        "?",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let file = tmp.path().join("sampling.toml");
    std::fs::write(
        &file,
        format!(
            "model = \"{}\"\nsuite = \"chartqa\"\ndata = \"{}\"\n\n[[variant]]\nname = \"cot\"\nstrategy = \"cot\"\n\n[grid]\nstrategy = [\"self-consistency:1\", \"self-consistency:2\", \"self-consistency:4\"]\n",
            card.display(),
            fixture("chartqa/json/test").display()
        ),
    )
    .unwrap();
    let out = evalkit_async(
        tmp.path(),
        &["ablate", file.to_str().unwrap(), "--json"],
        &[],
    )
    .await;
    ok(&out);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let scores: Vec<(String, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        scores,
        [
            ("base".to_string(), 0.0),
            ("cot".to_string(), 75.0),
            ("self-consistency:1".to_string(), 75.0),
            ("self-consistency:2".to_string(), 75.0),
            ("self-consistency:4".to_string(), 100.0),
        ]
    );
    assert_eq!(server.stats().requests, 48);
    let sc4 = &rows[4];
    assert_eq!(sc4["cost"]["total"]["calls_per_item"], 4.0);
    assert_eq!(sc4["vs_base"]["paired"], 8);
    assert_eq!(sc4["vs_base"]["difference"], 100.0);
    let dir = tmp.path().join("runs/chartqa/ablate-sampling");
    for f in ["ablation.md", "ablation.json", "ablation.html"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(dir.join("ablation.html")).unwrap();
    assert!(html.contains("calls per item") && html.contains("<svg"));
    // Re-running the ablation sends nothing.
    ok(&evalkit_async(
        tmp.path(),
        &["ablate", file.to_str().unwrap(), "--json"],
        &[],
    )
    .await);
    assert_eq!(server.stats().requests, 48);
}
