//! Streaming reader of Hugging Face datasets parquet into format-neutral [`Row`]s.
//!
//! A `save_to_disk` directory (Arrow IPC streams with `state.json`, or a `DatasetDict` with one
//! split) is read the same way, its `data-*.arrow` files taking the shards' place (see
//! [`super::arrow_disk`]).
//!
//! The path is one `.parquet` file or a directory of shards. A directory is read shard by
//! shard in byte order of the file names (`test-00000-of-00002.parquet` before
//! `test-00001-of-00002.parquet`, as `datasets` names them); only files directly inside it
//! whose names end in `.parquet` count, so point it at one split's shards, not at a folder
//! mixing `train-*` and `test-*`. Record batches are small ([`BATCH_ROWS`] rows), so memory
//! stays bounded by a few rows' images whatever the file size.
//!
//! Arrow values become [`Value`]s: strings, integers, floats, booleans, binary, lists and
//! structs (dictionary-encoded columns are decoded; other types such as dates are read as
//! [`Value::Null`]). A Hugging Face `Image` is `struct<bytes: binary, path: string>`; when
//! its bytes are null but a path is set, the file is read relative to the shard's directory
//! (paths that are absolute or climb out with `..` make the row an [`InvalidRow`]). Columns
//! the `huggingface` schema metadata declares as `ClassLabel` hold integers; they are given
//! as the label's name ([`Value::Str`]) when the name is known (see [`class_labels`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::item::InvalidRow;
use super::row::{Row, RowStream, Value, read_inside};

/// Rows per record batch: small, so a batch of images stays a few megabytes.
pub const BATCH_ROWS: usize = 32;

/// A parquet dataset (one file or a directory of shards) whose footers have been read.
#[derive(Clone, Debug)]
pub struct ParquetDataset {
    files: Vec<PathBuf>,
    columns: Vec<String>,
    class_labels: BTreeMap<String, Vec<String>>,
}

impl ParquetDataset {
    /// Finds the shards and reads their footers; fails when there are none, one is not
    /// parquet, or their columns differ.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if path.is_dir() && super::arrow_disk::is_save_to_disk(path) {
            return Self::open_saved(path);
        }
        let files = shard_files(path)?;
        let Some((first, rest)) = files.split_first() else {
            anyhow::bail!("{}: no parquet files", path.display());
        };
        let first = reader_builder(first)?;
        let columns = column_names(first.schema());
        let class_labels = class_labels(first.schema().metadata());
        for file in rest {
            let shard_columns = column_names(reader_builder(file)?.schema());
            if shard_columns != columns {
                anyhow::bail!(
                    "{}: columns [{}] differ from the first shard's [{}]; keep only shards of one dataset and split here",
                    file.display(),
                    shard_columns.join(", "),
                    columns.join(", ")
                );
            }
        }
        Ok(Self {
            files,
            columns,
            class_labels,
        })
    }

    /// A `save_to_disk` directory: its Arrow files in `state.json`'s order.
    fn open_saved(path: &Path) -> anyhow::Result<Self> {
        use super::arrow_disk;
        let dir = arrow_disk::dataset_dir(path)?;
        let files = arrow_disk::data_files(&dir)?;
        let (schema, _) = arrow_disk::open_stream(&files[0])?;
        let columns = column_names(&schema);
        let class_labels = arrow_disk::class_labels(&dir, schema.metadata());
        for file in &files[1..] {
            let shard_columns = column_names(&arrow_disk::open_stream(file)?.0);
            if shard_columns != columns {
                anyhow::bail!(
                    "{}: columns [{}] differ from the first file's [{}]; re-save the dataset with `save_to_disk`",
                    file.display(),
                    shard_columns.join(", "),
                    columns.join(", ")
                );
            }
        }
        Ok(Self {
            files,
            columns,
            class_labels,
        })
    }

    /// The shard files, in reading order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The column names of the dataset.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The ClassLabel names of each ClassLabel column (see [`class_labels`]).
    pub fn class_labels(&self) -> &BTreeMap<String, Vec<String>> {
        &self.class_labels
    }

    /// The rows of every shard, read lazily in small batches.
    pub fn rows(self) -> RowStream {
        Box::new(ParquetRows {
            shards: self.files.into(),
            class_labels: self.class_labels,
            shard: None,
        })
    }
}

