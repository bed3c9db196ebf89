//! The run's models by role: the model under test, the perception sources a strategy spec
//! names, and the judge, each loaded from its card, probed (fail fast on a wrong URL or
//! key), and given its own dispatcher with its card's limits. On resume an item answered
//! before answers every call from its own record ([`answers_of`]), whatever role its calls
//! had, so a finished run sends nothing: not the answers, not the descriptions, not the
//! judge's verdicts; half-done items' calls are preloaded into the dispatchers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::adapter::{Model, Response};
use crate::card::model::{MaxConcurrency, ModelCard, ModelKind};
use crate::journal::ItemRecord;
use crate::journal::record::CallRecord;
use crate::schedule::cache::DiskCache;
use crate::schedule::retry::RetryPolicy;
use crate::schedule::{DispatchConfig, Dispatcher};
use crate::strategy::{CallContext, CallRole, StrategySpec};

/// The shipped card `ocr` stands for.
const OCR_CARD: &str = "ppocr";

/// The models a run calls, with the cards they came from.
pub struct Roles {
    pub context: Arc<CallContext>,
    pub model_card: ModelCard,
    pub judge_card: Option<ModelCard>,
    /// `image_max_side` of the cards whose calls carry images.
    pub image_max_side: Option<u32>,
    /// Items the run may have in flight: the model's requests in flight.
    pub concurrency: usize,
}

/// Loads, probes and wires every model the spec needs.
pub async fn build(
    model_card: ModelCard,
    spec: &StrategySpec,
    judge: Option<&str>,
    concurrency: Option<MaxConcurrency>,
    shared_cache: bool,
    cancel: &CancellationToken,
) -> anyhow::Result<Roles> {
    let (batches, adaptive) = main_concurrency(&model_card, concurrency)?;
    let model = super::setup::model(&model_card)?;
    model.probe().await?;
    let disk = DiskCache::new(DiskCache::default_dir());
    let mut main_dispatcher = dispatcher(model, &model_card, (batches, adaptive), cancel);
    if shared_cache {
        main_dispatcher = main_dispatcher.with_disk_cache(disk.clone());
    }
    let main = crate::strategy::calls::Endpoint {
        name: model_card.name.clone(),
        dispatcher: Arc::new(main_dispatcher),
    };

    let judge_card = judge.map(super::setup::model_card).transpose()?;
    let judge = match &judge_card {
        Some(card) => {
            let judge = super::setup::model(card)?;
            judge
                .probe()
                .await
                .map_err(|e| e.context("the judge model (--judge) is not usable"))?;
            Some(crate::strategy::calls::Endpoint {
                name: card.name.clone(),
                dispatcher: Arc::new(dispatcher(judge, card, own_concurrency(card), cancel)),
            })
        }
        None => None,
    };

    // Perception sources: descriptions are also kept in the on-disk cache, so every
    // reasoning model of a decoupled grid reuses them.
    let mut perceivers = Vec::new();
    let mut image_max_side = if spec.is_decoupled() {
        None
    } else {
        model_card.image_max_side
    };
    for source in spec.perception_sources() {
        let card = super::setup::model_card(if source == "ocr" { OCR_CARD } else { source })?;
        let perceiver = super::setup::model(&card)?;
        perceiver
            .probe()
            .await
            .map_err(|e| e.context(format!("perception source `{source}` is not usable")))?;
        image_max_side = image_max_side.or(card.image_max_side);
        let dispatcher = dispatcher(perceiver, &card, own_concurrency(&card), cancel)
            .with_disk_cache(disk.clone());
        perceivers.push((
            source.to_string(),
            crate::strategy::calls::Endpoint {
                name: card.name.clone(),
                dispatcher: Arc::new(dispatcher),
            },
        ));
    }
    Ok(Roles {
        concurrency: model_card.requests_in_flight(batches),
        context: Arc::new(CallContext {
            model: main,
            perceivers,
            judge,
        }),
        model_card,
        judge_card,
        image_max_side,
    })
}

