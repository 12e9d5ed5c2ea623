//! The store conformance suite on SQLite, plus what only this backend has:
//! durability settings, migrations and schema refusal.

use std::sync::Arc;

use crate::SqliteStore;

fn fresh() -> Arc<SqliteStore> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    // Keep the directory for the life of the test process.
    std::mem::forget(dir);
    Arc::new(store)
}

store::conformance_suite!(fresh);

#[test]
fn wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path()).unwrap();
    let w = s.writer.lock().unwrap();
    let mode: String = pragma(&w, "journal_mode");
    let sync: i64 = pragma(&w, "synchronous");
    assert_eq!((mode.as_str(), sync), ("wal", 2));
}

#[test]
fn small_pages_a_long_log_and_a_checkpoint_once_writes_pause() {
    use store::Store;
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path()).unwrap();
    {
        let w = s.writer.lock().unwrap();
        let page: i64 = pragma(&w, "page_size");
        let auto: i64 = pragma(&w, "wal_autocheckpoint");
        let kept: i64 = pragma(&w, "journal_size_limit");
        assert_eq!((page, auto, kept as u64), (i64::from(crate::PAGE_SIZE), i64::from(crate::WAL_PAGES), crate::WAL_KEPT_BYTES));
    }
    assert_eq!(s.checkpointer.done(), 0, "nothing written, nothing to checkpoint");
    let obj = model::Object::from_value(serde_json::json!({
        "type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "10.0.0.1"
    }))
    .unwrap();
    s.put(&[obj], &Default::default()).unwrap();
    let start = std::time::Instant::now();
    while s.checkpointer.done() == 0 {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "no checkpoint after the writes paused");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(start.elapsed() >= crate::checkpoint::QUIET - std::time::Duration::from_millis(5), "checkpointed before the pause");
    // The log was copied back: a reader finds every frame checkpointed.
    let (log, copied): (i64, i64) = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME))
        .unwrap()
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!(log, copied);
    drop(s); // joins the thread: a hang here is a failure
}

fn w_conn(w: &crate::write::Writer) -> &rusqlite::Connection {
    w.connection()
}

/// The writer's value of a pragma.
fn pragma<T: rusqlite::types::FromSql>(w: &crate::write::Writer, name: &str) -> T {
    w_conn(w).query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn refuses_newer_schema_and_reopens_current() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    drop(SqliteStore::open(dir.path()).unwrap()); // reopening is fine
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = SqliteStore::open(dir.path()).err().expect("must refuse");
    assert_eq!(
        err.to_string(),
        "the database is at schema version 99, newer than this binary knows (16); upgrade Entente"
    );
}

#[test]
fn date_added_survives_reopen() {
    use model::Object;
    use store::{Outcome, Store};
    let dir = tempfile::tempdir().unwrap();
    let obj = |n: u32| {
        Object::from_value(serde_json::json!({
            "type": "ipv4-addr", "id": format!("ipv4-addr--00000000-0000-4000-8000-{n:012}"), "value": "10.0.0.1"
        }))
        .unwrap()
    };
    let first = SqliteStore::open(dir.path()).unwrap().put(&[obj(1)], &Default::default()).unwrap();
    let second = SqliteStore::open(dir.path()).unwrap().put(&[obj(2)], &Default::default()).unwrap();
    let (Outcome::Added(a), Outcome::Added(b)) = (&first[0], &second[0]) else { panic!() };
    assert!(b > a);
}

/// A backdated batch written through one handle is dated after what
/// another handle on the same database (another process: the demo beside
/// its servers) wrote since, not below it: the writer's remembered clock
/// may be stale, the database's is not.
#[test]
fn backdated_batches_read_the_clock_another_handle_moved() {
    use model::Object;
    use store::{DateAdded, Outcome, PutOptions, Store};
    let dir = tempfile::tempdir().unwrap();
    let obj = |n: u32| {
        Object::from_value(serde_json::json!({
            "type": "ipv4-addr", "id": format!("ipv4-addr--00000000-0000-4000-8000-{n:012}"), "value": format!("10.0.0.{n}")
        }))
        .unwrap()
    };
    let history = SqliteStore::open(dir.path()).unwrap();
    let other = SqliteStore::open(dir.path()).unwrap();
    let Outcome::Added(now) = other.put(&[obj(1)], &Default::default()).unwrap()[0] else { panic!() };
    let past = PutOptions { added_at: Some(DateAdded(now.0 - 86_400_000_000)), ..PutOptions::default() };
    let Outcome::Added(dated) = history.put(&[obj(2)], &past).unwrap()[0] else { panic!() };
    assert!(dated > now, "{dated:?} must follow {now:?}");
}

