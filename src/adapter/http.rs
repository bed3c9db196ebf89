//! The OpenAI chat-completions adapter: vLLM, SGLang, llama.cpp, Ollama, OpenAI.
//!
//! A card may instead name the plain `/completions` endpoint (`endpoint = "completions"`):
//! the messages' text goes into the card's `prompt_template` as one raw prompt, for small
//! base models that have no chat template and answer in sentences through one.
//!
//! One attempt per call; the scheduler owns retries. Errors are classified for the retry
//! policy (429 and 503 are overload, other 5xx/timeouts/connection errors/malformed replies
//! transient, other 4xx permanent) and scrubbed of the API key, which is read from the
//! environment variable the card names and never written anywhere.
//!
//! A card listing several replicas (`base_urls`) sends each attempt to the one
//! [`EndpointPool`] picks (fewest outstanding, circuit breaker per replica) and tells the
//! pool how the attempt went.

use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

use super::endpoints::{EndpointPool, EndpointStats, Outcome};
use super::{CallError, Model, Part, Request, Response, Role, Usage};
use crate::card::model::{ContentMode, Endpoint, ModelCard, OpenaiSettings};

/// A model behind an OpenAI-compatible HTTP endpoint.
pub struct OpenAiModel {
    card: ModelCard,
    /// The card's `openai` settings (base URL, model name, key variable, system prompt).
    settings: OpenaiSettings,
    client: reqwest::Client,
    /// The replicas (one for a card with a single `base_url`), each with its
    /// `/chat/completions` (or `/completions`) URL.
    pool: EndpointPool,
    /// Each replica's request URL parsed once (None: reqwest reports the bad URL on send).
    targets: Vec<Option<reqwest::Url>>,
    api_key: Option<String>,
    /// Every form of the key and of a `base_url` password that a server might echo.
    secrets: Vec<String>,
}

