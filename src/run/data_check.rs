//! A run directory holds one evaluation: before any request, a resumed run checks that
//! the data under the item ids it already answered is the data they were answered and
//! scored against. Another copy, format or subset of the same data shares the directory
//! (same ids, same gold answers: nothing is sent again); an edited copy whose gold answers
//! differ under the same ids is refused, with the fix. The check reads the data once more,
//! so it only runs when the data's files are not the ones the last session read (their
//! size, time and BLAKE3 of the first and last MiB, in the manifest).

use crate::journal::{ItemRecord, Journal};
use crate::suite::{Item, ItemStream};

/// An item's data as the selection fingerprint and the check see it: its gold answers and
/// its choices' texts.
pub fn gold_of(item: &Item) -> Vec<String> {
    item.answers
        .iter()
        .cloned()
        .chain(
            item.choices
                .iter()
                .map(|c| format!("{}. {}", c.label, c.text)),
        )
        .collect()
}

/// [`gold_of`] of a journal record: what the item's data was when it was answered.
pub fn gold_of_record(record: &ItemRecord) -> Vec<String> {
    record
        .gold
        .answers
        .iter()
        .cloned()
        .chain(
            record
                .gold
                .choices
                .iter()
                .map(|c| format!("{}. {}", c.label, c.text)),
        )
        .collect()
}

/// An error when an item of `stream` (at most `limit` rows) has an id the journal holds
/// with other gold answers or choices (each earlier record is read back as its item
/// comes up).
pub fn check(stream: ItemStream, limit: Option<u64>, journal: &Journal) -> anyhow::Result<()> {
    if journal.earlier_items() == 0 {
        return Ok(());
    }
    let mut changed = 0u64;
    let mut first = None;
    for (n, row) in stream.enumerate() {
        if limit.is_some_and(|l| n as u64 >= l) {
            break;
        }
        let Ok(item) = row else { continue };
        let Some(record) = journal.previous(&item.id) else {
            continue;
        };
        let (now, then) = (gold_of(&item), gold_of_record(&record));
        if now != then {
            changed += 1;
            first.get_or_insert_with(|| {
                format!(
                    "item {} ({}): gold {then:?} is now {now:?}",
                    item.id, item.source
                )
            });
        }
    }
    if let Some(first) = first {
        anyhow::bail!(
            "the data changed under the same item ids: {changed} item(s) of this run have \
             other gold answers than when they were answered ({first}). {} holds the \
             evaluation of the old data; run on the new data with another --out, or delete \
             that directory to start over",
            journal.dir().display()
        );
    }
    Ok(())
}
