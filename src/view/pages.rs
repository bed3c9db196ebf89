//! The viewer's pages as HTML strings: the runs list, a run's items table (filtered and
//! paged; only the page's rows are rendered), an item's page (images, prompt, every call,
//! extracted and gold answers, how it was decided, the judge's reply) and two runs side by
//! side (the items that flipped). No scripts and no external assets; the server and the
//! static bundle render the same pages and differ only in their links.

use std::fmt::Write;

use super::catalog::{self, Class, Run};
use super::index::RunIndex;
use super::links::{Links, Query};
use super::rows::Rows;
pub use super::select::PAGE;
use super::select::{self, Flips, Page};
use crate::journal::{ItemRecord, items};
use crate::report::html::escape as esc;
use crate::suite::Item;

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:80em}table{border-collapse:collapse;margin:.6em 0}\
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0;font-size:.85em}\
.right{color:#1a7f37}.wrong,.unparsed,.failed{color:#c62828}.truncated{color:#a15c00}nav a{margin-right:.8em}img{max-width:100%;border:1px solid #eee}";

fn page(title: &str, nav_html: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>{}</title><style>{STYLE}</style></head><body><nav>{nav_html}</nav>{body_html}</body></html>\n",
        esc(title)
    )
}

/// The list of runs, with their summaries and links to compare runs of the same suite.
pub fn runs(runs: &[std::sync::Arc<Run>], links: Links) -> String {
    let mut b = String::from(
        "<h1>Runs</h1><table id=\"runs\"><tr><th>#</th><th>model / suite / strategy</th><th>items</th><th>score</th><th>state</th><th>directory</th></tr>",
    );
    for (i, run) in runs.iter().enumerate() {
        let (items, score, state) = match &run.summary {
            Some(s) => (
                s.counts.total.to_string(),
                format!(
                    "{} {:.1}",
                    s.primary_metric,
                    s.scores
                        .overall
                        .metrics
                        .get(&s.primary_metric)
                        .copied()
                        .unwrap_or(0.0)
                ),
                if s.complete { "complete" } else { "incomplete" },
            ),
            None => ("?".into(), "-".into(), "no summary"),
        };
        let _ = write!(
            b,
            "<tr class=\"run\"><td>{i}</td><td><a href=\"{}\">{}</a></td><td>{items}</td><td>{}</td><td>{state}</td><td><code>{}</code></td></tr>",
            links.rel(links.items(i, &Query::default()), 0),
            esc(&run.title),
            esc(&score),
            esc(&run.dir.display().to_string())
        );
    }
    b.push_str("</table><h2>Side by side</h2><ul id=\"pairs\">");
    let mut pairs = 0;
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            if runs[i].manifest.suite.name == runs[j].manifest.suite.name && pairs < 200 {
                pairs += 1;
                let _ = write!(
                    b,
                    "<li><a href=\"{}\">{i} vs {j}</a>: {} &harr; {}</li>",
                    links.rel(links.compare(i, j, 0), 0),
                    esc(&runs[i].title),
                    esc(&runs[j].title)
                );
            }
        }
    }
    b.push_str("</ul>");
    page("evalkit view", "", &b)
}

