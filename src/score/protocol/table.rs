//! The protocol definitions, one table per benchmark: which upstream code each protocol follows,
//! what it sends (template, max new tokens) and how it decides and averages. Facts from the
//! upstream files named beside each entry, at the commits of [`super::VLMEVALKIT`] and
//! [`super::LMMS_EVAL`].
//!
//! Benchmarks not listed here (MathVista, CharXiv, ReachQA, MM-Vet, ...) have only their
//! official scorer: their other harnesses extract answers with an LLM under their own prompts,
//! which evalkit does not reproduce, so it reports no figure for them rather than invent one.

use super::{Aggregation, ItemRule, PromptSide, Protocol, ProtocolName};
use crate::card::suite::Benchmark;

/// The suite card's prompt and the model card's settings.
const CARD: PromptSide = PromptSide {
    template: None,
    max_tokens: None,
};

/// VLMEvalKit's API models ask for `max_tokens = 2048` (`vlmeval/api/gpt.py`, `OpenAIWrapper`);
/// its prompts are the suite cards' (`ImageMCQDataset.build_prompt`, ChartQA's
/// "Answer the question using a single word or phrase.").
const VLMEVALKIT_PROMPT: PromptSide = PromptSide {
    template: None,
    max_tokens: Some(2048),
};

const MMSTAR: &[Protocol] = &[
    Protocol {
        name: ProtocolName::Official,
        version: "VLMEvalKit matching_util.py c337155..a67ace5 (the rules of MMStar's published \
                  figures), no random fallback",
        differs: "option letter in the last four words, then a unique option text; \
                  unresolved answers are wrong",
        prompt: CARD,
        rule: ItemRule::Metric("accuracy"),
        aggregation: Aggregation::ItemMean,
        category: "category",
    },
    Protocol {
        name: ProtocolName::Vlmevalkit,
        version: super::VLMEVALKIT,
        differs: "adds a67ace5's case-insensitive verbose-answer regex (\"the answer is a dog\" \
                  reads as A); max_tokens 2048",
        prompt: VLMEVALKIT_PROMPT,
        rule: ItemRule::VlmevalkitChoice,
        aggregation: Aggregation::ItemMean,
        category: "category",
    },
    Protocol {
        name: ProtocolName::LmmsEval,
        version: super::LMMS_EVAL,
        differs: "extract_mcq_answer (any A-D in a ranked set of formats, even a capital in a \
                  word); the mean over the 18 l2 axes; its own prompt, max_new_tokens 1024",
        // `mmstar_doc_to_text`: MMStar's question (options inline) + the default post_prompt
        // of `_default_template_yaml`; lmms-eval's OpenAI models default to 1024 new tokens
        // (`_get_max_new_tokens`, lmms_eval/models/simple/openai.py).
        prompt: PromptSide {
            template: Some(
                "{question}\nOptions: {options_inline}\nAnswer with the option's letter from the \
                 given choices directly",
            ),
            max_tokens: Some(1024),
        },
        rule: ItemRule::LmmsMmstar,
        aggregation: Aggregation::MeanOver("l2_category"),
        category: "category",
    },
];

const AI2D: &[Protocol] = &[
    Protocol {
        name: ProtocolName::Official,
        version: "VLMEvalKit matching_util.py c337155..a67ace5 (the rules of the published \
                  AI2D_TEST figures), no random fallback",
        differs: "option letter in the last four words, then a unique option text; \
                  unresolved answers are wrong",
        prompt: CARD,
        rule: ItemRule::Metric("accuracy"),
        aggregation: Aggregation::ItemMean,
        category: "category",
    },
    Protocol {
        name: ProtocolName::Vlmevalkit,
        version: super::VLMEVALKIT,
        differs: "adds a67ace5's case-insensitive verbose-answer regex; max_tokens 2048",
        prompt: VLMEVALKIT_PROMPT,
        rule: ItemRule::VlmevalkitChoice,
        aggregation: Aggregation::ItemMean,
        category: "category",
    },
    Protocol {
        name: ProtocolName::LmmsEval,
        version: super::LMMS_EVAL,
        differs: "a leading `X.` or the whole answer compared with the letter (case and \
                  punctuation ignored); its own prompt, max_new_tokens 16",
        // `ai2d_doc_to_text` (prompt_format mcq) and `generation_kwargs` of ai2d.yaml.
        prompt: PromptSide {
            template: Some(
                "{question}\n{options}\nAnswer with the option's letter from the given choices \
                 directly.",
            ),
            max_tokens: Some(16),
        },
        rule: ItemRule::LmmsAi2d,
        aggregation: Aggregation::ItemMean,
        category: "category",
    },
];

const CHARTQA: &[Protocol] = &[
    Protocol {
        name: ProtocolName::Official,
        version: "pix2struct metrics.py relaxed_correctness (ChartQA's metric), prediction \
                  not stripped",
        differs: "the raw answer: a trailing space or newline makes a word answer wrong",
        prompt: CARD,
        rule: ItemRule::Metric("relaxed_accuracy"),
        aggregation: Aggregation::ItemMean,
        category: "split",
    },
    Protocol {
        name: ProtocolName::Vlmevalkit,
        version: super::VLMEVALKIT,
        differs: "the answer stripped of surrounding whitespace (vqa_eval.py process_line); \
                  max_tokens 2048",
        prompt: VLMEVALKIT_PROMPT,
        rule: ItemRule::RelaxedStripped,
        aggregation: Aggregation::ItemMean,
        category: "split",
    },
    Protocol {
        name: ProtocolName::LmmsEval,
        version: super::LMMS_EVAL,
        differs: "the answer stripped (process_results); asks for \"a single word\", \
                  max_new_tokens 16",
        // `chartqa_doc_to_text` with the default post_prompt, and chartqa.yaml's
        // `generation_kwargs`.
        prompt: PromptSide {
            template: Some("{question}\nAnswer the question with a single word."),
            max_tokens: Some(16),
        },
        rule: ItemRule::RelaxedStripped,
        aggregation: Aggregation::ItemMean,
        category: "split",
    },
];

/// The protocols of a benchmark (see the module docs for those with none).
pub fn for_benchmark(benchmark: Benchmark) -> &'static [Protocol] {
    match benchmark {
        Benchmark::Mmstar => MMSTAR,
        Benchmark::Ai2d => AI2D,
        Benchmark::Chartqa => CHARTQA,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_starts_with_official_and_names_each_protocol_once() {
        for b in [Benchmark::Mmstar, Benchmark::Ai2d, Benchmark::Chartqa] {
            let names: Vec<ProtocolName> = for_benchmark(b).iter().map(|p| p.name).collect();
            assert_eq!(names, ProtocolName::ALL.to_vec(), "{b:?}");
            assert_eq!(
                for_benchmark(b)[0].prompt,
                CARD,
                "official keeps the card's prompt"
            );
        }
        assert!(for_benchmark(Benchmark::Mathvista).is_empty());
    }
}
