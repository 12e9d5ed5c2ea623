//! The TAXII 2.1 server, request by request: negotiation, authentication,
//! access, adds and status, filters, paging with cursors, authorship, delete.

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use crate::{start, Backend, Node};

crate::on_both_backends!(
    negotiation_and_authentication,
    public_discovery_only_when_configured,
    repeated_failures_are_rate_limited,
    collections_show_what_the_caller_may_do,
    adds_report_status_and_enforce_authorship,
    a_partner_holds_the_sources_it_submits,
    adds_outlasting_the_wait_are_polled_to_completion,
    bad_bodies_get_taxii_errors,
    filters_and_version_selection,
    paging_by_cursor_is_exact_and_cursors_are_sealed,
    only_the_author_deletes_and_deleted_objects_are_gone,
    pending_statuses_left_by_a_stopped_node_are_resolved
);

const TAXII: &str = "application/taxii+json;version=2.1";

fn indicator(author: &str, n: u32, v: u32) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": format!("2024-01-01T00:00:{v:02}.000Z"),
        "pattern": format!("[ipv4-addr:value = '10.0.0.{n}']"), "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"
    })
}

fn get(url: &str, token: &str) -> RequestBuilder {
    Client::new().get(url).basic_auth("anyone", Some(token)).header("Accept", TAXII)
}

fn objects_url(node: &Node, collection: &str) -> String {
    format!("{}/taxii2/root/collections/{collection}/objects/", node.url)
}

async fn post(node: &Node, collection: &str, token: &str, objects: Vec<Value>) -> (StatusCode, Value) {
    let r = Client::new()
        .post(objects_url(node, collection))
        .bearer_auth(token)
        .header("Accept", TAXII)
        .header("Content-Type", TAXII)
        .body(serde_json::to_vec(&json!({ "objects": objects })).unwrap())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Asserts a TAXII error: status, media type, body with title and http_status.
async fn assert_error(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"], TAXII);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["http_status"], status.to_string(), "{body}");
    assert!(body["title"].is_string(), "{body}");
    body
}

fn ids(envelope: &Value) -> Vec<String> {
    envelope["objects"].as_array().map_or_else(Vec::new, |a| {
        a.iter().map(|o| format!("{}@{}", o["id"].as_str().unwrap(), o["modified"].as_str().unwrap_or(""))).collect()
    })
}

async fn negotiation_and_authentication(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let discovery = format!("{}/taxii2/", node.url);
    let r = Client::new().get(&discovery).send().await.unwrap();
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("Basic"));
    assert_error(r, 401).await;
    let r = get(&discovery, &node.token_a).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], TAXII);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["api_roots"], json!(["/taxii2/root/"]));
    let r = Client::new().get(&discovery).bearer_auth(&node.token_a).header("Accept", "application/json").send().await.unwrap();
    assert_error(r, 406).await;
    let r = get(&discovery, "ent_000000000000_nope").send().await.unwrap();
    assert_error(r, 401).await;
    let r = get(&format!("{}/taxii2/root/nowhere/", node.url), &node.token_a).send().await.unwrap();
    assert_error(r, 404).await;
    let r = Client::new().put(format!("{}/taxii2/root/", node.url)).bearer_auth(&node.token_a).send().await.unwrap();
    assert_error(r, 405).await;
    let root: Value = get(&format!("{}/taxii2/root/", node.url), &node.token_a).send().await.unwrap().json().await.unwrap();
    assert_eq!(root["versions"], json!([TAXII]));
    assert_eq!(root["max_content_length"], json!(100 * 1024 * 1024));
}

