//! `leaderboard.html`: a self-contained page (inline style, inline script, inline SVG; no
//! network) with one sortable table per suite (click a column header to sort by it; click
//! again to reverse), the same columns as the Markdown table, and a plot of each suite's
//! scores with their intervals. Tested in a real browser (tests/leaderboard_browser.rs).

use std::fmt::Write as _;

use super::markdown::{rank_text, vs_next_text};
use super::{Leaderboard, SuiteBoard};
use crate::report::Exporter;
use crate::report::html::{color, escape};

pub struct HtmlExporter;

/// Sorting: numbers by `data-v` (when present) or the cell text; empty values last.
const SCRIPT: &str = r#"
document.querySelectorAll('table.board').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      function key(row) {
        var cell = row.cells[col];
        var v = cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent.trim();
        var n = parseFloat(v);
        return isNaN(n) || v === '' ? v : n;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === y) return 0;
        if (x === '' || x === '—') return 1;
        if (y === '' || y === '—') return -1;
        if (typeof x === 'number' && typeof y === 'number') return asc ? x - y : y - x;
        return asc ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"#;

const STYLE: &str = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}th{cursor:pointer;background:#f4f4f4}th[aria-sort=ascending]::after{content:' ▲'}th[aria-sort=descending]::after{content:' ▼'}tr.other td{color:#777}.note{color:#555;font-size:.9em}";

fn plot(suite: &SuiteBoard) -> String {
    let row_h = 22.0;
    let (left, width) = (220.0, 360.0);
    let h = row_h * suite.entries.len() as f64 + 30.0;
    let x = |v: f64| left + v.clamp(0.0, 100.0) / 100.0 * width;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{h}\" role=\"img\" aria-label=\"{} scores with 95% intervals\">",
        left + width + 20.0,
        escape(&suite.suite)
    );
    for t in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let _ = write!(
            svg,
            "<line x1=\"{0}\" y1=\"0\" x2=\"{0}\" y2=\"{1}\" stroke=\"#eee\"/><text x=\"{0}\" y=\"{2}\" font-size=\"10\" text-anchor=\"middle\">{t}</text>",
            x(t),
            h - 18.0,
            h - 5.0
        );
    }
    for (i, e) in suite.entries.iter().enumerate() {
        let y = row_h * i as f64 + row_h / 2.0 + 2.0;
        let c = if e.comparable {
            color(e.group.unwrap_or(1).saturating_sub(1))
        } else {
            "#999"
        };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text><line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{c}\" stroke-width=\"2\"/><circle cx=\"{}\" cy=\"{y}\" r=\"4\" fill=\"{c}\"><title>{}: {:.2}</title></circle>",
            left - 6.0,
            y + 4.0,
            escape(&format!("{} {}", rank_text(e, &suite.entries), e.model)),
            x(e.ci95.low),
            x(e.ci95.high),
            x(e.score),
            escape(&e.model),
            e.score
        );
    }
    svg.push_str("</svg>");
    svg
}

fn table(suite: &SuiteBoard) -> String {
    let mut out = String::from("<table class=\"board\"><thead><tr>");
    let mut header = vec![
        "rank".to_string(),
        "model".into(),
        "score".into(),
        "95% CI".into(),
        "n".into(),
        "vs next".into(),
    ];
    header.extend(suite.categories.iter().cloned());
    header.extend([
        "run date".into(),
        "evalkit".into(),
        "card fingerprint".into(),
        "comparable".into(),
    ]);
    for h in &header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for e in &suite.entries {
        let class = if e.comparable { "" } else { " class=\"other\"" };
        let _ = write!(out, "<tr{class}>");
        let rank_v = e.rank.map_or(String::new(), |r| r.to_string());
        let _ = write!(
            out,
            "<td data-v=\"{rank_v}\">{}</td>",
            escape(&rank_text(e, &suite.entries))
        );
        let _ = write!(out, "<td>{}</td>", escape(&e.model));
        let _ = write!(out, "<td data-v=\"{}\">{:.2}</td>", e.score, e.score);
        let _ = write!(
            out,
            "<td data-v=\"{}\">{:.2}–{:.2}</td>",
            e.ci95.low, e.ci95.low, e.ci95.high
        );
        let _ = write!(out, "<td>{}</td>", e.n);
        let _ = write!(out, "<td>{}</td>", escape(&vs_next_text(e)));
        for c in &suite.categories {
            match e.categories.get(c) {
                Some(v) => {
                    let _ = write!(out, "<td data-v=\"{v}\">{v:.2}</td>");
                }
                None => out.push_str("<td data-v=\"\">—</td>"),
            }
        }
        let _ = write!(
            out,
            "<td>{}</td><td>{}</td><td><code>{}</code></td>",
            escape(&e.run_date),
            escape(&e.evalkit_version),
            escape(&e.card_fingerprint)
        );
        let comparable = if e.comparable {
            "yes".to_string()
        } else {
            format!("not comparable: {}", e.differs.join(", "))
        };
        let _ = write!(out, "<td>{}</td></tr>", escape(&comparable));
    }
    out.push_str("</tbody></table>");
    out
}

impl Exporter<Leaderboard> for HtmlExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let mut body = String::from("<h1>Leaderboard</h1>");
        let _ = write!(
            body,
            "<p class=\"note\">Ranks are significance-aware: a model shares the rank of the one above it (shown as <b>1=</b>) when their paired difference on the items both answered is not significant (paired bootstrap 95% interval including zero; {} resamples, seed {}). Grey rows differ from the suite's reference settings and are not ranked. Click a column header to sort.</p>",
            board.resamples, board.seed
        );
        for suite in &board.suites {
            let _ = write!(
                body,
                "<h2 id=\"{0}\">{0} <small>({1})</small></h2>",
                escape(&suite.suite),
                escape(&suite.metric)
            );
            body.push_str(&table(suite));
            body.push_str(&plot(suite));
        }
        if !board.left_out.is_empty() {
            body.push_str("<h2>Runs left out</h2><ul>");
            for l in &board.left_out {
                let _ = write!(
                    body,
                    "<li><code>{}</code>: {}</li>",
                    escape(&l.run_dir.display().to_string()),
                    escape(&l.reason)
                );
            }
            body.push_str("</ul>");
        }
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>evalkit leaderboard</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head><body>{body}<script>{SCRIPT}</script></body></html>\n"
        );
        Ok(page.into_bytes())
    }
}
