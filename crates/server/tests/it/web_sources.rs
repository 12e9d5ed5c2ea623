//! "Pull now" on the administration page's feed sources: the configured
//! sources are listed (a feed's key in its URL is not shown, a hostile
//! name is escaped); the node's administrator pulls one from a local HTTP
//! server and its objects are stored, held by the node's partner, and the
//! status shows the pull; pulling again stores nothing new; a source that
//! serves garbage leaves its error on the page and in its status; a name
//! the configuration does not hold is refused next to the field. Without
//! the CSRF token, or as anyone but the administrator, nothing is pulled.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use node::sources::{Kind, Statuses};
use reqwest::StatusCode;
use serde_json::json;
use store::Role;

use crate::web::{csrf_of, sign_in, PAYLOADS};
use crate::sources::source;
use crate::{start_sourced, Backend};

crate::on_both_backends!(the_administrator_pulls_a_configured_source_now);

const EVENT: &str = "7d066053-0e94-46eb-9746-4b7d950d210f";

/// Serves a MISP feed of one event and a garbage answer on 127.0.0.1;
/// counts the requests.
async fn feed_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let event = json!({"Event": {"uuid": EVENT, "info": "Pulled on demand", "date": "2026-02-01", "timestamp": "1769904000",
        "Orgc": {"name": "Vendor CERT", "uuid": "0d9a3c1e-1111-4a4a-8b8b-123456789abc"},
        "Attribute": [{"uuid": "8d066053-0e94-46eb-9746-4b7d950d2101", "type": "ip-dst", "category": "Network activity",
                       "value": "198.51.100.77", "to_ids": true, "timestamp": "1769904000"}]}});
    let (h1, h2, h3) = (hits.clone(), hits.clone(), hits.clone());
    let app = axum::Router::new()
        .route("/misp/manifest.json", axum::routing::get(move || {
            h1.fetch_add(1, Ordering::SeqCst);
            async { axum::Json(json!({EVENT: {"info": "Pulled on demand"}})) }
        }))
        .route(&format!("/misp/{EVENT}.json"), axum::routing::get(move || {
            h2.fetch_add(1, Ordering::SeqCst);
            let e = event.clone();
            async move { axum::Json(e) }
        }))
        .route("/garbage.json", axum::routing::get(move || {
            h3.fetch_add(1, Ordering::SeqCst);
            async { "<html>maintenance</html>" }
        }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}"), hits)
}

