//! The REST API for intelligence: search, one object, its versions, the
//! release explanation, and sharing (adding objects under agreements).
//!
//! Every read goes through the caller's release gate
//! ([`node::release::Reader`]), and every response that carries objects is
//! recorded in the release log: the API is one more path out of the node.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::{StixId, Timestamp};
use serde_json::{json, value::RawValue, Value};
use store::{Cursor, DateAdded, Versions};

use node::auth::Caller;
use node::release::{self, Reader, Through};
use node::read::Released;
use crate::{Api, ApiError};

fn bad(description: impl Into<String>) -> ApiError {
    ApiError::client(StatusCode::BAD_REQUEST, "bad request", description)
}

fn list_param(params: &HashMap<String, String>, name: &str) -> Vec<String> {
    params
        .get(name)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Parses a stored JSON object for a response (stored bytes are valid JSON).
fn raw(json: &[u8]) -> Box<RawValue> {
    serde_json::from_slice(json).unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"))
}

/// `GET /api/v1/objects`: the caller's view of the store, filtered and paged.
/// Parameters: `type`, `id`, `author` (comma lists), `added_after`,
/// `versions` (`last` default, `all`, `first`: the latest and earliest the
/// caller may see), `limit` (≤ the TAXII maximum), `next` (from a previous
/// page).
pub(super) async fn search(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(unknown) = params
        .keys()
        .find(|k| !["type", "id", "author", "added_after", "versions", "limit", "next"].contains(&k.as_str()))
    {
        return Err(bad(format!("unknown parameter `{unknown}`")));
    }
    let max = state.max_page_size;
    let limit = match params.get("limit") {
        None => max,
        Some(l) => l.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| bad("`limit` must be a positive integer"))?.min(max),
    };
    let added_after = match params.get("added_after") {
        None => None,
        Some(t) => Some(Timestamp::parse(t).map_err(|e| bad(format!("`added_after`: {e}")))?.micros()),
    };
    let versions = match params.get("versions").map(String::as_str) {
        None | Some("last") => Versions::LAST,
        Some("all") => Versions::ALL,
        Some("first") => Versions::FIRST,
        Some(other) => return Err(bad(format!("`versions` must be last, first or all, not `{other}`"))),
    };
    let ids = list_param(&params, "id");
    if let Some(bad_id) = ids.iter().find(|i| StixId::parse(i).is_err()) {
        return Err(bad(format!("`id`: `{bad_id}` is not a STIX id")));
    }
    let mut fingerprint: Vec<(&String, &String)> = params.iter().filter(|(k, _)| k.as_str() != "next" && k.as_str() != "limit").collect();
    fingerprint.sort();
    let context = format!("api|{}|{fingerprint:?}", caller.partner);
    let after = match params.get("next") {
        Some(n) => Some(Cursor(DateAdded(state.cursors.open(n, &context).map_err(|e| bad(e.to_string()))?))),
        None => None,
    };
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    // By arrival, as the everything collection (docs/taxii.md): what
    // entered into force anew is re-offered first.
    let through = reader.read_by_arrival(state.store.clone());
    let st = state.clone();
    let reoffer = through.clone();
    crate::blocking(move || st.agreements.reoffer(&*st.store, &reoffer)).await?;
    let query = store::Query {
        types: list_param(&params, "type"),
        ids,
        authors: list_param(&params, "author"),
        added_after,
        versions,
        limit: Some(limit),
        after,
        through,
        ..store::Query::default()
    };
    let page = visible_page(&state, &reader, query, "api").await?.into_inner();
    let next = page.next.map(|c| state.cursors.seal(c.0 .0, &context));
    let objects: Vec<Box<RawValue>> = page.records.iter().map(|r| raw(&r.json)).collect();
    Ok(Json(json!({ "objects": objects, "more": page.more, "next": next })).into_response())
}

/// One page of `query` as the reader may see it (its gate set here, so
/// refused versions never count towards the page), the release logged on
/// `channel`: the search of the REST API and of the web pages.
pub(crate) async fn visible_page(state: &Api, reader: &Arc<Reader>, query: store::Query, channel: &'static str) -> Result<Released<store::Page>, ApiError> {
    let (st, reader) = (state.clone(), reader.clone());
    crate::service(move || st.out(&reader, channel).page(&*st.store, query)).await
}

/// Every version of one object the reader may see, oldest first, released
/// on `channel`; 404 (and the refusal logged) when there is none. The web
/// pages read objects through it too.
pub(crate) async fn visible_versions(state: &Api, reader: &Arc<Reader>, id: &StixId, channel: &'static str) -> Result<Released<Vec<store::Record>>, ApiError> {
    let (st, reader, id) = (state.clone(), reader.clone(), id.clone());
    crate::service(move || st.out(&reader, channel).versions(&*st.store, &id, "no such object")).await
}

fn object_id(raw: &str) -> Result<StixId, ApiError> {
    StixId::parse(raw).map_err(|_| ApiError::not_found("no such object"))
}

