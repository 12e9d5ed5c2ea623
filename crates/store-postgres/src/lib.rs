//! The PostgreSQL store, for nodes that outgrow one file or run several
//! Entente servers on one database.
//!
//! Connections come from an r2d2 pool (timeouts, and a broken connection is
//! replaced, so the store recovers by itself after the database restarts).
//! Objects are kept as their JSON bytes (`BYTEA`, never `JSONB`, which would
//! re-serialise them). Writes lock the one-row `clock` table: `date_added`
//! is assigned under that lock as `max(now, last + 1)`, so it is strictly
//! increasing in commit order across every server on the database, and
//! paging stays exact for a client that pages across several servers.

mod registry;
#[cfg(any(test, feature = "testsuite"))]
pub mod testing;
mod write;

use std::time::Duration;

use postgres::types::ToSql;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use store::{Cursor, DateAdded, Error, Outcome, Page, PutOptions, Query, Record, Result, Stats, Versions};

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The migrations, in order; `entente_migrations` records which ran.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_schema.sql"),
    include_str!("migrations/0002_release.sql"),
    include_str!("migrations/0003_observables.sql"),
    include_str!("migrations/0004_peers.sql"),
    include_str!("migrations/0005_signatures.sql"),
    include_str!("migrations/0006_users.sql"),
    include_str!("migrations/0007_sighting_refs.sql"),
    include_str!("migrations/0008_record_refs.sql"),
    include_str!("migrations/0009_link_refs.sql"),
    include_str!("migrations/0010_text.sql"),
    include_str!("migrations/0011_text_tiers.sql"),
];

/// The migration after which the sightings already stored get their
/// `sighting_of_ref` key ([`store::ObservableKey::sighting_of`]).
const SIGHTING_REFS: i32 = 7;

/// The migration after which the partnership records already stored get
/// their [`store::ObservableKey::refers_to`] keys.
const RECORD_REFS: i32 = 8;

/// The migration after which the linking objects already stored
/// (relationships, reports, …) get their [`store::ObservableKey::linked`] keys.
const LINK_REFS: i32 = 9;

/// The migration after which the versions already stored get their words
/// in the text index ([`store::TextFields`]).
const TEXT: i32 = 10;

/// The migration after which the versions already stored are indexed again
/// with their names' and labels' words tagged (`write::NAME_TAG`).
const TEXT_TIERS: i32 = 11;

/// A PostgreSQL-backed [`store::Store`] and [`store::Registry`].
pub struct PgStore {
    /// Always `Some` but while dropping.
    pool: Option<Pool>,
}

// The synchronous client runs a small tokio runtime per connection, and
// dropping one inside another runtime's context panics — which is where a
// server drops its store when it shuts down. Close the connections on a
// thread of their own instead.
impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

pub(crate) fn pg_err(e: postgres::Error) -> Error {
    match e.as_db_error() {
        // The server is shutting down, restarting, out of connections or
        // resources: the request may be retried (SQLSTATE classes 08, 53, 57).
        Some(db) if ["08", "53", "57"].iter().any(|class| db.code().code().starts_with(class)) => {
            Error::Unavailable(db.to_string())
        }
        // The server answered: say what it said.
        Some(db) if !e.is_closed() => Error::Internal(db.to_string()),
        _ => Error::Unavailable(e.to_string()),
    }
}

fn pool_err(e: r2d2::Error) -> Error {
    Error::Unavailable(e.to_string())
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL or key=value string) and
    /// applies the migrations the database lacks.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| Error::Unavailable(e.to_string()))?;
        config.connect_timeout(Duration::from_secs(10));
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .connection_timeout(Duration::from_secs(10))
            .test_on_check_out(true)
            .build(manager)
            .map_err(pool_err)?;
        let store = PgStore { pool: Some(pool) };
        store.migrate()?;
        Ok(store)
    }

    pub(crate) fn conn(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        self.pool.as_ref().ok_or_else(|| Error::Internal("the store is closing".into()))?.get().map_err(pool_err)
    }

    /// Applies missing migrations under an advisory lock (several servers
    /// may start at once); refuses a database migrated further than this
    /// binary knows.
    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg_err)?;
        tx.execute("SELECT pg_advisory_xact_lock(7311046)", &[]).map_err(pg_err)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS entente_migrations (version INT PRIMARY KEY)").map_err(pg_err)?;
        let found: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM entente_migrations", &[])
            .map_err(pg_err)?
            .get(0);
        let known = MIGRATIONS.len() as i64;
        if i64::from(found) > known {
            return Err(Error::NewerSchema { found: found.into(), known });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i as i32 + 1;
            tracing::info!(version, "applying migration");
            tx.batch_execute(sql).map_err(pg_err)?;
            if version == SIGHTING_REFS {
                index_sighting_refs(&mut tx)?;
            }
            if version == RECORD_REFS {
                index_record_refs(&mut tx)?;
            }
            if version == LINK_REFS {
                index_link_refs(&mut tx)?;
            }
            if version == TEXT || version == TEXT_TIERS {
                index_text(&mut tx)?;
            }
            tx.execute("INSERT INTO entente_migrations (version) VALUES ($1)", &[&version]).map_err(pg_err)?;
        }
        tx.commit().map_err(pg_err)
    }
}

