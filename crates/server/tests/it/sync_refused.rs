//! A peer that serves partnership records its own node should have
//! refused (an older or broken build, or a store written by hand): on
//! arrival each is checked by its module as if it were made here, refused
//! naming the property, counted under its type in the sync report, and
//! never stored; the valid records of the same round are kept.

use serde_json::{json, Value};
use store::{PutOptions, Versions};

use crate::call;
use crate::pair::pair;

#[tokio::test]
async fn a_peers_invalid_module_records_are_refused_in_sync_and_counted_by_type() {
    let pair = pair().await;
    let (na, nb) = (&pair.a, &pair.b);
    let agreement = pair.agreement("A–B dialogue", &["indicator"]).await;
    let act = |action: &str, input: Value| {
        let path = format!("agreements/{agreement}/modules/dialogue/actions/{action}");
        let action = action.to_owned();
        async move {
            let (s, v) = call(nb, &nb.liaison[0], "POST", &path, Some(input)).await;
            assert_eq!(s, 201, "{action}: {v}");
            v["record"].clone()
        }
    };
    // Valid records, made through B's node.
    let channel = act("create-channel", json!({ "title": "operations" })).await;
    let message = act("post-message", json!({ "channel": channel["id"], "text": "hello" })).await;
    let participants = json!([{ "party": na.a, "name": "head", "role": "chair" }, { "party": nb.a, "name": "deputy", "role": "member" }]);
    let meeting = act("record-meeting", json!({ "title": "quarterly", "meeting_type": "senior-dialogue", "date": "2026-01-15T10:00:00Z", "participants": participants })).await;
    let item = act("add-action-item", json!({ "description": "send the list", "owner": na.a, "due": "2099-01-01T00:00:00Z" })).await;

    // Invalid ones of two kinds, written into B's store as B's: a meeting
    // naming a participant no party to the agreement (B's hosted C), an
    // action item due before it was made.
    let copy = |record: &Value, kind: &str| {
        let mut v = record.clone();
        v["id"] = json!(format!("{kind}--{}", uuid::Uuid::new_v4()));
        v
    };
    let mut bad_meeting = copy(&meeting, "x-entente-meeting");
    bad_meeting["participants"][1]["party_ref"] = json!(nb.c);
    let mut bad_item = copy(&item, "x-entente-action-item");
    bad_item["due"] = json!("2000-01-01T00:00:00Z");
    let bad: Vec<model::Object> = [&bad_meeting, &bad_item].iter().map(|v| model::Object::from_value((*v).clone()).unwrap()).collect();
    let options = PutOptions { posted_by: Some(nb.a.clone()), only_author: true, ..PutOptions::default() };
    let outcomes = nb.store.put(&bad, &options).unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, store::Outcome::Added(_))), "{outcomes:?}");

    let [to_a, to_b] = pair.sync().await;
    println!("sync refused: to A {:?} by type, {:?} by reason; to B {:?}", to_a.refused_by_type, to_a.refused, to_b.refused_by_type);
    let expected: std::collections::BTreeMap<String, u64> = [("x-entente-action-item".to_owned(), 1), ("x-entente-meeting".to_owned(), 1)].into();
    assert_eq!(to_a.refused_by_type, expected, "{to_a:?}");
    assert_eq!(to_a.refused.values().sum::<u64>(), 2, "{to_a:?}");
    let reasons: Vec<&String> = to_a.refused.keys().collect();
    assert!(reasons.iter().any(|r| r.contains("participants[1].party_ref")) && reasons.iter().any(|r| r.contains("`due`") || r.contains("due")), "the reasons name the property: {reasons:?}");
    assert!(to_b.refused_by_type.is_empty(), "{to_b:?}");

    // A's node keeps the valid records and none of the invalid ones.
    let held = |id: &Value| {
        let id = model::StixId::parse(id.as_str().unwrap()).unwrap();
        !na.store.get(&id, &Versions::ALL).unwrap().is_empty()
    };
    for (what, record) in [("channel", &channel), ("message", &message), ("meeting", &meeting), ("item", &item)] {
        assert!(held(&record["id"]), "A's node keeps B's valid {what}");
    }
    for (what, record) in [("meeting", &bad_meeting), ("item", &bad_item)] {
        assert!(!held(&record["id"]), "A's node stores no invalid {what}");
    }
    // And A's view of the module shows what was kept.
    let (s, v) = call(na, &na.liaison[0], "GET", &format!("agreements/{agreement}/modules/dialogue"), None).await;
    assert_eq!(s, 200, "{v}");
    let text = v.to_string();
    assert!(text.contains("quarterly") && text.contains("send the list") && text.contains("hello"), "{v}");
    assert_eq!(v["state"]["meetings"].as_array().map(Vec::len), Some(1), "{v}");
}

