//! Yes/no scoring (FigureQA, HallusionBench): VLMEvalKit's `YOrN_Extraction`
//! (`vlmeval/dataset/utils/yorn.py`) with its `process_punctuation` (`vlmeval/smp/misc.py`),
//! reimplemented here.
//!
//! Version followed: VLMEvalKit `e8e78f0` (2026-08-18), the newest commit read. Both functions
//! have been unchanged in substance since `928a95b` (2025-05-13), which rewrote the period regex
//! (later commits, such as `401916c` (2026-03-25), only re-wrapped lines).
//!
//! The rule, as in VLMEvalKit: lower-case the response; run `process_punctuation`; split on
//! whitespace; the answer is Yes if the word `yes` occurs and `no` does not, No for the
//! reverse, otherwise unresolved. VLMEvalKit then asks an optional judge; evalkit counts an
//! unresolved response wrong and marks it [`How::Unparsed`].
//!
//! `process_punctuation` (inherited from the VQA evaluation code) is reproduced exactly,
//! quirks included:
//! - each of ``; / [ ] " { } ( ) = + \ _ - > < @ ` , ? !`` is deleted when the (lower-cased)
//!   input contains it followed or preceded by a space, or contains a digit-comma-digit
//!   sequence anywhere; otherwise it becomes a space (so `yes,it has 1,000 dots` reads
//!   `yesit has 1000 dots`). These are `str.replace` calls: every occurrence, no limit;
//! - the period regex is `(?<!\d)\.(?!\d)` since `928a95b`: a period is removed unless a
//!   (Unicode) digit stands right before or right after it, so `5.` and `.5` keep theirs. The
//!   lookbehind sees the text as it was before the substitution (`yes..` loses both periods).
//!   Before `928a95b` it was `(?!<=\d)(\.)(?!\d)`, a typo whose first group is a lookahead
//!   that always holds: every period not followed by a digit went, `5.` included;
//! - the call is still `periodStrip.sub('', outText, re.UNICODE)`, which passes `re.UNICODE`
//!   (32) as the *count*: only the first 32 matching periods are removed, later ones stay
//!   (`yes.` then reads `yes.` and is not the word `yes`). Under the new pattern the periods of
//!   `1.`, `2.`, ... no longer match, so they no longer use up the 32;
//! - `*` is not in the list, so `**Yes**` is unresolved under the official rule.
//!
//! Metrics: `accuracy` applies the rule to the raw response. `accuracy_normalized` is the same
//! rule, but when the raw response stays unresolved it is applied again to the model's marked
//! final answer ([`extract::final_answer`]), or failing that to the response stripped of
//! wrapping markdown/quotes ([`extract::clean`]). `how`/`extracted` follow the raw rule; when
//! only the normalised pass resolves, `how` stays `Unparsed` and `extracted` shows its answer.
//!
//! Gold: `gold.answers[0]` is `Yes`/`No` (any case), `1`/`0` (FigureQA) or `true`/`false`.

use std::collections::BTreeMap;

use super::extract::{self, is_py_space, py_decimal, py_float};
use super::{Gold, How, Score, Scorer};

/// FigureQA / HallusionBench yes-no questions.
pub struct YesNo;

/// VQA punctuation handled by `process_punctuation`.
const PUNCT: &[char] = &[
    ';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',',
    '?', '!',
];

/// `re.UNICODE` (32), passed to `periodStrip.sub` as its `count` argument.
const PERIOD_COUNT: usize = 32;

