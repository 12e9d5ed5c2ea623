//! The scorecard page: a party sees every indicator per party and per pair
//! with its n, the chart over time, and the drill-down of one figure lists
//! exactly the evidence it counted, linked to the object pages; the other
//! party's view of the same pair agrees; a non-party gets the 404 page; the
//! REST endpoint answers the same figure. The agreement's scorecard terms
//! are refused by name when malformed, and kept by an amendment made on the
//! page, which has no field for them.

use serde_json::json;

use crate::web::sign_in;
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(the_scorecard_page_and_its_drill_down, the_scorecard_terms_are_checked_and_kept);

async fn the_scorecard_page_and_its_drill_down(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["malware"]).await;
    let objects: Vec<serde_json::Value> = (1..=5)
        .map(|n| {
            json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
                "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a,
                "name": format!("<b>object {n}</b>"), "is_family": false})
        })
        .collect();
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": objects, "agreements": [id] }))).await;
    assert_eq!(s, 200, "{v}");
    // Not shared under the agreement: never counted.
    let other = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000099",
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": node.a, "name": "unshared", "is_family": false});
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": [other] }))).await;
    assert_eq!(s, 200, "{v}");

    let page = format!("/agreements/{id}/scorecard?window=3650");
    let a = sign_in(&node, &node.liaison[0]).await;
    // The agreement page links to it.
    let html = a.get(&format!("/agreements/{id}")).await.2;
    assert!(html.contains(&format!("href=\"/agreements/{id}/scorecard\"")), "{html}");
    let (s, csp, html) = a.get(&page).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(csp.as_deref(), Some(server::web::CSP));
    assert!(html.contains("Per party") && html.contains("Per pair") && html.contains("<svg") && html.contains("Each party's composite"), "{html}");
    // A gave five, B nothing: reciprocity 0 with n 5; the other figures of
    // the pair have too few observations or no source.
    assert!(html.contains(">0.00</a>") && html.contains("n 5"), "{html}");
    assert!(html.contains("too few") && html.contains("absent"), "{html}");

    // The drill-down of A→B's reciprocity lists the five objects, linked.
    let drill = format!("{page}&indicator=reciprocity&from={}&to={}", node.a, node.b);
    assert!(html.contains(&format!("indicator=reciprocity&amp;from={}&amp;to={}#evidence", node.a, node.b)), "every figure links to its evidence: {html}");
    let (s, _, html) = a.get(&drill).await;
    assert_eq!(s, 200, "{html}");
    let listed = html.matches("href=\"/intel/malware--").count();
    assert_eq!(listed, 5, "{html}");
    assert!(!html.contains("000000000099"), "an object not shared under the agreement was counted: {html}");

    // B's view of the same pair agrees, here and over REST.
    let b = sign_in(&node, &node.liaison[1]).await;
    let (s, _, html) = b.get(&drill).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(html.matches("href=\"/intel/malware--").count(), 5, "{html}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?window=3650"), None).await;
    assert_eq!(s, 200, "{v}");
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["from"] == node.a.as_str() && p["to"] == node.b.as_str()).unwrap();
    let reciprocity = pair["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == "reciprocity").unwrap();
    assert_eq!((reciprocity["n"].as_u64(), reciprocity["value"].as_f64()), (Some(5), Some(0.0)), "{reciprocity}");
    assert_eq!((reciprocity["evidence"].as_array().map(Vec::len), reciprocity["evidence_total"].as_u64()), (Some(5), Some(5)), "{reciprocity}");
    // The ids a figure lists are bounded (`evidence=`), their total kept.
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?window=3650&evidence=2"), None).await;
    assert_eq!(s, 200, "{v}");
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["from"] == node.a.as_str() && p["to"] == node.b.as_str()).unwrap();
    let reciprocity = pair["figures"].as_array().unwrap().iter().find(|f| f["indicator"] == "reciprocity").unwrap();
    assert_eq!((reciprocity["evidence"].as_array().map(Vec::len), reciprocity["evidence_total"].as_u64(), reciprocity["n"].as_u64()), (Some(2), Some(5), Some(5)), "{reciprocity}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("agreements/{id}/scorecard?evidence=all"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("evidence"), "{v}");

    // C is no party: the 404 page, and 404 over REST.
    let c = sign_in(&node, &node.liaison[2]).await;
    assert_eq!(c.get(&page).await.0, 404);
    let (s, _) = call(&node, &node.liaison[2], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 404);
    // A bad window is named.
    let (s, v) = call(&node, &node.token_a, "GET", &format!("agreements/{id}/scorecard?window=zero"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v.to_string().contains("window"), "{v}");
}

async fn the_scorecard_terms_are_checked_and_kept(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let terms = |extra: serde_json::Value| {
        let mut t = json!({
            "title": "A–B", "purpose": "share", "party_refs": [node.a, node.b],
            "scope": { "object_types": ["malware"], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": "2020-01-01T00:00:00Z"
        });
        t.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        t
    };
    for (extra, named) in [
        (json!({ "scorecard_weights": { "speed": 1 } }), "scorecard_weights.speed"),
        (json!({ "scorecard_weights": { "accuracy": -1 } }), "scorecard_weights.accuracy"),
        (json!({ "scorecard_weights": [1] }), "scorecard_weights"),
        (json!({ "release_within_hours": 0 }), "release_within_hours"),
    ] {
        let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms(extra))).await;
        assert_eq!(s, 422, "{v}");
        assert!(v.to_string().contains(named), "{named}: {v}");
    }
    let good = json!({ "scorecard_weights": { "accuracy": 2, "timeliness": 1 }, "release_within_hours": 24 });
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms(good.clone()))).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["weights"]["accuracy"].as_f64(), v["weights"]["timeliness"].as_f64(), v["weights"]["novelty"].as_f64()), (Some(2.0), Some(1.0), Some(0.0)), "{v}");
    // An amendment through the page's form keeps them.
    let a = sign_in(&node, &node.liaison[0]).await;
    let form = format!("/agreements/{id}/amend");
    let (s, _, html) = a.get(&form).await;
    assert_eq!(s, 200, "{html}");
    let csrf = crate::web::csrf_of(&html);
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "A–B"),
        ("purpose", "share, amended"),
        ("parties", node.a.as_str()),
        ("parties", node.b.as_str()),
        ("object_types", "malware"),
        ("labels", ""),
        ("data_kind", "real"),
        ("tlp_ceiling", "amber"),
        ("reshare", "parties-only"),
        ("attribution", "required"),
        ("valid_from", "2020-01-01"),
        ("valid_until", ""),
    ];
    let r = a.post(&form, &fields).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}"), None).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.to_string().contains("share, amended"), "{v}");
    // The scorecard reads the latest version: its weights are still there.
    let (s, v) = call(&node, &node.liaison[0], "GET", &format!("agreements/{id}/scorecard"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["weights"]["accuracy"].as_f64(), v["weights"]["novelty"].as_f64()), (Some(2.0), Some(0.0)), "the amendment dropped the weights: {v}");
}
