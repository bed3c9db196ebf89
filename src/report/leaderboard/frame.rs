//! The leaderboard's aggregation over many runs, as polars lazy queries over one row per
//! run: which run stands for each model, suite and protocol (the newest complete one; the
//! others left out with the run that supersedes them), each suite's comparability
//! reference (the setting most of its runs share) and what differs from it, and the
//! per-category scores of every run and each suite's category columns. What is computed
//! per run (labels, dates, the comparability keys: [`super::select`],
//! [`super::comparable`]) and the statistics (intervals, rank groups: `crate::stats`)
//! stay where they are; this module only groups, joins and orders them.
//!
//! Ties resolve as before the frames existed: of runs finished at the same time the one
//! found first stands; of settings shared by as many runs, the one found first is the
//! reference.

use std::collections::BTreeMap;

use anyhow::Context as _;
use polars::prelude::*;

use super::{comparable, select};
use crate::journal::RunDir;

/// The setting columns, in the order `differs` lists them, with their display names.
const SETTINGS: [(&str, &str); 7] = [
    ("prompt", "prompt"),
    ("protocol_key", "protocol"),
    ("strategy", "strategy"),
    ("judge", "judge"),
    ("subset", "subset"),
    ("data", "data fingerprint"),
    ("scoring", "scoring version"),
];

/// What the aggregation decided, by index into the runs given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Each suite (by name) with its chosen runs, in the order their entry was first
    /// found.
    pub suites: Vec<(String, Vec<Chosen>)>,
    /// Runs left out, each with why (in the order given).
    pub left_out: Vec<(usize, String)>,
}

/// A chosen run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chosen {
    pub run: usize,
    /// What differs from the suite's reference setting (empty: comparable).
    pub differs: Vec<String>,
    /// `column=value` -> score in percent, for each breakdown category.
    pub categories: BTreeMap<String, f64>,
}

fn u32_index(i: usize) -> anyhow::Result<u32> {
    u32::try_from(i).context("more than 4 billion runs")
}

/// One row per run: its position, entry key, finish time and whether it is complete.
fn runs_frame(runs: &[RunDir]) -> anyhow::Result<DataFrame> {
    let n = runs.len();
    let mut idx = Vec::with_capacity(n);
    let (mut entry, mut suite, mut protocol) = (Vec::new(), Vec::new(), Vec::new());
    let (mut finished, mut complete) = (Vec::new(), Vec::new());
    for (i, run) in runs.iter().enumerate() {
        idx.push(u32_index(i)?);
        entry.push(select::entry_label(run));
        suite.push(run.manifest.suite.name.clone());
        protocol.push(select::protocol(run));
        finished.push(select::finished_at(run));
        // A shard is a slice of the items: never a candidate (left out below, with why).
        complete
            .push(run.manifest.shard.is_none() && run.summary.as_ref().is_some_and(|s| s.complete));
    }
    Ok(DataFrame::new(
        n,
        vec![
            Column::new("idx".into(), idx),
            Column::new("entry".into(), entry),
            Column::new("suite".into(), suite),
            Column::new("protocol".into(), protocol),
            Column::new("finished".into(), finished),
            Column::new("complete".into(), complete),
        ],
    )?)
}

fn u32s(df: &DataFrame, name: &str) -> anyhow::Result<Vec<u32>> {
    Ok(df.column(name)?.u32()?.iter().flatten().collect())
}

fn strs(df: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}

/// The newest complete run of each entry, suite and protocol, and who was left out.
struct Selected {
    /// (suite, run), by suite name, then in the order each entry was first found.
    chosen: Vec<(String, usize)>,
    left_out: Vec<(usize, String)>,
}

