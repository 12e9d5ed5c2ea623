//! The exchanges' state, derived from the records at `ctx.now`: pure.
//!
//! A placement counts as offered by its host (its author) to its guest;
//! only the guest's acceptance counts (the latest, naming the participant);
//! outputs and feedback count from host and guest alone. Its status:
//! `offered` until accepted, then `accepted` before its start date,
//! `running` until its end date, `completed` after.
//!
//! A course counts seat requests from parties other than its provider and
//! confirmations from its provider alone; confirmations are taken in the
//! canonical order (creation time, then id) while seats remain, so every
//! node confirms the same requests: a confirmation beyond the seats (made
//! on a node that did not yet hold an earlier one) leaves its request
//! `waitlisted`.

use partnership::{Context, Record, Records};
use serde_json::{json, Value};

use super::types::{ACCEPTANCE, COURSE, FEEDBACK, OUTPUT, PLACEMENT, SEAT_CONFIRMATION, SEAT_REQUEST};

fn str_of<'a>(r: &'a Record, property: &str) -> Option<&'a str> {
    r.properties.get(property).and_then(Value::as_str)
}

fn get(r: &Record, property: &str) -> Value {
    r.properties.get(property).cloned().unwrap_or(Value::Null)
}

/// The guest's acceptance of a placement, if any (its latest in canonical order).
pub fn acceptance<'a>(placement: &Record, records: &'a Records) -> Option<&'a Record> {
    let guest = str_of(placement, "guest_ref");
    records.of_kind(ACCEPTANCE).filter(|a| str_of(a, "placement_ref") == Some(placement.id.as_str()) && Some(a.author.as_str()) == guest).last()
}

/// A course's requests, each with its status: `confirmed`, `waitlisted`, `requested`.
pub fn requests<'a>(course: &'a Record, records: &'a Records) -> Vec<(&'a Record, &'static str)> {
    let mut left = course.properties.get("seats").and_then(Value::as_u64).unwrap_or(0);
    let requests: Vec<&Record> = records.of_kind(SEAT_REQUEST).filter(|r| str_of(r, "course_ref") == Some(course.id.as_str()) && r.author != course.author).collect();
    let mut status: Vec<&'static str> = vec!["requested"; requests.len()];
    for c in records.of_kind(SEAT_CONFIRMATION).filter(|c| c.author == course.author && str_of(c, "course_ref") == Some(course.id.as_str())) {
        let Some(i) = requests.iter().position(|r| Some(r.id.as_str()) == str_of(c, "request_ref")) else { continue };
        if status[i] != "requested" {
            continue;
        }
        let want = requests[i].properties.get("seats").and_then(Value::as_u64).unwrap_or(1);
        if want <= left {
            left -= want;
            status[i] = "confirmed";
        } else {
            status[i] = "waitlisted";
        }
    }
    requests.into_iter().zip(status).collect()
}

/// The state: placements and the training catalogue.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let now = &ctx.now;
    let placements: Vec<Value> = records
        .of_kind(PLACEMENT)
        .map(|p| {
            let guest = str_of(p, "guest_ref").unwrap_or_default();
            let sides = |r: &&Record| str_of(r, "placement_ref") == Some(p.id.as_str()) && (r.author == p.author || r.author.as_str() == guest);
            let accepted = acceptance(p, records);
            let time = |k: &str| p.opt_time(k).ok().flatten();
            let status = match (accepted, time("start_date"), time("end_date")) {
                (None, _, _) => "offered",
                (Some(_), Some(s), _) if *now < s => "accepted",
                (Some(_), _, Some(e)) if *now <= e => "running",
                (Some(_), _, _) => "completed",
            };
            let outputs: Vec<Value> = records.of_kind(OUTPUT).filter(sides).map(|o| json!({ "id": o.id.as_str(), "author": o.author.as_str(), "title": get(o, "title"), "text": get(o, "text"), "created": o.created.as_str() })).collect();
            let feedback: Vec<Value> = records.of_kind(FEEDBACK).filter(sides).map(|f| json!({ "id": f.id.as_str(), "author": f.author.as_str(), "rating": get(f, "rating"), "text": get(f, "text") })).collect();
            json!({
                "id": p.id.as_str(),
                "host": p.author.as_str(),
                "guest": guest,
                "placement_type": get(p, "placement_type"),
                "topic": get(p, "topic"),
                "description": get(p, "description"),
                "start_date": get(p, "start_date"),
                "end_date": get(p, "end_date"),
                "participant": accepted.map(|a| get(a, "participant")),
                "status": status,
                "outputs": outputs,
                "feedback": feedback,
            })
        })
        .collect();
    let courses: Vec<Value> = records
        .of_kind(COURSE)
        .map(|c| {
            let seats = c.properties.get("seats").and_then(Value::as_u64).unwrap_or(0);
            let list = requests(c, records);
            let confirmed: u64 = list.iter().filter(|(_, s)| *s == "confirmed").map(|(r, _)| r.properties.get("seats").and_then(Value::as_u64).unwrap_or(1)).sum();
            let requests: Vec<Value> = list
                .iter()
                .map(|(r, s)| json!({ "id": r.id.as_str(), "party": r.author.as_str(), "seats": get(r, "seats"), "participant": get(r, "participant"), "status": s }))
                .collect();
            json!({
                "id": c.id.as_str(),
                "provider": c.author.as_str(),
                "title": get(c, "title"),
                "description": get(c, "description"),
                "language": get(c, "language"),
                "start_date": get(c, "start_date"),
                "end_date": get(c, "end_date"),
                "seats": seats,
                "confirmed": confirmed,
                "remaining": seats.saturating_sub(confirmed),
                "requests": requests,
            })
        })
        .collect();
    json!({ "placements": placements, "courses": courses })
}

/// What needs `me`: placements offered to it awaiting its acceptance, seat
/// requests on its courses awaiting its confirmation.
pub fn needs(state: &Value, me: &str) -> Vec<partnership::Need> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for p in state["placements"].as_array().into_iter().flatten() {
        if p["guest"] == me && p["status"] == "offered" {
            out.push(partnership::Need { what: "accept-placement", record: text(p, "id"), title: text(p, "topic"), due: p["start_date"].as_str().map(str::to_owned), overdue: false });
        }
    }
    for c in state["courses"].as_array().into_iter().flatten() {
        if c["provider"] == me {
            for r in c["requests"].as_array().into_iter().flatten().filter(|r| r["status"] == "requested") {
                out.push(partnership::Need { what: "confirm-seat", record: text(r, "id"), title: text(c, "title"), due: c["start_date"].as_str().map(str::to_owned), overdue: false });
            }
        }
    }
    out
}
