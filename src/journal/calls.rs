//! `calls.jsonl`: the calls of multi-call items, one line per call as it lands, so an item
//! interrupted half-way resumes without re-sending the calls it had made. Each line names
//! its item; on resume the file is streamed and only the calls of items that have no
//! record yet are kept (a finished item answers every call from its own record), and the
//! file is rewritten without the others. Memory and the file stay bounded by the items
//! left half-done, not by the size of the run.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::index::ResumeIndex;
use super::record::CallRecord;

/// One line of `calls.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CallLine {
    /// The item the call was made for; absent in lines written before lines named it
    /// (those are kept until the file is rewritten).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item: String,
    #[serde(flatten)]
    pub call: CallRecord,
}

/// The line for `call` made for `item`, with its newline.
pub fn line(item: &str, call: &CallRecord) -> anyhow::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        item: &'a str,
        #[serde(flatten)]
        call: &'a CallRecord,
    }
    let mut out = serde_json::to_vec(&Borrowed { item, call })?;
    out.push(b'\n');
    Ok(out)
}

/// What [`pending`] found.
#[derive(Debug, Default)]
pub struct Pending {
    /// Calls of items without a record, in file order.
    pub calls: Vec<CallRecord>,
    /// Lines dropped: calls of items that have a record.
    pub dropped: u64,
}

/// Streams `path` (if present) and keeps the calls of items `finished` has no record of;
/// when some were dropped (or the file had damaged lines), rewrites the file with only the
/// kept lines (atomically: a crash leaves the old file or the new one). A torn last line
/// or a damaged one only means that call is made again.
pub fn pending(path: &Path, finished: &ResumeIndex) -> anyhow::Result<Pending> {
    let mut out = Pending::default();
    if !path.exists() {
        return Ok(out);
    }
    let mut kept_lines: Vec<u8> = Vec::new();
    let mut damaged = false;
    let pass = super::lines::each_line(path, |_, _, bytes| {
        match serde_json::from_slice::<CallLine>(bytes) {
            Ok(line) if !line.item.is_empty() && finished.get(&line.item).is_some() => {
                out.dropped += 1;
            }
            Ok(line) => {
                kept_lines.extend_from_slice(bytes);
                kept_lines.push(b'\n');
                out.calls.push(line.call);
            }
            Err(_) => damaged = true,
        }
        Ok(())
    })?;
    if out.dropped > 0 || damaged || pass.torn > 0 {
        rewrite(path, &kept_lines)?;
    }
    Ok(out)
}

/// Replaces `path` with `bytes` (temporary file, synced, then renamed).
fn rewrite(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut file = std::fs::File::create(&tmp)
        .with_context(|| format!("cannot write {} (read-only?)", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {} (disk full?)", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(hash: &str, response: &str) -> CallRecord {
        CallRecord {
            role: None,
            model: "m".into(),
            request_hash: hash.into(),
            response: Some(response.into()),
            is_answer: false,
            reasoning: None,
            finish_reason: None,
            error: None,
            attempts: 1,
            latency_ms: Some(3),
            usage: None,
        }
    }

    #[test]
    fn calls_of_finished_items_are_dropped_and_the_file_shrinks() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("calls.jsonl");
        let mut bytes = Vec::new();
        bytes.extend(line("done", &call("h1", "a")).unwrap());
        bytes.extend(line("half", &call("h2", "b")).unwrap());
        bytes.extend(line("done", &call("h3", "c")).unwrap());
        // A line written before lines named their item: kept.
        bytes.extend(line("", &call("h4", "d")).unwrap());
        bytes.extend(b"{\"item\":\"half\",\"req");
        std::fs::write(&path, &bytes).unwrap();
        let mut finished = super::super::index::IndexBuilder::default();
        finished.insert("done", 0);
        let finished = finished.finish();
        let found = pending(&path, &finished).unwrap();
        let hashes: Vec<&str> = found
            .calls
            .iter()
            .map(|c| c.request_hash.as_str())
            .collect();
        assert_eq!(hashes, ["h2", "h4"]);
        assert_eq!(found.dropped, 2);
        assert_eq!(found.calls[0], call("h2", "b"));
        // The file now holds only what was kept, and reads back the same.
        let again = pending(&path, &finished).unwrap();
        assert_eq!(again.dropped, 0);
        assert_eq!(again.calls, found.calls);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with("{\"item\":\"half\""), "{text}");
    }

    #[test]
    fn no_file_means_no_calls() {
        let tmp = tempfile::tempdir().unwrap();
        let found = pending(&tmp.path().join("calls.jsonl"), &ResumeIndex::default()).unwrap();
        assert!(found.calls.is_empty());
        assert!(!tmp.path().join("calls.jsonl").exists());
    }
}
