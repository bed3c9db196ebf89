//! A strategy is a value: `--strategy SPEC` (or the decoupled flags, or an ablation file)
//! is parsed into a [`StrategySpec`], which says which models the run needs by role
//! ([`StrategySpec::perception_sources`]), names the run directory, and builds the
//! strategy ([`StrategySpec::build`]). Adding a strategy takes one file in `strategy/`
//! and one arm here.
//!
//! Grammar: `NAME[:ARG][,KEY=VALUE...]`, e.g. `direct`, `decoupled:ocr+gold-table`,
//! `decoupled:gpt4o,instruction=specific`, `pot`, `pot,timeout=5`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::Strategy;
use super::best_of_n::BestOfN;
use super::calls::CallContext;
use super::cot::ChainOfThought;
use super::decoupled::{Decoupled, Instruction, Perception};
use super::direct::Direct;
use super::pot::Pot;
use super::reasoning::Reasoning;
use super::sample::DEFAULT_TEMPERATURE;
use super::self_consistency::SelfConsistency;
use super::stage_beam::StageBeam;
use super::stages::Stages;
use crate::card::suite::SuiteCard;

/// Perception sources that are not models.
pub const BUILT_IN_SOURCES: &[&str] = &["gold-table", "none"];

/// What `--strategy` names.
#[derive(Clone, Debug, PartialEq)]
pub enum StrategySpec {
    /// The suite's official prompt, one call.
    Direct,
    /// Think step by step, answer on a final `Answer:` line.
    Cot,
    /// LLaVA-CoT's four tagged stages; the answer is the conclusion.
    Stages,
    /// N samples, a judged pairwise knockout keeps one.
    BestOfN { n: u32, temperature: f32 },
    /// N chain-of-thought samples, the majority answer.
    SelfConsistency { n: u32, temperature: f32 },
    /// LLaVA-CoT's stage-level beam search with N candidates per stage.
    StageBeam { n: u32 },
    /// Perception sources describe the image; the run's model answers from the text.
    Decoupled {
        /// Model card names, `ocr` (the PP-OCR card), `gold-table` or `none`; several
        /// sources' descriptions are joined.
        perception: Vec<String>,
        instruction: Instruction,
        /// How the reasoning model answers: direct, cot or self-consistency:N.
        reason: Reasoning,
    },
    /// The model writes a Python program; its sandboxed output is the answer.
    Pot {
        /// Wall-clock limit per program (default [`StrategySpec::POT_TIMEOUT`]).
        timeout: Duration,
    },
}

impl StrategySpec {
    /// Names a spec accepts, for error messages.
    pub const NAMES: &'static [&'static str] = &[
        "direct",
        "cot",
        "stages",
        "best-of-n:N",
        "self-consistency:N",
        "stage-beam:N",
        "decoupled:SOURCE[+SOURCE...]",
        "pot[,timeout=SECS]",
    ];

    /// The `pot` strategy's default wall-clock limit per program.
    pub const POT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The perception sources that are model cards (`ocr` resolved to the PP-OCR card's
    /// name as typed: the caller maps it).
    pub fn perception_sources(&self) -> Vec<&str> {
        match self {
            StrategySpec::Decoupled { perception, .. } => perception
                .iter()
                .map(String::as_str)
                .filter(|p| !BUILT_IN_SOURCES.contains(p))
                .collect(),
            _ => vec![],
        }
    }

    /// True when the run's model answers from descriptions (the `reason` role).
    pub fn is_decoupled(&self) -> bool {
        matches!(self, StrategySpec::Decoupled { .. })
    }

    /// The run directory's model part: the model's name, or `SOURCES-to-MODEL` for
    /// decoupled runs (perception sources by their card names).
    pub fn run_name(&self, model: &str, context: &CallContext) -> String {
        match self {
            StrategySpec::Decoupled { perception, .. } => {
                let names: Vec<&str> = perception
                    .iter()
                    .map(|p| context.perceiver(p).map_or(p.as_str(), |e| e.name.as_str()))
                    .collect();
                format!("{}-to-{model}", names.join("+"))
            }
            _ => model.to_string(),
        }
    }

    /// Builds the strategy for a suite, given the run's models.
    pub fn build(
        &self,
        suite: &SuiteCard,
        image_max_side: Option<u32>,
        context: &CallContext,
    ) -> anyhow::Result<Arc<dyn Strategy>> {
        let direct = || Direct {
            template: suite.prompt.clone(),
            image_max_side,
        };
        let cot = || ChainOfThought::new(&suite.prompt, image_max_side);
        Ok(match self {
            StrategySpec::Direct => Arc::new(direct()),
            StrategySpec::Cot => Arc::new(cot()),
            StrategySpec::Stages => Arc::new(Stages::new(&suite.prompt, image_max_side)),
            StrategySpec::BestOfN { n, temperature } => Arc::new(BestOfN {
                direct: direct(),
                n: *n,
                temperature: *temperature,
            }),
            StrategySpec::SelfConsistency { n, temperature } => Arc::new(SelfConsistency {
                cot: cot(),
                n: *n,
                temperature: *temperature,
            }),
            StrategySpec::StageBeam { n } => {
                Arc::new(StageBeam::new(&suite.prompt, image_max_side, *n))
            }
            StrategySpec::Decoupled {
                perception,
                instruction,
                reason,
            } => {
                let mut sources = Vec::with_capacity(perception.len());
                for name in perception {
                    sources.push(match name.as_str() {
                        "none" => Perception::None,
                        "gold-table" => Perception::GoldTable,
                        other => {
                            let endpoint = context.perceiver(other).ok_or_else(|| {
                                anyhow::anyhow!("perception source `{other}` has no model")
                            })?;
                            Perception::Model {
                                source: other.to_string(),
                                name: endpoint.name.clone(),
                                fingerprint: endpoint.dispatcher.fingerprint().to_string(),
                            }
                        }
                    });
                }
                Arc::new(Decoupled {
                    perception: sources,
                    instruction: *instruction,
                    reason: *reason,
                    template: suite.prompt.clone(),
                    image_max_side,
                })
            }
            StrategySpec::Pot { timeout } => Arc::new(
                Pot::new(
                    crate::sandbox::Limits::with_timeout(*timeout),
                    image_max_side,
                )
                .map_err(anyhow::Error::msg)?,
            ),
        })
    }
}

