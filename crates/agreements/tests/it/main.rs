//! The agreements module's tests: the kit's contract (`module_suite!`)
//! over an amendment, ratifications and notices; the records are the ones
//! `policy::ext`'s builders (what `node::agreements` writes) make; a
//! ratification carries a signature that verifies with the party's key
//! and is refused without a signer; bad input refused naming the property;
//! cancelling a notice before and after it takes effect; the state.

use agreements::{Agreements, AGREEMENT, NOTICE, RATIFICATION};
use model::{Object, Timestamp};
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use serde_json::{json, Map, Value};

/// Entente's terms of the world's agreement, retitled.
fn amended() -> Value {
    let mut terms = World::new().agreement.terms.to_properties();
    terms.insert("title".into(), json!("Trilateral partnership, amended"));
    Value::Object(terms)
}

/// An amendment by the proposer, two ratifications, a suspension later
/// on, a resumption now.
fn scenario() -> Vec<Step> {
    vec![
        (0, "propose", amended()),
        (1, "ratify", json!({})),
        (2, "ratify", json!({})),
        (2, "give-notice", json!({ "notice_type": "suspension", "effective": "2026-09-01T00:00:00Z" })),
        (1, "give-notice", json!({ "notice_type": "resumption" })),
    ]
}

partnership::module_suite!(Agreements, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Takes `action` as partner `who` at `now`, signing with its test key.
fn act(world: &World, records: &Records, who: usize, now: &str, action: &str, input: Value) -> Result<Object, Error> {
    let sign = partnership::suite::sign_as(who);
    partnership::author_signed(&Agreements, action, &map(input), records, &world.ctx(who, &at(now)), Some(&sign))
}

/// The object's properties but its id and times, which every action draws afresh.
fn own(object: &Object) -> Value {
    let mut v = object.to_value();
    for k in ["id", "created", "modified"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[test]
fn a_ratification_is_the_object_policy_builds_and_its_signature_verifies() {
    let world = World::new();
    let object = act(&world, &Records::default(), 1, "2026-06-01T00:00:00Z", "ratify", json!({})).unwrap();
    let record = Record::from_object(&object).unwrap();
    assert_eq!(record.kind, RATIFICATION);
    let signature = object.to_value()["signature"].as_str().unwrap().to_owned();
    let built = policy::ext::ratification_object(&record.id, &world.partners[1], &record.created, &world.agreement, &signature).unwrap();
    assert_eq!(own(&object), own(&built));
    let ratification = policy::Ratification::from_object(&object).unwrap();
    let key = |secret: [u8; 32]| policy::keys::verifying_key(&policy::keys::public_key(&secret)).unwrap();
    assert!(policy::keys::verifies(&ratification, &world.agreement, &key([2; 32])), "the signature verifies with partner 1's key");
    assert!(!policy::keys::verifies(&ratification, &world.agreement, &key([3; 32])), "and with no other key");
}

#[test]
fn a_ratification_needs_the_node_to_sign() {
    let world = World::new();
    let refused = partnership::author(&Agreements, "ratify", &Map::new(), &Records::default(), &world.ctx(1, &at("2026-06-01T00:00:00Z")));
    assert!(matches!(&refused, Err(Error::Forbidden(m)) if m.contains("signed with")), "{refused:?}");
}

#[test]
fn a_notice_is_the_object_policy_builds() {
    let world = World::new();
    let object = act(&world, &Records::default(), 2, "2026-06-01T00:00:00Z", "give-notice", json!({ "notice_type": "withdrawal", "effective": "2026-09-01T00:00:00Z" })).unwrap();
    let record = Record::from_object(&object).unwrap();
    let built = policy::ext::notice_object(&record.id, &world.partners[2], &record.created, &world.agreement.id, policy::NoticeKind::Withdrawal, &at("2026-09-01T00:00:00Z")).unwrap();
    assert_eq!(own(&object), own(&built));
    // Without `effective`: now.
    let now = act(&world, &Records::default(), 2, "2026-06-01T00:00:00Z", "give-notice", json!({ "notice_type": "suspension" })).unwrap();
    assert_eq!(now.to_value()["effective"], json!("2026-06-01T00:00:00Z"));
}

#[test]
fn an_amendment_is_a_new_version_by_the_proposer_alone() {
    let world = World::new();
    let object = act(&world, &Records::default(), 0, "2026-06-01T00:00:00Z", "propose", amended()).unwrap();
    let v2 = policy::Agreement::from_object(&object).unwrap();
    assert_eq!(v2.id, world.agreement.id);
    assert!(v2.version > world.agreement.version);
    assert_eq!(v2.terms.title, "Trilateral partnership, amended");
    assert!(object.to_value().get(partnership::AGREEMENT_REF).is_none(), "the agreement names no agreement: it is one");
    assert_eq!(object.to_value()["extensions"][policy::ext::AGREEMENT_EXT]["extension_type"], "new-sdo");
    assert_eq!(Record::from_object(&object).unwrap().agreement, world.agreement.id, "it belongs to itself");
    let refused = act(&world, &Records::default(), 1, "2026-06-01T00:00:00Z", "propose", amended());
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
}

#[test]
fn bad_input_is_refused_naming_the_property() {
    let world = World::new();
    let none = Records::default();
    let t = "2026-06-01T00:00:00Z";
    let cases = [
        ("propose", json!({ "colour": "red" }), "colour"),
        ("propose", json!({ "party_refs": [world.partners[1].as_str(), world.partners[2].as_str()] }), "party_refs"),
        ("propose", json!({ "tlp_ceiling": "purple" }), "tlp_ceiling"),
        ("ratify", json!({ "version": "1" }), "version"),
        ("give-notice", json!({}), "notice_type"),
        ("give-notice", json!({ "notice_type": "pause" }), "notice_type"),
        ("give-notice", json!({ "notice_type": "suspension", "effective": "tomorrow" }), "effective"),
        ("give-notice", json!({ "notice_type": "suspension", "effective": 3 }), "effective"),
        ("cancel-notice", json!({}), "notice"),
        ("cancel-notice", json!({ "notice": "not-an-id" }), "notice"),
        ("cancel-notice", json!({ "notice": "x-entente-notice--00000000-0000-4000-8000-000000000009" }), "notice"),
    ];
    for (action, input, property) in cases {
        let mut full = input.clone();
        if action == "propose" && property != "colour" {
            // Every other term as agreed, the one at fault as given.
            let mut terms = map(amended());
            terms.extend(map(input));
            full = Value::Object(terms);
        }
        match act(&world, &none, 0, t, action, full) {
            Err(Error::Invalid { property: p, .. }) => assert_eq!(p, property, "{action}"),
            other => panic!("{action}: {other:?}"),
        }
    }
}

#[test]
fn a_notice_is_cancelled_before_it_takes_effect_and_not_after() {
    let world = World::new();
    let notice = act(&world, &Records::default(), 2, "2026-06-01T00:00:00Z", "give-notice", json!({ "notice_type": "suspension", "effective": "2026-07-01T00:00:00Z" })).unwrap();
    let given = Record::from_object(&notice).unwrap();
    let records = Records::new([given.clone()]);
    let input = json!({ "notice": given.id.as_str() });
    // Another party cannot; after it took effect nobody can.
    assert!(matches!(act(&world, &records, 1, "2026-06-02T00:00:00Z", "cancel-notice", input.clone()), Err(Error::Forbidden(_))));
    assert!(matches!(act(&world, &records, 2, "2026-07-01T00:00:00Z", "cancel-notice", input.clone()), Err(Error::Invalid { .. })));
    let cancelled = act(&world, &records, 2, "2026-06-02T00:00:00Z", "cancel-notice", input.clone()).unwrap();
    let cancelled = Record::from_object(&cancelled).unwrap();
    assert!(cancelled.revoked);
    assert_eq!(cancelled.id, given.id);
    assert_eq!(cancelled.properties["effective"], given.properties["effective"]);
    let after = Records::new([given, cancelled]);
    match act(&world, &after, 2, "2026-06-03T00:00:00Z", "cancel-notice", input) {
        Err(Error::Invalid { reason, .. }) => assert!(reason.contains("already cancelled"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let state = Agreements.state(&after, &world.ctx(0, &at("2026-08-01T00:00:00Z")));
    assert_eq!(state["notices"][0]["cancelled"], json!(true));
    assert_eq!(state["notices"][0]["in_effect"], json!(false));
}

#[test]
fn the_state_lists_versions_ratifications_and_notices() {
    let world = World::new();
    let made = partnership::suite::run(&Agreements, &world, &at("2026-06-01T00:00:00Z"), &scenario());
    let records = Records::new(made.iter().map(|(_, r)| r.clone()));
    let state = Agreements.state(&records, &world.ctx(1, &at("2026-08-01T00:00:00Z")));
    assert_eq!(state["title"], "Trilateral partnership, amended");
    assert_eq!(state["status"], "in-force", "the node's derivation (ctx.state)");
    assert_eq!(state["versions"], 2, "the agreement acted under and its amendment");
    // The parties ratified the version they acted under (the context's), which the amendment replaced.
    let ratifications = state["ratifications"].as_array().unwrap();
    assert_eq!(ratifications.len(), 2);
    let v1 = Record::from_stored(&world.agreement.canonical).unwrap().modified;
    assert!(ratifications.iter().all(|r| at(r["version"].as_str().unwrap()) == v1 && r["of_latest"] == json!(false)), "{state}");
    // Under the amendment (the node's latest now), a ratification is of it.
    let v2 = made[0].0.clone();
    let mut world2 = World::new();
    world2.agreement = policy::Agreement::from_object(&v2).unwrap();
    let sign = partnership::suite::sign_as(1);
    let r = partnership::author_signed(&Agreements, "ratify", &Map::new(), &records, &world2.ctx(1, &at("2026-07-01T00:00:00Z")), Some(&sign)).unwrap();
    let with = Records::new(records.iter().cloned().chain([Record::from_object(&r).unwrap()]));
    let state2 = Agreements.state(&with, &world2.ctx(1, &at("2026-08-01T00:00:00Z")));
    assert_eq!(state2["ratifications"].as_array().unwrap().iter().filter(|r| r["of_latest"] == json!(true)).count(), 1, "{state2}");
    let notices = state["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 2);
    let in_effect: Vec<&str> = notices.iter().filter(|n| n["in_effect"] == json!(true)).map(|n| n["notice_type"].as_str().unwrap()).collect();
    assert_eq!(in_effect, ["resumption"], "the suspension is effective on 1 September only");
    assert_eq!(state["parties"].as_array().unwrap().len(), 3);
    assert_eq!(Agreements.kinds(), [AGREEMENT, RATIFICATION, NOTICE]);
}
