//! The REST API of a node at `/api/v1/`, an adapter over the node's
//! services (the `node` crate) the way the pages (`web`) and TAXII are:
//! agreements ([`agreements`]), intelligence — search, object, versions,
//! release explanation, share, provenance ([`objects`]) —, detection and
//! correlation ([`detect`]), indicators from text ([`extract`]), the
//! partner's MISP feed ([`misp`]), partners and peers ([`partners`]), the
//! partnership modules the kit serves ([`modules`]), the scorecard
//! ([`scorecard`]), and the OpenAPI document that describes it all
//! (`/api/v1/openapi.json`, [`openapi`]).
//!
//! Every route but the document needs a token ([`authenticate`], shared
//! with TAXII); every action is the caller's own (the author of what is
//! created is the caller's partner, from its token, never from the
//! request); every object out goes through the one read path
//! (`node::read::Out`: the release decision and the release log). The
//! server mounts [`router`] over an [`Api`] made from its state.

pub mod agreements;
pub mod detect;
pub mod detect_limits;
mod error;
mod extract;
mod misp;
pub mod modules;
pub mod objects;
pub mod openapi;
pub mod partners;
pub mod scorecard;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use node::auth::{self, Caller};
use node::release;

pub use error::ApiError;

/// What the API's handlers share: the node's store, records, keys, index,
/// log and modules, and the server's budgets they answer under. Made by the
/// server from its state (`server::AppState`), every part shared (`Arc`).
#[derive(Clone)]
pub struct Api {
    /// The node's objects.
    pub store: Arc<dyn store::Store>,
    /// The node's own records.
    pub registry: Arc<dyn store::Registry>,
    /// Who the node is.
    pub node: Arc<node::identity::NodeIdentity>,
    /// The most objects a page holds (TAXII's `max_page_size`).
    pub max_page_size: usize,
    /// The largest request body accepted (TAXII's `max_content_length`).
    pub max_content_length: u64,
    /// Seals and opens paging cursors.
    pub cursors: ::taxii::CursorCodec,
    /// Failed authentications per client address.
    pub auth_failures: Arc<auth::FailureLimiter>,
    /// Limits on objects from partners.
    pub limits: model::Limits,
    /// Secret keys of the partners this node hosts.
    pub keys: node::keys::KeyDir,
    /// The agreements' index every release decision reads.
    pub agreements: Arc<release::Agreements>,
    /// Where every release is recorded.
    pub log: audit::SharedLog,
    /// The indicators, indexed for detection.
    pub indicators: Arc<node::detect::Indicators>,
    /// Detection requests' budgets and workers (replace to change the limits).
    pub detection: Arc<detect_limits::Workers>,
    /// How sync with each peer is going.
    pub sync: Arc<federation::SyncStatus>,
    /// The partnership modules this node runs.
    pub modules: modules::Modules,
}

impl Api {
    /// The agreements' index for release decisions (rebuilt when stale).
    pub async fn agreement_index(&self) -> Result<Arc<policy::AgreementIndex>, ApiError> {
        let (store, agreements) = (self.store.clone(), self.agreements.clone());
        blocking(move || agreements.index(&*store)).await
    }

    /// The node's services over this state's store, index, log and keys.
    pub fn services(&self) -> node::Node {
        node::Node {
            store: self.store.clone(),
            agreements: self.agreements.clone(),
            log: self.log.clone(),
            keys: self.keys.clone(),
            limits: self.limits,
            modules: self.modules.clone(),
        }
    }

    /// Where a release to `reader` on `channel` goes out and is recorded:
    /// the one read path ([`node::read`]).
    pub fn out<'a>(&'a self, reader: &'a Arc<release::Reader>, channel: &'a str) -> node::read::Out<'a> {
        node::read::Out::new(&self.log, reader, channel)
    }

    /// A reader for `partner` now, deciding through `through`.
    pub async fn reader(&self, partner: &policy::PartnerId, through: release::Through) -> Result<Arc<release::Reader>, ApiError> {
        Ok(release::Reader::new(partner.clone(), self.agreement_index().await?, through))
    }
}

