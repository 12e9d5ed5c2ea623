//! The TAXII 2.1 server at `/taxii2/`: discovery, one API root (`root`),
//! collections, objects, manifest, versions and status.
//!
//! Every request first passes [`guard`]: content negotiation (406), then
//! authentication (401, 429 after repeated failures). Handlers then check
//! what the caller may do with the collection at hand (404 when it may not
//! even see it, 403 when it may see but not read or write), and read only
//! through the caller's release gate ([`crate::release`]).
//!
//! Collections: those of the registry, one per agreement the caller's
//! partner is party to (id: the agreement's UUID; adding to it shares under
//! that agreement), and [`EVERYTHING`], all the caller may see.

mod error;
mod read;
mod pending;
mod write;


use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use store::{CollectionRecord, Role};

pub use error::TaxiiError;
pub use pending::resolve_pending;

use crate::auth::Caller;
use crate::release::{Reader, Through, EVERYTHING};
use crate::AppState;

/// The one API root's name (`taxii::API_ROOT`).
pub use ::taxii::API_ROOT;

/// TAXII settings of a node.
#[derive(Debug, Clone)]
pub struct TaxiiConfig {
    /// The largest `limit` a client gets.
    pub max_page_size: usize,
    /// The largest POST body, in bytes (of TAXII, the REST API and the
    /// pages alike; see [`crate::body`]).
    pub max_content_length: u64,
    /// The bytes of request bodies all requests may hold at once (at least
    /// `max_content_length`); beyond, a body is refused with 503.
    pub max_bodies_in_flight: u64,
    /// Whether discovery answers without credentials.
    pub public_discovery: bool,
    /// How long an add request may run before its status is returned as pending.
    pub add_wait: std::time::Duration,
}

impl Default for TaxiiConfig {
    fn default() -> Self {
        TaxiiConfig {
            max_page_size: 1000,
            max_content_length: 100 * 1024 * 1024,
            max_bodies_in_flight: 256 * 1024 * 1024,
            public_discovery: false,
            add_wait: std::time::Duration::from_secs(5),
        }
    }
}

/// Registers `path` both with and without its trailing slash.
fn both(router: Router<AppState>, path: &str, m: MethodRouter<AppState>) -> Router<AppState> {
    let bare = path.trim_end_matches('/');
    router.route(path, m.clone()).route(bare, m)
}

/// The TAXII routes.
pub fn router(state: AppState) -> Router<AppState> {
    let root = format!("/taxii2/{API_ROOT}");
    let mut r = Router::new().route("/taxii2/", get(read::discovery)).route("/taxii2", get(read::discovery));
    r = both(r, &format!("{root}/"), get(read::api_root));
    r = both(r, &format!("{root}/status/{{status_id}}/"), get(write::status));
    r = both(r, &format!("{root}/collections/"), get(read::collections));
    r = both(r, &format!("{root}/collections/{{cid}}/"), get(read::collection));
    r = both(
        r,
        &format!("{root}/collections/{{cid}}/objects/"),
        get(read::objects).post(write::add_objects).layer(axum::extract::DefaultBodyLimit::disable()),
    );
    r = both(r, &format!("{root}/collections/{{cid}}/manifest/"), get(read::manifest));
    r = both(r, &format!("{root}/collections/{{cid}}/objects/{{oid}}/"), get(read::object).delete(write::delete_object));
    r = both(r, &format!("{root}/collections/{{cid}}/objects/{{oid}}/versions/"), get(read::versions));
    r.layer(axum::middleware::from_fn_with_state(state, guard))
}

/// Answers paths under `/taxii2/` that match no route.
pub async fn fallback() -> TaxiiError {
    TaxiiError::not_found("no such TAXII endpoint")
}

/// Content negotiation and authentication for every TAXII request.
async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if !taxii::accepts_taxii(accept) {
        return TaxiiError::not_acceptable().into_response();
    }
    let public = state.taxii.public_discovery && matches!(req.uri().path(), "/taxii2/" | "/taxii2");
    let ip = req
        .extensions()
        .get::<ConnectInfo<crate::ClientAddr>>()
        .map(|c| c.0 .0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    match authenticate(&state, req.headers(), ip).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
        }
        Err(_) if public => {}
        Err(e) => return e.into_response(),
    }
    let mut response = next.run(req).await;
    if response.status() == axum::http::StatusCode::METHOD_NOT_ALLOWED {
        response = TaxiiError::method_not_allowed().into_response();
    }
    response
}

/// Finds the caller from the `Authorization` header ([`rest::authenticate`],
/// the REST API's check), answered as TAXII errors: 401, or 429 with
/// `Retry-After` past the failure limit.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, ip: std::net::IpAddr) -> Result<Caller, TaxiiError> {
    rest::authenticate(&state.api, headers, ip).await.map_err(|e| match e {
        rest::Unauthenticated::Refused => TaxiiError::unauthorized(),
        rest::Unauthenticated::Throttled(wait) => TaxiiError::too_many_failures(wait),
        rest::Unauthenticated::Failed(e) => TaxiiError::from(e),
    })
}

