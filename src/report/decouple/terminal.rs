//! The decoupling report for a terminal: the matrix (perception rows, reasoning columns,
//! end-to-end beside; each cell with its 95% interval and n), then one verdict per model
//! and perception source, the paired tests, and per pair's attribution.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{Cell, DecoupleReport, fmt, p_text};
use crate::report::Exporter;

/// `evalkit decouple`'s terminal output.
pub struct DecoupleTerminal;

impl Exporter<DecoupleReport> for DecoupleTerminal {
    fn serialize(&self, report: &DecoupleReport) -> anyhow::Result<Vec<u8>> {
        Ok(render(report).into_bytes())
    }
}

/// The report as terminal text.
pub fn render(r: &DecoupleReport) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec![format!("perception \\ reasoning ({})", r.metric)];
    header.extend(r.reasoning.iter().cloned());
    header.push("end-to-end".into());
    t.set_header(header);
    for p in &r.perception {
        let mut row = vec![p.clone()];
        row.extend(
            r.reasoning
                .iter()
                .map(|x| cell(r.cells.get(p).and_then(|m| m.get(x)))),
        );
        row.push(cell(r.end_to_end_cells.get(p)));
        t.add_row(row);
    }
    for (m, v) in r
        .end_to_end
        .iter()
        .filter(|(m, _)| !r.perception.contains(m))
    {
        let mut row = vec![format!("{m} (end-to-end only)")];
        row.extend(r.reasoning.iter().map(|_| "".to_string()));
        row.push(
            r.end_to_end_cells
                .get(m)
                .map_or(format!("{v:.1}"), Cell::text),
        );
        t.add_row(row);
    }
    let mut out = format!(
        "Perception vs reasoning on {} (± = 95% interval){}\n{t}\n",
        r.suite,
        if r.partial {
            " [partial: interrupted runs]"
        } else {
            ""
        }
    );
    for d in &r.deltas {
        out.push_str(&format!(
            "{}: end-to-end {}, best decoupled {} (with {}), perception gap {}, reasoning gap {}: {}\n",
            d.model,
            fmt(d.end_to_end),
            fmt(d.best_decoupled),
            d.best_reasoning.as_deref().unwrap_or("-"),
            fmt(d.perception_gap),
            fmt(d.reasoning_gap),
            d.verdict
        ));
    }
    for p in &r.paired {
        out.push_str(&format!(
            "{} vs {} (-> {}): {} items, {} right only with {}, {} only with {}, exact McNemar {}: {}\n",
            p.first,
            p.second,
            p.reasoning,
            p.test.n,
            p.test.only_first,
            p.first,
            p.test.only_second,
            p.second,
            p_text(p.test.p_value),
            if p.test.significant() {
                "significant"
            } else {
                "not significant"
            }
        ));
    }
    for a in &r.attribution {
        out.push_str(&format!(
            "{} -> {}: {} items, {} right, {} perception errors, {} reasoning errors\n",
            a.perception, a.reasoning, a.n, a.correct, a.perception_errors, a.reasoning_errors
        ));
    }
    out
}

fn cell(c: Option<&Cell>) -> String {
    c.map_or("-".into(), Cell::text)
}
