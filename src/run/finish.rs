//! The run's last step: the summary is rebuilt from the journal (the latest record of every
//! item this session selected, so an interrupted run and a finished one are summarised
//! alike; the journal is streamed, never held), the session is closed in the manifest,
//! and `summary.json` is written.

use std::sync::atomic::Ordering;

use crate::journal::selection::Chosen;
use crate::journal::summary::ModelRequests;
use crate::journal::{Journal, Manifest};
use crate::report::Summary;
use crate::report::summary::{self, Requests};
use crate::schedule::Counters;
use crate::score::Scorer;

/// What the session did, for the summary and the manifest.
pub struct Session<'a> {
    pub selected: &'a Chosen,
    pub invalid: u64,
    /// Every model the session called: `ROLE NAME` and its dispatcher's counters.
    pub counters: Vec<(String, &'a Counters)>,
    /// Per model (`ROLE NAME`): its replicas and its adaptive limit, where it has them.
    pub traffic: Vec<(String, crate::schedule::Traffic)>,
    pub interrupted: bool,
    /// The journal write that stopped the run, if one did.
    pub write_failure: Option<&'a anyhow::Error>,
    pub wall_time_s: f64,
}

/// Builds the summary, closes the session in the manifest and writes both.
pub fn finish(
    journal: &Journal,
    manifest: &mut Manifest,
    scorer: &dyn Scorer,
    session: Session<'_>,
) -> anyhow::Result<Summary> {
    let dir = journal.dir();
    let mut requests = Requests::default();
    for (label, c) in &session.counters {
        let one = ModelRequests {
            sent: c.sent.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            cache_hits: c.cache_hits.load(Ordering::Relaxed),
            failed_calls: c.failed.load(Ordering::Relaxed),
            prompt_tokens: c.prompt_tokens.load(Ordering::Relaxed),
            completion_tokens: c.completion_tokens.load(Ordering::Relaxed),
            ..ModelRequests::default()
        };
        requests.sent += one.sent;
        requests.retries += one.retries;
        requests.cache_hits += one.cache_hits;
        requests.failed_calls += one.failed_calls;
        requests.prompt_tokens += one.prompt_tokens;
        requests.completion_tokens += one.completion_tokens;
        let entry: &mut ModelRequests = requests.by_model.entry(label.clone()).or_default();
        entry.sent += one.sent;
        entry.retries += one.retries;
        entry.cache_hits += one.cache_hits;
        entry.failed_calls += one.failed_calls;
        entry.prompt_tokens += one.prompt_tokens;
        entry.completion_tokens += one.completion_tokens;
    }
    for (label, traffic) in &session.traffic {
        if traffic.endpoints.is_empty() && traffic.concurrency.is_none() {
            continue;
        }
        let entry: &mut ModelRequests = requests.by_model.entry(label.clone()).or_default();
        entry.endpoints.clone_from(&traffic.endpoints);
        entry.concurrency.clone_from(&traffic.concurrency);
    }
    let finished_at = chrono::Utc::now().to_rfc3339();
    let outcome = match (session.write_failure, session.interrupted) {
        (Some(e), _) => format!("failed: {e}"),
        (None, true) => "interrupted".to_string(),
        (None, false) => "completed".to_string(),
    };
    let selection = session.selected;
    if let Some(last) = manifest.sessions.last_mut() {
        last.data_fingerprint = Some(selection.fingerprint());
        last.finished_at = Some(finished_at.clone());
        last.outcome = Some(outcome);
        last.items_selected = session.selected.len() as u64;
        last.requests_sent = requests.sent;
    }
    let metric_names = scorer.metric_names();
    let records =
        crate::journal::lines::latest_chosen(&dir.join(crate::journal::PREDICTIONS), selection)?;
    let summary = summary::build(
        records,
        summary::Context {
            manifest,
            metric_names: &metric_names,
            primary_metric: summary::headline(manifest, scorer),
            selected: Some(session.selected.len() as u64),
            invalid: session.invalid,
            requests,
            wall_time_s: session.wall_time_s,
            peak_rss_mib: summary::peak_rss_mib(),
            finished_at: Some(finished_at),
        },
    );
    if session.write_failure.is_some() {
        return Ok(summary);
    }
    manifest.write(dir)?;
    selection.write(dir)?;
    summary::write(dir, &summary)?;
    Ok(summary)
}
