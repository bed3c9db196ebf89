//! The one scoring path. An item is decided here both during a run and on
//! `evalkit report --rescore`: the scorer's rules first; when they leave the answer
//! unresolved (or the benchmark is judge-graded) the scorer's official judge prompt goes to
//! a [`Judge`], and the scorer reads the verdict. During a run the judge is a live model
//! call (the run's `judge` role, see `strategy::calls`); on rescoring it is the verdict
//! stored in the item's record ([`StoredVerdict`]), so rescoring needs no judge call and
//! changes nothing a judge decided. Without a judge, unresolved answers stay `unparsed`
//! and count as wrong.

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Gold, How, Score, Scorer};

/// One judge decision as the journal keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JudgeCall {
    /// The judge model card's name.
    pub model: String,
    pub request_hash: String,
    /// The judge's raw reply (kept so rescoring needs no judge call).
    pub reply: Option<String>,
    pub error: Option<String>,
    pub attempts: u32,
    /// The reply came from the cache or the journal, not from a request.
    #[serde(skip)]
    pub cached: bool,
}

/// Where verdicts come from: a live judge model, or a stored decision.
pub trait Judge: Send + Sync {
    /// Asks for a verdict on one filled-in judge prompt.
    fn ask<'a>(&'a self, prompt: String) -> BoxFuture<'a, JudgeCall>;
}

/// The verdict an earlier session stored in the item's record.
pub struct StoredVerdict<'a>(pub &'a JudgeCall);

impl Judge for StoredVerdict<'_> {
    fn ask<'a>(&'a self, _prompt: String) -> BoxFuture<'a, JudgeCall> {
        let stored = JudgeCall {
            cached: true,
            ..self.0.clone()
        };
        async move { stored }.boxed()
    }
}

/// An item's score and the judge decision behind it, if the judge was consulted.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub score: Score,
    pub judge: Option<JudgeCall>,
}

/// Decides one answer: rules first, then the judge for what they leave unresolved.
pub async fn decide(
    scorer: &dyn Scorer,
    gold: &Gold,
    response: &str,
    judge: Option<&dyn Judge>,
) -> Decision {
    let rule = scorer.score(gold, response);
    let prompt = match (judge, rule.how) {
        (Some(_), How::Unparsed) => scorer.judge_prompt(gold, response),
        _ => None,
    };
    let (Some(judge), Some(prompt)) = (judge, prompt) else {
        return Decision {
            score: rule,
            judge: None,
        };
    };
    let call = judge.ask(prompt).await;
    let score = match &call.reply {
        Some(reply) => scorer.judge_verdict(gold, response, reply),
        None => rule,
    };
    Decision {
        score,
        judge: Some(call),
    }
}

/// [`decide`] with the verdict stored in a record (no call is made, so no runtime is
/// needed).
pub fn decide_stored(
    scorer: &dyn Scorer,
    gold: &Gold,
    response: &str,
    stored: Option<&JudgeCall>,
) -> Decision {
    let judge = stored.map(StoredVerdict);
    // The stored judge never waits, so this returns at once.
    futures::executor::block_on(decide(
        scorer,
        gold,
        response,
        judge.as_ref().map(|j| j as &dyn Judge),
    ))
}

#[cfg(test)]
mod tests {
    use super::testing::Picky;
    use super::*;

    fn stored(reply: Option<&str>) -> JudgeCall {
        JudgeCall {
            model: "judge".into(),
            request_hash: "h".into(),
            reply: reply.map(str::to_string),
            error: reply.is_none().then(|| "HTTP 500".to_string()),
            attempts: 1,
            cached: false,
        }
    }

    fn gold() -> Gold {
        Gold {
            answers: vec!["42".into()],
            ..Gold::default()
        }
    }

    #[test]
    fn a_stored_verdict_decides_what_the_rules_leave_open() {
        let judged = decide_stored(&Picky, &gold(), "forty-two", Some(&stored(Some("RIGHT"))));
        assert_eq!(judged.score.how, How::Judge);
        assert_eq!(judged.score.metrics["accuracy"], 1.0);
        let call = judged.judge.unwrap();
        assert!(call.cached, "a stored verdict is not a new call");
        assert_eq!(call.reply.as_deref(), Some("RIGHT"));
    }

    #[test]
    fn rules_decide_first_and_a_failed_judge_leaves_the_rule_score() {
        let by_rule = decide_stored(&Picky, &gold(), "42", Some(&stored(Some("WRONG"))));
        assert_eq!(by_rule.score.how, How::Rule);
        assert!(by_rule.judge.is_none());

        let failed = decide_stored(&Picky, &gold(), "forty-two", Some(&stored(None)));
        assert_eq!(failed.score.how, How::Unparsed);
        assert!(failed.judge.is_some(), "the failed judge call is kept");

        let no_judge = decide_stored(&Picky, &gold(), "forty-two", None);
        assert_eq!(no_judge.score.how, How::Unparsed);
        assert!(no_judge.judge.is_none());
    }
}

/// A scorer for the scoring path's own tests (here and in the call context's): rules resolve
/// "42" only, and the judge's reply "RIGHT" marks an answer right.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use crate::score::{Gold, How, Score, Scorer};

    pub struct Picky;
    impl Scorer for Picky {
        fn name(&self) -> &'static str {
            "picky"
        }
        fn primary_metric(&self) -> &'static str {
            "accuracy"
        }
        fn metric_names(&self) -> Vec<&'static str> {
            vec!["accuracy"]
        }
        fn score(&self, _gold: &Gold, response: &str) -> Score {
            let right = response == "42";
            Score {
                metrics: BTreeMap::from([("accuracy".into(), if right { 1.0 } else { 0.0 })]),
                extracted: None,
                how: if right { How::Rule } else { How::Unparsed },
            }
        }
        fn judge_prompt(&self, gold: &Gold, response: &str) -> Option<String> {
            Some(format!("gold {} said {response}", gold.answers[0]))
        }
        fn judge_verdict(&self, _gold: &Gold, _response: &str, reply: &str) -> Score {
            let right = reply == "RIGHT";
            Score {
                metrics: BTreeMap::from([("accuracy".into(), if right { 1.0 } else { 0.0 })]),
                extracted: Some(reply.into()),
                how: How::Judge,
            }
        }
    }
}
