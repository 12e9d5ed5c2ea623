//! The store conformance suite: the behaviour every backend must show,
//! written once. A backend instantiates it in its tests with
//! `store::conformance_suite!(|| make_empty_store())`.

use std::collections::HashSet;
use std::sync::Arc;

use model::{Object, StixId, Timestamp};
use serde_json::json;

use crate::{
    Access, CollectionRecord, Cursor, Gate, ObservableKey, Outcome, PartnerRecord, PeerRecord, PutOptions, Query, Record, Registry, Role, Signature,
    Store, TokenRecord, UserRecord, Versions,
};

mod caches;
mod history;
mod since;
pub use caches::{reads_by_arrival_of_several_types_keep_one_date_order, removals_move_with_what_narrows_a_read};
pub use history::backdated_history_keeps_dates_increasing;
pub use since::added_to_a_collection_since;

/// Generates one `#[test]` per conformance case for a backend. The
/// expression must build a fresh, empty backend each time it is called, as
/// an `Arc` of a type that implements both [`Store`] and [`Registry`].
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            put_is_idempotent, conflicting_version_is_reported_alone, version_selection,
            get_and_filters, paging_never_skips_or_repeats, same_millisecond_arrivals,
            concurrent_writers_and_pager, delete_versions, scos_are_single_version,
            stats_count_types_and_producers, scan_streams_everything,
            collections_have_their_own_dates_and_versions, added_to_a_collection_since, delete_from_collection,
            only_the_author_versions, registry_records, gate_filters_before_paging, gated_first_and_last_are_the_readers,
            shares_join_agreement_collections, recall_marks_every_version,
            release_facts_are_stored, observables_are_indexed, checkpoints_move_with_their_batch, visit_matches_query,
            collection_pages_follow_membership,
            signatures_are_kept_with_their_versions, sightings_are_indexed_by_what_they_are_of,
            records_are_indexed_by_what_they_name, links_are_indexed_by_what_they_link,
            text_is_indexed_ranked_and_gated, text_counts_read_the_release_facts,
            reads_by_arrival_date_each_membership, reoffer_gives_members_fresh_dates_once,
            removals_move_with_what_narrows_a_read, reads_by_arrival_of_several_types_keep_one_date_order,
            backdated_history_keeps_dates_increasing);
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::$case(($make)());
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
    store.put(objects, &PutOptions::default()).expect("put")
}

fn put_in(store: &dyn Store, collection: &str, objects: &[Object]) -> Vec<Outcome> {
    let options = PutOptions { collection: Some(collection.into()), ..PutOptions::default() };
    store.put(objects, &options).expect("put")
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

/// What `visit` hands over for `q`, copied, and its `more`.
fn visited(store: &dyn Store, q: &Query) -> (Vec<crate::Record>, bool) {
    let mut seen = Vec::new();
    let more = store
        .visit(q, &mut |r| {
            seen.push(r.clone());
            Ok(())
        })
        .unwrap();
    (seen, more)
}

/// Re-adding an identical version succeeds and changes nothing, even when
/// its JSON is spelled differently (key order).
pub fn put_is_idempotent<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn conflicting_version_is_reported_alone<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn version_selection<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn get_and_filters<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn paging_never_skips_or_repeats<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let batch: Vec<Object> = (0..60).map(|n| indicator(n, n % 3, AUTHOR_A)).collect();
    put_ok(&*store, &batch);
    let more: Vec<Object> = (0..60).map(|n| indicator(n, 5, AUTHOR_A)).collect();
    put_ok(&*store, &more);
    check_paging(&*store, 120);
}

/// Thousands of objects added within the same millisecond still get
/// distinct, increasing `date_added` values and page exactly.
pub fn same_millisecond_arrivals<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    for chunk in 0..4 {
        let batch: Vec<Object> = (0..500).map(|n| indicator(chunk * 500 + n, 0, AUTHOR_A)).collect();
        put_ok(&*store, &batch);
    }
    check_paging(&*store, 2000);
}

/// Writers on several threads while a reader pages by cursor: the reader
/// never sees an object twice, and a final drain completes the set.
pub fn concurrent_writers_and_pager<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let writers: Vec<_> = (0..4u32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for n in 0..100 {
                    store.put(&[indicator(t * 1000 + n, 0, AUTHOR_A)], &PutOptions::default()).unwrap();
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
pub fn delete_versions<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    for v in 0..3 {
        put_ok(&*store, &[indicator(1, v, AUTHOR_A)]);
    }
    let id1 = StixId::parse(&id(1)).unwrap();
    let last = Versions::at(ts("2024-01-01T00:00:02.000Z"));
    assert_eq!(store.delete(&id1, &last, None).unwrap(), 1);
    let latest = store.get(&id1, &Versions::LAST).unwrap();
    assert_eq!(latest[0].version, "2024-01-01T00:00:01.000Z");
    assert_eq!(store.delete(&id1, &Versions::FIRST, None).unwrap(), 1);
    assert_eq!(store.get(&id1, &Versions::FIRST).unwrap()[0].version, "2024-01-01T00:00:01.000Z");
    assert_eq!(store.delete(&id1, &Versions::ALL, None).unwrap(), 1);
    assert!(store.get(&id1, &Versions::ALL).unwrap().is_empty());
    assert_eq!(store.delete(&id1, &Versions::ALL, None).unwrap(), 0);
    // A deleted version can be added again.
    assert!(matches!(put_ok(&*store, &[indicator(1, 0, AUTHOR_A)])[0], Outcome::Added(_)));
}

/// Objects without `modified` or `created` (SCOs) have one version, dated
/// by when they were added; re-adding is unchanged, other content conflicts.
pub fn scos_are_single_version<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn stats_count_types_and_producers<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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
pub fn scan_streams_everything<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
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

/// Adding a version to a collection gives it the collection's own, later
/// `date_added`; `first`/`last` are computed among the collection's versions.
pub fn collections_have_their_own_dates_and_versions<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let v0 = put_ok(&*store, &[indicator(1, 0, AUTHOR_A), indicator(1, 1, AUTHOR_A)]);
    let Outcome::Added(store_date) = v0[0] else { panic!() };
    put_in(&*store, "c1", &[indicator(2, 0, AUTHOR_A)]);
    let in_c1 = put_in(&*store, "c1", &[indicator(1, 0, AUTHOR_A)]);
    let Outcome::Added(c1_date) = in_c1[0] else { panic!("{in_c1:?}") };
    assert!(c1_date > store_date, "the collection dates its own additions");
    // Re-adding to the same collection is unchanged and keeps its date.
    assert_eq!(put_in(&*store, "c1", &[indicator(1, 0, AUTHOR_A)])[0], Outcome::Unchanged(c1_date));
    let q = |versions: Versions| Query { collection: Some("c1".into()), versions, ..Query::default() };
    let got = all_records(&*store, &q(Versions::LAST));
    assert_eq!(got.iter().map(|r| (r.id.clone(), r.version.clone())).collect::<Vec<_>>(), vec![
        (id(2), "2024-01-01T00:00:00.000Z".to_owned()),
        (id(1), "2024-01-01T00:00:00.000Z".to_owned()),
    ], "within c1, version 0 is the last of indicator 1");
    assert_eq!(got[1].date_added, c1_date);
    assert!(all_records(&*store, &Query { collection: Some("c2".into()), ..Query::default() }).is_empty());
    // A later version in the collection becomes its last; paging stays exact.
    put_in(&*store, "c1", &[indicator(1, 1, AUTHOR_A)]);
    let got = all_records(&*store, &q(Versions::LAST));
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].version, "2024-01-01T00:00:01.000Z");
    assert_eq!(all_records(&*store, &q(Versions::FIRST))[1].version, "2024-01-01T00:00:00.000Z");
    let batch: Vec<Object> = (10..40).map(|n| indicator(n, 0, AUTHOR_A)).collect();
    put_in(&*store, "c1", &batch);
    let mut seen = Vec::new();
    let mut query = Query { collection: Some("c1".into()), versions: Versions::ALL, limit: Some(4), ..Query::default() };
    loop {
        let page = store.query(&query).unwrap();
        seen.extend(page.records.iter().map(|r| r.date_added));
        if !page.more { break; }
        query.after = page.next;
    }
    assert_eq!(seen.len(), 33);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

/// Deleting in a collection removes the versions there, and from the store
/// only those no other collection holds.
pub fn delete_from_collection<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    put_in(&*store, "c1", &[indicator(1, 0, AUTHOR_A), indicator(1, 1, AUTHOR_A)]);
    put_in(&*store, "c2", &[indicator(1, 0, AUTHOR_A)]);
    let id1 = StixId::parse(&id(1)).unwrap();
    assert_eq!(store.delete(&id1, &Versions::ALL, Some("c1")).unwrap(), 2);
    assert!(store.get_in(&id1, &Versions::ALL, Some("c1")).unwrap().is_empty());
    let left = store.get(&id1, &Versions::ALL).unwrap();
    assert_eq!(left.len(), 1, "version 0 is still in c2");
    assert_eq!(store.get_in(&id1, &Versions::ALL, Some("c2")).unwrap().len(), 1);
    assert_eq!(store.delete(&id1, &Versions::ALL, Some("c2")).unwrap(), 1);
    assert!(store.get(&id1, &Versions::ALL).unwrap().is_empty());
}