/// Sightings stored before migration 9 are keyed by what they are of when
/// it runs.
#[test]
fn migration_indexes_sightings_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let dir = tempfile::tempdir().unwrap();
    let target = "indicator--00000000-0000-4000-8000-000000000007";
    let sighting = model::Object::from_value(serde_json::json!({
        "type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "sighting_of_ref": target
    }))
    .unwrap();
    let q = Query { observables: vec![ObservableKey::sighting_of(target)], ..Query::default() };
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.put(&[sighting], &Default::default()).unwrap();
        assert_eq!(s.query(&q).unwrap().records.len(), 1);
    }
    // As a database from before: no keys, at schema version 8.
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("DELETE FROM observables; PRAGMA user_version = 8").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.query(&q).unwrap().records.len(), 1, "the stored sighting was not indexed");
}

/// Partnership records stored before migration 10 are keyed by what they
/// name when it runs.
#[test]
fn migration_indexes_records_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let dir = tempfile::tempdir().unwrap();
    let agreement = "x-entente-agreement--00000000-0000-4000-8000-000000000001";
    let record = model::Object::from_value(serde_json::json!({
        "type": "x-entente-ratification", "spec_version": "2.1", "id": "x-entente-ratification--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": "identity--0a000000-0000-4000-8000-000000000001", "agreement_ref": agreement
    }))
    .unwrap();
    let q = Query { observables: vec![ObservableKey::refers_to(agreement)], ..Query::default() };
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.put(&[record], &Default::default()).unwrap();
        assert_eq!(s.query(&q).unwrap().records.len(), 1);
    }
    // As a database from before: no keys, at schema version 9.
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("DELETE FROM observables; PRAGMA user_version = 9").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.query(&q).unwrap().records.len(), 1, "the stored record was not indexed");
}

/// Relationships stored before migration 11 are keyed by the objects they
/// link when it runs.
#[test]
fn migration_indexes_links_stored_before_it() {
    use store::{ObservableKey, Query, Store};
    let dir = tempfile::tempdir().unwrap();
    let target = "malware--00000000-0000-4000-8000-000000000002";
    let relationship = model::Object::from_value(serde_json::json!({
        "type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "relationship_type": "indicates",
        "source_ref": "indicator--00000000-0000-4000-8000-000000000001", "target_ref": target
    }))
    .unwrap();
    let q = Query { observables: vec![ObservableKey::linked(target)], ..Query::default() };
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.put(&[relationship], &Default::default()).unwrap();
        assert_eq!(s.query(&q).unwrap().records.len(), 1);
    }
    // As a database from before: no keys, at schema version 10.
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("DELETE FROM observables; PRAGMA user_version = 10").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.query(&q).unwrap().records.len(), 1, "the stored relationship was not indexed");
}

/// Versions stored before migration 12 are in the text index when it runs.
#[test]
fn migration_indexes_the_text_stored_before_it() {
    use store::{Store, TextQuery};
    let dir = tempfile::tempdir().unwrap();
    let malware = model::Object::from_value(serde_json::json!({
        "type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000002",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "GlacierLock", "is_family": true
    }))
    .unwrap();
    let q = TextQuery { limit: 10, ..TextQuery::new("glacierlock") };
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.put(&[malware], &Default::default()).unwrap();
        assert_eq!(s.text_hits(&q).unwrap().len(), 1);
    }
    // As a database from before: no index at schema version 11.
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("DROP TABLE object_text; PRAGMA user_version = 11").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.text_hits(&q).unwrap().len(), 1, "the stored malware was not indexed");
    // Run again over an index that holds it: still once.
    drop(s);
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch("PRAGMA user_version = 11").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(s.text_hits(&q).unwrap().len(), 1, "indexed twice");
}

