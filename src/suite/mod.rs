//! Loading items: one file per on-disk format ([`tsv`], [`parquet`], official JSON in the
//! benchmark's own file) and one file per benchmark's mapping of rows into [`Item`]s.
//!
//! [`open`] is the one entry point: given a resolved data location and its format it returns
//! a lazy [`ItemStream`], read by the one generic [`reader`] through the benchmark's
//! [`reader::Mapping`]. Problems with the whole source (a missing file, an unreadable
//! header) are errors; problems with one row are [`InvalidRow`]s in the stream.

pub mod ai2d;
pub mod arrow_disk;
pub mod chartbench;
pub mod chartqa;
pub mod charxiv;
pub mod charxiv_templates;
pub mod custom;
pub mod figureqa;
pub mod hallusionbench;
pub mod item;
pub mod json_list;
pub mod jsonl;
pub mod locate;
pub mod mathvista;
pub mod mmbench;
pub mod mmmu;
pub mod mmstar;
pub mod mmvet;
pub mod parquet;
pub mod plotqa;
pub mod reachqa;
pub mod reader;
pub mod row;
pub mod select;
pub mod shard;
pub mod synthchart;
#[cfg(test)]
pub(crate) mod testing;
pub mod tsv;

use std::path::PathBuf;

pub use crate::card::suite::{Benchmark, Format, Unit};
pub use item::{Choice, ImageData, InvalidRow, Item, ItemStream, LoadResult};

/// A data location after resolution: a concrete path and its format, and how the suite card
/// reads it (one item per question, or per chart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSource {
    pub format: Format,
    pub path: PathBuf,
    pub unit: Unit,
    /// Give every item a `chart` field naming the chart it asks about (the suite card's
    /// `cluster = "chart"`), so the summary can cluster answers by chart.
    pub chart_field: bool,
    /// A custom suite's columns (the suite card's `[columns]`).
    pub columns: Option<crate::card::suite::Columns>,
}

/// Opens a resolved source as a lazy stream of items for `benchmark`: the benchmark's
/// [`reader::Mapping`] read through the one generic [`reader`].
pub fn open(benchmark: Benchmark, source: &ResolvedSource) -> anyhow::Result<ItemStream> {
    use reader::open as read;
    match benchmark {
        Benchmark::Chartqa => read::<chartqa::ChartQa>(source),
        Benchmark::Plotqa => read::<plotqa::PlotQa>(source),
        Benchmark::Figureqa => read::<figureqa::FigureQa>(source),
        Benchmark::Mmstar => read::<mmstar::MmStar>(source),
        Benchmark::Mathvista => read::<mathvista::MathVista>(source),
        Benchmark::Ai2d => read::<ai2d::Ai2d>(source),
        Benchmark::Charxiv => read::<charxiv::CharXiv>(source),
        Benchmark::Chartbench => read::<chartbench::ChartBench>(source),
        Benchmark::Reachqa => read::<reachqa::ReachQa>(source),
        Benchmark::Hallusionbench => read::<hallusionbench::HallusionBench>(source),
        Benchmark::Synthchart => read::<synthchart::SynthChart>(source),
        Benchmark::Mmmu => read::<mmmu::Mmmu>(source),
        Benchmark::Mmbench => read::<mmbench::MmBench>(source),
        Benchmark::MmbenchCircular => read::<mmbench::MmBenchCircular>(source),
        Benchmark::Mmvet => read::<mmvet::MmVet>(source),
        Benchmark::Custom => read::<custom::Custom>(source),
    }
}
