//! The viewer's index over a 100,000-item journal written by the real journal writer:
//! class counts, filtered pages (first and last rows), indexed and unindexed breakdown
//! filters, a streamed text search that stops at a full page and continues where it
//! stopped, re-answered items (the latest line wins), the side-by-side pairing of two runs
//! by item id, and an index that catches up when the journal grows. Correctness only: the
//! speed is measured by `cargo run --release --example bench -- view`.

use std::collections::BTreeMap;
use std::path::Path;

use evalkit::journal::record::CallRecord;
use evalkit::journal::{ItemRecord, Journal, PREDICTIONS, Status};
use evalkit::score::{Gold, How};
use evalkit::view::class::Class;
use evalkit::view::index::RunIndex;
use evalkit::view::links::Query;
use evalkit::view::select::{self, PAGE};

const N: usize = 100_000;
const METRIC: &str = "relaxed_accuracy";
const KINDS: [&str; 4] = ["sum", "max", "min", "diff"];

/// What item `i` of run A is, by rule (the test's own expectation, not the viewer's).
fn failed(i: usize) -> bool {
    i % 50 == 7
}
fn right(i: usize) -> bool {
    !failed(i) && i.is_multiple_of(3)
}
fn unparsed(i: usize) -> bool {
    !failed(i) && !right(i) && i % 10 == 1
}
fn truncated(i: usize) -> bool {
    i.is_multiple_of(97)
}
/// Items whose response holds "needle" (one of them in non-ASCII text).
fn needle(i: usize) -> bool {
    i % 20_000 == 123 || i == N - 1
}

fn id(i: usize) -> String {
    format!("item-{i:06}")
}

fn record(i: usize, right: bool, failed: bool) -> ItemRecord {
    let response = if i == N - 1 {
        "Grüße: the NEEDLE is 7".to_string()
    } else if needle(i) {
        format!("a needle, then {i}")
    } else {
        format!("The answer is {i}.\nDone.")
    };
    let how = if failed {
        None
    } else if !right && i % 10 == 1 {
        Some(How::Unparsed)
    } else {
        Some(How::Rule)
    };
    ItemRecord {
        id: id(i),
        order: i as u64,
        source: format!("data.tsv:{}", i + 2),
        status: if failed {
            Status::Failed
        } else {
            Status::Answered
        },
        request_hash: format!("{i:016x}"),
        response: (!failed).then(|| response.clone()),
        extracted: (!failed).then(|| i.to_string()),
        extracted_is_response: false,
        metrics: (!failed)
            .then(|| BTreeMap::from([(METRIC.to_string(), if right { 1.0 } else { 0.0 })])),
        how,
        latency_ms: Some(20),
        usage: None,
        attempts: 1,
        error: failed.then(|| "HTTP 500 after 3 attempts".to_string()),
        split: Some(
            if i.is_multiple_of(2) {
                "human"
            } else {
                "augmented"
            }
            .to_string(),
        ),
        fields: BTreeMap::from([
            ("kind".to_string(), KINDS[i % 4].to_string()),
            (
                "gold_table".to_string(),
                format!("col,val\n\"a\",{i}\n\"b\",{}", i + 1),
            ),
        ]),
        gold: Gold {
            answers: vec![if right { i.to_string() } else { "gold".into() }],
            ..Gold::default()
        },
        calls: vec![CallRecord {
            role: Some(evalkit::strategy::CallRole::Answer),
            model: "mock".into(),
            request_hash: format!("{i:016x}"),
            response: Some(response),
            is_answer: false,
            reasoning: None,
            finish_reason: Some(if truncated(i) { "length" } else { "stop" }.into()),
            error: None,
            attempts: 1,
            latency_ms: Some(20),
            usage: None,
        }],
        judge: None,
        format_followed: None,
        trace: None,
        truncated: None,
        at: "2026-12-05T00:00:00Z".into(),
    }
}

/// Run A: every item, written out of order (a permutation), and every 1,000th item
/// answered twice (first failed, then as expected), so the latest line must win.
fn write_run_a(dir: &Path) {
    let (journal, _) = Journal::open(dir).unwrap();
    for k in 0..N {
        let i = (k * 7919) % N;
        if i % 1000 == 5 {
            journal
                .append(&record(i, !right(i) && !failed(i), !failed(i)))
                .unwrap();
        }
        let mut r = record(i, right(i), failed(i));
        r.compact();
        journal.append(&r).unwrap();
    }
}

/// Run B: items below 90,000, right when i % 5 == 0.
fn write_run_b(dir: &Path) {
    let (journal, _) = Journal::open(dir).unwrap();
    for i in 0..90_000 {
        journal.append(&record(i, i % 5 == 0, false)).unwrap();
    }
}

