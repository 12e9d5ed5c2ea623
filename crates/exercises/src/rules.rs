//! The exercises' state, derived from the records at `ctx.now`: pure.
//!
//! **Who counts.** The plan's author is exercise control: only its start,
//! end, released injects and validations count. Endorsements count from
//! participants, of the plan's latest version (`partnership::consent`).
//! Responses count from the released inject's targets; observations from
//! control and the observers, against an objective of the plan; lessons,
//! remedial actions from any party of the exercise; a remedial action's
//! updates from its owner alone. Anything else is left out, on every node.
//!
//! **Injects.** An inject is released only by a record of control's
//! (`x-entente-exercise-inject`), which goes to control, its targets and
//! the observers and to no other party: that record is what arrives on a
//! target's node. An inject with `offset_minutes` is *due* at the start
//! (the time of control's start record) plus its offset, derived the same
//! way on every node from the signed start record and `ctx.now`; once due
//! and not released it is in control's inbox, overdue. A triggered inject
//! is released when control judges its trigger met. A release counts at
//! its own `created`; the state says whether it came on time.
//!
//! **After-action report** (`aar`): objectives with their assessment (no
//! observation: `not-assessed`; any `not-met`: `not-met`; every one `met`:
//! `met`; else `partially-met`), observations, lessons (identified →
//! action planned → actions done → learned once control validated them)
//! and remedial actions (open, in progress, done; overdue once due and
//! not done). It is derived from the records every party of the exercise
//! holds (not from injects or responses, which only some hold), so it is
//! the same on every participant's node.

use std::collections::BTreeSet;

use model::{StixId, Timestamp};
use partnership::{consent, Context, Record, Records};
use serde_json::{json, Map, Value};

use crate::types::{self, ENDORSEMENT, EXERCISE, INJECT, LESSON, OBSERVATION, PHASE, REMEDIAL, REMEDIAL_UPDATE, RESPONSE, VALIDATION};

const MINUTE: i64 = 60_000_000;

fn str_of<'a>(r: &'a Record, property: &str) -> Option<&'a str> {
    r.properties.get(property).and_then(Value::as_str)
}

fn get(r: &Record, property: &str) -> Value {
    r.properties.get(property).cloned().unwrap_or(Value::Null)
}

/// The latest records of `kind` belonging to exercise `plan`.
pub fn of_exercise<'a>(records: &'a Records, kind: &'a str, plan: &'a Record) -> impl Iterator<Item = &'a Record> + 'a {
    records.of_kind(kind).filter(move |r| str_of(r, "exercise_ref") == Some(plan.id.as_str()))
}

/// When control started (`start`) or ended (`end`) the exercise: its
/// earliest such record.
pub fn phase(plan: &Record, records: &Records, which: &str) -> Option<Timestamp> {
    of_exercise(records, PHASE, plan).filter(|r| r.author == plan.author && str_of(r, "phase") == Some(which)).map(|r| r.created.clone()).min()
}

/// The participants that must endorse the plan's latest version: every
/// participant but control, whose plan it is.
pub fn endorsement(plan: &Record, records: &Records) -> consent::Consent {
    let required: Vec<StixId> = types::participants(plan).iter().filter_map(|p| StixId::parse(p).ok()).filter(|p| *p != plan.author).collect();
    consent::of(records, ENDORSEMENT, plan, required.iter())
}

/// The release of inject `inject` of `plan`, by control: its earliest.
pub fn release<'a>(plan: &'a Record, records: &'a Records, inject: &str) -> Option<&'a Record> {
    of_exercise(records, INJECT, plan).filter(|r| r.author == plan.author && str_of(r, "inject") == Some(inject)).min_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)))
}

/// The parties of the exercise: control, participants, observers.
pub fn members(plan: &Record) -> BTreeSet<String> {
    types::listed(plan).into_iter().map(str::to_owned).collect()
}

/// Whether `party` may record observations: control or an observer.
pub fn observes(plan: &Record, party: &str) -> bool {
    plan.author.as_str() == party || types::observers(plan).iter().any(|o| o == party)
}

