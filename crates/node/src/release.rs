//! The release decision on every path out of the node.
//!
//! Every read that hands stored objects to a partner (TAXII listings,
//! manifests, versions, single objects, the REST API, exports) builds a
//! [`Reader`] for that partner and passes its gate to the store
//! ([`store::Query::gate`]), so refused versions are dropped before paging:
//! counts, `more`, `next` and the date-added headers never reveal them, and
//! an object the reader may not see answers 404 exactly like one that does
//! not exist.
//!
//! The agreements' index ([`policy::AgreementIndex`]) is rebuilt from the
//! store when an agreement object changes on this server, and otherwise
//! when a check, at most every [`INDEX_TTL`], finds agreement records or
//! identities stored since it was built (written through another server on
//! the same database, or by a command line): they take effect within that
//! time.
//!
//! A partnership module may hold release under an agreement (a dispute's
//! remedy: [`partnership::Module::holds`]): the holds are derived from its
//! records when the index is built ([`holds_of`]) and put in it, so every
//! decision reads them like a suspension; storing such a record rebuilds
//! the index ([`policy::kinds::rebuilds_index`]).
//!
//! Beyond the policy's rules, a partner always sees the versions it
//! submitted itself (what it imported from a feed, say, authored by
//! someone else): it gave them to the node.
//!
//! Decisions depend only on a version's stored facts, the agreements it is
//! shared under, whether its object is recalled, the reader and the time:
//! a reader caches them by those bytes, so a page of similar objects costs
//! one decision per kind of object, not per object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use model::{StixId, Timestamp};
use policy::{AgreementId, AgreementIndex, Decision, ObjectFacts, PartnerId};
use store::{Gate, Record, Store};

/// How long a built agreement index serves before it is rebuilt.
pub const INDEX_TTL: Duration = Duration::from_secs(1);

/// The TAXII collection holding everything a reader may see.
pub const EVERYTHING: &str = "9f8b6c2e-5d4a-4e1b-8c3f-2a7d6e5b4c31";

/// The agreements' index, rebuilt when what it is built from changed.
///
/// At most every [`INDEX_TTL`] a read checks whether any agreement,
/// ratification, notice, identity or record that may hold release was
/// stored since the index was built (one indexed query for a version added
/// after the newest one it read) and whether the store's removal
/// generation moved ([`Store::removals`]: a deletion, a withholding or a
/// recall spread, made by any process on the store): if neither, the index
/// stands; if so it is rebuilt. After [`INDEX_REBUILD`] the records it is
/// built from are read again in any case; when their digest
/// ([`policy_digest`]) is the one the index was built from and the removal
/// generation has not moved, the index is kept as it is (the same `Arc`,
/// so the readers' cached scopes built under it serve on), else it is
/// rebuilt. Writes on this server invalidate it at once.
#[derive(Default)]
pub struct Agreements {
    cached: Mutex<Option<Cached>>,
    /// Per agreement, the start of the period in force whose members were
    /// last re-offered through this server ([`Agreements::reoffer`]).
    reoffered: Mutex<HashMap<String, i64>>,
    /// Readers' scopes of the modules, valid under the index they were
    /// built under (`crate::modules::scopes`).
    scopes: crate::modules::scopes::Scopes,
    /// The store's removal generation the last index was built at: when a
    /// rebuild finds it moved, every kept scope is cold (even one whose
    /// agreement reads the same in the new index).
    removals_seen: std::sync::atomic::AtomicU64,
    /// Per (viewer, agreement), the scorecard's tally (`crate::scorecard`),
    /// the least recently used evicted past a bound ([`TALLIES_KEPT`]).
    tallies: Mutex<Tallies>,
    /// The data directory the tallies are saved in and loaded from
    /// ([`Agreements::save_tallies_in`]), if any.
    tallies_dir: Mutex<Option<std::path::PathBuf>>,
}

/// The most scorecard tallies an [`Agreements`] keeps (one per viewer and
/// agreement asked for now: [`Agreements::tally`]); past it, the least
/// recently used is dropped, and rebuilt by one full read when next asked.
pub const TALLIES_KEPT: usize = 16;

/// The most objects and reactions the kept tallies hold together (each
/// costs some 550 bytes with its part in the sums, measured on a loaded
/// tally of a million: some 2.2 GB at this bound); past it, the least recently used tallies are dropped
/// (never the one just asked for, whatever its size).
pub const TALLY_ITEMS_KEPT: usize = 4_000_000;

type SharedTally = Arc<Mutex<crate::scorecard::Tally>>;

/// The kept tallies, each with when it was last asked for.
struct Tallies {
    clock: u64,
    kept: HashMap<(String, String), (u64, SharedTally)>,
    /// (tallies, objects and reactions) kept at most.
    bound: (usize, usize),
}

impl Default for Tallies {
    fn default() -> Tallies {
        Tallies { clock: 0, kept: HashMap::new(), bound: (TALLIES_KEPT, TALLY_ITEMS_KEPT) }
    }
}

impl Tallies {
    /// The tally for `key`, made if new and marked as just used; then
    /// [`Tallies::trim`]med.
    fn get(&mut self, key: (String, String)) -> SharedTally {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.kept.entry(key).or_default();
        entry.0 = clock;
        let tally = entry.1.clone();
        self.trim();
        tally
    }

