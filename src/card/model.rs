//! Model cards: how to reach a model and the settings that shape its answers.
//!
//! A card of kind `openai` describes any server speaking the OpenAI chat-completions
//! protocol (OpenAI, vLLM, SGLang, llama.cpp, Ollama). The API key itself never appears in
//! a card: the card names the environment variable that holds it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{field_error, parse_toml};

/// How message content is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentMode {
    /// OpenAI vision format: a list of text and `image_url` parts (base64 data URLs).
    Parts,
    /// A plain string; images are left out (and the manifest says so). For servers such
    /// as llama.cpp's that reject lists of parts.
    Text,
}

/// The kinds of model adapters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// An OpenAI-compatible chat-completions endpoint.
    Openai,
    /// PP-OCR detection + recognition through ONNX Runtime, in process.
    OnnxOcr,
    /// An image-to-text model (Pix2Struct family) in the Hugging Face Optimum layout.
    OnnxImage2text,
}

/// A parsed model card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// The name used in run directories and reports (defaults to the file stem).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: ModelKind,
    /// `openai`: e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    #[serde(default)]
    pub base_url: String,
    /// `openai`: the model name sent in each request.
    #[serde(default)]
    pub model: String,
    /// `onnx-*`: the model directory (absolute, or relative to the card's folder; `~` and
    /// `$EVALKIT_CACHE` are expanded).
    #[serde(default)]
    pub model_dir: Option<PathBuf>,
    /// `onnx-*`: the ONNX Runtime shared library; default `$ORT_DYLIB_PATH`, then evalkit's
    /// cache (installed by `scripts/setup.sh`).
    #[serde(default)]
    pub ort_library: Option<PathBuf>,
    /// `onnx-*`: intra-op threads per session (default: the machine's cores).
    #[serde(default)]
    pub intra_threads: Option<usize>,
    /// `onnx-*`: items per session run.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// `onnx-*`: `cpu` (default) or `cuda` when the library has it.
    #[serde(default)]
    pub execution_provider: Option<String>,
    /// The environment variable holding the API key; unset variable = no key sent.
    #[serde(default = "default_api_key_env")]
    pub api_key_env: String,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
    /// New tokens per answer (default 256; `onnx-image2text`: the model's
    /// generation_config.json).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: f32,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Per-request timeout in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: f64,
    /// Attempts per request before the item is recorded as failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay in seconds; doubles each attempt, with jitter.
    #[serde(default = "default_backoff")]
    pub backoff_secs: f64,
    /// Longest wait between attempts in seconds (also caps `Retry-After`).
    #[serde(default = "default_max_backoff")]
    pub max_backoff_secs: f64,
    #[serde(default = "default_content")]
    pub content: ContentMode,
    /// Resize images so their longer side is at most this many pixels (re-encodes as
    /// PNG). Unset: images are sent exactly as stored.
    #[serde(default)]
    pub image_max_side: Option<u32>,
    /// An optional system prompt.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// The file the card was read from (not part of the TOML).
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_api_key_env() -> String {
    "OPENAI_API_KEY".into()
}
fn default_concurrency() -> usize {
    8
}
fn default_timeout() -> f64 {
    120.0
}
fn default_attempts() -> u32 {
    5
}
fn default_backoff() -> f64 {
    1.0
}
fn default_max_backoff() -> f64 {
    60.0
}
fn default_content() -> ContentMode {
    ContentMode::Parts
}

impl ModelCard {
    /// New tokens per answer for chat models: the card's `max_tokens`, else 256.
    pub fn max_tokens(&self) -> u32 {
        self.max_tokens.unwrap_or(256)
    }

    /// Requests the scheduler keeps in flight for `batches` concurrent calls: a local
    /// image-to-text model runs `batch_size` requests per session call, so it takes
    /// `batches x batch_size`; every other kind takes `batches`.
    pub fn requests_in_flight(&self, batches: usize) -> usize {
        match self.kind {
            ModelKind::OnnxImage2text => batches * self.batch_size.unwrap_or(1),
            _ => batches,
        }
    }

