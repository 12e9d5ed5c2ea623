//! What the docs' screenshots of the demo showed amiss on the analyst's
//! pages: an object page's `created_by_ref` shown as a bare id rather
//! than its author's name, detection hits in one flat list rather than
//! grouped by the value they matched (with a button making sightings of a
//! whole group), and the dashboard's type list filled with the platform's
//! own `x-entente-*` records.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::web::{csrf_of, sign_in};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(the_object_page_names_its_author, detection_hits_are_grouped_by_the_value_they_matched, the_dashboard_leaves_platform_records_out_unless_asked);

fn indicator(n: u32, author: &str, value: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": author, "name": format!("watched {n}"),
        "pattern": format!("[ipv4-addr:value = '{value}']"), "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

/// The row of property `key` in an object page's Properties table.
fn property_row(html: &str, key: &str) -> String {
    let at = html.find(&format!("<th scope=\"row\">{key}</th>")).unwrap_or_else(|| panic!("no {key} row: {html}"));
    html[at..].split("</tr>").next().unwrap().to_owned()
}

/// B's indicator, shared with A: on A's page its `created_by_ref` reads
/// as B's identity by name, a link, not a bare id.
async fn the_object_page_names_its_author(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let shared = indicator(1, &node.b, "203.0.113.7");
    let (s, v) = call(&node, &node.token_b, "POST", "objects", Some(json!({ "objects": [shared], "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &node.token_a).await;
    let (s, _, html) = a.get("/intel/indicator--00000000-0000-4000-8000-000000000001").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let row = property_row(&html, "created_by_ref");
    assert!(row.contains(&format!("href=\"/intel/{}\"", node.b)) && row.contains("identity: Borealis"), "the author by name: {row}");
    assert!(!row.contains(&format!("<code>{}</code>", node.b)), "not a bare id: {row}");
}

/// Two of A's indicators of one value and one of another, shared with B:
/// B's detection of both values lists the hits under each value, with a
/// button for each group; the first group's button makes sightings of its
/// two hits and of no other.
async fn detection_hits_are_grouped_by_the_value_they_matched(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator", "sighting"]).await;
    let objects = vec![indicator(1, &node.a, "198.51.100.10"), indicator(2, &node.a, "198.51.100.20"), indicator(3, &node.a, "198.51.100.10")];
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": objects, "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    let b = sign_in(&node, &node.token_b).await;
    let token = csrf_of(&b.get("/detection").await.2);
    let r = b.post("/detection", &[("csrf", token.as_str()), ("observations", "198.51.100.10\n198.51.100.20")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("3 hits."), "{html}");
    let groups: Vec<&str> = html.split("<tr class=\"group\">").skip(1).map(|g| g.split("</tbody>").next().unwrap()).collect();
    assert_eq!(groups.len(), 2, "one group per value: {html}");
    let of = |value: &str| *groups.iter().find(|g| g.contains(&format!("<code>{value}</code>"))).unwrap_or_else(|| panic!("no group of {value}: {html}"));
    let ten = of("198.51.100.10");
    assert!(ten.contains("2 hits") && ten.contains("watched 1") && ten.contains("watched 3") && !ten.contains("watched 2"), "{ten}");
    assert!(ten.contains("name=\"group\" value=\"198.51.100.10\""), "a button for the group: {ten}");
    let twenty = of("198.51.100.20");
    assert!(twenty.contains("1 hit") && twenty.contains("watched 2"), "{twenty}");

    // The group's button: sightings of its two hits.
    let start = html.find("name=\"observations\" value=\"").expect("the observations the form carries") + "name=\"observations\" value=\"".len();
    let carried = html[start..].split('"').next().unwrap().replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    let token = csrf_of(&html);
    let r = b.post("/detection/sightings", &[("csrf", token.as_str()), ("observations", carried.as_str()), ("group", "198.51.100.10")]).await;
    let made = r.text().await.unwrap();
    assert!(made.contains("2 sightings made"), "{made}");
    assert!(made.contains("watched 1") && made.contains("watched 3") && !made.contains("watched 2"), "{made}");
}

/// An agreement in force puts `x-entente-*` records in the store: the
/// dashboard's type list leaves them out, says how many, and shows them
/// when asked.
async fn the_dashboard_leaves_platform_records_out_unless_asked(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": [indicator(1, &node.a, "192.0.2.1")], "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    let a = sign_in(&node, &node.token_a).await;
    let html = a.get("/").await.2;
    let types = &html[html.find("Objects by type").expect("the type list")..html.find("Objects by author").expect("the author list")];
    assert!(types.contains("href=\"/intel?type=indicator\""), "{types}");
    assert!(!types.contains("/intel?type=x-entente-"), "no platform record type listed: {types}");
    assert!(types.contains("platform records") && types.contains("href=\"/?platform=1\""), "what is left out, and how to see it: {types}");
    let html = a.get("/?platform=1").await.2;
    let types = &html[html.find("Objects by type").unwrap()..html.find("Objects by author").unwrap()];
    assert!(types.contains("href=\"/intel?type=x-entente-agreement\"") && types.contains("href=\"/intel?type=indicator\""), "asked for: {types}");
}
