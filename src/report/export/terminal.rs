//! The score tables printed at the end of a run and by `evalkit report`: one run's
//! breakdown table with counts and request totals, or for several runs one overview table
//! (see [`super::overview`]).

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::{Exporter, overview};
use crate::journal::Summary;
use crate::score::aggregate::Group;

pub struct TerminalExporter;

impl Exporter for TerminalExporter {
    fn serialize(&self, runs: &[Summary]) -> anyhow::Result<Vec<u8>> {
        Ok(match runs {
            [one] => render(one),
            several => render_overview(several),
        }
        .into_bytes())
    }
}

fn score(value: Option<f64>, ci95: Option<f64>) -> String {
    let value = value.map_or("-".to_string(), |v| format!("{v:.2}"));
    let ci = ci95.map_or(String::new(), |c| format!(" ±{c:.1}"));
    format!("{value}{ci}")
}

fn row(label: &str, group: &Group, metrics: &[String]) -> Vec<Cell> {
    let mut cells = vec![
        Cell::new(label),
        Cell::new(group.n).set_alignment(CellAlignment::Right),
    ];
    for m in metrics {
        cells.push(
            Cell::new(score(
                group.metrics.get(m).copied(),
                group.ci95.get(m).copied(),
            ))
            .set_alignment(CellAlignment::Right),
        );
    }
    cells
}

/// One run's tables as text.
pub fn render(s: &Summary) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["group".to_string(), "n".to_string()];
    header.extend(s.metrics.iter().map(|m| {
        if *m == s.primary_metric {
            format!("{m} (official)")
        } else {
            m.clone()
        }
    }));
    table.set_header(header);
    for (column, groups) in &s.scores.by {
        for (value, group) in groups {
            table.add_row(row(&format!("{column}={value}"), group, &s.metrics));
        }
    }
    table.add_row(row("overall", &s.scores.overall, &s.metrics));
    let c = &s.counts;
    let mut out = format!(
        "{} on {} (run {}, scorer {})\n{table}\n",
        s.model, s.suite, s.run_id, s.scorer
    );
    out.push_str(&format!(
        "items: {} total, {} answered, {} failed, {} invalid, {} unparsed, {} pending{}\n",
        c.total,
        c.answered,
        c.failed,
        c.invalid,
        c.unparsed,
        c.pending,
        if c.truncated > 0 {
            format!(
                ", {} truncated (token limit or unclosed reasoning; scored wrong)",
                c.truncated
            )
        } else {
            String::new()
        }
    ));
    if !s.failures.is_empty() {
        out.push_str(&crate::report::summary::describe_failures(
            c.failed,
            &s.failures,
        ));
        out.push('\n');
    }
    let r = &s.requests;
    out.push_str(&format!(
        "requests: {} sent ({} retries, {} from journal, {} failed calls), {:.1}/s, {} prompt + {} completion tokens, {:.1}s wall\n",
        r.sent, r.retries, r.cache_hits, r.failed_calls, r.per_second, r.prompt_tokens, r.completion_tokens, s.wall_time_s
    ));
    out.push_str(&traffic_lines(r));
    if let Some(c) = &s.scores.overall.cluster {
        let m = &s.primary_metric;
        if let (Some(ci), Some(deff)) = (c.ci95.get(m), c.design_effect.get(m)) {
            out.push_str(&format!(
                "clustered by {} ({} clusters): {m} ±{ci:.1} (95%, cluster-robust), design effect {deff:.2}\n",
                c.column, c.clusters
            ));
        }
    }
    if let Some(line) = cost_line(s) {
        out.push_str(&line);
    }
    out.push_str(&protocol_lines(s));
    for note in &s.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    if !s.complete {
        out.push_str("the run is incomplete: re-run the same command to resume\n");
    }
    out
}

/// Every protocol's figure from the same responses, one line each, the run's own marked
/// (nothing for benchmarks with only the official protocol).
fn protocol_lines(s: &Summary) -> String {
    let mut out = String::new();
    for name in crate::score::protocol::ProtocolName::ALL {
        let Some(f) = s.protocols.get(name.as_str()) else {
            continue;
        };
        out.push_str(&format!(
            "protocol {:<11}{:>8.2}  {} ({}){}{}\n",
            name.as_str(),
            f.accuracy,
            f.version,
            if f.averaged == "items" {
                "mean over items".to_string()
            } else {
                f.averaged.clone()
            },
            if name == s.protocol {
                ", this run's prompts"
            } else {
                ""
            },
            f.note
                .as_deref()
                .map_or(String::new(), |n| format!("; {n}"))
        ));
    }
    out
}

/// What the items cost per item, by role, when a strategy made more than one call per
/// item or asked for a format (single-call runs keep their table as it always was).
fn cost_line(s: &Summary) -> Option<String> {
    let c = &s.cost;
    let multi = c.total.calls_per_item > 1.0 || c.by_role.len() > 1;
    if !multi && c.format_followed.is_none() {
        return None;
    }
    let roles: Vec<String> = c
        .by_role
        .iter()
        .map(|(role, r)| format!("{role} {:.2}", r.calls_per_item))
        .collect();
    let mut line = format!(
        "cost per item: {:.2} calls ({}), {:.1} prompt + {:.1} completion tokens",
        c.total.calls_per_item,
        roles.join(", "),
        c.total.prompt_tokens_per_item,
        c.total.completion_tokens_per_item
    );
    if let Some(f) = &c.format_followed {
        line.push_str(&format!(
            "; format followed by {} of {} ({:.1}%)",
            f.followed, f.of, f.rate
        ));
    }
    line.push('\n');
    Some(line)
}

/// Several runs: one row per run and metric, overall scores.
fn render_overview(runs: &[Summary]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "suite", "model", "strategy", "run", "metric", "n", "overall",
    ]);
    for r in overview::rows(runs) {
        let s = r.summary;
        table.add_row(vec![
            Cell::new(&s.suite),
            Cell::new(&s.model),
            Cell::new(r.strategy()),
            Cell::new(&s.run_id),
            Cell::new(r.metric_label()),
            Cell::new(r.n).set_alignment(CellAlignment::Right),
            Cell::new(score(r.score, r.ci95)).set_alignment(CellAlignment::Right),
        ]);
    }
    let mut out = format!("{} runs\n{table}\n", runs.len());
    for line in overview::footnotes(runs) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Per model with several replicas, a line per replica (requests, errors, mean latency,
/// breaker trips); per model under `max_concurrency = "auto"`, the concurrency reached.
fn traffic_lines(r: &crate::journal::summary::Requests) -> String {
    let mut out = String::new();
    for (label, m) in &r.by_model {
        for e in &m.endpoints {
            out.push_str(&format!(
                "  {label} at {}: {} requests, {} errors, {:.1} ms mean latency{}\n",
                e.url,
                e.requests,
                e.errors,
                e.mean_latency_ms,
                if e.breaker_trips > 0 {
                    format!(", breaker opened {}x", e.breaker_trips)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(c) = &m.concurrency {
            out.push_str(&format!(
                "  {label} concurrency (auto, at most {}): final {}, max {}, mean {:.1}; {} overload replies retried, {} decreases\n",
                c.limit, c.final_limit, c.max, c.mean, c.overloaded, c.decreases
            ));
        }
    }
    out
}
