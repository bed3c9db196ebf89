//! `evalkit report DIR --protocols`: why figures differ between harnesses. For one run, every
//! protocol of its benchmark scores the same stored responses; the report shows each
//! protocol's figure per category and lists the items on which the protocols disagree, with
//! the response, each protocol's extraction and the gold answer (terminal, Markdown, JSON).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::journal::{ItemRecord, RunDir, Status};
use crate::score::How;
use crate::score::protocol::tally::Tally;
use crate::score::protocol::{self, ItemView};

/// What a protocol sees of a stored record.
pub fn view(r: &ItemRecord) -> ItemView<'_> {
    ItemView {
        gold: Some(&r.gold),
        response: match r.status {
            Status::Answered => r.response.as_deref(),
            Status::Failed => None,
        },
        metrics: r.metrics.as_ref(),
        extracted: r.extracted.as_deref(),
        judged: r.how == Some(How::Judge),
        truncated: r.truncated.is_some(),
    }
}

/// One protocol as the report names it.
#[derive(Clone, Debug, Serialize)]
pub struct ProtocolInfo {
    pub name: String,
    pub version: String,
    pub differs: String,
    pub averaged: String,
    /// In percent.
    pub overall: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One protocol's reading of one item.
#[derive(Clone, Debug, Serialize)]
pub struct Reading {
    pub extracted: Option<String>,
    pub correct: f64,
}

/// An item the protocols score differently.
#[derive(Clone, Debug, Serialize)]
pub struct Disagreement {
    pub id: String,
    pub category: Option<String>,
    pub response: String,
    pub gold: Vec<String>,
    /// protocol name -> its reading
    pub by_protocol: BTreeMap<String, Reading>,
}

/// The report of one run.
#[derive(Clone, Debug, Serialize)]
pub struct ProtocolReport {
    pub run: String,
    pub suite: String,
    pub model: String,
    /// The protocol whose prompts the run sent.
    pub run_protocol: String,
    pub protocols: Vec<ProtocolInfo>,
    /// The category field figures are broken down by.
    pub category_field: String,
    /// category -> protocol name -> figure in percent
    pub by_category: BTreeMap<String, BTreeMap<String, f64>>,
    pub disagreements: Vec<Disagreement>,
}

/// The item's category under `field` (`split` falls back to the record's split).
fn category(r: &ItemRecord, field: &str) -> Option<String> {
    r.fields
        .get(field)
        .cloned()
        .or_else(|| (field == "split").then(|| r.split.clone()).flatten())
}

/// Builds the report of one run, or says why its benchmark has none.
pub fn build(run: &RunDir) -> anyhow::Result<ProtocolReport> {
    let m = &run.manifest;
    let all = protocol::for_benchmark(m.suite.benchmark);
    let Some(first) = all.first() else {
        anyhow::bail!(
            "{}: suite `{}` (benchmark {:?}) has only its official scorer; --protocols compares \
             the protocols of MMStar, AI2D and ChartQA",
            run.path.display(),
            m.suite.name,
            m.suite.benchmark
        );
    };
    let field = first.category;
    let mut tally = Tally::new(m.suite.benchmark, m.judge.as_ref().map(|j| j.name.clone()));
    let mut disagreements = Vec::new();
    for r in &run.records {
        let mut fields = r.fields.clone();
        if let (Some(split), false) = (&r.split, fields.contains_key("split")) {
            fields.insert("split".into(), split.clone());
        }
        let v = view(r);
        tally.add(&v, &fields);
        let readings: BTreeMap<String, Reading> = all
            .iter()
            .map(|p| {
                let d = p.decide(&v);
                (
                    p.name.as_str().to_string(),
                    Reading {
                        extracted: d.extracted,
                        correct: d.value,
                    },
                )
            })
            .collect();
        let mut values = readings.values().map(|r| r.correct);
        let first_value = values.next().unwrap_or(0.0);
        if values.any(|v| v != first_value) {
            disagreements.push(Disagreement {
                id: r.id.clone(),
                category: category(r, field),
                response: r.response.clone().unwrap_or_default(),
                gold: r.gold.answers.clone(),
                by_protocol: readings,
            });
        }
    }
    let figures = tally.finish();
    let mut by_category: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (name, f) in &figures {
        for (c, v) in &f.by_category {
            by_category
                .entry(c.clone())
                .or_default()
                .insert(name.clone(), *v);
        }
    }
    let protocols = all
        .iter()
        .filter_map(|p| {
            let f = figures.get(p.name.as_str())?;
            Some(ProtocolInfo {
                name: p.name.as_str().to_string(),
                version: f.version.clone(),
                differs: p.differs.to_string(),
                averaged: f.averaged.clone(),
                overall: f.accuracy,
                note: f.note.clone(),
            })
        })
        .collect();
    Ok(ProtocolReport {
        run: run.path.display().to_string(),
        suite: m.suite.name.clone(),
        model: m.model.name.clone(),
        run_protocol: m.protocol.as_str().to_string(),
        protocols,
        category_field: field.to_string(),
        by_category,
        disagreements,
    })
}

/// A response on one line, cut to `max` characters.
fn short(s: &str, max: usize) -> String {
    let one: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one.chars().count() > max {
        format!("{}…", one.chars().take(max).collect::<String>())
    } else {
        one
    }
}

fn reading(r: Option<&Reading>) -> String {
    match r {
        Some(r) => format!(
            "{} {}",
            if r.correct >= 1.0 { "✓" } else { "✗" },
            r.extracted
                .as_deref()
                .map_or("(none)".to_string(), |e| short(e, 24))
        ),
        None => String::new(),
    }
}

/// The report as terminal tables.
pub fn render_table(report: &ProtocolReport) -> String {
    let names: Vec<&str> = report.protocols.iter().map(|p| p.name.as_str()).collect();
    let mut out = format!(
        "{} · {} · prompts of the {} protocol\n",
        report.suite, report.model, report.run_protocol
    );
    for p in &report.protocols {
        let _ = writeln!(out, "  {:<11} {} — {}", p.name, p.version, p.differs);
        if let Some(note) = &p.note {
            let _ = writeln!(out, "  {:<11} note: {note}", "");
        }
    }
    let mut figures = comfy_table::Table::new();
    let mut header = vec![report.category_field.clone()];
    header.extend(names.iter().map(|n| n.to_string()));
    figures.set_header(header);
    let mut overall = vec!["overall".to_string()];
    overall.extend(report.protocols.iter().map(|p| format!("{:.2}", p.overall)));
    figures.add_row(overall);
    for (c, row) in &report.by_category {
        let mut cells = vec![c.clone()];
        cells.extend(
            names
                .iter()
                .map(|n| row.get(*n).map_or(String::new(), |v| format!("{v:.2}"))),
        );
        figures.add_row(cells);
    }
    let _ = writeln!(out, "{figures}");
    let _ = writeln!(
        out,
        "{} item(s) on which the protocols disagree",
        report.disagreements.len()
    );
    if !report.disagreements.is_empty() {
        let mut items = comfy_table::Table::new();
        let mut header = vec![
            "item".to_string(),
            "response".to_string(),
            "gold".to_string(),
        ];
        header.extend(names.iter().map(|n| n.to_string()));
        items.set_header(header);
        for d in &report.disagreements {
            let mut cells = vec![d.id.clone(), short(&d.response, 48), d.gold.join(" | ")];
            cells.extend(names.iter().map(|n| reading(d.by_protocol.get(*n))));
            items.add_row(cells);
        }
        let _ = writeln!(out, "{items}");
    }
    out
}

/// `|` and newlines would break a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The report as Markdown.
pub fn render_markdown(report: &ProtocolReport) -> String {
    let names: Vec<&str> = report.protocols.iter().map(|p| p.name.as_str()).collect();
    let mut out = format!(
        "## Protocols: {} · {}\n\nPrompts of the `{}` protocol.\n\n| protocol | version | what differs | averaged |\n|---|---|---|---|\n",
        md(&report.suite),
        md(&report.model),
        report.run_protocol
    );
    for p in &report.protocols {
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {} |",
            p.name,
            md(&p.version),
            md(&p.differs),
            p.note
                .as_deref()
                .map_or(String::new(), |n| format!(" ({})", md(n))),
            p.averaged
        );
    }
    let _ = write!(out, "\n| {} |", md(&report.category_field));
    for n in &names {
        let _ = write!(out, " {n} |");
    }
    let _ = write!(out, "\n|---|{}\n| overall |", "---:|".repeat(names.len()));
    for p in &report.protocols {
        let _ = write!(out, " {:.2} |", p.overall);
    }
    out.push('\n');
    for (c, row) in &report.by_category {
        let _ = write!(out, "| {} |", md(c));
        for n in &names {
            let _ = write!(
                out,
                " {} |",
                row.get(*n).map_or(String::new(), |v| format!("{v:.2}"))
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n{} item(s) on which the protocols disagree.\n",
        report.disagreements.len()
    );
    if !report.disagreements.is_empty() {
        let _ = write!(out, "| item | response | gold |");
        for n in &names {
            let _ = write!(out, " {n} |");
        }
        let _ = writeln!(out, "\n|---|---|---|{}", "---|".repeat(names.len()));
        for d in &report.disagreements {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                md(&d.id),
                md(&short(&d.response, 80)),
                md(&d.gold.join(" | "))
            );
            for n in &names {
                let _ = write!(out, " {} |", md(&reading(d.by_protocol.get(*n))));
            }
            out.push('\n');
        }
    }
    out
}

/// The reports in one of `evalkit report`'s formats (CSV has no form for them).
pub fn render(reports: &[ProtocolReport], format: super::Format) -> anyhow::Result<String> {
    use super::Format;
    Ok(match format {
        Format::Table => reports
            .iter()
            .map(render_table)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Markdown => reports
            .iter()
            .map(render_markdown)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json if reports.len() == 1 => serde_json::to_string_pretty(&reports[0])?,
        Format::Json => serde_json::to_string_pretty(reports)?,
        Format::Csv => anyhow::bail!(
            "--protocols prints a table, Markdown or JSON; use --format table|markdown|json"
        ),
    })
}
