//! Shared helpers for evalkit's integration tests: a mock OpenAI-compatible server on
//! 127.0.0.1, model cards pointing at it, and running the real `evalkit` binary.

#![allow(dead_code, unused_imports)]

pub mod shards;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub use mockserver::{AnswerMode, Fault, FaultRule, MockConfig, MockServer, When};

/// The repository root (fixtures, cards).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The three ChartQA fixture formats (path given to --data).
pub fn chartqa_formats() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("json", fixture("chartqa/json/test")),
        ("parquet-m4", fixture("chartqa/parquet/m4")),
        ("parquet-lmms", fixture("chartqa/parquet/lmms/test.parquet")),
        ("tsv", fixture("chartqa/tsv/ChartQA_TEST.tsv")),
    ]
}

/// A mock configuration that answers by `(needle, answer)` rules, else `default`.
pub fn rules(pairs: &[(&str, &str)], default: &str) -> MockConfig {
    MockConfig {
        answers: AnswerMode::Rules {
            rules: pairs
                .iter()
                .map(|(n, a)| (n.to_string(), a.to_string()))
                .collect(),
            default: default.into(),
        },
        ..MockConfig::default()
    }
}

/// Writes a model card for `server` into `dir`; `extra` is appended TOML.
pub fn model_card(dir: &Path, name: &str, base_url: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let defaults = format!(
        "kind = \"openai\"\nbase_url = \"{base_url}\"\nmodel = \"mock\"\napi_key_env = \"EVALKIT_TEST_KEY\"\nmax_concurrency = 4\nbackoff_secs = 0.01\nmax_backoff_secs = 0.2\ntimeout_secs = 5\n"
    );
    // Settings in `extra` replace the defaults.
    let overridden = |line: &&str| {
        extra
            .lines()
            .any(|e| e.split('=').next().map(str::trim) == line.split('=').next().map(str::trim))
    };
    let mut text: String = defaults
        .lines()
        .filter(|l| !overridden(l))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str(extra);
    std::fs::write(&path, text).expect("write card");
    path
}

/// Runs the evalkit binary with `args`, in `cwd`, with a clean card environment.
pub fn evalkit(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evalkit"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("OPENAI_API_KEY")
        .env_remove("EVALKIT_TEST_KEY");
    cmd.env("EVALKIT_DATA", cwd.join("no-data"))
        .env("LMUData", cwd.join("no-lmudata"));
    cmd.env("HOME", cwd);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run evalkit")
}

/// Runs evalkit from a blocking thread (tests hold the mock server on the async runtime).
pub async fn evalkit_async(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let cwd = cwd.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        evalkit(&cwd, &args, &envs)
    })
    .await
    .expect("join")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success, showing the output otherwise.
pub fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "evalkit failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// The run directory under `out` once a running evalkit has created it (None while the
/// folders are still being made: polling loops use this, not [`run_dir`]).
pub fn find_run_dir(out: &Path) -> Option<PathBuf> {
    let mut found = Vec::new();
    for suite in std::fs::read_dir(out).ok()?.flatten() {
        for model in std::fs::read_dir(suite.path()).ok()?.flatten() {
            for run in std::fs::read_dir(model.path()).ok()?.flatten() {
                found.push(run.path());
            }
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

/// The single run directory under `out` (runs/<suite>/<model>/<id>).
pub fn run_dir(out: &Path) -> PathBuf {
    let mut found = Vec::new();
    for suite in std::fs::read_dir(out).expect("out dir") {
        for model in std::fs::read_dir(suite.expect("entry").path()).expect("suite dir") {
            for run in std::fs::read_dir(model.expect("entry").path()).expect("model dir") {
                found.push(run.expect("entry").path());
            }
        }
    }
    assert_eq!(found.len(), 1, "expected one run dir, found {found:?}");
    found.remove(0)
}

pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary.json"))
        .expect("summary json")
}

/// The journal's records (every line).
pub fn predictions(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("predictions.jsonl"))
        .expect("predictions")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record line"))
        .collect()
}

/// A figure of a summary: overall, or for one breakdown `(column, value)`.
pub fn metric(summary: &serde_json::Value, by: Option<(&str, &str)>, name: &str) -> f64 {
    let group = match by {
        None => &summary["scores"]["overall"],
        Some((column, value)) => &summary["scores"]["by"][column][value],
    };
    group["metrics"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {name} for {by:?} in {summary:#}"))
}

/// Gold answers of the ChartQA fixture: question -> answers.
pub fn chartqa_gold() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture("chartqa/gold.json")).expect("gold.json"))
        .expect("gold json")
}

