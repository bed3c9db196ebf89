//! The settings that belong to one kind of model adapter, apart from the settings every
//! card shares (those are the fields of [`ModelCard`](super::model::ModelCard)).
//!
//! A card's `kind` picks one variant of [`AdapterSettings`]; a setting of another kind in
//! the card is an error that names the field and the kind (`field `model_dir` is not a
//! setting of kind `openai``), never a value silently ignored. A new adapter kind adds its
//! variant, its settings struct and its field list here, and nothing else in `card/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{field_error, parse_toml_str};

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

impl ModelKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [ModelKind; 3] = [
        ModelKind::Openai,
        ModelKind::OnnxOcr,
        ModelKind::OnnxImage2text,
    ];

    /// The name written in a card (`kind = "onnx-ocr"`).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Openai => "openai",
            ModelKind::OnnxOcr => "onnx-ocr",
            ModelKind::OnnxImage2text => "onnx-image2text",
        }
    }

    /// The kind a card names, if evalkit has it.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The settings only a card of this kind takes (besides `kind` and the shared ones).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            ModelKind::Openai => OpenaiSettings::FIELDS,
            ModelKind::OnnxOcr | ModelKind::OnnxImage2text => OnnxSettings::FIELDS,
        }
    }

    /// The list of kind names for error messages: "`openai`, `onnx-ocr`, `onnx-image2text`".
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|k| format!("`{}`", k.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Sets of `batch_size` requests in flight per generation thread of a local image-to-text
/// model: one generating, one being preprocessed and queued behind it
/// (`adapter::onnx::image2text::prefetch`).
pub const IMAGE2TEXT_LOOKAHEAD: usize = 2;

/// The settings of one adapter kind, tagged by the card's `kind`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AdapterSettings {
    Openai(OpenaiSettings),
    OnnxOcr(OnnxSettings),
    OnnxImage2text(OnnxSettings),
}

impl AdapterSettings {
    pub fn kind(&self) -> ModelKind {
        match self {
            AdapterSettings::Openai(_) => ModelKind::Openai,
            AdapterSettings::OnnxOcr(_) => ModelKind::OnnxOcr,
            AdapterSettings::OnnxImage2text(_) => ModelKind::OnnxImage2text,
        }
    }

    /// Requests the scheduler keeps in flight per concurrent call: an image-to-text model
    /// runs `batch_size` requests per session call and gets [`IMAGE2TEXT_LOOKAHEAD`] times
    /// that, so the next batches are preprocessed while one generates; every other kind one.
    pub fn requests_per_call(&self) -> usize {
        match self {
            AdapterSettings::OnnxImage2text(s) => s
                .batch_size
                .unwrap_or(1)
                .saturating_mul(IMAGE2TEXT_LOOKAHEAD),
            _ => 1,
        }
    }

    /// Reads the settings of `kind` from a card's text. Read on their own (not through the
    /// card's flattened form), a value of the wrong type is an error naming its field and
    /// line; keys of other settings are left to the card.
    pub fn parse(kind: ModelKind, text: &str, path: &Path) -> anyhow::Result<AdapterSettings> {
        Ok(match kind {
            ModelKind::Openai => AdapterSettings::Openai(parse_toml_str(text, path)?),
            ModelKind::OnnxOcr => AdapterSettings::OnnxOcr(parse_toml_str(text, path)?),
            ModelKind::OnnxImage2text => {
                AdapterSettings::OnnxImage2text(parse_toml_str(text, path)?)
            }
        })
    }

    /// Checks the kind's own settings; errors name the card file and the field.
    pub fn validate(&self, path: &Path) -> anyhow::Result<()> {
        match self {
            AdapterSettings::Openai(s) => s.validate(path),
            AdapterSettings::OnnxOcr(s) | AdapterSettings::OnnxImage2text(s) => {
                s.validate(self.kind(), path)
            }
        }
    }

