//! Agreements through the REST API: propose, ratify, amend, give notice,
//! derived state, need-to-know, and every cross-partner write refused.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::{call, start, Backend, Node};

crate::on_both_backends!(agreement_lifecycle, cross_partner_writes_are_refused, a_party_amended_out_sees_it_no_more);

fn terms(node: &Node) -> Value {
    json!({
        "title": "A–B indicator sharing",
        "purpose": "share indicators of shared threats",
        "party_refs": [node.a, node.b],
        "scope": { "object_types": ["indicator"], "labels": [], "data_kind": "real" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    })
}

async fn state_of(node: &Node, token: &str, id: &str) -> String {
    let (s, v) = call(node, token, "GET", &format!("agreements/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["state"].as_str().unwrap().to_owned()
}

async fn agreement_lifecycle(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let [la, lb, lc] = node.liaison.clone();
    let (s, created) = call(&node, &la, "POST", "agreements", Some(terms(&node))).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(state_of(&node, &la, &id).await, "draft");

    // Need-to-know: B sees it, C does not even learn it exists.
    let (_, listed) = call(&node, &lb, "GET", "agreements", None).await;
    assert_eq!(listed["agreements"].as_array().unwrap().len(), 1);
    let (_, listed) = call(&node, &lc, "GET", "agreements", None).await;
    assert_eq!(listed["agreements"], json!([]));
    assert_eq!(call(&node, &lc, "GET", &format!("agreements/{id}"), None).await.0, 404);

    // Ratified by both: in force.
    assert_eq!(call(&node, &lb, "POST", &format!("agreements/{id}/ratify"), None).await.0, 201);
    assert_eq!(state_of(&node, &la, &id).await, "awaiting-ratification");
    assert_eq!(call(&node, &la, "POST", &format!("agreements/{id}/ratify"), None).await.0, 201);
    assert_eq!(state_of(&node, &lb, &id).await, "in-force");
    let (_, v) = call(&node, &la, "GET", &format!("agreements/{id}"), None).await;
    assert!(v["ratifications"].as_array().unwrap().iter().all(|r| r["signature_valid"] == true), "{v}");

    // An amendment is a new version: ratifications of the old one do not count.
    let mut amended = terms(&node);
    amended["tlp_ceiling"] = json!("green");
    let (s, v) = call(&node, &la, "POST", &format!("agreements/{id}"), Some(amended)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(state_of(&node, &la, &id).await, "draft");
    call(&node, &la, "POST", &format!("agreements/{id}/ratify"), None).await;
    call(&node, &lb, "POST", &format!("agreements/{id}/ratify"), None).await;
    assert_eq!(state_of(&node, &la, &id).await, "in-force");

    // Notices: suspension, resumption, withdrawal.
    assert_eq!(call(&node, &lb, "POST", &format!("agreements/{id}/suspend"), None).await.0, 201);
    assert_eq!(state_of(&node, &la, &id).await, "suspended");
    // A resumption must take effect after the suspension.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(call(&node, &lb, "POST", &format!("agreements/{id}/resume"), None).await.0, 201);
    assert_eq!(state_of(&node, &la, &id).await, "in-force");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(call(&node, &la, "POST", &format!("agreements/{id}/withdraw"), None).await.0, 201);
    assert_eq!(state_of(&node, &lb, &id).await, "withdrawn");

    // Invalid terms name the property.
    let mut bad = terms(&node);
    bad["tlp_ceiling"] = json!("purple");
    let (s, v) = call(&node, &la, "POST", "agreements", Some(bad)).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap().contains("tlp_ceiling"), "{v}");
}

/// Membership is need-to-know on every path: a party an amendment removes
/// no longer sees the agreement through the API (as TAXII stops releasing
/// its records to it), while the remaining parties do.
async fn a_party_amended_out_sees_it_no_more(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let [la, lb, lc] = node.liaison.clone();
    let mut three = terms(&node);
    three["party_refs"] = json!([node.a, node.b, node.c]);
    let (s, created) = call(&node, &la, "POST", "agreements", Some(three)).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&node, &lc, "GET", &format!("agreements/{id}"), None).await.0, 200, "C is a party");
    // A amends C out: the new terms are B's and A's business only.
    let mut two = terms(&node);
    two["title"] = json!("A–B only, now");
    let (s, v) = call(&node, &la, "POST", &format!("agreements/{id}"), Some(two)).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &lc, "GET", &format!("agreements/{id}"), None).await;
    assert_eq!(s, 404, "C still sees the amended agreement: {v}");
    let (_, listed) = call(&node, &lc, "GET", "agreements", None).await;
    assert_eq!(listed["agreements"], json!([]), "C still lists it");
    let (s, v) = call(&node, &lb, "GET", &format!("agreements/{id}"), None).await;
    assert_eq!((s, v["title"].as_str()), (StatusCode::OK, Some("A–B only, now")), "{v}");
    assert_eq!(call(&node, &la, "GET", &format!("agreements/{id}"), None).await.0, 200, "the proposer sees its own");
}

