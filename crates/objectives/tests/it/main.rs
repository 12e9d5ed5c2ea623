//! The objectives module's tests: the kit's contract (`module_suite!`),
//! adoption by endorsement of the exact latest version, bad input refused
//! naming the property, progress and status under a controlled clock, and
//! the same state from the same records in any order and split.

use model::{Object, Timestamp};
use objectives::{Objectives, ENDORSEMENT, OBJECTIVE, REPORT};
use partnership::suite::{Step, World};
use partnership::{Draft, Error, Module, Record, Records};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A KPI as an action's input.
fn kpi(name: &str, baseline: f64, target: f64, due: &str, reporter: &World, who: usize) -> Value {
    let direction = if target >= baseline { "increase" } else { "decrease" };
    json!({
        "name": name, "unit": "count", "baseline": baseline, "target": target, "direction": direction,
        "due": due, "weight": 1, "reporting_party_ref": reporter.partners[who].as_str(),
    })
}

fn scenario() -> Vec<Step> {
    let w = World::new();
    vec![
        (0, "propose", json!({ "title": "Share faster", "kpis": [kpi("hours to share", 12.0, 4.0, "2027-01-01T00:00:00Z", &w, 1)] })),
        (1, "propose", json!({ "title": "Train together", "description": "joint exercises", "kpis": [kpi("exercises", 1.0, 4.0, "2027-06-01T00:00:00Z", &w, 2), kpi("seats", 0.0, 12.0, "2027-06-01T00:00:00Z", &w, 0)] })),
        (2, "propose", json!({ "title": "Pool analysts", "kpis": [kpi("analysts", 2.0, 6.0, "2026-12-01T00:00:00Z", &w, 2)] })),
    ]
}

partnership::module_suite!(Objectives, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// Records made one action at a time by the parties of the suite's
/// trilateral agreement (partners 0–2; partner 3 is no party), at the
/// clock each action gives.
struct Bench {
    world: World,
    made: Vec<Record>,
}

impl Bench {
    fn new() -> Bench {
        Bench { world: World::new(), made: Vec::new() }
    }

    fn records(&self) -> Records {
        Records::new(self.made.clone())
    }

    fn try_act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Result<Record, Error> {
        let Value::Object(input) = input else { panic!("an object") };
        let object = partnership::author(&Objectives, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        self.try_act(who, action, input, now).unwrap_or_else(|e| panic!("{action} by {who}: {e}"))
    }

    /// Refused, naming `property`; nothing made.
    fn refused(&mut self, who: usize, action: &str, input: Value, now: &str, property: &str) {
        let before = self.made.len();
        match self.try_act(who, action, input, now) {
            Err(Error::Invalid { property: p, reason, .. }) => assert_eq!(p, property, "{action}: {reason}"),
            other => panic!("{action}: not refused for `{property}`: {other:?}"),
        }
        assert_eq!(self.made.len(), before);
    }

    fn state(&self, who: usize, now: &str) -> Value {
        Objectives.state(&self.records(), &self.world.ctx(who, &at(now)))
    }

    fn kpi(&self, who: usize, name: &str, baseline: f64, target: f64, due: &str) -> Value {
        kpi(name, baseline, target, due, &self.world, who)
    }

    /// An objective by partner 0 at `now` with one KPI reported by partner 1, endorsed by all three.
    fn adopted(&mut self, now: &str, kpis: Value) -> Record {
        let o = self.act(0, "propose", json!({ "title": "Share faster", "kpis": kpis }), now);
        for who in 0..3 {
            self.act(who, "endorse", json!({ "objective": o.id.as_str() }), now);
        }
        o
    }
}

fn objective<'a>(state: &'a Value, id: &Record) -> &'a Value {
    state["objectives"].as_array().unwrap().iter().find(|o| o["id"] == id.id.as_str()).unwrap_or_else(|| panic!("{} not in {state}", id.id))
}