/// Keys every stored sighting by what it is of.
fn index_sighting_refs(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut objects: Vec<i64> = Vec::new();
    for row in tx.query("SELECT date_added, json FROM objects WHERE type = 'sighting'", &[]).map_err(pg_err)? {
        let json: Vec<u8> = row.get(1);
        if let Some(key) = store::ObservableKey::of_stored_sighting(&json) {
            keys.push(key.0.to_vec());
            objects.push(row.get(0));
        }
    }
    tx.execute(
        "INSERT INTO observables (key, object) SELECT k, o FROM UNNEST($1::bytea[], $2::bigint[]) AS u(k, o) ON CONFLICT DO NOTHING",
        &[&keys, &objects],
    )
    .map_err(pg_err)?;
    tracing::info!(sightings = keys.len(), "indexed stored sightings by what they are of");
    Ok(())
}

/// Keys every stored partnership record by the records it names.
fn index_record_refs(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let prefix = store::RECORD_TYPE_PREFIX;
    let kinds: Vec<String> = tx
        .query("SELECT DISTINCT type FROM objects WHERE left(type, $1) = $2", &[&(prefix.len() as i32), &prefix])
        .map_err(pg_err)?
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect();
    index_stored(tx, &kinds, store::ObservableKey::references_of_stored, "partnership records by what they name")
}

/// Keys every stored relationship, report, grouping, note and opinion by
/// the objects it links.
fn index_link_refs(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let types: Vec<String> = store::LINK_TYPES.iter().map(|t| (*t).to_owned()).collect();
    index_stored(tx, &types, store::ObservableKey::links_of_stored, "relationships, reports and notes by what they link")
}

/// Adds the index keys `keys_of` gives each stored version of `types`.
fn index_stored(tx: &mut postgres::Transaction<'_>, types: &[String], keys_of: fn(&[u8]) -> Vec<store::ObservableKey>, what: &str) -> Result<()> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut objects: Vec<i64> = Vec::new();
    for row in tx.query("SELECT date_added, json FROM objects WHERE type = ANY($1)", &[&types]).map_err(pg_err)? {
        let json: Vec<u8> = row.get(1);
        for key in keys_of(&json) {
            keys.push(key.0.to_vec());
            objects.push(row.get(0));
        }
    }
    tx.execute(
        "INSERT INTO observables (key, object) SELECT k, o FROM UNNEST($1::bytea[], $2::bigint[]) AS u(k, o) ON CONFLICT DO NOTHING",
        &[&keys, &objects],
    )
    .map_err(pg_err)?;
    tracing::info!(keys = keys.len(), "indexed stored {what}");
    Ok(())
}

/// Adds the words of every stored version to the text index, a thousand
/// versions read at a time.
fn index_text(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let mut after = i64::MIN;
    let mut indexed = 0usize;
    loop {
        let rows = tx.query("SELECT date_added, json FROM objects WHERE date_added > $1 ORDER BY date_added LIMIT 1000", &[&after]).map_err(pg_err)?;
        let Some(last) = rows.last().map(|r| r.get::<_, i64>(0)) else { break };
        let texts: Vec<(i64, store::TextFields)> =
            rows.iter().filter_map(|r| store::TextFields::of_stored(r.get::<_, &[u8]>(1)).map(|f| (r.get(0), f))).collect();
        indexed += texts.len();
        write::index_text(tx, &texts)?;
        after = last;
    }
    tracing::info!(versions = indexed, "indexed the words of stored versions");
    Ok(())
}

/// Builds the FROM/WHERE/ORDER BY of a query, as `from_where` does for SQLite.
fn from_where(q: &Query) -> (String, Vec<Box<dyn ToSql + Sync + Send>>) {
    from_where_with(q, true)
}