    /// What `evalkit list` says about the model: where it is reached or read from.
    pub fn summary(&self) -> String {
        match self {
            AdapterSettings::Openai(s) => format!("{} at {}", s.model, s.display_url()),
            AdapterSettings::OnnxOcr(s) | AdapterSettings::OnnxImage2text(s) => format!(
                "{} in {}",
                self.kind().name(),
                s.model_dir.as_deref().unwrap_or(Path::new("?")).display()
            ),
        }
    }
}

/// `kind = "openai"`: any server speaking the OpenAI chat-completions protocol (OpenAI,
/// vLLM, SGLang, llama.cpp, Ollama). The API key itself never appears in a card: the card
/// names the environment variable that holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenaiSettings {
    /// e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    #[serde(default)]
    pub base_url: String,
    /// Instead of `base_url`: several replicas of one model (e.g. vLLM on several GPUs or
    /// hosts). Each request goes to the replica with the fewest requests outstanding;
    /// one that keeps failing is left alone and probed again later (see
    /// `adapter::endpoints`). Which replica answered is no part of a request's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_urls: Option<Vec<String>>,
    /// The model name sent in each request.
    #[serde(default)]
    pub model: String,
    /// The environment variable holding the API key; unset variable = no key sent.
    #[serde(default = "default_api_key_env")]
    pub api_key_env: String,
    /// An optional system prompt, sent before every conversation.
    #[serde(default)]
    pub system_prompt: Option<String>,
    /// The tag pair a reasoning model wraps its thinking in (default `<think>`,
    /// `</think>`; `[]` turns the split off). The thinking is kept as the call's reasoning,
    /// the rest is the answer; thinking that never closes makes the item `truncated`.
    #[serde(default = "default_reasoning_tags")]
    pub reasoning_tags: Vec<String>,
    /// Which endpoint to call: `chat` (`/chat/completions`, the default) or `completions`
    /// (the plain `/completions` endpoint, for small base models with no chat template).
    #[serde(default, skip_serializing_if = "Endpoint::is_chat")]
    pub endpoint: Endpoint,
    /// `completions` only: the raw prompt, with `{prompt}` standing for the request's
    /// text (e.g. worked examples before it and `Answer:` after it). Default `{prompt}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_template: Option<String>,
    /// Stop sequences sent with every request, besides the request's own (e.g. `["\n"]`
    /// so a base model stops after one answer line).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
}

/// The OpenAI endpoint a card calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `/chat/completions`: messages, the server applies the model's chat template.
    #[default]
    Chat,
    /// `/completions`: one raw prompt (the messages' text in the card's `prompt_template`).
    Completions,
}

impl Endpoint {
    fn is_chat(&self) -> bool {
        *self == Endpoint::Chat
    }
}

/// The userinfo of a URL (`user:pass` in `http://user:pass@host/...`) and its byte offset.
fn url_userinfo(url: &str) -> Option<(&str, usize)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((&rest[..at], start))
}

