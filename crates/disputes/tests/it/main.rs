//! The disputes module's tests: the kit's contract (`module_suite!`) over a
//! dispute scenario; the ladder under a controlled clock (deadlines advance
//! stages, escalation by every party, settlement by every party's
//! acceptance of the latest version); the timing rule (an acceptance dated
//! before the deadline counts even when it arrives after); a mediator
//! receives the dispute's records; bad input refused naming the property.

use disputes::{Disputes, ACCEPTANCE, DISPUTE};
use model::{Object, Timestamp};
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use proptest::prelude::*;
use serde_json::{json, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

fn raise() -> Value {
    json!({ "clause": "handling.reshare", "facts": "B reshared a report beyond the parties", "fact_refs": ["report--00000000-0000-4000-8000-000000000009"], "remedy": "recall the reshared copies" })
}

/// A dispute raised by 0, positions of 0 and 1, a proposal by 1 accepted
/// by all, an escalation, a second dispute escalated by all.
fn scenario() -> Vec<Step> {
    vec![
        (0, "raise", raise()),
        (0, "file-position", json!({ "dispute": "$0", "text": "the reshare breached the terms" })),
        (1, "file-position", json!({ "dispute": "$0", "text": "the recipient was a party's CERT" })),
        (1, "propose", json!({ "dispute": "$0", "text": "we recall and retrain" })),
        (2, "escalate", json!({ "dispute": "$0" })),
        (0, "accept", json!({ "proposal": "$3" })),
        (1, "accept", json!({ "proposal": "$3" })),
        (2, "accept", json!({ "proposal": "$3" })),
        (2, "raise", json!({ "clause": "tlp_ceiling", "facts": "amber marked red", "remedy": "relabel" })),
        (0, "escalate", json!({ "dispute": "$8" })),
        (1, "escalate", json!({ "dispute": "$8" })),
        (2, "escalate", json!({ "dispute": "$8" })),
    ]
}

partnership::module_suite!(Disputes, scenario());

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
        let object = partnership::author(&Disputes, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
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
            Err(Error::Invalid { property: got, .. }) => assert_eq!(got, property),
            other => panic!("{action} by {who}: expected refused naming {property}, got {other:?}"),
        }
        assert_eq!(self.made.len(), before, "nothing stored");
    }

    fn dispute(&self, now: &str) -> Value {
        Disputes.state(&self.records(), &self.world.ctx(0, &at(now)))["disputes"][0].clone()
    }
}

fn stages(d: &Value) -> Vec<(String, Option<String>)> {
    d["timeline"].as_array().unwrap().iter().map(|e| (e["stage"].as_str().unwrap().to_owned(), e["ended_by"].as_str().map(str::to_owned))).collect()
}

#[test]
fn deadlines_advance_the_stages_on_their_own() {
    let mut b = Bench::new();
    b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let d = b.dispute("2026-03-14T23:59:59Z");
    assert_eq!((d["stage"].as_str(), d["deadline"].as_str()), (Some("consultation"), Some("2026-03-15T00:00:00.000000Z")), "{d}");
    assert_eq!(d["respondents"], json!([p(1), p(2)]));
    // The deadline passes: senior dialogue starts at it, without a record.
    let d = b.dispute("2026-03-15T00:00:00Z");
    assert_eq!(d["stage"], "senior-dialogue");
    assert_eq!(stages(&d), [("consultation".into(), Some("lapsed".into())), ("senior-dialogue".into(), None)]);
    // 14 + 14 + 30 + 30 days later: arbitration, which never lapses.
    let d = b.dispute("2026-06-01T00:00:00Z");
    assert_eq!(d["stage"], "arbitration", "{d}");
    assert_eq!(d["timeline"][4]["start"], "2026-05-28T00:00:00.000000Z");
    let d = b.dispute("2027-06-01T00:00:00Z");
    assert_eq!((d["stage"].as_str(), d["overdue"].as_bool()), (Some("arbitration"), Some(true)));
    assert_eq!(b.records().len(), 1, "nothing stored by the clock");
}