    /// The least recently used tallies dropped while past the bound, never
    /// the most recently used. A tally in use elsewhere (locked) counts as
    /// empty: its user holds it.
    fn trim(&mut self) {
        loop {
            let items: usize = self.kept.values().filter_map(|(_, t)| t.try_lock().ok().map(|t| t.len().0 + t.len().1)).sum();
            if self.kept.len() <= self.bound.0 && items <= self.bound.1 {
                return;
            }
            let newest = self.kept.values().map(|(used, _)| *used).max();
            let Some(oldest) = self.kept.iter().filter(|(_, (used, _))| Some(*used) != newest).min_by_key(|(_, (used, _))| *used).map(|(k, _)| k.clone()) else { return };
            self.kept.remove(&oldest);
        }
    }
}

struct Cached {
    checked: Instant,
    built: Instant,
    /// The newest version the index was built from.
    newest: Option<store::DateAdded>,
    /// The digest of every version the index was built from ([`policy_digest`]).
    digest: [u8; 32],
    /// The store's removal generation read before them.
    removals: u64,
    /// How much longer ago than `checked` and `built` say it was last
    /// checked and built ([`Agreements::age`]).
    older: (Duration, Duration),
    index: Arc<AgreementIndex>,
    /// The partners' keys the index was built with.
    keys: Arc<policy::PartyKeys>,
    /// Per agreement, its records with the dates they were stored.
    arrivals: Arc<HashMap<String, policy::Arrivals>>,
    /// Per agreement, when its current period in force began.
    since: SinceCache,
}

/// Per agreement, when its current period in force began (if it is in
/// force), valid until the given point of time (if it can change).
type SinceCache = Arc<Mutex<HashMap<String, (Option<i64>, Option<i64>)>>>;

/// The modules whose records may hold release ([`hold_with`]).
static HOLDERS: std::sync::RwLock<Vec<Arc<dyn partnership::Module>>> = std::sync::RwLock::new(Vec::new());

/// Registers the modules among `modules` with kinds that may hold release
/// ([`policy::kinds::Kind::may_hold`]): every index built afterwards in
/// this process asks them ([`holds_of`]). Done when the node builds its
/// modules (`crate::modules::build`).
pub fn hold_with(modules: &[Arc<dyn partnership::Module>]) {
    let mut holders = HOLDERS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for m in modules {
        let holds = m.kinds().iter().any(|k| m.kind(k).may_hold);
        if holds && !holders.iter().any(|h| h.name() == m.name()) {
            holders.push(m.clone());
        }
    }
}

/// The holds the registered modules derive from their records in `store`
/// (every version of the kinds that may hold), per agreement the index
/// knows, each with the date the newest of those records was stored.
pub(crate) fn holds_in(store: &dyn Store, index: &AgreementIndex) -> store::Result<Vec<(policy::Hold, i64)>> {
    let holders = HOLDERS.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if holders.is_empty() {
        return Ok(Vec::new());
    }
    let types: Vec<String> = policy::kinds::all().filter(|k| k.may_hold).map(|k| k.name.to_owned()).collect();
    let mut records = Vec::new();
    store.each(&store::Query { types, versions: store::Versions::ALL, ..store::Query::default() }, &mut |r| {
        records.push(r);
        Ok(())
    })?;
    let mut by_agreement: HashMap<(usize, String), (Vec<partnership::Record>, i64)> = HashMap::new();
    for r in &records {
        let Some(h) = holders.iter().position(|m| m.kinds().contains(&r.object_type.as_str())) else { continue };
        // Checked at the edge when stored: one that does not read is left out.
        let Ok(record) = partnership::Record::from_stored(&r.json) else { continue };
        let entry = by_agreement.entry((h, record.agreement.to_string())).or_default();
        entry.1 = entry.1.max(r.date_added.0);
        entry.0.push(record);
    }
    let mut holds = Vec::new();
    for ((h, agreement), (records, seen)) in by_agreement {
        let Some(a) = policy::AgreementId::parse(&agreement).ok().and_then(|id| index.agreement(&id).cloned()) else { continue };
        let records = partnership::Records::new(records);
        holds.extend(holders[h].holds(&records, &a).into_iter().filter(|hold| hold.agreement == a.id).map(|hold| (hold, seen)));
    }
    Ok(holds)
}

/// Each agreement's records, with the dates they were stored, from every
/// version of the policy records (`policy_query`): what
/// [`policy::Arrivals::in_force_since`] reads. A partner's key counts only
/// from its own identity, as in the index.
fn arrivals_of(records: &[Record]) -> HashMap<String, policy::Arrivals> {
    let limits = model::Limits::default();
    let mut by: HashMap<String, policy::Arrivals> = HashMap::new();
    let mut keys = Vec::new();
    for r in records {
        let Ok(object) = model::Object::parse(&r.json, &limits) else { continue };
        let d = r.date_added.0;
        match object.object_type() {
            policy::ext::AGREEMENT_TYPE => {
                if let Ok(a) = policy::Agreement::from_object(&object) {
                    by.entry(a.id.to_string()).or_default().versions.push((d, a));
                }
            }
            policy::ext::RATIFICATION_TYPE => {
                if let Ok(x) = policy::Ratification::from_object(&object) {
                    by.entry(x.agreement.to_string()).or_default().ratifications.push((d, x));
                }
            }
            policy::ext::NOTICE_TYPE => {
                if let Ok(n) = policy::Notice::from_object(&object) {
                    by.entry(n.agreement.to_string()).or_default().notices.push((d, n));
                }
            }
            _ if object.created_by_ref() == Some(object.id()) => {
                if let Ok(Some(k)) = policy::ext::public_key_of(&object) {
                    keys.push((d, object.id().clone(), k));
                }
            }
            _ => {}
        }
    }
    for a in by.values_mut() {
        a.keys.clone_from(&keys);
    }
    by
}

