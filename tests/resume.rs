//! Crash safety: `evalkit run` killed with SIGKILL mid-run (and its journal given a torn
//! last line) resumes with no item lost and no answered item sent again.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn killed_runs_resume_without_loss_or_resending() {
    const ITEMS: usize = 120;
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(30),
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
        "max_concurrency = 4\n",
    );
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
    let out = tmp.path().join("runs");
    // Questions in the journal, with how often the server had answered them then.
    let mut saved: BTreeMap<String, u64> = BTreeMap::new();
    let check_not_resent = |saved: &BTreeMap<String, u64>| {
        let answered = server.stats().answered;
        for (key, count) in saved {
            assert_eq!(
                answered.get(key),
                Some(count),
                "{key:?} was sent again after it was saved"
            );
        }
    };
    for kill in 0..4 {
        let mut child = spawn_evalkit(tmp.path(), &args, false);
        // Let it save a few more items, then kill it without warning.
        let target = saved.len() + 15 + kill * 3;
        let started = Instant::now();
        loop {
            let n = find_run_dir(&out).map_or(0, |dir| saved_records(&dir).len());
            if n >= target || started.elapsed() > Duration::from_secs(30) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        check_not_resent(&saved);
        let journal = run_dir(&out).join("predictions.jsonl");
        // A kill mid-write leaves a torn line; simulate one.
        let mut text = std::fs::read(&journal).unwrap();
        text.extend_from_slice(b"{\"id\":\"human-torn\",\"order\":1,\"sta");
        std::fs::write(&journal, text).unwrap();
        let answered = server.stats().answered;
        for r in saved_records(&run_dir(&out)) {
            let key = big_chartqa_key(&r);
            let count = answered.get(&key).copied().unwrap_or(0);
            assert!(count >= 1, "a saved answer the server never gave: {key}");
            saved.insert(key, count);
        }
    }
    assert!(
        saved.len() >= 40 && saved.len() < ITEMS,
        "kills should interrupt the run: {} saved",
        saved.len()
    );
    let resumed = evalkit_async(tmp.path(), &args, &[]).await;
    ok(&resumed);
    check_not_resent(&saved);
    let dir = run_dir(&out);
    let s = summary(&dir);
    assert_eq!(s["counts"]["answered"], ITEMS as u64, "{s:#}");
    assert_eq!(s["counts"]["pending"], 0);
    assert_eq!(s["complete"], true);
    // Every item is in the journal, which parses cleanly again (the torn line was cut).
    let records = predictions(&dir);
    let ids: BTreeSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), ITEMS);
    // Finished: a further run sends nothing.
    let before = server.stats().requests;
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    assert_eq!(server.stats().requests, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_sending_saves_answers_and_prints_how_to_resume() {
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
    let child = spawn_evalkit(tmp.path(), &args, true);
    let out = tmp.path().join("runs");
    let started = Instant::now();
    while find_run_dir(&out).is_none_or(|dir| saved_records(&dir).len() < 3) {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted")
            && err.contains("Resume with")
            && err.contains("--suite chartqa"),
        "{err}"
    );
    let dir = run_dir(&out);
    let s = summary(&dir);
    assert_eq!(s["complete"], false);
    let answered = s["counts"]["answered"].as_u64().unwrap();
    assert!((3..40).contains(&answered), "{s:#}");
    // Pending = items read but unfinished; rows the run never reached are not counted.
    let pending = s["counts"]["pending"].as_u64().unwrap();
    assert!(pending <= 40 - answered, "{s:#}");
    // Requests in flight at Ctrl-C were allowed to land: everything the server answered is saved.
    assert_eq!(
        server.stats().answered_total(),
        answered,
        "an answer was lost"
    );
    let sessions = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(dir.join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sessions["sessions"][0]["outcome"], "interrupted");
    server.reset_stats();
    let resumed = evalkit_async(tmp.path(), &args, &[]).await;
    ok(&resumed);
    assert_eq!(
        server.stats().requests,
        40 - answered,
        "only the pending items are sent: {}\n{}",
        stdout(&resumed),
        stderr(&resumed)
    );
    assert_eq!(summary(&dir)["complete"], true);
}
