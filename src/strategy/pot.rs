//! The program-of-thought strategy (after ChartPaLI, Carbune et al. 2024, which has the
//! model answer chart questions with a program): the model under test is asked, with the
//! item's images, question and options (prompts/pot.txt: worded for evalkit, not copied
//! from the paper), to write a short Python program that prints the answer.
//! evalkit takes the code from the reply (the first ```python block, else the first
//! ``` block, else the whole reply), runs it in the [`crate::sandbox`], and the last
//! non-empty line it prints is the answer that is scored.
//!
//! The reply (the program) is journaled as the call's raw text; the program's answer is
//! the item's response; a program that fails (timeout, a limit, an error, no output, a
//! sandbox that would not start) fails its item with that reason, and the run goes on.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Answer, Calls, Strategy, encode, prompt};
use crate::adapter::{Part, Request};
use crate::sandbox::{self, Limits};
use crate::suite::Item;
use crate::template::fill;

const POT: &str = include_str!("../../prompts/pot.txt");

/// One call for a program, then one sandboxed run of it.
pub struct Pot {
    pub limits: Limits,
    /// From the model card: resize images whose longer side exceeds this.
    pub image_max_side: Option<u32>,
}

impl Pot {
    /// The strategy, once bubblewrap and python3 are known to work here; otherwise the
    /// error says what to install.
    pub fn new(limits: Limits, image_max_side: Option<u32>) -> Result<Self, String> {
        sandbox::check().map_err(|e| {
            format!("--strategy pot runs model-written programs in a sandbox, but {e} (or run scripts/setup.sh)")
        })?;
        Ok(Self {
            limits,
            image_max_side,
        })
    }

    /// The request for an item: its images, then the program-of-thought prompt.
    pub fn request(&self, item: &Item) -> Result<Request, String> {
        let mut parts = Vec::with_capacity(item.images.len() + 1);
        for image in &item.images {
            parts.push(Part::Image {
                image: encode::encode(image, self.image_max_side)?,
            });
        }
        parts.push(Part::Text { text: render(item) });
        Ok(Request::user(parts))
    }
}

/// The prompt for an item, filled in one pass (text from the item is never searched for
/// placeholders).
pub fn render(item: &Item) -> String {
    let options = match prompt::render("{options}", item) {
        o if o.is_empty() => String::new(),
        o => format!("Options:\n{o}\n"),
    };
    let text = fill(
        POT,
        &[
            ("{hint_line}", &prompt::render("{hint_line}", item)),
            ("{question}", &item.question),
            ("{options}", &options),
        ],
    );
    format!("{}\n", text.trim_end())
}

/// The program in a reply: the first fenced block tagged python (or py, python3), else
/// the first fenced block, else the whole reply.
pub fn extract_code(reply: &str) -> &str {
    let mut first_untagged = None;
    let mut rest = reply;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let (tag, body) = after.split_once('\n').unwrap_or((after, ""));
        let (code, next) = match body.find("```") {
            Some(close) => (&body[..close], &body[close + 3..]),
            // An unclosed fence (a reply cut at max_tokens) runs to the end.
            None => (body, ""),
        };
        match tag.trim().to_ascii_lowercase().as_str() {
            "python" | "py" | "python3" => return code,
            "" => {
                first_untagged.get_or_insert(code);
            }
            _ => {}
        }
        rest = next;
    }
    first_untagged.unwrap_or(reply)
}

/// The answer a program printed: its last non-empty line, trimmed.
pub fn answer_of(stdout: &str) -> &str {
    stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

impl Strategy for Pot {
    fn id(&self) -> String {
        format!("pot|{}|{POT}", self.limits.describe())
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        async move {
            let request = self.request(item)?;
            let reply = calls.answer(&request).await.result?;
            let code = extract_code(&reply.text).to_string();
            let limits = self.limits.clone();
            let run = tokio::task::spawn_blocking(move || sandbox::run_python(&code, &limits))
                .await
                .map_err(|e| format!("program: the sandbox thread stopped: {e}"))?;
            match run.failure {
                None => Ok(answer_of(&run.stdout).to_string().into()),
                Some(failure) => Err(format!("program {failure}")),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Choice;

    #[test]
    fn code_comes_from_the_python_fence_then_any_fence_then_the_reply() {
        let tagged =
            "Here:\n```text\nnot this\n```\n```python\nprint(45)\n```\nOutput: ```\n45\n```";
        assert_eq!(extract_code(tagged), "print(45)\n");
        assert_eq!(
            extract_code("```\nx = 1\nprint(x)\n```"),
            "x = 1\nprint(x)\n"
        );
        assert_eq!(extract_code("```Py\nprint(2)\n```"), "print(2)\n");
        assert_eq!(extract_code("print(3)"), "print(3)");
        assert_eq!(extract_code("```python\nprint(4)"), "print(4)");
        assert_eq!(extract_code("```"), "");
    }

    #[test]
    fn the_answer_is_the_last_printed_line() {
        assert_eq!(answer_of("values: [1, 2]\n  45  \n\n"), "45");
        assert_eq!(answer_of(""), "");
    }

    #[test]
    fn the_prompt_has_the_question_and_options_once() {
        let item = Item {
            question: "Which is {options} larger?".into(),
            hint: Some("in 2019".into()),
            choices: vec![
                Choice {
                    label: "A".into(),
                    text: "{question}".into(),
                },
                Choice {
                    label: "B".into(),
                    text: "Sales".into(),
                },
            ],
            ..Default::default()
        };
        let text = render(&item);
        assert!(
            text.ends_with(
                "Hint: in 2019\nQuestion: Which is {options} larger?\nOptions:\nA. {question}\nB. Sales\n"
            ),
            "{text}"
        );
        let plain = Item {
            question: "What is the value of the tallest bar?".into(),
            ..Default::default()
        };
        assert!(
            render(&plain).ends_with("block.\n\nQuestion: What is the value of the tallest bar?\n")
        );
    }
}
