//! The inbox as an Atom feed (`GET /inbox.atom`): read with a feed-only
//! token (`entfeed_…`, Basic or Bearer) or a session; the feed token reads
//! nothing else — TAXII, the REST API, the pages and sign-in refuse it —
//! and an API token does not open the feed.

use reqwest::StatusCode;
use serde_json::json;

use crate::web::{client, sign_in};
use crate::{call, on_both_backends, ratified_agreement, start, Backend};

on_both_backends!(the_inbox_feed_takes_a_feed_token_that_opens_nothing_else);

async fn the_inbox_feed_takes_a_feed_token_that_opens_nothing_else(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let ab = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    // Something needs B: an action item it owns, with a hostile description.
    let hostile = "<b>Approve</b> & \"sign\"";
    let input = json!({ "description": hostile, "owner": node.b, "due": "2099-01-01T00:00:00Z" });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("agreements/{ab}/modules/dialogue/actions/add-action-item"), Some(input)).await;
    assert_eq!(s, 201, "{v}");
    let item = v["record"]["id"].as_str().unwrap().to_owned();
    let (feed, record) = server::auth::issue_feed(&node.b, "reader", model::Timestamp::now().micros(), None);
    let (registry, r) = (node.registry.clone(), record.clone());
    tokio::task::spawn_blocking(move || registry.put_token(&r).unwrap()).await.unwrap();

    let get = |path: &str| client().get(format!("{}{path}", node.url));
    // With the feed token, as Basic (what feed readers send) and as Bearer.
    for r in [get("/inbox.atom").basic_auth("anyone", Some(&feed)), get("/inbox.atom").bearer_auth(&feed)] {
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/atom+xml"));
        let xml = r.text().await.unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        const ATOM: &str = "http://www.w3.org/2005/Atom";
        let feed_el = doc.root_element();
        assert!(feed_el.has_tag_name((ATOM, "feed")));
        assert!(feed_el.children().any(|c| c.has_tag_name((ATOM, "title")) && c.text() == Some("Inbox of Borealis")), "{xml}");
        let entries: Vec<_> = feed_el.children().filter(|c| c.has_tag_name((ATOM, "entry"))).collect();
        assert_eq!(entries.len(), 1, "{xml}");
        let title = entries[0].children().find(|c| c.has_tag_name((ATOM, "title"))).unwrap().text().unwrap().to_owned();
        assert!(title.ends_with(hostile), "{title}");
        assert!(entries[0].children().any(|c| c.has_tag_name((ATOM, "updated"))) && entries[0].children().any(|c| c.has_tag_name((ATOM, "id"))));
    }
    // A's inbox holds nothing of B's: its feed is its own.
    let (a_feed, a_record) = server::auth::issue_feed(&node.a, "reader", model::Timestamp::now().micros(), None);
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || registry.put_token(&a_record).unwrap()).await.unwrap();
    let xml = get("/inbox.atom").bearer_auth(&a_feed).send().await.unwrap().text().await.unwrap();
    assert!(!xml.contains("<entry>"), "{xml}");
    // The feed's read is in the release log, to B, on the channel `feed`.
    let log = std::fs::read_to_string(node.data_dir().join("release.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"channel\":\"feed\"") && l.contains(&node.b) && l.contains(&item)), "{log}");

    // Nothing else opens with it: TAXII, REST, pages, sign-in.
    for path in ["/taxii2/", "/api/v1/agreements", "/api/v1/inbox", &format!("/api/v1/agreements/{ab}/modules/dialogue")] {
        for r in [get(path).bearer_auth(&feed), get(path).basic_auth("anyone", Some(&feed))] {
            let s = r.send().await.unwrap().status();
            assert!(s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN, "{path}: {s}");
        }
    }
    let r = get("/inbox").bearer_auth(&feed).send().await.unwrap();
    assert_eq!((r.status(), r.headers().get(reqwest::header::LOCATION).map(|v| v.to_str().unwrap().to_owned())), (StatusCode::SEE_OTHER, Some("/login".into())), "pages want a session");
    let login = client().get(format!("{}/login", node.url)).send().await.unwrap();
    let cookie = crate::web::set_cookie(&login, "entente_login").unwrap().0;
    let csrf = crate::web::csrf_of(&login.text().await.unwrap());
    let r = client().post(format!("{}/login", node.url)).header(reqwest::header::COOKIE, cookie).form(&[("token", feed.as_str()), ("csrf", &csrf)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a feed token signs in to nothing");

    // An API token (even B's) does not open the feed; no credential is a challenge.
    for r in [get("/inbox.atom").bearer_auth(&node.token_b), get("/inbox.atom").basic_auth("x", Some(&node.token_b)), get("/inbox.atom")] {
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers()[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    }
    // A session reads it too.
    let browser = sign_in(&node, &node.token_b).await;
    let (s, _, xml) = browser.get("/inbox.atom").await;
    assert_eq!(s, StatusCode::OK);
    assert!(xml.contains("&lt;b&gt;Approve&lt;/b&gt; &amp; &quot;sign&quot;"), "{xml}");
    // Revoked, it opens nothing.
    let (registry, id) = (node.registry.clone(), record.id.clone());
    assert!(tokio::task::spawn_blocking(move || registry.revoke_token(&id).unwrap()).await.unwrap());
    assert_eq!(get("/inbox.atom").bearer_auth(&feed).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
