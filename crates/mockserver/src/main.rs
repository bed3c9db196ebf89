//! The `mockserver` binary: runs the mock OpenAI-compatible server as its own process
//! (for benchmarks), configured from the command line. Prints
//! `listening on http://127.0.0.1:PORT/v1` as its first stdout line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mockserver::{AnswerMode, FaultRule, MockConfig, MockServer};
use serde::Deserialize;

/// A deterministic, fault-injecting OpenAI-compatible chat-completions server bound to
/// 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "mockserver", version)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay before every chat-completion answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer every request with this text (default "mock answer").
    #[arg(long, group = "mode")]
    answer: Option<String>,
    /// Answer with the last user message's text.
    #[arg(long, group = "mode")]
    echo: bool,
    /// JSON file `{"rules": [[needle, answer], ...], "default": "..."}` (a bare list of
    /// pairs is accepted too, with an empty default).
    #[arg(long, group = "mode")]
    rules: Option<PathBuf>,
    /// Probability that a request gets a fault drawn uniformly from: 429, 429 with
    /// Retry-After: 1, 500, 503, malformed JSON, dropped connection, empty choices.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Require `Authorization: Bearer KEY`.
    #[arg(long)]
    api_key: Option<String>,
    /// Answer HTTP 500 when a message's content is a list of parts (like llama.cpp).
    #[arg(long)]
    reject_list_content: bool,
    /// Model id served by GET /v1/models (repeatable; default "mock").
    #[arg(long = "model")]
    models: Vec<String>,
    /// Handle at most this many chat requests at once; answer more at once with
    /// --over-capacity-status (a server of limited capacity).
    #[arg(long)]
    max_in_flight: Option<u64>,
    /// The status of a request over --max-in-flight: 429 or 503.
    #[arg(long, default_value_t = 429)]
    over_capacity_status: u16,
    /// Exit after this many seconds (default: run until Ctrl-C / SIGTERM).
    #[arg(long)]
    exit_after_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RulesFile {
    Full {
        rules: Vec<(String, String)>,
        #[serde(default)]
        default: String,
    },
    Bare(Vec<(String, String)>),
}

fn load_rules(path: &Path) -> Result<AnswerMode, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: RulesFile = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: expected {{\"rules\": [[needle, answer], ...], \"default\": \"...\"}}: {e}",
            path.display()
        )
    })?;
    let (rules, default) = match file {
        RulesFile::Full { rules, default } => (rules, default),
        RulesFile::Bare(rules) => (rules, String::new()),
    };
    Ok(AnswerMode::Rules { rules, default })
}

fn config_from(args: &Args) -> Result<MockConfig, String> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(format!(
            "--fault-rate must be within [0, 1], got {}",
            args.fault_rate
        ));
    }
    let mut config = MockConfig {
        latency: Duration::from_millis(args.latency_ms),
        api_key: args.api_key.clone(),
        reject_list_content: args.reject_list_content,
        ..MockConfig::default()
    };
    if let Some(answer) = &args.answer {
        config.answers = AnswerMode::Fixed(answer.clone());
    } else if args.echo {
        config.answers = AnswerMode::Echo;
    } else if let Some(path) = &args.rules {
        config.answers = load_rules(path)?;
    }
    if args.fault_rate > 0.0 {
        config
            .faults
            .push(FaultRule::random_mix(args.fault_rate, args.fault_seed));
    }
    if !args.models.is_empty() {
        config.model_ids = args.models.clone();
    }
    if let Some(max_in_flight) = args.max_in_flight {
        if max_in_flight == 0 || ![429, 503].contains(&args.over_capacity_status) {
            return Err(format!(
                "--max-in-flight must be positive and --over-capacity-status 429 or 503, got \
                 {max_in_flight} and {}",
                args.over_capacity_status
            ));
        }
        config.capacity = Some(mockserver::Capacity {
            max_in_flight,
            status: args.over_capacity_status,
            retry_after: None,
        });
    }
    Ok(config)
}

async fn wait_for_stop(exit_after: Option<u64>) {
    let timer = async {
        match exit_after {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = timer => {}
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = match config_from(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mockserver: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start_on_port(config, args.port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mockserver: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "listening on {}", server.base_url())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);
    wait_for_stop(args.exit_after_secs).await;
    let stats = server.stats();
    drop(server);
    eprintln!(
        "mockserver: stopping after {} chat requests ({} faults injected, {} over capacity, max {} in flight)",
        stats.requests, stats.faults_injected, stats.over_capacity, stats.max_in_flight
    );
    ExitCode::SUCCESS
}
