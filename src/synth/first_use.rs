//! The bundled default suite is generated on request: when a suite card of the synthetic
//! benchmark reads the default seed-0 location and nothing is there yet, the suite is
//! written there before the run opens its data. A suite already there (of any size) is
//! used as is, and other locations keep their "no data found" message.

use std::path::{Path, PathBuf};

use crate::card::suite::SuiteCard;

/// Generates the default synthetic suite if `card` reads it and it is missing; returns
/// where it was written.
pub fn ensure_default(
    card: &SuiteCard,
    data_override: Option<&Path>,
) -> anyhow::Result<Option<PathBuf>> {
    let default = super::default_dir(0);
    let reads_default = card
        .sources
        .iter()
        .any(|s| crate::paths::data_dir().join(&s.path) == default);
    if card.benchmark != crate::card::suite::Benchmark::Synthchart
        || data_override.is_some()
        || !reads_default
        || default.exists()
    {
        return Ok(None);
    }
    Ok(super::ensure(0, super::DEFAULT_CHARTS, &default)?.then_some(default))
}
