//! Polling the everything collection (TAXII) and REST `added_after` with
//! nothing but a cursor: a version that becomes visible after the cursor
//! passed its storing still arrives, once (docs/taxii.md, "Polling the
//! everything collection").

use reqwest::Client;
use serde_json::{json, Value};

use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(
    a_version_shared_later_under_a_further_agreement_arrives_after_the_cursor,
    what_an_agreement_releases_once_ratified_arrives_after_the_cursor,
    what_an_agreement_releases_once_resumed_arrives_after_the_cursor,
    what_an_amendment_to_a_wider_scope_releases_arrives_after_the_cursor,
    what_an_agreement_releases_once_valid_arrives_after_the_cursor
);

const TAXII: &str = "application/taxii+json;version=2.1";
const EVERYTHING: &str = "9f8b6c2e-5d4a-4e1b-8c3f-2a7d6e5b4c31";

fn indicator(author: &str, n: u32) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '10.0.0.{n}']"), "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    })
}

async fn share(node: &Node, object: &Value, agreement: &str) {
    let (s, v) = call(node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [object], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
}

/// One TAXII poll of the everything collection after `cursor`, following
/// `next`: the ids given, in order, and the new cursor (the last
/// `X-TAXII-Date-Added-Last`, or the old one when nothing came).
async fn taxii_poll(node: &Node, token: &str, cursor: Option<String>) -> (Vec<String>, Option<String>) {
    let (mut ids, mut last, mut next) = (Vec::new(), cursor.clone(), None::<String>);
    loop {
        let mut url = format!("{}/taxii2/root/collections/{EVERYTHING}/objects/?limit=1", node.url);
        if let Some(c) = &cursor {
            url.push_str(&format!("&added_after={c}"));
        }
        if let Some(n) = &next {
            url.push_str(&format!("&next={n}"));
        }
        let r = Client::new().get(url).basic_auth("poller", Some(token)).header("Accept", TAXII).send().await.unwrap();
        assert_eq!(r.status(), 200);
        if let Some(d) = r.headers().get("x-taxii-date-added-last") {
            last = Some(d.to_str().unwrap().to_owned());
        }
        let body: Value = r.json().await.unwrap();
        ids.extend(body["objects"].as_array().into_iter().flatten().map(|o| o["id"].as_str().unwrap().to_owned()));
        match body["next"].as_str() {
            Some(n) if body["more"] == true => next = Some(n.to_owned()),
            _ => return (ids, last),
        }
    }
}

/// The ids `GET /api/v1/objects?added_after=` gives.
async fn rest_poll(node: &Node, token: &str, cursor: &str) -> Vec<String> {
    let (s, v) = call(node, token, "GET", &format!("objects?added_after={cursor}"), None).await;
    assert_eq!(s, 200, "{v}");
    v["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

/// A shares X under A–C (B sees nothing), then Y under A–B: B's poll
/// gives Y and its cursor passes X's storing. A then shares X under A–B
/// too: B's next poll from its cursor gives X, over TAXII and REST; a poll
/// from the start gives each once, and A (the author) sees each once.
async fn a_version_shared_later_under_a_further_agreement_arrives_after_the_cursor(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ac = ratified_agreement(&node, "A–C", &[0, 2], &["indicator"]).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let (x, y) = (indicator(&node.a, 1), indicator(&node.a, 2));
    let (x_id, y_id) = (x["id"].as_str().unwrap().to_owned(), y["id"].as_str().unwrap().to_owned());
    share(&node, &x, &ac).await;
    share(&node, &y, &ab).await;
    let (given, cursor) = taxii_poll(&node, &node.token_b, None).await;
    let given: Vec<&String> = given.iter().filter(|id| id.starts_with("indicator--")).collect();
    assert_eq!(given, vec![&y_id], "B sees only what is shared with it");
    let cursor = cursor.expect("a date for the page");

    share(&node, &x, &ab).await;
    let (given, _) = taxii_poll(&node, &node.token_b, Some(cursor.clone())).await;
    assert_eq!(given, vec![x_id.clone()], "shared later under A–B, X arrives after B's cursor");
    assert_eq!(rest_poll(&node, &node.token_b, &cursor).await, vec![x_id.clone()], "and in REST `added_after`");

    let indicators = |ids: Vec<String>| -> Vec<String> { ids.into_iter().filter(|id| id.starts_with("indicator--")).collect() };
    let (all_b, _) = taxii_poll(&node, &node.token_b, None).await;
    assert_eq!(indicators(all_b), vec![y_id.clone(), x_id.clone()], "each once, by when B could first see it");
    let (all_a, _) = taxii_poll(&node, &node.token_a, None).await;
    assert_eq!(indicators(all_a), vec![x_id, y_id], "the author sees each once, by when it was stored");
}

fn terms(node: &Node, object_types: &[&str]) -> Value {
    json!({
        "title": "A–B", "purpose": "share what the scope names",
        "party_refs": [node.a, node.b],
        "scope": { "object_types": object_types, "labels": [], "data_kind": "real" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    })
}

async fn act(node: &Node, party: usize, path: &str, body: Option<Value>) -> Value {
    let (s, v) = call(node, &node.liaison[party], "POST", path, body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

fn malware(author: &str, n: u32) -> Value {
    json!({
        "type": "malware", "spec_version": "2.1",
        "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
        "created_by_ref": author,
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("malware {n}"), "is_family": true
    })
}

/// B's poll from the start gives `expected` (after any agreement records),
/// and its cursor passes everything stored so far; returns the cursor.
async fn poll_to_the_end(node: &Node, expected: &[&str]) -> String {
    let (given, cursor) = taxii_poll(node, &node.token_b, None).await;
    let given: Vec<String> = given.into_iter().filter(|id| !id.starts_with("x-entente-") && !id.starts_with("identity--") && !id.starts_with("extension-definition--") && !id.starts_with("marking-definition--")).collect();
    assert_eq!(given, expected, "B's first poll");
    cursor.expect("a date for the page")
}

/// After `change`, B's poll from `cursor` gives `expected`, over TAXII and REST.
async fn arrives_after(node: &Node, cursor: &str, expected: &str, change: &str) {
    let only = |ids: Vec<String>| -> Vec<String> { ids.into_iter().filter(|id| !id.starts_with("x-entente-")).collect() };
    let (given, _) = taxii_poll(node, &node.token_b, Some(cursor.to_owned())).await;
    assert_eq!(only(given), vec![expected.to_owned()], "{change}: it arrives after B's cursor");
    assert_eq!(only(rest_poll(node, &node.token_b, cursor).await), vec![expected.to_owned()], "{change}: in REST `added_after` too");
}

/// A shares X under an A–B agreement only A ratified, then Y under one in
/// force: B's poll gives Y. B ratifies the first: X arrives after B's cursor.
async fn what_an_agreement_releases_once_ratified_arrives_after_the_cursor(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let pending = act(&node, 0, "agreements", Some(terms(&node, &["indicator"]))).await["id"].as_str().unwrap().to_owned();
    act(&node, 0, &format!("agreements/{pending}/ratify"), None).await;
    let ab = ratified_agreement(&node, "A–B in force", &[0, 1], &["indicator"]).await;
    let (x, y) = (indicator(&node.a, 1), indicator(&node.a, 2));
    share(&node, &x, &pending).await;
    share(&node, &y, &ab).await;
    let cursor = poll_to_the_end(&node, &[y["id"].as_str().unwrap()]).await;
    act(&node, 1, &format!("agreements/{pending}/ratify"), None).await;
    arrives_after(&node, &cursor, x["id"].as_str().unwrap(), "ratified").await;
}

/// B suspends an A–B agreement; A shares X under it, and Y under another:
/// B's poll gives Y. B resumes: X arrives after B's cursor.
async fn what_an_agreement_releases_once_resumed_arrives_after_the_cursor(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let suspended = ratified_agreement(&node, "A–B suspended", &[0, 1], &["indicator"]).await;
    let ab = ratified_agreement(&node, "A–B in force", &[0, 1], &["indicator"]).await;
    act(&node, 1, &format!("agreements/{suspended}/suspend"), None).await;
    let (x, y) = (indicator(&node.a, 1), indicator(&node.a, 2));
    share(&node, &x, &suspended).await;
    share(&node, &y, &ab).await;
    let cursor = poll_to_the_end(&node, &[y["id"].as_str().unwrap()]).await;
    act(&node, 1, &format!("agreements/{suspended}/resume"), None).await;
    arrives_after(&node, &cursor, x["id"].as_str().unwrap(), "resumed").await;
}

/// A shares malware M under an A–B agreement for indicators (B may not see
/// it), and Y under another: B's poll gives Y. A amends the first to cover
/// malware and both ratify: M arrives after B's cursor.
async fn what_an_amendment_to_a_wider_scope_releases_arrives_after_the_cursor(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let narrow = ratified_agreement(&node, "A–B indicators", &[0, 1], &["indicator"]).await;
    let ab = ratified_agreement(&node, "A–B in force", &[0, 1], &["indicator"]).await;
    let (m, y) = (malware(&node.a, 1), indicator(&node.a, 2));
    share(&node, &m, &narrow).await;
    share(&node, &y, &ab).await;
    let cursor = poll_to_the_end(&node, &[y["id"].as_str().unwrap()]).await;
    act(&node, 0, &format!("agreements/{narrow}"), Some(terms(&node, &["indicator", "malware"]))).await;
    for party in [0, 1] {
        act(&node, party, &format!("agreements/{narrow}/ratify"), None).await;
    }
    arrives_after(&node, &cursor, m["id"].as_str().unwrap(), "amended to cover malware").await;
}

/// An A–B agreement ratified by both but valid only from a few seconds
/// ahead; A shares X under it, and Y under one in force: B's poll gives Y.
/// Once the validity starts, X arrives after B's cursor.
async fn what_an_agreement_releases_once_valid_arrives_after_the_cursor(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let from = model::Timestamp::from_micros(model::Timestamp::now().micros() + 8_000_000);
    let mut later = terms(&node, &["indicator"]);
    later["valid_from"] = json!(from.as_str());
    let pending = act(&node, 0, "agreements", Some(later)).await["id"].as_str().unwrap().to_owned();
    for party in [0, 1] {
        act(&node, party, &format!("agreements/{pending}/ratify"), None).await;
    }
    let ab = ratified_agreement(&node, "A–B in force", &[0, 1], &["indicator"]).await;
    let (x, y) = (indicator(&node.a, 1), indicator(&node.a, 2));
    share(&node, &x, &pending).await;
    share(&node, &y, &ab).await;
    let cursor = poll_to_the_end(&node, &[y["id"].as_str().unwrap()]).await;
    assert!(model::Timestamp::now().micros() < from.micros(), "the first poll came before the validity: the case is tested");
    while model::Timestamp::now().micros() <= from.micros() {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    arrives_after(&node, &cursor, x["id"].as_str().unwrap(), "valid from now").await;
}
