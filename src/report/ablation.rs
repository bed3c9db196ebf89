//! The ablation report: one row per variant (what it changed, its score with its interval,
//! its cost per item by role), each variant's paired difference from the base on the items
//! both answered, and accuracy against compute (calls and tokens per item) as a plot.
//!
//! The paired difference uses `evalkit compare`'s statistics: items paired by identity
//! (id and gold answers), the paired bootstrap 95% interval (seeded, 10,000 resamples)
//! and McNemar's exact test or the paired t-test. Built from the variants' run directories alone and rendered as Markdown,
//! JSON and a self-contained HTML page.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::cost::{self, Cost};
use crate::journal::{ItemRecord, Status};

/// One variant's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    /// What the variant sets, as `key=value` pairs.
    pub settings: Vec<String>,
    pub dir: PathBuf,
    pub n: usize,
    /// The suite's headline metric, in percent, and its 95% half-width.
    pub score: f64,
    pub ci95: f64,
    pub cost: Cost,
    /// Paired difference from the base (percentage points), on `paired` items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_base: Option<Paired>,
}

/// A paired difference on the items two runs share (points), with its paired bootstrap
/// 95% interval and the paired test's p-value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub paired: usize,
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    pub p: Option<f64>,
}

/// The whole report (`ablation.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AblationReport {
    pub name: String,
    pub suite: String,
    pub metric: String,
    /// The first row is the base.
    pub rows: Vec<Row>,
}

/// One variant's run, for [`build`].
pub struct VariantRun {
    pub name: String,
    pub settings: Vec<String>,
    pub dir: PathBuf,
    /// The latest record of each item the variant's run selected.
    pub records: Vec<ItemRecord>,
}

/// Per-item values of the headline metric (failed items count 0).
fn values(records: &[ItemRecord], metric: &str) -> HashMap<(String, String), f64> {
    records
        .iter()
        .map(|r| {
            let v = match r.status {
                Status::Answered => r
                    .metrics
                    .as_ref()
                    .and_then(|m| m.get(metric))
                    .copied()
                    .unwrap_or(0.0),
                Status::Failed => 0.0,
            };
            // Items pair by id and gold answers: a changed gold answer is another item.
            ((r.id.clone(), r.gold.answers.join("\u{1f}")), v)
        })
        .collect()
}

fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, 1.96 * (var / n).sqrt())
}

fn pct(x: f64) -> f64 {
    (x * 100.0 * 10_000.0).round() / 10_000.0
}

/// A variant against the base, with `evalkit compare`'s paired statistics.
fn vs_base(base: &VariantRun, run: &VariantRun, metric: &str) -> Paired {
    use super::compare::{paired, pairing};
    let p = pairing::pair(&base.records, &run.records);
    let a: Vec<f64> = p
        .pairs
        .iter()
        .map(|(x, _)| pairing::value(x, metric))
        .collect();
    let b: Vec<f64> = p
        .pairs
        .iter()
        .map(|(_, y)| pairing::value(y, metric))
        .collect();
    let mut rng = crate::stats::rng::SplitMix64::for_label(
        0,
        &format!("ablation/{}/{}", base.name, run.name),
    );
    let s = paired::compare(
        &a,
        &b,
        None,
        crate::stats::bootstrap::DEFAULT_RESAMPLES,
        &mut rng,
    );
    Paired {
        paired: s.n,
        difference: s.difference,
        low: s.ci95.map_or(s.difference, |c| c.low),
        high: s.ci95.map_or(s.difference, |c| c.high),
        p: s.p,
    }
}

/// Builds the report; the first variant is the base.
pub fn build(name: &str, suite: &str, metric: &str, runs: &[VariantRun]) -> AblationReport {
    let base = runs.first();
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let own = values(&run.records, metric);
            let xs: Vec<f64> = own.values().copied().collect();
            let (score, ci95) = mean_ci(&xs);
            let vs_base = match (base, i) {
                (Some(base), i) if i > 0 => Some(vs_base(base, run, metric)),
                _ => None,
            };
            Row {
                name: run.name.clone(),
                settings: run.settings.clone(),
                dir: run.dir.clone(),
                n: xs.len(),
                score: pct(score),
                ci95: pct(ci95),
                cost: cost::of(&run.records),
                vs_base,
            }
        })
        .collect();
    AblationReport {
        name: name.to_string(),
        suite: suite.to_string(),
        metric: metric.to_string(),
        rows,
    }
}

