//! Markdown tables, for CI job summaries and pull requests: one run's breakdown, or for
//! several runs one overview table (see [`super::overview`]).

use super::{Exporter, overview};
use crate::journal::Summary;

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn serialize(&self, runs: &[Summary]) -> anyhow::Result<Vec<u8>> {
        Ok(match runs {
            [one] => render(one),
            several => render_overview(several),
        }
        .into_bytes())
    }
}

fn render(s: &Summary) -> String {
    let mut out = format!("### {} on {}\n\n| group | n |", s.model, s.suite);
    for m in &s.metrics {
        out.push_str(&format!(" {m} |"));
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---:|".repeat(s.metrics.len()));
    out.push('\n');
    let mut line = |label: &str, g: &crate::score::aggregate::Group| {
        out.push_str(&format!("| {label} | {} |", g.n));
        for m in &s.metrics {
            out.push_str(
                &g.metrics
                    .get(m)
                    .map_or(" - |".into(), |v| format!(" {v:.2} |")),
            );
        }
        out.push('\n');
    };
    for (column, groups) in &s.scores.by {
        for (value, g) in groups {
            line(&format!("{column}={value}"), g);
        }
    }
    line("**overall**", &s.scores.overall);
    let c = &s.counts;
    out.push_str(&format!(
        "\n{} answered, {} failed, {} invalid, {} unparsed, {} pending. Official figure: `{}`.\n",
        c.answered, c.failed, c.invalid, c.unparsed, c.pending, s.primary_metric
    ));
    out
}

/// Several runs: one row per run and metric, overall scores.
fn render_overview(runs: &[Summary]) -> String {
    let mut out = format!(
        "### {} runs\n\n| suite | model | strategy | run | metric | n | overall |\n|---|---|---|---|---|---:|---:|\n",
        runs.len()
    );
    for r in overview::rows(runs) {
        let s = r.summary;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&s.suite),
            cell(&s.model),
            cell(r.strategy()),
            cell(&s.run_id),
            cell(&r.metric_label()),
            r.n,
            r.score.map_or("-".into(), |v| format!("{v:.2}"))
        ));
    }
    let notes = overview::footnotes(runs);
    if !notes.is_empty() {
        out.push('\n');
        for line in notes {
            out.push_str(&format!("- {}\n", cell(&line)));
        }
    }
    out
}

/// Text safe inside a table cell (a `|` would end the cell, a line break the row).
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}
