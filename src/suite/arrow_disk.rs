//! Hugging Face `datasets` directories written by `save_to_disk`, read wherever evalkit reads
//! Hugging Face parquet ([`super::parquet::ParquetDataset`] opens them): the same columns, the
//! same rows, only stored as Arrow IPC streams.
//!
//! Layouts:
//! - a `Dataset`: `data-00000-of-0000N.arrow` (Arrow IPC *stream* files), `dataset_info.json`
//!   (the features) and `state.json`, whose `_data_files` lists the Arrow files in order;
//! - a `DatasetDict`: `dataset_dict.json` (`{"splits": [...]}`) and one such directory per split.
//!   With one split it is read; with several, the caller is told to point at the split's folder
//!   (evalkit cannot know which split a suite means: MathVista wants `testmini`, ChartQA `test`).
//!
//! ClassLabel columns are named from the `huggingface` schema metadata of the stream, or else
//! from `dataset_info.json`'s `features`, as for parquet. Memory is one record batch as
//! `datasets` wrote it (it writes 100 rows per batch for image datasets, 1,000 otherwise),
//! never the whole file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Component, Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_schema::ArrowError;

/// The `state.json` of a `Dataset` directory.
const STATE: &str = "state.json";
/// The `dataset_dict.json` of a `DatasetDict` directory.
const DATASET_DICT: &str = "dataset_dict.json";
/// The features of a `Dataset` directory.
const DATASET_INFO: &str = "dataset_info.json";

/// Whether `dir` is a `save_to_disk` directory (a `Dataset` or a `DatasetDict`).
pub fn is_save_to_disk(dir: &Path) -> bool {
    dir.join(STATE).is_file() || dir.join(DATASET_DICT).is_file()
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid JSON ({e}); re-save the dataset with `save_to_disk`",
            path.display()
        )
    })
}

/// The `Dataset` directory to read: `dir` itself, or the only split of a `DatasetDict`.
pub fn dataset_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.join(STATE).is_file() {
        return Ok(dir.to_path_buf());
    }
    let path = dir.join(DATASET_DICT);
    let dict = read_json(&path)?;
    let splits: Vec<&str> = dict
        .get("splits")
        .and_then(|s| s.as_array())
        .map(|s| s.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    match splits.as_slice() {
        [one] => {
            let split = dir.join(one);
            if safe_relative(one) && split.join(STATE).is_file() {
                Ok(split)
            } else {
                anyhow::bail!(
                    "{}: split `{one}` has no {STATE} in {}; re-save the dataset with \
                     `save_to_disk`",
                    path.display(),
                    split.display()
                )
            }
        }
        [] => anyhow::bail!(
            "{}: field `splits` lists no split; re-save the dataset with `save_to_disk`",
            path.display()
        ),
        several => anyhow::bail!(
            "{}: a DatasetDict with the splits [{}]; point --data (or the suite card's source \
             path) at the split's folder, e.g. {}",
            path.display(),
            several.join(", "),
            dir.join(several[0]).display()
        ),
    }
}

/// A file name from `state.json` that stays inside the dataset directory.
fn safe_relative(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The Arrow files of a `Dataset` directory, in `state.json`'s order.
pub fn data_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let path = dir.join(STATE);
    let state = read_json(&path)?;
    let listed = state
        .get("_data_files")
        .and_then(|f| f.as_array())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: field `_data_files` is missing or not a list; re-save the dataset with \
                 `save_to_disk`",
                path.display()
            )
        })?;
    let mut files = Vec::new();
    for (i, entry) in listed.iter().enumerate() {
        let name = entry.get("filename").and_then(|f| f.as_str()).unwrap_or("");
        if !safe_relative(name) {
            anyhow::bail!(
                "{}: `_data_files[{i}].filename` is {name:?}; expected a file name inside {}",
                path.display(),
                dir.display()
            );
        }
        let file = dir.join(name);
        if !file.is_file() {
            anyhow::bail!(
                "{}: `_data_files[{i}]` names {}, which does not exist",
                path.display(),
                file.display()
            );
        }
        files.push(file);
    }
    if files.is_empty() {
        anyhow::bail!("{}: `_data_files` lists no Arrow file", path.display());
    }
    Ok(files)
}

/// Every file of a `save_to_disk` directory (a `DatasetDict`'s splits included), for the
/// data fingerprint: a dataset saved again over the old one is noticed.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for p in entries.filter_map(Result::ok).map(|e| e.path()) {
            if p.is_dir() && d == dir {
                stack.push(p);
            } else if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The `features` of `dataset_info.json` in the shape of parquet's `huggingface` metadata
/// (`{"info": {"features": ...}}`), for the ClassLabel names; `None` when absent.
pub fn features_metadata(dir: &Path) -> Option<String> {
    let info = read_json(&dir.join(DATASET_INFO)).ok()?;
    let features = info.get("features")?;
    Some(serde_json::json!({ "info": { "features": features } }).to_string())
}

/// The record batches of one Arrow stream file.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// Opens one Arrow IPC stream file: its schema and its batches, read lazily.
pub fn open_stream(file: &Path) -> anyhow::Result<(arrow_schema::SchemaRef, Batches)> {
    let handle =
        File::open(file).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let reader = StreamReader::try_new(BufReader::new(handle), None).map_err(|e| {
        anyhow::anyhow!(
            "{}: not an Arrow IPC stream as `save_to_disk` writes ({e})",
            file.display()
        )
    })?;
    Ok((reader.schema(), Box::new(reader)))
}

/// The ClassLabel names of a save_to_disk dataset: the stream's own metadata, else
/// `dataset_info.json`.
pub fn class_labels(
    dir: &Path,
    schema_metadata: &std::collections::HashMap<String, String>,
) -> BTreeMap<String, Vec<String>> {
    let own = super::parquet::class_labels(schema_metadata);
    if !own.is_empty() {
        return own;
    }
    match features_metadata(dir) {
        Some(json) => super::parquet::class_labels(&std::collections::HashMap::from([(
            "huggingface".to_string(),
            json,
        )])),
        None => BTreeMap::new(),
    }
}