async fn public_discovery_only_when_configured(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig { public_discovery: true, ..Default::default() }).await;
    let r = Client::new().get(format!("{}/taxii2/", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = Client::new().get(format!("{}/taxii2/root/", node.url)).send().await.unwrap();
    assert_error(r, 401).await;
}

async fn repeated_failures_are_rate_limited(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let discovery = format!("{}/taxii2/", node.url);
    for _ in 0..20 {
        assert_eq!(get(&discovery, "wrong").send().await.unwrap().status(), 401);
    }
    let r = get(&discovery, "wrong").send().await.unwrap();
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_error(r, 429).await;
    // A right token from the same address is accepted: the address's
    // failures never refuse a valid credential (clients behind one NAT).
    assert_eq!(get(&discovery, &node.token_a).send().await.unwrap().status(), 200);
    // The REST API answers the same way.
    let r = Client::new().get(format!("{}/api/v1/partners", node.url)).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let r = Client::new().get(format!("{}/api/v1/partners", node.url)).bearer_auth(&node.token_a).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

async fn collections_show_what_the_caller_may_do(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let list = |t: &str| get(&format!("{}/taxii2/root/collections/", node.url), t).send();
    let a: Value = list(&node.token_a).await.unwrap().json().await.unwrap();
    // Three of the registry and the everything collection (no agreements yet).
    assert_eq!(a["collections"].as_array().unwrap().len(), 4);
    let b: Value = list(&node.token_b).await.unwrap().json().await.unwrap();
    let b = b["collections"].as_array().unwrap();
    assert_eq!(b.len(), 3, "B does not see A's private collection");
    assert!(b.iter().any(|c| c["id"] == server::release::EVERYTHING));
    let a_writes = b.iter().find(|c| c["id"] == node.a_only_write.as_str()).unwrap();
    assert_eq!((a_writes["can_read"].clone(), a_writes["can_write"].clone()), (json!(true), json!(false)));
    let viewer: Value = list(&node.viewer_a).await.unwrap().json().await.unwrap();
    assert!(viewer["collections"].as_array().unwrap().iter().all(|c| c["can_write"] == false));
    let one = format!("{}/taxii2/root/collections/{}/", node.url, node.a_private);
    assert_error(get(&one, &node.token_b).send().await.unwrap(), 404).await;
    assert_eq!(get(&one, &node.token_a).send().await.unwrap().status(), 200);
    let unknown = format!("{}/taxii2/root/collections/9f4e1d6a-0000-4000-8000-000000000000/objects/", node.url);
    assert_error(get(&unknown, &node.token_a).send().await.unwrap(), 404).await;
}

/// A partner may submit what a source that is not a partner wrote (a
/// vendor's identity, indicators and malware naming it, an SCO naming no
/// one): the partner holds it here and answers for it, the source stays in
/// `created_by_ref` untouched; only the holder versions it. Naming another
/// partner as author, or planting a key on a source's identity, is refused.
async fn a_partner_holds_the_sources_it_submits(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let vendor = "identity--7e4d0c1a-0000-4000-8000-00000000beef";
    let producer = json!({"type": "identity", "spec_version": "2.1", "id": vendor, "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z", "name": "Example Vendor Labs", "identity_class": "organization"});
    let malware = json!({"type": "malware", "spec_version": "2.1", "id": "malware--7e4d0c1a-0000-4000-8000-000000000001",
        "created_by_ref": vendor, "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": "GlacierLock", "is_family": true});
    let ip = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--7e4d0c1a-0000-4000-8000-000000000002", "value": "198.51.100.7"});
    let by_vendor = indicator(vendor, 40, 0);
    let (_, s) = post(&node, &node.shared, &node.token_a, vec![producer, malware.clone(), ip, by_vendor.clone()]).await;
    assert_eq!((s["success_count"].clone(), s["failure_count"].clone()), (json!(4), json!(0)), "{s}");
    // Stored as posted (the source kept), answered for by A.
    let url = format!("{}/taxii2/root/collections/{}/objects/{}/", node.url, node.shared, by_vendor["id"].as_str().unwrap());
    let got: Value = get(&url, &node.token_a).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["objects"][0]["created_by_ref"], json!(vendor), "{got}");
    let (store, id) = (node.store.clone(), by_vendor["id"].as_str().unwrap().to_owned());
    let held = tokio::task::spawn_blocking(move || store.query(&store::Query { ids: vec![id], ..Default::default() }).unwrap()).await.unwrap();
    assert_eq!(held.records[0].created_by_ref.as_deref(), Some(node.a.as_str()), "the holder answers for it");
    // Only the holder versions it: B may not, A may.
    let (_, s) = post(&node, &node.shared, &node.token_b, vec![indicator(vendor, 40, 1)]).await;
    assert_eq!(s["failure_count"], 1, "B versions A's source: {s}");
    assert!(s["failures"].to_string().contains("only the author may version"), "{s}");
    let (_, s) = post(&node, &node.shared, &node.token_a, vec![indicator(vendor, 40, 2)]).await;
    assert_eq!(s["success_count"], 1, "the holder versions it: {s}");
    // No one speaks for a partner; no one plants a key on a source.
    let (_, s) = post(&node, &node.shared, &node.token_a, vec![indicator(&node.b, 41, 0)]).await;
    assert_eq!(s["failure_count"], 1, "{s}");
    assert!(s["failures"].to_string().contains("no one speaks for a partner"), "{s}");
    let keyed = json!({"type": "identity", "spec_version": "2.1", "id": "identity--7e4d0c1a-0000-4000-8000-00000000cafe",
        "created_by_ref": "identity--7e4d0c1a-0000-4000-8000-00000000cafe", "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z", "name": "Not a partner", "identity_class": "organization",
        "extensions": {(policy::ext::PARTNER_KEY_EXT): {"extension_type": "property-extension", "public_key": "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="}}});
    let (_, s) = post(&node, &node.shared, &node.token_a, vec![keyed]).await;
    assert_eq!(s["failure_count"], 1, "{s}");
    // B sees nothing of A's sources (shared under no agreement).
    let listing: Value = get(&objects_url(&node, &node.shared), &node.token_b).send().await.unwrap().json().await.unwrap();
    assert!(!listing.to_string().contains("7e4d0c1a"), "{listing}");
}

async fn adds_report_status_and_enforce_authorship(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (code, status) = post(&node, &node.shared, &node.token_a, vec![indicator(&node.a, 1, 0), indicator(&node.a, 1, 1)]).await;
    assert_eq!(code, 202);
    assert_eq!(status["status"], "complete");
    assert_eq!((status["success_count"].clone(), status["failure_count"].clone()), (json!(2), json!(0)));
    // Status, with and without the trailing slash; not for another partner.
    let sid = status["id"].as_str().unwrap();
    for suffix in ["/", ""] {
        let url = format!("{}/taxii2/root/status/{sid}{suffix}", node.url);
        let polled: Value = get(&url, &node.token_a).send().await.unwrap().json().await.unwrap();
        assert_eq!(polled, status);
        assert_error(get(&url, &node.token_b).send().await.unwrap(), 404).await;
    }
    // Re-adding an identical version is a success.
    let (_, again) = post(&node, &node.shared, &node.token_a, vec![indicator(&node.a, 1, 0)]).await;
    assert_eq!(again["success_count"], 1, "{again}");
    // B may neither version A's object nor write in A's name; its own object goes in.
    let mut in_a_name = indicator(&node.a, 2, 0);
    in_a_name["id"] = json!("indicator--00000000-0000-4000-8000-000000000077");
    let (_, s) = post(&node, &node.shared, &node.token_b, vec![indicator(&node.b, 1, 5), in_a_name, indicator(&node.b, 3, 0), json!({"type": "indicator", "id": "nonsense"})]).await;
    assert_eq!((s["success_count"].clone(), s["failure_count"].clone()), (json!(1), json!(3)), "{s}");
    let failures = s["failures"].to_string();
    assert!(failures.contains("only the author may version"), "{failures}");
    let versioning = s["failures"].as_array().unwrap().iter().find(|f| f["message"].as_str().unwrap().contains("only the author")).unwrap();
    assert!(!versioning["message"].as_str().unwrap().contains(&node.a), "the refusal does not name the author: {versioning}");
    assert!(failures.contains("not the submitting partner"), "{failures}");
    assert!(failures.contains("is not of the form type--UUID"), "{failures}");
    // Access: B cannot write A's collection; a viewer cannot write at all.
    let r = Client::new().post(objects_url(&node, &node.a_only_write)).bearer_auth(&node.token_b).header("Content-Type", TAXII).body("{}").send().await.unwrap();
    assert_error(r, 403).await;
    let r = Client::new().post(objects_url(&node, &node.shared)).bearer_auth(&node.viewer_a).header("Content-Type", TAXII).body("{}").send().await.unwrap();
    assert_error(r, 403).await;
}

/// With no wait at all, an add answers at once: pending (stored for
/// polling) or, if it finished first, complete. Either way polling reaches
/// complete and stays there: the pending status never lands after it.
async fn adds_outlasting_the_wait_are_polled_to_completion(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig { add_wait: std::time::Duration::ZERO, ..Default::default() }).await;
    let mut answered_pending = 0;
    // At least 12 rounds, and more (up to 60) until one add outlasted the
    // wait: whether an add of 20 finishes inside a zero wait is a race.
    for round in 0..60u32 {
        if round >= 12 && answered_pending > 0 {
            break;
        }
        let batch: Vec<Value> = (0..20).map(|n| indicator(&node.a, 1000 + round * 100 + n, 0)).collect();
        let (code, first) = post(&node, &node.shared, &node.token_a, batch).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{first}");
        assert_eq!(first["total_count"], 20, "{first}");
        match first["status"].as_str() {
            Some("pending") => {
                answered_pending += 1;
                assert_eq!((first["pending_count"].as_u64(), first["success_count"].as_u64()), (Some(20), Some(0)), "{first}");
            }
            Some("complete") => assert_eq!(first["success_count"], 20, "{first}"),
            other => panic!("status {other:?}: {first}"),
        }
        let url = format!("{}/taxii2/root/status/{}/", node.url, first["id"].as_str().unwrap());
        let mut polled = Value::Null;
        for _ in 0..200 {
            polled = get(&url, &node.token_a).send().await.unwrap().json().await.unwrap();
            if polled["status"] == "complete" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!((polled["status"].as_str(), polled["success_count"].as_u64()), (Some("complete"), Some(20)), "{polled}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let again: Value = get(&url, &node.token_a).send().await.unwrap().json().await.unwrap();
        assert_eq!(again, polled, "a complete status stays complete");
    }
    assert!(answered_pending > 0, "no add outlasted a zero wait: the pending path went untested");
}

async fn bad_bodies_get_taxii_errors(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig { max_content_length: 2000, ..Default::default() }).await;
    let url = objects_url(&node, &node.shared);
    let send = |ct: &str, body: Vec<u8>| Client::new().post(&url).bearer_auth(&node.token_a).header("Content-Type", ct).body(body).send();
    assert_error(send("application/json", b"{}".to_vec()).await.unwrap(), 415).await;
    assert_error(send(TAXII, vec![b' '; 3000]).await.unwrap(), 413).await;
    let body = assert_error(send(TAXII, b"{\"objects\": [".to_vec()).await.unwrap(), 400).await;
    assert!(body["description"].as_str().unwrap().contains("not JSON"), "{body}");
    let body = assert_error(send(TAXII, b"{\"more\": false}".to_vec()).await.unwrap(), 422).await;
    assert!(body["description"].as_str().unwrap().contains("no `objects` list"), "{body}");
    assert_error(send(TAXII, b"[1, 2]".to_vec()).await.unwrap(), 422).await;
    // An array is no envelope, whatever it holds and however deep.
    let objects = serde_json::to_string(&vec![indicator(&node.a, 1, 0)]).unwrap();
    let deep = format!("{}{}", "[".repeat(900), "]".repeat(900));
    for body in [format!("[{objects}]"), format!(" [{objects}, 1]"), deep] {
        let error = assert_error(send(TAXII, body.into_bytes()).await.unwrap(), 422).await;
        assert!(error["description"].as_str().unwrap().contains("not a TAXII envelope"), "{error}");
    }
    for q in ["added_after=yesterday", "limit=-1", "match[version]=bogus", "next=garbage", "match[id]=../../etc/passwd"] {
        let body = assert_error(get(&format!("{url}?{q}"), &node.token_a).send().await.unwrap(), 400).await;
        assert!(body["description"].is_string(), "{q}: {body}");
    }
    let traversal = format!("{url}..%2F..%2Fetc%2Fpasswd/");
    assert_error(get(&traversal, &node.token_a).send().await.unwrap(), 404).await;
}

async fn filters_and_version_selection(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let mut batch: Vec<Value> = (1..=3).flat_map(|n| (0..3).map(move |v| (n, v))).map(|(n, v)| indicator(&node.a, n, v)).collect();
    batch.push(json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000001",
        "created_by_ref": node.a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "name": "m", "is_family": true}));
    post(&node, &node.shared, &node.token_a, batch).await;
    let url = objects_url(&node, &node.shared);
    let q = |query: &str| {
        let url = format!("{url}?{query}");
        let token = node.token_a.clone();
        async move { get(&url, &token).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let i1 = "indicator--00000000-0000-4000-8000-000000000001";
    assert_eq!(ids(&q("").await).len(), 4, "last version of each by default");
    assert_eq!(ids(&q("match[type]=malware").await), vec!["malware--00000000-0000-4000-8000-000000000001@2024-01-01T00:00:00Z"]);
    assert_eq!(ids(&q("match[type]=malware,indicator").await).len(), 4);
    assert_eq!(ids(&q(&format!("match[id]={i1}")).await), vec![format!("{i1}@2024-01-01T00:00:02.000Z")]);
    assert_eq!(ids(&q(&format!("match[id]={i1}&match[version]=first")).await), vec![format!("{i1}@2024-01-01T00:00:00.000Z")]);
    assert_eq!(ids(&q(&format!("match[id]={i1}&match[version]=all")).await).len(), 3);
    assert_eq!(ids(&q(&format!("match[id]={i1}&match[version]=first,2024-01-01T00:00:01Z")).await).len(), 2);
    assert_eq!(ids(&q("match[spec_version]=2.0").await).len(), 0);
    assert_eq!(ids(&q("match[spec_version]=2.0,2.1").await).len(), 4);
    assert_eq!(ids(&q("match[type]=indicator&match[version]=all").await).len(), 9);
    // added_after is strictly later.
    let manifest: Value = get(&format!("{}/taxii2/root/collections/{}/manifest/?match[version]=all", node.url, node.shared), &node.token_a)
        .send().await.unwrap().json().await.unwrap();
    let dates: Vec<&str> = manifest["objects"].as_array().unwrap().iter().map(|m| m["date_added"].as_str().unwrap()).collect();
    assert_eq!(dates.len(), 10);
    let after = q(&format!("added_after={}&match[version]=all", dates[3])).await;
    assert_eq!(ids(&after).len(), 6);
    // One object, its versions, and 404s.
    let one = format!("{url}{i1}/");
    let r = get(&format!("{one}?match[version]=all"), &node.token_a).send().await.unwrap();
    assert_eq!(ids(&r.json().await.unwrap()).len(), 3);
    let versions: Value = get(&format!("{one}versions/"), &node.token_a).send().await.unwrap().json().await.unwrap();
    assert_eq!(versions["versions"], json!(["2024-01-01T00:00:00.000Z", "2024-01-01T00:00:01.000Z", "2024-01-01T00:00:02.000Z"]));
    let missing = format!("{url}indicator--00000000-0000-4000-8000-000000000099/");
    assert_error(get(&missing, &node.token_a).send().await.unwrap(), 404).await;
    assert_error(get(&format!("{missing}versions/"), &node.token_a).send().await.unwrap(), 404).await;
}

async fn paging_by_cursor_is_exact_and_cursors_are_sealed(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig { max_page_size: 7, ..Default::default() }).await;
    let batch: Vec<Value> = (1..=25).map(|n| indicator(&node.a, n, 0)).collect();
    post(&node, &node.shared, &node.token_a, batch).await;
    let base = format!("{}?match[type]=indicator", objects_url(&node, &node.shared));
    for size in [1usize, 4, 50] {
        let mut seen = Vec::new();
        let mut url = format!("{base}&limit={size}");
        let mut pages = 0;
        loop {
            let r = get(&url, &node.token_a).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let first = r.headers().get("x-taxii-date-added-first").map(|v| v.to_str().unwrap().to_owned());
            let last = r.headers().get("x-taxii-date-added-last").map(|v| v.to_str().unwrap().to_owned());
            let body: Value = r.json().await.unwrap();
            let page = ids(&body);
            assert!(page.len() <= size.min(7), "the server maximum applies");
            assert_eq!(first.is_some(), !page.is_empty());
            assert_eq!(last.is_some(), !page.is_empty());
            if page.len() == 1 {
                assert_eq!(first, last);
            }
            seen.extend(page);
            pages += 1;
            if body["more"] != true {
                assert!(body.get("next").is_none());
                break;
            }
            url = format!("{base}&limit={size}&next={}", body["next"].as_str().unwrap());
        }
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!((seen.len(), unique.len()), (25, 25), "size {size} in {pages} pages");
    }
    // A cursor is bound to its query and sealed.
    let r: Value = get(&format!("{base}&limit=2"), &node.token_a).send().await.unwrap().json().await.unwrap();
    let next = r["next"].as_str().unwrap().to_owned();
    let body = assert_error(get(&format!("{base}&match[version]=all&next={next}"), &node.token_a).send().await.unwrap(), 400).await;
    assert!(body["description"].as_str().unwrap().contains("another query"), "{body}");
    let mut tampered = next.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_error(get(&format!("{base}&next={tampered}"), &node.token_a).send().await.unwrap(), 400).await;
}

