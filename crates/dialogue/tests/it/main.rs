//! The dialogue module's tests: the kit's contract (`module_suite!`) over a
//! scenario of channels, messages, meetings, approvals and action items;
//! agreed minutes and their reset by an edit; a channel of some parties
//! whose messages go to them alone; bad input refused naming the property;
//! action items and meetings held against planned under a controlled
//! clock; the same state from the same records in any order and split.

use dialogue::{Dialogue, ACTION_ITEM, APPROVAL};
use model::{Object, Timestamp};
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use proptest::prelude::*;
use serde_json::{json, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

fn meeting_input(minutes: &str) -> Value {
    json!({
        "title": "Senior dialogue, spring", "meeting_type": "senior-dialogue", "date": "2026-05-01T10:00:00Z",
        "participants": [
            { "party": p(0), "name": "Head of delegation A", "role": "chair" },
            { "party": p(1), "name": "Head of delegation B", "role": "member" },
        ],
        "agenda": ["threat picture", "joint exercise"], "minutes": minutes, "decisions": ["hold the exercise in autumn"],
    })
}

/// Channels (one for all parties, one for partners 0 and 1), a thread,
/// a message in the narrow channel, a meeting approved by both its
/// participants, action items acknowledged and commented on.
fn scenario() -> Vec<Step> {
    vec![
        (0, "create-channel", json!({ "title": "Coordination", "topic": "day to day" })),
        (1, "create-channel", json!({ "title": "Two of us", "members": [p(0)] })),
        (0, "post-message", json!({ "channel": "$0", "text": "hello all", "tlp": "green" })),
        (1, "post-message", json!({ "channel": "$0", "text": "hello", "reply_to": "$2" })),
        (0, "post-message", json!({ "channel": "$1", "text": "for you alone", "object_refs": ["malware--00000000-0000-4000-8000-000000000001"] })),
        (0, "record-meeting", meeting_input("We met and agreed.")),
        (0, "approve-minutes", json!({ "meeting": "$5" })),
        (1, "approve-minutes", json!({ "meeting": "$5" })),
        (0, "add-action-item", json!({ "description": "draft the exercise plan", "owner": p(1), "due": "2026-07-01T00:00:00Z", "meeting": "$5" })),
        (1, "update-action-item", json!({ "action_item": "$8", "update": "acknowledge" })),
        (2, "update-action-item", json!({ "action_item": "$8", "update": "comment", "text": "we can host it" })),
        (2, "add-action-item", json!({ "description": "share the sensor list", "owner": p(2), "due": "2026-06-15T00:00:00Z" })),
    ]
}

partnership::module_suite!(Dialogue, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

/// Records made one action at a time by the parties of the suite's
/// trilateral agreement (partners 0–2; partner 3 is no party).
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
        let object = partnership::author(&Dialogue, action, &input, &self.records(), &self.world.ctx(who, &at(now)))?;
        let record = Record::from_object(&object).unwrap();
        self.made.push(record.clone());
        self.objects.push(object);
        Ok(record)
    }

    fn act(&mut self, who: usize, action: &str, input: Value, now: &str) -> Record {
        let what = format!("{action} by {who}");
        self.try_act(who, action, input, now).unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    fn state(&self, now: &str) -> Value {
        Dialogue.state(&self.records(), &self.world.ctx(0, &at(now)))
    }
}

/// The property an error names, or the error itself.
fn property(e: Error) -> String {
    match e {
        Error::Invalid { property, .. } => property,
        other => panic!("not an invalid property: {other:?}"),
    }
}

#[test]
fn minutes_are_agreed_when_every_participant_approved_the_latest_version() {
    let mut b = Bench::new();
    let meeting = b.act(0, "record-meeting", meeting_input("draft minutes"), "2026-05-02T00:00:00Z");
    let m = json!({ "meeting": meeting.id.as_str() });
    let minutes = |b: &Bench| b.state("2026-06-01T00:00:00Z")["meetings"][0].clone();
    assert_eq!(minutes(&b)["minutes_status"], "awaiting");
    assert_eq!(minutes(&b)["awaiting"], json!([p(0), p(1)]));
    b.act(0, "approve-minutes", m.clone(), "2026-05-03T00:00:00Z");
    assert_eq!(minutes(&b)["minutes_status"], "awaiting");
    assert_eq!(minutes(&b)["approved_by"], json!([p(0)]));
    // Partner 2 took no part: it does not approve, and is not waited for.
    assert!(matches!(b.try_act(2, "approve-minutes", m.clone(), "2026-05-03T00:00:00Z"), Err(Error::Forbidden(_))));
    b.act(1, "approve-minutes", m.clone(), "2026-05-04T00:00:00Z");
    assert_eq!(minutes(&b)["minutes_status"], "agreed");
    assert_eq!(minutes(&b)["status"], "held");

    // An edit after approval: new approvals needed, the old ones count for nothing.
    let first = meeting.modified.to_string();
    let mut edit = meeting_input("corrected minutes");
    edit["meeting"] = json!(meeting.id.as_str());
    b.act(0, "edit-meeting", edit, "2026-05-05T00:00:00Z");
    assert_eq!(minutes(&b)["minutes_status"], "awaiting");
    assert_eq!(minutes(&b)["approved_by"], json!([]));
    // An approval of the earlier version is a record, but does not count.
    b.act(1, "approve-minutes", json!({ "meeting": meeting.id.as_str(), "version": first }), "2026-05-06T00:00:00Z");
    assert_eq!(minutes(&b)["minutes_status"], "awaiting");
    // A version the minutes never had is refused, naming it.
    let e = b.try_act(1, "approve-minutes", json!({ "meeting": meeting.id.as_str(), "version": "2026-05-05T12:00:00Z" }), "2026-05-06T00:00:00Z").unwrap_err();
    assert_eq!(property(e), "version");
    b.act(0, "approve-minutes", m.clone(), "2026-05-07T00:00:00Z");
    b.act(1, "approve-minutes", m, "2026-05-07T00:00:00Z");
    assert_eq!(minutes(&b)["minutes_status"], "agreed");
    assert_eq!(minutes(&b)["minutes"], "corrected minutes");
    assert_eq!(b.records().of_kind(APPROVAL).count(), 5);
}

#[test]
fn a_channel_of_some_parties_sends_its_messages_to_them_alone() {
    let mut b = Bench::new();
    let channel = b.act(0, "create-channel", json!({ "title": "A and B", "members": [p(1)] }), "2026-06-01T00:00:00Z");
    assert_eq!(channel.properties["audience_refs"], json!([p(0), p(1)]), "the creator is a member");
    let c = channel.id.as_str();
    let message = b.act(1, "post-message", json!({ "channel": c, "text": "between us", "tlp": "amber" }), "2026-06-01T00:01:00Z");
    assert_eq!(message.properties["audience_refs"], json!([p(0), p(1)]), "the message carries its channel's members");
    // Partner 2, a party but no member, may not post there.
    let refused = b.try_act(2, "post-message", json!({ "channel": c, "text": "me too" }), "2026-06-01T00:02:00Z");
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    // The release decision gives the channel and the message to its members alone.
    let index = policy::AgreementIndex::build(std::slice::from_ref(&b.world.agreement), &[], &[], &policy::PartyKeys::new());
    let now = at("2026-06-02T00:00:00Z");
    for object in &b.objects {
        let facts = policy::ObjectFacts::from_object(object).unwrap();
        let to: Vec<bool> = b.world.partners.iter().map(|who| policy::decide(&facts, who, &now, &[], &index).is_allowed()).collect();
        assert_eq!(to, [true, true, false, false], "{}", object.id());
    }
    // A message naming a non-party, or leaving out its author, is refused naming the property.
    let mut record = message.clone();
    record.properties.insert("audience_refs".into(), json!([p(1), p(3)]));
    assert_eq!(property(Dialogue.validate(&record, &b.world.ctx(1, &now)).unwrap_err()), "audience_refs[1]");
    record.properties.insert("audience_refs".into(), json!([p(0)]));
    assert_eq!(property(Dialogue.validate(&record, &b.world.ctx(1, &now)).unwrap_err()), "audience_refs");
}

#[test]
fn messages_thread_edit_and_retract() {
    let mut b = Bench::new();
    let c = b.act(0, "create-channel", json!({ "title": "Coordination" }), "2026-06-01T00:00:00Z").id;
    let first = b.act(0, "post-message", json!({ "channel": c.as_str(), "text": "first" }), "2026-06-01T00:01:00Z").id;
    let reply = b.act(1, "post-message", json!({ "channel": c.as_str(), "text": "reply", "reply_to": first.as_str() }), "2026-06-01T00:02:00Z").id;
    let deeper = b.act(2, "post-message", json!({ "channel": c.as_str(), "text": "deeper", "reply_to": reply.as_str() }), "2026-06-01T00:03:00Z").id;
    let messages = |b: &Bench| b.state("2026-06-02T00:00:00Z")["channels"][0]["messages"].clone();
    let m = messages(&b);
    assert_eq!(m[2]["id"], deeper.as_str());
    assert_eq!(m[2]["reply_to"], reply.as_str());
    assert_eq!(m[2]["thread"], first.as_str());
    // A reply to a message that does not exist is refused.
    let missing = b.try_act(1, "post-message", json!({ "channel": c.as_str(), "text": "x", "reply_to": "x-entente-message--00000000-0000-4000-8000-000000000009" }), "2026-06-01T00:04:00Z");
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    // Only the author edits; the edit is a new version.
    let e = b.try_act(0, "edit-message", json!({ "message": reply.as_str(), "text": "mine now" }), "2026-06-01T00:05:00Z");
    assert!(matches!(e, Err(Error::Forbidden(_))), "{e:?}");
    b.act(1, "edit-message", json!({ "message": reply.as_str(), "text": "reply, corrected" }), "2026-06-01T00:05:00Z");
    let m = messages(&b);
    assert_eq!((m[1]["text"].as_str(), m[1]["edited"].as_bool()), (Some("reply, corrected"), Some(true)));
    // Retracted: gone from the channel; its reply starts a thread of its own.
    b.act(1, "retract-message", json!({ "message": reply.as_str() }), "2026-06-01T00:06:00Z");
    let m = messages(&b);
    assert_eq!(m.as_array().unwrap().len(), 2);
    assert_eq!((m[1]["id"].as_str(), m[1]["thread"].as_str(), &m[1]["reply_to"]), (Some(deeper.as_str()), Some(deeper.as_str()), &Value::Null));
}

#[test]
fn bad_input_is_refused_naming_the_property() {
    let mut b = Bench::new();
    let now = "2026-06-01T00:00:00Z";
    let c = b.act(0, "create-channel", json!({ "title": "Coordination" }), now).id;
    let cases: Vec<(usize, &str, Value, &str)> = vec![
        // A party that is not in the agreement.
        (0, "add-action-item", json!({ "description": "x", "owner": p(3), "due": "2026-07-01T00:00:00Z" }), "owner_ref"),
        (0, "create-channel", json!({ "title": "x", "members": [p(3)] }), "audience_refs[1]"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["participants"][1]["party"] = json!(p(3)); m }, "participants[1].party_ref"),
        // A due date before the item was made.
        (0, "add-action-item", json!({ "description": "x", "owner": p(1), "due": "2026-05-31T00:00:00Z" }), "due"),
        // A message above the agreement's ceiling (TLP:AMBER).
        (0, "post-message", json!({ "channel": c.as_str(), "text": "x", "tlp": "red" }), "object_marking_refs[0]"),
        (0, "post-message", json!({ "channel": c.as_str(), "text": "x", "tlp": "purple" }), "tlp"),
        (0, "post-message", json!({ "channel": c.as_str(), "text": "  " }), "text"),
        (0, "post-message", json!({ "channel": c.as_str(), "text": "x", "object_refs": ["not an id"] }), "object_refs[0]"),
        (0, "post-message", json!({ "channel": c.as_str(), "text": "x", "colour": "red" }), "colour"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["date"] = json!("next tuesday"); m }, "date"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["participants"] = json!([]); m }, "participants"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["participants"][0]["name"] = json!(""); m }, "participants[0].name"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["agenda"] = json!(["ok", 3]); m }, "agenda[1]"),
        // Hostile sizes.
        (0, "post-message", json!({ "channel": c.as_str(), "text": "x".repeat(20_001) }), "text"),
        (0, "create-channel", json!({ "title": "<script>".repeat(30) }), "title"),
        (0, "record-meeting", { let mut m = meeting_input("m"); m["decisions"] = json!(vec!["d"; 201]); m }, "decisions"),
    ];
    for (who, action, input, expected) in cases {
        let got = b.try_act(who, action, input.clone(), now).map(|r| r.id.to_string());
        match got {
            Err(Error::Invalid { property, .. }) => assert_eq!(property, expected, "{action} {input}"),
            other => panic!("{action} {input}: {other:?}"),
        }
    }
    // A party with no part in the agreement acts on nothing.
    assert!(matches!(b.try_act(3, "create-channel", json!({ "title": "x" }), now), Err(Error::Forbidden(_))));
    // Nothing was made by the refused actions.
    assert_eq!(b.made.len(), 1);
}