/// What a read takes from the cached index.
struct Snapshot {
    index: Arc<AgreementIndex>,
    keys: Arc<policy::PartyKeys>,
    newest: Option<store::DateAdded>,
    arrivals: Arc<HashMap<String, policy::Arrivals>>,
    since: SinceCache,
}

impl Cached {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            index: self.index.clone(),
            keys: self.keys.clone(),
            newest: self.newest,
            arrivals: self.arrivals.clone(),
            since: self.since.clone(),
        }
    }
}

/// How long a built index serves, at most, without a full rebuild.
pub const INDEX_REBUILD: Duration = Duration::from_secs(60);

/// The digest of what the index is built from: every version of the
/// policy records ([`policy_query`]: its id, version, date added, recall
/// and bytes, in date-added order) and the modules registered to hold
/// release ([`hold_with`]). The index, the keys and the holds are a
/// function of these alone (none reads the clock), so an equal digest
/// means an equal index.
fn policy_digest(records: &[Record]) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for m in HOLDERS.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
        h.update(m.name().as_bytes());
        h.update([0]);
    }
    for r in records {
        h.update(r.date_added.0.to_le_bytes());
        h.update(r.id.as_bytes());
        h.update([0]);
        h.update(r.version_micros.to_le_bytes());
        h.update([u8::from(r.recalled)]);
        h.update((r.json.len() as u64).to_le_bytes());
        h.update(&r.json);
    }
    h.finalize().into()
}

fn policy_query(after: Option<store::DateAdded>) -> store::Query {
    store::Query {
        types: policy::kinds::watched_types().map(str::to_owned).collect(),
        versions: store::Versions::ALL,
        after: after.map(store::Cursor),
        ..store::Query::default()
    }
}

impl Agreements {
    /// The current index, rebuilding it from `store` when stale. Blocking.
    pub fn index(&self, store: &dyn Store) -> store::Result<Arc<AgreementIndex>> {
        Ok(self.current(store)?.0)
    }

    /// The partners' keys (from their own identity objects) the current
    /// index was built with. Blocking.
    pub fn keys(&self, store: &dyn Store) -> store::Result<Arc<policy::PartyKeys>> {
        Ok(self.current(store)?.1)
    }

    fn current(&self, store: &dyn Store) -> store::Result<(Arc<AgreementIndex>, Arc<policy::PartyKeys>)> {
        let c = self.cached(store)?;
        Ok((c.index, c.keys))
    }

    fn cached(&self, store: &dyn Store) -> store::Result<Snapshot> {
        // What the cached index may be kept as, if what it is built from
        // turns out unchanged: its digest and generation, and the index.
        let kept = {
            let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            match cached.as_mut() {
                Some(c) if c.checked.elapsed() + c.older.0 < INDEX_TTL => return Ok(c.snapshot()),
                Some(c) if c.built.elapsed() + c.older.1 < INDEX_REBUILD => {
                    let q = store::Query { limit: Some(1), ..policy_query(c.newest) };
                    if store.removals()? == c.removals && store.page(&q)?.records.is_empty() {
                        c.checked = Instant::now();
                        c.older.0 = Duration::ZERO;
                        return Ok(c.snapshot());
                    }
                    None
                }
                Some(c) => Some((c.digest, c.removals, c.snapshot())),
                None => None,
            }
        };
        // The generation before the records, and the newest record first:
        // a removal or a record stored while the book is read is then seen
        // by the next check.
        let removals = store.removals()?;
        if self.removals_seen.swap(removals, std::sync::atomic::Ordering::SeqCst) != removals {
            // Something was removed since the last build, by this process
            // or another: no kept scope serves on, whatever its agreement.
            crate::modules::scopes::removed();
        }
        let mut newest = None;
        let mut records = Vec::new();
        store.each(&policy_query(None), &mut |r| {
            newest = Some(newest.map_or(r.date_added, |n: store::DateAdded| n.max(r.date_added)));
            records.push(r);
            Ok(())
        })?;
        let digest = policy_digest(&records);
        if let Some((_, _, old)) = kept.filter(|(d, g, _)| *d == digest && *g == removals) {
            // Nothing the index is built from changed, nothing was removed:
            // the same index, and the scopes built under it, serve on.
            let now = Instant::now();
            let c = Cached {
                checked: now,
                built: now,
                newest,
                digest,
                removals,
                older: Default::default(),
                index: old.index,
                keys: old.keys,
                arrivals: old.arrivals,
                since: old.since,
            };
            let snapshot = c.snapshot();
            *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
            return Ok(snapshot);
        }
        let mut arrivals = arrivals_of(&records);
        let book = crate::agreements::Book::load(store).map_err(|e| match e {
            crate::agreements::Error::Store(s) => s,
            other => store::Error::Internal(other.to_string()),
        })?;
        drop(records);
        for (hold, seen) in book.holds() {
            // Until the node knew the hold ended: what it kept back is then re-offered.
            let until = hold.until.as_ref().map(|u| u.micros().max(*seen));
            arrivals.entry(hold.agreement.to_string()).or_default().holds.push((hold.from.micros(), until));
        }
        let arrivals = Arc::new(arrivals);
        let index = Arc::new(book.index().clone());
        let keys = Arc::new(book.keys().clone());
        let now = Instant::now();
        let c = Cached { checked: now, built: now, newest, digest, removals, older: Default::default(), index, keys, arrivals, since: Arc::default() };
        let snapshot = c.snapshot();
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
        Ok(snapshot)
    }

