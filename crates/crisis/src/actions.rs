//! The crisis module's actions: each drafts one record as the caller's
//! partner, checked against the records the caller may see (a playbook
//! endorsed by every party at its latest version, a crisis that is open, a
//! task assigned to the caller, an assistance request to answer). Every
//! record of a crisis copies the crisis's `exercise` flag.

use model::StixId;
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::rules;
use crate::types::{self, ACKNOWLEDGEMENT, ASSISTANCE, CRISIS, CRISIS_REF, DEFAULT_ACK_MINUTES, ENDORSEMENT, EXERCISE, PLAYBOOK, REVIEW, SITREP, TASK_UPDATE};
use partnership::input::take;

/// The actions a liaison must take ([`partnership::Module::liaison`]): endorsing a playbook and committing resources bind the party; activating, tasks, sitreps and the other assistance steps are the duty officers'.
pub const LIAISON: &[&str] = &["endorse-playbook", "commit-assistance"];

/// Every action the module offers.
pub static ACTIONS: &[Action] = &[
    Action { name: "draft-playbook", about: "Draft a playbook (title, hazard, roles, phases with tasks and service levels, ack_within_minutes, communication, activation_criteria).", kind: PLAYBOOK },
    Action { name: "revise-playbook", about: "Revise one of your playbooks (playbook, and the properties to change): it needs new endorsements.", kind: PLAYBOOK },
    Action { name: "endorse-playbook", about: "Endorse the latest version of a playbook for your party (playbook, version).", kind: ENDORSEMENT },
    Action { name: "activate", about: "Activate a crisis, which you lead (title, severity, exercise, summary; playbook: one every party endorsed, or tasks and ack_within_minutes ad hoc).", kind: CRISIS },
    Action { name: "add-task", about: "Add a task to a crisis you lead (crisis, key, title, phase, assignee, ack_within_minutes, complete_within_minutes).", kind: CRISIS },
    Action { name: "reassign-task", about: "Reassign a task of a crisis you lead (crisis, task, assignee).", kind: CRISIS },
    Action { name: "close-crisis", about: "Close a crisis you lead (crisis, reason).", kind: CRISIS },
    Action { name: "acknowledge", about: "Acknowledge a crisis for your party (crisis, note).", kind: ACKNOWLEDGEMENT },
    Action { name: "update-task", about: "Update a task assigned to you (crisis, task, status: acknowledged, accepted, in-progress, done or declined with a reason; note).", kind: TASK_UPDATE },
    Action { name: "file-sitrep", about: "File your party's situation report for a period (crisis, period_start, period_end, situation_summary, observations, actions_taken, actions_planned, resources_committed, impact, next_report_due, key_intelligence_refs).", kind: SITREP },
    Action { name: "request-assistance", about: "Request assistance in a crisis (crisis, resource, quantity, unit, description, needed_by).", kind: ASSISTANCE },
    Action { name: "offer-assistance", about: "Offer assistance against a request (request, quantity, note).", kind: ASSISTANCE },
    Action { name: "commit-assistance", about: "Commit resources against a request (request, quantity; exceeds_request: true to commit more than requested; note).", kind: ASSISTANCE },
    Action { name: "deliver-assistance", about: "Record a delivery against a request (request, quantity, note).", kind: ASSISTANCE },
    Action { name: "release-assistance", about: "Release the resources delivered against your request (request, note).", kind: ASSISTANCE },
    Action { name: "return-assistance", about: "Record that resources you delivered came back (request, note).", kind: ASSISTANCE },
    Action { name: "review", about: "File your party's after-action review of a closed crisis (crisis, went_well, to_improve).", kind: REVIEW },
];

/// What a form may post instead of the nested properties ([`add_tasks`]).
const FORM_ROWS: &[&str] = &["tasks", "communication_channel", "statement_template"];

