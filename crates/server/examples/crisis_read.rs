//! What a crisis's page costs as its timeline grows: `cargo xtask bench crisis`.
//!
//! Builds a SQLite node with two partners and two agreements in force
//! between them; under each, Aurelia activates a crisis with `--tasks`
//! tasks (default 1,000) assigned to Borealis, and Borealis's task updates
//! make its timeline: `--small` events (default 1,000) under one,
//! `--big` (default 10,000) under the other. It then times the crisis
//! page's data — the module's records read through the release gate and
//! logged (`server::modules::view`) and the common picture derived from
//! them (`crisis::Crisis::state`) — of each crisis, alternating: cold (the
//! reader's cached scope forgotten first, at most 10 times), warm (nothing
//! new, `--reads` times, default 30), with one new update stored before
//! each read (`--reads` times), and the same after the agreements' index's
//! periodic rebuild with nothing changed (forced before each read,
//! `Agreements::age`): p50 and p99 of each, and their ratio
//! (targets: p99 ≤ 100 ms at 10,000 events, and the cost at 10,000 events
//! ≤ 1.5× the cost at 1,000; docs/benchmarks.md).
//!
//! The crisis and the first update are made by the module's own actions
//! (`server::modules::act`); the other updates are copies of the first
//! with fresh ids, spread over the tasks and statuses, stored by their
//! author in batches (the actions would read the whole agreement before
//! each record, which is what is being measured, not the setup).

mod bench;

use std::time::Instant;

use bench::{count, percentiles, Bench};
use model::{Object, StixId};
use serde_json::{json, Map, Value};
use store::PutOptions;

