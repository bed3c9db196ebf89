//! `evalkit view` on a 100,000-item run, measured from outside: the release `evalkit`
//! binary serves the run on 127.0.0.1 and this example times its pages over HTTP and reads
//! the server's peak RSS (VmHWM) from /proc. Build first, then run:
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_view
//! ```
//!
//! The run is made once, by `evalkit run` against the in-process mock server (a ChartQA
//! TSV of 100,000 rows with small images; a quarter of the golds are the mock's answer),
//! into `~/.cache/evalkit/bench/view-100000/`. Each of three rounds starts a fresh viewer,
//! so its first page builds the run's index from the journal (cold for the viewer, the
//! file itself in the page cache).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use base64::Engine;
use mockserver::{MockConfig, MockServer};

const N: usize = 100_000;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(bench())
}

/// The release evalkit binary beside this example (target/release/examples/bench_view).
fn evalkit_bin() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    match exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("evalkit"))
    {
        Some(b) if b.exists() => Ok(b),
        _ => anyhow::bail!("build the evalkit binary first: cargo build --release"),
    }
}

/// A small PNG of one colour (the viewer never decodes it; the run sends it).
fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([seed, 255 - seed, 128]));
    let mut out = Vec::new();
    let _ = image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png);
    out
}

fn make_tsv(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let images: Vec<String> = (0..16u8)
        .map(|i| base64::engine::general_purpose::STANDARD.encode(png(i * 16)))
        .collect();
    let tmp = path.with_extension("partial");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    writeln!(f, "index\timage\tquestion\tanswer\tsplit")?;
    for i in 0..N {
        let split = if i % 2 == 0 {
            "test_human"
        } else {
            "test_augmented"
        };
        let answer = if i % 4 == 0 {
            "45".to_string()
        } else {
            (i % 1000).to_string()
        };
        writeln!(
            f,
            "{i}\t{}\tQ{i}: what is the value of the tallest bar?\t{answer}\t{split}",
            images[i % images.len()]
        )?;
    }
    f.flush()?;
    drop(f);
    std::fs::rename(tmp, path)?;
    Ok(())
}

/// The run directory under `out` (the one holding a summary).
fn find_run(out: &Path) -> Option<PathBuf> {
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join("summary.json").exists() {
            return Some(dir);
        }
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    None
}