/// A crisis's records from a peer serving three objects a page: each page
/// is parsed, its signatures and its records checked by the crisis module
/// on one thread while the page before is stored on another. Invalid
/// situation reports on different pages (one ending before it starts, one
/// saying it is an exercise under a real-only agreement) are refused
/// naming the report and the property, counted under their type, never
/// stored; every valid record of the round is kept, and A's common picture
/// holds B's valid reports only.
#[tokio::test]
async fn a_peers_invalid_crisis_records_are_refused_on_arrival_page_after_page() {
    let pair = crate::pair::pair_paged(3).await;
    let (na, nb) = (&pair.a, &pair.b);
    let agreement = pair.agreement("A–B crisis", &["indicator"]).await;
    let act = |action: &str, input: Value| {
        let path = format!("agreements/{agreement}/modules/crisis/actions/{action}");
        let action = action.to_owned();
        async move {
            let (s, v) = call(nb, &nb.liaison[0], "POST", &path, Some(input)).await;
            assert_eq!(s, 201, "{action}: {v}");
            v["record"].clone()
        }
    };
    let crisis = act("activate", json!({ "title": "Flooded data centre", "severity": "severe", "exercise": false })).await;
    let sitrep = |n: u32| {
        json!({
            "crisis": crisis["id"], "period_start": format!("2026-06-0{n}T00:00:00Z"), "period_end": format!("2026-06-0{n}T06:00:00Z"),
            "situation_summary": format!("report {n}: pumps running"),
        })
    };
    // Invalid copies of a valid report, each written into B's store as B's
    // on its own (so each has its own date added, and they fall on
    // different pages among the valid ones).
    let bad = |record: &Value, change: &dyn Fn(&mut Value)| {
        let mut v = record.clone();
        v["id"] = json!(format!("x-entente-crisis-sitrep--{}", uuid::Uuid::new_v4()));
        change(&mut v);
        let object = model::Object::from_value(v.clone()).unwrap();
        let options = PutOptions { posted_by: Some(nb.a.clone()), only_author: true, ..PutOptions::default() };
        let outcomes = nb.store.put(&[object], &options).unwrap();
        assert!(outcomes.iter().all(|o| matches!(o, store::Outcome::Added(_))), "{outcomes:?}");
        v
    };
    let mut valid = vec![crisis.clone()];
    for n in 1..=3 {
        valid.push(act("file-sitrep", sitrep(n)).await);
    }
    let backwards = bad(&valid[1], &|v| v["period_end"] = json!("2026-05-31T00:00:00Z"));
    for n in 4..=6 {
        valid.push(act("file-sitrep", sitrep(n)).await);
    }
    let exercise = bad(&valid[4], &|v| {
        v["exercise"] = json!(true);
        v["labels"] = json!(["x-entente-exercise"]);
    });
    for n in 7..=8 {
        valid.push(act("file-sitrep", sitrep(n)).await);
    }

    let [to_a, to_b] = pair.sync().await;
    println!("sync: to A {} pages, refused {:?}; to B {:?}", to_a.pages, to_a.refused, to_b.refused);
    assert!(to_a.pages >= 4, "the round read its records over several pages: {to_a:?}");
    let expected: std::collections::BTreeMap<String, u64> = [("x-entente-crisis-sitrep".to_owned(), 2)].into();
    assert_eq!(to_a.refused_by_type, expected, "{to_a:?}");
    let reasons: Vec<&String> = to_a.refused.keys().collect();
    for (record, property) in [(&backwards, "`period_end`"), (&exercise, "`exercise`")] {
        let id = record["id"].as_str().unwrap();
        assert!(reasons.iter().any(|r| r.contains(id) && r.contains(property)), "a reason names {id} and {property}: {reasons:?}");
    }
    assert!(to_b.refused_by_type.is_empty(), "{to_b:?}");

    let held = |id: &Value| {
        let id = model::StixId::parse(id.as_str().unwrap()).unwrap();
        !na.store.get(&id, &Versions::ALL).unwrap().is_empty()
    };
    for record in &valid {
        assert!(held(&record["id"]), "A's node keeps B's valid {}", record["id"]);
    }
    for record in [&backwards, &exercise] {
        assert!(!held(&record["id"]), "A's node stores no invalid {}", record["id"]);
    }
    let (s, v) = call(na, &na.liaison[0], "GET", &format!("agreements/{agreement}/modules/crisis"), None).await;
    assert_eq!(s, 200, "{v}");
    // The picture keeps each party's latest report and counts them; the
    // timeline lists every one.
    let crisis_state = &v["state"]["crises"][0];
    assert_eq!(crisis_state["sitreps"][0]["reports"], json!(8), "A's common picture counts B's eight valid reports: {crisis_state}");
    let timeline: Vec<&str> = crisis_state["timeline"].as_array().unwrap().iter().filter(|e| e["event"] == "sitrep").filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(timeline.len(), 8, "{crisis_state}");
    for record in [&backwards, &exercise] {
        assert!(!timeline.contains(&record["id"].as_str().unwrap()), "{crisis_state}");
    }
}