#[test]
fn adopted_when_every_party_endorses_the_latest_version_and_an_amendment_resets() {
    let mut b = Bench::new();
    let now = "2026-03-01T00:00:00Z";
    let kpis = json!([b.kpi(1, "hours to share", 12.0, 4.0, "2026-12-31T00:00:00Z")]);
    let o = b.act(0, "propose", json!({ "title": "Share faster", "kpis": kpis }), now);
    let s = b.state(0, now);
    assert_eq!(objective(&s, &o)["stage"], "awaiting-endorsement", "{s}");
    assert_eq!(objective(&s, &o)["awaiting"].as_array().unwrap().len(), 3, "proposing is not endorsing");
    for who in 0..2 {
        b.act(who, "endorse", json!({ "objective": o.id.as_str() }), now);
    }
    let s = b.state(0, now);
    assert_eq!(objective(&s, &o)["stage"], "awaiting-endorsement");
    assert_eq!(objective(&s, &o)["awaiting"], json!([b.world.partners[2].as_str()]));
    b.act(2, "endorse", json!({ "objective": o.id.as_str() }), "2026-03-02T00:00:00Z");
    let s = b.state(1, "2026-03-03T00:00:00Z");
    assert_eq!(objective(&s, &o)["stage"], "adopted", "{s}");
    assert_eq!(objective(&s, &o)["adopted_at"], "2026-03-02T00:00:00Z");
    assert_eq!(objective(&s, &o)["status"], "on-track");
    // Endorsing the same version twice is refused.
    b.refused(1, "endorse", json!({ "objective": o.id.as_str() }), now, "version");

    // The author amends: a new version awaits every party again.
    let kpis = json!([b.kpi(1, "hours to share", 12.0, 3.0, "2026-12-31T00:00:00Z")]);
    let v2 = b.act(0, "amend", json!({ "objective": o.id.as_str(), "kpis": kpis }), "2026-04-01T00:00:00Z");
    let s = b.state(1, "2026-04-02T00:00:00Z");
    let got = objective(&s, &o);
    assert_eq!((got["stage"].as_str(), got["versions"].as_u64()), (Some("awaiting-endorsement"), Some(2)), "{s}");
    assert_eq!(got["awaiting"].as_array().unwrap().len(), 3);
    assert_eq!(got["adopted_version"], o.modified.to_string(), "the first version stays the one adopted");
    assert_eq!(got["status"], Value::Null, "no status while awaiting endorsement");
    // Every party endorsed the first version, which does not adopt the
    // second; endorsing the first again is refused.
    b.refused(0, "endorse", json!({ "objective": o.id.as_str(), "version": o.modified.to_string() }), "2026-04-03T00:00:00Z", "version");
    b.refused(1, "endorse", json!({ "objective": o.id.as_str(), "version": "2026-03-15T00:00:00Z" }), "2026-04-03T00:00:00Z", "version");
    for who in 0..3 {
        b.act(who, "endorse", json!({ "objective": o.id.as_str() }), "2026-04-04T00:00:00Z");
    }
    let s = b.state(2, "2026-04-05T00:00:00Z");
    assert_eq!(objective(&s, &o)["stage"], "adopted");
    assert_eq!(objective(&s, &o)["adopted_version"], v2.modified.to_string());
    // Withdrawing one endorsement takes adoption away.
    let mine = b.made.iter().rev().find(|r| r.kind == ENDORSEMENT && r.author == b.world.partners[2]).unwrap().clone();
    b.act(2, "withdraw-endorsement", json!({ "endorsement": mine.id.as_str() }), "2026-04-06T00:00:00Z");
    let s = b.state(2, "2026-04-07T00:00:00Z");
    assert_eq!(objective(&s, &o)["stage"], "awaiting-endorsement");
    assert_eq!(objective(&s, &o)["awaiting"], json!([b.world.partners[2].as_str()]));
    // Only the author amends.
    let other = b.try_act(1, "amend", json!({ "objective": o.id.as_str(), "title": "mine now" }), "2026-04-08T00:00:00Z");
    assert!(matches!(other, Err(Error::Forbidden(_))), "{other:?}");
}

