//! The crisis module's record kinds, their extension definition, and the
//! checks each record passes on its own and against its agreement (errors
//! name the property): playbooks and their endorsements, crises (with
//! their tasks), acknowledgements, task updates, situation reports,
//! assistance steps and after-action reviews.

use model::{StixId, Timestamp};
use partnership::{consent, Error, Record};
use policy::Agreement;
use serde_json::{Map, Value};

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--8c4e1f2a-7b3d-4e6f-a1c9-5d0b2e7f9a14";

/// A playbook: the kind of crisis, roles per party, phases with tasks and
/// their service levels, the communication plan, activation criteria.
pub const PLAYBOOK: &str = "x-entente-crisis-playbook";
/// A party's endorsement of the exact version of a playbook (`partnership::consent`).
pub const ENDORSEMENT: &str = "x-entente-crisis-playbook-endorsement";
/// A crisis: activated by its lead (its author), from a playbook or ad hoc,
/// with its tasks; closed by a new version of its lead's.
pub const CRISIS: &str = "x-entente-crisis";
/// A party's acknowledgement of a crisis.
pub const ACKNOWLEDGEMENT: &str = "x-entente-crisis-acknowledgement";
/// An assignee's update of one of its tasks.
pub const TASK_UPDATE: &str = "x-entente-crisis-task-update";
/// A party's situation report for a period (the fields of EDXL-SitRep).
pub const SITREP: &str = "x-entente-crisis-sitrep";
/// One step of an assistance exchange (the messages of EDXL-RM), by the
/// party taking it.
pub const ASSISTANCE: &str = "x-entente-crisis-assistance";
/// A party's after-action review of a closed crisis.
pub const REVIEW: &str = "x-entente-crisis-review";

/// The record kinds.
pub const KINDS: &[&str] = &[PLAYBOOK, ENDORSEMENT, CRISIS, ACKNOWLEDGEMENT, TASK_UPDATE, SITREP, ASSISTANCE, REVIEW];

/// The property every record of a crisis names it by.
pub const CRISIS_REF: &str = "crisis_ref";
/// Whether a crisis record is an exercise (EDXL's distribution status
/// `Exercise`) or real (`Actual`): on the crisis and copied onto each of
/// its records.
pub const EXERCISE: &str = "exercise";

/// The label every exercise record carries (`policy`'s exercise label).
pub const EXERCISE_LABEL: &str = policy::ext::EXERCISE_LABEL;

/// The phases of a crisis, in order.
pub const PHASES: &[&str] = &["alert", "activation", "response", "recovery", "review"];
/// Severities (CAP/EDXL), most severe first.
pub const SEVERITIES: &[&str] = &["extreme", "severe", "moderate", "minor", "unknown"];
/// Kinds of hazard a playbook is for.
pub const HAZARDS: &[&str] = &["cyber-incident", "hybrid-campaign", "pandemic", "natural-disaster", "industrial-accident", "terrorism", "other"];
/// What an assignee reports of its task.
pub const TASK_STATUSES: &[&str] = &["acknowledged", "accepted", "in-progress", "done", "declined"];
/// The steps of an assistance exchange (EDXL-RM: RequestResource,
/// ResponseToRequestResource, CommitResource, deliver, ReleaseResource,
/// RequestReturn/return), in order.
pub const STEPS: &[&str] = &["request", "offer", "commit", "deliver", "release", "return"];
/// A crisis's status.
pub const STATUSES: &[&str] = &["active", "closed"];

/// The longest service level, in minutes (a year).
pub const MAX_MINUTES: u64 = 525_600;
/// The acknowledgement service level of an ad hoc crisis, in minutes.
pub const DEFAULT_ACK_MINUTES: u64 = 60;

const SHORT: usize = 200;
const LONG: usize = 20_000;
const MANY: usize = 1_000;
/// The largest quantity of a resource.
pub const MAX_QUANTITY: f64 = 1e12;

