//! In-kind contributions drawn from the crisis and exchanges modules'
//! records (`resources::in_kind`), worked by hand: crisis assistance
//! committed and delivered, confirmed by the requester's release; a
//! placement accepted by its guest; course seats confirmed while seats
//! remain; exercise crisis records never counted; steps that break the
//! crisis's rules left out and listed.

use partnership::{Module, Record};
use resources::Resources;
use serde_json::{json, Value};

use super::{party, Bench};

/// Terms with in-kind rates: an hour of hosting per day at 5,000, a seat
/// at 1,000, crisis assistance in `people` at 2,500 a person.
fn terms() -> Value {
    json!({
        "unit": "EUR",
        "in_kind_rates": [
            { "kind": "training", "rate": 1000 },
            { "kind": "hosting", "rate": 5000 },
            { "kind": "assistance", "category": "People", "rate": 2500 },
        ],
        "exchange_rates": [],
        "cost_share": { "method": "equal" },
    })
}

/// A record of another module's `kind`, by partner `who`, made at `created`.
pub(super) fn foreign(b: &mut Bench, n: u32, who: usize, kind: &str, created: &str, props: Value) -> Record {
    let mut v = json!({
        "type": kind, "spec_version": "2.1", "id": format!("{kind}--00000000-0000-4000-9000-{n:012}"),
        "created": created, "modified": created,
        "created_by_ref": b.p(who), "agreement_ref": b.world.agreement.id.as_str(),
    });
    for (k, x) in props.as_object().unwrap() {
        v[k] = x.clone();
    }
    let record = Record::from_stored(&serde_json::to_vec(&v).unwrap()).unwrap();
    b.made.push(record.clone());
    record
}

