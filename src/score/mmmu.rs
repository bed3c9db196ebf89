//! MMMU's official answer parsing and evaluation, reproduced from the MMMU repository's
//! `mmmu/utils/eval_utils.py` (MMMU-Benchmark/MMMU, read at `bb0b95a`; the file last changed
//! in `aa9b70d`, 2024-09-06): `parse_multi_choice_response`, `parse_open_response` (with
//! `extract_numbers`, `normalize_str`, `check_is_number`), `eval_multi_choice` and `eval_open`.
//!
//! Multiple choice ([`parse_multi_choice`]): strip `, . ! ? ; : '` from both ends (one
//! character kind after another, as the loop of `str.strip` calls does), pad with spaces, then
//! the candidates are the letters written `(X)`; else the letters standing alone as ` X `;
//! else, when the response has more than five words, the options whose text occurs in it (case
//! folded). Several candidates: the one whose mark (or text) occurs last; ties go to the first
//! candidate, as `np.argmax` does.
//!
//! **The one deviation.** When nothing parses, the official code picks a random letter
//! (`random.choice(all_choices)`, seeded 42 for the whole run, so an item's guess depends on
//! every item before it). evalkit never guesses: such an item is wrong and `unparsed` in
//! `accuracy` (the headline). `accuracy_expected` is the official figure's expected value: it
//! counts each unparsed item as 1/(number of options), the chance the random guess is right.
//!
//! Open questions ([`parse_open`], [`eval_open`]): the response is stripped, its periods at
//! the ends removed and lower-cased, then split into lines (the official split also names
//! `\.\s(?=[A-Z])`, which cannot match once the text is lower-cased); in each line the shortest
//! tail after one of `could be `, `so `, `is `, `thus `, `therefore `, `final `, `answer `,
//! `result ` (and `=` on the last line) is a key response; no key response means the whole
//! text. The numbers in each key response (three regexes: thousands, scientific, simple) are
//! added, everything is normalised (a number, commas removed, rounded to 2 places; otherwise
//! lower-cased text, a single character padded with a space on either side) and deduplicated.
//! Right when a parsed number equals a gold number, or a gold text occurs in a parsed text.
//! Gold answers of open questions may be several (`['$MgS$', 'MgS']`): any one counts.
//!
//! Which kind an item is comes from the item field `question_type` (`multiple-choice`, or
//! anything else for open, as `evaluate` does); options from the item's choices.

use std::collections::BTreeMap;

use super::extract::{is_py_space, py_decimal, py_float, py_round, py_strip};
use super::{Gold, How, Score, Scorer};

/// The headline: unparsed multiple-choice answers are wrong.
pub const ACCURACY: &str = "accuracy";
/// The official figure's expected value: an unparsed multiple-choice answer counts as
/// 1/(number of options).
pub const EXPECTED: &str = "accuracy_expected";

/// The question type of MMMU's multiple-choice questions (`question_type`).
pub use crate::suite::mmmu::MULTIPLE_CHOICE;

/// `parse_multi_choice_response`: the letter the response picks, `None` where the official
/// code would pick one at random. `options` are (letter, text) in order.
pub fn parse_multi_choice(response: &str, options: &[(&str, &str)]) -> Option<String> {
    let mut r = response;
    for c in [',', '.', '!', '?', ';', ':', '\''] {
        r = r.trim_matches(c);
    }
    let padded = format!(" {r} ");
    let mut candidates: Vec<&str> = Vec::new();
    let mut by_text = false;
    let mut bracketed = false;
    for (letter, _) in options {
        if padded.contains(&format!("({letter})")) {
            candidates.push(letter);
            bracketed = true;
        }
    }
    if candidates.is_empty() {
        for (letter, _) in options {
            if padded.contains(&format!(" {letter} ")) {
                candidates.push(letter);
            }
        }
    }
    let lower = padded.to_lowercase();
    if candidates.is_empty() && padded.split(is_py_space).filter(|w| !w.is_empty()).count() > 5 {
        for (letter, text) in options {
            if lower.contains(&text.to_lowercase()) {
                candidates.push(letter);
                by_text = true;
            }
        }
    }
    match candidates.len() {
        0 => None,
        1 => Some(candidates[0].to_string()),
        _ => {
            // np.argmax over the last positions: the first maximum wins; -1 (absent) loses.
            let position = |letter: &str| -> i64 {
                let found = if by_text {
                    let text = options
                        .iter()
                        .find(|(l, _)| *l == letter)
                        .map_or(String::new(), |(_, t)| t.to_lowercase());
                    lower.rfind(&text)
                } else if bracketed {
                    padded.rfind(&format!("({letter})"))
                } else {
                    padded.rfind(&format!(" {letter} "))
                };
                found.map_or(-1, |i| i as i64)
            };
            let mut best = (candidates[0], position(candidates[0]));
            for c in &candidates[1..] {
                let p = position(c);
                if p > best.1 {
                    best = (c, p);
                }
            }
            Some(best.0.to_string())
        }
    }
}