fn newest_complete(runs: &[RunDir]) -> anyhow::Result<Selected> {
    let frame = runs_frame(runs)?.lazy();
    let key = [col("entry"), col("suite"), col("protocol")];
    // Newest first, the one found first on a tie: the first of each group stands.
    let winners = frame
        .clone()
        .filter(col("complete"))
        .sort_by_exprs(
            [col("finished"), col("idx")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .group_by(key.clone())
        .agg([
            col("idx").first().alias("winner"),
            col("idx").min().alias("first_found"),
        ]);
    let chosen = winners
        .clone()
        .sort_by_exprs(
            [col("suite"), col("first_found")],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let superseded = frame
        .clone()
        .filter(col("complete"))
        .join(winners, key.clone(), key, JoinArgs::new(JoinType::Inner))
        .filter(col("idx").neq(col("winner")))
        .select([col("idx"), col("winner")])
        .sort(["idx"], SortMultipleOptions::default())
        .collect()?;
    let unfinished = frame
        .filter(col("complete").not())
        .select([col("idx")])
        .collect()?;

    let mut left_out = Vec::new();
    for i in u32s(&unfinished, "idx")? {
        let why = match &runs[i as usize].manifest.shard {
            // Ranking a slice would score a model on a part of the suite.
            Some(shard) => format!(
                "shard {}/{} of run {} (a slice of the items): join the shards with \
                 `evalkit merge SHARD_DIRS... --out DIR` and rank DIR",
                shard.index, shard.count, shard.run_id
            ),
            None => "not finished (no complete summary.json): resume it with `evalkit run` or \
                     rebuild its summary with `evalkit report DIR --rescore`"
                .to_string(),
        };
        left_out.push((i as usize, why));
    }
    for (i, w) in u32s(&superseded, "idx")?
        .into_iter()
        .zip(u32s(&superseded, "winner")?)
    {
        left_out.push((
            i as usize,
            format!(
                "superseded by the newer run {}",
                runs[w as usize].path.display()
            ),
        ));
    }
    left_out.sort_by_key(|(i, _)| *i);
    let chosen = strs(&chosen, "suite")?
        .into_iter()
        .zip(u32s(&chosen, "winner")?)
        .map(|(s, w)| (s, w as usize))
        .collect();
    Ok(Selected { chosen, left_out })
}

/// What differs from each chosen run's suite reference, in the order chosen.
fn differences(runs: &[RunDir], chosen: &[(String, usize)]) -> anyhow::Result<Vec<Vec<String>>> {
    let n = chosen.len();
    let mut pos = Vec::with_capacity(n);
    let mut suite = Vec::with_capacity(n);
    let mut settings: Vec<Vec<String>> = vec![Vec::with_capacity(n); SETTINGS.len()];
    let mut within: BTreeMap<&str, u32> = BTreeMap::new();
    for (s, run) in chosen {
        let counter = within.entry(s.as_str()).or_default();
        pos.push(*counter);
        *counter += 1;
        suite.push(s.clone());
        let setting = comparable::setting(&runs[*run]);
        let values = [
            setting.prompt,
            setting.protocol,
            setting.strategy,
            setting.judge,
            setting.subset,
            setting.data,
            setting.scoring,
        ];
        for (column, value) in settings.iter_mut().zip(values) {
            column.push(value);
        }
    }
    let mut columns = vec![
        Column::new(
            "row".into(),
            (0..n)
                .map(u32_index)
                .collect::<anyhow::Result<Vec<u32>>>()?,
        ),
        Column::new("suite".into(), suite),
        Column::new("pos".into(), pos),
    ];
    for ((name, _), values) in SETTINGS.iter().zip(settings) {
        columns.push(Column::new((*name).into(), values));
    }
    let frame = DataFrame::new(n, columns)?.lazy();
    let setting_cols: Vec<Expr> = SETTINGS.iter().map(|(name, _)| col(*name)).collect();
    let mut group = vec![col("suite")];
    group.extend(setting_cols.iter().cloned());
    // The setting most runs of a suite share; the one found first on a tie.
    let reference = frame
        .clone()
        .group_by(group)
        .agg([len().alias("runs"), col("pos").min().alias("first")])
        .sort_by_exprs(
            [col("suite"), col("runs"), col("first")],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .group_by([col("suite")])
        .agg(
            SETTINGS
                .iter()
                .map(|(name, _)| col(*name).first().alias(format!("{name}_ref")))
                .collect::<Vec<Expr>>(),
        );
    let flags: Vec<Expr> = SETTINGS
        .iter()
        .map(|(name, _)| {
            col(*name)
                .neq(col(format!("{name}_ref")))
                .alias(format!("{name}_differs"))
        })
        .collect();
    let mut select = vec![col("row")];
    select.extend(flags);
    let compared = frame
        .join(
            reference,
            [col("suite")],
            [col("suite")],
            JoinArgs::new(JoinType::Left),
        )
        .select(select)
        .sort(["row"], SortMultipleOptions::default())
        .collect()?;
    let mut out = vec![Vec::new(); n];
    for (name, shown) in SETTINGS {
        let flags = compared.column(&format!("{name}_differs"))?.bool()?;
        for (row, differs) in flags.iter().enumerate() {
            if differs == Some(true) {
                out[row].push(shown.to_string());
            }
        }
    }
    Ok(out)
}

/// Each chosen run's category scores (`column=value` -> percent) in `metric`.
fn categories(
    runs: &[RunDir],
    chosen: &[(String, usize)],
    metric: &BTreeMap<&str, String>,
) -> anyhow::Result<Vec<BTreeMap<String, f64>>> {
    let (mut row, mut category, mut score) = (Vec::new(), Vec::new(), Vec::new());
    for (r, (suite, run)) in chosen.iter().enumerate() {
        let Some(summary) = runs[*run].summary.as_ref() else {
            continue;
        };
        let Some(metric) = metric.get(suite.as_str()) else {
            continue;
        };
        for (column, values) in &summary.scores.by {
            for (value, group) in values {
                if let Some(v) = group.metrics.get(metric) {
                    row.push(u32_index(r)?);
                    category.push(format!("{column}={value}"));
                    score.push(*v);
                }
            }
        }
    }
    let long = DataFrame::new(
        row.len(),
        vec![
            Column::new("row".into(), row),
            Column::new("category".into(), category),
            Column::new("score".into(), score),
        ],
    )?
    .lazy()
    // A category named twice (a breakdown column repeated in a card) keeps its last value,
    // as a map would.
    .group_by([col("row"), col("category")])
    .agg([col("score").last()])
    .sort(["row", "category"], SortMultipleOptions::default())
    .collect()?;
    let mut out = vec![BTreeMap::new(); chosen.len()];
    let rows = u32s(&long, "row")?;
    let names = strs(&long, "category")?;
    let scores = long.column("score")?.f64()?;
    for ((r, name), s) in rows.into_iter().zip(names).zip(scores.iter()) {
        if let (Some(map), Some(s)) = (out.get_mut(r as usize), s) {
            map.insert(name, s);
        }
    }
    Ok(out)
}

/// The headline metric of each suite: the first chosen run's with a summary.
pub fn metrics<'a>(
    runs: &[RunDir],
    chosen: impl Iterator<Item = (&'a str, usize)>,
) -> BTreeMap<&'a str, String> {
    let mut out = BTreeMap::new();
    for (suite, run) in chosen {
        if let Some(s) = runs[run].summary.as_ref() {
            out.entry(suite).or_insert_with(|| s.primary_metric.clone());
        }
    }
    out
}

/// Selection, comparability and category scores of a leaderboard over `runs`.
pub fn plan(runs: &[RunDir]) -> anyhow::Result<Plan> {
    let selected = newest_complete(runs)?;
    let differs = differences(runs, &selected.chosen)?;
    let metric = metrics(runs, selected.chosen.iter().map(|(s, r)| (s.as_str(), *r)));
    let cats = categories(runs, &selected.chosen, &metric)?;
    let mut suites: Vec<(String, Vec<Chosen>)> = Vec::new();
    for (((suite, run), differs), categories) in selected.chosen.iter().zip(differs).zip(cats) {
        let chosen = Chosen {
            run: *run,
            differs,
            categories,
        };
        match suites.last_mut() {
            Some((s, list)) if s == suite => list.push(chosen),
            _ => suites.push((suite.clone(), vec![chosen])),
        }
    }
    Ok(Plan {
        suites,
        left_out: selected.left_out,
    })
}
