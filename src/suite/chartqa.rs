//! ChartQA: maps its three on-disk forms into [`Item`]s with the same ids.
//!
//! - Official release ([`Format::ChartqaJson`]): the `test/` directory with
//!   `test_human.json` and `test_augmented.json` (lists of `{imgname, query, label}`) and
//!   `png/`; human items first, then augmented; images are read as the stream advances.
//! - Hugging Face parquet ([`Format::HfParquet`]): `HuggingFaceM4/ChartQA` (`image`,
//!   `query`, `label` list, `human_or_machine` 0 = human, 1 = machine) or `lmms-lab/ChartQA`
//!   (`type` = `human_test` | `augmented_test`, `question`, `answer`, `image`), told apart by
//!   their columns.
//! - VLMEvalKit's `ChartQA_TEST.tsv` ([`Format::VlmevalkitTsv`]): `index`, `image`,
//!   `question`, `answer` (a string or a list literal), `split`.
//!
//! Each form is read into [`Row`]s by its format reader and turned into an item by one
//! function, `item_from_row`, given the form's column names (a `Layout`). Splits are
//! normalised to `human` / `augmented`. An item's id is `{split}-{hash}`, the hash being
//! the first 12 hex digits of BLAKE3 over split, question and gold answers joined by
//! U+001F (see [`base_id`]), so the same question has the same id in every form; a repeat
//! of the same (split, question, answers) within one stream gets `-2`, `-3`, ... appended
//! in stream order.

use std::path::Path;

use super::item::{InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::{Mapping, Repeats};
use super::row::{Row, RowStream, Value, read_inside};
use super::{Format, ResolvedSource, tsv};

/// The official release's annotation files, in reading order, with their split.
const JSON_FILES: [(&str, &str); 2] = [
    ("test_human.json", HUMAN),
    ("test_augmented.json", AUGMENTED),
];

const HUMAN: &str = "human";
const AUGMENTED: &str = "augmented";

/// Where one form keeps each part of an item.
#[derive(Clone, Copy, Debug)]
struct Layout {
    question: &'static str,
    answers: &'static str,
    split: &'static str,
    image: &'static str,
    /// The form's own id of the row (kept as `fields["source_id"]`), if it has one.
    source_id: Option<&'static str>,
}

/// Rows built from the official JSON: the entry's keys plus `split` and `image` (the bytes).
const OFFICIAL: Layout = Layout {
    question: "query",
    answers: "label",
    split: "split",
    image: "image",
    source_id: Some("imgname"),
};
const HF_M4: Layout = Layout {
    question: "query",
    answers: "label",
    split: "human_or_machine",
    image: "image",
    source_id: None,
};
const HF_LMMS: Layout = Layout {
    question: "question",
    answers: "answer",
    split: "type",
    image: "image",
    source_id: None,
};
const VLMEVALKIT: Layout = Layout {
    question: "question",
    answers: "answer",
    split: "split",
    image: "image",
    source_id: Some("index"),
};

/// ChartQA's mapping: where the form being read keeps each part of an item.
pub struct ChartQa {
    layout: Layout,
}

impl Mapping for ChartQa {
    const NAME: &'static str = "ChartQA";
    const FORMATS: &'static [Format] = &[
        Format::ChartqaJson,
        Format::Official,
        Format::HfParquet,
        Format::VlmevalkitTsv,
    ];
    const SOURCES: &'static str = "its official release (test_human.json, test_augmented.json, \
                                   png/), Hugging Face parquet or VLMEvalKit's ChartQA_TEST.tsv";
    const REPEATS: Repeats = Repeats::Suffixed;
    const CHART_FIELDS: &'static [&'static str] = &["split", "source_id"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let (rows, layout) = match source.format {
            Format::HfParquet => {
                let dataset = ParquetDataset::open(&source.path)?;
                let layout = parquet_layout(&source.path, dataset.columns())?;
                (dataset.rows(), layout)
            }
            Format::VlmevalkitTsv => {
                let l = VLMEVALKIT;
                (
                    tsv::open(&source.path, &[l.image, l.question, l.answers, l.split])?,
                    l,
                )
            }
            // (The reader refuses the forms ChartQA is not in: JSONL never gets here.)
            Format::ChartqaJson | Format::Official | Format::Jsonl => {
                (official_rows(&source.path)?, OFFICIAL)
            }
        };
        Ok((Self { layout }, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item_from_row(&row, &self.layout)
    }

    /// The official release names its charts: `{split}-{imgname}` (e.g. `human-8127.png`).
    fn chart_id(&self, item: &Item) -> Option<String> {
        if self.layout.source_id != OFFICIAL.source_id {
            return None;
        }
        Some(format!(
            "{}-{}",
            item.split.as_deref()?,
            item.fields.get("source_id")?
        ))
    }
}

/// Which Hugging Face layout the columns are.
fn parquet_layout(path: &Path, columns: &[String]) -> anyhow::Result<Layout> {
    let has_all = |l: &Layout| {
        [l.question, l.answers, l.split, l.image]
            .iter()
            .all(|c| columns.iter().any(|x| x == c))
    };
    [HF_M4, HF_LMMS].into_iter().find(has_all).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: columns [{}] match no known ChartQA parquet layout; expected HuggingFaceM4/ChartQA \
             [image, query, label, human_or_machine] or lmms-lab/ChartQA [image, question, answer, type]",
            path.display(),
            columns.join(", ")
        )
    })
}

