//! The one place that turns a model card into a running adapter, so the run loop asks
//! for "the model this card describes" and never names an adapter kind.
//!
//! A new adapter kind takes exactly these files, and none in `run/`:
//! 1. its card settings: a variant of [`AdapterSettings`] with its settings struct, its
//!    field list (`FIELDS`) and its checks, in `src/card/kinds.rs` (and an example
//!    card in `adapters/`, if it has one: it is built into evalkit with the others);
//! 2. the adapter itself: a file (or folder) under `src/adapter/` implementing
//!    [`Model`], with its `pub mod` line in `src/adapter/mod.rs`;
//! 3. one line in [`build`] below.

use std::sync::Arc;

use super::Model;
use super::http::OpenAiModel;
use super::onnx::image2text::OnnxImage2TextModel;
use super::onnx::ocr::OnnxOcrModel;
use crate::card::model::{AdapterSettings, ModelCard};

/// Builds the adapter a model card describes. Errors name the card and what to fix (a
/// missing model directory, an ONNX Runtime library that does not load, ...).
pub fn build(card: &ModelCard) -> anyhow::Result<Arc<dyn Model>> {
    Ok(match &card.adapter {
        AdapterSettings::Openai(_) => Arc::new(OpenAiModel::new(card)?),
        AdapterSettings::OnnxOcr(_) => Arc::new(OnnxOcrModel::new(card)?),
        AdapterSettings::OnnxImage2text(_) => Arc::new(OnnxImage2TextModel::new(card)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_adapter_of_the_cards_kind() {
        let card = ModelCard::parse(
            "kind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nmodel = \"m\"\n",
            std::path::Path::new("m.toml"),
        )
        .unwrap();
        let model = build(&card).unwrap();
        assert!(model.fingerprint().starts_with("openai|model=m|"));
        // An onnx card whose model directory is missing is an error naming the card.
        let card = ModelCard::parse(
            "kind = \"onnx-image2text\"\nmodel_dir = \"/nonexistent/evalkit-model\"\n",
            std::path::Path::new("/cards/x.toml"),
        )
        .unwrap();
        let err = format!("{:#}", build(&card).err().unwrap());
        assert!(err.contains("/cards/x.toml"), "{err}");
    }
}
