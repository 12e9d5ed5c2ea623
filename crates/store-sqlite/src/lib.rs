//! The embedded default store: one SQLite file at `<data-dir>/entente.db`.
//!
//! Why SQLite through rusqlite with the bundled library: no server to run,
//! one file to back up, a known SQLite version on every machine, and
//! prepared statements without an async layer in the way (the store is
//! called from a blocking pool). The database runs in WAL mode with
//! `synchronous=FULL`, so an acknowledged write survives power loss while
//! readers proceed beside the single writer.
//!
//! `date_added` is the table's integer primary key, assigned under the
//! writer lock as `max(now, last + 1)` microseconds: strictly increasing, in
//! commit order, so a page read never misses a row committed later.

mod checkpoint;
mod merge;
mod registry;
mod schema;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params_from_iter, types::Value as SqlValue, Connection, OpenFlags};
use store::{Cursor, DateAdded, Error, Outcome, Page, PutOptions, Query, Record, Result, Stats, Versions};

/// A SQLite-backed [`store::Store`].
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<write::Writer>,
    readers: Mutex<Vec<Connection>>,
    checkpointer: checkpoint::Checkpointer,
}

/// The file name of the database inside the data dir.
pub const FILE_NAME: &str = "entente.db";

pub(crate) fn sql_err(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(ref f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            Error::Unavailable(e.to_string())
        }
        other => Error::Internal(other.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating if needed, 0700) the store in `data_dir`, applying migrations.
    pub fn open(data_dir: &Path) -> Result<SqliteStore> {
        create_dir(data_dir).map_err(|e| Error::Unavailable(format!("cannot create {}: {e}", data_dir.display())))?;
        Self::open_file(&data_dir.join(FILE_NAME))
    }

    /// Opens (creating if needed) the store in the given file. A new file is
    /// made readable by its owner alone (0600); SQLite gives the
    /// write-ahead log and its index (`-wal`, `-shm`) the file's mode.
    pub fn open_file(path: &Path) -> Result<SqliteStore> {
        create_file(path).map_err(|e| Error::Unavailable(format!("cannot create {}: {e}", path.display())))?;
        let conn = connect(path, OpenFlags::default())?;
        // The writer keeps a larger page cache (128 MiB): bulk puts touch the
        // pages of three random-key indexes (docs/benchmarks.md, import).
        conn.execute_batch("PRAGMA cache_size = -131072").map_err(sql_err)?;
        schema::migrate(&conn)?;
        let writer = write::Writer::new(conn)?;
        let checkpointer = checkpoint::Checkpointer::start(path.to_owned());
        Ok(SqliteStore { path: path.to_owned(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()), checkpointer })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < 16 {
            pool.push(conn);
        }
        out
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates an empty database file (a valid, empty SQLite database), 0600,
/// unless there is one.
fn create_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Database page size for new files. SQLite's default, 4 KiB: a small
/// transaction touches one leaf page per entry in each random-key index
/// (ids, observables), and every touched page is written to the log whole,
/// so smaller pages mean less to write per object (docs/benchmarks.md,
/// "TAXII ingest and the write-ahead log"). Files made with 16 KiB pages
/// before keep them.
const PAGE_SIZE: u32 = 4096;

/// Log pages after which the writer checkpoints in line (256 MiB at 4 KiB):
/// envelopes written one after another share the write-back of the index
/// pages they touch. The background checkpointer empties it when writes pause.
pub(crate) const WAL_PAGES: u32 = 65536;

/// What is left of the log file when it starts afresh (64 MiB): disk use
/// stays near this between bursts rather than at the burst's peak.
const WAL_KEPT_BYTES: u64 = 64 << 20;

// No memory map (`mmap_size = 0`): each connection's map counts the file
// pages it touched in the process's resident memory, once per connection,
// which pushed a server reading a million objects to 300 MB; reads go
// through the page cache with `pread` instead, at a cost measured in
// docs/benchmarks.md.
pub(crate) fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags).map_err(sql_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sql_err)?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = {PAGE_SIZE};
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16384;
         PRAGMA mmap_size = 0;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = {WAL_PAGES};
         PRAGMA journal_size_limit = {WAL_KEPT_BYTES};"
    ))
    .map_err(sql_err)?;
    Ok(conn)
}

