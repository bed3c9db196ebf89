//! The decoupling report as a self-contained HTML page (`decouple.html`): the heat-map
//! matrix with n and intervals, verdicts and paired tests, grouped bars for every
//! breakdown the suite card names (end-to-end scores included), the seeing-versus-thinking
//! scatter, per-item attribution, the error gallery with embedded charts, and links to the
//! run directories. No scripts and no network; readable when printed.

use std::fmt::Write;

use super::charts::{self, Point, Series};
use super::{DecoupleReport, fmt, p_text};
use crate::report::Exporter;
use crate::report::html::{self, escape as esc};

/// `decouple.html`.
pub struct DecoupleHtml;

impl Exporter<DecoupleReport> for DecoupleHtml {
    fn serialize(&self, report: &DecoupleReport) -> anyhow::Result<Vec<u8>> {
        Ok(render(report).into_bytes())
    }
}

const STYLE: &str = "<style>body{max-width:72em}svg{max-width:100%;height:auto}table.heat td{text-align:center;min-width:7em}\
section{break-inside:avoid;margin-bottom:2em}.gallery-item{border:1px solid #ccc;padding:.6em;margin:1em 0;break-inside:avoid}\
.gallery-item img{max-width:100%;max-height:360px;border:1px solid #eee}pre{white-space:pre-wrap;font-size:.85em;background:#f7f7f7;padding:.4em;margin:.2em 0}\
.right{color:#1a7f37}.wrong{color:#c62828}@media print{body{margin:0;max-width:none}a{color:inherit}}</style>";

/// The whole page.
pub fn render(r: &DecoupleReport) -> String {
    let mut b = String::from(STYLE);
    let _ = write!(
        b,
        "<h1>Perception vs reasoning: {}</h1><p>Metric: <code>{}</code> (percent; ± is the half-width of the 95% interval). Perception instruction: <code>{}</code>. Protocol: {}.{}</p>",
        esc(&r.suite),
        esc(&r.metric),
        esc(r
            .instruction
            .as_deref()
            .unwrap_or("as each run's strategy says")),
        r.protocol
            .iter()
            .map(|p| format!("<code>{}</code>", esc(p)))
            .collect::<Vec<_>>()
            .join(", "),
        if r.partial {
            " <b>Partial: some runs were interrupted; their cells cover the items answered so far.</b>"
        } else {
            ""
        }
    );
    b.push_str("<section id=\"matrix\"><h2>Matrix</h2>");
    let e2e = |p: &str| r.end_to_end_cells.get(p).copied();
    b.push_str(&charts::heatmap(
        &r.perception,
        &r.reasoning,
        |p, x| r.cells.get(p).and_then(|m| m.get(x)).copied(),
        (!r.end_to_end_cells.is_empty()).then_some(("end-to-end", &e2e as &dyn Fn(&str) -> _)),
    ));
    b.push_str("</section>");
    b.push_str(&verdicts(r));
    b.push_str(&breakdowns(r));
    b.push_str("<section id=\"scatter\"><h2>Seeing or thinking?</h2><p>x: the score with the gold table (perfect seeing; only thinking can fail); y: the score with the source's own description (seeing and thinking). Points under the diagonal lose items to perception.</p>");
    b.push_str(&scatter(r));
    b.push_str("</section>");
    b.push_str("<section id=\"attribution\"><h2>Per-item attribution (against the gold table)</h2><table><tr><th>perception</th><th>reasoning</th><th>items</th><th>right</th><th>perception errors</th><th>reasoning errors</th></tr>");
    for a in &r.attribution {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.perception),
            esc(&a.reasoning),
            a.n,
            a.correct,
            a.perception_errors,
            a.reasoning_errors
        );
    }
    b.push_str("</table></section>");
    b.push_str(&gallery(r));
    b.push_str("<section id=\"runs\"><h2>Run directories</h2><ul>");
    for run in &r.runs {
        let _ = write!(
            b,
            "<li>{} &rarr; {} (<code>{}</code>{}): <a href=\"file://{}\">{}</a></li>",
            esc(run.perception.as_deref().unwrap_or("end to end")),
            esc(&run.model),
            esc(&run.strategy),
            if run.complete { "" } else { ", interrupted" },
            esc(&run.dir),
            esc(&run.dir)
        );
    }
    b.push_str("</ul></section>");
    html::page(
        &format!("evalkit: perception vs reasoning on {}", r.suite),
        &b,
    )
}

fn verdicts(r: &DecoupleReport) -> String {
    let mut b = String::from(
        "<section id=\"verdicts\"><h2>Verdicts</h2><table><tr><th>model or source</th><th>end-to-end</th><th>best decoupled</th><th>perception gap</th><th>reasoning gap</th><th>verdict</th></tr>",
    );
    for d in &r.deltas {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&d.model),
            fmt(d.end_to_end),
            fmt(d.best_decoupled),
            fmt(d.perception_gap),
            fmt(d.reasoning_gap),
            esc(&d.verdict)
        );
    }
    b.push_str("</table><h3>Paired tests (exact McNemar on shared items)</h3><table><tr><th>reasoning</th><th>source A</th><th>source B</th><th>items</th><th>only A right</th><th>only B right</th><th>p</th><th>significant (5%)</th></tr>");
    for p in &r.paired {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.reasoning),
            esc(&p.first),
            esc(&p.second),
            p.test.n,
            p.test.only_first,
            p.test.only_second,
            p_text(p.test.p_value),
            if p.test.significant() { "yes" } else { "no" }
        );
    }
    b.push_str("</table></section>");
    b
}

