//! Which scores may be ranked together. Two runs of a suite are comparable only when they
//! share the prompt, protocol, strategy, judge, subset of items, data (the files'
//! fingerprints) and scoring version (scorer and evalkit version); the leaderboard ranks
//! the largest such group of each suite and marks every other run with what differs,
//! never ranking it silently beside the rest (the grouping is [`super::frame`]'s).

use crate::journal::RunDir;

/// The settings that must agree, as strings (hashed where long).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Setting {
    pub prompt: String,
    pub protocol: String,
    pub strategy: String,
    pub judge: String,
    pub subset: String,
    pub data: String,
    pub scoring: String,
}

fn short_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..12].to_string()
}

/// A run's comparability setting.
pub fn setting(run: &RunDir) -> Setting {
    let m = &run.manifest;
    let mut ids: Vec<&str> = run.records.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let files = serde_json::to_string(&m.data.files).unwrap_or_default();
    Setting {
        prompt: short_hash(&m.prompt_template),
        protocol: super::select::protocol(run),
        strategy: m.strategy.clone(),
        judge: m.judge.as_ref().map_or(String::new(), |j| j.name.clone()),
        subset: format!("{} items {}", ids.len(), short_hash(&ids.join("\n"))),
        data: short_hash(&files),
        scoring: format!("{} {}", m.suite.scorer, m.evalkit_version),
    }
}
