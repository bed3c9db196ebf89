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

use image::DynamicImage;

use crate::adapter::{CallError, EncodedImage};

pub use crate::paths::cache_dir;

/// Resolves a path written in a model card:
/// - a leading `~` is the home directory;
/// - a leading `$EVALKIT_CACHE` or `${EVALKIT_CACHE}` is evalkit's cache ([`cache_dir`]),
///   whether or not the variable is set;
/// - any other relative path is relative to the folder of the card (`card_path`), or, for
///   a card shipped inside evalkit (`<shipped>/adapters/NAME.toml`, which has no folder on
///   disk), to evalkit's cache.
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
    if crate::card::shipped::is_shipped(card_path) {
        return cache_dir().join(path);
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

/// Decodes a request's image for a local model; `which` names it in errors ("the image",
/// "image 2 of 3"). Bad base64 or bytes that do not decode are permanent errors.
pub fn decode_image(image: &EncodedImage, which: &str) -> Result<DynamicImage, CallError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(image.base64())
        .map_err(|e| CallError::permanent(format!("{which} is not valid base64: {e}")))?;
    image::load_from_memory(&bytes).map_err(|e| {
        CallError::permanent(format!(
            "{which} ({}, {} bytes) does not decode: {e}",
            image
                .prefix()
                .trim_end_matches(";base64,")
                .trim_start_matches("data:"),
            bytes.len()
        ))
    })
}

/// A model file as fingerprints name it: file name, size and the start of its BLAKE3 hash.
pub fn describe_file(path: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(format!(
        "{} ({} bytes, blake3 {})",
        path.file_name().unwrap_or_default().to_string_lossy(),
        bytes.len(),
        &blake3::hash(&bytes).to_hex()[..16]
    ))
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
        // A shipped card has no folder on disk: its relative paths are in the cache.
        let shipped = Path::new("<shipped>/adapters/ppocr.toml");
        assert_eq!(
            resolve_card_path(Path::new("models/x"), shipped),
            cache_dir().join("models/x")
        );
        assert_eq!(
            resolve_card_path(Path::new("/abs/x"), shipped),
            PathBuf::from("/abs/x")
        );
        // Only whole components are expanded.
        assert_eq!(
            resolve_card_path(Path::new("~m"), card),
            PathBuf::from("/cards/adapters/~m")
        );
    }
}
