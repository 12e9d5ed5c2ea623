//! `GET /api/v1/agreements/{id}/scorecard?window=DAYS&at=TIMESTAMP`: the
//! partnership scorecard as the caller's partner sees it
//! (`node::scorecard`, docs/assessment.md), evidence read through the
//! caller's release gate and logged on the channel `api`. An agreement the
//! caller's partner is no party to answers 404, like one that does not
//! exist; a malformed `window`, `at` or `evidence` answers 400 naming it.
//! Each figure lists the first `evidence` ids it counted (default 100) and
//! `evidence_total`; the page's drill-down lists them all.
//! `…/scorecard/report?format=pdf|html`: the report for a review board.

use std::collections::HashMap;

use axum::extract::{Path, Query as QueryParams, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use node::auth::Caller;
use crate::modules::{node_of, Error};
use crate::{Api, ApiError};

/// The scorecard as JSON: the agreement, the viewer, `at` as a timestamp,
/// and the scorecard's own fields (`scorecard::Scorecard`); every figure's
/// `evidence` cut to its first `evidence` ids (all with `None`), with
/// `evidence_total` saying how many it counted (the figure's own when it
/// lists a page already: `node::scorecard::Lists::First`).
pub fn to_json(agreement: &str, viewer: &str, card: &scorecard::Scorecard, evidence: Option<usize>) -> Value {
    let mut v = serde_json::to_value(card).unwrap_or_else(|_| json!({}));
    v["agreement"] = json!(agreement);
    v["viewer"] = json!(viewer);
    v["at"] = json!(model::Timestamp::from_micros(card.at).to_string());
    for group in ["parties", "pairs"] {
        for row in v[group].as_array_mut().into_iter().flatten() {
            for figure in row["figures"].as_array_mut().into_iter().flatten() {
                // A page's total is the figure's own; a whole list's, its length.
                let paged = figure["evidence_total"].as_u64().map(|t| t as usize);
                if let Some(ids) = figure["evidence"].as_array_mut() {
                    let total = paged.unwrap_or(ids.len());
                    if let Some(most) = evidence {
                        ids.truncate(most);
                    }
                    figure["evidence_total"] = json!(total);
                }
            }
        }
    }
    v
}

/// How many evidence ids a figure lists over REST unless asked otherwise
/// (`evidence=`, at most [`MOST_EVIDENCE`]): a year of evidence lists
/// tens of thousands of ids, megabytes a figure.
pub const DEFAULT_EVIDENCE: usize = 100;

/// The most evidence ids a figure lists over REST.
pub const MOST_EVIDENCE: usize = 10_000;

/// The `window` and `at` of a scorecard query: 400 naming the one at fault.
fn ask_of(params: &HashMap<String, String>) -> Result<::node::scorecard::Ask, ApiError> {
    ::node::scorecard::Ask::parse(params.get("window").map(String::as_str), params.get("at").map(String::as_str)).map_err(|e| match e {
        Error::Module(partnership::Error::Invalid { property, reason, .. }) => ApiError::client(StatusCode::BAD_REQUEST, "bad query", format!("`{property}` {reason}")),
        other => ApiError::from(other),
    })
}

/// The handler.
pub(crate) async fn show(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(agreement): Path<String>,
    QueryParams(params): QueryParams<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let agreement = crate::agreements::agreement_id(&agreement)?;
    let ask = ask_of(&params)?;
    let evidence = match params.get("evidence") {
        None => DEFAULT_EVIDENCE,
        Some(n) => n.parse::<usize>().ok().filter(|n| *n <= MOST_EVIDENCE).ok_or_else(|| ApiError::client(StatusCode::BAD_REQUEST, "bad query", format!("`evidence` must be a number of ids from 0 to {MOST_EVIDENCE}")))?,
    };
    let (me, node, modules) = (caller.partner.clone(), node_of(&state), state.modules.clone());
    let card = tokio::task::spawn_blocking(move || {
        let card = ::node::scorecard::listing(&node, &modules, &me, &agreement, &ask, "api", ::node::scorecard::Lists::First(evidence))?;
        Ok::<_, Error>(to_json(agreement.as_str(), me.as_str(), &card, Some(evidence)))
    })
    .await
    .map_err(|e| ApiError::internal(format!("scorecard task failed: {e}")))?
    .map_err(ApiError::from)?;
    Ok(Json(card).into_response())
}

/// `GET /api/v1/agreements/{id}/scorecard/report?format=pdf|html&window=…&at=…`:
/// the report for a review board (`node::scorecard::report`: summary, what
/// changed since the caller's partner's last snapshot, indicators, pairs,
/// trends, actions) as a PDF (the default) or one self-contained HTML page;
/// read and logged like the scorecard (channel `api`). A bad `format`,
/// `window` or `at` answers 400 naming it.
pub(crate) async fn report(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(agreement): Path<String>,
    QueryParams(params): QueryParams<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    use ::node::scorecard::report::{self, Format};
    let agreement = crate::agreements::agreement_id(&agreement)?;
    let format = match params.get("format").map(String::as_str) {
        None => Format::Pdf,
        Some(f) => Format::parse(f).ok_or_else(|| ApiError::client(StatusCode::BAD_REQUEST, "bad query", "`format` must be pdf or html".to_owned()))?,
    };
    let ask = ask_of(&params)?;
    let (me, node, modules, registry) = (caller.partner.clone(), node_of(&state), state.modules.clone(), state.registry.clone());
    let (body, name) = tokio::task::spawn_blocking(move || {
        let review = report::review(&node, &modules, &me, &agreement, &ask, "api")?;
        let names = registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
        Ok::<_, Error>((report::render(&review, &names, format), report::file_name(&review, format)))
    })
    .await
    .map_err(|e| ApiError::internal(format!("scorecard report task failed: {e}")))?
    .map_err(ApiError::from)?;
    let headers = [
        (axum::http::header::CONTENT_TYPE, format.media_type().to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        (axum::http::header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'".to_owned()),
    ];
    Ok((headers, body).into_response())
}