/// A ChartQA-format directory with `n` distinct questions over the fixture's images; every
/// third gold answer is "46", the rest "45".
pub fn big_chartqa(dir: &Path, n: usize) -> PathBuf {
    let test = dir.join("big/test");
    std::fs::create_dir_all(test.join("png")).unwrap();
    let src = fixture("chartqa/json/test/png");
    let mut images = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::copy(&path, test.join("png").join(&name)).unwrap();
        images.push(name);
    }
    images.sort();
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"imgname": images[i % images.len()], "query": format!("Q{i}: value?"), "label": if i % 3 == 0 { "46" } else { "45" }}))
        .collect();
    std::fs::write(
        test.join("test_human.json"),
        serde_json::to_vec(&items).unwrap(),
    )
    .unwrap();
    std::fs::write(test.join("test_augmented.json"), "[]").unwrap();
    test
}

/// The mock server's request key (the last user text) of a journal record from
/// [`big_chartqa`]: its question is `Q<row - 1>: value?`.
pub fn big_chartqa_key(record: &serde_json::Value) -> String {
    let source = record["source"].as_str().unwrap();
    let row: usize = source.rsplit(':').next().unwrap().parse().unwrap();
    format!(
        "Q{}: value?\nAnswer the question using a single word or phrase.",
        row - 1
    )
}

/// The journal's records while it may be mid-write: every complete line must parse; only
/// a torn last line is left out.
pub fn saved_records(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("predictions.jsonl")).unwrap_or_default();
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    text[..complete]
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("unreadable journal line {l:?}: {e}"))
        })
        .collect()
}

/// Starts the evalkit binary in the background (to be killed or interrupted), output
/// discarded unless `capture`.
pub fn spawn_evalkit<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S], capture: bool) -> Child {
    let stdio = || {
        if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    Command::new(env!("CARGO_BIN_EXE_evalkit"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", cwd)
        .stdout(stdio())
        .stderr(stdio())
        .spawn()
        .expect("start evalkit")
}

/// Runs `suite` on `data` against `server`, judged by `judge` when given; returns the
/// summary and, per item id, its `accuracy` and how it was decided.
pub async fn run_judged(
    suite: &str,
    server: &MockServer,
    judge: Option<&MockServer>,
    data: &Path,
) -> (
    serde_json::Value,
    std::collections::BTreeMap<String, (f64, String)>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let mut args = vec![
        "run".to_string(),
        "--model".into(),
        card.to_str().unwrap().into(),
        "--suite".into(),
        suite.into(),
        "--data".into(),
        data.to_str().unwrap().into(),
        "--quiet".into(),
    ];
    if let Some(judge) = judge {
        let judge_card = model_card(tmp.path(), "judge", &judge.base_url(), "");
        args.push("--judge".into());
        args.push(judge_card.to_str().unwrap().into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&evalkit_async(tmp.path(), &args, &[]).await);
    let dir = run_dir(&tmp.path().join("runs"));
    let outcomes = predictions(&dir)
        .into_iter()
        .map(|r| {
            let how = r["how"].as_str().unwrap().to_string();
            (
                r["id"].as_str().unwrap().to_string(),
                (r["metrics"]["accuracy"].as_f64().unwrap(), how),
            )
        })
        .collect();
    (summary(&dir), outcomes)
}
