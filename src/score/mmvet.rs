//! MM-Vet's judge grading, as the official grader does it (yuweihao/MM-Vet
//! `mm-vet_evaluator.py`, commit `c7ff270`, 2024-02-26, unchanged at `acde843`): every answer
//! goes to a judge model with the few-shot grading prompt (`prompts/mmvet_judge.txt`, the
//! script's `prompt` string byte for byte), followed by a line break and
//! `question | ground truth | prediction | `, where the ground truth has spaces put around
//! `<AND>` and `<OR>`. The judge completes the last column with a correctness score from 0.0
//! to 1.0, and the item scores that (`score`, reported as a percentage of the maximum: the
//! mean over items x 100, as the official table does).
//!
//! No rule decides an item: MM-Vet is judge-graded throughout, so a run needs `--judge` and
//! refuses to start without one ([`Scorer::needs_judge`]).
//!
//! Reading the reply ([`parse_score`]): the official script takes the text before the first
//! space (`content.split(" ")[0].strip()`) and accepts it when `float()` reads it and it lies in
//! [0, 1]. Deviations, both named: (1) evalkit skips leading whitespace first (the official
//! first attempt fails on " 0.5" and retries); (2) when the reply cannot be read the official
//! script asks again up to five times with "Predict the correctness of the answer (digit): "
//! appended and a temperature raised by 0.5 each time, then gives 0.0; evalkit asks once (the
//! judge card's sampling; the call is cached and journaled), and an unreadable reply scores 0
//! and is counted `unparsed`. A score outside [0, 1] or not finite is unreadable. The official
//! `--num_run` (5 in the paper) repeats the whole grading; evalkit grades once.
//!
//! The item fields this scorer needs (set by `suite::mmvet`): `question`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::charxiv::sections;
use super::extract::py_float;
use super::{Gold, How, Score, Scorer};

/// The scorer's only metric: the judge's score, 0.0 to 1.0 per item.
pub const METRIC: &str = "score";

const JUDGE_FILE: &str = include_str!("../../prompts/mmvet_judge.txt");

/// The official few-shot grading prompt (the script's `prompt`, ending in a line break).
pub fn grading_prompt() -> &'static str {
    static PROMPT: OnceLock<&'static str> = OnceLock::new();
    PROMPT.get_or_init(|| sections(JUDGE_FILE).get("grading").copied().unwrap_or(""))
}

/// The message sent to the judge for one prediction.
pub fn judge_prompt(question: &str, answer: &str, prediction: &str) -> String {
    let answer = answer.replace("<AND>", " <AND> ").replace("<OR>", " <OR> ");
    format!(
        "{}\n{}",
        grading_prompt(),
        [question, &answer, prediction, ""].join(" | ")
    )
}

/// The score in a judge reply: the first word read as a number in [0, 1].
pub fn parse_score(reply: &str) -> Option<f64> {
    let first = reply.trim_start().split(' ').next()?;
    let x = py_float(first)?;
    (x.is_finite() && (0.0..=1.0).contains(&x)).then_some(x)
}

fn score_of(value: f64, extracted: Option<String>, how: How) -> Score {
    Score {
        metrics: BTreeMap::from([(METRIC.to_string(), value)]),
        extracted,
        how,
    }
}

/// MM-Vet: the official judge grading.
pub struct MmVet;

impl Scorer for MmVet {
    fn name(&self) -> &'static str {
        "mmvet"
    }

    fn primary_metric(&self) -> &'static str {
        METRIC
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec![METRIC]
    }

    fn score(&self, _gold: &Gold, _response: &str) -> Score {
        score_of(0.0, None, How::Unparsed)
    }

    fn judge_prompt(&self, gold: &Gold, response: &str) -> Option<String> {
        let question = gold.fields.get("question")?;
        let answer = gold.answers.first()?;
        Some(judge_prompt(question, answer, response))
    }

    fn judge_verdict(&self, _gold: &Gold, _response: &str, reply: &str) -> Score {
        match parse_score(reply) {
            Some(x) => score_of(x, Some(format!("{x}")), How::Judge),
            None => score_of(0.0, None, How::Unparsed),
        }
    }

    fn needs_judge(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    //! Cases from yuweihao/MM-Vet `mm-vet_evaluator.py` at `c7ff270`.

    use super::*;

    #[test]
    fn the_prompt_is_the_official_one_with_the_row_appended() {
        let p = judge_prompt("What is x?", "-1<AND>-5", "x = -1");
        assert!(p.starts_with(
            "Compare the ground truth and prediction from AI models, to give a correctness score \
             for the prediction. <AND> in the ground truth means it is totally right only when \
             all elements in the ground truth are present in the prediction"
        ));
        assert!(p.contains(
            "Question | Ground truth | Prediction | Correctness\n--- | --- | --- | ---\nWhat is x \
             in the equation? | -1 <AND> -5 | x = 3 | 0.0\n"
        ));
        // The prompt ends "... | 1.0\n", then "\n", then the row with an empty last cell.
        assert!(
            p.ends_with(
                "their actual physical characteristics. | 1.0\n\nWhat is x? | -1 <AND> -5 | x = -1 | "
            ),
            "{:?}",
            &p[p.len() - 80..]
        );
        let g = Gold {
            answers: vec!["Paris<OR>paris".into()],
            fields: BTreeMap::from([("question".into(), "Where?".into())]),
            ..Gold::default()
        };
        assert!(
            MmVet
                .judge_prompt(&g, "Paris")
                .unwrap()
                .ends_with("\nWhere? | Paris <OR> paris | Paris | ")
        );
        assert_eq!(MmVet.judge_prompt(&Gold::default(), "x"), None);
    }

    #[test]
    fn a_reply_per_score_band() {
        let cases = [
            ("0.0", Some(0.0)),
            ("0.1", Some(0.1)),
            ("0.4", Some(0.4)),
            ("0.5", Some(0.5)),
            ("0.9", Some(0.9)),
            ("1.0", Some(1.0)),
            ("1", Some(1.0)),
            ("0.6\n", Some(0.6)),
            ("0.7 because half the elements", Some(0.7)),
            ("  0.3", Some(0.3)),
            ("1.5", None),
            ("-0.2", None),
            ("nan", None),
            ("Correctness: 0.5", None),
            ("0.5.", None),
            ("", None),
        ];
        for (reply, want) in cases {
            assert_eq!(parse_score(reply), want, "{reply:?}");
        }
        let g = Gold::default();
        let s = MmVet.judge_verdict(&g, "x", "0.4");
        assert_eq!((s.how, s.metrics[METRIC]), (How::Judge, 0.4));
        let s = MmVet.judge_verdict(&g, "x", "I think it is right");
        assert_eq!((s.how, s.metrics[METRIC]), (How::Unparsed, 0.0));
        assert_eq!(MmVet.score(&g, "anything").how, How::Unparsed);
        assert!(MmVet.needs_judge());
    }
}
