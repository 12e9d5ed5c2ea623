//! The statements module through the kit's REST endpoints: bad input is
//! refused naming the property and nothing is stored; a statement passes
//! once both co-signers approved its exact latest version; an approval of
//! an earlier version is refused; C, no party, gets 404.

use serde_json::json;

use crate::{call, on_both_backends, ratified_agreement, start, Backend};

on_both_backends!(a_statement_passes_over_rest_when_both_cosigners_approve);

async fn a_statement_passes_over_rest_when_both_cosigners_approve(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let agreement = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let base = format!("agreements/{agreement}/modules/statements");
    let draft = |cosigner: &str, embargo: &str| json!({ "title": "Joint <i>statement</i>", "text": "We condemn it.", "embargo": embargo, "cosigners": [cosigner], "submit": true });
    for (input, property) in [(draft(&node.c, "2099-01-01T00:00:00Z"), "`cosigner_refs[1]`"), (draft(&node.b, "2020-01-01T00:00:00Z"), "`embargo`")] {
        let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/draft-statement"), Some(input)).await;
        assert_eq!(s, 422, "{v}");
        assert!(v["description"].as_str().unwrap_or_default().contains(property), "{property}: {v}");
    }
    let (_, v) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(v["records"], 0, "nothing stored: {v}");

    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/draft-statement"), Some(draft(&node.b, "2099-01-01T00:00:00Z"))).await;
    assert_eq!(s, 201, "{v}");
    let statement = v["record"]["id"].as_str().unwrap().to_owned();
    let first = v["record"]["modified"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/revise-statement"), Some(json!({ "statement": statement, "text": "We condemn it firmly." }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/actions/approve-statement"), Some(json!({ "statement": statement, "version": first }))).await;
    assert_eq!(s, 422, "an approval of an earlier version: {v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`version`"), "{v}");
    for token in [&node.token_a, &node.token_b] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/actions/approve-statement"), Some(json!({ "statement": statement }))).await;
        assert_eq!(s, 201, "{v}");
    }
    for token in [&node.token_a, &node.token_b] {
        let (s, v) = call(&node, token, "GET", &base, None).await;
        assert_eq!(s, 200, "{v}");
        let st = &v["state"]["statements"][0];
        assert_eq!((st["stage"].as_str(), st["published"].as_bool()), (Some("passed"), Some(false)), "{v}");
        assert_eq!(st["text"], "We condemn it firmly.");
    }
    let (s, v) = call(&node, &node.liaison[2], "GET", &base, None).await;
    assert_eq!(s, 404, "{v}");
}