/// With `only_author`, a partner cannot add a version to an object another
/// partner authored, whether or not the new version names an author.
pub fn only_the_author_versions<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let as_a = PutOptions { posted_by: Some(AUTHOR_A.into()), only_author: true, ..PutOptions::default() };
    let as_b = PutOptions { posted_by: Some(AUTHOR_B.into()), only_author: true, ..PutOptions::default() };
    assert!(matches!(store.put(&[indicator(1, 0, AUTHOR_A)], &as_a).unwrap()[0], Outcome::Added(_)));
    let out = store.put(&[indicator(1, 1, AUTHOR_B), indicator(2, 0, AUTHOR_B)], &as_b).unwrap();
    assert!(matches!(out[0], Outcome::NotAuthor(_)), "{out:?}");
    assert!(matches!(out[1], Outcome::Added(_)));
    assert!(matches!(store.put(&[indicator(1, 1, AUTHOR_A)], &as_a).unwrap()[0], Outcome::Added(_)));
    // An object without created_by_ref belongs to whoever posted it first.
    let s = sco("10.9.9.9", None);
    assert!(matches!(store.put(std::slice::from_ref(&s), &as_b).unwrap()[0], Outcome::Added(_)));
    let other = sco("10.9.9.9", Some("changed"));
    assert!(matches!(store.put(&[other], &as_a).unwrap()[0], Outcome::NotAuthor(_)));
    let recs = store.get(&StixId::parse(&id(1)).unwrap(), &Versions::ALL).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].posted_by.as_deref(), Some(AUTHOR_A));
}

/// Partners, tokens, collections, statuses and settings round-trip.
pub fn registry_records<B: Store + Registry + 'static>(b: Arc<B>) {
    let reg: &dyn Registry = &*b;
    let p = PartnerRecord { id: AUTHOR_A.into(), name: "Aurelia".into(), hosted: true };
    reg.put_partner(&p).unwrap();
    reg.put_partner(&PartnerRecord { name: "Aurelia CERT".into(), ..p.clone() }).unwrap();
    assert_eq!(reg.partners().unwrap(), vec![PartnerRecord { name: "Aurelia CERT".into(), ..p }]);
    assert!(reg.partner(AUTHOR_B).unwrap().is_none());

    let t = TokenRecord {
        id: "abcd1234".into(), hash: vec![1, 2, 3], partner: AUTHOR_A.into(), user: "ana".into(),
        role: Role::Analyst, created: 10, expires: Some(20), revoked: false,
    };
    reg.put_token(&t).unwrap();
    assert_eq!(reg.token("abcd1234").unwrap(), Some(t.clone()));
    assert!(reg.revoke_token("abcd1234").unwrap());
    assert!(!reg.revoke_token("nope").unwrap());
    assert!(reg.token("abcd1234").unwrap().unwrap().revoked);
    assert_eq!(reg.tokens().unwrap().len(), 1);

    let u = UserRecord {
        name: "ana".into(), partner: AUTHOR_A.into(), role: Role::Liaison,
        password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(), created: 11, disabled: false,
    };
    reg.put_user(&u).unwrap();
    assert_eq!(reg.user("ana").unwrap(), Some(u.clone()));
    assert!(reg.user("Ana").unwrap().is_none(), "names are exact");
    let disabled = UserRecord { disabled: true, role: Role::Viewer, password: "$argon2id$other".into(), ..u.clone() };
    reg.put_user(&disabled).unwrap();
    reg.put_user(&UserRecord { name: "bo".into(), ..u.clone() }).unwrap();
    assert_eq!(reg.users().unwrap(), vec![disabled, UserRecord { name: "bo".into(), ..u }], "replaced in place, by name");

    let c = CollectionRecord {
        id: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(), title: "Shared".into(), description: None,
        readers: Access::All, writers: Access::Partners(vec![AUTHOR_A.into()]),
    };
    assert!(reg.put_collection(&c).unwrap());
    assert!(!reg.put_collection(&c).unwrap(), "ids are unique");
    assert_eq!(reg.collection(&c.id).unwrap(), Some(c.clone()));
    assert!(c.writers.allows(AUTHOR_A) && !c.writers.allows(AUTHOR_B) && c.readers.allows(AUTHOR_B));

    reg.put_status("s1", AUTHOR_A, b"{\"status\":\"pending\"}").unwrap();
    reg.put_status("s1", AUTHOR_A, b"{\"status\":\"complete\"}").unwrap();
    assert_eq!(reg.status("s1").unwrap(), Some((AUTHOR_A.to_owned(), b"{\"status\":\"complete\"}".to_vec())));
    assert!(reg.status("s2").unwrap().is_none());
    // Pending statuses are found (a complete one whose text quotes the
    // mark is not), and replaced only while they read as they did.
    let pending = br#"{"id":"s3","status":"pending","pendings":[]}"#;
    reg.put_status("s3", AUTHOR_B, pending).unwrap();
    reg.put_status("s4", AUTHOR_B, br#"{"status":"complete","failures":[{"message":"\"status\":\"pending\""}]}"#).unwrap();
    assert_eq!(reg.pending_statuses().unwrap(), vec![("s3".to_owned(), AUTHOR_B.to_owned(), pending.to_vec())]);
    assert!(!reg.replace_status("s3", b"{}", b"{\"status\":\"complete\"}").unwrap(), "not as it was");
    assert!(reg.replace_status("s3", pending, b"{\"status\":\"complete\"}").unwrap());
    assert!(reg.pending_statuses().unwrap().is_empty());
    assert_eq!(reg.status("s3").unwrap(), Some((AUTHOR_B.to_owned(), b"{\"status\":\"complete\"}".to_vec())));

    let peer = PeerRecord {
        id: "5a1f0c7e-2b8d-4e6a-9c3f-1d2e3f4a5b6c".into(), url: "https://node-b.example:8443/taxii2/".into(),
        partner: AUTHOR_B.into(), ca_pem: Some("-----BEGIN CERTIFICATE-----\n...".into()), created: 5,
    };
    assert!(reg.put_peer(&peer).unwrap());
    assert!(!reg.put_peer(&peer).unwrap(), "ids are unique");
    let second = PeerRecord { id: "6b2f0c7e-2b8d-4e6a-9c3f-1d2e3f4a5b6c".into(), ca_pem: None, created: 6, ..peer.clone() };
    assert!(reg.put_peer(&second).unwrap());
    assert_eq!(reg.peers().unwrap(), vec![peer.clone(), second.clone()]);
    assert!(reg.remove_peer(&peer.id).unwrap());
    assert!(!reg.remove_peer(&peer.id).unwrap());
    assert_eq!(reg.peers().unwrap(), vec![second]);

    assert_eq!(reg.setting("k").unwrap(), None);
    assert_eq!(reg.init_setting("k", "one").unwrap(), "one");
    assert_eq!(reg.init_setting("k", "two").unwrap(), "one", "the first value stays");
    assert_eq!(reg.setting("k").unwrap().as_deref(), Some("one"));
}

