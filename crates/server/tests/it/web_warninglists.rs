//! Warning lists on the pages: an indicator whose value is on a warning
//! list (benign resolvers, private and reserved ranges, top domains) is
//! flagged with the list's name on its object page and on the detection
//! page's hits and on the share page's results; with the node's built-in set when it has no MISP lists
//! installed, with its own lists when it has; a list's name is escaped.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::web::{csrf_of, sign_in};
use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(flagged_on_the_object_page_with_the_built_in_set, flagged_on_the_detection_page, flagged_on_the_share_results, a_node_list_flags_with_its_escaped_name);

fn indicator(n: u32, author: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": author, "name": format!("watched {n}"),
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

/// A shares `objects` with B; their ids.
async fn shared(node: &Node, objects: Vec<Value>) -> Vec<String> {
    let ab = ratified_agreement(node, "A–B", &[0, 1], &["indicator", "sighting"]).await;
    let ids = objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    let (s, v) = call(node, &node.token_a, "POST", "objects", Some(json!({ "objects": objects, "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    ids
}

async fn flagged_on_the_object_page_with_the_built_in_set(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ids = shared(&node, vec![
        indicator(1, &node.a, "[ipv4-addr:value = '9.9.9.9'] OR [ipv4-addr:value = '10.20.30.40']"),
        indicator(2, &node.a, "[ipv4-addr:value = '185.220.101.4']"),
    ])
    .await;
    let b = sign_in(&node, &node.token_b).await;
    let (s, _, html) = b.get(&format!("/intel/{}", ids[0])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("On a warning list"), "{html}");
    assert!(html.contains("<code>9.9.9.9</code> is on <em>Public DNS resolvers (built in)</em>"), "the value and its list: {html}");
    assert!(html.contains("<code>10.20.30.40</code> is on <em>Private networks, RFC 1918 (built in)</em>"), "each value: {html}");
    let (_, _, html) = b.get(&format!("/intel/{}", ids[1])).await;
    assert!(html.contains("watched 2") && !html.contains("On a warning list"), "a value on no list is not flagged: {html}");
}

async fn flagged_on_the_detection_page(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ids = shared(&node, vec![indicator(1, &node.a, "[ipv4-addr:value = '1.1.1.1']"), indicator(2, &node.a, "[ipv4-addr:value = '185.220.101.4']")]).await;
    let b = sign_in(&node, &node.token_b).await;
    let (_, _, form) = b.get("/detection").await;
    let token = csrf_of(&form);
    let r = b.post("/detection", &[("csrf", token.as_str()), ("observations", "1.1.1.1\n185.220.101.4")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 hits."), "{html}");
    // The flag sits in the flagged hit's row, not in the other's.
    let row = |id: &str| {
        let at = html.find(&format!("href=\"/intel/{id}\"")).expect("the hit's row");
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    assert!(row(&ids[0]).contains("<code>1.1.1.1</code> is on <em>Public DNS resolvers (built in)</em>"), "{html}");
    assert!(!row(&ids[1]).contains("is on <em>"), "{html}");
}

async fn a_node_list_flags_with_its_escaped_name(backend: Backend) {
    let node = start(backend, Default::default()).await;
    // The node's own MISP lists, installed before the first page reads them.
    let dir = node.data_dir().join("warninglists/top");
    std::fs::create_dir_all(&dir).unwrap();
    let list = json!({ "name": "Top <script>alert(1)</script> sites", "type": "hostname", "list": ["top-site.example"], "matching_attributes": ["domain", "hostname"] });
    std::fs::write(dir.join("list.json"), list.to_string()).unwrap();
    let ids = shared(&node, vec![indicator(1, &node.a, "[domain-name:value = 'cdn.top-site.example']")]).await;
    let b = sign_in(&node, &node.token_b).await;
    let (_, _, html) = b.get(&format!("/intel/{}", ids[0])).await;
    assert!(html.contains("<code>cdn.top-site.example</code> is on <em>Top &lt;script&gt;alert(1)&lt;/script&gt; sites</em>"), "{html}");
    assert!(!html.contains("<script>alert(1)"), "escaped: {html}");
}

async fn flagged_on_the_share_results(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let a = sign_in(&node, &node.token_a).await;
    let (_, _, form) = a.get("/share").await;
    let token = csrf_of(&form);
    let bundle = json!({ "type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": [
        indicator(1, &node.a, "[ipv4-addr:value = '192.168.1.1']"),
        indicator(2, &node.a, "[ipv4-addr:value = '185.220.101.4']"),
    ] });
    let r = a.post("/share", &[("csrf", token.as_str()), ("stix", &bundle.to_string()), ("agreement", ab.as_str())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("2 stored"), "{html}");
    let row = |n: &str| {
        let at = html.find(&format!("watched {n}<")).expect("the object's row");
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    assert!(row("1").contains("<code>192.168.1.1</code> is on <em>Private networks, RFC 1918 (built in)</em>"), "{html}");
    assert!(!row("2").contains("is on <em>"), "{html}");
}