async fn only_the_author_deletes_and_deleted_objects_are_gone(backend: Backend) {
    let node = start(backend, Default::default()).await;
    post(&node, &node.shared, &node.token_a, vec![indicator(&node.a, 1, 0), indicator(&node.a, 1, 1)]).await;
    let one = format!("{}indicator--00000000-0000-4000-8000-000000000001/", objects_url(&node, &node.shared));
    let del = |url: String, token: String| async move { Client::new().delete(url).bearer_auth(token).header("Accept", TAXII).send().await.unwrap() };
    // B may not see A's unshared object: to B it does not exist.
    assert_error(del(one.clone(), node.token_b.clone()).await, 404).await;
    assert_eq!(del(format!("{one}?match[version]=2024-01-01T00:00:01.000Z"), node.token_a.clone()).await.status(), 200);
    let left: Value = get(&format!("{one}versions/"), &node.token_a).send().await.unwrap().json().await.unwrap();
    assert_eq!(left["versions"], json!(["2024-01-01T00:00:00.000Z"]));
    assert_eq!(del(one.clone(), node.token_a.clone()).await.status(), 200);
    assert_error(get(&one, &node.token_a).send().await.unwrap(), 404).await;
    assert_error(del(one.clone(), node.token_a.clone()).await, 404).await;
    let id = model::StixId::parse("indicator--00000000-0000-4000-8000-000000000001").unwrap();
    let store = node.store.clone();
    let left = tokio::task::spawn_blocking(move || store.get(&id, &store::Versions::ALL).unwrap()).await.unwrap();
    assert!(left.is_empty(), "gone from the store too");
}