/// A store made before migration 14 gets the text index again with its
/// prefix indexes, holding the versions stored before; a prefix search
/// then finds them as before, and the new index has the prefixes.
#[test]
fn migration_gives_the_text_index_its_prefixes() {
    use store::{Store, TextQuery};
    let dir = tempfile::tempdir().unwrap();
    let malware = |n: u32, name: &str| {
        model::Object::from_value(serde_json::json!({
            "type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": name, "is_family": true
        }))
        .unwrap()
    };
    let ids = |s: &SqliteStore, text: &str| -> Vec<String> {
        s.text_hits(&TextQuery { limit: 10, ..TextQuery::new(text) }).unwrap().into_iter().map(|(r, _)| r.id).collect()
    };
    let table = |conn: &rusqlite::Connection| -> String {
        conn.query_row("SELECT sql FROM sqlite_master WHERE name = 'object_text'", [], |r| r.get(0)).unwrap()
    };
    {
        let s = SqliteStore::open(dir.path()).unwrap();
        s.put(&[malware(1, "GlacierLock"), malware(2, "Glaive")], &Default::default()).unwrap();
    }
    // As a database from before: the index of migration 12, without
    // prefixes, holding both, at schema version 13.
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    conn.execute_batch(
        "DROP TABLE object_text;
         CREATE VIRTUAL TABLE object_text USING fts5(name, labels, description, body, content = '', contentless_delete = 1,
             tokenize = 'unicode61 remove_diacritics 0');
         PRAGMA user_version = 13",
    )
    .unwrap();
    conn.execute_batch(
        "INSERT INTO object_text (rowid, name, labels, description, body)
         SELECT date_added, CASE WHEN id LIKE '%1' THEN 'glacierlock' ELSE 'glaive' END, '', '', '' FROM objects",
    )
    .unwrap();
    assert!(!table(&conn).contains("prefix"));
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    let (lock, glaive) = ("malware--00000000-0000-4000-8000-000000000001", "malware--00000000-0000-4000-8000-000000000002");
    assert_eq!(ids(&s, "gla*"), vec![glaive, lock], "a prefix of 3, newest first");
    assert_eq!(ids(&s, "glac*"), vec![lock], "a prefix of 4");
    assert_eq!(ids(&s, "glacierl*"), vec![lock], "a longer prefix");
    assert_eq!(ids(&s, "g*"), vec![glaive, lock], "a prefix of 1");
    assert_eq!(ids(&s, "glaive"), vec![glaive], "a whole word, once");
    drop(s);
    let conn = rusqlite::Connection::open(dir.path().join(crate::FILE_NAME)).unwrap();
    assert!(table(&conn).contains("prefix = '2 3 4'"), "{}", table(&conn));
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 16);
}

/// The database holds every object, TLP:RED included, and the node's
/// secrets' hashes: a new data dir is its owner's alone (0700), and so are
/// the database file and the log and index SQLite makes beside it (0600),
/// whatever the process's umask lets through.
#[cfg(unix)]
#[test]
fn a_new_store_is_readable_by_its_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    use store::Store;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let s = SqliteStore::open(&dir).unwrap();
    let obj = model::Object::from_value(serde_json::json!({
        "type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "10.0.0.1"
    }))
    .unwrap();
    s.put(&[obj], &Default::default()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let db = dir.join(crate::FILE_NAME);
    let wal = dir.join(format!("{}-wal", crate::FILE_NAME));
    let shm = dir.join(format!("{}-shm", crate::FILE_NAME));
    let modes = [mode(&dir), mode(&db), mode(&wal), mode(&shm)];
    assert_eq!(modes, [0o700, 0o600, 0o600, 0o600], "data dir, {}, -wal, -shm", crate::FILE_NAME);
}

