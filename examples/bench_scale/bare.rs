//! The bare client: the least a program must do to send the benchmark's requests, run as
//! a child process of its own (`bench -- bare URL ITEMS CONCURRENCY`) so its wall time,
//! CPU time and peak memory are measured exactly as evalkit's are. It builds each body
//! from the same image and question evalkit sends (no data file read, nothing written),
//! keeps `CONCURRENCY` requests in flight over one reqwest client, and parses each reply's
//! JSON. It prints one JSON line: `{"wall_s", "answered", "failed", "peak_rss_mib"}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use base64::Engine;

use super::data;

/// Runs the bare client from the command line's `URL ITEMS CONCURRENCY`.
pub async fn main(args: &[String]) -> anyhow::Result<()> {
    let (Some(url), Some(items), Some(concurrency)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<u64>().ok()),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        anyhow::bail!("usage: bench -- bare BASE_URL ITEMS CONCURRENCY");
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let images: Arc<Vec<String>> = Arc::new(
        data::images()
            .iter()
            .map(|png| base64::engine::general_purpose::STANDARD.encode(png))
            .collect(),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()?;
    let url = Arc::new(format!("{url}/chat/completions"));
    let next = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, next, answered, images) = (
            client.clone(),
            url.clone(),
            next.clone(),
            answered.clone(),
            images.clone(),
        );
        workers.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= items {
                    break;
                }
                let body = body(&images, n as usize);
                let Ok(reply) = client
                    .post(url.as_str())
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                else {
                    continue;
                };
                let Ok(bytes) = reply.bytes().await else {
                    continue;
                };
                let text = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| {
                        v["choices"][0]["message"]["content"]
                            .as_str()
                            .map(str::to_owned)
                    });
                if text.is_some() {
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let wall_s = started.elapsed().as_secs_f64();
    let answered = answered.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "wall_s": wall_s,
            "answered": answered,
            "failed": items - answered,
            "peak_rss_mib": super::usage::own_peak_rss_mib(),
        })
    );
    Ok(())
}

/// The chat-completions body for question `n`: its chart as a data URL and the suite's
/// prompt around the question, as evalkit sends it.
fn body(images: &[String], n: usize) -> Vec<u8> {
    let image = &images[data::image_of(n)];
    let prompt = format!(
        "{}\nAnswer the question using a single word or phrase.",
        data::question(n)
    );
    let mut out = Vec::with_capacity(image.len() + prompt.len() + 256);
    out.extend_from_slice(
        b"{\"model\":\"mock\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,",
    );
    out.extend_from_slice(image.as_bytes());
    out.extend_from_slice(b"\"}},{\"type\":\"text\",\"text\":");
    let _ = serde_json::to_writer(&mut out, &prompt);
    out.extend_from_slice(b"}]}],\"temperature\":0}");
    out
}