fn ids(page: &select::Page) -> Vec<String> {
    page.rows
        .iter()
        .map(|r| r.as_ref().unwrap().id.clone())
        .collect()
}

fn q(class: Option<Class>, page: usize) -> Query {
    Query {
        class,
        page,
        ..Query::default()
    }
}

#[test]
fn a_hundred_thousand_items_filter_page_search_and_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    write_run_a(&a_dir);
    write_run_b(&b_dir);
    let a = RunIndex::build(&a_dir.join(PREDICTIONS), METRIC, &["kind".into()]).unwrap();
    assert_eq!(a.len(), N);
    assert_eq!(a.skipped, 0);

    // Class counts, and each class's pages hold exactly its items, in order.
    let expect: Vec<(Class, Vec<usize>)> = vec![
        (Class::Right, (0..N).filter(|&i| right(i)).collect()),
        (
            Class::Wrong,
            (0..N)
                .filter(|&i| !failed(i) && !right(i) && !unparsed(i))
                .collect(),
        ),
        (Class::Unparsed, (0..N).filter(|&i| unparsed(i)).collect()),
        (Class::Failed, (0..N).filter(|&i| failed(i)).collect()),
        (Class::Truncated, (0..N).filter(|&i| truncated(i)).collect()),
    ];
    for (class, items) in &expect {
        assert_eq!(a.count(*class), items.len(), "{class:?}");
        let first = select::page(&a, METRIC, &q(Some(*class), 0));
        assert_eq!(first.total, Some(items.len()), "{class:?}");
        let want: Vec<String> = items.iter().take(PAGE).map(|&i| id(i)).collect();
        assert_eq!(ids(&first), want, "first page of {class:?}");
        let last_page = items.len().div_ceil(PAGE) - 1;
        let last = select::page(&a, METRIC, &q(Some(*class), last_page));
        let want: Vec<String> = items[last_page * PAGE..].iter().map(|&i| id(i)).collect();
        assert_eq!(ids(&last), want, "last page of {class:?}");
        // Past the end: no rows, the same total.
        let past = select::page(&a, METRIC, &q(Some(*class), last_page + 1));
        assert!(past.rows.is_empty() && past.total == Some(items.len()));
    }
    // Unfiltered: every item, in order (the journal was written out of order).
    let all = select::page(&a, METRIC, &q(None, 0));
    assert_eq!(all.total, Some(N));
    assert_eq!(ids(&all)[..3], [id(0), id(1), id(2)]);
    let last = select::page(&a, METRIC, &q(None, N / PAGE - 1));
    assert_eq!(ids(&last).last(), Some(&id(N - 1)));
    // The re-answered items show their latest record.
    let page_of_5 = select::page(&a, METRIC, &q(None, 0));
    let r5 = page_of_5.rows[5].as_ref().unwrap();
    assert_eq!(r5.id, id(5));
    assert_eq!(r5.status, Status::Answered);

    // An indexed breakdown field, with a class.
    let wrong_max: Vec<usize> = expect[1].1.iter().copied().filter(|i| i % 4 == 1).collect();
    let fq = Query {
        class: Some(Class::Wrong),
        field: Some(("kind".into(), "max".into())),
        page: 3,
        ..Query::default()
    };
    let page = select::page(&a, METRIC, &fq);
    assert!(!page.streamed);
    assert_eq!(page.total, Some(wrong_max.len()));
    let want: Vec<String> = wrong_max[3 * PAGE..4 * PAGE]
        .iter()
        .map(|&i| id(i))
        .collect();
    assert_eq!(ids(&page), want);
    // `split` is always indexed.
    let sq = Query {
        field: Some(("split".into(), "augmented".into())),
        ..Query::default()
    };
    assert_eq!(select::page(&a, METRIC, &sq).total, Some(N / 2));

    // A field the index does not keep is filtered by reading records, a page at a time.
    let unindexed = RunIndex::build(&a_dir.join(PREDICTIONS), METRIC, &[]).unwrap();
    let uq = Query {
        class: Some(Class::Right),
        field: Some(("kind".into(), "min".into())),
        ..Query::default()
    };
    let page = select::page(&unindexed, METRIC, &uq);
    assert!(page.streamed);
    let right_min: Vec<usize> = expect[0].1.iter().copied().filter(|i| i % 4 == 2).collect();
    let want: Vec<String> = right_min.iter().take(PAGE).map(|&i| id(i)).collect();
    assert_eq!(ids(&page), want);
    assert_eq!(page.total, None, "it stopped at a full page");
    assert_eq!(
        page.next,
        Some(right_min[PAGE]),
        "and continues at the next match"
    );

    // A rare text: the whole journal is searched, case-insensitively, ASCII or not.
    let tq = Query {
        text: Some("NeEdLe".into()),
        ..Query::default()
    };
    let page = select::page(&a, METRIC, &tq);
    let want: Vec<String> = (0..N)
        .filter(|&i| needle(i) && !failed(i))
        .map(id)
        .collect();
    assert_eq!(want.len(), 6);
    assert_eq!(ids(&page), want);
    assert_eq!(page.total, Some(6));
    assert_eq!(page.next, None);
    let none = Query {
        text: Some("nothing-matches-this".into()),
        ..Query::default()
    };
    assert_eq!(select::page(&a, METRIC, &none).total, Some(0));
    // A common text stops at a full page; "more" continues exactly where it stopped.
    let common = |from| Query {
        class: Some(Class::Right),
        text: Some("answer is 1".into()),
        from,
        ..Query::default()
    };
    let matching: Vec<usize> = expect[0]
        .1
        .iter()
        .copied()
        .filter(|&i| !needle(i) && i.to_string().starts_with('1'))
        .collect();
    let mut from = 0;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let page = select::page(&a, METRIC, &common(from));
        assert_eq!(page.rows.len(), PAGE);
        assert_eq!(page.total, None);
        seen.extend(ids(&page));
        from = page.next.expect("more follow");
    }
    let want: Vec<String> = matching.iter().take(3 * PAGE).map(|&i| id(i)).collect();
    assert_eq!(seen, want);
    // The id is searched too.
    let by_id = Query {
        text: Some("ITEM-099998".into()),
        ..Query::default()
    };
    assert_eq!(ids(&select::page(&a, METRIC, &by_id)), vec![id(99_998)]);

    // Two runs side by side: paired by id, flipped when right in one only.
    let b = RunIndex::build(&b_dir.join(PREDICTIONS), METRIC, &[]).unwrap();
    let flips = select::flips(&a, &b);
    assert_eq!(flips.shared, 90_000);
    let want: Vec<usize> = (0..90_000).filter(|&i| right(i) != (i % 5 == 0)).collect();
    assert_eq!(flips.flipped.len(), want.len());
    let (pa, pb) = flips.flipped[want.len() - 1];
    assert_eq!(a.entries()[pa as usize].order, *want.last().unwrap() as u64);
    assert_eq!(b.entries()[pb as usize].order, *want.last().unwrap() as u64);

    // Items are found by id; unknown ids are not.
    assert_eq!(a.find(&id(31_337)).map(|e| e.order), Some(31_337));
    assert!(a.find("item-x").is_none());
}

