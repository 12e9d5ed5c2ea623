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
    assert_eq!(err.to_string(), "the database is at schema version 99, newer than this binary knows (6); upgrade Entente");
}
