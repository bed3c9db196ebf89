//! `evalkit report` over several runs: run directories named one by one and folders of them
//! (found by the scanner in path order), printed as one overview (a row per run and metric)
//! in every format, written to files with `--out`, rescored together; a broken run inside a
//! folder is skipped with a warning naming its file, and is an error when named directly.

mod common;
mod judged;

use std::path::Path;

use common::*;

fn report(cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    evalkit(cwd, &all, &[])
}

/// The same run's summary: what `report` rebuilds equals what the run stored, except the
/// request rate, which a rebuild recomputes from the stored (rounded) wall time.
fn assert_same_run(got: &serde_json::Value, want: &serde_json::Value) {
    for field in ["run_id", "suite", "scores", "counts", "decided_by", "judge"] {
        assert_eq!(got[field], want[field], "{field}: {got:#}");
    }
}

fn printed(cwd: &Path, args: &[&str]) -> String {
    let out = report(cwd, args);
    ok(&out);
    stdout(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn several_runs_and_folders_of_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let charxiv = judged::charxiv_run(cwd).await;
    let reachqa = judged::reachqa_run(cwd).await;
    let (cx, rq) = (summary(&charxiv), summary(&reachqa));
    let (cx_id, rq_id) = (
        cx["run_id"].as_str().unwrap(),
        rq["run_id"].as_str().unwrap(),
    );

    // One run, named or found alone in a folder: its full tables, as before.
    let one = printed(cwd, &[charxiv.to_str().unwrap()]);
    assert!(one.starts_with("mock on charxiv (run "), "{one}");
    assert_eq!(printed(cwd, &["runs/charxiv"]), one);

    // A folder of runs: one overview table, runs in path order.
    let table = printed(cwd, &["runs"]);
    assert!(table.starts_with("2 runs\n"), "{table}");
    let (at_cx, at_rq) = (table.find(cx_id).unwrap(), table.find(rq_id).unwrap());
    assert!(at_cx < at_rq, "path order: {table}");
    assert!(table.contains("accuracy (official)"), "{table}");
    assert!(
        table.contains("81.25 ±19.8") && table.contains("62.50 ±"),
        "{table}"
    );

    let md = printed(cwd, &["runs", "--format", "markdown"]);
    assert!(md.starts_with("### 2 runs\n"), "{md}");
    assert!(
        md.contains(&format!(
            "| charxiv | mock | direct | {cx_id} | accuracy (official) | 16 | 81.25 |"
        )),
        "{md}"
    );

    // JSON: an array of the summaries, in the order the runs were named.
    let json: serde_json::Value = serde_json::from_str(&printed(
        cwd,
        &[
            reachqa.to_str().unwrap(),
            charxiv.to_str().unwrap(),
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(2), "{json:#}");
    assert_same_run(&json[0], &rq);
    assert_same_run(&json[1], &cx);

    // CSV: one row per run, breakdown category and metric, the overall group first.
    let csv = printed(cwd, &["runs", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "run_id,suite,model,strategy,scorer,metric,official,breakdown,category,n,score,ci95,complete"
    );
    let groups = |s: &serde_json::Value| {
        1 + s["scores"]["by"]
            .as_object()
            .unwrap()
            .values()
            .map(|g| g.as_object().unwrap().len())
            .sum::<usize>()
    };
    assert_eq!(lines.len(), 1 + groups(&cx) + groups(&rq), "{csv}");
    assert!(
        lines[1].starts_with(&format!("{cx_id},charxiv,mock,"))
            && lines[1].contains(",charxiv,accuracy,true,,,16,81.25,"),
        "{}",
        lines[1]
    );
    assert!(
        csv.contains(",reachqa,accuracy,true,split,reasoning,4,75,"),
        "{csv}"
    );

    // --out writes every --export format; the files hold what --format prints.
    let out = report(
        cwd,
        &[
            "runs",
            "--out",
            "reports",
            "--export",
            "table,markdown,json,csv",
        ],
    );
    ok(&out);
    assert_eq!(stdout(&out), table);
    for (file, format) in [
        ("report.txt", "table"),
        ("report.md", "markdown"),
        ("report.json", "json"),
        ("report.csv", "csv"),
    ] {
        let path = cwd.join("reports").join(file);
        assert!(
            stderr(&out).contains(&path.display().to_string())
                || stderr(&out).contains(&format!("reports/{file}")),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            printed(cwd, &["runs", "--format", format]),
            "{file}"
        );
    }
    let bad = report(cwd, &["runs", "--export", "csv"]);
    assert!(!bad.status.success(), "--export needs --out");

    // Rescoring a folder keeps each run's judge verdicts and rewrites each summary.json.
    let rescored: serde_json::Value =
        serde_json::from_str(&printed(cwd, &["runs", "--rescore", "--format", "json"])).unwrap();
    assert_eq!(rescored[0]["decided_by"]["judge"], 8);
    assert_eq!(rescored[1]["decided_by"]["judge"], 4);
    assert_eq!(rescored[0]["scores"], cx["scores"]);
    assert_eq!(summary(&reachqa)["scores"], rq["scores"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_runs_are_skipped_in_folders_and_named_when_given() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let reachqa = judged::reachqa_run(cwd).await;
    let broken = cwd.join("runs/broken/mock/0123");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("manifest.json"), "{").unwrap();

    let out = report(cwd, &["runs", "--format", "json"]);
    ok(&out);
    let s: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_same_run(&s, &summary(&reachqa));
    assert!(
        stderr(&out).contains("warning: skipped ")
            && stderr(&out).contains("broken/mock/0123/manifest.json"),
        "{}",
        stderr(&out)
    );

    let out = report(cwd, &[broken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("manifest.json"), "{}", stderr(&out));

    for (path, says) in [
        ("nowhere", "nowhere does not exist"),
        ("runs/broken/mock/0123/manifest.json", "is not a directory"),
    ] {
        std::fs::create_dir_all(cwd.join("empty")).unwrap();
        let out = report(cwd, &[path]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    let out = report(cwd, &["empty"]);
    assert!(
        stderr(&out).contains("no run directory under empty"),
        "{}",
        stderr(&out)
    );

    // A torn last line is reported on stderr and the rest is read.
    let journal = reachqa.join("predictions.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"{\"id\": \"torn");
    std::fs::write(&journal, &bytes).unwrap();
    let out = report(cwd, &[reachqa.to_str().unwrap()]);
    ok(&out);
    assert!(
        stderr(&out).contains("predictions.jsonl: skipped a torn last line (12 bytes)"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("62.50"), "{}", stdout(&out));
}
