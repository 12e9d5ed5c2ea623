//! Module pages: `/agreements/{id}/modules/{module}`, one page per
//! registered partnership module under an agreement, drawn from the
//! module's state (read through [`node::modules::view`], so through the
//! caller's release gate and logged), and the forms of its actions, posted
//! to `/agreements/{id}/modules/{module}/actions/{action}` and handed to
//! [`node::modules::act`] after the CSRF check. The dialogue module gets a
//! channel page (threads, a compose form per channel, a reply form per
//! message, meetings, a calendar and the action board), the objectives
//! module a page of objectives (a progress bar and a line per KPI, the
//! forms), crisis, disputes, statements, resources, exercises and
//! exchanges a page each from [`fields`]'s typed forms; any other module
//! shows its state and actions. An agreement the
//! caller's partner is no party to is the same 404 page as a missing one,
//! unless records of it name the caller (a dispute's mediator): then the
//! page lists those records alone ([`node::modules::named`]).
//! A refused input comes back as the page again, 422, with the message
//! next to the field the module named (`partnership::Error::Invalid`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use model::StixId;
use serde_json::{Map, Value};

use crate::kit::form::csrf;
use super::session::Signed;
use super::{layout, WebError};
use crate::site::agreement_id;
use node::modules;
use crate::{Problem, Site};

mod crisis;
pub(crate) mod dialogue;
mod disputes;
mod exchanges;
mod exercises;
mod fields;
pub(super) mod files;
mod objectives;
mod resources;
mod statements;

/// A POST's fields, in order.
type Pairs = Vec<(String, String)>;

/// A refused input: the form (action and the record it is about), the
/// field at fault and why, and what was typed.
pub(super) struct Fault {
    pub(super) action: String,
    pub(super) about: String,
    pub(super) field: String,
    pub(super) message: String,
    pub(super) typed: String,
    /// Every field as posted (the token left out), to fill the form again.
    pub(super) pairs: Pairs,
}

impl Fault {
    /// What was typed in field `name` of the form of `action` about `about`, if that form was refused.
    pub(super) fn value<'a>(fault: Option<&'a Fault>, action: &str, about: &str, name: &str) -> &'a str {
        fault.filter(|f| f.action == action && f.about == about).and_then(|f| f.pairs.iter().find(|(k, _)| k == name)).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

/// The page of `module` under agreement `id`.
/// `?month=YYYY-MM` picks the dialogue calendar's month.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path((id, module)): Path<(String, String)>, Query(query): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let id = agreement_id(&id)?;
    render(&state, &signed, &id, &module, &query, None, StatusCode::OK).await
}