/// A normalised open answer: a number (rounded to 2 places) or lower-cased text.
#[derive(Clone, Debug, PartialEq)]
pub enum Norm {
    Number(f64),
    Text(String),
}

/// `normalize_str`.
pub fn normalize_str(s: &str) -> Vec<Norm> {
    let s = py_strip(s);
    if let Some(x) = py_float(&s.replace(',', "")) {
        return vec![Norm::Number(py_round(x, 2))];
    }
    let lower = s.to_lowercase();
    if lower.chars().count() == 1 {
        return vec![
            Norm::Text(format!(" {lower}")),
            Norm::Text(format!("{lower} ")),
        ];
    }
    vec![Norm::Text(lower)]
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_digit(c: char) -> bool {
    py_decimal(c).is_some()
}

/// Python's `\b` between `chars[at - 1]` and `chars[at]`.
fn boundary(chars: &[char], at: usize) -> bool {
    let before = at
        .checked_sub(1)
        .and_then(|i| chars.get(i))
        .is_some_and(|c| is_word(*c));
    let after = chars.get(at).is_some_and(|c| is_word(*c));
    before != after
}

/// The end of the run of digits starting at `at`.
fn digits_end(chars: &[char], at: usize) -> usize {
    let mut end = at;
    while chars.get(end).is_some_and(|c| is_digit(*c)) {
        end += 1;
    }
    end
}

/// `[eE][+-]?\d+` at `at`: its end.
fn exponent_at(chars: &[char], at: usize) -> Option<usize> {
    if !matches!(chars.get(at), Some('e' | 'E')) {
        return None;
    }
    let mut p = at + 1;
    if matches!(chars.get(p), Some('+' | '-')) && chars.get(p + 1).is_some_and(|c| is_digit(*c)) {
        p += 1;
    }
    let end = digits_end(chars, p);
    (end > p).then_some(end)
}

/// `re.findall` of a pattern given as "the end of a match of the pattern's body starting at
/// `p`"; an optional leading `-` is tried first, as the regexes' `-?` does.
fn findall(chars: &[char], body: impl Fn(&[char], usize) -> Option<usize>) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let end = if chars[i] == '-' {
            body(chars, i + 1).or_else(|| body(chars, i))
        } else {
            body(chars, i)
        };
        match end {
            Some(end) if end > i => {
                found.push(chars[i..end].iter().collect());
                i = end;
            }
            _ => i += 1,
        }
    }
    found
}

/// `\b\d{1,3}(?:,\d{3})+\b` at `p`.
fn with_commas(chars: &[char], p: usize) -> Option<usize> {
    if !boundary(chars, p) {
        return None;
    }
    let run = digits_end(chars, p) - p;
    for k in (1..=run.min(3)).rev() {
        let mut ends = Vec::new();
        let mut q = p + k;
        while chars.get(q) == Some(&',')
            && (1..=3).all(|j| chars.get(q + j).is_some_and(|c| is_digit(*c)))
        {
            q += 4;
            ends.push(q);
        }
        if let Some(end) = ends.iter().rev().find(|e| boundary(chars, **e)) {
            return Some(*end);
        }
    }
    None
}

/// `\d+(?:\.\d+)?[eE][+-]?\d+` at `p`.
fn scientific(chars: &[char], p: usize) -> Option<usize> {
    let int_end = digits_end(chars, p);
    if int_end == p {
        return None;
    }
    if chars.get(int_end) == Some(&'.') {
        let frac_end = digits_end(chars, int_end + 1);
        if frac_end > int_end + 1
            && let Some(end) = exponent_at(chars, frac_end)
        {
            return Some(end);
        }
    }
    exponent_at(chars, int_end)
}

/// `(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])` at `p`.
fn simple(chars: &[char], p: usize) -> Option<usize> {
    let clear = |end: usize| {
        exponent_at(chars, end).is_none()
            && !chars.get(end).is_some_and(|c| *c == ',' || is_digit(*c))
    };
    let int_end = digits_end(chars, p);
    // \d+\.\d+ and \.\d+ (a shorter fraction is followed by a digit: only the full run).
    let frac_from = if int_end > p { int_end } else { p };
    if chars.get(frac_from) == Some(&'.') {
        let end = digits_end(chars, frac_from + 1);
        if end > frac_from + 1 && clear(end) {
            return Some(end);
        }
    }
    // \d+\b (a shorter run has a digit after it: no boundary).
    (int_end > p && boundary(chars, int_end) && clear(int_end)).then_some(int_end)
}

/// `extract_numbers`: numbers with thousands separators, then in scientific notation, then
/// simple ones, each list in the order found.
pub fn extract_numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut all = findall(&chars, with_commas);
    all.extend(findall(&chars, scientific));
    all.extend(findall(&chars, simple));
    all
}

