//! The call context: every model a run has, by role, and the log of one item's calls.
//!
//! A strategy never holds a dispatcher of its own. It asks the context for the model
//! under test (`answer`), a perception source (`perceive`), the run's model acting as the
//! text-only reasoner of a decoupled run (`reason`), or the judge (`judge`), and every call
//! it makes is logged with its role and model, so each journal record keeps every call
//! (raw text, usage, latency, attempts, finish reason), and a resumed run can preload
//! every role's dispatcher from the journal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::adapter::{Request, Response};
use crate::schedule::{CallOutcome, Dispatcher};
use crate::score::decide::{Judge, JudgeCall};

/// Why a call was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallRole {
    /// The model under test, answering the item.
    Answer,
    /// A perception source describing the image.
    Perceive,
    /// The run's model answering from a description (decoupled runs).
    Reason,
    /// The judge deciding what the rules could not.
    Judge,
}

impl CallRole {
    pub const ALL: [CallRole; 4] = [
        CallRole::Answer,
        CallRole::Perceive,
        CallRole::Reason,
        CallRole::Judge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CallRole::Answer => "answer",
            CallRole::Perceive => "perceive",
            CallRole::Reason => "reason",
            CallRole::Judge => "judge",
        }
    }
}

/// One model of the run, ready to call.
pub struct Endpoint {
    /// The model card's name (recorded with each call).
    pub name: String,
    pub dispatcher: Arc<Dispatcher>,
}

/// Every model of a run, by role.
pub struct CallContext {
    /// The model the run evaluates (`answer` calls; `reason` calls in decoupled runs).
    pub model: Endpoint,
    /// Perception sources that are models, by the name the strategy spec uses.
    pub perceivers: Vec<(String, Endpoint)>,
    /// The judge, when one was given.
    pub judge: Option<Endpoint>,
}

impl CallContext {
    /// Every endpoint with the role its calls are journaled under.
    pub fn endpoints(&self) -> impl Iterator<Item = &Endpoint> {
        std::iter::once(&self.model)
            .chain(self.perceivers.iter().map(|(_, e)| e))
            .chain(self.judge.iter())
    }

    /// Every endpoint's dispatcher counters, labelled `ROLE NAME` (the run's model is the
    /// `reason` role in decoupled runs).
    pub fn labelled_counters(&self, decoupled: bool) -> Vec<(String, &crate::schedule::Counters)> {
        let model_role = if decoupled { "reason" } else { "answer" };
        let mut out = vec![(
            format!("{model_role} {}", self.model.name),
            &self.model.dispatcher.counters,
        )];
        for (_, e) in &self.perceivers {
            out.push((format!("perceive {}", e.name), &e.dispatcher.counters));
        }
        if let Some(judge) = &self.judge {
            out.push((format!("judge {}", judge.name), &judge.dispatcher.counters));
        }
        out
    }

    /// What each model's dispatcher saw of its replicas and its adaptive limit, labelled
    /// as [`CallContext::labelled_counters`] labels them.
    pub fn labelled_traffic(&self, decoupled: bool) -> Vec<(String, crate::schedule::Traffic)> {
        let model_role = if decoupled { "reason" } else { "answer" };
        let mut out = vec![(
            format!("{model_role} {}", self.model.name),
            self.model.dispatcher.traffic(),
        )];
        for (_, e) in &self.perceivers {
            out.push((format!("perceive {}", e.name), e.dispatcher.traffic()));
        }
        if let Some(judge) = &self.judge {
            out.push((format!("judge {}", judge.name), judge.dispatcher.traffic()));
        }
        out
    }

    /// The perception endpoint a strategy spec names.
    pub fn perceiver(&self, name: &str) -> Option<&Endpoint> {
        self.perceivers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e)
    }
}

/// One logged call.
#[derive(Clone, Debug)]
pub struct Call {
    pub role: CallRole,
    /// The model card's name.
    pub model: String,
    pub outcome: CallOutcome,
}

