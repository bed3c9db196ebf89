//! Building the HTTP responses the mock sends: OpenAI-shaped completions, SSE streams,
//! error bodies, and the deliberately broken bodies of the faults.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::request::{ChatRequest, completion_tokens};

/// A JSON response with `status`.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    bytes_response(status, "application/json", body.to_string())
}

/// A response with `status`, the given content type and body.
pub(crate) fn bytes_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response {
    let mut resp = (status, body.into()).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// An OpenAI-style error response: `{"error":{"message","type","param":null,"code"}}`.
pub(crate) fn error_response(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
) -> Response {
    json_response(status, &error_body(message, kind, code))
}

fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

/// Adds `Retry-After: secs` when `retry_after` is `Some`.
pub(crate) fn with_retry_after(mut resp: Response, retry_after: Option<u64>) -> Response {
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// The non-streaming completion object for `answer` (`choices` empty when `answer` is
/// `None`).
pub(crate) fn completion_body(request_no: u64, req: &ChatRequest, answer: Option<&str>) -> Value {
    let completion = answer.map_or(0, completion_tokens);
    let choices = match answer {
        Some(text) => json!([{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": if crate::sampling::hit_limit(text, req) { "length" } else { "stop" }
        }]),
        None => json!([]),
    };
    let prompt = req.prompt_tokens();
    json!({
        "id": format!("mock-{request_no}"),
        "object": "chat.completion",
        "created": 0,
        "model": req.model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt.saturating_add(completion)
        }
    })
}

fn chunk(request_no: u64, req: &ChatRequest, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": format!("mock-{request_no}"),
        "object": "chat.completion.chunk",
        "created": 0,
        "model": req.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    })
}

fn event(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

const DONE: &str = "data: [DONE]\n\n";

/// How long a truncated stream waits, after its last event, before breaking off.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);

/// The SSE events of a streamed answer: a role chunk, one chunk per word of `answer`,
/// a `finish_reason: "stop"` chunk, a usage chunk when the client asked for
/// `stream_options.include_usage`, then `[DONE]`.
fn stream_events(request_no: u64, req: &ChatRequest, answer: &str) -> Vec<Bytes> {
    let mut events = vec![event(&chunk(
        request_no,
        req,
        json!({"role": "assistant", "content": ""}),
        None,
    ))];
    for piece in answer.split_inclusive(' ') {
        events.push(event(&chunk(
            request_no,
            req,
            json!({"content": piece}),
            None,
        )));
    }
    events.push(event(&chunk(request_no, req, json!({}), Some("stop"))));
    if req.include_usage {
        let prompt = req.prompt_tokens();
        let completion = completion_tokens(answer);
        events.push(event(&json!({
            "id": format!("mock-{request_no}"),
            "object": "chat.completion.chunk",
            "created": 0,
            "model": req.model,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt.saturating_add(completion)
            }
        })));
    }
    events.push(Bytes::from_static(DONE.as_bytes()));
    events
}

fn sse_response(items: Vec<Result<Bytes, io::Error>>) -> Response {
    sse_body(futures_util::stream::iter(items))
}

