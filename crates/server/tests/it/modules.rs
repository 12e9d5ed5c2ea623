//! The REST endpoints the module kit gives every partnership module, on the
//! kit's example module (notes): actions author one record as the caller's
//! partner, the state is derived from the records each party may see, and
//! a partner outside the agreement gets 404 for all of it.

use serde_json::json;

use crate::{call, on_both_backends, ratified_agreement, start, Backend};

on_both_backends!(parties_act_and_see_the_state_others_get_404, objectives_are_adopted_and_reported_over_rest, the_inbox_lists_what_needs_the_caller);

async fn parties_act_and_see_the_state_others_get_404(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let (s, v) = call(&node, &node.token_a, "GET", "modules", None).await;
    assert_eq!(s, 200, "{v}");
    let notes = v["modules"].as_array().unwrap().iter().find(|m| m["name"] == "notes").unwrap_or_else(|| panic!("{v}"));
    assert_eq!(notes["actions"][0]["name"], "post", "{v}");
    assert_eq!(notes["actions"][0]["role"], "analyst", "{v}");
    let disputes = v["modules"].as_array().unwrap().iter().find(|m| m["name"] == "disputes").unwrap_or_else(|| panic!("{v}"));
    assert!(disputes["actions"].as_array().unwrap().iter().all(|a| a["role"] == "liaison"), "every step of a dispute is a liaison's: {v}");

    // A and B are parties; C is not.
    let agreement = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let base = format!("agreements/{agreement}/modules/notes");

    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/post"), Some(json!({ "text": "the agenda for Tuesday" }))).await;
    assert_eq!(s, 201, "{v}");
    let note = v["record"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["record"]["created_by_ref"], node.a.as_str(), "{v}");
    assert_eq!(v["record"]["agreement_ref"], agreement.as_str(), "{v}");
    assert_eq!(v["record"]["type"], "x-entente-test-note", "{v}");

    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/actions/post"), Some(json!({ "text": "agreed", "reply_to": note }))).await;
    assert_eq!(s, 201, "{v}");

    // Both parties derive the same state from the records they may see.
    let (s, state_a) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(s, 200, "{state_a}");
    let (s, state_b) = call(&node, &node.token_b, "GET", &base, None).await;
    assert_eq!(s, 200, "{state_b}");
    assert_eq!(state_a["records"], 2, "{state_a}");
    assert_eq!(state_a["state"], state_b["state"]);
    let (s, v) = call(&node, &node.token_b, "GET", &format!("{base}/records"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["records"].as_array().unwrap().len(), 2, "{v}");

    // Only its author versions a record; bad input names the property.
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/actions/edit"), Some(json!({ "note": note, "text": "rewritten" }))).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/post"), Some(json!({ "text": "  " }))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`text`"), "{v}");
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/edit"), Some(json!({ "note": note, "text": "the agenda, corrected" }))).await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = call(&node, &node.token_b, "GET", &base, None).await;
    assert_eq!(v["records"], 2, "an edit is a new version, not a new record: {v}");
    assert!(v["state"].to_string().contains("the agenda, corrected"), "{v}");

    // The records a page at a time, every version, oldest first.
    let (mut seen, mut next, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let path = match &next {
            None => format!("{base}/records?limit=1"),
            Some(n) => format!("{base}/records?limit=1&next={n}"),
        };
        let (s, v) = call(&node, &node.token_b, "GET", &path, None).await;
        assert_eq!(s, 200, "{v}");
        pages += 1;
        seen.extend(v["records"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap().to_owned(), r["text"].clone())));
        match v["next"].as_str() {
            Some(n) if v["more"] == true => next = Some(n.to_owned()),
            _ => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 3), "two notes, one edited: {seen:?}");
    assert_eq!(seen.iter().filter(|(id, _)| id == &note).count(), 2, "{seen:?}");
    // Narrowed by kind and by what records name: replies name no agreement
    // but their own, and a kind the module lacks is a bad query.
    let (s, v) = call(&node, &node.token_b, "GET", &format!("{base}/records?kind=x-entente-test-note&of={agreement}"), None).await;
    assert_eq!((s.as_u16(), v["records"].as_array().map(Vec::len)), (200, Some(3)), "{v}");
    let other = ratified_agreement(&node, "A–B second", &[0, 1], &[]).await;
    let (s, v) = call(&node, &node.token_b, "GET", &format!("{base}/records?of={other}"), None).await;
    assert_eq!((s.as_u16(), v["records"].as_array().map(Vec::len)), (200, Some(0)), "{v}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("{base}/records?kind=indicator"), None).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = call(&node, &node.token_b, "GET", &format!("{base}/records?next=forged"), None).await;
    assert_eq!(s, 400, "{v}");

    // C, no party, learns nothing: not the state, not the records, no action.
    let c_token = &node.liaison[2];
    for path in [base.clone(), format!("{base}/records")] {
        let (s, v) = call(&node, c_token, "GET", &path, None).await;
        assert_eq!(s, 404, "{path}: {v}");
    }
    let (s, v) = call(&node, c_token, "POST", &format!("{base}/actions/post"), Some(json!({ "text": "let me in" }))).await;
    assert_eq!(s, 404, "{v}");
    // Nor through the intelligence API.
    let (s, v) = call(&node, c_token, "GET", &format!("objects/{note}"), None).await;
    assert_eq!(s, 404, "{v}");
    // An unknown module is 404 too.
    let (s, _) = call(&node, &node.token_a, "GET", &format!("agreements/{agreement}/modules/nothing"), None).await;
    assert_eq!(s, 404);
}

