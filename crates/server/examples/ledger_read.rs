//! What the resources module's burden-sharing page costs as its ledger
//! grows: `cargo xtask bench ledger`.
//!
//! Builds a SQLite node with `--parties` partners (default 30) and two
//! agreements in force among all of them; under each, terms in force (a
//! GNI key, EUR) accepted by every party and each party's figures declared
//! for `--years` years (default 10), all by the module's own actions. Then
//! the ledger: commitments, each with one delivery and the receiver's
//! confirmation (three entries), spread over the parties and the years:
//! `--small` entries (default 10,000) under one agreement, `--big`
//! (default 100,000) under the other. It times the page's data — the
//! module's records read through the release gate and logged
//! (`server::modules::view`) and the figures derived from them
//! (`resources::Resources::state`: balances, per-year shares, fair-share
//! ratio, Gini, Spearman's ρ) — of each, alternating: cold (the reader's
//! cached scope forgotten first, at most 3 times), warm (nothing new,
//! `--reads` times, default 10) and with one new commitment, delivery and
//! confirmation stored before each read; after the agreements' index was
//! rebuilt (each minute on a server: the scope carried over); and the first
//! page after a restart once the server warmed its partner's scopes
//! (`node::modules::warm`, timed apart): p50 and p99, their ratio, and the
//! split between reading and deriving (target at 1,000,000 entries: ≤ 200 ms p99;
//! docs/benchmarks.md).
//!
//! Then ingest: `--ingest` ledger records (default 30,000) stored as
//! `entente import` stores objects, against as many STIX indicators, both
//! into the same store, their batches interleaved (target: the records at the store's import rate),
//! and `--acts` entry sets (default 100) made by the module's actions.
//!
//! The first commitment, delivery and confirmation are made by the
//! actions; the rest are copies with fresh ids, other givers, receivers
//! and years, stored by their authors in batches (the actions would read
//! the whole agreement before each record, which is what is measured).

use std::sync::Arc;
use std::time::Instant;

