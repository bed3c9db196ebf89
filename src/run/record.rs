//! Turning a strategy's outcome into a journal record: scoring the answer, summing
//! latency and usage over calls, and deciding whether a resumed item needs a new line.

use crate::adapter::Usage;
use crate::journal::record::CallRecord;
use crate::journal::{ItemRecord, Status};
use crate::score::Gold;
use crate::score::decide::Decision;
use crate::strategy::Outcome;
use crate::suite::Item;

/// The scorer's view of an item.
pub fn gold(item: &Item) -> Gold {
    Gold {
        answers: item.answers.clone(),
        choices: item.choices.clone(),
        fields: item.fields.clone(),
    }
}

/// The hash identifying all requests of an outcome.
pub fn outcome_hash(outcome: &Outcome) -> String {
    match outcome.calls.as_slice() {
        [one] => one.hash.clone(),
        calls => {
            let mut h = blake3::Hasher::new();
            for c in calls {
                h.update(c.hash.as_bytes());
                h.update(b"\n");
            }
            h.finalize().to_hex()[..32].to_string()
        }
    }
}

/// Builds the record for an item's outcome and its score (None when the item failed).
pub fn build(item: &Item, outcome: &Outcome, judged: Option<Decision>) -> ItemRecord {
    let mut usage: Option<Usage> = None;
    let mut latency_ms: Option<u64> = None;
    let mut attempts = 0;
    for call in &outcome.calls {
        attempts += call.attempts;
        if let Ok(r) = &call.result {
            *latency_ms.get_or_insert(0) += r.latency.as_millis() as u64;
            if let Some(u) = r.usage {
                let total = usage.get_or_insert_with(Usage::default);
                total.prompt_tokens += u.prompt_tokens;
                total.completion_tokens += u.completion_tokens;
            }
        }
    }
    let calls = if outcome.calls.len() > 1 {
        outcome
            .calls
            .iter()
            .map(|c| CallRecord {
                request_hash: c.hash.clone(),
                response: c.result.as_ref().ok().map(|r| r.text.clone()),
                error: c.result.as_ref().err().cloned(),
                attempts: c.attempts,
                latency_ms: c.result.as_ref().ok().map(|r| r.latency.as_millis() as u64),
                usage: c.result.as_ref().ok().and_then(|r| r.usage),
            })
            .collect()
    } else {
        Vec::new()
    };
    let gold = gold(item);
    let (judge, score) = match judged {
        Some(d) => (d.judge, Some(d.score)),
        None => (None, None),
    };
    let (status, response, error) = match &outcome.answer {
        Ok(text) => (Status::Answered, Some(text.clone()), None),
        Err(e) => (Status::Failed, None, Some(e.clone())),
    };
    ItemRecord {
        id: item.id.clone(),
        order: item.order,
        source: item.source.clone(),
        status,
        request_hash: outcome_hash(outcome),
        response,
        extracted: score.as_ref().and_then(|s| s.extracted.clone()),
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
        calls,
        judge,
        at: chrono::Utc::now().to_rfc3339(),
    }
}

/// True when a new record says nothing the previous one did not: every call (the judge's
/// too) came from the journal and the previous record is the same answered outcome.
pub fn unchanged(
    previous: Option<&ItemRecord>,
    new: &ItemRecord,
    outcome: &Outcome,
    judge_cached: bool,
) -> bool {
    let Some(prev) = previous else { return false };
    judge_cached
        && outcome.calls.iter().all(|c| c.cached)
        && prev.judge.as_ref().map(|j| &j.request_hash)
            == new.judge.as_ref().map(|j| &j.request_hash)
        && prev.status == Status::Answered
        && new.status == Status::Answered
        && prev.request_hash == new.request_hash
        && prev.metrics == new.metrics
        && prev.order == new.order
}
