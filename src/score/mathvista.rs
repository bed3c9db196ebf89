//! MathVista scoring: the official extraction and normalisation of MathVista's
//! `evaluation/extract_answer.py` and `evaluation/calculate_score.py`, with deterministic rules
//! standing in for the official GPT answer extractor.
//!
//! Version followed: lupantech/MathVista `53d5258` (2025-09-28), the newest commit read;
//! `extract_answer.py` last changed in `6ea75de` (2024-03-03), `calculate_score.py` in `e999481`
//! (2024-11-28, `round(..., int(precision))`).
//!
//! Extraction (`extract_answer`), in the official order with the official defaults:
//! 1. an empty response (`response == ""`) extracts nothing;
//! 2. multiple choice: a response equal to one of the choice texts is taken as is;
//! 3. `answer_type` integer: `str(int(response))` when Python's `int()` accepts the response;
//!    `answer_type` float: `str(float(response))` when Python's `float()` accepts it;
//! 4. everything else goes to the GPT extractor. The quick rule
//!    `re.search(r'The answer is "(.*)"\.', response)` runs only with `--quick_extract`, which is
//!    off by default, so evalkit does not apply it (its greedy capture also swallowed hedged
//!    answers: `The answer is "3". Or "6".` captured `3". Or "6`).
//!
//! In place of the GPT extractor, evalkit's rules take only an unambiguous answer: the model's
//! marked final answer ([`extract::final_answer`]: `<CONCLUSION>`, `\boxed{}`, "The answer is",
//! "Answer:", ...), reduced to what the answer type needs (a leading option letter, the first
//! number, a list); without a marker, the whole response only when it is unambiguous: a bare
//! option letter (`B`, `(B)`, `B.`, `B)`) or a choice text, exactly one number, a bracketed list,
//! a short (<= 5 words) text. A hedged answer is never decided by rule: a candidate holding the
//! word "or" outside a choice text (`Answer: 3 or 6`), or followed by a sentence that starts
//! with "or" (`The answer is "3". Or "6".`), is left to the judge.
//!
//! Anything else is [`How::Unparsed`] and wrong, unless a judge is configured.
//!
//! Judge (optional): the official GPT extractor. [`Scorer::judge_prompt`] builds the official
//! `create_test_prompt`: the 5-example `demo_prompt` of `evaluation/prompts/ext_ans.py` (kept
//! verbatim in `prompts/mathvista_extract.txt`), a blank line, the item's `query` (the dataset's
//! full prompt; `gold.fields["query"]`, else `["question"]`), a blank line, the response, a blank
//! line and `Extracted answer: `. It is asked only for responses the rules leave unparsed (an empty
//! response is not sent: the official code extracts nothing from it). [`Scorer::judge_verdict`]
//! takes the stripped reply as the extraction and applies the same official normalisation and
//! comparison as the rules: a non-empty reply decides the item ([`How::Judge`]; a reply that does
//! not normalise, such as `null` for an integer item, is a decided wrong answer), an empty reply
//! leaves it [`How::Unparsed`].
//!
//! Normalisation (`normalize_extracted_answer`), exactly as the official code:
//! - multiple choice: strip; the first `(X)` gives letter X (upper-cased); a letter among the
//!   options (A, B, ... by position) maps to that choice's text; anything else maps to the choice
//!   with the smallest Levenshtein distance (the first on ties);
//! - integer: `str(int(float(x)))` (truncation: `5.9` gives `5`);
//! - float: `str(round(float(x), int(precision)))` with Python's round-half-even on the binary
//!   value and Python's float repr (`round(2.675, 2)` is `2.67`; `str(3.0)` is `3.0`);
//! - list: `str(x)` in Python style (`[1, 2.5, 3]`); text: unchanged.
//!
//! Correct iff the normalised prediction equals the gold answer string.
//!
//! Deliberate differences: VLMEvalKit's MathVista scorer skips the precision rounding and can
//! never score list answers; evalkit does neither. The official code maps an empty extraction to
//! the nearest (shortest) choice; evalkit counts it unparsed. A rule-extracted lone letter is
//! upper-cased (`b` -> `B`) as the GPT extractor would. A missing `precision` on a float item
//! compares `str(float(x))` unrounded (the official `int(precision)` raises on a missing
//! precision, so the item could never be right; MathVista's float items all carry one). List answers are compared after bringing both sides to Python's `str(list)`
//! form, so `[1,2]` and `[1, 2]` agree.
//!
//! Gold: `gold.answers[0]` is the answer; `gold.fields["question_type"]` is `multi_choice` or
//! `free_form`, `["answer_type"]` one of `text`, `integer`, `float`, `list`, `["precision"]`
//! the decimals of a float answer (`1`, `2`, `2.0`); `gold.choices` the choice texts.

