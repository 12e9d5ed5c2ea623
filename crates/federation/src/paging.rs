//! TAXII paging over one of a peer's collections: from the collection's
//! cursor (`added_after`, every version), page after page while the peer
//! says `more`, the next page after the last one's
//! `X-TAXII-Date-Added-Last`. Pages flow through three threads (reading,
//! signatures and checks, deciding and storing); the cursor moves page by
//! page, in the same transaction as what the page stored.

use model::StixId;
use serde_json::value::RawValue;
use store::{PeerRecord, Registry, Store};

use crate::accept::{Arrival, Page};
use crate::client::{causes, TAXII};
use crate::provenance::{check, Checked, Checker, Signed};
use crate::round::{book, Report};

/// Objects asked for per page.
pub const PAGE: usize = 1000;

#[derive(serde::Deserialize)]
pub(crate) struct Envelope<'a> {
    #[serde(borrow, default)]
    pub(crate) objects: Vec<&'a RawValue>,
}

/// What the fetcher reads of a page: whether more follows, and each
/// object's id and own version (to ask for their signatures).
#[derive(serde::Deserialize)]
struct Heads {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    objects: Vec<Head>,
}

#[derive(serde::Deserialize)]
pub(crate) struct Head {
    pub(crate) id: String,
    pub(crate) modified: Option<String>,
    pub(crate) created: Option<String>,
}

/// The registry setting that holds the cursor of one of a peer's
/// collections, in the current epoch.
pub fn cursor_key(epoch: &str, peer: &PeerRecord, collection: &str) -> String {
    format!("sync:{epoch}:{}:{collection}", peer.id)
}

/// The cursors' epoch and how a node makes its peers read again: the
/// node's (a partner becoming known there asks for it, `node::identity`).
pub use node::identity::{read_again, EPOCH};

/// What the round reads from the everything collection: the partnership
/// records and identities (everything else comes by agreement collection).
fn record_types() -> String {
    policy::kinds::synced_types().collect::<Vec<_>>().join(",")
}

/// Reads one of a peer's collections.
pub(crate) struct Collection<'a> {
    pub(crate) http: &'a reqwest::blocking::Client,
    pub(crate) root: &'a str,
    pub(crate) token: &'a str,
    pub(crate) peer: &'a PeerRecord,
    pub(crate) local: &'a StixId,
    pub(crate) limits: &'a model::Limits,
    pub(crate) epoch: &'a str,
    /// The modules' check of their records on arrival.
    pub(crate) arrival: Arrival<'a>,
}

/// One page as fetched, with its objects' signatures, then parsed and
/// checked against the authors' keys.
pub(crate) struct Fetched {
    pub(crate) url: String,
    pub(crate) body: Vec<u8>,
    pub(crate) last: String,
    pub(crate) more: bool,
    pub(crate) heads: Vec<Head>,
    pub(crate) signed: Signed,
    /// The page's objects parsed and checked, with the generation of the
    /// keys they were checked with.
    pub(crate) checked: Option<(u64, Vec<Checked>)>,
}