    /// Before a read by arrival through `agreements` (collection ids, the
    /// agreements' own): re-offers the members of each whose current period
    /// in force has not been re-offered yet ([`store::Store::reoffer`], once
    /// per period across servers: the store keeps the period's start under
    /// `reoffer <agreement>`), so that what became visible when it entered
    /// into force comes after every poller's cursor (docs/taxii.md). Costs
    /// a lookup per agreement when nothing changed. Blocking.
    pub fn reoffer(&self, store: &dyn Store, agreements: &[String]) -> store::Result<()> {
        let c = self.cached(store)?;
        // Judged at the later of now and the newest record: a record the
        // store dated a little ahead of this clock still counts.
        let now = Timestamp::now().micros().max(c.newest.map_or(i64::MIN, |d| d.0));
        for a in agreements {
            let Some(arrivals) = c.arrivals.get(a) else { continue };
            let since = {
                let mut cache = c.since.lock().unwrap_or_else(|p| p.into_inner());
                match cache.get(a) {
                    Some((since, until)) if until.is_none_or(|u| now < u) => *since,
                    _ => {
                        let since = arrivals.in_force_since(now);
                        cache.insert(a.clone(), (since, arrivals.next_turn(now)));
                        since
                    }
                }
            };
            let Some(since) = since else { continue };
            if self.reoffered.lock().unwrap_or_else(|p| p.into_inner()).get(a) == Some(&since) {
                continue;
            }
            if store.reoffer(&store::agreement_collection(a), &format!("reoffer {a}"), &since.to_string())? {
                tracing::info!(agreement = %a, since = %Timestamp::from_micros(since), "re-offered what an agreement in force anew releases");
            }
            self.reoffered.lock().unwrap_or_else(|p| p.into_inner()).insert(a.clone(), since);
        }
        Ok(())
    }

    /// Forgets the index: the next read rebuilds it (after an agreement,
    /// ratification, notice or partner key was written or deleted here).
    pub fn invalidate(&self) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
        crate::modules::scopes::removed();
        self.scopes.clear();
    }

    /// Makes the cached index `by` older, as if built and last checked
    /// that long ago: past [`INDEX_TTL`] the next read checks the store,
    /// past [`INDEX_REBUILD`] it reads what the index is built from again
    /// (tests and benches; the server's clock does this by itself).
    pub fn age(&self, by: Duration) {
        if let Some(c) = self.cached.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            c.older.0 += by;
            c.older.1 += by;
        }
    }

    /// Makes the next read rebuild the index, as its periodic rebuild
    /// ([`INDEX_REBUILD`]) or a change seen through another server does:
    /// nothing was removed, so kept scopes whose agreement reads the same
    /// carry over (`crate::modules::scopes`). For tests and benchmarks.
    pub fn expire(&self) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The readers' scopes of the modules kept beside the index.
    pub fn scopes(&self) -> &crate::modules::scopes::Scopes {
        &self.scopes
    }

    /// The scorecard's tally of `agreement` as `viewer` sees it, kept
    /// beside the index (one per viewer and agreement: a node holds as
    /// many as its partners' agreements; each holds an agreement's
    /// evidence once, in memory), at most [`TALLIES_KEPT`] of them and
    /// [`TALLY_ITEMS_KEPT`] objects and reactions in all: the least
    /// recently asked for is dropped past either.
    pub fn tally(&self, viewer: &StixId, agreement: &StixId) -> Arc<Mutex<crate::scorecard::Tally>> {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner()).get((viewer.to_string(), agreement.to_string()))
    }

    /// Drops the least recently used tallies while past the bound (as
    /// [`Agreements::tally`] does before its caller's update; its caller
    /// calls this after, once the tally has grown).
    pub fn trim_tallies(&self) {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner()).trim();
    }

    /// Bounds the tallies kept to `count` and `items` objects and
    /// reactions in all (defaults [`TALLIES_KEPT`], [`TALLY_ITEMS_KEPT`]).
    pub fn bound_tallies(&self, count: usize, items: usize) {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner()).bound = (count.max(1), items);
    }

    /// Saves the scorecard's tallies in `data_dir` and loads them from it
    /// (`crate::scorecard::tally::saved`: the first scorecard after a
    /// restart is then the saved tally brought up to date, not a full
    /// read). A server sets its own; without it nothing is saved.
    pub fn save_tallies_in(&self, data_dir: impl Into<std::path::PathBuf>) {
        *self.tallies_dir.lock().unwrap_or_else(|p| p.into_inner()) = Some(data_dir.into());
    }

    /// The data directory the tallies are saved in, if any.
    pub fn tallies_dir(&self) -> Option<std::path::PathBuf> {
        self.tallies_dir.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a tally is kept for `viewer` and `agreement`.
    pub fn keeps_tally(&self, viewer: &StixId, agreement: &StixId) -> bool {
        self.tallies.lock().unwrap_or_else(|p| p.into_inner()).kept.contains_key(&(viewer.to_string(), agreement.to_string()))
    }
}

