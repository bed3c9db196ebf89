//! The decoupling report and the viewer in a real browser: Debian's chromium, driven over
//! WebDriver by its chromedriver on 127.0.0.1 (installed by `scripts/setup.sh`). The
//! report loads with no console errors, every section is there and its images decode;
//! the viewer's list loads, filtering to "wrong" shows exactly the wrong items, an item
//! page shows its image and calls, and the side-by-side page lists the flipped items.
//! Every process started here is stopped by its PID. Without chromium the tests say so
//! and pass (CI installs it).

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use mockserver::{AnswerMode, MockConfig, MockServer};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process (in its own process group, with the chromium it starts) and a
/// headless session. `stop` ends the session; dropping kills the group, also on a panic.
struct Browser {
    driver: Child,
    client: Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.driver.id() as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.driver.wait();
    }
}

/// Kills a child (the viewer) when dropped, also on a panic.
struct Stop(Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    async fn start() -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists()
        {
            // A missing browser is a failed test, never a silent skip: setup.sh installs it.
            panic!("{CHROMEDRIVER} or {CHROMIUM} is missing: run scripts/setup.sh");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,2000"]
            }),
        );
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({"browser": "ALL"}),
        );
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Browser { driver, client }),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("chromedriver did not start on port {port}");
    }

    async fn stop(self) {
        let _ = self.client.clone().close().await;
    }

    /// The browser console's entries of level SEVERE since the last call.
    async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap_or_default();
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many images are on the page, and how many decoded.
    async fn images(&self) -> (u64, u64) {
        let v = self
            .client
            .execute(
                "const i=[...document.images];return [i.length,i.filter(x=>x.complete&&x.naturalWidth>0).length];",
                vec![],
            )
            .await
            .unwrap();
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    }

    async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }
}

/// chromedriver's `POST /session/{id}/se/log` (browser console entries).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// Runs `args` of evalkit in `cwd` against the ChartQA fixture with one mock model card per
/// (name, rules) and returns the cards.
async fn mock(
    name: &str,
    rules: Vec<(String, String)>,
    tmp: &std::path::Path,
    extra: &str,
) -> (MockServer, std::path::PathBuf) {
    let server = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules,
            default: "unknown".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(tmp, name, &server.base_url(), extra);
    (server, card)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_renders_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (_vlm, vlm) = mock("vlm", vec![], tmp.path(), "max_concurrency = 1\n").await;
    let (_llm, llm) = mock(
        "llm",
        vec![("Characteristic,".into(), "45".into())],
        tmp.path(),
        "content = \"text\"\n",
    )
    .await;
    let perception = format!("{},gold-table,none", vlm.display());
    let out = evalkit_async(
        tmp.path(),
        &[
            "decouple",
            "--suite",
            "chartqa",
            "--data",
            fixture("chartqa/json/test").to_str().unwrap(),
            "--perception",
            &perception,
            "--reasoning",
            llm.to_str().unwrap(),
            "--e2e",
            vlm.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    ok(&out);
    let html = stderr(&out)
        .lines()
        .find_map(|l| l.strip_prefix("report: ").map(str::to_string))
        .expect("the report's path is printed");
    browser
        .client
        .goto(&format!("file://{}", tmp.path().join(html).display()))
        .await
        .unwrap();
    for section in [
        "matrix",
        "verdicts",
        "breakdowns",
        "scatter",
        "attribution",
        "gallery",
        "runs",
    ] {
        assert_eq!(
            browser.count(&format!("section#{section}")).await,
            1,
            "{section}"
        );
    }
    assert!(browser.count("table.heat td").await >= 3);
    assert!(browser.count("svg.bars").await >= 1 && browser.count("svg.scatter circle").await >= 1);
    let (images, decoded) = browser.images().await;
    assert!(images >= 1, "the gallery embeds charts");
    assert_eq!(images, decoded, "every image decodes");
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_works_in_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    let mut servers = Vec::new();
    for (name, answer) in [("smart", "45"), ("blank", "unknown")] {
        let (server, card) = mock(
            name,
            vec![("tallest bar".into(), answer.into())],
            tmp.path(),
            "",
        )
        .await;
        servers.push(server);
        let out_dir = tmp.path().join(format!("runs-{name}"));
        ok(&evalkit_async(
            tmp.path(),
            &[
                "run",
                "--model",
                card.to_str().unwrap(),
                "--suite",
                "chartqa",
                "--data",
                fixture("chartqa/json/test").to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ],
            &[],
        )
        .await);
        dirs.push(run_dir(&out_dir));
    }
    let mut viewer = Command::new(env!("CARGO_BIN_EXE_evalkit"))
        .args(["view", "--port", "0"])
        .args(&dirs)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(viewer.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let viewer = Stop(viewer);
    let base = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .map(|a| format!("http://{a}"))
        .unwrap();
    let c = &browser.client;
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(browser.count("tr.run").await, 2);
    // Open the run of "smart" from the list, then filter to wrong by clicking.
    let links = c.find_all(Locator::Css("tr.run a")).await.unwrap();
    let mut smart = None;
    for l in links {
        if l.text().await.unwrap().contains("smart") {
            smart = Some(l);
        }
    }
    smart.expect("smart is listed").click().await.unwrap();
    c.find(Locator::Css("#classes a.wrong"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut shown = Vec::new();
    for row in c.find_all(Locator::Css("tr.item")).await.unwrap() {
        shown.push(row.attr("data-id").await.unwrap().unwrap());
    }
    let mut expected: Vec<String> = predictions(&dirs[0])
        .iter()
        .filter(|r| r["metrics"]["relaxed_accuracy"].as_f64() != Some(1.0))
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected, "exactly the wrong items");
    c.find(Locator::Css("tr.item a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let (images, decoded) = browser.images().await;
    assert!(images >= 1 && images == decoded, "the item's image decodes");
    assert!(browser.count("tr.call").await >= 1, "its calls are listed");
    c.goto(&format!("{base}/")).await.unwrap();
    c.find(Locator::Css("#pairs a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        browser.count("tr.flipped").await,
        3,
        "the three flipped items"
    );
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.stop().await;
    drop(viewer);
}