/// One row as an item (the reader numbers it and suffixes a repeated id).
fn item_from_row(row: &Row, layout: &Layout) -> Result<Item, InvalidRow> {
    let split = split(row, layout.split)?;
    let question = row.text(layout.question)?.trim().to_string();
    let answers: Vec<String> = row
        .text_list(layout.answers)?
        .iter()
        .map(|a| a.trim().to_string())
        .collect();
    let images = row.images(layout.image)?;
    let mut fields = std::collections::BTreeMap::from([("split".to_string(), split.to_string())]);
    if let Some(native) = layout.source_id {
        fields.insert("source_id".to_string(), row.text(native)?);
    }
    if let Some(table) = row.opt_text("gold_table")? {
        fields.insert("gold_table".to_string(), table);
    }
    Ok(Item {
        id: base_id(split, &question, &answers),
        order: 0,
        source: row.source.clone(),
        question,
        hint: None,
        choices: Vec::new(),
        answers,
        images,
        split: Some(split.to_string()),
        fields,
    })
}

/// The split of a row: text such as `test_human`, `human`, `human_test`, `machine`,
/// `augmented_test`, or the integer 0 (human) / 1 (machine, i.e. augmented).
fn split(row: &Row, field: &str) -> Result<&'static str, InvalidRow> {
    let expected =
        "a ChartQA split: human / augmented (also test_human, human_test, machine, ...) or 0 / 1";
    let split = match row.get(field) {
        Some(Value::Int(0)) => Some(HUMAN),
        Some(Value::Int(1)) => Some(AUGMENTED),
        Some(Value::Str(s)) => normalise_split(s),
        _ => None,
    };
    split.ok_or_else(|| row.unexpected(field, expected))
}

/// `human` or `augmented` for the spellings the different releases use.
pub fn normalise_split(text: &str) -> Option<&'static str> {
    let lower = text.trim().to_ascii_lowercase();
    let bare = lower.trim_start_matches("test_").trim_end_matches("_test");
    match bare {
        "human" => Some(HUMAN),
        "augmented" | "machine" => Some(AUGMENTED),
        _ => None,
    }
}