use crate::template::fill;
use std::borrow::Cow;
use std::collections::BTreeMap;

use super::extract::{self, py_float, py_float_repr, py_int, py_round, py_strip};
use super::{Gold, How, Score, Scorer};
use crate::suite::item::Choice;

/// MathVista (testmini/test) with rule-based extraction and the official normalisation.
pub struct MathVista;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AnswerType {
    Text,
    Integer,
    Float,
    List,
}

/// How the official code sees one item.
struct Problem<'a> {
    multi_choice: bool,
    answer_type: AnswerType,
    precision: Option<i32>,
    choices: &'a [Choice],
}

impl<'a> Problem<'a> {
    fn new(gold: &'a Gold) -> Self {
        let field = |k: &str| gold.fields.get(k).map(|v| v.trim());
        let multi_choice = match field("question_type") {
            Some(q) => q == "multi_choice",
            None => !gold.choices.is_empty(),
        };
        let answer_type = match field("answer_type") {
            Some("integer") => AnswerType::Integer,
            Some("float") => AnswerType::Float,
            Some("list") => AnswerType::List,
            _ => AnswerType::Text,
        };
        // `int(precision)`; the parquet release stores it as a float (`2.0`).
        let precision = field("precision")
            .and_then(py_float)
            .filter(|p| p.is_finite())
            .map(|p| p.trunc() as i32);
        Problem {
            multi_choice,
            answer_type,
            precision,
            choices: &gold.choices,
        }
    }
}

/// A lone option letter as a model writes it: `B`, `(B)`, `B.`, `B)`, `B:`, alone or followed
/// by whitespace and more text (`(B) 12 cm`). Upper-cased.
fn letter_form(s: &str) -> Option<char> {
    let b = s.as_bytes();
    let ends = |rest: &[u8]| rest.first().is_none_or(|c| c.is_ascii_whitespace());
    let c = match b {
        [c] => *c,
        [b'(', c, b')', rest @ ..] if ends(rest) => *c,
        [c, b'.' | b')' | b':', rest @ ..] if ends(rest) => *c,
        _ => return None,
    };
    c.is_ascii_alphabetic()
        .then(|| c.to_ascii_uppercase() as char)
}

/// Length of a plain decimal number at the start of `b`: digits with optional thousands groups
/// (`1,234`) and an optional fraction (`.5`); 0 when `b` does not start with one.
fn plain_number_len(b: &[u8]) -> usize {
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut j = int;
    if (1..=3).contains(&int) {
        while b.get(j) == Some(&b',')
            && b.len() >= j + 4
            && b[j + 1..j + 4].iter().all(u8::is_ascii_digit)
            && !b.get(j + 4).is_some_and(u8::is_ascii_digit)
        {
            j += 4;
        }
    }
    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j += 1;
        j += b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    j
}

/// `\frac{a}{b}` (also `\dfrac`, `\tfrac`) at the start of `s`: (value, length).
fn latex_frac(s: &str) -> Option<(f64, usize)> {
    let prefix = ["\\frac{", "\\dfrac{", "\\tfrac{"]
        .into_iter()
        .find(|p| s.starts_with(p))?;
    let rest = &s[prefix.len()..];
    let close = rest.find('}')?;
    let num = py_float(&rest[..close])?;
    let rest2 = rest[close + 1..].strip_prefix('{')?;
    let close2 = rest2.find('}')?;
    let den = py_float(&rest2[..close2])?;
    (den != 0.0).then_some((num / den, prefix.len() + close + 2 + close2 + 1))
}

