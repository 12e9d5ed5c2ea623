//! The dashboard's "Sightings of your objects": each row names what was
//! sighted by its type and name (read through the reader's gate, escaped),
//! not by its id alone.

use serde_json::json;

use crate::web::sign_in;
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_sighting_names_what_it_is_of);

/// B sights A's indicator, whose name carries markup: A's dashboard lists
/// the sighting with "indicator: <name>" (escaped) linked to the indicator;
/// C, not a party, sees neither.
async fn a_sighting_names_what_it_is_of(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B sightings", &[0, 1], &["indicator", "sighting"]).await;
    let id = "indicator--7e1f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b";
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "Beacon <b>relay</b>", "pattern": "[ipv4-addr:value = '203.0.113.29']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [indicator], "agreements": [ab] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");
    let sighting = json!({
        "type": "sighting", "spec_version": "2.1", "id": "sighting--7e2f5a3e-2c4d-4e8f-9a0b-1c2d3e4f5a6b", "created": "2026-01-03T00:00:00Z",
        "modified": "2026-01-03T00:00:00Z", "created_by_ref": node.b, "sighting_of_ref": id, "count": 4
    });
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [sighting], "agreements": [ab] }))).await;
    assert_eq!(v["results"][0]["status"], "stored", "{s} {v}");

    let a = sign_in(&node, &node.liaison[0]).await;
    let html = a.get("/").await.2;
    let row = format!("<a href=\"/intel/{id}\">indicator: Beacon &lt;b&gt;relay&lt;/b&gt;</a>");
    assert!(html.contains("Sightings of your objects") && html.contains(&row), "{html}");
    let c = sign_in(&node, &node.liaison[2]).await;
    let html = c.get("/").await.2;
    assert!(!html.contains("Beacon") && !html.contains(id), "{html}");
}
