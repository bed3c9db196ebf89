//! PP-OCR through ONNX Runtime, with the real models `scripts/setup.sh` installs: text
//! rendered with the bundled DejaVu Sans is read back exactly and in reading order; every
//! error a user can meet (missing models, a wrong model, an image that does not decode, a
//! missing or broken ONNX Runtime library) is a clear error, not a panic; and `evalkit run`
//! with an `onnx-ocr` card answers a small ChartQA-format suite with the text of its images.
//!
//! These tests never skip: without the library or the models they fail and say to run
//! `bash scripts/setup.sh`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use evalkit::adapter::onnx::ocr::{OcrEngine, OcrModelFiles, OcrSettings, TextLine};
use evalkit::adapter::onnx::runtime::{self, SessionOptions};
use evalkit::adapter::{CallError, EncodedImage, Message, Part, Request, Role};
use image::{Rgb, RgbImage};

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// The engine shared by the tests of this process (one ONNX Runtime environment).
fn engine() -> &'static OcrEngine {
    static ENGINE: OnceLock<OcrEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        OcrEngine::load_default(2).unwrap_or_else(|e| {
            panic!("the PP-OCR models could not be loaded (run `bash scripts/setup.sh`): {e:#}")
        })
    })
}

/// A white canvas.
fn canvas(w: u32, h: u32) -> RgbImage {
    RgbImage::from_pixel(w, h, Rgb([255, 255, 255]))
}

/// Draws `text` in black, `px` pixels high, its top-left corner at (x, y); returns the
/// right edge of the text.
fn draw(img: &mut RgbImage, text: &str, x: f32, y: f32, px: f32) -> f32 {
    let font = FontRef::try_from_slice(FONT).expect("the bundled font parses");
    let scaled = font.as_scaled(PxScale::from(px));
    let mut caret = point(x, y + scaled.ascent());
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret.x += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(px, caret);
        caret.x += scaled.h_advance(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (
                    gx as i64 + bounds.min.x as i64,
                    gy as i64 + bounds.min.y as i64,
                );
                if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                    let p = img.get_pixel_mut(px as u32, py as u32);
                    for c in 0..3 {
                        p[c] = (p[c] as f32 * (1.0 - coverage.clamp(0.0, 1.0))).round() as u8;
                    }
                }
            });
        }
    }
    caret.x
}

fn texts(lines: &[TextLine]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}

fn one_line(text: &str) -> RgbImage {
    let mut img = canvas(480, 80);
    draw(&mut img, text, 20.0, 20.0, 32.0);
    img
}

#[test]
fn reads_single_lines_exactly() {
    for text in [
        "Hello ORT 2026",
        "Revenue 42.5%",
        "Net income: -3,120 (USD)",
    ] {
        let started = Instant::now();
        let lines = engine().read_rgb(&one_line(text)).expect("OCR runs");
        eprintln!("{text:?} -> {lines:?} in {:?}", started.elapsed());
        assert_eq!(texts(&lines), vec![text]);
        let line = &lines[0];
        assert!(line.score > 0.9, "{line:?}");
        // The box lies around the text: starts near x = 20, inside the image.
        assert!((10.0..=25.0).contains(&line.quad[0][0]), "{line:?}");
        for [x, y] in line.quad {
            assert!(
                (0.0..=480.0).contains(&x) && (0.0..=80.0).contains(&y),
                "{line:?}"
            );
        }
    }
}

#[test]
fn reads_lines_in_reading_order() {
    let mut img = canvas(640, 300);
    draw(&mut img, "Quarterly sales 2026", 30.0, 20.0, 30.0);
    // Two columns; on the second row the right box sits 3 pixels higher than the left one,
    // which still reads left to right.
    draw(&mut img, "Q1 12.5", 30.0, 100.0, 26.0);
    draw(&mut img, "Q2 17.0", 340.0, 104.0, 26.0);
    draw(&mut img, "Q3 9.75", 30.0, 160.0, 26.0);
    draw(&mut img, "Q4 21.3", 340.0, 157.0, 26.0);
    draw(&mut img, "Total 60.55 million", 30.0, 230.0, 26.0);
    let started = Instant::now();
    let lines = engine().read_rgb(&img).expect("OCR runs");
    eprintln!("{:?} in {:?}", texts(&lines), started.elapsed());
    assert_eq!(
        texts(&lines),
        vec![
            "Quarterly sales 2026",
            "Q1 12.5",
            "Q2 17.0",
            "Q3 9.75",
            "Q4 21.3",
            "Total 60.55 million"
        ]
    );
    // Right-hand boxes start right of the left-hand ones.
    assert!(lines[2].quad[0][0] > 300.0 && lines[1].quad[0][0] < 60.0);
    assert!(lines.iter().all(|l| !l.rotated && l.box_score > 0.6));
}

