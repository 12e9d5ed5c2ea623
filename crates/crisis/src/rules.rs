//! The crisis module's state, derived from its records at `ctx.now`: pure.
//! Playbooks with their endorsements, and for each crisis the common
//! operating picture: acknowledgements against the service level, tasks
//! with their status and service levels, the latest situation report per
//! party, assistance requests and their stage, key intelligence, reviews,
//! the timeline.
//!
//! **Timing rule** (docs/partnership.md#crises). A record counts at its
//! own `created`: the time its author's node set when it made it, signed
//! with it, never changed by later versions. Service levels run from times
//! the crisis's lead set and signed: the acknowledgement deadline from the
//! crisis's `created` (`+ ack_within_minutes`), a task's deadlines from
//! its `assigned_at` (`+ ack_within_minutes`, `+ complete_within_minutes`).
//! A step is **in time** when its `created` is at or before its deadline;
//! a step not taken is **breached** once its deadline is before the
//! cut-off, `now` or the crisis's closing (its closing version's
//! `modified`), whichever is earlier. Records dated after `now` do not
//! count yet. Nothing reads arrival times, so every node computes the same
//! picture from the same records, in any order they arrived in.

use std::collections::{BTreeMap, BTreeSet};

use model::Timestamp;
use partnership::{consent, Context, Record, Records};
use serde_json::{json, Value};

use crate::types::{self, ACKNOWLEDGEMENT, ASSISTANCE, CRISIS, CRISIS_REF, DEFAULT_ACK_MINUTES, ENDORSEMENT, PLAYBOOK, REVIEW, SEVERITIES, SITREP, STEPS, TASK_UPDATE};

const MINUTE: i64 = 60_000_000;

/// Whether a crisis (its latest version) is closed.
pub fn closed(crisis: &Record) -> bool {
    crisis.properties.get("status").and_then(Value::as_str) == Some("closed")
}

/// A playbook's tasks, instantiated for a crisis activated at `now`: each
/// assigned to the party holding its owner role, in the order of the
/// phases.
pub fn instantiate(playbook: &Record, now: &str) -> Vec<Value> {
    let roles: BTreeMap<&str, &Value> = playbook
        .properties
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r.get("role")?.as_str()?, r.get("party_ref")?)))
        .collect();
    let mut out = Vec::new();
    for phase in playbook.properties.get("phases").and_then(Value::as_array).into_iter().flatten() {
        for t in phase.get("tasks").and_then(Value::as_array).into_iter().flatten() {
            let role = t.get("owner_role").and_then(Value::as_str).unwrap_or_default();
            out.push(json!({
                "key": t.get("key"),
                "title": t.get("title"),
                "phase": phase.get("phase"),
                "role": role,
                "assignee_ref": roles.get(role).copied().cloned().unwrap_or(Value::Null),
                "assigned_at": now,
                "ack_within_minutes": t.get("ack_within_minutes"),
                "complete_within_minutes": t.get("complete_within_minutes"),
            }));
        }
    }
    out
}

fn str_of<'a>(r: &'a Record, p: &str) -> Option<&'a str> {
    r.properties.get(p).and_then(Value::as_str)
}

fn get(r: &Record, p: &str) -> Value {
    r.properties.get(p).cloned().unwrap_or(Value::Null)
}

fn plus(t: &Timestamp, minutes: u64) -> Timestamp {
    Timestamp::from_micros(t.micros().saturating_add(i64::try_from(minutes).unwrap_or(i64::MAX / MINUTE).saturating_mul(MINUTE)))
}

fn minutes_between(a: &Timestamp, b: &Timestamp) -> i64 {
    (b.micros() - a.micros()) / MINUTE
}

/// The state: playbooks, and every crisis's common operating picture,
/// active ones first, most severe first.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let mut of: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.kind != PLAYBOOK && r.kind != ENDORSEMENT && r.kind != CRISIS) {
        if let Some(c) = str_of(r, CRISIS_REF) {
            of.entry(c).or_default().push(r);
        }
    }
    state_with(records, ctx, &|c: &Record| -> Box<dyn Of<'_> + '_> {
        Box::new(All::new(of.get(c.id.as_str()).map(Vec::as_slice).unwrap_or_default(), types::is_exercise(c), &ctx.now))
    })
}

