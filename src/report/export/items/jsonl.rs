//! Items as JSON Lines: one object per item and run, keys in column order, nulls kept.

use super::ItemTable;
use crate::report::Exporter;

pub struct JsonlExporter;

impl Exporter<ItemTable> for JsonlExporter {
    fn serialize(&self, table: &ItemTable) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        for row in 0..table.rows {
            let mut object = serde_json::Map::new();
            for (c, column) in table.columns.iter().enumerate() {
                object.insert(column.name.clone(), table.json_cell(c, row));
            }
            serde_json::to_writer(&mut out, &object)?;
            out.push(b'\n');
        }
        Ok(out)
    }
}