/// Where completed calls go while an item is still in progress (the run's journal), so a
/// run killed half-way through a multi-call item resumes without re-sending them.
pub trait CallSink: Send + Sync {
    fn call_done(&self, call: &Call);
}

/// One item's calls: the run's context plus the log of what this item asked.
pub struct Calls {
    context: Arc<CallContext>,
    log: Mutex<Vec<Call>>,
    sink: Option<Arc<dyn CallSink>>,
    /// Replies this item's earlier record holds, by request hash (resume).
    prior: Option<HashMap<String, Response>>,
}

impl Calls {
    pub fn new(context: Arc<CallContext>) -> Self {
        Self {
            context,
            log: Mutex::new(Vec::new()),
            sink: None,
            prior: None,
        }
    }

    /// Answers calls whose request hash is in `prior` (the item's earlier record) without
    /// a request.
    pub fn with_prior(mut self, prior: Option<HashMap<String, Response>>) -> Self {
        self.prior = prior.filter(|p| !p.is_empty());
        self
    }

    /// Also hands every call that reached a model (not the cache) to `sink` as it lands.
    pub fn with_sink(mut self, sink: Option<Arc<dyn CallSink>>) -> Self {
        self.sink = sink;
        self
    }

    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// Calls the model under test.
    pub async fn answer(&self, request: &Request) -> CallOutcome {
        let model = &self.context.model;
        self.call(CallRole::Answer, model, request).await
    }

    /// Calls the run's model, journaled under `role` (answer or reason).
    pub async fn model(&self, role: CallRole, request: &Request) -> CallOutcome {
        let model = &self.context.model;
        self.call(role, model, request).await
    }

    /// Calls the run's model as the reasoner of a decoupled run.
    pub async fn reason(&self, request: &Request) -> CallOutcome {
        let model = &self.context.model;
        self.call(CallRole::Reason, model, request).await
    }

    /// Calls a perception source; an unknown name is an error outcome (the strategy was
    /// built without that source).
    pub async fn perceive(&self, source: &str, request: &Request) -> CallOutcome {
        match self.context.perceiver(source) {
            Some(endpoint) => self.call(CallRole::Perceive, endpoint, request).await,
            None => CallOutcome {
                hash: String::new(),
                result: Err(format!("perception source `{source}` has no model")),
                attempts: 0,
                cached: false,
                cancelled: false,
            },
        }
    }

    /// Asks whoever selects among candidates (best-of-N, stage-level beam search): the
    /// run's judge when one was given, else the model itself, as LLaVA-CoT does. Journaled
    /// under the `judge` role.
    pub async fn select(&self, request: &Request) -> CallOutcome {
        let endpoint = self.context.judge.as_ref().unwrap_or(&self.context.model);
        self.call(CallRole::Judge, endpoint, request).await
    }

    /// Several calls to the run's model at once (samples, candidates), journaled under
    /// `role` in request order.
    pub async fn many(&self, role: CallRole, requests: &[Request]) -> Vec<CallOutcome> {
        let endpoint = &self.context.model;
        let outcomes = futures::future::join_all(
            requests
                .iter()
                .map(|r| endpoint.dispatcher.call_with(r, self.prior.as_ref())),
        )
        .await;
        for outcome in &outcomes {
            self.record(role, endpoint, outcome.clone());
        }
        outcomes
    }

    async fn call(&self, role: CallRole, endpoint: &Endpoint, request: &Request) -> CallOutcome {
        let outcome = endpoint
            .dispatcher
            .call_with(request, self.prior.as_ref())
            .await;
        self.record(role, endpoint, outcome.clone());
        outcome
    }

    fn record(&self, role: CallRole, endpoint: &Endpoint, outcome: CallOutcome) {
        let call = Call {
            role,
            model: endpoint.name.clone(),
            outcome,
        };
        if let Some(sink) = &self.sink
            && !call.outcome.cached
            && call.outcome.result.is_ok()
        {
            sink.call_done(&call);
        }
        if let Ok(mut log) = self.log.lock() {
            log.push(call);
        }
    }

