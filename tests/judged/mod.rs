//! Judged runs kept on disk, for the tests of what reads run directories back (`evalkit
//! report`, `--rescore`, several runs): the CharXiv and ReachQA fixtures answered by a mock
//! model and graded by a mock judge, with the answers and verdicts of tests/suite_charxiv.rs
//! and tests/suite_reachqa.rs (copied here; those files keep theirs next to their
//! hand-computed scores). With them, CharXiv's official fixture gives 7 items decided by rule,
//! 8 by the judge and 1 unparsed (accuracy 81.25); ReachQA's gives 3, 4 and 1 (62.5).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::*;

/// A finished judged run of `suite` on `data`, its directory under `cwd/runs`. The servers
/// are stopped when this returns: nothing afterwards can reach a model.
pub async fn judged_run(
    cwd: &Path,
    suite: &str,
    data: &Path,
    answers: AnswerMode,
    verdicts: AnswerMode,
) -> PathBuf {
    let server = MockServer::start(MockConfig {
        answers,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let judge = MockServer::start(MockConfig {
        answers: verdicts,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let card = model_card(cwd, "mock", &server.base_url(), "");
    let judge_card = model_card(cwd, "judge", &judge.base_url(), "");
    let out = evalkit_async(
        cwd,
        &[
            "run",
            "--model",
            card.to_str().unwrap(),
            "--suite",
            suite,
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
    assert!(judge.stats().requests > 0, "the judge was asked");
    drop((server, judge));
    let suite_dir = cwd.join("runs").join(suite);
    let model_dir = std::fs::read_dir(&suite_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read_dir(model_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

pub async fn charxiv_run(cwd: &Path) -> PathBuf {
    judged_run(
        cwd,
        "charxiv",
        &fixture("charxiv/official"),
        charxiv_answers(),
        charxiv_verdicts(),
    )
    .await
}

pub async fn reachqa_run(cwd: &Path) -> PathBuf {
    judged_run(
        cwd,
        "reachqa",
        &fixture("reachqa/official"),
        reachqa_answers(),
        reachqa_verdicts(),
    )
    .await
}

/// The model's answers, keyed on text unique to each item's question. `R` = right by the
/// rule pre-pass (the marked final answer equals the gold answer), `U` = left to the judge.
///
/// descriptive, figure 0 (subplot at row 1 and column 2):
///   0 qid 7  gold "60"                     "The answer is 60."         R
///   1 qid 13 gold "Ft-CNN, iCaRL*, EEIL*"  "ft-cnn, icarl*, eeil*"     R (case)
///   2 qid 11 gold "Yes"                    "Yes, two lines cross."     U -> judge 1
///   3 qid 15 gold "Not Applicable"         "There is no colorbar."     U -> judge 1 (```json)
/// descriptive, figure 2 (current plot):
///   0 qid 2  gold "W_H"                    "**W_H**"                   R (markdown)
///   1 qid 8  gold "0.1"                    "0.10 per tick"             U -> judge 1
///   2 qid 18 gold "1 by 1"                 "<CONCLUSION>1 by 1</CONCLUSION>"  R
///   3 qid 16 gold "increases"              "It goes down."             U -> judge 0
/// descriptive, figure 5 (the bottom subplot):
///   0 qid 10 gold "3"                      "\boxed{3}"                 R
///   1 qid 19 gold "3"                      "There are three subplots." U -> judge 1 (JSON without commas)
///   2 qid 1  gold "Not Applicable"         "Not Applicable"            R
///   3 qid 12 gold "4"                      "five, I believe"           U -> judge reply unreadable
/// reasoning:
///   figure 0 text-in-chart     gold "Joint-CNN"     "Joint-CNN"        R
///   figure 2 text-in-general   gold "right cluster" "The right one."   U -> judge 1 (trailing text)
///   figure 3 number-in-chart   gold "94"            "About 93"         U -> judge 0
///   figure 5 number-in-general gold "9.17"          "9.170"            U -> judge 1 (```json, "1")
pub fn charxiv_answers() -> AnswerMode {
    let rules = [
        (
            "row 1 and column 2, what is the spatially highest",
            "The answer is 60.",
        ),
        (
            "row 1 and column 2, what are the names of the labels",
            "ft-cnn, icarl*, eeil*",
        ),
        (
            "row 1 and column 2, do any lines intersect?",
            "Yes, two lines cross.",
        ),
        (
            "row 1 and column 2, what is the maximum value",
            "There is no colorbar.",
        ),
        (
            "For the current plot, what is the label of the x-axis?",
            "**W_H**",
        ),
        (
            "For the current plot, what is difference between",
            "0.10 per tick",
        ),
        (
            "What is the layout of the subplots?",
            "<CONCLUSION>1 by 1</CONCLUSION>",
        ),
        (
            "For the current plot, what is the general trend",
            "It goes down.",
        ),
        (
            "For the bottom subplot, how many lines are there?",
            "\\boxed{3}",
        ),
        (
            "What is the number of subplots?",
            "There are three subplots.",
        ),
        (
            "For the bottom subplot, what is its title?",
            "Not Applicable",
        ),
        (
            "For the bottom subplot, how many discrete labels",
            "five, I believe",
        ),
        (
            "greater decline in accuracy from Session 1 to Session 9",
            "Joint-CNN",
        ),
        ("closest to the coordinate (0.75, -0.25)", "The right one."),
        ("second highest time", "About 93"),
        ("from no noise to", "9.170"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "I do not know.".into(),
    }
}

/// The judge's replies, keyed on the response as the official grading query quotes it.
pub fn charxiv_verdicts() -> AnswerMode {
    let rules = [
        (
            "Response 1: Yes, two lines cross.",
            r#"{"extract_answer_T1": "Yes", "score_T1": 1}"#,
        ),
        (
            "Response 1: There is no colorbar.",
            "```json\n{\"extracted_answer\": \"Not Applicable\", \"score\": 1}\n```",
        ),
        (
            "Response 1: 0.10 per tick",
            r#"{"extract_answer_T1": 0.1, "score_T1": 1}"#,
        ),
        (
            "Response 1: It goes down.",
            r#"{"extract_answer_T1": "decreases", "score_T1": 0}"#,
        ),
        (
            "Response 1: There are three subplots.",
            "{\n    \"extract_answer_T1\": \"3\"\n    \"score_T1\": 1\n}",
        ),
        ("Response 1: five, I believe", "I cannot grade this one."),
        (
            "* Response: The right one.",
            "{\"extracted_answer\": \"right\", \"score\": 1} The response names the right cluster.",
        ),
        (
            "* Response: About 93",
            r#"{"extracted_answer": "93", "score": 0}"#,
        ),
        (
            "* Response: 9.170",
            "```json\n{\"extract_answer\": \"9.170\", \"score\": \"1\"}\n```",
        ),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "no verdict".into(),
    }
}

/// The model's answers, keyed on text unique to each question. `R` = right by the rule
/// pre-pass, `U` = left to the judge.
///
///   0 reasoning    gold "TikTok holds 25% ... totaling 19%."  "TikTok has 25%, more than ..."  U -> Yes
///   1 reasoning    gold "156%"            "... The answer is 156%."   R (final answer, equal %)
///   2 recognizing  gold "Violet red"      "violet red"                R (case)
///   3 recognizing  gold "WhatsApp, 60%"   "WhatsApp (about 60%)"      U -> **Correctness:** Yes
///   4 reasoning    gold "2021, 21.25%"    "2022"                      U -> No
///   5 reasoning    gold "45"              "Answer: 45.5"              R (1.1% off, within 5%)
///   6 recognizing  gold "2021"            "2020"                      U (integers must be equal) -> unreadable reply
///   7 recognizing  gold "Electric Scooters, 60%"  "Autonomous Cars"   U -> no (lower case)
pub fn reachqa_answers() -> AnswerMode {
    let rules = [
        (
            "percentage of the total market share is held by TikTok",
            "TikTok has 25%, more than the 19% of Twitter and Snapchat together.",
        ),
        (
            "total market share of all social media platforms combined",
            "Summing the platforms gives 156 in total. The answer is 156%.",
        ),
        ("color used for the Instagram", "violet red"),
        (
            "highest market share in the year 2023?",
            "WhatsApp (about 60%)",
        ),
        ("higher adoption rate than the average", "2022"),
        ("grow from 2019 to 2023", "Answer: 45.5"),
        ("first exceed 40%", "2020"),
        ("future transport technology", "Autonomous Cars"),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "I do not know.".into(),
    }
}

/// The judge's replies, keyed on the prediction as the Correctness prompt quotes it.
pub fn reachqa_verdicts() -> AnswerMode {
    let rules = [
        (
            "## Prediction: TikTok has 25%",
            "Analysis: Both give TikTok 25% against 19% combined.\nCorrectness: Yes",
        ),
        (
            "## Prediction: WhatsApp (about 60%)",
            "Analysis: same platform and value.\n**Correctness:** Yes",
        ),
        (
            "## Prediction: 2022\n",
            "Analysis: wrong year.\nCorrectness: No",
        ),
        ("## Prediction: 2020\n", "I am not sure about this one."),
        (
            "## Prediction: Autonomous Cars",
            "analysis: a different technology\ncorrectness: no",
        ),
    ];
    AnswerMode::Rules {
        rules: rules
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        default: "no verdict".into(),
    }
}
