//! MMStar (1,500 vision-indispensable multiple-choice questions, 6 core capabilities x 3 axes):
//! maps its two on-disk forms into [`Item`]s with the same ids.
//!
//! - Hugging Face parquet ([`Format::HfParquet`], `Lin-Chen/MMStar`, split `val`): `index`,
//!   `question` with the options written inline, `image`, `answer` (a letter), `category`,
//!   `l2_category`, `meta_info` {source, split, image_path}. The inline options are parsed into
//!   `choices` by [`split_inline_options`]: MMStar writes `...?\nOptions: A: text, B: text, ...`,
//!   and a few questions use `Choices:` or `(A) text (B) text` instead.
//! - VLMEvalKit's `MMStar.tsv` ([`Format::VlmevalkitTsv`]): `index`, `image`, `question`, option
//!   columns `A`..`D` (an option exists when its cell is non-empty), `answer`, `category`,
//!   `l2-category`, optional `hint`. When the question cell still carries the options inline and
//!   they are the option columns' texts, the inline copy is dropped so that both forms give the
//!   same question (and the same prompt). A TSV without option columns (the `MMStar.tsv` of the
//!   `Lin-Chen/MMStar` repository) has its inline options parsed as for parquet.
//!
//! An item's id is MMStar's own `index` (`0`..`1499`), the same in both forms; its split is
//! `val`, MMStar's only one. Fields:
//! `category` (the capability), `l2_category` (the axis) and `question` (the stem, for the judge
//! prompt). Rows are read lazily; images stay as stored.

use std::collections::BTreeMap;

use super::item::{Choice, InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::Mapping;
use super::row::{Row, RowStream, require_columns};
use super::{Format, ResolvedSource, tsv};

/// MMStar's only split (`meta_info.split` in the parquet; the TSV does not say).
const SPLIT: &str = "val";

/// Where one form keeps each part of an item.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// `l2_category` (parquet) or `l2-category` (VLMEvalKit).
    l2: &'static str,
    /// Options come from `A`..`Z` columns when present (VLMEvalKit) or inline (parquet).
    option_columns: bool,
}

const HF: Layout = Layout {
    l2: "l2_category",
    option_columns: false,
};
const VLMEVALKIT: Layout = Layout {
    l2: "l2-category",
    option_columns: true,
};

/// MMStar's mapping: where the form being read keeps its fields.
pub struct MmStar {
    layout: Layout,
}

impl Mapping for MmStar {
    const NAME: &'static str = "MMStar";
    const FORMATS: &'static [Format] = &[Format::HfParquet, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "Hugging Face parquet (Lin-Chen/MMStar: a .parquet file or a \
                                   directory of shards) or VLMEvalKit's MMStar.tsv";

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let path = &source.path;
        if source.format == Format::VlmevalkitTsv {
            let rows = tsv::open(path, &["image", "question", "answer", "category"])?;
            return Ok((Self { layout: VLMEVALKIT }, rows));
        }
        let dataset = ParquetDataset::open(path)?;
        require_columns(
            path,
            dataset.columns(),
            &[
                "index",
                "question",
                "image",
                "answer",
                "category",
                "l2_category",
            ],
        )?;
        Ok((Self { layout: HF }, dataset.rows()))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item_from_row(&row, self.layout)
    }
}

/// One row as an item (the reader numbers it).
fn item_from_row(row: &Row, layout: Layout) -> Result<Item, InvalidRow> {
    let id = row.text("index")?.trim().to_string();
    let raw_question = row.text("question")?;
    let columns = if layout.option_columns {
        option_columns(row)?
    } else {
        Vec::new()
    };
    let (question, choices) = if columns.is_empty() {
        let (stem, options) = split_inline_options(&raw_question).ok_or_else(|| {
            row.invalid(format!(
                "field `question`: found no options in it (expected `Options: A: ..., B: ...`, \
                 `Choices: ...` or `(A) ... (B) ...`){}",
                if layout.option_columns {
                    " and the row has no option columns A, B, ..."
                } else {
                    ""
                }
            ))
        })?;
        (stem, labelled(options))
    } else {
        let texts: Vec<&str> = columns.iter().map(|c| c.text.as_str()).collect();
        let question = match split_inline_options(&raw_question) {
            Some((stem, inline)) if inline == texts => stem,
            _ => raw_question.trim().to_string(),
        };
        (question, columns)
    };
    let answer = row.text("answer")?.trim().to_string();
    if !choices.iter().any(|c| c.label == answer) {
        let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
        return Err(row.invalid(format!(
            "field `answer`: {answer:?} is not one of the options' letters [{}]",
            labels.join(", ")
        )));
    }
    let images = row.images("image")?;
    let fields = BTreeMap::from([
        (
            "category".to_string(),
            row.text("category")?.trim().to_string(),
        ),
        ("l2_category".to_string(), l2_category(row, layout)?),
        ("question".to_string(), question.clone()),
    ]);
    Ok(Item {
        id,
        order: 0,
        source: row.source.clone(),
        question,
        hint: row.opt_text("hint")?.map(|h| h.trim().to_string()),
        choices,
        answers: vec![answer],
        images,
        split: Some(SPLIT.to_string()),
        fields,
    })
}