/// The first number written in `s` and whether another follows. Numbers are plain decimals
/// (thousands separators dropped, a sign when it does not follow a letter, digit or `)`),
/// fractions `a/b` and `\frac{a}{b}` (as their value).
fn numbers(s: &str) -> (Option<String>, bool) {
    let b = s.as_bytes();
    let mut first = None;
    let mut i = 0;
    while i < b.len() {
        let found: Option<(String, usize)> = if b[i] == b'\\' {
            latex_frac(&s[i..]).map(|(v, n)| (py_float_repr(v), i + n))
        } else if b[i].is_ascii_digit() {
            let end = i + plain_number_len(&b[i..]);
            let signed = i > 0
                && matches!(b[i - 1], b'-' | b'+')
                && (i < 2 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b')'));
            let start = if signed { i - 1 } else { i };
            let text = s[start..end].replace(',', "");
            // `a/b` with a plain denominator.
            let den_len = if b.get(end) == Some(&b'/') {
                plain_number_len(&b[end + 1..])
            } else {
                0
            };
            match (den_len, py_float(&text)) {
                (1.., Some(num)) => match py_float(&s[end + 1..end + 1 + den_len].replace(',', ""))
                {
                    Some(den) if den != 0.0 => Some((py_float_repr(num / den), end + 1 + den_len)),
                    _ => Some((text, end + 1 + den_len)),
                },
                _ => Some((text, end)),
            }
        } else {
            None
        };
        match found {
            Some((text, next)) => {
                if first.is_some() {
                    return (first, true);
                }
                first = Some(text);
                i = next;
            }
            None => i += 1,
        }
    }
    (first, false)
}

/// A number for an integer/float item from a rule-extracted candidate: the whole candidate when
/// Python's `float()` reads it (after dropping thousands separators), else the first number in a
/// marked answer, or the only number of an unmarked response.
fn number_from(candidate: &str, marked: bool) -> Option<String> {
    let whole = extract::strip_thousands(candidate);
    if py_float(&whole).is_some() {
        return Some(whole.into_owned());
    }
    match numbers(candidate) {
        (Some(n), false) => Some(n),
        (Some(n), true) if marked => Some(n),
        _ => None,
    }
}

/// Whether `word` (lower-case ASCII) occurs in `text` as a whole word, ignoring ASCII case.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// A hedged answer (see the module docs): `candidate` holds the word "or" outside the choice
/// texts, or the text after it in `response` starts a sentence with "or".
fn hedged(response: &str, candidate: &str, choices: &[Choice]) -> bool {
    let mut inside = candidate.to_lowercase();
    for c in choices {
        let text = c.text.to_lowercase();
        if !text.trim().is_empty() {
            inside = inside.replace(&text, " ");
        }
    }
    if has_word(&inside, "or") {
        return true;
    }
    // Where the candidate ends in the response (it is a slice of it, or of a copy).
    let start = (candidate.as_ptr() as usize).wrapping_sub(response.as_ptr() as usize);
    let Some(after) = start
        .checked_add(candidate.len())
        .filter(|_| start <= response.len())
        .and_then(|end| response.get(end..))
    else {
        return false;
    };
    let next = after.trim_start_matches(|c: char| {
        extract::is_py_space(c) || "\"'*`_.,;:!?)]}\u{201d}\u{2019}".contains(c)
    });
    let word_len = next
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(next.len());
    next[..word_len].eq_ignore_ascii_case("or")
}

/// Rule extraction (see the module docs). `None` when nothing can be extracted.
fn extract_answer<'r>(response: &'r str, p: &Problem<'_>) -> Option<Cow<'r, str>> {
    if response.is_empty() {
        return None;
    }
    if p.multi_choice && p.choices.iter().any(|c| c.text == response) {
        return Some(Cow::Borrowed(response));
    }
    match p.answer_type {
        AnswerType::Integer => {
            if let Some(i) = py_int(response) {
                return Some(Cow::Owned(i));
            }
        }
        AnswerType::Float => {
            if let Some(f) = py_float(response) {
                return Some(Cow::Owned(py_float_repr(f)));
            }
        }
        _ => {}
    }
    let (candidate, marked) = match extract::final_answer(response) {
        Some(fa) => (fa, true),
        None => (extract::clean(response), false),
    };
    if candidate.is_empty() || hedged(response, candidate, p.choices) {
        return None;
    }
    if p.multi_choice {
        if let Some(l) = letter_form(candidate) {
            return Some(Cow::Owned(l.to_string()));
        }
        if marked {
            return Some(Cow::Borrowed(candidate));
        }
        return p
            .choices
            .iter()
            .find(|c| extract::py_lower_eq(py_strip(&c.text), candidate))
            .map(|c| Cow::Owned(c.text.clone()));
    }
    match p.answer_type {
        AnswerType::Integer | AnswerType::Float => number_from(candidate, marked).map(Cow::Owned),
        AnswerType::List => {
            let bracketed = candidate.starts_with('[') && candidate.ends_with(']');
            (marked || bracketed).then_some(Cow::Borrowed(candidate))
        }
        AnswerType::Text => {
            let short = !candidate.contains('\n') && candidate.split_whitespace().count() <= 5;
            (marked || short).then_some(Cow::Borrowed(candidate))
        }
    }
}

