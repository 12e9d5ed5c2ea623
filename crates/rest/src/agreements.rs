//! Agreements at `/api/v1/agreements`: propose, amend, ratify, suspend,
//! resume, withdraw, cancel a notice, list and show — each the caller's
//! partner's own act, through `node::agreements` (the web's agreement pages
//! call the same).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::{StixId, Timestamp};
use node::agreements::{self, View};
use node::auth::Caller;
use serde_json::{json, Map, Value};
use store::Role;

use crate::{Api, ApiError};

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

pub(crate) async fn list(State(state): State<Api>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let me = caller.partner.clone();
    let store = state.store.clone();
    let views = run(move || Ok(agreements::Book::load(&*store)?.list(&me, &Timestamp::now()))).await?;
    Ok(Json(json!({ "agreements": views.iter().map(view_json).collect::<Vec<_>>() })))
}

pub(crate) async fn show(State(state): State<Api>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let store = state.store.clone();
    let view = run(move || agreements::Book::load(&*store)?.view(&id, &me, &Timestamp::now())).await?;
    Ok(Json(view_json(&view)))
}

pub(crate) async fn propose(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Json(terms): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let me = caller.partner.clone();
    let node = state.services();
    let a = run(move || node.propose(&me, None, &terms)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": a.id, "version": a.version.as_str() }))).into_response())
}

pub(crate) async fn amend(
    State(state): State<Api>,
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

pub(crate) async fn ratify(State(state): State<Api>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let node = state.services();
    let r = run(move || node.ratify(&me, &id)).await?;
    Ok(created(r.to_value()))
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct NoticeBody {
    effective: Option<String>,
}

async fn notice(state: Api, caller: Caller, id: String, kind: policy::NoticeKind, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
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

pub(crate) async fn suspend(State(s): State<Api>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Suspension, body).await
}
pub(crate) async fn resume(State(s): State<Api>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Resumption, body).await
}
pub(crate) async fn withdraw(State(s): State<Api>, Extension(c): Extension<Caller>, Path(id): Path<String>, body: Option<Json<NoticeBody>>) -> Result<Response, ApiError> {
    notice(s, c, id, policy::NoticeKind::Withdrawal, body).await
}

/// `POST /api/v1/agreements/{id}/notices/{notice}/cancel`: the caller's
/// partner cancels a notice it gave that is not in effect yet; the new,
/// revoking version of the notice is returned (201, like every record an
/// agreement action makes).
pub(crate) async fn cancel_notice(State(state): State<Api>, Extension(caller): Extension<Caller>, Path((id, notice)): Path<(String, String)>) -> Result<Response, ApiError> {
    must_be_liaison(&caller)?;
    let (me, id) = (caller.partner.clone(), agreement_id(&id)?);
    let notice = StixId::parse(&notice).map_err(|_| ApiError::not_found("no such notice"))?;
    let node = state.services();
    let n = run(move || node.cancel_notice(&me, &id, &notice)).await?;
    Ok((StatusCode::CREATED, Json(n.to_value())).into_response())
}