impl OpenAiModel {
    /// Builds the adapter; reads the API key from the card's environment variable.
    pub fn new(card: &ModelCard) -> anyhow::Result<Self> {
        let Some(settings) = card.openai() else {
            anyhow::bail!(
                "model card {} is of kind `{}`, not `openai`",
                card.path.display(),
                card.kind().name()
            );
        };
        install_crypto_provider();
        let api_key = std::env::var(&settings.api_key_env)
            .ok()
            .filter(|k| !k.is_empty());
        let mut headers = HeaderMap::new();
        if let Some(key) = &api_key {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                anyhow::anyhow!(
                    "the API key in ${} contains characters not allowed in an HTTP header",
                    settings.api_key_env
                )
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(card.timeout())
            .connect_timeout(card.timeout().min(Duration::from_secs(10)))
            // Every connection stays reusable: the pool never holds more idle connections
            // than there were requests in flight, and a cap (the card's max_concurrency,
            // which --concurrency may raise) would close and reopen connections.
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .build()?;
        let secrets = super::redact::forms(
            api_key
                .iter()
                .map(String::as_str)
                .chain(settings.url_passwords()),
        );
        let pool = EndpointPool::new(
            &settings.urls(),
            match settings.endpoint {
                Endpoint::Chat => "/chat/completions",
                Endpoint::Completions => "/completions",
            },
            settings.base_urls.is_some(),
        );
        let targets = (0..pool.len())
            .map(|i| reqwest::Url::parse(pool.target(i)).ok())
            .collect();
        Ok(Self {
            card: card.clone(),
            settings: settings.clone(),
            client,
            pool,
            targets,
            api_key,
            secrets,
        })
    }

    /// The JSON body of one request, as sent: written in one pass, with each image's data
    /// URL (base64, which needs no JSON escaping) copied in once.
    pub fn body(&self, request: &Request) -> Vec<u8> {
        let images: usize = request
            .messages
            .iter()
            .flat_map(|m| &m.parts)
            .map(|p| match p {
                Part::Image { image } => image.url_len() + 64,
                Part::Text { text } => text.len() + 32,
            })
            .sum();
        let mut out = Vec::with_capacity(images + 256);
        out.extend_from_slice(b"{\"model\":");
        json_string(&mut out, &self.settings.model);
        if self.settings.endpoint == Endpoint::Completions {
            out.extend_from_slice(b",\"prompt\":");
            json_string(&mut out, &self.raw_prompt(request));
        } else {
            self.write_messages(&mut out, request);
        }
        self.write_sampling(&mut out, request);
        out.push(b'}');
        out
    }

    /// The one prompt of a `completions` card: the system prompt and every message's text,
    /// in the card's `prompt_template` (images are left out, as in text content mode).
    fn raw_prompt(&self, request: &Request) -> String {
        let mut texts: Vec<&str> = Vec::new();
        if let Some(system) = &self.settings.system_prompt {
            texts.push(system);
        }
        for part in request.messages.iter().flat_map(|m| &m.parts) {
            if let Part::Text { text } = part {
                texts.push(text.trim_end());
            }
        }
        let prompt = texts.join("\n\n");
        match &self.settings.prompt_template {
            Some(t) => crate::template::fill(t, &[("{prompt}", &prompt)]),
            None => prompt,
        }
    }

    fn write_messages(&self, out: &mut Vec<u8>, request: &Request) {
        out.extend_from_slice(b",\"messages\":[");
        if let Some(system) = &self.settings.system_prompt {
            out.extend_from_slice(b"{\"role\":\"system\",\"content\":");
            json_string(out, system);
            out.extend_from_slice(b"}");
        }
        for (i, message) in request.messages.iter().enumerate() {
            if i > 0 || self.settings.system_prompt.is_some() {
                out.push(b',');
            }
            let role = match message.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            out.extend_from_slice(format!("{{\"role\":\"{role}\",\"content\":").as_bytes());
            self.write_content(out, &message.parts);
            out.push(b'}');
        }
        out.push(b']');
    }

    fn write_sampling(&self, out: &mut Vec<u8>, request: &Request) {
        let sampling = &request.sampling;
        let max_tokens = sampling.max_tokens.unwrap_or(self.card.max_tokens());
        let temperature = sampling.temperature.unwrap_or(self.card.temperature);
        out.extend_from_slice(
            format!(
                ",\"max_tokens\":{max_tokens},\"temperature\":{}",
                json!(temperature)
            )
            .as_bytes(),
        );
        if let Some(top_p) = sampling.top_p {
            out.extend_from_slice(format!(",\"top_p\":{}", json!(top_p)).as_bytes());
        }
        if let Some(seed) = sampling.seed.or(self.card.seed) {
            out.extend_from_slice(format!(",\"seed\":{seed}").as_bytes());
        }
        let mut stop: Vec<&String> = sampling.stop.iter().collect();
        stop.extend(
            self.settings
                .stop
                .iter()
                .filter(|s| !sampling.stop.contains(s)),
        );
        if !stop.is_empty() {
            out.extend_from_slice(b",\"stop\":");
            out.extend_from_slice(json!(stop).to_string().as_bytes());
        }
    }

    fn write_content(&self, out: &mut Vec<u8>, parts: &[Part]) {
        match self.card.content {
            ContentMode::Text => {
                let texts: Vec<&str> = parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Text { text } => Some(text.as_str()),
                        Part::Image { .. } => None,
                    })
                    .collect();
                json_string(out, &texts.join("\n"));
            }
            ContentMode::Parts => {
                out.push(b'[');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match part {
                        Part::Text { text } => {
                            out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                            json_string(out, text);
                            out.push(b'}');
                        }
                        // Data URLs are base64 by construction: no escaping needed.
                        Part::Image { image } => {
                            out.extend_from_slice(
                                b"{\"type\":\"image_url\",\"image_url\":{\"url\":\"",
                            );
                            out.extend_from_slice(image.prefix().as_bytes());
                            out.extend_from_slice(image.base64().as_bytes());
                            out.extend_from_slice(b"\"}}");
                        }
                    }
                }
                out.push(b']');
            }
        }
    }

    /// Replaces the API key and a URL password, in every encoded form, wherever they
    /// appear (servers may echo requests in errors), then cuts the text to 500 characters:
    /// redacting first, so a key straddling the cut cannot leave a prefix behind.
    fn scrub(&self, text: &str) -> String {
        let redacted = super::redact::redact(text, &self.secrets);
        redacted.chars().take(500).collect()
    }

    /// Reads a reply body of at most `limit` bytes; a longer one is a permanent error
    /// (the same request would get the same reply).
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        limit: u64,
    ) -> Result<Vec<u8>, CallError> {
        let too_long = || {
            CallError::permanent(format!(
                "the reply body is over {limit} bytes (4 x max_response_bytes + 1 MiB) and \
                 was not read; raise max_response_bytes in {} if answers this long are \
                 expected",
                self.card.path.display()
            ))
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_long());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| CallError::transient(self.scrub(&describe_reqwest(&e))))?
        {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_long());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// One attempt, on the replica the pool picks; the pool learns how it went.
    async fn send(&self, request: &Request) -> Result<Response, CallError> {
        let lease = self.pool.pick();
        let started = Instant::now();
        let result = match self.targets.get(lease.replica()).and_then(Option::as_ref) {
            Some(url) => self.send_to(url.clone(), request).await,
            None => self.send_to(lease.url(), request).await,
        };
        lease.finish(match &result {
            Ok(_) => Outcome::Answered(started.elapsed()),
            Err(CallError::Overloaded { .. }) => Outcome::Busy,
            Err(CallError::Permanent { .. }) => Outcome::Refused,
            Err(CallError::Transient { .. }) => Outcome::Failed,
        });
        result
    }

    async fn send_to(
        &self,
        url: impl reqwest::IntoUrl,
        request: &Request,
    ) -> Result<Response, CallError> {
        let started = Instant::now();
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.body(request))
            .send()
            .await
            .map_err(|e| CallError::transient(self.scrub(&describe_reqwest(&e))))?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        let cap = self.card.max_response_bytes;
        let bytes = self
            .read_body(response, cap.saturating_mul(4).saturating_add(1 << 20))
            .await?;
        // Let the connection's task see the body end and put the connection back in the
        // pool before this request's permit goes to the next one: otherwise the next
        // request finds no idle connection and opens one more than the concurrency.
        tokio::task::yield_now().await;
        if !status.is_success() {
            // `500 Internal Server Error`: the reason phrase helps when failures are counted.
            let message = format!(
                "HTTP {}: {}",
                status,
                self.scrub(&String::from_utf8_lossy(&bytes))
            );
            return Err(classify_status(status, message, retry_after));
        }
        let mut reply = parse_reply(&bytes).map_err(|e| CallError::transient(self.scrub(&e)))?;
        if self.settings.endpoint == Endpoint::Completions {
            // A completion continues the prompt ("Answer:"), so it starts with the space
            // the tokenizer puts before the next word; the answer is what follows it.
            reply.text = reply.text.trim_start().to_string();
        }
        let reply = split_reasoning(reply, &self.settings.reasoning_tags);
        Ok(Response {
            latency: started.elapsed(),
            ..cap_reply(reply, cap as usize)
        })
    }

    /// Every replica is asked for its models: a refused key is an error; so is no replica
    /// answering. A replica that cannot be reached while others can is a warning: it gets
    /// requests, and the circuit breaker leaves it alone if it keeps failing.
    async fn check_reachable(&self) -> anyhow::Result<()> {
        let bases = self.pool.bases();
        if bases.len() == 1 {
            return self.check_one(&bases[0], "base_url").await;
        }
        // All at once: a replica that does not answer costs one connect timeout, not one each.
        let checks = bases.iter().map(|base| self.check_one(base, "base_urls"));
        let mut unreachable = Vec::new();
        for result in futures::future::join_all(checks).await {
            match result {
                Ok(()) => {}
                Err(e) if e.is::<Unreachable>() => unreachable.push(e),
                Err(e) => return Err(e),
            }
        }
        if unreachable.len() == bases.len() {
            let reasons: Vec<String> = unreachable.iter().map(|e| format!("{e:#}")).collect();
            anyhow::bail!(
                "none of the {} replicas of model `{}` can be reached:\n{}",
                bases.len(),
                self.card.name,
                reasons.join("\n")
            );
        }
        for e in unreachable {
            eprintln!(
                "warning: {e:#} (the other replicas answer; this one gets requests again once it does)"
            );
        }
        Ok(())
    }

    /// Asks one replica (`base`, as the card's `field` gives it) for its models.
    async fn check_one(&self, base: &str, field: &str) -> anyhow::Result<()> {
        let card = &self.card;
        let settings = &self.settings;
        let shown = crate::card::kinds::redact_url_password(base);
        let response = self
            .client
            .get(format!("{base}/models"))
            .send()
            .await
            .map_err(|e| {
                anyhow::Error::new(Unreachable(format!(
                    "cannot reach model server `{}` at {shown} ({shown}/models): {}.\nIs the server running? Fix `{field}` in {} if it lives elsewhere.",
                    card.name,
                    self.scrub(&describe_reqwest(&e)),
                    card.path.display()
                )))
            })?;
        match response.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                let hint = if self.api_key.is_some() {
                    format!(
                        "the key in ${} was rejected; check it",
                        settings.api_key_env
                    )
                } else {
                    format!(
                        "no key was sent because ${} is not set; export it",
                        settings.api_key_env
                    )
                };
                anyhow::bail!(
                    "model server `{}` at {shown} refused access (HTTP {}): {hint} (card {})",
                    card.name,
                    response.status().as_u16(),
                    card.path.display()
                )
            }
            // Some servers do not list models; a 404 here says nothing about chat.
            _ => Ok(()),
        }
    }
}

