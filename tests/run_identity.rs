//! A run is what it says it is: a run where no item was answered exits non-zero with the
//! failure reasons (also in `summary.json`); a report shows exactly the items the last
//! session selected, and says so; data whose gold answers changed under the same ids is
//! refused before any request; breakdowns come from the data of the current session.

mod common;

use std::path::Path;

use common::*;

fn args(card: &Path, data: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
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
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

async fn evalkit_run(cwd: &Path, args: &[String]) -> std::process::Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    evalkit_async(cwd, &a, &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_with_no_answer_exits_non_zero_with_the_reasons() {
    let server = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(Fault::ServerError, When::Always)],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 3);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "max_attempts = 2\n");
    let out = evalkit_run(tmp.path(), &args(&card, &data, &[])).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no item was answered: 3 failed: HTTP 500 Internal Server Error (3)"),
        "{err}"
    );
    let s = summary(&run_dir(&tmp.path().join("runs")));
    assert_eq!(
        s["failures"],
        serde_json::json!([{"reason": "HTTP 500 Internal Server Error", "count": 3}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partly_failed_run_prints_its_reasons() {
    let server = MockServer::start(MockConfig {
        faults: vec![FaultRule::new(
            Fault::ServerError,
            When::Matching("Q1:".into()),
        )],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 3);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "max_attempts = 2\n");
    let out = evalkit_run(tmp.path(), &args(&card, &data, &[])).await;
    ok(&out);
    assert!(
        stdout(&out).contains("1 failed: HTTP 500 Internal Server Error (1)"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_shows_the_items_the_last_session_selected_and_says_so() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 30);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    ok(&evalkit_run(tmp.path(), &args(&card, &data, &["--limit", "20"])).await);
    let run = evalkit_run(tmp.path(), &args(&card, &data, &["--sample", "4"])).await;
    ok(&run);
    let dir = run_dir(&tmp.path().join("runs"));
    assert_eq!(summary(&dir)["counts"]["total"], 4);
    let report = evalkit_async(
        tmp.path(),
        &["report", dir.to_str().unwrap(), "--format", "json"],
        &[],
    )
    .await;
    ok(&report);
    let s: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(s["scores"]["overall"]["n"], 4, "{s:#}");
    assert_eq!(s["counts"]["total"], 4, "{s:#}");
    let notes = s["notes"].to_string();
    assert!(
        notes.contains("showing the 4 items the last session selected"),
        "{notes}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let fingerprints: Vec<&str> = manifest["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["data_fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), 2);
    assert_ne!(fingerprints[0], fingerprints[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_gold_answers_under_the_same_ids_are_refused_before_any_request() {
    let server = MockServer::start(MockConfig::fixed("A")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // MMStar's ids are its `index` column: an edited answer keeps its id.
    let data = tmp.path().join("MMStar.tsv");
    std::fs::copy(fixture("mmstar/tsv/MMStar.tsv"), &data).unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let mut a = args(&card, &data, &["--limit", "3"]);
    a[4] = "mmstar".into();
    ok(&evalkit_run(tmp.path(), &a).await);
    // Another copy of the data: item 0's answer edited.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .from_path(&data)
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = headers.iter().position(|h| h == "answer").unwrap();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let old = rows[0][column].to_string();
    let new = if old == "A" { "B" } else { "A" };
    rows[0] = rows[0]
        .iter()
        .enumerate()
        .map(|(i, v)| if i == column { new } else { v })
        .collect();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_path(&data)
        .unwrap();
    writer.write_record(&headers).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    server.reset_stats();
    a.truncate(a.len() - 2);
    let out = evalkit_run(tmp.path(), &a).await;
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("the data changed under the same item ids") && err.contains("--out"),
        "{err}"
    );
    assert_eq!(server.stats().answered_total(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn breakdowns_come_from_the_data_of_the_current_session() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = big_chartqa(tmp.path(), 4);
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let a = args(&card, &data, &[]);
    ok(&evalkit_run(tmp.path(), &a).await);
    let dir = run_dir(&tmp.path().join("runs"));
    // As if the first session had read a format without the split column.
    let journal = dir.join("predictions.jsonl");
    let lines: Vec<String> = predictions(&dir)
        .into_iter()
        .map(|mut r| {
            r["split"] = serde_json::Value::Null;
            r["fields"] = serde_json::json!({});
            r.to_string()
        })
        .collect();
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    server.reset_stats();
    ok(&evalkit_run(tmp.path(), &a).await);
    assert_eq!(
        server.stats().answered_total(),
        0,
        "answers came from the journal"
    );
    let s = summary(&dir);
    assert_eq!(s["scores"]["by"]["split"]["human"]["n"], 4, "{s:#}");
}
