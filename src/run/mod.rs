//! `evalkit run` in three stages: [`setup`] (cards, data, the run's models by role, the
//! strategy, the run directory), the [`pipeline`] (reader, permits, drain) that runs each
//! item's [`item`] step (strategy -> score -> record -> append), and [`finish`] (the
//! summary from the journal).

pub mod ablate;
pub mod data_check;
pub mod decouple;
pub mod finish;
pub mod group;
pub mod item;
pub mod merge;
pub mod pipeline;
pub mod progress;
pub mod record;
pub mod roles;
pub mod setup;
pub mod shard;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::report::Summary;
use crate::strategy::StrategySpec;
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
    /// Overrides the card's `max_concurrency` (a number, or `auto`).
    pub concurrency: Option<crate::card::model::MaxConcurrency>,
    pub output: Output,
    /// How long Ctrl-C waits for requests in flight.
    pub grace: Duration,
    /// The command line, for the resume hint.
    pub command: String,
    /// A model card (name or path) to judge answers the rules cannot resolve.
    pub judge: Option<String>,
    /// How items are answered (decoupled: the model is then the reasoning model).
    pub strategy: StrategySpec,
    /// Answer from, and store into, the on-disk request cache shared across runs (so a
    /// run that repeats another's requests sends none; ablations use it).
    pub shared_cache: bool,
    /// Shown in front of the progress bar (a grid's cell, e.g. `cell 2/6 ocr -> smollm2`).
    pub progress_label: Option<String>,
    /// Evaluate one shard of the items (`--shard I/N`, see `suite::shard`).
    pub shard: Option<crate::suite::shard::Shard>,
    /// The scoring protocol whose prompt side (template, max tokens) the run uses.
    pub protocol: crate::score::protocol::ProtocolName,
}

/// What a finished (or interrupted) run left behind.
#[derive(Debug)]
pub struct RunResult {
    pub dir: PathBuf,
    pub summary: Summary,
    pub interrupted: bool,
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM (what `kill`, Docker, Kubernetes and Slurm
/// send): both stop the run the same way. False if no handler could be installed.
async fn stop_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                _ = term.recv() => true,
            },
            Err(_) => tokio::signal::ctrl_c().await.is_ok(),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// One line per repair of the journal made on opening it, and per line skipped.
fn journal_repairs(dir: &std::path::Path, loaded: &crate::journal::Repairs) -> Vec<String> {
    let path = dir.join(crate::journal::PREDICTIONS);
    let mut out = Vec::new();
    if loaded.torn_bytes > 0 {
        out.push(format!(
            "journal {}: cut off a torn last line ({} bytes) left by an interrupted write; \
             that item is answered again",
            path.display(),
            loaded.torn_bytes
        ));
    }
    for (line, err) in loaded.bad_lines.iter().take(5) {
        out.push(format!(
            "journal {}: skipped unreadable line {line}: {err}",
            path.display()
        ));
    }
    if loaded.bad_lines.len() > 5 {
        out.push(format!(
            "journal {}: skipped {} more unreadable lines",
            path.display(),
            loaded.bad_lines.len() - 5
        ));
    }
    out
}

/// Runs an evaluation end to end.
pub async fn run(opts: RunOptions) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let setup::Setup {
        journal,
        loaded,
        roles,
        strategy,
        scorer,
        mut manifest,
        stream,
        cancel,
    } = setup::prepare(&opts).await?;
    let quiet = opts.output != Output::Normal;
    let progress = Arc::new(Progress::new(!quiet, opts.progress_label.clone()));
    // Shown in every output mode (on stderr): a repaired or skipped journal line is
    // never silent.
    for line in journal_repairs(journal.dir(), &loaded) {
        progress.println(&line);
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let (cancel, interrupted) = (cancel.clone(), interrupted.clone());
        tokio::spawn(async move {
            if stop_signal().await {
                interrupted.store(true, Ordering::SeqCst);
                cancel.cancel();
            }
        });
    }
    let step = Arc::new(item::ItemStep {
        strategy,
        scorer: scorer.clone(),
        context: roles.context.clone(),
        journal: Arc::new(journal),
        progress: progress.clone(),
        failed_items: AtomicU64::new(0),
        write_error: Default::default(),
        cancel,
    });
    let drained = pipeline::drive(
        stream,
        step.clone(),
        pipeline::Settings {
            limit: opts.limit,
            concurrency: roles.concurrency,
            grace: opts.grace,
            warn: !quiet,
            pixel_budget: roles
                .image_max_side
                .map(|_| roles.model_card.max_image_pixels),
        },
    )
    .await;
    progress.finish();
    let interrupted = interrupted.load(Ordering::SeqCst);
    let write_failure = step
        .write_error
        .lock()
        .ok()
        .and_then(|mut e| e.take())
        .or_else(|| step.journal.sync().err());
    let summary = finish::finish(
        &step.journal,
        &mut manifest,
        scorer.as_ref(),
        finish::Session {
            selected: &drained.selected,
            invalid: drained.invalid,
            counters: roles
                .context
                .labelled_counters(opts.strategy.is_decoupled()),
            traffic: roles.context.labelled_traffic(opts.strategy.is_decoupled()),
            interrupted,
            write_failure: write_failure.as_ref(),
            wall_time_s: started.elapsed().as_secs_f64(),
        },
    )?;
    let dir = step.journal.dir().to_path_buf();
    if let Some(e) = write_failure {
        return Err(e.context(format!(
            "the run stopped; answers already written are kept in {}",
            dir.display()
        )));
    }
    Ok(RunResult {
        dir,
        summary,
        interrupted,
    })
}
