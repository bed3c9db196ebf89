//! The run directory: `manifest.json`, the append-only `predictions.jsonl`, the
//! `invalid.jsonl` list of rows that could not be read, and `summary.json`.
//!
//! Each prediction is one JSON line written with a single `write` on an `O_APPEND` file,
//! so a killed process loses at most the line being written. On open, a torn last line is
//! cut off and reported, never fatal; the latest line for an item wins. One process at a
//! time writes a run directory ([`lock`]).

pub mod calls;
pub mod index;
pub mod items;
pub mod lines;
pub mod lock;
pub mod manifest;
pub mod ordered;
pub mod reader;
pub mod record;
pub mod scan;
pub mod selection;
pub mod shards;
pub mod summary;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;

pub use manifest::Manifest;
pub use reader::RunDir;
pub use record::{ItemRecord, Status};
pub use summary::Summary;

use crate::suite::InvalidRow;

pub const PREDICTIONS: &str = "predictions.jsonl";
pub const INVALID: &str = "invalid.jsonl";
/// Calls of multi-call strategies, appended as each completes, so an item interrupted
/// half-way resumes without re-sending the calls it had made (see [`Journal::append_call`]).
pub const CALLS: &str = "calls.jsonl";
pub const MANIFEST: &str = "manifest.json";
pub const SUMMARY: &str = "summary.json";

/// What was found in an existing journal.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every readable record, in file order.
    pub records: Vec<ItemRecord>,
    /// Bytes of a torn last line that were cut off.
    pub torn_bytes: usize,
    /// Lines that were not valid records (line number, error).
    pub bad_lines: Vec<(usize, String)>,
}

/// What opening a journal for a run found and repaired (the records themselves stay on
/// disk: see [`index::ResumeIndex`]).
#[derive(Debug, Default)]
pub struct Repairs {
    /// Readable records found (every line, not only the latest per item).
    pub records: u64,
    /// Bytes of a torn last line that were cut off.
    pub torn_bytes: usize,
    /// Lines that were not records (line number, error).
    pub bad_lines: Vec<(usize, String)>,
}

/// An open run directory, appending predictions and invalid rows.
pub struct Journal {
    dir: PathBuf,
    predictions: Mutex<File>,
    /// A read-only handle on `predictions.jsonl` for earlier records.
    reader: File,
    /// Where each item's latest earlier record starts.
    index: index::ResumeIndex,
    invalid: Mutex<File>,
    /// Opened on the first call line.
    calls: Mutex<Option<File>>,
    /// This process's exclusive hold on the directory, for as long as the journal is open.
    _lock: lock::RunLock,
}

