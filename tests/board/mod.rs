//! Runs for the comparison, leaderboard and export tests: the synthetic suite (12
//! charts, 48 questions) evaluated by three mock models on 127.0.0.1: `strong` answers
//! every question right, `twin` is the same as `strong`, and `weak` answers only the
//! recognition questions right.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::*;

pub struct Board {
    pub runs: PathBuf,
    pub strong: PathBuf,
    pub twin: PathBuf,
    pub weak: PathBuf,
}

fn questions(dir: &Path) -> Vec<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(dir.join("questions.json")).unwrap()).unwrap()
}

async fn run(cwd: &Path, data: &Path, card: &Path, out: &Path) -> PathBuf {
    let o = evalkit_async(
        cwd,
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "synthchart",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        &[
            ("EVALKIT_DATA", data.to_str().unwrap()),
            ("EVALKIT_TEST_KEY", "k"),
        ],
    )
    .await;
    ok(&o);
    let stem = card.file_stem().unwrap().to_str().unwrap();
    let model_dir = out.join("synthchart").join(stem);
    std::fs::read_dir(&model_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// Generates the suite and runs the three models into `cwd/runs`.
pub async fn make(cwd: &Path) -> Board {
    let data = cwd.join("data");
    let o = evalkit_async(
        cwd,
        &["synth", "--seed", "0", "--charts", "12"],
        &[("EVALKIT_DATA", data.to_str().unwrap())],
    )
    .await;
    ok(&o);
    let entries = questions(&data.join("synthchart/seed-0"));
    let all: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["question"].as_str().unwrap().to_string(),
                e["answer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let recognition: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e["split"] == "recognition")
        .map(|e| {
            (
                e["question"].as_str().unwrap().to_string(),
                e["answer"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Longer questions first, so a question that is part of another never answers it.
    let server = |mut rules: Vec<(String, String)>| {
        rules.sort_by_key(|(q, _)| std::cmp::Reverse(q.len()));
        MockServer::start(MockConfig {
            answers: AnswerMode::Rules {
                rules,
                default: "unknown".into(),
            },
            ..MockConfig::default()
        })
    };
    let good = server(all).await.unwrap();
    let bad = server(recognition).await.unwrap();
    let cards = cwd.join("cards");
    std::fs::create_dir_all(&cards).unwrap();
    let runs = cwd.join("runs");
    let strong = run(
        cwd,
        &data,
        &model_card(&cards, "strong", &good.base_url(), ""),
        &runs,
    )
    .await;
    let twin = run(
        cwd,
        &data,
        &model_card(&cards, "twin", &good.base_url(), ""),
        &runs,
    )
    .await;
    let weak = run(
        cwd,
        &data,
        &model_card(&cards, "weak", &bad.base_url(), ""),
        &runs,
    )
    .await;
    Board {
        runs,
        strong,
        twin,
        weak,
    }
}
