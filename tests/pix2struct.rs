//! Pix2Struct through ONNX Runtime against the reference implementation: the committed
//! fixture (tests/fixtures/pix2struct, made by scripts/pix2struct-fixture/make.sh) holds a
//! tiny random-weight model in the Optimum layout, images, the reference patch tensors and
//! the reference greedy tokens.

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
        println!("{file}: max |diff| {max:.2e}, mean {mean:.2e}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

fn model_dir() -> PathBuf {
    fixture().join("model")
}

fn generator(dir: &Path) -> anyhow::Result<evalkit::adapter::onnx::image2text::generate::Generator> {
    use evalkit::adapter::onnx::image2text::files::{ModelFiles, Settings};
    use evalkit::adapter::onnx::runtime;
    let env = runtime::environment(&runtime::cached_library())?;
    let files = ModelFiles::in_dir(dir)?;
    let settings = Settings::read(&files)?;
    let options = runtime::SessionOptions { intra_threads: 1 };
    evalkit::adapter::onnx::image2text::generate::Generator::load(env, &files, settings, &options)
}

fn tokens_of(case: &Value) -> Vec<u32> {
    case["tokens"].as_array().expect("tokens").iter().map(|t| t.as_u64().unwrap_or(0) as u32).collect()
}

#[test]
fn greedy_tokens_from_reference_patches_match_batched_and_unbatched() {
    let r = reference();
    let cases: Vec<&Value> = r["cases"].as_array().expect("cases").iter().filter(|c| c["patches"].is_string()).collect();
    for dir in [model_dir()] {
        let g = generator(&dir).expect("load");
        let limit = g.settings().max_new_tokens;
        let mut all = Vec::new();
        let mut used = Vec::new();
        for case in &cases {
            let patches = read_f32(&fixture().join(case["patches"].as_str().unwrap_or_default()));
            let n = (case["rows"].as_u64().unwrap_or(0) * case["cols"].as_u64().unwrap_or(0)) as usize;
            let got = g.generate(&patches, &[n], &[limit]).expect("generate");
            assert_eq!(got[0], tokens_of(case), "{} {}", case["image"], case["mode"]);
            all.extend(patches);
            used.push(n);
        }
        let limits = vec![limit; used.len()];
        let got = g.generate(&all, &used, &limits).expect("generate batch");
        for (row, case) in got.iter().zip(&cases) {
            assert_eq!(row, &tokens_of(case), "batched: {} {}", case["image"], case["mode"]);
        }
    }
}
