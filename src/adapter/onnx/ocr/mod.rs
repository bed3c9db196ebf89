//! PP-OCR through ONNX Runtime: detection, optional angle classification and recognition,
//! the pipeline PaddleOCR and RapidOCR run, reimplemented in Rust.
//!
//! [`OcrEngine`] is the library face: it reads an image and returns text lines with their
//! boxes and scores, in reading order. [`OnnxOcrModel`] wraps it as a [`Model`] for
//! `kind = "onnx-ocr"` cards: the response to a request is the text of its images, one line
//! per detected box (a textual description of a chart for a text-only reasoner).
//!
//! Pipeline, per image: images with an alpha channel are composed over white; very flat
//! images (height <= 30 or width > 8 x height) get black bands above and below as RapidOCR
//! adds; [`det`] finds boxes; boxes are put in reading order ([`postprocess::reading_order`]);
//! each box is cut out upright ([`imaging::crop_quad`]); [`cls`] turns upside-down crops
//! (when the classifier model is present); [`rec`] reads them; lines whose score is below
//! `drop_score` (0.5) are dropped, and spaces around a line's text are trimmed.

pub mod cls;
pub mod det;
pub mod geometry;
pub mod imaging;
pub mod postprocess;
pub mod rec;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures::FutureExt;
use futures::future::BoxFuture;
use image::{DynamicImage, RgbImage};

use self::cls::AngleClassifier;
use self::det::{DetSettings, Detector};
use self::geometry::Quad;
use self::rec::Recognizer;
use super::runtime::{self, SessionOptions};
use super::{SETUP_HINT, cache_dir, decode_image, describe_file, resolve_card_path};
use crate::adapter::{CallError, EncodedImage, Model, Part, Request, Response};
use crate::card::model::{AdapterSettings, ModelCard};

/// The file names `scripts/setup.sh` installs (from RapidOCR's wheel).
pub const DET_FILE: &str = "ch_PP-OCRv4_det_infer.onnx";
pub const REC_FILE: &str = "ch_PP-OCRv4_rec_infer.onnx";
pub const CLS_FILE: &str = "ch_ppocr_mobile_v2.0_cls_infer.onnx";

/// Bumped when the pipeline changes in a way that changes answers (part of the
/// fingerprint, so cached answers are not reused across such changes).
const PIPELINE_VERSION: u32 = 1;

/// The default model directory: `$EVALKIT_CACHE/models/ppocr`.
pub fn default_model_dir() -> PathBuf {
    cache_dir().join("models").join("ppocr")
}

/// The model files of a PP-OCR directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcrModelFiles {
    pub det: PathBuf,
    pub rec: PathBuf,
    /// The angle classifier; without it crops are read as they are cut.
    pub cls: Option<PathBuf>,
}

impl OcrModelFiles {
    /// Finds the models in `dir`: the file names `scripts/setup.sh` installs, else the one
    /// `*.onnx` file whose name contains `det` (`rec`, `cls`). Detection and recognition
    /// are required; the classifier is optional.
    pub fn in_dir(dir: &Path) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!(
                "the PP-OCR model directory {} does not exist; {SETUP_HINT}",
                dir.display()
            );
        }
        let onnx: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the model directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "onnx") && p.is_file())
            .collect();
        let find = |standard: &str, tag: &str, what: &str| -> anyhow::Result<Option<PathBuf>> {
            let path = dir.join(standard);
            if path.is_file() {
                return Ok(Some(path));
            }
            let matches: Vec<&PathBuf> = onnx
                .iter()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().to_lowercase().contains(tag))
                })
                .collect();
            match matches[..] {
                [] => Ok(None),
                [one] => Ok(Some(one.clone())),
                _ => bail!(
                    "the model directory {} has several {what} models ({}); keep one, or name it {standard}",
                    dir.display(),
                    matches
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        };
        let missing = |standard: &str, tag: &str, what: &str| {
            anyhow!(
                "the PP-OCR {what} model is missing: no {standard} (or other *{tag}*.onnx file) in {}; {SETUP_HINT}",
                dir.display()
            )
        };
        let det = find(DET_FILE, "det", "text detection")?
            .ok_or_else(|| missing(DET_FILE, "det", "text detection"))?;
        let rec = find(REC_FILE, "rec", "text recognition")?
            .ok_or_else(|| missing(REC_FILE, "rec", "text recognition"))?;
        let cls = find(CLS_FILE, "cls", "angle classification")?;
        Ok(Self { det, rec, cls })
    }
}

