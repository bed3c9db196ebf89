//! Scoring protocols: the same stored responses scored the way each harness scores them, so a
//! user can see why a figure differs from a paper's. Per benchmark, `official` (the benchmark
//! authors' scorer, evalkit's headline), `vlmevalkit` and `lmms-eval`, each pinned to the
//! upstream commit whose code it reproduces ([`VLMEVALKIT`], [`LMMS_EVAL`]).
//!
//! A protocol has two sides. The prompt side (template and generation settings) changes the
//! requests, so `evalkit run --protocol NAME` chooses it for a run and it is part of the run's
//! identity. The scoring side needs no requests: every run's summary reports each protocol's
//! figure computed from the run's stored responses ([`tally`]), and `evalkit report
//! --protocols` lists the items on which they disagree.
//!
//! The definitions, one table per benchmark, are in [`table`]; the upstream extraction rules
//! that evalkit's own scorers do not already hold are in [`lmms_mcq`] and [`lmms_ai2d`].

pub mod lmms_ai2d;
pub mod lmms_mcq;
pub mod table;
pub mod tally;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Gold;
use super::choice::{Inferred, can_infer_verbose};
use super::extract::py_strip;
use super::relaxed::relaxed_correctness;
use crate::card::suite::Benchmark;

/// The VLMEvalKit commit whose code the `vlmevalkit` protocols reproduce.
pub const VLMEVALKIT: &str = "VLMEvalKit e8e78f0 (2026-08-18)";
/// The lmms-eval commit whose code the `lmms-eval` protocols reproduce.
pub const LMMS_EVAL: &str = "lmms-eval 75571cf (2026-08-06)";

/// A protocol's name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolName {
    /// The benchmark authors' scorer and prompt: evalkit's headline.
    #[default]
    Official,
    Vlmevalkit,
    LmmsEval,
}

impl ProtocolName {
    pub const ALL: [ProtocolName; 3] = [Self::Official, Self::Vlmevalkit, Self::LmmsEval];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Official => "official",
            Self::Vlmevalkit => "vlmevalkit",
            Self::LmmsEval => "lmms-eval",
        }
    }
}

impl std::fmt::Display for ProtocolName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProtocolName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown protocol `{s}`; expected official, vlmevalkit or lmms-eval")
            })
    }
}

impl Serialize for ProtocolName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProtocolName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a protocol sends: `None` keeps the suite card's prompt or the model card's setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromptSide {
    pub template: Option<&'static str>,
    pub max_tokens: Option<u32>,
}

/// How a protocol turns per-item values into its figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    /// The mean over items (failed items count 0).
    ItemMean,
    /// The mean of the per-value means of an item field (lmms-eval's MMStar "average" over
    /// the `l2_category` axes).
    MeanOver(&'static str),
}

/// How a protocol decides one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemRule {
    /// The item's own stored metric of that name, from evalkit's scorer (with any judge
    /// verdict), and the extraction the scorer stored.
    Metric(&'static str),
    /// VLMEvalKit's `can_infer` with `a67ace5`'s verbose-answer rule (the scorer's
    /// `accuracy_verbose_rule`, judge verdict included).
    VlmevalkitChoice,
    /// lmms-eval's MMStar `exact_match` ([`lmms_mcq`]).
    LmmsMmstar,
    /// lmms-eval's AI2D filter and `exact_match` ([`lmms_ai2d`]).
    LmmsAi2d,
    /// pix2struct's `relaxed_correctness` on the stripped prediction, the best over the gold
    /// answers (VLMEvalKit's `process_line(method='relaxed_accuracy')` with `hit_calculate`'s
    /// max; lmms-eval's `chartqa_process_results` after `process_results` strips).
    RelaxedStripped,
}

/// One named protocol of one benchmark.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Protocol {
    pub name: ProtocolName,
    /// The upstream code and version followed.
    pub version: &'static str,
    /// What this protocol does differently, in a sentence.
    pub differs: &'static str,
    pub prompt: PromptSide,
    pub rule: ItemRule,
    pub aggregation: Aggregation,
    /// The item field reports break figures down by (`split` reads the item's split).
    pub category: &'static str,
}

