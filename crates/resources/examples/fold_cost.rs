//! What the resources module's state costs to derive as the ledger grows,
//! in memory (no store, no release gate): `cargo run --release -p
//! entente-resources --example fold_cost -- [--entries N] [--reads N]`.
//!
//! The kit's test world (three parties), terms in force (EUR, a GNI key)
//! and each party's figures for 10 years made by the actions, then the
//! ledger: commitments, each with one delivery and the receiver's
//! confirmation (three entries), copies of ones the actions made, spread
//! over givers, receivers and years. Times, p50 and p99 over `--reads`
//! reads: the state derived from every record (`Module::state`), the
//! fold built from nothing (`partnership::fold::refold`, once), the state
//! read from the fold, and one new commitment, delivery and confirmation
//! fed to the fold before each read. docs/benchmarks.md has the figures.

use std::time::Instant;

use model::Timestamp;
use partnership::fold::{feed, refold, state};
use partnership::suite::{run, World};
use partnership::{Module, Record, Records};
use resources::Resources;
use serde_json::{json, Value};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1000.0)
}

fn main() {
    let entries = arg("--entries", 100_000);
    let reads = arg("--reads", 10).max(1);
    let world = World::new();
    let p = |i: usize| world.partners[i].to_string();
    let mut steps = vec![(0, "propose-terms", json!({ "unit": "EUR", "cost_share": { "method": "gni" } }))];
    for who in 0..3 {
        steps.push((who, "accept-terms", json!({ "terms": "$0" })));
    }
    for who in 0..3 {
        for y in 0..10 {
            steps.push((who, "declare-figures", json!({ "year": 2017 + y, "currency": "EUR", "gni": 1.0e11 * (1.0 + who as f64) * (1.0 + 0.02 * y as f64), "population": 1.0e6 * (1.0 + who as f64) })));
        }
    }
    let c = steps.len();
    steps.push((0, "commit", json!({ "resource": "money", "currency": "EUR", "quantity": 1000, "receiver": p(1), "year": 2017, "due": "2017-12-31T00:00:00Z", "description": "a contribution" })));
    steps.push((0, "deliver", json!({ "commitment": format!("${c}"), "quantity": 1000 })));
    steps.push((1, "confirm", json!({ "delivery": format!("${}", c + 1), "verdict": "confirmed" })));
    let made: Vec<Record> = run(&Resources, &world, &Timestamp::parse("2026-06-01T00:00:00Z").expect("a time"), &steps).into_iter().map(|(_, r)| r).collect();
    let template: Vec<Value> = made[c..].iter().map(|r| Value::Object(r.properties.clone())).collect();
    let copy = |n: usize| -> Vec<Record> {
        let giver = n % 3;
        let receiver = (giver + 1 + n / 3 % 2) % 3;
        let year = 2017 + (n / 9) as i64 % 10;
        let id = |kind: &str, role: u32| format!("{kind}--0000{role:04x}-0000-4000-8000-{n:012x}");
        let (mut cv, mut dv, mut kv) = (template[0].clone(), template[1].clone(), template[2].clone());
        cv["id"] = json!(id("x-entente-commitment", 1));
        cv["created_by_ref"] = json!(p(giver));
        cv["receiver_ref"] = json!(p(receiver));
        cv["year"] = json!(year);
        cv["due"] = json!(format!("{year}-12-31T00:00:00Z"));
        cv["quantity"] = json!(100 + (n % 900));
        dv["id"] = json!(id("x-entente-delivery", 2));
        dv["created_by_ref"] = json!(p(giver));
        dv["commitment_ref"] = cv["id"].clone();
        dv["quantity"] = cv["quantity"].clone();
        kv["id"] = json!(id("x-entente-delivery-confirmation", 3));
        kv["created_by_ref"] = json!(p(receiver));
        kv["delivery_ref"] = dv["id"].clone();
        [cv, dv, kv].iter().map(|v| Record::from_stored(&serde_json::to_vec(v).expect("json")).expect("a record")).collect()
    };
    let mut all = made.clone();
    for n in 1..entries.div_ceil(3) {
        all.extend(copy(n));
    }
    let mut records = Records::new(all);
    let ctx_at = Timestamp::parse("2027-06-01T00:00:00Z").expect("a time");
    let ctx = world.ctx(0, &ctx_at);
    println!("{} records, {} ledger entries", records.len(), entries);

    // Only the latest state kept (each is as long as the ledger).
    let mut derived = Vec::new();
    let ms: Vec<f64> = (0..reads).map(|_| timed(|| Resources.state(&records, &ctx))).map(|(s, t)| {
        derived.truncate(0);
        derived.push(s);
        t
    }).collect();
    let (p50, p99) = percentiles(ms);
    println!("derived from every record (Module::state): p50 {p50:.1} ms, p99 {p99:.1} ms");
    let (fold, built) = timed(|| refold(&Resources, &records));
    let mut fold = fold;
    assert!(fold.is_some(), "the fold takes every record");
    println!("the fold built from nothing: {built:.1} ms");
    let ms: Vec<f64> = (0..reads).map(|_| timed(|| state(&Resources, &records, fold.as_deref(), &ctx))).map(|(s, t)| {
        assert_eq!(s, derived[0], "the fold reads as the state");
        t
    }).collect();
    let (p50, p99) = percentiles(ms);
    println!("read from the fold: p50 {p50:.1} ms, p99 {p99:.1} ms");
    let mut ms = Vec::new();
    for i in 0..reads {
        let (_, fed) = timed(|| {
            for r in copy(entries + i) {
                feed(&mut records, &mut fold, r);
            }
        });
        assert!(fold.is_some(), "new records are taken");
        let (s, read) = timed(|| state(&Resources, &records, fold.as_deref(), &ctx));
        std::hint::black_box(s);
        ms.push(fed + read);
    }
    let (p50, p99) = percentiles(ms);
    println!("one new commitment, delivery and confirmation fed, then read: p50 {p50:.1} ms, p99 {p99:.1} ms");
}
