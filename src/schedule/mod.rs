//! The scheduler's call path: every model call goes through one [`Dispatcher`], which
//! bounds requests in flight, applies requests- and tokens-per-minute limits, retries
//! transient failures with exponential backoff and jitter (honouring `Retry-After`),
//! sends identical requests in flight at the same time once and shares the reply
//! (PP-OCR reading one chart for each of its questions), answers a request repeated
//! soon after from a small cache of recent replies (keyed by request hash; bounded, so
//! memory does not grow with the run), and stops sending when the run is cancelled.
//! Under `max_concurrency = "auto"` the bound adapts (see [`adaptive`] and [`gate`]), and
//! an overload reply (429, 503) is retried without using up the call's attempts (up to
//! [`MAX_OVERLOAD_RETRIES`]).

pub mod adaptive;
pub mod cache;
pub mod gate;
pub mod limits;
pub mod retry;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::adapter::{CallError, Model, Request, Response};
use limits::RateLimits;
use retry::RetryPolicy;

/// The result of one logical call (however many attempts it took).
#[derive(Clone, Debug)]
pub struct CallOutcome {
    /// The request hash: model fingerprint + request content.
    pub hash: String,
    /// The response, or the last error.
    pub result: Result<Response, String>,
    /// Attempts sent to the model (0 when answered from the cache).
    pub attempts: u32,
    /// Answered from the cache without a request.
    pub cached: bool,
    /// Stopped because the run was cancelled before it could finish.
    pub cancelled: bool,
}

/// Live counters, read by the progress bar and the summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Attempts sent to the model.
    pub sent: AtomicU64,
    /// Attempts after the first.
    pub retries: AtomicU64,
    /// Calls answered from the cache.
    pub cache_hits: AtomicU64,
    /// Calls that failed after their last attempt.
    pub failed: AtomicU64,
    pub in_flight: AtomicU64,
    pub prompt_tokens: AtomicU64,
    pub completion_tokens: AtomicU64,
}

/// Overload replies one call may meet under adaptive concurrency before it fails (each
/// retried after the backoff delay, none using up the card's `max_attempts`).
pub const MAX_OVERLOAD_RETRIES: u32 = 100;

/// What a dispatcher saw beyond its counters: the replicas of its model and the adaptive
/// limit, for the summary.
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    pub endpoints: Vec<crate::adapter::endpoints::EndpointStats>,
    pub concurrency: Option<adaptive::ConcurrencyReached>,
}

/// Settings of a dispatcher, from the model card and the command line.
#[derive(Clone, Debug)]
pub struct DispatchConfig {
    /// Requests in flight; under `adaptive`, the most the limit may reach.
    pub concurrency: usize,
    /// Find the limit while the run goes (`max_concurrency = "auto"`).
    pub adaptive: bool,
    pub requests_per_minute: Option<u32>,
    pub tokens_per_minute: Option<u32>,
    pub retry: RetryPolicy,
    /// Per-attempt timeout (the adapter may enforce its own too).
    pub timeout: Duration,
}

/// How many recent replies a dispatcher keeps.
const RECENT: usize = 4096;

/// The reply of a request in flight, once it lands (None until then).
type Shared = watch::Receiver<Option<Result<Response, String>>>;

/// Removes a request from the in-flight table when its sender is done (or dropped:
/// cancelled, aborted), so waiting callers send it themselves.
struct InFlight<'a> {
    table: &'a Mutex<HashMap<String, Shared>>,
    hash: &'a str,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut table) = self.table.lock() {
            table.remove(self.hash);
        }
    }
}

/// Sends calls to one model.
pub struct Dispatcher {
    model: Arc<dyn Model>,
    fingerprint: String,
    permits: gate::Gate,
    limits: RateLimits,
    retry: RetryPolicy,
    timeout: Duration,
    /// Replies of calls a killed session made for items it did not finish.
    preloaded: Mutex<HashMap<String, Response>>,
    /// The latest replies, for a request repeated soon after (bounded).
    recent: Mutex<LruCache<String, Response>>,
    /// Requests being sent now: later identical ones wait for the reply.
    in_flight: Mutex<HashMap<String, Shared>>,
    disk: Option<cache::DiskCache>,
    cancel: CancellationToken,
    pub counters: Counters,
}

