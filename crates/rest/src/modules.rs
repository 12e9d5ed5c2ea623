//! The partnership modules this node runs, and what the kit gives each of
//! them through the one read and write path: a blocking service ([`view`],
//! [`act`]) that the REST endpoints and the `entente module` command both
//! call (in `node::modules`, re-exported here), and the endpoints:
//!
//! - `GET /api/v1/modules`: the modules, their record kinds and actions;
//! - `GET /api/v1/inbox`: what needs the caller's partner, across modules;
//! - `GET /api/v1/agreements/{id}/modules/{module}`: the module's state for
//!   the agreement, derived from the records the caller may see, now;
//! - `GET /api/v1/agreements/{id}/modules/{module}/records`: those records,
//!   a page at a time, of one kind or naming one record ([`page`]);
//! - `POST /api/v1/agreements/{id}/modules/{module}/actions/{action}`: the
//!   caller's partner authors the one record the action makes (201);
//! - `GET /api/v1/agreements/{id}/modules/{module}/files/{file}?of=ID`: a
//!   file the module offers (a report, a table), from its state ([`file`]).
//!
//! Records are read through the caller's release gate, and every answer
//! that carries or is derived from them is recorded in the release log; an
//! agreement the caller is no party to is "no such agreement", like one
//! that does not exist. The modules a node runs are the server's choice
//! (`server::modules::registered`, docs/modules.md), in [`Api::modules`].


use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::StixId;
use serde_json::{json, Map, Value};

use node::auth::Caller;
use crate::{Api, ApiError};

/// The module service (`node::modules`), as the handlers call it.
pub use ::node::modules::{act, act_at, act_signed, check_arrival, describe, find, inbox, page, state_json, view, view_at, Error, Listing, Modules, Node, Scope};

/// The parts of a server's state the module service uses.
pub fn node_of(state: &Api) -> Node {
    Node { store: state.store.clone(), agreements: state.agreements.clone(), log: state.log.clone(), limits: state.limits }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Module(partnership::Error::Invalid { .. }) => ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid record", e.to_string()),
            Error::Module(partnership::Error::Forbidden(m)) => ApiError::client(StatusCode::FORBIDDEN, "forbidden", m),
            Error::Module(partnership::Error::NotFound(m)) | Error::NotFound(m) => ApiError::not_found(m),
            Error::Conflict(m) => ApiError::client(StatusCode::CONFLICT, "conflict", m),
            Error::Store(s) => ApiError::from(s),
            Error::Log(m) => ApiError::internal(m),
        }
    }
}

/// `GET /api/v1/inbox`: what needs the caller's partner ([`inbox`]).
/// With the threads the caller has not read in full (`unread`: a
/// channel's messages, by the caller's token: `node::marks`).
pub(crate) async fn inbox_of(State(state): State<Api>, Extension(caller): Extension<Caller>) -> Result<Response, ApiError> {
    let (me, node, modules, registry, user) = (who(&caller)?, node_of(&state), state.modules.clone(), state.registry.clone(), caller.token_id.clone());
    let inbox = blocking(move || inbox(&node, &modules, &me, Some((&*registry, &user)), "api")).await?;
    Ok(Json(json!({ "inbox": inbox.needs, "unread": inbox.unread })).into_response())
}

/// `GET /api/v1/modules`.
pub(crate) async fn list(State(state): State<Api>) -> Json<Value> {
    Json(describe(&state.modules))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, Error> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("module task failed: {e}")))?.map_err(ApiError::from)
}

fn who(caller: &Caller) -> Result<StixId, ApiError> {
    Ok(caller.partner.clone())
}

/// `GET /api/v1/agreements/{id}/modules/{module}`: the module's state; to
/// a reader that is no party but is named by some of the module's records
/// (a dispute's mediator), exactly those records (`node::modules::named`).
pub(crate) async fn show(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (module, agreement, me, node) = (find(&state.modules, &name)?, crate::agreements::agreement_id(&agreement)?, who(&caller)?, node_of(&state));
    let json = blocking(move || match view(&node, &me, &agreement, &*module, "api") {
        Ok(scope) => Ok(state_json(&*module, &scope)),
        Err(Error::NotFound(_)) => Ok(::node::modules::named_json(&*module, &agreement, &me, &::node::modules::named(&node, &me, &agreement, &*module, "api")?)),
        Err(e) => Err(e),
    })
    .await?;
    Ok(Json(json).into_response())
}