/// What a protocol sees of one stored item.
#[derive(Clone, Copy, Debug, Default)]
pub struct ItemView<'a> {
    pub gold: Option<&'a Gold>,
    /// The raw response (after reasoning was stripped); `None` for a failed item.
    pub response: Option<&'a str>,
    /// The metrics evalkit's scorer stored.
    pub metrics: Option<&'a BTreeMap<String, f64>>,
    /// What evalkit's scorer extracted.
    pub extracted: Option<&'a str>,
    /// A judge decided the item.
    pub judged: bool,
    /// The reply was cut short (scored 0 by every protocol).
    pub truncated: bool,
}

/// One protocol's decision on one item.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemDecision {
    /// In [0, 1].
    pub value: f64,
    /// What the protocol read from the response, if anything.
    pub extracted: Option<String>,
}

impl Protocol {
    /// Decides one item from what was stored: no request is made.
    pub fn decide(&self, item: &ItemView<'_>) -> ItemDecision {
        let none = ItemDecision {
            value: 0.0,
            extracted: None,
        };
        let (Some(response), Some(gold), false) = (item.response, item.gold, item.truncated) else {
            return none;
        };
        let stored = |name: &str| {
            item.metrics
                .and_then(|m| m.get(name))
                .copied()
                .unwrap_or(0.0)
        };
        match self.rule {
            ItemRule::Metric(name) => ItemDecision {
                value: stored(name),
                extracted: item.extracted.map(str::to_string),
            },
            ItemRule::VlmevalkitChoice => {
                let extracted = match can_infer_verbose(response, &gold.choices) {
                    Inferred::Option(label) => Some(label.to_string()),
                    Inferred::Refused => Some("Z".to_string()),
                    Inferred::Unresolved if item.judged => item.extracted.map(str::to_string),
                    Inferred::Unresolved => None,
                };
                ItemDecision {
                    value: stored("accuracy_verbose_rule"),
                    extracted,
                }
            }
            ItemRule::LmmsMmstar => {
                let gold = gold.answers.first().map_or("", String::as_str);
                let (value, letter) = lmms_mcq::mmstar_exact_match(response, gold);
                ItemDecision {
                    value,
                    extracted: letter.map(String::from),
                }
            }
            ItemRule::LmmsAi2d => {
                let gold = gold.answers.first().map_or("", String::as_str);
                let (value, prediction) = lmms_ai2d::ai2d_exact_match(response, gold);
                ItemDecision {
                    value,
                    extracted: Some(prediction),
                }
            }
            ItemRule::RelaxedStripped => {
                let prediction = py_strip(response);
                let right = gold
                    .answers
                    .iter()
                    .any(|t| relaxed_correctness(t, prediction));
                ItemDecision {
                    value: if right { 1.0 } else { 0.0 },
                    extracted: Some(prediction.to_string()),
                }
            }
        }
    }
}

/// The protocols of a benchmark, `official` first; empty when evalkit defines none beyond its
/// own scorer for it.
pub fn for_benchmark(benchmark: Benchmark) -> &'static [Protocol] {
    table::for_benchmark(benchmark)
}

