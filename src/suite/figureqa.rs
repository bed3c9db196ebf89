//! FigureQA: maps its official release into [`Item`]s (yes/no questions about synthetic
//! bar, pie and line plots, scored with `yes_no`).
//!
//! The official release ([`Format::Official`]) is one directory per split (`validation1/`,
//! `test1/`, ...) with:
//! - `qa_pairs.json` = `{"qa_pairs": [{question_string, question_id, answer, color1_name,
//!   color2_name, image_index, ...}]}` (`answer` 1 = yes, 0 = no; `question_id` 0..14 is the
//!   question template, see [`QUESTION_KINDS`]);
//! - `png/<image_index>.png`;
//! - optionally `annotations.json`, a list of `{image_index, type, models, ...}` whose `type`
//!   (`vbar_categorical`, `hbar_categorical`, `pie`, `line`, `dot_line`) gives each item's
//!   `figure_type`. Without it items have no `figure_type` (that breakdown is left out).
//!
//! `--data` may name the directory or its `qa_pairs.json`. Both JSON files are streamed
//! ([`JsonList`]): the questions one at a time; of the annotations only `image_index -> type`
//! is kept. An image is read when its first question is reached and kept while the next
//! questions ask about the same image.
//!
//! Ids: `{image_index}-{question_id}-{color1}` plus `-{color2}` for two-colour questions
//! (spaces in colour names become `_`; FigureQA writes `--None--` for a missing second colour),
//! e.g. `12-3-Dark_Violet-Light_Gold`: one template asked about the same colours of the same
//! figure is one question. A repeat gets `-2`, `-3`, ... (only the current image's ids are
//! remembered). Fields: `figure_type`, `question_id`, `question_kind`, `source_id`
//! (= `image_index`). Gold: `Yes` / `No`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::item::{ImageData, InvalidRow, Item, LoadResult};
use super::json_list::JsonList;
use super::reader::{Mapping, Repeats};
use super::row::{Row, RowStream, Value, read_inside};
use super::{Format, ResolvedSource};

/// The 15 question templates by `question_id` (FigureQA paper, table 1): 0-5 for bar and pie
/// charts, 6-14 for line plots. The two comparison templates exist for both families, so the
/// line versions carry a `line_` prefix to keep each name unique.
pub const QUESTION_KINDS: [&str; 15] = [
    "minimum",           // 0  Is X the minimum?
    "maximum",           // 1  Is X the maximum?
    "less_than",         // 2  Is X less than Y?
    "greater_than",      // 3  Is X greater than Y?
    "low_median",        // 4  Is X the low median?
    "high_median",       // 5  Is X the high median?
    "min_auc",           // 6  Does X have the minimum area under the curve?
    "max_auc",           // 7  Does X have the maximum area under the curve?
    "smoothest",         // 8  Is X the smoothest?
    "roughest",          // 9  Is X the roughest?
    "global_min",        // 10 Does X have the lowest value?
    "global_max",        // 11 Does X have the highest value?
    "line_less_than",    // 12 Is X less than Y? (strictly, at every point)
    "line_greater_than", // 13 Is X greater than Y?
    "intersect",         // 14 Does X intersect Y?
];

/// FigureQA's placeholder for a question about one colour.
const NO_COLOUR: &str = "--None--";

/// FigureQA's mapping: the release's `png/`, the figure types, the last image read.
pub struct FigureQa {
    png: PathBuf,
    types: HashMap<i64, String>,
    last_image: Option<(i64, ImageData)>,
}

