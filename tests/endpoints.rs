//! Many endpoints and adaptive concurrency, against mock servers on 127.0.0.1: a card's
//! `base_urls` spread requests over replicas by fewest outstanding, a dead or failing
//! replica is reported and left alone while the run finishes without failures, the run is
//! the same run whichever replicas served it, and `max_concurrency = "auto"` converges
//! near a server's capacity without failing an item. Assertions use counts, not timings.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use mockserver::Capacity;

/// A model card named `replicas` listing `urls` as `base_urls`; `extra` is appended.
fn replicas_card(dir: &Path, urls: &[String], extra: &str) -> PathBuf {
    let path = dir.join("replicas.toml");
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    let text = format!(
        "kind = \"openai\"\nbase_urls = [{}]\nmodel = \"mock\"\napi_key_env = \"EVALKIT_TEST_KEY\"\nbackoff_secs = 0.01\nmax_backoff_secs = 0.2\ntimeout_secs = 5\n{extra}",
        list.join(", ")
    );
    std::fs::write(&path, text).expect("write card");
    path
}

/// A URL on 127.0.0.1 where nothing listens (a port bound, then released).
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

async fn run(dir: &Path, card: &Path, data: &Path) -> std::process::Output {
    evalkit_async(
        dir,
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
    .await
}

/// The per-replica figures of the model under test: (url, requests, errors, trips).
fn endpoints(summary: &serde_json::Value) -> Vec<(String, u64, u64, u64)> {
    summary["requests"]["by_model"]["answer replicas"]["endpoints"]
        .as_array()
        .unwrap_or_else(|| panic!("no endpoints in {summary:#}"))
        .iter()
        .map(|e| {
            (
                e["url"].as_str().unwrap().to_string(),
                e["requests"].as_u64().unwrap(),
                e["errors"].as_u64().unwrap(),
                e["breaker_trips"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_spread_over_replicas_by_fewest_outstanding() {
    let servers = MockServer::start_many(
        MockConfig {
            latency: Duration::from_millis(20),
            ..MockConfig::fixed("45")
        },
        3,
    )
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 240);
    let urls: Vec<String> = servers.iter().map(MockServer::base_url).collect();
    let card = replicas_card(tmp.path(), &urls, "max_concurrency = 6\n");
    let out = run(tmp.path(), &card, &data).await;
    ok(&out);
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert_eq!(s["counts"]["answered"], 240, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0);
    let eps = endpoints(&s);
    eprintln!("replicas: {eps:?}");
    assert_eq!(eps.len(), 3);
    let sent: u64 = eps.iter().map(|e| e.1).sum();
    assert_eq!(sent, s["requests"]["sent"].as_u64().unwrap());
    assert_eq!(sent, 240);
    for ((url, requests, errors, _), server) in eps.iter().zip(&servers) {
        assert_eq!(url, &server.base_url());
        assert_eq!(*requests, server.stats().requests, "{url}");
        assert_eq!(*errors, 0);
        // An even share is 80; least-outstanding keeps each replica near it.
        assert!((40..=120).contains(requests), "unbalanced: {eps:?}");
    }
    // The printed table has a line per replica.
    let table = stdout(&out);
    for url in &urls {
        assert!(
            table.contains(&format!("answer replicas at {url}: ")),
            "{table}"
        );
    }
    // The manifest records the replicas; the run is the same run with one of them: it
    // resumes (same directory) and sends nothing.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["model"]["base_urls"], serde_json::json!(urls));
    let one = model_card(tmp.path(), "replicas", &urls[1], "");
    let again = run(tmp.path(), &one, &data).await;
    ok(&again);
    assert_eq!(run_dir(&tmp.path().join("runs")), dir);
    assert_eq!(summary(&dir)["requests"]["sent"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_and_a_failing_replica_are_reported_and_left_alone() {
    let healthy = MockServer::start_many(
        MockConfig {
            latency: Duration::from_millis(30),
            ..MockConfig::fixed("45")
        },
        2,
    )
    .await
    .unwrap();
    let failing = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(Fault::ServerError, When::Always)],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 300);
    let dead = dead_url();
    let urls = vec![
        healthy[0].base_url(),
        dead.clone(),
        failing.base_url(),
        healthy[1].base_url(),
    ];
    let card = replicas_card(tmp.path(), &urls, "max_concurrency = 8\nmax_attempts = 3\n");
    let out = run(tmp.path(), &card, &data).await;
    ok(&out);
    // The dead replica was named at start, and the run went on.
    assert!(
        stderr(&out).contains(&format!("cannot reach model server `replicas` at {dead}")),
        "{}",
        stderr(&out)
    );
    let s = summary(&run_dir(&tmp.path().join("runs")));
    assert_eq!(s["counts"]["answered"], 300, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0, "{s:#}");
    let eps = endpoints(&s);
    eprintln!("replicas with a dead and a failing one: {eps:?}");
    let (good_a, dead_ep, bad_ep, good_b) = (&eps[0], &eps[1], &eps[2], &eps[3]);
    assert_eq!(dead_ep.0, dead);
    // Every attempt on the broken replicas failed, and each got few: after a failure a
    // replica ranks behind healthy ones, and its breaker opens after 5 in a row.
    for ep in [dead_ep, bad_ep] {
        assert!(ep.1 >= 1 && ep.2 == ep.1, "{ep:?}");
        assert!(ep.1 <= 30, "a broken replica kept getting traffic: {eps:?}");
    }
    assert_eq!(bad_ep.1, failing.stats().requests);
    // The healthy replicas answered everything, each a fair share.
    assert_eq!((good_a.2, good_b.2), (0, 0));
    assert_eq!(good_a.1 + good_b.1, 300);
    assert!(good_a.1 >= 100 && good_b.1 >= 100, "{eps:?}");
    // Retries went to healthy replicas: every failed attempt was retried once at most
    // before an answer (attempts = answers + failures).
    let sent = s["requests"]["sent"].as_u64().unwrap();
    assert_eq!(sent, 300 + dead_ep.1 + bad_ep.1);
    let table = stdout(&out);
    assert!(
        table.contains(&format!("answer replicas at {dead}: ")),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_concurrency_converges_near_the_servers_capacity() {
    const CAPACITY: u64 = 8;
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(100),
        capacity: Some(Capacity::new(CAPACITY)),
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 300);
    // Three attempts per call: the overload replies must not use them up.
    let card = model_card(
        tmp.path(),
        "auto",
        &server.base_url(),
        "max_concurrency = \"auto\"\nmax_concurrency_limit = 64\nmax_attempts = 3\n",
    );
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
    ok(&out);
    let s = summary(&run_dir(&tmp.path().join("runs")));
    assert_eq!(s["counts"]["answered"], 300, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0, "{s:#}");
    let c = &s["requests"]["by_model"]["answer auto"]["concurrency"];
    let (mean, last, max) = (
        c["mean"].as_f64().unwrap(),
        c["final_limit"].as_u64().unwrap(),
        c["max"].as_u64().unwrap(),
    );
    eprintln!("concurrency reached against capacity {CAPACITY}: {c}");
    let cap = CAPACITY as f64;
    assert!((cap / 2.0..=cap * 2.0).contains(&mean), "{c:#}");
    assert!((2..=2 * CAPACITY).contains(&last), "{c:#}");
    // It found the capacity (went past it and was told so) and stayed far below 64.
    assert!((CAPACITY + 1..=4 * CAPACITY).contains(&max), "{c:#}");
    assert_eq!(c["limit"], 64);
    let stats = server.stats();
    assert!(stats.over_capacity > 0, "{stats:?}");
    assert_eq!(c["overloaded"].as_u64().unwrap(), stats.over_capacity);
    // Every attempt was an answer or an overload reply that was retried.
    assert_eq!(
        s["requests"]["sent"].as_u64().unwrap(),
        300 + stats.over_capacity
    );
    assert!(
        stdout(&out).contains("answer auto concurrency (auto, at most 64): final"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_turns_auto_on_for_a_card_with_a_number() {
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(20),
        capacity: Some(Capacity {
            max_in_flight: 3,
            status: 503,
            retry_after: None,
        }),
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 60);
    // Fixed at 12, four times the capacity, and a single attempt: only auto finishes this.
    let card = model_card(
        tmp.path(),
        "auto",
        &server.base_url(),
        "max_concurrency = 12\nmax_attempts = 1\n",
    );
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
            "--concurrency",
            "auto",
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&out);
    let s = summary(&run_dir(&tmp.path().join("runs")));
    assert_eq!(s["counts"]["answered"], 60, "{s:#}");
    assert_eq!(s["counts"]["failed"], 0, "{s:#}");
    let c = &s["requests"]["by_model"]["answer auto"]["concurrency"];
    assert_eq!(c["limit"], 256, "{s:#}");
    assert!(c["final_limit"].as_u64().unwrap() <= 12, "{c:#}");
}

#[tokio::test]
async fn cards_and_flags_name_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 2);
    let card = replicas_card(
        tmp.path(),
        &["http://127.0.0.1:9/v1".to_string()],
        "base_url = \"http://127.0.0.1:9/v1\"\n",
    );
    let out = run(tmp.path(), &card, &data).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("replicas.toml") && err.contains("base_urls") && err.contains("base_url`"),
        "{err}"
    );
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            "x",
            "--suite",
            "chartqa",
            "--concurrency",
            "lots",
        ],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("auto"), "{}", stderr(&out));
    // Every replica unreachable: the run stops before sending, naming them.
    let urls = vec![dead_url(), dead_url()];
    let card = replicas_card(tmp.path(), &urls, "");
    let out = run(tmp.path(), &card, &data).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("none of the 2 replicas") && err.contains(&urls[0]) && err.contains(&urls[1]),
        "{err}"
    );
}
