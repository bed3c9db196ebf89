//! End to end: scoring protocols on the MMStar fixture against the mock server. The answers are
//! crafted so that the official scorer, VLMEvalKit e8e78f0 and lmms-eval 75571cf give three
//! different figures from the same responses; `report --protocols` lists the items they
//! disagree on; `--protocol lmms-eval` sends lmms-eval's prompt and max tokens into a run
//! directory of its own.

mod common;

use common::*;

/// | id | axis (capability)              | gold | answer                                   | official | vlmevalkit | lmms-eval |
/// |----|--------------------------------|------|------------------------------------------|----------|------------|-----------|
/// | 0  | scene and topic (coarse)       | A    | `A`                                      | 1        | 1          | 1 (start) |
/// | 1  | scene and topic (coarse)       | B    | `The correct answer is **B**, because it shows a football match, not a concert.` | 0 (B not in the last 4 words; two option texts) | 1 (verbose regex) | 1 (phrase) |
/// | 2  | image emotion (coarse)         | A    | `The answer is a calm one, not sad.`     | 0 (two texts) | 1 (regex reads "a" as A) | 0 (no capital A-D) |
/// | 3  | numeric commonsense (math)     | C    | `C`                                      | 1        | 1          | 1         |
/// | 4  | geometry (math)                | C    | `Adding the four sides gives 16 cm.`     | 1 (text) | 1 (text)   | 0 (fallback: the A of "Adding") |
/// | 5  | statistical analysis (math)    | D    | `I am not sure.`                         | 0        | 0          | 0         |
/// | 6  | natural science (sci & tech)   | B    | `carbon dioxide`                         | 1 (text) | 1 (text)   | 0 (no letter) |
/// | 7  | engineering (sci & tech)       | B    | `B`                                      | 1        | 1          | 1         |
///
/// official: 5/8 = 62.5; vlmevalkit: 7/8 = 87.5; lmms-eval, the mean over the 7 axes present:
/// scene 2/2, emotion 0, numeric 1, geometry 0, statistical 0, natural science 0, engineering 1
/// = 3/7 = 42.8571. Per capability, lmms-eval averages its axes: coarse (1 + 0) / 2 = 50, math
/// (1 + 0 + 0) / 3 = 33.3333, science & technology (0 + 1) / 2 = 50.
fn answers() -> MockConfig {
    rules(
        &[
            ("object relationship", "A"),
            (
                "main topic of this picture",
                "The correct answer is **B**, because it shows a football match, not a concert.",
            ),
            (
                "mood does the picture",
                "The answer is a calm one, not sad.",
            ),
            ("bars are taller", "C"),
            (
                "perimeter of the square",
                "Adding the four sides gives 16 cm.",
            ),
            ("plants in the figure absorb", "carbon dioxide"),
            ("stores charge", "B"),
        ],
        "I am not sure.",
    )
}

fn run(tmp: &std::path::Path, card: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let data = fixture("mmstar/tsv/MMStar.tsv");
    let mut args = vec![
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        "mmstar",
        "--data",
        data.to_str().unwrap(),
        "--quiet",
    ];
    args.extend(extra);
    evalkit(tmp, &args, &[])
}

fn run_dirs(out: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    for suite in std::fs::read_dir(out).unwrap().flatten() {
        for model in std::fs::read_dir(suite.path()).unwrap().flatten() {
            for run in std::fs::read_dir(model.path()).unwrap().flatten() {
                dirs.push(run.path());
            }
        }
    }
    dirs.sort();
    dirs
}

