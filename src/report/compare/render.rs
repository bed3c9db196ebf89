//! The comparison as text: a terminal table, Markdown (for CI job summaries and pull
//! requests) and JSON (the report value itself). Every format shows, per pair and
//! category, both scores, the difference with its paired bootstrap interval, the
//! cluster-robust interval where items share charts, the flips each way and the p-values
//! raw and corrected, and lists items when asked.

use std::fmt::Write as _;

use super::{Comparison, ItemList, Pair, SuiteComparison};
use crate::stats::Interval;

/// `--format json`.
pub fn json(report: &Comparison) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}

fn interval(ci: Option<Interval>) -> String {
    ci.map_or("—".into(), |c| format!("[{:+.2}, {:+.2}]", c.low, c.high))
}

fn p(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v < 0.0001 => "<0.0001".into(),
        Some(v) => format!("{v:.4}"),
    }
}

const HEADER: [&str; 11] = [
    "category",
    "n",
    "A",
    "B",
    "B − A",
    "95% CI (bootstrap)",
    "95% CI (clustered)",
    "better/worse",
    "test",
    "p",
    "p Holm / BH",
];

fn cells(pair: &Pair) -> Vec<[String; 11]> {
    pair.rows
        .iter()
        .map(|row| {
            let s = &row.stats;
            let mark = if s.significant() { " *" } else { "" };
            [
                row.label(),
                s.n.to_string(),
                format!("{:.2}", s.score_a),
                format!("{:.2}", s.score_b),
                format!("{:+.2}{mark}", s.difference),
                interval(s.ci95),
                match (s.cluster_ci95, s.clusters) {
                    (Some(c), Some(k)) => format!("{} ({k} charts)", interval(Some(c))),
                    _ => "—".into(),
                },
                format!("{}/{}", s.better, s.worse),
                s.test.name().into(),
                p(s.p),
                format!("{} / {}", p(s.p_holm), p(s.p_bh)),
            ]
        })
        .collect()
}

fn pair_heading(suite: &SuiteComparison, pair: &Pair) -> String {
    let a = &suite.runs[pair.a];
    let b = &suite.runs[pair.b];
    let mut text = format!(
        "{} (A) vs {} (B): {} items paired, {} only in A, {} only in B",
        a.label, b.label, pair.paired, pair.a_only, pair.b_only
    );
    if pair.gold_changed > 0 {
        let _ = write!(
            text,
            " ({} ids whose gold answer changed are not paired)",
            pair.gold_changed
        );
    }
    if let Some(field) = &pair.cluster_field {
        let _ = write!(text, "; items clustered by `{field}`");
    }
    text
}

fn item_heading(which: ItemList) -> &'static str {
    match which {
        ItemList::Flipped => "items whose value changed",
        ItemList::AOnly => "items only in A",
        ItemList::BOnly => "items only in B",
    }
}

fn one_line(s: &Option<String>) -> String {
    let s = s.as_deref().unwrap_or("—").replace(['\n', '\r'], " ");
    if s.chars().count() > 80 {
        s.chars().take(77).collect::<String>() + "..."
    } else {
        s
    }
}

fn footer(report: &Comparison) -> String {
    format!(
        "Scores in percent; differences in points. * marks a bootstrap interval that excludes zero \
         ({} resamples, seed {}). Corrections: {}.\n",
        report.resamples, report.seed, report.family
    )
}

/// `--format table`.
pub fn table(report: &Comparison) -> String {
    let mut out = String::new();
    for suite in &report.suites {
        let _ = writeln!(out, "suite {} — metric {}", suite.suite, suite.metric);
        for pair in &suite.pairs {
            let _ = writeln!(out, "{}", pair_heading(suite, pair));
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(HEADER);
            for row in cells(pair) {
                t.add_row(row);
            }
            let _ = writeln!(out, "{t}");
            if let (Some(items), Some(which)) = (&pair.items, report.items) {
                let _ = writeln!(out, "{} ({}):", item_heading(which), items.len());
                let mut t = comfy_table::Table::new();
                t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.set_header(["id", "gold", "A", "B", "response A", "response B"]);
                for item in items {
                    t.add_row([
                        item.id.clone(),
                        item.gold.join(" | "),
                        item.value_a.map_or("—".into(), |v| format!("{v:.0}")),
                        item.value_b.map_or("—".into(), |v| format!("{v:.0}")),
                        one_line(&item.response_a),
                        one_line(&item.response_b),
                    ]);
                }
                let _ = writeln!(out, "{t}");
            }
            out.push('\n');
        }
    }
    for w in &report.warnings {
        let _ = writeln!(out, "note: {w}");
    }
    out.push_str(&footer(report));
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `--format markdown`.
pub fn markdown(report: &Comparison) -> String {
    let mut out = String::from("# Comparison\n\n");
    for suite in &report.suites {
        let _ = writeln!(out, "## {} (metric `{}`)\n", suite.suite, suite.metric);
        for pair in &suite.pairs {
            let _ = writeln!(out, "### {}\n", md_cell(&pair_heading(suite, pair)));
            let _ = writeln!(out, "| {} |", HEADER.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(HEADER.len()));
            for row in cells(pair) {
                let row: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                let _ = writeln!(out, "| {} |", row.join(" | "));
            }
            out.push('\n');
            if let (Some(items), Some(which)) = (&pair.items, report.items) {
                let _ = writeln!(out, "#### {} ({})\n", item_heading(which), items.len());
                out.push_str(
                    "| id | gold | A | B | response A | response B |\n|---|---|---|---|---|---|\n",
                );
                for item in items {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} |",
                        md_cell(&item.id),
                        md_cell(&item.gold.join(" / ")),
                        item.value_a.map_or("—".into(), |v| format!("{v:.0}")),
                        item.value_b.map_or("—".into(), |v| format!("{v:.0}")),
                        md_cell(&one_line(&item.response_a)),
                        md_cell(&one_line(&item.response_b)),
                    );
                }
                out.push('\n');
            }
        }
    }
    for w in &report.warnings {
        let _ = writeln!(out, "- note: {}", md_cell(w));
    }
    out.push_str(&footer(report));
    out
}
