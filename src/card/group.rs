//! Suite groups: a card in `datasets/` that names other suites (`suites = [...]`) instead of
//! data, so one command runs a paper's evaluation grid (`prism-grid`, `llava-cot-grid`).
//! Each member is an ordinary suite card, run as an ordinary run directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{field_error, parse_toml, read_card};

/// A parsed group card.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCard {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Member suites: card names or paths, run in this order.
    pub suites: Vec<String>,
    #[serde(skip)]
    pub path: PathBuf,
}

impl GroupCard {
    /// True when the card at `path` names a group (a top-level `suites` key).
    pub fn is_group(path: &Path) -> bool {
        read_card(path)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .is_some_and(|table| table.contains_key("suites"))
    }

    /// Reads and checks a group card.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut card: GroupCard = parse_toml(path)?;
        card.path = path.to_path_buf();
        if card.name.is_empty() {
            card.name = super::model::stem(path);
        }
        if card.suites.is_empty() {
            return Err(field_error(
                path,
                "suites",
                "must list at least one suite card",
                "[]",
            ));
        }
        // Relative card paths are relative to the group card's folder.
        let folder = path.parent().unwrap_or(Path::new("."));
        for suite in &mut card.suites {
            let looks_like_path = suite.ends_with(".toml") || suite.contains('/');
            if looks_like_path && Path::new(suite.as_str()).is_relative() && folder.exists() {
                *suite = folder.join(&*suite).display().to_string();
            }
        }
        Ok(card)
    }
}