/// What a crisis's picture reads of the records naming it (kinds other
/// than playbooks, endorsements and crises, latest versions), as they
/// count at `now` for a crisis that is, or is not, an exercise: from every
/// record ([`All`], the reference) or kept as they arrived
/// (`crate::fold`).
pub(crate) trait Of<'a> {
    /// Those that are not task updates, in canonical order.
    fn others(&self) -> Vec<&'a Record>;
    /// How many say otherwise of exercise than the crisis (ignored).
    fn ignored(&self) -> usize;
    /// Of the updates of task `key` that count (dated by `now`, the same
    /// of exercise), those by `assignee` dated at or after `assigned`:
    /// how many, the first and the last (by `created`, then id).
    fn updates(&self, key: &str, assignee: &str, assigned: &Timestamp) -> (usize, Option<&'a Record>, Option<&'a Record>);
    /// The records that count as timeline events: how many, and the newest
    /// `n` of them, oldest first (by `created`, then id).
    fn events(&self, n: usize) -> (usize, Vec<&'a Record>);
}

/// [`Of`] from every record naming the crisis, in canonical order.
pub(crate) struct All<'a> {
    of: &'a [&'a Record],
    exercise: bool,
    now: Timestamp,
    updates_of: BTreeMap<&'a str, Vec<&'a Record>>,
}

impl<'a> All<'a> {
    pub(crate) fn new(of: &'a [&'a Record], exercise: bool, now: &Timestamp) -> All<'a> {
        // Each task's updates found once, not by a scan of every record per task.
        let mut updates_of: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
        for r in of.iter().copied().filter(|r| &r.created <= now && types::is_exercise(r) == exercise && r.kind == TASK_UPDATE) {
            if let Some(key) = str_of(r, "task") {
                updates_of.entry(key).or_default().push(r);
            }
        }
        All { of, exercise, now: now.clone(), updates_of }
    }
}

impl<'a> Of<'a> for All<'a> {
    fn others(&self) -> Vec<&'a Record> {
        self.of.iter().copied().filter(|r| r.kind != TASK_UPDATE).collect()
    }

    fn ignored(&self) -> usize {
        self.of.iter().filter(|r| types::is_exercise(r) != self.exercise).count()
    }

    fn updates(&self, key: &str, assignee: &str, assigned: &Timestamp) -> (usize, Option<&'a Record>, Option<&'a Record>) {
        let updates: Vec<&Record> =
            self.updates_of.get(key).map(Vec::as_slice).unwrap_or_default().iter().copied().filter(|r| r.author.as_str() == assignee && &r.created >= assigned).collect();
        (updates.len(), updates.first().copied(), updates.last().copied())
    }

    fn events(&self, n: usize) -> (usize, Vec<&'a Record>) {
        let mut events: Vec<&Record> = self.of.iter().copied().filter(|r| r.created <= self.now && types::is_exercise(r) == self.exercise).collect();
        events.sort_unstable_by(|a, b| (&a.created, a.id.as_str()).cmp(&(&b.created, b.id.as_str())));
        let total = events.len();
        (total, events.split_off(total.saturating_sub(n)))
    }
}

