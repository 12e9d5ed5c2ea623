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