/// A gate hides versions before paging: pages hold only what passes, `more`
/// and `next` say nothing of what does not, and every page size sees the
/// same set exactly once.
pub fn gate_filters_before_paging<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let objs: Vec<Object> = (0..300).map(|n| indicator(n, 0, AUTHOR_A)).collect();
    put_ok(&*store, &objs);
    // Only every seventh object passes, and none after the 200th.
    let passes = |r: &crate::Record| {
        let n: u32 = r.id[r.id.len() - 12..].parse().unwrap();
        n.is_multiple_of(7) && n < 200
    };
    let expected: Vec<String> = (0..200).filter(|n| n % 7 == 0).map(id).collect();
    for limit in [1, 2, 5, 29, 1000] {
        let mut q = Query { limit: Some(limit), gate: Some(Gate::new(passes)), ..Query::default() };
        let mut seen = Vec::new();
        loop {
            let page = store.query(&q).unwrap();
            assert!(page.records.len() <= limit);
            assert!(page.records.iter().all(passes), "a refused version was served");
            seen.extend(page.records.iter().map(|r| r.id.clone()));
            if !page.more {
                assert!(page.next.is_none());
                break;
            }
            assert!(!page.records.is_empty(), "more with an empty page");
            q.after = page.next;
        }
        assert_eq!(seen, expected, "limit {limit}");
    }
    // The last page says no more even though refused versions follow it.
    let q = Query { limit: Some(expected.len()), gate: Some(Gate::new(passes)), ..Query::default() };
    let page = store.query(&q).unwrap();
    assert_eq!(page.records.len(), expected.len());
    assert!(!page.more, "refused versions after the last visible one must not make `more`");
    // scan applies the gate too.
    let mut n = 0;
    let passed = store
        .scan(&Query { gate: Some(Gate::new(passes)), ..Query::default() }, &mut |r| {
            assert!(passes(&r));
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!((n, passed), (expected.len(), expected.len() as u64));
}

/// With a gate, `first` and `last` are the first and last versions the gate
/// lets through, not the first and last stored: a newer version the reader
/// may not see does not hide the older one it may, and an object whose only
/// visible version is a middle one (a recall's revoked version, say) has it
/// as both. Chosen within the scope (the collection, else the store), then
/// filtered by `added_after` and paged like any other gated read: no
/// repeats, nothing skipped, `more` and `next` silent about what the gate
/// refused, the same through `query`, `visit` and `scan`. Versions the
/// store only compares with are asked with `Gate::sees`: `allows` sees
/// exactly what is handed over.
pub fn gated_first_and_last_are_the_readers<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    // Versions 2, then 0, then 1 of objects 0..16, all in collection "c";
    // object 100 has version 0 in "c" and version 1 outside it.
    for v in [2, 0, 1] {
        put_in(&*store, "c", &(0..16).map(|n| indicator(n, v, AUTHOR_A)).collect::<Vec<_>>());
    }
    put_in(&*store, "c", &[indicator(100, 0, AUTHOR_A)]);
    put_ok(&*store, &[indicator(100, 1, AUTHOR_A)]);
    let after_v2 = all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() })
        .iter()
        .filter(|r| r.version_micros == ts("2024-01-01T00:00:02Z").micros())
        .map(|r| r.date_added.0)
        .max()
        .unwrap();
    let number = |r: &Record| -> u32 { r.id[r.id.len() - 12..].parse().unwrap() };
    let v = |r: &Record| (r.version_micros - ts("2024-01-01T00:00:00Z").micros()) / 1_000_000;
    // n % 4: 0 sees every version; 1 all but the newest; 2 only the middle
    // one; 3 none. Object 100: both.
    let sees = move |r: &Record| match (number(r), v(r)) {
        (100, _) => true,
        (n, v) if n % 4 == 0 => v <= 2,
        (n, v) if n % 4 == 1 => v <= 1,
        (n, v) if n % 4 == 2 => v == 1,
        _ => false,
    };
    let noted = Arc::new(std::sync::Mutex::new(Vec::new()));
    let gate = {
        let noted = noted.clone();
        Gate::noting(
            move |r| {
                let pass = sees(r);
                if pass {
                    noted.lock().unwrap().push((r.id.clone(), r.version.clone()));
                }
                pass
            },
            sees,
        )
    };
    let key = |r: &Record| (r.id.clone(), r.version.clone());
    let at1 = ts("2024-01-01T00:00:01Z");
    for collection in [None, Some("c")] {
        let scope = all_records(&*store, &Query { collection: collection.map(str::to_owned), versions: Versions::ALL, ..Query::default() });
        for versions in [Versions::LAST, Versions::FIRST, Versions { first: true, last: true, all: false, at: vec![] }, Versions { last: true, at: vec![at1.clone()], first: false, all: false }] {
            for added_after in [None, Some(after_v2)] {
                // By hand: per object, the versions the gate lets through, then the choice.
                let mut expected: Vec<&Record> = scope
                    .iter()
                    .filter(|r| sees(r))
                    .filter(|r| {
                        let mine = scope.iter().filter(|o| o.id == r.id && sees(o));
                        let (lo, hi) = (mine.clone().map(|o| o.version_micros).min().unwrap(), mine.map(|o| o.version_micros).max().unwrap());
                        versions.at.iter().any(|t| t.micros() == r.version_micros)
                            || (versions.last && r.version_micros == hi)
                            || (versions.first && r.version_micros == lo)
                    })
                    .filter(|r| added_after.is_none_or(|a| r.date_added.0 > a))
                    .collect();
                expected.sort_by_key(|r| r.date_added);
                let expected: Vec<(String, String)> = expected.into_iter().map(key).collect();
                let case = format!("collection {collection:?} {versions:?} added_after {added_after:?}");
                let base = Query {
                    collection: collection.map(str::to_owned),
                    versions: versions.clone(),
                    added_after,
                    gate: Some(gate.clone()),
                    ..Query::default()
                };
                for limit in [1, 2, 5, 1000] {
                    let mut q = Query { limit: Some(limit), ..base.clone() };
                    let mut seen = Vec::new();
                    loop {
                        noted.lock().unwrap().clear();
                        let page = store.query(&q).unwrap();
                        let (visits, more) = visited(&*store, &q);
                        assert_eq!(visits, page.records, "{case} limit {limit}: visit and query differ");
                        assert_eq!(more, page.more, "{case} limit {limit}");
                        // What `allows` saw: chosen versions only (the page, and the
                        // one after it that tells `more`), never one compared with.
                        for n in noted.lock().unwrap().iter() {
                            assert!(expected.contains(n), "{case}: the gate noted {n:?}, which is not chosen");
                        }
                        seen.extend(page.records.iter().map(key));
                        if !page.more {
                            assert!(page.next.is_none());
                            break;
                        }
                        assert!(!page.records.is_empty(), "{case}: more with an empty page");
                        q.after = page.next;
                    }
                    assert_eq!(seen, expected, "{case} limit {limit}");
                }
                let scanned: Vec<(String, String)> = all_records(&*store, &base).iter().map(key).collect();
                assert_eq!(scanned, expected, "{case}: scan");
            }
        }
    }
    // The example: only the older version is visible, so it is the last.
    let one = Query { ids: vec![id(1)], gate: Some(gate.clone()), ..Query::default() };
    let got: Vec<String> = store.query(&one).unwrap().records.into_iter().map(|r| r.version).collect();
    assert_eq!(got, vec!["2024-01-01T00:00:01.000Z".to_owned()]);
    let first = Query { ids: vec![id(2)], versions: Versions::FIRST, gate: Some(gate.clone()), ..Query::default() };
    let got: Vec<String> = store.query(&first).unwrap().records.into_iter().map(|r| r.version).collect();
    assert_eq!(got, vec!["2024-01-01T00:00:01.000Z".to_owned()]);
    // Without a gate, first and last are the stored ones.
    let ungated: Vec<String> = store.query(&Query { ids: vec![id(1)], ..Query::default() }).unwrap().records.into_iter().map(|r| r.version).collect();
    assert_eq!(ungated, vec!["2024-01-01T00:00:02.000Z".to_owned()]);
}

/// `visit` hands over exactly the records `query` returns, page by page,
/// with and without a gate, in and out of a collection, so a backend that
/// refills one record from row to row carries nothing over from the row
/// before (an author, a longer name). An error from the callback stops it.
pub fn visit_matches_query<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let mut objs = Vec::new();
    for n in 0..40u32 {
        let mut v = indicator(n, 0, if n % 3 == 0 { AUTHOR_A } else { AUTHOR_B }).to_value();
        v["name"] = json!("x".repeat((n as usize * 37) % 300));
        objs.push(Object::from_value(v).unwrap());
        // An SCO: no author, no `modified`.
        objs.push(
            Object::from_value(json!({
                "type": "ipv4-addr",
                "id": format!("ipv4-addr--00000000-0000-5000-8000-{n:012}"),
                "value": format!("192.0.2.{n}"),
            }))
            .unwrap(),
        );
    }
    put_in(&*store, "c", &objs);
    let not_b = |r: &crate::Record| r.created_by_ref.as_deref() != Some(AUTHOR_B);
    for collection in [None, Some("c")] {
        for gate in [None, Some(Gate::new(not_b))] {
            for limit in [1, 7, 1000] {
                let mut q = Query { collection: collection.map(str::to_owned), gate: gate.clone(), limit: Some(limit), ..Query::default() };
                let mut pages = 0;
                loop {
                    let page = store.query(&q).unwrap();
                    let (seen, more) = visited(&*store, &q);
                    let case = format!("collection {collection:?}, gate {}, limit {limit}, page {pages}", gate.is_some());
                    assert_eq!(seen, page.records, "{case}");
                    assert_eq!(more, page.more, "{case}");
                    pages += 1;
                    if !more {
                        break;
                    }
                    q.after = seen.last().map(|r| Cursor(r.date_added));
                    assert_eq!(q.after, page.next, "{case}");
                }
                let visible = if gate.is_some() { 40 + 40 - (0..40).filter(|n| n % 3 != 0).count() } else { 80 };
                assert_eq!(pages, visible.div_ceil(limit).max(1), "limit {limit}");
            }
        }
    }
    let mut calls = 0;
    let stopped = store.visit(&Query::default(), &mut |_| {
        calls += 1;
        Err("enough".to_owned())
    });
    assert!(matches!(stopped, Err(crate::Error::Internal(ref m)) if m == "enough"), "{stopped:?}");
    assert_eq!(calls, 1);
}

