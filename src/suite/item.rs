//! The one shape every loader produces: an [`Item`] with its images as raw bytes.
//!
//! Loaders never decode images; they carry the bytes stored in the dataset so that the
//! adapter can base64-encode them exactly once. A row that cannot become an item becomes
//! an [`InvalidRow`] naming the file and row, which the run counts and reports.

use std::collections::BTreeMap;
use std::sync::Arc;

/// An image exactly as stored in the dataset (PNG, JPEG, ...), never re-encoded.
#[derive(Clone, Debug)]
pub struct ImageData {
    /// The file bytes.
    pub bytes: Arc<[u8]>,
    /// The MIME type sniffed from the magic bytes, e.g. `image/png`.
    pub mime: &'static str,
    /// The bytes' canonical standard base64, when the dataset stored them that way
    /// (VLMEvalKit TSV): sent as is instead of being encoded again.
    pub base64: Option<Arc<String>>,
}

/// Two images are equal when their bytes are; how they were stored does not matter.
impl PartialEq for ImageData {
    fn eq(&self, other: &Self) -> bool {
        self.mime == other.mime && self.bytes == other.bytes
    }
}

impl Eq for ImageData {}

/// One multiple-choice option.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    /// The option letter, `A`..`Z`.
    pub label: String,
    /// The option text.
    pub text: String,
}

/// One question of a benchmark, in the form every strategy and scorer understands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    /// Stable identity: the same item read from any supported format has the same id.
    pub id: String,
    /// Position in the source stream (0-based); reports list items in this order.
    pub order: u64,
    /// Where the item came from, for messages: `file:row`.
    pub source: String,
    /// The question text as the benchmark states it.
    pub question: String,
    /// Optional context shown before the question (VLMEvalKit's `hint`).
    pub hint: Option<String>,
    /// Options for multiple-choice items; empty otherwise.
    pub choices: Vec<Choice>,
    /// Gold answers; the best-matching one counts.
    pub answers: Vec<String>,
    /// Images in the order the question refers to them.
    pub images: Vec<ImageData>,
    /// The benchmark split (e.g. ChartQA `human` / `augmented`), if it has one.
    pub split: Option<String>,
    /// Breakdown and scorer fields (category, question type, precision, ...).
    pub fields: BTreeMap<String, String>,
}

/// A dataset row that could not become an item; the run counts it and goes on.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvalidRow {
    /// `file:row` (row numbers are 1-based data rows, header excluded).
    pub source: String,
    /// What is wrong and, where possible, how to fix it.
    pub reason: String,
}

/// What a loader yields for each row.
pub type LoadResult = Result<Item, InvalidRow>;

/// A stream of rows, read lazily: loaders never hold a whole dataset in memory.
pub type ItemStream = Box<dyn Iterator<Item = LoadResult> + Send>;

impl ImageData {
    /// Wraps stored bytes, sniffing the format; rejects data that is not a PNG, JPEG, GIF
    /// or WebP image or whose header does not decode (checked without decoding pixels).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.is_empty() {
            return Err("image is empty (0 bytes)".into());
        }
        let mime = sniff_mime(&bytes).ok_or_else(|| {
            "image is not PNG, JPEG, GIF or WebP (unrecognised magic bytes)".to_string()
        })?;
        if mime == "image/png" || mime == "image/jpeg" {
            let reader = image::ImageReader::new(std::io::Cursor::new(&bytes[..]))
                .with_guessed_format()
                .map_err(|e| format!("image header unreadable: {e}"))?;
            let (w, h) = reader
                .into_dimensions()
                .map_err(|e| format!("image header does not decode: {e}"))?;
            if w == 0 || h == 0 {
                return Err(format!("image has zero size ({w}x{h})"));
            }
        }
        Ok(Self {
            bytes: bytes.into(),
            mime,
            base64: None,
        })
    }

    /// Attaches the base64 text the bytes were decoded from, if it is their canonical
    /// standard encoding (padded, no whitespace), so that it can be sent without
    /// encoding again.
    pub fn with_base64(mut self, text: Arc<String>) -> Self {
        if text.len() == self.bytes.len().div_ceil(3) * 4 {
            self.base64 = Some(text);
        }
        self
    }
}

/// The MIME type of an image from its magic bytes.
pub fn sniff_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}
