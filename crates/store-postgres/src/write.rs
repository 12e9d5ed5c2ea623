//! Batch puts and deletes on PostgreSQL: a handful of set-based statements
//! per batch (existing versions fetched with `= ANY`, new rows inserted with
//! `UNNEST`), decisions made in memory, all under the clock row's lock.

use std::collections::HashMap;

use postgres::{Client, Transaction};
use store::{release_facts, DateAdded, ObservableKey, Outcome, PutOptions, Result, Versions, AGREEMENT_COLLECTION_PREFIX};

use crate::pg_err;

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// A version of an object, stored before this batch or added by it.
#[derive(Clone)]
struct Version {
    version: i64,
    date_added: i64,
    author: Option<String>,
    /// Index into the batch's new rows, if this batch adds it.
    new: Option<usize>,
}

impl store::Held for Version {
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

struct NewObject {
    date_added: i64,
    id: String,
    object_type: String,
    version: i64,
    version_text: String,
    spec_version: String,
    created_by_ref: Option<String>,
    is_first: bool,
    is_last: bool,
    revoked: bool,
    recalled: bool,
    json: Vec<u8>,
    facts: Vec<u8>,
    observables: Vec<ObservableKey>,
    text: Option<store::TextFields>,
}

struct NewMember {
    date_added: i64,
    object: i64,
    id: String,
    object_type: String,
    version: i64,
    is_first: bool,
    is_last: bool,
}

/// A collection the batch joins: its stored memberships and the new ones.
#[derive(Default)]
struct Members {
    known: Known,
    new: Vec<NewMember>,
}

impl Members {
    /// Adds the version (row `object`) to the collection unless it is there.
    fn join(&mut self, id: &str, object_type: &str, version: i64, object: i64, clock: &mut impl FnMut() -> i64) -> Outcome {
        let existing = self.known.by_id.entry(id.to_owned()).or_default();
        if let Some(m) = existing.iter().find(|m| m.version == version) {
            return Outcome::Unchanged(DateAdded(m.date_added));
        }
        let date_added = clock();
        existing.push(Version { version, date_added, author: None, new: Some(self.new.len()) });
        self.new.push(NewMember {
            date_added,
            object,
            id: id.to_owned(),
            object_type: object_type.to_owned(),
            version,
            is_first: false,
            is_last: false,
        });
        self.known.touched.push(id.to_owned());
        Outcome::Added(DateAdded(date_added))
    }
}

/// Versions per id, with first/last decided in memory.
#[derive(Default)]
struct Known {
    by_id: HashMap<String, Vec<Version>>,
    /// Ids whose stored first/last flags must be recomputed at the end.
    touched: Vec<String>,
}

pub(crate) fn put(c: &mut Client, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>> {
    let mut tx = c.transaction().map_err(pg_err)?;
    let mut last: i64 = tx.query_one("SELECT last FROM clock FOR UPDATE", &[]).map_err(pg_err)?.get(0);
    let added_at = options.added_at;
    let mut clock = || {
        last = store::backdated(now_micros(), added_at, last);
        last
    };
    let ids: Vec<String> = {
        let mut v: Vec<String> = objects.iter().map(|o| o.id().to_string()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut stored = Known::default();
    for row in tx
        .query(
            "SELECT o.id, o.version, o.date_added, coalesce(o.created_by_ref, o.posted_by)
             FROM unnest($1::text[]) AS k(id)
             CROSS JOIN LATERAL (SELECT * FROM objects WHERE objects.id = k.id OFFSET 0) o",
            &[&ids],
        )
        .map_err(pg_err)?
    {
        stored.by_id.entry(row.get(0)).or_default().push(Version {
            version: row.get(1),
            date_added: row.get(2),
            author: row.get(3),
            new: None,
        });
    }
    // The collections the batch joins: the named one (whose outcome is
    // reported) and those of the agreements it is shared under.
    let mut targets: Vec<String> = options.collection.iter().cloned().collect();
    for a in &options.shares {
        let c = store::agreement_collection(a);
        if !targets.contains(&c) {
            targets.push(c);
        }
    }
    let mut members: HashMap<String, Members> = targets.iter().map(|c| (c.clone(), Members::default())).collect();
    if !targets.is_empty() {
        for row in tx
            .query(
                "SELECT collection, id, version, date_added FROM collection_objects
                 WHERE collection = ANY($1) AND id = ANY($2)",
                &[&targets, &ids],
            )
            .map_err(pg_err)?
        {
            let c: String = row.get(0);
            if let Some(m) = members.get_mut(&c) {
                m.known.by_id.entry(row.get(1)).or_default().push(Version {
                    version: row.get(2),
                    date_added: row.get(3),
                    author: None,
                    new: None,
                });
            }
        }
    }

    let mut new_objects: Vec<NewObject> = Vec::new();
    let mut out = Vec::with_capacity(objects.len());
    // (object row, agreements newly shared under, space-separated)
    let mut newly_shared: HashMap<i64, String> = HashMap::new();
    for obj in objects {
        let id = obj.id().as_str();
        let mut outcome = put_one(&mut tx, obj, options, &mut stored, &mut new_objects, &mut clock)?;
        if let Outcome::Added(d) | Outcome::Unchanged(d) = outcome {
            let version = stored.by_id[id].iter().find(|v| v.date_added == d.0).map(|v| v.version).unwrap_or_default();
            for c in &targets {
                let m = members.get_mut(c).expect("every target has members");
                let joined = m.join(id, obj.object_type(), version, d.0, &mut clock);
                if Some(c) == options.collection.as_ref() {
                    outcome = joined.clone();
                }
                if c.starts_with(AGREEMENT_COLLECTION_PREFIX) && matches!(joined, Outcome::Added(_)) {
                    let list = newly_shared.entry(d.0).or_default();
                    if !list.is_empty() {
                        list.push(' ');
                    }
                    list.push_str(c);
                }
            }
        }
        out.push(outcome);
    }

    // Flags of new rows, decided among every version of their id.
    let decide = |all: &HashMap<String, Vec<Version>>, id: &str| -> Vec<(Option<usize>, bool, bool)> {
        let vs = &all[id];
        let (min, max) = (vs.iter().map(|v| v.version).min(), vs.iter().map(|v| v.version).max());
        vs.iter().map(|v| (v.new, Some(v.version) == min, Some(v.version) == max)).collect()
    };
    for id in &stored.touched {
        for (new, first, last) in decide(&stored.by_id, id) {
            if let Some(i) = new {
                new_objects[i].is_first = first;
                new_objects[i].is_last = last;
            }
        }
    }
    for m in members.values_mut() {
        for id in &m.known.touched {
            for (new, first, last) in decide(&m.known.by_id, id) {
                if let Some(i) = new {
                    m.new[i].is_first = first;
                    m.new[i].is_last = last;
                }
            }
        }
    }
    // A recall: the latest version revokes the object, and every version says so.
    for id in &stored.touched {
        let vs = &stored.by_id[id];
        if let Some(latest) = vs.iter().max_by_key(|v| v.version).and_then(|v| v.new) {
            let revoked = new_objects[latest].revoked;
            for v in vs.iter().filter_map(|v| v.new) {
                new_objects[v].recalled = revoked;
            }
        }
    }
    insert_objects(&mut tx, &new_objects, options.posted_by.as_deref())?;
    // Stored rows of touched ids lose their flags where a new version took them.
    // Only ids stored before this batch can have rows whose flags change.
    let touched: Vec<&String> = stored.touched.iter().filter(|id| stored.by_id[*id].iter().any(|v| v.new.is_none())).collect();
    if !touched.is_empty() {
        tx.execute(
            "UPDATE objects o SET is_first = (o.version = m.lo), is_last = (o.version = m.hi)
             FROM (SELECT k.id, x.lo, x.hi FROM unnest($1::text[]) AS k(id)
                   CROSS JOIN LATERAL (SELECT min(version) lo, max(version) hi FROM objects WHERE objects.id = k.id OFFSET 0) x) m
             WHERE o.id = m.id AND (o.is_first <> (o.version = m.lo) OR o.is_last <> (o.version = m.hi))",
            &[&touched],
        )
        .map_err(pg_err)?;
    }
    let mut narrowed = options.narrows;
    if !touched.is_empty() {
        // A recall spread to stored versions changes what readers were given of them.
        narrowed |= 0 < tx.execute(
            "UPDATE objects o SET recalled = l.revoked
             FROM (SELECT k.id, x.revoked FROM unnest($1::text[]) AS k(id)
                   CROSS JOIN LATERAL (SELECT revoked FROM objects WHERE objects.id = k.id
                                       ORDER BY version DESC LIMIT 1) x) l
             WHERE o.id = l.id AND o.recalled <> l.revoked",
            &[&touched],
        )
        .map_err(pg_err)?;
    }
    for (coll, m) in &members {
        insert_members(&mut tx, coll, &m.new)?;
        let touched: Vec<&String> = m.known.touched.iter().collect();
        if !touched.is_empty() {
            recompute_members(&mut tx, coll, &touched)?;
        }
    }
    if !newly_shared.is_empty() {
        let (rows, lists): (Vec<i64>, Vec<String>) = newly_shared.into_iter().unzip();
        tx.execute(
            "UPDATE objects o SET shared_under = CASE WHEN o.shared_under = '' THEN u.a ELSE o.shared_under || ' ' || u.a END
             FROM UNNEST($1::bigint[], $2::text[]) AS u(d, a) WHERE o.date_added = u.d",
            &[&rows, &lists],
        )
        .map_err(pg_err)?;
    }
    tx.execute("UPDATE clock SET last = $1", &[&last]).map_err(pg_err)?;
    if !options.signatures.is_empty() {
        let ids: Vec<&str> = options.signatures.iter().map(|s| s.id.as_str()).collect();
        let micros: Vec<i64> = options.signatures.iter().map(|s| s.version_micros).collect();
        let signers: Vec<&str> = options.signatures.iter().map(|s| s.signer.as_str()).collect();
        let values: Vec<&str> = options.signatures.iter().map(|s| s.value.as_str()).collect();
        tx.execute(
            "INSERT INTO signatures (id, version, signer, value)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING",
            &[&ids, &micros, &signers, &values],
        )
        .map_err(pg_err)?;
    }
    if let Some((key, value)) = &options.checkpoint {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
            &[key, value],
        )
        .map_err(pg_err)?;
    }
    if narrowed {
        removed(&mut tx)?;
    }
    tx.commit().map_err(pg_err)?;
    Ok(out)
}

fn put_one(
    tx: &mut Transaction<'_>,
    obj: &model::Object,
    options: &PutOptions,
    stored: &mut Known,
    new_objects: &mut Vec<NewObject>,
    clock: &mut impl FnMut() -> i64,
) -> Result<Outcome> {
    let id = obj.id().as_str();
    let existing = stored.by_id.entry(id.to_owned()).or_default();
    let read = |e: &Version| -> Result<Vec<u8>> {
        Ok(match e.new {
            Some(i) => new_objects[i].json.clone(),
            None => tx.query_one("SELECT json FROM objects WHERE date_added = $1", &[&e.date_added]).map_err(pg_err)?.get(0),
        })
    };
    if let Some(outcome) = store::decide_version(obj, options, existing, read)? {
        return Ok(outcome);
    }
    let date_added = clock();
    let (version, version_text) = match obj.version() {
        Some(v) => (v.micros(), v.as_str().to_owned()),
        None => (date_added, DateAdded(date_added).to_string()),
    };
    let author = store::answerer(obj, options).map(str::to_owned).or_else(|| options.posted_by.clone());
    existing.push(Version { version, date_added, author, new: Some(new_objects.len()) });
    stored.touched.push(id.to_owned());
    // Parsed once for the indexes of what it names and of its words.
    let value = obj.to_value();
    new_objects.push(NewObject {
        date_added,
        id: id.to_owned(),
        object_type: obj.object_type().to_owned(),
        version,
        version_text,
        spec_version: obj.spec_version().to_owned(),
        created_by_ref: store::answerer(obj, options).map(str::to_owned),
        is_first: false,
        is_last: false,
        revoked: obj.revoked(),
        recalled: false,
        json: obj.json().to_vec(),
        facts: release_facts(obj, options),
        observables: ObservableKey::of_parsed(obj, &value),
        text: store::TextFields::of(&value),
    });
    Ok(Outcome::Added(DateAdded(date_added)))
}

fn insert_objects(tx: &mut Transaction<'_>, rows: &[NewObject], posted_by: Option<&str>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let col = |f: &dyn Fn(&NewObject) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    let (date_added, version) = (col(&|r| r.date_added), col(&|r| r.version));
    let text = |f: &dyn Fn(&NewObject) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let (id, ty, vt, sv) = (text(&|r| r.id.clone()), text(&|r| r.object_type.clone()), text(&|r| r.version_text.clone()), text(&|r| r.spec_version.clone()));
    let cbr: Vec<Option<String>> = rows.iter().map(|r| r.created_by_ref.clone()).collect();
    let flags = |f: &dyn Fn(&NewObject) -> bool| rows.iter().map(f).collect::<Vec<bool>>();
    let (first, last, revoked) = (flags(&|r| r.is_first), flags(&|r| r.is_last), flags(&|r| r.revoked));
    let recalled = flags(&|r| r.recalled);
    let json: Vec<&[u8]> = rows.iter().map(|r| r.json.as_slice()).collect();
    let facts: Vec<&[u8]> = rows.iter().map(|r| r.facts.as_slice()).collect();
    tx.execute(
        "INSERT INTO objects (date_added, id, type, version, version_text, spec_version, created_by_ref, posted_by,
                              is_first, is_last, revoked, json, facts, recalled)
         SELECT d, i, t, v, vt, sv, c, $12, f, l, r, j, fa, rc
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                     $8::bool[], $9::bool[], $10::bool[], $11::bytea[], $13::bytea[], $14::bool[])
              AS u(d, i, t, v, vt, sv, c, f, l, r, j, fa, rc)",
        &[&date_added, &id, &ty, &version, &vt, &sv, &cbr, &first, &last, &revoked, &json, &posted_by, &facts, &recalled],
    )
    .map_err(pg_err)?;
    let (keys, objects): (Vec<&[u8]>, Vec<i64>) =
        rows.iter().flat_map(|r| r.observables.iter().map(move |k| (&k.0[..], r.date_added))).unzip();
    if !keys.is_empty() {
        tx.execute(
            "INSERT INTO observables (key, object) SELECT k, o FROM UNNEST($1::bytea[], $2::bigint[]) AS u(k, o)
             ON CONFLICT DO NOTHING",
            &[&keys, &objects],
        )
        .map_err(pg_err)?;
    }
    let texts: Vec<(i64, store::TextFields)> = rows.iter().filter_map(|r| r.text.clone().map(|t| (r.date_added, t))).collect();
    index_text(tx, &texts)
}

/// What a name's words are tagged with, beside themselves, in the text
/// index (migration 11): `a~word` is in a version whose name has `word`.
/// `~` is never in a word ([`store::text::words`]).
pub(crate) const NAME_TAG: &str = "a~";

/// What the labels' words are tagged with, as [`NAME_TAG`].
pub(crate) const LABELS_TAG: &str = "b~";

/// A word this long or longer is not tagged: the parser leaves such a word
/// out of a tsvector (2,047 bytes, less the tag).
const MAX_LEXEME: usize = 2_040;

/// Adds versions' words to the text index: `(date_added, fields)`.
pub(crate) fn index_text(tx: &mut Transaction<'_>, texts: &[(i64, store::TextFields)]) -> Result<()> {
    if texts.is_empty() {
        return Ok(());
    }
    let objects: Vec<i64> = texts.iter().map(|t| t.0).collect();
    let field = |f: &dyn Fn(&store::TextFields) -> &str| texts.iter().map(|t| f(&t.1)).collect::<Vec<&str>>();
    let (name, labels, description, body) = (field(&|t| &t.name), field(&|t| &t.labels), field(&|t| &t.description), field(&|t| &t.body));
    // The name's and the labels' words again, tagged ([`NAME_TAG`],
    // [`LABELS_TAG`]): best match's first tiers are then each one posting
    // list of the GIN index, not every posting of the word checked for its
    // weight on the heap. `array_to_tsvector` takes them as they are (the
    // parser would cut at the tag); `words` gave letters and digits only,
    // and a word longer than the parser keeps is left out, as it does.
    let tagged = |tag: &str, field: &[&str]| -> Vec<String> {
        field.iter().map(|f| f.split(' ').filter(|w| !w.is_empty() && w.len() < MAX_LEXEME).map(|w| format!("{tag}{w}")).collect::<Vec<_>>().join(" ")).collect()
    };
    let (name_tagged, labels_tagged) = (tagged(NAME_TAG, &name), tagged(LABELS_TAG, &labels));
    tx.execute(
        "INSERT INTO object_text (object, words)
         SELECT o, setweight(to_tsvector('simple', n), 'A') || setweight(to_tsvector('simple', l), 'B')
                || setweight(to_tsvector('simple', d), 'C') || setweight(to_tsvector('simple', b), 'D')
                || setweight(array_to_tsvector(string_to_array(nt, ' ')), 'A') || setweight(array_to_tsvector(string_to_array(lt, ' ')), 'B')
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(o, n, l, d, b, nt, lt)
         ON CONFLICT DO NOTHING",
        &[&objects, &name, &labels, &description, &body, &name_tagged, &labels_tagged],
    )
    .map_err(pg_err)?;
    Ok(())
}

fn insert_members(tx: &mut Transaction<'_>, collection: &str, rows: &[NewMember]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let date_added: Vec<i64> = rows.iter().map(|r| r.date_added).collect();
    let object: Vec<i64> = rows.iter().map(|r| r.object).collect();
    let id: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let ty: Vec<&str> = rows.iter().map(|r| r.object_type.as_str()).collect();
    let version: Vec<i64> = rows.iter().map(|r| r.version).collect();
    let first: Vec<bool> = rows.iter().map(|r| r.is_first).collect();
    let last: Vec<bool> = rows.iter().map(|r| r.is_last).collect();
    tx.execute(
        "INSERT INTO collection_objects (date_added, collection, object, id, type, version, is_first, is_last)
         SELECT d, $1, o, i, t, v, f, l
         FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bool[], $8::bool[])
              AS u(d, o, i, t, v, f, l)",
        &[&collection, &date_added, &object, &id, &ty, &version, &first, &last],
    )
    .map_err(pg_err)?;
    Ok(())
}

