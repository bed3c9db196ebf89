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
    match runtime.block_on(dispatch(cli.command)) {
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
        Command::Ablate(args) => ablate(args).await,
    }
}

fn report(args: cli::ReportArgs) -> anyhow::Result<ExitCode> {
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
    let result = evalkit::run::run(RunOptions {
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
    })
    .await?;
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
            Output::Quiet
        },
        grace: Duration::from_secs(10),
        command,
        judge: args.judge,
        strategy: StrategySpec::Direct,
        shared_cache: false,
    };
    let (report, dir) = evalkit::run::decouple::decouple(evalkit::run::decouple::DecoupleOptions {
        base,
        instruction: args.instruction,
        perception: args.perception,
        reasoning: args.reasoning,
        e2e: args.e2e,
    })
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", evalkit::report::decouple::terminal::render(&report));
    }
    eprintln!("report: {}/decouple.{{md,json,html}}", dir.display());
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
            Output::Quiet
        },
        grace: Duration::from_secs(10),
        command,
        judge: None,
        strategy: StrategySpec::Direct,
        shared_cache: true,
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
