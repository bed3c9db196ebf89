//! A format-neutral row: what the format readers ([`super::tsv`], [`super::parquet`], a
//! benchmark's official JSON) produce and what the benchmark mappings read.
//!
//! Readers know nothing about benchmarks: they turn a line, a record-batch row or a JSON
//! object into a [`Row`] of [`Value`]s. Mappings know nothing about formats: they ask a row
//! for `row.text("question")` or `row.images("image")`, and every accessor answers with an
//! [`InvalidRow`] that names the row, the field and what was expected, so a bad row is
//! reported once, the same way, whatever file it came from.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use super::item::{ImageData, InvalidRow};

/// One cell of a row, whatever format it was read from.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Bytes(Vec<u8>),
    /// Canonical base64 text an image was decoded from, shared with the request that sends
    /// it so the text is never copied or encoded again.
    Base64(std::sync::Arc<String>),
    List(Vec<Value>),
    Struct(BTreeMap<String, Value>),
}

/// One data row: where it came from and its cells by column name.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Row {
    /// `file:row`, the row being the 1-based data row (header excluded).
    pub source: String,
    /// Cells by column name.
    pub fields: BTreeMap<String, Value>,
}

/// What a format reader yields: rows read lazily, bad rows as [`InvalidRow`]s in line.
pub type RowStream = Box<dyn Iterator<Item = Result<Row, InvalidRow>> + Send>;