/// [`from_where`]; `by_key: false` never drives the read from the
/// observables index (a read by arrival reuses the conditions on another
/// table).
fn from_where_with(q: &Query, by_key: bool) -> (String, Vec<Box<dyn ToSql + Sync + Send>>) {
    if q.collection.is_none() && !q.through.is_empty() {
        return arrivals(q);
    }
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let next = |params: &mut Vec<Box<dyn ToSql + Sync + Send>>, v: Box<dyn ToSql + Sync + Send>| {
        params.push(v);
        format!("${}", params.len())
    };
    // With one observable key (a channel's messages, an agreement's
    // records, an object's sightings) outside a collection, walk that key's
    // index entries in date order and join each to its version: a page
    // then costs the same whatever the key's size.
    let driven = by_key && q.ids.is_empty() && q.collection.is_none() && q.observables.len() == 1;
    let (mut sql, v) = match &q.collection {
        Some(c) => {
            let p = next(&mut params, Box::new(c.clone()));
            (format!(" FROM collection_objects m JOIN objects o ON o.date_added = m.object WHERE m.collection = {p}"), "m")
        }
        None if driven => {
            let p = next(&mut params, Box::new(q.observables[0].0.to_vec()));
            (format!(" FROM observables k JOIN objects o ON o.date_added = k.object WHERE k.key = {p}"), "o")
        }
        None => (" FROM objects o WHERE true".to_owned(), "o"),
    };
    let dated = if driven { "k.object".to_owned() } else { format!("{v}.date_added") };
    let p = next(&mut params, Box::new(q.lower_bound()));
    sql.push_str(&format!(" AND {dated} > {p}"));
    for (column, values) in [
        (format!("{v}.type"), &q.types),
        (format!("{v}.id"), &q.ids),
        ("o.spec_version".to_owned(), &q.spec_versions),
        ("o.created_by_ref".to_owned(), &q.authors),
    ] {
        if !values.is_empty() {
            let p = next(&mut params, Box::new(values.clone()));
            sql.push_str(&format!(" AND {column} = ANY({p})"));
        }
    }
    if !q.observables.is_empty() && !driven {
        let keys: Vec<Vec<u8>> = q.observables.iter().map(|k| k.0.to_vec()).collect();
        let p = next(&mut params, Box::new(keys));
        sql.push_str(&format!(" AND o.date_added IN (SELECT object FROM observables WHERE key = ANY({p}))"));
    }
    let sel = &q.versions;
    if !sel.all {
        let mut alts = Vec::new();
        if sel.first {
            alts.push(format!("{v}.is_first"));
        }
        if sel.last {
            alts.push(format!("{v}.is_last"));
        }
        if !sel.at.is_empty() {
            let at: Vec<i64> = sel.at.iter().map(model::Timestamp::micros).collect();
            let p = next(&mut params, Box::new(at));
            alts.push(format!("{v}.version = ANY({p})"));
        }
        if alts.is_empty() {
            alts.push("false".into());
        }
        sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    sql.push_str(&format!(" ORDER BY {dated}"));
    (sql, params)
}

/// The rest of a read by arrival ([`Query::through`]) after [`select`]'s
/// columns, as `arrivals` does for SQLite: the versions' own rows (`via`
/// empty) merged in date order with their memberships of the `through`
/// collections (`via` the collection), both branches filtered alike.
fn arrivals(q: &Query) -> (String, Vec<Box<dyn ToSql + Sync + Send>>) {
    let plain = Query { through: Vec::new(), gate: None, ..q.clone() };
    let (clause, mut params) = from_where_with(&plain, false);
    let (head, conds) = clause.split_once(" WHERE true").unwrap_or((clause.as_str(), ""));
    let conds = conds.strip_suffix(" ORDER BY o.date_added").unwrap_or(conds);
    let member_conds = conds.replacen(" AND o.date_added > $1", " AND m.date_added > $1", 1);
    params.push(Box::new(q.through.clone()));
    let through = params.len();
    let columns = "o.id, o.type, o.version_text, o.version, o.spec_version, o.created_by_ref, o.posted_by, o.json, o.facts, o.shared_under, o.recalled";
    let sql = format!(
        ", ''::text{head} WHERE true{conds} UNION ALL SELECT m.date_added, {columns}, o.is_first, o.is_last, m.collection
         FROM collection_objects m JOIN objects o ON o.date_added = m.object
         WHERE m.collection = ANY(${through}){member_conds} ORDER BY 1"
    );
    (sql, params)
}

/// The columns of a [`Record`] after `date_added`, in the order [`record`] reads them.
const COLUMNS: &str = "o.id, o.type, o.version_text, o.version, o.spec_version, o.created_by_ref, o.posted_by, o.json, o.facts, o.shared_under, o.recalled";

/// [`COLUMNS`] with an empty JSON in its place: what a text search reads
/// of the hits it only counts ([`store::TextQuery::without_json`]).
const RELEASE_COLUMNS: &str = "o.id, o.type, o.version_text, o.version, o.spec_version, o.created_by_ref, o.posted_by, ''::bytea, o.facts, o.shared_under, o.recalled";

/// Where the flags follow the record's columns: whether the version is the
/// first and the last stored one of its object in the query's scope.
const FLAGS: usize = 12;

/// Where a read by arrival gives the collection a version came through,
/// after the flags.
const VIA: usize = FLAGS + 2;

fn select(q: &Query) -> String {
    match q.collection {
        Some(_) => format!("SELECT m.date_added, {COLUMNS}, m.is_first, m.is_last"),
        None => format!("SELECT o.date_added, {COLUMNS}, o.is_first, o.is_last"),
    }
}

fn record(row: &postgres::Row) -> Record {
    Record {
        date_added: DateAdded(row.get(0)),
        id: row.get(1),
        object_type: row.get(2),
        version: row.get(3),
        version_micros: row.get(4),
        spec_version: row.get(5),
        created_by_ref: row.get(6),
        posted_by: row.get(7),
        json: row.get(8),
        facts: row.get(9),
        shared_under: row.get(10),
        recalled: row.get(11),
        via: if row.len() > VIA { row.get(VIA) } else { None },
    }
}

/// How the text index's versions spread over `date_added`: its newest and
/// oldest key and the microseconds one version spans on average (from the
/// planner's row estimate, `None` before the table was first analyzed).
#[derive(Debug, Clone, Copy)]
struct Spread {
    oldest: i64,
    newest: i64,
    per_version: Option<f64>,
}

impl Spread {
    /// The spread now (`None` when the index is empty): the keys' ends from
    /// the primary key, the row count from `pg_class.reltuples`.
    fn of(c: &mut postgres::Client) -> Result<Option<Spread>> {
        let row = c
            .query_one(
                "SELECT min(object), max(object), (SELECT reltuples::float8 FROM pg_class WHERE oid = to_regclass('object_text')) FROM object_text",
                &[],
            )
            .map_err(pg_err)?;
        let (Some(oldest), Some(newest)) = (row.get::<_, Option<i64>>(0), row.get::<_, Option<i64>>(1)) else { return Ok(None) };
        let rows = row.get::<_, Option<f64>>(2).filter(|n| *n >= 1.0);
        Ok(Some(Spread { oldest, newest, per_version: rows.map(|n| ((newest as f64 - oldest as f64) + 1.0) / n) }))
    }
}

/// At most this many matches of the words (as the planner expects) are read
/// at once, sorted, rather than in windows: their cost is the matches'.
const FEW_MATCHES: f64 = 5_000.0;

/// What the planner expects of the words of `tsquery` (no weights): whether
/// they are in fewer than one version in twenty ([`Rarity::rare`]), and in
/// at most [`FEW_MATCHES`] ([`Rarity::few`]); neither when the estimate or
/// the spread is unknown.
fn rarity(c: &mut postgres::Client, tsquery: &str, spread: Option<Spread>) -> Rarity {
    let Some(versions) = spread.and_then(|s| s.per_version.map(|v| ((s.newest as f64 - s.oldest as f64) + 1.0) / v)) else {
        return Rarity::default();
    };
    // The words are letters and digits (`store::text::words`), the rest
    // ours; quoted all the same. EXPLAIN takes no parameters.
    let sql = format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM object_text WHERE words @@ '{}'::tsquery", tsquery.replace('\'', "''"));
    let plan = c.simple_query(&sql).ok().and_then(|messages| {
        messages.into_iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok()),
            _ => None,
        })
    });
    match plan.and_then(|plan| plan.pointer("/0/Plan/Plan Rows").and_then(serde_json::Value::as_f64)) {
        Some(rows) => Rarity { rare: rows < versions / 20.0, few: rows <= FEW_MATCHES, share: rows / versions },
        None => Rarity::default(),
    }
}

