//! Items as CSV with polars' batched writer: the header once, then each chunk's rows;
//! empty cells are nulls.

use std::fs::File;

use polars::prelude::*;

use super::Sink;

struct CsvSink(polars::io::csv::write::BatchedWriter<File>);

pub fn sink(file: File, schema: &Schema) -> anyhow::Result<Box<dyn Sink>> {
    let writer = CsvWriter::new(file).include_header(true).batched(schema)?;
    Ok(Box::new(CsvSink(writer)))
}

impl Sink for CsvSink {
    fn write(&mut self, frame: &DataFrame) -> anyhow::Result<()> {
        Ok(self.0.write_batch(frame)?)
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        // Writes the header when no chunk had any row.
        Ok(self.0.finish()?)
    }
}
