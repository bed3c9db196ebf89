//! Several replicas of one model behind one card (`base_urls`): which replica each
//! attempt goes to, and a circuit breaker per replica.
//!
//! - **Least outstanding.** An attempt goes to the usable replica with the fewest attempts
//!   outstanding; ties go round-robin from a cursor that moves on every pick, so the
//!   choice is deterministic for a given sequence of picks and outcomes.
//! - **Retries prefer another replica.** A replica whose last attempt failed (connection
//!   error, timeout, 5xx other than 503, a malformed reply) ranks after every replica
//!   without a recent failure for [`AVOID_AFTER_FAILURE`], so the dispatcher's retry of
//!   the failed request lands elsewhere when another replica is healthy.
//! - **Circuit breaker.** [`FAILURES_TO_OPEN`] failures in a row open the breaker: the
//!   replica gets no traffic for a cooldown (2 s, doubling up to 60 s while it keeps
//!   failing). Then it is half-open: one attempt probes it; success closes the breaker,
//!   failure opens it again. When every replica is open, the one whose cooldown ends first
//!   is probed early rather than refusing to send.
//! - 429 and 503 say a replica is busy, not broken: they count as errors but neither trip
//!   the breaker nor count as recent failures (the adaptive concurrency controller reacts
//!   to them). Other 4xx replies prove the replica alive.
//!
//! Which replica answered is not part of a request's hash or of the run's identity: the
//! replicas are one model. Per-replica counts (requests, errors, mean latency, breaker
//! trips) go to `summary.json`, URLs with their passwords redacted.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::card::kinds::redact_url_password;

/// Failures in a row that open a replica's breaker.
pub const FAILURES_TO_OPEN: u32 = 5;
/// How long a replica stays open the first time; doubled each time a probe fails.
pub const FIRST_COOLDOWN: Duration = Duration::from_secs(2);
/// The longest a replica stays open before it is probed again.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(60);
/// How long after a failure a replica ranks behind replicas without one.
pub const AVOID_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// One replica's figures in `summary.json` (`requests.by_model.*.endpoints`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointStats {
    /// The base URL, a password in it redacted.
    pub url: String,
    /// Attempts sent to it.
    pub requests: u64,
    /// Attempts that did not bring an answer (429 and 503 included).
    pub errors: u64,
    /// Mean time to an answer over its successful attempts, in milliseconds.
    pub mean_latency_ms: f64,
    /// Times its circuit breaker opened.
    #[serde(default)]
    pub breaker_trips: u64,
}

/// How an attempt on a replica went, for its breaker and its figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// An answer, after this long.
    Answered(Duration),
    /// The replica is busy (429, 503): an error, but not a sign it is broken.
    Busy,
    /// The replica answered, with an error about the request (other 4xx): it is alive.
    Refused,
    /// The replica is failing (connection error, timeout, other 5xx, malformed reply).
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Breaker {
    Closed,
    /// No traffic until `until`; the next cooldown is `cooldown * 2`.
    Open {
        until: Instant,
        cooldown: Duration,
    },
    /// One probe is out; its outcome closes or re-opens the breaker.
    HalfOpen {
        cooldown: Duration,
    },
}

#[derive(Debug)]
struct Replica {
    outstanding: u32,
    failures_in_a_row: u32,
    last_failure: Option<Instant>,
    breaker: Breaker,
    requests: u64,
    errors: u64,
    answered: u64,
    latency_sum: Duration,
    trips: u64,
}

#[derive(Debug)]
struct State {
    replicas: Vec<Replica>,
    /// Round-robin cursor for ties.
    cursor: usize,
}

/// The replicas of one model and their health.
#[derive(Debug)]
pub struct EndpointPool {
    /// Each replica's base URL, without a trailing slash.
    bases: Vec<String>,
    /// Each replica's URL for requests: its base URL and the pool's path.
    targets: Vec<String>,
    state: Mutex<State>,
    /// Whether the card listed `base_urls` (only then are per-replica figures reported).
    listed: bool,
}

/// One attempt's claim on a replica. Finish it with its outcome; dropped unfinished (the
/// attempt was cancelled or timed out by the scheduler) it only gives back its place,
/// and a probe it carried may be made again.
#[derive(Debug)]
pub struct Lease<'a> {
    pool: &'a EndpointPool,
    index: usize,
    probe: bool,
    done: bool,
}

