//! CharXiv: maps its official release and VLMEvalKit's TSVs into [`Item`]s.
//!
//! - Official release ([`Format::Official`], princeton-nlp/CharXiv): `data/descriptive_val.json`
//!   and `data/reasoning_val.json` (objects keyed by figure id), optional
//!   `data/image_metadata_val.json` (its `category`, e.g. `cs`, becomes the `subject` field)
//!   and `images/<figure_id>.jpg`. `--data` may name the repository (or any directory holding
//!   `data/` and `images/`), the `data/` directory itself, or one of the two JSON files (then
//!   only that half is read). Descriptive items come first, then reasoning; figures in
//!   ascending id order, as the files list them.
//!   - Descriptive entry `{figure_id, num_subplots, subplot_loc, qids: [4 template ids],
//!     answers: [4]}`: one item per question, asked as `src/descriptive_utils.py` builds it:
//!     the template's instruction (`prompts/charxiv_descriptive_questions.txt`) after the
//!     subplot phrase ("For the current plot, " when `subplot_loc` is `[0, 0]`, "For the
//!     subplot at row R and column C, ", or "For `<text>`, " when it is text; none for
//!     templates 18 and 19).
//!   - Reasoning entry `{figure_id, query, answer, inst_category 1-4, qa_source}`: the query
//!     followed by its category's instruction (`prompts/charxiv_reasoning_questions.txt`);
//!     category 4 (number-in-general) also says how many decimal places the answer has, as
//!     `get_number_instruction` does.
//! - VLMEvalKit ([`Format::VlmevalkitTsv`], `CharXiv_descriptive_val.tsv`,
//!   `CharXiv_reasoning_val.tsv`): `index`, `image`, `question` (already carrying the
//!   instruction), `answer`, `grading_query` (the judge prompt with `{PREDICTION}`), `qid`
//!   (descriptive) or `inst_category` (reasoning). A row is descriptive when it has a `qid`,
//!   reasoning when it has an `inst_category`; otherwise the file name decides. Columns
//!   `figure_id` and `subq_idx` are used when present.
//!
//! Ids: `descriptive-<figure_id>-<i>` (i = the question's position 0-3 among the figure's
//! four, the official `<figure_id>_<i>` key) and `reasoning-<figure_id>`, the same in both
//! forms. A TSV row without `figure_id` cannot be matched to the release and gets
//! `descriptive-tsv<index>` / `reasoning-tsv<index>`; without `subq_idx` the position is the
//! count of earlier rows of the same figure.
//!
//! Fields: `split` (`descriptive` | `reasoning`), `figure_id`, `subject` (when known);
//! descriptive `qid`, `question_type` (the template's short name, e.g. `title`) and `skill`
//! (VLMEvalKit's grouping: Information Extraction, Enumeration, Pattern Recognition, Counting,
//! Compositionality); reasoning `inst_category` (`text-in-chart`, `text-in-general`,
//! `number-in-chart`, `number-in-general`) and `query` (the question without its instruction,
//! which the judge prompt quotes); from a TSV, `grading_query`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::charxiv_templates::{
    inst_category_name, inst_category_number, question_type, sections, skill,
};
use super::item::{ImageData, InvalidRow, Item, LoadResult};
use super::reader::{Items, Mapping};
use super::row::{Row, RowStream, Value, read_inside, read_json};
use super::{Format, ResolvedSource, tsv};

const DESCRIPTIVE: &str = "descriptive";
const REASONING: &str = "reasoning";

const DESCRIPTIVE_QUESTIONS: &str = include_str!("../../prompts/charxiv_descriptive_questions.txt");
const REASONING_QUESTIONS: &str = include_str!("../../prompts/charxiv_reasoning_questions.txt");

/// The question templates, parsed once.
struct Questions {
    descriptive: BTreeMap<&'static str, &'static str>,
    reasoning: BTreeMap<&'static str, &'static str>,
}

fn questions() -> &'static Questions {
    static QUESTIONS: OnceLock<Questions> = OnceLock::new();
    QUESTIONS.get_or_init(|| Questions {
        descriptive: sections(DESCRIPTIVE_QUESTIONS),
        reasoning: sections(REASONING_QUESTIONS),
    })
}

