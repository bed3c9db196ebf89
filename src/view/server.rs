//! `evalkit view`'s server: axum on 127.0.0.1, one route per page of `pages`. Pages are
//! rendered on the blocking pool (reading a journal is file work); a missing run or item is
//! a 404 with a sentence, never a panic.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query as AxQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::catalog::{Class, Run};
use super::links::{Links, Query};
use super::pages;

type Runs = Arc<Vec<Arc<Run>>>;

fn not_found(what: String) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(format!(
            "<!doctype html><p>{}</p>",
            crate::report::html::escape(&what)
        )),
    )
        .into_response()
}

async fn render(f: impl FnOnce() -> anyhow::Result<Option<String>> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(Some(html))) => Html(html).into_response(),
        Ok(Ok(None)) => not_found("no such page".into()),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn home(State(runs): State<Runs>) -> Response {
    render(move || Ok(Some(pages::runs(&runs, Links::Served)))).await
}

/// `class`, `field` (`name=value`), `q`, `page` (1-based), `from` (a search's start) from the query string; unknown
/// or malformed values are ignored.
fn query(params: &HashMap<String, String>) -> Query {
    Query {
        class: params.get("class").and_then(|c| Class::from_name(c)),
        field: params
            .get("field")
            .and_then(|f| f.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string())),
        text: params.get("q").filter(|t| !t.trim().is_empty()).cloned(),
        page: params
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .saturating_sub(1),
        from: params
            .get("from")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0),
    }
}

async fn items(
    State(runs): State<Runs>,
    Path(i): Path<usize>,
    AxQuery(params): AxQuery<HashMap<String, String>>,
) -> Response {
    let Some(run) = runs.get(i).cloned() else {
        return not_found(format!("no run {i}"));
    };
    let q = query(&params);
    render(move || pages::items(&run, i, &q, Links::Served).map(Some)).await
}

async fn item(State(runs): State<Runs>, Path((i, id)): Path<(usize, String)>) -> Response {
    let Some(run) = runs.get(i).cloned() else {
        return not_found(format!("no run {i}"));
    };
    render(move || pages::item(&run, i, &id, Links::Served)).await
}

async fn compare(
    State(runs): State<Runs>,
    Path((a, b)): Path<(usize, usize)>,
    AxQuery(params): AxQuery<HashMap<String, String>>,
) -> Response {
    let (Some(ra), Some(rb)) = (runs.get(a).cloned(), runs.get(b).cloned()) else {
        return not_found(format!("no runs {a} and {b}"));
    };
    let page = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .saturating_sub(1);
    render(move || pages::compare(&ra, a, &rb, b, page, Links::Served).map(Some)).await
}

/// The router over `runs`.
pub fn router(runs: Vec<Arc<Run>>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/runs/{i}", get(items))
        .route("/runs/{i}/items/{id}", get(item))
        .route("/compare/{a}/{b}", get(compare))
        .with_state(Arc::new(runs))
}

/// Serves until Ctrl-C; `on_ready` gets the bound address (port 0 picks a free one).
pub async fn serve(
    runs: Vec<Arc<Run>>,
    port: u16,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e} (choose another with --port)")
        })?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, router(runs))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