/// Pipeline settings: PaddleOCR's defaults for PP-OCRv4 in [`Default`].
#[derive(Clone, Debug, PartialEq)]
pub struct OcrSettings {
    pub det: DetSettings,
    /// Lines whose recognition score is below this are dropped.
    pub drop_score: f32,
    /// Crops per recognition run.
    pub rec_batch: usize,
    /// Crops per angle-classification run.
    pub cls_batch: usize,
    /// Run the angle classifier (when its model is present).
    pub use_angle_cls: bool,
}

impl Default for OcrSettings {
    fn default() -> Self {
        Self {
            det: DetSettings::default(),
            drop_score: 0.5,
            rec_batch: 6,
            cls_batch: 6,
            use_angle_cls: true,
        }
    }
}

impl OcrSettings {
    fn describe(&self) -> String {
        let d = &self.det;
        format!(
            "det_limit={}/{:?} thresh={} box_thresh={} unclip={} dilation={} max_candidates={} drop_score={} rec_batch={} cls={} cls_thresh={}",
            d.limit_side_len,
            d.limit_type,
            d.db.thresh,
            d.db.box_thresh,
            d.db.unclip_ratio,
            d.db.use_dilation,
            d.db.max_candidates,
            self.drop_score,
            self.rec_batch,
            self.use_angle_cls,
            cls::THRESHOLD
        )
    }
}

/// One line of text found in an image.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
    pub text: String,
    /// The recogniser's mean character probability.
    pub score: f32,
    /// The box in source-image pixels: top-left, top-right, bottom-right, bottom-left.
    pub quad: Quad,
    /// The detector's mean text probability inside the box.
    pub box_score: f32,
    /// Whether the angle classifier turned the crop by 180 degrees.
    pub rotated: bool,
}

/// The loaded PP-OCR models. Sessions are shared: each runs one call at a time, so several
/// images in flight overlap across the stages.
pub struct OcrEngine {
    det: Detector,
    cls: Option<AngleClassifier>,
    rec: Recognizer,
    settings: OcrSettings,
}

/// Below this height, or wider than this ratio, images get bands above and below.
const LETTERBOX_MIN_HEIGHT: u32 = 30;
const LETTERBOX_MAX_RATIO: u32 = 8;

impl OcrEngine {
    /// Loads ONNX Runtime from `library` (once per process) and the models.
    pub fn load(
        files: &OcrModelFiles,
        library: &Path,
        options: &SessionOptions,
        settings: OcrSettings,
    ) -> anyhow::Result<Self> {
        let env = runtime::environment(library)?;
        let det = Detector::load(env, &files.det, options)?;
        let rec = Recognizer::load(env, &files.rec, options)?;
        let cls = match (&files.cls, settings.use_angle_cls) {
            (Some(path), true) => Some(AngleClassifier::load(env, path, options)?),
            _ => None,
        };
        Ok(Self {
            det,
            cls,
            rec,
            settings,
        })
    }

    /// Loads what `scripts/setup.sh` installs (the cached library and models), with
    /// default settings: for tests and programs.
    pub fn load_default(intra_threads: usize) -> anyhow::Result<Self> {
        let files = OcrModelFiles::in_dir(&default_model_dir())?;
        let (library, _) = runtime::find_library(None, Path::new("."))?;
        Self::load(
            &files,
            &library,
            &SessionOptions { intra_threads },
            OcrSettings::default(),
        )
    }

    pub fn settings(&self) -> &OcrSettings {
        &self.settings
    }

    /// The recogniser's classes (blank first, space last).
    pub fn charset(&self) -> &[String] {
        self.rec.charset()
    }

    /// Reads encoded image bytes (PNG, JPEG).
    pub fn read_bytes(&self, bytes: &[u8]) -> anyhow::Result<Vec<TextLine>> {
        let img = image::load_from_memory(bytes)
            .map_err(|e| anyhow!("the image does not decode ({} bytes): {e}", bytes.len()))?;
        self.read(&img)
    }