/// The communication plan's `channel` and `statement_template` from the
/// input's `communication_channel` and `statement_template`, when given;
/// then the input's `tasks` (a flat list, as a form's rows post them: each
/// a playbook task with the `phase` it belongs to) to the playbook's
/// `phases`: each to its phase, a phase not there yet added in the order
/// of the phases (alert, activation, response, recovery, review). The
/// playbook is then checked whole, so a bad task is refused by its place
/// (`phases[i].tasks[j].…`).
fn add_tasks(p: &mut Map<String, Value>, input: &Map<String, Value>) -> Result<(), Error> {
    for (from, to) in [("communication_channel", "channel"), ("statement_template", "statement_template")] {
        if let Some(v) = input.get(from) {
            match p.entry("communication").or_insert_with(|| Value::Object(Map::new())) {
                Value::Object(c) => {
                    c.insert(to.into(), v.clone());
                }
                _ => return Err(Error::input("communication", "must be {channel, statement_template, notes}")),
            }
        }
    }
    let Some(rows) = input.get("tasks") else { return Ok(()) };
    let rows = rows.as_array().ok_or_else(|| Error::input("tasks", "must be a list of tasks, each with its phase"))?;
    let mut phases = match p.remove("phases") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(l)) => l,
        Some(_) => return Err(Error::input("phases", "must be a list of phases")),
    };
    for (i, row) in rows.iter().enumerate() {
        let mut task = row.as_object().cloned().ok_or_else(|| Error::input(format!("tasks[{i}]"), "must be a task object"))?;
        let phase = match task.remove("phase") {
            Some(Value::String(ph)) if types::PHASES.contains(&ph.as_str()) => ph,
            _ => return Err(Error::input(format!("tasks[{i}].phase"), format!("is required: one of {}", types::PHASES.join(", ")))),
        };
        let at = match phases.iter().position(|x| x.get("phase").and_then(Value::as_str) == Some(phase.as_str())) {
            Some(at) => at,
            None => {
                let rank = |x: &Value| types::PHASES.iter().position(|q| x.get("phase").and_then(Value::as_str) == Some(*q)).unwrap_or(usize::MAX);
                let mine = types::PHASES.iter().position(|q| *q == phase).unwrap_or(usize::MAX);
                let at = phases.iter().position(|x| rank(x) > mine).unwrap_or(phases.len());
                phases.insert(at, serde_json::json!({ "phase": phase, "tasks": [] }));
                at
            }
        };
        match phases.get_mut(at).and_then(|x| x.get_mut("tasks")) {
            Some(Value::Array(list)) => list.push(Value::Object(task)),
            _ => return Err(Error::input(format!("phases[{at}].tasks"), "must be a list of tasks")),
        }
    }
    p.insert("phases".into(), Value::Array(phases));
    Ok(())
}

