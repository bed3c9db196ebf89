//! CSV in long form: one row per run, breakdown category and metric (the overall group
//! first, with empty breakdown and category), so many runs load into one spreadsheet or
//! dataframe and pivot any way. Scores are percent with the 95% interval's half-width.

use super::Exporter;
use crate::journal::Summary;
use crate::score::aggregate::Group;

pub struct CsvExporter;

const HEADER: [&str; 13] = [
    "run_id",
    "suite",
    "model",
    "strategy",
    "scorer",
    "metric",
    "official",
    "breakdown",
    "category",
    "n",
    "score",
    "ci95",
    "complete",
];

impl Exporter for CsvExporter {
    fn serialize(&self, runs: &[Summary]) -> anyhow::Result<Vec<u8>> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(HEADER)?;
        for s in runs {
            let groups = std::iter::once(("", "", &s.scores.overall)).chain(
                s.scores.by.iter().flat_map(|(column, groups)| {
                    groups
                        .iter()
                        .map(move |(value, g)| (column.as_str(), value.as_str(), g))
                }),
            );
            for (column, value, group) in groups {
                for metric in &s.metrics {
                    out.write_record(record(s, metric, column, value, group))?;
                }
            }
        }
        out.into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))
    }
}

fn record(s: &Summary, metric: &str, column: &str, value: &str, g: &Group) -> [String; 13] {
    let number = |v: Option<&f64>| v.map_or(String::new(), |v| v.to_string());
    [
        s.run_id.clone(),
        s.suite.clone(),
        s.model.clone(),
        s.strategy.clone(),
        s.scorer.clone(),
        metric.to_string(),
        (metric == s.primary_metric).to_string(),
        column.to_string(),
        value.to_string(),
        g.n.to_string(),
        number(g.metrics.get(metric)),
        number(g.ci95.get(metric)),
        s.complete.to_string(),
    ]
}
