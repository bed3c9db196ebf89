//! The decoupling report's figures, as inline SVG and HTML that print well: a heat-map
//! matrix with values and intervals, grouped bars with a y axis, ticks and value labels,
//! and a labelled seeing-versus-thinking scatter with ticks on both axes. Percentages
//! (0 to 100) throughout; text is escaped here.

use std::fmt::Write;

use super::Cell;
use crate::report::html::{color, escape};

/// A white-to-blue background for a percentage, light enough for black text.
fn heat(v: f64) -> String {
    let t = (v / 100.0).clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(255.0, 120.0),
        mix(255.0, 170.0),
        mix(255.0, 230.0)
    )
}

/// An extra column of the heat-map: its header and a cell per row.
pub type Column<'a> = (&'a str, &'a dyn Fn(&str) -> Option<Cell>);

/// The matrix as a table whose cells are shaded by score and show `score ± ci` and `n`;
/// `extra` is one more column (e.g. end-to-end) per row.
pub fn heatmap(
    rows: &[String],
    columns: &[String],
    cell: impl Fn(&str, &str) -> Option<Cell>,
    extra: Option<Column<'_>>,
) -> String {
    let mut out = String::from("<table class=\"heat\"><tr><th>perception \\ reasoning</th>");
    for c in columns {
        let _ = write!(out, "<th>{}</th>", escape(c));
    }
    if let Some((name, _)) = extra {
        let _ = write!(out, "<th>{}</th>", escape(name));
    }
    out.push_str("</tr>");
    let td = |c: Option<Cell>| match c {
        Some(c) => format!(
            "<td style=\"background:{}\"><b>{:.1}</b> <small>± {:.1}<br>n={}</small></td>",
            heat(c.score),
            c.score,
            c.ci95,
            c.n
        ),
        None => "<td>-</td>".into(),
    };
    for r in rows {
        let _ = write!(out, "<tr><th>{}</th>", escape(r));
        for c in columns {
            out.push_str(&td(cell(r, c)));
        }
        if let Some((_, f)) = extra {
            out.push_str(&td(f(r)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// One series of [`bars`]: a name and a value per group (None: not measured).
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Cell>>,
}

/// Grouped vertical bars: a y axis from 0 to 100 with ticks every 20 and grid lines, the
/// group labels under the x axis, each bar's value above it, error whiskers of the 95%
/// interval, and a legend.
pub fn bars(aria: &str, groups: &[String], series: &[Series]) -> String {
    let bar_w = 22.0;
    let group_w = bar_w * series.len().max(1) as f64 + 20.0;
    let (top, left, plot_h) = (20.0, 44.0, 200.0);
    let w = left + group_w * groups.len() as f64 + 10.0;
    let h = top + plot_h + 60.0;
    let y = |v: f64| top + plot_h - v.clamp(0.0, 100.0) / 100.0 * plot_h;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" aria-label=\"{}\" font-size=\"11\">",
        escape(aria)
    );
    for t in (0..=100).step_by(20) {
        let ty = y(t as f64);
        let _ = write!(
            svg,
            "<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"#e4e4e4\"/><line x1=\"{:.1}\" y1=\"{ty:.1}\" x2=\"{left}\" y2=\"{ty:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            w - 10.0,
            left - 4.0,
            left - 6.0,
            ty + 4.0
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">score (%)</text>",
        top + plot_h,
        top + plot_h,
        w - 10.0,
        top + plot_h,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    for (g, label) in groups.iter().enumerate() {
        let x0 = left + 10.0 + g as f64 * group_w;
        for (i, s) in series.iter().enumerate() {
            let Some(Some(c)) = s.values.get(g) else {
                continue;
            };
            let x = x0 + i as f64 * bar_w;
            let (yt, yb) = (y(c.score), y(0.0));
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{yt:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} / {}: {}</title></rect><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\">{:.0}</text>",
                bar_w - 3.0,
                yb - yt,
                color(i),
                escape(label),
                escape(&s.name),
                escape(&c.text()),
                x + (bar_w - 3.0) / 2.0,
                y(c.score + c.ci95),
                x + (bar_w - 3.0) / 2.0,
                y(c.score - c.ci95),
                x + (bar_w - 3.0) / 2.0,
                y(c.score + c.ci95) - 3.0,
                c.score
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x0 + bar_w * series.len() as f64 / 2.0,
            top + plot_h + 16.0,
            escape(label)
        );
    }
    svg.push_str("</svg><p class=\"legend\">");
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            svg,
            "<span style=\"color:{}\">&#9632;</span> {} &nbsp; ",
            color(i),
            escape(&s.name)
        );
    }
    svg.push_str("</p>");
    svg
}

/// A labelled point of [`scatter`].
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

/// A 480x400 scatter of percentages with ticks every 20 on both axes, the diagonal, and
/// every point labelled.
pub fn scatter(aria: &str, x_label: &str, y_label: &str, points: &[Point]) -> String {
    let (w, h, left, bottom, pad) = (480.0, 400.0, 50.0, 44.0, 20.0);
    let x = |v: f64| left + v.clamp(0.0, 100.0) / 100.0 * (w - left - pad);
    let y = |v: f64| h - bottom - v.clamp(0.0, 100.0) / 100.0 * (h - bottom - pad);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"scatter\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\" font-size=\"11\">",
        escape(aria)
    );
    for t in (0..=100).step_by(20) {
        let v = t as f64;
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t}</text><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            x(v),
            y(0.0),
            x(v),
            y(0.0) + 4.0,
            x(v),
            y(0.0) + 16.0,
            x(0.0) - 4.0,
            y(v),
            x(0.0),
            y(v),
            x(0.0) - 6.0,
            y(v) + 4.0
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#bbb\" stroke-dasharray=\"4\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}</text>",
        x(0.0),
        y(0.0),
        x(100.0),
        y(0.0),
        x(0.0),
        y(0.0),
        x(0.0),
        y(100.0),
        x(0.0),
        y(0.0),
        x(100.0),
        y(100.0),
        (x(0.0) + x(100.0)) / 2.0,
        h - 8.0,
        escape(x_label),
        (y(0.0) + y(100.0)) / 2.0,
        (y(0.0) + y(100.0)) / 2.0,
        escape(y_label)
    );
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"><title>{}: ({:.1}, {:.1})</title></circle><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(p.x),
            y(p.y),
            color(i),
            escape(&p.label),
            p.x,
            p.y,
            x(p.x) + 7.0,
            // Alternate labels above and below their points, so neighbours do not collide.
            if i % 2 == 0 {
                y(p.y) - 6.0 - (i / 2) as f64 * 13.0
            } else {
                y(p.y) + 14.0 + (i / 2) as f64 * 13.0
            },
            escape(&p.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_escape_text_and_show_values() {
        let cell = Cell {
            score: 42.0,
            n: 10,
            ci95: 5.0,
        };
        let b = bars(
            "a",
            &["<g>".into()],
            &[Series {
                name: "s".into(),
                values: vec![Some(cell)],
            }],
        );
        assert!(b.contains("&lt;g&gt;") && b.contains(">42<") && b.contains(">100<"));
        let s = scatter(
            "s",
            "x",
            "y",
            &[Point {
                x: 1.0,
                y: 2.0,
                label: "<p>".into(),
            }],
        );
        assert!(s.contains("&lt;p&gt;") && s.contains(">80<"));
        let m = heatmap(&["r".into()], &["c".into()], |_, _| Some(cell), None);
        assert!(m.contains("n=10") && m.contains("± 5.0"));
        assert!(bars("e", &[], &[]).starts_with("<svg"));
    }
}
