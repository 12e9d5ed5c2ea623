//! The release policy's cost on a full read: `cargo xtask bench release`.
//!
//! Builds a SQLite node with 10 partners, 50 agreements in force (proposed
//! and ratified through the node's own actions) and N objects (default 1M)
//! by random authors, each shared under one to three of its author's
//! agreements, with random TLP markings and labels. Then, in one run and
//! alternating so drift hits both alike, it pages through the whole store
//! (latest versions, pages of 1,000) with the policy off (no gate, no log)
//! and as one partner (its release gate, each page appended to the release
//! log), and times single decisions without the reader's cache. Prints the figures for docs/benchmarks.md.

mod bench;

use std::sync::Arc;
use std::time::Instant;

use bench::{arg, count, present, Bench};
use model::rng::Rng;
use model::{Object, StixId, Timestamp};
use serde_json::json;
use store::{PutOptions, Query, Store, Versions};

/// Pages through everything, with the policy (a reader's gate, and each
/// page recorded in the release log) or without; returns (versions
/// delivered, seconds).
fn read_all(store: &dyn Store, policy: Option<(&Arc<server::release::Reader>, Option<&audit::SharedLog>)>) -> (u64, f64) {
    let start = Instant::now();
    let mut q = Query { limit: Some(1000), versions: Versions::LAST, ..Query::default() };
    let mut n = 0u64;
    loop {
        // With a log, through the one read path (the gate and the entry).
        let page = match policy {
            Some((reader, Some(log))) => node::read::Out::new(log, reader, "bench").page(store, q.clone()).expect("read").into_inner(),
            Some((reader, None)) => store.query(&Query { gate: Some(reader.gate()), ..q.clone() }).expect("query"),
            None => store.query(&q).expect("query"),
        };
        n += page.records.len() as u64;
        // What a server does with a page: hand the bytes on.
        std::hint::black_box(page.records.iter().map(|r| r.json.len()).sum::<usize>());
        if !page.more {
            break;
        }
        q.after = page.next;
    }
    (n, start.elapsed().as_secs_f64())
}

/// Builds the node in `dir`: partners, agreements in force, objects.
fn build(dir: &std::path::Path, objects: usize) {
    let names: Vec<String> = (0..10).map(|i| format!("Partner {i}")).collect();
    let bench = Bench::open(dir, &names.iter().map(String::as_str).collect::<Vec<_>>());
    let (store, partners) = (&*bench.store, &bench.parties);
    let mut rng = Rng(7);
    let tlps = ["clear", "green", "amber", "amber+strict"];
    let mut agreements: Vec<(StixId, Vec<StixId>)> = Vec::new();
    for n in 0..50 {
        let mut parties = vec![partners[n % 10].clone()];
        while parties.len() < 2 + rng.below(4) as usize {
            let p = partners[rng.below(10) as usize].clone();
            if !parties.contains(&p) {
                parties.push(p);
            }
        }
        let terms = json!({ "title": format!("agreement {n}"), "tlp_ceiling": tlps[1 + rng.below(3) as usize] });
        let a = bench.agreement_with(terms, &parties, &[]);
        agreements.push((a, parties));
    }

    let markings: Vec<&str> = model::tlp::MARKINGS.iter().filter(|m| m.v2).map(|m| m.id).collect();
    let types = ["indicator", "malware", "attack-pattern", "campaign", "tool", "vulnerability"];
    let labels = ["ransomware", "phishing", "apt", "ics"];
    let start = Instant::now();
    let mut batch: Vec<(usize, Vec<usize>, Object)> = Vec::new();
    let flush = |batch: &mut Vec<(usize, Vec<usize>, Object)>| {
        // One put per (author, shares): group the batch.
        batch.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut i = 0;
        while i < batch.len() {
            let mut j = i;
            while j < batch.len() && batch[j].0 == batch[i].0 && batch[j].1 == batch[i].1 {
                j += 1;
            }
            let objs: Vec<Object> = batch[i..j].iter().map(|b| b.2.clone()).collect();
            let options = PutOptions {
                posted_by: Some(partners[batch[i].0].to_string()),
                only_author: true,
                shares: batch[i].1.iter().map(|a| agreements[*a].0.to_string()).collect(),
                ..PutOptions::default()
            };
            store.put(&objs, &options).expect("put");
            i = j;
        }
        batch.clear();
    };
    for n in 0..objects {
        let author = rng.below(10) as usize;
        let own: Vec<usize> = (0..agreements.len()).filter(|a| agreements[*a].1.contains(&partners[author])).collect();
        let mut shares: Vec<usize> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            if own.is_empty() {
                break;
            }
            let a = own[rng.below(own.len() as u64) as usize];
            if !shares.contains(&a) {
                shares.push(a);
            }
        }
        shares.sort_unstable();
        let ty = types[rng.below(types.len() as u64) as usize];
        let mut v = json!({
            "type": ty, "spec_version": "2.1",
            "id": format!("{ty}--{:08x}-0000-4000-8000-{n:012x}", rng.next() as u32),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "created_by_ref": partners[author], "name": format!("object {n}"),
            "labels": [labels[rng.below(4) as usize]],
            "object_marking_refs": [markings[rng.below(markings.len() as u64 - 1) as usize]],
        });
        match ty {
            "indicator" => {
                v["pattern"] = json!(format!("[ipv4-addr:value = '10.{}.{}.{}']", n >> 16 & 255, n >> 8 & 255, n & 255));
                v["pattern_type"] = json!("stix");
                v["valid_from"] = json!("2026-01-01T00:00:00Z");
            }
            "malware" => v["is_family"] = json!(false),
            _ => {}
        }
        batch.push((author, shares, Object::from_value(v).expect("valid object")));
        if batch.len() == 20_000 {
            flush(&mut batch);
        }
    }
    flush(&mut batch);
    println!("built: {objects} objects, 10 partners, 50 agreements in force, in {:.1} s", start.elapsed().as_secs_f64());

}

