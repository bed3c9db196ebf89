//! The paired t-test, for metrics that are not right/wrong (RMS F1, RNSS, partial
//! credit): `t = mean(d) / (sd(d) / sqrt(n))` with `n - 1` degrees of freedom and a
//! two-sided p-value from Student's t (statrs), as scipy's `ttest_rel` computes it.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The result of a paired t-test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TTest {
    pub t: f64,
    pub df: f64,
    pub p: f64,
}

/// The paired t-test on per-item differences; None with fewer than two items. When every
/// difference is equal the test is degenerate: p = 1 when they are all zero, else 0.
pub fn paired(diffs: &[f64]) -> Option<TTest> {
    let n = diffs.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = super::mean(diffs);
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let df = nf - 1.0;
    if var <= 0.0 || !var.is_finite() {
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        let t = if mean == 0.0 {
            0.0
        } else {
            f64::INFINITY.copysign(mean)
        };
        return Some(TTest { t, df, p });
    }
    let t = mean / (var / nf).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * (1.0 - dist.cdf(t.abs()))).clamp(0.0, 1.0);
    Some(TTest { t, df, p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_case() {
        // d = [1, 2, 3]: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.4641.
        let r = paired(&[1.0, 2.0, 3.0]).unwrap();
        assert!((r.t - 12f64.sqrt()).abs() < 1e-12);
        assert_eq!(r.df, 2.0);
    }

    #[test]
    fn matches_scipy() {
        // scipy.stats.ttest_rel(b, a) with the differences d = b - a below (scipy 1.17.1).
        let d = [0.2, -0.1, 0.35, 0.0, 0.5, 0.15, -0.05, 0.3];
        let r = paired(&d).unwrap();
        assert!((r.t - 2.269_216_626_254_939).abs() < 1e-9, "{r:?}");
        assert!((r.p - 0.057_543_923_818_903_386).abs() < 1e-9, "{r:?}");
        let d2 = [0.01, -0.02, 0.03, -0.01, 0.0, 0.02];
        let r2 = paired(&d2).unwrap();
        assert!((r2.t - 0.654_653_670_707_977_2).abs() < 1e-9, "{r2:?}");
        assert!((r2.p - 0.541_604_560_793_120_1).abs() < 1e-9, "{r2:?}");
    }

    #[test]
    fn degenerate_inputs() {
        assert!(paired(&[1.0]).is_none());
        assert_eq!(paired(&[0.0, 0.0, 0.0]).unwrap().p, 1.0);
        assert_eq!(paired(&[0.5, 0.5]).unwrap().p, 0.0);
    }
}
