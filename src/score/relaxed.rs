//! Relaxed accuracy for ChartQA and PlotQA: the official pix2struct `relaxed_correctness`
//! (`pix2struct/metrics.py`), plus a separately reported normalised figure.
//!
//! `relaxed_accuracy` is the official rule, exactly:
//! - `_to_float(text)`: if `text` ends with `%`, `float(text.rstrip("%")) / 100`; otherwise
//!   `float(text)`; `None` when Python's `float()` raises.
//! - If the prediction parses and the target parses to a non-zero number (Python truthiness:
//!   NaN counts as non-zero): correct iff `abs(p - t) / abs(t) <= 0.05`, in f64 like CPython.
//! - Otherwise: correct iff `prediction.lower() == target.lower()`.
//! - Several gold answers: the best counts (`max` over targets).
//!
//! The official code does not strip the prediction before calling `float()`, but CPython's
//! `float()` itself ignores surrounding whitespace, so `" 42\n"` parses as 42 under the official
//! rule too, while the string comparison sees the whitespace (`"yes "` is not `"yes"`). We follow
//! Python exactly: [`py_float`] accepts surrounding Unicode whitespace, a sign, `1e3`, `1_000`,
//! `inf`/`nan` and Unicode digits, and rejects `1,234`.
//!
//! `relaxed_accuracy_normalized` applies the same rule after [`normalize`] of both prediction
//! and target (pix2struct's `aggregate_metrics(normalize_fn=...)` also normalises both):
//! 1. the model's marked final answer when there is one ([`extract::final_answer`]): the
//!    `<CONCLUSION>` block, the last `\boxed{}`, or the text after "Final answer:",
//!    "The answer is", "Answer:";
//! 2. then [`extract::clean`]: surrounding whitespace, markdown bold/backticks, wrapping quotes,
//!    `$...$`, and every trailing period (`Yes..` reads `Yes`; the ideographic full stop `。`
//!    too), repeatedly until nothing changes;
//! 3. then thousands separators in a plain number (`1,234` -> `1234`, `12,345.6%` -> `12345.6%`).
//!
//! A `%` suffix is never dropped: `12%` against `12` stays wrong in both figures.
//! `extracted` holds the normalised prediction; `how` is always [`How::Rule`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::extract::{self, py_float, py_lower_eq};
use super::{Gold, How, Score, Scorer};

/// ChartQA / PlotQA relaxed accuracy (5% relative tolerance for numbers).
pub struct RelaxedAccuracy;

/// pix2struct's `max_relative_change`.
const MAX_RELATIVE_CHANGE: f64 = 0.05;

/// pix2struct's `_to_float`.
fn to_float(text: &str) -> Option<f64> {
    if text.ends_with('%') {
        py_float(text.trim_end_matches('%')).map(|v| v / 100.0)
    } else {
        py_float(text)
    }
}

/// pix2struct's `relaxed_correctness(target, prediction)`, exactly.
pub fn relaxed_correctness(target: &str, prediction: &str) -> bool {
    correct_parsed(target, prediction, to_float(prediction))
}

/// [`relaxed_correctness`] with the prediction's `_to_float` already computed, so a response
/// is parsed once however many gold answers an item has.
fn correct_parsed(target: &str, prediction: &str, prediction_float: Option<f64>) -> bool {
    match (prediction_float, to_float(target)) {
        // `target_float` truthiness: 0.0 and -0.0 are falsy, NaN is truthy.
        (Some(p), Some(t)) if t != 0.0 || t.is_nan() => {
            (p - t).abs() / t.abs() <= MAX_RELATIVE_CHANGE
        }
        _ => py_lower_eq(prediction, target),
    }
}

/// The documented normalisation behind `relaxed_accuracy_normalized` (see the module docs).
pub fn normalize(text: &str) -> Cow<'_, str> {
    let s = extract::final_answer(text).unwrap_or_else(|| extract::clean(text));
    extract::strip_thousands(s)
}

