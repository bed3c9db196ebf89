//! The scale benchmarks of issue 15 ("One machine"), each with the bare client beside
//! evalkit in the same run (both as child processes, against the same in-process mock
//! server), so the noise of a shared machine shows in both and the ratios hold:
//!
//! evalkit runs as `bench -- evalkit-run` (the library's `run`, what `evalkit run` calls).
//!
//! - `million [ITEMS]`: a streamed 1,000,000-question PlotQA file at 0 ms latency: peak
//!   RSS, items/s, CPU per item; then the finished run re-run (requests sent, wall time).
//! - `c256 [REPEATS]`: 10,000 items at 20 ms latency and concurrency 256: requests in
//!   flight on average (the server's time-weighted count), wall time against the ideal,
//!   connections the server accepted, CPU per item; medians of the repeats.

mod bare;
mod data;
mod usage;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mockserver::{MockConfig, MockServer, Stats};

pub use bare::main as bare_main;

/// `bench -- evalkit-run CARD DATA OUT`: what `evalkit run --model CARD --suite plotqa
/// --data DATA --out OUT --json` does (the library's run, as the binary calls it, on the
/// same multi-threaded runtime), in a child process of its own.
pub async fn evalkit_run(args: &[String]) -> anyhow::Result<()> {
    let [card, data, out] = args else {
        anyhow::bail!("usage: bench -- evalkit-run CARD DATA OUT");
    };
    let opts = evalkit::run::RunOptions {
        model: card.clone(),
        suite: "plotqa".into(),
        data: Some(data.into()),
        out: out.into(),
        limit: None,
        sample: None,
        seed: 0,
        concurrency: None,
        output: evalkit::run::Output::Json,
        grace: Duration::from_secs(10),
        command: format!("evalkit run --model {card} --suite plotqa --data {data} --out {out}"),
        judge: None,
        strategy: "direct".parse().map_err(anyhow::Error::msg)?,
        shared_cache: false,
        progress_label: None,
        shard: None,
        protocol: Default::default(),
    };
    // On a worker thread, as the binary runs its command.
    let result = tokio::spawn(evalkit::run::run(opts)).await??;
    println!("{}", serde_json::to_string(&result.summary)?);
    Ok(())
}

/// `bench -- data DIR [ITEMS]`: writes the benchmarks' PlotQA data set (official layout)
/// into DIR, for `evalkit run --suite plotqa --data DIR` by hand (profiling).
pub fn write_data(args: &[String]) -> anyhow::Result<()> {
    let Some(dir) = args.first() else {
        anyhow::bail!("usage: bench -- data DIR [ITEMS]");
    };
    let items = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let bytes = data::write(Path::new(dir), items)?;
    println!("{items} questions in {dir} (qa_pairs_V1.json: {bytes} bytes)");
    Ok(())
}

/// One evalkit run: what it cost and its summary.
struct Evalkit {
    child: usage::Child,
    summary: serde_json::Value,
}

/// Runs `evalkit run --suite plotqa` on `data` into `out` against `server`.
async fn evalkit(
    server: &MockServer,
    data: &Path,
    out: &Path,
    concurrency: usize,
) -> anyhow::Result<Evalkit> {
    std::fs::create_dir_all(out)?;
    let card = out.join("bench-mock.toml");
    std::fs::write(
        &card,
        format!(
            "kind = \"openai\"\nbase_url = \"{}\"\nmodel = \"mock\"\nmax_concurrency = {concurrency}\n",
            server.base_url()
        ),
    )?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("evalkit-run")
        .arg(&card)
        .arg(data)
        .arg(out.join("runs"));
    let child = usage::run(command).await?;
    let summary = serde_json::from_slice(&child.output.stdout)?;
    Ok(Evalkit { child, summary })
}

/// The bare client's run and the JSON line it printed.
async fn bare(
    server: &MockServer,
    items: usize,
    concurrency: usize,
) -> anyhow::Result<(usage::Child, serde_json::Value)> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args([
        "bare".to_string(),
        server.base_url(),
        items.to_string(),
        concurrency.to_string(),
    ]);
    let child = usage::run(command).await?;
    let line = serde_json::from_slice(&child.output.stdout)?;
    Ok((child, line))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// `bench -- million [ITEMS]`.