/// The protocol `name` of a benchmark, or an error saying which exist.
pub fn find(benchmark: Benchmark, name: ProtocolName) -> Result<Option<&'static Protocol>, String> {
    let all = for_benchmark(benchmark);
    if all.is_empty() {
        return if name == ProtocolName::Official {
            Ok(None)
        } else {
            Err(format!(
                "benchmark {benchmark:?} has only the official protocol (evalkit reproduces no \
                 other harness's prompt and scorer for it); drop --protocol {name}"
            ))
        };
    }
    all.iter()
        .find(|p| p.name == name)
        .map(Some)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
            format!(
                "benchmark {benchmark:?} has no protocol `{name}`; it has: {}",
                names.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::item::Choice;

    fn protocol(b: Benchmark, name: ProtocolName) -> &'static Protocol {
        find(b, name).unwrap().unwrap()
    }

    fn decide(
        p: &Protocol,
        gold: &Gold,
        response: &str,
        metrics: &BTreeMap<String, f64>,
    ) -> ItemDecision {
        p.decide(&ItemView {
            gold: Some(gold),
            response: Some(response),
            metrics: Some(metrics),
            ..ItemView::default()
        })
    }

    /// ChartQA under VLMEvalKit (`vlmeval/dataset/utils/vqa_eval.py`, `process_line` with
    /// `method='relaxed_accuracy'`: `prediction.strip()`, then `relaxed_correctness`; e8e78f0)
    /// and lmms-eval (`lmms_eval/api/task.py` strips, `tasks/chartqa/utils.py`
    /// `relaxed_correctness`; 75571cf), computed by hand.
    #[test]
    fn chartqa_harnesses_strip_the_answer_before_the_relaxed_rule() {
        let none = BTreeMap::new();
        let gold = |a: &str| Gold {
            answers: vec![a.into()],
            ..Gold::default()
        };
        for name in [ProtocolName::Vlmevalkit, ProtocolName::LmmsEval] {
            let p = protocol(Benchmark::Chartqa, name);
            // "yes\n" is "yes" once stripped; lower-cased equality.
            assert_eq!(decide(p, &gold("Yes"), "yes\n", &none).value, 1.0);
            // 12.6 is 5% off 12 (0.6 / 12 = 0.05): right; 12.7 is not.
            assert_eq!(decide(p, &gold("12"), " 12.6 ", &none).value, 1.0);
            assert_eq!(decide(p, &gold("12"), "12.7", &none).value, 0.0);
            // `rstrip('%')` drops every `%`: "12%%" is 0.12, right against "0.12".
            assert_eq!(decide(p, &gold("0.12"), "12%%", &none).value, 1.0);
            // A target of 0 is compared as a string: "0.0" is not "0".
            assert_eq!(decide(p, &gold("0"), "0.0", &none).value, 0.0);
            assert_eq!(
                decide(p, &gold("Yes"), " Yes.", &none).extracted.as_deref(),
                Some("Yes.")
            );
        }
        // The official protocol is the scorer's own stored figure.
        let official = protocol(Benchmark::Chartqa, ProtocolName::Official);
        let stored = BTreeMap::from([("relaxed_accuracy".to_string(), 0.0)]);
        assert_eq!(decide(official, &gold("Yes"), "yes\n", &stored).value, 0.0);
    }

    /// MMStar/AI2D under VLMEvalKit e8e78f0: `can_infer` with `a67ace5`'s verbose regex
    /// (`vlmeval/utils/matching_util.py`); the value is the scorer's `accuracy_verbose_rule`.
    #[test]
    fn vlmevalkit_choice_shows_the_verbose_rule_letter() {
        let gold = Gold {
            answers: vec!["A".into()],
            choices: ["cat", "dog"]
                .iter()
                .zip(["A", "B"])
                .map(|(t, l)| Choice {
                    label: l.into(),
                    text: (*t).into(),
                })
                .collect(),
            ..Gold::default()
        };
        let stored = BTreeMap::from([("accuracy_verbose_rule".to_string(), 1.0)]);
        let p = protocol(Benchmark::Mmstar, ProtocolName::Vlmevalkit);
        let d = decide(p, &gold, "The answer is a bird", &stored);
        assert_eq!((d.value, d.extracted.as_deref()), (1.0, Some("A")));
        // A refusal is VLMEvalKit's `Z`; nothing readable is no extraction.
        assert_eq!(
            decide(p, &gold, "Cannot determine the answer", &stored)
                .extracted
                .as_deref(),
            Some("Z")
        );
        assert_eq!(decide(p, &gold, "no idea", &stored).extracted, None);
        // A failed or truncated item is 0 under every protocol.
        let cut = p.decide(&ItemView {
            gold: Some(&gold),
            response: Some("A"),
            metrics: Some(&stored),
            truncated: true,
            ..ItemView::default()
        });
        assert_eq!(cut.value, 0.0);
    }

    #[test]
    fn names_parse_and_unknown_protocols_are_named() {
        assert_eq!(
            "lmms-eval".parse::<ProtocolName>(),
            Ok(ProtocolName::LmmsEval)
        );
        assert!(
            "helm"
                .parse::<ProtocolName>()
                .unwrap_err()
                .contains("official")
        );
        assert!(
            find(Benchmark::Mathvista, ProtocolName::Official)
                .unwrap()
                .is_none()
        );
        let err = find(Benchmark::Mathvista, ProtocolName::Vlmevalkit).unwrap_err();
        assert!(err.contains("only the official protocol"), "{err}");
    }
}
