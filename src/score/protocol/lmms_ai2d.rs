//! lmms-eval's AI2D scoring: the `flexible-extract` filter (`MultiChoiceRegexFilter.apply` in
//! `lmms_eval/tasks/ai2d/utils.py`) followed by the `exact_match` metric with
//! `ignore_case: true, ignore_punctuation: true` (`lmms_eval/tasks/ai2d/ai2d.yaml`,
//! `exact_match_hf_evaluate` in `lmms_eval/api/metrics.py`), EvolvingLMMs-Lab/lmms-eval 75571cf
//! (2026-08-06).
//!
//! 1. The filter: when the response matches `^\s*([A-Z])\.`, it becomes that letter; otherwise
//!    it stays the whole response (there is no other extraction).
//! 2. `process_results` strips it (`res.strip()`).
//! 3. `exact_match`: both prediction and target (the option letter) lower-cased, every ASCII
//!    punctuation character (`string.punctuation`) removed, then compared for equality.
//!
//! So "B" and "(B)" and "B." are right, while "The answer is B." is wrong: it is compared as
//! "the answer is b" with "b".

use crate::score::extract::{is_py_space, py_strip};

/// The filter's `^\s*([A-Z])\.`: the letter, when the response starts that way.
fn leading_letter(response: &str) -> Option<char> {
    let mut rest = response.trim_start_matches(is_py_space).chars();
    match (rest.next(), rest.next()) {
        (Some(c), Some('.')) if c.is_ascii_uppercase() => Some(c),
        _ => None,
    }
}

/// `str.lower()` then `str.translate` removing `string.punctuation`.
fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect()
}

/// lmms-eval's AI2D decision: (1 or 0, the filtered and stripped prediction).
pub fn ai2d_exact_match(response: &str, gold_letter: &str) -> (f64, String) {
    let filtered = match leading_letter(response) {
        Some(c) => c.to_string(),
        None => response.to_string(),
    };
    let prediction = py_strip(&filtered).to_string();
    let right = fold(&prediction) == fold(gold_letter);
    (if right { 1.0 } else { 0.0 }, prediction)
}

#[cfg(test)]
mod tests {
    //! Cases computed by hand from `lmms_eval/tasks/ai2d/utils.py` and `ai2d.yaml`, lmms-eval
    //! 75571cf.
    use super::*;

    #[test]
    fn a_leading_letter_with_a_period_is_taken() {
        assert_eq!(ai2d_exact_match("  B. because", "B"), (1.0, "B".into()));
        assert_eq!(ai2d_exact_match("C. x", "B").0, 0.0);
    }

    #[test]
    fn otherwise_the_whole_stripped_response_is_compared_without_case_or_punctuation() {
        assert_eq!(ai2d_exact_match("(b)\n", "B"), (1.0, "(b)".into()));
        assert_eq!(ai2d_exact_match("B", "B").0, 1.0);
        assert_eq!(ai2d_exact_match("b:", "B").0, 1.0);
        // A sentence is compared whole.
        assert_eq!(ai2d_exact_match("The answer is B.", "B").0, 0.0);
        // `[A-Z]` is upper case only: "b. x" is not filtered, and "b x" is not "b".
        assert_eq!(ai2d_exact_match("b. x", "B").0, 0.0);
    }
}
