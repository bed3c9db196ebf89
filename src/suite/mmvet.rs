//! MM-Vet (218 open-ended questions over six capabilities: rec, ocr, know, gen, spat, math; a
//! question may need several): maps its two on-disk forms into [`Item`]s with the same ids.
//!
//! - The official release ([`Format::Official`], `mm-vet.zip` of yuweihao/MM-Vet, read by
//!   `mm-vet_evaluator.py` at `c7ff270`): `mm-vet.json`, an object keyed by id (`v1_0`, ...)
//!   of `{imagename, capability: [..], question, answer}`, and `images/<imagename>`. Give the
//!   folder or the JSON file.
//! - VLMEvalKit's `MMVet.tsv` ([`Format::VlmevalkitTsv`]): `index`, `image`, `question`,
//!   `answer`, `category` (the capabilities joined by `,`, as `MMVet_acc` in
//!   `vlmeval/dataset/utils/mmvet.py` reads it), optional `image_path`. The id is the image
//!   file's stem (`v1_0.png` -> `v1_0`) when `image_path` is there, else `v1_<index>`.
//!
//! Fields: `question` (for the grading prompt), `capability` (the capabilities joined by `|`,
//! a multi-valued breakdown: an item counts under each, as the official per-capability table
//! counts it) and `capability_set` (the capabilities joined by `_` in the data's order: the
//! official capability-integration table; the official script joins a Python `set`, whose
//! order varies between runs, VLMEvalKit the TSV's order). The gold answer keeps MM-Vet's
//! `<AND>` / `<OR>` marks for the judge. There is no split; items get `test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::item::{ImageData, InvalidRow, Item, LoadResult};
use super::reader::Mapping;
use super::row::{Row, RowStream, Value, read_inside, read_json};
use super::{Format, ResolvedSource, tsv};

/// MM-Vet's capabilities, in the official table's usual order.
pub const CAPABILITIES: &[&str] = &["rec", "ocr", "know", "gen", "spat", "math"];

#[derive(Clone, Debug)]
enum Form {
    Official { dir: PathBuf },
    Vlmevalkit,
}

/// MM-Vet's mapping: which form is being read.
pub struct MmVet {
    form: Form,
}

impl Mapping for MmVet {
    const NAME: &'static str = "MM-Vet";
    const FORMATS: &'static [Format] = &[Format::Official, Format::VlmevalkitTsv];
    const SOURCES: &'static str = "its official release (mm-vet.json with images/) or \
                                   VLMEvalKit's MMVet.tsv";

    fn open(source: &ResolvedSource) -> anyhow::Result<(Self, RowStream)> {
        if source.format == Format::VlmevalkitTsv {
            let rows = tsv::open(&source.path, &["image", "question", "answer", "category"])?;
            return Ok((
                Self {
                    form: Form::Vlmevalkit,
                },
                rows,
            ));
        }
        official(&source.path)
    }

    fn item(&mut self, row: Row) -> LoadResult {
        let (id, capabilities, images) = match &self.form {
            Form::Official { dir } => official_parts(&row, dir)?,
            Form::Vlmevalkit => tsv_parts(&row)?,
        };
        let question = row.text("question")?.trim().to_string();
        let answer = row.text("answer")?.trim().to_string();
        if let Some(bad) = capabilities
            .iter()
            .find(|c| !CAPABILITIES.contains(&c.as_str()))
        {
            return Err(row.invalid(format!(
                "capability {bad:?} is not one of MM-Vet's [{}]",
                CAPABILITIES.join(", ")
            )));
        }
        if capabilities.is_empty() {
            return Err(row.invalid("the item names no capability"));
        }
        let fields = BTreeMap::from([
            ("question".to_string(), question.clone()),
            ("capability".to_string(), capabilities.join("|")),
            ("capability_set".to_string(), capabilities.join("_")),
        ]);
        Ok(Item {
            id,
            order: 0,
            source: row.source.clone(),
            question,
            hint: None,
            choices: Vec::new(),
            answers: vec![answer],
            images,
            split: Some("test".to_string()),
            fields,
        })
    }
}

