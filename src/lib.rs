//! evalkit: evaluate vision-language models on chart and visual-math benchmarks.
//!
//! The flow is one-way: a suite card names where items come from ([`suite`]), a strategy
//! turns an item into model requests ([`strategy`]), the scheduler sends them through a
//! model adapter ([`schedule`], [`adapter`]), every outcome is appended to the run's journal
//! ([`journal`]), scorers decide each item ([`score`]) and reports summarise the run
//! ([`report`]). [`run`] wires the stages together for `evalkit run`.

pub mod adapter;
pub mod card;
pub mod journal;
pub mod paths;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod schedule;
pub mod score;
pub mod stats;
pub mod strategy;
pub mod suite;
pub mod synth;
pub mod template;
pub mod view;

/// The evalkit version recorded in manifests and mixed into run ids.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
