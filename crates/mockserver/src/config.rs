//! Server configuration: [`MockConfig`] and the [`AnswerMode`] that decides what the
//! mock model says.

use std::time::Duration;

use crate::faults::FaultRule;

/// Everything that shapes how a [`crate::MockServer`] behaves.
///
/// `MockConfig::default()` answers every chat completion with `"mock answer"`, at once,
/// with no faults, no API key and the single model id `"mock"`.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Fixed time from a chat request's arrival to its answer, the server's own work
    /// (reading and parsing the body) included, so that a benchmark measures the client
    /// and not this server (default: zero). Malformed requests (400) answer at once.
    pub latency: Duration,
    /// How successful requests are answered.
    pub answers: AnswerMode,
    /// Fault injection rules, checked in order; the first rule whose [`crate::When`]
    /// matches a request decides its fault.
    pub faults: Vec<FaultRule>,
    /// If `Some`, every `/v1/...` request must carry `Authorization: Bearer <key>`,
    /// otherwise it gets HTTP 401 with an OpenAI-style error body.
    pub api_key: Option<String>,
    /// Behave like llama.cpp's older servers: answer HTTP 500 when any message's
    /// `content` is a list of parts instead of a string.
    pub reject_list_content: bool,
    /// Model ids listed by `GET /v1/models` (default `["mock"]`). Chat requests for other
    /// model names are still answered.
    pub model_ids: Vec<String>,
    /// If `Some`, a server of limited capacity: a chat request arriving while
    /// [`Capacity::max_in_flight`] others are being handled is answered at once with
    /// [`Capacity::status`] (as vLLM behind a gateway or a rate-limited API answers).
    pub capacity: Option<Capacity>,
}

/// How many chat requests a server handles at once, and what it answers beyond that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Requests handled at once (at least 1).
    pub max_in_flight: u64,
    /// The status of a request over capacity: 429 (rate limited) or 503 (overloaded);
    /// any other value answers 503.
    pub status: u16,
    /// Seconds for a `Retry-After` header on those replies.
    pub retry_after: Option<u64>,
}

impl Capacity {
    /// At most `max_in_flight` requests at once; HTTP 429 beyond, without `Retry-After`.
    pub fn new(max_in_flight: u64) -> Self {
        Self {
            max_in_flight,
            status: 429,
            retry_after: None,
        }
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            answers: AnswerMode::Fixed("mock answer".to_owned()),
            faults: Vec::new(),
            api_key: None,
            reject_list_content: false,
            model_ids: vec!["mock".to_owned()],
            capacity: None,
        }
    }
}

impl MockConfig {
    /// A default configuration that answers every request with `answer`.
    pub fn fixed(answer: impl Into<String>) -> Self {
        Self {
            answers: AnswerMode::Fixed(answer.into()),
            ..Self::default()
        }
    }

    /// A default configuration that echoes the last user message's text.
    pub fn echo() -> Self {
        Self {
            answers: AnswerMode::Echo,
            ..Self::default()
        }
    }
}

/// How the mock model answers a request that is not faulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerMode {
    /// Always the same answer.
    Fixed(String),
    /// The first rule `(needle, answer)` whose needle occurs in the text of the last user
    /// message wins; if none does, `default`.
    Rules {
        /// `(needle, answer)` pairs, checked in order.
        rules: Vec<(String, String)>,
        /// Answer when no needle matches.
        default: String,
    },
    /// Answer with the last user message's text (text parts joined with `"\n"`).
    Echo,
    /// Like [`AnswerMode::Rules`], but a needle is looked for anywhere in the raw request
    /// body, so a rule can pick out a request by what its text does not say: an image (a
    /// needle of its base64), the model name, a sampling setting.
    BodyRules {
        /// `(needle, answer)` pairs, checked in order.
        rules: Vec<(String, String)>,
        /// Answer when no needle occurs in the body.
        default: String,
    },
}

impl AnswerMode {
    /// The answer for a request whose request key (last user text) is `key`. Body rules
    /// see no body here and answer their default; see [`AnswerMode::answer_for_request`].
    pub fn answer_for(&self, key: &str) -> String {
        self.answer_for_request(key, b"")
    }

    /// The answer for a request whose request key (last user text) is `key` and whose raw
    /// body is `body`.
    pub fn answer_for_request(&self, key: &str, body: &[u8]) -> String {
        match self {
            AnswerMode::BodyRules { rules, default } => rules
                .iter()
                .find(|(needle, _)| contains(body, needle.as_bytes()))
                .map_or_else(|| default.clone(), |(_, answer)| answer.clone()),
            AnswerMode::Fixed(answer) => answer.clone(),
            AnswerMode::Rules { rules, default } => rules
                .iter()
                .find(|(needle, _)| key.contains(needle.as_str()))
                .map_or_else(|| default.clone(), |(_, answer)| answer.clone()),
            AnswerMode::Echo => key.to_owned(),
        }
    }
}

/// Whether `needle` occurs in `haystack` (an empty needle always does).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_pick_first_match_else_default() {
        let mode = AnswerMode::Rules {
            rules: vec![("cat".into(), "meow".into()), ("c".into(), "see".into())],
            default: "?".into(),
        };
        assert_eq!(mode.answer_for("a cat"), "meow");
        assert_eq!(mode.answer_for("car"), "see");
        assert_eq!(mode.answer_for("dog"), "?");
        assert_eq!(AnswerMode::Echo.answer_for("hi"), "hi");
    }

    #[test]
    fn body_rules_look_in_the_whole_body() {
        let mode = AnswerMode::BodyRules {
            rules: vec![("iVBORw0KGgoAAA".into(), "a png".into())],
            default: "?".into(),
        };
        let body = br#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAA"}}]}]}"#;
        assert_eq!(mode.answer_for_request("", body), "a png");
        assert_eq!(mode.answer_for_request("iVBORw0KGgoAAA", b"{}"), "?");
        assert_eq!(mode.answer_for("anything"), "?");
    }
}
