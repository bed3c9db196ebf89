//! The judge step: when the rules leave an answer unresolved (or the benchmark is
//! judge-graded), the scorer's official judge prompt goes to the judge model through its
//! own dispatcher (rate limits, retries, cache, like any call) and the scorer reads the
//! verdict. Without a judge, unresolved answers stay `unparsed` and count as wrong.

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::adapter::Request;
use crate::journal::record::JudgeRecord;
use crate::schedule::Dispatcher;

/// A judge model, ready to call.
pub struct Judge {
    /// The judge card's name (recorded with each decision).
    pub name: String,
    pub dispatcher: Arc<Dispatcher>,
}

impl crate::score::decide::Judge for Judge {
    fn ask<'a>(&'a self, prompt: String) -> BoxFuture<'a, JudgeRecord> {
        async move {
            let call = self.dispatcher.call(&Request::text(prompt)).await;
            let (reply, error) = match call.result {
                Ok(reply) => (Some(reply.text), None),
                Err(e) => (None, Some(e)),
            };
            JudgeRecord {
                model: self.name.clone(),
                request_hash: call.hash,
                reply,
                error,
                attempts: call.attempts,
                cached: call.cached,
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use futures::FutureExt;
    use futures::future::BoxFuture;

    use super::*;
    use crate::adapter::{CallError, Model, Part, Response};
    use crate::schedule::DispatchConfig;
    use crate::schedule::retry::RetryPolicy;
    use crate::score::decide::{decide, decide_stored};
    use crate::score::{Gold, How, Score, Scorer};

    /// Rules resolve "42" only; the judge is asked about anything else and says "RIGHT".
    struct Picky;
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
            let how = if response == "42" {
                How::Rule
            } else {
                How::Unparsed
            };
            let v = if response == "42" { 1.0 } else { 0.0 };
            Score {
                metrics: BTreeMap::from([("accuracy".into(), v)]),
                extracted: None,
                how,
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

    /// A judge that records prompts and answers "RIGHT".
    #[derive(Default)]
    struct FakeJudge(Mutex<Vec<String>>);
    impl Model for FakeJudge {
        fn fingerprint(&self) -> String {
            "fake-judge".into()
        }
        fn generate<'a>(
            &'a self,
            request: &'a Request,
        ) -> BoxFuture<'a, Result<Response, CallError>> {
            let Part::Text { text } = &request.messages[0].parts[0] else {
                panic!("text prompt")
            };
            self.0.lock().unwrap().push(text.clone());
            async {
                Ok(Response {
                    text: "RIGHT".into(),
                    usage: None,
                    ..Response::default()
                })
            }
            .boxed()
        }
        fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>> {
            async { Ok(()) }.boxed()
        }
        fn estimate_tokens(&self, _request: &Request) -> u32 {
            1
        }
    }

    #[tokio::test]
    async fn rules_first_then_the_judge_then_its_cache() {
        let model = Arc::new(FakeJudge::default());
        let config = DispatchConfig {
            concurrency: 1,
            requests_per_minute: None,
            tokens_per_minute: None,
            retry: RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            },
            timeout: Duration::from_secs(5),
        };
        let dispatcher = Arc::new(Dispatcher::new(model.clone(), config, Default::default()));
        let judge = Judge {
            name: "fake".into(),
            dispatcher,
        };
        let gold = Gold {
            answers: vec!["42".into()],
            ..Gold::default()
        };

        let by_rule = decide(&Picky, &gold, "42", Some(&judge)).await;
        assert_eq!(by_rule.score.how, How::Rule);
        assert!(by_rule.judge.is_none());

        let judged = decide(&Picky, &gold, "forty-two", Some(&judge)).await;
        assert_eq!(judged.score.how, How::Judge);
        assert_eq!(judged.score.metrics["accuracy"], 1.0);
        let record = judged.judge.unwrap();
        assert_eq!(record.reply.as_deref(), Some("RIGHT"));
        assert_eq!(
            *model.0.lock().unwrap(),
            vec!["gold 42 said forty-two".to_string()]
        );
        assert!(!record.cached);

        let again = decide(&Picky, &gold, "forty-two", Some(&judge)).await;
        assert!(
            again.judge.unwrap().cached,
            "the same judge prompt comes from the cache"
        );
        assert_eq!(model.0.lock().unwrap().len(), 1);

        // Without a judge the answer stays unparsed; rescoring reuses the stored reply.
        assert_eq!(
            decide(&Picky, &gold, "forty-two", None).await.score.how,
            How::Unparsed
        );
        assert_eq!(
            decide_stored(&Picky, &gold, "forty-two", Some(&record))
                .score
                .how,
            How::Judge
        );
    }
}
