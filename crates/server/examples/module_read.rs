//! What a partnership module's reads cost as its records grow: `cargo xtask bench modules`.
//!
//! Builds a SQLite node with two partners and three agreements in force
//! between them (proposed and ratified through the node's own actions),
//! then, with the dialogue module:
//!
//! - a channel of `--small` messages (default 1,000) and one of `--big`
//!   (default 100,000) under one agreement, and times the first page (50
//!   messages, `server::modules::page` with `of` = the channel: the store's
//!   index of what records name) of each, alternating, `--reads` times:
//!   p50 and p99, and their ratio (target ≤ 1.5, and ≤ 20 ms p99);
//! - the action-item board: under a second agreement `--small` items and
//!   under a third `--items` (default 10,000): the board's first page (50
//!   items of the agreement) of each, and the state derived for the whole
//!   agreement of 10,000 items (`view` + the module's `state`: target ≤ 50 ms).
//!
//! The first message and item of each set are made by the module's own
//! action (`server::modules::act`); the rest are copies of it with fresh
//! ids, stored by the author in batches (the actions would read the whole
//! agreement before each record, which is what is being measured, not the
//! setup). Every read goes through the release gate and the release log.

use std::sync::Arc;
use std::time::Instant;

use model::{Object, StixId, Timestamp};
use partnership::Module;
use serde_json::{json, Map, Value};
use store::{PutOptions, Store};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn input(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// `n` copies of `first` (a record the module made) with fresh ids, stored
/// as its author's in batches of 1,000.
fn copies(store: &dyn Store, first: &Object, n: usize, tag: u32) {
    let template = first.to_value();
    let author = template["created_by_ref"].as_str().expect("author").to_owned();
    let ty = template["type"].as_str().expect("type").to_owned();
    let options = PutOptions { posted_by: Some(author), only_author: true, ..PutOptions::default() };
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        let mut v = template.clone();
        v["id"] = json!(format!("{ty}--{tag:08x}-0000-4000-8000-{i:012x}"));
        batch.push(Object::from_value(v).expect("a valid copy"));
        if batch.len() == 1000 || i + 1 == n {
            store.put(&batch, &options).expect("put");
            batch.clear();
        }
    }
}

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

fn main() {
    let small: usize = arg("--small").and_then(|v| v.parse().ok()).unwrap_or(1_000);
    let big: usize = arg("--big").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let items: usize = arg("--items").and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(300);
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-module-bench"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(&dir).expect("store"));
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let keys = server::keys::KeyDir::in_data_dir(&dir);
    let own = server::node::init(&*store, &*registry, &keys, "Aurelia").expect("init");
    let a = StixId::parse(&own.partner).expect("id");
    let b = StixId::parse(&server::node::add_hosted_partner(&*store, &*registry, &keys, "Borealis").expect("partner")).expect("id");
    let now = Timestamp::now().micros();
    let agreement = |title: &str| {
        let terms = json!({
            "title": title, "purpose": "benchmark", "party_refs": [a, b],
            "scope": { "object_types": [], "labels": [], "data_kind": "real" },
            "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": Timestamp::from_micros(now - 86_400_000_000).as_str(),
        });
        let made = server::agreements::propose(&*store, &a, None, terms.as_object().expect("terms"), &[]).expect("propose");
        for p in [&a, &b] {
            server::agreements::ratify(&*store, &keys, p, &made.id).expect("ratify");
        }
        made.id
    };
    let (talk, small_board, big_board) = (agreement("the dialogue"), agreement("a small board"), agreement("a big board"));
    let log = audit::SharedLog::open(dir.join("release.log")).expect("log");
    let node = server::modules::Node { store: store.clone(), agreements: Arc::new(Default::default()), log, limits: model::Limits::default() };
    let dialogue = dialogue::Dialogue;
    let act = |agreement: &StixId, action: &str, v: Value| {
        server::modules::act(&node, &a, agreement, &dialogue, action, &input(v), "bench").expect(action)
    };

    let start = Instant::now();
    let mut channels = Vec::new();
    for (n, title) in [(small, "small"), (big, "big")] {
        let channel = act(&talk, "create-channel", json!({ "title": title }));
        let first = act(&talk, "post-message", json!({ "channel": channel.id().as_str(), "text": "the first message" }));
        copies(&*store, &first, n - 1, channels.len() as u32 + 1);
        channels.push((title, channel.id().clone(), n));
    }
    for (board, n, tag) in [(&small_board, small, 10), (&big_board, items, 11)] {
        let first = act(board, "add-action-item", json!({ "description": "share the sensor list", "owner": b.as_str(), "due": "2027-03-01T00:00:00Z" }));
        copies(&*store, &first, n - 1, tag);
    }
    println!("built: channels of {small} and {big} messages, boards of {small} and {items} action items, in {:.1} s", start.elapsed().as_secs_f64());

    let first_page = |agreement: &StixId, kind: &str, of: Option<&StixId>| {
        let listing = server::modules::Listing { kind: Some(kind.into()), of: of.cloned(), limit: 50, after: None };
        let t = Instant::now();
        let page = server::modules::page(&node, &b, agreement, &dialogue, &listing, "bench").expect("page");
        assert_eq!(page.records.len(), 50, "a full first page");
        t.elapsed().as_secs_f64() * 1000.0
    };
    // Alternating, so that drift on a shared machine hits both alike.
    let (mut small_ms, mut big_ms) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        small_ms.push(first_page(&talk, dialogue::types::MESSAGE, Some(&channels[0].1)));
        big_ms.push(first_page(&talk, dialogue::types::MESSAGE, Some(&channels[1].1)));
    }
    let ((s50, s99), (b50, b99)) = (percentiles(small_ms), percentiles(big_ms));
    println!("channel first page (50 messages): {small} messages p50 {s50:.2} ms p99 {s99:.2} ms; {big} messages p50 {b50:.2} ms p99 {b99:.2} ms; ratio p50 {:.2} (target ≤ 1.5), p99 {b99:.2} ms (target ≤ 20)", b50 / s50);

    let (mut small_ms, mut big_ms) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        small_ms.push(first_page(&small_board, dialogue::types::ACTION_ITEM, None));
        big_ms.push(first_page(&big_board, dialogue::types::ACTION_ITEM, None));
    }
    let ((s50, s99), (b50, b99)) = (percentiles(small_ms), percentiles(big_ms));
    println!("board first page (50 items): {small} items p50 {s50:.2} ms p99 {s99:.2} ms; {items} items p50 {b50:.2} ms p99 {b99:.2} ms; ratio p50 {:.2} (target ≤ 1.5)", b50 / s50);

    let (mut state_ms, mut read_ms) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let scope = server::modules::view(&node, &b, &big_board, &dialogue, "bench").expect("view");
        let read = t.elapsed().as_secs_f64() * 1000.0;
        let state = dialogue.state(&scope.records, &scope.ctx());
        std::hint::black_box(&state);
        state_ms.push(t.elapsed().as_secs_f64() * 1000.0 - read);
        read_ms.push(read);
        assert_eq!(scope.records.len(), items, "every item in the state");
    }
    let ((r50, r99), (d50, d99)) = (percentiles(read_ms), percentiles(state_ms));
    println!("an agreement of {items} action items: read and release (view) p50 {r50:.1} ms, worst {r99:.1} ms; state derived from them p50 {d50:.1} ms, worst {d99:.1} ms (target for the state ≤ 50)");
    let _ = std::fs::remove_dir_all(&dir);
}