/// Through what a version is read, which decides the agreements it may be
/// released under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Through {
    /// Any agreement it is shared under (the everything collection, plain
    /// collections, the REST API, exports).
    AnyShare,
    /// This agreement only (the agreement's own collection).
    Agreement(AgreementId),
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One partner's view at one time: decides versions for it and remembers
/// the decisions.
///
/// The fast path, in order: what the partner submitted or authored, and
/// Entente's published definitions, go through; an ordinary object none of
/// whose agreements is usable by the partner now (in force, the partner a
/// party) is refused without reading its facts, because no rule could
/// release it then; everything else is decided by `policy::decide` over the
/// usable agreements (the same first agreement allows as over all of them)
/// and cached by (facts, usable agreements, recall).
pub struct Reader {
    /// The recipient.
    pub partner: PartnerId,
    now: Timestamp,
    through: Through,
    index: Arc<AgreementIndex>,
    /// Per agreement id: in force now and the partner a party.
    usable: FastMap<String, bool>,
    cache: Mutex<Memo>,
    /// The verdicts of the versions the gate let through, in order, so the
    /// release log names each one's agreement without deciding again.
    ledger: Mutex<std::collections::VecDeque<(i64, Option<AgreementId>)>>,
    /// The store a read by arrival compares membership dates in.
    store: std::sync::OnceLock<Arc<dyn Store>>,
}

/// A reader's decisions by (facts, usable agreements, recall), and the
/// buffer keys are built in.
#[derive(Default)]
struct Memo {
    verdicts: FastMap<Vec<u8>, Option<Option<AgreementId>>>,
    scratch: Vec<u8>,
}

/// The most verdicts a reader keeps for the log; beyond, it decides again.
const LEDGER_MAX: usize = 100_000;

impl Reader {
    /// A reader for `partner` now.
    pub fn new(partner: PartnerId, index: Arc<AgreementIndex>, through: Through) -> Arc<Reader> {
        let now = Timestamp::now();
        let usable = index
            .ids()
            .into_iter()
            .map(|id| {
                let ok = index.agreement(&id).is_some_and(|a| a.is_party(&partner)) && index.in_force(&id, &now);
                (id.to_string(), ok)
            })
            .collect();
        Arc::new(Reader {
            partner,
            now,
            through,
            index,
            usable,
            cache: Mutex::new(Memo::default()),
            ledger: Mutex::new(std::collections::VecDeque::new()),
            store: std::sync::OnceLock::new(),
        })
    }

    /// The gate to put in a store query. What it lets through is noted in
    /// the reader's ledger; what the store only compares with (an object's
    /// other versions, to choose the first or last the reader may see) is
    /// decided without noting.
    pub fn gate(self: &Arc<Self>) -> Gate {
        let (me, sees) = (self.clone(), self.clone());
        Gate::noting(
            move |r| match me.allowed(r) {
                Some(agreement) => {
                    let mut ledger = me.ledger.lock().unwrap_or_else(|p| p.into_inner());
                    if ledger.len() < LEDGER_MAX {
                        ledger.push_back((r.date_added.0, agreement));
                    }
                    true
                }
                None => false,
            },
            move |r| sees.allowed(r).is_some(),
        )
    }

    /// The agreement a version the gate let through was released under
    /// (`None`: the reader's own or published); `None` outside if it may
    /// not be released at all. Reads the gate's ledger when the records come
    /// in the order it passed them, and decides again otherwise.
    pub fn released_under(&self, r: &Record) -> Option<Option<AgreementId>> {
        {
            let mut ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
            while let Some((d, a)) = ledger.pop_front() {
                if d == r.date_added.0 {
                    return Some(a);
                }
                if d > r.date_added.0 {
                    ledger.push_front((d, a));
                    break;
                }
            }
        }
        self.allowed(r)
    }

    fn usable(&self, agreement: &str) -> bool {
        self.usable.get(agreement).copied().unwrap_or(false)
    }

