//! The partnership modules' states at the scorecard's time, read through
//! `crate::modules::view_at` (the viewer's gate, logged), mapped to the
//! scorecard's yes-or-no checks and fair-share ratios
//! (docs/assessment.md#partnership-indicators). A module this build does
//! not run makes its indicator absent, saying so. Each mapping reads the
//! state JSON the module's `rules.rs` documents.

use model::{StixId, Timestamp};
use scorecard::{Burden, Check, Evidence, Indicator};
use serde_json::Value;

use crate::modules::{self, Error, Modules, Node};

/// Adds the checks and ratios of every module of `modules` to `e`.
pub fn from_modules(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, at: &Timestamp, channel: &str, e: &mut Evidence) -> Result<(), Error> {
    let now = at.micros();
    let state = |name: &str, indicator: Indicator, e: &mut Evidence| -> Result<Option<Value>, Error> {
        let Some(module) = modules.iter().find(|m| m.name() == name) else {
            if !e.absent.contains_key(&indicator) {
                e.absent.insert(indicator, format!("the {name} module is not in this build"));
            }
            return Ok(None);
        };
        let scope = modules::view_at(node, me, agreement, &**module, channel, at.clone())?;
        // The module's complete state (`Module::file_state`), not the page's
        // (resources bounds its lists there): the evidence counts every entry.
        // The bare state, as each mapping below reads it (not the API's
        // envelope around it).
        Ok(Some(module.file_state(&scope.records, &scope.ctx())))
    };
    if let Some(s) = state("objectives", Indicator::Objectives, e)? {
        objectives(&s, now, e);
    }
    if let Some(s) = state("crisis", Indicator::Crisis, e)? {
        crisis(&s, now, e);
    }
    if let Some(s) = state("exercises", Indicator::Exercises, e)? {
        exercises(&s, now, e);
    }
    if let Some(s) = state("dialogue", Indicator::Dialogue, e)? {
        dialogue(&s, now, &e.parties.clone(), e);
    }
    if let Some(s) = state("disputes", Indicator::Dialogue, e)? {
        disputes(&s, now, e);
    }
    if let Some(s) = state("resources", Indicator::Burden, e)? {
        resources(&s, at, e);
    }
    Ok(())
}

fn text(v: &Value) -> Option<&str> {
    v.as_str()
}

