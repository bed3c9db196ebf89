//! Writes the fixtures of the seed papers' other benchmarks (issue 17): MMMU, MMBench and
//! MM-Vet, each in every form evalkit reads.
//!
//! - `tests/fixtures/mmmu/parquet/<Subject>/validation-00000-of-00001.parquet`: the
//!   `MMMU/MMMU` layout (one configuration per subject; `id`, `question`, `options` as a Python
//!   list literal, `explanation`, `image_1`..`image_7` with the unused ones null, `img_type`,
//!   `answer`, `topic_difficulty`, `question_type`, `subfield`): five validation questions in
//!   four subjects, one with two images (`<image 1>` and `<image 2>`), two open ones (a number
//!   and a list of answers). `tests/fixtures/mmmu/tsv/MMMU_DEV_VAL.tsv`: the same five as
//!   VLMEvalKit writes them (options in `A`.., several images as a `[...]` list, `id`,
//!   `category`, `split`) after one `dev` row, which evalkit skips.
//! - `tests/fixtures/mmbench/tsv/MMBench_DEV_EN.tsv`: three questions (4, 3 and 2 options; one
//!   hint) and, as in VLMEvalKit's file, the circular copies of question 0 (index + k x 1e6),
//!   whose image cells refer to row 0's image by its index.
//! - `tests/fixtures/mmvet/official/` (`mm-vet.json`, `images/v1_N.png`) and
//!   `tests/fixtures/mmvet/tsv/MMVet.tsv`: six questions, one or several capabilities each.
//!
//! Run `cargo run --example fixtures_seed_grids` and commit its output. It is deterministic:
//! the pictures are drawn, and the PNG, parquet, JSON and TSV writers add no timestamps.

use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use arrow_array::ArrayRef;
use arrow_array::builder::StringBuilder;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;

#[path = "support/mod.rs"]
mod support;
use support::{create, image_column, write_parquet};

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    mmmu(&root.join("mmmu"))?;
    mmbench(&root.join("mmbench"))?;
    mmvet(&root.join("mmvet"))?;
    println!("wrote {}/{{mmmu,mmbench,mmvet}}", root.display());
    Ok(())
}

/// A 20x12 picture: a background colour from `seed` and a dark bar whose length is `seed`.
fn draw(seed: u8) -> Result<Vec<u8>> {
    let bg = [
        30u8.wrapping_mul(seed).wrapping_add(70),
        210u8.wrapping_sub(25u8.wrapping_mul(seed)),
        90u8.wrapping_add(45u8.wrapping_mul(seed)),
    ];
    let mut img = image::RgbImage::from_pixel(20, 12, image::Rgb(bg));
    for x in 0..u32::from(seed % 18) + 2 {
        for y in 4..8 {
            img.put_pixel(x, y, image::Rgb([bg[0] / 4, bg[1] / 4, bg[2] / 4]));
        }
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

fn reset(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    Ok(())
}

fn strings<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut builder = StringBuilder::new();
    for v in values {
        builder.append_option(v);
    }
    Arc::new(builder.finish())
}

/// Writes rows as pandas' `to_csv(sep='\t', index=False)` does (quoting only when needed).
fn write_tsv(path: &Path, rows: &[Vec<String>]) -> Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    create(path, &writer.into_inner()?)
}

// ---------------------------------------------------------------------------------------------
// MMMU
// ---------------------------------------------------------------------------------------------

struct Mmmu {
    id: &'static str,
    question: &'static str,
    options: &'static [&'static str],
    answer: &'static str,
    /// Picture seeds of image_1, image_2, ...
    images: &'static [u8],
    question_type: &'static str,
    subfield: &'static str,
}

/// In subject-folder order (Accounting, Chemistry, Math, Physics), as the reader reads them.
const MMMU: [Mmmu; 5] = [
    Mmmu {
        id: "validation_Accounting_1",
        question: "<image 1> What is the unit price of the product shown in the table?",
        options: &["$6", "$7", "$8", "$9"],
        answer: "B",
        images: &[1],
        question_type: "multiple-choice",
        subfield: "Managerial Accounting",
    },
    Mmmu {
        id: "validation_Accounting_2",
        question: "Compare the balance in <image 1> with the one in <image 2>. Which is larger?",
        options: &["the first", "the second", "they are equal"],
        answer: "A",
        images: &[2, 3],
        question_type: "multiple-choice",
        subfield: "Financial Accounting",
    },
    Mmmu {
        id: "validation_Chemistry_30",
        question: "What is the formula of the product of the reaction in <image 1>?",
        options: &[],
        answer: "['$MgS$', 'MgS']",
        images: &[4],
        question_type: "open",
        subfield: "Inorganic Chemistry",
    },
    Mmmu {
        id: "validation_Math_5",
        question: "<image 1> Find the length of side x (in metres, to two decimals).",
        options: &[],
        answer: "1.06",
        images: &[5],
        question_type: "open",
        subfield: "Geometry",
    },
    Mmmu {
        id: "validation_Physics_3",
        question: "Which force in <image 1> is the largest?",
        options: &["F1", "F2", "F3", "F4"],
        answer: "D",
        images: &[6],
        question_type: "multiple-choice",
        subfield: "Classical Mechanics",
    },
];

