//! The resources fold against the state derived from scratch on random
//! ledgers longer than the state's window (`rules::WINDOW`): commitments
//! in EUR, USD (a rate for 2026 only: 2025's are unvalued) and in kind,
//! deliveries (some by someone else, some naming no commitment),
//! confirmations and disputes (some by someone other than the receiver,
//! some naming a correction), corrections of deliveries and commitments
//! (to 0: cancelled; some by someone else), crisis assistance (some of it
//! an exercise's) and exchange placements, and new versions of ledger
//! records and of declared figures — fed in any order and in two batches,
//! read by every party at several times; and the CSV files drawn from the
//! complete state (`Module::file_state`) against those from scratch.

use partnership::fold::{feed, refold, state};
use partnership::{Module, Record, Records};
use proptest::prelude::*;
use resources::rules::WINDOW;
use resources::{Resources, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY};
use serde_json::{json, Value};

use model::rng::Rng;

use super::{at, terms, Bench};

/// Day `d` (0 = 2025-01-01) as a timestamp, at `h` hours.
fn day(d: u64, h: u64) -> String {
    let t = model::Timestamp::parse("2025-01-01T00:00:00Z").unwrap();
    model::Timestamp::from_micros(t.micros() + (d as i64 * 24 + h as i64) * 3_600_000_000).to_string()
}

/// Makes records as a partner's node would send them (no action's checks).
struct Maker {
    b: Bench,
    n: u64,
}

impl Maker {
    fn make(&mut self, who: usize, kind: &str, created: &str, props: Value) -> Record {
        self.n += 1;
        let mut v = json!({
            "type": kind, "spec_version": "2.1", "id": format!("{kind}--00000000-0000-4000-8000-{:012}", self.n),
            "created": created, "modified": created,
            "created_by_ref": self.b.p(who), "agreement_ref": self.b.world.agreement.id.as_str(),
        });
        for (k, x) in props.as_object().unwrap() {
            v[k] = x.clone();
        }
        let record = Record::from_stored(&serde_json::to_vec(&v).unwrap()).unwrap();
        self.b.made.push(record.clone());
        record
    }

    /// A new version of `r`, `days` later, with `props` changed.
    fn version(&mut self, r: &Record, days: i64, props: Value) {
        let mut v = r.clone();
        v.modified = model::Timestamp::from_micros(r.modified.micros() + days * 86_400_000_000);
        for (k, x) in props.as_object().unwrap() {
            v.properties.insert(k.clone(), x.clone());
        }
        v.properties.insert("modified".into(), json!(v.modified.to_string()));
        self.b.made.push(v);
    }
}

