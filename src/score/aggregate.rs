//! Aggregation: from per-item metrics to the figures a report shows (overall and per
//! breakdown value, as percentages, with a 95% confidence half-width). Items that failed
//! count as 0 on every metric; scorers never aggregate.
//!
//! Besides plain means it computes the suite card's group metrics (a group of items is
//! right only when all of them are: HallusionBench's fAcc/qAcc, ChartBench's Acc+) and
//! macro metrics (the mean of per-category means: MMStar's capability mean). Breakdown
//! fields listed as multi-valued (`a|b`) count an item under each of its values.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::card::suite::{GroupMetric, MacroMetric};

/// The figures of one group of items.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Items in the group (answered + failed).
    pub n: usize,
    /// Mean of each metric over the group, in percent.
    pub metrics: BTreeMap<String, f64>,
    /// Half-width of the normal-approximation 95% confidence interval, in percent.
    pub ci95: BTreeMap<String, f64>,
    /// The 95% interval reported beside each figure, [low, high] in percent: Wilson's for
    /// accuracies (every item 0 or 1), the normal one otherwise (see [`super::interval`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interval95: BTreeMap<String, [f64; 2]>,
    /// With the suite card's `cluster` column: the cluster-robust interval and design
    /// effect (answers about the same chart are not independent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Clustered>,
}

/// Cluster-robust figures of a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Clustered {
    /// The item field that names the cluster (e.g. the chart).
    pub column: String,
    pub clusters: usize,
    /// Cluster-robust 95% half-width per metric, in percent.
    pub ci95: BTreeMap<String, f64>,
    /// Cluster-robust variance over the i.i.d. one, per metric.
    pub design_effect: BTreeMap<String, f64>,
}

/// Overall figures and one table per breakdown column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub overall: Group,
    /// column -> value -> group, e.g. `split` -> `human` -> ...
    pub by: BTreeMap<String, BTreeMap<String, Group>>,
}

/// One scored item as aggregation sees it.
pub struct Scored<'a> {
    /// None for failed items (0 on every metric).
    pub metrics: Option<&'a BTreeMap<String, f64>>,
    pub fields: &'a BTreeMap<String, String>,
}

/// What to compute, from the scorer and the suite card.
#[derive(Clone, Copy, Default)]
pub struct Spec<'a> {
    pub metric_names: &'a [&'a str],
    pub columns: &'a [String],
    pub multi_valued: &'a [String],
    pub group_metrics: &'a [GroupMetric],
    pub macro_metrics: &'a [MacroMetric],
    /// The item field naming each item's cluster (the suite card's `cluster`).
    pub cluster: Option<&'a str>,
}

/// Running sums of a value in [0, 1].
#[derive(Default, Clone, Copy)]
struct Moments {
    n: usize,
    sum: f64,
    sum_sq: f64,
    /// Some value was neither 0 nor 1.
    not_binary: bool,
}

impl Moments {
    fn add(&mut self, v: f64) {
        self.n += 1;
        self.sum += v;
        self.sum_sq += v * v;
        self.not_binary |= v != 0.0 && v != 1.0;
    }

    /// The sample variance.
    fn variance(&self) -> f64 {
        let n = self.n as f64;
        if self.n > 1 {
            ((self.sum_sq - n * self.mean() * self.mean()) / (n - 1.0)).max(0.0)
        } else {
            0.0
        }
    }

    /// The reported 95% interval, [low, high] in percent.
    fn interval(&self) -> [f64; 2] {
        let n = self.n as f64;
        let (low, high) = if self.not_binary {
            let half = super::interval::Z95 * (self.variance() / n.max(1.0)).sqrt();
            ((self.mean() - half).max(0.0), (self.mean() + half).min(1.0))
        } else {
            super::interval::wilson(self.sum, n)
        };
        [round4(100.0 * low), round4(100.0 * high)]
    }
    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }
    /// (mean, 95% half-width), in percent.
    fn finish(&self) -> (f64, f64) {
        let n = self.n as f64;
        let mean = self.mean();
        let var = self.variance();
        (
            round4(100.0 * mean),
            round4(100.0 * 1.96 * (var / n.max(1.0)).sqrt()),
        )
    }
}

/// Everything accumulated for one partition (overall, or one breakdown value).
#[derive(Default)]
struct Partition {
    n: usize,
    metrics: BTreeMap<String, Moments>,
    /// group metric index -> group key -> every item right so far
    groups: Vec<HashMap<String, bool>>,
    /// cluster -> (items, per-metric sums)
    clusters: HashMap<String, (f64, BTreeMap<String, f64>)>,
}

