//! Reading a run directory back: the one place that opens `manifest.json`,
//! `predictions.jsonl`, `invalid.jsonl` and `summary.json` for reports, rescoring, the
//! decoupling report and (on resume) the run loop. What could not be read is returned
//! beside what could (a torn last line, unreadable lines with their numbers, a summary
//! that does not parse), so every caller can say what it skipped; what makes the
//! directory unusable (no manifest, a manifest or journal that cannot be read) is an
//! error naming the file and the fix.
//!
//! Records are those of the items the last session selected (`selection.json`), so a
//! report shows exactly the run it belongs to; [`RunDir::selection_note`] says when
//! others were left out.
//!
//! Reading never writes: a torn last line is skipped here and cut off only when `evalkit
//! run` reopens the journal for appending (`Journal::open`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::summary::Summary;
use super::{INVALID, ItemRecord, MANIFEST, Manifest, PREDICTIONS, SUMMARY};
use crate::suite::InvalidRow;

/// An opened run directory.
#[derive(Debug)]
pub struct RunDir {
    pub path: PathBuf,
    pub manifest: Manifest,
    /// The latest record of every item, in item order.
    pub records: Vec<ItemRecord>,
    /// Rows of the data that could not be read (`invalid.jsonl`, empty when absent).
    pub invalid: Vec<InvalidRow>,
    /// The stored `summary.json`: None when absent (an interrupted run) or unreadable
    /// (then [`Skipped::summary`] says why).
    pub summary: Option<Summary>,
    pub skipped: Skipped,
    /// Journaled items left out because the last session did not select them (see
    /// `selection.json`): `--limit`/`--sample` changed, or the data shrank.
    pub unselected: usize,
}

/// An unreadable line: its 1-based number and the parse error.
pub type BadLine = (usize, String);

/// What was left out while reading a run directory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Skipped {
    /// Bytes of a torn last line of `predictions.jsonl` (an interrupted write).
    pub torn_bytes: usize,
    /// Lines of `predictions.jsonl` that are not records.
    pub prediction_lines: Vec<BadLine>,
    /// Lines of `invalid.jsonl` that are not rows.
    pub invalid_lines: Vec<BadLine>,
    /// Why `summary.json` exists but was not read.
    pub summary: Option<String>,
}

impl Skipped {
    pub fn is_empty(&self) -> bool {
        *self == Skipped::default()
    }

    /// One line per thing skipped, naming the file in `dir` (at most `max_lines` lines per
    /// file, then a count).
    pub fn warnings(&self, dir: &Path, max_lines: usize) -> Vec<String> {
        let mut out = Vec::new();
        if self.torn_bytes > 0 {
            out.push(format!(
                "{}: skipped a torn last line ({} bytes) left by an interrupted write; \
                 `evalkit run` with the same arguments cuts it off and resumes",
                dir.join(PREDICTIONS).display(),
                self.torn_bytes
            ));
        }
        for (name, lines) in [
            (PREDICTIONS, &self.prediction_lines),
            (INVALID, &self.invalid_lines),
        ] {
            let path = dir.join(name);
            for (line, error) in lines.iter().take(max_lines) {
                out.push(format!(
                    "{}: skipped unreadable line {line}: {error}",
                    path.display()
                ));
            }
            if lines.len() > max_lines {
                out.push(format!(
                    "{}: skipped {} more unreadable lines",
                    path.display(),
                    lines.len() - max_lines
                ));
            }
        }
        if let Some(reason) = &self.summary {
            out.push(format!(
                "{}: not read ({reason}); `evalkit report {} --rescore` rewrites it",
                dir.join(SUMMARY).display(),
                dir.display()
            ));
        }
        out
    }
}

impl RunDir {
    /// Opens a run directory (`runs/<suite>/<model>/<run-id>`, written by `evalkit run`).
    pub fn open(dir: &Path) -> anyhow::Result<RunDir> {
        check_is_run_dir(dir)?;
        let manifest = Manifest::read(dir)?;
        let (mut records, mut skipped) = latest_records(dir)?;
        let mut unselected = 0;
        if let Some(selection) = super::selection::Selection::read(dir) {
            let ids = selection.id_set();
            let before = records.len();
            records.retain(|r| ids.contains(&r.id));
            unselected = before - records.len();
        }
        let (invalid, invalid_lines) = read_invalid(dir)?;
        skipped.invalid_lines = invalid_lines;
        let summary = match read_summary(dir) {
            Ok(summary) => summary,
            Err(reason) => {
                skipped.summary = Some(reason);
                None
            }
        };
        Ok(RunDir {
            path: dir.to_path_buf(),
            manifest,
            records,
            invalid,
            summary,
            skipped,
            unselected,
        })
    }

