//! The one reader every benchmark goes through: it refuses a format the benchmark does not
//! read, opens the source through the benchmark's [`Mapping`], numbers the items, tells
//! repeated ids apart, and, for suites read one item per chart ([`Unit::Chart`]), keeps one
//! item per chart.
//!
//! A mapping only says which formats it reads, opens them as rows (with the shared format
//! readers: [`super::tsv`], [`super::parquet`], [`super::json_list`], [`super::row`]) and
//! turns a row into an item. Everything that was once copied into each mapping lives here, so
//! a new benchmark is a suite card and one mapping file, registered by its `Benchmark`
//! variant (the card's name for it) and one line in [`super::open`].
//!
//! Streaming is kept: rows are pulled one at a time and nothing here holds more than the
//! state its policy needs: the ids seen so far ([`Repeats::Suffixed`]), the ids of the
//! current chart ([`Repeats::SuffixedPerChart`], bounded however long the file), or one
//! 32-byte key per chart seen ([`Unit::Chart`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::item::{InvalidRow, Item, ItemStream, LoadResult};
use super::row::{Row, RowStream};
use super::{Format, ResolvedSource, Unit, locate::format_name};

/// How a benchmark's data becomes items. Implemented once per benchmark (a unit struct, or
/// the state a form needs: its layout, the last image read, ...).
pub trait Mapping: Sized + Send + 'static {
    /// The benchmark as messages name it, e.g. `ChartQA`.
    const NAME: &'static str;
    /// The formats it reads.
    const FORMATS: &'static [Format];
    /// What to give it, for the message that refuses any other format, e.g. "its official
    /// release (qa_pairs_V1.json with png/) or VLMEvalKit's PlotQA.tsv".
    const SOURCES: &'static str;
    /// How repeated ids are told apart.
    const REPEATS: Repeats = Repeats::Kept;
    /// The item fields that describe the chart rather than the question, kept on the item
    /// that stands for a chart ([`Unit::Chart`]); `split` keeps the item's split. The gold
    /// table (`gold_table`) is always kept.
    const CHART_FIELDS: &'static [&'static str] = &[];

    /// Opens a source whose format is one of [`Self::FORMATS`]: the mapping's state for it
    /// and its rows, read lazily. A problem with the whole source is an error naming the
    /// file and what was expected.
    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)>;

    /// One row as an item, its id before any repeat suffix (the order is the reader's).
    fn item(&mut self, row: Row) -> LoadResult;

    /// A row's items: one, unless one record holds several questions (CharXiv's descriptive
    /// entries hold four).
    fn items(&mut self, row: Row) -> Items {
        Items::one(self.item(row))
    }

    /// The id of the chart an item asks about, when the benchmark names its charts: it then
    /// identifies the chart (for [`Repeats::SuffixedPerChart`] and [`Unit::Chart`]). Otherwise
    /// the chart is its images' bytes, named `chart-<12 hex digits of their BLAKE3>`.
    fn chart_id(&self, _item: &Item) -> Option<String> {
        None
    }
}

/// How the reader tells repeated ids apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeats {
    /// The ids are the dataset's own and pass as they are (the run skips a repeat with a
    /// warning).
    Kept,
    /// The ids are content hashes, so the same question twice has the same id: the second
    /// and later get `-2`, `-3`, ... in stream order (ChartQA, AI2D).
    Suffixed,
    /// As [`Repeats::Suffixed`], among consecutive items on the same chart (see
    /// [`Mapping::chart_id`]); a new chart forgets the ids, so memory stays bounded (PlotQA,
    /// FigureQA).
    SuffixedPerChart,
}

/// The items of one row.
pub enum Items {
    One(Option<LoadResult>),
    Many(std::vec::IntoIter<LoadResult>),
}

impl Items {
    pub fn one(result: LoadResult) -> Self {
        Items::One(Some(result))
    }

    pub fn many(results: Vec<LoadResult>) -> Self {
        Items::Many(results.into_iter())
    }
}

impl Iterator for Items {
    type Item = LoadResult;

    fn next(&mut self) -> Option<LoadResult> {
        match self {
            Items::One(result) => result.take(),
            Items::Many(results) => results.next(),
        }
    }
}

