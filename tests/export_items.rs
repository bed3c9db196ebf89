//! `evalkit export` read back with polars: the Parquet file's columns have the documented
//! names and types and hold the runs' values (checked against the runs' own journals),
//! and the CSV and JSON Lines exports hold the same table.

mod board;
mod common;

use std::collections::BTreeMap;

use common::*;
use polars::prelude::*;

fn export(cwd: &std::path::Path, runs: &std::path::Path, format: &str) -> std::path::PathBuf {
    let file = cwd.join(format!("out/items.{format}"));
    let out = evalkit(
        cwd,
        &[
            "export",
            runs.to_str().unwrap(),
            "--format",
            format,
            "--out",
            file.to_str().unwrap(),
        ],
        &[],
    );
    ok(&out);
    assert!(
        stderr(&out).contains("144 rows from 3 runs"),
        "{}",
        stderr(&out)
    );
    file
}

/// (model, item id) -> (extracted, metric) from the journals themselves.
fn journaled(runs: &std::path::Path) -> BTreeMap<(String, String), (Option<String>, f64)> {
    let mut out = BTreeMap::new();
    for model in ["strong", "twin", "weak"] {
        let dir = std::fs::read_dir(runs.join("synthchart").join(model))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let run = evalkit::journal::RunDir::open(&dir).unwrap();
        for r in run.records {
            let metric = r.metrics.as_ref().unwrap()["relaxed_accuracy"];
            out.insert(
                (model.to_string(), r.id.clone()),
                (r.extracted.clone(), metric),
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_parquet_export_reads_back_with_the_runs_values() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let b = board::make(cwd).await;

    let parquet = export(cwd, &b.runs, "parquet");
    assert!(
        !cwd.join("out/items.parquet.partial").exists(),
        "the temporary file is renamed into place"
    );
    let df = ParquetReader::new(std::fs::File::open(&parquet).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 144);
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "run",
            "run_dir",
            "model",
            "suite",
            "protocol",
            "strategy",
            "item_id",
            "order",
            "split",
            "field_chart_type",
            "field_kind",
            "gold",
            "response",
            "extracted",
            "status",
            "decided_by",
            "metric_relaxed_accuracy",
            "metric_relaxed_accuracy_normalized",
            "latency_ms",
            "prompt_tokens_answer",
            "completion_tokens_answer",
            "attempts",
            "error",
        ]
    );
    let dtype = |name: &str| df.column(name).unwrap().dtype().clone();
    assert_eq!(dtype("item_id"), DataType::String);
    assert_eq!(dtype("order"), DataType::UInt64);
    assert_eq!(dtype("latency_ms"), DataType::UInt64);
    assert_eq!(dtype("attempts"), DataType::UInt64);
    assert_eq!(dtype("metric_relaxed_accuracy"), DataType::Float64);

    // Every row against the journals.
    let expected = journaled(&b.runs);
    let model = df.column("model").unwrap().str().unwrap().clone();
    let item = df.column("item_id").unwrap().str().unwrap().clone();
    let extracted = df.column("extracted").unwrap().str().unwrap().clone();
    let metric = df
        .column("metric_relaxed_accuracy")
        .unwrap()
        .f64()
        .unwrap()
        .clone();
    let mut seen = 0;
    for i in 0..df.height() {
        let key = (
            model.get(i).unwrap().to_string(),
            item.get(i).unwrap().to_string(),
        );
        let (want_extracted, want_metric) = &expected[&key];
        assert_eq!(extracted.get(i), want_extracted.as_deref(), "{key:?}");
        assert_eq!(metric.get(i), Some(*want_metric), "{key:?}");
        seen += 1;
    }
    assert_eq!(seen, expected.len());

    // Per model: the mean of the metric is the run's score (47/48 and 23/48), every item
    // answered once, in item order.
    let by_model = df
        .clone()
        .lazy()
        .group_by([col("model")])
        .agg([
            col("metric_relaxed_accuracy").mean().alias("score"),
            col("item_id").n_unique().alias("items"),
            col("attempts").sum().alias("attempts"),
        ])
        .sort(["model"], SortMultipleOptions::default())
        .collect()
        .unwrap();
    let scores: Vec<f64> = by_model
        .column("score")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .map(|v| (v.unwrap() * 48.0).round())
        .collect();
    assert_eq!(scores, [47.0, 47.0, 23.0]);
    let items: Vec<u32> = by_model
        .column("items")
        .unwrap()
        .u32()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert_eq!(items, [48, 48, 48]);
    let strong: Vec<u64> = df
        .clone()
        .lazy()
        .filter(col("model").eq(lit("strong")))
        .select([col("order")])
        .collect()
        .unwrap()
        .column("order")
        .unwrap()
        .u64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert!(strong.windows(2).all(|w| w[0] < w[1]), "{strong:?}");
    let gold = df.column("gold").unwrap().str().unwrap().clone();
    assert!(gold.iter().all(|g| g.is_some_and(|g| !g.is_empty())));
    let status = df.column("status").unwrap().str().unwrap().clone();
    assert!(status.iter().all(|s| s == Some("answered")));
    let error = df.column("error").unwrap();
    assert_eq!(error.null_count(), 144);

    // CSV and JSON Lines: the same rows and values.
    let csv = export(cwd, &b.runs, "csv");
    // Read with the Parquet file's types (ids and answers that look like numbers stay text).
    let schema: SchemaRef = Arc::new(df.schema().as_ref().clone());
    let from_csv = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(schema.clone()))
        .try_into_reader_with_file_path(Some(csv))
        .unwrap()
        .finish()
        .unwrap();
    let jsonl = export(cwd, &b.runs, "jsonl");
    let from_json = JsonReader::new(std::fs::File::open(jsonl).unwrap())
        .with_json_format(JsonFormat::JsonLines)
        .with_schema(schema)
        .finish()
        .unwrap();
    for other in [&from_csv, &from_json] {
        assert_eq!(other.height(), 144);
        let other_names: Vec<&str> = other
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(other_names, names);
        for name in ["item_id", "model", "extracted", "gold"] {
            let values = |f: &DataFrame| -> Vec<Option<String>> {
                let c = f.column(name).unwrap().str().unwrap().clone();
                c.iter().map(|v| v.map(str::to_string)).collect()
            };
            assert_eq!(values(other), values(&df), "{name}");
        }
        let m = other
            .column("metric_relaxed_accuracy")
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap();
        assert!(m.equals_missing(df.column("metric_relaxed_accuracy").unwrap()));
    }
}

#[test]
fn an_export_over_no_readable_run_writes_the_columns_and_no_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let run = cwd.join("runs/s/m/r1");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("manifest.json"), "{").unwrap();
    let file = cwd.join("items.csv");
    let out = evalkit(
        cwd,
        &[
            "export",
            "runs",
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap(),
        ],
        &[],
    );
    ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains("skipped") && err.contains("manifest.json"),
        "{err}"
    );
    assert!(err.contains("0 rows from 0 runs"), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("run,run_dir,model,suite,protocol"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}
