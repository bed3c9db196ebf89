//! The leaderboard's aggregation over many runs (polars, `report::leaderboard::frame`):
//! of several runs of one model the newest complete one stands and the others are left
//! out naming it, an unfinished run is left out, and a run whose prompt differs is shown
//! as not comparable, with what differs, and not ranked.

mod board;
mod common;

use std::path::{Path, PathBuf};

use common::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn edit(path: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    change(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// A copy of `run` under `runs/synthchart/<model>/<id>`, finished at `finished`.
fn copy_run(run: &Path, runs: &Path, model: &str, id: &str, finished: &str) -> PathBuf {
    let to = runs.join("synthchart").join(model).join(id);
    copy_dir(run, &to);
    let (model, id, finished) = (model.to_string(), id.to_string(), finished.to_string());
    edit(&to.join("manifest.json"), |m| {
        m["model"]["name"] = model.clone().into();
        m["run_id"] = id.clone().into();
    });
    edit(&to.join("summary.json"), |s| {
        s["finished_at"] = finished.into();
    });
    to
}

#[tokio::test(flavor = "multi_thread")]
async fn newest_complete_runs_stand_and_settings_that_differ_are_not_ranked() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let b = board::make(cwd).await;
    // Two more runs of `weak`: one older, one newer than the original.
    let older = copy_run(&b.weak, &b.runs, "weak", "a-older", "2000-01-01T00:00:00Z");
    let newer = copy_run(&b.weak, &b.runs, "weak", "z-newer", "2999-01-01T00:00:00Z");
    // Another model whose prompt differs.
    let other = copy_run(&b.strong, &b.runs, "reworded", "r1", "2026-01-01T00:00:00Z");
    edit(&other.join("manifest.json"), |m| {
        m["prompt_template"] = "Answer briefly: {question}".into();
    });
    // A model whose only run is unfinished.
    let unfinished = copy_run(&b.twin, &b.runs, "halfway", "h1", "2026-01-01T00:00:00Z");
    edit(&unfinished.join("summary.json"), |s| {
        s["complete"] = false.into();
    });

    let lb = cwd.join("lb");
    let out = evalkit(
        cwd,
        &[
            "leaderboard",
            b.runs.to_str().unwrap(),
            "--out",
            lb.to_str().unwrap(),
            "--resamples",
            "200",
        ],
        &[],
    );
    ok(&out);
    let board: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lb.join("leaderboard.json")).unwrap()).unwrap();
    let entries = board["suites"][0]["entries"].as_array().unwrap();
    let rows: Vec<(String, Option<u64>, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["model"].as_str().unwrap().to_string(),
                e["rank"].as_u64(),
                e["comparable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("strong".to_string(), Some(1), true),
            ("twin".to_string(), Some(1), true),
            ("weak".to_string(), Some(3), true),
            ("reworded".to_string(), None, false),
        ]
    );
    assert_eq!(entries[3]["differs"], serde_json::json!(["prompt"]));
    // The newest run of `weak` stands.
    assert_eq!(entries[2]["run_id"], "z-newer");
    assert_eq!(entries[2]["run_dir"], newer.to_str().unwrap());
    // Per-category scores come through for every entry.
    let categories = board["suites"][0]["categories"].as_array().unwrap();
    assert!(
        categories.contains(&serde_json::json!("split=reasoning")),
        "{categories:?}"
    );
    assert_eq!(entries[2]["categories"]["split=reasoning"], 0.0);
    assert!(
        entries[2]["categories"]["split=recognition"]
            .as_f64()
            .unwrap()
            > 90.0
    );

    let left: Vec<(String, String)> = board["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["run_dir"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let superseded = format!("superseded by the newer run {}", newer.display());
    let mut want = vec![
        (older.display().to_string(), superseded.clone()),
        (b.weak.display().to_string(), superseded),
        (
            unfinished.display().to_string(),
            "not finished (no complete summary.json): resume it with `evalkit run` or \
             rebuild its summary with `evalkit report DIR --rescore`"
                .to_string(),
        ),
    ];
    want.sort();
    assert_eq!(left, want);
}
