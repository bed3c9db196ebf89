//! MMMU (validation: 900 questions, 30 subjects in 6 disciplines): maps its two on-disk forms
//! into [`Item`]s with the same ids, prompts and images.
//!
//! - Hugging Face parquet ([`Format::HfParquet`], `MMMU/MMMU`, one configuration per subject):
//!   a `.parquet` file, a directory of them, or the dataset's root whose subject folders
//!   (`Accounting/`, ...) hold `validation-*.parquet` (read in subject order). Columns: `id`
//!   (`validation_Accounting_1`), `question`, `options` (a Python list literal, `[]` for open
//!   questions), `answer`, `image_1`..`image_7` (Image structs, unused ones null),
//!   `question_type` (`multiple-choice` | `open`), `subfield`, `topic_difficulty`.
//! - VLMEvalKit's `MMMU_DEV_VAL.tsv` ([`Format::VlmevalkitTsv`]): `index`, `question`, option
//!   columns `A`..`I`, `answer`, `image` (one base64 image or a `[...]` list of them, in
//!   `image_1`.. order), optional `id`, `category` (the subject), `split` (`dev` |
//!   `validation`). A row without options is an open question (VLMEvalKit's
//!   `MMMU_preproc` instead turns those into two-option questions; evalkit scores them as MMMU
//!   does). Rows of other splits than `validation` (the 5-shot `dev` rows) are skipped: the
//!   benchmark is the validation set.
//!
//! The subject is `"_".join(id.split("_")[1:-1])`, as the official `main_eval_only.py` groups
//! (the TSV's `category` when there is no `id`), and the discipline comes from the official
//! `DOMAIN_CAT2SUB_CAT` (`mmmu/utils/data_utils.py`, MMMU-Benchmark/MMMU `bb0b95a`).
//!
//! Images and `<image n>` placeholders: the item's images are `image_1`, `image_2`, ... in
//! that order, and the question and options keep their `<image n>` placeholders, so `<image n>`
//! is the n-th image of the request (a placeholder naming an image the row lacks makes the row
//! invalid). Requests carry the images before the text (evalkit's request shape);
//! VLMEvalKit splits the text at the placeholders and interleaves them (`split_MMMU`), and the
//! official `run_llava.py` sends `image_1` only.
//!
//! The prompt is the official one (`mmmu/configs/llava1.5.yaml` as YAML reads it, filled by
//! `construct_prompt`): multiple choice `{question}\n(A) ...\n(B) ...\n\nAnswer with the
//! option's letter from the given choices directly.`, open `{question}\nAnswer the question
//! using a single word or phrase.`; the item carries the two variable parts as the fields
//! `prompt_options` and `prompt_instruction`, which the card's prompt names.
//!
//! Fields: `question_type`, `subject`, `discipline`, `question` (the stem), and the two prompt
//! parts. Gold: the letter, or the open answer (a list literal such as `['$MgS$', 'MgS']` gives
//! several).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::item::{Choice, ImageData, InvalidRow, Item, LoadResult};
use super::parquet::ParquetDataset;
use super::reader::{Items, Mapping};
use super::row::{Row, RowStream, Value, parse_list_literal, require_columns};
use super::{Format, ResolvedSource, tsv};

/// The question type of MMMU's multiple-choice questions (`question_type`); anything else is
/// an open question, as the official `evaluate` treats it.
pub const MULTIPLE_CHOICE: &str = "multiple-choice";

/// The split MMMU's figures are reported on.
pub const SPLIT: &str = "validation";

/// `DOMAIN_CAT2SUB_CAT` of the official `data_utils.py`.
pub const DISCIPLINES: &[(&str, &[&str])] = &[
    ("Art and Design", &["Art", "Art_Theory", "Design", "Music"]),
    (
        "Business",
        &["Accounting", "Economics", "Finance", "Manage", "Marketing"],
    ),
    (
        "Science",
        &["Biology", "Chemistry", "Geography", "Math", "Physics"],
    ),
    (
        "Health and Medicine",
        &[
            "Basic_Medical_Science",
            "Clinical_Medicine",
            "Diagnostics_and_Laboratory_Medicine",
            "Pharmacy",
            "Public_Health",
        ],
    ),
    (
        "Humanities and Social Science",
        &["History", "Literature", "Sociology", "Psychology"],
    ),
    (
        "Tech and Engineering",
        &[
            "Agriculture",
            "Architecture_and_Engineering",
            "Computer_Science",
            "Electronics",
            "Energy_and_Power",
            "Materials",
            "Mechanical_Engineering",
        ],
    ),
];

/// The discipline of a subject, `None` for a name MMMU does not have.
pub fn discipline(subject: &str) -> Option<&'static str> {
    DISCIPLINES
        .iter()
        .find(|(_, subjects)| subjects.contains(&subject))
        .map(|(d, _)| *d)
}

/// The official instruction after multiple-choice options.
pub const CHOICE_INSTRUCTION: &str =
    "Answer with the option's letter from the given choices directly.";
