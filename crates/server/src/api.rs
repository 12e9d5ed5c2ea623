//! The REST API at `/api/v1/`: agreements (propose, amend, ratify, suspend,
//! resume, withdraw, list, show), intelligence (search, object, versions,
//! release explanation, share: [`objects`]), detection and correlation
//! ([`detect`]), the partner's MISP feed (`misp`), partners, and the OpenAPI
//! document that describes it all (`/api/v1/openapi.json`, [`openapi`]).
//! Every action is the caller's own: the author of what is created is always
//! the caller's partner, taken from its token, never from the request.

pub(crate) mod detect;
mod extract;
mod misp;
pub(crate) mod objects;
pub mod openapi;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use model::{StixId, Timestamp};
use serde_json::{json, Map, Value};
use store::Role;

use crate::agreements::{self, View};
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The API routes.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/agreements", get(list).post(propose))
        .route("/api/v1/agreements/{id}", get(show).post(amend))
        .route("/api/v1/agreements/{id}/ratify", post(ratify))
        .route("/api/v1/agreements/{id}/suspend", post(suspend))
        .route("/api/v1/agreements/{id}/resume", post(resume))
        .route("/api/v1/agreements/{id}/withdraw", post(withdraw))
        .route("/api/v1/agreements/{id}/notices/{notice}/cancel", post(cancel_notice))
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
        .route("/api/v1/partners", get(partners).post(add_partner))
        .route("/api/v1/peers", get(peers))
        .route("/api/v1/modules", get(crate::modules::list))
        .route("/api/v1/inbox", get(crate::modules::inbox_of))
        .route("/api/v1/agreements/{id}/modules/{module}", get(crate::modules::show))
        .route("/api/v1/agreements/{id}/modules/{module}/records", get(crate::modules::records))
        .route("/api/v1/agreements/{id}/modules/{module}/actions/{action}", post(crate::modules::act_on))
        .route("/api/v1/agreements/{id}/scorecard", get(crate::scorecard::show))
        .route("/api/v1/agreements/{id}/scorecard/report", get(crate::scorecard::report))
        .layer(axum::middleware::from_fn_with_state(state, guard))
        .route("/api/v1/openapi.json", get(openapi::document))
}

async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<crate::ClientAddr>>()
        .map(|c| c.0 .0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    match crate::taxii::authenticate(&state, req.headers(), ip).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            let mut r = ApiError::client(e.status(), "authentication required", "send an API token as Bearer token").into_response();
            if e.status() == StatusCode::UNAUTHORIZED {
                r.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer realm=\"entente\""));
            }
            if let Some(secs) = e.retry_after() {
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
            }
            r
        }
    }
}

impl From<agreements::Error> for ApiError {
    fn from(e: agreements::Error) -> Self {
        match e {
            agreements::Error::Invalid(m) => ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid agreement", m),
            agreements::Error::NotFound => ApiError::not_found("no such agreement"),
            agreements::Error::Forbidden(m) => ApiError::client(StatusCode::FORBIDDEN, "forbidden", m),
            agreements::Error::Store(s) => ApiError::from(s),
        }
    }
}

/// Agreements are acted on (proposed, amended, ratified, given notice) by a
/// liaison or an administrator; the web pages ask the same.
pub(crate) fn must_be_liaison(caller: &Caller) -> Result<(), ApiError> {
    if caller.can(Role::Liaison) {
        Ok(())
    } else {
        Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", "agreements need the liaison or admin role"))
    }
}

/// The id of an agreement in a path; 404 for anything else.
pub(crate) fn agreement_id(raw: &str) -> Result<StixId, ApiError> {
    StixId::parse(raw)
        .ok()
        .filter(|id| id.object_type() == policy::ext::AGREEMENT_TYPE)
        .ok_or_else(|| ApiError::not_found("no such agreement"))
}

/// Runs an agreements call on the blocking pool.
async fn run<T: Send + 'static>(f: impl FnOnce() -> Result<T, agreements::Error> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(e.to_string()))?.map_err(ApiError::from)
}

fn view_json(v: &View) -> Value {
    let a = &v.agreement;
    json!({
        "id": a.id,
        "author": a.author,
        "version": a.version.as_str(),
        "state": v.state.name(),
        "state_detail": v.state.to_string(),
        "title": a.terms.title,
        "parties": a.terms.parties,
        "tlp_ceiling": a.terms.tlp_ceiling.name(),
        "valid_from": a.terms.valid_from.as_str(),
        "valid_until": a.terms.valid_until.as_ref().map(Timestamp::as_str),
        "versions": v.versions.iter().map(|x| x.version.as_str()).collect::<Vec<_>>(),
        "ratifications": v.ratifications.iter().map(|(p, ver, ok)| json!({"party": p, "version": ver, "signature_valid": ok})).collect::<Vec<_>>(),
        "notices": v.notices.iter().map(|n| json!({"party": n.author, "kind": n.kind.name(), "effective": n.effective.as_str()})).collect::<Vec<_>>(),
        "object": serde_json::from_slice::<Value>(&a.canonical).unwrap_or(Value::Null),
    })
}

