//! Items as JSON Lines with polars' batched JSON writer: one object per item and run, keys
//! in column order, nulls kept.

use std::fs::File;

use polars::prelude::*;

use super::Sink;

struct JsonlSink(polars::io::json::BatchedWriter<File>);

pub fn sink(file: File, _schema: &Schema) -> anyhow::Result<Box<dyn Sink>> {
    // Each chunk is serialized whole, then written: no buffering needed.
    Ok(Box::new(JsonlSink(polars::io::json::BatchedWriter::new(
        file,
    ))))
}

impl Sink for JsonlSink {
    fn write(&mut self, frame: &DataFrame) -> anyhow::Result<()> {
        Ok(self.0.write_batch(frame)?)
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        Ok(())
    }
}
