//! PlotQA: maps its official release and VLMEvalKit's `PlotQA.tsv` into [`Item`]s with the
//! same ids, streaming both (the official files hold millions of question-answer pairs).
//!
//! - Official release ([`Format::Official`]): a split directory (`test/`, `val/`, `train/`)
//!   holding `qa_pairs_V1.json` (or `qa_pairs_V2.json`, the extended set; V1 is preferred when
//!   both are present, name either file to choose) and `png/<image_index>.png`. A file is
//!   `{"qa_pairs": [...]}` or a bare list of `{image_index, question_string, answer, template,
//!   type, ...}` (`template`: `data_retrieval`, `min_max`, `arithmetic`, `structural`,
//!   `comparison`, `compound`; `type`: the plot type `vbar_categorical`, `hbar_categorical`,
//!   `line`, `dot_line`). `--data` may name the JSON file itself; `png/` is then its sibling.
//!   The list is read element by element ([`JsonList`]); an image is read when its first
//!   question is reached and kept while the following questions ask about the same image.
//! - VLMEvalKit ([`Format::VlmevalkitTsv`]): `index`, `image`, `question`, `answer`, with
//!   optional `template` and `type` columns.
//!
//! Fields: `template` and `figure_type` (the breakdowns), `source_id` (the official
//! `image_index`, or the TSV `index`). Gold: the answer as Python's `str()` spells it
//! (`8.0`, `25`, `Yes`). Scored with `relaxed_accuracy`.
//!
//! Ids: the VLMEvalKit file numbers its rows its own way and carries no `image_index`, so
//! an id is built from what both forms share: `plotqa-{h}`, h = the first 12 hex digits of
//! BLAKE3 over the image file's BLAKE3 digest, the question and the answer (joined by
//! U+001F). The same image bytes, question and answer give the same id in either form. A
//! repeat of the same (image, question, answer) among consecutive questions on one image
//! gets `-2`, `-3`, ...; only the current image's ids are remembered, so memory stays
//! bounded however long the file is.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::item::{ImageData, InvalidRow, Item, ItemStream};
use super::row::{Row, Value, read_inside};
use super::{Format, ResolvedSource, tsv};

/// Official question files, in order of preference, when a directory is given.
const OFFICIAL_FILES: [&str; 5] = [
    "qa_pairs_V1.json",
    "qa_pairs_v1.json",
    "qa_pairs_V2.json",
    "qa_pairs_v2.json",
    "qa_pairs.json",
];

/// Opens PlotQA data as a lazy stream of items.
pub fn open(source: &ResolvedSource) -> anyhow::Result<ItemStream> {
    match source.format {
        Format::Official => official(&source.path),
        Format::VlmevalkitTsv => vlmevalkit(&source.path),
        other => anyhow::bail!(
            "{}: PlotQA is read from its official release (qa_pairs_V1.json / qa_pairs_V2.json \
             with png/) or VLMEvalKit's PlotQA.tsv, not {other:?}",
            source.path.display()
        ),
    }
}

/// The question file of an official release: `path` itself, or the preferred file in it.
fn official_file(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    OFFICIAL_FILES
        .iter()
        .map(|name| path.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no PlotQA question file; a split directory of the official release holds \
                 qa_pairs_V1.json (or qa_pairs_V2.json) and png/",
                path.display()
            )
        })
}

fn official(path: &Path) -> anyhow::Result<ItemStream> {
    let file = official_file(path)?;
    let png = file
        .parent()
        .map(|d| d.join("png"))
        .unwrap_or_else(|| PathBuf::from("png"));
    let list = JsonList::open(&file, "qa_pairs")?;
    let mut images = ImageCache::default();
    let mut ids = IdAssigner::default();
    let display = file.display().to_string();
    Ok(Box::new(list.map(move |entry| {
        let (n, json) = entry.map_err(|e| e.invalid_row(&display))?;
        let mut row = Row::new(format!("{display}:{n}"));
        let Value::Struct(fields) = Value::from_json(json) else {
            return Err(row.invalid(
                "entry is not a JSON object {image_index, question_string, answer, ...}",
            ));
        };
        row.fields = fields;
        let image_index = row.int("image_index")?;
        let (image, digest) = images
            .get(image_index, &png)
            .map_err(|e| row.invalid(format!("field `image_index`: image {e}")))?;
        let parts = Parts {
            question: row.text("question_string")?,
            answer: row.text("answer")?,
            template: row.opt_text("template")?,
            figure_type: row.opt_text("type")?,
            source_id: image_index.to_string(),
        };
        Ok(ids.assign(item(&row, parts, image, &digest), &digest))
    })))
}

