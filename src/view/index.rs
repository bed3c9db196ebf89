//! A run's items as the viewer filters and pages them, without their records: one
//! streaming pass over `predictions.jsonl` keeps, per item, where its latest line starts,
//! a hash of its id, its position in the run, its class bits and an interned id of its
//! breakdown values (32 bytes, plus 4 for the id lookup). Pages read their rows back by
//! offset (`rows`), so a 100,000-item run costs a few megabytes whatever its records hold.
//!
//! The journal only grows while a run writes it: when it is longer than when it was
//! indexed (same file), only the new lines are read; when it was replaced or cut, the
//! index is built again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::class::{self, Bits, Class};
use crate::journal::Status;
use crate::journal::index::{KeyMap, id_key};
use crate::score::How;

/// One item of a run, as the index keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where the item's latest journal line starts.
    pub offset: u64,
    /// [`id_key`] of its id.
    pub key: u64,
    /// Its position in the source (the table's order).
    pub order: u64,
    /// Its breakdown values, interned ([`RunIndex::selector`]).
    pub profile: u32,
    pub classes: Bits,
}

/// What the index was built from: the file, how long it was and when it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        }
    }
}

/// A run's items (see the module documentation).
pub struct RunIndex {
    path: PathBuf,
    /// The journal as indexed: offsets are into this file.
    file: File,
    stamp: Stamp,
    /// Length of the part of the journal that was read (up to its last newline).
    complete: u64,
    metric: String,
    /// The breakdown fields kept per item.
    fields: Vec<String>,
    /// Per field: value -> pair id.
    pair_ids: Vec<HashMap<String, u32>>,
    /// Pair id -> (field index, value).
    pairs: Vec<(u16, String)>,
    /// Profile id -> its pair ids (sorted); an item's profile is the set of its values.
    profiles: Vec<Vec<u32>>,
    profile_ids: HashMap<Vec<u32>, u32>,
    /// In the run's order.
    entries: Vec<Entry>,
    /// Positions in `entries`, by key.
    by_key: Vec<u32>,
    counts: [usize; 5],
    /// Lines that are not records (skipped).
    pub skipped: usize,
}

/// A string of a journal line: borrowed from the line unless it has escapes.
#[derive(Debug, PartialEq, Eq)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON object's entries in a list (no hashing: the index looks at one or two).
struct Pairs<'a, V>(Vec<(Text<'a>, V)>);

impl<V> Default for Pairs<'_, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Pairs<'a, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct M<'a, V>(std::marker::PhantomData<(Text<'a>, V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> serde::de::Visitor<'de> for M<'a, V> {
            type Value = Pairs<'a, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<Text<'a>, V>()? {
                    out.push(entry);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(M(std::marker::PhantomData))
    }
}

/// The part of a journal line the index reads; the rest is skipped unallocated.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    order: u64,
    status: Status,
    #[serde(default, borrow)]
    metrics: Option<Pairs<'a, f64>>,
    #[serde(default)]
    how: Option<How>,
    #[serde(default, borrow)]
    split: Option<Text<'a>>,
    #[serde(default, borrow)]
    fields: Pairs<'a, Text<'a>>,
    #[serde(default, borrow)]
    calls: Vec<Call<'a>>,
}

#[derive(Deserialize)]
struct Call<'a> {
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
}

impl Line<'_> {
    /// The item's value of a breakdown field; `split` is the record's split.
    fn value(&self, field: &str) -> Option<&str> {
        let from_fields = || {
            self.fields
                .0
                .iter()
                .find(|(k, _)| k.0 == field)
                .map(|(_, v)| v.0.as_ref())
        };
        if field == "split" {
            self.split
                .as_ref()
                .map(|s| s.0.as_ref())
                .or_else(from_fields)
        } else {
            from_fields()
        }
    }
}