/// A random ledger of about `commitments` commitments (see the module doc).
fn ledger(seed: u64, commitments: usize) -> Bench {
    let mut rng = Rng(seed | 1);
    let mut b = Bench::new();
    let t = b.act(0, "propose-terms", terms(), "2025-01-02T00:00:00Z");
    for who in 0..3 {
        b.act(who, "accept-terms", json!({ "terms": t.id.as_str() }), "2025-01-03T00:00:00Z");
    }
    for (who, gni) in [(0, 600), (1, 500), (2, 100)] {
        b.act(who, "declare-figures", json!({ "year": 2025, "currency": "EUR", "gni": gni, "population": 10 }), "2025-01-04T00:00:00Z");
    }
    let again = b.act(1, "declare-figures", json!({ "year": 2026, "currency": "EUR", "gni": 550, "population": 10 }), "2025-01-05T00:00:00Z");
    let mut m = Maker { b, n: 0 };
    if rng.chance(50) {
        // A second declaration for the year: a new version.
        m.version(&again, 3, json!({ "gni": 700 }));
    }
    let mut ledger: Vec<Record> = Vec::new();
    for _ in 0..commitments {
        let giver = rng.below(3) as usize;
        let receiver = (giver + 1 + rng.below(2) as usize) % 3;
        let year = 2025 + rng.below(2);
        let start = (year - 2025) * 365;
        let made = start + rng.below(200);
        let due = made + 10 + rng.below(120);
        let quantity = (1 + rng.below(8)) as f64 + if rng.chance(20) { 0.5 } else { 0.0 };
        let (resource, extra) = match rng.below(5) {
            0 => ("money", json!({ "currency": "EUR" })),
            1 => ("money", json!({ "currency": "USD" })),
            2 => ("personnel", json!({ "category": "analyst" })),
            3 => ("training", json!({})),
            _ => ("hosting", json!({})),
        };
        let mut props = json!({ "resource": resource, "quantity": quantity, "receiver_ref": m.b.p(receiver), "year": year, "due": day(due, 0), "description": format!("c{}", m.n) });
        for (k, x) in extra.as_object().unwrap() {
            props[k] = x.clone();
        }
        let c = m.make(giver, COMMITMENT, &day(made, 1), props);
        ledger.push(c.clone());
        if rng.chance(10) {
            let q = if rng.chance(50) { 0.0 } else { quantity - 1.0 };
            let who = if rng.chance(80) { giver } else { receiver };
            m.make(who, CORRECTION, &day(made + 2, 2), json!({ "corrects_ref": c.id.as_str(), "quantity": q, "reason": "revised" }));
        }
        for k in 0..rng.below(5) {
            let at = made + 1 + k * 5 + rng.below(60);
            let by = if rng.chance(5) { receiver } else { giver };
            let named = if rng.chance(3) { format!("{COMMITMENT}--00000000-0000-4000-8000-999999999999") } else { c.id.to_string() };
            let dq = (1 + rng.below(4)) as f64 / if rng.chance(20) { 2.0 } else { 1.0 };
            let d = m.make(by, DELIVERY, &day(at, 3 + k), json!({ "commitment_ref": named, "quantity": dq, "delivered_at": day(at, 0), "note": "<b>n</b>" }));
            ledger.push(d.clone());
            let mut correction = None;
            if rng.chance(15) {
                let who = if rng.chance(85) { by } else { receiver };
                correction = Some(m.make(who, CORRECTION, &day(at + 1, 4), json!({ "corrects_ref": d.id.as_str(), "quantity": dq + 1.0, "reason": "miscounted" })));
            }
            for w in 0..rng.below(3) {
                let who = if rng.chance(90) { receiver } else { giver };
                let verdict = if rng.chance(75) { "confirmed" } else { "disputed" };
                let mut props = json!({ "delivery_ref": d.id.as_str(), "verdict": verdict });
                if let Some(k) = correction.as_ref().filter(|_| rng.chance(70)) {
                    props["correction_ref"] = json!(k.id.as_str());
                }
                let word = m.make(who, CONFIRMATION, &day(at + 2 + w, 5), props);
                ledger.push(word);
            }
        }
    }
    // Crisis assistance, the first request and one in four an exercise's, and placements.
    for i in 0..2 + rng.below(5) {
        let requester = rng.below(3) as usize;
        let helper = (requester + 1 + rng.below(2) as usize) % 3;
        let exercise = i == 0 || rng.chance(25);
        let d = 400 + i * 7;
        let rq = m.make(requester, "x-entente-crisis-assistance", &day(d, 0), json!({ "step": "request", "crisis_ref": "x-entente-crisis--00000000-0000-4000-9000-000000000001", "exercise": exercise, "resource": "responders", "quantity": 4, "unit": "people" }));
        m.make(helper, "x-entente-crisis-assistance", &day(d, 1), json!({ "step": "commit", "crisis_ref": "x-entente-crisis--00000000-0000-4000-9000-000000000001", "exercise": exercise, "request_ref": rq.id.as_str(), "quantity": 4 }));
        m.make(helper, "x-entente-crisis-assistance", &day(d + 1, 0), json!({ "step": "deliver", "crisis_ref": "x-entente-crisis--00000000-0000-4000-9000-000000000001", "exercise": exercise, "request_ref": rq.id.as_str(), "quantity": 3 }));
        if rng.chance(60) {
            m.make(requester, "x-entente-crisis-assistance", &day(d + 2, 0), json!({ "step": "release", "crisis_ref": "x-entente-crisis--00000000-0000-4000-9000-000000000001", "exercise": exercise, "request_ref": rq.id.as_str() }));
        }
        let guest = m.b.p((requester + 2) % 3);
        let p = m.make(requester, "x-entente-placement", &day(d, 2), json!({ "guest_ref": guest, "placement_type": "technical-assistance-visit", "topic": "SOC set-up", "start_date": day(d + 20, 0), "end_date": day(d + 22, 12) }));
        if i == 1 || rng.chance(70) {
            m.make((requester + 2) % 3, "x-entente-placement-acceptance", &day(d + 1, 2), json!({ "placement_ref": p.id.as_str(), "participant": "analyst" }));
        }
    }
    // New versions of a few ledger records (the ledger counts the first).
    for _ in 0..1 + rng.below(3) {
        let r = ledger[rng.below(ledger.len() as u64) as usize].clone();
        m.version(&r, 1, json!({ "quantity": 99 }));
    }
    m.b
}

/// When the fold is read: within the ledger and after it.
const TIMES: [&str; 3] = ["2025-07-01T00:00:00Z", "2026-03-01T00:00:00Z", "2027-06-01T00:00:00Z"];

