//! Multiple-choice scoring (MMStar, AI2D): VLMEvalKit's exact-matching chain from
//! `vlmeval/utils/matching_util.py` (`can_infer_option`, `can_infer_text`, `can_infer`),
//! reimplemented here, without VLMEvalKit's random fallback.
//!
//! Version followed (the headline `accuracy`): `matching_util.py` as it stood from `c337155`
//! (2025-08-04, which added the last-four-words window and the length limit of the text rule)
//! until `a67ace5` (2026-06-17) — the rules of the released MMStar/AI2D leaderboard figures.
//! `a67ace5` added a verbose-answer regex that evalkit reports as a separate figure,
//! `accuracy_verbose_rule`, rather than in the headline (below); VLMEvalKit `e8e78f0`
//! (2026-08-18), the newest commit read, still has it unchanged.
//!
//! The chain, as in VLMEvalKit (default settings, `VERBOSE` unset):
//! 1. `can_infer_option`: a response containing "Failed to obtain answer via API" skips this
//!    step. A refusal ("Cannot determine the answer", "I can't process this file.", ...) resolves
//!    to the pseudo-option `Z`. Otherwise every character of `.()[],:;!*#{}` becomes a space and
//!    the response is split into words. If exactly one option letter occurs as a word, and its
//!    first occurrence is among the last four words (`splits.index(ch) > len(splits) - 5`), that
//!    is the answer. If no option letter occurs but the word `Z` does, the answer is `Z`.
//!    Letters are case-sensitive: `b` is not option `B`. This window is what keeps the English
//!    article "A" at the start of a long sentence from counting as option A.
//! 2. `can_infer_text`: if the lower-cased response is at most twice as long (in characters) as
//!    all option texts together, and exactly one lower-cased option text occurs in it as a
//!    substring, that option.
//! 3. VLMEvalKit then asks an optional LLM judge and, failing that, picks a random option.
//!    evalkit never does: an unresolved response is wrong and marked [`How::Unparsed`].
//!    The pseudo-option `Z` (a refusal) is wrong too and also reported as unparsed.
//!
//! The verbose-answer rule of `a67ace5` (2026-06-17): when step 1 finds nothing (and the
//! response is not an API failure), `re.search(r"(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**",
//! answer)` gives a letter, used when it is an option. It reads "The correct answer is **B**",
//! which step 1 misses when the letter is not among the last four words, but it is
//! case-insensitive and has no word boundary after the letter: "The answer is a dog" reads as
//! option A, "the answer is because ..." as B, "the answer is definitely C" as D. Folding the
//! plain text's answer into an option letter by its first character changes figures by an amount
//! that depends on how a model writes; evalkit keeps the rules the published figures were
//! computed with as the headline and reports `accuracy_verbose_rule` (the chain with the regex,
//! bug included, as VLMEvalKit scores today) beside it, so both can be compared.
//!
//! Deliberate differences from VLMEvalKit: no random fallback (above); the `VERBOSE`-only
//! "A might be a quantifier" rejection is not reproduced (it is off by default there).
//!
//! Metrics: `accuracy` applies the chain to the raw response. `accuracy_normalized` is the same
//! chain, but when the raw response stays unresolved it is applied again to the model's marked
//! final answer ([`extract::final_answer`]: `<CONCLUSION>`, `\boxed{}`, "The answer is", ...),
//! which rescues LLaVA-CoT-style outputs the raw chain cannot read. `accuracy_verbose_rule` is the
//! chain with `a67ace5`'s regex on the raw response. `how` and `extracted` follow the headline
//! chain; when only the normalised pass resolves, `how` stays `Unparsed` and `extracted` shows the
//! letter the normalised figure used.
//!
//! Judge (optional, VLMEvalKit's `extract_answer_from_item`): when the raw chain leaves a response
//! unresolved (not a refusal), [`Scorer::judge_prompt`] fills VLMEvalKit's option-matching prompt
//! (`build_prompt` in `vlmeval/dataset/utils/multiple_choice.py`, kept verbatim in
//! `prompts/choice_match.txt`, whose `Question: {question}?` adds a `?` even after a question that
//! has one, as VLMEvalKit's does) with the question, the options as `build_option_str` writes them
//! (`There are several options: \nA. text\n...`) and the stripped response. The judge answers with a
//! letter, or `Z` when no option matches; [`Scorer::judge_verdict`] reads that reply with the same
//! `can_infer` chain VLMEvalKit applies to it. A letter decides `accuracy` ([`How::Judge`]); `Z` is
//! a judge decision that the response matches nothing (wrong, `extracted` = `Z`); a reply the chain
//! cannot read leaves the item [`How::Unparsed`]. VLMEvalKit retries an unreadable reply and then
//! picks a random option; evalkit does neither. `accuracy_normalized` keeps its rule result when
//! the marked final answer resolved it and otherwise follows the judge; `accuracy_verbose_rule`
//! keeps its rule result when the regex resolved the response (VLMEvalKit today would not ask the
//! judge then) and otherwise follows the judge's reply, read with its own chain.
//!
//! Gold: `gold.answers[0]` is the correct letter, `gold.choices` the options (label and text),
//! `gold.fields["question"]` the question text (used only by the judge prompt).

