//! The exercises' record kinds, their extension definition, and the checks
//! each record passes on its own and against its agreement (errors name
//! the property): the plan with its MSEL, endorsements, start and end,
//! released injects and responses, observations, lessons, remedial
//! actions and their updates, validations.

use std::collections::BTreeSet;

use model::StixId;
use partnership::{consent, Error, Record};
use policy::{Agreement, DataKind};
use serde_json::{Map, Value};

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--89aa5b3c-1ff8-466a-890a-d55cc95f5ba7";

/// An exercise plan: name, type, dates, participants and their teams,
/// observers, objectives and the MSEL. Its author is exercise control.
pub const EXERCISE: &str = "x-entente-exercise";
/// A participant's endorsement of the exact version of a plan.
pub const ENDORSEMENT: &str = "x-entente-exercise-endorsement";
/// Exercise control starting or ending the exercise (`phase`).
pub const PHASE: &str = "x-entente-exercise-phase";
/// An inject of the MSEL released by exercise control to its targets.
pub const INJECT: &str = "x-entente-exercise-inject";
/// A target party's response to a released inject.
pub const RESPONSE: &str = "x-entente-exercise-response";
/// An observation of control or an observer against one objective.
pub const OBSERVATION: &str = "x-entente-exercise-observation";
/// A lesson identified from one or more observations.
pub const LESSON: &str = "x-entente-exercise-lesson";
/// A remedial action of a lesson: an owner party and a due date.
pub const REMEDIAL: &str = "x-entente-exercise-remedial-action";
/// The owner's update of a remedial action (progress, done).
pub const REMEDIAL_UPDATE: &str = "x-entente-exercise-remedial-update";
/// Exercise control's validation of a lesson: the lesson is learned.
pub const VALIDATION: &str = "x-entente-exercise-lesson-validation";

/// The record kinds.
pub const KINDS: &[&str] = &[EXERCISE, ENDORSEMENT, PHASE, INJECT, RESPONSE, OBSERVATION, LESSON, REMEDIAL, REMEDIAL_UPDATE, VALIDATION];

/// The label every exercise record carries: it is exercise data
/// (docs/agreements.md, `policy::ext::EXERCISE_LABEL`).
pub const LABEL: &str = policy::ext::EXERCISE_LABEL;

/// The property by which every record narrows its audience to the
/// exercise's parties (`policy::kinds::Kind::audience`); a released inject
/// and its responses to control, the targets and the observers.
pub const AUDIENCE: &str = "audience_refs";

/// The types of exercise.
pub const TYPES: &[&str] = &["tabletop", "functional", "full-scale", "cyber-range"];
/// The phases exercise control records.
pub const PHASES: &[&str] = &["start", "end"];
/// How an observation rates the objective it is against.
pub const RATINGS: &[&str] = &["met", "partially-met", "not-met"];
/// What the owner of a remedial action reports.
pub const STATUSES: &[&str] = &["progress", "done"];

/// Longest name, title, id, team, channel.
pub(crate) const SHORT: usize = 200;
/// Longest text.
pub(crate) const LONG: usize = 20_000;
/// Most items in a list.
pub(crate) const MANY: usize = 200;
/// Latest inject offset: a year, in minutes.
pub(crate) const MAX_OFFSET: u64 = 525_600;

