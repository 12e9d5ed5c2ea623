//! MISP's Common Exercise Format (CEXF): an exercise prepared with MISP's
//! tooling imported as a plan, and any plan exported as CEXF.
//!
//! A CEXF document is one JSON object with four required keys: `exercise`
//! (name, description, expanded, meta, namespace, tags, total_duration in
//! seconds, uuid, valid_until, version), `inject_flow` (steps naming an
//! inject by `inject_uuid`, with `sequence.trigger` — `startex` for the
//! start — and `timing.triggered_at` in seconds), `inject_payloads` (uuid,
//! name, type, parameters) and `injects` (uuid, name, action,
//! `action_payload_resource_uuid`, inject_evaluation, target_tool).
//!
//! **Import** ([`import`]): the exercise's name and description; the end
//! date is the start the importer gives plus `total_duration`; one
//! objective per inject (its uuid and name; its evaluations' results as
//! competencies); one move per flow step, its inject for every participant,
//! due at the start plus `triggered_at` when triggered by `startex`, else
//! with the step's trigger and requirement as its trigger; the content is
//! the inject's name and its payload (a Base64 file decoded when it is
//! text). CEXF has no parties: the importer names the participants. The
//! document itself is kept on the plan (`cexf`), so that an export gives
//! MISP's tools back what they gave.
//!
//! **Export** ([`export`]): the kept document, or a new one, with the
//! plan's name, description and duration, and an inject, payload and flow
//! step for every inject of the MSEL the document does not hold (named by
//! UUIDs derived from the plan's and the inject's ids: version 5, so every
//! export of a plan is the same; the format asks for version 4, which is
//! random).
//!
//! Checked against the format's description and MISP's published example
//! (github.com/MISP/cexf, format-description.md and samples/misp-01.json)
//! field by field. Where they differ, both are read: `exercise.meta` is an
//! object in the example and an array of key-value pairs in the
//! description; `inject_evaluation` is a list of evaluations in the
//! example and one object in the description. An evaluation's
//! `parameters` (a list, or an object such as `{"OR": [...]}`) and
//! `score_range` are kept as they are, for the target tool. The example's
//! exercise uuid is not a well-formed UUID: uuids are read as identifiers
//! (1 to 200 characters), not checked as UUIDs.

use base64::Engine as _;
use model::Timestamp;
use partnership::Error;
use serde_json::{json, Map, Value};

use crate::types::{LONG, MANY, SHORT};

/// The plan property keeping the imported document.
pub const KEY: &str = "cexf";

/// Largest document kept on a plan, in bytes of JSON.
const MAX_BYTES: usize = 500_000;

fn err(path: &str, reason: impl Into<String>) -> Error {
    Error::input(format!("{KEY}{path}"), reason)
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    v.as_object().ok_or_else(|| err(path, "must be a JSON object"))
}

fn arr<'a>(v: Option<&'a Value>, path: &str) -> Result<&'a Vec<Value>, Error> {
    match v {
        Some(Value::Array(l)) if l.len() <= MANY => Ok(l),
        Some(Value::Array(_)) => Err(err(path, format!("lists more than {MANY}"))),
        _ => Err(err(path, "is required: a JSON array")),
    }
}

/// A required identifier or name: a string of 1 to 200 characters.
fn id(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, Error> {
    match map.get(key).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= SHORT => Ok(s.to_owned()),
        _ => Err(err(&format!("{path}.{key}"), format!("is required: a string of 1 to {SHORT} characters"))),
    }
}

/// An optional string.
fn opt_str<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<Option<&'a str>, Error> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= LONG => Ok(Some(s)),
        _ => Err(err(&format!("{path}.{key}"), format!("must be a string of at most {LONG} characters"))),
    }
}

