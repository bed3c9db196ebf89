//! How the model that answers turns a prompt into an answer: one call (`direct`), one
//! chain-of-thought call (`cot`), or N chain-of-thought samples and a vote
//! (`self-consistency:N`). The plain strategies use it for the model under test; the
//! decoupled strategy uses it for its reasoning step (`decoupled:gold-table,reason=cot`),
//! so the seed papers' reasoning methods combine with perception sources.

use std::fmt;

use super::cot::{self, answer_of};
use super::sample::samples;
use super::self_consistency::vote;
use super::{Answer, CallRole, Calls};
use crate::adapter::{Part, Request};

/// How the answering model is asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reasoning {
    Direct,
    Cot,
    SelfConsistency { n: u32, temperature: f32 },
}

impl Reasoning {
    /// The prompt text the model gets for a question prompt.
    pub fn prompt(&self, prompt: &str) -> String {
        match self {
            Reasoning::Direct => prompt.to_string(),
            Reasoning::Cot | Reasoning::SelfConsistency { .. } => cot::instruct(prompt),
        }
    }

    /// Asks the run's model (journaled under `role`) and returns the answer.
    pub async fn ask(
        &self,
        calls: &Calls,
        role: CallRole,
        request: Request,
    ) -> Result<Answer, String> {
        match *self {
            Reasoning::Direct => Ok(calls.model(role, &request).await.result?.text.into()),
            Reasoning::Cot => Ok(answer_of(calls.model(role, &request).await.result?.text)),
            Reasoning::SelfConsistency { n, temperature } => {
                let requests = samples(&request, n, temperature, None);
                vote(calls.many(role, &requests).await)
            }
        }
    }

    /// [`ask`](Self::ask) with one user message of `parts` and the prompt text last.
    pub async fn ask_parts(
        &self,
        calls: &Calls,
        role: CallRole,
        mut parts: Vec<Part>,
        prompt: &str,
    ) -> Result<Answer, String> {
        parts.push(Part::Text {
            text: self.prompt(prompt),
        });
        self.ask(calls, role, Request::user(parts)).await
    }
}

impl fmt::Display for Reasoning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reasoning::Direct => write!(f, "direct"),
            Reasoning::Cot => write!(f, "cot"),
            // Nested in a decoupled spec, self-consistency takes the default temperature.
            Reasoning::SelfConsistency { n, .. } => write!(f, "self-consistency:{n}"),
        }
    }
}