impl Partition {
    fn add(&mut self, spec: &Spec<'_>, item: &Scored<'_>) {
        self.n += 1;
        let cluster = spec
            .cluster
            .and_then(|c| item.fields.get(c))
            .map(|key| self.clusters.entry(key.clone()).or_default());
        let mut cluster = cluster.map(|(count, sums)| {
            *count += 1.0;
            sums
        });
        for name in spec.metric_names {
            let v = value(item, name);
            self.metrics.entry((*name).to_string()).or_default().add(v);
            if let Some(sums) = cluster.as_mut() {
                *sums.entry((*name).to_string()).or_default() += v;
            }
        }
        self.groups
            .resize_with(spec.group_metrics.len(), HashMap::new);
        for (i, g) in spec.group_metrics.iter().enumerate() {
            let key: Option<Vec<&str>> =
                g.by.iter()
                    .map(|f| item.fields.get(f).map(String::as_str))
                    .collect();
            if let Some(key) = key {
                let right = value(item, &g.metric) >= 1.0;
                let entry = self.groups[i].entry(key.join("\u{1f}")).or_insert(true);
                *entry &= right;
            }
        }
    }

    fn finish(&self, spec: &Spec<'_>) -> Group {
        let mut group = Group {
            n: self.n,
            ..Group::default()
        };
        for (name, m) in &self.metrics {
            let (mean, ci) = m.finish();
            group.metrics.insert(name.clone(), mean);
            group.ci95.insert(name.clone(), ci);
            group.interval95.insert(name.clone(), m.interval());
        }
        if let Some(column) = spec.cluster.filter(|_| !self.clusters.is_empty()) {
            let mut clustered = Clustered {
                column: column.to_string(),
                clusters: self.clusters.len(),
                ..Clustered::default()
            };
            for (name, m) in &self.metrics {
                let sums = self
                    .clusters
                    .values()
                    .map(|(count, sums)| (*count, sums.get(name).copied().unwrap_or(0.0)));
                if let Some((half, deff)) =
                    super::interval::cluster_robust(sums, m.n as f64, m.mean(), m.variance())
                {
                    clustered.ci95.insert(name.clone(), round4(100.0 * half));
                    clustered.design_effect.insert(name.clone(), round4(deff));
                }
            }
            group.cluster = Some(clustered);
        }
        for (g, groups) in spec.group_metrics.iter().zip(&self.groups) {
            if groups.is_empty() {
                continue;
            }
            let mut m = Moments::default();
            for right in groups.values() {
                m.add(if *right { 1.0 } else { 0.0 });
            }
            let (mean, ci) = m.finish();
            group.metrics.insert(g.name.clone(), mean);
            group.ci95.insert(g.name.clone(), ci);
            group.interval95.insert(g.name.clone(), m.interval());
        }
        group
    }
}

fn value(item: &Scored<'_>, metric: &str) -> f64 {
    item.metrics
        .and_then(|m| m.get(metric))
        .copied()
        .unwrap_or(0.0)
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Aggregates items overall and by each breakdown column (items without the field are left
/// out of that column's table).
pub fn breakdown<'a>(items: impl IntoIterator<Item = Scored<'a>>, spec: Spec<'_>) -> Breakdown {
    let mut aggregator = Aggregator::new(spec);
    for item in items {
        aggregator.add(&item);
    }
    aggregator.finish()
}

/// [`breakdown`] one item at a time, so a journal can be aggregated as it streams past:
/// what it keeps grows with the categories and clusters, not with the items.
pub struct Aggregator<'s> {
    spec: Spec<'s>,
    overall: Partition,
    by: BTreeMap<&'s str, BTreeMap<String, Partition>>,
    /// macro metric index -> category -> moments
    macros: Vec<BTreeMap<String, Moments>>,
}

impl<'s> Aggregator<'s> {
    pub fn new(spec: Spec<'s>) -> Self {
        Self {
            spec,
            overall: Partition::default(),
            by: BTreeMap::new(),
            macros: vec![BTreeMap::new(); spec.macro_metrics.len()],
        }
    }

    pub fn add(&mut self, item: &Scored<'_>) {
        let spec = self.spec;
        self.overall.add(&spec, item);
        for column in spec.columns {
            let Some(value) = item.fields.get(column) else {
                continue;
            };
            let values: Vec<&str> = if spec.multi_valued.contains(column) {
                value
                    .split('|')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .collect()
            } else {
                vec![value.as_str()]
            };
            for v in values {
                self.by
                    .entry(column.as_str())
                    .or_default()
                    .entry(v.to_string())
                    .or_default()
                    .add(&spec, item);
            }
        }
        for (i, m) in spec.macro_metrics.iter().enumerate() {
            if let Some(category) = item.fields.get(&m.over) {
                self.macros[i]
                    .entry(category.clone())
                    .or_default()
                    .add(self::value(item, &m.metric));
            }
        }
    }

