//! Items as CSV: a header of the table's columns, then one row per item and run; empty
//! cells are nulls.

use super::ItemTable;
use crate::report::Exporter;

pub struct CsvExporter;

impl Exporter<ItemTable> for CsvExporter {
    fn serialize(&self, table: &ItemTable) -> anyhow::Result<Vec<u8>> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
        for row in 0..table.rows {
            w.write_record((0..table.columns.len()).map(|c| table.text_cell(c, row)))?;
        }
        Ok(w.into_inner()?)
    }
}
