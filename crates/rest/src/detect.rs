//! The REST API for detection and correlation: `POST /api/v1/detect`
//! (observations in, the caller's matching indicators out, sightings on
//! request), `GET /api/v1/observables/{type}/{value}` (who reported a
//! value) and `GET /api/v1/objects/{id}/observables` (an object's values
//! and who else reported them). Every indicator and object named in an
//! answer passed the caller's release decision and is in the release log.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use node::auth::Caller;
use node::detect::{self, Feed, Ready};
use crate::detect_limits::{CancelOnDrop, Refused};
use node::release::Through;
use crate::{Api, ApiError};

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

/// Reads observations from a body (the node's, [`detect::read_body`]).
pub(crate) use detect::read_body;

/// `POST /api/v1/detect`: matches observations against the indicators the
/// caller may see. Query: `sight` (create a sighting per hit, for the
/// indicator's author; analyst role), `unindexed` (default true: also try
/// indicators that cannot be pre-selected by value).
pub(super) async fn detect(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if let Some(unknown) = params.keys().find(|k| !["sight", "unindexed"].contains(&k.as_str())) {
        return Err(bad(format!("unknown parameter `{unknown}`")));
    }
    if body.len() as u64 > state.max_content_length {
        return Err(ApiError::client(StatusCode::PAYLOAD_TOO_LARGE, "request too large", "the body is over the node's maximum content length"));
    }
    // Observations are JSON objects: in a bundle, a list, `{"observations": …}`, or one per line.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => {}
        first => {
            let what = if first.is_none() { "empty" } else { "not a JSON object or array" };
            return Err(bad(format!("the body is {what}: send observations (observed-data with its SCOs: a bundle, a list, one object, JSON Lines, or {{\"observations\": [...]}})")));
        }
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
    let Detection { hits, totals, sightings, indicators, set_aside } = match detect_for(&state, &caller, ready, unindexed, sight, "api").await {
        Ok(d) => d,
        // A refusal for want of a worker says when to come back.
        Err(e) if e.status() == StatusCode::TOO_MANY_REQUESTS => {
            return Ok(([(header::RETRY_AFTER, RETRY_AFTER)], e).into_response())
        }
        Err(e) => return Err(e),
    };
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
    let limits: Vec<Value> = set_aside
        .iter()
        .map(|a| json!({"limit": detect::Limit::IndicatorSteps, "indicator": a.indicator.id, "version": a.indicator.version, "observed_data": a.observed_data}))
        .collect();
    Ok(Json(json!({
        "complete": limits.is_empty(),
        "totals": totals,
        "hits": list,
        "indicators": indicators,
        "sightings": sightings,
        "limits": limits,
        "errors": errors,
    }))
    .into_response())
}

/// Seconds a caller refused for want of a worker is told to wait.
const RETRY_AFTER: &str = "2";

/// Whether the caller's role may create sightings (the node's rule).
pub(crate) use detect::may_sight;

/// What one detection run found for a caller.
pub(crate) use detect::Detection;

/// Matches observations against the indicators the caller may see (its
/// release gate before and after matching), creates a sighting per hit for
/// the indicator's author when `sight` (the caller's role is checked by the
/// handlers), and logs the indicators hit on `channel`: the REST API's and
/// the web pages' detection.
pub async fn detect_for(state: &Api, caller: &Caller, ready: Vec<Ready>, unindexed: bool, sight: bool, channel: &str) -> Result<Detection, ApiError> {
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let worker = state.detection.admit(caller.partner.as_str()).await.map_err(|r| match r {
        Refused::PartnerBusy => ApiError::client(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests",
            format!("your partner already runs {} detection requests at once; retry when one ends", state.detection.limits.per_partner),
        ),
        Refused::NodeBusy => ApiError::client(StatusCode::TOO_MANY_REQUESTS, "too many requests", "every detection worker of the node is busy; retry later"),
    })?;
    // Dropped with this future: when the client goes away, matching stops.
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancel.clone());
    let budget = state.detection.budget(cancel);
    let (node, indicators, channel) = (state.services(), state.indicators.clone(), channel.to_owned());
    let run_reader = reader.clone();
    let partner = caller.partner.clone();
    let ran = crate::service(move || {
        // Held while the work runs, even after the client went away (its
        // limits are counted then too).
        let _worker = worker;
        let ran = detect::request(&node, &indicators, &run_reader, &ready, unindexed, sight, budget, &channel)?;
        count_limits(&partner, &ran);
        Ok(ran)
    })
    .await?;
    match ran {
        detect::Ran::Done(d) => Ok(d),
        detect::Ran::Stopped { stop, .. } => Err(stopped_error(&state.detection.limits, &stop)),
    }
}

