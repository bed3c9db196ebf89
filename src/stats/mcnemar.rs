//! McNemar's exact test for two runs' right/wrong answers on the same items: only the
//! discordant items count (`b`: right in A, wrong in B; `c`: wrong in A, right in B).
//! Under the null hypothesis each discordant item is a fair coin, so the two-sided p-value
//! is `min(1, 2 * P[Binomial(b + c, 1/2) <= min(b, c)])`, as statsmodels'
//! `mcnemar(table, exact=True)` and scipy's `binomtest(b, b + c).pvalue` compute it.

use statrs::distribution::{Binomial, DiscreteCDF};

/// The two-sided exact p-value for `b` and `c` discordant items (1 when there are none).
pub fn exact_p(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let Ok(binomial) = Binomial::new(0.5, n) else {
        return 1.0;
    };
    (2.0 * binomial.cdf(b.min(c))).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_cases() {
        // b=0, c=5: 2 * 0.5^5 = 0.0625.
        assert!((exact_p(0, 5) - 0.0625).abs() < 1e-15);
        // b=1, c=3: 2 * (1 + 4) / 16 = 0.625.
        assert!((exact_p(1, 3) - 0.625).abs() < 1e-15);
        // Equal counts: 1 (capped).
        assert_eq!(exact_p(4, 4), 1.0);
        assert_eq!(exact_p(0, 0), 1.0);
    }

    #[test]
    fn matches_statsmodels() {
        // statsmodels.stats.contingency_tables.mcnemar([[a, b], [c, d]], exact=True).pvalue
        // (statsmodels 0.15.0, scipy 1.17.1; scipy's `binomtest(b, b + c).pvalue` agrees).
        let cases = [
            (4, 12, 0.076_812_744_140_625),
            (10, 25, 0.016_673_847_800_120_715),
            (120, 155, 0.040_142_801_717_820_51),
            (3, 0, 0.25),
        ];
        for (b, c, p) in cases {
            let got = exact_p(b, c);
            assert!(
                (got - p).abs() < 1e-12 * p.max(1e-3),
                "{b},{c}: {got} vs {p}"
            );
        }
    }
}
