//! The resources module's fold (`resources::fold`) against its state
//! derived from scratch: a ledger with corrections (of a delivery already
//! confirmed, and of a commitment), a dispute, a second declaration of a
//! year's figures, forged entries that break the cross-record rules,
//! in-kind crisis assistance and a drill's (an exercise's), fed one version
//! at a time in any order and in two batches, reads as `state` at any
//! time and for every party. The kit's suite (`module_suite!`) runs the
//! same check on its scenario; this one covers what that scenario lacks.

use partnership::fold::{feed, refold, state};
use partnership::{Fold, Module, Record, Records};
use proptest::prelude::*;
use resources::{Resources, CONFIRMATION, DELIVERY};
use serde_json::json;

use super::in_kind::foreign;
use super::{at, Bench};

const ASSIST: &str = "x-entente-crisis-assistance";
const CRISIS: &str = "x-entente-crisis--00000000-0000-4000-9000-000000000001";
const DRILL: &str = "x-entente-crisis--00000000-0000-4000-9000-000000000002";

/// The ledger (the module doc above); built once per test.
fn ledger() -> Bench {
    let mut b = Bench::new();
    let terms = json!({
        "unit": "EUR",
        "in_kind_rates": [
            { "kind": "personnel", "category": "analyst", "rate": 100 },
            { "kind": "training", "rate": 1000 },
            { "kind": "assistance", "category": "People", "rate": 2500 },
        ],
        "exchange_rates": [{ "currency": "USD", "year": 2026, "rate": 0.5 }, { "currency": "USD", "year": 2025, "rate": 0.8 }],
        "cost_share": { "method": "gni" },
    });
    let t = b.act(0, "propose-terms", terms, "2026-01-02T00:00:00Z");
    for who in 0..3 {
        b.act(who, "accept-terms", json!({ "terms": t.id.as_str() }), "2026-01-03T00:00:00Z");
    }
    b.act(0, "declare-figures", json!({ "year": 2025, "currency": "EUR", "gni": 500, "population": 10 }), "2026-01-04T00:00:00Z");
    b.act(0, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 600, "population": 10, "gdp": 650, "defence_spending": 13 }), "2026-01-04T00:00:00Z");
    b.act(1, "declare-figures", json!({ "year": 2026, "currency": "USD", "gni": 600, "population": 10 }), "2026-01-04T00:00:00Z");
    b.act(2, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 100, "population": 10 }), "2026-01-04T00:00:00Z");
    // B declares 2026 again: a new version, shown as such.
    b.act(1, "declare-figures", json!({ "year": 2026, "currency": "USD", "gni": 700, "population": 11 }), "2026-01-05T00:00:00Z");
    let (pa, pb, pc) = (b.p(0), b.p(1), b.p(2));
    let money = b.act(0, "commit", json!({ "resource": "money", "quantity": 300, "currency": "EUR", "receiver": pb, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "sensor grid" }), "2026-01-10T00:00:00Z");
    let usd = b.act(1, "commit", json!({ "resource": "money", "quantity": 200, "currency": "USD", "receiver": pc, "year": 2026, "due": "2026-03-01T00:00:00Z", "description": "lab fund" }), "2026-01-10T00:00:00Z");
    let hours = b.act(2, "commit", json!({ "resource": "personnel", "category": "analyst", "quantity": 2, "receiver": pa, "year": 2026, "due": "2026-09-01T00:00:00Z", "description": "two analyst hours" }), "2026-01-10T00:00:00Z");
    let seats = b.act(0, "commit", json!({ "resource": "training", "quantity": 3, "receiver": pc, "year": 2026, "due": "2026-05-01T00:00:00Z", "description": "course seats" }), "2026-01-10T00:00:00Z");
    let d1 = b.act(0, "deliver", json!({ "commitment": money.id.as_str(), "quantity": 300, "delivered_at": "2026-02-01T00:00:00Z" }), "2026-02-01T00:00:00Z");
    b.act(1, "confirm", json!({ "delivery": d1.id.as_str(), "verdict": "confirmed" }), "2026-02-02T00:00:00Z");
    let d2 = b.act(1, "deliver", json!({ "commitment": usd.id.as_str(), "quantity": 200, "delivered_at": "2026-02-01T00:00:00Z" }), "2026-02-01T00:00:00Z");
    b.act(2, "confirm", json!({ "delivery": d2.id.as_str(), "verdict": "disputed", "note": "<script>half</script>" }), "2026-02-03T00:00:00Z");
    let d3 = b.act(2, "deliver", json!({ "commitment": hours.id.as_str(), "quantity": 2, "delivered_at": "2026-03-01T00:00:00Z" }), "2026-03-01T00:00:00Z");
    b.act(0, "confirm", json!({ "delivery": d3.id.as_str(), "verdict": "confirmed" }), "2026-03-02T00:00:00Z");
    // A corrects its confirmed delivery: it awaits B's word again, then gets it.
    b.act(0, "correct", json!({ "record": d1.id.as_str(), "quantity": 250, "reason": "fees" }), "2026-03-03T00:00:00Z");
    b.act(1, "confirm", json!({ "delivery": d1.id.as_str(), "verdict": "confirmed" }), "2026-03-04T00:00:00Z");
    let d4 = b.act(0, "deliver", json!({ "commitment": seats.id.as_str(), "quantity": 2, "delivered_at": "2026-04-01T00:00:00Z" }), "2026-04-01T00:00:00Z");
    b.act(2, "confirm", json!({ "delivery": d4.id.as_str(), "verdict": "confirmed" }), "2026-04-02T00:00:00Z");
    b.act(0, "correct", json!({ "record": seats.id.as_str(), "quantity": 2, "reason": "two seats only" }), "2026-04-03T00:00:00Z");
    // Forged by sync: C delivers against A's commitment; C confirms a delivery to B.
    b.forge(2, DELIVERY, json!({ "commitment_ref": money.id.as_str(), "quantity": 999, "delivered_at": "2026-04-05T00:00:00Z" }), "2026-04-05T00:00:00Z");
    b.forge(2, CONFIRMATION, json!({ "delivery_ref": d1.id.as_str(), "verdict": "disputed" }), "2026-04-05T00:00:00Z");
    // Crisis assistance: C commits and delivers against B's request, B releases; and a drill.
    let rq = foreign(&mut b, 1, 1, ASSIST, "2026-03-01T00:00:00Z", json!({ "step": "request", "crisis_ref": CRISIS, "exercise": false, "resource": "responders", "quantity": 4, "unit": "people" }));
    foreign(&mut b, 2, 2, ASSIST, "2026-03-01T01:00:00Z", json!({ "step": "commit", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq.id.as_str(), "quantity": 4 }));
    foreign(&mut b, 3, 2, ASSIST, "2026-03-02T00:00:00Z", json!({ "step": "deliver", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq.id.as_str(), "quantity": 3 }));
    foreign(&mut b, 4, 1, ASSIST, "2026-03-03T00:00:00Z", json!({ "step": "release", "crisis_ref": CRISIS, "exercise": false, "request_ref": rq.id.as_str() }));
    let drill = foreign(&mut b, 5, 1, ASSIST, "2026-03-01T00:00:00Z", json!({ "step": "request", "crisis_ref": DRILL, "exercise": true, "resource": "responders", "quantity": 50, "unit": "people" }));
    foreign(&mut b, 6, 2, ASSIST, "2026-03-01T02:00:00Z", json!({ "step": "deliver", "crisis_ref": DRILL, "exercise": true, "request_ref": drill.id.as_str(), "quantity": 50 }));
    b
}

