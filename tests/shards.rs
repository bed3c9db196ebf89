//! `evalkit run --shard I/N` and `evalkit merge`, against the mock server: four shards
//! merged give the unsharded run's summary in every field but timings (scores per split,
//! counts with failed items and invalid rows, cost, failures, requests), the same slice
//! comes out of every data format and row order, the merged directory works with report,
//! compare, leaderboard, export and view, and merge refuses what is not one whole run,
//! naming the directory and the field.

mod common;

use std::path::{Path, PathBuf};

use common::shards::{assert_same_summary, json, shard_dirs};
use common::*;
use serde_json::Value;

/// A ChartQA-format directory: `human` human-split and `augmented` augmented-split
/// questions over the fixture's images (every third gold answer "46", the rest "45"),
/// plus two rows whose image is missing (invalid rows); `reverse` writes the rows in the
/// opposite order.
fn chartqa_data(dir: &Path, human: usize, augmented: usize, reverse: bool) -> PathBuf {
    let test = dir.join("test");
    std::fs::create_dir_all(test.join("png")).unwrap();
    let src = fixture("chartqa/json/test/png");
    let mut images: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    images.sort();
    for name in &images {
        std::fs::copy(src.join(name), test.join("png").join(name)).unwrap();
    }
    let rows = |prefix: &str, n: usize| -> Vec<Value> {
        let mut rows: Vec<Value> = (0..n)
            .map(|i| {
                serde_json::json!({
                    "imgname": images[i % images.len()],
                    "query": format!("{prefix}{i}: value?"),
                    "label": if i % 3 == 0 { "46" } else { "45" },
                })
            })
            .collect();
        rows.push(serde_json::json!({"imgname": "missing.png", "query": format!("{prefix} lost"), "label": "1"}));
        if reverse {
            rows.reverse();
        }
        rows
    };
    for (file, prefix, n) in [
        ("test_human.json", "H", human),
        ("test_augmented.json", "A", augmented),
    ] {
        std::fs::write(
            test.join(file),
            serde_json::to_vec(&rows(prefix, n)).unwrap(),
        )
        .unwrap();
    }
    test
}

/// A mock server answering "45", failing every attempt at two questions (HTTP 500) and
/// the first attempt at every question containing "7" (retried).
async fn server() -> MockServer {
    MockServer::start(MockConfig {
        faults: vec![
            FaultRule::new(Fault::ServerError, When::Matching("H5: value".into())),
            FaultRule::new(Fault::ServerError, When::Matching("A11: value".into())),
            FaultRule::new(Fault::ServerError, When::FirstAttempts(1)),
        ],
        ..MockConfig::fixed("45")
    })
    .await
    .unwrap()
}

fn run_args<'a>(card: &'a str, data: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run", "--model", card, "--suite", "chartqa", "--data", data, "--quiet", "--out", out,
    ];
    args.extend_from_slice(extra);
    args
}

/// Runs shards `0..count` (of `count`) into `out`; returns their directories.
async fn run_shards(
    cwd: &Path,
    card: &str,
    data: &Path,
    out: &Path,
    count: u32,
    extra: &[&str],
) -> Vec<PathBuf> {
    for i in 0..count {
        let shard = format!("{i}/{count}");
        let mut args = run_args(card, data.to_str().unwrap(), out.to_str().unwrap(), extra);
        args.extend(["--shard", shard.as_str()]);
        ok(&evalkit_async(cwd, &args, &[]).await);
    }
    shard_dirs(out)
}

fn merge_args<'a>(dirs: &'a [PathBuf], out: &'a Path) -> Vec<&'a str> {
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    args
}

fn merge_fails(cwd: &Path, dirs: &[PathBuf], out: &Path) -> String {
    let o = evalkit(cwd, &merge_args(dirs, out), &[]);
    assert!(!o.status.success(), "merge should fail: {}", stdout(&o));
    eprintln!("refused: {}", stderr(&o).trim());
    stderr(&o)
}

