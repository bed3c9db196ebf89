//! Pairwise knockout selection, as LLaVA-CoT selects among candidates (its `judge` function
//! in `inference/demo/simple_inference.py`, PKU-YuanGroup/LLaVA-CoT at 081cc3f,
//! 2025-12-12): two candidates at a time are shown to a judge with a comparison prompt
//! specific to what is compared (whole answers for best-of-N; one stage for stage-level
//! beam search), the judge answers "Since [reason], I choose response [1/2].", and the
//! winner goes back into the pool until one is left. For the REASONING stage each
//! candidate's reasoning is first checked alone ("correct"/"incorrect") and an incorrect
//! one loses at once. The prompts below are the authors' text, typos included.
//!
//! Deliberate differences, named: the authors pop two candidates at random; evalkit takes
//! the first two of the pool and appends the winner at the end (deterministic, so a
//! re-run makes the same calls). A candidate whose text lacks the compared stage loses
//! (the authors' code would compare fewer texts than it labels). Every comparison is
//! journaled: both judge calls' requests and replies are in the item's calls, and the
//! strategy records which candidate won.

use crate::adapter::{Part, Request, Sampling};

use super::Calls;
use super::stages::content;

/// What two candidates are compared on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Whole answers (best-of-N: the authors' type "all").
    All,
    /// One of LLaVA-CoT's stages, by index into [`super::stages::STAGES`].
    Stage(usize),
}

const ALL: &str = "Now you act as a judge, helping me determine which of the two texts I provide better answers the question.";
const SUMMARY: &str = "Now you act as a judge, helping me determine which of the two texts I provide better provides a summary of what it should do to solve the question. The summary should focus on outlining the main approach instead of stating specific analytical reasoning or math formula.";
const SUMMARY_RECALL: &str = "Please note that a better summary should focus on outlining the main approach instead of stating specific analytical reasoning or math formula.";
const CAPTION: &str = "Now you act as a judge, helping me determine which of the two texts I provide better summarizes the information in the image related to the question, and has fewer errors. It is essential that the captions are as thorough as possible while remaining accurate, capturing as many details as possible rather than providing only general commentary.";
const CAPTION_RECALL: &str = "Please note that a better caption should be as thorough as possible while remaining accurate, capturing as many details as possible rather than providing only general commentary.";
const REASONING: &str = "Now you act as a judge, helping me determine which of the two texts I provide better explains the reasoning process to solve the question, and has fewer errors. Begin by thoroughly reviewing the question, followed by an in-depth examination of each answer individually, noting any differences. Subsequently, analyze these differences to determine which response demonstrates stronger reasoning and provide a clear conclusion.";
const REASONING_RECALL: &str = "Begin by thoroughly reviewing the question, followed by an in-depth examination of each answer individually, noting any differences. Subsequently, analyze these differences to determine which response demonstrates stronger reasoning and provide a clear conclusion.";
const CONCLUSION: &str = "Now you act as a judge, helping me determine which of the two texts I provide offers a more effective conclusion to the question. The conclusion should align with the reasoning presented in the hint. The conclusion should never refuse to answer the question.";
const CONCLUSION_RECALL: &str = "Please note that a better conclusion should align with the reasoning presented in the hint. The conclusion should never refuse to answer the question.";
const CHECK: &str = "Now you act as a judge, helping me determine whether the reasoning process in the given text is correct and accurate based on the given information.
        You should assume that the given information about the image is correct.
        You should only consider the reasoning process itself, not the correctness of the background information.  
        If the reasoning process invovles any calculations, you should verify the accuracy of the calculations.
        You should output 'correct' if you don't find any errors in the reasoning process, and 'incorrect' if you find any errors.";
const FORMAT: &str = " Please strictly follow the following format requirements when outputting, and don’t have any other unnecessary words.\n\nOutput format: \"Since [reason], I choose response [1/2].\"";

/// The judge's sampling in LLaVA-CoT (its generation kwargs), with a fixed seed.
pub fn judge_sampling() -> Sampling {
    Sampling {
        temperature: Some(0.6),
        top_p: Some(0.9),
        seed: Some(0),
        ..Sampling::default()
    }
}

/// What is compared of one candidate, and the hint it carries (None: it lacks the stage).
fn compared(text: &str, what: Compare) -> Option<(String, Option<String>)> {
    let stage = |tag| content(text, tag).map(str::to_string);
    match what {
        Compare::All => Some((text.to_string(), None)),
        Compare::Stage(0) => Some((stage("SUMMARY")?, None)),
        Compare::Stage(1) => {
            stage("SUMMARY")?;
            Some((stage("CAPTION")?, None))
        }
        Compare::Stage(2) => {
            stage("SUMMARY")?;
            let caption = stage("CAPTION")?;
            Some((stage("REASONING")?, Some(caption)))
        }
        Compare::Stage(_) => {
            stage("SUMMARY")?;
            let caption = stage("CAPTION")?;
            let reasoning = stage("REASONING")?;
            Some((stage("CONCLUSION")?, Some(caption + &reasoning)))
        }
    }
}

