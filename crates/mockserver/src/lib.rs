//! A deterministic, fault-injecting OpenAI-compatible chat-completions server for
//! evalkit's integration tests and benchmarks.
//!
//! ```no_run
//! use std::time::Duration;
//! use mockserver::{AnswerMode, Fault, FaultRule, MockConfig, MockServer, When};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = MockServer::start(MockConfig {
//!     latency: Duration::from_millis(20),
//!     answers: AnswerMode::Rules {
//!         rules: vec![("capital of France".into(), "Paris".into())],
//!         default: "I don't know".into(),
//!     },
//!     faults: vec![FaultRule::new(Fault::RateLimit { retry_after: Some(1) }, When::FirstAttempts(1))],
//!     api_key: Some("sk-test".into()),
//!     ..MockConfig::default()
//! })
//! .await?;
//! let base = server.base_url(); // "http://127.0.0.1:PORT/v1"
//! // ... point the client at `base`, then inspect what the server saw:
//! let stats = server.stats();
//! println!("{} requests, {} faults, max {} in flight", stats.requests, stats.faults_injected, stats.max_in_flight);
//! drop(server); // stops the server
//! # Ok(()) }
//! ```
//!
//! Routes: `POST /v1/chat/completions` (OpenAI request shape, `stream` supported as SSE),
//! `GET /v1/models` (OpenAI list format, 401 on a wrong key) and `GET /stats` (the
//! [`Stats`] snapshot as JSON, no key needed). The server binds `127.0.0.1` only and
//! stops when the [`MockServer`] is dropped.
//!
//! A chat request is handled in this order: count it; if the server has a
//! [`MockConfig::capacity`] and that many requests are being handled, read the body and
//! answer 429 or 503 at once (counted in [`Stats::over_capacity`]); take its global
//! request number (0 based in arrival order), read the body (HTTP 413 past [`MAX_BODY_BYTES`]), check the
//! API key (401), parse and validate (400), reject list content if configured (500), wait
//! until [`MockConfig::latency`] after the request arrived, consult the [`FaultRule`]s in
//! order, and answer.
//! The request key used by [`AnswerMode`] (but [`AnswerMode::BodyRules`], which look in the
//! raw body), [`When::FirstAttempts`], [`When::Matching`]
//! and [`Stats::answered`] is the text of the last user message (for list content, its
//! text parts joined with `"\n"`; `""` if there is no user message).
//!
//! The server speaks HTTP/1.1 (keep-alive) and runs on its own two-to-four-thread Tokio
//! runtime in a background thread; handlers hold no lock across an `.await`, so its cost
//! per request is tens of microseconds in a release build (parsing a 33 KB body takes
//! about 0.4 ms in an unoptimised debug build).
//!
//! Usage counts: `prompt_tokens` = text characters of all messages / 4 + 85 per image
//! part, `completion_tokens` = answer characters / 4, each at least 1.

mod config;
mod faults;
mod handlers;
mod request;
mod responses;
mod sampling;
mod server;
mod stats;

pub use config::{AnswerMode, Capacity, MockConfig};
pub use faults::{Fault, FaultRule, When};
pub use handlers::MAX_BODY_BYTES;
pub use sampling::ALTERNATIVES;
pub use server::MockServer;
pub use stats::{RECENT_BODIES, Stats};