fn main() {
    let objects = count("--objects", 1_000_000);
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-release-bench"));
    // `--reuse` reads a store an earlier run built in `--dir` (and kept with `--keep`).
    let reuse = present("--reuse") && dir.join(store_sqlite::FILE_NAME).exists();
    if !reuse {
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(&dir).expect("bench dir");
    if !reuse {
        build(&dir, objects);
    }
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(&dir).expect("store"));
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let mut partners: Vec<StixId> =
        registry.partners().expect("partners").iter().map(|p| StixId::parse(&p.id).expect("id")).collect();
    partners.sort();
    let index = server::release::Agreements::default().index(&*store).expect("index");
    let reader_for = |p: &StixId| server::release::Reader::new(p.clone(), index.clone(), server::release::Through::AnyShare);
    let partner = &partners[3];
    let log = audit::SharedLog::open(dir.join("release.log")).expect("log");
    // Warm the page cache once, then alternate: off, on, off, on.
    read_all(&*store, None);
    let mut off = Vec::new();
    let mut on = Vec::new();

    let mut delivered = 0;
    let mut total = 0;
    let rounds = count("--rounds", 2);
    if std::env::var("RELEASE_READ_PROFILE").is_ok() {
        // For a profiler: the gated read alone, again and again.
        for _ in 0..rounds {
            let reader = reader_for(partner);
            read_all(&*store, Some((&reader, Some(&log))));
        }
        return;
    }
    for _ in 0..rounds {
        let (n, s) = read_all(&*store, None);
        total = n;
        off.push(s);
        let reader = reader_for(partner);
        let (n, s) = read_all(&*store, Some((&reader, Some(&log))));
        delivered = n;
        on.push(s);

    }
    let best = |v: &[f64]| v.iter().cloned().fold(f64::INFINITY, f64::min);
    let (t_off, t_on) = (best(&off), best(&on));
    println!("policy off: {total} versions read in {t_off:.2} s = {:.0} versions/s", total as f64 / t_off);
    println!(
        "policy on ({partner}): {total} versions examined, {delivered} released, in {t_on:.2} s = {:.0} versions/s examined",
        total as f64 / t_on
    );
    println!("ratio (read rate with the policy / without): {:.2}", t_off / t_on);


    // Single decisions, without the reader's cache.
    let mut sample = Vec::new();
    store
        .scan(&Query { limit: None, versions: Versions::LAST, ..Query::default() }, &mut |r| {
            if sample.len() < 200_000 {
                sample.push(r);
            }
            Ok(())
        })
        .expect("scan");
    let now = Timestamp::now();
    let start = Instant::now();
    let mut allowed = 0u64;
    for (i, r) in sample.iter().enumerate() {
        let p = &partners[i % 10];
        if server::release::decide_record(r, p, &now, &server::release::Through::AnyShare, &index).is_allowed() {
            allowed += 1;
        }
    }
    let per = start.elapsed().as_nanos() as f64 / sample.len() as f64;
    println!(
        "decide_record without cache: {} decisions ({allowed} allowed), {per:.0} ns per decision (decoding the stored facts included)",
        sample.len()
    );
    let reader = reader_for(partner);
    let start = Instant::now();
    for r in &sample {
        std::hint::black_box(reader.allowed(r));
    }
    println!("with the reader's cache: {:.0} ns per decision", start.elapsed().as_nanos() as f64 / sample.len() as f64);
    bench::clean_up(&dir);
}
