//! The store conformance suite's case for what joined a collection since a
//! time ([`Store::added_to`]): the ids and versions a scan of the
//! collection by `added_after` gives, without the versions themselves.

use std::sync::Arc;

use super::{all_records, id, indicator, put_in, put_ok, ts, AUTHOR_A};
use crate::{Outcome, Query, Registry, Store, Versions};

/// `added_to` gives the id and version of each version added to one
/// collection after a time, in the order added, as a scan of the
/// collection by `added_after` does: a version stored before but added to
/// the collection later is there, one only stored (or in another
/// collection) is not, nor one re-added unchanged.
pub fn added_to_a_collection_since<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let micros = |v: u32| ts(&format!("2024-01-01T00:00:{v:02}.000Z")).micros();
    put_in(&*store, "c1", &[indicator(1, 0, AUTHOR_A)]);
    let Outcome::Added(before) = put_in(&*store, "c2", &[indicator(9, 0, AUTHOR_A)])[0] else { panic!() };
    put_ok(&*store, &[indicator(2, 0, AUTHOR_A), indicator(2, 1, AUTHOR_A)]);
    // Stored before, added to the collection since; then a new version and another object.
    put_in(&*store, "c1", &[indicator(2, 0, AUTHOR_A)]);
    put_in(&*store, "c1", &[indicator(1, 1, AUTHOR_A), indicator(3, 2, AUTHOR_A)]);
    put_in(&*store, "c2", &[indicator(4, 0, AUTHOR_A)]);
    assert!(matches!(put_in(&*store, "c1", &[indicator(1, 0, AUTHOR_A)])[0], Outcome::Unchanged(_)), "re-added unchanged");
    let got = store.added_to("c1", before.0).unwrap();
    assert_eq!(got, vec![(id(2), micros(0)), (id(1), micros(1)), (id(3), micros(2))]);
    let scanned: Vec<(String, i64)> = all_records(&*store, &Query { collection: Some("c1".into()), versions: Versions::ALL, added_after: Some(before.0), ..Query::default() })
        .into_iter()
        .map(|r| (r.id, r.version_micros))
        .collect();
    assert_eq!(got, scanned, "as the scan gives them");
    assert_eq!(store.added_to("c1", i64::MIN).unwrap().len(), 4, "everything in c1 after the start");
    assert!(store.added_to("c3", i64::MIN).unwrap().is_empty(), "no such collection");
    let last = all_records(&*store, &Query { collection: Some("c1".into()), versions: Versions::ALL, ..Query::default() }).last().unwrap().date_added;
    assert!(store.added_to("c1", last.0).unwrap().is_empty(), "nothing after the last");
}
