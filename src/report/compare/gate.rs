//! The CI gate of `evalkit compare --fail-if-drop X`: a regression is a pair whose overall
//! score drops by more than X points from A to B with a paired bootstrap interval that
//! excludes zero. Noise (a drop whose interval includes zero) and small drops do not fail
//! the build; categories are reported but do not gate (there are many of them, and the
//! corrected p-values say which are worth a look).

use super::Comparison;

/// One regression found.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    pub suite: String,
    pub a: String,
    pub b: String,
    pub difference: f64,
    pub low: f64,
    pub high: f64,
}

impl std::fmt::Display for Regression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "suite {}: {} -> {} dropped {:.2} points (95% interval {:.2} to {:.2})",
            self.suite, self.a, self.b, -self.difference, self.low, self.high
        )
    }
}

/// The regressions of more than `max_drop` points (overall, significant).
pub fn regressions(report: &Comparison, max_drop: f64) -> Vec<Regression> {
    let mut out = Vec::new();
    for suite in &report.suites {
        for pair in &suite.pairs {
            let Some(overall) = pair.rows.first() else {
                continue;
            };
            let s = &overall.stats;
            let Some(ci) = s.ci95 else { continue };
            if s.difference < -max_drop && ci.high < 0.0 {
                out.push(Regression {
                    suite: suite.suite.clone(),
                    a: suite.runs[pair.a].label.clone(),
                    b: suite.runs[pair.b].label.clone(),
                    difference: s.difference,
                    low: ci.low,
                    high: ci.high,
                });
            }
        }
    }
    out
}
