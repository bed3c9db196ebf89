//! Exact match, for custom suites whose answers are short strings with no benchmark rule of
//! their own: the answer is right when, trimmed, lower-cased and with runs of whitespace
//! collapsed, it equals one of the gold answers so normalised. `exact_match_strict` is the
//! same without lower-casing. Every answer is decided by rule (an empty answer is wrong,
//! not unparsed).

use std::collections::BTreeMap;

use super::{Gold, How, Score, Scorer};

pub struct ExactMatch;

fn normalise(text: &str, fold_case: bool) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if fold_case {
        collapsed.to_lowercase()
    } else {
        collapsed
    }
}

fn matches(gold: &Gold, response: &str, fold_case: bool) -> bool {
    let answer = normalise(response, fold_case);
    gold.answers
        .iter()
        .any(|g| normalise(g, fold_case) == answer)
}

impl Scorer for ExactMatch {
    fn name(&self) -> &'static str {
        "exact_match"
    }
    fn primary_metric(&self) -> &'static str {
        "exact_match"
    }
    fn metric_names(&self) -> Vec<&'static str> {
        vec!["exact_match", "exact_match_strict"]
    }
    fn score(&self, gold: &Gold, response: &str) -> Score {
        let value = |right: bool| if right { 1.0 } else { 0.0 };
        Score {
            metrics: BTreeMap::from([
                ("exact_match".into(), value(matches(gold, response, true))),
                (
                    "exact_match_strict".into(),
                    value(matches(gold, response, false)),
                ),
            ]),
            extracted: Some(normalise(response, false)),
            how: How::Rule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(answers: &[&str]) -> Gold {
        Gold {
            answers: answers.iter().map(|a| a.to_string()).collect(),
            ..Gold::default()
        }
    }

    #[test]
    fn by_hand() {
        let s = |g: &[&str], r: &str| {
            let score = ExactMatch.score(&gold(g), r);
            (
                score.metrics["exact_match"],
                score.metrics["exact_match_strict"],
            )
        };
        assert_eq!(s(&["Paris"], "  paris "), (1.0, 0.0));
        assert_eq!(s(&["New  York"], "New York"), (1.0, 1.0));
        assert_eq!(s(&["a", "b"], "B"), (1.0, 0.0));
        assert_eq!(s(&["12"], "12."), (0.0, 0.0));
        assert_eq!(s(&["x"], ""), (0.0, 0.0));
        assert_eq!(ExactMatch.score(&gold(&["x"]), "").how, How::Rule);
    }
}