fn recompute_members(tx: &mut Transaction<'_>, collection: &str, ids: &[&String]) -> Result<()> {
    tx.execute(
        "UPDATE collection_objects c SET is_first = (c.version = m.lo), is_last = (c.version = m.hi)
         FROM (SELECT id, min(version) lo, max(version) hi FROM collection_objects
               WHERE collection = $1 AND id = ANY($2) GROUP BY id) m
         WHERE c.collection = $1 AND c.id = m.id AND (c.is_first <> (c.version = m.lo) OR c.is_last <> (c.version = m.hi))",
        &[&collection, &ids],
    )
    .map_err(pg_err)?;
    Ok(())
}

fn recompute_objects(tx: &mut Transaction<'_>, id: &str) -> Result<()> {
    tx.execute(
        "UPDATE objects o SET is_first = (o.version = m.lo), is_last = (o.version = m.hi),
           recalled = coalesce((SELECT revoked FROM objects WHERE id = $1 ORDER BY version DESC LIMIT 1), false)
         FROM (SELECT min(version) lo, max(version) hi FROM objects WHERE id = $1) m
         WHERE o.id = $1",
        &[&id],
    )
    .map_err(pg_err)?;
    Ok(())
}

/// Removes versions, and their memberships, from the store.
fn drop_versions(tx: &mut Transaction<'_>, rows: &[i64]) -> Result<()> {
    let held = tx
        .query("DELETE FROM collection_objects WHERE object = ANY($1) RETURNING collection, id", &[&rows])
        .map_err(pg_err)?;
    for r in held {
        let (c, id): (String, String) = (r.get(0), r.get(1));
        recompute_members(tx, &c, &[&id])?;
    }
    tx.execute("DELETE FROM observables WHERE object = ANY($1)", &[&rows]).map_err(pg_err)?;
    tx.execute("DELETE FROM object_text WHERE object = ANY($1)", &[&rows]).map_err(pg_err)?;
    // An object without a version of its own has its signature under 0.
    tx.execute(
        "DELETE FROM signatures s USING objects o
         WHERE o.date_added = ANY($1) AND s.id = o.id AND (s.version = o.version OR s.version = 0)",
        &[&rows],
    )
    .map_err(pg_err)?;
    tx.execute("DELETE FROM objects WHERE date_added = ANY($1)", &[&rows]).map_err(pg_err)?;
    Ok(())
}

