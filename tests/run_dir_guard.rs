//! A run directory holds one evaluation, written by one process: a second `evalkit run` on
//! the same directory is refused before it sends anything, a damaged `manifest.json` is
//! never silently replaced, SIGTERM stops a run as Ctrl-C does, journal repairs are
//! reported in every output mode, and `--grace-secs` out of range is an error, not a panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn run_args(card: &Path, data: &Path) -> Vec<String> {
    [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        data.to_str().unwrap(),
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Waits until the run under `out` has saved at least `n` records.
async fn wait_for_records(out: &Path, n: usize) -> PathBuf {
    let started = Instant::now();
    loop {
        // The run directory may be half made (runs/ before runs/<suite>/<model>/<id>).
        if let Some(dir) = find_run_dir(out)
            && saved_records(&dir).len() >= n
        {
            return dir;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_the_same_directory_is_refused_and_sends_nothing() {
    const ITEMS: usize = 12;
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(150),
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), ITEMS);
    let card = model_card(
        tmp.path(),
        "mock",
        &server.base_url(),
        "max_concurrency = 1\n",
    );
    let args = run_args(&card, &data);
    let first = spawn_evalkit(tmp.path(), &args, true);
    let dir = wait_for_records(&tmp.path().join("runs"), 1).await;
    let started = Instant::now();
    let second = evalkit_async(tmp.path(), &strs(&args), &[]).await;
    let refused_in = started.elapsed();
    let err = stderr(&second);
    assert!(!second.status.success(), "{err}");
    assert!(
        err.contains(&format!("run directory in use by PID {}", first.id())),
        "{err}"
    );
    let output = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every item was sent once, by the first process.
    assert_eq!(server.stats().answered_total(), ITEMS as u64);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(manifest["sessions"][0]["outcome"], "completed");
    eprintln!("second run refused in {refused_in:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_that_does_not_parse_is_not_replaced() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 3);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let args = run_args(&card, &data);
    ok(&evalkit_async(tmp.path(), &strs(&args), &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let damaged = b"{\"schema\": \"evalkit.manifest/1\", \"sessions\": [";
    std::fs::write(dir.join("manifest.json"), damaged).unwrap();
    server.reset_stats();
    let again = evalkit_async(tmp.path(), &strs(&args), &[]).await;
    let err = stderr(&again);
    assert!(!again.status.success(), "{err}");
    assert!(
        err.contains("manifest.json") && err.contains("refusing to replace"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("manifest.json")).unwrap(), damaged);
    assert_eq!(server.stats().answered_total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_like_ctrl_c() {
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(100),
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 40);
    let card = model_card(
        tmp.path(),
        "mock",
        &server.base_url(),
        "max_concurrency = 2\n",
    );
    let args = run_args(&card, &data);
    let child = spawn_evalkit(tmp.path(), &args, true);
    let dir = wait_for_records(&tmp.path().join("runs"), 3).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(err.contains("Resume with"), "{err}");
    let s = summary(&dir);
    assert_eq!(s["complete"], false);
    // Requests in flight landed: every answer the server gave is saved.
    assert_eq!(
        server.stats().answered_total(),
        s["counts"]["answered"].as_u64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn journal_repairs_are_reported_also_when_quiet() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 3);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let args = run_args(&card, &data);
    ok(&evalkit_async(tmp.path(), &strs(&args), &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let journal = dir.join("predictions.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.insert_str(0, "not a record\n");
    text.push_str("{\"id\":\"torn");
    std::fs::write(&journal, text).unwrap();
    let again = evalkit_async(tmp.path(), &strs(&args), &[]).await;
    ok(&again);
    let err = stderr(&again);
    assert!(err.contains("torn last line"), "{err}");
    assert!(err.contains("skipped unreadable line 1"), "{err}");
}

#[test]
fn grace_secs_out_of_range_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    for value in ["1e300", "inf", "-1"] {
        let out = evalkit(
            tmp.path(),
            &[
                "run",
                "--model",
                "nope",
                "--suite",
                "chartqa",
                &format!("--grace-secs={value}"),
            ],
            &[],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{value}: {err}");
        assert!(err.contains("--grace-secs"), "{value}: {err}");
        assert!(!err.contains("panicked"), "{value}: {err}");
    }
}
