//! Items as Parquet (zstd-compressed, one row group per 64k rows), typed: text columns
//! are UTF-8 strings, `order`, `latency_ms`, tokens and `attempts` unsigned 64-bit
//! integers, metrics doubles, all nullable. Written with the arrow/parquet crates evalkit
//! already reads Hugging Face parquet with.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{ItemTable, Values};
use crate::report::Exporter;

pub struct ParquetExporter;

impl Exporter<ItemTable> for ParquetExporter {
    fn serialize(&self, table: &ItemTable) -> anyhow::Result<Vec<u8>> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for column in &table.columns {
            let (data_type, array): (DataType, ArrayRef) = match &column.values {
                Values::Text(v) => (DataType::Utf8, Arc::new(StringArray::from(v.clone()))),
                Values::Int(v) => (DataType::UInt64, Arc::new(UInt64Array::from(v.clone()))),
                Values::Float(v) => (DataType::Float64, Arc::new(Float64Array::from(v.clone()))),
            };
            fields.push(Field::new(&column.name, data_type, true));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_size(65_536)
            .build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props))?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(out)
    }
}
