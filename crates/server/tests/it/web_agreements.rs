//! The agreement and partner pages: proposing and ratifying through the
//! forms until the agreement is in force, need-to-know for non-parties, the
//! role and CSRF checks on every form, refused input named and kept,
//! hostile terms rendered as escaped text, notices and amendments, and the
//! partners page with the peers for the node's administrator alone.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::json;
use store::Role;

use crate::web::{csrf_of, sign_in, Browser, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(
    propose_and_ratify_through_the_pages,
    roles_and_csrf_are_checked,
    refused_input_is_named_and_kept,
    hostile_terms_are_escaped,
    notices_and_amendments,
    scheduled_notices_show_and_cancel,
    partners_and_peers
);

/// The propose form's fields for an agreement between A and B.
fn a_and_b<'a>(node: &'a Node, title: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("title", title),
        ("purpose", "share indicators of shared threats"),
        ("parties", &node.a),
        ("parties", &node.b),
        ("object_types", "indicator, malware"),
        ("labels", ""),
        ("data_kind", "real"),
        ("tlp_ceiling", "amber"),
        ("reshare", "parties-only"),
        ("attribution", "required"),
        ("valid_from", "2020-01-01"),
        ("valid_until", ""),
    ]
}

/// `fields` with `name` set to `value` (every other field kept).
fn with<'a>(fields: &[(&'static str, &'a str)], name: &str, value: &'a str) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, if *k == name { value } else { *v })).collect()
}

