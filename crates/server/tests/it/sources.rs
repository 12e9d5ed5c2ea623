//! Feed sources pulled from a local HTTP server (loopback, named in each
//! source's `allow`): a list, a STIX bundle and a MISP feed stored held by
//! the node's partner, on the schedule of a clock the test sets, again
//! without duplicates; garbage and refused addresses leave a named error
//! and nothing stored; the guard refuses a redirect to another address.
//! A TAXII 2.1 collection of another node is pulled page by page with the
//! credential its environment variable holds, then from its cursor. A
//! resolver of the test's maps public-looking names to private addresses:
//! the guard refuses them, direct or by redirect, and an allowed one is
//! reached at the address checked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::response::IntoResponse;
use model::Timestamp;
use node::sources::{Kind, Source, Statuses};
use serde_json::json;

use crate::{start, Backend};

crate::on_both_backends!(feeds_are_pulled_on_schedule_through_the_guard, a_taxii_collection_is_pulled_page_by_page_then_from_its_cursor);

/// Names a resolver gives private addresses for: the guard checks what a
/// name resolves to, not the name.
#[tokio::test]
async fn names_that_resolve_to_private_addresses_are_refused_and_an_allowed_one_is_reached_where_checked() {
    let (base, hits) = feed_server().await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let resolve = move |host: &str, _: u16| -> std::io::Result<Vec<std::net::SocketAddr>> {
        let ip = |s: &str| std::net::SocketAddr::new(s.parse().unwrap(), port);
        Ok(match host {
            // A public-looking name the system cannot resolve offline: only this resolver knows it.
            "intel.feeds.example" => vec![ip("127.0.0.1")],
            "metadata.feeds.example" => vec![ip("169.254.169.254")],
            "inside.feeds.example" => vec![ip("10.20.30.40")],
            "mixed.feeds.example" => vec![ip("192.0.2.10"), ip("172.16.0.9")],
            "v6.feeds.example" => vec![ip("::ffff:192.168.1.1")],
            _ => return Err(std::io::Error::other("unknown to this resolver")),
        })
    };
    let fetch = |url: String, allow: Vec<std::net::IpAddr>| {
        let mut s = source("resolved", Kind::Csv, url.clone());
        s.allow = allow;
        tokio::task::spawn_blocking(move || server::sources::fetch_resolved(&url, &s, 1 << 20, &[], &resolve).map(|(b, _)| b))
    };
    for (name, why) in [
        ("intel.feeds.example", "127.0.0.1 is a loopback address"),
        ("metadata.feeds.example", "169.254.169.254"),
        ("inside.feeds.example", "10.20.30.40"),
        ("mixed.feeds.example", "172.16.0.9"),
        ("v6.feeds.example", "192.168.1.1"),
    ] {
        let e = fetch(format!("http://{name}:{port}/list.txt"), Vec::new()).await.unwrap().unwrap_err();
        assert!(e.contains("refused") && e.contains(why), "{name}: {e}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request reached the server");
    // Allowed by address: reached at the address the resolver gave and the guard checked.
    let body = fetch(format!("http://intel.feeds.example:{port}/list.txt"), vec!["127.0.0.1".parse().unwrap()]).await.unwrap().unwrap();
    assert!(String::from_utf8(body).unwrap().contains("203.0.113.77"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Allowed, but redirected to a name that resolves privately: refused at the hop.
    let e = fetch(format!("http://intel.feeds.example:{port}/to-metadata"), vec!["127.0.0.1".parse().unwrap()]).await.unwrap().unwrap_err();
    assert!(e.contains("metadata.feeds.example") && e.contains("refused"), "{e}");
}

const EVENT: &str = "5c066053-0e94-46eb-9746-4b7d950d210f";

/// Serves the feeds on 127.0.0.1; counts the list's fetches.
async fn feed_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let counted = hits.clone();
    let event = json!({"Event": {"uuid": EVENT, "info": "Vendor campaign", "date": "2026-01-05", "timestamp": "1767571200",
        "Orgc": {"name": "Vendor CERT", "uuid": "0d9a3c1e-1111-4a4a-8b8b-123456789abc"},
        "Attribute": [{"uuid": "6c066053-0e94-46eb-9746-4b7d950d2101", "type": "ip-dst", "category": "Network activity",
                       "value": "198.51.100.23", "to_ids": true, "timestamp": "1767571200"}]}});
    let app = axum::Router::new()
        .route("/list.txt", axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "# vendor list\n203.0.113.77\nbad-host[.]net\nnot a value\n" }
        }))
        .route("/bundle.json", axum::routing::get(|| async {
            axum::Json(json!({"type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111", "objects": [
                {"type": "indicator", "spec_version": "2.1", "id": "indicator--11111111-1111-4111-8111-111111111112",
                 "created_by_ref": "identity--11111111-1111-4111-8111-111111111113",
                 "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "valid_from": "2026-01-01T00:00:00Z",
                 "pattern": "[domain-name:value = 'vendor-seen.net']", "pattern_type": "stix"}]}))
        }))
        .route("/garbage.json", axum::routing::get(|| async { "<html>maintenance</html>" }))
        .route("/misp/manifest.json", axum::routing::get(|| async { axum::Json(json!({EVENT: {"info": "Vendor campaign"}})) }))
        .route(&format!("/misp/{EVENT}.json"), axum::routing::get(move || {
            let e = event.clone();
            async move { axum::Json(e) }
        }))
        .route("/to-metadata", axum::routing::get(move || async move {
            (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, format!("http://metadata.feeds.example:{port}/latest/meta-data/"))]).into_response()
        }))
        .route("/redirect", axum::routing::get(move || async move {
            (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, format!("http://127.0.0.2:{port}/list.txt"))]).into_response()
        }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}"), hits)
}

