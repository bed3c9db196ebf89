//! Image-to-text models in the Hugging Face Optimum layout through ONNX Runtime, the
//! Pix2Struct family first (DePlot, MatCha, ChartPaLI-style chart models exported the same
//! way): `kind = "onnx-image2text"` cards.
//!
//! A request is one image and, for VQA models, the prompt (its text parts) drawn as a header
//! on the image ([`header`]). Each request is preprocessed on the blocking pool, one per core
//! at a time ([`patches`], [`prefetch`]), then queued; `max_concurrency` worker threads each
//! take up to `batch_size` queued requests and generate for them together ([`generate`]). The
//! scheduler keeps twice `max_concurrency x batch_size` requests in flight (see
//! [`ModelCard::requests_in_flight`]), so the next batches are preprocessed while the
//! current ones generate. Sessions are built once, on the first request or the
//! probe, and shared by the workers: the encoder and the decoder each run one call at a
//! time, so two batches overlap their stages. Answers are the decoded tokens without special
//! tokens.

pub mod files;
pub mod generate;
pub mod header;
pub mod patches;
pub mod prefetch;
pub mod resample;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures::FutureExt;
use futures::future::BoxFuture;
use image::{DynamicImage, RgbImage};
use tokio::sync::oneshot;

use self::files::{ModelFiles, Settings};
use self::generate::Generator;
use self::header::HeaderFont;
use self::patches::Patches;
use self::prefetch::Preprocessing;
use super::runtime::{self, SessionOptions};
use super::{decode_image, describe_file, resolve_card_path};
use crate::adapter::{CallError, Model, Part, Request, Response, Usage};
use crate::card::model::{AdapterSettings, ModelCard};

/// Bumped when preprocessing or decoding changes answers (part of the fingerprint).
const PIPELINE_VERSION: u32 = 1;

/// RGB as the reference's `convert("RGB")` makes it: any alpha channel is dropped (not
/// composed over white), grey is repeated in the three channels.
pub fn to_rgb(img: &DynamicImage) -> RgbImage {
    img.to_rgb8()
}

/// The loaded model: sessions, tokenizer and the header font.
pub struct Engine {
    pub generator: Generator,
    pub tokenizer: tokenizers::Tokenizer,
    pub font: Arc<HeaderFont>,
}

impl Engine {
    /// Loads and cross-checks everything in a model directory.
    pub fn load(
        files: &ModelFiles,
        library: &Path,
        options: &SessionOptions,
    ) -> anyhow::Result<Self> {
        let settings = Settings::read(files)?;
        let tokenizer = load_tokenizer(&files.tokenizer, &settings)?;
        let env = runtime::environment(library)?;
        let generator = Generator::load(env, files, settings, options)?;
        Ok(Self {
            generator,
            tokenizer,
            font: Arc::new(HeaderFont::bundled()?),
        })
    }

    /// The patches of one image with its prompt (drawn only for VQA models).
    pub fn prepare(&self, image: &DynamicImage, prompt: &str) -> Patches {
        prepare(&self.font, self.generator.settings(), image, prompt)
    }

    /// Generates for a batch of prepared images and decodes the answers.
    pub fn answer(&self, batch: &[(&Patches, usize)]) -> anyhow::Result<Vec<(String, usize)>> {
        let values: Vec<f32> = batch
            .iter()
            .flat_map(|(p, _)| p.values.iter().copied())
            .collect();
        let used: Vec<usize> = batch.iter().map(|(p, _)| p.used()).collect();
        let limits: Vec<usize> = batch.iter().map(|(_, l)| *l).collect();
        let tokens = self.generator.generate(&values, &used, &limits)?;
        tokens
            .into_iter()
            .map(|t| {
                let text = self
                    .tokenizer
                    .decode(&t, true)
                    .map_err(|e| anyhow!("decoding tokens {t:?} failed: {e}"))?;
                Ok((text.trim().to_string(), t.len()))
            })
            .collect()
    }
}

fn prepare(font: &HeaderFont, settings: &Settings, image: &DynamicImage, prompt: &str) -> Patches {
    let rgb = to_rgb(image);
    let rgb = if settings.is_vqa {
        font.render_header(&rgb, prompt)
    } else {
        rgb
    };
    patches::extract(&rgb, &settings.patches)
}