fn vlmevalkit(path: &Path) -> anyhow::Result<ItemStream> {
    let rows = tsv::open(path, &["image", "question", "answer"])?;
    let mut ids = IdAssigner::default();
    Ok(Box::new(rows.map(move |row| {
        let row = row?;
        let mut images = row.images("image")?;
        if images.len() != 1 {
            return Err(row.invalid(format!(
                "field `image`: expected one image, found {}",
                images.len()
            )));
        }
        let image = images.remove(0);
        let digest = *blake3::hash(&image.bytes).as_bytes();
        let parts = Parts {
            question: row.text("question")?,
            answer: row.text("answer")?,
            template: row.opt_text("template")?,
            figure_type: row.opt_text("type")?,
            source_id: row.text("index")?,
        };
        Ok(ids.assign(item(&row, parts, image, &digest), &digest))
    })))
}

/// What either form says about one question.
struct Parts {
    question: String,
    answer: String,
    template: Option<String>,
    figure_type: Option<String>,
    source_id: String,
}

fn item(row: &Row, parts: Parts, image: ImageData, digest: &[u8; 32]) -> Item {
    let question = parts.question.trim().to_string();
    let answer = parts.answer.trim().to_string();
    let mut fields = std::collections::BTreeMap::new();
    if let Some(t) = parts.template {
        fields.insert("template".to_string(), t.trim().to_string());
    }
    if let Some(t) = parts.figure_type {
        fields.insert("figure_type".to_string(), t.trim().to_string());
    }
    fields.insert("source_id".to_string(), parts.source_id);
    Item {
        id: base_id(digest, &question, &answer),
        order: 0,
        source: row.source.clone(),
        question,
        hint: None,
        choices: Vec::new(),
        answers: vec![answer],
        images: vec![image],
        split: None,
        fields,
    }
}

/// `plotqa-{h}`: h = the first 12 hex digits of BLAKE3 over the image's BLAKE3 digest (32
/// bytes), U+001F, the question, U+001F, the answer.
pub fn base_id(image_digest: &[u8; 32], question: &str, answer: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(image_digest);
    hasher.update("\u{1f}".as_bytes());
    hasher.update(question.as_bytes());
    hasher.update("\u{1f}".as_bytes());
    hasher.update(answer.as_bytes());
    format!("plotqa-{}", &hasher.finalize().to_hex()[..12])
}

/// Numbers items and suffixes repeats (`-2`, `-3`, ...) among consecutive questions on the
/// same image; ids are forgotten when the image changes, so memory stays bounded.
#[derive(Default)]
struct IdAssigner {
    image: [u8; 32],
    seen: HashMap<String, u32>,
    next_order: u64,
}

impl IdAssigner {
    /// Numbers `item`, whose image has BLAKE3 digest `image`.
    fn assign(&mut self, mut item: Item, image: &[u8; 32]) -> Item {
        if *image != self.image {
            self.seen.clear();
            self.image = *image;
        }
        let count = self.seen.entry(item.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            item.id = format!("{}-{count}", item.id);
        }
        item.order = self.next_order;
        self.next_order += 1;
        item
    }
}

/// The last image read, kept while consecutive questions ask about it.
#[derive(Default)]
struct ImageCache {
    last: Option<(i64, ImageData, [u8; 32])>,
}

impl ImageCache {
    fn get(&mut self, index: i64, png: &Path) -> Result<(ImageData, [u8; 32]), String> {
        if let Some((i, image, digest)) = &self.last
            && *i == index
        {
            return Ok((image.clone(), *digest));
        }
        let bytes = read_inside(png, &format!("{index}.png"))?;
        let digest = *blake3::hash(&bytes).as_bytes();
        let image = ImageData::from_bytes(bytes)?;
        self.last = Some((index, image.clone(), digest));
        Ok((image, digest))
    }
}