/// A source of `kind` at `url` allowed to reach loopback, TLP:GREEN, hourly (also used by the pages' tests).
pub(crate) fn source(name: &str, kind: Kind, url: String) -> Source {
    Source {
        name: name.into(),
        kind,
        url,
        interval: 3600,
        tlp: Some("green".into()),
        share: Vec::new(),
        column: 0,
        allow: vec!["127.0.0.1".parse().unwrap()],
        collection: None,
        credential_env: None,
    }
}

/// The node's services over `node`'s store, its release log in `data`.
fn services_of(node: &crate::Node, data: &std::path::Path) -> node::Node {
    node::Node {
        store: node.store.clone(),
        agreements: Arc::new(node::release::Agreements::default()),
        log: audit::SharedLog::open(data.join("release.log")).unwrap(),
        keys: node::keys::KeyDir::in_data_dir(node.data_dir()),
        limits: model::Limits::default(),
        modules: server::modules::registered(),
    }
}

async fn feeds_are_pulled_on_schedule_through_the_guard(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (base, hits) = feed_server().await;
    let mut unallowed = source("no allowance", Kind::Csv, format!("{base}/list.txt"));
    unallowed.allow.clear();
    let sources = vec![
        source("vendor list", Kind::Csv, format!("{base}/list.txt")),
        source("vendor bundle", Kind::Stix, format!("{base}/bundle.json")),
        source("vendor misp", Kind::Misp, format!("{base}/misp")),
        source("broken", Kind::Stix, format!("{base}/garbage.json")),
        source("redirected", Kind::Csv, format!("{base}/redirect")),
        unallowed,
    ];
    let data = tempfile::tempdir().unwrap();
    let services = services_of(&node, data.path());
    let holder = model::StixId::parse(&node.a).unwrap();
    let at = |t: &str| Timestamp::parse(t).unwrap();
    let pull = |now: Timestamp| {
        let (services, holder, sources, dir) = (services.clone(), holder.clone(), sources.clone(), data.path().to_owned());
        async move { tokio::task::spawn_blocking(move || server::sources::pull_due(&services, &holder, &sources, &dir, &now).unwrap()).await.unwrap() }
    };

    assert_eq!(pull(at("2026-03-01T00:00:00Z")).await, 6, "never pulled: all due");
    let statuses = Statuses::load(data.path()).unwrap();
    let s = |name: &str| statuses.sources.get(name).unwrap_or_else(|| panic!("no status for {name}")).clone();
    let list = s("vendor list");
    assert_eq!((list.error.as_deref(), list.added, list.refused), (None, 3, 1), "identity and two indicators; one line refused: {list:?}");
    assert!(list.refusals[0].starts_with("line 4:"), "{list:?}");
    assert_eq!((s("vendor bundle").added, s("vendor misp").added > 0), (1, true), "{statuses:?}");
    assert!(s("vendor misp").error.is_none() && s("vendor misp").refused == 0, "{:?}", s("vendor misp"));
    let broken = s("broken");
    assert!(broken.error.as_deref().unwrap_or_default().contains("not JSON") && broken.offered == 0 && broken.last_success.is_none(), "{broken:?}");
    let redirected = s("redirected").error.unwrap_or_default();
    assert!(redirected.contains("127.0.0.2") && redirected.contains("refused"), "{redirected}");
    let refused = s("no allowance").error.unwrap_or_default();
    assert!(refused.contains("127.0.0.1 is a loopback address"), "{refused}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "only the allowed list source reached the list");

    // Stored held by A: the vendor stays the named author; the source's TLP applied where none was.
    let store = node.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        store.scan(&store::Query::default(), &mut |r| {
            all.push((r.created_by_ref.clone(), serde_json::from_slice::<serde_json::Value>(&r.json).unwrap()));
            Ok(())
        }).unwrap();
        all
    }).await.unwrap();
    let bundle = stored.iter().find(|(_, o)| o["id"] == "indicator--11111111-1111-4111-8111-111111111112").expect("the bundle's indicator");
    assert_eq!(bundle.0.as_deref(), Some(node.a.as_str()), "held by the node's partner");
    assert_eq!(bundle.1["created_by_ref"], "identity--11111111-1111-4111-8111-111111111113", "the source stays its author");
    assert_eq!(bundle.1["object_marking_refs"], json!([model::tlp::Tlp::Green.marking_id()]));
    assert!(stored.iter().any(|(_, o)| o["pattern"] == "[ipv4-addr:value = '198.51.100.23']"), "the MISP event's attribute");
    assert!(stored.iter().any(|(_, o)| o["pattern"] == "[ipv4-addr:value = '203.0.113.77']"), "the list's value");
    let count = stored.len();

    // Thirty minutes on, nothing is due; an hour on, everything, and nothing is stored twice.
    assert_eq!(pull(at("2026-03-01T00:30:00Z")).await, 0);
    assert_eq!(pull(at("2026-03-01T01:00:00Z")).await, 6);
    let again = Statuses::load(data.path()).unwrap();
    let list = &again.sources["vendor list"];
    assert_eq!((list.added, list.unchanged, list.pulls), (0, 3, 2), "{list:?}");
    assert_eq!(again.sources["vendor misp"].added, 0, "{again:?}");
    assert_eq!(again.sources["broken"].pulls, 2);
    let store = node.store.clone();
    let n = tokio::task::spawn_blocking(move || store.scan(&store::Query::default(), &mut |_| Ok(())).unwrap()).await.unwrap();
    assert_eq!(n as usize, count, "a re-pull stores nothing new");

    // Size limit: a fetch larger than allowed is refused by size.
    let s = source("small", Kind::Csv, format!("{base}/list.txt"));
    let e = tokio::task::spawn_blocking(move || server::sources::fetch(&s.url, &s, 10)).await.unwrap().unwrap_err();
    assert!(e.contains("larger than 10 bytes"), "{e}");
}