    /// Reads an image; lines in reading order.
    pub fn read(&self, img: &DynamicImage) -> anyhow::Result<Vec<TextLine>> {
        self.read_rgb(&flatten(img))
    }

    /// Reads an RGB image; lines in reading order.
    pub fn read_rgb(&self, img: &RgbImage) -> anyhow::Result<Vec<TextLine>> {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let top = if h <= LETTERBOX_MIN_HEIGHT || w as f64 / h as f64 > LETTERBOX_MAX_RATIO as f64 {
            let new_h = (w / LETTERBOX_MAX_RATIO).max(LETTERBOX_MIN_HEIGHT) * 2;
            new_h.abs_diff(h) / 2
        } else {
            0
        };
        let padded;
        let img = if top > 0 {
            padded = imaging::pad_vertical(img, top, top);
            &padded
        } else {
            img
        };
        let boxes = self.det.detect(img, &self.settings.det)?;
        let quads: Vec<Quad> = boxes.iter().map(|b| b.quad).collect();
        let mut kept = Vec::new();
        let mut crops = Vec::new();
        for i in postprocess::reading_order(&quads) {
            if let Some(crop) = imaging::crop_quad(img, &boxes[i].quad) {
                kept.push(i);
                crops.push(crop);
            }
        }
        let rotated = match &self.cls {
            Some(cls) if !crops.is_empty() => cls.apply(&mut crops, self.settings.cls_batch)?,
            _ => vec![false; crops.len()],
        };
        let texts = if crops.is_empty() {
            Vec::new()
        } else {
            self.rec.recognize(&crops, self.settings.rec_batch)?
        };
        let mut lines = Vec::new();
        for ((i, r), rotated) in kept.into_iter().zip(texts).zip(rotated) {
            let text = r.text.trim();
            if r.score < self.settings.drop_score || text.is_empty() {
                continue;
            }
            let quad = boxes[i].quad.map(|[x, y]| {
                [
                    x.clamp(0.0, w as f64),
                    (y - top as f64).clamp(0.0, h as f64),
                ]
            });
            lines.push(TextLine {
                text: text.to_string(),
                score: r.score,
                quad,
                box_score: boxes[i].score,
                rotated,
            });
        }
        Ok(lines)
    }
}

