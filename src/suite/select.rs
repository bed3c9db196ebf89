//! `--sample N --seed S`: a stable subset of a suite. An item is chosen when its key,
//! BLAKE3 over the seed and the item id, is among the N smallest. The choice depends on
//! nothing but the seed and the ids, so the same seed picks the same items from any
//! format, in any order, in any evalkit version; items keep their dataset order.
//!
//! Choosing needs one pass over the ids before the run (the data is read twice).

use std::collections::{BinaryHeap, HashSet};

use super::ItemStream;

/// The sampling key of an item.
pub fn key(seed: u64, id: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(id.as_bytes());
    *h.finalize().as_bytes()
}

/// The ids of the `n` items with the smallest keys (all items when there are fewer).
pub fn sample_ids(stream: ItemStream, n: usize, seed: u64) -> HashSet<String> {
    // A max-heap of the n smallest keys seen so far.
    let mut heap: BinaryHeap<([u8; 32], String)> = BinaryHeap::with_capacity(n + 1);
    for item in stream.flatten() {
        let k = key(seed, &item.id);
        if heap.len() < n {
            heap.push((k, item.id));
        } else if heap.peek().is_some_and(|(top, _)| k < *top) {
            heap.pop();
            heap.push((k, item.id));
        }
    }
    heap.into_iter().map(|(_, id)| id).collect()
}

/// Keeps the sampled items (and every invalid row, which is still reported).
pub fn filter(stream: ItemStream, ids: HashSet<String>) -> ItemStream {
    Box::new(stream.filter(move |row| match row {
        Ok(item) => ids.contains(&item.id),
        Err(_) => true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::{InvalidRow, Item};

    fn items(ids: &[&str]) -> ItemStream {
        let rows: Vec<Result<Item, InvalidRow>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                Ok(Item {
                    id: id.to_string(),
                    order: i as u64,
                    source: format!("f:{i}"),
                    ..Default::default()
                })
            })
            .collect();
        Box::new(rows.into_iter())
    }

    #[test]
    fn the_sample_depends_only_on_seed_and_ids() {
        let ids: Vec<String> = (0..200).map(|i| format!("item-{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut reversed = refs.clone();
        reversed.reverse();
        let a = sample_ids(items(&refs), 20, 7);
        assert_eq!(a.len(), 20);
        assert_eq!(
            a,
            sample_ids(items(&reversed), 20, 7),
            "order does not matter"
        );
        assert_ne!(
            a,
            sample_ids(items(&refs), 20, 8),
            "a new seed gives a new sample"
        );
        // Exactly the 20 smallest keys.
        let mut keyed: Vec<([u8; 32], &str)> = refs.iter().map(|id| (key(7, id), *id)).collect();
        keyed.sort();
        let expected: HashSet<String> = keyed[..20].iter().map(|(_, id)| id.to_string()).collect();
        assert_eq!(a, expected);
        assert_eq!(sample_ids(items(&refs[..5]), 20, 7).len(), 5);
        let kept: Vec<String> = filter(items(&refs), a.clone())
            .flatten()
            .map(|i| i.id)
            .collect();
        assert_eq!(kept.len(), 20);
        let mut in_order = kept.clone();
        in_order.sort_by_key(|id| refs.iter().position(|r| r == id));
        assert_eq!(kept, in_order, "dataset order is kept");
    }
}