/// Two processes writing one database (a server and a command such as
/// `entente import` or the demo's set-up): each write transaction reads the
/// versions it holds and then writes, so it must take the write lock when
/// it begins and wait its turn (busy timeout). A deferred transaction that
/// read before the other committed fails at once with "database is locked"
/// however long the timeout.
#[test]
fn two_stores_on_one_database_wait_for_each_other_instead_of_failing() {
    use store::{PutOptions, Store};
    let dir = tempfile::tempdir().unwrap();
    let first = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let second = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let malware = |n: usize, v: usize| {
        model::Object::from_value(serde_json::json!({"type": "malware", "spec_version": "2.1",
            "id": format!("malware--00000000-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z",
            "modified": format!("2026-01-01T00:{:02}:{:02}Z", v / 60, v % 60), "name": "x", "is_family": false}))
        .unwrap()
    };
    let writers: Vec<_> = [first, second]
        .into_iter()
        .enumerate()
        .map(|(w, store)| {
            std::thread::spawn(move || {
                let mut failed = Vec::new();
                for v in 0..150 {
                    // Both write versions of the same objects: each batch reads what is held first.
                    let batch: Vec<model::Object> = (0..20).map(|n| malware(n, v * 2 + w)).collect();
                    if let Err(e) = store.put(&batch, &PutOptions::default()) {
                        failed.push(e.to_string());
                    }
                }
                failed
            })
        })
        .collect();
    let failed: Vec<String> = writers.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(failed.is_empty(), "{} of 300 batches failed, first: {:?}", failed.len(), failed.first());
}

/// A text search's counted hits (without their JSON) are read from the
/// covering index alone, never from the objects' rows; with the JSON, from
/// the rows.
#[test]
fn counted_text_hits_read_the_release_index_alone() {
    let s = fresh();
    let plan = |without_json: bool| -> String {
        let (page, _) = crate::text_sql(without_json, " AND o.type IN (?) AND t.rowid < ?");
        let conn = rusqlite::Connection::open(&s.path).unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {page}")).unwrap();
        let params = rusqlite::params!["\"avalanche\"", "campaign", i64::MAX, 100, 0];
        let rows = stmt.query_map(params, |r| r.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>().unwrap().join("; ")
    };
    let counted = plan(true);
    assert!(counted.contains("USING COVERING INDEX objects_release"), "{counted}");
    let shown = plan(false);
    assert!(shown.contains("USING INTEGER PRIMARY KEY"), "{shown}");
}

/// A read by arrival filtered by types (a peer pulling the partnership
/// records from the everything collection) is read in date order from its
/// indexes and merged, never sorted whole: with a sort, every page sorted
/// every matching version after the cursor (a round of N records, N²/2000
/// rows sorted). Past `TYPE_BRANCHES` types it may sort.
#[test]
fn a_read_by_arrival_of_record_types_sorts_nothing() {
    let s = fresh();
    let plan = |types: usize| -> String {
        let q = store::Query {
            types: (0..types).map(|i| format!("x-entente-kind-{i}")).collect(),
            through: vec!["x-entente-agreement--0a000000-0000-4000-8000-00000000000a".into()],
            versions: store::Versions::ALL,
            ..store::Query::default()
        };
        let (clause, params) = crate::from_where(&q, true);
        let sql = format!("EXPLAIN QUERY PLAN {}{clause}", crate::select(&q));
        let conn = rusqlite::Connection::open(&s.path).unwrap();
        let mut stmt = conn.prepare(&sql).unwrap();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| r.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>().unwrap().join("; ")
    };
    for types in [1, 2, 42, crate::TYPE_BRANCHES] {
        let p = plan(types);
        assert!(!p.contains("TEMP B-TREE"), "{types} types: {p}");
        assert!(p.contains("USING INDEX objects_type (type=? AND date_added>?)"), "{types} types: {p}");
    }
}

/// A prefix longer than the prefix indexes is read as the words it begins
/// (found in the vocabulary) while they are few, else as FTS5's prefix
/// query; either way the hits are every version with such a word, newest
/// first, and a prefix no word begins finds nothing.
#[test]
fn a_long_prefix_is_read_as_the_words_it_begins() {
    use store::{Store, TextQuery};
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path()).unwrap();
    let malware = |n: usize, name: &str| {
        model::Object::from_value(serde_json::json!({
            "type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": name, "is_family": true
        }))
        .unwrap()
    };
    let mut objects = vec![malware(1, "Glacier"), malware(2, "GlacierLock"), malware(3, "Glacial"), malware(4, "Glaciers two")];
    objects.extend((0..70).map(|i| malware(100 + i, &format!("frostbound{i}"))));
    for o in &objects {
        s.put(std::slice::from_ref(o), &Default::default()).unwrap();
    }
    let ids = |text: &str| -> Vec<String> {
        s.text_hits(&TextQuery { limit: 100, ..TextQuery::new(text) }).unwrap().into_iter().map(|(r, _)| r.id).collect()
    };
    let id = |n: usize| format!("malware--00000000-0000-4000-8000-{n:012}");
    assert_eq!(ids("glacier*"), vec![id(4), id(2), id(1)], "the words it begins, newest first");
    assert_eq!(ids("glacierl*"), vec![id(2)]);
    assert_eq!(ids("glaciex*"), Vec::<String>::new(), "no word begins it");
    let frost: Vec<String> = (0..70).rev().map(|i| id(100 + i)).collect();
    assert_eq!(ids("frostbou*"), frost, "more words than are ORed: FTS5's prefix query, the same hits");
    assert_eq!(ids("two glacier*"), vec![id(4)], "with another word (each a prefix)");
    s.with_reader(|c| {
        assert_eq!(crate::prefix_term(c, "glacier")?, "(\"glacier\" OR \"glacierlock\" OR \"glaciers\")");
        assert_eq!(crate::prefix_term(c, "frostbou")?, "\"frostbou\"*");
        assert_eq!(crate::prefix_term(c, "glac")?, "\"glac\"*", "a prefix index's length");
        Ok(())
    })
    .unwrap();
}

/// Objects of every kind of observable key: an indicator (the value its
/// pattern tests), an SCO, a sighting (what it is of), a partnership
/// record (what it names) and a relationship (what it links).
fn keyed_objects() -> Vec<model::Object> {
    let stamp = "2026-01-01T00:00:00Z";
    [
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
            "created": stamp, "modified": stamp, "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": stamp
        }),
        serde_json::json!({ "type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "10.0.0.7" }),
        serde_json::json!({
            "type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000001",
            "created": stamp, "modified": stamp, "sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000001"
        }),
        serde_json::json!({
            "type": "x-entente-ratification", "spec_version": "2.1", "id": "x-entente-ratification--00000000-0000-4000-8000-000000000001",
            "created": stamp, "modified": stamp, "created_by_ref": "identity--0a000000-0000-4000-8000-000000000001",
            "agreement_ref": "x-entente-agreement--00000000-0000-4000-8000-000000000001"
        }),
        serde_json::json!({
            "type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000001",
            "created": stamp, "modified": stamp, "relationship_type": "indicates",
            "source_ref": "indicator--00000000-0000-4000-8000-000000000001", "target_ref": "malware--00000000-0000-4000-8000-000000000002"
        }),
    ]
    .into_iter()
    .map(|v| model::Object::from_value(v).unwrap())
    .collect()
}

/// The observable index's entries per stored version (`date_added`), and
/// whether the index by version exists.
fn observable_entries(path: &std::path::Path) -> (Vec<(i64, i64)>, bool) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT object, count(*) FROM observables GROUP BY object ORDER BY object").unwrap();
    let per: Vec<(i64, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    let by_version: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'observables_object')", [], |r| r.get(0))
        .unwrap();
    (per, by_version)
}