async fn render(state: &Site, signed: &Signed, id: &StixId, name: &str, query: &HashMap<String, String>, fault: Option<Fault>, status: StatusCode) -> Result<Response, WebError> {
    let module = modules::find(&state.modules, name).map_err(Problem::from)?;
    let (node, me, aid) = (state.modules_node(), signed.caller.partner.clone(), id.clone());
    let (registry, user) = (state.registry.clone(), signed.caller.token_id.clone());
    let m = module.clone();
    // A page of a crisis's whole timeline, when asked for (`?timeline=` the
    // crisis, `&after=` where the previous page ended).
    let timeline = (module.name() == "crisis").then(|| query.get("timeline").and_then(|t| StixId::parse(t).ok())).flatten();
    // A page of a dialogue channel's whole history (`?channel=`, `&after=`).
    let channel = (module.name() == "dialogue").then(|| query.get("channel").and_then(|t| StixId::parse(t).ok())).flatten();
    let after = query.get("after").and_then(|a| a.parse::<i64>().ok()).map(|a| store::Cursor(store::DateAdded(a)));
    // The state, and the agreement's parties (for the forms' party choices).
    let (json, parties) = tokio::task::spawn_blocking(move || {
        let mut json = match modules::view(&node, &me, &aid, &*m, "web") {
            Ok(scope) => {
                let parties: Vec<String> = scope.agreement.terms.parties.iter().map(|p| p.as_str().to_owned()).collect();
                let mut json = modules::state_json(&*m, &scope);
                json["parties"] = parties.iter().map(|p| Value::from(p.as_str())).collect();
                if let Some(threads) = m.threads() {
                    // What the user had not read, then all of it read: seen now.
                    let threads = node::marks::unread(&*registry, &scope, threads, &user)?;
                    node::marks::mark_read(&*node.store, &user, &threads)?;
                    json["unread"] = serde_json::to_value(&threads).unwrap_or_default();
                }
                (json, parties)
            }
            // No party: a mediator sees the records naming it, if any.
            Err(modules::Error::NotFound(why)) => {
                let stored = modules::named(&node, &me, &aid, &*m, "web").map_err(|_| modules::Error::NotFound(why))?;
                (modules::named_json(&*m, &aid, &me, &stored), Vec::new())
            }
            Err(e) => return Err(e),
        };
        if let Some(crisis) = timeline {
            let listing = modules::Listing { kind: None, of: Some(crisis.clone()), limit: crisis::TIMELINE_PAGE, after };
            let page = modules::page(&node, &me, &aid, &*m, &listing, "web")?;
            let records: Vec<Value> = page.records.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.json).ok()).collect();
            json.0["timeline_page"] = serde_json::json!({ "crisis": crisis.as_str(), "after": after.map(|c| c.0 .0), "records": records, "next": page.next.filter(|_| page.more).map(|c| c.0 .0) });
        }
        if m.has_collections() && json.0.get("named").is_none() {
            // A crisis's own collection: what of it the reader may see, and
            // the sightings of its indicators (detection hits).
            json.0["collections"] = collections(&node, &me, &aid, &m, &json.0["state"])?;
        }
        if let Some(channel) = channel {
            let listing = modules::Listing { kind: m.threads().map(|t| t.kind.to_owned()), of: Some(channel.clone()), limit: dialogue::CHANNEL_PAGE, after };
            let page = modules::page(&node, &me, &aid, &*m, &listing, "web")?;
            let records: Vec<Value> = page.records.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.json).ok()).collect();
            json.0["channel_page"] = serde_json::json!({ "channel": channel.as_str(), "records": records, "next": page.next.filter(|_| page.more).map(|c| c.0 .0) });
        }
        Ok::<_, modules::Error>(json)
    })
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(Problem::from)?;
    // The actions the caller's role may not take: their forms show disabled
    // (`fields::Page::form`), as the role the action needs says.
    let mut json = json;
    json["denied"] = module.actions().iter().filter(|a| modules::may_act(&signed.caller, &*module, a.name).is_err()).map(|a| Value::from(a.name)).collect();
    let names = super::partner_names(state).await?;
    let who = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let base = format!("/agreements/{id}/modules/{}", module.name());
    let content = match module.name() {
        _ if json.get("named").is_some() => named(&json, &who),
        "dialogue" => {
            let at = json["at"].as_str().unwrap_or_default();
            let month = query.get("month").map(String::as_str).unwrap_or(at.get(..7).unwrap_or_default());
            dialogue::page(&dialogue::Page { signed, base: &base, state: &json["state"], parties: &parties, month, fault: fault.as_ref(), who: &who, unread: &json["unread"], channel_page: &json["channel_page"] })
        }
        "objectives" => objectives::page(signed, &base, &json["state"], &parties, fault.as_ref(), &who),
        "crisis" => crisis::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"], &json["timeline_page"], &json["collections"]),
        "disputes" => disputes::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"]),
        "statements" => statements::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"]),
        "resources" => resources::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"], &resources::Pages::from_query(query)),
        "exercises" => exercises::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"]),
        "exchanges" => exchanges::page(&fields::Page::new(signed, &base, &json, fault.as_ref(), &who), &json["state"]),
        _ => generic(&json["state"], module.actions()),
    };
    let title = format!("{} — agreement", module.name());
    let body = html! {
        p { a href={ "/agreements/" (id) } { "Back to the agreement" } }
        h2 { "Module " (module.name()) }
        (content)
    };
    Ok((status, Html(layout(&title, Some(signed), body).into_string())).into_response())
}

/// The most objects and sightings a module's collection shows on its page.
const COLLECTION_SHOWN: usize = 200;