/// A model server that could not be reached (as opposed to one that refused the key).
#[derive(Debug)]
struct Unreachable(String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

impl OpenAiModel {
    /// The settings added for base models, in the fingerprint only when set (so chat cards
    /// keep the fingerprints, and the cached answers, they had before).
    fn fingerprint_extra(&self) -> String {
        let mut extra = String::new();
        if self.settings.endpoint == Endpoint::Completions {
            extra.push_str(&format!(
                "|completions|trim_start|template={:?}",
                self.settings.prompt_template
            ));
        }
        if !self.settings.stop.is_empty() {
            extra.push_str(&format!("|stop={:?}", self.settings.stop));
        }
        extra
    }
}

impl Model for OpenAiModel {
    fn fingerprint(&self) -> String {
        let c = &self.card;
        let mut fingerprint = format!(
            "openai|model={}|max_tokens={}|temperature={}|seed={:?}|content={:?}|image_max_side={:?}|system={:?}{}",
            self.settings.model,
            c.max_tokens(),
            c.temperature,
            c.seed,
            c.content,
            c.image_max_side,
            self.settings.system_prompt,
            self.fingerprint_extra()
        );
        // Only a changed tag pair is part of it, so default cards keep their run ids.
        if self.settings.reasoning_tags != crate::card::kinds::default_reasoning_tags() {
            fingerprint.push_str(&format!(
                "|reasoning_tags={:?}",
                self.settings.reasoning_tags
            ));
        }
        fingerprint
    }

    fn generate<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, CallError>> {
        self.send(request).boxed()
    }

    fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        self.check_reachable().boxed()
    }

    fn endpoints(&self) -> Vec<EndpointStats> {
        self.pool.stats()
    }

    fn estimate_tokens(&self, request: &Request) -> u32 {
        let mut chars = 0usize;
        let mut images = 0u32;
        for part in request.messages.iter().flat_map(|m| &m.parts) {
            match part {
                Part::Text { text } => chars += text.len(),
                Part::Image { .. } => images += 1,
            }
        }
        let images = if self.card.content == ContentMode::Parts {
            images
        } else {
            0
        };
        (chars / 4) as u32
            + images * 765
            + request
                .sampling
                .max_tokens
                .unwrap_or(self.card.max_tokens())
    }
}

