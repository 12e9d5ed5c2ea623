//! The exercises module's page: exercises by stage (plan → conduct →
//! lessons), each with its plan and endorsements, its injects (due, released,
//! responses), and its after-action report: objectives assessed,
//! observations, lessons and their remedial actions with owners and due
//! dates (overdue flagged); and the forms of the actions the caller's
//! partner may take at each stage.

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{join, opt, req, text, when, Field, Kind, Page};

const TYPES: &[&str] = &["tabletop", "functional", "full-scale", "cyber-range"];
const RATINGS: &[&str] = &["met", "partially-met", "not-met"];
const ACTION_STATUSES: &[&str] = &["progress", "done"];

/// The exercises module's page from its state (`exercises::rules::state`).
pub(super) fn page(p: &Page<'_>, state: &Value) -> Markup {
    let all = state["exercises"].as_array().cloned().unwrap_or_default();
    let stage = |x: &Value, of: &[&str]| x["status"].as_str().is_some_and(|s| of.contains(&s));
    html! {
        @for (title, of) in [("Plan", &["planning", "endorsed"][..]), ("Conduct", &["running"][..]), ("Lessons", &["ended"][..])] {
            h3 { (title) }
            @let list: Vec<&Value> = all.iter().filter(|x| stage(x, of)).collect();
            @if list.is_empty() { p { "None." } }
            @for x in list { (exercise(p, x)) }
        }
        (p.form("plan-exercise", "", "Plan an exercise (you are its control): participants, objectives and the MSEL's injects a row each (rows left empty are left out; add more injects to the plan afterwards)", &[], &PLAN, "Plan"))
        (p.form("import-cexf", "", "Plan an exercise from a MISP CEXF document", &[], &CEXF, "Import"))
    }
}

/// A participant row `i`: the party and its teams.
macro_rules! participant {
    ($i:literal) => {
        [
            opt(concat!("participants[", $i, "].party_ref"), concat!("Participant ", $i), Kind::Party),
            opt(concat!("participants[", $i, "].teams"), concat!("Participant ", $i, ": teams (one per line)"), Kind::List),
        ]
    };
}

/// An objective row `i`: its id (such as O-1), title and competencies.
macro_rules! objective {
    ($i:literal) => {
        [
            opt(concat!("objectives[", $i, "].id"), concat!("Objective ", $i, ": id (such as O-1)"), Kind::Line),
            opt(concat!("objectives[", $i, "].title"), concat!("Objective ", $i, ": title"), Kind::Line),
            opt(concat!("objectives[", $i, "].competencies"), concat!("Objective ", $i, ": competencies (one per line)"), Kind::List),
        ]
    };
}

/// An inject row `i` of the MSEL: its move, id, when (minutes from the
/// start, or a trigger released by hand), targets, team, channel,
/// content, expected action and objective.
macro_rules! inject {
    ($i:literal) => {
        [
            opt(concat!("injects[", $i, "].move"), concat!("Inject ", $i, ": move (such as 1)"), Kind::Line),
            opt(concat!("injects[", $i, "].move_title"), concat!("Inject ", $i, ": the move's title (a new move)"), Kind::Line),
            opt(concat!("injects[", $i, "].id"), concat!("Inject ", $i, ": id (such as I-1)"), Kind::Line),
            opt(concat!("injects[", $i, "].offset_minutes"), concat!("Inject ", $i, ": minutes from the start"), Kind::Number),
            opt(concat!("injects[", $i, "].trigger"), concat!("Inject ", $i, ": or a trigger (released by hand)"), Kind::Line),
            opt(concat!("injects[", $i, "].target_refs"), concat!("Inject ", $i, ": to"), Kind::Parties),
            opt(concat!("injects[", $i, "].target_team"), concat!("Inject ", $i, ": team"), Kind::Line),
            opt(concat!("injects[", $i, "].channel"), concat!("Inject ", $i, ": channel"), Kind::Line),
            opt(concat!("injects[", $i, "].content"), concat!("Inject ", $i, ": content"), Kind::Area),
            opt(concat!("injects[", $i, "].expected_action"), concat!("Inject ", $i, ": expected action"), Kind::Line),
            opt(concat!("injects[", $i, "].objective"), concat!("Inject ", $i, ": objective (its id)"), Kind::Line),
        ]
    };
}


/// The plan form: what an exercise is, four participant rows, three
/// objective rows, three inject rows.
const PLAN: [Field; 56] = join(&[
    &[
        req("name", "Name", Kind::Line),
        req("exercise_type", "Type", Kind::Choice(TYPES)),
        opt("description", "Description", Kind::Area),
        req("start_date", "Starts", Kind::Time),
        req("end_date", "Ends", Kind::Time),
        opt("observer_refs", "Observers", Kind::Parties),
    ],
    &participant!(0), &participant!(1), &participant!(2), &participant!(3),
    &objective!(0), &objective!(1), &objective!(2),
    &inject!(0), &inject!(1), &inject!(2),
]);

