//! The exchanges' record kinds and the checks each record passes on its
//! own and against its agreement (errors name the property): placements
//! and their acceptance, outputs and feedback; courses, seat requests and
//! confirmations.

use model::StixId;
use partnership::{Error, Record};
use policy::Agreement;
use serde_json::Value;

use crate::types::{LONG, SHORT};

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--0c5f5b34-791a-4322-a5e7-8f9a49d7e597";

/// A placement a host party offers a guest party.
pub const PLACEMENT: &str = "x-entente-placement";
/// The guest's acceptance of a placement, naming its participant by a role or pseudonym.
pub const ACCEPTANCE: &str = "x-entente-placement-acceptance";
/// An output of a placement (a report, a tool, a procedure), by host or guest.
pub const OUTPUT: &str = "x-entente-placement-output";
/// Host's or guest's feedback on a placement.
pub const FEEDBACK: &str = "x-entente-placement-feedback";
/// A course a party offers partners in its training catalogue.
pub const COURSE: &str = "x-entente-course";
/// A partner's request for seats on a course.
pub const SEAT_REQUEST: &str = "x-entente-seat-request";
/// The provider's confirmation of a seat request.
pub const SEAT_CONFIRMATION: &str = "x-entente-seat-confirmation";

/// The record kinds.
pub const KINDS: &[&str] = &[PLACEMENT, ACCEPTANCE, OUTPUT, FEEDBACK, COURSE, SEAT_REQUEST, SEAT_CONFIRMATION];

/// The kinds of placement.
pub const PLACEMENT_TYPES: &[&str] = &["fellowship", "technical-assistance-visit", "secondment", "course-seat"];

/// Most seats a course offers.
pub const MAX_SEATS: u64 = 1000;

/// Checks a record of one of the kinds on its own and against its agreement.
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    match record.kind.as_str() {
        PLACEMENT => {
            let guest = party(record, "guest_ref", agreement)?;
            if guest == record.author {
                return Err(Error::invalid(&record.id, "guest_ref", "a host does not place with itself"));
            }
            let kind = record.str("placement_type")?;
            if !PLACEMENT_TYPES.contains(&kind) {
                return Err(Error::invalid(&record.id, "placement_type", format!("must be one of {}", PLACEMENT_TYPES.join(", "))));
            }
            text(record, "topic", SHORT, true)?;
            text(record, "description", LONG, false)?;
            dates(record)
        }
        ACCEPTANCE => {
            record.reference("placement_ref", PLACEMENT)?;
            pseudonym(record)
        }
        OUTPUT => {
            record.reference("placement_ref", PLACEMENT)?;
            text(record, "title", SHORT, true)?;
            text(record, "text", LONG, false)
        }
        FEEDBACK => {
            record.reference("placement_ref", PLACEMENT)?;
            match record.properties.get("rating").and_then(Value::as_u64) {
                Some(1..=5) => {}
                _ => return Err(Error::invalid(&record.id, "rating", "is required: a whole number from 1 to 5")),
            }
            text(record, "text", LONG, false)
        }
        COURSE => {
            text(record, "title", SHORT, true)?;
            text(record, "description", LONG, false)?;
            text(record, "language", SHORT, false)?;
            seats(record)?;
            dates(record)
        }
        SEAT_REQUEST => {
            record.reference("course_ref", COURSE)?;
            seats(record)?;
            pseudonym(record)
        }
        SEAT_CONFIRMATION => {
            record.reference("course_ref", COURSE)?;
            record.reference("request_ref", SEAT_REQUEST).map(drop)
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not an exchanges record"))),
    }
}

/// `participant`: a role or pseudonym the party chooses, and no other personal data.
fn pseudonym(record: &Record) -> Result<(), Error> {
    text(record, "participant", SHORT, true)?;
    for key in ["name", "email", "phone", "participant_name", "date_of_birth", "nationality"] {
        if record.properties.contains_key(key) {
            return Err(Error::invalid(&record.id, key, "is personal data: a participant is named by a role or pseudonym only (`participant`)"));
        }
    }
    Ok(())
}

fn seats(record: &Record) -> Result<(), Error> {
    match record.properties.get("seats").and_then(Value::as_u64) {
        Some(n) if (1..=MAX_SEATS).contains(&n) => Ok(()),
        _ => Err(Error::invalid(&record.id, "seats", format!("is required: a whole number from 1 to {MAX_SEATS}"))),
    }
}

fn dates(record: &Record) -> Result<(), Error> {
    let start = record.opt_time("start_date")?.ok_or_else(|| Error::invalid(&record.id, "start_date", "is required (a timestamp)"))?;
    let end = record.opt_time("end_date")?.ok_or_else(|| Error::invalid(&record.id, "end_date", "is required (a timestamp)"))?;
    if end < start {
        return Err(Error::invalid(&record.id, "end_date", format!("{end} is before start_date {start}")));
    }
    Ok(())
}

fn party(record: &Record, property: &str, agreement: &Agreement) -> Result<StixId, Error> {
    let id = record.reference(property, "identity")?;
    if !agreement.is_party(&id) {
        return Err(Error::invalid(&record.id, property, format!("{id} is not a party to {}", agreement.id)));
    }
    Ok(id)
}

fn text(record: &Record, property: &str, max: usize, required: bool) -> Result<(), Error> {
    let value = if required { Some(record.str(property)?) } else { record.opt_str(property)? };
    match value {
        Some(t) if required && t.trim().is_empty() => Err(Error::invalid(&record.id, property, "must not be empty")),
        Some(t) if t.chars().count() > max => Err(Error::invalid(&record.id, property, format!("is longer than {max} characters"))),
        _ => Ok(()),
    }
}
