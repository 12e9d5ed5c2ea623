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
//! What is refused is counted by reason and logged, never stored. A
//! collection's cursor (the `X-TAXII-Date-Added-Last` of the page) is
//! written in the same transaction as the page's last batch, so a round
//! that stops anywhere resumes without loss; re-reading a page is harmless
//! (puts are idempotent). An object shared (or re-shared, or recalled)
//! under an agreement after it was stored joins that agreement's collection
//! on a date of its own, so it arrives however far the cursor has moved.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use model::StixId;
use policy::Decision;
use serde_json::value::RawValue;
use serde_json::Value;
use store::{PeerRecord, PutOptions, Query, Registry, Store, Versions};

use crate::peers::PeerSecrets;
use crate::release::EVERYTHING;

const TAXII: &str = "application/taxii+json;version=2.1";

/// Objects asked for per page.
pub const PAGE: usize = 1000;

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
    /// The latest cursor of any collection after the round: the peer's date
    /// of the newest version read.
    pub cursor: Option<String>,
    /// How long the round took, in seconds.
    pub seconds: f64,
}

impl Report {
    fn refuse(&mut self, peer: &PeerRecord, id: &str, reason: String) {
        tracing::warn!(peer = %peer.id, partner = %peer.partner, object = %id, %reason, "sync: refused");
        *self.refused.entry(reason).or_default() += 1;
    }
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    objects: Vec<&'a RawValue>,
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
struct Head {
    id: String,
    modified: Option<String>,
    created: Option<String>,
}

/// The registry setting that holds the cursor of one of a peer's
/// collections, in the current epoch.
pub fn cursor_key(epoch: &str, peer: &PeerRecord, collection: &str) -> String {
    format!("sync:{epoch}:{}:{collection}", peer.id)
}

/// The registry setting naming the cursors' epoch: a new epoch makes every
/// peer's collections read again from the start.
pub const EPOCH: &str = "sync:epoch";

/// Makes the next rounds read every peer from the start (puts are
/// idempotent: only what was refused before and is accepted now is new).
/// Called when a partner becomes known here: objects refused for want of
/// its key were passed by the cursors.
pub fn read_again(store: &dyn Store) -> store::Result<()> {
    let epoch = model::Timestamp::now().micros().to_string();
    store.put(&[], &PutOptions { checkpoint: Some((EPOCH.to_owned(), epoch)), ..PutOptions::default() })?;
    Ok(())
}

/// What the round reads from the everything collection: the partnership
/// records and identities (everything else comes by agreement collection).
fn record_types() -> String {
    policy::kinds::synced_types().collect::<Vec<_>>().join(",")
}

/// The HTTP client for a peer, kept across rounds (its connections stay
/// open between them) while the peer's URL and CA stay the same.
fn client(peer: &PeerRecord) -> Result<reqwest::blocking::Client, String> {
    type Clients = std::sync::Mutex<HashMap<(String, String, Option<String>), reqwest::blocking::Client>>;
    static CLIENTS: std::sync::OnceLock<Clients> = std::sync::OnceLock::new();
    let key = (peer.id.clone(), peer.url.clone(), peer.ca_pem.clone());
    let clients = CLIENTS.get_or_init(Default::default);
    if let Some(c) = clients.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(c.clone());
    }
    let made = new_client(peer)?;
    let mut clients = clients.lock().unwrap_or_else(|p| p.into_inner());
    clients.retain(|k, _| k.0 != peer.id);
    clients.insert(key, made.clone());
    Ok(made)
}

