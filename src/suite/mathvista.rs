//! MathVista (testmini: 1,000 problems; multiple choice and free form with integer, float and list
//! answers): maps its three on-disk forms into [`Item`]s with the same ids.
//!
//! - Hugging Face parquet ([`Format::HfParquet`], `AI4Math/MathVista`, splits `testmini` and
//!   `test`): `pid`, `question`, `image` (a path, unused), `decoded_image` (the image), `choices`
//!   (a list, or null for free form), `unit`, `precision` (a float such as `1.0`, or null), `answer`,
//!   `question_type` (`multi_choice` | `free_form`), `answer_type` (`text` | `integer` | `float` |
//!   `list`), `metadata` {category, context, grade, img_height, img_width, language, skills (a list),
//!   source, split, task} and `query`.
//! - VLMEvalKit's `MathVista_MINI.tsv` ([`Format::VlmevalkitTsv`]): `index` (the `pid`), `image`,
//!   `question` (which holds the official `query`: hint, question and choices), `answer` (the choice
//!   text for multiple choice; a letter is mapped to its text), `choices` (a Python list literal),
//!   `question_type`, `answer_type`, `precision`, `unit`, and the metadata as flat columns (`task`,
//!   `skills` as a list literal, `context`, `grade`, `source`, `category`, `language`). VLMEvalKit
//!   only ships testmini, so a TSV without a `split` column is `testmini`.
//! - The official release ([`Format::Official`], `lupantech/MathVista` `data/`): `testmini.json` (or
//!   `test.json`, or the `.json` file given), an object `pid -> problem` with the parquet's fields
//!   except `query` and `decoded_image`, plus `query.json` (`pid -> query`) beside it and the
//!   images at the problem's relative `image` path (`images/<pid>.jpg`), read as the stream
//!   advances. Problems are listed in numeric `pid` order.
//!
//! The prompt is the dataset's official `query` (`{question}` in the card), exactly what
//! MathVista's `generate_response.py` and VLMEvalKit send. An item's id is its `pid`. Fields:
//! `question_type`, `answer_type`, `precision` (as an integer, `1` or `2`), `unit`, `task`,
//! `context`, `grade`, `source`, `category`, `language`, `split`, `query` (for the judge prompt) and
//! `skills`, which is multi-valued: the skills joined by `|` (`arithmetic reasoning|statistical
//! reasoning`), for a breakdown that counts an item under each of its skills. A problem without a
//! gold answer (the `test` split keeps its answers private) is an invalid row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::item::{Choice, InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::Mapping;
use super::row::{Row, RowStream, Value, parse_list_literal, read_inside, require_columns};
use super::{Format, ResolvedSource, tsv};

/// Separator of the values of the multi-valued `skills` field.
pub const SKILLS_SEPARATOR: &str = "|";

/// Metadata fields copied into the item's fields when present.
const METADATA: [&str; 6] = ["task", "context", "grade", "source", "category", "language"];

/// Where one form keeps the prompt and the image.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// The official query: `query` (parquet, official) or `question` (VLMEvalKit).
    prompt: &'static str,
    /// The image bytes: `decoded_image` (parquet, official after reading) or `image` (VLMEvalKit).
    image: &'static str,
    /// The split when the row does not say.
    default_split: Option<&'static str>,
}

const HF: Layout = Layout {
    prompt: "query",
    image: "decoded_image",
    default_split: None,
};
const VLMEVALKIT: Layout = Layout {
    prompt: "question",
    image: "image",
    default_split: Some("testmini"),
};

/// MathVista's mapping: where the form being read keeps the prompt and the image.
pub struct MathVista {
    layout: Layout,
}

impl Mapping for MathVista {
    const NAME: &'static str = "MathVista";
    const FORMATS: &'static [Format] = &[
        Format::Official,
        Format::ChartqaJson,
        Format::HfParquet,
        Format::VlmevalkitTsv,
    ];
    const SOURCES: &'static str = "its official release (data/testmini.json, query.json, \
                                   images/), Hugging Face parquet or VLMEvalKit's \
                                   MathVista_MINI.tsv";

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let path = &source.path;
        let (rows, layout): (RowStream, Layout) = match source.format {
            Format::HfParquet => {
                let dataset = ParquetDataset::open(path)?;
                require_columns(
                    path,
                    dataset.columns(),
                    &[
                        "pid",
                        "decoded_image",
                        "answer",
                        "question_type",
                        "answer_type",
                        "query",
                    ],
                )?;
                (
                    Box::new(dataset.rows().map(|r| r.map(flatten_metadata))),
                    HF,
                )
            }
            Format::VlmevalkitTsv => (
                tsv::open(
                    path,
                    &[
                        "image",
                        "question",
                        "answer",
                        "question_type",
                        "answer_type",
                    ],
                )?,
                VLMEVALKIT,
            ),
            Format::Official | Format::ChartqaJson | Format::Jsonl => (official_rows(path)?, HF),
        };
        Ok((Self { layout }, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item_from_row(&row, self.layout)
    }
}