/// Builds the FROM and WHERE clauses and parameters of a query. Within a
/// collection, dates and version flags come from the membership table `m`;
/// otherwise from the objects table `o` itself. Within a collection,
/// `with_objects: false` leaves the objects table out (the query must then
/// filter on nothing but the membership's columns: [`merge`]).
fn from_where(q: &Query, with_objects: bool) -> (String, Vec<SqlValue>) {
    from_where_with(q, with_objects, true)
}

/// [`from_where`]; `by_key: false` never drives the read from the
/// observables index (a read by arrival reuses the conditions on another
/// table).
fn from_where_with(q: &Query, with_objects: bool, by_key: bool) -> (String, Vec<SqlValue>) {
    if q.collection.is_none() && !q.through.is_empty() {
        return arrivals(q);
    }
    let mut params = Vec::new();
    // With ids, read through the (id, version) index: left to itself the
    // planner prefers the date-order index (to satisfy ORDER BY) and scans
    // the whole collection for one object.
    let by_id = !q.ids.is_empty();
    // With one observable key (a channel's messages, an agreement's
    // records, an object's sightings) outside a collection, walk that key's
    // entries in date order and join each to its version: a page then
    // costs the same whatever the key's size. Left to itself the planner
    // builds the key's whole list first.
    let driven = by_key && !by_id && q.collection.is_none() && q.observables.len() == 1;
    if driven {
        let key = q.observables[0];
        let mut sql = " FROM observables k CROSS JOIN objects o ON o.date_added = k.object WHERE k.key = ? AND k.object > ?".to_owned();
        params.push(SqlValue::Blob(key.0.to_vec()));
        params.push(SqlValue::Integer(q.lower_bound()));
        let rest = Query { observables: Vec::new(), ..q.clone() };
        let (tail, more) = from_where_with(&rest, with_objects, false);
        // The plain read's conditions after its date bound, with its order
        // taken by the key's.
        let conds = tail.split_once(" AND o.date_added > ?").map_or("", |(_, c)| c);
        let conds = conds.strip_suffix(" ORDER BY o.date_added").unwrap_or(conds);
        sql.push_str(conds);
        sql.push_str(" ORDER BY k.object");
        params.extend(more.into_iter().skip(1));
        return (sql, params);
    }
    let (mut sql, v) = match &q.collection {
        Some(c) => {
            params.push(SqlValue::Text(c.clone()));
            let index = if by_id { " INDEXED BY collection_objects_version" } else { "" };
            let join = if with_objects { " JOIN objects o ON o.date_added = m.object" } else { "" };
            (format!(" FROM collection_objects m{index}{join} WHERE m.collection = ?"), "m")
        }
        None => {
            let index = if by_id { " INDEXED BY objects_id_version" } else { "" };
            (format!(" FROM objects o{index} WHERE 1"), "o")
        }
    };
    sql.push_str(&format!(" AND {v}.date_added > ?"));
    params.push(SqlValue::Integer(q.lower_bound()));
    let mut list = |sql: &mut String, column: &str, values: &[String]| {
        if values.is_empty() {
            return;
        }
        sql.push_str(&format!(" AND {column} IN ("));
        for (i, v) in values.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ",?" });
            params.push(SqlValue::Text(v.clone()));
        }
        sql.push(')');
    };
    list(&mut sql, &format!("{v}.type"), &q.types);
    list(&mut sql, &format!("{v}.id"), &q.ids);
    list(&mut sql, "o.spec_version", &q.spec_versions);
    list(&mut sql, "o.created_by_ref", &q.authors);
    if !q.observables.is_empty() {
        let marks = vec!["?"; q.observables.len()].join(",");
        sql.push_str(&format!(" AND o.date_added IN (SELECT object FROM observables WHERE key IN ({marks}))"));
        params.extend(q.observables.iter().map(|k| SqlValue::Blob(k.0.to_vec())));
    }
    let sel = &q.versions;
    if !sel.all {
        let mut alts = Vec::new();
        if sel.first {
            alts.push(format!("{v}.is_first = 1"));
        }
        if sel.last {
            alts.push(format!("{v}.is_last = 1"));
        }
        if !sel.at.is_empty() {
            let marks = vec!["?"; sel.at.len()].join(",");
            alts.push(format!("{v}.version IN ({marks})"));
            params.extend(sel.at.iter().map(|t| SqlValue::Integer(t.micros())));
        }
        if alts.is_empty() {
            alts.push("0".into());
        }
        sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    sql.push_str(&format!(" ORDER BY {v}.date_added"));
    (sql, params)
}