/// The API's routes, over `api` (mounted in a router of any state).
pub fn router<S: Clone + Send + Sync + 'static>(api: Api) -> Router<S> {
    Router::new()
        .route("/api/v1/agreements", get(agreements::list).post(agreements::propose))
        .route("/api/v1/agreements/{id}", get(agreements::show).post(agreements::amend))
        .route("/api/v1/agreements/{id}/ratify", post(agreements::ratify))
        .route("/api/v1/agreements/{id}/suspend", post(agreements::suspend))
        .route("/api/v1/agreements/{id}/resume", post(agreements::resume))
        .route("/api/v1/agreements/{id}/withdraw", post(agreements::withdraw))
        .route("/api/v1/agreements/{id}/notices/{notice}/cancel", post(agreements::cancel_notice))
        .route("/api/v1/objects", get(objects::search).post(objects::share))
        .route("/api/v1/objects/{id}", get(objects::show))
        .route("/api/v1/objects/{id}/versions", get(objects::versions))
        .route("/api/v1/objects/{id}/release", get(objects::explain))
        .route("/api/v1/objects/{id}/share", post(objects::share_stored))
        .route("/api/v1/provenance", post(objects::provenance))
        .route("/api/v1/objects/{id}/observables", get(detect::of_object))
        .route("/api/v1/observables/{type}/{value}", get(detect::observable))
        .route("/api/v1/detect", post(detect::detect).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/api/v1/extract", post(extract::extract))
        .route("/api/v1/misp/feed/{file}", get(misp::feed))
        .route("/api/v1/partners", get(partners::list).post(partners::add))
        .route("/api/v1/peers", get(partners::peers))
        .route("/api/v1/modules", get(modules::list))
        .route("/api/v1/inbox", get(modules::inbox_of))
        .route("/api/v1/agreements/{id}/modules/{module}", get(modules::show))
        .route("/api/v1/agreements/{id}/modules/{module}/records", get(modules::records))
        .route("/api/v1/agreements/{id}/modules/{module}/actions/{action}", post(modules::act_on))
        .route("/api/v1/agreements/{id}/modules/{module}/files/{file}", get(modules::file))
        .route("/api/v1/agreements/{id}/scorecard", get(scorecard::show))
        .route("/api/v1/agreements/{id}/scorecard/report", get(scorecard::report))
        .layer(axum::middleware::from_fn_with_state(api.clone(), guard))
        .route("/api/v1/openapi.json", get(openapi::document))
        .with_state(api)
}

/// The address of a request's client, as the server put it in the
/// request's extensions (from the connection, plain or TLS): for
/// per-address limits and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client address of a request, or 0.0.0.0 when the server did not
/// say (in-process tests).
pub fn client_ip(req: &Request) -> IpAddr {
    req.extensions().get::<ClientIp>().map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0)
}

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum Unauthenticated {
    /// No token, or one that does not check out: 401.
    Refused,
    /// Too many failures from the address or for the token: 429, wait this long.
    Throttled(Duration),
    /// The check itself failed (the store).
    Failed(ApiError),
}

/// Finds the caller from the `Authorization` header (REST and TAXII). A
/// token that checks out is accepted whatever failed before (its 256-bit
/// secret cannot be guessed); a failure counts against the address and the
/// token's id ([`auth::FailureLimiter`]) and is throttled past the limit.
pub async fn authenticate(api: &Api, headers: &HeaderMap, ip: IpAddr) -> Result<Caller, Unauthenticated> {
    let Some(token) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(auth::token_from_header) else {
        return Err(Unauthenticated::Refused);
    };
    let credential = auth::token_credential(&token);
    let registry = api.registry.clone();
    let (now, node) = (model::Timestamp::now().micros(), api.node.partner.clone());
    let verdict = blocking(move || auth::verify(&*registry, &token, now, &node)).await.map_err(Unauthenticated::Failed)?;
    match verdict {
        Ok(caller) => Ok(caller),
        Err(why) => {
            let throttled = api.auth_failures.fail(ip, credential.as_deref());
            metrics::counter!("entente_auth_failures_total").increment(1);
            tracing::warn!(%ip, reason = ?why, throttled = throttled.is_some(), "authentication failed");
            Err(throttled.map_or(Unauthenticated::Refused, Unauthenticated::Throttled))
        }
    }
}

/// Every route but the OpenAPI document: the caller from its token, or a
/// 401 (with `WWW-Authenticate`) or 429 (with `Retry-After`).
async fn guard(State(api): State<Api>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    match authenticate(&api, req.headers(), ip).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(Unauthenticated::Failed(e)) => e.into_response(),
        Err(Unauthenticated::Refused) => {
            let mut r = ApiError::client(StatusCode::UNAUTHORIZED, "authentication required", "send an API token as Bearer token").into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"entente\""));
            r
        }
        Err(Unauthenticated::Throttled(wait)) => {
            let secs = auth::retry_after_secs(wait);
            let mut r = ApiError::client(StatusCode::TOO_MANY_REQUESTS, "authentication required", "send an API token as Bearer token").into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r
        }
    }
}

/// Runs a blocking store call on the blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> store::Result<T> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?
        .map_err(ApiError::from)
}

/// Runs a blocking service call ([`node`]) on the blocking pool.
pub async fn service<T: Send + 'static>(f: impl FnOnce() -> node::Result<T> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("service task failed: {e}")))?
        .map_err(ApiError::from)
}
