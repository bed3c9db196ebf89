//! Loading items: one file per on-disk format ([`tsv`], [`parquet`], official JSON in the
//! benchmark's own file) and one file per benchmark's mapping of rows into [`Item`]s.
//!
//! [`open`] is the one entry point: given a resolved data location and its format it returns
//! a lazy [`ItemStream`]. Problems with the whole source (a missing file, an unreadable
//! header) are errors; problems with one row are [`InvalidRow`]s in the stream.

pub mod ai2d;
pub mod chartbench;
pub mod chartqa;
pub mod charxiv;
pub mod charxiv_templates;
pub mod figureqa;
pub mod hallusionbench;
pub mod item;
pub mod locate;
pub mod mathvista;
pub mod mmstar;
pub mod parquet;
pub mod plotqa;
pub mod reachqa;
pub mod row;
pub mod select;
pub mod synthchart;
#[cfg(test)]
pub(crate) mod testing;
pub mod tsv;

use std::path::PathBuf;

pub use crate::card::suite::{Benchmark, Format};
pub use item::{Choice, ImageData, InvalidRow, Item, ItemStream, LoadResult};

/// A data location after resolution: a concrete path and its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSource {
    pub format: Format,
    pub path: PathBuf,
}

/// Opens a resolved source as a lazy stream of items for `benchmark`.
pub fn open(benchmark: Benchmark, source: &ResolvedSource) -> anyhow::Result<ItemStream> {
    match benchmark {
        Benchmark::Chartqa => chartqa::open(source),
        Benchmark::Plotqa => plotqa::open(source),
        Benchmark::Figureqa => figureqa::open(source),
        Benchmark::Mmstar => mmstar::open(source),
        Benchmark::Mathvista => mathvista::open(source),
        Benchmark::Ai2d => ai2d::open(source),
        Benchmark::Charxiv => charxiv::open(source),
        Benchmark::Chartbench => chartbench::open(source),
        Benchmark::Reachqa => reachqa::open(source),
        Benchmark::Hallusionbench => hallusionbench::open(source),
        Benchmark::Synthchart => synthchart::open(source),
    }
}