/// Moves the fields of the `metadata` struct (parquet, official JSON) to the top level, where
/// VLMEvalKit's TSV has them; a top-level field of the same name wins.
fn flatten_metadata(mut row: Row) -> Row {
    if let Some(Value::Struct(meta)) = row.fields.remove("metadata") {
        for (key, value) in meta {
            row.fields.entry(key).or_insert(value);
        }
    }
    row
}

/// One row as an item (the reader numbers it).
fn item_from_row(row: &Row, layout: Layout) -> Result<Item, InvalidRow> {
    let id_field = if row.get("pid").is_some() {
        "pid"
    } else {
        "index"
    };
    let id = row.text(id_field)?.trim().to_string();
    let query = row.text(layout.prompt)?;
    let question_type = one_of(row, "question_type", &["multi_choice", "free_form"])?;
    let answer_type = one_of(row, "answer_type", &["text", "integer", "float", "list"])?;
    let choices = choices(row)?;
    if question_type == "multi_choice" && choices.len() < 2 {
        return Err(row.unexpected("choices", "at least two choices for a multi_choice problem"));
    }
    let answer = match row.opt_text("answer")? {
        Some(answer) => gold_answer(answer.trim(), &question_type, &choices),
        None => {
            return Err(row.invalid(
                "field `answer` is empty: no gold answer to score against (MathVista's test split \
                 keeps its answers private; evaluate testmini)",
            ));
        }
    };
    let split = match row.opt_text("split")? {
        Some(split) => split.trim().to_string(),
        None => layout.default_split.unwrap_or("testmini").to_string(),
    };
    let mut fields = BTreeMap::from([
        ("question_type".to_string(), question_type),
        ("answer_type".to_string(), answer_type),
        ("query".to_string(), query.clone()),
        ("split".to_string(), split.clone()),
    ]);
    if let Some(precision) = row.opt_text("precision")?.filter(|p| !is_missing(p)) {
        fields.insert("precision".to_string(), integer_precision(&precision));
    }
    if let Some(unit) = row.opt_text("unit")?.filter(|u| !is_missing(u)) {
        fields.insert("unit".to_string(), unit.trim().to_string());
    }
    for key in METADATA {
        if let Some(value) = row.opt_text(key)? {
            fields.insert(key.to_string(), value.trim().to_string());
        }
    }
    if let Some(skills) = skills(row)? {
        fields.insert("skills".to_string(), skills);
    }
    let images = row.images(layout.image)?;
    Ok(Item {
        id,
        order: 0,
        source: row.source.clone(),
        question: query,
        hint: None,
        choices,
        answers: vec![answer],
        images,
        split: Some(split),
        fields,
    })
}

/// A required field whose trimmed text must be one of `allowed`.
fn one_of(row: &Row, field: &str, allowed: &[&str]) -> Result<String, InvalidRow> {
    let value = row.text(field)?.trim().to_string();
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(row.unexpected(field, &format!("one of {}", allowed.join(", "))))
    }
}

/// The choices labelled `A`, `B`, ...: a list (parquet, JSON), a Python list literal (TSV), or
/// nothing (null, empty, `None`, `nan`, `[]`) for free-form problems.
fn choices(row: &Row) -> Result<Vec<Choice>, InvalidRow> {
    let texts: Vec<String> = match row.get("choices") {
        None => Vec::new(),
        Some(Value::List(items)) => items
            .iter()
            .map(Value::as_text)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| row.unexpected("choices", "a list of texts"))?,
        Some(Value::Str(s)) if s.trim().is_empty() || s.trim() == "[]" || is_missing(s) => {
            Vec::new()
        }
        Some(Value::Str(s)) => parse_list_literal(s)
            .ok_or_else(|| row.unexpected("choices", "a list literal such as ['2', '4']"))?,
        Some(_) => return Err(row.unexpected("choices", "a list of texts")),
    };
    if texts.len() > 26 {
        return Err(row.unexpected("choices", "at most 26 choices"));
    }
    Ok(texts
        .into_iter()
        .zip('A'..='Z')
        .map(|(text, letter)| Choice {
            label: letter.to_string(),
            text,
        })
        .collect())
}

/// The gold answer; for multiple choice, a letter that is not itself a choice text is mapped to
/// the text of the choice it labels (the official scorer compares against the text).
fn gold_answer(answer: &str, question_type: &str, choices: &[Choice]) -> String {
    if question_type == "multi_choice"
        && !choices.iter().any(|c| c.text == answer)
        && let Some(choice) = choices.iter().find(|c| c.label == answer)
    {
        return choice.text.clone();
    }
    answer.to_string()
}