fn class_names(r: &ItemRecord, metric: &str) -> String {
    catalog::classes(r, metric)
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A run's items: class counts and filters, a search form (served only), one page of rows
/// and the pager. Reads the run's index and the page's rows only.
pub fn items(run: &Run, index: usize, q: &Query, links: Links) -> anyhow::Result<String> {
    let ix = run.index()?;
    let page = select::page(&ix, run.metric(), q);
    Ok(items_html(run, &ix, index, q, &page, links))
}

/// [`items`] for a page already selected.
pub fn items_html(
    run: &Run,
    ix: &RunIndex,
    index: usize,
    q: &Query,
    page_rows: &Page,
    links: Links,
) -> String {
    let metric = run.metric();
    let depth = usize::from(links == Links::Bundle);
    let mut rows = String::new();
    for row in &page_rows.rows {
        let r = match row {
            Ok(r) => r,
            Err(e) => {
                let _ = write!(
                    rows,
                    "<tr class=\"unreadable\"><td colspan=\"5\">{}</td></tr>",
                    esc(e)
                );
                continue;
            }
        };
        let classes = class_names(r, metric);
        let fields: Vec<String> = r
            .split
            .iter()
            .map(|s| format!("split={s}"))
            .chain(
                r.fields
                    .iter()
                    .filter(|(k, _)| *k != "gold_table")
                    .map(|(k, v)| format!("{k}={v}")),
            )
            .collect();
        let _ = write!(
            rows,
            "<tr class=\"item {classes}\" data-id=\"{}\"><td><a href=\"{}\">{}</a></td><td class=\"{classes}\">{classes}</td><td>{}</td><td>{}</td><td><small>{}</small></td></tr>",
            esc(&r.id),
            links.rel(links.item(index, &r.id), depth),
            esc(&r.id),
            esc(r.extracted.as_deref().or(r.error.as_deref()).unwrap_or("")),
            esc(&r.gold.answers.join(" | ")),
            esc(&fields.join(", "))
        );
    }
    let mut b = format!(
        "<h1>{}</h1><p><code>{}</code> &middot; {} items</p><p id=\"classes\">",
        esc(&run.title),
        esc(&run.dir.display().to_string()),
        ix.len()
    );
    let all = Query {
        page: 0,
        from: 0,
        class: None,
        ..q.clone()
    };
    let _ = write!(
        b,
        "<a href=\"{}\">all</a> ",
        links.rel(links.items(index, &all), depth)
    );
    for c in Class::ALL {
        let cq = Query {
            page: 0,
            from: 0,
            class: Some(c),
            ..q.clone()
        };
        let _ = write!(
            b,
            "<a class=\"{}\" href=\"{}\">{} ({})</a> ",
            c.name(),
            links.rel(links.items(index, &cq), depth),
            c.name(),
            ix.count(c)
        );
    }
    b.push_str("</p>");
    if links == Links::Served {
        search_form(&mut b, run, index, q);
    }
    let shown = page_rows.rows.len();
    let status = match (page_rows.streamed, page_rows.total) {
        (false, total) => {
            let total = total.unwrap_or(0);
            format!(
                "{total} matching items; page {} of {}",
                q.page + 1,
                total.div_ceil(PAGE).max(1)
            )
        }
        (true, Some(total)) => format!("{total} matching items"),
        (true, None) => format!(
            "{shown} matching items from item {} on{}",
            page_rows.from + 1,
            if page_rows.next.is_some() {
                "; more follow (the search stops at a full page)"
            } else {
                "; no more follow"
            }
        ),
    };
    let _ = write!(
        b,
        "<p id=\"matched\">{status}</p><table id=\"items\"><tr><th>id</th><th>class</th><th>extracted (or error)</th><th>gold</th><th>fields</th></tr>{rows}</table><p class=\"pager\">"
    );
    if page_rows.streamed {
        if page_rows.from > 0 {
            let first = Query {
                from: 0,
                ..q.clone()
            };
            let _ = write!(
                b,
                "<a rel=\"first\" href=\"{}\">first page</a> ",
                links.rel(links.items(index, &first), depth)
            );
        }
        if let Some(next) = page_rows.next {
            let more = Query {
                from: next,
                ..q.clone()
            };
            let _ = write!(
                b,
                "<a rel=\"next\" href=\"{}\">more</a>",
                links.rel(links.items(index, &more), depth)
            );
        }
    } else {
        let total = page_rows.total.unwrap_or(0);
        if q.page > 0 {
            let prev = Query {
                page: q.page - 1,
                ..q.clone()
            };
            let _ = write!(
                b,
                "<a rel=\"prev\" href=\"{}\">previous</a> ",
                links.rel(links.items(index, &prev), depth)
            );
        }
        if (q.page + 1) * PAGE < total {
            let next = Query {
                page: q.page + 1,
                ..q.clone()
            };
            let _ = write!(
                b,
                "<a rel=\"next\" href=\"{}\">next</a>",
                links.rel(links.items(index, &next), depth)
            );
        }
    }
    b.push_str("</p>");
    let nav = format!("<a href=\"{}\">runs</a>", links.home(depth));
    page(&run.title, &nav, &b)
}

/// The served table's form: a breakdown field's value and a text search.
fn search_form(b: &mut String, run: &Run, index: usize, q: &Query) {
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/runs/{index}\"><input type=\"hidden\" name=\"class\" value=\"{}\"><select name=\"field\"><option value=\"\">any field</option>",
        q.class.map_or("", Class::name)
    );
    for (k, values) in run.field_values() {
        for v in values {
            let kv = format!("{k}={v}");
            let selected = q.field.as_ref().is_some_and(|(a, b)| *a == k && *b == v);
            let _ = write!(
                b,
                "<option value=\"{}\"{}>{}</option>",
                esc(&kv),
                if selected { " selected" } else { "" },
                esc(&kv)
            );
        }
    }
    let _ = write!(
        b,
        "</select> <input name=\"q\" placeholder=\"search id, answer, gold\" value=\"{}\"> <button type=\"submit\">filter</button></form>",
        esc(q.text.as_deref().unwrap_or(""))
    );
}

