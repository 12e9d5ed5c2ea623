//! A mediator's own view, on one node: C, no party of the A–B agreement,
//! named mediator of one of its disputes, opens the disputes page and sees
//! exactly the records naming it (the dispute and what was filed in it
//! after it was named, hostile text escaped), not a dispute that does not
//! name it, not the agreement's other modules (404), and no form to act;
//! the REST API answers the mediator's token with the same records.

use serde_json::json;

use crate::web::{sign_in, PAYLOADS};
use crate::{call, ratified_agreement, start, Backend};

crate::on_both_backends!(a_mediator_sees_exactly_the_records_naming_it);

async fn a_mediator_sees_exactly_the_records_naming_it(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let actions = format!("agreements/{id}/modules/disputes/actions");
    let hostile = PAYLOADS.join(" ");
    let raise = |facts: &str, mediators: Vec<&str>| json!({ "clause": "tlp_ceiling", "facts": facts, "remedy": "apologise", "mediators": mediators });
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{actions}/raise"), Some(raise(&format!("Mediated {hostile}"), vec![&node.c]))).await;
    assert_eq!(s, 201, "{v}");
    let mediated = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[1], "POST", &format!("{actions}/file-position"), Some(json!({ "dispute": mediated, "text": "B's position for the mediator" }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{actions}/raise"), Some(raise("Between the parties alone", Vec::new()))).await;
    assert_eq!(s, 201, "{v}");
    let other = v["record"]["id"].as_str().unwrap().to_owned();

    let c = sign_in(&node, &node.liaison[2]).await;
    let (s, _, html) = c.get(&format!("/agreements/{id}/modules/disputes")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains(&mediated) && html.contains("position for the mediator"), "{html}");
    assert!(html.contains("Mediated &lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script") && !html.contains("onerror=\""), "{html}");
    assert!(!html.contains(&other) && !html.contains("Between the parties alone"), "a dispute not naming C: {html}");
    assert!(!html.contains("/modules/disputes/actions/"), "no action form for a mediator: {html}");
    let (s, _, _) = c.get(&format!("/agreements/{id}/modules/dialogue")).await;
    assert_eq!(s, 404, "nothing else of the agreement");
    let (s, _, _) = c.get(&format!("/agreements/{id}")).await;
    assert_eq!(s, 404, "not the agreement itself");

    // Over REST: the same records, nothing else of the agreement.
    let (s, v) = call(&node, &node.liaison[2], "GET", &format!("agreements/{id}/modules/disputes"), None).await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<&str> = v["versions"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&mediated.as_str()) && !ids.contains(&other.as_str()), "{v}");
    assert_eq!(v["named"], node.c.as_str(), "{v}");
    let (s, v) = call(&node, &node.liaison[2], "GET", &format!("agreements/{id}/modules/dialogue"), None).await;
    assert_eq!(s, 404, "{v}");
}