/// Reads tokenizer.json and checks it belongs to the model: every id fits the model's
/// vocabulary, and the end-of-sequence and pad ids are special tokens.
fn load_tokenizer(path: &Path, settings: &Settings) -> anyhow::Result<tokenizers::Tokenizer> {
    let tokenizer = tokenizers::Tokenizer::from_file(path)
        .map_err(|e| anyhow!("cannot read the tokenizer {}: {e}", path.display()))?;
    let size = tokenizer.get_vocab_size(true);
    let mismatch = |what: String| {
        anyhow!(
            "the tokenizer {} does not match the model: {what}; use the tokenizer.json exported with the model",
            path.display()
        )
    };
    if size > settings.vocab_size {
        bail!(mismatch(format!(
            "it has {size} tokens but config.json's vocab_size is {}",
            settings.vocab_size
        )));
    }
    let special: Vec<u32> = tokenizer
        .get_added_tokens_decoder()
        .iter()
        .filter(|(_, t)| t.special)
        .map(|(id, _)| *id)
        .collect();
    for (what, id) in settings
        .eos
        .iter()
        .map(|&id| ("end-of-sequence", id))
        .chain([("pad", settings.pad)])
    {
        if !special.contains(&id) {
            let token = tokenizer
                .id_to_token(id)
                .unwrap_or_else(|| "nothing".into());
            bail!(mismatch(format!(
                "the model's {what} id {id} is {token:?} in it, not a special token"
            )));
        }
    }
    Ok(tokenizer)
}

/// One queued request.
struct Job {
    patches: Patches,
    limit: usize,
    reply: oneshot::Sender<Result<(String, usize), String>>,
}

/// A `kind = "onnx-image2text"` model card's adapter.
pub struct OnnxImage2TextModel {
    inner: Arc<Inner>,
}

struct Inner {
    files: ModelFiles,
    settings: Settings,
    library: PathBuf,
    options: SessionOptions,
    batch_size: usize,
    workers: usize,
    max_tokens: Option<u32>,
    fingerprint: String,
    timeout: Duration,
    font: Arc<HeaderFont>,
    preprocessing: Preprocessing,
    jobs: OnceLock<mpsc::Sender<Job>>,
    loading: Mutex<()>,
}

impl OnnxImage2TextModel {
    /// Resolves and reads the card's model directory and library; the sessions are built on
    /// the probe or the first request.
    pub fn new(card: &ModelCard) -> anyhow::Result<Self> {
        let AdapterSettings::OnnxImage2text(onnx) = &card.adapter else {
            anyhow::bail!(
                "model card {} is of kind `{}`, not `onnx-image2text`",
                card.path.display(),
                card.kind().name()
            );
        };
        let context = || format!("model card {}", card.path.display());
        let dir = onnx
            .model_dir
            .as_deref()
            .map(|d| resolve_card_path(d, &card.path))
            .with_context(|| format!("{}: `model_dir` is required", card.path.display()))?;
        let files = ModelFiles::in_dir(&dir).with_context(context)?;
        let settings = Settings::read(&files).with_context(context)?;
        runtime::check_execution_provider(onnx.execution_provider.as_deref(), &card.path)?;
        let (library, _) = runtime::find_library(onnx.ort_library.as_deref(), &card.path)?;
        let options = SessionOptions {
            intra_threads: onnx.intra_threads.unwrap_or_else(runtime::default_threads),
        };
        let batch_size = onnx.batch_size.unwrap_or(1).max(1);
        let fingerprint = fingerprint(&files, &library, card.max_tokens)?;
        Ok(Self {
            inner: Arc::new(Inner {
                files,
                settings,
                library,
                options,
                batch_size,
                workers: card.concurrency_ceiling(),
                max_tokens: card.max_tokens,
                fingerprint,
                timeout: card.timeout(),
                font: Arc::new(HeaderFont::bundled()?),
                preprocessing: Preprocessing::per_core(),
                jobs: OnceLock::new(),
                loading: Mutex::new(()),
            }),
        })
    }
}

impl Inner {
    /// The job queue, loading the model and starting the workers the first time.
    fn queue(&self) -> anyhow::Result<mpsc::Sender<Job>> {
        if let Some(tx) = self.jobs.get() {
            return Ok(tx.clone());
        }
        let _guard = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = self.jobs.get() {
            return Ok(tx.clone());
        }
        let engine = Arc::new(Engine::load(&self.files, &self.library, &self.options)?);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..self.workers {
            let (engine, rx, batch) = (engine.clone(), rx.clone(), self.batch_size);
            std::thread::Builder::new()
                .name(format!("evalkit-image2text-{n}"))
                .spawn(move || worker(&engine, &rx, batch))
                .context("cannot start a generation thread")?;
        }
        Ok(self.jobs.get_or_init(|| tx).clone())
    }

