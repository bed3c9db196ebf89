//! Greedy generation through the exported encoder and decoder graphs, a batch at a time.
//!
//! The encoder reads the batch's patch matrices (`flattened_patches [b, P, F]`,
//! `attention_mask [b, P]`) once. The decoder then runs one step per new token with the
//! key/value cache: the first step sees only the decoder start token (the merged graph with
//! `use_cache_branch = false` and empty past tensors, or `decoder_model.onnx`), later steps
//! see the last token and the cache (`use_cache_branch = true`, or
//! `decoder_with_past_model.onnx`). The cross-attention keys and values come from the first
//! step and are reused. Every row takes the arg-max token (the lowest id on ties, as
//! `torch.argmax`); a row that produced an end-of-sequence token, or reached its limit, is
//! fed the pad token from then on (as `generate` does) and its tokens no longer change, so a
//! row's tokens do not depend on the rest of its batch. The loop stops when every row is done.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, anyhow, bail};
use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, TensorRef};

use super::files::{DecoderFiles, ModelFiles, Settings};
use crate::adapter::onnx::runtime::{self, SessionOptions, check_float_tensor, ort_error};

/// The past inputs of the decoder and the outputs that refill them.
#[derive(Clone, Debug)]
struct Cache {
    past: Vec<String>,
    present: Vec<String>,
    /// Cross-attention entries (computed once, at the first step).
    encoder: Vec<bool>,
}

enum Decoder {
    Merged(Mutex<Session>),
    Split {
        first: Mutex<Session>,
        with_past: Mutex<Session>,
    },
}

/// The encoder and decoder sessions of one model, checked against the Pix2Struct export.
pub struct Generator {
    encoder: Mutex<Session>,
    decoder: Decoder,
    cache: Cache,
    /// Whether the decoder graphs take a decoder `attention_mask`.
    decoder_mask: bool,
    settings: Settings,
}

fn lock(s: &Mutex<Session>) -> std::sync::MutexGuard<'_, Session> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

fn input_names(session: &Session) -> Vec<String> {
    session
        .inputs()
        .iter()
        .map(|i| i.name().to_string())
        .collect()
}

fn output_names(session: &Session) -> Vec<String> {
    session
        .outputs()
        .iter()
        .map(|o| o.name().to_string())
        .collect()
}

