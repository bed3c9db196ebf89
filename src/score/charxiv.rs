//! CharXiv's judge-graded scoring (princeton-nlp/CharXiv `src/descriptive_utils.py`,
//! `src/reasoning_utils.py`, `src/constants.py`; VLMEvalKit `vlmeval/dataset/charxiv.py`).
//!
//! Officially every answer is graded by GPT-4o: a grading query holds the question, the gold
//! answer and the response, and the judge replies with JSON `{extracted_answer, score}`
//! (`score` 0 or 1). evalkit does the same, one item per call (as VLMEvalKit does; the
//! official descriptive grader batches up to five responses of one template per call):
//! - a VLMEvalKit TSV ships the query in its `grading_query` column, with `{PREDICTION}`
//!   where the response goes; the item keeps it in `fields["grading_query"]` and it is used
//!   as is;
//! - for the official JSON release the query is built from the official text in
//!   `prompts/charxiv_descriptive_grading.txt` (template id `qid`) and
//!   `prompts/charxiv_reasoning_grading.txt` (`inst_category`, the raw `query`).
//!
//! A rule pre-pass first decides what it safely can: when the response, reduced to its marked
//! final answer ([`extract::final_answer`], else [`extract::clean`]) and compared
//! case-insensitively with runs of whitespace collapsed, equals the gold answer, the item is
//! right by rule. Nothing is ever wrong by rule: every other item goes to the judge, and
//! without a judge it is `unparsed` (counted wrong).
//!
//! The judge's reply is read by [`parse_verdict`]: the first JSON object in it (inside
//! ```` ```json ```` fences or followed by other text is fine) with a `score` (or the batch
//! form `score_T1`) of 0 or 1; the extracted answer under `extracted_answer`,
//! `extract_answer` or `extract_answer_T1` (the spellings the official prompts and VLMEvalKit
//! versions use). A reply whose JSON does not parse (the official in-context examples omit
//! commas, and judges copy them) is scanned for a `"score": 0|1` pair. Anything else is
//! unreadable: the item is `unparsed` and wrong, as the official scorer's `-1` is.
//!
//! The fields an item carries for this scorer (set by `suite::charxiv`): `split`
//! (`descriptive` | `reasoning`), `qid` (descriptive template id 1-19), `inst_category`
//! (`text-in-chart`, `text-in-general`, `number-in-chart`, `number-in-general`), `query` (the
//! reasoning question without its response instruction) and, from a TSV, `grading_query`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::suite::charxiv_templates::{inst_category_number, rubric};
use crate::template::fill;

/// The sectioned prompt-file reader, re-exported for the other scorers' prompt files
/// (`score::reachqa`).
pub use crate::suite::charxiv_templates::sections;

use super::extract;
use super::{Gold, How, Score, Scorer};

/// The scorer's only metric: share of items the judge (or the rule) marked right.
pub const METRIC: &str = "accuracy";

const DESCRIPTIVE_GRADING: &str = include_str!("../../prompts/charxiv_descriptive_grading.txt");
const REASONING_GRADING: &str = include_str!("../../prompts/charxiv_reasoning_grading.txt");

/// The grading prompt files, parsed once.
struct Grading {
    descriptive: BTreeMap<&'static str, &'static str>,
    reasoning: BTreeMap<&'static str, &'static str>,
}

fn grading() -> &'static Grading {
    static GRADING: OnceLock<Grading> = OnceLock::new();
    GRADING.get_or_init(|| Grading {
        descriptive: sections(DESCRIPTIVE_GRADING),
        reasoning: sections(REASONING_GRADING),
    })
}

