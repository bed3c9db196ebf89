//! Command-line arguments (clap), kept apart from what the commands do.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use evalkit::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "evalkit",
    version,
    about = "Evaluate vision-language models on chart and visual-math benchmarks"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the model cards and suite cards found, one line each.
    List,
    /// Evaluate a model on a suite; re-running the same command resumes.
    Run(Box<RunArgs>),
    /// Re-print the tables of finished or interrupted runs (a run directory, several, or
    /// folders of them), optionally rescored and written to files.
    Report(ReportArgs),
    /// Perception vs reasoning: every perception source with every reasoning model, plus
    /// end-to-end VLMs, then the decoupling report (terminal, Markdown, JSON, HTML).
    Decouple(Box<DecoupleArgs>),
    /// Explore the items of run directories in a local web viewer (127.0.0.1), or write
    /// it as static files with --bundle.
    View(ViewArgs),
    /// Generate the synthetic chart suite (PNG charts, tables, questions) from a seed.
    Synth(SynthArgs),
    /// Run a base configuration and its variants (a list or a grid in a TOML file), each
    /// an ordinary resumable run sharing the request cache, then one comparison report.
    Ablate(AblateArgs),
    /// Compare runs on the items they share: paired differences with bootstrap intervals,
    /// McNemar's exact test or the paired t-test, per category, with corrections; a CI
    /// gate with --fail-if-drop.
    Compare(CompareArgs),
    /// Rank the newest finished run of every model per suite, with significance-aware rank
    /// groups: leaderboard.{md,csv,json,html} in --out.
    Leaderboard(LeaderboardArgs),
    /// Every item record of every run as one table (Parquet, CSV or JSON Lines).
    Export(ExportArgs),
    /// Join the shard directories of one run (`run --shard I/N`) into one run directory
    /// whose summary is the unsharded run's; refuses shards of different runs, overlapping,
    /// missing or unfinished shards.
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shard directories (runs/SUITE/MODEL/RUNID-shardIofN), every shard once.
    #[arg(required = true, num_args = 1..)]
    pub shards: Vec<PathBuf>,
    /// The run directory written (new, empty, or an earlier merge's, which is replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// Print the summary as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct LeaderboardArgs {
    /// Folders of runs (runs/) or run directories.
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// Where leaderboard.{md,csv,json,html} go.
    #[arg(long)]
    pub out: PathBuf,
    /// Bootstrap resamples of the rank groups' paired tests.
    #[arg(long, default_value_t = evalkit::stats::bootstrap::DEFAULT_RESAMPLES)]
    pub resamples: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Run directories or folders of them.
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    #[arg(long, value_enum)]
    pub format: evalkit::report::export::items::ItemFormat,
    /// The file written (atomically).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Run directories (or folders of them), in order: each later run is compared with
    /// each earlier run of the same suite (B - A).
    #[arg(required = true, num_args = 1..)]
    pub runs: Vec<PathBuf>,
    /// The metric compared (default: each suite's headline metric).
    #[arg(long)]
    pub metric: Option<String>,
    /// List items: those whose value changed, or those only one side has.
    #[arg(long, value_enum)]
    pub items: Option<evalkit::report::compare::ItemList>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: CompareFormat,
    /// Exit with code 1 when an overall score drops by more than this many points and the
    /// paired 95% interval excludes zero (a regression gate for CI).
    #[arg(long, value_name = "POINTS")]
    pub fail_if_drop: Option<f64>,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = evalkit::stats::bootstrap::DEFAULT_RESAMPLES)]
    pub resamples: usize,
    /// The bootstrap's seed (the same seed gives byte-identical output).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The item field naming an item's chart, for the cluster-robust interval (default:
    /// chart, figure_id or source_id, whichever items share).
    #[arg(long)]
    pub cluster: Option<String>,
}