/// `{split}-{h}`: h = the first 12 hex digits of BLAKE3 over split, question and each
/// answer, joined by U+001F (`split \x1f question \x1f answer1 \x1f answer2 ...`).
pub fn base_id(split: &str, question: &str, answers: &[String]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(split.as_bytes());
    hasher.update(b"\x1f");
    hasher.update(question.as_bytes());
    for answer in answers {
        hasher.update(b"\x1f");
        hasher.update(answer.as_bytes());
    }
    let hex = hasher.finalize().to_hex();
    format!("{split}-{}", &hex[..12])
}

/// The official release's entries as rows, human then augmented, each with `split` and
/// its `png/<imgname>` bytes as `image` (read when the row is reached).
fn official_rows(dir: &Path) -> anyhow::Result<RowStream> {
    let mut files = Vec::new();
    for (name, split) in JSON_FILES {
        let path = dir.join(name);
        let entries = read_json_list(&path)?;
        files.push((path, split, entries));
    }
    let png = dir.join("png");
    let rows = files.into_iter().flat_map(move |(path, split, entries)| {
        let png = png.clone();
        entries
            .into_iter()
            .enumerate()
            .map(move |(i, entry)| official_row(&path, i + 1, entry, split, &png))
    });
    Ok(Box::new(rows))
}

/// An annotation file: a JSON list of objects.
fn read_json_list(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {e}; a ChartQA test directory holds test_human.json, test_augmented.json and png/",
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a JSON list of {{imgname, query, label}} objects: {e}",
            path.display()
        )
    })
}