#[test]
fn turned_text_is_read_upright() {
    let text = "Revenue 42.5%";
    let upside_down = image::imageops::rotate180(&one_line(text));
    let lines = engine().read_rgb(&upside_down).expect("OCR runs");
    assert_eq!(texts(&lines), vec![text]);
    assert!(lines[0].rotated, "the angle classifier turned the crop");
    // A y-axis title written bottom to top: the tall crop is turned a quarter, then the
    // classifier turns it the rest of the way.
    let mut label = canvas(300, 60);
    draw(&mut label, "Share of users", 10.0, 10.0, 28.0);
    let vertical = image::imageops::rotate270(&label);
    let lines = engine().read_rgb(&vertical).expect("OCR runs");
    assert_eq!(texts(&lines), vec!["Share of users"]);
}

#[test]
fn odd_images_give_no_text_or_read_fine() {
    assert!(
        engine()
            .read_rgb(&canvas(320, 200))
            .expect("blank")
            .is_empty()
    );
    assert!(engine().read_rgb(&canvas(1, 1)).expect("1x1").is_empty());
    assert!(
        engine()
            .read_rgb(&RgbImage::new(0, 0))
            .expect("0x0")
            .is_empty()
    );
    // Very flat: a strip 24 pixels high gets bands above and below first.
    let mut strip = canvas(400, 24);
    draw(&mut strip, "Sales 2019", 8.0, 2.0, 20.0);
    let lines = engine().read_rgb(&strip).expect("strip");
    assert_eq!(texts(&lines), vec!["Sales 2019"]);
    for [x, y] in lines[0].quad {
        assert!(
            (0.0..=400.0).contains(&x) && (0.0..=24.0).contains(&y),
            "{lines:?}"
        );
    }
    // Transparent background: composed over white.
    let mut rgba = image::RgbaImage::new(480, 80);
    let text = one_line("Hello ORT 2026");
    for (x, y, p) in text.enumerate_pixels() {
        rgba.put_pixel(x, y, image::Rgba([0, 0, 0, 255 - p[0]]));
    }
    let mut bytes = std::io::Cursor::new(Vec::new());
    rgba.write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode");
    let lines = engine().read_bytes(bytes.get_ref()).expect("RGBA PNG");
    assert_eq!(texts(&lines), vec!["Hello ORT 2026"]);
}

/// The directory `scripts/setup.sh` fills.
fn model_dir() -> PathBuf {
    evalkit::adapter::onnx::ocr::default_model_dir()
}

fn library() -> PathBuf {
    runtime::find_library(None, Path::new("."))
        .unwrap_or_else(|e| panic!("{e:#}"))
        .0
}

fn load_err(dir: &Path) -> String {
    let _ = engine();
    let files = match OcrModelFiles::in_dir(dir) {
        Ok(files) => files,
        Err(e) => return format!("{e:#}"),
    };
    match OcrEngine::load(
        &files,
        &library(),
        &SessionOptions { intra_threads: 1 },
        OcrSettings::default(),
    ) {
        Ok(_) => panic!("loading {} should fail", dir.display()),
        Err(e) => format!("{e:#}"),
    }
}

fn copy_model(from: &str, dir: &Path, to: &str) {
    std::fs::copy(model_dir().join(from), dir.join(to)).expect("copy model");
}

#[test]
fn missing_model_files_say_how_to_install() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = load_err(&tmp.path().join("nowhere"));
    assert!(
        err.contains("does not exist") && err.contains("scripts/setup.sh"),
        "{err}"
    );
    let err = load_err(tmp.path());
    assert!(
        err.contains("text detection model is missing") && err.contains("scripts/setup.sh"),
        "{err}"
    );
    copy_model(
        "ch_PP-OCRv4_det_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_det_infer.onnx",
    );
    let err = load_err(tmp.path());
    assert!(err.contains("text recognition model is missing"), "{err}");
}

