//! The error gallery of the decoupling report: a few perception errors (right with the
//! gold table, wrong with a source's own description) and reasoning errors (wrong even with
//! the gold table), each with the chart, the question, the gold answer, and what every
//! perception source described and the reasoning model answered from it.
//!
//! Records do not keep images or question text, so they are re-read from the run's own
//! data (`journal::items`); when the data is gone, the gallery shows the item's source
//! (`file:row`) instead of the image.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::journal::{ItemRecord, Manifest, Status, items};
use crate::strategy::CallRole;

/// Items of each kind kept per reasoning model.
const PER_KIND: usize = 3;

/// What one perception source said about the item and what the reasoning model answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceAnswer {
    pub perception: String,
    pub description: String,
    pub answer: String,
    pub correct: bool,
}

/// One gallery entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GalleryItem {
    pub id: String,
    /// `perception error` or `reasoning error`.
    pub kind: String,
    pub reasoning: String,
    /// The source whose description lost the item (perception errors).
    pub source: Option<String>,
    pub question: Option<String>,
    pub gold: Vec<String>,
    /// `file:row` of the item in the data.
    pub item_source: String,
    /// The chart as a `data:` URL (not written to `decouple.json`).
    #[serde(skip)]
    pub image: Option<String>,
    pub answers: Vec<SourceAnswer>,
}

/// One decoupled run's records by item id, and its manifest (to re-read items).
pub struct CellRecords {
    pub perception: String,
    pub reasoning: String,
    pub manifest: Manifest,
    pub records: HashMap<String, ItemRecord>,
}

fn right(r: &ItemRecord, metric: &str) -> bool {
    r.status == Status::Answered
        && r.metrics
            .as_ref()
            .and_then(|m| m.get(metric))
            .is_some_and(|v| *v >= 1.0)
}

/// Picks the sample and fills in images and questions from the data.
pub fn collect(cells: &[CellRecords], perception: &[String], metric: &str) -> Vec<GalleryItem> {
    let mut out = Vec::new();
    let reasonings: Vec<&String> = {
        let mut v: Vec<&String> = cells.iter().map(|c| &c.reasoning).collect();
        v.dedup();
        v
    };
    for reasoning in reasonings {
        let row: Vec<&CellRecords> = cells.iter().filter(|c| &c.reasoning == reasoning).collect();
        let Some(gold) = row.iter().find(|c| c.perception == "gold-table") else {
            continue;
        };
        let mut ids: Vec<&ItemRecord> = gold.records.values().collect();
        ids.sort_by_key(|r| r.order);
        let (mut perception_errors, mut reasoning_errors) = (0, 0);
        for g in ids {
            let gold_right = right(g, metric);
            let lost_by = row.iter().find(|c| {
                c.perception != "gold-table"
                    && c.perception != "none"
                    && c.records.get(&g.id).is_some_and(|r| !right(r, metric))
            });
            let (kind, source) = match (gold_right, lost_by) {
                (true, Some(c)) if perception_errors < PER_KIND => {
                    perception_errors += 1;
                    ("perception error", Some(c.perception.clone()))
                }
                (false, _) if reasoning_errors < PER_KIND => {
                    reasoning_errors += 1;
                    ("reasoning error", None)
                }
                _ => continue,
            };
            let answers = perception
                .iter()
                .filter_map(|p| row.iter().find(|c| &c.perception == p))
                .filter_map(|c| {
                    let r = c.records.get(&g.id)?;
                    Some(SourceAnswer {
                        perception: c.perception.clone(),
                        description: description(&c.perception, r),
                        answer: r
                            .response
                            .clone()
                            .or_else(|| r.error.clone().map(|e| format!("(failed: {e})")))
                            .unwrap_or_default(),
                        correct: right(r, metric),
                    })
                })
                .collect();
            out.push(GalleryItem {
                id: g.id.clone(),
                kind: kind.into(),
                reasoning: reasoning.clone(),
                source,
                question: None,
                gold: g.gold.answers.clone(),
                item_source: g.source.clone(),
                image: None,
                answers,
            });
            if perception_errors >= PER_KIND && reasoning_errors >= PER_KIND {
                break;
            }
        }
        fill_from_data(&gold.manifest, &mut out);
    }
    out
}

/// A source's description as recorded: the perceive calls' replies; the gold table from
/// the record's fields, if kept there (else filled in from the data).
fn description(perception: &str, r: &ItemRecord) -> String {
    match perception {
        "none" => "(no description: the blind baseline)".into(),
        "gold-table" => r.fields.get("gold_table").cloned().unwrap_or_default(),
        _ => r
            .calls
            .iter()
            .filter(|c| c.role == Some(CallRole::Perceive))
            .filter_map(|c| c.response.clone())
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

/// Adds the question, the image and any missing gold table from the run's data.
fn fill_from_data(manifest: &Manifest, gallery: &mut [GalleryItem]) {
    let wanted: HashSet<String> = gallery
        .iter()
        .filter(|g| g.question.is_none())
        .map(|g| g.id.clone())
        .collect();
    let Ok(found) = items::reread(manifest, &wanted) else {
        return;
    };
    for g in gallery.iter_mut() {
        let Some(item) = found.get(&g.id) else {
            continue;
        };
        g.question = Some(item.question.clone());
        g.image = item.images.first().map(items::data_url);
        for a in &mut g.answers {
            if a.perception == "gold-table" && a.description.is_empty() {
                a.description = item.fields.get("gold_table").cloned().unwrap_or_default();
            }
        }
    }
}
