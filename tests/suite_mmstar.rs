//! End to end: `evalkit run --suite mmstar` on the MMStar fixture in both forms (Lin-Chen/MMStar
//! parquet with inline options, VLMEvalKit's MMStar.tsv with option columns) against the mock
//! server, with hand-computed scores, breakdowns and the overall figures (item mean, capability
//! mean, l2-axis mean); both forms give the same ids, requests and scores.

mod common;

use std::collections::BTreeMap;

use common::*;

/// Answers keyed on each question's stem, chosen so the scores can be computed by hand
/// (VLMEvalKit's rule chain: an option letter among the last four words, else one option text):
///
/// | index | capability (axis)                       | gold | answer                       | raw | normalised |
/// |-------|-----------------------------------------|------|------------------------------|-----|------------|
/// | 0     | coarse perception (scene and topic)     | A    | `A`                          | 1   | 1          |
/// | 1     | coarse perception (scene and topic)     | B    | `The answer is (B).`         | 1   | 1          |
/// | 2     | coarse perception (image emotion)       | A    | `<CONCLUSION>A</CONCLUSION>` | 0 unparsed | 1 (marked answer) |
/// | 3     | math (numeric commonsense ...)          | C    | `I think the answer is C`    | 1   | 1          |
/// | 4     | math (geometry)                         | C    | `The perimeter is 12, so B.` | 0 (B) | 0        |
/// | 5     | math (statistical analysis)             | D    | `I am not sure.` (default)   | 0 unparsed | 0   |
/// | 6     | science & technology (natural science)  | B    | `carbon dioxide` (option text) | 1 | 1          |
/// | 7     | science & technology (engineering)      | B    | `\boxed{B}`                  | 1   | 1          |
///
/// Overall (mean over items): accuracy 5/8 = 62.5, normalised 6/8 = 75.
/// By capability: coarse perception 2/3 = 66.6667 (normalised 3/3 = 100), math 1/3 = 33.3333
/// (33.3333), science & technology 2/2 = 100 (100).
/// Capability mean: (2/3 + 1/3 + 1) / 3 = 66.6667; normalised (1 + 1/3 + 1) / 3 = 77.7778.
/// l2 mean (lmms-eval's `mmstar_aggregate_results` averaging, over the 7 axes present): image
/// scene and topic 2/2, image emotion 0/1, numeric commonsense 1/1, geometry 0/1, statistical
/// analysis 0/1, natural science 1/1, engineering 1/1: (1 + 0 + 1 + 0 + 0 + 1 + 1) / 7 = 4/7 =
/// 57.1429; normalised (image emotion 1/1): 5/7 = 71.4286.
/// `accuracy_verbose_rule` (VLMEvalKit a67ace5's regex added): no response is left to the regex
/// (item 2 and 5 have no "answer is X"), so it equals `accuracy`, 62.5.
/// Unparsed: items 2 and 5 (the raw chain resolves neither).
fn mmstar_answers() -> AnswerMode {
    AnswerMode::Rules {
        rules: vec![
            ("object relationship".into(), "A".into()),
            (
                "main topic of this picture".into(),
                "The answer is (B).".into(),
            ),
            (
                "mood does the picture".into(),
                "<CONCLUSION>A</CONCLUSION>".into(),
            ),
            ("bars are taller".into(), "I think the answer is C".into()),
            (
                "perimeter of the square".into(),
                "The perimeter is 12, so B.".into(),
            ),
            (
                "plants in the figure absorb".into(),
                "carbon dioxide".into(),
            ),
            ("stores charge".into(), "\\boxed{B}".into()),
        ],
        default: "I am not sure.".into(),
    }
}

fn formats() -> Vec<(&'static str, std::path::PathBuf)> {
    vec![
        ("parquet", fixture("mmstar/parquet")),
        ("tsv", fixture("mmstar/tsv/MMStar.tsv")),
    ]
}

