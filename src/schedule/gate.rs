//! The bound on a dispatcher's requests in flight: a fixed number (a semaphore of the
//! card's `max_concurrency` permits), or the adaptive limit of `max_concurrency = "auto"`
//! (the same semaphore, its permits added and withheld as [`Controller`] moves the limit).
//!
//! Lowering the limit below the requests already in flight leaves a debt: permits given
//! back while it lasts are forgotten instead of returned, so the invariant
//! `available + in flight - debt = limit` always holds and no request is interrupted.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::adaptive::{ConcurrencyReached, Controller};

/// How an attempt ended, for the adaptive limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Signal {
    /// Answered after this long.
    Answered(Duration),
    /// HTTP 429 or 503.
    Overloaded,
    /// Anything else (an error that says nothing about load).
    Other,
}

/// Requests in flight, bounded.
pub struct Gate {
    permits: Semaphore,
    adaptive: Option<Mutex<Adaptive>>,
}

struct Adaptive {
    controller: Controller,
    /// Permits to forget as they come back, after the limit fell below the requests in
    /// flight.
    debt: usize,
}

/// One request's place in flight.
pub struct Permit<'a> {
    gate: &'a Gate,
    permit: Option<SemaphorePermit<'a>>,
    epoch: u64,
}

impl Gate {
    /// At most `n` requests in flight.
    pub fn fixed(n: usize) -> Self {
        Self {
            permits: Semaphore::new(n.max(1)),
            adaptive: None,
        }
    }

    /// An adaptive limit between 1 and `max`.
    pub fn adaptive(max: usize) -> Self {
        let controller = Controller::new(max);
        Self {
            permits: Semaphore::new(controller.limit()),
            adaptive: Some(Mutex::new(Adaptive {
                controller,
                debt: 0,
            })),
        }
    }

    /// Whether the limit adapts (overload replies then do not use up a call's attempts).
    pub fn is_adaptive(&self) -> bool {
        self.adaptive.is_some()
    }

    /// Waits for a place; `None` if the gate was closed.
    pub async fn acquire(&self) -> Option<Permit<'_>> {
        let permit = self.permits.acquire().await.ok()?;
        let epoch = self.with_adaptive(|a| a.controller.epoch()).unwrap_or(0);
        Some(Permit {
            gate: self,
            permit: Some(permit),
            epoch,
        })
    }

    /// What the adaptive limit reached, if the gate adapts.
    pub fn reached(&self) -> Option<ConcurrencyReached> {
        self.with_adaptive(|a| a.controller.reached())
    }

    fn with_adaptive<T>(&self, f: impl FnOnce(&mut Adaptive) -> T) -> Option<T> {
        let adaptive = self.adaptive.as_ref()?;
        // The state stays consistent whatever panicked while holding the lock.
        let mut guard = adaptive.lock().unwrap_or_else(|e| e.into_inner());
        Some(f(&mut guard))
    }

    /// Applies a signal and gives the permit back (or forgets it, to pay a debt).
    fn release(&self, permit: SemaphorePermit<'_>, epoch: u64, signal: Signal) {
        let forget = self.with_adaptive(|a| {
            let before = a.controller.limit();
            match signal {
                Signal::Answered(latency) => a.controller.on_answer(epoch, latency.as_secs_f64()),
                Signal::Overloaded => a.controller.on_overload(epoch),
                Signal::Other => a.controller.on_other(),
            }
            let after = a.controller.limit();
            if after > before {
                let grow = after - before;
                let paid = grow.min(a.debt);
                a.debt -= paid;
                self.permits.add_permits(grow - paid);
            } else {
                a.debt += before - after;
            }
            if a.debt > 0 {
                a.debt -= 1;
                true
            } else {
                false
            }
        });
        if forget == Some(true) {
            permit.forget();
        }
    }
}

impl Permit<'_> {
    /// Gives the place back, telling the adaptive limit how the attempt went.
    pub fn finish(mut self, signal: Signal) {
        if let Some(permit) = self.permit.take() {
            self.gate.release(permit, self.epoch, signal);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.gate.release(permit, self.epoch, Signal::Other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_gate_bounds_requests_in_flight() {
        let gate = Gate::fixed(2);
        let a = gate.acquire().await.unwrap();
        let _b = gate.acquire().await.unwrap();
        assert_eq!(gate.permits.available_permits(), 0);
        a.finish(Signal::Overloaded);
        assert_eq!(gate.permits.available_permits(), 1);
        assert!(!gate.is_adaptive() && gate.reached().is_none());
    }

    #[tokio::test]
    async fn the_adaptive_gate_follows_its_limit_without_interrupting_requests() {
        let gate = Gate::adaptive(64);
        let limit = || gate.reached().unwrap().final_limit;
        let start = limit();
        let mut held = Vec::new();
        for _ in 0..start {
            held.push(gate.acquire().await.unwrap());
        }
        assert_eq!(gate.permits.available_permits(), 0);
        // One overload halves the limit: the permits in flight above it are forgotten as
        // they come back (a debt), so the gate's places always equal the limit.
        let first = held.remove(0);
        first.finish(Signal::Overloaded);
        let halved = limit();
        assert_eq!(halved, start / 2);
        let in_flight = held.len();
        for p in held.drain(..) {
            p.finish(Signal::Other);
        }
        assert_eq!(
            gate.permits.available_permits(),
            halved,
            "{in_flight} in flight"
        );
        // Answers grow it again, adding permits.
        for _ in 0..10 {
            let p = gate.acquire().await.unwrap();
            p.finish(Signal::Answered(Duration::from_millis(5)));
        }
        assert_eq!(gate.permits.available_permits(), limit());
        assert!(limit() > halved);
    }
}
