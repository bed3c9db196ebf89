//! `evalkit leaderboard RUNS_DIR... --out DIR`: every finished run found (through the
//! run-directory reader and scanner), the newest per model, suite and protocol
//! ([`select`]), ranked per suite with significance-aware rank groups: sorted by score,
//! a model whose difference from the one above is not significant on the items both
//! answered (paired bootstrap interval including zero) shares its rank. Runs whose
//! settings differ from the suite's reference ([`comparable`]) are shown, marked with what
//! differs, and not ranked. Written as `leaderboard.{md,csv,json,html}` by one exporter
//! per format, through the one export manager.
//!
//! The aggregation over the runs (which run stands for each model, suite and protocol,
//! each suite's comparability reference, the per-category scores) is polars lazy queries
//! ([`frame`]); the paired statistics behind the rank groups are `crate::stats`'.

pub mod comparable;
pub mod csv;
pub mod frame;
pub mod html;
pub mod json;
pub mod markdown;
pub mod select;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::compare::{paired, pairing};
use crate::journal::RunDir;
use crate::stats::{Interval, rng::SplitMix64};

/// One model's row in one suite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The model card's name (with the strategy when not `direct`).
    pub model: String,
    pub strategy: String,
    pub protocol: String,
    /// Rank (1 = best); models in one rank group share it. None when not comparable.
    pub rank: Option<usize>,
    /// The rank group's number (1, 2, ... from the top), when ranked.
    pub group: Option<usize>,
    /// The headline score in percent and its 95% interval (the summary's normal
    /// interval).
    pub score: f64,
    pub ci95: Interval,
    pub n: usize,
    /// `column=value` -> score in percent, for each breakdown category.
    pub categories: BTreeMap<String, f64>,
    /// The paired difference from the next ranked model (points), on the items both have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_next: Option<VsNext>,
    /// Whether the run's settings match the suite's reference; else what differs.
    pub comparable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differs: Vec<String>,
    pub run_dir: PathBuf,
    pub run_id: String,
    /// When the run finished (RFC 3339).
    pub run_date: String,
    pub evalkit_version: String,
    /// The model card's fingerprint (what changes its answers).
    pub card_fingerprint: String,
}

/// A ranked model against the one ranked below it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VsNext {
    pub model: String,
    pub paired: usize,
    pub difference: f64,
    pub ci95: Option<Interval>,
    pub p: Option<f64>,
    pub significant: bool,
}

/// One suite's board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteBoard {
    pub suite: String,
    pub metric: String,
    /// Breakdown categories shown (`column=value`), in order.
    pub categories: Vec<String>,
    /// Ranked entries first (by rank, then score), then the entries not comparable.
    pub entries: Vec<Entry>,
}

/// The whole leaderboard (`leaderboard.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leaderboard {
    pub schema: String,
    /// Bootstrap resamples and seed of the rank groups' paired tests.
    pub resamples: usize,
    pub seed: u64,
    pub suites: Vec<SuiteBoard>,
    /// Runs left out, and why (unfinished, superseded by a newer run).
    pub left_out: Vec<LeftOut>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    pub run_dir: PathBuf,
    pub reason: String,
}

impl Leaderboard {
    pub const SCHEMA: &'static str = "evalkit.leaderboard/1";

    /// Every model listed, once each, in first-seen order.
    pub fn models(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.suites {
            for e in &s.entries {
                if !out.contains(&e.model) {
                    out.push(e.model.clone());
                }
            }
        }
        out
    }
}

/// Builds the leaderboard from opened runs.
pub fn build(runs: Vec<RunDir>, resamples: usize, seed: u64) -> anyhow::Result<Leaderboard> {
    let plan = frame::plan(&runs)?;
    let left_out: Vec<LeftOut> = plan
        .left_out
        .into_iter()
        .filter_map(|(i, reason)| {
            runs.get(i).map(|r| LeftOut {
                run_dir: r.path.clone(),
                reason,
            })
        })
        .collect();
    let mut left_out = left_out;
    left_out.sort_by(|a, b| a.run_dir.cmp(&b.run_dir));
    if plan.suites.is_empty() {
        let reasons: Vec<String> = left_out
            .iter()
            .take(3)
            .map(|l| format!("\n  {}: {}", l.run_dir.display(), l.reason))
            .collect();
        anyhow::bail!(
            "no finished run to rank (a leaderboard needs runs whose summary.json says \
             complete; finish or resume them with `evalkit run`){}",
            reasons.concat()
        );
    }
    let suites = plan
        .suites
        .into_iter()
        .map(|(suite, chosen)| suite_board(&suite, &runs, chosen, resamples, seed))
        .collect();
    Ok(Leaderboard {
        schema: Leaderboard::SCHEMA.into(),
        resamples,
        seed,
        suites,
        left_out,
    })
}