#[test]
fn bad_input_is_refused_naming_the_property_and_nothing_is_made() {
    let mut b = Bench::new();
    let now = "2026-03-01T00:00:00Z";
    let due = "2026-12-31T00:00:00Z";
    let good = b.kpi(1, "hours", 12.0, 4.0, due);
    let with = |changes: Value| -> Value {
        let mut k = good.clone();
        for (key, v) in changes.as_object().unwrap() {
            if v.is_null() {
                k.as_object_mut().unwrap().remove(key);
            } else {
                k[key] = v.clone();
            }
        }
        json!({ "title": "t", "kpis": [good.clone(), k] })
    };
    let cases = [
        (with(json!({ "name": "other", "baseline": null })), "kpis[1].baseline"),
        (with(json!({ "name": "other", "target": 12 })), "kpis[1].target"),
        (with(json!({ "name": "other", "target": 20 })), "kpis[1].target"),
        (with(json!({ "name": "other", "direction": "sideways" })), "kpis[1].direction"),
        (with(json!({ "name": "other", "due": "2026-02-28T00:00:00Z" })), "kpis[1].due"),
        (with(json!({ "name": "other", "due": "tomorrow" })), "kpis[1].due"),
        (with(json!({ "name": "other", "weight": 0 })), "kpis[1].weight"),
        (with(json!({ "name": "other", "reporting_party_ref": b.world.partners[3].as_str() })), "kpis[1].reporting_party_ref"),
        (with(json!({ "name": "other", "reporting_party_ref": "indicator--00000000-0000-4000-8000-000000000001" })), "kpis[1].reporting_party_ref"),
        (with(json!({ "name": "other", "baseline": "12" })), "kpis[1].baseline"),
        (with(json!({ "name": "other", "baseline": 1e300 })), "kpis[1].baseline"),
        (with(json!({})), "kpis[1].name"),
        (with(json!({ "name": "other", "baselin": 3 })), "kpis[1].baselin"),
        (json!({ "title": "t", "kpis": [] }), "kpis"),
        (json!({ "title": "t" }), "kpis"),
        (json!({ "title": " ", "kpis": [good.clone()] }), "title"),
        (json!({ "title": "t", "kpis": [good.clone()], "status": "adopted" }), "status"),
    ];
    for (input, property) in cases {
        b.refused(0, "propose", input, now, property);
    }

    let o = b.adopted(now, json!([good.clone()]));
    let id = o.id.as_str();
    // A report by someone not the KPI's reporting party, of a KPI that does
    // not exist, measured before the objective or in the future.
    b.refused(0, "report", json!({ "objective": id, "kpi": "hours", "value": 8 }), now, "kpi");
    b.refused(1, "report", json!({ "objective": id, "kpi": "days", "value": 8 }), now, "kpi");
    b.refused(1, "report", json!({ "objective": id, "kpi": "hours", "value": 8, "measured_at": "2026-02-01T00:00:00Z" }), now, "measured_at");
    b.refused(1, "report", json!({ "objective": id, "kpi": "hours", "value": 8, "measured_at": "2026-09-01T00:00:00Z" }), now, "measured_at");
    b.refused(1, "report", json!({ "objective": id, "kpi": "hours", "value": "eight" }), now, "value");
    b.refused(1, "report", json!({ "objective": id, "kpi": "hours" }), now, "value");
    // Endorsement of a version that does not exist; of no objective.
    b.refused(1, "endorse", json!({ "objective": id, "version": "2026-02-01T00:00:00Z" }), now, "version");
    b.refused(1, "endorse", json!({ "objective": "x-entente-objective--00000000-0000-4000-8000-000000000009" }), now, "objective");
    b.refused(1, "endorse", json!({ "objective": "indicator--00000000-0000-4000-8000-000000000009" }), now, "objective");
    // A partner outside the agreement does nothing at all.
    let outsider = b.try_act(3, "endorse", json!({ "objective": id }), now);
    assert!(matches!(outsider, Err(Error::Forbidden(_))), "{outsider:?}");
}

