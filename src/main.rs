//! The `evalkit` command line: parse, dispatch, print. Behaviour lives in the library.

mod cli;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use cli::{Cli, Command};
use evalkit::card::find::{self, CardKind};
use evalkit::report::{ExportManager, Exporter, Target};
use evalkit::run::{Output, RunOptions};
use evalkit::strategy::StrategySpec;

/// mimalloc: the run's many small, short-lived allocations (requests, replies, records)
/// cost a third of the CPU per item under glibc's malloc (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // On a worker thread, not this one: tasks the command spawns land in that worker's own
    // queue instead of waking another thread each time.
    let command = runtime.spawn(dispatch(cli.command));
    let outcome = match runtime.block_on(command) {
        Ok(outcome) => outcome,
        Err(e) => Err(anyhow::anyhow!("the command stopped unexpectedly: {e}")),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => run(args).await,
        Command::Report(args) => report(args),
        Command::Synth(args) => synth(args),
        Command::Decouple(args) => decouple(*args).await,
        Command::View(args) => view(args).await,
        Command::Ablate(args) => ablate(args).await,
        Command::Compare(args) => compare(args),
        Command::Leaderboard(args) => leaderboard(args),
        Command::Export(args) => export_items(args),
        Command::Merge(args) => merge(args),
    }
}

