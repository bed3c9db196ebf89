//! Request statistics: the public [`Stats`] snapshot and the recorder the handlers update
//! (one short `std::sync::Mutex` section per event, never held across an `.await`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::faults::lock;

/// How many recent chat-completion request bodies [`Stats::recent_bodies`] keeps.
pub const RECENT_BODIES: usize = 16;

/// A snapshot of what the server has seen since it started (or since the last
/// [`crate::MockServer::reset_stats`]). Also served as JSON by `GET /stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Chat-completion requests received, whatever their outcome.
    pub requests: u64,
    /// Chat-completion requests being handled right now.
    pub in_flight: u64,
    /// The most chat-completion requests seen in flight at once.
    pub max_in_flight: u64,
    /// Chat-completion responses by HTTP status; 0 counts dropped connections and hung
    /// requests (counted when the fault is injected).
    pub by_status: BTreeMap<u16, u64>,
    /// Per request key (text of the last user message): how many HTTP 200 answers with a
    /// non-empty `choices` were sent (streamed answers included, truncated streams not).
    pub answered: BTreeMap<String, u64>,
    /// How many faults were injected (the `reject_list_content` 500 is not a fault).
    pub faults_injected: u64,
    /// Requests answered 429/503 because the server was at its capacity
    /// ([`crate::MockConfig::capacity`]; not faults).
    #[serde(default)]
    pub over_capacity: u64,
    /// The most requests admitted at once under a capacity (at most its `max_in_flight`).
    #[serde(default)]
    pub max_admitted: u64,
    /// The last [`RECENT_BODIES`] chat-completion request bodies that parsed as JSON,
    /// oldest first.
    pub recent_bodies: Vec<serde_json::Value>,
    /// The headers of the most recent chat-completion request (names lower-case; values
    /// that are not valid UTF-8 are replaced lossily). Includes `authorization`.
    pub last_headers: BTreeMap<String, String>,
    /// TCP connections accepted (a client that reuses its connections opens at most as
    /// many as it has requests in flight).
    #[serde(default)]
    pub connections: u64,
    /// Chat-completion requests in flight integrated over time (request-seconds): divided
    /// by [`Stats::busy_s`] it is the average number in flight.
    #[serde(default)]
    pub in_flight_s: f64,
    /// Seconds from the first chat-completion request's arrival to the last one's end.
    #[serde(default)]
    pub busy_s: f64,
}

impl Stats {
    /// The most recent request body, if any.
    pub fn last_body(&self) -> Option<&serde_json::Value> {
        self.recent_bodies.last()
    }