/// [`store::Store::reoffer`]: fresh dates for a collection's members, in
/// order, under the clock row's lock, unless the setting already holds the
/// value (two servers re-offering at once: the second finds it set).
pub(crate) fn reoffer(c: &mut Client, collection: &str, key: &str, value: &str) -> Result<bool> {
    let mut tx = c.transaction().map_err(pg_err)?;
    let last: i64 = tx.query_one("SELECT last FROM clock FOR UPDATE", &[]).map_err(pg_err)?.get(0);
    let current = tx.query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).map_err(pg_err)?;
    if current.map(|r| r.get::<_, String>(0)).as_deref() == Some(value) {
        return Ok(false);
    }
    let members: Vec<i64> = tx
        .query("SELECT date_added FROM collection_objects WHERE collection = $1 ORDER BY date_added", &[&collection])
        .map_err(pg_err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let start = now_micros().max(last + 1);
    let fresh: Vec<i64> = (0..members.len() as i64).map(|i| start + i).collect();
    // Fresh dates are above every date handed out, so no two rows collide.
    tx.execute(
        "UPDATE collection_objects m SET date_added = u.fresh FROM UNNEST($1::bigint[], $2::bigint[]) AS u(old, fresh)
         WHERE m.date_added = u.old",
        &[&members, &fresh],
    )
    .map_err(pg_err)?;
    let last = fresh.last().copied().unwrap_or(last);
    tx.execute("UPDATE clock SET last = $1", &[&last]).map_err(pg_err)?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
        &[&key, &value],
    )
    .map_err(pg_err)?;
    tx.commit().map_err(pg_err)?;
    Ok(true)
}

