//! Pairing two runs' items by identity: an item is its id plus its gold answers, so an
//! item whose gold answer changed between the runs (a fixed dataset) is not paired but
//! counted on both sides as unmatched, and items one run has and the other lacks are
//! counted rather than silently dropped (lmms-eval pairs by row position). Used by
//! `evalkit compare`, the leaderboard's rank groups and the ablation report.

use std::collections::{BTreeMap, HashMap};

use crate::journal::{ItemRecord, Status};

/// An item's identity across runs: its id and its gold answers.
pub fn key(r: &ItemRecord) -> (String, String) {
    (r.id.clone(), r.gold.answers.join("\u{1f}"))
}

/// An item's value of `metric` in [0, 1]; a failed item, or an answered one without the
/// metric, scores 0 (as in the summary).
pub fn value(r: &ItemRecord, metric: &str) -> f64 {
    match r.status {
        Status::Answered => r
            .metrics
            .as_ref()
            .and_then(|m| m.get(metric))
            .copied()
            .unwrap_or(0.0),
        Status::Failed => 0.0,
    }
}

/// Two runs' items matched by identity.
#[derive(Debug)]
pub struct Pairing<'a> {
    /// Items both runs have, in the first run's item order.
    pub pairs: Vec<(&'a ItemRecord, &'a ItemRecord)>,
    /// Items only the first run has, in its order.
    pub a_only: Vec<&'a ItemRecord>,
    /// Items only the second run has, in its order.
    pub b_only: Vec<&'a ItemRecord>,
    /// Ids both runs have with different gold answers (counted in both `*_only` lists).
    pub gold_changed: usize,
}

/// Matches `a`'s items with `b`'s by identity.
pub fn pair<'a>(a: &'a [ItemRecord], b: &'a [ItemRecord]) -> Pairing<'a> {
    let b_by_key: HashMap<(String, String), &ItemRecord> = b.iter().map(|r| (key(r), r)).collect();
    let a_ids: HashMap<&str, ()> = a.iter().map(|r| (r.id.as_str(), ())).collect();
    let mut pairs = Vec::new();
    let mut a_only = Vec::new();
    let mut matched: HashMap<(String, String), ()> = HashMap::new();
    for r in a {
        let k = key(r);
        match b_by_key.get(&k) {
            Some(other) => {
                pairs.push((r, *other));
                matched.insert(k, ());
            }
            None => a_only.push(r),
        }
    }
    let b_only: Vec<&ItemRecord> = b
        .iter()
        .filter(|r| !matched.contains_key(&key(r)))
        .collect();
    let gold_changed = b_only
        .iter()
        .filter(|r| a_ids.contains_key(r.id.as_str()))
        .count();
    Pairing {
        pairs,
        a_only,
        b_only,
        gold_changed,
    }
}

/// The breakdown categories of paired items: `(column, value)` -> indices into `pairs`.
/// A column's value comes from the item's fields (the split when the column is `split`
/// and no field says otherwise); multi-valued columns (`a|b`) count an item under each.
pub fn categories(
    pairs: &[(&ItemRecord, &ItemRecord)],
    columns: &[String],
    multi_valued: &[String],
) -> BTreeMap<(String, String), Vec<usize>> {
    let mut out: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (a, _)) in pairs.iter().enumerate() {
        for column in columns {
            let field = a
                .fields
                .get(column)
                .cloned()
                .or_else(|| (column == "split").then(|| a.split.clone()).flatten());
            let Some(field) = field else { continue };
            let values: Vec<&str> = if multi_valued.contains(column) {
                field
                    .split('|')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .collect()
            } else {
                vec![field.as_str()]
            };
            for v in values {
                out.entry((column.clone(), v.to_string()))
                    .or_default()
                    .push(i);
            }
        }
    }
    out
}

/// The field naming each paired item's chart, when items share charts: `preferred` if
/// given, else the first of `chart`, `figure_id`, `source_id` that every item has. None
/// when no such field exists or every chart has a single question (the items are then
/// independent and the plain interval is right).
pub fn cluster_field(
    pairs: &[(&ItemRecord, &ItemRecord)],
    preferred: Option<&str>,
) -> Option<String> {
    let candidates: Vec<&str> = match preferred {
        Some(p) => vec![p],
        None => vec!["chart", "figure_id", "source_id"],
    };
    for field in candidates {
        let values: Option<Vec<&String>> = pairs.iter().map(|(a, _)| a.fields.get(field)).collect();
        let Some(values) = values else { continue };
        let mut distinct: HashMap<&String, ()> = HashMap::new();
        for v in &values {
            distinct.insert(v, ());
        }
        if !values.is_empty() && distinct.len() < values.len() {
            return Some(field.to_string());
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::score::Gold;

    /// A record for tests: `id`, gold answer, accuracy value (None: failed), fields.
    pub fn record(id: &str, gold: &str, v: Option<f64>, fields: &[(&str, &str)]) -> ItemRecord {
        ItemRecord {
            id: id.into(),
            order: 0,
            source: String::new(),
            status: if v.is_some() {
                Status::Answered
            } else {
                Status::Failed
            },
            request_hash: String::new(),
            response: v.map(|v| format!("answer {v}")),
            extracted: None,
            metrics: v.map(|v| BTreeMap::from([("accuracy".to_string(), v)])),
            how: None,
            latency_ms: Some(10),
            usage: None,
            attempts: 1,
            error: v.is_none().then(|| "timeout".to_string()),
            split: None,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            gold: Gold {
                answers: vec![gold.into()],
                ..Gold::default()
            },
            calls: vec![],
            judge: None,
            format_followed: None,
            trace: None,
            truncated: None,
            extracted_is_response: false,
            at: String::new(),
        }
    }

    #[test]
    fn pairs_by_id_and_gold_and_counts_the_rest() {
        let a = vec![
            record("1", "x", Some(1.0), &[]),
            record("2", "y", Some(0.0), &[]),
            record("3", "z", Some(1.0), &[]),
        ];
        let b = vec![
            record("2", "y", Some(1.0), &[]),
            record("3", "CHANGED", Some(1.0), &[]),
            record("4", "w", None, &[]),
        ];
        let p = pair(&a, &b);
        assert_eq!(p.pairs.len(), 1);
        assert_eq!(p.pairs[0].0.id, "2");
        let ids = |v: &[&ItemRecord]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&p.a_only), ["1", "3"]);
        assert_eq!(ids(&p.b_only), ["3", "4"]);
        assert_eq!(p.gold_changed, 1);
        assert_eq!(value(&b[2], "accuracy"), 0.0);
    }

    #[test]
    fn categories_and_clusters() {
        let a = vec![
            record("1", "x", Some(1.0), &[("skill", "a|b"), ("chart", "c1")]),
            record("2", "y", Some(0.0), &[("skill", "b"), ("chart", "c1")]),
        ];
        let p = pair(&a, &a);
        let cats = categories(&p.pairs, &["skill".into()], &["skill".into()]);
        assert_eq!(cats[&("skill".into(), "a".into())], vec![0]);
        assert_eq!(cats[&("skill".into(), "b".into())], vec![0, 1]);
        assert_eq!(cluster_field(&p.pairs, None).as_deref(), Some("chart"));
        assert_eq!(cluster_field(&p.pairs, Some("skill")), None);
    }
}
