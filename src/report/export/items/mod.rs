//! `evalkit export RUNS... --format parquet|csv|jsonl --out FILE`: every item record of
//! every run as one table, one row per item and run, for analysis in pandas, polars,
//! DuckDB or a spreadsheet. The table is built once here ([`ItemTable`], typed columns)
//! and written by one exporter per format ([`parquet`], [`csv`], [`jsonl`]) through the
//! export manager.
//!
//! Columns (documented in the README): `run`, `run_dir`, `model`, `suite`, `protocol`,
//! `strategy`, `item_id`, `order`, `split`, `field_<name>` for each breakdown field,
//! `gold` (answers joined with ` | `), `response`, `extracted`, `status`, `decided_by`,
//! `metric_<name>` for each metric (0-1), `latency_ms`, `prompt_tokens_<role>` and
//! `completion_tokens_<role>` for each call role, `attempts`, `error`. A column another
//! run has and this one lacks is empty (null).

pub mod csv;
pub mod jsonl;
pub mod parquet;

use std::collections::{BTreeMap, BTreeSet};

use crate::journal::{ItemRecord, RunDir, Status};
use crate::score::How;

/// One column's values, by type; `None` is an empty cell (null).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Text(Vec<Option<String>>),
    Int(Vec<Option<u64>>),
    Float(Vec<Option<f64>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

/// Every item of every run, column by column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemTable {
    pub columns: Vec<Column>,
    pub rows: usize,
}

/// An export format of `evalkit export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ItemFormat {
    Parquet,
    Csv,
    Jsonl,
}

impl ItemFormat {
    pub fn exporter(self) -> Box<dyn super::Exporter<ItemTable>> {
        match self {
            ItemFormat::Parquet => Box::new(parquet::ParquetExporter),
            ItemFormat::Csv => Box::new(csv::CsvExporter),
            ItemFormat::Jsonl => Box::new(jsonl::JsonlExporter),
        }
    }
}

fn role_name(call: &crate::journal::record::CallRecord) -> &'static str {
    call.role.map_or("answer", |r| r.name())
}

/// (prompt, completion) tokens of one record by call role; a record without calls counts
/// its own usage under `answer`.
fn tokens(r: &ItemRecord) -> BTreeMap<&'static str, (u64, u64)> {
    let mut out: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    if let (true, Some(u)) = (r.calls.is_empty(), &r.usage) {
        out.insert("answer", (u.prompt_tokens, u.completion_tokens));
    }
    for call in &r.calls {
        if let Some(u) = &call.usage {
            let e = out.entry(role_name(call)).or_default();
            e.0 += u.prompt_tokens;
            e.1 += u.completion_tokens;
        }
    }
    out
}

impl ItemTable {
    /// Builds the table from opened runs.
    pub fn build(runs: &[RunDir]) -> ItemTable {
        let mut fields = BTreeSet::new();
        let mut metrics = BTreeSet::new();
        let mut roles = BTreeSet::new();
        for run in runs {
            fields.extend(
                run.manifest
                    .suite
                    .breakdown
                    .iter()
                    .filter(|c| *c != "split")
                    .cloned(),
            );
            for r in &run.records {
                if let Some(m) = &r.metrics {
                    metrics.extend(m.keys().cloned());
                }
                roles.extend(tokens(r).into_keys());
            }
        }
        let rows: Vec<(&RunDir, &ItemRecord)> = runs
            .iter()
            .flat_map(|run| run.records.iter().map(move |r| (run, r)))
            .collect();
        let text = |name: &str, f: &dyn Fn(&RunDir, &ItemRecord) -> Option<String>| Column {
            name: name.to_string(),
            values: Values::Text(rows.iter().map(|(run, r)| f(run, r)).collect()),
        };
        let int = |name: &str, f: &dyn Fn(&ItemRecord) -> Option<u64>| Column {
            name: name.to_string(),
            values: Values::Int(rows.iter().map(|(_, r)| f(r)).collect()),
        };
        let mut columns = vec![
            text("run", &|run, _| Some(run.manifest.run_id.clone())),
            text("run_dir", &|run, _| Some(run.path.display().to_string())),
            text("model", &|run, _| Some(run.manifest.model.name.clone())),
            text("suite", &|run, _| Some(run.manifest.suite.name.clone())),
            text("protocol", &|run, _| {
                Some(run.manifest.protocol.as_str().to_string())
            }),
            text("strategy", &|run, _| Some(run.manifest.strategy.clone())),
            text("item_id", &|_, r| Some(r.id.clone())),
            int("order", &|r| Some(r.order)),
            text("split", &|_, r| r.split.clone()),
        ];
        for f in &fields {
            columns.push(text(&format!("field_{f}"), &|_, r| {
                r.fields.get(f).cloned()
            }));
        }
        columns.extend([
            text("gold", &|_, r| Some(r.gold.answers.join(" | "))),
            text("response", &|_, r| r.response.clone()),
            text("extracted", &|_, r| r.extracted.clone()),
            text("status", &|_, r| {
                Some(match r.status {
                    Status::Answered => "answered".into(),
                    Status::Failed => "failed".into(),
                })
            }),
            text("decided_by", &|_, r| {
                r.how.map(|h| {
                    match h {
                        How::Rule => "rule",
                        How::Judge => "judge",
                        How::Unparsed => "unparsed",
                    }
                    .to_string()
                })
            }),
        ]);
        for m in &metrics {
            columns.push(Column {
                name: format!("metric_{m}"),
                values: Values::Float(
                    rows.iter()
                        .map(|(_, r)| r.metrics.as_ref().and_then(|x| x.get(m)).copied())
                        .collect(),
                ),
            });
        }
        columns.push(int("latency_ms", &|r| r.latency_ms));
        for role in &roles {
            columns.push(int(&format!("prompt_tokens_{role}"), &|r| {
                tokens(r).get(role).map(|t| t.0)
            }));
            columns.push(int(&format!("completion_tokens_{role}"), &|r| {
                tokens(r).get(role).map(|t| t.1)
            }));
        }
        columns.push(int("attempts", &|r| Some(u64::from(r.attempts))));
        columns.push(text("error", &|_, r| r.error.clone()));
        ItemTable {
            columns,
            rows: rows.len(),
        }
    }

    /// One cell as JSON (null when empty).
    pub fn json_cell(&self, column: usize, row: usize) -> serde_json::Value {
        match &self.columns[column].values {
            Values::Text(v) => v[row]
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
            Values::Int(v) => v[row].map_or(serde_json::Value::Null, |x| x.into()),
            Values::Float(v) => v[row]
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
        }
    }

    /// One cell as CSV text (empty when null).
    pub fn text_cell(&self, column: usize, row: usize) -> String {
        match &self.columns[column].values {
            Values::Text(v) => v[row].clone().unwrap_or_default(),
            Values::Int(v) => v[row].map_or(String::new(), |x| x.to_string()),
            Values::Float(v) => v[row].map_or(String::new(), |x| x.to_string()),
        }
    }
}
