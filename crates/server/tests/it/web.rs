//! The web pages: sign-in with a token and the session cookie, sign-out,
//! revoked tokens, CSRF, the release policy on the intelligence pages, and
//! hostile partner text rendered as escaped data under a strict CSP.

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(sign_in_session_and_sign_out, passwords_expiry_and_two_tabs, object_page_facts, dashboard_counts_are_reused_until_something_arrives, csrf_is_required, pages_follow_the_release_policy, hostile_text_is_escaped, search_pages, search_finds_the_newest_first, search_counts_sorts_and_widens, error_pages_keep_the_navigation, linked_knowledge_follows_the_release_policy, the_graph_follows_the_release_policy, the_dashboard_says_what_needs_attention, the_attack_matrix_follows_the_release_policy, a_false_positive_reaches_the_author_alone, new_since_the_last_visit, a_note_stays_on_the_node);

/// The payloads every string of the hostile object carries.
pub(crate) const PAYLOADS: [&str; 4] = ["<script>alert(1)</script>", "\" onerror=\"alert(1)", "javascript:alert(1)", "<svg onload=alert(1)>"];

pub(crate) fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of the first `name="csrf"` field of a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("the page has a CSRF field") + "name=\"csrf\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// `name=value` of the `Set-Cookie` for `name`, and the whole header.
pub(crate) fn set_cookie(r: &reqwest::Response, name: &str) -> Option<(String, String)> {
    r.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with(&format!("{name}="))).map(|v| {
        (v.split(';').next().unwrap().to_owned(), v.to_owned())
    })
}

/// A signed-in browser: its session cookie (`entente_session=…`).
pub(crate) struct Browser<'a> {
    pub node: &'a Node,
    pub cookie: String,
}

impl Browser<'_> {
    /// Status, CSP header and body of a page.
    pub async fn get(&self, path: &str) -> (StatusCode, Option<String>, String) {
        let r = client().get(format!("{}{path}", self.node.url)).header(COOKIE, &self.cookie).send().await.unwrap();
        let csp = r.headers().get(CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned());
        (r.status(), csp, r.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client().post(format!("{}{path}", self.node.url)).header(COOKIE, &self.cookie).form(form).send().await.unwrap()
    }
}

/// Signs in with `token` through the form; asserts the cookie's attributes.
pub(crate) async fn sign_in<'a>(node: &'a Node, token: &str) -> Browser<'a> {
    sign_in_with(node, &[("token", token)]).await
}

/// Signs in through the form with `fields` (a token, or a user name and
/// password); asserts the cookie's attributes.
pub(crate) async fn sign_in_with<'a>(node: &'a Node, fields: &[(&str, &str)]) -> Browser<'a> {
    let r = submit_sign_in(node, fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/");
    let (cookie, whole) = set_cookie(&r, "entente_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(whole.split("; ").any(|a| a == attribute), "{attribute} missing from {whole}");
    }
    assert!(!whole.contains("Secure"), "no TLS here, so not Secure: {whole}");
    Browser { node, cookie }
}

