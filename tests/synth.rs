//! The synthetic chart suite end to end: `evalkit synth` is deterministic to the byte, every
//! chart type is drawn, the files load back through the `synthchart` mapping with their
//! splits and fields, `ensure` generates only when needed, and `evalkit run --suite
//! synthchart` against the mock server gives the score the mock's answers imply.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use evalkit::suite::{Benchmark, Format, Item, ResolvedSource};
use evalkit::synth::{Options, ensure, generate};

/// Every file under `dir` (relative path -> bytes).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn options(seed: u64, charts: usize) -> Options {
    Options {
        seed,
        charts,
        questions: 4,
    }
}

fn items(format: Format, path: PathBuf) -> Vec<Item> {
    evalkit::suite::open(
        Benchmark::Synthchart,
        &ResolvedSource {
            format,
            path,
            unit: evalkit::suite::Unit::Question,
            chart_field: false,
            columns: None,
        },
    )
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn questions(dir: &Path) -> Vec<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(dir.join("questions.json")).unwrap()).unwrap()
}

#[test]
fn the_same_seed_gives_byte_identical_files_and_a_new_seed_different_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c, short) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
        tmp.path().join("short"),
    );
    generate(&options(5, 12), &a).unwrap();
    generate(&options(5, 12), &b).unwrap();
    generate(&options(6, 12), &c).unwrap();
    generate(&options(5, 6), &short).unwrap();
    let (fa, fb, fc, fs) = (files(&a), files(&b), files(&c), files(&short));
    assert_eq!(fa.len(), 12 * 2 + 3, "{:?}", fa.keys());
    assert_eq!(fa, fb, "same seed, different bytes");
    for name in [
        "synthchart.tsv",
        "questions.json",
        "charts/0000.png",
        "tables/0003.csv",
    ] {
        assert_ne!(
            fa[Path::new(name)],
            fc[Path::new(name)],
            "{name}: seed 6 = seed 5"
        );
    }
    // Charts depend only on (seed, number): the first six of twelve equal a six-chart run.
    for n in 0..6 {
        let png = PathBuf::from(format!("charts/{n:04}.png"));
        assert_eq!(fa[&png], fs[&png], "{}", png.display());
    }
    // Regenerating over an existing suite gives the same bytes again.
    generate(&options(5, 12), &a).unwrap();
    assert_eq!(files(&a), fb);
}

#[test]
fn every_chart_type_is_drawn_and_every_item_loads_back_with_its_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("seed-0");
    let summary = generate(&options(0, 12), &dir).unwrap();
    let m = &summary.manifest;
    let types: Vec<&str> = m.by_chart_type.keys().map(String::as_str).collect();
    assert_eq!(
        types,
        [
            "bar",
            "grouped_bar",
            "line",
            "pie",
            "scatter",
            "stacked_bar"
        ]
    );
    assert!(m.by_chart_type.values().all(|n| *n == 8));
    assert_eq!(
        (m.by_split["recognition"], m.by_split["reasoning"]),
        (24, 24)
    );
    for n in 0..12 {
        let png = std::fs::read(dir.join(format!("charts/{n:04}.png"))).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (800, 600));
    }
    let entries = questions(&dir);
    let official = items(Format::Official, dir.clone());
    let tsv = items(Format::VlmevalkitTsv, dir.join("synthchart.tsv"));
    assert_eq!(official.len(), 48);
    assert_eq!(tsv.len(), 48);
    for ((item, other), entry) in official.iter().zip(&tsv).zip(&entries) {
        assert_eq!(item.id, entry["id"].as_str().unwrap());
        assert_eq!(item.id, other.id);
        assert_eq!(item.question, entry["question"].as_str().unwrap());
        assert_eq!(item.answers, vec![entry["answer"].as_str().unwrap()]);
        assert_eq!(item.split.as_deref(), entry["split"].as_str());
        assert_eq!(item.fields["split"], entry["split"].as_str().unwrap());
        assert_eq!(item.fields["kind"], entry["kind"].as_str().unwrap());
        assert_eq!(
            item.fields["chart_type"],
            entry["chart_type"].as_str().unwrap()
        );
        let table = std::fs::read_to_string(dir.join(entry["table"].as_str().unwrap())).unwrap();
        assert_eq!(item.fields["gold_table"], table);
        assert_eq!(other.fields, item.fields);
        assert_eq!(other.images, item.images);
        let chart = item.fields["chart"].clone();
        assert!(item.id.starts_with(&format!("{chart}-")), "{}", item.id);
        let png = std::fs::read(dir.join(entry["image"].as_str().unwrap())).unwrap();
        assert_eq!(&item.images[0].bytes[..], &png[..]);
    }
    let splits: Vec<&str> = official[..4]
        .iter()
        .map(|i| i.split.as_deref().unwrap())
        .collect();
    assert_eq!(
        splits,
        ["recognition", "recognition", "reasoning", "reasoning"]
    );
    // The gold table of chart 0 is its CSV, header first.
    let csv = &official[0].fields["gold_table"];
    assert!(csv.lines().count() >= 5, "{csv}");
}

