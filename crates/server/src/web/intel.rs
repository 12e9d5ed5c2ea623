//! Intelligence pages: search at `/intel` (by type, text in the name or
//! description, observable value, and date added, paged) and one object at
//! `/intel/{id}` (its latest visible version's properties, its versions,
//! author, markings, the agreements it is shared under that the caller is
//! party to, and how many other partners reported its observables).
//!
//! Both read through the caller's release gate, with the REST API's own
//! functions ([`crate::api::objects::visible_page`],
//! [`crate::api::objects::visible_versions`], [`crate::detect::correlate`]),
//! and log what they show under the channel `web`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query as UrlQuery, State};
use axum::response::Response;
use maud::{html, Markup};
use model::{StixId, Timestamp};
use serde_json::Value;
use store::{Cursor, DateAdded, Record, Versions};

use super::session::Signed;
use super::{layout, page, WebError};
use crate::api::objects::{visible_page, visible_versions};
use crate::release::{Reader, Through};
use crate::{detect, ApiError, AppState};

/// Objects per page of search results.
const PAGE: usize = 50;

/// How many store pages a text search reads for one page of results.
const TEXT_SCAN_PAGES: usize = 20;

/// The search form's fields.
#[derive(serde::Deserialize, Default)]
pub(super) struct Search {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    observable: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    next: String,
}

fn json_of(r: &Record) -> Value {
    serde_json::from_slice(&r.json).unwrap_or(Value::Null)
}

fn name_of(v: &Value) -> String {
    v.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_default()
}

pub(super) async fn partner_names(state: &AppState) -> Result<HashMap<String, String>, ApiError> {
    let registry = state.registry.clone();
    crate::blocking(move || Ok(registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect())).await
}

/// The results of a search: records shown, and the cursor of the next page.
async fn find(state: &AppState, reader: &Arc<Reader>, s: &Search, context: &str) -> Result<(Vec<Record>, Option<String>), WebError> {
    let bad = |m: String| WebError::Api(ApiError::client(axum::http::StatusCode::BAD_REQUEST, "bad request", m));
    if !s.observable.trim().is_empty() {
        // `kind:value`, as the REST API's /observables/{type}/{value}.
        let (kind, value) = s.observable.trim().split_once(':').ok_or_else(|| bad("observable: write it as type:value, e.g. ipv4-addr:198.51.100.7".into()))?;
        let kind = pattern::observables::kind(kind.trim())
            .ok_or_else(|| bad(format!("observable: the types are {}", pattern::observables::KINDS.join(", "))))?;
        let (store, r, value) = (state.store.clone(), reader.clone(), value.trim().to_owned());
        let (_, records) = crate::blocking(move || detect::correlate(&*store, &r, kind, &value, PAGE, false, 0)).await?;
        crate::release_log::released(state, reader, "web", &records)?;
        return Ok((records, None));
    }
    let added_after = match s.after.trim() {
        "" => None,
        t => Some(Timestamp::parse(t).or_else(|_| Timestamp::parse(&format!("{t}T00:00:00Z"))).map_err(|e| bad(format!("after: {e}")))?.micros()),
    };
    let mut after = match s.next.as_str() {
        "" => None,
        n => Some(Cursor(DateAdded(state.cursors.open(n, context).map_err(|e| bad(e.to_string()))?))),
    };
    let query = |after| store::Query {
        types: s.kind.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
        added_after,
        versions: Versions::LAST,
        after,
        ..store::Query::default()
    };
    let q = s.q.trim().to_lowercase();
    if q.is_empty() {
        let page = visible_page(state, reader, store::Query { limit: Some(PAGE), ..query(after) }, "web").await?;
        let next = page.more.then_some(page.next).flatten().map(|c| state.cursors.seal(c.0 .0, context));
        return Ok((page.records, next));
    }
    // Text: read gated pages and keep what matches, logging only that.
    let mut shown = Vec::new();
    let mut next = None;
    for _ in 0..TEXT_SCAN_PAGES {
        let query = store::Query { limit: Some(PAGE), gate: Some(reader.gate()), ..query(after) };
        let store = state.store.clone();
        let page = crate::blocking(move || store.query(&query)).await?;
        let mut full = false;
        for r in page.records {
            if shown.len() == PAGE {
                // The rest of this store page is for the next page of results.
                full = true;
                break;
            }
            let v = json_of(&r);
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_lowercase();
            let cursor = r.date_added;
            if text("name").contains(&q) || text("description").contains(&q) {
                shown.push(r);
            }
            after = Some(Cursor(cursor));
        }
        if !page.more && !full {
            after = None;
            break;
        }
        if full || shown.len() == PAGE {
            break;
        }
    }
    if let Some(c) = after {
        next = Some(state.cursors.seal(c.0 .0, context));
    }
    crate::release_log::released(state, reader, "web", &shown)?;
    Ok((shown, next))
}

