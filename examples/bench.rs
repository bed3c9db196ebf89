//! Harness benchmarks (issue targets), run against the in-process mock server with the
//! release `evalkit` binary as a child process so its own wall time and memory are
//! measured. Build first, then run:
//!
//! ```text
//! cargo build --release --examples --bins && cargo run --release --example bench -- overhead   # 5,000 items, 25 KB images, 20 ms, concurrency 64 (or: overhead 2000)
//! cargo run --release --example bench -- bigtsv                              # a 1 GB VLMEvalKit TSV: peak memory
//! cargo run --release --example bench -- rerun                               # re-running a finished 10,000-item run
//! cargo run --release --example bench -- floor                               # a minimal client on the same rig
//! cargo run --release --example bench -- score                               # scoring 1,000,000 predictions per scorer
//! cargo run --release --example bench -- million                             # 1,000,000 PlotQA items at 0 ms, then the re-run
//! cargo run --release --example bench -- c256                                # 10,000 items at concurrency 256, 20 ms (3 repeats)
//! cargo run --release --example bench -- data DIR [ITEMS]                     # write their PlotQA data set into DIR
//! ```
//! Datasets are generated once into `~/.cache/evalkit/bench/` (`million` and `c256`: into a
//! temporary directory; see `bench_scale/`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use mockserver::{MockConfig, MockServer};

/// The allocator the `evalkit` binary uses, so `evalkit-run` measures what it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "bench_scale/mod.rs"]
mod scale;

fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "overhead".into());
    let rest: Vec<String> = std::env::args().skip(2).collect();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match mode.as_str() {
            "overhead" => overhead().await,
            "bigtsv" => bigtsv().await,
            "rerun" => rerun().await,
            "floor" => floor().await,
            "score" => score(),
            "million" => scale::million(&rest).await,
            "c256" => scale::c256(&rest).await,
            // The bare client of `million` and `c256`, run by them as a child process.
            "bare" => scale::bare_main(&rest).await,
            "evalkit-run" => scale::evalkit_run(&rest).await,
            // The scale benchmarks' data set, kept (to profile `evalkit run` on it by hand).
            "data" => scale::write_data(&rest),
            other => anyhow::bail!(
                "unknown benchmark {other}: expected overhead, bigtsv, rerun, floor, score, million or c256"
            ),
        }
    })
}

fn bench_dir() -> PathBuf {
    evalkit::paths::cache_dir().join("bench")
}

/// The release evalkit binary beside this example (target/release/examples/bench).
fn evalkit_bin() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("evalkit"));
    match bin {
        Some(b) if b.exists() => Ok(b),
        _ => anyhow::bail!("build the evalkit binary first: cargo build --release"),
    }
}

/// A PNG of seeded noise, about `side * side * 3` bytes (noise does not compress).
fn noise_png(side: u32, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let b = (state >> 33).to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = Vec::new();
    let _ = image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

/// A VLMEvalKit ChartQA TSV with `n` rows cycling through `distinct` images.
fn make_tsv(path: &Path, n: usize, side: u32, distinct: usize) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let images: Vec<String> = (0..distinct)
        .map(|i| base64::engine::general_purpose::STANDARD.encode(noise_png(side, i as u64)))
        .collect();
    let tmp = path.with_extension("partial");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    writeln!(f, "index\timage\tquestion\tanswer\tsplit")?;
    for i in 0..n {
        let split = if i % 2 == 0 {
            "test_human"
        } else {
            "test_augmented"
        };
        writeln!(
            f,
            "{i}\t{}\tQ{i}: what is the value of the tallest bar?\t45\t{split}",
            images[i % distinct]
        )?;
    }
    f.flush()?;
    drop(f);
    std::fs::rename(tmp, path)?;
    Ok(())
}

struct Measured {
    wall: Duration,
    summary: serde_json::Value,
}

async fn run_evalkit(
    server: &MockServer,
    data: &Path,
    out: &Path,
    concurrency: usize,
) -> anyhow::Result<Measured> {
    let card = out.join("bench-mock.toml");
    std::fs::create_dir_all(out)?;
    std::fs::write(
        &card,
        format!(
            "kind = \"openai\"\nbase_url = \"{}\"\nmodel = \"mock\"\nmax_concurrency = {concurrency}\n",
            server.base_url()
        ),
    )?;
    let bin = evalkit_bin()?;
    let args: Vec<String> = [
        "run",
        "--model",
        card.to_str().unwrap_or(""),
        "--suite",
        "chartqa",
        "--data",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        data.display().to_string(),
        "--out".into(),
        out.join("runs").display().to_string(),
        "--json".into(),
    ])
    .collect();
    let started = Instant::now();
    let output =
        tokio::task::spawn_blocking(move || Command::new(bin).args(args).output()).await??;
    let wall = started.elapsed();
    if !output.status.success() {
        anyhow::bail!(
            "evalkit failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(Measured {
        wall,
        summary: serde_json::from_slice(&output.stdout)?,
    })
}

fn report(name: &str, m: &Measured) {
    let s = &m.summary;
    println!(
        "{name}: wall {:.3}s, answered {}, sent {}, cache hits {}, peak RSS {} MiB",
        m.wall.as_secs_f64(),
        s["counts"]["answered"],
        s["requests"]["sent"],
        s["requests"]["cache_hits"],
        s["peak_rss_mib"]
    );
}

