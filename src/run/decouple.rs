//! `evalkit decouple`: every perception source with every reasoning model, plus the
//! end-to-end VLMs, each an ordinary run (resumable, journaled, cached: descriptions are
//! made once per perception source and reused by every reasoning model), then the
//! perception-versus-reasoning report written beside them.
//!
//! Each cell shows the run's progress bar labelled `cell k/n SOURCE -> MODEL`. When a
//! cell is interrupted (Ctrl-C, or whatever stops `run::run` early), the grid stops there
//! and the report is still written from the cells done so far, marked partial; the caller
//! prints the resume command and exits 130.

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

/// What `decouple` left behind.
pub struct DecoupleOutcome {
    pub report: DecoupleReport,
    /// Where `decouple.{md,json,html}` were written.
    pub dir: PathBuf,
    /// A cell was interrupted: the report covers the cells (and items) done so far.
    pub interrupted: bool,
}

/// Runs the grid and writes `decouple.{md,json,html}`.
pub async fn decouple(opts: DecoupleOptions) -> anyhow::Result<DecoupleOutcome> {
    if opts.perception.is_empty() || opts.reasoning.is_empty() {
        anyhow::bail!("decouple needs at least one --perception source and one --reasoning model");
    }
    let total = opts.perception.len() * opts.reasoning.len() + opts.e2e.len();
    let mut cells: Vec<(Option<String>, String, StrategySpec)> = Vec::new();
    for reasoning in &opts.reasoning {
        for perception in &opts.perception {
            cells.push((
                Some(perception.clone()),
                reasoning.clone(),
                StrategySpec::Decoupled {
                    perception: perception.split('+').map(str::to_string).collect(),
                    instruction: opts.instruction,
                    reason: crate::strategy::reasoning::Reasoning::Direct,
                },
            ));
        }
    }
    for model in &opts.e2e {
        cells.push((None, model.clone(), StrategySpec::Direct));
    }
    let mut runs: Vec<(Option<String>, String, PathBuf)> = Vec::new();
    let mut interrupted = false;
    for (k, (perception, model, strategy)) in cells.into_iter().enumerate() {
        let what = match &perception {
            Some(p) => format!("{p} -> {model}"),
            None => format!("{model} end to end"),
        };
        let result = super::run(RunOptions {
            model: model.clone(),
            strategy,
            progress_label: Some(format!("cell {}/{total} {what}", k + 1)),
            ..opts.base.clone()
        })
        .await
        .map_err(|e| e.context(what.clone()))?;
        let label = perception.as_deref().map(label).transpose()?;
        if opts.base.output != Output::Json {
            eprintln!(
                "cell {}/{total} {what}: {} ({})",
                k + 1,
                if result.interrupted {
                    "interrupted"
                } else {
                    "done"
                },
                result.dir.display()
            );
        }
        runs.push((label, result.summary.model.clone(), result.dir));
        if result.interrupted {
            interrupted = true;
            break;
        }
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
    let mut report = report;
    report.instruction = Some(
        match opts.instruction {
            Instruction::Agnostic => "agnostic",
            Instruction::Specific => "specific",
        }
        .into(),
    );
    report.partial |= interrupted;
    decouple::write_files(&report, &dir)?;
    Ok(DecoupleOutcome {
        report,
        dir,
        interrupted,
    })
}
