//! The agreements' own records through the module kit (module
//! `agreements`, docs/modules.md#the-agreements-through-the-kit): listed
//! with the other modules, every action a liaison's; a ratification taken
//! through the kit's endpoint is signed with the caller's party key and
//! counts in the agreement's state as one through `/api/v1/agreements`
//! does; a notice given and cancelled; an amendment by the proposer alone;
//! a partner outside the agreement gets 404.

use serde_json::{json, Value};

use crate::{call, on_both_backends, start, Backend};

on_both_backends!(the_agreements_records_act_through_the_kit);

async fn the_agreements_records_act_through_the_kit(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let (s, v) = call(&node, &node.token_a, "GET", "modules", None).await;
    assert_eq!(s, 200, "{v}");
    let module = v["modules"].as_array().unwrap().iter().find(|m| m["name"] == "agreements").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(module["kinds"], json!(["x-entente-agreement", "x-entente-ratification", "x-entente-notice"]), "{v}");
    assert!(module["actions"].as_array().unwrap().iter().all(|a| a["role"] == "liaison"), "{v}");

    let terms = json!({
        "title": "A–B", "purpose": "share", "party_refs": [node.a, node.b],
        "scope": { "object_types": [], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms.clone())).await;
    assert_eq!(s, 201, "{v}");
    let agreement = v["id"].as_str().unwrap().to_owned();
    let base = format!("agreements/{agreement}/modules/agreements");
    let status = |v: &Value| v["state"]["status"].as_str().unwrap_or_default().to_owned();

    // The proposal is in the module's view: the agreement belongs to itself.
    let (s, v) = call(&node, &node.liaison[1], "GET", &base, None).await;
    assert_eq!((s.as_u16(), status(&v)), (200, "draft".to_owned()), "{v}");
    assert_eq!(v["records"], 1, "the agreement itself: {v}");

    // A's ratification through the kit (an analyst may not), B's through the agreement endpoint.
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/ratify"), Some(json!({}))).await;
    assert_eq!(s, 403, "an analyst does not ratify: {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/ratify"), Some(json!({}))).await;
    assert_eq!(s, 201, "{v}");
    let ratification = &v["record"];
    assert_eq!(ratification["type"], "x-entente-ratification", "{v}");
    assert_eq!(ratification["agreement_ref"], agreement.as_str(), "{v}");
    assert_eq!(ratification["created_by_ref"], node.a.as_str(), "{v}");
    assert!(ratification["signature"].as_str().is_some_and(|s| s.len() > 40), "{v}");
    assert_eq!(ratification["extensions"][policy::ext::RATIFICATION_EXT]["extension_type"], "new-sdo", "{v}");
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("agreements/{agreement}/ratify"), None).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &node.liaison[1], "GET", &format!("agreements/{agreement}"), None).await;
    assert_eq!((s.as_u16(), v["state"].as_str()), (200, Some("in-force")), "the kit's ratification verifies and counts: {v}");
    assert!(v["ratifications"].as_array().is_some_and(|r| r.len() == 2 && r.iter().all(|r| r["signature_valid"] == true)), "{v}");
    let (_, v) = call(&node, &node.liaison[0], "GET", &base, None).await;
    assert_eq!(status(&v), "in-force", "{v}");
    assert_eq!(v["state"]["ratifications"].as_array().map(Vec::len), Some(2), "{v}");

    // A notice due later, cancelled by its author alone; bad input names the property.
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/actions/give-notice"), Some(json!({ "notice_type": "pause" }))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`notice_type`"), "{v}");
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/actions/give-notice"), Some(json!({ "notice_type": "suspension", "effective": "2099-01-01T00:00:00Z" }))).await;
    assert_eq!(s, 201, "{v}");
    let notice = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/cancel-notice"), Some(json!({ "notice": notice }))).await;
    assert_eq!(s, 403, "only its author cancels a notice: {v}");
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/actions/cancel-notice"), Some(json!({ "notice": notice }))).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["record"]["revoked"], true, "{v}");
    let (_, v) = call(&node, &node.liaison[0], "GET", &base, None).await;
    assert_eq!(v["state"]["notices"][0]["cancelled"], true, "{v}");
    assert_eq!(status(&v), "in-force", "{v}");

    // An amendment by its proposer alone, which needs ratifying again.
    let mut amended = terms.clone();
    amended["title"] = json!("A–B, amended");
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{base}/actions/propose"), Some(amended.clone())).await;
    assert_eq!(s, 403, "only the proposer amends: {v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/propose"), Some(amended)).await;
    assert_eq!(s, 201, "{v}");
    assert!(v["record"].get("agreement_ref").is_none(), "{v}");
    let (_, v) = call(&node, &node.liaison[1], "GET", &format!("agreements/{agreement}"), None).await;
    assert_eq!(v["title"].as_str().or(v["agreement"]["title"].as_str()), Some("A–B, amended"), "{v}");
    assert_ne!(v["state"], "in-force", "{v}");

    // No party: no such agreement.
    let (s, v) = call(&node, &node.liaison[2], "GET", &base, None).await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = call(&node, &node.liaison[2], "POST", &format!("{base}/actions/ratify"), Some(json!({}))).await;
    assert_eq!(s, 404, "{v}");
}
