//! The store conformance suite on PostgreSQL, each case in a fresh schema of
//! the test database (see `testing`), plus what only this backend has.

use crate::testing::fresh;

store::conformance_suite!(fresh);

#[test]
fn refuses_newer_schema_and_reopens_current() {
    let store = fresh();
    let mut c = store.conn().unwrap();
    c.batch_execute("INSERT INTO entente_migrations (version) VALUES (99)").unwrap();
    drop(c);
    let err = store.migrate().expect_err("must refuse");
    assert_eq!(err.to_string(), "the database is at schema version 99, newer than this binary knows (11); upgrade Entente");
}

/// Sightings stored before migration 7 are keyed by what they are of when
/// it runs.
#[test]
fn migration_indexes_sightings_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let (url, _) = crate::testing::fresh_named();
    let store = crate::PgStore::open(&url).unwrap();
    let target = "indicator--00000000-0000-4000-8000-000000000007";
    let sighting = model::Object::from_value(serde_json::json!({
        "type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "sighting_of_ref": target
    }))
    .unwrap();
    store.put(&[sighting], &Default::default()).unwrap();
    let q = Query { observables: vec![ObservableKey::sighting_of(target)], ..Query::default() };
    assert_eq!(store.query(&q).unwrap().records.len(), 1);
    // As a database from before: no keys, migration 7 not applied.
    let mut c = store.conn().unwrap();
    c.batch_execute("DELETE FROM observables; DELETE FROM entente_migrations WHERE version >= 7").unwrap();
    drop(c);
    assert!(store.query(&q).unwrap().records.is_empty());
    drop(store);
    let reopened = crate::PgStore::open(&url).unwrap();
    assert_eq!(reopened.query(&q).unwrap().records.len(), 1, "the stored sighting was not indexed");
}

/// Partnership records stored before migration 8 are keyed by what they
/// name when it runs.
#[test]
fn migration_indexes_records_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let (url, _) = crate::testing::fresh_named();
    let store = crate::PgStore::open(&url).unwrap();
    let agreement = "x-entente-agreement--00000000-0000-4000-8000-000000000001";
    let store_record = model::Object::from_value(serde_json::json!({
        "type": "x-entente-ratification", "spec_version": "2.1", "id": "x-entente-ratification--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": "identity--0a000000-0000-4000-8000-000000000001", "agreement_ref": agreement
    }))
    .unwrap();
    store.put(&[store_record], &Default::default()).unwrap();
    let q = Query { observables: vec![ObservableKey::refers_to(agreement)], ..Query::default() };
    assert_eq!(store.query(&q).unwrap().records.len(), 1);
    // As a database from before: no keys, migration 8 not applied.
    let mut c = store.conn().unwrap();
    c.batch_execute("DELETE FROM observables; DELETE FROM entente_migrations WHERE version >= 8").unwrap();
    drop(c);
    assert!(store.query(&q).unwrap().records.is_empty());
    drop(store);
    let reopened = crate::PgStore::open(&url).unwrap();
    assert_eq!(reopened.query(&q).unwrap().records.len(), 1, "the stored record was not indexed");
}

/// Relationships stored before migration 9 are keyed by the objects they
/// link when it runs.
#[test]
fn migration_indexes_links_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let (url, _) = crate::testing::fresh_named();
    let store = crate::PgStore::open(&url).unwrap();
    let target = "malware--00000000-0000-4000-8000-000000000002";
    let relationship = model::Object::from_value(serde_json::json!({
        "type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "relationship_type": "indicates",
        "source_ref": "indicator--00000000-0000-4000-8000-000000000001", "target_ref": target
    }))
    .unwrap();
    store.put(&[relationship], &Default::default()).unwrap();
    let q = Query { observables: vec![ObservableKey::linked(target)], ..Query::default() };
    assert_eq!(store.query(&q).unwrap().records.len(), 1);
    // As a database from before: no keys, migration 9 not applied.
    let mut c = store.conn().unwrap();
    c.batch_execute("DELETE FROM observables; DELETE FROM entente_migrations WHERE version >= 9").unwrap();
    drop(c);
    assert!(store.query(&q).unwrap().records.is_empty());
    drop(store);
    let reopened = crate::PgStore::open(&url).unwrap();
    assert_eq!(reopened.query(&q).unwrap().records.len(), 1, "the stored relationship was not indexed");
}