/// Checks a record of one of the kinds on its own and against its
/// agreement (never against other records).
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    // Every exercise record is exercise data: never under a real-only agreement.
    if agreement.terms.scope.data_kind == DataKind::Real {
        return Err(Error::invalid(
            &record.id,
            partnership::AGREEMENT_REF,
            format!("{} covers real data only (scope.data_kind: real): exercise records go under an agreement covering exercise data", agreement.id),
        ));
    }
    labelled(record)?;
    if record.kind == EXERCISE {
        // The plan's own properties first: its audience follows from them.
        plan(record, agreement)?;
        return audience(record, agreement);
    }
    audience(record, agreement)?;
    record.reference("exercise_ref", EXERCISE)?;
    match record.kind.as_str() {
        ENDORSEMENT => {
            let (to, _) = consent::check(record, EXERCISE)?;
            if record.str("exercise_ref")? != to.as_str() {
                return Err(Error::invalid(&record.id, "exercise_ref", format!("must be the exercise endorsed, {to}")));
            }
            Ok(())
        }
        PHASE => one_of(record, "phase", PHASES),
        INJECT => {
            text(record, "inject", SHORT, true)?;
            text(record, "move", SHORT, false)?;
            text(record, "channel", SHORT, false)?;
            text(record, "target_team", SHORT, false)?;
            text(record, "content", LONG, true)?;
            ids(record, "object_refs")?;
            let targets = parties(record, "target_refs", agreement, true)?;
            let listed = listed(record);
            if let Some((i, t)) = targets.iter().enumerate().find(|(_, t)| !listed.contains(&t.as_str())) {
                return Err(Error::invalid(&record.id, format!("target_refs[{i}]"), format!("{t} is not in the inject's {AUDIENCE}")));
            }
            Ok(())
        }
        RESPONSE => {
            record.reference("inject_ref", INJECT)?;
            text(record, "text", LONG, true)?;
            text(record, "action_taken", LONG, false)
        }
        OBSERVATION => {
            text(record, "objective", SHORT, true)?;
            text(record, "text", LONG, true)?;
            one_of(record, "rating", RATINGS)?;
            if record.opt_str("inject_ref")?.is_some() {
                record.reference("inject_ref", INJECT)?;
            }
            Ok(())
        }
        LESSON => {
            text(record, "title", SHORT, true)?;
            text(record, "text", LONG, false)?;
            let list = record
                .properties
                .get("observation_refs")
                .and_then(Value::as_array)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| Error::invalid(&record.id, "observation_refs", "is required: the observations the lesson is drawn from (at least one)"))?;
            if list.len() > MANY {
                return Err(Error::invalid(&record.id, "observation_refs", format!("lists more than {MANY}")));
            }
            for (i, v) in list.iter().enumerate() {
                let id = v.as_str().and_then(|s| StixId::parse(s).ok());
                if id.is_none_or(|id| id.object_type() != OBSERVATION) {
                    return Err(Error::invalid(&record.id, format!("observation_refs[{i}]"), format!("must name an {OBSERVATION}")));
                }
            }
            Ok(())
        }
        REMEDIAL => {
            record.reference("lesson_ref", LESSON)?;
            text(record, "description", LONG, true)?;
            if record.properties.get("owner_ref").is_none_or(Value::is_null) {
                return Err(Error::invalid(&record.id, "owner_ref", "is required: the party that owns the action"));
            }
            party(record, "owner_ref", agreement)?;
            record.opt_time("due")?.ok_or_else(|| Error::invalid(&record.id, "due", "is required: a due date such as 2026-09-01T00:00:00Z"))?;
            Ok(())
        }
        REMEDIAL_UPDATE => {
            record.reference("action_ref", REMEDIAL)?;
            one_of(record, "status", STATUSES)?;
            text(record, "text", LONG, false)
        }
        VALIDATION => {
            record.reference("lesson_ref", LESSON)?;
            text(record, "text", LONG, false)
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not an exercises record"))),
    }
}

