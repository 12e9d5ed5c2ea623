//! The exchanges module's page: placements (host, guest, dates, status,
//! the participant by role or pseudonym, outputs and feedback) and the
//! training catalogue (seats, confirmed, remaining, requests); and the
//! forms to offer and accept placements, report outputs, give feedback,
//! offer courses, request and confirm seats.

use maud::{html, Markup};
use serde_json::Value;

use super::fields::{opt, req, text, when, Kind, Page};

const PLACEMENT_TYPES: &[&str] = &["fellowship", "technical-assistance-visit", "secondment", "course-seat"];

/// The exchanges module's page from its state (`exercises::exchanges::rules::state`).
pub(super) fn page(p: &Page<'_>, state: &Value) -> Markup {
    let placements = state["placements"].as_array().cloned().unwrap_or_default();
    let courses = state["courses"].as_array().cloned().unwrap_or_default();
    html! {
        h3 { "Placements" }
        @if placements.is_empty() { p { "No placement yet." } }
        @for x in &placements {
            @let pid = x["id"].as_str().unwrap_or_default();
            @let side = x["host"].as_str() == Some(p.me()) || x["guest"].as_str() == Some(p.me());
            article.placement id=(pid) {
                h4 { (text(&x["topic"])) " " span.state { "(" (text(&x["status"])) ")" } }
                p.hint { (text(&x["placement_type"])) ": " (p.name(&x["host"])) " hosts " (p.name(&x["guest"])) @if let Some(w) = x["participant"].as_str() { " (" (w) ")" } ", " (when(&x["start_date"])) " to " (when(&x["end_date"])) }
                @if let Some(d) = x["description"].as_str() { p { (d) } }
                @for o in x["outputs"].as_array().into_iter().flatten() { p { "Output by " (p.name(&o["author"])) ": " strong { (text(&o["title"])) } " — " (text(&o["text"])) } }
                @for f in x["feedback"].as_array().into_iter().flatten() { p { "Feedback by " (p.name(&f["author"])) ": " (text(&f["rating"])) "/5 — " (text(&f["text"])) } }
                @if x["status"] == "offered" && x["guest"].as_str() == Some(p.me()) {
                    (p.form("accept-placement", pid, "Accept this placement", &[("placement", pid)], &[req("participant", "Participant (a role or pseudonym)", Kind::Line)], "Accept"))
                }
                @if side && x["status"] != "offered" {
                    (p.form("report-output", pid, "Record an output", &[("placement", pid)], &[req("title", "Title", Kind::Line), req("text", "Text", Kind::Area)], "Record"))
                    (p.form("give-feedback", pid, "Give feedback", &[("placement", pid)], &[req("rating", "Rating (1 to 5)", Kind::Number), opt("text", "Feedback", Kind::Area)], "Give"))
                }
            }
        }
        (p.form("offer-placement", "", "Offer a placement as host", &[], &[
            req("guest_ref", "Guest", Kind::Party),
            req("placement_type", "Type", Kind::Choice(PLACEMENT_TYPES)),
            req("topic", "Topic", Kind::Line),
            opt("description", "Description", Kind::Area),
            req("start_date", "Starts", Kind::Time),
            req("end_date", "Ends", Kind::Time),
        ], "Offer"))

        h3 { "Training catalogue" }
        @if courses.is_empty() { p { "No course yet." } }
        @for c in &courses {
            @let cid = c["id"].as_str().unwrap_or_default();
            @let mine = c["provider"].as_str() == Some(p.me());
            article.course id=(cid) {
                h4 { (text(&c["title"])) }
                p.hint { "By " (p.name(&c["provider"])) " in " (text(&c["language"])) ", " (when(&c["start_date"])) " to " (when(&c["end_date"])) "; " (text(&c["confirmed"])) " of " (text(&c["seats"])) " seats confirmed, " (text(&c["remaining"])) " left" }
                @if let Some(d) = c["description"].as_str() { p { (d) } }
                ul { @for r in c["requests"].as_array().into_iter().flatten() {
                    @let rid = r["id"].as_str().unwrap_or_default();
                    li { (p.name(&r["party"])) ": " (text(&r["seats"])) " seats for " (text(&r["participant"])) " — " (text(&r["status"]))
                        @if mine && r["status"] == "requested" { (p.form("confirm-seat", rid, "Confirm this request", &[("request", rid)], &[], "Confirm")) } }
                } }
                @if !mine {
                    (p.form("request-seat", cid, "Request seats", &[("course", cid)], &[req("seats", "Seats", Kind::Number), req("participant", "Participant (a role or pseudonym)", Kind::Line)], "Request"))
                }
            }
        }
        (p.form("offer-course", "", "Offer a course", &[], &[
            req("title", "Title", Kind::Line),
            opt("description", "Description", Kind::Area),
            req("language", "Language", Kind::Line),
            req("seats", "Seats", Kind::Number),
            req("start_date", "Starts", Kind::Time),
            req("end_date", "Ends", Kind::Time),
        ], "Offer"))
    }
}
