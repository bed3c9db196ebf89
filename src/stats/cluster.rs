//! The cluster-robust interval of a mean difference, for suites where several questions
//! share one chart (ChartQA, PlotQA, the synthetic suite): answers about one image are
//! not independent, so the plain interval is too narrow. The variance is the CR1 sandwich
//! estimate for a regression of the differences on a constant with clusters `g`:
//! `G / (G - 1) * sum_g (sum_{i in g} (d_i - mean))^2 / N^2`, and the interval is
//! `mean +- z_0.975 * sqrt(var)`, exactly what statsmodels'
//! `OLS(d, ones).fit(cov_type="cluster", cov_kwds={"groups": g})` reports
//! (`use_correction=True`; with one regressor its `(N - 1) / (N - K)` factor is 1).

use std::collections::HashMap;

use super::{Interval, Z_975};

/// The cluster-robust 95% interval of the mean of `diffs`, whose items belong to the
/// clusters named in `clusters` (same length). None with fewer than two clusters.
pub fn mean_interval(diffs: &[f64], clusters: &[&str]) -> Option<Interval> {
    if diffs.is_empty() || diffs.len() != clusters.len() {
        return None;
    }
    let n = diffs.len() as f64;
    let mean = super::mean(diffs);
    let mut sums: HashMap<&str, f64> = HashMap::new();
    for (d, c) in diffs.iter().zip(clusters) {
        *sums.entry(c).or_insert(0.0) += d - mean;
    }
    let g = sums.len() as f64;
    if sums.len() < 2 {
        return None;
    }
    // Sum in a fixed order so the result does not depend on the hash map's order.
    let mut parts: Vec<f64> = sums.values().map(|s| s * s).collect();
    parts.sort_by(f64::total_cmp);
    let var = g / (g - 1.0) * parts.iter().sum::<f64>() / (n * n);
    let half = Z_975 * var.sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_case() {
        // Two clusters {1, 1} and {-1, -1}: mean 0, sums 2 and -2,
        // var = 2 * (4 + 4) / 16 = 1, half-width 1.96.
        let ci = mean_interval(&[1.0, 1.0, -1.0, -1.0], &["a", "a", "b", "b"]).unwrap();
        assert!((ci.high - Z_975).abs() < 1e-12 && (ci.low + Z_975).abs() < 1e-12);
        assert!(mean_interval(&[1.0, 0.0], &["a", "a"]).is_none());
    }

    #[test]
    fn matches_statsmodels() {
        // statsmodels 0.15.0: OLS(d, ones).fit(cov_type="cluster",
        // cov_kwds={"groups": g}).conf_int() for these differences and charts.
        let d = [1.0, 1.0, 0.0, 0.0, -1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0];
        let g = [
            "c1", "c1", "c1", "c2", "c2", "c2", "c3", "c3", "c3", "c4", "c4", "c4",
        ];
        let ci = mean_interval(&d, &g).unwrap();
        assert!(
            (ci.low - (-0.141_212_623_684_331_57)).abs() < 1e-12,
            "{ci:?}"
        );
        assert!((ci.high - 0.974_545_957_017_665_1).abs() < 1e-12, "{ci:?}");
    }
}
