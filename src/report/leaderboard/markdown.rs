//! `leaderboard.md`: one table per suite (rank, model, score with its interval, the
//! difference from the next model, each category, the run's date, evalkit version and
//! card fingerprint), runs that are not comparable marked with what differs, and the runs
//! left out.

use std::fmt::Write as _;

use super::{Entry, Leaderboard};
use crate::report::Exporter;

pub struct MarkdownExporter;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The rank as shown: `1`, or `1=` when others share it; `—` when not ranked.
pub fn rank_text(e: &Entry, all: &[Entry]) -> String {
    match e.rank {
        None => "—".into(),
        Some(r) => {
            let shared = all
                .iter()
                .filter(|o| o.group.is_some() && o.group == e.group)
                .count()
                > 1;
            if shared {
                format!("{r}=")
            } else {
                r.to_string()
            }
        }
    }
}

/// The difference from the next model, as shown.
pub fn vs_next_text(e: &Entry) -> String {
    match &e.vs_next {
        None => "—".into(),
        Some(v) => {
            let ci = v.ci95.map_or(String::new(), |c| {
                format!(" [{:+.2}, {:+.2}]", c.low, c.high)
            });
            let verdict = if v.significant { "significant" } else { "tied" };
            format!(
                "{:+.2}{ci} vs {} ({verdict}, n={})",
                v.difference, v.model, v.paired
            )
        }
    }
}

impl Exporter<Leaderboard> for MarkdownExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let mut out = String::from("# Leaderboard\n\n");
        let _ = writeln!(
            out,
            "Ranks are significance-aware: a model shares the rank of the one above it when \
             their paired difference on the items both answered is not significant (paired \
             bootstrap 95% interval including zero; {} resamples, seed {}). Scores in percent \
             with their 95% interval. Rows marked *not comparable* differ from the suite's \
             reference settings and are not ranked.\n",
            board.resamples, board.seed
        );
        for suite in &board.suites {
            let _ = writeln!(out, "## {} (`{}`)\n", suite.suite, suite.metric);
            let mut header = vec!["rank", "model", "score", "95% CI", "n", "vs next"];
            let cats: Vec<&str> = suite.categories.iter().map(String::as_str).collect();
            header.extend(&cats);
            header.extend(["run date", "evalkit", "card fingerprint", "comparable"]);
            let _ = writeln!(
                out,
                "| {} |",
                header
                    .iter()
                    .map(|h| cell(h))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
            for e in &suite.entries {
                let mut row = vec![
                    rank_text(e, &suite.entries),
                    cell(&e.model),
                    format!("{:.2}", e.score),
                    format!("{:.2}–{:.2}", e.ci95.low, e.ci95.high),
                    e.n.to_string(),
                    cell(&vs_next_text(e)),
                ];
                for c in &suite.categories {
                    row.push(
                        e.categories
                            .get(c)
                            .map_or("—".into(), |v| format!("{v:.2}")),
                    );
                }
                row.push(e.run_date.clone());
                row.push(e.evalkit_version.clone());
                row.push(format!("`{}`", e.card_fingerprint));
                row.push(if e.comparable {
                    "yes".into()
                } else {
                    format!("*not comparable*: {}", e.differs.join(", "))
                });
                let _ = writeln!(out, "| {} |", row.join(" | "));
            }
            out.push('\n');
        }
        if !board.left_out.is_empty() {
            out.push_str("## Runs left out\n\n");
            for l in &board.left_out {
                let _ = writeln!(out, "- `{}`: {}", l.run_dir.display(), cell(&l.reason));
            }
        }
        Ok(out.into_bytes())
    }
}
