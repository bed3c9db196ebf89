//! JSON: one run's summary as pretty-printed `summary.json` (the object, exactly the run
//! directory's file), several runs as an array of those objects.

use super::Exporter;
use crate::journal::Summary;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn serialize(&self, runs: &[Summary]) -> anyhow::Result<Vec<u8>> {
        let mut bytes = match runs {
            [one] => serde_json::to_vec_pretty(one)?,
            several => serde_json::to_vec_pretty(several)?,
        };
        bytes.push(b'\n');
        Ok(bytes)
    }
}