fn sse_body<S>(stream: S) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
{
    let body = Body::from_stream(stream);
    let mut resp = (StatusCode::OK, body).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// A normal answer, streamed or not.
pub(crate) fn answer_response(request_no: u64, req: &ChatRequest, answer: &str) -> Response {
    if req.stream {
        sse_response(
            stream_events(request_no, req, answer)
                .into_iter()
                .map(Ok)
                .collect(),
        )
    } else {
        json_response(
            StatusCode::OK,
            &completion_body(request_no, req, Some(answer)),
        )
    }
}

/// [`crate::Fault::EmptyChoices`]: a well-formed answer with no choices.
pub(crate) fn empty_choices_response(request_no: u64, req: &ChatRequest) -> Response {
    if req.stream {
        let mut body = completion_body(request_no, req, None);
        body["object"] = json!("chat.completion.chunk");
        sse_response(vec![
            Ok(event(&body)),
            Ok(Bytes::from_static(DONE.as_bytes())),
        ])
    } else {
        json_response(StatusCode::OK, &completion_body(request_no, req, None))
    }
}

/// [`crate::Fault::MalformedJson`]: HTTP 200 whose payload is not JSON.
pub(crate) fn malformed_json_response(request_no: u64, req: &ChatRequest) -> Response {
    let junk = format!("{{\"id\": \"mock-{request_no}\", \"choices\": [{{\"message\": oops <html>");
    if req.stream {
        sse_response(vec![
            Ok(Bytes::from(format!("data: {junk}\n\n"))),
            Ok(Bytes::from_static(DONE.as_bytes())),
        ])
    } else {
        bytes_response(StatusCode::OK, "application/json", junk)
    }
}

/// [`crate::Fault::TruncatedStream`]: for streams, part of the events and then an
/// aborted body; otherwise a JSON body cut off halfway.
pub(crate) fn truncated_response(request_no: u64, req: &ChatRequest, answer: &str) -> Response {
    if req.stream {
        let events = stream_events(request_no, req, answer);
        // Keep the role chunk and about half of the content chunks, never the stop chunk.
        let keep = 1 + events.len().saturating_sub(3) / 2;
        let sent: Vec<Result<Bytes, io::Error>> = events.into_iter().take(keep).map(Ok).collect();
        // Pause before failing so that the server flushes what was sent; the body error
        // then makes the server abort the connection mid-body.
        let abort = futures_util::stream::once(async {
            tokio::time::sleep(TRUNCATE_PAUSE).await;
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "mock: stream truncated on purpose",
            ))
        });
        sse_body(futures_util::stream::iter(sent).chain(abort))
    } else {
        let full = completion_body(request_no, req, Some(answer)).to_string();
        let mut cut = full.len() / 2;
        while !full.is_char_boundary(cut) {
            cut -= 1;
        }
        bytes_response(StatusCode::OK, "application/json", full[..cut].to_owned())
    }
}

/// [`crate::Fault::EchoRequestError`]: HTTP 400 echoing the request line, every header
/// and the raw body, in `error.message` and again, structured, in `error.request`.
pub(crate) fn echo_request_response(
    method: &str,
    path: &str,
    headers: &BTreeMap<String, String>,
    raw_body: &[u8],
) -> Response {
    let body_text = String::from_utf8_lossy(raw_body);
    let header_lines: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let message = format!(
        "mock: invalid request {method} {path}; request headers were [{}]; request body was {body_text}",
        header_lines.join("; ")
    );
    let mut body = error_body(&message, "invalid_request_error", Some("echo_request"));
    body["error"]["request"] = json!({
        "method": method,
        "path": path,
        "headers": headers,
        "body": body_text,
    });
    json_response(StatusCode::BAD_REQUEST, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(stream: bool) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            stream,
            include_usage: true,
            key: "k".into(),
            prompt_chars: 8,
            image_parts: 1,
            has_list_content: true,
            seed: None,
            sampled: false,
            stop: vec![],
            prefill: None,
            max_tokens: None,
        }
    }

    #[test]
    fn completion_body_has_openai_shape() {
        let b = completion_body(3, &req(false), Some("four"));
        assert_eq!(b["id"], "mock-3");
        assert_eq!(b["choices"][0]["message"]["content"], "four");
        assert_eq!(b["usage"]["prompt_tokens"], 87);
        assert_eq!(b["usage"]["completion_tokens"], 1);
        assert_eq!(b["usage"]["total_tokens"], 88);
    }

    #[test]
    fn stream_events_end_with_done_and_rebuild_answer() {
        let events = stream_events(0, &req(true), "a b c");
        assert_eq!(events.last().map(|b| &b[..]), Some(DONE.as_bytes()));
        let mut text = String::new();
        for e in &events[..events.len() - 1] {
            let s = std::str::from_utf8(e).expect("utf8");
            let v: Value =
                serde_json::from_str(s.trim_start_matches("data: ").trim()).expect("json");
            if let Some(c) = v["choices"][0]["delta"]["content"].as_str() {
                text.push_str(c);
            }
        }
        assert_eq!(text, "a b c");
    }
}