impl Value {
    /// A short description for error messages: the kind of value and a glimpse of it.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "nothing (null or empty)".into(),
            Value::Str(s) => format!("text {:?}", glimpse(s)),
            Value::Int(i) => format!("the integer {i}"),
            Value::Float(f) => format!("the number {f}"),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Bytes(b) => format!("{} bytes of binary data", b.len()),
            Value::Base64(t) => format!("{} characters of base64", t.len()),
            Value::List(l) => format!("a list of {} values", l.len()),
            Value::Struct(s) => {
                let keys: Vec<&str> = s.keys().map(String::as_str).collect();
                format!("a struct with fields {{{}}}", keys.join(", "))
            }
        }
    }

    /// The value as text when it is a scalar (text, integer, number, boolean).
    /// Numbers and booleans are spelled as Python's `str()` spells them.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(python_float(*f)),
            Value::Bool(true) => Some("True".into()),
            Value::Bool(false) => Some("False".into()),
            _ => None,
        }
    }

    /// Converts parsed JSON (an official release's annotation file) into a value.
    pub fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => n.as_f64().map_or(Value::Null, Value::Float),
            },
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => {
                Value::List(a.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(o) => Value::Struct(
                o.into_iter()
                    .map(|(k, v)| (k, Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl Row {
    /// An empty row read from `source` (`file:row`).
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            fields: BTreeMap::new(),
        }
    }

    /// The cell of `field`, or `None` when the row has no such field or the cell is null.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).filter(|v| **v != Value::Null)
    }

    /// An [`InvalidRow`] for this row with `reason`.
    pub fn invalid(&self, reason: impl Into<String>) -> InvalidRow {
        InvalidRow {
            source: self.source.clone(),
            reason: reason.into(),
        }
    }

    /// An [`InvalidRow`] saying `field` should have held `expected` but held something else.
    pub fn unexpected(&self, field: &str, expected: &str) -> InvalidRow {
        let found = match self.fields.get(field) {
            Some(value) => value.describe(),
            None => {
                let names: Vec<&str> = self.fields.keys().map(String::as_str).collect();
                format!("no such field (the row has: {})", names.join(", "))
            }
        };
        self.invalid(format!(
            "field `{field}`: expected {expected}, found {found}"
        ))
    }

    /// Required text: a non-blank string (numbers and booleans are spelled out).
    pub fn text(&self, field: &str) -> Result<String, InvalidRow> {
        match self.opt_text(field)? {
            Some(text) => Ok(text),
            None => Err(self.unexpected(field, "non-empty text")),
        }
    }

    /// Optional text: `None` when the field is absent, null or blank.
    pub fn opt_text(&self, field: &str) -> Result<Option<String>, InvalidRow> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        match value.as_text() {
            Some(text) if text.trim().is_empty() => Ok(None),
            Some(text) => Ok(Some(text)),
            None => Err(self.unexpected(field, "text")),
        }
    }

    /// One or more non-blank strings: a string, a list of scalars, or a string holding a
    /// Python/JSON list literal such as `['12', '13']` (as pandas writes a list into a TSV).
    pub fn text_list(&self, field: &str) -> Result<Vec<String>, InvalidRow> {
        let expected = "text or a list of texts";
        let texts = match self.get(field) {
            Some(Value::List(items)) => {
                let texts: Option<Vec<String>> = items.iter().map(Value::as_text).collect();
                texts.ok_or_else(|| self.unexpected(field, "a list of texts"))?
            }
            Some(Value::Str(s)) => parse_list_literal(s).unwrap_or_else(|| vec![s.clone()]),
            Some(other) => vec![
                other
                    .as_text()
                    .ok_or_else(|| self.unexpected(field, expected))?,
            ],
            None => return Err(self.unexpected(field, expected)),
        };
        if texts.is_empty() || texts.iter().any(|t| t.trim().is_empty()) {
            return Err(self.unexpected(field, "at least one non-empty text and no blank ones"));
        }
        Ok(texts)
    }

    /// An integer: an integer cell, or text that parses as one.
    pub fn int(&self, field: &str) -> Result<i64, InvalidRow> {
        match self.get(field) {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Str(s)) => s
                .trim()
                .parse()
                .map_err(|_| self.unexpected(field, "an integer")),
            _ => Err(self.unexpected(field, "an integer")),
        }
    }

    /// The raw bytes of one or more images: binary data, a Hugging Face Image struct
    /// `{bytes, path}` with its bytes filled in, or a list of either. At least one image.
    pub fn image_bytes(&self, field: &str) -> Result<Vec<Vec<u8>>, InvalidRow> {
        let expected = "an image (binary data, a {bytes, path} struct, or a list of them)";
        let images = match self.get(field) {
            Some(Value::List(items)) => items.iter().map(one_image).collect::<Option<Vec<_>>>(),
            Some(value) => one_image(value).map(|bytes| vec![bytes]),
            None => None,
        };
        match images {
            Some(images) if !images.is_empty() => Ok(images),
            _ => Err(self.unexpected(field, expected)),
        }
    }

    /// The images of `field`, each checked and typed by [`ImageData::from_bytes`].
    pub fn images(&self, field: &str) -> Result<Vec<ImageData>, InvalidRow> {
        let raw = self.image_bytes(field)?;
        let count = raw.len();
        let texts = self.image_base64(field, count);
        raw.into_iter()
            .zip(texts)
            .enumerate()
            .map(|(i, (bytes, text))| {
                let image = ImageData::from_bytes(bytes);
                let image = match text {
                    Some(text) => image.map(|img| img.with_base64(text)),
                    None => image,
                };
                image.map_err(|e| {
                    let which = if count > 1 {
                        format!(" (image {} of {count})", i + 1)
                    } else {
                        String::new()
                    };
                    self.invalid(format!(
                        "field `{field}`{which}: {e}; replace it with a valid PNG or JPEG file"
                    ))
                })
            })
            .collect()
    }
}

impl Row {
    /// The stored base64 text of each of `count` images of `field`, where a reader kept it.
    fn image_base64(&self, field: &str, count: usize) -> Vec<Option<std::sync::Arc<String>>> {
        fn text(v: &Value) -> Option<std::sync::Arc<String>> {
            match v {
                Value::Struct(fields) => match fields.get("base64") {
                    Some(Value::Base64(t)) => Some(t.clone()),
                    _ => None,
                },
                _ => None,
            }
        }
        let texts: Vec<Option<std::sync::Arc<String>>> = match self.get(field) {
            Some(Value::List(items)) => items.iter().map(text).collect(),
            Some(value) => vec![text(value)],
            None => vec![],
        };
        if texts.len() == count {
            texts
        } else {
            vec![None; count]
        }
    }
}