/// The official descriptive grading query for one response (template `qid`).
pub fn descriptive_grading_query(qid: u8, answer: &str, response: &str) -> Option<String> {
    let g = &grading().descriptive;
    let rubric_name = rubric(qid)?;
    let question = g.get(format!("question {qid}").as_str())?;
    let rubric = g.get(format!("rubric {rubric_name}").as_str())?;
    let prefix = fill(
        g.get("prefix")?,
        &[
            ("<|NUM_TRIPLETS|>", "1"),
            ("<|OVERARCHING_QUESTION|>", question),
            ("<|JSON_KEYS|>", "['extract_answer_T1', 'score_T1']"),
        ],
    );
    let triplet = fill(
        g.get("triplet")?,
        &[("<|response|>", response), ("<|ground_truth|>", answer)],
    );
    Some(format!("{prefix}{rubric}{triplet}"))
}

/// The official reasoning grading query for one response (`inst_category` 1-4, the raw
/// `query` without its response instruction).
pub fn reasoning_grading_query(
    category: u8,
    query: &str,
    answer: &str,
    response: &str,
) -> Option<String> {
    let g = &grading().reasoning;
    let inst = g.get(category.to_string().as_str())?;
    let body = fill(
        inst,
        &[
            ("<|question|>", query),
            ("<|ground_truth|>", answer),
            ("<|response|>", response),
        ],
    );
    Some(format!("{}{body}", g.get("prefix")?))
}

/// What a judge's reply says: the extracted answer (if given) and whether it scored 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub extracted: Option<String>,
    pub right: bool,
}

/// Reads a CharXiv judge reply (see the module docs); `None` when it carries no score of
/// 0 or 1.
pub fn parse_verdict(reply: &str) -> Option<Verdict> {
    json_verdict(reply).or_else(|| scanned_verdict(reply))
}

/// The first JSON object in `reply` that has a readable score.
fn json_verdict(reply: &str) -> Option<Verdict> {
    reply.match_indices('{').take(64).find_map(|(at, _)| {
        let mut stream =
            serde_json::Deserializer::from_str(&reply[at..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(serde_json::Value::Object(map))) => verdict_from_map(&map),
            _ => None,
        }
    })
}

fn verdict_from_map(map: &serde_json::Map<String, serde_json::Value>) -> Option<Verdict> {
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v)
    };
    let right = match get(&["score", "score_T1"])? {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(1.0) => true,
            Some(0.0) => false,
            _ => return None,
        },
        serde_json::Value::String(s) => match s.trim() {
            "1" | "1.0" => true,
            "0" | "0.0" => false,
            _ => return None,
        },
        serde_json::Value::Bool(b) => *b,
        _ => return None,
    };
    let extracted = match get(&[
        "extracted_answer",
        "extract_answer",
        "extract_answer_T1",
        "extracted_answer_T1",
    ]) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    Some(Verdict { extracted, right })
}

/// A `"score": 0|1` (or `"score_T1"`) pair anywhere in a reply whose JSON is malformed.
fn scanned_verdict(reply: &str) -> Option<Verdict> {
    let lower = reply.to_ascii_lowercase();
    for (at, _) in lower.match_indices("\"score") {
        let rest = &lower[at + "\"score".len()..];
        let rest = rest.strip_prefix("_t1").unwrap_or(rest);
        let Some(rest) = rest.strip_prefix('"') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let mut chars = rest.chars();
        let right = match chars.next() {
            Some('1') => true,
            Some('0') => false,
            _ => continue,
        };
        let after: String = chars.take(2).collect();
        let more_digits = after.starts_with(|c: char| c.is_ascii_digit())
            || (after.starts_with('.')
                && after[1..].starts_with(|c: char| c.is_ascii_digit() && c != '0'));
        if !more_digits {
            return Some(Verdict {
                extracted: None,
                right,
            });
        }
    }
    None
}

