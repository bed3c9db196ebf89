//! `evalkit run --shard I/N` inside the run: the stream keeps the shard's items (of the
//! rows `--limit` and `--sample` select, so the shards of a run split exactly the items
//! the unsharded run would evaluate), the run id names the shard, and the manifest says
//! which shard of which run the directory holds (for `evalkit merge`).

use super::RunOptions;
use crate::journal::shards::ShardOf;
use crate::suite::ItemStream;

/// The items the run evaluates: with a shard, its slice of the first `--limit` rows.
pub fn select(stream: ItemStream, opts: &RunOptions) -> ItemStream {
    let Some(shard) = opts.shard else {
        return stream;
    };
    // The limit counts rows before slicing, as an unsharded run counts them; the
    // pipeline's own limit then never cuts the (shorter) slice.
    let rows = match opts.limit {
        Some(limit) => Box::new(stream.take(usize::try_from(limit).unwrap_or(usize::MAX))),
        None => stream,
    };
    crate::suite::shard::filter(rows, shard)
}

/// The run id: the whole run's, with the shard's suffix (`…-shard1of4`) for a shard.
pub fn run_id(whole: &str, opts: &RunOptions) -> String {
    match opts.shard {
        Some(shard) => format!("{whole}{}", shard.run_id_suffix()),
        None => whole.to_string(),
    }
}

/// The manifest's `shard`, for a shard's run.
pub fn manifest_entry(whole_run_id: &str, opts: &RunOptions) -> Option<ShardOf> {
    let shard = opts.shard?;
    Some(ShardOf {
        index: shard.index,
        count: shard.count,
        run_id: whole_run_id.to_string(),
        selection: selection(opts),
    })
}

/// The rows a run selects, as given (`limit=100 sample=- `...): shards of one run must
/// have split the same rows.
pub fn selection(opts: &RunOptions) -> String {
    let or_dash = |n: Option<String>| n.unwrap_or_else(|| "-".into());
    let mut text = format!(
        "limit={} sample={}",
        or_dash(opts.limit.map(|n| n.to_string())),
        or_dash(opts.sample.map(|n| n.to_string()))
    );
    if opts.sample.is_some() {
        text.push_str(&format!(" seed={}", opts.seed));
    }
    text
}
