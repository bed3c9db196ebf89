//! `--shard I/N`: one of N deterministic slices of a suite, so one evaluation can run as
//! a Slurm job array, a Kubernetes Indexed Job or a CI matrix and be joined again by
//! `evalkit merge`.
//!
//! An item belongs to shard `floor(h * N / 2^64)`, where `h` is the first 8 bytes
//! (little-endian) of BLAKE3 over a fixed label and the item's id. The slice depends on
//! nothing but the id and N: the same items land in the same shard from any format, in
//! any row order, on any machine and in any evalkit version, and no pass over the data is
//! needed to choose. Shards are balanced in expectation (each holds a binomial share of
//! the items: for 10,000 items and 4 shards, 2,500 ± 43). A row that cannot be read has
//! no id; it goes to a shard by its `file:row` source, so each invalid row is reported by
//! exactly one shard.
//!
//! `--shard auto` reads the shard from the job's environment: a Slurm array task
//! (`SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`, counted from
//! `SLURM_ARRAY_TASK_MIN` by `SLURM_ARRAY_TASK_STEP`), or a Kubernetes Indexed Job's
//! `JOB_COMPLETION_INDEX`, whose count Kubernetes does not pass to the pod: `--shard
//! auto/N` gives it (N = the Job's `completions`). In Slurm, `auto/N` takes the task id
//! itself as the shard, so failed shards can be submitted again on their own
//! (`sbatch --array=1,3`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ItemStream;

/// Shard `index` of `count` (0-based, as Slurm array task ids and Kubernetes completion
/// indexes are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What `--shard` says: a shard, or read it from the job's environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    /// `I/N`.
    Fixed(Shard),
    /// `auto` (count from Slurm) or `auto/N`.
    Auto { count: Option<u32> },
}

const FORMS: &str = "give I/N (shard I of N, I from 0 to N-1, e.g. --shard 0/4), `auto` \
                     (inside a Slurm job array) or `auto/N` (a Kubernetes Indexed Job of N \
                     completions)";

/// The shard of an item id (or of an invalid row's source) among `count`.
pub fn slot(key: &str, count: u32) -> u32 {
    let mut h = blake3::Hasher::new();
    h.update(b"evalkit shard v1\0");
    h.update(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h.finalize().as_bytes()[..8]);
    ((u128::from(u64::from_le_bytes(first)) * u128::from(count)) >> 64) as u32
}

impl Shard {
    /// A shard, checked: at least one shard, the index below the count.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err(format!(
                "shard {index}/{count}: the count must be at least 1; {FORMS}"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard {index}/{count}: the index must be below the count (shards of {count} \
                 are numbered 0 to {}, counted from 0 as Slurm array task ids and Kubernetes \
                 completion indexes are); {FORMS}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// True when the item with this id (or the invalid row with this source) is this
    /// shard's.
    pub fn holds(&self, key: &str) -> bool {
        slot(key, self.count) == self.index
    }

    /// The suffix that names this shard's run directory (`-shard1of4`).
    pub fn run_id_suffix(&self) -> String {
        format!("-shard{}of{}", self.index, self.count)
    }
}

fn number(what: &str, text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{what}: `{text}` is not a whole number from 0 to 4294967295"))
}

/// [`number`] for `--shard` itself: the error also says which forms it takes.
fn spec_number(what: &str, text: &str) -> Result<u32, String> {
    number(what, text).map_err(|e| format!("{e}; {FORMS}"))
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec == "auto" {
            return Ok(ShardSpec::Auto { count: None });
        }
        let Some((left, right)) = spec.split_once('/') else {
            return Err(format!("--shard `{spec}`: {FORMS}"));
        };
        let count = spec_number(&format!("--shard `{spec}`: the count"), right)?;
        if left.trim() == "auto" {
            if count == 0 {
                return Err(format!(
                    "--shard `{spec}`: the count must be at least 1; {FORMS}"
                ));
            }
            return Ok(ShardSpec::Auto { count: Some(count) });
        }
        let index = spec_number(&format!("--shard `{spec}`: the index"), left)?;
        Shard::new(index, count)
            .map(ShardSpec::Fixed)
            .map_err(|e| format!("--shard `{spec}`: {e}"))
    }
}

impl ShardSpec {
    /// The shard to run: a fixed one as given, `auto` from `env` (the process environment
    /// in `evalkit run`; a map in tests).
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let given = match *self {
            ShardSpec::Fixed(shard) => return Ok(shard),
            ShardSpec::Auto { count } => count,
        };
        if let Some(id) = env("SLURM_ARRAY_TASK_ID") {
            return slurm(&id, given, &env);
        }
        if let Some(index) = env("JOB_COMPLETION_INDEX") {
            let index = number("JOB_COMPLETION_INDEX", &index)?;
            let Some(count) = given else {
                return Err(format!(
                    "--shard auto: JOB_COMPLETION_INDEX={index} (a Kubernetes Indexed Job) is \
                     set, but Kubernetes does not tell a pod how many completions the Job has: \
                     give them as --shard auto/N (N = the Job's spec.completions)"
                ));
            };
            return Shard::new(index, count).map_err(|e| {
                format!("--shard auto/{count} with JOB_COMPLETION_INDEX={index}: {e}")
            });
        }
        Err(format!(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array, e.g. sbatch \
             --array=0-3) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set in the \
             environment; outside such a job {FORMS}"
        ))
    }
}