impl Dispatcher {
    pub fn new(model: Arc<dyn Model>, config: DispatchConfig, cancel: CancellationToken) -> Self {
        Self {
            fingerprint: model.fingerprint(),
            model,
            permits: if config.adaptive {
                gate::Gate::adaptive(config.concurrency)
            } else {
                gate::Gate::fixed(config.concurrency)
            },
            limits: RateLimits::new(config.requests_per_minute, config.tokens_per_minute),
            retry: config.retry,
            timeout: config.timeout,
            preloaded: Mutex::new(HashMap::new()),
            recent: Mutex::new(LruCache::new(
                NonZeroUsize::new(RECENT).unwrap_or(NonZeroUsize::MIN),
            )),
            in_flight: Mutex::new(HashMap::new()),
            disk: None,
            cancel,
            counters: Counters::default(),
        }
    }

    /// Also answers from, and stores into, an on-disk cache shared across runs.
    pub fn with_disk_cache(mut self, disk: cache::DiskCache) -> Self {
        self.disk = Some(disk);
        self
    }

    /// Seeds the cache with answers from an earlier run (resume).
    pub fn preload(&self, answered: impl IntoIterator<Item = (String, Response)>) {
        if let Ok(mut cache) = self.preloaded.lock() {
            cache.extend(answered);
        }
    }

    /// The model's replicas and the adaptive limit, for the summary.
    pub fn traffic(&self) -> Traffic {
        Traffic {
            endpoints: self.model.endpoints(),
            concurrency: self.permits.reached(),
        }
    }