#[test]
fn action_items_follow_their_owner_and_fall_overdue_by_the_clock() {
    let mut b = Bench::new();
    let item = b.act(0, "add-action-item", json!({ "description": "draft the plan", "owner": p(1), "due": "2026-07-01T00:00:00Z" }), "2026-06-01T00:00:00Z").id;
    let i = json!({ "action_item": item.as_str() });
    let with = |extra: Value| {
        let mut v = i.clone();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let view = |b: &Bench, now: &str| b.state(now)["action_items"][0].clone();
    assert_eq!(view(&b, "2026-06-30T23:59:59Z")["status"], "open");
    assert_eq!(view(&b, "2026-06-30T23:59:59Z")["overdue"], false);
    assert_eq!(view(&b, "2026-07-01T00:00:01Z")["overdue"], true);
    assert_eq!(b.state("2026-07-01T00:00:01Z")["overdue"], json!([item.as_str()]));
    // Only the owner acknowledges, reports and closes; others comment.
    assert!(matches!(b.try_act(0, "update-action-item", with(json!({ "update": "close" })), "2026-06-02T00:00:00Z"), Err(Error::Forbidden(_))));
    b.act(2, "update-action-item", with(json!({ "update": "comment", "text": "we can help" })), "2026-06-02T00:00:00Z");
    b.act(1, "update-action-item", with(json!({ "update": "acknowledge" })), "2026-06-03T00:00:00Z");
    assert_eq!(view(&b, "2026-06-04T00:00:00Z")["status"], "acknowledged");
    b.act(1, "update-action-item", with(json!({ "update": "progress", "percent": 40, "text": "half drafted" })), "2026-06-10T00:00:00Z");
    let v = view(&b, "2026-07-02T00:00:00Z");
    assert_eq!((v["status"].as_str(), v["percent"].as_u64(), v["overdue"].as_bool()), (Some("in-progress"), Some(40), Some(true)));
    assert_eq!(v["updates"].as_array().unwrap().len(), 3);
    let bad = b.try_act(1, "update-action-item", with(json!({ "update": "progress", "percent": 140 })), "2026-06-11T00:00:00Z");
    assert_eq!(property(bad.unwrap_err()), "percent");
    let bad = b.try_act(1, "update-action-item", with(json!({ "update": "finish" })), "2026-06-11T00:00:00Z");
    assert_eq!(property(bad.unwrap_err()), "update");
    b.act(1, "update-action-item", with(json!({ "update": "close" })), "2026-07-05T00:00:00Z");
    let v = view(&b, "2026-08-01T00:00:00Z");
    assert_eq!((v["status"].as_str(), v["overdue"].as_bool()), (Some("closed"), Some(false)));
    // An owner's update by someone else, arriving from a peer, does not count.
    let mut forged = b.made.iter().rev().find(|r| r.kind == dialogue::ACTION_UPDATE).unwrap().clone();
    forged.id = model::StixId::parse("x-entente-action-update--00000000-0000-4000-8000-0000000000ff").unwrap();
    forged.author = b.world.partners[2].clone();
    forged.created = at("2026-07-06T00:00:00Z");
    forged.properties.insert("update".into(), json!("acknowledge"));
    let records = Records::new(b.made.iter().cloned().chain([forged]));
    let v = &Dialogue.state(&records, &b.world.ctx(0, &at("2026-08-01T00:00:00Z")))["action_items"][0];
    assert_eq!(v["status"], "closed");
    // Editing an item is its author's; a new owner takes it over.
    assert!(matches!(b.try_act(1, "edit-action-item", with(json!({ "due": "2026-09-01T00:00:00Z" })), "2026-07-06T00:00:00Z"), Err(Error::Forbidden(_))));
    assert_eq!(b.records().of_kind(ACTION_ITEM).count(), 1);
}

#[test]
fn meetings_held_against_those_the_cadence_plans() {
    let mut b = Bench::new();
    // Quarterly senior dialogue, monthly technical exchange, from 2026-01-01.
    b.world.agreement.terms.meeting_cadence = vec![
        policy::Cadence { meeting_type: "senior-dialogue".into(), every_months: 3 },
        policy::Cadence { meeting_type: "technical-exchange".into(), every_months: 1 },
    ];
    for date in ["2026-02-01T10:00:00Z", "2026-08-01T10:00:00Z", "2026-12-01T10:00:00Z"] {
        let mut m = meeting_input("");
        m["date"] = json!(date);
        b.act(0, "record-meeting", m, "2026-01-15T00:00:00Z");
    }
    let cadence = |now: &str| b.state(now)["cadence"].clone();
    let senior = cadence("2026-10-15T00:00:00Z")[0].clone();
    // Periods begun: Jan, Apr, Jul, Oct; held: Feb and Aug (December is to come);
    // missed: the April quarter; next due: the end of the current quarter.
    assert_eq!(senior, json!({ "meeting_type": "senior-dialogue", "every_months": 3, "planned": 4, "held": 2, "missed": 1, "next_due": "2027-01-01T00:00:00.000000Z" }));
    // A technical exchange every month, never held: every ended month missed.
    let tech = cadence("2026-10-15T00:00:00Z")[1].clone();
    assert_eq!((tech["planned"].as_u64(), tech["held"].as_u64(), tech["missed"].as_u64()), (Some(10), Some(0), Some(9)));
    // In December the quarter's meeting is held: the next is due at the end of the following quarter.
    let senior = cadence("2026-12-02T00:00:00Z")[0].clone();
    assert_eq!((senior["held"].as_u64(), senior["missed"].as_u64(), senior["next_due"].as_str()), (Some(3), Some(1), Some("2027-04-01T00:00:00.000000Z")));
    // The meetings to come are scheduled, those past held.
    let meetings = b.state("2026-10-15T00:00:00Z")["meetings"].clone();
    let status: Vec<&str> = meetings.as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["held", "held", "scheduled"]);
    // No cadence in the terms: nothing planned.
    let mut plain = Bench::new();
    plain.act(0, "record-meeting", meeting_input(""), "2026-01-15T00:00:00Z");
    assert_eq!(plain.state("2026-10-15T00:00:00Z")["cadence"], json!([]));
    assert_eq!(plain.state("2026-10-15T00:00:00Z")["meetings"][0]["minutes_status"], "none");
}

