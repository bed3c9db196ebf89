//! AI2D (science diagrams, multiple choice; VLMEvalKit's `AI2D_TEST`, 3,088 questions): maps its
//! two on-disk forms into [`Item`]s with the same ids.
//!
//! - Hugging Face parquet ([`Format::HfParquet`], `lmms-lab/ai2d`, split `test`): `question`,
//!   `options` (a list of texts), `answer` (the 0-based index of the right option, stored as text
//!   such as `"2"`), `image`.
//! - VLMEvalKit's `AI2D_TEST.tsv` ([`Format::VlmevalkitTsv`]): `index`, `image`, `question`, option
//!   columns `A`..`D` (an option exists when its cell is non-empty), `answer` (a letter), and
//!   optional `category` and `hint`.
//!
//! Neither form carries an id the other shares (the parquet has none; the TSV's `index` is
//! VLMEvalKit's own), so an item's id is `ai2d-{h}`, `h` being the first 12 hex digits of BLAKE3
//! over the question, each option text and the answer letter joined by U+001F (see [`base_id`]).
//! AI2D repeats some questions with identical options on different diagrams: the second and later
//! occurrences get `-2`, `-3`, ... in stream order, so those ids agree across forms only when both
//! list the repeats in the same order. Fields: `question` (for the judge prompt), `category` when
//! the source has it, and `source_id` (the TSV's `index`). The split is `test`.

use std::collections::BTreeMap;

use super::item::{Choice, InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::{Mapping, Repeats};
use super::row::{Row, RowStream, Value, require_columns};
use super::{Format, ResolvedSource, tsv};

/// Which form a row comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `lmms-lab/ai2d`: `options` list, `answer` index.
    Hf,
    /// `AI2D_TEST.tsv`: option columns, `answer` letter, `index`.
    Vlmevalkit,
}

/// AI2D's mapping: which form is read.
pub struct Ai2d {
    form: Form,
}

impl Mapping for Ai2d {
    const NAME: &'static str = "AI2D";
    const FORMATS: &'static [Format] = &[Format::HfParquet, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "Hugging Face parquet (lmms-lab/ai2d: a .parquet file or a \
                                   directory of shards) or VLMEvalKit's AI2D_TEST.tsv";
    const REPEATS: Repeats = Repeats::Suffixed;

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let path = &source.path;
        let (rows, form) = if source.format == Format::HfParquet {
            let dataset = ParquetDataset::open(path)?;
            require_columns(
                path,
                dataset.columns(),
                &["question", "options", "answer", "image"],
            )?;
            (dataset.rows(), Form::Hf)
        } else {
            (
                tsv::open(path, &["image", "question", "answer"])?,
                Form::Vlmevalkit,
            )
        };
        Ok((Self { form }, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item_from_row(&row, self.form)
    }
}

/// One row as an item (the reader numbers it and suffixes a repeated id).
fn item_from_row(row: &Row, form: Form) -> Result<Item, InvalidRow> {
    let question = row.text("question")?.trim().to_string();
    let (choices, answer) = match form {
        Form::Hf => hf_options(row)?,
        Form::Vlmevalkit => tsv_options(row)?,
    };
    let images = row.images("image")?;
    let mut fields = BTreeMap::from([("question".to_string(), question.clone())]);
    if let Some(category) = row.opt_text("category")? {
        fields.insert("category".to_string(), category.trim().to_string());
    }
    if form == Form::Vlmevalkit {
        fields.insert(
            "source_id".to_string(),
            row.text("index")?.trim().to_string(),
        );
    }
    Ok(Item {
        id: base_id(&question, &choices, &answer),
        order: 0,
        source: row.source.clone(),
        question,
        hint: row.opt_text("hint")?.map(|h| h.trim().to_string()),
        choices,
        answers: vec![answer],
        images,
        split: Some("test".to_string()),
        fields,
    })
}

/// `lmms-lab/ai2d`: the `options` list labelled `A`, `B`, ... and the letter of `answer`.
fn hf_options(row: &Row) -> Result<(Vec<Choice>, String), InvalidRow> {
    let texts = row.text_list("options")?;
    if texts.len() > 26 {
        return Err(row.unexpected("options", "at most 26 options"));
    }
    let choices: Vec<Choice> = texts
        .into_iter()
        .zip('A'..='Z')
        .map(|(text, letter)| Choice {
            label: letter.to_string(),
            text: text.trim().to_string(),
        })
        .collect();
    let index = match row.get("answer") {
        Some(Value::Int(i)) => usize::try_from(*i).ok(),
        Some(Value::Str(s)) => s.trim().parse::<usize>().ok(),
        _ => None,
    };
    let expected = format!("the index (0 to {}) of the right option", choices.len() - 1);
    match index.and_then(|i| choices.get(i)) {
        Some(choice) => {
            let label = choice.label.clone();
            Ok((choices, label))
        }
        None => Err(row.unexpected("answer", &expected)),
    }
}

/// VLMEvalKit: the non-empty option columns `A`..`Z` and the `answer` letter.
fn tsv_options(row: &Row) -> Result<(Vec<Choice>, String), InvalidRow> {
    let mut choices = Vec::new();
    for letter in 'A'..='Z' {
        let label = letter.to_string();
        if let Some(text) = row.opt_text(&label)? {
            choices.push(Choice {
                label,
                text: text.trim().to_string(),
            });
        }
    }
    if choices.len() < 2 {
        return Err(row.invalid(
            "fewer than two option columns (A, B, ...) are filled; an AI2D row needs its options",
        ));
    }
    let answer = row.text("answer")?.trim().to_string();
    if !choices.iter().any(|c| c.label == answer) {
        let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
        return Err(row.invalid(format!(
            "field `answer`: {answer:?} is not one of the options' letters [{}]",
            labels.join(", ")
        )));
    }
    Ok((choices, answer))
}

/// `ai2d-{h}`: h = the first 12 hex digits of BLAKE3 over the question, each option text and the
/// answer letter, joined by U+001F (`question \x1f option1 \x1f ... \x1f letter`).
pub fn base_id(question: &str, choices: &[Choice], answer: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(question.as_bytes());
    for choice in choices {
        hasher.update(b"\x1f");
        hasher.update(choice.text.as_bytes());
    }
    hasher.update(b"\x1f");
    hasher.update(answer.as_bytes());
    format!("ai2d-{}", &hasher.finalize().to_hex()[..12])
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<Ai2d>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("ai2d")
    }

