//! The exercises' actions: each drafts one record as the caller's partner,
//! checked against the records the caller may see (the plan endorsed
//! before the start, only control starts and releases, a response by a
//! target, an observation by control or an observer, a lesson drawn from
//! observations of the exercise). Every record is labelled exercise data
//! and carries the exercise's audience (a released inject and its
//! responses: control, the targets and the observers).

use model::StixId;
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::rules;
use crate::types::{self, AUDIENCE, ENDORSEMENT, EXERCISE, INJECT, LABEL, LESSON, OBSERVATION, PHASE, REMEDIAL, REMEDIAL_UPDATE, RESPONSE, VALIDATION};
use partnership::input::{take, own};

/// The plan's properties an action writes.
const PLAN: &[&str] = &["name", "exercise_type", "description", "start_date", "end_date", "participants", "observer_refs", "objectives", "msel"];

/// The actions a liaison must take ([`partnership::Module::liaison`]): endorsing an exercise commits the party to take part.
pub const LIAISON: &[&str] = &["endorse-exercise"];

/// Every action, with the kind of the record it authors.
pub const ACTIONS: &[Action] = &[
    Action { name: "plan-exercise", about: "Plan an exercise as its control (name, exercise_type, start_date, end_date, participants, observer_refs, objectives, msel).", kind: EXERCISE },
    Action { name: "import-cexf", about: "Plan an exercise from a MISP CEXF document (cexf, participants, start_date; exercise_type, observer_refs).", kind: EXERCISE },
    Action { name: "edit-exercise", about: "Edit your exercise plan before it starts (a new version: it needs new endorsements).", kind: EXERCISE },
    Action { name: "endorse-exercise", about: "Endorse the latest version (or `version`) of an exercise plan for your party, a participant.", kind: ENDORSEMENT },
    Action { name: "start-exercise", about: "Start your exercise once every participant endorsed its latest version (exercise).", kind: PHASE },
    Action { name: "end-exercise", about: "End your running exercise (exercise).", kind: PHASE },
    Action { name: "release-inject", about: "Release an inject of your exercise's MSEL to its targets (exercise, inject).", kind: INJECT },
    Action { name: "respond-inject", about: "Respond to a released inject your party is a target of (inject, text, action_taken).", kind: RESPONSE },
    Action { name: "record-observation", about: "Record an observation against an objective, as control or an observer (exercise, objective, rating, text, inject_ref).", kind: OBSERVATION },
    Action { name: "identify-lesson", about: "Identify a lesson from observations of the exercise (exercise, observation_refs, title, text).", kind: LESSON },
    Action { name: "add-remedial-action", about: "Add a remedial action to a lesson (lesson, description, owner_ref, due).", kind: REMEDIAL },
    Action { name: "update-remedial-action", about: "Report progress on or complete a remedial action your party owns (action, status, text).", kind: REMEDIAL_UPDATE },
    Action { name: "validate-lesson", about: "As exercise control, validate a lesson whose remedial actions are done: it is learned (lesson, text).", kind: VALIDATION },
];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    let me = ctx.me.as_str();
    match action {
        "plan-exercise" => {
            let mut p = take(input, PLAN, &["injects"])?;
            add_injects(&mut p, input)?;
            Ok(Draft::new(EXERCISE, plan_audience(p, me)))
        }
        "import-cexf" => {
            take(input, &[], &["cexf", "participants", "start_date", "exercise_type", "observer_refs"])?;
            let doc = input.get("cexf").ok_or_else(|| Error::input("cexf", "is required: a CEXF document (JSON object)"))?;
            let participants = input.get("participants").ok_or_else(|| Error::input("participants", "is required: [{party_ref, teams}], CEXF names no parties"))?;
            let start = input.get("start_date").and_then(Value::as_str).ok_or_else(|| Error::input("start_date", "is required (a timestamp)"))?;
            let start = model::Timestamp::parse(start).map_err(|e| Error::input("start_date", e.to_string()))?;
            let kind = match input.get("exercise_type") {
                None => "cyber-range",
                Some(v) => v.as_str().filter(|t| types::TYPES.contains(t)).ok_or_else(|| Error::input("exercise_type", format!("must be one of {}", types::TYPES.join(", "))))?,
            };
            let mut p = crate::cexf::import(doc, participants, &start, kind)?;
            if let Some(o) = input.get("observer_refs") {
                p.insert("observer_refs".into(), o.clone());
            }
            Ok(Draft::new(EXERCISE, plan_audience(p, me)))
        }
        "edit-exercise" => {
            let plan = find(input, "exercise", EXERCISE, records)?;
            let changes = take(input, PLAN, &["exercise", "injects"])?;
            if rules::phase(plan, records, "start").is_some() {
                return Err(Error::input("exercise", format!("{} has started: its plan no longer changes", plan.id)));
            }
            let mut p = own(plan);
            p.extend(changes);
            add_injects(&mut p, input)?;
            Ok(Draft::revise(EXERCISE, &plan.id, plan_audience(p, me)))
        }
        "endorse-exercise" => {
            take(input, &["version"], &["exercise"])?;
            let plan = find(input, "exercise", EXERCISE, records)?;
            if plan.author == *ctx.me || !types::participants(plan).iter().any(|p| p == me) {
                return Err(Error::Forbidden(format!("{me} is not a participant of {} other than its control: only they endorse it", plan.id)));
            }
            let version = match input.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Error::input("version", "must be a timestamp (the plan's `modified`)")),
            };
            let mut p = consent::draft(plan, version, records, "version")?;
            let at = p.get(consent::TO_MODIFIED).and_then(Value::as_str).unwrap_or_default().to_owned();
            let already = records.of_kind(ENDORSEMENT).any(|e| &e.author == ctx.me && consent::check(e, EXERCISE).is_ok_and(|(to, v)| to == plan.id && v.as_str() == at));
            if already {
                return Err(Error::input("exercise", format!("you already endorsed version {at} of {}", plan.id)));
            }
            p.extend(of_exercise(plan));
            Ok(Draft::new(ENDORSEMENT, p))
        }
        "start-exercise" | "end-exercise" => {
            take(input, &[], &["exercise"])?;
            let plan = controlled(input, records, ctx)?;
            let started = rules::phase(plan, records, "start").is_some();
            let ended = rules::phase(plan, records, "end").is_some();
            let phase = if action == "start-exercise" {
                if started {
                    return Err(Error::input("exercise", format!("{} has already started", plan.id)));
                }
                let c = rules::endorsement(plan, records);
                if !c.agreed() {
                    let awaiting: Vec<&str> = c.awaiting.iter().map(|p| p.as_str()).collect();
                    return Err(Error::input("exercise", format!("{} awaits the endorsement of its latest version by {}", plan.id, awaiting.join(", "))));
                }
                "start"
            } else {
                if !started || ended {
                    return Err(Error::input("exercise", format!("{} is not running", plan.id)));
                }
                "end"
            };
            let mut p = of_exercise(plan);
            p.insert("phase".into(), Value::from(phase));
            Ok(Draft::new(PHASE, p))
        }
        "release-inject" => {
            take(input, &[], &["exercise", "inject"])?;
            let plan = controlled(input, records, ctx)?;
            running(plan, records)?;
            let id = input.get("inject").and_then(Value::as_str).ok_or_else(|| Error::input("inject", "is required: the id of an inject of the MSEL"))?;
            let (mv, inject) = types::injects(plan).into_iter().find(|(_, i)| i.get("id").and_then(Value::as_str) == Some(id)).ok_or_else(|| Error::input("inject", format!("`{id}` is not an inject of {}", plan.id)))?;
            if let Some(r) = rules::release(plan, records, id) {
                return Err(Error::input("inject", format!("`{id}` was released already ({})", r.id)));
            }
            let mut p = of_exercise(plan);
            p.insert("inject".into(), Value::from(id));
            p.insert("move".into(), Value::from(mv));
            // What the players see; the expected action stays with control.
            for key in ["target_refs", "target_team", "channel", "content", "object_refs"] {
                if let Some(v) = inject.get(key) {
                    p.insert(key.into(), v.clone());
                }
            }
            let mut audience = vec![me.to_owned()];
            let targets = inject.get("target_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned);
            for party in targets.chain(types::observers(plan)) {
                if !audience.contains(&party) {
                    audience.push(party);
                }
            }
            p.insert(AUDIENCE.into(), Value::from(audience));
            Ok(Draft::new(INJECT, p))
        }
        "respond-inject" => {
            let mut p = take(input, &["text", "action_taken"], &["inject"])?;
            let release = find(input, "inject", INJECT, records)?;
            let plan = plan_of(release, records, "inject")?;
            if release.author != plan.author {
                return Err(Error::input("inject", format!("{} was not released by the exercise's control", release.id)));
            }
            let targets = release.properties.get("target_refs").and_then(Value::as_array);
            if !targets.is_some_and(|t| t.iter().any(|x| x == me)) {
                return Err(Error::Forbidden(format!("{me} is not a target of inject {}", release.id)));
            }
            running(plan, records).map_err(|_| Error::input("inject", format!("{} is not running", plan.id)))?;
            p.extend(of_exercise(plan));
            p.insert("inject_ref".into(), Value::from(release.id.as_str()));
            p.insert(AUDIENCE.into(), release.properties.get(AUDIENCE).cloned().unwrap_or(Value::Null));
            Ok(Draft::new(RESPONSE, p))
        }
        "record-observation" => {
            let mut p = take(input, &["objective", "rating", "text", "inject_ref"], &["exercise"])?;
            let plan = find(input, "exercise", EXERCISE, records)?;
            if !rules::observes(plan, me) {
                return Err(Error::Forbidden(format!("{me} is neither control nor an observer of {}", plan.id)));
            }
            if rules::phase(plan, records, "start").is_none() {
                return Err(Error::input("exercise", format!("{} has not started", plan.id)));
            }
            let objective = input.get("objective").and_then(Value::as_str).unwrap_or_default();
            if !types::objective_ids(plan).iter().any(|o| o == objective) {
                return Err(Error::input("objective", format!("`{objective}` is not an objective of {}", plan.id)));
            }
            if input.contains_key("inject_ref") {
                let release = find(input, "inject_ref", INJECT, records)?;
                if release.properties.get("exercise_ref").and_then(Value::as_str) != Some(plan.id.as_str()) {
                    return Err(Error::input("inject_ref", format!("{} is an inject of another exercise", release.id)));
                }
            }
            p.extend(of_exercise(plan));
            Ok(Draft::new(OBSERVATION, p))
        }
        "identify-lesson" => {
            let mut p = take(input, &["observation_refs", "title", "text"], &["exercise"])?;
            let plan = member_of(input, records, ctx)?;
            let refs = input.get("observation_refs").and_then(Value::as_array).filter(|l| !l.is_empty());
            let refs = refs.ok_or_else(|| Error::input("observation_refs", "is required: the observations the lesson is drawn from (at least one)"))?;
            for (i, r) in refs.iter().enumerate() {
                let at = format!("observation_refs[{i}]");
                let id = r.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::input(&at, "must be the id of an observation"))?;
                let ok = records.get(&id).is_some_and(|o| o.kind == OBSERVATION && !o.revoked && o.properties.get("exercise_ref").and_then(Value::as_str) == Some(plan.id.as_str()));
                if !ok {
                    return Err(Error::input(at, format!("no observation {id} of {}", plan.id)));
                }
            }
            p.extend(of_exercise(plan));
            Ok(Draft::new(LESSON, p))
        }
        "add-remedial-action" => {
            let mut p = take(input, &["description", "owner_ref", "due"], &["lesson"])?;
            let lesson = find(input, "lesson", LESSON, records)?;
            let plan = plan_of(lesson, records, "lesson")?;
            if !rules::members(plan).contains(me) {
                return Err(Error::Forbidden(format!("{me} is not a party of exercise {}", plan.id)));
            }
            if let Some(owner) = input.get("owner_ref").and_then(Value::as_str) {
                if !rules::members(plan).contains(owner) {
                    return Err(Error::input("owner_ref", format!("{owner} is not a party of exercise {}", plan.id)));
                }
            }
            p.extend(of_exercise(plan));
            p.insert("lesson_ref".into(), Value::from(lesson.id.as_str()));
            Ok(Draft::new(REMEDIAL, p))
        }
        "update-remedial-action" => {
            let mut p = take(input, &["status", "text"], &["action"])?;
            let remedial = find(input, "action", REMEDIAL, records)?;
            let plan = plan_of(remedial, records, "action")?;
            let owner = remedial.properties.get("owner_ref").and_then(Value::as_str);
            if owner != Some(me) {
                return Err(Error::Forbidden(format!("only the action's owner ({}) updates it", owner.unwrap_or("none"))));
            }
            if rules::action_status(remedial, plan, records).0 == "done" {
                return Err(Error::input("action", format!("{} is done", remedial.id)));
            }
            p.extend(of_exercise(plan));
            p.insert("action_ref".into(), Value::from(remedial.id.as_str()));
            Ok(Draft::new(REMEDIAL_UPDATE, p))
        }
        "validate-lesson" => {
            let mut p = take(input, &["text"], &["lesson"])?;
            let lesson = find(input, "lesson", LESSON, records)?;
            let plan = plan_of(lesson, records, "lesson")?;
            if plan.author != *ctx.me {
                return Err(Error::Forbidden(format!("only the exercise's control ({}) validates its lessons", plan.author)));
            }
            if rules::validated(lesson, plan, records).is_some() {
                return Err(Error::input("lesson", format!("{} is learned already", lesson.id)));
            }
            let actions: Vec<&Record> = rules::of_exercise(records, REMEDIAL, plan).filter(|a| a.properties.get("lesson_ref").and_then(Value::as_str) == Some(lesson.id.as_str())).collect();
            if actions.is_empty() {
                return Err(Error::input("lesson", format!("{} has no remedial action: a lesson is learned once its actions are done", lesson.id)));
            }
            if let Some(open) = actions.iter().find(|a| rules::action_status(a, plan, records).0 != "done") {
                return Err(Error::input("lesson", format!("its remedial action {} is not done", open.id)));
            }
            p.extend(of_exercise(plan));
            p.insert("lesson_ref".into(), Value::from(lesson.id.as_str()));
            Ok(Draft::new(VALIDATION, p))
        }
        other => Err(Error::NotFound(format!("exercises has no action `{other}`"))),
    }
}

