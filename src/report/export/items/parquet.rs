//! Items as Parquet with polars' batched writer: one zstd-compressed row group per chunk
//! (64k rows), typed columns (UTF-8 strings, unsigned 64-bit integers, doubles; all
//! nullable), the schema written once before the first rows.

use std::fs::File;

use polars::prelude::*;

use super::Sink;

struct ParquetSink(polars::io::parquet::write::BatchedWriter<File>);

pub fn sink(file: File, schema: &Schema) -> anyhow::Result<Box<dyn Sink>> {
    let writer = ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(super::chunk::ROWS))
        .batched(schema)?;
    Ok(Box::new(ParquetSink(writer)))
}

impl Sink for ParquetSink {
    fn write(&mut self, frame: &DataFrame) -> anyhow::Result<()> {
        Ok(self.0.write_batch(frame)?)
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        self.0.finish()?;
        Ok(())
    }
}
