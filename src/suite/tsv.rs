//! Streaming reader of VLMEvalKit's TSV files (`$LMUData/*.tsv`) into format-neutral
//! [`Row`]s.
//!
//! VLMEvalKit writes these with pandas (`to_csv(sep='\t')`: tab-separated, cells quoted with
//! `"` only when needed, quotes doubled inside), so they are read with the `csv` crate set up
//! the same way. Every cell becomes a [`Value::Str`] except the `image` column:
//! - base64 data becomes [`Value::Bytes`];
//! - a cell like `['...', '...']` holds several base64 images and becomes a [`Value::List`];
//! - a cell of 64 characters or fewer is the `index` of another row whose image it reuses
//!   (VLMEvalKit's way to avoid repeating an image); the target may come earlier or later;
//! - an empty cell becomes [`Value::Null`] (the benchmark mapping decides if that is wrong).
//!
//! The files exceed 1 GB, so nothing is held whole: rows stream one at a time and a second
//! reader of the same file resolves references. It seeks to rows already seen through an
//! `index -> byte offset` map, and for a forward reference scans ahead from where it last
//! stopped, noting the offsets of the rows it passes, so the file is scanned ahead at most
//! once in total. The last image decoded is kept, since consecutive rows usually share one.
//!
//! A bad row (wrong number of cells, no index, corrupt base64, a reference to a missing
//! index) is an [`InvalidRow`] naming the file, row and column, and the stream goes on.
//! A header without the `index` column or a required column is an error from [`open`].

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use csv::{ByteRecord, Position};

use super::item::InvalidRow;
use super::row::{Row, RowStream, Value, parse_list_literal, require_columns};

/// Image cells at most this long are references to another row's `index` (VLMEvalKit's rule).
const REFERENCE_MAX_LEN: usize = 64;

/// The column every VLMEvalKit TSV has, and the one holding base64 images.
const INDEX: &str = "index";
const IMAGE: &str = "image";

/// Base64 as Python's `base64.b64encode` writes it; missing padding is tolerated.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Opens a VLMEvalKit TSV as a lazy stream of rows. The header must have an `index`
/// column and every column in `required` (e.g. `image`, `question`); otherwise the error
/// names the file and the columns found and expected.
pub fn open(path: &Path, required: &[&str]) -> anyhow::Result<RowStream> {
    let mut reader = csv_reader(path)?;
    let header = reader
        .byte_headers()
        .map_err(|e| anyhow::anyhow!("{}: cannot read the header row: {e}", path.display()))?;
    let columns = column_names(header);
    let mut expected = vec![INDEX];
    expected.extend(required.iter().copied().filter(|c| *c != INDEX));
    require_columns(path, &columns, &expected)?;
    if let Some(dup) = columns
        .iter()
        .enumerate()
        .find(|(i, c)| columns[..*i].contains(c))
    {
        anyhow::bail!(
            "{}: the header names column `{}` twice; rename one",
            path.display(),
            dup.1
        );
    }
    let position = |name: &str| columns.iter().position(|c| c == name);
    let index_col = position(INDEX).unwrap_or(0);
    let image_col = position(IMAGE);
    Ok(Box::new(TsvRows {
        path: path.to_path_buf(),
        columns,
        index_col,
        reader,
        record: ByteRecord::new(),
        row_no: 0,
        done: false,
        images: ImageResolver {
            path: path.to_path_buf(),
            index_col,
            image_col: image_col.unwrap_or(0),
            offsets: HashMap::new(),
            lookup: None,
            frontier: None,
            scanned_to_end: false,
            last: None,
        },
        image_col,
    }))
}

/// A reader set up as pandas writes VLMEvalKit's files.
fn csv_reader(path: &Path) -> anyhow::Result<csv::Reader<File>> {
    let file = File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open TSV file {}: {e}", path.display()))?;
    check_header_line(path, &file)?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quote(b'"')
        .double_quote(true)
        .flexible(false)
        .has_headers(true)
        .from_reader(file))
}

/// The longest header line read: a "TSV" whose first line is longer (a device such as
/// /dev/zero, a binary file) is refused before the CSV reader buffers it.
const MAX_HEADER: u64 = 1 << 20;

/// Refuses what is not a regular file, and a first line longer than [`MAX_HEADER`].
fn check_header_line(path: &Path, file: &File) -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
    let meta = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{} is not a regular file; give a VLMEvalKit .tsv file",
            path.display()
        );
    }
    let mut first = Vec::new();
    let mut reader = BufReader::new(file.take(MAX_HEADER + 1));
    reader
        .read_until(b'\n', &mut first)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if first.len() as u64 > MAX_HEADER {
        anyhow::bail!(
            "{}: the first line is longer than {} MiB, so it is not a TSV header; give a VLMEvalKit .tsv file",
            path.display(),
            MAX_HEADER >> 20
        );
    }
    // Back to the start for the CSV reader.
    let mut handle = file;
    handle
        .seek(SeekFrom::Start(0))
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(())
}