/// The item field that names an item's chart when the suite card clusters by chart.
pub const CHART_FIELD: &str = "chart";

/// Opens `source` as `M`'s items: the format guarded, items numbered in stream order, ids
/// made distinct as `M` asks, one item per chart when the suite card says so.
pub fn open<M: Mapping>(source: &ResolvedSource) -> anyhow::Result<ItemStream> {
    if !M::FORMATS.contains(&source.format) {
        let names: Vec<&str> = M::FORMATS.iter().map(|f| format_name(*f)).collect();
        anyhow::bail!(
            "{}: {} is read from {}, not from {}; the formats it reads: {} (set `format` in the \
             suite card's [[source]], or give --data a path of one of them)",
            source.path.display(),
            M::NAME,
            M::SOURCES,
            format_name(source.format),
            names.join(", ")
        );
    }
    let (mapping, rows) = M::open(source)?;
    Ok(Box::new(Reader {
        mapping,
        rows,
        pending: Items::One(None),
        ids: IdState::new(M::REPEATS),
        charts: (source.unit == Unit::Chart).then(HashSet::new),
        chart_field: source.chart_field,
        keys: ChartKeys::default(),
        next_order: 0,
    }))
}

/// The stream [`open`] returns.
struct Reader<M> {
    mapping: M,
    rows: RowStream,
    /// What is left of the current row's items.
    pending: Items,
    ids: IdState,
    /// The charts seen, when reading one item per chart.
    charts: Option<HashSet<[u8; 32]>>,
    /// Name each item's chart in its fields ([`CHART_FIELD`]).
    chart_field: bool,
    keys: ChartKeys,
    next_order: u64,
}

impl<M: Mapping> Iterator for Reader<M> {
    type Item = LoadResult;

    fn next(&mut self) -> Option<LoadResult> {
        loop {
            let Some(result) = self.pending.next() else {
                self.pending = match self.rows.next()? {
                    Ok(row) => self.mapping.items(row),
                    Err(bad) => Items::one(Err(bad)),
                };
                continue;
            };
            let item = match result {
                Ok(item) => item,
                Err(bad) => return Some(Err(bad)),
            };
            if let Some(done) = self.finish(item) {
                return Some(done);
            }
        }
    }
}

impl<M: Mapping> Reader<M> {
    /// Numbers an item and makes its id distinct; `None` when it is skipped (a further
    /// question on a chart already read, when reading one item per chart).
    fn finish(&mut self, mut item: Item) -> Option<LoadResult> {
        let chart = match (&self.charts, self.ids.repeats) {
            (None, Repeats::Kept | Repeats::Suffixed) if !self.chart_field => None,
            _ => Some(self.chart(&item)),
        };
        if let (true, Some((_, id))) = (self.chart_field, &chart) {
            item.fields.insert(CHART_FIELD.to_string(), id.clone());
        }
        if let (Some(charts), Some((key, id))) = (&mut self.charts, &chart) {
            if !charts.insert(*key) {
                return None;
            }
            item = match chart_item::<M>(item, id.clone()) {
                Ok(item) => item,
                Err(bad) => return Some(Err(bad)),
            };
        }
        item.id = self.ids.assign(item.id, chart.as_ref().map(|(key, _)| key));
        item.order = self.next_order;
        self.next_order += 1;
        Some(Ok(item))
    }

    /// The chart an item asks about: its key and its id. A chart the mapping names is keyed
    /// by its name, any other by its images' bytes (`chart-<12 hex digits>`).
    fn chart(&mut self, item: &Item) -> ([u8; 32], String) {
        match self.mapping.chart_id(item) {
            Some(id) => (*blake3::hash(id.as_bytes()).as_bytes(), id),
            None => {
                let key = self.keys.key(item);
                let hex = blake3::Hash::from_bytes(key).to_hex();
                (key, format!("chart-{}", &hex[..12]))
            }
        }
    }
}

