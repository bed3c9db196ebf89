//! Model cards: how to reach a model and the settings that shape its answers.
//!
//! A card is the settings every kind of model shares (the fields of [`ModelCard`]: its
//! name, limits and retries, sampling defaults, how images are sent) and the settings of
//! its adapter kind ([`AdapterSettings`], picked by `kind`; see [`super::kinds`]). The TOML
//! stays flat (`kind = "openai"` next to `base_url` and `max_concurrency`), and so does the
//! JSON a run's manifest stores.
//!
//! Parsing is strict in two steps: every key is first checked against the shared settings
//! and the kind's own, so a setting of another kind is an error that names the field, the
//! kind and the line; then serde reads the values, and [`ModelCard::load`] checks their
//! ranges (a duration of 1e20 seconds is a card error, not a panic later).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use super::concurrency::MaxConcurrency;
use super::concurrency::{DEFAULT_AUTO_LIMIT, MAX_REQUESTS_IN_FLIGHT};
pub use super::kinds::{AdapterSettings, Endpoint, ModelKind, OnnxSettings, OpenaiSettings};
use super::{field_error, located, parse_toml_str, read_card};

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

/// The longest duration a card may set (`timeout_secs`, `backoff_secs`,
/// `max_backoff_secs`): one day.
pub const MAX_SECS: f64 = 86_400.0;

/// A parsed model card: the settings every kind shares, and the kind's own in `adapter`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The name used in run directories and reports (defaults to the file stem).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `kind` and the settings that belong to it.
    #[serde(flatten)]
    pub adapter: AdapterSettings,
    /// Requests in flight at once: a number, or `"auto"` (found while the run goes,
    /// between 1 and `max_concurrency_limit`).
    #[serde(default)]
    pub max_concurrency: MaxConcurrency,
    /// With `max_concurrency = "auto"`: the most requests in flight (default 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency_limit: Option<usize>,
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
    /// The longest answer text (and reasoning text) kept from one reply, in bytes; longer
    /// text is cut (at a character boundary) and the cut recorded in the call's
    /// `finish_reason`. A reply body over 4x this plus 1 MiB is not read at all.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    /// With `image_max_side`, images over this many pixels (width x height, read from the
    /// header) are not decoded: their rows are invalid, with the reason.
    #[serde(default = "default_max_image_pixels")]
    pub max_image_pixels: u64,
    /// Where the card was read from (not part of the TOML): a file, or
    /// `<shipped>/adapters/NAME.toml` for a card built into evalkit.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The keys of the settings every kind shares (`kind` and the kind's own are apart).
pub const SHARED_FIELDS: &[&str] = &[
    "name",
    "description",
    "max_concurrency",
    "max_concurrency_limit",
    "requests_per_minute",
    "tokens_per_minute",
    "max_tokens",
    "temperature",
    "seed",
    "timeout_secs",
    "max_attempts",
    "backoff_secs",
    "max_backoff_secs",
    "content",
    "image_max_side",
    "max_response_bytes",
    "max_image_pixels",
];

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
/// 1 MiB of answer text.
pub fn default_max_response_bytes() -> u64 {
    1 << 20
}
/// 64 megapixels (8000 x 8000), about 256 MB decoded as RGBA.
pub fn default_max_image_pixels() -> u64 {
    64_000_000
}
fn default_content() -> ContentMode {
    ContentMode::Parts
}

impl ModelCard {
    /// The adapter kind.
    pub fn kind(&self) -> ModelKind {
        self.adapter.kind()
    }

    /// The settings of an `openai` card.
    pub fn openai(&self) -> Option<&OpenaiSettings> {
        match &self.adapter {
            AdapterSettings::Openai(s) => Some(s),
            _ => None,
        }
    }

    /// The settings of an `onnx-*` card.
    pub fn onnx(&self) -> Option<&OnnxSettings> {
        match &self.adapter {
            AdapterSettings::OnnxOcr(s) | AdapterSettings::OnnxImage2text(s) => Some(s),
            AdapterSettings::Openai(_) => None,
        }
    }

    /// New tokens per answer for chat models: the card's `max_tokens`, else 256.
    pub fn max_tokens(&self) -> u32 {
        self.max_tokens.unwrap_or(256)
    }