/// Elements buffered between the parsing thread and the consumer.
const LIST_BUFFER: usize = 256;

/// A JSON syntax or shape error met while streaming a list: the element it happened in
/// (1-based) and serde_json's message (with line and column). Nothing after it can be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonListError {
    pub element: usize,
    pub message: String,
}

impl JsonListError {
    /// The error as an [`InvalidRow`] of `file` at the element where it happened.
    pub fn invalid_row(&self, file: &str) -> InvalidRow {
        InvalidRow {
            source: format!("{file}:{}", self.element),
            reason: format!(
                "the file stops being valid JSON here ({}); the rest of the file cannot be read. \
                 Download the file again or repair it",
                self.message
            ),
        }
    }
}

/// Streams the elements of a JSON list from a file of any size, one at a time: the file's
/// top-level list, or the list under `key` of a top-level object (other keys are skipped
/// without being kept). serde_json's `StreamDeserializer` only splits a stream of
/// whitespace-separated values, so a background thread instead drives a
/// `serde::de::Visitor` over the list's `SeqAccess` and sends each element, as it is
/// parsed, through a bounded channel: memory holds at most [`LIST_BUFFER`] elements.
/// Dropping the iterator stops the thread at its next element.
///
/// Yields `(element number from 1, element)`; a syntax error mid-file yields one
/// [`JsonListError`] and ends the stream. Errors before the first element (not JSON, not a
/// list, no `key`) are returned by [`JsonList::open`].
pub struct JsonList {
    rx: Receiver<Message>,
    pending: Option<Message>,
    count: usize,
    done: bool,
}

enum Message {
    Element(serde_json::Value),
    Failed(String),
}

impl JsonList {
    /// Starts reading `path`; waits for the first element so that a file that is not a
    /// list at all is an error here.
    pub fn open(path: &Path, key: &str) -> anyhow::Result<Self> {
        let file =
            File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        let (tx, rx) = sync_channel(LIST_BUFFER);
        let wanted = key.to_string();
        std::thread::Builder::new()
            .name("json-list".into())
            .spawn(move || parse_list(file, &wanted, &tx))
            .map_err(|e| anyhow::anyhow!("cannot start the JSON reader thread: {e}"))?;
        let first = rx.recv().ok();
        if let Some(Message::Failed(message)) = &first {
            anyhow::bail!(
                "{}: not a JSON list nor an object with a `{}` list: {message}",
                path.display(),
                key
            );
        }
        Ok(Self {
            rx,
            pending: first,
            count: 0,
            done: false,
        })
    }
}

impl Iterator for JsonList {
    type Item = Result<(usize, serde_json::Value), JsonListError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let message = match self.pending.take() {
            Some(m) => Some(m),
            None => self.rx.recv().ok(),
        };
        self.count += 1;
        match message {
            Some(Message::Element(value)) => Some(Ok((self.count, value))),
            Some(Message::Failed(message)) => {
                self.done = true;
                Some(Err(JsonListError {
                    element: self.count,
                    message,
                }))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

/// The parsing thread: streams the list and reports a failure, if any, as the last message.
fn parse_list(file: File, key: &str, tx: &SyncSender<Message>) {
    let reader = BufReader::with_capacity(256 * 1024, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let outcome = serde::Deserializer::deserialize_any(&mut de, TopVisitor { key, tx })
        .and_then(|()| de.end());
    if let Err(e) = outcome {
        // When the consumer hung up this send fails too, which is what we want.
        let _ = tx.send(Message::Failed(e.to_string()));
    }
}

/// The top-level value: the list itself, or an object whose `key` holds it.
struct TopVisitor<'a> {
    key: &'a str,
    tx: &'a SyncSender<Message>,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a JSON list, or an object with a `{}` list", self.key)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        send_elements(seq, self.tx)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(k) = map.next_key::<String>()? {
            if !found && k == self.key {
                map.next_value_seed(ListSeed { tx: self.tx })?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(A::Error::custom(format!(
                "the top-level object has no `{}` key",
                self.key
            )))
        }
    }
}

/// The list under the wanted key.
struct ListSeed<'a> {
    tx: &'a SyncSender<Message>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        send_elements(seq, self.tx)
    }
}

