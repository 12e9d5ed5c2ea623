//! The exchanges' actions: each drafts one record as the caller's partner,
//! checked against the records the caller may see (only the guest accepts
//! a placement, only host and guest report on it, only the provider
//! confirms seats and never beyond those left).

use model::StixId;
use partnership::{Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use super::rules;
use super::types::{ACCEPTANCE, COURSE, FEEDBACK, OUTPUT, PLACEMENT, SEAT_CONFIRMATION, SEAT_REQUEST};
use partnership::input::take;

/// The actions a liaison must take ([`partnership::Module::liaison`]): placements and the course seats a party gives are its commitments.
pub const LIAISON: &[&str] = &["offer-placement", "accept-placement", "offer-course", "confirm-seat"];

/// Every action, with the kind of the record it authors.
pub const ACTIONS: &[Action] = &[
    Action { name: "offer-placement", about: "As host, offer a placement to a partner (guest_ref, placement_type, topic, description, start_date, end_date).", kind: PLACEMENT },
    Action { name: "accept-placement", about: "As guest, accept a placement, naming its participant by a role or pseudonym (placement, participant).", kind: ACCEPTANCE },
    Action { name: "report-output", about: "As host or guest, record an output of a placement (placement, title, text).", kind: OUTPUT },
    Action { name: "give-feedback", about: "As host or guest, give feedback on a placement (placement, rating 1-5, text).", kind: FEEDBACK },
    Action { name: "offer-course", about: "Offer a course with seats for partners in the training catalogue (title, description, language, seats, start_date, end_date).", kind: COURSE },
    Action { name: "request-seat", about: "Request seats on another party's course (course, seats, participant).", kind: SEAT_REQUEST },
    Action { name: "confirm-seat", about: "As the course's provider, confirm a seat request while seats remain (request).", kind: SEAT_CONFIRMATION },
];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    let me = ctx.me.as_str();
    match action {
        "offer-placement" => Ok(Draft::new(PLACEMENT, take(input, &["guest_ref", "placement_type", "topic", "description", "start_date", "end_date"], &[])?)),
        "accept-placement" => {
            let mut p = take(input, &["participant"], &["placement"])?;
            let placement = find(input, "placement", PLACEMENT, records)?;
            if placement.properties.get("guest_ref").and_then(Value::as_str) != Some(me) {
                return Err(Error::Forbidden(format!("only the placement's guest accepts {}", placement.id)));
            }
            if rules::acceptance(placement, records).is_some() {
                return Err(Error::input("placement", format!("{} is accepted already", placement.id)));
            }
            p.insert("placement_ref".into(), Value::from(placement.id.as_str()));
            Ok(Draft::new(ACCEPTANCE, p))
        }
        "report-output" | "give-feedback" => {
            let keys: &[&str] = if action == "report-output" { &["title", "text"] } else { &["rating", "text"] };
            let mut p = take(input, keys, &["placement"])?;
            let placement = find(input, "placement", PLACEMENT, records)?;
            if placement.author != *ctx.me && placement.properties.get("guest_ref").and_then(Value::as_str) != Some(me) {
                return Err(Error::Forbidden(format!("only the host and the guest of {} do this", placement.id)));
            }
            if rules::acceptance(placement, records).is_none() {
                return Err(Error::input("placement", format!("{} is not accepted", placement.id)));
            }
            p.insert("placement_ref".into(), Value::from(placement.id.as_str()));
            Ok(Draft::new(if action == "report-output" { OUTPUT } else { FEEDBACK }, p))
        }
        "offer-course" => Ok(Draft::new(COURSE, take(input, &["title", "description", "language", "seats", "start_date", "end_date"], &[])?)),
        "request-seat" => {
            let mut p = take(input, &["seats", "participant"], &["course"])?;
            let course = find(input, "course", COURSE, records)?;
            if course.author == *ctx.me {
                return Err(Error::Forbidden(format!("{me} provides {}: partners request its seats", course.id)));
            }
            p.entry("seats").or_insert(Value::from(1));
            p.insert("course_ref".into(), Value::from(course.id.as_str()));
            Ok(Draft::new(SEAT_REQUEST, p))
        }
        "confirm-seat" => {
            take(input, &[], &["request"])?;
            let request = find(input, "request", SEAT_REQUEST, records)?;
            let course_id = request.reference("course_ref", COURSE)?;
            let course = records.get(&course_id).filter(|c| !c.revoked).ok_or_else(|| Error::input("request", format!("its course {course_id} is not here")))?;
            if course.author != *ctx.me {
                return Err(Error::Forbidden(format!("only the course's provider ({}) confirms seats", course.author)));
            }
            let list = rules::requests(course, records);
            if list.iter().any(|(r, s)| r.id == request.id && *s != "requested") {
                return Err(Error::input("request", format!("{} is confirmed already", request.id)));
            }
            let seats = course.properties.get("seats").and_then(Value::as_u64).unwrap_or(0);
            let taken: u64 = list.iter().filter(|(_, s)| *s == "confirmed").map(|(r, _)| r.properties.get("seats").and_then(Value::as_u64).unwrap_or(1)).sum();
            let want = request.properties.get("seats").and_then(Value::as_u64).unwrap_or(1);
            if taken + want > seats {
                return Err(Error::input("request", format!("{want} seats asked, {} left on {}", seats - taken.min(seats), course.id)));
            }
            let mut p = Map::new();
            p.insert("request_ref".into(), Value::from(request.id.as_str()));
            p.insert("course_ref".into(), Value::from(course.id.as_str()));
            Ok(Draft::new(SEAT_CONFIRMATION, p))
        }
        other => Err(Error::NotFound(format!("exchanges has no action `{other}`"))),
    }
}

fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required: the id of a {kind}")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}