#[test]
fn every_party_agreeing_escalates_at_the_last_agreement() {
    let mut b = Bench::new();
    let d = b.act(1, "raise", raise(), "2026-03-01T00:00:00Z");
    let id = json!({ "dispute": d.id.as_str() });
    b.act(0, "escalate", id.clone(), "2026-03-02T00:00:00Z");
    b.act(1, "escalate", id.clone(), "2026-03-03T00:00:00Z");
    assert_eq!(b.dispute("2026-03-04T00:00:00Z")["stage"], "consultation", "two of three parties do not escalate");
    b.act(2, "escalate", id.clone(), "2026-03-05T00:00:00Z");
    let s = b.dispute("2026-03-06T00:00:00Z");
    assert_eq!(s["stage"], "senior-dialogue");
    assert_eq!(s["timeline"][0]["ended_by"], "escalated");
    assert_eq!((s["timeline"][1]["start"].as_str(), s["deadline"].as_str()), (Some("2026-03-05T00:00:00Z"), Some("2026-03-19T00:00:00.000000Z")));
    // An escalation from a stage counts for that stage only.
    b.act(0, "escalate", id, "2026-03-07T00:00:00Z");
    assert_eq!(b.dispute("2026-03-08T00:00:00Z")["stage"], "senior-dialogue");
}

#[test]
fn a_settlement_is_a_proposal_every_party_accepted_at_its_latest_version() {
    let mut b = Bench::new();
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let prop = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "we recall" }), "2026-03-02T00:00:00Z");
    let a = json!({ "proposal": prop.id.as_str() });
    for who in [0, 1] {
        b.act(who, "accept", a.clone(), "2026-03-03T00:00:00Z");
    }
    assert_eq!(b.dispute("2026-03-04T00:00:00Z")["status"], "consultation");
    // Accepted twice: refused.
    b.refused(0, "accept", a.clone(), "2026-03-04T00:00:00Z", "proposal");
    b.act(2, "accept", a.clone(), "2026-03-05T00:00:00Z");
    let s = b.dispute("2026-04-10T00:00:00Z");
    assert_eq!((s["status"].as_str(), s["settled_by"].as_str(), s["settled_at"].as_str()), (Some("settled"), Some(prop.id.as_str()), Some("2026-03-05T00:00:00Z")), "{s}");
    assert_eq!(stages(&s), [("consultation".into(), Some("settled".into()))], "a settled dispute no longer climbs");
    // Nothing more is filed in a settled dispute.
    b.refused(1, "file-position", json!({ "dispute": d.id.as_str(), "text": "more" }), "2026-04-11T00:00:00Z", "dispute");
}

#[test]
fn the_timing_rule_an_acceptance_dated_before_the_deadline_counts_when_it_arrives_after() {
    let mut b = Bench::new();
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let prop = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "we recall" }), "2026-03-02T00:00:00Z");
    let a = json!({ "proposal": prop.id.as_str() });
    b.act(0, "accept", a.clone(), "2026-03-03T00:00:00Z");
    b.act(1, "accept", a.clone(), "2026-03-03T00:00:00Z");
    // Partner 2 accepts on its own node the day before the deadline ...
    b.act(2, "accept", a.clone(), "2026-03-14T00:00:00Z");
    let late = b.made.pop().unwrap();
    // ... the others' nodes, without it, see the deadline pass.
    assert_eq!(b.dispute("2026-03-20T00:00:00Z")["stage"], "senior-dialogue");
    // It arrives a week later: it counted before the deadline, on every node.
    b.made.push(late);
    let s = b.dispute("2026-03-20T00:00:00Z");
    assert_eq!((s["status"].as_str(), s["settled_at"].as_str()), (Some("settled"), Some("2026-03-14T00:00:00Z")), "{s}");
    assert_eq!(stages(&s), [("consultation".into(), Some("settled".into()))]);
    // An acceptance dated after the deadline settles in the stage it falls in.
    let mut b = Bench::new();
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let prop = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "we recall" }), "2026-03-02T00:00:00Z");
    let a = json!({ "proposal": prop.id.as_str() });
    b.act(0, "accept", a.clone(), "2026-03-03T00:00:00Z");
    b.act(1, "accept", a.clone(), "2026-03-03T00:00:00Z");
    b.act(2, "accept", a, "2026-03-16T00:00:00Z");
    let s = b.dispute("2026-03-20T00:00:00Z");
    assert_eq!(stages(&s), [("consultation".into(), Some("lapsed".into())), ("senior-dialogue".into(), Some("settled".into()))], "{s}");
}