/// When the fold is read: before anything, mid-ledger, after it all.
const TIMES: [&str; 4] = ["2026-01-01T00:00:00Z", "2026-03-02T12:00:00Z", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"];

fn same(b: &Bench, kept: &Records, fold: Option<&dyn Fold>, what: &str) {
    for who in 0..3 {
        for t in TIMES {
            let ctx = b.world.ctx(who, &at(t));
            assert_eq!(state(&Resources, kept, fold, &ctx), Resources.state(kept, &ctx), "{what}, read by {who} at {t}");
        }
    }
}

/// The ledger says what it was built to say: the corrected, re-confirmed
/// delivery counts 250, the disputed one nothing, the forged entries are
/// listed, the drill is left out (so the comparisons below compare
/// something).
#[test]
fn the_ledger_has_what_the_comparison_needs() {
    let b = ledger();
    let s = b.state(0, "2026-06-01T00:00:00Z");
    let statuses: Vec<&str> = s["ledger"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"disputed") && statuses.contains(&"confirmed"), "{s}");
    assert!(s["ledger"].as_array().unwrap().iter().any(|e| e["correction"].is_string() && e["value"].as_f64() == Some(250.0) && e["status"] == "confirmed"), "{s}");
    assert!(s["ledger"].as_array().unwrap().iter().any(|e| e["source"]["module"] == "crisis"), "{s}");
    assert_eq!(s["ignored"].as_array().unwrap().len(), 2, "{s}");
    assert_eq!(s["exercise_left_out"], 1, "{s}");
    assert!(s["figures"].as_array().unwrap().iter().any(|f| f["version"] == 2), "{s}");
}