impl Journal {
    /// Opens (creating if needed) a run directory, recovering an existing journal: one
    /// streaming pass indexes every item's latest line.
    pub fn open(dir: &Path) -> anyhow::Result<(Journal, Repairs)> {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create run directory {} (is the parent writable?)",
                dir.display()
            )
        })?;
        // Before anything is read or repaired: one `evalkit run` per directory.
        let run_lock = lock::RunLock::acquire(dir)?;
        let path = dir.join(PREDICTIONS);
        let (index, repairs) = if path.exists() {
            recover(&path)?
        } else {
            Default::default()
        };
        let open_append = |p: &Path, truncate: bool| {
            let mut options = OpenOptions::new();
            if truncate {
                options.write(true).create(true).truncate(true);
            } else {
                options.append(true).create(true);
            }
            options.open(p).with_context(|| {
                format!(
                    "cannot open {} for writing (is the run directory writable?)",
                    p.display()
                )
            })
        };
        let predictions = open_append(&path, false)?;
        let reader =
            File::open(&path).with_context(|| format!("cannot read journal {}", path.display()))?;
        // Rows are re-read every session, so the invalid list starts afresh.
        let invalid = open_append(&dir.join(INVALID), true)?;
        Ok((
            Journal {
                dir: dir.to_path_buf(),
                predictions: Mutex::new(predictions),
                reader,
                index,
                invalid: Mutex::new(invalid),
                calls: Mutex::new(None),
                _lock: run_lock,
            },
            repairs,
        ))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Items answered in earlier sessions.
    pub fn earlier_items(&self) -> usize {
        self.index.len()
    }

    /// The latest record of `id` from an earlier session, read back from the journal.
    /// None when there is none, or when its line cannot be read as that item's record
    /// (then the item is answered again).
    pub fn previous(&self, id: &str) -> Option<ItemRecord> {
        let offset = self.index.get(id)?;
        let line = lines::line_at(&self.reader, offset).ok()?;
        let mut record: ItemRecord = serde_json::from_slice(&line).ok()?;
        if record.id != id {
            return None;
        }
        record.expand();
        Some(record)
    }

    /// Appends one record as one line, in one write.
    /// (Build records in their compact form, see [`ItemRecord::compact`].)
    pub fn append(&self, record: &ItemRecord) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        write_line(&self.predictions, &line, &self.dir.join(PREDICTIONS))
    }

    /// Appends a row that could not be read.
    pub fn append_invalid(&self, row: &InvalidRow) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(row)?;
        line.push(b'\n');
        write_line(&self.invalid, &line, &self.dir.join(INVALID))
    }

    /// The calls earlier sessions made for items that have no record yet (`calls.jsonl`,
    /// streamed; the calls of finished items are dropped from the file, see [`calls`]).
    /// Call before the first [`Journal::append_call`].
    pub fn pending_calls(&self) -> anyhow::Result<calls::Pending> {
        calls::pending(&self.dir.join(CALLS), &self.index)
    }

    /// Appends one completed call of an item still in progress (multi-call strategies).
    /// The item's record repeats it when the item finishes; until then this line is what
    /// lets a resumed run answer the call from the journal.
    pub fn append_call(&self, item: &str, call: &record::CallRecord) -> anyhow::Result<()> {
        let path = self.dir.join(CALLS);
        let line = calls::line(item, call)?;
        let mut slot = self
            .calls
            .lock()
            .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
        if slot.is_none() {
            *slot = Some(
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .with_context(|| format!("cannot open {} for writing", path.display()))?,
            );
        }
        match slot.as_mut() {
            Some(file) => file.write_all(&line).with_context(|| {
                format!(
                    "cannot append to {} (disk full or read-only?)",
                    path.display()
                )
            }),
            None => Ok(()),
        }
    }

    /// Flushes everything to disk.
    pub fn sync(&self) -> anyhow::Result<()> {
        for (file, name) in [(&self.predictions, PREDICTIONS), (&self.invalid, INVALID)] {
            let file = file
                .lock()
                .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
            file.sync_all()
                .with_context(|| format!("cannot sync {}", self.dir.join(name).display()))?;
        }
        Ok(())
    }
}

fn write_line(file: &Mutex<File>, line: &[u8], path: &Path) -> anyhow::Result<()> {
    let mut file = file
        .lock()
        .map_err(|_| anyhow::anyhow!("journal lock poisoned"))?;
    file.write_all(line).with_context(|| {
        format!("cannot append to {} (disk full or read-only?); every answer written before this one is kept there", path.display())
    })
}

/// Indexes a journal in one streaming pass, cutting off a torn last line.
fn recover(path: &Path) -> anyhow::Result<(index::ResumeIndex, Repairs)> {
    let mut index = index::IndexBuilder::default();
    let mut repairs = Repairs::default();
    let pass = lines::each_line(path, |offset, number, line| {
        match index::line_id(line) {
            Ok(id) => {
                index.insert(&id, offset);
                repairs.records += 1;
            }
            Err(e) => repairs.bad_lines.push((number, e)),
        }
        Ok(())
    })?;
    repairs.torn_bytes = pass.torn as usize;
    if pass.torn > 0 {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot repair journal {} (read-only?)", path.display()))?;
        file.set_len(pass.complete)
            .with_context(|| format!("cannot cut the torn last line of {}", path.display()))?;
    }
    Ok((index.finish(), repairs))
}

/// Reads a run directory's records without opening it for writing (for reports).
pub fn read_records(dir: &Path) -> anyhow::Result<Loaded> {
    let path = dir.join(PREDICTIONS);
    if !path.exists() {
        anyhow::bail!(
            "{} has no {PREDICTIONS}: is it a run directory?",
            dir.display()
        );
    }
    let mut loaded = Loaded::default();
    let pass = lines::each_line(&path, |_, number, line| {
        match serde_json::from_slice::<ItemRecord>(line) {
            Ok(mut record) => {
                record.expand();
                loaded.records.push(record)
            }
            Err(e) => loaded.bad_lines.push((number, e.to_string())),
        }
        Ok(())
    })?;
    loaded.torn_bytes = pass.torn as usize;
    Ok(loaded)
}

/// The latest record per item, in item order.
pub fn latest(records: Vec<ItemRecord>) -> Vec<ItemRecord> {
    let mut by_id: std::collections::HashMap<String, ItemRecord> = std::collections::HashMap::new();
    for record in records {
        by_id.insert(record.id.clone(), record);
    }
    let mut out: Vec<ItemRecord> = by_id.into_values().collect();
    out.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
    out
}

/// Writes a file atomically (temporary file + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .with_context(|| format!("cannot write {} (disk full or read-only?)", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}