/// The collections `module` derives from its `state` under `agreement`
/// (a crisis's own), as `me` may see them: each one's id, anchor, title,
/// TAXII path, how many objects belong to it, the latest versions of the
/// first [`COLLECTION_SHOWN`] the reader may see, and the sightings of its
/// indicators the reader may see; each read through the gate and logged
/// on `web` (`node::modules::collections`). Blocking.
fn collections(node: &modules::Node, me: &StixId, agreement: &StixId, module: &std::sync::Arc<dyn partnership::Module>, state: &Value) -> Result<Value, modules::Error> {
    use node::modules::collections::{members, released, sightings, Found};
    let mut out = Vec::new();
    for collection in module.collections(state) {
        let found = Found { agreement: agreement.clone(), module: module.clone(), collection };
        let ids = members(node, me, &found)?;
        let objects = released(node, me, &found, &ids, COLLECTION_SHOWN, "web")?;
        let indicators: Vec<String> = objects.iter().filter(|r| r.object_type == "indicator").map(|r| r.id.clone()).collect();
        let hits = sightings(node, me, &indicators, COLLECTION_SHOWN, "web")?;
        let brief = |r: &store::Record| {
            let v: Value = serde_json::from_slice(&r.json).unwrap_or_default();
            serde_json::json!({ "id": r.id, "type": r.object_type, "name": v.get("name"), "author": r.created_by_ref, "modified": v.get("modified"),
                "sighting_of": v.get("sighting_of_ref"), "count": v.get("count"), "last_seen": v.get("last_seen").or(v.get("created")) })
        };
        let c = &found.collection;
        out.push(serde_json::json!({
            "id": c.id, "anchor": c.anchor, "title": c.title,
            "url": format!("/taxii2/{}/collections/{}/objects/", taxii::API_ROOT, c.id),
            "members": ids.len(),
            "objects": objects.iter().map(brief).collect::<Vec<_>>(),
            "hits": hits.iter().map(brief).collect::<Vec<_>>(),
        }));
    }
    Ok(Value::Array(out))
}

/// The error of `fault` if it is about `field` of `action` on `about`.
pub(super) fn error_for(fault: Option<&Fault>, action: &str, about: &str, field: &str) -> Option<Markup> {
    fault.filter(|f| f.action == action && f.about == about && f.field == field).map(|f| html! { p.error role="alert" { "Check the field " code { (field) } ": " (f.message) } })
}

/// The error of `fault` if it is about `field` of `action` on `about` or a
/// part of it (`kpis[0].baseline` under `kpis`), naming the part.
pub(super) fn error_under(fault: Option<&Fault>, action: &str, about: &str, field: &str) -> Option<Markup> {
    let under = |f: &&Fault| f.field == field || f.field.strip_prefix(field).is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'));
    fault.filter(|f| f.action == action && f.about == about).filter(under).map(|f| html! { p.error role="alert" { "Check the field " code { (f.field) } ": " (f.message) } })
}

