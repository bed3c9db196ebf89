//! Everything a run needs before the first request: cards resolved, data found and
//! opened, the model probed (fail fast on a wrong URL or key), the run directory and its
//! journal opened, and the dispatcher's cache seeded with answers from earlier sessions.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::RunOptions;
use crate::adapter::http::OpenAiModel;
use crate::adapter::{Model, Response};
use crate::card::find::{self, CardKind};
use crate::card::model::{ContentMode, ModelCard};
use crate::card::suite::SuiteCard;
use crate::journal::manifest::{DataInfo, Session};
use crate::journal::{Journal, Manifest, Status};
use crate::schedule::cache::DiskCache;
use crate::schedule::retry::RetryPolicy;
use crate::schedule::{DispatchConfig, Dispatcher};
use crate::score::Scorer;
use crate::strategy::Strategy;
use crate::strategy::decoupled::{Decoupled, Perception};
use crate::strategy::direct::Direct;
use crate::suite::{ItemStream, locate};

/// A run, ready to start.
pub struct Setup {
    pub journal: Journal,
    pub loaded: crate::journal::Loaded,
    pub dispatcher: Arc<Dispatcher>,
    pub judge: Option<Arc<super::judge::Judge>>,
    pub strategy: Arc<dyn Strategy>,
    pub scorer: Arc<dyn Scorer>,
    pub manifest: Manifest,
    pub stream: ItemStream,
    pub metric_names: Vec<&'static str>,
    pub cancel: CancellationToken,
    pub concurrency: usize,
}

/// Loads a model card by name or path.
pub fn model_card(name: &str) -> anyhow::Result<ModelCard> {
    ModelCard::load(&find::resolve(CardKind::Model, name)?)
}

/// Loads a suite card by name or path and checks its scorer and metrics.
pub fn suite_card(name: &str) -> anyhow::Result<SuiteCard> {
    let card = SuiteCard::load(&find::resolve(CardKind::Suite, name)?)?;
    crate::score::check_suite_card(&card)?;
    Ok(card)
}

/// Builds the adapter a model card describes.
pub fn model(card: &ModelCard) -> anyhow::Result<Arc<dyn Model>> {
    use crate::card::model::ModelKind;
    match card.kind {
        ModelKind::Openai => Ok(Arc::new(OpenAiModel::new(card)?)),
        ModelKind::OnnxOcr => Ok(Arc::new(crate::adapter::onnx::ocr::OnnxOcrModel::new(
            card,
        )?)),
        ModelKind::OnnxImage2text => Ok(Arc::new(
            crate::adapter::onnx::image2text::OnnxImage2TextModel::new(card)?,
        )),
    }
}

/// The run id: what changes answers (model settings, suite, strategy, evalkit version).
pub fn run_id(model_fingerprint: &str, suite: &SuiteCard, strategy: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [
        model_fingerprint,
        &format!("{:?}", suite.benchmark),
        &suite.scorer,
        &suite.prompt,
        strategy,
        crate::VERSION,
    ] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex()[..12].to_string()
}

