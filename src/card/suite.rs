//! Suite cards: where a benchmark's data lives, its format, prompt, scorer and breakdowns.
//!
//! The card owns the names it is written in ([`Benchmark`], [`Format`], [`DataRoot`]) so that
//! it stands on nothing above it; `suite` re-exports them for the loaders.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::stem;
use super::{field_error, parse_toml};

/// The on-disk formats evalkit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// VLMEvalKit's TSV (base64 images, option columns, image references).
    VlmevalkitTsv,
    /// Hugging Face datasets parquet (a file or a directory of shards).
    HfParquet,
    /// ChartQA's official release: `test_human.json`, `test_augmented.json`, `png/`.
    ChartqaJson,
    /// A benchmark's own official release layout (PlotQA, FigureQA, CharXiv, ReachQA):
    /// the benchmark's mapping knows the files.
    Official,
    /// One JSON object per line, images as paths relative to the file (custom suites).
    Jsonl,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &[
        "vlmevalkit-tsv",
        "hf-parquet",
        "chartqa-json",
        "official",
        "jsonl",
    ];
}

/// Which column holds what, for a suite over data of the user's own (`benchmark =
/// "custom"`); each defaults to VLMEvalKit's custom-TSV name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The item id (default `index`, then `id`).
    pub id: Option<String>,
    /// The image(s): base64 (TSV), an Image struct or binary (parquet), a path or a list of
    /// paths relative to the file (JSONL). Default `image`.
    pub image: Option<String>,
    /// Default `question`.
    pub question: Option<String>,
    /// The gold answer, or a list of accepted answers. Default `answer`.
    pub answer: Option<String>,
    /// Options as a list column (parquet, JSONL); TSV options are the columns `A`..`Z`.
    /// Default `options`.
    pub options: Option<String>,
    /// Default `hint`.
    pub hint: Option<String>,
}

/// Which benchmark's row mapping to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Benchmark {
    Chartqa,
    Plotqa,
    Figureqa,
    Mmstar,
    Mathvista,
    Ai2d,
    Charxiv,
    Chartbench,
    Reachqa,
    Hallusionbench,
    Synthchart,
    Mmmu,
    Mmbench,
    MmbenchCircular,
    Mmvet,
    /// Data of the user's own: VLMEvalKit's custom TSV, JSONL or parquet, with the
    /// card's `[columns]` and `scorer`.
    Custom,
}

impl Benchmark {
    pub const NAMES: &'static [&'static str] = &[
        "chartqa",
        "plotqa",
        "figureqa",
        "mmstar",
        "mathvista",
        "ai2d",
        "charxiv",
        "chartbench",
        "reachqa",
        "hallusionbench",
        "synthchart",
        "mmmu",
        "mmbench",
        "mmbench-circular",
        "mmvet",
        "custom",
    ];
}

/// What one item of a suite is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// One item per question (the default).
    #[default]
    Question,
    /// One item per chart: a chart's questions become one item whose id is the chart's, for
    /// tasks about the chart itself (chart-to-table, scored against the chart's gold table).
    /// The prompt then holds no `{question}`.
    Chart,
}

impl Unit {
    /// Whether this is the default, one item per question (left out when a card is written).
    pub fn is_question(&self) -> bool {
        *self == Unit::Question
    }
}

/// Which directory a relative source path is under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataRoot {
    /// `$EVALKIT_DATA`, default `~/.cache/evalkit/data`.
    Data,
    /// `$LMUData`, default `~/LMUData` (VLMEvalKit's TSV directory).
    Lmudata,
}

/// One place the suite's data may be, tried in the card's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub format: Format,
    /// Absolute, or relative to `root`.
    pub path: PathBuf,
    #[serde(default = "default_root")]
    pub root: DataRoot,
}

fn default_root() -> DataRoot {
    DataRoot::Data
}

/// A figure over groups of items: a group counts as right only when every item in it is
/// (HallusionBench's fAcc and qAcc, ChartBench's Acc+).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMetric {
    /// The reported name, e.g. `fAcc`.
    pub name: String,
    /// The per-item metric it is built from (an item is right when it is 1).
    pub metric: String,
    /// Item fields whose values together identify a group.
    pub by: Vec<String>,
}

/// The mean of per-category means (e.g. MMStar's capability mean).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroMetric {
    pub name: String,
    pub metric: String,
    /// The item field whose values are the categories.
    pub over: String,
}

/// A parsed suite card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteCard {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Which row mapping turns the data into items.
    pub benchmark: Benchmark,
    /// The scorer name (see `evalkit list`).
    pub scorer: String,
    /// The prompt template: `{question}`, `{hint}`, `{options}` are filled per item.
    pub prompt: String,
    /// `question` (default): one item per question; `chart`: one item per chart, for tasks
    /// about the chart itself (the prompt then has no `{question}`).
    #[serde(default, skip_serializing_if = "Unit::is_question")]
    pub unit: Unit,
    /// Item fields to break scores down by (e.g. `split`, `category`).
    #[serde(default)]
    pub breakdown: Vec<String>,
    /// Breakdown fields holding several values separated by `|` (e.g. MathVista skills);
    /// an item counts once under each of its values.
    #[serde(default)]
    pub multi_valued: Vec<String>,
    #[serde(default, rename = "group_metric")]
    pub group_metrics: Vec<GroupMetric>,
    /// `benchmark = "custom"`: which column holds what (see [`Columns`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Columns>,
    /// The item field naming the chart (or image) an item asks about: answers about one
    /// chart are not independent, so the summary adds the cluster-robust interval and the
    /// design effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, rename = "macro_metric")]
    pub macro_metrics: Vec<MacroMetric>,
    /// The headline figure when it is not the scorer's own (a group or macro metric of this
    /// card, e.g. MMBench's circular accuracy); checked by `score::check_suite_card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// Where the data may be, tried in order; the first that exists is used.
    #[serde(rename = "source")]
    pub sources: Vec<SourceSpec>,
    /// Told to the user when no source exists.
    #[serde(default)]
    pub how_to_get: String,
    #[serde(skip)]
    pub path: PathBuf,
}

