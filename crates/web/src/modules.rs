//! Module pages: `/agreements/{id}/modules/{module}`, one page per
//! registered partnership module under an agreement, drawn from the
//! module's state (read through [`node::modules::view`], so through the
//! caller's release gate and logged), and the forms of its actions, posted
//! to `/agreements/{id}/modules/{module}/actions/{action}` and handed to
//! [`node::modules::act`] after the CSRF check. The dialogue module gets a
//! channel page (threads, a compose form per channel, a reply form per
//! message), the objectives module a page of objectives (a progress bar
//! per KPI, the progress chart, an endorse button); other modules show
//! their state and actions. An agreement the
//! caller's partner is no party to is the same 404 page as a missing one.
//! A refused input comes back as the page again, 422, with the message
//! next to the field the module named (`partnership::Error::Invalid`).

use axum::extract::{Path, State};
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

/// A POST's fields, in order.
type Pairs = Vec<(String, String)>;

/// A refused input: the form (action and the record it is about), the
/// field at fault and why, and what was typed.
struct Fault {
    action: String,
    about: String,
    field: String,
    message: String,
    typed: String,
}

/// The page of `module` under agreement `id`.
pub(super) async fn show(State(state): State<Site>, signed: Signed, Path((id, module)): Path<(String, String)>) -> Result<Response, WebError> {
    let id = agreement_id(&id)?;
    render(&state, &signed, &id, &module, None, StatusCode::OK).await
}

