//! Pix2Struct through ONNX Runtime against the reference implementation: the committed
//! fixture (tests/fixtures/pix2struct, made by scripts/pix2struct-fixture/make.sh) holds a
//! tiny random-weight model in the Optimum layout, images, the reference patch tensors and
//! the reference greedy tokens.

mod common;

use std::path::{Path, PathBuf};

use evalkit::adapter::onnx::image2text::header::{HeaderFont, wrap};
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pix2struct")
}

fn reference() -> Value {
    let path = fixture().join("reference.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("reference.json")).expect("json")
}

#[test]
fn header_text_boxes_match_pillow() {
    let font = HeaderFont::bundled().expect("font");
    let mut wrong = Vec::new();
    let r = reference();
    let boxes = r["text_boxes"].as_array().expect("text_boxes");
    for b in boxes {
        let text = b["text"].as_str().unwrap_or_default();
        let lines = wrap(text, 80);
        let want_wrapped = b["wrapped"].as_str().unwrap_or_default();
        assert_eq!(lines.join("\n"), want_wrapped, "wrapping of {text:?}");
        let got = font.text_box(&lines);
        let want = (
            b["box"][2].as_u64().unwrap_or(0) as u32,
            b["box"][3].as_u64().unwrap_or(0) as u32,
        );
        if got != want {
            wrong.push(format!("{text:?}: got {got:?}, Pillow {want:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} boxes differ:\n{}",
        wrong.len(),
        boxes.len(),
        wrong.join("\n")
    );
}
/// The image as the reference reads it: PIL's `convert("RGB")` drops alpha.
fn load_rgb(name: &str) -> image::RgbImage {
    let img = image::open(fixture().join("images").join(name)).expect("fixture image");
    evalkit::adapter::onnx::image2text::to_rgb(&img)
}

fn read_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("patch file");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn patch_tensors_match_the_reference_preprocessing() {
    use evalkit::adapter::onnx::image2text::patches::{PatchSpec, extract};
    let spec = PatchSpec {
        max_patches: 256,
        patch_height: 16,
        patch_width: 16,
    };
    let font = HeaderFont::bundled().expect("font");
    let r = reference();
    let mut checked = 0;
    for case in r["cases"].as_array().expect("cases") {
        let name = case["image"].as_str().expect("image");
        let mut img = load_rgb(name);
        if let Some(header) = case["header"].as_str() {
            img = font.render_header(&img, header);
        }
        let p = extract(&img, &spec);
        // The grid is exact for every case (it depends on the header's exact size).
        assert_eq!(
            (p.rows as u64, p.cols as u64),
            (
                case["rows"].as_u64().unwrap_or(0),
                case["cols"].as_u64().unwrap_or(0)
            ),
            "patch grid of {name} ({})",
            case["mode"]
        );
        let Some(file) = case["patches"].as_str() else {
            continue;
        };
        let want = read_f32(&fixture().join(file));
        assert_eq!(want.len(), p.values.len());
        let diffs: Vec<f32> = want
            .iter()
            .zip(&p.values)
            .map(|(a, b)| (a - b).abs())
            .collect();
        let max = diffs.iter().cloned().fold(0f32, f32::max);
        let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
        let far = diffs.iter().filter(|&&d| d > 0.1).count() as f32 / diffs.len() as f32;
        println!("{file}: max |diff| {max:.2e}, mean {mean:.2e}, share > 0.1: {far:.4}");
        if case["header"].is_null() {
            // Same arithmetic up to float rounding (values are standardised, |v| < ~5).
            assert!(max < 1e-4, "{file}: max |diff| {max}");
        } else {
            // The header's glyphs are rasterised without FreeType's hinting: edge pixels of
            // the text differ, nothing else.
            assert!(
                mean < 0.01 && far < 0.02 && max < 1.5,
                "{file}: mean {mean}, max {max}, share > 0.1 {far}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
}

fn model_dir() -> PathBuf {
    fixture().join("model")
}

fn generator(
    dir: &Path,
) -> anyhow::Result<evalkit::adapter::onnx::image2text::generate::Generator> {
    use evalkit::adapter::onnx::image2text::files::{ModelFiles, Settings};
    use evalkit::adapter::onnx::runtime;
    let env = runtime::environment(&runtime::cached_library())?;
    let files = ModelFiles::in_dir(dir)?;
    let settings = Settings::read(&files)?;
    let options = runtime::SessionOptions { intra_threads: 1 };
    evalkit::adapter::onnx::image2text::generate::Generator::load(env, &files, settings, &options)
}

fn tokens_of(case: &Value) -> Vec<u32> {
    case["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t.as_u64().unwrap_or(0) as u32)
        .collect()
}

#[test]
fn greedy_tokens_from_reference_patches_match_batched_and_unbatched() {
    let r = reference();
    let cases: Vec<&Value> = r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["patches"].is_string())
        .collect();
    // The merged decoder, then the split one (decoder_model + decoder_with_past_model).
    let split =
        model_copy(|d| std::fs::remove_file(d.join("decoder_model_merged.onnx")).expect("rm"));
    for dir in [model_dir(), split.path().to_path_buf()] {
        let g = generator(&dir).expect("load");
        let limit = g.settings().max_new_tokens;
        let mut all = Vec::new();
        let mut used = Vec::new();
        for case in &cases {
            let patches = read_f32(&fixture().join(case["patches"].as_str().unwrap_or_default()));
            let n =
                (case["rows"].as_u64().unwrap_or(0) * case["cols"].as_u64().unwrap_or(0)) as usize;
            let got = g.generate(&patches, &[n], &[limit]).expect("generate");
            assert_eq!(
                got[0],
                tokens_of(case),
                "{} {}",
                case["image"],
                case["mode"]
            );
            all.extend(patches);
            used.push(n);
        }
        let limits = vec![limit; used.len()];
        let got = g.generate(&all, &used, &limits).expect("generate batch");
        for (row, case) in got.iter().zip(&cases) {
            assert_eq!(
                row,
                &tokens_of(case),
                "batched: {} {}",
                case["image"],
                case["mode"]
            );
        }
    }
}

/// A copy of the fixture model with some files changed, removed or added.
fn model_copy(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(model_dir()).expect("model dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    edit(dir.path());
    dir
}

/// The fixture model in plain (non-VQA) mode: no header is drawn.
fn plain_model() -> tempfile::TempDir {
    model_copy(|d| {
        edit(
            d,
            "preprocessor_config.json",
            "\"is_vqa\": true",
            "\"is_vqa\": false",
        )
    })
}

/// Replaces text in one file of a model copy (the text must be there).
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

fn engine(dir: &Path) -> anyhow::Result<evalkit::adapter::onnx::image2text::Engine> {
    use evalkit::adapter::onnx::image2text::{Engine, files::ModelFiles};
    use evalkit::adapter::onnx::runtime;
    Engine::load(
        &ModelFiles::in_dir(dir)?,
        &runtime::cached_library(),
        &runtime::SessionOptions { intra_threads: 1 },
    )
}

/// Without a header (plain mode) evalkit's patches match the reference to 5e-5, and the
/// whole pipeline reproduces the reference tokens and text exactly, one at a time and in a
/// batch. (With a header the glyph pixels differ slightly, see the patch test, and this
/// random-weight model is sensitive enough for that to change its tokens; VQA generation is
/// checked from the reference's own patches instead.)
#[test]
fn whole_pipeline_reproduces_the_reference_tokens_and_text() {
    let r = reference();
    let plain = plain_model();
    for (mode, dir) in [("plain", plain.path().to_path_buf())] {
        let e = engine(&dir).expect("engine");
        let cases: Vec<&Value> = r["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .filter(|c| c["mode"] == mode)
            .collect();
        let prepared: Vec<_> = cases
            .iter()
            .map(|c| {
                let img = image::open(
                    fixture()
                        .join("images")
                        .join(c["image"].as_str().unwrap_or_default()),
                )
                .expect("image");
                e.prepare(
                    &img,
                    c["header"].as_str().unwrap_or("ignored in plain mode"),
                )
            })
            .collect();
        let limit = e.generator.settings().max_new_tokens;
        // One at a time, then all together.
        for (p, c) in prepared.iter().zip(&cases) {
            let got = e
                .generator
                .generate(&p.values, &[p.used()], &[limit])
                .expect("generate");
            assert_eq!(got[0], tokens_of(c), "{mode} {}", c["image"]);
        }
        let batch: Vec<_> = prepared.iter().map(|p| (p, limit)).collect();
        let answers = e.answer(&batch).expect("answer");
        for ((text, n), c) in answers.iter().zip(&cases) {
            assert_eq!(
                text,
                c["text"].as_str().unwrap_or_default().trim(),
                "{mode} {}",
                c["image"]
            );
            assert_eq!(*n, tokens_of(c).len());
        }
    }
}

fn load_error(dir: &Path) -> String {
    match engine(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn every_broken_model_directory_is_a_clear_error() {
    // A missing file.
    let d = model_copy(|d| std::fs::remove_file(d.join("tokenizer.json")).expect("rm"));
    let e = load_error(d.path());
    assert!(
        e.contains("has no tokenizer.json") && e.contains("optimum-cli"),
        "{e}"
    );
    // Wrong input names: a decoder where the encoder should be.
    let d = model_copy(|d| {
        std::fs::copy(d.join("decoder_model.onnx"), d.join("encoder_model.onnx")).expect("cp");
    });
    let e = load_error(d.path());
    assert!(
        e.contains("encoder_model.onnx is not a Pix2Struct encoder export")
            && e.contains("flattened_patches"),
        "{e}"
    );
    // The split decoders swapped: the first-step graph takes no cache.
    let d = model_copy(|d| {
        std::fs::remove_file(d.join("decoder_model_merged.onnx")).expect("rm");
        std::fs::copy(
            d.join("decoder_model.onnx"),
            d.join("decoder_with_past_model.onnx"),
        )
        .expect("cp");
    });
    let e = load_error(d.path());
    assert!(
        e.contains("decoder_with_past_model.onnx") && e.contains("past_key_values"),
        "{e}"
    );
    // A tokenizer that is not the model's: more tokens than the model has logits.
    let d = model_copy(|d| {
        let path = d.join("tokenizer.json");
        let mut t: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let vocab = t["model"]["vocab"].as_array_mut().expect("vocab");
        for i in 0..200 {
            vocab.push(serde_json::json!([format!("extra{i}"), -20.0]));
        }
        std::fs::write(&path, t.to_string()).expect("write");
    });
    let e = load_error(d.path());
    assert!(
        e.contains("does not match the model") && e.contains("vocab_size is 153"),
        "{e}"
    );
    // ... or whose end-of-sequence id is an ordinary token.
    let d = model_copy(|d| {
        edit(
            d,
            "generation_config.json",
            "\"eos_token_id\": 1",
            "\"eos_token_id\": 40",
        )
    });
    let e = load_error(d.path());
    assert!(
        e.contains("end-of-sequence id 40") && e.contains("not a special token"),
        "{e}"
    );
    // A config for another architecture.
    let d = model_copy(|d| {
        edit(
            d,
            "config.json",
            "\"model_type\": \"pix2struct\"",
            "\"model_type\": \"t5\"",
        )
    });
    let e = load_error(d.path());
    assert!(e.contains("config.json") && e.contains("\"t5\""), "{e}");
    // Patches that do not fit the exported encoder.
    let d = model_copy(|d| {
        edit(
            d,
            "preprocessor_config.json",
            "\"max_patches\": 256",
            "\"max_patches\": 512",
        )
    });
    let e = load_error(d.path());
    assert!(
        e.contains("flattened_patches") && e.contains("512 patches"),
        "{e}"
    );
}

fn card(dir: &Path, name: &str, model: &Path, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "kind = \"onnx-image2text\"\nmodel_dir = \"{}\"\nintra_threads = 1\ntimeout_secs = 60\nmax_attempts = 1\n{extra}",
        model.display()
    );
    std::fs::write(&path, text).expect("card");
    path
}

#[test]
fn an_image_that_does_not_decode_is_a_permanent_error() {
    use evalkit::adapter::{CallError, EncodedImage, Message, Model, Part, Request, Role};
    let dir = tempfile::tempdir().expect("tempdir");
    let card = evalkit::card::model::ModelCard::load(&card(dir.path(), "m", &model_dir(), ""))
        .expect("card");
    let model = evalkit::adapter::onnx::image2text::OnnxImage2TextModel::new(&card).expect("model");
    let request = |parts: Vec<Part>| Request {
        messages: vec![Message {
            role: Role::User,
            parts,
        }],
        sampling: Default::default(),
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let garbage = Part::Image {
        image: EncodedImage::from_bytes("image/png", b"not a png at all"),
    };
    let err = rt
        .block_on(model.generate(&request(vec![garbage])))
        .expect_err("garbage");
    assert!(
        matches!(&err, CallError::Permanent { message } if message.contains("does not decode")),
        "{err:?}"
    );
    let err = rt
        .block_on(model.generate(&request(vec![Part::Text { text: "hi".into() }])))
        .expect_err("no image");
    assert!(
        matches!(&err, CallError::Permanent { message } if message.contains("one image")),
        "{err:?}"
    );
}

/// A ChartQA-format suite (official JSON layout) of the fixture images whose labels are the
/// reference's plain-mode answers.
fn chartqa_suite(dir: &Path) {
    let r = reference();
    let png = dir.join("test").join("png");
    std::fs::create_dir_all(&png).expect("mkdir");
    let mut items = Vec::new();
    for c in r["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["mode"] == "plain")
    {
        let name = c["image"].as_str().unwrap_or_default();
        std::fs::copy(fixture().join("images").join(name), png.join(name)).expect("copy");
        items.push(serde_json::json!({"imgname": name, "query": "What does the chart show?", "label": c["text"]}));
    }
    std::fs::write(
        dir.join("test").join("test_human.json"),
        Value::Array(items).to_string(),
    )
    .expect("write");
    std::fs::write(dir.join("test").join("test_augmented.json"), "[]").expect("write");
}

#[test]
fn evalkit_run_answers_a_suite_the_same_batched_and_unbatched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("chartqa");
    chartqa_suite(&data);
    let plain = plain_model();
    let mut answers = Vec::new();
    for (name, extra) in [
        ("one", "batch_size = 1\nmax_concurrency = 1\n"),
        ("four", "batch_size = 4\nmax_concurrency = 1\n"),
    ] {
        let card = card(dir.path(), name, plain.path(), extra);
        let out = dir.path().join(format!("runs-{name}"));
        let output = common::evalkit(
            dir.path(),
            &[
                "run",
                "--model",
                card.to_str().expect("utf-8"),
                "--suite",
                "chartqa",
                "--data",
                data.join("test").to_str().expect("utf-8"),
                "--out",
                out.to_str().expect("utf-8"),
                "--quiet",
            ],
            &[
                (
                    "EVALKIT_CACHE",
                    dir.path()
                        .join(format!("cache-{name}"))
                        .to_str()
                        .expect("utf-8"),
                ),
                (
                    "ORT_DYLIB_PATH",
                    evalkit::adapter::onnx::runtime::cached_library()
                        .to_str()
                        .expect("utf-8"),
                ),
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let run = common::run_dir(&out);
        // Every answer is the reference's text, so the exact-match score is 100.
        assert_eq!(
            common::metric(&common::summary(&run), None, "relaxed_accuracy"),
            100.0,
            "{name}"
        );
        let mut got: Vec<(String, String)> = common::predictions(&run)
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or_default().to_string(),
                    p["answer"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got.len(), 5);
        answers.push(got);
    }
    assert_eq!(answers[0], answers[1]);
}

#[test]
fn the_shipped_chartpali_card_without_an_export_says_how_to_make_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = fixture().join("../chartqa/tsv/ChartQA_TEST.tsv");
    let out = common::evalkit(
        dir.path(),
        &[
            "run",
            "--model",
            "chartpali",
            "--suite",
            "chartqa",
            "--data",
            data.to_str().expect("utf-8"),
            "--quiet",
        ],
        &[("EVALKIT_CACHE", dir.path().to_str().expect("utf-8"))],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("models/chartpali")
            && err.contains("does not exist")
            && err.contains("optimum-cli export onnx"),
        "{err}"
    );
}