/// A collection's pages hold its members in the order they joined it,
/// whatever order their objects were stored in: members added as objects
/// arrive, old objects added later (out of the objects' order), members
/// sparse among objects outside the collection, several versions of one
/// object. Each page of `visit` and of a gated `query` is checked against
/// the collection's whole listing (`scan`, ungated), filtered and cut into
/// pages by hand, for every filter a collection read takes.
pub fn collection_pages_follow_membership<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let sco = |n: u32| {
        Object::from_value(json!({"type": "ipv4-addr", "id": format!("ipv4-addr--00000000-0000-5000-8000-{n:012}"), "value": format!("198.51.100.{n}")}))
            .unwrap()
    };
    // Dense: members in arrival order, mixed types.
    put_in(&*store, "c", &(0..30).map(|n| indicator(n, 0, AUTHOR_A)).collect::<Vec<_>>());
    put_in(&*store, "c", &(0..20).map(sco).collect::<Vec<_>>());
    // Objects outside the collection, then sparse members among more of them.
    put_ok(&*store, &(100..160).map(|n| indicator(n, 0, AUTHOR_B)).collect::<Vec<_>>());
    for n in 200..240 {
        if n % 7 == 0 {
            put_in(&*store, "c", &[indicator(n, 0, AUTHOR_A)]);
        } else {
            put_ok(&*store, &[indicator(n, 0, AUTHOR_B)]);
        }
    }
    // Old objects joining later, newest first: each out of the objects' order.
    put_in(&*store, "c", &(100..130).rev().map(|n| indicator(n, 0, AUTHOR_B)).collect::<Vec<_>>());
    // New versions of members, and a new version stored before it joins.
    put_in(&*store, "c", &(0..10).map(|n| indicator(n, 1, AUTHOR_A)).collect::<Vec<_>>());
    put_ok(&*store, &[indicator(20, 1, AUTHOR_A)]);
    put_in(&*store, "c", &[indicator(20, 1, AUTHOR_A)]);

    let everything = all_records(&*store, &Query { collection: Some("c".into()), versions: Versions::ALL, ..Query::default() });
    assert_eq!(everything.len(), 30 + 20 + 6 + 30 + 11, "members");
    let middle = everything[everything.len() / 2].date_added.0;
    let b_refused = Gate::new(|r: &crate::Record| r.created_by_ref.as_deref() != Some(AUTHOR_B) || r.id.ends_with('3'));
    for versions in [Versions::ALL, Versions::LAST, Versions::FIRST] {
        for types in [vec![], vec!["indicator".to_owned()], vec!["ipv4-addr".to_owned(), "malware".to_owned()]] {
            for spec_versions in [vec![], vec!["2.1".to_owned()], vec!["2.0".to_owned()]] {
                for added_after in [None, Some(middle)] {
                    for gate in [None, Some(b_refused.clone())] {
                        let base = Query {
                            collection: Some("c".into()),
                            versions: versions.clone(),
                            types: types.clone(),
                            spec_versions: spec_versions.clone(),
                            added_after,
                            ..Query::default()
                        };
                        let expected: Vec<crate::Record> =
                            all_records(&*store, &base).into_iter().filter(|r| gate.as_ref().is_none_or(|g| g.allows(r))).collect();
                        let case = format!("{versions:?} {types:?} {spec_versions:?} after {added_after:?} gate {}", gate.is_some());
                        for limit in [3, 1000] {
                            let mut q = Query { gate: gate.clone(), limit: Some(limit), ..base.clone() };
                            let mut pages = expected.chunks(limit);
                            loop {
                                let want = pages.next().unwrap_or_default();
                                let (seen, more) = visited(&*store, &q);
                                assert_eq!(seen, want, "visit: {case}, limit {limit}");
                                let page = store.query(&q).unwrap();
                                assert_eq!(page.records, want, "query: {case}, limit {limit}");
                                assert_eq!(more, page.more, "{case}");
                                if !more {
                                    assert!(pages.next().is_none(), "{case}: pages missing");
                                    break;
                                }
                                q.after = page.next;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Sharing under agreements adds a version to each agreement's collection
/// (with a new date there) and records the agreements on the version, in
/// the order they were granted; sharing again adds only what is new.
pub fn shares_join_agreement_collections<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let a = "x-entente-agreement--0a000000-0000-4000-8000-00000000000a";
    let c = "x-entente-agreement--0c000000-0000-4000-8000-00000000000c";
    let d = "x-entente-agreement--0d000000-0000-4000-8000-00000000000d";
    let share = |objs: &[Object], shares: &[&str]| {
        let options = PutOptions {
            shares: shares.iter().map(|s| s.to_string()).collect(),
            posted_by: Some(AUTHOR_A.into()),
            only_author: true,
            ..PutOptions::default()
        };
        store.put(objs, &options).unwrap()
    };
    let first = share(&[indicator(1, 0, AUTHOR_A), indicator(2, 0, AUTHOR_A)], &[a, c]);
    assert!(first.iter().all(|o| matches!(o, Outcome::Added(_))), "{first:?}");
    let get = |n: u32| store.get(&StixId::parse(&id(n)).unwrap(), &Versions::LAST).unwrap().remove(0);
    assert_eq!(get(1).shared_under, format!("{a} {c}"));
    let in_collection = |coll: &str| -> Vec<crate::Record> {
        all_records(&*store, &Query { collection: Some(crate::agreement_collection(coll)), ..Query::default() })
    };
    assert_eq!(in_collection(a).len(), 2);
    let before = in_collection(a)[0].date_added;
    // Shared again under c and d: only d is new, and the version joins d now.
    let again = share(&[indicator(1, 0, AUTHOR_A)], &[c, d]);
    assert!(matches!(again[0], Outcome::Unchanged(_)), "{again:?}");
    assert_eq!(get(1).shared_under, format!("{a} {c} {d}"));
    assert_eq!(get(2).shared_under, format!("{a} {c}"));
    let joined = in_collection(d);
    assert_eq!(joined.len(), 1);
    assert!(joined[0].date_added > before, "a later share is a later arrival in that collection");
    // Another partner cannot share the author's object.
    let options = PutOptions {
        shares: vec![d.to_string()],
        posted_by: Some(AUTHOR_B.into()),
        only_author: true,
        ..PutOptions::default()
    };
    let refused = store.put(&[indicator(2, 0, AUTHOR_A)], &options).unwrap();
    assert!(matches!(refused[0], Outcome::NotAuthor(_)), "{refused:?}");
    assert_eq!(get(2).shared_under, format!("{a} {c}"));
    // Removing it from one agreement's collection unshares it there only.
    let gone = store.delete(&StixId::parse(&id(1)).unwrap(), &Versions::ALL, Some(&crate::agreement_collection(c))).unwrap();
    assert_eq!(gone, 1);
    assert_eq!(get(1).shared_under, format!("{a} {d}"));
    // A new version is not shared until its author shares it.
    share(&[indicator(1, 1, AUTHOR_A)], &[]);
    assert_eq!(get(1).shared_under, "");
}

/// When the latest version revokes an object, every version carries the
/// recall; deleting that version lifts it.
pub fn recall_marks_every_version<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let revoked = |n: u32, v: u32| {
        let mut value = indicator(n, v, AUTHOR_A).to_value();
        value["revoked"] = json!(true);
        Object::from_value(value).unwrap()
    };
    let key = StixId::parse(&id(1)).unwrap();
    let recalls = || -> Vec<bool> { store.get(&key, &Versions::ALL).unwrap().iter().map(|r| r.recalled).collect() };
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A), indicator(1, 1, AUTHOR_A)]);
    assert_eq!(recalls(), [false, false]);
    put_ok(&*store, &[revoked(1, 2)]);
    assert_eq!(recalls(), [true, true, true]);
    // An older version arriving late is recalled too.
    put_ok(&*store, &[indicator(1, 3, AUTHOR_A)]);
    assert_eq!(recalls(), [false, false, false, false], "a later unrevoked version lifts the recall");
    store.delete(&key, &Versions::at(ts("2024-01-01T00:00:03.000Z")), None).unwrap();
    assert_eq!(recalls(), [true, true, true]);
    // In one batch: versions and their revocation together.
    put_ok(&*store, &[indicator(2, 0, AUTHOR_A), revoked(2, 1)]);
    let key2 = StixId::parse(&id(2)).unwrap();
    let r: Vec<bool> = store.get(&key2, &Versions::ALL).unwrap().iter().map(|r| r.recalled).collect();
    assert_eq!(r, [true, true]);
    store.delete(&key2, &Versions::LAST, None).unwrap();
    let r: Vec<bool> = store.get(&key2, &Versions::ALL).unwrap().iter().map(|r| r.recalled).collect();
    assert_eq!(r, [false]);
    let _ = Cursor(crate::DateAdded(0));
}

/// Each version is stored with its release facts; an object without
/// `created_by_ref` is attributed to the partner that submitted it.
pub fn release_facts_are_stored<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let options = PutOptions { posted_by: Some(AUTHOR_B.into()), ..PutOptions::default() };
    store.put(&[indicator(1, 0, AUTHOR_A), sco("10.0.0.1", None)], &options).unwrap();
    let read = |raw: &str| {
        let key = StixId::parse(raw).unwrap();
        let r = store.get(&key, &Versions::LAST).unwrap().remove(0);
        policy::ObjectFacts::decode(key, None, &r.facts).expect("stored facts decode")
    };
    let f = read(&id(1));
    assert_eq!(f.author.as_ref().map(|a| a.as_str()), Some(AUTHOR_A));
    assert_eq!(f.object_type, "indicator");
    let f = read("ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd");
    assert_eq!(f.author.as_ref().map(|a| a.as_str()), Some(AUTHOR_B));
}

/// The observable index: an indicator's tested value and an SCO's value meet
/// under one key (normalised), a query by key finds both, in a collection
/// too, through the gate; deleting a version removes its entries.
pub fn observables_are_indexed<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    put_in(&*store, "c1", &[indicator(7, 0, AUTHOR_A), sco("10.0.0.7", None), indicator(8, 0, AUTHOR_A)]);
    let key = ObservableKey::new("ipv4-addr", "10.0.0.7");
    let by_key = |q: Query| -> Vec<String> {
        all_records(&*store, &Query { observables: vec![key], ..q }).into_iter().map(|r| r.id).collect()
    };
    let sco_id = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd".to_string();
    assert_eq!(by_key(Query::default()), vec![id(7), sco_id.clone()]);
    assert_eq!(by_key(Query { collection: Some("c1".into()), ..Query::default() }), vec![id(7), sco_id.clone()]);
    assert_eq!(by_key(Query { types: vec!["indicator".into()], ..Query::default() }), vec![id(7)]);
    let only_scos = Gate::new(|r: &Record| r.object_type == "ipv4-addr");
    assert_eq!(by_key(Query { gate: Some(only_scos), ..Query::default() }), vec![sco_id.clone()]);
    // A key nothing carries, and a second key ORed in.
    let none = ObservableKey::new("ipv4-addr", "10.0.0.9");
    assert!(all_records(&*store, &Query { observables: vec![none], ..Query::default() }).is_empty());
    let eight = ObservableKey::new("ipv4-addr", "10.0.0.8");
    let both = all_records(&*store, &Query { observables: vec![none, eight], ..Query::default() });
    assert_eq!(both.into_iter().map(|r| r.id).collect::<Vec<_>>(), vec![id(8)]);
    // Entries go with their version.
    store.delete(&StixId::parse(&sco_id).unwrap(), &Versions::ALL, None).unwrap();
    assert_eq!(by_key(Query::default()), vec![id(7)]);
}

