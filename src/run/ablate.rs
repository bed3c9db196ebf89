//! `evalkit ablate FILE.toml`: a base configuration and variants of it (a list, a grid, or
//! both), each run as an ordinary resumable run directory, then one report comparing them
//! (`report::ablation`). Variants share an on-disk request cache, so a variant that repeats
//! another's requests (the first sample of `self-consistency:4` is the one of
//! `self-consistency:2`) sends none of them again.
//!
//! ```toml
//! name = "sampling"                  # optional, names the report folder
//! model = "vllm"                     # the base: model, suite, strategy, judge, data,
//! suite = "chartqa"                  # limit, sample, seed, concurrency
//! strategy = "direct"
//! limit = 200
//!
//! [grid]                             # every combination, each a variant
//! strategy = ["self-consistency:1", "self-consistency:2", "self-consistency:4"]
//!
//! [[variant]]                        # listed variants, each overriding the base
//! name = "cot"
//! strategy = "cot"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Output, RunOptions};
use crate::report::ablation::{self, AblationReport, VariantRun};
use crate::strategy::StrategySpec;

/// Settings a base or a variant may set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub name: Option<String>,
    pub model: Option<String>,
    pub suite: Option<String>,
    pub strategy: Option<String>,
    pub judge: Option<String>,
    pub data: Option<PathBuf>,
    pub limit: Option<u64>,
    pub sample: Option<usize>,
    pub seed: Option<u64>,
    pub concurrency: Option<crate::card::model::MaxConcurrency>,
}

/// The grid: each key a list of values (model, suite, strategy, judge).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    #[serde(default)]
    pub model: Vec<String>,
    #[serde(default)]
    pub strategy: Vec<String>,
    #[serde(default)]
    pub judge: Vec<String>,
}

/// An ablation file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AblationFile {
    #[serde(flatten)]
    pub base: Settings,
    #[serde(default)]
    pub grid: Option<Grid>,
    #[serde(default, rename = "variant")]
    pub variants: Vec<Settings>,
}

/// One configuration to run: its name and what it sets beyond the base.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: String,
    pub changes: BTreeMap<&'static str, String>,
}

impl AblationFile {
    /// Reads and checks a file; errors name it and the field.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read ablation file {}: {e}", path.display()))?;
        let file: AblationFile = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!("invalid ablation file {}: {}", path.display(), e.message())
        })?;
        for (what, value) in [("model", &file.base.model), ("suite", &file.base.suite)] {
            if value.is_none() {
                anyhow::bail!(
                    "invalid ablation file {}: the base needs `{what} = \"...\"` (variants change it, the base sets it)",
                    path.display()
                );
            }
        }
        if file.variants.is_empty() && file.grid.is_none() {
            anyhow::bail!(
                "ablation file {} has no variants: add [[variant]] tables or a [grid]",
                path.display()
            );
        }
        for strategy in file.strategies() {
            strategy
                .parse::<StrategySpec>()
                .map_err(|e| anyhow::anyhow!("invalid ablation file {}: {e}", path.display()))?;
        }
        Ok(file)
    }

    fn strategies(&self) -> Vec<&str> {
        let grid = self.grid.iter().flat_map(|g| g.strategy.iter());
        self.base
            .strategy
            .iter()
            .chain(self.variants.iter().filter_map(|v| v.strategy.as_ref()))
            .chain(grid)
            .map(String::as_str)
            .collect()
    }

    /// The base first, then the listed variants, then the grid's combinations.
    pub fn expand(&self) -> Vec<Variant> {
        let mut out = vec![Variant {
            name: "base".into(),
            changes: BTreeMap::new(),
        }];
        for (i, v) in self.variants.iter().enumerate() {
            let mut changes = BTreeMap::new();
            for (key, value) in [
                ("model", &v.model),
                ("suite", &v.suite),
                ("strategy", &v.strategy),
                ("judge", &v.judge),
            ] {
                if let Some(value) = value {
                    changes.insert(key, value.clone());
                }
            }
            for (key, value) in [
                ("limit", v.limit.map(|x| x.to_string())),
                ("sample", v.sample.map(|x| x.to_string())),
                ("seed", v.seed.map(|x| x.to_string())),
            ] {
                if let Some(value) = value {
                    changes.insert(key, value);
                }
            }
            let name = v
                .name
                .clone()
                .unwrap_or_else(|| format!("variant-{}", i + 1));
            out.push(Variant { name, changes });
        }
        if let Some(grid) = &self.grid {
            let mut combos: Vec<BTreeMap<&'static str, String>> = vec![BTreeMap::new()];
            for (key, values) in [
                ("model", &grid.model),
                ("strategy", &grid.strategy),
                ("judge", &grid.judge),
            ] {
                if values.is_empty() {
                    continue;
                }
                combos = combos
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.insert(key, v.clone());
                            c
                        })
                    })
                    .collect();
            }
            for changes in combos.into_iter().filter(|c| !c.is_empty()) {
                let name = changes.values().cloned().collect::<Vec<_>>().join(" ");
                out.push(Variant { name, changes });
            }
        }
        out
    }
}

