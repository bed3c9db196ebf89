//! `evalkit merge SHARD_DIRS... --out DIR`: joins the shard directories of one run
//! (`evalkit run --shard I/N`, e.g. the tasks of a Slurm array) into one ordinary run
//! directory, whose `summary.json` is the unsharded run's in every field but timings:
//! scores, counts, cost and failures are rebuilt from the joined journal exactly as a run
//! builds them; request figures are the shards' summed. The directory takes the whole
//! run's id, and its manifest lists the shards under `merged_from`; `evalkit report`,
//! `compare`, `leaderboard`, `export` and `view` read it like any run directory.
//!
//! [`check`] refuses what would not be that run (shards of different runs, overlapping
//! or missing shards, unfinished ones); [`journal`] streams the journals together.

pub mod check;
pub mod journal;
pub mod requests;

use std::path::{Path, PathBuf};

use crate::journal::manifest::Session;
use crate::journal::shards::MergedShard;
use crate::journal::{MANIFEST, Manifest, Summary};
use crate::report::summary;

/// What `evalkit merge` wrote.
#[derive(Debug)]
pub struct Merged {
    pub dir: PathBuf,
    pub summary: Summary,
    pub shards: usize,
}

/// Joins `dirs` (every shard of one run, each finished) into `out`. `command` is the
/// merge's command line, recorded in the manifest.
pub fn merge(dirs: &[PathBuf], out: &Path, command: &str) -> anyhow::Result<Merged> {
    let shards = check::check(dirs)?;
    check_out(out, &shards)?;
    std::fs::create_dir_all(out).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {} (is the parent writable?): {e}",
            out.display()
        )
    })?;
    // No `evalkit run` or other merge writes here meanwhile.
    let _lock = crate::journal::lock::RunLock::acquire(out)?;
    let joined = journal::join(&shards, out)?;

    let first = &shards[0];
    let sessions: Vec<&Session> = shards
        .iter()
        .flat_map(|s| s.manifest.sessions.iter())
        .collect();
    let started_at = sessions
        .iter()
        .map(|s| s.started_at.clone())
        .min()
        .unwrap_or_default();
    let finished_at = sessions.iter().filter_map(|s| s.finished_at.clone()).max();
    // The shards ran side by side: the run took as long as the slowest.
    let wall_time_s = shards
        .iter()
        .map(|s| s.summary.wall_time_s)
        .fold(0.0, f64::max);
    let requests = requests::sum(shards.iter().map(|s| &s.summary.requests), wall_time_s);
    let mut manifest = Manifest {
        run_id: first.shard.run_id.clone(),
        resume_command: command.to_string(),
        sessions: vec![Session {
            started_at,
            finished_at: finished_at.clone(),
            outcome: Some("completed".into()),
            items_selected: joined.selected.len() as u64,
            requests_sent: requests.sent,
            data_fingerprint: Some(joined.selected.fingerprint()),
        }],
        shard: None,
        merged_from: shards
            .iter()
            .zip(&joined.items)
            .map(|(s, items)| MergedShard {
                dir: std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone()),
                run_id: s.manifest.run_id.clone(),
                index: s.shard.index,
                count: s.shard.count,
                items: *items,
            })
            .collect(),
        ..first.manifest.clone()
    };
    manifest.schema = Manifest::SCHEMA.into();

    let scorer = crate::score::by_name(&manifest.suite.scorer)
        .map_err(|e| anyhow::anyhow!("{}: {e}", first.path.join(MANIFEST).display()))?;
    let metric_names = scorer.metric_names();
    let records = crate::journal::lines::latest(&out.join(crate::journal::PREDICTIONS), |_| true)?;
    let summary = summary::build(
        records,
        summary::Context {
            manifest: &manifest,
            metric_names: &metric_names,
            primary_metric: summary::headline(&manifest, scorer.as_ref()),
            selected: Some(joined.selected.len() as u64),
            invalid: joined.invalid,
            requests,
            wall_time_s,
            peak_rss_mib: shards
                .iter()
                .filter_map(|s| s.summary.peak_rss_mib)
                .reduce(f64::max),
            finished_at,
        },
    );
    joined.selected.write(out)?;
    manifest.write(out)?;
    summary::write(out, &summary)?;
    Ok(Merged {
        dir: out.to_path_buf(),
        summary,
        shards: shards.len(),
    })
}

/// `--out` must be a new or empty directory, or one an earlier merge wrote (it is then
/// replaced), and none of the shards.
fn check_out(out: &Path, shards: &[check::ShardDir]) -> anyhow::Result<()> {
    let real = std::fs::canonicalize(out).ok();
    for s in shards {
        if real.is_some() && std::fs::canonicalize(&s.path).ok() == real {
            anyhow::bail!(
                "--out {} is one of the shards given: merge into a new directory",
                out.display()
            );
        }
    }
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        anyhow::bail!(
            "--out {} exists and is not a directory: choose another --out",
            out.display()
        );
    }
    if out.join(MANIFEST).exists() {
        let earlier = Manifest::read(out)?;
        if earlier.merged_from.is_empty() {
            anyhow::bail!(
                "--out {} is a run directory `evalkit merge` did not write (its manifest has \
                 no merged_from): choose another --out",
                out.display()
            );
        }
        return Ok(());
    }
    let empty = std::fs::read_dir(out)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if !empty {
        anyhow::bail!(
            "--out {} exists and is not empty: merge into a new or empty directory",
            out.display()
        );
    }
    Ok(())
}
