//! LLaVA-CoT's structured stages: SUMMARY, CAPTION, REASONING and CONCLUSION, each inside
//! its tags (Xu et al., "LLaVA-CoT", PKU-YuanGroup/LLaVA-CoT). The model is asked for the
//! four stages (models trained on the format produce them anyway); the answer scored is
//! the CONCLUSION's content. A reply that does not hold all four stages in order is
//! counted as not following the structure and scored whole by the suite's normal
//! extraction. The tag parsing here is shared with stage-level beam search.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::direct::Direct;
use super::{Answer, Calls, Strategy};
use crate::suite::Item;
use crate::template::fill;

const STAGES_PROMPT: &str = include_str!("../../prompts/stages.txt");

/// The four stages, in order.
pub const STAGES: [&str; 4] = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"];

/// The content of the first `<TAG>...</TAG>` in `text` (LLaVA-CoT's `re.search` with
/// DOTALL), trimmed.
pub fn content<'t>(text: &'t str, tag: &str) -> Option<&'t str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(text[start..end].trim())
}

/// True when all four stages are present, each closed, in order.
pub fn follows_structure(text: &str) -> bool {
    let mut at = 0;
    for tag in STAGES {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let Some(start) = text[at..].find(&open).map(|i| i + at) else {
            return false;
        };
        let Some(end) = text[start..].find(&close).map(|i| i + start) else {
            return false;
        };
        at = end + close.len();
    }
    true
}

/// The answer of a staged reply: the conclusion when the structure was followed.
pub fn answer_of(reply: String) -> Answer {
    if follows_structure(&reply)
        && let Some(conclusion) = content(&reply, "CONCLUSION")
    {
        return Answer {
            text: conclusion.to_string(),
            format_followed: Some(true),
            trace: None,
        };
    }
    Answer {
        text: reply,
        format_followed: Some(false),
        trace: None,
    }
}

/// The suite's prompt with the four-stage instruction.
pub fn template(suite_template: &str) -> String {
    fill(STAGES_PROMPT.trim_end(), &[("{prompt}", suite_template)])
}

/// One call; the answer is the conclusion.
pub struct Stages {
    pub direct: Direct,
}

impl Stages {
    pub fn new(suite_template: &str, image_max_side: Option<u32>) -> Self {
        Stages {
            direct: Direct {
                template: template(suite_template),
                image_max_side,
            },
        }
    }
}

impl Strategy for Stages {
    fn id(&self) -> String {
        format!("stages|{}", self.direct.template)
    }

    fn run<'a>(
        &'a self,
        item: &'a Item,
        calls: &'a Calls,
    ) -> BoxFuture<'a, Result<Answer, String>> {
        async move {
            let request = self.direct.request(item)?;
            let reply = calls.answer(&request).await.result?;
            Ok(answer_of(reply.text))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "<SUMMARY>plan</SUMMARY>\n<CAPTION> a bar chart </CAPTION><REASONING>3+4=7</REASONING><CONCLUSION> 7 </CONCLUSION>";

    #[test]
    fn the_conclusion_is_the_answer_when_the_structure_is_followed() {
        let a = answer_of(FULL.into());
        assert_eq!(a.text, "7");
        assert_eq!(a.format_followed, Some(true));
        assert_eq!(content(FULL, "CAPTION"), Some("a bar chart"));
    }

    #[test]
    fn missing_or_misordered_stages_are_not_followed() {
        for reply in [
            "<SUMMARY>s</SUMMARY><REASONING>r</REASONING><CONCLUSION>7</CONCLUSION>",
            "<CAPTION>c</CAPTION><SUMMARY>s</SUMMARY><REASONING>r</REASONING><CONCLUSION>7</CONCLUSION>",
            "<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>r</REASONING><CONCLUSION>7",
            "7",
        ] {
            let a = answer_of(reply.into());
            assert_eq!(a.format_followed, Some(false), "{reply}");
            assert_eq!(a.text, reply);
        }
    }
}
