//! Re-reads some of a run's items (question, options, images) from the data the run read.
//!
//! Records keep answers, gold and fields but not images or question text (a journal of
//! 100,000 chart items would otherwise carry every chart). The decoupling report's error
//! gallery and `evalkit view` need both, so they come back from the run's own data: the
//! manifest names the suite's benchmark, the data's path and format, and the one suite
//! reader streams it once, keeping only the wanted ids. When the data has moved or
//! changed, the item's `source` (`file:row`) is all a caller can show, and it says so.

use std::collections::{HashMap, HashSet};

use super::Manifest;
use crate::suite::{self, Format, Item, ResolvedSource};

/// The items of `ids` found in the run's data (possibly fewer: missing data, moved files).
pub fn reread(manifest: &Manifest, ids: &HashSet<String>) -> anyhow::Result<HashMap<String, Item>> {
    let mut found = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    for item in stream(manifest)?.flatten() {
        if ids.contains(&item.id) {
            found.insert(item.id.clone(), item);
            if found.len() == ids.len() {
                break;
            }
        }
    }
    Ok(found)
}

/// Every item of the run's data, streamed in the data's order (for callers that want many
/// of them and cannot hold them all).
pub fn stream(manifest: &Manifest) -> anyhow::Result<suite::ItemStream> {
    let format: Format = serde_json::from_value(serde_json::Value::String(
        manifest.data.format.clone(),
    ))
    .map_err(|_| {
        anyhow::anyhow!(
            "unknown data format `{}` in the manifest",
            manifest.data.format
        )
    })?;
    let source = ResolvedSource {
        format,
        path: manifest.data.path.clone(),
        unit: manifest.suite.unit,
        chart_field: manifest.suite.cluster.as_deref() == Some(crate::suite::reader::CHART_FIELD),
        columns: manifest.suite.columns.clone(),
    };
    suite::open(manifest.suite.benchmark, &source)
}

/// An image as a `data:` URL, for pages that embed their images.
pub fn data_url(image: &suite::ImageData) -> String {
    use base64::Engine;
    match &image.base64 {
        Some(b64) => format!("data:{};base64,{b64}", image.mime),
        None => format!(
            "data:{};base64,{}",
            image.mime,
            base64::engine::general_purpose::STANDARD.encode(&image.bytes)
        ),
    }
}