/// Shows the sign-in form and submits it with `fields` (its cookie and
/// CSRF value added): the answer.
async fn submit_sign_in(node: &Node, fields: &[(&str, &str)]) -> reqwest::Response {
    let r = client().get(format!("{}/login", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (login_cookie, _) = set_cookie(&r, "entente_login").expect("the sign-in form sets its cookie");
    let csrf = csrf_of(&r.text().await.unwrap());
    let mut form = fields.to_vec();
    form.push(("csrf", csrf.as_str()));
    client().post(format!("{}/login", node.url)).header(COOKIE, &login_cookie).form(&form).send().await.unwrap()
}

async fn sign_in_session_and_sign_out(backend: Backend) {
    let node = start(backend, Default::default()).await;
    // Pages without a session send to the sign-in form; the API is unchanged.
    for path in ["/", "/intel", "/intel/indicator--00000000-0000-4000-8000-000000000001"] {
        let r = client().get(format!("{}{path}", node.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()[LOCATION], "/login");
    }
    assert_eq!(call(&node, &node.token_b, "GET", "agreements", None).await.0, 200);
    assert_eq!(client().get(format!("{}/healthz", node.url)).send().await.unwrap().status(), 200);
    assert_eq!(client().get(format!("{}/api/v1/agreements", node.url)).send().await.unwrap().status(), 401);

    // A wrong token is refused with the form again.
    let r = submit_sign_in(&node, &[("token", "ent_000000000000_nope")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&r, "entente_session").is_none());

    // B signs in and sees its partner; sign-out ends the session.
    let b = sign_in(&node, &node.token_b).await;
    let (s, csp, body) = b.get("/").await;
    assert_eq!(s, 200, "{body}");
    assert!(csp.is_some());
    assert!(body.contains("Borealis"), "{body}");
    let csrf = csrf_of(&body);
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.0, StatusCode::SEE_OTHER, "the session ended");

    // A session ends when its token is revoked.
    let b = sign_in(&node, &node.token_b).await;
    assert_eq!(b.get("/").await.0, 200);
    let (registry, id) = (node.registry.clone(), node.token_b[4..16].to_owned());
    assert!(tokio::task::spawn_blocking(move || registry.revoke_token(&id).unwrap()).await.unwrap());
    assert_eq!(b.get("/").await.0, StatusCode::SEE_OTHER, "the revoked token's session is refused");
    assert_eq!(b.get("/intel").await.0, StatusCode::SEE_OTHER);
}

/// Awaits spawned tasks in order.
async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}

/// User accounts sign in with a password; a disabled account's session
/// ends; a token's expiry ends its session; two tabs showing the sign-in
/// form can both submit it.
async fn passwords_expiry_and_two_tabs(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (registry, b) = (node.registry.clone(), node.b.clone());
    let user = tokio::task::spawn_blocking(move || {
        let hash = server::auth::hash_password("borealis liaison pass").unwrap();
        let u = store::UserRecord { name: "bo".into(), partner: b, role: store::Role::Liaison, password: hash, created: 0, disabled: false };
        registry.put_user(&u).unwrap();
        u
    })
    .await
    .unwrap();

    // Wrong passwords and unknown names get the same answer.
    for (name, password) in [("bo", "borealis liaison pasS"), ("nobody", "borealis liaison pass")] {
        let r = submit_sign_in(&node, &[("username", name), ("password", password)]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(set_cookie(&r, "entente_session").is_none());
        assert!(r.text().await.unwrap().contains("That user name and password were not accepted."));
    }
    let bo = sign_in_with(&node, &[("username", "bo"), ("password", "borealis liaison pass")]).await;
    let (s, _, body) = bo.get("/").await;
    assert_eq!(s, 200);
    assert!(body.contains("Borealis") && body.contains("liaison"), "{body}");
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || registry.put_user(&store::UserRecord { disabled: true, ..user }).unwrap()).await.unwrap();
    assert_eq!(bo.get("/").await.0, StatusCode::SEE_OTHER, "a disabled user's session ends");

    // A token that expires ends its session at its expiry.
    let (registry, a) = (node.registry.clone(), node.a.clone());
    let now = model::Timestamp::now().micros();
    let short = tokio::task::spawn_blocking(move || {
        let (t, rec) = server::auth::issue(&a, "short", store::Role::Analyst, now, Some(now + 1_500_000));
        registry.put_token(&rec).unwrap();
        t
    })
    .await
    .unwrap();
    let s = sign_in(&node, &short).await;
    assert_eq!(s.get("/").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_600)).await;
    assert_eq!(s.get("/").await.0, StatusCode::SEE_OTHER, "the expired token's session is refused");

    // Two tabs: the second GET /login keeps the first one's cookie value, so
    // the form shown first still submits.
    let r = client().get(format!("{}/login", node.url)).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&r, "entente_login").unwrap();
    let first = csrf_of(&r.text().await.unwrap());
    let r = client().get(format!("{}/login", node.url)).header(COOKIE, &login_cookie).send().await.unwrap();
    let (again, _) = set_cookie(&r, "entente_login").unwrap();
    assert_eq!(again, login_cookie, "the sign-in cookie is kept");
    assert_eq!(csrf_of(&r.text().await.unwrap()), first);
    let r = client()
        .post(format!("{}/login", node.url))
        .header(COOKIE, &login_cookie)
        .form(&[("token", node.token_a.as_str()), ("csrf", first.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the first tab's form signs in");
    // A forged cookie value is not reused (it must look like one of ours).
    let r = client().get(format!("{}/login", node.url)).header(COOKIE, "entente_login=abc").send().await.unwrap();
    assert_ne!(set_cookie(&r, "entente_login").unwrap().0, "entente_login=abc");

    // A flood of wrong passwords from one address: checks wait their turn,
    // so the limiter sees the failures before it and refuses the rest (20
    // failures a minute, at most one more check in flight past that).
    let r = client().get(format!("{}/login", node.url)).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&r, "entente_login").unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
    let attempts = (0..40).map(|i| {
        let (url, cookie, csrf) = (format!("{}/login", node.url), login_cookie.clone(), csrf.clone());
        tokio::spawn(async move {
            let form = [("username", "bo".to_owned()), ("password", format!("wrong password {i}")), ("csrf", csrf)];
            client().post(url).header(COOKIE, cookie).form(&form).send().await.unwrap().status()
        })
    });
    let statuses: Vec<StatusCode> = futures_join(attempts).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(checked + refused, 40, "{statuses:?}");
    // One failure of bo's came earlier in this test; 19 more reach the
    // limit. Then bo's password is not checked from this address for a
    // minute, and the refusals say how long (`Retry-After`).
    assert!((18..=19).contains(&checked), "{checked} passwords checked before the limiter refused: {statuses:?}");
    let r = submit_sign_in(&node, &[("username", "bo"), ("password", "borealis liaison pass")]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // The address's failures refuse no other credential: a token signs in from it.
    let s = sign_in(&node, &node.token_a).await;
    assert_eq!(s.get("/").await.0, 200);
}

async fn csrf_is_required(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = sign_in(&node, &node.token_a).await;
    let csrf = csrf_of(&a.get("/").await.2);
    assert_eq!(a.post("/logout", &[]).await.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(a.post("/logout", &[("csrf", "0000")]).await.status(), StatusCode::FORBIDDEN, "a wrong CSRF token");
    assert_eq!(a.get("/").await.0, 200, "still signed in");
    // Another session's token does not do either.
    let other = sign_in(&node, &node.token_b).await;
    let theirs = csrf_of(&other.get("/").await.2);
    assert_ne!(theirs, csrf);
    assert_eq!(a.post("/logout", &[("csrf", &theirs)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(a.post("/logout", &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);

    // Sign-in: the form's token must match its cookie.
    let r = client().get(format!("{}/login", node.url)).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&r, "entente_login").unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
    let post = |cookie: Option<String>, form: Vec<(&'static str, String)>| {
        let mut r = client().post(format!("{}/login", node.url)).form(&form);
        if let Some(c) = cookie {
            r = r.header(COOKIE, c);
        }
        r.send()
    };
    let token = node.token_a.clone();
    assert_eq!(post(None, vec![("token", token.clone()), ("csrf", csrf.clone())]).await.unwrap().status(), StatusCode::FORBIDDEN, "no cookie");
    assert_eq!(post(Some(login_cookie.clone()), vec![("token", token.clone())]).await.unwrap().status(), StatusCode::FORBIDDEN, "no field");
    assert_eq!(
        post(Some(login_cookie.clone()), vec![("token", token.clone()), ("csrf", "0".repeat(64))]).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "a wrong field"
    );
    assert_eq!(post(Some(login_cookie), vec![("token", token), ("csrf", csrf)]).await.unwrap().status(), StatusCode::SEE_OTHER);
}

/// A–B agreement in force, and A's indicator shared under it whose strings
/// carry `PAYLOADS`; returns the indicator's id.
async fn share_hostile_indicator(node: &Node) -> String {
    let la = node.liaison[0].clone();
    let agreement = ratified_agreement(node, "A–B <b>indicators</b>", &[0, 1], &["indicator"]).await;
    let id = "indicator--6b1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-02T00:00:00Z",
        "created_by_ref": node.a,
        "name": format!("hostile {} {}", PAYLOADS[0], PAYLOADS[1]),
        "description": PAYLOADS.join(" "),
        "indicator_types": [PAYLOADS[3]],
        "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &la, "POST", "objects", Some(json!({ "objects": [indicator], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["status"], "stored", "{v}");
    id.to_owned()
}

async fn pages_follow_the_release_policy(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = share_hostile_indicator(&node).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let c = sign_in(&node, &node.liaison[2]).await;
    let page = format!("/intel/{id}");

    let (s, _, list) = b.get("/intel?type=indicator").await;
    assert_eq!(s, 200);
    assert!(list.contains(&page), "B finds A's indicator: {list}");
    let (s, _, shown) = b.get(&page).await;
    assert_eq!(s, 200, "{shown}");
    assert!(shown.contains("Aurelia"), "the author is named: {shown}");
    assert!(shown.contains("A–B &lt;b&gt;indicators&lt;/b&gt;"), "shared under the agreement: {shown}");
    // Also by text and by observable.
    assert!(b.get("/intel?q=HOSTILE").await.2.contains(&page));
    assert!(b.get("/intel?observable=ipv4-addr:198.51.100.7").await.2.contains(&page));
    // A bare value in the text field: found as the observable it is, with who reported it.
    let bare = b.get("/intel?q=198.51.100.7").await.2;
    assert!(bare.contains(&page) && bare.contains("looks like a value of type <code>ipv4-addr</code>") && bare.contains("Reported by (1 object"), "{bare}");
    let as_text = b.get("/intel?q=198.51.100.7&text=1").await.2;
    assert!(as_text.contains(&page) && !as_text.contains("Reported by"), "as text, the address is found in the pattern's words: {as_text}");
    // B's dashboard counts it, and lists the agreement in force.
    let dash = b.get("/").await.2;
    assert!(dash.contains("in-force"), "{dash}");
    assert!(dash.contains("/intel?type=indicator"), "{dash}");
    // …and charts what arrived per day by author: A's indicator, today.
    assert!(dash.contains("<svg viewBox=") && dash.contains("Intelligence received per day"), "{dash}");
    let today = &model::Timestamp::now().as_str()[5..10].to_owned();
    assert!(dash.contains(&format!("{today}: ")) && dash.contains(" from Aurelia</title>"), "a bar for today from A: {dash}");

    // C, not a party: not in any list, and the page is the 404 of a missing object.
    for query in ["/intel", "/intel?type=indicator", "/intel?q=hostile", "/intel?observable=ipv4-addr:198.51.100.7"] {
        let (s, _, list) = c.get(query).await;
        assert_eq!(s, 200);
        assert!(!list.contains(&page), "C must not find it through {query}");
    }
    let (s, _, refused) = c.get(&page).await;
    assert_eq!(s, 404);
    let (s, _, missing) = c.get("/intel/indicator--00000000-0000-4000-8000-000000000009").await;
    assert_eq!(s, 404);
    assert_eq!(refused, missing, "refused and missing look the same");
    assert!(!c.get("/").await.2.contains("indicator"), "C's dashboard does not count it");

    // Every object shown to B is in the release log under the channel `web`, to B.
    let log = std::fs::read_to_string(node._dir.path().join("release.log")).unwrap();
    let shown_to_b = log.lines().filter(|l| l.contains("\"web\"") && l.contains(&id) && l.contains(&node.b)).count();
    assert!(shown_to_b >= 4, "list, page, text and observable searches logged: {log}");
    assert!(!log.lines().any(|l| l.contains("\"web\"") && l.contains(&id) && l.contains(&node.c) && l.contains("\"release\"")), "{log}");
}

/// The object page's signature status, sightings (through the gate) and,
/// for the author only, the release decision per partner.
async fn object_page_facts(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "sighting"]).await;
    // A and C share malware only: C is a partner A knows, and the indicator is not for it.
    ratified_agreement(&node, "A–C", &[0, 2], &["malware"]).await;
    let id = "indicator--7c1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "beacon", "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator], "agreements": [agreement] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let sighting = json!({
        "type": "sighting", "spec_version": "2.1", "id": "sighting--8d2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b",
        "created": "2026-01-03T00:00:00Z", "modified": "2026-01-03T00:00:00Z", "created_by_ref": node.b,
        "sighting_of_ref": id, "count": 7, "last_seen": "2026-01-03T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [sighting], "agreements": [agreement] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");

    let page = format!("/intel/{id}");
    let a = sign_in(&node, &node.liaison[0]).await;
    let (s, _, shown) = a.get(&page).await;
    assert_eq!(s, 200, "{shown}");
    assert!(shown.contains("authored on this node (signed when served)"), "{shown}");
    assert!(shown.contains("/intel/sighting--8d2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b") && shown.contains(">7</td>"), "B's sighting, count 7: {shown}");
    // The author sees what each partner would get, and why.
    let release = &shown[shown.find("Release to each partner").expect("the author sees the release table")..];
    let row = |name: &str| release[release.find(name).unwrap_or_else(|| panic!("{name} in {release}"))..].split("</tr>").next().unwrap().to_owned();
    assert!(row("Borealis").contains("released"), "{release}");
    let caldera = row("Caldera");
    assert!(caldera.contains("withheld") && caldera.len() > 80, "withheld, with a reason: {caldera}");
    // Need to know: the table and the search's author list name only the
    // partners A may know of (A's, the node's, its co-parties').
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || registry.put_partner(&store::PartnerRecord { id: "identity--0d000000-0000-4000-8000-000000000001".into(), name: "Dalmatia".into(), hosted: false }).unwrap()).await.unwrap();
    assert!(!a.get(&page).await.2.contains("Dalmatia"), "a partner A has no agreement with is not named");
    assert!(!a.get("/intel").await.2.contains("Dalmatia"));

    // B, a reader and not the author, sees the sighting but no release table.
    let b = sign_in(&node, &node.liaison[1]).await;
    let shown = b.get(&page).await.2;
    assert!(shown.contains("sighting--8d2f5a3e") && !shown.contains("Release to each partner"), "{shown}");
    // C sees neither the indicator nor the sighting.
    let c = sign_in(&node, &node.liaison[2]).await;
    assert_eq!(c.get(&page).await.0, 404);
    assert_eq!(c.get("/intel/sighting--8d2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b").await.0, 404);
}

/// Linked knowledge: an object page names what it refers to by type and
/// name, lists its relationships both ways and the reports naming it, and
/// a report lists its contents by type, all through the reader's gate: an
/// object B may not see shows as "not available to you", never its name.
/// Each row and page carries the TLP badge.
async fn linked_knowledge_follows_the_release_policy(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "malware", "relationship", "report"]).await;
    let ac = ratified_agreement(&node, "A–C", &[0, 2], &["malware"]).await;
    let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
    let base = |ty: &str, n: u32| json!({ "type": ty, "spec_version": "2.1", "id": format!("{ty}--1c2d3e4f-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a });
    let mut indicator = base("indicator", 1);
    indicator["name"] = "beacon <i>".into();
    indicator["pattern"] = "[ipv4-addr:value = '203.0.113.77']".into();
    indicator["pattern_type"] = "stix".into();
    indicator["valid_from"] = "2026-01-01T00:00:00Z".into();
    indicator["object_marking_refs"] = json!([green]);
    let mut glacier = base("malware", 2);
    glacier["name"] = "GlacierLock".into();
    glacier["is_family"] = true.into();
    let mut secret = base("malware", 3);
    secret["name"] = "SecretStrain".into();
    secret["is_family"] = true.into();
    let rel = |n: u32, to: &serde_json::Value| {
        let mut r = base("relationship", n);
        r["relationship_type"] = "indicates".into();
        r["source_ref"] = indicator["id"].clone();
        r["target_ref"] = to["id"].clone();
        r
    };
    let (r1, r2) = (rel(4, &glacier), rel(5, &secret));
    let mut report = base("report", 6);
    report["name"] = "Winter campaign".into();
    report["published"] = "2026-01-02T00:00:00Z".into();
    report["object_refs"] = json!([indicator["id"], glacier["id"], secret["id"]]);
    let shared = json!({ "objects": [indicator, glacier, r1, r2, report], "agreements": [ab] });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(shared)).await;
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{s} {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [secret], "agreements": [ac] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    let (indicator, glacier, secret, report) = (id(&indicator), id(&glacier), id(&secret), id(&report));

    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, _, page) = b.get(&format!("/intel/{indicator}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("TLP:GREEN"), "the badge: {page}");
    let relationships = &page[page.find("<h2>Relationships</h2>").expect("a relationships section")..];
    assert!(relationships.contains(&format!("href=\"/intel/{glacier}\">malware: GlacierLock</a>")), "the malware it indicates, by name: {relationships}");
    assert!(relationships.contains("not available to you"), "the malware B may not see: {relationships}");
    assert!(!page.contains("SecretStrain"), "never its name: {page}");
    let mentions = &page[page.find("In reports and notes").unwrap()..];
    assert!(mentions.contains(&format!("href=\"/intel/{report}\">Winter campaign</a>")), "{mentions}");
    // The other way: the malware is indicated by the indicator.
    let page = b.get(&format!("/intel/{glacier}")).await.2;
    assert!(page.contains("indicates (by it)") && page.contains("indicator: beacon &lt;i&gt;"), "{page}");
    // The report lists its contents by type, through the gate.
    let page = b.get(&format!("/intel/{report}")).await.2;
    assert!(page.contains("<strong>malware</strong> (2)") && page.contains("<strong>indicator</strong> (1)"), "{page}");
    assert!(page.contains("malware: GlacierLock") && !page.contains("SecretStrain"), "{page}");
    // The search rows carry the badge; an unmarked object says what it counts as.
    let list = b.get("/intel?type=indicator,malware").await.2;
    assert!(list.contains("TLP:GREEN") && list.contains("unmarked"), "{list}");
    // Names shown are releases: logged to B under `web`; the secret never.
    let log = std::fs::read_to_string(node._dir.path().join("release.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"web\"") && l.contains(&glacier) && l.contains(&node.b)), "{log}");
    assert!(!log.lines().any(|l| l.contains(&secret) && l.contains(&node.b) && l.contains("\"release\"")), "{log}");
    // Downloads: the report with the contents B may see, as a bundle; the
    // search's results in an analyst's format; all attachments.
    let r = client().get(format!("{}/intel/{report}/download?format=stix", node.url)).header(reqwest::header::COOKIE, &b.cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[reqwest::header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename="), "{:?}", r.headers());
    assert!(r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/stix+json"));
    let bundle: serde_json::Value = r.json().await.unwrap();
    let mut ids: Vec<&str> = bundle["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![indicator.as_str(), glacier.as_str(), report.as_str()];
    want.sort();
    assert_eq!(ids, want, "the report and what B may see of its contents, never the secret");
    let get = |path: String| {
        let cookie = b.cookie.clone();
        async move { client().get(path).header(reqwest::header::COOKIE, cookie).send().await.unwrap().text().await.unwrap() }
    };
    let csv = get(format!("{}/intel/download?type=indicator,malware&format=csv", node.url)).await;
    assert!(csv.starts_with("id,type,name,value,pattern,tlp,labels") && csv.contains(&glacier) && csv.contains(&indicator) && !csv.contains(&secret), "{csv}");
    let iocs = get(format!("{}/intel/download?type=indicator&format=iocs", node.url)).await;
    assert_eq!(iocs, "203.0.113.77\n");
    let rules = get(format!("{}/intel/download?q=203.0.113.77&format=suricata", node.url)).await;
    assert!(rules.starts_with("alert ip $HOME_NET any -> 203.0.113.77 any") && rules.contains("sid:9100000;"), "a bare value's search too: {rules}");
    let bad = client().get(format!("{}/intel/download?format=pdf", node.url)).header(reqwest::header::COOKIE, &b.cookie).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let c_csv = client().get(format!("{}/intel/{report}/download?format=csv", node.url)).header(reqwest::header::COOKIE, &sign_in(&node, &node.liaison[2]).await.cookie).send().await.unwrap();
    assert_eq!(c_csv.status(), 404, "C may not see the report");
    assert!(b.get(&format!("/intel/{report}")).await.2.contains(&format!("href=\"/intel/{report}/download?format=csv\"")));
    // C sees the secret malware, and nothing that links to it.
    let c = sign_in(&node, &node.liaison[2]).await;
    let page = c.get(&format!("/intel/{secret}")).await.2;
    assert!(page.contains("No relationship with it that you may see.") && page.contains("No report, grouping, note or opinion naming it"), "{page}");
    // C's graph of the secret: itself alone (the relationship and the
    // report naming it are A–B's); of the indicator: a 404.
    let graph = c.get(&format!("/intel/{secret}/graph?depth=2")).await.2;
    assert!(graph.contains("1 objects you may see, 0 links") && !graph.contains(&indicator) && !graph.contains("Winter"), "{graph}");
    assert_eq!(c.get(&format!("/intel/{indicator}/graph")).await.0, 404);
}

/// The graph of an object's neighbourhood draws what the reader may see
/// and nothing else: B's graph of the indicator has the malware it
/// indicates and the report naming it, never the malware shared with C
/// alone (neither node, nor edge, nor id, nor name), one and two hops out;
/// what is drawn is logged to B, the secret never.
async fn the_graph_follows_the_release_policy(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "malware", "relationship", "report"]).await;
    let ac = ratified_agreement(&node, "A–C", &[0, 2], &["malware", "relationship"]).await;
    let base = |ty: &str, n: u32| json!({ "type": ty, "spec_version": "2.1", "id": format!("{ty}--2c2d3e4f-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a });
    let mut indicator = base("indicator", 1);
    indicator["name"] = "beacon <script>x</script>".into();
    indicator["pattern"] = "[ipv4-addr:value = '203.0.113.78']".into();
    indicator["pattern_type"] = "stix".into();
    indicator["valid_from"] = "2026-01-01T00:00:00Z".into();
    let mut glacier = base("malware", 2);
    glacier["name"] = "GlacierLock".into();
    glacier["is_family"] = true.into();
    glacier["first_seen"] = "2025-11-01T00:00:00Z".into();
    let mut secret = base("malware", 3);
    secret["name"] = "SecretStrain".into();
    secret["is_family"] = true.into();
    let rel = |n: u32, from: &serde_json::Value, to: &serde_json::Value, kind: &str| {
        let mut r = base("relationship", n);
        r["relationship_type"] = kind.into();
        r["source_ref"] = from["id"].clone();
        r["target_ref"] = to["id"].clone();
        r
    };
    let (r1, r2, r3) = (rel(4, &indicator, &glacier, "indicates"), rel(5, &indicator, &secret, "indicates"), rel(7, &glacier, &secret, "variant-of"));
    let mut report = base("report", 6);
    report["name"] = "Winter campaign".into();
    report["published"] = "2026-01-02T00:00:00Z".into();
    report["object_refs"] = json!([indicator["id"], glacier["id"]]);
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator, glacier, r1, r2, report], "agreements": [ab] }))).await;
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{s} {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [secret, r3], "agreements": [ac] }))).await;
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{s} {v}");
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    let (indicator, glacier, secret, report) = (id(&indicator), id(&glacier), id(&secret), id(&report));

    let b = sign_in(&node, &node.liaison[1]).await;
    assert!(b.get(&format!("/intel/{indicator}")).await.2.contains(&format!("href=\"/intel/{indicator}/graph\"")), "linked from the object page");
    for depth in ["1", "2"] {
        let (s, _, graph) = b.get(&format!("/intel/{indicator}/graph?depth={depth}")).await;
        assert_eq!(s, 200, "{graph}");
        assert!(graph.contains("<svg viewBox=") && graph.contains(&format!("href=\"/intel/{glacier}\"")) && graph.contains(&format!("href=\"/intel/{report}\"")), "{graph}");
        assert!(graph.contains("3 objects you may see, 3 links"), "the indicator, the malware, the report; indicates, names ×2: {graph}");
        assert!(!graph.contains(&secret) && !graph.contains("SecretStrain") && !graph.contains("variant-of") && !graph.contains("2c2d3e4f-0000-4000-8000-000000000005"), "nothing of what B may not see: {graph}");
        assert!(graph.contains("beacon &lt;script&gt;") && !graph.contains("<script>x"), "names escaped: {graph}");
    }
    // From the malware, two hops: the indicator and the report; the secret
    // variant (a relationship B may not see) never.
    let graph = b.get(&format!("/intel/{glacier}/graph?depth=2")).await.2;
    assert!(graph.contains(&format!("href=\"/intel/{indicator}\"")) && !graph.contains(&secret) && !graph.contains("variant-of"), "{graph}");
    let log = std::fs::read_to_string(node._dir.path().join("release.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"web\"") && l.contains(&report) && l.contains(&node.b)), "{log}");
    assert!(!log.lines().any(|l| (l.contains(&secret) || l.contains("2c2d3e4f-0000-4000-8000-000000000007")) && l.contains(&node.b) && l.contains("\"release\"")), "{log}");
    // C, who may see the secret and its variant link, does not see the
    // malware at the other end of it: the secret alone.
    let c = sign_in(&node, &node.liaison[2]).await;
    let graph = c.get(&format!("/intel/{secret}/graph?depth=2")).await.2;
    assert!(graph.contains("1 objects you may see, 0 links") && !graph.contains(&glacier) && !graph.contains("GlacierLock"), "{graph}");

    // The malware's page gathers its threat context: the indicator, and a
    // timeline oldest first; C's page of the secret names nothing of the
    // malware it is a variant of.
    let page = b.get(&format!("/intel/{glacier}")).await.2;
    let context = &page[page.find("<h2>Threat context</h2>").expect("a threat context")..page.find("<h2>Versions</h2>").unwrap()];
    assert!(context.contains("1 indicator you may see indicates it"), "{context}");
    let (first, indicated, named) = (context.find("first seen").expect("first seen"), context.find("indicator: beacon &lt;script&gt;").expect("the indicator"), context.find("Winter campaign").expect("the report"));
    assert!(first < indicated && indicated < named, "oldest first: {context}");
    assert!(!context.contains("SecretStrain") && !context.contains(&secret), "{context}");
    let page = c.get(&format!("/intel/{secret}")).await.2;
    let context = &page[page.find("<h2>Threat context</h2>").expect("a threat context")..page.find("<h2>Versions</h2>").unwrap()];
    assert!(context.contains("not available to you") && !context.contains("GlacierLock") && context.contains("0 indicators"), "{context}");
}

