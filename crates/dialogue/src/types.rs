//! The dialogue's record kinds, their extension definition, and the checks
//! each record passes on its own and against its agreement (errors name
//! the property): channels, messages, meetings, approvals of minutes,
//! action items and their updates.

use model::tlp::Tlp;
use model::{StixId, Timestamp};
use partnership::{consent, Error, Record};
use policy::Agreement;
use serde_json::Value;

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--3b1e2c4d-5f60-4a7b-8c9d-0e1f2a3b4c5d";

/// A channel of an agreement: a topic, for all its parties or some.
pub const CHANNEL: &str = "x-entente-channel";
/// A message in a channel.
pub const MESSAGE: &str = "x-entente-message";
/// A meeting: date, type, participants, agenda, minutes, decisions.
pub const MEETING: &str = "x-entente-meeting";
/// A party's approval of the exact version of a meeting's minutes.
pub const APPROVAL: &str = "x-entente-minutes-approval";
/// An action item: an owner party, a due date, a description.
pub const ACTION_ITEM: &str = "x-entente-action-item";
/// An update of an action item: acknowledged, progress, closed (by its
/// owner) or a comment (by any party).
pub const ACTION_UPDATE: &str = "x-entente-action-update";

/// The record kinds, in the order the module declares them.
pub const KINDS: &[&str] = &[CHANNEL, MESSAGE, MEETING, APPROVAL, ACTION_ITEM, ACTION_UPDATE];

/// The property by which channels and messages narrow their audience
/// (`policy::kinds::Kind::audience`): the channel's members.
pub const AUDIENCE: &str = "audience_refs";

/// What an update of an action item says.
pub const UPDATES: &[&str] = &["acknowledge", "progress", "close", "comment"];
/// The updates only an item's owner makes.
pub const OWNER_UPDATES: &[&str] = &["acknowledge", "progress", "close"];

/// Longest title, name, role or type.
const SHORT: usize = 200;
/// Longest text (message, minutes, description).
const LONG: usize = 20_000;
/// Most items in a list (agenda, decisions, participants, references).
const MANY: usize = 200;

const DAY: i64 = 86_400_000_000;

/// Checks a record of one of the dialogue's kinds on its own and against
/// its agreement (never against other records).
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    markings(record, agreement)?;
    match record.kind.as_str() {
        CHANNEL => {
            text(record, "title", SHORT, true)?;
            text(record, "topic", LONG, false)?;
            audience(record, agreement)
        }
        MESSAGE => {
            record.reference("channel_ref", CHANNEL)?;
            text(record, "text", LONG, true)?;
            if record.opt_str("reply_to")?.is_some() {
                record.reference("reply_to", MESSAGE)?;
            }
            ids(record, "object_refs")?;
            audience(record, agreement)
        }
        MEETING => {
            text(record, "title", SHORT, true)?;
            text(record, "meeting_type", SHORT, true)?;
            time(record, "date")?;
            participants(record, agreement)?;
            texts(record, "agenda")?;
            text(record, "minutes", LONG, false)?;
            texts(record, "decisions")
        }
        APPROVAL => consent::check(record, MEETING).map(drop),
        ACTION_ITEM => {
            text(record, "description", LONG, true)?;
            party(record, "owner_ref", agreement)?;
            let due = time(record, "due")?;
            // Not before the day it was made.
            if due.micros() < record.created.micros() - record.created.micros().rem_euclid(DAY) {
                return Err(Error::invalid(&record.id, "due", format!("{due} is before the item was made ({})", record.created)));
            }
            if record.opt_str("meeting_ref")?.is_some() {
                record.reference("meeting_ref", MEETING)?;
            }
            Ok(())
        }
        ACTION_UPDATE => {
            record.reference("action_item_ref", ACTION_ITEM)?;
            let update = record.str("update")?;
            if !UPDATES.contains(&update) {
                return Err(Error::invalid(&record.id, "update", format!("must be one of {}", UPDATES.join(", "))));
            }
            text(record, "text", LONG, update == "comment")?;
            match record.properties.get("percent") {
                None => Ok(()),
                Some(v) if update == "progress" && v.as_u64().is_some_and(|p| p <= 100) => Ok(()),
                Some(_) if update != "progress" => Err(Error::invalid(&record.id, "percent", "is only for a progress report")),
                Some(_) => Err(Error::invalid(&record.id, "percent", "must be a whole number from 0 to 100")),
            }
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not a dialogue record"))),
    }
}

/// The record's TLP markings: TLP markings only, none above the
/// agreement's ceiling.
fn markings(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let ceiling = agreement.terms.tlp_ceiling;
    for (i, m) in record.properties.get("object_marking_refs").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let at = format!("object_marking_refs[{i}]");
        let tlp = m.as_str().and_then(Tlp::from_marking_id).ok_or_else(|| Error::invalid(&record.id, &at, "must be a TLP marking"))?;
        if tlp > ceiling {
            return Err(Error::invalid(&record.id, at, format!("TLP:{} is above the agreement's ceiling, TLP:{}", tlp.name().to_uppercase(), ceiling.name().to_uppercase())));
        }
    }
    Ok(())
}

/// The TLP a record is marked with (the most restrictive), if any.
pub fn tlp(record: &Record) -> Option<Tlp> {
    record.properties.get("object_marking_refs").and_then(Value::as_array)?.iter().filter_map(|m| m.as_str().and_then(Tlp::from_marking_id)).max()
}

/// A text property: required or not, not blank, at most `max` characters.
fn text(record: &Record, property: &str, max: usize, required: bool) -> Result<(), Error> {
    let value = if required { Some(record.str(property)?) } else { record.opt_str(property)? };
    match value {
        Some(t) if required && t.trim().is_empty() => Err(Error::invalid(&record.id, property, "must not be empty")),
        Some(t) if t.chars().count() > max => Err(Error::invalid(&record.id, property, format!("is longer than {max} characters"))),
        _ => Ok(()),
    }
}

