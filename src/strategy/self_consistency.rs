//! Self-consistency (Wang et al., 2023): N chain-of-thought samples at a temperature
//! (default 0.7) with distinct seeds, and the majority of their extracted answers.
//!
//! Extraction: each sample's final-answer line (see [`super::cot`]), or the whole reply.
//! Answers are compared after normalisation: trimmed, lower-cased, surrounding quotes and
//! markdown emphasis removed, trailing periods removed, inner whitespace collapsed. Ties
//! are broken by the earliest sample: among the answers with the most votes, the one whose
//! first vote came first wins, and the answer scored is that first sample's extracted
//! text (so the suite's scorer sees a real reply, not the normalised key). Samples that
//! failed do not vote; the item fails only when every sample failed.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::cot::{ChainOfThought, answer_of};
use super::reasoning::Reasoning;
use super::{Answer, CallRole, Calls, Strategy};
use crate::suite::Item;

/// N samples and a majority vote.
pub struct SelfConsistency {
    pub cot: ChainOfThought,
    pub n: u32,
    pub temperature: f32,
}

/// The form answers are compared in.
pub fn vote_key(answer: &str) -> String {
    let trimmed = answer
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '*' | '`'))
        .trim()
        .trim_end_matches('.')
        .trim();
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The index of the winning answer among `answers` (None when empty).
pub fn majority(answers: &[String]) -> Option<usize> {
    let keys: Vec<String> = answers.iter().map(|a| vote_key(a)).collect();
    let mut best: Option<(usize, usize)> = None; // (votes, first index)
    for (i, key) in keys.iter().enumerate() {
        if keys[..i].contains(key) {
            continue;
        }
        let votes = keys.iter().filter(|k| *k == key).count();
        if best.is_none_or(|(v, _)| votes > v) {
            best = Some((votes, i));
        }
    }
    best.map(|(_, i)| i)
}

/// The majority answer of samples by the rule above; each sample's answer is its
/// final-answer line. Fails only when every sample failed.
pub fn vote(outcomes: Vec<crate::schedule::CallOutcome>) -> Result<Answer, String> {
    let mut last_error = None;
    let mut answers = Vec::new();
    for outcome in outcomes {
        match outcome.result {
            Ok(reply) => answers.push(answer_of(reply.text)),
            Err(e) => last_error = Some(e),
        }
    }
    let texts: Vec<String> = answers.iter().map(|a| a.text.clone()).collect();
    let Some(winner) = majority(&texts) else {
        return Err(last_error.unwrap_or_else(|| "no samples".into()));
    };
    let key = vote_key(&texts[winner]);
    let votes = texts.iter().filter(|t| vote_key(t) == key).count();
    Ok(Answer {
        text: texts[winner].clone(),
        format_followed: Some(answers.iter().all(|a| a.format_followed == Some(true))),
        trace: Some(serde_json::json!({
            "answers": texts,
            "winner": winner,
            "votes": votes,
        })),
    })
}

impl Strategy for SelfConsistency {
    fn id(&self) -> String {
        format!(
            "self-consistency:{}|t={}|{}",
            self.n,
            self.temperature,
            self.cot.id()
        )
    }

    fn streams_calls(&self) -> bool {
        true
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        async move {
            let request = self.cot.direct.request(item)?;
            let reasoning = Reasoning::SelfConsistency {
                n: self.n,
                temperature: self.temperature,
            };
            reasoning.ask(calls, CallRole::Answer, request).await
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_majority_wins_and_ties_go_to_the_earliest() {
        assert_eq!(majority(&strings(&["3", "4", "4"])), Some(1));
        assert_eq!(majority(&strings(&["4", "3"])), Some(0));
        assert_eq!(majority(&strings(&["a", "b", "b", "a"])), Some(0));
        assert_eq!(
            majority(&strings(&["Paris.", " paris", "**PARIS**"])),
            Some(0)
        );
        assert_eq!(majority(&[]), None);
        assert_eq!(vote_key("  \"The  Answer.\" "), "the answer");
    }
}