/// The official instruction after an open question.
pub const OPEN_INSTRUCTION: &str = "Answer the question using a single word or phrase.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Hf,
    Vlmevalkit,
}

/// MMMU's mapping: which form is being read.
pub struct Mmmu {
    form: Form,
}

impl Mapping for Mmmu {
    const NAME: &'static str = "MMMU";
    const FORMATS: &'static [Format] = &[Format::HfParquet, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "Hugging Face parquet (MMMU/MMMU: the dataset's folder of \
                                   subject configurations, one subject's folder or a .parquet \
                                   file) or VLMEvalKit's MMMU_DEV_VAL.tsv";

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let path = &source.path;
        if source.format == Format::VlmevalkitTsv {
            let rows = tsv::open(path, &["image", "question", "answer"])?;
            return Ok((
                Self {
                    form: Form::Vlmevalkit,
                },
                rows,
            ));
        }
        let mut streams = Vec::new();
        for dir in parquet_sources(path)? {
            let dataset = ParquetDataset::open(&dir)?;
            require_columns(
                &dir,
                dataset.columns(),
                &[
                    "id",
                    "question",
                    "options",
                    "answer",
                    "image_1",
                    "question_type",
                ],
            )?;
            streams.push(dataset.rows());
        }
        let rows: RowStream = Box::new(streams.into_iter().flatten());
        Ok((Self { form: Form::Hf }, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item_from_row(&row, self.form)
    }

    fn items(&mut self, row: Row) -> Items {
        if self.form == Form::Vlmevalkit {
            match row.opt_text("split") {
                Ok(Some(split)) if split.trim() != SPLIT => return Items::many(Vec::new()),
                Err(bad) => return Items::one(Err(bad)),
                _ => {}
            }
        }
        Items::one(self.item(row))
    }
}

/// The parquet files or folders to read: `path` itself when it holds parquet, else its
/// subject folders' `validation-*.parquet` files in name order.
fn parquet_sources(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let has_parquet = |dir: &Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        })
    };
    if path.is_file() || has_parquet(path) || super::arrow_disk::is_save_to_disk(path) {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", path.display()))?;
    let mut subjects: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    let mut files = Vec::new();
    for dir in subjects {
        // A subject saved with `save_to_disk`: its validation split (a DatasetDict) or itself.
        if super::arrow_disk::is_save_to_disk(&dir) {
            let split = dir.join(SPLIT);
            files.push(if super::arrow_disk::is_save_to_disk(&split) {
                split
            } else {
                dir
            });
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "parquet")
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(SPLIT))
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        anyhow::bail!(
            "{}: no parquet files here nor in subject folders (`Accounting/validation-*.parquet`, \
             ...); point at MMMU/MMMU's download, one subject's folder or a .parquet file",
            path.display()
        );
    }
    Ok(files)
}

/// The subject in an MMMU id (`validation_Art_Theory_12` -> `Art_Theory`).
pub fn subject_of(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.split('_').collect();
    (parts.len() >= 3).then(|| parts[1..parts.len() - 1].join("_"))
}

fn item_from_row(row: &Row, form: Form) -> Result<Item, InvalidRow> {
    let question = row.text("question")?.trim().to_string();
    let id = match (form, row.opt_text("id")?) {
        (_, Some(id)) => id.trim().to_string(),
        (Form::Vlmevalkit, None) => row.text("index")?.trim().to_string(),
        (Form::Hf, None) => return Err(row.unexpected("id", "the MMMU id")),
    };
    let subject = match (subject_of(&id), row.opt_text("category")?) {
        (Some(s), _) if discipline(&s).is_some() => s,
        (_, Some(c)) => c.trim().replace(' ', "_"),
        (Some(s), None) => s,
        (None, None) => {
            return Err(row.invalid(format!(
                "id {id:?} does not name an MMMU subject (`validation_<Subject>_<n>`) and there \
                 is no `category` column"
            )));
        }
    };
    let Some(discipline) = discipline(&subject) else {
        return Err(row.invalid(format!(
            "subject {subject:?} is not one of MMMU's 30 subjects (DOMAIN_CAT2SUB_CAT)"
        )));
    };
    let texts = match form {
        Form::Hf => {
            let raw = row.text("options")?;
            parse_list_literal(&raw).ok_or_else(|| {
                row.unexpected("options", "a Python list literal such as ['a', 'b'] or []")
            })?
        }
        Form::Vlmevalkit => {
            let mut texts = Vec::new();
            for letter in 'A'..='Z' {
                match row.opt_text(&letter.to_string())? {
                    Some(t) if !t.trim().is_empty() => texts.push(t),
                    _ => break,
                }
            }
            texts
        }
    };
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
    let question_type = match (form, row.opt_text("question_type")?) {
        (Form::Hf, Some(t)) => t.trim().to_string(),
        _ if choices.is_empty() => "open".to_string(),
        _ => MULTIPLE_CHOICE.to_string(),
    };
    let multiple_choice = question_type == MULTIPLE_CHOICE;
    let raw_answer = row.text("answer")?.trim().to_string();
    let answers = if multiple_choice {
        if choices.is_empty() {
            return Err(row.unexpected("options", "options for a multiple-choice question"));
        }
        if !choices.iter().any(|c| c.label == raw_answer) {
            let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
            return Err(row.invalid(format!(
                "field `answer`: {raw_answer:?} is not one of the options' letters [{}]",
                labels.join(", ")
            )));
        }
        vec![raw_answer]
    } else {
        parse_list_literal(&raw_answer)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| vec![raw_answer.clone()])
    };
    let images = match form {
        Form::Vlmevalkit => row.images("image")?,
        Form::Hf => hf_images(row)?,
    };
    check_placeholders(row, &question, &choices, images.len())?;
    let prompt_options = if multiple_choice {
        let lines: String = choices
            .iter()
            .map(|c| format!("({}) {}\n", c.label, c.text))
            .collect();
        format!("{lines}\n")
    } else {
        String::new()
    };
    let instruction = if multiple_choice {
        CHOICE_INSTRUCTION
    } else {
        OPEN_INSTRUCTION
    };
    let fields = BTreeMap::from([
        ("question".to_string(), question.clone()),
        ("question_type".to_string(), question_type),
        ("subject".to_string(), subject),
        ("discipline".to_string(), discipline.to_string()),
        ("prompt_options".to_string(), prompt_options),
        ("prompt_instruction".to_string(), instruction.to_string()),
    ]);
    Ok(Item {
        id,
        order: 0,
        source: row.source.clone(),
        question,
        hint: None,
        choices,
        answers,
        images,
        split: Some(SPLIT.to_string()),
        fields,
    })
}