#[test]
fn wrong_models_are_refused_by_their_signature() {
    // The angle classifier where the detector should be: same input name, wrong output.
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_model(
        "ch_ppocr_mobile_v2.0_cls_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_det_infer.onnx",
    );
    copy_model(
        "ch_PP-OCRv4_rec_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_rec_infer.onnx",
    );
    let err = load_err(tmp.path());
    assert!(
        err.contains("is not a PP-OCR text detection model") && err.contains("[N, 1, H, W]"),
        "{err}"
    );
    // The detector where the recogniser should be.
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_model(
        "ch_PP-OCRv4_det_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_det_infer.onnx",
    );
    copy_model(
        "ch_PP-OCRv4_det_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_rec_infer.onnx",
    );
    let err = load_err(tmp.path());
    assert!(
        err.contains("is not a PP-OCR text recognition model"),
        "{err}"
    );
    // Not an ONNX file at all.
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("ch_PP-OCRv4_det_infer.onnx"),
        b"not a model",
    )
    .expect("write");
    copy_model(
        "ch_PP-OCRv4_rec_infer.onnx",
        tmp.path(),
        "ch_PP-OCRv4_rec_infer.onnx",
    );
    let err = load_err(tmp.path());
    assert!(
        err.contains("could not load the text detection model"),
        "{err}"
    );
}

#[test]
fn undecodable_images_are_errors() {
    let err = engine()
        .read_bytes(b"\x89PNG\r\n\x1a\nthis is not really a PNG")
        .expect_err("garbage");
    assert!(format!("{err:#}").contains("does not decode"), "{err:#}");
    assert!(engine().read_bytes(b"").is_err());
}

#[test]
fn a_missing_library_says_how_to_install() {
    let card = Path::new("/cards/adapters/ppocr.toml");
    let err = runtime::find_library(Some(Path::new("/nonexistent/libonnxruntime.so")), card)
        .expect_err("missing");
    let err = format!("{err:#}");
    assert!(
        err.contains("/nonexistent/libonnxruntime.so")
            && err.contains("ort_library")
            && err.contains("scripts/setup.sh"),
        "{err}"
    );
    let err =
        runtime::environment(Path::new("/nonexistent/libonnxruntime.so")).expect_err("missing");
    assert!(format!("{err:#}").contains("scripts/setup.sh"), "{err:#}");
}

/// A model card, parsed without the validation `ModelCard::load` does.
fn card(extra: &str) -> evalkit::card::model::ModelCard {
    let mut card: evalkit::card::model::ModelCard =
        toml::from_str(&format!("kind = \"onnx-ocr\"\nintra_threads = 2\n{extra}")).expect("card");
    card.path = PathBuf::from("/cards/adapters/ppocr.toml");
    card.name = "ppocr".into();
    card
}

fn request(images: &[&RgbImage], text: &str) -> Request {
    let mut parts: Vec<Part> = images
        .iter()
        .map(|img| Part::Image {
            image: EncodedImage::from_bytes("image/png", &png(img)),
        })
        .collect();
    parts.push(Part::Text { text: text.into() });
    Request {
        messages: vec![Message {
            role: Role::User,
            parts,
        }],
        sampling: Default::default(),
    }
}

#[tokio::test]
async fn the_model_answers_with_the_text_of_its_images() {
    let _ = engine();
    let dir = model_dir();
    let model = evalkit::run::setup::model(&card(&format!(
        "model_dir = {:?}\nort_library = {:?}\n",
        dir.display().to_string(),
        library().display().to_string()
    )))
    .expect("adapter");
    model.probe().await.expect("probe");
    let fingerprint = model.fingerprint();
    for part in [
        "ch_PP-OCRv4_det_infer.onnx (4745517 bytes",
        "ch_PP-OCRv4_rec_infer.onnx (10857958 bytes",
        "ch_ppocr_mobile_v2.0_cls_infer.onnx (585532 bytes",
        "libonnxruntime.so.1.31.1",
        "unclip=2",
    ] {
        assert!(fingerprint.contains(part), "{part}: {fingerprint}");
    }

    let a = one_line("Hello ORT 2026");
    let b = one_line("Revenue 42.5%");
    let r = model
        .generate(&request(&[&a], "What does it say?"))
        .await
        .expect("answer");
    assert_eq!(r.text, "Hello ORT 2026");
    let r = model
        .generate(&request(&[&a, &b], "Both?"))
        .await
        .expect("answer");
    assert_eq!(r.text, "Hello ORT 2026\n\nRevenue 42.5%");

    let err = model
        .generate(&request(&[], "no image"))
        .await
        .expect_err("no image");
    assert!(
        matches!(err, CallError::Permanent { .. }) && err.to_string().contains("none"),
        "{err}"
    );
    let garbage = Request {
        messages: vec![Message {
            role: Role::User,
            parts: vec![Part::Image {
                image: EncodedImage::from_bytes("image/png", b"not a png"),
            }],
        }],
        sampling: Default::default(),
    };
    let err = model.generate(&garbage).await.expect_err("garbage");
    assert!(
        matches!(err, CallError::Permanent { .. }) && err.to_string().contains("does not decode"),
        "{err}"
    );

    // A card whose model directory is empty fails when the adapter is built.
    let tmp = tempfile::tempdir().expect("tempdir");
    let err = evalkit::run::setup::model(&card(&format!(
        "model_dir = {:?}\n",
        tmp.path().display().to_string()
    )))
    .err()
    .expect("no models");
    assert!(format!("{err:#}").contains("scripts/setup.sh"), "{err:#}");
}