/// The field the official rows add: the entry's key in `mm-vet.json` (the id).
const KEY: &str = "key";

fn official(path: &Path) -> anyhow::Result<(MmVet, RowStream)> {
    let how = "MM-Vet's release is mm-vet.zip (https://github.com/yuweihao/MM-Vet/releases): \
               mm-vet.json and images/";
    let file: PathBuf = if path.is_dir() {
        path.join("mm-vet.json")
    } else {
        path.to_path_buf()
    };
    let json = read_json(
        &file,
        "an object of {id: {imagename, capability, question, answer}}",
        Some(how),
    )?;
    let serde_json::Value::Object(entries) = json else {
        anyhow::bail!(
            "{}: expected a JSON object keyed by question id (v1_0, ...); {how}",
            file.display()
        );
    };
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut entries: Vec<(String, serde_json::Value)> = entries.into_iter().collect();
    // The release's order: v1_0, v1_1, ..., v1_10 (by number, not as text).
    entries.sort_by_key(|(k, _)| {
        let n: u64 = k
            .rsplit('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(u64::MAX);
        (n, k.clone())
    });
    let rows = entries
        .into_iter()
        .enumerate()
        .map(move |(n, (key, entry))| {
            let mut row = Row::new(format!("{}:{}", file.display(), n + 1));
            match Value::from_json(entry) {
                Value::Struct(fields) => row.fields = fields,
                _ => return Err(row.invalid(format!("entry {key:?} is not a JSON object"))),
            }
            row.fields.insert(KEY.into(), Value::Str(key));
            Ok(row)
        });
    Ok((
        MmVet {
            form: Form::Official {
                dir: dir.join("images"),
            },
        },
        Box::new(rows),
    ))
}

type Parts = (String, Vec<String>, Vec<ImageData>);

fn official_parts(row: &Row, dir: &Path) -> Result<Parts, InvalidRow> {
    let id = row.text(KEY)?;
    let capabilities = row
        .text_list("capability")?
        .into_iter()
        .map(|c| c.trim().to_string())
        .collect();
    let name = row.text("imagename")?;
    let bytes = read_inside(dir, name.trim())
        .map_err(|e| row.invalid(format!("field `imagename`: {e}")))?;
    let image = ImageData::from_bytes(bytes)
        .map_err(|e| row.invalid(format!("field `imagename` ({name}): {e}")))?;
    Ok((id, capabilities, vec![image]))
}

fn tsv_parts(row: &Row) -> Result<Parts, InvalidRow> {
    let id = match row.opt_text("image_path")? {
        Some(p) if !p.trim().is_empty() => Path::new(p.trim())
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
            .ok_or_else(|| row.unexpected("image_path", "an image file name such as v1_0.png"))?,
        _ => format!("v1_{}", row.int("index")?),
    };
    let capabilities = row
        .text("category")?
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    Ok((id, capabilities, row.images("image")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(format: Format, rel: &str) -> Vec<Item> {
        crate::suite::testing::ok_items(
            crate::suite::reader::open::<MmVet>,
            format,
            crate::suite::testing::fixtures("mmvet").join(rel),
        )
    }

    #[test]
    fn both_forms_give_the_same_items() {
        let official = items(Format::Official, "official");
        let tsv = items(Format::VlmevalkitTsv, "tsv/MMVet.tsv");
        assert_eq!(official.len(), 6);
        let strip = |items: &[Item]| -> Vec<Item> {
            items
                .iter()
                .map(|i| Item {
                    source: String::new(),
                    ..i.clone()
                })
                .collect()
        };
        assert_eq!(strip(&official), strip(&tsv));
        assert_eq!(official[0].id, "v1_0");
        assert_eq!(official[1].fields["capability"], "ocr|math");
        assert_eq!(official[1].fields["capability_set"], "ocr_math");
    }
}