/// The most types a read by arrival reads one branch each
/// ([`arrivals`]); past it, one branch filters them all.
const TYPE_BRANCHES: usize = 64;

/// The rest of a read by arrival ([`Query::through`]) after [`select`]'s
/// columns: the versions' own rows (`via` empty), then, merged in date
/// order, their memberships of the `through` collections (`via` the
/// collection), the same filters applied to the version. Each branch is
/// read in `date_added` order (the memberships by their primary key, or by
/// id within the collections), so the compound's `ORDER BY` merges them
/// as they come, without sorting.
///
/// Filtered by type (a peer pulling the partnership records), the own rows
/// are one branch per type, each read from the index of (type, date
/// added) in date order. One branch for all the types (`type IN (…)`)
/// would be read from that index type after type and sorted whole before
/// its first row is given: every page would sort every matching version
/// after the cursor, JSON and all, so a round pulling N records sorted
/// N²/2000 rows (docs/benchmarks.md, "A crisis's records").
fn arrivals(q: &Query) -> (String, Vec<SqlValue>) {
    let mut types = q.types.clone();
    types.sort_unstable();
    types.dedup();
    let by_type = q.ids.is_empty() && !types.is_empty() && types.len() <= TYPE_BRANCHES;
    let arms: Vec<Query> = if by_type {
        types.iter().map(|t| Query { through: Vec::new(), gate: None, types: vec![t.clone()], ..q.clone() }).collect()
    } else {
        vec![Query { through: Vec::new(), gate: None, ..q.clone() }]
    };
    let mut sql = String::new();
    let mut all = Vec::new();
    for (i, arm) in arms.iter().enumerate() {
        let (clause, params) = from_where_with(arm, true, false);
        let (head, conds) = clause.split_once(" WHERE 1").unwrap_or((clause.as_str(), ""));
        let conds = conds.strip_suffix(" ORDER BY o.date_added").unwrap_or(conds);
        let head = if by_type { head.replacen(" FROM objects o", " FROM objects o INDEXED BY objects_type", 1) } else { head.to_owned() };
        if i > 0 {
            sql.push_str(&format!(" UNION ALL SELECT o.date_added, {COLUMNS}, o.is_first, o.is_last"));
        }
        sql.push_str(&format!(", ''{head} WHERE 1{conds}"));
        all.extend(params);
    }
    let plain = Query { through: Vec::new(), gate: None, types, ..q.clone() };
    let (clause, params) = from_where_with(&plain, true, false);
    let conds = clause.split_once(" WHERE 1").map_or("", |(_, c)| c);
    let conds = conds.strip_suffix(" ORDER BY o.date_added").unwrap_or(conds);
    let member_conds = conds.replacen(" AND o.date_added > ?", " AND m.date_added > ?", 1);
    let marks = vec!["?"; q.through.len()].join(",");
    let members = if q.ids.is_empty() { "NOT INDEXED" } else { "INDEXED BY collection_objects_version" };
    sql.push_str(&format!(
        " UNION ALL SELECT m.date_added, {COLUMNS}, o.is_first, o.is_last, m.collection
         FROM collection_objects m {members} JOIN objects o ON o.date_added = m.object
         WHERE m.collection IN ({marks}){member_conds} ORDER BY 1"
    ));
    all.extend(q.through.iter().map(|c| SqlValue::Text(c.clone())));
    all.extend(params);
    (sql, all)
}

