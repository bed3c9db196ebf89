//! Property-based fuzzing (proptest) of everything that reads untrusted input: the TSV
//! and official-JSON loaders, row values as parquet produces them, every scorer's answer
//! extraction, the chat-completion parser and journal recovery. Each must return a value
//! or a reported error for any input, never panic; scorers must be deterministic.
//!
//! The default run is short (256 cases per property). A long run:
//! `PROPTEST_CASES=100000 cargo test --release --test properties`.

use std::collections::BTreeMap;

use evalkit::score::{Gold, by_name};
use evalkit::suite::row::{Row, Value};
use evalkit::suite::{Benchmark, Choice, Format, ResolvedSource};
use proptest::prelude::*;

/// Text that looks like a TSV: tabs, newlines, quotes, brackets, base64-ish runs.
fn tsv_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\t".to_string()),
            Just("\n".to_string()),
            Just("\"".to_string()),
            Just("['".to_string()),
            Just("']".to_string()),
            Just("iVBORw0KGgo=".to_string()),
            "[0-9]{1,3}",
            "[A-Za-z+/=]{0,12}",
            any::<String>(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        prop_oneof![
            Just("a.png".to_string()),
            Just("../../etc/passwd".to_string()),
            any::<String>()
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("imgname".to_string()),
                    Just("query".to_string()),
                    Just("label".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn row_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<String>().prop_map(Value::Str),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bytes),
        Just(Value::Bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map(
                prop_oneof![Just("bytes".to_string()), Just("path".to_string())],
                inner,
                0..3
            )
            .prop_map(Value::Struct),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_tsv_loader_never_panics(body in tsv_text()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ChartQA_TEST.tsv");
        std::fs::write(&path, format!("index\timage\tquestion\tanswer\tsplit\n{body}")).unwrap();
        let source = ResolvedSource { format: Format::VlmevalkitTsv, path: path.clone(), unit: evalkit::suite::Unit::Question, chart_field: false, columns: None };
        if let Ok(stream) = evalkit::suite::open(Benchmark::Chartqa, &source) {
            for row in stream.take(200) {
                if let Err(bad) = row {
                    prop_assert!(bad.source.contains("ChartQA_TEST.tsv:"), "{}", bad.source);
                }
            }
        }
    }

    #[test]
    fn the_official_json_loader_never_panics(human in json_value(), augmented in json_value()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("png")).unwrap();
        std::fs::write(dir.path().join("test_human.json"), human.to_string()).unwrap();
        std::fs::write(dir.path().join("test_augmented.json"), augmented.to_string()).unwrap();
        let source = ResolvedSource { format: Format::ChartqaJson, path: dir.path().to_path_buf(), unit: evalkit::suite::Unit::Question, chart_field: false, columns: None };
        if let Ok(stream) = evalkit::suite::open(Benchmark::Chartqa, &source) {
            for item in stream.take(200).flatten() {
                prop_assert!(!item.images.is_empty());
            }
        }
    }

    #[test]
    fn row_accessors_never_panic(fields in prop::collection::btree_map("[a-z]{1,8}", row_value(), 0..6), name in "[a-z]{1,8}") {
        let row = Row { source: "f.parquet:1".into(), fields };
        let _ = row.text(&name);
        let _ = row.opt_text(&name);
        let _ = row.text_list(&name);
        let _ = row.int(&name);
        let _ = row.image_bytes(&name);
        if let Err(bad) = row.images(&name) {
            prop_assert!(bad.source == "f.parquet:1");
        }
    }

    #[test]
    fn scorers_are_total_and_deterministic(response in any::<String>(), answer in any::<String>(), kind in 0usize..4) {
        let choices: Vec<Choice> = ["3.5", "4", "Japan"].iter().zip(["A", "B", "C"])
            .map(|(t, l)| Choice { label: l.into(), text: (*t).into() }).collect();
        let fields: BTreeMap<String, String> = [("question_type", ["multi_choice", "free_form"][kind % 2]),
            ("answer_type", ["text", "integer", "float", "list"][kind]), ("precision", "2")]
            .iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let gold = Gold { answers: vec![answer], choices, fields };
        for name in evalkit::score::NAMES {
            let scorer = by_name(name).unwrap();
            let a = scorer.score(&gold, &response);
            let b = scorer.score(&gold, &response);
            prop_assert_eq!(&a, &b, "{} is not deterministic", name);
            for (metric, v) in &a.metrics {
                prop_assert!((0.0..=1.0).contains(v), "{} gave {} = {}", name, metric, v);
            }
        }
    }

    #[test]
    fn completion_parsing_never_panics(body in prop::collection::vec(any::<u8>(), 0..200), text in any::<String>()) {
        let _ = evalkit::adapter::http::parse_completion(&body);
        let wrapped = serde_json::json!({"choices": [{"message": {"content": text}}]}).to_string();
        prop_assert_eq!(evalkit::adapter::http::parse_completion(wrapped.as_bytes()).unwrap().0, text);
    }

    #[test]
    fn journal_recovery_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("predictions.jsonl"), &bytes).unwrap();
        let (_journal, loaded) = evalkit::journal::Journal::open(dir.path()).unwrap();
        let kept = std::fs::read(dir.path().join("predictions.jsonl")).unwrap();
        // The torn tail is cut; what remains is whole lines.
        prop_assert!(kept.is_empty() || kept.ends_with(b"\n"));
        prop_assert_eq!(kept.len() + loaded.torn_bytes, bytes.len());
    }
}