/// A cell that spells a missing value as Python or pandas print it (`None`, `nan`).
fn is_missing(text: &str) -> bool {
    matches!(text.trim(), "None" | "nan" | "NaN")
}

/// `1.0` -> `1`: the official code uses `int(precision)`; the parquet stores a float.
fn integer_precision(text: &str) -> String {
    let text = text.trim();
    match text.parse::<f64>() {
        Ok(p) if p.is_finite() && p.fract() == 0.0 && p.abs() < 1e9 => format!("{}", p as i64),
        _ => text.to_string(),
    }
}

/// The skills joined by `|`: a list, a list literal, or one plain skill (as VLMEvalKit reads
/// a cell that is not a literal).
fn skills(row: &Row) -> Result<Option<String>, InvalidRow> {
    let list: Vec<String> = match row.get("skills") {
        None => return Ok(None),
        Some(Value::List(items)) => items
            .iter()
            .map(Value::as_text)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| row.unexpected("skills", "a list of texts"))?,
        Some(Value::Str(s)) => parse_list_literal(s).unwrap_or_else(|| vec![s.clone()]),
        Some(_) => return Err(row.unexpected("skills", "a list of texts")),
    };
    let list: Vec<&str> = list
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    Ok((!list.is_empty()).then(|| list.join(SKILLS_SEPARATOR)))
}

/// The official annotation file for `path`: the file itself, or `testmini.json` / `test.json`
/// in the directory or its `data/`.
fn official_file(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let candidates = [
        path.join("testmini.json"),
        path.join("data/testmini.json"),
        path.join("test.json"),
        path.join("data/test.json"),
    ];
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no MathVista annotation file; the official release's data/ directory holds \
             testmini.json, query.json and images/ (or use AI4Math/MathVista parquet or \
             VLMEvalKit's MathVista_MINI.tsv)",
            path.display()
        )
    })
}

/// Reads a JSON object file `{key: value}`.
fn read_json_object(
    path: &Path,
    what: &str,
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => anyhow::bail!("{}: expected a JSON object of {what}", path.display()),
        Err(e) => anyhow::bail!(
            "{}: not JSON ({e}); expected an object of {what}",
            path.display()
        ),
    }
}

/// The official release as rows: each problem with `query` from `query.json` and its image bytes
/// as `decoded_image` (read when the row is reached), in the file's order.
fn official_rows(path: &Path) -> anyhow::Result<RowStream> {
    let file = official_file(path)?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let problems = read_json_object(&file, "pid -> problem")?;
    let query_file = dir.join("query.json");
    let queries = if query_file.is_file() {
        read_json_object(&query_file, "pid -> query")?
    } else if problems.values().all(|p| p.get("query").is_some()) {
        serde_json::Map::new()
    } else {
        anyhow::bail!(
            "{}: the problems carry no `query` and there is no query.json beside them; copy \
             query.json from the official release's data/ directory",
            file.display()
        )
    };
    // In pid order, numerically (`2` before `10`), whatever order the JSON map keeps.
    let mut problems: Vec<(String, serde_json::Value)> = problems.into_iter().collect();
    problems.sort_by(|(a, _), (b, _)| {
        (a.parse::<u64>().ok(), a.as_str()).cmp(&(b.parse::<u64>().ok(), b.as_str()))
    });
    let rows = problems
        .into_iter()
        .enumerate()
        .map(move |(i, (pid, problem))| official_row(&file, i + 1, &pid, problem, &queries, &dir));
    Ok(Box::new(rows))
}