    /// The model's fingerprint (what changes its answers).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The hash that identifies a request to this model.
    pub fn hash(&self, request: &Request) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.fingerprint.as_bytes());
        hasher.update(&[0]);
        request.hash_into(&mut hasher);
        hasher.finalize().to_hex()[..32].to_string()
    }

    /// Makes one logical call: from the cache, or with up to the policy's attempts.
    pub async fn call(&self, request: &Request) -> CallOutcome {
        self.call_with(request, None).await
    }

    /// Makes one logical call, answered from `prior` (an item's earlier record) when it
    /// holds the request's hash, else from the caches, else from a request in flight with
    /// the same hash, else sent.
    pub async fn call_with(
        &self,
        request: &Request,
        prior: Option<&HashMap<String, Response>>,
    ) -> CallOutcome {
        let hash = self.hash(request);
        if let Some(response) = prior
            .and_then(|p| p.get(&hash).cloned())
            .or_else(|| self.remembered(&hash))
        {
            return self.hit(hash, response);
        }
        loop {
            // Either another caller is sending this request (wait for its reply), or this
            // one registers to send it.
            let (waiting, sender) = match self.in_flight.lock() {
                Ok(mut table) => match table.get(&hash) {
                    Some(shared) => (Some(shared.clone()), None),
                    None => {
                        let (tx, rx) = watch::channel(None);
                        table.insert(hash.clone(), rx);
                        (None, Some(tx))
                    }
                },
                Err(_) => (None, None),
            };
            if waiting.is_none() {
                let _entry = sender.as_ref().map(|_| InFlight {
                    table: &self.in_flight,
                    hash: &hash,
                });
                let outcome = self.send(hash.clone(), request).await;
                if let Some(tx) = sender
                    && !outcome.cancelled
                {
                    tx.send_replace(Some(outcome.result.clone()));
                }
                return outcome;
            }
            let Some(mut shared) = waiting else { continue };
            let landed = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => None,
                r = shared.wait_for(Option::is_some) => r.ok().and_then(|v| v.clone()),
            };
            match landed {
                Some(Ok(response)) => return self.hit(hash, response),
                Some(Err(error)) => {
                    return CallOutcome {
                        hash,
                        result: Err(error),
                        attempts: 0,
                        cached: false,
                        cancelled: false,
                    };
                }
                None if self.cancel.is_cancelled() => {
                    return CallOutcome {
                        hash,
                        result: Err("cancelled before the first attempt".into()),
                        attempts: 0,
                        cached: false,
                        cancelled: true,
                    };
                }
                // The sender was dropped without a reply: send it here.
                None => continue,
            }
        }
    }

    /// A reply kept from earlier: a killed session's, a recent one, or the disk cache's.
    fn remembered(&self, hash: &str) -> Option<Response> {
        if let Some(r) = self
            .preloaded
            .lock()
            .ok()
            .and_then(|c| c.get(hash).cloned())
        {
            return Some(r);
        }
        if let Some(r) = self
            .recent
            .lock()
            .ok()
            .and_then(|mut c| c.get(hash).cloned())
        {
            return Some(r);
        }
        self.disk.as_ref().and_then(|d| d.get(hash))
    }

    /// A call answered without a request.
    fn hit(&self, hash: String, response: Response) -> CallOutcome {
        self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
        CallOutcome {
            hash,
            result: Ok(response),
            attempts: 0,
            cached: true,
            cancelled: false,
        }
    }

    /// Sends a request, with up to the policy's attempts.
    async fn send(&self, hash: String, request: &Request) -> CallOutcome {
        let mut backoff = self.retry.delays();
        let mut attempts = 0;
        // Overload replies retried under adaptive concurrency: not counted against
        // `max_attempts`.
        let mut overloads = 0;
        let mut last_error = String::from("cancelled before the first attempt");
        let tokens = self.model.estimate_tokens(request);
        loop {
            let cancelled = |last_error: String, attempts| CallOutcome {
                hash: hash.clone(),
                result: Err(last_error),
                attempts,
                cached: false,
                cancelled: true,
            };
            let permit = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return cancelled(last_error, attempts),
                p = self.permits.acquire() => p,
            };
            let Some(permit) = permit else {
                return cancelled(last_error, attempts);
            };
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return cancelled(last_error, attempts),
                _ = self.limits.wait(tokens) => {}
            }
            attempts += 1;
            self.counters.sent.fetch_add(1, Ordering::Relaxed);
            if attempts > 1 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            self.counters.in_flight.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result =
                match tokio::time::timeout(self.timeout, self.model.generate(request)).await {
                    Ok(r) => r,
                    Err(_) => Err(CallError::transient(format!(
                        "timed out after {:.1}s",
                        self.timeout.as_secs_f64()
                    ))),
                };
            self.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
            permit.finish(match &result {
                Ok(_) => gate::Signal::Answered(started.elapsed()),
                Err(CallError::Overloaded { .. }) => gate::Signal::Overloaded,
                Err(_) => gate::Signal::Other,
            });
            let retry_after = match result {
                Ok(response) => {
                    if let Some(usage) = response.usage {
                        self.counters
                            .prompt_tokens
                            .fetch_add(usage.prompt_tokens, Ordering::Relaxed);
                        self.counters
                            .completion_tokens
                            .fetch_add(usage.completion_tokens, Ordering::Relaxed);
                    }
                    if let Ok(mut recent) = self.recent.lock() {
                        recent.put(hash.clone(), response.clone());
                    }
                    if let Some(disk) = &self.disk {
                        disk.put(&hash, &response);
                    }
                    return CallOutcome {
                        hash,
                        result: Ok(response),
                        attempts,
                        cached: false,
                        cancelled: false,
                    };
                }
                Err(CallError::Permanent { message }) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    return CallOutcome {
                        hash,
                        result: Err(message),
                        attempts,
                        cached: false,
                        cancelled: false,
                    };
                }
                Err(CallError::Transient {
                    message,
                    retry_after,
                }) => {
                    last_error = message;
                    retry_after
                }
                Err(CallError::Overloaded {
                    message,
                    retry_after,
                }) => {
                    if self.permits.is_adaptive() && overloads < MAX_OVERLOAD_RETRIES {
                        overloads += 1;
                    }
                    last_error = message;
                    retry_after
                }
            };
            if attempts - overloads >= self.retry.max_attempts {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                let error = format!("gave up after {attempts} attempts: {last_error}");
                return CallOutcome {
                    hash,
                    result: Err(error),
                    attempts,
                    cached: false,
                    cancelled: false,
                };
            }
            let delay = self.retry.next_delay(&mut backoff, retry_after);
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return cancelled(last_error, attempts),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use futures::FutureExt;
    use futures::future::BoxFuture;

    use super::*;

    /// Answers every request after `delay`, counting the requests it got.
    struct Slow {
        delay: Duration,
        sent: AtomicUsize,
    }

    impl Model for Slow {
        fn fingerprint(&self) -> String {
            "slow".into()
        }
        fn generate<'a>(
            &'a self,
            request: &'a Request,
        ) -> BoxFuture<'a, Result<Response, CallError>> {
            self.sent.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(self.delay).await;
                Ok(Response {
                    text: format!("{} messages", request.messages.len()),
                    ..Response::default()
                })
            }
            .boxed()
        }
        fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>> {
            async { Ok(()) }.boxed()
        }
        fn estimate_tokens(&self, _request: &Request) -> u32 {
            1
        }
    }

    fn dispatcher(model: Arc<Slow>) -> Dispatcher {
        Dispatcher::new(
            model,
            DispatchConfig {
                concurrency: 64,
                requests_per_minute: None,
                tokens_per_minute: None,
                retry: RetryPolicy {
                    max_attempts: 1,
                    base_delay: Duration::ZERO,
                    max_delay: Duration::ZERO,
                },
                timeout: Duration::from_secs(30),
                adaptive: false,
            },
            CancellationToken::new(),
        )
    }

    #[tokio::test]
    async fn identical_requests_in_flight_are_sent_once() {
        let model = Arc::new(Slow {
            delay: Duration::from_millis(100),
            sent: AtomicUsize::new(0),
        });
        let d = dispatcher(model.clone());
        let same = Request::text("what is the tallest bar?");
        let other = Request::text("and the shortest?");
        let mut calls: Vec<_> = (0..10).map(|_| d.call(&same)).collect();
        calls.push(d.call(&other));
        let outcomes = futures::future::join_all(calls).await;
        assert_eq!(
            model.sent.load(Ordering::SeqCst),
            2,
            "one request per distinct body"
        );
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        assert_eq!(outcomes.iter().filter(|o| !o.cached).count(), 2);
        assert_eq!(d.counters.cache_hits.load(Ordering::SeqCst), 9);
        // Asked again later: from the recent replies, no request.
        let again = d.call(&same).await;
        assert!(again.cached);
        assert_eq!(model.sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_prior_reply_answers_without_a_request() {
        let model = Arc::new(Slow {
            delay: Duration::ZERO,
            sent: AtomicUsize::new(0),
        });
        let d = dispatcher(model.clone());
        let request = Request::text("q");
        let prior = HashMap::from([(
            d.hash(&request),
            Response {
                text: "from the journal".into(),
                ..Response::default()
            },
        )]);
        let outcome = d.call_with(&request, Some(&prior)).await;
        assert_eq!(
            outcome.result.map(|r| r.text).ok().as_deref(),
            Some("from the journal")
        );
        assert_eq!(model.sent.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn recent_replies_are_bounded() {
        let d = dispatcher(Arc::new(Slow {
            delay: Duration::ZERO,
            sent: AtomicUsize::new(0),
        }));
        if let Ok(mut recent) = d.recent.lock() {
            for i in 0..RECENT * 2 {
                recent.put(i.to_string(), Response::default());
            }
            assert_eq!(recent.len(), RECENT);
        }
    }
}