/// The bytes of one image value: binary data or a `{bytes, ...}` struct with bytes.
fn one_image(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Bytes(bytes) => Some(bytes.clone()),
        Value::Struct(fields) => match fields.get("bytes") {
            Some(Value::Bytes(bytes)) => Some(bytes.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// Checks that a table's header holds every `required` column; the error names the file,
/// the columns found and the columns expected.
pub fn require_columns(file: &Path, found: &[String], required: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !found.iter().any(|f| f == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{}: the header lacks column(s) [{}]; found {}, expected at least [{}]. \
         Check that this is the right file and that its header row is intact.",
        file.display(),
        missing.join(", "),
        excerpt(found),
        required.join(", ")
    )
}

/// A short, safe glimpse of the columns a file has: a file that is not the expected table
/// has its first line echoed no further than this (at most 8 names of 24 printable
/// characters).
fn excerpt(found: &[String]) -> String {
    let names: Vec<String> = found
        .iter()
        .take(8)
        .map(|name| {
            let clean: String = name
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .take(24)
                .collect();
            if name.chars().count() > 24 {
                format!("{clean}...")
            } else {
                clean
            }
        })
        .collect();
    let more = found.len().saturating_sub(8);
    if more > 0 {
        format!(
            "{} columns [{}, and {more} more]",
            found.len(),
            names.join(", ")
        )
    } else {
        format!("columns [{}]", names.join(", "))
    }
}

/// Reads and parses a whole JSON file. Errors name the file; an unreadable file's error
/// ends with `how` (how to get the data) when given, invalid JSON's says what was `expected`.
pub fn read_json(
    file: &Path,
    expected: &str,
    how: Option<&str>,
) -> anyhow::Result<serde_json::Value> {
    let hint = how.map(|h| format!("; {h}")).unwrap_or_default();
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}{hint}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid JSON ({e}); expected {expected}",
            file.display()
        )
    })
}

/// Reads `relative` (a path stored in a dataset) inside `dir`, refusing absolute paths and
/// paths that climb out of `dir` (`..`), including through symbolic links.
pub fn read_inside(dir: &Path, relative: &str) -> Result<Vec<u8>, String> {
    let rel = Path::new(relative);
    let plain = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if relative.trim().is_empty() || !plain {
        return Err(format!(
            "path {relative:?} is empty, absolute or climbs out with `..`; \
             store the image under {} and give its path relative to that directory",
            dir.display()
        ));
    }
    let full = dir.join(rel);
    let inside = match (full.canonicalize(), dir.canonicalize()) {
        (Ok(file), Ok(root)) => file.starts_with(root),
        (Err(e), _) => return Err(format!("cannot open {}: {e}", full.display())),
        (_, Err(e)) => return Err(format!("cannot open directory {}: {e}", dir.display())),
    };
    if !inside {
        return Err(format!(
            "{} links outside {}; copy the file there instead",
            full.display(),
            dir.display()
        ));
    }
    std::fs::read(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))
}