fn assert_expected(s: &serde_json::Value) {
    assert_eq!(metric(s, None, "accuracy"), 62.5, "{s:#}");
    assert_eq!(metric(s, None, "accuracy_normalized"), 75.0);
    assert_eq!(metric(s, None, "accuracy_capability_mean"), 66.6667);
    assert_eq!(
        metric(s, None, "accuracy_normalized_capability_mean"),
        77.7778
    );
    assert_eq!(metric(s, None, "accuracy_l2_mean"), 57.1429);
    assert_eq!(metric(s, None, "accuracy_normalized_l2_mean"), 71.4286);
    assert_eq!(metric(s, None, "accuracy_verbose_rule"), 62.5);
    let cat = |v| Some(("category", v));
    assert_eq!(metric(s, cat("coarse perception"), "accuracy"), 66.6667);
    assert_eq!(
        metric(s, cat("coarse perception"), "accuracy_normalized"),
        100.0
    );
    assert_eq!(metric(s, cat("math"), "accuracy"), 33.3333);
    assert_eq!(metric(s, cat("math"), "accuracy_normalized"), 33.3333);
    assert_eq!(metric(s, cat("science & technology"), "accuracy"), 100.0);
    assert_eq!(s["scores"]["by"]["category"].as_object().unwrap().len(), 3);
    let l2 = |v| Some(("l2_category", v));
    for (axis, want, n) in [
        ("image scene and topic", 100.0, 2),
        ("image emotion", 0.0, 1),
        ("numeric commonsense and calculation", 100.0, 1),
        ("geometry", 0.0, 1),
        ("statistical analysis", 0.0, 1),
        ("natural science", 100.0, 1),
        ("engineering", 100.0, 1),
    ] {
        assert_eq!(metric(s, l2(axis), "accuracy"), want, "{axis}");
        assert_eq!(s["scores"]["by"]["l2_category"][axis]["n"], n, "{axis}");
    }
    assert_eq!(metric(s, l2("image emotion"), "accuracy_normalized"), 100.0);
    assert_eq!(s["counts"]["answered"], 8);
    assert_eq!(s["counts"]["invalid"], 0);
    assert_eq!(s["counts"]["unparsed"], 2);
    assert_eq!(s["decided_by"]["rule"], 6);
    assert_eq!(s["primary_metric"], "accuracy");
    assert_eq!(s["complete"], true);
}