use crate::template::fill;
use std::collections::BTreeMap;

use super::extract::{self, is_py_space, py_strip};
use super::{Gold, How, Score, Scorer};
use crate::suite::item::Choice;

/// MMStar / AI2D multiple choice with VLMEvalKit's rule chain and no random fallback.
pub struct MultipleChoice;

/// What VLMEvalKit's `can_infer` decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inferred<'a> {
    /// The label of the chosen option.
    Option(&'a str),
    /// VLMEvalKit's pseudo-option `Z`: a refusal, or a lone `Z` word. Always wrong.
    Refused,
    /// Nothing matched (VLMEvalKit's `False`).
    Unresolved,
}

/// Refusals VLMEvalKit maps to `Z` (`reject_to_answer`).
const REJECT_TO_ANSWER: &[&str] = &[
    "Sorry, I can't help with images of people yet.",
    "I can't process this file.",
    "I'm sorry, but without the image provided",
    "Cannot determine the answer",
];

/// Characters VLMEvalKit replaces by spaces before splitting into words.
const OPTION_PUNCT: &str = ".()[],:;!*#{}";

/// The pseudo-option `Z`, unless `Z` is a real option.
fn z(choices: &[Choice]) -> Inferred<'_> {
    choices
        .iter()
        .find(|c| c.label == "Z")
        .map_or(Inferred::Refused, |c| Inferred::Option(&c.label))
}

/// VLMEvalKit's `can_infer_option`.
pub fn infer_option<'a>(answer: &str, choices: &'a [Choice]) -> Inferred<'a> {
    if answer.contains("Failed to obtain answer via API") {
        return Inferred::Unresolved;
    }
    if REJECT_TO_ANSWER.iter().any(|r| answer.contains(r)) {
        return z(choices);
    }
    // First word index of each option label; word count; whether `Z` occurs.
    let mut small = [None::<usize>; 26];
    let mut large = Vec::new();
    let first: &mut [Option<usize>] = if choices.len() <= small.len() {
        &mut small[..choices.len()]
    } else {
        large.resize(choices.len(), None);
        &mut large
    };
    let mut n = 0usize;
    let mut has_z = false;
    let words = answer
        .split(|c: char| is_py_space(c) || OPTION_PUNCT.contains(c))
        .filter(|w| !w.is_empty());
    for w in words {
        for (slot, c) in first.iter_mut().zip(choices) {
            if slot.is_none() && c.label == w {
                *slot = Some(n);
            }
        }
        has_z |= w == "Z";
        n += 1;
    }
    let mut present = first
        .iter()
        .zip(choices)
        .filter_map(|(f, c)| f.map(|i| (i, c)));
    match (present.next(), present.next()) {
        // `splits.index(ch) > len(splits) - 5`, in signed arithmetic.
        (Some((i, c)), None) if i + 5 > n => Inferred::Option(&c.label),
        (Some(_), None) => Inferred::Unresolved,
        (None, _) if has_z => z(choices),
        _ => Inferred::Unresolved,
    }
}