/// Checks a record of one of the kinds on its own and against its
/// agreement (never against other records).
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    match record.kind.as_str() {
        PLAYBOOK => playbook(record, agreement),
        ENDORSEMENT => consent::check(record, PLAYBOOK).map(drop),
        CRISIS => crisis(record, agreement),
        ACKNOWLEDGEMENT => {
            of_crisis(record, agreement)?;
            text(record, "note", LONG, false)
        }
        TASK_UPDATE => {
            of_crisis(record, agreement)?;
            text(record, "task", SHORT, true)?;
            let status = one_of(record, "status", TASK_STATUSES)?;
            text(record, "reason", LONG, status == "declined")?;
            text(record, "note", LONG, false)
        }
        SITREP => {
            of_crisis(record, agreement)?;
            let (from, to) = (time(record, "period_start")?, time(record, "period_end")?);
            if to < from {
                return Err(Error::invalid(&record.id, "period_end", format!("{to} is before period_start {from}")));
            }
            text(record, "situation_summary", LONG, true)?;
            for p in ["observations", "actions_taken", "actions_planned", "resources_committed", "impact"] {
                text(record, p, LONG, false)?;
            }
            if let Some(due) = record.opt_time("next_report_due")? {
                if due < to {
                    return Err(Error::invalid(&record.id, "next_report_due", format!("{due} is before the period's end {to}")));
                }
            }
            ids(record, "key_intelligence_refs")
        }
        ASSISTANCE => {
            of_crisis(record, agreement)?;
            let step = one_of(record, "step", STEPS)?;
            if step == "request" {
                text(record, "resource", SHORT, true)?;
                text(record, "unit", SHORT, false)?;
                text(record, "description", LONG, false)?;
                quantity(record, "quantity", true)?;
                if record.opt_time("needed_by")?.is_some_and(|t| t < record.created) {
                    return Err(Error::invalid(&record.id, "needed_by", "is before the request was made"));
                }
                if record.properties.contains_key("request_ref") {
                    return Err(Error::invalid(&record.id, "request_ref", "a request names no request"));
                }
            } else {
                record.reference("request_ref", ASSISTANCE)?;
                quantity(record, "quantity", matches!(step, "commit" | "deliver"))?;
            }
            match record.properties.get("exceeds_request") {
                None | Some(Value::Bool(_)) => {}
                Some(_) => return Err(Error::invalid(&record.id, "exceeds_request", "must be true or false")),
            }
            text(record, "note", LONG, false)
        }
        REVIEW => {
            of_crisis(record, agreement)?;
            text(record, "went_well", LONG, true)?;
            text(record, "to_improve", LONG, true)
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not a crisis record"))),
    }
}

fn playbook(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    text(record, "title", SHORT, true)?;
    one_of(record, "hazard", HAZARDS)?;
    text(record, "activation_criteria", LONG, false)?;
    minutes(record.properties.get("ack_within_minutes"), &record.id, "ack_within_minutes", true)?;
    match record.properties.get("communication") {
        None => {}
        Some(Value::Object(c)) => {
            for (k, v) in c {
                if !matches!(k.as_str(), "channel" | "statement_template" | "notes") || v.as_str().is_none_or(|s| s.chars().count() > LONG) {
                    return Err(Error::invalid(&record.id, format!("communication.{k}"), "must be one of channel, statement_template, notes: a text"));
                }
            }
        }
        Some(_) => return Err(Error::invalid(&record.id, "communication", "must be {channel, statement_template, notes}")),
    }
    let roles = list(record, "roles", true)?;
    let mut names: Vec<&str> = Vec::new();
    for (i, r) in roles.iter().enumerate() {
        let at = |p: &str| format!("roles[{i}].{p}");
        let name = r.get("role").and_then(Value::as_str).filter(|s| !s.trim().is_empty() && s.chars().count() <= SHORT);
        let name = name.ok_or_else(|| Error::invalid(&record.id, at("role"), format!("must be a name of 1 to {SHORT} characters")))?;
        if names.contains(&name) {
            return Err(Error::invalid(&record.id, at("role"), format!("`{name}` is named twice")));
        }
        names.push(name);
        party_value(r.get("party_ref"), &record.id, &at("party_ref"), agreement)?;
    }
    let phases = list(record, "phases", true)?;
    let mut keys: Vec<&str> = Vec::new();
    for (i, ph) in phases.iter().enumerate() {
        let name = ph.get("phase").and_then(Value::as_str);
        if !name.is_some_and(|n| PHASES.contains(&n)) {
            return Err(Error::invalid(&record.id, format!("phases[{i}].phase"), format!("must be one of {}", PHASES.join(", "))));
        }
        let tasks = ph.get("tasks").and_then(Value::as_array).filter(|t| t.len() <= MANY);
        let tasks = tasks.ok_or_else(|| Error::invalid(&record.id, format!("phases[{i}].tasks"), format!("must be a list of at most {MANY} tasks")))?;
        for (j, t) in tasks.iter().enumerate() {
            let at = |p: &str| format!("phases[{i}].tasks[{j}].{p}");
            let key = t.get("key").and_then(Value::as_str).filter(|s| valid_key(s));
            let key = key.ok_or_else(|| Error::invalid(&record.id, at("key"), "must be 1 to 64 letters, digits, '-' or '_'"))?;
            if keys.contains(&key) {
                return Err(Error::invalid(&record.id, at("key"), format!("`{key}` is used twice")));
            }
            keys.push(key);
            short_value(t.get("title"), &record.id, &at("title"))?;
            let role = t.get("owner_role").and_then(Value::as_str);
            if !role.is_some_and(|r| names.contains(&r)) {
                return Err(Error::invalid(&record.id, at("owner_role"), "must be one of the playbook's roles"));
            }
            minutes(t.get("ack_within_minutes"), &record.id, &at("ack_within_minutes"), true)?;
            minutes(t.get("complete_within_minutes"), &record.id, &at("complete_within_minutes"), true)?;
        }
    }
    Ok(())
}

