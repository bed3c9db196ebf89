//! Scores a JSON Lines file of responses under every protocol of their benchmark, without a
//! run directory, so `scripts/conformance/protocols.py` can compare evalkit's item-level
//! decisions with the upstream scorers'. No judge: what the rules cannot read stays unread.
//!
//! ```text
//! cargo run --release --example score_protocols -- responses.jsonl > decisions.jsonl
//! ```
//!
//! Input, one object a line: `{"id": "7", "benchmark": "mmstar", "response": "...",
//! "answers": ["B"], "choices": [["A", "text"], ...], "fields": {"l2_category": "..."}}`.
//! Output, one object per item and protocol: `{"id", "protocol", "value", "extracted"}`, and
//! last one `{"figures": {protocol: {...}}}` line per benchmark with the aggregated figures.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use evalkit::card::suite::Benchmark;
use evalkit::score::protocol::tally::Tally;
use evalkit::score::protocol::{self, ItemView};
use evalkit::score::{Gold, by_name};
use evalkit::suite::Choice;
use serde::Deserialize;

#[derive(Deserialize)]
struct Input {
    id: String,
    benchmark: Benchmark,
    response: String,
    answers: Vec<String>,
    #[serde(default)]
    choices: Vec<(String, String)>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

fn scorer_for(benchmark: Benchmark) -> anyhow::Result<&'static str> {
    Ok(match benchmark {
        Benchmark::Mmstar | Benchmark::Ai2d => "multiple_choice",
        Benchmark::Chartqa => "relaxed_accuracy",
        other => anyhow::bail!("benchmark {other:?} has no protocols to compare"),
    })
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: score_protocols RESPONSES.jsonl"))?;
    let file =
        std::fs::File::open(&path).map_err(|e| anyhow::anyhow!("cannot open {path}: {e}"))?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let input: Input =
            serde_json::from_str(&line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        let scorer = by_name(scorer_for(input.benchmark)?).map_err(anyhow::Error::msg)?;
        let gold = Gold {
            answers: input.answers.clone(),
            choices: input
                .choices
                .iter()
                .map(|(label, text)| Choice {
                    label: label.clone(),
                    text: text.clone(),
                })
                .collect(),
            fields: input.fields.clone(),
        };
        let score = scorer.score(&gold, &input.response);
        let view = ItemView {
            gold: Some(&gold),
            response: Some(&input.response),
            metrics: Some(&score.metrics),
            extracted: score.extracted.as_deref(),
            judged: false,
            truncated: false,
        };
        for p in protocol::for_benchmark(input.benchmark) {
            let d = p.decide(&view);
            let row = serde_json::json!({
                "id": input.id,
                "protocol": p.name.as_str(),
                "value": d.value,
                "extracted": d.extracted,
            });
            writeln!(out, "{row}")?;
        }
        let key = format!("{:?}", input.benchmark);
        tallies
            .entry(key)
            .or_insert_with(|| Tally::new(input.benchmark, None))
            .add(&view, &input.fields);
    }
    for (benchmark, tally) in tallies {
        let row = serde_json::json!({ "benchmark": benchmark, "figures": tally.finish() });
        writeln!(out, "{row}")?;
    }
    out.flush()?;
    Ok(())
}
