//! Migrations: numbered SQL files applied in order, tracked in `user_version`.

use rusqlite::Connection;
use store::{Error, Result};

use crate::sql_err;

/// The migrations, in order; the database's `user_version` is how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_objects.sql"),
    include_str!("migrations/0002_collections_and_registry.sql"),
    include_str!("migrations/0003_release.sql"),
    include_str!("migrations/0004_observables.sql"),
    include_str!("migrations/0005_peers.sql"),
    include_str!("migrations/0006_signatures.sql"),
    include_str!("migrations/0007_collection_order_covers.sql"),
    include_str!("migrations/0008_users.sql"),
];

/// Applies the migrations the database lacks, in one transaction; refuses a
/// database that a newer binary migrated further than this one knows.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err)?;
    let result = (|| {
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql_err)?;
        if found > known {
            return Err(Error::NewerSchema { found, known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i64 + 1;
            tracing::info!(version, "applying migration");
            conn.execute_batch(sql).map_err(sql_err)?;
            conn.execute_batch(&format!("PRAGMA user_version = {version}")).map_err(sql_err)?;
        }
        Ok(())
    })();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(sql_err)?;
    result
}