#[test]
fn an_edited_proposal_needs_new_acceptances_and_an_old_version_is_refused() {
    let mut b = Bench::new();
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let prop = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "we recall" }), "2026-03-02T00:00:00Z");
    let mut versions = b.records().versions(&prop.id).to_vec();
    // A new version of the proposal by its author (as the kit's revise would make).
    let mut second = versions[0].clone();
    second.modified = at("2026-03-03T00:00:00Z");
    second.properties.insert("modified".into(), json!("2026-03-03T00:00:00Z"));
    second.properties.insert("text".into(), json!("we recall and retrain"));
    versions.push(second.clone());
    b.made.push(second);
    b.refused(0, "accept", json!({ "proposal": prop.id.as_str(), "version": prop.modified.as_str() }), "2026-03-04T00:00:00Z", "version");
    b.act(0, "accept", json!({ "proposal": prop.id.as_str(), "version": "2026-03-03T00:00:00Z" }), "2026-03-04T00:00:00Z");
    assert_eq!(b.records().of_kind(ACCEPTANCE).count(), 1);
}

#[test]
fn bad_input_is_refused_naming_the_property_and_nothing_is_stored() {
    let mut b = Bench::new();
    // Not a party: the kit refuses before anything is drafted.
    assert!(matches!(b.try_act(3, "raise", raise(), "2026-03-01T00:00:00Z"), Err(Error::Forbidden(_))));
    let mut missing = raise();
    missing["clause"] = json!("handling.no_such_term");
    b.refused(0, "raise", missing, "2026-03-01T00:00:00Z", "clause");
    let mut party = raise();
    party["mediators"] = json!([p(1)]);
    b.refused(0, "raise", party, "2026-03-01T00:00:00Z", "mediator_refs[0]");
    let mut hostile = raise();
    hostile["facts"] = json!("<script>alert(1)</script>".repeat(2000));
    b.refused(0, "raise", hostile, "2026-03-01T00:00:00Z", "facts");
    b.refused(0, "propose", json!({ "dispute": "x-entente-dispute--00000000-0000-4000-8000-000000000001", "text": "t" }), "2026-03-01T00:00:00Z", "dispute");
    assert!(b.made.is_empty());
}