/// The item that stands for a chart: the chart's id, its images and gold table, the fields
/// that describe the chart, no question and no answers.
fn chart_item<M: Mapping>(item: Item, id: String) -> LoadResult {
    let Some(table) = item
        .fields
        .get("gold_table")
        .filter(|t| !t.trim().is_empty())
        .cloned()
    else {
        return Err(InvalidRow {
            source: item.source,
            reason: format!(
                "the chart has no gold table (field `gold_table`), and this suite scores one \
                 item per chart (`unit = \"chart\"`) against it; use data that ships the \
                 charts' tables: ChartQA's official release with its tables/ folder, or the \
                 synthetic suite `evalkit synth` writes ({} chart {id})",
                M::NAME,
            ),
        });
    };
    let mut fields: std::collections::BTreeMap<String, String> = item
        .fields
        .into_iter()
        .filter(|(k, _)| M::CHART_FIELDS.contains(&k.as_str()))
        .collect();
    fields.insert("gold_table".to_string(), table);
    Ok(Item {
        id,
        order: 0,
        source: item.source,
        question: String::new(),
        hint: None,
        choices: Vec::new(),
        answers: Vec::new(),
        images: item.images,
        split: item.split.filter(|_| M::CHART_FIELDS.contains(&"split")),
        fields,
    })
}

/// The repeat policy's memory: ids given so far (on the current chart, per chart).
struct IdState {
    repeats: Repeats,
    seen: HashMap<String, u32>,
    chart: Option<[u8; 32]>,
}

impl IdState {
    fn new(repeats: Repeats) -> Self {
        Self {
            repeats,
            seen: HashMap::new(),
            chart: None,
        }
    }

    /// The id to give an item whose own id is `id`, on the chart with `key`.
    fn assign(&mut self, id: String, key: Option<&[u8; 32]>) -> String {
        match self.repeats {
            Repeats::Kept => return id,
            Repeats::Suffixed => {}
            Repeats::SuffixedPerChart => {
                if key.is_some() && key != self.chart.as_ref() {
                    self.seen.clear();
                    self.chart = key.copied();
                }
            }
        }
        let count = self.seen.entry(id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            format!("{id}-{count}")
        } else {
            id
        }
    }
}

/// A chart's identity, BLAKE3 over its images' bytes; consecutive items sharing the same
/// image (the same `Arc`) reuse the last key instead of hashing the bytes again.
#[derive(Default)]
struct ChartKeys {
    last: Option<(Arc<[u8]>, [u8; 32])>,
}