/// The dashboard's "Needs your attention": an agreement awaiting the
/// partner's ratification (not once it ratified), another party's notice,
/// an agreement ending within 30 days, and a sighting another partner made
/// of the partner's own indicator (not shown to a third partner).
async fn the_dashboard_says_what_needs_attention(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let attention = |html: &str| html[html.find("Needs your attention").expect("the section")..html.find("<h2>Agreements</h2>").unwrap()].to_owned();
    // Proposed by A, not ratified: a draft for both.
    let soon = model::Timestamp::from_micros(model::Timestamp::now().micros() + 10 * 86_400_000_000).to_string();
    let terms = json!({
        "title": "A–B <i>ending</i>", "purpose": "p", "party_refs": [node.a, node.b],
        "scope": { "object_types": ["indicator", "sighting"], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z", "valid_until": soon
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    let ab = v["id"].as_str().unwrap().to_owned();
    let a = sign_in(&node, &node.liaison[0]).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let c = sign_in(&node, &node.liaison[2]).await;
    assert!(attention(&a.get("/").await.2).contains("“A–B &lt;i&gt;ending&lt;/i&gt;” awaits your ratification"));
    assert_eq!(call(&node, &node.liaison[0], "POST", &format!("agreements/{ab}/ratify"), None).await.0, 201);
    let (on_a, on_b) = (attention(&a.get("/").await.2), attention(&b.get("/").await.2));
    assert!(!on_a.contains("awaits your ratification") && on_b.contains("awaits your ratification"), "A ratified, B has not: {on_a} / {on_b}");
    assert_eq!(call(&node, &node.liaison[1], "POST", &format!("agreements/{ab}/ratify"), None).await.0, 201);
    // In force and ending in ten days: both are told.
    let ends = format!("ends on {}", &soon[..10]);
    assert!(attention(&a.get("/").await.2).contains(&ends) && attention(&b.get("/").await.2).contains(&ends));
    // A trilateral one that A gives notice of suspending later: B and C are told, A is not.
    let abc = ratified_agreement(&node, "A–B–C", &[0, 1, 2], &["indicator"]).await;
    let later = model::Timestamp::from_micros(model::Timestamp::now().micros() + 5 * 86_400_000_000).to_string();
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("agreements/{abc}/suspend"), Some(json!({ "effective": later }))).await;
    assert_eq!(s, 201, "{v}");
    let told = format!("Aurelia gave notice of suspension of “A–B–C”: it takes effect {}", &later[..10]);
    assert!(attention(&b.get("/").await.2).contains(&told) && attention(&c.get("/").await.2).contains(&told));
    assert!(!attention(&a.get("/").await.2).contains("gave notice"));
    // B sights A's indicator: on A's dashboard, not on C's.
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--5e1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "beacon", "pattern": "[ipv4-addr:value = '203.0.113.19']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator], "agreements": [ab] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let sighting = json!({
        "type": "sighting", "spec_version": "2.1", "id": "sighting--5e2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "created": "2026-01-03T00:00:00Z", "modified": "2026-01-03T00:00:00Z",
        "created_by_ref": node.b, "sighting_of_ref": "indicator--5e1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "count": 3
    });
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [sighting], "agreements": [ab] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let on_a = attention(&a.get("/").await.2);
    assert!(on_a.contains("Sightings of your objects") && on_a.contains("/intel/sighting--5e2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b") && on_a.contains("<td>Borealis</td>"), "{on_a}");
    assert!(!attention(&c.get("/").await.2).contains("sighting--5e2f5a3e"), "not C's");
    assert!(!attention(&b.get("/").await.2).contains("Sightings of your objects"), "B's own sighting is not news to B");
}