/// A remedial action's status from its owner's updates: `open`,
/// `in-progress`, `done`.
pub fn action_status(action: &Record, plan: &Record, records: &Records) -> (&'static str, Vec<Value>) {
    let owner = str_of(action, "owner_ref").unwrap_or_default();
    let mut status = "open";
    let mut updates = Vec::new();
    for u in of_exercise(records, REMEDIAL_UPDATE, plan).filter(|u| str_of(u, "action_ref") == Some(action.id.as_str()) && u.author.as_str() == owner) {
        match str_of(u, "status") {
            Some("done") => status = "done",
            Some("progress") if status != "done" => status = "in-progress",
            _ => {}
        }
        updates.push(json!({ "id": u.id.as_str(), "status": get(u, "status"), "text": get(u, "text"), "created": u.created.as_str() }));
    }
    (status, updates)
}

/// Exercise control's validation of a lesson, if any (its earliest).
pub fn validated(lesson: &Record, plan: &Record, records: &Records) -> Option<Timestamp> {
    of_exercise(records, VALIDATION, plan).filter(|v| v.author == plan.author && str_of(v, "lesson_ref") == Some(lesson.id.as_str())).map(|v| v.created.clone()).min()
}

/// The lessons of an exercise that count: by a party of it, drawn from
/// at least one of its observations that count.
fn lessons<'a>(plan: &'a Record, records: &'a Records, observations: &'a BTreeSet<String>) -> impl Iterator<Item = &'a Record> + 'a {
    let members = members(plan);
    of_exercise(records, LESSON, plan).filter(move |l| {
        members.contains(l.author.as_str())
            && l.properties.get("observation_refs").and_then(Value::as_array).is_some_and(|refs| refs.iter().filter_map(Value::as_str).any(|o| observations.contains(o)))
    })
}

/// The state: every exercise with its endorsement, conduct (injects as
/// this reader's node holds them) and after-action report.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let exercises: Vec<Value> = records.of_kind(EXERCISE).map(|plan| exercise(plan, records, ctx)).collect();
    json!({ "exercises": exercises })
}