/// VLMEvalKit's `process_punctuation` as of `928a95b` and later, exactly (see the module docs).
pub fn process_punctuation(in_text: &str) -> String {
    let index = |c: char| PUNCT.iter().position(|&p| p == c);
    // One pass over neighbouring characters: `re.search(r'(\d)(,)(\d)', inText)` (`\d` is any
    // Unicode decimal digit) and, per punctuation mark, whether `p + ' '` or `' ' + p` occurs.
    let mut comma_strip = false;
    let mut spaced = 0u32; // bit i: PUNCT[i] touches a space
    let (mut a, mut b) = (None::<char>, None::<char>);
    for c in in_text.chars() {
        if b == Some(',') && a.is_some_and(|a| py_decimal(a).is_some()) && py_decimal(c).is_some() {
            comma_strip = true;
        }
        if let Some(prev) = b {
            if c == ' ' {
                if let Some(i) = index(prev) {
                    spaced |= 1 << i;
                }
            } else if prev == ' '
                && let Some(i) = index(c)
            {
                spaced |= 1 << i;
            }
        }
        (a, b) = (b, Some(c));
    }
    let mut out = String::with_capacity(in_text.len());
    for c in in_text.chars() {
        match index(c) {
            Some(i) if comma_strip || spaced & (1 << i) != 0 => {}
            Some(_) => out.push(' '),
            None => out.push(c),
        }
    }
    if !out.contains('.') {
        return out;
    }
    // `re.compile(r'(?<!\d)\.(?!\d)').sub('', outText, 32)`: the first 32 periods with no
    // digit right before or after them in `outText` (the lookbehind reads the unmodified text).
    let digit = |c: Option<char>| c.is_some_and(|c| py_decimal(c).is_some());
    let mut removed = 0;
    let mut result = String::with_capacity(out.len());
    let mut prev = None;
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        let strip =
            c == '.' && removed < PERIOD_COUNT && !digit(prev) && !digit(chars.peek().copied());
        prev = Some(c);
        if strip {
            removed += 1;
            continue;
        }
        result.push(c);
    }
    result
}

