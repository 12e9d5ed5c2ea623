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
    assert_eq!(err.to_string(), "the database is at schema version 99, newer than this binary knows (10); upgrade Entente");
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