impl Lease<'_> {
    /// The URL to send the attempt to: the replica's base URL and the pool's path.
    pub fn url(&self) -> &str {
        &self.pool.targets[self.index]
    }

    /// Which replica (in the card's order) the attempt goes to.
    pub fn replica(&self) -> usize {
        self.index
    }

    /// Records how the attempt went.
    pub fn finish(self, outcome: Outcome) {
        self.finish_at(outcome, Instant::now());
    }

    fn finish_at(mut self, outcome: Outcome, now: Instant) {
        self.done = true;
        self.pool.finish(self.index, self.probe, Some(outcome), now);
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.pool
                .finish(self.index, self.probe, None, Instant::now());
        }
    }
}

impl EndpointPool {
    /// A pool of the given base URLs, requests going to `path` under each
    /// (`/chat/completions`); `listed` when the card gave `base_urls`.
    pub fn new(urls: &[&str], path: &str, listed: bool) -> Self {
        let bases: Vec<String> = urls
            .iter()
            .map(|url| url.trim_end_matches('/').to_string())
            .collect();
        let targets = bases.iter().map(|b| format!("{b}{path}")).collect();
        let replicas = urls
            .iter()
            .map(|_| Replica {
                outstanding: 0,
                failures_in_a_row: 0,
                last_failure: None,
                breaker: Breaker::Closed,
                requests: 0,
                errors: 0,
                answered: 0,
                latency_sum: Duration::ZERO,
                trips: 0,
            })
            .collect();
        Self {
            bases,
            targets,
            state: Mutex::new(State {
                replicas,
                cursor: 0,
            }),
            listed,
        }
    }

    /// How many replicas there are.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Replica `i`'s request URL.
    pub fn target(&self, i: usize) -> &str {
        &self.targets[i]
    }

    /// Every replica's base URL (no trailing slash), in the card's order.
    pub fn bases(&self) -> &[String] {
        &self.bases
    }

