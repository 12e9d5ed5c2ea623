//! What an object's page and its graph cost in a large store:
//! `cargo xtask bench object-page`.
//!
//! Builds a SQLite node (Aurelia, with Borealis hosted, one agreement in
//! force between them) holding `--objects` objects in all (default
//! 1,000,000), authored by Aurelia, two in three shared with Borealis under
//! the agreement and the others not: filler (indicators, malware, attack
//! patterns, and relationships between them, about one object in four),
//! and one malware, "GlacierLock", with 1,000 relationships: 1,000
//! indicators indicate it (every relationship shared, one indicator in
//! three not), each indicator related to eight attack patterns of its own
//! (so that two hops from the malware reach far more than 500 objects),
//! and three reports naming it.
//!
//! Then it serves the node's real HTTP application on a loopback port and
//! times, as Borealis's analyst signed in on the pages, alternating
//! `--reads` times (default 100): the malware's JSON by id from the REST API
//! (`GET /api/v1/objects/{id}`, the reference), its page
//! (`GET /intel/{id}`: the read path through the release decision, its
//! relationships both ways, links resolved to names, sightings, threat
//! context, the HTML), and its graph one hop and two hops out
//! (`GET /intel/{id}/graph?depth=2`, capped at 500 objects): p50, p99, and
//! their ratios to the reference (targets: the page ≤ 100 ms p99, the
//! two-hop graph ≤ 200 ms p99; docs/benchmarks.md). Each answer is checked
//! for what the page must show: the malware's name, the first 100
//! relationships, "not available to you" for what Borealis may not see and
//! never the name of such an indicator, 500 objects in the graph.

use std::sync::Arc;
use std::time::Instant;

use model::{Object, StixId, Timestamp};
use serde_json::{json, Value};
use store::{PutOptions, Store};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

/// A STIX id of `ty` numbered `n` in series `series`.
fn id(ty: &str, series: u32, n: usize) -> String {
    format!("{ty}--{series:08x}-0000-4000-8000-{n:012x}")
}

/// The common properties of a benchmark object by `author`.
fn base(ty: &str, id: &str, author: &str, name: &str) -> Value {
    json!({
        "type": ty, "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "created_by_ref": author, "name": name,
        "object_marking_refs": [model::tlp::Tlp::Green.marking_id()],
    })
}

fn indicator(id: &str, author: &str, name: &str, n: usize) -> Value {
    let mut v = base("indicator", id, author, name);
    v["pattern"] = json!(format!("[ipv4-addr:value = '10.{}.{}.{}']", n >> 16 & 255, n >> 8 & 255, n & 255));
    v["pattern_type"] = json!("stix");
    v["valid_from"] = json!("2026-01-01T00:00:00Z");
    v
}

fn relationship(id: &str, author: &str, kind: &str, source: &str, target: &str) -> Value {
    let mut v = base("relationship", id, author, "");
    v.as_object_mut().expect("an object").remove("name");
    v["relationship_type"] = json!(kind);
    v["source_ref"] = json!(source);
    v["target_ref"] = json!(target);
    v
}

/// Stores objects in batches, each either shared under the agreement or kept by its author.
struct Filler<'a> {
    store: &'a dyn Store,
    shared: PutOptions,
    kept: PutOptions,
    batches: (Vec<Object>, Vec<Object>),
    stored: usize,
}

impl Filler<'_> {
    fn add(&mut self, v: Value, shared: bool) {
        let o = Object::from_value(v).expect("a valid object");
        if shared { self.batches.0.push(o) } else { self.batches.1.push(o) }
        self.stored += 1;
        if self.batches.0.len() + self.batches.1.len() >= 10_000 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batches.0.is_empty() {
            self.store.put(&std::mem::take(&mut self.batches.0), &self.shared).expect("put");
        }
        if !self.batches.1.is_empty() {
            self.store.put(&std::mem::take(&mut self.batches.1), &self.kept).expect("put");
        }
    }
}

