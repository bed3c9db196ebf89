//! Intervals for a run's figures. Accuracies (metrics whose every value is 0 or 1) get the
//! Wilson score interval, which stays inside [0, 100] and is honest at small n (the normal
//! approximation gives +-0.0 at n = 1 and +-65 at n = 3). Where several questions share one
//! image (ChartQA, PlotQA, FigureQA, synthetic charts), answers to the same chart are not
//! independent: the cluster-robust (CR1, "sandwich") standard error of the mean and the
//! design effect say how much wider the interval really is.
//!
//! Wilson (1927): centre (p + z^2/2n) / (1 + z^2/n), half-width
//! z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2), z = 1.96.
//! Cluster-robust variance of a mean over G clusters: G/(G-1) * sum_g (sum_{i in g}
//! (y_i - mean))^2 / n^2; the design effect is that variance over the i.i.d. one, s^2/n.

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.96;

/// Wilson's 95% interval for `successes` of `n`, as proportions; (0, 0) when n = 0.
pub fn wilson(successes: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 0.0);
    }
    let p = (successes / n).clamp(0.0, 1.0);
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// A clustered mean's 95% half-width and design effect, from per-cluster (count, sum) and
/// the overall n, mean and i.i.d. sample variance. None with fewer than two clusters.
pub fn cluster_robust(
    clusters: impl IntoIterator<Item = (f64, f64)>,
    n: f64,
    mean: f64,
    iid_variance: f64,
) -> Option<(f64, f64)> {
    let mut g = 0.0;
    let mut sum_sq = 0.0;
    for (count, sum) in clusters {
        g += 1.0;
        let residual = sum - count * mean;
        sum_sq += residual * residual;
    }
    if g < 2.0 || n <= 0.0 {
        return None;
    }
    let variance = g / (g - 1.0) * sum_sq / (n * n);
    let iid = iid_variance / n;
    let design_effect = if iid > 0.0 { variance / iid } else { 1.0 };
    Some((Z95 * variance.sqrt(), design_effect))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    /// Values by hand from the formula above with z = 1.96: 1 of 1 -> (0.20654, 1.0); 2 of 3
    /// -> (0.20765, 0.93851); 50 of 100 -> (0.40383, 0.59617); 0 of 10 -> (0.0, 0.27754).
    #[test]
    fn wilson_by_hand() {
        for (k, n, lo, hi) in [
            (1.0, 1.0, 0.20654, 1.0),
            (2.0, 3.0, 0.20765, 0.93851),
            (50.0, 100.0, 0.40383, 0.59617),
            (0.0, 10.0, 0.0, 0.27754),
        ] {
            let (l, h) = wilson(k, n);
            assert!(close(l, lo) && close(h, hi), "{k}/{n}: ({l}, {h})");
        }
        assert_eq!(wilson(0.0, 0.0), (0.0, 0.0));
    }

    /// Two clusters of two items each: (1, 1) and (0, 0). Mean 0.5; residual sums +1 and -1;
    /// CR1 variance 2/1 * 2 / 16 = 0.25, half-width 1.96 * 0.5 = 0.98. The i.i.d. sample
    /// variance is 1/3, so the i.i.d. variance of the mean is 1/12 and the design effect 3.
    #[test]
    fn clustered_answers_widen_the_interval() {
        let (half, deff) = cluster_robust([(2.0, 2.0), (2.0, 0.0)], 4.0, 0.5, 1.0 / 3.0).unwrap();
        assert!(close(half, 0.98), "{half}");
        assert!(close(deff, 3.0), "{deff}");
        // Independent-looking clusters: (1, 0) and (1, 0): residual sums 0: no extra width.
        let (half, deff) = cluster_robust([(2.0, 1.0), (2.0, 1.0)], 4.0, 0.5, 1.0 / 3.0).unwrap();
        assert!(close(half, 0.0) && close(deff, 0.0));
        assert!(cluster_robust([(4.0, 2.0)], 4.0, 0.5, 1.0 / 3.0).is_none());
    }
}