#[test]
fn a_record_from_a_peer_that_fails_the_checks_is_refused_on_arrival() {
    let mut b = Bench::new();
    let now = "2026-03-01T00:00:00Z";
    let o = b.adopted(now, json!([b.kpi(1, "hours", 12.0, 4.0, "2026-12-31T00:00:00Z")]));
    let ctx = b.world.ctx(1, &at(now));
    let forge = |path: &[&str], value: Value, property: &str| {
        let mut v = Value::Object(o.properties.clone());
        let mut slot = &mut v;
        for p in path {
            slot = match p.parse::<usize>() {
                Ok(i) => &mut slot[i],
                Err(_) => &mut slot[*p],
            };
        }
        *slot = value;
        let object = Object::from_value(v).unwrap();
        match partnership::accept(&Objectives, &object, &ctx) {
            Err(Error::Invalid { property: p, .. }) => assert_eq!(p, property),
            other => panic!("{path:?}: {other:?}"),
        }
    };
    forge(&["kpis", "0", "target"], json!(12), "kpis[0].target");
    forge(&["kpis", "0", "baseline"], Value::Null, "kpis[0].baseline");
    forge(&["kpis", "0", "due"], json!("2026-01-01T00:00:00Z"), "kpis[0].due");
    forge(&["kpis", "0", "reporting_party_ref"], json!(b.world.partners[3].as_str()), "kpis[0].reporting_party_ref");
    assert!(partnership::accept(&Objectives, &Object::from_value(Value::Object(o.properties.clone())).unwrap(), &ctx).is_ok());
}

#[test]
fn reports_by_anyone_but_the_reporting_party_are_ignored_in_the_state() {
    let mut b = Bench::new();
    let now = "2026-03-01T00:00:00Z";
    let o = b.adopted(now, json!([b.kpi(1, "hours", 12.0, 4.0, "2026-12-31T00:00:00Z")]));
    b.act(1, "report", json!({ "objective": o.id.as_str(), "kpi": "hours", "value": 10 }), "2026-03-10T00:00:00Z");
    // Partner 2 writes a report past the action's check (as a peer could): valid on its own, ignored in the state.
    let mut props = Map::new();
    props.insert("objective_ref".into(), json!(o.id.as_str()));
    props.insert("kpi".into(), json!("hours"));
    props.insert("value".into(), json!(4));
    props.insert("measured_at".into(), json!("2026-03-11T00:00:00Z"));
    let now2 = at("2026-03-11T00:00:00Z");
    let forged = partnership::finish(&Objectives, Draft::new(REPORT, props), &b.records(), &b.world.ctx(2, &now2)).unwrap();
    assert!(partnership::accept(&Objectives, &forged, &b.world.ctx(1, &now2)).is_ok(), "a report cannot be checked against its objective on arrival");
    b.made.push(Record::from_object(&forged).unwrap());
    let s = b.state(0, "2026-03-12T00:00:00Z");
    let k = &objective(&s, &o)["kpis"][0];
    assert_eq!(k["latest"], 10.0, "{s}");
    assert_eq!(k["history"].as_array().unwrap().len(), 1);
    assert_eq!(s["ignored_reports"], 1);
    assert_eq!(k["progress"], 0.25);
}