    fn load(format: Format, rel: &str) -> Vec<crate::suite::LoadResult> {
        crate::suite::testing::load(open, format, fixtures().join(rel))
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, fixtures().join(rel))
    }

    /// What must agree across forms: everything but the source and the form-only fields.
    fn comparable(items: &[Item]) -> Vec<Item> {
        items
            .iter()
            .map(|i| {
                let mut i = i.clone();
                i.source.clear();
                i.fields.remove("category");
                i.fields.remove("source_id");
                i
            })
            .collect()
    }

    #[test]
    fn both_forms_give_the_same_items_and_gold_ids() {
        let hf = ok_items(Format::HfParquet, "parquet/test.parquet");
        let tsv = ok_items(Format::VlmevalkitTsv, "tsv/AI2D_TEST.tsv");
        assert_eq!(hf.len(), 6);
        assert_eq!(comparable(&hf), comparable(&tsv));
        let gold: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("gold.json")).unwrap()).unwrap();
        let gold = gold["items"].as_array().unwrap();
        for (item, g) in tsv.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.answers[0], g["answer"].as_str().unwrap());
            assert_eq!(item.fields["category"], g["category"].as_str().unwrap());
            assert_eq!(item.fields["source_id"], g["index"].to_string());
        }
        // A repeated question with the same options and answer gets `-2`.
        assert_eq!(hf[3].id, format!("{}-2", hf[2].id));
        assert!(!hf[0].fields.contains_key("category"));
    }

    #[test]
    fn ids_hash_question_options_and_answer() {
        let c = |texts: &[&str]| -> Vec<Choice> {
            texts
                .iter()
                .zip('A'..)
                .map(|(t, l)| Choice {
                    label: l.to_string(),
                    text: t.to_string(),
                })
                .collect()
        };
        let id = base_id("Which label?", &c(&["x", "y"]), "A");
        assert!(id.starts_with("ai2d-") && id.len() == 17, "{id}");
        assert_ne!(id, base_id("Which label?", &c(&["x", "y"]), "B"));
        assert_ne!(id, base_id("Which label?", &c(&["xy"]), "A"));
        assert_ne!(id, base_id("Which label", &c(&["x", "y"]), "A"));
    }

    #[test]
    fn bad_rows_are_reported_and_skipped() {
        let check = |results: Vec<Result<Item, InvalidRow>>,
                     expect: &[(&str, &str)],
                     good: usize| {
            let bad: Vec<&InvalidRow> = results.iter().filter_map(|r| r.as_ref().err()).collect();
            assert_eq!(bad.len(), expect.len(), "{bad:#?}");
            for (e, (row, fragment)) in bad.iter().zip(expect) {
                assert!(e.source.ends_with(&format!(":{row}")), "{}", e.source);
                assert!(e.reason.contains(fragment), "{}: {}", e.source, e.reason);
            }
            assert_eq!(results.iter().filter(|r| r.is_ok()).count(), good);
        };
        check(
            load(Format::HfParquet, "bad/bad.parquet"),
            &[
                ("2", "field `answer`: expected the index (0 to 1)"),
                ("3", "field `options`"),
                ("4", "field `image`"),
            ],
            1,
        );
        check(
            load(Format::VlmevalkitTsv, "bad/bad_rows.tsv"),
            &[
                ("2", "fewer than two option columns"),
                ("3", "is not one of the options' letters [A, B, C]"),
            ],
            1,
        );
    }

    #[test]
    fn official_form_is_refused_with_advice() {
        let source = ResolvedSource {
            format: Format::Official,
            path: fixtures(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        };
        let err = open(&source).err().unwrap().to_string();
        assert!(
            err.contains("lmms-lab/ai2d") && err.contains("AI2D_TEST.tsv"),
            "{err}"
        );
    }
}
