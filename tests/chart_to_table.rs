//! The `synthchart_table` suite end to end: `evalkit synth --seed 1 --charts 2` writes two
//! charts (a bar chart, 4 museums x 1 column, and a grouped bar chart, 4 schools x Math and
//! Reading), and the mock answers every question of chart 0 with its exact table in DePlot's
//! linearised form (title line included) and every question of chart 1 with its table minus the
//! last row, cells separated by bare `|`. The summary's figures follow by hand (see the test):
//! the headline figures read the answers as DePlot's `_parse_table` does, the `_normalized`
//! ones leniently.

mod common;

use std::path::Path;

use common::*;

/// DePlot's form: a title line, ` | ` cells, `<0x0A>` rows.
fn deplot(csv: &str) -> String {
    let mut lines = vec!["TITLE | synthetic".to_string()];
    lines.extend(
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>().join(" | ")),
    );
    lines.join("<0x0A>")
}

/// Every CSV line but the last, cells separated by a bare `|` (`a|b|c`).
fn bare_pipes_without_last_row(csv: &str) -> String {
    let rows: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    rows[..rows.len() - 1]
        .iter()
        .map(|l| l.split(',').collect::<Vec<_>>().join("|"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn run_scores_the_mock_tables_by_deplot_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("synth");
    let out = evalkit_async(
        tmp.path(),
        &[
            "synth",
            "--seed",
            "1",
            "--charts",
            "2",
            "--out",
            data.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    ok(&out);
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&read(&data, "questions.json")).unwrap();
    assert_eq!(entries.len(), 8);
    let texts: Vec<&str> = entries
        .iter()
        .map(|e| e["question"].as_str().unwrap())
        .collect();
    let mut rules = Vec::new();
    for e in &entries {
        let q = e["question"].as_str().unwrap();
        // A needle must pick out its own question only.
        assert_eq!(texts.iter().filter(|t| t.contains(q)).count(), 1, "{q}");
        let table = read(&data, e["table"].as_str().unwrap());
        let answer = match e["chart_type"].as_str().unwrap() {
            "bar" => deplot(&table),
            "grouped_bar" => {
                // The hand computation below relies on this table's shape.
                assert_eq!(table.lines().count(), 5, "{table}");
                assert_eq!(table.lines().next().unwrap().split(',').count(), 3);
                bare_pipes_without_last_row(&table)
            }
            other => panic!("seed 1 drew an unexpected {other} chart"),
        };
        rules.push((q.to_string(), answer));
    }
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules,
            default: "no table".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let out_dir = tmp.path().join("runs");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "synthchart_table",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        &[("EVALKIT_TEST_KEY", "k")],
    )
    .await;
    ok(&out);
    let s = summary(&run_dir(&out_dir));
    assert_eq!(s["primary_metric"], "rms_f1", "{s:#}");
    assert_eq!(s["counts"]["answered"], 8, "{s:#}");
    let metric = |path: &[&str], name: &str| {
        let mut v = &s["scores"];
        for p in path {
            v = &v[*p];
        }
        v["metrics"][name]
            .as_f64()
            .unwrap_or_else(|| panic!("no {name} at {path:?} in {s:#}"))
    };
    // Headline (DePlot's `_parse_table`, google-research deplot/metrics.py 4c42994):
    // Bar chart: the exact table plus the title datapoint `title -> synthetic`: 4 exact of 5
    // predicted, 4 gold: precision 0.8, recall 1, F1 = 2 * 0.8 / 1.8 = 8/9; RNSS 1 (the title
    // has no number, the other numbers are exact).
    // Grouped bar: `a|b|c` rows are one cell each, no datapoints in either orientation:
    // precision 1, recall 0, F1 0; no part is a number: RNSS 0.
    // Overall (4 items per chart): F1 (8/9 + 0) / 2 = 4/9 = 44.4444, precision 90, recall 50,
    // RNSS 50.
    // Normalised (lenient reading): bar 1 (title skipped); grouped: 3 of 4 schools, all values
    // exact: 6 of the 8 gold datapoints, none extra: F1 = 2 * 0.75 / 1.75 = 6/7 = 85.7143, RNSS
    // 1 - 0 / max(8, 6) = 1. Overall F1 (1 + 6/7) / 2 = 13/14 = 92.8571, RNSS 100.
    let bar = ["by", "chart_type", "bar"];
    let grouped = ["by", "chart_type", "grouped_bar"];
    for (path, f1, precision, recall, rnss, f1_norm, rnss_norm) in [
        (&["overall"][..], 44.4444, 90.0, 50.0, 50.0, 92.8571, 100.0),
        (&bar[..], 88.8889, 80.0, 100.0, 100.0, 100.0, 100.0),
        (&grouped[..], 0.0, 100.0, 0.0, 0.0, 85.7143, 100.0),
    ] {
        assert_eq!(metric(path, "rms_f1"), f1, "{path:?}");
        assert_eq!(metric(path, "rms_precision"), precision, "{path:?}");
        assert_eq!(metric(path, "rms_recall"), recall, "{path:?}");
        assert_eq!(metric(path, "rnss"), rnss, "{path:?}");
        assert_eq!(metric(path, "rms_f1_normalized"), f1_norm, "{path:?}");
        assert_eq!(metric(path, "rnss_normalized"), rnss_norm, "{path:?}");
    }
    // The bar chart's answers are read by DePlot's rules; the bare-pipe tables are not
    // (unparsed, though the lenient reading scores them).
    let records = predictions(&run_dir(&out_dir));
    assert_eq!(records.len(), 8);
    for r in &records {
        let want = match r["fields"]["chart_type"].as_str() {
            Some("bar") => "rule",
            _ => "unparsed",
        };
        assert_eq!(r["how"], want, "{r}");
    }
}

/// `--strategy chart-to-table` on ChartQA's official layout: one chart (8127.png, table
/// "Characteristic,Share / Yes,12% / No,88%") with two questions. The mock answers DePlot's
/// instruction with that table and a title line: the 2 gold datapoints exact plus the title
/// datapoint, so precision 2/3, recall 1, RMS F1 = 2 * (2/3) / (5/3) = 80 (100 in the lenient
/// figure, which skips the title); RNSS 100 (neither table has a float: `12%` is none to
/// `float()`). The run is filed under chartqa-table. The same suite from the TSV copy (no tables) fails every item with the
/// reason instead of scoring 0.
#[tokio::test(flavor = "multi_thread")]
async fn chart_to_table_strategy_scores_chartqa_against_its_official_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chartqa/json/test");
    let data = tmp.path().join("chartqa");
    std::fs::create_dir_all(data.join("png")).unwrap();
    std::fs::create_dir_all(data.join("tables")).unwrap();
    std::fs::copy(fixture.join("png/8127.png"), data.join("png/8127.png")).unwrap();
    std::fs::copy(
        fixture.join("tables/8127.csv"),
        data.join("tables/8127.csv"),
    )
    .unwrap();
    let items = serde_json::json!([
        {"imgname": "8127.png", "query": "What share said yes?", "label": "12"},
        {"imgname": "8127.png", "query": "What share said no?", "label": "88"},
    ]);
    std::fs::write(data.join("test_human.json"), items.to_string()).unwrap();
    std::fs::write(data.join("test_augmented.json"), "[]").unwrap();
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules: vec![(
                "Generate underlying data table of the figure below:".into(),
                "TITLE | Survey <0x0A> Characteristic | Share <0x0A> Yes | 12% <0x0A> No | 88%"
                    .into(),
            )],
            default: "no table".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    for (source, answered) in [
        (data.clone(), 2),
        (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/chartqa/tsv/ChartQA_TEST.tsv"),
            0,
        ),
    ] {
        let out_dir = tmp.path().join(format!("runs-{answered}"));
        let out = evalkit_async(
            tmp.path(),
            &[
                "run",
                "--model",
                card.to_str().unwrap(),
                "--suite",
                "chartqa",
                "--strategy",
                "chart-to-table",
                "--data",
                source.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
                "--quiet",
            ],
            &[("EVALKIT_TEST_KEY", "k")],
        )
        .await;
        ok(&out);
        let run = run_dir(&out_dir);
        assert!(
            run.starts_with(out_dir.join("chartqa-table")),
            "{}",
            run.display()
        );
        let s = summary(&run);
        assert_eq!(s["scorer"], "chart_to_table", "{s:#}");
        assert_eq!(s["counts"]["answered"], answered, "{s:#}");
        if answered > 0 {
            assert_eq!(metric(&s, None, "rms_f1"), 80.0, "{s:#}");
            assert_eq!(metric(&s, None, "rms_precision"), 66.6667, "{s:#}");
            assert_eq!(metric(&s, None, "rnss"), 100.0, "{s:#}");
            assert_eq!(metric(&s, None, "rms_f1_normalized"), 100.0, "{s:#}");
            assert_eq!(metric(&s, None, "rnss_normalized"), 100.0, "{s:#}");
        } else {
            assert!(s["counts"]["failed"].as_u64().unwrap() > 0, "{s:#}");
            let record = &predictions(&run)[0];
            assert!(record.to_string().contains("no gold table"), "{record}");
        }
    }
}