/// Posts `fields` to `path` with the CSRF token of the page at `form`.
async fn submit(browser: &Browser<'_>, form: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (s, _, html) = browser.get(form).await;
    assert_eq!(s, 200, "{form}: {html}");
    let csrf = csrf_of(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// Proposes through the form; returns the new agreement's id.
async fn propose(browser: &Browser<'_>, fields: &[(&str, &str)]) -> String {
    let r = submit(browser, "/agreements/new", "/agreements", fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let id = to.strip_prefix("/agreements/").expect("to the agreement's page").to_owned();
    assert!(id.starts_with("x-entente-agreement--"), "{to}");
    id
}

/// Presses the button of `action` (`ratify`, `suspend`, …) on the agreement's page.
async fn press(browser: &Browser<'_>, id: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    submit(browser, &format!("/agreements/{id}"), &format!("/agreements/{id}/{action}"), fields).await
}

async fn state_of(node: &Node, id: &str) -> String {
    let (s, v) = call(node, &node.liaison[0], "GET", &format!("agreements/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["state"].as_str().unwrap().to_owned()
}

async fn propose_and_ratify_through_the_pages(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = sign_in(&node, &node.liaison[0]).await;
    let (s, _, form) = a.get("/agreements/new").await;
    assert_eq!(s, 200, "{form}");
    for part in ["name=\"title\"", "name=\"purpose\"", "name=\"object_types\"", "name=\"labels\"", "name=\"data_kind\"", "name=\"tlp_ceiling\"", "name=\"reshare\"", "name=\"attribution\"", "name=\"valid_from\"", "name=\"valid_until\"", ">Propose</button>", "<legend>Parties</legend>", "value=\"amber+strict\""] {
        assert!(form.contains(part), "{part} in the form: {form}");
    }
    // One checkbox per partner; A's own is always a party.
    assert!(form.contains(&format!("type=\"hidden\" name=\"parties\" value=\"{}\"", node.a)), "{form}");
    for p in [&node.b, &node.c] {
        assert!(form.contains(&format!("type=\"checkbox\" name=\"parties\" value=\"{p}\"")), "{p}: {form}");
    }

    let id = propose(&a, &a_and_b(&node, "Indicators A–B")).await;
    let page = format!("/agreements/{id}");
    let (s, _, shown) = a.get(&page).await;
    assert_eq!(s, 200, "{shown}");
    for part in ["Indicators A–B", "share indicators of shared threats", "Aurelia, Borealis", "indicator, malware", "amber", "parties-only", "2020-01-01T00:00:00Z", "draft", ">Ratify</button>", ">Suspend</button>", ">Withdraw</button>", "Amend the terms"] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    assert!(a.get("/agreements").await.2.contains(&format!("href=\"{page}\"")), "in A's list");
    // The agreement's TAXII collection is named on its page, and answers there.
    let uuid = id.trim_start_matches("x-entente-agreement--");
    let collection = format!("/taxii2/root/collections/{uuid}/");
    assert!(shown.contains(&format!("<code>{collection}</code>")), "{shown}");
    let r = reqwest::Client::new().get(format!("{}{collection}", node.url)).bearer_auth(&node.liaison[0]).header(reqwest::header::ACCEPT, "application/taxii+json;version=2.1").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["id"], uuid);

    // A ratifies: B has not yet.
    let r = press(&a, &id, "ratify", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], page.as_str());
    let shown = a.get(&page).await.2;
    assert!(shown.contains("awaiting ratification by Borealis"), "{shown}");
    assert!(!shown.contains(">Ratify</button>"), "A ratified already: {shown}");
    assert_eq!(state_of(&node, &id).await, "awaiting-ratification");

    // B finds it, ratifies, and it is in force.
    let b = sign_in(&node, &node.liaison[1]).await;
    let list = b.get("/agreements").await.2;
    assert!(list.contains(&format!("href=\"{page}\"")) && list.contains("awaiting-ratification"), "{list}");
    assert!(!b.get(&page).await.2.contains("Amend the terms"), "only the proposer amends");
    let r = press(&b, &id, "ratify", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let shown = b.get(&page).await.2;
    assert!(shown.contains("in-force") && shown.contains("in force"), "{shown}");
    assert!(!shown.contains("not yet"), "both ratified: {shown}");
    assert_eq!(state_of(&node, &id).await, "in-force");

    // C is no party: not in its list, and its page is the 404 of a missing agreement.
    let c = sign_in(&node, &node.liaison[2]).await;
    let list = c.get("/agreements").await.2;
    assert!(!list.contains(&id) && !list.contains("Indicators A–B"), "{list}");
    let (s, _, refused) = c.get(&page).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, missing) = c.get("/agreements/x-entente-agreement--00000000-0000-4000-8000-000000000001").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(refused, missing, "refused and missing look the same");
    assert!(!refused.contains("Indicators"), "{refused}");
    let csrf = csrf_of(&c.get("/agreements").await.2);
    assert_eq!(c.post(&format!("{page}/ratify"), &[("csrf", &csrf)]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.post(&format!("{page}/suspend"), &[("csrf", &csrf)]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(state_of(&node, &id).await, "in-force");
}

async fn roles_and_csrf_are_checked(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = sign_in(&node, &node.liaison[0]).await;
    let id = propose(&a, &a_and_b(&node, "Roles")).await;
    let page = format!("/agreements/{id}");
    let count = || async { call(&node, &node.liaison[0], "GET", "agreements", None).await.1["agreements"].as_array().unwrap().len() };

    // A viewer and an analyst of A, a party, see the agreement but no form to act.
    for token in [&node.viewer_a, &node.token_a] {
        let who = sign_in(&node, token).await;
        let (s, _, shown) = who.get(&page).await;
        assert_eq!(s, 200, "{shown}");
        assert!(shown.contains("Roles") && shown.contains("draft"), "{shown}");
        for action in ["/ratify\"", "/suspend\"", "/withdraw\"", "/amend\"", ">Ratify<", ">Suspend<"] {
            assert!(!shown.contains(action), "{action}: {shown}");
        }
        assert!(!who.get("/agreements").await.2.contains("/agreements/new"), "no propose link");
        let (s, _, refused) = who.get("/agreements/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(refused.starts_with("<!DOCTYPE html>") && refused.contains("liaison"), "a page saying why: {refused}");
        // Their POSTs, with a good CSRF token, are refused with a page.
        let csrf = csrf_of(&shown);
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(a_and_b(&node, "Not theirs"));
        for (path, form) in [("/agreements".to_owned(), fields.clone()), (format!("{page}/ratify"), vec![("csrf", &csrf)]), (format!("{page}/suspend"), vec![("csrf", &csrf)]), (format!("{page}/amend"), fields.clone())] {
            let r = who.post(&path, &form).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
            let body = r.text().await.unwrap();
            assert!(body.starts_with("<!DOCTYPE html>") && !body.contains("\"http_status\""), "{path}: {body}");
        }
    }
    assert_eq!(count().await, 1, "nothing proposed by them");
    assert_eq!(state_of(&node, &id).await, "draft", "nothing ratified by them");

    // Without the CSRF token, or with another, the liaison's POSTs are refused too.
    let other = sign_in(&node, &node.liaison[1]).await;
    let theirs = csrf_of(&other.get("/agreements").await.2);
    for csrf in [None, Some("0000"), Some(theirs.as_str())] {
        let mut fields: Vec<(&str, &str)> = a_and_b(&node, "Forged");
        let mut ratify = vec![];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
            ratify.push(("csrf", c));
        }
        assert_eq!(a.post("/agreements", &fields).await.status(), StatusCode::FORBIDDEN, "{csrf:?}");
        assert_eq!(a.post(&format!("{page}/ratify"), &ratify).await.status(), StatusCode::FORBIDDEN, "{csrf:?}");
        assert_eq!(a.post(&format!("{page}/withdraw"), &ratify).await.status(), StatusCode::FORBIDDEN, "{csrf:?}");
    }
    assert_eq!(count().await, 1, "nothing forged was proposed");
    assert_eq!(state_of(&node, &id).await, "draft", "nothing forged was ratified or withdrawn");
}

async fn refused_input_is_named_and_kept(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = sign_in(&node, &node.liaison[0]).await;
    let good = a_and_b(&node, "Kept title 7341");
    let unknown = "identity--00000000-0000-4000-8000-00000000dead";
    let mut stranger = good.clone();
    stranger.push(("parties", unknown));
    let cases = [
        (with(&good, "title", "  "), "title", "value=\"indicator, malware\""),
        (stranger, "parties", "value=\"Kept title 7341\""),
        (with(&good, "valid_from", "2026-13-45"), "valid_from", "value=\"2026-13-45\""),
        (with(&with(&good, "valid_from", "2026-06-01"), "valid_until", "2026-01-01"), "valid_until", "value=\"2026-01-01\""),
        (with(&good, "object_types", "indicator, not a type!"), "object_types", "value=\"indicator, not a type!\""),
        (with(&good, "tlp_ceiling", "purple"), "tlp_ceiling", "value=\"purple\" selected"),
        (good.iter().copied().filter(|(k, v)| *k != "parties" || *v == node.a.as_str()).collect(), "parties", "value=\"Kept title 7341\""),
    ];
    for (fields, at_fault, kept) in cases {
        let r = submit(&a, "/agreements/new", "/agreements", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{at_fault}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("role=\"alert\">Check the field <code>{at_fault}</code>")), "{at_fault} named: {html}");
        assert!(html.contains(&format!("id=\"{at_fault}-error\"")), "{at_fault}: the message beside the field: {html}");
        assert!(html.contains(kept), "{at_fault}: {kept} kept: {html}");
        assert!(html.contains("share indicators of shared threats"), "{at_fault}: the purpose kept");
        assert!(html.contains(">Propose</button>"), "{at_fault}: the form again");
    }
    // B, once chosen, stays checked; the unknown party is not offered.
    let r = submit(&a, "/agreements/new", "/agreements", &with(&good, "valid_from", "soon")).await;
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("name=\"parties\" value=\"{}\" checked", node.b)), "{html}");
    assert!(!html.contains(&format!("name=\"parties\" value=\"{}\" checked", node.c)), "{html}");
    let (s, v) = call(&node, &node.liaison[0], "GET", "agreements", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["agreements"], json!([]), "nothing was proposed");
}

async fn hostile_terms_are_escaped(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let a = sign_in(&node, &node.liaison[0]).await;
    let title = format!("A–B {} {}", PAYLOADS[0], PAYLOADS[1]);
    let purpose = PAYLOADS.join(" ");
    let fields = with(&with(&with(&a_and_b(&node, &title), "purpose", &purpose), "labels", PAYLOADS[3]), "object_types", "");
    let id = propose(&a, &fields).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let page = format!("/agreements/{id}");
    for (who, path) in [(&a, "/agreements"), (&a, page.as_str()), (&a, &format!("{page}/amend")), (&b, "/agreements"), (&b, page.as_str()), (&b, "/")] {
        let (s, csp, html) = who.get(path).await;
        assert_eq!(s, 200, "{path}: {html}");
        assert_eq!(csp.as_deref(), Some(server::web::CSP), "{path}: the CSP");
        assert!(!html.contains("<script"), "{path}: a script element");
        assert!(!html.contains(PAYLOADS[3]), "{path}: an svg payload");
        assert!(!html.contains("onerror=\""), "{path}: an attribute handler");
        assert!(!html.contains("href=\"javascript:"), "{path}: a javascript URL");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{path}: the title as text: {html}");
    }
    let shown = b.get(&page).await.2;
    assert!(shown.contains("&lt;svg onload=alert(1)&gt;") && shown.contains("javascript:alert(1)"), "{shown}");
    // A refused form shows what was typed, escaped as well.
    let r = submit(&a, "/agreements/new", "/agreements", &with(&fields, "valid_from", PAYLOADS[0])).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script") && !html.contains("<svg") && !html.contains("onerror=\""), "{html}");
    assert!(html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), "{html}");
}

