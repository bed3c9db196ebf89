//! `evalkit compare RUN_A RUN_B [RUN_C ...]`: whether a change helped, decided on the
//! items the runs share. Runs are grouped by suite; within a suite every pair (A before
//! B, in the order given) is compared overall and per breakdown category with paired
//! statistics ([`paired`]); Holm and Benjamini-Hochberg corrections run over every
//! category of every pair of the suite. Items are paired by identity ([`pairing`]), and
//! what one side has and the other lacks is counted and can be listed.
//!
//! The report is a value (`compare.json`'s shape) rendered by one file per format
//! ([`render`]); the CI gate (`--fail-if-drop`) is [`gate`]. The same inputs, seed and
//! resample count give byte-identical output.

pub mod gate;
pub mod paired;
pub mod pairing;
pub mod render;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::journal::{ItemRecord, RunDir};
use crate::stats::rng::SplitMix64;
use paired::PairedStats;

/// What `evalkit compare` was asked.
#[derive(Clone, Debug)]
pub struct Options {
    /// The metric compared (default: each suite's headline metric).
    pub metric: Option<String>,
    pub resamples: usize,
    pub seed: u64,
    /// The field naming an item's chart, for the cluster-robust interval (default: the
    /// first of `chart`, `figure_id`, `source_id` that items share).
    pub cluster: Option<String>,
    /// Which items to list.
    pub items: Option<ItemList>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            metric: None,
            resamples: crate::stats::bootstrap::DEFAULT_RESAMPLES,
            seed: 0,
            cluster: None,
            items: None,
        }
    }
}

/// Items `--items` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ItemList {
    /// Items whose value changed between the runs.
    Flipped,
    /// Items only the first run of a pair has.
    AOnly,
    /// Items only the second run of a pair has.
    BOnly,
}

/// One run being compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// How reports name the run: its model, with the strategy when not `direct`, and the
    /// run id when two runs would read the same.
    pub label: String,
    pub dir: PathBuf,
    pub run_id: String,
    pub model: String,
    pub strategy: String,
    pub items: usize,
    /// Whether every selected item is answered or failed (from the stored summary).
    pub complete: bool,
}

/// One row of a pair's table: overall or one breakdown category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `overall`, or the breakdown column.
    pub column: String,
    /// Empty for `overall`, else the category.
    pub value: String,
    #[serde(flatten)]
    pub stats: PairedStats,
}

impl Row {
    pub fn label(&self) -> String {
        if self.value.is_empty() {
            self.column.clone()
        } else {
            format!("{}={}", self.column, self.value)
        }
    }
}

/// A listed item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListedItem {
    pub id: String,
    pub gold: Vec<String>,
    /// The value in each run (percent), absent on the side that lacks the item.
    pub value_a: Option<f64>,
    pub value_b: Option<f64>,
    pub response_a: Option<String>,
    pub response_b: Option<String>,
}

/// Two runs of one suite compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// Indices into the suite's `runs`.
    pub a: usize,
    pub b: usize,
    pub paired: usize,
    pub a_only: usize,
    pub b_only: usize,
    /// Ids both runs have with different gold answers (not paired; in both `*_only`).
    pub gold_changed: usize,
    /// The field whose value names an item's chart, when clustered intervals are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_field: Option<String>,
    /// Overall first, then each category in column and value order.
    pub rows: Vec<Row>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ListedItem>>,
}

/// One suite's comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteComparison {
    pub suite: String,
    pub metric: String,
    pub runs: Vec<RunInfo>,
    pub pairs: Vec<Pair>,
}

/// The whole report (`--format json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema: String,
    pub resamples: usize,
    pub seed: u64,
    /// What the corrections run over.
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemList>,
    pub suites: Vec<SuiteComparison>,
    /// Runs left out, and why (e.g. a suite with only one run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Comparison {
    pub const SCHEMA: &'static str = "evalkit.compare/1";
}

