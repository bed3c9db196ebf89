//! The decoupling report for a terminal: the matrix (perception rows, reasoning columns,
//! end-to-end beside), then one line per model's deltas and per pair's attribution.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{DecoupleReport, fmt};
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
                .map(|x| fmt(r.matrix.get(p).and_then(|m| m.get(x)).copied())),
        );
        row.push(fmt(r.end_to_end.get(p).copied()));
        t.add_row(row);
    }
    for (m, v) in r
        .end_to_end
        .iter()
        .filter(|(m, _)| !r.perception.contains(m))
    {
        let mut row = vec![format!("{m} (end-to-end only)")];
        row.extend(r.reasoning.iter().map(|_| "".to_string()));
        row.push(format!("{v:.1}"));
        t.add_row(row);
    }
    let mut out = format!("Perception vs reasoning on {}\n{t}\n", r.suite);
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
    for a in &r.attribution {
        out.push_str(&format!(
            "{} -> {}: {} items, {} right, {} perception errors, {} reasoning errors\n",
            a.perception, a.reasoning, a.n, a.correct, a.perception_errors, a.reasoning_errors
        ));
    }
    out
}