/// A partnership record is indexed under each record it names (its
/// agreement, the channel of a message); intelligence objects are not,
/// whatever they name.
pub fn records_are_indexed_by_what_they_name<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let agreement = |n: u32| format!("x-entente-agreement--00000000-0000-4000-8000-{n:012}");
    let ratification = |n: u32, of: &str| {
        Object::from_value(serde_json::json!({
            "type": "x-entente-ratification", "spec_version": "2.1", "id": format!("x-entente-ratification--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": AUTHOR_A,
            "agreement_ref": of, "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]
        }))
        .unwrap()
    };
    let mut loose = indicator(7, 0, AUTHOR_A).to_value();
    loose["agreement_ref"] = serde_json::Value::from(agreement(1));
    store
        .put(&[ratification(1, &agreement(1)), ratification(2, &agreement(2)), ratification(3, &agreement(1)), Object::from_value(loose).unwrap()], &PutOptions::default())
        .unwrap();
    let naming = |target: &str| -> Vec<String> {
        let q = Query { observables: vec![ObservableKey::refers_to(target)], ..Query::default() };
        all_records(&*store, &q).into_iter().map(|r| r.id).collect()
    };
    let r = |n: u32| format!("x-entente-ratification--00000000-0000-4000-8000-{n:012}");
    assert_eq!(naming(&agreement(1)), vec![r(1), r(3)], "an indicator is no partnership record, whatever it names");
    assert_eq!(naming(&agreement(2)), vec![r(2)]);
    // A page at a time, by the key alone (a channel's first page costs a
    // page, whatever the key's size), with the other filters applied.
    let mut q = Query { observables: vec![ObservableKey::refers_to(&agreement(1))], types: vec!["x-entente-ratification".into()], limit: Some(1), ..Query::default() };
    let mut paged = Vec::new();
    loop {
        let page = store.query(&q).unwrap();
        paged.extend(page.records.iter().map(|r| r.id.clone()));
        if !page.more {
            break;
        }
        q.after = page.next;
    }
    assert_eq!(paged, vec![r(1), r(3)]);
    let other_type = Query { observables: vec![ObservableKey::refers_to(&agreement(1))], types: vec!["indicator".into()], ..Query::default() };
    assert!(all_records(&*store, &other_type).is_empty());
    assert!(naming(AUTHOR_A).is_empty(), "the author is not indexed");
    assert!(naming("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1").is_empty(), "markings are not indexed");
    store.delete(&StixId::parse(&r(1)).unwrap(), &Versions::ALL, None).unwrap();
    assert_eq!(naming(&agreement(1)), vec![r(3)]);
}

/// A relationship is indexed under both its ends, a report, note or
/// opinion under every object it names; an object page reads its links
/// both ways by that key. Other objects are not, whatever they name, and
/// the key is no partnership record's.
pub fn links_are_indexed_by_what_they_link<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let object = |v: serde_json::Value| Object::from_value(v).unwrap();
    let base = |ty: &str, n: u32| serde_json::json!({ "type": ty, "spec_version": "2.1", "id": format!("{ty}--00000000-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": AUTHOR_A });
    let (seven, eight, malware) = (id(7), id(8), "malware--00000000-0000-4000-8000-000000000009".to_owned());
    let mut relationship = base("relationship", 1);
    relationship["relationship_type"] = "indicates".into();
    relationship["source_ref"] = seven.clone().into();
    relationship["target_ref"] = malware.clone().into();
    let mut report = base("report", 2);
    report["name"] = "r".into();
    report["published"] = "2026-01-01T00:00:00Z".into();
    report["object_refs"] = serde_json::json!([seven, eight]);
    let mut note = base("note", 3);
    note["content"] = "n".into();
    note["object_refs"] = serde_json::json!([eight]);
    let mut naming_indicator = indicator(10, 0, AUTHOR_A).to_value();
    naming_indicator["x_target_ref"] = malware.clone().into();
    store.put(&[indicator(7, 0, AUTHOR_A), object(relationship), object(report), object(note), object(naming_indicator)], &PutOptions::default()).unwrap();
    let linking = |target: &str| -> Vec<String> {
        let q = Query { observables: vec![ObservableKey::linked(target)], ..Query::default() };
        let mut ids: Vec<String> = all_records(&*store, &q).into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    let r = "relationship--00000000-0000-4000-8000-000000000001".to_owned();
    let rep = "report--00000000-0000-4000-8000-000000000002".to_owned();
    let n = "note--00000000-0000-4000-8000-000000000003".to_owned();
    assert_eq!(linking(&seven), vec![r.clone(), rep.clone()], "a relationship by its source, a report by what it names");
    assert_eq!(linking(&malware), vec![r.clone()], "a relationship by its target; an indicator naming it is no link");
    assert_eq!(linking(&eight), vec![n.clone(), rep.clone()]);
    assert!(linking(AUTHOR_A).is_empty(), "the author is not indexed");
    let as_record = Query { observables: vec![ObservableKey::refers_to(&seven)], ..Query::default() };
    assert!(all_records(&*store, &as_record).is_empty(), "a link is not a partnership record's reference");
    store.delete(&StixId::parse(&r).unwrap(), &Versions::ALL, None).unwrap();
    assert_eq!(linking(&seven), vec![rep]);
}

/// A sighting is indexed under what it is of (`sighting_of_ref`); an
/// object page finds its sightings by that key, never by reading them all.
pub fn sightings_are_indexed_by_what_they_are_of<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let sighting = |n: u32, of: &str| {
        Object::from_value(serde_json::json!({
            "type": "sighting", "spec_version": "2.1", "id": format!("sighting--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": AUTHOR_A,
            "sighting_of_ref": of
        }))
        .unwrap()
    };
    let (seven, eight) = (id(7), id(8));
    store
        .put(&[indicator(7, 0, AUTHOR_A), sighting(1, &seven), sighting(2, &eight), sighting(3, &seven)], &PutOptions::default())
        .unwrap();
    let of = |target: &str| -> Vec<String> {
        let q = Query { types: vec!["sighting".into()], observables: vec![ObservableKey::sighting_of(target)], ..Query::default() };
        all_records(&*store, &q).into_iter().map(|r| r.id).collect()
    };
    let s = |n: u32| format!("sighting--00000000-0000-4000-8000-{n:012}");
    assert_eq!(of(&seven), vec![s(1), s(3)]);
    assert_eq!(of(&eight), vec![s(2)]);
    assert!(of(&id(9)).is_empty());
    // The key is not an observable of the indicator itself.
    assert!(all_records(&*store, &Query { observables: vec![ObservableKey::sighting_of(&seven)], types: vec!["indicator".into()], ..Query::default() }).is_empty());
    store.delete(&StixId::parse(&s(1)).unwrap(), &Versions::ALL, None).unwrap();
    assert_eq!(of(&seven), vec![s(3)]);
}

/// A checkpoint is written in the batch's own transaction; received
/// versions carry their holder and agreement in their release facts.
pub fn checkpoints_move_with_their_batch<B: Store + Registry + 'static>(b: Arc<B>) {
    let reg: Arc<dyn Registry> = b.clone();
    let store: Arc<dyn Store> = b;
    let agreement = "x-entente-agreement--0a0b0c0d-0000-4000-8000-000000000001";
    let options = PutOptions {
        posted_by: Some(AUTHOR_B.into()),
        received_under: Some(agreement.into()),
        checkpoint: Some(("sync:peer:c".into(), "2026-01-01T00:00:00.000001Z".into())),
        ..PutOptions::default()
    };
    store.put(&[indicator(21, 0, AUTHOR_A)], &options).unwrap();
    assert_eq!(reg.setting("sync:peer:c").unwrap().as_deref(), Some("2026-01-01T00:00:00.000001Z"));
    let again = PutOptions { checkpoint: Some(("sync:peer:c".into(), "later".into())), ..options };
    store.put(&[indicator(21, 0, AUTHOR_A)], &again).unwrap();
    assert_eq!(reg.setting("sync:peer:c").unwrap().as_deref(), Some("later"), "a re-put still moves the cursor");
    let key = StixId::parse(&id(21)).unwrap();
    let r = store.get(&key, &Versions::LAST).unwrap().remove(0);
    let facts = policy::ObjectFacts::decode(key, None, &r.facts).expect("stored facts decode");
    let via = facts.via.expect("received versions say so");
    assert_eq!((via.holder.as_str(), via.agreement.as_str()), (AUTHOR_B, agreement));
    assert_eq!(facts.author.as_ref().map(|a| a.as_str()), Some(AUTHOR_A));
}