    /// How many responses had HTTP status `status` (0 = dropped or hung).
    pub fn status_count(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Total successful answers over all keys.
    pub fn answered_total(&self) -> u64 {
        self.answered.values().sum()
    }

    /// The average number of chat-completion requests in flight while the server was busy
    /// (from the first request's arrival to the last one's end); 0 before any request.
    pub fn mean_in_flight(&self) -> f64 {
        if self.busy_s > 0.0 {
            self.in_flight_s / self.busy_s
        } else {
            0.0
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: u64,
    in_flight: u64,
    max_in_flight: u64,
    by_status: BTreeMap<u16, u64>,
    answered: BTreeMap<String, u64>,
    faults_injected: u64,
    over_capacity: u64,
    max_admitted: u64,
    recent_bodies: VecDeque<serde_json::Value>,
    last_headers: BTreeMap<String, String>,
    connections: u64,
    /// Request-seconds in flight up to `changed`.
    in_flight_s: f64,
    /// When the first request arrived, and when `in_flight` last changed.
    first: Option<Instant>,
    changed: Option<Instant>,
}

impl Inner {
    /// Adds the time since the last change at the current number in flight.
    fn advance(&mut self, now: Instant) {
        if let Some(changed) = self.changed {
            self.in_flight_s +=
                self.in_flight as f64 * now.saturating_duration_since(changed).as_secs_f64();
        }
        self.changed = Some(now);
        self.first.get_or_insert(now);
    }
}

/// Thread-safe recorder behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    inner: Mutex<Inner>,
}

/// Counts one chat-completion request as in flight until dropped (also when the handler
/// future is cancelled, e.g. by a dropped connection).
#[derive(Debug)]
pub(crate) struct InFlightGuard {
    recorder: Arc<StatsRecorder>,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut inner = lock(&self.recorder.inner);
        inner.advance(Instant::now());
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

impl StatsRecorder {
    /// Counts a new chat-completion request and marks it in flight.
    pub(crate) fn begin(self: &Arc<Self>) -> InFlightGuard {
        {
            let mut inner = lock(&self.inner);
            inner.advance(Instant::now());
            inner.requests += 1;
            inner.in_flight += 1;
            inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        }
        InFlightGuard {
            recorder: Arc::clone(self),
        }
    }

    /// Counts an accepted TCP connection.
    pub(crate) fn record_connection(&self) {
        lock(&self.inner).connections += 1;
    }

    /// Remembers the headers of the latest request.
    pub(crate) fn record_headers(&self, headers: BTreeMap<String, String>) {
        lock(&self.inner).last_headers = headers;
    }

    /// Remembers a parsed request body (keeping the last [`RECENT_BODIES`]).
    pub(crate) fn record_body(&self, body: serde_json::Value) {
        let mut inner = lock(&self.inner);
        if inner.recent_bodies.len() >= RECENT_BODIES {
            inner.recent_bodies.pop_front();
        }
        inner.recent_bodies.push_back(body);
    }

    /// Counts a response with `status` (0 = none sent).
    pub(crate) fn record_status(&self, status: u16) {
        *lock(&self.inner).by_status.entry(status).or_insert(0) += 1;
    }

    /// Counts an injected fault.
    pub(crate) fn record_fault(&self) {
        lock(&self.inner).faults_injected += 1;
    }

    /// Counts a request answered over capacity.
    pub(crate) fn record_over_capacity(&self) {
        lock(&self.inner).over_capacity += 1;
    }

    /// Notes that `n` requests are admitted at once.
    pub(crate) fn record_admitted(&self, n: u64) {
        let mut inner = lock(&self.inner);
        inner.max_admitted = inner.max_admitted.max(n);
    }

    /// Counts a successful answer for `key`.
    pub(crate) fn record_answered(&self, key: &str) {
        let mut inner = lock(&self.inner);
        match inner.answered.get_mut(key) {
            Some(n) => *n += 1,
            None => {
                inner.answered.insert(key.to_owned(), 1);
            }
        }
    }

    /// A consistent copy of everything recorded.
    pub(crate) fn snapshot(&self) -> Stats {
        let inner = lock(&self.inner);
        Stats {
            requests: inner.requests,
            in_flight: inner.in_flight,
            max_in_flight: inner.max_in_flight,
            by_status: inner.by_status.clone(),
            answered: inner.answered.clone(),
            faults_injected: inner.faults_injected,
            over_capacity: inner.over_capacity,
            max_admitted: inner.max_admitted,
            recent_bodies: inner.recent_bodies.iter().cloned().collect(),
            last_headers: inner.last_headers.clone(),
            connections: inner.connections,
            in_flight_s: inner.in_flight_s,
            busy_s: match (inner.first, inner.changed) {
                (Some(first), Some(changed)) => {
                    changed.saturating_duration_since(first).as_secs_f64()
                }
                _ => 0.0,
            },
        }
    }

    /// Clears everything except the requests currently in flight, which also become the
    /// new `max_in_flight`.
    pub(crate) fn reset(&self) {
        let mut inner = lock(&self.inner);
        let in_flight = inner.in_flight;
        // Requests still in flight count from now on.
        let now = (in_flight > 0).then(Instant::now);
        *inner = Inner {
            in_flight,
            max_in_flight: in_flight,
            first: now,
            changed: now,
            ..Inner::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_tracks_guards_and_reset_keeps_them() {
        let rec = Arc::new(StatsRecorder::default());
        let a = rec.begin();
        let b = rec.begin();
        assert_eq!(rec.snapshot().max_in_flight, 2);
        drop(a);
        rec.reset();
        let s = rec.snapshot();
        assert_eq!((s.requests, s.in_flight, s.max_in_flight), (0, 1, 1));
        drop(b);
        assert_eq!(rec.snapshot().in_flight, 0);
        for i in 0..20 {
            rec.record_body(serde_json::json!(i));
        }
        let s = rec.snapshot();
        assert_eq!(s.recent_bodies.len(), RECENT_BODIES);
        assert_eq!(s.last_body(), Some(&serde_json::json!(19)));
    }

    #[test]
    fn mean_in_flight_is_time_weighted() {
        let rec = Arc::new(StatsRecorder::default());
        assert_eq!(rec.snapshot().mean_in_flight(), 0.0);
        // Two requests for the whole span, a third for about half of it.
        let a = rec.begin();
        let b = rec.begin();
        let c = rec.begin();
        std::thread::sleep(std::time::Duration::from_millis(40));
        drop(c);
        std::thread::sleep(std::time::Duration::from_millis(40));
        drop(a);
        drop(b);
        rec.record_connection();
        let s = rec.snapshot();
        let mean = s.mean_in_flight();
        assert!(s.busy_s >= 0.08, "{s:?}");
        assert!(mean > 2.2 && mean < 2.8, "mean {mean}");
        assert_eq!(s.connections, 1);
    }
}
