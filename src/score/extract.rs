//! Deterministic answer extraction shared by the scorers, plus the Python number semantics the
//! official scorers rely on.
//!
//! Extraction recognises the final-answer markers vision-language models commonly emit:
//! LLaVA-CoT's `<CONCLUSION>...</CONCLUSION>`, LaTeX `\boxed{...}` (nested braces), the prefixes
//! "Final answer:", "The answer is ...", "Answer: ..." (any `answer:` / `answer is`) and
//! wrapping markdown (`**bold**`, backticks, quotes, `$...$`, `\text{...}`) with any number of
//! trailing periods (`Yes..` reads `Yes`). Relaxed accuracy, multiple choice and yes/no use it
//! only for their separately named `*_normalized` figures; MathVista uses it in place of the
//! official GPT answer extractor (`evaluation/extract_answer.py`).
//!
//! The `py_*` functions reproduce CPython 3 exactly where the official scorers call it:
//! `float(str)` and `int(str)` parsing (pix2struct `metrics.py` `relaxed_correctness`, MathVista
//! `calculate_score.py`), `repr(float)`/`str(float)` and `round(float, n)`.
//!
//! Everything here is a pure function of its input: no allocation unless a result has to be
//! rebuilt, no regex compilation, no panics on any response text.

use std::borrow::Cow;

// ---------------------------------------------------------------------------------------------
// Final-answer markers
// ---------------------------------------------------------------------------------------------