/// An optional list of texts (agenda items, decisions).
fn texts(record: &Record, property: &str) -> Result<(), Error> {
    let Some(v) = record.properties.get(property) else { return Ok(()) };
    let items = v.as_array().ok_or_else(|| Error::invalid(&record.id, property, "must be a list of texts"))?;
    if items.len() > MANY {
        return Err(Error::invalid(&record.id, property, format!("lists more than {MANY} items")));
    }
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(t) if !t.trim().is_empty() && t.chars().count() <= LONG => {}
            _ => return Err(Error::invalid(&record.id, format!("{property}[{i}]"), format!("must be a text of 1 to {LONG} characters"))),
        }
    }
    Ok(())
}

/// A required timestamp property.
fn time(record: &Record, property: &str) -> Result<Timestamp, Error> {
    record.opt_time(property)?.ok_or_else(|| Error::invalid(&record.id, property, "is required (a timestamp such as 2026-07-01T09:00:00Z)"))
}

/// An optional list of STIX ids (references to intelligence objects).
fn ids(record: &Record, property: &str) -> Result<(), Error> {
    let Some(v) = record.properties.get(property) else { return Ok(()) };
    let items = v.as_array().ok_or_else(|| Error::invalid(&record.id, property, "must be a list of ids"))?;
    if items.len() > MANY {
        return Err(Error::invalid(&record.id, property, format!("lists more than {MANY} ids")));
    }
    for (i, item) in items.iter().enumerate() {
        item.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(&record.id, format!("{property}[{i}]"), "must be an id"))?;
    }
    Ok(())
}

/// A reference property naming a party of the agreement.
fn party(record: &Record, property: &str, agreement: &Agreement) -> Result<StixId, Error> {
    let id = record.reference(property, "identity")?;
    if !agreement.is_party(&id) {
        return Err(Error::invalid(&record.id, property, format!("{id} is not a party to {}", agreement.id)));
    }
    Ok(id)
}

/// The parties a record's audience lists, if it narrows it.
pub fn members(record: &Record) -> Option<Vec<String>> {
    let list = record.properties.get(AUDIENCE)?.as_array()?;
    Some(list.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// An optional audience: parties of the agreement, each once, its author among them.
fn audience(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let Some(v) = record.properties.get(AUDIENCE) else { return Ok(()) };
    let items = v.as_array().ok_or_else(|| Error::invalid(&record.id, AUDIENCE, "must be a list of parties"))?;
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{AUDIENCE}[{i}]");
        let raw = item.as_str().ok_or_else(|| Error::invalid(&record.id, &at, "must be an identity id"))?;
        let id = StixId::parse(raw).map_err(|e| Error::invalid(&record.id, &at, e))?;
        if !agreement.is_party(&id) {
            return Err(Error::invalid(&record.id, at, format!("{id} is not a party to {}", agreement.id)));
        }
        if seen.contains(&raw) {
            return Err(Error::invalid(&record.id, at, format!("names {raw} twice")));
        }
        seen.push(raw);
    }
    if !seen.contains(&record.author.as_str()) {
        return Err(Error::invalid(&record.id, AUDIENCE, format!("must include the author, {}", record.author)));
    }
    Ok(())
}

/// The participants: a non-empty list of `{party_ref, name, role}`, each
/// party one of the agreement's.
fn participants(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let items = record
        .properties
        .get("participants")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Error::invalid(&record.id, "participants", "is required: a list of {party_ref, name, role}"))?;
    if items.len() > MANY {
        return Err(Error::invalid(&record.id, "participants", format!("lists more than {MANY} people")));
    }
    for (i, item) in items.iter().enumerate() {
        let at = |p: &str| format!("participants[{i}].{p}");
        let Value::Object(map) = item else {
            return Err(Error::invalid(&record.id, format!("participants[{i}]"), "must be {party_ref, name, role}"));
        };
        if let Some(k) = map.keys().find(|k| !["party_ref", "name", "role"].contains(&k.as_str())) {
            return Err(Error::invalid(&record.id, at(k), "is not a participant property (party_ref, name, role)"));
        }
        let p = map.get("party_ref").and_then(Value::as_str).and_then(|s| StixId::parse(s).ok());
        let p = p.filter(|p| p.object_type() == "identity").ok_or_else(|| Error::invalid(&record.id, at("party_ref"), "must be an identity id"))?;
        if !agreement.is_party(&p) {
            return Err(Error::invalid(&record.id, at("party_ref"), format!("{p} is not a party to {}", agreement.id)));
        }
        match map.get("name").and_then(Value::as_str) {
            Some(n) if !n.trim().is_empty() && n.chars().count() <= SHORT => {}
            _ => return Err(Error::invalid(&record.id, at("name"), format!("must be a name of 1 to {SHORT} characters (one the party chooses)"))),
        }
        match map.get("role") {
            None => {}
            Some(Value::String(r)) if r.chars().count() <= SHORT => {}
            Some(_) => return Err(Error::invalid(&record.id, at("role"), format!("must be a text of at most {SHORT} characters"))),
        }
    }
    Ok(())
}

/// The parties that took part in a meeting, each once, in order of first mention.
pub fn participating(meeting: &Record) -> Vec<StixId> {
    let mut out: Vec<StixId> = Vec::new();
    for p in meeting.properties.get("participants").and_then(Value::as_array).into_iter().flatten() {
        if let Some(id) = p.get("party_ref").and_then(Value::as_str).and_then(|s| StixId::parse(s).ok()) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}
