//! MMBench (dev, English; VLMEvalKit's `MMBench_DEV_EN.tsv`): the vanilla questions
//! ([`MmBench`]) and VLMEvalKit's circular evaluation ([`MmBenchCircular`]).
//!
//! The TSV: `index`, `question`, `hint`, option columns `A`..`D` (an option exists when its
//! cell is non-empty), `answer` (a letter), `category`, `l2-category`, `image` (base64, or the
//! index of a row whose image it reuses), optional `split`, `source`, `comment`. VLMEvalKit's
//! file also holds the circular copies of each question: a row whose `index` is at least
//! 1,000,000 is a rotation of question `index % 1e6` (`mcq_circular_eval` in
//! `vlmeval/dataset/utils/multiple_choice.py`, open-compass/VLMEvalKit, followed as of
//! `e8e78f0`, 2026-08-18).
//!
//! - **Vanilla** reads the original questions (`index` < 1e6) and skips the copies: the
//!   `vanilla_0` figure of VLMEvalKit (`PRINT_VANILLA`).
//! - **Circular** asks every question once per rotation of its options and makes a question
//!   right only if every rotation is right (VLMEvalKit's `eval_circular_group`). evalkit makes
//!   the rotations itself from the original row, so a TSV with or without VLMEvalKit's copies
//!   gives the same items, and skips the copies: rotation k (0 <= k < number of options) puts
//!   the option that was at position `(i + k) mod n` at position i (A B C D, B C D A, C D A B,
//!   D A B C, MMBench's circular shift) and relabels the answer; its id is
//!   `index + k * 1000000`, VLMEvalKit's numbering. Every rotation carries the field
//!   `circular_group` (the original index), which the card's `[[group_metric]]` groups by.
//!   The set of rotated questions is the same whichever way one shifts, so per-question
//!   figures equal VLMEvalKit's; only which copy bears which id could differ.
//!
//! Fields: `category`, `l2-category`, `question`, `circular_group` and `rotation`. The split
//! is `dev`. Rows are read lazily; images stay as stored.

use std::collections::BTreeMap;

use super::item::{Choice, InvalidRow, Item, LoadResult};
use super::reader::{Items, Mapping};
use super::row::{Row, RowStream};
use super::{Format, ResolvedSource, tsv};

/// The index offset of VLMEvalKit's circular copies.
pub const COPY_OFFSET: i64 = 1_000_000;

const NAME: &str = "MMBench";
const SOURCES: &str = "VLMEvalKit's MMBench_DEV_EN.tsv";

fn open_tsv(source: &ResolvedSource) -> anyhow::Result<RowStream> {
    tsv::open(
        &source.path,
        &["image", "question", "answer", "category", "A", "B"],
    )
}

/// MMBench, each question asked once.
pub struct MmBench;

impl Mapping for MmBench {
    const NAME: &'static str = NAME;
    const FORMATS: &'static [Format] = &[Format::VlmevalkitTsv];
    const SOURCES: &'static str = SOURCES;

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        Ok((MmBench, open_tsv(source)?))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        original(&row)
    }

    fn items(&mut self, row: Row) -> Items {
        match row.int("index") {
            Ok(i) if i >= COPY_OFFSET => Items::many(Vec::new()),
            _ => Items::one(self.item(row)),
        }
    }
}

/// MMBench with circular evaluation: every rotation of every question.
pub struct MmBenchCircular;

impl Mapping for MmBenchCircular {
    const NAME: &'static str = NAME;
    const FORMATS: &'static [Format] = &[Format::VlmevalkitTsv];
    const SOURCES: &'static str = SOURCES;

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        Ok((MmBenchCircular, open_tsv(source)?))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        original(&row)
    }

    fn items(&mut self, row: Row) -> Items {
        match row.int("index") {
            Ok(i) if i >= COPY_OFFSET => Items::many(Vec::new()),
            _ => match original(&row) {
                Ok(item) => Items::many(rotations(&item).into_iter().map(Ok).collect()),
                Err(bad) => Items::one(Err(bad)),
            },
        }
    }
}

