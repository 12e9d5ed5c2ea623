//! The exercises module's tests: the kit's contract (`module_suite!`) over
//! an exercise from plan to lesson learned; scheduled injects due by a
//! controlled clock; a released inject going to its targets alone; the
//! after-action report the same on a node that holds no inject; overdue
//! remedial actions and the inbox; bad input refused naming the property,
//! nothing stored; any arrival order giving the same state.

mod cexf;
mod exchanges;
mod report;

use exercises::{Exercises, INJECT, KINDS};
use model::{Object, Timestamp};
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use policy::DataKind;
use proptest::prelude::*;
use serde_json::{json, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

/// A plan by partner 0 (control) with participants 1 and 2 and, if asked,
/// observer 3 (a party only in a world where 3 is one: not used here).
fn plan() -> Value {
    json!({
        "name": "Cyber Coalition <b>2026</b>",
        "exercise_type": "cyber-range",
        "start_date": "2026-06-01T08:00:00Z",
        "end_date": "2026-06-03T18:00:00Z",
        "participants": [
            { "party_ref": p(1), "teams": ["CSIRT", "SOC"] },
            { "party_ref": p(2), "teams": ["CERT"] },
        ],
        "objectives": [
            { "id": "O-1", "title": "Share indicators within an hour", "objective_ref": "x-entente-objective--00000000-0000-4000-8000-000000000001", "competencies": ["detection", "sharing"] },
            { "id": "O-2", "title": "Coordinate the public message", "competencies": ["communication"] },
        ],
        "msel": [
            { "move": "1", "title": "Initial compromise", "injects": [
                { "id": "I-1", "offset_minutes": 30, "target_refs": [p(1)], "target_team": "SOC", "channel": "email", "content": "Your SOC sees beaconing to 198.51.100.7", "expected_action": "share an indicator", "objective": "O-1" },
                { "id": "I-2", "trigger": "when I-1 is shared", "target_refs": [p(1), p(2)], "channel": "phone", "content": "A journalist calls", "expected_action": "agree a holding line", "objective": "O-2" },
            ]},
        ],
    })
}

/// The exercise from plan to lesson learned.
fn scenario() -> Vec<Step> {
    vec![
        (0, "plan-exercise", plan()),
        (1, "endorse-exercise", json!({ "exercise": "$0" })),
        (2, "endorse-exercise", json!({ "exercise": "$0" })),
        (0, "start-exercise", json!({ "exercise": "$0" })),
        (0, "release-inject", json!({ "exercise": "$0", "inject": "I-1" })),
        (1, "respond-inject", json!({ "inject": "$4", "text": "indicator shared", "action_taken": "shared 198.51.100.7" })),
        (0, "record-observation", json!({ "exercise": "$0", "objective": "O-1", "rating": "partially-met", "text": "shared after 90 minutes", "inject_ref": "$4" })),
        (1, "identify-lesson", json!({ "exercise": "$0", "observation_refs": ["$6"], "title": "Sharing is slowed by manual export" })),
        (0, "add-remedial-action", json!({ "lesson": "$7", "description": "Automate the export", "owner_ref": p(2), "due": "2026-09-01T00:00:00Z" })),
        (2, "update-remedial-action", json!({ "action": "$8", "status": "done", "text": "automated" })),
        (0, "validate-lesson", json!({ "lesson": "$7" })),
        (0, "end-exercise", json!({ "exercise": "$0" })),
    ]
}

partnership::module_suite!(Exercises, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

struct Bench {
    world: World,
    made: Vec<Record>,
    objects: Vec<Object>,
}

impl Bench {
    fn new() -> Bench {
        Bench { world: World::new(), made: Vec::new(), objects: Vec::new() }
    }

    fn records(&self) -> Records {
        Records::new(self.made.clone())
    }

    fn try_act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Result<Record, Error> {
        let Value::Object(input) = input else { panic!("an object") };
        let object = partnership::author(&Exercises, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        self.objects.push(object);
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        let what = format!("{action} by {who}");
        self.try_act(who, action, input, now).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    fn refused(&mut self, who: usize, action: &str, input: Value, now: &str, property: &str) {
        let before = self.made.len();
        match self.try_act(who, action, input, now) {
            Err(Error::Invalid { property: got, reason, .. }) => assert_eq!(got, property, "{reason}"),
            other => panic!("{action} by {who}: expected refused naming {property}, got {other:?}"),
        }
        assert_eq!(self.made.len(), before, "nothing stored");
    }

    fn state(&self, who: usize, now: &str) -> Value {
        Exercises.state(&self.records(), &self.world.ctx(who, &at(now)))["exercises"][0].clone()
    }

    fn needs(&self, who: usize, now: &str) -> Vec<(String, String, bool)> {
        let ctx = self.world.ctx(who, &at(now));
        let state = Exercises.state(&self.records(), &ctx);
        Exercises.needs(&state, &ctx).into_iter().map(|n| (n.what.to_owned(), n.record, n.overdue)).collect()
    }

    /// Plans, endorses by 1 and 2, starts at 2026-06-01T08:00.
    fn started(&mut self) -> Record {
        let x = self.act(0, "plan-exercise", plan(), "2026-05-01T00:00:00Z");
        let id = json!({ "exercise": x.id.as_str() });
        self.act(1, "endorse-exercise", id.clone(), "2026-05-02T00:00:00Z");
        self.act(2, "endorse-exercise", id.clone(), "2026-05-03T00:00:00Z");
        self.act(0, "start-exercise", id, "2026-06-01T08:00:00Z");
        x
    }
}

#[test]
fn the_plan_starts_only_once_every_participant_endorsed_its_latest_version() {
    let mut b = Bench::new();
    let x = b.act(0, "plan-exercise", plan(), "2026-05-01T00:00:00Z");
    let id = json!({ "exercise": x.id.as_str() });
    let s = b.state(0, "2026-05-01T00:00:01Z");
    assert_eq!((s["status"].as_str(), s["awaiting"].clone()), (Some("planning"), json!([p(1), p(2)])), "{s}");
    assert_eq!(b.needs(1, "2026-05-01T00:00:01Z"), [("endorse-exercise".to_owned(), x.id.to_string(), false)]);
    b.act(1, "endorse-exercise", id.clone(), "2026-05-02T00:00:00Z");
    b.refused(0, "start-exercise", id.clone(), "2026-05-02T00:00:01Z", "exercise");
    // An edit needs new endorsements.
    let mut edit = json!({ "exercise": x.id.as_str(), "name": "Cyber Coalition 2026 (revised)" });
    b.act(0, "edit-exercise", edit.clone(), "2026-05-03T00:00:00Z");
    b.act(2, "endorse-exercise", id.clone(), "2026-05-04T00:00:00Z");
    assert_eq!(b.state(0, "2026-05-04T00:00:01Z")["awaiting"], json!([p(1)]));
    // Control does not endorse its own plan; an outsider to the exercise neither.
    assert!(matches!(b.try_act(0, "endorse-exercise", id.clone(), "2026-05-04T00:00:02Z"), Err(Error::Forbidden(_))));
    b.act(1, "endorse-exercise", id.clone(), "2026-05-05T00:00:00Z");
    assert_eq!(b.state(0, "2026-05-05T00:00:01Z")["status"], "endorsed");
    assert!(matches!(b.try_act(1, "start-exercise", id.clone(), "2026-06-01T08:00:00Z"), Err(Error::Forbidden(_))), "only control starts it");
    b.act(0, "start-exercise", id.clone(), "2026-06-01T08:00:00Z");
    let s = b.state(2, "2026-06-01T08:00:01Z");
    assert_eq!((s["status"].as_str(), s["started_at"].as_str()), (Some("running"), Some("2026-06-01T08:00:00Z")));
    // A started plan no longer changes.
    edit["name"] = json!("too late");
    b.refused(0, "edit-exercise", edit, "2026-06-01T09:00:00Z", "exercise");
}

#[test]
fn a_scheduled_inject_is_due_at_the_start_plus_its_offset_and_goes_to_its_targets_alone() {
    let mut b = Bench::new();
    let x = b.started();
    let inject = |s: &Value, i: usize| s["injects"][i]["status"].as_str().unwrap_or_default().to_owned();
    let s = b.state(0, "2026-06-01T08:29:59Z");
    assert_eq!((inject(&s, 0), s["injects"][0]["due_at"].as_str()), ("scheduled".into(), Some("2026-06-01T08:30:00.000000Z")));
    assert_eq!(inject(&s, 1), "on-trigger");
    assert!(b.needs(0, "2026-06-01T08:29:59Z").is_empty());
    // By the clock alone, at the start plus 30 minutes: due, in control's inbox.
    assert_eq!(inject(&b.state(0, "2026-06-01T08:30:00Z"), 0), "due");
    assert_eq!(b.needs(0, "2026-06-01T08:31:00Z"), [("release-inject".to_owned(), x.id.to_string(), true)]);
    // Partner 2 is no target of I-1: it cannot know whether I-1 went out.
    assert_eq!(inject(&b.state(2, "2026-06-01T08:31:00Z"), 0), "for-others");
    // Only control releases.
    let release = json!({ "exercise": x.id.as_str(), "inject": "I-1" });
    assert!(matches!(b.try_act(1, "release-inject", release.clone(), "2026-06-01T08:31:00Z"), Err(Error::Forbidden(_))));
    let r = b.act(0, "release-inject", release.clone(), "2026-06-01T08:31:00Z");
    b.refused(0, "release-inject", release, "2026-06-01T08:32:00Z", "inject");
    let s = b.state(0, "2026-06-01T08:40:00Z");
    assert_eq!((s["injects"][0]["status"].as_str(), s["injects"][0]["on_time"].as_bool()), (Some("released"), Some(false)), "{s}");
    assert!(r.properties.get("expected_action").is_none(), "the expected action stays with control");
    // The release decision: control and the target, not the other participant.
    let index = policy::AgreementIndex::build(std::slice::from_ref(&b.world.agreement), &[], &[], &policy::PartyKeys::new());
    let facts = policy::ObjectFacts::from_object(b.objects.last().unwrap()).unwrap();
    assert!(facts.exercise, "the inject is exercise data");
    let to = |i: usize| policy::decide(&facts, &b.world.partners[i], &at("2026-06-01T08:40:00Z"), &[], &index).is_allowed();
    assert_eq!((to(0), to(1), to(2), to(3)), (true, true, false, false));
    // The target's inbox; the other participant may not respond.
    assert_eq!(b.needs(1, "2026-06-01T08:40:00Z"), [("respond-inject".to_owned(), r.id.to_string(), false)]);
    assert!(b.needs(2, "2026-06-01T08:40:00Z").is_empty());
    let answer = json!({ "inject": r.id.as_str(), "text": "we share it" });
    assert!(matches!(b.try_act(2, "respond-inject", answer.clone(), "2026-06-01T08:41:00Z"), Err(Error::Forbidden(_))));
    let resp = b.act(1, "respond-inject", answer, "2026-06-01T08:45:00Z");
    assert_eq!(types_audience(&resp), vec![p(0), p(1)], "a response goes where its inject went");
    assert_eq!(b.state(0, "2026-06-01T08:46:00Z")["injects"][0]["responses"][0]["author"], p(1));
    assert!(b.needs(1, "2026-06-01T08:46:00Z").is_empty());
}

fn types_audience(r: &Record) -> Vec<String> {
    exercises::types::listed(r).into_iter().map(str::to_owned).collect()
}

#[test]
fn the_lessons_chain_and_the_after_action_report_the_same_without_the_injects() {
    let mut b = Bench::new();
    let x = b.started();
    let xid = x.id.as_str();
    let r = b.act(0, "release-inject", json!({ "exercise": xid, "inject": "I-1" }), "2026-06-01T08:30:00Z");
    b.act(1, "respond-inject", json!({ "inject": r.id.as_str(), "text": "shared" }), "2026-06-01T08:40:00Z");
    // Only control and observers observe.
    let obs = json!({ "exercise": xid, "objective": "O-1", "rating": "met", "text": "shared in 10 minutes" });
    assert!(matches!(b.try_act(1, "record-observation", obs.clone(), "2026-06-01T09:00:00Z"), Err(Error::Forbidden(_))));
    let o1 = b.act(0, "record-observation", obs, "2026-06-01T09:00:00Z");
    let o2 = b.act(0, "record-observation", json!({ "exercise": xid, "objective": "O-2", "rating": "not-met", "text": "no holding line agreed" }), "2026-06-01T10:00:00Z");
    b.act(0, "end-exercise", json!({ "exercise": xid }), "2026-06-03T18:00:00Z");
    let lesson = b.act(2, "identify-lesson", json!({ "exercise": xid, "observation_refs": [o2.id.as_str()], "title": "No joint press line" }), "2026-06-04T00:00:00Z");
    let action = b.act(1, "add-remedial-action", json!({ "lesson": lesson.id.as_str(), "description": "Agree a press template", "owner_ref": p(1), "due": "2026-07-01T00:00:00Z" }), "2026-06-05T00:00:00Z");
    // Not yet done: control cannot validate the lesson; overdue after the due date.
    b.refused(0, "validate-lesson", json!({ "lesson": lesson.id.as_str() }), "2026-06-06T00:00:00Z", "lesson");
    assert_eq!(b.needs(1, "2026-06-30T00:00:00Z"), [("remedial-action".to_owned(), action.id.to_string(), false)]);
    assert_eq!(b.needs(1, "2026-07-02T00:00:00Z"), [("remedial-action".to_owned(), action.id.to_string(), true)]);
    let aar = b.state(0, "2026-07-02T00:00:00Z")["aar"].clone();
    assert_eq!(aar["actions"][0]["overdue"], true);
    assert_eq!(aar["summary"]["actions_overdue"], 1);
    // Only the owner updates it.
    assert!(matches!(b.try_act(2, "update-remedial-action", json!({ "action": action.id.as_str(), "status": "done" }), "2026-07-03T00:00:00Z"), Err(Error::Forbidden(_))));
    b.act(1, "update-remedial-action", json!({ "action": action.id.as_str(), "status": "done" }), "2026-07-03T00:00:00Z");
    assert_eq!(b.state(0, "2026-07-04T00:00:00Z")["aar"]["lessons"][0]["status"], "actions-done");
    assert!(matches!(b.try_act(1, "validate-lesson", json!({ "lesson": lesson.id.as_str() }), "2026-07-05T00:00:00Z"), Err(Error::Forbidden(_))));
    b.act(0, "validate-lesson", json!({ "lesson": lesson.id.as_str() }), "2026-07-05T00:00:00Z");
    let now = "2026-08-01T00:00:00Z";
    let full = b.state(0, now);
    let aar = &full["aar"];
    assert_eq!(full["status"], "ended");
    let assessed: Vec<&str> = aar["objectives"].as_array().unwrap().iter().map(|o| o["assessment"].as_str().unwrap()).collect();
    assert_eq!(assessed, ["met", "not-met"]);
    assert_eq!(aar["objectives"][0]["observations"], json!([o1.id.as_str()]));
    assert_eq!(aar["lessons"][0]["status"], "learned");
    assert_eq!(
        aar["summary"],
        json!({ "objectives": 2, "objectives_met": 1, "observations": 2, "lessons": 1, "lessons_learned": 1, "actions": 1, "actions_done": 1, "actions_overdue": 0 })
    );
    // Partner 2's node holds no inject nor response (it was no target): the same report.
    let on_2: Vec<Record> = b.made.iter().filter(|r| types_audience(r).contains(&p(2))).cloned().collect();
    assert!(on_2.iter().all(|r| r.kind != INJECT));
    let theirs = Exercises.state(&Records::new(on_2), &b.world.ctx(2, &at(now)))["exercises"][0]["aar"].clone();
    assert_eq!(&theirs, aar);
}

#[test]
fn bad_input_is_refused_naming_the_property_and_nothing_is_stored() {
    let mut b = Bench::new();
    // An inject for a party that does not participate (partner 0 is control, not a participant).
    let mut bad = plan();
    bad["msel"][0]["injects"][0]["target_refs"] = json!([p(0)]);
    b.refused(0, "plan-exercise", bad, "2026-05-01T00:00:00Z", "msel[0].injects[0].target_refs[0]");
    let mut bad = plan();
    bad["msel"][0]["injects"][1]["objective"] = json!("O-9");
    b.refused(0, "plan-exercise", bad, "2026-05-01T00:00:00Z", "msel[0].injects[1].objective");
    let mut bad = plan();
    bad["exercise_type"] = json!("war-game");
    b.refused(0, "plan-exercise", bad, "2026-05-01T00:00:00Z", "exercise_type");
    let mut bad = plan();
    bad["participants"][0]["party_ref"] = json!(p(3));
    b.refused(0, "plan-exercise", bad, "2026-05-01T00:00:00Z", "participants[0].party_ref");
    let mut bad = plan();
    bad["msel"][0]["injects"][0]["content"] = json!("<script>x</script>".repeat(2000));
    b.refused(0, "plan-exercise", bad, "2026-05-01T00:00:00Z", "msel[0].injects[0].content");
    assert!(b.made.is_empty());

    let x = b.started();
    let xid = x.id.as_str();
    let o = b.act(0, "record-observation", json!({ "exercise": xid, "objective": "O-1", "rating": "met", "text": "fine" }), "2026-06-01T09:00:00Z");
    let n = b.made.len();
    // A lesson without an observation.
    b.refused(1, "identify-lesson", json!({ "exercise": xid, "title": "t" }), "2026-06-02T00:00:00Z", "observation_refs");
    b.refused(1, "identify-lesson", json!({ "exercise": xid, "observation_refs": [], "title": "t" }), "2026-06-02T00:00:00Z", "observation_refs");
    b.refused(1, "identify-lesson", json!({ "exercise": xid, "observation_refs": ["x-entente-exercise-observation--00000000-0000-4000-8000-000000000009"], "title": "t" }), "2026-06-02T00:00:00Z", "observation_refs[0]");
    let lesson = b.act(1, "identify-lesson", json!({ "exercise": xid, "observation_refs": [o.id.as_str()], "title": "t" }), "2026-06-02T00:00:00Z");
    // A remedial action without an owner or a due date.
    b.refused(0, "add-remedial-action", json!({ "lesson": lesson.id.as_str(), "description": "d", "due": "2026-09-01T00:00:00Z" }), "2026-06-02T00:00:00Z", "owner_ref");
    b.refused(0, "add-remedial-action", json!({ "lesson": lesson.id.as_str(), "description": "d", "owner_ref": p(1) }), "2026-06-02T00:00:00Z", "due");
    b.refused(0, "add-remedial-action", json!({ "lesson": lesson.id.as_str(), "description": "d", "owner_ref": p(3), "due": "2026-09-01T00:00:00Z" }), "2026-06-02T00:00:00Z", "owner_ref");
    // An observation against no objective of the plan; an unknown rating.
    b.refused(0, "record-observation", json!({ "exercise": xid, "objective": "O-7", "rating": "met", "text": "t" }), "2026-06-02T00:00:00Z", "objective");
    b.refused(0, "record-observation", json!({ "exercise": xid, "objective": "O-1", "rating": "great", "text": "t" }), "2026-06-02T00:00:00Z", "rating");
    b.refused(0, "release-inject", json!({ "exercise": xid, "inject": "I-9" }), "2026-06-02T00:00:00Z", "inject");
    assert_eq!(b.made.len(), n + 1, "only the lesson was stored");
}

#[test]
fn exercise_records_are_refused_under_a_real_only_agreement_made_here_or_arriving() {
    let mut b = Bench::new();
    b.started();
    let mut real = World::new();
    real.agreement.terms.scope.data_kind = DataKind::Real;
    let Value::Object(input) = plan() else { unreachable!() };
    match partnership::author(&Exercises, "plan-exercise", &input, &Records::default(), &real.ctx(0, &at("2026-05-01T00:00:00Z"))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "agreement_ref"),
        other => panic!("a plan under a real-only agreement: {other:?}"),
    }
    for object in &b.objects {
        match partnership::accept(&Exercises, object, &real.ctx(1, &at("2026-06-02T00:00:00Z"))) {
            Err(Error::Invalid { property, .. }) => assert_eq!(property, "agreement_ref", "{}", object.id()),
            other => panic!("{} arriving under a real-only agreement: {other:?}", object.id()),
        }
        // Every record is exercise data, for the release decision too.
        assert!(policy::ObjectFacts::from_object(object).unwrap().exercise, "{}", object.id());
        assert!(partnership::accept(&Exercises, object, &b.world.ctx(1, &at("2026-06-02T00:00:00Z"))).is_ok());
    }
    // A record stripped of its label is refused on arrival.
    let mut unlabelled = b.objects[0].to_value();
    unlabelled.as_object_mut().unwrap().remove("labels");
    let unlabelled = Object::from_value(unlabelled).unwrap();
    match partnership::accept(&Exercises, &unlabelled, &b.world.ctx(1, &at("2026-06-02T00:00:00Z"))) {
        Err(Error::Invalid { property, .. }) => assert_eq!(property, "labels"),
        other => panic!("an unlabelled plan: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_same_records_in_any_order_and_split_give_the_same_state(seed in proptest::collection::vec(0usize..1000, 1..40), split in 0usize..40, hours in 0i64..2000) {
        let mut b = Bench::new();
        let x = b.started();
        let xid = x.id.as_str();
        let r = b.act(0, "release-inject", json!({ "exercise": xid, "inject": "I-2" }), "2026-06-01T09:00:00Z");
        b.act(2, "respond-inject", json!({ "inject": r.id.as_str(), "text": "holding line" }), "2026-06-01T09:10:00Z");
        b.act(1, "respond-inject", json!({ "inject": r.id.as_str(), "text": "agreed" }), "2026-06-01T09:11:00Z");
        let o = b.act(0, "record-observation", json!({ "exercise": xid, "objective": "O-2", "rating": "partially-met", "text": "slow" }), "2026-06-01T10:00:00Z");
        b.act(0, "end-exercise", json!({ "exercise": xid }), "2026-06-02T00:00:00Z");
        let l = b.act(2, "identify-lesson", json!({ "exercise": xid, "observation_refs": [o.id.as_str()], "title": "slow" }), "2026-06-03T00:00:00Z");
        let a = b.act(0, "add-remedial-action", json!({ "lesson": l.id.as_str(), "description": "d", "owner_ref": p(2), "due": "2026-06-20T00:00:00Z" }), "2026-06-04T00:00:00Z");
        b.act(2, "update-remedial-action", json!({ "action": a.id.as_str(), "status": "progress" }), "2026-06-10T00:00:00Z");
        b.act(2, "update-remedial-action", json!({ "action": a.id.as_str(), "status": "done" }), "2026-06-25T00:00:00Z");
        b.act(0, "validate-lesson", json!({ "lesson": l.id.as_str() }), "2026-06-26T00:00:00Z");
        let all = b.made.clone();
        let mut order: Vec<usize> = (0..all.len()).collect();
        for (i, s) in seed.iter().cycle().take(all.len()).enumerate() {
            let j = i + s % (all.len() - i);
            order.swap(i, j);
        }
        let shuffled: Vec<Record> = order.iter().map(|i| all[*i].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(shuffled.len()));
        let node = Records::new(first.iter().cloned().chain(second.iter().cloned()));
        let now = Timestamp::from_micros(at("2026-06-01T00:00:00Z").micros() + hours * 3_600_000_000);
        for who in 0..3 {
            let ctx = b.world.ctx(who, &now);
            prop_assert_eq!(Exercises.state(&node, &ctx), Exercises.state(&Records::new(all.clone()), &ctx));
        }
        prop_assert!(all.iter().all(|r| KINDS.contains(&r.kind.as_str())));
    }
}

/// A form's flat inject rows (`injects`, each with its `move`) make the
/// same MSEL as the nested one; on an edit they are added to the moves the
/// plan has (a new move appended); a row without a move, or with a bad
/// inject, is refused by name and nothing is stored.
#[test]
fn inject_rows_make_the_msel_and_an_edit_adds_to_it() {
    let mut b = Bench::new();
    let nested = plan();
    let mut flat = plan();
    let rows: Vec<Value> = nested["msel"][0]["injects"].as_array().unwrap().iter().map(|i| {
        let mut r = i.clone();
        r["move"] = json!("1");
        r["move_title"] = json!("Initial compromise");
        r
    }).collect();
    flat.as_object_mut().unwrap().remove("msel");
    flat["injects"] = json!(rows);
    let x = b.act(0, "plan-exercise", flat, "2026-05-01T00:00:00Z");
    assert_eq!(x.properties["msel"], nested["msel"], "the same MSEL");
    let more = json!({ "exercise": x.id.as_str(), "injects": [
        { "move": "1", "id": "I-3", "offset_minutes": 90, "target_refs": [p(2)], "content": "Ransom note <b>", "objective": "O-1" },
        { "move": "2", "move_title": "Recovery", "id": "I-4", "offset_minutes": 600, "target_refs": [p(1)], "content": "Restore", "objective": "O-2" },
    ]});
    let edited = b.act(0, "edit-exercise", more, "2026-05-01T01:00:00Z");
    let msel = edited.properties["msel"].as_array().unwrap();
    assert_eq!(msel.len(), 2);
    let ids = |m: &Value| m["injects"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!((ids(&msel[0]), ids(&msel[1]), msel[1]["title"].as_str()), (vec!["I-1".to_owned(), "I-2".into(), "I-3".into()], vec!["I-4".to_owned()], Some("Recovery")));
    b.refused(0, "edit-exercise", json!({ "exercise": x.id.as_str(), "injects": [{ "id": "I-5", "offset_minutes": 5, "target_refs": [p(1)], "content": "c" }] }), "2026-05-01T02:00:00Z", "injects[0].move");
    b.refused(0, "edit-exercise", json!({ "exercise": x.id.as_str(), "injects": [{ "move": "2", "id": "I-5", "offset_minutes": 5, "target_refs": [p(3)], "content": "c" }] }), "2026-05-01T02:00:00Z", "msel[1].injects[1].target_refs[0]");
}
