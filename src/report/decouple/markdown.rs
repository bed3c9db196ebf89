//! The decoupling report as Markdown (`decouple.md`): the overall matrix and one per
//! category, the deltas ("seeing or thinking?") and the per-item attribution.

use std::collections::BTreeMap;

use super::{DecoupleReport, fmt, p_text};
use crate::report::Exporter;

/// `decouple.md`.
pub struct DecoupleMarkdown;

impl Exporter<DecoupleReport> for DecoupleMarkdown {
    fn serialize(&self, report: &DecoupleReport) -> anyhow::Result<Vec<u8>> {
        Ok(render(report).into_bytes())
    }
}

/// The report as Markdown.
pub fn render(r: &DecoupleReport) -> String {
    let mut out = format!(
        "# Perception vs reasoning: {}\n\nMetric: `{}`.\n\n",
        r.suite, r.metric
    );
    let table = |out: &mut String,
                 title: &str,
                 m: &BTreeMap<String, BTreeMap<String, f64>>,
                 e2e: Option<&BTreeMap<String, f64>>| {
        out.push_str(&format!("## {title}\n\n| perception \\ reasoning |"));
        for x in &r.reasoning {
            out.push_str(&format!(" {x} |"));
        }
        out.push_str(" end-to-end |\n|---|");
        out.push_str(&"---:|".repeat(r.reasoning.len() + 1));
        out.push('\n');
        for p in &r.perception {
            out.push_str(&format!("| {p} |"));
            for x in &r.reasoning {
                out.push_str(&format!(
                    " {} |",
                    fmt(m.get(p).and_then(|row| row.get(x)).copied())
                ));
            }
            out.push_str(&format!(
                " {} |\n",
                fmt(e2e.and_then(|e| e.get(p)).copied())
            ));
        }
        out.push('\n');
    };
    if let Some(i) = &r.instruction {
        out.push_str(&format!("Perception instruction: `{i}`. "));
    }
    out.push_str(&format!("Protocol: {}.\n\n", r.protocol.join("; ")));
    table(&mut out, "Overall", &r.matrix, Some(&r.end_to_end));
    out.push_str("## Cells with n and 95% interval\n\n| perception | reasoning | score | ± | n |\n|---|---|---:|---:|---:|\n");
    for (p, row) in &r.cells {
        for (x, c) in row {
            out.push_str(&format!(
                "| {p} | {x} | {:.1} | {:.1} | {} |\n",
                c.score, c.ci95, c.n
            ));
        }
    }
    out.push_str("\n## Paired tests (exact McNemar on shared items)\n\n| reasoning | A | B | items | only A right | only B right | p |\n|---|---|---|---:|---:|---:|---|\n");
    for t in &r.paired {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            t.reasoning,
            t.first,
            t.second,
            t.test.n,
            t.test.only_first,
            t.test.only_second,
            p_text(t.test.p_value)
        ));
    }
    out.push('\n');
    for (cat, m) in &r.by_category {
        table(
            &mut out,
            &format!(
                "{} = {cat}",
                r.category_column.as_deref().unwrap_or("category")
            ),
            m,
            r.end_to_end_by_category.get(cat),
        );
    }
    out.push_str("## Seeing or thinking?\n\n| model | end-to-end | best decoupled | perception gap | reasoning gap | verdict |\n|---|---:|---:|---:|---:|---|\n");
    for d in &r.deltas {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            d.model,
            fmt(d.end_to_end),
            fmt(d.best_decoupled),
            fmt(d.perception_gap),
            fmt(d.reasoning_gap),
            d.verdict
        ));
    }
    out.push_str("\n## Per-item attribution (against the gold table)\n\n| perception | reasoning | items | right | perception errors | reasoning errors |\n|---|---|---:|---:|---:|---:|\n");
    for a in &r.attribution {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            a.perception, a.reasoning, a.n, a.correct, a.perception_errors, a.reasoning_errors
        ));
    }
    out.push_str("\n## Run directories\n\n");
    for run in &r.runs {
        out.push_str(&format!(
            "- {} -> {} (`{}`): `{}`\n",
            run.perception.as_deref().unwrap_or("end to end"),
            run.model,
            run.strategy,
            run.dir
        ));
    }
    out
}
