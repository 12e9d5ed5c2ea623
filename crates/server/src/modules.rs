//! The partnership modules this node runs, and the REST endpoints the kit
//! gives each of them through the one read and write path:
//!
//! - `GET /api/v1/modules`: the modules, their record kinds and actions;
//! - `GET /api/v1/agreements/{id}/modules/{module}`: the module's state for
//!   the agreement, derived from the records the caller may see, now;
//! - `GET /api/v1/agreements/{id}/modules/{module}/records`: those records;
//! - `POST /api/v1/agreements/{id}/modules/{module}/actions/{action}`: the
//!   caller's partner authors the one record the action makes (201).
//!
//! Records are read through the caller's release gate and every response
//! that carries or is derived from them is recorded in the release log
//! (channel `api`); an agreement the caller is no party to answers 404
//! like one that does not exist. Adding a module is one line in
//! [`registered`] (docs/modules.md).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::{StixId, Timestamp};
use partnership::{Context, Module, Record, Records};
use serde_json::{json, Map, Value};
use store::{Outcome, PutOptions, Query, Versions};

use crate::auth::Caller;
use crate::release::Through;
use crate::{ApiError, AppState};

/// The modules a node runs, shared by every request.
pub type Modules = Arc<[Arc<dyn Module>]>;

/// The partnership modules of this build: one line each.
pub fn registered() -> Modules {
    let modules: Vec<Arc<dyn Module>> = vec![];
    modules.into()
}

impl From<partnership::Error> for ApiError {
    fn from(e: partnership::Error) -> Self {
        match e {
            partnership::Error::Invalid { .. } => ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "invalid record", e.to_string()),
            partnership::Error::Forbidden(m) => ApiError::client(StatusCode::FORBIDDEN, "forbidden", m),
            partnership::Error::NotFound(m) => ApiError::not_found(m),
        }
    }
}

fn module(state: &AppState, name: &str) -> Result<Arc<dyn Module>, ApiError> {
    state.modules.iter().find(|m| m.name() == name).cloned().ok_or_else(|| ApiError::not_found(format!("no module `{name}`")))
}

/// `GET /api/v1/modules`.
pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    let modules: Vec<Value> = state
        .modules
        .iter()
        .map(|m| {
            let actions: Vec<Value> = m.actions().iter().map(|a| json!({ "name": a.name, "about": a.about, "kind": a.kind })).collect();
            json!({ "name": m.name(), "about": m.about(), "kinds": m.kinds(), "actions": actions })
        })
        .collect();
    Json(json!({ "modules": modules }))
}

/// What an action or a view needs: the caller, the agreement as it stands
/// now, and the module's records the caller may see (their release logged).
struct Scope {
    me: StixId,
    agreement: policy::Agreement,
    state: policy::AgreementState,
    now: Timestamp,
    records: Records,
    stored: Vec<store::Record>,
}

impl Scope {
    fn ctx(&self) -> Context<'_> {
        Context { me: &self.me, now: self.now.clone(), agreement: &self.agreement, state: &self.state }
    }
}

async fn scope(state: &AppState, caller: &Caller, agreement: &str, module: &dyn Module) -> Result<Scope, ApiError> {
    let me = StixId::parse(&caller.partner).map_err(ApiError::internal)?;
    let id = crate::api::agreement_id(agreement)?;
    let index = state.agreement_index().await?;
    let now = Timestamp::now();
    // Need-to-know: the agreement exists for the caller only if it is a
    // party to its latest version (or its author), as on every other path.
    let Some(latest) = index.agreement(&id).filter(|a| a.is_party(&me) || a.author == me).cloned() else {
        return Err(ApiError::not_found("no such agreement"));
    };
    let agreement_state = index.state(&id, &now);
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let query = Query { types: module.kinds().iter().map(|k| (*k).to_owned()).collect(), versions: Versions::ALL, gate: Some(reader.gate()), ..Query::default() };
    let store = state.store.clone();
    let limits = state.limits.clone();
    let wanted = id.clone();
    let (stored, records) = crate::blocking(move || {
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        store.scan(&query, &mut |r| {
            // A record the node holds but cannot read as one is left out (it
            // was refused at the edge; nothing else could have stored it).
            if let Some(record) = model::Object::parse(&r.json, &limits).ok().and_then(|o| Record::from_object(&o).ok()) {
                if record.agreement == wanted {
                    records.push(record);
                    stored.push(r);
                }
            }
            Ok(())
        })?;
        Ok((stored, records))
    })
    .await?;
    crate::release_log::released(state, &reader, "api", &stored)?;
    Ok(Scope { me, agreement: latest, state: agreement_state, now, records: Records::new(records), stored })
}

/// `GET /api/v1/agreements/{id}/modules/{module}`: the module's state.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let module = module(&state, &name)?;
    let scope = scope(&state, &caller, &agreement, &*module).await?;
    let view = module.state(&scope.records, &scope.ctx());
    Ok(Json(json!({
        "module": module.name(),
        "agreement": scope.agreement.id.as_str(),
        "at": scope.now.to_string(),
        "records": scope.records.len(),
        "state": view,
    }))
    .into_response())
}

/// `GET /api/v1/agreements/{id}/modules/{module}/records`: every version
/// of the module's records under the agreement the caller may see.
pub(crate) async fn records(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let module = module(&state, &name)?;
    let scope = scope(&state, &caller, &agreement, &*module).await?;
    let objects: Vec<Box<serde_json::value::RawValue>> = scope.stored.iter().filter_map(|r| serde_json::from_slice(&r.json).ok()).collect();
    Ok(Json(json!({ "records": objects })).into_response())
}

/// `POST /api/v1/agreements/{id}/modules/{module}/actions/{action}`: the
/// caller's partner authors the record the action makes from the JSON
/// body; 201 with the record.
pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((agreement, name, action)): Path<(String, String, String)>,
    Json(input): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    if !caller.can(store::Role::Analyst) {
        return Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", "partnership actions need the analyst, liaison or admin role"));
    }
    let module = module(&state, &name)?;
    let scope = scope(&state, &caller, &agreement, &*module).await?;
    let object = partnership::author(&*module, &action, &input, &scope.records, &scope.ctx())?;
    let store = state.store.clone();
    let options = PutOptions { posted_by: Some(scope.me.to_string()), only_author: true, ..PutOptions::default() };
    let stored = object.clone();
    let outcome = crate::blocking(move || store.put(std::slice::from_ref(&stored), &options)).await?;
    match outcome.first() {
        Some(Outcome::Added(_)) => {}
        Some(Outcome::Unchanged(_)) => {}
        Some(Outcome::Conflict(why) | Outcome::NotAuthor(why)) => return Err(ApiError::client(StatusCode::CONFLICT, "conflict", why.clone())),
        None => return Err(ApiError::internal("the store answered nothing for one record")),
    }
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let record: Box<serde_json::value::RawValue> = serde_json::from_slice(object.json()).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut items = audit::Items::with_capacity(1);
    items
        .push_stored(object.id().as_str(), object.version().map(Timestamp::as_str).unwrap_or_default(), None)
        .map_err(ApiError::internal)?;
    crate::release_log::released_items(&state, &reader, "api", items)?;
    Ok((StatusCode::CREATED, Json(json!({ "record": record }))).into_response())
}