async fn overhead() -> anyhow::Result<()> {
    // `bench -- overhead [ITEMS]`: 5,000 items by default.
    let items: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let (latency_ms, concurrency) = (20u64, 64usize);
    let data = bench_dir().join(format!("overhead-{items}.tsv"));
    make_tsv(&data, items, 90, items)?;
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(latency_ms),
        ..MockConfig::fixed("45")
    })
    .await?;
    let out = tempfile::tempdir()?;
    let m = run_evalkit(&server, &data, out.path(), concurrency).await?;
    report("overhead", &m);
    let ideal = items as f64 * latency_ms as f64 / 1000.0 / concurrency as f64;
    println!(
        "ideal {:.3}s (items x latency / concurrency); ratio {:.3} (target <= 1.10); server saw max {} in flight; data {} MB",
        ideal,
        m.wall.as_secs_f64() / ideal,
        server.stats().max_in_flight,
        std::fs::metadata(&data)?.len() / 1_000_000
    );
    Ok(())
}

async fn bigtsv() -> anyhow::Result<()> {
    // 9,000 rows of ~110 KB base64 each: about 1 GB.
    let data = bench_dir().join("big-1gb.tsv");
    make_tsv(&data, 9_000, 190, 64)?;
    let server = MockServer::start(MockConfig::fixed("45")).await?;
    let out = tempfile::tempdir()?;
    let m = run_evalkit(&server, &data, out.path(), 64).await?;
    report("bigtsv", &m);
    println!(
        "data {} MB (target: peak RSS < 300 MiB)",
        std::fs::metadata(&data)?.len() / 1_000_000
    );
    Ok(())
}

async fn rerun() -> anyhow::Result<()> {
    let data = bench_dir().join("rerun-10000.tsv");
    make_tsv(&data, 10_000, 90, 10_000)?;
    let server = MockServer::start(MockConfig::fixed("45")).await?;
    let out = tempfile::tempdir()?;
    let first = run_evalkit(&server, &data, out.path(), 64).await?;
    report("first run", &first);
    server.reset_stats();
    let again = run_evalkit(&server, &data, out.path(), 64).await?;
    report("re-run", &again);
    println!(
        "re-run sent {} requests to the server (target 0, under 2 s)",
        server.stats().requests
    );
    Ok(())
}

/// The rig's floor: a minimal client (reqwest, bodies built in advance, no data reading,
/// no journal) sending the same 5,000 requests at concurrency 64 to the same server.
/// What evalkit takes beyond this is the harness's own overhead.
async fn floor() -> anyhow::Result<()> {
    // `bench -- floor [ITEMS]`: 5,000 items by default, as `overhead`.
    let items: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let (latency_ms, concurrency) = (20u64, 64usize);
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(latency_ms),
        ..MockConfig::fixed("45")
    })
    .await?;
    let image = base64::engine::general_purpose::STANDARD.encode(noise_png(90, 1));
    let bodies: Vec<Vec<u8>> = (0..items)
        .map(|i| {
            serde_json::to_vec(&serde_json::json!({"model": "mock", "max_tokens": 16, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{image}")}},
                {"type": "text", "text": format!("Q{i}: what is the value of the tallest bar?")}]}]}))
            .unwrap_or_default()
        })
        .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = format!("{}/chat/completions", server.base_url());
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let permit = slots.clone().acquire_owned().await?;
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let r = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            if let Ok(r) = r {
                let _ = r.bytes().await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed().as_secs_f64();
    let ideal = items as f64 * latency_ms as f64 / 1000.0 / concurrency as f64;
    println!(
        "floor: minimal client {wall:.3}s, ideal {ideal:.3}s, ratio {:.3}",
        wall / ideal
    );
    Ok(())
}

/// Scores 1,000,000 predictions with each scorer on one thread (the work of
/// `evalkit report --rescore` once the journal is parsed).
fn score() -> anyhow::Result<()> {
    use evalkit::score::{Gold, by_name};
    use evalkit::suite::Choice;
    const N: usize = 1_000_000;
    let responses = [
        "42",
        "The answer is 17.5.",
        "12%",
        "Yes",
        "no, it is not",
        "(B) 3.5",
        "<CONCLUSION>B</CONCLUSION>",
        "Japan",
    ];
    let choices: Vec<Choice> = ["3.5", "4", "Japan", "17.5"]
        .iter()
        .zip(["A", "B", "C", "D"])
        .map(|(t, l)| Choice {
            label: l.to_string(),
            text: t.to_string(),
        })
        .collect();
    for (name, gold) in [
        (
            "relaxed_accuracy",
            Gold {
                answers: vec!["17.5".into()],
                ..Gold::default()
            },
        ),
        (
            "yes_no",
            Gold {
                answers: vec!["Yes".into()],
                ..Gold::default()
            },
        ),
        (
            "multiple_choice",
            Gold {
                answers: vec!["B".into()],
                choices: choices.clone(),
                ..Gold::default()
            },
        ),
        (
            "mathvista",
            Gold {
                answers: vec!["17.5".into()],
                choices: vec![],
                fields: [
                    ("question_type", "free_form"),
                    ("answer_type", "float"),
                    ("precision", "1"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            },
        ),
    ] {
        let scorer = by_name(name).map_err(anyhow::Error::msg)?;
        let started = Instant::now();
        let mut total = 0.0;
        for i in 0..N {
            let s = scorer.score(&gold, responses[i % responses.len()]);
            total += s
                .metrics
                .get(scorer.primary_metric())
                .copied()
                .unwrap_or(0.0);
        }
        println!(
            "{name}: {N} predictions in {:.3}s ({total} right)",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
