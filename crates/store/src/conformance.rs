//! The store conformance suite: the behaviour every backend must show,
//! written once. A backend instantiates it in its tests with
//! `store::conformance_suite!(|| make_empty_store())`.

use std::collections::HashSet;
use std::sync::Arc;

use model::{Object, StixId, Timestamp};
use serde_json::json;

use crate::{Outcome, Query, Store, Versions};

/// Generates one `#[test]` per conformance case for a backend. The
/// expression must build a fresh, empty store each time it is called.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            put_is_idempotent, conflicting_version_is_reported_alone, version_selection,
            get_and_filters, paging_never_skips_or_repeats, same_millisecond_arrivals,
            concurrent_writers_and_pager, delete_versions, scos_are_single_version,
            stats_count_types_and_producers, scan_streams_everything);
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                let store: std::sync::Arc<dyn $crate::Store> = ($make)();
                $crate::conformance::$case(store);
            }
        )*
    };
}

const AUTHOR_A: &str = "identity--0a000000-0000-4000-8000-000000000001";
const AUTHOR_B: &str = "identity--0b000000-0000-4000-8000-000000000002";

/// A deterministic indicator id for number `n`.
fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012}")
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// Version `v` (0-based) of indicator `n`, authored by `author`.
fn indicator(n: u32, v: u32, author: &str) -> Object {
    Object::from_value(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id(n),
        "created_by_ref": author,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": format!("2024-01-01T00:00:{v:02}.000Z"),
        "pattern": format!("[ipv4-addr:value = '10.0.{}.{}']", n / 256 % 256, n % 256),
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "name": format!("indicator {n} version {v}")
    }))
    .unwrap()
}

fn malware(n: u32) -> Object {
    Object::from_value(json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": AUTHOR_B,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": format!("malware {n}"),
        "is_family": true
    }))
    .unwrap()
}

fn sco(value: &str, extra: Option<&str>) -> Object {
    let mut v = json!({
        "type": "ipv4-addr",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": value,
    });
    if let Some(x) = extra {
        v["x_note"] = json!(x);
    }
    Object::from_value(v).unwrap()
}

fn put_ok(store: &dyn Store, objects: &[Object]) -> Vec<Outcome> {
    store.put(objects).expect("put")
}

fn all_records(store: &dyn Store, q: &Query) -> Vec<crate::Record> {
    let mut out = Vec::new();
    store
        .scan(q, &mut |r| {
            out.push(r);
            Ok(())
        })
        .unwrap();
    out
}

/// Re-adding an identical version succeeds and changes nothing, even when
/// its JSON is spelled differently (key order).
pub fn put_is_idempotent(store: Arc<dyn Store>) {
    let objs = vec![indicator(1, 0, AUTHOR_A), indicator(2, 0, AUTHOR_A)];
    let first = put_ok(&*store, &objs);
    assert!(matches!(first[0], Outcome::Added(_)), "{first:?}");
    let again = put_ok(&*store, &objs);
    assert_eq!(again.len(), 2);
    for (a, b) in first.iter().zip(&again) {
        let (Outcome::Added(d1), Outcome::Unchanged(d2)) = (a, b) else { panic!("{a:?} {b:?}") };
        assert_eq!(d1, d2, "an unchanged version keeps its date_added");
    }
    // Same value, keys in another order.
    let reordered = {
        let v = objs[0].to_value();
        let mut text = String::from("{");
        let mut keys: Vec<_> = v.as_object().unwrap().keys().collect();
        keys.reverse();
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("{}: {}", json!(k), v[k.as_str()]));
        }
        text.push('}');
        Object::parse(text.as_bytes(), &model::Limits::default()).unwrap()
    };
    assert!(matches!(put_ok(&*store, &[reordered])[0], Outcome::Unchanged(_)));
    assert_eq!(store.stats().unwrap().versions, 2);
}

/// The same (id, version) with other content is a per-object conflict; the
/// rest of the batch is stored and the stored version is untouched.
pub fn conflicting_version_is_reported_alone(store: Arc<dyn Store>) {
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A)]);
    let mut changed = indicator(1, 0, AUTHOR_A).to_value();
    changed["name"] = json!("something else");
    let changed = Object::from_value(changed).unwrap();
    let out = put_ok(&*store, &[indicator(2, 0, AUTHOR_A), changed, indicator(3, 0, AUTHOR_A)]);
    assert!(matches!(out[0], Outcome::Added(_)));
    assert!(matches!(out[1], Outcome::Conflict(_)), "{out:?}");
    assert!(matches!(out[2], Outcome::Added(_)));
    let id1 = StixId::parse(&id(1)).unwrap();
    let stored = store.get(&id1, &Versions::ALL).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].json, indicator(1, 0, AUTHOR_A).json());
}