/// Where a descriptive question points in the figure (`subplot_loc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubplotLoc {
    /// `[row, column]`; `[0, ...]` means the figure has one plot.
    Grid(i64, i64),
    /// A description such as "the bottom subplot".
    Text(String),
}

/// The descriptive question for template `qid` about `loc`, as `descriptive_query_helper`
/// builds it; `None` for an unknown template.
pub fn descriptive_question(qid: u8, loc: &SubplotLoc) -> Option<String> {
    let template = questions().descriptive.get(qid.to_string().as_str())?;
    let prefix = match loc {
        _ if qid == 18 || qid == 19 => String::new(),
        SubplotLoc::Grid(0, _) => "For the current plot, ".to_string(),
        SubplotLoc::Grid(row, col) => format!("For the subplot at row {row} and column {col}, "),
        SubplotLoc::Text(text) => format!("For {text}, "),
    };
    Some(template.replacen("{prefix}", &prefix, 1))
}

/// The reasoning question for `query` in `inst_category` 1-4 (the gold `answer` sets the
/// number of decimal places category 4 asks for), as `build_reasoning_queries` builds it.
pub fn reasoning_question(category: u8, query: &str, answer: &str) -> Option<String> {
    let q = &questions().reasoning;
    let template = q.get(category.to_string().as_str())?;
    // `get_number_instruction`: the part after the first `.` counts the decimal places.
    let number = match answer.split('.').nth(1) {
        None => q.get("integer")?.to_string(),
        Some(decimals) => {
            q.get("decimal")?
                .replacen("{places}", &decimals.chars().count().to_string(), 1)
        }
    };
    // The query goes in last, so a `{number_instruction}` inside it stays as written.
    let with_number = if category == 4 {
        template.replacen("{number_instruction}", &number, 1)
    } else {
        template.to_string()
    };
    Some(with_number.replacen("{question}", query, 1))
}

/// CharXiv's mapping: for the official release, its images and figure subjects; for a TSV,
/// what its file name says and each figure's count of descriptive rows so far.
pub struct CharXiv {
    /// `images/` and figure id -> subject, when reading the official release.
    release: Option<(PathBuf, HashMap<String, String>)>,
    /// The half a TSV's file name says it holds.
    file_mode: Option<&'static str>,
    /// Descriptive rows seen per figure (a TSV without `subq_idx`).
    seen: HashMap<String, u32>,
}