/// Sends each element as it is parsed; stops when the consumer has gone.
fn send_elements<'de, A: SeqAccess<'de>>(
    mut seq: A,
    tx: &SyncSender<Message>,
) -> Result<(), A::Error> {
    while let Some(value) = seq.next_element::<serde_json::Value>()? {
        if tx.send(Message::Element(value)).is_err() {
            return Err(A::Error::custom("the reader was dropped"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn fixtures() -> PathBuf {
        crate::suite::testing::fixtures("plotqa")
    }

    fn load(format: Format, path: PathBuf) -> Vec<Result<Item, InvalidRow>> {
        crate::suite::testing::load(open, format, path)
    }

    fn ok_items(format: Format, path: PathBuf) -> Vec<Item> {
        crate::suite::testing::ok_items(open, format, path)
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn list(path: &Path, key: &str) -> Vec<Result<(usize, serde_json::Value), JsonListError>> {
        JsonList::open(path, key).unwrap().collect()
    }

    #[test]
    fn json_list_reads_both_shapes_and_skips_other_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let bare = write(tmp.path(), "a.json", "[1, {\"a\": [2]}, \"x\"]");
        let got: Vec<_> = list(&bare, "qa_pairs")
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            got,
            vec![
                (1, serde_json::json!(1)),
                (2, serde_json::json!({"a": [2]})),
                (3, serde_json::json!("x"))
            ]
        );
        let keyed = write(
            tmp.path(),
            "b.json",
            "{\"meta\": {\"qa_pairs\": [9]}, \"qa_pairs\": [{\"q\": 1}, {\"q\": 2}], \"tail\": [0]}",
        );
        let got: Vec<_> = list(&keyed, "qa_pairs")
            .into_iter()
            .map(|r| r.unwrap().1["q"].clone())
            .collect();
        assert_eq!(got, vec![serde_json::json!(1), serde_json::json!(2)]);
        let empty = write(tmp.path(), "c.json", "{\"qa_pairs\": []}");
        assert!(list(&empty, "qa_pairs").is_empty());
    }

    #[test]
    fn json_list_shape_errors_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        for (name, text, fragment) in [
            ("a.json", "{\"other\": []}", "no `qa_pairs` key"),
            ("b.json", "42", "a JSON list"),
            ("c.json", "{\"qa_pairs\": {}}", "a JSON list"),
            ("d.json", "not json", "expected"),
            ("e.json", "", "EOF"),
        ] {
            let path = write(tmp.path(), name, text);
            let err = JsonList::open(&path, "qa_pairs").err().unwrap().to_string();
            assert!(err.contains(name) && err.contains(fragment), "{err}");
        }
        assert!(JsonList::open(&tmp.path().join("missing.json"), "qa_pairs").is_err());
    }

    /// The stream yields elements before the rest of the file is even valid: it parses as it
    /// goes. A syntax error after two good elements is the third entry, then the end.
    #[test]
    fn json_list_streams_and_reports_a_broken_tail() {
        let tmp = tempfile::tempdir().unwrap();
        let path = write(
            tmp.path(),
            "broken.json",
            "{\"qa_pairs\": [{\"q\": 1}, {\"q\": 2}, {\"q\": 3 ,,, garbage",
        );
        let mut stream = JsonList::open(&path, "qa_pairs").unwrap();
        assert_eq!(stream.next().unwrap().unwrap().0, 1);
        assert_eq!(stream.next().unwrap().unwrap().0, 2);
        let err = stream.next().unwrap().unwrap_err();
        assert_eq!(err.element, 3);
        assert!(err.message.contains("line 1"), "{}", err.message);
        assert!(stream.next().is_none());
        // Trailing content after the list is an error too.
        let path = write(tmp.path(), "trailing.json", "[1] [2]");
        let got = list(&path, "qa_pairs");
        assert_eq!(got.len(), 2);
        assert!(got[1].is_err());
    }

    /// Only the elements asked for are parsed: the first arrives while the thread is still
    /// blocked far from the end of a file it cannot buffer whole, and dropping the stream
    /// stops the thread.
    #[test]
    fn json_list_yields_the_first_item_without_reading_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("fifo.json");
        // A FIFO: the writer can only finish after the reader took the first elements, so
        // the first element must be yielded before the file is complete.
        let status = std::process::Command::new("mkfifo").arg(&path).status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("mkfifo unavailable; skipped");
            return;
        }
        let writer_path = path.clone();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            let mut f = File::create(&writer_path).unwrap();
            f.write_all(b"{\"qa_pairs\": [{\"n\": 0}").unwrap();
            f.flush().unwrap();
            // Wait until the consumer has seen element 1 before writing the rest.
            done_rx.recv().unwrap();
            for n in 1..1000 {
                write!(f, ", {{\"n\": {n}}}").unwrap();
            }
            f.write_all(b"]}").unwrap();
        });
        let mut stream = JsonList::open(&path, "qa_pairs").unwrap();
        let (k, first) = stream.next().unwrap().unwrap();
        assert_eq!((k, first["n"].as_i64()), (1, Some(0)));
        done_tx.send(()).unwrap();
        assert_eq!(stream.count(), 999);
        writer.join().unwrap();
    }

    #[test]
    fn official_and_tsv_give_the_same_items() {
        let official = ok_items(Format::Official, fixtures().join("official/test"));
        let by_file = ok_items(
            Format::Official,
            fixtures().join("official/test/qa_pairs_V1.json"),
        );
        let tsv = ok_items(Format::VlmevalkitTsv, fixtures().join("tsv/PlotQA.tsv"));
        assert!(!official.is_empty());
        let key = |items: &[Item]| -> Vec<_> {
            items
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        i.order,
                        i.question.clone(),
                        i.answers.clone(),
                        i.fields.get("template").cloned(),
                        i.fields.get("figure_type").cloned(),
                        i.images[0].bytes.to_vec(),
                    )
                })
                .collect()
        };
        assert_eq!(key(&official), key(&by_file));
        assert_eq!(key(&official), key(&tsv));
        assert!(official[0].source.ends_with("qa_pairs_V1.json:1"));
        assert!(tsv[0].source.ends_with("PlotQA.tsv:1"));
    }

    #[test]
    fn ids_match_gold_json() {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("gold.json")).unwrap())
                .unwrap();
        let gold = gold["items"].as_array().unwrap();
        let items = ok_items(Format::Official, fixtures().join("official/test"));
        assert_eq!(items.len(), gold.len());
        for (item, g) in items.iter().zip(gold) {
            assert_eq!(item.id, g["id"].as_str().unwrap());
            assert_eq!(item.answers[0], g["answer"].as_str().unwrap());
            assert_eq!(item.fields["template"], g["template"].as_str().unwrap());
        }
    }

    fn png() -> Vec<u8> {
        png_of(1)
    }

    /// A 2x2 PNG whose bytes differ for each `shade`.
    fn png_of(shade: u8) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 2, image::Rgb([shade, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn bad_entries_are_reported_and_the_stream_goes_on() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("png")).unwrap();
        std::fs::write(tmp.path().join("png/0.png"), png()).unwrap();
        std::fs::write(tmp.path().join("png/1.png"), b"not a png").unwrap();
        let q = |i: &str, q: &str, a: &str| {
            format!("{{\"image_index\": {i}, \"question_string\": {q}, \"answer\": {a}}}")
        };
        let text = format!(
            "[{}, {}, {}, {}, {}, 7, {}, {}]",
            q("0", "\"Q?\"", "8.0"),
            q("1", "\"Q?\"", "1"),
            q("2", "\"Q?\"", "1"),
            q("\"x\"", "\"Q?\"", "1"),
            q("0", "\"\"", "1"),
            q("0", "\"Q?\"", "8.0"),
            q("0", "\"Other?\"", "\"Yes\""),
        );
        write(tmp.path(), "qa_pairs_V1.json", &text);
        let results = load(Format::Official, tmp.path().to_path_buf());
        let reasons: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| format!("{} {}", e.source.rsplit(':').next().unwrap(), e.reason))
            .collect();
        assert_eq!(reasons.len(), 5, "{reasons:#?}");
        assert!(reasons[0].starts_with("2 ") && reasons[0].contains("not PNG"));
        assert!(reasons[1].starts_with("3 ") && reasons[1].contains("cannot open"));
        assert!(reasons[2].starts_with("4 ") && reasons[2].contains("`image_index`"));
        assert!(reasons[3].starts_with("5 ") && reasons[3].contains("`question_string`"));
        assert!(reasons[4].starts_with("6 ") && reasons[4].contains("not a JSON object"));
        let good: Vec<&Item> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(good.len(), 3);
        // Floats are spelled as Python's str(): 8.0. The repeat on the same image gets -2.
        assert_eq!(good[0].answers, vec!["8.0"]);
        assert_eq!(good[1].id, format!("{}-2", good[0].id));
        assert_eq!(good[2].answers, vec!["Yes"]);
        assert_eq!(
            good.iter().map(|i| i.order).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(good[0].fields["source_id"], "0");
        assert!(!good[0].fields.contains_key("template"));
    }

    #[test]
    fn repeats_are_only_tracked_within_one_image() {
        let mut ids = IdAssigner::default();
        let make = |id: &str| Item {
            id: id.into(),
            ..Default::default()
        };
        let got: Vec<String> = [(1, "x"), (1, "x"), (2, "x"), (1, "x")]
            .iter()
            .map(|(b, id)| ids.assign(make(id), &[*b; 32]).id)
            .collect();
        assert_eq!(got, vec!["x", "x-2", "x", "x"]);
    }

    #[test]
    fn missing_files_and_other_formats_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err = open(&ResolvedSource {
            format: Format::Official,
            path: tmp.path().to_path_buf(),
        })
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("qa_pairs_V1.json"), "{err}");
        assert!(
            open(&ResolvedSource {
                format: Format::HfParquet,
                path: tmp.path().to_path_buf(),
            })
            .is_err()
        );
        let tsv = write(tmp.path(), "PlotQA.tsv", "index\timage\tquestion\n");
        assert!(
            open(&ResolvedSource {
                format: Format::VlmevalkitTsv,
                path: tsv,
            })
            .is_err()
        );
    }

    /// Peak resident memory of this process in kB (Linux), if known.
    fn peak_rss_kb() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// A 1.2 GB official file (4 million pairs) streams in bounded memory.
    /// Slow: `cargo test --release --lib plotqa::tests::large -- --ignored`.
    #[test]
    #[ignore]
    fn large_official_file_streams_in_bounded_memory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("png")).unwrap();
        for i in 0..4 {
            std::fs::write(tmp.path().join(format!("png/{i}.png")), png_of(i)).unwrap();
        }
        let path = tmp.path().join("qa_pairs_V1.json");
        let pairs = 4_000_000u64;
        {
            let mut out = std::io::BufWriter::new(File::create(&path).unwrap());
            out.write_all(b"{\"qa_pairs\": [").unwrap();
            for n in 0..pairs {
                if n > 0 {
                    out.write_all(b",\n").unwrap();
                }
                write!(
                    out,
                    "{{\"image_index\": {}, \"qid\": \"nan\", \"question_string\": \"What is the \
                     value of series {n} in the year 2010 according to the plot?\", \
                     \"answer_bbox\": {{\"x\": 1.5, \"y\": 2.5, \"w\": 3.5, \"h\": 4.5}}, \
                     \"template\": \"data_retrieval\", \"answer\": {n}.5, \"answer_id\": {n}, \
                     \"type\": \"vbar_categorical\", \"question_id\": {n}}}",
                    n / 1000 % 4
                )
                .unwrap();
            }
            out.write_all(b"]}").unwrap();
        }
        assert!(std::fs::metadata(&path).unwrap().len() > 1_000_000_000);
        let before = peak_rss_kb().unwrap_or(0);
        let mut count = 0u64;
        for item in open(&ResolvedSource {
            format: Format::Official,
            path: path.clone(),
        })
        .unwrap()
        {
            let item = item.unwrap();
            assert_eq!(item.order, count);
            count += 1;
        }
        assert_eq!(count, pairs);
        let peak = peak_rss_kb().unwrap_or(0);
        eprintln!("peak RSS before reading {before} kB, after {peak} kB");
        assert!(peak < before + 100 * 1024, "peak RSS {peak} kB");
    }
}
