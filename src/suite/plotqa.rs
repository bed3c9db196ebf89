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
//!   The list is read element by element ([`JsonList`]); an image is read (and encoded as
//!   base64, once) when its first question is reached and kept while the following
//!   questions ask about the same image.
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

use std::path::{Path, PathBuf};

use base64::Engine;

use super::item::{ImageData, Item, LoadResult};
use super::json_list::JsonList;
use super::reader::{Mapping, Repeats};
use super::row::{Row, RowStream, Value, read_inside};
use super::{Format, ResolvedSource, tsv};

/// Official question files, in order of preference, when a directory is given.
const OFFICIAL_FILES: [&str; 5] = [
    "qa_pairs_V1.json",
    "qa_pairs_v1.json",
    "qa_pairs_V2.json",
    "qa_pairs_v2.json",
    "qa_pairs.json",
];

/// PlotQA's mapping: which form is read and, for the official release, its `png/` and the
/// last image read.
pub struct PlotQa {
    /// `png/` of the official release; `None` for the TSV, whose rows carry the image.
    png: Option<PathBuf>,
    images: ImageCache,
}

impl Mapping for PlotQa {
    const NAME: &'static str = "PlotQA";
    const FORMATS: &'static [Format] = &[Format::Official, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "its official release (qa_pairs_V1.json / qa_pairs_V2.json \
                                   with png/) or VLMEvalKit's PlotQA.tsv";
    const REPEATS: Repeats = Repeats::SuffixedPerChart;
    const CHART_FIELDS: &'static [&'static str] = &["figure_type", "source_id"];

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        let images = ImageCache::default();
        if source.format == Format::VlmevalkitTsv {
            let rows = tsv::open(&source.path, &["image", "question", "answer"])?;
            return Ok((Self { png: None, images }, rows));
        }
        let file = official_file(&source.path)?;
        let png = file
            .parent()
            .map(|d| d.join("png"))
            .unwrap_or_else(|| PathBuf::from("png"));
        let rows = official_rows(&file)?;
        Ok((
            Self {
                png: Some(png),
                images,
            },
            rows,
        ))
    }

    fn item(&mut self, row: Row) -> LoadResult {
        match &self.png {
            Some(png) => {
                let image_index = row.int("image_index")?;
                let (image, digest) = self
                    .images
                    .get(image_index, png)
                    .map_err(|e| row.invalid(format!("field `image_index`: image {e}")))?;
                let parts = Parts {
                    question: row.text("question_string")?,
                    answer: row.text("answer")?,
                    template: row.opt_text("template")?,
                    figure_type: row.opt_text("type")?,
                    source_id: image_index.to_string(),
                };
                Ok(item(&row, parts, image, &digest))
            }
            None => {
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
                Ok(item(&row, parts, image, &digest))
            }
        }
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

/// The question file's entries as rows, streamed element by element.
fn official_rows(file: &Path) -> anyhow::Result<RowStream> {
    let list = JsonList::open(file, "qa_pairs")?;
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
        Ok(row)
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
        // Encoded once for every question on the chart (requests send the image as base64).
        let text = std::sync::Arc::new(base64::engine::general_purpose::STANDARD.encode(&bytes));
        let image = ImageData::from_bytes(bytes)?.with_base64(text);
        self.last = Some((index, image.clone(), digest));
        Ok((image, digest))
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::Write;

    use super::*;
    use crate::suite::InvalidRow;

    /// The benchmark read through the generic reader, as `suite::open` reads it.
    fn open(source: &crate::suite::ResolvedSource) -> anyhow::Result<crate::suite::ItemStream> {
        crate::suite::reader::open::<PlotQa>(source)
    }

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
    fn missing_files_and_other_formats_are_open_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err = open(&ResolvedSource {
            format: Format::Official,
            path: tmp.path().to_path_buf(),
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
        })
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("qa_pairs_V1.json"), "{err}");
        assert!(
            open(&ResolvedSource {
                format: Format::HfParquet,
                path: tmp.path().to_path_buf(),
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
            })
            .is_err()
        );
        let tsv = write(tmp.path(), "PlotQA.tsv", "index\timage\tquestion\n");
        assert!(
            open(&ResolvedSource {
                format: Format::VlmevalkitTsv,
                path: tsv,
                unit: crate::suite::Unit::Question,
                chart_field: false,
                columns: None,
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
            unit: crate::suite::Unit::Question,
            chart_field: false,
            columns: None,
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
