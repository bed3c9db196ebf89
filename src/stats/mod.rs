//! Statistics for comparing runs on the same items: the paired bootstrap interval of a
//! difference ([`bootstrap`]), McNemar's exact test for accuracy ([`mcnemar`]), the paired
//! t-test for graded metrics ([`ttest`]), the cluster-robust interval when several
//! questions share one image ([`cluster`]) and the Holm and Benjamini-Hochberg corrections
//! ([`multiple`]).
//!
//! It exists because the anchors get this wrong (an unpaired z-test in
//! lm-evaluation-harness, pairing by row position in lmms-eval): `evalkit compare`, the
//! leaderboard's rank groups and the ablation report all use these functions on items
//! paired by identity. A leaf: it knows nothing of runs or records, only numbers, and is
//! deterministic (the bootstrap draws from a seeded generator written here, [`rng`], so
//! the same inputs give the same interval on every machine and in every version).
//! Each function is checked against hand-computed values and against scipy/statsmodels
//! values written into its tests as constants.

pub mod bootstrap;
pub mod cluster;
pub mod mcnemar;
pub mod multiple;
pub mod rng;
pub mod ttest;

/// The two-sided 95% standard normal quantile (scipy.stats.norm.ppf(0.975)).
pub const Z_975: f64 = 1.959_963_984_540_054;

/// The mean of `xs` (0 for none).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// An interval `[low, high]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether zero lies outside the interval (the difference is significant at its level).
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }

    /// The interval scaled (e.g. by 100 for percentage points).
    pub fn scaled(&self, by: f64) -> Interval {
        Interval {
            low: self.low * by,
            high: self.high * by,
        }
    }
}
