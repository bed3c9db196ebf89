//! Chart-to-table perception: DePlot's table metrics (google-research `deplot/metrics.py`),
//! RMS (relative mapping similarity) precision / recall / F1 and RNSS (relative number set
//! similarity), comparing a predicted data table with the item's gold table
//! (`gold.fields["gold_table"]`, CSV text).
//!
//! Version followed: `deplot/metrics.py` at google-research `4c42994` (copyright 2025; the date
//! of the commit could not be read here: the repository is too large to mirror). It averages the
//! per-chart F1 itself; an older stored copy (`0282a25`, copyright 2023) appended the recall to
//! the F1 list. evalkit scores one item at a time, so only the per-chart rules matter.
//!
//! Two sets of figures:
//! - `rms_f1` (headline), `rms_precision`, `rms_recall`, `rnss`: DePlot's own, reading the
//!   prediction exactly as `_parse_table` and `_get_table_numbers` do;
//! - `rms_f1_normalized`, `rnss_normalized`: the same metrics after a lenient reading that also
//!   accepts markdown and CSV tables (below), so a model that writes a correct table in another
//!   form is not scored 0. They are extra figures and never replace the headline.
//!
//! Official reading (`_parse_table`), for the headline figures:
//! - `<0x0A>`, the byte token SentencePiece uses for a newline (Hugging Face's decoding of DePlot
//!   leaves it literal), is decoded to a newline first; nothing else is touched;
//! - the text is lower-cased and split into lines with Python's `str.splitlines` (blank lines
//!   stay, as one-cell rows); a first line starting with `title |` is the title, the rest of
//!   that line stripped; every other line is split on `" | "` (space, bar, space) only, and each
//!   cell stripped. A row written `a|b|c` is one cell, as is a CSV row, and a markdown row
//!   `| a | b |` gives the cells `| a`, `b |`;
//! - the title is a datapoint `title -> {title}` in both orientations, as in
//!   `_get_table_datapoints`. Gold tables (CSV) have no title, so a predicted title line costs
//!   precision (DePlot's own output always starts with one);
//! - RNSS numbers are `_get_table_numbers` of the decoded text: every `" | "`-separated part of
//!   every line (the title line included) that Python's `float()` reads.
//!
//! Lenient reading (`parse_prediction`), for the `_normalized` figures: `<0x0A>` decoded, blank
//! lines and ```` ``` ```` fence lines dropped, a first `title |` line skipped (not a
//! datapoint, its cells not numbers); then DePlot's ` | ` form, a markdown table (`| a | b |`,
//! its `|---|` rule skipped; a line with pipes but no ` | ` is split on bare `|`), or CSV
//! (commas, or tabs when there are no commas; quoted cells allowed). Cells are stripped and
//! lower-cased. RNSS numbers are the cells that parse.
//!
//! The gold table is CSV, its first record the column headers; cells lower-cased and stripped.
//!
//! RMS, exactly as `_table_datapoints_precision_recall_f1`:
//! - a table becomes datapoints `"{row header} {column header}" -> cell` (first row = column
//!   headers, first column = row headers; a repeated key keeps its first position and its last
//!   value, like a Python dict); a table with fewer than two columns or no data rows has none;
//! - keys are matched one-to-one by a minimum-cost assignment of `1 - ANLS(gold key, predicted
//!   key)`, with pix2struct's `anls_metric` at `text_theta = 0.5` (normalised Levenshtein
//!   distance over code points; at or above theta the similarity is 0);
//! - a matched pair scores `ANLS(keys) * v`, where `v` is `1 - min(1, |t - p| / |t|)` (set to 0
//!   when the relative distance is at or above `number_theta = 0.1`) if the predicted value
//!   parses as a number (`_to_float`: a trailing `%` divides by 100) and the gold value parses
//!   to a non-zero number; else 1 when the two value strings are equal; else ANLS of the values;
//! - `precision = score / #predicted`, `recall = score / #gold`, F1 their harmonic mean (all 0
//!   when the score is 0); a prediction without datapoints scores precision 1, recall 0, F1 0;
//! - the prediction is scored as written and transposed (`itertools.zip_longest` padding with
//!   `""`), and the orientation with the higher F1 is kept (the transposed one on a tie, as
//!   Python's `max` over `[True, False]`). So RMS is invariant to transposing the prediction.
//!
//! RNSS, as `_table_numbers_match`: numbers (no `%` handling, headers included) are matched
//! one-to-one by a minimum-cost assignment of the relative distance `min(1, |t - p| / |t|)`,
//! and `rnss = 1 - cost / max(#gold, #predicted)` (1 when neither has numbers, 0 when one has
//! none). Unmatched numbers cost nothing.
//!
//! The assignments use our own O(n^2 m) Hungarian algorithm (shortest augmenting paths with
//! potentials) on the rectangular cost matrix, like `scipy.optimize.linear_sum_assignment`;
//! `pathfinding` is not a dependency, and brute force is out of reach even at ~60 cells.
//! Among several optimal assignments the one picked may differ from SciPy's; only RMS can then
//! differ (its score is not the assignment cost), and only when key distances tie exactly.
//!
//! Deviations from the official code, both deliberate:
//! - a gold number 0 in RNSS: the official `_get_relative_distance` returns `int(not p)`,
//!   i.e. distance 1 for a predicted 0 and 0 for anything else (inverted, against its own
//!   docstring); we use 0 for a predicted 0 and 1 otherwise. RMS never reaches that branch (a
//!   zero gold value falls back to string comparison there too, as in the official code);
//! - a missing or empty gold table (no datapoints) scores 0 on every figure with
//!   [`How::Unparsed`]; the official code needs a target.
//!
//! `how` is [`How::Rule`] when the official reading finds table cells (datapoints besides the
//! title) in either orientation, else [`How::Unparsed`] (the headline figures are still the
//! official ones: precision 1, recall 0, F1 0). `extracted` holds the table the official
//! reading found, re-linearised in DePlot's form (` | ` cells, newline rows, the title line
//! first), or failing that the lenient reading's table.

