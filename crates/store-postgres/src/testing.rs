//! Test support: a fresh, empty store in a schema of its own in the test
//! database (`ENTENTE_TEST_DATABASE_URL`, which `cargo xtask test` sets after
//! starting a throwaway server). Used by this crate's conformance suite and
//! by other crates' tests that run on both backends.

pub mod server;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::PgStore;

/// The test database: required. `cargo xtask test` starts one; set
/// `ENTENTE_TEST_DATABASE_URL` to use another.
pub fn database_url() -> String {
    std::env::var("ENTENTE_TEST_DATABASE_URL").expect(
        "ENTENTE_TEST_DATABASE_URL is not set: run the suite with `cargo xtask test`, \
         which starts a throwaway PostgreSQL, or point it at a database you may write to",
    )
}

/// A URL for a new, empty schema of the test database.
pub fn fresh_url() -> String {
    fresh_named().0
}

/// A URL for a new, empty schema of the test database, and the
/// `application_name` its connections carry (the schema's name), so that a
/// test can find its own connections in `pg_stat_activity`.
pub fn fresh_named() -> (String, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let schema = format!("t{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let url = database_url();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test database");
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create a test schema");
    let scoped = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-csearch_path%3D{schema}&application_name={schema}")
    } else {
        format!("{url} options='-c search_path={schema}' application_name={schema}")
    };
    (scoped, schema)
}

/// A fresh, empty store in a schema of its own.
pub fn fresh() -> Arc<PgStore> {
    fresh_with_name().0
}

/// A fresh store and the `application_name` of its connections.
pub fn fresh_with_name() -> (Arc<PgStore>, String) {
    let (url, name) = fresh_named();
    (Arc::new(PgStore::open(&url).expect("open the store")), name)
}
