//! `evalkit report`: rebuild run summaries from run directories alone (manifest,
//! predictions, invalid rows, read by `journal::reader`), optionally rescoring every answer
//! from its raw response with its stored judge verdict. No model is contacted; an
//! interrupted run is reported as incomplete. Several directories, or folders of them
//! (found by `journal::scan`), give one summary per run.

use std::path::{Path, PathBuf};

use super::export::{ExportManager, Target, json::JsonExporter};
use super::summary::{self, Requests};
use crate::journal::{self, RunDir, Summary};

/// Rebuilds (and with `rescore`, rescores and rewrites) the summary of one run directory.
pub fn rebuild(dir: &Path, rescore: bool) -> anyhow::Result<Summary> {
    rebuild_run(RunDir::open(dir)?, rescore)
}

/// Rebuilds (and with `rescore`, rescores and rewrites) an opened run's summary.
pub fn rebuild_run(run: RunDir, rescore: bool) -> anyhow::Result<Summary> {
    let note = run.selection_note();
    let RunDir {
        path,
        manifest,
        mut records,
        invalid,
        summary: previous,
        ..
    } = run;
    let scorer = crate::score::by_name(&manifest.suite.scorer)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.join(journal::MANIFEST).display()))?;
    if rescore {
        for record in &mut records {
            record.rescore(scorer.as_ref());
        }
    }
    let session = manifest.sessions.last();
    let requests = previous
        .as_ref()
        .map(|s| s.requests.clone())
        .unwrap_or_else(|| Requests {
            sent: manifest.sessions.iter().map(|s| s.requests_sent).sum(),
            ..Requests::default()
        });
    let metric_names = scorer.metric_names();
    let mut summary = summary::build(
        &records,
        summary::Context {
            manifest: &manifest,
            metric_names: &metric_names,
            primary_metric: summary::headline(&manifest, scorer.as_ref()),
            selected: session.map(|s| s.items_selected).filter(|n| *n > 0),
            invalid: invalid.len() as u64,
            requests,
            wall_time_s: previous.as_ref().map_or(0.0, |s| s.wall_time_s),
            peak_rss_mib: previous.as_ref().and_then(|s| s.peak_rss_mib),
            finished_at: session.and_then(|s| s.finished_at.clone()),
        },
    );
    summary.notes.extend(note);
    if rescore {
        ExportManager::new()
            .add(
                Box::new(JsonExporter),
                Target::File(path.join(journal::SUMMARY)),
            )
            .export(std::slice::from_ref(&summary))?;
    }
    Ok(summary)
}

/// The summaries of every run at or under `paths`, and what was skipped on the way.
pub struct Rebuilt {
    /// One per run: the paths in the order given, each folder's runs in path order.
    pub summaries: Vec<Summary>,
    /// Folders, runs and lines left out, one line each.
    pub warnings: Vec<String>,
}

/// Rebuilds the summary of every run directory at or under `paths` (see [`rebuild_run`]).
/// A run named directly that cannot be read is an error; one found inside a folder is
/// skipped with a warning, so one broken run does not hide the others.
pub fn rebuild_all(paths: &[PathBuf], rescore: bool) -> anyhow::Result<Rebuilt> {
    let scan = journal::scan::scan(paths)?;
    let mut out = Rebuilt {
        summaries: Vec::new(),
        warnings: scan
            .skipped
            .iter()
            .map(|s| format!("skipped {s}"))
            .collect(),
    };
    for (path, opened) in scan.runs.iter().zip(scan.open()) {
        let result = opened
            .map_err(|skip| anyhow::anyhow!(skip.reason))
            .and_then(|run| {
                out.warnings.extend(run.skipped.warnings(&run.path, 5));
                rebuild_run(run, rescore)
            });
        match result {
            Ok(summary) => out.summaries.push(summary),
            Err(e) if paths.contains(path) => return Err(e),
            Err(e) => out
                .warnings
                .push(format!("skipped {}: {e:#}", path.display())),
        }
    }
    if out.summaries.is_empty() {
        anyhow::bail!("no run could be read:\n  {}", out.warnings.join("\n  "));
    }
    Ok(out)
}
