//! The runs a viewer shows, and whether a record matches a filter (the classes are in
//! `class`).
//!
//! Run directories are found by the journal scanner; a run is indexed (`index`) when it is
//! first looked at, and the index is brought up to date when its journal has changed. No
//! run's records are held: pages read their rows back from the journal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use super::class::{Class, classes, is_right};
use super::index::{RunIndex, value_matches};
use crate::journal::{self, ItemRecord, Manifest, Summary};

/// What the items table shows: a class, a breakdown field's value, a text search.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub class: Option<Class>,
    /// `(field, value)`, e.g. `("kind", "sum")`; `split` is the record's split.
    pub field: Option<(String, String)>,
    /// Case-insensitive search in the id, the response, the extracted and gold answers.
    pub text: Option<String>,
}

impl Filter {
    pub fn matches(&self, r: &ItemRecord, metric: &str) -> bool {
        if let Some(c) = self.class
            && !classes(r, metric).contains(&c)
        {
            return false;
        }
        if let Some((k, v)) = &self.field {
            let value = if k == "split" {
                r.split.as_ref().or(r.fields.get(k))
            } else {
                r.fields.get(k)
            };
            if !value.is_some_and(|x| value_matches(x, v)) {
                return false;
            }
        }
        if let Some(t) = &self.text {
            let t = t.to_lowercase();
            let hit = |s: &str| s.to_lowercase().contains(&t);
            if !(hit(&r.id)
                || r.response.as_deref().is_some_and(hit)
                || r.extracted.as_deref().is_some_and(hit)
                || r.gold.answers.iter().any(|g| hit(g)))
            {
                return false;
            }
        }
        true
    }
}

/// One run as the viewer lists it; its records are read on first use.
pub struct Run {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub summary: Option<Summary>,
    /// `model / suite / strategy` when there is no summary yet.
    pub title: String,
    index: Mutex<Option<Arc<RunIndex>>>,
}

impl Run {
    pub fn metric(&self) -> &str {
        self.summary
            .as_ref()
            .map_or("", |s| s.primary_metric.as_str())
    }

    /// The run's index, built on first use and brought up to date when the journal has
    /// changed since.
    pub fn index(&self) -> anyhow::Result<Arc<RunIndex>> {
        let mut slot = self
            .index
            .lock()
            .map_err(|_| anyhow::anyhow!("the viewer's run index was poisoned"))?;
        let fresh = match slot.as_ref() {
            Some(index) => match index.refresh()? {
                None => return Ok(index.clone()),
                Some(fresh) => fresh,
            },
            None => {
                let fields: Vec<String> = self.field_values().into_keys().collect();
                RunIndex::build(&self.dir.join(journal::PREDICTIONS), self.metric(), &fields)?
            }
        };
        let fresh = Arc::new(fresh);
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// The breakdown fields of the run's items and their values (for the filter menu).
    pub fn field_values(&self) -> BTreeMap<String, Vec<String>> {
        self.summary
            .as_ref()
            .map(|s| {
                s.scores
                    .by
                    .iter()
                    .map(|(k, groups)| (k.clone(), groups.keys().cloned().collect()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every run under `paths` (run directories, or trees of them), in a stable order.
pub fn open(paths: &[PathBuf]) -> anyhow::Result<Vec<Arc<Run>>> {
    let scan = journal::scan::scan(paths)?;
    let mut runs = Vec::new();
    for dir in &scan.runs {
        runs.push(Arc::new(open_one(dir)?));
    }
    if runs.is_empty() {
        anyhow::bail!(
            "no run directories under {} (a run directory holds manifest.json and predictions.jsonl)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(runs)
}

fn open_one(dir: &Path) -> anyhow::Result<Run> {
    let manifest = Manifest::read(dir)?;
    let summary = journal::reader::read_summary(dir).ok().flatten();
    Ok(Run {
        dir: dir.to_path_buf(),
        title: format!(
            "{} / {} / {}",
            manifest.model.name,
            manifest.suite.name,
            journal::summary::strategy_label(&manifest.strategy)
        ),
        manifest,
        summary,
        index: Mutex::new(None),
    })
}
