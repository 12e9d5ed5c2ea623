//! The REST API for detection and correlation: `POST /api/v1/detect`
//! (observations in, the caller's matching indicators out, sightings on
//! request), `GET /api/v1/observables/{type}/{value}` (who reported a
//! value) and `GET /api/v1/objects/{id}/observables` (an object's values
//! and who else reported them). Every indicator and object named in an
//! answer passed the caller's release decision and is in the release log.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use store::Role;

use super::partner;
use crate::auth::Caller;
use crate::detect::{self, Feed, Ready, Session};
use crate::release::Through;
use crate::{ApiError, AppState};

fn bad(description: impl Into<String>) -> ApiError {
    ApiError::client(StatusCode::BAD_REQUEST, "bad request", description)
}

fn flag(params: &HashMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true" | "1" | "yes") => Ok(Some(true)),
        Some("false" | "0" | "no") => Ok(Some(false)),
        Some(other) => Err(bad(format!("`{name}` must be true or false, not {other:?}"))),
    }
}

/// Reads observations from a body: one JSON document (a bundle, an array,
/// one object, or `{"observations": [...], "sight": bool}`) or JSON Lines
/// (each line an object or a bundle). Malformed lines are reported by number
/// and skipped.
pub(crate) fn read_body(body: &[u8], feed: &mut Feed, ready: &mut Vec<Ready>, sight: &mut Option<bool>) -> Vec<String> {
    let mut errors = Vec::new();
    if let Ok(doc) = serde_json::from_slice::<Value>(body) {
        match doc {
            Value::Object(mut m) if m.contains_key("observations") => {
                if let Some(s) = m.get("sight").and_then(Value::as_bool) {
                    sight.get_or_insert(s);
                }
                match m.remove("observations") {
                    Some(Value::Array(items)) => items.into_iter().for_each(|d| feed.push_document(d, ready)),
                    _ => errors.push("`observations` must be a list".into()),
                }
            }
            doc => feed.push_document(doc, ready),
        }
    } else {
        for (n, line) in body.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(doc) => feed.push_document(doc, ready),
                Err(e) => errors.push(format!("line {}: {e}", n + 1)),
            }
        }
    }
    feed.finish(ready);
    errors
}

/// `POST /api/v1/detect`: matches observations against the indicators the
/// caller may see. Query: `sight` (create a sighting per hit, for the
/// indicator's author; analyst role), `unindexed` (default true: also try
/// indicators that cannot be pre-selected by value).
pub(super) async fn detect(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if let Some(unknown) = params.keys().find(|k| !["sight", "unindexed"].contains(&k.as_str())) {
        return Err(bad(format!("unknown parameter `{unknown}`")));
    }
    if body.len() as u64 > state.taxii.max_content_length {
        return Err(ApiError::client(StatusCode::PAYLOAD_TOO_LARGE, "request too large", "the body is over the node's maximum content length"));
    }
    let mut sight = flag(&params, "sight")?;
    let unindexed = flag(&params, "unindexed")?.unwrap_or(true);
    let mut feed = Feed::default();
    let mut ready = Vec::new();
    let errors = read_body(&body, &mut feed, &mut ready, &mut sight);
    let sight = sight.unwrap_or(false);
    if sight && !may_sight(&caller) {
        return Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", "creating sightings needs the analyst role"));
    }
    let Detection { hits, totals, sightings, indicators } = detect_for(&state, &caller, ready, unindexed, sight, "api").await?;
    let list: Vec<Value> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let od = &h.observed_data;
            let mut v = json!({
                "indicator": h.indicator.id,
                "version": h.indicator.version,
                "agreement": h.agreement.as_ref().map(|a| a.to_string()),
                "observed_data": od.get("id"),
                "first_observed": od.get("first_observed"),
                "last_observed": od.get("last_observed"),
            });
            if let Some(Some(s)) = sightings.get(i) {
                v["sighting"] = json!(s);
            }
            v
        })
        .collect();
    let sightings: Vec<&String> = sightings.iter().flatten().collect();
    let indicators: Vec<Box<serde_json::value::RawValue>> =
        indicators.iter().filter_map(|r| serde_json::from_slice(&r.json).ok()).collect();
    Ok(Json(json!({
        "totals": totals,
        "hits": list,
        "indicators": indicators,
        "sightings": sightings,
        "errors": errors,
    }))
    .into_response())
}

/// Whether the caller's role may create sightings (the web pages follow it).
pub(crate) fn may_sight(caller: &Caller) -> bool {
    caller.can(Role::Analyst)
}