/// Migration 16 drops the index by version of a database that has it, and
/// deleting a version still takes every entry of its own from the index
/// (found by the keys of its JSON) and none of another's.
#[test]
fn migration_drops_the_index_by_version_and_deletions_still_unindex() {
    use store::{Outcome, Store, Versions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::FILE_NAME);
    let objects = keyed_objects();
    let rows: Vec<i64> = {
        let s = SqliteStore::open(dir.path()).unwrap();
        let out = s.put(&objects, &Default::default()).unwrap();
        out.iter().map(|o| if let Outcome::Added(d) = o { d.0 } else { panic!("{o:?}") }).collect()
    };
    // As a database from before: the index by version, at schema version 15.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE INDEX observables_object ON observables (object); PRAGMA user_version = 15").unwrap();
    drop(conn);
    let s = SqliteStore::open(dir.path()).unwrap();
    let (per, by_version) = observable_entries(&path);
    assert!(!by_version, "migration 16 left the index by version");
    assert_eq!(per.iter().map(|p| p.0).collect::<Vec<_>>(), rows, "every object has entries");
    for (i, o) in objects.iter().enumerate() {
        assert_eq!(s.delete(o.id(), &Versions::ALL, None).unwrap(), 1);
        let (per, _) = observable_entries(&path);
        assert_eq!(per.iter().map(|p| p.0).collect::<Vec<_>>(), rows[i + 1..], "deleting {} left entries, or took another's", o.id());
    }
}

/// A version whose stored JSON no longer parses as an object still has
/// its entries taken from the index when it is deleted.
#[test]
fn deleting_a_version_whose_json_no_longer_parses_unindexes_it() {
    use store::{Store, Versions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::FILE_NAME);
    let objects = keyed_objects();
    let s = SqliteStore::open(dir.path()).unwrap();
    s.put(&objects, &Default::default()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE objects SET json = CAST('{\"type\": 1}' AS BLOB) WHERE id = ?", [objects[0].id().as_str()]).unwrap();
    drop(conn);
    let before = observable_entries(&path).0.len();
    assert_eq!(s.delete(objects[0].id(), &Versions::ALL, None).unwrap(), 1);
    assert_eq!(observable_entries(&path).0.len(), before - 1, "the unparsable version's entries stayed, or another's went");
}