/// Signatures are written in the same transaction as their versions, kept
/// once per version (the first stays), read back by (id, version), and go
/// when their version is deleted.
pub fn signatures_are_kept_with_their_versions<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let (v0, v1) = (indicator(31, 0, AUTHOR_A), indicator(31, 1, AUTHOR_A));
    let sig = |o: &Object, value: &str| {
        let (id, version_micros) = Signature::key_of(o);
        Signature { id, version_micros, signer: AUTHOR_A.into(), value: value.into() }
    };
    let options = PutOptions { signatures: vec![sig(&v0, "first"), sig(&v1, "second")], ..PutOptions::default() };
    store.put(&[v0.clone(), v1.clone()], &options).unwrap();
    // A later signature for the same version does not replace the first.
    store.put(&[], &PutOptions { signatures: vec![sig(&v0, "other")], ..PutOptions::default() }).unwrap();
    let keys = vec![Signature::key_of(&v0), Signature::key_of(&v1), (id(99), 0)];
    let mut got = store.signatures(&keys).unwrap();
    got.sort_by_key(|s| s.version_micros);
    assert_eq!(got, vec![sig(&v0, "first"), sig(&v1, "second")]);
    // An unversioned object keeps its signature under 0.
    let ip = sco("198.51.100.7", None);
    let (ip_id, ip_version) = Signature::key_of(&ip);
    assert_eq!(ip_version, 0);
    store.put(std::slice::from_ref(&ip), &PutOptions { signatures: vec![sig(&ip, "sco")], ..PutOptions::default() }).unwrap();
    assert_eq!(store.signatures(&[(ip_id.clone(), 0)]).unwrap().len(), 1);
    // Deleting a version deletes its signature, and only its.
    let key = StixId::parse(&id(31)).unwrap();
    assert_eq!(store.delete(&key, &Versions::FIRST, None).unwrap(), 1);
    assert_eq!(store.signatures(&keys).unwrap(), vec![sig(&v1, "second")]);
    store.delete(ip.id(), &Versions::ALL, None).unwrap();
    assert!(store.signatures(&[(ip_id, 0)]).unwrap().is_empty());
}

/// A read by arrival (`Query::through`) hands over each version once as
/// stored and once per membership of the `through` collections, each with
/// its own date, all in one date order: a version shared later under one
/// of them comes again after a cursor that passed its storing. Filters,
/// paging, `visit` and `scan` agree; other collections are left out.
pub fn reads_by_arrival_date_each_membership<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let a = "x-entente-agreement--0a000000-0000-4000-8000-00000000000a";
    let c = "x-entente-agreement--0c000000-0000-4000-8000-00000000000c";
    let share = |objs: &[Object], shares: &[&str]| {
        let options = PutOptions { shares: shares.iter().map(|s| s.to_string()).collect(), ..PutOptions::default() };
        store.put(objs, &options).unwrap()
    };
    share(&[indicator(1, 0, AUTHOR_A)], &[c]);
    put_ok(&*store, &[malware(2)]);
    put_in(&*store, "registry-collection", &[indicator(3, 0, AUTHOR_A)]);
    let cursor = store.get(&StixId::parse(&id(3)).unwrap(), &Versions::LAST).unwrap()[0].date_added;
    // Shared later under a: a new arrival, after the cursor.
    share(&[indicator(1, 0, AUTHOR_A)], &[a]);
    let q = Query { through: vec![a.to_owned()], versions: Versions::ALL, ..Query::default() };
    let rows = all_records(&*store, &q);
    let seen: Vec<(String, Option<String>)> = rows.iter().map(|r| (r.id.clone(), r.via.clone())).collect();
    let own = Some(String::new());
    assert_eq!(
        seen,
        vec![(id(1), own.clone()), ("malware--00000000-0000-4000-8000-000000000002".to_owned(), own.clone()), (id(3), own.clone()), (id(1), Some(a.to_owned()))],
        "each version as stored, then its membership of a (not of c, nor the registry collection)"
    );
    assert!(rows.windows(2).all(|w| w[0].date_added < w[1].date_added), "one date order");
    assert!(rows[3].date_added > cursor, "the later share arrives after the cursor");
    let after = all_records(&*store, &Query { added_after: Some(cursor.0), ..q.clone() });
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].via.as_deref(), Some(a));
    // Filters apply to both kinds of row; plain reads say nothing of arrival.
    let typed = all_records(&*store, &Query { types: vec!["indicator".into()], ..q.clone() });
    assert_eq!(typed.len(), 3);
    let by_id = all_records(&*store, &Query { ids: vec![id(1)], ..q.clone() });
    assert_eq!(by_id.len(), 2);
    assert!(all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() }).iter().all(|r| r.via.is_none()));
    // Paged one at a time, gated or not, the same rows in the same order.
    for gate in [None, Some(crate::Gate::new(|_| true))] {
        let mut paged = Vec::new();
        let mut next = None;
        loop {
            let page = store.query(&Query { limit: Some(1), after: next, gate: gate.clone(), ..q.clone() }).unwrap();
            paged.extend(page.records.iter().map(|r| (r.date_added, r.via.clone())));
            if !page.more {
                break;
            }
            next = page.next;
        }
        assert_eq!(paged, rows.iter().map(|r| (r.date_added, r.via.clone())).collect::<Vec<_>>());
        let (visits, more) = visited(&*store, &Query { limit: Some(2), gate: gate.clone(), ..q.clone() });
        assert!(more);
        assert_eq!(visits.iter().map(|r| r.date_added).collect::<Vec<_>>(), rows[..2].iter().map(|r| r.date_added).collect::<Vec<_>>());
    }
}

