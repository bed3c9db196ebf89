//! What a leaderboard knows of a run to choose it: its entry (model and strategy),
//! protocol and finish time. Only finished runs (a stored summary that says `complete`)
//! are shown, and of several runs of one entry, suite and protocol the newest (by the last
//! session's end), the older ones listed as superseded so the page says which run each row
//! is; that choice is made over all runs at once in [`super::frame`].

use crate::journal::RunDir;

/// The scoring protocol of a run. Protocols are not built yet: every run is `official`,
/// and this is the one place that will read it from the manifest.
pub fn protocol(_run: &RunDir) -> String {
    "official".to_string()
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