async fn render(state: &Site, signed: &Signed, id: &StixId, name: &str, fault: Option<Fault>, status: StatusCode) -> Result<Response, WebError> {
    let module = modules::find(&state.modules, name).map_err(Problem::from)?;
    let (node, me, aid) = (state.modules_node(), signed.caller.partner.clone(), id.clone());
    let m = module.clone();
    let json = tokio::task::spawn_blocking(move || modules::view(&node, &me, &aid, &*m, "web").map(|scope| modules::state_json(&*m, &scope)))
        .await
        .map_err(|e| Problem::internal(e.to_string()))?
        .map_err(Problem::from)?;
    let names = super::partner_names(state).await?;
    let who = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let base = format!("/agreements/{id}/modules/{}", module.name());
    let content = match module.name() {
        "dialogue" => dialogue(signed, &base, &json["state"], fault.as_ref(), &who),
        "objectives" => objectives(signed, &base, &json["state"], &who),
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

/// The error of `fault` if it is about `field` of `action` on `about`.
fn error_for(fault: Option<&Fault>, action: &str, about: &str, field: &str) -> Option<Markup> {
    fault.filter(|f| f.action == action && f.about == about && f.field == field).map(|f| html! { p.error role="alert" { "Check the field " code { (field) } ": " (f.message) } })
}

/// The dialogue module's channels, their threads and compose forms.
fn dialogue(signed: &Signed, base: &str, state: &Value, fault: Option<&Fault>, who: &dyn Fn(&str) -> String) -> Markup {
    let channels = state["channels"].as_array().cloned().unwrap_or_default();
    let typed = |action: &str, about: &str| fault.filter(|f| f.action == action && f.about == about).map(|f| f.typed.clone()).unwrap_or_default();
    html! {
        @if channels.is_empty() { p { "No channels yet." } }
        @for c in &channels {
            @let cid = c["id"].as_str().unwrap_or_default();
            section.channel {
                h3 { (c["title"].as_str().unwrap_or("(untitled)")) }
                @if let Some(topic) = c["topic"].as_str() { p.hint { (topic) } }
                @let messages = c["messages"].as_array().cloned().unwrap_or_default();
                @let roots: Vec<&Value> = messages.iter().filter(|m| m["reply_to"].is_null()).collect();
                @for root in roots {
                    @let tid = root["id"].as_str().unwrap_or_default();
                    article.thread {
                        @for m in messages.iter().filter(|m| m["thread"].as_str() == Some(tid)) {
                            @let mid = m["id"].as_str().unwrap_or_default();
                            div.message {
                                p { strong { (who(m["author"].as_str().unwrap_or_default())) } " " small { (m["created"].as_str().unwrap_or_default()) } }
                                p { (m["text"].as_str().unwrap_or_default()) }
                                form method="post" action={ (base) "/actions/post-message" } {
                                    input type="hidden" name="csrf" value=(signed.csrf);
                                    input type="hidden" name="channel" value=(cid);
                                    input type="hidden" name="reply_to" value=(mid);
                                    label for={ "reply-" (mid) } { "Reply" }
                                    input id={ "reply-" (mid) } type="text" name="text" value=(typed("post-message", mid));
                                    @if let Some(e) = error_for(fault, "post-message", mid, "text") { (e) }
                                    button type="submit" { "Reply" }
                                }
                            }
                        }
                    }
                }
                form.compose method="post" action={ (base) "/actions/post-message" } {
                    input type="hidden" name="csrf" value=(signed.csrf);
                    input type="hidden" name="channel" value=(cid);
                    label for={ "text-" (cid) } { "New message" }
                    textarea id={ "text-" (cid) } name="text" rows="3" { (typed("post-message", cid)) }
                    @if let Some(e) = error_for(fault, "post-message", cid, "text") { (e) }
                    button type="submit" { "Post" }
                }
            }
        }
        h3 { "Open a channel" }
        form method="post" action={ (base) "/actions/create-channel" } {
            input type="hidden" name="csrf" value=(signed.csrf);
            label for="channel-title" { "Title" }
            input id="channel-title" type="text" name="title" value=(typed("create-channel", ""));
            @if let Some(e) = error_for(fault, "create-channel", "", "title") { (e) }
            label for="channel-topic" { "Topic (optional)" }
            input id="channel-topic" type="text" name="topic";
            button type="submit" { "Open" }
        }
    }
}

/// The objectives module: each objective with a progress bar per KPI, a
/// chart of the reported progress over time, and an endorse button while
/// the caller's partner has not endorsed its latest version.
fn objectives(signed: &Signed, base: &str, state: &Value, who: &dyn Fn(&str) -> String) -> Markup {
    let list = state["objectives"].as_array().cloned().unwrap_or_default();
    let me = signed.caller.partner.as_str();
    let percent = |v: &Value| (v.as_f64().unwrap_or(0.0).clamp(0.0, 1.0) * 100.0).round() as u64;
    html! {
        @if list.is_empty() { p { "No objectives yet." } }
        @for o in &list {
            @let oid = o["id"].as_str().unwrap_or_default();
            @let kpis = o["kpis"].as_array().cloned().unwrap_or_default();
            section.objective {
                h3 { (o["title"].as_str().unwrap_or("(untitled)")) }
                p.hint { "Proposed by " (who(o["author"].as_str().unwrap_or_default())) "; " (o["stage"].as_str().unwrap_or_default()) "; progress " (percent(&o["progress"])) "%" }
                @if let Some(d) = o["description"].as_str() { p { (d) } }
                @for k in &kpis {
                    @let name = k["name"].as_str().unwrap_or_default();
                    p { label { (name) " (" (k["baseline"]) " → " (k["target"]) " " (k["unit"].as_str().unwrap_or_default()) ", due " (k["due"].as_str().unwrap_or_default()) ")" } " "
                        progress max="100" value=(percent(&k["progress"])) { (percent(&k["progress"])) "%" } " " (percent(&k["progress"])) "%" }
                }
                @let mut dates: Vec<String> = kpis.iter().flat_map(|k| k["history"].as_array().cloned().unwrap_or_default()).filter_map(|h| h["measured_at"].as_str().map(str::to_owned)).collect();
                @let _ = { dates.sort(); dates.dedup(); };
                @let series = weighted_shares(&kpis, &dates);
                @if !dates.is_empty() {
                    (crate::kit::chart::stacked_bars("The objective's progress over time (percent; each KPI's weighted share)", &dates, &series))
                }
                @if o["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p.as_str() == Some(me))) {
                    form method="post" action={ (base) "/actions/endorse" } {
                        input type="hidden" name="csrf" value=(signed.csrf);
                        input type="hidden" name="objective" value=(oid);
                        button type="submit" { "Endorse" }
                    }
                }
            }
        }
    }
}

/// Any other module: its state and the actions it offers.
fn generic(state: &Value, actions: &[partnership::Action]) -> Markup {
    html! {
        h3 { "State" }
        pre { (serde_json::to_string_pretty(state).unwrap_or_default()) }
        h3 { "Actions" }
        ul { @for a in actions { li { code { (a.name) } ": " (a.about) } } }
    }
}

/// Runs an action of a module from its form.
pub(super) async fn act(State(state): State<Site>, signed: Signed, Path((id, name, action)): Path<(String, String, String)>, Form(pairs): Form<Pairs>) -> Result<Response, WebError> {
    if let Err(r) = csrf(&signed, &pairs) {
        return Ok(r.into_response());
    }
    // The role the REST actions need (docs/modules.md).
    if !signed.caller.can(store::Role::Analyst) {
        return Err(Problem::client(StatusCode::FORBIDDEN, "forbidden", "partnership actions need the analyst, liaison or admin role").into());
    }
    let id = agreement_id(&id)?;
    let module = modules::find(&state.modules, &name).map_err(Problem::from)?;
    // Every field but the token, as a string; empty ones left out.
    let input: Map<String, Value> = pairs.iter().filter(|(k, v)| k != "csrf" && !v.is_empty()).map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let about = input.get("reply_to").or_else(|| input.get("channel")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let typed = input.get("text").or_else(|| input.get("title")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let (node, me, aid, m, act) = (state.modules_node(), signed.caller.partner.clone(), id.clone(), module.clone(), action.clone());
    let done = tokio::task::spawn_blocking(move || modules::act(&node, &me, &aid, &*m, &act, &input, "web")).await.map_err(|e| Problem::internal(e.to_string()))?;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/agreements/{id}/modules/{}", module.name())).into_response()),
        Err(modules::Error::Module(partnership::Error::Invalid { property, reason, .. })) => {
            let fault = Fault { action, about, field: property, message: reason, typed };
            render(&state, &signed, &id, &name, Some(fault), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(Problem::from(e).into()),
    }
}

/// Each KPI's weighted share of its objective's progress at each date, in
/// percent: `100 · wᵢ · pᵢ(d) / Σw`, `pᵢ(d)` the progress of the KPI's
/// latest report measured at or before `d` (0 before its first). Stacked,
/// the shares add up to the objective's progress at that date, never past
/// 100 (docs/partnership.md#objectives).
fn weighted_shares(kpis: &[Value], dates: &[String]) -> Vec<(String, Vec<u64>)> {
    let weight = |k: &Value| k["weight"].as_f64().filter(|w| *w > 0.0).unwrap_or(0.0);
    let total: f64 = kpis.iter().map(weight).sum();
    kpis.iter()
        .map(|k| {
            let history = k["history"].as_array().cloned().unwrap_or_default();
            let values = dates
                .iter()
                .map(|d| {
                    let latest = history
                        .iter()
                        .filter(|h| h["measured_at"].as_str().is_some_and(|t| t <= d.as_str()))
                        .max_by(|a, b| a["measured_at"].as_str().cmp(&b["measured_at"].as_str()))
                        .and_then(|h| h["progress"].as_f64())
                        .unwrap_or(0.0);
                    if total > 0.0 { (100.0 * weight(k) * latest / total).round() as u64 } else { 0 }
                })
                .collect();
            (k["name"].as_str().unwrap_or_default().to_owned(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// Two KPIs, weights 1 and 3, reported at different dates: each date
    /// carries the latest value forward, and the stacked shares add up to
    /// the objective's progress, never past 100.
    #[test]
    fn the_shares_stack_to_the_objectives_progress() {
        let kpis = vec![
            json!({ "name": "a", "weight": 1, "history": [{ "measured_at": "2026-01-01T00:00:00Z", "progress": 1.0 }] }),
            json!({ "name": "b", "weight": 3, "history": [{ "measured_at": "2026-02-01T00:00:00Z", "progress": 0.5 }, { "measured_at": "2026-03-01T00:00:00Z", "progress": 1.0 }] }),
        ];
        let dates: Vec<String> = ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"].map(String::from).to_vec();
        let series = super::weighted_shares(&kpis, &dates);
        assert_eq!(series[0].1, [25, 25, 25], "a is carried forward at its weight");
        assert_eq!(series[1].1, [0, 38, 75]);
        let totals: Vec<u64> = (0..3).map(|i| series.iter().map(|s| s.1[i]).sum()).collect();
        assert_eq!(totals, [25, 63, 100]);
    }
}
