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
    include_str!("migrations/0009_sighting_refs.sql"),
    include_str!("migrations/0010_record_refs.sql"),
    include_str!("migrations/0011_link_refs.sql"),
    include_str!("migrations/0012_text.sql"),
    include_str!("migrations/0013_release_covers.sql"),
    include_str!("migrations/0014_text_prefixes.sql"),
    include_str!("migrations/0015_text_vocabulary.sql"),
    include_str!("migrations/0016_observables_by_key.sql"),
];

/// The migration after which the sightings already stored get their
/// `sighting_of_ref` key ([`store::ObservableKey::sighting_of`]).
const SIGHTING_REFS: i64 = 9;

/// The migration after which the partnership records already stored get
/// their [`store::ObservableKey::refers_to`] keys.
const RECORD_REFS: i64 = 10;

/// The migration after which the linking objects already stored
/// (relationships, reports, …) get their [`store::ObservableKey::linked`] keys.
const LINK_REFS: i64 = 11;

/// The migration after which the versions already stored get their words
/// in the text index ([`store::TextFields`]): the one that last made the
/// index (14, with prefix indexes; 12 made it first, and a database
/// migrated past 12 by this binary is indexed once, after 14).
const TEXT: i64 = 14;

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
            if version == SIGHTING_REFS {
                index_sighting_refs(conn)?;
            }
            if version == RECORD_REFS {
                index_record_refs(conn)?;
            }
            if version == LINK_REFS {
                index_link_refs(conn)?;
            }
            if version == TEXT {
                index_text(conn)?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {version}")).map_err(sql_err)?;
        }
        Ok(())
    })();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(sql_err)?;
    result
}

/// Keys every stored sighting by what it is of.
fn index_sighting_refs(conn: &Connection) -> Result<()> {
    let keyed: Vec<(Vec<u8>, i64)> = {
        let mut stmt = conn.prepare("SELECT date_added, json FROM objects WHERE type = 'sighting'").map_err(sql_err)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sql_err)?;
        let mut keyed = Vec::new();
        for row in rows {
            let (object, json) = row.map_err(sql_err)?;
            if let Some(key) = store::ObservableKey::of_stored_sighting(&json) {
                keyed.push((key.0.to_vec(), object));
            }
        }
        keyed
    };
    let mut insert = conn.prepare("INSERT OR IGNORE INTO observables (key, object) VALUES (?, ?)").map_err(sql_err)?;
    for (key, object) in &keyed {
        insert.execute(rusqlite::params![key, object]).map_err(sql_err)?;
    }
    tracing::info!(sightings = keyed.len(), "indexed stored sightings by what they are of");
    Ok(())
}

/// Keys every stored partnership record by the records it names.
fn index_record_refs(conn: &Connection) -> Result<()> {
    let kinds: Vec<String> = {
        let mut stmt = conn.prepare("SELECT DISTINCT type FROM objects WHERE substr(type, 1, ?1) = ?2").map_err(sql_err)?;
        let prefix = store::RECORD_TYPE_PREFIX;
        let rows = stmt.query_map(rusqlite::params![prefix.len() as i64, prefix], |r| r.get::<_, String>(0)).map_err(sql_err)?;
        rows.collect::<std::result::Result<_, _>>().map_err(sql_err)?
    };
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    index_stored(conn, &kinds, store::ObservableKey::references_of_stored, "partnership records by what they name")
}

/// Keys every stored relationship, report, grouping, note and opinion by
/// the objects it links.
fn index_link_refs(conn: &Connection) -> Result<()> {
    index_stored(conn, store::LINK_TYPES, store::ObservableKey::links_of_stored, "relationships, reports and notes by what they link")
}

/// Adds the index keys `keys_of` gives each stored version of `types`.
fn index_stored(conn: &Connection, types: &[&str], keys_of: fn(&[u8]) -> Vec<store::ObservableKey>, what: &str) -> Result<()> {
    let marks = vec!["?"; types.len()].join(",");
    let keyed: Vec<(Vec<u8>, i64)> = {
        let mut stmt = conn.prepare(&format!("SELECT date_added, json FROM objects WHERE type IN ({marks})")).map_err(sql_err)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(types), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sql_err)?;
        let mut keyed = Vec::new();
        for row in rows {
            let (object, json) = row.map_err(sql_err)?;
            keyed.extend(keys_of(&json).into_iter().map(|k| (k.0.to_vec(), object)));
        }
        keyed
    };
    let mut insert = conn.prepare("INSERT OR IGNORE INTO observables (key, object) VALUES (?, ?)").map_err(sql_err)?;
    for (key, object) in &keyed {
        insert.execute(rusqlite::params![key, object]).map_err(sql_err)?;
    }
    tracing::info!(keys = keyed.len(), "indexed stored {what}");
    Ok(())
}

/// Adds the words of every stored version to the text index (emptied
/// first), a thousand versions read at a time.
fn index_text(conn: &Connection) -> Result<()> {
    // From empty: a database taken back to an earlier version runs this again.
    conn.execute_batch("INSERT INTO object_text (object_text) VALUES ('delete-all')").map_err(sql_err)?;
    let mut select = conn.prepare("SELECT date_added, json FROM objects WHERE date_added > ? ORDER BY date_added LIMIT 1000").map_err(sql_err)?;
    let mut after = i64::MIN;
    let mut indexed = 0u64;
    loop {
        let rows: Vec<(i64, Vec<u8>)> = select
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql_err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(sql_err)?;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        for (object, json) in &rows {
            if let Some(fields) = store::TextFields::of_stored(json) {
                crate::write::index_text(conn, *object, &fields)?;
                indexed += 1;
            }
        }
        after = last;
    }
    tracing::info!(versions = indexed, "indexed the words of stored versions");
    Ok(())
}