const MMMU_FEATURES: &str = r#"{"info": {"features": {"id": {"dtype": "string", "_type": "Value"}, "question": {"dtype": "string", "_type": "Value"}, "options": {"dtype": "string", "_type": "Value"}, "explanation": {"dtype": "string", "_type": "Value"}, "image_1": {"_type": "Image"}, "image_2": {"_type": "Image"}, "image_3": {"_type": "Image"}, "image_4": {"_type": "Image"}, "image_5": {"_type": "Image"}, "image_6": {"_type": "Image"}, "image_7": {"_type": "Image"}, "img_type": {"dtype": "string", "_type": "Value"}, "answer": {"dtype": "string", "_type": "Value"}, "topic_difficulty": {"dtype": "string", "_type": "Value"}, "question_type": {"dtype": "string", "_type": "Value"}, "subfield": {"dtype": "string", "_type": "Value"}}}}"#;

/// `str(list)` of Python for a list of strings without quotes inside.
fn py_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

fn mmmu(dir: &Path) -> Result<()> {
    reset(dir)?;
    let mut pictures = Vec::new();
    for seed in 0..=6u8 {
        pictures.push(draw(seed)?);
    }
    let subject = |id: &str| {
        let parts: Vec<&str> = id.split('_').collect();
        parts[1..parts.len() - 1].join("_")
    };
    let mut subjects: Vec<String> = MMMU.iter().map(|m| subject(m.id)).collect();
    subjects.dedup();
    for s in &subjects {
        let rows: Vec<&Mmmu> = MMMU.iter().filter(|m| subject(m.id) == *s).collect();
        let mut columns: Vec<(&str, ArrayRef)> = vec![
            ("id", strings(rows.iter().map(|m| Some(m.id)))),
            ("question", strings(rows.iter().map(|m| Some(m.question)))),
        ];
        let options: Vec<String> = rows.iter().map(|m| py_list(m.options)).collect();
        columns.push(("options", strings(options.iter().map(|o| Some(o.as_str())))));
        columns.push(("explanation", strings(rows.iter().map(|_| Some("")))));
        const NAMES: [&str; 7] = [
            "image_1", "image_2", "image_3", "image_4", "image_5", "image_6", "image_7",
        ];
        for (n, name) in NAMES.iter().enumerate() {
            let cells: Vec<(Option<&[u8]>, Option<&str>)> = rows
                .iter()
                .map(|m| match m.images.get(n) {
                    Some(seed) => (Some(&pictures[usize::from(*seed)][..]), None),
                    None => (None, None),
                })
                .collect();
            columns.push((name, image_column(&cells)));
        }
        columns.push(("img_type", strings(rows.iter().map(|_| Some("['Tables']")))));
        columns.push(("answer", strings(rows.iter().map(|m| Some(m.answer)))));
        columns.push((
            "topic_difficulty",
            strings(rows.iter().map(|_| Some("Medium"))),
        ));
        columns.push((
            "question_type",
            strings(rows.iter().map(|m| Some(m.question_type))),
        ));
        columns.push(("subfield", strings(rows.iter().map(|m| Some(m.subfield)))));
        write_parquet(
            &dir.join(format!("parquet/{s}/validation-00000-of-00001.parquet")),
            columns,
            MMMU_FEATURES,
        )?;
    }
    // VLMEvalKit's TSV: a dev row first (skipped), then the five in the same order.
    let mut rows = vec![
        [
            "index", "question", "A", "B", "C", "D", "answer", "category", "split", "id", "image",
        ]
        .map(String::from)
        .to_vec(),
        vec![
            "0".into(),
            "A dev question <image 1>".into(),
            "yes".into(),
            "no".into(),
            String::new(),
            String::new(),
            "A".into(),
            "Accounting".into(),
            "dev".into(),
            "dev_Accounting_1".into(),
            BASE64.encode(&pictures[0]),
        ],
    ];
    for (n, m) in MMMU.iter().enumerate() {
        let mut options: Vec<String> = m.options.iter().map(|o| o.to_string()).collect();
        options.resize(4, String::new());
        let image = match m.images {
            [one] => BASE64.encode(&pictures[usize::from(*one)]),
            many => py_list(
                &many
                    .iter()
                    .map(|s| BASE64.encode(&pictures[usize::from(*s)]))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        };
        let mut row = vec![(n + 1).to_string(), m.question.to_string()];
        row.extend(options);
        row.extend([
            m.answer.to_string(),
            subject(m.id),
            "validation".to_string(),
            m.id.to_string(),
            image,
        ]);
        rows.push(row);
    }
    write_tsv(&dir.join("tsv/MMMU_DEV_VAL.tsv"), &rows)
}

// ---------------------------------------------------------------------------------------------
// MMBench
// ---------------------------------------------------------------------------------------------

struct Mmb {
    index: i64,
    question: &'static str,
    hint: &'static str,
    options: &'static [&'static str],
    answer: &'static str,
    category: &'static str,
    l2: &'static str,
}