/// Compares runs (opened run directories, in the order given).
pub fn compare(runs: &[RunDir], options: &Options) -> anyhow::Result<Comparison> {
    let mut suites: Vec<(String, Vec<&RunDir>)> = Vec::new();
    for run in runs {
        let suite = &run.manifest.suite.name;
        match suites.iter_mut().find(|(s, _)| s == suite) {
            Some((_, list)) => list.push(run),
            None => suites.push((suite.clone(), vec![run])),
        }
    }
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    for (suite, runs) in &suites {
        if runs.len() < 2 {
            warnings.push(format!(
                "suite {suite}: only one run ({}), nothing to compare it with",
                runs[0].path.display()
            ));
            continue;
        }
        out.push(compare_suite(suite, runs, options)?);
    }
    if out.is_empty() {
        let found: Vec<String> = suites
            .iter()
            .map(|(s, r)| format!("{} of {s}", r.len()))
            .collect();
        anyhow::bail!(
            "compare needs at least two runs of the same suite; got {} (give two run \
             directories of one suite, e.g. runs/chartqa/model-a/<id> runs/chartqa/model-b/<id>)",
            found.join(", ")
        );
    }
    Ok(Comparison {
        schema: Comparison::SCHEMA.into(),
        resamples: options.resamples,
        seed: options.seed,
        family: "per suite: every category (overall included) of every pair of runs".into(),
        items: options.items,
        suites: out,
        warnings,
    })
}

/// The metric compared for a suite: the option, else the headline of the first run's
/// summary, else its scorer's headline. An error when a run's records lack it.
fn metric_of(suite: &str, runs: &[&RunDir], wanted: Option<&str>) -> anyhow::Result<String> {
    let first = runs[0];
    let metric = match wanted {
        Some(m) => m.to_string(),
        None => match &first.summary {
            Some(s) => s.primary_metric.clone(),
            None => crate::score::by_name(&first.manifest.suite.scorer)
                .map(|s| s.primary_metric().to_string())
                .map_err(|e| anyhow::anyhow!("{}: {e}", first.path.display()))?,
        },
    };
    for run in runs {
        let answered: Vec<&ItemRecord> =
            run.records.iter().filter(|r| r.metrics.is_some()).collect();
        if !answered.is_empty()
            && !answered
                .iter()
                .any(|r| r.metrics.as_ref().is_some_and(|m| m.contains_key(&metric)))
        {
            let mut names: Vec<String> = answered[0]
                .metrics
                .iter()
                .flat_map(|m| m.keys().cloned())
                .collect();
            names.sort();
            anyhow::bail!(
                "{}: no item of suite {suite} has metric `{metric}` (it has {}); pick one with --metric",
                run.path.display(),
                names.join(", ")
            );
        }
    }
    Ok(metric)
}

/// A strategy's short name: the manifest records the strategy with its prompt after a
/// `|` (`direct|{question}...`); reports show the part before it.
pub fn strategy_name(strategy: &str) -> &str {
    strategy.split('|').next().unwrap_or(strategy)
}

/// How a report names a run: the model card, with the strategy when it is not `direct`;
/// a decoupled run also names its perception sources (read from its folder,
/// `SOURCES-to-MODEL`), since each source makes another system.
pub fn run_label(run: &RunDir) -> String {
    let m = &run.manifest;
    match strategy_name(&m.strategy) {
        "direct" => m.model.name.clone(),
        "decoupled" => match decoupled_sources(run) {
            Some(sources) => format!("{} (decoupled from {sources})", m.model.name),
            None => format!("{} (decoupled)", m.model.name),
        },
        other => format!("{} ({other})", m.model.name),
    }
}

/// The perception sources of a decoupled run, from the folder `run` writes it in
/// (`SOURCES-to-MODEL/RUN_ID`); None when the run was moved out of that layout.
fn decoupled_sources(run: &RunDir) -> Option<&str> {
    let folder = run.path.parent()?.file_name()?.to_str()?;
    let sources = folder.strip_suffix(run.manifest.model.name.as_str())?;
    sources.strip_suffix("-to-").filter(|s| !s.is_empty())
}

fn labels(runs: &[&RunDir]) -> Vec<String> {
    let base: Vec<String> = runs.iter().map(|r| run_label(r)).collect();
    base.iter()
        .zip(runs)
        .map(|(label, run)| {
            if base.iter().filter(|l| *l == label).count() > 1 {
                format!("{label}@{}", run.manifest.run_id)
            } else {
                label.clone()
            }
        })
        .collect()
}

