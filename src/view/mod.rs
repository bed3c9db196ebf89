//! `evalkit view RUNS...`: a local web viewer over run directories, so a researcher can
//! look at items (the chart, the prompt, every call, the extracted and gold answers, how
//! it was scored) instead of only at scores; and `--bundle DIR`, the same pages as static
//! files.
//!
//! Runs are found by the journal scanner and read by the run-directory reader (`catalog`);
//! pages are plain HTML strings (`pages`), linked either as server routes or as files
//! (`links`), served by axum on 127.0.0.1 (`server`) or written out (`bundle`). Images are
//! not in the journal: an item page re-reads its item from the run's data
//! (`journal::items`), and says where the item came from when the data is gone.

pub mod bundle;
pub mod catalog;
pub mod links;
pub mod pages;
pub mod server;
