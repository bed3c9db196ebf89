//! The runs a viewer shows and the one question it asks of each item: which class it is
//! in (right, wrong, unparsed, failed, truncated), and does it match a filter.
//!
//! Run directories are found by the journal scanner and opened by the run-directory reader;
//! a run's records are read once, when it is first looked at, and kept (one `Arc` per run),
//! so paging through 100,000 items re-reads nothing and each page renders only its rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::journal::{self, ItemRecord, Manifest, Status, Summary};
use crate::score::How;

/// What kind of outcome an item had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Right,
    Wrong,
    Unparsed,
    Failed,
    Truncated,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Right,
        Class::Wrong,
        Class::Unparsed,
        Class::Failed,
        Class::Truncated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Right => "right",
            Class::Wrong => "wrong",
            Class::Unparsed => "unparsed",
            Class::Failed => "failed",
            Class::Truncated => "truncated",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Whether an item is right by the run's primary metric.
pub fn is_right(r: &ItemRecord, metric: &str) -> bool {
    r.status == Status::Answered
        && r.metrics
            .as_ref()
            .and_then(|m| m.get(metric))
            .is_some_and(|v| *v >= 1.0)
}

/// The classes an item is in: exactly one of right, wrong (answered, scored wrong),
/// unparsed (nothing could be extracted) or failed; and truncated besides when a call
/// stopped at its token limit.
pub fn classes(r: &ItemRecord, metric: &str) -> Vec<Class> {
    let mut out = vec![match r.status {
        Status::Failed => Class::Failed,
        Status::Answered if is_right(r, metric) => Class::Right,
        Status::Answered if r.how == Some(How::Unparsed) => Class::Unparsed,
        Status::Answered => Class::Wrong,
    }];
    if r.calls
        .iter()
        .any(|c| c.finish_reason.as_deref() == Some("length"))
    {
        out.push(Class::Truncated);
    }
    out
}

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
            if value != Some(v) {
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
    records: Mutex<Option<Arc<Vec<ItemRecord>>>>,
}

impl Run {
    pub fn metric(&self) -> &str {
        self.summary
            .as_ref()
            .map_or("", |s| s.primary_metric.as_str())
    }

    /// The run's latest records, in source order (read once).
    pub fn records(&self) -> anyhow::Result<Arc<Vec<ItemRecord>>> {
        let mut slot = self
            .records
            .lock()
            .map_err(|_| anyhow::anyhow!("the viewer's record cache was poisoned"))?;
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let (mut records, _) = journal::reader::latest_records(&self.dir)?;
        records.sort_by_key(|r| r.order);
        let records = Arc::new(records);
        *slot = Some(records.clone());
        Ok(records)
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
        records: Mutex::new(None),
    })
}