/// Header cells as column names, trimmed, without a UTF-8 byte-order mark.
fn column_names(header: &ByteRecord) -> Vec<String> {
    header
        .iter()
        .map(|cell| {
            String::from_utf8_lossy(cell)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect()
}

/// The rows of one TSV file, read one at a time.
struct TsvRows {
    path: PathBuf,
    columns: Vec<String>,
    index_col: usize,
    image_col: Option<usize>,
    reader: csv::Reader<File>,
    record: ByteRecord,
    /// 1-based number of the last data row read.
    row_no: u64,
    done: bool,
    images: ImageResolver,
}

impl Iterator for TsvRows {
    type Item = Result<Row, InvalidRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let start = self.reader.position().clone();
        let read = self.reader.read_byte_record(&mut self.record);
        self.row_no += 1;
        match read {
            Ok(true) => Some(self.row(start)),
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    self.done = true;
                }
                Some(Err(self.invalid(read_error(&e, self.columns.len()))))
            }
        }
    }
}

impl TsvRows {
    fn invalid(&self, reason: impl Into<String>) -> InvalidRow {
        InvalidRow {
            source: format!("{}:{}", self.path.display(), self.row_no),
            reason: reason.into(),
        }
    }

    /// Turns the record just read (which starts at `start`) into a row.
    fn row(&mut self, start: Position) -> Result<Row, InvalidRow> {
        let index = cell_text(&self.record, self.index_col)
            .map_err(|e| self.invalid(format!("column `index`: {e}")))?;
        let index = index.trim().to_string();
        if index.is_empty() {
            return Err(self.invalid("column `index` is empty; give every row a unique index"));
        }
        self.images.offsets.entry(index.clone()).or_insert(start);
        let mut row = Row::new(format!("{}:{}", self.path.display(), self.row_no));
        for (col, name) in self.columns.iter().enumerate() {
            if Some(col) == self.image_col {
                continue;
            }
            let text = cell_text(&self.record, col)
                .map_err(|e| self.invalid(format!("column `{name}`: {e}")))?;
            row.fields.insert(name.clone(), Value::Str(text));
        }
        if let Some(col) = self.image_col {
            let cell = self.record.get(col).unwrap_or_default().to_vec();
            let next_row = self.reader.position().clone();
            let image = self
                .images
                .resolve(&index, &cell, &next_row)
                .map_err(|e| self.invalid(format!("column `image`: {e}")))?;
            row.fields.insert(IMAGE.to_string(), image);
        }
        Ok(row)
    }
}

/// Resolves image cells: decodes base64 and follows references to other rows' images.
struct ImageResolver {
    path: PathBuf,
    index_col: usize,
    image_col: usize,
    /// Where each row seen so far (by either reader) starts, by its index.
    offsets: HashMap<String, Position>,
    /// A second reader of the same file, opened at the first reference.
    lookup: Option<csv::Reader<File>>,
    /// Where the forward scan stopped; it resumes there.
    frontier: Option<Position>,
    /// The forward scan reached the end of the file: an unknown index does not exist.
    scanned_to_end: bool,
    /// The last image decoded and the index of the row that holds it.
    last: Option<(String, Value)>,
}

impl ImageResolver {
    /// The image value of the row `index` whose image cell is `cell`; `next_row` is where
    /// the main reader will read next (forward scans start there at the earliest).
    fn resolve(&mut self, index: &str, cell: &[u8], next_row: &Position) -> Result<Value, String> {
        let cell = cell.trim_ascii();
        if cell.is_empty() {
            return Ok(Value::Null);
        }
        if cell.len() > REFERENCE_MAX_LEN {
            let image = decode_images(cell)?;
            self.last = Some((index.to_string(), image.clone()));
            return Ok(image);
        }
        let target = std::str::from_utf8(cell)
            .map_err(|_| "a short cell (a reference) is not UTF-8 text".to_string())?;
        if let Some((seen, image)) = &self.last
            && seen == target
        {
            return Ok(image.clone());
        }
        if target == index {
            return Err(format!(
                "refers to its own index {target:?}; put the base64 image data in this cell"
            ));
        }
        let raw = self.target_cell(target, next_row)?;
        let raw = raw.trim_ascii();
        if raw.len() <= REFERENCE_MAX_LEN {
            return Err(format!(
                "refers to index {target:?}, whose image cell is not base64 data but {:?}; \
                 point it at the row that holds the image",
                String::from_utf8_lossy(raw)
            ));
        }
        let image = decode_images(raw)
            .map_err(|e| format!("refers to index {target:?}, whose image {e}"))?;
        self.last = Some((target.to_string(), image.clone()));
        Ok(image)
    }

