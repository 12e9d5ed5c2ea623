//! The crisis module's page: the crisis board (active crises first, most
//! severe first, real and exercise marked on each), and for each crisis
//! its common picture: acknowledgements against their deadline, tasks with
//! owner, status and the service-level deadline that runs (overdue
//! flagged), the latest situation report of each party newest first,
//! assistance requested against offered, committed and delivered, key
//! intelligence, reviews and the timeline; the playbooks with their
//! endorsements; and the forms of the actions the caller's partner may
//! take on each.

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{join, opt, req, text, when, Field, Kind, Page};

/// The crisis module's page from its state (`crisis::rules::state`), with
/// a page of one crisis's whole timeline when one was asked for
/// (`timeline`: the crisis, the records of the page, where the next begins).
pub(super) fn page(p: &Page<'_>, state: &Value, timeline: &Value, collections: &Value) -> Markup {
    let crises = state["crises"].as_array().cloned().unwrap_or_default();
    let playbooks = state["playbooks"].as_array().cloned().unwrap_or_default();
    html! {
        nav.sections { a href="#crises" { "Crisis board" } " · " a href="#activate" { "Activate" } " · " a href="#playbooks" { "Playbooks" } }
        p.lead id="crises" { (state["active"]) " active: " (state["active_real"]) " real, " (state["active_exercises"]) " exercise." }
        @if crises.is_empty() { p { "No crisis yet." } }
        @if timeline.is_object() { (timeline_page(p, timeline)) }
        @for c in &crises { (crisis(p, c, collections.as_array().into_iter().flatten().find(|k| k["anchor"] == c["id"]))) }
        h3 id="activate" { "Activate a crisis" }
        @for b in playbooks.iter().filter(|b| b["endorsed"] == true) {
            @let bid = b["id"].as_str().unwrap_or_default();
            (p.form("activate", bid, &format!("From the playbook “{}”", text(&b["title"])), &[("playbook", bid)], &ACTIVATE[..4], "Activate"))
        }
        (p.form("activate", "", "Ad hoc (tasks added afterwards)", &[], &ACTIVATE, "Activate"))
        h3 id="playbooks" { "Playbooks" }
        @if playbooks.is_empty() { p { "No playbook yet." } }
        @for b in &playbooks { (playbook(p, b)) }
        (p.form("draft-playbook", "", "Draft a playbook: roles and tasks a row each (rows left empty are left out)", &[], &PLAYBOOK, "Draft"))
    }
}

/// A role row `i`: its name and the party holding it.
macro_rules! role {
    ($i:literal) => {
        [
            opt(concat!("roles[", $i, "].role"), concat!("Role ", $i, " (such as lead)"), Kind::Line),
            opt(concat!("roles[", $i, "].party_ref"), concat!("Role ", $i, ": held by"), Kind::Party),
        ]
    };
}

/// A task row `i`: its phase, key, title, owner role and service levels.
macro_rules! task {
    ($i:literal) => {
        [
            opt(concat!("tasks[", $i, "].phase"), concat!("Task ", $i, ": phase"), Kind::Choice(PHASES)),
            opt(concat!("tasks[", $i, "].key"), concat!("Task ", $i, ": key (letters, digits, - or _)"), Kind::Line),
            opt(concat!("tasks[", $i, "].title"), concat!("Task ", $i, ": title"), Kind::Line),
            opt(concat!("tasks[", $i, "].owner_role"), concat!("Task ", $i, ": owner role"), Kind::Line),
            opt(concat!("tasks[", $i, "].ack_within_minutes"), concat!("Task ", $i, ": acknowledge within (minutes)"), Kind::Number),
            opt(concat!("tasks[", $i, "].complete_within_minutes"), concat!("Task ", $i, ": complete within (minutes)"), Kind::Number),
        ]
    };
}


/// The form adding tasks to a playbook (`revise-playbook`).
const MORE_TASKS: [Field; 12] = join(&[&task!(0), &task!(1)]);

/// The playbook form: what it is, its communication plan, four role
/// rows, five task rows.
const PLAYBOOK: [Field; 44] = join(&[
    &[
        req("title", "Title", Kind::Line),
        req("hazard", "Hazard", Kind::Choice(HAZARDS)),
        opt("ack_within_minutes", "Acknowledge a crisis within (minutes)", Kind::Number),
        opt("activation_criteria", "Activation criteria", Kind::Area),
        opt("communication_channel", "Communication: channel", Kind::Line),
        opt("statement_template", "Communication: statement template", Kind::Area),
    ],
    &role!(0), &role!(1), &role!(2), &role!(3),
    &task!(0), &task!(1), &task!(2), &task!(3), &task!(4),
]);