impl Generator {
    pub fn load(
        env: &ort::environment::Environment,
        files: &ModelFiles,
        settings: Settings,
        options: &SessionOptions,
    ) -> anyhow::Result<Self> {
        let encoder = runtime::session(env, &files.encoder, options, "encoder")?;
        check_encoder(&encoder, &files.encoder, &settings)?;
        let (decoder, cache, decoder_mask) = match &files.decoder {
            DecoderFiles::Merged(path) => {
                let s = runtime::session(env, path, options, "decoder")?;
                let (cache, mask) = check_decoder(&s, path, &settings, true, true)?;
                (Decoder::Merged(Mutex::new(s)), cache, mask)
            }
            DecoderFiles::Split { first, with_past } => {
                let f = runtime::session(env, first, options, "decoder")?;
                check_decoder(&f, first, &settings, false, false)?;
                let w = runtime::session(env, with_past, options, "decoder (with past)")?;
                let (cache, mask) = check_decoder(&w, with_past, &settings, true, false)?;
                (
                    Decoder::Split {
                        first: Mutex::new(f),
                        with_past: Mutex::new(w),
                    },
                    cache,
                    mask,
                )
            }
        };
        Ok(Self {
            encoder: Mutex::new(encoder),
            decoder,
            cache,
            decoder_mask,
            settings,
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Greedy tokens for a batch: `patches` holds one `max_patches x features` matrix per
    /// row, `used[r]` of whose patches are real; row `r` gets at most `limits[r]` tokens
    /// (the end-of-sequence token included when it comes).
    pub fn generate(
        &self,
        patches: &[f32],
        used: &[usize],
        limits: &[usize],
    ) -> anyhow::Result<Vec<Vec<u32>>> {
        let s = &self.settings;
        let (b, p, f) = (used.len(), s.patches.max_patches, s.patches.features());
        if patches.len() != b * p * f || limits.len() != b {
            bail!(
                "internal error: {} patch values for {b} rows of {p} x {f}",
                patches.len()
            );
        }
        let mask: Vec<i64> = used
            .iter()
            .flat_map(|&n| (0..p).map(move |i| i64::from(i < n)))
            .collect();
        let hidden: DynValue = {
            let mut enc = lock(&self.encoder);
            let mut out = enc
                .run(ort::inputs![
                    "flattened_patches" => TensorRef::from_array_view(([b, p, f], patches)).map_err(ort_error)?,
                    "attention_mask" => TensorRef::from_array_view(([b, p], &mask[..])).map_err(ort_error)?,
                ])
                .map_err(|e| anyhow!("the encoder failed: {e}"))?;
            out.remove("last_hidden_state")
                .context("the encoder returned no last_hidden_state")?
        };
        let enc_mask = Tensor::from_array(([b, p], mask)).map_err(ort_error)?;
        let max_new = limits.iter().copied().max().unwrap_or(0);
        let mut tokens: Vec<Vec<u32>> = vec![Vec::new(); b];
        let mut done: Vec<bool> = limits.iter().map(|&l| l == 0).collect();
        let mut current: Vec<i64> = vec![s.decoder_start as i64; b];
        let mut past: Vec<DynValue> = Vec::new();
        for step in 0..max_new {
            if done.iter().all(|&d| d) {
                break;
            }
            let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
                (
                    "input_ids".into(),
                    Tensor::from_array(([b, 1], current.clone()))
                        .map_err(ort_error)?
                        .into(),
                ),
                ("encoder_hidden_states".into(), (&hidden).into()),
                ("encoder_attention_mask".into(), (&enc_mask).into()),
            ];
            if self.decoder_mask {
                let len = step + 1;
                inputs.push((
                    "attention_mask".into(),
                    Tensor::from_array(([b, len], vec![1i64; b * len]))
                        .map_err(ort_error)?
                        .into(),
                ));
            }
            let session = match &self.decoder {
                Decoder::Merged(session) => {
                    inputs.push((
                        "use_cache_branch".into(),
                        Tensor::from_array(([1usize], vec![step > 0]))
                            .map_err(ort_error)?
                            .into(),
                    ));
                    for (i, name) in self.cache.past.iter().enumerate() {
                        let value: SessionInputValue<'_> = if step == 0 {
                            let (h, d) = (s.num_heads, s.d_kv);
                            Tensor::from_array(([b, h, 0, d], Vec::<f32>::new()))
                                .map_err(ort_error)?
                                .into()
                        } else {
                            (&past[i]).into()
                        };
                        inputs.push((name.as_str().into(), value));
                    }
                    session
                }
                Decoder::Split { first, with_past } => {
                    if step == 0 {
                        first
                    } else {
                        for (i, name) in self.cache.past.iter().enumerate() {
                            inputs.push((name.as_str().into(), (&past[i]).into()));
                        }
                        with_past
                    }
                }
            };
            let mut guard = lock(session);
            // The with-past graph of a split export reads the cached cross-attention
            // entries instead of the encoder's states.
            inputs.retain(|(name, _)| guard.inputs().iter().any(|i| i.name() == name));
            let mut out = guard
                .run(inputs)
                .map_err(|e| anyhow!("the decoder failed at step {}: {e}", step + 1))?;
            let (shape, logits) = out["logits"]
                .try_extract_tensor::<f32>()
                .map_err(|e| anyhow!("the decoder returned unexpected logits: {e}"))?;
            let dims: Vec<i64> = shape.iter().copied().collect();
            let [rows, len, vocab] = dims[..] else {
                bail!("the decoder returned logits of shape {dims:?}, expected [batch, 1, vocab]");
            };
            if rows as usize != b || vocab as usize != s.vocab_size || len < 1 {
                bail!(
                    "the decoder returned logits of shape {dims:?} for {b} rows and a vocabulary of {}",
                    s.vocab_size
                );
            }
            let (len, vocab) = (len as usize, vocab as usize);
            for r in 0..b {
                if done[r] {
                    current[r] = s.pad as i64;
                    continue;
                }
                let row = &logits[(r * len + len - 1) * vocab..][..vocab];
                let token = argmax(row) as u32;
                tokens[r].push(token);
                current[r] = token as i64;
                if s.eos.contains(&token) || tokens[r].len() >= limits[r] {
                    done[r] = true;
                }
            }
            // The new cache: every entry at the first step, then the self-attention ones
            // (the cross-attention entries stay as the first step made them).
            for (i, name) in self.cache.present.iter().enumerate() {
                if step > 0 && self.cache.encoder[i] {
                    continue;
                }
                let value = out.remove(name.as_str()).with_context(|| {
                    format!("the decoder returned no `{name}` at step {}", step + 1)
                })?;
                if step == 0 {
                    past.push(value);
                } else {
                    past[i] = value;
                }
            }
        }
        Ok(tokens)
    }
}

/// The index of the largest value, the first one on ties (NaN never wins).
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() {
            best = i;
        }
    }
    best
}

fn wrong(path: &Path, what: &str, detail: String) -> anyhow::Error {
    anyhow!(
        "{} is not a Pix2Struct {what} export from Hugging Face Optimum: {detail}; re-export it with `optimum-cli export onnx --task image-to-text-with-past`",
        path.display()
    )
}

