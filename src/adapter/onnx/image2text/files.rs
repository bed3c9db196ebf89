//! A model directory in the Hugging Face Optimum layout, found and read: which ONNX files
//! are there (`encoder_model.onnx` with `decoder_model_merged.onnx`, or with
//! `decoder_model.onnx` + `decoder_with_past_model.onnx`), and the settings that shape
//! generation from `config.json`, `generation_config.json` and `preprocessor_config.json`.
//! Every error names the file and the field.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value;

use super::patches::PatchSpec;

/// The decoder graphs of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecoderFiles {
    /// One graph with both branches, chosen by `use_cache_branch`.
    Merged(PathBuf),
    /// The first step without a cache, then the steps with one.
    Split { first: PathBuf, with_past: PathBuf },
}

/// The files of a model directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFiles {
    pub dir: PathBuf,
    pub encoder: PathBuf,
    pub decoder: DecoderFiles,
    pub tokenizer: PathBuf,
    pub config: PathBuf,
    pub generation_config: PathBuf,
    pub preprocessor_config: PathBuf,
}

const EXPORT_HINT: &str = "export the model with `optimum-cli export onnx --model <model> --task image-to-text-with-past <dir>` (see adapters/chartpali.toml)";

impl ModelFiles {
    pub fn in_dir(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!(
                "the model directory {} does not exist; {EXPORT_HINT}",
                dir.display()
            );
        }
        let file = |name: &str| dir.join(name);
        let need = |name: &str| -> anyhow::Result<PathBuf> {
            let path = file(name);
            if path.is_file() {
                Ok(path)
            } else {
                bail!(
                    "{} has no {name}; an image-to-text model directory needs encoder_model.onnx, decoder_model_merged.onnx (or decoder_model.onnx and decoder_with_past_model.onnx), tokenizer.json, config.json, generation_config.json and preprocessor_config.json; {EXPORT_HINT}",
                    dir.display()
                )
            }
        };
        let encoder = need("encoder_model.onnx")?;
        let decoder = if file("decoder_model_merged.onnx").is_file() {
            DecoderFiles::Merged(file("decoder_model_merged.onnx"))
        } else if file("decoder_model.onnx").is_file() {
            DecoderFiles::Split {
                first: file("decoder_model.onnx"),
                with_past: need("decoder_with_past_model.onnx")?,
            }
        } else {
            // Not there: the error lists what a directory needs.
            DecoderFiles::Merged(need("decoder_model_merged.onnx")?)
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            encoder,
            decoder,
            tokenizer: need("tokenizer.json")?,
            config: need("config.json")?,
            generation_config: need("generation_config.json")?,
            preprocessor_config: need("preprocessor_config.json")?,
        })
    }

    /// Every file that decides answers, for the fingerprint.
    pub fn all(&self) -> Vec<&Path> {
        let mut v = vec![self.encoder.as_path()];
        match &self.decoder {
            DecoderFiles::Merged(p) => v.push(p),
            DecoderFiles::Split { first, with_past } => {
                v.push(first);
                v.push(with_past);
            }
        }
        v.extend([
            self.tokenizer.as_path(),
            self.config.as_path(),
            self.generation_config.as_path(),
            self.preprocessor_config.as_path(),
        ]);
        v
    }
}

/// What generation and preprocessing need from the JSON files.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub patches: PatchSpec,
    /// Render the prompt as a header on the image (VQA models such as DePlot).
    pub is_vqa: bool,
    pub decoder_start: u32,
    pub pad: u32,
    /// Any of these ends a sequence.
    pub eos: Vec<u32>,
    /// New tokens at most, from generation_config.json.
    pub max_new_tokens: usize,
    pub vocab_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub d_kv: usize,
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// A non-negative integer field, or the fallback when absent.
fn uint(v: &Value, path: &Path, field: &str, fallback: Option<u64>) -> anyhow::Result<u64> {
    match v.get(field) {
        Some(x) => x.as_u64().with_context(|| {
            format!(
                "{}: field `{field}` must be a non-negative integer, got {x}",
                path.display()
            )
        }),
        None => fallback.with_context(|| format!("{}: field `{field}` is missing", path.display())),
    }
}

