//! Reading a page's rows back from the journal by offset. The run index keeps where each
//! item's latest line starts, not the line; a page (or a streamed search) reads its lines
//! through one window of the file, so rows that lie near each other on disk, as items in
//! order mostly do, cost one read between them.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::journal::ItemRecord;

/// Bytes read at a time; a longer line grows the window until its newline is in.
const WINDOW: usize = 1 << 16;

/// Positioned reads of whole lines from a journal, through a window.
pub struct Rows<'f> {
    file: &'f File,
    /// File offset of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
}

impl<'f> Rows<'f> {
    pub fn new(file: &'f File) -> Self {
        Rows {
            file,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// The line that starts at `offset`, without its newline (what is there, at the end
    /// of the file).
    pub fn line(&mut self, offset: u64) -> std::io::Result<&[u8]> {
        if let Some(end) = self.end_in_window(offset) {
            let from = (offset - self.start) as usize;
            return Ok(&self.buf[from..end]);
        }
        self.start = offset;
        self.buf.clear();
        let mut chunk = WINDOW;
        loop {
            let have = self.buf.len();
            self.buf.resize(have + chunk, 0);
            let n = self
                .file
                .read_at(&mut self.buf[have..], offset + have as u64)?;
            self.buf.truncate(have + n);
            if let Some(p) = self.buf[have..].iter().position(|&b| b == b'\n') {
                return Ok(&self.buf[..have + p]);
            }
            if n == 0 {
                return Ok(&self.buf[..]);
            }
            chunk = (chunk * 2).min(1 << 24);
        }
    }

    /// Where the line at `offset` ends in the buffer, when it is wholly inside it.
    fn end_in_window(&self, offset: u64) -> Option<usize> {
        let end = self.start + self.buf.len() as u64;
        if offset < self.start || offset >= end {
            return None;
        }
        let from = (offset - self.start) as usize;
        self.buf[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| from + p)
    }

    /// The record whose line starts at `offset`, or a sentence saying why it cannot be read.
    pub fn record(&mut self, offset: u64) -> Result<ItemRecord, String> {
        let line = self
            .line(offset)
            .map_err(|e| format!("cannot read the journal at byte {offset}: {e}"))?;
        let mut record: ItemRecord = serde_json::from_slice(line).map_err(|e| {
            format!("the journal line at byte {offset} is not a record ({e}); it is skipped")
        })?;
        record.expand();
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lines_by_offset_in_any_order_and_longer_than_the_window() {
        let mut f = tempfile::tempfile().unwrap();
        let long = "x".repeat(WINDOW * 3 + 7);
        let text = format!("a\nbb\n{long}\nccc\ntail");
        f.write_all(text.as_bytes()).unwrap();
        let mut rows = Rows::new(&f);
        assert_eq!(rows.line(2).unwrap(), b"bb");
        assert_eq!(rows.line(0).unwrap(), b"a");
        assert_eq!(rows.line(5).unwrap(), long.as_bytes());
        let ccc = 5 + long.len() as u64 + 1;
        assert_eq!(rows.line(ccc).unwrap(), b"ccc");
        assert_eq!(rows.line(ccc + 4).unwrap(), b"tail");
        assert_eq!(rows.line(2).unwrap(), b"bb");
        assert!(rows.record(0).unwrap_err().contains("byte 0"));
    }
}
