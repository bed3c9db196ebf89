//! The decoupled strategy (after Prism): a perception source describes the image, and a
//! text-only reasoning model answers from that description, the question and the options.
//! Holding one side fixed while swapping the other shows whether a model fails at seeing
//! or at thinking.
//!
//! Perception sources: a VLM (any model card), `ocr` (an `onnx-ocr` card: text lines in
//! reading order), `gold-table` (the item's gold data table: the oracle), `none` (no
//! description: the blind baseline), or several of them, whose descriptions are joined
//! under headers. Instructions: query-agnostic (Prism's fixed instruction) or
//! query-specific (the reasoning model first lists what must be observed, without
//! answering, and that list is appended to the instruction). Every call goes through a
//! dispatcher, so descriptions are cached by request hash; with the on-disk cache they
//! are reused by every reasoning model.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::reasoning::Reasoning;
use super::{Answer, CallRole, Calls, Strategy, encode, prompt};
use crate::adapter::{Part, Request};
use crate::suite::Item;
use crate::template::fill;

const AGNOSTIC: &str = include_str!("../../prompts/prism_agnostic.txt");
const OBSERVE: &str = include_str!("../../prompts/prism_observe.txt");
const SPECIFIC: &str = include_str!("../../prompts/prism_specific.txt");
const REASON: &str = include_str!("../../prompts/prism_reason.txt");

/// Where a description comes from.
pub enum Perception {
    /// A model that sees the image (a VLM, or PP-OCR), called through the run's `perceive`
    /// role.
    Model {
        /// The source as the strategy spec names it (the call context's key).
        source: String,
        /// The model card's name.
        name: String,
        /// The model's fingerprint (part of the strategy's id).
        fingerprint: String,
    },
    /// The item's gold data table (`fields["gold_table"]`): the oracle.
    GoldTable,
    /// Nothing: the reasoning model sees only the question (the blind baseline).
    None,
}

impl Perception {
    pub fn name(&self) -> &str {
        match self {
            Perception::Model { name, .. } => name,
            Perception::GoldTable => "gold-table",
            Perception::None => "none",
        }
    }
}

/// Which perception instruction to use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Instruction {
    /// Prism's fixed, question-independent instruction.
    Agnostic,
    /// The instruction plus what the reasoning model says must be observed.
    Specific,
}

/// Perception sources, then the run's model as the reasoner.
pub struct Decoupled {
    pub perception: Vec<Perception>,
    pub instruction: Instruction,
    /// How the reasoning model answers from the description (one call by default).
    pub reason: Reasoning,
    /// The suite's prompt template (question, options).
    pub template: String,
    pub image_max_side: Option<u32>,
}

impl Decoupled {
    /// The perception request for one model source.
    fn perception_request(
        &self,
        item: &Item,
        observations: Option<&str>,
    ) -> Result<Request, String> {
        let instruction = match observations {
            Some(obs) => fill(SPECIFIC, &[("{observations}", obs.trim())]),
            None => AGNOSTIC.to_string(),
        };
        let mut parts = Vec::with_capacity(item.images.len() + 1);
        for image in &item.images {
            parts.push(Part::Image {
                image: encode::encode(image, self.image_max_side)?,
            });
        }
        parts.push(Part::Text {
            text: instruction.trim_end().to_string(),
        });
        Ok(Request::user(parts))
    }

    async fn describe(
        &self,
        item: &Item,
        observations: Option<&str>,
        calls: &Calls,
    ) -> Result<String, String> {
        let mut sections = Vec::new();
        for source in &self.perception {
            let text = match source {
                Perception::None => continue,
                Perception::GoldTable => {
                    item.fields.get("gold_table").cloned().ok_or_else(|| {
                        format!(
                            "item {} has no gold table (perception source gold-table)",
                            item.id
                        )
                    })?
                }
                Perception::Model { source, .. } => {
                    let request = self.perception_request(item, observations)?;
                    calls.perceive(source, &request).await.result?.text
                }
            };
            sections.push(if self.perception.len() > 1 {
                format!("[{}]\n{}", source.name(), text.trim())
            } else {
                text.trim().to_string()
            });
        }
        Ok(if sections.is_empty() {
            "(no description is available)".to_string()
        } else {
            sections.join("\n\n")
        })
    }

    async fn answer(&self, item: &Item, calls: &Calls) -> Result<Answer, String> {
        let observations = match self.instruction {
            Instruction::Specific
                if self
                    .perception
                    .iter()
                    .any(|p| matches!(p, Perception::Model { .. })) =>
            {
                let request = Request::text(fill(OBSERVE, &[("{question}", &item.question)]));
                let observed = calls.reason(&request).await.result;
                Some(observed.map_err(|e| format!("observation step: {e}"))?.text)
            }
            _ => None,
        };
        let description = self
            .describe(item, observations.as_deref(), calls)
            .await
            .map_err(|e| format!("perception: {e}"))?;
        let question = prompt::render(&self.template, item);
        let prompt = fill(
            REASON,
            &[("{description}", &description), ("{prompt}", &question)],
        );
        let request = Request::text(self.reason.prompt(&prompt));
        self.reason
            .ask(calls, CallRole::Reason, request)
            .await
            .map_err(|e| format!("reasoning: {e}"))
    }
}

impl Strategy for Decoupled {
    fn streams_calls(&self) -> bool {
        matches!(self.reason, Reasoning::SelfConsistency { .. })
    }

    fn id(&self) -> String {
        let sources: Vec<String> = self
            .perception
            .iter()
            .map(|p| match p {
                Perception::Model {
                    name, fingerprint, ..
                } => format!("{name}:{fingerprint}"),
                other => other.name().to_string(),
            })
            .collect();
        let reason = match self.reason {
            Reasoning::Direct => String::new(),
            other => format!("|reason={other}"),
        };
        format!(
            "decoupled|{:?}|{}|{}{reason}",
            self.instruction,
            sources.join("+"),
            self.template
        )
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        self.answer(item, calls).boxed()
    }
}