#[test]
fn status_moves_with_the_clock_from_on_track_to_at_risk_to_late_and_to_met() {
    let mut b = Bench::new();
    // Created on 1 January, both KPIs due on 31 December (364 days later).
    let due = "2026-12-31T00:00:00Z";
    let mut hours = b.kpi(2, "hours", 12.0, 4.0, due);
    hours["weight"] = json!(3);
    let kpis = json!([b.kpi(1, "exercises", 0.0, 100.0, due), hours]);
    let o = b.adopted("2026-01-01T00:00:00Z", kpis);
    let look = |b: &Bench, now: &str| -> (String, Vec<String>, f64) {
        let s = b.state(0, now);
        let got = objective(&s, &o);
        let kpis = got["kpis"].as_array().unwrap().iter().map(|k| k["status"].as_str().unwrap().to_owned()).collect();
        (got["status"].as_str().unwrap().to_owned(), kpis, got["progress"].as_f64().unwrap())
    };
    // Two weeks in, nothing reported: expected ≈ 0.04, within the tolerance.
    assert_eq!(look(&b, "2026-01-15T00:00:00Z"), ("on-track".into(), vec!["on-track".into(), "on-track".into()], 0.0));
    b.act(1, "report", json!({ "objective": o.id.as_str(), "kpi": "exercises", "value": 10, "measured_at": "2026-02-28T00:00:00Z" }), "2026-03-01T00:00:00Z");
    b.act(2, "report", json!({ "objective": o.id.as_str(), "kpi": "hours", "value": 10 }), "2026-03-01T00:00:00Z");
    // 1 March: expected ≈ 0.16; exercises at 0.10, hours at 0.25: on track; progress (0.1 + 3·0.25) / 4.
    let (status, kpis, progress) = look(&b, "2026-03-01T00:00:00Z");
    assert_eq!((status.as_str(), kpis), ("on-track", vec!["on-track".to_owned(), "on-track".to_owned()]));
    assert!((progress - 0.2125).abs() < 1e-12, "{progress}");
    // 1 May: expected ≈ 0.33; exercises (0.10) has fallen behind by more than the tolerance.
    assert_eq!(look(&b, "2026-05-01T00:00:00Z").0, "at-risk");
    assert_eq!(look(&b, "2026-05-01T00:00:00Z").1, ["at-risk", "on-track"]);
    // Past due with neither met: late.
    assert_eq!(look(&b, "2027-01-05T00:00:00Z").1, ["late", "late"]);
    assert_eq!(look(&b, "2027-01-05T00:00:00Z").0, "late");
    // Both reach their targets: met, even after the due date.
    b.act(1, "report", json!({ "objective": o.id.as_str(), "kpi": "exercises", "value": 104 }), "2027-01-10T00:00:00Z");
    assert_eq!(look(&b, "2027-01-11T00:00:00Z").1, ["met", "late"]);
    b.act(2, "report", json!({ "objective": o.id.as_str(), "kpi": "hours", "value": 3.5 }), "2027-01-12T00:00:00Z");
    assert_eq!(look(&b, "2027-01-13T00:00:00Z"), ("met".into(), vec!["met".into(), "met".into()], 1.0));
    // The clock before a report was measured does not see it.
    assert_eq!(look(&b, "2026-02-01T00:00:00Z").2, 0.0);
}