use std::collections::{BTreeMap, HashMap};

use super::extract::{levenshtein, py_float, py_strip};
use super::{Gold, How, Score, Scorer};

/// DePlot table metrics: `rms_f1` (headline), `rms_precision`, `rms_recall`, `rnss`.
pub struct ChartToTable;

/// Official `text_theta`: normalised edit distance at or above this gives similarity 0.
pub const TEXT_THETA: f64 = 0.5;
/// Official `number_theta` for RMS values: relative error at or above this counts as 1.
pub const NUMBER_THETA: f64 = 0.1;
/// RNSS uses `_get_relative_distance`'s default theta (plain clipping at 1).
const RNSS_THETA: f64 = 1.0;

const METRICS: [&str; 6] = [
    "rms_f1",
    "rms_precision",
    "rms_recall",
    "rnss",
    "rms_f1_normalized",
    "rnss_normalized",
];

/// A parsed table: rows of stripped, lowercased cells; `rows[0]` holds the column headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// `_parse_table(..., transposed=True)`: columns become rows, short rows padded with `""`.
    pub fn transposed(&self) -> Table {
        let width = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let rows = (0..width)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r.get(c).cloned().unwrap_or_default())
                    .collect()
            })
            .collect();
        Table { rows }
    }

    /// `_get_table_datapoints` without the title: `"{row header} {column header}" -> cell`,
    /// in first-insertion order with the last value for a repeated key (a Python dict).
    pub fn datapoints(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let Some((headers, rows)) = self.rows.split_first() else {
            return out;
        };
        if rows.is_empty() || headers.len() <= 1 {
            return out;
        }
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let Some(row_header) = row.first() else {
                continue;
            };
            for (header, cell) in headers[1..].iter().zip(&row[1..]) {
                let key = format!("{row_header} {header}");
                match index.get(&key) {
                    Some(&i) => out[i].1 = cell.clone(),
                    None => {
                        index.insert(key.clone(), out.len());
                        out.push((key, cell.clone()));
                    }
                }
            }
        }
        out
    }

    /// Every cell that parses as a Python `float` (`_get_table_numbers`).
    pub fn numbers(&self) -> Vec<f64> {
        self.rows
            .iter()
            .flatten()
            .filter(|c| !c.trim().is_empty())
            .filter_map(|c| py_float(c))
            .collect()
    }

    /// DePlot's linearised form: ` | ` between cells, a newline between rows.
    pub fn linearised(&self) -> String {
        self.rows
            .iter()
            .map(|r| r.join(" | "))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn cells(row: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    row.into_iter()
        .map(|c| c.as_ref().trim().to_lowercase())
        .collect()
}

fn parse_csv(lines: &[&str], delimiter: u8) -> Vec<Vec<String>> {
    let text = lines.join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| cells(r.iter()))
        .filter(|r| !r.is_empty())
        .collect()
}

/// A markdown rule line such as `|---|:---:|`.
fn is_rule(line: &str) -> bool {
    line.contains('-')
        && line
            .chars()
            .all(|c| matches!(c, '-' | ':' | '|' | ' ' | '+'))
}

/// Python's `str.splitlines()`: lines without their terminators (`\n`, `\r`, `\r\n`, `\v`,
/// `\f`, `\x1c`..`\x1e`, `\x85`, `\u2028`, `\u2029`); no empty last line for a final
/// terminator.
pub fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        ) {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
                chars.next();
                start += 1;
            }
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// A table as DePlot's `_parse_table` reads it: the optional title and the rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeplotTable {
    pub title: Option<String>,
    pub table: Table,
}