fn crisis(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    exercise(record, agreement)?;
    text(record, "title", SHORT, true)?;
    text(record, "summary", LONG, false)?;
    one_of(record, "severity", SEVERITIES)?;
    one_of(record, "status", STATUSES)?;
    text(record, "close_reason", LONG, false)?;
    if record.opt_str("hazard")?.is_some() {
        one_of(record, "hazard", HAZARDS)?;
    }
    minutes(record.properties.get("ack_within_minutes"), &record.id, "ack_within_minutes", true)?;
    if record.opt_str("playbook_ref")?.is_some() {
        record.reference("playbook_ref", PLAYBOOK)?;
        record.opt_time("playbook_version")?.ok_or_else(|| Error::invalid(&record.id, "playbook_version", "is required with playbook_ref"))?;
    }
    let tasks = list(record, "tasks", false)?;
    let mut keys: Vec<&str> = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let at = |p: &str| format!("tasks[{i}].{p}");
        let key = t.get("key").and_then(Value::as_str).filter(|s| valid_key(s));
        let key = key.ok_or_else(|| Error::invalid(&record.id, at("key"), "must be 1 to 64 letters, digits, '-' or '_'"))?;
        if keys.contains(&key) {
            return Err(Error::invalid(&record.id, at("key"), format!("`{key}` is used twice")));
        }
        keys.push(key);
        short_value(t.get("title"), &record.id, &at("title"))?;
        if !t.get("phase").and_then(Value::as_str).is_some_and(|p| PHASES.contains(&p)) {
            return Err(Error::invalid(&record.id, at("phase"), format!("must be one of {}", PHASES.join(", "))));
        }
        party_value(t.get("assignee_ref"), &record.id, &at("assignee_ref"), agreement)?;
        let assigned = t.get("assigned_at").and_then(Value::as_str).and_then(|s| Timestamp::parse(s).ok());
        assigned.ok_or_else(|| Error::invalid(&record.id, at("assigned_at"), "must be a timestamp"))?;
        minutes(t.get("ack_within_minutes"), &record.id, &at("ack_within_minutes"), true)?;
        minutes(t.get("complete_within_minutes"), &record.id, &at("complete_within_minutes"), true)?;
    }
    Ok(())
}

/// A record of a crisis: names it, and says whether it is an exercise as
/// the agreement allows.
fn of_crisis(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    record.reference(CRISIS_REF, CRISIS)?;
    exercise(record, agreement)
}

/// `exercise` is required, true or false, and the agreement's scope
/// (`data_kind`) covers it: no exercise record under a real-only
/// agreement, no real one under an exercise-only one.
fn exercise(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let flag = match record.properties.get(EXERCISE) {
        Some(Value::Bool(b)) => *b,
        _ => return Err(Error::invalid(&record.id, EXERCISE, "is required: true (an exercise) or false (real)")),
    };
    // Exercise records also carry the label that marks exercise data for
    // the rest of the node (docs/agreements.md); real ones do not.
    let labelled = record.properties.get("labels").and_then(Value::as_array).is_some_and(|l| l.iter().any(|x| x.as_str() == Some(EXERCISE_LABEL)));
    if labelled != flag {
        let why = if flag { format!("an exercise record carries the label {EXERCISE_LABEL}") } else { format!("a real record does not carry the label {EXERCISE_LABEL}") };
        return Err(Error::invalid(&record.id, "labels", why));
    }
    if !agreement.terms.scope.data_kind.covers(flag) {
        let why = if flag { "covers real data only: no exercise record under it" } else { "covers exercise data only: no real record under it" };
        return Err(Error::invalid(&record.id, EXERCISE, format!("agreement {} {why}", agreement.id)));
    }
    Ok(())
}