pub async fn million(args: &[String]) -> anyhow::Result<()> {
    let items: usize = args
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let concurrency = 64;
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("plotqa/test");
    let bytes = data::write(&data_dir, items)?;
    println!(
        "million: {items} PlotQA questions streamed from the official layout (qa_pairs_V1.json \
         {} MB, {} distinct {}x{} charts, {} questions per chart), mock server at 0 ms, \
         concurrency {concurrency}",
        bytes / 1_000_000,
        data::IMAGES,
        data::SIDE,
        data::SIDE,
        data::PER_CHART
    );
    let server = MockServer::start(MockConfig::fixed("45")).await?;
    let out = tmp.path().join("out");
    let first = evalkit(&server, &data_dir, &out, concurrency).await?;
    let first_stats = server.stats();
    server.reset_stats();
    let again = evalkit(&server, &data_dir, &out, concurrency).await?;
    let again_requests = server.stats().requests;
    server.reset_stats();
    let (bare_run, bare_line) = bare(&server, items, concurrency).await?;

    let n = items as f64;
    let s = &first.summary;
    let answered = s["counts"]["answered"].as_u64().unwrap_or(0);
    let rss = s["peak_rss_mib"].as_f64().unwrap_or(f64::NAN);
    let rate = n / first.child.wall_s;
    let bare_rate = n / bare_run.wall_s;
    let cpu_us = first.child.cpu_s / n * 1e6;
    let bare_cpu_us = bare_run.cpu_s / n * 1e6;
    println!(
        "evalkit:     wall {:.1} s, {rate:.0} items/s, CPU {:.1} s = {cpu_us:.1} us/item, \
         peak RSS {rss} MiB; answered {answered}, server saw {} requests, {} connections",
        first.child.wall_s, first.child.cpu_s, first_stats.requests, first_stats.connections
    );
    println!(
        "bare client: wall {:.1} s, {bare_rate:.0} items/s, CPU {:.1} s = {bare_cpu_us:.1} \
         us/item, peak RSS {} MiB; answered {}",
        bare_run.wall_s, bare_run.cpu_s, bare_line["peak_rss_mib"], bare_line["answered"]
    );
    println!(
        "evalkit / bare client: wall {:.2}x, CPU per item {:.2}x",
        first.child.wall_s / bare_run.wall_s,
        cpu_us / bare_cpu_us
    );
    let again_sent = again.summary["requests"]["sent"]
        .as_u64()
        .unwrap_or(u64::MAX);
    println!(
        "re-run of the finished run: wall {:.1} s, CPU {:.1} s, peak RSS {} MiB, requests \
         sent {again_sent} (server saw {again_requests})",
        again.child.wall_s, again.child.cpu_s, again.summary["peak_rss_mib"]
    );
    println!(
        "targets: peak RSS < 150 MiB: {} ({rss} MiB); >= 5,000 items/s: {} ({rate:.0}); \
         re-run 0 requests: {} ({again_requests}); re-run < 20 s: {} ({:.1} s)",
        verdict(rss < 150.0),
        verdict(rate >= 5000.0),
        verdict(again_requests == 0 && again_sent == 0),
        verdict(again.child.wall_s < 20.0),
        again.child.wall_s
    );
    Ok(())
}

/// What one client did at concurrency 256.
struct C256 {
    wall_s: f64,
    cpu_s: f64,
    stats: Stats,
}

/// `bench -- c256 [REPEATS]`.
pub async fn c256(args: &[String]) -> anyhow::Result<()> {
    let repeats: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(3);
    let (items, concurrency, latency_ms) = (10_000usize, 256usize, 20u64);
    let ideal = items as f64 / concurrency as f64 * latency_ms as f64 / 1000.0;
    let tmp = tempfile::tempdir()?;
    let data_dir = tmp.path().join("plotqa/test");
    data::write(&data_dir, items)?;
    println!(
        "c256: {items} PlotQA questions, mock server at {latency_ms} ms, concurrency \
         {concurrency}, ideal {ideal:.3} s (items / concurrency x latency); {repeats} \
         interleaved repeats"
    );
    let server = MockServer::start(MockConfig {
        latency: Duration::from_millis(latency_ms),
        ..MockConfig::fixed("45")
    })
    .await?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for r in 0..repeats {
        server.reset_stats();
        let out = tmp.path().join(format!("out-{r}"));
        let run = evalkit(&server, &data_dir, &out, concurrency).await?;
        let ev = C256 {
            wall_s: run.child.wall_s,
            cpu_s: run.child.cpu_s,
            stats: server.stats(),
        };
        let _ = std::fs::remove_dir_all(&out);
        server.reset_stats();
        let (child, _) = bare(&server, items, concurrency).await?;
        let bc = C256 {
            wall_s: child.wall_s,
            cpu_s: child.cpu_s,
            stats: server.stats(),
        };
        for (name, m) in [("evalkit", &ev), ("bare client", &bc)] {
            println!(
                "  {r}: {name:<11} wall {:.3} s ({:.2}x ideal; server busy {:.3} s), {:.1} in \
                 flight on average (max {}), {} connections, {} requests, CPU {:.1} us/item",
                m.wall_s,
                m.wall_s / ideal,
                m.stats.busy_s,
                m.stats.mean_in_flight(),
                m.stats.max_in_flight,
                m.stats.connections,
                m.stats.requests,
                m.cpu_s / items as f64 * 1e6
            );
        }
        ours.push(ev);
        theirs.push(bc);
    }
    let med = |v: &[C256], f: fn(&C256) -> f64| median(v.iter().map(f).collect());
    let row = |v: &[C256]| {
        (
            med(v, |m| m.wall_s),
            med(v, |m| m.stats.mean_in_flight()),
            med(v, |m| m.stats.connections as f64),
            med(v, |m| m.cpu_s / 10_000.0 * 1e6),
        )
    };
    let (wall, in_flight, connections, cpu) = row(&ours);
    let (b_wall, b_in_flight, b_connections, b_cpu) = row(&theirs);
    println!(
        "medians of {repeats}:        evalkit      bare client  evalkit/bare  target (evalkit)"
    );
    println!(
        "  wall / ideal          {:>8.2}x    {:>8.2}x    {:>8.2}      <= 1.35x: {}",
        wall / ideal,
        b_wall / ideal,
        wall / b_wall,
        verdict(wall / ideal <= 1.35)
    );
    println!(
        "  mean in flight        {in_flight:>9.1}    {b_in_flight:>9.1}    {:>8.2}      >= 230: {}",
        in_flight / b_in_flight,
        verdict(in_flight >= 230.0)
    );
    println!(
        "  connections           {connections:>9}    {b_connections:>9}    {:>8.2}      <= {concurrency}: {}",
        connections / b_connections,
        verdict(connections <= concurrency as f64)
    );
    println!(
        "  CPU per item (us)     {cpu:>9.1}    {b_cpu:>9.1}    {:>8.2}",
        cpu / b_cpu
    );
    Ok(())
}