    /// The judge, as the scoring path sees it (None when the run has no judge).
    pub fn judge(&self) -> Option<&dyn Judge> {
        self.context.judge.as_ref().map(|_| self as &dyn Judge)
    }

    /// The finish reason of the last call that was not the judge's (the call whose reply
    /// became the answer, for every strategy).
    pub fn last_finish_reason(&self) -> Option<String> {
        let log = self.log.lock().ok()?;
        let last = log.iter().rev().find(|c| c.role != CallRole::Judge)?;
        last.outcome.result.as_ref().ok()?.finish_reason.clone()
    }

    /// Every call made so far, in order.
    pub fn take(&self) -> Vec<Call> {
        self.log
            .lock()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }
}

impl Judge for Calls {
    fn ask<'a>(&'a self, prompt: String) -> BoxFuture<'a, JudgeCall> {
        async move {
            let Some(judge) = self.context.judge.as_ref() else {
                return JudgeCall {
                    model: String::new(),
                    request_hash: String::new(),
                    reply: None,
                    error: Some("no judge model was given (--judge CARD)".into()),
                    attempts: 0,
                    cached: true,
                };
            };
            let call = self
                .call(CallRole::Judge, judge, &Request::text(prompt))
                .await;
            let (reply, error) = match call.result {
                Ok(reply) => (Some(reply.text), None),
                Err(e) => (None, Some(e)),
            };
            JudgeCall {
                model: judge.name.clone(),
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
    use std::sync::Mutex;
    use std::time::Duration;

    use futures::FutureExt;
    use futures::future::BoxFuture;

    use super::*;
    use crate::adapter::{CallError, Model, Part, Response};
    use crate::schedule::DispatchConfig;
    use crate::schedule::retry::RetryPolicy;
    use crate::score::decide::testing::Picky;
    use crate::score::decide::{decide, decide_stored};
    use crate::score::{Gold, How};

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
            adaptive: false,
            requests_per_minute: None,
            tokens_per_minute: None,
            retry: RetryPolicy {
                max_attempts: 1,
                base_delay: Duration::ZERO,
                max_delay: Duration::ZERO,
            },
            timeout: Duration::from_secs(5),
        };
        let endpoint = |name: &str| Endpoint {
            name: name.into(),
            dispatcher: Arc::new(Dispatcher::new(
                model.clone(),
                config.clone(),
                Default::default(),
            )),
        };
        let context = Arc::new(CallContext {
            model: endpoint("answerer"),
            perceivers: vec![],
            judge: Some(endpoint("fake")),
        });
        let calls = Calls::new(context);
        let judge = calls.judge().unwrap();
        let gold = Gold {
            answers: vec!["42".into()],
            ..Gold::default()
        };

        let by_rule = decide(&Picky, &gold, "42", Some(judge)).await;
        assert_eq!(by_rule.score.how, How::Rule);
        assert!(by_rule.judge.is_none());

        let judged = decide(&Picky, &gold, "forty-two", Some(judge)).await;
        assert_eq!(judged.score.how, How::Judge);
        assert_eq!(judged.score.metrics["accuracy"], 1.0);
        let record = judged.judge.unwrap();
        assert_eq!(record.reply.as_deref(), Some("RIGHT"));
        assert_eq!(
            *model.0.lock().unwrap(),
            vec!["gold 42 said forty-two".to_string()]
        );
        assert!(!record.cached);

        let again = decide(&Picky, &gold, "forty-two", Some(judge)).await;
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
        // Every judge call is logged with its role and model.
        let log = calls.take();
        assert_eq!(log.len(), 2);
        assert!(
            log.iter()
                .all(|c| c.role == CallRole::Judge && c.model == "fake")
        );
        assert!(log[1].outcome.cached);
        assert_eq!(
            decide_stored(&Picky, &gold, "forty-two", Some(&record))
                .score
                .how,
            How::Judge
        );
    }
}