/// [`state`] with each crisis's records read through `of_crisis`.
pub(crate) fn state_with<'a>(records: &'a Records, ctx: &Context<'_>, of_crisis: &dyn Fn(&'a Record) -> Box<dyn Of<'a> + 'a>) -> Value {
    let parties = &ctx.agreement.terms.parties;
    let playbooks: Vec<Value> = records
        .of_kind(PLAYBOOK)
        .map(|p| {
            let c = consent::of(records, ENDORSEMENT, p, parties.iter());
            json!({
                "id": p.id.as_str(),
                "author": p.author.as_str(),
                "title": get(p, "title"),
                "hazard": get(p, "hazard"),
                "roles": get(p, "roles"),
                "phases": get(p, "phases"),
                "ack_within_minutes": get(p, "ack_within_minutes"),
                "communication": get(p, "communication"),
                "activation_criteria": get(p, "activation_criteria"),
                "version": p.modified.as_str(),
                "endorsed": c.agreed(),
                "endorsed_by": c.given.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                "awaiting": c.awaiting.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut crises: Vec<(bool, usize, &Record, Value)> = records
        .of_kind(CRISIS)
        .map(|c| {
            let rank = SEVERITIES.iter().position(|s| Some(*s) == str_of(c, "severity")).unwrap_or(SEVERITIES.len());
            (closed(c), rank, c, picture(c, &*of_crisis(c), records, ctx))
        })
        .collect();
    crises.sort_by(|a, b| (a.0, a.1, &a.2.created, &a.2.id).cmp(&(b.0, b.1, &b.2.created, &b.2.id)));
    let active = crises.iter().filter(|c| !c.0).count();
    let exercises = crises.iter().filter(|c| !c.0 && types::is_exercise(c.2)).count();
    json!({
        "playbooks": playbooks,
        "crises": crises.into_iter().map(|c| c.3).collect::<Vec<_>>(),
        "active": active,
        "active_real": active - exercises,
        "active_exercises": exercises,
    })
}

/// One crisis's common operating picture, from its records (`of`: the
/// records naming it).
fn picture<'a>(c: &'a Record, of_crisis: &dyn Of<'a>, records: &'a Records, ctx: &Context<'_>) -> Value {
    let others = of_crisis.others();
    let of = others.as_slice();
    let now = &ctx.now;
    let exercise = types::is_exercise(c);
    let is_closed = closed(c);
    let closed_at = is_closed.then(|| c.modified.clone());
    let cutoff = closed_at.as_ref().map_or_else(|| now.clone(), |t| t.min(now).clone());
    // A record of the crisis counts when it is dated by now, and says the
    // same of exercise as the crisis (any other is ignored, and counted).
    let counts = |r: &&&Record| &r.created <= now && types::is_exercise(r) == exercise;
    let ignored = of_crisis.ignored();
    let lead = c.author.as_str();
    let mut breaches = (0u64, 0u64);

    // Acknowledgements by every party but the lead.
    let ack_minutes = c.properties.get("ack_within_minutes").and_then(Value::as_u64).unwrap_or(DEFAULT_ACK_MINUTES);
    let ack_deadline = plus(&c.created, ack_minutes);
    let acks: Vec<Value> = ctx
        .agreement
        .terms
        .parties
        .iter()
        .filter(|p| p.as_str() != lead)
        .map(|p| {
            let at = of.iter().filter(counts).filter(|r| r.kind == ACKNOWLEDGEMENT && r.author == *p).map(|r| r.created.clone()).min();
            let breached = match &at {
                Some(t) => t > &ack_deadline,
                None => ack_deadline < cutoff,
            };
            breaches.0 += u64::from(breached);
            json!({
                "party": p.as_str(),
                "acknowledged_at": at.as_ref().map(Timestamp::as_str),
                "minutes_to_acknowledge": at.as_ref().map(|t| minutes_between(&c.created, t)),
                "deadline": ack_deadline.to_string(),
                "breached": breached,
            })
        })
        .collect();

    // Tasks, moved by their assignee's updates since the assignment.
    let mut tasks = Vec::new();
    let mut open = Vec::new();
    for t in types::tasks(c) {
        let key = t.get("key").and_then(Value::as_str).unwrap_or_default();
        let assignee = t.get("assignee_ref").and_then(Value::as_str).unwrap_or_default();
        let Some(assigned) = t.get("assigned_at").and_then(Value::as_str).and_then(|s| Timestamp::parse(s).ok()) else { continue };
        let (updates, first, last) = of_crisis.updates(key, assignee, &assigned);
        let status = last.and_then(|u| str_of(u, "status")).unwrap_or("open");
        let acknowledged = first.map(|u| u.created.clone());
        let done = last.filter(|_| status == "done").map(|u| u.created.clone());
        let ack_deadline = plus(&assigned, t.get("ack_within_minutes").and_then(Value::as_u64).unwrap_or(DEFAULT_ACK_MINUTES));
        let done_deadline = plus(&assigned, t.get("complete_within_minutes").and_then(Value::as_u64).unwrap_or(DEFAULT_ACK_MINUTES));
        let ack_breached = match &acknowledged {
            Some(at) => at > &ack_deadline,
            None => ack_deadline < cutoff,
        };
        let complete_breached = status != "declined"
            && match &done {
                Some(at) => at > &done_deadline,
                None => done_deadline < cutoff,
            };
        breaches.0 += u64::from(ack_breached);
        breaches.1 += u64::from(complete_breached);
        let is_open = !is_closed && status != "done" && status != "declined";
        if is_open {
            open.push(Value::from(key));
        }
        tasks.push(json!({
            "key": key,
            "title": t.get("title"),
            "phase": t.get("phase"),
            "role": t.get("role"),
            "assignee": assignee,
            "assigned_at": assigned.as_str(),
            "status": status,
            "reason": last.filter(|_| status == "declined").map(|u| get(u, "reason")),
            "acknowledged_at": acknowledged.as_ref().map(Timestamp::as_str),
            "done_at": done.as_ref().map(Timestamp::as_str),
            "ack_deadline": ack_deadline.to_string(),
            "complete_deadline": done_deadline.to_string(),
            "ack_breached": ack_breached,
            "complete_breached": complete_breached,
            "open": is_open,
            "updates": updates,
            "last_update": last.map(|u| json!({ "id": u.id.as_str(), "status": get(u, "status"), "note": get(u, "note"), "created": u.created.as_str() })),
        }));
    }

    // The latest situation report per party (by period end, then when made),
    // filed by the crisis's close.
    let filed = |r: &&&Record| closed_at.as_ref().is_none_or(|t| &r.created <= t);
    let mut latest: BTreeMap<&str, (&Record, usize)> = BTreeMap::new();
    let mut intelligence: BTreeSet<&str> = BTreeSet::new();
    for s in of.iter().filter(counts).filter(filed).filter(|r| r.kind == SITREP) {
        for id in s.properties.get("key_intelligence_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            intelligence.insert(id);
        }
        let key = |r: &Record| (str_of(r, "period_end").and_then(|t| Timestamp::parse(t).ok()), r.created.clone(), r.id.clone());
        let entry = latest.entry(s.author.as_str()).or_insert((s, 0));
        entry.1 += 1;
        if key(s) > key(entry.0) {
            entry.0 = s;
        }
    }
    let sitreps: Vec<Value> = latest
        .values()
        .map(|(s, n)| {
            let due = str_of(s, "next_report_due").and_then(|t| Timestamp::parse(t).ok());
            json!({
                "party": s.author.as_str(),
                "id": s.id.as_str(),
                "reports": n,
                "period_start": get(s, "period_start"),
                "period_end": get(s, "period_end"),
                "situation_summary": get(s, "situation_summary"),
                "observations": get(s, "observations"),
                "actions_taken": get(s, "actions_taken"),
                "actions_planned": get(s, "actions_planned"),
                "resources_committed": get(s, "resources_committed"),
                "impact": get(s, "impact"),
                "next_report_due": get(s, "next_report_due"),
                "overdue": !is_closed && due.is_some_and(|d| &d < now),
                "key_intelligence_refs": get(s, "key_intelligence_refs"),
                "created": s.created.as_str(),
            })
        })
        .collect();

    // Assistance: each request with its steps, each by the party that may take it.
    let mut steps_of: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in of.iter().filter(counts).filter(|r| r.kind == ASSISTANCE && str_of(r, "step") != Some("request")) {
        if let Some(q) = str_of(r, "request_ref") {
            steps_of.entry(q).or_default().push(r);
        }
    }
    let assistance: Vec<Value> = of
        .iter()
        .filter(counts)
        .filter(|r| r.kind == ASSISTANCE && str_of(r, "step") == Some("request"))
        .map(|q| {
            let steps: Vec<&Record> = steps_of
                .get(q.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|s| (str_of(s, "step") == Some("release")) == (s.author == q.author))
                .collect();
            let total = |step: &str| -> f64 { steps.iter().filter(|s| str_of(s, "step") == Some(step)).filter_map(|s| s.properties.get("quantity").and_then(Value::as_f64)).sum() };
            let stage = steps.iter().filter_map(|s| STEPS.iter().position(|x| Some(*x) == str_of(s, "step"))).max().unwrap_or(0);
            json!({
                "id": q.id.as_str(),
                "requester": q.author.as_str(),
                "resource": get(q, "resource"),
                "quantity": get(q, "quantity"),
                "unit": get(q, "unit"),
                "description": get(q, "description"),
                "needed_by": get(q, "needed_by"),
                "stage": STEPS[stage],
                "offered": total("offer"),
                "committed": total("commit"),
                "delivered": total("deliver"),
                "exceeds_request": steps.iter().any(|s| s.properties.get("exceeds_request") == Some(&Value::Bool(true))),
                "providers": steps.iter().filter(|s| s.author != q.author).map(|s| s.author.as_str()).collect::<BTreeSet<_>>(),
                "steps": steps.iter().map(|s| json!({ "id": s.id.as_str(), "step": get(s, "step"), "by": s.author.as_str(), "quantity": get(s, "quantity"), "note": get(s, "note"), "created": s.created.as_str() })).collect::<Vec<_>>(),
            })
        })
        .collect();

    let reviews: Vec<Value> = match &closed_at {
        Some(t) => of
            .iter()
            .filter(counts)
            .filter(|r| r.kind == REVIEW && &r.created >= t)
            .map(|r| json!({ "party": r.author.as_str(), "id": r.id.as_str(), "went_well": get(r, "went_well"), "to_improve": get(r, "to_improve"), "created": r.created.as_str() }))
            .collect(),
        None => Vec::new(),
    };

    // The timeline: the crisis's versions and every record of it, by time;
    // the picture holds its newest TIMELINE_NEWEST events and the count
    // (the pages read the whole timeline a page at a time from the store).
    let (timeline_total, newest) = timeline_of(c, of_crisis, records, now);

    json!({
        "id": c.id.as_str(),
        "title": get(c, "title"),
        "summary": get(c, "summary"),
        "severity": get(c, "severity"),
        "hazard": get(c, "hazard"),
        "exercise": exercise,
        "distribution_status": if exercise { "Exercise" } else { "Actual" },
        "lead": lead,
        "playbook": get(c, "playbook_ref"),
        "playbook_version": get(c, "playbook_version"),
        "status": if is_closed { "closed" } else { "active" },
        "activated": c.created.as_str(),
        "closed_at": closed_at.as_ref().map(Timestamp::as_str),
        "close_reason": get(c, "close_reason"),
        "ack_within_minutes": ack_minutes,
        "acknowledgements": acks,
        "tasks": tasks,
        "open_tasks": open,
        "breaches": { "acknowledge": breaches.0, "complete": breaches.1 },
        "sitreps": sitreps,
        "key_intelligence": intelligence.into_iter().collect::<Vec<_>>(),
        "assistance": assistance,
        "reviews": reviews,
        "timeline": newest.into_iter().map(|(at, _, r)| r.event(at)).collect::<Vec<_>>(),
        "timeline_total": timeline_total,
        "ignored_records": ignored,
    })
}

/// How many of a crisis's newest timeline events its picture holds.
pub const TIMELINE_NEWEST: usize = 50;

/// One event of a timeline: a version of the crisis (what it did) or a
/// record naming it.
enum Event<'a> {
    Crisis(&'static str, &'a Record),
    Of(&'a Record),
}

impl Event<'_> {
    fn event(&self, at: &Timestamp) -> Value {
        let (what, r) = match self {
            Event::Crisis(what, v) => ((*what).to_owned(), *v),
            Event::Of(r) => (
                match r.kind.as_str() {
                    ACKNOWLEDGEMENT => "acknowledged".to_owned(),
                    TASK_UPDATE => format!("task {}: {}", str_of(r, "task").unwrap_or_default(), str_of(r, "status").unwrap_or_default()),
                    SITREP => "sitrep".to_owned(),
                    ASSISTANCE => format!("assistance: {}", str_of(r, "step").unwrap_or_default()),
                    REVIEW => "review".to_owned(),
                    other => other.to_owned(),
                },
                *r,
            ),
        };
        json!({ "at": at.as_str(), "event": what, "by": r.author.as_str(), "id": r.id.as_str() })
    }
}

/// Crisis `c`'s timeline dated by `now`, oldest first (by time, then id):
/// its versions, and the records naming it that count ([`Of::events`]):
/// how many events, and the newest [`TIMELINE_NEWEST`]. Only the events
/// drawn become JSON.
fn timeline_of<'a>(c: &'a Record, of_crisis: &dyn Of<'a>, records: &'a Records, now: &Timestamp) -> (usize, Vec<(&'a Timestamp, &'a str, Event<'a>)>) {
    let versions = records.versions(&c.id);
    let (counted, newest) = of_crisis.events(TIMELINE_NEWEST);
    let mut timeline = Vec::with_capacity(newest.len() + versions.len());
    for (i, v) in versions.iter().enumerate().filter(|(_, v)| &v.modified <= now) {
        let what = match (i, closed(v)) {
            (0, _) => "activated",
            (_, true) if !versions[..i].iter().any(closed) => "closed",
            _ => "revised",
        };
        timeline.push((&v.modified, c.id.as_str(), Event::Crisis(what, v)));
    }
    let total = counted + timeline.len();
    for r in newest {
        timeline.push((&r.created, r.id.as_str(), Event::Of(r)));
    }
    timeline.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let len = timeline.len();
    (total, timeline.split_off(len.saturating_sub(TIMELINE_NEWEST)))
}

/// What needs `me` in a crisis `state` ([`state`]): an active crisis it
/// has not acknowledged (due at the acknowledgement deadline), its open
/// tasks (due at the acknowledgement deadline until acknowledged, then at
/// the completion deadline), and its next situation report (due when its
/// latest report said; its first, with no due date).
pub fn needs(state: &Value, me: &str) -> Vec<partnership::Need> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for c in state["crises"].as_array().into_iter().flatten().filter(|c| c["status"] == "active") {
        let tag = if c["exercise"] == true { "[EXERCISE] " } else { "" };
        let title = format!("{tag}{}", text(c, "title"));
        for a in c["acknowledgements"].as_array().into_iter().flatten() {
            if a["party"] == me && a["acknowledged_at"].is_null() {
                out.push(partnership::Need { what: "acknowledge-crisis", record: text(c, "id"), title: title.clone(), due: Some(text(a, "deadline")), overdue: a["breached"] == true });
            }
        }
        for t in c["tasks"].as_array().into_iter().flatten().filter(|t| t["assignee"] == me && t["open"] == true) {
            let (due, overdue) = if t["acknowledged_at"].is_null() { ("ack_deadline", "ack_breached") } else { ("complete_deadline", "complete_breached") };
            out.push(partnership::Need { what: "crisis-task", record: text(c, "id"), title: format!("{title}: {}", text(t, "title")), due: Some(text(t, due)), overdue: t[overdue] == true });
        }
        let mine = c["sitreps"].as_array().into_iter().flatten().find(|s| s["party"] == me);
        match mine {
            Some(s) if s["next_report_due"].is_string() => {
                out.push(partnership::Need { what: "sitrep-due", record: text(c, "id"), title: title.clone(), due: Some(text(s, "next_report_due")), overdue: s["overdue"] == true });
            }
            Some(_) => {}
            None => out.push(partnership::Need { what: "sitrep-due", record: text(c, "id"), title, due: None, overdue: false }),
        }
    }
    out
}

/// Each crisis's own TAXII collection in a crisis `state` ([`state`]): its
/// id the UUID of the crisis record's id, its title naming the crisis (an
/// exercise's marked `[EXERCISE]` in the title and said so in the
/// description), anchored on the crisis record (a grouping or report
/// shared under the agreement that names the crisis puts itself and what
/// it names in), and the key intelligence its situation reports name.
pub fn collections(state: &Value) -> Vec<partnership::Collection> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for c in state["crises"].as_array().into_iter().flatten() {
        let id = text(c, "id");
        let Some((_, uuid)) = id.split_once("--") else { continue };
        let exercise = c["exercise"] == true;
        let tag = if exercise { "[EXERCISE] " } else { "" };
        let kind = if exercise { "an exercise, not a real crisis" } else { "a real crisis" };
        out.push(partnership::Collection {
            id: uuid.to_owned(),
            title: format!("{tag}Crisis: {}", text(c, "title")),
            description: format!(
                "Intelligence of crisis {id} ({kind}, {}): objects shared under its agreement in a grouping or report naming the crisis, and the key intelligence of its situation reports",
                text(c, "status")
            ),
            anchor: id.clone(),
            named: c["key_intelligence"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect(),
        });
    }
    out
}