/// Re-offering a collection gives its members fresh dates, in their order,
/// after everything stored before, once per value of its setting; other
/// collections and the versions themselves keep their dates.
pub fn reoffer_gives_members_fresh_dates_once<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b.clone();
    let a = "x-entente-agreement--0a000000-0000-4000-8000-00000000000a";
    let members = |c: &str| all_records(&*store, &Query { collection: Some(c.to_owned()), versions: Versions::ALL, ..Query::default() });
    store.put(&[indicator(1, 0, AUTHOR_A), indicator(2, 0, AUTHOR_A)], &PutOptions { shares: vec![a.to_owned()], ..PutOptions::default() }).unwrap();
    put_in(&*store, "other", &[indicator(1, 0, AUTHOR_A)]);
    put_ok(&*store, &[malware(3)]);
    let before = members(a);
    let other = members("other");
    let stored = all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() });
    let newest = stored.iter().map(|r| r.date_added).chain(other.iter().map(|r| r.date_added)).max().unwrap();
    assert!(store.reoffer(a, "reoffer:a", "period 1").unwrap());
    let after = members(a);
    assert_eq!(after.iter().map(|r| &r.id).collect::<Vec<_>>(), before.iter().map(|r| &r.id).collect::<Vec<_>>(), "same members, same order");
    assert!(after.iter().all(|r| r.date_added > newest), "after everything stored before");
    assert!(after.windows(2).all(|w| w[0].date_added < w[1].date_added));
    assert_eq!(b.setting("reoffer:a").unwrap().as_deref(), Some("period 1"));
    assert_eq!(members("other"), other, "other collections keep their dates");
    assert_eq!(all_records(&*store, &Query { versions: Versions::ALL, ..Query::default() }), stored, "versions keep theirs");
    // The same value again: nothing moves. A new one: again.
    assert!(!store.reoffer(a, "reoffer:a", "period 1").unwrap());
    assert_eq!(members(a), after);
    assert!(store.reoffer(a, "reoffer:a", "period 2").unwrap());
    assert!(members(a)[0].date_added > after[1].date_added);
    // Dates stay unique and increasing for what comes next.
    let later = put_ok(&*store, &[malware(4)]);
    let Outcome::Added(d) = later[0] else { panic!("{later:?}") };
    assert!(d > members(a)[1].date_added);
    // Nothing to re-offer: only the setting moves.
    assert!(store.reoffer("x-entente-agreement--0e000000-0000-4000-8000-00000000000e", "reoffer:e", "1").unwrap());
}

/// A counted text search reads the hits beyond its page without their
/// JSON ([`crate::TextQuery::without_json`]) and everything else the
/// release decision reads intact (author, submitter, facts, agreements,
/// recall, flags); two readers of the same query get their own counts,
/// each of the hits it may see only; and a `keep` that reads the JSON
/// ([`crate::TextQuery::keep_reads_json`]) is given it while counting.
pub fn text_counts_read_the_release_facts<B: Store + Registry + 'static>(b: Arc<B>) {
    use crate::text::{search_counted, TextQuery};
    use std::sync::Mutex;
    let store: Arc<dyn Store> = b;
    let agreement = "x-entente-agreement--0c000000-0000-4000-8000-00000000000c";
    // 120 campaigns "Avalanche n": one of three by A, the rest by B, the
    // even ones shared under an agreement and submitted by A, one recalled.
    let campaign = |n: u32| {
        let author = if n % 3 == 0 { AUTHOR_A } else { AUTHOR_B };
        let mut v = json!({ "type": "campaign", "spec_version": "2.1", "id": format!("campaign--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author,
            "name": format!("Avalanche {n}"), "description": format!("Wave number {n} of the avalanche") });
        if n == 7 {
            v["revoked"] = json!(true);
        }
        Object::from_value(v).unwrap()
    };
    let (even, odd): (Vec<u32>, Vec<u32>) = (0..120).partition(|n| n % 2 == 0);
    let shared = PutOptions { shares: vec![agreement.into()], posted_by: Some(AUTHOR_A.into()), ..PutOptions::default() };
    store.put(&even.iter().map(|n| campaign(*n)).collect::<Vec<_>>(), &shared).unwrap();
    put_ok(&*store, &odd.iter().map(|n| campaign(*n)).collect::<Vec<_>>());

    // The same hits either way, but for the JSON.
    let q = TextQuery { limit: 200, ..TextQuery::new("avalanche") };
    let full = store.text_hits(&q).unwrap();
    let narrow = store.text_hits(&TextQuery { without_json: true, ..q.clone() }).unwrap();
    assert_eq!(full.len(), 120);
    assert_eq!(narrow.len(), 120);
    for ((f, f_last), (n, n_last)) in full.iter().zip(&narrow) {
        assert!(!f.json.is_empty() && n.json.is_empty(), "{}", f.id);
        assert_eq!(f_last, n_last);
        assert_eq!(&crate::Record { json: Vec::new(), ..f.clone() }, n, "all but the JSON");
    }
    assert!(narrow.iter().any(|(r, _)| r.shared_under == agreement && r.posted_by.as_deref() == Some(AUTHOR_A)));
    assert!(narrow.iter().all(|(r, _)| !r.facts.is_empty()), "the facts come with the narrow hits");
    assert!(narrow.iter().any(|(r, _)| r.recalled) && narrow.iter().any(|(r, _)| !r.recalled));

    // Two readers, one query: each counts what it may see, read beyond the
    // page (of 2) without the JSON.
    let seen = Arc::new(Mutex::new(Vec::<(bool, bool)>::new()));
    let reader = |author: &'static str| {
        let seen = seen.clone();
        Gate::new(move |r: &Record| {
            seen.lock().unwrap().push((r.json.is_empty(), r.facts.is_empty()));
            r.created_by_ref.as_deref() == Some(author)
        })
    };
    let count = |gate: &Gate, keep: &dyn Fn(&Record) -> bool, q: &TextQuery, to: usize| {
        let (page, c) = search_counted(&*store, q, gate, keep, 2, 1_000, to, 1_000).unwrap();
        assert!(page.records.iter().all(|r| !r.json.is_empty()), "the page's own hits come whole");
        (page.records.len(), c.counted, c.exact)
    };
    let words = TextQuery::new("avalanche wave");
    assert_eq!(count(&reader(AUTHOR_A), &|_| true, &words, 1_000), (2, 40, true), "A sees its 40");
    assert_eq!(count(&reader(AUTHOR_B), &|_| true, &words, 1_000), (2, 80, true), "B sees its 80");
    assert_eq!(count(&reader(AUTHOR_B), &|_| true, &words, 50), (2, 50, false), "B's, capped");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().any(|(no_json, _)| *no_json), "hits only counted come without their JSON");
    assert!(seen.iter().all(|(_, no_facts)| !no_facts), "every hit the gate decided on had its facts");
    // A `keep` reading the JSON (names ending in an even digit) is given
    // it when it says so.
    let even_name = |r: &Record| {
        serde_json::from_slice::<serde_json::Value>(&r.json)
            .ok()
            .and_then(|v| v["name"].as_str().map(|n| n.ends_with(['0', '2', '4', '6', '8'])))
            .unwrap_or(false)
    };
    let open = Gate::new(|_| true);
    assert_eq!(count(&open, &even_name, &TextQuery { keep_reads_json: true, ..words.clone() }, 1_000), (2, 60, true));
}

