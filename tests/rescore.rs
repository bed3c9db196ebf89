//! Regression: `evalkit report DIR --rescore` re-decides every answer from its raw response
//! with the judge's stored verdict in place of a judge call. Before `score::decide` became
//! the one scoring path, rescoring ignored stored verdicts: on the judged CharXiv fixture
//! every judge-decided item fell back to the rules (judge 8 -> 0, scores down). Here the
//! mock servers are stopped before rescoring, so no model can be contacted; every score,
//! count and `decided_by.judge` must come back unchanged, and `summary.json` is rewritten
//! with them.

mod common;
mod judged;

use std::path::Path;

use common::*;

fn report(cwd: &Path, dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["report", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = evalkit(cwd, &args, &[]);
    ok(&out);
    out
}

/// Rescoring `dir` keeps its summary; `judge` items were decided by the judge.
fn assert_rescore_keeps_verdicts(cwd: &Path, dir: &Path, judge: u64, accuracy: f64) {
    let before = summary(dir);
    assert_eq!(before["decided_by"]["judge"], judge, "{before:#}");
    assert_eq!(metric(&before, None, "accuracy"), accuracy);
    let journal = std::fs::read(dir.join("predictions.jsonl")).unwrap();
    let table = stdout(&report(cwd, dir, &[]));

    // Spoil the stored summary: --rescore must rewrite it from the records.
    let mut spoiled = before.clone();
    spoiled["scores"]["overall"]["metrics"]["accuracy"] = serde_json::json!(0.0);
    spoiled["decided_by"]["judge"] = serde_json::json!(0);
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_vec_pretty(&spoiled).unwrap(),
    )
    .unwrap();

    let out = report(cwd, dir, &["--rescore", "--format", "json"]);
    let rescored: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for (name, s) in [("printed", &rescored), ("summary.json", &summary(dir))] {
        assert_eq!(s["scores"], before["scores"], "{name}: {s:#}");
        assert_eq!(s["decided_by"], before["decided_by"], "{name}");
        assert_eq!(s["counts"], before["counts"], "{name}");
        assert_eq!(s["decided_by"]["judge"], judge, "{name}");
        assert_eq!(metric(s, None, "accuracy"), accuracy, "{name}");
    }
    assert_eq!(
        std::fs::read(dir.join("predictions.jsonl")).unwrap(),
        journal,
        "rescoring does not touch the journal"
    );
    assert_eq!(
        stdout(&report(cwd, dir, &["--rescore"])),
        table,
        "the rescored table is the table"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rescoring_a_judged_charxiv_run_keeps_every_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = judged::charxiv_run(tmp.path()).await;
    assert_rescore_keeps_verdicts(tmp.path(), &dir, 8, 81.25);
    let s = summary(&dir);
    assert_eq!(s["decided_by"]["rule"], 7);
    assert_eq!(s["decided_by"]["unparsed"], 1);
    assert_eq!(
        metric(&s, Some(("skill", "Enumeration")), "accuracy"),
        100.0
    );
    assert_eq!(metric(&s, Some(("split", "reasoning")), "accuracy"), 75.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn rescoring_a_judged_reachqa_run_keeps_every_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = judged::reachqa_run(tmp.path()).await;
    assert_rescore_keeps_verdicts(tmp.path(), &dir, 4, 62.5);
    let s = summary(&dir);
    assert_eq!(s["decided_by"]["rule"], 3);
    assert_eq!(metric(&s, Some(("split", "reasoning")), "accuracy"), 75.0);
}