fn with_terms() -> Bench {
    let mut b = Bench::new();
    let t = b.act(0, "propose-terms", terms(), "2026-01-02T00:00:00Z");
    for who in 0..3 {
        b.act(who, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-03T00:00:00Z");
    }
    b
}

const CRISIS: &str = "x-entente-crisis--00000000-0000-4000-9000-000000000001";
const DRILL: &str = "x-entente-crisis--00000000-0000-4000-9000-000000000002";
const ASSIST: &str = "x-entente-crisis-assistance";

/// B requests 4 people; C commits 4 and delivers 3; B releases: C gave
/// 3 × 2,500 = 7,500 (confirmed), pledged 4 × 2,500 = 10,000. In a drill
/// (an exercise crisis) C commits and delivers too: never counted.
/// A places a guest of B's from 1 July 00:00 to 3 July 12:00 (2.5 days,
/// 3 counted) at 5,000 a day = 15,000, accepted by B. A's course has 2
/// seats: B asks 2 (confirmed: 2,000), C asks 1 (confirmed after B's,
/// beyond the seats: waitlisted, nothing).
///
/// ```text
///        contributed             received
///   A    15,000 + 2,000 = 17,000     0
///   B    0                       7,500 + 15,000 + 2,000 = 24,500
///   C    7,500                       0
/// ```
#[test]
fn crisis_assistance_placements_and_seats_worked_by_hand() {
    let mut b = with_terms();
    let request = foreign(&mut b, 1, 1, ASSIST, "2026-03-01T00:00:00Z", json!({ "step": "request", "crisis_ref": CRISIS, "exercise": false, "resource": "incident responders", "quantity": 4, "unit": "people" }));
    let rq = request.id.as_str().to_owned();
    let commit = foreign(&mut b, 2, 2, ASSIST, "2026-03-01T01:00:00Z", json!({ "step": "commit", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq, "quantity": 4 }));
    let deliver = foreign(&mut b, 3, 2, ASSIST, "2026-03-02T00:00:00Z", json!({ "step": "deliver", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq, "quantity": 3 }));
    // The requester's own "delivery" counts for nothing, and is listed.
    let own = foreign(&mut b, 4, 1, ASSIST, "2026-03-02T01:00:00Z", json!({ "step": "deliver", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq, "quantity": 9 }));
    // The drill: an exercise request, committed and delivered.
    let drill = foreign(&mut b, 5, 1, ASSIST, "2026-03-01T00:00:00Z", json!({ "step": "request", "crisis_ref": DRILL, "exercise": true, "resource": "responders", "quantity": 50, "unit": "people" }));
    foreign(&mut b, 6, 2, ASSIST, "2026-03-01T02:00:00Z", json!({ "step": "commit", "crisis_ref": DRILL, "exercise": true, "request_ref": drill.id.as_str(), "quantity": 50 }));
    foreign(&mut b, 7, 2, ASSIST, "2026-03-01T03:00:00Z", json!({ "step": "deliver", "crisis_ref": DRILL, "exercise": true, "request_ref": drill.id.as_str(), "quantity": 50 }));

    // Before B's release: C's delivery awaits B's word.
    let s = b.state(1, "2026-03-02T12:00:00Z");
    let e = s["ledger"].as_array().unwrap().iter().find(|e| e["id"] == deliver.id.as_str()).unwrap_or_else(|| panic!("{s}"));
    assert_eq!((e["status"].as_str(), e["value"].as_f64(), e["giver"].as_str()), (Some("awaiting-confirmation"), Some(7500.0), Some(b.p(2).as_str())), "{e}");
    assert_eq!(e["source"], json!({ "module": "crisis", "record": deliver.id.as_str(), "of": CRISIS }));
    assert_eq!(s["exercise_left_out"], 2, "{s}");
    assert!(s["ignored"].as_array().unwrap().iter().any(|i| i["id"] == own.id.as_str() && i["property"] == "created_by_ref"), "{s}");
    // Not the resources module's to confirm: no need in B's inbox.
    assert!(Resources.needs(&s, &b.world.ctx(1, &super::at("2026-03-02T12:00:00Z"))).iter().all(|n| n.record != deliver.id.as_str()));
    let y = &s["periods"][0];
    assert_eq!(party(y, &b.p(2))["pending"].as_f64(), Some(7500.0), "{y}");
    assert_eq!(party(y, &b.p(2))["pledged"].as_f64(), Some(10000.0), "{y}");
    assert_eq!(party(y, &b.p(2))["contributed"].as_f64(), Some(0.0), "{y}");

    let release = foreign(&mut b, 8, 1, ASSIST, "2026-03-03T00:00:00Z", json!({ "step": "release", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq }));
    let _ = commit;
    // The exchanges: a placement and a course.
    let guest = b.p(1);
    let placement = foreign(&mut b, 9, 0, "x-entente-placement", "2026-04-01T00:00:00Z", json!({ "guest_ref": guest, "placement_type": "technical-assistance-visit", "topic": "SOC set-up", "start_date": "2026-07-01T00:00:00Z", "end_date": "2026-07-03T12:00:00Z" }));
    let accepted = foreign(&mut b, 10, 1, "x-entente-placement-acceptance", "2026-04-02T00:00:00Z", json!({ "placement_ref": placement.id.as_str(), "participant": "analyst 1" }));
    let course = foreign(&mut b, 11, 0, "x-entente-course", "2026-04-01T00:00:00Z", json!({ "title": "Malware triage", "seats": 2, "start_date": "2026-09-01T00:00:00Z", "end_date": "2026-09-05T00:00:00Z" }));
    let seat_b = foreign(&mut b, 12, 1, "x-entente-seat-request", "2026-04-03T00:00:00Z", json!({ "course_ref": course.id.as_str(), "seats": 2, "participant": "analyst 2" }));
    let seat_c = foreign(&mut b, 13, 2, "x-entente-seat-request", "2026-04-03T00:00:00Z", json!({ "course_ref": course.id.as_str(), "seats": 1, "participant": "analyst 3" }));
    foreign(&mut b, 14, 0, "x-entente-seat-confirmation", "2026-04-04T00:00:00Z", json!({ "course_ref": course.id.as_str(), "request_ref": seat_b.id.as_str() }));
    foreign(&mut b, 15, 0, "x-entente-seat-confirmation", "2026-04-05T00:00:00Z", json!({ "course_ref": course.id.as_str(), "request_ref": seat_c.id.as_str() }));

    // Every party reads the same figures.
    let states: Vec<Value> = (0..3).map(|who| b.state(who, "2026-10-01T00:00:00Z")).collect();
    for s in &states[1..] {
        assert_eq!(s["ledger"], states[0]["ledger"]);
        assert_eq!(s["periods"], states[0]["periods"]);
    }
    let s = &states[0];
    let ledger = s["ledger"].as_array().unwrap();
    // The ledger's order: by delivery time (the placement's and course's start).
    let lines: Vec<(&str, &str, f64, &str)> = ledger.iter().map(|e| (e["id"].as_str().unwrap(), e["status"].as_str().unwrap(), e["value"].as_f64().unwrap_or(-1.0), e["measure"].as_str().unwrap())).collect();
    assert_eq!(
        lines,
        [
            (deliver.id.as_str(), "confirmed", 7500.0, "people"),
            (placement.id.as_str(), "confirmed", 15000.0, "days"),
            (seat_b.id.as_str(), "confirmed", 2000.0, "seats"),
        ],
        "{s}"
    );
    assert_eq!(ledger[0]["word"], release.id.as_str());
    assert_eq!(ledger[1]["word"], accepted.id.as_str());
    assert_eq!(ledger[1]["quantity"], 3.0);
    assert_eq!(ledger[1]["source"]["of"], placement.id.as_str());
    assert_eq!(ledger[2]["source"], json!({ "module": "exchanges", "record": seat_b.id.as_str(), "of": course.id.as_str() }));
    assert_eq!(ledger[2]["running_confirmed"], 17000.0, "A's running total");
    let y = &s["periods"][0];
    assert_eq!(y["total"].as_f64(), Some(24500.0), "{y}");
    for (i, contributed, received) in [(0, 17000.0, 0.0), (1, 0.0, 24500.0), (2, 7500.0, 0.0)] {
        let row = party(y, &b.p(i));
        assert_eq!((row["contributed"].as_f64(), row["received"].as_f64(), row["pending"].as_f64()), (Some(contributed), Some(received), Some(0.0)), "{row}");
    }
    // Equal key: each should give 24,500 / 3 = 8,166.67; A over, B and C under.
    assert_eq!(party(y, &b.p(0))["balance"].as_f64(), Some(8833.33));
    assert_eq!(party(y, &b.p(2))["balance"].as_f64(), Some(-666.67));
    assert_eq!(s["exercise_left_out"], 2);
}

/// Without an assistance rate for the request's unit, the delivery is shown
/// unvalued, naming `unit`, and counts in no total; placements before their
/// guest accepts are pending.
#[test]
fn without_a_rate_unvalued_and_before_acceptance_pending() {
    let mut b = with_terms();
    let request = foreign(&mut b, 1, 1, ASSIST, "2026-03-01T00:00:00Z", json!({ "step": "request", "crisis_ref": CRISIS, "exercise": false, "resource": "generators", "quantity": 2, "unit": "pieces" }));
    foreign(&mut b, 2, 2, ASSIST, "2026-03-02T00:00:00Z", json!({ "step": "deliver", "crisis_ref": CRISIS, "exercise": false, "request_ref": request.id.as_str(), "quantity": 2 }));
    let guest = b.p(1);
    foreign(&mut b, 3, 0, "x-entente-placement", "2026-04-01T00:00:00Z", json!({ "guest_ref": guest, "placement_type": "course-seat", "topic": "a seat", "start_date": "2026-07-01T00:00:00Z", "end_date": "2026-07-01T00:00:00Z" }));
    let s = b.state(0, "2026-10-01T00:00:00Z");
    let ledger = s["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 2, "{s}");
    assert_eq!(ledger[0]["unvalued"]["property"], "unit", "{s}");
    assert!(ledger[0]["value"].is_null());
    assert_eq!((ledger[1]["status"].as_str(), ledger[1]["value"].as_f64(), ledger[1]["measure"].as_str()), (Some("awaiting-confirmation"), Some(1000.0), Some("seats")));
    let y = &s["periods"][0];
    assert_eq!(y["total"].as_f64(), Some(0.0), "{y}");
    assert_eq!(party(y, &b.p(0))["pending"].as_f64(), Some(1000.0));
    // A step made after the read's `now` does not count yet.
    assert_eq!(b.state(0, "2026-03-01T12:00:00Z")["ledger"].as_array().unwrap().len(), 0);
}

#[test]
fn the_module_declares_what_it_reads() {
    assert_eq!(Resources.reads(), resources::in_kind::READS);
    assert!(partnership::declare(&Resources).is_ok());
}