/// The fold's state equals the state from scratch for every party and
/// time, and the CSV files equal those from every record at once.
fn compare(b: &Bench, kept: &Records, fold: Option<&dyn partnership::Fold>) -> Result<(), TestCaseError> {
    let all = Records::new(b.made.clone());
    let names = |p: &str| format!("name of {p}");
    for who in 0..3 {
        for t in TIMES {
            let ctx = b.world.ctx(who, &at(t));
            let folded = state(&Resources, kept, fold, &ctx);
            let scratch = Resources.state(&all, &ctx);
            prop_assert_eq!(&folded, &scratch, "read by {} at {}", who, t);
            for f in Resources.files().iter().filter(|_| who == 0) {
                let ours = Resources.file(f.name, None, &Resources.file_state(kept, &ctx), &names).unwrap();
                let theirs = Resources.file(f.name, None, &Resources.file_state(&all, &ctx), &names).unwrap();
                prop_assert_eq!(ours.bytes, theirs.bytes, "{} read by {} at {}", f.name, who, t);
            }
        }
    }
    Ok(())
}

/// A ledger longer than the window: the state holds its newest lines with
/// their running totals, the count of them all, and the CSV every line.
#[test]
fn a_long_ledger_is_windowed_and_its_csv_is_complete() {
    let b = ledger(7, 160);
    let records = Records::new(b.made.clone());
    let ctx = b.world.ctx(0, &at("2027-06-01T00:00:00Z"));
    let s = Resources.state(&records, &ctx);
    let full = Resources.file_state(&records, &ctx);
    let count = s["ledger_count"].as_u64().unwrap() as usize;
    assert!(count > WINDOW, "{count} lines: the test needs more than {WINDOW}");
    assert_eq!(full["ledger"].as_array().unwrap().len(), count);
    assert_eq!(s["ledger"].as_array().unwrap().len(), WINDOW);
    assert_eq!(s["ledger"].as_array().unwrap()[..], full["ledger"].as_array().unwrap()[count - WINDOW..]);
    assert_eq!(s["commitments_count"].as_u64(), Some(full["commitments"].as_array().unwrap().len() as u64));
    // It holds what the comparisons need to compare.
    let lines = full["ledger"].as_array().unwrap();
    for status in ["confirmed", "disputed", "awaiting-confirmation"] {
        assert!(lines.iter().any(|e| e["status"] == status && e["source"].is_null()), "a {status} delivery");
    }
    assert!(lines.iter().any(|e| e["correction"].is_string()) && lines.iter().any(|e| e["unvalued"].is_object()), "a corrected and an unvalued delivery");
    assert!(lines.iter().any(|e| e["source"]["module"] == "crisis") && lines.iter().any(|e| e["source"]["module"] == "exchanges"), "in-kind lines");
    assert!(full["commitments"].as_array().unwrap().iter().any(|c| c["cancelled"] == true) && !s["open"].as_array().unwrap().is_empty() && !s["awaiting"].as_array().unwrap().is_empty());
    for property in ["commitment_ref", "corrects_ref", "delivery_ref"] {
        assert!(s["ignored"].as_array().unwrap().iter().any(|i| i["property"] == property), "an entry ignored for {property}");
    }
    assert!(s["exercise_left_out"].as_u64() > Some(0), "an exercise's assistance left out");
    assert!(b.made.iter().any(|r| Records::new(b.made.clone()).versions(&r.id).len() > 1), "a record with a new version");
    let csv = Resources.file("ledger.csv", None, &full, &|p: &str| p.to_owned()).unwrap();
    let first = full["ledger"][0]["id"].as_str().unwrap();
    assert!(String::from_utf8(csv.bytes).unwrap().contains(first), "the oldest line is in the CSV");
    // The fold, fed in the order made, reads the same.
    let (mut kept, mut fold) = (Records::default(), Resources.fold());
    for r in b.made.iter().cloned() {
        feed(&mut kept, &mut fold, r);
    }
    if fold.is_none() {
        fold = refold(&Resources, &kept);
    }
    assert!(fold.is_some());
    compare(&b, &kept, fold.as_deref()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn the_fold_reads_as_the_state_on_random_ledgers(seed in any::<u64>(), size in 20usize..110, order in any::<u64>(), split in 0usize..1000) {
        let b = ledger(seed, size);
        let n = b.made.len();
        let mut rng = Rng(order | 1);
        let mut shuffled: Vec<Record> = b.made.clone();
        for i in (1..n).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let (first, second) = shuffled.split_at(split * n / 1000);
        let (mut kept, mut fold) = (Records::default(), Resources.fold());
        for (i, batch) in [first, second].into_iter().enumerate() {
            for r in batch.iter().cloned() {
                feed(&mut kept, &mut fold, r);
            }
            if fold.is_none() {
                fold = refold(&Resources, &kept);
            }
            prop_assert!(fold.is_some());
            if i == 1 {
                compare(&b, &kept, fold.as_deref())?;
            } else {
                // Mid-way: the fold against the state of what it was fed.
                let ctx = b.world.ctx(0, &at(TIMES[1]));
                prop_assert_eq!(state(&Resources, &kept, fold.as_deref(), &ctx), Resources.state(&kept, &ctx));
            }
        }
    }
}
