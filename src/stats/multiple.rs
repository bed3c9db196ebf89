//! Corrections for testing many categories (and, with more than two runs, many pairs) at
//! once: Holm's step-down (controls the family-wise error) and Benjamini-Hochberg's
//! step-up (controls the false discovery rate), returning adjusted p-values in the input
//! order, as statsmodels' `multipletests(p, method="holm" | "fdr_bh")` does.

/// Holm-adjusted p-values.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let order = ascending(p);
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(value);
        adjusted[i] = running;
    }
    adjusted
}

/// Benjamini-Hochberg-adjusted p-values.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let order = ascending(p);
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let value = (m as f64 / (rank + 1) as f64 * p[i]).min(1.0);
        running = running.min(value);
        adjusted[i] = running;
    }
    adjusted
}

/// Indices of `p` in ascending order of value (ties keep their input order).
fn ascending(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn hand_computed_cases() {
        // p = [0.01, 0.04, 0.03]: Holm 3*0.01, max(0.03, 2*0.03), max(0.06, 0.04).
        assert!(close(&holm(&[0.01, 0.04, 0.03]), &[0.03, 0.06, 0.06]));
        // BH: 0.04*3/3 = 0.04, 0.03*3/2 = 0.045 -> min(0.045, 0.04) = 0.04, 0.01*3 = 0.03.
        assert!(close(
            &benjamini_hochberg(&[0.01, 0.04, 0.03]),
            &[0.03, 0.04, 0.04]
        ));
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests(p, method=...)[1] (statsmodels 0.15.0).
        let p = [0.001, 0.2, 0.013, 0.04, 0.6, 0.011];
        let holm_ref = [0.006, 0.4, 0.055, 0.12, 0.6, 0.055];
        let bh_ref = [0.006, 0.24, 0.026, 0.06, 0.6, 0.026];
        assert!(close(&holm(&p), &holm_ref), "{:?}", holm(&p));
        assert!(
            close(&benjamini_hochberg(&p), &bh_ref),
            "{:?}",
            benjamini_hochberg(&p)
        );
    }
}