impl Mapping for FigureQa {
    const NAME: &'static str = "FigureQA";
    const FORMATS: &'static [Format] = &[Format::Official];
    const SOURCES: &'static str = "its official release (a split directory with qa_pairs.json, \
                                   png/ and optionally annotations.json)";
    const REPEATS: Repeats = Repeats::SuffixedPerChart;
    const CHART_FIELDS: &'static [&'static str] = &["figure_type", "source_id"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let (dir, file) = if source.path.is_file() {
            let dir = source
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            (dir, source.path.clone())
        } else {
            (source.path.clone(), source.path.join("qa_pairs.json"))
        };
        if !file.is_file() {
            anyhow::bail!(
                "{}: no qa_pairs.json; a FigureQA split directory holds qa_pairs.json, png/ and \
                 annotations.json",
                dir.display()
            );
        }
        let types = figure_types(&dir.join("annotations.json"))?;
        let list = JsonList::open(&file, "qa_pairs")?;
        let display = file.display().to_string();
        let rows = list.map(move |entry| {
            let (n, json) = entry.map_err(|e| e.invalid_row(&display))?;
            let mut row = Row::new(format!("{display}:{n}"));
            let Value::Struct(fields) = Value::from_json(json) else {
                return Err(row.invalid(
                    "entry is not a JSON object {question_string, question_id, answer, image_index, ...}",
                ));
            };
            row.fields = fields;
            Ok(row)
        });
        let mapping = Self {
            png: dir.join("png"),
            types,
            last_image: None,
        };
        Ok((mapping, Box::new(rows)))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        self.item_from_row(&row)
    }

    /// Figures are named by their `image_index`: `figure-<index>`.
    fn chart_id(&self, item: &Item) -> Option<String> {
        item.fields.get("source_id").map(|i| format!("figure-{i}"))
    }
}

/// `image_index -> type` from `annotations.json`, if the file exists. Entries without both
/// fields are skipped; a file that is not a JSON list is an error.
fn figure_types(path: &Path) -> anyhow::Result<HashMap<i64, String>> {
    let mut types = HashMap::new();
    if !path.is_file() {
        return Ok(types);
    }
    for entry in JsonList::open(path, "annotations")? {
        let (_, value) = entry.map_err(|e| {
            anyhow::anyhow!(
                "{}: entry {}: {}; repair the file or remove it (figure types are optional)",
                path.display(),
                e.element,
                e.message
            )
        })?;
        let index = value.get("image_index").and_then(serde_json::Value::as_i64);
        let kind = value.get("type").and_then(serde_json::Value::as_str);
        if let (Some(index), Some(kind)) = (index, kind) {
            types.insert(index, kind.to_string());
        }
    }
    Ok(types)
}

impl FigureQa {
    /// One entry as an item (the reader numbers it and suffixes a repeat on the same figure).
    fn item_from_row(&mut self, row: &Row) -> Result<Item, InvalidRow> {
        let image_index = row.int("image_index")?;
        let question = row.text("question_string")?.trim().to_string();
        let question_id = row.int("question_id")?;
        let kind = usize::try_from(question_id)
            .ok()
            .and_then(|i| QUESTION_KINDS.get(i))
            .ok_or_else(|| row.unexpected("question_id", "a FigureQA template id 0..14"))?;
        let answer = match row.int("answer") {
            Ok(1) => "Yes",
            Ok(0) => "No",
            _ => return Err(row.unexpected("answer", "1 (yes) or 0 (no)")),
        };
        let color1 = row.text("color1_name")?;
        let color2 = row.opt_text("color2_name")?;
        let image = self
            .image(image_index)
            .map_err(|e| row.invalid(format!("field `image_index`: image {e}")))?;
        let mut id = format!("{image_index}-{question_id}-{}", id_part(&color1));
        if let Some(c2) = color2.as_deref().filter(|c| c.trim() != NO_COLOUR) {
            id.push('-');
            id.push_str(&id_part(c2));
        }
        let mut fields = BTreeMap::from([
            ("question_id".to_string(), question_id.to_string()),
            ("question_kind".to_string(), (*kind).to_string()),
            ("source_id".to_string(), image_index.to_string()),
        ]);
        if let Some(t) = self.types.get(&image_index) {
            fields.insert("figure_type".to_string(), t.clone());
        }
        Ok(Item {
            id,
            order: 0,
            source: row.source.clone(),
            question,
            hint: None,
            choices: Vec::new(),
            answers: vec![answer.to_string()],
            images: vec![image],
            split: None,
            fields,
        })
    }

    /// The figure's image, read once per run of questions about it.
    fn image(&mut self, index: i64) -> Result<ImageData, String> {
        if let Some((i, image)) = &self.last_image
            && *i == index
        {
            return Ok(image.clone());
        }
        let image = ImageData::from_bytes(read_inside(&self.png, &format!("{index}.png"))?)?;
        self.last_image = Some((index, image.clone()));
        Ok(image)
    }
}