fn official_row(
    file: &Path,
    row_no: usize,
    pid: &str,
    problem: serde_json::Value,
    queries: &serde_json::Map<String, serde_json::Value>,
    dir: &Path,
) -> Result<Row, InvalidRow> {
    let mut row = Row::new(format!("{}:{row_no}", file.display()));
    let Value::Struct(fields) = Value::from_json(problem) else {
        return Err(row.invalid(format!("problem {pid:?} is not a JSON object")));
    };
    row.fields = fields;
    row.fields
        .entry("pid".to_string())
        .or_insert_with(|| Value::Str(pid.to_string()));
    if let Some(serde_json::Value::String(query)) = queries.get(pid) {
        row.fields.insert("query".into(), Value::Str(query.clone()));
    }
    let row = flatten_metadata(row);
    let image = row.text("image")?;
    let bytes =
        read_inside(dir, &image).map_err(|e| row.invalid(format!("field `image`: image {e}")))?;
    let mut row = row;
    row.fields
        .insert("decoded_image".into(), Value::Bytes(bytes));
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<MathVista>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("mathvista")
    }

    fn load(format: Format, rel: &str) -> Vec<crate::suite::LoadResult> {
        crate::suite::testing::load(open, format, fixtures().join(rel))
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, fixtures().join(rel))
    }

    fn without_source(items: &[Item]) -> Vec<Item> {
        items
            .iter()
            .map(|i| Item {
                source: String::new(),
                ..i.clone()
            })
            .collect()
    }

    #[test]
    fn all_forms_give_the_same_items_and_gold() {
        let hf = ok_items(Format::HfParquet, "parquet");
        let tsv = ok_items(Format::VlmevalkitTsv, "tsv/MathVista_MINI.tsv");
        let official = ok_items(Format::Official, "official/data");
        assert_eq!(hf.len(), 9);
        assert_eq!(without_source(&hf), without_source(&tsv));
        assert_eq!(without_source(&hf), without_source(&official));
        let gold: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("gold.json")).unwrap()).unwrap();
        for (item, g) in hf.iter().zip(gold["items"].as_array().unwrap()) {
            assert_eq!(item.id, g["pid"].as_str().unwrap());
            assert_eq!(
                item.answers,
                vec![g["answer"].as_str().unwrap().to_string()]
            );
            for key in [
                "question_type",
                "answer_type",
                "task",
                "skills",
                "context",
                "grade",
                "source",
            ] {
                assert_eq!(
                    item.fields[key],
                    g[key].as_str().unwrap(),
                    "{key} of {}",
                    item.id
                );
            }
            assert_eq!(
                item.fields.get("precision").map(String::as_str),
                g["precision"].as_str()
            );
            assert!(item.question.starts_with("Hint: "), "{}", item.question);
            assert_eq!(item.fields["query"], item.question);
            assert_eq!(item.split.as_deref(), Some("testmini"));
        }
        assert!(
            official[0].source.ends_with("testmini.json:1"),
            "{}",
            official[0].source
        );
    }

    #[test]
    fn values_normalise() {
        assert_eq!(integer_precision("1.0"), "1");
        assert_eq!(integer_precision(" 2 "), "2");
        assert_eq!(integer_precision("1.5"), "1.5");
        assert!(is_missing(" nan") && is_missing("None") && !is_missing("m"));
        let c = |t: &[&str]| -> Vec<Choice> {
            t.iter()
                .zip('A'..)
                .map(|(t, l)| Choice {
                    label: l.to_string(),
                    text: t.to_string(),
                })
                .collect()
        };
        assert_eq!(gold_answer("B", "multi_choice", &c(&["2", "4"])), "4");
        assert_eq!(gold_answer("B", "multi_choice", &c(&["A", "B"])), "B");
        assert_eq!(gold_answer("B", "free_form", &c(&[])), "B");
        let mut row = Row::new("x.tsv:1");
        for (k, v) in [
            (
                "skills",
                "['arithmetic reasoning', 'statistical reasoning']",
            ),
            ("choices", "None"),
        ] {
            row.fields.insert(k.into(), Value::Str(v.into()));
        }
        assert_eq!(
            skills(&row).unwrap().as_deref(),
            Some("arithmetic reasoning|statistical reasoning")
        );
        assert!(choices(&row).unwrap().is_empty());
        row.fields
            .insert("skills".into(), Value::Str("logical reasoning".into()));
        assert_eq!(skills(&row).unwrap().as_deref(), Some("logical reasoning"));
        row.fields
            .insert("choices".into(), Value::Str("['a', ['b']]".into()));
        assert!(choices(&row).is_err());
    }

    #[test]
    fn bad_rows_are_reported_and_skipped() {
        let results = load(Format::VlmevalkitTsv, "bad/bad_rows.tsv");
        let bad: Vec<&InvalidRow> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        let expect = [
            ("2", "no gold answer"),
            (
                "3",
                "field `question_type`: expected one of multi_choice, free_form",
            ),
            ("4", "at least two choices for a multi_choice problem"),
            ("5", "field `choices`: expected a list literal"),
        ];
        assert_eq!(bad.len(), expect.len(), "{bad:#?}");
        for (e, (row, fragment)) in bad.iter().zip(expect) {
            assert!(
                e.source.ends_with(&format!("bad_rows.tsv:{row}")),
                "{}",
                e.source
            );
            assert!(e.reason.contains(fragment), "{}: {}", e.source, e.reason);
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    }

    #[test]
    fn missing_official_files_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let source = ResolvedSource {
            format: Format::Official,
            path: tmp.path().to_path_buf(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        };
        let err = open(&source).err().unwrap().to_string();
        assert!(err.contains("testmini.json"), "{err}");
        std::fs::write(
            tmp.path().join("testmini.json"),
            r#"{"1": {"question": "q"}}"#,
        )
        .unwrap();
        let err = open(&source).err().unwrap().to_string();
        assert!(err.contains("query.json"), "{err}");
    }
}