/// What [`rarity`] found.
#[derive(Debug, Clone, Copy, Default)]
struct Rarity {
    rare: bool,
    few: bool,
    /// The share of the versions the planner expects to match.
    share: f64,
}

/// From this many hits wanted on (a count's read), the planner is asked
/// before the first window: a window sized for them is worth more than
/// the estimate costs, and for words it expects rare it is read sorted
/// and sized by that estimate ([`Windows::expect`]) rather than walked.
const EARLY_NEED: i64 = 256;

/// The windows of `date_added` one text query is read in, newest first,
/// from `ceiling` (excluded) down to `floor` (included): the first sized to
/// hold a few times the hits wanted if one version in four matched, each
/// next one sized by the hits found per microsecond so far to hold what is
/// still wanted (half again), growing at least twice and at most sixteen
/// times (eight times while nothing was found). Without a spread (an index
/// never analyzed) one window covers it all.
#[derive(Debug)]
struct Windows {
    floor: i64,
    /// The oldest key seen, or the floor if newer: a window reaching it
    /// is the last, and reaches down to the floor.
    bottom: i64,
    /// The next window's end (excluded).
    hi: i64,
    /// Where the walk began: the newest key + 1, or the ceiling if older.
    top: f64,
    /// The next window's width, in microseconds (`None`: all at once).
    span: Option<f64>,
    /// Microseconds a version spans on average.
    per_version: Option<f64>,
    /// The microseconds the windows reported [`Windows::found`] cover.
    read: f64,
    found: i64,
    done: bool,
}

