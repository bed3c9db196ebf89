//! Building the run summary from the latest records (plus the manifest), so an interrupted
//! run and a finished one are reported the same way. The summary type itself is data of
//! the run directory and lives in `journal::summary`; it is re-exported here so
//! `report::summary::Summary` keeps working.

use std::collections::BTreeMap;

pub use crate::journal::summary::{Counts, DecidedBy, FailureReason, Requests, Summary};
use crate::journal::{ItemRecord, Manifest, Status};
use crate::score::How;
use crate::score::aggregate::{self, Scored};

/// What the caller knows beyond the records.
pub struct Context<'a> {
    pub manifest: &'a Manifest,
    pub metric_names: &'a [&'a str],
    pub primary_metric: &'a str,
    /// Valid items selected in the session (None: count the records).
    pub selected: Option<u64>,
    pub invalid: u64,
    pub requests: Requests,
    pub wall_time_s: f64,
    pub peak_rss_mib: Option<f64>,
    pub finished_at: Option<String>,
}

/// The metric a run's summary leads with: the suite card's `headline` when it names one,
/// else the scorer's primary metric.
pub fn headline<'a>(manifest: &'a Manifest, scorer: &dyn crate::score::Scorer) -> &'a str {
    manifest
        .suite
        .headline
        .as_deref()
        .unwrap_or(scorer.primary_metric())
}

/// Writes `summary` as the run directory's `summary.json`, atomically.
pub fn write(dir: &std::path::Path, summary: &Summary) -> anyhow::Result<()> {
    let json = crate::report::Exporter::serialize(
        &crate::report::export::json::JsonExporter,
        std::slice::from_ref(summary),
    )?;
    crate::journal::write_atomic(&dir.join(crate::journal::SUMMARY), &json)?;
    Ok(())
}

/// This process's peak resident memory in MiB, from `/proc/self/status` (Linux only).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kib / 1024.0 * 10.0).round() / 10.0)
}

/// Builds the summary from the latest record of each item (a slice, or a journal
/// streamed past: nothing per item is kept).
pub fn build<R: std::borrow::Borrow<ItemRecord>>(
    records: impl IntoIterator<Item = R>,
    ctx: Context<'_>,
) -> Summary {
    let mut counts = Counts {
        invalid: ctx.invalid,
        ..Counts::default()
    };
    let mut decided = DecidedBy::default();
    let mut aggregator = aggregate::Aggregator::new(aggregate::Spec {
        metric_names: ctx.metric_names,
        columns: &ctx.manifest.suite.breakdown,
        multi_valued: &ctx.manifest.suite.multi_valued,
        group_metrics: &ctx.manifest.suite.group_metrics,
        macro_metrics: &ctx.manifest.suite.macro_metrics,
        cluster: ctx.manifest.suite.cluster.as_deref(),
    });
    let mut cost = super::cost::Tally::default();
    let mut protocols = crate::score::protocol::tally::Tally::new(
        ctx.manifest.suite.benchmark,
        ctx.manifest.judge.as_ref().map(|j| j.name.clone()),
    );
    let mut failures = FailureTally::default();
    for r in records {
        let r = r.borrow();
        match r.status {
            Status::Answered => counts.answered += 1,
            Status::Failed => counts.failed += 1,
        }
        counts.truncated += u64::from(r.truncated.is_some());
        match r.how {
            Some(How::Rule) => decided.rule += 1,
            Some(How::Judge) => decided.judge += 1,
            Some(How::Unparsed) => {
                decided.unparsed += 1;
                counts.unparsed += 1;
            }
            None => {}
        }
        let with_split;
        let fields = match &r.split {
            Some(split) if !r.fields.contains_key("split") => {
                let mut f = r.fields.clone();
                f.insert("split".into(), split.clone());
                with_split = f;
                &with_split
            }
            _ => &r.fields,
        };
        aggregator.add(&Scored {
            metrics: r.metrics.as_ref(),
            fields,
        });
        protocols.add(&super::protocols::view(r), fields);
        cost.add(r);
        failures.add(r);
    }
    let done = counts.answered + counts.failed;
    let selected = ctx.selected.unwrap_or(done).max(done);
    counts.pending = selected - done;
    counts.total = selected + counts.invalid;
    let scores = aggregator.finish();
    let mut requests = ctx.requests;
    requests.per_second = if ctx.wall_time_s > 0.0 {
        (requests.sent as f64 / ctx.wall_time_s * 100.0).round() / 100.0
    } else {
        0.0
    };
    let m = ctx.manifest;
    Summary {
        schema: Summary::SCHEMA.into(),
        evalkit_version: crate::VERSION.into(),
        run_id: m.run_id.clone(),
        suite: m.suite.name.clone(),
        model: m.model.name.clone(),
        strategy: m.strategy.clone(),
        scorer: m.suite.scorer.clone(),
        primary_metric: ctx.primary_metric.into(),
        metrics: ctx
            .metric_names
            .iter()
            .map(|s| s.to_string())
            .chain(m.suite.group_metrics.iter().map(|g| g.name.clone()))
            .chain(m.suite.macro_metrics.iter().map(|g| g.name.clone()))
            .collect(),
        judge: m.judge.as_ref().map(|j| j.name.clone()),
        cost: cost.finish(),
        failures: failures.finish(),
        complete: counts.pending == 0,
        scores,
        counts,
        decided_by: decided,
        requests,
        wall_time_s: (ctx.wall_time_s * 1000.0).round() / 1000.0,
        peak_rss_mib: ctx.peak_rss_mib,
        started_at: m
            .sessions
            .first()
            .map(|s| s.started_at.clone())
            .unwrap_or_default(),
        finished_at: ctx.finished_at,
        notes: m.notes.clone(),
        protocol: m.protocol,
        protocols: protocols.finish(),
    }
}

