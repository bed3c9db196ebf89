//! `evalkit compare`, `evalkit leaderboard` and `evalkit export` end to end against the
//! mock server, the commands the example CI workflow runs (.github/workflows/
//! leaderboard.yml): run -> leaderboard -> compare --fail-if-drop.

mod board;
mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn run_leaderboard_compare_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let b = board::make(cwd).await;
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();

    // compare: strong (A) vs weak (B): the reasoning half flips to wrong.
    let out = evalkit(
        cwd,
        &["compare", &s(&b.strong), &s(&b.weak), "--format", "json"],
        &[],
    );
    ok(&out);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let pair = &json["suites"][0]["pairs"][0];
    assert_eq!(pair["paired"], 48);
    assert_eq!(
        (pair["a_only"].as_u64(), pair["b_only"].as_u64()),
        (Some(0), Some(0))
    );
    let overall = &pair["rows"][0];
    assert_eq!(overall["column"], "overall");
    // Two charts ask "How many bars are shown?" with different answers: the mock's rules
    // cannot tell them apart, so both models miss one of them.
    assert_eq!(overall["score_a"], 97.9167);
    assert_eq!(overall["score_b"], 47.9167);
    assert_eq!(overall["difference"], -50.0);
    assert_eq!(
        (overall["better"].as_u64(), overall["worse"].as_u64()),
        (Some(0), Some(24))
    );
    assert_eq!(overall["test"], "mcnemar");
    // McNemar exact, b = 24, c = 0: 2 * 0.5^24.
    assert!((overall["p"].as_f64().unwrap() - 2.0 * 0.5f64.powi(24)).abs() < 1e-15);
    assert!(overall["ci95"]["high"].as_f64().unwrap() < 0.0);
    // The synthetic suite's four questions per chart: the clustered interval is given.
    assert_eq!(pair["cluster_field"], "chart");
    assert_eq!(overall["clusters"], 12);
    assert!(overall["p_holm"].as_f64().is_some() && overall["p_bh"].as_f64().is_some());
    let rows: Vec<String> = pair["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r["column"].as_str().unwrap(),
                r["value"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        rows.contains(&"split=reasoning".to_string())
            && rows.contains(&"chart_type=pie".to_string()),
        "{rows:?}"
    );

    // Byte-identical output for the same inputs.
    let again = evalkit(
        cwd,
        &["compare", &s(&b.strong), &s(&b.weak), "--format", "json"],
        &[],
    );
    assert_eq!(out.stdout, again.stdout);

    // The CI gate: a 50-point drop fails; the other way round passes.
    let gate = evalkit(
        cwd,
        &["compare", &s(&b.strong), &s(&b.weak), "--fail-if-drop", "2"],
        &[],
    );
    assert!(!gate.status.success(), "{}", stderr(&gate));
    assert!(
        stderr(&gate).contains("regression: suite synthchart: strong -> weak dropped 50.00 points"),
        "{}",
        stderr(&gate)
    );
    let pass = evalkit(
        cwd,
        &[
            "compare",
            &s(&b.weak),
            &s(&b.strong),
            "--fail-if-drop",
            "2",
            "--format",
            "markdown",
        ],
        &[],
    );
    ok(&pass);
    assert!(
        stdout(&pass).contains("| overall | 48 | 47.92 | 97.92 | +50.00 * |"),
        "{}",
        stdout(&pass)
    );
    // Identical runs: no drop.
    ok(&evalkit(
        cwd,
        &["compare", &s(&b.strong), &s(&b.twin), "--fail-if-drop", "0"],
        &[],
    ));

    // Items: the flipped ones with both responses.
    let items = evalkit(
        cwd,
        &[
            "compare",
            &s(&b.strong),
            &s(&b.weak),
            "--items",
            "flipped",
            "--format",
            "json",
            "--resamples",
            "100",
        ],
        &[],
    );
    ok(&items);
    let json: serde_json::Value = serde_json::from_str(&stdout(&items)).unwrap();
    let listed = json["suites"][0]["pairs"][0]["items"].as_array().unwrap();
    assert_eq!(listed.len(), 24);
    assert_eq!(listed[0]["response_b"], "unknown");

    // Three runs: three pairs, corrections over all of them.
    let three = evalkit(
        cwd,
        &[
            "compare",
            &s(&b.strong),
            &s(&b.twin),
            &s(&b.weak),
            "--format",
            "json",
            "--resamples",
            "200",
        ],
        &[],
    );
    ok(&three);
    let json: serde_json::Value = serde_json::from_str(&stdout(&three)).unwrap();
    assert_eq!(json["suites"][0]["pairs"].as_array().unwrap().len(), 3);

    // One run is not a comparison.
    let one = evalkit(cwd, &["compare", &s(&b.strong)], &[]);
    assert!(!one.status.success());
    assert!(
        stderr(&one).contains("at least two runs of the same suite"),
        "{}",
        stderr(&one)
    );

    // leaderboard: strong and twin tie at rank 1; weak is third.
    let lb = cwd.join("lb");
    let out = evalkit(
        cwd,
        &[
            "leaderboard",
            &s(&b.runs),
            "--out",
            &s(&lb),
            "--resamples",
            "500",
        ],
        &[],
    );
    ok(&out);
    for f in [
        "leaderboard.md",
        "leaderboard.csv",
        "leaderboard.json",
        "leaderboard.html",
    ] {
        assert!(lb.join(f).is_file(), "{f}");
    }
    let board: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lb.join("leaderboard.json")).unwrap()).unwrap();
    let entries = board["suites"][0]["entries"].as_array().unwrap();
    let ranks: Vec<(String, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_string(),
                e["rank"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranks,
        [
            ("strong".to_string(), 1),
            ("twin".to_string(), 1),
            ("weak".to_string(), 3)
        ]
    );
    let md = std::fs::read_to_string(lb.join("leaderboard.md")).unwrap();
    assert!(md.contains("| 1= | strong | 97.92 |"), "{md}");
    assert!(md.contains("| 3 | weak | 47.92 |"), "{md}");
    let csv = std::fs::read_to_string(lb.join("leaderboard.csv")).unwrap();
    assert!(
        csv.lines().any(|l| l
            .starts_with("synthchart,relaxed_accuracy,weak,direct,official,3,2,overall,47.9167,")),
        "{csv}"
    );

    // export: one row per item and run, in every format.
    for format in ["parquet", "csv", "jsonl"] {
        let file = cwd.join(format!("items.{format}"));
        let out = evalkit(
            cwd,
            &[
                "export",
                &s(&b.runs),
                "--format",
                format,
                "--out",
                &s(&file),
            ],
            &[],
        );
        ok(&out);
        assert!(
            stderr(&out).contains("144 rows from 3 runs"),
            "{}",
            stderr(&out)
        );
    }
    let jsonl = std::fs::read_to_string(cwd.join("items.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    for key in [
        "run",
        "model",
        "suite",
        "protocol",
        "strategy",
        "item_id",
        "split",
        "field_kind",
        "field_chart_type",
        "gold",
        "response",
        "extracted",
        "decided_by",
        "metric_relaxed_accuracy",
        "latency_ms",
        "prompt_tokens_answer",
        "completion_tokens_answer",
        "attempts",
        "error",
    ] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    let parquet = std::fs::File::open(cwd.join("items.parquet")).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(parquet).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 144);
}
