//! `evalkit view RUNS...`: a local web viewer over run directories, so a researcher can
//! look at items (the chart, the prompt, every call, the extracted and gold answers, how
//! it was scored) instead of only at scores; and `--bundle DIR`, the same pages as static
//! files.
//!
//! Runs are found by the journal scanner (`catalog`) and indexed on first use (`index`: per
//! item the offset of its latest journal line, its class (`class`) and breakdown values);
//! tables filter and page over the index and read their rows back by offset (`select`,
//! `rows`), so no run's records are ever all in memory. Pages are plain HTML strings
//! (`pages`), linked either as server routes or as files (`links`), served by axum on
//! 127.0.0.1 (`server`) or written out (`bundle`). Images are not in the journal: an item
//! page re-reads its item from the run's data (`journal::items`), and says where the item
//! came from when the data is gone.

pub mod bundle;
pub mod catalog;
pub mod class;
pub mod index;
pub mod links;
pub mod pages;
pub mod rows;
pub mod select;
pub mod server;
