//! What a kept scope costs in memory against what the scope cache counts
//! for it (`node::modules::scopes::cost`, the estimate its byte budget is
//! kept in): the allocator's own count of the bytes the cache holds, for
//! a ledger of the resources module (the biggest scopes a node keeps:
//! every entry with the fold's readings of it). The estimate must stay
//! within a factor of two of the real cost, either way.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use model::{Object, StixId};
use serde_json::{json, Map, Value};
use store::{PutOptions, Store};

/// The system allocator, counting the bytes live as glibc's malloc spends
/// them: each block rounded up to 16 with 8 bytes of header, 32 at least.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

fn spent(size: usize) -> i64 {
    (size.saturating_add(8).div_ceil(16) * 16).max(32) as i64
}

// SAFETY: every call is the system allocator's, with the same arguments;
// the count beside it touches no memory it hands out. Test code alone: the
// allocator's own count is the real cost the estimate is checked against.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(spent(layout.size()), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(spent(layout.size()), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(spent(layout.size()), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(spent(new_size) - spent(layout.size()), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn id(s: &str) -> StixId {
    StixId::parse(s).unwrap()
}

fn input(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn a_kept_ledger_scope_costs_within_a_factor_of_two_of_its_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let parties: Vec<StixId> = (1..=4).map(|i| id(&format!("identity--0{i}000000-0000-4000-8000-00000000000{i}"))).collect();
    let terms = json!({
        "title": "a ledger", "purpose": "burden sharing", "party_refs": parties,
        "scope": { "object_types": [], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z",
    });
    let agreement = node::agreements::propose(&*store, &parties[0], None, terms.as_object().unwrap(), &[]).unwrap().id;
    let log = audit::SharedLog::open(dir.path().join("release.log")).unwrap();
    let node = node::modules::Node { store: store.clone(), agreements: Arc::new(Default::default()), log, limits: model::Limits::default() };
    let module = resources::Resources;
    let act = |who: &StixId, action: &str, v: Value| node::modules::act(&node, who, &agreement, &module, action, &input(v), "test").expect(action);
    let proposed = act(&parties[0], "propose-terms", json!({ "unit": "EUR", "cost_share": { "method": "gni" } }));
    for p in &parties {
        act(p, "accept-terms", json!({ "terms": proposed.id().as_str() }));
        act(p, "declare-figures", json!({ "year": 2024, "currency": "EUR", "gni": 1.0e11, "population": 1.0e6 }));
    }
    let c = act(&parties[0], "commit", json!({ "resource": "money", "currency": "EUR", "quantity": 1000, "receiver": parties[1].as_str(), "year": 2024, "due": "2024-12-31T00:00:00Z", "description": "a contribution" })).to_value();
    let d = act(&parties[0], "deliver", json!({ "commitment": c["id"], "quantity": 1000 })).to_value();
    let k = act(&parties[1], "confirm", json!({ "delivery": d["id"], "verdict": "confirmed" })).to_value();
    // 6,000 entries more, as the benchmark makes them: copies by their authors.
    let sets = 2000;
    let mut by_author: Vec<Vec<Object>> = vec![Vec::new(); parties.len()];
    for n in 0..sets {
        let (giver, receiver) = (n % parties.len(), (n + 1) % parties.len());
        let (mut cv, mut dv, mut kv) = (c.clone(), d.clone(), k.clone());
        cv["id"] = json!(format!("x-entente-commitment--00000001-0000-4000-8000-{n:012x}"));
        cv["created_by_ref"] = json!(parties[giver].as_str());
        cv["receiver_ref"] = json!(parties[receiver].as_str());
        cv["quantity"] = json!(100 + n % 900);
        dv["id"] = json!(format!("x-entente-delivery--00000002-0000-4000-8000-{n:012x}"));
        dv["created_by_ref"] = json!(parties[giver].as_str());
        dv["commitment_ref"] = cv["id"].clone();
        dv["quantity"] = cv["quantity"].clone();
        kv["id"] = json!(format!("x-entente-delivery-confirmation--00000003-0000-4000-8000-{n:012x}"));
        kv["created_by_ref"] = json!(parties[receiver].as_str());
        kv["delivery_ref"] = dv["id"].clone();
        by_author[giver].push(Object::from_value(cv).unwrap());
        by_author[giver].push(Object::from_value(dv).unwrap());
        by_author[receiver].push(Object::from_value(kv).unwrap());
    }
    for (author, objects) in by_author.iter().enumerate() {
        let options = PutOptions { posted_by: Some(parties[author].to_string()), only_author: true, ..PutOptions::default() };
        store.put(objects, &options).unwrap();
    }
    drop(by_author);

    // A cold read of the page: the scope read, kept and its fold read once.
    let cache = node.agreements.scopes();
    cache.clear();
    let scope = node::modules::view(&node, &parties[2], &agreement, &module, "test").unwrap();
    let state = node::modules::state_of(&module, &scope);
    assert_eq!(state["commitments_count"].as_u64(), Some(sets as u64 + 1), "every commitment folded");
    drop((scope, state));
    let (scopes, versions) = cache.size();
    assert_eq!(scopes, 1);
    assert!(versions > 3 * sets as u64, "the ledger kept: {versions} versions");
    let estimate = cache.bytes();
    let with = LIVE.load(Ordering::SeqCst);
    cache.clear();
    let real = with - LIVE.load(Ordering::SeqCst);
    let ratio = estimate as f64 / real as f64;
    println!("{versions} versions kept: estimated {estimate} bytes, held {real} bytes ({} a version): ratio {ratio:.2}", real / versions as i64);
    assert!((0.5..=2.0).contains(&ratio), "estimate {estimate} against {real} bytes held: ratio {ratio:.2}");
}