/// Byte offset of the last ASCII-case-insensitive occurrence of `needle` (which must be ASCII)
/// in `hay`. Both ends of a match of an ASCII needle are char boundaries.
fn rfind_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .rev()
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` in `hay[from..]`.
fn find_ascii_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() || from > h.len() - n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Content of the last LLaVA-CoT `<CONCLUSION>...</CONCLUSION>` block (tags matched
/// case-insensitively). A block cut off before its closing tag runs to the end of the text.
pub fn conclusion(text: &str) -> Option<&str> {
    const OPEN: &str = "<conclusion>";
    if !text.contains('<') {
        return None;
    }
    let start = rfind_ascii_ci(text, OPEN)? + OPEN.len();
    let end = find_ascii_ci(text, "</conclusion>", start).unwrap_or(text.len());
    Some(&text[start..end])
}

/// Content of the last `\boxed{...}`, braces matched with nesting (`\boxed{\frac{1}{2}}` gives
/// `\frac{1}{2}`). An unclosed box gives `None`.
pub fn boxed(text: &str) -> Option<&str> {
    const OPEN: &str = "\\boxed{";
    // Cheaper than `str::rfind` for the short texts scored in bulk: look at each backslash.
    let b = text.as_bytes();
    let start = (0..b.len())
        .rev()
        .find(|&i| b[i] == b'\\' && b[i..].starts_with(OPEN.as_bytes()))?
        + OPEN.len();
    let mut depth = 1usize;
    for (i, b) in text.as_bytes()[start..].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the text after a final-answer prefix begins, if `answer` at byte `pos` starts one:
/// `answer:` (also `**Answer**:`) or `answer is` as a word ("The answer is", "Final answer is",
/// "The correct answer is").
fn prefix_end(b: &[u8], pos: usize) -> Option<usize> {
    let k = pos + "answer".len();
    let mut j = k;
    while b.get(j).is_some_and(|c| matches!(c, b'*' | b'_')) {
        j += 1;
    }
    if b.get(j) == Some(&b':') {
        return Some(j + 1);
    }
    let ws = b[k..]
        .iter()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    let is = k + ws;
    let word_is = ws > 0
        && b.len() >= is + 2
        && b[is..is + 2].eq_ignore_ascii_case(b"is")
        && !b.get(is + 2).is_some_and(u8::is_ascii_alphanumeric);
    word_is.then_some(is + 2)
}

/// The text after the last final-answer prefix (case-insensitive `answer:` or `answer is`, which
/// covers "Final answer:", "Answer:", "**Answer:**", "The answer is", "The correct answer is"),
/// up to the end of its line or sentence, cleaned with [`clean`]. `None` when no prefix occurs
/// or nothing follows it.
pub fn after_prefix(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut limit = text.len();
    let start = loop {
        // `limit` is inside or at the end of the text and never splits a character: it is
        // either the text's length or inside an ASCII match of "answer".
        let pos = rfind_ascii_ci(&text[..limit], "answer")?;
        if let Some(end) = prefix_end(b, pos) {
            break end;
        }
        limit = pos + "answer".len() - 1;
    };
    let rest = &text[start..];
    // "The answer is: 42", "**Answer:** 42": drop separators and the closing emphasis.
    let rest =
        rest.trim_start_matches(|c: char| c == ':' || c == '*' || c == '_' || is_py_space(c));
    let line = rest.split('\n').next().unwrap_or(rest);
    // End of sentence: a period followed by whitespace (a decimal point is followed by a digit).
    let b = line.as_bytes();
    let cut = (0..b.len())
        .find(|&i| b[i] == b'.' && b.get(i + 1).is_some_and(|n| n.is_ascii_whitespace()))
        .unwrap_or(line.len());
    let out = clean(&line[..cut]);
    (!out.is_empty()).then_some(out)
}

/// Strips what wraps an answer, repeatedly: surrounding whitespace, markdown bold/italic
/// asterisks and backticks (also unbalanced ones left by a prefix such as `**Answer:** 42**`),
/// balanced quotes (`"`, `'`, curly quotes), balanced `__`/`_`, `$...$`, `\text{...}`,
/// `\textbf{...}`, `\mathrm{...}`, and trailing periods. `"**42**."` becomes `42`.
pub fn clean(s: &str) -> &str {
    let mut s = s;
    loop {
        // Nothing wraps a text that starts and ends with an ASCII letter or digit.
        if s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
            && s.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        {
            return s;
        }
        let before = s.len();
        s = s.trim_matches(|c: char| is_py_space(c) || c == '*' || c == '`');
        s = s.trim_end_matches(['.', '。']);
        for (open, close) in [
            ("\"", "\""),
            ("'", "'"),
            ("\u{201c}", "\u{201d}"),
            ("\u{2018}", "\u{2019}"),
            ("__", "__"),
            ("_", "_"),
            ("$", "$"),
            ("\\text{", "}"),
            ("\\textbf{", "}"),
            ("\\mathrm{", "}"),
        ] {
            if s.len() >= open.len() + close.len() && s.starts_with(open) && s.ends_with(close) {
                s = &s[open.len()..s.len() - close.len()];
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// The model's final answer when it marks one: the `<CONCLUSION>` block if present, then within
/// it (or the whole text) the last `\boxed{}`, else the text after the last final-answer prefix;
/// cleaned with [`clean`]. `None` when the text carries no marker at all.
pub fn final_answer(text: &str) -> Option<&str> {
    let mut s = text;
    // Fast path for the bulk of short answers: every marker needs `<`, `\\` or an `a`/`A`.
    if !text
        .bytes()
        .any(|b| matches!(b, b'<' | b'\\' | b'a' | b'A'))
    {
        return None;
    }
    let mut found = false;
    if let Some(c) = conclusion(s) {
        s = c;
        found = true;
    }
    if let Some(b) = boxed(s) {
        s = b;
        found = true;
    } else if let Some(a) = after_prefix(s) {
        s = a;
        found = true;
    }
    found.then(|| clean(s))
}

// ---------------------------------------------------------------------------------------------
// Python number semantics
// ---------------------------------------------------------------------------------------------

/// CPython's `Py_UNICODE_ISSPACE` (what `str.strip()`, `str.split()`, `float()` and `int()`
/// treat as whitespace): Unicode White_Space plus the separators U+001C..U+001F.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Code points of the digit zero of every Unicode decimal-digit (Nd) block, each followed by
/// digits one to nine (Unicode 14, as in CPython 3.11). Python's `float()`/`int()` accept them.
const ND_ZEROS: &[u32] = &[
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a Unicode decimal digit (Python's `unicodedata.decimal`, regex `\d`).
pub fn py_decimal(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() {
        return None;
    }
    let cp = c as u32;
    let i = ND_ZEROS.partition_point(|&z| z <= cp).checked_sub(1)?;
    let d = cp - ND_ZEROS[i];
    (d < 10).then_some(d as u8)
}

/// Python's preprocessing for `float(str)`/`int(str)`: strip whitespace, map Unicode digits to
/// ASCII, and remove underscores that sit between two digits (PEP 515). `None` when an
/// underscore is misplaced or a character can never be part of a number.
fn py_number_text(s: &str) -> Option<Cow<'_, str>> {
    let s = py_strip(s);
    if s.is_ascii() && !s.contains('_') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut prev_digit = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            let next_digit = chars.peek().is_some_and(|&n| py_decimal(n).is_some());
            if !(prev_digit && next_digit) {
                return None;
            }
            prev_digit = false;
            continue;
        }
        if let Some(d) = py_decimal(c) {
            out.push((b'0' + d) as char);
            prev_digit = true;
        } else if c.is_ascii() {
            out.push(c);
            prev_digit = false;
        } else {
            return None;
        }
    }
    Some(Cow::Owned(out))
}

/// Python's `float(text)` for a `str`: surrounding whitespace allowed, optional sign, decimal
/// or exponent notation, `inf`/`infinity`/`nan` in any case, underscores between digits
/// (`1_000`), Unicode decimal digits. Rejects `1,234`, `12%`, `0x10`, empty text.
///
/// Rust's `f64::from_str` accepts exactly Python's grammar once whitespace and underscores are
/// handled, and rounds correctly like CPython's `strtod`.
pub fn py_float(text: &str) -> Option<f64> {
    py_number_text(text)?.parse::<f64>().ok()
}

/// Python's `int(text)` (base 10) for a `str`, as `str(int(text))`: canonical decimal digits
/// with a `-` sign for negative non-zero values, no leading zeros. Accepts surrounding
/// whitespace, a sign, leading zeros, underscores between digits; rejects `3.0`, `1e3`.
pub fn py_int(text: &str) -> Option<String> {
    let t = py_number_text(text)?;
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, &t[..]),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    Some(match (trimmed.is_empty(), neg) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{trimmed}"),
        (false, false) => trimmed.to_string(),
    })
}

/// Python's `repr(x)` (= `str(x)`) for a float: the shortest digits that round-trip, in fixed
/// notation with at least one fractional digit (`3.0`) when the decimal exponent is in
/// -4..=15, else scientific with a signed two-digit-minimum exponent (`1e+16`, `1.5e-07`);
/// `inf`, `-inf`, `nan`.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-tripping digit count, like Python's repr. When two
    // strings of that length round-trip and sit equally close (the binary value is exactly
    // halfway, e.g. 815227081612558.25), Rust may pick either; CPython's dtoa picks the
    // correctly rounded one with ties to even (`...558.2`). Rust's fixed-precision `{:.*e}` is
    // exactly that rounding, so use it whenever it round-trips.
    let ax = x.abs();
    let short = format!("{ax:e}");
    let n = short
        .split('e')
        .next()
        .map_or(1, |m| m.bytes().filter(u8::is_ascii_digit).count());
    // Up to 15 significant digits the shortest string is unique (DBL_DIG), so no tie arises.
    let sci = if n <= 15 {
        short
    } else {
        let exact = format!("{:.*e}", n - 1, ax);
        if exact.parse::<f64>() == Ok(ax) {
            exact
        } else {
            short
        }
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| *c != '.').collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let m = if digits.len() == 1 {
            digits
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{sign}{digits}{}.0", "0".repeat((point - n) as usize))
    } else {
        let p = point as usize;
        format!("{sign}{}.{}", &digits[..p], &digits[p..])
    }
}