impl Collection<'_> {
    /// Pages through `collection` from its cursor, storing what is accepted
    /// (as received under `agreement`; without one, only agreement records
    /// and the author's own identity are read). Pages flow through three
    /// threads — reading, signatures and checks, deciding and storing — so
    /// the peer's work and this node's overlap; the cursor still moves page
    /// by page, with what it covers.
    pub(crate) fn pull(
        &self,
        store: &dyn Store,
        registry: &dyn Registry,
        collection: &str,
        agreement: Option<&StixId>,
        book: &mut node::agreements::Book,
        report: &mut Report,
    ) -> Result<(), String> {
        let key = cursor_key(self.epoch, self.peer, collection);
        let start = registry.setting(&key).map_err(|e| e.to_string())?;
        // Pages are parsed, their signatures checked and their partnership
        // records checked by their modules on another thread, beside this
        // one storing the page before, with the partners' keys and the
        // agreements' index as they stand, and their generation. Both
        // change only with identities and agreement records (the
        // everything collection): when a page stored here makes the book be
        // read again, the generation moves on, and a page already checked
        // with an older one is checked again here, with the book as it is
        // now, as if it had been checked nowhere else.
        let shared = std::sync::RwLock::new((0u64, book.keys().clone(), book.index().clone()));
        let shared = &shared;
        std::thread::scope(|scope| {
            // Three stages: one thread reads pages, one asks for their
            // signatures and checks them, this one decides and stores.
            let (pages_tx, pages_rx) = std::sync::mpsc::sync_channel::<Result<Option<Fetched>, String>>(1);
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Fetched>, String>>(1);
            scope.spawn(move || {
                let mut cursor = start;
                loop {
                    let fetched = self.fetch(collection, agreement.is_some(), cursor.as_deref());
                    let next = match &fetched {
                        Ok(Some(f)) if f.more => Some(f.last.clone()),
                        _ => None,
                    };
                    if pages_tx.send(fetched).is_err() || next.is_none() {
                        break;
                    }
                    cursor = next;
                }
            });
            scope.spawn(move || {
                for fetched in pages_rx {
                    // The read guard is dropped before the page is handed on:
                    // the storing thread may be waiting to write a new book.
                    let signed = fetched.and_then(|f| {
                        f.map(|f| {
                            let mut f = self.sign(f)?;
                            let book = shared.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                            let checker = Checker { generation: book.0, keys: &book.1, index: &book.2, arrival: self.arrival };
                            let env: Envelope<'_> = serde_json::from_slice(&f.body).map_err(|e| format!("{}: not a TAXII envelope: {e}", f.url))?;
                            f.checked = Some((checker.generation, check(&env.objects, self.limits, self.local, &f.signed, &checker)));
                            Ok(f)
                        })
                        .transpose()
                    });
                    let last = !matches!(signed, Ok(Some(_)));
                    if tx.send(signed).is_err() || last {
                        break;
                    }
                }
            });
            let mut generation = 0u64;
            for fetched in rx {
                report.pages += 1;
                let Some(f) = fetched? else { break };
                let started = std::time::Instant::now();
                let checked = match f.checked {
                    Some((g, c)) if g == generation => c,
                    _ => {
                        let env: Envelope<'_> = serde_json::from_slice(&f.body).map_err(|e| format!("{}: not a TAXII envelope: {e}", f.url))?;
                        let checker = Checker { generation, keys: book.keys(), index: book.index(), arrival: self.arrival };
                        check(&env.objects, self.limits, self.local, &f.signed, &checker)
                    }
                };
                let rechecked = started.elapsed();
                let page = Page { peer: self.peer, local: self.local, cursor: (&key, &f.last), agreement, arrival: self.arrival };
                if page.accept(store, book, checked, report)? {
                    *book = self::book(store)?;
                    generation += 1;
                    *shared.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (generation, book.keys().clone(), book.index().clone());
                }
                tracing::debug!(
                    peer = %self.peer.id, collection, objects = f.heads.len(),
                    checked_here_ms = rechecked.as_secs_f64() * 1e3, stored_ms = started.elapsed().as_secs_f64() * 1e3,
                    "sync: page stored"
                );
                if report.cursor.as_ref().is_none_or(|c| *c < f.last) {
                    report.cursor = Some(f.last.clone());
                }
            }
            Ok(())
        })
    }

    /// Reads one page after `cursor`; `None` when there is nothing (more)
    /// to read.
    fn fetch(&self, collection: &str, by_agreement: bool, cursor: Option<&str>) -> Result<Option<Fetched>, String> {
        let mut url = format!("{}collections/{collection}/objects/?limit={PAGE}&match[version]=all", self.root);
        if !by_agreement {
            url.push_str(&format!("&match[type]={}", record_types()));
        }
        if let Some(c) = cursor {
            url.push_str(&format!("&added_after={c}"));
        }
        let r = self.http.get(&url).header("Accept", TAXII).bearer_auth(self.token).send().map_err(|e| format!("{url}: {}", causes(&e)))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND && by_agreement {
            // The peer does not know the agreement (yet): nothing to read.
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status()));
        }
        let last = r.headers().get("X-TAXII-Date-Added-Last").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = r.bytes().map_err(|e| format!("{url}: {}", causes(&e)))?.to_vec();
        let heads: Heads = serde_json::from_slice(&body).map_err(|e| format!("{url}: not a TAXII envelope: {e}"))?;
        if heads.objects.is_empty() {
            return Ok(None);
        }
        let Some(last) = last else {
            return Err(format!("{url}: a page without X-TAXII-Date-Added-Last"));
        };
        if model::Timestamp::parse(&last).is_err() {
            return Err(format!("{url}: X-TAXII-Date-Added-Last {last:?} is not a timestamp"));
        }
        Ok(Some(Fetched { url, body, last, more: heads.more, heads: heads.objects, signed: Signed::new(), checked: None }))
    }
}