/// What one detection run found for a caller.
pub(crate) struct Detection {
    /// The hits, each on an indicator the caller may see as stored now.
    pub hits: Vec<detect::Hit>,
    /// What the run did.
    pub totals: detect::Totals,
    /// Each hit's sighting id, in the hits' order, when sightings were asked.
    pub sightings: Vec<Option<String>>,
    /// The indicators hit, once each (logged as released).
    pub indicators: Vec<store::Record>,
}

/// Matches observations against the indicators the caller may see (its
/// release gate before and after matching), creates a sighting per hit for
/// the indicator's author when `sight` (the caller's role is checked by the
/// handlers), and logs the indicators hit on `channel`: the REST API's and
/// the web pages' detection.
pub(crate) async fn detect_for(state: &AppState, caller: &Caller, ready: Vec<Ready>, unindexed: bool, sight: bool, channel: &str) -> Result<Detection, ApiError> {
    let me = partner(caller)?;
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let (store, indicators) = (state.store.clone(), state.indicators.clone());
    let run_reader = reader.clone();
    let (hits, totals, sightings) = crate::blocking(move || {
        indicators.refresh(&*store)?;
        let mut session = Session::new(&indicators, &*store, run_reader);
        session.unindexed = unindexed;
        let hits = session.run(&ready)?;
        let sightings = if sight {
            detect::record_sightings(&*store, &me, &hits).map_err(store::Error::Internal)?
        } else {
            Vec::new()
        };
        Ok((hits, session.totals, sightings))
    })
    .await?;
    let mut released: BTreeMap<String, store::Record> = BTreeMap::new();
    for h in &hits {
        released.entry(h.indicator.id.clone()).or_insert_with(|| h.indicator.clone());
    }
    let indicators: Vec<store::Record> = released.into_values().collect();
    crate::release_log::released(state, &reader, channel, &indicators)?;
    Ok(Detection { hits, totals, sightings, indicators })
}

/// `GET /api/v1/observables/{type}/{value}`: which partners reported the
/// value (normalised), first and last seen, the objects involved, counting
/// only what the caller may see. Noisy values (more than 100 objects) are
/// flagged and listed only with `noisy=true`.
pub(super) async fn observable(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((kind, value)): Path<(String, String)>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(unknown) = params.keys().find(|k| k.as_str() != "noisy") {
        return Err(bad(format!("unknown parameter `{unknown}`")));
    }
    let Some(kind) = pattern::observables::kind(&kind) else {
        return Err(ApiError::not_found(format!(
            "observables are of these types: {}",
            pattern::observables::KINDS.join(", ")
        )));
    };
    let (limit, noisy) = (detect::NOISY_DEFAULT, flag(&params, "noisy")?.unwrap_or(false));
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let (store, r) = (state.store.clone(), reader.clone());
    let (c, records) =
        crate::blocking(move || detect::correlate(&*store, &r, kind, &value, limit, noisy, detect::NOISY_CAP)).await?;
    crate::release_log::released(&state, &reader, "api", &records)?;
    Ok(Json(c).into_response())
}

/// `GET /api/v1/objects/{id}/observables`: the observables of an object the
/// caller may see, each with who reported it, and how many partners other
/// than its author reported any of them (`also_reported_by`).
pub(super) async fn of_object(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = model::StixId::parse(&id).map_err(|e| ApiError::not_found(format!("no such object ({e})")))?;
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let (store, r, key) = (state.store.clone(), reader.clone(), id.clone());
    let answer = crate::blocking(move || {
        let q = store::Query {
            ids: vec![key.to_string()],
            versions: store::Versions::LAST,
            gate: Some(r.gate()),
            ..store::Query::default()
        };
        let Some(latest) = store.query(&q)?.records.pop() else { return Ok(None) };
        let object = model::Object::parse(&latest.json, &model::Limits::default()).map_err(|e| store::Error::Internal(e.to_string()))?;
        let mut values = Vec::new();
        let mut seen = Vec::new();
        for o in object.observables() {
            let (c, records) = detect::correlate(&*store, &r, o.kind, &o.value, detect::NOISY_DEFAULT, false, 0)?;
            seen.extend(records);
            values.push(c);
        }
        let also = detect::also_reported_by(detect::author_of(&latest), &values);
        Ok(Some((latest, values, also, seen)))
    })
    .await?;
    let Some((latest, values, also, seen)) = answer else {
        crate::release_log::refused(&state, &reader, "api", &id)?;
        return Err(ApiError::not_found("no such object"));
    };
    crate::release_log::released(&state, &reader, "api", std::slice::from_ref(&latest))?;
    crate::release_log::released(&state, &reader, "api", &seen)?;
    Ok(Json(json!({ "id": id, "also_reported_by": also, "observables": values })).into_response())
}