/// A refused input of `action` on `about` that no field of its form
/// shows ([`error_for`], [`error_under`]) with the names in `shown`.
pub(super) fn error_other(fault: Option<&Fault>, action: &str, about: &str, shown: &[&str]) -> Option<Markup> {
    let elsewhere = |f: &&Fault| !shown.iter().any(|s| f.field == *s || f.field.strip_prefix(s).is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.')));
    fault.filter(|f| f.action == action && f.about == about).filter(elsewhere).map(|f| html! { p.error role="alert" { "Check " code { (f.field) } ": " (f.message) } })
}

/// Any other module: its state and the actions it offers.
/// The page of a reader no party of the agreement (a mediator): the
/// versions of the module's records that name it, oldest first, each
/// property as sent (escaped), and nothing else of the agreement.
fn named(json: &Value, who: &dyn Fn(&str) -> String) -> Markup {
    const COMMON: [&str; 8] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", "agreement_ref", "extensions"];
    let versions = json["versions"].as_array().cloned().unwrap_or_default();
    html! {
        p.hint { "You are named in these records (a mediator, say) but no party of the agreement: you see them and nothing else of it." }
        @for v in &versions {
            article.record {
                h4 { code { (v["type"].as_str().unwrap_or_default()) } " by " (who(v["created_by_ref"].as_str().unwrap_or_default())) " " small { (v["modified"].as_str().unwrap_or_default()) } }
                dl {
                    dt { "id" } dd { code { (v["id"].as_str().unwrap_or_default()) } }
                    @for (k, x) in v.as_object().into_iter().flatten().filter(|(k, _)| !COMMON.contains(&k.as_str())) {
                        dt { (k) } dd { @if let Some(t) = x.as_str() { (t) } @else { code { (x.to_string()) } } }
                    }
                }
            }
        }
    }
}

fn generic(state: &Value, actions: &[partnership::Action]) -> Markup {
    html! {
        h3 { "State" }
        pre { (serde_json::to_string_pretty(state).unwrap_or_default()) }
        h3 { "Actions" }
        ul { @for a in actions { li { code { (a.name) } ": " (a.about) } } }
    }
}

/// A module action's input from a form's fields, empty ones and the token
/// left out. A field's name may end in a type the module wants, since a
/// form posts strings: `name:number` (a JSON number; not a number stays
/// a string, for the module to refuse by name), `name:list` (a list of
/// strings, one per line or comma), `name:bool` (`on`/`true` → true),
/// `name:json` (parsed JSON, a string if it does not parse), `name:time`
/// (a browser's `datetime-local`, `2026-12-06T18:30`, read as UTC: an
/// RFC 3339 timestamp; anything else stays as typed). A name that
/// repeats (checkboxes) makes a list; a `:list` name that repeats, one
/// list of all its values. A name `list[i].field` (typed or
/// not; a `:list` one repeated gives one list) makes a list of objects, one per index in order, each with the
/// fields given for it (a row left empty is left out).
pub(super) fn typed_input(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut input = Map::new();
    let mut rows: std::collections::BTreeMap<&str, std::collections::BTreeMap<u32, Map<String, Value>>> = Default::default();
    for (key, raw) in pairs.iter().filter(|(k, v)| k != "csrf" && !v.is_empty()) {
        let (name, kind) = key.split_once(':').unwrap_or((key.as_str(), ""));
        let value = typed(kind, raw);
        if let Some((list, i, field)) = row_of(name) {
            let row = rows.entry(list).or_default().entry(i).or_default();
            // Checkboxes of a row (`list[i].field:list` repeated) make one list.
            match (row.get_mut(field), kind) {
                (Some(Value::Array(values)), "list") => values.extend(value.as_array().cloned().unwrap_or_default()),
                _ => {
                    row.insert(field.to_owned(), value);
                }
            }
            continue;
        }
        match input.get_mut(name) {
            Some(Value::Array(list)) if kind == "list" => list.extend(value.as_array().cloned().unwrap_or_default()),
            Some(Value::Array(list)) => list.push(value),
            Some(previous) => *previous = Value::Array(vec![previous.take(), value]),
            None => {
                input.insert(name.to_owned(), value);
            }
        }
    }
    for (list, by_index) in rows {
        input.insert(list.to_owned(), Value::Array(by_index.into_values().map(Value::Object).collect()));
    }
    input
}

/// `list[i].field` as its parts.
fn row_of(name: &str) -> Option<(&str, u32, &str)> {
    let (list, rest) = name.split_once('[')?;
    let (i, field) = rest.split_once("].")?;
    Some((list, i.parse().ok()?, field)).filter(|(l, _, f)| !l.is_empty() && !f.is_empty())
}

/// A form's string as the type its field's name asks for.
fn typed(kind: &str, raw: &str) -> Value {
    match kind {
        "number" => raw.trim().parse::<i64>().map(Value::from).ok().or_else(|| raw.trim().parse::<f64>().ok().and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))).unwrap_or_else(|| Value::String(raw.to_owned())),
        "list" => Value::Array(raw.split(['\n', ',']).map(str::trim).filter(|v| !v.is_empty()).map(|v| Value::String(v.to_owned())).collect()),
        "bool" => Value::Bool(matches!(raw, "on" | "true" | "yes")),
        "json" => serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned())),
        "time" => Value::String(fields::utc(raw.trim())),
        _ => Value::String(raw.to_owned()),
    }
}