#[test]
fn the_index_catches_up_when_the_journal_grows_and_rebuilds_when_it_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let path = dir.join(PREDICTIONS);
    {
        let (journal, _) = Journal::open(&dir).unwrap();
        for i in 0..10 {
            journal.append(&record(i, false, false)).unwrap();
        }
    }
    let index = RunIndex::build(&path, METRIC, &[]).unwrap();
    assert_eq!((index.len(), index.count(Class::Right)), (10, 0));
    assert!(index.refresh().unwrap().is_none(), "unchanged: kept");
    // A torn last line is not indexed until it is whole.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let line = serde_json::to_string(&record(3, true, false)).unwrap();
        f.write_all(line.as_bytes()).unwrap();
        let index = index.refresh().unwrap().expect("grew");
        assert_eq!((index.len(), index.count(Class::Right)), (10, 0));
        f.write_all(b"\n").unwrap();
        let line = serde_json::to_string(&record(10, true, false)).unwrap();
        f.write_all(format!("{line}\nnot json\n").as_bytes())
            .unwrap();
    }
    let grown = index.refresh().unwrap().expect("grew");
    assert_eq!(grown.len(), 11);
    assert_eq!(
        grown.count(Class::Right),
        2,
        "item 3 re-answered right, item 10 new"
    );
    assert_eq!(grown.skipped, 1);
    let rows = select::page(&grown, METRIC, &q(Some(Class::Right), 0));
    assert_eq!(ids(&rows), vec![id(3), id(10)]);
    // Replaced by a shorter journal: built again from scratch.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(
        &path,
        format!(
            "{}\n",
            serde_json::to_string(&record(0, true, false)).unwrap()
        ),
    )
    .unwrap();
    let replaced = grown.refresh().unwrap().expect("replaced");
    assert_eq!((replaced.len(), replaced.count(Class::Right)), (1, 1));
}
