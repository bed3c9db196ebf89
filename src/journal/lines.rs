//! Streaming over a journal file's lines with their byte offsets, through a fixed-size
//! buffer: opening or summarising a journal of a million items never holds the file in
//! memory. A last line without its newline (an interrupted write) is reported as torn, not
//! handed out.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;

/// What a pass over a file saw besides its lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Length of the part that ends with a newline.
    pub complete: u64,
    /// Bytes after the last newline.
    pub torn: u64,
}

/// Calls `each(offset, line_number, line)` for every complete, non-blank line (without
/// its newline), in file order.
pub fn each_line(
    path: &Path,
    mut each: impl FnMut(u64, usize, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<Pass> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read journal {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "journal {} is not a regular file; move it away or choose another --out",
            path.display()
        );
    }
    let file =
        File::open(path).with_context(|| format!("cannot read journal {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let (mut offset, mut number) = (0u64, 0usize);
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read journal {}", path.display()))?;
        if n == 0 {
            return Ok(Pass {
                complete: offset,
                torn: 0,
            });
        }
        if line.last() != Some(&b'\n') {
            return Ok(Pass {
                complete: offset,
                torn: n as u64,
            });
        }
        number += 1;
        let body = &line[..n - 1];
        if !body.iter().all(u8::is_ascii_whitespace) {
            each(offset, number, body)?;
        }
        offset += n as u64;
    }
}

/// Reads the line that starts at `offset` (without its newline): positioned reads, so
/// any number of items may read their earlier records at once.
pub fn line_at(file: &File, offset: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut out = Vec::new();
    // Most records are under a kilobyte; longer ones double the read.
    let mut chunk = vec![0u8; 1024];
    let mut at = offset;
    loop {
        let n = file.read_at(&mut chunk, at)?;
        if n == 0 {
            return Ok(out);
        }
        if let Some(end) = chunk[..n].iter().position(|&b| b == b'\n') {
            out.extend_from_slice(&chunk[..end]);
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
        if chunk.len() < 1 << 20 {
            chunk.resize(chunk.len() * 2, 0);
        }
    }
}

/// The latest record of every item `keep` accepts, in file order, streamed from the
/// journal without holding it: one pass notes where each item's latest line starts, the
/// iterator then parses those lines as it reads. Unreadable lines are skipped (the run
/// reports them when it opens the journal).
pub fn latest(path: &Path, keep: impl Fn(&str) -> bool) -> anyhow::Result<Latest> {
    let mut index = super::index::IndexBuilder::default();
    each_line(path, |offset, _, line| {
        if let Ok(id) = super::index::line_id(line)
            && keep(&id)
        {
            index.insert(&id, offset);
        }
        Ok(())
    })?;
    let offsets = index.finish().offsets();
    Latest::at(path, offsets)
}

/// [`latest`] for the items of a session's selection: an offset per chosen item (8 bytes
/// each, no table), so summarising a million-item run costs 8 MB here.
pub fn latest_chosen(path: &Path, chosen: &super::selection::Chosen) -> anyhow::Result<Latest> {
    let mut latest = vec![u64::MAX; chosen.len()];
    each_line(path, |offset, _, line| {
        if let Ok(id) = super::index::line_id(line)
            && let Some(i) = chosen.position(&id)
        {
            latest[i] = offset;
        }
        Ok(())
    })?;
    latest.retain(|&o| o != u64::MAX);
    latest.sort_unstable();
    Latest::at(path, latest)
}

/// See [`latest`].
pub struct Latest {
    reader: BufReader<File>,
    /// Offsets of the lines to parse, ascending.
    offsets: Vec<u64>,
    /// Index of the next offset to reach.
    next: usize,
    /// Offset of the next line to read.
    at: u64,
    line: Vec<u8>,
}

impl Latest {
    /// Reads the lines starting at `offsets` (ascending) of `path`.
    fn at(path: &Path, offsets: Vec<u64>) -> anyhow::Result<Latest> {
        let file =
            File::open(path).with_context(|| format!("cannot read journal {}", path.display()))?;
        Ok(Latest {
            reader: BufReader::with_capacity(1 << 16, file),
            offsets,
            next: 0,
            at: 0,
            line: Vec::new(),
        })
    }
}

impl Iterator for Latest {
    type Item = super::ItemRecord;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.offsets.len() {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line).ok()?;
            if n == 0 || self.line.last() != Some(&b'\n') {
                return None;
            }
            let offset = self.at;
            self.at += n as u64;
            if offset != self.offsets[self.next] {
                continue;
            }
            self.next += 1;
            if let Ok(mut record) = serde_json::from_slice::<super::ItemRecord>(&self.line[..n - 1])
            {
                record.expand();
                return Some(record);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, response: &str) -> String {
        format!(
            r#"{{"id":"{id}","order":0,"source":"d:1","status":"answered","request_hash":"h","response":"{response}","how":"rule","latency_ms":1,"usage":null,"attempts":1,"error":null,"split":null,"gold":{{"answers":["x"]}},"at":"2026-01-01T00:00:00Z"}}"#
        )
    }

    #[test]
    fn latest_chosen_gives_each_chosen_items_last_line_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("predictions.jsonl");
        let text = [
            line("a", "a1"),
            line("b", "b1"),
            "{not json".to_string(),
            line("c", "c1"),
            line("a", "a2"),
            line("d", "d1"),
        ]
        .join("\n");
        std::fs::write(&path, text + "\n").unwrap();
        let mut chosen = crate::journal::selection::Chosen::default();
        for id in ["a", "c", "z"] {
            chosen.insert(id, &[]);
        }
        let got: Vec<(String, Option<String>)> = latest_chosen(&path, &chosen)
            .unwrap()
            .map(|r| (r.id, r.response))
            .collect();
        assert_eq!(
            got,
            vec![
                ("c".to_string(), Some("c1".to_string())),
                ("a".to_string(), Some("a2".to_string()))
            ]
        );
        // The same records as the general form with the same filter.
        let general: Vec<String> = latest(&path, |id| chosen.contains(id))
            .unwrap()
            .map(|r| r.id)
            .collect();
        assert_eq!(general, vec!["c", "a"]);
    }
}
