//! The bundled default, small and all real: synthetic charts, PP-OCR through ONNX Runtime,
//! the gold table and no description as perception, SmolLM2-135M on llama.cpp's server as
//! reasoning, through `evalkit decouple`. Needs `scripts/setup.sh` and
//! `scripts/setup-llm.sh` (the test command runs both); a missing component fails the test.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The llama.cpp server, stopped when dropped.
struct LlmServer(Child);

impl Drop for LlmServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cache() -> std::path::PathBuf {
    std::env::var_os("EVALKIT_CACHE")
        .map(Into::into)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/evalkit")
        })
}

/// One local LLM server at a time: two at once on 2 cores slowed each past its timeouts.
static ONE_SERVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start_llm(port: u16) -> (std::sync::MutexGuard<'static, ()>, LlmServer) {
    let one = ONE_SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let python = cache().join("llm-venv/bin/python");
    let model = cache().join("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        python.exists() && model.exists(),
        "the local LLM is not installed: run `bash scripts/setup-llm.sh`"
    );
    let child = Command::new(python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args([
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the llama.cpp server");
    let server = LlmServer(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the llama.cpp server did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (one, server)
}

#[test]
fn the_all_local_decoupling_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_one, _server) = start_llm(port);
    // The installed components live in the real cache (descriptions get cached there too).
    let envs = [("EVALKIT_CACHE", cache().display().to_string())];
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let synth = tmp.path().join("synth");
    ok(&evalkit(
        tmp.path(),
        &[
            "synth",
            "--seed",
            "1",
            "--charts",
            "2",
            "--questions",
            "3",
            "--out",
            synth.to_str().unwrap(),
        ],
        &envs,
    ));
    let card = model_card(
        tmp.path(),
        "smollm2",
        &format!("http://127.0.0.1:{port}/v1"),
        "model = \"smollm2\"\ncontent = \"text\"\nmax_concurrency = 1\nmax_tokens = 16\ntimeout_secs = 60\n",
    );
    let out = evalkit(
        tmp.path(),
        &[
            "decouple",
            "--suite",
            "synthchart",
            "--data",
            synth.to_str().unwrap(),
            "--perception",
            "ocr,gold-table,none",
            "--reasoning",
            card.to_str().unwrap(),
            "--json",
        ],
        &envs,
    );
    ok(&out);
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for source in ["ocr", "gold-table", "none"] {
        let score = r["matrix"][source]["smollm2"]
            .as_f64()
            .unwrap_or_else(|| panic!("no {source} cell: {r:#}"));
        assert!((0.0..=100.0).contains(&score));
    }
    // Attribution covers every item of both non-oracle sources.
    for a in r["attribution"].as_array().unwrap() {
        assert_eq!(a["n"], 6, "{a}");
        let parts = a["correct"].as_u64().unwrap()
            + a["perception_errors"].as_u64().unwrap()
            + a["reasoning_errors"].as_u64().unwrap();
        assert_eq!(parts, 6);
    }
    // Every item was answered: no failed calls on the real components.
    let runs = tmp.path().join("runs/synthchart");
    for name in [
        "ppocr-to-smollm2",
        "gold-table-to-smollm2",
        "none-to-smollm2",
    ] {
        let dir = std::fs::read_dir(runs.join(name))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let s = summary(&dir);
        assert_eq!(s["counts"]["answered"], 6, "{name}: {s:#}");
        assert_eq!(s["counts"]["failed"], 0, "{name}");
    }
    // PP-OCR read the charts: its descriptions contain the charts' own text.
    let ocr_dir = std::fs::read_dir(runs.join("ppocr-to-smollm2"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let description = predictions(&ocr_dir)[0]["calls"][0]["response"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        description.lines().count() >= 3,
        "OCR found text lines: {description:?}"
    );
}

/// Chain-of-thought and self-consistency on the real local LLM, as the reasoning side of
/// the gold-table perception: two synthetic questions, `reason=cot` (one call each) and
/// `reason=self-consistency:3` (three sampled calls each, with distinct seeds). Checks that
/// the calls happened, were journaled with their role, and that a re-run sends nothing;
/// not the accuracy of a 135M model.
#[test]
fn cot_and_self_consistency_on_the_local_llm() {
    let tmp = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_one, _server) = start_llm(port);
    let synth = tmp.path().join("synth");
    ok(&evalkit(
        tmp.path(),
        &[
            "synth",
            "--seed",
            "2",
            "--charts",
            "1",
            "--questions",
            "2",
            "--out",
            synth.to_str().unwrap(),
        ],
        &[],
    ));
    let card = model_card(
        tmp.path(),
        "smollm2",
        &format!("http://127.0.0.1:{port}/v1"),
        "model = \"smollm2\"\ncontent = \"text\"\nmax_concurrency = 1\nmax_tokens = 48\ntimeout_secs = 120\n",
    );
    for (spec, calls_per_item) in [
        ("decoupled:gold-table,reason=cot", 1),
        ("decoupled:gold-table,reason=self-consistency:3", 3),
    ] {
        let args = [
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "synthchart",
            "--data",
            synth.to_str().unwrap(),
            "--strategy",
            spec,
            "--json",
        ];
        let out = evalkit(tmp.path(), &args, &[]);
        ok(&out);
        let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(s["counts"]["answered"], 2, "{spec}: {s:#}");
        // One request per call; a retry (a slow answer on a loaded machine timing out)
        // is counted as such, never as another call.
        let sent = s["requests"]["sent"].as_u64().unwrap();
        let retries = s["requests"]["retries"].as_u64().unwrap();
        assert_eq!(sent - retries, 2 * calls_per_item as u64, "{spec}: {s:#}");
        let runs = tmp.path().join("runs/synthchart/gold-table-to-smollm2");
        let dir = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|d| {
                let strategy = summary(d)["strategy"].as_str().unwrap().to_string();
                strategy.contains(if calls_per_item == 1 {
                    "reason=cot"
                } else {
                    "reason=self-consistency"
                })
            })
            .unwrap_or_else(|| panic!("no run directory for {spec}"));
        for record in predictions(&dir) {
            let calls = record["calls"].as_array().unwrap();
            assert_eq!(calls.len(), calls_per_item, "{record}");
            for call in calls {
                assert_eq!(call["role"], "reason");
                assert_eq!(call["model"], "smollm2");
                let text = call["response"].as_str().unwrap_or_default();
                assert!(
                    !text.is_empty() || call["is_answer"] == true,
                    "the reply is journaled: {call}"
                );
            }
            assert!(record["format_followed"].is_boolean(), "{record}");
        }
        // A finished run re-run sends nothing.
        let again = evalkit(tmp.path(), &args, &[]);
        ok(&again);
        let s: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
        assert_eq!(s["requests"]["sent"], 0, "{spec} re-run");
    }
}
