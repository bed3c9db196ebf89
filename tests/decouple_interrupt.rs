//! `evalkit decouple` interrupted by Ctrl-C: the grid stops at the current cell, a partial
//! report is written from what was answered, the resume command is printed, the exit code
//! is 130; re-running the command finishes the grid and the report is whole.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use mockserver::{AnswerMode, MockConfig, MockServer};

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_writes_a_partial_report_and_the_command_resumes() {
    let llm = MockServer::start(MockConfig {
        latency: Duration::from_millis(150),
        answers: AnswerMode::Rules {
            rules: vec![("Characteristic,".into(), "45".into())],
            default: "unknown".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(
        tmp.path(),
        "llm",
        &llm.base_url(),
        "content = \"text\"\nmax_concurrency = 1\n",
    );
    let data = fixture("chartqa/json/test");
    let args = [
        "decouple",
        "--suite",
        "chartqa",
        "--data",
        data.to_str().unwrap(),
        "--perception",
        "gold-table,none",
        "--reasoning",
        card.to_str().unwrap(),
    ];
    let child = spawn_evalkit(tmp.path(), &args, true);
    let first = tmp.path().join("runs/chartqa/gold-table-to-llm");
    let started = Instant::now();
    loop {
        let saved = std::fs::read_dir(&first)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map_or(0, |e| saved_records(&e.path()).len());
        if saved >= 2 {
            break;
        }
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
        err.contains("cell 1/2 gold-table -> ")
            && err.contains(": interrupted (")
            && err.contains("Resume with")
            && err.contains("decouple")
            && err.contains("decouple.html"),
        "{err}"
    );
    assert!(!err.contains("error:"), "{err}");
    let report = |tmp: &std::path::Path| -> serde_json::Value {
        let dir = std::fs::read_dir(tmp.join("runs/chartqa"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("decouple-")
            })
            .expect("a report folder");
        serde_json::from_slice(&std::fs::read(dir.join("decouple.json")).unwrap()).unwrap()
    };
    let partial = report(tmp.path());
    assert_eq!(partial["partial"], true);
    assert!(partial["cells"]["gold-table"]["llm"]["n"].as_u64().unwrap() >= 2);
    assert!(
        partial["cells"].get("none").is_none(),
        "the grid stopped at cell 1"
    );
    let resumed = evalkit_async(tmp.path(), &args, &[]).await;
    ok(&resumed);
    // The report folder is named by the grid, so the same file now holds the whole report.
    let whole = report(tmp.path());
    assert_eq!(whole["partial"], false);
    assert_eq!(whole["cells"]["gold-table"]["llm"]["n"], 8);
    assert_eq!(whole["cells"]["none"]["llm"]["n"], 8);
}