    /// What a report says when the journal holds items the last session did not select.
    pub fn selection_note(&self) -> Option<String> {
        (self.unselected > 0).then(|| {
            format!(
                "showing the {} items the last session selected; the journal also holds {} \
                 items earlier sessions selected (another --limit, --sample or data)",
                self.records.len(),
                self.unselected
            )
        })
    }

    /// The latest records of the items in `ids`, in item order (e.g. the items a session
    /// selected, when the journal also holds items of earlier, larger sessions).
    pub fn into_records_among(self, ids: &HashSet<String>) -> Vec<ItemRecord> {
        self.records
            .into_iter()
            .filter(|r| ids.contains(&r.id))
            .collect()
    }
}

/// An error unless `dir` is a directory holding `manifest.json`.
fn check_is_run_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        anyhow::bail!(
            "{} does not exist: give a run directory (runs/<suite>/<model>/<run-id>)",
            dir.display()
        );
    }
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a directory: give a run directory (runs/<suite>/<model>/<run-id>)",
            dir.display()
        );
    }
    if !dir.join(MANIFEST).exists() {
        anyhow::bail!(
            "{} is not a run directory: it has no {MANIFEST} (run directories are \
             runs/<suite>/<model>/<run-id>, written by `evalkit run`)",
            dir.display()
        );
    }
    Ok(())
}

/// The latest record of every item of a run directory's journal, in item order, and what
/// was skipped. Needs only `predictions.jsonl` (the run loop reads it before the manifest
/// is final).
pub fn latest_records(dir: &Path) -> anyhow::Result<(Vec<ItemRecord>, Skipped)> {
    let loaded = super::read_records(dir)?;
    let skipped = Skipped {
        torn_bytes: loaded.torn_bytes,
        prediction_lines: loaded.bad_lines,
        ..Skipped::default()
    };
    Ok((super::latest(loaded.records), skipped))
}

/// `invalid.jsonl`'s rows and its unreadable lines; nothing when the file is absent.
fn read_invalid(dir: &Path) -> anyhow::Result<(Vec<InvalidRow>, Vec<BadLine>)> {
    let path = dir.join(INVALID);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot read {} (check its permissions, or delete it: `evalkit run` \
                     rewrites it)",
                    path.display()
                )
            });
        }
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(row) => rows.push(row),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    Ok((rows, bad))
}

/// The stored summary: Ok(None) when absent, Err(why) when present but unreadable.
pub fn read_summary(dir: &Path) -> Result<Option<Summary>, String> {
    let bytes = match std::fs::read(dir.join(SUMMARY)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("not a summary: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_a_manifest_is_not_a_run_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let err = RunDir::open(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("is not a run directory"), "{err}");
        assert!(err.contains("manifest.json"), "{err}");
        let missing = tmp.path().join("nope");
        let err = RunDir::open(&missing).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(MANIFEST), "{").unwrap();
        let err = format!("{:#}", RunDir::open(tmp.path()).unwrap_err());
        assert!(err.contains("manifest.json"), "{err}");
    }

    #[test]
    fn invalid_rows_and_their_unreadable_lines() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(INVALID),
            "{\"source\":\"a.json:3\",\"reason\":\"no image\"}\nnot json\n\n",
        )
        .unwrap();
        let (rows, bad) = read_invalid(tmp.path()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].source, "a.json:3");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 2);
        assert_eq!(read_invalid(&tmp.path().join("x")).unwrap().0.len(), 0);
    }

    #[test]
    fn a_summary_is_optional_and_an_unreadable_one_is_explained() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(read_summary(tmp.path()), Ok(None));
        std::fs::write(tmp.path().join(SUMMARY), "[]").unwrap();
        let why = read_summary(tmp.path()).unwrap_err();
        assert!(why.starts_with("not a summary"), "{why}");
        let skipped = Skipped {
            summary: Some(why),
            prediction_lines: vec![(3, "eof".into())],
            ..Skipped::default()
        };
        let lines = skipped.warnings(tmp.path(), 5);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("predictions.jsonl: skipped unreadable line 3"));
        assert!(lines[1].contains("summary.json: not read"));
    }
}