/// Whether an item's value of a field is `wanted`: equal, or one of its `|`-separated
/// values (multi-valued breakdown fields count an item under each of its values).
pub fn value_matches(value: &str, wanted: &str) -> bool {
    value == wanted || (value.contains('|') && value.split('|').any(|v| v.trim() == wanted))
}

/// Which entries a class and an indexed field's value select.
pub struct Selector {
    class: Bits,
    /// Per profile: selected. None: any.
    profiles: Option<Vec<bool>>,
}

impl Selector {
    pub fn matches(&self, e: &Entry) -> bool {
        (self.class == 0 || e.classes & self.class != 0)
            && self
                .profiles
                .as_ref()
                .is_none_or(|p| p.get(e.profile as usize).copied().unwrap_or(false))
    }
}

impl RunIndex {
    /// Indexes a run's journal: `metric` decides right from wrong, `fields` are the
    /// breakdown fields kept per item (`split` always is).
    pub fn build(path: &Path, metric: &str, fields: &[String]) -> anyhow::Result<RunIndex> {
        let (file, stamp) = open(path)?;
        let mut kept: Vec<String> = vec!["split".into()];
        for f in fields {
            if !kept.contains(f) && kept.len() < u16::MAX as usize {
                kept.push(f.clone());
            }
        }
        let mut index = RunIndex {
            path: path.to_path_buf(),
            file,
            stamp,
            complete: 0,
            metric: metric.to_string(),
            pair_ids: vec![HashMap::new(); kept.len()],
            fields: kept,
            pairs: Vec::new(),
            profiles: Vec::new(),
            profile_ids: HashMap::new(),
            entries: Vec::new(),
            by_key: Vec::new(),
            counts: [0; 5],
            skipped: 0,
        };
        index.extend()?;
        Ok(index)
    }

    /// None when the journal has not changed since it was indexed; else the index of the
    /// journal as it is now (the new lines added when it only grew).
    pub fn refresh(&self) -> anyhow::Result<Option<RunIndex>> {
        let (file, stamp) = open(&self.path)?;
        if stamp == self.stamp {
            return Ok(None);
        }
        let fields = self.fields[1..].to_vec();
        if (stamp.dev, stamp.ino) != (self.stamp.dev, self.stamp.ino) || stamp.len < self.complete {
            return Self::build(&self.path, &self.metric, &fields).map(Some);
        }
        let mut index = RunIndex {
            path: self.path.clone(),
            file,
            stamp,
            complete: self.complete,
            metric: self.metric.clone(),
            fields: self.fields.clone(),
            pair_ids: self.pair_ids.clone(),
            pairs: self.pairs.clone(),
            profiles: self.profiles.clone(),
            profile_ids: self.profile_ids.clone(),
            entries: self.entries.clone(),
            by_key: Vec::new(),
            counts: [0; 5],
            skipped: self.skipped,
        };
        index.extend()?;
        Ok(Some(index))
    }