const SEVERITIES: &[&str] = &["extreme", "severe", "moderate", "minor", "unknown"];
const HAZARDS: &[&str] = &["cyber-incident", "hybrid-campaign", "pandemic", "natural-disaster", "industrial-accident", "terrorism", "other"];
const PHASES: &[&str] = &["alert", "activation", "response", "recovery", "review"];
const TASK_STATUSES: &[&str] = &["acknowledged", "accepted", "in-progress", "done", "declined"];

/// The activation form's fields (from a playbook: the first four).
const ACTIVATE: [super::fields::Field; 5] = [
    req("title", "Title", Kind::Line),
    req("severity", "Severity", Kind::Choice(SEVERITIES)),
    req("exercise", "Real or exercise", Kind::Flag("Real", "Exercise")),
    opt("summary", "Summary", Kind::Area),
    opt("ack_within_minutes", "Acknowledge within (minutes)", Kind::Number),
];

/// "EXERCISE" or "REAL", marked.
fn kind(exercise: bool) -> Markup {
    html! { @if exercise { mark { "EXERCISE" } } @else { strong.state { "REAL" } } }
}

/// An overdue mark when `breached`.
fn overdue(breached: bool) -> Markup {
    html! { @if breached { " " strong.deny { "overdue" } } }
}

fn crisis(p: &Page<'_>, c: &Value, collection: Option<&Value>) -> Markup {
    let cid = c["id"].as_str().unwrap_or_default();
    let active = c["status"] == "active";
    let exercise = c["exercise"] == true;
    let lead = c["lead"].as_str() == Some(p.me());
    let mut sitreps = c["sitreps"].as_array().cloned().unwrap_or_default();
    sitreps.sort_by(|a, b| b["created"].as_str().cmp(&a["created"].as_str()));
    let tasks = c["tasks"].as_array().cloned().unwrap_or_default();
    let assistance = c["assistance"].as_array().cloned().unwrap_or_default();
    let timeline = c["timeline"].as_array().cloned().unwrap_or_default();
    html! {
        section.crisis id={ "crisis-" (cid) } {
            h3 { (kind(exercise)) " " (text(&c["title"])) }
            dl.facts {
                dt { "Status" } dd { (text(&c["status"])) @if let Some(r) = c["close_reason"].as_str() { " (" (r) ")" } }
                dt { "Severity" } dd { (text(&c["severity"])) }
                dt { "Distribution" } dd { (text(&c["distribution_status"])) }
                @if c["hazard"].is_string() { dt { "Hazard" } dd { (text(&c["hazard"])) } }
                dt { "Lead" } dd { (p.name(&c["lead"])) }
                dt { "Activated" } dd { (when(&c["activated"])) }
                @if c["closed_at"].is_string() { dt { "Closed" } dd { (when(&c["closed_at"])) } }
                dt { "Service-level breaches" } dd { (c["breaches"]["acknowledge"]) " to acknowledge, " (c["breaches"]["complete"]) " to complete" }
            }
            @if let Some(s) = c["summary"].as_str() { p { (s) } }

            h4 { "Acknowledgements" }
            table {
                thead { tr { th { "Party" } th { "Acknowledged" } th { "Deadline" } } }
                tbody {
                    @for a in c["acknowledgements"].as_array().into_iter().flatten() {
                        tr {
                            td { (p.name(&a["party"])) }
                            td { (when(&a["acknowledged_at"])) @if let Some(m) = a["minutes_to_acknowledge"].as_i64() { " (" (m) " min)" } }
                            td { (when(&a["deadline"])) (overdue(a["breached"] == true)) }
                        }
                    }
                }
            }
            @if active && c["acknowledgements"].as_array().into_iter().flatten().any(|a| a["party"].as_str() == Some(p.me()) && a["acknowledged_at"].is_null()) {
                (p.form("acknowledge", cid, "Acknowledge this crisis for your party", &[("crisis", cid)], &[opt("note", "Note", Kind::Line)], "Acknowledge"))
            }

            h4 id={ "tasks-" (cid) } { "Task board" }
            @let count = |f: &dyn Fn(&Value) -> bool| tasks.iter().filter(|t| f(t)).count();
            p.hint {
                (count(&|t| t["open"] == true)) " open (" (count(&|t| t["open"] == true && (t["ack_breached"] == true || t["complete_breached"] == true))) " overdue), "
                (count(&|t| t["status"] == "done")) " done, " (count(&|t| t["status"] == "declined")) " declined. "
                a href={ "#timeline-" (cid) } { "Timeline" }
            }
            @if tasks.is_empty() { p { "No task." } } @else {
                table {
                    thead { tr { th { "Task" } th { "Phase" } th { "Owner" } th { "Status" } th { "Deadline" } } }
                    tbody {
                        @for t in &tasks {
                            @let acked = !t["acknowledged_at"].is_null();
                            tr {
                                td { (text(&t["title"])) " " small { code { (text(&t["key"])) } } }
                                td { (text(&t["phase"])) }
                                td { (p.name(&t["assignee"])) }
                                td { (text(&t["status"])) @if let Some(r) = t["reason"].as_str() { ": " (r) } }
                                td {
                                    @if t["open"] == true {
                                        @if acked { "complete by " (when(&t["complete_deadline"])) } @else { "acknowledge by " (when(&t["ack_deadline"])) }
                                        (overdue(t["ack_breached"] == true || t["complete_breached"] == true))
                                    } @else if let Some(d) = t["done_at"].as_str() {
                                        "done " (when(&Value::from(d))) @if t["complete_breached"] == true { " " strong.deny { "late" } }
                                    } @else { "—" }
                                }
                            }
                        }
                    }
                }
            }
            @if active {
                @for t in tasks.iter().filter(|t| t["open"] == true) {
                    @let key = t["key"].as_str().unwrap_or_default();
                    @let about = format!("{cid} {key}");
                    @if t["assignee"].as_str() == Some(p.me()) {
                        (p.form("update-task", &about, &format!("Update your task “{}”", text(&t["title"])), &[("crisis", cid), ("task", key)], &[
                            req("status", "Status", Kind::Choice(TASK_STATUSES)),
                            opt("reason", "Reason (when declined)", Kind::Line),
                            opt("note", "Note", Kind::Line),
                        ], "Update"))
                    }
                    @if lead {
                        (p.form("reassign-task", &about, &format!("Reassign “{}”", text(&t["title"])), &[("crisis", cid), ("task", key)], &[req("assignee", "To", Kind::Party)], "Reassign"))
                    }
                }
                @if lead {
                    (p.form("add-task", cid, "Assign a new task", &[("crisis", cid)], &[
                        req("key", "Key (letters, digits, - or _)", Kind::Line),
                        req("title", "Title", Kind::Line),
                        req("phase", "Phase", Kind::Choice(PHASES)),
                        req("assignee", "Assignee", Kind::Party),
                        req("ack_within_minutes", "Acknowledge within (minutes)", Kind::Number),
                        req("complete_within_minutes", "Complete within (minutes)", Kind::Number),
                    ], "Assign"))
                }
            }

            h4 { "Situation reports" }
            @if sitreps.is_empty() { p { "No situation report yet." } }
            @for s in &sitreps {
                article.sitrep {
                    p { strong { (p.name(&s["party"])) } " — period " (when(&s["period_start"])) " to " (when(&s["period_end"])) "; filed " (when(&s["created"])) " (" (s["reports"]) " in all)" }
                    p { (text(&s["situation_summary"])) }
                    dl.facts {
                        @for (k, label) in [("observations", "Observations"), ("actions_taken", "Actions taken"), ("actions_planned", "Actions planned"), ("resources_committed", "Resources committed"), ("impact", "Impact")] {
                            @if let Some(v) = s[k].as_str() { dt { (label) } dd { (v) } }
                        }
                        @if s["next_report_due"].is_string() { dt { "Next report due" } dd { (when(&s["next_report_due"])) (overdue(s["overdue"] == true)) } }
                    }
                }
            }
            @if active {
                (p.form("file-sitrep", cid, "File your party's situation report", &[("crisis", cid)], &[
                    req("period_start", "Period start", Kind::Time),
                    req("period_end", "Period end", Kind::Time),
                    req("situation_summary", "Situation summary", Kind::Area),
                    opt("observations", "Observations", Kind::Area),
                    opt("actions_taken", "Actions taken", Kind::Area),
                    opt("actions_planned", "Actions planned", Kind::Area),
                    opt("resources_committed", "Resources committed", Kind::Area),
                    opt("impact", "Impact", Kind::Area),
                    opt("next_report_due", "Next report due", Kind::Time),
                    opt("key_intelligence_refs", "Key intelligence (STIX ids, one per line)", Kind::List),
                ], "File"))
            }

            h4 { "Assistance" }
            @if assistance.is_empty() { p { "No assistance requested." } } @else {
                table {
                    thead { tr { th { "Resource" } th { "Requested by" } th.num { "Requested" } th.num { "Offered" } th.num { "Committed" } th.num { "Delivered" } th { "Stage" } th { "Needed by" } } }
                    tbody {
                        @for a in &assistance {
                            @let unit = a["unit"].as_str().unwrap_or_default();
                            tr {
                                td { (text(&a["resource"])) @if let Some(d) = a["description"].as_str() { br; small { (d) } } }
                                td { (p.name(&a["requester"])) }
                                td.num { (text(&a["quantity"])) " " (unit) }
                                td.num { (text(&a["offered"])) }
                                td.num { (text(&a["committed"])) @if a["exceeds_request"] == true { " " small { "(more than requested)" } } }
                                td.num { (text(&a["delivered"])) }
                                td { (text(&a["stage"])) @if a["providers"].as_array().is_some_and(|l| !l.is_empty()) { " by " (p.names(&a["providers"])) } }
                                td { (when(&a["needed_by"])) }
                            }
                        }
                    }
                }
            }
            @if active {
                @for a in &assistance {
                    @let rid = a["id"].as_str().unwrap_or_default();
                    @let what = text(&a["resource"]);
                    @if a["requester"].as_str() == Some(p.me()) {
                        (p.form("release-assistance", rid, &format!("Release what was delivered: {what}"), &[("request", rid)], &[opt("note", "Note", Kind::Line)], "Release"))
                    } @else {
                        (p.form("commit-assistance", rid, &format!("Commit against the request: {what}"), &[("request", rid)], &[
                            req("quantity", "Quantity", Kind::Number),
                            opt("exceeds_request", "More than requested, knowingly", Kind::Check),
                            opt("note", "Note", Kind::Line),
                        ], "Commit"))
                        (p.form("deliver-assistance", rid, &format!("Record a delivery: {what}"), &[("request", rid)], &[req("quantity", "Quantity", Kind::Number), opt("note", "Note", Kind::Line)], "Delivered"))
                    }
                }
                (p.form("request-assistance", cid, "Request assistance", &[("crisis", cid)], &[
                    req("resource", "Resource", Kind::Line),
                    req("quantity", "Quantity", Kind::Number),
                    opt("unit", "Unit", Kind::Line),
                    opt("description", "Description", Kind::Area),
                    opt("needed_by", "Needed by", Kind::Time),
                ], "Request"))
            }

            @if let Some(k) = collection { (intelligence(p, k)) }
            @if c["key_intelligence"].as_array().is_some_and(|l| !l.is_empty()) {
                h4 { "Key intelligence" }
                ul { @for id in c["key_intelligence"].as_array().into_iter().flatten() { li { code { (text(id)) } } } }
            }
            @if !active {
                h4 { "After-action reviews" }
                p.files { "Timeline and review as a report: " a href={ (p.base) "/files/report.html?of=" (cid) } { "HTML" } " · " a href={ (p.base) "/files/report.pdf?of=" (cid) } { "PDF" } }
                @for r in c["reviews"].as_array().into_iter().flatten() {
                    article.review { p { strong { (p.name(&r["party"])) } " " (when(&r["created"])) } p { "Went well: " (text(&r["went_well"])) } p { "To improve: " (text(&r["to_improve"])) } }
                }
                @if !c["reviews"].as_array().into_iter().flatten().any(|r| r["party"].as_str() == Some(p.me())) {
                    (p.form("review", cid, "File your party's review", &[("crisis", cid)], &[req("went_well", "What went well", Kind::Area), req("to_improve", "What to improve", Kind::Area)], "File"))
                }
            }

            h4 id={ "timeline-" (cid) } { "Timeline" }
            @let total = c["timeline_total"].as_u64().unwrap_or(timeline.len() as u64);
            ol.timeline reversed {
                @for e in timeline.iter().rev() { li { (when(&e["at"])) " — " (text(&e["event"])) " by " (p.name(&e["by"])) } }
            }
            @if total > timeline.len() as u64 {
                p.hint { "The newest " (timeline.len()) " of " (total) " events. " a href={ (p.base) "?timeline=" (cid) } { "The whole timeline, a page at a time" } }
            }
            @if lead && active {
                (p.form("close-crisis", cid, "Close this crisis", &[("crisis", cid)], &[opt("reason", "Reason", Kind::Line)], "Close"))
            }
        }
    }
}