const MMB: [Mmb; 3] = [
    Mmb {
        index: 0,
        question: "Which animal is in the picture?",
        hint: "The picture shows a farm.",
        options: &["cow", "horse", "sheep", "pig"],
        answer: "A",
        category: "object_localization",
        l2: "finegrained_perception (instance-level)",
    },
    Mmb {
        index: 1,
        question: "What is the weather like?",
        hint: "",
        options: &["sunny", "rainy", "snowy"],
        answer: "C",
        category: "image_scene",
        l2: "coarse_perception",
    },
    Mmb {
        index: 2,
        question: "Is the light on?",
        hint: "",
        options: &["yes", "no"],
        answer: "B",
        category: "image_scene",
        l2: "coarse_perception",
    },
];

fn mmbench(dir: &Path) -> Result<()> {
    reset(dir)?;
    let header = [
        "index",
        "question",
        "hint",
        "A",
        "B",
        "C",
        "D",
        "answer",
        "category",
        "image",
        "source",
        "l2-category",
        "comment",
        "split",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = vec![header];
    let row = |index: i64, m: &Mmb, options: Vec<String>, answer: String, image: String| {
        let mut options = options;
        options.resize(4, String::new());
        let mut r = vec![index.to_string(), m.question.into(), m.hint.into()];
        r.extend(options);
        r.extend([
            answer,
            m.category.into(),
            image,
            "fixture".into(),
            m.l2.into(),
            String::new(),
            "dev".into(),
        ]);
        r
    };
    for (n, m) in MMB.iter().enumerate() {
        let image = BASE64.encode(draw(10 + n as u8)?);
        let options = m.options.iter().map(|o| o.to_string()).collect();
        rows.push(row(m.index, m, options, m.answer.into(), image));
    }
    // VLMEvalKit's circular copies of question 0 (shifted options, the answer relabelled),
    // their image cells referring to row 0 by index.
    let m = &MMB[0];
    let n = m.options.len();
    for k in 1..n {
        let options: Vec<String> = (0..n).map(|i| m.options[(i + k) % n].to_string()).collect();
        let answer = char::from(b'A' + ((n - k) % n) as u8).to_string();
        rows.push(row(
            m.index + k as i64 * 1_000_000,
            m,
            options,
            answer,
            "0".into(),
        ));
    }
    write_tsv(&dir.join("tsv/MMBench_DEV_EN.tsv"), &rows)
}

// ---------------------------------------------------------------------------------------------
// MM-Vet
// ---------------------------------------------------------------------------------------------

struct Vet {
    question: &'static str,
    answer: &'static str,
    capabilities: &'static [&'static str],
}

const VET: [Vet; 6] = [
    Vet {
        question: "What animal is shown?",
        answer: "cat",
        capabilities: &["rec"],
    },
    Vet {
        question: "What is the total of the two prices?",
        answer: "14",
        capabilities: &["ocr", "math"],
    },
    Vet {
        question: "What is x in the equation?",
        answer: "-1<AND>-5",
        capabilities: &["ocr", "math"],
    },
    Vet {
        question: "Can you explain this meme?",
        answer: "It jokes that the country names are swapped.",
        capabilities: &["rec", "know", "gen"],
    },
    Vet {
        question: "Which object is left of the lamp?",
        answer: "chair<OR>stool",
        capabilities: &["rec", "spat"],
    },
    Vet {
        question: "What is written on the sign?",
        answer: "STOP",
        capabilities: &["ocr"],
    },
];

fn mmvet(dir: &Path) -> Result<()> {
    reset(dir)?;
    let mut official = serde_json::Map::new();
    let mut rows = vec![
        [
            "index",
            "image",
            "question",
            "answer",
            "category",
            "image_path",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (n, v) in VET.iter().enumerate() {
        let png = draw(20 + n as u8)?;
        let name = format!("v1_{n}.png");
        create(&dir.join("official/images").join(&name), &png)?;
        official.insert(
            format!("v1_{n}"),
            json!({
                "imagename": name,
                "capability": v.capabilities,
                "question": v.question,
                "answer": v.answer,
            }),
        );
        rows.push(vec![
            n.to_string(),
            BASE64.encode(&png),
            v.question.into(),
            v.answer.into(),
            v.capabilities.join(","),
            name,
        ]);
    }
    create(
        &dir.join("official/mm-vet.json"),
        format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::Value::Object(official))?
        )
        .as_bytes(),
    )?;
    write_tsv(&dir.join("tsv/MMVet.tsv"), &rows)
}
