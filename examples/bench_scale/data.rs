//! PlotQA-style data for the scale benchmarks, in the official release's layout
//! (`qa_pairs_V1.json` + `png/<image_index>.png`, what `--suite plotqa` reads), generated
//! into a temporary directory: a few distinct small images, ten questions per chart as
//! in the real release, every question distinct (so no two requests are the same).

use std::io::Write;
use std::path::Path;

/// Distinct chart images (noise PNGs, `SIDE` x `SIDE`).
pub const IMAGES: usize = 16;
pub const SIDE: u32 = 32;
/// Consecutive questions on one chart.
pub const PER_CHART: usize = 10;

/// The image index of question `n`.
pub fn image_of(n: usize) -> usize {
    n / PER_CHART % IMAGES
}

/// The question text of question `n` (the same text the bare client sends).
pub fn question(n: usize) -> String {
    format!("What is the value of series {n} in the year 2010 according to the plot?")
}

/// The PNG bytes of each image.
pub fn images() -> Vec<Vec<u8>> {
    (0..IMAGES)
        .map(|i| super::super::noise_png(SIDE, 1000 + i as u64))
        .collect()
}

/// Writes `n` question-answer pairs and the images into `dir`; returns the JSON's size.
pub fn write(dir: &Path, n: usize) -> anyhow::Result<u64> {
    std::fs::create_dir_all(dir.join("png"))?;
    for (i, png) in images().iter().enumerate() {
        std::fs::write(dir.join(format!("png/{i}.png")), png)?;
    }
    let path = dir.join("qa_pairs_V1.json");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    out.write_all(b"{\"qa_pairs\": [")?;
    for q in 0..n {
        if q > 0 {
            out.write_all(b",\n")?;
        }
        write!(
            out,
            "{{\"image_index\": {}, \"qid\": \"nan\", \"question_string\": \"{}\", \
             \"template\": \"data_retrieval\", \"answer\": 45, \"answer_id\": {q}, \
             \"type\": \"vbar_categorical\", \"question_id\": {q}}}",
            image_of(q),
            question(q)
        )?;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    Ok(std::fs::metadata(&path)?.len())
}