async fn make_run(data: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    if let Some(run) = find_run(out) {
        return Ok(run);
    }
    let server = MockServer::start(MockConfig::fixed("45")).await?;
    std::fs::create_dir_all(out)?;
    let card = out.join("bench-mock.toml");
    std::fs::write(
        &card,
        format!(
            "kind = \"openai\"\nbase_url = \"{}\"\nmodel = \"mock\"\nmax_concurrency = 64\n",
            server.base_url()
        ),
    )?;
    let (bin, data, runs) = (evalkit_bin()?, data.to_path_buf(), out.join("runs"));
    println!("making the 100,000-item run (once) ...");
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .arg("run")
            .arg("--model")
            .arg(&card)
            .args(["--suite", "chartqa", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&runs)
            .output()
    })
    .await??;
    if !output.status.success() {
        anyhow::bail!(
            "evalkit run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    println!("  made in {:.1}s", started.elapsed().as_secs_f64());
    find_run(out).ok_or_else(|| anyhow::anyhow!("no run directory under {}", out.display()))
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The `data-id`s of a table page's rows.
fn ids(html: &str) -> Vec<String> {
    html.split("<tr class=\"item")
        .skip(1)
        .filter_map(|row| row.split("data-id=\"").nth(1)?.split('"').next())
        .map(str::to_string)
        .collect()
}

/// A search page's "more" link's `from`.
fn more_from(html: &str) -> Option<String> {
    let link = html
        .split("rel=\"next\" href=\"")
        .nth(1)?
        .split('"')
        .next()?;
    let from = link.split("from=").nth(1)?;
    Some(from.split('&').next()?.to_string())
}

async fn bench() -> anyhow::Result<()> {
    let dir = evalkit::paths::cache_dir().join("bench");
    let data = dir.join(format!("view-{N}.tsv"));
    make_tsv(&data)?;
    let run = make_run(&data, &dir.join(format!("view-{N}"))).await?;
    let journal = run.join("predictions.jsonl");
    println!(
        "run {} (journal {} MB)",
        run.display(),
        std::fs::metadata(&journal)?.len() / 1_000_000
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    for round in 1..=3 {
        let mut viewer = Command::new(evalkit_bin()?)
            .args(["view", "--port", "0"])
            .arg(&run)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        if let Some(err) = viewer.stderr.take() {
            BufReader::new(err).read_line(&mut line)?;
        }
        let base = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .map(|a| format!("http://{a}"));
        let result = async {
            let base = base.ok_or_else(|| anyhow::anyhow!("no address in {line:?}"))?;
            let get = |path: String| {
                let (client, url) = (client.clone(), format!("{base}{path}"));
                async move {
                    let started = Instant::now();
                    let r = client.get(&url).send().await?.error_for_status()?;
                    let body = r.text().await?;
                    anyhow::Ok((started.elapsed().as_secs_f64() * 1000.0, body))
                }
            };
            println!("round {round}:");
            let (ms, first) = get("/runs/0".into()).await?;
            println!("  first page (cold: builds the index)        {ms:8.1} ms");
            let (ms, _) = get("/runs/0".into()).await?;
            println!("  first page again                           {ms:8.1} ms");
            for (what, path) in [
                ("class=wrong", "/runs/0?class=wrong"),
                ("class=right, page 300", "/runs/0?class=right&page=300"),
                (
                    "split=test_human, page 900",
                    "/runs/0?field=split%3Dtest_human&page=900",
                ),
                (
                    "wrong + split=test_augmented, p. 500",
                    "/runs/0?class=wrong&field=split%3Dtest_augmented&page=500",
                ),
                ("all, last page", "/runs/0?page=2000"),
            ] {
                let (ms, _) = get(path.into()).await?;
                println!("  filtered: {what:<36} {ms:6.1} ms");
            }
            let (ms, html) = get("/runs/0?q=nothing-matches-this".into()).await?;
            anyhow::ensure!(html.contains("0 matching items"), "the rare search matched");
            println!("  search, no match (reads every record)      {ms:8.1} ms");
            let (ms, html) = get("/runs/0?q=9999".into()).await?;
            let n = ids(&html).len();
            println!("  search \"9999\" ({n} matches, whole run)      {ms:8.1} ms");
            let (ms, html) = get("/runs/0?q=45".into()).await?;
            println!("  search \"45\", first page (stops when full)  {ms:8.1} ms");
            let from = more_from(&html).ok_or_else(|| anyhow::anyhow!("no 'more' link"))?;
            let (ms, _) = get(format!("/runs/0?q=45&from={from}")).await?;
            println!("  search \"45\", its next page                 {ms:8.1} ms");
            let early = ids(&first).first().cloned().unwrap_or_default();
            let (_, last) = get("/runs/0?page=2000".into()).await?;
            let late = ids(&last).last().cloned().unwrap_or_default();
            for (what, id) in [("first item", early), ("last item", late)] {
                let (ms, html) = get(format!(
                    "/runs/0/items/{}",
                    evalkit::view::links::encode(&id)
                ))
                .await?;
                anyhow::ensure!(html.contains("<img"), "no image on the page of {id}");
                println!("  item page, {what:<10} (re-reads the data) {ms:8.1} ms");
            }
            if let Some(rss) = peak_rss_mib(viewer.id()) {
                println!("  viewer peak RSS                            {rss:8.1} MiB");
            }
            anyhow::Ok(())
        }
        .await;
        // Stop the viewer this round started, by its PID.
        let _ = viewer.kill();
        let _ = viewer.wait();
        result?;
    }
    Ok(())
}