/// Python's `round(x, ndigits)` for a float and a non-negative `ndigits`: the float nearest to
/// the exact binary value rounded to `ndigits` decimals, ties to even (`round(2.675, 2)` is
/// `2.67` because 2.675 is stored as 2.67499999...; `round(0.125, 2)` is `0.12`). Rust's
/// fixed-precision formatting is exact with ties to even, the same as CPython's `dtoa` mode 3.
/// Negative `ndigits` are treated as 0 (MathVista precisions are 1 or 2).
pub fn py_round(x: f64, ndigits: i32) -> f64 {
    // CPython returns x unchanged beyond this many digits.
    if !x.is_finite() || ndigits > 323 {
        return x;
    }
    let n = ndigits.max(0) as usize;
    format!("{x:.n$}").parse().unwrap_or(x)
}

/// Removes thousands separators from a number written like `1,234` or `-12,345,678.5` (groups
/// of exactly three digits, optional `%` suffix). Anything else is returned unchanged.
pub fn strip_thousands(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let lead = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&lead) {
        return Cow::Borrowed(s);
    }
    i += lead;
    let mut groups = 0;
    while b.get(i) == Some(&b',') {
        if b.len() < i + 4 || !b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            return Cow::Borrowed(s);
        }
        i += 4;
        groups += 1;
    }
    if groups == 0 || b.get(i).is_some_and(u8::is_ascii_digit) {
        return Cow::Borrowed(s);
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return Cow::Borrowed(s);
        }
        i += frac;
    }
    if b.get(i) == Some(&b'%') {
        i += 1;
    }
    if i != b.len() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace(',', ""))
}