async fn notices_and_amendments(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "Malware A–B", &[0, 1], &["malware"]).await;
    let page = format!("/agreements/{id}");
    let a = sign_in(&node, &node.liaison[0]).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    assert!(a.get(&page).await.2.contains("in-force"));
    assert!(!a.get(&page).await.2.contains(">Resume</button>"), "nothing to resume");

    // A bad date in a notice form: 422, the field named, the date kept.
    let r = press(&a, &id, "suspend", &[("effective", "tomorrow")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Check the field <code>effective</code>") && html.contains("value=\"tomorrow\""), "{html}");
    assert_eq!(state_of(&node, &id).await, "in-force");

    // A suspends, then resumes.
    let r = press(&a, &id, "suspend", &[("effective", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let shown = a.get(&page).await.2;
    assert!(shown.contains("suspended by Aurelia") && shown.contains(">Resume</button>") && shown.contains("suspension"), "{shown}");
    assert!(!shown.contains(">Suspend</button>"), "suspended already: {shown}");
    assert_eq!(state_of(&node, &id).await, "suspended");
    assert_eq!(press(&a, &id, "resume", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&node, &id).await, "in-force");
    let shown = a.get(&page).await.2;
    assert!(shown.contains(">Suspend</button>") && !shown.contains(">Resume</button>") && shown.contains("resumption"), "{shown}");

    // Only the proposer amends: B is refused; A's form is filled with the terms.
    let (s, _, refused) = b.get(&format!("{page}/amend")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");
    let (s, _, form) = a.get(&format!("{page}/amend")).await;
    assert_eq!(s, 200, "{form}");
    for part in ["value=\"Malware A–B\"", "value=\"malware\"", "value=\"2020-01-01T00:00:00Z\"", "value=\"parties-only\" selected", "value=\"amber\" selected", ">Amend</button>"] {
        assert!(form.contains(part), "{part}: {form}");
    }
    assert!(form.contains(&format!("name=\"parties\" value=\"{}\" checked", node.b)), "{form}");
    let mut fields = a_and_b(&node, "Malware and tools A–B");
    fields = with(&fields, "object_types", "malware, tool");
    let r = submit(&a, &format!("{page}/amend"), &format!("{page}/amend"), &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let shown = a.get(&page).await.2;
    assert!(shown.contains("Malware and tools A–B") && shown.contains("malware, tool") && shown.contains("(current)"), "{shown}");
    assert!(shown.contains("Malware A–B"), "the first version is listed: {shown}");
    assert_eq!(state_of(&node, &id).await, "draft", "a new version is ratified again");
    // A refused amendment keeps the amend form.
    let r = submit(&a, &format!("{page}/amend"), &format!("{page}/amend"), &with(&fields, "title", "")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(">Amend</button>"));

    // B withdraws: final, and no more notice forms for B.
    assert_eq!(press(&b, &id, "withdraw", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&node, &id).await, "withdrawn");
    let shown = b.get(&page).await.2;
    assert!(shown.contains("withdrawn by Borealis") && !shown.contains(">Withdraw</button>"), "{shown}");
}

/// A withdrawal given for a later date shows in the agreement's state on its
/// page and in the list, and its author cancels it: the agreement then
/// stays in force with nothing scheduled. B sees it and cannot cancel it.
async fn scheduled_notices_show_and_cancel(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "Scheduled A–B", &[0, 1], &["malware"]).await;
    let page = format!("/agreements/{id}");
    let a = sign_in(&node, &node.liaison[0]).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    assert_eq!(press(&a, &id, "withdraw", &[("effective", "2099-01-01")]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(state_of(&node, &id).await, "in-force", "not in effect yet");
    let shown = a.get(&page).await.2;
    assert!(shown.contains("Scheduled: Aurelia's withdrawal from 2099-01-01"), "{shown}");
    assert!(shown.contains(">Cancel this withdrawal</button>") && shown.contains("(scheduled)"), "{shown}");
    let list = a.get("/agreements").await.2;
    assert!(list.contains("scheduled: Aurelia's withdrawal from 2099-01-01"), "{list}");
    let seen_by_b = b.get(&page).await.2;
    assert!(seen_by_b.contains("Scheduled: Aurelia's withdrawal") && !seen_by_b.contains("Cancel this"), "{seen_by_b}");
    let at = shown.find("/notices/").expect("the cancel form");
    let action = shown[..at].rsplit('"').next().unwrap().to_owned() + shown[at..].split('"').next().unwrap();
    assert_eq!(submit(&b, &page, &action, &[]).await.status(), StatusCode::FORBIDDEN, "only its author cancels it");
    assert_eq!(submit(&a, &page, &action, &[]).await.status(), StatusCode::SEE_OTHER);
    let shown = a.get(&page).await.2;
    assert!(!shown.contains("Scheduled:") && shown.contains("(cancelled)") && shown.contains(">Withdraw</button>"), "{shown}");
    assert!(!a.get("/agreements").await.2.contains("scheduled:"));
    assert_eq!(state_of(&node, &id).await, "in-force");
    assert_eq!(submit(&a, &page, &action, &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "cancelled already");

    // The same through the API: a scheduled suspension, cancelled by its author only.
    let (s, n) = call(&node, &node.liaison[0], "POST", &format!("agreements/{id}/suspend"), Some(serde_json::json!({"effective": "2099-01-01T00:00:00Z"}))).await;
    assert_eq!(s, 201, "{n}");
    let cancel = format!("agreements/{id}/notices/{}/cancel", n["id"].as_str().unwrap());
    assert_eq!(call(&node, &node.liaison[1], "POST", &cancel, None).await.0, 403, "B cannot cancel A's notice");
    let (s, v) = call(&node, &node.liaison[0], "POST", &cancel, None).await;
    assert_eq!((s.as_u16(), &v["revoked"]), (201, &serde_json::json!(true)), "{v}");
    assert_eq!(call(&node, &node.liaison[0], "POST", &cancel, None).await.0, 422);
    assert!(!a.get(&page).await.2.contains("Scheduled:"));
}

/// The public key (base64) in partner `id`'s own identity object.
async fn public_key(node: &Node, id: &str) -> String {
    let (store, id) = (node.store.clone(), id.to_owned());
    tokio::task::spawn_blocking(move || {
        let q = store::Query { types: vec!["identity".into()], versions: store::Versions::LAST, ..Default::default() };
        let page = store.query(&q).unwrap();
        let record = page.records.iter().find(|r| r.id == id).expect("the partner's identity");
        let object = model::Object::parse(&record.json, &model::Limits::default()).unwrap();
        policy::ext::public_key_of(&object).unwrap().expect("a public key")
    })
    .await
    .unwrap()
}

async fn partners_and_peers(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (registry, a) = (node.registry.clone(), node.a.clone());
    let admin_token = tokio::task::spawn_blocking(move || {
        let (t, rec) = server::auth::issue(&a, "admin", Role::Admin, 0, None);
        registry.put_token(&rec).unwrap();
        t
    })
    .await
    .unwrap();
    ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;

    // The node's administrator sees every partner, with keys, and the peers.
    let admin = sign_in(&node, &admin_token).await;
    let (s, _, html) = admin.get("/partners").await;
    assert_eq!(s, 200, "{html}");
    for part in ["Aurelia", "Borealis", "Caldera", &node.a, &node.b, &node.c, "this node's own", "hosted on this node", "<h2>Peers</h2>", "pulls from no peer", "entente partner add --identity"] {
        assert!(html.contains(part), "{part}: {html}");
    }
    for p in [&node.a, &node.b, &node.c] {
        let key = public_key(&node, p).await;
        assert!(html.contains(&key), "{p}'s key {key}: {html}");
    }
    assert!(html.contains("<th scope=\"row\">Aurelia</th>"), "{html}");

    // Others see the partners they may know of, and no peers.
    let b = sign_in(&node, &node.liaison[1]).await;
    let html = b.get("/partners").await.2;
    assert!(html.contains("Aurelia") && html.contains("Borealis") && !html.contains("Caldera") && !html.contains(&node.c), "{html}");
    assert!(!html.contains("Peers") && !html.contains("action=\"/peers\""), "{html}");
    let c = sign_in(&node, &node.liaison[2]).await;
    let html = c.get("/partners").await.2;
    assert!(html.contains("Caldera") && html.contains("Aurelia") && !html.contains("Borealis"), "{html}");

    // A remote partner D, known by its identity; then its node as a peer.
    let (_, public) = policy::generate_keypair().unwrap();
    let d = model::StixId::parse("identity--d0000000-0000-4000-8000-00000000000d").unwrap();
    let created = model::Timestamp::parse("2026-01-01T00:00:00.000Z").unwrap();
    let mut identity = policy::ext::partner_identity(&d, "Dalmatia", &public, &created).unwrap().to_value();
    identity["created_by_ref"] = json!(d.as_str());
    let (s, v) = call(&node, &admin_token, "POST", "partners", Some(json!({ "identity": identity }))).await;
    assert_eq!(s, 201, "{v}");
    let html = admin.get("/partners").await.2;
    assert!(html.contains("Dalmatia") && html.contains("remote") && html.contains(">Add peer</button>") && html.contains(&public), "{html}");

    let secret = "ent_0123456789ab_peer-credential-never-shown";
    let peer = |url: &'static str| vec![("url", url), ("partner", d.as_str()), ("token", secret), ("ca_pem", "")];
    // A plain-http URL off loopback is refused, the field named, the URL kept, the credential not echoed.
    let r = submit(&admin, "/partners", "/peers", &peer("http://node-d.example/taxii2/")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Check the field <code>url</code>") && html.contains("value=\"http://node-d.example/taxii2/\""), "{html}");
    assert!(!html.contains(secret), "the credential is never shown");
    // A hosted partner is not a peer.
    let r = submit(&admin, "/partners", "/peers", &with(&peer("https://node-d.example/taxii2/"), "partner", &node.b)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Check the field <code>partner</code>"));
    // A credential of two words, CA certificates that are none: each its field.
    for (field, value) in [("token", "two words"), ("ca_pem", "no certificate here"), ("ca_pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")] {
        let r = submit(&admin, "/partners", "/peers", &with(&peer("https://node-d.example/taxii2/"), field, value)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}: {value}");
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("Check the field <code>{field}</code>")), "{field}: {value}: {html}");
    }
    // Only the node's administrator adds peers, and only with the CSRF token.
    let r = submit(&b, "/partners", "/peers", &peer("https://node-d.example/taxii2/")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("administrator"));
    assert_eq!(admin.post("/peers", &peer("https://node-d.example/taxii2/")).await.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let (_, v) = call(&node, &admin_token, "GET", "peers", None).await;
    assert_eq!(v["peers"], json!([]), "no peer added yet: {v}");

    let r = submit(&admin, "/partners", "/peers", &peer("https://node-d.example/taxii2/")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/partners");
    let (_, v) = call(&node, &admin_token, "GET", "peers", None).await;
    assert_eq!(v["peers"][0]["url"], "https://node-d.example/taxii2/", "{v}");
    assert_eq!(v["peers"][0]["partner"], d.as_str(), "{v}");
    let html = admin.get("/partners").await.2;
    assert!(html.contains("https://node-d.example/taxii2/") && html.contains("never") && html.contains("public roots"), "{html}");
    assert!(!html.contains(secret), "the credential is never shown");
    assert!(!b.get("/partners").await.2.contains("node-d.example"), "peers are the administrator's");
}
