//! Turning a strategy's outcome into a journal record: scoring the answer, summing
//! latency and usage over calls, and deciding whether a resumed item needs a new line.

use crate::adapter::Usage;
use crate::journal::record::CallRecord;
use crate::journal::{ItemRecord, Status};
use crate::score::Gold;
use crate::score::decide::Decision;
use crate::strategy::{Call, CallRole, Outcome};
use crate::suite::Item;

/// The scorer's view of an item.
pub fn gold(item: &Item) -> Gold {
    Gold {
        answers: item.answers.clone(),
        choices: item.choices.clone(),
        fields: item.fields.clone(),
    }
}

/// The hash identifying an item's requests: its strategy's calls (the judge's call, made
/// after the answer, is not part of it).
pub fn outcome_hash(calls: &[Call]) -> String {
    let mut strategy_calls = calls.iter().filter(|c| c.role != CallRole::Judge);
    match (strategy_calls.next(), strategy_calls.next()) {
        (Some(one), None) => one.outcome.hash.clone(),
        _ => {
            let mut h = blake3::Hasher::new();
            for c in calls.iter().filter(|c| c.role != CallRole::Judge) {
                h.update(c.outcome.hash.as_bytes());
                h.update(b"\n");
            }
            h.finalize().to_hex()[..32].to_string()
        }
    }
}

/// Why an answered item is cut short, from its answering call's finish reason: the token
/// limit (`length`) or reasoning that never closed.
pub fn truncation(finish_reason: Option<String>) -> Option<String> {
    finish_reason.filter(|r| {
        matches!(
            r.as_str(),
            "length" | crate::adapter::http::REASONING_UNCLOSED
        )
    })
}

/// The decision for a cut-short answer: every metric 0.
pub fn zero(scorer: &dyn crate::score::Scorer) -> Decision {
    Decision {
        score: crate::score::Score {
            metrics: scorer
                .metric_names()
                .into_iter()
                .map(|m| (m.to_string(), 0.0))
                .collect(),
            extracted: None,
            how: crate::score::How::Unparsed,
        },
        judge: None,
    }
}

/// One call as the journal keeps it.
pub fn call_record(call: &Call) -> CallRecord {
    let (response, error) = match &call.outcome.result {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.clone())),
    };
    CallRecord {
        role: Some(call.role),
        model: call.model.clone(),
        request_hash: call.outcome.hash.clone(),
        response: response.map(|r| r.text.clone()),
        is_answer: false,
        reasoning: response.and_then(|r| r.reasoning.clone()),
        finish_reason: response.and_then(|r| r.finish_reason.clone()),
        error,
        attempts: call.outcome.attempts,
        latency_ms: response.map(|r| r.latency.as_millis() as u64),
        usage: response.and_then(|r| r.usage),
    }
}

/// Builds the record for an item's outcome and its decision (None when the item failed),
/// in the journal's compact form.
pub fn build(item: &Item, outcome: &Outcome, judged: Option<Decision>) -> ItemRecord {
    let mut usage: Option<Usage> = None;
    let mut latency_ms: Option<u64> = None;
    let mut attempts = 0;
    for call in outcome.calls.iter().filter(|c| c.role != CallRole::Judge) {
        attempts += call.outcome.attempts;
        if let Ok(r) = &call.outcome.result {
            *latency_ms.get_or_insert(0) += r.latency.as_millis() as u64;
            if let Some(u) = r.usage {
                let total = usage.get_or_insert_with(Usage::default);
                total.prompt_tokens += u.prompt_tokens;
                total.completion_tokens += u.completion_tokens;
            }
        }
    }
    let gold = gold(item);
    let (judge, score) = match judged {
        Some(d) => (d.judge, Some(d.score)),
        None => (None, None),
    };
    let (status, response, error) = match &outcome.answer {
        Ok(answer) => (Status::Answered, Some(answer.text.clone()), None),
        Err(e) => (Status::Failed, None, Some(e.clone())),
    };
    let mut record = ItemRecord {
        id: item.id.clone(),
        order: item.order,
        source: item.source.clone(),
        status,
        request_hash: outcome_hash(&outcome.calls),
        response,
        extracted: score.as_ref().and_then(|s| s.extracted.clone()),
        extracted_is_response: false,
        metrics: score.as_ref().map(|s| s.metrics.clone()),
        how: score.as_ref().map(|s| s.how),
        latency_ms,
        usage,
        attempts,
        error,
        split: item.split.clone(),
        fields: item.fields.clone(),
        // Fields are stored once, beside the gold answers.
        gold: Gold {
            fields: Default::default(),
            ..gold
        },
        calls: outcome.calls.iter().map(call_record).collect(),
        format_followed: outcome.answer.as_ref().ok().and_then(|a| a.format_followed),
        trace: outcome.answer.as_ref().ok().and_then(|a| a.trace.clone()),
        truncated: None,
        judge,
        at: chrono::Utc::now().to_rfc3339(),
    };
    record.compact();
    record
}

/// True when a new record says nothing the previous one did not: every call (the judge's
/// too) came from the journal and the previous record is the same answered outcome, with
/// the same breakdown fields and gold (a resume from another format of the data may bring
/// fields the first lacked: breakdowns come from the data of the current session).
pub fn unchanged(previous: Option<&ItemRecord>, new: &ItemRecord, outcome: &Outcome) -> bool {
    let Some(prev) = previous else { return false };
    outcome.calls.iter().all(|c| c.outcome.cached)
        && prev.judge.as_ref().map(|j| &j.request_hash)
            == new.judge.as_ref().map(|j| &j.request_hash)
        && prev.status == Status::Answered
        && new.status == Status::Answered
        && prev.request_hash == new.request_hash
        && prev.metrics == new.metrics
        && prev.order == new.order
        && prev.fields == new.fields
        && prev.split == new.split
        && prev.gold == new.gold
}