/// The ATT&CK matrix: the attack patterns the reader may see in columns by
/// tactic in the matrix's order, each with how many relationships it may
/// see name it; a pattern shared with another partner only is not there.
async fn the_attack_matrix_follows_the_release_policy(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["attack-pattern", "intrusion-set", "relationship"]).await;
    let ac = ratified_agreement(&node, "A–C", &[0, 2], &["attack-pattern"]).await;
    let pattern = |n: u32, name: &str, technique: &str, tactic: &str| json!({
        "type": "attack-pattern", "spec_version": "2.1", "id": format!("attack-pattern--2c2d3e4f-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
        "name": name, "external_references": [{ "source_name": "mitre-attack", "external_id": technique }],
        "kill_chain_phases": [{ "kill_chain_name": "mitre-attack", "phase_name": tactic }]
    });
    let set = json!({ "type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--2c2d3e4f-0000-4000-8000-000000000009", "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": "Glacier Bear" });
    let uses = json!({ "type": "relationship", "spec_version": "2.1", "id": "relationship--2c2d3e4f-0000-4000-8000-000000000008", "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
        "relationship_type": "uses", "source_ref": set["id"], "target_ref": "attack-pattern--2c2d3e4f-0000-4000-8000-000000000002" });
    let shared = json!({ "objects": [pattern(1, "Command <b>interpreter</b>", "T1059", "execution"), pattern(2, "Phishing", "T1566", "initial-access"), set, uses], "agreements": [ab] });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(shared)).await;
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["status"] == "stored"), "{s} {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [pattern(3, "SecretTechnique", "T1003", "credential-access")], "agreements": [ac] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");

    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, _, html) = b.get("/intel/attack").await;
    assert_eq!(s, 200, "{html}");
    let (initial, execution) = (html.find("<h2>initial-access").expect("the initial-access column"), html.find("<h2>execution").expect("the execution column"));
    assert!(initial < execution, "the matrix's order: {html}");
    assert!(html.contains("<code>T1566</code> Phishing</a> <span class=\"count\">1</span>"), "used once: {html}");
    assert!(html.contains("<code>T1059</code> Command &lt;b&gt;interpreter&lt;/b&gt;</a>"), "escaped: {html}");
    assert!(!html.contains("SecretTechnique") && !html.contains("credential-access"), "{html}");
    let c = sign_in(&node, &node.liaison[2]).await;
    let html = c.get("/intel/attack").await.2;
    assert!(html.contains("SecretTechnique") && !html.contains("Phishing"), "{html}");
}

