//! The single writer: batch puts with per-object outcomes, collection
//! membership, deletes, and the `date_added` clock.

use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use store::{release_facts, DateAdded, ObservableKey, Outcome, PutOptions, Result, Versions, AGREEMENT_COLLECTION_PREFIX};

use crate::sql_err;

pub(crate) struct Writer {
    conn: Connection,
    /// The last `date_added` handed out (microseconds), objects and
    /// collection memberships alike.
    last: i64,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// The latest `date_added` the database holds, objects and collection
/// memberships alike (0 when empty).
fn latest(conn: &Connection) -> Result<i64> {
    let last: Option<i64> = conn
        .query_row(
            "SELECT max(m) FROM (SELECT max(date_added) AS m FROM objects
             UNION ALL SELECT max(date_added) FROM collection_objects)",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    Ok(last.unwrap_or(0))
}

/// A stored version of an object: what the writer needs to decide.
struct Existing {
    version: i64,
    date_added: i64,
    is_first: bool,
    is_last: bool,
    author: Option<String>,
    recalled: bool,
}

impl store::Held for Existing {
    fn version(&self) -> i64 {
        self.version
    }
    fn date_added(&self) -> i64 {
        self.date_added
    }
    fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }
}

/// The two tables that carry versions with first/last flags.
#[derive(Clone, Copy)]
enum Table {
    Objects,
    Collection,
}

impl Writer {
    pub(crate) fn new(conn: Connection) -> Result<Writer> {
        let last = latest(&conn)?;
        Ok(Writer { conn, last })
    }

    /// Every write transaction begins `IMMEDIATE`: it reads what is held and
    /// then writes, and another process (a server and a command on one
    /// database) may write in between; taking the write lock first makes
    /// it wait its turn (busy timeout) instead of failing with "database is
    /// locked" when its read snapshot went stale.
    pub(crate) fn put(&mut self, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>> {
        let mut out = Vec::with_capacity(objects.len());
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
        // A backdated batch reads the latest date under the write lock:
        // another process on this database may have written since this
        // writer last did, and history must never go below what it wrote.
        let mut last = match options.added_at {
            Some(_) => self.last.max(latest(&tx)?),
            None => self.last,
        };
        let added_at = options.added_at;
        let mut clock = || {
            last = store::backdated(now_micros(), added_at, last);
            last
        };
        let mut observables = Vec::new();
        let mut narrowed = options.narrows;
        for obj in objects {
            let outcome = put_version(&tx, obj, options, &mut clock, &mut observables, &mut narrowed)?;
            if let Outcome::Added(d) | Outcome::Unchanged(d) = outcome {
                for agreement in &options.shares {
                    let c = store::agreement_collection(agreement);
                    if let Outcome::Added(_) = add_to_collection(&tx, &c, obj, d.0, &mut clock)? {
                        tx.prepare_cached(
                            "UPDATE objects SET shared_under = CASE WHEN shared_under = '' THEN ?2
                             ELSE shared_under || ' ' || ?2 END WHERE date_added = ?1",
                        )
                        .and_then(|mut s| s.execute(params![d.0, agreement]))
                        .map_err(sql_err)?;
                    }
                }
            }
            let outcome = match (&options.collection, outcome) {
                (Some(c), Outcome::Added(d) | Outcome::Unchanged(d)) => add_to_collection(&tx, c, obj, d.0, &mut clock)?,
                (_, other) => other,
            };
            out.push(outcome);
        }
        // The observable index, in key order: each B-tree page is visited
        // once per batch rather than once per entry.
        observables.sort_unstable();
        for (key, object) in observables {
            tx.prepare_cached("INSERT OR IGNORE INTO observables (key, object) VALUES (?, ?)")
                .and_then(|mut s| s.execute(params![&key.0[..], object]))
                .map_err(sql_err)?;
        }
        for sig in &options.signatures {
            tx.prepare_cached("INSERT OR IGNORE INTO signatures (id, version, signer, value) VALUES (?, ?, ?, ?)")
                .and_then(|mut s| s.execute(params![sig.id, sig.version_micros, sig.signer, sig.value]))
                .map_err(sql_err)?;
        }
        if let Some((key, value)) = &options.checkpoint {
            tx.prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2")
                .and_then(|mut s| s.execute(params![key, value]))
                .map_err(sql_err)?;
        }
        if narrowed {
            removed(&tx)?;
        }
        tx.commit().map_err(sql_err)?;
        self.last = last;
        Ok(out)
    }

    /// [`store::Store::reoffer`]: fresh dates for a collection's members,
    /// in order, unless the setting already holds the value.
    pub(crate) fn reoffer(&mut self, collection: &str, key: &str, value: &str) -> Result<bool> {
        let mut last = self.last;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
        let current: Option<String> = tx
            .query_row("SELECT value FROM settings WHERE key = ?", [key], |r| r.get(0))
            .map(Some)
            .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
            .map_err(sql_err)?;
        if current.as_deref() == Some(value) {
            return Ok(false);
        }
        let members: Vec<i64> = {
            let mut stmt = tx
                .prepare_cached("SELECT date_added FROM collection_objects WHERE collection = ? ORDER BY date_added")
                .map_err(sql_err)?;
            let rows = stmt.query_map([collection], |r| r.get(0)).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)?
        };
        for old in members {
            last = now_micros().max(last + 1);
            tx.prepare_cached("UPDATE collection_objects SET date_added = ? WHERE date_added = ?")
                .and_then(|mut s| s.execute(params![last, old]))
                .map_err(sql_err)?;
        }
        tx.prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2")
            .and_then(|mut s| s.execute(params![key, value]))
            .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        self.last = last;
        Ok(true)
    }