/// The shard of a Slurm array task. With `auto`, the task's place in its array: its id
/// counted from the array's first id by its step, of the array's task count
/// (`--array=0-3`, `--array=1-4` and `--array=0-6:2` all give shards 0 to 3 of 4). With
/// `auto/N`, the task id itself of N, so some shards can be submitted again on their own
/// (`sbatch --array=1,3` with `--shard auto/4` runs shards 1 and 3 of 4).
fn slurm(
    id: &str,
    given: Option<u32>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Shard, String> {
    let id = number("SLURM_ARRAY_TASK_ID", id)?;
    if let Some(count) = given {
        return Shard::new(id, count).map_err(|e| {
            format!(
                "--shard auto/{count} with SLURM_ARRAY_TASK_ID={id}: {e} (with auto/N the task \
                 id is the shard: submit --array=0-{})",
                count.saturating_sub(1)
            )
        });
    }
    let Some(count) = env("SLURM_ARRAY_TASK_COUNT") else {
        return Err(format!(
            "--shard auto: SLURM_ARRAY_TASK_ID={id} is set but SLURM_ARRAY_TASK_COUNT is not \
             (a Slurm older than 18.08?): give the number of shards as --shard auto/N (the \
             task id is then the shard)"
        ));
    };
    let count = number("SLURM_ARRAY_TASK_COUNT", &count)?;
    let min = match env("SLURM_ARRAY_TASK_MIN") {
        Some(m) => number("SLURM_ARRAY_TASK_MIN", &m)?,
        None => 0,
    };
    let step = match env("SLURM_ARRAY_TASK_STEP") {
        Some(s) => number("SLURM_ARRAY_TASK_STEP", &s)?.max(1),
        None => 1,
    };
    let offset = id.checked_sub(min).filter(|o| o % step == 0);
    match offset.map(|o| o / step).filter(|i| *i < count) {
        Some(index) => Shard::new(index, count),
        None => Err(format!(
            "--shard auto: SLURM_ARRAY_TASK_ID={id} is not one of {count} evenly spaced tasks \
             from SLURM_ARRAY_TASK_MIN={min} by SLURM_ARRAY_TASK_STEP={step}: submit the \
             shards as one range, sbatch --array=0-{} (a limit such as %2 is fine), or give \
             the number of shards as --shard auto/N (the task id is then the shard)",
            count.saturating_sub(1)
        )),
    }
}

/// Keeps this shard's items and invalid rows.
pub fn filter(stream: ItemStream, shard: Shard) -> ItemStream {
    Box::new(stream.filter(move |row| match row {
        Ok(item) => shard.holds(&item.id),
        Err(bad) => shard.holds(&bad.source),
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::suite::{InvalidRow, Item};

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn assignment_is_by_id_and_hand_checked() {
        // Computed apart from this code, with the BLAKE3 team's reference implementation
        // (reference_impl.py): BLAKE3("evalkit shard v1\0chartqa-0") starts 8d33a54bded60356,
        // little-endian 0x5603d6de4ba5338d, times 4 over 2^64 = 1 (shard 1 of 4).
        let ids = [
            "chartqa-0",
            "chartqa-1",
            "chartqa-2",
            "chartqa-3",
            "chartqa-4",
            "chartqa-5",
            "chartqa-6",
            "chartqa-7",
        ];
        let slots: Vec<u32> = ids.iter().map(|id| slot(id, 4)).collect();
        assert_eq!(slots, HAND_CHECKED);
        // One shard holds everything.
        assert!(ids.iter().all(|id| slot(id, 1) == 0));
        // Deterministic: the same id, the same shard, every time.
        assert_eq!(slot("chartqa-3", 4), slot("chartqa-3", 4));
    }

    /// The shards of `chartqa-0` .. `chartqa-7` among 4 (see the test above).
    const HAND_CHECKED: [u32; 8] = [1, 2, 3, 0, 3, 3, 3, 0];

    #[test]
    fn shards_are_balanced_and_partition_the_items() {
        let n = 10_000u32;
        let mut sizes = [0u32; 4];
        for i in 0..n {
            let id = format!("item-{i}");
            let held: Vec<u32> = (0..4)
                .filter(|&s| Shard { index: s, count: 4 }.holds(&id))
                .collect();
            assert_eq!(held.len(), 1, "{id} is in exactly one shard: {held:?}");
            sizes[held[0] as usize] += 1;
        }
        // Binomial(10,000, 1/4): sd 43; 5 sd either side.
        for (s, size) in sizes.iter().enumerate() {
            assert!((2285..=2715).contains(size), "shard {s} has {size} of {n}");
        }
    }

    #[test]
    fn the_slice_does_not_depend_on_row_order() {
        let rows = |ids: Vec<String>| -> ItemStream {
            let mut rows: Vec<Result<Item, InvalidRow>> = ids
                .into_iter()
                .enumerate()
                .map(|(i, id)| {
                    Ok(Item {
                        id,
                        order: i as u64,
                        source: format!("f:{i}"),
                        ..Default::default()
                    })
                })
                .collect();
            rows.push(Err(InvalidRow {
                source: "f:bad".into(),
                reason: "broken".into(),
            }));
            Box::new(rows.into_iter())
        };
        let ids: Vec<String> = (0..100).map(|i| format!("q{i}")).collect();
        let mut reversed = ids.clone();
        reversed.reverse();
        let shard = Shard { index: 2, count: 3 };
        let pick = |stream: ItemStream| -> (Vec<String>, usize) {
            let (mut kept, mut invalid) = (Vec::new(), 0);
            for row in filter(stream, shard) {
                match row {
                    Ok(item) => kept.push(item.id),
                    Err(_) => invalid += 1,
                }
            }
            kept.sort();
            (kept, invalid)
        };
        let (a, bad_a) = pick(rows(ids));
        let (b, bad_b) = pick(rows(reversed));
        assert_eq!(a, b);
        assert!(!a.is_empty() && a.len() < 100);
        assert_eq!(bad_a, bad_b);
        assert_eq!(bad_a, usize::from(shard.holds("f:bad")));
    }

    #[test]
    fn fixed_shards_parse_and_bad_ones_say_how_to_fix_them() {
        let parse = |s: &str| s.parse::<ShardSpec>();
        assert_eq!(
            parse("1/4"),
            Ok(ShardSpec::Fixed(Shard { index: 1, count: 4 }))
        );
        assert_eq!(parse("auto"), Ok(ShardSpec::Auto { count: None }));
        assert_eq!(parse("auto/8"), Ok(ShardSpec::Auto { count: Some(8) }));
        let e = parse("0/0").unwrap_err();
        assert!(e.contains("at least 1") && e.contains("--shard 0/4"), "{e}");
        let e = parse("5/4").unwrap_err();
        assert!(e.contains("below the count") && e.contains("0 to 3"), "{e}");
        let e = parse("4/4").unwrap_err();
        assert!(e.contains("0 to 3"), "{e}");
        let e = parse("auto/0").unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        for bad in ["1", "x/4", "1/y", "-1/4", "1/4/2", ""] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("I/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn auto_reads_slurm_and_kubernetes() {
        let auto = ShardSpec::Auto { count: None };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ]);
        assert_eq!(auto.resolve(&slurm), Ok(Shard { index: 2, count: 4 }));
        // With a count given, the task id is the shard: one shard submitted again alone
        // (`sbatch --array=3`, a one-task array) is still shard 3 of 4.
        let again = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
        ]);
        assert_eq!(auto.resolve(&again), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(
            ShardSpec::Auto { count: Some(4) }.resolve(&again),
            Ok(Shard { index: 3, count: 4 })
        );
        let e = ShardSpec::Auto { count: Some(3) }
            .resolve(&again)
            .unwrap_err();
        assert!(e.contains("--array=0-2") && e.contains("0 to 2"), "{e}");
        // --array=1-4 and --array=0-6:2 are counted from their first id by their step.
        let one_based = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        assert_eq!(auto.resolve(&one_based), Ok(Shard { index: 3, count: 4 }));
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]);
        assert_eq!(auto.resolve(&stepped), Ok(Shard { index: 2, count: 4 }));
        // A list that is not a range cannot be numbered.
        let list = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]);
        let e = auto.resolve(&list).unwrap_err();
        assert!(e.contains("--array=0-2"), "{e}");
        let no_count = env(&[("SLURM_ARRAY_TASK_ID", "1")]);
        let e = auto.resolve(&no_count).unwrap_err();
        assert!(e.contains("auto/N"), "{e}");
        assert_eq!(
            ShardSpec::Auto { count: Some(2) }.resolve(&no_count),
            Ok(Shard { index: 1, count: 2 })
        );
        let e = auto
            .resolve(env(&[
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ]))
            .unwrap_err();
        assert!(
            e.contains("SLURM_ARRAY_TASK_ID") && e.contains("`x`"),
            "{e}"
        );

        let k8s = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            ShardSpec::Auto { count: Some(4) }.resolve(&k8s),
            Ok(Shard { index: 3, count: 4 })
        );
        let e = auto.resolve(&k8s).unwrap_err();
        assert!(
            e.contains("--shard auto/N") && e.contains("completions"),
            "{e}"
        );
        let e = ShardSpec::Auto { count: Some(3) }
            .resolve(&k8s)
            .unwrap_err();
        assert!(e.contains("below the count"), "{e}");

        let e = auto.resolve(env(&[])).unwrap_err();
        assert!(
            e.contains("SLURM_ARRAY_TASK_ID") && e.contains("JOB_COMPLETION_INDEX"),
            "{e}"
        );
        // A fixed shard ignores the environment.
        let fixed = ShardSpec::Fixed(Shard { index: 0, count: 2 });
        assert_eq!(fixed.resolve(&slurm), Ok(Shard { index: 0, count: 2 }));
    }
}