/// The plan: its own properties, participants, observers, objectives and
/// the MSEL, each inject for participants and an objective of the plan.
fn plan(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let id = &record.id;
    text(record, "name", SHORT, true)?;
    text(record, "description", LONG, false)?;
    one_of(record, "exercise_type", TYPES)?;
    let start = record.opt_time("start_date")?.ok_or_else(|| Error::invalid(id, "start_date", "is required (a timestamp)"))?;
    let end = record.opt_time("end_date")?.ok_or_else(|| Error::invalid(id, "end_date", "is required (a timestamp)"))?;
    if end < start {
        return Err(Error::invalid(id, "end_date", format!("{end} is before start_date {start}")));
    }
    // Participants and their teams.
    let list = list(record, "participants", true)?;
    let mut teams: Vec<(String, Vec<String>)> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let at = |k: &str| format!("participants[{i}].{k}");
        let Value::Object(map) = p else { return Err(Error::invalid(id, format!("participants[{i}]"), "must be {party_ref, teams}")) };
        keys(record, map, &["party_ref", "teams"], &format!("participants[{i}]"))?;
        let party = map.get("party_ref").and_then(Value::as_str).and_then(|s| StixId::parse(s).ok()).filter(|p| p.object_type() == "identity");
        let party = party.ok_or_else(|| Error::invalid(id, at("party_ref"), "must be an identity id"))?;
        if !agreement.is_party(&party) {
            return Err(Error::invalid(id, at("party_ref"), format!("{party} is not a party to {}", agreement.id)));
        }
        if teams.iter().any(|(p, _)| p == party.as_str()) {
            return Err(Error::invalid(id, at("party_ref"), format!("names {party} twice")));
        }
        let names = strings(record, map.get("teams"), &at("teams"))?;
        teams.push((party.to_string(), names));
    }
    let observers = parties(record, "observer_refs", agreement, false)?;
    for (i, o) in observers.iter().enumerate() {
        if teams.iter().any(|(p, _)| p == o.as_str()) {
            return Err(Error::invalid(id, format!("observer_refs[{i}]"), format!("{o} is a participant: an observer does not play")));
        }
    }
    // The audience: control, the participants and the observers, nothing else.
    let mut expected: BTreeSet<String> = teams.iter().map(|(p, _)| p.clone()).collect();
    expected.extend(observers.iter().map(|o| o.to_string()));
    expected.insert(record.author.to_string());
    let listed: BTreeSet<String> = listed(record).into_iter().map(str::to_owned).collect();
    if listed != expected {
        return Err(Error::invalid(id, AUDIENCE, "must list exercise control, the participants and the observers, and no one else"));
    }
    // A kept CEXF document (an imported plan): it follows the format.
    if let Some(doc) = record.properties.get(crate::cexf::KEY) {
        crate::cexf::check(doc).map_err(|e| match e {
            Error::Invalid { property, reason, .. } => Error::invalid(id, property, reason),
            other => other,
        })?;
    }
    // Objectives.
    let mut objectives: Vec<String> = Vec::new();
    for (i, o) in list_opt(record, "objectives")?.iter().enumerate() {
        let at = |k: &str| format!("objectives[{i}].{k}");
        let Value::Object(map) = o else { return Err(Error::invalid(id, format!("objectives[{i}]"), "must be {id, title, objective_ref, competencies}")) };
        keys(record, map, &["id", "title", "objective_ref", "competencies"], &format!("objectives[{i}]"))?;
        let oid = short(record, map.get("id"), &at("id"))?;
        if objectives.contains(&oid) {
            return Err(Error::invalid(id, at("id"), format!("`{oid}` is the id of another objective")));
        }
        short(record, map.get("title"), &at("title"))?;
        if let Some(r) = map.get("objective_ref") {
            let r = r.as_str().and_then(|s| StixId::parse(s).ok());
            if r.is_none_or(|r| r.object_type() != "x-entente-objective") {
                return Err(Error::invalid(id, at("objective_ref"), "must name an x-entente-objective (a shared objective)"));
            }
        }
        strings(record, map.get("competencies"), &at("competencies"))?;
        objectives.push(oid);
    }
    // The MSEL: moves, each with injects.
    let mut injects: Vec<String> = Vec::new();
    for (m, mv) in list_opt(record, "msel")?.iter().enumerate() {
        let Value::Object(map) = mv else { return Err(Error::invalid(id, format!("msel[{m}]"), "must be {move, title, injects}")) };
        keys(record, map, &["move", "title", "injects"], &format!("msel[{m}]"))?;
        short(record, map.get("move"), &format!("msel[{m}].move"))?;
        if map.contains_key("title") {
            short(record, map.get("title"), &format!("msel[{m}].title"))?;
        }
        let list = match map.get("injects") {
            None => Vec::new(),
            Some(Value::Array(l)) if l.len() <= MANY => l.clone(),
            Some(_) => return Err(Error::invalid(id, format!("msel[{m}].injects"), format!("must be a list of at most {MANY} injects"))),
        };
        for (j, inj) in list.iter().enumerate() {
            let base = format!("msel[{m}].injects[{j}]");
            let at = |k: &str| format!("{base}.{k}");
            let Value::Object(map) = inj else { return Err(Error::invalid(id, base, "must be an inject object")) };
            keys(record, map, &["id", "offset_minutes", "trigger", "target_refs", "target_team", "channel", "content", "object_refs", "expected_action", "objective"], &base)?;
            let iid = short(record, map.get("id"), &at("id"))?;
            if injects.contains(&iid) {
                return Err(Error::invalid(id, at("id"), format!("`{iid}` is the id of another inject")));
            }
            match (map.get("offset_minutes"), map.get("trigger")) {
                (Some(o), None) if o.as_u64().is_some_and(|o| o <= MAX_OFFSET) => {}
                (Some(_), None) => return Err(Error::invalid(id, at("offset_minutes"), format!("must be whole minutes from the start, 0 to {MAX_OFFSET}"))),
                (None, Some(_)) => {
                    short(record, map.get("trigger"), &at("trigger"))?;
                }
                _ => return Err(Error::invalid(id, at("offset_minutes"), "an inject has either offset_minutes (from the start) or a trigger (released by hand)")),
            }
            let targets = map.get("target_refs").and_then(Value::as_array).filter(|l| !l.is_empty() && l.len() <= MANY);
            let targets = targets.ok_or_else(|| Error::invalid(id, at("target_refs"), "is required: the participating parties it goes to"))?;
            let mut named: Vec<&str> = Vec::new();
            for (k, t) in targets.iter().enumerate() {
                let t = t.as_str().unwrap_or_default();
                if !teams.iter().any(|(p, _)| p == t) {
                    return Err(Error::invalid(id, format!("{base}.target_refs[{k}]"), format!("`{t}` is not a participant of the exercise")));
                }
                if named.contains(&t) {
                    return Err(Error::invalid(id, format!("{base}.target_refs[{k}]"), format!("names {t} twice")));
                }
                named.push(t);
            }
            if let Some(team) = map.get("target_team") {
                let team = short(record, Some(team), &at("target_team"))?;
                if !teams.iter().any(|(p, ts)| named.contains(&p.as_str()) && ts.contains(&team)) {
                    return Err(Error::invalid(id, at("target_team"), format!("`{team}` is not a team of the inject's targets")));
                }
            }
            if map.contains_key("channel") {
                short(record, map.get("channel"), &at("channel"))?;
            }
            long(record, map.get("content"), &at("content"), true)?;
            long(record, map.get("expected_action"), &at("expected_action"), false)?;
            if let Some(refs) = map.get("object_refs") {
                let refs = refs.as_array().filter(|l| l.len() <= MANY).ok_or_else(|| Error::invalid(id, at("object_refs"), "must be a list of STIX ids"))?;
                for (k, r) in refs.iter().enumerate() {
                    r.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(id, format!("{base}.object_refs[{k}]"), "must be a STIX id"))?;
                }
            }
            let objective = short(record, map.get("objective"), &at("objective"))?;
            if !objectives.contains(&objective) {
                return Err(Error::invalid(id, at("objective"), format!("`{objective}` is not an objective of the exercise")));
            }
            injects.push(iid);
        }
    }
    Ok(())
}

