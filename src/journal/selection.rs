//! `selection.json`: which items the run directory's last session selected, and the
//! fingerprint of their data (BLAKE3 over each selected item's id and gold answers, in id
//! order; not file names or times). The journal keeps every item ever answered in the
//! directory, so after `--limit 3` then `--sample 4` it holds more items than the last
//! session chose; the reader shows exactly the selected ones, and says so.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file's name inside a run directory.
pub const SELECTION: &str = "selection.json";

/// The items of the last session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// BLAKE3 (hex, 32 characters) over the selected items' ids and gold answers.
    pub fingerprint: String,
    /// The selected item ids, in id order.
    pub ids: Vec<String>,
}

impl Selection {
    /// The selection of `items` (id, gold answers, choice texts), in any order.
    pub fn of<'a>(items: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Selection {
        let mut items: Vec<(&str, Vec<&str>)> = items.into_iter().collect();
        items.sort_by(|a, b| a.0.cmp(b.0));
        let mut h = blake3::Hasher::new();
        for (id, gold) in &items {
            h.update(&(id.len() as u64).to_le_bytes());
            h.update(id.as_bytes());
            h.update(&(gold.len() as u64).to_le_bytes());
            for g in gold {
                h.update(&(g.len() as u64).to_le_bytes());
                h.update(g.as_bytes());
            }
        }
        Selection {
            fingerprint: h.finalize().to_hex()[..32].to_string(),
            ids: items.into_iter().map(|(id, _)| id.to_string()).collect(),
        }
    }

    pub fn id_set(&self) -> HashSet<String> {
        self.ids.iter().cloned().collect()
    }

    /// Reads a directory's selection: None when absent (directories written before it
    /// existed) or unreadable (then every journaled item is shown, as before).
    pub fn read(dir: &Path) -> Option<Selection> {
        let bytes = std::fs::read(dir.join(SELECTION)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        super::write_atomic(&dir.join(SELECTION), &serde_json::to_vec(self)?)
    }
}
