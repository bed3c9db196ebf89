//! Data of the user's own (`benchmark = "custom"` in a suite card): VLMEvalKit's custom
//! TSV (`index`, `image`, `question`, `answer`; optional `split`, `category`, `hint` and
//! option columns `A`..`Z`), JSONL with image paths, and Hugging Face parquet, with the
//! card's `[columns]` naming which column holds what and the card's `scorer` deciding
//! (relaxed accuracy, exact match, multiple choice, yes/no, ...).
//!
//! - Ids: the `id` column (default `index`, then `id`), as text.
//! - Images: TSV base64 cells (and VLMEvalKit's short references to another row); parquet
//!   Image structs or binary; JSONL a path, or a list of paths, relative to the JSONL
//!   file's folder (never outside it). Several images make a multi-image item.
//! - Answers: a value, or a list of accepted answers.
//! - Options: TSV columns `A`..`Z` (an option exists when its cell is non-empty); parquet and
//!   JSONL a list column (default `options`), labelled A, B, ...
//! - Split: the `split` column when present, else `test`. `category` and every other scalar
//!   column become item fields, so a card's `breakdown` can name any of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::item::{Choice, InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::{Mapping, Repeats};
use super::row::{Row, RowStream, Value, read_inside};
use super::{Format, ResolvedSource, jsonl, tsv};
use crate::card::suite::Columns;

/// Column names after the card's `[columns]` and the defaults.
struct Names {
    id: Option<String>,
    image: String,
    question: String,
    answer: String,
    options: String,
    hint: String,
}

impl Names {
    fn new(columns: Option<&Columns>) -> Self {
        let c = columns.cloned().unwrap_or_default();
        Names {
            id: c.id,
            image: c.image.unwrap_or_else(|| "image".into()),
            question: c.question.unwrap_or_else(|| "question".into()),
            answer: c.answer.unwrap_or_else(|| "answer".into()),
            options: c.options.unwrap_or_else(|| "options".into()),
            hint: c.hint.unwrap_or_else(|| "hint".into()),
        }
    }
}

/// The custom mapping: the columns, the form, and (JSONL) the folder image paths are in.
pub struct Custom {
    names: Names,
    format: Format,
    folder: PathBuf,
}

impl Mapping for Custom {
    const NAME: &'static str = "a custom suite";
    const FORMATS: &'static [Format] = &[Format::VlmevalkitTsv, Format::Jsonl, Format::HfParquet];
    const SOURCES: &'static str = "a VLMEvalKit-style TSV, a JSONL file with image paths, or \
                                   Hugging Face parquet (with the card's [columns])";
    const REPEATS: Repeats = Repeats::Kept;

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let names = Names::new(source.columns.as_ref());
        let path = &source.path;
        let rows = match source.format {
            Format::VlmevalkitTsv => tsv::open(path, &["image", &names.question, &names.answer])?,
            Format::Jsonl => jsonl::open(path)?,
            _ => {
                let dataset = ParquetDataset::open(path)?;
                super::row::require_columns(
                    path,
                    dataset.columns(),
                    &[&names.image, &names.question, &names.answer],
                )?;
                dataset.rows()
            }
        };
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Ok((
            Custom {
                names,
                format: source.format,
                folder,
            },
            rows,
        ))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        let n = &self.names;
        let id = match &n.id {
            Some(column) => row.text(column)?,
            None => row.text("index").or_else(|_| row.text("id"))?,
        };
        let question = row.text(&n.question)?.trim().to_string();
        let answers = match row.get(&n.answer) {
            Some(Value::List(values)) => values.iter().filter_map(Value::as_text).collect(),
            _ => vec![row.text(&n.answer)?],
        };
        if answers.is_empty() {
            return Err(row.unexpected(&n.answer, "an answer or a list of accepted answers"));
        }
        let images = match self.format {
            Format::Jsonl => self.jsonl_images(&row)?,
            _ => row.images(&n.image)?,
        };
        let choices = if self.format == Format::VlmevalkitTsv {
            letter_columns(&row)?
        } else {
            list_options(&row, &n.options)?
        };
        let mut fields = BTreeMap::new();
        for (column, value) in &row.fields {
            let skip = [&n.image, &n.question, &n.answer, &n.options, &n.hint];
            let is_option = column.len() == 1 && column.chars().all(|c| c.is_ascii_uppercase());
            if skip.contains(&column) || is_option || column == "split" {
                continue;
            }
            if let Some(text) = value.as_text() {
                fields.insert(column.clone(), text.trim().to_string());
            }
        }
        Ok(Item {
            id: id.trim().to_string(),
            order: 0,
            source: row.source.clone(),
            question,
            hint: row.opt_text(&n.hint)?.map(|h| h.trim().to_string()),
            choices,
            answers,
            images,
            split: Some(
                row.opt_text("split")?
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "test".into()),
            ),
            fields,
        })
    }
}

impl Custom {
    /// A JSONL row's image path(s), read inside the JSONL file's folder.
    fn jsonl_images(&self, row: &Row) -> Result<Vec<super::ImageData>, InvalidRow> {
        let field = &self.names.image;
        let paths: Vec<String> = match row.get(field) {
            Some(Value::Str(path)) => vec![path.clone()],
            Some(Value::List(items)) => items.iter().filter_map(Value::as_text).collect(),
            _ => vec![],
        };
        if paths.is_empty() {
            return Err(row.unexpected(
                field,
                "an image path (or a list of them) relative to the JSONL file",
            ));
        }
        let mut loaded = Row::new(row.source.clone());
        let bytes: Result<Vec<Value>, InvalidRow> = paths
            .iter()
            .map(|p| {
                read_inside(&self.folder, p)
                    .map(Value::Bytes)
                    .map_err(|e| row.invalid(format!("field `{field}`: {e}")))
            })
            .collect();
        loaded.fields.insert(field.clone(), Value::List(bytes?));
        loaded.images(field)
    }
}

/// VLMEvalKit's option columns `A`..`Z` that are present and non-empty.
fn letter_columns(row: &Row) -> Result<Vec<Choice>, InvalidRow> {
    let mut choices = Vec::new();
    for letter in 'A'..='Z' {
        let label = letter.to_string();
        if let Some(text) = row.opt_text(&label)?
            && !text.trim().is_empty()
        {
            choices.push(Choice {
                label,
                text: text.trim().to_string(),
            });
        }
    }
    Ok(choices)
}

/// A list column of options, labelled A, B, ... (none when the column is absent).
fn list_options(row: &Row, column: &str) -> Result<Vec<Choice>, InvalidRow> {
    if row.get(column).is_none_or(|v| *v == Value::Null) {
        return Ok(vec![]);
    }
    let texts = row.text_list(column)?;
    if texts.len() > 26 {
        return Err(row.unexpected(column, "at most 26 options"));
    }
    Ok(texts
        .into_iter()
        .zip('A'..='Z')
        .map(|(text, letter)| Choice {
            label: letter.to_string(),
            text: text.trim().to_string(),
        })
        .collect())
}
