//! Decoupled evaluation end to end: a perception model (a mock VLM) describes each chart,
//! a text-only reasoning model (a mock LLM) answers from the description; descriptions
//! are cached and reused by the next reasoning model; `none` is the blind baseline; the
//! query-specific instruction carries what the reasoning model says must be observed.

mod common;

use common::*;

const DESCRIPTION: &str = "A bar chart. The tallest bar is 45.";

async fn servers() -> (MockServer, MockServer) {
    let vlm = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            // The query-specific instruction carries the LLM's observation list.
            rules: vec![("bar heights".into(), format!("{DESCRIPTION} (specific)"))],
            default: DESCRIPTION.into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let llm = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules: vec![
                (
                    "list the visual information".into(),
                    "the bar heights".into(),
                ),
                ("The tallest bar is 45".into(), "45".into()),
            ],
            default: "unknown".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    (vlm, llm)
}

fn run_args<'a>(vlm: &'a str, llm: &'a str, data: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--suite",
        "chartqa",
        "--data",
        data,
        "--perception",
        vlm,
        "--reasoning",
        llm,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn perception_then_reasoning_with_cached_descriptions() {
    let (vlm, llm) = servers().await;
    let tmp = tempfile::tempdir().unwrap();
    // One request at a time: items sharing a chart then share one description exactly.
    let vlm_card = model_card(tmp.path(), "vlm", &vlm.base_url(), "max_concurrency = 1\n");
    let llm_card = model_card(tmp.path(), "llm", &llm.base_url(), "content = \"text\"\n");
    let data = fixture("chartqa/tsv/ChartQA_TEST.tsv");
    let (v, l, d) = (
        vlm_card.to_str().unwrap(),
        llm_card.to_str().unwrap(),
        data.to_str().unwrap(),
    );
    ok(&evalkit_async(tmp.path(), &run_args(v, l, d, &[]), &[]).await);
    let dir = tmp.path().join("runs/chartqa/vlm-to-llm");
    let run = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // Every item answers 45: right for the three "tallest bar" items of eight.
    let s = summary(&run);
    assert_eq!(
        s["scores"]["overall"]["metrics"]["relaxed_accuracy"], 37.5,
        "{s:#}"
    );
    assert_eq!(s["counts"]["answered"], 8);
    for r in predictions(&run) {
        assert_eq!(
            r["calls"].as_array().unwrap().len(),
            2,
            "perception + reasoning: {r}"
        );
        assert_eq!(r["calls"][0]["response"], DESCRIPTION);
    }
    // Eight items over six distinct charts: six descriptions. The VLM saw the image; the
    // LLM saw only text, with the description in it.
    assert_eq!(vlm.stats().requests, 6);
    let seen = vlm.stats().last_body().unwrap().clone();
    assert!(
        seen["messages"][0]["content"][0]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png")
    );
    assert!(
        seen["messages"][0]["content"][1]["text"]
            .as_str()
            .unwrap()
            .starts_with("Describe the fine-grained content")
    );
    let asked = llm.stats().last_body().unwrap().clone();
    let text = asked["messages"][0]["content"]
        .as_str()
        .expect("plain text for the reasoning model");
    assert!(
        text.contains(DESCRIPTION)
            && text.contains("Answer the question using a single word or phrase."),
        "{text}"
    );

    // A second reasoning model reuses every description: no perception request.
    vlm.reset_stats();
    let llm2 = MockServer::start(MockConfig::fixed("45")).await.unwrap();
    // One request at a time, so the three identical "tallest bar" prompts (same question,
    // same description) are sent once and answered twice from the run's memory cache.
    let llm2_card = model_card(
        tmp.path(),
        "llm2",
        &llm2.base_url(),
        "content = \"text\"\nmax_concurrency = 1\n",
    );
    ok(&evalkit_async(
        tmp.path(),
        &run_args(v, llm2_card.to_str().unwrap(), d, &[]),
        &[],
    )
    .await);
    assert_eq!(vlm.stats().requests, 0, "descriptions come from the cache");
    assert_eq!(llm2.stats().requests, 6);

    // The blind baseline: no description at all.
    llm.reset_stats();
    ok(&evalkit_async(tmp.path(), &run_args("none", l, d, &[]), &[]).await);
    let blind = tmp.path().join("runs/chartqa/none-to-llm");
    let blind_run = std::fs::read_dir(&blind)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        summary(&blind_run)["scores"]["overall"]["metrics"]["relaxed_accuracy"],
        0.0
    );
    assert!(
        llm.stats().last_body().unwrap()["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("(no description is available)")
    );

    // Query-specific: the LLM first lists what to observe; the VLM is told to report it.
    vlm.reset_stats();
    ok(&evalkit_async(
        tmp.path(),
        &run_args(v, l, d, &["--instruction", "specific"]),
        &[],
    )
    .await);
    assert_eq!(vlm.stats().requests, 6);
    let instruction = vlm.stats().last_body().unwrap()["messages"][0]["content"][1]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        instruction.contains("make sure to report the following:\nthe bar heights"),
        "{instruction}"
    );
}

