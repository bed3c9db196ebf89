//! One page of a run's items table, and the items two runs disagree on, from run indexes.
//!
//! Class and indexed breakdown filters run over the index (a few bytes per item) and read
//! only the page's rows from the journal. A text search, or a field the index does not
//! keep, reads records: in the run's order, from where the last page stopped, until the
//! page is full and one more match shows that more follow. A search that finds nothing
//! reads the whole journal once; lines that cannot contain the text are passed over
//! without being parsed.

use memchr::memmem;

use super::catalog::Filter;
use super::class::Class;
use super::index::RunIndex;
use super::links::Query;
use super::rows::Rows;
use crate::journal::ItemRecord;

/// Rows per page of the items table (and of the side-by-side page).
pub const PAGE: usize = 50;

/// A row: the item's record, or why its journal line cannot be read.
pub type Row = Result<ItemRecord, String>;

/// One page of the table.
pub struct Page {
    pub rows: Vec<Row>,
    /// How many items match in all, when known: always for index filters; for a search,
    /// when it started at the first item and read to the end.
    pub total: Option<usize>,
    /// A search's page: it started at this position in the run's order...
    pub from: usize,
    /// ...and the next page starts here (None: nothing more matches).
    pub next: Option<usize>,
    /// The page was found by reading records (a search).
    pub streamed: bool,
}

/// Whether a query reads records (a text search, or a field the index does not keep).
pub fn streams(index: &RunIndex, q: &Query) -> bool {
    q.text.is_some() || q.field.as_ref().is_some_and(|(k, _)| !index.is_indexed(k))
}

/// The page `q` asks for.
pub fn page(index: &RunIndex, metric: &str, q: &Query) -> Page {
    if streams(index, q) {
        return search(index, metric, q);
    }
    let selector = index.selector(q.class, q.field.as_ref());
    let (lo, hi) = (
        q.page.saturating_mul(PAGE),
        q.page.saturating_add(1).saturating_mul(PAGE),
    );
    let mut matched = 0usize;
    let mut offsets = Vec::new();
    for e in index.entries() {
        if selector.matches(e) {
            if (lo..hi).contains(&matched) {
                offsets.push(e.offset);
            }
            matched += 1;
        }
    }
    Page {
        rows: read(index, &offsets),
        total: Some(matched),
        from: 0,
        next: None,
        streamed: false,
    }
}

/// Every position (in the run's order) that a class selects (any: None).
pub fn positions(index: &RunIndex, class: Option<Class>) -> Vec<u32> {
    let selector = index.selector(class, None);
    (0..index.len() as u32)
        .filter(|&p| selector.matches(&index.entries()[p as usize]))
        .collect()
}

/// The records at these offsets, in this order.
pub fn read(index: &RunIndex, offsets: &[u64]) -> Vec<Row> {
    let mut rows = Rows::new(index.file());
    offsets.iter().map(|&o| rows.record(o)).collect()
}

/// The text a raw journal line must contain (ASCII, lowercased) for a record to match a
/// search, when that can be told from the raw line: the text is ASCII and none of its
/// characters is one JSON escapes (`"`, `\`, `/`, control characters).
fn raw_needle(text: &str) -> Option<Vec<u8>> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && !b"\"\\/".contains(&b));
    ok.then(|| text.to_ascii_lowercase().into_bytes())
}

fn search(index: &RunIndex, metric: &str, q: &Query) -> Page {
    let selector = index.selector(q.class, q.field.as_ref());
    let filter = Filter {
        class: None,
        field: q.field.clone(),
        text: q.text.as_ref().map(|t| t.to_lowercase()),
    };
    let needle = q.text.as_deref().and_then(raw_needle);
    let finder = needle.as_deref().map(memmem::Finder::new);
    let escape = memmem::Finder::new(b"\\u");
    let mut rows = Rows::new(index.file());
    let mut lower = Vec::new();
    let mut found = Vec::new();
    let mut next = None;
    for (pos, e) in index.entries().iter().enumerate().skip(q.from) {
        if !selector.matches(e) {
            continue;
        }
        let Ok(line) = rows.line(e.offset) else {
            continue;
        };
        // An ASCII line without \u escapes holds its strings' text as it is: a record can
        // only match when the line contains the text.
        if let Some(finder) = &finder
            && line.is_ascii()
            && escape.find(line).is_none()
        {
            lower.clear();
            lower.extend_from_slice(line);
            lower.make_ascii_lowercase();
            if finder.find(&lower).is_none() {
                continue;
            }
        }
        let Ok(mut record) = serde_json::from_slice::<ItemRecord>(line) else {
            continue;
        };
        record.expand();
        if !filter.matches(&record, metric) {
            continue;
        }
        if found.len() == PAGE {
            next = Some(pos);
            break;
        }
        found.push(Ok(record));
    }
    Page {
        total: (q.from == 0 && next.is_none()).then_some(found.len()),
        rows: found,
        from: q.from,
        next,
        streamed: true,
    }
}

/// The items of two runs that are right in one and not in the other, paired by item id.
pub struct Flips {
    /// Items in both runs.
    pub shared: usize,
    /// Positions in A's and B's order, in A's order.
    pub flipped: Vec<(u32, u32)>,
}

pub fn flips(a: &RunIndex, b: &RunIndex) -> Flips {
    let right = Class::Right.bit();
    let mut out = Flips {
        shared: 0,
        flipped: Vec::new(),
    };
    for (pa, ea) in a.entries().iter().enumerate() {
        let Some(pb) = b.position(ea.key) else {
            continue;
        };
        out.shared += 1;
        let eb = &b.entries()[pb];
        if (ea.classes & right) != (eb.classes & right) {
            out.flipped.push((pa as u32, pb as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_needle_only_for_text_json_keeps_as_it_is() {
        assert_eq!(raw_needle("Bar 45"), Some(b"bar 45".to_vec()));
        assert_eq!(raw_needle("a\"b"), None);
        assert_eq!(raw_needle("a/b"), None);
        assert_eq!(raw_needle("été"), None);
        assert_eq!(raw_needle(""), None);
    }
}