    pub(crate) fn delete(&mut self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<u64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
        let id = id.as_str();
        let deleted = match collection {
            None => {
                let doomed: Vec<i64> = existing(&tx, Table::Objects, None, id)?
                    .into_iter()
                    .filter(|e| versions.selects(e.is_first, e.is_last, e.version))
                    .map(|e| e.date_added)
                    .collect();
                for row in &doomed {
                    drop_version(&tx, *row)?;
                }
                recompute(&tx, Table::Objects, None, id)?;
                doomed.len() as u64
            }
            Some(c) => {
                let doomed: Vec<(i64, i64)> = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT date_added, object, version, is_first, is_last FROM collection_objects
                             WHERE collection = ? AND id = ?",
                        )
                        .map_err(sql_err)?;
                    let rows = stmt
                        .query_map(params![c, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                        .map_err(sql_err)?;
                    rows.collect::<rusqlite::Result<Vec<(i64, i64, i64, bool, bool)>>>()
                        .map_err(sql_err)?
                        .into_iter()
                        .filter(|(_, _, v, f, l)| versions.selects(*f, *l, *v))
                        .map(|(m, o, _, _, _)| (m, o))
                        .collect()
                };
                for (membership, object) in &doomed {
                    tx.execute("DELETE FROM collection_objects WHERE date_added = ?", [membership]).map_err(sql_err)?;
                    let still_held: bool = tx
                        .query_row("SELECT EXISTS (SELECT 1 FROM collection_objects WHERE object = ?)", [object], |r| r.get(0))
                        .map_err(sql_err)?;
                    if !still_held {
                        drop_version(&tx, *object)?;
                    }
                }
                recompute(&tx, Table::Collection, Some(c), id)?;
                recompute(&tx, Table::Objects, None, id)?;
                if c.starts_with(AGREEMENT_COLLECTION_PREFIX) {
                    for (_, object) in &doomed {
                        recompute_shares(&tx, *object)?;
                    }
                }
                doomed.len() as u64
            }
        };
        removed(&tx)?;
        tx.commit().map_err(sql_err)?;
        Ok(deleted)
    }
}

/// Moves the store's removal generation ([`store::Store::removals`]) in
/// the writing transaction.
fn removed(tx: &Transaction<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
    )
    .and_then(|mut s| s.execute([store::REMOVALS]))
    .map(|_| ())
    .map_err(sql_err)
}

/// Stores one version in `objects`: added, unchanged, conflict or refused.
fn put_version(
    tx: &Transaction<'_>,
    obj: &model::Object,
    options: &PutOptions,
    clock: &mut impl FnMut() -> i64,
    observables: &mut Vec<(ObservableKey, i64)>,
    narrowed: &mut bool,
) -> Result<Outcome> {
    let id = obj.id().as_str();
    let existing = existing(tx, Table::Objects, None, id)?;
    let read = |e: &Existing| {
        tx.prepare_cached("SELECT json FROM objects WHERE date_added = ?")
            .and_then(|mut s| s.query_row([e.date_added], |r| r.get(0)))
            .map_err(sql_err)
    };
    if let Some(outcome) = store::decide_version(obj, options, &existing, read)? {
        return Ok(outcome);
    }
    let date_added = clock();
    let (version, version_text) = match obj.version() {
        Some(v) => (v.micros(), v.as_str().to_owned()),
        None => (date_added, DateAdded(date_added).to_string()),
    };
    let (is_first, is_last) = flags_for(tx, Table::Objects, None, id, &existing, version)?;
    // A recall: the latest version revokes the object, and every version says so.
    let recalled = if is_last { obj.revoked() } else { existing.iter().any(|e| e.recalled) };
    if is_last && existing.iter().any(|e| e.recalled != recalled) {
        tx.prepare_cached("UPDATE objects SET recalled = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id, recalled]))
            .map_err(sql_err)?;
        // What readers were given of its earlier versions changes.
        *narrowed = true;
    }
    tx.prepare_cached(
        "INSERT INTO objects (date_added, id, type, version, version_text, spec_version,
         created_by_ref, posted_by, is_first, is_last, revoked, json, facts, recalled)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![
            date_added,
            id,
            obj.object_type(),
            version,
            version_text,
            obj.spec_version(),
            store::answerer(obj, options),
            options.posted_by,
            is_first,
            is_last,
            obj.revoked(),
            obj.json(),
            release_facts(obj, options),
            recalled,
        ])
    })
    .map_err(sql_err)?;
    // Parsed once for the indexes of what it names and of its words.
    let value = obj.to_value();
    observables.extend(ObservableKey::of_parsed(obj, &value).into_iter().map(|k| (k, date_added)));
    if let Some(fields) = store::TextFields::of(&value) {
        index_text(tx, date_added, &fields)?;
    }
    Ok(Outcome::Added(DateAdded(date_added)))
}