    /// Reads and validates a model card.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut card: ModelCard = parse_toml(path)?;
        card.path = path.to_path_buf();
        if card.name.is_empty() {
            card.name = stem(path);
        }
        card.validate()?;
        Ok(card)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let p = &self.path;
        match self.kind {
            ModelKind::Openai => {
                if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://"))
                {
                    return Err(field_error(
                        p,
                        "base_url",
                        "must start with http:// or https://",
                        format!("{:?}", self.base_url),
                    ));
                }
                if self.model.trim().is_empty() {
                    return Err(field_error(
                        p,
                        "model",
                        "must name the model to request",
                        "an empty string",
                    ));
                }
            }
            ModelKind::OnnxOcr | ModelKind::OnnxImage2text => {
                if self.model_dir.is_none() {
                    return Err(field_error(
                        p,
                        "model_dir",
                        "must name the ONNX model directory for an onnx-* kind",
                        "nothing",
                    ));
                }
            }
        }
        if self.batch_size == Some(0) || self.intra_threads == Some(0) {
            return Err(field_error(
                p,
                "batch_size/intra_threads",
                "must be positive",
                0,
            ));
        }
        if self.api_key_env.trim().is_empty() || self.api_key_env.contains(char::is_whitespace) {
            return Err(field_error(
                p,
                "api_key_env",
                "must be an environment variable name",
                format!("{:?}", self.api_key_env),
            ));
        }
        if self.max_concurrency == 0 || self.max_concurrency > 4096 {
            return Err(field_error(
                p,
                "max_concurrency",
                "must be between 1 and 4096",
                self.max_concurrency,
            ));
        }
        if self.requests_per_minute == Some(0) {
            return Err(field_error(
                p,
                "requests_per_minute",
                "must be positive (leave it out for no limit)",
                0,
            ));
        }
        if self.tokens_per_minute == Some(0) {
            return Err(field_error(
                p,
                "tokens_per_minute",
                "must be positive (leave it out for no limit)",
                0,
            ));
        }
        if self.max_tokens == Some(0) {
            return Err(field_error(p, "max_tokens", "must be positive", 0));
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return Err(field_error(
                p,
                "temperature",
                "must be between 0 and 2",
                self.temperature,
            ));
        }
        if !(self.timeout_secs.is_finite() && self.timeout_secs > 0.0) {
            return Err(field_error(
                p,
                "timeout_secs",
                "must be a positive number of seconds",
                self.timeout_secs,
            ));
        }
        if self.max_attempts == 0 || self.max_attempts > 100 {
            return Err(field_error(
                p,
                "max_attempts",
                "must be between 1 and 100",
                self.max_attempts,
            ));
        }
        for (field, v) in [
            ("backoff_secs", self.backoff_secs),
            ("max_backoff_secs", self.max_backoff_secs),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(field_error(
                    p,
                    field,
                    "must be a non-negative number of seconds",
                    v,
                ));
            }
        }
        if self.image_max_side == Some(0) {
            return Err(field_error(
                p,
                "image_max_side",
                "must be positive (leave it out to send images as stored)",
                0,
            ));
        }
        Ok(())
    }
}

pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> anyhow::Result<ModelCard> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("m.toml");
        std::fs::write(&path, text)?;
        ModelCard::load(&path)
    }

    const MINIMAL: &str =
        "kind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"x\"\n";

    #[test]
    fn minimal_card_gets_defaults() {
        let card = load_str(MINIMAL).unwrap();
        assert_eq!(card.name, "m");
        assert_eq!(card.api_key_env, "OPENAI_API_KEY");
        assert_eq!(card.content, ContentMode::Parts);
        assert_eq!(card.max_attempts, 5);
    }

    #[test]
    fn onnx_cards_need_a_model_dir_not_a_url() {
        let card = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"/models/ppocr\"\n").unwrap();
        assert_eq!(card.kind, ModelKind::OnnxOcr);
        let err = load_str("kind = \"onnx-ocr\"\n").unwrap_err().to_string();
        assert!(err.contains("model_dir"), "{err}");
        let err = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"x\"\nbatch_size = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("batch_size"), "{err}");
    }

    #[test]
    fn errors_name_file_and_field() {
        // Every field with a wrong type, and every bounded field out of range.
        let cases = [
            ("name = 3\n", "name"),
            ("description = []\n", "description"),
            ("api_key_env = \"\"\n", "api_key_env"),
            ("api_key_env = \"MY KEY\"\n", "api_key_env"),
            ("api_key_env = 5\n", "api_key_env"),
            ("max_concurrency = 0\n", "max_concurrency"),
            ("max_concurrency = -3\n", "max_concurrency"),
            ("max_concurrency = \"lots\"\n", "max_concurrency"),
            ("max_concurrency = 100000\n", "max_concurrency"),
            ("requests_per_minute = 0\n", "requests_per_minute"),
            ("requests_per_minute = 1.5\n", "requests_per_minute"),
            ("tokens_per_minute = 0\n", "tokens_per_minute"),
            ("tokens_per_minute = \"many\"\n", "tokens_per_minute"),
            ("max_tokens = 0\n", "max_tokens"),
            ("max_tokens = -1\n", "max_tokens"),
            ("temperature = 3.0\n", "temperature"),
            ("temperature = -0.1\n", "temperature"),
            ("temperature = \"hot\"\n", "temperature"),
            ("seed = -1\n", "seed"),
            ("seed = \"x\"\n", "seed"),
            ("timeout_secs = -1.0\n", "timeout_secs"),
            ("timeout_secs = 0\n", "timeout_secs"),
            ("timeout_secs = nan\n", "timeout_secs"),
            ("max_attempts = 0\n", "max_attempts"),
            ("max_attempts = 1000\n", "max_attempts"),
            ("backoff_secs = -2\n", "backoff_secs"),
            ("max_backoff_secs = inf\n", "max_backoff_secs"),
            ("content = \"images\"\n", "content"),
            ("image_max_side = 0\n", "image_max_side"),
            ("image_max_side = \"big\"\n", "image_max_side"),
            ("system_prompt = 1\n", "system_prompt"),
            ("max_tokns = 5\n", "max_tokns"),
        ];
        for (extra, field) in cases {
            let err = load_str(&format!("{MINIMAL}{extra}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("m.toml"), "{err}");
            assert!(err.contains(field), "{field}: {err}");
        }
        let err = load_str("kind = \"openai\"\nmodel = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url"), "{err}");
        let err = load_str("kind = \"openai\"\nbase_url = \"ftp://x\"\nmodel = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("base_url") && err.contains("http"), "{err}");
    }
}
