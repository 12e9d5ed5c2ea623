//! Detection from the pages: `/detection` takes observations pasted or
//! uploaded (what `POST /api/v1/detect` accepts: a bundle, an array, one
//! object, `{"observations": [...]}`, or JSON Lines) and shows the hits on
//! the indicators the caller may see, through the REST API's own run
//! ([`crate::Host::detect`]: the release gate before and after
//! matching, the indicators hit logged under the channel `web`).
//!
//! The hits are grouped by the observable value they matched, each group
//! with a button making sightings of all its hits (no script: a select-all
//! per value), beside the one for every hit.
//!
//! `/detection/sightings` creates sightings for one hit or for all, the
//! way the API and the command line do ([`node::detect::record_sightings`]:
//! authored by the caller's partner, for the indicator's author alone). The
//! form carries the observations that hit, and detection runs again on
//! them, so a sighting is only ever made of a hit the caller may see now.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{html, Markup};
use model::StixId;
use serde_json::{json, Value};

use crate::kit::form::{self, Fields};
use super::session::Signed;
use super::{layout, page};
use node::detect::{may_sight, read_body, Detection};
use node::detect::{Feed, Hit, Ready};
use crate::{Problem, Site};

/// At most this many hits are listed on the results page.
const MAX_HITS_SHOWN: usize = 500;

/// A partner- or user-supplied short field (an id, a timestamp) as shown:
/// at most 80 characters, so a padded value is not repeated at length.
fn short(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

fn detection_page(signed: &Signed, observations: &str, message: Option<&str>) -> Markup {
    let body = html! {
        p.lead { "Match observations against the indicators you may see." }
        form.stack.wide method="post" action="/detection" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(signed.csrf);
            label for="observations" { "Observations (a bundle, an array, one observed-data object, JSON Lines, or a plain list of values: IP addresses, domains, URLs, e-mail addresses, hashes)" }
            textarea #observations name="observations" rows="12" spellcheck="false" { (observations) }
            label for="file" { "Or a file" }
            input #file type="file" name="file" accept=".json,.jsonl,application/json,application/stix+json";
            @if let Some(m) = message { p.error role="alert" { (m) } }
            button type="submit" { "Detect" }
        }
    };
    layout("Detection", Some(signed), body)
}

/// `GET /detection`.
pub(super) async fn show(signed: Signed) -> Response {
    page(detection_page(&signed, "", None))
}

/// [`observations_of`] on a blocking thread (parsing a large upload must not
/// hold up the async workers that serve every other request); the fields
/// come back for the rest of the handler.
async fn off_runtime(fields: Fields) -> Result<(Fields, (Vec<Ready>, Vec<String>)), Response> {
    tokio::task::spawn_blocking(move || {
        let read = observations_of(&fields);
        (fields, read)
    })
    .await
    .map_err(|e| Problem::internal(format!("reading observations: {e}")).into_response())
}

/// The observations of the `observations` field and the `file`, each read
/// as the API reads a body; and the lines that could not be read.
fn observations_of(fields: &Fields) -> (Vec<Ready>, Vec<String>) {
    let (mut ready, mut errors) = (Vec::new(), Vec::new());
    let mut ignored = None;
    // Pasted text that is no JSON is a list of values: one observation each.
    let pasted = fields.get("observations");
    let listed = (!pasted.trim().is_empty() && !pasted.trim_start().starts_with(['{', '['])).then(|| values_bundle(pasted));
    if let Some(Err(e)) = &listed {
        errors.push(format!("pasted: {e}"));
    }
    let pasted = match &listed {
        Some(Ok(b)) => b.as_bytes(),
        Some(Err(_)) => b"".as_slice(),
        None => pasted.as_bytes(),
    };
    for (what, body) in [("file", fields.file("file").map(|b| b.as_ref())), ("pasted", Some(pasted))] {
        let Some(body) = body.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) else { continue };
        let mut feed = Feed::default();
        errors.extend(read_body(body, &mut feed, &mut ready, &mut ignored).into_iter().map(|e| format!("{what}: {e}")));
    }
    (ready, errors)
}