#[test]
fn history_follows_measurement_time_and_a_retracted_report_leaves_it() {
    let mut b = Bench::new();
    let o = b.adopted("2026-01-01T00:00:00Z", json!([b.kpi(1, "exercises", 1.0, 4.0, "2026-12-31T00:00:00Z")]));
    let id = o.id.as_str();
    b.act(1, "report", json!({ "objective": id, "kpi": "exercises", "value": 3 }), "2026-06-01T00:00:00Z");
    // A value measured earlier, reported later: it goes before in the history.
    let late = b.act(1, "report", json!({ "objective": id, "kpi": "exercises", "value": 2, "measured_at": "2026-03-01T00:00:00Z", "note": "Q1" }), "2026-06-02T00:00:00Z");
    let s = b.state(0, "2026-06-03T00:00:00Z");
    let k = &objective(&s, &o)["kpis"][0];
    let values: Vec<f64> = k["history"].as_array().unwrap().iter().map(|h| h["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [2.0, 3.0]);
    assert_eq!(k["latest"], 3.0);
    assert_eq!(k["history"][0]["note"], "Q1");
    b.act(1, "retract-report", json!({ "report": late.id.as_str() }), "2026-06-04T00:00:00Z");
    let s = b.state(0, "2026-06-05T00:00:00Z");
    assert_eq!(objective(&s, &o)["kpis"][0]["history"].as_array().unwrap().len(), 1);
    // Only its author retracts a report.
    let first = b.made.iter().find(|r| r.kind == REPORT).unwrap().clone();
    let other = b.try_act(0, "retract-report", json!({ "report": first.id.as_str() }), "2026-06-06T00:00:00Z");
    assert!(matches!(other, Err(Error::Forbidden(_))), "{other:?}");
}

#[test]
fn closing_keeps_the_objective_and_its_progress_withdrawing_removes_it() {
    let mut b = Bench::new();
    let o = b.adopted("2026-01-01T00:00:00Z", json!([b.kpi(1, "exercises", 1.0, 4.0, "2026-12-31T00:00:00Z")]));
    let id = o.id.as_str();
    b.act(1, "report", json!({ "objective": id, "kpi": "exercises", "value": 4 }), "2026-06-01T00:00:00Z");
    b.act(0, "close", json!({ "objective": id, "note": "achieved early" }), "2026-06-02T00:00:00Z");
    let s = b.state(2, "2026-06-03T00:00:00Z");
    let got = objective(&s, &o);
    assert_eq!((got["stage"].as_str(), got["progress"].as_f64(), got["closing_note"].as_str()), (Some("closed"), Some(1.0), Some("achieved early")), "{s}");
    assert_eq!(got["adopted_version"], o.modified.to_string());
    assert_eq!(s["counts"], json!({ "closed": 1 }));
    for (who, action, input) in [
        (1, "report", json!({ "objective": id, "kpi": "exercises", "value": 3 })),
        (2, "endorse", json!({ "objective": id })),
        (0, "amend", json!({ "objective": id, "title": "again" })),
        (0, "close", json!({ "objective": id })),
    ] {
        b.refused(who, action, input, "2026-06-04T00:00:00Z", "objective");
    }
    // A proposal withdrawn leaves the state, and its endorsements and reports with it.
    let p = b.act(2, "propose", json!({ "title": "Pool analysts", "kpis": [b.kpi(2, "analysts", 2.0, 6.0, "2026-12-01T00:00:00Z")] }), "2026-06-05T00:00:00Z");
    b.act(1, "endorse", json!({ "objective": p.id.as_str() }), "2026-06-06T00:00:00Z");
    b.act(2, "withdraw", json!({ "objective": p.id.as_str() }), "2026-06-07T00:00:00Z");
    let s = b.state(0, "2026-06-08T00:00:00Z");
    assert_eq!(s["objectives"].as_array().unwrap().len(), 1, "{s}");
    b.refused(1, "endorse", json!({ "objective": p.id.as_str() }), "2026-06-09T00:00:00Z", "objective");
}

/// Every kind of record and action, by all three parties, in one history.
fn full_history() -> (Bench, &'static str) {
    let mut b = Bench::new();
    let o = b.adopted("2026-01-01T00:00:00Z", json!([b.kpi(1, "exercises", 1.0, 4.0, "2026-12-31T00:00:00Z"), b.kpi(2, "hours", 12.0, 4.0, "2026-10-01T00:00:00Z")]));
    let id = o.id.as_str().to_owned();
    b.act(1, "report", json!({ "objective": id, "kpi": "exercises", "value": 2 }), "2026-02-01T00:00:00Z");
    b.act(2, "report", json!({ "objective": id, "kpi": "hours", "value": 9, "measured_at": "2026-02-01T00:00:00Z" }), "2026-02-02T00:00:00Z");
    b.act(0, "amend", json!({ "objective": id, "title": "Share faster, train more" }), "2026-03-01T00:00:00Z");
    b.act(1, "endorse", json!({ "objective": id }), "2026-03-02T00:00:00Z");
    let q = b.act(1, "propose", json!({ "title": "Pool analysts", "kpis": [b.kpi(0, "analysts", 2.0, 6.0, "2026-12-01T00:00:00Z")] }), "2026-03-03T00:00:00Z");
    for who in [0, 1, 2] {
        b.act(who, "endorse", json!({ "objective": q.id.as_str() }), "2026-03-04T00:00:00Z");
    }
    let r = b.act(0, "report", json!({ "objective": q.id.as_str(), "kpi": "analysts", "value": 3 }), "2026-04-01T00:00:00Z");
    b.act(0, "report", json!({ "objective": q.id.as_str(), "kpi": "analysts", "value": 5 }), "2026-05-01T00:00:00Z");
    b.act(0, "retract-report", json!({ "report": r.id.as_str() }), "2026-05-02T00:00:00Z");
    b.act(2, "report", json!({ "objective": id, "kpi": "hours", "value": 7 }), "2026-05-03T00:00:00Z");
    b.act(1, "close", json!({ "objective": q.id.as_str(), "note": "done" }), "2026-05-04T00:00:00Z");
    (b, "2026-06-01T00:00:00Z")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_same_records_in_any_order_and_split_give_the_same_state(seed in proptest::collection::vec(0usize..1000, 1..40), split in 0usize..40) {
        let (b, now) = full_history();
        let all = b.made.clone();
        // A permutation of the records from the seed (Fisher–Yates), then split in two arrivals.
        let mut order: Vec<usize> = (0..all.len()).collect();
        for (i, s) in seed.iter().cycle().take(all.len()).enumerate() {
            let j = i + s % (all.len() - i);
            order.swap(i, j);
        }
        let shuffled: Vec<Record> = order.iter().map(|i| all[*i].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(shuffled.len()));
        let node = Records::new(Records::new(first.to_vec()).iter().cloned().chain(second.iter().cloned()).chain(first.iter().cloned()));
        for who in 0..3 {
            let ctx = b.world.ctx(who, &at(now));
            prop_assert_eq!(Objectives.state(&node, &ctx), Objectives.state(&Records::new(all.clone()), &ctx));
        }
    }
}

#[test]
fn the_full_history_derives_what_it_says() {
    let (b, now) = full_history();
    let s = b.state(0, now);
    assert_eq!(s["counts"], json!({ "awaiting-endorsement": 1, "closed": 1 }), "{s}");
    assert_eq!(s["ignored_reports"], 0);
    let o = &s["objectives"][0];
    assert_eq!(o["title"], "Share faster, train more");
    assert_eq!(o["awaiting"].as_array().unwrap().len(), 2);
    assert_eq!(o["kpis"][1]["latest"], 7.0);
    let q = &s["objectives"][1];
    assert_eq!(q["kpis"][0]["history"].as_array().unwrap().len(), 1, "the retracted report left");
    assert_eq!(q["progress"], 0.75);
    assert!(b.made.iter().all(|r| [OBJECTIVE, ENDORSEMENT, REPORT].contains(&r.kind.as_str())));
}

#[test]
fn the_inbox_holds_endorsements_awaited_and_reports_due() {
    let mut b = Bench::new();
    let needs = |b: &Bench, who: usize, now: &str| -> Vec<(&'static str, bool)> {
        let ctx = b.world.ctx(who, &at(now));
        let state = Objectives.state(&b.records(), &ctx);
        Objectives.needs(&state, &ctx).into_iter().map(|n| (n.what, n.overdue)).collect()
    };
    let kpis = json!([b.kpi(1, "exercises", 0.0, 4.0, "2026-12-31T00:00:00Z")]);
    let o = b.act(0, "propose", json!({ "title": "Train together", "kpis": kpis }), "2026-01-01T00:00:00Z");
    // Every party awaits its own endorsement, the proposer too.
    for who in 0..3 {
        assert_eq!(needs(&b, who, "2026-01-02T00:00:00Z"), [("endorse-objective", false)], "partner {who}");
    }
    for who in 0..3 {
        b.act(who, "endorse", json!({ "objective": o.id.as_str() }), "2026-01-02T00:00:00Z");
    }
    // Adopted, nothing reported: a report is due from the reporting party alone.
    assert_eq!(needs(&b, 1, "2026-01-03T00:00:00Z"), [("report-progress", false)]);
    assert!(needs(&b, 0, "2026-01-03T00:00:00Z").is_empty());
    b.act(1, "report", json!({ "objective": o.id.as_str(), "kpi": "exercises", "value": 1 }), "2026-01-10T00:00:00Z");
    // Within 30 days of the last report nothing is due; after them, again.
    assert!(needs(&b, 1, "2026-02-08T00:00:00Z").is_empty());
    assert_eq!(needs(&b, 1, "2026-02-10T00:00:00Z"), [("report-progress", false)]);
    // Past the KPI's due date the report is overdue; once met, none is due.
    assert_eq!(needs(&b, 1, "2027-01-05T00:00:00Z"), [("report-progress", true)]);
    b.act(1, "report", json!({ "objective": o.id.as_str(), "kpi": "exercises", "value": 4 }), "2027-01-06T00:00:00Z");
    assert!(needs(&b, 1, "2027-03-01T00:00:00Z").is_empty());
}
