//! The objectives module's actions: each drafts one record as the caller's
//! partner, checked against the records the caller may see (the objective
//! a report or an endorsement names exists and is open, the reporter is
//! the KPI's reporting party, the version endorsed exists). The kit
//! (`partnership::author`) sets the common properties and then checks the
//! record on its own (`Module::validate`).

use model::{StixId, Timestamp};
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::types::{Objective, ENDORSEMENT, OBJECTIVE, REPORT};
use partnership::input::own;

/// The actions a liaison must take ([`partnership::Module::liaison`]): objectives commit the parties: proposing, amending, closing, withdrawing and endorsing them; reporting progress is an analyst's.
pub const LIAISON: &[&str] = &["propose", "amend", "close", "withdraw", "endorse", "withdraw-endorsement"];

/// Every action the module offers.
pub static ACTIONS: &[Action] = &[
    Action { name: "propose", about: "Propose an objective with KPIs under the agreement (title, description, kpis).", kind: OBJECTIVE },
    Action { name: "amend", about: "Amend one of your objectives (objective; title, description, kpis): every party endorses it again.", kind: OBJECTIVE },
    Action { name: "close", about: "Close one of your objectives (objective, note): it stays, marked closed, with its progress.", kind: OBJECTIVE },
    Action { name: "withdraw", about: "Withdraw one of your objectives (objective): it leaves the state, as if never proposed.", kind: OBJECTIVE },
    Action { name: "endorse", about: "Endorse an objective's latest version, or the version given (objective, version).", kind: ENDORSEMENT },
    Action { name: "withdraw-endorsement", about: "Withdraw one of your endorsements (endorsement).", kind: ENDORSEMENT },
    Action { name: "report", about: "Report a KPI's value as its reporting party (objective, kpi, value, measured_at, note).", kind: REPORT },
    Action { name: "retract-report", about: "Retract one of your progress reports (report).", kind: REPORT },
];

/// The properties an objective's author writes.
const OBJECTIVE_PROPERTIES: [&str; 3] = ["title", "description", "kpis"];
/// The properties of a KPI.
const KPI_PROPERTIES: [&str; 8] = ["name", "unit", "baseline", "target", "direction", "due", "weight", "reporting_party_ref"];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "propose" => {
            only(input, &OBJECTIVE_PROPERTIES)?;
            let mut props = Map::new();
            copy_objective(input, &mut props)?;
            Ok(Draft::new(OBJECTIVE, props))
        }
        "amend" => {
            only(input, &["objective", "title", "description", "kpis"])?;
            let (record, _) = open_objective(input, records)?;
            let mut props = own(record);
            copy_objective(input, &mut props)?;
            if props == own(record) {
                return Err(Error::input("objective", "the amendment changes nothing"));
            }
            Ok(Draft::revise(OBJECTIVE, &record.id, props))
        }
        "close" => {
            only(input, &["objective", "note"])?;
            let (record, _) = open_objective(input, records)?;
            let mut props = own(record);
            props.insert("closed".into(), Value::Bool(true));
            if let Some(note) = input.get("note") {
                props.insert("closing_note".into(), note.clone());
            }
            Ok(Draft::revise(OBJECTIVE, &record.id, props))
        }
        "withdraw" => {
            only(input, &["objective"])?;
            let record = find(input, "objective", OBJECTIVE, records)?;
            Ok(Draft { withdraw: true, ..Draft::revise(OBJECTIVE, &record.id, own(record)) })
        }
        "endorse" => {
            only(input, &["objective", "version"])?;
            let (record, _) = open_objective(input, records)?;
            let version = match input.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Error::input("version", "must be a timestamp (the objective's `modified`)")),
            };
            let props = consent::draft(record, version, records, "version")?;
            let at = props.get(consent::TO_MODIFIED).and_then(Value::as_str).unwrap_or_default();
            let already = records.of_kind(ENDORSEMENT).any(|e| {
                &e.author == ctx.me && consent::check(e, OBJECTIVE).is_ok_and(|(to, v)| to == record.id && v.as_str() == at)
            });
            if already {
                return Err(Error::input("version", format!("you already endorsed version {at} of {}", record.id)));
            }
            Ok(Draft::new(ENDORSEMENT, props))
        }
        "withdraw-endorsement" => {
            only(input, &["endorsement"])?;
            let record = find(input, "endorsement", ENDORSEMENT, records)?;
            Ok(Draft { withdraw: true, ..Draft::revise(ENDORSEMENT, &record.id, own(record)) })
        }
        "report" => {
            only(input, &["objective", "kpi", "value", "measured_at", "note"])?;
            report(input, records, ctx)
        }
        "retract-report" => {
            only(input, &["report"])?;
            let record = find(input, "report", REPORT, records)?;
            Ok(Draft { withdraw: true, ..Draft::revise(REPORT, &record.id, own(record)) })
        }
        other => Err(Error::NotFound(format!("objectives has no action `{other}`"))),
    }
}

