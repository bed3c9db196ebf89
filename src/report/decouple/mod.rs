//! The perception-versus-reasoning report: a matrix of accuracy, perception source x
//! reasoning model, overall and per category, beside each VLM's end-to-end score; the
//! deltas that say whether a model is held back by seeing or by thinking; and per-item
//! attribution: right with the gold table but wrong with a model's own description is a
//! perception error, wrong even with the gold table is a reasoning error.
//!
//! This file is the report's model, built from finished run directories alone (their
//! summaries and journals, opened by `journal::reader`); each rendering is one file beside
//! it: a terminal table, Markdown, JSON and a self-contained HTML page with plots.
//!
//! Every cell carries its item count and 95% interval (the summary's), for the overall
//! score and every breakdown the suite card names; perception sources are compared on
//! their shared items by an exact McNemar test (`mcnemar`); and a sample of perception
//! and reasoning errors is kept for the gallery (`gallery`).

pub mod charts;
pub mod gallery;
pub mod html;
pub mod json;
pub mod markdown;
pub mod mcnemar;
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

/// One score with its item count and the half-width of its 95% interval (percent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub score: f64,
    pub n: usize,
    pub ci95: f64,
}

impl Cell {
    fn of(group: &crate::score::aggregate::Group, metric: &str) -> Cell {
        Cell {
            score: group.metrics.get(metric).copied().unwrap_or(0.0),
            n: group.n,
            ci95: group.ci95.get(metric).copied().unwrap_or(0.0),
        }
    }

    /// `41.5 ± 6.8 (n=200)`.
    pub fn text(&self) -> String {
        format!("{:.1} ± {:.1} (n={})", self.score, self.ci95, self.n)
    }
}

/// perception -> reasoning -> cell.
pub type Matrix = BTreeMap<String, BTreeMap<String, Cell>>;

/// A run directory the report was built from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunLink {
    /// None for an end-to-end run.
    pub perception: Option<String>,
    pub model: String,
    pub strategy: String,
    pub dir: String,
    /// False for a run that was interrupted (its summary is partial).
    pub complete: bool,
}

/// Two perception sources with one reasoning model, compared on their shared items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub reasoning: String,
    pub first: String,
    pub second: String,
    #[serde(flatten)]
    pub test: mcnemar::McNemar,
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
    /// The exact McNemar p-value of its description against the gold table (with the
    /// best reasoning model), when both were run.
    #[serde(default)]
    pub p_vs_gold: Option<f64>,
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
    /// The perception instruction (`agnostic` or `specific`), when the caller knows it.
    #[serde(default)]
    pub instruction: Option<String>,
    /// The runs' strategies, each once (e.g. `decoupled:ocr`): how every cell was asked.
    #[serde(default)]
    pub protocol: Vec<String>,
    /// perception -> reasoning -> score with n and interval.
    #[serde(default)]
    pub cells: BTreeMap<String, BTreeMap<String, Cell>>,
    /// Every breakdown column of the suite card: column -> value -> perception ->
    /// reasoning -> cell.
    #[serde(default)]
    pub breakdowns: BTreeMap<String, BTreeMap<String, Matrix>>,
    /// End-to-end model -> cell, and per breakdown column and value.
    #[serde(default)]
    pub end_to_end_cells: BTreeMap<String, Cell>,
    #[serde(default)]
    pub end_to_end_breakdowns: BTreeMap<String, BTreeMap<String, BTreeMap<String, Cell>>>,
    /// Every pair of perception sources with each reasoning model (exact McNemar).
    #[serde(default)]
    pub paired: Vec<Paired>,
    #[serde(default)]
    pub runs: Vec<RunLink>,
    /// A sample of perception and reasoning errors (filled by [`gallery::collect`]).
    #[serde(default)]
    pub gallery: Vec<gallery::GalleryItem>,
    /// Some runs were interrupted: their cells cover the items answered so far.
    #[serde(default)]
    pub partial: bool,
}

impl DecoupleReport {
    pub const SCHEMA: &'static str = "evalkit.decouple/2";