/// Formats of `evalkit compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Markdown,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct AblateArgs {
    /// The ablation file: the base settings, `[[variant]]` tables and/or a `[grid]`.
    pub file: PathBuf,
    /// Where run directories (and the report, under SUITE/ablate-NAME) go.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Model card name (adapters/NAME.toml) or path, evaluated end to end.
    #[arg(
        long,
        required_unless_present = "reasoning",
        conflicts_with = "reasoning"
    )]
    pub model: Option<String>,
    /// Decoupled evaluation: the text-only reasoning model card that answers from the
    /// perception sources' descriptions.
    #[arg(long, requires = "perception")]
    pub reasoning: Option<String>,
    /// Decoupled evaluation: perception sources, comma-separated: model cards (VLMs),
    /// `ocr` (the ppocr card), `gold-table` (the oracle) and `none` (the blind baseline).
    #[arg(long, value_delimiter = ',', requires = "reasoning")]
    pub perception: Vec<String>,
    /// Decoupled evaluation: the perception instruction.
    #[arg(long, value_enum, default_value = "agnostic")]
    pub instruction: evalkit::strategy::decoupled::Instruction,
    /// Suite card name (datasets/NAME.toml) or path.
    #[arg(long)]
    pub suite: String,
    /// How items are answered: `direct` (the suite's prompt, one call) or
    /// `decoupled:SOURCE[+SOURCE...][,instruction=specific]` (perception sources describe
    /// the image, the model answers from the text; the same as --reasoning/--perception).
    /// Chart-to-table is a suite: --suite chartqa_table or synthchart_table.
    #[arg(
        long,
        default_value = "direct",
        conflicts_with = "reasoning",
        value_parser = clap::builder::ValueParser::new(parse_strategy)
    )]
    pub strategy: evalkit::strategy::StrategySpec,
    /// Read the data from here instead of the card's locations (format detected).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate only the first N rows.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Evaluate a stable sample of N items: those whose BLAKE3(seed, id) is among the N
    /// smallest (the same items from any format; dataset order kept).
    #[arg(long)]
    pub sample: Option<usize>,
    /// The seed of --sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Requests in flight at once, or `auto` to find it while the run goes (default: the
    /// model card's max_concurrency).
    #[arg(long)]
    pub concurrency: Option<evalkit::card::model::MaxConcurrency>,
    /// Where run directories go.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// No progress bar or per-row warnings.
    #[arg(long)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout (implies --quiet).
    #[arg(long)]
    pub json: bool,
    /// A model card (name or path) that judges answers the rules cannot resolve.
    #[arg(long)]
    pub judge: Option<String>,
    /// Seconds Ctrl-C waits for requests in flight.
    #[arg(long, default_value_t = 10.0)]
    pub grace_secs: f64,
    /// Evaluate shard I of N (0-based) of the items, chosen by item id: `I/N`, `auto`
    /// (a Slurm array task: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) or `auto/N`
    /// (a Kubernetes Indexed Job: JOB_COMPLETION_INDEX of N). Join shards with `merge`.
    #[arg(long, value_parser = clap::builder::ValueParser::new(parse_shard))]
    pub shard: Option<evalkit::suite::shard::ShardSpec>,
    /// The scoring protocol whose prompts and generation settings the run sends:
    /// `official` (the benchmark authors'), `vlmevalkit` or `lmms-eval` (each pinned to an
    /// upstream version). Every protocol's figure is reported whichever is chosen.
    #[arg(long, default_value = "official", value_parser = clap::builder::ValueParser::new(parse_protocol))]
    pub protocol: evalkit::score::protocol::ProtocolName,
}

#[derive(clap::Args, Debug)]
pub struct ViewArgs {
    /// Run directories, or folders holding them (e.g. runs/).
    #[arg(required = true)]
    pub dirs: Vec<std::path::PathBuf>,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Write the viewer as static files into this folder instead of serving it.
    #[arg(long)]
    pub bundle: Option<std::path::PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DecoupleArgs {
    /// Suite card name or path.
    #[arg(long)]
    pub suite: String,
    /// Perception sources, comma-separated: VLM cards, `ocr`, `gold-table`, `none`; join
    /// several with `+` to concatenate their descriptions.
    #[arg(long, value_delimiter = ',', required = true)]
    pub perception: Vec<String>,
    /// Text-only reasoning model cards, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub reasoning: Vec<String>,
    /// VLM cards to also evaluate end to end, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub e2e: Vec<String>,
    #[arg(long, value_enum, default_value = "agnostic")]
    pub instruction: evalkit::strategy::decoupled::Instruction,
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long)]
    pub limit: Option<u64>,
    #[arg(long)]
    pub sample: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// A judge card for answers the rules cannot resolve.
    #[arg(long)]
    pub judge: Option<String>,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Run directories (runs/<suite>/<model>/<run-id>) or folders of them (runs/). One run
    /// prints its full tables; several print one table with a row per run and metric.
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Re-score every answer from its raw response, keeping stored judge verdicts (no model
    /// requests), and rewrite each run's summary.json.
    #[arg(long)]
    pub rescore: bool,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Per run: every scoring protocol's figure (official, vlmevalkit, lmms-eval) per
    /// category, and the items on which they disagree with each protocol's extraction.
    #[arg(long, conflicts_with_all = ["rescore", "out"])]
    pub protocols: bool,
    /// Also write the report into this folder, one file per --export format
    /// (report.txt, report.md, report.json, report.csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The formats written into --out, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = [Format::Markdown, Format::Json, Format::Csv],
        requires = "out"
    )]
    pub export: Vec<Format>,
}

#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// The seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How many charts (bar, grouped bar, stacked bar, line, scatter and pie take turns).
    #[arg(long, default_value_t = evalkit::synth::DEFAULT_CHARTS)]
    pub charts: usize,
    /// Questions per chart: half recognition (rounded up), half reasoning.
    #[arg(long, default_value_t = evalkit::synth::DEFAULT_QUESTIONS)]
    pub questions: usize,
    /// Where to write the suite (default: $EVALKIT_DATA/synthchart/seed-SEED, where the
    /// synthchart suite card looks). An existing suite there is replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_shard(spec: &str) -> Result<evalkit::suite::shard::ShardSpec, String> {
    spec.parse()
}

fn parse_protocol(name: &str) -> Result<evalkit::score::protocol::ProtocolName, String> {
    name.parse()
}

fn parse_strategy(spec: &str) -> Result<evalkit::strategy::StrategySpec, String> {
    spec.parse()
}
