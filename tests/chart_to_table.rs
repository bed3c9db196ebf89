//! Chart-to-table as suites read one item per chart (`unit = "chart"`), end to end:
//!
//! - `synthchart_table`: `evalkit synth --seed 1 --charts 2` writes two charts (a bar chart,
//!   4 museums x 1 column, and a grouped bar chart, 4 schools x Math and Reading) with four
//!   questions each; the suite has one item per chart. The prompt holds no question, so the
//!   mock tells the charts apart by their images (a rule per chart keyed on the PNG's base64
//!   in the request body): chart 0 gets its exact table in DePlot's linearised form, chart 1
//!   its table minus the last row, in markdown.
//! - `chartqa_table` on the official-JSON fixture (6 charts with `tables/`, 8 questions):
//!   one item per chart, broken down by split; from the TSV copy (no tables) every chart is an
//!   invalid row saying which data ships tables.
//!
//! The summaries' figures follow by hand (see each test).

mod common;

use std::path::Path;

use base64::Engine;
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

/// The base64 text of a file, as the request carries the image.
fn base64_of(path: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn synthchart_table_scores_one_table_per_chart() {
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
    // One rule per chart, keyed on its image; every question of a chart has the same one.
    let mut rules: Vec<(String, String)> = Vec::new();
    let mut charts: Vec<(String, String)> = Vec::new();
    for e in &entries {
        let chart = e["chart"].as_str().unwrap().to_string();
        let image = e["image"].as_str().unwrap();
        if charts.iter().any(|(c, _)| *c == chart) {
            continue;
        }
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
        rules.push((base64_of(&data.join(image)), answer));
        charts.push((chart, e["chart_type"].as_str().unwrap().to_string()));
    }
    assert_eq!(
        charts,
        vec![
            ("1-0".to_string(), "bar".to_string()),
            ("1-1".to_string(), "grouped_bar".to_string())
        ]
    );
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::BodyRules {
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
    assert_eq!(s["counts"]["answered"], 2, "{s:#}");
    assert_eq!(s["counts"]["invalid"], 0, "{s:#}");
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
    // Overall (one item per chart): F1 (8/9 + 0) / 2 = 4/9 = 44.4444, precision 90, recall
    // 50, RNSS 50.
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
    // One record per chart, named by the chart, asked with DePlot's instruction alone.
    let records = predictions(&run_dir(&out_dir));
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, vec!["1-0", "1-1"]);
    // The bar chart's answer is read by DePlot's rules; the bare-pipe table is not
    // (unparsed, though the lenient reading scores it).
    for r in &records {
        let want = if r["id"] == "1-0" { "rule" } else { "unparsed" };
        assert_eq!(r["how"], want, "{r}");
    }
    let manifest = read(&run_dir(&out_dir), "manifest.json");
    assert!(
        manifest.contains(
            "\"prompt_template\": \"Generate underlying data table of the figure below:\""
        ),
        "{manifest}"
    );
}

/// The official fixture's six charts and the mock's answer for each, keyed on the image:
/// human 41699051005347, 5090, 8127 exact (DePlot form), OECD_GDP_HUN_000031 unanswered;
/// augmented two_col_103562 exact, multi_col_20396 its first row only.
fn chartqa_rules(test_dir: &Path) -> Vec<(String, String)> {
    let answer = |name: &str| -> String {
        let table = read(test_dir, &format!("tables/{name}.csv"));
        match name {
            "multi_col_20396" => {
                let first_two: Vec<&str> = table.lines().take(2).collect();
                deplot(&first_two.join("\n"))
            }
            _ => deplot(&table),
        }
    };
    [
        "41699051005347",
        "5090",
        "8127",
        "two_col_103562",
        "multi_col_20396",
    ]
    .iter()
    .map(|name| {
        (
            base64_of(&test_dir.join(format!("png/{name}.png"))),
            answer(name),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn chartqa_table_scores_each_chart_of_the_official_release() {
    let tmp = tempfile::tempdir().unwrap();
    let test_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chartqa/json/test");
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::BodyRules {
            rules: chartqa_rules(&test_dir),
            default: "no table".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let run = |data: &Path, out_dir: &Path| {
        let args: Vec<String> = [
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "chartqa_table",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let cwd = tmp.path().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            evalkit_async(&cwd, &args, &[("EVALKIT_TEST_KEY", "k")]).await
        }
    };
    let out_dir = tmp.path().join("runs-json");
    let out = run(&test_dir, &out_dir).await;
    ok(&out);
    let dir = run_dir(&out_dir);
    assert!(
        dir.starts_with(out_dir.join("chartqa_table")),
        "{}",
        dir.display()
    );
    let s = summary(&dir);
    assert_eq!(s["scorer"], "chart_to_table", "{s:#}");
    // 8 questions on 6 charts: one item per chart.
    assert_eq!(s["counts"]["answered"], 6, "{s:#}");
    assert_eq!(s["counts"]["invalid"], 0, "{s:#}");
    // Headline (DePlot's parse: the answers' `TITLE | synthetic` line is a datapoint that
    // ChartQA's title-less gold tables lack). Exact tables, g gold datapoints, g + 1
    // predicted: precision g/(g+1), recall 1; 41699051005347 (g = 3): 3/4, F1 6/7; 5090,
    // 8127 and two_col_103562 (g = 2): 2/3, F1 0.8. 8127's `12%` cells match as 0.12 and
    // are no RNSS numbers on either side (RNSS 1); two_col_103562's gold 0 is matched as
    // text in RMS and as 0 in RNSS. OECD_GDP_HUN_000031 gets "no table": no datapoints,
    // precision 1 (as upstream), recall 0, F1 0, RNSS 0; unparsed. multi_col_20396 (gold
    // X 45, Y 20) gets the title and the X row: 1 of 2 predicted exact, 1 of 2 gold found:
    // precision 1/2, recall 1/2, F1 1/2; RNSS: 45 matches, 1 - 0 / max(2, 1) = 1.
    // human (4 charts): F1 (6/7 + 0.8 + 0.8 + 0) / 4 = 61.4286; precision (3/4 + 2/3 + 2/3
    //   + 1) / 4 = 77.0833; recall 75; RNSS 75.
    // augmented (2): F1 (0.8 + 0.5) / 2 = 65; precision (2/3 + 1/2) / 2 = 58.3333; recall 75;
    //   RNSS 100.
    // overall (6): F1 (6/7 + 0.8 * 3 + 0.5) / 6 = 62.619; precision (3/4 + 2/3 * 3 + 1 +
    //   1/2) / 6 = 70.8333; recall 4.5/6 = 75; RNSS 5/6 = 83.3333.
    // The lenient reading skips the title: exact tables 1, OECD 0, multi_col 2/3 (precision
    // 1, recall 1/2): human 75, augmented (1 + 2/3) / 2 = 83.3333, overall 7/9 = 77.7778.
    for (by, f1, precision, recall, rnss, f1_norm) in [
        (None, 62.619, 70.8333, 75.0, 83.3333, 77.7778),
        (Some(("split", "human")), 61.4286, 77.0833, 75.0, 75.0, 75.0),
        (
            Some(("split", "augmented")),
            65.0,
            58.3333,
            75.0,
            100.0,
            83.3333,
        ),
    ] {
        assert_eq!(metric(&s, by, "rms_f1"), f1, "{by:?} {s:#}");
        assert_eq!(metric(&s, by, "rms_precision"), precision, "{by:?}");
        assert_eq!(metric(&s, by, "rms_recall"), recall, "{by:?}");
        assert_eq!(metric(&s, by, "rnss"), rnss, "{by:?}");
        assert_eq!(metric(&s, by, "rms_f1_normalized"), f1_norm, "{by:?}");
    }
    let records = predictions(&dir);
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "augmented-multi_col_20396.png",
            "augmented-two_col_103562.png",
            "human-41699051005347.png",
            "human-5090.png",
            "human-8127.png",
            "human-OECD_GDP_HUN_000031.png",
        ]
    );
    let oecd = records
        .iter()
        .find(|r| r["id"] == "human-OECD_GDP_HUN_000031.png")
        .unwrap();
    assert_eq!(oecd["how"], "unparsed", "{oecd}");

    // The VLMEvalKit copy ships no tables: every chart is an invalid row saying so.
    let tsv =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chartqa/tsv/ChartQA_TEST.tsv");
    let out_dir = tmp.path().join("runs-tsv");
    let out = run(&tsv, &out_dir).await;
    // No item answered: a failed run for CI, saying why.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no item was answered: 6 invalid rows"),
        "{}",
        stderr(&out)
    );
    let dir = run_dir(&out_dir);
    let s = summary(&dir);
    assert_eq!(s["counts"]["answered"], 0, "{s:#}");
    assert_eq!(s["counts"]["invalid"], 6, "{s:#}");
    let invalid = read(&dir, "invalid.jsonl");
    assert_eq!(invalid.lines().count(), 6, "{invalid}");
    for line in invalid.lines() {
        assert!(
            line.contains("no gold table")
                && line.contains("tables/")
                && line.contains("ChartQA_TEST.tsv"),
            "{line}"
        );
    }
}