    pub fn finish(self) -> Breakdown {
        let spec = self.spec;
        let mut result = Breakdown {
            overall: self.overall.finish(&spec),
            by: self
                .by
                .into_iter()
                .map(|(col, groups)| {
                    (
                        col.to_string(),
                        groups
                            .into_iter()
                            .map(|(v, p)| (v, p.finish(&spec)))
                            .collect(),
                    )
                })
                .collect(),
        };
        for (m, categories) in spec.macro_metrics.iter().zip(&self.macros) {
            if categories.is_empty() {
                continue;
            }
            let mean =
                categories.values().map(Moments::mean).sum::<f64>() / categories.len() as f64;
            result
                .overall
                .metrics
                .insert(m.name.clone(), round4(100.0 * mean));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: f64) -> BTreeMap<String, f64> {
        BTreeMap::from([("acc".to_string(), v)])
    }
    fn f(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn means_by_split_with_failures_as_zero() {
        let (one, zero) = (m(1.0), m(0.0));
        let (h, a) = (f(&[("split", "human")]), f(&[("split", "augmented")]));
        let items = vec![
            Scored {
                metrics: Some(&one),
                fields: &h,
            },
            Scored {
                metrics: Some(&zero),
                fields: &h,
            },
            Scored {
                metrics: None,
                fields: &h,
            },
            Scored {
                metrics: Some(&one),
                fields: &a,
            },
        ];
        let columns = ["split".to_string()];
        let b = breakdown(
            items,
            Spec {
                metric_names: &["acc"],
                columns: &columns,
                ..Spec::default()
            },
        );
        assert_eq!(b.overall.n, 4);
        assert_eq!(b.overall.metrics["acc"], 50.0);
        assert_eq!(b.by["split"]["human"].metrics["acc"], 33.3333);
        assert_eq!(b.by["split"]["augmented"].metrics["acc"], 100.0);
        // Sample std of (1,0,0,1) is 0.57735; 1.96 * 0.57735 / 2 = 0.565803 -> 56.5803%.
        assert_eq!(b.overall.ci95["acc"], 56.5803);
    }

    #[test]
    fn group_macro_and_multi_valued_figures() {
        // Figures f1 (items right, right), f2 (right, wrong), f3 (wrong): fAcc = 1/3.
        // Categories: a = {1, 1, 0} -> 2/3, b = {0, 1} -> 1/2; item mean 3/5 = 60%,
        // category mean (2/3 + 1/2) / 2 = 58.3333%.
        let (one, zero) = (m(1.0), m(0.0));
        let rows = [
            (
                f(&[("figure", "f1"), ("cat", "a"), ("skills", "x|y")]),
                &one,
            ),
            (f(&[("figure", "f1"), ("cat", "a"), ("skills", "x")]), &one),
            (f(&[("figure", "f2"), ("cat", "a"), ("skills", "y")]), &zero),
            (f(&[("figure", "f2"), ("cat", "b")]), &one),
            (f(&[("figure", "f3"), ("cat", "b"), ("skills", "y")]), &zero),
        ];
        let groups = [GroupMetric {
            name: "fAcc".into(),
            metric: "acc".into(),
            by: vec!["figure".into()],
        }];
        let macros = [MacroMetric {
            name: "acc_cat_mean".into(),
            metric: "acc".into(),
            over: "cat".into(),
        }];
        let columns = ["cat".to_string(), "skills".to_string()];
        let multi = ["skills".to_string()];
        let spec = Spec {
            metric_names: &["acc"],
            columns: &columns,
            multi_valued: &multi,
            group_metrics: &groups,
            macro_metrics: &macros,
            cluster: None,
        };
        let b = breakdown(
            rows.iter().map(|(fields, m)| Scored {
                metrics: Some(m),
                fields,
            }),
            spec,
        );
        assert_eq!(b.overall.metrics["acc"], 60.0);
        assert_eq!(b.overall.metrics["fAcc"], 33.3333);
        assert_eq!(b.overall.metrics["acc_cat_mean"], 58.3333);
        // Within category a: f1 right, f2 wrong -> 50%.
        assert_eq!(b.by["cat"]["a"].metrics["fAcc"], 50.0);
        // skills x: items 1, 2 (both right); y: items 1, 3, 5 -> 1/3.
        assert_eq!(b.by["skills"]["x"].n, 2);
        assert_eq!(b.by["skills"]["x"].metrics["acc"], 100.0);
        assert_eq!(b.by["skills"]["y"].n, 3);
        assert_eq!(b.by["skills"]["y"].metrics["acc"], 33.3333);
    }
}