/// VLMEvalKit's `YOrN_Extraction`: `Some(true)` for Yes, `Some(false)` for No, `None` when
/// both or neither word occurs.
pub fn yorn_extraction(output: &str) -> Option<bool> {
    let text = process_punctuation(&output.to_lowercase());
    let (mut yes, mut no) = (false, false);
    for w in text.split(is_py_space).filter(|w| !w.is_empty()) {
        yes |= w == "yes";
        no |= w == "no";
    }
    match (yes, no) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// The gold answer as a boolean: yes/true/1 or no/false/0 (any case, any numeric spelling).
fn gold_answer(gold: &Gold) -> Option<bool> {
    let a = gold.answers.first()?.trim();
    if a.eq_ignore_ascii_case("yes") || a.eq_ignore_ascii_case("true") {
        return Some(true);
    }
    if a.eq_ignore_ascii_case("no") || a.eq_ignore_ascii_case("false") {
        return Some(false);
    }
    let v = py_float(a)?;
    if v == 1.0 {
        Some(true)
    } else if v == 0.0 {
        Some(false)
    } else {
        None
    }
}

fn word(answer: bool) -> String {
    if answer { "Yes" } else { "No" }.to_string()
}

impl Scorer for YesNo {
    fn name(&self) -> &'static str {
        "yes_no"
    }

    fn primary_metric(&self) -> &'static str {
        "accuracy"
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec!["accuracy", "accuracy_normalized"]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let want = gold_answer(gold);
        let raw = yorn_extraction(response);
        let normalized = raw.or_else(|| {
            let candidate =
                extract::final_answer(response).unwrap_or_else(|| extract::clean(response));
            (candidate != response)
                .then(|| yorn_extraction(candidate))
                .flatten()
        });
        let correct = |a: Option<bool>| a.is_some() && a == want;
        let mut metrics = BTreeMap::new();
        metrics.insert("accuracy".to_string(), f64::from(u8::from(correct(raw))));
        metrics.insert(
            "accuracy_normalized".to_string(),
            f64::from(u8::from(correct(normalized))),
        );
        Score {
            metrics,
            extracted: normalized.map(word),
            how: if raw.is_some() {
                How::Rule
            } else {
                How::Unparsed
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gold(a: &str) -> Gold {
        Gold {
            answers: vec![a.to_string()],
            ..Gold::default()
        }
    }

    /// (accuracy, accuracy_normalized, how)
    fn run(answer: &str, response: &str) -> (f64, f64, How) {
        let s = YesNo.score(&gold(answer), response);
        (
            s.metrics["accuracy"],
            s.metrics["accuracy_normalized"],
            s.how,
        )
    }

    #[test]
    fn extraction_matches_vlmevalkit() {
        // Each expectation was checked against VLMEvalKit e8e78f0 (2026-08-18) `YOrN_Extraction`
        // and `process_punctuation` run under CPython 3.11.
        let cases: &[(&str, Option<bool>)] = &[
            ("Yes", Some(true)),
            ("No.", Some(false)),        // "no" after the period is removed
            ("Yes, it is.", Some(true)), // ", " present: comma deleted
            ("Yes and no", None),        // both words
            ("Not sure", None),          // "not" is not "no"
            ("Nope", None),
            ("yes-no", None), // "-" becomes a space: both words
            ("yes/no", None),
            ("Yes.No", None), // period deleted: "yesno"
            ("yes.5", None),  // period before a digit kept: "yes.5"
            ("No, there is no dog.", Some(false)),
            ("<CONCLUSION>Yes</CONCLUSION>", Some(true)), // < > / become spaces
            ("yes,it is", Some(true)),                    // "," becomes a space
            ("yes,it has 1,000 dots", None),              // digit,digit: "," deleted: "yesit"
            ("YES!", Some(true)),
            ("NO!!!", Some(false)),
            ("(no)", Some(false)),
            ("**Yes**", None),                  // "*" is not handled
            ("The answer is: yes", Some(true)), // ":" is not handled, "yes" is a word
            ("Yes; the bar is taller.", Some(true)),
            ("yes\u{3000}", Some(true)), // ideographic space splits
            ("yes\u{1c}no", None),       // U+001C is whitespace to Python
            ("yes.\u{0661}", None),      // Arabic-Indic one is a digit to `\d`
            ("\u{bf}yes?", None),        // "¿yes": ¿ is not punctuation here
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(yorn_extraction(text), *want, "{text:?}");
        }
    }

    #[test]
    fn period_regex_count_quirk() {
        // VLMEvalKit e8e78f0 (2026-08-18), vlmeval/smp/misc.py: 32 lone periods are removed first; the period of "yes." is the 33rd match and
        // stays, so the word is "yes." and nothing resolves. With 31 it is removed.
        assert_eq!(yorn_extraction(&format!("{}yes.", ". ".repeat(32))), None);
        assert_eq!(
            yorn_extraction(&format!("{}yes.", ". ".repeat(31))),
            Some(true)
        );
    }

    /// `n` numbered sentences ("1. Bar 1 is taller than the line. 2. ..."), then the verdict.
    fn numbered(n: usize, verdict: &str) -> String {
        let mut s: String = (1..=n)
            .map(|i| format!("{i}. Bar {i} is taller than the line. "))
            .collect();
        s.push_str(verdict);
        s
    }

    #[test]
    fn numbered_sentences_under_the_928a95b_period_regex() {
        // Checked against both versions of `process_punctuation` run under CPython 3.11.
        // VLMEvalKit e8e78f0 (2026-08-18), vlmeval/smp/misc.py `process_punctuation`:
        // `re.compile(r'(?<!\d)\.(?!\d)').sub('', outText, re.UNICODE)` with re.UNICODE = 32
        // as the count. In "1. Bar 1 is taller than the line." only the period of "line." matches
        // (the one of "1." follows a digit). 20 sentences use 20 of the 32 removals, so the
        // period of the final "yes." (the 21st match) goes and the word "yes" is read: Yes.
        // Before 928a95b (`(?!<=\d)(\.)(?!\d)`) "1." matched too: 40 matches precede "yes.",
        // which stayed "yes." and the answer was unresolved.
        let long = numbered(20, "So the answer is yes.");
        assert_eq!(yorn_extraction(&long), Some(true));
        assert_eq!(run("Yes", &long), (1.0, 1.0, How::Rule));
        // The count of 32 still applies to the new pattern: 31 sentences leave the 32nd match,
        // "yes.", to be removed; 32 sentences use up the count and "yes." stays: unresolved.
        assert_eq!(
            yorn_extraction(&numbered(31, "So the answer is yes.")),
            Some(true)
        );
        assert_eq!(
            yorn_extraction(&numbered(32, "So the answer is yes.")),
            None
        );
        // The normalised figure reads the marked final answer "yes" in that case.
        assert_eq!(
            run("Yes", &numbered(32, "So the answer is yes.")),
            (0.0, 1.0, How::Unparsed)
        );
        // Every sentence ending in "yes.": the first 32 lose their period, the rest keep it;
        // "yes" occurs as a word either way and "no" never does: Yes.
        let all_yes: String = (1..=40)
            .map(|i| format!("{i}. Is bar {i} red? yes. "))
            .collect();
        assert_eq!(yorn_extraction(&all_yes), Some(true));
    }

    #[test]
    fn period_regex_lookarounds() {
        // A digit before or after keeps the period (928a95b); the lookbehind reads the text
        // before substitution, so both periods of "yes.." go and the second of "5.." goes.
        assert_eq!(process_punctuation("1. yes. 2. no."), "1. yes 2. no");
        assert_eq!(process_punctuation("yes.."), "yes");
        assert_eq!(process_punctuation("5.."), "5.");
        assert_eq!(process_punctuation("a.5 .5 x.y"), "a.5 .5 xy");
        // Arabic-Indic digit one (a `\d` to Python) before the period keeps it.
        assert_eq!(process_punctuation("\u{0661}."), "\u{0661}.");
        assert_eq!(yorn_extraction("Answer 1. yes"), Some(true));
        // "yes.5": the period is followed by a digit and stays: the word is "yes.5".
        assert_eq!(yorn_extraction("yes.5"), None);
    }

    #[test]
    fn process_punctuation_exact() {
        assert_eq!(process_punctuation("yes, it is."), "yes it is");
        assert_eq!(
            process_punctuation("yes,it has 1,000 dots"),
            "yesit has 1000 dots"
        );
        assert_eq!(
            process_punctuation("<conclusion>yes</conclusion>"),
            " conclusion yes  conclusion "
        );
        assert_eq!(process_punctuation("no!!!"), "no   ");
    }

    #[test]
    fn gold_forms() {
        assert_eq!(run("Yes", "yes"), (1.0, 1.0, How::Rule));
        assert_eq!(run("1", "Yes."), (1.0, 1.0, How::Rule));
        assert_eq!(run("0", "No"), (1.0, 1.0, How::Rule));
        assert_eq!(run("no", "Yes"), (0.0, 0.0, How::Rule));
        assert_eq!(run("0", "Yes"), (0.0, 0.0, How::Rule));
        assert_eq!(run("false", "no"), (1.0, 1.0, How::Rule));
        assert_eq!(run("1.0", "yes"), (1.0, 1.0, How::Rule));
        // An unreadable gold answer can match nothing.
        assert_eq!(run("maybe", "yes"), (0.0, 0.0, How::Rule));
    }

    #[test]
    fn unresolved_and_normalized() {
        // Both words: unresolved, wrong, never guessed.
        assert_eq!(run("Yes", "Yes and no"), (0.0, 0.0, How::Unparsed));
        // Markdown bold is unresolved officially; the normalised pass strips it.
        assert_eq!(run("Yes", "**Yes**"), (0.0, 1.0, How::Unparsed));
        // LLaVA-CoT: "no" in the reasoning and "Yes" in the conclusion: the raw rule sees both.
        let cot = "<REASONING>There is no label on the left bar, but it is taller.</REASONING>\
                   <CONCLUSION>Yes</CONCLUSION>";
        assert_eq!(run("Yes", cot), (0.0, 1.0, How::Unparsed));
        let s = YesNo.score(&gold("1"), cot);
        assert_eq!(s.extracted.as_deref(), Some("Yes"));
        // A wrong conclusion stays wrong.
        assert_eq!(run("No", cot), (0.0, 0.0, How::Unparsed));
        // No marker and nothing to strip: the normalised figure is the official one.
        let s = YesNo.score(&gold("No"), "I cannot tell");
        assert_eq!(
            (s.metrics["accuracy_normalized"], s.how, s.extracted),
            (0.0, How::Unparsed, None)
        );
    }

    #[test]
    fn names() {
        assert_eq!(YesNo.name(), "yes_no");
        assert_eq!(YesNo.primary_metric(), YesNo.metric_names()[0]);
    }
}