/// Events on a page of a crisis's whole timeline.
pub(super) const TIMELINE_PAGE: usize = 100;

/// What a record of a crisis's timeline says happened.
fn event(r: &Value) -> String {
    let kind = r["type"].as_str().unwrap_or_default();
    match kind.strip_prefix("x-entente-crisis").unwrap_or(kind) {
        "" => "the crisis, a version".to_owned(),
        "-acknowledgement" => "acknowledged".to_owned(),
        "-task-update" => format!("task {}: {}", text(&r["task"]), text(&r["status"])),
        "-sitrep" => "sitrep".to_owned(),
        "-assistance" => format!("assistance: {}", text(&r["step"])),
        "-review" => "review".to_owned(),
        other => other.trim_start_matches('-').to_owned(),
    }
}

/// A page of a crisis's whole timeline: the records naming it as this
/// node received them (the store's order; each dated by its author), read
/// a page at a time through the reader's release gate, so a page costs the
/// same at a thousand events as at a hundred thousand.
fn timeline_page(p: &Page<'_>, t: &Value) -> Markup {
    let cid = t["crisis"].as_str().unwrap_or_default();
    let records = t["records"].as_array().cloned().unwrap_or_default();
    html! {
        section.timeline id="timeline" {
            h3 { "Timeline of " code { (cid) } }
            p.hint { "Every record of the crisis in the order this node received it, " (TIMELINE_PAGE) " a page; each dated by its author." }
            @if records.is_empty() { p { "No event on this page." } }
            table {
                thead { tr { th { "Dated" } th { "Event" } th { "By" } } }
                tbody {
                    @for r in &records {
                        tr { td { (when(&r["created"])) } td { (event(r)) } td { (p.name(&r["created_by_ref"])) } }
                    }
                }
            }
            p {
                @if let Some(next) = t["next"].as_i64() { a href={ (p.base) "?timeline=" (cid) "&after=" (next) } { "Next page" } " · " }
                a href=(p.base) { "Back to the crisis board" }
            }
        }
    }
}