/// A status a stopped node left pending lists its objects; at the next
/// start it is resolved from the store alone: the version stored a success,
/// the others failures naming them. Resolved once; others' statuses and
/// complete ones are left alone.
async fn pending_statuses_left_by_a_stopped_node_are_resolved(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let (stored, lost) = (indicator(&node.a, 41, 0), indicator(&node.a, 42, 0));
    let (code, done) = post(&node, &node.shared, &node.token_a, vec![stored.clone()]).await;
    assert_eq!(code, 202, "{done}");
    let detail = |o: &Value| json!({"id": o["id"], "version": o["modified"]});
    let sid = "6b0e7f0a-0000-4000-8000-000000000001";
    let pending = json!({
        "id": sid, "status": "pending", "request_timestamp": "2026-01-01T00:00:00.000000Z",
        "total_count": 3, "success_count": 0, "successes": [], "failure_count": 0, "failures": [],
        "pending_count": 3, "pendings": [detail(&stored), detail(&lost), {"id": "objects[2]", "version": ""}]
    });
    let (store, registry, a) = (node.store.clone(), node.registry.clone(), node.a.clone());
    let resolved = tokio::task::spawn_blocking(move || {
        registry.put_status(sid, &a, &serde_json::to_vec(&pending).unwrap()).unwrap();
        let first = server::taxii::resolve_pending(&*store, &*registry).unwrap();
        (first, server::taxii::resolve_pending(&*store, &*registry).unwrap())
    })
    .await
    .unwrap();
    assert_eq!(resolved, (1, 0), "resolved once");
    let url = format!("{}/taxii2/root/status/{sid}/", node.url);
    let status: Value = get(&url, &node.token_a).send().await.unwrap().json().await.unwrap();
    assert_eq!((status["status"].as_str(), status["pending_count"].as_u64()), (Some("complete"), Some(0)), "{status}");
    let ids = |k: &str| -> Vec<String> { status[k].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(ids("successes"), [stored["id"].as_str().unwrap()], "{status}");
    assert_eq!(ids("failures"), [lost["id"].as_str().unwrap(), "objects[2]"], "{status}");
    assert!(status["failures"][0]["message"].as_str().unwrap().contains("add it again"), "{status}");
    assert_eq!((status["success_count"].as_u64(), status["failure_count"].as_u64()), (Some(1), Some(2)));
    // The status stays its owner's.
    assert_error(get(&url, &node.token_b).send().await.unwrap(), 404).await;
}
