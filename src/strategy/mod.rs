//! Strategies turn an item into model calls and a final answer text. Every call goes
//! through the [`Dispatcher`](crate::schedule::Dispatcher), so each one is rate-limited,
//! retried, cached by request hash and journaled, however many calls a strategy makes.

pub mod decoupled;
pub mod direct;
pub mod encode;
pub mod prompt;
pub mod table;

use futures::future::BoxFuture;

use crate::schedule::{CallOutcome, Dispatcher};
use crate::suite::Item;

/// What a strategy produced for one item.
#[derive(Debug)]
pub struct Outcome {
    /// The final answer text to score, when every needed call succeeded.
    pub answer: Result<String, String>,
    /// Every call made, in order.
    pub calls: Vec<CallOutcome>,
}

impl Outcome {
    /// True when the strategy stopped because the run was cancelled.
    pub fn cancelled(&self) -> bool {
        self.calls.iter().any(|c| c.cancelled)
    }
}

/// A way of answering an item with one or more model calls.
pub trait Strategy: Send + Sync {
    /// Names the strategy and its settings; part of the run id.
    fn id(&self) -> String;
    /// Answers one item.
    fn run<'a>(&'a self, item: &'a Item, dispatcher: &'a Dispatcher) -> BoxFuture<'a, Outcome>;
}
