//! The decoupling report as a self-contained HTML page (`decouple.html`): its tables, a
//! seeing-versus-thinking scatter and per-category bars, from the shared HTML pieces
//! (`report::html`).

use super::{DecoupleReport, fmt};
use crate::report::Exporter;
use crate::report::html::{self, Bar, BarGroup, Point, escape as esc};

/// `decouple.html`.
pub struct DecoupleHtml;

impl Exporter<DecoupleReport> for DecoupleHtml {
    fn serialize(&self, report: &DecoupleReport) -> anyhow::Result<Vec<u8>> {
        Ok(render(report).into_bytes())
    }
}

/// A self-contained HTML page: the Markdown tables as HTML, a perception-vs-reasoning
/// scatter (x: best decoupled score with the model's own description; y: end-to-end) and
/// per-category bars of the matrix, as inline SVG (no scripts, no network).
pub fn render(r: &DecoupleReport) -> String {
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>Perception vs reasoning: {}</h1><p>Metric: <code>{}</code></p>",
        esc(&r.suite),
        esc(&r.metric)
    ));
    body.push_str("<h2>Overall</h2><table><tr><th>perception \\ reasoning</th>");
    for x in &r.reasoning {
        body.push_str(&format!("<th>{}</th>", esc(x)));
    }
    body.push_str("<th>end-to-end</th></tr>");
    for p in &r.perception {
        body.push_str(&format!("<tr><td>{}</td>", esc(p)));
        for x in &r.reasoning {
            body.push_str(&format!(
                "<td>{}</td>",
                fmt(r.matrix.get(p).and_then(|m| m.get(x)).copied())
            ));
        }
        body.push_str(&format!(
            "<td>{}</td></tr>",
            fmt(r.end_to_end.get(p).copied())
        ));
    }
    body.push_str("</table>");
    body.push_str("<h2>Seeing or thinking?</h2>");
    body.push_str(&scatter(r));
    body.push_str("<table><tr><th>model</th><th>end-to-end</th><th>best decoupled</th><th>perception gap</th><th>reasoning gap</th><th>verdict</th></tr>");
    for d in &r.deltas {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.model),
            fmt(d.end_to_end),
            fmt(d.best_decoupled),
            fmt(d.perception_gap),
            fmt(d.reasoning_gap),
            esc(&d.verdict)
        ));
    }
    body.push_str("</table>");
    if !r.by_category.is_empty() {
        body.push_str(&format!(
            "<h2>By {}</h2>",
            esc(r.category_column.as_deref().unwrap_or("category"))
        ));
        body.push_str(&bars(r));
    }
    body.push_str("<h2>Per-item attribution</h2><table><tr><th>perception</th><th>reasoning</th><th>items</th><th>right</th><th>perception errors</th><th>reasoning errors</th></tr>");
    for a in &r.attribution {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.perception),
            esc(&a.reasoning),
            a.n,
            a.correct,
            a.perception_errors,
            a.reasoning_errors
        ));
    }
    body.push_str("</table>");
    html::page(
        &format!("evalkit: perception vs reasoning on {}", r.suite),
        &body,
    )
}

/// x: a model's description with the best reasoning model; y: the same model end to end.
fn scatter(r: &DecoupleReport) -> String {
    let points: Vec<Point> = r
        .deltas
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let (x, y) = (d.best_decoupled?, d.end_to_end?);
            Some(Point {
                x,
                y,
                color: i,
                label: d.model.clone(),
                title: format!("{}: decoupled {x:.1}, end-to-end {y:.1}", d.model),
            })
        })
        .collect();
    html::scatter(
        "perception vs end-to-end",
        "decoupled (its description, best reasoning)",
        "end-to-end",
        &points,
    )
}

/// One group of bars per category: each (perception, reasoning) cell.
fn bars(r: &DecoupleReport) -> String {
    let cells: Vec<(&String, &String)> = r
        .perception
        .iter()
        .flat_map(|p| r.reasoning.iter().map(move |x| (p, x)))
        .collect();
    let groups: Vec<BarGroup> = r
        .by_category
        .iter()
        .map(|(cat, m)| BarGroup {
            label: cat.clone(),
            bars: cells
                .iter()
                .map(|(p, x)| {
                    let v = m
                        .get(*p)
                        .and_then(|row| row.get(*x))
                        .copied()
                        .unwrap_or(0.0);
                    Bar {
                        value: v,
                        title_html: format!("{} / {} -> {}: {v:.1}", esc(cat), esc(p), esc(x)),
                    }
                })
                .collect(),
        })
        .collect();
    let legend: Vec<String> = cells
        .iter()
        .map(|(p, x)| format!("{} &rarr; {}", esc(p), esc(x)))
        .collect();
    html::grouped_bars("scores by category", &groups, &legend)
}