/// Adds a version's words to the text index.
pub(crate) fn index_text(conn: &Connection, object: i64, f: &store::TextFields) -> Result<()> {
    conn.prepare_cached("INSERT INTO object_text (rowid, name, labels, description, body) VALUES (?, ?, ?, ?, ?)")
        .and_then(|mut s| s.execute(params![object, f.name, f.labels, f.description, f.body]))
        .map(|_| ())
        .map_err(sql_err)
}

/// Adds the stored version (row `object`) to a collection.
fn add_to_collection(
    tx: &Transaction<'_>,
    collection: &str,
    obj: &model::Object,
    object: i64,
    clock: &mut impl FnMut() -> i64,
) -> Result<Outcome> {
    let id = obj.id().as_str();
    let version: i64 = tx
        .prepare_cached("SELECT version FROM objects WHERE date_added = ?")
        .and_then(|mut s| s.query_row([object], |r| r.get(0)))
        .map_err(sql_err)?;
    let existing = existing(tx, Table::Collection, Some(collection), id)?;
    if let Some(e) = existing.iter().find(|e| e.version == version) {
        return Ok(Outcome::Unchanged(DateAdded(e.date_added)));
    }
    let date_added = clock();
    let (is_first, is_last) = flags_for(tx, Table::Collection, Some(collection), id, &existing, version)?;
    tx.prepare_cached(
        "INSERT INTO collection_objects (date_added, collection, object, id, type, version, is_first, is_last)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .and_then(|mut s| {
        s.execute(params![date_added, collection, object, id, obj.object_type(), version, is_first, is_last])
    })
    .map_err(sql_err)?;
    Ok(Outcome::Added(DateAdded(date_added)))
}

/// The versions of `id` already in a table (within `collection` for memberships).
fn existing(tx: &Transaction<'_>, table: Table, collection: Option<&str>, id: &str) -> Result<Vec<Existing>> {
    let read = |r: &rusqlite::Row<'_>| {
        Ok(Existing {
            version: r.get(0)?,
            date_added: r.get(1)?,
            is_first: r.get(2)?,
            is_last: r.get(3)?,
            author: r.get(4)?,
            recalled: r.get(5)?,
        })
    };
    let rows = match table {
        Table::Objects => tx
            .prepare_cached(
                "SELECT version, date_added, is_first, is_last, coalesce(created_by_ref, posted_by), recalled
                 FROM objects WHERE id = ?",
            )
            .and_then(|mut s| s.query_map([id], read)?.collect::<rusqlite::Result<Vec<_>>>()),
        Table::Collection => tx
            .prepare_cached(
                "SELECT version, date_added, is_first, is_last, NULL, 0
                 FROM collection_objects WHERE collection = ? AND id = ?",
            )
            .and_then(|mut s| s.query_map(params![collection, id], read)?.collect::<rusqlite::Result<Vec<_>>>()),
    };
    rows.map_err(sql_err)
}

/// Decides the flags of a new version and clears the old holder's.
fn flags_for(
    tx: &Transaction<'_>,
    table: Table,
    collection: Option<&str>,
    id: &str,
    existing: &[Existing],
    version: i64,
) -> Result<(bool, bool)> {
    let is_last = existing.iter().all(|e| e.version < version);
    let is_first = existing.iter().all(|e| e.version > version);
    let (t, scope) = match table {
        Table::Objects => ("objects", "id = ?1"),
        Table::Collection => ("collection_objects", "id = ?1 AND collection = ?2"),
    };
    let bind = |sql: &str| -> Result<()> {
        let mut s = tx.prepare_cached(sql).map_err(sql_err)?;
        match collection {
            Some(c) => s.execute(params![id, c]),
            None => s.execute(params![id]),
        }
        .map(|_| ())
        .map_err(sql_err)
    };
    if is_last && existing.iter().any(|e| e.is_last) {
        bind(&format!("UPDATE {t} SET is_last = 0 WHERE {scope} AND is_last = 1"))?;
    }
    if is_first && existing.iter().any(|e| e.is_first) {
        bind(&format!("UPDATE {t} SET is_first = 0 WHERE {scope} AND is_first = 1"))?;
    }
    Ok((is_first, is_last))
}