fn main() {
    let objects: usize = arg("--objects").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let reads: usize = arg("--reads").and_then(|v| v.parse().ok()).unwrap_or(100);
    let dir = arg("--dir").map(std::path::PathBuf::from).unwrap_or_else(|| std::env::temp_dir().join("entente-object-page-bench"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(&dir).expect("store"));
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let keys = server::keys::KeyDir::in_data_dir(&dir);
    let identity = server::node::init(&*store, &*registry, &keys, "Aurelia").expect("init");
    let a = StixId::parse(&identity.partner).expect("id");
    let b = StixId::parse(&server::node::add_hosted_partner(&*store, &*registry, &keys, "Borealis").expect("partner")).expect("id");
    let now = Timestamp::now().micros();
    let terms = json!({
        "title": "Aurelia–Borealis", "purpose": "benchmark", "party_refs": [a, b],
        "scope": { "object_types": [], "labels": [], "data_kind": "both" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": Timestamp::from_micros(now - 86_400_000_000).as_str(),
    });
    let agreement = server::agreements::propose(&*store, &a, None, terms.as_object().expect("terms"), &[]).expect("propose").id;
    for p in [&a, &b] {
        server::agreements::ratify(&*store, &keys, p, &agreement).expect("ratify");
    }
    let (token, record) = server::auth::issue(b.as_str(), "bench", store::Role::Analyst, 0, None);
    registry.put_token(&record).expect("token");

    // The malware and its neighbourhood first, then the filler.
    let start = Instant::now();
    let author = a.as_str();
    let mut fill = Filler {
        store: &*store,
        shared: PutOptions { posted_by: Some(a.to_string()), only_author: true, shares: vec![agreement.to_string()], ..PutOptions::default() },
        kept: PutOptions { posted_by: Some(a.to_string()), only_author: true, ..PutOptions::default() },
        batches: (Vec::new(), Vec::new()),
        stored: 0,
    };
    let malware = id("malware", 1, 0);
    let mut m = base("malware", &malware, author, "GlacierLock");
    m["is_family"] = json!(true);
    fill.add(m, true);
    for i in 0..1_000 {
        let ind = id("indicator", 2, i);
        // Every third indicator is Aurelia's alone: "not available to you".
        let name = if i % 3 == 2 { format!("secret indicator {i}") } else { format!("glacier indicator {i}") };
        fill.add(indicator(&ind, author, &name, i), i % 3 != 2);
        fill.add(relationship(&id("relationship", 3, i), author, "indicates", &ind, &malware), true);
        for k in 0..8 {
            let n = i * 8 + k;
            let ap = id("attack-pattern", 4, n);
            fill.add(base("attack-pattern", &ap, author, &format!("technique {n}")), true);
            fill.add(relationship(&id("relationship", 5, n), author, "uses", &ind, &ap), true);
        }
    }
    for i in 0..3 {
        let mut r = base("report", &id("report", 6, i), author, &format!("GlacierLock report {i}"));
        r["published"] = json!("2026-01-02T00:00:00Z");
        r["object_refs"] = json!([malware, id("indicator", 2, i)]);
        fill.add(r, true);
    }
    let mut n = 0usize;
    while fill.stored < objects {
        let shared = n % 3 != 2;
        match n % 4 {
            0 => fill.add(indicator(&id("indicator", 7, n), author, &format!("filler indicator {n}"), n), shared),
            1 => {
                let mut v = base("malware", &id("malware", 7, n), author, &format!("filler malware {n}"));
                v["is_family"] = json!(false);
                fill.add(v, shared);
            }
            2 => fill.add(base("attack-pattern", &id("attack-pattern", 7, n), author, &format!("filler technique {n}")), shared),
            // Filler relationships between filler objects made earlier.
            _ => {
                let (s, t) = (id("indicator", 7, n - 3), id("malware", 7, n - 2));
                fill.add(relationship(&id("relationship", 7, n), author, "indicates", &s, &t), shared);
            }
        }
        n += 1;
        if n % 100_000 == 0 {
            eprintln!("… {} objects in {:.0} s", fill.stored, start.elapsed().as_secs_f64());
        }
    }
    fill.flush();
    let stored = fill.stored;
    let built = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(dir.join(store_sqlite::FILE_NAME)).map(|m| m.len()).unwrap_or(0);
    println!("built: {stored} objects ({} MB), of which the malware with 1,000 relationships, 1,000 indicators (333 not shared), 8,000 attack patterns and 8,000 more relationships two hops out, in {built:.1} s", size / 1_000_000);

    // The node's HTTP application, as `entente serve` builds it.
    let log = audit::SharedLog::open(dir.join("release.log")).expect("log");
    let state = server::AppState::new(store.clone(), registry.clone(), identity, Default::default(), model::Limits::default(), keys, log);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    runtime.spawn(async move {
        server::serve(listener, server::router(state), std::future::pending::<()>()).await.expect("serve");
    });

    // Borealis's analyst signs in through the form.
    let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let form = client.get(format!("{url}/login")).send().expect("login form");
    let set_cookie = |r: &reqwest::blocking::Response, name: &str| {
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).map(|v| v.split(';').next().unwrap_or_default().to_owned())
    };
    let login_cookie = set_cookie(&form, "entente_login").expect("the sign-in cookie");
    let html = form.text().expect("form");
    let marker = "name=\"csrf\" value=\"";
    let csrf = html[html.find(marker).expect("a CSRF field") + marker.len()..].split('"').next().unwrap_or_default().to_owned();
    let signed = client.post(format!("{url}/login")).header("cookie", login_cookie).form(&[("token", token.as_str()), ("csrf", csrf.as_str())]).send().expect("sign in");
    let session = set_cookie(&signed, "entente_session").expect("a session");

    let get = |path: &str, bearer: bool| {
        let t = Instant::now();
        let request = client.get(format!("{url}{path}"));
        let request = if bearer { request.bearer_auth(&token) } else { request.header("cookie", &session) };
        let r = request.send().expect("request");
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().expect("body");
        (t.elapsed().as_secs_f64() * 1000.0, body)
    };
    let check_page = |body: &str| {
        assert!(body.contains("GlacierLock"), "the page names the malware");
        assert!(body.contains("glacier indicator 0"), "an indicator Borealis may see is named");
        assert!(body.contains("not available to you"), "an indicator Borealis may not see says so");
        assert!(!body.contains("secret indicator"), "and nothing of it");
        assert!(body.contains("Only the first 100 are listed"), "the relationships are capped, and it says so");
        assert!(body.matches("indicator: glacier indicator").count() >= 60, "the listed relationships' ends are named");
    };
    let check_graph = |body: &str, depth: usize| {
        assert!(!body.contains("secret indicator"), "the graph draws nothing Borealis may not see");
        if depth == 2 {
            assert!(body.contains("500 objects you may see"), "two hops reach the cap");
            assert!(body.contains("only the first 500 objects are drawn"), "and say so");
        }
    };
    let paths = [
        (format!("/api/v1/objects/{malware}"), true),
        (format!("/intel/{malware}"), false),
        (format!("/intel/{malware}/graph"), false),
        (format!("/intel/{malware}/graph?depth=2"), false),
    ];
    // One read of each first: warm the caches and check the answers.
    for (i, (path, bearer)) in paths.iter().enumerate() {
        let (ms, body) = get(path, *bearer);
        match i {
            1 => check_page(&body),
            2 => check_graph(&body, 1),
            3 => check_graph(&body, 2),
            _ => assert!(body.contains("GlacierLock")),
        }
        println!("first read of {path}: {ms:.1} ms, {} KB", body.len() / 1000);
    }
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    for _ in 0..reads {
        for (i, (path, bearer)) in paths.iter().enumerate() {
            let (t, body) = get(path, *bearer);
            std::hint::black_box(body);
            ms[i].push(t);
        }
    }
    let names = [
        "the malware's JSON by id, REST (reference)",
        "its page, 1,000 relationships (100 listed)",
        "its graph, one hop",
        "its graph, two hops, capped at 500 objects",
    ];
    let figures: Vec<(f64, f64)> = ms.into_iter().map(percentiles).collect();
    let (r50, r99) = figures[0];
    println!("\n{stored} objects, {reads} reads each, alternating, over HTTP on loopback as Borealis's analyst\n");
    println!("| request | p50 (ms) | p99 (ms) | p50 / reference | p99 / reference |");
    println!("|---|---:|---:|---:|---:|");
    for (name, (p50, p99)) in names.iter().zip(&figures) {
        println!("| {name} | {p50:.1} | {p99:.1} | {:.1} | {:.1} |", p50 / r50, p99 / r99);
    }
    println!("\ntargets: the page ≤ 100 ms p99 ({}), the two-hop graph ≤ 200 ms p99 ({})",
        if figures[1].1 <= 100.0 { "met" } else { "missed" },
        if figures[3].1 <= 200.0 { "met" } else { "missed" });
    if !std::env::args().any(|a| a == "--keep") {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