/// id -> (request hash, extracted, metrics).
fn outcomes(dir: &std::path::Path) -> BTreeMap<String, (String, String, String)> {
    predictions(dir)
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["request_hash"].to_string(),
                    r["extracted"].to_string(),
                    r["metrics"].to_string(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_forms_give_the_same_run_with_the_expected_scores() {
    let server = MockServer::start(MockConfig {
        answers: mmstar_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let mut first: Option<BTreeMap<String, (String, String, String)>> = None;
    for (name, data) in formats() {
        let tmp = tempfile::tempdir().unwrap();
        let card = model_card(tmp.path(), "mock", &server.base_url(), "");
        let out = evalkit_async(
            tmp.path(),
            &[
                "run",
                "--model",
                card.to_str().unwrap(),
                "--suite",
                "mmstar",
                "--data",
                data.to_str().unwrap(),
                "--quiet",
            ],
            &[],
        )
        .await;
        ok(&out);
        let dir = run_dir(&tmp.path().join("runs"));
        assert_expected(&summary(&dir));
        let got = outcomes(&dir);
        let ids: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(
            ids,
            ["0", "1", "2", "3", "4", "5", "6", "7"],
            "format {name}"
        );
        // Item 2: the raw chain fails (unparsed); the letter shown is the normalised figure's.
        assert_eq!(got["2"].1, "\"A\"");
        assert_eq!(got["4"].1, "\"B\"");
        let hows: Vec<String> = predictions(&dir)
            .iter()
            .map(|r| r["how"].as_str().unwrap().to_string())
            .collect();
        let unparsed = [
            "rule", "rule", "unparsed", "rule", "rule", "unparsed", "rule", "rule",
        ];
        let mut by_order: Vec<(u64, String)> = predictions(&dir)
            .iter()
            .map(|r| r["order"].as_u64().unwrap())
            .zip(hows)
            .collect();
        by_order.sort();
        let hows: Vec<&str> = by_order.iter().map(|(_, h)| h.as_str()).collect();
        assert_eq!(hows, unparsed, "format {name}");
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "format {name} gives a different run"),
        }
    }
    // The prompt is VLMEvalKit's, options parsed out of the inline question.
    let stats = server.stats();
    let body = stats.last_body().unwrap();
    let parts = body["messages"][0]["content"].as_array().unwrap();
    let text = parts
        .iter()
        .find_map(|p| p["text"].as_str())
        .expect("a text part");
    assert!(text.starts_with("Question: "), "{text}");
    assert!(
        text.contains("\nOptions:\nA. ")
            && text.ends_with("Please select the correct answer from the options above. \n"),
        "{text}"
    );
    assert!(
        !text.contains("Options: A:"),
        "inline options must not be repeated: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_question_is_sent_exactly_as_vlmevalkit_builds_it() {
    let server = MockServer::start(MockConfig::echo()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let data = fixture("mmstar/parquet");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmstar",
            "--data",
            data.to_str().unwrap(),
            "--quiet",
            "--limit",
            "1",
        ],
        &[],
    )
    .await;
    ok(&out);
    let dir = run_dir(&tmp.path().join("runs"));
    let record = &predictions(&dir)[0];
    assert_eq!(
        record["response"].as_str().unwrap(),
        "Question: Which option describe the object relationship in the image correctly?\n\
         Options:\n\
         A. The suitcase is on the book.\n\
         B. The suitcase is beneath the cat.\n\
         C. The suitcase is beneath the bed.\n\
         D. The suitcase is beneath the book.\n\
         Please select the correct answer from the options above. \n"
    );
}

/// With `--judge`, the two answers the rules leave unparsed go to the judge with VLMEvalKit's
/// option-matching prompt: item 2 (`<CONCLUSION>A</CONCLUSION>`) -> judge `A` (right); item 5
/// (`I am not sure.`) -> judge `Z` (no option matches: decided, wrong).
/// accuracy 6/8 = 75; normalised: item 2 keeps its rule letter (1), item 5 follows the judge (0):
/// 6/8 = 75. Capability mean: (3/3 + 1/3 + 2/2) / 3 = 77.7778 (both figures). l2 mean: image
/// emotion now 1/1: (1 + 1 + 1 + 0 + 0 + 1 + 1) / 7 = 5/7 = 71.4286 (both figures).
#[tokio::test(flavor = "multi_thread")]
async fn a_judge_decides_what_the_rules_leave_unparsed() {
    let server = MockServer::start(MockConfig {
        answers: mmstar_answers(),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let judge = MockServer::start(MockConfig {
        answers: AnswerMode::Rules {
            rules: vec![
                ("Answer: <CONCLUSION>A</CONCLUSION>\n".into(), "A".into()),
                ("Answer: I am not sure.\n".into(), "Z".into()),
            ],
            default: "???".into(),
        },
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let card = model_card(tmp.path(), "mock", &server.base_url(), "");
    let judge_card = model_card(tmp.path(), "judge", &judge.base_url(), "");
    let data = fixture("mmstar/tsv/MMStar.tsv");
    let out = evalkit_async(
        tmp.path(),
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            "mmstar",
            "--data",
            data.to_str().unwrap(),
            "--judge",
            judge_card.to_str().unwrap(),
            "--quiet",
        ],
        &[],
    )
    .await;
    ok(&out);
    let s = summary(&run_dir(&tmp.path().join("runs")));
    assert_eq!(metric(&s, None, "accuracy"), 75.0, "{s:#}");
    assert_eq!(metric(&s, None, "accuracy_normalized"), 75.0);
    assert_eq!(metric(&s, None, "accuracy_capability_mean"), 77.7778);
    assert_eq!(
        metric(&s, None, "accuracy_normalized_capability_mean"),
        77.7778
    );
    assert_eq!(metric(&s, None, "accuracy_l2_mean"), 71.4286);
    assert_eq!(metric(&s, None, "accuracy_normalized_l2_mean"), 71.4286);
    assert_eq!(s["decided_by"]["judge"], 2);
    assert_eq!(s["decided_by"]["rule"], 6);
    assert_eq!(s["counts"]["unparsed"], 0);
    assert_eq!(judge.stats().requests, 2);
    // The judge saw VLMEvalKit's prompt for item 5, options as build_option_str writes them.
    let stats = judge.stats();
    let texts: Vec<String> = stats
        .recent_bodies
        .iter()
        .map(|b| {
            let content = &b["messages"][0]["content"];
            content
                .as_str()
                .map(str::to_string)
                .or_else(|| content[0]["text"].as_str().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    let item5 = texts
        .iter()
        .find(|t| t.contains("I am not sure."))
        .expect("item 5 judged");
    assert!(
        item5.ends_with(
            "Example 3: \nQuestion: Which year has the highest value??\nOptions: There are \
             several options: \nA. 2019\nB. 2020\nC. 2021\nD. 2021 and 2022, tied\n\n\
             Answer: I am not sure.\nYour output: "
        ),
        "{item5}"
    );
}
