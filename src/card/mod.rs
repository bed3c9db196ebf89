//! Cards: the TOML files that describe a model (`adapters/*.toml`) or a suite
//! (`datasets/*.toml`), and how a name typed on the command line finds one.
//!
//! Parsing is strict (unknown fields are errors, so a typo never silently falls back to a
//! default) and every error names the card, the field and what was expected. A card is
//! read from a file or from the copies of `adapters/` and `datasets/` built into evalkit
//! ([`shipped`]); either way it is parsed from its text and named by a path.

pub mod concurrency;
pub mod find;
pub mod group;
pub mod kinds;
pub mod model;
pub mod shipped;
pub mod suite;

use std::borrow::Cow;
use std::path::Path;

/// The text of a card: a card shipped inside evalkit when `path` names one
/// (`<shipped>/adapters/NAME.toml`), else the file at `path`.
pub(crate) fn read_card(path: &Path) -> anyhow::Result<Cow<'static, str>> {
    if let Some(text) = shipped::text(path) {
        return Ok(Cow::Borrowed(text));
    }
    std::fs::read_to_string(path)
        .map(Cow::Owned)
        .map_err(|e| anyhow::anyhow!("cannot read card {}: {e}", path.display()))
}

/// Reads and parses a TOML card, turning `toml`'s error into one that names the file.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    parse_toml_str(&read_card(path)?, path)
}

/// Parses the text of a TOML card; `path` names it in errors.
pub(crate) fn parse_toml_str<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> anyhow::Result<T> {
    toml::from_str(text).map_err(|e| toml_error(&e, text, path))
}

/// `toml`'s error as one that names the card and the line.
pub(crate) fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> anyhow::Error {
    let location = e
        .span()
        .map(|span| located(text, span.start))
        .unwrap_or_default();
    anyhow::anyhow!("invalid card {}{location}: {}", path.display(), e.message())
}

/// ` (line N: `the line`)` for a byte offset into a card's text.
pub(crate) fn located(text: &str, offset: usize) -> String {
    let start = offset.min(text.len());
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let content = text.lines().nth(line - 1).unwrap_or("").trim();
    format!(" (line {line}: `{content}`)")
}

/// An error about one field of a card.
pub(crate) fn field_error(
    path: &Path,
    field: &str,
    expected: &str,
    got: impl std::fmt::Display,
) -> anyhow::Error {
    anyhow::anyhow!(
        "invalid card {}: field `{field}` {expected}, got {got}",
        path.display()
    )
}

/// One line describing a card for `evalkit list` (or why it does not load).
pub fn describe(kind: find::CardKind, path: &Path) -> String {
    match kind {
        find::CardKind::Model => match model::ModelCard::load(path) {
            Ok(c) => format!("{} ({})", c.adapter.summary(), c.description),
            Err(e) => format!("INVALID: {e}"),
        },
        find::CardKind::Suite if group::GroupCard::is_group(path) => {
            match group::GroupCard::load(path) {
                Ok(g) => format!("group of {}; {}", g.suites.join(", "), g.description),
                Err(e) => format!("INVALID: {e}"),
            }
        }
        find::CardKind::Suite => match suite::SuiteCard::load(path) {
            Ok(c) => format!("scorer {}; {}", c.scorer, c.description),
            Err(e) => format!("INVALID: {e}"),
        },
    }
}