/// Recomputes first/last of `id` after deletions.
fn recompute(tx: &Transaction<'_>, table: Table, collection: Option<&str>, id: &str) -> Result<()> {
    let sql = match table {
        Table::Objects => {
            "UPDATE objects SET
               is_first = (version = (SELECT min(version) FROM objects WHERE id = ?1)),
               is_last  = (version = (SELECT max(version) FROM objects WHERE id = ?1)),
               recalled = coalesce((SELECT revoked FROM objects WHERE id = ?1 ORDER BY version DESC LIMIT 1), 0)
             WHERE id = ?1"
        }
        Table::Collection => {
            "UPDATE collection_objects SET
               is_first = (version = (SELECT min(version) FROM collection_objects WHERE id = ?1 AND collection = ?2)),
               is_last  = (version = (SELECT max(version) FROM collection_objects WHERE id = ?1 AND collection = ?2))
             WHERE id = ?1 AND collection = ?2"
        }
    };
    match collection {
        Some(c) => tx.execute(sql, params![id, c]),
        None => tx.execute(sql, params![id]),
    }
    .map(|_| ())
    .map_err(sql_err)
}

/// Recomputes the agreements a version is shared under from its
/// memberships of agreement collections, in the order it joined them.
fn recompute_shares(tx: &Transaction<'_>, object: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE objects SET shared_under = coalesce((SELECT group_concat(collection, ' ') FROM
           (SELECT collection FROM collection_objects WHERE object = ?1 AND collection LIKE 'x-entente-agreement--%'
            ORDER BY date_added)), '')
         WHERE date_added = ?1",
    )
    .and_then(|mut s| s.execute([object]))
    .map(|_| ())
    .map_err(sql_err)
}

/// Removes one version from the store and from every collection holding it.
fn drop_version(tx: &Transaction<'_>, object: i64) -> Result<()> {
    let held: Vec<(String, String)> = {
        let mut s = tx
            .prepare_cached("SELECT collection, id FROM collection_objects WHERE object = ?")
            .map_err(sql_err)?;
        let rows = s.query_map([object], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(sql_err)?
    };
    tx.execute("DELETE FROM collection_objects WHERE object = ?", [object]).map_err(sql_err)?;
    for (c, id) in held {
        recompute(tx, Table::Collection, Some(&c), &id)?;
    }
    unindex_observables(tx, object)?;
    tx.execute("DELETE FROM object_text WHERE rowid = ?", [object]).map_err(sql_err)?;
    tx.execute(
        // An object without a version of its own has its signature under 0.
        "DELETE FROM signatures WHERE (id, version) IN
           (SELECT id, version FROM objects WHERE date_added = ?1 UNION ALL SELECT id, 0 FROM objects WHERE date_added = ?1)",
        [object],
    )
    .map_err(sql_err)?;
    tx.execute("DELETE FROM objects WHERE date_added = ?", [object]).map_err(sql_err)?;
    Ok(())
}

/// Removes a version's entries from the observable index by their primary
/// key: the keys [`ObservableKey::of`] gives the JSON being deleted, the
/// ones its put wrote (migration 16 dropped the index by version). A
/// version whose stored JSON no longer parses as an object has its entries
/// found by a scan of the index instead.
fn unindex_observables(tx: &Transaction<'_>, object: i64) -> Result<()> {
    let json: Option<Vec<u8>> = tx
        .prepare_cached("SELECT json FROM objects WHERE date_added = ?")
        .and_then(|mut s| s.query_row([object], |r| r.get(0)))
        .map(Some)
        .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
        .map_err(sql_err)?;
    let Some(json) = json else { return Ok(()) };
    // The size limit is the writer's, not the store's: what was stored is read back whatever its size.
    let limits = model::Limits { max_object_bytes: usize::MAX };
    match model::Object::parse(&json, &limits) {
        Ok(parsed) => {
            let mut delete = tx.prepare_cached("DELETE FROM observables WHERE key = ? AND object = ?").map_err(sql_err)?;
            for key in ObservableKey::of(&parsed) {
                delete.execute(params![&key.0[..], object]).map_err(sql_err)?;
            }
        }
        Err(_) => {
            tx.execute("DELETE FROM observables WHERE object = ?", [object]).map_err(sql_err)?;
        }
    }
    Ok(())
}

impl Writer {
    /// The writer's connection, for small writes outside batch puts.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }
}
