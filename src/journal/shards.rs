//! What a run directory's manifest says about shards: a shard's place in the whole run
//! (`--shard I/N`, written by `evalkit run`) and, in a directory `evalkit merge` wrote,
//! the shard directories it was joined from. Data of the run directory, beside the
//! manifest; the slicing itself is `suite::shard`, the joining `run::merge`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `manifest.json`'s `shard`: this directory holds shard `index` of `count` of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    pub index: u32,
    pub count: u32,
    /// The run id of the whole run (what an unsharded run of the same settings is named;
    /// the merged directory takes it).
    pub run_id: String,
    /// The rows the shards split, as given: `limit=N|-`, `sample=N|-`, `seed=S` (with a
    /// sample). Shards of other selections are refused by `evalkit merge`.
    pub selection: String,
}

/// `manifest.json`'s `merged_from`: one shard directory a merged run was joined from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedShard {
    pub dir: PathBuf,
    pub run_id: String,
    pub index: u32,
    pub count: u32,
    /// The shard's selected items.
    pub items: u64,
}