/// A progress report by the KPI's reporting party, measured (by default
/// now) not before the objective was created.
fn report(input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    let (record, objective) = open_objective(input, records)?;
    let name = input.get("kpi").and_then(Value::as_str).ok_or_else(|| Error::input("kpi", "is required (the KPI's name)"))?;
    let Some(kpi) = objective.kpi(name) else {
        let names: Vec<&str> = objective.kpis.iter().map(|k| k.name.as_str()).collect();
        return Err(Error::input("kpi", format!("{} has no KPI `{name}` (it has: {})", record.id, names.join(", "))));
    };
    if &kpi.reporting_party != ctx.me {
        return Err(Error::input("kpi", format!("`{name}` is reported by its reporting party {}, not by {}", kpi.reporting_party, ctx.me)));
    }
    let measured_at = match input.get("measured_at") {
        None | Some(Value::Null) => ctx.now.clone(),
        Some(v) => v.as_str().ok_or_else(|| Error::input("measured_at", "must be a timestamp")).and_then(|raw| Timestamp::parse(raw).map_err(|e| Error::input("measured_at", e)))?,
    };
    if measured_at < record.created {
        return Err(Error::input("measured_at", format!("is before the objective was created ({})", record.created)));
    }
    if measured_at > ctx.now {
        return Err(Error::input("measured_at", format!("is in the future (now is {})", ctx.now)));
    }
    let mut props = Map::new();
    props.insert("objective_ref".into(), Value::from(record.id.as_str()));
    props.insert("kpi".into(), Value::from(name));
    props.insert("value".into(), input.get("value").cloned().ok_or_else(|| Error::input("value", "is required (a number)"))?);
    props.insert("measured_at".into(), Value::from(measured_at.to_string()));
    if let Some(note) = input.get("note") {
        props.insert("note".into(), note.clone());
    }
    Ok(Draft::new(REPORT, props))
}

/// Refuses a property of `input` not in `known`, naming it.
fn only(input: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match input.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::input(k.as_str(), format!("is not a property of this action (it takes {})", known.join(", ")))),
        None => Ok(()),
    }
}

/// Copies an objective's properties from an action's input (KPIs with
/// weight 1 when none is given), refusing a KPI property it does not know.
fn copy_objective(input: &Map<String, Value>, props: &mut Map<String, Value>) -> Result<(), Error> {
    for key in ["title", "description"] {
        if let Some(v) = input.get(key) {
            props.insert(key.into(), v.clone());
        }
    }
    let Some(kpis) = input.get("kpis") else {
        return Ok(());
    };
    let Value::Array(list) = kpis else {
        return Err(Error::input("kpis", "must be a list of KPIs"));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, kpi) in list.iter().enumerate() {
        let Value::Object(map) = kpi else {
            return Err(Error::input(format!("kpis[{i}]"), "must be an object"));
        };
        if let Some(k) = map.keys().find(|k| !KPI_PROPERTIES.contains(&k.as_str())) {
            return Err(Error::input(format!("kpis[{i}].{k}"), format!("is not a property of a KPI (they are {})", KPI_PROPERTIES.join(", "))));
        }
        let mut map = map.clone();
        map.entry("weight").or_insert(Value::from(1));
        out.push(Value::Object(map));
    }
    props.insert("kpis".into(), Value::Array(out));
    Ok(())
}

/// The record of `kind` that `input[property]` names, among the records
/// the caller may see (not withdrawn).
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required (the id of a {kind})")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}

/// The objective `input.objective` names, read, and not closed.
fn open_objective<'a>(input: &Map<String, Value>, records: &'a Records) -> Result<(&'a Record, Objective), Error> {
    let record = find(input, "objective", OBJECTIVE, records)?;
    let objective = Objective::read(record)?;
    if objective.closed {
        return Err(Error::input("objective", format!("{} is closed", record.id)));
    }
    Ok((record, objective))
}

