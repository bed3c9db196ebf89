//! The control law of `max_concurrency = "auto"`: how many requests may be in flight,
//! learned from how the server answers. Pure arithmetic, no clock and no locks (the
//! scheduler's [`super::gate`] applies it), so the law is tested on its own.
//!
//! Like TCP's congestion window, and like lmms-eval's adaptive OpenAI client
//! (`adaptive_concurrency`: grow on success, shrink by a factor on rate limits and slow
//! answers, between a minimum and a maximum):
//! - **Slow start.** From [`INITIAL_LIMIT`] the limit grows by one per answered attempt
//!   (it doubles every round trip) until the first sign of overload.
//! - **Additive increase.** After that, by `1 / limit` per answer: one more request per
//!   round trip.
//! - **Multiplicative decrease.** An overload reply (HTTP 429 or 503) halves the limit;
//!   latency rising cuts it by [`LATENCY_DECREASE`]. Rising means the recent latency (a
//!   fast moving average) at [`LATENCY_RISE`] times the long-run latency (a slow one), as
//!   Netflix's Gradient2 limiter compares them: answers of different lengths leave both
//!   averages alike, while a queue building up in the server lifts the recent one first.
//!   Only after [`LATENCY_WARMUP`] answers, so the first few do not set the baseline. At
//!   most one decrease per round trip: a signal from a request sent before the latest
//!   decrease reflects the old limit and is ignored (each permit carries the decrease
//!   count, the "epoch", it was issued in).
//! - Bounded by 1 and the card's `max_concurrency_limit`.

use serde::{Deserialize, Serialize};

/// Where slow start begins (or the maximum, when that is lower).
pub const INITIAL_LIMIT: usize = 4;
/// The limit is multiplied by this on an overload reply (429, 503).
pub const OVERLOAD_DECREASE: f64 = 0.5;
/// The limit is multiplied by this when latency has risen.
pub const LATENCY_DECREASE: f64 = 0.8;
/// Recent latency above this many times the long-run latency counts as rising.
pub const LATENCY_RISE: f64 = 2.0;
/// Answers before latency can lower the limit.
pub const LATENCY_WARMUP: u64 = 20;
/// Weight of the newest answer in the recent latency.
const RECENT_WEIGHT: f64 = 0.1;
/// Weight of the newest answer in the long-run latency.
const LONG_RUN_WEIGHT: f64 = 0.02;

/// What the summary says about an adaptive run (`requests.by_model.*.concurrency`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConcurrencyReached {
    /// The limit when the session ended.
    pub final_limit: usize,
    /// The highest limit reached.
    pub max: usize,
    /// The limit averaged over the attempts that completed.
    pub mean: f64,
    /// The ceiling (`max_concurrency_limit`).
    pub limit: usize,
    /// Overload replies (429, 503) seen; each was retried.
    pub overloaded: u64,
    /// Times the limit was cut (for overload or for rising latency).
    pub decreases: u64,
}

/// The adaptive limit and what it has learned.
#[derive(Clone, Debug)]
pub struct Controller {
    limit: f64,
    min: f64,
    max: f64,
    slow_start: bool,
    epoch: u64,
    /// Long-run latency (slow moving average), in seconds.
    long_run: Option<f64>,
    /// Recent latency (fast moving average), in seconds.
    recent: Option<f64>,
    answers: u64,
    // For the summary.
    reached: usize,
    limit_sum: f64,
    samples: u64,
    overloaded: u64,
}

impl Controller {
    /// A controller between 1 and `max` requests in flight.
    pub fn new(max: usize) -> Self {
        let max = max.max(1) as f64;
        let start = (INITIAL_LIMIT as f64).min(max);
        Self {
            limit: start,
            min: 1.0,
            max,
            slow_start: true,
            epoch: 0,
            long_run: None,
            recent: None,
            answers: 0,
            reached: start as usize,
            limit_sum: 0.0,
            samples: 0,
            overloaded: 0,
        }
    }