/// A colour name as part of an id: trimmed, spaces replaced by `_`.
fn id_part(name: &str) -> String {
    name.trim().replace(' ', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<FigureQa>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("figureqa")
    }

    fn load(path: PathBuf) -> Vec<Result<Item, InvalidRow>> {
        crate::suite::testing::load(open, Format::Official, path)
    }

    #[test]
    fn fixture_items_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items: Vec<Item> = load(fixtures().join("official/validation1"))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items.len(), gold.len());
        for (item, g) in items.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.answers[0], g["answer"].as_str().unwrap());
            assert_eq!(
                item.fields["figure_type"],
                g["figure_type"].as_str().unwrap()
            );
            assert_eq!(
                item.fields["question_kind"],
                g["question_kind"].as_str().unwrap()
            );
        }
        // Naming the file gives the same items.
        let by_file: Vec<String> = load(fixtures().join("official/validation1/qa_pairs.json"))
            .into_iter()
            .map(|r| r.unwrap().id)
            .collect();
        assert_eq!(
            by_file,
            items.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
        );
    }

    fn png() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 2, image::Rgb([9, 9, 9]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn entry(image: i64, qid: i64, answer: i64, c1: &str, c2: &str) -> serde_json::Value {
        serde_json::json!({
            "image_index": image, "question_id": qid, "answer": answer,
            "color1_name": c1, "color2_name": c2,
            "question_string": format!("Is {c1} question {qid}?"),
        })
    }

    #[test]
    fn ids_kinds_answers_and_bad_entries() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("png")).unwrap();
        std::fs::write(tmp.path().join("png/0.png"), png()).unwrap();
        std::fs::write(tmp.path().join("png/1.png"), png()).unwrap();
        let entries = vec![
            entry(0, 3, 1, "Dark Violet", "Light Gold"),
            entry(0, 0, 0, "Red", NO_COLOUR),
            entry(0, 0, 0, "Red", NO_COLOUR),
            entry(0, 15, 0, "Red", NO_COLOUR),
            entry(0, 1, 2, "Red", NO_COLOUR),
            entry(5, 1, 1, "Red", NO_COLOUR),
            entry(1, 14, 1, "Red", "Blue"),
            entry(0, 0, 0, "Red", NO_COLOUR),
        ];
        std::fs::write(
            tmp.path().join("qa_pairs.json"),
            serde_json::to_string(&serde_json::json!({"qa_pairs": entries})).unwrap(),
        )
        .unwrap();
        // No annotations.json: items have no figure_type.
        let results = load(tmp.path().to_path_buf());
        let ids: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(i) => i.id.clone(),
                Err(e) => format!("ERR {}", e.reason),
            })
            .collect();
        assert_eq!(ids[0], "0-3-Dark_Violet-Light_Gold");
        assert_eq!(ids[1], "0-0-Red");
        assert_eq!(ids[2], "0-0-Red-2");
        assert!(ids[3].contains("`question_id`"), "{}", ids[3]);
        assert!(ids[4].contains("`answer`"), "{}", ids[4]);
        assert!(ids[5].contains("cannot open"), "{}", ids[5]);
        assert_eq!(ids[6], "1-14-Red-Blue");
        // Back on figure 0 after figure 1: a new run, so no suffix.
        assert_eq!(ids[7], "0-0-Red");
        let first = results[0].as_ref().unwrap();
        assert_eq!(first.answers, vec!["Yes"]);
        assert_eq!(first.fields["question_kind"], "greater_than");
        assert!(!first.fields.contains_key("figure_type"));
        let line = results[6].as_ref().unwrap();
        assert_eq!(line.fields["question_kind"], "intersect");
        assert_eq!(line.order, 3);
    }

    #[test]
    fn other_formats_and_missing_files_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        for format in [Format::VlmevalkitTsv, Format::HfParquet, Format::Official] {
            assert!(
                open(&ResolvedSource {
                    format,
                    path: tmp.path().to_path_buf(),
                    unit: crate::suite::Unit::Question,
                    chart_field: false,
                    columns: None,
                })
                .is_err()
            );
        }
        std::fs::write(tmp.path().join("qa_pairs.json"), "{\"qa_pairs\": []}").unwrap();
        std::fs::write(tmp.path().join("annotations.json"), "[{\"type\": ").unwrap();
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
        assert!(err.contains("annotations.json"), "{err}");
    }
}