/// The model under test's calls in flight (the most, when adaptive) and whether they
/// adapt: `--concurrency` when given, else the card's `max_concurrency`.
fn main_concurrency(
    card: &ModelCard,
    concurrency: Option<MaxConcurrency>,
) -> anyhow::Result<(usize, bool)> {
    match concurrency.unwrap_or(card.max_concurrency) {
        MaxConcurrency::Fixed(n) => Ok((n.max(1), false)),
        MaxConcurrency::Auto if card.kind() != ModelKind::Openai => anyhow::bail!(
            "--concurrency auto needs a model served over HTTP (kind `openai`); model card {} \
             is of kind `{}`: give a number",
            card.path.display(),
            card.kind().name()
        ),
        MaxConcurrency::Auto => Ok((
            card.max_concurrency_limit
                .unwrap_or(crate::card::concurrency::DEFAULT_AUTO_LIMIT),
            true,
        )),
    }
}

/// A card's own calls in flight (its ceiling) and whether they adapt.
fn own_concurrency(card: &ModelCard) -> (usize, bool) {
    (card.concurrency_ceiling(), card.max_concurrency.is_auto())
}

/// A dispatcher for a model with its card's limits and retry policy; `batches` calls at
/// once (see [`ModelCard::requests_in_flight`]), or at most that many when `adaptive`.
fn dispatcher(
    model: Arc<dyn Model>,
    card: &ModelCard,
    (batches, adaptive): (usize, bool),
    cancel: &CancellationToken,
) -> Dispatcher {
    Dispatcher::new(
        model,
        DispatchConfig {
            concurrency: card.requests_in_flight(batches),
            adaptive,
            requests_per_minute: card.requests_per_minute,
            tokens_per_minute: card.tokens_per_minute,
            retry: RetryPolicy {
                max_attempts: card.max_attempts,
                base_delay: card.backoff(),
                max_delay: card.max_backoff(),
            },
            // The adapter enforces the card's timeout; this is the backstop.
            timeout: card.timeout() + Duration::from_secs(5),
        },
        cancel.clone(),
    )
}

/// The replies an earlier record holds, by request hash: each call's (also of a failed
/// item, whose successful calls need not be made again), the answer of records written
/// before calls were recorded, and the judge's verdict. Hashes include each model's
/// fingerprint, so a reply can only ever answer the request that produced it.
pub fn answers_of(record: &ItemRecord) -> HashMap<String, Response> {
    let mut out = HashMap::new();
    for call in &record.calls {
        if let Some(text) = &call.response {
            out.insert(call.request_hash.clone(), call_reply(call, text));
        }
    }
    if record.calls.is_empty()
        && let Some(text) = &record.response
    {
        out.insert(
            record.request_hash.clone(),
            reply(text.clone(), record.usage),
        );
    }
    if let Some(judge) = &record.judge
        && let Some(text) = &judge.reply
    {
        out.insert(judge.request_hash.clone(), reply(text.clone(), None));
    }
    out
}

fn call_reply(call: &CallRecord, text: &str) -> Response {
    Response {
        text: text.to_string(),
        usage: call.usage,
        finish_reason: call.finish_reason.clone(),
        reasoning: call.reasoning.clone(),
        ..Response::default()
    }
}

/// Seeds the dispatchers with the calls of items a killed session left half-done
/// (`calls.jsonl`): each goes to the dispatcher of the model that made it. Calls written
/// before calls carried their model fall back to the model under test.
pub fn preload(context: &CallContext, in_progress: &[CallRecord]) {
    let mut by_model: HashMap<&str, Vec<(String, Response)>> = HashMap::new();
    let main = context.model.name.as_str();
    for call in in_progress {
        let Some(text) = &call.response else { continue };
        let model = match (call.model.as_str(), call.role) {
            ("", Some(CallRole::Judge)) => continue,
            ("", _) => main,
            (name, _) => name,
        };
        by_model
            .entry(model)
            .or_default()
            .push((call.request_hash.clone(), call_reply(call, text)));
    }
    // Two roles played by one card share its replies.
    for endpoint in context.endpoints() {
        if let Some(replies) = by_model.get(endpoint.name.as_str()) {
            endpoint.dispatcher.preload(replies.iter().cloned());
        }
    }
}

fn reply(text: String, usage: Option<crate::adapter::Usage>) -> Response {
    Response {
        text,
        usage,
        ..Response::default()
    }
}