/// Every mutating endpoint, by every role, on another partner's behalf or on
/// an agreement the caller is not party to: refused.
async fn cross_partner_writes_are_refused(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let [la, lb, lc] = node.liaison.clone();
    let (_, created) = call(&node, &la, "POST", "agreements", Some(terms(&node))).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut checked = 0;
    let mut wrongly_accepted = 0;
    let mut expect_refused = |status: StatusCode, what: &str| {
        checked += 1;
        if status.is_success() {
            wrongly_accepted += 1;
            eprintln!("wrongly accepted: {what}");
        }
    };
    // C is not a party: nothing it can do to the agreement.
    for action in ["ratify", "suspend", "resume", "withdraw"] {
        let (s, _) = call(&node, &lc, "POST", &format!("agreements/{id}/{action}"), None).await;
        expect_refused(s, &format!("C {action}"));
    }
    let (s, _) = call(&node, &lc, "POST", &format!("agreements/{id}"), Some(terms(&node))).await;
    expect_refused(s, "C amends");
    // B is a party but not the proposer: it cannot amend.
    let (s, _) = call(&node, &lb, "POST", &format!("agreements/{id}"), Some(terms(&node))).await;
    expect_refused(s, "B amends A's agreement");
    // No one can propose in another's name: extra envelope properties are refused,
    // and the author is always the caller.
    let mut as_a = terms(&node);
    as_a["created_by_ref"] = json!(node.a);
    let (s, _) = call(&node, &lb, "POST", "agreements", Some(as_a)).await;
    expect_refused(s, "B proposes with created_by_ref A");
    // A proposal that leaves the proposer out of the parties.
    let mut without_c = terms(&node);
    without_c["party_refs"] = json!([node.a, node.b]);
    let (s, _) = call(&node, &lc, "POST", "agreements", Some(without_c)).await;
    expect_refused(s, "C proposes an agreement between A and B");
    // Roles below liaison cannot act on agreements at all.
    for token in [node.token_a.clone(), node.viewer_a.clone()] {
        for (method, path) in [("POST", "agreements".to_owned()), ("POST", format!("agreements/{id}/ratify")), ("POST", format!("agreements/{id}/withdraw"))] {
            let (s, _) = call(&node, &token, method, &path, Some(terms(&node))).await;
            expect_refused(s, &format!("analyst/viewer {method} {path}"));
        }
    }
    // The same endpoints work for a caller who is entitled: C proposes its own.
    let mut own = terms(&node);
    own["party_refs"] = json!([node.c, node.a]);
    assert_eq!(call(&node, &lc, "POST", "agreements", Some(own)).await.0, 201);
    // Nothing of the above changed the agreement.
    assert_eq!(state_of(&node, &la, &id).await, "draft");

    // Sharing and release grants. A shares its own object (the control).
    let object = |author: &str, n: u32| {
        json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
               "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
               "created_by_ref": author, "name": format!("m{n}"), "is_family": false})
    };
    let share = |token: String, objects: Vec<Value>, agreements: Vec<String>| {
        let node = &node;
        async move {
            let (s, v) = call(node, &token, "POST", "objects", Some(json!({ "objects": objects, "agreements": agreements }))).await;
            // A request answered 200 may still refuse objects one by one.
            let refused = v["results"].as_array().is_some_and(|r| r.iter().any(|x| x["status"] == "refused"));
            if s.is_success() && refused { StatusCode::UNPROCESSABLE_ENTITY } else { s }
        }
    };
    assert_eq!(share(la.clone(), vec![object(&node.a, 1)], vec![id.clone()]).await, 200);
    let (s, v) = call(&node, &la, "GET", "objects/malware--00000000-0000-4000-8000-000000000001/release?partner=".to_owned().as_str(), None).await;
    assert_eq!(s, 400, "{v}");
    // C shares under an agreement it is not party to.
    expect_refused(share(lc.clone(), vec![object(&node.c, 2)], vec![id.clone()]).await, "C shares under A–B");
    // B grants a release of A's object, or writes in A's name.
    expect_refused(share(lb.clone(), vec![object(&node.a, 1)], vec![id.clone()]).await, "B shares A's object");
    expect_refused(share(lb.clone(), vec![object(&node.a, 3)], vec![]).await, "B writes with created_by_ref A");
    // C adds to the agreement's TAXII collection.
    let cid = id.trim_start_matches("x-entente-agreement--");
    let r = Client::new()
        .post(format!("{}/taxii2/root/collections/{cid}/objects/", node.url))
        .bearer_auth(&lc)
        .header("Accept", "application/taxii+json;version=2.1")
        .header("Content-Type", "application/taxii+json;version=2.1")
        .body(json!({ "objects": [object(&node.c, 4)] }).to_string())
        .send()
        .await
        .unwrap();
    expect_refused(r.status(), "C posts into the A–B collection");
    // Only the author (or the node's admin) asks why a partner may receive an object.
    for (token, who) in [(&lb, "B"), (&lc, "C")] {
        let path = format!("objects/malware--00000000-0000-4000-8000-000000000001/release?partner={}", node.b);
        let (s, _) = call(&node, token, "GET", &path, None).await;
        expect_refused(s, &format!("{who} asks for the release explanation of A's object"));
    }
    // Partners are added by the node's admin only.
    for (token, who) in [(&la, "A's liaison"), (&lb, "B's liaison"), (&node.token_a, "A's analyst")] {
        let (s, _) = call(&node, token, "POST", "partners", Some(json!({ "name": "Intruder" }))).await;
        expect_refused(s, &format!("{who} adds a partner"));
    }
    // Need to know: C, party to no agreement, does not learn that B exists;
    // B knows A (its co-party) and not C.
    let ids = |v: &Value| -> Vec<String> {
        v["partners"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
    };
    let (_, v) = call(&node, &lc, "GET", "partners", None).await;
    assert!(ids(&v).contains(&node.c) && !ids(&v).contains(&node.b), "C's list: {v}");
    let (_, v) = call(&node, &lb, "GET", "partners", None).await;
    assert!(ids(&v).contains(&node.a) && !ids(&v).contains(&node.c), "B's list: {v}");
    // Agreement records and the partner's own identity are not shared: A's
    // analyst posting a withdrawal notice (or a ratification, or a new
    // version of A's identity with another key) through the share API or
    // TAXII would act on the agreement without the liaison's checks.
    let before = state_of(&node, &lb, &id).await;
    let notice = json!({
        "type": "x-entente-notice", "spec_version": "2.1", "id": "x-entente-notice--00000000-0000-4000-8000-00000000000a",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
        "agreement_ref": id, "notice_type": "withdrawal", "effective": "2026-01-01T00:00:00Z",
        "extensions": { policy::ext::NOTICE_EXT: { "extension_type": "new-sdo" } }
    });
    let identity = json!({
        "type": "identity", "spec_version": "2.1", "id": node.a, "created": "2020-01-01T00:00:00Z", "modified": "2030-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "Aurelia (hijacked)", "identity_class": "organization"
    });
    for (what, o) in [("a withdrawal notice", &notice), ("A's own identity", &identity)] {
        for token in [&node.token_a, &la] {
            expect_refused(share(token.clone(), vec![o.clone()], vec![]).await, &format!("A's analyst or liaison shares {what}"));
        }
        let r = Client::new()
            .post(format!("{}/taxii2/root/collections/{}/objects/", node.url, node.shared))
            .bearer_auth(&node.token_a)
            .header("Accept", "application/taxii+json;version=2.1")
            .header("Content-Type", "application/taxii+json;version=2.1")
            .body(json!({ "objects": [o] }).to_string())
            .send()
            .await
            .unwrap();
        let status: Value = r.json().await.unwrap();
        let refused = status["failure_count"] == 1 && status["failures"][0]["message"].as_str().is_some_and(|m| m.contains("not shared"));
        expect_refused(if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &format!("TAXII takes {what}: {status}"));
    }
    assert_eq!(state_of(&node, &lb, &id).await, before, "the agreement stands");
    // Viewers do not write.
    expect_refused(share(node.viewer_a.clone(), vec![object(&node.a, 5)], vec![]).await, "A's viewer shares");
    // The grant is A's alone: the object is still shared under the agreement once.
    let (s, v) = call(&node, &la, "GET", &format!("objects/malware--00000000-0000-4000-8000-000000000001/release?partner={}", node.b), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["versions"][0]["shared_under"], json!([id]), "{v}");
    println!("cross-partner writes: {checked} attempts checked (agreement, sharing, TAXII, explain and partner endpoints; liaison, analyst and viewer roles), {wrongly_accepted} wrongly accepted");
    assert_eq!(wrongly_accepted, 0);
}

#[tokio::test]
async fn a_hosted_partners_name_is_counted_in_characters() {
    // The OpenAPI document and the error say 1 to 200 characters: a name of
    // 150 accented letters (300 bytes) is one, 201 of them is not.
    let node = crate::start(Backend::Sqlite, Default::default()).await;
    let (admin, rec) = server::auth::issue(&node.a, "admin", store::Role::Admin, 0, None);
    let registry = node.registry.clone();
    tokio::task::spawn_blocking(move || registry.put_token(&rec).unwrap()).await.unwrap();
    let (s, v) = call(&node, &admin, "POST", "partners", Some(json!({ "name": "é".repeat(150) }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &admin, "POST", "partners", Some(json!({ "name": "é".repeat(201) }))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap().contains("200 characters"), "{v}");
}