fn time(v: &Value) -> Option<i64> {
    v.as_str().and_then(|t| Timestamp::parse(t).ok()).map(|t| t.micros())
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn push(e: &mut Evidence, indicator: Indicator, party: &str, towards: Option<&str>, id: &str, at: i64, ok: bool, exercise: bool) {
    e.checks.push(Check { indicator, party: party.to_owned(), towards: towards.map(str::to_owned), id: id.to_owned(), at, ok, exercise });
}

/// Objectives: each KPI of an adopted objective, for its reporting party,
/// kept when its status is `met` or `on-track` at the scorecard's time.
pub fn objectives(s: &Value, now: i64, e: &mut Evidence) {
    for o in list(&s["objectives"]) {
        if o["status"].is_null() {
            continue; // not adopted, or closed: no status
        }
        let id = text(&o["id"]).unwrap_or_default();
        for k in list(&o["kpis"]) {
            let Some(party) = text(&k["reporting_party"]) else { continue };
            let ok = matches!(text(&k["status"]), Some("met" | "on-track"));
            push(e, Indicator::Objectives, party, None, id, now, ok, false);
        }
    }
}

/// Crises: each party's acknowledgement once decided (made, or its
/// deadline passed), kept when in time, owed to the lead; each task once
/// decided (done, or its completion deadline passed), kept when done in
/// time; each provider's offer of assistance once decided (committed, or
/// the request's `needed_by` passed), kept when it committed or delivered,
/// owed to the requester. A crisis marked exercise is exercise data.
pub fn crisis(s: &Value, now: i64, e: &mut Evidence) {
    for c in list(&s["crises"]) {
        let id = text(&c["id"]).unwrap_or_default();
        let lead = text(&c["lead"]);
        let exercise = c["exercise"] == true;
        for a in list(&c["acknowledgements"]) {
            let Some(party) = text(&a["party"]) else { continue };
            let breached = a["breached"] == true;
            let at = time(&a["acknowledged_at"]).or_else(|| time(&a["deadline"])).unwrap_or(now);
            if time(&a["acknowledged_at"]).is_some() || breached {
                push(e, Indicator::Crisis, party, lead, id, at, !breached, exercise);
            }
        }
        for t in list(&c["tasks"]) {
            let Some(party) = text(&t["assignee"]) else { continue };
            let breached = t["complete_breached"] == true;
            if time(&t["done_at"]).is_some() || breached {
                let at = time(&t["done_at"]).or_else(|| time(&t["complete_deadline"])).unwrap_or(now);
                push(e, Indicator::Crisis, party, lead, id, at, !breached, exercise);
            }
        }
        for q in list(&c["assistance"]) {
            let requester = text(&q["requester"]);
            let qid = text(&q["id"]).unwrap_or(id);
            let past = time(&q["needed_by"]).is_some_and(|t| t < now);
            let mut providers: std::collections::BTreeMap<&str, (bool, i64)> = std::collections::BTreeMap::new();
            for step in list(&q["steps"]) {
                let Some(by) = text(&step["by"]).filter(|b| Some(*b) != requester) else { continue };
                let at = time(&step["created"]).unwrap_or(now);
                let entry = providers.entry(by).or_insert((false, at));
                entry.0 |= matches!(text(&step["step"]), Some("commit" | "deliver"));
                entry.1 = entry.1.min(at);
            }
            for (by, (kept, at)) in providers {
                if kept || past {
                    push(e, Indicator::Crisis, by, requester, qid, at, kept, exercise);
                }
            }
        }
    }
}

/// Exercises and learning: each participant of a started exercise, kept
/// when it endorsed the plan; each remedial action of the after-action
/// report once decided (done, or overdue), kept when done by its due date
/// (its update to done at or before it). Taking part in an exercise is a real
/// fact: these checks are not exercise data, the exercise's content is.
pub fn exercises(s: &Value, now: i64, e: &mut Evidence) {
    for x in list(&s["exercises"]) {
        let id = text(&x["id"]).unwrap_or_default();
        if let Some(started) = time(&x["started_at"]) {
            let endorsed: Vec<&str> = list(&x["endorsed_by"]).filter_map(Value::as_str).collect();
            for p in list(&x["participants"]) {
                let Some(party) = text(&p["party_ref"]) else { continue };
                push(e, Indicator::Exercises, party, None, id, started, endorsed.contains(&party), false);
            }
        }
        for a in list(&x["aar"]["actions"]) {
            let Some(owner) = text(&a["owner"]) else { continue };
            let done = a["status"] == "done";
            if !done && a["overdue"] != true {
                continue;
            }
            let due = time(&a["due"]);
            let last = list(&a["updates"]).filter(|u| u["status"] == "done").filter_map(|u| time(&u["created"])).max();
            let on_time = done && due.is_none_or(|d| last.is_none_or(|l| l <= d));
            let aid = text(&a["id"]).unwrap_or(id);
            push(e, Indicator::Exercises, owner, None, aid, due.or(last).unwrap_or(now), on_time, false);
        }
    }
}

/// Dialogue: each participant of a held meeting (kept), each meeting the
/// agreement's cadence planned and none was held for (missed by every
/// party), each action item once decided (closed, or overdue), kept when
/// closed by its due date (its closing update at or before it).
pub fn dialogue(s: &Value, now: i64, parties: &[String], e: &mut Evidence) {
    for m in list(&s["meetings"]) {
        if m["status"] != "held" {
            continue;
        }
        let id = text(&m["id"]).unwrap_or_default();
        let at = time(&m["date"]).unwrap_or(now);
        let attended: std::collections::BTreeSet<&str> = list(&m["participants"]).filter_map(|p| text(&p["party_ref"])).collect();
        for party in attended {
            push(e, Indicator::Dialogue, party, None, id, at, true, false);
        }
    }
    for c in list(&s["cadence"]) {
        let missed = c["missed"].as_u64().unwrap_or(0).min(1000);
        let kind = text(&c["meeting_type"]).unwrap_or("meeting");
        for k in 0..missed {
            for p in parties {
                push(e, Indicator::Dialogue, p, None, &format!("cadence:{kind}#{k}"), now, false, false);
            }
        }
    }
    for i in list(&s["action_items"]) {
        let Some(owner) = text(&i["owner"]) else { continue };
        let closed = i["status"] == "closed";
        if !closed && i["overdue"] != true {
            continue;
        }
        let due = time(&i["due"]);
        let last = list(&i["updates"]).filter(|u| u["update"] == "close").filter_map(|u| time(&u["created"])).max();
        let on_time = closed && due.is_none_or(|d| last.is_none_or(|l| l <= d));
        push(e, Indicator::Dialogue, owner, None, text(&i["id"]).unwrap_or_default(), due.or(last).unwrap_or(now), on_time, false);
    }
}

/// Disputes: each party to a dispute (who raised it and the respondents),
/// kept when the dispute is settled or its current stage is not past its
/// deadline.
pub fn disputes(s: &Value, now: i64, e: &mut Evidence) {
    for d in list(&s["disputes"]) {
        let id = text(&d["id"]).unwrap_or_default();
        let ok = d["status"] == "settled" || d["overdue"] != true;
        let at = time(&d["settled_at"]).unwrap_or(now);
        for p in text(&d["raised_by"]).into_iter().chain(list(&d["respondents"]).filter_map(Value::as_str)) {
            push(e, Indicator::Dialogue, p, None, id, at, ok, false);
        }
    }
}

/// Burden: each party's fair-share ratio in the latest year up to the
/// scorecard's, with its confirmed deliveries as n and evidence.
pub fn resources(s: &Value, at: &Timestamp, e: &mut Evidence) {
    let year: i64 = at.as_str().get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let Some(period) = list(&s["periods"]).filter(|p| p["year"].as_i64().is_some_and(|y| y <= year)).max_by_key(|p| p["year"].as_i64()) else { return };
    let py = period["year"].as_i64().unwrap_or(year);
    for row in list(&period["parties"]) {
        let (Some(party), Some(ratio)) = (text(&row["party"]), row["fair_share_ratio"].as_f64()) else { continue };
        let evidence: Vec<String> = list(&s["ledger"])
            .filter(|x| x["giver"] == party && x["status"] == "confirmed")
            .filter_map(|x| text(&x["id"]).map(str::to_owned))
            .collect();
        e.burden.push(Burden { party: party.to_owned(), year: py, ratio, n: evidence.len() as u64, evidence });
    }
}