/// `GET /api/v1/objects/{id}`: the latest version the caller may see.
pub(super) async fn show(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = object_id(&id)?;
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let st = state.clone();
    let latest = crate::service(move || st.out(&reader, "api").latest(&*st.store, &id, "no such object")).await?.into_inner();
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], latest.json).into_response())
}

/// `GET /api/v1/objects/{id}/versions`: every version the caller may see.
pub(super) async fn versions(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = object_id(&id)?;
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let versions = visible_versions(&state, &reader, &id, "api").await?;
    let list: Vec<Value> = versions
        .iter()
        .map(|r| json!({ "version": r.version, "date_added": r.date_added.to_string(), "object": raw(&r.json) }))
        .collect();
    Ok(Json(json!({ "id": id, "versions": list })).into_response())
}

/// `GET /api/v1/objects/{id}/release?partner=P`: why P may or may not
/// receive each version. Only the object's author (any of its users) or the
/// node's administrator may ask; to anyone else the object does not exist.
pub(super) async fn explain(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id = object_id(&id)?;
    let recipient = params
        .get("partner")
        .ok_or_else(|| bad("`partner` (the recipient's identity id) is required"))
        .and_then(|p| StixId::parse(p).map_err(|e| bad(format!("`partner`: {e}"))))?;
    let store = state.store.clone();
    let key = id.clone();
    let stored = crate::blocking(move || store.get(&key, &Versions::ALL)).await?;
    let author = stored.iter().find_map(|r| r.created_by_ref.clone().or_else(|| r.posted_by.clone()));
    if stored.is_empty() || !(caller.node_admin || author.as_deref() == Some(caller.partner.as_str())) {
        return Err(ApiError::not_found("no such object"));
    }
    let index = state.agreement_index().await?;
    let now = Timestamp::now();
    let decisions: Vec<Value> = stored
        .iter()
        .map(|r| {
            let d = release::decide_record(r, &recipient, &now, &Through::AnyShare, &index);
            let (allowed, agreement, reasons) = match &d {
                policy::Decision::Allow { agreement } => (true, agreement.clone(), Vec::new()),
                policy::Decision::Deny { reasons } => (false, None, reasons.iter().map(|r| r.explain()).collect()),
            };
            json!({
                "version": r.version,
                "allowed": allowed,
                "agreement": agreement,
                "reasons": reasons,
                "shared_under": r.shared_under.split_whitespace().collect::<Vec<_>>(),
                "explanation": release::explain_record(r, &recipient, recipient.as_str(), &d, &now, &index),
            })
        })
        .collect();
    Ok(Json(json!({ "id": id, "partner": recipient, "at": now.as_str(), "versions": decisions })).into_response())
}

/// The body of `POST /api/v1/objects`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShareRequest {
    objects: Vec<Box<RawValue>>,
    #[serde(default)]
    agreements: Vec<String>,
}

/// Whether the caller's role may share, and what became of one object
/// of a share: the node's ([`node::share`]).
pub(crate) use node::share::{may_share, Shared};

/// Stores the caller's objects (each raw JSON) and shares them under the
/// named agreements (to which the caller's partner must be a party; 422
/// otherwise) through the node's share ([`node::Node::share`]). The REST
/// API's and the web pages' share. The caller's role is checked by the
/// handlers ([`may_share`]).
pub(crate) async fn share_objects(state: &Api, caller: &Caller, objects: &[&[u8]], agreements: &[String]) -> Result<Vec<Shared>, ApiError> {
    let me = caller.partner.clone();
    let index = state.agreement_index().await?;
    let shares = agreements_of(&index, &me, agreements)?;
    // Validation (JSON, STIX, patterns) and the write run on a blocking
    // thread, through the one write path for partner input: a large share
    // must not hold up the async workers.
    let owned: Vec<Vec<u8>> = objects.iter().map(|o| o.to_vec()).collect();
    let node = state.services();
    let (results, reoffered) = crate::blocking(move || {
        let input: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        node.share(&me, &input, shares)
    })
    .await?;
    if reoffered {
        state.indicators.invalidate();
    }
    Ok(results)
}

/// `POST /api/v1/objects`: stores the caller's objects and shares them
/// under the named agreements (to which the caller's partner must be a
/// party). Each object is reported: stored, already stored, or refused with
/// the property at fault; the valid rest is kept.
pub(super) async fn share(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ShareRequest>,
) -> Result<Response, ApiError> {
    if !may_share(&caller) {
        return Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", "sharing needs the analyst role or above"));
    }
    let raws: Vec<&[u8]> = body.objects.iter().map(|r| r.get().as_bytes()).collect();
    let results = share_objects(&state, &caller, &raws, &body.agreements).await?;
    let results: Vec<Value> = results.iter().map(Shared::to_json).collect();
    Ok((StatusCode::OK, Json(json!({ "results": results }))).into_response())
}

/// The body of `POST /api/v1/objects/{id}/share`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShareStoredRequest {
    agreements: Vec<String>,
}

