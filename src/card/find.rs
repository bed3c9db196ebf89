//! Finding cards by name. First match wins, in this order: the folders in
//! `$EVALKIT_CARDS` (colon-separated; their `adapters/` and `datasets/`), `./adapters` and
//! `./datasets`, the user's `~/.config/evalkit/`, and last the cards shipped inside evalkit
//! ([`super::shipped`]), so a user's card overrides a shipped card of the same name and
//! an installed binary still finds the shipped ones from any directory.

use std::path::{Path, PathBuf};

use super::shipped;

/// Which kind of card to look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardKind {
    Model,
    Suite,
}

impl CardKind {
    /// The folder cards of this kind live in (`adapters` or `datasets`).
    pub fn folder(self) -> &'static str {
        match self {
            CardKind::Model => "adapters",
            CardKind::Suite => "datasets",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            CardKind::Model => "model",
            CardKind::Suite => "suite",
        }
    }
}

/// The folders searched for card files of `kind`, first match wins; the shipped cards
/// come after all of them.
pub fn search_dirs(kind: CardKind) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(extra) = std::env::var_os("EVALKIT_CARDS") {
        for dir in std::env::split_paths(&extra) {
            dirs.push(dir.join(kind.folder()));
        }
    }
    dirs.push(PathBuf::from(kind.folder()));
    if let Some(config) = dirs::config_dir() {
        dirs.push(config.join("evalkit").join(kind.folder()));
    }
    dirs
}

/// Every card of `kind` found, as (name, path), sorted by name; a name shadowed by an
/// earlier folder is listed once. Shipped cards have `<shipped>/...` paths.
pub fn list(kind: CardKind) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in search_dirs(kind) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.extension().is_some_and(|e| e == "toml") {
                let name = super::model::stem(&path);
                if !found.iter().any(|(n, _)| *n == name) {
                    found.push((name, path));
                }
            }
        }
    }
    for card in shipped::cards(kind) {
        if !found.iter().any(|(n, _)| *n == card.name) {
            found.push((card.name, card.path));
        }
    }
    found.sort();
    found
}

/// Resolves a name or a path typed by the user to a card: a file, or a shipped card's
/// `<shipped>/...` path (which [`super::model::ModelCard::load`] and
/// [`super::suite::SuiteCard::load`] read).
pub fn resolve(kind: CardKind, name_or_path: &str) -> anyhow::Result<PathBuf> {
    let as_path = Path::new(name_or_path);
    if name_or_path.ends_with(".toml") || name_or_path.contains(std::path::MAIN_SEPARATOR) {
        if as_path.is_file() || shipped::is_shipped(as_path) {
            return Ok(as_path.to_path_buf());
        }
        anyhow::bail!(
            "{} card file {} does not exist",
            kind.noun(),
            as_path.display()
        );
    }
    for dir in search_dirs(kind) {
        let candidate = dir.join(format!("{name_or_path}.toml"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    if let Some(card) = shipped::find(kind, name_or_path) {
        return Ok(card.path);
    }
    let names: Vec<String> = list(kind).into_iter().map(|(n, _)| n).collect();
    let looked: Vec<String> = search_dirs(kind)
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    anyhow::bail!(
        "unknown {} `{name_or_path}`; available: {}\n(looked in: {}, and the cards shipped inside evalkit; or pass a path to a .toml card)",
        kind.noun(),
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        },
        looked.join(", ")
    )
}
