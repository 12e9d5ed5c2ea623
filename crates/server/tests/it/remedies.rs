//! A dispute's remedy in the release decision: an agreement whose dispute
//! terms suspend sharing while a dispute stands releases nothing under it
//! from the dispute's raising until its settlement, on every read path
//! (REST object, REST listing, the agreement's TAXII collection), while the
//! dispute's own records keep flowing so the parties can settle it.

use reqwest::Client;
use serde_json::{json, Value};

use crate::{call, on_both_backends, start, Backend, Node};

on_both_backends!(a_remedy_holds_sharing_from_the_dispute_until_its_settlement);

const MALWARE: &str = "malware--00000000-0000-4000-8000-00000000aa01";

/// What B can read of A's malware: (REST object, REST listing, TAXII collection).
async fn b_reads(node: &Node, agreement: &str) -> (bool, bool, bool) {
    let (s, _) = call(node, &node.token_b, "GET", &format!("objects/{MALWARE}"), None).await;
    let (_, list) = call(node, &node.token_b, "GET", "objects?type=malware", None).await;
    let listed = list.to_string().contains(MALWARE);
    let cid = agreement.trim_start_matches("x-entente-agreement--");
    let r = Client::new()
        .get(format!("{}/taxii2/root/collections/{cid}/objects/", node.url))
        .bearer_auth(&node.token_b)
        .header("Accept", "application/taxii+json;version=2.1")
        .send()
        .await
        .unwrap();
    let taxii = r.text().await.unwrap().contains(MALWARE);
    (s == 200, listed, taxii)
}

async fn state(node: &Node, token: &str, agreement: &str) -> Value {
    let (s, v) = call(node, token, "GET", &format!("agreements/{agreement}"), None).await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn a_remedy_holds_sharing_from_the_dispute_until_its_settlement(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let [la, lb, _] = node.liaison.clone();
    let terms = json!({
        "title": "A–B with remedies", "purpose": "share indicators of shared threats",
        "party_refs": [node.a, node.b],
        "scope": { "object_types": [], "labels": [], "data_kind": "real" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z",
        "dispute_terms": {
            "ladder": [{ "stage": "consultation", "days": 14 }, { "stage": "arbitration", "days": 60 }],
            "remedies": [{ "from": "consultation", "effect": "suspend-sharing" }]
        }
    });
    let (s, v) = call(&node, &la, "POST", "agreements", Some(terms.clone())).await;
    assert_eq!(s, 201, "{v}");
    let agreement = v["id"].as_str().unwrap().to_owned();
    for token in [&la, &lb] {
        let (s, v) = call(&node, token, "POST", &format!("agreements/{agreement}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    // A malformed remedy is refused by name, nothing stored.
    let mut bad = terms.clone();
    bad["dispute_terms"]["remedies"][0]["effect"] = json!("embargo");
    let (s, v) = call(&node, &la, "POST", "agreements", Some(bad)).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("dispute_terms.remedies[0].effect"), "{v}");

    let malware = json!({ "type": "malware", "spec_version": "2.1", "id": MALWARE, "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "held back", "is_family": false, "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"] });
    let (s, v) = call(&node, &la, "POST", "objects", Some(json!({ "objects": [malware], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(b_reads(&node, &agreement).await, (true, true, true), "in force: B reads it on every path");

    // A raises a dispute: the remedy holds from its raising.
    let base = format!("agreements/{agreement}/modules/disputes");
    let raise = json!({ "clause": "handling.reshare", "facts": "B reshared beyond the parties", "remedy": "recall" });
    let (s, v) = call(&node, &la, "POST", &format!("{base}/actions/raise"), Some(raise)).await;
    assert_eq!(s, 201, "{v}");
    let dispute = v["record"]["id"].as_str().unwrap().to_owned();
    let held = state(&node, &lb, &agreement).await;
    assert_eq!(held["state"], "held", "{held}");
    assert_eq!(b_reads(&node, &agreement).await, (false, false, false), "held: nothing of it reaches B");
    // The dispute's records still reach B, who settles it with A.
    let (s, v) = call(&node, &lb, "GET", &base, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"]["disputes"][0]["remedies"][0]["in_force"], true, "{v}");
    let (s, v) = call(&node, &lb, "POST", &format!("{base}/actions/propose"), Some(json!({ "dispute": dispute, "text": "B recalls the copies" }))).await;
    assert_eq!(s, 201, "{v}");
    let proposal = v["record"]["id"].as_str().unwrap().to_owned();
    for token in [&la, &lb] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/actions/accept"), Some(json!({ "proposal": proposal }))).await;
        assert_eq!(s, 201, "{v}");
    }
    assert_eq!(state(&node, &lb, &agreement).await["state"], "in-force");
    assert_eq!(b_reads(&node, &agreement).await, (true, true, true), "settled: sharing resumes");
}
