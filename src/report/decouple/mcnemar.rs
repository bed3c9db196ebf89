//! The exact McNemar test: are two configurations' paired right/wrong outcomes on the
//! same items different? Only the discordant items count (right with one, wrong with the
//! other); under the null each is a fair coin, so the two-sided p-value is twice the
//! binomial tail of the smaller count. Kept to this one file so a fuller statistics
//! module can replace it.

use serde::{Deserialize, Serialize};

/// The outcome of one paired comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Items both configurations scored.
    pub n: usize,
    /// Right with the first, wrong with the second.
    pub only_first: usize,
    /// Right with the second, wrong with the first.
    pub only_second: usize,
    /// Two-sided exact p-value.
    pub p_value: f64,
}

impl McNemar {
    /// Significant at the 5% level.
    pub fn significant(&self) -> bool {
        self.p_value < 0.05
    }
}

/// The test over paired outcomes (`true` = right).
pub fn test(pairs: impl IntoIterator<Item = (bool, bool)>) -> McNemar {
    let (mut n, mut b, mut c) = (0, 0, 0);
    for (x, y) in pairs {
        n += 1;
        match (x, y) {
            (true, false) => b += 1,
            (false, true) => c += 1,
            _ => {}
        }
    }
    McNemar {
        n,
        only_first: b,
        only_second: c,
        p_value: exact_p(b, c),
    }
}

/// 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1; 1 with no discordant
/// items. Summed in log space, so thousands of items do not overflow.
fn exact_p(b: usize, c: usize) -> f64 {
    let m = b + c;
    if m == 0 {
        return 1.0;
    }
    let k = b.min(c);
    let ln_fact = |x: usize| (1..=x).map(|i| (i as f64).ln()).sum::<f64>();
    let ln_m = ln_fact(m);
    let half = (m as f64) * 0.5f64.ln();
    let tail: f64 = (0..=k)
        .map(|i| (ln_m - ln_fact(i) - ln_fact(m - i) + half).exp())
        .sum();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_p_values() {
        // b = 0, c = 5: 2 * (1/32) = 0.0625.
        assert!((exact_p(0, 5) - 0.0625).abs() < 1e-12);
        // b = 1, c = 9: 2 * (1 + 10) / 1024 = 0.021484375.
        assert!((exact_p(1, 9) - 0.021484375).abs() < 1e-12);
        assert_eq!(exact_p(3, 3), 1.0);
        assert_eq!(exact_p(0, 0), 1.0);
        assert!(exact_p(0, 2000) < 1e-100);
    }

    #[test]
    fn counts_discordant_pairs() {
        let t = test([
            (true, true),
            (true, false),
            (false, true),
            (false, true),
            (false, false),
        ]);
        assert_eq!((t.n, t.only_first, t.only_second), (5, 1, 2));
        assert!(!t.significant());
    }
}