fn new_client(peer: &PeerRecord) -> Result<reqwest::blocking::Client, String> {
    let mut b = reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &peer.ca_pem {
        b = b.tls_built_in_root_certs(false);
        for c in reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| format!("the peer's CA: {e}"))? {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// The API root to read: the peer's URL itself if it is one, else the
/// first API root its discovery names (relative URLs against the peer's).
fn api_root(http: &reqwest::blocking::Client, peer: &PeerRecord, token: &str) -> Result<String, String> {
    let r = http
        .get(&peer.url)
        .header("Accept", TAXII)
        .bearer_auth(token)
        .send()
        .map_err(|e| format!("{}: {}", peer.url, causes(&e)))?;
    if !r.status().is_success() {
        return Err(format!("{}: HTTP {}", peer.url, r.status()));
    }
    let v: Value = r.json().map_err(|e| format!("{}: {}", peer.url, causes(&e)))?;
    let Some(roots) = v.get("api_roots").and_then(Value::as_array) else {
        return Ok(with_slash(&peer.url));
    };
    let first = v.get("default").and_then(Value::as_str).or_else(|| roots.first().and_then(Value::as_str));
    let Some(root) = first else { return Err(format!("{}: the discovery names no API root", peer.url)) };
    if root.starts_with("http://") || root.starts_with("https://") {
        crate::peers::check_url(root)?;
        return Ok(with_slash(root));
    }
    // A path: on the peer's own scheme, host and port.
    Ok(with_slash(&format!("{}{}", origin(&peer.url), root)))
}

fn with_slash(u: &str) -> String {
    if u.ends_with('/') {
        u.to_owned()
    } else {
        format!("{u}/")
    }
}

/// An error with its causes (reqwest's own message says only "error
/// sending request"; refused, reset and timed out differ below it).
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The scheme, host and port of a URL (`https://host:port`).
fn origin(url: &str) -> &str {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let host_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
    &url[..host_end]
}

/// A peer's word on one version it served: its author's signature.
struct Served {
    signer: String,
    signature: String,
}

/// By `(id, own version micros)`.
type Signed = HashMap<(String, i64), Served>;

/// Asks the peer for its authors' signatures of these objects, in one
/// request (per 5000).
fn signatures(http: &reqwest::blocking::Client, root: &str, token: &str, objects: &[Head]) -> Result<Signed, String> {
    let mut out = HashMap::new();
    for chunk in objects.chunks(crate::provenance::MAX_VERSIONS) {
        let versions: Vec<Value> = chunk
            .iter()
            .map(|o| serde_json::json!({ "id": o.id, "version": o.modified.as_ref().or(o.created.as_ref()) }))
            .collect();
        let url = format!("{}/api/v1/provenance", origin(root));
        let r = http
            .post(&url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "versions": versions }))
            .send()
            .map_err(|e| format!("{url}: {}", causes(&e)))?;
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status()));
        }
        let v: Value = r.json().map_err(|e| format!("{url}: {}", causes(&e)))?;
        for s in v.get("signatures").and_then(Value::as_array).into_iter().flatten() {
            let (Some(id), Some(signer), Some(value)) =
                (s.get("id").and_then(Value::as_str), s.get("signer").and_then(Value::as_str), s.get("signature").and_then(Value::as_str))
            else {
                continue;
            };
            let micros = match s.get("version").and_then(Value::as_str) {
                Some(t) => match model::Timestamp::parse(t) {
                    Ok(t) => t.micros(),
                    Err(_) => continue,
                },
                None => 0,
            };
            out.insert((id.to_owned(), micros), Served { signer: signer.to_owned(), signature: value.to_owned() });
        }
    }
    Ok(out)
}

/// What a round reads to decide: the agreements' index and the partners' keys.
fn book(store: &dyn Store) -> Result<crate::agreements::Book, String> {
    crate::agreements::Book::load(store).map_err(|e| e.to_string())
}

/// One sync round with `peer` for this node's partner `local`: first the
/// agreement records (from the peer's everything collection), then, for
/// each agreement in force here between the two partners, that agreement's
/// collection — each with its own cursor. Reading by agreement collection
/// is what makes an object shared (or re-shared) under an agreement later
/// than it was stored arrive: it joins the collection on a date of its own.
pub fn pull(
    store: &dyn Store,
    registry: &dyn Registry,
    secrets: &PeerSecrets,
    peer: &PeerRecord,
    local: &StixId,
    limits: &model::Limits,
) -> Result<Report, String> {
    let started = std::time::Instant::now();
    let token = secrets.read(&peer.id).map_err(|e| format!("the peer's credential: {e}"))?;
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
    let reader = Collection { http: &http, root: &root, token, peer, local, limits, epoch: &epoch };
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
        let collection = crate::release::collection_of_agreement(&agreement);
        reader.pull(store, registry, &collection, Some(&agreement), &mut book, &mut report).map_err(forget_root)?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Reads one of a peer's collections.
struct Collection<'a> {
    http: &'a reqwest::blocking::Client,
    root: &'a str,
    token: &'a str,
    peer: &'a PeerRecord,
    local: &'a StixId,
    limits: &'a model::Limits,
    epoch: &'a str,
}