    /// Requests that may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit.floor().clamp(self.min, self.max) as usize
    }

    /// The decrease count; permits carry it to tell stale signals from fresh ones.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// An attempt issued in `epoch` was answered after `latency_secs`.
    pub fn on_answer(&mut self, epoch: u64, latency_secs: f64) {
        self.sample();
        if latency_secs.is_finite() && latency_secs >= 0.0 {
            let average = |avg: Option<f64>, weight: f64| {
                avg.map_or(latency_secs, |a| a + weight * (latency_secs - a))
            };
            let long_run = average(self.long_run, LONG_RUN_WEIGHT);
            let recent = average(self.recent, RECENT_WEIGHT);
            self.long_run = Some(long_run);
            self.recent = Some(recent);
            self.answers += 1;
            // A long-run latency of a few microseconds says nothing about queueing.
            let rising = recent > LATENCY_RISE * long_run.max(0.001);
            if rising && self.answers > LATENCY_WARMUP && epoch == self.epoch {
                self.decrease(LATENCY_DECREASE);
                // The recent figure restarts from the long-run one, so one slow stretch
                // is one cut.
                self.recent = Some(long_run);
                return;
            }
        }
        self.limit += if self.slow_start {
            1.0
        } else {
            1.0 / self.limit.max(1.0)
        };
        self.limit = self.limit.min(self.max);
        self.reached = self.reached.max(self.limit());
    }

    /// An attempt issued in `epoch` met an overload reply (429, 503).
    pub fn on_overload(&mut self, epoch: u64) {
        self.sample();
        self.overloaded += 1;
        if epoch == self.epoch {
            self.decrease(OVERLOAD_DECREASE);
        }
    }

    /// An attempt ended some other way (a failure that says nothing about load, or a
    /// cancellation): it counts in the mean and changes nothing.
    pub fn on_other(&mut self) {
        self.sample();
    }

    fn decrease(&mut self, factor: f64) {
        self.slow_start = false;
        self.limit = (self.limit * factor).max(self.min);
        self.epoch += 1;
    }

    fn sample(&mut self) {
        self.limit_sum += self.limit() as f64;
        self.samples += 1;
    }

    /// The figures for the summary.
    pub fn reached(&self) -> ConcurrencyReached {
        ConcurrencyReached {
            final_limit: self.limit(),
            max: self.reached,
            mean: if self.samples == 0 {
                self.limit() as f64
            } else {
                (self.limit_sum / self.samples as f64 * 10.0).round() / 10.0
            },
            limit: self.max as usize,
            overloaded: self.overloaded,
            decreases: self.epoch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_doubles_then_overload_halves_then_grows_by_one_per_round() {
        let mut c = Controller::new(256);
        assert_eq!(c.limit(), INITIAL_LIMIT);
        // One round trip: every request in flight is answered; the limit doubles.
        for _ in 0..4 {
            c.on_answer(0, 0.05);
        }
        assert_eq!(c.limit(), 8);
        for _ in 0..8 {
            c.on_answer(0, 0.05);
        }
        assert_eq!(c.limit(), 16);
        c.on_overload(c.epoch());
        assert_eq!(c.limit(), 8);
        // The other requests of that round were sent under the old limit: ignored.
        for _ in 0..7 {
            c.on_overload(0);
        }
        assert_eq!(c.limit(), 8);
        // Additive increase: one per round trip of `limit` answers.
        let epoch = c.epoch();
        for _ in 0..8 {
            c.on_answer(epoch, 0.05);
        }
        assert_eq!(c.limit(), 8, "8 + 1/8 + 1/8.1 + ... stays just under 9");
        c.on_answer(epoch, 0.05);
        assert_eq!(c.limit(), 9);
        let r = c.reached();
        assert_eq!((r.max, r.final_limit, r.limit), (16, 9, 256));
        assert_eq!((r.overloaded, r.decreases), (8, 1));
    }

    #[test]
    fn rising_latency_cuts_the_limit_once() {
        let mut c = Controller::new(64);
        for _ in 0..28 {
            c.on_answer(0, 0.1);
        }
        assert_eq!(c.limit(), 32);
        // Answers slow down to 5x the baseline: the smoothed latency crosses 2x and the
        // limit is cut once by LATENCY_DECREASE, not once per slow answer.
        let mut cuts = 0;
        let mut before_cut = 0.0;
        for _ in 0..10 {
            let epoch = c.epoch();
            before_cut = c.limit;
            c.on_answer(epoch, 0.5);
            cuts += c.epoch() - epoch;
            if cuts > 0 {
                break;
            }
        }
        assert_eq!(cuts, 1);
        assert_eq!(c.limit(), (before_cut * LATENCY_DECREASE).floor() as usize);
        assert!(c.limit() < 32);
        // Stale slow answers (sent before the cut) change nothing but the additive step.
        let limit = c.limit();
        c.on_answer(0, 0.5);
        assert_eq!(c.epoch(), 1);
        assert!(c.limit() >= limit);
    }

    #[test]
    fn answers_of_mixed_lengths_do_not_look_like_queueing() {
        let mut c = Controller::new(64);
        // Short and long answers mixed (20x apart), from the very first answer on.
        for i in 0..400 {
            let latency = if i % 3 == 0 { 2.0 } else { 0.1 };
            c.on_answer(c.epoch(), latency);
        }
        assert_eq!(c.reached().decreases, 0);
        assert_eq!(c.limit(), 64);
    }

    #[test]
    fn bounded_by_one_and_the_maximum() {
        let mut c = Controller::new(6);
        for _ in 0..100 {
            c.on_answer(0, 0.01);
        }
        assert_eq!(c.limit(), 6);
        for _ in 0..20 {
            c.on_overload(c.epoch());
        }
        assert_eq!(c.limit(), 1);
        assert_eq!(Controller::new(2).limit(), 2);
        assert_eq!(Controller::new(0).limit(), 1);
        // Nonsense latencies are ignored, never a panic.
        c.on_answer(c.epoch(), f64::NAN);
        c.on_answer(c.epoch(), -1.0);
        c.on_other();
        assert!(c.limit() >= 1);
    }

    /// A simulated server of capacity C: requests beyond C in a round get 429. The limit
    /// saws between about C/2 and C; its mean stays between C/2 and 2C.
    #[test]
    fn converges_near_a_servers_capacity() {
        for capacity in [3usize, 8, 20, 100] {
            let mut c = Controller::new(256);
            for _round in 0..400 {
                let epoch = c.epoch();
                let sent = c.limit();
                for k in 0..sent {
                    if k < capacity {
                        c.on_answer(epoch, 0.05);
                    } else {
                        c.on_overload(epoch);
                    }
                }
            }
            let r = c.reached();
            let cap = capacity as f64;
            assert!(
                r.mean >= cap / 2.0 && r.mean <= cap * 2.0,
                "capacity {capacity}: {r:?}"
            );
            assert!(r.final_limit <= 2 * capacity + 1, "{r:?}");
        }
    }
}