/// One item: its image(s) and prompt (re-read from the run's data), every call, and how it
/// was scored. None when the run has no such item.
pub fn item(run: &Run, index: usize, id: &str, links: Links) -> anyhow::Result<Option<String>> {
    let ix = run.index()?;
    let Some(entry) = ix.find(id) else {
        return Ok(None);
    };
    let r = Rows::new(ix.file())
        .record(entry.offset)
        .map_err(|e| anyhow::anyhow!("item {id}: {e}"))?;
    if r.id != id {
        return Ok(None);
    }
    let wanted = std::iter::once(r.id.clone()).collect();
    let data = items::reread(&run.manifest, &wanted).ok();
    Ok(Some(item_html(
        run,
        index,
        &r,
        data.as_ref().and_then(|d| d.get(&r.id)),
        links,
    )))
}

/// An item's page from its record and, when the run's data could be re-read, its item.
pub fn item_html(
    run: &Run,
    index: usize,
    r: &ItemRecord,
    data: Option<&Item>,
    links: Links,
) -> String {
    let depth = usize::from(links == Links::Bundle);
    let metric = run.metric();
    let classes = class_names(r, metric);
    let mut b = format!(
        "<h1>Item <code>{}</code></h1><p class=\"{classes}\" id=\"class\">{classes}</p>",
        esc(&r.id)
    );
    match data {
        Some(item) => {
            b.push_str("<section id=\"images\">");
            for img in &item.images {
                let _ = write!(
                    b,
                    "<img alt=\"image of item {}\" src=\"{}\">",
                    esc(&r.id),
                    items::data_url(img)
                );
            }
            let _ = write!(
                b,
                "</section><h2>Prompt</h2><pre id=\"prompt\">{}</pre>",
                esc(&crate::strategy::prompt::render(
                    &run.manifest.prompt_template,
                    item
                ))
            );
        }
        None => {
            let _ = write!(
                b,
                "<p id=\"images\">The image is not available: the run's data ({}) could not be re-read. Source: <code>{}</code>.</p>",
                esc(&run.manifest.data.path.display().to_string()),
                esc(&r.source)
            );
        }
    }
    b.push_str("<h2>Calls</h2><table id=\"calls\"><tr><th>role</th><th>model</th><th>latency</th><th>tokens (prompt / completion)</th><th>finish</th><th>response</th><th>reasoning</th></tr>");
    for c in &r.calls {
        let response = if c.is_answer {
            r.response.clone()
        } else {
            c.response.clone()
        };
        let _ = write!(
            b,
            "<tr class=\"call\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
            c.role
                .map_or("-".to_string(), |r| format!("{r:?}").to_lowercase()),
            esc(&c.model),
            c.latency_ms.map_or("-".into(), |l| format!("{l} ms")),
            c.usage.as_ref().map_or("-".into(), |u| format!(
                "{} / {}",
                u.prompt_tokens, u.completion_tokens
            )),
            esc(c.finish_reason.as_deref().unwrap_or("-")),
            esc(response.as_deref().or(c.error.as_deref()).unwrap_or("")),
            esc(c.reasoning.as_deref().unwrap_or(""))
        );
    }
    b.push_str("</table><h2>Scoring</h2><table id=\"scoring\">");
    let row = |b: &mut String, k: &str, v: &str| {
        let _ = write!(b, "<tr><th>{k}</th><td><pre>{}</pre></td></tr>", esc(v));
    };
    row(&mut b, "response", r.response.as_deref().unwrap_or(""));
    row(
        &mut b,
        "extracted",
        r.extracted.as_deref().unwrap_or("(nothing)"),
    );
    row(&mut b, "gold", &r.gold.answers.join(" | "));
    row(
        &mut b,
        "decided by",
        &r.how
            .map_or("-".into(), |h| format!("{h:?}").to_lowercase()),
    );
    row(
        &mut b,
        "metrics",
        &serde_json::to_string(&r.metrics).unwrap_or_default(),
    );
    if let Some(j) = &r.judge {
        row(
            &mut b,
            "judge",
            &serde_json::to_string_pretty(j).unwrap_or_default(),
        );
    }
    if let Some(f) = r.format_followed {
        row(&mut b, "format followed", &f.to_string());
    }
    if let Some(t) = &r.trace {
        row(
            &mut b,
            "trace",
            &serde_json::to_string_pretty(t).unwrap_or_default(),
        );
    }
    if let Some(e) = &r.error {
        row(&mut b, "error", e);
    }
    row(&mut b, "source", &r.source);
    b.push_str("</table>");
    let nav = format!(
        "<a href=\"{}\">runs</a><a href=\"{}\">{}</a>",
        links.home(depth),
        links.rel(links.items(index, &Query::default()), depth),
        esc(&run.title)
    );
    page(&format!("item {}", r.id), &nav, &b)
}