/// At most this many failure reasons are listed; the rest are counted as `other`.
const MAX_REASONS: usize = 8;

/// Why the failed items failed, most common first (ties by reason).
pub fn failure_reasons(records: &[ItemRecord]) -> Vec<FailureReason> {
    let mut tally = FailureTally::default();
    for r in records {
        tally.add(r);
    }
    tally.finish()
}

/// [`failure_reasons`] one record at a time.
#[derive(Default)]
struct FailureTally(BTreeMap<String, u64>);

impl FailureTally {
    fn add(&mut self, r: &ItemRecord) {
        if r.status == Status::Failed {
            *self
                .0
                .entry(reason(r.error.as_deref().unwrap_or("no error recorded")))
                .or_default() += 1;
        }
    }

    fn finish(self) -> Vec<FailureReason> {
        let mut reasons: Vec<FailureReason> = self
            .0
            .into_iter()
            .map(|(reason, count)| FailureReason { reason, count })
            .collect();
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        if reasons.len() > MAX_REASONS {
            let other: u64 = reasons[MAX_REASONS - 1..].iter().map(|r| r.count).sum();
            reasons.truncate(MAX_REASONS - 1);
            reasons.push(FailureReason {
                reason: "other".into(),
                count: other,
            });
        }
        reasons
    }
}

/// An error as a reason to group by: no attempt count, no server body, at most 120
/// characters.
fn reason(error: &str) -> String {
    let error = match error.strip_prefix("gave up after ") {
        Some(rest) => rest.split_once(": ").map_or(rest, |(_, e)| e),
        None => error,
    };
    let error = if error.starts_with("HTTP ") {
        error.split_once(':').map_or(error, |(status, _)| status)
    } else {
        error
    };
    let short: String = error.chars().take(120).collect();
    short.trim().to_string()
}

/// "400 failed: HTTP 500 Internal Server Error (400)": the reasons on one line.
pub fn describe_failures(failed: u64, reasons: &[FailureReason]) -> String {
    let list: Vec<String> = reasons
        .iter()
        .map(|r| format!("{} ({})", r.reason, r.count))
        .collect();
    format!("{failed} failed: {}", list.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_drop_attempts_and_bodies() {
        assert_eq!(
            reason("gave up after 3 attempts: HTTP 500 Internal Server Error: {\"error\": 1}"),
            "HTTP 500 Internal Server Error"
        );
        assert_eq!(reason("timed out after 5.0s"), "timed out after 5.0s");
        assert_eq!(reason(&"x".repeat(500)).len(), 120);
    }
}