/// The axis: `l2-category` in VLMEvalKit's files (`l2_category` is accepted too).
fn l2_category(row: &Row, layout: Layout) -> Result<String, InvalidRow> {
    let field = if row.get(layout.l2).is_none() && row.get(HF.l2).is_some() {
        HF.l2
    } else {
        layout.l2
    };
    Ok(row.text(field)?.trim().to_string())
}

/// VLMEvalKit's options: the non-empty cells of columns `A`, `B`, ... in letter order.
fn option_columns(row: &Row) -> Result<Vec<Choice>, InvalidRow> {
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
    Ok(choices)
}

/// Option texts labelled `A`, `B`, ... in order.
fn labelled(texts: Vec<String>) -> Vec<Choice> {
    texts
        .into_iter()
        .zip('A'..='Z')
        .map(|(text, letter)| Choice {
            label: letter.to_string(),
            text,
        })
        .collect()
}

/// How an inline option label is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LabelStyle {
    /// `A: text` (MMStar's usual form).
    Colon,
    /// `A. text`
    Dot,
    /// `(A) text`
    Paren,
}

impl LabelStyle {
    fn token(self, letter: char) -> String {
        match self {
            LabelStyle::Colon => format!("{letter}:"),
            LabelStyle::Dot => format!("{letter}."),
            LabelStyle::Paren => format!("({letter})"),
        }
    }

    /// The style of the label `A` at the start of `text`, if one is there.
    fn of_first(text: &str) -> Option<LabelStyle> {
        [LabelStyle::Colon, LabelStyle::Paren, LabelStyle::Dot]
            .into_iter()
            .find(|style| text.starts_with(&style.token('A')))
    }
}

/// Splits a question with inline options into its stem and the option texts in order.
///
/// The options start after the last `Options:` (or `Choices:`) marker, or at the first `(A)`
/// when there is no marker. Labels are `A:`, `A.` or `(A)` (the style of `A` is used for the
/// rest) and must run `A`, `B`, `C`, ... in order; a label counts only at the start of the
/// options or after whitespace or a comma, so `ratio A:B` inside an option is not a label. Each
/// text is trimmed of whitespace and of the `,` that separates it from the next label. At least
/// two options are required; otherwise `None`.
pub fn split_inline_options(question: &str) -> Option<(String, Vec<String>)> {
    let (stem, rest) = match ["Options:", "Choices:"]
        .iter()
        .find_map(|m| question.rfind(m).map(|i| (i, m.len())))
    {
        Some((at, len)) => (&question[..at], &question[at + len..]),
        None => {
            let at = question.find("(A)")?;
            (&question[..at], &question[at..])
        }
    };
    let rest = rest.trim_start();
    let style = LabelStyle::of_first(rest)?;
    let mut texts = Vec::new();
    let mut start = style.token('A').len();
    for next in ('B'..='Z').map(Some).chain(std::iter::once(None)) {
        let end = next.and_then(|letter| find_label(rest, &style.token(letter), start));
        let text = &rest[start..end.unwrap_or(rest.len())];
        texts.push(text.trim().trim_end_matches(',').trim().to_string());
        match (end, next) {
            (Some(at), Some(letter)) => start = at + style.token(letter).len(),
            _ => break,
        }
    }
    if texts.len() < 2 || texts.iter().any(String::is_empty) {
        return None;
    }
    Some((stem.trim().to_string(), texts))
}

