//! The storage contract of an Entente node.
//!
//! A store holds versions of STIX objects, each as its JSON bytes plus the
//! columns queries need. It assigns `date_added`, strictly increasing within
//! the store, so that paging by `added_after` or by cursor never skips or
//! repeats an object. Backends (`store-sqlite`, later `store-postgres`)
//! implement [`Store`] and prove it by running [`conformance`] (feature
//! `testsuite`), written once for all of them.

mod query;
mod registry;
pub mod text;
mod version;

#[cfg(feature = "testsuite")]
pub mod bench_text;
#[cfg(feature = "testsuite")]
pub mod conformance;

use std::fmt;

pub use query::{Cursor, Page, Query, Versions};
pub use registry::{Access, CollectionRecord, PartnerRecord, PeerRecord, Registry, Role, TokenRecord, UserRecord};
pub use text::{TextFields, TextHit, TextOrder, TextPage, TextQuery};
pub use version::{decide_version, Held};

/// A storage failure. Never names the backend: callers see what happened, not where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database cannot be reached or is busy; the request may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database was written by a newer Entente: refuse rather than damage it.
    #[error("the database is at schema version {found}, newer than this binary knows ({known}); upgrade Entente")]
    NewerSchema {
        /// Version found in the database.
        found: i64,
        /// Newest version this binary knows.
        known: i64,
    },
    /// Anything else the backend reported.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, Error>;

/// When the store added a version: microseconds since the Unix epoch,
/// strictly increasing within a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateAdded(pub i64);

impl DateAdded {
    /// As a STIX/TAXII timestamp with microseconds.
    pub fn to_timestamp(self) -> model::Timestamp {
        model::Timestamp::from_micros(self.0)
    }
}

impl fmt::Display for DateAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_timestamp().as_str())
    }
}

/// What happened to one object of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new version was stored.
    Added(DateAdded),
    /// The same version with the same content was already stored: nothing changed.
    Unchanged(DateAdded),
    /// A version with the same id and version but different content is stored;
    /// this object was not stored.
    Conflict(String),
    /// Earlier versions of this object have another author; only the author
    /// may version an object. Nothing was stored.
    NotAuthor(String),
}

/// How a batch is put.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Also add the versions to this collection (each gets the collection's
    /// own `date_added`).
    pub collection: Option<String>,
    /// Share the versions under these agreements (their ids): each version
    /// joins the agreement's collection (see [`agreement_collection`]) and
    /// records the agreement in [`Record::shared_under`]. Callers check that
    /// the submitting partner may share them; a refused version is not shared.
    pub shares: Vec<String>,
    /// The partner that submits the batch (recorded with new versions).
    pub posted_by: Option<String>,
    /// The submitting partner holds what it submits, whoever the object
    /// names as its author: an object of a source that is not a partner (a
    /// vendor, an open feed: its `created_by_ref` kept untouched) or one
    /// naming no author is stored as `posted_by`'s to answer for
    /// ([`answerer`]): the author in the version decision, the release
    /// facts and [`Record::created_by_ref`]. The caller refuses objects
    /// naming another partner as author first (no one speaks for a
    /// partner). Without it, an object is its `created_by_ref`'s.
    pub holds_sources: bool,
    /// Refuse versions of objects whose stored versions another partner
    /// authored (`created_by_ref`, or the submitting partner when absent).
    pub only_author: bool,
    /// The versions were received from another node under this agreement,
    /// by `posted_by` (their holder here): their release facts say so
    /// (`policy::Via`), and the agreement's handling rules bind them.
    pub received_under: Option<String>,
    /// A registry setting `(key, value)` written in the same transaction as
    /// the versions (a sync cursor: it moves only with what it covers).
    pub checkpoint: Option<(String, String)>,
    /// Authors' signatures to keep, in the same transaction as the versions
    /// (an existing signature of a version is kept).
    pub signatures: Vec<Signature>,
    /// The write narrows what readers may be given without deleting
    /// anything (a withholding recorded by retention): the store's removal
    /// generation ([`Store::removals`]) moves in the same transaction.
    pub narrows: bool,
    /// Import of history: date the batch's versions (and their collection
    /// memberships) from this moment instead of now. Each `date_added` is
    /// `max(min(added_at, now), last + 1)`, `last` being the latest
    /// `date_added` the store holds (read in the write's transaction): a
    /// batch is backdated only while everything the store holds is older,
    /// so `date_added` stays strictly increasing and paging by
    /// `added_after` or by cursor still never skips. Whoever writes history
    /// writes it in date order, before anything newer ([`backdated`]).
    pub added_at: Option<DateAdded>,
}

