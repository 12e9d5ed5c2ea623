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

mod bench;

use model::{Object, StixId};
use partnership::Module;
use serde_json::{json, Map, Value};
use store::{PutOptions, Store};

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

fn main() {
    let small = bench::count("--small", 1_000);
    let big = bench::count("--big", 100_000);
    let items = bench::count("--items", 10_000);
    let reads = bench::count("--reads", 300);
    let dir = bench::fresh_dir("entente-module-bench");
    let host = bench::Bench::open(&dir, &["Aurelia", "Borealis"]);
    let (a, b) = (host.parties[0].clone(), host.parties[1].clone());
    let agreement = |title: &str| host.agreement(title, &host.parties, "real");
    let (talk, small_board, big_board) = (agreement("the dialogue"), agreement("a small board"), agreement("a big board"));
    let (node, store) = (host.modules_node(), host.store.clone());
    let dialogue = dialogue::Dialogue;
    let act = |agreement: &StixId, action: &str, v: Value| {
        server::modules::act(&node, &a, agreement, &dialogue, action, &input(v), "bench").expect(action)
    };

    let start = std::time::Instant::now();
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
        let page = server::modules::page(&node, &b, agreement, &dialogue, &listing, "bench").expect("page");
        assert_eq!(page.records.len(), 50, "a full first page");
    };
    let channel_ms = bench::alternate(reads, 2, |i| first_page(&talk, dialogue::types::MESSAGE, Some(&channels[i].1)));
    let [small_ms, big_ms] = <[Vec<f64>; 2]>::try_from(channel_ms).expect("two cases");
    let ((s50, s99), (b50, b99)) = (bench::percentiles(small_ms), bench::percentiles(big_ms));
    println!("channel first page (50 messages): {small} messages p50 {s50:.2} ms p99 {s99:.2} ms; {big} messages p50 {b50:.2} ms p99 {b99:.2} ms; ratio p50 {:.2} (target ≤ 1.5), p99 {b99:.2} ms (target ≤ 20)", b50 / s50);

    let boards = [&small_board, &big_board];
    let board_ms = bench::alternate(reads, 2, |i| first_page(boards[i], dialogue::types::ACTION_ITEM, None));
    let [small_ms, big_ms] = <[Vec<f64>; 2]>::try_from(board_ms).expect("two cases");
    let ((s50, s99), (b50, b99)) = (bench::percentiles(small_ms), bench::percentiles(big_ms));
    println!("board first page (50 items): {small} items p50 {s50:.2} ms p99 {s99:.2} ms; {items} items p50 {b50:.2} ms p99 {b99:.2} ms; ratio p50 {:.2} (target ≤ 1.5)", b50 / s50);

    let (mut state_ms, mut read_ms) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let (read, scope) = bench::ms(|| server::modules::view(&node, &b, &big_board, &dialogue, "bench").expect("view"));
        let (state, _) = bench::ms(|| std::hint::black_box(dialogue.state(&scope.records, &scope.ctx())));
        state_ms.push(state);
        read_ms.push(read);
        assert_eq!(scope.records.len(), items, "every item in the state");
    }
    let ((r50, r99), (d50, d99)) = (bench::percentiles(read_ms), bench::percentiles(state_ms));
    println!("an agreement of {items} action items: read and release (view) p50 {r50:.1} ms, worst {r99:.1} ms; state derived from them p50 {d50:.1} ms, worst {d99:.1} ms (target for the state ≤ 50)");
    bench::clean_up(&dir);
}
