//! Everything a run needs before the first request: cards resolved, data found and
//! opened, the run's models wired by role (see [`super::roles`]), the strategy built from
//! its spec, the run directory and its journal opened, and every dispatcher preloaded with
//! the answers of earlier sessions.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::RunOptions;
use super::roles::{self, Roles};
use crate::adapter::Model;
use crate::card::find::{self, CardKind};
use crate::card::model::{ContentMode, ModelCard};
use crate::card::suite::SuiteCard;
use crate::journal::manifest::{DataInfo, Session};
use crate::journal::{Journal, Manifest};
use crate::score::Scorer;
use crate::score::protocol::{self, ProtocolName};
use crate::strategy::Strategy;
use crate::suite::{ItemStream, locate};

/// A run, ready to start.
pub struct Setup {
    pub journal: Journal,
    /// What the journal held when the run started.
    pub loaded: crate::journal::Repairs,
    pub roles: Roles,
    pub strategy: Arc<dyn Strategy>,
    pub scorer: Arc<dyn Scorer>,
    pub manifest: Manifest,
    pub stream: ItemStream,
    pub cancel: CancellationToken,
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
    crate::adapter::factory::build(card)
}

/// The run id: what changes answers (model settings, suite, strategy, protocol, evalkit
/// version). The `official` protocol adds nothing, so runs from before protocols keep their ids.
pub fn run_id(
    model_fingerprint: &str,
    suite: &SuiteCard,
    strategy: &str,
    protocol: ProtocolName,
) -> String {
    let mut h = blake3::Hasher::new();
    let named = (protocol != ProtocolName::Official).then(|| format!("protocol={protocol}"));
    for part in [
        model_fingerprint,
        &format!("{:?}", suite.benchmark),
        &suite.scorer,
        &suite.prompt,
        strategy,
        crate::VERSION,
    ]
    .into_iter()
    .chain(named.as_deref())
    {
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
    let mut model_card = model_card(&opts.model)?;
    let mut suite_card = suite_card(&opts.suite)?;
    // The protocol's prompt side: its template and generation settings replace the cards'.
    let chosen = protocol::find(suite_card.benchmark, opts.protocol)
        .map_err(|e| anyhow::anyhow!("--protocol: suite {}: {e}", suite_card.path.display()))?;
    if let Some(side) = chosen.map(|p| p.prompt) {
        if let Some(template) = side.template {
            suite_card.prompt = template.to_string();
        }
        if let Some(n) = side.max_tokens {
            model_card.max_tokens = Some(n);
        }
    }
    let scorer: Arc<dyn Scorer> =
        Arc::from(crate::score::by_name(&suite_card.scorer).map_err(anyhow::Error::msg)?);
    if scorer.needs_judge() && opts.judge.is_none() {
        anyhow::bail!(
            "suite `{}` ({}) is graded by a judge model with its official grading prompt (scorer \
             `{}`): give one with --judge CARD; without it every answer would score 0",
            suite_card.name,
            suite_card.path.display(),
            suite_card.scorer
        );
    }
    if let Some(dir) = crate::synth::first_use::ensure_default(&suite_card, opts.data.as_deref())? {
        eprintln!(
            "generated the synthetic chart suite (seed 0) into {}",
            dir.display()
        );
    }
    let source = locate::resolve(&suite_card, opts.data.as_deref())?;
    let mut stream = crate::suite::open(suite_card.benchmark, &source)?;
    if let Some(n) = opts.sample {
        let ids = crate::suite::select::sample_ids(stream, n, opts.seed);
        stream =
            crate::suite::select::filter(crate::suite::open(suite_card.benchmark, &source)?, ids);
    }
    let stream = super::shard::select(stream, opts);

    let cancel = CancellationToken::new();
    let roles = roles::build(
        model_card,
        &opts.strategy,
        opts.judge.as_deref(),
        opts.concurrency,
        opts.shared_cache,
        &cancel,
    )
    .await?;
    let strategy = opts
        .strategy
        .build(&suite_card, roles.image_max_side, &roles.context)?;
    let model = &roles.context.model;
    let fingerprint = model.dispatcher.fingerprint().to_string();
    let whole_run_id = run_id(&fingerprint, &suite_card, &strategy.id(), opts.protocol);
    let run_id = super::shard::run_id(&whole_run_id, opts);
    let run_name = opts.strategy.run_name(&model.name, &roles.context);
    let dir = opts
        .out
        .join(dir_name(&suite_card.name))
        .join(dir_name(&run_name))
        .join(&run_id);
    let existing = Manifest::read_existing(&dir)?;
    let (journal, loaded) = Journal::open(&dir)?;
    let same_files = existing.as_ref().is_some_and(|m| {
        m.data.files == locate::fingerprints(&source)
            && m.data.format == locate::format_name(source.format)
    });
    if !same_files {
        super::data_check::check(
            crate::suite::open(suite_card.benchmark, &source)?,
            opts.limit,
            &journal,
        )?;
    }
    // Finished items answer from their own records as they come up (`ItemStep`); the
    // calls of items a killed session left half-done are the dispatchers' to answer.
    // Only the calls of items without a record are kept (memory bounded by the items a
    // killed session left half-done, however large the run).
    roles::preload(&roles.context, &journal.pending_calls()?.calls);

    let session = Session {
        started_at: chrono::Utc::now().to_rfc3339(),
        finished_at: None,
        outcome: None,
        items_selected: 0,
        requests_sent: 0,
        data_fingerprint: None,
    };
    let model_card = &roles.model_card;
    let mut notes = Vec::new();
    if model_card.content == ContentMode::Text {
        notes.push(format!(
            "model card {} sends plain-text content: images were left out of every request",
            model_card.path.display()
        ));
    }
    let manifest = match existing {
        Some(mut existing) => {
            existing.sessions.push(session);
            existing.judge = roles.judge_card.as_ref().map(ModelCard::without_secrets);
            existing.data = data_info(&source);
            existing.shard = super::shard::manifest_entry(&whole_run_id, opts);
            existing
        }
        None => Manifest {
            schema: Manifest::SCHEMA.into(),
            run_id: run_id.clone(),
            evalkit_version: crate::VERSION.into(),
            suite: suite_card.clone(),
            model: model_card.without_secrets(),
            model_fingerprint: fingerprint,
            judge: roles.judge_card.as_ref().map(ModelCard::without_secrets),
            strategy: strategy.id(),
            protocol: opts.protocol,
            prompt_template: suite_card.prompt.clone(),
            data: data_info(&source),
            images_sent: model_card.content == ContentMode::Parts,
            notes,
            resume_command: opts.command.clone(),
            sessions: vec![session],
            shard: super::shard::manifest_entry(&whole_run_id, opts),
            merged_from: Vec::new(),
        },
    };
    manifest.write(&dir)?;
    Ok(Setup {
        journal,
        loaded,
        roles,
        strategy,
        scorer,
        manifest,
        stream,
        cancel,
    })
}

fn data_info(source: &crate::suite::ResolvedSource) -> DataInfo {
    DataInfo {
        format: locate::format_name(source.format).into(),
        path: source.path.clone(),
        files: locate::fingerprints(source),
    }
}