/// The text index finds every word whole, or as a prefix when asked (all
/// words needed), in
/// the name, labels, description, pattern and external ids; orders by
/// arrival or by rank (tiers: all words in the name first, then in the
/// labels, the description, anywhere; newest first within); filters by type, author and
/// date; forgets deleted versions; and, searched through a gate
/// ([`crate::text::search`]), shows each object's latest version the
/// reader may see, pages without repeating or skipping when the gate
/// drops hits, and never counts a refused hit.
pub fn text_is_indexed_ranked_and_gated<B: Store + Registry + 'static>(b: Arc<B>) {
    use crate::text::{search, TextOrder, TextQuery};
    let store: Arc<dyn Store> = b;
    let object = |ty: &str, n: u32, author: &str, extra: serde_json::Value| {
        let mut v = json!({ "type": ty, "spec_version": "2.1", "id": format!("{ty}--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        Object::from_value(v).unwrap()
    };
    let named = object("malware", 1, AUTHOR_B, json!({ "name": "GlacierLock", "is_family": true }));
    let described = object("indicator", 2, AUTHOR_A, json!({ "name": "Dropper mail", "description": "Delivers the GlacierLock dropper.",
        "pattern": "[domain-name:value = 'evil-corp.example']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z" }));
    let labelled = object("attack-pattern", 3, AUTHOR_A, json!({ "name": "Spearphishing", "labels": ["Phishing"],
        "external_references": [{ "source_name": "mitre-attack", "external_id": "T1566" }] }));
    put_ok(&*store, &[named.clone(), described.clone(), labelled.clone()]);
    let ids = |q: TextQuery| -> Vec<String> {
        store.text_hits(&TextQuery { limit: 100, ..q }).unwrap().into_iter().map(|(r, _)| r.id).collect()
    };
    let (m, i, a) = (named.id().to_string(), described.id().to_string(), labelled.id().to_string());
    assert_eq!(ids(TextQuery::new("glacierlock")), vec![i.clone(), m.clone()], "newest first");
    assert_eq!(ids(TextQuery { order: TextOrder::Rank, ..TextQuery::new("GlacierLock") }), vec![m.clone(), i.clone()], "a name match ranks first");
    assert!(ids(TextQuery::new("glac")).is_empty(), "a word matches whole");
    assert_eq!(ids(TextQuery::new("glac*")), vec![i.clone(), m.clone()], "a prefix when asked");
    assert_eq!(ids(TextQuery { order: TextOrder::Rank, ..TextQuery::new("glac*") }), vec![i.clone(), m.clone()], "a prefix search is newest first");
    assert_eq!(ids(TextQuery::new("glacierlock drop*")), vec![i.clone()], "every word a prefix");
    assert_eq!(ids(TextQuery::new("glacierlock dropper")), vec![i.clone()], "every word is needed");
    assert_eq!(ids(TextQuery::new("evil-corp.example")), vec![i.clone()], "the pattern is searched");
    assert_eq!(ids(TextQuery::new("phishing")), vec![a.clone()], "labels, and a word inside a name");
    assert_eq!(ids(TextQuery::new("t1566")), vec![a.clone()], "external ids");
    assert!(ids(TextQuery::new("glacierlocks")).is_empty());
    assert!(ids(TextQuery::new("\"*) OR -")).is_empty(), "no words, no hits, no syntax error");
    assert_eq!(ids(TextQuery { types: vec!["malware".into()], ..TextQuery::new("glacierlock") }), vec![m.clone()]);
    assert_eq!(ids(TextQuery { authors: vec![AUTHOR_A.into()], ..TextQuery::new("glacierlock") }), vec![i.clone()]);
    let hits = store.text_hits(&TextQuery { limit: 10, ..TextQuery::new("glacierlock") }).unwrap();
    let (newest, oldest) = (hits[0].0.date_added.0, hits[1].0.date_added.0);
    assert!(hits.iter().all(|(r, last)| *last && !r.json.is_empty()), "latest versions, with their JSON");
    assert_eq!(ids(TextQuery { added_before: Some(newest), ..TextQuery::new("glacierlock") }), vec![m.clone()]);
    assert_eq!(ids(TextQuery { added_after: Some(oldest), ..TextQuery::new("glacierlock") }), vec![i.clone()]);
    let ranked = |q: TextQuery| ids(TextQuery { order: TextOrder::Rank, ..q });
    assert_eq!(ranked(TextQuery { added_before: Some(newest), ..TextQuery::new("glacierlock") }), vec![m.clone()], "dates, ranked");
    assert_eq!(ranked(TextQuery { added_after: Some(oldest), ..TextQuery::new("glacierlock") }), vec![i.clone()]);
    assert_eq!(ranked(TextQuery { types: vec!["indicator".into()], ..TextQuery::new("glacierlock") }), vec![i.clone()], "types, ranked");
    assert_eq!(ids(TextQuery { limit: 1, from: Some(1), order: TextOrder::Rank, ..TextQuery::new("glacierlock") }), vec![i.clone()], "rank pages skip");
    assert!(ids(TextQuery { limit: 1, from: Some(2), order: TextOrder::Rank, ..TextQuery::new("glacierlock") }).is_empty(), "past the last tier");
    // Tiers: two words both in a name beat one in the name and one in the
    // labels, which beats the newest with them in the description.
    let tiered = [
        object("tool", 4, AUTHOR_A, json!({ "name": "Snowdrift kit", "description": "a loader" })),
        object("tool", 5, AUTHOR_A, json!({ "name": "Snowdrift", "labels": ["loader"] })),
        object("tool", 6, AUTHOR_A, json!({ "name": "Loader snowdrift" })),
        object("tool", 7, AUTHOR_A, json!({ "name": "Other", "description": "snowdrift loader" })),
    ];
    put_ok(&*store, &tiered);
    let tool = |n: u32| format!("tool--00000000-0000-4000-8000-{n:012}");
    assert_eq!(ranked(TextQuery::new("snowdrift loader")), vec![tool(6), tool(5), tool(7), tool(4)], "by tier, newest first within");
    assert_eq!(ids(TextQuery::new("snowdrift loader")), vec![tool(7), tool(6), tool(5), tool(4)]);
    for skip in 0..5 {
        let q = TextQuery { limit: 2, from: Some(skip), order: TextOrder::Rank, ..TextQuery::new("snowdrift loader") };
        let page: Vec<String> = store.text_hits(&q).unwrap().into_iter().map(|(r, _)| r.id).collect();
        assert_eq!(page, [tool(6), tool(5), tool(7), tool(4)].into_iter().skip(skip as usize).take(2).collect::<Vec<_>>(), "skip {skip}");
    }
    for n in 4..8 {
        store.delete(&StixId::parse(&tool(n)).unwrap(), &Versions::ALL, None).unwrap();
    }

    // Versions: the reader's latest visible version is what is searched.
    let v0 = object("tool", 9, AUTHOR_A, json!({ "name": "alpha tool", "modified": "2026-01-01T00:00:00Z" }));
    let v1 = object("tool", 9, AUTHOR_A, json!({ "name": "beta tool", "modified": "2026-02-01T00:00:00Z" }));
    put_ok(&*store, &[v0, v1]);
    let open = Gate::new(|_: &Record| true);
    let old_only = Gate::new(|r: &Record| r.version_micros < ts("2026-01-15T00:00:00Z").micros());
    let found = |q: &TextQuery, gate: &Gate| -> Vec<(String, String)> {
        search(&*store, q, gate, &|_| true, 10, 1_000).unwrap().records.into_iter().map(|r| (r.id, r.version)).collect()
    };
    let tool = "tool--00000000-0000-4000-8000-000000000009".to_string();
    assert!(found(&TextQuery::new("alpha"), &open).is_empty(), "an older version's words do not find the object");
    assert_eq!(found(&TextQuery::new("beta"), &open), vec![(tool.clone(), "2026-02-01T00:00:00Z".to_string())]);
    assert_eq!(found(&TextQuery::new("alpha"), &old_only), vec![(tool.clone(), "2026-01-01T00:00:00Z".to_string())]);
    assert!(found(&TextQuery::new("beta"), &old_only).is_empty());
    assert_eq!(found(&TextQuery::new("tool"), &open).len(), 1, "one object once");

    // A gate dropping hits: pages of two over ten matches of which the
    // reader sees the even ones, in both orders.
    let many: Vec<Object> = (10..20).map(|n| object("campaign", n, AUTHOR_A, json!({ "name": format!("Frostbite wave {n}") }))).collect();
    put_ok(&*store, &many);
    let even = Gate::new(|r: &Record| r.id.ends_with(['0', '2', '4', '6', '8']));
    for order in [TextOrder::Newest, TextOrder::Rank] {
        let mut q = TextQuery { order, ..TextQuery::new("frostbite") };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = search(&*store, &q, &even, &|_| true, 2, 1_000).unwrap();
            assert!(page.records.len() <= 2);
            pages += 1;
            seen.extend(page.records.into_iter().map(|r| r.id));
            match page.next {
                Some(n) => q.from = Some(n),
                None => break,
            }
            assert!(pages < 10, "paging ends");
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "no repeats ({order:?})");
        assert_eq!(sorted, (10..20).filter(|n| n % 2 == 0).map(|n| format!("campaign--00000000-0000-4000-8000-{n:012}")).collect::<Vec<_>>(), "{order:?}");
        if order == TextOrder::Newest {
            assert_eq!(seen.first().unwrap(), "campaign--00000000-0000-4000-8000-000000000018");
        }
    }
    // `keep` is asked first and a budget ends a page early with a way on.
    let page = search(&*store, &TextQuery::new("frostbite"), &open, &|r| r.id.ends_with('9'), 5, 3).unwrap();
    assert_eq!(page.records.len(), 1);
    assert!(page.next.is_some());
    // Counting: through the gate, capped, from where the page starts.
    let count = |q: &TextQuery, want: usize, to: usize| {
        let (page, c) = crate::text::search_counted(&*store, q, &even, &|_| true, want, 1_000, to, 1_000).unwrap();
        (page.records.len(), c.counted, c.exact, page.next.is_some())
    };
    assert_eq!(count(&TextQuery::new("frostbite"), 2, 100), (2, 5, true, true), "the five the reader may see");
    assert_eq!(count(&TextQuery::new("frostbite"), 2, 3), (2, 3, false, true), "capped: more than three");
    assert_eq!(count(&TextQuery::new("frostbite"), 5, 100), (5, 5, true, false), "a full last page has no next");
    assert_eq!(count(&TextQuery { order: TextOrder::Rank, ..TextQuery::new("frostbite") }, 2, 100), (2, 5, true, true));
    let on = search(&*store, &TextQuery::new("frostbite"), &even, &|_| true, 2, 1_000).unwrap().next;
    assert_eq!(count(&TextQuery { from: on, ..TextQuery::new("frostbite") }, 2, 100), (2, 3, true, true), "counted from the page on");

    store.delete(&StixId::parse(&m).unwrap(), &Versions::ALL, None).unwrap();
    assert_eq!(ids(TextQuery::new("glacierlock")), vec![i], "a deleted version leaves the index");
}
