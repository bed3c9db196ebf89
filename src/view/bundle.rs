//! `evalkit view --bundle DIR`: the viewer as static files that any web server (or a file
//! browser) can show: `index.html`, per run `run-N/{all,right,...}-P.html` and
//! `run-N/item-KEY.html`, and `compare-A-B[-P].html`. Tables filter by class (one set of
//! pages per class); field filters and text search need the server.
//!
//! Every page is written, but nothing is held: table pages read their rows from the run's
//! journal by offset, and item pages are written as one pass over the run's data meets
//! their items (images come from the data), then the items the data no longer has.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::catalog::{Class, Run};
use super::index::RunIndex;
use super::links::{Links, Query, file_key};
use super::pages;
use super::rows::Rows;
use super::select::{self, PAGE, Page};
use crate::journal::{ItemRecord, items};
use crate::suite::Item;

fn write(path: &Path, html: &str) -> anyhow::Result<()> {
    std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the bundle; returns the number of pages written.
pub fn write_bundle(runs: &[Arc<Run>], out: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let links = Links::Bundle;
    write(&out.join("index.html"), &pages::runs(runs, links))?;
    let mut written = 1;
    for (i, run) in runs.iter().enumerate() {
        let dir = out.join(format!("run-{i}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let ix = run.index()?;
        written += tables(run, i, &ix, &dir)?;
        written += item_pages(run, i, &ix, &dir)?;
    }
    for a in 0..runs.len() {
        for b in a + 1..runs.len() {
            if runs[a].manifest.suite.name != runs[b].manifest.suite.name {
                continue;
            }
            let (xa, xb) = (runs[a].index()?, runs[b].index()?);
            let flips = select::flips(&xa, &xb);
            for page in 0..pages::compare_pages(&flips) {
                let html = pages::compare_html(
                    (&runs[a], a, &xa),
                    (&runs[b], b, &xb),
                    &flips,
                    page,
                    links,
                );
                let name = match page {
                    0 => format!("compare-{a}-{b}.html"),
                    p => format!("compare-{a}-{b}-{}.html", p + 1),
                };
                write(&out.join(name), &html)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

/// The items table of a run, per class and page.
fn tables(run: &Run, i: usize, ix: &RunIndex, dir: &Path) -> anyhow::Result<usize> {
    let mut written = 0;
    for class in std::iter::once(None).chain(Class::ALL.into_iter().map(Some)) {
        let positions = select::positions(ix, class);
        let chunks: Vec<&[u32]> = if positions.is_empty() {
            vec![&[]]
        } else {
            positions.chunks(PAGE).collect()
        };
        for (page, chunk) in chunks.into_iter().enumerate() {
            let q = Query {
                class,
                page,
                ..Query::default()
            };
            let offsets: Vec<u64> = chunk
                .iter()
                .map(|&p| ix.entries()[p as usize].offset)
                .collect();
            let rows = Page {
                rows: select::read(ix, &offsets),
                total: Some(positions.len()),
                from: 0,
                next: None,
                streamed: false,
            };
            let name = format!("{}-{}.html", class.map_or("all", Class::name), page + 1);
            write(
                &dir.join(name),
                &pages::items_html(run, ix, i, &q, &rows, Links::Bundle),
            )?;
            written += 1;
        }
    }
    Ok(written)
}

/// Every item's page: in the order of the run's data while it lasts (with images), then
/// the items it does not have (without).
fn item_pages(run: &Run, i: usize, ix: &RunIndex, dir: &Path) -> anyhow::Result<usize> {
    let mut done = vec![false; ix.len()];
    let mut rows = Rows::new(ix.file());
    let mut written = 0;
    let page = |record: &ItemRecord, data: Option<&Item>| -> anyhow::Result<()> {
        let html = pages::item_html(run, i, record, data, Links::Bundle);
        write(
            &dir.join(format!("item-{}.html", file_key(&record.id))),
            &html,
        )
    };
    if let Ok(stream) = items::stream(&run.manifest) {
        for item in stream.flatten() {
            let Some(p) = ix.position(crate::journal::index::id_key(&item.id)) else {
                continue;
            };
            if done[p] {
                continue;
            }
            let Ok(record) = rows.record(ix.entries()[p].offset) else {
                continue;
            };
            if record.id != item.id {
                continue;
            }
            page(&record, Some(&item))?;
            done[p] = true;
            written += 1;
            if written == ix.len() {
                break;
            }
        }
    }
    for (p, e) in ix.entries().iter().enumerate() {
        if done[p] {
            continue;
        }
        // A line that is not a record has no page (its row in the table says why).
        if let Ok(record) = rows.record(e.offset) {
            page(&record, None)?;
            written += 1;
        }
    }
    Ok(written)
}
