//! What a resumed run keeps in memory about earlier sessions: for each item id, the byte
//! offset of its latest journal line, keyed by a 64-bit hash of the id. 16 bytes and a
//! hash-table slot per item instead of whole records, so resuming a million-item run
//! costs tens of megabytes; the record itself is read back from the journal when its
//! item comes up (and checked to be that item's: a hash collision only means the item
//! is answered again).

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

/// Item id -> offset of its latest line in `predictions.jsonl`.
#[derive(Debug, Default)]
pub struct ResumeIndex {
    latest: KeyMap<u64>,
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
    /// Notes that the latest line of `id` starts at `offset`.
    pub fn insert(&mut self, id: &str, offset: u64) {
        self.latest.insert(id_key(id), offset);
    }

    pub fn get(&self, id: &str) -> Option<u64> {
        self.latest.get(&id_key(id)).copied()
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Offsets of every item's latest line, in file order.
    pub fn offsets(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.latest.values().copied().collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_line_wins_and_keys_are_stable() {
        let mut index = ResumeIndex::default();
        index.insert("a", 0);
        index.insert("b", 10);
        index.insert("a", 20);
        assert_eq!(index.get("a"), Some(20));
        assert_eq!(index.get("b"), Some(10));
        assert_eq!(index.get("c"), None);
        assert_eq!(index.offsets(), vec![10, 20]);
        // Fixed keys: the same id hashes alike in every process.
        assert_eq!(id_key("chartqa-1"), id_key("chartqa-1"));
        assert_ne!(id_key("chartqa-1"), id_key("chartqa-2"));
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