/// RGB, with any transparency composed over white.
fn flatten(img: &DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            o[c] = ((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// A `kind = "onnx-ocr"` model card's adapter.
pub struct OnnxOcrModel {
    inner: Arc<Inner>,
}

struct Inner {
    files: OcrModelFiles,
    library: PathBuf,
    options: SessionOptions,
    settings: OcrSettings,
    fingerprint: String,
    timeout: Duration,
    engine: OnceLock<Arc<OcrEngine>>,
    loading: Mutex<()>,
}

impl OnnxOcrModel {
    /// Resolves the card's files (model directory, ONNX Runtime library) and fingerprints
    /// the models; nothing is loaded until [`Model::probe`] or the first request.
    pub fn new(card: &ModelCard) -> anyhow::Result<Self> {
        let AdapterSettings::OnnxOcr(onnx) = &card.adapter else {
            anyhow::bail!(
                "model card {} is of kind `{}`, not `onnx-ocr`",
                card.path.display(),
                card.kind().name()
            );
        };
        let dir = match &onnx.model_dir {
            Some(dir) => resolve_card_path(dir, &card.path),
            None => default_model_dir(),
        };
        let files = OcrModelFiles::in_dir(&dir)
            .with_context(|| format!("model card {}", card.path.display()))?;
        runtime::check_execution_provider(onnx.execution_provider.as_deref(), &card.path)?;
        let (library, _) = runtime::find_library(onnx.ort_library.as_deref(), &card.path)?;
        let settings = OcrSettings {
            rec_batch: onnx.batch_size.unwrap_or(6).max(1),
            ..OcrSettings::default()
        };
        let options = SessionOptions {
            intra_threads: onnx.intra_threads.unwrap_or_else(runtime::default_threads),
        };
        let fingerprint = fingerprint(&files, &library, &settings)?;
        Ok(Self {
            inner: Arc::new(Inner {
                files,
                library,
                options,
                settings,
                fingerprint,
                timeout: card.timeout(),
                engine: OnceLock::new(),
                loading: Mutex::new(()),
            }),
        })
    }

    /// The OCR engine, loading it on first use.
    pub fn engine(&self) -> anyhow::Result<Arc<OcrEngine>> {
        self.inner.engine()
    }
}

impl Inner {
    fn engine(&self) -> anyhow::Result<Arc<OcrEngine>> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine.clone());
        }
        let _guard = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(engine) = self.engine.get() {
            return Ok(engine.clone());
        }
        let engine = Arc::new(OcrEngine::load(
            &self.files,
            &self.library,
            &self.options,
            self.settings.clone(),
        )?);
        Ok(self.engine.get_or_init(|| engine).clone())
    }

    /// OCR of every image of a request: the lines of each image, images separated by an
    /// empty line.
    fn answer(&self, images: &[EncodedImage]) -> Result<String, CallError> {
        let engine = self
            .engine()
            .map_err(|e| CallError::permanent(format!("{e:#}")))?;
        let mut texts = Vec::with_capacity(images.len());
        for (n, image) in images.iter().enumerate() {
            let which = if images.len() > 1 {
                format!("image {} of {}", n + 1, images.len())
            } else {
                "the image".to_string()
            };
            let img = decode_image(image, &which)?;
            let lines = engine
                .read(&img)
                .map_err(|e| CallError::permanent(format!("OCR of {which} failed: {e:#}")))?;
            texts.push(
                lines
                    .into_iter()
                    .map(|l| l.text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        Ok(texts.join("\n\n"))
    }
}

/// Names the model files (with sizes and BLAKE3 hashes), the library and the settings.
fn fingerprint(
    files: &OcrModelFiles,
    library: &Path,
    settings: &OcrSettings,
) -> anyhow::Result<String> {
    let cls = match (&files.cls, settings.use_angle_cls) {
        (Some(path), true) => describe_file(path)?,
        _ => "none".to_string(),
    };
    Ok(format!(
        "onnx-ocr/{PIPELINE_VERSION} det={} cls={cls} rec={} runtime={} {}",
        describe_file(&files.det)?,
        describe_file(&files.rec)?,
        library.file_name().unwrap_or_default().to_string_lossy(),
        settings.describe()
    ))
}

impl Model for OnnxOcrModel {
    fn fingerprint(&self) -> String {
        self.inner.fingerprint.clone()
    }

    fn generate<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, CallError>> {
        let images: Vec<EncodedImage> = request
            .messages
            .iter()
            .flat_map(|m| &m.parts)
            .filter_map(|p| match p {
                Part::Image { image } => Some(image.clone()),
                Part::Text { .. } => None,
            })
            .collect();
        let inner = self.inner.clone();
        async move {
            if images.is_empty() {
                return Err(CallError::permanent(
                    "the onnx-ocr model reads images, and this request has none",
                ));
            }
            let started = Instant::now();
            let timeout = inner.timeout;
            let task = tokio::task::spawn_blocking(move || inner.answer(&images));
            let text = match tokio::time::timeout(timeout, task).await {
                Err(_) => {
                    return Err(CallError::transient(format!(
                        "OCR timed out after {:.1}s",
                        timeout.as_secs_f64()
                    )));
                }
                Ok(Err(join)) => {
                    return Err(CallError::permanent(format!(
                        "OCR stopped unexpectedly: {join}"
                    )));
                }
                Ok(Ok(result)) => result?,
            };
            Ok(Response {
                text,
                usage: None,
                latency: started.elapsed(),
                ..Response::default()
            })
        }
        .boxed()
    }

    fn probe(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        let inner = self.inner.clone();
        async move {
            tokio::task::spawn_blocking(move || inner.engine().map(|_| ()))
                .await
                .map_err(|e| anyhow!("loading the OCR models stopped unexpectedly: {e}"))?
        }
        .boxed()
    }

    fn estimate_tokens(&self, request: &Request) -> u32 {
        // OCR has no token budget; count one per image so rate limits still see calls.
        request
            .messages
            .iter()
            .flat_map(|m| &m.parts)
            .filter(|p| matches!(p, Part::Image { .. }))
            .count()
            .max(1) as u32
    }
}
