//! The TAXII read endpoints: discovery, API root, collections, objects,
//! one object, manifest and versions. Listings are filtered, then paged, in
//! the store; the stored JSON bytes are written into the envelope as they are.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use model::StixId;
use store::{Cursor, DateAdded, Record, Versions};
use taxii::{Endpoint, EnvelopeWriter, Filter, VersionMatch};

use super::{collection_for, taxii_json, TaxiiError, API_ROOT};
use crate::auth::Caller;
use crate::AppState;

fn json<T: serde::Serialize>(value: &T) -> Response {
    taxii_json(StatusCode::OK, serde_json::to_vec(value).unwrap_or_default())
}

/// A manifest or versions listing; an empty, final page is `{}`, as envelopes are.
fn listing<T: serde::Serialize, S>(value: &T, l: &Listing<S>) -> Response {
    if l.count == 0 && !l.more {
        return taxii_json(StatusCode::OK, b"{}".to_vec());
    }
    with_dates(json(value), l.dates)
}

pub(super) async fn discovery(State(state): State<AppState>) -> Response {
    json(&taxii::Discovery {
        title: format!("Entente node {}", state.node.name),
        description: Some("TAXII 2.1 server of an Entente partnership node".into()),
        contact: None,
        default: Some(format!("/taxii2/{API_ROOT}/")),
        api_roots: vec![format!("/taxii2/{API_ROOT}/")],
    })
}

pub(super) async fn api_root(State(state): State<AppState>, Extension(_caller): Extension<Caller>) -> Response {
    json(&taxii::ApiRoot {
        title: format!("{} intelligence", state.node.name),
        description: Some("Collections this node shares with its partners".into()),
        versions: vec![taxii::MEDIA_TYPE.into()],
        max_content_length: state.taxii.max_content_length,
    })
}

fn describe(a: &super::Access) -> taxii::Collection {
    describe_record(&a.collection, a.can_read, a.can_write)
}

fn describe_record(c: &store::CollectionRecord, can_read: bool, can_write: bool) -> taxii::Collection {
    taxii::Collection {
        id: c.id.clone(),
        title: c.title.clone(),
        description: c.description.clone(),
        can_read,
        can_write,
        media_types: vec![taxii::STIX_MEDIA_TYPE.into()],
    }
}

pub(super) async fn collections(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Response, TaxiiError> {
    let registry = state.registry.clone();
    let all = crate::blocking(move || registry.collections()).await?;
    let partner = &caller.partner;
    let index = state.agreement_index().await?;
    let analyst = caller.can(store::Role::Analyst);
    let mut visible: Vec<taxii::Collection> = super::derived_collections(&index, partner)
        .into_iter()
        .map(|(c, _)| describe_record(&c, true, analyst))
        .collect();
    // The crises' own collections (modules' collections) of the caller's agreements.
    let (node, modules, me) = (crate::modules::node_of(&state), state.modules.clone(), partner.clone());
    let derived = crate::blocking(move || Ok(node::modules::collections::list(&node, &modules, &me, "taxii").map_err(TaxiiError::from))).await??;
    visible.extend(derived.iter().map(|f| describe_record(&super::module_record(&f.collection), true, false)));
    visible.extend(all.into_iter().filter_map(|c| {
        let can_read = c.readers.allows(caller.partner.as_str());
        let writer = c.writers.allows(caller.partner.as_str());
        (can_read || writer).then(|| describe_record(&c, can_read, writer && analyst))
    }));
    Ok(json(&taxii::Collections { collections: visible }))
}

pub(super) async fn collection(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
) -> Result<Response, TaxiiError> {
    let access = collection_for(&state, &caller, &cid).await?;
    Ok(json(&describe(&access)))
}

/// Parses an object id from the path: 404 for anything that is not one.
pub(super) fn object_id(oid: &str) -> Result<StixId, TaxiiError> {
    StixId::parse(oid).map_err(|_| TaxiiError::not_found("no such object (not a STIX id)"))
}

/// The store's version selection for a filter's `match[version]`.
pub(super) fn versions_of(filter: &Filter, default: Versions) -> Versions {
    if filter.versions.is_empty() {
        return default;
    }
    let mut v = Versions { all: false, first: false, last: false, at: Vec::new() };
    for m in &filter.versions {
        match m {
            VersionMatch::First => v.first = true,
            VersionMatch::Last => v.last = true,
            VersionMatch::All => v.all = true,
            VersionMatch::At(t) => v.at.push(t.clone()),
        }
    }
    v
}

/// What a listing builds from each version it releases, as the store reads
/// it: the envelope's bytes, the manifest's entries or the versions.
trait Sink: Send + 'static {
    /// An empty one for a page of up to `limit` versions.
    fn for_page(limit: usize) -> Self;
    fn take(&mut self, r: &Record);
}