    /// The raw image cell of the row with index `target`, found behind or ahead.
    fn target_cell(&mut self, target: &str, next_row: &Position) -> Result<Vec<u8>, String> {
        let missing = || {
            format!(
                "refers to index {target:?}, but no valid row has that index; \
                 put the base64 image data here or fix the reference"
            )
        };
        if let Some(pos) = self.offsets.get(target).cloned() {
            let lookup = self.lookup()?;
            lookup
                .seek(pos)
                .map_err(|e| format!("cannot seek to the row with index {target:?}: {e}"))?;
            let mut record = ByteRecord::new();
            return match lookup.read_byte_record(&mut record) {
                Ok(true) => Ok(record.get(self.image_col).unwrap_or_default().to_vec()),
                _ => Err(missing()),
            };
        }
        if self.scanned_to_end {
            return Err(missing());
        }
        self.scan_ahead(target, next_row)?.ok_or_else(missing)
    }

    /// Scans forward for the row with index `target`, noting every row's offset on the way.
    fn scan_ahead(&mut self, target: &str, next_row: &Position) -> Result<Option<Vec<u8>>, String> {
        let start = match &self.frontier {
            Some(frontier) if frontier.byte() > next_row.byte() => frontier.clone(),
            _ => next_row.clone(),
        };
        let (index_col, image_col) = (self.index_col, self.image_col);
        let mut found = None;
        let mut seen = Vec::new();
        let lookup = self.lookup()?;
        lookup
            .seek(start)
            .map_err(|e| format!("cannot scan ahead for index {target:?}: {e}"))?;
        let mut record = ByteRecord::new();
        loop {
            let pos = lookup.position().clone();
            match lookup.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) if matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) => continue,
                Err(e) => return Err(format!("cannot scan ahead for index {target:?}: {e}")),
            }
            let index = String::from_utf8_lossy(record.get(index_col).unwrap_or_default())
                .trim()
                .to_string();
            if index == target {
                found = Some(record.get(image_col).unwrap_or_default().to_vec());
            }
            seen.push((index, pos));
            if found.is_some() {
                break;
            }
        }
        let after = lookup.position().clone();
        if found.is_none() {
            self.scanned_to_end = true;
        }
        self.frontier = Some(after);
        for (index, pos) in seen.into_iter().filter(|(index, _)| !index.is_empty()) {
            self.offsets.entry(index).or_insert(pos);
        }
        Ok(found)
    }

    /// The second reader, opened on first use.
    fn lookup(&mut self) -> Result<&mut csv::Reader<File>, String> {
        if self.lookup.is_none() {
            let reader = csv_reader(&self.path)
                .map_err(|e| format!("cannot reopen the file to resolve a reference: {e}"))?;
            self.lookup = Some(reader);
        }
        self.lookup
            .as_mut()
            .ok_or_else(|| "the second reader is missing".to_string())
    }
}