/// The first position at or after `from` where `token` starts after whitespace or a comma.
fn find_label(text: &str, token: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text.get(at..)?.find(token) {
        let pos = at + i;
        let before = text[..pos].chars().next_back();
        if before.is_none_or(|c| c.is_whitespace() || c == ',') {
            return Some(pos);
        }
        at = pos + token.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<MmStar>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("mmstar")
    }

    fn load(format: Format, rel: &str) -> Vec<crate::suite::LoadResult> {
        crate::suite::testing::load(open, format, fixtures().join(rel))
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, fixtures().join(rel))
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mmstar_inline_options_parse() {
        let q = "Which option describe the object relationship in the image correctly?\nOptions: \
                 A: The suitcase is on the book., B: The suitcase is beneath the cat., C: The \
                 suitcase is beneath the bed., D: The suitcase is beneath the book.";
        let (stem, options) = split_inline_options(q).unwrap();
        assert_eq!(
            stem,
            "Which option describe the object relationship in the image correctly?"
        );
        assert_eq!(
            options,
            strings(&[
                "The suitcase is on the book.",
                "The suitcase is beneath the cat.",
                "The suitcase is beneath the bed.",
                "The suitcase is beneath the book.",
            ])
        );
    }

    #[test]
    fn other_inline_forms_parse() {
        // Commas inside an option and `A:B` inside a text are not separators.
        let (stem, options) =
            split_inline_options("What is the ratio?\nOptions: A: 1, 2, B: ratio A:B, C: 3")
                .unwrap();
        assert_eq!(stem, "What is the ratio?");
        assert_eq!(options, strings(&["1, 2", "ratio A:B", "3"]));
        let (stem, options) =
            split_inline_options("How many cubes?\nChoices:\n(A) 3\n(B) 4\n(C) 5\n(D) 6").unwrap();
        assert_eq!(stem, "How many cubes?");
        assert_eq!(options, strings(&["3", "4", "5", "6"]));
        let (stem, options) = split_inline_options("Which is larger? (A) x (B) y").unwrap();
        assert_eq!(
            (stem.as_str(), options),
            ("Which is larger?", strings(&["x", "y"]))
        );
        let (_, options) = split_inline_options("Pick one.\nOptions: A. red\nB. blue").unwrap();
        assert_eq!(options, strings(&["red", "blue"]));
        // The last marker counts: an earlier "Options:" in the stem is text.
        let (stem, _) = split_inline_options("Options: which fits?\nOptions: A: a, B: b").unwrap();
        assert_eq!(stem, "Options: which fits?");
    }

    #[test]
    fn questions_without_options_do_not_parse() {
        assert_eq!(split_inline_options("How many birds are there?"), None);
        assert_eq!(split_inline_options("Options: A: only one"), None);
        assert_eq!(split_inline_options("Options: B: no A"), None);
        assert_eq!(split_inline_options("Options: A: , B: x"), None);
    }

    #[test]
    fn both_forms_give_the_same_items() {
        let hf = ok_items(Format::HfParquet, "parquet");
        let tsv = ok_items(Format::VlmevalkitTsv, "tsv/MMStar.tsv");
        assert_eq!(hf.len(), 8);
        let without_source = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|i| Item {
                    source: String::new(),
                    ..i.clone()
                })
                .collect()
        };
        assert_eq!(without_source(&hf), without_source(&tsv));
        let gold: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixtures().join("gold.json")).unwrap()).unwrap();
        for (item, g) in hf.iter().zip(gold["items"].as_array().unwrap()) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(
                item.answers,
                vec![g["answer"].as_str().unwrap().to_string()]
            );
            assert_eq!(item.fields["category"], g["category"].as_str().unwrap());
            assert_eq!(
                item.fields["l2_category"],
                g["l2_category"].as_str().unwrap()
            );
            assert_eq!(item.choices.len(), g["choices"].as_array().unwrap().len());
        }
        assert!(hf[0].source.ends_with(".parquet:1"), "{}", hf[0].source);
        assert!(tsv[7].source.ends_with("MMStar.tsv:8"), "{}", tsv[7].source);
    }

    #[test]
    fn bad_rows_are_reported_and_skipped() {
        let results = load(Format::VlmevalkitTsv, "bad/bad_rows.tsv");
        let reasons: Vec<(String, String)> = results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| {
                (
                    e.source.rsplit(':').next().unwrap().to_string(),
                    e.reason.clone(),
                )
            })
            .collect();
        let good: Vec<&str> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(good, vec!["0"]);
        let expect = [
            ("2", "found no options"),
            ("3", "is not one of the options' letters [A, B]"),
            ("4", "field `category`"),
            ("5", "field `image`"),
        ];
        assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
        for ((row, reason), (want_row, fragment)) in reasons.iter().zip(expect) {
            assert_eq!(row, want_row, "{reason}");
            assert!(reason.contains(fragment), "row {row}: {reason}");
        }
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
            err.contains("Lin-Chen/MMStar") && err.contains("MMStar.tsv"),
            "{err}"
        );
    }
}