/// Python's `str(x)` for the list a model wrote (`[1,2]`, `1, 2`, `(1, 2)`): elements that
/// `int()` reads print as ints, those `float()` reads as float reprs, others as quoted strings.
fn py_list_str(s: &str) -> String {
    let s = py_strip(s);
    let inner = s
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| s.strip_prefix('(').and_then(|t| t.strip_suffix(')')))
        .unwrap_or(s);
    if py_strip(inner).is_empty() {
        return "[]".to_string();
    }
    let items: Vec<String> = inner
        .split(',')
        .map(|e| {
            let e = extract::clean(e);
            py_int(e)
                .or_else(|| py_float(e).map(py_float_repr))
                .unwrap_or_else(|| format!("'{e}'"))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The official `normalize_extracted_answer`. `None` where Python's `try` fails.
fn normalize(extraction: &str, p: &Problem<'_>) -> Option<String> {
    if p.multi_choice {
        let ex = py_strip(extraction);
        // re.findall(r'\(([a-zA-Z])\)', extraction)[0].upper()
        let letter = ex.as_bytes().windows(3).find_map(|w| {
            (w[0] == b'(' && w[1].is_ascii_alphabetic() && w[2] == b')')
                .then(|| w[1].to_ascii_uppercase() as char)
        });
        let mut buf = [0u8; 4];
        let key = letter.map_or(ex, |c| &*c.encode_utf8(&mut buf));
        let by_letter = key
            .chars()
            .next()
            .filter(|_| key.chars().count() == 1)
            .and_then(|c| {
                let idx = (c as u32).checked_sub('A' as u32)? as usize;
                p.choices.get(idx)
            });
        if let Some(c) = by_letter {
            return Some(c.text.clone());
        }
        let mut best: Option<(usize, &Choice)> = None;
        for c in p.choices {
            let d = extract::levenshtein(key, &c.text);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        return best.map(|(_, c)| c.text.clone());
    }
    match p.answer_type {
        AnswerType::Integer => {
            let x = py_float(extraction)?;
            // int() raises on inf and nan; + 0.0 turns -0 into 0 like Python's int.
            x.is_finite().then(|| format!("{:.0}", x.trunc() + 0.0))
        }
        AnswerType::Float => {
            let x = py_float(extraction)?;
            Some(py_float_repr(match p.precision {
                Some(n) => py_round(x, n),
                None => x,
            }))
        }
        AnswerType::List => Some(py_list_str(extraction)),
        AnswerType::Text => Some(extraction.to_string()),
    }
}

/// The official extraction prompt, placeholders `{query}` and `{response}`.
const EXTRACT_PROMPT: &str = include_str!("../../prompts/mathvista_extract.txt");

/// The official comparison: the normalised prediction equals a gold answer (lists compared in
/// Python's `str(list)` form).
fn matches_gold(gold: &Gold, p: &Problem<'_>, pred: &str) -> bool {
    gold.answers
        .iter()
        .any(|a| a == pred || (p.answer_type == AnswerType::List && py_list_str(a) == pred))
}

impl Scorer for MathVista {
    fn name(&self) -> &'static str {
        "mathvista"
    }

    fn primary_metric(&self) -> &'static str {
        "accuracy"
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec!["accuracy"]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let p = Problem::new(gold);
        let prediction = extract_answer(response, &p).and_then(|ex| normalize(&ex, &p));
        let correct = prediction
            .as_deref()
            .is_some_and(|pred| matches_gold(gold, &p, pred));
        let mut metrics = BTreeMap::new();
        metrics.insert("accuracy".to_string(), f64::from(u8::from(correct)));
        let how = if prediction.is_some() {
            How::Rule
        } else {
            How::Unparsed
        };
        Score {
            metrics,
            extracted: prediction,
            how,
        }
    }

    fn judge_prompt(&self, gold: &Gold, response: &str) -> Option<String> {
        if response.is_empty() || self.score(gold, response).how == How::Rule {
            return None;
        }
        let query = ["query", "question"]
            .iter()
            .find_map(|k| gold.fields.get(*k))
            .map_or("", String::as_str);
        Some(fill(
            EXTRACT_PROMPT,
            &[("{query}", query), ("{response}", response)],
        ))
    }

    fn judge_verdict(&self, gold: &Gold, response: &str, reply: &str) -> Score {
        let score = self.score(gold, response);
        let extraction = py_strip(reply);
        if score.how == How::Rule || extraction.is_empty() {
            return score;
        }
        let p = Problem::new(gold);
        let prediction = normalize(extraction, &p);
        let correct = prediction
            .as_deref()
            .is_some_and(|pred| matches_gold(gold, &p, pred));
        let mut metrics = BTreeMap::new();
        metrics.insert("accuracy".to_string(), f64::from(u8::from(correct)));
        Score {
            metrics,
            extracted: Some(prediction.unwrap_or_else(|| extraction.to_string())),
            how: How::Judge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(answer: &str, answer_type: &str, precision: Option<&str>) -> Gold {
        let mut fields = BTreeMap::new();
        fields.insert("question_type".to_string(), "free_form".to_string());
        fields.insert("answer_type".to_string(), answer_type.to_string());
        if let Some(p) = precision {
            fields.insert("precision".to_string(), p.to_string());
        }
        Gold {
            answers: vec![answer.to_string()],
            choices: vec![],
            fields,
        }
    }

    fn mc(answer: &str, texts: &[&str]) -> Gold {
        let mut fields = BTreeMap::new();
        fields.insert("question_type".to_string(), "multi_choice".to_string());
        fields.insert("answer_type".to_string(), "text".to_string());
        Gold {
            answers: vec![answer.to_string()],
            choices: texts
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    label: char::from(b'A' + i as u8).to_string(),
                    text: t.to_string(),
                })
                .collect(),
            fields,
        }
    }

    /// (accuracy, extracted, how)
    fn run(gold: &Gold, response: &str) -> (f64, Option<String>, How) {
        let s = MathVista.score(gold, response);
        (s.metrics["accuracy"], s.extracted, s.how)
    }

    fn right(gold: &Gold, response: &str, normalized: &str) {
        assert_eq!(
            run(gold, response),
            (1.0, Some(normalized.to_string()), How::Rule),
            "{response:?}"
        );
    }

    fn wrong(gold: &Gold, response: &str, normalized: &str) {
        assert_eq!(
            run(gold, response),
            (0.0, Some(normalized.to_string()), How::Rule),
            "{response:?}"
        );
    }

    fn unparsed(gold: &Gold, response: &str) {
        assert_eq!(
            run(gold, response),
            (0.0, None, How::Unparsed),
            "{response:?}"
        );
    }

    #[test]
    fn multiple_choice() {
        let g = mc("6", &["2", "4", "6", "8"]);
        // Equal to a choice; normalisation: Levenshtein("6", ·) = 1, 1, 0, 1 -> "6".
        right(&g, "6", "6");
        // Bare letter C -> options[2] -> "6".
        right(&g, "C", "6");
        right(&g, "(C) 6", "6");
        right(&g, "C. 6", "6");
        // Lower-case letter upper-cased by the rule extractor.
        right(&g, "c", "6");
        // Marked by "The answer is" (not the quick rule, which is off by default).
        right(&g, "Let me think. The answer is \"C\".", "6");
        // LLaVA-CoT conclusion with a prefix inside.
        right(
            &g,
            "<REASONING>2+4</REASONING><CONCLUSION>The answer is C.</CONCLUSION>",
            "6",
        );
        // Marked "8": not a letter; Levenshtein -> "8": wrong.
        wrong(&g, "Answer: 8", "8");
        // Marked "(B) four": the first (X) gives B -> "4".
        wrong(&g, "Final answer: (B) four", "4");
        // Marked "six": Levenshtein "six" vs "2","4","6","8" = 3 each -> first -> "2".
        wrong(&g, "Answer: six", "2");
        // Unmarked prose: nothing extracted, no nearest-choice guess.
        unparsed(&g, "I think it's six");
        unparsed(&g, "");
        // A letter beyond the options goes to Levenshtein like the official code:
        // "E" vs "2","4","6","8" = 1 each -> "2".
        wrong(&g, "E", "2");
    }

    #[test]
    fn multiple_choice_text_choices() {
        let g = mc("blue", &["red", "blue", "green"]);
        // Unmarked text equal to a choice ignoring case -> that choice.
        right(&g, "Blue", "blue");
        // Marked "bleu": Levenshtein red=3 ("bleu"->"red"), blue=2, green=4 -> "blue".
        right(&g, "Answer: bleu", "blue");
        // Ties go to the first choice: "rat" vs cat/bat = 1/1 -> "cat".
        let g = mc("bat", &["cat", "bat"]);
        wrong(&g, "Answer: rat", "cat");
    }

    #[test]
    fn integer_answers() {
        let g = free("5", "integer", None);
        // int("5") -> "5"; int(" 5\n") -> "5" (Python strips whitespace).
        right(&g, "5", "5");
        right(&g, " 5\n", "5");
        // int("5.0") raises; rule extraction finds "5.0"; str(int(float("5.0"))) = "5".
        right(&g, "5.0", "5");
        // Truncation: int(5.9) = 5.
        right(&g, "5.9", "5");
        // One number in unmarked prose.
        right(&g, "There are 5 people.", "5");
        // Marked: the first number after the marker.
        right(
            &g,
            "Between 2 and 3 rows... so the answer is 5 people.",
            "5",
        );
        right(&g, "\\boxed{\\frac{10}{2}}", "5");
        right(&g, "Answer: 10/2", "5");
        // Two numbers and no marker: unparsed, not guessed.
        unparsed(&g, "There are 5 people and 3 dogs.");
        unparsed(&g, "five");
        wrong(&g, "Answer: 6", "6");
        // int(-0.5) == 0 -> "0".
        right(&free("0", "integer", None), "-0.5", "0");
        // Thousands separators in a marked answer.
        right(&free("1234", "integer", None), "Answer: 1,234", "1234");
        // A sign after a letter or digit is not a sign: "3-5" holds 3 and 5; "x=-4" holds -4.
        right(&free("-4", "integer", None), "So x=-4.", "-4");
    }

    #[test]
    fn float_answers_python_round_and_repr() {
        // round(2.675, 2) == 2.67: the double nearest 2.675 is
        // 2.67499999999999982236431605997495353221893310546875.
        right(&free("2.67", "float", Some("2")), "2.675", "2.67");
        // round(1.45, 1) == 1.4 for the same reason.
        right(&free("1.4", "float", Some("1")), "1.45", "1.4");
        // Precision stored as a float in parquet.
        right(&free("1.4", "float", Some("1.0")), "1.45", "1.4");
        // str(round(3.0, 1)) == "3.0": a gold "3.0" matches "3"; a gold "3" never does.
        right(&free("3.0", "float", Some("1")), "3", "3.0");
        wrong(&free("3", "float", Some("1")), "3", "3.0");
        // round(0.125, 2) == 0.12 (exact binary tie, to even).
        right(&free("0.12", "float", Some("2")), "Answer: 0.125", "0.12");
        // "1,234.5" after a marker -> 1234.5 -> round(·, 1) -> "1234.5".
        right(
            &free("1234.5", "float", Some("1")),
            "Final answer: 1,234.5",
            "1234.5",
        );
        // The VLMEvalKit bug of skipping rounding is not copied: 1.456 rounds to 1.46.
        right(
            &free("1.46", "float", Some("2")),
            "The answer is 1.456",
            "1.46",
        );
        // No precision: str(float(x)) unrounded.
        wrong(&free("1.46", "float", None), "1.456", "1.456");
        unparsed(&free("1.5", "float", Some("1")), "one and a half");
    }

    #[test]
    fn list_answers() {
        let g = free("[1, 2, 3]", "list", None);
        right(&g, "[1,2,3]", "[1, 2, 3]");
        right(&g, "Answer: 1, 2, 3", "[1, 2, 3]");
        // Python prints 1.0 as 1.0: str([1.0, 2, 3]) != "[1, 2, 3]".
        wrong(&g, "[1.0, 2, 3]", "[1.0, 2, 3]");
        // A gold written without spaces still compares in Python form.
        right(
            &free("[2007,2008]", "list", None),
            "[2007, 2008]",
            "[2007, 2008]",
        );
        unparsed(&g, "the first three numbers");
    }

    #[test]
    fn text_answers() {
        let g = free("Linda", "text", None);
        right(&g, "Linda", "Linda");
        right(&g, "The answer is \"Linda\".", "Linda");
        // Text is compared exactly, as in the official code.
        wrong(&g, "linda", "linda");
        unparsed(
            &g,
            "It is hard to say who the person on the left of the picture is, maybe Linda",
        );
    }

    /// MathVista 53d5258 (2025-09-28), `evaluation/extract_answer.py` (last changed 6ea75de,
    /// 2024-03-03): without `--quick_extract` (the default) a response that is not a choice
    /// text, an `int()` or a `float()` goes to the GPT extractor. Hedged answers are therefore
    /// not decided by rule: unparsed without a judge, sent to the judge with one.
    #[test]
    fn hedged_answers_go_to_the_judge() {
        let g = free("3", "integer", None);
        let hedge = "The answer is \"3\". Or \"6\".";
        // The quick rule's greedy capture would give `3". Or "6`; the old rule chain then took
        // its first number, 3, and scored it right by rule. Now: unparsed.
        unparsed(&g, hedge);
        unparsed(&g, "Answer: 3 or 6");
        unparsed(&g, "The answer is 3, or maybe 6.");
        unparsed(&g, "The answer is 3.\nOr 6, if the last bar counts.");
        assert!(MathVista.judge_prompt(&g, hedge).is_some());
        assert_eq!(judged(&g, hedge, "3"), (1.0, Some("3".into()), How::Judge));
        // Multiple choice: a second letter offered after the first is a hedge too.
        let m = mc("6", &["2", "4", "6", "8"]);
        unparsed(&m, "The answer is \"C\". Or \"D\".");
        unparsed(&m, "Answer: C (or possibly D)");
        // Not hedges: "or" inside a word, or inside a choice text.
        right(&g, "The answer is \"3\".", "3");
        right(&free("3", "integer", None), "Answer: 3 doors", "3");
        let colours = mc("red or blue", &["red or blue", "green"]);
        right(&colours, "Answer: Red or blue", "red or blue");
        right(&colours, "Answer: A", "red or blue");
        right(&free("Orlando", "text", None), "Answer: Orlando", "Orlando");
        // A later sentence that merely contains "or" is no hedge.
        right(&g, "Answer: 3. The others are red or blue.", "3");
    }

    #[test]
    fn numbers_scanner() {
        assert_eq!(numbers("3-5"), (Some("3".into()), true));
        assert_eq!(numbers("x=-4"), (Some("-4".into()), false));
        assert_eq!(numbers("1,234,567 and"), (Some("1234567".into()), false));
        assert_eq!(numbers("\\dfrac{1}{4}"), (Some("0.25".into()), false));
        assert_eq!(numbers("3/0"), (Some("3".into()), false));
        assert_eq!(numbers("none"), (None, false));
    }

    fn with_query(mut g: Gold, query: &str) -> Gold {
        g.fields.insert("query".to_string(), query.to_string());
        g
    }

    /// (accuracy, extracted, how) of the judge's verdict.
    fn judged(gold: &Gold, response: &str, reply: &str) -> (f64, Option<String>, How) {
        let s = MathVista.judge_verdict(gold, response, reply);
        (s.metrics["accuracy"], s.extracted, s.how)
    }

    #[test]
    fn judge_prompt_is_the_official_extraction_prompt() {
        let query = "Hint: Please answer the question requiring an integer answer and provide the \
                     final value, e.g., 1, 2, 3, at the end.\nQuestion: How many bars are there?";
        let g = with_query(free("5", "integer", None), query);
        // Resolved by rule (int() reads it): no judge step; nor for an empty response.
        assert_eq!(MathVista.judge_prompt(&g, "5"), None);
        assert_eq!(MathVista.judge_prompt(&g, ""), None);
        let response = "There are five bars, one per year {response}.";
        let prompt = MathVista.judge_prompt(&g, response).unwrap();
        assert!(
            prompt.starts_with(
                "Please read the following example. Then extract the answer from the model \
                 response and type it at the end of the prompt.\n\nHint: Please answer the \
                 question requiring an integer answer"
            ),
            "{prompt}"
        );
        // The fifth example ends the demo; then query, response and the answer slot, each
        // separated by a blank line (the official `create_test_prompt`).
        let tail = format!(
            "Model response: The correct answer is (B) 8/11.\n\nExtracted answer: B\n\n\
             {query}\n\n{response}\n\nExtracted answer: "
        );
        assert!(prompt.ends_with(&tail), "{prompt}");
        assert!(
            prompt.contains("Question: What fraction of the shape is blue?\nChoices:\n(A) 3/11\n")
        );
        // Five worked examples.
        assert_eq!(prompt.matches("Extracted answer: ").count(), 6);
        // Without a query the question field is used.
        let mut g2 = free("5", "integer", None);
        g2.fields.insert("question".into(), "How many?".into());
        assert!(
            MathVista
                .judge_prompt(&g2, "five")
                .unwrap()
                .contains("Extracted answer: B\n\nHow many?\n\nfive\n\n")
        );
    }

    #[test]
    fn judge_extractions_are_normalised_by_the_official_rules() {
        let prose = "I count the bars one by one and find there are five of them";
        // Integer: "5" -> str(int(float("5"))) = "5" == gold: right by the judge.
        let g = free("5", "integer", None);
        assert_eq!(run(&g, prose), (0.0, None, How::Unparsed));
        assert_eq!(
            judged(&g, prose, " 5\n"),
            (1.0, Some("5".into()), How::Judge)
        );
        // "5.0" -> int(float("5.0")) = 5: right; "6": wrong but decided.
        assert_eq!(
            judged(&g, prose, "5.0"),
            (1.0, Some("5".into()), How::Judge)
        );
        assert_eq!(judged(&g, prose, "6"), (0.0, Some("6".into()), How::Judge));
        // "null": float() raises -> no normalised answer: a decided wrong answer.
        assert_eq!(
            judged(&g, prose, "null"),
            (0.0, Some("null".into()), How::Judge)
        );
        // An empty reply decides nothing.
        assert_eq!(judged(&g, prose, "  "), (0.0, None, How::Unparsed));
        // Float, precision 2: round(1.456, 2) = 1.46 == gold (the rounding VLMEvalKit skips).
        let g = free("1.46", "float", Some("2"));
        assert_eq!(
            judged(&g, "roughly one and a half", "1.456"),
            (1.0, Some("1.46".into()), How::Judge)
        );
        // Float, precision 1 stored as 1.0: round(2.45, 1) = 2.5 (2.45 is 2.4500000000000001776...).
        let g = free("2.5", "float", Some("1.0"));
        assert_eq!(
            judged(&g, "two and a half-ish", "2.45"),
            (1.0, Some("2.5".into()), How::Judge)
        );
        // List: "[2007, 2008]" == gold.
        let g = free("[2007, 2008]", "list", None);
        assert_eq!(
            judged(&g, "between those two years", "[2007, 2008]"),
            (1.0, Some("[2007, 2008]".into()), How::Judge)
        );
        // Multiple choice: the letter "B" -> choices[1] = "4"; "(C) 6" -> C -> "6".
        let g = mc("4", &["2", "4", "6", "8"]);
        let prose = "It is the second smallest of the numbers shown on the sheet of paper";
        assert_eq!(run(&g, prose).2, How::Unparsed);
        assert_eq!(judged(&g, prose, "B"), (1.0, Some("4".into()), How::Judge));
        assert_eq!(
            judged(&g, prose, "(C) 6"),
            (0.0, Some("6".into()), How::Judge)
        );
        // A rule-resolved response keeps its rule score.
        assert_eq!(judged(&g, "C", "B"), (0.0, Some("6".into()), How::Rule));
    }

    #[test]
    fn names() {
        assert_eq!(MathVista.name(), "mathvista");
        assert_eq!(MathVista.metric_names(), vec!["accuracy"]);
    }
}