/// The longest prefix the text index has an index of (migration 14's
/// `prefix = '2 3 4'`, in characters).
const PREFIX_INDEXED: usize = 4;

/// The most words a longer prefix is read as (else FTS5's own prefix query).
const PREFIX_WORDS: usize = 64;

/// A query word ending in `*`, as an FTS5 expression: up to
/// [`PREFIX_INDEXED`] characters, FTS5's prefix query (one term of a prefix
/// index); longer, the indexed words it begins, ORed (`("glacier" OR
/// "glacierlock")`, found by a range read of the vocabulary, migration 15),
/// which FTS5 merges lazily newest first and stops at the page, where its
/// own prefix query merges every such word's list before the first hit.
/// No word: nothing matches; more than [`PREFIX_WORDS`]: FTS5's prefix query.
fn prefix_term(c: &Connection, word: &str) -> Result<String> {
    let quoted = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    if word.chars().count() <= PREFIX_INDEXED {
        return Ok(format!("{}*", quoted(word)));
    }
    let mut stmt = c.prepare_cached("SELECT term FROM object_text_vocab WHERE term >= ?1 AND term < ?2 LIMIT ?3").map_err(sql_err)?;
    let upper = format!("{word}\u{10FFFF}");
    let terms = stmt
        .query_map(rusqlite::params![word, upper, PREFIX_WORDS as i64 + 1], |r| r.get::<_, String>(0))
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    let terms: Vec<&String> = terms.iter().filter(|t| t.starts_with(word)).collect();
    Ok(match terms.len() {
        0 => quoted(word),
        n if n > PREFIX_WORDS => format!("{}*", quoted(word)),
        _ => format!("({})", terms.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(" OR ")),
    })
}

/// The columns of a [`Record`], in the order [`refill_meta`] reads them.
const COLUMNS: &str = "o.id, o.type, o.version_text, o.version, o.spec_version, o.created_by_ref, o.posted_by, o.json, o.facts, o.shared_under, o.recalled";

/// [`COLUMNS`] with an empty JSON in its place: all of them held by the
/// index `objects_release`, so a read of these never visits the rows.
const RELEASE_COLUMNS: &str = "o.id, o.type, o.version_text, o.version, o.spec_version, o.created_by_ref, o.posted_by, x'', o.facts, o.shared_under, o.recalled";

/// The columns a walk reads after [`COLUMNS`]: whether the version is the
/// first and the last stored one of its object in the query's scope.
const FLAGS: usize = 12;

/// Where a read by arrival gives the collection a version came through,
/// after the flags.
const VIA: usize = FLAGS + 2;

/// The SQL of a text search's page and of its count, `filters` added to
/// the match. CROSS JOIN keeps the index the outer loop (SQLite does not
/// reorder it): else a `t.rowid < ?` bound may be carried over to the
/// objects' key and the objects scanned back from it, each probed in the
/// index. Without the JSON (hits only counted), every column is read from
/// the covering index `objects_release`, never from the row.
fn text_sql(without_json: bool, filters: &str) -> (String, String) {
    let (objects, columns) = if without_json { ("objects o INDEXED BY objects_release", RELEASE_COLUMNS) } else { ("objects o", COLUMNS) };
    let from = format!("FROM object_text t CROSS JOIN {objects} ON o.date_added = t.rowid WHERE object_text MATCH ?{filters}");
    (format!("SELECT o.date_added, {columns}, o.is_first, o.is_last {from} ORDER BY t.rowid DESC LIMIT ? OFFSET ?"), format!("SELECT count(*) {from}"))
}

fn select(q: &Query) -> String {
    match q.collection {
        Some(_) => format!("SELECT m.date_added, {COLUMNS}, m.is_first, m.is_last"),
        None => format!("SELECT o.date_added, {COLUMNS}, o.is_first, o.is_last"),
    }
}

