//! Downloads from the intelligence pages: a search's results
//! (`/intel/download?…&format=`, the same fields as `/intel`, at most
//! [`MOST`] objects) and one object (`/intel/{id}/download?format=`; a
//! report or grouping with the objects it names that the reader may see),
//! as a STIX 2.1 bundle or in an analyst's format ([`node::formats`]: CSV,
//! a plain IOC list, Suricata or Sigma rules). Everything in a download was
//! read through the reader's release gate and logged (channel `web`), as
//! the pages it comes from.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query as UrlQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use model::StixId;
use serde_json::Value;
use store::{Record, Versions};

use super::intel::{find, Search};
use super::session::Signed;
use super::WebError;
use crate::{Problem, Site};
use node::formats::{Format, Formatter};
use node::release::{Reader, Through};

/// The formats offered, with their labels.
pub(crate) const FORMATS: [(&str, &str); 5] = [("stix", "STIX bundle"), ("csv", "CSV"), ("iocs", "IOC list"), ("suricata", "Suricata rules"), ("sigma", "Sigma rules")];

/// The most objects one download of a search holds.
pub(crate) const MOST: usize = 1_000;

/// The Suricata `sid` downloads start from (as `entente export`'s default).
const SID: u64 = 9_100_000;

/// The body and headers of a download of `records` in `format` named `name`.
fn file(records: &[Record], format: &str, name: &str) -> Result<Response, WebError> {
    let objects: Vec<Value> = records.iter().filter_map(|r| serde_json::from_slice(&r.json).ok()).collect();
    let (body, media, extension) = if format == "stix" {
        let bundle = serde_json::json!({ "type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects });
        (serde_json::to_string_pretty(&bundle).unwrap_or_default(), "application/stix+json;version=2.1", "json")
    } else {
        let f = Format::parse(format).ok_or_else(|| Problem::client(StatusCode::BAD_REQUEST, "bad request", format!("format: one of {}", FORMATS.map(|f| f.0).join(", "))))?;
        let mut formatter = Formatter::new(f, SID);
        let mut out = String::new();
        if let Some(h) = formatter.header() {
            out.push_str(h);
            out.push('\n');
        }
        for o in &objects {
            for line in formatter.lines(o) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        (out, f.media_type(), f.extension())
    };
    let disposition = format!("attachment; filename=\"{name}.{extension}\"");
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, media.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// The latest visible version of each of `ids`, read through the gate and
/// logged.
async fn read(state: &Site, reader: &Arc<Reader>, ids: Vec<String>) -> Result<Vec<Record>, WebError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (store, r) = (state.store.clone(), reader.clone());
    let found = crate::blocking(move || {
        let q = store::Query { ids, versions: Versions::LAST, gate: Some(r.gate()), ..store::Query::default() };
        Ok(store.query(&q)?.records)
    })
    .await?;
    Ok(state.out(reader, "web").records(found)?.into_inner())
}

/// `GET /intel/download`: the search's results, page after page, up to [`MOST`].
pub(super) async fn search(State(state): State<Site>, signed: Signed, UrlQuery(mut s): UrlQuery<Search>, UrlQuery(extra): UrlQuery<HashMap<String, String>>) -> Result<Response, WebError> {
    let format = extra.get("format").cloned().unwrap_or_else(|| "stix".to_owned());
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    s.as_observable();
    let context = format!("web|{}|{}", signed.caller.partner, s.link());
    let mut records: Vec<Record> = Vec::new();
    loop {
        let (page, next, _, _) = find(&state, &reader, &s, &context, 0).await?;
        records.extend(page);
        match next {
            Some((cursor, _)) if records.len() < MOST => s.next = cursor,
            _ => break,
        }
    }
    records.truncate(MOST);
    // An observable search hands back records without their JSON: read them.
    if records.iter().any(|r| r.json.is_empty()) {
        records = read(&state, &reader, records.into_iter().map(|r| r.id).collect()).await?;
    }
    file(&records, &format, "entente-search")
}

/// `GET /intel/{id}/download`: the object (its latest visible version) and,
/// for a report or grouping, the objects it names that the reader may see.
pub(super) async fn object(State(state): State<Site>, signed: Signed, Path(id): Path<String>, UrlQuery(extra): UrlQuery<HashMap<String, String>>) -> Result<Response, WebError> {
    let format = extra.get("format").cloned().unwrap_or_else(|| "stix".to_owned());
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let versions = state.visible_versions(&reader, &id, "web").await?.into_inner();
    let Some(latest) = versions.last().cloned() else { return Err(WebError::NotFound) };
    let mut records = vec![latest.clone()];
    if matches!(latest.object_type.as_str(), "report" | "grouping") {
        let v: Value = serde_json::from_slice(&latest.json).unwrap_or_default();
        let named: Vec<String> = v["object_refs"].as_array().into_iter().flatten().filter_map(Value::as_str).filter(|i| StixId::parse(i).is_ok()).take(MOST).map(str::to_owned).collect();
        records.extend(read(&state, &reader, named).await?);
    }
    let name = id.as_str().replace("--", "-");
    file(&records, &format, &name)
}