/// A pasted list of values (IP addresses, domains, URLs, e-mail addresses,
/// hashes; defanged too, as `extract::extract` reads them) as a bundle of
/// one observed-data per value, observed once now, with its SCO; or why
/// there is none.
fn values_bundle(text: &str) -> Result<String, String> {
    let now = model::Timestamp::now().to_string();
    let mut objects = Vec::new();
    for sco in extract::extract(text).iter().filter_map(extract::Candidate::observable) {
        objects.push(json!({
            "type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--{}", uuid::Uuid::new_v4()),
            "created": now, "modified": now, "first_observed": now, "last_observed": now, "number_observed": 1,
            "object_refs": [sco["id"].clone()],
        }));
        objects.push(sco);
    }
    if objects.is_empty() {
        return Err("no observation and no value (an IP address, a domain, a URL, an e-mail address, a hash) found in that".to_owned());
    }
    Ok(json!({ "type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": objects }).to_string())
}

/// An observation as a bundle: the observed-data and the objects it references.
fn bundle(od: &Arc<Value>, objects: &[Arc<Value>]) -> Value {
    let mut all = vec![(**od).clone()];
    all.extend(objects.iter().map(|o| (**o).clone()));
    json!({ "type": "bundle", "id": format!("bundle--{}", uuid::Uuid::new_v4()), "objects": all })
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The key of a hit in the sighting forms: indicator id and observed-data id.
fn hit_key(h: &Hit) -> String {
    format!("{} {}", h.indicator.id, text(&h.observed_data, "id"))
}

/// The observable value a hit matched: the first of its indicator's
/// values (normalised, as the observable index keeps them) that one of the
/// observation's objects carries; empty when the pattern matched otherwise
/// (a comparison other than equality).
fn matched_value(h: &Hit, objects: &[Arc<Value>]) -> String {
    let limits = model::Limits::default();
    let Ok(indicator) = model::Object::parse(&h.indicator.json, &limits) else { return String::new() };
    let seen: Vec<(&'static str, String)> = objects
        .iter()
        .filter_map(|o| model::Object::from_value((**o).clone()).ok())
        .flat_map(|o| o.observables().iter().map(|ob| (ob.kind, ob.value.clone())).collect::<Vec<_>>())
        .collect();
    indicator.observables().iter().find(|ob| seen.iter().any(|(k, v)| *k == ob.kind && *v == ob.value)).map(|ob| ob.value.clone()).unwrap_or_default()
}

/// Each observation's objects, by the observed-data's id.
fn objects_by_id(ready: &[Ready]) -> HashMap<String, (Arc<Value>, Vec<Arc<Value>>)> {
    ready.iter().map(|r| (text(&r.observed_data, "id"), (r.observed_data.clone(), r.objects.clone()))).collect()
}

/// The value each hit matched ([`matched_value`]), in the hits' order.
fn values_hit(hits: &[Hit], by_id: &HashMap<String, (Arc<Value>, Vec<Arc<Value>>)>) -> Vec<String> {
    hits.iter().map(|h| by_id.get(&text(&h.observed_data, "id")).map(|(_, objects)| matched_value(h, objects)).unwrap_or_default()).collect()
}

/// Runs detection for the caller on observations, through the API's run.
async fn run(state: &Site, signed: &Signed, ready: Vec<Ready>) -> Result<Detection, Problem> {
    state.host.detect(signed.caller.clone(), ready).await
}

/// `POST /detection`: the hits, with sighting forms for analysts.
pub(super) async fn detect(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    let (fields, (ready, errors)) = off_runtime(fields).await?;
    if ready.is_empty() {
        let message = if errors.is_empty() { "Paste observations or choose a file.".to_owned() } else { errors.join("; ") };
        let body = detection_page(&signed, fields.get("observations"), Some(&message));
        return Err((StatusCode::UNPROCESSABLE_ENTITY, Html(body.into_string())).into_response());
    }
    // Each observation by its id, to carry the ones that hit into the sighting forms.
    let by_id = objects_by_id(&ready);
    let d = run(&state, &signed, ready).await.map_err(IntoResponse::into_response)?;
    let names = super::author_names(&state).await.map_err(IntoResponse::into_response)?;
    let index = state.agreement_index().await.map_err(IntoResponse::into_response)?;
    // The observations that hit, carried once in the sighting form (each row
    // names its hit by a checkbox): the page grows with the input, not with
    // hits × input. Observed-data without an id cannot be told apart: no
    // checkbox for them.
    let hit_ods: BTreeSet<String> = d.hits.iter().map(|h| text(&h.observed_data, "id")).collect();
    let all: Vec<Value> = hit_ods.iter().filter(|id| !id.is_empty()).filter_map(|id| by_id.get(id)).map(|(od, objects)| bundle(od, objects)).collect();
    let sight = may_sight(&signed.caller);
    let shown = &d.hits[..d.hits.len().min(MAX_HITS_SHOWN)];
    // Each shown hit's indicator values on a warning list (benign
    // resolvers, private ranges, top domains), with the list's name.
    let dir = state.keys.data_dir().to_owned();
    let lists = crate::blocking(move || node::warninglists::flagging(&dir).map_err(store::Error::Internal)).await.map_err(IntoResponse::into_response)?;
    let flagged: Vec<Vec<(String, String)>> = shown
        .iter()
        .map(|h| match model::Object::parse(&h.indicator.json, &model::Limits::default()) {
            Ok(o) => node::warninglists::flags(&lists, o.observables().iter().map(|ob| (ob.kind, ob.value.as_str()))),
            Err(_) => Vec::new(),
        })
        .collect();
    // The hits grouped by the observable value they matched, the values in
    // the order first hit; the hits of each in their order.
    let values = values_hit(shown, &by_id);
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == v.as_str()) {
            Some((_, members)) => members.push(i),
            None => groups.push((v.as_str(), vec![i])),
        }
    }
    let columns = if sight { 6 } else { 5 };
    let table = html! {
        table.results {
            thead { tr {
                @if sight { th scope="col" { "Sight" } }
                th scope="col" { "Indicator" } th scope="col" { "Author" } th scope="col" { "Shared under" }
                th scope="col" { "Observed data" } th scope="col" { "Observed" }
            } }
            @for (value, members) in &groups {
            tbody.hits {
                tr.group {
                    th scope="rowgroup" colspan=(columns) {
                        @if value.is_empty() { "Matched by pattern" } @else { code { (short(value)) } }
                        " — " (members.len()) " hit" @if members.len() != 1 { "s" }
                        @if sight && members.iter().any(|&i| !text(&shown[i].observed_data, "id").is_empty()) {
                            " "
                            button.group type="submit" name="group" value=(value) { "Create sightings for these " (members.len()) }
                        }
                    }
                }
                @for (i, h) in members.iter().map(|&i| (i, &shown[i])) {
                    @let v: Value = serde_json::from_slice(&h.indicator.json).unwrap_or(Value::Null);
                    @let name = text(&v, "name");
                    @let author = h.indicator.created_by_ref.clone().or_else(|| h.indicator.posted_by.clone()).unwrap_or_default();
                    @let od = short(&text(&h.observed_data, "id"));
                    tr {
                        @if sight {
                            td { @if !od.is_empty() { input type="checkbox" id={ "hit-" (i) } name="hit" value=(hit_key(h)) aria-label={ "Sighting of hit " (i + 1) }; } }
                        }
                        td { a href={ "/intel/" (h.indicator.id) } { @if name.is_empty() { (h.indicator.id) } @else { (name) } } br; code { (text(&v, "pattern")) }
                            @if !flagged[i].is_empty() { br; (crate::kit::badge::warning_lists(&flagged[i])) } }
                        td { (names.get(&author).cloned().unwrap_or(author)) }
                        td { @match h.agreement.as_ref().and_then(|a| index.agreement(a)) { Some(a) => { (a.terms.title) } None => { "your own" } } }
                        td { code { (od) } }
                        td { (short(&text(&h.observed_data, "first_observed"))) " – " (short(&text(&h.observed_data, "last_observed"))) }
                    }
                }
            }
            }
        }
    };
    let body = html! {
        p.lead {
            (d.totals.observations) " observation" @if d.totals.observations != 1 { "s" } " matched against the indicators you may see: "
            (d.hits.len()) " hit" @if d.hits.len() != 1 { "s" } "."
            @if shown.len() < d.hits.len() { " The first " (shown.len()) " are listed; the API (" code { "POST /api/v1/detect" } ") and " code { "entente detect" } " give them all." }
        }
        @if !errors.is_empty() {
            div.error role="alert" { p { "Some input could not be read:" } ul { @for e in &errors { li { (e) } } } }
        }
        @if !d.hits.is_empty() {
            @if sight {
                form method="post" action="/detection/sightings" {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    input type="hidden" name="observations" value=(Value::Array(all).to_string());
                    (table)
                    div.actions {
                        button type="submit" { "Create sightings for the chosen hits" }
                        " "
                        button type="submit" name="every" value="1" { "Create sightings for all hits" }
                    }
                    p.hint { "A sighting is yours, shared with the indicator's author alone, under the agreement the indicator came by." }
                }
            } @else {
                (table)
            }
        }
        p { a href="/detection" { "Detect again" } }
    };
    Ok(page(layout("Detection results", Some(&signed), body)))
}