/// The `date_added` the store's clock gives next: `now` (the wall clock,
/// microseconds), or the batch's [`PutOptions::added_at`] when that is
/// earlier, but always after `last`.
pub fn backdated(now: i64, added_at: Option<DateAdded>, last: i64) -> i64 {
    added_at.map_or(now, |a| a.0.min(now)).max(last + 1)
}

/// The registry setting that holds the store's removal generation
/// ([`Store::removals`]).
pub const REMOVALS: &str = "store:removals";

/// An author's Ed25519 signature over one version of an object (its RFC 8785
/// form): the provenance that lets a node pass on a third party's object and
/// a receiver check that nobody on the way changed it (docs/federation.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The object's id.
    pub id: String,
    /// Microseconds of the object's own version (`modified`, else
    /// `created`); 0 for objects without one.
    pub version_micros: i64,
    /// The signing partner: the object's author.
    pub signer: String,
    /// The signature, base64.
    pub value: String,
}

impl Signature {
    /// The key a signature of `object` is kept under: its id and the
    /// microseconds of its own version (0 when it has none).
    pub fn key_of(object: &model::Object) -> (String, i64) {
        (object.id().to_string(), object.version().map_or(0, |v| v.micros()))
    }
}

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When the store added it.
    pub date_added: DateAdded,
    /// The object's id.
    pub id: String,
    /// The object's type.
    pub object_type: String,
    /// The version as TAXII reports it: `modified`, else `created`, else (for
    /// objects without either, such as SCOs) the date it was added.
    pub version: String,
    /// Microseconds of `version`, for comparisons.
    pub version_micros: i64,
    /// `spec_version`.
    pub spec_version: String,
    /// Who answers for this version on this node: the author the object
    /// names (`created_by_ref`), or, for a version a partner submitted
    /// holding its source ([`PutOptions::holds_sources`]), that partner.
    pub created_by_ref: Option<String>,
    /// The partner that submitted this version, if known.
    pub posted_by: Option<String>,
    /// The object's JSON bytes, as stored.
    pub json: Vec<u8>,
    /// What the release decision needs to know about this version
    /// ([`release_facts`]), computed once when it was stored.
    pub facts: Vec<u8>,
    /// The agreements the version is shared under, space-separated, in the
    /// order they were granted.
    pub shared_under: String,
    /// Whether the object's latest stored version revokes it.
    pub recalled: bool,
    /// In a read by arrival ([`Query::through`]): `Some("")` for the
    /// version's own row, `Some(collection)` for its membership of one of
    /// the `through` collections; `None` in every other read.
    pub via: Option<String>,
}

/// Counts of what a store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Object versions stored.
    pub versions: u64,
    /// Distinct objects stored.
    pub objects: u64,
    /// Per type: (type, objects, versions), sorted by type.
    pub by_type: Vec<(String, u64, u64)>,
    /// Per author: (created_by_ref or empty, objects, versions), sorted by author.
    pub by_producer: Vec<(String, u64, u64)>,
}