fn check_encoder(session: &Session, path: &Path, s: &Settings) -> anyhow::Result<()> {
    let inputs = input_names(session);
    let patches = session
        .inputs()
        .iter()
        .find(|i| i.name() == "flattened_patches");
    let (Some(patches), true) = (
        patches,
        inputs.len() == 2 && inputs.iter().any(|n| n == "attention_mask"),
    ) else {
        return Err(wrong(
            path,
            "encoder",
            format!("its inputs are {inputs:?}, expected flattened_patches and attention_mask"),
        ));
    };
    check_float_tensor(
        patches.dtype(),
        3,
        &[
            (1, s.patches.max_patches as i64),
            (2, s.patches.features() as i64),
        ],
    )
    .map_err(|e| {
        wrong(
            path,
            "encoder",
            format!(
                "its input flattened_patches {e} (preprocessor_config.json asks for {} patches of {} features)",
                s.patches.max_patches,
                s.patches.features()
            ),
        )
    })?;
    if !session
        .outputs()
        .iter()
        .any(|o| o.name() == "last_hidden_state")
    {
        let outputs = output_names(session);
        return Err(wrong(
            path,
            "encoder",
            format!("its outputs are {outputs:?}, expected last_hidden_state"),
        ));
    }
    Ok(())
}

/// Checks a decoder graph; returns its cache names and whether it takes a decoder mask.
fn check_decoder(
    session: &Session,
    path: &Path,
    s: &Settings,
    with_past: bool,
    merged: bool,
) -> anyhow::Result<(Cache, bool)> {
    let inputs = input_names(session);
    let outputs = output_names(session);
    let mut required = vec!["input_ids", "encoder_attention_mask"];
    if merged || !with_past {
        required.push("encoder_hidden_states");
    }
    if merged {
        required.push("use_cache_branch");
    }
    for name in &required {
        if !inputs.iter().any(|n| n == name) {
            return Err(wrong(
                path,
                "decoder",
                format!("it has no input `{name}` (its inputs are {inputs:?})"),
            ));
        }
    }
    let past: Vec<String> = inputs
        .iter()
        .filter(|n| n.starts_with("past_key_values."))
        .cloned()
        .collect();
    let known = |n: &String| {
        required.contains(&n.as_str())
            || ["attention_mask", "encoder_hidden_states"].contains(&n.as_str())
            || n.starts_with("past_key_values.")
    };
    if let Some(extra) = inputs.iter().find(|n| !known(n)) {
        return Err(wrong(
            path,
            "decoder",
            format!("it takes an input `{extra}` evalkit does not know how to fill"),
        ));
    }
    let want_past = if with_past { 4 * s.num_layers } else { 0 };
    if past.len() != want_past {
        return Err(wrong(
            path,
            "decoder",
            format!(
                "it has {} past_key_values inputs, expected {want_past} (4 per layer, {} layers in config.json)",
                past.len(),
                s.num_layers
            ),
        ));
    }
    let Some(logits) = session.outputs().iter().find(|o| o.name() == "logits") else {
        return Err(wrong(
            path,
            "decoder",
            format!("it has no output `logits` (its outputs are {outputs:?})"),
        ));
    };
    check_float_tensor(logits.dtype(), 3, &[(2, s.vocab_size as i64)]).map_err(|e| {
        wrong(
            path,
            "decoder",
            format!(
                "its logits {e} (config.json's vocab_size is {})",
                s.vocab_size
            ),
        )
    })?;
    let mut present = Vec::with_capacity(past.len());
    let mut encoder = Vec::with_capacity(past.len());
    for name in &past {
        let out = name.replacen("past_key_values.", "present.", 1);
        let is_encoder = name.contains(".encoder.");
        // The with-past graph of a split export does not return cross-attention entries.
        if !outputs.contains(&out) && (!is_encoder || merged) {
            return Err(wrong(
                path,
                "decoder",
                format!("it takes `{name}` but returns no `{out}`"),
            ));
        }
        present.push(out);
        encoder.push(is_encoder);
    }
    if !with_past {
        // The first-step graph must return the whole cache for the with-past graph.
        let n = outputs.iter().filter(|o| o.starts_with("present.")).count();
        if n != 4 * s.num_layers {
            return Err(wrong(
                path,
                "decoder",
                format!(
                    "it returns {n} present.* outputs, expected {}",
                    4 * s.num_layers
                ),
            ));
        }
    }
    let mask = inputs.iter().any(|n| n == "attention_mask");
    Ok((
        Cache {
            past,
            present,
            encoder,
        },
        mask,
    ))
}

#[cfg(test)]
mod tests {
    use super::argmax;

    #[test]
    fn argmax_takes_the_first_of_ties() {
        assert_eq!(argmax(&[0.5, 2.0, 2.0, -1.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 1.0]), 1);
        assert_eq!(argmax(&[3.0]), 0);
    }
}
