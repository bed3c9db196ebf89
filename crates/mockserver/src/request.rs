//! Parsing and validating an OpenAI chat-completions request body into the few facts the
//! mock needs (model, stream flag, request key, prompt size). Never panics: anything
//! malformed becomes an error message for an HTTP 400.

use serde_json::Value;

/// What the handlers need to know about a valid chat-completions request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatRequest {
    /// The requested model name (`"mock"` if the request named none).
    pub model: String,
    /// Whether the client asked for an SSE stream.
    pub stream: bool,
    /// Whether a stream should end with a usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Text of the last user message; list content has its text parts joined with `"\n"`.
    pub key: String,
    /// Characters of text over all messages.
    pub prompt_chars: usize,
    /// Number of `image_url` parts over all messages.
    pub image_parts: usize,
    /// Whether any message's content was a list of parts.
    pub has_list_content: bool,
    /// The request's `seed`.
    pub seed: Option<u64>,
    /// Whether the request samples (`temperature` > 0).
    pub sampled: bool,
    /// The request's stop sequences (`stop`, a string or a list).
    pub stop: Vec<String>,
    /// The text of the last message when it is the assistant's (a prefill to continue).
    pub prefill: Option<String>,
    /// The request's `max_tokens` (or `max_completion_tokens`).
    pub max_tokens: Option<u64>,
}

impl ChatRequest {
    /// Prompt tokens as the mock counts them: characters / 4, plus 85 per image, at least 1.
    pub fn prompt_tokens(&self) -> u64 {
        let chars = u64::try_from(self.prompt_chars).unwrap_or(u64::MAX);
        let images = u64::try_from(self.image_parts).unwrap_or(u64::MAX);
        (chars / 4).saturating_add(images.saturating_mul(85)).max(1)
    }
}

/// Completion tokens for `answer`: characters / 4, at least 1.
pub(crate) fn completion_tokens(answer: &str) -> u64 {
    (u64::try_from(answer.chars().count()).unwrap_or(u64::MAX) / 4).max(1)
}

/// Validates `body` as a chat-completions request.
pub(crate) fn parse_chat_request(body: &Value) -> Result<ChatRequest, String> {
    let obj = body
        .as_object()
        .ok_or("the request body must be a JSON object")?;

    let model = match obj.get("model") {
        None | Some(Value::Null) => "mock".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("`model` must be a string".to_owned()),
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`stream` must be a boolean".to_owned()),
    };
    for field in ["max_tokens", "max_completion_tokens"] {
        if let Some(v) = obj.get(field)
            && !v.is_null()
            && !v.is_u64()
        {
            return Err(format!("`{field}` must be a non-negative integer"));
        }
    }
    if let Some(v) = obj.get("seed")
        && !v.is_null()
        && !(v.is_i64() || v.is_u64())
    {
        return Err("`seed` must be an integer".to_owned());
    }
    if let Some(v) = obj.get("temperature")
        && !v.is_null()
        && !v.is_number()
    {
        return Err("`temperature` must be a number".to_owned());
    }

    let messages = match obj.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => return Err("`messages` must not be empty".to_owned()),
        _ => return Err("`messages` must be an array of messages".to_owned()),
    };

    let include_usage = obj
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let mut req = ChatRequest {
        model,
        stream,
        include_usage,
        key: String::new(),
        prompt_chars: 0,
        image_parts: 0,
        has_list_content: false,
        seed: obj.get("seed").and_then(Value::as_u64),
        sampled: obj
            .get("temperature")
            .and_then(Value::as_f64)
            .is_some_and(|t| t > 0.0),
        stop: match obj.get("stop") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        },
        prefill: None,
        max_tokens: ["max_tokens", "max_completion_tokens"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_u64)),
    };
    for (i, message) in messages.iter().enumerate() {
        let message = message
            .as_object()
            .ok_or_else(|| format!("`messages[{i}]` must be an object"))?;
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`messages[{i}].role` must be a string"))?;
        let text = match message.get("content") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => {
                req.has_list_content = true;
                let mut texts: Vec<&str> = Vec::new();
                for (j, part) in parts.iter().enumerate() {
                    match parse_part(part) {
                        Ok(Part::Text(t)) => texts.push(t),
                        Ok(Part::Image) => req.image_parts += 1,
                        Err(e) => return Err(format!("`messages[{i}].content[{j}]`: {e}")),
                    }
                }
                texts.join("\n")
            }
            Some(_) => {
                return Err(format!(
                    "`messages[{i}].content` must be a string or a list of parts"
                ));
            }
        };
        req.prompt_chars = req.prompt_chars.saturating_add(text.chars().count());
        req.prefill = None;
        if role == "user" {
            req.key = text;
        } else if role == "assistant" {
            req.prefill = Some(text);
        }
    }
    Ok(req)
}

enum Part<'a> {
    Text(&'a str),
    Image,
}

fn parse_part(part: &Value) -> Result<Part<'_>, String> {
    let part = part.as_object().ok_or("a content part must be an object")?;
    match part.get("type").and_then(Value::as_str) {
        Some("text") => part
            .get("text")
            .and_then(Value::as_str)
            .map(Part::Text)
            .ok_or_else(|| "a text part needs a string `text`".to_owned()),
        Some("image_url") => {
            let url = part
                .get("image_url")
                .and_then(|v| v.get("url"))
                .and_then(Value::as_str)
                .ok_or("an image_url part needs `image_url.url` as a string")?;
            if url.is_empty() {
                return Err("`image_url.url` must not be empty".to_owned());
            }
            Ok(Part::Image)
        }
        Some(other) => Err(format!("unsupported content part type `{other}`")),
        None => Err("a content part needs a string `type`".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_is_last_user_text_and_parts_join() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "sys"},
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": null},
                {"role": "user", "content": [
                    {"type": "text", "text": "a"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                    {"type": "text", "text": "b"}
                ]}
            ],
            "stream": true, "max_tokens": 5, "temperature": 0.0, "seed": -1
        });
        let r = parse_chat_request(&body).expect("valid");
        assert_eq!(r.key, "a\nb");
        assert_eq!(r.model, "m");
        assert!(r.stream && r.has_list_content);
        assert_eq!(r.image_parts, 1);
        assert_eq!(r.prompt_chars, 3 + 5 + 3);
        assert_eq!(r.prompt_tokens(), 2 + 85);
        assert_eq!(completion_tokens(""), 1);
        assert_eq!(completion_tokens("12345678"), 2);
    }

    #[test]
    fn malformed_requests_are_errors() {
        for body in [
            json!([]),
            json!({}),
            json!({"messages": []}),
            json!({"messages": "hi"}),
            json!({"messages": [1]}),
            json!({"messages": [{"content": "x"}]}),
            json!({"messages": [{"role": "user", "content": 3}]}),
            json!({"messages": [{"role": "user", "content": [{"type": "audio"}]}]}),
            json!({"messages": [{"role": "user", "content": [{"type": "text"}]}]}),
            json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "u"}]}]}),
            json!({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}),
            json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": -1}),
            json!({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}),
            json!({"messages": [{"role": "user", "content": "x"}], "model": 1}),
        ] {
            assert!(parse_chat_request(&body).is_err(), "{body}");
        }
    }
}