#[test]
fn model_and_reasoning_are_exclusive_and_perception_needs_reasoning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--suite",
            "chartqa",
            "--model",
            "openai",
            "--reasoning",
            "llamacpp",
            "--perception",
            "none",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let out = evalkit(
        tmp.path(),
        &["run", "--suite", "chartqa", "--perception", "none"],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--reasoning"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn decouple_writes_the_matrix_deltas_and_attribution() {
    let (vlm, _) = servers().await;
    // The reasoning model answers 45 from the gold table or the VLM's description, and
    // "unknown" with no description.
    let llm = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules: vec![
                ("Characteristic,".into(), "45".into()),
                ("The tallest bar is 45".into(), "45".into()),
            ],
            default: "unknown".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let vlm_card = model_card(tmp.path(), "vlm", &vlm.base_url(), "max_concurrency = 1\n");
    let llm_card = model_card(tmp.path(), "llm", &llm.base_url(), "content = \"text\"\n");
    let data = fixture("chartqa/json/test");
    let perception = format!("{},gold-table,none", vlm_card.display());
    let out = evalkit_async(
        tmp.path(),
        &[
            "decouple",
            "--suite",
            "chartqa",
            "--data",
            data.to_str().unwrap(),
            "--perception",
            &perception,
            "--reasoning",
            llm_card.to_str().unwrap(),
            "--e2e",
            vlm_card.to_str().unwrap(),
            "--json",
        ],
        &[],
    )
    .await;
    ok(&out);
    let r: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // Answering 45 is right for the three "tallest bar" items of eight: 37.5.
    assert_eq!(r["matrix"]["vlm"]["llm"], 37.5, "{r:#}");
    assert_eq!(r["matrix"]["gold-table"]["llm"], 37.5);
    assert_eq!(r["matrix"]["none"]["llm"], 0.0);
    // End to end, the mock VLM answers with its description: never right.
    assert_eq!(r["end_to_end"]["vlm"], 0.0);
    assert_eq!(
        r["by_category"]["human"]["gold-table"]["llm"], 40.0,
        "2 of 5 human items"
    );
    // Attribution against the gold table: the blind baseline loses the 3 items the
    // oracle gets right (perception errors); 5 are wrong even with the table.
    let none = r["attribution"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["perception"] == "none")
        .unwrap();
    assert_eq!(
        (
            none["n"].as_u64(),
            none["correct"].as_u64(),
            none["perception_errors"].as_u64(),
            none["reasoning_errors"].as_u64()
        ),
        (Some(8), Some(0), Some(3), Some(5))
    );
    let seeing = r["attribution"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["perception"] == "vlm")
        .unwrap();
    assert_eq!(
        (
            seeing["correct"].as_u64(),
            seeing["perception_errors"].as_u64(),
            seeing["reasoning_errors"].as_u64()
        ),
        (Some(3), Some(0), Some(5))
    );
    let dir = std::fs::read_dir(tmp.path().join("runs/chartqa"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("decouple-")
        })
        .unwrap();
    let html = std::fs::read_to_string(dir.join("decouple.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("gold-table") && !html.contains("<script"),
        "self-contained page with plots"
    );
    assert!(
        std::fs::read_to_string(dir.join("decouple.md"))
            .unwrap()
            .contains("| gold-table | 37.5 |")
    );
    // The VLM's row carries its end-to-end score; it is held back by thinking here (the
    // gold table does no better than its description with the same reasoning model).
    let delta = r["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["model"] == "vlm")
        .unwrap();
    assert_eq!(delta["end_to_end"], 0.0);
    assert_eq!(delta["best_decoupled"], 37.5);
    assert_eq!(delta["perception_gap"], 0.0);
    assert_eq!(delta["reasoning_gap"], 62.5);
    assert!(delta["verdict"].as_str().unwrap().contains("thinking"));
    // Every perception source gets a verdict (not only VLMs), with a paired test.
    let blind = r["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["model"] == "none")
        .unwrap();
    assert!(blind["verdict"].as_str().unwrap().contains("McNemar"));
    // Cells carry n and the interval; every breakdown column; the instruction; run links.
    assert_eq!(r["cells"]["gold-table"]["llm"]["n"], 8);
    assert!(r["cells"]["gold-table"]["llm"]["ci95"].as_f64().unwrap() > 0.0);
    assert_eq!(
        r["breakdowns"]["split"]["human"]["gold-table"]["llm"]["score"],
        40.0
    );
    assert_eq!(r["instruction"], "agnostic");
    assert_eq!(r["runs"].as_array().unwrap().len(), 4);
    // gold-table vs none: 3 items right only with the table, none the other way;
    // p = 2 / 2^3 = 0.25.
    let paired = r["paired"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["first"] == "gold-table" && p["second"] == "none")
        .unwrap();
    assert_eq!(
        (
            paired["only_first"].as_u64(),
            paired["only_second"].as_u64()
        ),
        (Some(3), Some(0))
    );
    assert!((paired["p_value"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    // The gallery: reasoning errors (wrong even with the gold table), with the chart
    // embedded in the page, the question, and each source's description and answer.
    let gallery = r["gallery"].as_array().unwrap();
    assert!(gallery.iter().any(|g| g["kind"] == "reasoning error"));
    assert!(
        gallery[0]["question"]
            .as_str()
            .is_some_and(|q| !q.is_empty())
    );
    assert_eq!(gallery[0]["answers"].as_array().unwrap().len(), 3);
    for section in [
        "matrix",
        "verdicts",
        "breakdowns",
        "scatter",
        "attribution",
        "gallery",
        "runs",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\"")),
            "{section}"
        );
    }
    assert!(html.contains("<img alt=\"chart of item") && html.contains("data:image/png;base64,"));
    assert!(html.contains("n=8"));
    // A leaderboard over the grid ranks each perception source as its own system: none is
    // superseded by another or marked not comparable for its sources.
    let board = tmp.path().join("board");
    ok(&evalkit_async(
        tmp.path(),
        &["leaderboard", "runs", "--out", board.to_str().unwrap()],
        &[],
    )
    .await);
    let board: serde_json::Value =
        serde_json::from_slice(&std::fs::read(board.join("leaderboard.json")).unwrap()).unwrap();
    let chartqa = board["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["suite"] == "chartqa")
        .unwrap();
    let mut ranked: Vec<&str> = chartqa["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["comparable"] == true)
        .map(|e| e["model"].as_str().unwrap())
        .collect();
    ranked.sort_unstable();
    assert_eq!(
        ranked,
        [
            "llm (decoupled from gold-table)",
            "llm (decoupled from none)",
            "llm (decoupled from vlm)"
        ],
        "{board:#}"
    );
}
