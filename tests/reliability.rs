//! Reliability: random SIGKILLs lose nothing and change nothing, a server failing 30% of
//! requests in every way still ends with every item answered or failed within the retry
//! bound, the API key never reaches a file or a message, and a journal that cannot be
//! written stops the run with a clear error while keeping what was answered.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// id -> (status, response, metrics) of the latest record per item.
fn outcomes(dir: &Path) -> BTreeMap<String, (String, String, String)> {
    saved_records(dir)
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["status"].to_string(),
                    r["response"].to_string(),
                    r["metrics"].to_string(),
                ),
            )
        })
        .collect()
}

/// A small deterministic generator for kill times.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_random_kills_lose_nothing_and_match_an_uninterrupted_run() {
    const ITEMS: usize = 300;
    const KILLS: usize = 24;
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(40),
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
    let run = |out: &str| {
        vec![
            "run".to_string(),
            "--model".into(),
            card.display().to_string(),
            "--suite".into(),
            "chartqa".into(),
            "--data".into(),
            data.display().to_string(),
            "--quiet".into(),
            "--out".into(),
            tmp.path().join(out).display().to_string(),
        ]
    };
    // The reference: one uninterrupted run.
    let reference = run("reference");
    let refs: Vec<&str> = reference.iter().map(String::as_str).collect();
    ok(&evalkit_async(tmp.path(), &refs, &[]).await);
    let reference_dir = run_dir(&tmp.path().join("reference"));
    server.reset_stats();

    let killed = run("killed");
    let out = tmp.path().join("killed");
    let mut rng = Lcg(2026);
    let mut saved: BTreeMap<String, u64> = BTreeMap::new();
    let mut kills = 0;
    while kills < KILLS {
        let mut child = spawn_evalkit(tmp.path(), &killed, false);
        tokio::time::sleep(Duration::from_millis(30 + rng.next(120))).await;
        if child.try_wait().unwrap().is_some() {
            break; // finished before the kill
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        if !out.exists() {
            continue;
        }
        let dir = run_dir(&out);
        // The journal stays readable; no item saved earlier was sent again.
        let records = saved_records(&dir);
        let answered = server.stats().answered;
        for (key, count) in &saved {
            assert_eq!(
                answered.get(key),
                Some(count),
                "{key:?} was sent again after it was saved (kill {kills})"
            );
        }
        for r in records {
            let key = big_chartqa_key(&r);
            saved.insert(key.clone(), answered.get(&key).copied().unwrap_or(0));
        }
    }
    assert!(kills >= 20, "only {kills} kills before the run finished");
    assert!(saved.len() < ITEMS, "the kills should leave work to resume");
    ok(&evalkit_async(
        tmp.path(),
        &killed.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    )
    .await);
    let dir = run_dir(&out);
    assert_eq!(
        outcomes(&dir),
        outcomes(&reference_dir),
        "the resumed run differs from the uninterrupted one"
    );
    let (a, b) = (summary(&dir), summary(&reference_dir));
    assert_eq!(a["scores"], b["scores"]);
    assert_eq!(a["counts"], b["counts"]);
    assert_eq!(a["counts"]["answered"], ITEMS as u64);
    eprintln!(
        "survived {kills} kills; {} items saved before the final resume",
        saved.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_percent_faults_end_answered_or_failed_within_the_bound() {
    const ITEMS: usize = 150;
    let faults = vec![
        // 25%: 429 with and without Retry-After, 500, 503, malformed JSON, dropped connection, empty choices.
        FaultRule::random_mix(0.25, 7),
        // 5% more: hangs past the timeout and bodies cut short.
        FaultRule::new(
            Fault::OneOf(vec![Fault::Hang, Fault::TruncatedStream]),
            When::Probability { p: 0.0667, seed: 8 },
        ),
    ];
    let server = MockServer::start(MockConfig {
        faults,
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let port = server.port();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), ITEMS);
    let card = model_card(
        tmp.path(),
        "mock",
        &server.base_url(),
        "max_concurrency = 16\nmax_attempts = 3\ntimeout_secs = 0.5\n",
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
    let started = Instant::now();
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    let stats = server.stats();
    let (answered, failed) = (
        s["counts"]["answered"].as_u64().unwrap(),
        s["counts"]["failed"].as_u64().unwrap(),
    );
    assert_eq!(answered + failed, ITEMS as u64, "{s:#}");
    assert!(
        stats.faults_injected as f64 >= 0.2 * stats.requests as f64,
        "{stats:?}"
    );
    let records = outcomes(&dir);
    let mut attempts = 0;
    for r in saved_records(&dir) {
        let n = r["attempts"].as_u64().unwrap();
        assert!((1..=3).contains(&n), "attempts out of bound: {r}");
        attempts += n;
        if r["status"] == "failed" {
            assert_eq!(n, 3, "a failed item used every attempt: {r}");
            assert!(
                r["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("gave up after 3 attempts")),
                "{r}"
            );
        }
    }
    assert_eq!(
        attempts, stats.requests,
        "every request the server saw is accounted for"
    );
    assert_eq!(records.len(), ITEMS);
    eprintln!(
        "{answered} answered, {failed} failed, {} faults in {} requests, {:?}",
        stats.faults_injected,
        stats.requests,
        started.elapsed()
    );
    // The server heals; a resume answers exactly the failed ones.
    drop(server);
    let server = MockServer::start_on_port(MockConfig::fixed("45"), port)
        .await
        .unwrap();
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    assert_eq!(server.stats().requests, failed);
    assert_eq!(summary(&dir)["counts"]["answered"], ITEMS as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_key_never_reaches_a_file_a_report_or_a_message() {
    // Long enough to straddle the 500-character cut of an echoed error body: redacting
    // after the cut would leave its prefix behind.
    let long_key = format!("sk-SECRET-9f8e7d6c5b4a{}", "Zq4".repeat(200));
    let key: &str = &long_key;
    let server = MockServer::start(MockConfig {
        api_key: Some(key.into()),
        faults: vec![
            // The server echoes the whole request, Authorization header included, in its error.
            FaultRule::new(Fault::EchoRequestError, When::Matching("tallest".into())),
        ],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("chartqa/tsv/ChartQA_TEST.tsv");
    let args = [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        data.to_str().unwrap(),
    ];
    let env = [("EVALKIT_TEST_KEY", key)];
    let mut outputs = vec![evalkit_async(tmp.path(), &args, &env).await];
    ok(&outputs[0]);
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert_eq!(
        s["counts"]["failed"], 3,
        "the three 'tallest bar' items got the echoing error: {s:#}"
    );
    let errors: Vec<String> = saved_records(&dir)
        .iter()
        .filter_map(|r| r["error"].as_str().map(String::from))
        .collect();
    assert!(
        errors.iter().all(|e| e.contains("[REDACTED]")),
        "the echo was scrubbed: {errors:?}"
    );
    for format in ["table", "json", "markdown"] {
        outputs.push(
            evalkit_async(
                tmp.path(),
                &[
                    "report",
                    dir.to_str().unwrap(),
                    "--rescore",
                    "--format",
                    format,
                ],
                &env,
            )
            .await,
        );
    }
    // A wrong key's error message does not show the key either.
    outputs.push(evalkit_async(tmp.path(), &args, &[("EVALKIT_TEST_KEY", "sk-WRONG-0000")]).await);
    for o in &outputs {
        for text in [stdout(o), stderr(o)] {
            assert!(
                !text.contains(&key[..20]) && !text.contains("sk-WRONG-0000"),
                "key in output: {text}"
            );
        }
    }
    for entry in walk(tmp.path().join("runs").as_path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&key[..20]),
            "key in {}",
            entry.display()
        );
    }
    // It was really sent.
    assert_eq!(
        server
            .stats()
            .last_headers
            .get("authorization")
            .map(String::as_str),
        Some(format!("Bearer {key}").as_str())
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_cannot_be_written_stops_the_run_and_keeps_what_was_answered() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("chartqa/bad/tsv/bad_rows.tsv");
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
    // First session: the good first row only.
    let mut first = args.to_vec();
    first.extend(["--limit", "1"]);
    ok(&evalkit_async(tmp.path(), &first, &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let before = std::fs::read_to_string(dir.join("predictions.jsonl")).unwrap();
    assert_eq!(before.lines().count(), 1);
    // The disk fills up: writing the list of invalid rows fails mid-run.
    std::fs::remove_file(dir.join("invalid.jsonl")).unwrap();
    std::os::unix::fs::symlink("/dev/full", dir.join("invalid.jsonl")).unwrap();
    let out = evalkit_async(tmp.path(), &args, &[]).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("invalid.jsonl") && err.contains("disk full") && err.contains("kept"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(dir.join("predictions.jsonl"))
            .unwrap()
            .starts_with(&before),
        "answers before the failure are kept"
    );
    // A run directory that cannot be created is a clear error before any request.
    server.reset_stats();
    let mut unwritable = args.to_vec();
    unwritable.extend(["--out", "/proc/self/evalkit-cannot-write-here"]);
    let out = evalkit_async(tmp.path(), &unwritable, &[]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot create run directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.stats().requests, 0);
    // A journal that is not a regular file is refused, not read forever.
    let weird = tempfile::tempdir().unwrap();
    let card2 = model_card(weird.path(), "mock", &server.base_url(), "");
    let args2 = [
        "run",
        "--model",
        card2.to_str().unwrap(),
        "--suite",
        "chartqa",
        "--data",
        data.to_str().unwrap(),
        "--quiet",
        "--limit",
        "1",
    ];
    ok(&evalkit_async(weird.path(), &args2, &[]).await);
    let dir2 = run_dir(&weird.path().join("runs"));
    std::fs::remove_file(dir2.join("predictions.jsonl")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir2.join("predictions.jsonl")).unwrap();
    let out = evalkit_async(weird.path(), &args2, &[]).await;
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}
