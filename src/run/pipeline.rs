//! The run's pipeline: rows are read on a blocking thread into a bounded channel; each
//! valid, first-seen item takes a permit (up to twice the requests in flight, so items
//! prepare their requests while earlier ones wait for the model) and runs its
//! [`ItemStep`] as a task; invalid rows are journaled as they come. On cancellation
//! (Ctrl-C, or a journal write that failed) no new item starts, and the items in flight get
//! `grace` to land before they are aborted. Memory stays bounded whatever the data's size.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::item::ItemStep;
use crate::journal::selection::Chosen;
use crate::suite::{ItemStream, LoadResult};

/// Rows per hand-over from the reading thread.
const ROWS: usize = 32;

/// What the pipeline saw.
pub struct Drained {
    /// The valid items selected in this session (ids, and their data's fingerprint).
    pub selected: Chosen,
    /// Rows that could not be read.
    pub invalid: u64,
}

/// How the pipeline runs.
pub struct Settings {
    /// Read at most this many rows.
    pub limit: Option<u64>,
    /// Requests the run may have in flight.
    pub concurrency: usize,
    /// How long items in flight may take to land after cancellation.
    pub grace: Duration,
    /// Print per-row warnings.
    pub warn: bool,
    /// When images are decoded (to resize them), the most pixels one may have; larger
    /// ones make their row invalid before anything is decoded.
    pub pixel_budget: Option<u64>,
}

/// Streams every item through `step` and waits for them.
pub async fn drive(stream: ItemStream, step: Arc<ItemStep>, settings: Settings) -> Drained {
    let Settings {
        limit,
        concurrency,
        grace,
        warn,
        pixel_budget,
    } = settings;
    let warn = |line: String| {
        if warn {
            step.progress.println(&line);
        }
    };
    let cancel = step.cancel.clone();
    // Rows go over in batches (one hand-over, one wake-up, per batch); a row is sent at
    // once when the pipeline has nothing queued, so a slow reader never holds rows back.
    let (tx, mut rx) = mpsc::channel::<Vec<LoadResult>>((concurrency * 2 + 16).div_ceil(ROWS));
    let hint = stream.size_hint();
    // The bar's length: the rows the run expects to read (it grows if there are more).
    let expected = match (limit, hint.1) {
        (Some(limit), Some(upper)) => limit.min(upper as u64),
        (Some(limit), None) => limit,
        (None, _) => hint.0 as u64,
    };
    step.progress.grow_to(expected);
    let reader_cancel = cancel.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(ROWS);
        for (n, row) in stream.enumerate() {
            if limit.is_some_and(|l| n as u64 >= l) || reader_cancel.is_cancelled() {
                break;
            }
            batch.push(row);
            if (batch.len() == ROWS || tx.capacity() == tx.max_capacity())
                && tx
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(ROWS)))
                    .is_err()
            {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });

    let slots = Arc::new(Semaphore::new(concurrency * 2));
    let mut drained = Drained {
        selected: Chosen::default(),
        invalid: 0,
    };
    let mut tasks = JoinSet::new();
    let mut rows_seen = 0u64;
    let mut rows = Vec::new().into_iter();
    loop {
        let row = match rows.next() {
            Some(row) if !cancel.is_cancelled() => row,
            Some(_) => break,
            None => {
                rows = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => break,
                    batch = rx.recv() => match batch { Some(b) => b.into_iter(), None => break },
                };
                continue;
            }
        };
        rows_seen += 1;
        step.progress.grow_to(rows_seen);
        let item = match row.and_then(|item| within_budget(item, pixel_budget)) {
            Ok(item) => item,
            Err(bad) => {
                drained.invalid += 1;
                if drained.invalid <= 20 {
                    warn(format!("invalid row {}: {}", bad.source, bad.reason));
                } else if drained.invalid == 21 {
                    warn("more invalid rows: see invalid.jsonl in the run directory".into());
                }
                if let Err(e) = step.journal.append_invalid(&bad) {
                    step.fail(e);
                }
                step.progress_done();
                continue;
            }
        };
        if !drained
            .selected
            .insert(&item.id, &super::data_check::gold_of(&item))
        {
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
        let step = step.clone();
        tasks.spawn(async move {
            let _permit = permit;
            step.process(item).await;
        });
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    drop(rx);
    if cancel.is_cancelled() {
        // Stop sending; give requests in flight a moment to land in the journal.
        let landed =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if landed.is_err() {
            tasks.abort_all();
        }
    } else {
        while tasks.join_next().await.is_some() {}
    }
    let _ = reader.await;
    drained
}

/// The item, or an invalid row when one of its images is over `budget` pixels (read from
/// the image's header: nothing is decoded).
fn within_budget(item: crate::suite::Item, budget: Option<u64>) -> LoadResult {
    let Some(budget) = budget else {
        return Ok(item);
    };
    for image in &item.images {
        let reader = image::ImageReader::new(std::io::Cursor::new(&image.bytes[..]))
            .with_guessed_format()
            .ok();
        if let Some(Ok((w, h))) = reader.map(|r| r.into_dimensions())
            && u64::from(w) * u64::from(h) > budget
        {
            return Err(crate::suite::InvalidRow {
                source: item.source.clone(),
                reason: format!(
                    "image of {w} x {h} pixels is over the model card's max_image_pixels \
                     ({budget}); it would have to be decoded to resize it (image_max_side). \
                     Raise max_image_pixels if it is meant to be sent"
                ),
            });
        }
    }
    Ok(item)
}
