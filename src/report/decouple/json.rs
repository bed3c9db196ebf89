//! The decoupling report as JSON (`decouple.json`, and `evalkit decouple --json`): the
//! model itself, pretty-printed; its schema is [`DecoupleReport::SCHEMA`].

use super::DecoupleReport;
use crate::report::Exporter;

/// `decouple.json` (no trailing newline, as it has always been written).
pub struct DecoupleJson;

impl Exporter<DecoupleReport> for DecoupleJson {
    fn serialize(&self, report: &DecoupleReport) -> anyhow::Result<Vec<u8>> {
        Ok(serde_json::to_vec_pretty(report)?)
    }
}