/// Parses a Python or JSON list literal of scalars, as pandas writes a Python list into a
/// cell: `['12', "it's", 3]` gives `12`, `it's`, `3`. Quoted items may use either quote and
/// the usual backslash escapes; bare items (numbers) are taken as written. Returns `None`
/// when `text` is not such a literal (nested lists, unbalanced quotes, plain text).
pub fn parse_list_literal(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut chars = inner.chars().peekable();
    let mut items = Vec::new();
    loop {
        skip_spaces(&mut chars);
        let Some(&first) = chars.peek() else {
            return Some(items);
        };
        let item = match first {
            '\'' | '"' => {
                chars.next();
                quoted(&mut chars, first)?
            }
            _ => bare(&mut chars)?,
        };
        items.push(item);
        skip_spaces(&mut chars);
        match chars.next() {
            None => return Some(items),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_spaces(chars: &mut Chars) {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
}

/// A bare item up to the next comma: a number or a name such as `None`.
fn bare(chars: &mut Chars) -> Option<String> {
    let mut item = String::new();
    while let Some(c) = chars.next_if(|&c| c != ',') {
        if matches!(c, '[' | ']' | '{' | '}' | '\'' | '"') {
            return None;
        }
        item.push(c);
    }
    let item = item.trim();
    (!item.is_empty()).then(|| item.to_string())
}

/// The rest of a quoted item after its opening `quote`, with escapes resolved.
fn quoted(chars: &mut Chars, quote: char) -> Option<String> {
    let mut item = String::new();
    loop {
        match chars.next()? {
            c if c == quote => return Some(item),
            '\\' => escape(chars, &mut item)?,
            c => item.push(c),
        }
    }
}

/// Resolves one backslash escape (Python's and JSON's); unknown ones stay as written.
fn escape(chars: &mut Chars, out: &mut String) -> Option<()> {
    let c = chars.next()?;
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '\\' | '\'' | '"' => Some(c),
        _ => None,
    };
    let hex_digits = match (simple, c) {
        (Some(s), _) => {
            out.push(s);
            return Some(());
        }
        (None, 'x') => 2,
        (None, 'u') => 4,
        (None, 'U') => 8,
        (None, other) => {
            out.push('\\');
            out.push(other);
            return Some(());
        }
    };
    let hex: String = (0..hex_digits).filter_map(|_| chars.next()).collect();
    let code = u32::from_str_radix(&hex, 16).ok()?;
    out.push(char::from_u32(code)?);
    Some(())
}

/// A float spelled as Python's `str()` spells it (`2.0`, not `2`).
fn python_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// The first 40 characters of `s`, for messages.
fn glimpse(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&str, Value)]) -> Row {
        let mut row = Row::new("data.tsv:7");
        for (k, v) in fields {
            row.fields.insert(k.to_string(), v.clone());
        }
        row
    }

    #[test]
    fn list_literals_parse_like_python() {
        let parsed = |s| parse_list_literal(s);
        assert_eq!(parsed("['12', '13']"), Some(vec!["12".into(), "13".into()]));
        assert_eq!(
            parsed(r#"["it's", 'say "hi"', 3, ]"#),
            Some(vec!["it's".into(), "say \"hi\"".into(), "3".into()])
        );
        assert_eq!(
            parsed(r"['a\'b', 'caf\xe9', '\u00e9\n']"),
            Some(vec!["a'b".into(), "café".into(), "é\n".into()])
        );
        assert_eq!(parsed("[]"), Some(vec![]));
        assert_eq!(parsed("['a', ['b']]"), None);
        assert_eq!(parsed("['unterminated]"), None);
        assert_eq!(parsed("['a' 'b']"), None);
        assert_eq!(parsed("plain text"), None);
        assert_eq!(parsed(r"['\x']"), None);
    }

    #[test]
    fn text_accessors_name_row_field_and_expectation() {
        let r = row(&[
            ("q", Value::Str("How many?".into())),
            ("blank", Value::Str("  ".into())),
            ("n", Value::Int(3)),
        ]);
        assert_eq!(r.text("q").unwrap(), "How many?");
        assert_eq!(r.text("n").unwrap(), "3");
        assert_eq!(r.opt_text("blank").unwrap(), None);
        assert_eq!(r.opt_text("absent").unwrap(), None);
        let err = r.text("blank").unwrap_err();
        assert_eq!(err.source, "data.tsv:7");
        assert!(
            err.reason.contains("field `blank`") && err.reason.contains("non-empty text"),
            "{}",
            err.reason
        );
        let err = r.text("absent").unwrap_err();
        assert!(
            err.reason
                .contains("no such field (the row has: blank, n, q)"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn text_list_accepts_string_list_and_literal() {
        let r = row(&[
            ("s", Value::Str("Yes".into())),
            ("lit", Value::Str("['12', '13']".into())),
            (
                "list",
                Value::List(vec![Value::Str("a".into()), Value::Int(0)]),
            ),
            ("empty", Value::List(vec![])),
            ("bad", Value::List(vec![Value::Bytes(vec![1])])),
            ("f", Value::Float(2.0)),
        ]);
        assert_eq!(r.text_list("s").unwrap(), vec!["Yes"]);
        assert_eq!(r.text_list("lit").unwrap(), vec!["12", "13"]);
        assert_eq!(r.text_list("list").unwrap(), vec!["a", "0"]);
        assert_eq!(r.text_list("f").unwrap(), vec!["2.0"]);
        assert!(r.text_list("empty").is_err());
        assert!(
            r.text_list("bad")
                .unwrap_err()
                .reason
                .contains("a list of texts")
        );
    }

    #[test]
    fn int_accepts_integers_and_integer_text() {
        let r = row(&[
            ("a", Value::Int(1)),
            ("b", Value::Str(" 2 ".into())),
            ("c", Value::Str("x".into())),
        ]);
        assert_eq!(r.int("a").unwrap(), 1);
        assert_eq!(r.int("b").unwrap(), 2);
        assert!(
            r.int("c")
                .unwrap_err()
                .reason
                .contains("expected an integer, found text \"x\"")
        );
    }

    #[test]
    fn image_bytes_accepts_bytes_structs_and_lists() {
        let st = |b: Option<Vec<u8>>| {
            Value::Struct(BTreeMap::from([
                ("bytes".to_string(), b.map_or(Value::Null, Value::Bytes)),
                ("path".to_string(), Value::Str("x.png".into())),
            ]))
        };
        let r = row(&[
            ("b", Value::Bytes(vec![1, 2])),
            ("s", st(Some(vec![3]))),
            (
                "l",
                Value::List(vec![Value::Bytes(vec![4]), st(Some(vec![5]))]),
            ),
            ("nobytes", st(None)),
            ("text", Value::Str("abc".into())),
        ]);
        assert_eq!(r.image_bytes("b").unwrap(), vec![vec![1, 2]]);
        assert_eq!(r.image_bytes("s").unwrap(), vec![vec![3]]);
        assert_eq!(r.image_bytes("l").unwrap(), vec![vec![4], vec![5]]);
        assert!(
            r.image_bytes("nobytes")
                .unwrap_err()
                .reason
                .contains("field `nobytes`: expected an image")
        );
        assert!(r.image_bytes("text").is_err());
        assert!(r.image_bytes("missing").is_err());
        let err = r.images("b").unwrap_err();
        assert!(
            err.reason.contains("field `b`") && err.reason.contains("magic"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn read_inside_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.png"), b"png").unwrap();
        assert_eq!(read_inside(dir.path(), "sub/a.png").unwrap(), b"png");
        assert_eq!(read_inside(dir.path(), "./sub/a.png").unwrap(), b"png");
        assert!(
            read_inside(dir.path(), "../a.png")
                .unwrap_err()
                .contains("climbs out")
        );
        assert!(read_inside(dir.path(), "sub/../../a.png").is_err());
        assert!(read_inside(dir.path(), "/etc/hostname").is_err());
        assert!(read_inside(dir.path(), "").is_err());
        assert!(
            read_inside(dir.path(), "missing.png")
                .unwrap_err()
                .contains("cannot open")
        );
    }

    #[test]
    fn require_columns_names_file_found_and_expected() {
        let found = vec!["idx".to_string(), "question".to_string()];
        let err = require_columns(Path::new("x.tsv"), &found, &["index", "question"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.tsv") && err.contains("[index]") && err.contains("[idx, question]"),
            "{err}"
        );
        assert!(require_columns(Path::new("x.tsv"), &found, &["question"]).is_ok());
    }

    #[test]
    fn json_values_convert() {
        let json: serde_json::Value = serde_json::json!({"a": [1, 2.5, "x", null, true]});
        let v = Value::from_json(json);
        let Value::Struct(m) = v else { panic!() };
        assert_eq!(
            m["a"],
            Value::List(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::Str("x".into()),
                Value::Null,
                Value::Bool(true)
            ])
        );
    }
}