fn entry(run: &RunDir, metric: &str, chosen: frame::Chosen) -> Entry {
    let summary = run.summary.as_ref();
    let overall = summary.map(|s| &s.scores.overall);
    let score = overall
        .and_then(|g| g.metrics.get(metric))
        .copied()
        .unwrap_or(0.0);
    let half = overall
        .and_then(|g| g.ci95.get(metric))
        .copied()
        .unwrap_or(0.0);
    let m = &run.manifest;
    Entry {
        model: select::entry_label(run),
        strategy: crate::report::compare::strategy_name(&m.strategy).to_string(),
        protocol: select::protocol(run),
        rank: None,
        group: None,
        score,
        ci95: Interval {
            low: paired::round4((score - half).max(0.0)),
            high: paired::round4((score + half).min(100.0)),
        },
        n: overall.map_or(run.records.len(), |g| g.n),
        categories: chosen.categories,
        vs_next: None,
        comparable: chosen.differs.is_empty(),
        differs: chosen.differs,
        run_dir: run.path.clone(),
        run_id: m.run_id.clone(),
        run_date: select::finished_at(run),
        evalkit_version: m.evalkit_version.clone(),
        card_fingerprint: m.model_fingerprint.clone(),
    }
}

fn suite_board(
    suite: &str,
    runs: &[RunDir],
    chosen: Vec<frame::Chosen>,
    resamples: usize,
    seed: u64,
) -> SuiteBoard {
    let metric = chosen
        .iter()
        .find_map(|c| {
            runs[c.run]
                .summary
                .as_ref()
                .map(|s| s.primary_metric.clone())
        })
        .unwrap_or_default();
    let mut ranked: Vec<(Entry, &RunDir)> = Vec::new();
    let mut others: Vec<Entry> = Vec::new();
    for c in chosen {
        let run = &runs[c.run];
        let e = entry(run, &metric, c);
        if e.comparable {
            ranked.push((e, run));
        } else {
            others.push(e);
        }
    }
    ranked.sort_by(|(a, _), (b, _)| b.score.total_cmp(&a.score).then(a.model.cmp(&b.model)));
    rank_groups(suite, &metric, &mut ranked, resamples, seed);
    others.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.model.cmp(&b.model)));
    let mut categories: Vec<String> = Vec::new();
    for (e, _) in &ranked {
        categories.extend(e.categories.keys().cloned());
    }
    for e in &others {
        categories.extend(e.categories.keys().cloned());
    }
    categories.sort();
    categories.dedup();
    let mut entries: Vec<Entry> = ranked.into_iter().map(|(e, _)| e).collect();
    entries.extend(others);
    SuiteBoard {
        suite: suite.to_string(),
        metric,
        categories,
        entries,
    }
}

/// Assigns ranks: walking down the sorted list, a model joins the group of the one above
/// unless the paired difference between them is significant on their shared items.
fn rank_groups(
    suite: &str,
    metric: &str,
    ranked: &mut [(Entry, &RunDir)],
    resamples: usize,
    seed: u64,
) {
    let mut group = 0;
    let mut rank = 0;
    for i in 0..ranked.len() {
        let split = if i == 0 {
            true
        } else {
            ranked[i - 1]
                .0
                .vs_next
                .as_ref()
                .is_some_and(|v| v.significant)
        };
        if split {
            group += 1;
            rank = i + 1;
        }
        ranked[i].0.group = Some(group);
        ranked[i].0.rank = Some(rank);
        if let Some(next) = ranked.get(i + 1) {
            let vs = vs_next(
                suite,
                metric,
                ranked[i].1,
                next.1,
                &next.0.model,
                resamples,
                seed,
            );
            ranked[i].0.vs_next = Some(vs);
        }
    }
}

fn vs_next(
    suite: &str,
    metric: &str,
    upper: &RunDir,
    lower: &RunDir,
    lower_model: &str,
    resamples: usize,
    seed: u64,
) -> VsNext {
    // Upper minus lower: positive when the order is right.
    let p = pairing::pair(&lower.records, &upper.records);
    let a: Vec<f64> = p
        .pairs
        .iter()
        .map(|(x, _)| pairing::value(x, metric))
        .collect();
    let b: Vec<f64> = p
        .pairs
        .iter()
        .map(|(_, y)| pairing::value(y, metric))
        .collect();
    let label = format!(
        "leaderboard/{suite}/{}/{}/{metric}",
        lower.manifest.run_id, upper.manifest.run_id
    );
    let stats = paired::compare(
        &a,
        &b,
        None,
        resamples,
        &mut SplitMix64::for_label(seed, &label),
    );
    VsNext {
        model: lower_model.to_string(),
        paired: stats.n,
        difference: stats.difference,
        ci95: stats.ci95,
        p: stats.p,
        significant: stats.significant(),
    }
}