const PLAYBOOK_PROPS: &[&str] = &["title", "hazard", "roles", "phases", "ack_within_minutes", "communication", "activation_criteria"];
const SITREP_PROPS: &[&str] =
    &["period_start", "period_end", "situation_summary", "observations", "actions_taken", "actions_planned", "resources_committed", "impact", "next_report_due", "key_intelligence_refs"];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "draft-playbook" => {
            let mut p = take(input, PLAYBOOK_PROPS, FORM_ROWS)?;
            add_tasks(&mut p, input)?;
            Ok(Draft::new(PLAYBOOK, p))
        }
        "revise-playbook" => {
            let playbook = find(input, "playbook", PLAYBOOK, records)?;
            let mut p = types::own(playbook);
            p.extend(take(input, PLAYBOOK_PROPS, &["playbook", "tasks", "communication_channel", "statement_template"])?);
            add_tasks(&mut p, input)?;
            Ok(Draft::revise(PLAYBOOK, &playbook.id, p))
        }
        "endorse-playbook" => {
            take(input, &[], &["playbook", "version"])?;
            let playbook = find(input, "playbook", PLAYBOOK, records)?;
            let version = match input.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Error::input("version", "must be a timestamp (the playbook's `modified`)")),
            };
            let props = consent::draft(playbook, version, records, "version")?;
            if props.get(consent::TO_MODIFIED).and_then(Value::as_str) != Some(playbook.modified.as_str()) {
                return Err(Error::input("version", format!("is not the latest version of {} ({})", playbook.id, playbook.modified)));
            }
            Ok(Draft::new(ENDORSEMENT, props))
        }
        "activate" => {
            let mut p = take(input, &["title", "summary", "severity", "exercise", "ack_within_minutes", "tasks"], &["playbook"])?;
            p.insert("status".into(), Value::from("active"));
            let now = ctx.now.to_string();
            let mut tasks: Vec<Value> = Vec::new();
            if input.contains_key("playbook") {
                let playbook = find(input, "playbook", PLAYBOOK, records)?;
                let c = consent::of(records, ENDORSEMENT, playbook, ctx.agreement.terms.parties.iter());
                if !c.agreed() {
                    let awaiting: Vec<&str> = c.awaiting.iter().map(|p| p.as_str()).collect();
                    return Err(Error::input("playbook", format!("{} awaits the endorsement of its latest version by {}", playbook.id, awaiting.join(", "))));
                }
                p.insert("playbook_ref".into(), Value::from(playbook.id.as_str()));
                p.insert("playbook_version".into(), Value::from(playbook.modified.as_str()));
                for k in ["hazard"] {
                    if let Some(v) = playbook.properties.get(k) {
                        p.insert(k.into(), v.clone());
                    }
                }
                if !p.contains_key("ack_within_minutes") {
                    p.insert("ack_within_minutes".into(), playbook.properties.get("ack_within_minutes").cloned().unwrap_or(Value::Null));
                }
                tasks = rules::instantiate(playbook, &now);
            } else if !p.contains_key("ack_within_minutes") {
                p.insert("ack_within_minutes".into(), Value::from(DEFAULT_ACK_MINUTES));
            }
            if let Some(extra) = p.remove("tasks") {
                let extra = extra.as_array().cloned().ok_or_else(|| Error::input("tasks", "must be a list of tasks"))?;
                for t in extra {
                    tasks.push(task_input(t, &now)?);
                }
            }
            p.insert("tasks".into(), Value::Array(tasks));
            label(&mut p);
            Ok(Draft::new(CRISIS, p))
        }
        "add-task" => {
            let crisis = led(input, records, ctx)?;
            let t = take(input, &["key", "title", "phase", "assignee", "ack_within_minutes", "complete_within_minutes"], &["crisis"])?;
            let task = task_input(Value::Object(t), &ctx.now.to_string())?;
            let mut p = types::own(crisis);
            let mut tasks = types::tasks(crisis).to_vec();
            if tasks.iter().any(|x| x.get("key") == task.get("key")) {
                return Err(Error::input("key", "a task of the crisis has this key already"));
            }
            tasks.push(task);
            p.insert("tasks".into(), Value::Array(tasks));
            Ok(Draft::revise(CRISIS, &crisis.id, p))
        }
        "reassign-task" => {
            let crisis = led(input, records, ctx)?;
            take(input, &["assignee"], &["crisis", "task"])?;
            let key = input.get("task").and_then(Value::as_str).ok_or_else(|| Error::input("task", "is required (a task's key)"))?;
            let assignee = input.get("assignee").cloned().ok_or_else(|| Error::input("assignee", "is required (a party)"))?;
            let mut tasks = types::tasks(crisis).to_vec();
            let t = tasks.iter_mut().find(|t| t.get("key").and_then(Value::as_str) == Some(key)).ok_or_else(|| Error::input("task", format!("{} has no task `{key}`", crisis.id)))?;
            t["assignee_ref"] = assignee;
            t["assigned_at"] = Value::from(ctx.now.to_string());
            let mut p = types::own(crisis);
            p.insert("tasks".into(), Value::Array(tasks));
            Ok(Draft::revise(CRISIS, &crisis.id, p))
        }
        "close-crisis" => {
            let crisis = led(input, records, ctx)?;
            let mut p = types::own(crisis);
            p.extend(take(input, &[], &["crisis", "reason"])?);
            p.insert("status".into(), Value::from("closed"));
            if let Some(r) = input.get("reason") {
                p.insert("close_reason".into(), r.clone());
            }
            Ok(Draft::revise(CRISIS, &crisis.id, p))
        }
        "acknowledge" => {
            let crisis = open(input, records)?;
            let mut p = of_crisis(crisis, take(input, &["note"], &["crisis"])?);
            if crisis.author == *ctx.me {
                return Err(Error::input("crisis", format!("you lead {}: the other parties acknowledge it", crisis.id)));
            }
            if records.of_kind(ACKNOWLEDGEMENT).any(|a| a.author == *ctx.me && a.properties.get(CRISIS_REF).and_then(Value::as_str) == Some(crisis.id.as_str())) {
                return Err(Error::input("crisis", format!("you acknowledged {} already", crisis.id)));
            }
            p.remove("crisis");
            Ok(Draft::new(ACKNOWLEDGEMENT, p))
        }
        "update-task" => {
            let crisis = open(input, records)?;
            let p = take(input, &["task", "status", "reason", "note"], &["crisis"])?;
            let key = input.get("task").and_then(Value::as_str).ok_or_else(|| Error::input("task", "is required (a task's key)"))?;
            let task = types::tasks(crisis).iter().find(|t| t.get("key").and_then(Value::as_str) == Some(key));
            let task = task.ok_or_else(|| Error::input("task", format!("{} has no task `{key}`", crisis.id)))?;
            let assignee = task.get("assignee_ref").and_then(Value::as_str).unwrap_or_default();
            if assignee != ctx.me.as_str() {
                return Err(Error::Forbidden(format!("task `{key}` is assigned to {assignee}: only its assignee updates it")));
            }
            Ok(Draft::new(TASK_UPDATE, of_crisis(crisis, p)))
        }
        "file-sitrep" => {
            let crisis = open(input, records)?;
            let p = take(input, SITREP_PROPS, &["crisis"])?;
            Ok(Draft::new(SITREP, of_crisis(crisis, p)))
        }
        "request-assistance" => {
            let crisis = open(input, records)?;
            let mut p = of_crisis(crisis, take(input, &["resource", "quantity", "unit", "description", "needed_by"], &["crisis"])?);
            p.insert("step".into(), Value::from("request"));
            Ok(Draft::new(ASSISTANCE, p))
        }
        "offer-assistance" | "commit-assistance" | "deliver-assistance" | "release-assistance" | "return-assistance" => {
            let step = action.trim_end_matches("-assistance");
            let allowed: &[&str] = match step {
                "commit" => &["quantity", "exceeds_request", "note"],
                "offer" | "deliver" => &["quantity", "note"],
                _ => &["note"],
            };
            let mut p = take(input, allowed, &["request"])?;
            let request = find(input, "request", ASSISTANCE, records)?;
            if request.properties.get("step").and_then(Value::as_str) != Some("request") {
                return Err(Error::input("request", format!("{} is a {} step, not a request", request.id, request.properties.get("step").and_then(Value::as_str).unwrap_or("?"))));
            }
            let crisis_id = request.reference(CRISIS_REF, CRISIS)?;
            let crisis = match records.get(&crisis_id) {
                Some(c) if !c.revoked => c,
                _ => return Err(Error::input("request", format!("its crisis {crisis_id} is not here"))),
            };
            if rules::closed(crisis) {
                return Err(Error::input("request", format!("{} is closed", crisis.id)));
            }
            let requester = request.author == *ctx.me;
            match (step, requester) {
                ("release", false) => return Err(Error::Forbidden(format!("only the requester ({}) releases what it received", request.author))),
                ("offer" | "commit" | "deliver" | "return", true) => return Err(Error::Forbidden(format!("{} is your own request: another party {step}s against it", request.id))),
                _ => {}
            }
            if step == "commit" {
                let asked = request.properties.get("quantity").and_then(Value::as_f64).unwrap_or(0.0);
                let q = input.get("quantity").and_then(Value::as_f64).unwrap_or(0.0);
                let says = input.get("exceeds_request") == Some(&Value::Bool(true));
                if q > asked && !says {
                    return Err(Error::input("quantity", format!("{q} is more than the {asked} requested: say so with exceeds_request: true")));
                }
            }
            p.insert("step".into(), Value::from(step));
            p.insert("request_ref".into(), Value::from(request.id.as_str()));
            Ok(Draft::new(ASSISTANCE, of_crisis(crisis, p)))
        }
        "review" => {
            let p = take(input, &["went_well", "to_improve"], &["crisis"])?;
            let crisis = find(input, "crisis", CRISIS, records)?;
            if !rules::closed(crisis) {
                return Err(Error::input("crisis", format!("{} is not closed: reviews come after", crisis.id)));
            }
            if records.of_kind(REVIEW).any(|r| r.author == *ctx.me && r.properties.get(CRISIS_REF).and_then(Value::as_str) == Some(crisis.id.as_str())) {
                return Err(Error::input("crisis", format!("you reviewed {} already", crisis.id)));
            }
            Ok(Draft::new(REVIEW, of_crisis(crisis, p)))
        }
        other => Err(Error::NotFound(format!("crisis has no action `{other}`"))),
    }
}

