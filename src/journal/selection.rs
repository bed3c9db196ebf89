//! `selection.json`: which items the run directory's last session selected, and the
//! fingerprint of their data (the sum of a BLAKE3 digest of each selected item's id and
//! gold answers: the same whatever order the items came in; not file names or times).
//! While a run reads its data the selection is kept compactly ([`Chosen`]: the ids in one
//! buffer, a table of 64-bit keys), so a million items cost tens of megabytes. The journal keeps every item ever answered in the
//! directory, so after `--limit 3` then `--sample 4` it holds more items than the last
//! session chose; the reader shows exactly the selected ones, and says so.

use std::collections::HashSet;
use std::io::Write;
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

/// The items a session selects, in the order read.
#[derive(Default)]
pub struct Chosen {
    /// id key -> the id's index
    keys: super::index::KeyMap<u64>,
    /// Every id, one after another; `ends[i]` is where id i ends.
    ids: String,
    ends: Vec<usize>,
    /// Ids whose key another id already had (a 64-bit hash collision): kept whole, with
    /// their index.
    collided: std::collections::HashMap<String, u64>,
    /// Sum of the items' digests (see the module doc).
    digest: u128,
}

impl Chosen {
    /// Adds an item with its gold data; false when its id was already chosen.
    pub fn insert(&mut self, id: &str, gold: &[String]) -> bool {
        let key = super::index::id_key(id);
        match self.keys.get(&key) {
            Some(&i) if self.id(i as usize) == id => return false,
            Some(_) => {
                if self.collided.contains_key(id) {
                    return false;
                }
                self.collided.insert(id.to_string(), self.ends.len() as u64);
            }
            None => {
                self.keys.insert(key, self.ends.len() as u64);
            }
        }
        self.ids.push_str(id);
        self.ends.push(self.ids.len());
        let mut h = blake3::Hasher::new();
        h.update(&(id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
        h.update(&(gold.len() as u64).to_le_bytes());
        for g in gold {
            h.update(&(g.len() as u64).to_le_bytes());
            h.update(g.as_bytes());
        }
        let mut first = [0u8; 16];
        first.copy_from_slice(&h.finalize().as_bytes()[..16]);
        self.digest = self.digest.wrapping_add(u128::from_le_bytes(first));
        true
    }

    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.ids[start..self.ends[i]]
    }

    pub fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    /// The place of `id` in the order the items were chosen (`0..len()`).
    pub fn position(&self, id: &str) -> Option<usize> {
        match self.keys.get(&super::index::id_key(id)) {
            Some(&i) if self.id(i as usize) == id => Some(i as usize),
            _ => self.collided.get(id).map(|&i| i as usize),
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The data fingerprint: 32 hex digits over the number of items and their digests.
    pub fn fingerprint(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(&(self.len() as u64).to_le_bytes());
        h.update(&self.digest.to_le_bytes());
        h.finalize().to_hex()[..32].to_string()
    }

    /// Writes `selection.json` (ids in id order) without building it in memory first.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.id(a as usize).cmp(self.id(b as usize)));
        let path = dir.join(SELECTION);
        let tmp = path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            write!(
                out,
                "{{\"fingerprint\":\"{}\",\"ids\":[",
                self.fingerprint()
            )?;
            for (n, &i) in order.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut out, self.id(i as usize))?;
            }
            out.write_all(b"]}")?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        write().map_err(|e| {
            anyhow::anyhow!(
                "cannot write {} (disk full or read-only?): {e}",
                tmp.display()
            )
        })?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_skips_repeats_and_fingerprints_any_order() {
        let gold = |g: &str| vec![g.to_string()];
        let mut a = Chosen::default();
        assert!(a.insert("x", &gold("1")));
        assert!(a.insert("y", &gold("2")));
        assert!(!a.insert("x", &gold("1")));
        assert!(a.contains("x") && a.contains("y") && !a.contains("z"));
        assert_eq!(a.len(), 2);
        let mut b = Chosen::default();
        b.insert("y", &gold("2"));
        b.insert("x", &gold("1"));
        assert_eq!(a.fingerprint(), b.fingerprint());
        let mut c = Chosen::default();
        c.insert("y", &gold("2"));
        c.insert("x", &gold("one"));
        assert_ne!(a.fingerprint(), c.fingerprint());

        assert_eq!(
            (a.position("x"), a.position("y"), a.position("z")),
            (Some(0), Some(1), None)
        );

        // An id whose 64-bit key another id holds is kept whole, with its own place.
        let mut d = Chosen::default();
        d.insert("x", &gold("1"));
        d.keys.insert(super::super::index::id_key("clash"), 0);
        assert!(d.insert("clash", &gold("2")));
        assert!(!d.insert("clash", &gold("2")));
        assert_eq!((d.position("x"), d.position("clash")), (Some(0), Some(1)));
        assert_eq!(d.len(), 2);

        let dir = tempfile::tempdir().unwrap();
        b.write(dir.path()).unwrap();
        let read = Selection::read(dir.path()).unwrap();
        assert_eq!(read.ids, vec!["x", "y"]);
        assert_eq!(read.fingerprint, a.fingerprint());
    }
}
