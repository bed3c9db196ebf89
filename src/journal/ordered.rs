//! A run directory's records streamed in item order, for exports over runs of any size:
//! the latest record of every item the last session selected, as [`super::RunDir`] gives
//! them, without holding them. One pass over `predictions.jsonl` reads only each line's
//! id and order (keeping 32 bytes per item: a key of the id, the order, the line's
//! offset and number); the records are then parsed one at a time from their offsets, in order.
//!
//! Items are told apart by a 64-bit hash of their id (as the resume index does): two ids
//! with one key would show as one item, a chance of about 1 in 10^7 for a million items.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

use super::index::{KeyMap, id_key};
use super::{ItemRecord, PREDICTIONS, lines};

/// The part of a journal line the first pass reads.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    order: u64,
}

/// The latest selected records of one run, in item order (see the module doc).
pub struct Ordered {
    file: File,
    path: std::path::PathBuf,
    /// (order, offset, line number) of each item's latest line, sorted.
    lines: Vec<(u64, u64, usize)>,
    next: usize,
    /// Lines that are not records (1-based line number, error), from both passes.
    pub bad_lines: Vec<(usize, String)>,
    /// Bytes of a torn last line (an interrupted write), skipped.
    pub torn_bytes: u64,
}

impl Ordered {
    /// Items this stream yields (at most; a line unreadable on the second pass is skipped).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Opens `dir/predictions.jsonl` for streaming in item order.
pub fn ordered(dir: &Path) -> anyhow::Result<Ordered> {
    let path = dir.join(PREDICTIONS);
    if !path.exists() {
        anyhow::bail!(
            "{} has no {PREDICTIONS}: is it a run directory?",
            dir.display()
        );
    }
    let selection = super::selection::Selection::read(dir).map(|s| s.id_set());
    let mut latest: KeyMap<(u64, u64, usize)> = KeyMap::default();
    let mut bad_lines = Vec::new();
    let pass = lines::each_line(&path, |offset, number, line| {
        match serde_json::from_slice::<Head>(line) {
            Ok(head) => {
                if selection
                    .as_ref()
                    .is_none_or(|s| s.contains(head.id.as_ref()))
                {
                    latest.insert(id_key(&head.id), (head.order, offset, number));
                }
            }
            Err(e) => bad_lines.push((number, e.to_string())),
        }
        Ok(())
    })?;
    let mut lines: Vec<(u64, u64, usize)> = latest.into_values().collect();
    lines.sort_unstable();
    let file =
        File::open(&path).with_context(|| format!("cannot read journal {}", path.display()))?;
    Ok(Ordered {
        file,
        path,
        lines,
        next: 0,
        bad_lines,
        torn_bytes: pass.torn,
    })
}

impl Iterator for Ordered {
    type Item = anyhow::Result<ItemRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(&(_, offset, number)) = self.lines.get(self.next) {
            self.next += 1;
            let line = match lines::line_at(&self.file, offset) {
                Ok(line) => line,
                Err(e) => {
                    return Some(Err(e).with_context(|| {
                        format!(
                            "cannot read journal {} at byte {offset} (was it changed while \
                             being read?)",
                            self.path.display()
                        )
                    }));
                }
            };
            match serde_json::from_slice::<ItemRecord>(&line) {
                Ok(mut record) => {
                    record.expand();
                    return Some(Ok(record));
                }
                // A line with an id and order but not a record: skipped, as the reader
                // skips it.
                Err(e) => self.bad_lines.push((number, e.to_string())),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, order: u64, response: &str) -> String {
        format!(
            r#"{{"id":"{id}","order":{order},"source":"d:{order}","status":"answered","request_hash":"h","response":"{response}","how":"rule","latency_ms":1,"usage":null,"attempts":1,"error":null,"split":null,"gold":{{"answers":["x"]}},"at":"2026-01-01T00:00:00Z"}}"#
        )
    }

    #[test]
    fn latest_records_in_item_order_as_the_reader_gives_them() {
        let tmp = tempfile::tempdir().unwrap();
        let text = [
            line("c", 2, "c1"),
            line("a", 0, "a1"),
            "not json".to_string(),
            line("b", 1, "b1"),
            line("a", 0, "a2"),
        ]
        .join("\n")
            + "\n{\"id\":\"torn";
        std::fs::write(tmp.path().join(PREDICTIONS), text).unwrap();
        let stream = ordered(tmp.path()).unwrap();
        assert_eq!(stream.len(), 3);
        assert_eq!(stream.torn_bytes, 11);
        assert_eq!(stream.bad_lines.len(), 1);
        assert_eq!(stream.bad_lines[0].0, 3);
        let got: Vec<(String, Option<String>)> = stream
            .map(|r| r.unwrap())
            .map(|r| (r.id, r.response))
            .collect();
        assert_eq!(
            got,
            [
                ("a".to_string(), Some("a2".to_string())),
                ("b".to_string(), Some("b1".to_string())),
                ("c".to_string(), Some("c1".to_string())),
            ]
        );
        let (records, _) = super::super::reader::latest_records(tmp.path()).unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn only_the_selected_items() {
        let tmp = tempfile::tempdir().unwrap();
        let text = [line("a", 0, "a"), line("b", 1, "b")].join("\n") + "\n";
        std::fs::write(tmp.path().join(PREDICTIONS), text).unwrap();
        super::super::selection::Selection {
            fingerprint: "f".into(),
            ids: vec!["b".into()],
        }
        .write(tmp.path())
        .unwrap();
        let ids: Vec<String> = ordered(tmp.path())
            .unwrap()
            .map(|r| r.unwrap().id)
            .collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn a_directory_without_a_journal_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let err = ordered(tmp.path()).err().unwrap().to_string();
        assert!(err.contains("predictions.jsonl"), "{err}");
    }
}
