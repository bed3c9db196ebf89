//! The synthetic chart suite: maps what `evalkit synth` writes ([`crate::synth`]) into items.
//!
//! - Generated directory ([`Format::Official`]): `questions.json`, a list of `{id, chart,
//!   question, answer, split, kind, chart_type, value_labels, image, table}` whose `image`
//!   (`charts/NNNN.png`) and `table` (`tables/NNNN.csv`) are paths relative to the directory.
//!   `--data` may name the directory or `questions.json`.
//! - VLMEvalKit TSV ([`Format::VlmevalkitTsv`], `synthchart.tsv` in the same directory):
//!   `index, id, chart, image, question, answer, split, category, chart_type, value_labels,
//!   gold_table`, where `category` is the question kind and `gold_table` the CSV text.
//!
//! Both give the same items: id `<seed>-<chart>-<q>` (the TSV's `id`, or its `index` when a
//! hand-made TSV has no `id` column), split `recognition` or `reasoning`, one gold answer,
//! and fields `split`, `kind`, `chart_type`, `chart`, `value_labels` (when known) and
//! `gold_table` (the chart's data table as CSV, the oracle for perception). Scored with
//! relaxed accuracy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::item::{ImageData, InvalidRow, Item, LoadResult};
use super::reader::Mapping;
use super::row::{Row, RowStream, Value, read_inside, read_json};
use super::{Format, ResolvedSource, tsv};
use crate::synth::questions::Split;
use crate::synth::write::QUESTIONS_FILE;

/// The synthetic suite's mapping: which form is read and, for the generated directory, the
/// directory and the last image and table read (four questions share each chart).
pub struct SynthChart {
    /// The generated directory; `None` for the TSV, whose rows carry image and table.
    dir: Option<PathBuf>,
    images: LastFile<ImageData>,
    tables: LastFile<String>,
}

