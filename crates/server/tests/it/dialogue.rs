//! The dialogue module through the REST endpoints the kit gives it: an
//! agreement whose terms set a meeting cadence, a channel of two of its
//! three parties whose messages the third never gets (state, records or
//! object), a message above the agreement's ceiling refused naming the
//! property, minutes agreed once both participants approved; an
//! amendment on the agreement's page keeps the cadence its form does not show.

use serde_json::json;

use crate::{call, on_both_backends, start, Backend};

on_both_backends!(a_dialogue_over_rest_reaches_the_parties_it_names);

async fn a_dialogue_over_rest_reaches_the_parties_it_names(backend: Backend) {
    let node = start(backend, server::taxii::TaxiiConfig::default()).await;
    let (s, v) = call(&node, &node.token_a, "GET", "modules", None).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["modules"].as_array().unwrap().iter().any(|m| m["name"] == "dialogue"), "{v}");

    // A trilateral agreement whose terms plan a quarterly senior dialogue.
    let terms = json!({
        "title": "A–B–C partnership", "purpose": "talk regularly",
        "party_refs": [node.a, node.b, node.c],
        "scope": { "object_types": [], "labels": [], "data_kind": "real" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z",
        "meeting_cadence": [{ "meeting_type": "senior-dialogue", "every_months": 3 }]
    });
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(terms.clone())).await;
    assert_eq!(s, 201, "{v}");
    let agreement = v["id"].as_str().unwrap().to_owned();
    for p in 0..3 {
        let (s, v) = call(&node, &node.liaison[p], "POST", &format!("agreements/{agreement}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    // A cadence the terms cannot hold is refused, naming it.
    let mut bad = terms.clone();
    bad["meeting_cadence"][0]["every_months"] = json!(0);
    let (s, v) = call(&node, &node.liaison[0], "POST", "agreements", Some(bad)).await;
    assert!(s.is_client_error(), "{s}: {v}");
    assert!(v.to_string().contains("meeting_cadence[0].every_months"), "{v}");

    let base = format!("agreements/{agreement}/modules/dialogue");
    let act = |token: &str, action: &str, input: serde_json::Value| {
        let (token, path) = (token.to_owned(), format!("{base}/actions/{action}"));
        let node = &node;
        async move { call(node, &token, "POST", &path, Some(input)).await }
    };
    // A channel for A and B alone, and a message in it.
    let (s, v) = act(&node.token_a, "create-channel", json!({ "title": "A and B", "members": [node.b] })).await;
    assert_eq!(s, 201, "{v}");
    let channel = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = act(&node.token_b, "post-message", json!({ "channel": channel, "text": "between us", "tlp": "green" })).await;
    assert_eq!(s, 201, "{v}");
    let message = v["record"]["id"].as_str().unwrap().to_owned();
    // Above the ceiling: refused, naming the property.
    let (s, v) = act(&node.token_a, "post-message", json!({ "channel": channel, "text": "too hot", "tlp": "red" })).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["description"].as_str().unwrap_or_default().contains("`object_marking_refs[0]`"), "{v}");

    // B sees the channel and the message; C, a party but no member, neither.
    let (s, on_b) = call(&node, &node.token_b, "GET", &base, None).await;
    assert_eq!(s, 200, "{on_b}");
    assert_eq!(on_b["state"]["channels"][0]["messages"][0]["text"], "between us", "{on_b}");
    let c = &node.liaison[2];
    let (s, on_c) = call(&node, c, "GET", &base, None).await;
    assert_eq!(s, 200, "{on_c}");
    assert_eq!(on_c["records"], 0, "{on_c}");
    let (_, records) = call(&node, c, "GET", &format!("{base}/records"), None).await;
    assert_eq!(records["records"], json!([]), "{records}");
    for id in [&channel, &message] {
        let (s, v) = call(&node, c, "GET", &format!("objects/{id}"), None).await;
        assert_eq!(s, 404, "{id}: {v}");
    }
    let (s, v) = act(c, "post-message", json!({ "channel": channel, "text": "let me in" })).await;
    assert_eq!(s, 404, "C cannot find the channel: {v}");

    // A meeting of A and B, its minutes approved by each: agreed, for C too.
    let meeting = json!({
        "title": "Senior dialogue", "meeting_type": "senior-dialogue", "date": "2026-01-15T10:00:00Z",
        "participants": [{ "party": node.a, "name": "Head of delegation", "role": "chair" }, { "party": node.b, "name": "Deputy director" }],
        "agenda": ["threats"], "minutes": "We agreed to meet again.", "decisions": ["meet quarterly"]
    });
    let (s, v) = act(&node.token_a, "record-meeting", meeting).await;
    assert_eq!(s, 201, "{v}");
    let meeting = v["record"]["id"].as_str().unwrap().to_owned();
    // Approving minutes agrees to them for the party: a liaison's, not an
    // analyst's (docs/modules.md#roles).
    let (s, v) = act(&node.token_a, "approve-minutes", json!({ "meeting": meeting })).await;
    assert_eq!((s.as_u16(), v["description"].as_str()), (403, Some("dialogue approve-minutes needs the liaison role or above")), "{v}");
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = act(token, "approve-minutes", json!({ "meeting": meeting })).await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = act(c, "approve-minutes", json!({ "meeting": meeting })).await;
    assert_eq!(s, 403, "C took no part: {v}");
    let (_, on_c) = call(&node, c, "GET", &base, None).await;
    assert_eq!(on_c["state"]["meetings"][0]["minutes_status"], "agreed", "{on_c}");
    assert_eq!(on_c["state"]["cadence"][0]["meeting_type"], "senior-dialogue", "{on_c}");
    assert!(on_c["state"]["cadence"][0]["planned"].as_u64().unwrap() > on_c["state"]["cadence"][0]["held"].as_u64().unwrap(), "{on_c}");

    // The amend form has no field for the cadence: an amendment made there keeps it.
    let a = crate::web::sign_in(&node, &node.liaison[0]).await;
    let form = format!("/agreements/{agreement}/amend");
    let (s, _, html) = a.get(&form).await;
    assert_eq!(s, 200, "{html}");
    let csrf = crate::web::csrf_of(&html);
    let fields = [
        ("csrf", csrf.as_str()), ("title", "A–B–C partnership, amended"), ("purpose", "talk regularly"),
        ("parties", &node.a), ("parties", &node.b), ("parties", &node.c), ("object_types", ""), ("labels", ""),
        ("data_kind", "real"), ("tlp_ceiling", "amber"), ("reshare", "parties-only"), ("attribution", "required"),
        ("valid_from", "2020-01-01"), ("valid_until", ""),
    ];
    let r = a.post(&form, &fields).await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (_, on_a) = call(&node, &node.token_a, "GET", &base, None).await;
    assert_eq!(on_a["state"]["cadence"][0]["every_months"], 3, "the amendment kept the cadence: {on_a}");
}
