//! Strategies turn an item into model calls and a final answer text. A strategy reaches
//! models only through its [`Calls`] (the run's models by role), so every call is
//! rate-limited, retried, cached by request hash and journaled with its role, however many
//! calls a strategy makes. Strategies are built from a parsed [`StrategySpec`].

pub mod calls;
pub mod decoupled;
pub mod direct;
pub mod encode;
pub mod pot;
pub mod prompt;
pub mod spec;

use futures::future::BoxFuture;

pub use calls::{Call, CallContext, CallRole, Calls};
pub use spec::StrategySpec;

use crate::suite::Item;

/// What a strategy produced for one item.
#[derive(Debug)]
pub struct Outcome {
    /// The final answer text to score, when every needed call succeeded.
    pub answer: Result<String, String>,
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
    /// Answers one item; the calls it makes are logged in `calls`.
    fn run<'a>(&'a self, item: &'a Item, calls: &'a Calls)
    -> BoxFuture<'a, Result<String, String>>;
}