/// One page as fetched, with its objects' signatures; for an agreement
/// collection, already parsed and checked against the authors' keys.
struct Fetched {
    url: String,
    body: Vec<u8>,
    last: String,
    more: bool,
    heads: Vec<Head>,
    signed: Signed,
    checked: Option<Vec<Checked>>,
}

/// One object of a page after the checks that need no store: parsed and
/// validated, its author's signature verified.
enum Checked {
    /// This node's partner's own, or Entente's definitions: nothing to take.
    Own,
    /// Refused: what to name it by, and why.
    Refused(String, String),
    /// Parsed, and signed by its author.
    Signed(Box<model::Object>, store::Signature),
}

/// Parses a page's objects and checks each one's signature against its
/// author's key.
fn check(raws: &[&RawValue], limits: &model::Limits, local: &StixId, signed: &Signed, keys: &policy::PartyKeys) -> Vec<Checked> {
    raws.iter()
        .enumerate()
        .map(|(i, raw)| {
            let o = match crate::release::accept(raw.get().as_bytes(), limits) {
                Ok(o) => o,
                Err(e) => return Checked::Refused(format!("objects[{i}]"), format!("invalid: {e}")),
            };
            let id = o.id().to_string();
            let Some(author) = o.created_by_ref() else {
                return Checked::Refused(id, "it names no author (created_by_ref): nothing to check its provenance against".into());
            };
            if author.as_str() == policy::ext::ENTENTE_IDENTITY || author == local {
                return Checked::Own;
            }
            let Some(key) = keys.get(author) else {
                return Checked::Refused(id, format!("its author {author} is not known here by a key (entente partner add --identity)"));
            };
            let (sig_id, version) = store::Signature::key_of(&o);
            match signed.get(&(sig_id.clone(), version)) {
                Some(s) if s.signer == author.as_str() && policy::provenance::verify_object(o.json(), &s.signature, key) => {
                    let signature = store::Signature { id: sig_id, version_micros: version, signer: s.signer.clone(), value: s.signature.clone() };
                    Checked::Signed(Box::new(o), signature)
                }
                Some(_) => Checked::Refused(id, "its signature does not verify with its author's key: changed on the way".into()),
                None => Checked::Refused(id, "the peer serves no signature of its author for it".into()),
            }
        })
        .collect()
}

impl Collection<'_> {
    /// Pages through `collection` from its cursor, storing what is accepted
    /// (as received under `agreement`; without one, only agreement records
    /// and the author's own identity are read). Pages flow through three
    /// threads — reading, signatures and checks, deciding and storing — so
    /// the peer's work and this node's overlap; the cursor still moves page
    /// by page, with what it covers.
    fn pull(
        &self,
        store: &dyn Store,
        registry: &dyn Registry,
        collection: &str,
        agreement: Option<&StixId>,
        book: &mut crate::agreements::Book,
        report: &mut Report,
    ) -> Result<(), String> {
        let key = cursor_key(self.epoch, self.peer, collection);
        let start = registry.setting(&key).map_err(|e| e.to_string())?;
        // Keys change only with identities, which come with the agreement
        // records: an agreement collection's objects can be checked on
        // another thread, beside this one storing the page before.
        let keys = agreement.map(|_| book.keys().clone());
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
                    let signed = fetched.and_then(|f| f.map(|f| self.sign(f, keys.as_ref())).transpose());
                    let last = !matches!(signed, Ok(Some(_)));
                    if tx.send(signed).is_err() || last {
                        break;
                    }
                }
            });
            for fetched in rx {
                report.pages += 1;
                let Some(f) = fetched? else { break };
                let checked = match f.checked {
                    Some(c) => c,
                    None => {
                        let env: Envelope<'_> = serde_json::from_slice(&f.body).map_err(|e| format!("{}: not a TAXII envelope: {e}", f.url))?;
                        check(&env.objects, self.limits, self.local, &f.signed, book.keys())
                    }
                };
                let page = Page { peer: self.peer, local: self.local, cursor: (&key, &f.last), agreement };
                if page.accept(store, book, checked, report)? {
                    *book = self::book(store)?;
                }
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

    /// Asks the peer for a page's signatures; with `keys` (an agreement's
    /// collection), also parses the objects and checks their signatures.
    fn sign(&self, mut f: Fetched, keys: Option<&policy::PartyKeys>) -> Result<Fetched, String> {
        f.signed = signatures(self.http, self.root, self.token, &f.heads)?;
        if let Some(keys) = keys {
            let env: Envelope<'_> = serde_json::from_slice(&f.body).map_err(|e| format!("{}: not a TAXII envelope: {e}", f.url))?;
            f.checked = Some(check(&env.objects, self.limits, self.local, &f.signed, keys));
        }
        Ok(f)
    }

}