    fn limit(&self, request: &Request) -> usize {
        request
            .sampling
            .max_tokens
            .or(self.max_tokens)
            .map(|t| t as usize)
            .unwrap_or(self.settings.max_new_tokens)
    }
}

/// A worker: takes the next request, plus whatever else is queued up to `batch` requests,
/// generates for them together and replies to each. Ends when the model is dropped.
fn worker(engine: &Engine, rx: &Mutex<mpsc::Receiver<Job>>, batch: usize) {
    loop {
        let mut jobs = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = rx.recv() else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        // Requests whose caller gave up (timeout, Ctrl-C) are not worth a session run.
        jobs.retain(|j| !j.reply.is_closed());
        if jobs.is_empty() {
            continue;
        }
        let inputs: Vec<(&Patches, usize)> = jobs.iter().map(|j| (&j.patches, j.limit)).collect();
        match engine.answer(&inputs) {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(e) => {
                let message = format!("{e:#}");
                for job in jobs {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

/// Names the model files (sizes and BLAKE3 hashes), the library and the token limit.
fn fingerprint(
    files: &ModelFiles,
    library: &Path,
    max_tokens: Option<u32>,
) -> anyhow::Result<String> {
    let parts = files
        .all()
        .into_iter()
        .map(describe_file)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(format!(
        "onnx-image2text/{PIPELINE_VERSION} {} runtime={} max_tokens={max_tokens:?}",
        parts.join(" "),
        library.file_name().unwrap_or_default().to_string_lossy(),
    ))
}

impl Model for OnnxImage2TextModel {
    fn fingerprint(&self) -> String {
        self.inner.fingerprint.clone()
    }

    fn generate<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, CallError>> {
        let mut images = Vec::new();
        let mut texts = Vec::new();
        for part in request.messages.iter().flat_map(|m| &m.parts) {
            match part {
                Part::Image { image } => images.push(image.clone()),
                Part::Text { text } => texts.push(text.as_str()),
            }
        }
        let prompt = texts.join("\n");
        let inner = self.inner.clone();
        let limit = inner.limit(request);
        async move {
            let [image] = &images[..] else {
                return Err(CallError::permanent(format!(
                    "an onnx-image2text model reads one image per request, and this request has {}",
                    images.len()
                )));
            };
            let started = Instant::now();
            let image = image.clone();
            let work = inner.clone();
            let prepared = inner.preprocessing.run(move || {
                let img = decode_image(&image, "the image")?;
                let patches = prepare(&work.font, &work.settings, &img, &prompt);
                drop(img);
                let queue = work
                    .queue()
                    .map_err(|e| CallError::permanent(format!("{e:#}")))?;
                Ok::<_, CallError>((patches, queue))
            });
            let run = async move {
                let (patches, queue) = prepared.await.ok_or_else(|| {
                    CallError::permanent("preprocessing the image stopped unexpectedly")
                })??;
                let used = patches.used();
                let (reply, answer) = oneshot::channel();
                queue
                    .send(Job {
                        patches,
                        limit,
                        reply,
                    })
                    .map_err(|_| CallError::permanent("the generation threads have stopped"))?;
                let (text, tokens) = answer
                    .await
                    .map_err(|_| CallError::permanent("the generation thread stopped"))?
                    .map_err(CallError::permanent)?;
                Ok::<_, CallError>((text, used, tokens))
            };
            let (text, used, tokens) =
                tokio::time::timeout(inner.timeout, run)
                    .await
                    .map_err(|_| {
                        CallError::transient(format!(
                            "generation timed out after {:.1}s",
                            inner.timeout.as_secs_f64()
                        ))
                    })??;
            Ok(Response {
                text,
                usage: Some(Usage {
                    prompt_tokens: used as u64,
                    completion_tokens: tokens as u64,
                    reasoning_tokens: 0,
                }),
                latency: started.elapsed(),
                // Not reported: a local model that reaches its token limit has produced what
                // its generation settings ask for (DePlot's tables end there), which the
                // truncated outcome of chat servers would score as wrong.
                ..Response::default()
            })
        }
        .boxed()
    }

    fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        let inner = self.inner.clone();
        async move {
            tokio::task::spawn_blocking(move || inner.queue().map(|_| ()))
                .await
                .map_err(|e| anyhow!("loading the model stopped unexpectedly: {e}"))?
        }
        .boxed()
    }

    fn estimate_tokens(&self, request: &Request) -> u32 {
        self.inner.limit(request) as u32
    }
}
