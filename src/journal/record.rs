//! One line of `predictions.jsonl`: everything known about one item's outcome, including
//! its gold answers and breakdown fields, so summaries can be recomputed (and items
//! rescored) from the journal alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::adapter::Usage;
use crate::score::{Gold, How};
use crate::strategy::CallRole;

/// Whether an item has an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The model answered and the answer was scored.
    Answered,
    /// Every attempt failed (or the request could not be made); `error` says why.
    Failed,
}

/// One model call an item made (every call, also for single-call strategies).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Why the call was made; absent in journals written before roles were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<CallRole>,
    /// The model card's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    pub request_hash: String,
    /// The raw reply. Not repeated in the file when it is the record's `response`
    /// (`is_answer`); readers get it back either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// The reply is the record's `response`: stored once, in the record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_answer: bool,
    /// Reasoning the provider returned apart from the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    pub error: Option<String>,
    pub attempts: u32,
    pub latency_ms: Option<u64>,
    pub usage: Option<Usage>,
}

/// A judge model's decision on an answer the rules could not resolve.
pub use crate::score::decide::JudgeCall as JudgeRecord;

/// The outcome of one item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: String,
    /// Position in the source; reports list items in this order.
    pub order: u64,
    /// `file:row` the item came from.
    pub source: String,
    pub status: Status,
    /// Hash of the request(s) that produced this outcome (model fingerprint + content).
    pub request_hash: String,
    /// The raw response text.
    pub response: Option<String>,
    /// What the scorer extracted from the response. Left out of the file when it is the
    /// whole response (`extracted_is_response`); readers get it back either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extracted: Option<String>,
    /// The extracted answer is the response itself: stored once, as `response`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extracted_is_response: bool,
    /// Per-item metrics in [0, 1]; absent for failed items (which count as 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<BTreeMap<String, f64>>,
    pub how: Option<How>,
    pub latency_ms: Option<u64>,
    pub usage: Option<Usage>,
    /// Attempts sent for this outcome (0 when every call came from the cache).
    pub attempts: u32,
    /// The last error, for failed items.
    pub error: Option<String>,
    pub split: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub gold: Gold,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
    /// Whether the reply followed the format the strategy asked for (see
    /// `strategy::Answer`); absent when the strategy asks for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_followed: Option<bool>,
    /// How a multi-call strategy chose its answer (votes, knockout rounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<serde_json::Value>,
    /// Why the answer is cut short (`length`: the token limit; `reasoning_unclosed`: the
    /// thinking never ended). Such an item scores 0 and is not rescored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
    /// When the record was written (RFC 3339).
    pub at: String,
}

impl ItemRecord {
    /// The scorer's view of the item, as stored.
    pub fn gold(&self) -> Gold {
        Gold {
            fields: self.fields.clone(),
            ..self.gold.clone()
        }
    }

    /// Re-decides an answered item from its raw response through the one scoring path,
    /// with the judge's stored verdict in place of a judge call: no model is contacted,
    /// and what a judge decided stays decided.
    pub fn rescore(&mut self, scorer: &dyn crate::score::Scorer) {
        let (Status::Answered, Some(text), None) = (self.status, &self.response, &self.truncated)
        else {
            return;
        };
        let decision =
            crate::score::decide::decide_stored(scorer, &self.gold(), text, self.judge.as_ref());
        self.extracted = decision.score.extracted;
        self.extracted_is_response = false;
        self.metrics = Some(decision.score.metrics);
        self.how = Some(decision.score.how);
    }
}

impl ItemRecord {
    /// Stores each call's reply once: a call whose reply is the record's `response` keeps
    /// only `is_answer` (the journal would otherwise hold every answer twice).
    pub fn compact(&mut self) {
        let Some(response) = &self.response else {
            return;
        };
        // Only worth it for long answers: a short one stays readable in the line.
        if response.len() > 64 && self.extracted.as_ref() == Some(response) {
            self.extracted = None;
            self.extracted_is_response = true;
        }
        for call in &mut self.calls {
            if call.response.as_ref() == Some(response) {
                call.response = None;
                call.is_answer = true;
            }
        }
    }

    /// Undoes [`compact`](Self::compact) after reading.
    pub fn expand(&mut self) {
        if self.extracted_is_response && self.extracted.is_none() {
            self.extracted = self.response.clone();
        }
        for call in &mut self.calls {
            if call.is_answer && call.response.is_none() {
                call.response = self.response.clone();
            }
        }
    }
}
