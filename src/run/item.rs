//! One item's step: strategy -> score -> record -> append. Everything the step needs is
//! one shared [`ItemStep`]; the pipeline spawns one step per item. The score comes from
//! the one scoring path (`score::decide`) with the run's judge role live, and the record
//! keeps every call the item made; a resumed item whose calls all came from the journal
//! and whose outcome did not change writes nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::progress::Progress;
use super::record;
use crate::journal::{Journal, Status};
use crate::score::Scorer;
use crate::score::decide::decide;
use crate::strategy::{Call, CallContext, CallSink, Calls, Outcome, Strategy};
use crate::suite::Item;

/// What every item's step shares.
pub struct ItemStep {
    pub strategy: Arc<dyn Strategy>,
    pub scorer: Arc<dyn Scorer>,
    pub context: Arc<CallContext>,
    pub journal: Arc<Journal>,
    pub progress: Arc<Progress>,
    pub failed_items: AtomicU64,
    /// The first journal write that failed; the run stops on it.
    pub write_error: Mutex<Option<anyhow::Error>>,
    pub cancel: CancellationToken,
}

impl ItemStep {
    /// Answers, scores and journals one item.
    pub async fn process(&self, item: Item) {
        let sink = self.strategy.streams_calls().then(|| {
            Arc::new(JournalSink {
                journal: self.journal.clone(),
                item: item.id.clone(),
            }) as Arc<dyn CallSink>
        });
        // An item answered in an earlier session answers its calls from its own record.
        let previous = self.journal.previous(&item.id);
        let calls = Calls::new(self.context.clone())
            .with_sink(sink)
            .with_prior(previous.as_ref().map(super::roles::answers_of));
        let answer = self.strategy.run(&item, &calls).await;
        let truncated = answer
            .is_ok()
            .then(|| record::truncation(calls.last_finish_reason()))
            .flatten();
        let decision = match (&answer, &truncated) {
            (Ok(answer), None) => Some(
                decide(
                    self.scorer.as_ref(),
                    &record::gold(&item),
                    &answer.text,
                    calls.judge(),
                )
                .await,
            ),
            // A cut-short answer is scored wrong, not read as an answer.
            (Ok(_), Some(_)) => Some(record::zero(self.scorer.as_ref())),
            (Err(_), _) => None,
        };
        let outcome = Outcome {
            answer,
            calls: calls.take(),
        };
        if outcome.cancelled() {
            return;
        }
        let mut record = record::build(&item, &outcome, decision);
        if truncated.is_some() {
            // Counted as truncated, not as decided by any rule.
            record.how = None;
            record.truncated = truncated;
        }
        if record.status == Status::Failed {
            self.failed_items.fetch_add(1, Ordering::Relaxed);
        }
        if !record::unchanged(previous.as_ref(), &record, &outcome)
            && let Err(e) = self.journal.append(&record)
        {
            self.fail(e);
            return;
        }
        self.progress_done();
    }

    /// Counts an item (or an invalid row) as done on the progress bar.
    pub fn progress_done(&self) {
        self.progress.item_done(
            &self.context.model.dispatcher.counters,
            self.failed_items.load(Ordering::Relaxed),
        );
    }

    /// Records the first write error and stops the run.
    pub fn fail(&self, error: anyhow::Error) {
        if let Ok(mut slot) = self.write_error.lock() {
            slot.get_or_insert(error);
        }
        self.cancel.cancel();
    }
}

/// Journals each call of a multi-call item as it lands (`calls.jsonl`). A failed write
/// costs at most that call being made again on resume, so it does not stop the run.
struct JournalSink {
    journal: Arc<Journal>,
    /// The item the calls are made for (so a resumed run keeps only unfinished items' calls).
    item: String,
}

impl CallSink for JournalSink {
    fn call_done(&self, call: &Call) {
        let _ = self
            .journal
            .append_call(&self.item, &record::call_record(call));
    }
}
