//! `evalkit decouple`: every perception source with every reasoning model, plus the
//! end-to-end VLMs, each an ordinary run (resumable, journaled, cached: descriptions are
//! made once per perception source and reused by every reasoning model), then the
//! perception-versus-reasoning report written beside them.

use std::path::PathBuf;

use super::{Output, RunOptions};
use crate::report::decouple::{self, DecoupleReport, RunRef};
use crate::strategy::StrategySpec;
use crate::strategy::decoupled::Instruction;

/// What `evalkit decouple` takes.
#[derive(Clone, Debug)]
pub struct DecoupleOptions {
    /// Shared settings of every run (suite, data, limit, sample, output, ...); its `model`
    /// and `strategy` are set per run.
    pub base: RunOptions,
    /// The perception instruction of every decoupled run.
    pub instruction: Instruction,
    /// Perception sources, each a card, `ocr`, `gold-table`, `none`, or several joined by `+`.
    pub perception: Vec<String>,
    pub reasoning: Vec<String>,
    /// VLMs evaluated end to end, for comparison.
    pub e2e: Vec<String>,
}

/// A perception source's name in the report: card names, so that a VLM's row lines up
/// with its end-to-end score; `ocr`, `gold-table` and `none` as they are.
fn label(perception: &str) -> anyhow::Result<String> {
    let parts: anyhow::Result<Vec<String>> = perception
        .split('+')
        .map(|p| match p {
            "ocr" | "gold-table" | "none" => Ok(p.to_string()),
            card => Ok(super::setup::model_card(card)?.name),
        })
        .collect();
    Ok(parts?.join("+"))
}

/// Runs the grid and writes `decouple.{md,json,html}`; returns the report and its folder.
pub async fn decouple(opts: DecoupleOptions) -> anyhow::Result<(DecoupleReport, PathBuf)> {
    if opts.perception.is_empty() || opts.reasoning.is_empty() {
        anyhow::bail!("decouple needs at least one --perception source and one --reasoning model");
    }
    let quiet = RunOptions {
        output: if opts.base.output == Output::Normal {
            Output::Quiet
        } else {
            opts.base.output
        },
        ..opts.base.clone()
    };
    let mut runs: Vec<(Option<String>, String, PathBuf)> = Vec::new();
    for reasoning in &opts.reasoning {
        for perception in &opts.perception {
            let run = RunOptions {
                model: reasoning.clone(),
                strategy: StrategySpec::Decoupled {
                    perception: perception.split('+').map(str::to_string).collect(),
                    instruction: opts.instruction,
                    reason: crate::strategy::reasoning::Reasoning::Direct,
                },
                ..quiet.clone()
            };
            let result = super::run(run).await.map_err(|e| {
                e.context(format!("perception {perception} -> reasoning {reasoning}"))
            })?;
            if result.interrupted {
                anyhow::bail!("interrupted; re-run the same command to resume");
            }
            let label = label(perception)?;
            eprintln!(
                "{label} -> {}: done ({})",
                result.summary.model,
                result.dir.display()
            );
            runs.push((Some(label), result.summary.model.clone(), result.dir));
        }
    }
    for model in &opts.e2e {
        let result = super::run(RunOptions {
            model: model.clone(),
            strategy: StrategySpec::Direct,
            ..quiet.clone()
        })
        .await?;
        if result.interrupted {
            anyhow::bail!("interrupted; re-run the same command to resume");
        }
        eprintln!(
            "{} end to end: done ({})",
            result.summary.model,
            result.dir.display()
        );
        runs.push((None, result.summary.model.clone(), result.dir));
    }
    let suite = super::setup::suite_card(&opts.base.suite)?.name;
    let refs: Vec<RunRef<'_>> = runs
        .iter()
        .map(|(p, m, dir)| RunRef {
            perception: p.as_deref(),
            model: m,
            dir,
        })
        .collect();
    let report = decouple::build(&suite, &refs)?;
    let mut h = blake3::Hasher::new();
    for (p, m, _) in &runs {
        h.update(format!("{p:?}|{m}\n").as_bytes());
    }
    let dir = opts
        .base
        .out
        .join(&suite)
        .join(format!("decouple-{}", &h.finalize().to_hex()[..12]));
    decouple::write_files(&report, &dir)?;
    Ok((report, dir))
}