/// VLMEvalKit's `can_infer_text`: the single option whose text occurs in the answer.
pub fn infer_text<'a>(answer: &str, choices: &'a [Choice]) -> Option<&'a str> {
    let total: usize = choices.iter().map(|c| c.text.chars().count()).sum();
    // `len(answer.lower())`: lower-casing keeps ASCII lengths, so only other text needs it.
    let lowered = (!answer.is_ascii()).then(|| answer.to_lowercase());
    let len = lowered.as_ref().map_or(answer.len(), |l| l.chars().count());
    if len > 2 * total {
        return None;
    }
    let occurs = |text: &str| match &lowered {
        None if text.is_ascii() => contains_ascii_ci(answer, text),
        None => answer
            .to_ascii_lowercase()
            .contains(text.to_lowercase().as_str()),
        Some(l) => l.contains(text.to_lowercase().as_str()),
    };
    let mut found = choices.iter().filter(|c| occurs(&c.text));
    match (found.next(), found.next()) {
        (Some(c), None) => Some(&c.label),
        _ => None,
    }
}

/// `needle.lower() in hay.lower()` for ASCII texts, without allocating.
fn contains_ascii_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// VLMEvalKit's `can_infer` before `a67ace5`: the option rule, then the text rule.
pub fn can_infer<'a>(answer: &str, choices: &'a [Choice]) -> Inferred<'a> {
    match infer_option(answer, choices) {
        Inferred::Unresolved => {
            infer_text(answer, choices).map_or(Inferred::Unresolved, Inferred::Option)
        }
        decided => decided,
    }
}

/// VLMEvalKit's `can_infer` from `a67ace5` (2026-06-17) on: the option rule, the verbose-answer
/// regex (skipped for an API failure, which returns before it), then the text rule.
pub fn can_infer_verbose<'a>(answer: &str, choices: &'a [Choice]) -> Inferred<'a> {
    match infer_option(answer, choices) {
        Inferred::Unresolved => {
            let verbose = (!answer.contains("Failed to obtain answer via API"))
                .then(|| verbose_answer(answer, choices))
                .flatten();
            verbose
                .or_else(|| infer_text(answer, choices))
                .map_or(Inferred::Unresolved, Inferred::Option)
        }
        decided => decided,
    }
}

/// One character of a case-insensitive Python pattern: `want` is a lower-case ASCII letter.
/// Python's `re.IGNORECASE` on `str` also lets `i` match `İ` and `ı`, and `s` match `ſ`.
fn ci_char(c: char, want: u8) -> bool {
    c.is_ascii() && (c as u8).eq_ignore_ascii_case(&want)
        || (want == b'i' && matches!(c, '\u{130}' | '\u{131}'))
        || (want == b's' && c == '\u{17f}')
}

/// `a67ace5`'s `_VERBOSE_ANSWER_RE.search(answer)`: the letter of the first `answer\s+is\s+\**X`
/// (any case, `X` in A-D; the optional `correct\s+` prefix never changes which occurrence or
/// letter matches), kept when it labels an option.
pub fn verbose_answer<'a>(answer: &str, choices: &'a [Choice]) -> Option<&'a str> {
    let chars: Vec<char> = answer.chars().collect();
    let word = |at: usize, w: &[u8]| {
        chars.len() >= at + w.len() && w.iter().zip(&chars[at..]).all(|(&b, &c)| ci_char(c, b))
    };
    let spaces = |at: usize| {
        chars[at.min(chars.len())..]
            .iter()
            .take_while(|&&c| is_py_space(c))
            .count()
    };
    let letter = (0..chars.len()).find_map(|i| {
        if !word(i, b"answer") {
            return None;
        }
        let mut j = i + 6;
        let ws = spaces(j);
        if ws == 0 || !word(j + ws, b"is") {
            return None;
        }
        j += ws + 2;
        let ws = spaces(j);
        if ws == 0 {
            return None;
        }
        j += ws;
        j += chars[j..].iter().take_while(|&&c| c == '*').count();
        chars
            .get(j)
            .filter(|c| matches!(c, 'A'..='D' | 'a'..='d'))
            .map(|c| c.to_ascii_uppercase())
    })?;
    choices
        .iter()
        .find(|c| c.label.len() == 1 && c.label.starts_with(letter))
        .map(|c| c.label.as_str())
}