impl Mapping for SynthChart {
    const NAME: &'static str = "the synthetic chart suite";
    const FORMATS: &'static [Format] = &[Format::Official, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "the directory `evalkit synth` writes (questions.json with \
                                   charts/ and tables/) or its synthchart.tsv";
    const CHART_FIELDS: &'static [&'static str] = &["chart", "chart_type", "value_labels"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let (dir, rows) = match source.format {
            Format::VlmevalkitTsv => (None, vlmevalkit(&source.path)?),
            _ => {
                let (dir, rows) = generated(&source.path)?;
                (Some(dir), rows)
            }
        };
        let mapping = Self {
            dir,
            images: LastFile::default(),
            tables: LastFile::default(),
        };
        Ok((mapping, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        match self.dir.clone() {
            Some(dir) => self.generated_item(&row, &dir),
            None => tsv_item(&row),
        }
    }

    /// Charts are named `<seed>-<chart>` (the `chart` field).
    fn chart_id(&self, item: &Item) -> Option<String> {
        item.fields.get("chart").cloned()
    }
}

/// What either form says about one question.
struct Parts {
    id: String,
    chart: Option<String>,
    question: String,
    answer: String,
    split: String,
    kind: String,
    chart_type: String,
    value_labels: Option<String>,
    gold_table: String,
}

fn item(row: &Row, parts: Parts, image: ImageData) -> Result<Item, InvalidRow> {
    let Some(split) = Split::from_name(&parts.split) else {
        return Err(row.unexpected("split", "`recognition` or `reasoning`"));
    };
    let split = split.name().to_string();
    let mut fields = BTreeMap::from([
        ("split".to_string(), split.clone()),
        ("kind".to_string(), parts.kind.trim().to_string()),
        (
            "chart_type".to_string(),
            parts.chart_type.trim().to_string(),
        ),
        ("gold_table".to_string(), parts.gold_table),
    ]);
    if let Some(chart) = parts.chart {
        fields.insert("chart".to_string(), chart.trim().to_string());
    }
    if let Some(labels) = parts.value_labels {
        fields.insert("value_labels".to_string(), labels.trim().to_string());
    }
    Ok(Item {
        id: parts.id.trim().to_string(),
        order: 0,
        source: row.source.clone(),
        question: parts.question.trim().to_string(),
        hint: None,
        choices: Vec::new(),
        answers: vec![parts.answer.trim().to_string()],
        images: vec![image],
        split: Some(split),
        fields,
    })
}

fn vlmevalkit(path: &Path) -> anyhow::Result<RowStream> {
    tsv::open(
        path,
        &[
            "image",
            "question",
            "answer",
            "split",
            "category",
            "chart_type",
            "gold_table",
        ],
    )
}

fn tsv_item(row: &Row) -> LoadResult {
    let mut images = row.images("image")?;
    if images.len() != 1 {
        return Err(row.invalid(format!(
            "field `image`: expected one image, found {}",
            images.len()
        )));
    }
    let id = match row.opt_text("id")? {
        Some(id) => id,
        None => row.text("index")?,
    };
    let parts = Parts {
        id,
        chart: row.opt_text("chart")?,
        question: row.text("question")?,
        answer: row.text("answer")?,
        split: row.text("split")?,
        kind: row.text("category")?,
        chart_type: row.text("chart_type")?,
        value_labels: row.opt_text("value_labels")?,
        gold_table: row.text("gold_table")?,
    };
    item(row, parts, images.remove(0))
}

/// The last file read, kept while consecutive questions share it (four per chart).
struct LastFile<T> {
    path: String,
    value: Option<T>,
}

impl<T> Default for LastFile<T> {
    fn default() -> Self {
        Self {
            path: String::new(),
            value: None,
        }
    }
}

impl<T: Clone> LastFile<T> {
    fn get(
        &mut self,
        path: &str,
        read: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.path != path || self.value.is_none() {
            self.value = None;
            self.path = path.to_string();
            self.value = Some(read(path)?);
        }
        self.value
            .clone()
            .ok_or_else(|| format!("{path}: not read"))
    }
}

/// The generated directory (or its questions file) as rows; returns the directory image
/// and table paths are relative to.
fn generated(path: &Path) -> anyhow::Result<(PathBuf, RowStream)> {
    let how = "generate the suite with `evalkit synth --seed 0 --out DIR` and point --data at DIR";
    let file: PathBuf = if path.is_dir() {
        path.join(QUESTIONS_FILE)
    } else {
        path.to_path_buf()
    };
    let json = read_json(&file, "the list `evalkit synth` writes", Some(how))?;
    let serde_json::Value::Array(entries) = json else {
        anyhow::bail!(
            "{}: expected a JSON list of questions; {how}",
            file.display()
        );
    };
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let rows = entries.into_iter().enumerate().map(move |(n, entry)| {
        let mut row = Row::new(format!("{}:{}", file.display(), n + 1));
        match Value::from_json(entry) {
            Value::Struct(fields) => row.fields = fields,
            _ => return Err(row.invalid("entry is not a JSON object")),
        }
        Ok(row)
    });
    Ok((dir, Box::new(rows)))
}

impl SynthChart {
    /// One entry of `questions.json`, its image and table read from `dir` (once per chart).
    fn generated_item(&mut self, row: &Row, dir: &Path) -> LoadResult {
        let image_path = row.text("image")?;
        let image = self
            .images
            .get(&image_path, |p| {
                read_inside(dir, p).and_then(ImageData::from_bytes)
            })
            .map_err(|e| row.invalid(format!("field `image`: {e}")))?;
        let table_path = row.text("table")?;
        let gold_table = self
            .tables
            .get(&table_path, |p| {
                let bytes = read_inside(dir, p)?;
                String::from_utf8(bytes).map_err(|_| format!("{p} is not UTF-8 text"))
            })
            .map_err(|e| row.invalid(format!("field `table`: {e}")))?;
        let parts = Parts {
            id: row.text("id")?,
            chart: row.opt_text("chart")?,
            question: row.text("question")?,
            answer: row.text("answer")?,
            split: row.text("split")?,
            kind: row.text("kind")?,
            chart_type: row.text("chart_type")?,
            value_labels: row.opt_text("value_labels")?,
            gold_table,
        };
        item(row, parts, image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::write::TSV_FILE;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<SynthChart>(source)
    }
    use crate::synth::{Options, generate};

    fn load(format: Format, path: PathBuf) -> Vec<Result<Item, InvalidRow>> {
        open(&ResolvedSource {
            format,
            path,
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .unwrap()
        .collect()
    }

    #[test]
    fn directory_and_tsv_give_the_same_items() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("seed-3");
        let options = Options {
            seed: 3,
            charts: 7,
            questions: 4,
        };
        generate(&options, &dir).unwrap();
        let official: Vec<Item> = load(Format::Official, dir.clone())
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let tsv: Vec<Item> = load(Format::VlmevalkitTsv, dir.join(TSV_FILE))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(official.len(), 28);
        let strip = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|i| Item {
                    source: String::new(),
                    ..i.clone()
                })
                .collect()
        };
        assert_eq!(strip(&official), strip(&tsv));
        assert_eq!(official[0].id, "3-0-0");
        assert_eq!(official[5].id, "3-1-1");
        assert_eq!(official[27].order, 27);
        assert_eq!(official[0].split.as_deref(), Some("recognition"));
        assert_eq!(official[3].split.as_deref(), Some("reasoning"));
        assert_eq!(official[0].fields["chart_type"], "bar");
        assert_eq!(official[4].fields["chart_type"], "grouped_bar");
        assert_eq!(official[4].fields["chart"], "3-1");
        assert!(official[0].fields["gold_table"].contains('\n'));
        assert!(official.iter().all(|i| i.images[0].mime == "image/png"));
        // A chart's questions share its image; consecutive charts differ.
        assert_eq!(official[0].images, official[3].images);
        assert_ne!(official[0].images, official[4].images);
        // Same directory through questions.json named directly.
        let direct = load(Format::Official, dir.join(QUESTIONS_FILE));
        assert_eq!(direct.len(), 28);
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        generate(
            &Options {
                seed: 0,
                charts: 1,
                questions: 2,
            },
            &dir,
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.join(QUESTIONS_FILE)).unwrap();
        let mut list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let good = list[0].clone();
        let mut bad_split = good.clone();
        bad_split["split"] = "train".into();
        let mut escaping = good.clone();
        escaping["image"] = "../x.png".into();
        let mut no_table = good.clone();
        no_table["table"] = "tables/none.csv".into();
        list.extend([bad_split, escaping, no_table, serde_json::json!(3)]);
        std::fs::write(dir.join(QUESTIONS_FILE), serde_json::to_vec(&list).unwrap()).unwrap();
        let results = load(Format::Official, dir.clone());
        let reasons: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| e.reason.clone()))
            .collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].contains("`split`"), "{}", reasons[0]);
        assert!(reasons[1].contains("climbs out"), "{}", reasons[1]);
        assert!(reasons[2].contains("field `table`"), "{}", reasons[2]);
        assert!(reasons[3].contains("not a JSON object"), "{}", reasons[3]);
        let err = open(&ResolvedSource {
            format: Format::Official,
            path: tmp.path().join("missing"),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("evalkit synth"), "{err}");
        assert!(
            open(&ResolvedSource {
                format: Format::HfParquet,
                path: dir,
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
            })
            .is_err()
        );
    }
}
