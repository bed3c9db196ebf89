//! `evalkit run`: resolve the cards, open the data and the run directory, stream items
//! through the strategy and the dispatcher concurrently, journal every outcome, and
//! summarise. Items are read on a blocking thread into a bounded channel while up to
//! twice the concurrency of item tasks prepare payloads and wait for request slots, so
//! preparing and sending overlap and memory stays bounded.

pub mod decouple;
pub mod judge;
pub mod progress;
pub mod record;
pub mod setup;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::journal::{ItemRecord, Status};
use crate::report::Summary;
use crate::report::summary::{self, Requests};
use crate::suite::LoadResult;
use progress::Progress;

/// How much a run prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Progress bar (on a terminal) and the score table.
    Normal,
    /// No progress bar, no per-row warnings; the score table.
    Quiet,
    /// Like quiet, and the summary as JSON on stdout instead of the table.
    Json,
}

/// Everything `evalkit run` takes.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub model: String,
    pub suite: String,
    /// Overrides the suite card's data location.
    pub data: Option<PathBuf>,
    /// Root of run directories.
    pub out: PathBuf,
    /// Read at most this many rows.
    pub limit: Option<u64>,
    /// Evaluate a stable sample of this many items (see `suite::select`).
    pub sample: Option<usize>,
    /// The sample's seed.
    pub seed: u64,
    /// Overrides the card's `max_concurrency`.
    pub concurrency: Option<usize>,
    pub output: Output,
    /// How long Ctrl-C waits for requests in flight.
    pub grace: Duration,
    /// The command line, for the resume hint.
    pub command: String,
    /// A model card (name or path) to judge answers the rules cannot resolve.
    pub judge: Option<String>,
    /// Decoupled evaluation: perception sources (cards, `ocr`, `gold-table`, `none`); the
    /// model is then the reasoning model.
    pub perception: Vec<String>,
    pub instruction: crate::strategy::decoupled::Instruction,
    /// What the model is asked: the suite's questions, or the charts' data tables.
    pub task: Task,
}

/// `--strategy`: the suite's own questions, or chart-to-table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    /// One request per item with the suite's prompt.
    #[default]
    Direct,
    /// The chart's data table (DePlot's instruction), scored by RMS F1 / RNSS against the
    /// item's gold table.
    ChartToTable,
}

/// What a finished (or interrupted) run left behind.
#[derive(Debug)]
pub struct RunResult {
    pub dir: PathBuf,
    pub summary: Summary,
    pub interrupted: bool,
}