impl Mapping for CharXiv {
    const NAME: &'static str = "CharXiv";
    const FORMATS: &'static [Format] = &[Format::Official, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "its official release (data/descriptive_val.json, \
                                   data/reasoning_val.json, images/) or VLMEvalKit's \
                                   CharXiv_descriptive_val.tsv / CharXiv_reasoning_val.tsv";
    const CHART_FIELDS: &'static [&'static str] = &["figure_id", "subject"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        if source.format == Format::VlmevalkitTsv {
            return from_tsv(&source.path);
        }
        official(&source.path)
    }

    /// A descriptive entry of the release holds (usually four) questions on one figure.
    fn items(&mut self, row: Row) -> Items {
        let descriptive = matches!(row.get(SPLIT), Some(Value::Str(s)) if s == DESCRIPTIVE);
        match &self.release {
            Some((images, subjects)) if descriptive => {
                let key = entry_key(&row);
                let subject = subjects.get(&key).cloned();
                Items::many(descriptive_entry(&row, &key, images, subject))
            }
            _ => Items::one(self.item(row)),
        }
    }

    fn item(&mut self, row: Row) -> LoadResult {
        match &self.release {
            Some((images, subjects)) => {
                let key = entry_key(&row);
                let subject = subjects.get(&key).cloned();
                reasoning_entry(&row, &key, images, subject)
            }
            None => self.tsv_item(&row),
        }
    }

    /// Figures are named by their id (`figure_id`), when the data gives it.
    fn chart_id(&self, item: &Item) -> Option<String> {
        item.fields.get("figure_id").map(|f| format!("figure-{f}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Official release
// ---------------------------------------------------------------------------------------------

/// The fields the release's rows add to each entry: the key it is filed under and the half
/// (`descriptive` | `reasoning`) its file holds.
const KEY: &str = "key";
const SPLIT: &str = "split";

/// The key an entry of the release is filed under.
fn entry_key(row: &Row) -> String {
    match row.get(KEY) {
        Some(Value::Str(key)) => key.clone(),
        _ => String::new(),
    }
}

/// The annotation files to read, the image directory and the figure subjects.
struct Release {
    files: Vec<(PathBuf, &'static str)>,
    images: PathBuf,
    subjects: HashMap<String, String>,
}

/// The release's entries as rows, descriptive first, each with its `key` and `split`.
fn official(path: &Path) -> anyhow::Result<(CharXiv, RowStream)> {
    let release = locate_release(path)?;
    let mut files = Vec::new();
    for (file, mode) in &release.files {
        files.push((file.clone(), *mode, read_entries(file)?));
    }
    let rows = files.into_iter().flat_map(|(file, mode, entries)| {
        entries
            .into_iter()
            .enumerate()
            .map(move |(n, (key, entry))| {
                let mut row = Row::new(format!("{}:{}", file.display(), n + 1));
                let Value::Struct(fields) = Value::from_json(entry) else {
                    return Err(row.invalid(format!("entry {key:?} is not a JSON object")));
                };
                row.fields = fields;
                row.fields.insert(KEY.into(), Value::Str(key));
                row.fields.insert(SPLIT.into(), Value::Str(mode.into()));
                Ok(row)
            })
    });
    let mapping = CharXiv {
        release: Some((release.images, release.subjects)),
        file_mode: None,
        seen: HashMap::new(),
    };
    Ok((mapping, Box::new(rows)))
}

/// Finds the annotation files, images and metadata from what `--data` names.
fn locate_release(path: &Path) -> anyhow::Result<Release> {
    let how = "a CharXiv release holds data/descriptive_val.json, data/reasoning_val.json and \
               images/<figure_id>.jpg (clone https://github.com/princeton-nlp/CharXiv and \
               unpack its images)";
    let (data_dir, files) = if path.is_file() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mode = if name.contains(DESCRIPTIVE) {
            DESCRIPTIVE
        } else if name.contains(REASONING) {
            REASONING
        } else {
            anyhow::bail!(
                "{}: not a CharXiv annotation file (its name must contain `descriptive` or \
                 `reasoning`); {how}",
                path.display()
            );
        };
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        (dir, vec![(path.to_path_buf(), mode)])
    } else {
        let data_dir = if path.join("data").join("descriptive_val.json").is_file()
            || path.join("data").join("reasoning_val.json").is_file()
        {
            path.join("data")
        } else {
            path.to_path_buf()
        };
        let files: Vec<(PathBuf, &'static str)> = [
            ("descriptive_val.json", DESCRIPTIVE),
            ("reasoning_val.json", REASONING),
        ]
        .into_iter()
        .map(|(name, mode)| (data_dir.join(name), mode))
        .filter(|(file, _)| file.is_file())
        .collect();
        if files.is_empty() {
            anyhow::bail!(
                "{}: no descriptive_val.json or reasoning_val.json here or in data/; {how}",
                path.display()
            );
        }
        (data_dir, files)
    };
    let images = [data_dir.join("images"), data_dir.join("..").join("images")]
        .into_iter()
        .find(|d| d.is_dir())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no images/ directory next to the annotation files or one level up; {how}",
                data_dir.display()
            )
        })?;
    let split = files
        .first()
        .and_then(|(f, _)| f.file_stem().and_then(|s| s.to_str()))
        .and_then(|s| s.rsplit('_').next())
        .unwrap_or("val")
        .to_string();
    let subjects = read_subjects(&data_dir.join(format!("image_metadata_{split}.json")))?;
    Ok(Release {
        files,
        images,
        subjects,
    })
}