/// Adds the input's `injects` (a flat list, as a form's rows post them:
/// each an inject with the `move` it belongs to and, optionally, the
/// move's `move_title`) to the plan's MSEL `p["msel"]`: each to the move
/// of that name, a move not there yet appended in the order first named.
/// The plan is then checked as a whole (`types::validate`), so a bad
/// inject is refused by its place in the MSEL (`msel[m].injects[j].…`).
fn add_injects(p: &mut Map<String, Value>, input: &Map<String, Value>) -> Result<(), Error> {
    let Some(rows) = input.get("injects") else { return Ok(()) };
    let rows = rows.as_array().ok_or_else(|| Error::input("injects", "must be a list of injects, each with its move"))?;
    let mut msel = match p.remove("msel") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(l)) => l,
        Some(_) => return Err(Error::input("msel", "must be a list of moves")),
    };
    for (i, row) in rows.iter().enumerate() {
        let mut inject = row.as_object().cloned().ok_or_else(|| Error::input(format!("injects[{i}]"), "must be an inject object"))?;
        let name = match inject.remove("move") {
            Some(Value::String(m)) if !m.trim().is_empty() => m,
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Error::input(format!("injects[{i}].move"), "is required: the move (of the MSEL) the inject belongs to")),
        };
        let title = inject.remove("move_title");
        let at = match msel.iter().position(|m| m.get("move").and_then(Value::as_str) == Some(name.as_str())) {
            Some(at) => at,
            None => {
                let mut m = Map::new();
                m.insert("move".into(), Value::from(name));
                if let Some(t) = title {
                    m.insert("title".into(), t);
                }
                m.insert("injects".into(), Value::Array(Vec::new()));
                msel.push(Value::Object(m));
                msel.len() - 1
            }
        };
        let Some(Value::Object(m)) = msel.get_mut(at) else { return Err(Error::input("msel", format!("msel[{at}] must be a move object"))) };
        match m.entry("injects").or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(list) => list.push(Value::Object(inject)),
            _ => return Err(Error::input(format!("msel[{at}].injects"), "must be a list of injects")),
        }
    }
    p.insert("msel".into(), Value::Array(msel));
    Ok(())
}