/// `image_1`..`image_7` in order, stopping at the first empty one.
fn hf_images(row: &Row) -> Result<Vec<ImageData>, InvalidRow> {
    let mut images = Vec::new();
    for n in 1..=7 {
        let field = format!("image_{n}");
        let empty = match row.get(&field) {
            None | Some(Value::Null) => true,
            // An Image struct whose bytes are null: the column is there, the image is not.
            Some(Value::Struct(parts)) => matches!(parts.get("bytes"), None | Some(Value::Null)),
            Some(_) => false,
        };
        if empty {
            break;
        }
        images.extend(row.images(&field)?);
    }
    if images.is_empty() {
        return Err(row.unexpected("image_1", "an image"));
    }
    Ok(images)
}

/// Every `<image n>` in the question and options names an image the row has.
fn check_placeholders(
    row: &Row,
    question: &str,
    choices: &[Choice],
    count: usize,
) -> Result<(), InvalidRow> {
    for text in std::iter::once(question).chain(choices.iter().map(|c| c.text.as_str())) {
        for (at, _) in text.match_indices("<image ") {
            let digits: String = text[at + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let closed = text[at + 7 + digits.len()..].starts_with('>');
            match digits.parse::<usize>() {
                Ok(n) if closed && (n == 0 || n > count) => {
                    return Err(row.invalid(format!(
                        "the text names <image {n}> but the row has {count} image(s)"
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(source: &ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<Mmmu>(source)
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(
            open,
            format,
            crate::suite::testing::fixtures("mmmu").join(rel),
        )
    }

    #[test]
    fn subjects_and_disciplines() {
        assert_eq!(
            subject_of("validation_Art_Theory_12").as_deref(),
            Some("Art_Theory")
        );
        assert_eq!(discipline("Art_Theory"), Some("Art and Design"));
        assert_eq!(
            discipline("Psychology"),
            Some("Humanities and Social Science")
        );
        assert_eq!(discipline("Cooking"), None);
        assert_eq!(DISCIPLINES.iter().map(|(_, s)| s.len()).sum::<usize>(), 30);
    }

    #[test]
    fn both_forms_give_the_same_items() {
        let hf = ok_items(Format::HfParquet, "parquet");
        let one_subject = ok_items(Format::HfParquet, "parquet/Accounting");
        let tsv = ok_items(Format::VlmevalkitTsv, "tsv/MMMU_DEV_VAL.tsv");
        assert_eq!(hf.len(), 5, "{hf:#?}");
        assert_eq!(one_subject.len(), 2);
        let strip = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|i| Item {
                    source: String::new(),
                    ..i.clone()
                })
                .collect()
        };
        assert_eq!(strip(&hf), strip(&tsv), "the dev row is skipped");
        let multi = hf
            .iter()
            .find(|i| i.images.len() == 2)
            .expect("a multi-image item");
        assert!(multi.question.contains("<image 2>"));
        let open_item = hf
            .iter()
            .find(|i| i.fields["question_type"] == "open")
            .expect("an open item");
        assert!(open_item.choices.is_empty());
        assert_eq!(open_item.fields["prompt_options"], "");
        let mc = &hf[0];
        assert_eq!(
            mc.fields["prompt_options"],
            "(A) $6\n(B) $7\n(C) $8\n(D) $9\n\n"
        );
    }
}
