//! Pix2Struct in process: items per second of evalkit's pipeline (PNG decoding, the VQA
//! header, patches, greedy generation with the KV cache, detokenising) on the committed tiny
//! model, to compare with the Python reference on the same items
//! (`scripts/pix2struct-fixture/bench_reference.py`: the Hugging Face processor +
//! onnxruntime through optimum). Run:
//!
//! ```text
//! bash scripts/setup.sh && cargo run --release --example bench_pix2struct [ITEMS]
//! ~/.cache/evalkit/fixture-venv/bin/python scripts/pix2struct-fixture/bench_reference.py [ITEMS]
//! ```
//! Items: the fixture's five images in turn, item i asking "What is the value of series i?".
//! Figures: batch size 1 and 8 on one engine with 2 intra-op threads, then the adapter as
//! `evalkit run` drives it (adapters/pix2struct-tiny.toml: 2 batches of 8 at once, 1 thread
//! each, preprocessing on the blocking pool), each after one warm-up pass.

use std::path::Path;
use std::time::Instant;

use evalkit::adapter::onnx::image2text::files::ModelFiles;
use evalkit::adapter::onnx::image2text::{Engine, OnnxImage2TextModel};
use evalkit::adapter::onnx::runtime::{self, SessionOptions};
use evalkit::adapter::{EncodedImage, Message, Model, Part, Request, Role};

const IMAGES: [&str; 5] = ["alpha.png", "bars.png", "tall.png", "tiny.png", "wide.png"];

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(64);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("tests/fixtures/pix2struct");
    let pngs: Vec<Vec<u8>> = IMAGES
        .iter()
        .map(|f| std::fs::read(fixture.join("images").join(f)))
        .collect::<Result<_, _>>()?;
    let items: Vec<(usize, String)> = (0..n)
        .map(|i| {
            (
                i % IMAGES.len(),
                format!("What is the value of series {i}?"),
            )
        })
        .collect();
    let files = ModelFiles::in_dir(&fixture.join("model"))?;
    let engine = Engine::load(
        &files,
        &runtime::cached_library(),
        &SessionOptions { intra_threads: 2 },
    )?;
    let limit = engine.generator.settings().max_new_tokens;
    let started = Instant::now();
    for (img, q) in &items {
        engine.prepare(&image::load_from_memory(&pngs[*img])?, q);
    }
    let prep = started.elapsed().as_secs_f64();
    println!(
        "of which preprocessing (decode, header, patches): {:.1} ms per item",
        prep * 1e3 / n as f64
    );
    let mut first = Vec::new();
    for batch in [1usize, 8] {
        let pass = |out: &mut Vec<String>| -> anyhow::Result<()> {
            for chunk in items.chunks(batch) {
                let prepared = chunk
                    .iter()
                    .map(|(img, q)| Ok(engine.prepare(&image::load_from_memory(&pngs[*img])?, q)))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let inputs: Vec<_> = prepared.iter().map(|p| (p, limit)).collect();
                out.extend(engine.answer(&inputs)?.into_iter().map(|(t, _)| t));
            }
            Ok(())
        };
        pass(&mut Vec::new())?;
        let mut texts = Vec::new();
        let started = Instant::now();
        pass(&mut texts)?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "engine, batch {batch}: {n} items in {secs:.3} s = {:.1} items/s",
            n as f64 / secs
        );
        if first.is_empty() {
            first = texts;
        } else {
            assert_eq!(first, texts, "batching changed an answer");
        }
    }

    let card = evalkit::card::model::ModelCard::load(&root.join("adapters/pix2struct-tiny.toml"))?;
    let model = OnnxImage2TextModel::new(&card)?;
    let onnx = card.onnx().cloned().unwrap_or_default();
    let requests: Vec<Request> = items
        .iter()
        .map(|(img, q)| Request {
            messages: vec![Message {
                role: Role::User,
                parts: vec![
                    Part::Image {
                        image: EncodedImage::from_bytes("image/png", &pngs[*img]),
                    },
                    Part::Text { text: q.clone() },
                ],
            }],
            sampling: Default::default(),
        })
        .collect();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        model.probe().await?;
        for round in 0..2 {
            let started = Instant::now();
            let answers = futures::future::join_all(requests.iter().map(|r| model.generate(r))).await;
            let secs = started.elapsed().as_secs_f64();
            let texts = answers
                .into_iter()
                .map(|a| a.map(|r| r.text).map_err(|e| anyhow::anyhow!("{e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            assert_eq!(first, texts, "the adapter changed an answer");
            if round == 1 {
                println!(
                    "adapter ({} batches of {} at once, {} thread each): {n} items in {secs:.3} s = {:.1} items/s",
                    card.max_concurrency,
                    onnx.batch_size.unwrap_or(1),
                    onnx.intra_threads.unwrap_or(1),
                    n as f64 / secs
                );
            }
        }
        Ok::<_, anyhow::Error>(())
    })
}
