//! Before `evalkit merge` writes anything: every directory must be a finished shard
//! (`evalkit run --shard I/N` whose last session completed), all of one run (the same
//! model, suite, prompt, strategy, judge, evalkit version, data files and selected rows,
//! split the same number of ways), each shard given once and none missing. A refusal
//! names the directory and the field, and says what to do.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::journal::shards::ShardOf;
use crate::journal::{Manifest, Summary};

/// A shard directory, read and found finished.
pub struct ShardDir {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub shard: ShardOf,
    pub summary: Summary,
}

/// Reads every directory and checks that together they are all the shards of one run,
/// each finished; returns them in shard order.
pub fn check(dirs: &[PathBuf]) -> anyhow::Result<Vec<ShardDir>> {
    if dirs.is_empty() {
        anyhow::bail!("give the shard directories to merge (runs/SUITE/MODEL/RUNID-shardIofN)");
    }
    let mut shards = Vec::with_capacity(dirs.len());
    let mut seen: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if seen.contains(&real) {
            anyhow::bail!(
                "{} is given twice (overlapping shards): give each shard's directory once",
                dir.display()
            );
        }
        seen.push(real);
        shards.push(open(dir)?);
    }
    let first = &shards[0];
    for other in &shards[1..] {
        if let Some((field, a, b)) = differs(first, other) {
            anyhow::bail!(
                "{} is not a shard of the same run as {}: `{field}` differs: {} there, {} in \
                 the first; merge only the shards of one `evalkit run ... --shard I/N` command",
                other.path.display(),
                first.path.display(),
                clip(&b),
                clip(&a)
            );
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    for pair in shards.windows(2) {
        if pair[0].shard.index == pair[1].shard.index {
            anyhow::bail!(
                "{} and {} are both shard {}/{} (overlapping shards): give each shard's \
                 directory once",
                pair[0].path.display(),
                pair[1].path.display(),
                pair[0].shard.index,
                pair[0].shard.count
            );
        }
    }
    let count = first_count(&shards);
    let missing: Vec<String> = (0..count)
        .filter(|i| !shards.iter().any(|s| s.shard.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "missing shard(s) {} of run {} (given: {}): every shard from 0/{count} to {}/{count} \
             is needed; run the missing ones (`evalkit run ... --shard {}`) and give their \
             directories too",
            missing.join(", "),
            shards[0].shard.run_id,
            shards
                .iter()
                .map(|s| format!("{}/{}", s.shard.index, s.shard.count))
                .collect::<Vec<_>>()
                .join(", "),
            count - 1,
            missing[0]
        );
    }
    Ok(shards)
}

fn first_count(shards: &[ShardDir]) -> u32 {
    shards.first().map_or(0, |s| s.shard.count)
}

/// Reads one directory: a shard whose last session completed, with its summary.
pub fn open(dir: &Path) -> anyhow::Result<ShardDir> {
    if !dir.join(crate::journal::MANIFEST).is_file() {
        anyhow::bail!(
            "{} is not a run directory (no manifest.json): give the directories of \
             `evalkit run --shard I/N` runs (runs/SUITE/MODEL/RUNID-shardIofN)",
            dir.display()
        );
    }
    let manifest = Manifest::read(dir)?;
    let Some(shard) = manifest.shard.clone() else {
        anyhow::bail!(
            "{} is not a shard: its manifest.json has no `shard` (the run was not started \
             with --shard I/N); merge joins the directories of `evalkit run ... --shard I/N`",
            dir.display()
        );
    };
    let name = format!("{} (shard {}/{})", dir.display(), shard.index, shard.count);
    let resume = &manifest.resume_command;
    let outcome = manifest.sessions.last().and_then(|s| s.outcome.clone());
    if outcome.as_deref() != Some("completed") {
        anyhow::bail!(
            "{name} is unfinished: manifest.json `sessions[-1].outcome` is {}; finish it \
             first (the same command resumes it: {resume})",
            outcome.map_or("unset (still running, or killed)".into(), |o| format!(
                "`{o}`"
            ))
        );
    }
    let summary = match crate::journal::reader::read_summary(dir) {
        Ok(Some(summary)) => summary,
        Ok(None) => anyhow::bail!(
            "{name} is unfinished: it has no summary.json; finish it first (the same command \
             resumes it: {resume})"
        ),
        Err(e) => anyhow::bail!(
            "{name}: summary.json is unreadable ({e}); `evalkit report {} --rescore` rewrites it",
            dir.display()
        ),
    };
    if !summary.complete {
        anyhow::bail!(
            "{name} is unfinished: summary.json `complete` is false ({} items pending); finish \
             it first (the same command resumes it: {resume})",
            summary.counts.pending
        );
    }
    Ok(ShardDir {
        path: dir.to_path_buf(),
        manifest,
        shard,
        summary,
    })
}

/// The first field in which two shards' runs differ: (field, first's value, other's).
pub fn differs(a: &ShardDir, b: &ShardDir) -> Option<(String, String, String)> {
    let (ma, mb) = (&a.manifest, &b.manifest);
    let judge = |m: &Manifest| m.judge.as_ref().map_or("none".into(), |j| j.name.clone());
    let fields: Vec<(&str, String, String)> = vec![
        (
            "shard.count",
            a.shard.count.to_string(),
            b.shard.count.to_string(),
        ),
        (
            "evalkit_version",
            ma.evalkit_version.clone(),
            mb.evalkit_version.clone(),
        ),
        ("model.name", ma.model.name.clone(), mb.model.name.clone()),
        (
            "model_fingerprint",
            ma.model_fingerprint.clone(),
            mb.model_fingerprint.clone(),
        ),
        (
            "prompt_template",
            ma.prompt_template.clone(),
            mb.prompt_template.clone(),
        ),
        ("strategy", ma.strategy.clone(), mb.strategy.clone()),
        ("judge", judge(ma), judge(mb)),
        (
            "data.format",
            ma.data.format.clone(),
            mb.data.format.clone(),
        ),
        (
            "shard.selection",
            a.shard.selection.clone(),
            b.shard.selection.clone(),
        ),
    ];
    for (field, x, y) in fields {
        if x != y {
            return Some((field.to_string(), x, y));
        }
    }
    if let Some((x, y)) = files_differ(ma, mb) {
        return Some(("data.files".to_string(), x, y));
    }
    if let Some(d) = suite_differs(ma, mb) {
        return Some(d);
    }
    (a.shard.run_id != b.shard.run_id).then(|| {
        (
            "shard.run_id".to_string(),
            a.shard.run_id.clone(),
            b.shard.run_id.clone(),
        )
    })
}

/// The data files as the shards' machines may see them alike: name, size and the
/// digest of their first and last MiB (not the folder they were mounted in, nor their
/// modification time), one entry per file.
fn data_files(m: &Manifest) -> Vec<String> {
    m.data
        .files
        .iter()
        .map(|f| {
            let name = f.path.file_name().map_or_else(
                || f.path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            format!("{name} ({} bytes, blake3 {})", f.bytes, f.head_tail_blake3)
        })
        .collect()
}

/// The first file whose entry differs (or `none` where one side has fewer files).
fn files_differ(a: &Manifest, b: &Manifest) -> Option<(String, String)> {
    let (x, y) = (data_files(a), data_files(b));
    let none = || "none".to_string();
    (0..x.len().max(y.len()))
        .map(|i| {
            (
                x.get(i).cloned().unwrap_or_else(none),
                y.get(i).cloned().unwrap_or_else(none),
            )
        })
        .find(|(p, q)| p != q)
}

/// The suite cards' first differing setting (their data locations and descriptions
/// aside: the data files are compared by content).
fn suite_differs(a: &Manifest, b: &Manifest) -> Option<(String, String, String)> {
    let value = |m: &Manifest| serde_json::to_value(&m.suite).unwrap_or(Value::Null);
    let (Value::Object(x), Value::Object(y)) = (value(a), value(b)) else {
        return None;
    };
    let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if ["source", "how_to_get", "description"].contains(&key.as_str()) {
            continue;
        }
        let (vx, vy) = (
            x.get(key).cloned().unwrap_or(Value::Null),
            y.get(key).cloned().unwrap_or(Value::Null),
        );
        if vx != vy {
            return Some((format!("suite.{key}"), vx.to_string(), vy.to_string()));
        }
    }
    None
}

/// A value short enough for one error line.
fn clip(s: &str) -> String {
    const MAX: usize = 100;
    let s: String = s.escape_debug().collect();
    if s.chars().count() <= MAX {
        format!("`{s}`")
    } else {
        format!("`{}…`", s.chars().take(MAX).collect::<String>())
    }
}
