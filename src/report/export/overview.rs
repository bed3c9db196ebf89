//! The several-runs overview shared by the terminal and Markdown formats: one row per run
//! and metric with the overall score, as lmms-eval prints one row per task and metric and
//! VLMEvalKit's summary puts models side by side. Each run's breakdown stays in its own
//! report (`evalkit report DIR`) and in the CSV export; incomplete runs and notes are
//! listed under the table.

use crate::journal::Summary;

/// One line of the overview.
pub struct Row<'a> {
    pub summary: &'a Summary,
    pub metric: &'a str,
    /// The headline metric of its run (the official figure).
    pub official: bool,
    pub n: usize,
    pub score: Option<f64>,
    pub ci95: Option<f64>,
}

impl Row<'_> {
    /// The kind of strategy (`direct`, `decoupled`, ...): the first field of the run's
    /// strategy identity, whose other fields (prompt, perception cards) do not fit a table.
    pub fn strategy(&self) -> &str {
        self.summary
            .strategy
            .split('|')
            .next()
            .unwrap_or_default()
            .trim()
    }

    /// The metric's name, marked when it is the run's official figure.
    pub fn metric_label(&self) -> String {
        if self.official {
            format!("{} (official)", self.metric)
        } else {
            self.metric.to_string()
        }
    }
}

/// The overview's rows, runs in the order given, metrics headline first.
pub fn rows(runs: &[Summary]) -> Vec<Row<'_>> {
    runs.iter()
        .flat_map(|s| {
            s.metrics.iter().map(move |m| Row {
                summary: s,
                metric: m,
                official: *m == s.primary_metric,
                n: s.scores.overall.n,
                score: s.scores.overall.metrics.get(m).copied(),
                ci95: s.scores.overall.ci95.get(m).copied(),
            })
        })
        .collect()
}

/// Lines to show under the table: each run's notes and whether it is incomplete.
pub fn footnotes(runs: &[Summary]) -> Vec<String> {
    let mut out = Vec::new();
    for s in runs {
        for note in &s.notes {
            out.push(format!("note (run {}): {note}", s.run_id));
        }
        if !s.complete {
            out.push(format!(
                "run {} ({} on {}) is incomplete: {} items pending; re-run its command to resume",
                s.run_id, s.model, s.suite, s.counts.pending
            ));
        }
    }
    out
}