/// The comparison prompt for two compared texts (the hint is the second one's, as in the
/// authors' loop, which keeps the last hint it saw).
fn comparison_prompt(
    what: Compare,
    question: &str,
    a: &str,
    b: &str,
    hint: Option<&str>,
) -> String {
    let (lead, recall) = match what {
        Compare::All => (ALL, ""),
        Compare::Stage(0) => (SUMMARY, SUMMARY_RECALL),
        Compare::Stage(1) => (CAPTION, CAPTION_RECALL),
        Compare::Stage(2) => (REASONING, REASONING_RECALL),
        Compare::Stage(_) => (CONCLUSION, CONCLUSION_RECALL),
    };
    let mut prompt = format!("{lead}\n\nQuestion: {question}");
    if let Some(hint) = hint.filter(|h| !h.is_empty()) {
        prompt.push_str(&format!("\n\nHint about the Question: {hint}"));
    }
    prompt.push_str(&format!("\nRepsonse 1: {a}\nRepsonse 2: {b}"));
    prompt.push_str(&format!("\n\n{recall}{FORMAT}"));
    prompt
}

/// Which of two candidates wins (0 or 1), asking the judge through `calls`.
pub async fn pick(
    calls: &Calls,
    what: Compare,
    question: &str,
    images: &[Part],
    candidates: [&str; 2],
) -> Result<usize, String> {
    let (a, b) = match (compared(candidates[0], what), compared(candidates[1], what)) {
        (Some(a), Some(b)) => (a, b),
        (Some(_), None) | (None, None) => return Ok(0),
        (None, Some(_)) => return Ok(1),
    };
    let hint = b.1.as_deref();
    if what == Compare::Stage(2) {
        for (i, text) in [&a.0, &b.0].into_iter().enumerate() {
            let check = format!(
                "{CHECK}\n\nGiven Information: {}\n\nReasoning Process: {text}",
                hint.unwrap_or("None")
            );
            let request = Request::text(check).with_sampling(judge_sampling());
            let verdict = calls.select(&request).await.result?;
            if verdict.text.contains("incorrect") {
                return Ok(1 - i);
            }
        }
    }
    let mut parts = images.to_vec();
    parts.push(Part::Text {
        text: comparison_prompt(what, question, &a.0, &b.0, hint),
    });
    let request = Request::user(parts).with_sampling(judge_sampling());
    let verdict = calls.select(&request).await.result?;
    Ok(if verdict.text.contains("I choose response 1") {
        0
    } else {
        1
    })
}

/// Runs the knockout over `candidates` and returns the winner's index and each round as
/// (first, second, winner) indexes.
pub async fn knockout(
    calls: &Calls,
    what: Compare,
    question: &str,
    images: &[Part],
    candidates: &[String],
) -> Result<(usize, Vec<(usize, usize, usize)>), String> {
    let mut pool: std::collections::VecDeque<usize> = (0..candidates.len()).collect();
    let mut rounds = Vec::new();
    while pool.len() > 1 {
        let (Some(first), Some(second)) = (pool.pop_front(), pool.pop_front()) else {
            break;
        };
        let pair = [candidates[first].as_str(), candidates[second].as_str()];
        let winner = [first, second][pick(calls, what, question, images, pair).await?];
        rounds.push((first, second, winner));
        pool.push_back(winner);
    }
    pool.pop_front()
        .map(|w| (w, rounds))
        .ok_or_else(|| "no candidates to choose from".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_prompts_follow_the_authors_layout() {
        let p = comparison_prompt(Compare::Stage(0), "Q?", "s1", "s2", None);
        assert!(p.starts_with(SUMMARY));
        assert!(p.contains("\n\nQuestion: Q?\nRepsonse 1: s1\nRepsonse 2: s2\n\n"));
        assert!(p.ends_with("I choose response [1/2].\""));
        let all = comparison_prompt(Compare::All, "Q?", "a", "b", None);
        assert!(all.contains("Repsonse 2: b\n\n Please strictly follow"));
        let c = comparison_prompt(Compare::Stage(3), "Q?", "x", "y", Some("hint"));
        assert!(c.contains("\n\nHint about the Question: hint\nRepsonse 1: x"));
    }

    #[test]
    fn candidates_lacking_the_stage_lose() {
        let full = "<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>r</REASONING><CONCLUSION>k</CONCLUSION>";
        assert_eq!(
            compared(full, Compare::Stage(3)),
            Some(("k".into(), Some("cr".into())))
        );
        assert_eq!(compared("<CAPTION>c</CAPTION>", Compare::Stage(1)), None);
        assert_eq!(
            compared("<SUMMARY>s</SUMMARY>", Compare::Stage(0)),
            Some(("s".into(), None))
        );
    }
}
