//! The search page's count for readers who see different things: each
//! reader's "1–50 of N" counts the matches it may see and no other,
//! through the node's release decision on the hits read beyond the page
//! without their JSON (and with it when a label is asked for).

use serde_json::json;

use crate::web::sign_in;
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(the_count_is_each_readers_own, a_value_lists_the_objects_carrying_it_by_name);

/// 200 of A's malware and 200 of B's, 120 of B's shared with A under an
/// agreement, all matching "beacon": A counts its 200 and the 120 shared,
/// B its own 200, C none; with a label, A counts the 100 of its own and
/// the 30 of B's shared that carry it.
async fn the_count_is_each_readers_own(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B malware", &[0, 1], &["malware"]).await;
    let malware = |series: u32, n: u32, author: &str, label: &str| {
        json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-{series}000-{n:012}"),
               "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author,
               "name": format!("Beacon {n}"), "is_family": false, "labels": [label]})
    };
    let own: Vec<_> = (0..200).map(|n| malware(8, n, &node.a, if n % 2 == 0 { "c2" } else { "loader" })).collect();
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": own }))).await;
    assert_eq!(s, 200, "{v}");
    let shared: Vec<_> = (0..120).map(|n| malware(9, n, &node.b, if n % 4 == 0 { "c2" } else { "loader" })).collect();
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": shared, "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    let kept: Vec<_> = (120..200).map(|n| malware(9, n, &node.b, "c2")).collect();
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": kept }))).await;
    assert_eq!(s, 200, "{v}");

    let a = sign_in(&node, &node.liaison[0]).await;
    let b = sign_in(&node, &node.liaison[1]).await;
    let c = sign_in(&node, &node.liaison[2]).await;
    for sort in ["", "&sort=relevance"] {
        let html = a.get(&format!("/intel?q=beacon{sort}")).await.2;
        assert!(html.contains("1–50 of 320"), "A: its own and the shared: {html}");
        let html = b.get(&format!("/intel?q=beacon{sort}")).await.2;
        assert!(html.contains("1–50 of 200"), "B: its own: {html}");
        let html = c.get(&format!("/intel?q=beacon{sort}")).await.2;
        assert!(html.contains("Nothing you may see matches.") && !html.contains("–50 of"), "C: none: {html}");
    }
    let html = a.get("/intel?q=beacon&label=c2").await.2;
    assert!(html.contains("1–50 of 130"), "A, labelled: {html}");
    let html = b.get("/intel?q=beacon&label=c2").await.2;
    assert!(html.contains("1–50 of 110"), "B, labelled: {html}");
}


/// A bare value typed in the search box lists the objects carrying it by
/// name, with their labels, as any search does; and a value more than a
/// page of objects carry (too common to correlate) still lists a page of
/// them rather than "Nothing you may see matches".
async fn a_value_lists_the_objects_carrying_it_by_name(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let indicator = |n: u32, value: &str| {
        json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
               "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
               "name": format!("Relay number {n}"), "labels": ["phishing-relay"], "pattern_type": "stix",
               "pattern": format!("[ipv4-addr:value = '{value}']"), "valid_from": "2026-01-01T00:00:00Z"})
    };
    let mut objects = vec![indicator(1, "198.51.100.44")];
    objects.extend((100..160).map(|n| indicator(n, "203.0.113.9")));
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": objects }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &node.liaison[0]).await;

    let html = a.get("/intel?q=198.51.100.44").await.2;
    assert!(html.contains("looks like a value of type <code>ipv4-addr</code>") && html.contains("Reported by (1 object"), "{html}");
    assert!(html.contains(">Relay number 1</a>"), "the row names the object: {html}");
    assert!(html.contains("<td>phishing-relay</td>"), "and shows its labels: {html}");

    let html = a.get("/intel?q=203.0.113.9").await.2;
    assert!(html.contains("a common value"), "{html}");
    assert!(!html.contains("Nothing you may see matches"), "{html}");
    assert_eq!(html.matches(">Relay number 1").count(), 50, "a page of the objects carrying it, by name: {html}");
}
