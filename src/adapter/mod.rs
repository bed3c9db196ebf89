//! Model adapters: one trait that local (ONNX) and remote (HTTP) models both implement,
//! so the scheduler treats them alike.

pub mod endpoints;
pub mod factory;
pub mod http;
pub mod onnx;
pub mod redact;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// Who speaks a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// An image ready to send as a `data:<mime>;base64,<...>` URL. It can only be built from
/// bytes or from canonical base64, so it never needs JSON escaping; the base64 text is
/// shared, not copied, from the dataset to the request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedImage {
    mime: &'static str,
    base64: Arc<String>,
}

impl EncodedImage {
    /// Encodes bytes of the given MIME type (one of evalkit's sniffed types).
    pub fn from_bytes(mime: &'static str, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            mime,
            base64: Arc::new(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// Wraps base64 text that decoded without error (so it is pure base64 alphabet).
    pub fn from_base64(mime: &'static str, base64: Arc<String>) -> Self {
        debug_assert!(
            base64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        Self { mime, base64 }
    }

    /// The `data:<mime>;base64,` prefix.
    pub fn prefix(&self) -> String {
        format!("data:{};base64,", self.mime)
    }

    /// The base64 payload.
    pub fn base64(&self) -> &str {
        &self.base64
    }

    /// The whole data URL (allocates; the adapters write prefix and payload separately).
    pub fn data_url(&self) -> String {
        format!("{}{}", self.prefix(), self.base64)
    }

    /// Bytes of the data URL.
    pub fn url_len(&self) -> usize {
        "data:;base64,".len() + self.mime.len() + self.base64.len()
    }
}

impl Serialize for EncodedImage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.data_url())
    }
}

/// One piece of a message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text { text: String },
    Image { image: EncodedImage },
}

/// One chat message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

/// How a model samples its answer. Unset fields fall back to the model card's settings.
/// Every field is part of the request hash, so N samples at temperature > 0 (distinct
/// `sample` indexes or seeds) are N distinct requests and N distinct cache entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sampling {
    /// Overrides the card's `max_tokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Overrides the card's `temperature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Overrides the card's `seed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Which of several samples of the same prompt this is (0 for single calls). Not sent:
    /// it only keeps otherwise identical samples apart in the hash and the journal.
    #[serde(skip_serializing_if = "is_zero")]
    pub sample: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What a strategy asks a model for: the messages and how to sample the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Request {
    pub messages: Vec<Message>,
    #[serde(flatten)]
    pub sampling: Sampling,
}

impl Request {
    /// One user message of the given parts, default sampling.
    pub fn user(parts: Vec<Part>) -> Self {
        Request {
            messages: vec![Message {
                role: Role::User,
                parts,
            }],
            sampling: Sampling::default(),
        }
    }

    /// One user message of plain text, default sampling.
    pub fn text(text: impl Into<String>) -> Self {
        Self::user(vec![Part::Text { text: text.into() }])
    }

    /// The same request with other sampling settings.
    pub fn with_sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Feeds the request's content into a hasher: every field that reaches the model, each
    /// length-prefixed so that different requests never hash alike. (Hashing the bytes
    /// directly avoids serialising multi-megabyte image URLs just to hash them.) Sampling
    /// fields left unset add nothing, so default requests keep the hashes they always had.
    pub fn hash_into(&self, hasher: &mut blake3::Hasher) {
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        for message in &self.messages {
            field(format!("{:?}", message.role).as_bytes());
            for part in &message.parts {
                match part {
                    Part::Text { text } => {
                        field(b"text");
                        field(text.as_bytes());
                    }
                    Part::Image { image } => {
                        field(b"image");
                        field(image.prefix().as_bytes());
                        field(image.base64().as_bytes());
                    }
                }
            }
        }
        let s = &self.sampling;
        field(format!("max_tokens={:?}", s.max_tokens).as_bytes());
        for stop in &s.stop {
            field(b"stop");
            field(stop.as_bytes());
        }
        if let Some(t) = s.temperature {
            field(format!("temperature={t:?}").as_bytes());
        }
        if let Some(p) = s.top_p {
            field(format!("top_p={p:?}").as_bytes());
        }
        if let Some(seed) = s.seed {
            field(format!("seed={seed}").as_bytes());
        }
        if s.sample != 0 {
            field(format!("sample={}", s.sample).as_bytes());
        }
    }
}