async fn the_administrator_pulls_a_configured_source_now(backend: Backend) {
    let (base, hits) = feed_server().await;
    let sources = vec![
        source("vendor misp", Kind::Misp, format!("{base}/misp")),
        source("broken", Kind::Stix, format!("{base}/garbage.json?key=s3cret-feed-key")),
        source(PAYLOADS[0], Kind::Csv, format!("{base}/none.txt")),
    ];
    let node = start_sourced(backend, Default::default(), Default::default(), "Aurelia", sources).await;
    let admin_token = {
        let (registry, a) = (node.registry.clone(), node.a.clone());
        tokio::task::spawn_blocking(move || {
            let (t, rec) = server::auth::issue(&a, "admin", Role::Admin, 0, None);
            registry.put_token(&rec).unwrap();
            t
        })
        .await
        .unwrap()
    };
    let admin = sign_in(&node, &admin_token).await;
    let (s, _, html) = admin.get("/admin").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Pull vendor misp now") && html.contains("Pull broken now"), "a button per configured source: {html}");
    assert!(html.contains(&format!("{base}/garbage.json")) && !html.contains("s3cret-feed-key"), "the URL without its key: {html}");
    assert!(!html.contains(PAYLOADS[0]), "a hostile source name is escaped: {html}");
    let csrf = csrf_of(&html);
    let pull = [("csrf", csrf.as_str()), ("name", "vendor misp")];

    // Without the CSRF token, and as anyone but the node's administrator: refused, nothing fetched.
    let r = admin.post("/admin/sources/pull", &[("name", "vendor misp")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for token in [node.token_a.clone(), node.liaison[0].clone(), node.token_b.clone()] {
        let other = sign_in(&node, &token).await;
        let csrf = csrf_of(&other.get("/").await.2);
        let r = other.post("/admin/sources/pull", &[("csrf", csrf.as_str()), ("name", "vendor misp")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no refused request reached the feed");
    assert!(Statuses::load(node.data_dir()).unwrap().sources.is_empty(), "no status was written");

    // The administrator pulls it: fetched, stored held by the node's partner, the status shows it.
    let r = admin.post("/admin/sources/pull", &pull).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Pulled source <strong>vendor misp</strong>: "), "{html}");
    let status = Statuses::load(node.data_dir()).unwrap().sources["vendor misp"].clone();
    assert!(status.error.is_none() && status.added >= 2 && status.pulls == 1 && status.last_success.is_some(), "{status:?}");
    assert!(html.contains(&format!("{} added", status.added)), "the notice counts what was stored: {html}");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "the manifest and its event");
    let store = node.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut all = Vec::new();
        store
            .scan(&store::Query::default(), &mut |r| {
                all.push((r.created_by_ref.clone(), serde_json::from_slice::<serde_json::Value>(&r.json).unwrap()));
                Ok(())
            })
            .unwrap();
        all
    })
    .await
    .unwrap();
    let indicator = stored.iter().find(|(_, o)| o["pattern"] == "[ipv4-addr:value = '198.51.100.77']").expect("the event's attribute is stored");
    assert_eq!(indicator.0.as_deref(), Some(node.a.as_str()), "held by the node's partner");
    let count = stored.len();

    // Again: nothing new, a second pull counted; the page's table shows it.
    let r = admin.post("/admin/sources/pull", &pull).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(&format!(" 0 added, {} unchanged", status.added)));
    let again = Statuses::load(node.data_dir()).unwrap().sources["vendor misp"].clone();
    assert_eq!((again.added, again.unchanged, again.pulls), (0, status.added, 2), "{again:?}");
    let store = node.store.clone();
    let n = tokio::task::spawn_blocking(move || store.scan(&store::Query::default(), &mut |_| Ok(())).unwrap()).await.unwrap();
    assert_eq!(n as usize, count, "a second pull stores nothing new");

    // Garbage: the error on the page and in the status, nothing stored.
    let r = admin.post("/admin/sources/pull", &[("csrf", csrf.as_str()), ("name", "broken")]).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let html = r.text().await.unwrap();
    assert!(html.contains("the pull of source broken failed") && html.contains("not JSON"), "{html}");
    let broken = Statuses::load(node.data_dir()).unwrap().sources["broken"].clone();
    assert!(broken.error.as_deref().unwrap_or_default().contains("not JSON") && broken.last_success.is_none() && broken.pulls == 1, "{broken:?}");
    let store = node.store.clone();
    let n = tokio::task::spawn_blocking(move || store.scan(&store::Query::default(), &mut |_| Ok(())).unwrap()).await.unwrap();
    assert_eq!(n as usize, count, "garbage stores nothing");

    // A name the configuration does not hold: refused next to the field, nothing fetched.
    let before = hits.load(Ordering::SeqCst);
    let r = admin.post("/admin/sources/pull", &[("csrf", csrf.as_str()), ("name", "elsewhere")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"source-name-error\"") && html.contains("no feed source named &quot;elsewhere&quot; is configured"), "{html}");
    assert_eq!(hits.load(Ordering::SeqCst), before);

    // The table: each pull counted, the error shown.
    let (_, _, html) = admin.get("/admin").await;
    let row = |name: &str| {
        let at = html.find(&format!("<th scope=\"row\">{name}</th>")).unwrap_or_else(|| panic!("a row for {name}: {html}"));
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    let counts = format!("<td class=\"num\">{}</td><td class=\"num\">0</td><td class=\"num\">{}</td><td class=\"num\">0</td><td class=\"num\">2</td>", again.offered, again.unchanged);
    assert!(row("vendor misp").contains(&counts), "offered, added, unchanged, refused, two pulls: {}", row("vendor misp"));
    assert!(row("broken").contains("not JSON"), "{}", row("broken"));
}