#[tokio::test(flavor = "multi_thread")]
async fn four_shards_merged_equal_the_unsharded_run() {
    // One server per side: the first attempt at every question fails on each.
    let (server, shard_server) = (server().await, server().await);
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let data = chartqa_data(&cwd.join("data"), 30, 14, false);
    let cards = |side: &str, server: &MockServer| {
        let dir = cwd.join(side);
        std::fs::create_dir_all(&dir).unwrap();
        model_card(&dir, "mock", &server.base_url(), "max_attempts = 3\n")
    };
    let (card, shard_card) = (cards("card-a", &server), cards("card-b", &shard_server));
    let (card, shard_card) = (card.to_str().unwrap(), shard_card.to_str().unwrap());

    let whole_out = cwd.join("whole");
    let o = evalkit_async(
        cwd,
        &run_args(
            card,
            data.to_str().unwrap(),
            whole_out.to_str().unwrap(),
            &[],
        ),
        &[],
    )
    .await;
    ok(&o);
    let whole = run_dir(&whole_out);
    let whole_summary = summary(&whole);
    // The case is not trivial: failed items, retries, invalid rows, two splits.
    assert_eq!(whole_summary["counts"]["failed"], 2, "{whole_summary:#}");
    assert_eq!(whole_summary["counts"]["invalid"], 2);
    assert!(whole_summary["requests"]["retries"].as_u64().unwrap() > 40);
    assert!(whole_summary["scores"]["by"]["split"]["augmented"].is_object());

    let shards_out = cwd.join("shards");
    let dirs = run_shards(cwd, shard_card, &data, &shards_out, 4, &[]).await;
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    let whole_id = json(&whole, "manifest.json")["run_id"].clone();
    let mut sizes = Vec::new();
    let mut all_ids: Vec<String> = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let m = json(dir, "manifest.json");
        assert_eq!(m["shard"]["index"], i as u64);
        assert_eq!(m["shard"]["count"], 4);
        assert_eq!(m["shard"]["run_id"], whole_id);
        assert_eq!(
            m["run_id"].as_str().unwrap(),
            format!("{}-shard{i}of4", whole_id.as_str().unwrap())
        );
        let ids = json(dir, "selection.json")["ids"]
            .as_array()
            .unwrap()
            .clone();
        sizes.push(ids.len());
        all_ids.extend(ids.iter().map(|v| v.as_str().unwrap().to_string()));
    }
    // The shards partition the items: disjoint, together all of them.
    all_ids.sort();
    let whole_selection = json(&whole, "selection.json");
    let whole_ids: Vec<String> = whole_selection["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(all_ids, whole_ids);
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");

    let merged = cwd.join("merged");
    let o = evalkit(cwd, &merge_args(&dirs, &merged), &[]);
    ok(&o);
    assert!(stderr(&o).contains("merged 4 shards"), "{}", stderr(&o));
    let merged_summary = summary(&merged);
    assert_same_summary(&whole_summary, &merged_summary);
    // The merged selection is the unsharded run's, fingerprint included.
    assert_eq!(json(&merged, "selection.json"), whole_selection);
    let m = json(&merged, "manifest.json");
    assert_eq!(m["run_id"], whole_id);
    assert!(m.get("shard").is_none());
    let from = m["merged_from"].as_array().unwrap();
    assert_eq!(from.len(), 4);
    let items: u64 = from.iter().map(|s| s["items"].as_u64().unwrap()).sum();
    assert_eq!(items as usize, whole_ids.len());
    assert_eq!(
        m["sessions"][0]["data_fingerprint"],
        json(&whole, "manifest.json")["sessions"][0]["data_fingerprint"]
    );

    // Merging again replaces the earlier merge.
    ok(&evalkit(cwd, &merge_args(&dirs, &merged), &[]));
    assert_same_summary(&whole_summary, &summary(&merged));

    // The merged directory is an ordinary run directory.
    let o = evalkit(
        cwd,
        &["report", merged.to_str().unwrap(), "--format", "json"],
        &[],
    );
    ok(&o);
    let reported: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_same_summary(&whole_summary, &reported);
    let o = evalkit(
        cwd,
        &[
            "compare",
            whole.to_str().unwrap(),
            merged.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    ok(&o);
    let compared: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let text = compared.to_string();
    assert!(
        text.contains("\"better\":0") && text.contains("\"worse\":0"),
        "{compared:#}"
    );
    // The leaderboard ranks the merged run and leaves the shards out (each is a slice).
    let board = cwd.join("board");
    let o = evalkit(
        cwd,
        &[
            "leaderboard",
            shards_out.to_str().unwrap(),
            merged.to_str().unwrap(),
            "--out",
            board.to_str().unwrap(),
        ],
        &[],
    );
    ok(&o);
    let board_json = json(&board, "leaderboard.json").to_string();
    assert!(board_json.contains("merged"), "{board_json}");
    assert_eq!(
        stderr(&o).matches("(a slice of the items)").count(),
        4,
        "{}",
        stderr(&o)
    );
    let site = cwd.join("site");
    ok(&evalkit(
        cwd,
        &[
            "view",
            merged.to_str().unwrap(),
            "--bundle",
            site.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(site.join("index.html").is_file());
    let items = cwd.join("items.jsonl");
    ok(&evalkit(
        cwd,
        &[
            "export",
            merged.to_str().unwrap(),
            "--format",
            "jsonl",
            "--out",
            items.to_str().unwrap(),
        ],
        &[],
    ));
    let exported = std::fs::read_to_string(&items).unwrap();
    assert_eq!(exported.lines().count(), whole_ids.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_slice_from_any_format_and_row_order() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let card = model_card(cwd, "mock", &server.base_url(), "");
    let card = card.to_str().unwrap();
    let ids = |dir: &Path| json(dir, "selection.json")["ids"].clone();
    // The ChartQA fixture in its three formats: the same items, the same shard.
    let mut seen = Vec::new();
    for (name, data) in chartqa_formats() {
        let out = cwd.join(name);
        let args = run_args(
            card,
            data.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--shard", "1/2"],
        );
        ok(&evalkit_async(cwd, &args, &[]).await);
        seen.push((name, ids(&run_dir(&out))));
    }
    for (name, slice) in &seen[1..] {
        assert_eq!(slice, &seen[0].1, "{name} vs {}", seen[0].0);
    }
    // Rows in the opposite order: the same slice.
    let forward = chartqa_data(&cwd.join("fwd"), 20, 6, false);
    let backward = chartqa_data(&cwd.join("bwd"), 20, 6, true);
    let mut slices = Vec::new();
    for (name, data) in [("f", &forward), ("b", &backward)] {
        let out = cwd.join(format!("order-{name}"));
        let args = run_args(
            card,
            data.to_str().unwrap(),
            out.to_str().unwrap(),
            &["--shard", "2/3"],
        );
        ok(&evalkit_async(cwd, &args, &[]).await);
        slices.push(ids(&run_dir(&out)));
    }
    assert_eq!(slices[0], slices[1]);
    assert!(!slices[0].as_array().unwrap().is_empty());

    // --limit counts rows before slicing: shards of `--limit 10` split those ten rows.
    let limited = cwd.join("limited");
    let dirs = run_shards(cwd, card, &forward, &limited, 2, &["--limit", "10"]).await;
    let whole = cwd.join("limited-whole");
    ok(&evalkit_async(
        cwd,
        &run_args(
            card,
            forward.to_str().unwrap(),
            whole.to_str().unwrap(),
            &["--limit", "10"],
        ),
        &[],
    )
    .await);
    let merged = cwd.join("limited-merged");
    ok(&evalkit(cwd, &merge_args(&dirs, &merged), &[]));
    assert_same_summary(&summary(&run_dir(&whole)), &summary(&merged));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_shard_values_say_how_to_fix_them() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let data = fixture("chartqa/json/test");
    let card = model_card(cwd, "mock", "http://127.0.0.1:9/v1", "");
    let run = |shard: &str, envs: &[(&str, &str)]| {
        let args = run_args(
            card.to_str().unwrap(),
            data.to_str().unwrap(),
            "runs",
            &["--shard", shard],
        );
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_evalkit"));
        cmd.args(&args)
            .current_dir(cwd)
            .env("HOME", cwd)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("SLURM_ARRAY_TASK_COUNT")
            .env_remove("SLURM_ARRAY_TASK_MIN")
            .env_remove("SLURM_ARRAY_TASK_STEP")
            .env_remove("JOB_COMPLETION_INDEX");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        assert!(!o.status.success(), "--shard {shard} should fail");
        assert!(!cwd.join("runs").exists(), "nothing is written");
        stderr(&o)
    };
    let e = run("0/0", &[]);
    assert!(e.contains("at least 1") && e.contains("--shard 0/4"), "{e}");
    let e = run("5/4", &[]);
    assert!(e.contains("0 to 3"), "{e}");
    let e = run("auto", &[]);
    assert!(
        e.contains("SLURM_ARRAY_TASK_ID") && e.contains("JOB_COMPLETION_INDEX"),
        "{e}"
    );
    let e = run("auto", &[("JOB_COMPLETION_INDEX", "1")]);
    assert!(e.contains("--shard auto/N"), "{e}");
    let e = run(
        "auto",
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
        ],
    );
    assert!(e.contains("--array=0-3"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_refuses_what_is_not_one_whole_run() {
    let server = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let data = chartqa_data(&cwd.join("data"), 16, 4, false);
    let card = model_card(cwd, "mock", &server.base_url(), "");
    let card = card.to_str().unwrap();
    let dirs = run_shards(cwd, card, &data, &cwd.join("a"), 3, &[]).await;
    let out = cwd.join("merged");
    let shown = |p: &Path| p.display().to_string();

    // Missing: shard 2/3 not given.
    let e = merge_fails(cwd, &dirs[..2], &out);
    assert!(e.contains("missing shard(s) 2/3"), "{e}");
    // Overlapping: one directory twice, or two copies of one shard.
    let e = merge_fails(cwd, &[dirs[0].clone(), dirs[0].clone()], &out);
    assert!(
        e.contains("given twice") && e.contains(&shown(&dirs[0])),
        "{e}"
    );
    let copy = cwd.join("copy-of-shard0");
    copy_dir(&dirs[0], &copy);
    let e = merge_fails(cwd, &[dirs[0].clone(), copy.clone(), dirs[1].clone()], &out);
    assert!(
        e.contains("both shard 0/3") && e.contains(&shown(&copy)),
        "{e}"
    );
    // Not a shard: an unsharded run.
    let whole = cwd.join("whole");
    ok(&evalkit_async(
        cwd,
        &run_args(card, data.to_str().unwrap(), whole.to_str().unwrap(), &[]),
        &[],
    )
    .await);
    let whole = run_dir(&whole);
    let e = merge_fails(cwd, &[whole.clone(), dirs[1].clone()], &out);
    assert!(
        e.contains("is not a shard") && e.contains(&shown(&whole)),
        "{e}"
    );

    // Different runs: another split, model, selection, prompt, data.
    let other = |name: &str| cwd.join(name);
    let split2 = run_shards(cwd, card, &data, &other("b"), 2, &[]).await;
    let e = merge_fails(cwd, &[dirs[0].clone(), split2[1].clone()], &out);
    assert!(
        e.contains("`shard.count`") && e.contains(&shown(&split2[1])),
        "{e}"
    );
    let card2 = model_card(
        cwd,
        "other-model",
        &server.base_url(),
        "temperature = 0.5\n",
    );
    let model2 = run_shards(cwd, card2.to_str().unwrap(), &data, &other("c"), 3, &[]).await;
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), model2[2].clone()],
        &out,
    );
    assert!(
        e.contains("`model.name`") && e.contains(&shown(&model2[2])),
        "{e}"
    );
    let limited = run_shards(cwd, card, &data, &other("d"), 3, &["--limit", "9"]).await;
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), limited[2].clone()],
        &out,
    );
    assert!(
        e.contains("`shard.selection`") && e.contains(&shown(&limited[2])),
        "{e}"
    );
    let suite = cwd.join("chartqa-terse.toml");
    let shipped = std::fs::read_to_string(repo().join("datasets/chartqa.toml")).unwrap();
    std::fs::write(
        &suite,
        shipped.replace(
            "Answer the question using a single word or phrase.",
            "Answer in one word.",
        ),
    )
    .unwrap();
    let prompt_dir = other("e");
    let mut args = run_args(
        card,
        data.to_str().unwrap(),
        prompt_dir.to_str().unwrap(),
        &["--shard", "2/3"],
    );
    args[4] = suite.to_str().unwrap();
    ok(&evalkit_async(cwd, &args, &[]).await);
    let prompt = shard_dirs(&prompt_dir);
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), prompt[0].clone()],
        &out,
    );
    assert!(
        e.contains("`prompt_template`") && e.contains(&shown(&prompt[0])),
        "{e}"
    );
    let edited = chartqa_data(&cwd.join("data2"), 17, 4, false);
    let data2 = run_shards(cwd, card, &edited, &other("f"), 3, &[]).await;
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), data2[2].clone()],
        &out,
    );
    assert!(
        e.contains("`data.files`") && e.contains(&shown(&data2[2])),
        "{e}"
    );

    // Unfinished: a shard whose last session was interrupted, or has no summary.
    let unfinished = cwd.join("unfinished");
    copy_dir(&dirs[2], &unfinished);
    let manifest_path = unfinished.join("manifest.json");
    let mut m = json(&unfinished, "manifest.json");
    m["sessions"][0]["outcome"] = "interrupted".into();
    std::fs::write(&manifest_path, serde_json::to_vec(&m).unwrap()).unwrap();
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), unfinished.clone()],
        &out,
    );
    assert!(
        e.contains("unfinished") && e.contains("`interrupted`") && e.contains(&shown(&unfinished)),
        "{e}"
    );
    m["sessions"][0]["outcome"] = "completed".into();
    std::fs::write(&manifest_path, serde_json::to_vec(&m).unwrap()).unwrap();
    std::fs::remove_file(unfinished.join("summary.json")).unwrap();
    let e = merge_fails(
        cwd,
        &[dirs[0].clone(), dirs[1].clone(), unfinished.clone()],
        &out,
    );
    assert!(
        e.contains("unfinished") && e.contains("no summary.json"),
        "{e}"
    );
    assert!(!out.exists(), "nothing was written by a refused merge");

    // --out: not a shard, not another run directory.
    let e = merge_fails(cwd, &dirs, &dirs[0]);
    assert!(e.contains("one of the shards"), "{e}");
    let e = merge_fails(cwd, &dirs, &whole);
    assert!(e.contains("did not write"), "{e}");
    // The three shards merge.
    ok(&evalkit(cwd, &merge_args(&dirs, &out), &[]));
    assert_same_summary(&summary(&whole), &summary(&out));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
