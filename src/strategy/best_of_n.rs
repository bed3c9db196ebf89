//! Best-of-N: N samples of the suite's prompt at a temperature (default 0.7) with distinct
//! seeds, then a pairwise knockout in which a judge (the run's `--judge` when given, else
//! the model itself, as LLaVA-CoT's `generate_inner_best_of_N` does) keeps the better of
//! two whole answers until one is left (see [`super::knockout`]). Every sample and every
//! comparison is a journaled call; the rounds are in the record's trace.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::direct::Direct;
use super::knockout::{Compare, knockout};
use super::sample::samples;
use super::{Answer, CallRole, Calls, Strategy, prompt};
use crate::adapter::Part;
use crate::suite::Item;

/// N samples and a judged knockout.
pub struct BestOfN {
    pub direct: Direct,
    pub n: u32,
    pub temperature: f32,
}

/// The item's images as request parts (judges see the image too).
pub fn image_parts(request: &crate::adapter::Request) -> Vec<Part> {
    request
        .messages
        .iter()
        .flat_map(|m| m.parts.iter())
        .filter(|p| matches!(p, Part::Image { .. }))
        .cloned()
        .collect()
}

impl Strategy for BestOfN {
    fn id(&self) -> String {
        format!(
            "best-of-n:{}|t={}|{}",
            self.n,
            self.temperature,
            self.direct.id()
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
            let request = self.direct.request(item)?;
            let requests = samples(&request, self.n, self.temperature, None);
            let mut candidates = Vec::new();
            let mut last_error = None;
            for outcome in calls.many(CallRole::Answer, &requests).await {
                match outcome.result {
                    Ok(reply) => candidates.push(reply.text),
                    Err(e) => last_error = Some(e),
                }
            }
            if candidates.is_empty() {
                return Err(last_error.unwrap_or_else(|| "no samples".into()));
            }
            let question = prompt::render(&self.direct.template, item);
            let images = image_parts(&request);
            let (winner, rounds) =
                knockout(calls, Compare::All, &question, &images, &candidates).await?;
            Ok(Answer {
                text: candidates[winner].clone(),
                format_followed: None,
                trace: Some(serde_json::json!({
                    "candidates": candidates.len(),
                    "rounds": rounds
                        .iter()
                        .map(|(a, b, w)| serde_json::json!({"first": a, "second": b, "winner": w}))
                        .collect::<Vec<_>>(),
                    "winner": winner,
                })),
            })
        }
        .boxed()
    }
}