impl SuiteCard {
    /// Reads a suite card and checks what the card alone can tell (syntax, required fields,
    /// the prompt's placeholder, at least one source). The scorer and the group and macro
    /// metrics built on its figures are checked by `score::check_suite_card`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut card: SuiteCard = parse_toml(path)?;
        card.path = path.to_path_buf();
        if card.name.is_empty() {
            card.name = stem(path);
        }
        match (card.unit, card.prompt.contains("{question}")) {
            (Unit::Question, false) => {
                return Err(field_error(
                    path,
                    "prompt",
                    "must contain {question}",
                    format!("{:?}", card.prompt),
                ));
            }
            (Unit::Chart, true) => {
                return Err(field_error(
                    path,
                    "prompt",
                    "must not contain {question} when `unit = \"chart\"` (one item stands for all \
                     the questions of a chart); ask about the chart itself",
                    format!("{:?}", card.prompt),
                ));
            }
            _ => {}
        }
        if card.sources.is_empty() {
            return Err(field_error(
                path,
                "source",
                "must list at least one [[source]] table",
                "none",
            ));
        }
        Ok(card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> anyhow::Result<SuiteCard> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text)?;
        SuiteCard::load(&path)
    }

    const MINIMAL: &str =
        "benchmark = \"chartqa\"\nscorer = \"relaxed_accuracy\"\nprompt = \"{question}\"\n";
    const SOURCE: &str = "[[source]]\nformat = \"vlmevalkit-tsv\"\npath = \"X.tsv\"\n";

    #[test]
    fn a_minimal_card_loads() {
        let card = load_str(&format!("{MINIMAL}{SOURCE}")).unwrap();
        assert_eq!(card.name, "s");
        assert_eq!(card.sources[0].root, DataRoot::Data);
    }

    #[test]
    fn a_chart_card_asks_about_the_chart() {
        let card = load_str(&format!(
            "unit = \"chart\"\nbenchmark = \"synthchart\"\nscorer = \"chart_to_table\"\nprompt = \"Table?\"\n{SOURCE}"
        ))
        .unwrap();
        assert_eq!(card.unit, Unit::Chart);
        assert_eq!(
            load_str(&format!("{MINIMAL}{SOURCE}")).unwrap().unit,
            Unit::Question
        );
    }

    #[test]
    fn every_bad_field_names_the_file_and_field() {
        let cases = [
            (MINIMAL.to_string(), "source"),
            (format!("{MINIMAL}{SOURCE}name = 1\n"), "name"),
            (
                format!(
                    "benchmark = \"chartqz\"\nscorer = \"relaxed_accuracy\"\nprompt = \"{{question}}\"\n{SOURCE}"
                ),
                "benchmark",
            ),
            (
                format!(
                    "benchmark = \"chartqa\"\nscorer = \"relaxed_accuracy\"\nprompt = \"no placeholder\"\n{SOURCE}"
                ),
                "prompt",
            ),
            (
                format!("benchmark = \"chartqa\"\nscorer = \"relaxed_accuracy\"\n{SOURCE}"),
                "prompt",
            ),
            (
                format!("breakdown = \"split\"\n{MINIMAL}{SOURCE}"),
                "breakdown",
            ),
            (
                format!("multi_valued = 3\n{MINIMAL}{SOURCE}"),
                "multi_valued",
            ),
            (
                format!("{MINIMAL}[[source]]\nformat = \"csv\"\npath = \"x\"\n"),
                "format",
            ),
            (
                format!("{MINIMAL}[[source]]\nformat = \"hf-parquet\"\n"),
                "path",
            ),
            (
                format!(
                    "{MINIMAL}[[source]]\nformat = \"hf-parquet\"\npath = \"x\"\nroot = \"home\"\n"
                ),
                "root",
            ),
            (
                format!("{MINIMAL}[[source]]\nformat = \"hf-parquet\"\npath = \"x\"\nextra = 1\n"),
                "extra",
            ),
            (
                format!(
                    "{MINIMAL}{SOURCE}[[macro_metric]]\nname = \"m\"\nmetric = \"relaxed_accuracy\"\n"
                ),
                "over",
            ),
            (format!("{MINIMAL}{SOURCE}how_to_get = 5\n"), "how_to_get"),
            (format!("unit = \"table\"\n{MINIMAL}{SOURCE}"), "unit"),
            (format!("unit = \"chart\"\n{MINIMAL}{SOURCE}"), "prompt"),
        ];
        for (text, field) in cases {
            let err = load_str(&text).unwrap_err().to_string();
            assert!(err.contains("s.toml"), "{err}");
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}
