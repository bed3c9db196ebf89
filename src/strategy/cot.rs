//! Chain of thought: the suite's prompt, then "think step by step, and give the final
//! answer on the last line as `Answer: ...`". The answer scored is what follows the last
//! `Answer:` line; the reasoning stays in the journal as the call's raw reply. A reply
//! without such a line is scored whole by the suite's normal extraction and counted as not
//! following the format.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::direct::Direct;
use super::reasoning::Reasoning;
use super::{Answer, CallRole, Calls, Strategy};
use crate::suite::Item;
use crate::template::fill;

const COT: &str = include_str!("../../prompts/cot.txt");

/// The suite's prompt with the step-by-step instruction.
pub struct ChainOfThought {
    pub direct: Direct,
}

impl ChainOfThought {
    /// The direct strategy whose template asks for reasoning and a final-answer line.
    pub fn new(template: &str, image_max_side: Option<u32>) -> Self {
        ChainOfThought {
            direct: Direct {
                template: instruct(template),
                image_max_side,
            },
        }
    }
}

/// A prompt followed by the step-by-step instruction and the final-answer line format.
pub fn instruct(prompt: &str) -> String {
    fill(COT.trim_end(), &[("{prompt}", prompt)])
}

/// The text after the last line that starts with `Answer:` or `Final answer:` (any case,
/// markdown emphasis and list marks ignored), if there is one and it is not empty.
pub fn final_answer(reply: &str) -> Option<String> {
    reply.lines().rev().find_map(|line| {
        let line = line.trim().trim_start_matches(['*', '#', '-', '>', ' ']);
        let lower = line.to_ascii_lowercase();
        let rest = ["final answer:", "answer:"]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| &line[p.len()..]))?;
        let answer = rest.trim().trim_matches('*').trim();
        (!answer.is_empty()).then(|| answer.to_string())
    })
}

/// The answer of a reasoning reply: its final-answer line, or the whole reply.
pub fn answer_of(reply: String) -> Answer {
    match final_answer(&reply) {
        Some(text) => Answer {
            text,
            format_followed: Some(true),
            trace: None,
        },
        None => Answer {
            text: reply,
            format_followed: Some(false),
            trace: None,
        },
    }
}

impl Strategy for ChainOfThought {
    fn id(&self) -> String {
        format!("cot|{}", self.direct.template)
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        async move {
            let request = self.direct.request(item)?;
            Reasoning::Cot.ask(calls, CallRole::Answer, request).await
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_answer_line_wins() {
        assert_eq!(final_answer("2 + 2 = 4.\nAnswer: 4").as_deref(), Some("4"));
        assert_eq!(
            final_answer("Answer: 3\nOn reflection...\n**Final Answer:** 5\n").as_deref(),
            Some("5")
        );
        assert_eq!(
            final_answer("- answer:   Paris  ").as_deref(),
            Some("Paris")
        );
        assert_eq!(final_answer("The answer is 4."), None);
        assert_eq!(final_answer("Answer:"), None);
        let unfollowed = answer_of("just 4".into());
        assert_eq!(unfollowed.text, "just 4");
        assert_eq!(unfollowed.format_followed, Some(false));
    }

    #[test]
    fn the_template_keeps_the_suite_prompt_first() {
        let cot = ChainOfThought::new("Q: {question}", None);
        assert!(
            cot.direct
                .template
                .starts_with("Q: {question}\n\nThink step by step.")
        );
        assert!(cot.direct.template.ends_with("Answer: <your answer>"));
    }
}
