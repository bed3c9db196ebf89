//! ChartBench: maps VLMEvalKit's `ChartBench.tsv` into [`Item`]s, scored with the
//! `chartbench` scorer (yes/no judgement pairs and numeric questions).
//!
//! Columns read ([`Format::VlmevalkitTsv`]), as VLMEvalKit's `ChartBench.evaluate`
//! (`vlmeval/dataset/chartbench.py`) reads them: `index`, `image`, `question`, `answer`,
//! `QA_type` (`Acc+` for a yes/no judgement, `GPT-acc` or `NQA` for a numeric question),
//! `chart_type` (one of ChartBench's 42 chart kinds, e.g. `vertical_stacked`) and `task`
//! (`CR` chart recognition, `VE` value extraction, `VC` value comparison, `GC` global
//! conception; judgements only).
//!
//! An `Acc+` judgement comes as a pair of rows `{base}_0` (the true assertion, answer yes) and
//! `{base}_1` (the false one, answer no); VLMEvalKit groups rows by the part of `index`
//! before the first `_` and orders them by the number after it. The pair counts as right only
//! when both of its questions are right: the card's `acc_plus` group metric over `pair_id`.
//! A numeric question is a group of its own, so that same figure over all items is
//! VLMEvalKit's ChartBench overall score (correct pairs + correct numeric questions, over
//! pairs + numeric questions).
//!
//! Fields: `QA_type` (normalised to `Acc+` / `NQA`), `chart_type`, `chart_family` (ChartBench's
//! grouping of chart kinds: `bar`, `line`, `pie`, `area`, `box`, `radar`, `scatter`, `node`,
//! `combination`; absent for kinds outside it), `task` (when given), `pair_id`.
//! Gold: `Yes`/`No` for judgements (from `answer`, or when it is not yes/no, from the
//! position in the pair as VLMEvalKit assumes); the answer or list of answers for `NQA`.
//!
//! Prompts: ChartBench asks the two kinds differently, so the item's question is the row's
//! question followed by the kind's instruction (unless the question already carries it):
//! "Please answer yes or no." (ChartBench's `llava style` judgement prompt) or "Answer the
//! question using a single word or phrase." (its `chartqa` prompt for numbers). The card's
//! prompt is then just `{question}`. Ids are the TSV's `index`.

use std::collections::BTreeMap;

use super::item::{InvalidRow, Item, LoadResult};
use super::reader::Mapping;
use super::row::{Row, RowStream};
use super::{Format, ResolvedSource, tsv};

/// The instruction appended to a judgement question.
pub const YES_NO_INSTRUCTION: &str = "Please answer yes or no.";
/// The instruction appended to a numeric question.
pub const NQA_INSTRUCTION: &str = "Answer the question using a single word or phrase.";

/// ChartBench's chart families (`metric_group` in its `Stat/stat_all_metric.py`).
const CHART_FAMILIES: [(&str, &[&str]); 9] = [
    ("box", &["box_h", "box_v", "stock"]),
    (
        "combination",
        &["bar_line", "line_line", "pie_bar", "pie_pie"],
    ),
    ("pie", &["sector", "ring_wo_anno", "pie", "ring", "InteSun"]),
    (
        "scatter",
        &["scatter_2d", "scatter_2d_smooth", "scatter_3d"],
    ),
    (
        "line",
        &[
            "line_err",
            "line_multi_wi_anno",
            "line_multi",
            "line_single_wi_anno",
            "line_single",
        ],
    ),
    (
        "bar",
        &[
            "horizontal_single",
            "vertical_single",
            "horizontal_single_wi_anno",
            "vertical_single_wi_anno",
            "vertical_percent_stacked",
            "horizontal_multi",
            "vertical_multi",
            "threeD_stacked",
            "vertical_stacked",
            "horizontal_stacked",
            "threeD_bar_multi",
            "horizontal_percent_stacked",
            "threeD_percent_stacked",
        ],
    ),
    (
        "radar",
        &[
            "radar_single_wi_anno",
            "radar_single",
            "radar_multi_fill",
            "radar_multi",
        ],
    ),
    ("area", &["area", "area_stack", "area_percent"]),
    ("node", &["node_link", "node_link_dir", "node_link_undir"]),
];

