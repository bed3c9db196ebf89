//! `summary.json`'s data: scores per split and breakdown, counts of items by outcome,
//! request totals and times. A data type of the run directory, so it lives beside the
//! manifest and the records: the reader ([`super::reader`]) returns it, the run loop and
//! `evalkit report` write it, and reports build one from records (`report::summary`).
//! Its schema is documented in the README for CI and other tools.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::adapter::endpoints::EndpointStats;
pub use crate::schedule::adaptive::ConcurrencyReached;
use crate::score::aggregate::Breakdown;
use crate::score::protocol::ProtocolName;
use crate::score::protocol::tally::ProtocolFigure;

/// Items by outcome.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Rows read: valid items selected plus invalid rows.
    pub total: u64,
    pub answered: u64,
    pub failed: u64,
    /// Rows that could not be read (see `invalid.jsonl`).
    pub invalid: u64,
    /// Answered, but no answer could be extracted (counted wrong).
    pub unparsed: u64,
    /// Read but not finished (an interrupted run; rows never reached are not counted).
    pub pending: u64,
    /// Answered, but the reply stopped at the token limit or its reasoning never closed:
    /// scored wrong, never read as an (empty) answer. Included in `answered`.
    #[serde(default)]
    pub truncated: u64,
}

/// How answers were decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecidedBy {
    pub rule: u64,
    pub judge: u64,
    pub unparsed: u64,
}

/// Request totals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Attempts sent to the model during the session(s) reported.
    pub sent: u64,
    pub retries: u64,
    /// Calls answered from the journal without a request.
    pub cache_hits: u64,
    pub failed_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Requests per second of wall time.
    pub per_second: f64,
    /// The same figures for each model the session called, keyed `ROLE NAME` (`answer vllm`,
    /// `perceive ppocr`, `judge gpt-4o`); the figures above are their sums.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_model: BTreeMap<String, ModelRequests>,
}

/// One model's requests in a session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelRequests {
    pub sent: u64,
    pub retries: u64,
    pub cache_hits: u64,
    pub failed_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Per replica, when the card lists several (`base_urls`): requests, errors, mean
    /// latency, breaker trips; URLs with passwords redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointStats>,
    /// Under `max_concurrency = "auto"`: the concurrency reached (final, max, mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<ConcurrencyReached>,
}

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema: String,
    pub evalkit_version: String,
    pub run_id: String,
    pub suite: String,
    pub model: String,
    pub strategy: String,
    pub scorer: String,
    /// The headline metric; the official figure.
    pub primary_metric: String,
    /// All metrics, headline first.
    pub metrics: Vec<String>,
    /// True when every selected item is answered or failed.
    pub complete: bool,
    /// Figures in percent: overall and per breakdown column.
    pub scores: Breakdown,
    pub counts: Counts,
    pub decided_by: DecidedBy,
    pub requests: Requests,
    pub wall_time_s: f64,
    /// Peak resident memory of the evalkit process in MiB (Linux; absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// What the items cost, by role, counted from the journal (every session).
    #[serde(default)]
    pub cost: Cost,
    /// Why items failed: the most common reasons first, with their counts (absent when
    /// no item failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureReason>,
    /// The judge model card's name, when a judge decided unresolved answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// The protocol whose prompt side the run used (`evalkit run --protocol`).
    #[serde(default)]
    pub protocol: ProtocolName,
    /// Every protocol's figure from the same stored responses, by protocol name, each with
    /// the upstream version it follows (absent for benchmarks with only the official one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub protocols: BTreeMap<String, ProtocolFigure>,
    /// Warnings worth showing beside the scores (e.g. images left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Summary {
    pub const SCHEMA: &'static str = "evalkit.summary/1";
}

/// One reason items failed, and how many.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureReason {
    /// The last error, without its attempt count and the server's body
    /// (`HTTP 500 Internal Server Error`, `timed out after 120.0s`).
    pub reason: String,
    pub count: u64,
}

/// Calls of one role.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleCost {
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Reasoning tokens, where the server reports them (part of the completion tokens).
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Per item: calls, prompt and completion tokens.
    pub calls_per_item: f64,
    pub prompt_tokens_per_item: f64,
    pub completion_tokens_per_item: f64,
}

/// Cost of a run's items.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Items counted (answered and failed).
    pub items: u64,
    /// role -> cost; roles with no calls are left out.
    pub by_role: BTreeMap<String, RoleCost>,
    /// All roles together.
    pub total: RoleCost,
    /// Items whose reply followed the format their strategy asked for, of those asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_followed: Option<FormatFollowed>,
}

/// How often a strategy's format (final-answer line, LLaVA-CoT stages) was followed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormatFollowed {
    pub followed: u64,
    pub of: u64,
    /// In percent.
    pub rate: f64,
}

/// A strategy id (`decoupled|Agnostic|ppocr:onnx-ocr/1 det=...|{question}...`) shortened
/// for people: its `|` parts without the prompt template, each cut at its first `:` or
/// space (`decoupled · Agnostic · ppocr`).
pub fn strategy_label(id: &str) -> String {
    id.split('|')
        .filter(|p| !p.contains('{') && !p.is_empty())
        .map(|p| p.split([':', ' ']).next().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(" · ")
}
