//! Streaming a JSON list from a file of any size, one element at a time, on a thread:
//! PlotQA's `qa_pairs_V1.json` (1.2 GB) and FigureQA's files are read this way, so memory
//! holds a bounded number of elements whatever the file's size.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::item::InvalidRow;

/// Elements buffered between the parsing thread and the consumer.
const LIST_BUFFER: usize = 256;
/// Elements sent together at most (one channel hand-over, so one thread wake-up, per
/// batch). A batch goes as soon as the consumer has nothing queued, so a slow source
/// (a pipe, a network file system) never holds back elements already parsed.
const BATCH: usize = 64;

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
/// parsed, through a bounded channel in batches: memory holds at most [`LIST_BUFFER`]
/// elements besides the batch being filled and the one being consumed.
/// Dropping the iterator stops the thread at its next element.
///
/// Yields `(element number from 1, element)`; a syntax error mid-file yields one
/// [`JsonListError`] and ends the stream. Errors before the first element (not JSON, not a
/// list, no `key`) are returned by [`JsonList::open`].
pub struct JsonList {
    rx: Receiver<Message>,
    /// Batches sent and not yet received.
    queued: Arc<AtomicUsize>,
    pending: Option<Message>,
    /// The batch being handed out.
    batch: std::vec::IntoIter<serde_json::Value>,
    count: usize,
    done: bool,
}

enum Message {
    Elements(Vec<serde_json::Value>),
    Failed(String),
}

impl JsonList {
    /// Starts reading `path`; waits for the first element so that a file that is not a
    /// list at all is an error here.
    pub fn open(path: &Path, key: &str) -> anyhow::Result<Self> {
        let file =
            File::open(path).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
        let (tx, rx) = sync_channel(LIST_BUFFER / BATCH);
        let wanted = key.to_string();
        let queued = Arc::new(AtomicUsize::new(0));
        let sender = Sender {
            tx,
            queued: queued.clone(),
        };
        std::thread::Builder::new()
            .name("json-list".into())
            .spawn(move || parse_list(file, &wanted, &sender))
            .map_err(|e| anyhow::anyhow!("cannot start the JSON reader thread: {e}"))?;
        let first = rx.recv().ok();
        if let Some(Message::Failed(message)) = &first {
            anyhow::bail!(
                "{}: not a JSON list nor an object with a `{}` list: {message}",
                path.display(),
                key
            );
        }
        if let Some(Message::Elements(_)) = &first {
            queued.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(Self {
            rx,
            queued,
            pending: first,
            batch: Vec::new().into_iter(),
            count: 0,
            done: false,
        })
    }
}

impl Iterator for JsonList {
    type Item = Result<(usize, serde_json::Value), JsonListError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(value) = self.batch.next() {
                self.count += 1;
                return Some(Ok((self.count, value)));
            }
            if self.done {
                return None;
            }
            let message = match self.pending.take() {
                Some(m) => Some(m),
                None => {
                    let m = self.rx.recv().ok();
                    if let Some(Message::Elements(_)) = &m {
                        self.queued.fetch_sub(1, Ordering::Relaxed);
                    }
                    m
                }
            };
            match message {
                Some(Message::Elements(batch)) => self.batch = batch.into_iter(),
                Some(Message::Failed(message)) => {
                    self.count += 1;
                    self.done = true;
                    return Some(Err(JsonListError {
                        element: self.count,
                        message,
                    }));
                }
                None => self.done = true,
            }
        }
    }
}

/// The parsing thread's end of the channel.
struct Sender {
    tx: SyncSender<Message>,
    /// Batches sent and not yet received (shared with [`JsonList`]).
    queued: Arc<AtomicUsize>,
}

impl Sender {
    fn send(&self, message: Message) -> Result<(), ()> {
        if matches!(message, Message::Elements(_)) {
            self.queued.fetch_add(1, Ordering::Relaxed);
        }
        self.tx.send(message).map_err(|_| ())
    }

    /// True when the consumer has nothing queued (it is waiting, or about to).
    fn starving(&self) -> bool {
        self.queued.load(Ordering::Relaxed) == 0
    }
}

/// The parsing thread: streams the list and reports a failure, if any, as the last message.
fn parse_list(file: File, key: &str, tx: &Sender) {
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
    tx: &'a Sender,
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
    tx: &'a Sender,
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

/// Sends the elements in batches of [`BATCH`] as they are parsed (a syntax error sends the
/// elements before it first); stops when the consumer has gone.
fn send_elements<'de, A: SeqAccess<'de>>(mut seq: A, tx: &Sender) -> Result<(), A::Error> {
    let mut batch = Vec::with_capacity(BATCH);
    let gone = || A::Error::custom("the reader was dropped");
    loop {
        let (end, outcome) = match seq.next_element::<serde_json::Value>() {
            Ok(Some(value)) => {
                batch.push(value);
                (false, Ok(()))
            }
            Ok(None) => (true, Ok(())),
            Err(e) => (true, Err(e)),
        };
        if (end || batch.len() == BATCH || tx.starving()) && !batch.is_empty() {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            tx.send(Message::Elements(full)).map_err(|_| gone())?;
        }
        if end {
            return outcome;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;

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
}