/// One page read from a peer, to store what passes.
struct Page<'a> {
    peer: &'a PeerRecord,
    local: &'a StixId,
    /// The cursor's setting and the page's `X-TAXII-Date-Added-Last`: the
    /// cursor once the page is stored.
    cursor: (&'a str, &'a str),
    /// The agreement whose collection the page comes from; none for the
    /// agreement records read from the everything collection.
    agreement: Option<&'a StixId>,
}

/// Where an accepted object goes: kept as it is (agreement records, the
/// author's identity), or received under an agreement.
type Batches = BTreeMap<Option<String>, (Vec<model::Object>, Vec<store::Signature>)>;

impl Page<'_> {
    /// Decides on the page's checked objects and stores what passes; writes
    /// the cursor with its last batch. Returns whether agreement records or
    /// identities arrived (the book must be read again).
    fn accept(
        &self,
        store: &dyn Store,
        book: &crate::agreements::Book,
        checked: Vec<Checked>,
        report: &mut Report,
    ) -> Result<bool, String> {
        let (peer, local) = (self.peer, self.local);
        let now = model::Timestamp::now();
        let mut parsed = Vec::with_capacity(checked.len());
        for c in checked {
            match c {
                Checked::Own => report.unchanged += 1,
                Checked::Refused(what, why) => report.refuse(peer, &what, why),
                Checked::Signed(o, signature) => parsed.push((*o, signature)),
            }
        }
        // Who authored what this node already holds of these objects.
        let ids: Vec<String> = parsed.iter().map(|(o, _)| o.id().to_string()).collect();
        let mut authors: HashMap<String, Vec<Option<String>>> = HashMap::new();
        if !ids.is_empty() {
            let q = Query { ids, versions: Versions::ALL, ..Query::default() };
            store
                .scan(&q, &mut |r| {
                    authors.entry(r.id.clone()).or_default().push(r.created_by_ref.clone().or(r.posted_by.clone()));
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
        }
        let index = book.index();
        let holder = StixId::parse(&peer.partner).map_err(|e| format!("the peer's partner: {e}"))?;
        let mut batches = Batches::new();
        let mut book_changed = false;
        // The build's partnership modules check their records on arrival.
        let modules = crate::modules::registered();
        for (o, signature) in parsed {
            let id = o.id().to_string();
            let Some(author) = o.created_by_ref().cloned() else { continue };
            if authors.get(&id).is_some_and(|a| a.iter().any(|x| x.as_deref() != Some(author.as_str()))) {
                report.refuse(peer, &id, "earlier versions here have another author; only the author versions an object".into());
                continue;
            }
            let own_identity = o.object_type() == "identity" && o.id() == &author;
            if policy::kinds::is_record(o.object_type()) || own_identity {
                // Partnership records go only to the agreement's parties (and
                // whom they name), and an identity signed by its own key is
                // the partner's word. A module's record must be valid for
                // its module, as if it were made here.
                if let Err(why) = crate::modules::check_arrival(&modules, &o, index) {
                    report.refuse(peer, &id, why);
                    continue;
                }
                book_changed |= policy::kinds::feeds_index(o.object_type());
                let batch = batches.entry(None).or_default();
                batch.0.push(o);
                batch.1.push(signature);
                continue;
            }
            let mut facts = match policy::ObjectFacts::from_object(&o) {
                Ok(f) => f,
                Err(e) => {
                    report.refuse(peer, &id, format!("release properties: {e}"));
                    continue;
                }
            };
            // It is received under the agreement whose collection it came
            // from (the peer released it under that one alone), which must be
            // in force here too, between the peer's partner and this node's,
            // and cover it (`policy::decide` with this node's partner as the
            // recipient): another agreement covering it could carry other
            // handling rules than the one its sharer chose. A third party's
            // object comes from the peer's partner as its holder: the
            // holder's node already applied the handling rules it arrived
            // under; the author's own markings (TLP, named recipients) are
            // checked again here.
            if author != holder {
                facts.author = Some(holder.clone());
            }
            let Some(under) = self.agreement else {
                tracing::debug!(peer = %peer.id, object = %id, "sync: not an agreement record, left to the agreement collections");
                continue;
            };
            match policy::decide(&facts, local, &now, std::slice::from_ref(under), index) {
                Decision::Allow { agreement: Some(a) } => {
                    let batch = batches.entry(Some(a.to_string())).or_default();
                    batch.0.push(o);
                    batch.1.push(signature);
                }
                Decision::Allow { agreement: None } => report.refuse(peer, &id, "no agreement carries it".into()),
                Decision::Deny { reasons } => {
                    let why = reasons.first().map(|r| r.to_string()).unwrap_or_else(|| "no agreement covers it".into());
                    report.refuse(peer, &id, format!("no agreement in force with the peer covers it: {why}"));
                }
            }
        }
        let n = batches.len();
        let mut batches: Vec<_> = batches.into_iter().collect();
        if batches.is_empty() {
            batches.push((None, Default::default())); // the cursor moves even when nothing was kept
        }
        for (i, (agreement, (objects, signatures))) in batches.into_iter().enumerate() {
            let options = PutOptions {
                posted_by: Some(local.to_string()),
                received_under: agreement,
                checkpoint: (i + 1 == n.max(1)).then(|| (self.cursor.0.to_owned(), self.cursor.1.to_owned())),
                signatures,
                ..PutOptions::default()
            };
            let outcomes = node::write::put(store, &objects, &options).map_err(|e| e.to_string())?;
            for outcome in outcomes {
                match outcome {
                    store::Outcome::Added(_) => report.added += 1,
                    store::Outcome::Unchanged(_) => report.unchanged += 1,
                    store::Outcome::Conflict(m) | store::Outcome::NotAuthor(m) => report.refuse(peer, "", m),
                }
            }
        }
        Ok(book_changed)
    }
}

/// What this node knows of its sync with one peer, for `GET /api/v1/peers`.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PeerStatus {
    /// When the last round ended well.
    pub last_sync: Option<String>,
    /// The last round's error, if it failed (cleared by a good round).
    pub last_error: Option<String>,
    /// Rounds that failed in a row.
    pub failures: u32,
    /// Versions stored from this peer since the node started.
    pub pulled: u64,
    /// Versions refused since the node started.
    pub refused: u64,
    /// The cursor: the peer's date of the last version read.
    pub cursor: Option<String>,
    /// Seconds between the cursor and the end of the last good round.
    pub lag_seconds: Option<f64>,
    /// How long the last good round took, in seconds.
    pub last_round_seconds: Option<f64>,
}

