//! The exchanges module's tests: the kit's contract over placements and
//! the training catalogue; a placement's status by the clock; seats never
//! confirmed beyond those offered, the same on every node whatever the
//! order; bad input refused naming the property, nothing stored.

use exercises::Exchanges;
use model::Timestamp;
use partnership::suite::{Step, World};
use partnership::{Error, Module, Record, Records};
use policy::DataKind;
use serde_json::{json, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

fn placement() -> Value {
    json!({ "guest_ref": p(1), "placement_type": "secondment", "topic": "Malware analysis <i>desk</i>", "start_date": "2026-07-01T00:00:00Z", "end_date": "2026-09-30T00:00:00Z" })
}

fn course() -> Value {
    json!({ "title": "Incident handling", "language": "en", "seats": 3, "start_date": "2026-10-05T08:00:00Z", "end_date": "2026-10-09T17:00:00Z" })
}

fn scenario() -> Vec<Step> {
    vec![
        (0, "offer-placement", placement()),
        (1, "accept-placement", json!({ "placement": "$0", "participant": "analyst B-7" })),
        (1, "report-output", json!({ "placement": "$0", "title": "Triage playbook" })),
        (0, "give-feedback", json!({ "placement": "$0", "rating": 5, "text": "excellent" })),
        (2, "offer-course", course()),
        (0, "request-seat", json!({ "course": "$4", "seats": 2, "participant": "two SOC analysts" })),
        (1, "request-seat", json!({ "course": "$4", "participant": "trainee" })),
        (2, "confirm-seat", json!({ "request": "$5" })),
        (2, "confirm-seat", json!({ "request": "$6" })),
    ]
}

partnership::module_suite!(Exchanges, scenario());

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn act(world: &World, made: &mut Vec<Record>, who: usize, action: &str, input: Value, now: &str) -> Result<Record, Error> {
    let Value::Object(input) = input else { panic!("an object") };
    let object = partnership::author(&Exchanges, action, &input, &Records::new(made.clone()), &world.ctx(who, &at(now)))?;
    let r = Record::from_object(&object).unwrap();
    made.push(r.clone());
    Ok(r)
}

fn refused(world: &World, made: &mut Vec<Record>, who: usize, action: &str, input: Value, property: &str) {
    let before = made.len();
    match act(world, made, who, action, input, "2026-06-02T00:00:00Z") {
        Err(Error::Invalid { property: got, .. }) => assert_eq!(got, property),
        other => panic!("{action}: expected refused naming {property}, got {other:?}"),
    }
    assert_eq!(made.len(), before, "nothing stored");
}

#[test]
fn a_placement_runs_by_the_clock_and_a_course_never_confirms_beyond_its_seats() {
    let world = World::new();
    let mut made = Vec::new();
    let pl = act(&world, &mut made, 0, "offer-placement", placement(), "2026-06-01T00:00:00Z").unwrap();
    let state = |made: &Vec<Record>, who: usize, now: &str| Exchanges.state(&Records::new(made.clone()), &world.ctx(who, &at(now)));
    let needs = |made: &Vec<Record>, who: usize| {
        let ctx = world.ctx(who, &at("2026-06-02T00:00:00Z"));
        Exchanges.needs(&Exchanges.state(&Records::new(made.clone()), &ctx), &ctx).into_iter().map(|n| n.what).collect::<Vec<_>>()
    };
    assert_eq!(needs(&made, 1), ["accept-placement"]);
    assert!(matches!(act(&world, &mut made, 2, "accept-placement", json!({ "placement": pl.id.as_str(), "participant": "x" }), "2026-06-02T00:00:00Z"), Err(Error::Forbidden(_))), "only the guest accepts");
    act(&world, &mut made, 1, "accept-placement", json!({ "placement": pl.id.as_str(), "participant": "analyst B-7" }), "2026-06-02T00:00:00Z").unwrap();
    let status = |made: &Vec<Record>, now: &str| state(made, 0, now)["placements"][0]["status"].as_str().unwrap().to_owned();
    assert_eq!((status(&made, "2026-06-30T00:00:00Z"), status(&made, "2026-08-01T00:00:00Z"), status(&made, "2026-10-01T00:00:00Z")), ("accepted".into(), "running".into(), "completed".into()));
    assert_eq!(state(&made, 0, "2026-08-01T00:00:00Z")["placements"][0]["participant"], "analyst B-7");
    assert!(matches!(act(&world, &mut made, 2, "give-feedback", json!({ "placement": pl.id.as_str(), "rating": 1 }), "2026-10-02T00:00:00Z"), Err(Error::Forbidden(_))), "a third party gives no feedback");

    let c = act(&world, &mut made, 2, "offer-course", course(), "2026-06-01T00:00:00Z").unwrap();
    let r0 = act(&world, &mut made, 0, "request-seat", json!({ "course": c.id.as_str(), "seats": 2, "participant": "two SOC analysts" }), "2026-06-02T00:00:00Z").unwrap();
    let r1 = act(&world, &mut made, 1, "request-seat", json!({ "course": c.id.as_str(), "seats": 2, "participant": "two trainees" }), "2026-06-02T00:00:01Z").unwrap();
    assert_eq!(needs(&made, 2), ["confirm-seat", "confirm-seat"]);
    assert!(matches!(act(&world, &mut made, 0, "confirm-seat", json!({ "request": r0.id.as_str() }), "2026-06-03T00:00:00Z"), Err(Error::Forbidden(_))), "only the provider confirms");
    act(&world, &mut made, 2, "confirm-seat", json!({ "request": r0.id.as_str() }), "2026-06-03T00:00:00Z").unwrap();
    // Two asked, one left: refused, naming the request.
    refused(&world, &mut made, 2, "confirm-seat", json!({ "request": r1.id.as_str() }), "request");
    let cs = &state(&made, 1, "2026-06-04T00:00:00Z")["courses"][0];
    assert_eq!((cs["confirmed"].as_u64(), cs["remaining"].as_u64()), (Some(2), Some(1)), "{cs}");
    // A confirmation made on a node that had not seen the first: waitlisted on every node.
    let mut other_node: Vec<Record> = made.iter().filter(|r| r.kind != "x-entente-seat-confirmation").cloned().collect();
    let late = act(&world, &mut other_node, 2, "confirm-seat", json!({ "request": r1.id.as_str() }), "2026-06-03T00:00:01Z").unwrap();
    made.push(late);
    let mut reversed = made.clone();
    reversed.reverse();
    let a = state(&made, 0, "2026-06-04T00:00:00Z");
    assert_eq!(a, state(&reversed, 0, "2026-06-04T00:00:00Z"));
    let statuses: Vec<&str> = a["courses"][0]["requests"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["confirmed", "waitlisted"]);
}

#[test]
fn bad_input_is_refused_naming_the_property_and_nothing_is_stored() {
    let world = World::new();
    let mut made = Vec::new();
    let mut bad = placement();
    bad["placement_type"] = json!("holiday");
    refused(&world, &mut made, 0, "offer-placement", bad, "placement_type");
    let mut bad = placement();
    bad["guest_ref"] = json!(p(3));
    refused(&world, &mut made, 0, "offer-placement", bad, "guest_ref");
    let mut bad = placement();
    bad["end_date"] = json!("2026-01-01T00:00:00Z");
    refused(&world, &mut made, 0, "offer-placement", bad, "end_date");
    let pl = act(&world, &mut made, 0, "offer-placement", placement(), "2026-06-01T00:00:00Z").unwrap();
    // The participant by role or pseudonym only.
    refused(&world, &mut made, 1, "accept-placement", json!({ "placement": pl.id.as_str() }), "participant");
    refused(&world, &mut made, 1, "accept-placement", json!({ "placement": pl.id.as_str(), "participant": "analyst", "email": "a@b.example" }), "email");
    let mut bad = course();
    bad["seats"] = json!(0);
    refused(&world, &mut made, 2, "offer-course", bad, "seats");
    assert_eq!(made.len(), 1);
    // Exchanges are real data: a real-only agreement carries them.
    let mut real = World::new();
    real.agreement.terms.scope.data_kind = DataKind::Real;
    let Value::Object(input) = course() else { unreachable!() };
    assert!(partnership::author(&Exchanges, "offer-course", &input, &Records::default(), &real.ctx(2, &at("2026-06-01T00:00:00Z"))).is_ok());
}