impl Settings {
    pub fn read(files: &ModelFiles) -> anyhow::Result<Self> {
        let pre = read_json(&files.preprocessor_config)?;
        let pp = &files.preprocessor_config;
        if let Some(kind) = pre.get("image_processor_type").and_then(Value::as_str)
            && !kind.starts_with("Pix2Struct")
        {
            bail!(
                "{}: image_processor_type is {kind:?}; evalkit's onnx-image2text supports the Pix2Struct family (Pix2StructImageProcessor)",
                pp.display()
            );
        }
        for flag in ["do_normalize", "do_convert_rgb"] {
            if pre.get(flag).and_then(Value::as_bool) == Some(false) {
                bail!(
                    "{}: `{flag}: false` is not supported (Pix2Struct models are trained with it on)",
                    pp.display()
                );
            }
        }
        let patch = pre.get("patch_size").cloned().unwrap_or(Value::Null);
        let patches = PatchSpec {
            max_patches: uint(&pre, pp, "max_patches", Some(2048))? as usize,
            patch_height: uint(&patch, pp, "height", Some(16))? as usize,
            patch_width: uint(&patch, pp, "width", Some(16))? as usize,
        };
        if patches.max_patches == 0 || patches.patch_height == 0 || patches.patch_width == 0 {
            bail!(
                "{}: max_patches and patch_size must be positive",
                pp.display()
            );
        }
        let is_vqa = pre.get("is_vqa").and_then(Value::as_bool).unwrap_or(false);

        let config = read_json(&files.config)?;
        let cp = &files.config;
        let model_type = config.get("model_type").and_then(Value::as_str);
        if model_type != Some("pix2struct") {
            bail!(
                "{}: model_type is {model_type:?}; evalkit's onnx-image2text supports \"pix2struct\" (DePlot, MatCha and models exported the same way)",
                cp.display()
            );
        }
        let text = config
            .get("text_config")
            .with_context(|| format!("{}: field `text_config` is missing", cp.display()))?;
        let generation = read_json(&files.generation_config)?;
        let gp = &files.generation_config;
        let top = |field: &str| generation.get(field).or_else(|| config.get(field));
        let id = |field: &str, fallback: u64| -> anyhow::Result<u32> {
            match top(field).or_else(|| text.get(field)) {
                None => Ok(fallback as u32),
                Some(v) => v.as_u64().map(|v| v as u32).with_context(|| {
                    format!("{}: `{field}` must be a token id, got {v}", gp.display())
                }),
            }
        };
        let eos = match top("eos_token_id").or_else(|| text.get("eos_token_id")) {
            None => vec![1],
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|v| v.as_u64().map(|v| v as u32))
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("{}: eos_token_id must hold token ids", gp.display()))?,
            Some(v) => vec![v.as_u64().with_context(|| {
                format!("{}: eos_token_id must be a token id, got {v}", gp.display())
            })? as u32],
        };
        // Hugging Face's defaults: max_length 20 counts the decoder start token.
        let max_new_tokens = match generation.get("max_new_tokens") {
            Some(_) => uint(&generation, gp, "max_new_tokens", None)? as usize,
            None => (uint(&generation, gp, "max_length", Some(20))? as usize).saturating_sub(1),
        };
        if max_new_tokens == 0 {
            bail!(
                "{}: max_new_tokens / max_length leave no room for new tokens",
                gp.display()
            );
        }
        let heads = uint(text, cp, "num_heads", None)? as usize;
        Ok(Self {
            patches,
            is_vqa,
            decoder_start: id("decoder_start_token_id", 0)?,
            pad: id("pad_token_id", 0)?,
            eos,
            max_new_tokens,
            vocab_size: uint(text, cp, "vocab_size", None)? as usize,
            num_layers: uint(text, cp, "num_layers", None)? as usize,
            num_heads: heads,
            d_kv: uint(text, cp, "d_kv", None)? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).expect("write");
        }
        d
    }

    const CONFIG: &str = r#"{"model_type": "pix2struct", "decoder_start_token_id": 0,
        "text_config": {"vocab_size": 50, "num_heads": 4, "d_kv": 8, "num_layers": 2}}"#;

    fn full(generation: &str, pre: &str) -> tempfile::TempDir {
        dir_with(&[
            ("encoder_model.onnx", ""),
            ("decoder_model_merged.onnx", ""),
            ("tokenizer.json", "{}"),
            ("config.json", CONFIG),
            ("generation_config.json", generation),
            ("preprocessor_config.json", pre),
        ])
    }

    #[test]
    fn reads_settings_with_hugging_face_defaults() {
        let d = full(r#"{"eos_token_id": [1, 7]}"#, r#"{"is_vqa": true}"#);
        let files = ModelFiles::in_dir(d.path()).expect("files");
        assert!(matches!(files.decoder, DecoderFiles::Merged(_)));
        let s = Settings::read(&files).expect("settings");
        assert_eq!(s.patches.max_patches, 2048);
        assert_eq!(s.patches.features(), 770);
        assert!(s.is_vqa);
        assert_eq!(s.eos, vec![1, 7]);
        assert_eq!(s.max_new_tokens, 19, "max_length 20 minus the start token");
        assert_eq!(
            (s.vocab_size, s.num_layers, s.num_heads, s.d_kv),
            (50, 2, 4, 8)
        );
        let d = full(r#"{"max_new_tokens": 512, "eos_token_id": 1}"#, "{}");
        let s = Settings::read(&ModelFiles::in_dir(d.path()).expect("files")).expect("settings");
        assert_eq!((s.max_new_tokens, s.is_vqa), (512, false));
    }

    #[test]
    fn errors_name_the_file_and_the_fix() {
        let d = dir_with(&[("encoder_model.onnx", "")]);
        let e = format!("{:#}", ModelFiles::in_dir(d.path()).unwrap_err());
        assert!(
            e.contains("decoder_model_merged.onnx") && e.contains("optimum-cli"),
            "{e}"
        );
        let d = full("{}", r#"{"image_processor_type": "CLIPImageProcessor"}"#);
        let e = format!(
            "{:#}",
            Settings::read(&ModelFiles::in_dir(d.path()).expect("files")).unwrap_err()
        );
        assert!(
            e.contains("preprocessor_config.json") && e.contains("Pix2Struct"),
            "{e}"
        );
        let d = full(r#"{"max_new_tokens": "many"}"#, "{}");
        let e = format!(
            "{:#}",
            Settings::read(&ModelFiles::in_dir(d.path()).expect("files")).unwrap_err()
        );
        assert!(
            e.contains("generation_config.json") && e.contains("max_new_tokens"),
            "{e}"
        );
        let missing = Path::new("/nonexistent/evalkit-model");
        let e = format!("{:#}", ModelFiles::in_dir(missing).unwrap_err());
        assert!(e.contains("does not exist"), "{e}");
    }
}