/// Keeps a name usable as a directory name.
fn dir_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn prepare(opts: &RunOptions) -> anyhow::Result<Setup> {
    let model_card = model_card(&opts.model)?;
    let mut suite_card = suite_card(&opts.suite)?;
    if opts.task == super::Task::ChartToTable {
        if !opts.perception.is_empty() {
            anyhow::bail!(
                "--strategy chart-to-table asks one model for the table; it does not combine with --perception/--reasoning"
            );
        }
        suite_card = crate::strategy::table::suite_card(&suite_card);
    }
    let scorer: Arc<dyn Scorer> =
        Arc::from(crate::score::by_name(&suite_card.scorer).map_err(anyhow::Error::msg)?);
    // The bundled default suite is generated on first use (seed 0) into the data cache,
    // when the card reads it from there; a suite already there (of any size) is used as is.
    let default_synth = crate::synth::default_dir(0);
    let reads_default = |s: &crate::card::suite::SourceSpec| {
        crate::paths::data_dir().join(&s.path) == default_synth
    };
    if suite_card.benchmark == crate::suite::Benchmark::Synthchart
        && opts.data.is_none()
        && suite_card.sources.iter().any(reads_default)
        && !default_synth.exists()
        && crate::synth::ensure(0, crate::synth::DEFAULT_CHARTS, &default_synth)?
    {
        eprintln!(
            "generated the synthetic chart suite (seed 0) into {}",
            default_synth.display()
        );
    }
    let source = locate::resolve(&suite_card, opts.data.as_deref())?;
    let mut stream = crate::suite::open(suite_card.benchmark, &source)?;
    if let Some(n) = opts.sample {
        let ids = crate::suite::select::sample_ids(stream, n, opts.seed);
        stream =
            crate::suite::select::filter(crate::suite::open(suite_card.benchmark, &source)?, ids);
    }
    let model = model(&model_card)?;
    model.probe().await?;
    let judge_card = opts.judge.as_deref().map(self::model_card).transpose()?;
    let judge_model = match &judge_card {
        Some(card) => {
            let judge = self::model(card)?;
            judge
                .probe()
                .await
                .map_err(|e| e.context("the judge model (--judge) is not usable"))?;
            Some(judge)
        }
        None => None,
    };

    let batches = opts
        .concurrency
        .unwrap_or(model_card.max_concurrency)
        .max(1);
    let concurrency = model_card.requests_in_flight(batches);
    let cancel = CancellationToken::new();
    let dispatcher = Arc::new(new_dispatcher(model.clone(), &model_card, batches, &cancel));
    let judge = match (&judge_card, judge_model) {
        (Some(card), Some(judge)) => Some(Arc::new(super::judge::Judge {
            name: card.name.clone(),
            dispatcher: Arc::new(new_dispatcher(judge, card, card.max_concurrency, &cancel)),
        })),
        _ => None,
    };
    let (strategy, run_model_name) = strategy(opts, &suite_card, &model_card, &cancel).await?;
    let fingerprint = model.fingerprint();
    let run_id = run_id(&fingerprint, &suite_card, &strategy.id());
    let dir = opts
        .out
        .join(dir_name(&suite_card.name))
        .join(dir_name(&run_model_name))
        .join(&run_id);
    let (journal, loaded) = Journal::open(&dir)?;
    dispatcher.preload(
        loaded
            .records
            .iter()
            .filter(|r| r.status == Status::Answered)
            .flat_map(|r| {
                let top = r
                    .response
                    .clone()
                    .map(|text| (r.request_hash.clone(), cached(text, r.usage)));
                let calls = r.calls.iter().filter_map(|c| {
                    Some((c.request_hash.clone(), cached(c.response.clone()?, c.usage)))
                });
                top.into_iter().chain(calls).collect::<Vec<_>>()
            }),
    );

    let session = Session {
        started_at: chrono::Utc::now().to_rfc3339(),
        finished_at: None,
        outcome: None,
        items_selected: 0,
        requests_sent: 0,
    };
    let mut notes = Vec::new();
    if model_card.content == ContentMode::Text {
        notes.push(format!(
            "model card {} sends plain-text content: images were left out of every request",
            model_card.path.display()
        ));
    }
    let manifest = match Manifest::read(&dir) {
        Ok(mut existing) => {
            existing.sessions.push(session);
            existing.judge = judge_card.clone();
            existing.data = data_info(&source);
            existing
        }
        Err(_) => Manifest {
            schema: Manifest::SCHEMA.into(),
            run_id: run_id.clone(),
            evalkit_version: crate::VERSION.into(),
            suite: suite_card.clone(),
            model: model_card.clone(),
            model_fingerprint: fingerprint,
            judge: judge_card.clone(),
            strategy: strategy.id(),
            prompt_template: suite_card.prompt.clone(),
            data: data_info(&source),
            images_sent: model_card.content == ContentMode::Parts,
            notes,
            resume_command: opts.command.clone(),
            sessions: vec![session],
        },
    };
    manifest.write(&dir)?;
    let metric_names = scorer.metric_names();
    Ok(Setup {
        journal,
        loaded,
        dispatcher,
        judge,
        strategy,
        scorer,
        manifest,
        stream,
        metric_names,
        cancel,
        concurrency,
    })
}

