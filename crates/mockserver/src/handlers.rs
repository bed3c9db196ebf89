//! The HTTP routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /stats`, and the
//! shared state they work on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::config::{AnswerMode, Capacity, MockConfig};
use crate::faults::{Fault, FaultPlan};
use crate::request::{ChatRequest, parse_chat_request};
use crate::responses::{
    answer_response, echo_request_response, empty_choices_response, error_response, json_response,
    malformed_json_response, truncated_response, with_retry_after,
};
use crate::stats::StatsRecorder;

/// Largest request body accepted (images travel base64-encoded inside the JSON).
pub const MAX_BODY_BYTES: usize = 128 * 1024 * 1024;

/// How long [`Fault::Hang`] keeps a request waiting.
const HANG_FOR: Duration = Duration::from_secs(3600);

/// Lets a handler close the TCP connection its request came on (see
/// [`Fault::DropConnection`]); the connection task waits on it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnKill(pub(crate) Arc<Notify>);

/// State shared by all requests of one server.
#[derive(Debug)]
pub(crate) struct App {
    latency: Duration,
    answers: AnswerMode,
    api_key: Option<String>,
    reject_list_content: bool,
    model_ids: Vec<String>,
    capacity: Option<Capacity>,
    /// Chat requests admitted and not yet answered (only counted with a capacity).
    admitted: AtomicU64,
    pub(crate) plan: FaultPlan,
    pub(crate) stats: Arc<StatsRecorder>,
    /// The next global chat-completion request number.
    pub(crate) next_request: AtomicU64,
}

impl App {
    pub(crate) fn new(config: MockConfig) -> Self {
        Self {
            latency: config.latency,
            answers: config.answers,
            api_key: config.api_key,
            reject_list_content: config.reject_list_content,
            model_ids: config.model_ids,
            capacity: config.capacity,
            admitted: AtomicU64::new(0),
            plan: FaultPlan::new(config.faults),
            stats: Arc::new(StatsRecorder::default()),
            next_request: AtomicU64::new(0),
        }
    }

    /// Whether `headers` carry the configured API key (always true without one).
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(key) = &self.api_key else {
            return true;
        };
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| given.trim() == key)
    }
}

/// The router for one server.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/models", get(models))
        .route("/stats", get(stats))
        .fallback(not_found)
        .with_state(app)
}

fn unauthorized() -> Response {
    error_response(
        StatusCode::UNAUTHORIZED,
        "Incorrect API key provided.",
        "invalid_request_error",
        Some("invalid_api_key"),
    )
}

async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "mock: unknown route",
        "invalid_request_error",
        Some("not_found"),
    )
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    match serde_json::to_value(app.stats.snapshot()) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("mock: cannot serialise stats: {e}"),
            "server_error",
            None,
        ),
    }
}

async fn models(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if !app.authorized(&headers) {
        return unauthorized();
    }
    let data: Vec<Value> = app
        .model_ids
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "mockserver"}))
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    out
}

/// A chat request's place within the server's capacity, given back when dropped.
struct Admitted<'a>(&'a AtomicU64);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl App {
    /// A place for one more chat request, or `None` when the server is at capacity.
    fn admit(&self) -> Result<Option<Admitted<'_>>, Capacity> {
        let Some(capacity) = self.capacity else {
            return Ok(None);
        };
        let before = self.admitted.fetch_add(1, Ordering::SeqCst);
        let guard = Admitted(&self.admitted);
        if before >= capacity.max_in_flight.max(1) {
            return Err(capacity);
        }
        self.stats.record_admitted(before + 1);
        Ok(Some(guard))
    }
}

/// The reply to a request over capacity (its body is read first, as a real server does).
async fn over_capacity(app: &App, capacity: Capacity, req: Request) -> Response {
    let _ = to_bytes(req.into_body(), MAX_BODY_BYTES).await;
    app.stats.record_over_capacity();
    let response = if capacity.status == 429 {
        error_response(
            StatusCode::TOO_MANY_REQUESTS,
            "mock: over capacity, please retry later",
            "requests",
            Some("rate_limit_exceeded"),
        )
    } else {
        error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "mock: over capacity, please retry later",
            "server_error",
            None,
        )
    };
    with_retry_after(response, capacity.retry_after)
}

async fn chat_completions(State(app): State<Arc<App>>, req: Request) -> Response {
    let _in_flight = app.stats.begin();
    let _admitted = match app.admit() {
        Ok(admitted) => admitted,
        Err(capacity) => {
            let resp = over_capacity(&app, capacity, req).await;
            app.stats.record_status(resp.status().as_u16());
            return resp;
        }
    };
    let request_no = app.next_request.fetch_add(1, Ordering::Relaxed);
    let resp = chat_inner(&app, request_no, req).await;
    if resp.extensions().get::<AlreadyCounted>().is_none() {
        app.stats.record_status(resp.status().as_u16());
    }
    resp
}

