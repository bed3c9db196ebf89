//! HallusionBench: maps VLMEvalKit's `HallusionBench.tsv` into [`Item`]s (yes/no questions,
//! scored with `yes_no`; the card adds VLMEvalKit's figure and question accuracies).
//!
//! Columns read ([`Format::VlmevalkitTsv`]): `index`, `image`, `question`, `answer`
//! (`Yes`/`No`), `category` (`VD` visual-dependent / `VS` visual-supplement) and `l2-category`
//! (category and subcategory, e.g. `VD_chart`). VLMEvalKit's `Hallusion_rating`
//! (`vlmeval/dataset/utils/yorn.py`) takes `set_id`, `figure_id` and `question_id` from the
//! `_`-separated parts 3, 4 and 5 of `index`, overriding any columns of those names; evalkit
//! does the same, and falls back to `set_id` / `figure_id` / `question_id` columns only when
//! the index has fewer than six parts. A row with neither is invalid.
//!
//! Its three figures, as VLMEvalKit computes them:
//! - aAcc: the per-question accuracy (the scorer's `accuracy`);
//! - fAcc: questions grouped by (`l2-category`, `set_id`, `figure_id`), a group right when
//!   every question on that figure is right;
//! - qAcc: grouped by (`l2-category`, `set_id`, `question_id`), right when every variant of
//!   the question (over the original and edited figures) is right.
//!   The suite card declares fAcc and qAcc as `[[group_metric]]`s over these fields.
//!
//! Ids are the TSV's `index`. Fields: `category`, `l2-category`, `set_id`, `figure_id`,
//! `question_id`. Gold is normalised to `Yes` / `No` (VLMEvalKit compares it with the
//! extracted `Yes` / `No` exactly). An empty `image` cell gives a text-only item (the
//! official benchmark has questions without a figure, `visual_input = 0`).

use std::collections::BTreeMap;

use super::item::{InvalidRow, Item, LoadResult};
use super::reader::Mapping;
use super::row::{Row, RowStream};
use super::{Format, ResolvedSource, tsv};

/// The grouping fields, named as VLMEvalKit names them.
pub const SET_ID: &str = "set_id";
pub const FIGURE_ID: &str = "figure_id";
pub const QUESTION_ID: &str = "question_id";

/// HallusionBench's mapping (one form, nothing to remember).
pub struct HallusionBench;

impl Mapping for HallusionBench {
    const NAME: &'static str = "HallusionBench";
    const FORMATS: &'static [Format] = &[Format::VlmevalkitTsv];
    const SOURCES: &'static str = "VLMEvalKit's HallusionBench.tsv";

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let rows = tsv::open(
            &source.path,
            &["image", "question", "answer", "category", "l2-category"],
        )?;
        Ok((HallusionBench, rows))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        item(&row)
    }
}

fn item(row: &Row) -> Result<Item, InvalidRow> {
    let index = row.text("index")?.trim().to_string();
    let (set_id, figure_id, question_id) = group_ids(row, &index)?;
    let answer = match row.text("answer")?.trim().to_ascii_lowercase().as_str() {
        "yes" => "Yes",
        "no" => "No",
        _ => return Err(row.unexpected("answer", "Yes or No")),
    };
    let images = match row.get("image") {
        None => Vec::new(),
        Some(_) => row.images("image")?,
    };
    let fields = BTreeMap::from([
        (
            "category".to_string(),
            row.text("category")?.trim().to_string(),
        ),
        (
            "l2-category".to_string(),
            row.text("l2-category")?.trim().to_string(),
        ),
        (SET_ID.to_string(), set_id),
        (FIGURE_ID.to_string(), figure_id),
        (QUESTION_ID.to_string(), question_id),
    ]);
    Ok(Item {
        id: index,
        order: 0,
        source: row.source.clone(),
        question: row.text("question")?.trim().to_string(),
        hint: None,
        choices: Vec::new(),
        answers: vec![answer.to_string()],
        images,
        split: None,
        fields,
    })
}

