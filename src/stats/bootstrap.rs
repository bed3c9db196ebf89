//! The paired bootstrap interval of a mean difference: resample the items (each keeps its
//! pair of scores), take the mean of the per-item differences each time, and read the
//! 2.5th and 97.5th percentiles (Efron and Tibshirani's percentile interval; the
//! percentile is read with linear interpolation between order statistics, numpy's
//! default, `method="linear"`). Pairing is what makes it tight: the two runs' item
//! difficulty cancels out, as it does not in two separate intervals.
//!
//! Deterministic: the draws come from [`SplitMix64`] seeded by the caller, so the same
//! inputs, seed and resample count give the same interval bit for bit.

use super::Interval;
use super::rng::SplitMix64;

/// Resamples used unless a caller says otherwise.
pub const DEFAULT_RESAMPLES: usize = 10_000;

/// The `level` (e.g. 0.95) percentile interval of the mean of `diffs` under `resamples`
/// bootstrap resamples drawn from `rng`. None when there are no differences or no
/// resamples.
pub fn mean_interval(
    diffs: &[f64],
    resamples: usize,
    level: f64,
    rng: &mut SplitMix64,
) -> Option<Interval> {
    let n = diffs.len();
    if n == 0 || resamples == 0 {
        return None;
    }
    let mut means = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut sum = 0.0;
        for _ in 0..n {
            sum += diffs[rng.below(n)];
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    Some(Interval {
        low: percentile(&means, tail),
        high: percentile(&means, 1.0 - tail),
    })
}

/// The `q` quantile (0..=1) of sorted values, interpolating linearly between order
/// statistics (numpy's `percentile(..., method="linear")`).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let frac = pos - lo as f64;
            sorted[lo] + (sorted[hi] - sorted[lo]) * frac
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy_does() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) == [1.075, 2.5, 3.925]
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert!((percentile(&xs, 0.025) - 1.075).abs() < 1e-12);
        assert!((percentile(&xs, 0.5) - 2.5).abs() < 1e-12);
        assert!((percentile(&xs, 0.975) - 3.925).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn a_constant_difference_has_a_point_interval() {
        let mut rng = SplitMix64::new(0);
        let ci = mean_interval(&[0.5; 20], 200, 0.95, &mut rng).unwrap();
        assert_eq!((ci.low, ci.high), (0.5, 0.5));
        assert!(mean_interval(&[], 200, 0.95, &mut rng).is_none());
    }

    #[test]
    fn the_same_seed_gives_the_same_interval_and_it_covers_the_mean() {
        // 30 items: 12 flipped to right, 4 flipped to wrong, 14 unchanged.
        let mut diffs = vec![1.0; 12];
        diffs.extend([-1.0; 4]);
        diffs.extend([0.0; 14]);
        let a = mean_interval(&diffs, 2000, 0.95, &mut SplitMix64::new(7)).unwrap();
        let b = mean_interval(&diffs, 2000, 0.95, &mut SplitMix64::new(7)).unwrap();
        assert_eq!(a, b);
        let mean = 8.0 / 30.0;
        assert!(a.low < mean && mean < a.high, "{a:?}");
        // The normal-theory interval is mean +- 1.96 * 0.1235 (sd 0.6915 / sqrt 30); the
        // bootstrap's agrees to within a few hundredths.
        assert!((a.low - (mean - 0.2421)).abs() < 0.04, "{a:?}");
        assert!((a.high - (mean + 0.2421)).abs() < 0.04, "{a:?}");
    }
}
