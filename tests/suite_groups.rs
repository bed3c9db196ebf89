//! Suite groups: a group card names member suites; `evalkit run --suite GROUP` runs each as
//! an ordinary run directory and ends with one table. Members here are the shipped ChartQA
//! and AI2D cards pointed at the fixtures (official JSON, VLMEvalKit TSV). One mock answers
//! both: "45" to the tallest-bar questions (ChartQA: 3 of 8 right, 37.5) and the AI2D rules
//! of tests/suite_ai2d.rs (3 of 6 right, 50.0).

mod common;

use std::path::Path;

use common::*;

fn member(dir: &Path, name: &str, shipped: &str, format: &str, data: &Path) {
    let text =
        std::fs::read_to_string(repo().join("datasets").join(format!("{shipped}.toml"))).unwrap();
    // The shipped card, its [[source]] tables replaced by the fixture.
    let head = &text[..text.find("[[source]]").unwrap()];
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!(
            "{head}[[source]]\nformat = \"{format}\"\npath = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_runs_every_member_and_ends_with_one_table() {
    let server = MockServer::start(rules(
        &[
            ("carries water up", "B"),
            ("arrow from the sun", "The answer is (A)."),
            ("comes after the egg", "C"),
            ("outermost", "Cannot determine the answer"),
            ("is a producer", "grass"),
            ("tallest bar", "45"),
        ],
        "no idea",
    ))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cards = tmp.path().join("cards");
    std::fs::create_dir_all(&cards).unwrap();
    member(
        &cards,
        "charts",
        "chartqa",
        "chartqa-json",
        &fixture("chartqa/json/test"),
    );
    member(
        &cards,
        "diagrams",
        "ai2d",
        "vlmevalkit-tsv",
        &fixture("ai2d/tsv/AI2D_TEST.tsv"),
    );
    let group = cards.join("grid.toml");
    std::fs::write(
        &group,
        "description = \"a test grid\"\nsuites = [\"charts.toml\", \"diagrams.toml\"]\n",
    )
    .unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let args = [
        "run",
        "--model",
        card.to_str().unwrap(),
        "--suite",
        group.to_str().unwrap(),
    ];
    let out = evalkit_async(tmp.path(), &args, &[]).await;
    ok(&out);
    let table = stdout(&out);
    assert!(table.contains("mock on suite group grid"), "{table}");
    for (suite, metric, score) in [
        ("charts", "relaxed_accuracy", "37.50"),
        ("diagrams", "accuracy", "50.00"),
    ] {
        let line = table
            .lines()
            .find(|l| l.contains(suite) && l.contains(metric))
            .unwrap_or_else(|| panic!("no row for {suite}: {table}"));
        assert!(line.contains(score) && line.contains("official"), "{line}");
    }
    // Each member is an ordinary run directory.
    for suite in ["charts", "diagrams"] {
        let dirs: Vec<_> = std::fs::read_dir(tmp.path().join("runs").join(suite))
            .unwrap()
            .collect();
        assert_eq!(dirs.len(), 1, "{suite}");
    }
    // JSON: one summary per member; --data is refused for a group.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = evalkit_async(tmp.path(), &json_args, &[]).await;
    ok(&out);
    let summaries: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summaries.as_array().unwrap().len(), 2);
    assert_eq!(
        summaries[1]["requests"]["sent"], 0,
        "a re-run sends nothing"
    );
    let mut with_data = args.to_vec();
    let data = fixture("chartqa/json/test");
    with_data.extend(["--data", data.to_str().unwrap()]);
    let out = evalkit_async(tmp.path(), &with_data, &[]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--data names one suite's data"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_shipped_grids_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = evalkit(tmp.path(), &["list"], &[]);
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("prism-grid") && text.contains("group of mmstar, mmmu, mathvista, ai2d"),
        "{text}"
    );
    assert!(text.contains("llava-cot-grid"), "{text}");
}