impl Sink for EnvelopeWriter {
    // Room for a page of typical objects (a few hundred bytes each), so
    // that a full page is not copied as it grows.
    fn for_page(limit: usize) -> Self {
        EnvelopeWriter::with_capacity(limit.min(1000) * 640)
    }

    fn take(&mut self, r: &Record) {
        self.push(&r.json);
    }
}

impl Sink for Vec<taxii::ManifestRecord> {
    fn for_page(_: usize) -> Self {
        Vec::new()
    }

    fn take(&mut self, r: &Record) {
        self.push(taxii::ManifestRecord {
            id: r.id.clone(),
            date_added: r.date_added.to_string(),
            version: r.version.clone(),
            media_type: taxii::STIX_MEDIA_TYPE.into(),
        });
    }
}

/// The versions endpoint's list.
impl Sink for Vec<String> {
    fn for_page(_: usize) -> Self {
        Vec::new()
    }

    fn take(&mut self, r: &Record) {
        self.push(r.version.clone());
    }
}

/// One page of a listing in a collection the caller may read.
struct Listing<S> {
    out: S,
    count: usize,
    /// The `date_added` of the first and the last version, for the headers.
    dates: Option<(DateAdded, DateAdded)>,
    more: bool,
    next: Option<String>,
    access: super::Access,
}

async fn list<S: Sink>(
    state: &AppState,
    caller: &Caller,
    cid: &str,
    oid: Option<&StixId>,
    endpoint: Endpoint,
    raw_query: Option<String>,
) -> Result<Listing<S>, TaxiiError> {
    // The collection, the page and its release log entry in one trip to the
    // blocking pool (the entry is a file write): nothing is answered unless
    // it is logged.
    let (st, caller, cid, oid) = (state.clone(), caller.clone(), cid.to_owned(), oid.cloned());
    let listing = crate::blocking(move || Ok(page_of::<S>(&st, &caller, &cid, oid.as_ref(), endpoint, raw_query.as_deref())));
    let (listing, context) = listing.await??;
    let next = match (listing.more, listing.dates) {
        (true, Some((_, last))) => Some(state.cursors.seal(last.0, &context)),
        _ => None,
    };
    Ok(Listing { next, ..listing })
}

/// [`list`] on the blocking pool: the listing without its `next` (sealed
/// on the async side), and the query's context for sealing it.
fn page_of<S: Sink>(
    state: &AppState,
    caller: &Caller,
    cid: &str,
    oid: Option<&StixId>,
    endpoint: Endpoint,
    raw_query: Option<&str>,
) -> Result<(Listing<S>, String), TaxiiError> {
    let access = super::access_to(state, caller, cid)?;
    if !access.can_read {
        return Err(TaxiiError::forbidden("the caller may not read this collection"));
    }
    let filter = Filter::parse(raw_query.unwrap_or(""), endpoint).map_err(|e| TaxiiError::bad_request(e.to_string()))?;
    let default = if endpoint == Endpoint::Versions { Versions::ALL } else { Versions::LAST };
    let limit = filter.limit.unwrap_or(state.taxii.max_page_size).min(state.taxii.max_page_size);
    let context = format!("{endpoint:?}|{cid}|{}|{}", oid.map_or("", StixId::as_str), filter.fingerprint());
    let after = match &filter.next {
        Some(n) => Some(Cursor(DateAdded(
            state.cursors.open(n, &context).map_err(|e| TaxiiError::bad_request(e.to_string()))?,
        ))),
        None => None,
    };
    // The everything collection is read by arrival: a version shared later
    // under a further agreement comes when it is shared (docs/taxii.md).
    // What entered into force anew is re-offered first (docs/taxii.md).
    let through = match &access.target {
        super::Target::Everything => {
            let through = access.reader.read_by_arrival(state.store.clone());
            state.agreements.reoffer(&*state.store, &through)?;
            through
        }
        super::Target::Agreement(a) => {
            state.agreements.reoffer(&*state.store, &[a.to_string()])?;
            Vec::new()
        }
        super::Target::Module(a, _) => {
            state.agreements.reoffer(&*state.store, &[a.to_string()])?;
            Vec::new()
        }
        super::Target::Registry(_) => Vec::new(),
    };
    let mut ids: Vec<String> = match oid {
        Some(id) => vec![id.to_string()],
        None => filter.ids.iter().map(ToString::to_string).collect(),
    };
    if let super::Target::Module(_, members) = &access.target {
        // Only the collection's members, within the ids asked for.
        ids = if ids.is_empty() { members.to_vec() } else { ids.into_iter().filter(|i| members.binary_search(i).is_ok()).collect() };
        if ids.is_empty() {
            let empty = Listing { out: S::for_page(limit), count: 0, dates: None, more: false, next: None, access };
            return Ok((empty, context));
        }
    }
    let query = store::Query {
        collection: access.target.store_collection(),
        through,
        types: filter.types.clone(),
        ids,
        added_after: filter.added_after.as_ref().map(model::Timestamp::micros),
        versions: versions_of(&filter, default),
        spec_versions: filter.spec_versions.clone(),
        limit: Some(limit),
        after,
        ..store::Query::default()
    };
    let mut dates: Option<(DateAdded, DateAdded)> = None;
    // The gate is set, and the page logged, by the one read path.
    let visited = state.out(&access.reader, "taxii").visit(&*state.store, query, S::for_page(limit), |out, r| {
        out.take(r);
        dates = Some((dates.map_or(r.date_added, |d| d.0), r.date_added));
    })?;
    let node::read::Visited { out, count, more } = visited.into_inner();
    Ok((Listing { out, count, dates, more, next: None, access }, context))
}