/// The agreements of a share request: ids of agreements the partner is party to.
fn agreements_of(index: &policy::AgreementIndex, me: &StixId, requested: &[String]) -> Result<Vec<String>, ApiError> {
    node::share::agreements_of(index, me, requested).map_err(|m| ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, "unknown agreement", m))
}

/// `POST /api/v1/objects/{id}/share`: shares every stored version of an
/// object under more agreements — the author's own object, or one the
/// caller's partner received from another node (its onward release still
/// follows the handling rules of the agreement it arrived under).
pub(super) async fn share_stored(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(body): Json<ShareStoredRequest>,
) -> Result<Response, ApiError> {
    if !may_share(&caller) {
        return Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", "sharing needs the analyst role or above"));
    }
    let id = object_id(&id)?;
    let me = caller.partner.clone();
    let index = state.agreement_index().await?;
    let agreements = agreements_of(&index, &me, &body.agreements)?;
    if agreements.is_empty() {
        return Err(bad("`agreements`: name at least one agreement"));
    }
    let (store, limits, shared) = (state.store.clone(), state.limits, agreements.clone());
    let oid = id.clone();
    let outcome = tokio::task::spawn_blocking(move || release::share_stored(&*store, &me, &oid, &shared, &limits))
        .await
        .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?;
    let versions = match outcome {
        Ok(n) => n,
        // Not the caller's to share: answer as if absent unless it may see it.
        Err(release::ShareError::NotFound) => return Err(ApiError::not_found("no such object")),
        Err(release::ShareError::NotYours(m)) => {
            // 404 (and a logged refusal) unless the caller may see it.
            let reader = state.reader(&caller.partner, Through::AnyShare).await?;
            let st = state.clone();
            crate::service(move || st.out(&reader, "api").must_see(&*st.store, &id, "no such object")).await?;
            return Err(ApiError::client(StatusCode::FORBIDDEN, "forbidden", m));
        }
        Err(release::ShareError::Store(e)) => return Err(e.into()),
    };
    state.indicators.invalidate();
    Ok(Json(json!({ "id": id, "versions": versions, "shared_under": agreements })).into_response())
}

/// The body of `POST /api/v1/provenance`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProvenanceRequest {
    versions: Vec<VersionRef>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionRef {
    id: String,
    version: Option<String>,
}

/// `POST /api/v1/provenance`: the authors' signatures of the named versions
/// (`{"versions": [{"id", "version"}]}`, `version` left out for objects
/// without one), for those the caller may see, each with the agreement this
/// node releases it to the caller under (`released_under`: what a pulling
/// node records it as received under); others are left out exactly like
/// versions that do not exist (docs/federation.md, provenance).
pub(super) async fn provenance(
    State(state): State<Api>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ProvenanceRequest>,
) -> Result<Response, ApiError> {
    if body.versions.len() > node::provenance::MAX_VERSIONS {
        return Err(bad(format!("`versions`: at most {} per request", node::provenance::MAX_VERSIONS)));
    }
    let mut wanted = std::collections::HashSet::new();
    let mut ids = Vec::new();
    for (i, v) in body.versions.iter().enumerate() {
        let id = StixId::parse(&v.id).map_err(|e| bad(format!("`versions[{i}].id`: {e}")))?;
        let micros = match &v.version {
            Some(t) => Timestamp::parse(t).map_err(|e| bad(format!("`versions[{i}].version`: {e}")))?.micros(),
            None => 0,
        };
        if wanted.insert((id.to_string(), micros)) {
            ids.push(id.to_string());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let reader = state.reader(&caller.partner, Through::AnyShare).await?;
    let (store, keys) = (state.store.clone(), state.keys.clone());
    let signatures = crate::blocking(move || {
        let mut records = Vec::new();
        if !ids.is_empty() {
            let q = store::Query { ids, versions: Versions::ALL, gate: Some(reader.gate()), ..store::Query::default() };
            store.scan(&q, &mut |r| {
                if wanted.contains(&node::provenance::key_of(&r)) {
                    records.push(r);
                }
                Ok(())
            })?;
        }
        // Per version: as TAXII names it, and the agreement this node
        // releases it to the caller under.
        let about: HashMap<(String, i64), (String, Option<String>)> = records
            .iter()
            .map(|r| {
                let under = reader.allowed(r).flatten().map(|a| a.to_string());
                (node::provenance::key_of(r), (r.version.clone(), under))
            })
            .collect();
        let signatures = node::provenance::signatures_for(&*store, &keys, &records)?;
        Ok(signatures
            .into_iter()
            .map(|s| {
                let (version, under) = about.get(&(s.id.clone(), s.version_micros)).cloned().unwrap_or_default();
                let version = (s.version_micros != 0).then_some(version);
                json!({ "id": s.id, "version": version, "signer": s.signer, "signature": s.value, "released_under": under })
            })
            .collect::<Vec<Value>>())
    })
    .await?;
    Ok(Json(json!({ "signatures": signatures })).into_response())
}
