//! The perception-versus-reasoning report: a matrix of accuracy, perception source x
//! reasoning model, overall and per category, beside each VLM's end-to-end score; the
//! deltas that say whether a model is held back by seeing or by thinking; and per-item
//! attribution: right with the gold table but wrong with a model's own description is a
//! perception error, wrong even with the gold table is a reasoning error.
//!
//! This file is the report's model, built from finished run directories alone (their
//! summaries and journals, opened by `journal::reader`); each rendering is one file beside
//! it: a terminal table, Markdown, JSON and a self-contained HTML page with plots.

pub mod html;
pub mod json;
pub mod markdown;
pub mod terminal;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::journal::{self, ItemRecord, RunDir, Status, Summary};

/// One evaluated configuration: a run directory and what it was.
pub struct RunRef<'a> {
    /// Perception source name, or None for an end-to-end run.
    pub perception: Option<&'a str>,
    /// The reasoning model (decoupled) or the model (end to end).
    pub model: &'a str,
    pub dir: &'a Path,
}

/// Attribution of one (perception, reasoning) pair's items against the gold-table oracle.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub perception: String,
    pub reasoning: String,
    /// Items scored by both this pair and the oracle with the same reasoning model.
    pub n: usize,
    pub correct: usize,
    /// Right with the gold table, wrong with this description.
    pub perception_errors: usize,
    /// Wrong even with the gold table.
    pub reasoning_errors: usize,
}

/// How a VLM fares seeing for itself versus describing for a reasoning model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub model: String,
    pub end_to_end: Option<f64>,
    /// Its description with the best reasoning model.
    pub best_decoupled: Option<f64>,
    pub best_reasoning: Option<String>,
    /// The gold table with that reasoning model minus its description: what its seeing loses.
    pub perception_gap: Option<f64>,
    /// 100 minus the gold table with that reasoning model: what reasoning loses even with
    /// perfect perception.
    pub reasoning_gap: Option<f64>,
    /// Which side holds it back more.
    pub verdict: String,
}

/// The whole report (`decouple.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecoupleReport {
    pub schema: String,
    pub suite: String,
    pub metric: String,
    /// The breakdown column used for categories (the suite card's first), if any.
    pub category_column: Option<String>,
    pub perception: Vec<String>,
    pub reasoning: Vec<String>,
    /// perception -> reasoning -> overall score.
    pub matrix: BTreeMap<String, BTreeMap<String, f64>>,
    /// category -> perception -> reasoning -> score.
    pub by_category: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>,
    /// End-to-end model -> overall score, and per category.
    pub end_to_end: BTreeMap<String, f64>,
    pub end_to_end_by_category: BTreeMap<String, BTreeMap<String, f64>>,
    pub deltas: Vec<Delta>,
    pub attribution: Vec<Attribution>,
}

impl DecoupleReport {
    pub const SCHEMA: &'static str = "evalkit.decouple/1";
}

/// The primary-metric score of each answered-or-failed item of a run (failed = 0).
fn item_scores(records: &[ItemRecord], metric: &str) -> HashMap<String, f64> {
    records
        .iter()
        .map(|r| {
            let v = match r.status {
                Status::Answered => r
                    .metrics
                    .as_ref()
                    .and_then(|m| m.get(metric))
                    .copied()
                    .unwrap_or(0.0),
                Status::Failed => 0.0,
            };
            (r.id.clone(), v)
        })
        .collect()
}

/// A finished run's stored summary and latest records.
fn open_finished(dir: &Path) -> anyhow::Result<(Summary, Vec<ItemRecord>)> {
    let mut run = RunDir::open(dir)?;
    match run.summary.take() {
        Some(summary) => Ok((summary, run.records)),
        None => anyhow::bail!(
            "cannot read {}: {} (re-run the same command to finish the run, or `evalkit report {} --rescore` to rebuild it)",
            dir.join(journal::SUMMARY).display(),
            run.skipped
                .summary
                .as_deref()
                .unwrap_or("it does not exist"),
            dir.display()
        ),
    }
}