/// Adds the date-added headers of a non-empty listing.
fn with_dates(mut r: Response, dates: Option<(DateAdded, DateAdded)>) -> Response {
    if let Some((first, last)) = dates {
        let h = r.headers_mut();
        for (name, d) in [(taxii::DATE_ADDED_FIRST, first), (taxii::DATE_ADDED_LAST, last)] {
            if let Ok(v) = HeaderValue::from_str(&d.to_string()) {
                h.insert(name, v);
            }
        }
    }
    r
}

fn envelope_response(l: Listing<EnvelopeWriter>) -> Response {
    let (bytes, start) = l.out.finish(l.more, l.next.as_deref());
    let body = axum::body::Bytes::from(bytes).slice(start..);
    with_dates(taxii_json(StatusCode::OK, body), l.dates)
}

pub(super) async fn objects(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let l: Listing<EnvelopeWriter> = list(&state, &caller, &cid, None, Endpoint::Listing, q).await?;
    Ok(envelope_response(l))
}

pub(super) async fn manifest(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let mut l = list(&state, &caller, &cid, None, Endpoint::Listing, q).await?;
    let manifest = taxii::Manifest { more: l.more, next: l.next.clone(), objects: std::mem::take(&mut l.out) };
    Ok(listing(&manifest, &l))
}

/// 404 unless the caller may see some version of the object in the
/// collection: an object it may not see answers exactly like one that does
/// not exist (and the refusal is logged).
async fn must_exist(state: &AppState, access: &super::Access, id: &StixId) -> Result<(), TaxiiError> {
    if let super::Target::Module(_, members) = &access.target {
        if members.binary_search(&id.to_string()).is_err() {
            return Err(state.out(&access.reader, "taxii").refuse(id, "no such object in this collection").into());
        }
    }
    let query = store::Query {
        ids: vec![id.to_string()],
        versions: Versions::ALL,
        collection: access.target.store_collection(),
        limit: Some(1),
        gate: Some(access.reader.gate()),
        ..store::Query::default()
    };
    let store = state.store.clone();
    let found = crate::blocking(move || store.query(&query)).await?;
    if found.records.is_empty() {
        return Err(state.out(&access.reader, "taxii").refuse(id, "no such object in this collection").into());
    }
    Ok(())
}

pub(super) async fn object(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let id = object_id(&oid)?;
    let l: Listing<EnvelopeWriter> = list(&state, &caller, &cid, Some(&id), Endpoint::Object, q).await?;
    if l.count == 0 {
        must_exist(&state, &l.access, &id).await?;
    }
    Ok(envelope_response(l))
}

pub(super) async fn versions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let id = object_id(&oid)?;
    let mut l = list(&state, &caller, &cid, Some(&id), Endpoint::Versions, q).await?;
    if l.count == 0 {
        must_exist(&state, &l.access, &id).await?;
    }
    let body = taxii::Versions { more: l.more, next: l.next.clone(), versions: std::mem::take(&mut l.out) };
    Ok(listing(&body, &l))
}