    /// The most calls in flight the card allows: its fixed `max_concurrency`, or under
    /// `"auto"` its `max_concurrency_limit` (default 256).
    pub fn concurrency_ceiling(&self) -> usize {
        match self.max_concurrency {
            MaxConcurrency::Fixed(n) => n.max(1),
            MaxConcurrency::Auto => self.max_concurrency_limit.unwrap_or(DEFAULT_AUTO_LIMIT),
        }
    }

    /// Requests the scheduler keeps in flight for `batches` concurrent calls: a local
    /// image-to-text model runs `batch_size` requests per session call and preprocesses the
    /// next ones meanwhile, so it takes `batches x batch_size x 2`; every other kind takes
    /// `batches`.
    pub fn requests_in_flight(&self, batches: usize) -> usize {
        batches.saturating_mul(self.adapter.requests_per_call())
    }

    /// The card as it may be written to a manifest: a password in `base_url` (or in any
    /// of `base_urls`) replaced.
    pub fn without_secrets(&self) -> ModelCard {
        let mut card = self.clone();
        if let AdapterSettings::Openai(s) = &mut card.adapter {
            *s = s.without_secrets();
        }
        card
    }

    /// The per-request timeout (`timeout_secs`), never a panic on an unchecked value.
    pub fn timeout(&self) -> Duration {
        secs(self.timeout_secs)
    }

    /// The first retry delay (`backoff_secs`).
    pub fn backoff(&self) -> Duration {
        secs(self.backoff_secs)
    }

    /// The longest wait between attempts (`max_backoff_secs`).
    pub fn max_backoff(&self) -> Duration {
        secs(self.max_backoff_secs)
    }