impl ChartKeys {
    fn key(&mut self, item: &Item) -> [u8; 32] {
        match item.images.as_slice() {
            [] => *blake3::hash(format!("no image: {}", item.id).as_bytes()).as_bytes(),
            [image] => {
                if let Some((bytes, key)) = &self.last
                    && Arc::ptr_eq(bytes, &image.bytes)
                {
                    return *key;
                }
                let key = *blake3::hash(&image.bytes).as_bytes();
                self.last = Some((image.bytes.clone(), key));
                key
            }
            images => {
                let mut hasher = blake3::Hasher::new();
                for image in images {
                    hasher.update(blake3::hash(&image.bytes).as_bytes());
                }
                *hasher.finalize().as_bytes()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;
    use crate::suite::ImageData;

    #[test]
    fn suffixed_repeats_get_their_count() {
        let mut ids = IdState::new(Repeats::Suffixed);
        let got: Vec<String> = ["a", "b", "a", "a"]
            .iter()
            .map(|i| ids.assign(i.to_string(), None))
            .collect();
        assert_eq!(got, vec!["a", "b", "a-2", "a-3"]);
    }

    #[test]
    fn repeats_are_only_tracked_within_one_image() {
        let mut ids = IdState::new(Repeats::SuffixedPerChart);
        let got: Vec<String> = [(1, "x"), (1, "x"), (2, "x"), (1, "x")]
            .iter()
            .map(|(b, id)| ids.assign(id.to_string(), Some(&[*b; 32])))
            .collect();
        assert_eq!(got, vec!["x", "x-2", "x", "x"]);
        let mut kept = IdState::new(Repeats::Kept);
        assert_eq!(kept.assign("x".into(), None), "x");
        assert_eq!(kept.assign("x".into(), None), "x");
    }

    /// A mapping over rows `{id, chart, table?}` whose image is one PNG per `chart`.
    struct Toy;

    fn png(shade: u8) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 2, image::Rgb([shade, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn toy_rows() -> Vec<Result<Row, InvalidRow>> {
        let row = |n: usize, id: &str, chart: u8, table: Option<&str>| {
            let mut row = Row::new(format!("toy:{n}"));
            row.fields
                .insert("id".into(), super::super::row::Value::Str(id.into()));
            row.fields
                .insert("chart".into(), super::super::row::Value::Int(chart.into()));
            if let Some(t) = table {
                row.fields
                    .insert("table".into(), super::super::row::Value::Str(t.into()));
            }
            Ok(row)
        };
        vec![
            row(1, "q1", 1, Some("a,b\n1,2")),
            row(2, "q2", 1, Some("a,b\n1,2")),
            Err(InvalidRow {
                source: "toy:3".into(),
                reason: "broken".into(),
            }),
            row(4, "q1", 2, None),
            row(5, "q3", 2, None),
            row(6, "q1", 1, Some("a,b\n1,2")),
        ]
    }

    impl Mapping for Toy {
        const NAME: &'static str = "Toy";
        const FORMATS: &'static [Format] = &[Format::Official];
        const SOURCES: &'static str = "a toy";
        const REPEATS: Repeats = Repeats::Suffixed;
        const CHART_FIELDS: &'static [&'static str] = &["chart"];

        fn open(_: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
            Ok((Toy, Box::new(toy_rows().into_iter())))
        }

        fn item(&mut self, row: Row) -> LoadResult {
            let chart = row.int("chart")?;
            let mut fields = BTreeMap::from([
                ("chart".to_string(), chart.to_string()),
                ("kind".to_string(), "k".to_string()),
            ]);
            if let Some(t) = row.opt_text("table")? {
                fields.insert("gold_table".to_string(), t);
            }
            let image = ImageData::from_bytes(png(chart as u8)).map_err(|e| row.invalid(e))?;
            Ok(Item {
                id: row.text("id")?,
                source: row.source.clone(),
                question: "Q?".into(),
                answers: vec!["A".into()],
                images: vec![image],
                fields,
                ..Default::default()
            })
        }
    }

    fn source(format: Format, unit: Unit) -> ResolvedSource {
        ResolvedSource {
            format,
            path: PathBuf::from("toy"),
            unit,
            chart_field: false,
            columns: None,
        }
    }

    #[test]
    fn numbers_items_suffixes_repeats_and_passes_bad_rows() {
        let got: Vec<LoadResult> = open::<Toy>(&source(Format::Official, Unit::Question))
            .unwrap()
            .collect();
        let ids: Vec<String> = got
            .iter()
            .map(|r| match r {
                Ok(i) => format!("{}@{}", i.id, i.order),
                Err(e) => format!("bad {}", e.source),
            })
            .collect();
        assert_eq!(
            ids,
            vec!["q1@0", "q2@1", "bad toy:3", "q1-2@2", "q3@3", "q1-3@4"]
        );
    }

    #[test]
    fn other_formats_are_refused_with_the_formats_read() {
        let err = open::<Toy>(&source(Format::HfParquet, Unit::Question))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("Toy is read from a toy, not from hf-parquet")
                && err.contains("the formats it reads: official"),
            "{err}"
        );
    }

    #[test]
    fn one_item_per_chart_keeps_the_first_and_needs_a_table() {
        let got: Vec<LoadResult> = open::<Toy>(&source(Format::Official, Unit::Chart))
            .unwrap()
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        let first = got[0].as_ref().unwrap();
        assert_eq!(
            first.id,
            format!("chart-{}", &blake3::hash(&png(1)).to_hex()[..12])
        );
        assert_eq!(first.order, 0);
        assert!(first.question.is_empty() && first.answers.is_empty());
        assert_eq!(
            first.fields,
            BTreeMap::from([
                ("chart".to_string(), "1".to_string()),
                ("gold_table".to_string(), "a,b\n1,2".to_string()),
            ])
        );
        assert_eq!(got[1].as_ref().unwrap_err().source, "toy:3");
        let bad = got[2].as_ref().unwrap_err();
        assert_eq!(bad.source, "toy:4");
        assert!(
            bad.reason.contains("no gold table") && bad.reason.contains("tables/"),
            "{}",
            bad.reason
        );
    }
}
