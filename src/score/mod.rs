//! Scoring: per-item scorers decide one prediction against the gold answers; aggregation
//! (means, breakdowns) lives in [`aggregate`] and never in a scorer.
//!
//! Every scorer is pure and deterministic: the same response always gives the same score,
//! so `evalkit report --rescore` can recompute a run from its journal alone.

pub mod aggregate;
pub mod chartbench;
pub mod charxiv;
pub mod choice;
pub mod decide;
pub mod exact;
pub mod extract;
pub mod interval;
pub mod mathvista;
pub mod mmmu;
pub mod mmvet;
pub mod protocol;
pub mod reachqa;
pub mod relaxed;
pub mod table;
pub mod yesno;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::card::field_error;
use crate::card::suite::SuiteCard;
use crate::suite::item::Choice;

/// How an item's answer was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Deterministic rules resolved the answer.
    Rule,
    /// A judge model resolved it.
    Judge,
    /// Nothing resolved it; counted wrong.
    Unparsed,
}

/// The outcome of scoring one prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Named figures in [0, 1], e.g. `relaxed_accuracy` and `relaxed_accuracy_normalized`.
    pub metrics: BTreeMap<String, f64>,
    /// The answer the rules extracted from the response, if any.
    pub extracted: Option<String>,
    pub how: How,
}

/// What a scorer sees of an item (also stored in the journal, so rescoring needs no data).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Gold {
    pub answers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Scorer fields such as MathVista's `precision` or `answer_type`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Decides one prediction.
pub trait Scorer: Send + Sync {
    /// The scorer's name as used in suite cards, e.g. `relaxed_accuracy`.
    fn name(&self) -> &'static str;
    /// The metric reported as the suite's headline figure.
    fn primary_metric(&self) -> &'static str;
    /// All metric names this scorer fills, headline first.
    fn metric_names(&self) -> Vec<&'static str>;
    /// Scores one raw response with deterministic rules only.
    fn score(&self, gold: &Gold, response: &str) -> Score;

    /// When the rules leave an item `Unparsed` (or the benchmark is judge-graded), the
    /// prompt to send to the judge model; `None` means no judge step for this item. The
    /// prompt follows the benchmark's official judge prompt (files under `prompts/`).
    fn judge_prompt(&self, _gold: &Gold, _response: &str) -> Option<String> {
        None
    }

    /// The final score from the judge's reply: `How::Judge` when the reply decides the
    /// item, `How::Unparsed` (counted wrong) when the reply cannot be read.
    fn judge_verdict(&self, gold: &Gold, response: &str, _reply: &str) -> Score {
        self.score(gold, response)
    }

    /// Whether the benchmark is graded only by a judge (no rule decides an item), so a run
    /// without `--judge` is refused before any request (MM-Vet).
    fn needs_judge(&self) -> bool {
        false
    }
}

/// The scorer a suite card names, or an error listing those that exist.
pub fn by_name(name: &str) -> Result<Box<dyn Scorer>, String> {
    match name {
        "relaxed_accuracy" => Ok(Box::new(relaxed::RelaxedAccuracy)),
        "multiple_choice" => Ok(Box::new(choice::MultipleChoice)),
        "yes_no" => Ok(Box::new(yesno::YesNo)),
        "mathvista" => Ok(Box::new(mathvista::MathVista)),
        "charxiv" => Ok(Box::new(charxiv::CharXiv)),
        "reachqa" => Ok(Box::new(reachqa::ReachQa)),
        "chartbench" => Ok(Box::new(chartbench::ChartBench)),
        "chart_to_table" => Ok(Box::new(table::ChartToTable)),
        "mmmu" => Ok(Box::new(mmmu::Mmmu)),
        "mmvet" => Ok(Box::new(mmvet::MmVet)),
        "exact_match" => Ok(Box::new(exact::ExactMatch)),
        other => Err(format!(
            "unknown scorer `{other}`; expected one of: {}",
            NAMES.join(", ")
        )),
    }
}

