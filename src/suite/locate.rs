//! Finding a suite's data on disk: the card's sources under `$EVALKIT_DATA` or `$LMUData`
//! (see [`crate::paths`]), or a path given with `--data` (whose format is detected), and
//! fingerprints of the files used, for the manifest.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Format, ResolvedSource, Unit};
use crate::card::suite::{DataRoot, SuiteCard};
use crate::paths::{data_dir, lmu_dir};
use crate::suite::reader::CHART_FIELD;

/// The first of the card's sources that exists, or an error saying where evalkit looked
/// and how to get the data.
pub fn resolve(card: &SuiteCard, data_override: Option<&Path>) -> anyhow::Result<ResolvedSource> {
    if let Some(path) = data_override {
        return detect(path).map(|source| ResolvedSource {
            unit: card.unit,
            chart_field: card.cluster.as_deref() == Some(CHART_FIELD),
            columns: card.columns.clone(),
            ..source
        });
    }
    let mut looked = Vec::new();
    for spec in &card.sources {
        let root = match spec.root {
            DataRoot::Data => data_dir(),
            DataRoot::Lmudata => lmu_dir(),
        };
        let path = if spec.path.is_absolute() {
            spec.path.clone()
        } else {
            root.join(&spec.path)
        };
        if path.exists() {
            return Ok(ResolvedSource {
                format: spec.format,
                path,
                unit: card.unit,
                chart_field: card.cluster.as_deref() == Some(CHART_FIELD),
                columns: card.columns.clone(),
            });
        }
        looked.push(format!(
            "  {} ({})",
            path.display(),
            format_name(spec.format)
        ));
    }
    let mut msg = format!(
        "no data found for suite `{}`; evalkit looked in:\n{}",
        card.name,
        looked.join("\n")
    );
    if !card.how_to_get.is_empty() {
        msg.push_str(&format!("\nHow to get it: {}", card.how_to_get.trim()));
    }
    msg.push_str(
        "\nOr point at a copy with --data PATH (set EVALKIT_DATA or LMUData to change the roots).",
    );
    anyhow::bail!(msg)
}

/// Detects the format of a path given on the command line (read one item per question).
pub fn detect(path: &Path) -> anyhow::Result<ResolvedSource> {
    let found = |format| {
        Ok(ResolvedSource {
            format,
            path: path.to_path_buf(),
            unit: Unit::Question,
            chart_field: false,
            columns: None,
        })
    };
    if !path.exists() {
        anyhow::bail!("--data {}: no such file or directory", path.display());
    }
    if path.is_file() {
        return match path.extension().and_then(|e| e.to_str()) {
            Some("tsv") => found(Format::VlmevalkitTsv),
            Some("parquet") => found(Format::HfParquet),
            Some("json") => found(Format::Official),
            Some("jsonl") => found(Format::Jsonl),
            _ => anyhow::bail!(
                "--data {}: cannot tell the format from the extension; expected a .tsv (VLMEvalKit), .parquet (Hugging Face), .json (official release) or .jsonl (custom) file, or a directory",
                path.display()
            ),
        };
    }
    if path.join("test_human.json").is_file() || path.join("test_augmented.json").is_file() {
        return found(Format::ChartqaJson);
    }
    if path.join("test").join("test_human.json").is_file() {
        return Ok(ResolvedSource {
            format: Format::ChartqaJson,
            path: path.join("test"),
            unit: Unit::Question,
            chart_field: false,
            columns: None,
        });
    }
    let has_parquet = |dir: &Path| {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            })
            .unwrap_or(false)
    };
    // Parquet (or a `save_to_disk` directory) here, or one level down: a dataset with one
    // folder per configuration (MMMU's subjects).
    let in_subfolders = || {
        std::fs::read_dir(path).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|e| {
                let p = e.path();
                p.is_dir() && (has_parquet(&p) || super::arrow_disk::is_save_to_disk(&p))
            })
        })
    };
    if has_parquet(path) || in_subfolders() || super::arrow_disk::is_save_to_disk(path) {
        return found(Format::HfParquet);
    }
    // Any other directory is a benchmark's own release layout; its mapping checks the files.
    found(Format::Official)
}

/// The card name of a format.
pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::VlmevalkitTsv => "vlmevalkit-tsv",
        Format::HfParquet => "hf-parquet",
        Format::ChartqaJson => "chartqa-json",
        Format::Official => "official",
        Format::Jsonl => "jsonl",
    }
}

/// Identifies a data file without reading all of it: size, modification time and a
/// BLAKE3 hash of its first and last MiB.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFingerprint {
    pub path: PathBuf,
    pub bytes: u64,
    pub modified: Option<String>,
    pub head_tail_blake3: String,
}

/// Fingerprints a source: the file itself, or the regular files directly inside a
/// directory (e.g. ChartQA's two JSON files, or parquet shards).
pub fn fingerprints(source: &ResolvedSource) -> Vec<FileFingerprint> {
    let mut files = Vec::new();
    if source.path.is_file() {
        files.push(source.path.clone());
    } else if super::arrow_disk::is_save_to_disk(&source.path) {
        files = super::arrow_disk::all_files(&source.path);
    } else if let Ok(entries) = std::fs::read_dir(&source.path) {
        files.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
        files.sort();
    }
    files.iter().filter_map(|p| fingerprint(p).ok()).collect()
}

fn fingerprint(path: &Path) -> std::io::Result<FileFingerprint> {
    const MIB: u64 = 1 << 20;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = Vec::with_capacity(MIB as usize);
    (&mut file).take(MIB).read_to_end(&mut buf)?;
    hasher.update(&buf);
    if meta.len() > 2 * MIB {
        file.seek(SeekFrom::End(-(MIB as i64)))?;
        buf.clear();
        file.take(MIB).read_to_end(&mut buf)?;
        hasher.update(&buf);
    }
    let modified = meta
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
    Ok(FileFingerprint {
        path: path.to_path_buf(),
        bytes: meta.len(),
        modified,
        head_tail_blake3: hasher.finalize().to_hex()[..32].to_string(),
    })
}