fn exercise(plan: &Record, records: &Records, ctx: &Context<'_>) -> Value {
    let now = &ctx.now;
    let me = ctx.me.as_str();
    let consent = endorsement(plan, records);
    let started = phase(plan, records, "start");
    let ended = phase(plan, records, "end").filter(|_| started.is_some());
    let status = match (&started, &ended) {
        (_, Some(_)) => "ended",
        (Some(_), None) => "running",
        _ if consent.agreed() => "endorsed",
        _ => "planning",
    };
    let control = plan.author.as_str() == me;
    let observer = types::observers(plan).iter().any(|o| o == me);
    let injects: Vec<Value> = types::injects(plan)
        .into_iter()
        .map(|(mv, inj)| {
            let id = inj.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let targets: Vec<&str> = inj.get("target_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let due_at = match (&started, inj.get("offset_minutes").and_then(Value::as_i64)) {
                (Some(s), Some(m)) => Some(Timestamp::from_micros(s.micros() + m * MINUTE)),
                _ => None,
            };
            let released = release(plan, records, &id);
            let sees = control || observer || targets.contains(&me);
            let state = match (released, &started, &ended, &due_at) {
                (Some(_), _, _, _) => "released",
                (None, None, _, _) => "planned",
                (None, Some(_), _, _) if !sees => "for-others",
                (None, Some(_), Some(_), _) => "not-released",
                (None, Some(_), None, Some(d)) if d <= now => "due",
                (None, Some(_), None, Some(_)) => "scheduled",
                (None, Some(_), None, None) => "on-trigger",
            };
            let responses: Vec<Value> = released
                .map(|r| {
                    let targets: Vec<&str> = r.properties.get("target_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
                    of_exercise(records, RESPONSE, plan)
                        .filter(|x| str_of(x, "inject_ref") == Some(r.id.as_str()) && targets.contains(&x.author.as_str()))
                        .map(|x| json!({ "id": x.id.as_str(), "author": x.author.as_str(), "text": get(x, "text"), "action_taken": get(x, "action_taken"), "created": x.created.as_str() }))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "id": id,
                "move": mv,
                "target_refs": targets,
                "target_team": inj.get("target_team"),
                "channel": inj.get("channel"),
                "objective": inj.get("objective"),
                "offset_minutes": inj.get("offset_minutes"),
                "trigger": inj.get("trigger"),
                "due_at": due_at.as_ref().map(Timestamp::as_str),
                "status": state,
                "release": released.map(|r| r.id.as_str()),
                "released_at": released.map(|r| r.created.as_str()),
                "on_time": released.and_then(|r| due_at.as_ref().map(|d| r.created <= *d)),
                "content": released.map(|r| get(r, "content")),
                "responses": responses,
            })
        })
        .collect();
    json!({
        "id": plan.id.as_str(),
        "control": plan.author.as_str(),
        "name": get(plan, "name"),
        "exercise_type": get(plan, "exercise_type"),
        "description": get(plan, "description"),
        "start_date": get(plan, "start_date"),
        "end_date": get(plan, "end_date"),
        "participants": get(plan, "participants"),
        "observer_refs": plan.properties.get("observer_refs").cloned().unwrap_or_else(|| json!([])),
        "objectives": get(plan, "objectives"),
        "msel": get(plan, "msel"),
        "version": plan.modified.as_str(),
        "endorsed_by": consent.given.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "awaiting": consent.awaiting.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "status": status,
        "started_at": started.as_ref().map(Timestamp::as_str),
        "ended_at": ended.as_ref().map(Timestamp::as_str),
        "injects": injects,
        "cexf": crate::cexf::export(&plan.properties, plan.id.as_str()),
        "aar": aar(plan, records, ctx, started.as_ref(), ended.as_ref()),
    })
}

/// The after-action report of an exercise: the same on every node of its parties.
pub fn aar(plan: &Record, records: &Records, ctx: &Context<'_>, started: Option<&Timestamp>, ended: Option<&Timestamp>) -> Value {
    let objective_ids = types::objective_ids(plan);
    let observations: Vec<&Record> = of_exercise(records, OBSERVATION, plan)
        .filter(|o| observes(plan, o.author.as_str()) && str_of(o, "objective").is_some_and(|x| objective_ids.iter().any(|i| i == x)))
        .collect();
    let counted: BTreeSet<String> = observations.iter().map(|o| o.id.to_string()).collect();
    let objectives: Vec<Value> = plan
        .properties
        .get("objectives")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|o| {
            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
            let mine: Vec<&&Record> = observations.iter().filter(|r| str_of(r, "objective") == Some(id)).collect();
            let ratings: Vec<&str> = mine.iter().filter_map(|r| str_of(r, "rating")).collect();
            let assessment = if ratings.is_empty() {
                "not-assessed"
            } else if ratings.contains(&"not-met") {
                "not-met"
            } else if ratings.iter().all(|r| *r == "met") {
                "met"
            } else {
                "partially-met"
            };
            json!({
                "id": id,
                "title": o.get("title"),
                "objective_ref": o.get("objective_ref"),
                "competencies": o.get("competencies").cloned().unwrap_or_else(|| json!([])),
                "assessment": assessment,
                "observations": mine.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let members = members(plan);
    let lesson_list: Vec<&Record> = lessons(plan, records, &counted).collect();
    let lesson_ids: BTreeSet<&str> = lesson_list.iter().map(|l| l.id.as_str()).collect();
    let mut actions: Vec<Value> = Vec::new();
    let mut by_lesson: Vec<(String, &'static str)> = Vec::new();
    for a in of_exercise(records, REMEDIAL, plan).filter(|a| members.contains(a.author.as_str()) && str_of(a, "lesson_ref").is_some_and(|l| lesson_ids.contains(l))) {
        let (status, updates) = action_status(a, plan, records);
        let due = a.opt_time("due").ok().flatten();
        let overdue = status != "done" && due.as_ref().is_some_and(|d| *d < ctx.now);
        by_lesson.push((str_of(a, "lesson_ref").unwrap_or_default().to_owned(), status));
        actions.push(json!({
            "id": a.id.as_str(),
            "author": a.author.as_str(),
            "lesson": get(a, "lesson_ref"),
            "description": get(a, "description"),
            "owner": get(a, "owner_ref"),
            "due": get(a, "due"),
            "status": status,
            "overdue": overdue,
            "updates": updates,
        }));
    }
    let lessons: Vec<Value> = lesson_list
        .iter()
        .map(|l| {
            let mine: Vec<&(String, &str)> = by_lesson.iter().filter(|(id, _)| id == l.id.as_str()).collect();
            let validated_at = validated(l, plan, records);
            let status = if validated_at.is_some() {
                "learned"
            } else if mine.is_empty() {
                "identified"
            } else if mine.iter().all(|(_, s)| *s == "done") {
                "actions-done"
            } else {
                "action-planned"
            };
            json!({
                "id": l.id.as_str(),
                "author": l.author.as_str(),
                "title": get(l, "title"),
                "text": get(l, "text"),
                "observations": l.properties.get("observation_refs").and_then(Value::as_array).into_iter().flatten().filter(|o| o.as_str().is_some_and(|o| counted.contains(o))).cloned().collect::<Vec<_>>(),
                "status": status,
                "validated_at": validated_at.as_ref().map(Timestamp::as_str),
            })
        })
        .collect();
    let count = |list: &[Value], key: &str, value: &str| list.iter().filter(|v| v[key] == value).count();
    let observations: Vec<Value> = observations
        .iter()
        .map(|o| json!({ "id": o.id.as_str(), "author": o.author.as_str(), "objective": get(o, "objective"), "rating": get(o, "rating"), "text": get(o, "text"), "inject_ref": get(o, "inject_ref"), "created": o.created.as_str() }))
        .collect();
    let mut summary = Map::new();
    summary.insert("objectives".into(), objectives.len().into());
    summary.insert("objectives_met".into(), count(&objectives, "assessment", "met").into());
    summary.insert("observations".into(), observations.len().into());
    summary.insert("lessons".into(), lessons.len().into());
    summary.insert("lessons_learned".into(), count(&lessons, "status", "learned").into());
    summary.insert("actions".into(), actions.len().into());
    summary.insert("actions_done".into(), count(&actions, "status", "done").into());
    summary.insert("actions_overdue".into(), actions.iter().filter(|a| a["overdue"] == true).count().into());
    json!({
        "exercise": plan.id.as_str(),
        "name": get(plan, "name"),
        "exercise_type": get(plan, "exercise_type"),
        "started_at": started.map(Timestamp::as_str),
        "ended_at": ended.map(Timestamp::as_str),
        "objectives": objectives,
        "observations": observations,
        "lessons": lessons,
        "actions": actions,
        "summary": summary,
    })
}

/// What needs `me` in an exercises `state` ([`state`]): plans awaiting its
/// endorsement, injects due for release (control), released injects
/// targeting it without its response in a running exercise, and the
/// remedial actions it owns that are not done (overdue flagged).
pub fn needs(state: &Value, me: &str) -> Vec<partnership::Need> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for x in state["exercises"].as_array().into_iter().flatten() {
        let name = text(x, "name");
        if x["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p == me)) && x["started_at"].is_null() {
            out.push(partnership::Need { what: "endorse-exercise", record: text(x, "id"), title: name.clone(), due: x["start_date"].as_str().map(str::to_owned), overdue: false });
        }
        let running = x["status"] == "running";
        for i in x["injects"].as_array().into_iter().flatten() {
            if running && x["control"] == me && i["status"] == "due" {
                out.push(partnership::Need { what: "release-inject", record: text(x, "id"), title: format!("{name}: inject {}", text(i, "id")), due: i["due_at"].as_str().map(str::to_owned), overdue: true });
            }
            let targeted = i["target_refs"].as_array().is_some_and(|t| t.iter().any(|p| p == me));
            let answered = i["responses"].as_array().is_some_and(|r| r.iter().any(|r| r["author"] == me));
            if running && targeted && i["status"] == "released" && !answered {
                out.push(partnership::Need { what: "respond-inject", record: text(i, "release"), title: format!("{name}: inject {}", text(i, "id")), due: None, overdue: false });
            }
        }
        for a in x["aar"]["actions"].as_array().into_iter().flatten() {
            if a["owner"] == me && a["status"] != "done" {
                out.push(partnership::Need { what: "remedial-action", record: text(a, "id"), title: text(a, "description"), due: a["due"].as_str().map(str::to_owned), overdue: a["overdue"] == true });
            }
        }
    }
    out
}