/// Lower-case equality as Python's `a.lower() == b.lower()`; allocation-free for ASCII.
pub fn py_lower_eq(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Levenshtein (edit) distance over Unicode code points, as `Levenshtein.distance` in Python.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != cb)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclusion_blocks() {
        let r = "<SUMMARY>s</SUMMARY><REASONING>no idea</REASONING><CONCLUSION>B</CONCLUSION>";
        assert_eq!(conclusion(r), Some("B"));
        assert_eq!(conclusion("<conclusion> 42 </Conclusion>"), Some(" 42 "));
        // Truncated: to the end of the text.
        assert_eq!(
            conclusion("<CONCLUSION>The answer is 7"),
            Some("The answer is 7")
        );
        // The last block wins.
        assert_eq!(
            conclusion("<CONCLUSION>1</CONCLUSION><CONCLUSION>2</CONCLUSION>"),
            Some("2")
        );
        assert_eq!(conclusion("no tags here"), None);
    }

    #[test]
    fn boxed_nested_braces() {
        assert_eq!(boxed("so \\boxed{42}."), Some("42"));
        assert_eq!(boxed("\\boxed{\\frac{1}{2}}"), Some("\\frac{1}{2}"));
        assert_eq!(boxed("\\boxed{1} then \\boxed{{2}}"), Some("{2}"));
        assert_eq!(boxed("\\boxed{unclosed"), None);
        assert_eq!(boxed("boxed{3}"), None);
        assert_eq!(boxed("\\boxed{}"), Some(""));
    }

    #[test]
    fn prefixes() {
        assert_eq!(after_prefix("Answer: 42"), Some("42"));
        assert_eq!(after_prefix("answer:42."), Some("42"));
        assert_eq!(after_prefix("**Answer:** 42"), Some("42"));
        assert_eq!(after_prefix("Answer: **42**"), Some("42"));
        assert_eq!(
            after_prefix("Reasoning...\nFinal answer: 3.5\nDone"),
            Some("3.5")
        );
        assert_eq!(after_prefix("The answer is: \"Blue\"."), Some("Blue"));
        // Sentence end cuts, a decimal point does not.
        assert_eq!(after_prefix("The answer is 2.5. Because x."), Some("2.5"));
        // The latest prefix wins.
        assert_eq!(after_prefix("Answer: 1\nThe final answer is 2"), Some("2"));
        assert_eq!(after_prefix("The correct answer is C."), Some("C"));
        assert_eq!(after_prefix("**Answer**: 42"), Some("42"));
        assert_eq!(after_prefix("My answer is 5"), Some("5"));
        // "answer" must be followed by ":" or the word "is".
        assert_eq!(after_prefix("The answers are 5"), None);
        assert_eq!(after_prefix("The answer isn't clear"), None);
        // A later non-prefix "answer" does not hide an earlier prefix.
        assert_eq!(
            after_prefix("Answer: 3\nI hope this answer helps"),
            Some("3")
        );
        assert_eq!(after_prefix("Answer:"), None);
        assert_eq!(after_prefix("no marker 42"), None);
    }

    #[test]
    fn cleaning() {
        assert_eq!(clean("  **42**. "), "42");
        assert_eq!(clean("`42`"), "42");
        assert_eq!(clean("\"Yes\""), "Yes");
        assert_eq!(clean("\u{201c}Yes\u{201d}."), "Yes");
        assert_eq!(clean("$3.5$"), "3.5");
        assert_eq!(clean("\\text{B}"), "B");
        assert_eq!(clean("__x__"), "x");
        // A decimal point is not a trailing period; an unbalanced quote stays.
        assert_eq!(clean("3.5"), "3.5");
        assert_eq!(clean("5'"), "5'");
        assert_eq!(clean("..."), "");
        // Every trailing period goes, ASCII and ideographic: "Yes.." and "Yes。." read "Yes".
        assert_eq!(clean("Yes.."), "Yes");
        assert_eq!(clean("Yes\u{3002}."), "Yes");
    }

    #[test]
    fn final_answer_priorities() {
        assert_eq!(
            final_answer("<CONCLUSION>The answer is 12.</CONCLUSION>"),
            Some("12")
        );
        assert_eq!(final_answer("Answer: wrong \\boxed{7}"), Some("7"));
        assert_eq!(
            final_answer("<CONCLUSION>**Yes**</CONCLUSION>"),
            Some("Yes")
        );
        assert_eq!(final_answer("It is 12."), None);
    }

    #[test]
    fn python_float_matches_cpython() {
        // Expected values checked against CPython 3.11 `float(s)`.
        let ok: &[(&str, f64)] = &[
            ("12", 12.0),
            (" 12\n", 12.0),
            ("+5", 5.0),
            ("-0.5", -0.5),
            ("1e3", 1000.0),
            ("1E+05", 100000.0),
            ("1.e5", 100000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1_000", 1000.0),
            ("1_000.000_1", 1000.0001),
            ("1e1_0", 1e10),
            ("00012", 12.0),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e400", f64::INFINITY),
            ("\u{ff11}\u{ff12}", 12.0), // fullwidth digits
            ("\u{0661}\u{0662}", 12.0), // Arabic-Indic digits
            ("\u{3000}7\u{a0}", 7.0),   // ideographic space, no-break space
            ("\u{1c}7", 7.0),
        ];
        for (s, v) in ok {
            assert_eq!(py_float(s), Some(*v), "{s:?}");
        }
        assert!(py_float("nan").is_some_and(f64::is_nan));
        assert!(py_float("-NaN").is_some_and(f64::is_nan));
        for s in [
            "",
            " ",
            ".",
            "e5",
            "+",
            "1e",
            "1,234",
            "12%",
            "0x10",
            "1__0",
            "_1",
            "1_",
            "1_.5",
            "1._5",
            "1e_5",
            "+-1",
            "1 2",
            "infinit",
            "nan1",
            "1e5.0",
            "\u{200b}1",
            "one",
        ] {
            assert_eq!(py_float(s), None, "{s:?}");
        }
    }

    #[test]
    fn python_int_matches_cpython() {
        assert_eq!(py_int(" 42 ").as_deref(), Some("42"));
        assert_eq!(py_int("+007").as_deref(), Some("7"));
        assert_eq!(py_int("-0").as_deref(), Some("0"));
        assert_eq!(py_int("-12").as_deref(), Some("-12"));
        assert_eq!(py_int("1_000").as_deref(), Some("1000"));
        assert_eq!(
            py_int("123456789012345678901234").as_deref(),
            Some("123456789012345678901234")
        );
        for s in ["3.0", "1e3", "", "-", "1,000", "0x1", "1__0", "inf"] {
            assert_eq!(py_int(s), None, "{s:?}");
        }
    }

    #[test]
    // The halfway cases below are written with every digit of their exact binary value.
    #[allow(clippy::excessive_precision)]
    fn python_repr_matches_cpython() {
        // Expected strings are CPython 3.11 `repr(x)`.
        let cases: &[(f64, &str)] = &[
            (3.0, "3.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (2.67, "2.67"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e22, "1e+22"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            // Exactly halfway between two shortest candidates: CPython rounds half to even.
            (-815227081612558.25, "-815227081612558.2"),
            (199206448590503.625, "199206448590503.62"),
            (12345.678, "12345.678"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (x, s) in cases {
            assert_eq!(py_float_repr(*x), *s, "{x:e}");
        }
    }

    #[test]
    fn python_round_half_even_on_binary_value() {
        // CPython 3.11: round(2.675, 2) == 2.67, round(0.125, 2) == 0.12, round(2.5, 0) == 2.0,
        // round(3.5, 0) == 4.0, round(0.35, 1) == 0.3, round(1.005, 2) == 1.0,
        // round(123456.785, 2) == 123456.79, round(-0.04, 1) == -0.0.
        assert_eq!(py_float_repr(py_round(2.675, 2)), "2.67");
        assert_eq!(py_float_repr(py_round(0.125, 2)), "0.12");
        assert_eq!(py_float_repr(py_round(0.375, 2)), "0.38");
        assert_eq!(py_float_repr(py_round(2.5, 0)), "2.0");
        assert_eq!(py_float_repr(py_round(3.5, 0)), "4.0");
        assert_eq!(py_float_repr(py_round(0.35, 1)), "0.3");
        assert_eq!(py_float_repr(py_round(1.005, 2)), "1.0");
        assert_eq!(py_float_repr(py_round(123456.785, 2)), "123456.79");
        assert_eq!(py_float_repr(py_round(-0.04, 1)), "-0.0");
        assert_eq!(py_float_repr(py_round(1.45, 1)), "1.4"); // 1.45 is 1.4499999...
        assert_eq!(py_float_repr(py_round(1e22, 2)), "1e+22");
        assert!(py_round(f64::NAN, 2).is_nan());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(strip_thousands("1,234"), "1234");
        assert_eq!(strip_thousands("-12,345,678.5"), "-12345678.5");
        assert_eq!(strip_thousands("1,234%"), "1234%");
        for s in [
            "1,23", "1234,567", "1,2345", ",123", "1,234.", "a,123", "1,234 kg", "12",
        ] {
            assert_eq!(strip_thousands(s), s, "{s:?}");
        }
    }

    #[test]
    fn lower_eq_and_levenshtein() {
        assert!(py_lower_eq("Yes", "yes"));
        assert!(py_lower_eq("ÉTÉ", "été"));
        assert!(!py_lower_eq("yes", "yes."));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("été", "ete"), 2);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn decimal_digits() {
        assert_eq!(py_decimal('7'), Some(7));
        assert_eq!(py_decimal('\u{0669}'), Some(9));
        assert_eq!(py_decimal('\u{ff10}'), Some(0));
        assert_eq!(py_decimal('a'), None);
        assert_eq!(py_decimal('\u{00b2}'), None); // superscript two is No, not Nd
        assert_eq!(py_decimal('\u{2f}'), None);
    }
}