/// Everything about a chat request except counting its in-flight time and final status.
async fn chat_inner(app: &App, request_no: u64, req: Request) -> Response {
    // The configured latency is the time from the request's arrival to the answer, the
    // server's own work included, so benchmarks measure the client and not this server.
    let deadline = tokio::time::Instant::now() + app.latency;
    let kill = req.extensions().get::<ConnKill>().cloned();
    let (parts, body) = req.into_parts();
    let headers = header_map(&parts.headers);
    app.stats.record_headers(headers.clone());

    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("mock: cannot read the request body (limit {MAX_BODY_BYTES} bytes): {e}"),
                "invalid_request_error",
                None,
            );
        }
    };
    if !app.authorized(&parts.headers) {
        tokio::time::sleep_until(deadline).await;
        return unauthorized();
    }
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("mock: the request body is not valid JSON: {e}"),
                "invalid_request_error",
                None,
            );
        }
    };
    let parsed = parse_chat_request(&value);
    app.stats.record_body(value);
    let chat = match parsed {
        Ok(c) => c,
        Err(msg) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("mock: {msg}"),
                "invalid_request_error",
                None,
            );
        }
    };
    if app.reject_list_content && chat.has_list_content {
        // What llama.cpp's server used to say for OpenAI-style multi-part content.
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": {
                "code": 500,
                "message": "mock (reject_list_content): Expected 'content' to be a string, not a list of parts",
                "type": "server_error"
            }}),
        );
    }

    tokio::time::sleep_until(deadline).await;
    let Some(fault) = app.plan.decide(request_no, &chat.key) else {
        let answer =
            crate::sampling::realise(&app.answers.answer_for_request(&chat.key, &bytes), &chat);
        app.stats.record_answered(&chat.key);
        return answer_response(request_no, &chat, &answer);
    };
    app.stats.record_fault();
    let ctx = FaultCtx {
        app,
        request_no,
        chat: &chat,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        headers: &headers,
        raw_body: &bytes,
    };
    match fault {
        Fault::Hang => {
            app.stats.record_status(0);
            tokio::time::sleep(HANG_FOR).await;
            // Not counted again: status 0 was recorded when the hang began.
            with_status_uncounted(error_response(
                StatusCode::GATEWAY_TIMEOUT,
                "mock: hung for an hour",
                "server_error",
                None,
            ))
        }
        Fault::DropConnection => {
            app.stats.record_status(0);
            if let Some(ConnKill(notify)) = kill {
                notify.notify_one();
                // The connection task drops this future together with the connection.
                std::future::pending::<()>().await;
            }
            // Only reachable when the router is served without a connection killer.
            with_status_uncounted(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "mock: cannot drop this connection",
                "server_error",
                None,
            ))
        }
        other => ctx.respond(&other),
    }
}

/// Marks a response whose status was already recorded (as 0) so that
/// [`chat_completions`] does not count it a second time.
fn with_status_uncounted(mut resp: Response) -> Response {
    resp.extensions_mut().insert(AlreadyCounted);
    resp
}

#[derive(Debug, Clone, Copy)]
struct AlreadyCounted;

struct FaultCtx<'a> {
    app: &'a App,
    request_no: u64,
    chat: &'a ChatRequest,
    method: &'a str,
    path: &'a str,
    headers: &'a BTreeMap<String, String>,
    raw_body: &'a [u8],
}

impl FaultCtx<'_> {
    /// The response for a fault that answers at once.
    fn respond(&self, fault: &Fault) -> Response {
        match fault {
            Fault::RateLimit { retry_after } => with_retry_after(
                error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "mock: rate limit reached, please retry later",
                    "requests",
                    Some("rate_limit_exceeded"),
                ),
                *retry_after,
            ),
            Fault::ServerError => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "mock: internal server error",
                "server_error",
                None,
            ),
            Fault::Unavailable { retry_after } => with_retry_after(
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "mock: the server is overloaded or not ready yet",
                    "server_error",
                    None,
                ),
                *retry_after,
            ),
            Fault::MalformedJson => malformed_json_response(self.request_no, self.chat),
            Fault::EmptyChoices => empty_choices_response(self.request_no, self.chat),
            Fault::TruncatedStream => {
                let answer = crate::sampling::realise(
                    &self
                        .app
                        .answers
                        .answer_for_request(&self.chat.key, self.raw_body),
                    self.chat,
                );
                truncated_response(self.request_no, self.chat, &answer)
            }
            Fault::BadRequest => error_response(
                StatusCode::BAD_REQUEST,
                "mock: injected bad request",
                "invalid_request_error",
                None,
            ),
            Fault::EchoRequestError => {
                echo_request_response(self.method, self.path, self.headers, self.raw_body)
            }
            // Resolved before we get here; answer 500 rather than panic.
            Fault::Hang | Fault::DropConnection | Fault::OneOf(_) => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "mock: unexpected fault",
                "server_error",
                None,
            ),
        }
    }
}