/// `last` (default), `first`, `all` and timestamps, alone and combined,
/// whatever order the versions arrive in.
pub fn version_selection(store: Arc<dyn Store>) {
    // Versions 1, 3, 0, 2 arrive in that order.
    for v in [1, 3, 0, 2] {
        put_ok(&*store, &[indicator(7, v, AUTHOR_A)]);
    }
    let id7 = StixId::parse(&id(7)).unwrap();
    let versions = |sel: Versions| -> Vec<String> {
        store.get(&id7, &sel).unwrap().into_iter().map(|r| r.version).collect()
    };
    let v = |n: u32| format!("2024-01-01T00:00:{n:02}.000Z");
    assert_eq!(versions(Versions::LAST), vec![v(3)]);
    assert_eq!(versions(Versions::FIRST), vec![v(0)]);
    assert_eq!(versions(Versions::ALL), vec![v(0), v(1), v(2), v(3)]);
    assert_eq!(versions(Versions::at(ts(&v(2)))), vec![v(2)]);
    let mixed = Versions { first: true, last: true, all: false, at: vec![ts(&v(1))] };
    assert_eq!(versions(mixed), vec![v(0), v(1), v(3)]);
    assert_eq!(versions(Versions::at(ts("2030-01-01T00:00:00Z"))), Vec::<String>::new());
    // A query by type with the default selection returns only the latest.
    let q = Query { types: vec!["indicator".into()], ..Query::default() };
    let recs = all_records(&*store, &q);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].version, v(3));
}

/// Filters by type, id, author and `added_after` combine as AND, lists as OR.
pub fn get_and_filters(store: Arc<dyn Store>) {
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A), malware(1), indicator(2, 0, AUTHOR_B)]);
    let first_added = all_records(&*store, &Query::default())[0].date_added;
    put_ok(&*store, &[malware(2), indicator(3, 0, AUTHOR_A)]);

    let ids = |q: Query| -> Vec<String> { all_records(&*store, &q).into_iter().map(|r| r.id).collect() };
    assert_eq!(ids(Query { types: vec!["malware".into()], ..Query::default() }).len(), 2);
    assert_eq!(
        ids(Query { types: vec!["malware".into(), "indicator".into()], ..Query::default() }).len(),
        5
    );
    assert_eq!(ids(Query { ids: vec![id(2), id(3)], ..Query::default() }), vec![id(2), id(3)]);
    assert_eq!(
        ids(Query { types: vec!["indicator".into()], authors: vec![AUTHOR_A.into()], ..Query::default() }),
        vec![id(1), id(3)]
    );
    assert_eq!(ids(Query { added_after: Some(first_added.0), ..Query::default() }).len(), 4);
    assert_eq!(
        ids(Query { spec_versions: vec!["2.0".into()], ..Query::default() }),
        Vec::<String>::new()
    );
    assert_eq!(ids(Query { spec_versions: vec!["2.1".into()], ..Query::default() }).len(), 5);
    let unknown = StixId::parse("indicator--99999999-0000-4000-8000-000000000000").unwrap();
    assert!(store.get(&unknown, &Versions::ALL).unwrap().is_empty());
}

/// Walks every page at several sizes, by cursor and by `added_after`, and
/// checks that the union is exactly the whole, in order, without repeats.
fn check_paging(store: &dyn Store, expected: usize) {
    let everything = all_records(store, &Query { versions: Versions::ALL, ..Query::default() });
    assert_eq!(everything.len(), expected);
    for w in everything.windows(2) {
        assert!(w[0].date_added < w[1].date_added, "date_added strictly increasing");
    }
    for size in [1, 2, 3, 7, 50, expected + 1] {
        // By cursor.
        let mut seen = Vec::new();
        let mut q = Query { versions: Versions::ALL, limit: Some(size), ..Query::default() };
        loop {
            let page = store.query(&q).unwrap();
            assert!(page.records.len() <= size);
            seen.extend(page.records.iter().map(|r| r.date_added));
            if !page.more {
                assert!(page.next.is_none());
                break;
            }
            q.after = page.next;
        }
        assert_eq!(seen, everything.iter().map(|r| r.date_added).collect::<Vec<_>>(), "cursor, size {size}");
        // By added_after, as a TAXII client without `next` would.
        let mut seen = Vec::new();
        let mut q = Query { versions: Versions::ALL, limit: Some(size), ..Query::default() };
        loop {
            let page = store.query(&q).unwrap();
            let Some(last) = page.records.last() else { break };
            q.added_after = Some(last.date_added.0);
            seen.extend(page.records.iter().map(|r| r.date_added));
        }
        assert_eq!(seen.len(), expected, "added_after, size {size}");
    }
}

/// Paging over versions of many objects, by cursor and by `added_after`.
pub fn paging_never_skips_or_repeats(store: Arc<dyn Store>) {
    let batch: Vec<Object> = (0..60).map(|n| indicator(n, n % 3, AUTHOR_A)).collect();
    put_ok(&*store, &batch);
    let more: Vec<Object> = (0..60).map(|n| indicator(n, 5, AUTHOR_A)).collect();
    put_ok(&*store, &more);
    check_paging(&*store, 120);
}

