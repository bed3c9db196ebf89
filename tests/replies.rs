//! Replies that are not answers, and replies too large to keep: a chat completion whose
//! content is null (or which has no message) is a retried failure, not an empty answer; a
//! reasoning model that ran out of tokens and a refusal are recorded as such; a long answer
//! is cut to the card's `max_response_bytes` and stored once; a body far over it is not
//! read; an image over the card's pixel budget is an invalid row, never decoded. Also: the key and a `base_url` password never reach a file or an output stream,
//! in any encoding a server might echo them in. The server here is a few lines of raw HTTP
//! so each test can send exactly the bytes it needs.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server answering every `POST` with `status` and `body`, `GET /models` with an empty
/// list; it counts the POSTs and keeps the last request's head (headers).
struct RawServer {
    url: String,
    posts: Arc<AtomicU64>,
}

impl RawServer {
    async fn start(status: u16, body: Vec<u8>) -> RawServer {
        Self::start_with(move |_head| (status, body.clone())).await
    }

    /// `reply` gets the request head (request line and headers) and gives the reply.
    async fn start_with(
        reply: impl Fn(&str) -> (u16, Vec<u8>) + Send + Sync + 'static,
    ) -> RawServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let posts = Arc::new(AtomicU64::new(0));
        let reply = Arc::new(reply);
        let counter = posts.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (reply, counter) = (reply.clone(), counter.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // One request per connection is enough for these tests.
                        let mut chunk = [0u8; 65536];
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let length: usize = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() < end + 4 + length {
                            continue;
                        }
                        let (status, body) = if head.starts_with("GET") {
                            (200, b"{\"data\":[]}".to_vec())
                        } else {
                            counter.fetch_add(1, Ordering::SeqCst);
                            reply(&head)
                        };
                        let header = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = socket.write_all(header.as_bytes()).await;
                        let _ = socket.write_all(&body).await;
                        let _ = socket.shutdown().await;
                        return;
                    }
                });
            }
        });
        RawServer { url, posts }
    }

    fn posts(&self) -> u64 {
        self.posts.load(Ordering::SeqCst)
    }
}

fn completion(message: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "choices": [{"message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2}
    }))
    .unwrap()
}