/// Installs rustls' ring provider once (reqwest is built without a default provider).
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Appends `text` as a JSON string.
fn json_string(out: &mut Vec<u8>, text: &str) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn classify_status(
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
) -> CallError {
    let code = status.as_u16();
    if code == 429 || code == 503 {
        CallError::Overloaded {
            message,
            retry_after,
        }
    } else if code == 408 || status.is_server_error() {
        CallError::Transient {
            message,
            retry_after,
        }
    } else {
        CallError::Permanent { message }
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        // Capped before converting, so `Retry-After: 1e300` cannot panic (the scheduler
        // caps the wait further).
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(crate::card::model::MAX_SECS)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    use std::error::Error;
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut msg = format!("{kind}: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

/// Extracts the answer text and usage from a chat-completion body.
pub fn parse_reply(bytes: &[u8]) -> Result<Response, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "malformed JSON from server ({e}): {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        )
    })?;
    let choice = value
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| "server reply has no choices".to_string())?;
    // `/completions` replies carry `text` where chat replies carry `message.content`.
    let completion;
    let message = match (
        choice.get("message").filter(|m| m.is_object()),
        choice.get("text"),
    ) {
        (Some(message), _) => message,
        (None, Some(text)) => {
            completion = serde_json::json!({ "content": text });
            &completion
        }
        (None, None) => return Err("server reply has no message in choices[0]".to_string()),
    };
    let text = match message.get("content").unwrap_or(&Value::Null) {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        Value::Null => String::new(),
        other => return Err(format!("unexpected message content: {other}")),
    };
    let usage = value.get("usage").and_then(|u| {
        Some(Usage {
            prompt_tokens: u.get("prompt_tokens")?.as_u64()?,
            completion_tokens: u
                .get("completion_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            reasoning_tokens: u["completion_tokens_details"]["reasoning_tokens"]
                .as_u64()
                .unwrap_or(0),
        })
    });
    let mut finish_reason = choice["finish_reason"].as_str().map(str::to_string);
    let reasoning = ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| message[*k].as_str())
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let no_content = matches!(message.get("content"), None | Some(Value::Null));
    if no_content {
        // A reasoning model that ran out of tokens, a refusal and a tool call are replies;
        // anything else without content is not an answer and is retried.
        if message["refusal"].as_str().is_some_and(|r| !r.is_empty()) {
            finish_reason = Some("refusal".into());
        } else if message["tool_calls"]
            .as_array()
            .is_some_and(|calls| !calls.is_empty())
        {
            finish_reason = Some("tool_calls".into());
        } else if reasoning.is_none() {
            return Err(
                "server reply has no answer: choices[0].message.content is null".to_string(),
            );
        }
    }
    Ok(Response {
        text,
        usage,
        latency: Duration::ZERO,
        finish_reason,
        reasoning,
    })
}