/// The ClassLabel columns declared in a schema's `huggingface` metadata
/// (`{"info": {"features": {col: {"_type": "ClassLabel", "names": [...]}}}}`) with their
/// names; empty when the metadata is absent or unreadable.
pub fn class_labels(metadata: &HashMap<String, String>) -> BTreeMap<String, Vec<String>> {
    let Some(json) = metadata.get("huggingface") else {
        return BTreeMap::new();
    };
    let Ok(parsed) = serde_json::from_str::<serde_json::Value>(json) else {
        return BTreeMap::new();
    };
    let Some(features) = parsed.pointer("/info/features").and_then(|f| f.as_object()) else {
        return BTreeMap::new();
    };
    features
        .iter()
        .filter(|(_, feature)| feature.get("_type").and_then(|t| t.as_str()) == Some("ClassLabel"))
        .filter_map(|(column, feature)| {
            let names = feature.get("names")?.as_array()?;
            let names: Option<Vec<String>> =
                names.iter().map(|n| n.as_str().map(String::from)).collect();
            Some((column.clone(), names?))
        })
        .collect()
}

fn column_names(schema: &arrow_schema::Schema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// `path` itself when it is a file; else the `.parquet` files directly inside it, sorted.
fn shard_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot open parquet data {}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", path.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "parquet"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    if files.is_empty() {
        anyhow::bail!(
            "{}: no .parquet files in this directory; point at a .parquet file or at the directory holding one split's shards",
            path.display()
        );
    }
    Ok(files)
}

fn reader_builder(file: &Path) -> anyhow::Result<ParquetRecordBatchReaderBuilder<File>> {
    let handle =
        File::open(file).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    ParquetRecordBatchReaderBuilder::try_new(handle)
        .map_err(|e| anyhow::anyhow!("{}: not a readable parquet file: {e}", file.display()))
}

/// The rows of all shards, one shard open at a time.
struct ParquetRows {
    shards: VecDeque<PathBuf>,
    class_labels: BTreeMap<String, Vec<String>>,
    shard: Option<Shard>,
}

/// The shard being read: its reader, the current batch and how far into it we are.
struct Shard {
    path: PathBuf,
    dir: PathBuf,
    /// `None` once a decode error ended the shard.
    reader: Option<super::arrow_disk::Batches>,
    batch: Option<RecordBatch>,
    next_in_batch: usize,
    /// 1-based number of the last row read from this shard.
    row_no: u64,
}

impl Iterator for ParquetRows {
    type Item = Result<Row, InvalidRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.shard.is_none() {
                let path = self.shards.pop_front()?;
                match Shard::open(path) {
                    Ok(shard) => self.shard = Some(shard),
                    Err(invalid) => return Some(Err(invalid)),
                }
            }
            let shard = self.shard.as_mut()?;
            match shard.next_row(&self.class_labels) {
                Some(row) => return Some(row),
                None => self.shard = None,
            }
        }
    }
}

impl Shard {
    fn open(path: PathBuf) -> Result<Self, InvalidRow> {
        let is_arrow = path.extension().is_some_and(|e| e == "arrow");
        let reader = if is_arrow {
            super::arrow_disk::open_stream(&path).map(|(_, batches)| batches)
        } else {
            reader_builder(&path).and_then(|b| {
                let reader: ParquetRecordBatchReader = b.with_batch_size(BATCH_ROWS).build()?;
                Ok(Box::new(reader) as super::arrow_disk::Batches)
            })
        };
        let reader = reader.map_err(|e| InvalidRow {
            source: path.display().to_string(),
            reason: format!("shard skipped: {e:#}"),
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            path,
            dir,
            reader: Some(reader),
            batch: None,
            next_in_batch: 0,
            row_no: 0,
        })
    }

    fn source(&self) -> String {
        format!("{}:{}", self.path.display(), self.row_no)
    }