/// Versions stored before migration 10 are in the text index when it runs.
#[test]
fn migration_indexes_the_text_stored_before_it() {
    use store::{Store, TextQuery};
    let (url, _) = crate::testing::fresh_named();
    let store = crate::PgStore::open(&url).unwrap();
    let malware = model::Object::from_value(serde_json::json!({
        "type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000002",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "GlacierLock", "is_family": true
    }))
    .unwrap();
    store.put(&[malware], &Default::default()).unwrap();
    let q = TextQuery { limit: 10, ..TextQuery::new("glacierlock") };
    assert_eq!(store.text_hits(&q).unwrap().len(), 1);
    // As a database from before: no index, migration 10 not applied.
    let mut c = store.conn().unwrap();
    c.batch_execute("DROP TABLE object_text; DELETE FROM entente_migrations WHERE version >= 10").unwrap();
    drop(c);
    drop(store);
    let reopened = crate::PgStore::open(&url).unwrap();
    assert_eq!(reopened.text_hits(&q).unwrap().len(), 1, "the stored malware was not indexed");
}

/// Versions indexed before migration 11 (no tagged words) are indexed again
/// when it runs, so best match puts a name's word first: before it, the
/// older object named so fell in the description's tier, behind the newer.
#[test]
fn migration_tags_the_words_of_names_stored_before_it() {
    use store::{Store, TextOrder, TextQuery};
    let (url, _) = crate::testing::fresh_named();
    let store = crate::PgStore::open(&url).unwrap();
    let object = |n: u32, name: &str, description: &str| {
        model::Object::from_value(serde_json::json!({
            "type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": name, "description": description, "is_family": true
        }))
        .unwrap()
    };
    store.put(&[object(1, "GlacierLock", "ransomware")], &Default::default()).unwrap();
    store.put(&[object(2, "Other", "like glacierlock")], &Default::default()).unwrap();
    let q = TextQuery { limit: 10, order: TextOrder::Rank, ..TextQuery::new("glacierlock") };
    let ranked = |s: &crate::PgStore| s.text_hits(&q).unwrap().into_iter().map(|(r, _)| r.id).collect::<Vec<_>>();
    let named_first = vec!["malware--00000000-0000-4000-8000-000000000001".to_owned(), "malware--00000000-0000-4000-8000-000000000002".to_owned()];
    assert_eq!(ranked(&store), named_first);
    // As a database from before: the words weighted, none tagged. Read so,
    // the name's word is found only by its weight, in the third tier with
    // the description's, and the newer comes first.
    let mut c = store.conn().unwrap();
    c.batch_execute("UPDATE object_text SET words = ts_delete(words, ARRAY(SELECT lexeme FROM unnest(words) WHERE lexeme LIKE '%~%'))").unwrap();
    assert_eq!(ranked(&store), named_first.iter().rev().cloned().collect::<Vec<_>>());
    c.batch_execute("DELETE FROM entente_migrations WHERE version >= 11").unwrap();
    drop(c);
    drop(store);
    let reopened = crate::PgStore::open(&url).unwrap();
    assert_eq!(ranked(&reopened), named_first, "the stored names were not indexed again with their tags");
}