/// Counts and logs the limits a detection run met.
fn count_limits(partner: &policy::PartnerId, ran: &detect::Ran) {
    let set_aside = match ran {
        detect::Ran::Done(d) => &d.set_aside,
        detect::Ran::Stopped { set_aside, .. } => set_aside,
    };
    for a in set_aside {
        metrics::counter!("entente_detect_limited_total", "limit" => detect::Limit::IndicatorSteps.as_str()).increment(1);
        tracing::warn!(partner = %partner, indicator = %a.indicator.id, limit = "indicator_steps", "detection set an indicator aside");
    }
    if let detect::Ran::Stopped { stop, totals, .. } = ran {
        metrics::counter!("entente_detect_limited_total", "limit" => stop.limit.as_str()).increment(1);
        let indicator = stop.indicator.as_ref().map(|r| r.id.as_str()).unwrap_or("-");
        tracing::warn!(partner = %partner, indicator, limit = stop.limit.as_str(), steps = totals.steps, "detection request stopped");
    }
}

/// 422 for a request that went over its budget: which limit, and the
/// indicator and observation being matched when it did.
fn stopped_error(limits: &crate::detect_limits::DetectLimits, stop: &detect::Stopped) -> ApiError {
    let what = match stop.limit {
        detect::Limit::RequestTime => format!("its {} s of matching", limits.request_time.as_secs_f64()),
        detect::Limit::RequestSteps => format!("its {} matching steps", limits.request_steps),
        detect::Limit::IndicatorSteps => format!("{} matching steps of one indicator", limits.indicator_steps),
        detect::Limit::Cancelled => "its client (cancelled)".to_owned(),
    };
    let mut d = format!("detection limit exceeded ({}): the request went over {what}", stop.limit.as_str());
    if let Some(r) = &stop.indicator {
        d.push_str(&format!(" while matching indicator {}", r.id));
    }
    if let Some(od) = &stop.observed_data {
        d.push_str(&format!(" against {od}"));
    }
    d.push_str("; send fewer observations per request, or smaller number_observed");
    ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "detection limit exceeded", d)
}

/// `GET /api/v1/observables/{type}/{value}`: which partners reported the
/// value (normalised), first and last seen, the objects involved, counting
/// only what the caller may see. Noisy values (more than 100 objects) are
/// flagged and listed only with `noisy=true`.
pub(super) async fn observable(
    State(state): State<Api>,
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
    state.out(&reader, "api").records(records)?;
    Ok(Json(c).into_response())
}

/// `GET /api/v1/objects/{id}/observables`: the observables of an object the
/// caller may see, each with who reported it, and how many partners other
/// than its author reported any of them (`also_reported_by`).
pub(super) async fn of_object(
    State(state): State<Api>,
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
        return Err(state.out(&reader, "api").refuse(&id, "no such object").into());
    };
    state.out(&reader, "api").record(latest, "no such object")?;
    state.out(&reader, "api").records(seen)?;
    Ok(Json(json!({ "id": id, "also_reported_by": also, "observables": values })).into_response())
}