/// Names accepted by [`by_name`].
pub const NAMES: &[&str] = &[
    "relaxed_accuracy",
    "multiple_choice",
    "yes_no",
    "mathvista",
    "charxiv",
    "reachqa",
    "chartbench",
    "chart_to_table",
    "mmmu",
    "mmvet",
    "exact_match",
];

/// Checks what a suite card says about scoring, which the card cannot check by itself (the
/// card sits below the scorers): `scorer` names a scorer, and every `[[group_metric]]` and
/// `[[macro_metric]]` has a name, its grouping fields and a `metric` the scorer fills. Call
/// it right after [`SuiteCard::load`]; errors name the card's file and field.
pub fn check_suite_card(card: &SuiteCard) -> anyhow::Result<()> {
    let path = card.path.as_path();
    let scorer = by_name(&card.scorer).map_err(|e| {
        field_error(
            path,
            "scorer",
            &format!("must name a scorer ({e})"),
            format!("{:?}", card.scorer),
        )
    })?;
    let metrics = scorer.metric_names();
    let known = |m: &str| metrics.contains(&m);
    for g in &card.group_metrics {
        if g.name.is_empty() || g.by.is_empty() || !known(&g.metric) {
            return Err(field_error(
                path,
                "group_metric",
                &format!("needs a name, a non-empty `by` list and a `metric` among {metrics:?}"),
                format!("{g:?}"),
            ));
        }
    }
    for m in &card.macro_metrics {
        if m.name.is_empty() || m.over.is_empty() || !known(&m.metric) {
            return Err(field_error(
                path,
                "macro_metric",
                &format!("needs a name, an `over` field and a `metric` among {metrics:?}"),
                format!("{m:?}"),
            ));
        }
    }
    if let Some(headline) = &card.headline {
        let named = card
            .group_metrics
            .iter()
            .map(|g| g.name.as_str())
            .chain(card.macro_metrics.iter().map(|m| m.name.as_str()));
        if !known(headline) && !named.clone().any(|n| n == headline) {
            let all: Vec<&str> = metrics.iter().copied().chain(named).collect();
            return Err(field_error(
                path,
                "headline",
                &format!("must name a figure of this suite, one of {all:?}"),
                format!("{headline:?}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads a suite card from `text` and checks it as a run does.
    fn load_and_check(text: &str) -> anyhow::Result<SuiteCard> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text)?;
        let card = SuiteCard::load(&path)?;
        check_suite_card(&card)?;
        Ok(card)
    }

    const MINIMAL: &str =
        "benchmark = \"chartqa\"\nscorer = \"relaxed_accuracy\"\nprompt = \"{question}\"\n";
    const SOURCE: &str = "[[source]]\nformat = \"vlmevalkit-tsv\"\npath = \"X.tsv\"\n";

    #[test]
    fn a_minimal_card_passes() {
        assert!(load_and_check(&format!("{MINIMAL}{SOURCE}")).is_ok());
    }

    #[test]
    fn every_bad_scoring_field_names_the_file_and_field() {
        let cases = [
            (
                format!(
                    "benchmark = \"chartqa\"\nscorer = \"nope\"\nprompt = \"{{question}}\"\n{SOURCE}"
                ),
                "scorer",
            ),
            (
                format!(
                    "{MINIMAL}{SOURCE}[[group_metric]]\nname = \"fAcc\"\nmetric = \"nope\"\nby = [\"a\"]\n"
                ),
                "group_metric",
            ),
            (
                format!(
                    "{MINIMAL}{SOURCE}[[group_metric]]\nname = \"fAcc\"\nmetric = \"relaxed_accuracy\"\nby = []\n"
                ),
                "group_metric",
            ),
            (
                format!(
                    "{MINIMAL}{SOURCE}[[macro_metric]]\nname = \"m\"\nmetric = \"relaxed_accuracy\"\nover = \"\"\n"
                ),
                "macro_metric",
            ),
        ];
        for (text, field) in cases {
            let err = load_and_check(&text).unwrap_err().to_string();
            assert!(err.contains("s.toml"), "{err}");
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}