/// The record carries the exercise label.
fn labelled(record: &Record) -> Result<(), Error> {
    let labels = record.properties.get("labels").and_then(Value::as_array);
    if !labels.is_some_and(|l| l.iter().any(|v| v.as_str() == Some(LABEL))) {
        return Err(Error::invalid(&record.id, "labels", format!("must include {LABEL}: every exercise record is exercise data")));
    }
    Ok(())
}

/// The parties a record's audience lists.
pub fn listed(record: &Record) -> Vec<&str> {
    record.properties.get(AUDIENCE).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

/// The audience (required): parties of the agreement, each once, its author among them.
fn audience(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let list = parties(record, AUDIENCE, agreement, true)?;
    if !list.contains(&record.author) {
        return Err(Error::invalid(&record.id, AUDIENCE, format!("must include the author, {}", record.author)));
    }
    Ok(())
}

/// A list of parties of the agreement, each once (required or not).
fn parties(record: &Record, property: &str, agreement: &Agreement, required: bool) -> Result<Vec<StixId>, Error> {
    let items = match record.properties.get(property) {
        None | Some(Value::Null) if !required => return Ok(Vec::new()),
        None | Some(Value::Null) => return Err(Error::invalid(&record.id, property, "is required: a list of parties")),
        Some(Value::Array(l)) if l.len() <= MANY => l,
        Some(_) => return Err(Error::invalid(&record.id, property, format!("must be a list of at most {MANY} parties"))),
    };
    let mut out: Vec<StixId> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{property}[{i}]");
        let id = item.as_str().and_then(|s| StixId::parse(s).ok()).filter(|p| p.object_type() == "identity");
        let id = id.ok_or_else(|| Error::invalid(&record.id, &at, "must be an identity id"))?;
        if !agreement.is_party(&id) {
            return Err(Error::invalid(&record.id, at, format!("{id} is not a party to {}", agreement.id)));
        }
        if out.contains(&id) {
            return Err(Error::invalid(&record.id, at, format!("names {id} twice")));
        }
        out.push(id);
    }
    if required && out.is_empty() {
        return Err(Error::invalid(&record.id, property, "must name at least one party"));
    }
    Ok(out)
}