/// `get_key_subresponses` inside `parse_open_response`.
fn key_responses(response: &str) -> Vec<String> {
    let response = py_strip(response).trim_matches('.').to_lowercase();
    let lines: Vec<&str> = response.split('\n').collect();
    let mut indicators = vec![
        "could be ",
        "so ",
        "is ",
        "thus ",
        "therefore ",
        "final ",
        "answer ",
        "result ",
    ];
    let mut keys = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i + 1 == lines.len() {
            indicators.push("=");
        }
        let mut shortest: Option<String> = None;
        for indicator in &indicators {
            if let Some(at) = line.rfind(indicator) {
                let tail = py_strip(&line[at + indicator.len()..]).to_string();
                // An empty first tail is falsy in Python: the next one replaces it.
                match &shortest {
                    Some(s) if !s.is_empty() && tail.chars().count() >= s.chars().count() => {}
                    _ => shortest = Some(tail),
                }
            }
        }
        if let Some(s) = shortest.filter(|s| !s.is_empty())
            && ![":", ",", ".", "!", "?", ";", "'"].contains(&py_strip(&s))
        {
            keys.push(s);
        }
    }
    if keys.is_empty() {
        return vec![response];
    }
    keys
}

/// `parse_open_response`: the normalised candidates (duplicates removed).
pub fn parse_open(response: &str) -> Vec<Norm> {
    let keys = key_responses(response);
    let mut raw = keys.clone();
    for k in &keys {
        raw.extend(extract_numbers(k));
    }
    let mut out: Vec<Norm> = Vec::new();
    for r in &raw {
        for n in normalize_str(r) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// `eval_open`: a parsed number equal to a gold number, or a gold text inside a parsed text.
pub fn eval_open(gold: &[String], parsed: &[Norm]) -> bool {
    let answers: Vec<Norm> = gold.iter().flat_map(|g| normalize_str(g)).collect();
    parsed.iter().any(|p| match p {
        Norm::Text(t) => answers
            .iter()
            .any(|a| matches!(a, Norm::Text(g) if t.contains(g.as_str()))),
        Norm::Number(x) => answers
            .iter()
            .any(|a| matches!(a, Norm::Number(g) if g == x)),
    })
}

fn score_of(accuracy: f64, expected: f64, extracted: Option<String>, how: How) -> Score {
    Score {
        metrics: BTreeMap::from([
            (ACCURACY.to_string(), accuracy),
            (EXPECTED.to_string(), expected),
        ]),
        extracted,
        how,
    }
}

/// MMMU's official scoring without the random guess.
pub struct Mmmu;

impl Scorer for Mmmu {
    fn name(&self) -> &'static str {
        "mmmu"
    }

    fn primary_metric(&self) -> &'static str {
        ACCURACY
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec![ACCURACY, EXPECTED]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let multiple_choice =
            gold.fields.get("question_type").map(String::as_str) == Some(MULTIPLE_CHOICE);
        if multiple_choice {
            let options: Vec<(&str, &str)> = gold
                .choices
                .iter()
                .map(|c| (c.label.as_str(), c.text.as_str()))
                .collect();
            return match parse_multi_choice(response, &options) {
                Some(letter) => {
                    let right = f64::from(u8::from(gold.answers.contains(&letter)));
                    score_of(right, right, Some(letter), How::Rule)
                }
                None => {
                    let chance = if options.is_empty() {
                        0.0
                    } else {
                        1.0 / options.len() as f64
                    };
                    score_of(0.0, chance, None, How::Unparsed)
                }
            };
        }
        let parsed = parse_open(response);
        let right = f64::from(u8::from(eval_open(&gold.answers, &parsed)));
        let shown: Vec<String> = parsed
            .iter()
            .map(|n| match n {
                Norm::Number(x) => super::extract::py_float_repr(*x),
                Norm::Text(t) => t.clone(),
            })
            .collect();
        score_of(right, right, Some(shown.join(" | ")), How::Rule)
    }
}

#[cfg(test)]
mod tests {
    //! Hand-computed from `mmmu/utils/eval_utils.py` at MMMU-Benchmark/MMMU `bb0b95a`.

    use super::*;
    use crate::suite::Choice;

    const OPTS: [(&str, &str); 4] = [
        ("A", "$6"),
        ("B", "$7"),
        ("C", "the blue one"),
        ("D", "none of these"),
    ];