/// The rule pre-pass's view of an answer: the marked final answer (or the cleaned text),
/// lower-cased, with runs of whitespace collapsed to one space.
fn rule_form(text: &str) -> String {
    let answer = extract::final_answer(text).unwrap_or_else(|| extract::clean(text));
    answer
        .split(extract::is_py_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn score_of(right: bool, extracted: Option<String>, how: How) -> Score {
    Score {
        metrics: BTreeMap::from([(METRIC.to_string(), f64::from(u8::from(right)))]),
        extracted,
        how,
    }
}

/// CharXiv: rule pre-pass, then the official judge.
pub struct CharXiv;

impl Scorer for CharXiv {
    fn name(&self) -> &'static str {
        "charxiv"
    }

    fn primary_metric(&self) -> &'static str {
        METRIC
    }

    fn metric_names(&self) -> Vec<&'static str> {
        vec![METRIC]
    }

    fn score(&self, gold: &Gold, response: &str) -> Score {
        let pred = rule_form(response);
        let right = !pred.is_empty() && gold.answers.iter().any(|a| rule_form(a) == pred);
        let how = if right { How::Rule } else { How::Unparsed };
        score_of(right, Some(pred), how)
    }

    fn judge_prompt(&self, gold: &Gold, response: &str) -> Option<String> {
        if let Some(query) = gold.fields.get("grading_query") {
            return Some(query.replace("{PREDICTION}", response));
        }
        let answer = gold.answers.first()?;
        match gold.fields.get("split").map(String::as_str) {
            Some("descriptive") => {
                let qid = gold.fields.get("qid")?.trim().parse().ok()?;
                descriptive_grading_query(qid, answer, response)
            }
            Some("reasoning") => {
                let category = inst_category_number(gold.fields.get("inst_category")?)?;
                let query = gold.fields.get("query")?;
                reasoning_grading_query(category, query, answer, response)
            }
            _ => None,
        }
    }

    fn judge_verdict(&self, gold: &Gold, response: &str, reply: &str) -> Score {
        match parse_verdict(reply) {
            Some(v) => score_of(v.right, v.extracted, How::Judge),
            None => {
                let rule = self.score(gold, response);
                if rule.how == How::Rule {
                    rule
                } else {
                    score_of(false, None, How::Unparsed)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::charxiv_templates::{INST_CATEGORIES, TEMPLATES};

    fn gold(answer: &str, fields: &[(&str, &str)]) -> Gold {
        Gold {
            answers: vec![answer.to_string()],
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Gold::default()
        }
    }

    #[test]
    fn every_prompt_section_exists() {
        let g = grading();
        assert!(g.descriptive.contains_key("prefix") && g.descriptive.contains_key("triplet"));
        for (qid, _, _, rubric) in TEMPLATES {
            assert!(
                g.descriptive
                    .contains_key(format!("question {qid}").as_str())
            );
            assert!(
                g.descriptive
                    .contains_key(format!("rubric {rubric}").as_str())
            );
            assert!(descriptive_grading_query(qid, "a", "b").is_some());
        }
        for (n, _) in INST_CATEGORIES {
            assert!(reasoning_grading_query(n, "q", "a", "r").is_some());
        }
        assert!(descriptive_grading_query(20, "a", "b").is_none());
        assert!(reasoning_grading_query(5, "q", "a", "r").is_none());
    }

    #[test]
    fn descriptive_query_is_the_official_one_with_one_triplet() {
        let q = descriptive_grading_query(11, "Yes", "They cross twice.").unwrap();
        assert!(
            q.starts_with("\nYou will be given 1 pairs of ground truth answers"),
            "{q}"
        );
        assert!(q.contains(
            "with keys [['extract_answer_T1', 'score_T1']] where the value for any `extract_answer`"
        ));
        assert!(q.contains(
            "based on the following rules:\n\n\nOverarching Question: Do any lines intersect?\n\nRubric:\n    * Give a score of 1 if and only if the extracted answer and the ground truth answer are the same.\n"
        ));
        assert!(q.ends_with(
            "    ### Example End ###   \nT1:\nResponse 1: They cross twice.\nGround Truth 1: Yes\n\n"
        ));
        // The legend-labels rubric keeps its LaTeX examples as typed.
        let e = descriptive_grading_query(13, "a, b", "a, b").unwrap();
        assert!(e.contains("Response 3: \\alpha, \\beta, \\gamma^t_v\n"));
        assert!(!e.contains('\u{7}') && !e.contains('\u{8}'));
        // Rubrics follow get_rubric: title (1), ocr (2-7), quant (8...), layout (18).
        let t = descriptive_grading_query(1, "x", "y").unwrap();
        assert!(t.contains("Overarching Question: What is the title of the plot?\n\nRubric: \n"));
        assert!(t.contains("It's acceptable to omit letter prefixes"));
        let l = descriptive_grading_query(18, "1 by 2", "y").unwrap();
        assert!(l.contains("the same in terms of the number of rows and columns"));
        let n = descriptive_grading_query(19, "2", "y").unwrap();
        assert!(n.contains("are numbers with the exact same value"));
    }

    #[test]
    fn reasoning_query_is_the_official_one() {
        let q = reasoning_grading_query(
            4,
            "How many points exceed 50?",
            "3",
            "I count 3 <|question|> points.",
        )
        .unwrap();
        assert!(q.starts_with(
            "\nYou will be given a question, an ground truth answer and a model response."
        ));
        assert!(q.contains(
            "give a score of 0. \n\nYour response must follow json formats with keys [extract_answer, score] where the value of the score is an interger in [0, 1]. You must follow the scoring rules:\n\n    ### Rules ###\n    * Give a score of 1 if and only if the two numbers are exactly equal in values."
        ));
        // Each placeholder is filled once: the response's "<|question|>" stays as written.
        assert!(q.ends_with(
            "    ### Your Turn ###\n    * Question: How many points exceed 50?\n    * Ground Truth: 3\n    * Response: I count 3 <|question|> points.\n\n    "
        ));
        let t = reasoning_grading_query(1, "q", "a", "r").unwrap();
        assert!(t.contains("intersects y=\\lambda exactly three times?"));
        assert!(t.contains("P55762.\n    \n    {\n        \"extracted_answer\": \"P55762\""));
        let g = reasoning_grading_query(2, "q", "a", "r").unwrap();
        assert!(g.contains("* If there are predefined options in the question:"));
    }

    #[test]
    fn judge_prompt_uses_grading_query_or_builds_the_official_one() {
        let tsv = gold(
            "60",
            &[
                ("split", "descriptive"),
                ("qid", "7"),
                (
                    "grading_query",
                    "Q: {PREDICTION} / GT 60 / again {PREDICTION}",
                ),
            ],
        );
        assert_eq!(
            CharXiv.judge_prompt(&tsv, "about 60").unwrap(),
            "Q: about 60 / GT 60 / again about 60"
        );
        let desc = gold("60", &[("split", "descriptive"), ("qid", "7")]);
        assert_eq!(
            CharXiv.judge_prompt(&desc, "about 60"),
            descriptive_grading_query(7, "60", "about 60")
        );
        let reas = gold(
            "Joint-CNN",
            &[
                ("split", "reasoning"),
                ("inst_category", "text-in-chart"),
                ("query", "Which model declines most?"),
            ],
        );
        assert_eq!(
            CharXiv.judge_prompt(&reas, "Ours"),
            reasoning_grading_query(1, "Which model declines most?", "Joint-CNN", "Ours")
        );
        // Missing pieces: no judge step.
        assert_eq!(
            CharXiv.judge_prompt(&gold("1", &[("split", "reasoning")]), "x"),
            None
        );
        assert_eq!(CharXiv.judge_prompt(&gold("1", &[]), "x"), None);
        assert_eq!(
            CharXiv.judge_prompt(&gold("1", &[("split", "descriptive"), ("qid", "x")]), "x"),
            None
        );
    }

    #[test]
    fn rule_pre_pass_decides_only_exact_matches() {
        let g = gold("Not Applicable", &[]);
        let s = CharXiv.score(&g, "not applicable.");
        assert_eq!((s.how, s.metrics[METRIC]), (How::Rule, 1.0));
        let g = gold("60", &[]);
        for right in [
            "60",
            " 60 ",
            "**60**",
            "The answer is 60.",
            "\\boxed{60}",
            "<CONCLUSION>60</CONCLUSION>",
        ] {
            let s = CharXiv.score(&g, right);
            assert_eq!((s.how, s.metrics[METRIC]), (How::Rule, 1.0), "{right}");
        }
        // Numerically equal but spelled differently, or plainly different: the judge decides.
        for unsure in ["60.0", "sixty", "61", "", "It is 60 or so"] {
            let s = CharXiv.score(&g, unsure);
            assert_eq!((s.how, s.metrics[METRIC]), (How::Unparsed, 0.0), "{unsure}");
        }
        let g = gold("Ft-CNN, iCaRL*,  EEIL*", &[]);
        let s = CharXiv.score(&g, "ft-cnn, icarl*, eeil*");
        assert_eq!(s.how, How::Rule);
    }

    #[test]
    fn verdicts_parse_from_json_fences_trailing_text_and_key_variants() {
        let v = |r: &str| parse_verdict(r);
        let yes = |e: &str| {
            Some(Verdict {
                extracted: Some(e.to_string()),
                right: true,
            })
        };
        assert_eq!(v(r#"{"extracted_answer": "60", "score": 1}"#), yes("60"));
        assert_eq!(
            v(
                "```json\n{\n  \"extracted_answer\": \"60\",\n  \"score\": 1\n}\n```\nThe response matches."
            ),
            yes("60")
        );
        assert_eq!(
            v(r#"Here: {"extract_answer": "60", "score": "1"} done"#),
            yes("60")
        );
        assert_eq!(
            v(r#"{"extract_answer_T1": 1.0, "score_T1": 1}"#),
            yes("1.0")
        );
        assert_eq!(
            v(r#"{"extracted_answer": "61", "score": 0}"#),
            Some(Verdict {
                extracted: Some("61".into()),
                right: false
            })
        );
        assert_eq!(
            v(r#"{"extracted_answer": null, "score": 0.0}"#).map(|x| x.right),
            Some(false)
        );
        // Malformed JSON in the official examples' style (no commas): the score is scanned.
        assert_eq!(
            v("{\n \"extract_answer_T1\": \"No\",\n \"score_T1\": 1\n \"x\": 2 }"),
            Some(Verdict {
                extracted: None,
                right: true
            })
        );
        // An object without a score is skipped for a later one.
        assert_eq!(
            v(r#"{"note": 1} then {"score": 0}"#).map(|x| x.right),
            Some(false)
        );
    }

    #[test]
    fn unreadable_verdicts_are_unparsed() {
        for reply in [
            "",
            "Score: 1",
            "The answer is correct.",
            r#"{"extracted_answer": "60", "score": -1}"#,
            r#"{"extracted_answer": "60", "score": 0.5}"#,
            r#"{"extracted_answer": "60", "score": "yes"}"#,
            r#"{"extracted_answer": "60"}"#,
            "{\"score\": 10 broken",
            "{\"score\": 1.5 broken",
        ] {
            assert_eq!(parse_verdict(reply), None, "{reply}");
            let s = CharXiv.judge_verdict(&gold("60", &[]), "about sixty", reply);
            assert_eq!((s.how, s.metrics[METRIC]), (How::Unparsed, 0.0), "{reply}");
        }
        // An unreadable reply leaves a rule decision standing.
        let s = CharXiv.judge_verdict(&gold("60", &[]), "60", "garbled");
        assert_eq!((s.how, s.metrics[METRIC]), (How::Rule, 1.0));
        // A readable reply decides.
        let s = CharXiv.judge_verdict(
            &gold("60", &[]),
            "about sixty",
            r#"{"extracted_answer": "60", "score": 1}"#,
        );
        assert_eq!(
            (s.how, s.metrics[METRIC], s.extracted.as_deref()),
            (How::Judge, 1.0, Some("60"))
        );
    }

    #[test]
    fn the_headline_is_the_first_metric() {
        assert_eq!(CharXiv.primary_metric(), CharXiv.metric_names()[0]);
    }
}