#[test]
fn months_add_by_the_calendar() {
    let add = |t: &str, n: u32| dialogue::rules::add_months(&at(t), n).unwrap().to_string();
    assert_eq!(add("2026-01-31T12:00:00Z", 1), "2026-02-28T12:00:00.000000Z");
    assert_eq!(add("2028-01-31T00:00:00Z", 1), "2028-02-29T00:00:00.000000Z");
    assert_eq!(add("2026-11-15T00:00:00Z", 3), "2027-02-15T00:00:00.000000Z");
    assert_eq!(add("2026-01-01T00:00:00Z", 0), "2026-01-01T00:00:00.000000Z");
}

/// Meetings, minutes edited after approval, approvals of both versions,
/// action items from a meeting and on their own, their updates.
fn meetings_scenario() -> Vec<Step> {
    vec![
        (0, "record-meeting", meeting_input("first draft")),
        (1, "approve-minutes", json!({ "meeting": "$0" })),
        (0, "approve-minutes", json!({ "meeting": "$0" })),
        (0, "edit-meeting", json!({ "meeting": "$0", "minutes": "second draft" })),
        (1, "approve-minutes", json!({ "meeting": "$0" })),
        (1, "record-meeting", { let mut m = meeting_input("other"); m["meeting_type"] = json!("technical-exchange"); m }),
        (0, "approve-minutes", json!({ "meeting": "$5" })),
        (0, "add-action-item", json!({ "description": "plan", "owner": p(1), "due": "2026-06-20T00:00:00Z", "meeting": "$0" })),
        (1, "add-action-item", json!({ "description": "report", "owner": p(2), "due": "2026-08-01T00:00:00Z" })),
        (1, "update-action-item", json!({ "action_item": "$7", "update": "acknowledge" })),
        (2, "update-action-item", json!({ "action_item": "$7", "update": "comment", "text": "noted" })),
        (1, "update-action-item", json!({ "action_item": "$7", "update": "progress", "percent": 50 })),
        (2, "update-action-item", json!({ "action_item": "$8", "update": "close" })),
        (0, "edit-action-item", json!({ "action_item": "$7", "due": "2026-09-01T00:00:00Z" })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn meetings_minutes_and_actions_derive_the_same_state_in_any_order(order in proptest::collection::vec(0usize..1000, 0..40), split in 0usize..40) {
        let steps = meetings_scenario();
        let order: Vec<usize> = order.into_iter().map(|i| i % steps.len()).collect();
        partnership::suite::same_state_in_any_order(&Dialogue, &steps, &order, split);
    }
}

#[test]
fn the_meetings_scenario_reaches_the_state_it_should() {
    let world = World::new();
    let made = partnership::suite::run(&Dialogue, &world, &at("2026-06-01T00:00:00Z"), &meetings_scenario());
    let records = Records::new(made.iter().map(|(_, r)| r.clone()));
    let state = Dialogue.state(&records, &world.ctx(2, &at("2026-07-01T00:00:00Z")));
    let meetings = state["meetings"].as_array().unwrap();
    // The edited minutes: approved again by 1, not yet by 0 (its approval was of the first draft).
    let first = meetings.iter().find(|m| m["meeting_type"] == "senior-dialogue").unwrap();
    assert_eq!((first["minutes_status"].as_str(), &first["approved_by"]), (Some("awaiting"), &json!([p(1)])));
    let other = meetings.iter().find(|m| m["meeting_type"] == "technical-exchange").unwrap();
    assert_eq!(other["minutes_status"], "awaiting", "{other}");
    let items = state["action_items"].as_array().unwrap();
    let plan = items.iter().find(|i| i["description"] == "plan").unwrap();
    assert_eq!((plan["status"].as_str(), plan["due"].as_str(), plan["overdue"].as_bool()), (Some("in-progress"), Some("2026-09-01T00:00:00Z"), Some(false)));
    let report = items.iter().find(|i| i["description"] == "report").unwrap();
    assert_eq!(report["status"], "closed");
    assert_eq!(first["action_items"].as_array().unwrap().len(), 1);
}

#[test]
fn the_inbox_holds_minutes_to_approve_and_owned_items_until_done() {
    let mut b = Bench::new();
    let needs = |b: &Bench, who: usize, now: &str| -> Vec<(&'static str, bool)> {
        let ctx = b.world.ctx(who, &at(now));
        let state = Dialogue.state(&b.records(), &ctx);
        Dialogue.needs(&state, &ctx).into_iter().map(|n| (n.what, n.overdue)).collect()
    };
    let meeting = b.act(0, "record-meeting", meeting_input("We met."), "2026-06-01T00:00:00Z").id;
    b.act(0, "add-action-item", json!({ "description": "draft the plan", "owner": p(1), "due": "2026-07-01T00:00:00Z" }), "2026-06-01T00:00:00Z");
    // Partner 1 took part and owns the item; partner 2 did neither.
    assert_eq!(needs(&b, 1, "2026-06-02T00:00:00Z"), [("approve-minutes", false), ("action-item", false)]);
    assert_eq!(needs(&b, 0, "2026-06-02T00:00:00Z"), [("approve-minutes", false)]);
    assert!(needs(&b, 2, "2026-06-02T00:00:00Z").is_empty());
    // The clock passes the due date; the approval leaves the inbox.
    assert_eq!(needs(&b, 1, "2026-07-02T00:00:00Z"), [("approve-minutes", false), ("action-item", true)]);
    b.act(1, "approve-minutes", json!({ "meeting": meeting.as_str() }), "2026-07-02T00:00:00Z");
    assert_eq!(needs(&b, 1, "2026-07-03T00:00:00Z"), [("action-item", true)]);
    let item = b.records().of_kind(ACTION_ITEM).next().unwrap().id.clone();
    b.act(1, "update-action-item", json!({ "action_item": item.as_str(), "update": "close" }), "2026-07-04T00:00:00Z");
    assert!(needs(&b, 1, "2026-07-05T00:00:00Z").is_empty());
}
