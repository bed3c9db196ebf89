//! Strategies turn an item into model calls and a final answer text. A strategy reaches
//! models only through its [`Calls`] (the run's models by role), so every call is
//! rate-limited, retried, cached by request hash and journaled with its role, however many
//! calls a strategy makes. Strategies are built from a parsed [`StrategySpec`].

pub mod best_of_n;
pub mod calls;
pub mod cot;
pub mod decoupled;
pub mod direct;
pub mod encode;
pub mod knockout;
pub mod pot;
pub mod prompt;
pub mod reasoning;
pub mod sample;
pub mod self_consistency;
pub mod spec;
pub mod stage_beam;
pub mod stages;

use futures::future::BoxFuture;

pub use calls::{Call, CallContext, CallRole, CallSink, Calls};
pub use spec::StrategySpec;

use crate::suite::Item;

/// A strategy's final answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The text to score.
    pub text: String,
    /// Whether the reply followed the format the strategy asked for (a final-answer line,
    /// LLaVA-CoT's four stages); `None` when the strategy asks for no format.
    pub format_followed: Option<bool>,
    /// How a multi-call strategy chose its answer (votes, knockout rounds), journaled with
    /// the item.
    pub trace: Option<serde_json::Value>,
}

impl From<String> for Answer {
    fn from(text: String) -> Self {
        Answer {
            text,
            format_followed: None,
            trace: None,
        }
    }
}

/// What a strategy produced for one item.
#[derive(Debug)]
pub struct Outcome {
    /// The final answer to score, when every needed call succeeded.
    pub answer: Result<Answer, String>,
    /// Every call made, in order, with its role.
    pub calls: Vec<Call>,
}

impl Outcome {
    /// True when the strategy stopped because the run was cancelled.
    pub fn cancelled(&self) -> bool {
        self.calls.iter().any(|c| c.outcome.cancelled)
    }
}

/// A way of answering an item with one or more model calls.
pub trait Strategy: Send + Sync {
    /// Names the strategy and its settings; part of the run id.
    fn id(&self) -> String;
    /// True when an item makes several calls whose results should be journaled as each
    /// lands (samples, beam candidates), not only with the item's record.
    fn streams_calls(&self) -> bool {
        false
    }
    /// Answers one item; the calls it makes are logged in `calls`.
    fn run<'a>(&'a self, item: &'a Item, calls: &'a Calls)
    -> BoxFuture<'a, Result<Answer, String>>;
}