    /// The collections to read the everything collection through, by
    /// arrival ([`store::Query::through`]): those of the agreements this
    /// reader may use now. Its own, submitted and published versions, and
    /// partnership records, come from their stored rows; every other version
    /// from its membership of the first of these agreements (in the order
    /// it was shared) that releases it to the reader, dated by when it
    /// joined that agreement: a version shared later under a further
    /// agreement arrives when it is shared there (docs/taxii.md).
    /// It keeps `store` to compare the dates of a version's memberships
    /// when more than one of these agreements releases it (the earliest
    /// gives it).
    pub fn read_by_arrival(&self, store: Arc<dyn Store>) -> Vec<String> {
        let _ = self.store.set(store);
        let mut ids: Vec<String> =
            self.usable.iter().filter(|(_, ok)| **ok).map(|(id, _)| store::agreement_collection(id)).collect();
        ids.sort();
        ids
    }

    /// Whether the reader sees the version whoever shared it: its own,
    /// submitted by it, or published by Entente.
    fn own(&self, r: &Record) -> bool {
        let author = r.created_by_ref.as_deref().or(r.posted_by.as_deref());
        submitted_by(r, &self.partner) || author == Some(self.partner.as_str()) || author == Some(policy::ext::ENTENTE_IDENTITY)
    }

    /// `Some(agreement used)` when the version may go to this reader
    /// (`Some(None)`: it is the reader's own, or published by Entente).
    /// In a read by arrival, a version comes once: from its stored row when
    /// the reader sees it whoever shared it (or it is a partnership record),
    /// else from its membership of the first agreement it is shared under
    /// that releases it to the reader.
    pub fn allowed(&self, r: &Record) -> Option<Option<AgreementId>> {
        // Partnership records go to the agreement's parties, not by shares.
        let agreement_object = policy::kinds::is_record(&r.object_type);
        match r.via.as_deref() {
            None => self.allowed_any(r),
            Some("") if self.own(r) || agreement_object => self.allowed_any(r),
            Some("") => None,
            Some(_) if self.own(r) || agreement_object => None,
            Some(via) => {
                if !self.usable(via) {
                    return None;
                }
                let verdict = self.allowed_through(r, via)?;
                let mut before_via = true;
                for a in r.shared_under.split(' ').filter(|a| !a.is_empty()) {
                    if a == via {
                        before_via = false;
                        continue;
                    }
                    if !self.usable(a) || self.allowed_through(r, a).is_none() {
                        continue;
                    }
                    // Another agreement releases it too: the membership
                    // with the earliest date gives it (without a store, the
                    // one shared under first).
                    let earlier = match self.membership_date(r, a) {
                        Some(d) => d < r.date_added.0,
                        None => before_via,
                    };
                    if earlier {
                        return None;
                    }
                }
                Some(verdict)
            }
        }
    }

    /// When the version of `r` joined agreement `a`'s collection, if the
    /// reader has a store to ask.
    fn membership_date(&self, r: &Record, a: &str) -> Option<i64> {
        let store = self.store.get()?;
        let id = StixId::parse(&r.id).ok()?;
        let at = store::Versions::at(Timestamp::from_micros(r.version_micros));
        let found = store.get_in(&id, &at, Some(&store::agreement_collection(a))).ok()?;
        found.first().map(|m| m.date_added.0)
    }

    /// The decision for a version through agreement `a` alone (usable by
    /// the reader), cached as [`Reader::allowed_any`]'s are.
    fn allowed_through(&self, r: &Record, a: &str) -> Option<Option<AgreementId>> {
        if r.facts.is_empty() {
            return None;
        }
        let mut memo = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let Memo { verdicts, scratch: key } = &mut *memo;
        key.clear();
        key.extend_from_slice(&r.facts);
        key.push(0);
        key.push(u8::from(r.recalled));
        key.push(b' ');
        key.extend_from_slice(a.as_bytes());
        if let Some(hit) = verdicts.get(key.as_slice()) {
            return hit.clone();
        }
        let verdict = match self.decide_over(r, &[a]) {
            Decision::Allow { agreement } => Some(agreement),
            Decision::Deny { .. } => None,
        };
        verdicts.insert(key.clone(), verdict.clone());
        verdict
    }

    /// [`Reader::allowed`] for a version read as stored: under any
    /// agreement it is shared under.
    fn allowed_any(&self, r: &Record) -> Option<Option<AgreementId>> {
        let author = r.created_by_ref.as_deref().or(r.posted_by.as_deref());
        if submitted_by(r, &self.partner) && author != Some(self.partner.as_str()) {
            // Received from another node and held by the reader: it has it
            // under the agreement it arrived by, not as its own.
            if let Some(via) = held_by(r).filter(|v| v.holder == self.partner) {
                return Some(Some(via.agreement));
            }
        }
        if self.own(r) {
            return Some(None);
        }
        if r.facts.is_empty() {
            // Facts that could not be computed: the author alone.
            return None;
        }
        let agreement_object = policy::kinds::is_record(&r.object_type);
        // The agreements the reader may be given this version under; most
        // refusals end here. `shared_under` is space-separated ids.
        let usable_share = |a: &&str| !a.is_empty() && self.usable(a);
        if !agreement_object {
            let any = match &self.through {
                Through::Agreement(a) => self.usable(a.as_str()),
                Through::AnyShare => r.shared_under.split(' ').any(|a| usable_share(&a)),
            };
            if !any {
                return None;
            }
        }
        let mut memo = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let Memo { verdicts, scratch: key } = &mut *memo;
        key.clear();
        key.extend_from_slice(&r.facts);
        key.push(0);
        key.push(u8::from(r.recalled));
        if !agreement_object {
            match &self.through {
                Through::Agreement(a) => {
                    key.push(b' ');
                    key.extend_from_slice(a.as_str().as_bytes());
                }
                Through::AnyShare => {
                    for a in r.shared_under.split(' ').filter(usable_share) {
                        key.push(b' ');
                        key.extend_from_slice(a.as_bytes());
                    }
                }
            }
        }
        if let Some(hit) = verdicts.get(key.as_slice()) {
            return hit.clone();
        }
        let shares: Vec<&str> = if agreement_object {
            Vec::new()
        } else {
            let tail = &key[r.facts.len() + 2..];
            std::str::from_utf8(tail).unwrap_or("").split(' ').filter(|a| !a.is_empty()).collect()
        };
        let verdict = match self.decide_over(r, &shares) {
            Decision::Allow { agreement } => Some(agreement),
            Decision::Deny { .. } => None,
        };
        verdicts.insert(key.clone(), verdict.clone());
        verdict
    }

