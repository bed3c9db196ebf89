//! lmms-eval's multiple-choice letter extraction, which its MMStar task scores with: a
//! reimplementation of `extract_mcq_answer` (`lmms_eval/tasks/_task_utils/mcq_extract.py`) and
//! `exact_match` (`lmms_eval/tasks/mmstar/utils.py`), EvolvingLMMs-Lab/lmms-eval 75571cf
//! (2026-08-06).
//!
//! The upstream rule, step by step:
//! 1. An empty or all-whitespace response gives no letter.
//! 2. `text = response.strip()`, then `text = text.strip(c)` for each of `, . ! ? ; : ' "` in
//!    that order, then one space is added on each side.
//! 3. Candidates (letter, position, format), for each choice letter (MMStar: `A`..`D`): the last
//!    `(X)` ("parentheses"), `X.` ("period"), `X:` ("colon"), `X)` ("right_paren"), `X `
//!    ("space"); for every answer phrase ("the answer is", "i choose", ...) found (its first
//!    occurrence in the lower-cased text), the first `X` after it ("phrase"); the letter the
//!    stripped text starts with when the next character is not a letter ("start"), and the one
//!    it ends with when the character before is not a letter ("end").
//! 4. Only when there is no candidate at all: the last occurrence of any letter ("fallback"):
//!    "Dog" reads as D.
//! 5. The candidate with the highest format priority wins (start 10, end 9, phrase 7,
//!    parentheses 6, period 5, colon 4, right_paren 3, space 2, fallback 0); within a format,
//!    the later position.
//!
//! Positions are counted in characters, as Python's are, so the phrase search in the
//! lower-cased text lines up with the original text even when lower-casing changes a
//! character's byte length. One approximation: Python's `str.isalpha` is the Unicode letter
//! categories (L*), Rust's `char::is_alphabetic` the Alphabetic property (also letter numbers
//! and some combining marks); the two differ only for such characters right beside a letter.

use crate::score::extract::py_strip;

/// lmms-eval's `_ANSWER_PHRASES`, in its order.
const ANSWER_PHRASES: &[&str] = &[
    "the answer is",
    "answer is",
    "the correct answer is",
    "correct answer is",
    "the best answer is",
    "best answer is",
    "the correct option is",
    "correct option is",
    "the best option is",
    "best option is",
    "the choice is",
    "choice is",
    "the correct choice is",
    "correct choice is",
    "i choose",
    "i select",
    "i pick",
    "my answer is",
    "my choice is",
    "옵션",
    "정답은",
    "답은",
    "답:",
    "答案是",
    "答案为",
    "选",
    "答えは",
];

/// The letters lmms-eval's MMStar task passes (`choices=["A", "B", "C", "D"]`).
pub const MMSTAR_LETTERS: &[char] = &['A', 'B', 'C', 'D'];

/// Characters stripped from both ends, one after the other.
const EDGE_CHARS: &[char] = &[',', '.', '!', '?', ';', ':', '\'', '"'];

/// One candidate: letter, position, priority.
type Candidate = (char, usize, u8);

/// The last start of `needle` in `hay` (character positions), like `str.rfind`.
fn rfind(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()] == *needle)
}

/// The first start of `needle` in `hay` at or after `from`, like `str.find(needle, from)`.
fn find_from(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if from > hay.len() || needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle)
}