fn signed(p: &Option<Paired>) -> String {
    match p {
        Some(p) => format!(
            "{:+.2} [{:+.2}, {:+.2}] (n={}, p={})",
            p.difference,
            p.low,
            p.high,
            p.paired,
            p.p.map_or("—".into(), |v| format!("{v:.4}"))
        ),
        None => "base".into(),
    }
}

fn format_rate(c: &Cost) -> String {
    c.format_followed
        .as_ref()
        .map_or("—".into(), |f| format!("{:.1}%", f.rate))
}

/// `ablation.md`.
pub fn markdown(r: &AblationReport) -> String {
    let mut out = format!(
        "# Ablation: {}\n\nSuite `{}`, metric `{}` (percent, 95% interval). Differences are paired on the items both runs have (by id and gold answer), with the paired bootstrap 95% interval and McNemar's exact test (the paired t-test for graded metrics).\n\n",
        r.name, r.suite, r.metric
    );
    out.push_str("| variant | settings | n | score | vs base | calls/item | prompt tok/item | completion tok/item | format followed |\n|---|---|---|---|---|---|---|---|---|\n");
    for row in &r.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} ± {:.2} | {} | {:.2} | {:.1} | {:.1} | {} |",
            row.name,
            row.settings.join(", "),
            row.n,
            row.score,
            row.ci95,
            signed(&row.vs_base),
            row.cost.total.calls_per_item,
            row.cost.total.prompt_tokens_per_item,
            row.cost.total.completion_tokens_per_item,
            format_rate(&row.cost),
        );
    }
    out.push_str("\n## Cost by role (calls per item)\n\n| variant | role | calls/item | prompt tok/item | completion tok/item |\n|---|---|---|---|---|\n");
    for row in &r.rows {
        for (role, c) in &row.cost.by_role {
            let _ = writeln!(
                out,
                "| {} | {role} | {:.2} | {:.1} | {:.1} |",
                row.name, c.calls_per_item, c.prompt_tokens_per_item, c.completion_tokens_per_item
            );
        }
    }
    out.push_str("\n## Run directories\n\n");
    for row in &r.rows {
        let _ = writeln!(out, "- {}: `{}`", row.name, row.dir.display());
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Accuracy against calls per item: an SVG with axes, ticks and labelled points.
fn plot(r: &AblationReport) -> String {
    let (w, h, left, bottom, top, right) = (640.0, 360.0, 60.0, 50.0, 20.0, 20.0);
    let xs: Vec<f64> = r
        .rows
        .iter()
        .map(|row| row.cost.total.calls_per_item)
        .collect();
    let x_max = xs.iter().copied().fold(1.0_f64, f64::max).ceil();
    let sx = |x: f64| left + (x / x_max) * (w - left - right);
    let sy = |y: f64| top + (1.0 - y / 100.0) * (h - top - bottom);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{} against calls per item\">",
        esc(&r.metric)
    );
    let (x0, y0, x1, y1) = (sx(0.0), sy(0.0), sx(x_max), sy(100.0));
    let _ = write!(
        svg,
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#333\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#333\"/>"
    );
    for t in 0..=5 {
        let y = t as f64 * 20.0;
        let _ = write!(
            svg,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{x0}\" y2=\"{}\" stroke=\"#333\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{y:.0}</text>",
            x0 - 4.0,
            sy(y),
            sy(y),
            x0 - 6.0,
            sy(y) + 4.0
        );
    }
    let steps = x_max.clamp(1.0, 10.0) as usize;
    for t in 0..=steps {
        let x = x_max * t as f64 / steps as f64;
        let _ = write!(
            svg,
            "<line x1=\"{}\" y1=\"{y0}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{x:.1}</text>",
            sx(x),
            sx(x),
            y0 + 4.0,
            sx(x),
            y0 + 16.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">calls per item</text><text x=\"14\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{} (%)</text>",
        (x0 + x1) / 2.0,
        h - 8.0,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0,
        esc(&r.metric)
    );
    for row in &r.rows {
        let (cx, cy) = (sx(row.cost.total.calls_per_item), sy(row.score));
        let (lo, hi) = (
            sy((row.score - row.ci95).max(0.0)),
            sy((row.score + row.ci95).min(100.0)),
        );
        let _ = write!(
            svg,
            "<line x1=\"{cx}\" y1=\"{lo}\" x2=\"{cx}\" y2=\"{hi}\" stroke=\"#4477aa\"/><circle cx=\"{cx}\" cy=\"{cy}\" r=\"4\" fill=\"#4477aa\"><title>{}: {:.2} ± {:.2}</title></circle><text x=\"{}\" y=\"{}\" font-size=\"11\">{} ({:.1})</text>",
            esc(&row.name),
            row.score,
            row.ci95,
            cx + 6.0,
            cy - 6.0,
            esc(&row.name),
            row.score
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `ablation.html`: the table, the plot and links to the run directories; no network.
pub fn html(r: &AblationReport) -> String {
    let mut rows = String::new();
    for row in &r.rows {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2} ± {:.2}</td><td>{}</td><td>{:.2}</td><td>{:.1}</td><td>{:.1}</td><td>{}</td><td><a href=\"{}\">run</a></td></tr>",
            esc(&row.name),
            esc(&row.settings.join(", ")),
            row.n,
            row.score,
            row.ci95,
            esc(&signed(&row.vs_base)),
            row.cost.total.calls_per_item,
            row.cost.total.prompt_tokens_per_item,
            row.cost.total.completion_tokens_per_item,
            esc(&format_rate(&row.cost)),
            esc(&row.dir.display().to_string())
        );
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Ablation: {name}</title><style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style></head><body><h1>Ablation: {name}</h1><p>Suite <code>{suite}</code>, metric <code>{metric}</code> (percent, 95% interval); differences are paired on shared items.</p><table><tr><th>variant</th><th>settings</th><th>n</th><th>score</th><th>vs base</th><th>calls/item</th><th>prompt tok/item</th><th>completion tok/item</th><th>format followed</th><th>run</th></tr>{rows}</table><h2>Accuracy against compute</h2>{plot}</body></html>\n",
        name = esc(&r.name),
        suite = esc(&r.suite),
        metric = esc(&r.metric),
        plot = plot(r),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Gold;

    fn record(id: &str, v: f64, calls: usize) -> ItemRecord {
        let mut r: ItemRecord = serde_json::from_value(serde_json::json!({
            "id": id, "order": 0, "source": "f:1", "status": "answered",
            "request_hash": "h", "response": "x", "extracted": null,
            "metrics": {"acc": v}, "how": "rule", "latency_ms": 1, "usage": null,
            "attempts": 1, "error": null, "split": null, "gold": {"answers": ["g"]},
            "at": "t"
        }))
        .unwrap();
        r.gold = Gold {
            answers: vec!["g".into()],
            ..Gold::default()
        };
        for _ in 0..calls {
            r.calls.push(
                serde_json::from_value(serde_json::json!({
                    "role": "answer", "model": "m", "request_hash": "h", "response": "x",
                    "error": null, "attempts": 1, "latency_ms": 1,
                    "usage": {"prompt_tokens": 10, "completion_tokens": 2}
                }))
                .unwrap(),
            );
        }
        r
    }

    /// Base: a=1, b=0, c=0 (33.33). Variant: a=1, b=1, c=1 (100): differences 0, 1, 1,
    /// mean 2/3 = 66.67 points, sd = sqrt(((0-2/3)^2 + 2(1/3)^2)/2) = 0.57735, half-width
    /// 1.96 x 0.57735 / sqrt(3) = 0.65333 -> 65.33 points. Variant calls: 3 per item.
    #[test]
    fn paired_differences_and_cost_by_hand() {
        let run = |name: &str, vals: [f64; 3], calls| VariantRun {
            name: name.into(),
            settings: vec![],
            dir: PathBuf::from(name),
            records: ["a", "b", "c"]
                .iter()
                .zip(vals)
                .map(|(id, v)| record(id, v, calls))
                .collect(),
        };
        let r = build(
            "t",
            "s",
            "acc",
            &[
                run("base", [1.0, 0.0, 0.0], 1),
                run("sc3", [1.0, 1.0, 1.0], 3),
            ],
        );
        assert_eq!(r.rows[0].score, 33.3333);
        let p = r.rows[1].vs_base.as_ref().unwrap();
        // McNemar exact with 0 and 2 discordant items: p = 2 * 0.25 = 0.5.
        assert_eq!((p.paired, p.difference), (3, 66.6667));
        assert!(p.p.is_some_and(|v| (v - 0.5).abs() < 1e-12), "{p:?}");
        assert!(
            p.low >= 0.0 && p.low <= p.difference && p.high == 100.0,
            "{p:?}"
        );
        assert_eq!(r.rows[1].cost.total.calls_per_item, 3.0);
        assert_eq!(
            r.rows[1].cost.by_role["answer"].prompt_tokens_per_item,
            30.0
        );
        assert!(markdown(&r).contains("| sc3 |  | 3 | 100.00 ± 0.00 | +66.67 ["));
        assert!(html(&r).contains("<svg"));
    }
}
