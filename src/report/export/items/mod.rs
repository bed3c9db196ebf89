//! `evalkit export RUNS... --format parquet|csv|jsonl --out FILE`: every item record of
//! every run as one table, one row per item and run, for analysis in pandas, polars,
//! DuckDB or a spreadsheet.
//!
//! Built with polars, in bounded memory whatever the runs' size: a first pass streams
//! every run's records ([`crate::journal::ordered`]) to learn the columns (a field, metric
//! or call role one run has is a column of all); the second streams them again into
//! chunks of 64k rows ([`chunk`], polars columns), each handed to the format's batched
//! polars writer ([`parquet`], [`csv`], [`jsonl`]) as it fills. At most one chunk and one
//! record are in memory. The file is written beside its target and renamed into place
//! when complete.
//!
//! Columns (documented in the README; [`columns`]): `run`, `run_dir`, `model`, `suite`,
//! `protocol`, `strategy`, `item_id`, `order`, `split`, `field_<name>` for each breakdown
//! field, `gold` (answers joined with ` | `), `response`, `extracted`, `status`,
//! `decided_by`, `metric_<name>` for each metric (0-1), `latency_ms`,
//! `prompt_tokens_<role>` and `completion_tokens_<role>` for each call role, `attempts`,
//! `error`. A column another run has and this one lacks is empty (null).

pub mod chunk;
pub mod columns;
pub mod csv;
pub mod jsonl;
pub mod parquet;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use polars::prelude::{DataFrame, Schema};

use crate::journal::reader::Skipped;
use crate::journal::{Manifest, ordered};
use columns::{RunInfo, Seen};

/// An export format of `evalkit export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ItemFormat {
    Parquet,
    Csv,
    Jsonl,
}

/// A format's batched writer: chunks go in as they fill, `finish` completes the file.
pub trait Sink {
    fn write(&mut self, frame: &DataFrame) -> anyhow::Result<()>;
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

impl ItemFormat {
    fn sink(self, file: File, schema: &Schema) -> anyhow::Result<Box<dyn Sink>> {
        match self {
            ItemFormat::Parquet => parquet::sink(file, schema),
            ItemFormat::Csv => csv::sink(file, schema),
            ItemFormat::Jsonl => jsonl::sink(file, schema),
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exported {
    pub rows: usize,
    /// Runs written (those that could be read).
    pub runs: usize,
    /// What was skipped: runs that could not be read, unreadable journal lines.
    pub warnings: Vec<String>,
}

/// Writes every item of the run directories `runs` (e.g. a scan's) to `out`.
pub fn export(runs: &[PathBuf], format: ItemFormat, out: &Path) -> anyhow::Result<Exported> {
    let mut done = Exported::default();
    let mut seen = Seen::default();
    let mut readable: Vec<(PathBuf, RunInfo)> = Vec::new();
    for dir in runs {
        match learn(dir, &mut seen) {
            Ok((info, skipped)) => {
                done.warnings.extend(skipped.warnings(dir, 3));
                readable.push((dir.clone(), info));
            }
            Err(e) => done
                .warnings
                .push(format!("skipped {}: {e:#}", dir.display())),
        }
    }
    let specs = seen.columns();
    let schema = chunk::schema(&specs);
    let tmp = temporary(out)?;
    let file = File::create(&tmp).with_context(|| {
        format!(
            "cannot create {} (is the folder writable? choose another --out)",
            tmp.display()
        )
    })?;
    let written = (|| -> anyhow::Result<usize> {
        let mut sink = format.sink(file, &schema)?;
        let mut chunk = chunk::Chunk::new(&specs);
        let mut rows = 0;
        for (dir, info) in &readable {
            for record in ordered::ordered(dir)? {
                chunk.push(info, &record?);
                if chunk.is_full() {
                    rows += chunk.rows();
                    sink.write(&chunk.take()?)?;
                }
            }
        }
        if chunk.rows() > 0 {
            rows += chunk.rows();
            sink.write(&chunk.take()?)?;
        }
        sink.finish()?;
        Ok(rows)
    })();
    match written {
        Ok(rows) => {
            std::fs::rename(&tmp, out)
                .with_context(|| format!("cannot replace {}", out.display()))?;
            done.rows = rows;
            done.runs = readable.len();
            Ok(done)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.context(format!("cannot write {}", out.display())))
        }
    }
}

/// The first pass over one run: its manifest, and the columns its records need.
fn learn(dir: &Path, seen: &mut Seen) -> anyhow::Result<(RunInfo, Skipped)> {
    let manifest = Manifest::read(dir)?;
    let info = RunInfo::new(dir, &manifest);
    seen.run(&info);
    let mut records = ordered::ordered(dir)?;
    for record in records.by_ref() {
        seen.record(&record?);
    }
    let skipped = Skipped {
        torn_bytes: records.torn_bytes as usize,
        prediction_lines: std::mem::take(&mut records.bad_lines),
        ..Skipped::default()
    };
    Ok((info, skipped))
}

/// Where the file is written before it is complete (beside `out`, whose folder is made).
fn temporary(out: &Path) -> anyhow::Result<PathBuf> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create {} for the export (is the parent writable? choose another --out)",
                dir.display()
            )
        })?;
    }
    let mut name = out.file_name().map(|n| n.to_os_string()).ok_or_else(|| {
        anyhow::anyhow!(
            "--out {} is not a file name: give the file to write, e.g. --out items.parquet",
            out.display()
        )
    })?;
    name.push(".partial");
    Ok(out.with_file_name(name))
}