/// B reports a false positive on A's indicator from its page: an opinion
/// for A alone, under the agreement the indicator came by — on A's page of
/// the indicator, not on C's (a party to the same agreement); no form on a
/// partner's own object; the explanation is required.
async fn a_false_positive_reaches_the_author_alone(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let abc = ratified_agreement(&node, "A–B–C", &[0, 1, 2], &["indicator", "opinion"]).await;
    let id = "indicator--6e1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "resolver", "pattern": "[ipv4-addr:value = '198.51.100.53']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator], "agreements": [abc] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let page = format!("/intel/{id}");
    let a = sign_in(&node, &node.liaison[0]).await;
    assert!(!a.get(&page).await.2.contains("Report a false positive"), "not on its own object");
    let b = sign_in(&node, &node.liaison[1]).await;
    let shown = b.get(&page).await.2;
    assert!(shown.contains("Report a false positive"), "{shown}");
    let token = csrf_of(&shown);
    let r = b.post(&format!("{page}/false-positive"), &[("csrf", &token), ("explanation", "")]).await;
    assert_eq!(r.status(), 422, "an explanation is needed");
    let r = b.post(&format!("{page}/false-positive"), &[("csrf", &token), ("explanation", "our <b>resolver</b>")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let opinion = to.trim_start_matches("/intel/").to_owned();
    assert!(opinion.starts_with("opinion--"), "{to}");
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("objects/{opinion}"), None).await;
    assert_eq!(s, 200, "A receives it: {v}");
    assert_eq!((v["opinion"].as_str(), v["created_by_ref"].as_str(), v["labels"][0].as_str()), (Some("disagree"), Some(node.b.as_str()), Some("false-positive")), "{v}");
    assert_eq!(call(&node, &node.liaison[2], "GET", &format!("objects/{opinion}"), None).await.0, 404, "C, a party too, does not");
    let on_a = a.get(&page).await.2;
    let mentions = &on_a[on_a.find("In reports and notes").unwrap()..];
    assert!(mentions.contains(&format!("opinion: <a href=\"/intel/{opinion}\">False positive: our &lt;b&gt;resolver&lt;/b&gt;</a>")), "on A's page of it: {mentions}");
    let c = sign_in(&node, &node.liaison[2]).await;
    assert!(!c.get(&page).await.2.contains(&opinion), "not on C's");
    // A viewer may not report.
    let viewer = sign_in(&node, &node.viewer_a).await;
    let vt = csrf_of(&viewer.get("/").await.2);
    let r = viewer.post(&format!("{page}/false-positive"), &[("csrf", &vt), ("explanation", "x")]).await;
    assert_eq!(r.status(), 403);
}