/// Checks a document against the format: the four keys, each inject flow
/// step naming an inject, each inject's payload one of the payloads;
/// errors name the path (`cexf.inject_flow[1].inject_uuid`).
pub fn check(doc: &Value) -> Result<(), Error> {
    let top = obj(doc, "")?;
    if serde_json::to_vec(doc).map_or(true, |b| b.len() > MAX_BYTES) {
        return Err(err("", format!("is larger than {MAX_BYTES} bytes")));
    }
    let exercise = obj(top.get("exercise").unwrap_or(&Value::Null), ".exercise")?;
    id(exercise, "name", ".exercise")?;
    id(exercise, "uuid", ".exercise")?;
    for key in ["description", "expanded", "namespace", "valid_until", "version"] {
        opt_str(exercise, key, ".exercise")?;
    }
    if let Some(d) = opt_str(exercise, "total_duration", ".exercise")? {
        d.parse::<u32>().map_err(|_| err(".exercise.total_duration", "must be a whole number of seconds, as a string"))?;
    }
    if let Some(tags) = exercise.get("tags") {
        let tags = arr(Some(tags), ".exercise.tags")?;
        if let Some(i) = tags.iter().position(|t| !t.is_string()) {
            return Err(err(&format!(".exercise.tags[{i}]"), "must be a string (a MISP triple tag)"));
        }
    }
    // The description calls `meta` a JSON array of key-value pairs; the
    // published example writes one object: either is read.
    if exercise.get("meta").is_some_and(|m| !m.is_object() && !m.is_array()) {
        return Err(err(".exercise.meta", "must be key-value pairs: a JSON object, or an array of them"));
    }
    let mut payloads: Vec<String> = Vec::new();
    for (i, p) in arr(top.get("inject_payloads"), ".inject_payloads")?.iter().enumerate() {
        let path = format!(".inject_payloads[{i}]");
        let p = obj(p, &path)?;
        let uuid = id(p, "uuid", &path)?;
        id(p, "name", &path)?;
        id(p, "type", &path)?;
        if p.get("parameters").is_some_and(|v| !v.is_object()) {
            return Err(err(&format!("{path}.parameters"), "must be a JSON object"));
        }
        if payloads.contains(&uuid) {
            return Err(err(&format!("{path}.uuid"), format!("`{uuid}` is the uuid of another payload")));
        }
        payloads.push(uuid);
    }
    let mut injects: Vec<String> = Vec::new();
    for (i, inj) in arr(top.get("injects"), ".injects")?.iter().enumerate() {
        let path = format!(".injects[{i}]");
        let inj = obj(inj, &path)?;
        let uuid = id(inj, "uuid", &path)?;
        id(inj, "name", &path)?;
        opt_str(inj, "action", &path)?;
        opt_str(inj, "target_tool", &path)?;
        if let Some(p) = opt_str(inj, "action_payload_resource_uuid", &path)? {
            if !payloads.iter().any(|x| x == p) {
                return Err(err(&format!("{path}.action_payload_resource_uuid"), format!("`{p}` is not the uuid of one of the inject_payloads")));
            }
        }
        match inj.get("inject_evaluation") {
            None | Some(Value::Null) => {}
            // The description calls it a JSON object, the example a list of them.
            Some(Value::Object(ev)) => {
                opt_str(ev, "result", &format!("{path}.inject_evaluation"))?;
            }
            Some(e) => {
                for (j, ev) in arr(Some(e), &format!("{path}.inject_evaluation"))?.iter().enumerate() {
                    opt_str(obj(ev, &format!("{path}.inject_evaluation[{j}]"))?, "result", &format!("{path}.inject_evaluation[{j}]"))?;
                }
            }
        }
        if injects.contains(&uuid) {
            return Err(err(&format!("{path}.uuid"), format!("`{uuid}` is the uuid of another inject")));
        }
        injects.push(uuid);
    }
    for (i, step) in arr(top.get("inject_flow"), ".inject_flow")?.iter().enumerate() {
        let path = format!(".inject_flow[{i}]");
        let step = obj(step, &path)?;
        let uuid = id(step, "inject_uuid", &path)?;
        if !injects.contains(&uuid) {
            return Err(err(&format!("{path}.inject_uuid"), format!("`{uuid}` is not the uuid of one of the injects")));
        }
        opt_str(step, "description", &path)?;
        for key in ["requirements", "sequence", "timing"] {
            if step.get(key).is_some_and(|v| !v.is_object() && !v.is_null()) {
                return Err(err(&format!("{path}.{key}"), "must be a JSON object"));
            }
        }
        match step.get("timing").and_then(|t| t.get("triggered_at")) {
            None | Some(Value::Null) => {}
            Some(v) if v.as_u64().is_some_and(|s| s / 60 <= crate::types::MAX_OFFSET) => {}
            Some(_) => return Err(err(&format!("{path}.timing.triggered_at"), "must be null or whole seconds from the start")),
        }
    }
    Ok(())
}

/// An inject's evaluations: one object, or a list of them.
fn evaluations(inj: &Value) -> Vec<&Value> {
    match &inj["inject_evaluation"] {
        Value::Array(l) => l.iter().collect(),
        Value::Object(_) => vec![&inj["inject_evaluation"]],
        _ => Vec::new(),
    }
}

