//! Report formats, after hyperfine's `src/export/`: each format is one file with one
//! [`Exporter`] that turns its whole input (a slice of run summaries unless said
//! otherwise) into bytes, and [`ExportManager`] alone writes them out (to standard output
//! or, atomically, to files). A new format is one file here plus one [`Format`] variant.
//! The item export ([`items`]) is the exception: it streams runs of any size through
//! polars' batched writers instead of building its bytes in memory.

pub mod csv;
pub mod items;
pub mod json;
pub mod manager;
pub mod markdown;
pub mod overview;
pub mod terminal;

pub use manager::{ExportManager, Target};

use crate::journal::Summary;

/// Turns a report's input into one output format. The input is a slice of run summaries
/// unless said otherwise; one run gives that run's full tables, several give one table
/// with a row per run and metric.
pub trait Exporter<Input: ?Sized = [Summary]> {
    fn serialize(&self, input: &Input) -> anyhow::Result<Vec<u8>>;
}

/// The formats of `evalkit report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Score tables for a terminal.
    Table,
    /// `summary.json`'s form: the summary object for one run, an array of them for several.
    Json,
    /// Markdown tables, for CI job summaries and pull requests.
    Markdown,
    /// One row per run, breakdown category and metric (long form, for spreadsheets and
    /// dataframes).
    Csv,
}

impl Format {
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Format::Table => Box::new(terminal::TerminalExporter),
            Format::Json => Box::new(json::JsonExporter),
            Format::Markdown => Box::new(markdown::MarkdownExporter),
            Format::Csv => Box::new(csv::CsvExporter),
        }
    }

    /// The file name extension of this format's files.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Csv => "csv",
        }
    }
}