/// The form adding injects to a plan not started (`edit-exercise`).
const MORE_INJECTS: [Field; 22] = join(&[&inject!(0), &inject!(1)]);

/// The CEXF import form: the document as exported by MISP's tooling, and
/// what CEXF does not say (the parties, the start).
const CEXF: [Field; 12] = join(&[
    &[
        req("cexf", "The CEXF document (JSON, as MISP's exercise tooling exports it)", Kind::Json),
        req("start_date", "Starts", Kind::Time),
        opt("exercise_type", "Type", Kind::Choice(TYPES)),
        opt("observer_refs", "Observers", Kind::Parties),
    ],
    &participant!(0), &participant!(1), &participant!(2), &participant!(3),
]);

fn exercise(p: &Page<'_>, x: &Value) -> Markup {
    let xid = x["id"].as_str().unwrap_or_default();
    let status = x["status"].as_str().unwrap_or_default();
    let control = x["control"].as_str() == Some(p.me());
    let observer = x["observer_refs"].as_array().is_some_and(|o| o.iter().any(|v| v.as_str() == Some(p.me())));
    let participants: Vec<Value> = x["participants"].as_array().into_iter().flatten().map(|t| t["party_ref"].clone()).collect();
    let member = control || participants.iter().any(|v| v.as_str() == Some(p.me()));
    let aar = &x["aar"];
    let observations = aar["observations"].as_array().cloned().unwrap_or_default();
    html! {
        section.exercise id={ "exercise-" (xid) } {
            h4 { mark { "EXERCISE" } " " (text(&x["name"])) " " span.state { "(" (status) ")" } }
            dl.facts {
                dt { "Type" } dd { (text(&x["exercise_type"])) }
                dt { "Control" } dd { (p.name(&x["control"])) }
                dt { "Participants" } dd { (p.names(&Value::Array(participants.clone()))) }
                @if x["observer_refs"].as_array().is_some_and(|o| !o.is_empty()) { dt { "Observers" } dd { (p.names(&x["observer_refs"])) } }
                dt { "Planned" } dd { (when(&x["start_date"])) " to " (when(&x["end_date"])) }
                @if x["started_at"].is_string() { dt { "Conducted" } dd { (when(&x["started_at"])) " to " (when(&x["ended_at"])) } }
                dt { "Plan endorsed by" } dd { (p.names(&x["endorsed_by"])) @if x["awaiting"].as_array().is_some_and(|a| !a.is_empty()) { "; awaiting " (p.names(&x["awaiting"])) } }
            }
            @if let Some(d) = x["description"].as_str() { p { (d) } }
            @if matches!(status, "planning" | "endorsed") {
                @if x["awaiting"].as_array().is_some_and(|a| a.iter().any(|v| v.as_str() == Some(p.me()))) {
                    (p.form("endorse-exercise", xid, "Endorse this plan for your party", &[("exercise", xid), ("version", x["version"].as_str().unwrap_or_default())], &[], "Endorse"))
                }
                @if control && status == "endorsed" { (p.form("start-exercise", xid, "Start the exercise", &[("exercise", xid)], &[], "Start")) }
                @if control { (p.form("edit-exercise", xid, "Add injects to the plan (a new version: the participants endorse it again)", &[("exercise", xid)], &MORE_INJECTS, "Add")) }
            }

            h5 { "Injects" }
            table {
                thead { tr { th { "Inject" } th { "Move" } th { "To" } th { "Due" } th { "Status" } th { "Responses" } } }
                tbody {
                    @for i in x["injects"].as_array().into_iter().flatten() {
                        tr {
                            td { code { (text(&i["id"])) } @if let Some(c) = i["content"].as_str() { br; (c) } }
                            td { (text(&i["move"])) }
                            td { (p.names(&i["target_refs"])) @if let Some(t) = i["target_team"].as_str() { " (" (t) ")" } }
                            td { @if i["due_at"].is_string() { (when(&i["due_at"])) } @else if let Some(t) = i["trigger"].as_str() { (t) } @else { "—" } }
                            td { (text(&i["status"])) @if i["status"] == "due" { " " strong.deny { "overdue" } } @if i["on_time"] == false { " " small { "(late)" } } }
                            td { @for r in i["responses"].as_array().into_iter().flatten() { p { strong { (p.name(&r["author"])) } ": " (text(&r["text"])) } } }
                        }
                    }
                }
            }
            @if status == "running" {
                @for i in x["injects"].as_array().into_iter().flatten() {
                    @let iid = i["id"].as_str().unwrap_or_default();
                    @if control && matches!(i["status"].as_str(), Some("due" | "scheduled" | "on-trigger")) {
                        (p.form("release-inject", &format!("{xid} {iid}"), &format!("Release inject {iid}"), &[("exercise", xid), ("inject", iid)], &[], "Release"))
                    }
                    @let targeted = i["target_refs"].as_array().is_some_and(|t| t.iter().any(|v| v.as_str() == Some(p.me())));
                    @let answered = i["responses"].as_array().is_some_and(|r| r.iter().any(|v| v["author"].as_str() == Some(p.me())));
                    @if let (true, false, Some(rid)) = (targeted, answered, i["release"].as_str()) {
                        (p.form("respond-inject", rid, &format!("Respond to inject {iid}"), &[("inject", rid)], &[req("text", "Response", Kind::Area), opt("action_taken", "Action taken", Kind::Line)], "Respond"))
                    }
                }
                @if control { (p.form("end-exercise", xid, "End the exercise", &[("exercise", xid)], &[], "End")) }
            }

            @if x["started_at"].is_string() {
                p.files { "After-action report: " a href={ (p.base) "/files/report.html?of=" (xid) } { "HTML" } " · " a href={ (p.base) "/files/report.pdf?of=" (xid) } { "PDF" } }
                h5 { "Objectives" }
                ul { @for o in aar["objectives"].as_array().into_iter().flatten() { li { code { (text(&o["id"])) } " " (text(&o["title"])) ": " strong { (text(&o["assessment"])) } } } }
                h5 { "Observations" }
                @if observations.is_empty() { p { "None yet." } }
                ul { @for o in &observations { li { (p.name(&o["author"])) " on " code { (text(&o["objective"])) } ", " (text(&o["rating"])) ": " (text(&o["text"])) " " small { code { (text(&o["id"])) } } } } }
                @if control || observer {
                    (p.form("record-observation", xid, "Record an observation", &[("exercise", xid)], &[
                        req("objective", "Objective (its id, such as O-1)", Kind::Line),
                        req("rating", "Rating", Kind::Choice(RATINGS)),
                        req("text", "Observation", Kind::Area),
                        opt("inject_ref", "Inject (its id)", Kind::Line),
                    ], "Record"))
                }
                h5 { "Lessons" }
                @let actions = aar["actions"].as_array().cloned().unwrap_or_default();
                @for l in aar["lessons"].as_array().into_iter().flatten() {
                    @let lid = l["id"].as_str().unwrap_or_default();
                    article.lesson {
                        p { strong { (text(&l["title"])) } " " span.state { "(" (text(&l["status"])) ")" } " by " (p.name(&l["author"])) }
                        p { (text(&l["text"])) }
                        @let mine: Vec<&Value> = actions.iter().filter(|a| a["lesson"].as_str() == Some(lid)).collect();
                        @if !mine.is_empty() {
                            table {
                                thead { tr { th { "Remedial action" } th { "Owner" } th { "Due" } th { "Status" } } }
                                tbody { @for a in &mine { tr {
                                    td { (text(&a["description"])) } td { (p.name(&a["owner"])) }
                                    td { (when(&a["due"])) @if a["overdue"] == true { " " strong.deny { "overdue" } } }
                                    td { (text(&a["status"])) }
                                } } }
                            }
                        }
                        @for a in mine.iter().filter(|a| a["owner"].as_str() == Some(p.me()) && a["status"] != "done") {
                            @let aid = a["id"].as_str().unwrap_or_default();
                            (p.form("update-remedial-action", aid, &format!("Report on: {}", text(&a["description"])), &[("action", aid)], &[req("status", "Status", Kind::Choice(ACTION_STATUSES)), opt("text", "Note", Kind::Line)], "Report"))
                        }
                        @if member && l["status"] != "learned" {
                            (p.form("add-remedial-action", lid, "Add a remedial action", &[("lesson", lid)], &[req("description", "Description", Kind::Line), req("owner_ref", "Owner", Kind::Party), req("due", "Due", Kind::Time)], "Add"))
                        }
                        @if control && l["status"] == "actions-done" {
                            (p.form("validate-lesson", lid, "Validate: the lesson is learned", &[("lesson", lid)], &[opt("text", "Note", Kind::Line)], "Validate"))
                        }
                    }
                }
                @if member && !observations.is_empty() {
                    (p.form("identify-lesson", xid, "Identify a lesson", &[("exercise", xid)], &[
                        req("title", "Title", Kind::Line),
                        req("text", "Lesson", Kind::Area),
                        req("observation_refs", "From observations (their ids, one per line)", Kind::List),
                    ], "Identify"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fields::{test_names, test_page};

    /// An ended exercise sits under Lessons with its remedial action's
    /// owner, due date and overdue flag; its owner gets the report form.
    #[test]
    fn lessons_with_their_remedial_actions() {
        let state = json!({ "exercises": [{
            "id": "x-entente-exercise--1", "name": "Storm <i>", "status": "ended", "control": "identity--a", "exercise_type": "tabletop",
            "participants": [{ "party_ref": "identity--b" }], "endorsed_by": ["identity--b"], "awaiting": [], "started_at": "2026-05-01T00:00:00Z", "ended_at": "2026-05-02T00:00:00Z",
            "injects": [{ "id": "I-1", "move": "1", "target_refs": ["identity--b"], "status": "released", "release": "r1", "responses": [{ "author": "identity--b", "text": "seen" }] }],
            "aar": { "objectives": [{ "id": "O-1", "title": "Share", "assessment": "met" }], "observations": [{ "id": "o1", "author": "identity--a", "objective": "O-1", "rating": "met", "text": "fast" }],
                "lessons": [{ "id": "l1", "author": "identity--b", "title": "Phones", "text": "lists were stale", "status": "action-planned" }],
                "actions": [{ "id": "a1", "lesson": "l1", "description": "Refresh lists", "owner": "identity--b", "due": "2026-05-20T00:00:00Z", "status": "progress", "overdue": true }] },
        }]});
        let html = super::page(&test_page("identity--b", None, &test_names), &state).into_string();
        let lessons = html.find("<h3>Lessons</h3>").unwrap();
        assert!(html[lessons..].contains("Storm &lt;i&gt;") && html.contains("<mark>EXERCISE</mark>"), "{html}");
        assert!(html.contains("<td>Refresh lists</td><td>Bravo</td><td><time datetime=\"2026-05-20T00:00:00Z\">2026-05-20 00:00 UTC</time> <strong class=\"deny\">overdue</strong></td>"), "{html}");
        assert!(html.contains("/actions/update-remedial-action") && !html.contains("/actions/validate-lesson"));
    }

    /// The plan is typed fields, not one JSON box: rows for participants,
    /// objectives and injects whose posted names make the module's input
    /// (`typed_input`); control gets the form adding injects to a plan
    /// not started, a participant does not; the CEXF import form is there.
    #[test]
    fn the_plan_and_msel_are_typed_rows() {
        let state = json!({ "exercises": [{ "id": "x-entente-exercise--1", "name": "Storm", "status": "planning", "control": "identity--a", "exercise_type": "tabletop",
            "participants": [{ "party_ref": "identity--b" }], "endorsed_by": [], "awaiting": ["identity--b"], "injects": [] }] });
        let html = super::page(&test_page("identity--a", None, &test_names), &state).into_string();
        for name in ["participants[3].party_ref", "participants[0].teams:list", "objectives[2].competencies:list", "injects[2].offset_minutes:number", "injects[0].target_refs:list", "injects[1].move", "observer_refs:list"] {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}: {html}");
        }
        assert!(!html.contains("name=\"msel:json\"") && !html.contains("name=\"participants:json\""), "no JSON box for the plan");
        assert!(html.contains("action=\"/m/actions/import-cexf\"") && html.contains("name=\"cexf:json\""), "the CEXF import");
        assert!(html.contains("action=\"/m/actions/edit-exercise\""), "control adds injects");
        let b = super::page(&test_page("identity--b", None, &test_names), &state).into_string();
        assert!(!b.contains("/actions/edit-exercise") && b.contains("/actions/endorse-exercise"));
        // What the rows post is the module's input.
        let pairs: Vec<(String, String)> = [("name", "Storm"), ("participants[0].party_ref", "identity--b"), ("participants[0].teams:list", "SOC\nCERT"), ("participants[1].party_ref", ""),
            ("injects[0].move", "1"), ("injects[0].id", "I-1"), ("injects[0].offset_minutes:number", "30"), ("injects[0].target_refs:list", "identity--a"), ("injects[0].target_refs:list", "identity--b"), ("injects[1].content", "")]
            .map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec();
        assert_eq!(serde_json::Value::Object(super::super::typed_input(&pairs)), json!({ "name": "Storm", "participants": [{ "party_ref": "identity--b", "teams": ["SOC", "CERT"] }],
            "injects": [{ "move": "1", "id": "I-1", "offset_minutes": 30, "target_refs": ["identity--a", "identity--b"] }] }));
    }
}