/// The strategy: direct, or decoupled when perception sources are given (the model card is
/// then the reasoning model). Returns it with the name used for the run directory.
async fn strategy(
    opts: &RunOptions,
    suite: &SuiteCard,
    model_card: &ModelCard,
    cancel: &CancellationToken,
) -> anyhow::Result<(Arc<dyn Strategy>, String)> {
    if opts.perception.is_empty() {
        let direct = Direct {
            template: suite.prompt.clone(),
            image_max_side: model_card.image_max_side,
        };
        let strategy: Arc<dyn Strategy> = match opts.task {
            super::Task::Direct => Arc::new(direct),
            super::Task::ChartToTable => Arc::new(crate::strategy::table::ChartToTable { direct }),
        };
        return Ok((strategy, model_card.name.clone()));
    }
    let disk = DiskCache::new(DiskCache::default_dir());
    let mut sources = Vec::new();
    let mut image_max_side = None;
    for name in &opts.perception {
        sources.push(match name.as_str() {
            "none" => Perception::None,
            "gold-table" => Perception::GoldTable,
            other => {
                // `ocr` is the shipped PP-OCR card.
                let card = self::model_card(if other == "ocr" { "ppocr" } else { other })?;
                let perceiver = self::model(&card)?;
                perceiver
                    .probe()
                    .await
                    .map_err(|e| e.context(format!("perception source `{other}` is not usable")))?;
                image_max_side = image_max_side.or(card.image_max_side);
                let dispatcher = new_dispatcher(perceiver, &card, card.max_concurrency, cancel)
                    .with_disk_cache(disk.clone());
                Perception::Model {
                    name: card.name.clone(),
                    dispatcher: Arc::new(dispatcher),
                }
            }
        });
    }
    let names: Vec<&str> = sources.iter().map(Perception::name).collect();
    let run_name = format!("{}-to-{}", names.join("+"), model_card.name);
    let decoupled = Decoupled {
        perception: sources,
        instruction: opts.instruction,
        template: suite.prompt.clone(),
        image_max_side,
    };
    Ok((Arc::new(decoupled), run_name))
}

/// A dispatcher for a model with its card's limits and retry policy; `batches` calls at
/// once (see [`ModelCard::requests_in_flight`]).
fn new_dispatcher(
    model: Arc<dyn Model>,
    card: &ModelCard,
    batches: usize,
    cancel: &CancellationToken,
) -> Dispatcher {
    Dispatcher::new(
        model,
        DispatchConfig {
            concurrency: card.requests_in_flight(batches),
            requests_per_minute: card.requests_per_minute,
            tokens_per_minute: card.tokens_per_minute,
            retry: RetryPolicy {
                max_attempts: card.max_attempts,
                base_delay: Duration::from_secs_f64(card.backoff_secs),
                max_delay: Duration::from_secs_f64(card.max_backoff_secs),
            },
            // The adapter enforces the card's timeout; this is the backstop.
            timeout: Duration::from_secs_f64(card.timeout_secs + 5.0),
        },
        cancel.clone(),
    )
}

fn data_info(source: &crate::suite::ResolvedSource) -> DataInfo {
    DataInfo {
        format: locate::format_name(source.format).into(),
        path: source.path.clone(),
        files: locate::fingerprints(source),
    }
}

fn cached(text: String, usage: Option<crate::adapter::Usage>) -> Response {
    Response {
        text,
        usage,
        latency: Duration::ZERO,
    }
}