#[test]
fn a_mediator_receives_the_disputes_records_and_is_never_a_party() {
    // The node registers the module's kinds when it builds its modules;
    // unregistered, a dispute would reach the parties alone (fail closed).
    partnership::declare(&disputes::Disputes).expect("the kinds register");
    let mut b = Bench::new();
    let mut input = raise();
    input["mediators"] = json!([p(3)]);
    let d = b.act(0, "raise", input, "2026-03-01T00:00:00Z");
    b.act(1, "file-position", json!({ "dispute": d.id.as_str(), "text": "ours" }), "2026-03-02T00:00:00Z");
    let prop = b.act(2, "propose", json!({ "dispute": d.id.as_str(), "text": "split it" }), "2026-03-03T00:00:00Z");
    b.act(0, "accept", json!({ "proposal": prop.id.as_str() }), "2026-03-04T00:00:00Z");
    b.act(1, "escalate", json!({ "dispute": d.id.as_str() }), "2026-03-04T00:00:00Z");
    let index = policy::AgreementIndex::build(std::slice::from_ref(&b.world.agreement), &[], &[], &policy::PartyKeys::new());
    let mediator = &b.world.partners[3];
    for object in &b.objects {
        let facts = policy::ObjectFacts::from_object(object).unwrap();
        assert!(policy::decide(&facts, mediator, &at("2026-03-05T00:00:00Z"), &[], &index).is_allowed(), "{} to the mediator", object.id());
    }
    assert_eq!(b.dispute("2026-03-05T00:00:00Z")["mediators"], json!([p(3)]));
    // The agreement itself does not go to the mediator.
    let agreement = policy::ext::agreement_object(&b.world.agreement.id, &b.world.partners[0], &at("2026-01-01T00:00:00Z"), &at("2026-01-01T00:00:00Z"), &b.world.agreement.terms).unwrap();
    let facts = policy::ObjectFacts::from_object(&agreement).unwrap();
    assert!(!policy::decide(&facts, mediator, &at("2026-03-05T00:00:00Z"), &[], &index).is_allowed());
    // A mediator is named by the dispute's raiser only, and never a party.
    b.refused(0, "name-mediator", json!({ "dispute": d.id.as_str(), "mediators": [p(2)] }), "2026-03-06T00:00:00Z", "mediator_refs[0]");
    assert!(matches!(b.try_act(1, "name-mediator", json!({ "dispute": d.id.as_str(), "mediators": [p(3)] }), "2026-03-06T00:00:00Z"), Err(Error::Forbidden(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_same_records_in_any_order_and_split_give_the_same_ladder(seed in proptest::collection::vec(0usize..1000, 1..40), split in 0usize..40, day in 0i64..120) {
        let mut b = Bench::new();
        let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
        let id = json!({ "dispute": d.id.as_str() });
        b.act(1, "file-position", json!({ "dispute": d.id.as_str(), "text": "ours" }), "2026-03-02T00:00:00Z");
        for who in [0, 1, 2] { b.act(who, "escalate", id.clone(), "2026-03-05T00:00:00Z"); }
        let prop = b.act(2, "propose", json!({ "dispute": d.id.as_str(), "text": "split" }), "2026-03-30T00:00:00Z");
        for who in [0, 1] { b.act(who, "accept", json!({ "proposal": prop.id.as_str() }), "2026-04-02T00:00:00Z"); }
        b.act(2, "accept", json!({ "proposal": prop.id.as_str() }), "2026-05-20T00:00:00Z");
        let all = b.made.clone();
        let mut order: Vec<usize> = (0..all.len()).collect();
        for (i, s) in seed.iter().cycle().take(all.len()).enumerate() {
            let j = i + s % (all.len() - i);
            order.swap(i, j);
        }
        let shuffled: Vec<Record> = order.iter().map(|i| all[*i].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(shuffled.len()));
        let node = Records::new(first.iter().cloned().chain(second.iter().cloned()));
        let now = Timestamp::from_micros(at("2026-03-01T00:00:00Z").micros() + day * 86_400_000_000);
        for who in 0..3 {
            let ctx = b.world.ctx(who, &now);
            prop_assert_eq!(Disputes.state(&node, &ctx), Disputes.state(&Records::new(all.clone()), &ctx));
        }
        prop_assert!(all.iter().all(|r| disputes::KINDS.contains(&r.kind.as_str())));
        prop_assert_eq!(all[0].kind.as_str(), DISPUTE);
    }
}

/// A bench whose agreement carries `dispute_terms`.
fn with_terms(dispute_terms: Value) -> Bench {
    let mut b = Bench::new();
    let a = &b.world.agreement;
    let object = policy::ext::agreement_object(&a.id, &b.world.partners[0], &at("2026-01-01T00:00:00Z"), &at("2026-01-01T00:00:00Z"), &a.terms).unwrap();
    let mut value = object.to_value();
    value["dispute_terms"] = dispute_terms;
    b.world.agreement = policy::Agreement::from_object(&Object::from_value(value).unwrap()).unwrap();
    b
}

#[test]
fn the_agreements_ladder_replaces_the_default_one() {
    let mut b = with_terms(json!({ "ladder": [{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }] }));
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let s = b.dispute("2026-03-07T23:00:00Z");
    assert_eq!((s["stage"].as_str(), s["deadline"].as_str()), (Some("consultation"), Some("2026-03-08T00:00:00.000000Z")));
    assert_eq!(s["ladder"], json!([{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }]));
    // Seven days on, straight to arbitration: the stages the terms leave out are skipped.
    let s = b.dispute("2026-03-08T00:00:00Z");
    assert_eq!(stages(&s), [("consultation".into(), Some("lapsed".into())), ("arbitration".into(), None)]);
    // Every party escalating from consultation: the escalation names the
    // agreement's stage; from arbitration, the last, there is nowhere to go.
    for who in 0..3 {
        let e = b.act(who, "escalate", json!({ "dispute": d.id.as_str() }), "2026-03-02T00:00:00Z");
        assert_eq!(e.properties["stage"], "consultation");
    }
    assert_eq!(b.dispute("2026-03-03T00:00:00Z")["stage"], "arbitration");
    b.refused(0, "escalate", json!({ "dispute": d.id.as_str() }), "2026-03-04T00:00:00Z", "dispute");
}

#[test]
fn a_remedy_holds_from_its_stage_until_the_settlement_on_every_node_alike() {
    let terms = json!({
        "ladder": [{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }],
        "remedies": [{ "from": "arbitration", "effect": "suspend-sharing" }]
    });
    let mut b = with_terms(terms.clone());
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    // Known from the first record: the remedy will hold when arbitration
    // starts (the consultation's deadline), until something ends it.
    let holds = disputes::rules::holds(&b.records(), &b.world.agreement);
    assert_eq!(holds.len(), 1);
    assert_eq!((holds[0].from.as_str(), holds[0].until.as_ref()), ("2026-03-08T00:00:00.000000Z", None));
    assert!(!holds[0].holds_at(&at("2026-03-07T23:59:59Z")) && holds[0].holds_at(&at("2026-03-08T00:00:00Z")));
    assert_eq!(b.dispute("2026-03-05T00:00:00Z")["remedies"][0]["in_force"], false);
    assert_eq!(b.dispute("2026-03-09T00:00:00Z")["remedies"][0]["in_force"], true);
    // Settled during arbitration: it holds until the last acceptance.
    let proposal = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "recall and retrain" }), "2026-03-09T00:00:00Z");
    for (who, when) in [(0, "2026-03-10T00:00:00Z"), (1, "2026-03-11T00:00:00Z"), (2, "2026-03-12T00:00:00Z")] {
        b.act(who, "accept", json!({ "proposal": proposal.id.as_str() }), when);
    }
    let holds = disputes::rules::holds(&b.records(), &b.world.agreement);
    assert_eq!(holds[0].until.as_ref().map(Timestamp::as_str), Some("2026-03-12T00:00:00Z"));
    assert!(holds[0].holds_at(&at("2026-03-11T23:00:00Z")) && !holds[0].holds_at(&at("2026-03-12T00:00:00Z")));
    assert_eq!(b.dispute("2026-03-13T00:00:00Z")["remedies"][0]["in_force"], false);
    // The same records in the reverse order (another node's arrival order): the same holds.
    let reversed = Records::new(b.made.iter().rev().cloned());
    assert_eq!(disputes::rules::holds(&reversed, &b.world.agreement), holds);
    // Settled before arbitration: the remedy never holds.
    let mut b = with_terms(terms);
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    let proposal = b.act(1, "propose", json!({ "dispute": d.id.as_str(), "text": "agreed" }), "2026-03-02T00:00:00Z");
    for who in 0..3 {
        b.act(who, "accept", json!({ "proposal": proposal.id.as_str() }), "2026-03-03T00:00:00Z");
    }
    assert!(disputes::rules::holds(&b.records(), &b.world.agreement).is_empty());
    // No remedies in the terms: none.
    let mut b = Bench::new();
    b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    assert!(disputes::rules::holds(&b.records(), &b.world.agreement).is_empty());
}

#[test]
fn a_withdrawn_disputes_remedy_held_until_the_withdrawal_and_only_its_raiser_withdraws() {
    let terms = json!({
        "ladder": [{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }],
        "remedies": [{ "from": "arbitration", "effect": "suspend-sharing" }]
    });
    let mut b = with_terms(terms.clone());
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    b.refused(1, "withdraw", json!({ "dispute": d.id.as_str() }), "2026-03-09T00:00:00Z", "dispute");
    let w = b.act(0, "withdraw", json!({ "dispute": d.id.as_str() }), "2026-03-10T00:00:00Z");
    assert!(w.revoked && w.id == d.id, "a new version of the dispute that withdraws it");
    // It leaves the state; its remedy held from arbitration until the
    // withdrawal, so the node knows what it kept back and re-offers it.
    assert!(Disputes.state(&b.records(), &b.world.ctx(0, &at("2026-03-11T00:00:00Z")))["disputes"].as_array().unwrap().is_empty());
    let holds = disputes::rules::holds(&b.records(), &b.world.agreement);
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!((holds[0].from.as_str(), holds[0].until.as_ref().map(Timestamp::as_str)), ("2026-03-08T00:00:00.000000Z", Some("2026-03-10T00:00:00Z")));
    assert!(holds[0].holds_at(&at("2026-03-09T00:00:00Z")) && !holds[0].holds_at(&at("2026-03-10T00:00:00Z")));
    let reversed = Records::new(b.made.iter().rev().cloned());
    assert_eq!(disputes::rules::holds(&reversed, &b.world.agreement), holds);
    // Nothing more on a withdrawn dispute.
    b.refused(1, "file-position", json!({ "dispute": d.id.as_str(), "text": "late" }), "2026-03-11T00:00:00Z", "dispute");
    b.refused(0, "withdraw", json!({ "dispute": d.id.as_str() }), "2026-03-11T00:00:00Z", "dispute");
    // Withdrawn before its remedy's stage: the remedy never held.
    let mut b = with_terms(terms);
    let d = b.act(0, "raise", raise(), "2026-03-01T00:00:00Z");
    b.act(0, "withdraw", json!({ "dispute": d.id.as_str() }), "2026-03-02T00:00:00Z");
    assert!(disputes::rules::holds(&b.records(), &b.world.agreement).is_empty());
}
