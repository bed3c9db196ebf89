//! The pieces every HTML report shares, so each report's page is only its content:
//! escaping, the self-contained page shell (inline style; no scripts, no network), a
//! colour palette, and two SVG charts over percentages (0 to 100): a labelled scatter
//! plot and grouped bars. Text arguments are escaped here; arguments called `*_html` are
//! markup the caller has escaped.

/// Text made safe for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A whole page: `title` (text) in the head, `body_html` as the body, tables styled.
pub fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style></head><body>{body_html}</body></html>\n",
        escape(title)
    )
}

const PALETTE: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

/// The `i`-th colour of the palette (it repeats).
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A labelled point of a [`scatter`] plot.
pub struct Point {
    pub x: f64,
    pub y: f64,
    /// Palette index.
    pub color: usize,
    /// Shown beside the point.
    pub label: String,
    /// Shown on hover.
    pub title: String,
}

/// A 360x300 scatter plot of percentages with both axes and the diagonal (y = x).
pub fn scatter(aria: &str, x_label: &str, y_label: &str, points: &[Point]) -> String {
    let (w, h, pad) = (360.0, 300.0, 40.0);
    let x = |v: f64| pad + v / 100.0 * (w - 2.0 * pad);
    let y = |v: f64| h - pad - v / 100.0 * (h - 2.0 * pad);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\"><line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\" stroke-dasharray=\"4\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>",
        escape(aria),
        h - pad,
        w - pad,
        h - pad,
        h - pad,
        x(0.0),
        y(0.0),
        x(100.0),
        y(100.0),
        w / 2.0,
        h - 8.0,
        escape(x_label),
        h / 2.0,
        h / 2.0,
        escape(y_label)
    );
    for p in points {
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
            x(p.x),
            y(p.y),
            color(p.color),
            escape(&p.title),
            x(p.x) + 7.0,
            y(p.y) + 3.0,
            escape(&p.label)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// One bar of a [`grouped_bars`] chart.
pub struct Bar {
    /// Percent.
    pub value: f64,
    /// Shown on hover.
    pub title_html: String,
}

/// A group of bars, one per legend entry, under a label.
pub struct BarGroup {
    pub label: String,
    pub bars: Vec<Bar>,
}

/// Grouped bars of percentages, bar `i` of every group in colour `i`, and a legend line
/// (one entry per bar of a group).
pub fn grouped_bars(aria: &str, groups: &[BarGroup], legend_html: &[String]) -> String {
    let bar_w = 12.0;
    let group_w = bar_w * legend_html.len() as f64 + 16.0;
    let (h, pad) = (220.0, 30.0);
    let w = pad + group_w * groups.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        h + 40.0,
        escape(aria)
    );
    for (g, group) in groups.iter().enumerate() {
        let x0 = pad + g as f64 * group_w;
        for (i, bar) in group.bars.iter().enumerate() {
            let bh = bar.value / 100.0 * (h - pad);
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}</title></rect>",
                x0 + i as f64 * bar_w,
                h - bh,
                bar_w - 2.0,
                color(i),
                bar.title_html
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            x0,
            h + 16.0,
            escape(&group.label)
        ));
    }
    svg.push_str("</svg><p>");
    for (i, entry) in legend_html.iter().enumerate() {
        svg.push_str(&format!(
            "<span style=\"color:{}\">&#9632;</span> {entry} &nbsp; ",
            color(i)
        ));
    }
    svg.push_str("</p>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    }

    #[test]
    fn charts_escape_their_text_and_handle_no_data() {
        let svg = scatter(
            "a",
            "x",
            "y",
            &[Point {
                x: 50.0,
                y: 50.0,
                color: 7,
                label: "<m>".into(),
                title: "t".into(),
            }],
        );
        assert!(svg.contains("&lt;m&gt;") && svg.contains(color(1)));
        let bars = grouped_bars("b", &[], &[]);
        assert!(bars.starts_with("<svg") && bars.ends_with("</p>"));
    }
}
