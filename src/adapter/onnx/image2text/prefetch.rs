//! Preprocessing ahead of generation, on every core, in bounded memory.
//!
//! On real chart sizes (800x600) decoding, drawing the header and cutting the patches cost
//! about as much CPU per item as the tiny model's generation, so a run is only as fast as
//! the two overlap: while the generation threads work on one batch, the next items must
//! already be preprocessed and queued. The scheduler therefore keeps a second set of
//! requests in flight beyond those generating
//! ([`crate::card::kinds::IMAGE2TEXT_LOOKAHEAD`]), and this module preprocesses them on the blocking
//! pool, at most one per core at a time ([`Preprocessing`]): more would only compete with
//! the generation threads for the same cores and hold more decoded images at once. Memory
//! is bounded by the requests in flight (their patches) plus one decoded image per core.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Runs preprocessing on the blocking pool, at most `slots` at a time.
#[derive(Clone, Debug)]
pub struct Preprocessing {
    slots: Arc<Semaphore>,
}

impl Preprocessing {
    /// At most `slots` preprocessings at once (at least one).
    pub fn new(slots: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// One slot per core.
    pub fn per_core() -> Self {
        Self::new(super::super::runtime::default_threads())
    }

    /// Runs `work` on the blocking pool once a slot is free; `None` if the work panicked
    /// (the caller turns that into a failed request).
    pub async fn run<T, F>(&self, work: F) -> Option<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // The semaphore is never closed, so acquiring only waits.
        let permit = self.slots.clone().acquire_owned().await.ok()?;
        let done = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await;
        done.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_slots_run_at_once_and_every_result_comes_back() {
        let pre = Preprocessing::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks = (0..12).map(|i| {
            let (pre, running, most) = (pre.clone(), running.clone(), most.clone());
            async move {
                pre.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                })
                .await
            }
        });
        let out = futures::future::join_all(tasks).await;
        assert_eq!(
            out,
            (0..12).map(|i| Some(i * 10)).collect::<Vec<_>>(),
            "every result, in order"
        );
        assert_eq!(most.load(Ordering::SeqCst), 2, "two slots: two at once");
    }

    #[tokio::test]
    async fn a_panicking_preprocessing_is_none_and_frees_its_slot() {
        let pre = Preprocessing::new(1);
        let out: Option<u32> = pre.run(|| panic!("broken image")).await;
        assert_eq!(out, None);
        assert_eq!(pre.run(|| 7).await, Some(7), "the slot was released");
    }
}
