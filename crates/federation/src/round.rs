//! Pull sync: this node reads what a peer releases to it over TAXII 2.1 and
//! keeps what its own rules accept.
//!
//! One round for one peer ([`pull`]): find the peer's API root; read the
//! agreement records (and identities) from its "everything released to you"
//! collection; then read the collection of each agreement in force here
//! between the peer's partner and this node's. Each collection is paged
//! with `added_after` (every version) from a cursor of its own. The peer's
//! own release decision chose what it serves. For each page, the authors'
//! signatures come in one more request (`POST /api/v1/provenance`), and
//! each object is checked here:
//!
//! 1. it parses and validates as any object from a partner does;
//! 2. its author is known here by a key, and the author's signature over it
//!    verifies; no other partner authored earlier versions of it here;
//! 3. agreements, ratifications and notices (and the author's own identity)
//!    are kept as they are: the peer served them because this node's
//!    partner is a party; anything else is received under the agreement
//!    whose collection it came from, which must be in force here, between
//!    the peer's partner (its sharer: author or holder) and this node's,
//!    and cover it (type, topic, data kind, TLP ceiling, named recipients:
//!    `policy::decide` with this node's partner as the recipient). It is
//!    kept as *received* under that agreement, held by this node's partner,
//!    so the agreement's handling rules bind what this node does with it
//!    next, with its author's signature to pass on.
//!
//! What is refused is counted by reason and by type, and logged, never
//! stored. A
//! collection's cursor (the `X-TAXII-Date-Added-Last` of the page) is
//! written in the same transaction as the page's last batch, so a round
//! that stops anywhere resumes without loss; re-reading a page is harmless
//! (puts are idempotent). An object shared (or re-shared, or recalled)
//! under an agreement after it was stored joins that agreement's collection
//! on a date of its own, so it arrives however far the cursor has moved.

use std::collections::BTreeMap;

use model::StixId;
use store::{PeerRecord, PutOptions, Registry, Store};

use crate::accept::Arrival;
use crate::client::{api_root, client};
use crate::paging::{Collection, EPOCH};
use node::release::EVERYTHING;

/// What one round did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    /// Pages read.
    pub pages: u64,
    /// Versions stored for the first time.
    pub added: u64,
    /// Versions this node already had.
    pub unchanged: u64,
    /// Versions refused, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Versions refused, by the object's type (the part of its id before
    /// `--`; `unknown` where the id was unreadable): the same versions as
    /// `refused`, counted per kind of record.
    pub refused_by_type: BTreeMap<String, u64>,
    /// The latest cursor of any collection after the round: the peer's date
    /// of the newest version read.
    pub cursor: Option<String>,
    /// How long the round took, in seconds.
    pub seconds: f64,
}

impl Report {
    pub(crate) fn refuse(&mut self, peer: &PeerRecord, id: &str, reason: String) {
        tracing::warn!(peer = %peer.id, partner = %peer.partner, object = %id, %reason, "sync: refused");
        *self.refused.entry(reason).or_default() += 1;
        let kind = id.split_once("--").map(|(t, _)| t).filter(|t| !t.is_empty()).unwrap_or("unknown");
        *self.refused_by_type.entry(kind.to_owned()).or_default() += 1;
    }
}

/// What a round reads to decide: the agreements' index and the partners' keys.
pub(crate) fn book(store: &dyn Store) -> Result<node::agreements::Book, String> {
    node::agreements::Book::load(store).map_err(|e| e.to_string())
}

/// One sync round with `peer` for this node's partner `local`: first the
/// agreement records (from the peer's everything collection), then, for
/// each agreement in force here between the two partners, that agreement's
/// collection — each with its own cursor. Reading by agreement collection
/// is what makes an object shared (or re-shared) under an agreement later
/// than it was stored arrive: it joins the collection on a date of its own.
///
/// `token` is the credential the peer issued to this node's partner;
/// `arrival` is the check a partnership module's record passes on arrival.
pub fn pull(
    store: &dyn Store,
    registry: &dyn Registry,
    token: &str,
    peer: &PeerRecord,
    local: &StixId,
    limits: &model::Limits,
    arrival: Arrival<'_>,
) -> Result<Report, String> {
    let started = std::time::Instant::now();
    let token = token.trim();
    let http = client(peer)?;
    // The API root, found once by discovery and kept: an idle round then
    // costs one request per collection.
    let root_key = format!("sync:root:{}:{}", peer.id, peer.url);
    let root = match registry.setting(&root_key).map_err(|e| e.to_string())?.filter(|r| !r.is_empty()) {
        Some(root) => root,
        None => {
            let root = api_root(&http, peer, token)?;
            store
                .put(&[], &PutOptions { checkpoint: Some((root_key.clone(), root.clone())), ..PutOptions::default() })
                .map_err(|e| e.to_string())?;
            root
        }
    };
    let forget_root = |e: String| {
        // A root that fails may have moved: discover it again next round.
        let _ = store.put(&[], &PutOptions { checkpoint: Some((root_key.clone(), String::new())), ..PutOptions::default() });
        e
    };
    let mut report = Report::default();
    let epoch = registry.setting(EPOCH).map_err(|e| e.to_string())?.unwrap_or_default();
    let reader = Collection { http: &http, root: &root, token, peer, local, limits, epoch: &epoch, arrival };
    let mut book = book(store)?;
    reader.pull(store, registry, EVERYTHING, None, &mut book, &mut report).map_err(forget_root)?;
    let now = model::Timestamp::now();
    let holder = StixId::parse(&peer.partner).map_err(|e| format!("the peer's partner: {e}"))?;
    // The agreements to read, as they stand once the records are in.
    let index = book.index();
    let shared: Vec<StixId> = index
        .ids()
        .into_iter()
        .filter(|a| index.agreement(a).is_some_and(|ag| ag.is_party(local) && ag.is_party(&holder)) && index.in_force(a, &now))
        .collect();
    for agreement in shared {
        let collection = node::release::collection_of_agreement(&agreement);
        reader.pull(store, registry, &collection, Some(&agreement), &mut book, &mut report).map_err(forget_root)?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