/// Thousands of objects added within the same millisecond still get
/// distinct, increasing `date_added` values and page exactly.
pub fn same_millisecond_arrivals(store: Arc<dyn Store>) {
    for chunk in 0..4 {
        let batch: Vec<Object> = (0..500).map(|n| indicator(chunk * 500 + n, 0, AUTHOR_A)).collect();
        put_ok(&*store, &batch);
    }
    check_paging(&*store, 2000);
}

/// Writers on several threads while a reader pages by cursor: the reader
/// never sees an object twice, and a final drain completes the set.
pub fn concurrent_writers_and_pager(store: Arc<dyn Store>) {
    let writers: Vec<_> = (0..4u32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for n in 0..100 {
                    store.put(&[indicator(t * 1000 + n, 0, AUTHOR_A)]).unwrap();
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut q = Query { versions: Versions::ALL, limit: Some(13), ..Query::default() };
    let mut last_cursor = None;
    let mut drain = |q: &mut Query, seen: &mut HashSet<String>| loop {
        let page = store.query(q).unwrap();
        for r in &page.records {
            assert!(seen.insert(r.id.clone()), "{} seen twice", r.id);
        }
        if let Some(r) = page.records.last() {
            last_cursor = Some(crate::Cursor(r.date_added));
        }
        q.after = last_cursor;
        if !page.more {
            break;
        }
    };
    while writers.iter().any(|w| !w.is_finished()) {
        drain(&mut q, &mut seen);
    }
    for w in writers {
        w.join().unwrap();
    }
    drain(&mut q, &mut seen);
    assert_eq!(seen.len(), 400, "nothing skipped");
}

/// Deleting one version moves `first`/`last` to the remaining ones; deleting
/// all makes the object unknown.
pub fn delete_versions(store: Arc<dyn Store>) {
    for v in 0..3 {
        put_ok(&*store, &[indicator(1, v, AUTHOR_A)]);
    }
    let id1 = StixId::parse(&id(1)).unwrap();
    let last = Versions::at(ts("2024-01-01T00:00:02.000Z"));
    assert_eq!(store.delete(&id1, &last).unwrap(), 1);
    let latest = store.get(&id1, &Versions::LAST).unwrap();
    assert_eq!(latest[0].version, "2024-01-01T00:00:01.000Z");
    assert_eq!(store.delete(&id1, &Versions::FIRST).unwrap(), 1);
    assert_eq!(store.get(&id1, &Versions::FIRST).unwrap()[0].version, "2024-01-01T00:00:01.000Z");
    assert_eq!(store.delete(&id1, &Versions::ALL).unwrap(), 1);
    assert!(store.get(&id1, &Versions::ALL).unwrap().is_empty());
    assert_eq!(store.delete(&id1, &Versions::ALL).unwrap(), 0);
    // A deleted version can be added again.
    assert!(matches!(put_ok(&*store, &[indicator(1, 0, AUTHOR_A)])[0], Outcome::Added(_)));
}

/// Objects without `modified` or `created` (SCOs) have one version, dated
/// by when they were added; re-adding is unchanged, other content conflicts.
pub fn scos_are_single_version(store: Arc<dyn Store>) {
    let out = put_ok(&*store, &[sco("198.51.100.3", None)]);
    let Outcome::Added(d) = out[0] else { panic!("{out:?}") };
    assert_eq!(put_ok(&*store, &[sco("198.51.100.3", None)])[0], Outcome::Unchanged(d));
    assert!(matches!(put_ok(&*store, &[sco("198.51.100.3", Some("x"))])[0], Outcome::Conflict(_)));
    let recs = all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() });
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].version, d.to_string());
    assert_eq!(recs[0].version_micros, d.0);
}

/// `stats` counts objects and versions per type and per author.
pub fn stats_count_types_and_producers(store: Arc<dyn Store>) {
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A), indicator(1, 1, AUTHOR_A), malware(1), sco("10.0.0.1", None)]);
    let s = store.stats().unwrap();
    assert_eq!((s.objects, s.versions), (3, 4));
    assert_eq!(
        s.by_type,
        vec![("indicator".into(), 1, 2), ("ipv4-addr".into(), 1, 1), ("malware".into(), 1, 1)]
    );
    assert_eq!(
        s.by_producer,
        vec![(String::new(), 1, 1), (AUTHOR_A.into(), 1, 2), (AUTHOR_B.into(), 1, 1)]
    );
}

/// `scan` returns the stored bytes of every selected version, in order, and
/// stops when the consumer fails.
pub fn scan_streams_everything(store: Arc<dyn Store>) {
    let objs: Vec<Object> = (0..25).map(|n| indicator(n, 0, AUTHOR_A)).collect();
    put_ok(&*store, &objs);
    let recs = all_records(&*store, &Query::default());
    assert_eq!(recs.iter().map(|r| r.json.clone()).collect::<Vec<_>>(), objs.iter().map(|o| o.json().to_vec()).collect::<Vec<_>>());
    let mut n = 0;
    let err = store.scan(&Query::default(), &mut |_| {
        n += 1;
        if n == 5 { Err("enough".into()) } else { Ok(()) }
    });
    assert!(err.is_err());
    assert_eq!(n, 5);
}
