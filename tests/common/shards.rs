//! Helpers of the shard tests (tests/shards.rs, tests/slurm_shards.rs): the shard
//! directories a set of `evalkit run --shard` left, and the field-by-field comparison of a
//! merged summary with the unsharded run's.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Fields that measure time or one process (not what was evaluated): left out of the
/// comparison. Everything else must be equal.
pub const TIMINGS: &[&str] = &["wall_time_s", "started_at", "finished_at", "peak_rss_mib"];

/// Asserts that `merged` equals `whole` in every field but [`TIMINGS`] and
/// `requests.per_second` (requests over wall time), naming the first field that differs.
pub fn assert_same_summary(whole: &Value, merged: &Value) {
    let (Value::Object(a), Value::Object(b)) = (whole, merged) else {
        panic!("summaries are not objects: {whole} / {merged}");
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut compared = 0;
    for key in keys {
        if TIMINGS.contains(&key.as_str()) {
            continue;
        }
        let (x, y) = (a.get(key), b.get(key));
        if key == "requests" {
            let strip = |v: Option<&Value>| {
                let mut v = v.cloned().unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.remove("per_second");
                }
                v
            };
            assert_eq!(strip(x), strip(y), "summary field `requests` differs");
        } else {
            assert_eq!(x, y, "summary field `{key}` differs");
        }
        compared += 1;
    }
    assert!(compared >= 15, "too few fields compared: {compared}");
}

/// The shard directories under `out` (runs/SUITE/MODEL/RUNID-shardIofN), sorted by path.
pub fn shard_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for suite in std::fs::read_dir(out).expect("out dir").flatten() {
        for model in std::fs::read_dir(suite.path())
            .expect("suite dir")
            .flatten()
        {
            for run in std::fs::read_dir(model.path())
                .expect("model dir")
                .flatten()
            {
                if run.file_name().to_string_lossy().contains("-shard") {
                    dirs.push(run.path());
                }
            }
        }
    }
    dirs.sort();
    dirs
}

/// A run directory's JSON file.
pub fn json(dir: &Path, name: &str) -> Value {
    let path = dir.join(name);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
