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
//! store when an agreement object changes on this server, and at least
//! every [`INDEX_TTL`] so that notices written through another server on the
//! same database take effect within that time.
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

/// The agreements' index, rebuilt when stale.
#[derive(Default)]
pub struct Agreements {
    cached: Mutex<Option<(Instant, Arc<AgreementIndex>)>>,
}

impl Agreements {
    /// The current index, rebuilding it from `store` when stale. Blocking.
    pub fn index(&self, store: &dyn Store) -> store::Result<Arc<AgreementIndex>> {
        {
            let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, index)) = cached.as_ref() {
                if at.elapsed() < INDEX_TTL {
                    return Ok(index.clone());
                }
            }
        }
        let book = crate::agreements::Book::load(store).map_err(|e| match e {
            crate::agreements::Error::Store(s) => s,
            other => store::Error::Internal(other.to_string()),
        })?;
        let index = Arc::new(book.index().clone());
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), index.clone()));
        Ok(index)
    }

    /// Forgets the index: the next read rebuilds it (after an agreement,
    /// ratification, notice or partner key was written here).
    pub fn invalidate(&self) {
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = None;
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

/// One partner's view at one time: decides versions for it and remembers
/// the decisions.
pub struct Reader {
    /// The recipient.
    pub partner: PartnerId,
    now: Timestamp,
    through: Through,
    index: Arc<AgreementIndex>,
    cache: Mutex<HashMap<Vec<u8>, Option<Option<AgreementId>>>>,
}

impl Reader {
    /// A reader for `partner` now.
    pub fn new(partner: PartnerId, index: Arc<AgreementIndex>, through: Through) -> Arc<Reader> {
        Arc::new(Reader { partner, now: Timestamp::now(), through, index, cache: Mutex::new(HashMap::new()) })
    }

    /// The gate to put in a store query.
    pub fn gate(self: &Arc<Self>) -> Gate {
        let me = self.clone();
        Gate::new(move |r| me.allowed(r).is_some())
    }

    /// `Some(agreement used)` when the version may go to this reader
    /// (`Some(None)`: it is the reader's own, or published by Entente).
    pub fn allowed(&self, r: &Record) -> Option<Option<AgreementId>> {
        if submitted_by(r, &self.partner) {
            return Some(None);
        }
        let mut key = Vec::with_capacity(r.facts.len() + r.shared_under.len() + 2);
        key.extend_from_slice(&r.facts);
        key.push(0);
        if self.through == Through::AnyShare {
            key.extend_from_slice(r.shared_under.as_bytes());
        }
        key.push(u8::from(r.recalled));
        if r.facts.is_empty() {
            // Facts that could not be computed: the author alone.
            let author = r.created_by_ref.as_deref().or(r.posted_by.as_deref());
            return (author == Some(self.partner.as_str())).then_some(None);
        }
        if let Some(hit) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return hit.clone();
        }
        let verdict = match self.decide(r) {
            Decision::Allow { agreement } => Some(agreement),
            Decision::Deny { .. } => None,
        };
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, verdict.clone());
        verdict
    }

    /// The full decision for one stored version, with its reasons.
    pub fn decide(&self, r: &Record) -> Decision {
        decide_record(r, &self.partner, &self.now, &self.through, &self.index)
    }
}

/// The release decision for a stored version.
pub fn decide_record(
    r: &Record,
    partner: &PartnerId,
    now: &Timestamp,
    through: &Through,
    index: &AgreementIndex,
) -> Decision {
    if submitted_by(r, partner) {
        return Decision::Allow { agreement: None };
    }
    let id = StixId::parse(&r.id).ok();
    let facts = id.and_then(|id| ObjectFacts::decode(id, Timestamp::parse(&r.version).ok(), &r.facts));
    let Some(mut facts) = facts else {
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

/// Whether `partner` submitted this version (posted or imported it): it
/// always sees what it gave the node, whoever the author.
fn submitted_by(r: &Record, partner: &PartnerId) -> bool {
    r.posted_by.as_deref() == Some(partner.as_str())
}

/// The id of the agreement whose collection is `cid` (the agreement's UUID),
/// if `cid` names one this node knows.
pub fn agreement_of_collection(index: &AgreementIndex, cid: &str) -> Option<AgreementId> {
    if uuid::Uuid::parse_str(cid).is_err() {
        return None;
    }
    let id = StixId::parse(&format!("{}{cid}", store::AGREEMENT_COLLECTION_PREFIX)).ok()?;
    index.agreement(&id).map(|_| id)
}

/// The TAXII collection id of an agreement: its UUID.
pub fn collection_of_agreement(id: &AgreementId) -> String {
    id.as_str().trim_start_matches(store::AGREEMENT_COLLECTION_PREFIX).to_owned()
}