/// Paths in the file are relative to the file's folder.
fn relative_to(dir: &Path, value: &str) -> String {
    let looks_like_path = value.ends_with(".toml") || value.contains('/');
    let path = Path::new(value);
    if looks_like_path && path.is_relative() {
        dir.join(path).display().to_string()
    } else {
        value.to_string()
    }
}

/// The run options of one variant.
fn options(
    file: &AblationFile,
    dir: &Path,
    variant: &Variant,
    common: &RunOptions,
) -> anyhow::Result<RunOptions> {
    let base = &file.base;
    let get = |key: &str, base: &Option<String>| {
        variant
            .changes
            .get(key)
            .cloned()
            .or_else(|| base.clone())
            .map(|v| relative_to(dir, &v))
    };
    let number = |key: &str| variant.changes.get(key).and_then(|v| v.parse::<u64>().ok());
    let strategy = get("strategy", &base.strategy).unwrap_or_else(|| "direct".into());
    Ok(RunOptions {
        model: get("model", &base.model).unwrap_or_default(),
        suite: get("suite", &base.suite).unwrap_or_default(),
        data: base.data.as_ref().map(|d| dir.join(d)),
        limit: number("limit").or(base.limit),
        sample: number("sample").map(|n| n as usize).or(base.sample),
        seed: number("seed").or(base.seed).unwrap_or(0),
        concurrency: base.concurrency,
        judge: get("judge", &base.judge),
        strategy: strategy.parse().map_err(anyhow::Error::msg)?,
        shared_cache: true,
        progress_label: None,
        protocol: Default::default(),
        ..common.clone()
    })
}

/// Runs every variant and writes `ablation.{md,json,html}`; returns the report and folder.
pub async fn ablate(path: &Path, common: RunOptions) -> anyhow::Result<(AblationReport, PathBuf)> {
    let file = AblationFile::load(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let variants = file.expand();
    let mut runs = Vec::with_capacity(variants.len());
    let mut suite = String::new();
    let mut metric = String::new();
    for (i, variant) in variants.iter().enumerate() {
        let opts = options(&file, dir, variant, &common)?;
        let quiet = RunOptions {
            output: if common.output == Output::Normal {
                Output::Quiet
            } else {
                common.output
            },
            ..opts
        };
        let result = super::run(quiet)
            .await
            .map_err(|e| e.context(format!("ablation variant `{}`", variant.name)))?;
        if result.interrupted {
            anyhow::bail!("interrupted; re-run the same command to resume");
        }
        eprintln!(
            "[{}/{}] {}: {} {:.2} ({})",
            i + 1,
            variants.len(),
            variant.name,
            result.summary.primary_metric,
            result
                .summary
                .scores
                .overall
                .metrics
                .get(&result.summary.primary_metric)
                .copied()
                .unwrap_or(0.0),
            result.dir.display()
        );
        if i == 0 {
            suite = result.summary.suite.clone();
            metric = result.summary.primary_metric.clone();
        }
        let selected = result.summary.counts.answered + result.summary.counts.failed;
        let mut records = crate::journal::reader::latest_records(&result.dir)?.0;
        records.truncate(selected as usize);
        runs.push(VariantRun {
            name: variant.name.clone(),
            settings: variant
                .changes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            dir: result.dir,
            records,
        });
    }
    let name = file.base.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ablation".into())
    });
    let report = ablation::build(&name, &suite, &metric, &runs);
    let out = common.out.join(&suite).join(format!("ablate-{name}"));
    std::fs::create_dir_all(&out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    crate::journal::write_atomic(
        &out.join("ablation.json"),
        &serde_json::to_vec_pretty(&report)?,
    )?;
    crate::journal::write_atomic(
        &out.join("ablation.md"),
        ablation::markdown(&report).as_bytes(),
    )?;
    crate::journal::write_atomic(
        &out.join("ablation.html"),
        ablation::html(&report).as_bytes(),
    )?;
    Ok((report, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_and_a_list_expand_after_the_base() {
        let file: AblationFile = toml::from_str(
            "model = \"m\"\nsuite = \"s\"\n[grid]\nstrategy = [\"self-consistency:1\", \"self-consistency:2\"]\nmodel = [\"a\", \"b\"]\n[[variant]]\nname = \"cot\"\nstrategy = \"cot\"\n",
        )
        .unwrap();
        let names: Vec<String> = file.expand().into_iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            [
                "base",
                "cot",
                "a self-consistency:1",
                "a self-consistency:2",
                "b self-consistency:1",
                "b self-consistency:2"
            ]
        );
    }
}