impl DeplotTable {
    /// `_get_table_datapoints` of the table in one orientation: the title first, then the cells.
    fn datapoints(&self, table: &Table) -> Vec<(String, String)> {
        let mut points: Vec<(String, String)> = self
            .title
            .iter()
            .map(|t| ("title".to_string(), t.clone()))
            .collect();
        // A cell key always holds a space, so it never collides with `title`.
        points.extend(table.datapoints());
        points
    }

    /// The title line (if any) and the rows in DePlot's linearised form.
    fn linearised(&self) -> String {
        let rows = self.table.linearised();
        match &self.title {
            Some(t) if rows.is_empty() => format!("title | {t}"),
            Some(t) => format!("title | {t}\n{rows}"),
            None => rows,
        }
    }
}

/// `<0x0A>` decoded to a newline (see the module docs).
fn decode_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("<0x0A>") {
        std::borrow::Cow::Owned(text.replace("<0x0A>", "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// DePlot's `_parse_table(text)` (not transposed), after decoding `<0x0A>`.
pub fn parse_deplot(text: &str) -> DeplotTable {
    let lower = decode_newlines(text).to_lowercase();
    let lines = py_splitlines(&lower);
    let Some(first) = lines.first() else {
        return DeplotTable::default();
    };
    let (title, offset) = match first.strip_prefix("title |") {
        Some(rest) => (Some(py_strip(rest).to_string()), 1),
        None => (None, 0),
    };
    let rows = lines[offset..]
        .iter()
        .map(|l| l.split(" | ").map(|c| py_strip(c).to_string()).collect())
        .collect();
    DeplotTable {
        title,
        table: Table { rows },
    }
}

/// DePlot's `_get_table_numbers(text)`, after decoding `<0x0A>`: every `" | "` part of every
/// line that Python's `float()` reads (the title line included, no `%` handling).
pub fn deplot_numbers(text: &str) -> Vec<f64> {
    let decoded = decode_newlines(text);
    py_splitlines(&decoded)
        .into_iter()
        .flat_map(|line| line.split(" | "))
        .filter(|part| !py_strip(part).is_empty())
        .filter_map(py_float)
        .collect()
}

/// Parses a predicted table leniently (see the module docs); `None` when no delimiter is found.
pub fn parse_prediction(text: &str) -> Option<Table> {
    let text = text.replace("<0x0A>", "\n");
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("```"))
        .collect();
    if lines
        .first()
        .is_some_and(|l| l.to_lowercase().starts_with("title |"))
    {
        lines.remove(0);
    }
    let piped = lines.iter().any(|l| l.contains('|'));
    let rows = if piped {
        lines
            .iter()
            .filter(|l| !is_rule(l))
            .map(|l| {
                let l = if l.starts_with('|') && l.ends_with('|') && l.len() >= 2 {
                    &l[1..l.len() - 1]
                } else {
                    l
                };
                if l.contains(" | ") {
                    cells(l.split(" | "))
                } else {
                    cells(l.split('|'))
                }
            })
            .collect()
    } else if lines.iter().any(|l| l.contains(',')) {
        parse_csv(&lines, b',')
    } else if lines.iter().any(|l| l.contains('\t')) {
        parse_csv(&lines, b'\t')
    } else {
        return None;
    };
    Some(Table { rows })
}

/// Parses the gold CSV table.
pub fn parse_gold(csv_text: &str) -> Table {
    let lines: Vec<&str> = csv_text.lines().filter(|l| !l.trim().is_empty()).collect();
    Table {
        rows: parse_csv(&lines, b','),
    }
}

/// pix2struct's `anls_metric(target, prediction, theta)`.
pub fn anls(target: &str, prediction: &str, theta: f64) -> f64 {
    if target.is_empty() {
        return f64::from(u8::from(prediction.is_empty()));
    }
    let longest = target.chars().count().max(prediction.chars().count());
    let distance = levenshtein(target, prediction) as f64 / longest as f64;
    if distance < theta {
        1.0 - distance
    } else {
        0.0
    }
}

/// DePlot's `_to_float`: a trailing `%` (all of them, `rstrip`) divides by 100.
fn to_float(text: &str) -> Option<f64> {
    if text.ends_with('%') {
        py_float(text.trim_end_matches('%')).map(|v| v / 100.0)
    } else {
        py_float(text)
    }
}

/// Python truthiness of a float: 0.0 and -0.0 are falsy, NaN is truthy.
fn truthy(x: f64) -> bool {
    x != 0.0 || x.is_nan()
}

/// `_get_relative_distance`: `min(1, |t - p| / |t|)`, 1 at or above `theta`. For `t == 0`
/// see the module docs (0 for `p == 0`, else 1).
pub fn relative_distance(target: f64, prediction: f64, theta: f64) -> f64 {
    if !truthy(target) {
        return if prediction == 0.0 { 0.0 } else { 1.0 };
    }
    let d = ((target - prediction) / target).abs();
    // Python's `min(d, 1)` keeps `d` unless `1 < d` (so NaN stays NaN, then becomes 1 below).
    let d = if 1.0 < d { 1.0 } else { d };
    if d < theta { d } else { 1.0 }
}

/// `_get_datapoint_metric`.
fn datapoint_metric(target: &(String, String), prediction: &(String, String)) -> f64 {
    let key = anls(&target.0, &prediction.0, TEXT_THETA);
    match (to_float(&prediction.1), to_float(&target.1)) {
        (Some(p), Some(t)) if truthy(t) => key * (1.0 - relative_distance(t, p, NUMBER_THETA)),
        _ if target.1 == prediction.1 => key,
        _ => key * anls(&target.1, &prediction.1, TEXT_THETA),
    }
}

/// `_table_datapoints_precision_recall_f1` (without the title datapoint).
pub fn rms(gold: &[(String, String)], pred: &[(String, String)]) -> (f64, f64, f64) {
    match (gold.is_empty(), pred.is_empty()) {
        (true, true) => return (1.0, 1.0, 1.0),
        (true, false) => return (0.0, 1.0, 0.0),
        (false, true) => return (1.0, 0.0, 0.0),
        _ => {}
    }
    let cost: Vec<Vec<f64>> = gold
        .iter()
        .map(|(t, _)| {
            pred.iter()
                .map(|(p, _)| 1.0 - anls(t, p, TEXT_THETA))
                .collect()
        })
        .collect();
    let score: f64 = assignment(&cost)
        .into_iter()
        .map(|(r, c)| datapoint_metric(&gold[r], &pred[c]))
        .sum();
    if score == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    let precision = score / pred.len() as f64;
    let recall = score / gold.len() as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall),
    )
}

