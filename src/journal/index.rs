//! What a resumed run keeps in memory about earlier sessions: for each item id, the byte
//! offset of its latest journal line, keyed by a 64-bit hash of the id, in one sorted
//! array (16 bytes per item, no hash-table slack, so resuming a million-item run costs
//! 16 MB here); the record itself is read back from the journal when its item comes up
//! (and checked to be that item's: a hash collision only means the item is answered
//! again).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Deserialize;

/// The key of an item id: SipHash-1-3 with fixed keys (the same in every process).
pub fn id_key(id: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(id.as_bytes());
    h.finish()
}

/// Keys are already hashes: the table uses them as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by [`id_key`].
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// Item id -> offset of its latest line in `predictions.jsonl`, built by an
/// [`IndexBuilder`]: (key, offset) pairs sorted by key, one per key.
#[derive(Debug, Default)]
pub struct ResumeIndex {
    latest: Vec<(u64, u64)>,
}

/// Collects the lines of a journal, in file order, into a [`ResumeIndex`].
#[derive(Debug, Default)]
pub struct IndexBuilder {
    /// (key, offset) pairs as they came, compacted (sorted, one per key) whenever the
    /// vector is full, so rewritten lines do not make it grow with the file.
    lines: Vec<(u64, u64)>,
}

impl IndexBuilder {
    /// Notes that a line of `id` starts at `offset` (offsets ascend: the last one wins).
    pub fn insert(&mut self, id: &str, offset: u64) {
        if self.lines.len() == self.lines.capacity() && self.lines.len() >= 1024 {
            compact(&mut self.lines);
        }
        self.lines.push((id_key(id), offset));
    }

    pub fn finish(mut self) -> ResumeIndex {
        compact(&mut self.lines);
        self.lines.shrink_to_fit();
        ResumeIndex { latest: self.lines }
    }
}

/// Sorts by key and keeps each key's latest (largest) offset.
fn compact(lines: &mut Vec<(u64, u64)>) {
    lines.sort_unstable_by_key(|&(key, offset)| (key, std::cmp::Reverse(offset)));
    lines.dedup_by_key(|&mut (key, _)| key);
}

/// The part of a journal line the index reads (the rest is skipped, not allocated).
#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

/// The id of a journal line, or why it is not a record. evalkit writes the id first
/// (`{"id":"...",`), so a line in that shape whose id has no escapes is read by its first
/// bytes without scanning the rest of the line; any other line is parsed (and must then be
/// a JSON object with a string `id`).
pub fn line_id(line: &[u8]) -> Result<std::borrow::Cow<'_, str>, String> {
    const HEAD: &[u8] = br#"{"id":""#;
    if let Some(rest) = line.strip_prefix(HEAD)
        && let Some(end) = memchr::memchr2(b'"', b'\\', rest)
        && rest[end] == b'"'
        && rest.get(end + 1) == Some(&b',')
        && line.last() == Some(&b'}')
        && let Ok(id) = std::str::from_utf8(&rest[..end])
        && !id.bytes().any(|b| b < 0x20)
    {
        return Ok(std::borrow::Cow::Borrowed(id));
    }
    serde_json::from_slice::<IdOnly>(line)
        .map(|r| r.id)
        .map_err(|e| e.to_string())
}

impl ResumeIndex {
    pub fn get(&self, id: &str) -> Option<u64> {
        let key = id_key(id);
        self.latest
            .binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|i| self.latest[i].1)
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Offsets of every item's latest line, in file order.
    pub fn offsets(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.latest.iter().map(|&(_, offset)| offset).collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_line_wins_and_keys_are_stable() {
        let mut builder = IndexBuilder::default();
        builder.insert("a", 0);
        builder.insert("b", 10);
        builder.insert("a", 20);
        let index = builder.finish();
        assert_eq!(index.get("a"), Some(20));
        assert_eq!(index.get("b"), Some(10));
        assert_eq!(index.get("c"), None);
        assert_eq!(index.offsets(), vec![10, 20]);
        // Fixed keys: the same id hashes alike in every process.
        assert_eq!(id_key("chartqa-1"), id_key("chartqa-1"));
        assert_ne!(id_key("chartqa-1"), id_key("chartqa-2"));
    }

    #[test]
    fn compaction_while_building_keeps_the_latest_line_of_each_item() {
        // 3 lines for each of 2,000 ids, interleaved: the builder compacts as it fills.
        let mut builder = IndexBuilder::default();
        let mut offset = 0;
        for round in 0..3 {
            for i in 0..2000 {
                builder.insert(&format!("item-{i}"), offset);
                offset += 100 + round;
            }
        }
        assert!(
            builder.lines.capacity() < 6000,
            "{}",
            builder.lines.capacity()
        );
        let index = builder.finish();
        assert_eq!(index.len(), 2000);
        // Round 2's line of item i starts at 2000*100 + 2000*101 + i*102.
        assert_eq!(index.get("item-0"), Some(402_000));
        assert_eq!(index.get("item-1999"), Some(402_000 + 1999 * 102));
        assert_eq!(index.get("item-2000"), None);
        let offsets = index.offsets();
        assert_eq!(offsets.len(), 2000);
        assert!(offsets.is_sorted());
        assert_eq!(offsets[0], 402_000);
    }

    #[test]
    fn line_id_reads_only_the_id() {
        assert_eq!(
            line_id(br#"{"id":"x\"1","order":3,"calls":[{"a":1}]}"#).as_deref(),
            Ok("x\"1")
        );
        assert!(line_id(b"{not json").is_err());
        // The fast path: the id first, no escapes.
        assert_eq!(
            line_id(br#"{"id":"plotqa-1","order":3}"#).as_deref(),
            Ok("plotqa-1")
        );
        assert_eq!(
            line_id("{\"id\":\"é\",\"x\":1}".as_bytes()).as_deref(),
            Ok("é")
        );
        // Not in the written shape: parsed, so a broken line is still no record.
        assert!(line_id(br#"{"id":"a","order":"#).is_err());
        assert!(line_id(br#"{"id":"a"}"#).is_ok());
        assert_eq!(line_id(br#"{"id":"a\u0062","x":1}"#).as_deref(), Ok("ab"));
        assert!(line_id(br#"{"order":3}"#).is_err());
    }
}