fn compare_suite(
    suite: &str,
    runs: &[&RunDir],
    options: &Options,
) -> anyhow::Result<SuiteComparison> {
    let metric = metric_of(suite, runs, options.metric.as_deref())?;
    let labels = labels(runs);
    let infos: Vec<RunInfo> = runs
        .iter()
        .zip(&labels)
        .map(|(r, label)| RunInfo {
            label: label.clone(),
            dir: r.path.clone(),
            run_id: r.manifest.run_id.clone(),
            model: r.manifest.model.name.clone(),
            strategy: strategy_name(&r.manifest.strategy).to_string(),
            items: r.records.len(),
            complete: r.summary.as_ref().is_some_and(|s| s.complete),
        })
        .collect();
    let card = &runs[0].manifest.suite;
    let mut pairs = Vec::new();
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            pairs.push(compare_pair(
                (i, runs[i]),
                (j, runs[j]),
                &metric,
                (&card.breakdown, &card.multi_valued),
                options,
            ));
        }
    }
    let mut family: Vec<&mut PairedStats> = pairs
        .iter_mut()
        .flat_map(|p| p.rows.iter_mut().map(|r| &mut r.stats))
        .collect();
    paired::correct(&mut family);
    Ok(SuiteComparison {
        suite: suite.to_string(),
        metric,
        runs: infos,
        pairs,
    })
}

fn compare_pair(
    (i, a): (usize, &RunDir),
    (j, b): (usize, &RunDir),
    metric: &str,
    (columns, multi_valued): (&[String], &[String]),
    options: &Options,
) -> Pair {
    let p = pairing::pair(&a.records, &b.records);
    let cluster_field = pairing::cluster_field(&p.pairs, options.cluster.as_deref());
    let values_a: Vec<f64> = p
        .pairs
        .iter()
        .map(|(x, _)| pairing::value(x, metric))
        .collect();
    let values_b: Vec<f64> = p
        .pairs
        .iter()
        .map(|(_, y)| pairing::value(y, metric))
        .collect();
    let clusters: Option<Vec<&str>> = cluster_field.as_ref().map(|f| {
        p.pairs
            .iter()
            .map(|(x, _)| x.fields.get(f).map_or("", String::as_str))
            .collect()
    });
    let label_base = format!(
        "{}/{}/{}/{metric}",
        a.manifest.suite.name, a.manifest.run_id, b.manifest.run_id
    );
    let row = |column: &str, value: &str, idx: Option<&[usize]>| {
        let pick = |v: &[f64]| -> Vec<f64> {
            match idx {
                Some(idx) => idx.iter().map(|&k| v[k]).collect(),
                None => v.to_vec(),
            }
        };
        let picked_clusters: Option<Vec<&str>> = clusters.as_ref().map(|c| match idx {
            Some(idx) => idx.iter().map(|&k| c[k]).collect(),
            None => c.clone(),
        });
        let mut rng =
            SplitMix64::for_label(options.seed, &format!("{label_base}/{column}={value}"));
        Row {
            column: column.to_string(),
            value: value.to_string(),
            stats: paired::compare(
                &pick(&values_a),
                &pick(&values_b),
                picked_clusters.as_deref(),
                options.resamples,
                &mut rng,
            ),
        }
    };
    let mut rows = vec![row("overall", "", None)];
    for ((column, value), idx) in pairing::categories(&p.pairs, columns, multi_valued) {
        rows.push(row(&column, &value, Some(&idx)));
    }
    let items = options.items.map(|which| list_items(&p, which, metric));
    Pair {
        a: i,
        b: j,
        paired: p.pairs.len(),
        a_only: p.a_only.len(),
        b_only: p.b_only.len(),
        gold_changed: p.gold_changed,
        cluster_field,
        rows,
        items,
    }
}

fn list_items(p: &pairing::Pairing<'_>, which: ItemList, metric: &str) -> Vec<ListedItem> {
    let pct = |r: &ItemRecord| paired::round4(100.0 * pairing::value(r, metric));
    let shown = |r: &ItemRecord| {
        r.response
            .clone()
            .or_else(|| r.error.clone().map(|e| format!("(failed: {e})")))
    };
    match which {
        ItemList::Flipped => p
            .pairs
            .iter()
            .filter(|(a, b)| pairing::value(a, metric) != pairing::value(b, metric))
            .map(|(a, b)| ListedItem {
                id: a.id.clone(),
                gold: a.gold.answers.clone(),
                value_a: Some(pct(a)),
                value_b: Some(pct(b)),
                response_a: shown(a),
                response_b: shown(b),
            })
            .collect(),
        ItemList::AOnly => p
            .a_only
            .iter()
            .map(|a| ListedItem {
                id: a.id.clone(),
                gold: a.gold.answers.clone(),
                value_a: Some(pct(a)),
                value_b: None,
                response_a: shown(a),
                response_b: None,
            })
            .collect(),
        ItemList::BOnly => p
            .b_only
            .iter()
            .map(|b| ListedItem {
                id: b.id.clone(),
                gold: b.gold.answers.clone(),
                value_a: None,
                value_b: Some(pct(b)),
                response_a: None,
                response_b: shown(b),
            })
            .collect(),
    }
}
