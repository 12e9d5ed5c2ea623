//! Partners and peers: `GET /api/v1/partners` (need to know), `POST
//! /api/v1/partners` and `GET /api/v1/peers` (the node's administrator).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::Timestamp;
use node::auth::Caller;
use serde_json::{json, Value};

use crate::{Api, ApiError};

/// The partners `caller` may know of — need to know: its own, the node's,
/// and those it shares an agreement with (as the agreements it may see name
/// them). The node's administrator knows all. The web's partners page
/// shows the same list.
pub(crate) async fn partners_known_to(state: &Api, caller: &Caller) -> Result<Vec<store::PartnerRecord>, ApiError> {
    let registry = state.registry.clone();
    let all = crate::blocking(move || registry.partners()).await?;
    let index = state.agreement_index().await?;
    Ok(node::partners::known_to(all, &index, caller, &state.node.partner))
}

/// `GET /api/v1/partners`: the partners the caller may know of ([`partners_known_to`]).
pub(crate) async fn list(State(state): State<Api>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = partners_known_to(&state, &caller)
        .await?
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.name, "hosted": p.hosted, "node": p.id == state.node.partner }))
        .collect();
    Ok(Json(json!({ "partners": list })))
}

/// `GET /api/v1/peers` (admin of the node's own partner): the nodes this
/// node pulls from, without their credentials.
pub(crate) async fn peers(State(state): State<Api>, Extension(caller): Extension<Caller>) -> Result<Json<Value>, ApiError> {
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
pub(crate) struct NewPartner {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    identity: Option<Value>,
}

/// `POST /api/v1/partners` (admin of the node's own partner).
pub(crate) async fn add(
    State(state): State<Api>,
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
            crate::blocking(move || node::identity::add_hosted_partner(&*store, &*registry, &keys, &name)).await?
        }
        (None, Some(identity)) => {
            let object = model::Object::from_value(identity).map_err(|e| unprocessable(format!("`identity`: {e}")))?;
            node::identity::check_known_partner(&object).map_err(unprocessable)?;
            crate::blocking(move || node::identity::add_known_partner(&*store, &*registry, &object)).await?
        }
        _ => return Err(unprocessable("give either `name` (a hosted partner) or `identity` (a known partner)".into())),
    };
    state.services().records_changed();
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}