    fn decide_over(&self, r: &Record, shares: &[&str]) -> Decision {
        let shares: Vec<AgreementId> = shares.iter().filter_map(|s| StixId::parse(s).ok()).collect();
        let Some(mut facts) = decode(r) else {
            return Decision::Deny { reasons: vec![policy::Reason::NoAuthor] };
        };
        facts.recalled = r.recalled;
        policy::decide(&facts, &self.partner, &self.now, &shares, &self.index)
    }
}

/// How a version came to this node, when it was received from another
/// node (`store::PutOptions::received_under`): its holder here and the
/// agreement it arrived under.
pub fn held_by(r: &Record) -> Option<policy::Via> {
    decode(r)?.via
}

/// The stored facts of a version.
fn decode(r: &Record) -> Option<ObjectFacts> {
    let id = StixId::parse(&r.id).ok()?;
    ObjectFacts::decode(id, Timestamp::parse(&r.version).ok(), &r.facts)
}

/// The release decision for a stored version.
pub fn decide_record(
    r: &Record,
    partner: &PartnerId,
    now: &Timestamp,
    through: &Through,
    index: &AgreementIndex,
) -> Decision {
    if let Some(via) = held_by(r).filter(|v| &v.holder == partner) {
        return Decision::Allow { agreement: Some(via.agreement) };
    }
    if submitted_by(r, partner) {
        return Decision::Allow { agreement: None };
    }
    let Some(mut facts) = decode(r) else {
        let author = r.created_by_ref.as_deref().or(r.posted_by.as_deref());
        return if author == Some(partner.as_str()) {
            Decision::Allow { agreement: None }
        } else {
            Decision::Deny { reasons: vec![policy::Reason::NoAuthor] }
        };
    };
    facts.recalled = r.recalled;
    let shares: Vec<AgreementId> = match through {
        Through::Agreement(a) => vec![a.clone()],
        Through::AnyShare => r.shared_under.split_whitespace().filter_map(|s| StixId::parse(s).ok()).collect(),
    };
    policy::decide(&facts, partner, now, &shares, index)
}

/// The explanation of `decision` (of [`decide_record`] for `partner`, named
/// `name`): for the holder of a received version, that it holds it, under
/// which agreement and what it may do with it; otherwise the decision's own.
pub fn explain_record(r: &Record, partner: &PartnerId, name: &str, decision: &Decision, now: &Timestamp, index: &AgreementIndex) -> String {
    match held_by(r) {
        Some(via) if &via.holder == partner && decision.is_allowed() => policy::explain_held(name, &via, index, now),
        _ => decision.explain(),
    }
}

/// Whether `latest` (an object's latest version) goes to each partner
/// among `partners` that the asker may know of (`known`), its author
/// aside, now, and why: (partner id, released, explanation). An object's
/// page shows it to the author and the node's administrator.
pub fn explain_to(latest: &Record, partners: &[store::PartnerRecord], known: &[String], index: &AgreementIndex, now: &Timestamp) -> Vec<(String, bool, String)> {
    partners
        .iter()
        .filter(|p| Some(p.id.as_str()) != latest.created_by_ref.as_deref() && known.contains(&p.id))
        .filter_map(|p| StixId::parse(&p.id).ok().map(|id| (p, id)))
        .map(|(p, recipient)| {
            let d = decide_record(latest, &recipient, now, &Through::AnyShare, index);
            let why = explain_record(latest, &recipient, &p.name, &d, now, index);
            (p.id.clone(), d.is_allowed(), why)
        })
        .collect()
}

/// Whether `partner` submitted this version (posted or imported it): it
/// always sees what it gave the node, whoever the author.
fn submitted_by(r: &Record, partner: &PartnerId) -> bool {
    r.posted_by.as_deref() == Some(partner.as_str())
}

/// The TAXII collection id of an agreement: its UUID.
pub fn collection_of_agreement(id: &AgreementId) -> String {
    id.as_str().trim_start_matches(store::AGREEMENT_COLLECTION_PREFIX).to_owned()
}