/// Figure id -> `category` from `image_metadata_<split>.json`; empty when the file is absent.
fn read_subjects(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    if !path.is_file() {
        return Ok(HashMap::new());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a JSON object of figure metadata ({e}); fix or remove the file",
            path.display()
        )
    })?;
    let Some(map) = json.as_object() else {
        anyhow::bail!(
            "{}: expected a JSON object keyed by figure id; fix or remove the file",
            path.display()
        );
    };
    Ok(map
        .iter()
        .filter_map(|(k, v)| {
            let category = v.get("category")?.as_str()?;
            Some((k.clone(), category.to_string()))
        })
        .collect())
}

/// The entries of an annotation file (a JSON object keyed by figure id), in ascending
/// numeric id order.
fn read_entries(path: &Path) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    let json = read_json(path, "an object keyed by figure id", None)?;
    let serde_json::Value::Object(map) = json else {
        anyhow::bail!(
            "{}: expected a JSON object keyed by figure id, found {}",
            path.display(),
            kind(&json)
        );
    };
    let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
    entries.sort_by(
        |(a, _), (b, _)| match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        },
    );
    Ok(entries)
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The entry's figure id (`figure_id`, else the key it is filed under).
fn figure_id(row: &Row, key: &str) -> Result<String, InvalidRow> {
    Ok(row
        .opt_text("figure_id")?
        .unwrap_or_else(|| key.to_string()))
}

/// `images/<figure_id>.jpg`, read when the entry is reached.
fn figure_image(row: &Row, images: &Path, figure: &str) -> Result<ImageData, InvalidRow> {
    let bytes = read_inside(images, &format!("{figure}.jpg"))
        .map_err(|e| row.invalid(format!("figure {figure}: image {e}")))?;
    ImageData::from_bytes(bytes).map_err(|e| {
        row.invalid(format!(
            "figure {figure}: images/{figure}.jpg: {e}; replace it with the release's image"
        ))
    })
}

/// The base fields every CharXiv item has.
fn base_fields(mode: &str, figure: &str, subject: Option<String>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::from([
        ("split".to_string(), mode.to_string()),
        ("figure_id".to_string(), figure.to_string()),
    ]);
    if let Some(subject) = subject {
        fields.insert("subject".to_string(), subject);
    }
    fields
}

fn descriptive_fields(qid: u8, figure: &str, subject: Option<String>) -> BTreeMap<String, String> {
    let mut fields = base_fields(DESCRIPTIVE, figure, subject);
    fields.insert("qid".to_string(), qid.to_string());
    if let (Some(name), Some(skill)) = (question_type(qid), skill(qid)) {
        fields.insert("question_type".to_string(), name.to_string());
        fields.insert("skill".to_string(), skill.to_string());
    }
    fields
}