/// A task key: 1 to 64 letters, digits, `-` or `_`.
pub fn valid_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn list<'a>(record: &'a Record, property: &str, required: bool) -> Result<&'a [Value], Error> {
    match record.properties.get(property) {
        None | Some(Value::Null) if !required => Ok(&[]),
        Some(Value::Array(a)) if a.len() <= MANY => {
            if let Some(i) = a.iter().position(|v| !v.is_object()) {
                return Err(Error::invalid(&record.id, format!("{property}[{i}]"), "must be an object"));
            }
            Ok(a)
        }
        _ => Err(Error::invalid(&record.id, property, format!("must be a list of at most {MANY}"))),
    }
}

fn one_of<'a>(record: &'a Record, property: &str, allowed: &[&str]) -> Result<&'a str, Error> {
    let v = record.str(property)?;
    if !allowed.contains(&v) {
        return Err(Error::invalid(&record.id, property, format!("must be one of {}", allowed.join(", "))));
    }
    Ok(v)
}

fn time(record: &Record, property: &str) -> Result<Timestamp, Error> {
    record.opt_time(property)?.ok_or_else(|| Error::invalid(&record.id, property, "is required (a timestamp)"))
}

fn text(record: &Record, property: &str, max: usize, required: bool) -> Result<(), Error> {
    match record.opt_str(property)? {
        None if required => Err(Error::invalid(&record.id, property, "is required")),
        Some(s) if s.trim().is_empty() && required => Err(Error::invalid(&record.id, property, "is required")),
        Some(s) if s.chars().count() > max => Err(Error::invalid(&record.id, property, format!("at most {max} characters"))),
        _ => Ok(()),
    }
}

fn short_value(v: Option<&Value>, id: &StixId, at: &str) -> Result<(), Error> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= SHORT => Ok(()),
        _ => Err(Error::invalid(id, at, format!("must be a text of 1 to {SHORT} characters"))),
    }
}

fn minutes(v: Option<&Value>, id: &StixId, at: &str, required: bool) -> Result<(), Error> {
    match v {
        None if !required => Ok(()),
        Some(v) if v.as_u64().is_some_and(|m| (1..=MAX_MINUTES).contains(&m)) => Ok(()),
        _ => Err(Error::invalid(id, at, format!("must be a whole number of minutes, 1 to {MAX_MINUTES}"))),
    }
}

fn quantity(record: &Record, property: &str, required: bool) -> Result<(), Error> {
    match record.properties.get(property) {
        None if !required => Ok(()),
        Some(v) if v.as_f64().is_some_and(|q| q > 0.0 && q <= MAX_QUANTITY) => Ok(()),
        _ => Err(Error::invalid(&record.id, property, format!("must be a number above 0, at most {MAX_QUANTITY}"))),
    }
}

fn party_value(v: Option<&Value>, id: &StixId, at: &str, agreement: &Agreement) -> Result<StixId, Error> {
    let p = v.and_then(Value::as_str).and_then(|s| StixId::parse(s).ok()).filter(|p| p.object_type() == "identity");
    let p = p.ok_or_else(|| Error::invalid(id, at, "must be an identity id"))?;
    if !agreement.is_party(&p) {
        return Err(Error::invalid(id, at, format!("{p} is not a party to {}", agreement.id)));
    }
    Ok(p)
}

fn ids(record: &Record, property: &str) -> Result<(), Error> {
    let Some(v) = record.properties.get(property) else { return Ok(()) };
    let list = v.as_array().filter(|l| l.len() <= MANY).ok_or_else(|| Error::invalid(&record.id, property, format!("must be a list of at most {MANY} STIX ids")))?;
    for (i, x) in list.iter().enumerate() {
        x.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(&record.id, format!("{property}[{i}]"), "must be a STIX id"))?;
    }
    Ok(())
}

/// A crisis's tasks as its latest version lists them.
pub fn tasks(crisis: &Record) -> &[Value] {
    crisis.properties.get("tasks").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Whether a record says it is an exercise.
pub fn is_exercise(record: &Record) -> bool {
    record.properties.get(EXERCISE) == Some(&Value::Bool(true))
}

/// A record's own properties (without the ones the kit sets).
pub fn own(record: &Record) -> Map<String, Value> {
    const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", partnership::AGREEMENT_REF, "revoked", "extensions"];
    record.properties.iter().filter(|(k, _)| !COMMON.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}