/// Runs an evaluation end to end.
pub async fn run(opts: RunOptions) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let setup::Setup {
        journal,
        loaded,
        dispatcher,
        judge: the_judge,
        strategy,
        scorer,
        mut manifest,
        stream,
        metric_names,
        cancel,
        concurrency,
    } = setup::prepare(&opts).await?;
    let journal = Arc::new(journal);
    let dir = journal.dir().to_path_buf();
    let quiet = opts.output != Output::Normal;
    let progress = Arc::new(Progress::new(!quiet));
    let warn = |line: String| {
        if !quiet {
            progress.println(&line);
        }
    };
    if loaded.torn_bytes > 0 {
        warn(format!(
            "journal: dropped a torn last line ({} bytes) left by an interrupted write",
            loaded.torn_bytes
        ));
    }
    for (line, err) in loaded.bad_lines.iter().take(5) {
        warn(format!("journal: skipped unreadable line {line}: {err}"));
    }
    let previous: Arc<HashMap<String, ItemRecord>> = Arc::new(
        crate::journal::latest(loaded.records)
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect(),
    );

    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (cancel, interrupted) = (cancel.clone(), interrupted.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
        });
    }

    // Rows are read on a blocking thread into a bounded channel.
    let (tx, mut rx) = mpsc::channel::<LoadResult>(concurrency * 2 + 16);
    let hint = stream.size_hint();
    // The bar's length: the rows the run expects to read (it grows if there are more).
    let expected = match (opts.limit, hint.1) {
        (Some(limit), Some(upper)) => limit.min(upper as u64),
        (Some(limit), None) => limit,
        (None, _) => hint.0 as u64,
    };
    progress.grow_to(expected);
    let limit = opts.limit;
    let reader_cancel = cancel.clone();
    let reader = tokio::task::spawn_blocking(move || {
        for (n, row) in stream.enumerate() {
            if limit.is_some_and(|l| n as u64 >= l)
                || reader_cancel.is_cancelled()
                || tx.blocking_send(row).is_err()
            {
                break;
            }
        }
    });

    let slots = Arc::new(Semaphore::new(concurrency * 2));
    let failed_items = Arc::new(AtomicU64::new(0));
    let write_error: Arc<Mutex<Option<anyhow::Error>>> = Arc::new(Mutex::new(None));
    let mut selected: HashSet<String> = HashSet::new();
    let mut invalid = 0u64;
    let mut tasks = JoinSet::new();
    let mut rows_seen = 0u64;
    loop {
        let row = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            row = rx.recv() => match row { Some(r) => r, None => break },
        };
        rows_seen += 1;
        progress.grow_to(rows_seen);
        let item = match row {
            Ok(item) => item,
            Err(bad) => {
                invalid += 1;
                if invalid <= 20 {
                    warn(format!("invalid row {}: {}", bad.source, bad.reason));
                } else if invalid == 21 {
                    warn("more invalid rows: see invalid.jsonl in the run directory".into());
                }
                if let Err(e) = journal.append_invalid(&bad) {
                    record_error(&write_error, e, &cancel);
                }
                progress.item_done(&dispatcher.counters, failed_items.load(Ordering::Relaxed));
                continue;
            }
        };
        if !selected.insert(item.id.clone()) {
            warn(format!(
                "duplicate item id {} at {}: skipped",
                item.id, item.source
            ));
            continue;
        }
        let permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (
            dispatcher,
            strategy,
            scorer,
            journal,
            previous,
            progress,
            failed_items,
            write_error,
            cancel,
        ) = (
            dispatcher.clone(),
            strategy.clone(),
            scorer.clone(),
            journal.clone(),
            previous.clone(),
            progress.clone(),
            failed_items.clone(),
            write_error.clone(),
            cancel.clone(),
        );
        let the_judge = the_judge.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let outcome = strategy.run(&item, &dispatcher).await;
            if outcome.cancelled() {
                return;
            }
            let judged = match &outcome.answer {
                Ok(answer) => Some(
                    crate::score::decide::decide(
                        scorer.as_ref(),
                        &record::gold(&item),
                        answer,
                        the_judge
                            .as_deref()
                            .map(|j| j as &dyn crate::score::decide::Judge),
                    )
                    .await,
                ),
                Err(_) => None,
            };
            let judge_cached = judged
                .as_ref()
                .and_then(|d| d.judge.as_ref())
                .is_none_or(|j| j.cached);
            let record = record::build(&item, &outcome, judged);
            if record.status == Status::Failed {
                failed_items.fetch_add(1, Ordering::Relaxed);
            }
            if !record::unchanged(previous.get(&item.id), &record, &outcome, judge_cached)
                && let Err(e) = journal.append(&record)
            {
                record_error(&write_error, e, &cancel);
                return;
            }
            progress.item_done(&dispatcher.counters, failed_items.load(Ordering::Relaxed));
        });
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    drop(rx);
    if cancel.is_cancelled() {
        // Stop sending; give requests in flight a moment to land in the journal.
        let drained = tokio::time::timeout(opts.grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tasks.abort_all();
        }
    } else {
        while tasks.join_next().await.is_some() {}
    }
    let _ = reader.await;
    progress.finish();
    let sync_result = journal.sync();
    let interrupted = interrupted.load(Ordering::SeqCst);
    let write_failure = write_error.lock().ok().and_then(|mut e| e.take());

    // Summarise from the journal: the latest record of every selected item.
    let records: Vec<ItemRecord> =
        crate::journal::latest(crate::journal::read_records(&dir)?.records)
            .into_iter()
            .filter(|r| selected.contains(&r.id))
            .collect();
    let c = &dispatcher.counters;
    let requests = Requests {
        sent: c.sent.load(Ordering::Relaxed),
        retries: c.retries.load(Ordering::Relaxed),
        cache_hits: c.cache_hits.load(Ordering::Relaxed),
        failed_calls: c.failed.load(Ordering::Relaxed),
        prompt_tokens: c.prompt_tokens.load(Ordering::Relaxed),
        completion_tokens: c.completion_tokens.load(Ordering::Relaxed),
        per_second: 0.0,
    };
    let finished_at = chrono::Utc::now().to_rfc3339();
    let outcome = match (&write_failure, interrupted) {
        (Some(e), _) => format!("failed: {e}"),
        (None, true) => "interrupted".to_string(),
        (None, false) => "completed".to_string(),
    };
    if let Some(session) = manifest.sessions.last_mut() {
        session.finished_at = Some(finished_at.clone());
        session.outcome = Some(outcome);
        session.items_selected = selected.len() as u64;
        session.requests_sent = requests.sent;
    }
    let summary = summary::build(
        &records,
        summary::Context {
            manifest: &manifest,
            metric_names: &metric_names,
            primary_metric: scorer.primary_metric(),
            selected: Some(selected.len() as u64),
            invalid,
            requests,
            wall_time_s: started.elapsed().as_secs_f64(),
            peak_rss_mib: summary::peak_rss_mib(),
            finished_at: Some(finished_at),
        },
    );
    if let Some(e) = write_failure {
        return Err(e.context(format!(
            "the run stopped; answers already written are kept in {}",
            dir.display()
        )));
    }
    sync_result?;
    manifest.write(&dir)?;
    let json = crate::report::Exporter::serialize(
        &crate::report::export::json::JsonExporter,
        std::slice::from_ref(&summary),
    )?;
    crate::journal::write_atomic(&dir.join(crate::journal::SUMMARY), &json)?;
    Ok(RunResult {
        dir,
        summary,
        interrupted,
    })
}

fn record_error(
    slot: &Mutex<Option<anyhow::Error>>,
    error: anyhow::Error,
    cancel: &CancellationToken,
) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(error);
    }
    cancel.cancel();
}
