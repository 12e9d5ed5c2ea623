//! The store conformance suite on PostgreSQL, each case in a fresh schema of
//! the test database (`ENTENTE_TEST_DATABASE_URL`, which `cargo xtask test`
//! sets after starting a throwaway server), plus what only this backend has.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::PgStore;

/// The test database: required. `cargo xtask test` starts one; set
/// `ENTENTE_TEST_DATABASE_URL` to use another.
fn database_url() -> String {
    std::env::var("ENTENTE_TEST_DATABASE_URL").expect(
        "ENTENTE_TEST_DATABASE_URL is not set: run the suite with `cargo xtask test`, \
         which starts a throwaway PostgreSQL, or point it at a database you may write to",
    )
}

/// A fresh, empty store in a schema of its own.
pub(crate) fn fresh() -> Arc<PgStore> {
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!("t{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0));
    let url = database_url();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test database");
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create a test schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        format!("{url}{sep}options=-csearch_path%3D{schema}")
    } else {
        format!("{url} options='-c search_path={schema}'")
    };
    Arc::new(PgStore::open(&scoped).expect("open the store"))
}

store::conformance_suite!(fresh);

#[test]
fn refuses_newer_schema_and_reopens_current() {
    let store = fresh();
    let mut c = store.conn().unwrap();
    c.batch_execute("INSERT INTO entente_migrations (version) VALUES (99)").unwrap();
    drop(c);
    let err = store.migrate().err().expect("must refuse");
    assert_eq!(err.to_string(), "the database is at schema version 99, newer than this binary knows (1); upgrade Entente");
}