/// The "Counted at" of a dashboard.
fn counted_at(html: &str) -> String {
    let start = html.find("<span class=\"counted\">").expect("the dashboard says when it counted") + "<span class=\"counted\">".len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// A partner's dashboard counts are reused while nothing arrives, and
/// counted again as soon as something does.
async fn dashboard_counts_are_reused_until_something_arrives(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let malware = |n: u32| json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": format!("m{n}"), "is_family": false});
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [malware(1)] }))).await;
    assert_eq!(s, 200, "{v}");
    // Past the moment a write in flight could still carry an earlier date.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let a = sign_in(&node, &node.liaison[0]).await;
    let first = a.get("/").await.2;
    let again = a.get("/").await.2;
    assert_eq!(counted_at(&first), counted_at(&again), "nothing arrived: the counts are reused");
    assert!(first.contains("/intel?type=malware"), "{first}");
    // Another partner's dashboard is its own.
    let b = sign_in(&node, &node.liaison[1]).await;
    assert!(!b.get("/").await.2.contains("/intel?type=malware"), "B does not see A's malware");
    // Something arrives: counted again, and it shows.
    let indicator = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000002",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": "i",
        "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator] }))).await;
    assert_eq!(s, 200, "{v}");
    let after = a.get("/").await.2;
    assert_ne!(counted_at(&after), counted_at(&first), "counted again");
    assert!(after.contains("/intel?type=indicator"), "{after}");
}

async fn hostile_text_is_escaped(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = share_hostile_indicator(&node).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    for path in ["/", "/intel", "/intel?q=hostile".to_owned().as_str(), &format!("/intel/{id}"), "/intel/indicator--00000000-0000-4000-8000-000000000009"] {
        let (s, csp, html) = b.get(path).await;
        assert!(s == 200 || s == 404, "{path}: {s}");
        assert_eq!(csp.as_deref(), Some(server::web::CSP), "{path}: the CSP");
        assert!(!html.contains("<script"), "{path}: a script element");
        assert!(!html.contains(PAYLOADS[3]), "{path}: an svg payload");
        assert!(!html.contains("onerror=\""), "{path}: an attribute handler");
        assert!(!html.contains("href=\"javascript:"), "{path}: a javascript URL");
        assert!(!html.contains(PAYLOADS[1]), "{path}");
    }
    for path in ["/intel?q=hostile", &format!("/intel/{id}")] {
        let html = b.get(path).await.2;
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{path}: {html}");
        assert!(html.contains("&quot; onerror=&quot;alert(1)"), "{path}: {html}");
    }
    let page = b.get(&format!("/intel/{id}")).await.2;
    assert!(page.contains("&lt;svg onload=alert(1)&gt;"), "{page}");
    assert!(page.contains("javascript:alert(1)"), "shown as text: {page}");
    // The login page and the stylesheet carry the headers too.
    let r = client().get(format!("{}/login", node.url)).send().await.unwrap();
    assert_eq!(r.headers()[CONTENT_SECURITY_POLICY], server::web::CSP);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
}

/// The link to the next page of results, if any.
fn more_link(html: &str) -> Option<String> {
    let end = html.find("\">More results")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].replace("&amp;", "&"))
}