async fn list(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let me = caller.partner.clone();
    let store = state.store.clone();
    let views = run(move || Ok(agreements::Book::load(&*store)?.list(&me, &Timestamp::now()))).await?;
    Ok(Json(json!({ "agreements": views.iter().map(view_json).collect::<Vec<_>>() })))
}

async fn show(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let store = state.store.clone();
    let view = run(move || agreements::Book::load(&*store)?.view(&id, &me, &Timestamp::now())).await?;
    Ok(Json(view_json(&view)))
}

async fn propose(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(terms): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let me = caller.partner.clone();
    let node = state.services();
    let a = run(move || node.propose(&me, None, &terms)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": a.id, "version": a.version.as_str() }))).into_response())
}

async fn amend(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(terms): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let node = state.services();
    let a = run(move || node.propose(&me, Some(&id), &terms)).await?;
    Ok(created(json!({ "id": a.id, "version": a.version.as_str() })))
}

/// 201 with `body`: an action that created a record (a version, a
/// ratification, a notice).
fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn ratify(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let node = state.services();
    let r = run(move || node.ratify(&me, &id)).await?;
    Ok(created(r.to_value()))
}

#[derive(serde::Deserialize, Default)]
struct NoticeBody {
    effective: Option<String>,
}

async fn notice(state: AppState, caller: Caller, id: String, kind: policy::NoticeKind, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let effective = match body.and_then(|b| b.0.effective) {
        Some(t) => Some(Timestamp::parse(&t).map_err(|e| ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid notice", format!("effective: {e}")))?),
        None => None,
    };
    let node = state.services();
    let n = run(move || node.give_notice(&me, &id, kind, effective)).await?;
    Ok(created(n.to_value()))
}

async fn suspend(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Suspension, body).await
}
async fn resume(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Resumption, body).await
}
async fn withdraw(State(s): State<AppState>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Withdrawal, body).await
}

/// `POST /api/v1/agreements/{id}/notices/{notice}/cancel`: the caller's
/// partner cancels a notice it gave that is not in effect yet; the new,
/// revoking version of the notice is returned (201, like every record an
/// agreement action makes).
async fn cancel_notice(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path((id, notice)): Path<(String, String)>) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let notice = StixId::parse(&notice).map_err(|_| ApiError::not_found("no such notice"))?;
    let node = state.services();
    let n = run(move || node.cancel_notice(&me, &id, &notice)).await?;
    Ok((StatusCode::CREATED, Json(n.to_value())).into_response())
}

/// The partners `caller` may know of — need to know: its own, the node's,
/// and those it shares an agreement with (as the agreements it may see name
/// them). The node's administrator knows all. The web's partners page
/// shows the same list.
pub(crate) async fn partners_known_to(state: &AppState, caller: &Caller) -> Result<Vec<store::PartnerRecord>, ApiError> {
    let registry = state.registry.clone();
    let all = crate::blocking(move || registry.partners()).await?;
    let index = state.agreement_index().await?;
    Ok(node::partners::known_to(all, &index, caller, &state.node.partner))
}

/// `GET /api/v1/partners`: the partners the caller may know of ([`partners_known_to`]).
async fn partners(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = partners_known_to(&state, &caller)
        .await?
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.name, "hosted": p.hosted, "node": p.id == state.node.partner }))
        .collect();
    Ok(Json(json!({ "partners": list })))
}

/// `GET /api/v1/peers` (admin of the node's own partner): the nodes this
/// node pulls from, without their credentials.
async fn peers(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    caller.must_be_node_admin("peers are the node administrator's")?;
    let registry = state.registry.clone();
    let all = crate::blocking(move || registry.peers()).await?;
    let list: Vec<Value> = all
        .iter()
        .map(|p| {
            json!({ "id": p.id, "url": p.url, "partner": p.partner, "own_ca": p.ca_pem.is_some(),
                    "created": Timestamp::from_micros(p.created).as_str(),
                    "sync": state.sync.get(&p.id) })
        })
        .collect();
    Ok(Json(json!({ "peers": list })))
}

/// The body of `POST /api/v1/partners`: a hosted partner by `name` (the
/// node makes its key), or a known remote partner by its self-authored
/// `identity` object carrying its public key.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPartner {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    identity: Option<Value>,
}

/// `POST /api/v1/partners` (admin of the node's own partner).
async fn add_partner(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewPartner>,
) -> Result<Response, ApiError> {
    caller.must_be_node_admin("adding partners needs the node's admin role")?;
    let unprocessable = |m: String| ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid partner", m);
    let (store, registry, keys) = (state.store.clone(), state.registry.clone(), state.keys.clone());
    let id = match (body.name, body.identity) {
        (Some(name), None) => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(unprocessable("`name` must be 1 to 200 characters".into()));
            }
            crate::blocking(move || crate::node::add_hosted_partner(&*store, &*registry, &keys, &name)).await?
        }
        (None, Some(identity)) => {
            let object = model::Object::from_value(identity).map_err(|e| unprocessable(format!("`identity`: {e}")))?;
            crate::node::check_known_partner(&object).map_err(unprocessable)?;
            crate::blocking(move || crate::node::add_known_partner(&*store, &*registry, &object)).await?
        }
        _ => return Err(unprocessable("give either `name` (a hosted partner) or `identity` (a known partner)".into())),
    };
    state.services().records_changed();
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}