/// A store of STIX object versions.
///
/// Implementations are shared as `Arc<dyn Store>` and must be safe to call
/// from many threads; calls block, so async callers run them on a blocking pool.
pub trait Store: Send + Sync {
    /// Stores a batch of versions atomically and reports, per object and in
    /// order, whether it was added, already there, or in conflict. A conflict
    /// affects only its own object.
    fn put(&self, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>>;

    /// One page of versions matching `query`, in `date_added` order,
    /// ignoring its gate. Backends implement this; callers use [`Store::query`].
    fn page(&self, query: &Query) -> Result<Page>;

    /// Every version matching `query` (its `limit` and gate ignored), in
    /// `date_added` order, handed to `f` one at a time. Backends implement
    /// this; callers use [`Store::scan`].
    fn each(
        &self,
        query: &Query,
        f: &mut dyn FnMut(Record) -> std::result::Result<(), String>,
    ) -> Result<u64>;

    /// One page of versions matching `query` and passing its gate, in
    /// `date_added` order. Refused versions are skipped before the limit is
    /// applied, so neither the page, `more` nor `next` reveals them. With a
    /// gate, `first` and `last` are chosen among the versions the gate lets
    /// through ([`chooses`]).
    fn query(&self, query: &Query) -> Result<Page> {
        if query.gate.is_none() {
            return self.page(query);
        }
        let limit = query.limit.unwrap_or(usize::MAX / 2);
        let mut records = Vec::new();
        gated_walk(self, query, limit.saturating_add(1).clamp(256, 4096), &mut |r| {
            records.push(r);
            Ok(records.len() <= limit)
        })?;
        let more = records.len() > limit;
        records.truncate(limit);
        let next = if more { records.last().map(|r| Cursor(r.date_added)) } else { None };
        Ok(Page { records, more, next })
    }

    /// [`Store::page`] (its gate ignored) with, for each version, whether it
    /// is the first and whether it is the last stored version of its object
    /// within the query's scope (its collection, else the store): what a
    /// gated choice of `first` or `last` starts from ([`chooses`]). Returns
    /// the records and `more`. The default knows neither flag (`false`), so
    /// every choice looks up the object's versions; backends read them from
    /// their columns.
    #[allow(clippy::type_complexity)]
    fn page_flagged(&self, query: &Query) -> Result<(Vec<(Record, bool, bool)>, bool)> {
        let page = self.page(query)?;
        Ok((page.records.into_iter().map(|r| (r, false, false)).collect(), page.more))
    }

    /// Every stored version of the object `id` within `collection` (else
    /// the store), in any order, their JSON possibly left empty: what a
    /// gated choice of `first` or `last` compares a version with.
    fn versions_of(&self, id: &str, collection: Option<&str>) -> Result<Vec<Record>> {
        let q = Query {
            ids: vec![id.to_owned()],
            versions: Versions::ALL,
            collection: collection.map(str::to_owned),
            ..Query::default()
        };
        let mut out = Vec::new();
        self.each(&q, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// The id and version (microseconds) of every version added to
    /// `collection` strictly after `after` (its membership's `date_added`),
    /// in that order: what changed in a collection since a time, without
    /// reading the versions themselves (their JSON). The default scans the
    /// collection; backends read the membership rows alone.
    fn added_to(&self, collection: &str, after: i64) -> Result<Vec<(String, i64)>> {
        let q = Query { collection: Some(collection.to_owned()), versions: Versions::ALL, added_after: Some(after), ..Query::default() };
        let mut out = Vec::new();
        self.each(&q, &mut |r| {
            out.push((r.id, r.version_micros));
            Ok(())
        })?;
        Ok(out)
    }

    /// The page [`Store::query`] would return, handed to `f` one version at a
    /// time by reference instead of collected: for responses written straight
    /// from the stored bytes, where owning each record would only be copying
    /// it (backends may reuse one record's buffers for every row). Returns
    /// the page's `more`; its `next` is the last version `f` saw. Stops at the
    /// first error of `f` and returns it as [`Error::Internal`].
    fn visit(&self, query: &Query, f: &mut dyn FnMut(&Record) -> std::result::Result<(), String>) -> Result<bool> {
        let page = self.query(query)?;
        for r in &page.records {
            f(r).map_err(Error::Internal)?;
        }
        Ok(page.more)
    }

    /// Every version matching `query` and passing its gate (its `limit`
    /// ignored), in `date_added` order, handed to `f` one at a time without
    /// collecting them. Stops at the first error of `f` and returns it as
    /// [`Error::Internal`]. Returns how many passed.
    fn scan(
        &self,
        query: &Query,
        f: &mut dyn FnMut(Record) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        let Some(gate) = &query.gate else {
            return self.each(query, f);
        };
        let mut passed = 0;
        if query.chooses_among_gated() {
            gated_walk(self, query, 4096, &mut |r| {
                passed += 1;
                f(r).map(|()| true)
            })?;
            return Ok(passed);
        }
        self.each(query, &mut |r| {
            if gate.allows(&r) {
                passed += 1;
                f(r)
            } else {
                Ok(())
            }
        })?;
        Ok(passed)
    }

    /// The stored versions (every version, with JSON) whose indexed text
    /// ([`TextFields`]) holds each of `q.words` (whole, or as a prefix of a
    /// word with [`TextQuery::prefix`]), filtered and ordered as `q` says
    /// ([`TextQuery::order`]; best match in the tiers of
    /// [`text::TIERS`]), at most `q.limit`, each with
    /// whether it is its object's latest stored version. Backends
    /// implement this from their text index; callers use [`text::search`],
    /// which applies the reader's gate.
    fn text_hits(&self, q: &TextQuery) -> Result<Vec<TextHit>>;

    /// Deletes the selected versions of an object; returns how many went.
    /// With a collection, removes them from that collection, and from the
    /// store only those that no other collection still holds.
    fn delete(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<u64>;

    /// Re-offers a collection's members: unless the registry setting `key`
    /// already holds `value`, gives every member a fresh `date_added` from
    /// the store's one clock, in their present order, and sets `key` to
    /// `value`, all in one transaction. Returns whether it did. Whoever
    /// pages the collection (or reads through it, [`Query::through`]) is
    /// given its members again, after any cursor it holds: an agreement's
    /// collection when the agreement enters into force again.
    fn reoffer(&self, collection: &str, key: &str, value: &str) -> Result<bool>;

    /// The store's removal generation: a count moved, in the same
    /// transaction, by every write that can narrow what a reader was given
    /// before — a deletion ([`Store::delete`], whatever it removed), a
    /// recall spread to an object's earlier versions (a put that changes
    /// their `recalled`), and a write marked [`PutOptions::narrows`]. Kept
    /// in the registry setting [`REMOVALS`], so every process on one
    /// database sees another's removals: a cache of released versions
    /// built at one generation serves no read at another. 0 until the
    /// first such write.
    fn removals(&self) -> Result<u64>;

    /// Counts by type and by author.
    fn stats(&self) -> Result<Stats>;

    /// The signatures kept for these versions (id, version microseconds),
    /// in no particular order; versions without one are left out. Deleting
    /// a version deletes its signature.
    fn signatures(&self, versions: &[(String, i64)]) -> Result<Vec<Signature>>;

    /// The versions of one object selected by `versions`, oldest first.
    fn get(&self, id: &model::StixId, versions: &Versions) -> Result<Vec<Record>> {
        self.get_in(id, versions, None)
    }

    /// Like [`Store::get`], within a collection when one is given.
    fn get_in(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        let q = Query {
            ids: vec![id.to_string()],
            versions: versions.clone(),
            collection: collection.map(str::to_owned),
            ..Query::default()
        };
        self.scan(&q, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        out.sort_by_key(|r| r.version_micros);
        Ok(out)
    }
}

/// The gated reading behind [`Store::query`] and [`Store::scan`]: `query`
/// read without its gate, `chunk` versions at a time (every version of each
/// object when `first` or `last` is chosen among those the gate lets
/// through), each version the gate and the version choice take handed to
/// `f` in `date_added` order until `f` says stop.
fn gated_walk<S: Store + ?Sized>(
    store: &S,
    query: &Query,
    chunk: usize,
    f: &mut dyn FnMut(Record) -> std::result::Result<bool, String>,
) -> Result<()> {
    let Some(gate) = &query.gate else {
        return Err(Error::Internal("a gated walk without a gate".into()));
    };
    let choosing = query.chooses_among_gated();
    let mut raw = query.clone();
    raw.gate = None;
    raw.limit = Some(chunk);
    if choosing {
        raw.versions = Versions::ALL;
    }
    loop {
        let (records, more) = store.page_flagged(&raw)?;
        let last = records.last().map(|r| r.0.date_added);
        for (r, is_first, is_last) in records {
            let pass = if choosing {
                chooses(query, gate, &r, is_first, is_last, &mut || store.versions_of(&r.id, query.collection.as_deref()))?
            } else {
                gate.allows(&r)
            };
            if pass && !f(r).map_err(Error::Internal)? {
                return Ok(());
            }
        }
        match last {
            Some(d) if more => raw.after = Some(Cursor(d)),
            _ => return Ok(()),
        }
    }
}

/// Whether a gated query hands the reader `r`, a version that passes its
/// other filters: the gate must let it through, and when the query selects
/// `first` or `last`, they are the first and the last version *the reader
/// may see* (within the query's collection, else the store), not the first
/// and last stored. A reader is never denied an older version it may see
/// because a newer one it may not see exists, and a recalled object's
/// revoked version (the only one others may see) is its `first` too.
///
/// `is_first` and `is_last` say whether `r` is the first or the last stored
/// version in that scope, when the backend knows (else `false`): a stored
/// last version the gate lets through is the reader's last, decided without
/// looking further, which keeps the common case (one version) as cheap as
/// an ungated choice. Otherwise `others` (every version of the object in
/// the scope) is read, and the gate asked about them with [`Gate::sees`],
/// which notes nothing. Only versions handed over go through
/// [`Gate::allows`].
pub fn chooses(
    query: &Query,
    gate: &Gate,
    r: &Record,
    is_first: bool,
    is_last: bool,
    others: &mut dyn FnMut() -> Result<Vec<Record>>,
) -> Result<bool> {
    let v = &query.versions;
    if v.all || (v.first && is_first) || (v.last && is_last) || v.at.iter().any(|t| t.micros() == r.version_micros) {
        return Ok(gate.allows(r));
    }
    if !(v.first || v.last) || !gate.sees(r) {
        return Ok(false);
    }
    let others = others()?;
    let seen_beyond = |later: bool| {
        others.iter().any(|o| {
            let beyond = if later { o.version_micros > r.version_micros } else { o.version_micros < r.version_micros };
            beyond && gate.sees(o)
        })
    };
    let chosen = (v.last && !seen_beyond(true)) || (v.first && !seen_beyond(false));
    Ok(chosen && gate.allows(r))
}

/// What marks a TAXII status resource as pending in its JSON (serde writes
/// the status's members compactly, in order): [`Registry::pending_statuses`].
pub const PENDING_MARK: &str = r#""status":"pending""#;

/// The prefix of the collections that hold what is shared under an
/// agreement: the agreement's own id (`x-entente-agreement--…`), which no
/// registry collection (a UUID) can take.
pub const AGREEMENT_COLLECTION_PREFIX: &str = "x-entente-agreement--";

/// The collection that holds what is shared under `agreement` (its id).
pub fn agreement_collection(agreement: &str) -> String {
    agreement.to_owned()
}

/// Who answers for `object` submitted with `options`, as a backend records
/// it in [`Record::created_by_ref`]: the submitting partner when it holds
/// its sources ([`PutOptions::holds_sources`]), else the author the
/// object names.
pub fn answerer<'a>(object: &'a model::Object, options: &'a PutOptions) -> Option<&'a str> {
    match (&options.posted_by, object.created_by_ref()) {
        (Some(poster), _) if options.holds_sources => Some(poster),
        (_, author) => author.map(|a| a.as_str()),
    }
}

/// The release facts a backend stores beside a version: the policy's
/// [`policy::ObjectFacts`] of the object, whose author is its
/// `created_by_ref` or, when absent, the partner that submitted it. Empty
/// when the object's release properties are malformed (callers refuse such
/// objects before they reach the store); empty facts release a version to
/// its author alone.
pub fn release_facts(object: &model::Object, options: &PutOptions) -> Vec<u8> {
    let via = match (&options.received_under, &options.posted_by) {
        (Some(agreement), Some(holder)) => match (model::StixId::parse(holder), model::StixId::parse(agreement)) {
            (Ok(holder), Ok(agreement)) => Some(policy::Via { holder, agreement }),
            _ => return Vec::new(),
        },
        _ => None,
    };
    let facts = match via {
        Some(via) => policy::ObjectFacts::received(object, via),
        None => policy::ObjectFacts::from_object(object),
    };
    match facts {
        Ok(mut facts) => {
            if options.holds_sources && options.received_under.is_none() {
                facts.author = options.posted_by.as_deref().and_then(|p| model::StixId::parse(p).ok());
            }
            if facts.author.is_none() {
                facts.author = options.posted_by.as_deref().and_then(|p| model::StixId::parse(p).ok());
            }
            facts.encode()
        }
        Err(_) => Vec::new(),
    }
}

/// What the STIX type of every partnership record starts with
/// (`policy::kinds::PREFIX`): backends index the records they stored before
/// [`ObservableKey::refers_to`] by the stored types that start with it, so a
/// module's kinds need no list here.
pub const RECORD_TYPE_PREFIX: &str = policy::kinds::PREFIX;

/// At most this many [`ObservableKey::refers_to`] keys per record.
pub const MAX_REFERENCE_KEYS: usize = 64;

/// The STIX types that link objects ([`ObservableKey::linked`]): a
/// relationship by its two ends, a report, grouping, note or opinion by
/// the objects it names.
pub const LINK_TYPES: &[&str] = &["relationship", "report", "grouping", "note", "opinion"];

/// At most this many [`ObservableKey::linked`] keys per object: a report
/// naming more is found from its first thousand objects only.
pub const MAX_LINK_KEYS: usize = 1_000;

/// The index key of an observable: the first 16 bytes of the SHA-256 of its
/// kind, a zero byte and its normalised value. Stores keep one
/// `(key, version)` entry per observable each version carries
/// (`model::Object::observables`); correlation reads them back by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObservableKey(pub [u8; 16]);

impl ObservableKey {
    /// The key of an observable of `kind` whose normalised value is `value`.
    pub fn new(kind: &str, value: &str) -> ObservableKey {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        let d = h.finalize();
        let mut k = [0u8; 16];
        k.copy_from_slice(&d[..16]);
        ObservableKey(k)
    }

    /// The key under which a sighting of `object` is indexed (its
    /// `sighting_of_ref`): the object page finds an object's sightings by
    /// it instead of reading every sighting. No observable kind contains
    /// a space, so it cannot collide with one.
    pub fn sighting_of(object: &str) -> ObservableKey {
        ObservableKey::new("sighting of", object)
    }

    /// The [`ObservableKey::sighting_of`] key of a stored sighting's JSON,
    /// for indexing sightings stored before the key existed.
    pub fn of_stored_sighting(json: &[u8]) -> Option<ObservableKey> {
        let value: serde_json::Value = serde_json::from_slice(json).ok()?;
        let target = model::StixId::parse(value.get("sighting_of_ref")?.as_str()?).ok()?;
        Some(ObservableKey::sighting_of(target.as_str()))
    }

    /// The key under which a partnership record is indexed by a record it
    /// names in a top-level `…_ref` or `…_refs` property: its agreement
    /// (`agreement_ref`), the channel a message is in, the meeting minutes
    /// approve. A module's records under one agreement, or a channel's
    /// messages, are read by it instead of reading every record of the kind.
    pub fn refers_to(id: &str) -> ObservableKey {
        ObservableKey::new("refers to", id)
    }

    /// The [`ObservableKey::refers_to`] keys of a partnership record (an
    /// object of a kind in `policy::kinds` that names its agreement by the
    /// marker): one per id in its top-level `…_ref` and `…_refs`
    /// properties but its author and markings, at most
    /// [`MAX_REFERENCE_KEYS`]. Other objects have none.
    pub fn references(object_type: &str, value: &serde_json::Value) -> Vec<ObservableKey> {
        if !policy::kinds::of(object_type).is_some_and(|k| k.belongs == policy::kinds::Belongs::Marker) {
            return Vec::new();
        }
        let Some(map) = value.as_object() else { return Vec::new() };
        let named = map.iter().filter(|(k, _)| *k != "created_by_ref" && *k != "object_marking_refs").flat_map(|(k, v)| {
            let ids: Vec<&str> = if k.ends_with("_ref") {
                v.as_str().into_iter().collect()
            } else if k.ends_with("_refs") {
                v.as_array().map(|a| a.iter().filter_map(serde_json::Value::as_str).collect()).unwrap_or_default()
            } else {
                Vec::new()
            };
            ids
        });
        named.take(MAX_REFERENCE_KEYS).map(ObservableKey::refers_to).collect()
    }

    /// The [`ObservableKey::references`] of a stored version's JSON, for
    /// indexing records stored before the keys existed.
    pub fn references_of_stored(json: &[u8]) -> Vec<ObservableKey> {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else { return Vec::new() };
        let ty = value.get("type").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        ObservableKey::references(&ty, &value)
    }

    /// The key under which an object that links others ([`LINK_TYPES`]) is
    /// indexed by each object it links: a relationship by its
    /// `source_ref` and `target_ref`, a report, grouping, note or opinion
    /// by its `object_refs`. An object page finds its relationships both
    /// ways, and the reports and notes naming it, by this key.
    pub fn linked(id: &str) -> ObservableKey {
        ObservableKey::new("linked from", id)
    }

    /// The [`ObservableKey::linked`] keys of an object of a [`LINK_TYPES`]
    /// type, at most [`MAX_LINK_KEYS`] (ids that do not parse left out);
    /// other objects have none.
    pub fn links(object_type: &str, value: &serde_json::Value) -> Vec<ObservableKey> {
        if !LINK_TYPES.contains(&object_type) {
            return Vec::new();
        }
        let ends = ["source_ref", "target_ref"].into_iter().filter_map(|k| value.get(k).and_then(serde_json::Value::as_str));
        let named = value.get("object_refs").and_then(serde_json::Value::as_array).into_iter().flatten().filter_map(serde_json::Value::as_str);
        ends.chain(named).filter(|id| model::StixId::parse(id).is_ok()).take(MAX_LINK_KEYS).map(ObservableKey::linked).collect()
    }

    /// The [`ObservableKey::links`] of a stored version's JSON, for
    /// indexing objects stored before the keys existed.
    pub fn links_of_stored(json: &[u8]) -> Vec<ObservableKey> {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else { return Vec::new() };
        let ty = value.get("type").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        ObservableKey::links(&ty, &value)
    }

    /// The keys of the observables an object carries, of what a sighting
    /// is of, of what a partnership record refers to and of what a linking
    /// object links, deduplicated.
    pub fn of(object: &model::Object) -> Vec<ObservableKey> {
        let reads_value = policy::kinds::is_record(object.object_type()) || LINK_TYPES.contains(&object.object_type());
        ObservableKey::of_parsed(object, &if reads_value { object.to_value() } else { serde_json::Value::Null })
    }

    /// [`ObservableKey::of`] given the object's JSON value already parsed
    /// (`object.to_value()`): a backend's write parses each object once for
    /// these keys and its text index alike.
    pub fn of_parsed(object: &model::Object, value: &serde_json::Value) -> Vec<ObservableKey> {
        let mut keys: Vec<ObservableKey> =
            object.observables().iter().map(|o| ObservableKey::new(o.kind, &o.value)).collect();
        keys.extend(object.sighting_of_ref().map(|r| ObservableKey::sighting_of(r.as_str())));
        if policy::kinds::is_record(object.object_type()) {
            keys.extend(ObservableKey::references(object.object_type(), value));
        }
        if LINK_TYPES.contains(&object.object_type()) {
            keys.extend(ObservableKey::links(object.object_type(), value));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// A filter applied to stored versions before paging: the release decision
/// of one recipient at one time. Versions it refuses are invisible to the
/// query: they do not count toward the limit, `more` or the cursor, nor
/// toward which version is an object's `first` or `last` ([`chooses`]). A
/// gate decides from a record's columns, not its JSON: backends may hand it
/// the record before reading the JSON bytes (`json` then empty).
#[derive(Clone)]
pub struct Gate {
    allows: std::sync::Arc<dyn Fn(&Record) -> bool + Send + Sync>,
    sees: Option<std::sync::Arc<dyn Fn(&Record) -> bool + Send + Sync>>,
}

impl Gate {
    /// A gate that lets through the records `allows` accepts.
    pub fn new(allows: impl Fn(&Record) -> bool + Send + Sync + 'static) -> Gate {
        Gate { allows: std::sync::Arc::new(allows), sees: None }
    }

    /// A gate whose `allows` also notes what it lets through (a reader's
    /// ledger for its release log), with `sees` deciding the same without
    /// noting: what a store asks about versions it only compares with.
    pub fn noting(
        allows: impl Fn(&Record) -> bool + Send + Sync + 'static,
        sees: impl Fn(&Record) -> bool + Send + Sync + 'static,
    ) -> Gate {
        Gate { allows: std::sync::Arc::new(allows), sees: Some(std::sync::Arc::new(sees)) }
    }

    /// Whether the record passes; the store hands it over.
    pub fn allows(&self, record: &Record) -> bool {
        (self.allows)(record)
    }

    /// Whether the record would pass, for a version the store only looks
    /// at (to choose an object's first or last), not hands over.
    pub fn sees(&self, record: &Record) -> bool {
        match &self.sees {
            Some(sees) => sees(record),
            None => (self.allows)(record),
        }
    }
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Gate")
    }
}

/// Whether two JSON texts hold the same value (key order and spacing aside).
/// Backends use it to tell an identical re-add from a conflicting one.
pub fn same_json(a: &[u8], b: &[u8]) -> bool {
    a == b
        || matches!(
            (serde_json::from_slice::<serde_json::Value>(a), serde_json::from_slice::<serde_json::Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}
