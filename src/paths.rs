//! Where evalkit keeps things on disk: its cache, the data it reads, VLMEvalKit's data
//! directory. One definition of each, at the bottom of the crate (it depends on nothing in
//! it), so that the suite loaders, the synthetic suite, the request cache and the ONNX
//! adapters all agree, and agree with `scripts/*.sh` (`${EVALKIT_CACHE:-~/.cache/evalkit}`).

use std::path::PathBuf;

/// evalkit's cache: `$EVALKIT_CACHE` when set and not empty, else `~/.cache/evalkit`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("EVALKIT_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => home().join(".cache").join("evalkit"),
    }
}

/// Where suite cards' data lives by default: `$EVALKIT_DATA`, default `<cache>/data`
/// (`~/.cache/evalkit/data`).
pub fn data_dir() -> PathBuf {
    std::env::var_os("EVALKIT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("data"))
}

/// VLMEvalKit's data directory: `$LMUData`, default `~/LMUData`.
pub fn lmu_dir() -> PathBuf {
    std::env::var_os("LMUData")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join("LMUData"))
}

/// The home directory, or the working directory when there is none.
fn home() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}