/// What a caller may do with a collection.
pub(crate) struct Access {
    pub collection: CollectionRecord,
    pub can_read: bool,
    pub can_write: bool,
    pub target: Target,
    /// The caller as a reader at this request's time.
    pub reader: std::sync::Arc<Reader>,
}

/// What a TAXII collection is backed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A collection of the registry (`entente collection create`).
    Registry(String),
    /// What is shared under an agreement the caller is party to.
    Agreement(policy::AgreementId),
    /// A collection a module derives under an agreement the caller is
    /// party to (a crisis's own): the objects under the agreement with
    /// these ids, sorted (`node::modules::collections::members`).
    Module(policy::AgreementId, std::sync::Arc<[String]>),
    /// Everything the caller may see.
    Everything,
}

impl Target {
    /// The store collection to query, if any.
    pub fn store_collection(&self) -> Option<String> {
        match self {
            Target::Registry(c) => Some(c.clone()),
            Target::Agreement(a) => Some(store::agreement_collection(a.as_str())),
            // Its members by id, as stored here (shared here or received).
            Target::Module(..) | Target::Everything => None,
        }
    }
}

/// The caller's agreement collections and the everything collection, as
/// collection records (the registry holds the others).
pub(crate) fn derived_collections(index: &policy::AgreementIndex, partner: &policy::PartnerId) -> Vec<(CollectionRecord, Target)> {
    let mut out = vec![(
        CollectionRecord {
            id: EVERYTHING.to_owned(),
            title: "Everything released to you".into(),
            description: Some("Every object this node may release to your partner, under any agreement".into()),
            readers: store::Access::All,
            writers: store::Access::All,
        },
        Target::Everything,
    )];
    let now = model::Timestamp::now();
    for id in index.agreements_of(partner) {
        let Some(a) = index.agreement(&id) else { continue };
        out.push((
            CollectionRecord {
                id: crate::release::collection_of_agreement(&id),
                title: format!("Agreement: {}", a.terms.title),
                description: Some(format!("Objects shared under agreement {id} ({})", index.state(&id, &now))),
                readers: store::Access::All,
                writers: store::Access::All,
            },
            Target::Agreement(id),
        ));
    }
    out
}

/// A module's collection as a collection record (read by the agreement's
/// parties alone; written by no one).
pub(crate) fn module_record(c: &partnership::Collection) -> CollectionRecord {
    CollectionRecord { id: c.id.clone(), title: c.title.clone(), description: Some(c.description.clone()), readers: store::Access::All, writers: store::Access::Partners(Vec::new()) }
}

/// Looks a collection up for a caller: 404 when unknown or invisible to it.
pub(crate) async fn collection_for(state: &AppState, caller: &Caller, cid: &str) -> Result<Access, TaxiiError> {
    let (state, caller, cid) = (state.clone(), caller.clone(), cid.to_owned());
    crate::blocking(move || Ok(access_to(&state, &caller, &cid))).await?
}

/// [`collection_for`] on the calling thread, for work already on the
/// blocking pool (it reads the store and the registry).
pub(crate) fn access_to(state: &AppState, caller: &Caller, cid: &str) -> Result<Access, TaxiiError> {
    let partner = &caller.partner;
    let analyst = caller.can(Role::Analyst);
    let index = state.agreements.index(&*state.store)?;
    let derived = derived_collections(&index, partner).into_iter().find(|(c, _)| c.id == cid);
    let (collection, can_read, can_write, target) = match derived {
        Some((c, t)) => (c, true, analyst, t),
        None => {
            let Some(collection) = state.registry.collection(cid)? else {
                // A module's collection (a crisis's): read-only, its
                // members shared into it through its agreement (docs/taxii.md).
                let node = crate::modules::node_of(state);
                let Some(found) = node::modules::collections::find(&node, &state.modules, partner, cid, "taxii")? else {
                    return Err(TaxiiError::not_found("no such collection"));
                };
                let members = node::modules::collections::members(&node, partner, &found)?;
                let target = Target::Module(found.agreement.clone(), members.into());
                let reader = Reader::new(partner.clone(), index, Through::Agreement(found.agreement));
                return Ok(Access { collection: module_record(&found.collection), can_read: true, can_write: false, target, reader });
            };
            let can_read = collection.readers.allows(caller.partner.as_str());
            let writer = collection.writers.allows(caller.partner.as_str());
            if !can_read && !writer {
                return Err(TaxiiError::not_found("no such collection"));
            }
            let target = Target::Registry(collection.id.clone());
            (collection, can_read, writer && analyst, target)
        }
    };
    let through = match &target {
        Target::Agreement(a) => Through::Agreement(a.clone()),
        _ => Through::AnyShare,
    };
    let reader = Reader::new(partner.clone(), index, through);
    Ok(Access { collection, can_read, can_write, target, reader })
}

/// A TAXII JSON response with its media type.
pub(crate) fn taxii_json(status: axum::http::StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(taxii::MEDIA_TYPE));
    r
}
