//! The figures of one paired comparison (one pair of runs, one category): both scores on
//! the shared items, the difference with its paired bootstrap interval, the
//! cluster-robust interval when items share charts, the items that changed each way and
//! the test's p-value: McNemar's exact test when the metric is right/wrong, the paired
//! t-test otherwise. Scores, differences and intervals are in percent (points).

use serde::{Deserialize, Serialize};

use crate::stats::{self, Interval, rng::SplitMix64};

/// Which test gave the p-value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// McNemar's exact test (every value is 0 or 1).
    Mcnemar,
    /// The paired t-test (graded metrics).
    PairedT,
}

impl Test {
    pub fn name(self) -> &'static str {
        match self {
            Test::Mcnemar => "McNemar exact",
            Test::PairedT => "paired t",
        }
    }
}

/// One paired comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedStats {
    /// Items both runs have.
    pub n: usize,
    pub score_a: f64,
    pub score_b: f64,
    /// `score_b - score_a`, in points.
    pub difference: f64,
    /// The paired bootstrap 95% interval of the difference.
    pub ci95: Option<Interval>,
    /// The cluster-robust 95% interval, when several items share a chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_ci95: Option<Interval>,
    /// Charts the items belong to (with `cluster_ci95`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<usize>,
    /// Items B does better on than A (wrong -> right for accuracy), and worse.
    pub better: usize,
    pub worse: usize,
    pub test: Test,
    /// The test's two-sided p-value (None when it is undefined: fewer than two items).
    pub p: Option<f64>,
    /// Holm- and Benjamini-Hochberg-adjusted p-values, over the family the report says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_holm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_bh: Option<f64>,
}

impl PairedStats {
    /// Whether the bootstrap interval excludes zero.
    pub fn significant(&self) -> bool {
        self.ci95.is_some_and(|ci| ci.excludes_zero())
    }
}

/// Rounds to 4 decimals (as summaries do), so reports are stable across platforms.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn points(ci: Interval) -> Interval {
    let s = ci.scaled(100.0);
    Interval {
        low: round4(s.low),
        high: round4(s.high),
    }
}

/// Compares paired values `a[i]`, `b[i]` in [0, 1]; `clusters[i]` names item i's chart.
pub fn compare(
    a: &[f64],
    b: &[f64],
    clusters: Option<&[&str]>,
    resamples: usize,
    rng: &mut SplitMix64,
) -> PairedStats {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let binary = a.iter().chain(b).all(|v| *v == 0.0 || *v == 1.0);
    let better = diffs.iter().filter(|d| **d > 0.0).count();
    let worse = diffs.iter().filter(|d| **d < 0.0).count();
    let (test, p) = if binary {
        (
            Test::Mcnemar,
            (n > 0).then(|| stats::mcnemar::exact_p(worse as u64, better as u64)),
        )
    } else {
        (Test::PairedT, stats::ttest::paired(&diffs).map(|t| t.p))
    };
    let ci95 = stats::bootstrap::mean_interval(&diffs, resamples, 0.95, rng).map(points);
    let cluster_ci95 =
        clusters.and_then(|c| stats::cluster::mean_interval(&diffs, &c[..n.min(c.len())]));
    let clusters = cluster_ci95.and(clusters).map(|c| {
        let mut names: Vec<&&str> = c.iter().collect();
        names.sort();
        names.dedup();
        names.len()
    });
    let score_a = 100.0 * stats::mean(a);
    let score_b = 100.0 * stats::mean(b);
    PairedStats {
        n,
        score_a: round4(score_a),
        score_b: round4(score_b),
        difference: round4(100.0 * stats::mean(&diffs)),
        ci95,
        cluster_ci95: cluster_ci95.map(points),
        clusters,
        better,
        worse,
        test,
        p,
        p_holm: None,
        p_bh: None,
    }
}

/// Fills `p_holm` and `p_bh` over one family of comparisons (those with a p-value).
pub fn correct(family: &mut [&mut PairedStats]) {
    let with_p: Vec<usize> = (0..family.len())
        .filter(|&i| family[i].p.is_some())
        .collect();
    let p: Vec<f64> = with_p.iter().filter_map(|&i| family[i].p).collect();
    let holm = stats::multiple::holm(&p);
    let bh = stats::multiple::benjamini_hochberg(&p);
    for (k, &i) in with_p.iter().enumerate() {
        family[i].p_holm = Some(holm[k]);
        family[i].p_bh = Some(bh[k]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_uses_mcnemar_and_counts_flips() {
        // 10 items: B fixes 5 of A's errors and breaks none.
        let a = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0];
        let b = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0];
        let s = compare(&a, &b, None, 1000, &mut SplitMix64::new(0));
        assert_eq!((s.n, s.better, s.worse, s.test), (10, 5, 0, Test::Mcnemar));
        assert_eq!((s.score_a, s.score_b, s.difference), (40.0, 90.0, 50.0));
        assert!(s.p.is_some_and(|p| (p - 0.0625).abs() < 1e-12), "{s:?}");
        let ci = s.ci95.unwrap();
        assert!(ci.low > 0.0 && ci.high <= 100.0, "{ci:?}");
        assert!(s.significant());
        assert!(s.cluster_ci95.is_none());
    }

    #[test]
    fn graded_metrics_use_the_t_test_and_clusters_widen() {
        let a = [0.5, 0.2, 0.9, 0.4];
        let b = [0.6, 0.2, 0.7, 0.9];
        let charts = ["c1", "c1", "c2", "c2"];
        let s = compare(&a, &b, Some(&charts), 500, &mut SplitMix64::new(1));
        assert_eq!(s.test, Test::PairedT);
        assert_eq!((s.better, s.worse), (2, 1));
        assert_eq!(s.clusters, Some(2));
        assert!(s.cluster_ci95.is_some());
    }

    #[test]
    fn corrections_fill_the_family() {
        let mut x = compare(&[0.0; 6], &[1.0; 6], None, 10, &mut SplitMix64::new(0));
        let mut y = compare(&[1.0], &[1.0], None, 10, &mut SplitMix64::new(0));
        correct(&mut [&mut x, &mut y]);
        // x: 2 * 0.5^6 = 0.03125; y: 1. Holm: 0.0625 and 1.
        let close = |v: Option<f64>, want: f64| v.is_some_and(|v| (v - want).abs() < 1e-12);
        assert!(
            close(x.p_holm, 0.0625) && close(y.p_holm, 1.0),
            "{x:?} {y:?}"
        );
        assert!(close(x.p_bh, 0.0625), "{x:?}");
    }
}