impl fmt::Display for StrategySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrategySpec::Direct => write!(f, "direct"),
            StrategySpec::Cot => write!(f, "cot"),
            StrategySpec::Stages => write!(f, "stages"),
            StrategySpec::BestOfN { n, temperature } => {
                write!(f, "best-of-n:{n}")?;
                temperature_suffix(f, *temperature)
            }
            StrategySpec::SelfConsistency { n, temperature } => {
                write!(f, "self-consistency:{n}")?;
                temperature_suffix(f, *temperature)
            }
            StrategySpec::StageBeam { n } => write!(f, "stage-beam:{n}"),
            StrategySpec::Decoupled {
                perception,
                instruction,
                reason,
            } => {
                write!(f, "decoupled:{}", perception.join("+"))?;
                if *instruction == Instruction::Specific {
                    write!(f, ",instruction=specific")?;
                }
                if *reason != Reasoning::Direct {
                    write!(f, ",reason={reason}")?;
                }
                Ok(())
            }
            StrategySpec::Pot { timeout } => {
                write!(f, "pot")?;
                if *timeout != Self::POT_TIMEOUT {
                    write!(f, ",timeout={}", timeout.as_secs_f64())?;
                }
                Ok(())
            }
        }
    }
}

fn temperature_suffix(f: &mut fmt::Formatter<'_>, temperature: f32) -> fmt::Result {
    if temperature != DEFAULT_TEMPERATURE {
        write!(f, ",temperature={temperature}")?;
    }
    Ok(())
}

/// The N of `name:N`: a whole number from 1 to 64.
fn count(spec: &str, arg: Option<&str>) -> Result<u32, String> {
    let arg = arg
        .ok_or_else(|| format!("strategy `{spec}`: give the number of samples, e.g. `{spec}:4`"))?;
    match arg.parse::<u32>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(format!(
            "strategy `{spec}`: the number of samples must be a whole number from 1 to 64, got `{arg}`"
        )),
    }
}