/// Every version of the object `id` within `collection` (else the store),
/// without their JSON: what a gated first/last choice compares with.
fn versions_of(c: &Connection, id: &str, collection: Option<&str>) -> Result<Vec<Record>> {
    let (sql, params) = match collection {
        Some(col) => (
            format!(
                "SELECT m.date_added, {COLUMNS} FROM collection_objects m INDEXED BY collection_objects_version
                 JOIN objects o ON o.date_added = m.object WHERE m.collection = ? AND m.id = ?"
            ),
            vec![SqlValue::Text(col.to_owned()), SqlValue::Text(id.to_owned())],
        ),
        None => (
            format!("SELECT o.date_added, {COLUMNS} FROM objects o INDEXED BY objects_id_version WHERE o.id = ?"),
            vec![SqlValue::Text(id.to_owned())],
        ),
    };
    let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
    let mut rows = stmt.query(params_from_iter(params)).map_err(sql_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql_err)? {
        let mut r = blank();
        refill_meta(row, &mut r).map_err(sql_err)?;
        out.push(r);
    }
    Ok(out)
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let mut r = blank();
    refill_meta(row, &mut r)?;
    r.json = row.get(8)?;
    Ok(r)
}

/// An empty record, for [`refill_meta`] to fill.
fn blank() -> Record {
    Record {
        date_added: DateAdded(0),
        id: String::new(),
        object_type: String::new(),
        version: String::new(),
        version_micros: 0,
        spec_version: String::new(),
        created_by_ref: None,
        posted_by: None,
        json: Vec::new(),
        facts: Vec::new(),
        shared_under: String::new(),
        recalled: false,
        via: None,
    }
}

fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    row.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn bytes<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    row.get_ref(i)?
        .as_bytes()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, Box::new(e)))
}

/// Refills `r` with the row's columns but the JSON, in the buffers it
/// already has: a walk over a page allocates for its longest values only.
fn refill_meta(row: &rusqlite::Row<'_>, r: &mut Record) -> rusqlite::Result<()> {
    fn set(to: &mut String, from: Option<&str>) {
        to.clear();
        to.push_str(from.unwrap_or_default());
    }
    fn set_opt(to: &mut Option<String>, from: Option<&str>) {
        match (to.as_mut(), from) {
            (Some(s), Some(v)) => {
                s.clear();
                s.push_str(v);
            }
            (_, v) => *to = v.map(str::to_owned),
        }
    }
    r.date_added = DateAdded(row.get(0)?);
    set(&mut r.id, text(row, 1)?);
    set(&mut r.object_type, text(row, 2)?);
    set(&mut r.version, text(row, 3)?);
    r.version_micros = row.get(4)?;
    set(&mut r.spec_version, text(row, 5)?);
    set_opt(&mut r.created_by_ref, text(row, 6)?);
    set_opt(&mut r.posted_by, text(row, 7)?);
    r.facts.clear();
    r.facts.extend_from_slice(bytes(row, 9)?);
    set(&mut r.shared_under, text(row, 10)?);
    r.recalled = row.get(11)?;
    // A read by arrival has one more column: where the row came from.
    r.via = if row.as_ref().column_count() > VIA { text(row, VIA)?.map(str::to_owned) } else { None };
    Ok(())
}

/// How a walk decides each row: its query, the gate, and whether `first`
/// and `last` are chosen among the versions the gate lets through
/// ([`store::chooses`]; the statement then reads every version).
pub(crate) struct Decide<'q> {
    q: &'q Query,
    gate: Option<&'q store::Gate>,
    choosing: bool,
}