/// What a step's `sequence.trigger` says: a string or a list of them.
fn triggers(step: &Value) -> Vec<String> {
    match step.get("sequence").and_then(|s| s.get("trigger")) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(l)) => l.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The plan's properties (as `plan-exercise` takes them) for a CEXF
/// document, run by `participants` (the plan's `[{party_ref, teams}]`)
/// from `start`, of `exercise_type`.
pub fn import(doc: &Value, participants: &Value, start: &Timestamp, exercise_type: &str) -> Result<Map<String, Value>, Error> {
    check(doc)?;
    let exercise = &doc["exercise"];
    let seconds: i64 = exercise["total_duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0);
    let end = Timestamp::from_micros(start.micros() + seconds * 1_000_000);
    let targets: Vec<Value> = participants.as_array().into_iter().flatten().filter_map(|p| p.get("party_ref").cloned()).collect();
    let injects = doc["injects"].as_array().cloned().unwrap_or_default();
    let payloads = doc["inject_payloads"].as_array().cloned().unwrap_or_default();
    let objectives: Vec<Value> = injects
        .iter()
        .map(|inj| {
            let results: Vec<Value> = evaluations(inj).into_iter().filter_map(|e| e["result"].as_str()).filter(|r| !r.trim().is_empty()).map(|r| Value::from(cut(r, SHORT))).collect();
            json!({ "id": inj["uuid"], "title": inj["name"], "competencies": results })
        })
        .collect();
    let mut msel = Vec::new();
    for (i, step) in doc["inject_flow"].as_array().into_iter().flatten().enumerate() {
        let uuid = step["inject_uuid"].as_str().unwrap_or_default();
        let inj = injects.iter().find(|x| x["uuid"] == uuid).cloned().unwrap_or_default();
        let mut content = inj["name"].as_str().unwrap_or_default().to_owned();
        if let Some(p) = payloads.iter().find(|p| p["uuid"] == inj["action_payload_resource_uuid"]) {
            content.push_str(&format!("\n\npayload {} ({})", p["name"].as_str().unwrap_or_default(), p["type"].as_str().unwrap_or_default()));
            let params = &p["parameters"];
            if params["content-type"] == "base64" {
                let text = params["content"].as_str().and_then(|c| base64::engine::general_purpose::STANDARD.decode(c.trim()).ok()).and_then(|b| String::from_utf8(b).ok());
                if let Some(text) = text {
                    content.push_str(&format!(", {}:\n\n{text}", params["filename"].as_str().unwrap_or("file")));
                }
            } else if let Some(map) = params.as_object() {
                let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect();
                content.push_str(&format!(": {}", pairs.join(", ")));
            }
        }
        let mut inject = json!({
            "id": uuid,
            "target_refs": targets,
            "channel": cut(inj["action"].as_str().unwrap_or("cexf"), SHORT),
            "content": cut(&content, LONG),
            "objective": uuid,
        });
        let results: Vec<&str> = evaluations(&inj).into_iter().filter_map(|e| e["result"].as_str()).collect();
        if !results.is_empty() {
            inject["expected_action"] = Value::from(cut(&results.join("; "), LONG));
        }
        let trig = triggers(step);
        if trig.iter().any(|t| t == "startex") {
            inject["offset_minutes"] = Value::from(step["timing"]["triggered_at"].as_u64().unwrap_or(0) / 60);
        } else {
            let mut t = if trig.is_empty() { "by hand".to_owned() } else { trig.join(", ") };
            if let Some(after) = step["requirements"]["inject_uuid"].as_str() {
                t.push_str(&format!(" of {after}"));
                if let Some(r) = step["requirements"]["resolution_requirement"].as_str() {
                    t.push_str(&format!(": {r}"));
                }
            }
            inject["trigger"] = Value::from(cut(&t, SHORT));
        }
        let mut mv = json!({ "move": (i + 1).to_string(), "injects": [inject] });
        if let Some(d) = step["description"].as_str().filter(|d| !d.trim().is_empty()) {
            mv["title"] = Value::from(cut(d, SHORT));
        }
        msel.push(mv);
    }
    let mut p = Map::new();
    p.insert("name".into(), exercise["name"].clone());
    if let Some(d) = exercise["description"].as_str().filter(|d| !d.trim().is_empty()) {
        p.insert("description".into(), Value::from(d));
    }
    p.insert("exercise_type".into(), Value::from(exercise_type));
    p.insert("start_date".into(), Value::from(start.as_str()));
    p.insert("end_date".into(), Value::from(end.to_string()));
    p.insert("participants".into(), participants.clone());
    p.insert("objectives".into(), Value::from(objectives));
    p.insert("msel".into(), Value::from(msel));
    p.insert(KEY.into(), doc.clone());
    Ok(p)
}

/// The CEXF document of a plan (its properties): the kept document, if it
/// was imported, with the plan's name, description and duration, and an
/// inject, payload and flow step for each inject of the MSEL it lacks.
pub fn export(plan: &Map<String, Value>, plan_id: &str) -> Value {
    let kept = plan.get(KEY).cloned().unwrap_or_else(|| json!({}));
    let mut exercise = kept.get("exercise").and_then(Value::as_object).cloned().unwrap_or_default();
    exercise.insert("name".into(), plan.get("name").cloned().unwrap_or(Value::Null));
    if let Some(d) = plan.get("description") {
        exercise.insert("description".into(), d.clone());
    }
    let time = |k: &str| plan.get(k).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok());
    if let (Some(s), Some(e)) = (time("start_date"), time("end_date")) {
        exercise.insert("total_duration".into(), Value::from(((e.micros() - s.micros()) / 1_000_000).to_string()));
    }
    let uuid = plan_id.split_once("--").map_or(plan_id, |(_, u)| u).to_owned();
    exercise.entry("uuid").or_insert_with(|| Value::from(uuid.clone()));
    let version = time("start_date").map(|s| s.as_str().chars().filter(char::is_ascii_digit).take(8).collect::<String>()).unwrap_or_default();
    exercise.entry("version").or_insert_with(|| Value::from(version));
    exercise.entry("namespace").or_insert_with(|| Value::from("entente"));
    exercise.entry("tags").or_insert_with(|| json!([]));
    exercise.entry("meta").or_insert_with(|| json!({}));
    let list = |k: &str| kept.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let (mut flow, mut injects, mut payloads) = (list("inject_flow"), list("injects"), list("inject_payloads"));
    // CEXF names injects and payloads by UUID: those made here get a
    // name-based one (version 5, under the plan's uuid), the same on every
    // export and every node; an inject's own id leads its name.
    let namespace = uuid::Uuid::parse_str(&uuid).unwrap_or(uuid::Uuid::NAMESPACE_OID);
    let named = |what: &str, id: &str| uuid::Uuid::new_v5(&namespace, format!("{what}:{id}").as_bytes()).to_string();
    for mv in plan.get("msel").and_then(Value::as_array).into_iter().flatten() {
        for inj in mv.get("injects").and_then(Value::as_array).into_iter().flatten() {
            let own = inj["id"].as_str().unwrap_or_default();
            // An inject imported from the kept document keeps its uuid as its id.
            if injects.iter().any(|x| x["uuid"] == own) {
                continue;
            }
            let id = named("inject", own);
            let payload = named("payload", own);
            let content = inj["content"].as_str().unwrap_or_default();
            payloads.push(json!({
                "name": format!("{own} content"),
                "parameters": { "content": base64::engine::general_purpose::STANDARD.encode(content), "content-type": "base64", "filename": format!("{}.txt", cut(&own.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect::<String>(), 60)) },
                "type": "file",
                "uuid": payload,
            }));
            injects.push(json!({
                "action": inj.get("channel").cloned().unwrap_or_else(|| Value::from("email_to_participants")),
                "action_payload_resource_uuid": payload,
                "inject_evaluation": inj.get("expected_action").map(|e| json!([{ "result": e }])).unwrap_or_else(|| json!([])),
                "name": cut(&format!("{own}: {}", content.lines().next().unwrap_or_default()), SHORT),
                "target_tool": "Entente",
                "uuid": id,
            }));
            let (trigger, at) = match inj.get("offset_minutes").and_then(Value::as_u64) {
                Some(m) => (json!(["startex"]), Value::from(m * 60)),
                None => (json!([inj.get("trigger").cloned().unwrap_or(Value::Null)]), Value::Null),
            };
            flow.push(json!({
                "description": mv.get("title").cloned().unwrap_or_else(|| Value::from(format!("move {}", mv["move"].as_str().unwrap_or_default()))),
                "inject_uuid": id,
                "reporting_callback": [],
                "requirements": {},
                "sequence": { "trigger": trigger },
                "timing": { "triggered_at": at },
            }));
        }
    }
    json!({ "exercise": exercise, "inject_flow": flow, "inject_payloads": payloads, "injects": injects })
}