/// Which form of a page an input came from, for the page to show a refusal
/// next to that form: the record it is about (the message replied to, the
/// channel, message, meeting, action item or objective), then `/` and the KPI a
/// report names or the kind of update an item's form makes; "" for a form
/// about no record. The other modules' forms are told apart by
/// [`fields::about_of`] (their `objective`, say, is an exercise's O-1, not
/// a record).
pub(super) fn about(module: &str, input: &Map<String, Value>) -> String {
    if !matches!(module, "dialogue" | "objectives") {
        return fields::about_of(input);
    }
    let record = ["reply_to", "channel", "message", "meeting", "action_item", "objective"].iter().find_map(|k| input.get(*k).and_then(Value::as_str)).unwrap_or_default();
    let mut about = record.to_owned();
    for detail in ["kpi", "update"].iter().filter_map(|k| input.get(*k).and_then(Value::as_str)) {
        about.push('/');
        about.push_str(detail);
    }
    about
}

/// Runs an action of a module from its form.
pub(super) async fn act(State(state): State<Site>, signed: Signed, Path((id, name, action)): Path<(String, String, String)>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    let id = agreement_id(&id)?;
    let module = modules::find(&state.modules, &name).map_err(Problem::from)?;
    // The role the action needs, as on REST (docs/modules.md#roles).
    modules::may_act(&signed.caller, &*module, &action).map_err(Problem::from)?;
    let input = typed_input(&pairs);
    let about = about(module.name(), &input);
    let typed = input.get("text").or_else(|| input.get("title")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (node, me, aid, m, act, keys) = (state.modules_node(), signed.caller.partner.clone(), id.clone(), module.clone(), action.clone(), state.keys.clone());
    // Signed by the caller's party key where the module signs (a ratification).
    let done = tokio::task::spawn_blocking(move || modules::act_signed(&node, &keys, &me, &aid, &*m, &act, &input, "web")).await.map_err(|e| Problem::internal(e.to_string()))?;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/agreements/{id}/modules/{}", module.name())).into_response()),
        Err(modules::Error::Module(partnership::Error::Invalid { property, reason, .. })) => {
            let pairs = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
            let fault = Fault { action, about, field: property, message: reason, typed, pairs };
            render(&state, &signed, &id, &name, &HashMap::new(), Some(fault), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(Problem::from(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// Typed names give the module numbers, lists, booleans and JSON; a
    /// repeated name gives a list; the token and empty fields are left out.
    #[test]
    fn form_fields_become_typed_input() {
        let pairs: Vec<(String, String)> = [("csrf", "t"), ("title", "Drill"), ("hours:number", "4"), ("share:number", "0.5"), ("bad:number", "four"), ("to:list", "a, b\nc"), ("open:bool", "on"), ("terms:json", "{\"x\":1}"), ("party", "p1"), ("party", "p2"), ("with:list", "p1"), ("with:list", "p2, p3"), ("empty", "")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
        let input = super::typed_input(&pairs);
        assert_eq!(serde_json::Value::Object(input), json!({ "title": "Drill", "hours": 4, "share": 0.5, "bad": "four", "to": ["a", "b", "c"], "open": true, "terms": { "x": 1 }, "party": ["p1", "p2"], "with": ["p1", "p2", "p3"] }));
    }

    /// `list[i].field` names make a list of objects in index order, typed
    /// fields typed, a row left empty left out.
    #[test]
    fn indexed_fields_become_a_list_of_objects() {
        let pairs: Vec<(String, String)> = [("kpis[1].name", "b"), ("kpis[0].name", "a"), ("kpis[0].baseline:number", "3"), ("kpis[2].name", ""), ("kpis[10].weight:number", "2"), ("title", "T"), ("x[].y", "z"), ("rows[0].to:list", "p1"), ("rows[0].to:list", "p2")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
        let input = super::typed_input(&pairs);
        assert_eq!(serde_json::Value::Object(input), json!({ "title": "T", "kpis": [{ "name": "a", "baseline": 3 }, { "name": "b" }, { "weight": 2 }], "x[].y": "z", "rows": [{ "to": ["p1", "p2"] }] }));
    }
}
