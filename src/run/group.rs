//! `evalkit run --suite GROUP` (and `decouple --suite GROUP`): a suite group card's members
//! run one after another, each an ordinary resumable run directory, and the command ends
//! with one table: each member's headline figure, its interval and n, and the scoring
//! protocol that produced it, with its run directory.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::card::find::{self, CardKind};
use crate::card::group::GroupCard;
use crate::journal::Summary;

/// The group card a `--suite` names, if it names a group.
pub fn group_card(name: &str) -> anyhow::Result<Option<GroupCard>> {
    let Ok(path) = find::resolve(CardKind::Suite, name) else {
        return Ok(None);
    };
    if GroupCard::is_group(&path) {
        GroupCard::load(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// One member's outcome.
pub struct Member {
    pub suite: String,
    pub dir: PathBuf,
    pub summary: Summary,
}

/// Runs every member of `group` with `opts` (its `suite` set per member). `--data` names
/// one suite's data, so it is refused for a group.
pub async fn run(
    group: &GroupCard,
    opts: super::RunOptions,
) -> anyhow::Result<(Vec<Member>, bool)> {
    if opts.data.is_some() {
        anyhow::bail!(
            "--data names one suite's data; suite group `{}` runs {} suites, each from its own card's locations (drop --data, or run a member suite alone)",
            group.name,
            group.suites.len()
        );
    }
    let mut members = Vec::new();
    for (i, suite) in group.suites.iter().enumerate() {
        eprintln!("[{}/{}] {suite}", i + 1, group.suites.len());
        let result = super::run(super::RunOptions {
            suite: suite.clone(),
            ..opts.clone()
        })
        .await
        .map_err(|e| e.context(format!("suite `{suite}` of group `{}`", group.name)))?;
        let interrupted = result.interrupted;
        members.push(Member {
            suite: suite.clone(),
            dir: result.dir,
            summary: result.summary,
        });
        if interrupted {
            return Ok((members, true));
        }
    }
    Ok((members, false))
}

/// The group's table: one row per member suite.
pub fn table(group: &GroupCard, members: &[Member]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "suite",
        "metric",
        "protocol",
        "score",
        "95% interval",
        "n",
        "run",
    ]);
    for m in members {
        let s = &m.summary;
        let metric = &s.primary_metric;
        let overall = &s.scores.overall;
        let score = overall
            .metrics
            .get(metric)
            .map_or("-".into(), |v| format!("{v:.2}"));
        let interval = overall
            .interval95
            .get(metric)
            .map_or("-".into(), |[lo, hi]| format!("[{lo:.1}, {hi:.1}]"));
        t.add_row(vec![
            s.suite.clone(),
            metric.clone(),
            // The protocol whose prompts the run sent; the headline is the official rule.
            s.protocol.as_str().into(),
            score,
            interval,
            overall.n.to_string(),
            m.dir.display().to_string(),
        ]);
    }
    let mut out = format!("{} on suite group {}\n{t}\n", model(members), group.name);
    if !group.description.is_empty() {
        let _ = writeln!(out, "{}", group.description);
    }
    out
}

fn model(members: &[Member]) -> String {
    members
        .first()
        .map_or_else(String::new, |m| m.summary.model.clone())
}