    /// Reads the journal from `complete` to the length in the stamp.
    fn extend(&mut self) -> anyhow::Result<()> {
        let mut slots: KeyMap<u32> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key, i as u32))
            .collect();
        let path = self.path.clone();
        let cannot = || format!("cannot read journal {}", path.display());
        let mut file = self.file.try_clone().with_context(cannot)?;
        file.seek(SeekFrom::Start(self.complete))
            .with_context(cannot)?;
        let mut reader =
            BufReader::with_capacity(1 << 16, file.take(self.stamp.len - self.complete));
        let mut line = Vec::new();
        let mut offset = self.complete;
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).with_context(cannot)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            let body = &line[..n - 1];
            if !body.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Line>(body) {
                    Ok(l) => self.add(&l, offset, &mut slots),
                    Err(_) => self.skipped += 1,
                }
            }
            offset += n as u64;
        }
        self.complete = offset;
        self.entries.sort_by_key(|e| (e.order, e.offset));
        let mut by_key: Vec<u32> = (0..self.entries.len() as u32).collect();
        by_key.sort_by_key(|&i| self.entries[i as usize].key);
        self.by_key = by_key;
        self.counts = [0; 5];
        for e in &self.entries {
            for (i, c) in Class::ALL.into_iter().enumerate() {
                if e.classes & c.bit() != 0 {
                    self.counts[i] += 1;
                }
            }
        }
        Ok(())
    }

    fn add(&mut self, l: &Line, offset: u64, slots: &mut KeyMap<u32>) {
        let right = l.status == Status::Answered
            && l.metrics.as_ref().is_some_and(|m| {
                m.0.iter()
                    .any(|(k, v)| k.0 == self.metric.as_str() && *v >= 1.0)
            });
        let truncated = l
            .calls
            .iter()
            .any(|c| c.finish_reason.as_ref().is_some_and(|f| f.0 == "length"));
        let entry = Entry {
            offset,
            key: id_key(&l.id.0),
            order: l.order,
            profile: self.profile(l),
            classes: class::bits(l.status, right, l.how, truncated),
        };
        match slots.get(&entry.key) {
            Some(&i) => self.entries[i as usize] = entry,
            None => {
                slots.insert(entry.key, self.entries.len() as u32);
                self.entries.push(entry);
            }
        }
    }

    /// The interned set of a line's values of the kept fields.
    fn profile(&mut self, l: &Line) -> u32 {
        let mut ids = Vec::new();
        for (f, name) in self.fields.iter().enumerate() {
            let Some(value) = l.value(name) else {
                continue;
            };
            let id = match self.pair_ids[f].get(value) {
                Some(&id) => id,
                None => {
                    let id = self.pairs.len() as u32;
                    self.pairs.push((f as u16, value.to_string()));
                    self.pair_ids[f].insert(value.to_string(), id);
                    id
                }
            };
            ids.push(id);
        }
        ids.sort_unstable();
        if let Some(&p) = self.profile_ids.get(ids.as_slice()) {
            return p;
        }
        let p = self.profiles.len() as u32;
        self.profiles.push(ids.clone());
        self.profile_ids.insert(ids, p);
        p
    }

    /// The journal file the offsets point into.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The run's items, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many items are in a class.
    pub fn count(&self, c: Class) -> usize {
        self.counts[c as usize]
    }

    /// The position (in [`entries`](Self::entries)) of the item whose id has `key`.
    pub fn position(&self, key: u64) -> Option<usize> {
        self.by_key
            .binary_search_by_key(&key, |&i| self.entries[i as usize].key)
            .ok()
            .map(|i| self.by_key[i] as usize)
    }

    /// The item with this id.
    pub fn find(&self, id: &str) -> Option<&Entry> {
        self.position(id_key(id)).map(|p| &self.entries[p])
    }

    /// Whether a field's values are kept per item (else filtering by it reads records).
    pub fn is_indexed(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f == field)
    }

    /// The entries of a class (any: None) with a value of an indexed field (a field that
    /// is not indexed selects everything here: the caller filters records by it).
    pub fn selector(&self, class: Option<Class>, field: Option<&(String, String)>) -> Selector {
        let profiles = field.and_then(|(k, v)| {
            let f = self.fields.iter().position(|x| x == k)? as u16;
            let pairs: Vec<bool> = self
                .pairs
                .iter()
                .map(|(pf, value)| *pf == f && value_matches(value, v))
                .collect();
            Some(
                self.profiles
                    .iter()
                    .map(|p| p.iter().any(|&id| pairs[id as usize]))
                    .collect(),
            )
        });
        Selector {
            class: class.map_or(0, Class::bit),
            profiles,
        }
    }
}

fn open(path: &Path) -> anyhow::Result<(File, Stamp)> {
    let file = File::open(path).with_context(|| {
        format!(
            "cannot read journal {} (is the run directory readable?)",
            path.display()
        )
    })?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read journal {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("journal {} is not a regular file", path.display());
    }
    Ok((file, Stamp::of(&meta)))
}