/// The question as the row has it (rotation 0).
fn original(row: &Row) -> Result<Item, InvalidRow> {
    let index = row.int("index")?;
    if index < 0 {
        return Err(row.unexpected("index", "a non-negative integer"));
    }
    let question = row.text("question")?.trim().to_string();
    let mut choices = Vec::new();
    for letter in 'A'..='Z' {
        match row.opt_text(&letter.to_string())? {
            Some(text) if !text.trim().is_empty() => choices.push(Choice {
                label: letter.to_string(),
                text: text.trim().to_string(),
            }),
            _ => break,
        }
    }
    if choices.len() < 2 {
        return Err(row.invalid(
            "fewer than two option columns (A, B, ...) are filled; an MMBench row needs its options",
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
    let mut fields = BTreeMap::from([
        ("question".to_string(), question.clone()),
        (
            "category".to_string(),
            row.text("category")?.trim().to_string(),
        ),
        ("circular_group".to_string(), index.to_string()),
        ("rotation".to_string(), "0".to_string()),
    ]);
    if let Some(l2) = row.opt_text("l2-category")? {
        fields.insert("l2-category".to_string(), l2.trim().to_string());
    }
    Ok(Item {
        id: index.to_string(),
        order: 0,
        source: row.source.clone(),
        question,
        hint: row
            .opt_text("hint")?
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty() && h != "nan"),
        choices,
        answers: vec![answer],
        images: row.images("image")?,
        split: Some("dev".to_string()),
        fields,
    })
}

/// Every rotation of `item`'s options, rotation 0 (the item itself) first.
pub fn rotations(item: &Item) -> Vec<Item> {
    let n = item.choices.len();
    let index: i64 = item.id.parse().unwrap_or(0);
    let answer_at = item
        .choices
        .iter()
        .position(|c| Some(&c.label) == item.answers.first())
        .unwrap_or(0);
    (0..n)
        .map(|k| {
            let choices: Vec<Choice> = (0..n)
                .map(|i| Choice {
                    label: item.choices[i].label.clone(),
                    text: item.choices[(i + k) % n].text.clone(),
                })
                .collect();
            // The answer's text moves from position p to (p - k) mod n.
            let new_at = (answer_at + n - k) % n;
            let mut fields = item.fields.clone();
            fields.insert("rotation".to_string(), k.to_string());
            Item {
                id: (index + k as i64 * COPY_OFFSET).to_string(),
                choices,
                answers: vec![item.choices[new_at].label.clone()],
                fields,
                ..item.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items<M: Mapping>() -> Vec<Item> {
        crate::suite::testing::ok_items(
            crate::suite::reader::open::<M>,
            Format::VlmevalkitTsv,
            crate::suite::testing::fixtures("mmbench").join("tsv/MMBench_DEV_EN.tsv"),
        )
    }

    #[test]
    fn rotations_shift_the_options_and_follow_the_answer() {
        let item = Item {
            id: "7".into(),
            choices: ["w", "x", "y", "z"]
                .iter()
                .zip(["A", "B", "C", "D"])
                .map(|(t, l)| Choice {
                    label: l.into(),
                    text: (*t).into(),
                })
                .collect(),
            answers: vec!["B".into()],
            ..Item::default()
        };
        let r = rotations(&item);
        let texts = |i: &Item| i.choices.iter().map(|c| c.text.clone()).collect::<String>();
        let got: Vec<(String, String, String)> = r
            .iter()
            .map(|i| (i.id.clone(), texts(i), i.answers[0].clone()))
            .collect();
        // "x" is the answer: B, then A, D, C as it moves.
        assert_eq!(
            got,
            vec![
                ("7".into(), "wxyz".into(), "B".into()),
                ("1000007".into(), "xyzw".into(), "A".into()),
                ("2000007".into(), "yzwx".into(), "D".into()),
                ("3000007".into(), "zwxy".into(), "C".into()),
            ]
        );
    }

    #[test]
    fn vanilla_skips_copies_and_circular_makes_every_rotation() {
        let vanilla = items::<MmBench>();
        let ids: Vec<&str> = vanilla.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, vec!["0", "1", "2"]);
        assert_eq!(
            vanilla[0].hint.as_deref(),
            Some("The picture shows a farm.")
        );
        assert_eq!(vanilla[1].hint, None);
        let circular = items::<MmBenchCircular>();
        // 4 + 3 + 2 options.
        assert_eq!(circular.len(), 9);
        assert!(
            circular
                .iter()
                .all(|i| i.fields.contains_key("circular_group"))
        );
        assert_eq!(circular[4].id, "1");
        assert_eq!(circular[5].id, "1000001");
    }
}