/// `_table_numbers_match`.
pub fn rnss(gold: &[f64], pred: &[f64]) -> f64 {
    match (gold.is_empty(), pred.is_empty()) {
        (true, true) => return 1.0,
        (true, false) | (false, true) => return 0.0,
        _ => {}
    }
    let cost: Vec<Vec<f64>> = gold
        .iter()
        .map(|&t| {
            pred.iter()
                .map(|&p| relative_distance(t, p, RNSS_THETA))
                .collect()
        })
        .collect();
    let total: f64 = assignment(&cost).into_iter().map(|(r, c)| cost[r][c]).sum();
    1.0 - total / gold.len().max(pred.len()) as f64
}

/// A minimum-cost one-to-one assignment on a rectangular matrix (`min(rows, cols)` pairs),
/// as `(row, column)` pairs sorted by row: the Hungarian algorithm with potentials and
/// shortest augmenting paths, O(n^2 m) for n <= m.
pub fn assignment(cost: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let n = cost.len();
    let m = cost.first().map_or(0, Vec::len);
    if n == 0 || m == 0 {
        return Vec::new();
    }
    if n > m {
        let t: Vec<Vec<f64>> = (0..m)
            .map(|j| (0..n).map(|i| cost[i][j]).collect())
            .collect();
        let mut pairs: Vec<(usize, usize)> =
            assignment(&t).into_iter().map(|(j, i)| (i, j)).collect();
        pairs.sort_unstable();
        return pairs;
    }
    // 1-based rows and columns; column 0 is the virtual start. `p[j]` is the row on column j.
    let (mut u, mut v) = (vec![0.0f64; n + 1], vec![0.0f64; m + 1]);
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let reduced = cost[i0 - 1][j - 1] - u[i0] - v[j];
                if reduced < minv[j] {
                    minv[j] = reduced;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut pairs: Vec<(usize, usize)> = (1..=m)
        .filter(|&j| p[j] != 0)
        .map(|j| (p[j] - 1, j - 1))
        .collect();
    pairs.sort_unstable();
    pairs
}

/// The better of the two orientations by F1 (the first, transposed, on a tie), as
/// `max(all_metrics, key=lambda x: x[-1])`.
fn best_rms(
    gold: &[(String, String)],
    orientations: [Vec<(String, String)>; 2],
) -> (f64, f64, f64) {
    let mut best: Option<(f64, f64, f64)> = None;
    for points in orientations {
        let prf = rms(gold, &points);
        if best.is_none_or(|b| prf.2 > b.2) {
            best = Some(prf);
        }
    }
    best.unwrap_or((0.0, 0.0, 0.0))
}

/// One prediction's figures (in [`METRICS`] order), whether the official reading found table
/// cells, and the table to show. `None` when the gold table is unusable.
struct Outcome {
    values: [f64; 6],
    parsed: bool,
    shown: Option<String>,
}

fn compute(gold_csv: &str, response: &str) -> Option<Outcome> {
    let gold = parse_gold(gold_csv);
    let gold_points = gold.datapoints();
    if gold_points.is_empty() {
        return None;
    }
    let gold_numbers = gold.numbers();

    // Official: `_parse_table` in both orientations, the title datapoint included.
    let official = parse_deplot(response);
    let transposed = official.table.transposed();
    let parsed = !transposed.datapoints().is_empty() || !official.table.datapoints().is_empty();
    let (p, r, f) = best_rms(
        &gold_points,
        [
            official.datapoints(&transposed),
            official.datapoints(&official.table),
        ],
    );
    let rnss_official = rnss(&gold_numbers, &deplot_numbers(response));

    // Lenient: markdown, CSV, bare pipes; nothing usable scores 0.
    let lenient = parse_prediction(response)
        .filter(|t| !t.datapoints().is_empty() || !t.transposed().datapoints().is_empty());
    let (f_norm, rnss_norm) = match &lenient {
        Some(t) => (
            best_rms(&gold_points, [t.transposed().datapoints(), t.datapoints()]).2,
            rnss(&gold_numbers, &t.numbers()),
        ),
        None => (0.0, 0.0),
    };
    let shown = if parsed {
        Some(official.linearised())
    } else {
        lenient.map(|t| t.linearised())
    };
    Some(Outcome {
        values: [f, p, r, rnss_official, f_norm, rnss_norm],
        parsed,
        shown,
    })
}

impl Scorer for ChartToTable {
    fn name(&self) -> &'static str {
        "chart_to_table"
    }

    fn primary_metric(&self) -> &'static str {
        "rms_f1"
    }

    fn metric_names(&self) -> Vec<&'static str> {
        METRICS.to_vec()
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let gold_csv = gold.fields.get("gold_table").map_or("", String::as_str);
        let outcome = compute(gold_csv, response);
        let values = outcome.as_ref().map_or([0.0; 6], |o| o.values);
        let metrics: BTreeMap<String, f64> = METRICS
            .iter()
            .zip(values)
            .map(|(name, v)| {
                (
                    name.to_string(),
                    if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) },
                )
            })
            .collect();
        let (parsed, extracted) = outcome.map_or((false, None), |o| (o.parsed, o.shown));
        Score {
            metrics,
            extracted,
            how: if parsed { How::Rule } else { How::Unparsed },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLD: &str = "year,sales,profit\n2019,100,10\n2020,200,20\n";

    fn gold(table: &str) -> Gold {
        let mut g = Gold::default();
        g.fields.insert("gold_table".into(), table.into());
        g
    }

    /// (rms_f1, rms_precision, rms_recall, rnss, how).
    fn run(table: &str, response: &str) -> (f64, f64, f64, f64, How) {
        let s = ChartToTable.score(&gold(table), response);
        (
            s.metrics["rms_f1"],
            s.metrics["rms_precision"],
            s.metrics["rms_recall"],
            s.metrics["rnss"],
            s.how,
        )
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// (rms_f1_normalized, rnss_normalized).
    fn normalized(table: &str, response: &str) -> (f64, f64) {
        let s = ChartToTable.score(&gold(table), response);
        (s.metrics["rms_f1_normalized"], s.metrics["rnss_normalized"])
    }

    /// Hand-computed cases follow google-research `deplot/metrics.py` at 4c42994
    /// (`_parse_table`, `_get_table_numbers`, `_table_datapoints_precision_recall_f1`).
    #[test]
    fn deplot_form_scores_one_in_both_figures() {
        for response in [
            "year | sales | profit\n2019 | 100 | 10\n2020 | 200 | 20",
            "Year | Sales | Profit<0x0A>2019 | 100 | 10<0x0A>2020 | 200 | 20\n",
            // Python's splitlines: \r\n is one break.
            "year | sales | profit\r\n2019 | 100 | 10\r\n2020 | 200 | 20",
        ] {
            assert_eq!(
                run(GOLD, response),
                (1.0, 1.0, 1.0, 1.0, How::Rule),
                "{response}"
            );
            assert_eq!(normalized(GOLD, response), (1.0, 1.0), "{response}");
        }
    }

    #[test]
    fn a_title_line_is_a_datapoint_in_the_headline_only() {
        // `_get_table_datapoints` adds `title -> sales`: 5 predicted datapoints, the 4 gold ones
        // matched exactly (score 4). Precision 4/5, recall 4/4, F1 = 2 * 0.8 / 1.8 = 8/9. The
        // transposed orientation scores 0 (keys like "sales 2019" vs "2019 sales" are 10 edits
        // apart), so the as-written one is kept. RNSS: "TITLE", "Sales" are no numbers: 1.
        let titled =
            "TITLE | Sales<0x0A>Year | Sales | Profit<0x0A>2019 | 100 | 10<0x0A>2020 | 200 | 20";
        let (f, p, r, n, how) = run(GOLD, titled);
        assert!(
            close(f, 8.0 / 9.0) && close(p, 0.8) && close(r, 1.0),
            "{f} {p} {r}"
        );
        assert_eq!((n, how), (1.0, How::Rule));
        // The lenient reading skips the title line.
        assert_eq!(normalized(GOLD, titled), (1.0, 1.0));
        let s = ChartToTable.score(&gold(GOLD), titled);
        assert_eq!(
            s.extracted.as_deref(),
            Some("title | sales\nyear | sales | profit\n2019 | 100 | 10\n2020 | 200 | 20")
        );
        // A number in the title line is an RNSS number officially: gold {2019, 100, 10, 2020,
        // 200, 20} against those plus 2021; every gold number matched exactly, 2021 unmatched
        // (free): 1 - 0 / 7 = 1. The title datapoint "2021" costs precision as before.
        let (_, p, _, n, _) = run(GOLD, &titled.replace("TITLE | Sales", "TITLE | 2021"));
        assert!(close(p, 0.8) && close(n, 1.0), "{p} {n}");
    }

    #[test]
    fn bare_pipes_split_nothing_in_the_headline() {
        // `line.split(" | ")` on "2019|100|10" gives one cell. Every row one cell: no datapoints
        // as written (one column) nor transposed (one row of three cells, no data rows), so
        // `_table_datapoints_precision_recall_f1` returns (1, 0, 0). No part parses as a number:
        // RNSS 0. The lenient reading splits on bare `|`: the full table, 1 and 1.
        let bare = "year|sales|profit\n2019|100|10\n2020|200|20";
        assert_eq!(run(GOLD, bare), (0.0, 1.0, 0.0, 0.0, How::Unparsed));
        assert_eq!(normalized(GOLD, bare), (1.0, 1.0));
        // Lenient extraction is still shown.
        let s = ChartToTable.score(&gold(GOLD), bare);
        assert_eq!(
            s.extracted.as_deref(),
            Some("year | sales | profit\n2019 | 100 | 10\n2020 | 200 | 20")
        );
        // One row written `a|b|c` among ` | ` rows: that row has no datapoints; the 2020 row's
        // two are exact. Precision 2/2, recall 2/4, F1 2/3 (the transposed orientation's keys,
        // "sales 2020" and the like, are 10 edits from "2020 sales": 0). RNSS: 2020, 200, 20
        // match exactly, 1 - 0 / 6 = 1. Leniently the row splits: 1 and 1.
        let mixed = "year | sales | profit\n2019|100|10\n2020 | 200 | 20";
        let (f, p, r, n, how) = run(GOLD, mixed);
        assert!(
            close(f, 2.0 / 3.0) && close(p, 1.0) && close(r, 0.5),
            "{f} {p} {r}"
        );
        assert_eq!((n, how), (1.0, How::Rule));
        assert_eq!(normalized(GOLD, mixed), (1.0, 1.0));
    }

    #[test]
    fn markdown_and_csv_score_only_in_the_normalized_figures() {
        // Markdown: " | " splits "| 2019 | 100 | 10 |" into "| 2019", "100", "10 |"; the rule
        // line is one cell (no datapoints). Datapoints "| 2019 sales" -> "100" (key ANLS vs
        // "2019 sales": 2 edits / 12 = 5/6, value exact: 5/6), "| 2019 profit |" -> "10 |"
        // (value: "10 |" is no float, ANLS("10", "10 |") = 1 - 2/4 = 0.5, not above theta: 0),
        // likewise for 2020: score 2 * 5/6 = 5/3 over 4 and 4: precision = recall = F1 = 5/12.
        // Transposed keys ("sales | 2019", ...) are at least 7 edits of 12 from any gold key: 0.
        // RNSS: the parts "100" and "200" parse; both match exactly: 1 - 0 / 6 = 1.
        let markdown =
            "| Year | Sales | Profit |\n|---|---:|---:|\n| 2019 | 100 | 10 |\n| 2020 | 200 | 20 |";
        let (f, p, r, n, how) = run(GOLD, markdown);
        assert!(
            close(f, 5.0 / 12.0) && close(p, 5.0 / 12.0) && close(r, 5.0 / 12.0),
            "{f} {p} {r}"
        );
        assert_eq!((n, how), (1.0, How::Rule));
        assert_eq!(normalized(GOLD, markdown), (1.0, 1.0));
        // CSV (fenced or not): every line one cell: (1, 0, 0); "2019,100,10" is no float: RNSS 0.
        for csv in [
            GOLD,
            "```\nyear,sales,profit\n2019,100,10\n2020,200,20\n```",
        ] {
            assert_eq!(run(GOLD, csv), (0.0, 1.0, 0.0, 0.0, How::Unparsed), "{csv}");
            assert_eq!(normalized(GOLD, csv), (1.0, 1.0), "{csv}");
        }
    }

    #[test]
    fn python_splitlines() {
        assert_eq!(py_splitlines(""), Vec::<&str>::new());
        assert_eq!(py_splitlines("\n"), vec![""]);
        assert_eq!(py_splitlines("a\n\nb\n"), vec!["a", "", "b"]);
        assert_eq!(
            py_splitlines("a\r\nb\rc\u{2028}d\x0be"),
            vec!["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn a_transposed_prediction_scores_like_the_original() {
        // The official code scores the prediction as written and transposed and keeps the
        // better F1, so RMS is transpose-invariant; RNSS only looks at the numbers.
        let t = "year | 2019 | 2020\nsales | 100 | 200\nprofit | 10 | 20";
        assert_eq!(run(GOLD, t), (1.0, 1.0, 1.0, 1.0, How::Rule));
    }

    #[test]
    fn one_wrong_value() {
        // 2020/profit predicted 21 instead of 20: relative error 1/20 = 0.05 < 0.1, so that
        // datapoint scores 1 - 0.05 = 0.95 and the other three 1: score 3.95 over 4 datapoints
        // on each side, precision = recall = F1 = 3.95 / 4 = 0.9875.
        // RNSS: numbers {2019, 100, 10, 2020, 200, 20} against {.., 21}; the best assignment
        // pairs 20 with 21 (cost 0.05), the rest exactly: 1 - 0.05 / 6 = 0.991666...
        let (f, p, r, n, how) = run(
            GOLD,
            "year | sales | profit\n2019 | 100 | 10\n2020 | 200 | 21",
        );
        assert_eq!(how, How::Rule);
        assert!(
            close(f, 0.9875) && close(p, 0.9875) && close(r, 0.9875),
            "{f} {p} {r}"
        );
        assert!(close(n, 1.0 - 0.05 / 6.0), "{n}");
        // 30 instead of 20: relative error 0.5 >= number_theta 0.1, so that datapoint scores 0:
        // RMS 3 / 4 = 0.75; RNSS clips at 1 only above 1, so 20 vs 30 costs 0.5:
        // 1 - 0.5 / 6 = 0.916666...
        let (f, p, r, n, _) = run(
            GOLD,
            "year | sales | profit\n2019 | 100 | 10\n2020 | 200 | 30",
        );
        assert!(
            close(f, 0.75) && close(p, 0.75) && close(r, 0.75),
            "{f} {p} {r}"
        );
        assert!(close(n, 1.0 - 0.5 / 6.0), "{n}");
    }

    #[test]
    fn missing_rows_lower_recall_and_extra_rows_precision() {
        // Only 2019: 2 exact datapoints of 4. Precision 2/2 = 1, recall 2/4 = 0.5,
        // F1 = 2 * 1 * 0.5 / 1.5 = 2/3. RNSS: the predicted 2019, 100, 10 match exactly and
        // the 3 unmatched gold numbers cost nothing: 1 - 0 / max(6, 3) = 1 (official rule).
        let (f, p, r, n, _) = run(GOLD, "year | sales | profit\n2019 | 100 | 10");
        assert!(
            close(p, 1.0) && close(r, 0.5) && close(f, 2.0 / 3.0),
            "{f} {p} {r}"
        );
        assert!(close(n, 1.0), "{n}");
        // An extra 2021 row (2 more datapoints, 6 predicted): precision 4/6, recall 1,
        // F1 = 2 * (2/3) / (5/3) = 0.8. RNSS: 6 of 9 numbers matched exactly, 1 - 0/9 = 1.
        let (f, p, r, n, _) = run(
            GOLD,
            "year | sales | profit\n2019 | 100 | 10\n2020 | 200 | 20\n2021 | 300 | 30",
        );
        assert!(
            close(p, 4.0 / 6.0) && close(r, 1.0) && close(f, 0.8),
            "{f} {p} {r}"
        );
        assert!(close(n, 1.0), "{n}");
    }

    #[test]
    fn rnss_counts_unmatched_numbers_through_max_len() {
        // Gold {1, 2}, prediction {1}: cost 0, 1 - 0/2 = 1 (unmatched numbers are free, as in
        // the official code); gold {1}, prediction {2}: |1-2|/1 = 1, 1 - 1/1 = 0.
        assert_eq!(rnss(&[1.0, 2.0], &[1.0]), 1.0);
        assert_eq!(rnss(&[1.0], &[2.0]), 0.0);
        assert_eq!(rnss(&[0.0], &[0.0]), 1.0);
        assert_eq!(rnss(&[], &[]), 1.0);
        assert_eq!(rnss(&[1.0], &[]), 0.0);
    }

    #[test]
    fn misspelt_headers_and_text_values() {
        // "salse" for "sales": key "2019 salse" vs "2019 sales" is 2 edits over 10 chars,
        // ANLS 0.8 (likewise 2020); the profit keys are exact. Values are exact, so the score
        // is 2 * 0.8 + 2 = 3.6 of 4 on each side: 0.9 everywhere.
        let (f, p, r, _, _) = run(
            GOLD,
            "year | salse | profit\n2019 | 100 | 10\n2020 | 200 | 20",
        );
        assert!(
            close(f, 0.9) && close(p, 0.9) && close(r, 0.9),
            "{f} {p} {r}"
        );
        // Text values compare by ANLS: "blue" vs "blu" = 1 - 1/4 = 0.75.
        let g = "item,colour\na,blue\n";
        let (f, _, _, n, how) = run(g, "item | colour\na | blu");
        assert!(close(f, 0.75), "{f}");
        assert_eq!((n, how), (1.0, How::Rule));
    }

    #[test]
    fn garbage_scores_as_deplot_does_and_missing_gold_scores_zero() {
        // No datapoints: `_table_datapoints_precision_recall_f1` returns precision 1, recall 0,
        // F1 0; no numbers: RNSS 0. The lenient figures are 0 too. Unparsed.
        for response in ["", "   ", "I cannot read this chart.", "just | one\n"] {
            let s = ChartToTable.score(&gold(GOLD), response);
            assert_eq!(
                run(GOLD, response),
                (0.0, 1.0, 0.0, 0.0, How::Unparsed),
                "{response:?}"
            );
            assert_eq!(normalized(GOLD, response), (0.0, 0.0), "{response:?}");
            assert_eq!(s.metrics.len(), 6);
        }
        // "42" is an RNSS number: its nearest gold number by relative distance is 100
        // (|100 - 42| / 100 = 0.58; 200: 0.79; 2019, 2020: ~0.98; 10, 20: clipped at 1), and
        // unmatched gold numbers are free: 1 - 0.58 / 6.
        let (f, p, r, n, how) = run(GOLD, "42");
        assert_eq!((f, p, r, how), (0.0, 1.0, 0.0, How::Unparsed));
        assert!(close(n, 1.0 - 0.58 / 6.0), "{n}");
        // A missing or empty gold table: 0 everywhere, unparsed (a data problem, not a score).
        let good = "year | sales\n2019 | 100";
        for g in [Gold::default(), gold(""), gold("only\n")] {
            let s = ChartToTable.score(&g, good);
            assert_eq!(s.how, How::Unparsed);
            assert!(s.metrics.values().all(|&v| v == 0.0));
        }
    }

    #[test]
    fn anls_matches_pix2struct() {
        assert_eq!(anls("", ""), 1.0);
        assert_eq!(anls("", "x"), 0.0);
        assert!(close(anls("abcd", "abce"), 0.75));
        // 2 edits over 4 chars = 0.5, not below theta: 0.
        assert_eq!(anls("abcd", "abxy"), 0.0);
    }

    fn anls(a: &str, b: &str) -> f64 {
        super::anls(a, b, TEXT_THETA)
    }

    #[test]
    fn hungarian_is_exact_on_small_matrices() {
        fn brute(cost: &[Vec<f64>]) -> f64 {
            // Rows <= columns here: try every injective map by recursion.
            fn go(cost: &[Vec<f64>], row: usize, used: &mut Vec<bool>) -> f64 {
                if row == cost.len() {
                    return 0.0;
                }
                let mut best = f64::INFINITY;
                for j in 0..used.len() {
                    if !used[j] {
                        used[j] = true;
                        best = best.min(cost[row][j] + go(cost, row + 1, used));
                        used[j] = false;
                    }
                }
                best
            }
            go(cost, 0, &mut vec![false; cost[0].len()])
        }
        // A small deterministic generator (no rand dependency).
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 10) as f64 / 10.0
        };
        for (n, m) in [(1, 1), (2, 3), (3, 3), (4, 6), (5, 5), (6, 4), (3, 1)] {
            let cost: Vec<Vec<f64>> = (0..n).map(|_| (0..m).map(|_| next()).collect()).collect();
            let pairs = assignment(&cost);
            assert_eq!(pairs.len(), n.min(m));
            let got: f64 = pairs.iter().map(|&(r, c)| cost[r][c]).sum();
            let want = if n <= m {
                brute(&cost)
            } else {
                let t: Vec<Vec<f64>> = (0..m)
                    .map(|j| (0..n).map(|i| cost[i][j]).collect())
                    .collect();
                brute(&t)
            };
            assert!((got - want).abs() < 1e-9, "{n}x{m}: {got} vs {want}");
        }
    }
}
