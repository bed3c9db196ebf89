//! `evalkit report`: rebuild a run's summary from its directory alone (manifest,
//! predictions, invalid rows), optionally rescoring every answer from its raw response.
//! No model is contacted; an interrupted run is reported as incomplete.

use std::path::Path;

use crate::journal::{self, Manifest};
use crate::report::Summary;
use crate::report::summary::{self, Requests};

/// Rebuilds (and with `rescore`, rescores and rewrites) a run's summary.
pub fn rebuild(dir: &Path, rescore: bool) -> anyhow::Result<Summary> {
    let manifest = Manifest::read(dir)?;
    let scorer = crate::score::by_name(&manifest.suite.scorer).map_err(anyhow::Error::msg)?;
    let loaded = journal::read_records(dir)?;
    let mut records = journal::latest(loaded.records);
    if rescore {
        for record in &mut records {
            record.rescore(scorer.as_ref());
        }
    }
    let previous: Option<Summary> = std::fs::read(dir.join(journal::SUMMARY))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let session = manifest.sessions.last();
    let requests = previous
        .as_ref()
        .map(|s| s.requests.clone())
        .unwrap_or_else(|| Requests {
            sent: manifest.sessions.iter().map(|s| s.requests_sent).sum(),
            ..Requests::default()
        });
    let metric_names = scorer.metric_names();
    let summary = summary::build(
        &records,
        summary::Context {
            manifest: &manifest,
            metric_names: &metric_names,
            primary_metric: scorer.primary_metric(),
            selected: session.map(|s| s.items_selected).filter(|n| *n > 0),
            invalid: journal::read_invalid(dir).len() as u64,
            requests,
            wall_time_s: previous.as_ref().map_or(0.0, |s| s.wall_time_s),
            peak_rss_mib: previous.as_ref().and_then(|s| s.peak_rss_mib),
            finished_at: session.and_then(|s| s.finished_at.clone()),
        },
    );
    if rescore {
        let bytes =
            crate::report::Exporter::serialize(&crate::report::json::JsonExporter, &summary)?;
        journal::write_atomic(&dir.join(journal::SUMMARY), &bytes)?;
    }
    Ok(summary)
}