/// The family of a chart kind, if ChartBench groups it.
pub fn chart_family(chart_type: &str) -> Option<&'static str> {
    CHART_FAMILIES
        .iter()
        .find(|(_, kinds)| kinds.contains(&chart_type))
        .map(|(family, _)| *family)
}

/// `QA_type` values.
pub const ACC_PLUS: &str = "Acc+";
pub const NQA: &str = "NQA";

/// ChartBench's mapping (one form, nothing to remember).
pub struct ChartBench;

impl Mapping for ChartBench {
    const NAME: &'static str = "ChartBench";
    const FORMATS: &'static [Format] = &[Format::VlmevalkitTsv];
    const SOURCES: &'static str = "VLMEvalKit's ChartBench.tsv";
    const CHART_FIELDS: &'static [&'static str] = &["chart_type", "chart_family"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let rows = tsv::open(&source.path, &["image", "question", "answer", "QA_type"])?;
        Ok((ChartBench, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item(&row)
    }
}

/// VLMEvalKit's split of an index into (pair id, position): `12_1` gives (`12`, 1); an index
/// without `_`, or whose second part is not a number, is position 0.
pub fn split_index(index: &str) -> (&str, u64) {
    let mut parts = index.split('_');
    let base = parts.next().unwrap_or(index);
    let position = parts
        .next()
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    (base, position)
}

fn item(row: &Row) -> Result<Item, InvalidRow> {
    let index = row.text("index")?.trim().to_string();
    let (pair_id, position) = split_index(&index);
    let qa_type = match row.text("QA_type")?.trim() {
        "Acc+" => ACC_PLUS,
        "GPT-acc" | "NQA" => NQA,
        _ => return Err(row.unexpected("QA_type", "Acc+, GPT-acc or NQA")),
    };
    let raw_question = row.text("question")?.trim().to_string();
    let (answers, instruction) = if qa_type == ACC_PLUS {
        (vec![judgement(row, position)?], YES_NO_INSTRUCTION)
    } else {
        let answers = row
            .text_list("answer")?
            .iter()
            .map(|a| a.trim().to_string())
            .collect();
        (answers, NQA_INSTRUCTION)
    };
    let question = if raw_question
        .to_ascii_lowercase()
        .contains(&instruction.to_ascii_lowercase()[..instruction.len() - 1])
    {
        raw_question
    } else {
        format!("{raw_question}\n{instruction}")
    };
    let mut fields = BTreeMap::from([
        ("QA_type".to_string(), qa_type.to_string()),
        ("pair_id".to_string(), pair_id.to_string()),
    ]);
    if let Some(chart_type) = row.opt_text("chart_type")? {
        let chart_type = chart_type.trim().to_string();
        if let Some(family) = chart_family(&chart_type) {
            fields.insert("chart_family".to_string(), family.to_string());
        }
        fields.insert("chart_type".to_string(), chart_type);
    }
    if let Some(task) = row.opt_text("task")? {
        fields.insert("task".to_string(), task.trim().to_string());
    }
    Ok(Item {
        id: index.clone(),
        order: 0,
        source: row.source.clone(),
        question,
        hint: None,
        choices: Vec::new(),
        answers,
        images: row.images("image")?,
        split: None,
        fields,
    })
}

/// The gold of a judgement: the `answer` cell when it reads yes or no, otherwise the
/// position in the pair (0 = the true assertion, 1 = the false one).
fn judgement(row: &Row, position: u64) -> Result<String, InvalidRow> {
    let cell = row.opt_text("answer")?.unwrap_or_default();
    let word = cell
        .trim()
        .trim_end_matches('.')
        .trim_matches(|c| c == '[' || c == ']')
        .to_ascii_lowercase();
    match (word.as_str(), position) {
        ("yes" | "true", _) | ("", 0) => Ok("Yes".into()),
        ("no" | "false", _) | ("", 1) => Ok("No".into()),
        _ => Err(row.unexpected(
            "answer",
            "yes or no (or an empty cell in a pair's row _0 or _1)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::row::Value;
    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<ChartBench>(source)
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chartbench")
    }

    #[test]
    fn fixture_items_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items: Vec<Item> = open(&ResolvedSource {
            format: Format::VlmevalkitTsv,
            path: fixtures().join("tsv/ChartBench.tsv"),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
        assert_eq!(items.len(), gold.len());
        for (item, g) in items.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            let answers: Vec<&str> = g["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            assert_eq!(item.answers, answers);
            for f in ["QA_type", "pair_id", "chart_type"] {
                assert_eq!(item.fields[f], g[f].as_str().unwrap(), "{f}");
            }
            let instruction = if item.fields["QA_type"] == ACC_PLUS {
                YES_NO_INSTRUCTION
            } else {
                NQA_INSTRUCTION
            };
            assert!(item.question.ends_with(instruction), "{}", item.question);
        }
    }

    #[test]
    fn index_split_follows_vlmevalkit() {
        assert_eq!(split_index("12_1"), ("12", 1));
        assert_eq!(split_index("12_0"), ("12", 0));
        assert_eq!(split_index("12"), ("12", 0));
        assert_eq!(split_index("12_x"), ("12", 0));
        assert_eq!(split_index("a_3_b"), ("a", 3));
    }

    #[test]
    fn families() {
        assert_eq!(chart_family("vertical_stacked"), Some("bar"));
        assert_eq!(chart_family("InteSun"), Some("pie"));
        assert_eq!(chart_family("node_link"), Some("node"));
        assert_eq!(chart_family("ring_wi_anno"), None);
    }

    fn row(cells: &[(&str, &str)]) -> Row {
        let mut row = Row::new("c.tsv:1");
        for (k, v) in cells {
            row.fields.insert(k.to_string(), Value::Str(v.to_string()));
        }
        row
    }

    #[test]
    fn judgement_gold_from_answer_or_position() {
        for (answer, position, want) in [
            ("yes", 1, Some("Yes")),
            ("No", 0, Some("No")),
            ("[yes]", 1, Some("Yes")),
            ("", 0, Some("Yes")),
            ("", 1, Some("No")),
            ("", 2, None),
            ("maybe", 0, None),
        ] {
            let r = row(&[("answer", answer)]);
            assert_eq!(
                judgement(&r, position).ok().as_deref(),
                want,
                "{answer} {position}"
            );
        }
    }

    #[test]
    fn questions_get_their_instruction_once() {
        let png = {
            let img = image::RgbImage::from_pixel(2, 2, image::Rgb([1, 1, 1]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let mut r = row(&[
            ("index", "7_1"),
            (
                "question",
                "Is the red bar the tallest? Please answer yes or no.",
            ),
            ("answer", "no"),
            ("QA_type", "Acc+"),
            ("chart_type", "vertical_single"),
            ("task", "VC"),
        ]);
        r.fields.insert("image".into(), Value::Bytes(png));
        let it = item(&r).unwrap();
        assert_eq!(
            it.question,
            "Is the red bar the tallest? Please answer yes or no."
        );
        assert_eq!(it.fields["pair_id"], "7");
        assert_eq!(it.fields["chart_family"], "bar");
        assert_eq!(it.fields["task"], "VC");
        r.fields
            .insert("question".into(), Value::Str("What is the sum?".into()));
        r.fields
            .insert("QA_type".into(), Value::Str("GPT-acc".into()));
        r.fields
            .insert("answer".into(), Value::Str("['12', '12.5']".into()));
        let it = item(&r).unwrap();
        assert_eq!(it.question, format!("What is the sum?\n{NQA_INSTRUCTION}"));
        assert_eq!(it.fields["QA_type"], "NQA");
        assert_eq!(it.answers, vec!["12", "12.5"]);
        r.fields.insert("QA_type".into(), Value::Str("MCQ".into()));
        assert!(item(&r).unwrap_err().reason.contains("`QA_type`"));
    }

    #[test]
    fn other_formats_are_open_errors() {
        assert!(
            open(&ResolvedSource {
                format: Format::Official,
                path: fixtures(),
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
            })
            .is_err()
        );
    }
}
