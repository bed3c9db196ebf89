//! `leaderboard.json`: the leaderboard value as it is (schema `evalkit.leaderboard/1`).

use super::Leaderboard;
use crate::report::Exporter;

pub struct JsonExporter;

impl Exporter<Leaderboard> for JsonExporter {
    fn serialize(&self, board: &Leaderboard) -> anyhow::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(board)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
