//! Which scores may be ranked together. Two runs of a suite are comparable only when they
//! share the prompt, protocol, strategy, judge, subset of items, data (the files'
//! fingerprints) and scoring version (scorer and evalkit version); the leaderboard ranks
//! the largest such group of each suite and marks every other run with what differs,
//! never ranking it silently beside the rest (the grouping is [`super::frame`]'s).

use crate::journal::RunDir;

/// The settings that must agree, as strings (hashed where long).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Setting {
    pub prompt: String,
    pub protocol: String,
    pub strategy: String,
    pub judge: String,
    pub subset: String,
    pub data: String,
    pub scoring: String,
}

fn short_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..12].to_string()
}

/// A run's comparability setting.
pub fn setting(run: &RunDir) -> Setting {
    let m = &run.manifest;
    let mut ids: Vec<&str> = run.records.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let files = serde_json::to_string(&m.data.files).unwrap_or_default();
    Setting {
        prompt: short_hash(&m.prompt_template),
        protocol: super::select::protocol(run),
        strategy: strategy_setting(&m.strategy, &m.prompt_template),
        judge: m.judge.as_ref().map_or(String::new(), |j| j.name.clone()),
        subset: format!("{} items {}", ids.len(), short_hash(&ids.join("\n"))),
        data: short_hash(&files),
        scoring: format!("{} {}", m.suite.scorer, m.evalkit_version),
    }
}

/// The strategy as a comparability setting. A decoupled run's perception sources name the
/// system (its entry is `MODEL (decoupled from SOURCES)`), not how it was evaluated, so
/// they are left out: `decoupled|INSTRUCTION|SOURCES|TEMPLATE...` compares as
/// `decoupled|INSTRUCTION|*|TEMPLATE...`. The sources may hold `|` (a model's
/// fingerprint), so the template, known from the manifest, marks where they end.
fn strategy_setting(strategy: &str, template: &str) -> String {
    let Some((instruction, rest)) = strategy
        .strip_prefix("decoupled|")
        .and_then(|rest| rest.split_once('|'))
    else {
        return strategy.to_string();
    };
    match rest.rfind(&format!("|{template}")) {
        Some(at) => format!("decoupled|{instruction}|*{}", &rest[at..]),
        None => strategy.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::strategy_setting;

    #[test]
    fn decoupled_runs_compare_without_their_perception_sources() {
        let t = "{question}\nAnswer briefly.";
        let gold = format!("decoupled|Agnostic|gold-table|{t}");
        let vlm = format!("decoupled|Agnostic|vlm:openai|model=x|max_tokens=8|{t}|reason=cot");
        assert_eq!(
            strategy_setting(&gold, t),
            format!("decoupled|Agnostic|*|{t}")
        );
        assert_eq!(
            strategy_setting(&vlm, t),
            format!("decoupled|Agnostic|*|{t}|reason=cot")
        );
        // Another instruction or template still differs; other strategies are kept whole.
        let specific = format!("decoupled|Specific|gold-table|{t}");
        assert_ne!(strategy_setting(&specific, t), strategy_setting(&gold, t));
        assert_eq!(strategy_setting("direct|x", t), "direct|x");
    }
}
