//! Rows of the export gathered into polars columns, a bounded number at a time: each
//! column appends into its own Arrow buffer (polars' chunked builders), so a chunk holds
//! its rows once, as the frame it becomes, and no record outlives its row.

use polars::prelude::*;

use super::columns::{Cell, Kind, RunInfo, Spec, cell, tokens};
use crate::journal::ItemRecord;

/// Rows per chunk: one Parquet row group, one CSV or JSON Lines batch.
pub const ROWS: usize = 65_536;

enum Builder {
    Text(StringChunkedBuilder),
    Int(PrimitiveChunkedBuilder<UInt64Type>),
    Float(PrimitiveChunkedBuilder<Float64Type>),
}

impl Builder {
    fn new(spec: &Spec, capacity: usize) -> Builder {
        let name = PlSmallStr::from(spec.name());
        match spec.kind() {
            Kind::Text => Builder::Text(StringChunkedBuilder::new(name, capacity)),
            Kind::Int => Builder::Int(PrimitiveChunkedBuilder::new(name, capacity)),
            Kind::Float => Builder::Float(PrimitiveChunkedBuilder::new(name, capacity)),
        }
    }

    fn push(&mut self, value: Cell<'_>) {
        match (self, value) {
            (Builder::Text(b), Cell::Text(v)) => b.append_option(v.as_deref()),
            (Builder::Int(b), Cell::Int(v)) => b.append_option(v),
            (Builder::Float(b), Cell::Float(v)) => b.append_option(v),
            // A column's kind and its cells' come from one `Spec`; never mixed.
            (Builder::Text(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Float(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Text(b) => b.finish().into_column(),
            Builder::Int(b) => b.finish().into_column(),
            Builder::Float(b) => b.finish().into_column(),
        }
    }
}

/// The polars schema of the columns.
pub fn schema(specs: &[Spec]) -> Schema {
    specs
        .iter()
        .map(|s| {
            let dtype = match s.kind() {
                Kind::Text => DataType::String,
                Kind::Int => DataType::UInt64,
                Kind::Float => DataType::Float64,
            };
            Field::new(PlSmallStr::from(s.name()), dtype)
        })
        .collect()
}

/// One chunk being filled.
pub struct Chunk<'s> {
    specs: &'s [Spec],
    builders: Vec<Builder>,
    rows: usize,
}

impl<'s> Chunk<'s> {
    pub fn new(specs: &'s [Spec]) -> Chunk<'s> {
        Chunk {
            specs,
            builders: specs.iter().map(|s| Builder::new(s, ROWS)).collect(),
            rows: 0,
        }
    }

    pub fn push(&mut self, run: &RunInfo, record: &ItemRecord) {
        let tokens = tokens(record);
        for (spec, builder) in self.specs.iter().zip(&mut self.builders) {
            builder.push(cell(spec, run, record, &tokens));
        }
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_full(&self) -> bool {
        self.rows >= ROWS
    }

    /// The rows as a frame; the chunk starts empty again.
    pub fn take(&mut self) -> anyhow::Result<DataFrame> {
        let builders = std::mem::replace(
            &mut self.builders,
            self.specs.iter().map(|s| Builder::new(s, ROWS)).collect(),
        );
        let rows = std::mem::take(&mut self.rows);
        let columns: Vec<Column> = builders.into_iter().map(Builder::finish).collect();
        Ok(DataFrame::new(rows, columns)?)
    }
}