    /// Reads and validates a model card: a file, or a card shipped inside evalkit
    /// (`<shipped>/adapters/NAME.toml`, as [`super::find::resolve`] names them).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        Self::parse(&read_card(path)?, path)
    }

    /// Parses and validates the text of a card; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        let kind = check_keys(text, path)?;
        let adapter = AdapterSettings::parse(kind, text, path)?;
        let mut card: ModelCard = parse_toml_str(text, path)?;
        card.adapter = adapter;
        card.path = path.to_path_buf();
        if card.name.is_empty() {
            card.name = stem(path);
        }
        card.validate()?;
        Ok(card)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let p = &self.path;
        self.adapter.validate(p)?;
        self.validate_concurrency()?;
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
        if !(self.timeout_secs.is_finite()
            && self.timeout_secs > 0.0
            && self.timeout_secs <= MAX_SECS)
        {
            return Err(field_error(
                p,
                "timeout_secs",
                &format!("must be a positive number of seconds, at most {MAX_SECS} (one day)"),
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
            if !(v.is_finite() && (0.0..=MAX_SECS).contains(&v)) {
                return Err(field_error(
                    p,
                    field,
                    &format!(
                        "must be a non-negative number of seconds, at most {MAX_SECS} (one day)"
                    ),
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
        if !(1..=(1 << 30)).contains(&self.max_response_bytes) {
            return Err(field_error(
                p,
                "max_response_bytes",
                "must be between 1 and 1073741824 (1 GiB)",
                self.max_response_bytes,
            ));
        }
        if !(1..=1_000_000_000).contains(&self.max_image_pixels) {
            return Err(field_error(
                p,
                "max_image_pixels",
                "must be between 1 and 1000000000",
                self.max_image_pixels,
            ));
        }
        if self.content == ContentMode::Text && self.kind() != ModelKind::Openai {
            return Err(field_error(
                p,
                "content",
                &format!(
                    "can only be \"parts\" for kind `{}` (plain text leaves the images out; only kind `openai` sends it)",
                    self.kind().name()
                ),
                "\"text\"",
            ));
        }
        Ok(())
    }
}

impl ModelCard {
    /// `max_concurrency` in range; `"auto"` only for kind `openai` (a local model never
    /// answers 429); `max_concurrency_limit` only with `"auto"`.
    fn validate_concurrency(&self) -> anyhow::Result<()> {
        let p = &self.path;
        let range = 1..=MAX_REQUESTS_IN_FLIGHT;
        match self.max_concurrency {
            MaxConcurrency::Fixed(n) if !range.contains(&n) => {
                return Err(field_error(
                    p,
                    "max_concurrency",
                    &format!("must be between 1 and {MAX_REQUESTS_IN_FLIGHT}, or \"auto\""),
                    n,
                ));
            }
            MaxConcurrency::Fixed(_) => {
                if let Some(limit) = self.max_concurrency_limit {
                    return Err(field_error(
                        p,
                        "max_concurrency_limit",
                        "is used only with max_concurrency = \"auto\"; remove it, or set \
                         max_concurrency = \"auto\"",
                        limit,
                    ));
                }
            }
            MaxConcurrency::Auto => {
                if self.kind() != ModelKind::Openai {
                    return Err(field_error(
                        p,
                        "max_concurrency",
                        &format!(
                            "can be \"auto\" only for kind `openai` (a `{}` model runs in \
                             process); give a number",
                            self.kind().name()
                        ),
                        "\"auto\"",
                    ));
                }
                if let Some(limit) = self.max_concurrency_limit
                    && !range.contains(&limit)
                {
                    return Err(field_error(
                        p,
                        "max_concurrency_limit",
                        &format!("must be between 1 and {MAX_REQUESTS_IN_FLIGHT}"),
                        limit,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Seconds from a card as a duration; out-of-range values (which [`ModelCard::load`]
/// rejects) become the longest a card may set instead of a panic.
fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.clamp(0.0, MAX_SECS))
        .unwrap_or(Duration::from_secs(MAX_SECS as u64))
}

/// Checks every top-level key of a card against the shared settings and those of its
/// kind, so a setting of another kind or a typo is an error naming the field and line.
/// Returns the card's kind.
fn check_keys(text: &str, path: &Path) -> anyhow::Result<ModelKind> {
    let table = toml::de::DeTable::parse(text).map_err(|e| super::toml_error(&e, text, path))?;
    let table = table.get_ref();
    let Some((_, kind_value)) = table.iter().find(|(k, _)| k.get_ref() == "kind") else {
        anyhow::bail!(
            "invalid card {}: field `kind` is missing; add `kind = \"openai\"` (or another of {})",
            path.display(),
            ModelKind::names()
        );
    };
    let Some(kind) = kind_value.get_ref().as_str().and_then(ModelKind::from_name) else {
        let span = kind_value.span();
        anyhow::bail!(
            "invalid card {}{}: field `kind` must be one of {}, got {}",
            path.display(),
            located(text, span.start),
            ModelKind::names(),
            text.get(span).unwrap_or("?")
        );
    };
    for (key, _) in table.iter() {
        let name: &str = key.get_ref();
        if name == "kind" || SHARED_FIELDS.contains(&name) || kind.fields().contains(&name) {
            continue;
        }
        let at = located(text, key.span().start);
        let owners: Vec<String> = ModelKind::ALL
            .iter()
            .filter(|k| k.fields().contains(&name))
            .map(|k| format!("`{}`", k.name()))
            .collect();
        if !owners.is_empty() {
            anyhow::bail!(
                "invalid card {}{at}: field `{name}` is not a setting of kind `{}` (it is one of kind {}); remove it, or change `kind`",
                path.display(),
                kind.name(),
                owners.join(", ")
            );
        }
        let known: Vec<&str> = SHARED_FIELDS.iter().chain(kind.fields()).copied().collect();
        anyhow::bail!(
            "invalid card {}{at}: unknown field `{name}`; a card of kind `{}` takes `kind`, {}",
            path.display(),
            kind.name(),
            known
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(kind)
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
        assert_eq!(card.openai().unwrap().api_key_env, "OPENAI_API_KEY");
        assert_eq!(card.content, ContentMode::Parts);
        assert_eq!(card.max_attempts, 5);
    }

    #[test]
    fn onnx_cards_need_a_model_dir_not_a_url() {
        let card = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"/models/ppocr\"\n").unwrap();
        assert_eq!(card.kind(), ModelKind::OnnxOcr);
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

    #[test]
    fn a_setting_of_another_kind_names_the_field_the_kind_and_the_line() {
        let err = load_str(&format!("{MINIMAL}model_dir = \"/m\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("m.toml")
                && err.contains("line 4")
                && err.contains("field `model_dir` is not a setting of kind `openai`")
                && err.contains("`onnx-ocr`"),
            "{err}"
        );
        for extra in [
            "base_url = \"http://x\"\n",
            "model = \"m\"\n",
            "system_prompt = \"hi\"\n",
        ] {
            let err = load_str(&format!("kind = \"onnx-ocr\"\nmodel_dir = \"/m\"\n{extra}"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("is not a setting of kind `onnx-ocr`") && err.contains("line 3"),
                "{err}"
            );
        }
        // A typo lists what the kind takes.
        let err = load_str(&format!("{MINIMAL}base_ulr = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `base_ulr`") && err.contains("`base_url`"),
            "{err}"
        );
        let err = load_str("kind = \"onnx\"\n").unwrap_err().to_string();
        assert!(
            err.contains("field `kind` must be one of `openai`, `onnx-ocr`, `onnx-image2text`")
                && err.contains("\"onnx\""),
            "{err}"
        );
        let err = load_str("model = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("field `kind` is missing"), "{err}");
        let err = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"/m\"\ncontent = \"text\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("content") && err.contains("onnx-ocr"), "{err}");
        // A value of the wrong type in a kind's setting names the field and its line.
        let err = load_str("kind = \"onnx-image2text\"\nmodel_dir = \"/m\"\nbatch_size = \"8\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("batch_size") && err.contains("line 3"),
            "{err}"
        );
    }

    #[test]
    fn replicas_and_auto_concurrency() {
        let two = "kind = \"openai\"\nmodel = \"x\"\nbase_urls = [\"http://a:1/v1\", \"http://u:pw@b:2/v1\"]\n";
        let card = load_str(two).unwrap();
        let s = card.openai().unwrap();
        assert_eq!(s.urls(), vec!["http://a:1/v1", "http://u:pw@b:2/v1"]);
        assert_eq!(s.url_passwords(), vec!["pw"]);
        let stored = serde_json::to_value(card.without_secrets()).unwrap();
        assert_eq!(
            stored["base_urls"],
            serde_json::json!(["http://a:1/v1", "http://u:[REDACTED]@b:2/v1"])
        );
        for (text, needle) in [
            (
                format!("{MINIMAL}base_urls = [\"http://b/v1\"]\n"),
                "cannot be given together with `base_url`",
            ),
            (
                "kind = \"openai\"\nmodel = \"x\"\nbase_urls = []\n".to_string(),
                "must list between 1 and",
            ),
            (
                "kind = \"openai\"\nmodel = \"x\"\nbase_urls = [\"http://a/v1\", \"ftp://b\"]\n"
                    .to_string(),
                "base_urls[1]",
            ),
            (
                "kind = \"openai\"\nmodel = \"x\"\nbase_urls = [\"http://a/v1\", \"http://a/v1/\"]\n"
                    .to_string(),
                "already listed",
            ),
        ] {
            let err = load_str(&text).unwrap_err().to_string();
            assert!(
                err.contains("m.toml") && err.contains("base_urls") && err.contains(needle),
                "{err}"
            );
        }

        let auto = load_str(&format!("{MINIMAL}max_concurrency = \"auto\"\n")).unwrap();
        assert_eq!(auto.max_concurrency, MaxConcurrency::Auto);
        assert_eq!(auto.concurrency_ceiling(), 256);
        let auto = load_str(&format!(
            "{MINIMAL}max_concurrency = \"auto\"\nmax_concurrency_limit = 32\n"
        ))
        .unwrap();
        assert_eq!(auto.concurrency_ceiling(), 32);
        assert_eq!(
            serde_json::to_value(&auto).unwrap()["max_concurrency"],
            "auto"
        );
        for (extra, field) in [
            ("max_concurrency_limit = 32\n", "max_concurrency_limit"),
            (
                "max_concurrency = \"auto\"\nmax_concurrency_limit = 0\n",
                "max_concurrency_limit",
            ),
            ("max_concurrency = \"fast\"\n", "max_concurrency"),
        ] {
            let err = load_str(&format!("{MINIMAL}{extra}"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("m.toml") && err.contains(field), "{err}");
        }
        let err = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"/m\"\nmax_concurrency = \"auto\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("max_concurrency") && err.contains("onnx-ocr"),
            "{err}"
        );
    }

    #[test]
    fn durations_are_bounded_instead_of_panicking() {
        for field in ["timeout_secs", "backoff_secs", "max_backoff_secs"] {
            for value in ["1e20", "86401", "inf", "-inf", "nan", "-1"] {
                let err = load_str(&format!("{MINIMAL}{field} = {value}\n"))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(field) && err.contains("m.toml"), "{err}");
            }
            let card = load_str(&format!("{MINIMAL}{field} = 86400\n")).unwrap();
            assert!(card.timeout() <= Duration::from_secs(86_400));
        }
        // A card built without `load` still gives durations, not a panic.
        let mut card = load_str(MINIMAL).unwrap();
        card.timeout_secs = 1e20;
        card.backoff_secs = f64::NAN;
        card.max_backoff_secs = -3.0;
        assert_eq!(card.timeout(), Duration::from_secs(86_400));
        assert_eq!(card.max_backoff(), Duration::ZERO);
        let _ = card.backoff();
    }

    #[test]
    fn requests_in_flight_multiplies_only_batched_kinds() {
        let card = load_str(MINIMAL).unwrap();
        assert_eq!(card.requests_in_flight(3), 3);
        let card =
            load_str("kind = \"onnx-image2text\"\nmodel_dir = \"/m\"\nbatch_size = 8\n").unwrap();
        assert_eq!(
            card.requests_in_flight(2),
            32,
            "2 x 8 generating, as many queued"
        );
        assert_eq!(card.requests_in_flight(usize::MAX), usize::MAX);
        let card = load_str("kind = \"onnx-ocr\"\nmodel_dir = \"/m\"\nbatch_size = 8\n").unwrap();
        assert_eq!(card.requests_in_flight(2), 2);
    }

    /// The manifest stores the card as flat JSON (`kind` beside `model` and the limits),
    /// and reads back both that and the shape older manifests have (every kind's field).
    #[test]
    fn manifest_json_stays_flat_and_old_manifests_still_read() {
        let card = load_str(&format!("{MINIMAL}system_prompt = \"be brief\"\n")).unwrap();
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(json["kind"], "openai");
        assert_eq!(json["model"], "x");
        assert_eq!(json["base_url"], "http://127.0.0.1:1/v1");
        assert_eq!(json["system_prompt"], "be brief");
        assert_eq!(json["max_concurrency"], 8);
        assert!(json.get("max_concurrency_limit").is_none(), "{json}");
        assert!(json.get("model_dir").is_none(), "{json}");
        let back: ModelCard = serde_json::from_value(json).unwrap();
        assert_eq!(
            back,
            ModelCard {
                path: PathBuf::new(),
                ..card
            }
        );

        let old = serde_json::json!({
            "name": "ppocr", "description": "", "kind": "onnx-ocr", "base_url": "",
            "model": "", "model_dir": "/m", "ort_library": null, "intra_threads": 1,
            "batch_size": 6, "execution_provider": "cpu", "api_key_env": "OPENAI_API_KEY",
            "max_concurrency": 2, "requests_per_minute": null, "tokens_per_minute": null,
            "max_tokens": null, "temperature": 0.0, "seed": null, "timeout_secs": 120.0,
            "max_attempts": 2, "backoff_secs": 1.0, "max_backoff_secs": 60.0,
            "content": "parts", "image_max_side": null, "system_prompt": null
        });
        let card: ModelCard = serde_json::from_value(old).unwrap();
        assert_eq!(card.kind(), ModelKind::OnnxOcr);
        assert_eq!(card.onnx().unwrap().batch_size, Some(6));
    }

    /// The shared field list the parser checks keys against is what serde reads.
    #[test]
    fn shared_fields_match_the_struct() {
        let mut card = load_str(MINIMAL).unwrap();
        card.max_concurrency_limit = Some(16);
        let json = serde_json::to_value(&card).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "kind" && !ModelKind::Openai.fields().contains(k))
            .collect();
        keys.sort();
        let mut shared = SHARED_FIELDS.to_vec();
        shared.sort();
        assert_eq!(keys, shared);
    }
}
