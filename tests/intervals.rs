//! The intervals a summary reports, by hand, on the ChartQA fixture (official JSON, 8
//! questions on 6 charts) with a mock that always answers "45": right on the three
//! tallest-bar questions (charts 41699051005347, 5090, multi_col_20396), wrong on the rest
//! (8127; OECD_GDP_HUN_000031 twice; two_col_103562 twice). Relaxed accuracy 3/8 = 37.5.
//! - Wilson (z = 1.96): centre (0.375 + 1.96^2/16) / (1 + 1.96^2/8) = 0.41555, half-width
//!   1.96 / 1.4802 * sqrt(0.375 * 0.625 / 8 + 1.96^2 / 256) = 0.27871: [13.6842, 69.4262].
//! - Clustered by chart (6 clusters; residual sums +0.625 x 3, -0.375, -0.75 x 2): CR1
//!   variance 6/5 * 2.4375 / 64 = 0.045703, half-width 1.96 * 0.213783 = 41.9014 points;
//!   the i.i.d. variance of the mean is (3 - 8 * 0.140625) / 7 / 8 = 0.033482, so the design
//!   effect is 1.365.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn wilson_and_cluster_robust_intervals_by_hand() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
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
    let s = summary(&run_dir(&tmp.path().join("runs")));
    let overall = &s["scores"]["overall"];
    assert_eq!(overall["metrics"]["relaxed_accuracy"], 37.5);
    assert_eq!(
        overall["interval95"]["relaxed_accuracy"],
        serde_json::json!([13.6842, 69.4262])
    );
    let cluster = &overall["cluster"];
    assert_eq!(cluster["column"], "chart");
    assert_eq!(cluster["clusters"], 6);
    assert_eq!(cluster["ci95"]["relaxed_accuracy"], 41.9014);
    assert_eq!(cluster["design_effect"]["relaxed_accuracy"], 1.365);
    assert!(
        stdout(&out).contains("clustered by chart (6 clusters): relaxed_accuracy ±41.9"),
        "{}",
        stdout(&out)
    );
    // Every record names its chart.
    for r in predictions(&run_dir(&tmp.path().join("runs"))) {
        assert!(r["fields"]["chart"].is_string(), "{r}");
    }
}