/// Two runs side by side: the items right in one and wrong in the other, a page at a time.
pub fn compare(
    a: &Run,
    ai: usize,
    b: &Run,
    bi: usize,
    page_no: usize,
    links: Links,
) -> anyhow::Result<String> {
    let (xa, xb) = (a.index()?, b.index()?);
    let flips = select::flips(&xa, &xb);
    Ok(compare_html(
        (a, ai, &xa),
        (b, bi, &xb),
        &flips,
        page_no,
        links,
    ))
}

/// Pages of the side-by-side view.
pub fn compare_pages(flips: &Flips) -> usize {
    flips.flipped.len().div_ceil(PAGE).max(1)
}

/// [`compare`] with the flipped items already paired.
pub fn compare_html(
    (a, ai, xa): (&Run, usize, &RunIndex),
    (b_run, bi, xb): (&Run, usize, &RunIndex),
    flips: &Flips,
    page_no: usize,
    links: Links,
) -> String {
    let start = page_no.saturating_mul(PAGE).min(flips.flipped.len());
    let end = start.saturating_add(PAGE).min(flips.flipped.len());
    let chunk = &flips.flipped[start..end];
    let offsets = |x: &RunIndex, pick: fn(&(u32, u32)) -> u32| -> Vec<u64> {
        chunk
            .iter()
            .map(|p| x.entries()[pick(p) as usize].offset)
            .collect()
    };
    let left = select::read(xa, &offsets(xa, |p| p.0));
    let right = select::read(xb, &offsets(xb, |p| p.1));
    let mut rows = String::new();
    for (x, y) in left.iter().zip(&right) {
        let (x, y) = match (x, y) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                let _ = write!(
                    rows,
                    "<tr class=\"unreadable\"><td colspan=\"4\">{}</td></tr>",
                    esc(e)
                );
                continue;
            }
        };
        let (l, r) = (
            catalog::is_right(x, a.metric()),
            catalog::is_right(y, b_run.metric()),
        );
        let _ = write!(
            rows,
            "<tr class=\"flipped\" data-id=\"{}\"><td>{}</td><td class=\"{}\"><a href=\"{}\">{}</a></td><td class=\"{}\"><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            esc(&x.id),
            esc(&x.id),
            if l { "right" } else { "wrong" },
            links.rel(links.item(ai, &x.id), 0),
            esc(x.extracted.as_deref().unwrap_or("-")),
            if r { "right" } else { "wrong" },
            links.rel(links.item(bi, &y.id), 0),
            esc(y.extracted.as_deref().unwrap_or("-")),
            esc(&x.gold.answers.join(" | "))
        );
    }
    let pages = compare_pages(flips);
    let mut pager = String::new();
    if page_no > 0 {
        let _ = write!(
            pager,
            "<a rel=\"prev\" href=\"{}\">previous</a> ",
            links.rel(links.compare(ai, bi, page_no - 1), 0)
        );
    }
    if page_no + 1 < pages {
        let _ = write!(
            pager,
            "<a rel=\"next\" href=\"{}\">next</a>",
            links.rel(links.compare(ai, bi, page_no + 1), 0)
        );
    }
    let body = format!(
        "<h1>Side by side</h1><p>A: {} <br>B: {}</p><p id=\"flipcount\">{} of {} shared items flipped; page {} of {pages}.</p><table id=\"flipped\"><tr><th>id</th><th>A</th><th>B</th><th>gold</th></tr>{rows}</table><p class=\"pager\">{pager}</p>",
        esc(&a.title),
        esc(&b_run.title),
        flips.flipped.len(),
        flips.shared,
        page_no + 1
    );
    let nav = format!("<a href=\"{}\">runs</a>", links.home(0));
    page("side by side", &nav, &body)
}