async fn search_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let la = node.liaison[0].clone();
    // 55 of A's objects whose name matches "wanted", between 40 that do not.
    let objects: Vec<_> = (0..95)
        .map(|n| {
            let name = if n % 7 < 4 || n >= 60 { format!("wanted {n}") } else { format!("other {n}") };
            let labels = if n % 3 == 0 { vec!["Phishing"] } else { vec!["other"] };
            json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
                   "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                   "created_by_ref": node.a, "name": name, "is_family": false, "labels": labels})
        })
        .collect();
    let wanted = objects.iter().filter(|o| o["name"].as_str().unwrap().starts_with("wanted")).count();
    let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": objects }))).await;
    assert_eq!(s, 200, "{v}");
    // B shares 5 of its own with A.
    let agreement = ratified_agreement(&node, "A–B malware", &[0, 1], &["malware"]).await;
    let theirs: Vec<_> = (0..5)
        .map(|n| json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-9000-{n:012}"),
                        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
                        "created_by_ref": node.b, "name": format!("theirs {n}"), "is_family": false, "labels": ["phishing"]}))
        .collect();
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": theirs, "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    let phishing = 5 + (0..95).filter(|n| n % 3 == 0).count();
    let tomorrow = &model::Timestamp::from_micros(model::Timestamp::now().micros() + 86_400_000_000).as_str()[..10].to_owned();
    let a = sign_in(&node, &la).await;
    let by_a = format!("/intel?type=malware&partner={}", node.a);
    let by_b = format!("/intel?type=malware&partner={}", node.b);
    let before_tomorrow = format!("/intel?type=malware&before={tomorrow}");
    for (query, expected) in [
        ("/intel?type=malware", 100),
        ("/intel?q=WANTED", wanted),
        ("/intel?q=WANTED&sort=relevance", wanted),
        ("/intel?q=want&type=malware", wanted),
        ("/intel?label=PHISHING", phishing),
        ("/intel?q=wanted&label=phishing", (0..95).filter(|n| n % 3 == 0 && (n % 7 < 4 || *n >= 60)).count()),
        (by_a.as_str(), 95),
        (by_b.as_str(), 5),
        ("/intel?type=malware&before=2000-01-01", 0),
        (before_tomorrow.as_str(), 100),
    ] {
        let mut seen = std::collections::BTreeSet::new();
        let mut path = Some(query.to_owned());
        let mut pages = 0;
        while let Some(p) = path {
            let (s, _, html) = a.get(&p).await;
            assert_eq!(s, 200, "{p}: {html}");
            let on_page: Vec<_> = html.match_indices("href=\"/intel/malware--").map(|(i, _)| html[i + 13..i + 13 + 45].to_owned()).collect();
            assert!(on_page.len() <= 50, "{p}");
            for id in on_page {
                assert!(seen.insert(id.clone()), "{id} repeated");
            }
            path = more_link(&html);
            pages += 1;
        }
        assert_eq!(seen.len(), expected, "{query}");
        assert!(pages >= 2 || expected <= 50, "{query} took {pages} pages");
    }
    // B sees its own five among the phishing hits, none of A's: the hits
    // the gate drops are neither shown nor counted, and paging ends.
    let b = sign_in(&node, &node.liaison[1]).await;
    let mut path = Some("/intel?label=phishing&sort=relevance".to_owned());
    let mut seen = std::collections::BTreeSet::new();
    while let Some(p) = path {
        let html = b.get(&p).await.2;
        assert!(!html.contains("malware--00000000-0000-4000-8000-"), "one of A's, not shared: {html}");
        seen.extend(html.match_indices("href=\"/intel/malware--").map(|(i, _)| html[i + 13..i + 13 + 45].to_owned()));
        path = more_link(&html);
    }
    assert_eq!(seen.len(), 5);
    // Bad values get a page saying what to fix, not a JSON body.
    for (query, says) in [("/intel?after=yesterday", "added after"), ("/intel?q=%2B%2B", "text"), ("/intel?partner=nobody", "partner"), ("/intel?observable=nonsense", "observable"), ("/intel?next=forged", "")] {
        let r = client().get(format!("{}{query}", node.url)).header(COOKIE, &a.cookie).send().await.unwrap();
        assert_eq!(r.status(), 400, "{query}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{query}");
        let html = r.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains(says), "{query}: {html}");
    }
}

/// A page that is not there, an object the caller may not see, a bad search
/// value: HTML pages with the signed-in caller's navigation, never JSON; a
/// GET of a form's POST-only address (a refresh) goes to its page.
async fn error_pages_keep_the_navigation(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = crate::web::sign_in(&node, &node.token_a).await;
    let nav = "<nav aria-label=\"Main\">";
    for (path, status) in [("/intell", 404), ("/intel/malware--00000000-0000-4000-8000-000000000099", 404), ("/intel?after=someday", 400)] {
        let (s, csp, page) = a.get(path).await;
        assert_eq!(s.as_u16(), status, "{path}: {page}");
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains(nav), "{path}: the navigation: {page}");
        assert_eq!(csp.as_deref(), Some(server::web::CSP), "{path}");
    }
    // Signed out: the page without the navigation; the APIs keep their errors.
    let r = client().get(format!("{}/intell", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let page = r.text().await.unwrap();
    assert!(page.contains("There is no such page") && !page.contains(nav), "{page}");
    let r = client().get(format!("{}/api/v1/nothing", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    for (path, page) in [("/peers", "/partners"), ("/detection/sightings", "/detection"), ("/share/indicator", "/share")] {
        let r = client().get(format!("{}{path}", node.url)).header(COOKIE, &a.cookie).send().await.unwrap();
        assert_eq!((r.status(), r.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_owned())), (StatusCode::SEE_OTHER, Some(page.to_owned())), "{path}");
    }
}

/// Search lists the newest first: an object shared a moment ago after
/// 1,100 others is on the first page of a text search and of a type
/// listing, above the older matches; a search nothing matches says so
/// without offering more.
/// The text search's count ("1–50 of 63", "more than 1,000" past the
/// cap, nothing counted for a reader who may see none), its order by
/// column (best match puts name matches before newer description
/// matches), and whole words widened to prefixes when none matches.
async fn search_counts_sorts_and_widens(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let la = node.liaison[0].clone();
    let malware = |n: u32, name: &str, description: &str| json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": name, "description": description, "is_family": false});
    let hay: Vec<_> = (0..1100).map(|n| malware(n, "hay", "")).collect();
    for chunk in hay.chunks(550) {
        let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": chunk }))).await;
        assert_eq!(s, 200, "{v}");
    }
    // 60 named "wanted", then 3 newer with the word in the description only.
    let named: Vec<_> = (2000..2060).map(|n| malware(n, &format!("wanted {n}"), "")).collect();
    let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": named }))).await;
    assert_eq!(s, 200, "{v}");
    let described: Vec<_> = (3000..3003).map(|n| malware(n, "other", "the wanted one")).collect();
    let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": described }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &la).await;
    let ids = |html: &str| html.match_indices("href=\"/intel/malware--").map(|(i, _)| html[i + 13..i + 13 + 45].to_owned()).collect::<Vec<_>>();

    let (_, _, html) = a.get("/intel?q=wanted").await;
    assert!(html.contains("1–50 of 63"), "{html}");
    assert_eq!(ids(&html)[0], "malware--00000000-0000-4000-8000-000000003002", "newest first");
    assert!(html.contains("sort=relevance\">Match</a>"), "the Match column sorts by best match: {html}");
    let next = more_link(&html).expect("a second page");
    assert!(next.contains("at=50"), "{next}");
    let (_, _, html) = a.get(&next).await;
    assert!(html.contains("51–63 of 63"), "{html}");
    assert!(more_link(&html).is_none(), "a last page has no more: {html}");

    let (_, _, html) = a.get("/intel?q=wanted&sort=relevance").await;
    assert!(html.contains("1–50 of 63") && html.contains("Match ▾"), "{html}");
    let first = ids(&html);
    assert!(first.iter().all(|id| id.as_str() < "malware--00000000-0000-4000-8000-000000003000"), "name matches before newer description matches: {first:?}");
    assert!(html.contains("<td>name</td>") && html.contains("sort=\">Added</a>"), "{html}");
    let (_, _, html) = a.get(&more_link(&html).expect("a second page")).await;
    let rest = ids(&html);
    assert_eq!(rest[rest.len() - 3..], ["malware--00000000-0000-4000-8000-000000003002", "malware--00000000-0000-4000-8000-000000003001", "malware--00000000-0000-4000-8000-000000003000"], "the description matches last, newest first");
    assert!(html.contains("<td>description</td>"), "{html}");

    let (_, _, html) = a.get("/intel?q=hay").await;
    assert!(html.contains("1–50 of more than 1,000"), "capped: {html}");

    // "wante" is no whole word: its prefix is searched, and said so.
    let (_, _, html) = a.get("/intel?q=wante").await;
    assert!(html.contains("No whole word matches “wante”") && html.contains("1–50 of 63") && html.contains("value=\"wante*\""), "{html}");
    assert!(more_link(&html).unwrap().contains("q=wante*") || more_link(&html).unwrap().contains("q=wante%2A"), "the next page keeps the prefix");
    let (_, _, html) = a.get("/intel?q=wanted+one").await;
    assert!(html.contains("1–3 of 3") && !html.contains("No whole word"), "{html}");

    // C may see none of them: nothing is counted.
    let c = sign_in(&node, &node.liaison[2]).await;
    let (_, _, html) = c.get("/intel?q=wanted").await;
    assert!(html.contains("Nothing you may see matches.") && !html.contains(" of 63") && ids(&html).is_empty(), "{html}");
}

async fn search_finds_the_newest_first(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let la = node.liaison[0].clone();
    let malware = |n: u32, name: &str| json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": name, "is_family": false});
    let old: Vec<_> = (0..1100).map(|n| malware(n, if n == 3 { "needle, older" } else { "hay" })).collect();
    for chunk in old.chunks(550) {
        let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": chunk }))).await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": [malware(5000, "needle, newest")] }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &la).await;
    let (_, _, html) = a.get("/intel?q=needle").await;
    let newest = html.find("malware--00000000-0000-4000-8000-000000005000").expect("the newest match on the first page");
    let older = html.find("malware--00000000-0000-4000-8000-000000000003").expect("the older match too");
    assert!(newest < older, "newest first: {html}");
    assert!(more_link(&html).is_none() && !html.contains("Nothing"), "{html}");
    let (_, _, html) = a.get("/intel?type=malware").await;
    let first = html.find("href=\"/intel/malware--").map(|i| &html[i + 13..i + 13 + 45]);
    assert_eq!(first, Some("malware--00000000-0000-4000-8000-000000005000"), "{html}");
    let (_, _, html) = a.get("/intel?q=nowhere").await;
    assert!(html.contains("Nothing you may see matches.") && more_link(&html).is_none(), "{html}");
}

/// The dashboard's "new since your last visit": per user, from each
/// partner, through the release decision. A's two users each keep their
/// own mark; what B shares with A is counted, what B keeps and what C
/// holds are not; the count links to the objects.
async fn new_since_the_last_visit(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B malware", &[0, 1], &["malware"]).await;
    let fresh = |html: &str| {
        let start = html.find("New since your last visit").expect("the section");
        html[start..start + html[start..].find("</section>").unwrap()].to_owned()
    };
    let first = sign_in(&node, &node.liaison[0]).await;
    let second = sign_in(&node, &node.token_a).await;
    for user in [&first, &second] {
        let html = fresh(&user.get("/").await.2);
        assert!(html.contains("Your first visit"), "{html}");
    }
    let malware = |n: u32, author: &str| json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-a000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author, "name": format!("fresh {n}"), "is_family": false});
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [malware(1, &node.b)], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [malware(2, &node.b)] }))).await;
    assert_eq!(s, 200, "B's own, shared with no one: {v}");
    let (s, v) = call(&node, &node.liaison[2], "POST", "objects", Some(json!({ "objects": [malware(3, &node.c)] }))).await;
    assert_eq!(s, 200, "C's own: {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [malware(4, &node.a)] }))).await;
    assert_eq!(s, 200, "A's own is not new to A: {v}");
    // Past the slack a visit's mark leaves for writes in flight.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let html = fresh(&second.get("/").await.2);
    assert!(html.contains("Borealis") && html.contains(">1</a>"), "B's one shared object (its ratification is not intelligence): {html}");
    assert!(!html.contains("Aurelia") && !html.contains("Caldera"), "{html}");
    let html = fresh(&first.get("/").await.2);
    assert!(html.contains("Borealis") && html.contains(">1</a>"), "the other user's visit did not reset this one's: {html}");
    let start = html.find("href=\"/intel?partner=").unwrap() + "href=\"".len();
    let link = html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&");
    let (s, _, found) = first.get(&link).await;
    assert_eq!(s, 200, "{link}: {found}");
    assert!(found.contains("malware--00000000-0000-4000-a000-000000000001") && !found.contains("malware--00000000-0000-4000-a000-000000000002"), "{link}: {found}");
    let html = fresh(&first.get("/").await.2);
    assert!(html.contains("Nothing new from your partners since"), "seen at the last visit: {html}");
    // B's own dashboard: its first visit, nothing of A's or C's counted.
    let b = sign_in(&node, &node.liaison[1]).await;
    assert!(fresh(&b.get("/").await.2).contains("Your first visit"));
}

