//! The export's columns: which there are (the fixed ones, plus one per breakdown field,
//! metric and call role any run has), their names and types, and each one's value for a
//! record. The order and names are the README's documented table; the chunk builder
//! ([`super::chunk`]) fills them.

use std::collections::{BTreeMap, BTreeSet};

use crate::journal::record::CallRecord;
use crate::journal::{ItemRecord, Manifest, Status};
use crate::score::How;

/// A column's type: UTF-8 text, an unsigned 64-bit integer or a double; all nullable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Float,
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    Run,
    RunDir,
    Model,
    Suite,
    Protocol,
    Strategy,
    ItemId,
    Order,
    Split,
    Field(String),
    Gold,
    Response,
    Extracted,
    Status,
    DecidedBy,
    Metric(String),
    LatencyMs,
    PromptTokens(String),
    CompletionTokens(String),
    Attempts,
    Error,
}

impl Spec {
    pub fn name(&self) -> String {
        match self {
            Spec::Run => "run".into(),
            Spec::RunDir => "run_dir".into(),
            Spec::Model => "model".into(),
            Spec::Suite => "suite".into(),
            Spec::Protocol => "protocol".into(),
            Spec::Strategy => "strategy".into(),
            Spec::ItemId => "item_id".into(),
            Spec::Order => "order".into(),
            Spec::Split => "split".into(),
            Spec::Field(f) => format!("field_{f}"),
            Spec::Gold => "gold".into(),
            Spec::Response => "response".into(),
            Spec::Extracted => "extracted".into(),
            Spec::Status => "status".into(),
            Spec::DecidedBy => "decided_by".into(),
            Spec::Metric(m) => format!("metric_{m}"),
            Spec::LatencyMs => "latency_ms".into(),
            Spec::PromptTokens(r) => format!("prompt_tokens_{r}"),
            Spec::CompletionTokens(r) => format!("completion_tokens_{r}"),
            Spec::Attempts => "attempts".into(),
            Spec::Error => "error".into(),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Spec::Order
            | Spec::LatencyMs
            | Spec::PromptTokens(_)
            | Spec::CompletionTokens(_)
            | Spec::Attempts => Kind::Int,
            Spec::Metric(_) => Kind::Float,
            _ => Kind::Text,
        }
    }
}

/// What a row knows of its run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub run: String,
    pub run_dir: String,
    pub model: String,
    pub suite: String,
    pub protocol: String,
    pub strategy: String,
    /// Breakdown fields of the suite (besides `split`).
    pub fields: Vec<String>,
}

impl RunInfo {
    pub fn new(dir: &std::path::Path, m: &Manifest) -> RunInfo {
        RunInfo {
            run: m.run_id.clone(),
            run_dir: dir.display().to_string(),
            model: m.model.name.clone(),
            suite: m.suite.name.clone(),
            protocol: m.protocol.as_str().to_string(),
            strategy: m.strategy.clone(),
            fields: m
                .suite
                .breakdown
                .iter()
                .filter(|c| *c != "split")
                .cloned()
                .collect(),
        }
    }
}

/// The variable columns' names seen so far, gathered over every run before the first row
/// is written (every chunk has every column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    pub fields: BTreeSet<String>,
    pub metrics: BTreeSet<String>,
    pub roles: BTreeSet<&'static str>,
}

impl Seen {
    pub fn run(&mut self, info: &RunInfo) {
        self.fields.extend(info.fields.iter().cloned());
    }

    pub fn record(&mut self, r: &ItemRecord) {
        if let Some(m) = &r.metrics {
            self.metrics.extend(m.keys().cloned());
        }
        self.roles.extend(tokens(r).into_keys());
    }

    /// Every column, in the documented order.
    pub fn columns(&self) -> Vec<Spec> {
        let mut out = vec![
            Spec::Run,
            Spec::RunDir,
            Spec::Model,
            Spec::Suite,
            Spec::Protocol,
            Spec::Strategy,
            Spec::ItemId,
            Spec::Order,
            Spec::Split,
        ];
        out.extend(self.fields.iter().cloned().map(Spec::Field));
        out.extend([
            Spec::Gold,
            Spec::Response,
            Spec::Extracted,
            Spec::Status,
            Spec::DecidedBy,
        ]);
        out.extend(self.metrics.iter().cloned().map(Spec::Metric));
        out.push(Spec::LatencyMs);
        for role in &self.roles {
            out.push(Spec::PromptTokens(role.to_string()));
            out.push(Spec::CompletionTokens(role.to_string()));
        }
        out.extend([Spec::Attempts, Spec::Error]);
        out
    }
}

fn role_name(call: &CallRecord) -> &'static str {
    call.role.map_or("answer", |r| r.name())
}

/// (prompt, completion) tokens of one record by call role; a record without calls counts
/// its own usage under `answer`.
pub fn tokens(r: &ItemRecord) -> BTreeMap<&'static str, (u64, u64)> {
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

/// One cell's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Text(Option<std::borrow::Cow<'a, str>>),
    Int(Option<u64>),
    Float(Option<f64>),
}

/// The value of column `spec` for record `r` of run `run` (`tokens` = [`tokens`] of `r`).
pub fn cell<'a>(
    spec: &Spec,
    run: &'a RunInfo,
    r: &'a ItemRecord,
    tokens: &BTreeMap<&'static str, (u64, u64)>,
) -> Cell<'a> {
    use std::borrow::Cow::{Borrowed, Owned};
    let text = |s: &'a str| Cell::Text(Some(Borrowed(s)));
    let opt = |s: &'a Option<String>| Cell::Text(s.as_deref().map(Borrowed));
    match spec {
        Spec::Run => text(&run.run),
        Spec::RunDir => text(&run.run_dir),
        Spec::Model => text(&run.model),
        Spec::Suite => text(&run.suite),
        Spec::Protocol => text(&run.protocol),
        Spec::Strategy => text(&run.strategy),
        Spec::ItemId => text(&r.id),
        Spec::Order => Cell::Int(Some(r.order)),
        Spec::Split => opt(&r.split),
        Spec::Field(f) => Cell::Text(r.fields.get(f).map(|v| Borrowed(v.as_str()))),
        Spec::Gold => Cell::Text(Some(Owned(r.gold.answers.join(" | ")))),
        Spec::Response => opt(&r.response),
        Spec::Extracted => opt(&r.extracted),
        Spec::Status => text(match r.status {
            Status::Answered => "answered",
            Status::Failed => "failed",
        }),
        Spec::DecidedBy => Cell::Text(r.how.map(|h| {
            Borrowed(match h {
                How::Rule => "rule",
                How::Judge => "judge",
                How::Unparsed => "unparsed",
            })
        })),
        Spec::Metric(m) => Cell::Float(r.metrics.as_ref().and_then(|x| x.get(m)).copied()),
        Spec::LatencyMs => Cell::Int(r.latency_ms),
        Spec::PromptTokens(role) => Cell::Int(tokens.get(role.as_str()).map(|t| t.0)),
        Spec::CompletionTokens(role) => Cell::Int(tokens.get(role.as_str()).map(|t| t.1)),
        Spec::Attempts => Cell::Int(Some(u64::from(r.attempts))),
        Spec::Error => opt(&r.error),
    }
}