fn official_row(
    path: &Path,
    row_no: usize,
    entry: serde_json::Value,
    split: &str,
    png: &Path,
) -> Result<Row, InvalidRow> {
    let mut row = Row::new(format!("{}:{row_no}", path.display()));
    let Value::Struct(fields) = Value::from_json(entry) else {
        return Err(row.invalid("entry is not a JSON object {imgname, query, label}"));
    };
    row.fields = fields;
    row.fields.insert("split".into(), Value::Str(split.into()));
    let imgname = row.text("imgname")?;
    let bytes = read_inside(png, &imgname)
        .map_err(|e| row.invalid(format!("field `imgname`: image {e}")))?;
    row.fields.insert("image".into(), Value::Bytes(bytes));
    // The release's gold data table, `tables/<imgname stem>.csv`, when it is there: the
    // oracle perception source of the decoupling report.
    let stem = Path::new(&imgname)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    if let (Some(tables), Some(stem)) = (png.parent().map(|d| d.join("tables")), stem)
        && let Ok(bytes) = read_inside(&tables, &format!("{stem}.csv"))
    {
        row.fields.insert(
            "gold_table".into(),
            Value::Str(String::from_utf8_lossy(&bytes).into_owned()),
        );
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<ChartQa>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("chartqa")
    }

    fn load(format: Format, rel: &str) -> Vec<crate::suite::LoadResult> {
        crate::suite::testing::load(open, format, fixtures().join(rel))
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, fixtures().join(rel))
    }

    type Comparable = (
        String,
        u64,
        String,
        Vec<String>,
        Option<String>,
        Vec<Vec<u8>>,
    );

    /// What must agree across forms: id, order, question, answers, split, image bytes.
    fn comparable(items: &[Item]) -> Vec<Comparable> {
        items
            .iter()
            .map(|i| {
                let images = i.images.iter().map(|im| im.bytes.to_vec()).collect();
                (
                    i.id.clone(),
                    i.order,
                    i.question.clone(),
                    i.answers.clone(),
                    i.split.clone(),
                    images,
                )
            })
            .collect()
    }

    #[test]
    fn all_forms_give_the_same_items() {
        let official = ok_items(Format::ChartqaJson, "json/test");
        let m4 = ok_items(Format::HfParquet, "parquet/m4");
        let lmms = ok_items(Format::HfParquet, "parquet/lmms/test.parquet");
        let tsv = ok_items(Format::VlmevalkitTsv, "tsv/ChartQA_TEST.tsv");
        assert_eq!(official.len(), 8);
        assert_eq!(comparable(&official), comparable(&m4));
        assert_eq!(comparable(&official), comparable(&lmms));
        assert_eq!(comparable(&official), comparable(&tsv));
        assert!(
            official[0].source.ends_with("test_human.json:1"),
            "{}",
            official[0].source
        );
        assert!(
            tsv[7].source.ends_with("ChartQA_TEST.tsv:8"),
            "{}",
            tsv[7].source
        );
        assert_eq!(official[0].fields["source_id"], "41699051005347.png");
        assert_eq!(tsv[0].fields["source_id"], "0");
        assert!(
            official
                .iter()
                .all(|i| i.fields["split"] == *i.split.as_ref().unwrap())
        );
        assert!(
            official
                .iter()
                .all(|i| i.images.len() == 1 && i.images[0].mime == "image/png")
        );
    }

    #[test]
    fn ids_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items = ok_items(Format::ChartqaJson, "json/test");
        assert_eq!(items.len(), gold.len());
        for (item, g) in items.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.question, g["question"].as_str().unwrap());
            assert_eq!(item.split.as_deref(), g["split"].as_str());
            let answers: Vec<&str> = g["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(item.answers, answers);
        }
        let splits: Vec<&str> = items.iter().map(|i| i.split.as_deref().unwrap()).collect();
        assert_eq!(splits.iter().filter(|s| **s == HUMAN).count(), 5);
        assert_eq!(splits.iter().filter(|s| **s == AUGMENTED).count(), 3);
        assert!(
            items[1].id.ends_with("-2") && items[1].id.starts_with(&items[0].id),
            "{} {}",
            items[0].id,
            items[1].id
        );
    }

    #[test]
    fn ids_are_split_question_answers_hashes() {
        let id = base_id("human", "What is the value?", &["12".into()]);
        assert!(
            id.starts_with("human-") && id.len() == "human-".len() + 12,
            "{id}"
        );
        assert_ne!(
            id,
            base_id("augmented", "What is the value?", &["12".into()])
        );
        assert_ne!(
            id,
            base_id("human", "What is the value?", &["1".into(), "2".into()])
        );
        // The repeat suffixes themselves are the reader's (`reader::tests`).
    }

    #[test]
    fn splits_normalise() {
        for (text, want) in [
            ("test_human", Some(HUMAN)),
            ("human_test", Some(HUMAN)),
            (" Human ", Some(HUMAN)),
            ("test_augmented", Some(AUGMENTED)),
            ("augmented_test", Some(AUGMENTED)),
            ("machine", Some(AUGMENTED)),
            ("train", None),
            ("", None),
        ] {
            assert_eq!(normalise_split(text), want, "{text}");
        }
    }

    #[test]
    fn integer_splits_are_human_or_machine() {
        let mut row = Row::new("x.parquet:1");
        for (value, want) in [
            (Value::Int(0), Ok(HUMAN)),
            (Value::Int(1), Ok(AUGMENTED)),
            (Value::Int(2), Err(())),
        ] {
            row.fields.insert("human_or_machine".into(), value);
            assert_eq!(split(&row, "human_or_machine").map_err(|_| ()), want);
        }
        let err = split(&row, "human_or_machine").unwrap_err();
        assert!(
            err.source == "x.parquet:1" && err.reason.contains("found the integer 2"),
            "{err:?}"
        );
    }

    /// `(row, reason fragment)` for each InvalidRow, and the `source_id`s of the good items.
    fn outcome(
        results: &[Result<Item, InvalidRow>],
        file: &str,
    ) -> (Vec<(usize, String)>, Vec<String>) {
        let mut bad = Vec::new();
        let mut good = Vec::new();
        for r in results {
            match r {
                Ok(item) => good.push(
                    item.fields
                        .get("source_id")
                        .cloned()
                        .unwrap_or_else(|| item.question.clone()),
                ),
                Err(e) => {
                    let (path, row) = e.source.rsplit_once(':').unwrap();
                    assert!(path.ends_with(file), "{}", e.source);
                    bad.push((row.parse().unwrap(), e.reason.clone()));
                }
            }
        }
        (bad, good)
    }

    fn assert_reasons(bad: &[(usize, String)], expected: &[(usize, &str)]) {
        assert_eq!(bad.len(), expected.len(), "{bad:#?}");
        for ((row, reason), (want_row, fragment)) in bad.iter().zip(expected) {
            assert_eq!(row, want_row, "{reason}");
            assert!(
                reason.contains(fragment),
                "row {row}: {reason:?} lacks {fragment:?}"
            );
        }
    }

    #[test]
    fn bad_tsv_rows_are_reported_and_skipped() {
        let results = load(Format::VlmevalkitTsv, "bad/tsv/bad_rows.tsv");
        let (bad, good) = outcome(&results, "bad_rows.tsv");
        assert_reasons(
            &bad,
            &[
                (2, "not valid base64"),
                (3, "image header does not decode"),
                (4, "field `image`: expected an image"),
                (5, "cells but the header has 5"),
                (6, "no valid row has that index"),
                (8, "column `index` is empty"),
                (10, "field `split`: expected a ChartQA split"),
                (11, "field `question`: expected non-empty text"),
            ],
        );
        assert_eq!(good, vec!["0", "6", "8"]);
        assert_eq!(
            results
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .map(|i| i.order)
                .collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn mangled_tsv_header_is_an_open_error() {
        let source = ResolvedSource {
            format: Format::VlmevalkitTsv,
            path: fixtures().join("bad/tsv/mangled_header.tsv"),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        };
        let err = open(&source).err().unwrap().to_string();
        assert!(
            err.contains("mangled_header.tsv")
                && err.contains("found columns")
                && err.contains("index"),
            "{err}"
        );
    }

    #[test]
    fn bad_json_entries_are_reported_and_skipped() {
        let results = load(Format::ChartqaJson, "bad/json/test");
        let (bad, good) = outcome(&results[..4], "test_human.json");
        assert_reasons(
            &bad,
            &[
                (2, "cannot open"),
                (3, "image is empty (0 bytes)"),
                (4, "field `query`"),
            ],
        );
        assert_eq!(good, vec!["ok_human.png"]);
        let (bad, good) = outcome(&results[4..], "test_augmented.json");
        assert_reasons(
            &bad,
            &[(1, "image header does not decode"), (3, "climbs out")],
        );
        assert_eq!(good, vec!["ok_augmented.png"]);
    }

    #[test]
    fn bad_parquet_rows_are_reported_and_skipped() {
        let results = load(Format::HfParquet, "bad/parquet/test.parquet");
        let (bad, good) = outcome(&results, "test.parquet");
        assert_reasons(
            &bad,
            &[
                (2, "climbs out"),
                (3, "climbs out"),
                (4, "image is empty (0 bytes)"),
                (5, "field `question`"),
                (6, "field `type`"),
            ],
        );
        assert_eq!(good, vec!["inline image", "image by relative path"]);
    }

    #[test]
    fn missing_or_unknown_sources_are_open_errors() {
        let cases = [
            (Format::ChartqaJson, "bad"),
            (Format::HfParquet, "json"),
            (Format::VlmevalkitTsv, "nonexistent.tsv"),
            (Format::HfParquet, "tsv/ChartQA_TEST.tsv"),
        ];
        for (format, rel) in cases {
            let source = ResolvedSource {
                format,
                path: fixtures().join(rel),
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
            };
            assert!(open(&source).is_err(), "{rel}");
        }
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("other.parquet");
        std::fs::copy(fixtures().join("parquet/lmms/test.parquet"), &path).unwrap();
        let dataset = ParquetDataset::open(&path).unwrap();
        let err = parquet_layout(&path, &dataset.columns()[..2])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("other.parquet") && err.contains("lmms-lab/ChartQA"),
            "{err}"
        );
    }
}