    /// Picks the replica for the next attempt (see the module doc for the rule).
    pub fn pick(&self) -> Lease<'_> {
        self.pick_at(Instant::now())
    }

    fn pick_at(&self, now: Instant) -> Lease<'_> {
        let mut state = self.lock();
        let n = state.replicas.len().max(1);
        let cursor = state.cursor;
        state.cursor = (cursor + 1) % n;
        let (index, probe) = choose(&state.replicas, cursor, now);
        let replica = &mut state.replicas[index];
        if probe {
            let cooldown = match replica.breaker {
                Breaker::Open { cooldown, .. } | Breaker::HalfOpen { cooldown } => cooldown,
                Breaker::Closed => FIRST_COOLDOWN,
            };
            replica.breaker = Breaker::HalfOpen { cooldown };
        }
        replica.outstanding += 1;
        replica.requests += 1;
        Lease {
            pool: self,
            index,
            probe,
            done: false,
        }
    }

    fn finish(&self, index: usize, probe: bool, outcome: Option<Outcome>, now: Instant) {
        let mut state = self.lock();
        let Some(replica) = state.replicas.get_mut(index) else {
            return;
        };
        replica.outstanding = replica.outstanding.saturating_sub(1);
        let Some(outcome) = outcome else {
            // A cancelled probe: the replica may be probed again at once.
            if let (true, Breaker::HalfOpen { cooldown }) = (probe, replica.breaker) {
                replica.breaker = Breaker::Open {
                    until: now,
                    cooldown,
                };
            }
            return;
        };
        match outcome {
            Outcome::Answered(latency) => {
                replica.answered += 1;
                replica.latency_sum += latency;
                replica.failures_in_a_row = 0;
                replica.last_failure = None;
                replica.breaker = Breaker::Closed;
            }
            Outcome::Refused => {
                replica.errors += 1;
                replica.failures_in_a_row = 0;
                replica.last_failure = None;
                replica.breaker = Breaker::Closed;
            }
            Outcome::Busy => {
                replica.errors += 1;
                // Busy is alive: a probe that meets a busy replica closes its breaker.
                if probe {
                    replica.breaker = Breaker::Closed;
                    replica.failures_in_a_row = 0;
                }
            }
            Outcome::Failed => {
                replica.errors += 1;
                replica.failures_in_a_row = replica.failures_in_a_row.saturating_add(1);
                replica.last_failure = Some(now);
                replica.breaker = match replica.breaker {
                    // A failed probe: open again, for twice as long.
                    Breaker::HalfOpen { cooldown } if probe => {
                        let cooldown = (cooldown * 2).min(MAX_COOLDOWN);
                        replica.trips += 1;
                        Breaker::Open {
                            until: now + cooldown,
                            cooldown,
                        }
                    }
                    Breaker::Closed if replica.failures_in_a_row >= FAILURES_TO_OPEN => {
                        replica.trips += 1;
                        Breaker::Open {
                            until: now + FIRST_COOLDOWN,
                            cooldown: FIRST_COOLDOWN,
                        }
                    }
                    other => other,
                };
            }
        }
    }

    /// Each replica's figures, in the card's order; empty unless the card listed
    /// `base_urls` (a single `base_url` has nothing to compare).
    pub fn stats(&self) -> Vec<EndpointStats> {
        if !self.listed {
            return Vec::new();
        }
        self.lock()
            .replicas
            .iter()
            .zip(&self.bases)
            .map(|(r, base)| EndpointStats {
                url: redact_url_password(base),
                requests: r.requests,
                errors: r.errors,
                mean_latency_ms: if r.answered == 0 {
                    0.0
                } else {
                    (r.latency_sum.as_secs_f64() * 1000.0 / r.answered as f64 * 10.0).round() / 10.0
                },
                breaker_trips: r.trips,
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent counters: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The replica for the next attempt and whether the attempt is a breaker probe.
///
/// 1. A replica whose breaker is open and whose cooldown is over is probed (one probe at a
///    time), the first such in round-robin order from `cursor`.
/// 2. Else the closed replica ranking first by (failed within [`AVOID_AFTER_FAILURE`],
///    outstanding attempts, round-robin distance from `cursor`).
/// 3. Else (every replica open or being probed) the open replica whose cooldown ends
///    first is probed early; with none open, the least busy replica.
fn choose(replicas: &[Replica], cursor: usize, now: Instant) -> (usize, bool) {
    let n = replicas.len().max(1);
    let order = (0..replicas.len()).map(|k| (cursor + k) % n);
    let probe_due = order
        .clone()
        .find(|&i| matches!(replicas[i].breaker, Breaker::Open { until, .. } if until <= now));
    if let Some(i) = probe_due {
        return (i, true);
    }
    let closed = order
        .clone()
        .enumerate()
        .filter(|&(_, i)| replicas[i].breaker == Breaker::Closed)
        .min_by_key(|&(distance, i)| {
            let r = &replicas[i];
            let recent = r
                .last_failure
                .is_some_and(|t| now.saturating_duration_since(t) < AVOID_AFTER_FAILURE);
            (recent, r.outstanding, distance)
        });
    if let Some((_, i)) = closed {
        return (i, false);
    }
    let soonest = order
        .clone()
        .filter_map(|i| match replicas[i].breaker {
            Breaker::Open { until, .. } => Some((until, i)),
            _ => None,
        })
        .min();
    if let Some((_, i)) = soonest {
        return (i, true);
    }
    let least = order
        .enumerate()
        .min_by_key(|&(distance, i)| (replicas[i].outstanding, distance))
        .map_or(0, |(_, i)| i);
    (least, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> EndpointPool {
        let urls: Vec<String> = (0..n).map(|i| format!("http://r{i}/v1")).collect();
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        EndpointPool::new(&urls, "/chat/completions", true)
    }

    #[test]
    fn least_outstanding_then_round_robin() {
        let pool = pool(3);
        let now = Instant::now();
        // Nothing outstanding: round-robin from the cursor.
        let a = pool.pick_at(now);
        let b = pool.pick_at(now);
        let c = pool.pick_at(now);
        assert_eq!((a.index, b.index, c.index), (0, 1, 2));
        // One of each outstanding; replica 1 finishes: it has the fewest.
        b.finish(Outcome::Answered(Duration::from_millis(10)));
        assert_eq!(pool.pick_at(now).index, 1);
        drop((a, c));
        let stats = pool.stats();
        assert_eq!(
            stats.iter().map(|s| s.requests).collect::<Vec<_>>(),
            [1, 2, 1]
        );
        assert_eq!(stats[1].mean_latency_ms, 10.0);
        assert_eq!(stats.iter().map(|s| s.errors).sum::<u64>(), 0);
    }

    #[test]
    fn a_failed_replica_is_avoided_for_a_while_then_tried_again() {
        let pool = pool(2);
        let now = Instant::now();
        let first = pool.pick_at(now);
        assert_eq!(first.index, 0);
        // Every time is the test's own (`finish_at`), so a slow machine cannot stretch the window.
        first.finish_at(Outcome::Failed, now);
        // The retry goes to the other replica, whatever the cursor says.
        for _ in 0..4 {
            let lease = pool.pick_at(now);
            assert_eq!(lease.index, 1);
            lease.finish_at(Outcome::Answered(Duration::from_millis(5)), now);
        }
        // After the avoidance window replica 0 takes its turn again.
        let later = now + AVOID_AFTER_FAILURE + Duration::from_millis(1);
        let picks: Vec<usize> = (0..2)
            .map(|_| {
                let lease = pool.pick_at(later);
                let i = lease.index;
                lease.finish_at(Outcome::Answered(Duration::from_millis(5)), later);
                i
            })
            .collect();
        assert!(picks.contains(&0), "{picks:?}");
    }

    #[test]
    fn the_breaker_opens_probes_and_closes() {
        let pool = pool(2);
        let t0 = Instant::now();
        // Replica 1 fails FAILURES_TO_OPEN times in a row (picked directly).
        for _ in 0..FAILURES_TO_OPEN {
            pool.finish_for_test(1, Outcome::Failed, t0);
        }
        assert_eq!(pool.stats()[1].breaker_trips, 1);
        // While open, everything goes to replica 0, even with many outstanding.
        let held: Vec<Lease> = (0..10).map(|_| pool.pick_at(t0)).collect();
        assert!(held.iter().all(|l| l.index == 0));
        drop(held);
        // Cooldown over: exactly one probe goes to replica 1.
        let t1 = t0 + FIRST_COOLDOWN + Duration::from_millis(1);
        let probe = pool.pick_at(t1);
        assert!(probe.probe && probe.index == 1);
        assert_eq!(pool.pick_at(t1).index, 0);
        // The probe fails: open again for twice as long.
        probe.finish_at(Outcome::Failed, t1);
        assert_eq!(pool.stats()[1].breaker_trips, 2);
        let t2 = t1 + FIRST_COOLDOWN + Duration::from_millis(1);
        assert_eq!(pool.pick_at(t2).index, 0, "still open (4 s cooldown)");
        let t3 = t1 + FIRST_COOLDOWN * 2 + Duration::from_millis(1);
        let probe = pool.pick_at(t3);
        assert!(probe.probe && probe.index == 1);
        probe.finish_at(Outcome::Answered(Duration::from_millis(3)), t3);
        // Closed again: it takes traffic by the least-outstanding rule.
        let a = pool.pick_at(t3);
        let b = pool.pick_at(t3);
        assert_ne!(a.index, b.index);
    }

    #[test]
    fn busy_replies_never_trip_the_breaker_and_all_open_still_sends() {
        let pool = pool(1);
        let now = Instant::now();
        for _ in 0..20 {
            pool.pick_at(now).finish(Outcome::Busy);
        }
        let s = &pool.stats()[0];
        assert_eq!((s.requests, s.errors, s.breaker_trips), (20, 20, 0));
        for _ in 0..FAILURES_TO_OPEN {
            pool.pick_at(now).finish(Outcome::Failed);
        }
        assert_eq!(pool.stats()[0].breaker_trips, 1);
        // The only replica is open: it is probed early instead of refusing.
        let lease = pool.pick_at(now);
        assert!(lease.probe);
        // A cancelled probe lets the next attempt probe again.
        drop(lease);
        assert!(pool.pick_at(now).probe);
    }

    #[test]
    fn stats_redact_passwords_and_a_single_base_url_reports_nothing() {
        let pool = EndpointPool::new(&["http://u:secret@h/v1/"], "/chat/completions", true);
        assert_eq!(pool.stats()[0].url, "http://u:[REDACTED]@h/v1");
        assert_eq!(pool.bases(), ["http://u:secret@h/v1".to_string()]);
        assert_eq!(pool.pick().url(), "http://u:secret@h/v1/chat/completions");
        let single = EndpointPool::new(&["http://h/v1"], "/completions", false);
        assert!(single.stats().is_empty());
    }

    impl EndpointPool {
        fn finish_for_test(&self, index: usize, outcome: Outcome, now: Instant) {
            {
                let mut state = self.lock();
                state.replicas[index].outstanding += 1;
                state.replicas[index].requests += 1;
            }
            self.finish(index, false, Some(outcome), now);
        }
    }
}