/// One bar chart per breakdown column: a group per value, a bar per (perception,
/// reasoning) cell and per end-to-end model.
fn breakdowns(r: &DecoupleReport) -> String {
    let mut b = String::from("<section id=\"breakdowns\"><h2>Breakdowns</h2>");
    let cells: Vec<(&String, &String)> = r
        .perception
        .iter()
        .flat_map(|p| r.reasoning.iter().map(move |x| (p, x)))
        .collect();
    for (column, values) in &r.breakdowns {
        let groups: Vec<String> = values.keys().cloned().collect();
        let mut series: Vec<Series> = cells
            .iter()
            .map(|(p, x)| Series {
                name: format!("{p} → {x}"),
                values: groups
                    .iter()
                    .map(|g| {
                        values
                            .get(g)
                            .and_then(|m| m.get(*p))
                            .and_then(|m| m.get(*x))
                            .copied()
                    })
                    .collect(),
            })
            .collect();
        for model in r.end_to_end_cells.keys() {
            series.push(Series {
                name: format!("{model} end to end"),
                values: groups
                    .iter()
                    .map(|g| {
                        r.end_to_end_breakdowns
                            .get(column)
                            .and_then(|v| v.get(g))
                            .and_then(|m| m.get(model))
                            .copied()
                    })
                    .collect(),
            });
        }
        let _ = write!(b, "<h3 class=\"breakdown\">By {}</h3>", esc(column));
        b.push_str(&charts::bars(
            &format!("scores by {column}"),
            &groups,
            &series,
        ));
    }
    b.push_str("</section>");
    b
}

fn scatter(r: &DecoupleReport) -> String {
    let mut points = Vec::new();
    for x in &r.reasoning {
        let Some(gold) = r.cells.get("gold-table").and_then(|m| m.get(x)) else {
            continue;
        };
        for p in r.perception.iter().filter(|p| *p != "gold-table") {
            if let Some(c) = r.cells.get(p).and_then(|m| m.get(x)) {
                points.push(Point {
                    x: gold.score,
                    y: c.score,
                    label: format!("{p} → {x}"),
                });
            }
        }
    }
    for d in &r.deltas {
        if let (Some(e2e), Some(best)) = (d.end_to_end, d.best_reasoning.as_ref())
            && let Some(gold) = r.cells.get("gold-table").and_then(|m| m.get(best))
        {
            points.push(Point {
                x: gold.score,
                y: e2e,
                label: format!("{} end to end", d.model),
            });
        }
    }
    charts::scatter(
        "seeing versus thinking",
        "with the gold table (thinking only)",
        "with the source's description",
        &points,
    )
}

fn gallery(r: &DecoupleReport) -> String {
    let mut b = String::from("<section id=\"gallery\"><h2>Error gallery</h2>");
    if r.gallery.is_empty() {
        b.push_str("<p>No errors to show (or no gold-table run to attribute them).</p>");
    }
    for g in &r.gallery {
        let _ = write!(
            b,
            "<div class=\"gallery-item\"><h3>{} &mdash; item <code>{}</code>{} (reasoning: {})</h3>",
            esc(&g.kind),
            esc(&g.id),
            g.source
                .as_ref()
                .map(|s| format!(", lost by {}", esc(s)))
                .unwrap_or_default(),
            esc(&g.reasoning)
        );
        match &g.image {
            Some(url) => {
                let _ = write!(
                    b,
                    "<img alt=\"chart of item {}\" src=\"{url}\">",
                    esc(&g.id)
                );
            }
            None => {
                let _ = write!(
                    b,
                    "<p>(image not available: the run's data could not be re-read; source {})</p>",
                    esc(&g.item_source)
                );
            }
        }
        let _ = write!(
            b,
            "<p><b>Question:</b> {}<br><b>Gold:</b> {}</p><table><tr><th>perception</th><th>description</th><th>answer</th></tr>",
            esc(g.question.as_deref().unwrap_or("(not available)")),
            esc(&g.gold.join(" | "))
        );
        for a in &g.answers {
            let _ = write!(
                b,
                "<tr><td>{}</td><td style=\"text-align:left\"><pre>{}</pre></td><td class=\"{}\">{} {}</td></tr>",
                esc(&a.perception),
                esc(&a.description),
                if a.correct { "right" } else { "wrong" },
                esc(a.answer.trim()),
                if a.correct { "&#10003;" } else { "&#10007;" }
            );
        }
        b.push_str("</table></div>");
    }
    b.push_str("</section>");
    b
}