impl Scorer for RelaxedAccuracy {
    fn name(&self) -> &'static str {
        "relaxed_accuracy"
    }

    fn primary_metric(&self) -> &'static str {
        "relaxed_accuracy"
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec!["relaxed_accuracy", "relaxed_accuracy_normalized"]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let raw_float = to_float(response);
        let official = gold
            .answers
            .iter()
            .any(|t| correct_parsed(t, response, raw_float));
        let pred = normalize(response);
        let pred_float = to_float(&pred);
        let normalized = gold
            .answers
            .iter()
            .any(|t| correct_parsed(&normalize(t), &pred, pred_float));
        let mut metrics = BTreeMap::new();
        metrics.insert(
            "relaxed_accuracy".to_string(),
            f64::from(u8::from(official)),
        );
        metrics.insert(
            "relaxed_accuracy_normalized".to_string(),
            f64::from(u8::from(normalized)),
        );
        Score {
            metrics,
            extracted: Some(pred.into_owned()),
            how: How::Rule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(answers: &[&str]) -> Gold {
        Gold {
            answers: answers.iter().map(|s| s.to_string()).collect(),
            ..Gold::default()
        }
    }

    /// (relaxed_accuracy, relaxed_accuracy_normalized) for one response.
    fn both(answers: &[&str], response: &str) -> (f64, f64) {
        let s = RelaxedAccuracy.score(&gold(answers), response);
        assert_eq!(s.how, How::Rule);
        (
            s.metrics["relaxed_accuracy"],
            s.metrics["relaxed_accuracy_normalized"],
        )
    }

    #[test]
    fn scoring_md_tricky_cases() {
        // "12%" -> 12/100 = 0.12; target "12" -> 12.0; |0.12-12|/12 = 0.99 > 0.05: wrong.
        assert!(!relaxed_correctness("12", "12%"));
        // Target "12%" -> 0.12; prediction 0.12: |0.12-0.12|/0.12 = 0: right.
        assert!(relaxed_correctness("12%", "0.12"));
        // "1,234" does not parse: string rule, "1,234" != "1234": wrong.
        assert!(!relaxed_correctness("1234", "1,234"));
        // ... but equal strings still match through the string rule.
        assert!(relaxed_correctness("1,234", "1,234"));
        // Target "0" parses to 0.0 (falsy): string rule, "0.0" != "0": wrong.
        assert!(!relaxed_correctness("0", "0.0"));
        assert!(relaxed_correctness("0", "0"));
        // 105 vs 100: |5|/100 = 0.05 in f64 (5.0/100.0 rounds to the same double as 0.05),
        // and CPython's `abs(105-100)/abs(100) <= 0.05` is True: right.
        assert!(relaxed_correctness("100", "105"));
        assert!(relaxed_correctness("100", "95"));
        // 105.1 vs 100: 0.051 > 0.05: wrong.
        assert!(!relaxed_correctness("100", "105.1"));
        // 1.05 vs 1: CPython gives abs(1.05-1)/1 == 0.050000000000000044 > 0.05: wrong
        // (binary 1.05 is slightly above 1.05).
        assert!(!relaxed_correctness("1", "1.05"));
        // "Yes" vs "yes": neither parses; lower-cased equal: right.
        assert!(relaxed_correctness("yes", "Yes"));
    }

    #[test]
    fn official_rule_python_float_semantics() {
        // float(" 42\n") == 42.0: Python's float() ignores surrounding whitespace.
        assert!(relaxed_correctness("42", " 42\n"));
        // ... but the string rule does not: "yes " != "yes".
        assert!(!relaxed_correctness("yes", "yes "));
        // "42." parses as 42.0 in Python: right even officially.
        assert!(relaxed_correctness("42", "42."));
        // "1e3" = 1000.0, "+5" = 5.0, "1_000" = 1000.0.
        assert!(relaxed_correctness("1000", "1e3"));
        assert!(relaxed_correctness("5", "+5"));
        assert!(relaxed_correctness("1000", "1_000"));
        // "12 %" ends with %, rstrip -> "12 " -> 12.0 -> 0.12 vs 0.12: right.
        assert!(relaxed_correctness("0.12", "12 %"));
        // " 12% " does not end with %; float(" 12% ") raises; strings differ: wrong.
        assert!(!relaxed_correctness("0.12", " 12% "));
        // rstrip removes every trailing %: "12%%" -> 0.12.
        assert!(relaxed_correctness("0.12", "12%%"));
        // "%" alone: float("") raises -> string rule "%" == "%".
        assert!(relaxed_correctness("%", "%"));
        // NaN target is truthy: |p - nan| / nan is NaN, NaN <= 0.05 is False.
        assert!(!relaxed_correctness("nan", "nan"));
        // A non-numeric target falls back to strings even if the prediction parses.
        assert!(!relaxed_correctness("Blue", "1"));
        // Negative numbers: |-0.96 - -1| / 1 = 0.04 (binary ~0.040000000000000036) <= 0.05.
        assert!(relaxed_correctness("-1", "-0.96"));
        // Fullwidth digits parse in Python: float("１００") == 100.0.
        assert!(relaxed_correctness("100", "\u{ff11}\u{ff10}\u{ff10}"));
    }

    #[test]
    fn normalized_figure() {
        // Trailing period: officially "42." parses anyway; "Paris." vs "paris": only normalised.
        assert_eq!(both(&["Paris"], "Paris."), (0.0, 1.0));
        // Every trailing period goes, not just one (`extract::clean` trims them all, and the
        // ideographic full stop too): "Yes.." and "Yes。" read "Yes". Officially "Yes.." is
        // not "yes": wrong.
        assert_eq!(both(&["yes"], "Yes.."), (0.0, 1.0));
        assert_eq!(both(&["yes"], "Yes\u{3002}"), (0.0, 1.0));
        // A decimal point is no trailing period: "2.5." reads "2.5" (2.5 vs 2.5: right).
        assert_eq!(both(&["2.5"], "2.5."), (0.0, 1.0));
        // "Answer: 42": does not parse officially, normalised to "42".
        assert_eq!(both(&["42"], "Answer: 42"), (0.0, 1.0));
        // Markdown bold.
        assert_eq!(both(&["42"], "**42**"), (0.0, 1.0));
        // Thousands separator: "1,234" -> "1234": 0 relative change.
        assert_eq!(both(&["1234"], "1,234"), (0.0, 1.0));
        // Whitespace: " 42 " parses officially (Python float strips); " yes " does not match.
        assert_eq!(both(&["42"], " 42 "), (1.0, 1.0));
        assert_eq!(both(&["yes"], " yes "), (0.0, 1.0));
        // Prefix variants and wrappers.
        assert_eq!(both(&["17"], "The answer is 17."), (0.0, 1.0));
        assert_eq!(both(&["17"], "Final answer: `17`"), (0.0, 1.0));
        assert_eq!(both(&["Blue"], "\"blue\""), (0.0, 1.0));
        assert_eq!(both(&["3.5"], "\\boxed{3.5}"), (0.0, 1.0));
        assert_eq!(
            both(
                &["12"],
                "<SUMMARY>..</SUMMARY><CONCLUSION>The answer is 12.</CONCLUSION>"
            ),
            (0.0, 1.0)
        );
        // "%" is kept: "12%" vs "12" is wrong in both figures (0.12 vs 12).
        assert_eq!(both(&["12"], "12%"), (0.0, 0.0));
        // Within 5% after normalising: "Answer: 1,030" -> 1030 vs 1000 = 3%.
        assert_eq!(both(&["1000"], "Answer: 1,030"), (0.0, 1.0));
        // Still wrong: 1,100 vs 1000 = 10%.
        assert_eq!(both(&["1000"], "Answer: 1,100"), (0.0, 0.0));
        // Exact official hits stay right in the normalised figure.
        assert_eq!(both(&["12%"], "0.12"), (1.0, 1.0));
        assert_eq!(both(&["0"], "0.0"), (0.0, 0.0));
    }

    #[test]
    fn extracted_is_normalised_prediction() {
        let s = RelaxedAccuracy.score(&gold(&["42"]), "**Answer:** 4,200.");
        assert_eq!(s.extracted.as_deref(), Some("4200"));
        assert_eq!(s.metrics["relaxed_accuracy_normalized"], 0.0); // 4200 vs 42
    }

    #[test]
    fn several_gold_answers_best_counts() {
        // "Yes" matches the second answer by the string rule.
        assert_eq!(both(&["no", "yes"], "Yes"), (1.0, 1.0));
        // 98 is 2% from 100 (second answer), 96% from 2500 (first).
        assert_eq!(both(&["2500", "100"], "98"), (1.0, 1.0));
        // None within 5%: 110 vs 100 (10%) and vs 120 (8.3%).
        assert_eq!(both(&["100", "120"], "110"), (0.0, 0.0));
        // Normalised only: "Answer: 7" vs ["seven", "7"].
        assert_eq!(both(&["seven", "7"], "Answer: 7"), (0.0, 1.0));
        // No gold answers: nothing can match.
        assert_eq!(both(&[], "7"), (0.0, 0.0));
    }

    #[test]
    fn names() {
        assert_eq!(
            RelaxedAccuracy.primary_metric(),
            RelaxedAccuracy.metric_names()[0]
        );
        assert_eq!(RelaxedAccuracy.name(), "relaxed_accuracy");
    }
}

#[cfg(test)]
mod registry_tests {
    use crate::score::{NAMES, by_name};

    #[test]
    fn every_name_resolves_to_its_scorer() {
        for name in NAMES {
            let scorer = by_name(name).expect("registered");
            assert_eq!(scorer.name(), *name);
            assert_eq!(scorer.metric_names()[0], scorer.primary_metric());
        }
        assert!(by_name("nope").is_err_and(|e| e.contains("mathvista")));
    }
}