/// Token counts reported by the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Of the completion tokens, those spent reasoning, where the server reports them
    /// (`usage.completion_tokens_details.reasoning_tokens`).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub reasoning_tokens: u64,
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// A model's answer to one request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub text: String,
    pub usage: Option<Usage>,
    pub latency: Duration,
    /// Why generation stopped, as the server says it (`stop`, `length`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Reasoning the provider returned apart from the answer (`reasoning_content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
}

/// Why a call failed, classified for the retry policy.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CallError {
    /// Worth another attempt: 429, 5xx, timeouts, dropped connections, malformed replies.
    #[error("{message}")]
    Transient {
        message: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// Will fail the same way again (other 4xx, a request the adapter cannot express).
    #[error("{message}")]
    Permanent { message: String },
    /// The server is busy (HTTP 429 or 503): worth another attempt, and a sign to send
    /// fewer requests at once. Retried like [`CallError::Transient`]; under adaptive
    /// concurrency it also lowers the limit and does not use up the call's attempts.
    #[error("{message}")]
    Overloaded {
        message: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
}

impl CallError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
        }
    }
}

/// A model the scheduler can call. Implementations must be cheap to share across tasks.
pub trait Model: Send + Sync {
    /// Identifies the model and every setting that changes its answers; part of each
    /// request hash, so changing any of them invalidates cached answers.
    fn fingerprint(&self) -> String;

    /// Sends one request (one attempt; the scheduler owns retries and timeouts).
    fn generate<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, CallError>>;

    /// Checks, before a run starts, that the model can be reached and accepts our
    /// credentials. The error is shown to the user as is.
    fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>>;

    /// A rough token cost of a request, for tokens-per-minute limits.
    fn estimate_tokens(&self, request: &Request) -> u32;

    /// Per-replica figures when the model is served by several endpoints (a card's
    /// `base_urls`); empty otherwise.
    fn endpoints(&self) -> Vec<endpoints::EndpointStats> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(request: &Request) -> String {
        let mut h = blake3::Hasher::new();
        request.hash_into(&mut h);
        h.finalize().to_hex().to_string()
    }

    #[test]
    fn every_sampling_setting_changes_the_hash() {
        let base = Request::text("q");
        let variants = [
            Sampling {
                temperature: Some(0.7),
                ..Default::default()
            },
            Sampling {
                top_p: Some(0.9),
                ..Default::default()
            },
            Sampling {
                seed: Some(1),
                ..Default::default()
            },
            Sampling {
                sample: 1,
                ..Default::default()
            },
            Sampling {
                stop: vec!["</A>".into()],
                ..Default::default()
            },
            Sampling {
                max_tokens: Some(8),
                ..Default::default()
            },
        ];
        let mut seen = vec![hash(&base)];
        for sampling in variants {
            let h = hash(&base.clone().with_sampling(sampling));
            assert!(!seen.contains(&h), "{h}");
            seen.push(h);
        }
        // N samples that differ only in their index are N requests.
        let sample = |n| {
            hash(&base.clone().with_sampling(Sampling {
                temperature: Some(0.7),
                sample: n,
                ..Default::default()
            }))
        };
        assert_ne!(sample(1), sample(2));
        assert_eq!(sample(2), sample(2));
    }

    #[test]
    fn default_sampling_keeps_the_hash_of_earlier_versions() {
        // The hash a request without sampling settings had before sampling was added:
        // role, text, then `max_tokens=None`, each length-prefixed.
        let mut h = blake3::Hasher::new();
        for field in [&b"User"[..], b"text", b"q", b"max_tokens=None"] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field);
        }
        assert_eq!(hash(&Request::text("q")), h.finalize().to_hex().to_string());
    }
}