/// What a walk does with a row once `r` is refilled from it: the gate and
/// the version choice (given whether the row is its object's first and
/// last stored version), then the JSON (read only for what passes), then
/// `f`. Whether to go on.
fn offer(
    c: &Connection,
    row: &rusqlite::Row<'_>,
    r: &mut Record,
    d: &Decide<'_>,
    flags: (bool, bool),
    f: &mut dyn FnMut(&Record) -> std::result::Result<bool, String>,
) -> Result<bool> {
    let pass = match d.gate {
        None => true,
        Some(gate) if d.choosing => {
            let collection = d.q.collection.as_deref();
            let r: &Record = r;
            store::chooses(d.q, gate, r, flags.0, flags.1, &mut || versions_of(c, &r.id, collection))?
        }
        Some(gate) => gate.allows(r),
    };
    if !pass {
        return Ok(true);
    }
    r.json.clear();
    r.json.extend_from_slice(bytes(row, 8).map_err(sql_err)?);
    f(r).map_err(Error::Internal)
}

impl SqliteStore {
    /// Steps through the rows of `q` in order, handing `f` those the gate
    /// (if any) lets through, their JSON read only then, until `f` says
    /// stop. One record is refilled for every row; `f` copies what it keeps.
    /// `limit` caps the statement itself (a gate can refuse any number of
    /// rows, so gated walks pass `None` and `f` stops them). A collection is
    /// read by [`merge`] where it can be.
    fn walk(
        &self,
        q: &Query,
        gate: Option<&store::Gate>,
        limit: Option<usize>,
        f: &mut dyn FnMut(&Record) -> std::result::Result<bool, String>,
    ) -> Result<()> {
        // Choosing first/last among what the gate lets through reads every
        // version and decides row by row.
        let choosing = gate.is_some() && q.chooses_among_gated();
        let widened;
        let read = if choosing {
            widened = Query { versions: Versions::ALL, ..q.clone() };
            &widened
        } else {
            q
        };
        let d = Decide { q, gate, choosing };
        if merge::applies(q) {
            return self.with_reader(|c| merge::walk(c, read, &d, limit, f));
        }
        let (clause, mut params) = from_where(read, true);
        let mut sql = format!("{}{clause}", select(q));
        if let Some(limit) = limit {
            sql.push_str(" LIMIT ?");
            params.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
            let mut rows = stmt.query(params_from_iter(params)).map_err(sql_err)?;
            let mut r = blank();
            while let Some(row) = rows.next().map_err(sql_err)? {
                refill_meta(row, &mut r).map_err(sql_err)?;
                let flags = (row.get(FLAGS).map_err(sql_err)?, row.get(FLAGS + 1).map_err(sql_err)?);
                if !offer(c, row, &mut r, &d, flags, f)? {
                    break;
                }
            }
            Ok(())
        })
    }
}

impl store::Store for SqliteStore {
    fn put(&self, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = w.put(objects, options);
        self.checkpointer.wrote();
        out
    }

