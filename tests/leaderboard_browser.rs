//! The leaderboard page in a real browser: Debian's chromium, headless, driven over
//! WebDriver (chromedriver on a free 127.0.0.1 port, stopped by its PID at the end) from
//! fantoccini. The page must load with no console errors, list every model, and sort a
//! column when its header is clicked. `scripts/setup.sh` installs chromium and
//! chromium-driver.

mod board;
mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{ClientBuilder, Locator};

/// chromedriver, killed by PID when dropped (also when the test fails), with the
/// chromium processes it started for this test: those whose command line names this
/// test's own profile directory (a session not closed leaves them behind).
struct Driver {
    child: Child,
    port: u16,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let needle = format!("--user-data-dir={}", self.profile.display());
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if String::from_utf8_lossy(&cmdline)
                .split('\0')
                .any(|arg| arg == needle)
            {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver(profile: &std::path::Path) -> Driver {
    for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(bin).exists(),
            "{bin} is missing: run `bash scripts/setup.sh` (installs chromium and chromium-driver)"
        );
    }
    let port = free_port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        port,
        profile: profile.to_path_buf(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on 127.0.0.1:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

async fn column_texts(client: &fantoccini::Client, col: usize) -> Vec<String> {
    let mut out = Vec::new();
    for row in client
        .find_all(Locator::Css("table.board tbody tr"))
        .await
        .unwrap()
    {
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        out.push(cells[col].text().await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_loads_lists_every_model_and_sorts() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let b = board::make(cwd).await;
    let lb = cwd.join("lb");
    ok(&evalkit(
        cwd,
        &[
            "leaderboard",
            b.runs.to_str().unwrap(),
            "--out",
            lb.to_str().unwrap(),
            "--resamples",
            "300",
        ],
        &[],
    ));
    let page = lb.join("leaderboard.html");

    let profile = cwd.join("chromium-profile");
    let driver = start_driver(&profile);
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless chromium");
    client
        .goto(&format!("file://{}", page.display()))
        .await
        .unwrap();

    // Every model is listed.
    let models = column_texts(&client, 1).await;
    assert_eq!(models, ["strong", "twin", "weak"]);
    assert_eq!(column_texts(&client, 0).await, ["1=", "1=", "3"]);

    // Clicking the score header sorts ascending, clicking again descending.
    let headers = client
        .find_all(Locator::Css("table.board th"))
        .await
        .unwrap();
    headers[2].click().await.unwrap();
    assert_eq!(column_texts(&client, 1).await[0], "weak");
    headers[2].click().await.unwrap();
    assert_eq!(column_texts(&client, 1).await[2], "weak");
    // Text columns sort too.
    headers[1].click().await.unwrap();
    assert_eq!(column_texts(&client, 1).await, ["strong", "twin", "weak"]);
    headers[1].click().await.unwrap();
    assert_eq!(column_texts(&client, 1).await, ["weak", "twin", "strong"]);

    // No console errors (chromedriver's browser log).
    let session = client.session_id().await.unwrap().expect("session id");
    // evalkit's reqwest is built without a default TLS provider (loopback HTTP needs none,
    // but the client insists on one).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let log: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/session/{session}/se/log",
            driver.port
        ))
        .json(&serde_json::json!({"type": "browser"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log["value"].as_array().expect("browser log entries");
    let errors: Vec<&serde_json::Value> =
        entries.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    client.close().await.unwrap();
    drop(driver);
}