/// lmms-eval's `extract_mcq_answer(response, choices)`: the letter, or `None` for its `""`.
pub fn extract_mcq_answer(response: &str, letters: &[char]) -> Option<char> {
    if py_strip(response).is_empty() {
        return None;
    }
    let mut stripped = py_strip(response);
    for c in EDGE_CHARS {
        stripped = stripped.trim_matches(*c);
    }
    let text: Vec<char> = std::iter::once(' ')
        .chain(stripped.chars())
        .chain(std::iter::once(' '))
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (suffix, prefix, priority) in [
        (Some(')'), Some('('), 6u8),
        (Some('.'), None, 5),
        (Some(':'), None, 4),
        (Some(')'), None, 3),
        (Some(' '), None, 2),
    ] {
        for &ch in letters {
            let needle: Vec<char> = prefix.into_iter().chain([ch]).chain(suffix).collect();
            if let Some(pos) = rfind(&text, &needle) {
                candidates.push((ch, pos, priority));
            }
        }
    }
    let text_string: String = text.iter().collect();
    let lower: Vec<char> = text_string.to_lowercase().chars().collect();
    for phrase in ANSWER_PHRASES {
        let phrase: Vec<char> = phrase.chars().collect();
        if let Some(idx) = find_from(&lower, &phrase, 0) {
            let after = idx + phrase.len();
            for &ch in letters {
                if let Some(pos) = find_from(&text, &[ch], after) {
                    candidates.push((ch, pos, 7));
                }
            }
        }
    }
    let inner: Vec<char> = py_strip(&text_string).chars().collect();
    for &ch in letters {
        if inner.first() == Some(&ch) && inner.get(1).is_none_or(|c| !c.is_alphabetic()) {
            candidates.push((ch, 0, 10));
        }
    }
    for &ch in letters {
        let n = inner.len();
        if inner.last() == Some(&ch) && (n == 1 || !inner[n - 2].is_alphabetic()) {
            candidates.push((ch, text.len() - 1, 9));
        }
    }
    if candidates.is_empty() {
        for &ch in letters {
            if let Some(pos) = rfind(&text, &[ch]) {
                candidates.push((ch, pos, 0));
            }
        }
    }
    // Python's stable sort on (priority, position), reversed: the first of the greatest wins.
    let mut best: Option<Candidate> = None;
    for c in candidates {
        if best.is_none_or(|b| (c.2, c.1) > (b.2, b.1)) {
            best = Some(c);
        }
    }
    best.map(|b| b.0)
}

/// lmms-eval's MMStar `exact_match(pred, gt)`: 1 when the extracted letter is the gold one
/// (`gt.strip().upper()`).
pub fn mmstar_exact_match(response: &str, gold: &str) -> (f64, Option<char>) {
    let letter = extract_mcq_answer(response, MMSTAR_LETTERS);
    let gold = py_strip(gold).to_uppercase();
    let right = letter.is_some_and(|l| gold.chars().eq([l]));
    (if right { 1.0 } else { 0.0 }, letter)
}

#[cfg(test)]
mod tests {
    //! Cases computed by hand from `extract_mcq_answer` in
    //! `lmms_eval/tasks/_task_utils/mcq_extract.py`, lmms-eval 75571cf.
    use super::*;

    fn x(s: &str) -> Option<char> {
        extract_mcq_answer(s, MMSTAR_LETTERS)
    }

    #[test]
    fn bare_and_marked_letters() {
        assert_eq!(x("B"), Some('B'));
        // "(C)" after the edge strip: parentheses (6) beats right_paren (3); `(` is no start.
        assert_eq!(x("  (C).  "), Some('C'));
        assert_eq!(x("The correct answer is (B)."), Some('B'));
        assert_eq!(x(""), None);
        assert_eq!(x("   "), None);
    }

    #[test]
    fn start_beats_everything_and_later_positions_win_within_a_format() {
        // "A. ... so C." : start (A, 10) beats end (C, 9).
        assert_eq!(x("A. no wait, C"), Some('A'));
        // Starts with "After": `A` followed by a letter is not "start"; "end" is D.
        assert_eq!(x("After all, the answer is D"), Some('D'));
        // Two period candidates, no start/end/phrase: the later wins.
        assert_eq!(x("maybe B. or C. hmm"), Some('C'));
    }

    #[test]
    fn phrase_takes_the_first_letter_after_it_in_the_original_case() {
        // "the answer is" then the first capital A-D after it: the `D` of "Definitely".
        assert_eq!(x("I think the answer is Definitely b"), Some('D'));
        // No letter A-D at all in upper case: fallback finds none either.
        assert_eq!(x("the answer is b"), None);
    }

    #[test]
    fn fallback_only_without_any_candidate() {
        // "Dog" has a capital D and nothing else: fallback D.
        assert_eq!(x("Dog"), Some('D'));
        // "Cat." -> strip "." -> "Cat": starts with C followed by a letter: no start;
        // ends with "t": no end; fallback C.
        assert_eq!(x("Cat."), Some('C'));
    }

    #[test]
    fn exact_match_compares_with_the_stripped_upper_cased_gold() {
        assert_eq!(mmstar_exact_match("(a) no, B", " b "), (1.0, Some('B')));
        assert_eq!(mmstar_exact_match("nothing here", "A"), (0.0, None));
    }
}
