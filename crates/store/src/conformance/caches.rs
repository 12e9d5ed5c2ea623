//! Conformance cases behind what readers are given from a cache or a
//! peer: reads by arrival filtered by several types (a peer pulling the
//! partnership records) and the removal generation (what makes a cached
//! read cold).

use std::sync::Arc;

use model::{Object, StixId};
use serde_json::json;

use super::{all_records, id, indicator, malware, put_ok, sco, AUTHOR_A};
use crate::{PutOptions, Query, Registry, Store, Versions};

/// A read by arrival filtered by several types (how a peer pulls the
/// partnership records from the everything collection) gives each version
/// of those types once, its own row and its memberships, in one date order,
/// paged or not, however many types are asked for (and asked twice).
pub fn reads_by_arrival_of_several_types_keep_one_date_order<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b;
    let a = "x-entente-agreement--0a000000-0000-4000-8000-00000000000a";
    // Indicators and malware interleaved, some shared under a (a membership each), an SCO between.
    for n in 0..12u32 {
        let shares = if n % 3 == 0 { vec![a.to_owned()] } else { Vec::new() };
        let options = PutOptions { shares, ..PutOptions::default() };
        store.put(&[if n % 2 == 0 { indicator(n, 0, AUTHOR_A) } else { malware(n) }], &options).unwrap();
        if n == 5 {
            put_ok(&*store, &[sco("10.0.0.1", None)]);
        }
    }
    let q = Query { through: vec![a.to_owned()], versions: Versions::ALL, ..Query::default() };
    let everything = all_records(&*store, &q);
    let expect = |types: &[&str]| -> Vec<(crate::DateAdded, Option<String>)> {
        everything.iter().filter(|r| types.contains(&r.object_type.as_str())).map(|r| (r.date_added, r.via.clone())).collect()
    };
    let many: Vec<String> = (0..70).map(|i| format!("x-entente-kind-{i}")).chain(["indicator".to_owned(), "malware".to_owned()]).collect();
    for types in [vec!["malware".to_owned(), "indicator".to_owned(), "malware".to_owned()], vec!["malware".to_owned(), "ipv4-addr".to_owned()], many] {
        let wanted: Vec<&str> = types.iter().map(String::as_str).collect();
        let typed = Query { types: types.clone(), ..q.clone() };
        let rows: Vec<_> = all_records(&*store, &typed).iter().map(|r| (r.date_added, r.via.clone())).collect();
        assert_eq!(rows, expect(&wanted), "{types:?}: each version and membership once, in date order");
        for gate in [None, Some(crate::Gate::new(|_| true))] {
            let mut paged = Vec::new();
            let mut next = None;
            loop {
                let page = store.query(&Query { limit: Some(2), after: next, gate: gate.clone(), ..typed.clone() }).unwrap();
                paged.extend(page.records.iter().map(|r| (r.date_added, r.via.clone())));
                if !page.more {
                    break;
                }
                next = page.next;
            }
            assert_eq!(paged, rows, "{types:?} paged");
        }
    }
}

/// The removal generation moves with every deletion, every recall spread
/// to stored versions and every write marked as narrowing (in its own
/// transaction), and with nothing else: adding, re-adding, sharing,
/// checkpoints and re-offers leave it. It is kept in the registry, where
/// every process on the database reads it.
pub fn removals_move_with_what_narrows_a_read<B: Store + Registry + 'static>(b: Arc<B>) {
    let store: Arc<dyn Store> = b.clone();
    let a = "x-entente-agreement--0a000000-0000-4000-8000-00000000000a";
    assert_eq!(store.removals().unwrap(), 0, "a new store");
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A), indicator(1, 1, AUTHOR_A), malware(2)]);
    put_ok(&*store, &[indicator(1, 0, AUTHOR_A)]);
    store.put(&[malware(2), malware(3)], &PutOptions { shares: vec![a.to_owned()], ..PutOptions::default() }).unwrap();
    store.put(&[], &PutOptions { checkpoint: Some(("cursor".into(), "1".into())), ..PutOptions::default() }).unwrap();
    store.reoffer(a, "reoffer:a", "1").unwrap();
    assert_eq!(store.removals().unwrap(), 0, "nothing narrowed yet");
    // A recall spreads to the stored versions.
    let mut revoked = indicator(1, 2, AUTHOR_A).to_value();
    revoked["revoked"] = json!(true);
    put_ok(&*store, &[Object::from_value(revoked).unwrap()]);
    assert_eq!(store.removals().unwrap(), 1, "a recall spread");
    // A new object revoked from its first version narrows nothing stored.
    let mut fresh = indicator(9, 0, AUTHOR_A).to_value();
    fresh["revoked"] = json!(true);
    put_ok(&*store, &[Object::from_value(fresh).unwrap()]);
    assert_eq!(store.removals().unwrap(), 1, "nothing stored was recalled");
    store.delete(&StixId::parse(&id(1)).unwrap(), &Versions::FIRST, None).unwrap();
    assert_eq!(store.removals().unwrap(), 2, "a deletion");
    store.delete(&StixId::parse("malware--00000000-0000-4000-8000-000000000003").unwrap(), &Versions::ALL, Some(&crate::agreement_collection(a))).unwrap();
    assert_eq!(store.removals().unwrap(), 3, "a deletion from a collection");
    store.put(&[], &PutOptions { checkpoint: Some(("retention:x".into(), "now".into())), narrows: true, ..PutOptions::default() }).unwrap();
    assert_eq!(store.removals().unwrap(), 4, "a write that narrows");
    assert_eq!(b.setting(crate::REMOVALS).unwrap().as_deref(), Some("4"), "kept where every process reads it");
}