pub(crate) fn delete(c: &mut Client, id: &str, versions: &Versions, collection: Option<&str>) -> Result<u64> {
    let mut tx = c.transaction().map_err(pg_err)?;
    tx.query_one("SELECT last FROM clock FOR UPDATE", &[]).map_err(pg_err)?;
    let deleted = match collection {
        None => {
            let rows = tx
                .query("SELECT date_added, version, is_first, is_last FROM objects WHERE id = $1", &[&id])
                .map_err(pg_err)?;
            let doomed: Vec<i64> = rows
                .iter()
                .filter(|r| versions.selects(r.get(2), r.get(3), r.get(1)))
                .map(|r| r.get(0))
                .collect();
            drop_versions(&mut tx, &doomed)?;
            doomed.len() as u64
        }
        Some(coll) => {
            let rows = tx
                .query(
                    "SELECT date_added, object, version, is_first, is_last FROM collection_objects
                     WHERE collection = $1 AND id = $2",
                    &[&coll, &id],
                )
                .map_err(pg_err)?;
            let doomed: Vec<(i64, i64)> = rows
                .iter()
                .filter(|r| versions.selects(r.get(3), r.get(4), r.get(2)))
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let memberships: Vec<i64> = doomed.iter().map(|d| d.0).collect();
            tx.execute("DELETE FROM collection_objects WHERE date_added = ANY($1)", &[&memberships]).map_err(pg_err)?;
            let objects: Vec<i64> = doomed.iter().map(|d| d.1).collect();
            let orphans: Vec<i64> = tx
                .query(
                    "SELECT o FROM UNNEST($1::bigint[]) o WHERE NOT EXISTS (SELECT 1 FROM collection_objects WHERE object = o)",
                    &[&objects],
                )
                .map_err(pg_err)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            drop_versions(&mut tx, &orphans)?;
            let owned = id.to_owned();
            recompute_members(&mut tx, coll, &[&owned])?;
            if coll.starts_with(AGREEMENT_COLLECTION_PREFIX) {
                tx.execute(
                    "UPDATE objects o SET shared_under = coalesce((SELECT string_agg(collection, ' ' ORDER BY date_added)
                       FROM collection_objects WHERE object = o.date_added AND collection LIKE 'x-entente-agreement--%'), '')
                     WHERE o.date_added = ANY($1)",
                    &[&objects],
                )
                .map_err(pg_err)?;
            }
            doomed.len() as u64
        }
    };
    recompute_objects(&mut tx, id)?;
    removed(&mut tx)?;
    tx.commit().map_err(pg_err)?;
    Ok(deleted)
}

/// Moves the store's removal generation ([`store::Store::removals`]) in
/// the writing transaction.
fn removed(tx: &mut Transaction<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ($1, '1')
         ON CONFLICT (key) DO UPDATE SET value = (settings.value::bigint + 1)::text",
        &[&store::REMOVALS],
    )
    .map(|_| ())
    .map_err(pg_err)
}
