//! `evalkit view` over real run directories: the runs list, filtering to "wrong" shows
//! exactly the wrong items of the run, an item page shows its image and calls, two runs
//! side by side list exactly the flipped items; `--bundle` writes the same pages as files.
//! The server listens on 127.0.0.1 (a free port) and is stopped by its PID.

mod common;

use std::io::{BufRead, BufReader};

use common::*;
use mockserver::{AnswerMode, MockConfig, MockServer};

/// Two runs of the ChartQA fixture: one answering 45 (right on the three "tallest bar"
/// items), one always "unknown".
async fn two_runs(tmp: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut dirs = Vec::new();
    for (name, answer) in [("smart", "45"), ("blank", "unknown")] {
        let server = MockServer::start(MockConfig {
            answers: AnswerMode::Rules {
                rules: vec![("tallest bar".into(), answer.into())],
                default: "unknown".into(),
            },
            ..MockConfig::default()
        })
        .await
        .unwrap();
        let card = model_card(tmp, name, &server.base_url(), "");
        let out_dir = tmp.join(format!("runs-{name}"));
        let out = evalkit_async(
            tmp,
            &[
                "run",
                "--model",
                card.to_str().unwrap(),
                "--suite",
                "chartqa",
                "--data",
                fixture("chartqa/json/test").to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[],
        )
        .await;
        ok(&out);
        dirs.push(run_dir(&out_dir));
    }
    (dirs.remove(0), dirs.remove(0))
}

fn get(url: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-f", url])
        .output()
        .expect("curl");
    assert!(out.status.success(), "GET {url} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ids_in(html: &str, class: &str) -> Vec<String> {
    html.split(&format!("<tr class=\"{class}"))
        .skip(1)
        .filter_map(|row| row.split("data-id=\"").nth(1)?.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn view_lists_filters_shows_items_and_flips() {
    let tmp = tempfile::tempdir().unwrap();
    let (smart, blank) = two_runs(tmp.path()).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_evalkit"))
        .args(["view", "--port", "0"])
        .arg(&smart)
        .arg(&blank)
        .current_dir(tmp.path())
        .env("HOME", tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let result = std::panic::catch_unwind(|| {
        let home = get(&format!("{base}/"));
        assert_eq!(home.matches("<tr class=\"run\"").count(), 2, "{home}");
        // Which run is which in the list (scan order).
        let smart_index = if home.find("smart").unwrap() < home.find("blank").unwrap() {
            0
        } else {
            1
        };
        let wrong_expected: Vec<String> = predictions(&smart)
            .iter()
            .filter(|r| r["metrics"]["relaxed_accuracy"].as_f64() != Some(1.0))
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(wrong_expected.len(), 5);
        let wrong = get(&format!("{base}/runs/{smart_index}?class=wrong"));
        let mut shown = ids_in(&wrong, "item");
        let mut expected = wrong_expected.clone();
        shown.sort();
        expected.sort();
        assert_eq!(
            shown, expected,
            "filtering to wrong shows exactly the wrong items"
        );
        let right = get(&format!("{base}/runs/{smart_index}?class=right"));
        assert_eq!(ids_in(&right, "item").len(), 3);
        let search = get(&format!("{base}/runs/{smart_index}?q=nothing-matches-this"));
        assert!(search.contains("0 matching items"));
        let id = &ids_in(&right, "item")[0];
        let item = get(&format!("{base}/runs/{smart_index}/items/{id}"));
        assert!(item.contains("<img") && item.contains("data:image/png;base64,"));
        assert!(item.contains("<tr class=\"call\"") && item.contains("45"));
        assert!(item.contains("id=\"prompt\""));
        let cmp = get(&format!("{base}/compare/0/1"));
        let mut flipped = ids_in(&cmp, "flipped");
        flipped.sort();
        let mut right_ids = ids_in(&right, "item");
        right_ids.sort();
        assert_eq!(flipped, right_ids, "the three items right only in one run");
        let missing = std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .arg(format!("{base}/runs/9"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&missing.stdout), "404");
    });
    // Stop the server we started, by its PID.
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    // The static bundle: the same pages as files, with relative links.
    let bundle = tmp.path().join("bundle");
    let out = evalkit(
        tmp.path(),
        &[
            "view",
            smart.to_str().unwrap(),
            blank.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
        ],
        &[],
    );
    ok(&out);
    let index = std::fs::read_to_string(bundle.join("index.html")).unwrap();
    assert!(index.contains("href=\"run-0/all-1.html\"") && index.contains("compare-0-1.html"));
    let wrong = std::fs::read_to_string(bundle.join("run-0/wrong-1.html")).unwrap();
    assert!(wrong.contains("href=\"../run-0/item-"));
    assert!(!index.contains("<script") && !index.contains("http://"));
}