/// A template id 1-19 from a value.
fn template_id(row: &Row, field: &str, value: &Value) -> Result<u8, InvalidRow> {
    let n = match value {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        Value::Str(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    n.and_then(|n| u8::try_from(n).ok())
        .filter(|n| question_type(*n).is_some())
        .ok_or_else(|| {
            row.invalid(format!(
                "field `{field}`: expected a descriptive template id 1-19, found {}",
                value.describe()
            ))
        })
}

/// One descriptive entry: its (usually four) questions, sharing the figure's image.
fn descriptive_entry(
    row: &Row,
    key: &str,
    images: &Path,
    subject: Option<String>,
) -> Vec<LoadResult> {
    let parsed = (|| {
        let figure = figure_id(row, key)?;
        let qids = match row.get("qids") {
            Some(Value::List(l)) => l
                .iter()
                .map(|v| template_id(row, "qids", v))
                .collect::<Result<Vec<u8>, InvalidRow>>()?,
            _ => return Err(row.unexpected("qids", "a list of template ids")),
        };
        let answers = row.text_list("answers")?;
        if answers.len() != qids.len() {
            return Err(row.invalid(format!(
                "figure {figure}: {} qids but {} answers; they must pair up",
                qids.len(),
                answers.len()
            )));
        }
        let loc = subplot_loc(row)?;
        let image = figure_image(row, images, &figure)?;
        let mut items = Vec::with_capacity(qids.len());
        for (i, (qid, answer)) in qids.iter().zip(answers).enumerate() {
            let question = descriptive_question(*qid, &loc).ok_or_else(|| {
                row.invalid(format!("figure {figure}: unknown template id {qid}"))
            })?;
            items.push(Item {
                id: format!("{DESCRIPTIVE}-{figure}-{i}"),
                order: 0,
                source: row.source.clone(),
                question,
                hint: None,
                choices: Vec::new(),
                answers: vec![answer],
                images: vec![image.clone()],
                split: Some(DESCRIPTIVE.to_string()),
                fields: descriptive_fields(*qid, &figure, subject.clone()),
            });
        }
        Ok(items)
    })();
    match parsed {
        Ok(items) => items.into_iter().map(Ok).collect(),
        Err(invalid) => vec![Err(invalid)],
    }
}

/// `subplot_loc`: `[row, column]` or a description.
fn subplot_loc(row: &Row) -> Result<SubplotLoc, InvalidRow> {
    let expected = "[row, column] or a text such as \"the bottom subplot\"";
    match row.get("subplot_loc") {
        Some(Value::Str(s)) if !s.trim().is_empty() => Ok(SubplotLoc::Text(s.clone())),
        Some(Value::List(l)) => match l.as_slice() {
            [Value::Int(r), Value::Int(c), ..] => Ok(SubplotLoc::Grid(*r, *c)),
            [Value::Int(0), ..] => Ok(SubplotLoc::Grid(0, 0)),
            _ => Err(row.unexpected("subplot_loc", expected)),
        },
        _ => Err(row.unexpected("subplot_loc", expected)),
    }
}

fn reasoning_entry(row: &Row, key: &str, images: &Path, subject: Option<String>) -> LoadResult {
    let figure = figure_id(row, key)?;
    let query = row.text("query")?;
    let answer = row.text("answer")?;
    let category = match row.get("inst_category") {
        Some(v) => v
            .as_text()
            .and_then(|t| inst_category_number(&t))
            .ok_or_else(|| row.unexpected("inst_category", "an instruction category 1-4"))?,
        None => return Err(row.unexpected("inst_category", "an instruction category 1-4")),
    };
    let question = reasoning_question(category, &query, &answer)
        .ok_or_else(|| row.invalid(format!("figure {figure}: unknown inst_category {category}")))?;
    let image = figure_image(row, images, &figure)?;
    Ok(Item {
        id: format!("{REASONING}-{figure}"),
        order: 0,
        source: row.source.clone(),
        question,
        hint: None,
        choices: Vec::new(),
        answers: vec![answer],
        images: vec![image],
        split: Some(REASONING.to_string()),
        fields: reasoning_fields(category, &figure, Some(&query), subject),
    })
}

fn reasoning_fields(
    category: u8,
    figure: &str,
    query: Option<&str>,
    subject: Option<String>,
) -> BTreeMap<String, String> {
    let mut fields = base_fields(REASONING, figure, subject);
    if let Some(name) = inst_category_name(category) {
        fields.insert("inst_category".to_string(), name.to_string());
    }
    if let Some(query) = query {
        fields.insert("query".to_string(), query.to_string());
    }
    fields
}

// ---------------------------------------------------------------------------------------------
// VLMEvalKit TSV
// ---------------------------------------------------------------------------------------------

fn from_tsv(path: &Path) -> anyhow::Result<(CharXiv, RowStream)> {
    let rows = tsv::open(path, &["image", "question"])?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let file_mode = if name.contains(DESCRIPTIVE) {
        Some(DESCRIPTIVE)
    } else if name.contains(REASONING) {
        Some(REASONING)
    } else {
        None
    };
    let mapping = CharXiv {
        release: None,
        file_mode,
        seen: HashMap::new(),
    };
    Ok((mapping, rows))
}

impl CharXiv {
    /// One TSV row as an item, counting each figure's descriptive rows for their ids.
    fn tsv_item(&mut self, row: &Row) -> LoadResult {
        let index = row.text("index")?;
        let question = row.text("question")?;
        let answers = match row.opt_text("answer")? {
            Some(a) => vec![a.trim().to_string()],
            None => Vec::new(),
        };
        let grading_query = row.opt_text("grading_query")?;
        if answers.is_empty() && grading_query.is_none() {
            return Err(row.invalid(
                "neither `answer` nor `grading_query` is set; a CharXiv row needs its gold answer",
            ));
        }
        let figure = row.opt_text("figure_id")?.map(|f| f.trim().to_string());
        let mode = if row.opt_text("qid")?.is_some() {
            DESCRIPTIVE
        } else if row.opt_text("inst_category")?.is_some() {
            REASONING
        } else {
            self.file_mode.ok_or_else(|| {
                row.invalid(
                    "no `qid` (descriptive) or `inst_category` (reasoning) column, and the file \
                     name says neither descriptive nor reasoning",
                )
            })?
        };
        let mut fields = if mode == DESCRIPTIVE {
            let qid = match row.get("qid") {
                Some(v) => template_id(row, "qid", v)?,
                None => return Err(row.unexpected("qid", "a descriptive template id 1-19")),
            };
            descriptive_fields(qid, figure.as_deref().unwrap_or(""), None)
        } else {
            let category = row
                .opt_text("inst_category")?
                .and_then(|t| inst_category_number(&t))
                .ok_or_else(|| row.unexpected("inst_category", "an instruction category 1-4"))?;
            // The judge quotes the bare query; without a `query` column (VLMEvalKit's TSV
            // has none) it is only needed when there is no grading query either.
            let query = match row.opt_text("query")? {
                Some(q) => Some(q),
                None if grading_query.is_none() => Some(question.clone()),
                None => None,
            };
            reasoning_fields(
                category,
                figure.as_deref().unwrap_or(""),
                query.as_deref(),
                None,
            )
        };
        if figure.is_none() {
            fields.remove("figure_id");
        }
        if let Some(subject) = row.opt_text("subject")? {
            fields.insert("subject".to_string(), subject);
        }
        if let Some(q) = grading_query {
            fields.insert("grading_query".to_string(), q);
        }
        let id = match (&figure, mode) {
            (Some(f), DESCRIPTIVE) => {
                let i = match row.opt_text("subq_idx")? {
                    Some(i) => i.trim().to_string(),
                    None => {
                        let n = self.seen.entry(f.clone()).or_insert(0);
                        *n += 1;
                        (*n - 1).to_string()
                    }
                };
                format!("{DESCRIPTIVE}-{f}-{i}")
            }
            (Some(f), _) => format!("{REASONING}-{f}"),
            (None, _) => format!("{mode}-tsv{}", index.trim()),
        };
        let images = row.images("image")?;
        Ok(Item {
            id,
            order: 0,
            source: row.source.clone(),
            question,
            hint: None,
            choices: Vec::new(),
            answers,
            images,
            split: Some(mode.to_string()),
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<CharXiv>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("charxiv")
    }

    fn ok_items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, fixtures().join(rel))
    }

    /// What must agree across forms (the TSV adds `grading_query`).
    /// id, question, answers, split, image bytes.
    type Comparable = (String, String, Vec<String>, Option<String>, Vec<u8>);

    fn comparable(items: &[Item]) -> Vec<Comparable> {
        items
            .iter()
            .map(|i| {
                (
                    i.id.clone(),
                    i.question.clone(),
                    i.answers.clone(),
                    i.split.clone(),
                    i.images[0].bytes.to_vec(),
                )
            })
            .collect()
    }

    #[test]
    fn questions_follow_the_official_templates() {
        assert_eq!(
            descriptive_question(1, &SubplotLoc::Grid(0, 0)).unwrap(),
            "For the current plot, what is its title?\n    * Your final answer should be the most relevant title of the plot that is explicitly written.\n    * If the plot does not have an explicit title or contains only a letter, answer 'Not Applicable'.\n    "
        );
        assert_eq!(
            descriptive_question(16, &SubplotLoc::Grid(1, 2)).unwrap(),
            "For the subplot at row 1 and column 2, what is the general trend of data from left to right?\n    * Your final answer should be within a few words, such as \"increases\", \"increases then stabilizes\"."
        );
        assert!(
            descriptive_question(10, &SubplotLoc::Text("the bottom subplot".into()))
                .unwrap()
                .starts_with("For the bottom subplot, how many lines are there?\n")
        );
        assert!(
            descriptive_question(18, &SubplotLoc::Grid(2, 2))
                .unwrap()
                .starts_with("What is the layout of the subplots?\n    * Your final answer should follow \"n by m\" format")
        );
        assert_eq!(descriptive_question(0, &SubplotLoc::Grid(0, 0)), None);
        assert_eq!(
            reasoning_question(4, "How many {x}?", "9.17").unwrap(),
            "How many {x}?\n    * Your final answer must be a number with 2 decimal places.\n    "
        );
        assert_eq!(
            reasoning_question(4, "How many?", "3").unwrap(),
            "How many?\n    * Your final answer must be an exact integer.\n    "
        );
        assert_eq!(
            reasoning_question(1, "Which {number_instruction}?", "A").unwrap(),
            "Which {number_instruction}?\n    * Your final answer must be grounded to some text that is explicitly written and relevant to the question in the chart.\n    * If you need to answer multiple terms, separate them with commas.\n    * Unless specified in the question (such as answering with a letter), you are required to answer the full names of subplots and/or labels by default.\n    "
        );
        assert!(
            reasoning_question(3, "q", "1")
                .unwrap()
                .contains("exlicitly written")
        );
        assert_eq!(reasoning_question(5, "q", "1"), None);
    }

    #[test]
    fn official_and_tsv_give_the_same_items() {
        let all = ok_items(Format::Official, "official");
        let repo_data = ok_items(Format::Official, "official/data");
        assert_eq!(comparable(&all), comparable(&repo_data));
        let desc_json = ok_items(Format::Official, "official/data/descriptive_val.json");
        let reas_json = ok_items(Format::Official, "official/data/reasoning_val.json");
        let desc_tsv = ok_items(Format::VlmevalkitTsv, "tsv/CharXiv_descriptive_val.tsv");
        let reas_tsv = ok_items(Format::VlmevalkitTsv, "tsv/CharXiv_reasoning_val.tsv");
        assert_eq!(comparable(&desc_json), comparable(&desc_tsv));
        assert_eq!(comparable(&reas_json), comparable(&reas_tsv));
        assert_eq!(all.len(), desc_json.len() + reas_json.len());
        let orders: Vec<u64> = all.iter().map(|i| i.order).collect();
        assert_eq!(orders, (0..all.len() as u64).collect::<Vec<_>>());
        // Fields agree except the TSV's grading query (and the release's subject metadata).
        for (a, b) in desc_json
            .iter()
            .chain(&reas_json)
            .zip(desc_tsv.iter().chain(&reas_tsv))
        {
            let mut fa = a.fields.clone();
            let mut fb = b.fields.clone();
            fa.remove("subject");
            fa.remove("query");
            assert!(fb.remove("grading_query").is_some(), "{}", b.id);
            assert_eq!(fa, fb, "{}", a.id);
        }
        assert!(all.iter().all(|i| i.images[0].mime == "image/jpeg"));
    }

    #[test]
    fn ids_fields_and_questions_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items = ok_items(Format::Official, "official");
        assert_eq!(items.len(), gold.len());
        for (item, g) in items.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.answers, vec![g["answer"].as_str().unwrap()]);
            assert_eq!(item.split.as_deref(), g["split"].as_str());
            for (k, v) in g["fields"].as_object().unwrap() {
                assert_eq!(
                    item.fields.get(k).map(String::as_str),
                    v.as_str(),
                    "{} {k}",
                    item.id
                );
            }
        }
        let first = &items[0];
        assert_eq!(first.id, "descriptive-0-0");
        assert_eq!(first.fields["subject"], "cs");
        assert!(
            first.source.ends_with("descriptive_val.json:1"),
            "{}",
            first.source
        );
    }

    #[test]
    fn tsv_without_figure_ids_falls_back_to_the_index() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("mine.tsv");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .from_path(fixtures().join("tsv/CharXiv_reasoning_val.tsv"))
            .unwrap();
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b'\t')
            .from_path(&path)
            .unwrap();
        let header = reader.headers().unwrap().clone();
        let drop = header.iter().position(|c| c == "figure_id").unwrap();
        let keep = |r: &csv::StringRecord| -> Vec<String> {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, c)| c.to_string())
                .collect()
        };
        writer.write_record(keep(&header)).unwrap();
        for record in reader.records() {
            writer.write_record(keep(&record.unwrap())).unwrap();
        }
        writer.flush().unwrap();
        let items: Vec<Item> = open(&ResolvedSource {
            format: Format::VlmevalkitTsv,
            path,
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
        assert_eq!(items[0].id, "reasoning-tsv0");
        assert!(!items[0].fields.contains_key("figure_id"));
        assert_eq!(items[0].split.as_deref(), Some(REASONING));
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let images = tmp.path().join("images");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&images).unwrap();
        std::fs::copy(
            fixtures().join("official/images/0.jpg"),
            images.join("0.jpg"),
        )
        .unwrap();
        std::fs::write(images.join("2.jpg"), b"not a jpeg").unwrap();
        let desc = serde_json::json!({
            "0": {"figure_id": 0, "subplot_loc": [0, 0], "qids": [1, 2], "answers": ["T", "X"]},
            "1": {"figure_id": 1, "subplot_loc": [0, 0], "qids": [1], "answers": ["T"]},
            "2": {"figure_id": 2, "subplot_loc": [0, 0], "qids": [1], "answers": ["T"]},
            "3": {"figure_id": 0, "subplot_loc": [0, 0], "qids": [1, 2], "answers": ["T"]},
            "4": {"figure_id": 0, "subplot_loc": [0, 0], "qids": [25], "answers": ["T"]},
            "5": {"figure_id": 0, "subplot_loc": {"a": 1}, "qids": [1], "answers": ["T"]},
            "6": "text",
        });
        std::fs::write(data.join("descriptive_val.json"), desc.to_string()).unwrap();
        let reas = serde_json::json!({
            "0": {"figure_id": 0, "query": "Q?", "answer": "A", "inst_category": 9},
            "1": {"figure_id": 0, "answer": "A", "inst_category": 1},
        });
        std::fs::write(data.join("reasoning_val.json"), reas.to_string()).unwrap();
        let results: Vec<LoadResult> = open(&ResolvedSource {
            format: Format::Official,
            path: tmp.path().to_path_buf(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .unwrap()
        .collect();
        let ok: Vec<&str> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ok, vec!["descriptive-0-0", "descriptive-0-1"]);
        let reasons: Vec<(String, String)> = results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| {
                (
                    e.source.rsplit('/').next().unwrap().to_string(),
                    e.reason.clone(),
                )
            })
            .collect();
        let expect = [
            ("descriptive_val.json:2", "cannot open"),
            ("descriptive_val.json:3", "magic bytes"),
            ("descriptive_val.json:4", "2 qids but 1 answers"),
            ("descriptive_val.json:5", "template id 1-19"),
            ("descriptive_val.json:6", "subplot_loc"),
            ("descriptive_val.json:7", "not a JSON object"),
            ("reasoning_val.json:1", "inst_category"),
            ("reasoning_val.json:2", "field `query`"),
        ];
        assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
        for ((source, reason), (want_source, want)) in reasons.iter().zip(expect) {
            assert_eq!(source, want_source);
            assert!(reason.contains(want), "{source}: {reason}");
        }
    }

    #[test]
    fn missing_or_foreign_sources_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            (Format::Official, tmp.path().to_path_buf()),
            (Format::Official, fixtures().join("gold.json")),
            (Format::HfParquet, fixtures().join("official")),
        ];
        for (format, path) in cases {
            let err = open(&ResolvedSource {
                format,
                path: path.clone(),
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
            })
            .err()
            .unwrap_or_else(|| panic!("{} opened", path.display()))
            .to_string();
            assert!(err.contains("CharXiv"), "{err}");
        }
        // Annotation files without an images/ directory.
        std::fs::copy(
            fixtures().join("official/data/reasoning_val.json"),
            tmp.path().join("reasoning_val.json"),
        )
        .unwrap();
        let err = open(&ResolvedSource {
            format: Format::Official,
            path: tmp.path().to_path_buf(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("no images/ directory"), "{err}");
    }
}
