//! The node's administration pages (`/admin`, `/admin/log`): the node's
//! administrator sees and uses each part (users, tokens, partners from an
//! identity, peers, feed sources, the release log); a liaison, an analyst
//! and another partner's admin are refused; a token created on the page
//! works on the REST API until revoked there; hostile names are escaped.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::json;
use store::Role;

use crate::web::{csrf_of, sign_in, sign_in_with, Browser, PAYLOADS};
use crate::{call, start, Backend, Node};

crate::on_both_backends!(the_administrator_runs_the_node_from_the_pages, others_are_refused, the_release_log_pages_and_filters);

/// Submits `fields` with the CSRF token of `/admin` to `path`.
async fn submit(browser: &Browser<'_>, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (s, _, html) = browser.get("/admin").await;
    assert_eq!(s, 200, "{html}");
    let csrf = csrf_of(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// A token of `partner` with `role`, put in the registry.
async fn token(node: &Node, partner: &str, role: Role) -> String {
    let (registry, partner) = (node.registry.clone(), partner.to_owned());
    tokio::task::spawn_blocking(move || {
        let (t, rec) = server::auth::issue(&partner, "admin", role, 0, None);
        registry.put_token(&rec).unwrap();
        t
    })
    .await
    .unwrap()
}

/// No payload appears unescaped in `html`.
fn escaped(html: &str) {
    for p in [PAYLOADS[0], PAYLOADS[1], PAYLOADS[3]] {
        assert!(!html.contains(p), "{p} unescaped: {html}");
    }
}

async fn the_administrator_runs_the_node_from_the_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let admin_token = token(&node, &node.a, Role::Admin).await;
    let admin = sign_in(&node, &admin_token).await;
    let (s, _, html) = admin.get("/admin").await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("<a href=\"/admin\">Administration</a>"), "the navigation has the entry: {html}");
    for part in ["<h2 id=\"users\">Users</h2>", "<h2 id=\"tokens\">Tokens</h2>", "Add a partner from its identity", "<h2 id=\"peers\">Peers</h2>", "Feed sources", "href=\"/admin/log\""] {
        assert!(html.contains(part), "{part}: {html}");
    }
    assert!(!html.contains(&admin_token), "no token's secret is shown: {html}");

    // A user with a hostile name; the password is never shown back.
    let password = "correct horse battery staple";
    let user = [("name", PAYLOADS[0]), ("partner", node.b.as_str()), ("role", "analyst"), ("password", password)];
    let r = submit(&admin, "/admin/users", &user).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains(password), "{html}");
    escaped(&html);
    // The same name again, a short password, a name with spaces, a partner not hosted: each its field.
    for (fields, field) in [
        (user.to_vec(), "name"),
        (vec![("name", "eve"), ("partner", node.b.as_str()), ("role", "analyst"), ("password", "short")], "password"),
        (vec![("name", "two words"), ("partner", node.b.as_str()), ("role", "analyst"), ("password", password)], "name"),
        (vec![("name", "eve"), ("partner", "identity--00000000-0000-4000-8000-000000000000"), ("role", "analyst"), ("password", password)], "partner"),
        (vec![("name", "eve"), ("partner", node.b.as_str()), ("role", "emperor"), ("password", password)], "role"),
    ] {
        let r = submit(&admin, "/admin/users", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("id=\"user-{field}-error\"")), "{field}: {html}");
        assert!(!html.contains(password) && !html.contains("value=\"short\""), "{html}");
    }
    // Its role changed to liaison; the account signs in as one.
    let r = submit(&admin, "/admin/users/role", &[("user", PAYLOADS[0]), ("role", "liaison")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (registry, name) = (node.registry.clone(), PAYLOADS[0]);
    let stored = tokio::task::spawn_blocking(move || registry.user(name).unwrap().unwrap()).await.unwrap();
    assert_eq!((stored.role, stored.partner.as_str()), (Role::Liaison, node.b.as_str()));
    let user = sign_in_with(&node, &[("username", PAYLOADS[0]), ("password", password)]).await;
    let html = user.get("/").await.2;
    assert!(html.contains("Borealis · liaison") && !html.contains("href=\"/admin\""), "signs in as B's liaison: {html}");
    let r = submit(&admin, "/admin/users/role", &[("user", "nobody"), ("role", "liaison")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("id=\"role-user-error\""));

    // A token made on the page works on the REST API until revoked on it.
    let r = submit(&admin, "/admin/tokens", &[("partner", &node.b), ("role", "analyst"), ("user", PAYLOADS[1]), ("expires", "")]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    escaped(&html);
    let start = html.find("<code class=\"secret\">").expect("the secret, shown once") + "<code class=\"secret\">".len();
    let secret = html[start..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("ent_"), "{secret}");
    let id = server::auth::token_id(&secret);
    let (s, v) = call(&node, &secret, "GET", "partners", None).await;
    assert_eq!(s, 200, "{v}");
    let html = admin.get("/admin").await.2;
    assert!(html.contains(&format!("<code>{id}</code>")) && !html.contains(&secret), "listed by id, never its secret: {html}");
    let r = submit(&admin, "/admin/tokens", &[("partner", &node.b), ("role", "analyst"), ("user", "x"), ("expires", "soon")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"token-expires-error\"") && html.contains("value=\"soon\""), "{html}");
    let r = submit(&admin, "/admin/tokens/revoke", &[("id", &id)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _) = call(&node, &secret, "GET", "partners", None).await;
    assert_eq!(s, 401, "a revoked token no longer authenticates");
    let html = admin.get("/admin").await.2;
    assert!(html.contains("revoked") && !html.contains(&format!("value=\"{id}\"")), "revoked, no revoke button left: {html}");
    let r = submit(&admin, "/admin/tokens/revoke", &[("id", "ffffffffffff")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A partner from its identity, with a hostile name; a broken one refused at its field.
    let (_, public) = policy::generate_keypair().unwrap();
    let d = model::StixId::parse("identity--d0000000-0000-4000-8000-00000000000d").unwrap();
    let created = model::Timestamp::parse("2026-01-01T00:00:00.000Z").unwrap();
    let mut identity = policy::ext::partner_identity(&d, PAYLOADS[3], &public, &created).unwrap().to_value();
    identity["created_by_ref"] = json!(d.as_str());
    let r = submit(&admin, "/admin/partners", &[("identity", "{\"type\": \"identity\"")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"identity-identity-error\"") && html.contains("{&quot;type&quot;: &quot;identity&quot;"), "{html}");
    let r = submit(&admin, "/admin/partners", &[("identity", &identity.to_string())]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    assert!(html.contains(d.as_str()), "{html}");
    let (_, v) = call(&node, &admin_token, "GET", "partners", None).await;
    assert!(v.to_string().contains(d.as_str()), "{v}");
    let mut hosted = identity.clone();
    hosted["id"] = json!(node.b);
    hosted["created_by_ref"] = json!(node.b);
    let r = submit(&admin, "/admin/partners", &[("identity", &hosted.to_string())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a hosted partner is not replaced by an identity");

    // D's node as a peer (on the partners page); sync now fails (nothing
    // listens) and says why, in the peer's status too; then it is removed.
    let html = admin.get("/partners").await.2;
    let csrf = csrf_of(&html);
    let r = admin.post("/peers", &[("csrf", &csrf), ("url", "http://127.0.0.1:9/taxii2/"), ("partner", d.as_str()), ("token", "ent_000000000000_peer"), ("ca_pem", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (_, v) = call(&node, &admin_token, "GET", "peers", None).await;
    let peer = v["peers"][0]["id"].as_str().unwrap().to_owned();
    let html = admin.get("/admin").await.2;
    escaped(&html);
    assert!(html.contains("http://127.0.0.1:9/taxii2/") && html.contains("action=\"/admin/peers/sync\""), "{html}");
    let r = submit(&admin, "/admin/peers/sync", &[("id", &peer)]).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("sync with peer {peer} failed")), "{html}");
    let (_, v) = call(&node, &admin_token, "GET", "peers", None).await;
    assert_eq!(v["peers"][0]["sync"]["failures"], 1, "the round counts in the peer's status: {v}");
    let r = submit(&admin, "/admin/peers/sync", &[("id", "00000000-0000-4000-8000-000000000000")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no such peer");
    let r = submit(&admin, "/admin/peers/remove", &[("id", &peer)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin#peers");
    let (_, v) = call(&node, &admin_token, "GET", "peers", None).await;
    assert_eq!(v["peers"], json!([]), "{v}");
    let r = submit(&admin, "/admin/peers/remove", &[("id", &peer)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(&format!("id=\"peer-id-error\" role=\"alert\">no peer {peer}")), "the message, with no peer left");

    // The feed sources' status, hostile text escaped.
    let status = json!({ "sources": { PAYLOADS[3]: { "last_attempt": "2026-12-07T00:00:00Z", "last_success": null, "offered": 3, "added": 2, "unchanged": 0, "refused": 1, "refusals": [PAYLOADS[0]], "error": PAYLOADS[1], "pulls": 4 } } });
    std::fs::write(node.data_dir().join("sources.json"), status.to_string()).unwrap();
    let html = admin.get("/admin").await.2;
    escaped(&html);
    assert!(html.contains("&lt;svg onload=alert(1)&gt;") && html.contains("2026-12-07T00:00:00Z") && html.contains("&quot; onerror=&quot;alert(1)"), "{html}");

    // No form works without the CSRF token.
    assert_eq!(admin.post("/admin/tokens", &[("partner", &node.b), ("role", "admin")]).await.status(), StatusCode::FORBIDDEN);
}

async fn others_are_refused(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let b_admin = token(&node, &node.b, Role::Admin).await;
    for t in [&node.liaison[0], &node.token_a, &b_admin] {
        let browser = sign_in(&node, t).await;
        let (s, _, html) = browser.get("/").await;
        assert_eq!(s, 200);
        assert!(!html.contains("href=\"/admin\""), "no navigation entry: {html}");
        for page in ["/admin", "/admin/log"] {
            let (s, _, html) = browser.get(page).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{page}: {html}");
            assert!(!html.contains("Tokens") && !html.contains("Release log"), "{html}");
        }
        let csrf = csrf_of(&browser.get("/").await.2);
        for (path, fields) in [
            ("/admin/tokens", vec![("partner", node.a.as_str()), ("role", "admin"), ("user", "x"), ("expires", "")]),
            ("/admin/users", vec![("name", "mallory"), ("partner", node.a.as_str()), ("role", "admin"), ("password", "a long enough password")]),
            ("/admin/users/role", vec![("user", "mallory"), ("role", "admin")]),
            ("/admin/tokens/revoke", vec![("id", "ffffffffffff")]),
            ("/admin/peers/remove", vec![("id", "ffffffffffff")]),
            ("/admin/peers/sync", vec![("id", "ffffffffffff")]),
            ("/admin/partners", vec![("identity", "{}")]),
        ] {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(fields);
            let r = browser.post(path, &all).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
    let (registry, b) = (node.registry.clone(), node.b.clone());
    let (tokens, users) = tokio::task::spawn_blocking(move || (registry.tokens().unwrap(), registry.users().unwrap())).await.unwrap();
    assert!(users.is_empty() && !tokens.iter().any(|t| t.role == Role::Admin && t.partner != b), "nothing was created");
}

async fn the_release_log_pages_and_filters(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let admin = sign_in(&node, &token(&node, &node.a, Role::Admin).await).await;
    // Refusals recorded for B (55) and for A (1), on the channel `api`.
    for i in 0..55 {
        let (s, _) = call(&node, &node.token_b, "GET", &format!("objects/indicator--00000000-0000-4000-8000-{i:012}"), None).await;
        assert_eq!(s, 404);
    }
    let (s, _) = call(&node, &node.token_a, "GET", "objects/indicator--00000000-0000-4000-8000-aaaaaaaaaaaa", None).await;
    assert_eq!(s, 404);
    let (s, _, html) = admin.get(&format!("/admin/log?partner={}&channel=api", node.b)).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(html.matches("<td>deny</td>").count(), 50, "a page of 50: {html}");
    assert!(html.contains("indicator--00000000-0000-4000-8000-000000000054") && !html.contains("indicator--00000000-0000-4000-8000-000000000004"), "newest first: {html}");
    assert!(!html.contains("aaaaaaaaaaaa") && html.contains("rel=\"next\""), "{html}");
    let (_, _, html) = admin.get(&format!("/admin/log?partner={}&channel=api&page=1", node.b)).await;
    assert_eq!(html.matches("<td>deny</td>").count(), 5, "{html}");
    assert!(html.contains("indicator--00000000-0000-4000-8000-000000000000") && html.contains("rel=\"prev\"") && !html.contains("rel=\"next\""), "{html}");
    let (_, _, html) = admin.get(&format!("/admin/log?partner={}", node.a)).await;
    assert!(html.contains("aaaaaaaaaaaa") && !html.contains("000000000054"), "{html}");
    let (_, _, html) = admin.get("/admin/log?channel=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(html.contains("No entry") && html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), "{html}");
    escaped(&html);
    let (s, _, _) = admin.get("/admin/log?partner=not-an-id").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