    /// The next row, or `None` at the end of the shard (or after a read error, reported once).
    fn next_row(
        &mut self,
        class_labels: &BTreeMap<String, Vec<String>>,
    ) -> Option<Result<Row, InvalidRow>> {
        while self
            .batch
            .as_ref()
            .is_none_or(|b| self.next_in_batch >= b.num_rows())
        {
            match self.reader.as_mut()?.next()? {
                Ok(batch) => {
                    self.batch = Some(batch);
                    self.next_in_batch = 0;
                }
                Err(e) => {
                    self.row_no += 1;
                    let invalid = InvalidRow {
                        source: self.source(),
                        reason: format!(
                            "cannot decode the rest of this shard ({e}); it is skipped from here"
                        ),
                    };
                    self.reader = None;
                    return Some(Err(invalid));
                }
            }
        }
        let batch = self.batch.as_ref()?;
        let i = self.next_in_batch;
        self.next_in_batch += 1;
        self.row_no += 1;
        let mut row = Row::new(self.source());
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            let mut value = cell(column.as_ref(), i);
            if let Some(names) = class_labels.get(field.name()) {
                value = class_label(value, names);
            }
            if let Err(reason) = resolve_image_paths(&mut value, &self.dir) {
                return Some(Err(
                    row.invalid(format!("field `{}`: {reason}", field.name()))
                ));
            }
            row.fields.insert(field.name().clone(), value);
        }
        Some(Ok(row))
    }
}

/// A ClassLabel integer as its name, when in range; anything else unchanged.
fn class_label(value: Value, names: &[String]) -> Value {
    match value {
        Value::Int(i) => match usize::try_from(i).ok().and_then(|i| names.get(i)) {
            Some(name) => Value::Str(name.clone()),
            None => Value::Int(i),
        },
        other => other,
    }
}

/// Fills in the bytes of image structs `{bytes: null, path}` (at any depth of lists) by
/// reading `path` inside `dir`.
fn resolve_image_paths(value: &mut Value, dir: &Path) -> Result<(), String> {
    match value {
        Value::List(items) => items
            .iter_mut()
            .try_for_each(|item| resolve_image_paths(item, dir)),
        Value::Struct(fields) if is_image_without_bytes(fields) => {
            let Some(Value::Str(path)) = fields.get("path") else {
                return Ok(());
            };
            let bytes =
                read_inside(dir, path).map_err(|e| format!("image has no bytes and its {e}"))?;
            fields.insert("bytes".into(), Value::Bytes(bytes));
            Ok(())
        }
        _ => Ok(()),
    }
}

fn is_image_without_bytes(fields: &BTreeMap<String, Value>) -> bool {
    fields.len() == 2
        && matches!(fields.get("bytes"), Some(Value::Null))
        && matches!(fields.get("path"), Some(Value::Str(_)))
}

/// The value at row `i` of `array`.
fn cell(array: &dyn Array, i: usize) -> Value {
    if i >= array.len() || array.is_null(i) {
        return Value::Null;
    }
    scalar(array, i)
        .or_else(|| nested(array, i))
        .unwrap_or(Value::Null)
}

