//! `evalkit view --bundle DIR`: the viewer as static files that any web server (or a file
//! browser) can show: `index.html`, per run `run-N/{all,right,...}-P.html` and
//! `run-N/item-KEY.html`, and `compare-A-B.html`. Tables filter by class (one set of pages
//! per class); field filters and text search need the server.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::catalog::{Class, Run};
use super::links::{Links, Query, file_key};
use super::pages::{self, PAGE};

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
        let records = run.records()?;
        let metric = run.metric().to_string();
        let classes = std::iter::once(None).chain(Class::ALL.into_iter().map(Some));
        for class in classes {
            let n = records
                .iter()
                .filter(|r| class.is_none_or(|c| super::catalog::classes(r, &metric).contains(&c)))
                .count();
            for page in 0..n.div_ceil(PAGE).max(1) {
                let q = Query {
                    class,
                    page,
                    ..Query::default()
                };
                let name = format!("{}-{}.html", class.map_or("all", Class::name), page + 1);
                write(&dir.join(name), &pages::items(run, i, &q, links)?)?;
                written += 1;
            }
        }
        for r in records.iter() {
            if let Some(html) = pages::item(run, i, &r.id, links)? {
                write(&dir.join(format!("item-{}.html", file_key(&r.id))), &html)?;
                written += 1;
            }
        }
    }
    for a in 0..runs.len() {
        for b in a + 1..runs.len() {
            if runs[a].manifest.suite.name == runs[b].manifest.suite.name {
                write(
                    &out.join(format!("compare-{a}-{b}.html")),
                    &pages::compare(&runs[a], a, &runs[b], b, links)?,
                )?;
                written += 1;
            }
        }
    }
    Ok(written)
}
