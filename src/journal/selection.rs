//! `selection.json`: which items the run directory's last session selected, and the
//! fingerprint of their data (the sum of a BLAKE3 digest of each selected item's id and
//! gold answers: the same whatever order the items came in; not file names or times).
//! While a run reads its data the selection is kept compactly ([`Chosen`]: the ids in one
//! buffer, a hash table of their indices), so a million items cost about 45 MB. The
//! journal keeps every item ever answered in the
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
    /// The index of every id, hashed by the id it points at (by [`id_key`], so equal keys
    /// of different ids are told apart by the ids themselves).
    ///
    /// [`id_key`]: super::index::id_key
    table: hashbrown::HashTable<u64>,
    /// Every id, one after another; `ends[i]` is where id i ends.
    ids: String,
    ends: Vec<usize>,
    /// Sum of the items' digests (see the module doc).
    digest: u128,
}

/// Id `i` of the ids laid out as in [`Chosen`].
fn id_at<'a>(ids: &'a str, ends: &[usize], i: u64) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &ids[start..ends[i]]
}

impl Chosen {
    /// Adds an item with its gold data; false when its id was already chosen.
    pub fn insert(&mut self, id: &str, gold: &[String]) -> bool {
        let Self {
            table, ids, ends, ..
        } = self;
        let hash = super::index::id_key(id);
        if table.find(hash, |&i| id_at(ids, ends, i) == id).is_some() {
            return false;
        }
        table.insert_unique(hash, ends.len() as u64, |&i| {
            super::index::id_key(id_at(ids, ends, i))
        });
        ids.push_str(id);
        ends.push(ids.len());
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
        id_at(&self.ids, &self.ends, i as u64)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    /// The place of `id` in the order the items were chosen (`0..len()`).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.table
            .find(super::index::id_key(id), |&i| self.id(i as usize) == id)
            .map(|&i| i as usize)
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

        // Many ids, each found at its place; repeats are refused after the table grew.
        let mut e = Chosen::default();
        for i in 0..10_000 {
            assert!(e.insert(&format!("id-{i}"), &gold("1")));
        }
        assert!(!e.insert("id-0", &gold("1")) && !e.insert("id-9999", &gold("1")));
        assert_eq!(e.len(), 10_000);
        assert!((0..10_000).all(|i| e.position(&format!("id-{i}")) == Some(i)));
        assert_eq!(e.position("id-10000"), None);

        let dir = tempfile::tempdir().unwrap();
        b.write(dir.path()).unwrap();
        let read = Selection::read(dir.path()).unwrap();
        assert_eq!(read.ids, vec!["x", "y"]);
        assert_eq!(read.fingerprint, a.fingerprint());
    }
}