/// The plan's label and audience: control, then the participants and
/// observers, each once.
fn plan_audience(mut p: Map<String, Value>, me: &str) -> Map<String, Value> {
    let mut audience = vec![me.to_owned()];
    let participants = p.get("participants").and_then(Value::as_array).into_iter().flatten().filter_map(|x| x.get("party_ref")?.as_str().map(str::to_owned));
    let observers = p.get("observer_refs").and_then(Value::as_array).into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned));
    for party in participants.chain(observers).collect::<Vec<_>>() {
        if !audience.contains(&party) {
            audience.push(party);
        }
    }
    p.insert(AUDIENCE.into(), Value::from(audience));
    p.insert("labels".into(), Value::from(vec![LABEL]));
    p
}

/// What every record of an exercise carries: the exercise, the label, its audience.
fn of_exercise(plan: &Record) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("exercise_ref".into(), Value::from(plan.id.as_str()));
    p.insert("labels".into(), Value::from(vec![LABEL]));
    p.insert(AUDIENCE.into(), plan.properties.get(AUDIENCE).cloned().unwrap_or(Value::Null));
    p
}

/// The plan of a record of an exercise, among those the caller may see.
fn plan_of<'a>(record: &Record, records: &'a Records, property: &str) -> Result<&'a Record, Error> {
    let id = record.reference("exercise_ref", EXERCISE).map_err(|_| Error::input(property, format!("{} names no exercise", record.id)))?;
    match records.get(&id) {
        Some(p) if !p.revoked => Ok(p),
        _ => Err(Error::input(property, format!("its exercise {id} is not here"))),
    }
}

/// The plan `input.exercise` names, of which the caller is control.
fn controlled<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let plan = find(input, "exercise", EXERCISE, records)?;
    if plan.author != *ctx.me {
        return Err(Error::Forbidden(format!("only the exercise's control ({}) does this", plan.author)));
    }
    Ok(plan)
}

/// The plan `input.exercise` names, of which the caller is a party.
fn member_of<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let plan = find(input, "exercise", EXERCISE, records)?;
    if !rules::members(plan).contains(ctx.me.as_str()) {
        return Err(Error::Forbidden(format!("{} is not a party of exercise {}", ctx.me, plan.id)));
    }
    Ok(plan)
}

/// The exercise has started and not ended.
fn running(plan: &Record, records: &Records) -> Result<(), Error> {
    if rules::phase(plan, records, "start").is_none() || rules::phase(plan, records, "end").is_some() {
        return Err(Error::input("exercise", format!("{} is not running", plan.id)));
    }
    Ok(())
}

/// The record of `kind` the input's `property` names, among those the caller may see.
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required: the id of a {kind}")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}