/// Every peer's status, shared by the sync loop and the API.
#[derive(Debug, Default)]
pub struct SyncStatus(std::sync::Mutex<HashMap<String, PeerStatus>>);

impl SyncStatus {
    /// One peer's status.
    pub fn get(&self, peer: &str) -> Option<PeerStatus> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(peer).cloned()
    }

    fn update(&self, peer: &str, f: impl FnOnce(&mut PeerStatus)) {
        f(self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(peer.to_owned()).or_default());
    }
}

/// The wait after `failures` failed rounds in a row: the interval doubled
/// per failure up to an hour, plus up to a quarter of it at random, so
/// nodes that failed together do not retry together.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let base = interval.saturating_mul(1u32 << failures.min(16)).min(Duration::from_secs(3600)).max(interval);
    let mut r = [0u8; 8];
    let _ = getrandom::fill(&mut r);
    let jitter = base.mul_f64((u64::from_le_bytes(r) % 1000) as f64 / 4000.0);
    base + jitter
}

/// Pulls from every peer every `interval` (each peer on its own schedule,
/// backing off after failures), until the process stops. Each round runs on
/// a blocking thread; its outcome goes to `state.sync` and the metrics
/// `entente_sync_objects_total{peer}`, `entente_sync_refused_total{peer}`,
/// `entente_sync_errors_total{peer}` and `entente_sync_lag_seconds{peer}`.
pub async fn run(state: crate::AppState, secrets: PeerSecrets, interval: Duration) {
    let mut due: HashMap<String, tokio::time::Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1).min(interval));
    loop {
        tick.tick().await;
        let registry = state.registry.clone();
        let Ok(Ok(peers)) = tokio::task::spawn_blocking(move || registry.peers()).await else { continue };
        let now = tokio::time::Instant::now();
        due.retain(|id, _| peers.iter().any(|p| &p.id == id));
        for peer in peers {
            if due.get(&peer.id).is_some_and(|t| *t > now) {
                continue;
            }
            let local = match StixId::parse(&state.node.partner) {
                Ok(l) => l,
                Err(_) => return,
            };
            let (store, registry, secrets, limits) = (state.store.clone(), state.registry.clone(), secrets.clone(), state.limits);
            let p = peer.clone();
            let outcome =
                tokio::task::spawn_blocking(move || pull(&*store, &*registry, &secrets, &p, &local, &limits)).await;
            let id = peer.id.clone();
            let wait = match outcome {
                Ok(Ok(report)) => {
                    let refused: u64 = report.refused.values().sum();
                    metrics::counter!("entente_sync_objects_total", "peer" => id.clone()).increment(report.added);
                    metrics::counter!("entente_sync_refused_total", "peer" => id.clone()).increment(refused);
                    let end = model::Timestamp::now();
                    let lag = report
                        .cursor
                        .as_deref()
                        .and_then(|c| model::Timestamp::parse(c).ok())
                        .map(|c| (end.micros() - c.micros()) as f64 / 1e6);
                    if let Some(l) = lag {
                        metrics::gauge!("entente_sync_lag_seconds", "peer" => id.clone()).set(l);
                    }
                    if report.added > 0 || refused > 0 {
                        tracing::info!(peer = %id, added = report.added, refused, "sync round");
                    }
                    state.sync.update(&id, |s| {
                        s.last_sync = Some(end.to_string());
                        s.last_error = None;
                        s.failures = 0;
                        s.pulled += report.added;
                        s.refused += refused;
                        s.cursor = report.cursor.clone();
                        s.lag_seconds = lag;
                        s.last_round_seconds = Some(report.seconds);
                    });
                    interval
                }
                failed => {
                    let e = match failed {
                        Ok(Err(e)) => e,
                        Err(e) => format!("the round stopped: {e}"),
                        Ok(Ok(_)) => String::new(),
                    };
                    metrics::counter!("entente_sync_errors_total", "peer" => id.clone()).increment(1);
                    tracing::warn!(peer = %id, error = %e, "sync round failed");
                    let mut failures = 0;
                    state.sync.update(&id, |s| {
                        s.last_error = Some(e.clone());
                        s.failures += 1;
                        failures = s.failures;
                    });
                    backoff(interval, failures)
                }
            };
            due.insert(peer.id, tokio::time::Instant::now() + wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::backoff;

    #[test]
    fn backoff_doubles_to_an_hour_with_a_quarter_of_jitter() {
        let minute = Duration::from_secs(60);
        for (failures, base) in [(0, 60), (1, 120), (3, 480), (6, 3600), (40, 3600)] {
            for _ in 0..50 {
                let w = backoff(minute, failures).as_secs_f64();
                assert!(w >= base as f64 && w <= base as f64 * 1.25, "{failures} failures: {w} s");
            }
        }
        let waits: std::collections::BTreeSet<u128> = (0..50).map(|_| backoff(minute, 2).as_millis()).collect();
        assert!(waits.len() > 10, "no jitter: {waits:?}");
    }
}