fn input(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

fn main() {
    let tasks = count("--tasks", 1_000);
    let small = count("--small", 1_000);
    let big = count("--big", 10_000);
    let reads = count("--reads", 30);
    let dir = bench::fresh_dir("entente-crisis-bench");
    let bench = Bench::open(&dir, &["Aurelia", "Borealis"]);
    let (a, b) = (bench.parties[0].clone(), bench.parties[1].clone());
    let store = bench.store.clone();
    let agreement = |title: &str| bench.agreement(title, &bench.parties, "both");
    let node = bench.modules_node();
    let module = crisis::Crisis;
    let statuses = ["acknowledged", "accepted", "in-progress", "done"];

    // Both agreements first: the node rereads its agreements at most every INDEX_TTL.
    let agreements = [agreement(&format!("a crisis of {small} events")), agreement(&format!("a crisis of {big} events"))];
    let start = Instant::now();
    let mut crises = Vec::new();
    for ((tag, events), agreement) in [(1u32, small), (2, big)].into_iter().zip(agreements) {
        let list: Vec<Value> = (0..tasks)
            .map(|i| json!({ "key": format!("t{i}"), "title": format!("task {i}"), "phase": "response", "assignee": b.as_str(), "ack_within_minutes": 60, "complete_within_minutes": 1440 }))
            .collect();
        let activation = json!({ "title": "Benchmark crisis", "severity": "severe", "exercise": true, "tasks": list });
        let c = server::modules::act(&node, &a, &agreement, &module, "activate", &input(activation), "bench").expect("activate");
        let first = server::modules::act(&node, &b, &agreement, &module, "update-task", &input(json!({ "crisis": c.id().as_str(), "task": "t0", "status": "acknowledged" })), "bench").expect("update");
        let template = first.to_value();
        let options = PutOptions { posted_by: Some(b.to_string()), only_author: true, ..PutOptions::default() };
        let mut batch = Vec::with_capacity(1000);
        for i in 1..events {
            let mut v = template.clone();
            v["id"] = json!(format!("x-entente-crisis-task-update--{tag:08x}-0000-4000-8000-{i:012x}"));
            v["task"] = json!(format!("t{}", i % tasks));
            v["status"] = json!(statuses[(i / tasks) % statuses.len()]);
            batch.push(Object::from_value(v).expect("a valid copy"));
            if batch.len() == 1000 || i + 1 == events {
                store.put(&batch, &options).expect("put");
                batch.clear();
            }
        }
        crises.push((agreement, events, template, tag));
    }
    println!("built: two crises of {tasks} tasks, with {small} and {big} timeline events, in {:.1} s", start.elapsed().as_secs_f64());

    let derive_ms = std::cell::RefCell::new((Vec::new(), Vec::new()));
    let page = |agreement: &StixId, small_one: bool, events: usize| {
        let t = Instant::now();
        let scope = server::modules::view(&node, &b, agreement, &module, "bench").expect("view");
        let read = Instant::now();
        let state = node::modules::state_of(&module, &scope);
        let derived = read.elapsed().as_secs_f64() * 1000.0;
        let mut d = derive_ms.borrow_mut();
        if small_one { d.0.push(derived) } else { d.1.push(derived) }
        let c = &state["crises"][0];
        assert_eq!(c["tasks"].as_array().map(Vec::len), Some(tasks), "every task on the page");
        assert_eq!(c["timeline_total"].as_u64(), Some(events as u64 + 1), "every event and the activation counted");
        assert_eq!(c["timeline"].as_array().map(Vec::len), Some((events + 1).min(crisis::rules::TIMELINE_NEWEST)), "the newest events on the page");
        std::hint::black_box(&state);
        t.elapsed().as_secs_f64() * 1000.0
    };
    // One more update of a crisis, as one arrives from its assignee.
    let serial = std::cell::Cell::new(0usize);
    let arrive = |template: &Value, tag: u32| {
        serial.set(serial.get() + 1);
        let mut v = template.clone();
        v["id"] = json!(format!("x-entente-crisis-task-update--{tag:08x}-0000-4000-9000-{:012x}", serial.get()));
        v["task"] = json!(format!("t{}", serial.get() % tasks));
        let options = PutOptions { posted_by: Some(b.to_string()), only_author: true, ..PutOptions::default() };
        store.put(&[Object::from_value(v).expect("a valid copy")], &options).expect("put");
    };
    let mut counts: Vec<usize> = crises.iter().map(|c| c.1).collect();
    // Cold: the reader's cached scope forgotten before each read (the first
    // read after a start, an eviction, an index rebuild or a deletion).
    let (mut small_cold, mut big_cold) = (Vec::new(), Vec::new());
    for _ in 0..reads.min(10) {
        node.agreements.scopes().clear();
        small_cold.push(page(&crises[0].0, true, counts[0]));
        node.agreements.scopes().clear();
        big_cold.push(page(&crises[1].0, false, counts[1]));
    }
    // Warm: nothing new since the previous read. Alternating, so that drift
    // on a shared machine hits both alike.
    let (mut small_ms, mut big_ms) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        small_ms.push(page(&crises[0].0, true, counts[0]));
        big_ms.push(page(&crises[1].0, false, counts[1]));
    }
    // One new update stored before each read: the honest figure.
    let (mut small_new, mut big_new) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        for (i, list) in [&mut small_new, &mut big_new].into_iter().enumerate() {
            arrive(&crises[i].2, crises[i].3);
            counts[i] += 1;
            list.push(page(&crises[i].0, i == 0, counts[i]));
        }
    }
    // The same after the index's periodic rebuild (`release::INDEX_REBUILD`,
    // here forced before each read) with nothing it is built from changed:
    // the rebuild's cost is in the read, and the reader's scope is kept.
    let (mut small_rebuilt, mut big_rebuilt) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        for (i, list) in [&mut small_rebuilt, &mut big_rebuilt].into_iter().enumerate() {
            node.agreements.age(node::release::INDEX_REBUILD);
            arrive(&crises[i].2, crises[i].3);
            counts[i] += 1;
            list.push(page(&crises[i].0, i == 0, counts[i]));
        }
    }
    let line = |what: &str, small_ms: Vec<f64>, big_ms: Vec<f64>| {
        let ((s50, s99), (b50, b99)) = (percentiles(small_ms), percentiles(big_ms));
        println!(
            "crisis page, {what} (records read and released, common picture derived), {tasks} tasks: {small} events p50 {s50:.1} ms p99 {s99:.1} ms; {big} events p50 {b50:.1} ms p99 {b99:.1} ms (target ≤ 100); ratio p50 {:.2}, p99 {:.2} (target ≤ 1.5)",
            b50 / s50,
            b99 / s99
        );
    };
    line("cold (no cached scope)", small_cold, big_cold);
    line("warm (nothing new)", small_ms, big_ms);
    line("one new update before each read", small_new, big_new);
    line("after an index rebuild, one new update before each read", small_rebuilt, big_rebuilt);
    let (small_d, big_d) = derive_ms.into_inner();
    let ((s50, _), (b50, _)) = (percentiles(small_d), percentiles(big_d));
    println!("of which the picture (the fold finished, or Module::state), every read above: {small} events p50 {s50:.1} ms; {big} events p50 {b50:.1} ms; the rest is the view's read and release");
    bench::clean_up(&dir);
}