#[tokio::test(flavor = "multi_thread")]
async fn three_protocols_three_figures_from_the_same_responses() {
    let server = MockServer::start(answers()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let (t, c) = (tmp.path().to_path_buf(), card.clone());
    ok(&tokio::task::spawn_blocking(move || run(&t, &c, &[]))
        .await
        .unwrap());
    let dir = run_dir(&tmp.path().join("runs"));
    let s = summary(&dir);
    assert_eq!(s["protocol"], "official", "{s:#}");
    let p = &s["protocols"];
    assert_eq!(p["official"]["accuracy"], 62.5, "{p:#}");
    assert_eq!(p["vlmevalkit"]["accuracy"], 87.5);
    assert_eq!(p["lmms-eval"]["accuracy"], 42.8571);
    // The official figure is the headline's.
    assert_eq!(metric(&s, None, "accuracy"), 62.5);
    assert_eq!(
        p["vlmevalkit"]["version"],
        "VLMEvalKit e8e78f0 (2026-08-18)"
    );
    assert_eq!(p["lmms-eval"]["version"], "lmms-eval 75571cf (2026-08-06)");
    assert_eq!(p["lmms-eval"]["averaged"], "mean over l2_category");
    assert_eq!(p["lmms-eval"]["by_category"]["coarse perception"], 50.0);
    assert_eq!(p["lmms-eval"]["by_category"]["math"], 33.3333);
    assert_eq!(p["lmms-eval"]["by_category"]["science & technology"], 50.0);
    assert_eq!(p["official"]["by_category"]["coarse perception"], 33.3333);
    assert_eq!(p["vlmevalkit"]["by_category"]["coarse perception"], 100.0);
    assert!(
        p["vlmevalkit"]["note"]
            .as_str()
            .unwrap()
            .contains("exact_matching"),
        "no judge: the figure says which VLMEvalKit mode it is"
    );

    // report --protocols: the items the protocols disagree on, with each one's reading.
    let json = evalkit(
        tmp.path(),
        &[
            "report",
            dir.to_str().unwrap(),
            "--protocols",
            "--format",
            "json",
        ],
        &[],
    );
    ok(&json);
    let r: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let ids: Vec<&str> = r["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "4", "6"], "{r:#}");
    let item = |id: &str| {
        r["disagreements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone()
    };
    let two = item("2");
    assert_eq!(two["gold"][0], "A");
    assert_eq!(two["response"], "The answer is a calm one, not sad.");
    assert_eq!(two["by_protocol"]["vlmevalkit"]["extracted"], "A");
    assert_eq!(two["by_protocol"]["vlmevalkit"]["correct"], 1.0);
    assert_eq!(
        two["by_protocol"]["lmms-eval"]["extracted"],
        serde_json::Value::Null
    );
    assert_eq!(two["by_protocol"]["official"]["correct"], 0.0);
    let four = item("4");
    assert_eq!(four["by_protocol"]["lmms-eval"]["extracted"], "A");
    assert_eq!(four["by_protocol"]["official"]["extracted"], "C");
    assert_eq!(r["by_category"]["math"]["lmms-eval"], 33.3333);
    assert_eq!(r["by_category"]["math"]["official"], 66.6667);

    for (format, marker) in [("table", "4 item(s)"), ("markdown", "| lmms-eval |")] {
        let out = evalkit(
            tmp.path(),
            &[
                "report",
                dir.to_str().unwrap(),
                "--protocols",
                "--format",
                format,
            ],
            &[],
        );
        ok(&out);
        let text = stdout(&out);
        assert!(text.contains(marker), "{format}: {text}");
        assert!(text.contains("VLMEvalKit e8e78f0"), "{format}: {text}");
        assert!(text.contains("42.86"), "{format}: {text}");
    }
    // The run's own table shows every protocol's figure.
    let plain = evalkit(tmp.path(), &["report", dir.to_str().unwrap()], &[]);
    ok(&plain);
    assert!(
        stdout(&plain).contains("protocol lmms-eval"),
        "{}",
        stdout(&plain)
    );

    // --protocol lmms-eval: lmms-eval's prompt and max tokens, a run directory of its own.
    server.reset_stats();
    let (t, c) = (tmp.path().to_path_buf(), card.clone());
    ok(
        &tokio::task::spawn_blocking(move || run(&t, &c, &["--protocol", "lmms-eval"]))
            .await
            .unwrap(),
    );
    let dirs = run_dirs(&tmp.path().join("runs"));
    assert_eq!(dirs.len(), 2, "another protocol is another run: {dirs:?}");
    let lmms = dirs.iter().find(|d| **d != dir).unwrap();
    let s = summary(lmms);
    assert_eq!(s["protocol"], "lmms-eval");
    assert_eq!(s["protocols"]["lmms-eval"]["accuracy"], 42.8571);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lmms.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["protocol"], "lmms-eval");
    // Item exports name the protocol each run's prompts followed.
    let csv = tmp.path().join("items.csv");
    let out = evalkit(
        tmp.path(),
        &[
            "export",
            tmp.path().join("runs").to_str().unwrap(),
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
        &[],
    );
    ok(&out);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.matches(",lmms-eval,").count(), 8, "{text}");
    assert_eq!(text.matches(",official,").count(), 8, "{text}");
    let stats = server.stats();
    assert_eq!(stats.recent_bodies.len(), 8);
    let texts: Vec<String> = stats
        .recent_bodies
        .iter()
        .map(|b| {
            assert_eq!(b["max_tokens"], 1024, "{b}");
            b["messages"][0]["content"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|p| p["text"].as_str())
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        texts.contains(
            &"What mood does the picture convey?\nOptions: A: calm, B: angry, C: sad, D: excited\n\
              Answer with the option's letter from the given choices directly"
                .to_string()
        ),
        "{texts:#?}"
    );

    // The official protocol again: the first run directory, resumed with no request.
    server.reset_stats();
    let (t, c) = (tmp.path().to_path_buf(), card.clone());
    ok(
        &tokio::task::spawn_blocking(move || run(&t, &c, &["--protocol", "official"]))
            .await
            .unwrap(),
    );
    assert_eq!(run_dirs(&tmp.path().join("runs")).len(), 2);
    assert_eq!(server.stats().requests, 0);
}

#[test]
fn a_benchmark_without_other_protocols_refuses_one() {
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", "http://127.0.0.1:9", "");
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mathvista",
            "--protocol",
            "lmms-eval",
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("only the official protocol"), "{err}");
    assert!(err.contains("mathvista.toml"), "{err}");

    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            "x",
            "--suite",
            "mmstar",
            "--protocol",
            "helm",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("official, vlmevalkit or lmms-eval"));
}