/// Curation: A's analyst notes B's object with tags from the taxonomy;
/// the note is A's alone (on A's page, "kept on this node"; B's page and
/// search show nothing of it), escaped; a tag outside the taxonomy is
/// refused naming it; a viewer may not write one.
async fn a_note_stays_on_the_node(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B malware", &[0, 1], &["malware"]).await;
    let id = "malware--00000000-0000-4000-b000-000000000001";
    let m = json!({"type": "malware", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.b, "name": "noted", "is_family": false});
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [m], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &node.token_a).await;
    let (_, _, page) = a.get(&format!("/intel/{id}")).await;
    assert!(page.contains("Add a note"), "{page}");
    let csrf = csrf_of(&page);
    let r = a.post(&format!("/intel/{id}/note"), &[("csrf", &csrf), ("content", "<script>alert(1)</script> seen by our SOC"), ("tags", "admiralty-scale:source-reliability=\"b\""), ("tags", "tlp:amber")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()[LOCATION], format!("/intel/{id}#notes"));
    let (_, _, page) = a.get(&format!("/intel/{id}")).await;
    let notes = &page[page.find("id=\"notes\"").unwrap()..page.find("Add a note").unwrap()];
    assert!(notes.contains("note: ") && notes.contains("(kept on this node)"), "{notes}");
    assert!(notes.contains("admiralty-scale:source-reliability=&quot;b&quot;, tlp:amber"), "{notes}");
    assert!(!page.contains("<script>alert(1)") && notes.contains("&lt;script&gt;"), "escaped: {notes}");
    // B, the object's author, sees nothing of it.
    let b = sign_in(&node, &node.liaison[1]).await;
    let (_, _, page) = b.get(&format!("/intel/{id}")).await;
    assert!(!page.contains("note: ") && !page.contains("seen by our SOC"), "{page}");
    let (_, _, found) = b.get("/intel?q=soc&type=note").await;
    assert!(!found.contains("href=\"/intel/note--"), "{found}");
    let (_, _, found) = a.get("/intel?q=soc&type=note").await;
    assert!(found.contains("href=\"/intel/note--"), "A finds its note: {found}");
    // Refused: a tag outside the taxonomy, no text; a viewer.
    let r = a.post(&format!("/intel/{id}/note"), &[("csrf", &csrf), ("content", "x"), ("tags", "tlp:purple")]).await;
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("tags: “tlp:purple” is not in the taxonomy"), "{text}");
    let r = a.post(&format!("/intel/{id}/note"), &[("csrf", &csrf), ("content", "  ")]).await;
    assert_eq!(r.status(), 422);
    let viewer = sign_in(&node, &node.viewer_a).await;
    let (_, _, page) = viewer.get(&format!("/intel/{id}")).await;
    assert!(!page.contains("Add a note"));
    let r = viewer.post(&format!("/intel/{id}/note"), &[("csrf", &csrf_of(&page)), ("content", "x")]).await;
    assert_eq!(r.status(), 403);
}
