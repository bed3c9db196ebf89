//! Test support for the benchmark mappings: where a benchmark's fixtures are, and loading
//! one through a mapping's `open` (panicking with the path on a whole-source error).

use std::path::{Path, PathBuf};

use super::{Format, Item, ItemStream, LoadResult, ResolvedSource, Unit};

/// A mapping's entry point.
pub type Open = fn(&ResolvedSource) -> anyhow::Result<ItemStream>;

/// `tests/fixtures/<bench>`.
pub fn fixtures(bench: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(bench)
}

/// Every row of a fixture, good or bad.
pub fn load(open: Open, format: Format, path: PathBuf) -> Vec<LoadResult> {
    let source = ResolvedSource {
        format,
        path,
        unit: Unit::Question,
        chart_field: false,
        columns: None,
    };
    open(&source)
        .unwrap_or_else(|e| panic!("{}: {e:#}", source.path.display()))
        .collect()
}

/// The items of a fixture whose rows must all be good.
pub fn ok_items(open: Open, format: Format, path: PathBuf) -> Vec<Item> {
    load(open, format, path.clone())
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("{}: {e:?}", path.display())))
        .collect()
}
