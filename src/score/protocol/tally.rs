//! Each protocol's figure over a run's stored items, accumulated one item at a time (the
//! summary streams the journal past it): overall and per category, averaged the protocol's way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Aggregation, ItemView, Protocol, ProtocolName};
use crate::card::suite::Benchmark;

/// One protocol's figure in `summary.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtocolFigure {
    /// The upstream code and version the protocol follows.
    pub version: String,
    /// In percent.
    pub accuracy: f64,
    /// How the items were averaged: `items`, or `mean over FIELD`.
    pub averaged: String,
    /// Items counted (failed and truncated ones count 0).
    pub n: u64,
    /// The same figure per category (the protocol's category field).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_category: BTreeMap<String, f64>,
    /// What the figure depends on beyond the responses (e.g. no judge was configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Sums and counts of item values, optionally per value of a field.
#[derive(Default)]
struct Means {
    /// field value (or "" for the item mean) -> (sum, n)
    parts: BTreeMap<String, (f64, u64)>,
}

impl Means {
    fn add(&mut self, key: &str, v: f64) {
        let e = self.parts.entry(key.to_string()).or_default();
        e.0 += v;
        e.1 += 1;
    }

    /// The mean of the per-part means (one part for an item mean), in percent.
    fn finish(&self) -> f64 {
        if self.parts.is_empty() {
            return 0.0;
        }
        let sum: f64 = self.parts.values().map(|(s, n)| s / *n as f64).sum();
        round4(100.0 * sum / self.parts.len() as f64)
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// One protocol's running figure.
struct Running {
    protocol: &'static Protocol,
    overall: Means,
    by_category: BTreeMap<String, Means>,
    n: u64,
}

/// Every protocol of a benchmark, fed the run's items one at a time.
pub struct Tally {
    running: Vec<Running>,
    judge: Option<String>,
}

impl Tally {
    /// `judge`: the judge model that decided unresolved answers, if the run had one.
    pub fn new(benchmark: Benchmark, judge: Option<String>) -> Self {
        let running = super::for_benchmark(benchmark)
            .iter()
            .map(|protocol| Running {
                protocol,
                overall: Means::default(),
                by_category: BTreeMap::new(),
                n: 0,
            })
            .collect();
        Self { running, judge }
    }

    /// Adds one item; `fields` are its breakdown fields (with `split`).
    pub fn add(&mut self, item: &ItemView<'_>, fields: &BTreeMap<String, String>) {
        for r in &mut self.running {
            let value = r.protocol.decide(item).value;
            let key = match r.protocol.aggregation {
                Aggregation::ItemMean => Some(""),
                Aggregation::MeanOver(field) => fields.get(field).map(String::as_str),
            };
            // An item without the averaging field counts under "" (its own group).
            let key = key.unwrap_or("");
            r.overall.add(key, value);
            if let Some(category) = fields.get(r.protocol.category) {
                r.by_category
                    .entry(category.clone())
                    .or_default()
                    .add(key, value);
            }
            r.n += 1;
        }
    }

    /// The figures by protocol name; empty when the benchmark has no protocols.
    pub fn finish(self) -> BTreeMap<String, ProtocolFigure> {
        let judge = self.judge;
        self.running
            .into_iter()
            .filter(|r| r.n > 0)
            .map(|r| {
                let p = r.protocol;
                let note = match (p.name, &judge) {
                    (ProtocolName::Vlmevalkit, None) if p.rule == super::ItemRule::VlmevalkitChoice => Some(
                        "no judge: VLMEvalKit's exact_matching mode (an answer its rules cannot \
                         read is 'Z', wrong)"
                            .to_string(),
                    ),
                    (_, Some(j)) if p.rule != super::ItemRule::LmmsMmstar
                        && p.rule != super::ItemRule::LmmsAi2d
                        && p.rule != super::ItemRule::RelaxedStripped =>
                    {
                        Some(format!("answers the rules could not read were judged by {j}"))
                    }
                    _ => None,
                };
                let figure = ProtocolFigure {
                    version: p.version.to_string(),
                    accuracy: r.overall.finish(),
                    averaged: match p.aggregation {
                        Aggregation::ItemMean => "items".to_string(),
                        Aggregation::MeanOver(f) => format!("mean over {f}"),
                    },
                    n: r.n,
                    by_category: r
                        .by_category
                        .iter()
                        .map(|(c, m)| (c.clone(), m.finish()))
                        .collect(),
                    note,
                };
                (p.name.as_str().to_string(), figure)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Gold;
    use crate::suite::item::Choice;

    fn mcq_gold(letter: &str) -> Gold {
        Gold {
            answers: vec![letter.into()],
            choices: ["cat", "dog", "bird", "fish"]
                .iter()
                .zip(["A", "B", "C", "D"])
                .map(|(t, l)| Choice {
                    label: l.into(),
                    text: (*t).into(),
                })
                .collect(),
            ..Gold::default()
        }
    }

    #[test]
    fn each_protocol_averages_its_own_way() {
        // Three MMStar items; axis x holds items 1 and 2, axis y item 3. The official and
        // vlmevalkit values are the scorer's stored metrics; lmms-eval reads the responses:
        // 1: "B" (gold B): B, right.
        // 2: "The answer is a dog" (gold B): no capital A-D anywhere, so no letter: wrong.
        // 3: "Dog" (gold C): no candidate but the fallback, D: wrong.
        let items = [
            ("B", "B", "x"),
            ("The answer is a dog", "B", "x"),
            ("Dog", "C", "y"),
        ];
        let golds: Vec<Gold> = items.iter().map(|(_, g, _)| mcq_gold(g)).collect();
        let metrics: Vec<BTreeMap<String, f64>> = vec![
            BTreeMap::from([
                ("accuracy".into(), 1.0),
                ("accuracy_verbose_rule".into(), 1.0),
            ]),
            BTreeMap::from([
                ("accuracy".into(), 1.0),
                ("accuracy_verbose_rule".into(), 0.0),
            ]),
            BTreeMap::from([
                ("accuracy".into(), 0.0),
                ("accuracy_verbose_rule".into(), 0.0),
            ]),
        ];
        let mut tally = Tally::new(Benchmark::Mmstar, None);
        for (i, (response, _, axis)) in items.iter().enumerate() {
            let fields = BTreeMap::from([
                ("category".to_string(), "c".to_string()),
                ("l2_category".to_string(), axis.to_string()),
            ]);
            tally.add(
                &ItemView {
                    gold: Some(&golds[i]),
                    response: Some(response),
                    metrics: Some(&metrics[i]),
                    ..ItemView::default()
                },
                &fields,
            );
        }
        let f = tally.finish();
        assert_eq!(f["official"].accuracy, 66.6667);
        assert_eq!(f["vlmevalkit"].accuracy, 33.3333);
        // lmms-eval: axis x = (1 + 0) / 2, axis y = 0 -> mean 25%.
        assert_eq!(f["lmms-eval"].accuracy, 25.0);
        assert_eq!(f["lmms-eval"].averaged, "mean over l2_category");
        assert_eq!(f["lmms-eval"].by_category["c"], 25.0);
        assert!(
            f["vlmevalkit"]
                .note
                .as_deref()
                .unwrap_or("")
                .contains("exact_matching")
        );
        assert_eq!(f["lmms-eval"].version, crate::score::protocol::LMMS_EVAL);
    }
}
