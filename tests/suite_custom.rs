//! Custom suites end to end: data of the user's own in the three forms users hold, written
//! by the test, against the mock server. Every form holds the same four questions about the
//! fixture charts (gold: 45, 12%, Japan, and "0" with a second accepted answer "zero" where
//! the form has lists); the mock answers 45, 12%, "Korea" and "zero" by question text.
//! By hand (relaxed accuracy): 45 right, 12% right, Korea wrong, zero right only where
//! "zero" is accepted.

mod common;

use std::path::Path;

use base64::Engine;
use common::*;

const QUESTIONS: [(&str, &str, &str); 4] = [
    ("q-bar", "What is the value of the tallest bar?", "45"),
    ("q-share", "What share said yes?", "12%"),
    ("q-low", "Which country is lowest?", "Japan"),
    ("q-sales", "What were the sales in 2019?", "0"),
];

fn png(name: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("chartqa/json/test/png/{name}"))).unwrap()
}

async fn mock() -> MockServer {
    MockServer::start(rules(
        &[
            ("tallest bar", "45"),
            ("share said yes", "12%"),
            ("country is lowest", "Korea"),
            ("sales in 2019", "zero"),
        ],
        "?",
    ))
    .await
    .unwrap()
}

async fn run(tmp: &Path, server: &MockServer, suite: &str, data: &Path) -> serde_json::Value {
    let card = model_card(tmp, "mock", &server.base_url(), "");
    let out = evalkit_async(
        tmp,
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            suite,
            "--data",
            data.to_str().unwrap(),
            "--out",
            tmp.join("runs").to_str().unwrap(),
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&out);
    summary(&run_dir(&tmp.join("runs")))
}

/// VLMEvalKit's custom TSV with no `split` column (refused before custom suites existed):
/// 45, 12% right; Korea, zero wrong: 2/4 = 50. Categories: bar (q-bar) 100, other 33.3333.
#[tokio::test(flavor = "multi_thread")]
async fn a_vlmevalkit_custom_tsv_without_split() {
    let tmp = tempfile::tempdir().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(png("5090.png"));
    let mut tsv = String::from("index\timage\tquestion\tanswer\tcategory\n");
    for (id, q, a) in QUESTIONS {
        let category = if id == "q-bar" { "bar" } else { "other" };
        tsv.push_str(&format!("{id}\t{b64}\t{q}\t{a}\t{category}\n"));
    }
    let data = tmp.path().join("mine.tsv");
    std::fs::write(&data, tsv).unwrap();
    let server = mock().await;
    let s = run(tmp.path(), &server, "custom_vqa", &data).await;
    assert_eq!(s["counts"]["answered"], 4, "{s:#}");
    assert_eq!(metric(&s, None, "relaxed_accuracy"), 50.0);
    assert_eq!(
        metric(&s, Some(("category", "bar")), "relaxed_accuracy"),
        100.0
    );
    assert_eq!(
        metric(&s, Some(("category", "other")), "relaxed_accuracy"),
        33.3333
    );
}

/// JSONL with image paths (one item with two images) and a list of accepted answers on the
/// sales question ("0" or "zero"): 45, 12%, zero right; Korea wrong: 3/4 = 75. A row whose
/// image path climbs out of the folder is an invalid row with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn jsonl_with_image_paths_lists_of_answers_and_several_images() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("mine");
    std::fs::create_dir_all(folder.join("img")).unwrap();
    std::fs::write(folder.join("img/a.png"), png("5090.png")).unwrap();
    std::fs::write(folder.join("img/b.png"), png("8127.png")).unwrap();
    let mut lines = Vec::new();
    for (id, q, a) in QUESTIONS {
        let image = if id == "q-share" {
            serde_json::json!(["img/a.png", "img/b.png"])
        } else {
            serde_json::json!("img/a.png")
        };
        let answer = if id == "q-sales" {
            serde_json::json!(["0", "zero"])
        } else {
            serde_json::json!(a)
        };
        lines.push(
            serde_json::json!({"id": id, "image": image, "question": q, "answer": answer})
                .to_string(),
        );
    }
    lines.push(
        r#"{"id": "bad", "image": "../../etc/passwd", "question": "x", "answer": "y"}"#.into(),
    );
    let data = folder.join("data.jsonl");
    std::fs::write(&data, lines.join("\n")).unwrap();
    let server = mock().await;
    let s = run(tmp.path(), &server, "custom_vqa", &data).await;
    assert_eq!(s["counts"]["answered"], 4, "{s:#}");
    assert_eq!(s["counts"]["invalid"], 1, "{s:#}");
    assert_eq!(metric(&s, None, "relaxed_accuracy"), 75.0);
    let body = server
        .stats()
        .recent_bodies
        .iter()
        .find(|b| b.to_string().contains("share said yes"))
        .cloned()
        .unwrap();
    let images = body.to_string().matches("\"type\":\"image_url\"").count();
    assert_eq!(images, 2, "the two-image item sends both images");
}

/// Hugging Face parquet with other column names, mapped by the card's `[columns]`
/// (`qid`, `img` as binary, `query`, `label`): 45, 12% right; Korea, zero wrong: 50.
#[tokio::test(flavor = "multi_thread")]
async fn parquet_with_a_column_mapping() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BinaryArray, RecordBatch, StringArray};

    let tmp = tempfile::tempdir().unwrap();
    let ids: Vec<&str> = QUESTIONS.iter().map(|q| q.0).collect();
    let questions: Vec<&str> = QUESTIONS.iter().map(|q| q.1).collect();
    let answers: Vec<&str> = QUESTIONS.iter().map(|q| q.2).collect();
    let image = png("5090.png");
    let images: Vec<&[u8]> = QUESTIONS.iter().map(|_| image.as_slice()).collect();
    let batch = RecordBatch::try_from_iter([
        ("qid", Arc::new(StringArray::from(ids)) as ArrayRef),
        ("img", Arc::new(BinaryArray::from(images)) as ArrayRef),
        ("query", Arc::new(StringArray::from(questions)) as ArrayRef),
        ("label", Arc::new(StringArray::from(answers)) as ArrayRef),
    ])
    .unwrap();
    let data = tmp.path().join("mine.parquet");
    let file = std::fs::File::create(&data).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let card = tmp.path().join("mine.toml");
    std::fs::write(
        &card,
        "benchmark = \"custom\"\nscorer = \"relaxed_accuracy\"\nprompt = \"{question}\"\n[columns]\nid = \"qid\"\nimage = \"img\"\nquestion = \"query\"\nanswer = \"label\"\n[[source]]\nformat = \"hf-parquet\"\npath = \"x\"\n",
    )
    .unwrap();
    let server = mock().await;
    let s = run(tmp.path(), &server, card.to_str().unwrap(), &data).await;
    assert_eq!(s["counts"]["answered"], 4, "{s:#}");
    assert_eq!(metric(&s, None, "relaxed_accuracy"), 50.0);
    let records = predictions(&run_dir(&tmp.path().join("runs")));
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["q-bar", "q-low", "q-sales", "q-share"]);
}
