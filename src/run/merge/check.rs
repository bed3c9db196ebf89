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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::{Value, json};

    use super::*;
    use crate::journal::Manifest;
    use crate::report::summary;

    /// A shard directory as `evalkit run --shard I/N` leaves it (manifest and summary;
    /// no records: the checks read neither), changed by `edit`.
    fn shard(
        root: &Path,
        name: &str,
        index: u32,
        count: u32,
        edit: impl Fn(&mut Value),
    ) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = json!({
            "schema": "evalkit.manifest/1",
            "run_id": format!("abc-shard{index}of{count}"),
            "evalkit_version": "0.1.0",
            "suite": {"name": "chartqa", "benchmark": "chartqa", "scorer": "relaxed_accuracy",
                      "prompt": "{question}", "breakdown": ["split"], "source": []},
            "model": {"name": "m", "kind": "openai", "base_url": "http://127.0.0.1:9/v1",
                      "model": "m"},
            "model_fingerprint": "openai|model=m",
            "strategy": "direct",
            "prompt_template": "{question}",
            "data": {"format": "chartqa-json", "path": "/data/chartqa", "files": [
                {"path": "/data/chartqa/test_human.json", "bytes": 10,
                 "modified": "2026-01-01T00:00:00+00:00", "head_tail_blake3": "aa"}]},
            "images_sent": true,
            "resume_command": format!("evalkit run --shard {index}/{count}"),
            "sessions": [{"started_at": "2026-01-01T00:00:00+00:00",
                          "finished_at": "2026-01-01T00:01:00+00:00",
                          "outcome": "completed", "items_selected": 0, "requests_sent": 0}],
            "shard": {"index": index, "count": count, "run_id": "abc",
                      "selection": "limit=- sample=-"},
        });
        edit(&mut m);
        std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
        let manifest: Manifest = serde_json::from_value(m).unwrap();
        let s = summary::build(
            Vec::<crate::journal::ItemRecord>::new(),
            summary::Context {
                manifest: &manifest,
                metric_names: &["relaxed_accuracy"],
                primary_metric: "relaxed_accuracy",
                selected: Some(0),
                invalid: 0,
                requests: Default::default(),
                wall_time_s: 1.0,
                peak_rss_mib: None,
                finished_at: None,
            },
        );
        std::fs::write(dir.join("summary.json"), serde_json::to_vec(&s).unwrap()).unwrap();
        dir
    }

    fn refused(dirs: &[PathBuf]) -> String {
        match check(dirs) {
            Ok(_) => panic!("{dirs:?} should be refused"),
            Err(e) => format!("{e:#}"),
        }
    }

    fn keep(_: &mut Value) {}

    /// A change to a shard's manifest.
    type Edit = Box<dyn Fn(&mut Value)>;

    #[test]
    fn the_shards_of_one_run_pass_in_shard_order() {
        let tmp = tempfile::tempdir().unwrap();
        let b = shard(tmp.path(), "b", 1, 2, keep);
        // Another folder and modification time of the same data is the same data.
        let a = shard(tmp.path(), "a", 0, 2, |m| {
            m["data"]["files"][0]["path"] = "/mnt/other/test_human.json".into();
            m["data"]["files"][0]["modified"] = "2026-02-02T00:00:00+00:00".into();
            m["data"]["path"] = "/mnt/other".into();
        });
        let shards = check(&[b, a]).unwrap();
        let order: Vec<u32> = shards.iter().map(|s| s.shard.index).collect();
        assert_eq!(order, vec![0, 1]);
    }

    #[test]
    fn shards_of_different_runs_are_refused_naming_the_directory_and_field() {
        let tmp = tempfile::tempdir().unwrap();
        let first = shard(tmp.path(), "first", 0, 2, keep);
        let cases: Vec<(&str, Edit)> = vec![
            ("shard.count", Box::new(|m| m["shard"]["count"] = 3.into())),
            (
                "evalkit_version",
                Box::new(|m| m["evalkit_version"] = "0.2.0".into()),
            ),
            (
                "model.name",
                Box::new(|m| m["model"]["name"] = "other".into()),
            ),
            (
                "model_fingerprint",
                Box::new(|m| m["model_fingerprint"] = "openai|model=m|temperature=0.5".into()),
            ),
            (
                "prompt_template",
                Box::new(|m| m["prompt_template"] = "Q: {question}".into()),
            ),
            ("strategy", Box::new(|m| m["strategy"] = "cot".into())),
            (
                "judge",
                Box::new(|m| {
                    m["judge"] = json!({"name": "j", "kind": "openai",
                                        "base_url": "http://127.0.0.1:9/v1", "model": "j"})
                }),
            ),
            (
                "data.format",
                Box::new(|m| m["data"]["format"] = "chartqa-tsv".into()),
            ),
            (
                "data.files",
                Box::new(|m| m["data"]["files"][0]["head_tail_blake3"] = "bb".into()),
            ),
            (
                "shard.selection",
                Box::new(|m| m["shard"]["selection"] = "limit=100 sample=-".into()),
            ),
            (
                "suite.breakdown",
                Box::new(|m| m["suite"]["breakdown"] = json!([])),
            ),
        ];
        for (i, (field, edit)) in cases.iter().enumerate() {
            let other = shard(tmp.path(), &format!("other{i}"), 1, 2, edit);
            let e = refused(&[first.clone(), other.clone()]);
            assert!(e.contains(&format!("`{field}` differs")), "{field}: {e}");
            assert!(
                e.contains(&format!(
                    "{} is not a shard of the same run",
                    other.display()
                )),
                "{field}: {e}"
            );
        }
    }

    #[test]
    fn overlapping_missing_unfinished_and_other_directories_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let s0 = shard(root, "s0", 0, 3, keep);
        let s1 = shard(root, "s1", 1, 3, keep);
        let s2 = shard(root, "s2", 2, 3, keep);
        assert!(check(&[s0.clone(), s1.clone(), s2.clone()]).is_ok());

        let e = refused(&[s0.clone(), s1.clone()]);
        assert!(
            e.contains("missing shard(s) 2/3") && e.contains("--shard 2/3"),
            "{e}"
        );
        let e = refused(&[s0.clone(), s0.clone(), s1.clone(), s2.clone()]);
        assert!(
            e.contains(&format!("{} is given twice", s0.display())),
            "{e}"
        );
        let again = shard(root, "again", 1, 3, keep);
        let e = refused(&[s0.clone(), s1.clone(), again.clone(), s2.clone()]);
        assert!(
            e.contains("both shard 1/3") && e.contains(&again.display().to_string()),
            "{e}"
        );

        let stopped = shard(root, "stopped", 2, 3, |m| {
            m["sessions"][0]["outcome"] = "interrupted".into()
        });
        let e = refused(&[s0.clone(), s1.clone(), stopped.clone()]);
        assert!(
            e.contains(&format!("{} (shard 2/3) is unfinished", stopped.display()))
                && e.contains("`interrupted`")
                && e.contains("evalkit run --shard 2/3"),
            "{e}"
        );
        let running = shard(root, "running", 2, 3, |m| {
            m["sessions"][0]["outcome"] = Value::Null
        });
        let e = refused(&[s0.clone(), s1.clone(), running]);
        assert!(e.contains("still running, or killed"), "{e}");
        let pending = shard(root, "pending", 2, 3, keep);
        let mut s: Value =
            serde_json::from_slice(&std::fs::read(pending.join("summary.json")).unwrap()).unwrap();
        s["complete"] = false.into();
        s["counts"]["pending"] = 5.into();
        std::fs::write(pending.join("summary.json"), s.to_string()).unwrap();
        let e = refused(&[s0.clone(), s1.clone(), pending.clone()]);
        assert!(
            e.contains("unfinished") && e.contains("`complete` is false (5 items pending)"),
            "{e}"
        );

        let whole = shard(root, "whole", 0, 1, |m| {
            m.as_object_mut().unwrap().remove("shard");
        });
        let e = refused(&[whole.clone(), s1.clone()]);
        assert!(
            e.contains(&format!("{} is not a shard", whole.display())),
            "{e}"
        );
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = refused(std::slice::from_ref(&empty));
        assert!(
            e.contains("is not a run directory (no manifest.json)"),
            "{e}"
        );
    }
}
