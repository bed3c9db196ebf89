//! Integration tests for fault injection: every Fault kind and every When condition.

mod common;

use std::time::{Duration, Instant};

use common::{chat, chat_stream, client, post, post_json, sse_data};
use mockserver::{Fault, FaultRule, MockConfig, MockServer, When};

async fn server_with(fault: Fault, when: When) -> MockServer {
    MockServer::start(MockConfig {
        faults: vec![FaultRule::new(fault, when)],
        ..MockConfig::fixed("fine")
    })
    .await
    .expect("start")
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn rate_limit_and_unavailable_set_retry_after() {
    let c = client();
    let cases = [
        (
            Fault::RateLimit {
                retry_after: Some(3),
            },
            429,
            Some("3"),
        ),
        (Fault::RateLimit { retry_after: None }, 429, None),
        (
            Fault::Unavailable {
                retry_after: Some(1),
            },
            503,
            Some("1"),
        ),
        (Fault::Unavailable { retry_after: None }, 503, None),
        (Fault::ServerError, 500, None),
        (Fault::BadRequest, 400, None),
    ];
    for (fault, status, retry_after) in cases {
        let server = server_with(fault.clone(), When::Always).await;
        let resp = post(&c, &server.base_url(), &chat("q"))
            .await
            .expect("resp");
        assert_eq!(resp.status().as_u16(), status, "{fault:?}");
        assert_eq!(
            header(&resp, "retry-after").as_deref(),
            retry_after,
            "{fault:?}"
        );
        let body: serde_json::Value = resp.json().await.expect("error json");
        assert!(body["error"]["message"].is_string(), "{fault:?}: {body}");
        let stats = server.stats();
        assert_eq!(stats.faults_injected, 1);
        assert_eq!(stats.status_count(status), 1);
        assert!(stats.answered.is_empty());
    }
}

#[tokio::test]
async fn malformed_json_and_empty_choices() {
    let c = client();
    let server = server_with(Fault::MalformedJson, When::Always).await;
    let resp = post(&c, &server.base_url(), &chat("q"))
        .await
        .expect("resp");
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
    let text = post(&c, &server.base_url(), &chat_stream("q"))
        .await
        .expect("resp")
        .text()
        .await
        .expect("body");
    let payloads = sse_data(&text);
    assert!(
        serde_json::from_str::<serde_json::Value>(&payloads[0]).is_err(),
        "{text}"
    );

    let server = server_with(Fault::EmptyChoices, When::Always).await;
    let (status, body) = post_json(&c, &server.base_url(), &chat("q")).await;
    assert_eq!(status, 200);
    assert_eq!(body["choices"], serde_json::json!([]));
    let stats = server.stats();
    assert_eq!(stats.status_count(200), 1);
    assert!(stats.answered.is_empty(), "empty choices is not an answer");
}

#[tokio::test]
async fn truncated_stream_and_truncated_json() {
    let c = client();
    let server = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(Fault::TruncatedStream, When::Always)],
        ..MockConfig::fixed("one two three four five six")
    })
    .await
    .expect("start");
    let resp = post(&c, &server.base_url(), &chat_stream("q"))
        .await
        .expect("resp");
    assert_eq!(resp.status(), 200);
    // Headers and a few events arrive, then the chunked body breaks off.
    let mut resp = resp;
    let mut received = Vec::new();
    let outcome = loop {
        match resp.chunk().await {
            Ok(Some(bytes)) => received.extend_from_slice(&bytes),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(outcome.is_err(), "the body must end in an error");
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains("\"one \""), "{text}");
    assert!(!text.contains("[DONE]"), "{text}");
    let resp = post(&c, &server.base_url(), &chat("q"))
        .await
        .expect("resp");
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    assert!(text.starts_with('{'));
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
    assert!(server.stats().answered.is_empty());
}

#[tokio::test]
async fn drop_connection_sends_nothing() {
    let server = server_with(Fault::DropConnection, When::Matching("drop me".into())).await;
    let c = client();
    let err = post(&c, &server.base_url(), &chat("please drop me"))
        .await
        .expect_err("no response");
    assert!(!err.is_timeout(), "{err}");
    let (status, _) = post_json(&c, &server.base_url(), &chat("keep me")).await;
    assert_eq!(status, 200);
    let stats = server.stats();
    assert_eq!(stats.status_count(0), 1);
    assert_eq!(stats.status_count(200), 1);
    assert_eq!(stats.in_flight, 0);
}