    fn page(&self, q: &Query) -> Result<Page> {
        let (clause, mut params) = from_where(q, true);
        let limit = q.limit.unwrap_or(usize::MAX / 2);
        params.push(SqlValue::Integer((limit as i64).saturating_add(1)));
        let sql = format!("{}{clause} LIMIT ?", select(q));
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
            let mut records: Vec<Record> = stmt
                .query_map(params_from_iter(params), record)
                .map_err(sql_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(sql_err)?;
            let more = records.len() > limit;
            records.truncate(limit);
            let next = if more { records.last().map(|r| Cursor(r.date_added)) } else { None };
            Ok(Page { records, more, next })
        })
    }

    fn each(&self, q: &Query, f: &mut dyn FnMut(Record) -> std::result::Result<(), String>) -> Result<u64> {
        let (clause, params) = from_where(q, true);
        let sql = format!("{}{clause}", select(q));
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached(&sql).map_err(sql_err)?;
            let mut rows = stmt.query(params_from_iter(params)).map_err(sql_err)?;
            let mut n = 0;
            while let Some(row) = rows.next().map_err(sql_err)? {
                f(record(row).map_err(sql_err)?).map_err(Error::Internal)?;
                n += 1;
            }
            Ok(n)
        })
    }

    // With a gate, one statement is stepped until the page is full:
    // refused rows cost no JSON copy and no second query.
    fn query(&self, q: &Query) -> Result<Page> {
        if q.gate.is_none() {
            return self.page(q);
        }
        let mut records = Vec::new();
        let more = self.visit(q, &mut |r| {
            records.push(r.clone());
            Ok(())
        })?;
        let next = if more { records.last().map(|r| Cursor(r.date_added)) } else { None };
        Ok(Page { records, more, next })
    }

    fn visit(&self, q: &Query, f: &mut dyn FnMut(&Record) -> std::result::Result<(), String>) -> Result<bool> {
        let limit = q.limit.unwrap_or(usize::MAX / 2);
        let (mut seen, mut more) = (0, false);
        // Without a gate, the statement itself stops one row past the page.
        let cap = if q.gate.is_none() { Some(limit.saturating_add(1)) } else { None };
        self.walk(q, q.gate.as_ref(), cap, &mut |r| {
            if seen == limit {
                more = true;
                return Ok(false);
            }
            seen += 1;
            f(r).map(|()| true)
        })?;
        Ok(more)
    }

    fn scan(&self, q: &Query, f: &mut dyn FnMut(Record) -> std::result::Result<(), String>) -> Result<u64> {
        let Some(gate) = &q.gate else {
            return self.each(q, f);
        };
        let mut n = 0;
        self.walk(q, Some(gate), None, &mut |r| {
            n += 1;
            f(r.clone()).map(|()| true)
        })?;
        Ok(n)
    }

    fn versions_of(&self, id: &str, collection: Option<&str>) -> Result<Vec<Record>> {
        self.with_reader(|c| versions_of(c, id, collection))
    }

    // The membership rows alone, from the range of the index of
    // (collection, date added); the objects table is not read.
    fn added_to(&self, collection: &str, after: i64) -> Result<Vec<(String, i64)>> {
        self.with_reader(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT m.id, m.version FROM collection_objects m INDEXED BY collection_objects_order
                     WHERE m.collection = ? AND m.date_added > ? ORDER BY m.date_added",
                )
                .map_err(sql_err)?;
            let rows = stmt.query_map(rusqlite::params![collection, after], |row| Ok((row.get(0)?, row.get(1)?))).map_err(sql_err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
        })
    }

    // FTS5: every word quoted (whole, or a prefix with `*`; the words hold
    // letters and digits only, so nothing in them is FTS5 syntax), ANDed.
    // Newest first is the index's rowid order walked down, stopping at the
    // page. Best match walks the tiers (`store::text::TIERS`) the same way,
    // each an FTS5 column filter: `{name labels} : (a AND b) NOT {name} :
    // (a AND b)` is tier 1; a page's `from` (hits to skip) is spent on the
    // tiers in turn, a tier counted only when the skip passes its end.
    fn text_hits(&self, q: &store::TextQuery) -> Result<Vec<store::TextHit>> {
        if q.words.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let all = if q.prefix {
            self.with_reader(|c| q.words.iter().map(|w| prefix_term(c, w)).collect::<Result<Vec<_>>>())?.join(" AND ")
        } else {
            q.words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" AND ")
        };
        let newest = q.order() == store::TextOrder::Newest;
        let mut filters = String::new();
        let mut params: Vec<SqlValue> = Vec::new();
        let mut any = |column: &str, values: &[String], params: &mut Vec<SqlValue>| {
            if !values.is_empty() {
                filters.push_str(&format!(" AND {column} IN ({})", vec!["?"; values.len()].join(",")));
                params.extend(values.iter().map(|v| SqlValue::Text(v.clone())));
            }
        };
        any("o.type", &q.types, &mut params);
        any("o.created_by_ref", &q.authors, &mut params);
        let before = [q.added_before, if newest { q.from } else { None }].into_iter().flatten().min();
        if let Some(after) = q.added_after {
            filters.push_str(" AND t.rowid > ?");
            params.push(SqlValue::Integer(after));
        }
        if let Some(before) = before {
            filters.push_str(" AND t.rowid < ?");
            params.push(SqlValue::Integer(before));
        }
        let (page, count) = text_sql(q.without_json, &filters);
        let matching: Vec<String> = if newest {
            vec![all]
        } else {
            (0..store::text::TIERS.len())
                .map(|k| {
                    let within = |n: usize| format!("{{{}}} : ({all})", store::text::TIERS[..n].join(" "));
                    if k == 0 { within(1) } else { format!("{} NOT {}", within(k + 1), within(k)) }
                })
                .collect()
        };
        let mut skip = if newest { 0 } else { q.from.unwrap_or(0).max(0) };
        let mut need = i64::try_from(q.limit).unwrap_or(i64::MAX);
        self.with_reader(|c| {
            let mut out = Vec::new();
            for m in matching {
                if need == 0 {
                    break;
                }
                let with = |extra: &[i64]| {
                    std::iter::once(SqlValue::Text(m.clone())).chain(params.iter().cloned()).chain(extra.iter().map(|n| SqlValue::Integer(*n))).collect::<Vec<_>>()
                };
                let mut stmt = c.prepare_cached(&page).map_err(sql_err)?;
                let rows = stmt
                    .query_map(params_from_iter(with(&[need, skip])), |row| Ok((record(row)?, row.get::<_, bool>(FLAGS + 1)?)))
                    .map_err(sql_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(sql_err)?;
                if !rows.is_empty() {
                    skip = 0;
                } else if skip > 0 {
                    let held: i64 = c.prepare_cached(&count).map_err(sql_err)?.query_row(params_from_iter(with(&[])), |row| row.get(0)).map_err(sql_err)?;
                    skip = (skip - held).max(0);
                }
                need -= i64::try_from(rows.len()).unwrap_or(i64::MAX);
                out.extend(rows);
            }
            Ok(out)
        })
    }

    fn delete(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<u64> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = w.delete(id, versions, collection);
        self.checkpointer.wrote();
        out
    }

    fn reoffer(&self, collection: &str, key: &str, value: &str) -> Result<bool> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let out = w.reoffer(collection, key, value);
        self.checkpointer.wrote();
        out
    }

    fn removals(&self) -> Result<u64> {
        self.with_reader(|c| {
            let value: Option<String> = c
                .prepare_cached("SELECT value FROM settings WHERE key = ?")
                .and_then(|mut s| s.query_row([store::REMOVALS], |r| r.get(0)))
                .map(Some)
                .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
                .map_err(sql_err)?;
            Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    fn signatures(&self, versions: &[(String, i64)]) -> Result<Vec<store::Signature>> {
        self.with_reader(|c| {
            let mut stmt = c.prepare_cached("SELECT signer, value FROM signatures WHERE id = ? AND version = ?").map_err(sql_err)?;
            let mut out = Vec::new();
            for (id, version) in versions {
                let mut rows = stmt.query(rusqlite::params![id, version]).map_err(sql_err)?;
                if let Some(row) = rows.next().map_err(sql_err)? {
                    out.push(store::Signature {
                        id: id.clone(),
                        version_micros: *version,
                        signer: row.get(0).map_err(sql_err)?,
                        value: row.get(1).map_err(sql_err)?,
                    });
                }
            }
            Ok(out)
        })
    }

    fn stats(&self) -> Result<Stats> {
        self.with_reader(|c| {
            let group = |column: &str| -> Result<Vec<(String, u64, u64)>> {
                let sql = format!(
                    "SELECT coalesce({column}, ''), sum(is_last), count(*) FROM objects GROUP BY 1 ORDER BY 1"
                );
                let mut stmt = c.prepare(&sql).map_err(sql_err)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)))
                    .map_err(sql_err)?;
                rows.collect::<rusqlite::Result<_>>().map_err(sql_err)
            };
            let by_type = group("type")?;
            let by_producer = group("created_by_ref")?;
            let objects = by_type.iter().map(|t| t.1).sum();
            let versions = by_type.iter().map(|t| t.2).sum();
            Ok(Stats { versions, objects, by_type, by_producer })
        })
    }
}

#[cfg(test)]
mod tests;