/// In the order made, every record new to the node is taken by the fold
/// without a rebuild (only a new version of a known record drops it).
#[test]
fn the_fold_takes_each_new_record_without_a_rebuild() {
    let b = ledger();
    let (mut kept, mut fold) = (Records::default(), Resources.fold());
    for r in b.made.iter().cloned() {
        let new = kept.versions(&r.id).is_empty();
        feed(&mut kept, &mut fold, r.clone());
        if new {
            assert!(fold.is_some(), "the fold was dropped by {} ({})", r.id, r.kind);
        } else {
            fold = refold(&Resources, &kept);
        }
        let ctx = b.world.ctx(0, &at("2026-06-01T00:00:00Z"));
        assert_eq!(state(&Resources, &kept, fold.as_deref(), &ctx), Resources.state(&kept, &ctx), "after {}", r.id);
    }
    same(&b, &kept, fold.as_deref(), "in the order made");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn the_fold_reads_as_the_state_in_any_order(keys in prop::collection::vec(any::<u32>(), 64), split in 0usize..64) {
        let b = ledger();
        let n = b.made.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| keys[*i % keys.len()].wrapping_add(*i as u32));
        let shuffled: Vec<Record> = order.iter().map(|i| b.made[*i].clone()).collect();
        let (first, second) = shuffled.split_at(split.min(n));
        let (mut kept, mut fold) = (Records::default(), Resources.fold());
        for batch in [first, second] {
            for r in batch.iter().cloned() {
                feed(&mut kept, &mut fold, r);
            }
            if fold.is_none() {
                fold = refold(&Resources, &kept);
            }
            prop_assert!(fold.is_some());
            same(&b, &kept, fold.as_deref(), "shuffled");
        }
        prop_assert_eq!(&kept, &Records::new(b.made.clone()));
    }
}

/// The fold's reading of a commitment is checked against the reader's
/// agreement as `Commitment::read` does: a commitment to a party of the
/// agreement reads the same; the receiver's check comes before the
/// checks after it.
#[test]
fn a_commitment_kept_reads_as_read() {
    let b = ledger();
    let records = Records::new(b.made.clone());
    let commitments: Vec<&Record> = records.of_kind(resources::COMMITMENT).collect();
    assert!(!commitments.is_empty());
    for r in commitments {
        let (receiver, read) = resources::types::Commitment::parse(r);
        assert_eq!(resources::types::Commitment::checked(r, receiver.as_ref(), read, &b.world.agreement), resources::types::Commitment::read(r, &b.world.agreement));
    }
}