    /// The paired test of two perception sources with one reasoning model, either order.
    pub fn paired_test(&self, reasoning: &str, a: &str, b: &str) -> Option<&Paired> {
        self.paired.iter().find(|p| {
            p.reasoning == reasoning
                && ((p.first == a && p.second == b) || (p.first == b && p.second == a))
        })
    }
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

/// A run's stored summary (finished, or written when it was interrupted) and its latest
/// records.
fn open_finished(dir: &Path) -> anyhow::Result<(Summary, RunDir)> {
    let mut run = RunDir::open(dir)?;
    match run.summary.take() {
        Some(summary) => Ok((summary, run)),
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

/// Builds the report from finished (or interrupted) runs.
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
        instruction: None,
        protocol: Vec::new(),
        cells: BTreeMap::new(),
        breakdowns: BTreeMap::new(),
        end_to_end_cells: BTreeMap::new(),
        end_to_end_breakdowns: BTreeMap::new(),
        paired: Vec::new(),
        runs: Vec::new(),
        gallery: Vec::new(),
        partial: false,
    };
    let mut items: HashMap<(String, String), HashMap<String, f64>> = HashMap::new();
    let mut cells = Vec::new();
    for run in runs {
        let (summary, run_dir) = open_finished(run.dir)?;
        let records = &run_dir.records;
        if report.metric.is_empty() {
            report.metric = summary.primary_metric.clone();
            report.category_column = summary.scores.by.keys().next().cloned();
        }
        report.partial |= !summary.complete;
        push_unique(
            &mut report.protocol,
            &journal::summary::strategy_label(&summary.strategy),
        );
        report.runs.push(RunLink {
            perception: run.perception.map(str::to_string),
            model: run.model.to_string(),
            strategy: journal::summary::strategy_label(&summary.strategy),
            dir: run.dir.display().to_string(),
            complete: summary.complete,
        });
        let metric = report.metric.as_str();
        let overall = Cell::of(&summary.scores.overall, metric);
        let by: Vec<(&String, &String, Cell)> = summary
            .scores
            .by
            .iter()
            .flat_map(|(col, groups)| {
                groups
                    .iter()
                    .map(move |(value, g)| (col, value, Cell::of(g, metric)))
            })
            .collect();
        let model = run.model.to_string();
        match run.perception {
            None => {
                report.end_to_end.insert(model.clone(), overall.score);
                report.end_to_end_cells.insert(model.clone(), overall);
                for (col, value, cell) in by {
                    if Some(col) == report.category_column.as_ref() {
                        report
                            .end_to_end_by_category
                            .entry(value.clone())
                            .or_default()
                            .insert(model.clone(), cell.score);
                    }
                    report
                        .end_to_end_breakdowns
                        .entry(col.clone())
                        .or_default()
                        .entry(value.clone())
                        .or_default()
                        .insert(model.clone(), cell);
                }
            }
            Some(p) => {
                push_unique(&mut report.perception, p);
                push_unique(&mut report.reasoning, run.model);
                report
                    .matrix
                    .entry(p.to_string())
                    .or_default()
                    .insert(model.clone(), overall.score);
                report
                    .cells
                    .entry(p.to_string())
                    .or_default()
                    .insert(model.clone(), overall);
                for (col, value, cell) in by {
                    if Some(col) == report.category_column.as_ref() {
                        report
                            .by_category
                            .entry(value.clone())
                            .or_default()
                            .entry(p.to_string())
                            .or_default()
                            .insert(model.clone(), cell.score);
                    }
                    report
                        .breakdowns
                        .entry(col.clone())
                        .or_default()
                        .entry(value.clone())
                        .or_default()
                        .entry(p.to_string())
                        .or_default()
                        .insert(model.clone(), cell);
                }
                items.insert(
                    (p.to_string(), model.clone()),
                    item_scores(records, &report.metric),
                );
                cells.push(gallery::CellRecords {
                    perception: p.to_string(),
                    reasoning: model.clone(),
                    records: run_dir
                        .records
                        .iter()
                        .map(|r| (r.id.clone(), r.clone()))
                        .collect(),
                    manifest: run_dir.manifest.clone(),
                });
            }
        }
    }
    report.attribution = attribution(&report, &items);
    report.paired = paired(&report, &items);
    report.deltas = deltas(&report);
    report.gallery = gallery::collect(&cells, &report.perception, &report.metric);
    Ok(report)
}

/// Every pair of perception sources with each reasoning model, on their shared items.
fn paired(
    report: &DecoupleReport,
    items: &HashMap<(String, String), HashMap<String, f64>>,
) -> Vec<Paired> {
    let mut out = Vec::new();
    for reasoning in &report.reasoning {
        for (i, first) in report.perception.iter().enumerate() {
            for second in &report.perception[i + 1..] {
                let (Some(a), Some(b)) = (
                    items.get(&(first.clone(), reasoning.clone())),
                    items.get(&(second.clone(), reasoning.clone())),
                ) else {
                    continue;
                };
                let pairs = a
                    .iter()
                    .filter_map(|(id, x)| b.get(id).map(|y| (*x >= 1.0, *y >= 1.0)));
                out.push(Paired {
                    reasoning: reasoning.clone(),
                    first: first.clone(),
                    second: second.clone(),
                    test: mcnemar::test(pairs),
                });
            }
        }
    }
    out
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
        if p != "gold-table" && !models.contains(&p) {
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
            let test = best
                .as_ref()
                .and_then(|(r, _)| report.paired_test(r, model, "gold-table"));
            let mut verdict = match (perception_gap, reasoning_gap) {
                (Some(p), Some(r)) if p > r => "held back more by seeing (perception)".to_string(),
                (Some(p), Some(r)) if r > p => "held back more by thinking (reasoning)".to_string(),
                (Some(_), Some(_)) => "seeing and thinking cost the same".to_string(),
                _ => "needs gold-table and the model as a perception source to tell".to_string(),
            };
            if let Some(t) = test {
                verdict.push_str(&format!(
                    "; vs gold-table {} (exact McNemar {})",
                    if t.test.significant() {
                        "significantly different"
                    } else {
                        "not significantly different"
                    },
                    p_text(t.test.p_value)
                ));
            }
            Delta {
                model: model.clone(),
                end_to_end: report.end_to_end.get(model).copied(),
                best_decoupled: best.as_ref().map(|(_, v)| *v),
                best_reasoning: best.map(|(r, _)| r),
                perception_gap,
                reasoning_gap,
                verdict,
                p_vs_gold: test.map(|t| t.test.p_value),
            }
        })
        .collect()
}

/// A p-value as people read it: `p = 0.003`, `p < 0.001`.
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
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