impl Scorer for MultipleChoice {
    fn name(&self) -> &'static str {
        "multiple_choice"
    }

    fn primary_metric(&self) -> &'static str {
        "accuracy"
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec!["accuracy", "accuracy_normalized", "accuracy_verbose_rule"]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let want = gold.answers.first().map(|a| a.trim());
        let raw = can_infer(response, &gold.choices);
        let verbose = can_infer_verbose(response, &gold.choices);
        let normalized = match raw {
            Inferred::Unresolved => extract::final_answer(response)
                .map_or(Inferred::Unresolved, |fa| can_infer(fa, &gold.choices)),
            decided => decided,
        };
        let correct = |inf: Inferred<'_>| match inf {
            Inferred::Option(label) => want == Some(label),
            _ => false,
        };
        let mut metrics = BTreeMap::new();
        metrics.insert("accuracy".to_string(), f64::from(u8::from(correct(raw))));
        metrics.insert(
            "accuracy_normalized".to_string(),
            f64::from(u8::from(correct(normalized))),
        );
        metrics.insert(
            "accuracy_verbose_rule".to_string(),
            f64::from(u8::from(correct(verbose))),
        );
        let (extracted, how) = match (raw, normalized) {
            (Inferred::Option(l), _) => (Some(l.to_string()), How::Rule),
            (_, Inferred::Option(l)) => (Some(l.to_string()), How::Unparsed),
            _ => (None, How::Unparsed),
        };
        Score {
            metrics,
            extracted,
            how,
        }
    }

    fn judge_prompt(&self, gold: &Gold, response: &str) -> Option<String> {
        if gold.choices.is_empty() || can_infer(response, &gold.choices) != Inferred::Unresolved {
            return None;
        }
        let question = gold.fields.get("question").map_or("", String::as_str);
        Some(fill(
            MATCH_PROMPT,
            &[
                ("{question}", question),
                ("{options}", &option_str(&gold.choices)),
                ("{answer}", py_strip(response)),
            ],
        ))
    }

    fn judge_verdict(&self, gold: &Gold, response: &str, reply: &str) -> Score {
        let mut score = self.score(gold, response);
        if score.how == How::Rule {
            return score;
        }
        let want = gold.answers.first().map(|a| a.trim());
        let (letter, correct) = match can_infer(reply, &gold.choices) {
            Inferred::Option(label) => (label, want == Some(label)),
            Inferred::Refused => ("Z", false),
            Inferred::Unresolved => return score,
        };
        let value = f64::from(u8::from(correct));
        score.metrics.insert("accuracy".to_string(), value);
        // The normalised figure keeps a letter the marked final answer gave by rule.
        if score.extracted.is_none() {
            score
                .metrics
                .insert("accuracy_normalized".to_string(), value);
        }
        // The verbose-rule figure keeps a letter its regex gave by rule; otherwise it reads the
        // judge's reply with its own chain, as VLMEvalKit does today.
        if can_infer_verbose(response, &gold.choices) == Inferred::Unresolved {
            let judged = match can_infer_verbose(reply, &gold.choices) {
                Inferred::Option(label) => want == Some(label),
                _ => false,
            };
            score.metrics.insert(
                "accuracy_verbose_rule".to_string(),
                f64::from(u8::from(judged)),
            );
        }
        score.extracted = Some(letter.to_string());
        score.how = How::Judge;
        score
    }
}

/// VLMEvalKit's option-matching judge prompt, placeholders `{question}`, `{options}`, `{answer}`.
const MATCH_PROMPT: &str = include_str!("../../prompts/choice_match.txt");

