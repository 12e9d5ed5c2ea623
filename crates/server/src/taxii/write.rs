//! The TAXII write endpoints: add objects (202 and a status resource),
//! delete an object's versions, and poll a status.
//!
//! An add is validated object by object: valid objects are stored, invalid
//! ones are reported as failures with the object and property at fault, and
//! a re-added identical version is a success. The caller's partner must be
//! the author: `created_by_ref` naming anyone else, or a new version of an
//! object another partner authored, is a failure.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use serde_json::value::RawValue;
use store::{Outcome, Versions};
use taxii::{Endpoint, Filter, Status, StatusDetail};

use super::read::object_id;
use super::{collection_for, taxii_json, Target, TaxiiError};
use crate::auth::Caller;
use crate::AppState;

#[derive(serde::Deserialize)]
struct EnvelopeIn<'a> {
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

fn status_response(code: StatusCode, status: &Status) -> Response {
    taxii_json(code, serde_json::to_vec(status).unwrap_or_default())
}

pub(super) async fn add_objects(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let access = collection_for(&state, &caller, &cid).await?;
    if !access.can_write {
        return Err(TaxiiError::forbidden("the caller may not add objects to this collection"));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if !taxii::is_taxii_content_type(content_type) {
        return Err(TaxiiError::unsupported_media_type());
    }
    let limit = state.taxii.max_content_length;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(TaxiiError::too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit as usize).await.map_err(|_| TaxiiError::too_large(limit))?;

    // The envelope must be JSON with an `objects` list; its items are checked one by one.
    let raws: Vec<Box<RawValue>> = {
        let value: &RawValue = serde_json::from_slice(&bytes)
            .map_err(|e| TaxiiError::bad_request(format!("the body is not JSON: {e}")))?;
        // An envelope is a JSON object: serde would read a struct from an
        // array too (`[[...]]` as `{"objects": [...]}`).
        if !value.get().starts_with('{') {
            return Err(TaxiiError::unprocessable("the body is not a TAXII envelope: expected a JSON object with an `objects` list"));
        }
        let env: EnvelopeIn<'_> = serde_json::from_str(value.get())
            .map_err(|e| TaxiiError::unprocessable(format!("the body is not a TAXII envelope: {e}")))?;
        let objects = env.objects.ok_or_else(|| TaxiiError::unprocessable("the envelope has no `objects` list"))?;
        objects.into_iter().map(|r| r.to_owned()).collect()
    };

    let now = model::Timestamp::now();
    let status_id = uuid::Uuid::new_v4().to_string();
    let status = Status {
        id: status_id.clone(),
        status: "pending".into(),
        request_timestamp: now.to_string(),
        total_count: raws.len() as u64,
        success_count: 0,
        successes: Vec::new(),
        failure_count: 0,
        failures: Vec::new(),
        pending_count: raws.len() as u64,
        pendings: Vec::new(),
    };
    // The status is stored once, complete, when the add finishes within
    // `add_wait`: one durable write, not two. Otherwise the pending status is
    // stored for the client to poll; `finished` orders the two writes, so
    // a pending status never overwrites the complete one. The pending status
    // lists the request's objects, so that a restart can resolve it from the
    // store if this process stops first (`pending::resolve_pending`).
    let finished = std::sync::Arc::new(std::sync::Mutex::new(false));
    let owner = caller.partner.to_string();
    let raws = std::sync::Arc::new(raws);
    let mut pending = status.clone();
    let (node, registry) = (state.services(), state.registry.clone());
    let target = access.target.clone();
    let indicators = state.indicators.clone();
    let (done_flag, own, requested) = (finished.clone(), caller.partner.clone(), raws.clone());
    let mut work = tokio::task::spawn_blocking(move || {
        let done = process(&node, &target, &own, &requested, status);
        if let Ok((s, changed)) = &done {
            if changed.shares {
                indicators.invalidate();
            }
            let bytes = serde_json::to_vec(s).unwrap_or_default();
            let mut written = done_flag.lock().unwrap_or_else(|p| p.into_inner());
            registry.put_status(&s.id, own.as_str(), &bytes)?;
            *written = true;
        }
        done.map(|(s, _)| s)
    });
    match tokio::time::timeout(state.taxii.add_wait, &mut work).await {
        Ok(joined) => {
            let done = joined.map_err(TaxiiError::internal)??;
            Ok(status_response(StatusCode::ACCEPTED, &done))
        }
        Err(_) => {
            // Still working: store and answer the pending status; the work
            // goes on. If it finished meanwhile, its status is the answer.
            let registry = state.registry.clone();
            let body = crate::blocking(move || {
                pending.pendings = super::pending::pendings(&raws);
                let pending = serde_json::to_vec(&pending).unwrap_or_default();
                let written = finished.lock().unwrap_or_else(|p| p.into_inner());
                if *written {
                    return Ok(registry.status(&status_id)?.map(|(_, b)| b).unwrap_or_default());
                }
                registry.put_status(&status_id, &owner, &pending)?;
                drop(written);
                Ok(pending)
            })
            .await?;
            Ok(taxii_json(StatusCode::ACCEPTED, body))
        }
    }
}

/// What a batch changed that cached release inputs depend on (the
/// agreements' index is forgotten by the write path itself).
struct Changed {
    /// Versions already stored were shared under one more agreement.
    shares: bool,
}

/// Validates and stores the objects of one add request through the one
/// write path for partner input ([`node::write`]).
fn process(node: &node::Node, target: &Target, partner: &policy::PartnerId, raws: &[Box<RawValue>], mut status: Status) -> store::Result<(Status, Changed)> {
    let (collection, shares) = match target {
        Target::Registry(c) => (Some(c.clone()), Vec::new()),
        Target::Agreement(a) => (None, vec![a.to_string()]),
        Target::Everything | Target::Module(..) => (None, Vec::new()),
    };
    let to = node::write::To { collection, shares, author_unnamed: false };
    let input: Vec<&[u8]> = raws.iter().map(|r| r.get().as_bytes()).collect();
    let fates = node.put_from(partner, &input, &to)?;
    let mut offered = Vec::with_capacity(fates.len());
    for (i, (raw, fate)) in raws.iter().zip(fates).enumerate() {
        match fate {
            node::write::Fate::Offered(o, outcome) => offered.push((o, outcome)),
            node::write::Fate::Invalid(message) => {
                let id = serde_json::from_str::<serde_json::Value>(raw.get())
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                    .filter(|id| model::StixId::parse(id).is_ok())
                    .unwrap_or_else(|| format!("objects[{i}]"));
                status.failures.push(StatusDetail { id, version: String::new(), message: Some(message) });
            }
        }
    }
    let changed = Changed { shares: !to.shares.is_empty() && offered.iter().any(|(_, o)| matches!(o, Outcome::Unchanged(_))) };
    for (obj, outcome) in offered {
        let version = obj.version().map(|v| v.to_string()).unwrap_or_default();
        let id = obj.id().to_string();
        match outcome {
            Outcome::Added(_) => status.successes.push(StatusDetail { id, version, message: None }),
            Outcome::Unchanged(_) => {
                status.successes.push(StatusDetail { id, version, message: Some("already stored".into()) })
            }
            Outcome::Conflict(m) | Outcome::NotAuthor(m) => {
                status.failures.push(StatusDetail { id, version, message: Some(m) })
            }
        }
    }
    metrics::counter!("entente_objects_ingested_total", "path" => "taxii").increment(status.successes.len() as u64);
    status.success_count = status.successes.len() as u64;
    status.failure_count = status.failures.len() as u64;
    status.pending_count = 0;
    status.status = "complete".into();
    Ok((status, changed))
}

pub(super) async fn delete_object(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, oid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, TaxiiError> {
    let id = object_id(&oid)?;
    let access = collection_for(&state, &caller, &cid).await?;
    if !access.can_read {
        return Err(TaxiiError::forbidden("the caller may not read this collection"));
    }
    let filter = Filter::parse(q.as_deref().unwrap_or(""), Endpoint::Object).map_err(|e| TaxiiError::bad_request(e.to_string()))?;
    let node_admin = caller.node_admin;
    let store = state.store.clone();
    // What the caller may see of the object here (the node's administrator
    // sees what is stored): anything else answers 404, as if absent.
    let query = store::Query {
        ids: vec![id.to_string()],
        versions: Versions::ALL,
        collection: access.target.store_collection(),
        gate: (!node_admin).then(|| access.reader.gate()),
        ..store::Query::default()
    };
    let held = crate::blocking(move || {
        let mut held = Vec::new();
        store.scan(&query, &mut |r| {
            held.push(r);
            Ok(())
        })?;
        Ok(held)
    })
    .await?;
    if held.is_empty() {
        return Err(TaxiiError::not_found("no such object in this collection"));
    }
    // Only the author (or the node's administrator) removes an object.
    let author = held.iter().find_map(|r| r.created_by_ref.clone().or_else(|| r.posted_by.clone()));
    let is_author = author.as_deref() == Some(caller.partner.as_str());
    if matches!(access.target, Target::Module(..)) {
        return Err(TaxiiError::forbidden("a crisis's collection is read-only: delete from its agreement's collection"));
    }
    if !(node_admin || access.can_write && is_author) {
        return Err(TaxiiError::forbidden("only the object's author may delete it"));
    }
    // The versions the filters select, among those the collection holds.
    let selection = super::read::versions_of(&filter, Versions::ALL);
    let (first, last) = (held.iter().map(|r| r.version_micros).min(), held.iter().map(|r| r.version_micros).max());
    let doomed: Vec<model::Timestamp> = held
        .iter()
        .filter(|r| selection.selects(Some(r.version_micros) == first, Some(r.version_micros) == last, r.version_micros))
        .filter(|r| filter.spec_versions.is_empty() || filter.spec_versions.contains(&r.spec_version))
        .map(|r| model::Timestamp::from_micros(r.version_micros))
        .collect();
    if doomed.is_empty() {
        return Err(TaxiiError::not_found("no version of this object matches the filters"));
    }
    let store = state.store.clone();
    let versions = Versions { all: false, first: false, last: false, at: doomed };
    let collection = match &access.target {
        // Deleting from the everything collection deletes the versions.
        Target::Everything => None,
        other => other.store_collection(),
    };
    crate::blocking(move || store.delete(&id, &versions, collection.as_deref())).await?;
    // The detector holds release facts of indicator versions, and the
    // agreements' index may have lost a record: reread them.
    state.indicators.invalidate();
    state.services().records_changed();
    Ok(taxii_json(StatusCode::OK, Vec::new()))
}

pub(super) async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(status_id): Path<String>,
) -> Result<Response, TaxiiError> {
    let registry = state.registry.clone();
    let found = crate::blocking(move || registry.status(&status_id)).await?;
    match found {
        Some((owner, body)) if owner == caller.partner.as_str() => Ok(taxii_json(StatusCode::OK, body)),
        _ => Err(TaxiiError::not_found("no such status")),
    }
}