/// An object a partner gives the node: valid STIX whose release properties
/// can be read (or it could never be released as its author meant), else
/// the message naming the property at fault.
pub fn accept(raw: &[u8], limits: &model::Limits) -> Result<model::Object, String> {
    let object = model::Object::parse(raw, limits).map_err(|e| e.to_string())?;
    ObjectFacts::from_object(&object).map_err(|e| e.to_string())?;
    Ok(object)
}

/// An object `partner` gives the node through TAXII or the share API and
/// pages: as [`accept`], but never a partnership record (agreement,
/// ratification, notice, a module's records: [`policy::kinds`]; only the
/// node's actions make those, after their role, party and terms checks) nor
/// a new version of the partner's own identity (it carries the partner's
/// key: `entente partner add`). Without this an analyst could withdraw an
/// agreement by posting a notice.
pub fn accept_from(raw: &[u8], limits: &model::Limits, partner: &str) -> Result<model::Object, String> {
    let object = accept(raw, limits)?;
    let kind = object.object_type();
    if let Some(record) = policy::kinds::of(kind) {
        return Err(format!("{}: {kind} objects are made by {}, not shared", object.id(), record.made_by));
    }
    if kind == "identity" && object.id().as_str() == partner {
        return Err(format!("{}: the partner's own identity (and its key) is kept by the node's operator (entente partner add), not shared", object.id()));
    }
    Ok(object)
}

/// An object shared through the REST API or the pages, authored as
/// `partner` when it is a domain or relationship object that names no
/// author (`created_by_ref` is then set to `partner`): what a partner
/// shares is its own unless it names another author (which is refused).
pub fn authored_as(object: model::Object, partner: &str) -> Result<model::Object, String> {
    if object.created_by_ref().is_some() || !matches!(object.category(), model::Category::Sdo | model::Category::Sro) {
        return Ok(object);
    }
    let mut v = object.to_value();
    v["created_by_ref"] = serde_json::Value::String(partner.to_owned());
    model::Object::from_value(v).map_err(|e| format!("{}: created_by_ref: {e}", object.id()))
}

/// Whether storing these objects changes what release decisions read
/// (agreements, ratifications, notices, partner identities and keys:
/// [`policy::kinds::feeds_index`]): the agreements' index must then be
/// rebuilt. A module's records do not.
pub fn changes_agreements(objects: &[model::Object]) -> bool {
    objects.iter().any(|o| policy::kinds::rebuilds_index(o.object_type()))
}

/// After a batch was stored: a version that recalls its object (it revokes
/// it) is shared under every agreement any earlier version of the object is
/// shared under here, so the recall reaches everyone who could have had the
/// object — on this node and, by sync, on the nodes that pulled it.
/// Returns how many recalls were spread.
pub fn spread_recalls(store: &dyn Store, objects: &[model::Object], outcomes: &[store::Outcome]) -> store::Result<usize> {
    let mut spread = 0;
    for (object, outcome) in objects.iter().zip(outcomes) {
        if !object.revoked() || !matches!(outcome, store::Outcome::Added(_)) {
            continue;
        }
        let mut shares: Vec<String> = Vec::new();
        for r in store.get(object.id(), &store::Versions::ALL)? {
            for a in r.shared_under.split_whitespace() {
                if !shares.iter().any(|s| s == a) {
                    shares.push(a.to_owned());
                }
            }
        }
        if shares.is_empty() {
            continue;
        }
        store.put(std::slice::from_ref(object), &store::PutOptions { shares, ..store::PutOptions::default() })?;
        spread += 1;
    }
    Ok(spread)
}

/// Why a partner may not share a stored object under more agreements.
#[derive(Debug)]
pub enum ShareError {
    /// No such object here.
    NotFound,
    /// The partner neither wrote it nor holds it.
    NotYours(String),
    /// The store failed.
    Store(store::Error),
}

/// `partner` shares every stored version of an object under `agreements`
/// (ids the caller checked the partner is a party to): allowed for the
/// object's author, and for the holder of an object received from another
/// node — whose onward release the handling rules of the agreement it
/// arrived under still decide, version by version. Returns how many
/// versions there are.
pub fn share_stored(
    store: &dyn Store,
    partner: &PartnerId,
    id: &StixId,
    agreements: &[String],
    limits: &model::Limits,
) -> Result<usize, ShareError> {
    let records = store.get(id, &store::Versions::ALL).map_err(ShareError::Store)?;
    if records.is_empty() {
        return Err(ShareError::NotFound);
    }
    let mut objects = Vec::with_capacity(records.len());
    for r in &records {
        let facts = decode(r);
        let author = facts.as_ref().and_then(|f| f.author.as_ref()) == Some(partner);
        let holder = facts.as_ref().and_then(|f| f.via.as_ref()).is_some_and(|v| &v.holder == partner);
        if !author && !holder {
            return Err(ShareError::NotYours(format!(
                "version {} of {id} was neither written by {partner} nor received by it from another node",
                r.version
            )));
        }
        objects.push(model::Object::parse(&r.json, limits).map_err(|e| ShareError::Store(store::Error::Internal(e.to_string())))?);
    }
    let options = store::PutOptions { shares: agreements.to_vec(), ..store::PutOptions::default() };
    store.put(&objects, &options).map_err(ShareError::Store)?;
    Ok(objects.len())
}