/// A task from an action's input (`assignee` becomes `assignee_ref`),
/// assigned `now`.
fn task_input(t: Value, now: &str) -> Result<Value, Error> {
    let Value::Object(mut t) = t else { return Err(Error::input("tasks", "each task is {key, title, phase, assignee, ack_within_minutes, complete_within_minutes}")) };
    if let Some(k) = t.keys().find(|k| !["key", "title", "phase", "assignee", "ack_within_minutes", "complete_within_minutes"].contains(&k.as_str())) {
        return Err(Error::input(k.as_str(), "is not a property of a task (key, title, phase, assignee, ack_within_minutes, complete_within_minutes)"));
    }
    if let Some(a) = t.remove("assignee") {
        t.insert("assignee_ref".into(), a);
    }
    t.insert("assigned_at".into(), Value::from(now));
    Ok(Value::Object(t))
}

/// A crisis record's `crisis_ref` and `exercise` flag (the crisis's), with `p`.
fn of_crisis(crisis: &Record, mut p: Map<String, Value>) -> Map<String, Value> {
    p.insert(CRISIS_REF.into(), Value::from(crisis.id.as_str()));
    p.insert(EXERCISE.into(), Value::Bool(types::is_exercise(crisis)));
    label(&mut p);
    p
}

/// An exercise record carries the exercise label (`types::EXERCISE_LABEL`).
fn label(p: &mut Map<String, Value>) {
    if p.get(EXERCISE) == Some(&Value::Bool(true)) {
        p.insert("labels".into(), Value::from(vec![types::EXERCISE_LABEL]));
    }
}

/// The crisis `input.crisis` names, not closed.
fn open<'a>(input: &Map<String, Value>, records: &'a Records) -> Result<&'a Record, Error> {
    let crisis = find(input, "crisis", CRISIS, records)?;
    if rules::closed(crisis) {
        return Err(Error::input("crisis", format!("{} is closed", crisis.id)));
    }
    Ok(crisis)
}

/// The open crisis `input.crisis` names, led by the caller.
fn led<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let crisis = open(input, records)?;
    if crisis.author != *ctx.me {
        return Err(Error::Forbidden(format!("{} leads {}: only the lead does this", crisis.author, crisis.id)));
    }
    Ok(crisis)
}

/// The record of `kind` that `input[property]` names, among those the caller may see.
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required (the id of a {kind})")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}