/// `GET /intel`.
pub(super) async fn search(State(state): State<AppState>, signed: Signed, UrlQuery(s): UrlQuery<Search>) -> Result<Response, WebError> {
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let context = format!("web|{}|{}|{}|{}|{}", signed.caller.partner, s.kind, s.q, s.observable, s.after);
    let (records, next) = find(&state, &reader, &s, &context).await?;
    let names = partner_names(&state).await?;
    let author = |r: &Record| r.created_by_ref.as_ref().map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone())).unwrap_or_default();
    let body = html! {
        form.search method="get" action="/intel" role="search" {
            div { label for="type" { "Type" } input #type name="type" value=(s.kind) placeholder="indicator, malware"; }
            div { label for="q" { "Text" } input #q name="q" value=(s.q) placeholder="in name or description"; }
            div { label for="observable" { "Observable" } input #observable name="observable" value=(s.observable) placeholder="ipv4-addr:198.51.100.7"; }
            div { label for="after" { "Added after" } input #after name="after" value=(s.after) placeholder="2026-01-01"; }
            button type="submit" { "Search" }
        }
        @if records.is_empty() { p { "Nothing you may see matches." } }
        @else {
            table.results {
                thead { tr { th scope="col" { "Type" } th scope="col" { "Name" } th scope="col" { "Author" } th scope="col" { "Modified" } } }
                tbody {
                    @for r in &records {
                        @let v = json_of(r);
                        @let name = name_of(&v);
                        tr {
                            td { (r.object_type) }
                            td { a href={ "/intel/" (r.id) } { @if name.is_empty() { (r.id) } @else { (name) } } }
                            td { (author(r)) }
                            td { (r.version) }
                        }
                    }
                }
            }
        }
        @if let Some(n) = next {
            p.more { a href={ "/intel?type=" (enc(&s.kind)) "&q=" (enc(&s.q)) "&observable=" (enc(&s.observable)) "&after=" (enc(&s.after)) "&next=" (enc(&n)) } { "More results" } }
        }
    };
    Ok(page(layout("Intelligence", Some(&signed), body)))
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A property value: strings as text, the rest as compact JSON (escaped too).
fn value(v: &Value) -> Markup {
    match v {
        Value::String(s) => html! { (s) },
        other => html! { code { (other.to_string()) } },
    }
}

/// `GET /intel/{id}`.
pub(super) async fn show(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = StixId::parse(&id).map_err(|_| WebError::NotFound)?;
    let me = StixId::parse(&signed.caller.partner).map_err(ApiError::internal)?;
    let reader = state.reader(&signed.caller.partner, Through::AnyShare).await?;
    let versions = visible_versions(&state, &reader, &id, "web").await?;
    let Some(latest) = versions.last().cloned() else { return Err(WebError::NotFound) };
    crate::release_log::released(&state, &reader, "web", &versions)?;
    let object = json_of(&latest);
    let names = partner_names(&state).await?;
    let partner = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
    let index = state.agreement_index().await?;
    let shared: Vec<String> = latest
        .shared_under
        .split_whitespace()
        .filter_map(|a| StixId::parse(a).ok())
        .filter_map(|a| index.agreement(&a).filter(|x| x.is_party(&me)).map(|x| x.terms.title.clone()))
        .collect();
    let (store, r, json, author) = (state.store.clone(), reader.clone(), latest.json.clone(), latest.created_by_ref.clone());
    let also = crate::blocking(move || {
        let Ok(o) = model::Object::parse(&json, &model::Limits::default()) else { return Ok(0) };
        let mut cs = Vec::new();
        for ob in o.observables() {
            cs.push(detect::correlate(&*store, &r, ob.kind, &ob.value, detect::NOISY_DEFAULT, false, 0)?.0);
        }
        Ok(detect::also_reported_by(author.as_deref(), &cs))
    })
    .await?;
    let name = name_of(&object);
    let title = if name.is_empty() { latest.id.clone() } else { name };
    let markings: Vec<&str> = object.get("object_marking_refs").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let body = html! {
        dl.facts {
            dt { "Type" } dd { (latest.object_type) }
            dt { "Id" } dd { code { (latest.id) } }
            dt { "Author" } dd { (latest.created_by_ref.as_deref().map(partner).unwrap_or_else(|| "(none named)".to_owned())) }
            dt { "Markings" } dd { @if markings.is_empty() { "none" } @else { @for m in &markings { code { (m) } " " } } }
            dt { "Shared under" } dd { @if shared.is_empty() { "no agreement you are party to" } @else { (shared.join(", ")) } }
            dt { "Also reported by" } dd { (also) " other partner" @if also != 1 { "s" } }
        }
        h2 { "Properties" }
        table.props {
            tbody {
                @if let Value::Object(map) = &object {
                    @for (k, v) in map { tr { th scope="row" { (k) } td { (value(v)) } } }
                }
            }
        }
        h2 { "Versions" }
        table {
            thead { tr { th scope="col" { "Version" } th scope="col" { "Added" } } }
            tbody { @for v in versions.iter().rev() { tr { td { (v.version) } td { (v.date_added.to_string()) } } } }
        }
    };
    Ok(page(layout(&title, Some(&signed), body)))
}
