//! Every fault the mock server can inject, against a real `evalkit run`: transient faults
//! are retried (honouring Retry-After), other 4xx are not, the attempt bound holds, and a
//! later resume answers the items that failed.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Runs the TSV fixture against `server` with `extra` card settings; returns the summary and records.
async fn run(
    server: &MockServer,
    extra: &str,
) -> (serde_json::Value, Vec<serde_json::Value>, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), extra);
    let data = fixture("chartqa/tsv/ChartQA_TEST.tsv");
    let out = evalkit_async(
        tmp.path(),
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
        &[],
    )
    .await;
    // A run where every item failed exits 1, saying why.
    if out.status.code() != Some(1) || !stderr(&out).contains("no item was answered") {
        ok(&out);
    }
    let dir = run_dir(&tmp.path().join("runs"));
    (summary(&dir), predictions(&dir), tmp)
}

fn first_attempt_fails(fault: Fault) -> MockConfig {
    MockConfig {
        faults: vec![FaultRule::new(fault, When::FirstAttempts(1))],
        ..MockConfig::fixed("45")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_faults_are_retried_until_answered() {
    let faults = [
        ("429", Fault::RateLimit { retry_after: None }),
        ("500", Fault::ServerError),
        ("503", Fault::Unavailable { retry_after: None }),
        ("malformed json", Fault::MalformedJson),
        ("dropped connection", Fault::DropConnection),
        ("empty choices", Fault::EmptyChoices),
        ("truncated body", Fault::TruncatedStream),
    ];
    for (name, fault) in faults {
        let server = MockServer::start(first_attempt_fails(fault)).await.unwrap();
        let (s, records, _tmp) = run(&server, "").await;
        assert_eq!(s["counts"]["answered"], 8, "{name}: {s:#}");
        assert_eq!(s["counts"]["failed"], 0, "{name}");
        // The first attempt of each distinct question fails (6 distinct questions: "tallest
        // bar" is asked on three charts), so 6 items need a second attempt.
        let faults = server.stats().faults_injected;
        assert_eq!(faults, 6, "{name}");
        assert_eq!(
            s["requests"]["sent"],
            8 + faults,
            "{name}: one retry per fault"
        );
        assert_eq!(s["requests"]["retries"], faults, "{name}");
        let retried = records.iter().filter(|r| r["attempts"] == 2).count() as u64;
        assert_eq!(retried, faults, "{name}: {records:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured() {
    for fault in [
        Fault::RateLimit {
            retry_after: Some(1),
        },
        Fault::Unavailable {
            retry_after: Some(1),
        },
    ] {
        let server = MockServer::start(first_attempt_fails(fault)).await.unwrap();
        let started = Instant::now();
        // Backoff alone would wait about 10 ms; Retry-After asks for a second.
        let (s, _, _tmp) = run(&server, "").await;
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "Retry-After ignored: {:?}",
            started.elapsed()
        );
        assert_eq!(s["counts"]["answered"], 8);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hang_times_out_and_is_retried() {
    let server = MockServer::start(first_attempt_fails(Fault::Hang))
        .await
        .unwrap();
    let (s, records, _tmp) = run(&server, "timeout_secs = 0.5\nmax_concurrency = 8\n").await;
    assert_eq!(s["counts"]["answered"], 8, "{s:#}");
    assert_eq!(records.iter().filter(|r| r["attempts"] == 2).count(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn other_client_errors_are_not_retried() {
    let server = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(Fault::BadRequest, When::Always)],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let (s, records, _tmp) = run(&server, "").await;
    assert_eq!(s["counts"]["failed"], 8);
    assert_eq!(s["requests"]["sent"], 8, "no retry on 400");
    assert_eq!(server.stats().requests, 8);
    for r in &records {
        assert_eq!(r["status"], "failed");
        assert_eq!(r["attempts"], 1);
        assert!(r["error"].as_str().unwrap().contains("HTTP 400"), "{r}");
    }
    // Failed items count as wrong.
    assert_eq!(s["scores"]["overall"]["metrics"]["relaxed_accuracy"], 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn attempts_are_bounded_and_a_resume_answers_the_failed_items() {
    let server = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(Fault::ServerError, When::Always)],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let port = server.port();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "max_attempts = 3\n");
    let data = fixture("chartqa/tsv/ChartQA_TEST.tsv");
    let args = [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        data.to_str().unwrap(),
        "--quiet",
    ];
    let failed = evalkit_async(tmp.path(), &args, &[]).await;
    assert_eq!(failed.status.code(), Some(1), "no item was answered");
    assert!(
        stderr(&failed).contains("8 failed: HTTP 500 Internal Server Error (8)"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(server.stats().requests, 24, "8 items x 3 attempts");
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert_eq!(s["counts"]["failed"], 8);
    for r in predictions(&dir) {
        assert_eq!(r["attempts"], 3);
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains("gave up after 3 attempts") && error.contains("HTTP 500"),
            "{error}"
        );
    }
    // The server recovers; the same command answers every failed item.
    drop(server);
    let server = MockServer::start_on_port(MockConfig::fixed("45"), port)
        .await
        .unwrap();
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    assert_eq!(server.stats().requests, 8);
    let s = summary(&dir);
    assert_eq!(s["counts"]["answered"], 8);
    assert_eq!(s["counts"]["failed"], 0);
}
