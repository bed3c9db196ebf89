//! LLaVA-CoT's stage-level beam search, as its authors implement it
//! (`generate_inner_stage_beam` in `inference/demo/simple_inference.py`,
//! PKU-YuanGroup/LLaVA-CoT at 081cc3f, 2025-12-12): for each stage in turn (SUMMARY,
//! CAPTION, REASONING, CONCLUSION) N continuations of the chosen text so far are sampled
//! (temperature 0.6, top_p 0.9) that stop at the stage's closing tag; a pairwise knockout
//! with the stage's judge prompt keeps one (see [`super::knockout`]), and generation
//! continues from it. The answer is the final CONCLUSION.
//!
//! Over the chat-completions protocol, "continue from the chosen text" is an assistant
//! prefill: the request ends with an assistant message holding the text so far, which the
//! server continues (llama.cpp's server and vLLM with `continue_final_message` do; a
//! server that starts a new turn instead still yields stage text, but the chain is then
//! looser than the authors'). The stop tag, which OpenAI-compatible servers leave out of
//! the reply, is put back, as the authors' stopping criterion keeps it. Seeds are the
//! candidate's index, so a re-run makes exactly the same calls; every candidate, judge
//! call and round is journaled.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::best_of_n::image_parts;
use super::direct::Direct;
use super::knockout::{Compare, knockout};
use super::stages::{self, STAGES};
use super::{Answer, CallRole, Calls, Strategy, prompt};
use crate::adapter::{Message, Part, Request, Role, Sampling};
use crate::suite::Item;

/// Candidates per stage and the authors' sampling.
pub struct StageBeam {
    pub direct: Direct,
    pub n: u32,
}

impl StageBeam {
    pub fn new(suite_template: &str, image_max_side: Option<u32>, n: u32) -> Self {
        StageBeam {
            direct: Direct {
                template: stages::template(suite_template),
                image_max_side,
            },
            n,
        }
    }
}

/// The request continuing `prefix` for candidate `i` of a stage ending in `close`.
fn continuation(base: &Request, prefix: &str, close: &str, i: u32) -> Request {
    let mut request = base.clone();
    if !prefix.is_empty() {
        request.messages.push(Message {
            role: Role::Assistant,
            parts: vec![Part::Text {
                text: prefix.to_string(),
            }],
        });
    }
    request.with_sampling(Sampling {
        temperature: Some(0.6),
        top_p: Some(0.9),
        seed: Some(u64::from(i)),
        sample: i,
        stop: vec![close.to_string()],
        ..Sampling::default()
    })
}

impl Strategy for StageBeam {
    fn id(&self) -> String {
        format!("stage-beam:{}|{}", self.n, self.direct.id())
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
            let base = self.direct.request(item)?;
            let question = prompt::render(&self.direct.template, item);
            let images = image_parts(&base);
            let mut text = String::new();
            let mut trace = Vec::new();
            for (stage, tag) in STAGES.iter().enumerate() {
                let close = format!("</{tag}>");
                let requests: Vec<Request> = (0..self.n)
                    .map(|i| continuation(&base, &text, &close, i))
                    .collect();
                let mut candidates = Vec::new();
                for outcome in calls.many(CallRole::Answer, &requests).await {
                    let reply = outcome.result.map_err(|e| format!("stage {tag}: {e}"))?;
                    let mut candidate = format!("{text}{}", reply.text);
                    if !reply.text.contains(&close) {
                        candidate.push_str(&close);
                    }
                    candidates.push(candidate);
                }
                let (winner, rounds) = knockout(
                    calls,
                    Compare::Stage(stage),
                    &question,
                    &images,
                    &candidates,
                )
                .await
                .map_err(|e| format!("stage {tag} judge: {e}"))?;
                trace.push(serde_json::json!({
                    "stage": tag,
                    "candidates": candidates.len(),
                    "rounds": rounds
                        .iter()
                        .map(|(a, b, w)| serde_json::json!({"first": a, "second": b, "winner": w}))
                        .collect::<Vec<_>>(),
                    "winner": winner,
                }));
                text = candidates.swap_remove(winner);
            }
            let answer = stages::answer_of(text);
            Ok(Answer {
                trace: Some(serde_json::Value::Array(trace)),
                ..answer
            })
        }
        .boxed()
    }
}
