//! `manifest.json`: the cards as resolved, the prompt, the data files' fingerprints, the
//! evalkit version and each session's start and end, so a run directory describes itself.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::card::model::ModelCard;
use crate::card::suite::SuiteCard;
use crate::suite::locate::FileFingerprint;

/// One `evalkit run` invocation on this run directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `completed`, `interrupted` or `failed: ...`.
    pub outcome: Option<String>,
    pub items_selected: u64,
    pub requests_sent: u64,
    /// The fingerprint of the selected items' data (see `selection.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_fingerprint: Option<String>,
}

/// Where the data came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    pub format: String,
    pub path: PathBuf,
    pub files: Vec<FileFingerprint>,
}

/// The self-description of a run directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub run_id: String,
    pub evalkit_version: String,
    pub suite: SuiteCard,
    /// The model card as resolved (it holds the key's variable name, never the key).
    pub model: ModelCard,
    pub model_fingerprint: String,
    /// The judge model card, when `--judge` was given (the latest session's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<ModelCard>,
    pub strategy: String,
    /// The protocol whose prompt side the run uses (`--protocol`; absent in manifests written
    /// before protocols, which are all `official`).
    #[serde(default)]
    pub protocol: crate::score::protocol::ProtocolName,
    pub prompt_template: String,
    pub data: DataInfo,
    /// False when the card's `content = "text"` leaves images out of requests.
    pub images_sent: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The command that resumes this run.
    pub resume_command: String,
    pub sessions: Vec<Session>,
    /// A shard's place in the whole run (`evalkit run --shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::shards::ShardOf>,
    /// The shards `evalkit merge` joined into this directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<super::shards::MergedShard>,
}

impl Manifest {
    pub const SCHEMA: &'static str = "evalkit.manifest/1";

    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(super::MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read {}: {e} (is it a run directory?)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not a valid manifest: {e}", path.display()))
    }

    /// The manifest of a run directory that may be new: None when there is none yet. One
    /// that exists but cannot be read is an error, never a reason to start a new history
    /// over the old one (it holds every session of the run).
    pub fn read_existing(dir: &Path) -> anyhow::Result<Option<Manifest>> {
        let path = dir.join(super::MANIFEST);
        if !path.exists() {
            return Ok(None);
        }
        Self::read(dir).map(Some).map_err(|e| {
            e.context(format!(
                "refusing to replace {} (it holds the run's session history): repair it, \
                 move it away to start a new history in this directory, or give the run \
                 another --out",
                path.display()
            ))
        })
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        super::write_atomic(
            &dir.join(super::MANIFEST),
            &serde_json::to_vec_pretty(self)?,
        )
    }
}