#[test]
fn ensure_generates_only_when_the_suite_is_missing_or_different() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache/synthchart/seed-2");
    assert!(ensure(2, 3, &dir).unwrap());
    let before = files(&dir);
    let stamp = std::fs::metadata(dir.join("synthchart.tsv"))
        .unwrap()
        .modified()
        .unwrap();
    assert!(!ensure(2, 3, &dir).unwrap());
    let after = std::fs::metadata(dir.join("synthchart.tsv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(stamp, after, "ensure rewrote a complete suite");
    assert!(ensure(2, 4, &dir).unwrap());
    assert_eq!(files(&dir).len(), before.len() + 2);
    // A directory that is not a generated suite is never replaced.
    let foreign = tmp.path().join("home");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep me").unwrap();
    let err = ensure(0, 1, &foreign).unwrap_err().to_string();
    assert!(err.contains("not a generated suite"), "{err}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "keep me"
    );
    // No partial directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("seed-2")]);
}

/// The mock answers every recognition question with its gold answer and everything else
/// with "unknown": recognition scores 100, reasoning 0, every chart type 50, overall 50.
#[tokio::test(flavor = "multi_thread")]
async fn run_on_the_generated_suite_scores_what_the_mock_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // `evalkit synth` writes where the card looks: $EVALKIT_DATA/synthchart/seed-0.
    let out = evalkit_async(
        tmp.path(),
        &["synth", "--seed", "0", "--charts", "6"],
        &[("EVALKIT_DATA", data.to_str().unwrap())],
    )
    .await;
    ok(&out);
    assert!(
        stdout(&out).contains("6 charts, 24 questions"),
        "{}",
        stdout(&out)
    );
    let dir = data.join("synthchart/seed-0");
    let entries = questions(&dir);
    let texts: Vec<&str> = entries
        .iter()
        .map(|e| e["question"].as_str().unwrap())
        .collect();
    let mut rules = Vec::new();
    for e in &entries {
        if e["split"] == "recognition" {
            let q = e["question"].as_str().unwrap();
            // A needle must pick out its own question only.
            assert_eq!(texts.iter().filter(|t| t.contains(q)).count(), 1, "{q}");
            rules.push((q.to_string(), e["answer"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(rules.len(), 12);
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules,
            default: "unknown".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let mut runs = Vec::new();
    for (name, extra) in [
        ("card source", None),
        ("tsv", Some(dir.join("synthchart.tsv"))),
    ] {
        let out_dir = tmp.path().join(format!("runs-{}", runs.len()));
        let mut args = vec![
            "run".to_string(),
            "--model".into(),
            card.to_str().unwrap().into(),
            "--suite".into(),
            "synthchart".into(),
            "--out".into(),
            out_dir.to_str().unwrap().into(),
            "--quiet".into(),
        ];
        if let Some(path) = &extra {
            args.extend(["--data".into(), path.to_str().unwrap().into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = evalkit_async(
            tmp.path(),
            &args,
            &[
                ("EVALKIT_DATA", data.to_str().unwrap()),
                ("EVALKIT_TEST_KEY", "k"),
            ],
        )
        .await;
        ok(&out);
        let run = run_dir(&out_dir);
        let s = summary(&run);
        let metric = |path: &[&str]| {
            let mut v = &s["scores"];
            for p in path {
                v = &v[*p];
            }
            v["metrics"]["relaxed_accuracy"]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: no {path:?} in {s:#}"))
        };
        assert_eq!(metric(&["overall"]), 50.0, "{name}");
        assert_eq!(metric(&["by", "split", "recognition"]), 100.0, "{name}");
        assert_eq!(metric(&["by", "split", "reasoning"]), 0.0, "{name}");
        for t in [
            "bar",
            "grouped_bar",
            "stacked_bar",
            "line",
            "scatter",
            "pie",
        ] {
            assert_eq!(metric(&["by", "chart_type", t]), 50.0, "{name} {t}");
        }
        for kind in ["read_value", "compare", "count", "legend"] {
            if s["scores"]["by"]["kind"].get(kind).is_some() {
                assert_eq!(metric(&["by", "kind", kind]), 100.0, "{name} {kind}");
            }
        }
        assert_eq!(s["counts"]["answered"], 24, "{name}");
        assert_eq!(s["counts"]["invalid"], 0, "{name}");
        let records = predictions(&run);
        assert_eq!(records.len(), 24);
        assert!(
            records.iter().all(|r| r["fields"]["gold_table"]
                .as_str()
                .is_some_and(|t| t.contains(','))),
            "{name}: the gold table travels with every prediction"
        );
        let mut ids: Vec<String> = records
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        runs.push(ids);
    }
    assert_eq!(
        runs[0], runs[1],
        "the directory and its TSV give different items"
    );
    assert!(runs[0].contains(&"0-5-3".to_string()), "{:?}", runs[0]);
}

#[test]
fn a_missing_suite_says_how_to_generate_it() {
    // A card reading another seed's suite is not generated behind the user's back.
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", "http://127.0.0.1:9", "");
    let text = std::fs::read_to_string(repo().join("datasets/synthchart.toml")).unwrap();
    let suite = tmp.path().join("seed7.toml");
    std::fs::write(
        &suite,
        text.replace("synthchart/seed-0", "synthchart/seed-7"),
    )
    .unwrap();
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            suite.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("evalkit synth --seed 0") && err.contains("synthchart/seed-7"),
        "{err}"
    );
    assert!(
        !tmp.path().join("no-data/synthchart/seed-0").exists(),
        "nothing generated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_suite_is_generated_on_first_use() {
    let server = MockServer::start(MockConfig::fixed("unknown"))
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = tmp.path().join("data");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "synthchart",
            "--limit",
            "4",
            "--quiet",
        ],
        &[("EVALKIT_DATA", data.to_str().unwrap())],
    )
    .await;
    ok(&out);
    assert!(
        stderr(&out).contains("generated the synthetic chart suite"),
        "{}",
        stderr(&out)
    );
    assert!(data.join("synthchart/seed-0/synthchart.tsv").is_file());
    assert_eq!(server.stats().requests, 4);
}