/// Decodes an image cell: one base64 image, or a list literal of several.
fn decode_images(cell: &[u8]) -> Result<Value, String> {
    if cell.first() != Some(&b'[') {
        return decode_base64(cell);
    }
    let text = std::str::from_utf8(cell)
        .map_err(|_| "cell looks like a list of images but is not UTF-8".to_string())?;
    let items = parse_list_literal(text).ok_or_else(|| {
        "cell starts with `[` but is not a list of quoted base64 images like ['...', '...']"
            .to_string()
    })?;
    let images = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            decode_base64(item.as_bytes()).map_err(|e| format!("image {} of the list: {e}", i + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::List(images))
}

/// Decodes one base64 image into `{bytes, base64}`: the text is kept so it can be sent
/// without encoding the bytes again (see `ImageData::with_base64`).
fn decode_base64(data: &[u8]) -> Result<Value, String> {
    let text = data.trim_ascii();
    let bytes = BASE64.decode(text).map_err(|e| {
        format!("is not valid base64 ({e}); re-encode the image with Python's base64.b64encode")
    })?;
    let mut fields = std::collections::BTreeMap::from([("bytes".to_string(), Value::Bytes(bytes))]);
    // Valid base64 is ASCII, so this always succeeds once decoding did.
    if let Ok(text) = std::str::from_utf8(text) {
        fields.insert(
            "base64".to_string(),
            Value::Base64(std::sync::Arc::new(text.to_string())),
        );
    }
    Ok(Value::Struct(fields))
}

/// A cell as text; `""` when the row is shorter (cannot happen once lengths are checked).
fn cell_text(record: &ByteRecord, col: usize) -> Result<String, String> {
    let bytes = record.get(col).unwrap_or_default();
    String::from_utf8(bytes.to_vec())
        .map_err(|_| "is not valid UTF-8; save the file as UTF-8".to_string())
}

/// A read error as a row problem.
fn read_error(e: &csv::Error, columns: usize) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { len, .. } => format!(
            "the row has {len} cells but the header has {columns}; \
             check for a missing or extra tab, or an unbalanced `\"` quote in an earlier cell"
        ),
        _ => format!("cannot read the rest of the file: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_A: &[u8] =
        b"\x89PNG\r\n\x1a\n-image-A-with-enough-bytes-to-be-long-in-base64-form-000000000000000";
    const PNG_B: &[u8] =
        b"\x89PNG\r\n\x1a\n-image-B-with-enough-bytes-to-be-long-in-base64-form-111111111111111";

    fn b64(bytes: &[u8]) -> String {
        BASE64.encode(bytes)
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.tsv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn read_all(path: &Path) -> Vec<Result<Row, InvalidRow>> {
        open(path, &[IMAGE]).unwrap().collect()
    }

    fn image(row: &Result<Row, InvalidRow>) -> &Value {
        &row.as_ref().unwrap().fields[IMAGE]
    }

    #[test]
    fn reads_cells_images_and_quoting() {
        let tsv = format!(
            "index\timage\tquestion\tanswer\n\
             1\t{}\t\"Say \"\"hi\"\"\ttwice\"\t['a', 'b']\n\
             2\t\t\"two\nlines\"\t3\n",
            b64(PNG_A)
        );
        let (_dir, path) = write(&tsv);
        let rows = read_all(&path);
        assert_eq!(rows.len(), 2);
        let first = rows[0].as_ref().unwrap();
        assert!(first.source.ends_with("data.tsv:1"));
        assert_eq!(
            first.fields["question"],
            Value::Str("Say \"hi\"\ttwice".into())
        );
        assert_eq!(first.fields["answer"], Value::Str("['a', 'b']".into()));
        assert_eq!(first.fields[INDEX], Value::Str("1".into()));
        assert_eq!(image(&rows[0]), &stored(PNG_A));
        assert_eq!(image(&rows[1]), &Value::Null);
        assert_eq!(
            rows[1].as_ref().unwrap().fields["question"],
            Value::Str("two\nlines".into())
        );
    }

    /// An image cell as the reader returns it: the bytes and the base64 they came from.
    fn stored(png: &[u8]) -> Value {
        Value::Struct(std::collections::BTreeMap::from([
            ("bytes".to_string(), Value::Bytes(png.to_vec())),
            (
                "base64".to_string(),
                Value::Base64(std::sync::Arc::new(b64(png))),
            ),
        ]))
    }

    #[test]
    fn resolves_backward_and_forward_references() {
        let tsv = format!(
            "index\timage\n1\t{a}\n2\t1\n3\t5\n4\t1\n5\t{b}\n6\t5\n7\t['{a}', '{b}']\n8\t1\n",
            a = b64(PNG_A),
            b = b64(PNG_B)
        );
        let (_dir, path) = write(&tsv);
        let rows = read_all(&path);
        let a = stored(PNG_A);
        let b = stored(PNG_B);
        let images: Vec<&Value> = rows.iter().map(image).collect();
        assert_eq!(
            images,
            vec![
                &a,
                &a,
                &b,
                &a,
                &b,
                &b,
                &Value::List(vec![a.clone(), b.clone()]),
                &a
            ]
        );
    }

    #[test]
    fn bad_rows_are_reported_and_the_stream_goes_on() {
        let tsv = format!(
            "index\timage\tq\n\
             1\t{a}\tok\n\
             2\t!!!!not base64 at all, but long enough to be taken as image data!!!!\tbad\n\
             3\t99\tmissing\n\
             4\t{a}\n\
             \t{a}\tno index\n\
             6\t6\tself\n\
             7\t8\tchain\n\
             8\t1\tref\n\
             9\t['{a}', 'x']\tbad list\n\
             10\t{a}\tlast\n",
            a = b64(PNG_A)
        );
        let (_dir, path) = write(&tsv);
        let rows = read_all(&path);
        assert_eq!(rows.len(), 10);
        let reason = |i: usize| {
            let err = rows[i].as_ref().unwrap_err();
            assert!(
                err.source.ends_with(&format!("data.tsv:{}", i + 1)),
                "{}",
                err.source
            );
            err.reason.clone()
        };
        assert!(rows[0].is_ok() && rows[7].is_ok() && rows[9].is_ok());
        assert!(
            reason(1).contains("column `image`") && reason(1).contains("not valid base64"),
            "{}",
            reason(1)
        );
        assert!(
            reason(2).contains("index \"99\"") && reason(2).contains("no valid row"),
            "{}",
            reason(2)
        );
        assert!(
            reason(3).contains("2 cells but the header has 3"),
            "{}",
            reason(3)
        );
        assert!(
            reason(4).contains("column `index` is empty"),
            "{}",
            reason(4)
        );
        assert!(reason(5).contains("its own index"), "{}", reason(5));
        assert!(
            reason(6).contains("is not base64 data but \"1\""),
            "{}",
            reason(6)
        );
        assert!(reason(8).contains("image 2 of the list"), "{}", reason(8));
    }

    #[test]
    fn header_problems_are_open_errors() {
        let (_dir, path) = write("idx\timg\tquestion\n1\tx\ty\n");
        let err = open(&path, &[IMAGE, "question"]).err().unwrap().to_string();
        assert!(
            err.contains("data.tsv")
                && err.contains("[index, image]")
                && err.contains("[idx, img, question]"),
            "{err}"
        );
        let (_dir, path) = write("index\tquestion\n1\ty\n");
        assert!(open(&path, &[]).is_ok());
        assert!(open(&path, &[IMAGE]).is_err());
        let (_dir, path) = write("");
        assert!(open(&path, &[]).is_err());
        let (_dir, path) = write("\u{feff}index\tindex\n");
        assert!(
            open(&path, &[])
                .err()
                .unwrap()
                .to_string()
                .contains("twice")
        );
        assert!(open(Path::new("/nonexistent/x.tsv"), &[]).is_err());
    }

    #[test]
    fn never_panics_on_junk() {
        let junk = [
            "index\timage\n\"unterminated\t\n",
            "index\timage\n1\t[\n2\t'\n\t\t\t\n",
            "index\n\u{0}\u{1}\n\"\"\"\n",
        ];
        for text in junk {
            let (_dir, path) = write(text);
            if let Ok(rows) = open(&path, &[]) {
                let _ = rows.count();
            }
        }
        let (_dir, path) = write("index\timage\n1\t2\n2\t3\n3\tabc\n");
        let _ = read_all(&path);
    }

    /// Peak resident memory of this process in kB (Linux), if known.
    fn peak_rss_kb() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// A 1.3 GB file with backward and forward references streams in under 300 MB.
    /// Slow (writes and reads the file): `cargo test --lib tsv::tests::large -- --ignored`.
    #[test]
    #[ignore]
    fn large_file_streams_in_bounded_memory() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.tsv");
        let mut seed = 1u64;
        let images: Vec<String> = (0..4)
            .map(|k| {
                let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
                bytes.push(k);
                bytes.extend((0..768 * 1024).map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                }));
                b64(&bytes)
            })
            .collect();
        let rows = 2400;
        let mut out = std::io::BufWriter::new(File::create(&path).unwrap());
        writeln!(out, "index\timage\tquestion").unwrap();
        for i in 0..rows {
            let cell = match i % 4 {
                1 => (i - 1).to_string(),
                2 => (i + 1).to_string(),
                _ => images[i % images.len()].clone(),
            };
            writeln!(out, "{i}\t{cell}\tquestion {i}").unwrap();
        }
        out.flush().unwrap();
        drop(out);
        assert!(std::fs::metadata(&path).unwrap().len() > 1_000_000_000);
        let before = peak_rss_kb().unwrap_or(0);
        let mut count = 0;
        for (i, row) in open(&path, &[IMAGE]).unwrap().enumerate() {
            let row = row.unwrap();
            let Value::Bytes(bytes) = &row.fields[IMAGE] else {
                panic!("row {i}: no image")
            };
            let source = match i % 4 {
                1 => i - 1,
                2 => i + 1,
                _ => i,
            };
            assert_eq!(bytes[8] as usize, source % images.len(), "row {i}");
            count += 1;
        }
        assert_eq!(count, rows);
        let peak = peak_rss_kb().unwrap_or(0);
        eprintln!("peak RSS before reading {before} kB, after {peak} kB");
        assert!(peak < 300 * 1024, "peak RSS {peak} kB");
    }
}