/// A URL with the password of its userinfo replaced by `[REDACTED]`, so it can be written
/// to a manifest or a message (`http://user:[REDACTED]@host/v1`).
pub fn redact_url_password(url: &str) -> String {
    match url_userinfo(url) {
        Some((userinfo, start)) => match userinfo.split_once(':') {
            Some((user, password)) if !password.is_empty() => format!(
                "{}{user}:[REDACTED]{}",
                &url[..start],
                &url[start + userinfo.len()..]
            ),
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn default_api_key_env() -> String {
    "OPENAI_API_KEY".into()
}

/// `<think>` ... `</think>`, as DeepSeek-R1, QwQ and Qwen3 write it.
pub fn default_reasoning_tags() -> Vec<String> {
    vec!["<think>".into(), "</think>".into()]
}

/// The password in a URL's userinfo (`http://user:PASSWORD@host`), if any.
fn url_password(url: &str) -> Option<&str> {
    let (userinfo, _) = url_userinfo(url)?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

impl OpenaiSettings {
    /// The endpoints requests go to: `base_urls`, or the one `base_url`.
    pub fn urls(&self) -> Vec<&str> {
        match &self.base_urls {
            Some(urls) => urls.iter().map(String::as_str).collect(),
            None => vec![self.base_url.as_str()],
        }
    }

    /// `base_url` (or every one of `base_urls`, comma-separated) as it may be shown or
    /// stored: a password in it replaced.
    pub fn display_url(&self) -> String {
        self.urls()
            .into_iter()
            .map(redact_url_password)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The passwords in `base_url` or `base_urls` (`http://user:PASSWORD@host`).
    pub fn url_passwords(&self) -> Vec<&str> {
        self.urls().into_iter().filter_map(url_password).collect()
    }

    /// The settings as they may be written to a manifest: every URL's password replaced.
    pub fn without_secrets(&self) -> OpenaiSettings {
        let mut out = self.clone();
        out.base_url = redact_url_password(&self.base_url);
        if let Some(urls) = &mut out.base_urls {
            for url in urls.iter_mut() {
                *url = redact_url_password(url);
            }
        }
        out
    }

    pub const FIELDS: &'static [&'static str] = &[
        "base_url",
        "base_urls",
        "model",
        "api_key_env",
        "system_prompt",
        "reasoning_tags",
        "endpoint",
        "prompt_template",
        "stop",
    ];

    fn validate(&self, p: &Path) -> anyhow::Result<()> {
        self.validate_urls(p)?;
        if self.model.trim().is_empty() {
            return Err(field_error(
                p,
                "model",
                "must name the model to request",
                "an empty string",
            ));
        }
        if let Some(t) = &self.prompt_template {
            if self.endpoint != Endpoint::Completions {
                return Err(field_error(
                    p,
                    "prompt_template",
                    "is used only with endpoint = \"completions\"",
                    "a template with the chat endpoint",
                ));
            }
            if !t.contains("{prompt}") {
                return Err(field_error(
                    p,
                    "prompt_template",
                    "must contain {prompt}, where the request's text goes",
                    "a template without {prompt}",
                ));
            }
        }
        if self.api_key_env.trim().is_empty() || self.api_key_env.contains(char::is_whitespace) {
            return Err(field_error(
                p,
                "api_key_env",
                "must be an environment variable name",
                format!("{:?}", self.api_key_env),
            ));
        }
        let tags = &self.reasoning_tags;
        if !(tags.is_empty() || (tags.len() == 2 && tags.iter().all(|t| !t.trim().is_empty()))) {
            return Err(field_error(
                p,
                "reasoning_tags",
                "must be [] or an opening and a closing tag, e.g. [\"<think>\", \"</think>\"]",
                format!("{tags:?}"),
            ));
        }
        Ok(())
    }
}

impl OpenaiSettings {
    /// `base_url`, or `base_urls` (never both, never an empty list): each an http(s) URL,
    /// no replica listed twice.
    fn validate_urls(&self, p: &Path) -> anyhow::Result<()> {
        let http = |url: &str| url.starts_with("http://") || url.starts_with("https://");
        let Some(urls) = &self.base_urls else {
            if !http(&self.base_url) {
                return Err(field_error(
                    p,
                    "base_url",
                    "must start with http:// or https:// (or list replicas in base_urls)",
                    format!("{:?}", redact_url_password(&self.base_url)),
                ));
            }
            return Ok(());
        };
        if !self.base_url.is_empty() {
            return Err(field_error(
                p,
                "base_urls",
                "cannot be given together with `base_url`; keep one of them (base_urls \
                 for several replicas of the model)",
                "both",
            ));
        }
        if urls.is_empty() || urls.len() > MAX_REPLICAS {
            return Err(field_error(
                p,
                "base_urls",
                &format!(
                    "must list between 1 and {MAX_REPLICAS} URLs of replicas of the model, \
                     e.g. [\"http://10.0.0.1:8000/v1\", \"http://10.0.0.2:8000/v1\"]"
                ),
                format!("{} URLs", urls.len()),
            ));
        }
        for (i, url) in urls.iter().enumerate() {
            if !http(url) {
                return Err(field_error(
                    p,
                    &format!("base_urls[{i}]"),
                    "must start with http:// or https://",
                    format!("{:?}", redact_url_password(url)),
                ));
            }
            let url = url.trim_end_matches('/');
            if urls[..i].iter().any(|u| u.trim_end_matches('/') == url) {
                return Err(field_error(
                    p,
                    &format!("base_urls[{i}]"),
                    "lists a replica already listed; remove the repeat",
                    format!("{:?}", redact_url_password(url)),
                ));
            }
        }
        Ok(())
    }
}

/// The most replicas one card may list.
pub const MAX_REPLICAS: usize = 256;

/// `kind = "onnx-ocr"` and `kind = "onnx-image2text"`: a model run in process through ONNX
/// Runtime from a local directory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OnnxSettings {
    /// The model directory: absolute; or starting with `~` (the home directory) or
    /// `$EVALKIT_CACHE` (evalkit's cache); or relative: to the card's folder for a card
    /// file, to evalkit's cache for a card shipped inside evalkit.
    #[serde(default)]
    pub model_dir: Option<PathBuf>,
    /// The ONNX Runtime shared library; default `$ORT_DYLIB_PATH`, then evalkit's cache
    /// (installed by `scripts/setup.sh`).
    #[serde(default)]
    pub ort_library: Option<PathBuf>,
    /// Intra-op threads per session (default: the machine's cores).
    #[serde(default)]
    pub intra_threads: Option<usize>,
    /// Items per session run (`onnx-ocr`: text crops per recognition run).
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// `cpu` (default) or `cuda` when the library has it.
    #[serde(default)]
    pub execution_provider: Option<String>,
}

impl OnnxSettings {
    pub const FIELDS: &'static [&'static str] = &[
        "model_dir",
        "ort_library",
        "intra_threads",
        "batch_size",
        "execution_provider",
    ];

    fn validate(&self, kind: ModelKind, p: &Path) -> anyhow::Result<()> {
        if self.model_dir.is_none() {
            return Err(field_error(
                p,
                "model_dir",
                &format!(
                    "must name the ONNX model directory for kind `{}`",
                    kind.name()
                ),
                "nothing",
            ));
        }
        for (field, value) in [
            ("batch_size", self.batch_size),
            ("intra_threads", self.intra_threads),
        ] {
            if value == Some(0) || value.is_some_and(|v| v > 4096) {
                return Err(field_error(
                    p,
                    field,
                    "must be between 1 and 4096 (leave it out for the default)",
                    value.unwrap_or_default(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field lists the card parser checks keys against are the fields serde reads.
    #[test]
    fn field_lists_match_the_structs() {
        let keys = |v: serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let sorted = |f: &[&str]| -> Vec<String> {
            let mut f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            f.sort();
            f
        };
        let openai = OpenaiSettings {
            base_url: String::new(),
            base_urls: Some(vec![]),
            model: String::new(),
            api_key_env: String::new(),
            system_prompt: None,
            reasoning_tags: vec![],
            endpoint: Endpoint::Completions,
            prompt_template: Some("{prompt}".into()),
            stop: vec!["\n".into()],
        };
        assert_eq!(
            keys(serde_json::to_value(openai).unwrap()),
            sorted(OpenaiSettings::FIELDS)
        );
        assert_eq!(
            keys(serde_json::to_value(OnnxSettings::default()).unwrap()),
            sorted(OnnxSettings::FIELDS)
        );
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::from_name(kind.name()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.name())
            );
        }
        assert_eq!(ModelKind::from_name("onnx"), None);
    }
}