/// Moves a reasoning model's thinking (`<think>...</think>`, or the card's tag pair) out of
/// the answer into the reply's reasoning. Thinking that opens and never closes leaves no
/// answer: the reply is marked `finish_reason = "reasoning_unclosed"` (a truncated
/// outcome, never an empty answer scored as if it were one).
pub fn split_reasoning(mut reply: Response, tags: &[String]) -> Response {
    let [open, close] = tags else { return reply };
    let Some(start) = reply.text.find(open.as_str()) else {
        return reply;
    };
    let after_open = start + open.len();
    let (thinking, answer) = match reply.text[after_open..].find(close.as_str()) {
        Some(end) => (
            reply.text[after_open..after_open + end].trim().to_string(),
            format!(
                "{}{}",
                &reply.text[..start],
                &reply.text[after_open + end + close.len()..]
            )
            .trim()
            .to_string(),
        ),
        None => {
            reply.finish_reason = Some(REASONING_UNCLOSED.into());
            (reply.text[after_open..].trim().to_string(), String::new())
        }
    };
    reply.reasoning = Some(match reply.reasoning.take() {
        Some(provider) if !provider.is_empty() => format!("{provider}\n{thinking}"),
        _ => thinking,
    });
    reply.text = answer;
    reply
}

/// The finish reason of a reply whose thinking never closed.
pub const REASONING_UNCLOSED: &str = "reasoning_unclosed";

/// Cuts the answer and reasoning texts to `cap` bytes (at a character boundary) and says so
/// in `finish_reason`, so a runaway reply cannot fill the journal.
fn cap_reply(mut reply: Response, cap: usize) -> Response {
    let mut cut = None;
    for text in [Some(&mut reply.text), reply.reasoning.as_mut()]
        .into_iter()
        .flatten()
    {
        if text.len() > cap {
            let original = text.len();
            let mut end = cap;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            cut = Some(cut.unwrap_or(0).max(original));
        }
    }
    if let Some(original) = cut {
        reply.finish_reason = Some(format!(
            "{} (cut by evalkit to max_response_bytes = {cap} of {original} bytes)",
            reply.finish_reason.as_deref().unwrap_or("unknown")
        ));
    }
    reply
}

