//! Which runs a leaderboard shows: only finished runs (a stored summary that says
//! `complete`), and of several runs of one entry (model and strategy), suite and protocol,
//! the newest (by the last session's end), with the older ones listed as superseded so
//! the page says which run each row is.

use std::collections::BTreeMap;

use crate::journal::RunDir;

/// The scoring protocol whose prompts a run sent (`evalkit run --protocol`), from its
/// manifest (`official` for runs from before protocols).
pub fn protocol(run: &RunDir) -> String {
    run.manifest.protocol.as_str().to_string()
}

/// How a leaderboard names a run's model: the model card, with the strategy when it is
/// not `direct` (the same model answering another way is another entry).
pub fn entry_label(run: &RunDir) -> String {
    crate::report::compare::run_label(run)
}

/// When a run last finished (RFC 3339), for "newest" and the page's run date.
pub fn finished_at(run: &RunDir) -> String {
    run.summary
        .as_ref()
        .and_then(|s| s.finished_at.clone())
        .or_else(|| {
            run.manifest
                .sessions
                .iter()
                .rev()
                .find_map(|s| s.finished_at.clone())
        })
        .unwrap_or_default()
}

/// What was chosen and what was left out.
pub struct Selection {
    /// The newest complete run per entry, suite and protocol, in the order first seen.
    pub chosen: Vec<RunDir>,
    /// Runs left out, each with why.
    pub left_out: Vec<(std::path::PathBuf, String)>,
}

/// Keeps the newest complete run of each entry, suite and protocol.
pub fn newest_complete(runs: Vec<RunDir>) -> Selection {
    let mut left_out = Vec::new();
    let mut best: BTreeMap<(String, String, String), RunDir> = BTreeMap::new();
    let mut order: Vec<(String, String, String)> = Vec::new();
    for run in runs {
        if let Some(shard) = &run.manifest.shard {
            // A slice of the items: ranking it would score a model on a part of the suite.
            left_out.push((
                run.path.clone(),
                format!(
                    "shard {}/{} of run {} (a slice of the items): join the shards with \
                     `evalkit merge SHARD_DIRS... --out DIR` and rank DIR",
                    shard.index, shard.count, shard.run_id
                ),
            ));
            continue;
        }
        let complete = run.summary.as_ref().is_some_and(|s| s.complete);
        if !complete {
            left_out.push((
                run.path.clone(),
                "not finished (no complete summary.json): resume it with `evalkit run` or \
                 rebuild its summary with `evalkit report DIR --rescore`"
                    .to_string(),
            ));
            continue;
        }
        let key = (
            entry_label(&run),
            run.manifest.suite.name.clone(),
            protocol(&run),
        );
        match best.get(&key) {
            Some(current) if finished_at(current) >= finished_at(&run) => {
                left_out.push((
                    run.path.clone(),
                    format!("superseded by the newer run {}", current.path.display()),
                ));
            }
            Some(_) => {
                if let Some(old) = best.remove(&key) {
                    left_out.push((
                        old.path.clone(),
                        format!("superseded by the newer run {}", run.path.display()),
                    ));
                }
                best.insert(key, run);
            }
            None => {
                order.push(key.clone());
                best.insert(key, run);
            }
        }
    }
    let chosen = order.iter().filter_map(|k| best.remove(k)).collect();
    Selection { chosen, left_out }
}