#[tokio::test]
async fn hang_blocks_only_its_own_request() {
    let server = server_with(Fault::Hang, When::Matching("hang".into())).await;
    let base = server.base_url();
    let impatient = common::client_with_timeout(Duration::from_millis(300));
    let hung = tokio::spawn({
        let base = base.clone();
        async move { post(&impatient, &base, &chat("hang please")).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let (status, _) = post_json(&client(), &base, &chat("quick")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_millis(250));
    let err = hung
        .await
        .expect("join")
        .expect_err("hung request must time out");
    assert!(err.is_timeout(), "{err}");
    let stats = server.stats();
    assert_eq!(stats.status_count(0), 1);
    assert_eq!(stats.faults_injected, 1);
}

#[tokio::test]
async fn echo_request_error_leaks_the_headers() {
    let server = MockServer::start(MockConfig {
        api_key: Some("sk-secret-123".into()),
        faults: vec![FaultRule::new(Fault::EchoRequestError, When::Always)],
        ..MockConfig::default()
    })
    .await
    .expect("start");
    let resp = client()
        .post(format!("{}/chat/completions", server.base_url()))
        .bearer_auth("sk-secret-123")
        .json(&chat("q"))
        .send()
        .await
        .expect("resp");
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.expect("json");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("Bearer sk-secret-123"), "{message}");
    assert_eq!(
        body["error"]["request"]["headers"]["authorization"],
        "Bearer sk-secret-123"
    );
    assert!(
        body["error"]["request"]["body"]
            .as_str()
            .expect("body")
            .contains("\"seed\":42")
    );
}

#[tokio::test]
async fn first_attempts_fail_per_key() {
    let server = server_with(Fault::ServerError, When::FirstAttempts(2)).await;
    let c = client();
    let base = server.base_url();
    let mut statuses = Vec::new();
    for key in ["a", "b", "a", "a", "b", "b", "a"] {
        statuses.push(post_json(&c, &base, &chat(key)).await.0);
    }
    assert_eq!(statuses, [500, 500, 500, 200, 500, 200, 200]);
    let stats = server.stats();
    assert_eq!(stats.answered.get("a"), Some(&2));
    assert_eq!(stats.answered.get("b"), Some(&1));
    assert_eq!(stats.faults_injected, 4);
    server.reset_faults();
    assert_eq!(post_json(&c, &base, &chat("a")).await.0, 500);
}

#[tokio::test]
async fn requests_by_number_and_matching() {
    let server = MockServer::start(MockConfig {
        faults: vec![
            FaultRule::new(Fault::BadRequest, When::Matching("poison".into())),
            FaultRule::new(Fault::ServerError, When::Requests(vec![1, 3])),
        ],
        ..MockConfig::default()
    })
    .await
    .expect("start");
    let c = client();
    let base = server.base_url();
    let mut statuses = Vec::new();
    for key in ["x", "x", "poison", "x", "x poison x", "x"] {
        statuses.push(post_json(&c, &base, &chat(key)).await.0);
    }
    assert_eq!(statuses, [200, 500, 400, 500, 400, 200]);
}

#[tokio::test]
async fn probability_is_reproducible() {
    async fn run(seed: u64) -> Vec<u16> {
        let server = server_with(Fault::ServerError, When::Probability { p: 0.5, seed }).await;
        let c = client();
        let mut statuses = Vec::new();
        for i in 0..40 {
            statuses.push(
                post_json(&c, &server.base_url(), &chat(&format!("q{i}")))
                    .await
                    .0,
            );
        }
        statuses
    }
    let first = run(11).await;
    assert_eq!(first, run(11).await);
    assert_ne!(first, run(12).await);
    let failures = first.iter().filter(|s| **s == 500).count();
    assert!((8..=32).contains(&failures), "{failures} of 40");
}

#[tokio::test]
async fn a_server_at_capacity_answers_429_or_503_at_once() {
    for status in [429u16, 503] {
        let server = MockServer::start(MockConfig {
            latency: Duration::from_millis(300),
            capacity: Some(mockserver::Capacity {
                max_in_flight: 2,
                status,
                retry_after: Some(1),
            }),
            ..MockConfig::fixed("fine")
        })
        .await
        .expect("start");
        let c = client();
        let base = server.base_url();
        let sends: Vec<_> = (0..5)
            .map(|i| {
                let (c, base) = (c.clone(), base.clone());
                tokio::spawn(async move {
                    // Staggered so the first two are surely admitted first.
                    tokio::time::sleep(Duration::from_millis(if i < 2 { 0 } else { 100 })).await;
                    let started = Instant::now();
                    let resp = post(&c, &base, &chat(&format!("q{i}")))
                        .await
                        .expect("response");
                    let retry_after = header(&resp, "retry-after");
                    (resp.status().as_u16(), retry_after, started.elapsed())
                })
            })
            .collect();
        let mut results = Vec::new();
        for send in sends {
            results.push(send.await.expect("join"));
        }
        let ok = results.iter().filter(|r| r.0 == 200).count();
        let rejected: Vec<_> = results.iter().filter(|r| r.0 == status).collect();
        assert_eq!((ok, rejected.len()), (2, 3), "{results:?}");
        for r in &rejected {
            assert_eq!(r.1.as_deref(), Some("1"));
            // Over capacity is answered at once, not after the latency.
            assert!(r.2 < Duration::from_millis(250), "{r:?}");
        }
        let stats = server.stats();
        assert_eq!((stats.over_capacity, stats.max_admitted), (3, 2));
        assert_eq!(stats.faults_injected, 0);
        // Capacity frees up as answers go out.
        let (code, _) = post_json(&c, &base, &chat("later")).await;
        assert_eq!(code, 200);
    }
}

#[tokio::test]
async fn several_servers_start_on_their_own_ports() {
    let servers = MockServer::start_many(MockConfig::fixed("fine"), 3)
        .await
        .expect("start");
    let mut ports: Vec<u16> = servers.iter().map(MockServer::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    let c = client();
    for s in &servers {
        assert_eq!(post_json(&c, &s.base_url(), &chat("hi")).await.0, 200);
        assert_eq!(s.stats().requests, 1);
    }
}
