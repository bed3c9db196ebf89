//! The on-disk request cache shared across runs: one small JSON file per answered request,
//! `<dir>/<hash[0..2]>/<hash>.json`, keyed by the request hash (model fingerprint + request
//! content). It lets perception descriptions be reused by every reasoning model and an
//! ablation re-use what an earlier run already paid for. Writes go to a temporary file and
//! are renamed, so a crash never leaves a torn entry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::adapter::{Response, Usage};

/// A directory of cached responses.
#[derive(Clone, Debug)]
pub struct DiskCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    text: String,
    usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reasoning: Option<String>,
}

impl DiskCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$EVALKIT_CACHE/requests`.
    pub fn default_dir() -> PathBuf {
        crate::paths::cache_dir().join("requests")
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        let ok = hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| self.dir.join(&hash[..2]).join(format!("{hash}.json")))
    }

    /// The cached response for a hash, if any (an unreadable entry counts as missing).
    pub fn get(&self, hash: &str) -> Option<Response> {
        let bytes = std::fs::read(self.path(hash)?).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        Some(Response {
            text: entry.text,
            usage: entry.usage,
            finish_reason: entry.finish_reason,
            reasoning: entry.reasoning,
            ..Response::default()
        })
    }

    /// Stores a response; failures are ignored (the cache is an optimisation).
    pub fn put(&self, hash: &str, response: &Response) {
        let Some(path) = self.path(hash) else { return };
        let entry = Entry {
            text: response.text.clone(),
            usage: response.usage,
            finish_reason: response.finish_reason.clone(),
            reasoning: response.reasoning.clone(),
        };
        let (Some(parent), Ok(bytes)) = (path.parent(), serde_json::to_vec(&entry)) else {
            return;
        };
        let tmp = parent.join(format!(".{hash}.{}.tmp", std::process::id()));
        let _ = std::fs::create_dir_all(parent)
            .and_then(|_| std::fs::write(&tmp, &bytes))
            .and_then(|_| std::fs::rename(&tmp, &path));
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn round_trips_and_ignores_bad_keys() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path());
        let r = Response {
            text: "a table".into(),
            usage: None,
            latency: Duration::from_secs(3),
            ..Response::default()
        };
        assert!(cache.get("0123456789abcdef").is_none());
        cache.put("0123456789abcdef", &r);
        let back = cache.get("0123456789abcdef").unwrap();
        assert_eq!(back.text, "a table");
        assert_eq!(back.latency, Duration::ZERO);
        // Keys that are not hashes never become paths (no escaping the cache directory).
        assert!(cache.path("../../etc/passwd").is_none());
        cache.put("../../etc/passwd", &r);
        assert!(cache.get("../../etc/passwd").is_none());
    }
}