/// Shares `n` indicators authored by the remote's partner A into its
/// `shared` collection over TAXII, the first numbered `from`.
async fn share_remote(remote: &crate::Node, from: u32, n: u32) {
    let objects: Vec<serde_json::Value> = (from..from + n)
        .map(|i| json!({ "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
            "created_by_ref": remote.a, "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": format!("[ipv4-addr:value = '192.0.2.{i}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z" }))
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/taxii2/root/collections/{}/objects/", remote.url, remote.shared))
        .bearer_auth(&remote.token_a)
        .header("Accept", ::taxii::MEDIA_TYPE)
        .header("Content-Type", ::taxii::MEDIA_TYPE)
        .body(serde_json::to_vec(&json!({ "objects": objects })).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
}

async fn a_taxii_collection_is_pulled_page_by_page_then_from_its_cursor(backend: Backend) {
    // The remote serves two objects a page, so three come in two pages.
    let remote = start(backend, server::taxii::TaxiiConfig { max_page_size: 2, ..Default::default() }).await;
    share_remote(&remote, 1, 3).await;
    let local = start(backend, Default::default()).await;
    let data = tempfile::tempdir().unwrap();
    let services = services_of(&local, data.path());
    let holder = model::StixId::parse(&local.a).unwrap();
    // One variable per backend: the two tests of this file may run in one process.
    let var = format!("ENTENTE_TEST_TAXII_SOURCE_{backend:?}").to_uppercase();
    let mut taxii = source("partner taxii", Kind::Taxii, format!("{}/taxii2/root/", remote.url));
    taxii.collection = Some(remote.shared.clone());
    taxii.credential_env = Some(var.clone());
    taxii.check().unwrap();
    let sources = vec![taxii];
    let at = |t: &str| Timestamp::parse(t).unwrap();
    let pull = |now: Timestamp| {
        let (services, holder, sources, dir) = (services.clone(), holder.clone(), sources.clone(), data.path().to_owned());
        async move { tokio::task::spawn_blocking(move || server::sources::pull_due(&services, &holder, &sources, &dir, &now).unwrap()).await.unwrap() }
    };

    // Without the credential: a named error, nothing stored, no cursor.
    std::env::remove_var(&var);
    assert_eq!(pull(at("2026-03-01T00:00:00Z")).await, 1);
    let status = Statuses::load(data.path()).unwrap().sources["partner taxii"].clone();
    assert!(status.error.as_deref().unwrap_or_default().contains(&var) && status.cursor.is_none(), "{status:?}");

    std::env::set_var(&var, &remote.token_a);
    assert_eq!(pull(at("2026-03-01T01:00:00Z")).await, 1);
    let status = Statuses::load(data.path()).unwrap().sources["partner taxii"].clone();
    assert_eq!((status.error.as_deref(), status.offered, status.added), (None, 3, 3), "two pages read: {status:?}");
    let cursor = status.cursor.clone().expect("a cursor after a pull");

    // The next pull reads from the cursor: only what arrived since.
    share_remote(&remote, 4, 2).await;
    assert_eq!(pull(at("2026-03-01T02:00:00Z")).await, 1);
    let status = Statuses::load(data.path()).unwrap().sources["partner taxii"].clone();
    assert_eq!((status.error.as_deref(), status.offered, status.added), (None, 2, 2), "from the cursor {cursor}: {status:?}");
    assert!(status.cursor.as_deref() > Some(cursor.as_str()), "{status:?}");

    // Held by the local node's partner; the remote's partner stays the named author (its source).
    let store = local.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        store.scan(&store::Query { types: vec!["indicator".into()], ..Default::default() }, &mut |r| {
            all.push((r.created_by_ref.clone(), serde_json::from_slice::<serde_json::Value>(&r.json).unwrap()));
            Ok(())
        }).unwrap();
        all
    }).await.unwrap();
    assert_eq!(stored.len(), 5, "{stored:?}");
    assert!(stored.iter().all(|(holder, o)| holder.as_deref() == Some(local.a.as_str()) && o["created_by_ref"] == remote.a.as_str()), "{stored:?}");
}
