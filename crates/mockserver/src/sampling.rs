//! What sampling settings do to the mock's answer, so strategies that sample, stop and
//! continue can be tested deterministically:
//! - **Alternatives.** An answer written `A|||B|||C` holds several possible answers. A
//!   request at temperature 0 (or none) gets the first; a sampled request (temperature > 0)
//!   gets alternative `seed % n` (seed 0 when none is sent), so N samples with distinct
//!   seeds differ in a known way.
//! - **Continuation.** When the last message is the assistant's (a prefill), the answer
//!   continues it: only alternatives that start with the prefill are eligible, and the
//!   prefill is cut off the front.
//! - **Stop sequences.** The answer is cut before the first stop sequence it contains, as
//!   OpenAI-compatible servers do (the stop sequence is not returned).
//! - **Token limit.** An answer longer than `max_tokens` x 4 characters (the mock's token
//!   count) is cut there and reported with `finish_reason: "length"` ([`hit_limit`]).

use crate::request::ChatRequest;

/// Separates alternatives inside one configured answer.
pub const ALTERNATIVES: &str = "|||";

/// The text the mock returns for a configured answer under the request's sampling.
pub(crate) fn realise(configured: &str, req: &ChatRequest) -> String {
    let all: Vec<&str> = configured.split(ALTERNATIVES).collect();
    let prefix = req.prefill.as_deref().unwrap_or("");
    let eligible: Vec<&str> = all
        .iter()
        .copied()
        .filter(|a| a.starts_with(prefix))
        .collect();
    let pool = if eligible.is_empty() { &all } else { &eligible };
    let index = if req.sampled {
        (req.seed.unwrap_or(0) % pool.len() as u64) as usize
    } else {
        0
    };
    let chosen = pool[index.min(pool.len() - 1)];
    let mut text = chosen.strip_prefix(prefix).unwrap_or(chosen).to_string();
    if let Some(cut) = req.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
        text.truncate(cut);
    }
    let limit = req
        .max_tokens
        .map(|m| usize::try_from(m.saturating_mul(4)).unwrap_or(usize::MAX));
    if let Some((cut, _)) = limit.and_then(|l| text.char_indices().nth(l)) {
        text.truncate(cut);
    }
    text
}

/// Whether an answer as returned reached the request's token limit (finish reason
/// `length`): it is `max_tokens` x 4 characters long.
pub(crate) fn hit_limit(answer: &str, req: &ChatRequest) -> bool {
    req.max_tokens
        .is_some_and(|m| answer.chars().count() as u64 >= m.saturating_mul(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(sampled: bool, seed: Option<u64>, stop: &[&str], prefill: Option<&str>) -> ChatRequest {
        ChatRequest {
            model: "mock".into(),
            stream: false,
            include_usage: false,
            key: String::new(),
            prompt_chars: 0,
            image_parts: 0,
            has_list_content: false,
            seed,
            sampled,
            stop: stop.iter().map(|s| s.to_string()).collect(),
            prefill: prefill.map(str::to_string),
            max_tokens: None,
        }
    }

    #[test]
    fn seeds_pick_alternatives_only_when_sampling() {
        let answer = "a|||b|||c";
        assert_eq!(realise(answer, &req(false, Some(1), &[], None)), "a");
        assert_eq!(realise(answer, &req(true, Some(1), &[], None)), "b");
        assert_eq!(realise(answer, &req(true, Some(5), &[], None)), "c");
        assert_eq!(realise(answer, &req(true, None, &[], None)), "a");
        assert_eq!(realise("plain", &req(true, Some(3), &[], None)), "plain");
    }

    #[test]
    fn stops_cut_and_prefills_continue() {
        let answer = "<S>x</S><C>y</C>|||<S>z</S><C>w</C>";
        assert_eq!(
            realise(answer, &req(true, Some(1), &["</S>"], None)),
            "<S>z"
        );
        assert_eq!(
            realise(answer, &req(true, Some(0), &["</C>"], Some("<S>z</S>"))),
            "<C>w"
        );
        // A prefill no alternative starts with: the chosen answer is returned whole.
        assert_eq!(realise("abc", &req(false, None, &[], Some("zz"))), "abc");
    }
}