/// Opens every run under `paths` (run directories or folders of them) through the
/// scanner; runs that do not open are skipped with a warning.
fn open_runs(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<evalkit::journal::RunDir>> {
    let scan = evalkit::journal::scan::scan(paths)?;
    for skip in &scan.skipped {
        eprintln!("warning: skipped {skip}");
    }
    let mut runs = Vec::new();
    for opened in scan.open() {
        match opened {
            Ok(run) => {
                for w in run.skipped.warnings(&run.path, 3) {
                    eprintln!("warning: {w}");
                }
                runs.push(run);
            }
            Err(skip) => eprintln!("warning: skipped {skip}"),
        }
    }
    Ok(runs)
}

fn compare(args: cli::CompareArgs) -> anyhow::Result<ExitCode> {
    use evalkit::report::compare;
    let runs = open_runs(&args.runs)?;
    let report = compare::compare(
        &runs,
        &compare::Options {
            metric: args.metric,
            resamples: args.resamples,
            seed: args.seed,
            cluster: args.cluster,
            items: args.items,
        },
    )?;
    let text = match args.format {
        cli::CompareFormat::Table => compare::render::table(&report),
        cli::CompareFormat::Markdown => compare::render::markdown(&report),
        cli::CompareFormat::Json => compare::render::json(&report)?,
    };
    ExportManager::<str>::new()
        .add(Box::new(Verbatim), Target::Stdout)
        .export(&text)?;
    if let Some(max_drop) = args.fail_if_drop {
        let regressions = compare::gate::regressions(&report, max_drop);
        if !regressions.is_empty() {
            for r in &regressions {
                eprintln!("regression: {r}");
            }
            eprintln!(
                "error: {} regression(s) of more than {max_drop} points (--fail-if-drop)",
                regressions.len()
            );
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("no regression of more than {max_drop} points");
    }
    Ok(ExitCode::SUCCESS)
}

fn leaderboard(args: cli::LeaderboardArgs) -> anyhow::Result<ExitCode> {
    use evalkit::report::leaderboard::{self, csv, html, json, markdown};
    let runs = open_runs(&args.runs)?;
    let board = leaderboard::build(runs, args.resamples, args.seed)?;
    let mut exports: ExportManager<'_, leaderboard::Leaderboard> = ExportManager::new();
    exports
        .add(
            Box::new(markdown::MarkdownExporter),
            Target::File(args.out.join("leaderboard.md")),
        )
        .add(
            Box::new(csv::CsvExporter),
            Target::File(args.out.join("leaderboard.csv")),
        )
        .add(
            Box::new(json::JsonExporter),
            Target::File(args.out.join("leaderboard.json")),
        )
        .add(
            Box::new(html::HtmlExporter),
            Target::File(args.out.join("leaderboard.html")),
        );
    for path in exports.export(&board)? {
        eprintln!("wrote {}", path.display());
    }
    for suite in &board.suites {
        println!("{} ({})", suite.suite, suite.metric);
        for e in &suite.entries {
            let rank = markdown::rank_text(e, &suite.entries);
            let note = if e.comparable {
                String::new()
            } else {
                format!("  not comparable: {}", e.differs.join(", "))
            };
            println!(
                "  {rank:>4}  {:<40} {:>7.2}  [{:.2}, {:.2}]{note}",
                e.model, e.score, e.ci95.low, e.ci95.high
            );
        }
    }
    for l in &board.left_out {
        eprintln!("left out {}: {}", l.run_dir.display(), l.reason);
    }
    Ok(ExitCode::SUCCESS)
}

fn export_items(args: cli::ExportArgs) -> anyhow::Result<ExitCode> {
    // Streamed run by run (bounded memory), not through `open_runs`.
    let scan = evalkit::journal::scan::scan(&args.runs)?;
    for skip in &scan.skipped {
        eprintln!("warning: skipped {skip}");
    }
    let done = evalkit::report::export::items::export(&scan.runs, args.format, &args.out)?;
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "wrote {} ({} rows from {} runs)",
        args.out.display(),
        done.rows,
        done.runs
    );
    Ok(ExitCode::SUCCESS)
}

fn merge(args: cli::MergeArgs) -> anyhow::Result<ExitCode> {
    let command = std::env::args()
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let merged = evalkit::run::merge::merge(&args.shards, &args.out, &command)?;
    let rendered = if args.json {
        String::from_utf8_lossy(
            &evalkit::report::export::json::JsonExporter
                .serialize(std::slice::from_ref(&merged.summary))?,
        )
        .into_owned()
    } else {
        evalkit::report::export::terminal::render(&merged.summary)
    };
    print!("{rendered}");
    eprintln!(
        "merged {} shards ({} items) into run directory: {}",
        merged.shards,
        merged.summary.counts.total,
        merged.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Text already rendered, written as it is (through the one place that writes reports).
struct Verbatim;

impl Exporter<str> for Verbatim {
    fn serialize(&self, input: &str) -> anyhow::Result<Vec<u8>> {
        Ok(input.as_bytes().to_vec())
    }
}

fn report(args: cli::ReportArgs) -> anyhow::Result<ExitCode> {
    if args.protocols {
        use evalkit::report::protocols;
        let runs = open_runs(&args.dirs)?;
        let reports = runs
            .iter()
            .map(protocols::build)
            .collect::<anyhow::Result<Vec<_>>>()?;
        println!("{}", protocols::render(&reports, args.format)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rebuilt = evalkit::report::rebuild::rebuild_all(&args.dirs, args.rescore)?;
    for warning in &rebuilt.warnings {
        eprintln!("warning: {warning}");
    }
    let mut exports = ExportManager::new();
    exports.add(args.format.exporter(), Target::Stdout);
    if let Some(dir) = &args.out {
        exports.add_files(dir, "report", &args.export);
    }
    for path in exports.export(&rebuilt.summaries)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints every card through one locked stdout. A reader that stops early (`evalkit list
/// | head -1`) closes the pipe: the listing stops quietly and evalkit exits 0, as `ls` does.
fn list() {
    use std::io::Write;
    let write_all = |out: &mut std::io::StdoutLock| -> std::io::Result<()> {
        for (kind, title) in [(CardKind::Model, "models"), (CardKind::Suite, "suites")] {
            writeln!(out, "{title}:")?;
            for (name, path) in find::list(kind) {
                writeln!(out, "  {name:<20} {}", evalkit::card::describe(kind, &path))?;
            }
        }
        out.flush()
    };
    match write_all(&mut std::io::stdout().lock()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("error: cannot write the list of cards to stdout: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(args: Box<cli::RunArgs>) -> anyhow::Result<ExitCode> {
    let output = if args.json {
        Output::Json
    } else if args.quiet {
        Output::Quiet
    } else {
        Output::Normal
    };
    let command = std::env::args()
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let opts = RunOptions {
        // clap guarantees exactly one of --model and --reasoning.
        strategy: if args.reasoning.is_some() {
            StrategySpec::Decoupled {
                perception: args.perception,
                instruction: args.instruction,
                reason: evalkit::strategy::reasoning::Reasoning::Direct,
            }
        } else {
            args.strategy
        },
        model: args.model.or(args.reasoning).unwrap_or_default(),
        suite: args.suite,
        data: args.data,
        out: args.out,
        limit: args.limit,
        sample: args.sample,
        seed: args.seed,
        concurrency: args.concurrency,
        output,
        grace: grace(args.grace_secs)?,
        command: command.clone(),
        judge: args.judge,
        shared_cache: false,
        progress_label: None,
        shard: args
            .shard
            .map(|spec| spec.resolve(|k| std::env::var(k).ok()))
            .transpose()
            .map_err(anyhow::Error::msg)?,
        protocol: args.protocol,
    };
    if let Some(group) = evalkit::run::group::group_card(&opts.suite)? {
        return run_group(&group, opts, &command).await;
    }
    let result = evalkit::run::run(opts).await?;
    match output {
        Output::Json => print!(
            "{}",
            String::from_utf8_lossy(
                &evalkit::report::export::json::JsonExporter
                    .serialize(std::slice::from_ref(&result.summary))?
            )
        ),
        _ => print!(
            "{}",
            evalkit::report::export::terminal::render(&result.summary)
        ),
    }
    eprintln!("run directory: {}", result.dir.display());
    if result.interrupted {
        eprintln!("interrupted: answers so far are saved. Resume with:\n  {command}");
        return Ok(ExitCode::from(130));
    }
    let s = &result.summary;
    if s.counts.answered == 0 {
        // A table of zeros is not a result: CI must see it fail.
        let why = if s.counts.failed > 0 {
            evalkit::report::summary::describe_failures(s.counts.failed, &s.failures)
        } else {
            format!("{} invalid rows (see invalid.jsonl)", s.counts.invalid)
        };
        eprintln!("error: no item was answered: {why}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `run --suite GROUP`: every member suite, then one table (or a JSON array of summaries).
async fn run_group(
    group: &evalkit::card::group::GroupCard,
    opts: RunOptions,
    command: &str,
) -> anyhow::Result<ExitCode> {
    let output = opts.output;
    let (members, interrupted) = evalkit::run::group::run(group, opts).await?;
    if output == Output::Json {
        let summaries: Vec<_> = members.iter().map(|m| &m.summary).collect();
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        print!("{}", evalkit::run::group::table(group, &members));
    }
    if interrupted {
        eprintln!("interrupted: answers so far are saved. Resume with:\n  {command}");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

async fn decouple(args: cli::DecoupleArgs) -> anyhow::Result<ExitCode> {
    let command = std::env::args()
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let base = RunOptions {
        model: String::new(),
        suite: args.suite,
        data: args.data,
        out: args.out,
        limit: args.limit,
        sample: args.sample,
        seed: args.seed,
        concurrency: None,
        output: if args.json {
            Output::Json
        } else {
            Output::Normal
        },
        grace: Duration::from_secs(10),
        command: command.clone(),
        judge: args.judge,
        strategy: StrategySpec::Direct,
        shared_cache: false,
        progress_label: None,
        shard: None,
        protocol: Default::default(),
    };
    // A suite group is decoupled member by member: one report per suite.
    let suites = match evalkit::run::group::group_card(&base.suite)? {
        Some(group) => group.suites,
        None => vec![base.suite.clone()],
    };
    for suite in suites {
        let resume = command.clone();
        let outcome = evalkit::run::decouple::decouple(evalkit::run::decouple::DecoupleOptions {
            base: RunOptions {
                suite,
                ..base.clone()
            },
            instruction: args.instruction,
            perception: args.perception.clone(),
            reasoning: args.reasoning.clone(),
            e2e: args.e2e.clone(),
        })
        .await?;
        let (report, dir) = (&outcome.report, &outcome.dir);
        if args.json {
            println!("{}", serde_json::to_string_pretty(report)?);
        } else {
            print!("{}", evalkit::report::decouple::terminal::render(report));
        }
        eprintln!(
            "report: {}\n  (also decouple.md and decouple.json beside it)",
            dir.join("decouple.html").display()
        );
        let run_dirs: Vec<String> = report.runs.iter().map(|r| shell_quote(&r.dir)).collect();
        eprintln!("explore the items: evalkit view {}", run_dirs.join(" "));
        if outcome.interrupted {
            eprintln!(
                "interrupted: the report is partial and answers so far are saved. Resume with:\n  {resume}"
            );
            return Ok(ExitCode::from(130));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn view(args: cli::ViewArgs) -> anyhow::Result<ExitCode> {
    let runs = evalkit::view::catalog::open(&args.dirs)?;
    if let Some(out) = &args.bundle {
        let pages = evalkit::view::bundle::write_bundle(&runs, out)?;
        eprintln!(
            "wrote {pages} pages: open {}",
            out.join("index.html").display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let n = runs.len();
    evalkit::view::server::serve(runs, args.port, |addr| {
        eprintln!("evalkit view: {n} runs at http://{addr}/ (Ctrl-C stops)");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

async fn ablate(args: cli::AblateArgs) -> anyhow::Result<ExitCode> {
    let command = std::env::args()
        .map(|a| shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let common = RunOptions {
        model: String::new(),
        suite: String::new(),
        data: None,
        out: args.out,
        limit: None,
        sample: None,
        seed: 0,
        concurrency: None,
        output: if args.json {
            Output::Json
        } else {
            Output::Normal
        },
        grace: Duration::from_secs(10),
        command,
        judge: None,
        strategy: StrategySpec::Direct,
        shared_cache: true,
        progress_label: None,
        shard: None,
        protocol: Default::default(),
    };
    let (report, dir) = evalkit::run::ablate::ablate(&args.file, common).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", evalkit::report::ablation::markdown(&report));
    }
    eprintln!("report: {}/ablation.{{md,json,html}}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `--grace-secs` as a duration: a number of seconds from 0 to one day, else an error
/// (never a panic on `1e300`, `inf` or `nan`).
fn grace(secs: f64) -> anyhow::Result<Duration> {
    const MAX: f64 = evalkit::card::model::MAX_SECS;
    if !(secs.is_finite() && (0.0..=MAX).contains(&secs)) {
        anyhow::bail!("--grace-secs {secs}: must be a number of seconds from 0 to {MAX} (one day)");
    }
    Ok(Duration::from_secs_f64(secs))
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

fn synth(args: cli::SynthArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .out
        .unwrap_or_else(|| evalkit::synth::default_dir(args.seed));
    let options = evalkit::synth::Options {
        seed: args.seed,
        charts: args.charts,
        questions: args.questions,
    };
    let started = std::time::Instant::now();
    let summary = evalkit::synth::generate(&options, &dir)?;
    let m = &summary.manifest;
    let count = |split: &str| m.by_split.get(split).copied().unwrap_or(0);
    println!(
        "{} charts, {} questions ({} recognition, {} reasoning), seed {}, in {:.1} s",
        m.charts,
        m.items,
        count("recognition"),
        count("reasoning"),
        m.seed,
        started.elapsed().as_secs_f64()
    );
    println!("written to {}", dir.display());
    println!(
        "evaluate: evalkit run --model NAME --suite synthchart --data {}",
        shell_quote(&dir.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
