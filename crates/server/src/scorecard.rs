//! `GET /api/v1/agreements/{id}/scorecard?window=DAYS&at=TIMESTAMP`: the
//! partnership scorecard as the caller's partner sees it
//! (`node::scorecard`, docs/assessment.md), evidence read through the
//! caller's release gate and logged on the channel `api`. An agreement the
//! caller's partner is no party to answers 404, like one that does not
//! exist; a malformed `window` or `at` answers 400 naming it.

use std::collections::HashMap;

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::modules::{node_of, Error};
use crate::{ApiError, AppState};

/// The scorecard as JSON: the agreement, the viewer, `at` as a timestamp,
/// and the scorecard's own fields (`scorecard::Scorecard`).
pub fn to_json(agreement: &str, viewer: &str, card: &scorecard::Scorecard) -> Value {
    let mut v = serde_json::to_value(card).unwrap_or_else(|_| json!({}));
    v["agreement"] = json!(agreement);
    v["viewer"] = json!(viewer);
    v["at"] = json!(model::Timestamp::from_micros(card.at).to_string());
    v
}

/// The handler.
pub(crate) async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(agreement): Path<String>,
    QueryParams(params): QueryParams<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let agreement = crate::api::agreement_id(&agreement)?;
    let ask = ::node::scorecard::Ask::parse(params.get("window").map(String::as_str), params.get("at").map(String::as_str)).map_err(|e| match e {
        Error::Module(partnership::Error::Invalid { property, reason, .. }) => ApiError::client(StatusCode::BAD_REQUEST, "bad query", format!("`{property}` {reason}")),
        other => ApiError::from(other),
    })?;
    let (me, node, modules) = (caller.partner.clone(), node_of(&state), state.modules.clone());
    let card = tokio::task::spawn_blocking(move || {
        let card = ::node::scorecard::scorecard(&node, &modules, &me, &agreement, &ask, "api")?;
        Ok::<_, Error>(to_json(agreement.as_str(), me.as_str(), &card))
    })
    .await
    .map_err(|e| ApiError::internal(format!("scorecard task failed: {e}")))?
    .map_err(ApiError::from)?;
    Ok(Json(card).into_response())
}