impl Windows {
    fn new(spread: Option<Spread>, floor: i64, ceiling: i64, need: i64) -> Windows {
        let Some(spread) = spread else {
            // Nothing stored yet: one window, which finds what came since.
            return Windows { floor, bottom: floor, hi: ceiling, top: ceiling as f64, span: None, per_version: None, read: 0.0, found: 0, done: false };
        };
        let top = (spread.newest.saturating_add(1)).min(ceiling);
        let span = spread.per_version.map(|v| v * (need.saturating_mul(4).max(256)) as f64);
        Windows { floor, bottom: floor.max(spread.oldest), hi: ceiling, top: top as f64, span, per_version: spread.per_version, read: 0.0, found: 0, done: floor >= ceiling }
    }

    /// The next window `(from, to)`: `from <= date_added < to`.
    fn next(&mut self) -> Option<(i64, i64)> {
        if self.done {
            return None;
        }
        let from = match self.span {
            Some(span) => {
                // The first window reaches above the newest key seen, to
                // the ceiling, so nothing added since is skipped.
                let lo = self.top.min(self.hi as f64) - span;
                if lo <= self.bottom as f64 { self.floor } else { (lo as i64).min(self.hi.saturating_sub(1)) }
            }
            None => self.floor,
        };
        let window = (from, self.hi);
        self.done = from <= self.floor;
        self.hi = from;
        Some(window)
    }

    /// Sizes the first window (none read yet) to hold half again the `need`
    /// hits if `share` of the versions match, as the planner expects (at
    /// least as wide as it was).
    fn expect(&mut self, share: f64, need: i64) {
        if let (Some(span), Some(per_version)) = (self.span, self.per_version) {
            if self.read <= 0.0 && share > 0.0 {
                self.span = Some(span.max(per_version * need as f64 * 1.5 / share));
            }
        }
    }

    /// Whether the windows read so far found fewer hits than one version
    /// in twenty (`false` before the first is read, or without a spread).
    fn sparse(&self) -> bool {
        match (self.span, self.per_version) {
            (Some(_), Some(per_version)) if self.read > 0.0 => {
                let versions = self.read / per_version;
                versions >= 1.0 && (self.found as f64) < versions / 20.0
            }
            _ => false,
        }
    }

    /// The words are in few versions ([`FEW_MATCHES`]): the next window is
    /// the rest (read sorted, it costs the matches, not the versions).
    fn rest(&mut self) {
        if self.span.is_some() {
            self.span = Some(f64::INFINITY);
        }
    }

    /// `hits` were found in the window just read and `need` are still wanted.
    fn found(&mut self, hits: i64, need: i64) {
        self.found += hits;
        let Some(span) = self.span else { return };
        let covered = (self.top - self.hi as f64).max(1.0);
        self.read = covered;
        self.span = Some(if self.found == 0 {
            span * 8.0
        } else {
            let per_micro = self.found as f64 / covered;
            (need as f64 / per_micro * 1.5).clamp(span * 2.0, span * 16.0)
        });
    }
}

fn refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

