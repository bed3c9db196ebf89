//! The merged directory's journal: each shard's latest record of every item it selected,
//! copied line for line (as written, never re-serialised) into one `predictions.jsonl`,
//! and every shard's `invalid.jsonl` after one another. Streamed: one pass per shard
//! notes where each selected item's latest line starts, a second copies those lines; what
//! stays in memory is one shard's selected ids and the merged selection in its compact
//! form (`Chosen`), never the records.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;

use super::check::ShardDir;
use crate::journal::index::{IndexBuilder, line_id};
use crate::journal::selection::{Chosen, Selection};
use crate::journal::{INVALID, ItemRecord, PREDICTIONS, lines};
use crate::suite::shard::Shard;

/// What the joined journal holds.
pub struct Joined {
    /// Every item of every shard, with its gold data (the merged selection).
    pub selected: Chosen,
    /// Lines of the joined `invalid.jsonl`.
    pub invalid: u64,
    /// Items each shard contributed, in shard order.
    pub items: Vec<u64>,
}

/// Writes `out/predictions.jsonl` and `out/invalid.jsonl` from the shards (through
/// temporary files, renamed when whole).
pub fn join(shards: &[ShardDir], out: &Path) -> anyhow::Result<Joined> {
    let target = out.join(PREDICTIONS);
    let tmp = out.join(format!("{PREDICTIONS}.merging"));
    let mut writer = BufWriter::new(create(&tmp)?);
    let mut joined = Joined {
        selected: Chosen::default(),
        invalid: 0,
        items: Vec::with_capacity(shards.len()),
    };
    for shard in shards {
        let n = copy_shard(shard, &mut writer, &mut joined.selected, &tmp)?;
        joined.items.push(n);
    }
    finish(writer, &tmp, &target)?;

    let target = out.join(INVALID);
    let tmp = out.join(format!("{INVALID}.merging"));
    let mut writer = BufWriter::new(create(&tmp)?);
    for shard in shards {
        let path = shard.path.join(INVALID);
        if !path.exists() {
            continue;
        }
        lines::each_line(&path, |_, _, line| {
            joined.invalid += 1;
            writer.write_all(line)?;
            writer.write_all(b"\n")?;
            Ok(())
        })?;
    }
    finish(writer, &tmp, &target)?;
    Ok(joined)
}

fn create(path: &Path) -> anyhow::Result<File> {
    File::create(path).with_context(|| {
        format!(
            "cannot create {} (is the --out directory writable?)",
            path.display()
        )
    })
}

fn finish(writer: BufWriter<File>, tmp: &Path, target: &Path) -> anyhow::Result<()> {
    let file = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {} (disk full?)", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("cannot write {} (disk full?)", tmp.display()))?;
    std::fs::rename(tmp, target).with_context(|| format!("cannot replace {}", target.display()))
}

/// Copies one shard's latest records of its selected items; returns how many.
fn copy_shard(
    dir: &ShardDir,
    writer: &mut BufWriter<File>,
    selected: &mut Chosen,
    tmp: &Path,
) -> anyhow::Result<u64> {
    let name = || {
        format!(
            "{} (shard {}/{})",
            dir.path.display(),
            dir.shard.index,
            dir.shard.count
        )
    };
    let Some(selection) = Selection::read(&dir.path) else {
        anyhow::bail!(
            "{}: selection.json is missing or unreadable; resume the shard (the same command \
             rewrites it: {})",
            name(),
            dir.manifest.resume_command
        );
    };
    // `ids` are in id order: membership is a binary search, no second copy of the ids.
    let mut ids: Vec<String> = selection.ids;
    if !ids.is_sorted() {
        ids.sort_unstable();
    }
    let journal = dir.path.join(PREDICTIONS);
    let mut index = IndexBuilder::default();
    lines::each_line(&journal, |offset, _, line| {
        if let Ok(id) = line_id(line)
            && ids.binary_search_by(|s| s.as_str().cmp(&id)).is_ok()
        {
            index.insert(&id, offset);
        }
        Ok(())
    })?;
    let offsets = index.finish().offsets();
    let shard = Shard {
        index: dir.shard.index,
        count: dir.shard.count,
    };
    let mut next = 0usize;
    let mut copied = 0u64;
    lines::each_line(&journal, |offset, number, line| {
        if offsets.get(next) != Some(&offset) {
            return Ok(());
        }
        next += 1;
        let record: ItemRecord = serde_json::from_slice(line).with_context(|| {
            format!(
                "{} line {number}: not a record; resume the shard to repair its journal",
                journal.display()
            )
        })?;
        if !shard.holds(&record.id) {
            anyhow::bail!(
                "{}: item `{}` ({}) belongs to shard {}/{}, not to this shard (a directory of \
                 another split, or edited by hand?); re-run the shard into a new --out",
                name(),
                record.id,
                record.source,
                crate::suite::shard::slot(&record.id, shard.count),
                shard.count
            );
        }
        if !selected.insert(
            &record.id,
            &super::super::data_check::gold_of_record(&record),
        ) {
            anyhow::bail!(
                "{}: item `{}` is also in another shard given (overlapping shards): give each \
                 shard's directory once",
                name(),
                record.id
            );
        }
        writer
            .write_all(line)
            .and_then(|()| writer.write_all(b"\n"))
            .with_context(|| format!("cannot write {} (disk full?)", tmp.display()))?;
        copied += 1;
        Ok(())
    })?;
    if copied != ids.len() as u64 {
        anyhow::bail!(
            "{} is unfinished: selection.json lists {} items but predictions.jsonl holds \
             records of {copied} of them; resume the shard (the same command: {})",
            name(),
            ids.len(),
            dir.manifest.resume_command
        );
    }
    Ok(copied)
}
