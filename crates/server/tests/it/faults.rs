//! Storage faults: when the database drops every connection (as a restart
//! does), requests fail cleanly with 503 and a TAXII body, nothing
//! acknowledged is lost, and the node recovers without a restart.

use reqwest::Client;
use serde_json::{json, Value};

use crate::{start, Backend};

const TAXII: &str = "application/taxii+json;version=2.1";

#[tokio::test]
async fn postgres_connections_dropped_then_recovered() {
    let node = start(Backend::Postgres, Default::default()).await;
    let url = format!("{}/taxii2/root/collections/{}/objects/", node.url, node.shared);
    let http = Client::new();
    let object = json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created_by_ref": node.a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "pattern": "[ipv4-addr:value = '10.0.0.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
    });
    let r = http.post(&url).bearer_auth(&node.token_a).header("Content-Type", TAXII)
        .body(serde_json::to_vec(&json!({"objects": [object]})).unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 202);

    // Drop every connection of this node, again and again for a while, as
    // restarts would, while requests keep coming (other tests' nodes share
    // the database server and are left alone).
    let name = node.pg_name.clone().expect("a PostgreSQL node");
    let killer = tokio::task::spawn_blocking(move || {
        let mut admin = postgres::Client::connect(&store_postgres::testing::database_url(), postgres::NoTls).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while std::time::Instant::now() < until {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE pid <> pg_backend_pid() AND application_name = $1",
                    &[&name],
                )
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });

    // Requests either succeed on a fresh connection or fail cleanly: 503, TAXII body.
    let mut saw = Vec::new();
    while !killer.is_finished() {
        let r = http.get(&url).bearer_auth(&node.token_a).header("Accept", TAXII).send().await.unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["content-type"], TAXII);
        let body: Value = r.json().await.unwrap();
        assert!(status == 200 || (status == 503 && body["http_status"] == "503"), "{status}: {body}");
        saw.push(status);
    }
    killer.await.unwrap();
    println!("statuses while connections were dropped: {} x 200, {} x 503", saw.iter().filter(|s| **s == 200).count(), saw.iter().filter(|s| **s == 503).count());
    // After the faults: every request succeeds, and nothing acknowledged was lost.
    saw.clear();
    for _ in 0..5 {
        let r = http.get(&url).bearer_auth(&node.token_a).header("Accept", TAXII).send().await.unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["content-type"], TAXII);
        let body: Value = r.json().await.unwrap();
        match status {
            200 => {
                assert_eq!(body["objects"].as_array().map(Vec::len), Some(1), "the acknowledged object is still there");
                saw.push(200);
            }
            503 => {
                assert_eq!(body["http_status"], "503", "{body}");
                saw.push(503);
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(saw.last(), Some(&200), "recovered without a restart: {saw:?}");
}

/// A real restart: the node's own PostgreSQL server crashes (immediate
/// stop) while partners keep adding objects, then comes back. Requests in
/// flight fail cleanly (503 with a TAXII body, or a status that reports the
/// failure), every acknowledged object is there afterwards, and the node
/// recovers without being restarted.
#[tokio::test]
async fn postgres_server_restarted_under_load() {
    // Its own server: restarting the shared one would break other tests.
    // Durable commits (the suite's server trades them for speed).
    let pg = tokio::task::spawn_blocking(|| {
        store_postgres::testing::server::PgServer::start_with("-c fsync=off -c synchronous_commit=on -c max_connections=50")
            .expect("a private PostgreSQL server (PostgreSQL tests need initdb and pg_ctl)")
    })
    .await
    .unwrap();
    let pg = std::sync::Arc::new(pg);
    let dir = tempfile::tempdir().unwrap();
    let (path, url) = (dir.path().to_owned(), pg.url.clone());
    let (state, partner, token) = tokio::task::spawn_blocking(move || {
        let store = std::sync::Arc::new(store_postgres::PgStore::open(&url).unwrap());
        let keys = server::keys::KeyDir::in_data_dir(&path);
        let identity = server::node::init(&*store, &*store, &keys, "Aurelia").unwrap();
        let partner = identity.partner.clone();
        let (token, rec) = server::auth::issue(&partner, "test", store::Role::Analyst, 0, None);
        store::Registry::put_token(&*store, &rec).unwrap();
        let log = audit::SharedLog::open(path.join("release.log")).unwrap();
        let state = server::AppState::new(
            store.clone(),
            store,
            identity,
            Default::default(),
            model::Limits::default(),
            keys,
            log,
        );
        (state, partner, token)
    })
    .await
    .unwrap();
    let app = server::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let objects_url = format!("{base}/taxii2/root/collections/{}/objects/", server::release::EVERYTHING);
    let http = Client::new();
    let object = move |n: u32| {
        json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
               "created_by_ref": partner, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
               "name": format!("m{n}"), "is_family": false})
    };

    // A writer adds objects one by one, noting which the node acknowledged,
    // until 30 adds after the database is back.
    let back = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (http, url, token, back) = (http.clone(), objects_url.clone(), token.clone(), back.clone());
        tokio::spawn(async move {
            let (mut acknowledged, mut refused, mut after) = (Vec::new(), 0, 0);
            let mut n = 0u32;
            while after < 30 {
                if back.load(std::sync::atomic::Ordering::SeqCst) {
                    after += 1;
                }
                let r = http.post(&url).bearer_auth(&token).header("Accept", TAXII).header("Content-Type", TAXII)
                    .body(serde_json::to_vec(&json!({"objects": [object(n)]})).unwrap()).send().await.unwrap();
                let status = r.status().as_u16();
                assert_eq!(r.headers()["content-type"], TAXII);
                let body: Value = r.json().await.unwrap();
                match status {
                    202 if body["success_count"] == 1 => acknowledged.push(n),
                    202 => refused += 1, // the status reports the failure
                    503 => {
                        assert_eq!(body["http_status"], "503", "{body}");
                        refused += 1;
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            (acknowledged, refused, n)
        })
    };
    // Meanwhile the database crashes and comes back: a new postmaster.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let server = pg.clone();
    let (before, after) = tokio::task::spawn_blocking(move || {
        let started = |url: &str| -> String {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.query_one("SELECT pg_postmaster_start_time()::text", &[]).unwrap().get(0)
        };
        let before = started(&server.url);
        server.crash().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
        server.start().unwrap();
        (before, started(&server.url))
    })
    .await
    .unwrap();
    assert_ne!(before, after, "the database server restarted");
    back.store(true, std::sync::atomic::Ordering::SeqCst);
    let (acknowledged, refused, total) = writer.await.unwrap();
    println!(
        "restart under load: {total} adds, {} acknowledged, {refused} refused cleanly (503 or a failure in the status)",
        acknowledged.len()
    );
    // Recovered without restarting the node: the last adds went through.
    assert!((total - 10..total).all(|n| acknowledged.contains(&n)), "the node did not recover: {acknowledged:?}");

    // Everything acknowledged is there, read back through the same node.
    let mut seen = std::collections::HashSet::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(n) => format!("{objects_url}?limit=1000&next={n}"),
            None => format!("{objects_url}?limit=1000&match[type]=malware"),
        };
        let url = if next.is_some() { format!("{url}&match[type]=malware") } else { url };
        let r = http.get(&url).bearer_auth(&token).header("Accept", TAXII).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        for o in body["objects"].as_array().cloned().unwrap_or_default() {
            seen.insert(o["name"].as_str().unwrap().trim_start_matches('m').parse::<u32>().unwrap());
        }
        if body["more"] != true {
            break;
        }
        next = body["next"].as_str().map(str::to_owned);
    }
    let lost: Vec<&u32> = acknowledged.iter().filter(|n| !seen.contains(n)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let _ = stop.send(());
    // The store's connections close before the server goes.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    drop(pg);
}