impl store::Store for PgStore {
    fn put(&self, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>> {
        let mut c = self.conn()?;
        write::put(&mut c, objects, options)
    }

    fn page(&self, q: &Query) -> Result<Page> {
        let (flagged, more) = self.page_flagged(q)?;
        let records: Vec<Record> = flagged.into_iter().map(|(r, _, _)| r).collect();
        let next = if more { records.last().map(|r| Cursor(r.date_added)) } else { None };
        Ok(Page { records, more, next })
    }

    fn page_flagged(&self, q: &Query) -> Result<(Vec<(Record, bool, bool)>, bool)> {
        let (clause, mut params) = from_where(q);
        let limit = q.limit.unwrap_or(usize::MAX / 4);
        params.push(Box::new((limit as i64).saturating_add(1)));
        let sql = format!("{}{clause} LIMIT ${}", select(q), params.len());
        let mut c = self.conn()?;
        let rows = c.query(&sql, &refs(&params)).map_err(pg_err)?;
        let mut records: Vec<(Record, bool, bool)> =
            rows.iter().map(|row| (record(row), row.get(FLAGS), row.get(FLAGS + 1))).collect();
        let more = records.len() > limit;
        records.truncate(limit);
        Ok((records, more))
    }

    // A tsquery of the words (whole, or `word:*` prefixes), ANDed.
    // Newest first is `date_added` descending. Best match walks the tiers
    // (`store::text::TIERS`) as tsvector weights: `(a:AB & b:AB) & !(a:A &
    // b:A)` is tier 1; a page's `from` (hits to skip) is spent on the tiers
    // in turn, a tier counted only when the skip passes its end.
    //
    // Each tier is read newest first in windows of `date_added` ([`Windows`]):
    // the GIN index hands its matches out unordered, so one query ordered by
    // date would read and sort every match before the first; a window holds
    // a bounded number of versions, and the walk stops once the page is
    // full. A window is read in the key's order (a backward walk of the key
    // testing each version's words, which stops at the limit) until the
    // words prove rare in what was read and the planner expects them to be
    // (`rarity`): then sorted, the GIN bitmap ANDed with the window's; and
    // when it expects at most `FEW_MATCHES`, the rest at once.
    fn text_hits(&self, q: &store::TextQuery) -> Result<Vec<store::TextHit>> {
        if q.words.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        // Letters and digits only, whatever the caller gave: the words
        // become lexemes of a tsquery read as it is, below.
        let words: Vec<String> = q.words.iter().flat_map(|w| store::text::words(w).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>()).collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let star = if q.prefix { ":*" } else { "" };
        // Lexemes quoted and read as they are (`::tsquery`): the words are
        // letters and digits, lower case (`store::text::words`), as the
        // 'simple' configuration would give them; a tag is not.
        let all = |weights: &str| words.iter().map(|w| format!("'{w}'{star}{weights}")).collect::<Vec<_>>().join(" & ");
        // Every word tagged with one of `tags` (`write::NAME_TAG`, …).
        let tagged = |tags: &[&str]| {
            let each = words.iter().map(|w| format!("({})", tags.iter().map(|t| format!("'{t}{w}'{star}")).collect::<Vec<_>>().join(" | ")));
            format!("({})", each.collect::<Vec<_>>().join(" & "))
        };
        let newest = q.order() == store::TextOrder::Newest;
        let mut params: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(String::new())];
        let push = |params: &mut Vec<Box<dyn ToSql + Sync + Send>>, p: Box<dyn ToSql + Sync + Send>| {
            params.push(p);
            format!("${}", params.len())
        };
        let mut filters = String::new();
        if !q.types.is_empty() {
            let p = push(&mut params, Box::new(q.types.clone()));
            filters.push_str(&format!(" AND o.type = ANY({p})"));
        }
        if !q.authors.is_empty() {
            let p = push(&mut params, Box::new(q.authors.clone()));
            filters.push_str(&format!(" AND o.created_by_ref = ANY({p})"));
        }
        let before = [q.added_before, if newest { q.from } else { None }].into_iter().flatten().min();
        // The window: `lo <= t.object < hi`, then the limit and the offset.
        let (lo, hi, limit, offset) = (params.len() + 1, params.len() + 2, params.len() + 3, params.len() + 4);
        let from = format!(
            "FROM object_text t JOIN objects o ON o.date_added = t.object WHERE t.words @@ $1::text::tsquery{filters} AND t.object >= ${lo} AND t.object < ${hi}"
        );
        // Hits only counted are read without their JSON (nor its TOAST).
        let columns = if q.without_json { RELEASE_COLUMNS } else { COLUMNS };
        let page = format!("SELECT o.date_added, {columns}, o.is_first, o.is_last {from} ORDER BY t.object DESC LIMIT ${limit} OFFSET ${offset}");
        // Once the words proved rare in the versions walked, the window is
        // read as a whole and sorted (`+ 0`: not in the key's order), so the
        // planner ANDs the GIN bitmap with the window's instead of testing
        // each version's words walking the key back, which it prefers for
        // a limit but which costs the window's versions, not its hits.
        let sorted = page.replace("ORDER BY t.object DESC", "ORDER BY t.object + 0 DESC");
        let count = format!("SELECT count(*) {from}");
        // Tsvector weights A to D are the tiers' fields, in order; the
        // first two tiers read the tagged words (each its own posting
        // list), the others the words' weights, checked on each hit.
        let matching: Vec<String> = if newest {
            vec![all("")]
        } else {
            let within = |n: usize| format!("({})", all(&format!("{}{}", if q.prefix { "" } else { ":" }, &"ABCD"[..n])));
            let (name, labels) = (tagged(&[write::NAME_TAG]), tagged(&[write::NAME_TAG, write::LABELS_TAG]));
            debug_assert_eq!(store::text::TIERS.len(), 4);
            vec![name.clone(), format!("{labels} & !{name}"), format!("{} & !{labels}", within(3)), format!("{} & !{}", within(4), within(3))]
        };
        let mut skip = if newest { 0 } else { q.from.unwrap_or(0).max(0) };
        let mut need = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let mut c = self.conn()?;
        let floor = q.added_after.map_or(i64::MIN, |a| a.saturating_add(1));
        let ceiling = before.unwrap_or(i64::MAX);
        let spread = Spread::of(&mut c)?;
        let mut out = Vec::new();
        let mut rare: Option<Rarity> = None;
        for m in matching {
            if need == 0 {
                break;
            }
            params[0] = Box::new(m);
            let mut windows = Windows::new(spread, floor, ceiling, need);
            // Read sorted from the first window on (a count's read): the
            // planner expects the words rare. Walking the key first to learn
            // it would cost a window of versions, not of hits.
            let mut early = false;
            if need >= EARLY_NEED {
                let r = *rare.get_or_insert_with(|| rarity(&mut c, &all(""), spread));
                if r.rare {
                    windows.expect(r.share, need);
                    early = true;
                }
            }
            while let Some((from, to)) = windows.next() {
                let mut with = refs(&params);
                with.extend([&from as &(dyn ToSql + Sync), &to, &need, &skip]);
                // The GIN index finds the words anywhere (a tier's words
                // may be rare in the name and common anywhere), and the
                // windows' spread is an average that bursts of arrivals
                // break: a window is read sorted only if the planner also
                // expects the words themselves to be rare.
                let sparse = early || (windows.sparse() && rare.get_or_insert_with(|| rarity(&mut c, &all(""), spread)).rare);
                let rows = if sparse {
                    // The planner prices a tsvector match as any operator
                    // (0.0025) and so walks the key testing each version's
                    // words, in parallel, over what the GIN bitmap ANDed
                    // with the window's reads in a third of the time (the
                    // plans in docs/benchmarks.md); within this read only,
                    // an operator costs twenty times more, no workers, and
                    // `objects` is joined by its key (a dearer operator
                    // would otherwise hash it whole).
                    let mut tx = c.transaction().map_err(pg_err)?;
                    tx.batch_execute(
                        "SET LOCAL cpu_operator_cost = 0.05; SET LOCAL max_parallel_workers_per_gather = 0;
                         SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
                    )
                    .map_err(pg_err)?;
                    let rows = tx.query(&sorted, &with).map_err(pg_err)?;
                    tx.commit().map_err(pg_err)?;
                    rows
                } else {
                    c.query(&page, &with).map_err(pg_err)?
                };
                let mut held = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                if !rows.is_empty() {
                    skip = 0;
                } else if skip > 0 {
                    let mut with = refs(&params);
                    with.extend([&from as &(dyn ToSql + Sync), &to]);
                    held = c.query_one(&count, &with).map_err(pg_err)?.get(0);
                    skip = (skip - held).max(0);
                }
                need -= i64::try_from(rows.len()).unwrap_or(i64::MAX);
                out.extend(rows.iter().map(|row| (record(row), row.get::<_, bool>(FLAGS + 1))));
                if need == 0 {
                    break;
                }
                windows.found(held, need);
                if windows.sparse() && rare.get_or_insert_with(|| rarity(&mut c, &all(""), spread)).few {
                    windows.rest();
                }
            }
        }
        Ok(out)
    }