fn playbook(p: &Page<'_>, b: &Value) -> Markup {
    let bid = b["id"].as_str().unwrap_or_default();
    let version = b["version"].as_str().unwrap_or_default();
    html! {
        article.playbook {
            h4 { (text(&b["title"])) }
            p.hint { (text(&b["hazard"])) "; by " (p.name(&b["author"])) "; version " (when(&b["version"])) "; "
                @if b["endorsed"] == true { span.ok { "endorsed by every party" } } @else { "awaiting " (p.names(&b["awaiting"])) } }
            @for ph in b["phases"].as_array().into_iter().flatten() {
                p { strong { (text(&ph["phase"])) } ": "
                    @for (i, t) in ph["tasks"].as_array().into_iter().flatten().enumerate() { @if i > 0 { "; " } (text(&t["title"])) " (" (text(&t["owner_role"])) ")" } }
            }
            @if b["author"].as_str() == Some(p.me()) {
                (p.form("revise-playbook", bid, "Add tasks to this playbook (a new version: every party endorses it again)", &[("playbook", bid)], &MORE_TASKS, "Add"))
            }
            @if b["awaiting"].as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(p.me()))) {
                (p.form("endorse-playbook", bid, "Endorse this version for your party", &[("playbook", bid), ("version", version)], &[], "Endorse"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fields::{test_names, test_page};
    use super::super::Fault;

    fn state() -> serde_json::Value {
        json!({ "active": 1, "active_real": 0, "active_exercises": 1, "playbooks": [], "crises": [{
            "id": "x-entente-crisis--1", "title": "Flood <b>", "status": "active", "severity": "severe", "exercise": true, "distribution_status": "Exercise",
            "lead": "identity--a", "activated": "2026-06-01T10:00:00Z", "breaches": { "acknowledge": 1, "complete": 0 },
            "acknowledgements": [{ "party": "identity--b", "acknowledged_at": null, "deadline": "2026-06-01T11:00:00Z", "breached": true }],
            "tasks": [{ "key": "triage", "title": "Triage", "phase": "response", "assignee": "identity--b", "status": "open", "open": true,
                "acknowledged_at": null, "ack_deadline": "2026-06-01T11:00:00Z", "complete_deadline": "2026-06-01T14:00:00Z", "ack_breached": true, "complete_breached": false }],
            "sitreps": [
                { "party": "identity--a", "created": "2026-06-01T10:30:00Z", "situation_summary": "older report", "period_start": "2026-06-01T10:00:00Z", "period_end": "2026-06-01T10:30:00Z", "reports": 1 },
                { "party": "identity--b", "created": "2026-06-01T11:30:00Z", "situation_summary": "newer report", "period_start": "2026-06-01T11:00:00Z", "period_end": "2026-06-01T11:30:00Z", "reports": 2 }],
            "assistance": [{ "id": "x-entente-crisis-assistance--1", "requester": "identity--b", "resource": "pumps", "quantity": 10, "unit": "units", "offered": 0.0, "committed": 4.0, "delivered": 0.0, "stage": "commit", "providers": ["identity--a"] }],
            "timeline": [{ "at": "2026-06-01T10:00:00Z", "event": "activated", "by": "identity--a" }],
        }]})
    }

    /// B's view: the exercise is marked, the breached acknowledgement and
    /// task are flagged overdue with the deadline that runs, the newer
    /// situation report comes first, requested against committed shows, and
    /// B (assignee, not lead) gets the acknowledge and task forms but not
    /// the lead's.
    #[test]
    fn the_common_picture_for_a_party() {
        let html = super::page(&test_page("identity--b", None, &test_names), &state(), &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        assert!(html.contains("<mark>EXERCISE</mark> Flood &lt;b&gt;"), "{html}");
        assert!(html.contains("acknowledge by <time datetime=\"2026-06-01T11:00:00Z\">2026-06-01 11:00 UTC</time> <strong class=\"deny\">overdue</strong>"), "{html}");
        assert!(html.find("newer report").unwrap() < html.find("older report").unwrap(), "newest first");
        assert!(html.contains("<td class=\"num\">10 units</td>") && html.contains("<td class=\"num\">4</td>"), "{html}");
        assert!(html.contains("action=\"/m/actions/acknowledge\"") && html.contains("action=\"/m/actions/update-task\""));
        assert!(!html.contains("/actions/add-task") && !html.contains("/actions/close-crisis") && !html.contains("/actions/commit-assistance"), "B leads nothing and requested the pumps");
        let lead = super::page(&test_page("identity--a", None, &test_names), &state(), &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        assert!(lead.contains("/actions/add-task") && lead.contains("/actions/commit-assistance") && !lead.contains("/actions/update-task"));
    }

    /// A refusal shows next to its field in the form it came from, and the
    /// form keeps what was typed; a property no field has shows atop the form.
    #[test]
    fn a_refusal_is_shown_by_its_field() {
        let pairs = vec![("situation_summary".to_owned(), "all <calm>".to_owned()), ("period_end:time".to_owned(), "2026-06-01T09:00".to_owned())];
        let fault = Fault { action: "file-sitrep".into(), about: "x-entente-crisis--1".into(), field: "period_end".into(), message: "is before period_start".into(), typed: String::new(), pairs };
        let html = super::page(&test_page("identity--b", Some(&fault), &test_names), &state(), &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        let at = html.find("name=\"period_end:time\"").unwrap();
        let error = html.find("Check the field <code>period_end</code>: is before period_start").unwrap();
        assert!(error > at && !html[at..error].contains("class=\"field\""), "next to its field: {html}");
        assert!(html.contains(">all &lt;calm&gt;</textarea>") && html.contains("value=\"2026-06-01T09:00\""), "{html}");
        let fault = Fault { field: "tasks[1].assignee_ref".into(), action: "add-task".into(), pairs: vec![], ..fault };
        let html = super::page(&test_page("identity--a", Some(&fault), &test_names), &state(), &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        assert!(html.contains("Check the field <code>tasks[1].assignee_ref</code>"), "{html}");
    }

    /// The playbook form is typed rows (roles, tasks by phase), not JSON;
    /// its author gets the form adding tasks; the task board counts open,
    /// overdue and done tasks; the timeline links to its pages when longer
    /// than what the picture holds.
    #[test]
    fn playbook_rows_task_board_and_timeline_link() {
        let mut s = state();
        s["playbooks"] = json!([{ "id": "x-entente-crisis-playbook--1", "author": "identity--a", "title": "Floods <x>", "hazard": "natural-disaster", "version": "2026-05-01T00:00:00Z", "endorsed": false, "awaiting": ["identity--b"], "phases": [] }]);
        s["crises"][0]["timeline_total"] = json!(120);
        let html = super::page(&test_page("identity--a", None, &test_names), &s, &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        for name in ["roles[3].party_ref", "tasks[4].phase", "tasks[0].ack_within_minutes:number", "communication_channel"] {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}: {html}");
        }
        assert!(!html.contains("name=\"phases:json\"") && !html.contains("name=\"roles:json\""), "no JSON box");
        assert!(html.contains("action=\"/m/actions/revise-playbook\"") && html.contains("Floods &lt;x&gt;"));
        assert!(html.contains("1 open (1 overdue), 0 done, 0 declined."), "{html}");
        assert!(html.contains("The newest 1 of 120 events.") && html.contains("href=\"/m?timeline=x-entente-crisis--1\""), "{html}");
        let b = super::page(&test_page("identity--b", None, &test_names), &s, &serde_json::Value::Null, &serde_json::Value::Null).into_string();
        assert!(!b.contains("/actions/revise-playbook") && b.contains("/actions/endorse-playbook"));
    }

    /// A page of the whole timeline: each record's event, author and date,
    /// partner text escaped, and the link to the next page.
    #[test]
    fn a_page_of_the_timeline() {
        let page = json!({ "crisis": "x-entente-crisis--1", "records": [
            { "type": "x-entente-crisis-task-update", "created": "2026-06-01T10:05:00Z", "created_by_ref": "identity--b", "task": "tri<age>", "status": "done" },
            { "type": "x-entente-crisis-assistance", "created": "2026-06-01T10:06:00Z", "created_by_ref": "identity--a", "step": "commit" }], "next": 1234 });
        let html = super::page(&test_page("identity--a", None, &test_names), &state(), &page, &serde_json::Value::Null).into_string();
        assert!(html.contains("<td>task tri&lt;age&gt;: done</td><td>Bravo</td>") && html.contains("<td>assistance: commit</td><td>Alpha</td>"), "{html}");
        assert!(html.contains("href=\"/m?timeline=x-entente-crisis--1&amp;after=1234\""), "{html}");
    }
}

/// A crisis's own TAXII collection (`node::modules::collections`): its
/// URL, the objects shared into it that the reader may see, each linked
/// to its page, and the detection hits on its indicators (sightings the
/// reader may see). Every partner string escaped.
fn intelligence(p: &Page<'_>, k: &Value) -> Markup {
    let objects = k["objects"].as_array().cloned().unwrap_or_default();
    let hits = k["hits"].as_array().cloned().unwrap_or_default();
    let shown = objects.len() as u64;
    html! {
        h4 { "Intelligence of the crisis" }
        p.files { "TAXII collection " code { (text(&k["title"])) } ": " a href=(text(&k["url"])) { (text(&k["url"])) }
            " — partners pull it with their tools; share a grouping or report naming the crisis under the agreement to add to it." }
        @if objects.is_empty() { p { "Nothing shared into it yet." } }
        @else {
            table.intelligence {
                thead { tr { th { "Object" } th { "Type" } th { "Shared by" } th { "Modified" } } }
                tbody {
                    @for o in &objects {
                        @let id = text(&o["id"]);
                        tr {
                            td { a href={ "/intel/" (id) } { @if o["name"].is_string() { (text(&o["name"])) } @else { code { (id) } } } }
                            td { (text(&o["type"])) }
                            td { (p.name(&o["author"])) }
                            td { (when(&o["modified"])) }
                        }
                    }
                }
            }
            @if k["members"].as_u64().unwrap_or(shown) > shown { p.hint { "The first " (shown) " shown; the collection holds the rest." } }
        }
        h4 { "Detection hits" }
        @if hits.is_empty() { p { "No detection hit on the crisis's indicators yet." } }
        @else {
            ul.hits {
                @for h in &hits {
                    li {
                        a href={ "/intel/" (text(&h["sighting_of"])) } { code { (text(&h["sighting_of"])) } }
                        " sighted " (h["count"].as_u64().unwrap_or(1)) "× by " (p.name(&h["author"])) ", " (when(&h["last_seen"]))
                    }
                }
            }
        }
    }
}