/// VLMEvalKit's `build_option_str`: `There are several options: \n` then `X. text\n` per option.
fn option_str(choices: &[Choice]) -> String {
    let mut s = String::from("There are several options: \n");
    for c in choices {
        s.push_str(&c.label);
        s.push_str(". ");
        s.push_str(&c.text);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(texts: &[&str]) -> Vec<Choice> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Choice {
                label: char::from(b'A' + i as u8).to_string(),
                text: t.to_string(),
            })
            .collect()
    }

    /// dog, cat, bird, fish: 3 + 3 + 4 + 4 = 14 characters, so answers of up to 28 characters
    /// may be matched by option text.
    fn animals() -> Vec<Choice> {
        choices(&["dog", "cat", "bird", "fish"])
    }

    fn gold(letter: &str, c: Vec<Choice>) -> Gold {
        Gold {
            answers: vec![letter.to_string()],
            choices: c,
            ..Gold::default()
        }
    }

    fn infer(answer: &str) -> Option<String> {
        match can_infer(answer, &animals()) {
            Inferred::Option(l) => Some(l.to_string()),
            _ => None,
        }
    }

    #[test]
    fn option_letter_rule() {
        // ["A"]: index 0 > 1 - 5.
        assert_eq!(infer("A").as_deref(), Some("A"));
        // "The answer is (B)." -> [The, answer, is, B]: index 3 > 4 - 5.
        assert_eq!(infer("The answer is (B).").as_deref(), Some("B"));
        // 6 words, C at index 5 > 1.
        assert_eq!(infer("I think the answer is C").as_deref(), Some("C"));
        // "**Answer: D**" -> [Answer, D].
        assert_eq!(infer("**Answer: D**").as_deref(), Some("D"));
        // "(C) bird" -> [C, bird]: index 0 > -3.
        assert_eq!(infer("(C) bird").as_deref(), Some("C"));
        // "\boxed{B}": braces become spaces -> [\boxed, B].
        assert_eq!(infer("\\boxed{B}").as_deref(), Some("B"));
        // Exactly within the last four words: [B, is, the, answer] index 0 > 4 - 5 = -1.
        assert_eq!(infer("B is the answer").as_deref(), Some("B"));
    }

    #[test]
    fn letter_outside_last_four_words() {
        // [C, is, correct, because, the, others, are, wrong]: index 0 > 8 - 5 = 3 is false;
        // the text rule: 41 characters > 28: unresolved.
        assert_eq!(infer("C is correct because the others are wrong"), None);
        // The English article: [A, cat, is, sitting, on, the, mat, in, the, picture],
        // index 0 > 5 is false; 42 characters > 28: unresolved (not option A).
        assert_eq!(infer("A cat is sitting on the mat in the picture"), None);
    }

    #[test]
    fn several_letters_or_none() {
        // A and B both occur: option rule fails; text "a or b" contains no option text.
        assert_eq!(infer("A or B"), None);
        // Lower case is no letter; "b" contains no option text.
        assert_eq!(infer("b"), None);
        // "B. A cat sits on the mat": A and B both occur (count 2); text rule: 24 characters
        // <= 28 and only "cat" occurs: B.
        assert_eq!(infer("B. A cat sits on the mat").as_deref(), Some("B"));
    }

    #[test]
    fn option_text_rule() {
        assert_eq!(infer("fish").as_deref(), Some("D"));
        assert_eq!(infer("It is a Bird").as_deref(), Some("C"));
        // Two option texts occur: unresolved.
        assert_eq!(infer("dog and cat"), None);
        // 28 characters <= 28 and only "fish" occurs: D. One more character (29 > 28) and
        // the answer is too long for the text rule.
        assert_eq!(infer("the animal shown is a fish!!").as_deref(), Some("D"));
        assert_eq!(infer("the animal shown is a fish!!!"), None);
        // Substring semantics: "cat" occurs in "catfish" and so does "fish": two candidates.
        assert_eq!(infer("catfish"), None);
        let c = choices(&["cat", "catfish"]);
        // Both "cat" and "catfish" occur in "catfish": unresolved.
        assert_eq!(can_infer("catfish", &c), Inferred::Unresolved);
        // Non-ASCII text is lower-cased like Python: "CAFÉ" -> "café".
        let c = choices(&["café", "thé"]);
        assert_eq!(can_infer("CAFÉ", &c), Inferred::Option("A"));
        assert_eq!(can_infer("Thé", &c), Inferred::Option("B"));
        // ASCII answer, non-ASCII option text: "KELVIN" lower-cases to "kelvin", which
        // contains "\u{212a}elvin".lower() == "kelvin" (the Kelvin sign lower-cases to k).
        let c = choices(&["\u{212a}elvin", "celsius"]);
        assert_eq!(can_infer("KELVIN", &c), Inferred::Option("A"));
    }

    #[test]
    fn refusals_and_z() {
        let c = animals();
        assert_eq!(
            can_infer("Cannot determine the answer from this image", &c),
            Inferred::Refused
        );
        // A lone Z word with no option letter: VLMEvalKit's `Z`, and the text rule is skipped
        // ("Z fish" would otherwise match "fish").
        assert_eq!(can_infer("Z fish", &c), Inferred::Refused);
        // The API-failure marker skips the option rule but not the text rule.
        assert_eq!(
            can_infer(
                "Failed to obtain answer via API fish",
                &choices(&["dog", "fish", "cat and mouse and bird"])
            ),
            Inferred::Option("B")
        );
        let s = MultipleChoice.score(&gold("A", c), "Cannot determine the answer");
        assert_eq!(
            (s.metrics["accuracy"], s.how, s.extracted),
            (0.0, How::Unparsed, None)
        );
    }

    #[test]
    fn scores_and_normalized_figure() {
        let s = MultipleChoice.score(&gold("B", animals()), "The answer is B.");
        assert_eq!(s.metrics["accuracy"], 1.0);
        assert_eq!(s.metrics["accuracy_normalized"], 1.0);
        assert_eq!((s.how, s.extracted.as_deref()), (How::Rule, Some("B")));

        let s = MultipleChoice.score(&gold("C", animals()), "The answer is B.");
        assert_eq!((s.metrics["accuracy"], s.how), (0.0, How::Rule));

        // LLaVA-CoT: the raw words include "<CONCLUSION>B</CONCLUSION>", no bare letter, and
        // the text is far longer than 28 characters: unresolved. The marked answer is "B".
        let cot = "<SUMMARY>I will compare the animals.</SUMMARY>\n<REASONING>The one on the \
                   left has whiskers and pointed ears.</REASONING>\n<CONCLUSION>B</CONCLUSION>";
        let s = MultipleChoice.score(&gold("B", animals()), cot);
        assert_eq!(s.metrics["accuracy"], 0.0);
        assert_eq!(s.metrics["accuracy_normalized"], 1.0);
        assert_eq!((s.how, s.extracted.as_deref()), (How::Unparsed, Some("B")));

        // Article "A" first, final letter after "the answer is": [A, dog, is, shown, Therefore,
        // the, answer, is, A] has only A, first at index 0 > 9 - 5 false: unresolved raw;
        // the marked final answer "A" resolves it for the normalised figure.
        let s = MultipleChoice.score(
            &gold("A", animals()),
            "A dog is shown. Therefore, the answer is A.",
        );
        assert_eq!(
            (s.metrics["accuracy"], s.metrics["accuracy_normalized"]),
            (0.0, 1.0)
        );

        // Nothing anywhere: unparsed, no random pick.
        let s = MultipleChoice.score(
            &gold("A", animals()),
            "I am not sure what this shows at all.",
        );
        assert_eq!(
            (s.metrics["accuracy"], s.metrics["accuracy_normalized"]),
            (0.0, 0.0)
        );
        assert_eq!((s.how, s.extracted), (How::Unparsed, None));
    }

    /// (accuracy, accuracy_verbose_rule) for gold `letter` over [`animals`].
    fn both(letter: &str, response: &str) -> (f64, f64) {
        let s = MultipleChoice.score(&gold(letter, animals()), response);
        (s.metrics["accuracy"], s.metrics["accuracy_verbose_rule"])
    }

    /// VLMEvalKit a67ace5 (2026-06-17), `vlmeval/utils/matching_util.py` `can_infer_option`
    /// gained `re.compile(r"(?i)(?:correct\s+)?answer\s+is\s+\**([ABCD])\**")`, unchanged at
    /// e8e78f0 (2026-08-18). evalkit's headline follows the file before a67ace5 (c337155,
    /// 2025-08-04, lint-only changes in 590f052a, 2026-02-21); the regex feeds only
    /// `accuracy_verbose_rule`. Expected letters checked against that regex under CPython 3.11.
    #[test]
    fn verbose_answer_rule_of_a67ace5_both_ways() {
        let c = animals();
        // Intended use: "The correct answer is **A**" followed by an explanation. Words:
        // [The, correct, answer, is, A, Here's, why, a, dog, has, a, tail] ("**" and "." become
        // spaces): A is the only option letter, first at index 4 > 12 - 5 = 7 is false, and the
        // text (58 characters > 28) is too long for the text rule: unresolved in the headline.
        // The regex reads A: right under the verbose rule.
        let verbose = "The correct answer is **A**. Here's why: a dog has a tail.";
        assert_eq!(can_infer(verbose, &c), Inferred::Unresolved);
        assert_eq!(verbose_answer(verbose, &c), Some("A"));
        assert_eq!(both("A", verbose), (0.0, 1.0));
        // The bug: case-insensitive, no word boundary. "The answer is a dog, for sure it is"
        // has no capital option letter (the article "a" is not "A") and 35 characters > 28 for
        // the text rule: unresolved in the headline. The regex reads the article "a" as option
        // A, which happens to be the dog here: right by accident under the verbose rule.
        let article = "The answer is a dog, for sure it is";
        assert_eq!(can_infer(article, &c), Inferred::Unresolved);
        assert_eq!(verbose_answer(article, &c), Some("A"));
        assert_eq!(both("A", article), (0.0, 1.0));
        // The same sentence naming the bird (option C, 36 characters): the regex still says A,
        // so a right answer scores wrong under the verbose rule; the headline leaves it
        // unresolved (to the judge, which can read "bird").
        let bird = "The answer is a bird, for sure it is";
        assert_eq!(can_infer_verbose(bird, &c), Inferred::Option("A"));
        assert_eq!(both("C", bird), (0.0, 0.0));
        assert_eq!(
            MultipleChoice.score(&gold("C", c.clone()), bird).how,
            How::Unparsed
        );
        assert_eq!(
            verbose_answer("Well, the answer is because of the whiskers", &c),
            Some("B")
        );
        assert_eq!(
            verbose_answer("So the answer is definitely the cat here", &c),
            Some("D")
        );
        // Short answers: "The answer is a dog" (19 characters <= 28) is resolved by the text rule
        // ("dog" is option A) before the regex in both chains.
        assert_eq!(both("A", "The answer is a dog"), (1.0, 1.0));
        // Python's IGNORECASE folds: ſ matches s, ı matches i; \s is Unicode whitespace.
        assert_eq!(verbose_answer("ANſWER\u{a0}ıS\u{2003}**d", &c), Some("D"));
        // No match: a colon or a bracket before the letter; a letter that is not an option.
        assert_eq!(verbose_answer("Answer is: B", &c), None);
        assert_eq!(verbose_answer("The answer is (B)", &c), None);
        assert_eq!(verbose_answer("answer is *** c", &c), None);
        assert_eq!(
            verbose_answer("The answer is C", &choices(&["x", "y"])),
            None
        );
        // The first occurrence wins even when a later one names another letter.
        assert_eq!(
            verbose_answer("My first answer is B, but the correct answer is C", &c),
            Some("B")
        );
        // An API failure returns before the regex.
        assert_eq!(
            can_infer_verbose(
                "Failed to obtain answer via API. The answer is B, surely, yes",
                &c
            ),
            Inferred::Unresolved
        );
    }

    fn with_question(mut g: Gold, question: &str) -> Gold {
        g.fields
            .insert("question".to_string(), question.to_string());
        g
    }

    #[test]
    fn judge_prompt_is_vlmevalkits_option_matching_prompt() {
        let g = with_question(gold("B", animals()), "Which animal is shown");
        // Resolved by rule: no judge step.
        assert_eq!(MultipleChoice.judge_prompt(&g, "The answer is B."), None);
        // A refusal is VLMEvalKit's `Z` before any judge call.
        assert_eq!(
            MultipleChoice.judge_prompt(&g, "Cannot determine the answer"),
            None
        );
        let response = "  It has whiskers, so I would go with the second one {answer}.\n";
        let prompt = MultipleChoice.judge_prompt(&g, response).unwrap();
        let expected_tail = "Example 3: \n\
            Question: Which animal is shown?\n\
            Options: There are several options: \nA. dog\nB. cat\nC. bird\nD. fish\n\n\
            Answer: It has whiskers, so I would go with the second one {answer}.\n\
            Your output: ";
        assert!(prompt.ends_with(expected_tail), "{prompt}");
        assert!(prompt.starts_with(
            "You are an AI assistant who will help me to match an answer with several options \
             of a single-choice question. "
        ));
        assert!(prompt.contains(
            "Question: What is the main object in image?\nOptions: A. teddy bear B. rabbit C. cat \
             D. dog\nAnswer: Spider\nYour output: Z\nExample 3: \n"
        ));
        // No question field: the slot is left empty, the rest is unchanged.
        let bare = MultipleChoice
            .judge_prompt(&gold("B", animals()), "second")
            .unwrap();
        assert!(bare.contains("Question: ?\nOptions: There are"), "{bare}");
    }

    #[test]
    fn judge_verdicts_read_the_reply_with_can_infer() {
        let g = with_question(gold("B", animals()), "Which animal is shown");
        let response = "It has whiskers, so I would go with the second one.";
        // Rules: [It, has, whiskers, so, I, would, go, with, the, second, one]: no option letter
        // (`I` is not an option); 51 characters > 28: unresolved.
        assert_eq!(MultipleChoice.score(&g, response).how, How::Unparsed);
        let verdict = |reply: &str| {
            let s = MultipleChoice.judge_verdict(&g, response, reply);
            (
                s.metrics["accuracy"],
                s.metrics["accuracy_normalized"],
                s.extracted,
                s.how,
            )
        };
        // "B" -> option B, the gold: right, decided by the judge.
        assert_eq!(verdict("B"), (1.0, 1.0, Some("B".into()), How::Judge));
        // "Your output: C" -> [Your, output, C]: C -> wrong, decided by the judge.
        assert_eq!(
            verdict("Your output: C"),
            (0.0, 0.0, Some("C".into()), How::Judge)
        );
        // "Z": the judge found no matching option -> wrong, decided.
        assert_eq!(verdict("Z"), (0.0, 0.0, Some("Z".into()), How::Judge));
        // Neither chain reads the response: the verbose-rule figure follows the judge too.
        let s = MultipleChoice.judge_verdict(&g, response, "B");
        assert_eq!(s.metrics["accuracy_verbose_rule"], 1.0);
        // The verbose rule reads A from this response by rule (VLMEvalKit today asks no judge):
        // it keeps that (wrong, gold B) whatever the judge says; the headline follows the judge.
        let verbose = "The correct answer is **A**. Here's why: a dog has a tail.";
        let s = MultipleChoice.judge_verdict(&g, verbose, "B");
        assert_eq!(
            (
                s.metrics["accuracy"],
                s.metrics["accuracy_verbose_rule"],
                s.how
            ),
            (1.0, 0.0, How::Judge)
        );
        // An unreadable reply leaves the item unparsed (no retry, no random pick).
        assert_eq!(
            verdict("I cannot tell which one"),
            (0.0, 0.0, None, How::Unparsed)
        );
        // A response the rules resolved keeps its rule score whatever the judge says.
        let s = MultipleChoice.judge_verdict(&g, "The answer is C.", "B");
        assert_eq!(
            (s.metrics["accuracy"], s.extracted.as_deref(), s.how),
            (0.0, Some("C"), How::Rule)
        );
        // The normalised figure keeps what the marked final answer gave by rule: the raw chain
        // fails on this long text, the marked answer "A" resolves it (wrong, gold B); the judge's
        // "B" decides the official figure only.
        let long = "A dog and a cat are both shown here. Therefore, the answer is A.";
        let s = MultipleChoice.judge_verdict(&g, long, "B");
        assert_eq!(
            (
                s.metrics["accuracy"],
                s.metrics["accuracy_normalized"],
                s.how
            ),
            (1.0, 0.0, How::Judge)
        );
    }

    #[test]
    fn names() {
        assert_eq!(MultipleChoice.name(), "multiple_choice");
        assert_eq!(
            MultipleChoice.primary_metric(),
            MultipleChoice.metric_names()[0]
        );
    }
}