/// A ChartQA-format suite whose charts are rendered text.
/// `evalkit run --model CARD --suite chartqa --data DATA` with evalkit's cache at `cache`.
fn run_card(cwd: &Path, card: &Path, data: &Path, cache: &Path) -> std::process::Output {
    common::evalkit(
        cwd,
        &[
            "run",
            "--model",
            card.to_str().expect("utf-8"),
            "--suite",
            "chartqa",
            "--data",
            data.to_str().expect("utf-8"),
            "--quiet",
        ],
        &[("EVALKIT_CACHE", cache.to_str().expect("utf-8"))],
    )
}

fn ocr_suite(dir: &Path) {
    let png_dir = dir.join("png");
    std::fs::create_dir_all(&png_dir).expect("mkdir");
    let mut big = canvas(240, 120);
    draw(&mut big, "45", 80.0, 30.0, 48.0);
    big.save(png_dir.join("forty_five.png")).expect("save");
    one_line("Hello ORT 2026")
        .save(png_dir.join("hello.png"))
        .expect("save");
    one_line("Revenue 42.5%")
        .save(png_dir.join("revenue.png"))
        .expect("save");
    let item = |img: &str, query: &str, label: &str| serde_json::json!({"imgname": img, "query": query, "label": label});
    let human = serde_json::json!([
        item(
            "forty_five.png",
            "What is the value of the tallest bar?",
            "45"
        ),
        item("hello.png", "What does the title say?", "Hello ORT 2026"),
    ]);
    let augmented = serde_json::json!([item("revenue.png", "What percentage?", "12")]);
    std::fs::write(dir.join("test_human.json"), human.to_string()).expect("write");
    std::fs::write(dir.join("test_augmented.json"), augmented.to_string()).expect("write");
}

#[test]
fn evalkit_run_with_an_onnx_ocr_card() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("chartqa");
    ocr_suite(&data);
    let cache = evalkit::adapter::onnx::cache_dir();
    let card_text = "kind = \"onnx-ocr\"\nmodel_dir = \"$EVALKIT_CACHE/models/ppocr\"\nintra_threads = 1\nmax_concurrency = 2\n";
    let card = tmp.path().join("ppocr.toml");
    std::fs::write(&card, card_text).expect("card");
    let started = Instant::now();
    let out = run_card(tmp.path(), &card, &data, &cache);
    eprintln!("evalkit run: {:?}", started.elapsed());
    common::ok(&out);
    let dir = common::run_dir(&tmp.path().join("runs"));
    let mut responses: Vec<(String, String)> = common::predictions(&dir)
        .iter()
        .map(|r| {
            (
                r["gold"].to_string(),
                r["response"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    responses.sort();
    let responses: Vec<&str> = responses.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(responses.len(), 3, "{responses:?}");
    let mut sorted = responses.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["45", "Hello ORT 2026", "Revenue 42.5%"]);
    let s = common::summary(&dir);
    assert_eq!(s["counts"]["answered"], 3, "{s:#}");
    assert_eq!(
        s["scores"]["overall"]["metrics"]["relaxed_accuracy"], 66.6667,
        "{s:#}"
    );

    // The same card with a library that is not ONNX Runtime: a clear error, no panic.
    let broken = tmp.path().join("libonnxruntime.so");
    std::fs::write(&broken, b"not a shared library").expect("write");
    let card = tmp.path().join("broken.toml");
    std::fs::write(
        &card,
        format!(
            "{card_text}ort_library = {:?}\n",
            broken.display().to_string()
        ),
    )
    .expect("card");
    let out = run_card(tmp.path(), &card, &data, &cache);
    let err = common::stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("could not load ONNX Runtime")
            && err.contains("scripts/setup.sh")
            && !err.contains("panicked"),
        "{err}"
    );
    // And with no library at all.
    let card = tmp.path().join("missing.toml");
    std::fs::write(
        &card,
        format!("{card_text}ort_library = \"/nonexistent/libonnxruntime.so\"\n"),
    )
    .expect("card");
    let out = run_card(tmp.path(), &card, &data, &cache);
    let err = common::stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("was not found")
            && err.contains("scripts/setup.sh")
            && !err.contains("panicked"),
        "{err}"
    );
}
