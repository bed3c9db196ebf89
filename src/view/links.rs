//! Where the viewer's pages live: served (`/runs/0?class=wrong&page=2`) or bundled as
//! static files (`run-0/wrong-2.html`). Pages are rendered once for both; only links differ.

use super::catalog::Class;

/// The items table's query: class, breakdown field, text, page (0-based).
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub class: Option<Class>,
    /// `field=value`.
    pub field: Option<(String, String)>,
    pub text: Option<String>,
    pub page: usize,
    /// Where a streamed search starts (a position in the run's order); it pages by
    /// continuing from where the last page stopped, not by page number.
    pub from: usize,
}

/// How pages link to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// `evalkit view`: the axum server's routes; every filter works.
    Served,
    /// `evalkit view --bundle`: static files; tables filter by class only.
    Bundle,
}

impl Links {
    /// The runs list, from the page at `depth` (0: top level, 1: inside `run-N/`).
    pub fn home(self, depth: usize) -> String {
        match self {
            Links::Served => "/".into(),
            Links::Bundle => format!("{}index.html", "../".repeat(depth)),
        }
    }

    pub fn items(self, run: usize, q: &Query) -> String {
        match self {
            Links::Served => {
                let mut params = Vec::new();
                if let Some(c) = q.class {
                    params.push(format!("class={}", c.name()));
                }
                if let Some((k, v)) = &q.field {
                    params.push(format!("field={}", encode(&format!("{k}={v}"))));
                }
                if let Some(t) = &q.text {
                    params.push(format!("q={}", encode(t)));
                }
                if q.page > 0 {
                    params.push(format!("page={}", q.page + 1));
                }
                if q.from > 0 {
                    params.push(format!("from={}", q.from));
                }
                if params.is_empty() {
                    format!("/runs/{run}")
                } else {
                    format!("/runs/{run}?{}", params.join("&"))
                }
            }
            Links::Bundle => format!(
                "/run-{run}/{}-{}.html",
                q.class.map_or("all", Class::name),
                q.page + 1
            ),
        }
    }

    pub fn item(self, run: usize, id: &str) -> String {
        match self {
            Links::Served => format!("/runs/{run}/items/{}", encode(id)),
            Links::Bundle => format!("/run-{run}/item-{}.html", file_key(id)),
        }
    }

    /// Two runs side by side (page 0-based).
    pub fn compare(self, a: usize, b: usize, page: usize) -> String {
        match (self, page) {
            (Links::Served, 0) => format!("/compare/{a}/{b}"),
            (Links::Served, p) => format!("/compare/{a}/{b}?page={}", p + 1),
            (Links::Bundle, 0) => format!("/compare-{a}-{b}.html"),
            (Links::Bundle, p) => format!("/compare-{a}-{b}-{}.html", p + 1),
        }
    }

    /// A link as written into a page at `depth`: bundle links are made relative, so the
    /// folder can be hosted under any path or opened from disk.
    pub fn rel(self, link: String, depth: usize) -> String {
        match self {
            Links::Served => link,
            Links::Bundle => format!("{}{}", "../".repeat(depth), link.trim_start_matches('/')),
        }
    }
}

/// A short file-name-safe key for an item id.
pub fn file_key(id: &str) -> String {
    blake3::hash(id.as_bytes()).to_hex()[..16].to_string()
}

/// Percent-encoding for a URL path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