    fn versions_of(&self, id: &str, collection: Option<&str>) -> Result<Vec<Record>> {
        let mut c = self.conn()?;
        let rows = match collection {
            Some(col) => c.query(
                &format!(
                    "SELECT m.date_added, {COLUMNS} FROM collection_objects m JOIN objects o ON o.date_added = m.object
                     WHERE m.collection = $1 AND m.id = $2"
                ),
                &[&col, &id],
            ),
            None => c.query(&format!("SELECT o.date_added, {COLUMNS} FROM objects o WHERE o.id = $1"), &[&id]),
        }
        .map_err(pg_err)?;
        Ok(rows.iter().map(record).collect())
    }

    fn each(&self, q: &Query, f: &mut dyn FnMut(Record) -> std::result::Result<(), String>) -> Result<u64> {
        use postgres::fallible_iterator::FallibleIterator;
        let (clause, params) = from_where(q);
        let sql = format!("{}{clause}", select(q));
        let mut c = self.conn()?;
        let mut rows = c.query_raw(&sql, refs(&params)).map_err(pg_err)?;
        let mut n = 0;
        while let Some(row) = rows.next().map_err(pg_err)? {
            f(record(&row)).map_err(Error::Internal)?;
            n += 1;
        }
        Ok(n)
    }

    fn delete(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<u64> {
        let mut c = self.conn()?;
        write::delete(&mut c, id.as_str(), versions, collection)
    }

    fn reoffer(&self, collection: &str, key: &str, value: &str) -> Result<bool> {
        let mut c = self.conn()?;
        write::reoffer(&mut c, collection, key, value)
    }

    fn removals(&self) -> Result<u64> {
        let row = self.conn()?.query_opt("SELECT value FROM settings WHERE key = $1", &[&store::REMOVALS]).map_err(pg_err)?;
        Ok(row.and_then(|r| r.get::<_, String>(0).parse().ok()).unwrap_or(0))
    }

    fn signatures(&self, versions: &[(String, i64)]) -> Result<Vec<store::Signature>> {
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn()?;
        let ids: Vec<&str> = versions.iter().map(|(id, _)| id.as_str()).collect();
        let micros: Vec<i64> = versions.iter().map(|(_, v)| *v).collect();
        let rows = c
            .query(
                "SELECT s.id, s.version, s.signer, s.value FROM signatures s
                 JOIN UNNEST($1::text[], $2::bigint[]) AS k(id, version) ON s.id = k.id AND s.version = k.version",
                &[&ids, &micros],
            )
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| store::Signature { id: r.get(0), version_micros: r.get(1), signer: r.get(2), value: r.get(3) })
            .collect())
    }

    fn stats(&self) -> Result<Stats> {
        let mut c = self.conn()?;
        let mut group = |column: &str| -> Result<Vec<(String, u64, u64)>> {
            let sql = format!(
                "SELECT coalesce({column}, '') AS k, count(*) FILTER (WHERE is_last), count(*) FROM objects
                 GROUP BY 1 ORDER BY coalesce({column}, '') COLLATE \"C\""
            );
            let rows = c.query(&sql, &[]).map_err(pg_err)?;
            Ok(rows.iter().map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64, r.get::<_, i64>(2) as u64)).collect())
        };
        let by_type = group("type")?;
        let by_producer = group("created_by_ref")?;
        let objects = by_type.iter().map(|t| t.1).sum();
        let versions = by_type.iter().map(|t| t.2).sum();
        Ok(Stats { versions, objects, by_type, by_producer })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod windows_tests {
    use super::{Spread, Windows};

    /// The windows a walk gives when each finds `hits`, until none is left.
    fn walk(spread: Option<Spread>, floor: i64, ceiling: i64, hits: &dyn Fn(i64, i64) -> i64) -> Vec<(i64, i64)> {
        let mut w = Windows::new(spread, floor, ceiling, 100);
        let mut out = Vec::new();
        while let Some((from, to)) = w.next() {
            out.push((from, to));
            assert!(out.len() < 100, "the walk ends: {out:?}");
            w.found(hits(from, to), 100);
        }
        out
    }

    #[test]
    fn windows_tile_the_range_newest_first_and_grow() {
        let analyzed = Spread { oldest: 1_000, newest: 1_000_999, per_version: Some(1_000.0) };
        let spread = Some(analyzed);
        for (floor, ceiling) in [(i64::MIN, i64::MAX), (5_000, 900_000), (2_000_000, i64::MAX), (i64::MIN, 500)] {
            for hits in [&(|_: i64, _: i64| 0i64) as &dyn Fn(i64, i64) -> i64, &|from: i64, to: i64| ((to.min(1_001_000) - from.max(1_000)).max(0)) / 10_000] {
                let windows = walk(spread, floor, ceiling, hits);
                assert_eq!(windows.first().map(|w| w.1), Some(ceiling), "from the ceiling");
                assert_eq!(windows.last().map(|w| w.0), Some(floor), "down to the floor");
                for pair in windows.windows(2) {
                    assert_eq!(pair[0].0, pair[1].1, "no gap, no overlap: {windows:?}");
                    assert!(pair[0].0 < pair[0].1);
                }
                let widths: Vec<i64> = windows.iter().skip(1).rev().skip(1).map(|w| w.1 - w.0).collect();
                assert!(widths.windows(2).all(|p| p[0] >= p[1]), "growing: {windows:?}");
            }
        }
        // The first window holds about four times the hits wanted.
        let first = walk(spread, i64::MIN, i64::MAX, &|_, _| 0i64)[0];
        assert_eq!(first.0, 1_001_000 - 400_000);
        // Rare words are read a window whole once they proved rare.
        let mut w = Windows::new(spread, i64::MIN, i64::MAX, 100);
        assert!(!w.sparse(), "not before the first window");
        w.next();
        assert!(!w.sparse(), "not before the first window is read");
        w.found(100, 100);
        assert!(!w.sparse(), "100 hits in 400 versions");
        w.next();
        w.found(0, 100);
        w.next();
        w.found(0, 100);
        assert!(w.sparse(), "100 hits in 4,000 versions and more");
        // Unanalyzed, or nothing stored: one window.
        assert_eq!(walk(None, i64::MIN, i64::MAX, &|_, _| 0i64), vec![(i64::MIN, i64::MAX)]);
        assert_eq!(walk(Some(Spread { per_version: None, ..analyzed }), 7, 9, &|_, _| 0i64), vec![(7, 9)]);
        assert!(walk(spread, 9, 9, &|_, _| 0i64).is_empty(), "an empty range reads nothing");
    }

    #[test]
    fn an_expected_share_sizes_the_first_window_only() {
        let spread = Some(Spread { oldest: 1_000, newest: 1_000_999, per_version: Some(1_000.0) });
        // 10 hits wanted of words in one version in fifty: the first window
        // holds 750 versions (half again), not 256.
        let mut w = Windows::new(spread, i64::MIN, i64::MAX, 10);
        w.expect(0.02, 10);
        assert_eq!(w.next(), Some((1_001_000 - 750_000, i64::MAX)));
        // Never narrower than it was, and not once a window was read.
        let mut w = Windows::new(spread, i64::MIN, i64::MAX, 10);
        w.expect(0.9, 10);
        assert_eq!(w.next(), Some((1_001_000 - 256_000, i64::MAX)));
        w.found(1, 9);
        let before = w.span;
        w.expect(0.000_001, 9);
        assert_eq!(w.span, before);
        // A share the planner cannot give leaves it as it was.
        let mut w = Windows::new(spread, i64::MIN, i64::MAX, 10);
        w.expect(0.0, 10);
        assert_eq!(w.next(), Some((1_001_000 - 256_000, i64::MAX)));
    }
}
