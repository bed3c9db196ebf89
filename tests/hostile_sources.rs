//! Suite sources that are not what the card says: a device (`/dev/zero`, which once made
//! the TSV reader buffer 2 GiB) and an unrelated file (whose first line was echoed whole in
//! the error). Both are refused at once, naming the file, and the error shows no more of
//! the file than a short excerpt.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn suite(dir: &std::path::Path, source: &std::path::Path) -> std::path::PathBuf {
    let card = dir.join("odd.toml");
    std::fs::write(
        &card,
        format!(
            "benchmark = \"chartqa\"\nscorer = \"relaxed_accuracy\"\nprompt = \"{{question}}\"\n[[source]]\nformat = \"vlmevalkit-tsv\"\npath = \"{}\"\n",
            source.display()
        ),
    )
    .unwrap();
    card
}

#[test]
fn a_device_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let card = suite(tmp.path(), std::path::Path::new("/dev/zero"));
    let started = Instant::now();
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            "openai",
            "--suite",
            card.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(20));
    let err = stderr(&out);
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn an_unrelated_file_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = "PRIVATE-NOTES-do-not-print-this-line-0123456789";
    let file = tmp.path().join("notes.tsv");
    let mut header = vec![secret.to_string()];
    header.extend((0..20).map(|i| format!("col{i}")));
    std::fs::write(&file, format!("{}\nrow\n", header.join("\t"))).unwrap();
    let card = suite(tmp.path(), &file);
    let out = evalkit(
        tmp.path(),
        &[
            "run",
            "--model",
            "openai",
            "--suite",
            card.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("notes.tsv") && err.contains("lacks column"),
        "{err}"
    );
    assert!(
        !err.contains(secret),
        "the whole first cell was echoed: {err}"
    );
    assert!(
        err.contains("21 columns") && err.contains("and 13 more"),
        "{err}"
    );
}
