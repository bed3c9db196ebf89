//! Reports: the run summary (`summary.json`) and its renderings. Following hyperfine's
//! export design, each output format is one [`Exporter`] that turns a [`Summary`] into
//! bytes; the caller owns the files.

pub mod ablation;
pub mod cost;
pub mod decouple;
pub mod json;
pub mod markdown;
pub mod rebuild;
pub mod summary;
pub mod terminal;

pub use summary::Summary;

/// Turns a summary into one output format.
pub trait Exporter {
    fn serialize(&self, summary: &Summary) -> anyhow::Result<Vec<u8>>;
}