impl FromStr for StrategySpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let mut parts = spec.trim().split(',');
        let head = parts.next().unwrap_or_default();
        let (name, arg) = match head.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (head.trim(), None),
        };
        let mut options = Vec::new();
        for part in parts {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!("strategy `{spec}`: `{part}` is not KEY=VALUE (e.g. instruction=specific)")
            })?;
            options.push((k.trim(), v.trim()));
        }
        let unknown =
            |key: &str| format!("strategy `{spec}`: unknown setting `{key}` for `{name}`");
        let plain = |spec: StrategySpec| {
            if let Some(arg) = arg {
                return Err(format!("strategy `{name}` takes no argument, got `{arg}`"));
            }
            if let Some((k, _)) = options.first() {
                return Err(unknown(k));
            }
            Ok(spec)
        };
        let sampled = || -> Result<(u32, f32), String> {
            let n = count(name, arg)?;
            let mut temperature = DEFAULT_TEMPERATURE;
            for (k, v) in &options {
                match *k {
                    "temperature" => {
                        temperature = v
                            .parse::<f32>()
                            .ok()
                            .filter(|t| (0.0..=2.0).contains(t))
                            .ok_or_else(|| {
                                format!("strategy `{spec}`: temperature must be a number from 0 to 2, got `{v}`")
                            })?;
                    }
                    other => return Err(unknown(other)),
                }
            }
            Ok((n, temperature))
        };
        match name {
            "direct" => plain(StrategySpec::Direct),
            "cot" => plain(StrategySpec::Cot),
            "stages" => plain(StrategySpec::Stages),
            "best-of-n" => {
                let (n, temperature) = sampled()?;
                Ok(StrategySpec::BestOfN { n, temperature })
            }
            "self-consistency" => {
                let (n, temperature) = sampled()?;
                Ok(StrategySpec::SelfConsistency { n, temperature })
            }
            "stage-beam" => {
                let n = count(name, arg)?;
                if let Some((k, _)) = options.first() {
                    return Err(unknown(k));
                }
                Ok(StrategySpec::StageBeam { n })
            }
            "decoupled" => {
                let perception: Vec<String> = arg
                    .unwrap_or_default()
                    .split('+')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if perception.is_empty() {
                    return Err(format!(
                        "strategy `{spec}`: name the perception sources, e.g. decoupled:ocr+gold-table"
                    ));
                }
                let mut instruction = Instruction::Agnostic;
                let mut reason = Reasoning::Direct;
                for (k, v) in options {
                    match (k, v) {
                        ("reason", v) => {
                            reason = match v.parse::<StrategySpec>() {
                                Ok(StrategySpec::Direct) => Reasoning::Direct,
                                Ok(StrategySpec::Cot) => Reasoning::Cot,
                                Ok(StrategySpec::SelfConsistency { n, temperature }) => {
                                    Reasoning::SelfConsistency { n, temperature }
                                }
                                _ => {
                                    return Err(format!(
                                        "strategy `{spec}`: reason must be direct, cot or self-consistency:N, got `{v}`"
                                    ));
                                }
                            }
                        }
                        ("instruction", "agnostic") => instruction = Instruction::Agnostic,
                        ("instruction", "specific") => instruction = Instruction::Specific,
                        ("instruction", other) => {
                            return Err(format!(
                                "strategy `{spec}`: instruction must be agnostic or specific, got `{other}`"
                            ));
                        }
                        (k, _) => return Err(unknown(k)),
                    }
                }
                Ok(StrategySpec::Decoupled {
                    perception,
                    instruction,
                    reason,
                })
            }
            "pot" => {
                if let Some(arg) = arg {
                    return Err(format!(
                        "strategy `pot` takes no argument, got `{arg}` (settings go after a comma: pot,timeout=5)"
                    ));
                }
                let mut timeout = Self::POT_TIMEOUT;
                for (k, v) in options {
                    match k {
                        "timeout" => timeout = pot_timeout(spec, v)?,
                        k => return Err(unknown(k)),
                    }
                }
                Ok(StrategySpec::Pot { timeout })
            }
            "chart-to-table" => Err(
                "chart-to-table is a task of a suite now, not a strategy: run --suite chartqa_table or --suite synthchart_table (one item per chart, DePlot's instruction)".into(),
            ),
            other => Err(format!(
                "unknown strategy `{other}`; expected one of: {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// A `pot` timeout: seconds, above 0 and at most an hour.
fn pot_timeout(spec: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "strategy `{spec}`: timeout must be seconds above 0 and at most 3600 (e.g. timeout=10), got `{value}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for text in [
            "direct",
            "cot",
            "stages",
            "best-of-n:4",
            "self-consistency:3,temperature=1",
            "stage-beam:2",
            "decoupled:ocr",
            "decoupled:ocr+gold-table",
            "decoupled:none,instruction=specific",
            "decoupled:gold-table,reason=cot",
            "decoupled:gold-table,instruction=specific,reason=self-consistency:3",
            "pot",
            "pot,timeout=2.5",
        ] {
            let spec: StrategySpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
        let spec: StrategySpec = "decoupled: ocr + none ,instruction=agnostic"
            .parse()
            .unwrap();
        assert_eq!(spec.to_string(), "decoupled:ocr+none");
        assert_eq!(spec.perception_sources(), vec!["ocr"]);
        let spec: StrategySpec = "pot, timeout = 10".parse().unwrap();
        assert_eq!(
            spec.to_string(),
            "pot",
            "the default timeout is not printed"
        );
        assert_eq!(
            "pot,timeout=0.5".parse::<StrategySpec>().unwrap(),
            StrategySpec::Pot {
                timeout: Duration::from_millis(500)
            }
        );
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        for (text, needle) in [
            ("cot2", "unknown strategy `cot2`"),
            ("direct:3", "takes no argument"),
            ("direct,x=1", "unknown setting `x`"),
            ("decoupled", "name the perception sources"),
            ("decoupled:ocr,instruction=maybe", "agnostic or specific"),
            ("decoupled:ocr,specific", "KEY=VALUE"),
            ("chart-to-table", "--suite chartqa_table"),
            ("best-of-n", "give the number of samples"),
            ("self-consistency:0", "from 1 to 64"),
            ("self-consistency:3,temperature=hot", "from 0 to 2"),
            (
                "stage-beam:2,temperature=1",
                "unknown setting `temperature`",
            ),
            ("cot:2", "takes no argument"),
            (
                "decoupled:ocr,reason=stages",
                "reason must be direct, cot or",
            ),
            ("pot:python", "pot,timeout=5"),
            ("pot,memory=1", "unknown setting `memory`"),
            ("pot,timeout=0", "above 0"),
            ("pot,timeout=-1", "above 0"),
            ("pot,timeout=ten", "e.g. timeout=10"),
            ("pot,timeout=NaN", "above 0"),
            ("pot,timeout=1e9", "at most 3600"),
        ] {
            let err = text.parse::<StrategySpec>().unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
