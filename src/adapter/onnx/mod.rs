//! Local models run in process through ONNX Runtime: [`runtime`] finds and loads the
//! shared library once per process and builds sessions; [`ocr`] is PP-OCR (detection,
//! angle classification, recognition) as a [`Model`](super::Model).
//!
//! Nothing here downloads anything: `scripts/setup.sh` installs the library and the models
//! into evalkit's cache (`$EVALKIT_CACHE`, default `~/.cache/evalkit`), and every error about
//! a missing file says so.

pub mod image2text;
pub mod ocr;
pub mod runtime;

use std::path::{Path, PathBuf};

/// evalkit's cache: `$EVALKIT_CACHE` when set and not empty, else `~/.cache/evalkit`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("EVALKIT_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::home_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".cache")
            .join("evalkit"),
    }
}

/// Resolves a path written in a model card:
/// - a leading `~` is the home directory;
/// - a leading `$EVALKIT_CACHE` or `${EVALKIT_CACHE}` is evalkit's cache ([`cache_dir`]),
///   whether or not the variable is set;
/// - any other relative path is relative to the folder of the card (`card_path`).
pub fn resolve_card_path(path: &Path, card_path: &Path) -> PathBuf {
    let text = path.to_string_lossy();
    let rest = |prefix: &str| {
        text.strip_prefix(prefix)
            .filter(|r| r.is_empty() || r.starts_with('/'))
            .map(|r| r.trim_start_matches('/').to_string())
    };
    if let Some(r) = rest("~") {
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
        return join_rest(home, &r);
    }
    for prefix in ["${EVALKIT_CACHE}", "$EVALKIT_CACHE"] {
        if let Some(r) = rest(prefix) {
            return join_rest(cache_dir(), &r);
        }
    }
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let base = card_path.parent().unwrap_or(Path::new("."));
    base.join(path)
}

fn join_rest(base: PathBuf, rest: &str) -> PathBuf {
    if rest.is_empty() {
        base
    } else {
        base.join(rest)
    }
}

/// The hint every "file not found" error ends with.
pub const SETUP_HINT: &str = "run `bash scripts/setup.sh` to install ONNX Runtime and the PP-OCR models into evalkit's cache";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_paths_resolve() {
        let card = Path::new("/cards/adapters/ppocr.toml");
        assert_eq!(
            resolve_card_path(Path::new("models/x"), card),
            PathBuf::from("/cards/adapters/models/x")
        );
        assert_eq!(
            resolve_card_path(Path::new("/abs/x"), card),
            PathBuf::from("/abs/x")
        );
        assert_eq!(
            resolve_card_path(Path::new("$EVALKIT_CACHE/models/ppocr"), card),
            cache_dir().join("models/ppocr")
        );
        assert_eq!(
            resolve_card_path(Path::new("${EVALKIT_CACHE}"), card),
            cache_dir()
        );
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
        assert_eq!(resolve_card_path(Path::new("~/m"), card), home.join("m"));
        // Only whole components are expanded.
        assert_eq!(
            resolve_card_path(Path::new("~m"), card),
            PathBuf::from("/cards/adapters/~m")
        );
    }
}