/// A reference property naming a party of the agreement.
fn party(record: &Record, property: &str, agreement: &Agreement) -> Result<StixId, Error> {
    let id = record.reference(property, "identity")?;
    if !agreement.is_party(&id) {
        return Err(Error::invalid(&record.id, property, format!("{id} is not a party to {}", agreement.id)));
    }
    Ok(id)
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

/// A required property, one of `allowed`.
fn one_of(record: &Record, property: &str, allowed: &[&str]) -> Result<(), Error> {
    let v = record.str(property)?;
    if !allowed.contains(&v) {
        return Err(Error::invalid(&record.id, property, format!("must be one of {}", allowed.join(", "))));
    }
    Ok(())
}

/// An optional list of STIX ids.
fn ids(record: &Record, property: &str) -> Result<(), Error> {
    let Some(v) = record.properties.get(property) else { return Ok(()) };
    let items = v.as_array().filter(|l| l.len() <= MANY).ok_or_else(|| Error::invalid(&record.id, property, format!("must be a list of at most {MANY} ids")))?;
    for (i, item) in items.iter().enumerate() {
        item.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(&record.id, format!("{property}[{i}]"), "must be a STIX id"))?;
    }
    Ok(())
}

/// A list property of the plan (required: not empty).
fn list<'a>(record: &'a Record, property: &str, required: bool) -> Result<&'a [Value], Error> {
    match record.properties.get(property) {
        Some(Value::Array(l)) if l.len() > MANY => Err(Error::invalid(&record.id, property, format!("lists more than {MANY}"))),
        Some(Value::Array(l)) if !(required && l.is_empty()) => Ok(l),
        None if !required => Ok(&[]),
        _ => Err(Error::invalid(&record.id, property, if required { "is required: a list of at least one" } else { "must be a list" })),
    }
}

fn list_opt<'a>(record: &'a Record, property: &str) -> Result<&'a [Value], Error> {
    list(record, property, false)
}

/// Refuses a key of an item not in `known`.
fn keys(record: &Record, map: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), Error> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::invalid(&record.id, format!("{at}.{k}"), format!("is not a property here ({})", known.join(", ")))),
        None => Ok(()),
    }
}

/// A short required text inside a nested item.
fn short(record: &Record, v: Option<&Value>, at: &str) -> Result<String, Error> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= SHORT => Ok(s.to_owned()),
        _ => Err(Error::invalid(&record.id, at, format!("is required: a text of 1 to {SHORT} characters"))),
    }
}

/// A long text inside a nested item.
fn long(record: &Record, v: Option<&Value>, at: &str, required: bool) -> Result<(), Error> {
    match v {
        None if !required => Ok(()),
        Some(Value::String(s)) if !(required && s.trim().is_empty()) && s.chars().count() <= LONG => Ok(()),
        _ => Err(Error::invalid(&record.id, at, format!("{}a text of at most {LONG} characters", if required { "is required: " } else { "must be " }))),
    }
}

/// An optional list of short texts (teams, competencies).
fn strings(record: &Record, v: Option<&Value>, at: &str) -> Result<Vec<String>, Error> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let items = v.as_array().filter(|l| l.len() <= MANY).ok_or_else(|| Error::invalid(&record.id, at, format!("must be a list of at most {MANY} texts")))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.push(short(record, Some(item), &format!("{at}[{i}]"))?);
    }
    Ok(out)
}

/// The participating parties of a plan, in its order.
pub fn participants(plan: &Record) -> Vec<String> {
    plan.properties.get("participants").and_then(Value::as_array).into_iter().flatten().filter_map(|p| p.get("party_ref")?.as_str().map(str::to_owned)).collect()
}

/// The observers of a plan.
pub fn observers(plan: &Record) -> Vec<String> {
    plan.properties.get("observer_refs").and_then(Value::as_array).into_iter().flatten().filter_map(|p| p.as_str().map(str::to_owned)).collect()
}

/// The injects of a plan's MSEL, each with its move.
pub fn injects(plan: &Record) -> Vec<(String, Map<String, Value>)> {
    let mut out = Vec::new();
    for mv in plan.properties.get("msel").and_then(Value::as_array).into_iter().flatten() {
        let name = mv.get("move").and_then(Value::as_str).unwrap_or_default().to_owned();
        for inj in mv.get("injects").and_then(Value::as_array).into_iter().flatten() {
            if let Value::Object(map) = inj {
                out.push((name.clone(), map.clone()));
            }
        }
    }
    out
}

/// The ids of a plan's objectives.
pub fn objective_ids(plan: &Record) -> Vec<String> {
    plan.properties.get("objectives").and_then(Value::as_array).into_iter().flatten().filter_map(|o| o.get("id")?.as_str().map(str::to_owned)).collect()
}