use model::{Object, StixId, Timestamp};
use serde_json::{json, Map, Value};
use store::{PutOptions, Store};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn input(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

fn main() {
    let parties: usize = arg("--parties").and_then(|v| v.parse().ok()).unwrap_or(30).max(2);
    let years: i64 = arg("--years").and_then(|v| v.parse().ok()).unwrap_or(10).max(1);
    let small: usize = arg("--small").and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let big: usize = arg("--big").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(10);
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-ledger-bench"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(&dir).expect("store"));
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let keys = server::keys::KeyDir::in_data_dir(&dir);
    let own = server::node::init(&*store, &*registry, &keys, "Aurelia").expect("init");
    let mut ps = vec![StixId::parse(&own.partner).expect("id")];
    for i in 1..parties {
        ps.push(StixId::parse(&server::node::add_hosted_partner(&*store, &*registry, &keys, &format!("Nation {i}")).expect("partner")).expect("id"));
    }
    let now = Timestamp::now().micros();
    let first_year = 2017i64;
    let agreement = |title: &str| {
        let terms = json!({
            "title": title, "purpose": "benchmark", "party_refs": ps,
            "scope": { "object_types": [], "labels": [], "data_kind": "real" },
            "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": Timestamp::from_micros(now - 86_400_000_000).as_str(),
        });
        let made = server::agreements::propose(&*store, &ps[0], None, terms.as_object().expect("terms"), &[]).expect("propose");
        for p in &ps {
            server::agreements::ratify(&*store, &keys, p, &made.id).expect("ratify");
        }
        made.id
    };
    let agreements = [agreement(&format!("a ledger of {small} entries")), agreement(&format!("a ledger of {big} entries"))];
    let log = audit::SharedLog::open(dir.join("release.log")).expect("log");
    let node = server::modules::Node { store: store.clone(), agreements: Arc::new(Default::default()), log, limits: model::Limits::default() };
    let module = resources::Resources;
    let act = |who: &StixId, agreement: &StixId, action: &str, v: Value| server::modules::act(&node, who, agreement, &module, action, &input(v), "bench").expect(action);

    let start = Instant::now();
    let mut templates = Vec::new();
    for (tag, (agreement, entries)) in agreements.iter().zip([small, big]).enumerate() {
        let terms = act(&ps[0], agreement, "propose-terms", json!({ "unit": "EUR", "cost_share": { "method": "gni" } }));
        for p in &ps {
            act(p, agreement, "accept-terms", json!({ "terms": terms.id().as_str() }));
        }
        for (i, p) in ps.iter().enumerate() {
            for y in 0..years {
                let gni = 1.0e11 * (1.0 + i as f64) * (1.0 + 0.02 * y as f64);
                act(p, agreement, "declare-figures", json!({ "year": first_year + y, "currency": "EUR", "gni": gni, "population": 1.0e6 * (1.0 + i as f64) }));
            }
        }
        let due = |y: i64| format!("{y}-12-31T00:00:00Z");
        let c = act(&ps[0], agreement, "commit", json!({ "resource": "money", "currency": "EUR", "quantity": 1000, "receiver": ps[1].as_str(), "year": first_year, "due": due(first_year), "description": "a contribution" }));
        let d = act(&ps[0], agreement, "deliver", json!({ "commitment": c.id().as_str(), "quantity": 1000 }));
        let k = act(&ps[1], agreement, "confirm", json!({ "delivery": d.id().as_str(), "verdict": "confirmed" }));
        let (c, d, k) = (c.to_value(), d.to_value(), k.to_value());
        templates.push((c.clone(), d.clone(), k.clone()));
        // Each batch per author: the store takes a party's records from that party alone.
        let mut batches: std::collections::BTreeMap<usize, Vec<Object>> = Default::default();
        let flush = |author: usize, batch: &mut Vec<Object>| {
            let options = PutOptions { posted_by: Some(ps[author].to_string()), only_author: true, ..PutOptions::default() };
            store.put(batch, &options).expect("put");
            batch.clear();
        };
        for n in 1..entries.div_ceil(3) {
            let giver = n % parties;
            let receiver = (giver + 1 + n / parties % (parties - 1)) % parties;
            let year = first_year + (n / (parties * parties)) as i64 % years;
            let id = |kind: &str, role: u32| format!("{kind}--{tag:04x}{role:04x}-0000-4000-8000-{n:012x}");
            let mut cv = c.clone();
            cv["id"] = json!(id("x-entente-commitment", 1));
            cv["created_by_ref"] = json!(ps[giver].as_str());
            cv["receiver_ref"] = json!(ps[receiver].as_str());
            cv["year"] = json!(year);
            cv["due"] = json!(due(year));
            cv["quantity"] = json!(100 + (n % 900));
            let mut dv = d.clone();
            dv["id"] = json!(id("x-entente-delivery", 2));
            dv["created_by_ref"] = json!(ps[giver].as_str());
            dv["commitment_ref"] = cv["id"].clone();
            dv["quantity"] = cv["quantity"].clone();
            let mut kv = k.clone();
            kv["id"] = json!(id("x-entente-delivery-confirmation", 3));
            kv["created_by_ref"] = json!(ps[receiver].as_str());
            kv["delivery_ref"] = dv["id"].clone();
            for (author, v) in [(giver, cv), (giver, dv), (receiver, kv)] {
                let batch = batches.entry(author).or_default();
                batch.push(Object::from_value(v).expect("a valid copy"));
                if batch.len() == 1000 {
                    flush(author, batch);
                }
            }
        }
        for (author, batch) in batches.iter_mut().filter(|(_, b)| !b.is_empty()) {
            flush(*author, batch);
        }
    }
    println!("built: two ledgers among {parties} parties over {years} years, {small} and {big} entries (commitment, delivery, confirmation), in {:.1} s", start.elapsed().as_secs_f64());

    let derive = std::cell::RefCell::new((Vec::new(), Vec::new()));
    let page = |agreement: &StixId, big_one: bool, commitments: usize| {
        let t = Instant::now();
        let scope = server::modules::view(&node, &ps[0], agreement, &module, "bench").expect("view");
        let read = Instant::now();
        let state = node::modules::state_of(&module, &scope);
        let derived = read.elapsed().as_secs_f64() * 1000.0;
        let mut d = derive.borrow_mut();
        if big_one { d.1.push(derived) } else { d.0.push(derived) }
        // The state holds the newest commitments and lines, with their counts (every row is in the CSV files).
        assert_eq!(state["commitments_count"].as_u64(), Some(commitments as u64), "every commitment in the figures");
        assert_eq!(state["ledger_count"].as_u64(), Some(commitments as u64), "every delivery in the ledger");
        assert!(state["awaiting"].as_array().is_some_and(Vec::is_empty) && state["ledger"].as_array().is_some_and(|l| l.iter().all(|e| e["status"] == "confirmed")), "every delivery confirmed by its receiver");
        assert!(state["periods"].as_array().is_some_and(|l| !l.is_empty()), "the figures per year");
        std::hint::black_box(&state);
        t.elapsed().as_secs_f64() * 1000.0
    };
    // One more commitment, delivered and confirmed, as they arrive.
    let serial = std::cell::Cell::new(0usize);
    let arrive = |(c, d, k): &(Value, Value, Value), tag: usize| {
        serial.set(serial.get() + 1);
        let n = serial.get();
        let id = |kind: &str, role: u32| format!("{kind}--{tag:04x}{role:04x}-0000-4000-9000-{n:012x}");
        let (mut cv, mut dv, mut kv) = (c.clone(), d.clone(), k.clone());
        cv["id"] = json!(id("x-entente-commitment", 1));
        dv["id"] = json!(id("x-entente-delivery", 2));
        dv["commitment_ref"] = cv["id"].clone();
        kv["id"] = json!(id("x-entente-delivery-confirmation", 3));
        kv["delivery_ref"] = dv["id"].clone();
        for (author, v) in [(0, cv), (0, dv), (1, kv)] {
            let options = PutOptions { posted_by: Some(ps[author].to_string()), only_author: true, ..PutOptions::default() };
            store.put(&[Object::from_value(v).expect("a valid copy")], &options).expect("put");
        }
    };
    let mut counts = [small.div_ceil(3), big.div_ceil(3)];
    // Cold: the reader's cached scope forgotten before each read.
    let (mut small_cold, mut big_cold) = (Vec::new(), Vec::new());
    for _ in 0..reads.min(3) {
        node.agreements.scopes().clear();
        small_cold.push(page(&agreements[0], false, counts[0]));
        node.agreements.scopes().clear();
        big_cold.push(page(&agreements[1], true, counts[1]));
    }
    // The last cold read of the big ledger dropped the small one's scope: one
    // read of each, untimed, so the warm reads below are all warm.
    page(&agreements[0], false, counts[0]);
    page(&agreements[1], true, counts[1]);
    // Warm: nothing new since the previous read.
    let (mut small_ms, mut big_ms) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        small_ms.push(page(&agreements[0], false, counts[0]));
        big_ms.push(page(&agreements[1], true, counts[1]));
    }
    // One new commitment, delivery and confirmation stored before each read.
    let (mut small_new, mut big_new) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        for (i, list) in [&mut small_new, &mut big_new].into_iter().enumerate() {
            arrive(&templates[i], i);
            counts[i] += 1;
            list.push(page(&agreements[i], i == 1, counts[i]));
        }
    }
    // The agreements' index rebuilt before each read (as each minute, or
    // when any agreement changes): the scope carried over, not read again.
    let (mut small_rebuilt, mut big_rebuilt) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        node.agreements.expire();
        small_rebuilt.push(page(&agreements[0], false, counts[0]));
        node.agreements.expire();
        big_rebuilt.push(page(&agreements[1], true, counts[1]));
    }
    // A restart: nothing kept. The server warms its own partner's scopes in
    // the background (`node::modules::warm`, timed here), then the first page.
    let modules = node::modules::build([Arc::new(resources::Resources) as Arc<dyn partnership::Module>]);
    let (mut warming, mut small_after, mut big_after) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reads.min(3) {
        node.agreements.scopes().clear();
        let t = Instant::now();
        let full = node::modules::warm(&node, &modules, &ps[0], "warm").expect("warm");
        assert_eq!(full, 2, "both ledgers' scopes read in full");
        warming.push(t.elapsed().as_secs_f64() * 1000.0);
        small_after.push(page(&agreements[0], false, counts[0]));
        big_after.push(page(&agreements[1], true, counts[1]));
    }
    let line = |what: &str, small_ms: Vec<f64>, big_ms: Vec<f64>| {
        let ((s50, s99), (b50, b99)) = (percentiles(small_ms), percentiles(big_ms));
        println!(
            "burden-sharing page, {what} (records read and released, figures derived), {parties} parties, {years} years: {small} entries p50 {s50:.1} ms p99 {s99:.1} ms; {big} entries p50 {b50:.1} ms p99 {b99:.1} ms (target ≤ 200 at 1,000,000); ratio p50 {:.2}, p99 {:.2}",
            b50 / s50,
            b99 / s99
        );
    };
    line("cold (no cached scope)", small_cold, big_cold);
    line("warm (nothing new)", small_ms, big_ms);
    line("one new commitment, delivery and confirmation before each read", small_new, big_new);
    line("after the agreements' index was rebuilt (scope carried over)", small_rebuilt, big_rebuilt);
    line("first page after a restart, once the scopes were warmed", small_after, big_after);
    let (w50, w99) = percentiles(warming);
    println!("warming both ledgers' scopes after a restart (in the background, every record read, released and folded, the figures derived once): p50 {w50:.1} ms, p99 {w99:.1} ms");
    let (small_d, big_d) = derive.borrow().clone();
    let ((s50, _), (b50, _)) = (percentiles(small_d), percentiles(big_d));
    println!("of which the figures derived from the records, every read above: {small} entries p50 {s50:.1} ms; {big} entries p50 {b50:.1} ms; the rest is the view's read and release");

    // Ingest (issue 24: "record ingest at the store's import rate"), into
    // this store as it now stands: `--ingest` ledger records (commitments,
    // deliveries, confirmations under the big ledger) the way `entente
    // import --as` stores them — each parsed from its JSON, 1,000 a batch
    // per author, `node::write::put` — against as many STIX indicators the
    // same way, the two kinds' batches interleaved; then entry sets made one record at a time by the module's
    // actions (each a read of the author's warm scope, the action's checks
    // and a write of its own).
    let ingest: usize = arg("--ingest").and_then(|v| v.parse().ok()).unwrap_or(30_000).max(3);
    let limits = model::Limits::default();
    // One batch (author, objects' JSON): how many were added, in how long.
    let put_one = |(author, batch): &(usize, Vec<Vec<u8>>)| {
        let t = Instant::now();
        let objects: Vec<Object> = batch.iter().map(|b| Object::parse(b, &limits).expect("a valid object")).collect();
        let options = PutOptions { posted_by: Some(ps[*author].to_string()), ..PutOptions::default() };
        let stored = node::write::put(&*store, &objects, &options).expect("put");
        (stored.iter().filter(|o| matches!(o, store::Outcome::Added(_))).count(), t.elapsed().as_secs_f64())
    };
    // The two kinds' batches interleaved, one of each in turn (which goes
    // first alternating), each timed apart: both meet the same store, the
    // same size of write-ahead log and checkpoints. (One kind's batches all
    // before the other's made the second ~2.5x slower whichever it was: the
    // store and its log grown by the first; docs/benchmarks.md.)
    let put_both = |indicators: Vec<(usize, Vec<Vec<u8>>)>, records: Vec<(usize, Vec<Vec<u8>>)>| {
        let (mut a, mut b) = ((0, 0.0), (0, 0.0));
        let put = |sum: &mut (usize, f64), batch: Option<&(usize, Vec<Vec<u8>>)>| {
            if let Some(batch) = batch {
                let (n, secs) = put_one(batch);
                sum.0 += n;
                sum.1 += secs;
            }
        };
        for i in 0..indicators.len().max(records.len()) {
            if i % 2 == 0 {
                put(&mut a, indicators.get(i));
                put(&mut b, records.get(i));
            } else {
                put(&mut b, records.get(i));
                put(&mut a, indicators.get(i));
            }
        }
        (a, b)
    };
    let (c, d, k) = &templates[1];
    let mut ledger_batches: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
    let mut open: std::collections::BTreeMap<usize, Vec<Vec<u8>>> = Default::default();
    for n in 0..ingest / 3 {
        let giver = n % parties;
        let receiver = (giver + 1 + n / parties % (parties - 1)) % parties;
        let id = |kind: &str, role: u32| format!("{kind}--0002{role:04x}-0000-4000-a000-{n:012x}");
        let (mut cv, mut dv, mut kv) = (c.clone(), d.clone(), k.clone());
        cv["id"] = json!(id("x-entente-commitment", 1));
        cv["created_by_ref"] = json!(ps[giver].as_str());
        cv["receiver_ref"] = json!(ps[receiver].as_str());
        dv["id"] = json!(id("x-entente-delivery", 2));
        dv["created_by_ref"] = json!(ps[giver].as_str());
        dv["commitment_ref"] = cv["id"].clone();
        kv["id"] = json!(id("x-entente-delivery-confirmation", 3));
        kv["created_by_ref"] = json!(ps[receiver].as_str());
        kv["delivery_ref"] = dv["id"].clone();
        for (author, v) in [(giver, cv), (giver, dv), (receiver, kv)] {
            let batch = open.entry(author).or_default();
            batch.push(serde_json::to_vec(&v).expect("json"));
            if batch.len() == 1000 {
                ledger_batches.push((author, std::mem::take(batch)));
            }
        }
    }
    ledger_batches.extend(open.into_iter().filter(|(_, b)| !b.is_empty()));
    let stamp = templates[1].0["created"].as_str().expect("created").to_owned();
    let indicator_batches: Vec<(usize, Vec<Vec<u8>>)> = (0..(ingest / 3) * 3)
        .map(|n| {
            let v = json!({
                "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-b000-{n:012x}"),
                "created": stamp, "modified": stamp, "created_by_ref": ps[0].as_str(), "name": format!("bench indicator {n}"),
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", n >> 16 & 255, n >> 8 & 255, n & 255), "pattern_type": "stix", "valid_from": stamp,
            });
            serde_json::to_vec(&v).expect("json")
        })
        .collect::<Vec<_>>()
        .chunks(1000)
        .map(|c| (0, c.to_vec()))
        .collect();
    let ((indicators, indicator_secs), (records, record_secs)) = put_both(indicator_batches, ledger_batches);
    assert_eq!((indicators, records), ((ingest / 3) * 3, (ingest / 3) * 3), "every object and record stored");
    counts[1] += ingest / 3;
    let after_ingest = page(&agreements[1], true, counts[1]);
    // The action path: `--acts` entry sets on the big ledger, one record each.
    let acts: usize = arg("--acts").and_then(|v| v.parse().ok()).unwrap_or(100).max(1);
    let t = Instant::now();
    for i in 0..acts {
        let (giver, receiver) = (&ps[i % parties], &ps[(i + 1) % parties]);
        let c = act(giver, &agreements[1], "commit", json!({ "resource": "money", "currency": "EUR", "quantity": 100, "receiver": receiver.as_str(), "year": first_year, "due": format!("{first_year}-12-31T00:00:00Z"), "description": "by the action" }));
        let d = act(giver, &agreements[1], "deliver", json!({ "commitment": c.id().as_str(), "quantity": 100 }));
        act(receiver, &agreements[1], "confirm", json!({ "delivery": d.id().as_str(), "verdict": "confirmed" }));
    }
    let act_secs = t.elapsed().as_secs_f64();
    counts[1] += acts;
    page(&agreements[1], true, counts[1]);
    let (indicator_rate, record_rate, act_rate) = (indicators as f64 / indicator_secs, records as f64 / record_secs, (3 * acts) as f64 / act_secs);
    println!(
        "ingest into this store: {indicators} STIX indicators as `entente import` stores them (parsed, 1,000 a batch) {indicator_rate:.0} objects/s ({indicator_secs:.2} s); \
         {records} ledger records the same way {record_rate:.0} records/s ({record_secs:.2} s): ratio {:.2} (target ≥ 0.95: at the store's import rate); \
         the next page read them all: {after_ingest:.1} ms; by the module's actions, one record each: {act_rate:.0} records/s ({} records in {act_secs:.2} s)",
        record_rate / indicator_rate,
        3 * acts
    );
    let _ = std::fs::remove_dir_all(&dir);
}