/// `(set_id, figure_id, question_id)`: parts 3, 4, 5 of the index split on `_` (as
/// VLMEvalKit does), else the columns of those names.
fn group_ids(row: &Row, index: &str) -> Result<(String, String, String), InvalidRow> {
    let parts: Vec<&str> = index.split('_').collect();
    if parts.len() >= 6 {
        return Ok((
            parts[3].to_string(),
            parts[4].to_string(),
            parts[5].to_string(),
        ));
    }
    let column = |name: &str| -> Result<String, InvalidRow> {
        match row.opt_text(name)? {
            Some(v) => Ok(v.trim().to_string()),
            None => Err(row.invalid(format!(
                "cannot tell `{name}`: the index {index:?} has fewer than six `_`-separated parts \
                 (VLMEvalKit reads set_id, figure_id and question_id from parts 3, 4 and 5) and \
                 the row has no `{name}` column"
            ))),
        }
    };
    Ok((column(SET_ID)?, column(FIGURE_ID)?, column(QUESTION_ID)?))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<HallusionBench>(source)
    }

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("hallusionbench")
    }

    fn load(path: PathBuf) -> Vec<Result<Item, InvalidRow>> {
        crate::suite::testing::load(open, Format::VlmevalkitTsv, path)
    }

    #[test]
    fn fixture_items_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items: Vec<Item> = load(fixtures().join("tsv/HallusionBench.tsv"))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(items.len(), gold.len());
        for (n, (item, g)) in items.iter().zip(gold).enumerate() {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.order, n as u64);
            assert_eq!(item.answers[0], g["answer"].as_str().unwrap());
            for f in ["category", "l2-category", SET_ID, FIGURE_ID, QUESTION_ID] {
                assert_eq!(item.fields[f], g[f].as_str().unwrap(), "{f}");
            }
        }
    }

    fn row(cells: &[(&str, &str)]) -> Row {
        let mut row = Row::new("h.tsv:1");
        for (k, v) in cells {
            row.fields
                .insert(k.to_string(), super::super::row::Value::Str(v.to_string()));
        }
        row
    }

    #[test]
    fn group_ids_follow_vlmevalkit() {
        let r = row(&[("set_id", "9"), ("figure_id", "9"), ("question_id", "9")]);
        assert_eq!(
            group_ids(&r, "VD_chart_1_2_3_4").unwrap(),
            ("2".into(), "3".into(), "4".into())
        );
        assert_eq!(
            group_ids(&r, "17").unwrap(),
            ("9".into(), "9".into(), "9".into())
        );
        let err = group_ids(&row(&[("set_id", "1")]), "17").unwrap_err();
        assert!(err.reason.contains("`figure_id`"), "{}", err.reason);
    }

    #[test]
    fn answers_normalise_and_text_only_rows_are_items() {
        let mut r = row(&[
            ("index", "VS_map_0_1_0_0"),
            ("question", "Is it?"),
            ("answer", " yes "),
            ("category", "VS"),
            ("l2-category", "VS_map"),
        ]);
        let item = item(&r).unwrap();
        assert_eq!(item.answers, vec!["Yes"]);
        assert!(item.images.is_empty());
        r.fields.insert(
            "answer".into(),
            super::super::row::Value::Str("maybe".into()),
        );
        assert!(super::item(&r).unwrap_err().reason.contains("Yes or No"));
    }

    #[test]
    fn other_formats_are_open_errors() {
        let source = ResolvedSource {
            format: Format::Official,
            path: fixtures(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        };
        assert!(open(&source).is_err());
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("h.tsv");
        std::fs::write(&path, "index\timage\tquestion\tanswer\n").unwrap();
        let err = open(&ResolvedSource {
            format: Format::VlmevalkitTsv,
            path,
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("l2-category"), "{err}");
    }
}