/// Builds the report from finished runs.
pub fn build(suite: &str, runs: &[RunRef<'_>]) -> anyhow::Result<DecoupleReport> {
    let mut report = DecoupleReport {
        schema: DecoupleReport::SCHEMA.into(),
        suite: suite.into(),
        metric: String::new(),
        category_column: None,
        perception: Vec::new(),
        reasoning: Vec::new(),
        matrix: BTreeMap::new(),
        by_category: BTreeMap::new(),
        end_to_end: BTreeMap::new(),
        end_to_end_by_category: BTreeMap::new(),
        deltas: Vec::new(),
        attribution: Vec::new(),
    };
    let mut items: HashMap<(String, String), HashMap<String, f64>> = HashMap::new();
    for run in runs {
        let (summary, records) = open_finished(run.dir)?;
        if report.metric.is_empty() {
            report.metric = summary.primary_metric.clone();
            report.category_column = summary.scores.by.keys().next().cloned();
        }
        let overall = summary
            .scores
            .overall
            .metrics
            .get(&report.metric)
            .copied()
            .unwrap_or(0.0);
        let categories: BTreeMap<String, f64> = report
            .category_column
            .as_ref()
            .and_then(|c| summary.scores.by.get(c))
            .map(|groups| {
                groups
                    .iter()
                    .map(|(k, g)| {
                        (
                            k.clone(),
                            g.metrics.get(&report.metric).copied().unwrap_or(0.0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        match run.perception {
            None => {
                report.end_to_end.insert(run.model.to_string(), overall);
                for (cat, v) in categories {
                    report
                        .end_to_end_by_category
                        .entry(cat)
                        .or_default()
                        .insert(run.model.to_string(), v);
                }
            }
            Some(p) => {
                push_unique(&mut report.perception, p);
                push_unique(&mut report.reasoning, run.model);
                report
                    .matrix
                    .entry(p.to_string())
                    .or_default()
                    .insert(run.model.to_string(), overall);
                for (cat, v) in categories {
                    report
                        .by_category
                        .entry(cat)
                        .or_default()
                        .entry(p.to_string())
                        .or_default()
                        .insert(run.model.to_string(), v);
                }
                items.insert(
                    (p.to_string(), run.model.to_string()),
                    item_scores(&records, &report.metric),
                );
            }
        }
    }
    report.attribution = attribution(&report, &items);
    report.deltas = deltas(&report);
    Ok(report)
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

fn attribution(
    report: &DecoupleReport,
    items: &HashMap<(String, String), HashMap<String, f64>>,
) -> Vec<Attribution> {
    let mut out = Vec::new();
    for reasoning in &report.reasoning {
        let Some(oracle) = items.get(&("gold-table".to_string(), reasoning.clone())) else {
            continue;
        };
        for perception in report.perception.iter().filter(|p| *p != "gold-table") {
            let Some(scores) = items.get(&(perception.clone(), reasoning.clone())) else {
                continue;
            };
            let mut a = Attribution {
                perception: perception.clone(),
                reasoning: reasoning.clone(),
                ..Attribution::default()
            };
            for (id, v) in scores {
                let Some(gold) = oracle.get(id) else { continue };
                a.n += 1;
                match (*v >= 1.0, *gold >= 1.0) {
                    (true, _) => a.correct += 1,
                    (false, true) => a.perception_errors += 1,
                    (false, false) => a.reasoning_errors += 1,
                }
            }
            out.push(a);
        }
    }
    out
}

fn deltas(report: &DecoupleReport) -> Vec<Delta> {
    let mut models: Vec<&String> = report.end_to_end.keys().collect();
    for p in &report.perception {
        if !["gold-table", "none", "ocr"].contains(&p.as_str()) && !models.contains(&p) {
            models.push(p);
        }
    }
    models
        .into_iter()
        .map(|model| {
            let row = report.matrix.get(model);
            let best = row
                .and_then(|r| r.iter().max_by(|a, b| a.1.total_cmp(b.1)))
                .map(|(k, v)| (k.clone(), *v));
            let gold = best.as_ref().and_then(|(r, _)| {
                report
                    .matrix
                    .get("gold-table")
                    .and_then(|g| g.get(r))
                    .copied()
            });
            let perception_gap = match (&best, gold) {
                (Some((_, v)), Some(g)) => Some(round2(g - v)),
                _ => None,
            };
            let reasoning_gap = gold.map(|g| round2(100.0 - g));
            let verdict = match (perception_gap, reasoning_gap) {
                (Some(p), Some(r)) if p > r => "held back more by seeing (perception)".to_string(),
                (Some(p), Some(r)) if r > p => "held back more by thinking (reasoning)".to_string(),
                (Some(_), Some(_)) => "seeing and thinking cost the same".to_string(),
                _ => "needs gold-table and the model as a perception source to tell".to_string(),
            };
            Delta {
                model: model.clone(),
                end_to_end: report.end_to_end.get(model).copied(),
                best_decoupled: best.as_ref().map(|(_, v)| *v),
                best_reasoning: best.map(|(r, _)| r),
                perception_gap,
                reasoning_gap,
                verdict,
            }
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

/// Writes `decouple.{json,md,html}` into `dir`; returns the paths written.
pub fn write_files(report: &DecoupleReport, dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use crate::report::{ExportManager, Target};
    let mut manager: ExportManager<'_, DecoupleReport> = ExportManager::new();
    manager
        .add(
            Box::new(json::DecoupleJson),
            Target::File(dir.join("decouple.json")),
        )
        .add(
            Box::new(markdown::DecoupleMarkdown),
            Target::File(dir.join("decouple.md")),
        )
        .add(
            Box::new(html::DecoupleHtml),
            Target::File(dir.join("decouple.html")),
        );
    manager.export(report)
}