    #[test]
    fn multiple_choice_parsing_follows_the_official_order() {
        // A bracketed letter wins over a bare one.
        assert_eq!(
            parse_multi_choice("(B) because A is wrong", &OPTS),
            Some("B".into())
        );
        // Trailing punctuation is stripped before padding: "B." reads " B ".
        assert_eq!(parse_multi_choice("B.", &OPTS), Some("B".into()));
        assert_eq!(
            parse_multi_choice("The answer is D", &OPTS),
            Some("D".into())
        );
        // Several bare letters: the last one written wins.
        assert_eq!(parse_multi_choice("Not A but C", &OPTS), Some("C".into()));
        // Several bracketed: the last by rfind of "(X)".
        assert_eq!(
            parse_multi_choice("(A) or maybe (C)? I pick (A)", &OPTS),
            Some("A".into())
        );
        // Option text only with more than five words; the text found last wins.
        assert_eq!(
            parse_multi_choice("i think it must be the blue one overall", &OPTS),
            Some("C".into())
        );
        assert_eq!(
            parse_multi_choice("the blue one", &OPTS),
            None,
            "three words"
        );
        // "$7 ... $6": both texts occur, "$6" last.
        assert_eq!(
            parse_multi_choice("it costs $7 not really, rather $6 total", &OPTS),
            Some("A".into())
        );
        // Nothing: the official random guess; here unparsed.
        assert_eq!(parse_multi_choice("I cannot tell.", &OPTS), None);
        // A lower-case letter is not a letter ("a" != "A").
        assert_eq!(parse_multi_choice("a", &OPTS), None);
    }

    #[test]
    fn numbers_are_extracted_as_the_three_regexes_do() {
        assert_eq!(extract_numbers("1,234 and 5"), vec!["1,234", "234", "5"]);
        // The simple pattern also finds "-3" (its lookahead only guards the end) and "2".
        assert_eq!(extract_numbers("x = -3.5e2 m"), vec!["-3.5e2", "-3", "2"]);
        assert_eq!(extract_numbers("1.06 m"), vec!["1.06"]);
        assert_eq!(extract_numbers("-7 and .5"), vec!["-7", ".5"]);
        assert_eq!(extract_numbers("12ab 3"), vec!["3"], "no boundary after 12");
        assert_eq!(extract_numbers("1e5"), vec!["1e5", "5"]);
        assert_eq!(extract_numbers("1/64"), vec!["1", "64"]);
    }

    #[test]
    fn open_answers_are_parsed_and_normalised() {
        // "the answer is 1.06 m": the shortest tail is "1.06 m" (after "is "); its number 1.06.
        let parsed = parse_open("The answer is 1.06 m.");
        assert_eq!(
            parsed,
            vec![Norm::Text("1.06 m".into()), Norm::Number(1.06)]
        );
        assert!(eval_open(&["1.06".into()], &parsed));
        // Rounded to 2 places: 12.966 -> 12.97.
        assert!(eval_open(&["12.97".into()], &parse_open("so it is 12.966")));
        // Thousands separators: "1,250" is the number 1250.
        assert!(eval_open(&["1250".into()], &parse_open("Total = 1,250")));
        // Text gold inside the parsed text, case-folded.
        assert!(eval_open(
            &["Transformation".into()],
            &parse_open("This process is called transformation")
        ));
        // Several gold answers: any one.
        assert!(eval_open(
            &["$MgS$".into(), "MgS".into()],
            &parse_open("MgS")
        ));
        // A wrong number.
        assert!(!eval_open(&["60".into()], &parse_open("The result is 61")));
        // A one-character gold is padded: "x" only matches as a word edge.
        assert_eq!(
            normalize_str("X"),
            vec![Norm::Text(" x".into()), Norm::Text("x ".into())]
        );
        assert!(!eval_open(&["b".into()], &parse_open("abc")));
    }

    fn gold(kind: &str, answer: &str, choices: &[(&str, &str)]) -> Gold {
        Gold {
            answers: vec![answer.into()],
            choices: choices
                .iter()
                .map(|(l, t)| Choice {
                    label: (*l).into(),
                    text: (*t).into(),
                })
                .collect(),
            fields: BTreeMap::from([("question_type".to_string(), kind.to_string())]),
        }
    }

    #[test]
    fn the_scorer_counts_unparsed_and_their_expected_value() {
        let mc = gold(MULTIPLE_CHOICE, "B", &OPTS);
        let right = Mmmu.score(&mc, "(B)");
        assert_eq!((right.metrics[ACCURACY], right.how), (1.0, How::Rule));
        let wrong = Mmmu.score(&mc, "A");
        assert_eq!(wrong.metrics[EXPECTED], 0.0);
        let none = Mmmu.score(&mc, "no idea");
        assert_eq!(none.how, How::Unparsed);
        assert_eq!(
            (none.metrics[ACCURACY], none.metrics[EXPECTED]),
            (0.0, 0.25)
        );
        let open = gold("open", "60", &[]);
        let s = Mmmu.score(&open, "So the answer is 60.");
        assert_eq!((s.metrics[ACCURACY], s.how), (1.0, How::Rule));
    }
}