/// `POST /detection/sightings`: detection runs again on the observations
/// the form carries; a sighting is made for each hit named in `hit`
/// fields, or for every hit with `every=1`; then to the sighting, or, when
/// there are several, a page listing the sightings just made.
pub(super) async fn sightings(State(state): State<Site>, signed: Signed, req: Request) -> Result<Response, Response> {
    let fields = form::read(&state, req).await?;
    signed.check_csrf(&fields.csrf()).map_err(IntoResponse::into_response)?;
    if !may_sight(&signed.caller) {
        let body = layout("Detection", Some(&signed), html! { p { "Your role (" (signed.caller.role.as_str()) ") cannot create sightings: that needs the analyst role or above." } });
        return Err((StatusCode::FORBIDDEN, Html(body.into_string())).into_response());
    }
    let (fields, (ready, _)) = off_runtime(fields).await?;
    let (every, chosen, group) = (fields.get("every") == "1", fields.all("hit"), fields.get("group").to_owned());
    // A group's button: every hit of the value it names (all of one value, chosen at once).
    let grouped = fields.all("group").len() == 1;
    let by_id = objects_by_id(&ready);
    let d = run(&state, &signed, ready).await.map_err(IntoResponse::into_response)?;
    let values = values_hit(&d.hits, &by_id);
    let hits: Vec<Hit> = d.hits.into_iter().zip(values).filter(|(h, v)| every || chosen.contains(&hit_key(h)) || (grouped && *v == group)).map(|(h, _)| h).collect();
    let me = signed.caller.partner.clone();
    let store = state.store.clone();
    // What each sighting is of, for the list of those just made.
    let about: Vec<(String, String, String, Option<StixId>)> = hits
        .iter()
        .map(|h| {
            let v: Value = serde_json::from_slice(&h.indicator.json).unwrap_or(Value::Null);
            let author = h.indicator.created_by_ref.clone().or_else(|| h.indicator.posted_by.clone()).unwrap_or_default();
            (h.indicator.id.clone(), text(&v, "name"), author, h.agreement.clone())
        })
        .collect();
    let ids = crate::blocking(move || node::detect::record_sightings(&*store, &me, &hits).map_err(store::Error::Internal))
        .await
        .map_err(IntoResponse::into_response)?;
    let made: Vec<(String, &(String, String, String, Option<StixId>))> = ids.into_iter().zip(&about).filter_map(|(id, a)| Some((id?, a))).collect();
    let ids: Vec<&String> = made.iter().map(|(id, _)| id).collect();
    match ids.as_slice() {
        [one] => Ok(Redirect::to(&format!("/intel/{one}")).into_response()),
        [] => {
            let why = if every || grouped || !chosen.is_empty() { "No sighting was made: those observations no longer hit an indicator you may see." } else { "No sighting was made: choose at least one hit." };
            let body = layout("Detection", Some(&signed), html! {
                p.error role="alert" { (why) }
                p { a href="/detection" { "Detect again" } }
            });
            Err((StatusCode::UNPROCESSABLE_ENTITY, Html(body.into_string())).into_response())
        }
        _ => {
            // The sightings just made, in the order of the hits.
            let names = super::author_names(&state).await.map_err(IntoResponse::into_response)?;
            let index = state.agreement_index().await.map_err(IntoResponse::into_response)?;
            let body = html! {
                p.lead { (made.len()) " sightings made, each shared with the indicator's author alone." }
                table.results {
                    thead { tr { th scope="col" { "Sighting" } th scope="col" { "Of indicator" } th scope="col" { "For" } th scope="col" { "Shared under" } } }
                    tbody {
                        @for (id, (indicator, name, author, agreement)) in &made {
                            tr {
                                td { a href={ "/intel/" (id) } { (id) } }
                                td { a href={ "/intel/" (indicator) } { @if name.is_empty() { (indicator) } @else { (name) } } }
                                td { (names.get(author).cloned().unwrap_or_else(|| author.clone())) }
                                td { @match agreement.as_ref().and_then(|a| index.agreement(a)) { Some(a) => { (a.terms.title) } None => { "none: your own indicator" } } }
                            }
                        }
                    }
                }
                p { a href="/detection" { "Detect again" } " · " a href="/intel?type=sighting" { "All sightings" } }
            };
            Ok(page(layout("Sightings made", Some(&signed), body)))
        }
    }
}