/// Scalars: booleans, integers, floats, strings, binary.
fn scalar(array: &dyn Array, i: usize) -> Option<Value> {
    let int = |v: i64| Some(Value::Int(v));
    match array.data_type() {
        DataType::Boolean => Some(Value::Bool(array.as_boolean_opt()?.value(i))),
        DataType::Int8 => int(array.as_primitive_opt::<Int8Type>()?.value(i).into()),
        DataType::Int16 => int(array.as_primitive_opt::<Int16Type>()?.value(i).into()),
        DataType::Int32 => int(array.as_primitive_opt::<Int32Type>()?.value(i).into()),
        DataType::Int64 => int(array.as_primitive_opt::<Int64Type>()?.value(i)),
        DataType::UInt8 => int(array.as_primitive_opt::<UInt8Type>()?.value(i).into()),
        DataType::UInt16 => int(array.as_primitive_opt::<UInt16Type>()?.value(i).into()),
        DataType::UInt32 => int(array.as_primitive_opt::<UInt32Type>()?.value(i).into()),
        DataType::UInt64 => {
            let v = array.as_primitive_opt::<UInt64Type>()?.value(i);
            Some(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
        }
        DataType::Float16 => Some(Value::Float(
            array.as_primitive_opt::<Float16Type>()?.value(i).to_f64(),
        )),
        DataType::Float32 => Some(Value::Float(
            array.as_primitive_opt::<Float32Type>()?.value(i).into(),
        )),
        DataType::Float64 => Some(Value::Float(
            array.as_primitive_opt::<Float64Type>()?.value(i),
        )),
        DataType::Utf8 => Some(Value::Str(
            array.as_string_opt::<i32>()?.value(i).to_string(),
        )),
        DataType::LargeUtf8 => Some(Value::Str(
            array.as_string_opt::<i64>()?.value(i).to_string(),
        )),
        DataType::Utf8View => Some(Value::Str(array.as_string_view_opt()?.value(i).to_string())),
        DataType::Binary => Some(Value::Bytes(
            array.as_binary_opt::<i32>()?.value(i).to_vec(),
        )),
        DataType::LargeBinary => Some(Value::Bytes(
            array.as_binary_opt::<i64>()?.value(i).to_vec(),
        )),
        DataType::BinaryView => Some(Value::Bytes(array.as_binary_view_opt()?.value(i).to_vec())),
        DataType::FixedSizeBinary(_) => Some(Value::Bytes(
            array.as_fixed_size_binary_opt()?.value(i).to_vec(),
        )),
        _ => None,
    }
}

/// Nested values: lists, structs, dictionary-encoded values.
fn nested(array: &dyn Array, i: usize) -> Option<Value> {
    let list = |items: &dyn Array| Value::List((0..items.len()).map(|j| cell(items, j)).collect());
    match array.data_type() {
        DataType::List(_) => Some(list(array.as_list_opt::<i32>()?.value(i).as_ref())),
        DataType::LargeList(_) => Some(list(array.as_list_opt::<i64>()?.value(i).as_ref())),
        DataType::FixedSizeList(_, _) => {
            Some(list(array.as_fixed_size_list_opt()?.value(i).as_ref()))
        }
        DataType::Struct(_) => {
            let array = array.as_struct_opt()?;
            let fields = array.column_names().into_iter().zip(array.columns());
            Some(Value::Struct(
                fields
                    .map(|(name, column)| (name.to_string(), cell(column.as_ref(), i)))
                    .collect(),
            ))
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary_opt()?;
            let Value::Int(key) = cell(dict.keys(), i) else {
                return None;
            };
            Some(cell(dict.values().as_ref(), usize::try_from(key).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{
        BinaryBuilder, Int64Builder, ListBuilder, StringBuilder, StringDictionaryBuilder,
    };
    use arrow_array::{ArrayRef, StructArray};
    use arrow_schema::{Field, Fields, Schema};
    use parquet::arrow::ArrowWriter;

    use super::*;

    const HF_META: &str = r#"{"info": {"features": {"kind": {"names": ["human", "machine"], "_type": "ClassLabel"}, "q": {"dtype": "string", "_type": "Value"}}}}"#;

    fn image_column(images: &[(Option<&[u8]>, Option<&str>)]) -> ArrayRef {
        let mut bytes = BinaryBuilder::new();
        let mut paths = StringBuilder::new();
        for (b, p) in images {
            bytes.append_option(*b);
            paths.append_option(*p);
        }
        let fields = Fields::from(vec![
            Field::new("bytes", DataType::Binary, true),
            Field::new("path", DataType::Utf8, true),
        ]);
        Arc::new(StructArray::new(
            fields,
            vec![Arc::new(bytes.finish()), Arc::new(paths.finish())],
            None,
        ))
    }

    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, hf_meta: Option<&str>) {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let mut schema = Schema::new(fields);
        if let Some(meta) = hf_meta {
            schema = schema.with_metadata(HashMap::from([(
                "huggingface".to_string(),
                meta.to_string(),
            )]));
        }
        let schema = Arc::new(schema);
        let batch = RecordBatch::try_new(
            schema.clone(),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap();
        let mut writer = ArrowWriter::try_new(File::create(path).unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn class_labels_parse_from_metadata() {
        let meta = HashMap::from([("huggingface".to_string(), HF_META.to_string())]);
        let labels = class_labels(&meta);
        assert_eq!(labels.len(), 1);
        assert_eq!(labels["kind"], vec!["human", "machine"]);
        assert!(class_labels(&HashMap::new()).is_empty());
        let junk = HashMap::from([("huggingface".to_string(), "{not json".to_string())]);
        assert!(class_labels(&junk).is_empty());
    }

    #[test]
    fn reads_values_class_labels_lists_and_images() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("img/a.png"), b"from-file").unwrap();
        let mut labels = ListBuilder::new(StringBuilder::new());
        labels.append_value([Some("12"), Some("13")]);
        labels.append_value([Some("x")]);
        labels.append_value([Some("y")]);
        labels.append_value([Some("z")]);
        let mut dict = StringDictionaryBuilder::<Int32Type>::new();
        for v in ["red", "blue", "red", "red"] {
            dict.append_value(v);
        }
        let kind = Int64Builder::new();
        let mut kind = kind;
        kind.append_value(0);
        kind.append_value(1);
        kind.append_value(7);
        kind.append_null();
        let image = image_column(&[
            (Some(b"inline"), None),
            (None, Some("img/a.png")),
            (None, Some("../escape.png")),
            (None, Some("/etc/hostname")),
        ]);
        let path = dir.path().join("one.parquet");
        write(
            &path,
            vec![
                ("label", Arc::new(labels.finish())),
                ("color", Arc::new(dict.finish())),
                ("kind", Arc::new(kind.finish())),
                ("image", image),
            ],
            Some(HF_META),
        );
        let dataset = ParquetDataset::open(&path).unwrap();
        assert_eq!(dataset.columns(), ["label", "color", "kind", "image"]);
        assert_eq!(dataset.class_labels()["kind"], vec!["human", "machine"]);
        let rows: Vec<_> = dataset.rows().collect();
        assert_eq!(rows.len(), 4);
        let r0 = rows[0].as_ref().unwrap();
        assert!(r0.source.ends_with("one.parquet:1"), "{}", r0.source);
        assert_eq!(r0.text_list("label").unwrap(), vec!["12", "13"]);
        assert_eq!(r0.text("color").unwrap(), "red");
        assert_eq!(r0.text("kind").unwrap(), "human");
        assert_eq!(r0.image_bytes("image").unwrap(), vec![b"inline".to_vec()]);
        let r1 = rows[1].as_ref().unwrap();
        assert_eq!(r1.text("kind").unwrap(), "machine");
        assert_eq!(r1.text("color").unwrap(), "blue");
        assert_eq!(
            r1.image_bytes("image").unwrap(),
            vec![b"from-file".to_vec()]
        );
        for (i, row) in rows.iter().enumerate().skip(2) {
            let err = row.as_ref().unwrap_err();
            assert!(
                err.source.ends_with(&format!("one.parquet:{}", i + 1)),
                "{}",
                err.source
            );
            assert!(
                err.reason.contains("field `image`") && err.reason.contains("climbs out"),
                "{}",
                err.reason
            );
        }
    }

    #[test]
    fn out_of_range_class_labels_stay_integers() {
        assert_eq!(class_label(Value::Int(7), &["a".into()]), Value::Int(7));
        assert_eq!(class_label(Value::Int(-1), &["a".into()]), Value::Int(-1));
        assert_eq!(
            class_label(Value::Int(0), &["a".into()]),
            Value::Str("a".into())
        );
    }

    #[test]
    fn shards_are_read_in_name_order_and_must_match() {
        let dir = tempfile::tempdir().unwrap();
        for (name, value) in [
            ("test-00001-of-00002.parquet", "second"),
            ("test-00000-of-00002.parquet", "first"),
        ] {
            let mut q = StringBuilder::new();
            q.append_value(value);
            write(
                &dir.path().join(name),
                vec![("q", Arc::new(q.finish()))],
                None,
            );
        }
        std::fs::write(dir.path().join("README.md"), "not a shard").unwrap();
        let dataset = ParquetDataset::open(dir.path()).unwrap();
        assert_eq!(dataset.files().len(), 2);
        let texts: Vec<String> = dataset
            .rows()
            .map(|r| r.unwrap().text("q").unwrap())
            .collect();
        assert_eq!(texts, vec!["first", "second"]);

        let mut other = Int64Builder::new();
        other.append_value(1);
        write(
            &dir.path().join("test-00002-of-00002.parquet"),
            vec![("n", Arc::new(other.finish()))],
            None,
        );
        let err = ParquetDataset::open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("test-00002-of-00002.parquet") && err.contains("differ"),
            "{err}"
        );
    }

    #[test]
    fn unreadable_inputs_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            ParquetDataset::open(dir.path())
                .unwrap_err()
                .to_string()
                .contains("no .parquet files")
        );
        std::fs::write(
            dir.path().join("junk.parquet"),
            b"PAR1 this is not parquet PAR1",
        )
        .unwrap();
        assert!(
            ParquetDataset::open(dir.path())
                .unwrap_err()
                .to_string()
                .contains("junk.parquet")
        );
        assert!(ParquetDataset::open(&dir.path().join("missing.parquet")).is_err());
    }
}