/// The objectives module through the kit's endpoints: a bad KPI is refused
/// naming its property and nothing is stored; the objective is adopted once
/// both parties endorsed it; only the KPI's reporting party reports; C, no
/// party, gets 404.
async fn objectives_are_adopted_and_reported_over_rest(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let agreement = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let base = format!("agreements/{agreement}/modules/objectives");
    let kpi = |baseline: serde_json::Value| {
        json!({ "name": "hours to share", "unit": "hours", "baseline": baseline, "target": 4, "direction": "decrease",
                "due": "2099-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": node.b })
    };
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/propose"), Some(json!({ "title": "Share faster", "kpis": [kpi(json!(null))] }))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`kpis[0].baseline`"), "{v}");
    let (_, v) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(v["records"], 0, "nothing stored: {v}");

    // An objective commits the party: proposed by a liaison, not an analyst;
    // progress is reported by an analyst.
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/propose"), Some(json!({ "title": "Share faster", "kpis": [kpi(json!(12))] }))).await;
    assert_eq!((s.as_u16(), v["description"].as_str()), (403, Some("objectives propose needs the liaison role or above")), "{v}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/actions/propose"), Some(json!({ "title": "Share faster", "kpis": [kpi(json!(12))] }))).await;
    assert_eq!(s, 201, "{v}");
    let objective = v["record"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["record"]["type"], "x-entente-objective", "{v}");
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/actions/endorse"), Some(json!({ "objective": objective }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/report"), Some(json!({ "objective": objective, "kpi": "hours to share", "value": 8 }))).await;
    assert_eq!(s, 422, "A is not the reporting party: {v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`kpi`"), "{v}");
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/actions/report"), Some(json!({ "objective": objective, "kpi": "hours to share", "value": 8 }))).await;
    assert_eq!(s, 201, "{v}");
    let (s, state_a) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(s, 200, "{state_a}");
    let o = &state_a["state"]["objectives"][0];
    assert_eq!((o["stage"].as_str(), o["progress"].as_f64()), (Some("adopted"), Some(0.5)), "{state_a}");
    // B derives the same (the expected progress moves with the clock: left out).
    let (_, state_b) = call(&node, &node.token_b, "GET", &base, None).await;
    let b = &state_b["state"]["objectives"][0];
    for key in ["stage", "endorsed_by", "progress", "status"] {
        assert_eq!(o[key], b[key], "{key}");
    }
    assert_eq!(o["kpis"][0]["history"], b["kpis"][0]["history"]);
    let c_token = &node.liaison[2];
    let (s, v) = call(&node, c_token, "GET", &base, None).await;
    assert_eq!(s, 404, "{v}");
}

async fn the_inbox_lists_what_needs_the_caller(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let agreement = ratified_agreement(&node, "A–B dialogue", &[0, 1], &[]).await;
    let base = format!("agreements/{agreement}/modules/dialogue");
    let item = json!({ "description": "send the <b>sensor</b> list", "owner": node.b.as_str(), "due": "2099-01-01T00:00:00Z" });
    let (s, v) = call(&node, &node.token_a, "POST", &format!("{base}/actions/add-action-item"), Some(item)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["record"]["id"].as_str().unwrap().to_owned();
    // B owns it: in B's inbox, with its agreement; not in A's; C, no party, has nothing.
    let (s, v) = call(&node, &node.token_b, "GET", "inbox", None).await;
    assert_eq!(s, 200, "{v}");
    let entries = v["inbox"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!((entries[0]["what"].as_str(), entries[0]["record"].as_str()), (Some("action-item"), Some(id.as_str())), "{v}");
    assert_eq!(entries[0]["agreement"], agreement.as_str(), "{v}");
    assert_eq!(entries[0]["module"], "dialogue", "{v}");
    assert_eq!(entries[0]["title"], "send the <b>sensor</b> list", "{v}");
    let (_, v) = call(&node, &node.token_a, "GET", "inbox", None).await;
    assert_eq!(v["inbox"], json!([]), "{v}");
    let (_, v) = call(&node, &node.liaison[2], "GET", "inbox", None).await;
    assert_eq!(v["inbox"], json!([]), "{v}");
    // Closed by its owner, it leaves the inbox.
    let close = json!({ "action_item": id, "update": "close" });
    let (s, v) = call(&node, &node.token_b, "POST", &format!("{base}/actions/update-action-item"), Some(close)).await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = call(&node, &node.token_b, "GET", "inbox", None).await;
    assert_eq!(v["inbox"], json!([]), "{v}");
}
