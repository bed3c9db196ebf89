//! `leaderboard.csv`: long form, one row per suite, model and figure (`overall` or a
//! breakdown category), with the rank, rank group, interval and the run's identity, for
//! spreadsheets and dataframes.

use super::Leaderboard;
use crate::report::Exporter;

pub struct CsvExporter;

impl Exporter<Leaderboard> for CsvExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record([
            "suite",
            "metric",
            "model",
            "strategy",
            "protocol",
            "rank",
            "rank_group",
            "category",
            "score",
            "ci95_low",
            "ci95_high",
            "n",
            "comparable",
            "differs",
            "run_id",
            "run_date",
            "evalkit_version",
            "card_fingerprint",
            "run_dir",
        ])?;
        let opt = |v: Option<usize>| v.map_or(String::new(), |v| v.to_string());
        for suite in &board.suites {
            for e in &suite.entries {
                let mut figures = vec![("overall".to_string(), e.score, Some(e.ci95))];
                for (k, v) in &e.categories {
                    figures.push((k.clone(), *v, None));
                }
                for (category, score, ci) in figures {
                    w.write_record([
                        suite.suite.clone(),
                        suite.metric.clone(),
                        e.model.clone(),
                        e.strategy.clone(),
                        e.protocol.clone(),
                        opt(e.rank),
                        opt(e.group),
                        category,
                        score.to_string(),
                        ci.map_or(String::new(), |c| c.low.to_string()),
                        ci.map_or(String::new(), |c| c.high.to_string()),
                        e.n.to_string(),
                        e.comparable.to_string(),
                        e.differs.join("; "),
                        e.run_id.clone(),
                        e.run_date.clone(),
                        e.evalkit_version.clone(),
                        e.card_fingerprint.clone(),
                        e.run_dir.display().to_string(),
                    ])?;
                }
            }
        }
        Ok(w.into_inner()?)
    }
}