/// The answer text and token counts of a chat-completions reply (see [`parse_reply`]).
pub fn parse_completion(bytes: &[u8]) -> Result<(String, Option<Usage>), String> {
    parse_reply(bytes).map(|r| (r.text, r.usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinking_moves_to_the_reasoning() {
        let tags = crate::card::kinds::default_reasoning_tags();
        let reply = |text: &str| Response {
            text: text.into(),
            ..Response::default()
        };
        let split = split_reasoning(reply("<think> 2+2 </think>\n\n4"), &tags);
        assert_eq!(
            (split.text.as_str(), split.reasoning.as_deref()),
            ("4", Some("2+2"))
        );
        assert_eq!(split.finish_reason, None);
        let open = split_reasoning(reply("<think>still going"), &tags);
        assert_eq!(open.text, "");
        assert_eq!(open.finish_reason.as_deref(), Some(REASONING_UNCLOSED));
        assert_eq!(split_reasoning(reply("no tags"), &tags).text, "no tags");
        assert_eq!(
            split_reasoning(reply("<think>x</think>y"), &[]).text,
            "<think>x</think>y"
        );
        let both = split_reasoning(
            Response {
                reasoning: Some("provider".into()),
                ..reply("<think>inline</think>A")
            },
            &tags,
        );
        assert_eq!(both.reasoning.as_deref(), Some("provider\ninline"));
    }

    #[test]
    fn parses_completion_shapes() {
        let ok = br#"{"choices":[{"message":{"content":"42"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
        assert_eq!(
            parse_completion(ok).unwrap(),
            (
                "42".into(),
                Some(Usage {
                    prompt_tokens: 3,
                    completion_tokens: 1,
                    reasoning_tokens: 0,
                })
            )
        );
        assert!(
            parse_completion(br#"{"choices":[]}"#)
                .unwrap_err()
                .contains("no choices")
        );
        assert!(
            parse_completion(b"{not json")
                .unwrap_err()
                .contains("malformed JSON")
        );
        let null = br#"{"choices":[{"message":{"content":null}}]}"#;
        assert!(parse_completion(null).unwrap_err().contains("null"));
        let thinking = br#"{"choices":[{"message":{"content":null,"reasoning_content":"hmm"}}]}"#;
        assert_eq!(
            parse_reply(thinking).unwrap().reasoning.as_deref(),
            Some("hmm")
        );
        let refused = br#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#;
        assert_eq!(
            parse_reply(refused).unwrap().finish_reason.as_deref(),
            Some("refusal")
        );
    }

    #[test]
    fn body_is_valid_json_in_both_content_modes() {
        use crate::adapter::{EncodedImage, Message};
        let mut card: ModelCard = toml::from_str(
            "kind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\\\"x\"\nseed = 7\nsystem_prompt = \"be brief\"\n",
        )
        .unwrap();
        let request = Request {
            messages: vec![Message {
                role: Role::User,
                parts: vec![
                    Part::Image {
                        image: EncodedImage::from_base64(
                            "image/png",
                            "iVBORw0K+/==".to_string().into(),
                        ),
                    },
                    Part::Text {
                        text: "a \"quoted\"\nline\t\u{1}".into(),
                    },
                ],
            }],
            sampling: crate::adapter::Sampling {
                max_tokens: Some(9),
                stop: vec!["\n\n".into()],
                ..Default::default()
            },
        };
        let body: Value =
            serde_json::from_slice(&OpenAiModel::new(&card).unwrap().body(&request)).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "m\"x",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K+/=="}},
                        {"type": "text", "text": "a \"quoted\"\nline\t\u{1}"}
                    ]}
                ],
                "max_tokens": 9, "temperature": 0.0, "seed": 7, "stop": ["\n\n"]
            })
        );
        card.content = ContentMode::Text;
        let body: Value =
            serde_json::from_slice(&OpenAiModel::new(&card).unwrap().body(&request)).unwrap();
        assert_eq!(body["messages"][1]["content"], "a \"quoted\"\nline\t\u{1}");
        assert_eq!(body["messages"][0]["content"], "be brief");
    }

    #[test]
    fn completions_endpoint_sends_one_templated_prompt_and_reads_text() {
        let card: ModelCard = toml::from_str(
            "kind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\nendpoint = \"completions\"\nprompt_template = \"Q: 1+1\\nA: 2\\n\\nQ: {prompt}\\nA:\"\nstop = [\"\\n\"]\n",
        )
        .unwrap();
        let model = OpenAiModel::new(&card).unwrap();
        assert!(model.pool.pick().url().ends_with("/v1/completions"));
        let mut request = Request::text("2+2\n".to_string());
        request.sampling.stop = vec!["\n\n".into()];
        let body: Value = serde_json::from_slice(&model.body(&request)).unwrap();
        assert_eq!(body["prompt"], "Q: 1+1\nA: 2\n\nQ: 2+2\nA:");
        assert_eq!(body["stop"], json!(["\n\n", "\n"]));
        assert!(body.get("messages").is_none());
        assert!(model.fingerprint().contains("completions"));
        let reply = parse_reply(br#"{"choices":[{"text":" 4","finish_reason":"stop"}]}"#).unwrap();
        assert_eq!(reply.text, " 4");
    }

    #[test]
    fn classifies_statuses() {
        let class = |c: u16| classify_status(StatusCode::from_u16(c).unwrap(), String::new(), None);
        let t = |c: u16| matches!(class(c), CallError::Transient { .. });
        let busy = |c: u16| matches!(class(c), CallError::Overloaded { .. });
        assert!(t(500) && t(502) && t(408));
        assert!(busy(429) && busy(503));
        assert!(!t(400) && !t(401) && !t(404) && !t(422));
        assert!(!busy(400) && !busy(500));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1e300"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(86_400)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }
}
