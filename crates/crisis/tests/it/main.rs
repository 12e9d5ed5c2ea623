//! The crisis module's tests: the kit's contract (`module_suite!`) over a
//! crisis from playbook to review; activation from an endorsed playbook;
//! service-level breaches (acknowledge, complete) under a controlled clock
//! and the timing rule (a late-arriving record dated in time counts); the
//! common picture from every party's sitreps; assistance; bad input
//! refused naming the property with nothing stored; the inbox; and the
//! same picture for any arrival order (a property test).

mod report;

use crisis::{Crisis, ACKNOWLEDGEMENT, CRISIS};
use model::Timestamp;
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use proptest::prelude::*;
use serde_json::{json, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

fn playbook() -> Value {
    json!({
        "title": "Ransomware across hospitals",
        "hazard": "cyber-incident",
        "ack_within_minutes": 30,
        "roles": [{ "role": "lead", "party_ref": p(0) }, { "role": "cert", "party_ref": p(1) }, { "role": "health", "party_ref": p(2) }],
        "phases": [
            { "phase": "alert", "tasks": [{ "key": "triage", "title": "Triage the alert", "owner_role": "cert", "ack_within_minutes": 15, "complete_within_minutes": 120 }] },
            { "phase": "response", "tasks": [{ "key": "hospitals", "title": "Brief the hospitals", "owner_role": "health", "ack_within_minutes": 30, "complete_within_minutes": 240 }] },
        ],
        "communication": { "channel": "coalition desk", "statement_template": "The partners are responding to ..." },
        "activation_criteria": "two or more hospitals hit in two countries",
    })
}

fn activation(playbook: &str) -> Value {
    json!({ "playbook": playbook, "title": "Hospitals encrypted", "severity": "severe", "exercise": true, "summary": "three hospitals down" })
}

fn sitrep(crisis: &str, summary: &str) -> Value {
    json!({ "crisis": crisis, "period_start": "2026-06-01T00:00:00Z", "period_end": "2026-06-01T06:00:00Z", "situation_summary": summary,
            "observations": "lateral movement", "actions_taken": "isolated", "actions_planned": "restore", "resources_committed": "two teams",
            "impact": "surgery postponed", "next_report_due": "2026-06-02T06:00:00Z", "key_intelligence_refs": ["indicator--00000000-0000-4000-8000-000000000007"] })
}

/// A playbook endorsed by all, a crisis activated from it (exercise),
/// acknowledged, its tasks worked, sitreps by each party, an assistance
/// exchange, a task added and reassigned, the crisis closed and reviewed.
fn scenario() -> Vec<Step> {
    vec![
        (0, "draft-playbook", playbook()),
        (0, "endorse-playbook", json!({ "playbook": "$0" })),
        (1, "endorse-playbook", json!({ "playbook": "$0" })),
        (2, "endorse-playbook", json!({ "playbook": "$0" })),
        (0, "activate", activation("$0")),
        (1, "acknowledge", json!({ "crisis": "$4" })),
        (2, "acknowledge", json!({ "crisis": "$4", "note": "on it" })),
        (1, "update-task", json!({ "crisis": "$4", "task": "triage", "status": "accepted" })),
        (2, "update-task", json!({ "crisis": "$4", "task": "hospitals", "status": "declined", "reason": "no liaison free" })),
        (1, "update-task", json!({ "crisis": "$4", "task": "triage", "status": "done" })),
        (0, "file-sitrep", sitrep("$4", "A: three hospitals down")),
        (1, "file-sitrep", sitrep("$4", "B: one hospital hit")),
        (2, "file-sitrep", sitrep("$4", "C: none yet")),
        (1, "request-assistance", json!({ "crisis": "$4", "resource": "incident responders", "quantity": 4, "unit": "people" })),
        (2, "offer-assistance", json!({ "request": "$13", "quantity": 4 })),
        (2, "commit-assistance", json!({ "request": "$13", "quantity": 3 })),
        (2, "deliver-assistance", json!({ "request": "$13", "quantity": 3 })),
        (1, "release-assistance", json!({ "request": "$13" })),
        (2, "return-assistance", json!({ "request": "$13" })),
        (0, "add-task", json!({ "crisis": "$4", "key": "press", "title": "Joint press line", "phase": "response", "assignee": p(0), "ack_within_minutes": 10, "complete_within_minutes": 60 })),
        (0, "reassign-task", json!({ "crisis": "$4", "task": "hospitals", "assignee": p(1) })),
        (0, "close-crisis", json!({ "crisis": "$4", "reason": "systems restored" })),
        (1, "review", json!({ "crisis": "$4", "went_well": "fast acknowledgement", "to_improve": "liaison cover" })),
    ]
}

partnership::module_suite!(Crisis, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

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
        let object = partnership::author(&Crisis, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        let what = format!("{action} by {who}");
        self.try_act(who, action, input, now).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    fn refused(&mut self, who: usize, action: &str, input: Value, now: &str, property: &str) {
        let before = self.made.len();
        match self.try_act(who, action, input, now) {
            Err(Error::Invalid { property: got, .. }) => assert_eq!(got, property, "{action} by {who}"),
            other => panic!("{action} by {who}: expected refused naming {property}, got {other:?}"),
        }
        assert_eq!(self.made.len(), before, "nothing stored");
    }

    fn state(&self, now: &str) -> Value {
        Crisis.state(&self.records(), &self.world.ctx(0, &at(now)))
    }

    fn crisis(&self, now: &str) -> Value {
        self.state(now)["crises"][0].clone()
    }

    /// A playbook endorsed by every party, and a crisis activated from it at `now`.
    fn activated(&mut self, now: &str) -> String {
        let pb = self.act(0, "draft-playbook", playbook(), "2026-05-01T00:00:00Z");
        for who in 0..3 {
            self.act(who, "endorse-playbook", json!({ "playbook": pb.id.as_str() }), "2026-05-02T00:00:00Z");
        }
        self.act(0, "activate", activation(pb.id.as_str()), now).id.to_string()
    }
}

fn task<'a>(c: &'a Value, key: &str) -> &'a Value {
    c["tasks"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap()
}

fn ack(c: &Value, party: usize) -> &Value {
    c["acknowledgements"].as_array().unwrap().iter().find(|a| a["party"] == p(party)).unwrap()
}

#[test]
fn activation_from_a_playbook_needs_every_endorsement_of_its_latest_version_and_assigns_tasks_by_role() {
    let mut b = Bench::new();
    let pb = b.act(0, "draft-playbook", playbook(), "2026-05-01T00:00:00Z");
    let id = json!({ "playbook": pb.id.as_str() });
    b.act(0, "endorse-playbook", id.clone(), "2026-05-02T00:00:00Z");
    b.act(1, "endorse-playbook", id.clone(), "2026-05-02T00:00:00Z");
    b.refused(0, "activate", activation(pb.id.as_str()), "2026-05-03T00:00:00Z", "playbook");
    b.act(2, "endorse-playbook", id.clone(), "2026-05-03T00:00:00Z");
    assert_eq!(b.state("2026-05-03T00:00:00Z")["playbooks"][0]["endorsed"], true);
    // A revision needs new endorsements.
    let mut revise = playbook();
    revise["playbook"] = json!(pb.id.as_str());
    revise["ack_within_minutes"] = json!(20);
    b.act(0, "revise-playbook", revise, "2026-05-04T00:00:00Z");
    let s = b.state("2026-05-04T00:00:00Z");
    assert_eq!((s["playbooks"][0]["endorsed"].as_bool(), s["playbooks"][0]["awaiting"].as_array().map(Vec::len)), (Some(false), Some(3)));
    b.refused(1, "endorse-playbook", json!({ "playbook": pb.id.as_str(), "version": pb.modified.as_str() }), "2026-05-05T00:00:00Z", "version");
    for who in 0..3 {
        b.act(who, "endorse-playbook", id.clone(), "2026-05-05T00:00:00Z");
    }
    let c = b.act(0, "activate", activation(pb.id.as_str()), "2026-06-01T00:00:00Z");
    let s = b.crisis("2026-06-01T00:00:00Z");
    assert_eq!((s["lead"].as_str(), s["status"].as_str(), s["distribution_status"].as_str()), (Some(p(0).as_str()), Some("active"), Some("Exercise")));
    assert_eq!((s["playbook_version"].as_str(), s["ack_within_minutes"].as_u64()), (Some("2026-05-04T00:00:00Z"), Some(20)), "{s}");
    assert_eq!(task(&s, "triage")["assignee"], p(1));
    assert_eq!(task(&s, "hospitals")["assignee"], p(2));
    assert_eq!(task(&s, "hospitals")["phase"], "response");
    assert_eq!(s["open_tasks"], json!(["triage", "hospitals"]));
    assert_eq!(s["id"], c.id.as_str());
    assert_eq!(b.state("2026-06-01T00:00:00Z")["active_exercises"], 1);
    assert_eq!(b.state("2026-06-01T00:00:00Z")["active_real"], 0);
}

#[test]
fn acknowledgement_breaches_under_a_controlled_clock_and_a_late_arriving_acknowledgement_counts_at_its_own_time() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    // The playbook's service level: 30 minutes from activation.
    b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:20:00Z");
    let s = b.crisis("2026-06-01T00:29:00Z");
    assert_eq!((ack(&s, 1)["breached"].as_bool(), ack(&s, 1)["minutes_to_acknowledge"].as_i64()), (Some(false), Some(20)));
    assert_eq!(ack(&s, 2)["breached"], false, "not yet due");
    assert_eq!(ack(&s, 2)["deadline"], "2026-06-01T00:30:00.000000Z");
    let s = b.crisis("2026-06-01T00:31:00Z");
    assert_eq!(ack(&s, 2)["breached"], true, "due and not acknowledged");
    assert_eq!(s["breaches"]["acknowledge"], 3, "partner 2's acknowledgement and both tasks' (15 and 30 minutes) are late: {s}");
    // Partner 2 acknowledged on its own node at 00:25; it arrives at 02:00 and counts at 00:25 everywhere.
    b.act(2, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:25:00Z");
    let s = b.crisis("2026-06-01T02:00:00Z");
    assert_eq!((ack(&s, 2)["breached"].as_bool(), ack(&s, 2)["acknowledged_at"].as_str()), (Some(false), Some("2026-06-01T00:25:00Z")));
    // An acknowledgement made after the deadline is in, and breached.
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:45:00Z");
    assert_eq!(ack(&b.crisis("2026-06-01T01:00:00Z"), 1)["breached"], true);
    // The lead does not acknowledge its own crisis; nobody acknowledges twice.
    b.refused(0, "acknowledge", json!({ "crisis": c }), "2026-06-01T01:00:00Z", "crisis");
    b.refused(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T01:00:00Z", "crisis");
}

#[test]
fn task_breaches_under_a_controlled_clock_moved_by_the_assignee_alone_and_reset_by_reassignment() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    let upd = |key: &str, status: &str| json!({ "crisis": c, "task": key, "status": status });
    // triage: acknowledge within 15 minutes, complete within 120, assigned to partner 1.
    assert!(matches!(b.try_act(2, "update-task", upd("triage", "accepted"), "2026-06-01T00:05:00Z"), Err(Error::Forbidden(_))));
    b.act(1, "update-task", upd("triage", "acknowledged"), "2026-06-01T00:10:00Z");
    b.act(1, "update-task", upd("triage", "in-progress"), "2026-06-01T00:30:00Z");
    let s = b.crisis("2026-06-01T01:59:00Z");
    let t = task(&s, "triage");
    assert_eq!((t["status"].as_str(), t["ack_breached"].as_bool(), t["complete_breached"].as_bool()), (Some("in-progress"), Some(false), Some(false)), "{t}");
    let s = b.crisis("2026-06-01T02:01:00Z");
    assert_eq!(task(&s, "triage")["complete_breached"], true, "past 120 minutes, not done");
    b.act(1, "update-task", upd("triage", "done"), "2026-06-01T01:50:00Z");
    let s = b.crisis("2026-06-01T03:00:00Z");
    let t = task(&s, "triage");
    assert_eq!((t["status"].as_str(), t["done_at"].as_str(), t["complete_breached"].as_bool(), t["open"].as_bool()), (Some("done"), Some("2026-06-01T01:50:00Z"), Some(false), Some(false)));
    // hospitals: declined with a reason (required), then reassigned by the lead: the clock restarts.
    b.refused(2, "update-task", upd("hospitals", "declined"), "2026-06-01T00:10:00Z", "reason");
    b.act(2, "update-task", json!({ "crisis": c, "task": "hospitals", "status": "declined", "reason": "no liaison free" }), "2026-06-01T00:10:00Z");
    let s = b.crisis("2026-06-01T06:00:00Z");
    let t = task(&s, "hospitals");
    assert_eq!((t["status"].as_str(), t["reason"].as_str(), t["complete_breached"].as_bool()), (Some("declined"), Some("no liaison free"), Some(false)));
    assert!(matches!(b.try_act(1, "reassign-task", json!({ "crisis": c, "task": "hospitals", "assignee": p(1) }), "2026-06-01T06:00:00Z"), Err(Error::Forbidden(_))), "only the lead reassigns");
    b.act(0, "reassign-task", json!({ "crisis": c, "task": "hospitals", "assignee": p(1) }), "2026-06-01T06:00:00Z");
    let s = b.crisis("2026-06-01T06:10:00Z");
    let t = task(&s, "hospitals");
    assert_eq!((t["assignee"].as_str(), t["status"].as_str(), t["ack_breached"].as_bool()), (Some(p(1).as_str()), Some("open"), Some(false)), "{t}");
    assert_eq!(b.crisis("2026-06-01T06:31:00Z")["tasks"][1]["ack_breached"], true);
    // The former assignee's records no longer move it.
    b.act(1, "update-task", upd("hospitals", "done"), "2026-06-01T07:00:00Z");
    let s = b.crisis("2026-06-01T08:00:00Z");
    assert_eq!((task(&s, "hospitals")["status"].as_str(), task(&s, "hospitals")["complete_breached"].as_bool()), (Some("done"), Some(false)));
}

#[test]
fn sitreps_from_every_party_make_the_common_picture_and_assistance_moves_by_each_step() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    for who in 0..3 {
        b.act(who, "file-sitrep", sitrep(&c, &format!("report {who}")), "2026-06-01T06:00:00Z");
    }
    let mut later = sitrep(&c, "report 1, later");
    later["period_start"] = json!("2026-06-01T06:00:00Z");
    later["period_end"] = json!("2026-06-01T12:00:00Z");
    b.act(1, "file-sitrep", later, "2026-06-01T12:00:00Z");
    let s = b.crisis("2026-06-01T13:00:00Z");
    let summaries: Vec<&str> = s["sitreps"].as_array().unwrap().iter().map(|r| r["situation_summary"].as_str().unwrap()).collect();
    assert_eq!(summaries, ["report 0", "report 1, later", "report 2"]);
    assert_eq!(s["key_intelligence"], json!(["indicator--00000000-0000-4000-8000-000000000007"]));
    assert_eq!(b.crisis("2026-06-02T07:00:00Z")["sitreps"][0]["overdue"], true, "next report was due at 06:00");

    let q = b.act(1, "request-assistance", json!({ "crisis": c, "resource": "incident responders", "quantity": 4, "unit": "people" }), "2026-06-01T13:00:00Z");
    let rq = |extra: Value| {
        let mut v = json!({ "request": q.id.as_str() });
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    assert!(matches!(b.try_act(1, "commit-assistance", rq(json!({ "quantity": 1 })), "2026-06-01T13:05:00Z"), Err(Error::Forbidden(_))), "not against one's own request");
    b.act(2, "offer-assistance", rq(json!({ "quantity": 4 })), "2026-06-01T13:10:00Z");
    assert_eq!(b.crisis("2026-06-01T13:11:00Z")["assistance"][0]["stage"], "offer");
    b.refused(2, "commit-assistance", rq(json!({ "quantity": 6 })), "2026-06-01T13:20:00Z", "quantity");
    b.act(2, "commit-assistance", rq(json!({ "quantity": 6, "exceeds_request": true })), "2026-06-01T13:20:00Z");
    b.act(2, "deliver-assistance", rq(json!({ "quantity": 6 })), "2026-06-01T18:00:00Z");
    assert!(matches!(b.try_act(2, "release-assistance", rq(json!({})), "2026-06-02T00:00:00Z"), Err(Error::Forbidden(_))), "the requester releases");
    b.act(1, "release-assistance", rq(json!({})), "2026-06-03T00:00:00Z");
    let a = &b.crisis("2026-06-03T01:00:00Z")["assistance"][0];
    assert_eq!((a["stage"].as_str(), a["committed"].as_f64(), a["delivered"].as_f64(), a["exceeds_request"].as_bool()), (Some("release"), Some(6.0), Some(6.0), Some(true)), "{a}");
    assert_eq!(a["providers"], json!([p(2)]));

    // Closed: no more sitreps; reviews, one per party.
    b.refused(2, "review", json!({ "crisis": c, "went_well": "w", "to_improve": "t" }), "2026-06-03T02:00:00Z", "crisis");
    assert!(matches!(b.try_act(1, "close-crisis", json!({ "crisis": c }), "2026-06-04T00:00:00Z"), Err(Error::Forbidden(_))), "the lead closes");
    b.act(0, "close-crisis", json!({ "crisis": c, "reason": "restored" }), "2026-06-04T00:00:00Z");
    b.refused(2, "file-sitrep", sitrep(&c, "after"), "2026-06-04T01:00:00Z", "crisis");
    b.act(2, "review", json!({ "crisis": c, "went_well": "fast", "to_improve": "cover" }), "2026-06-05T00:00:00Z");
    b.refused(2, "review", json!({ "crisis": c, "went_well": "again", "to_improve": "again" }), "2026-06-05T00:00:00Z", "crisis");
    let s = b.crisis("2026-06-06T00:00:00Z");
    assert_eq!((s["status"].as_str(), s["closed_at"].as_str(), s["open_tasks"].as_array().map(Vec::len)), (Some("closed"), Some("2026-06-04T00:00:00Z"), Some(0)));
    assert_eq!(s["reviews"][0]["party"], p(2));
    let events: Vec<&str> = s["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"activated"));
    assert!(events.contains(&"closed") && events.contains(&"assistance: deliver") && events.last() == Some(&"review"), "{events:?}");
    assert_eq!(b.state("2026-06-06T00:00:00Z")["active"], 0);
}

#[test]
fn bad_input_is_refused_naming_the_property_and_nothing_is_stored() {
    let mut b = Bench::new();
    // A task to a non-party, ad hoc and added later.
    let adhoc = |assignee: String| json!({ "title": "Flood", "severity": "moderate", "exercise": false,
        "tasks": [{ "key": "sandbags", "title": "Sandbags", "phase": "response", "assignee": assignee, "ack_within_minutes": 30, "complete_within_minutes": 600 }] });
    b.refused(0, "activate", adhoc(p(3)), "2026-06-01T00:00:00Z", "tasks[0].assignee_ref");
    let c = b.act(0, "activate", adhoc(p(1)), "2026-06-01T00:00:00Z").id.to_string();
    b.refused(0, "add-task", json!({ "crisis": c, "key": "pumps", "title": "Pumps", "phase": "response", "assignee": p(3), "ack_within_minutes": 5, "complete_within_minutes": 50 }), "2026-06-01T00:10:00Z", "tasks[1].assignee_ref");
    b.refused(0, "add-task", json!({ "crisis": c, "key": "sandbags", "title": "again", "phase": "response", "assignee": p(2), "ack_within_minutes": 5, "complete_within_minutes": 50 }), "2026-06-01T00:10:00Z", "key");
    // An acknowledgement by a party not in the agreement: refused when made, and on arrival.
    assert!(matches!(b.try_act(3, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:10:00Z"), Err(Error::Forbidden(_))));
    let mine = b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:10:00Z");
    let mut forged = serde_json::to_value(&mine.properties).unwrap();
    forged["created_by_ref"] = json!(p(3));
    let forged = model::Object::from_value(forged).unwrap();
    match partnership::accept(&Crisis, &forged, &b.world.ctx(0, &at("2026-06-01T00:11:00Z"))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "created_by_ref"),
        other => panic!("an acknowledgement by a non-party arrived: {other:?}"),
    }
    // A commitment larger than the request without saying so.
    let q = b.act(1, "request-assistance", json!({ "crisis": c, "resource": "pumps", "quantity": 2 }), "2026-06-01T00:20:00Z");
    b.refused(2, "commit-assistance", json!({ "request": q.id.as_str(), "quantity": 3 }), "2026-06-01T00:30:00Z", "quantity");
    b.refused(2, "commit-assistance", json!({ "request": q.id.as_str(), "quantity": -1 }), "2026-06-01T00:30:00Z", "quantity");
    // Bad values of the crisis, hostile text over its limit.
    b.refused(0, "activate", json!({ "title": "x", "severity": "apocalyptic", "exercise": false }), "2026-06-01T00:00:00Z", "severity");
    b.refused(0, "activate", json!({ "title": "x", "severity": "minor", "exercise": "yes" }), "2026-06-01T00:00:00Z", "exercise");
    b.refused(0, "activate", json!({ "title": "<script>alert(1)</script>".repeat(50), "severity": "minor", "exercise": false }), "2026-06-01T00:00:00Z", "title");
    b.refused(1, "update-task", json!({ "crisis": c, "task": "sandbags", "status": "finished" }), "2026-06-01T00:30:00Z", "status");
    let mut bad = sitrep(&c, "s");
    bad["period_end"] = json!("2026-05-01T00:00:00Z");
    b.refused(1, "file-sitrep", bad, "2026-06-01T00:30:00Z", "period_end");
    // A sitrep for a closed crisis.
    b.act(0, "close-crisis", json!({ "crisis": c }), "2026-06-02T00:00:00Z");
    b.refused(1, "file-sitrep", sitrep(&c, "late"), "2026-06-02T01:00:00Z", "crisis");
    b.refused(1, "request-assistance", json!({ "crisis": c, "resource": "pumps", "quantity": 2 }), "2026-06-02T01:00:00Z", "crisis");
    assert_eq!(b.made.len(), 4, "the crisis, its closing version, an acknowledgement, a request");

    // An exercise record into a real-only agreement, and a real one into an exercise-only one.
    let mut b = Bench::new();
    b.world.agreement.terms.scope.data_kind = policy::DataKind::Real;
    b.refused(0, "activate", json!({ "title": "Drill", "severity": "minor", "exercise": true }), "2026-06-01T00:00:00Z", "exercise");
    let real = b.act(0, "activate", json!({ "title": "Flood", "severity": "minor", "exercise": false }), "2026-06-01T00:00:00Z");
    b.world.agreement.terms.scope.data_kind = policy::DataKind::Exercise;
    b.refused(1, "acknowledge", json!({ "crisis": real.id.as_str() }), "2026-06-01T00:05:00Z", "exercise");
    // Arriving from a peer: refused the same way.
    let mut drill = World::new();
    drill.agreement.terms.scope.data_kind = policy::DataKind::Real;
    let made = partnership::author(&Crisis, "activate", json!({ "title": "Drill", "severity": "minor", "exercise": true }).as_object().unwrap(), &Records::default(), &World::new().ctx(0, &at("2026-06-01T00:00:00Z"))).unwrap();
    match partnership::accept(&Crisis, &made, &drill.ctx(1, &at("2026-06-01T00:01:00Z"))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "exercise"),
        other => panic!("an exercise crisis arrived under a real-only agreement: {other:?}"),
    }
    // An exercise record is exercise data for the rest of the node too (its label), and must say so.
    assert!(policy::ObjectFacts::from_object(&made).unwrap().exercise, "{}", made.to_value());
    let mut unlabelled = made.to_value();
    unlabelled.as_object_mut().unwrap().remove("labels");
    let unlabelled = model::Object::from_value(unlabelled).unwrap();
    match partnership::accept(&Crisis, &unlabelled, &World::new().ctx(1, &at("2026-06-01T00:01:00Z"))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "labels"),
        other => panic!("an exercise crisis without its label arrived: {other:?}"),
    }
}

#[test]
fn the_inbox_asks_for_the_acknowledgement_the_tasks_and_the_sitrep_due() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    let needs = |b: &Bench, who: usize, now: &str| {
        let ctx = b.world.ctx(who, &at(now));
        let state = Crisis.state(&b.records(), &ctx);
        Crisis.needs(&state, &ctx).into_iter().map(|n| (n.what, n.due, n.overdue)).collect::<Vec<_>>()
    };
    let n = needs(&b, 1, "2026-06-01T00:20:00Z");
    assert_eq!(n, [
        ("acknowledge-crisis", Some("2026-06-01T00:30:00.000000Z".to_owned()), false),
        ("crisis-task", Some("2026-06-01T00:15:00.000000Z".to_owned()), true),
        ("sitrep-due", None, false),
    ]);
    b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:21:00Z");
    b.act(1, "update-task", json!({ "crisis": c, "task": "triage", "status": "accepted" }), "2026-06-01T00:22:00Z");
    b.act(1, "file-sitrep", sitrep(&c, "B"), "2026-06-01T06:00:00Z");
    let n = needs(&b, 1, "2026-06-01T06:00:00Z");
    assert_eq!(n, [
        ("crisis-task", Some("2026-06-01T02:00:00.000000Z".to_owned()), true),
        ("sitrep-due", Some("2026-06-02T06:00:00Z".to_owned()), false),
    ]);
    // The lead has no acknowledgement to make; closed crises need nothing.
    assert!(needs(&b, 0, "2026-06-01T06:00:00Z").iter().all(|(w, _, _)| *w != "acknowledge-crisis"));
    b.act(0, "close-crisis", json!({ "crisis": c }), "2026-06-01T07:00:00Z");
    assert!(needs(&b, 1, "2026-06-01T08:00:00Z").is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_same_records_in_any_order_and_split_give_the_same_picture(seed in proptest::collection::vec(0usize..1000, 1..40), split in 0usize..40, minutes in 0i64..600) {
        let mut b = Bench::new();
        let c = b.activated("2026-06-01T00:00:00Z");
        b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:40:00Z");
        b.act(2, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:10:00Z");
        b.act(1, "update-task", json!({ "crisis": c, "task": "triage", "status": "acknowledged" }), "2026-06-01T00:20:00Z");
        b.act(1, "update-task", json!({ "crisis": c, "task": "triage", "status": "done" }), "2026-06-01T03:00:00Z");
        b.act(2, "update-task", json!({ "crisis": c, "task": "hospitals", "status": "in-progress" }), "2026-06-01T00:05:00Z");
        for who in 0..3 { b.act(who, "file-sitrep", sitrep(&c, &format!("s{who}")), "2026-06-01T01:00:00Z"); }
        let q = b.act(1, "request-assistance", json!({ "crisis": c, "resource": "responders", "quantity": 2 }), "2026-06-01T02:00:00Z");
        b.act(2, "commit-assistance", json!({ "request": q.id.as_str(), "quantity": 2 }), "2026-06-01T02:30:00Z");
        b.act(0, "reassign-task", json!({ "crisis": c, "task": "hospitals", "assignee": p(1) }), "2026-06-01T04:00:00Z");
        b.act(0, "close-crisis", json!({ "crisis": c }), "2026-06-01T08:00:00Z");
        let all = b.made.clone();
        let mut order: Vec<usize> = (0..all.len()).collect();
        for (i, s) in seed.iter().cycle().take(all.len()).enumerate() {
            let j = i + s % (all.len() - i);
            order.swap(i, j);
        }
        let shuffled: Vec<Record> = order.iter().map(|i| all[*i].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(shuffled.len()));
        let node = Records::new(first.iter().cloned().chain(second.iter().cloned()));
        let now = Timestamp::from_micros(at("2026-06-01T00:00:00Z").micros() + minutes * 60_000_000);
        for who in 0..3 {
            let ctx = b.world.ctx(who, &now);
            prop_assert_eq!(Crisis.state(&node, &ctx), Crisis.state(&Records::new(all.clone()), &ctx));
        }
        let end = Crisis.state(&node, &b.world.ctx(0, &at("2026-06-02T00:00:00Z")));
        prop_assert_eq!(&end["crises"][0]["breaches"], &json!({ "acknowledge": 3, "complete": 1 }));
        prop_assert!(all.iter().any(|r| r.kind == ACKNOWLEDGEMENT) && all.iter().any(|r| r.kind == CRISIS));
    }
}

/// The picture holds the newest `TIMELINE_NEWEST` events of a long
/// timeline, oldest of them first, and counts them all; a task keeps the
/// count of its updates and the last one, not each.
#[test]
fn a_long_timeline_is_counted_and_its_newest_events_kept() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    let n = crisis::rules::TIMELINE_NEWEST + 10;
    for i in 0..n {
        let status = if i % 2 == 0 { "acknowledged" } else { "in-progress" };
        b.act(1, "update-task", json!({ "crisis": c, "task": "triage", "status": status, "note": format!("n{i}") }), &format!("2026-06-01T00:{:02}:{:02}Z", i / 60, i % 60));
    }
    let s = b.crisis("2026-06-02T00:00:00Z");
    let timeline = s["timeline"].as_array().unwrap();
    assert_eq!((s["timeline_total"].as_u64(), timeline.len()), (Some(n as u64 + 1), crisis::rules::TIMELINE_NEWEST), "the activation and every update counted");
    assert_eq!(timeline.first().unwrap()["at"], format!("2026-06-01T00:00:{:02}Z", n - crisis::rules::TIMELINE_NEWEST), "the newest, oldest first");
    assert_eq!(timeline.last().unwrap()["event"], "task triage: in-progress");
    let t = task(&s, "triage");
    assert_eq!((t["updates"].as_u64(), t["last_update"]["note"].as_str()), (Some(n as u64), Some(format!("n{}", n - 1).as_str())), "{t}");
}

/// A form's flat task rows (`tasks`, each with its `phase`) make the same
/// phases as the nested playbook, in the order of the phases; on a
/// revision they are added; a row without a phase, or with an owner role
/// the playbook lacks, is refused by name and nothing is stored.
#[test]
fn task_rows_make_the_phases_and_a_revision_adds_to_them() {
    let mut b = Bench::new();
    let nested = playbook();
    let mut flat = playbook();
    let mut rows = Vec::new();
    for ph in nested["phases"].as_array().unwrap().iter().rev() {
        for t in ph["tasks"].as_array().unwrap() {
            let mut r = t.clone();
            r["phase"] = ph["phase"].clone();
            rows.push(r);
        }
    }
    flat.as_object_mut().unwrap().remove("phases");
    flat["tasks"] = json!(rows);
    let pb = b.act(0, "draft-playbook", flat, "2026-05-01T00:00:00Z");
    assert_eq!(pb.properties["phases"], nested["phases"], "the same phases, alert before response");
    let more = json!({ "playbook": pb.id.as_str(), "tasks": [{ "phase": "activation", "key": "convene", "title": "Convene <the> cell", "owner_role": "lead", "ack_within_minutes": 10, "complete_within_minutes": 60 }] });
    let revised = b.act(0, "revise-playbook", more, "2026-05-01T01:00:00Z");
    let phases: Vec<&str> = revised.properties["phases"].as_array().unwrap().iter().map(|x| x["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["alert", "activation", "response"]);
    b.refused(0, "revise-playbook", json!({ "playbook": pb.id.as_str(), "tasks": [{ "key": "x", "title": "x", "owner_role": "lead", "ack_within_minutes": 1, "complete_within_minutes": 2 }] }), "2026-05-01T02:00:00Z", "tasks[0].phase");
    b.refused(0, "revise-playbook", json!({ "playbook": pb.id.as_str(), "tasks": [{ "phase": "review", "key": "x", "title": "x", "owner_role": "mayor", "ack_within_minutes": 1, "complete_within_minutes": 2 }] }), "2026-05-01T02:00:00Z", "phases[3].tasks[0].owner_role");
}

#[test]
fn each_crisis_derives_its_own_collection_titled_after_it_with_its_key_intelligence() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    let mut report = sitrep(&c, "isolated");
    report["key_intelligence_refs"] = json!(["indicator--5a1e0c6e-0000-4000-8000-000000000001"]);
    b.act(1, "file-sitrep", report, "2026-06-01T01:00:00Z");
    let state = b.state("2026-06-01T02:00:00Z");
    assert!(Crisis.has_collections());
    let made = Crisis.collections(&state);
    assert_eq!(made.len(), 1, "{made:?}");
    let k = &made[0];
    assert_eq!(format!("x-entente-crisis--{}", k.id), c);
    assert_eq!(k.anchor, c);
    let title = state["crises"][0]["title"].as_str().unwrap();
    assert_eq!(k.title, format!("[EXERCISE] Crisis: {title}"), "an exercise is marked in the title");
    assert!(k.description.contains("an exercise, not a real crisis"), "{}", k.description);
    assert_eq!(k.named, vec!["indicator--5a1e0c6e-0000-4000-8000-000000000001".to_owned()]);
    // A real crisis is not marked; no crisis, no collection.
    let mut real = state.clone();
    real["crises"][0]["exercise"] = json!(false);
    assert_eq!(Crisis.collections(&real)[0].title, format!("Crisis: {title}"));
    assert!(Crisis.collections(&json!({ "crises": [] })).is_empty());
}