/// `GET /api/v1/agreements/{id}/modules/{module}/records`: the versions of
/// the module's records under the agreement the caller may see, a page at
/// a time (`limit`, `next`), of one kind (`kind`) or naming one record
/// (`of`).
pub(crate) async fn records(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name)): Path<(String, String)>,
    QueryParams(params): QueryParams<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let bad = |m: String| ApiError::client(StatusCode::BAD_REQUEST, "bad query", m);
    let (module, agreement, me, node) = (find(&state.modules, &name)?, crate::agreements::agreement_id(&agreement)?, who(&caller)?, node_of(&state));
    let max = state.max_page_size;
    let limit = match params.get("limit") {
        None => max,
        Some(l) => l.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| bad("`limit` must be a positive integer".into()))?.min(max),
    };
    let of = params.get("of").map(|o| StixId::parse(o).map_err(|e| bad(format!("`of`: {e}")))).transpose()?;
    if let Some(kind) = params.get("kind").filter(|k| !module.kinds().contains(&k.as_str())) {
        return Err(bad(format!("`kind`: {kind} is not a record kind of {}", module.name())));
    }
    let mut fingerprint: Vec<(&String, &String)> = params.iter().filter(|(k, _)| k.as_str() != "next" && k.as_str() != "limit").collect();
    fingerprint.sort();
    let context = format!("module|{}|{agreement}|{name}|{fingerprint:?}", caller.partner);
    let after = match params.get("next") {
        Some(n) => Some(store::Cursor(store::DateAdded(state.cursors.open(n, &context).map_err(|e| bad(e.to_string()))?))),
        None => None,
    };
    let listing = Listing { kind: params.get("kind").cloned(), of, limit, after };
    let page = blocking(move || page(&node, &me, &agreement, &*module, &listing, "api")).await?;
    let next = page.next.map(|c| state.cursors.seal(c.0 .0, &context));
    let objects: Vec<Box<serde_json::value::RawValue>> = page.records.iter().filter_map(|r| serde_json::from_slice(&r.json).ok()).collect();
    Ok(Json(json!({ "records": objects, "more": page.more, "next": next })).into_response())
}

/// `POST /api/v1/agreements/{id}/modules/{module}/actions/{action}`: the
/// caller's partner authors the record the action makes from the JSON
/// body; 201 with the record.
pub(crate) async fn act_on(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name, action)): Path<(String, String, String)>,
    Json(input): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let (module, agreement, me, node) = (find(&state.modules, &name)?, crate::agreements::agreement_id(&agreement)?, who(&caller)?, node_of(&state));
    ::node::modules::may_act(&caller, &*module, &action)?;
    // Signed by the caller's party key where the module signs (a ratification).
    let keys = state.keys.clone();
    let object = blocking(move || act_signed(&node, &keys, &me, &agreement, &*module, &action, &input, "api")).await?;
    let record: Box<serde_json::value::RawValue> = serde_json::from_slice(object.json()).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(json!({ "record": record }))).into_response())
}

/// `GET /api/v1/agreements/{id}/modules/{module}/files/{file}?of=ID`: the
/// file in its media type (`node::modules::file`: from the module's state
/// as the caller's partner may see it, logged on channel `api`); parties
/// by the node's names for them. Downloaded, never run: HTML comes with a
/// policy that allows no script.
pub(crate) async fn file(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name, file)): Path<(String, String, String)>,
    QueryParams(params): QueryParams<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (module, agreement, me, node) = (find(&state.modules, &name)?, crate::agreements::agreement_id(&agreement)?, who(&caller)?, node_of(&state));
    let of = params.get("of").filter(|o| !o.is_empty()).cloned();
    let registry = state.registry.clone();
    let out = tokio::task::spawn_blocking(move || {
        let names: std::collections::HashMap<String, String> = registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
        let who = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
        ::node::modules::file(&node, &me, &agreement, &*module, &file, of.as_deref(), &who, "api")
    })
    .await
    .map_err(|e| ApiError::internal(format!("module file task failed: {e}")))??;
    let headers = [
        (axum::http::header::CONTENT_TYPE, out.media_type.to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", out.name)),
        (axum::http::header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'".to_owned()),
    ];
    Ok((headers, out.bytes).into_response())
}