/// Once the text index is analyzed, a text query is read in windows of
/// `date_added` (`Windows`): the hits, their order and the pages are the
/// same as the whole index read at once would give, across arrivals in
/// bursts (the windows are sized by an average spread that bursts break),
/// for a word in every object, one in a few, one in three objects, the
/// tiers of best match and bounds on the date.
#[test]
fn text_windows_give_what_one_read_gives() {
    use store::{Query, Store, TextOrder, TextQuery, Versions};
    let store = fresh();
    let object = |n: usize| {
        // "alpha" everywhere; "beta" in one in seven, in the name of one in
        // three of those; "gamma" in three objects, one a burst.
        let mut name = format!("Object {n}");
        let mut description = format!("Alpha number {n}");
        if n.is_multiple_of(7) {
            if n.is_multiple_of(3) {
                name.push_str(" beta");
            } else {
                description.push_str(" beta");
            }
        }
        if n % 300 == 150 {
            description.push_str(" gamma");
        }
        model::Object::from_value(serde_json::json!({
            "type": "campaign", "spec_version": "2.1", "id": format!("campaign--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": name, "description": description
        }))
        .unwrap()
    };
    // In bursts of 15, a few milliseconds apart: the windows fall on
    // bursts, on gaps and across both.
    for burst in 0..60 {
        store.put(&(burst * 15..burst * 15 + 15).map(object).collect::<Vec<_>>(), &Default::default()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(if burst % 10 == 0 { 20 } else { 2 }));
    }
    store.conn().unwrap().batch_execute("ANALYZE object_text").unwrap();
    let all = store.query(&Query { versions: Versions::ALL, ..Query::default() }).unwrap().records;
    assert_eq!(all.len(), 900);
    let date = |id: &str| all.iter().find(|r| r.id == id).unwrap().date_added.0;
    let newest_first = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        let mut ids: Vec<(i64, String)> =
            (0..900).filter(|n| keep(*n)).map(|n| format!("campaign--00000000-0000-4000-8000-{n:012}")).map(|id| (date(&id), id)).collect();
        ids.sort_by_key(|b| std::cmp::Reverse(b.0));
        ids.into_iter().map(|(_, id)| id).collect()
    };
    let ids = |q: &TextQuery| -> Vec<String> { store.text_hits(q).unwrap().into_iter().map(|(r, _)| r.id).collect() };
    // Pages of `size` hits, each from where the last ended.
    let paged = |q: &TextQuery, size: usize| -> Vec<String> {
        let mut out = Vec::new();
        let mut from = q.from;
        loop {
            let hits = store.text_hits(&TextQuery { limit: size, from, ..q.clone() }).unwrap();
            let ended = hits.len() < size;
            from = match q.order() {
                TextOrder::Newest => hits.last().map(|(r, _)| r.date_added.0),
                TextOrder::Rank => Some(from.unwrap_or(0) + hits.len() as i64),
            };
            out.extend(hits.into_iter().map(|(r, _)| r.id));
            if ended {
                return out;
            }
        }
    };
    for (word, keep) in [("alpha", &(|_| true) as &dyn Fn(usize) -> bool), ("beta", &|n| n % 7 == 0), ("gamma", &|n| n % 300 == 150)] {
        let expected = newest_first(keep);
        let q = TextQuery { limit: 1_000, ..TextQuery::new(word) };
        assert_eq!(ids(&q), expected, "{word}, newest first");
        for size in [1, 7, 50] {
            assert_eq!(paged(&q, size), expected, "{word} in pages of {size}");
        }
        let q = TextQuery { limit: 1_000, ..TextQuery::new(&format!("{}*", &word[..3])) };
        assert_eq!(ids(&q), expected, "{word} as a prefix");
    }
    // Best match: "beta" in the name first, newest first within a tier.
    let ranked = [newest_first(&|n| n % 21 == 0), newest_first(&|n| n % 7 == 0 && n % 3 != 0)].concat();
    let q = TextQuery { order: TextOrder::Rank, limit: 1_000, ..TextQuery::new("beta") };
    assert_eq!(ids(&q), ranked, "tiers");
    for size in [1, 9, 50] {
        assert_eq!(paged(&q, size), ranked, "tiers in pages of {size}");
    }
    // Bounds on the date: strictly after the 100th oldest, before the 700th.
    let mut dates: Vec<i64> = all.iter().map(|r| r.date_added.0).collect();
    dates.sort();
    let (after, before) = (dates[99], dates[699]);
    let q = TextQuery { added_after: Some(after), added_before: Some(before), limit: 1_000, ..TextQuery::new("alpha") };
    let bounded: Vec<String> = newest_first(&|_| true).into_iter().filter(|id| date(id) > after && date(id) < before).collect();
    assert_eq!(bounded.len(), 599);
    assert_eq!(ids(&q), bounded, "within the bounds");
    assert_eq!(paged(&q, 13), bounded, "within the bounds, in pages");
}