/// Runs the 3-item ChartQA set against `url`; returns the output and the run directory.
async fn run(
    tmp: &Path,
    url: &str,
    extra: &str,
    env: &[(&str, &str)],
) -> (std::process::Output, std::path::PathBuf) {
    let data = big_chartqa(tmp, 3);
    let card = model_card(tmp, "mock", url, &format!("max_attempts = 2\n{extra}"));
    let out = evalkit_async(
        tmp,
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "chartqa",
            "--data",
            data.to_str().unwrap(),
            "--quiet",
        ],
        env,
    )
    .await;
    let dir = run_dir(&tmp.join("runs"));
    (out, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_null_content_or_a_missing_message_is_a_retried_failure() {
    for (message, error) in [
        (
            serde_json::json!({"role": "assistant", "content": null}),
            "content is null",
        ),
        (serde_json::json!(null), "no message"),
    ] {
        let server = RawServer::start(200, completion(message)).await;
        let tmp = tempfile::tempdir().unwrap();
        let (_, dir) = run(tmp.path(), &server.url, "", &[]).await;
        let records = predictions(&dir);
        assert_eq!(records.len(), 3);
        for r in &records {
            assert_eq!(r["status"], "failed", "{r}");
            assert!(r["error"].as_str().unwrap().contains(error), "{r}");
            assert_eq!(r["attempts"], 2, "retried: {r}");
        }
        assert_eq!(server.posts(), 6);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reasoning_model_out_of_tokens_and_a_refusal_are_replies() {
    for (message, check) in [
        (
            serde_json::json!({"content": null, "reasoning_content": "let me think"}),
            "let me think",
        ),
        (
            serde_json::json!({"content": null, "refusal": "I cannot help"}),
            "refusal",
        ),
    ] {
        let server = RawServer::start(200, completion(message)).await;
        let tmp = tempfile::tempdir().unwrap();
        let (out, dir) = run(tmp.path(), &server.url, "", &[]).await;
        for r in predictions(&dir) {
            assert_eq!(r["status"], "answered", "{r}");
            assert_eq!(r["attempts"], 1, "{r}");
            assert!(r.to_string().contains(check), "{r}");
        }
        assert_eq!(server.posts(), 3, "{}", stderr(&out));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn long_answers_are_cut_and_stored_once_and_huge_bodies_are_not_read() {
    // 3 MB of answer: cut to 1 MiB (the default), stored once per line.
    let answer = "45 ".repeat(1_000_000);
    let server = RawServer::start(
        200,
        completion(serde_json::json!({"content": answer.clone()})),
    )
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let (out, dir) = run(tmp.path(), &server.url, "", &[]).await;
    ok(&out);
    let journal = std::fs::metadata(dir.join("predictions.jsonl"))
        .unwrap()
        .len();
    eprintln!("3 items x 3 MB answers: journal {journal} bytes");
    assert!(journal < 3 * (1 << 20) + 30_000, "{journal} bytes");
    for r in predictions(&dir) {
        assert_eq!(r["status"], "answered");
        assert_eq!(r["response"].as_str().unwrap().len(), 1 << 20);
        let finish = r["calls"][0]["finish_reason"].as_str().unwrap();
        assert!(finish.contains("cut by evalkit"), "{finish}");
    }
    // 100 MB: over 4 x max_response_bytes + 1 MiB, so not read; the same request would
    // get the same reply, so it is not retried either.
    let huge = completion(serde_json::json!({"content": "7".repeat(100 << 20)}));
    let server = RawServer::start(200, huge).await;
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (_, dir) = run(tmp.path(), &server.url, "", &[]).await;
    let journal = std::fs::metadata(dir.join("predictions.jsonl"))
        .unwrap()
        .len();
    eprintln!(
        "3 items x 100 MB replies: journal {journal} bytes in {:?}",
        started.elapsed()
    );
    assert!(journal < 10_000, "{journal} bytes");
    for r in predictions(&dir) {
        assert_eq!(r["status"], "failed");
        assert_eq!(r["attempts"], 1);
        assert!(
            r["error"].as_str().unwrap().contains("max_response_bytes"),
            "{r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_redacted_in_every_encoding_before_error_bodies_are_cut() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // Long enough that it straddles the 500-character cut of an error body.
    let key = format!("sk-LEAK{}", "Qz7".repeat(200));
    let password = "pa55-w0rd-LEAK";
    let (k, p) = (key.clone(), password.to_string());
    let server = RawServer::start_with(move |head| {
        let encoded: String = k
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = format!(
            "{}{k} | url {encoded} | b64 {} | basic {} | head {head}",
            "x".repeat(450),
            b64(&format!("Bearer {k}")),
            b64(&format!("user:{p}")),
        );
        (400, body.into_bytes())
    })
    .await;
    let url = server
        .url
        .replace("http://", &format!("http://user:{password}@"));
    let tmp = tempfile::tempdir().unwrap();
    let (out, dir) = run(tmp.path(), &url, "", &[("EVALKIT_TEST_KEY", &key)]).await;
    let report = evalkit_async(
        tmp.path(),
        &["report", dir.to_str().unwrap(), "--format", "json"],
        &[],
    )
    .await;
    let mut texts = Vec::new();
    for o in [&out, &report] {
        texts.push(("stdout".to_string(), stdout(o)));
        texts.push(("stderr".to_string(), stderr(o)));
    }
    for root in [tmp.path().join("runs"), tmp.path().join(".cache")] {
        if root.exists() {
            for file in walk(&root) {
                let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
                texts.push((file.display().to_string(), text));
            }
        }
    }
    let records = predictions(&dir);
    assert!(
        records[0]["error"].as_str().unwrap().contains("[REDACTED]"),
        "{:#}",
        records[0]
    );
    let leaks = [
        key[..20].to_string(),
        "Qz7Qz7Qz7".to_string(),
        password.to_string(),
        b64(&key)[4..24].to_string(),
        b64(&format!("Bearer {key}"))[12..32].to_string(),
        b64(&format!("user:{password}"))[8..].to_string(),
    ];
    for (name, text) in &texts {
        for leak in &leaks {
            assert!(!text.contains(leak.as_str()), "{leak} in {name}:\n{text}");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}

/// A PNG whose header says `w` x `h` (its pixel data is one empty, invalid chunk: only
/// the header is ever read when the image is over the budget).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], {
            let mut d = w.to_be_bytes().to_vec();
            d.extend_from_slice(&h.to_be_bytes());
            d.extend_from_slice(&[8, 0, 0, 0, 0]);
            d
        }),
        (b"IDAT", vec![0x78, 0x9c]),
        (b"IEND", vec![]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(&data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc(&body).to_be_bytes());
    }
    png
}

#[tokio::test(flavor = "multi_thread")]
async fn images_over_the_pixel_budget_are_invalid_rows_and_never_decoded() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let test = tmp.path().join("huge/test");
    std::fs::create_dir_all(test.join("png")).unwrap();
    std::fs::write(test.join("png/huge.png"), png_header(20_000, 20_000)).unwrap();
    std::fs::write(
        test.join("test_human.json"),
        r#"[{"imgname": "huge.png", "query": "Q?", "label": "45"}]"#,
    )
    .unwrap();
    std::fs::write(test.join("test_augmented.json"), "[]").unwrap();
    let card = model_card(
        tmp.path(),
        "mock",
        &server.base_url(),
        "image_max_side = 512\n",
    );
    let started = std::time::Instant::now();
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "chartqa",
            "--data",
            test.to_str().unwrap(),
            "--json",
        ],
        &[],
    )
    .await;
    let elapsed = started.elapsed();
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    eprintln!(
        "20000 x 20000 PNG refused in {elapsed:?}, peak RSS {} MiB",
        s["peak_rss_mib"]
    );
    assert_eq!(s["counts"]["invalid"], 1, "{s:#}\n{}", stderr(&out));
    let invalid = std::fs::read_to_string(dir.join("invalid.jsonl")).unwrap();
    assert!(
        invalid.contains("20000 x 20000") && invalid.contains("max_image_pixels"),
        "{invalid}"
    );
    assert_eq!(server.stats().answered_total(), 0);
}
