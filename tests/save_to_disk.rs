//! End to end: every suite whose Hugging Face parquet layout evalkit reads (ChartQA in both
//! layouts, MMStar, AI2D, MathVista, MMMU) also runs from the same data saved with `datasets`'
//! `save_to_disk`: Arrow IPC stream files (`data-0000N-of-00002.arrow`, several record batches
//! each) with `state.json` and `dataset_info.json`, as a `Dataset` directory (schema metadata
//! kept) and as a `DatasetDict` with one split (ClassLabel names only in `dataset_info.json`).
//! The fixtures are written here from the parquet fixtures with arrow-ipc; every form must give
//! the same items, requests and scores as the parquet.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::Schema;
use common::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// The parquet fixture's batches and its `huggingface` features (if any).
fn read_parquet(file: &Path) -> (Vec<RecordBatch>, Option<serde_json::Value>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
        .unwrap()
        .with_batch_size(1024);
    let features = builder
        .schema()
        .metadata()
        .get("huggingface")
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| v.pointer("/info/features").cloned());
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (batches, features)
}

/// Writes one `Dataset` directory: the rows split over two Arrow stream files, two rows per
/// record batch; `keep_metadata` keeps the schema's `huggingface` metadata.
fn write_dataset(dir: &Path, parquet: &Path, keep_metadata: bool, split: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let (batches, features) = read_parquet(parquet);
    let schema: Arc<Schema> = if keep_metadata {
        batches[0].schema()
    } else {
        Arc::new(Schema::new(batches[0].schema().fields().clone()))
    };
    // Two rows per record batch.
    let mut pieces = Vec::new();
    for batch in &batches {
        let batch = batch.clone().with_schema(schema.clone()).unwrap();
        let mut at = 0;
        while at < batch.num_rows() {
            let len = 2.min(batch.num_rows() - at);
            pieces.push(batch.slice(at, len));
            at += len;
        }
    }
    let half = pieces.len().div_ceil(2);
    let names = ["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"];
    for (name, part) in names.iter().zip([&pieces[..half], &pieces[half..]]) {
        let file = std::fs::File::create(dir.join(name)).unwrap();
        let mut writer = StreamWriter::try_new(file, &schema).unwrap();
        for piece in part {
            writer.write(piece).unwrap();
        }
        writer.finish().unwrap();
    }
    let state = serde_json::json!({
        "_data_files": names.iter().map(|n| serde_json::json!({"filename": n})).collect::<Vec<_>>(),
        "_fingerprint": "0123456789abcdef",
        "_format_columns": null,
        "_format_kwargs": {},
        "_format_type": null,
        "_output_all_columns": false,
        "_split": split,
    });
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    let info = serde_json::json!({ "features": features.unwrap_or(serde_json::json!({})) });
    std::fs::write(dir.join("dataset_info.json"), info.to_string()).unwrap();
}

/// A `DatasetDict` with one split.
fn write_dict(dir: &Path, parquet: &Path, split: &str) {
    write_dataset(&dir.join(split), parquet, false, split);
    let dict = serde_json::json!({ "splits": [split] });
    std::fs::write(dir.join("dataset_dict.json"), dict.to_string()).unwrap();
}

/// The save_to_disk forms of a parquet fixture (a file, or MMMU's folder of subjects).
fn forms(parquet: &Path, root: &Path, split: &str) -> Vec<(&'static str, PathBuf)> {
    let dataset = root.join("dataset");
    let dict = root.join("dict");
    if parquet.is_file() {
        write_dataset(&dataset, parquet, true, split);
        write_dict(&dict, parquet, split);
    } else {
        // MMMU: one folder per subject, each a Dataset or a DatasetDict.
        for subject in std::fs::read_dir(parquet).unwrap().flatten() {
            let file = std::fs::read_dir(subject.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "parquet"))
                .unwrap();
            write_dataset(&dataset.join(subject.file_name()), &file, true, split);
            write_dict(&dict.join(subject.file_name()), &file, split);
        }
    }
    vec![("dataset", dataset), ("dataset-dict", dict)]
}

/// id -> (request hash, metrics, extracted) of a run.
fn outcomes(dir: &Path) -> BTreeMap<String, (String, String, String)> {
    predictions(dir)
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["request_hash"].to_string(),
                    r["metrics"].to_string(),
                    r["extracted"].to_string(),
                ),
            )
        })
        .collect()
}

async fn run(tmp: &Path, card: &Path, suite: &str, data: &Path, out: &str) -> PathBuf {
    let output = evalkit_async(
        tmp,
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            suite,
            "--data",
            data.to_str().unwrap(),
            "--out",
            out,
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&output);
    run_dir(&tmp.join(out))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_parquet_suite_runs_the_same_from_save_to_disk() {
    let server = MockServer::start(MockConfig::default()).await.unwrap();
    let cases = [
        (
            "chartqa",
            "chartqa/parquet/m4/test-00000-of-00001.parquet",
            "test",
        ),
        ("chartqa", "chartqa/parquet/lmms/test.parquet", "test"),
        ("mmstar", "mmstar/parquet/val-00000-of-00001.parquet", "val"),
        ("ai2d", "ai2d/parquet/test.parquet", "test"),
        (
            "mathvista",
            "mathvista/parquet/testmini-00000-of-00001.parquet",
            "testmini",
        ),
        ("mmmu", "mmmu/parquet", "validation"),
    ];
    for (k, (suite, parquet, split)) in cases.iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        let card = model_card(tmp.path(), "mock", &server.base_url(), "");
        let parquet = fixture(parquet);
        let reference = outcomes(&run(tmp.path(), &card, suite, &parquet, "runs-parquet").await);
        assert!(!reference.is_empty(), "{suite}");
        for (form, dir) in forms(&parquet, &tmp.path().join("saved"), split) {
            let got = outcomes(&run(tmp.path(), &card, suite, &dir, &format!("runs-{form}")).await);
            assert_eq!(
                got, reference,
                "case {k}: {suite} from a {form} differs from parquet"
            );
        }
    }
}

#[test]
fn a_dataset_dict_with_several_splits_names_them_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dict = tmp.path().join("mmstar");
    let parquet = fixture("mmstar/parquet/val-00000-of-00001.parquet");
    write_dataset(&dict.join("val"), &parquet, true, "val");
    write_dataset(&dict.join("test"), &parquet, true, "test");
    std::fs::write(
        dict.join("dataset_dict.json"),
        r#"{"splits": ["val", "test"]}"#,
    )
    .unwrap();
    let card = model_card(tmp.path(), "mock", "http://127.0.0.1:9", "");
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmstar",
            "--data",
            dict.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("dataset_dict.json"), "{err}");
    assert!(err.contains("[val, test]"), "{err}");
    assert!(err.contains("split's folder"), "{err}");

    // A state.json naming a file outside the directory is refused, naming the field.
    let bad = tmp.path().join("bad");
    write_dataset(&bad, &parquet, true, "val");
    std::fs::write(
        bad.join("state.json"),
        r#"{"_data_files": [{"filename": "../elsewhere.arrow"}]}"#,
    )
    .unwrap();
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmstar",
            "--data",
            bad.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("_data_files[0].filename"), "{err}");
}
