//! The agreements module's kit actions across sovereign nodes: Aurelia (A)
//! amends the A–B agreement through the kit (`propose`, over REST as its
//! liaison), ratifies the new version there (signed by A's node with A's
//! key), gives notices (a suspension; a withdrawal it then cancels); each
//! record reaches Borealis's own node by the ordinary pull sync, where its
//! signature is checked against A's key and the agreement's status moves as
//! on A's node. Caledonia (C), party to another agreement with A (where a
//! kit notice of A's does reach it), holds none of the A–B records and
//! cannot read the A–B agreement.

use serde_json::{json, Value};

use crate::nodes::{agree, malware_terms, sync_all, three_nations, Node};

/// `node`'s partner takes `action` of the agreements module under
/// `agreement` on the command line (`node::modules::act_signed`); the record.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> Value {
    let out = node.ok(&["module", "act", "--as", &node.id, agreement, "agreements", action, "--input", &input.to_string()]);
    serde_json::from_str(&out).unwrap()
}

/// `POST /api/v1/agreements/{agreement}/modules/agreements/actions/{action}`
/// on `node` with `token`: the status and the JSON body.
fn post(node: &Node, token: &str, agreement: &str, action: &str, input: Value) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{}/api/v1/agreements/{agreement}/modules/agreements/actions/{action}", node.port))
        .bearer_auth(token)
        .json(&input)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, serde_json::from_str(&r.text().unwrap()).unwrap_or(Value::Null))
}

/// The record a REST action made, which must have been made (201).
fn made(node: &Node, token: &str, agreement: &str, action: &str, input: Value) -> Value {
    let (status, body) = post(node, token, agreement, action, input);
    assert_eq!(status, 201, "{action} on {}: {body}", node.dir.display());
    body["record"].clone()
}

/// The agreements module's state of `agreement` on `node`, for its own partner.
fn state(node: &Node, agreement: &str) -> Value {
    let out: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "agreements"])).unwrap();
    out["state"].clone()
}

/// Every version of the records `kind` of `agreement` on `node` (the agreements module's view).
fn records(node: &Node, agreement: &str, kind: &str) -> Vec<Value> {
    node.ok(&["module", "records", "--kind", kind, agreement, "agreements"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `(id, modified)` of a record (`created` for one never versioned).
fn version(r: &Value) -> (String, String) {
    let at = r.get("modified").or_else(|| r.get("created")).and_then(Value::as_str).unwrap_or_default();
    (r["id"].as_str().unwrap_or_default().to_owned(), at.to_owned())
}

#[test]
fn kit_amendment_ratification_and_notices_made_on_one_node_reach_the_other_partys_node_and_no_third() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    let ab = agree(a, &[b], &malware_terms("A–B", &[&a.id, &b.id]));
    let ac = agree(a, &[c], &malware_terms("A–C", &[&a.id, &c.id]));
    let liaison = a.token_for(&a.id, "liaison");
    let analyst = a.token_for(&a.id, "analyst");

    // A's liaison amends A–B through the kit over REST (an analyst may not)
    // and ratifies the new version there; A's node awaits B alone.
    let mut amended = malware_terms("A–B, amended <b>", &[&a.id, &b.id]);
    amended["tlp_ceiling"] = json!("green");
    let (status, body) = post(a, &analyst, &ab, "propose", amended.clone());
    assert_eq!(status, 403, "an analyst amended the agreement: {body}");
    let amendment = made(a, &liaison, &ab, "propose", amended);
    assert_eq!(amendment["id"], ab.as_str(), "{amendment}");
    let ratification = made(a, &liaison, &ab, "ratify", json!({}));
    assert!(ratification["signature"].as_str().is_some_and(|s| !s.is_empty()), "{ratification}");
    assert_eq!(ratification["agreement_version"], amendment["modified"], "{ratification}");
    let on_a = state(a, &ab);
    assert_eq!(on_a["status_text"], format!("awaiting ratification by {}", b.id), "{on_a}");
    assert_eq!((on_a["title"].as_str(), on_a["version"].as_str()), (Some("A–B, amended <b>"), amendment["modified"].as_str()), "{on_a}");

    // On B's own node after a pull: the new version and A's ratification,
    // its signature verified against A's key (else A would be missing too).
    sync_all(&all);
    let on_b = state(b, &ab);
    assert_eq!(on_b, on_a, "B's node derives another state");
    let held = records(b, &ab, "x-entente-ratification");
    let theirs = held.iter().find(|r| r["id"] == ratification["id"]).unwrap_or_else(|| panic!("A's ratification is not on B's node: {held:?}"));
    assert_eq!(theirs, &ratification, "A's ratification changed on its way");
    // The records pages list ratifications and notices; the agreement's versions are in the store.
    let versions: Vec<Value> = b.versions().into_iter().filter(|o| o["id"] == ab.as_str()).collect();
    assert!(versions.contains(&amendment), "the amendment is not on B's node as A made it: {versions:?}");
    let show = b.ok(&["agreement", "show", &ab]);
    let line = format!("ratified by {} (version {})", a.id, amendment["modified"].as_str().unwrap());
    assert!(show.lines().any(|l| l.trim() == line), "B's node does not verify A's ratification of the amendment: {show}");
    let list = b.ok(&["agreement", "list"]);
    assert!(list.contains("A–B, amended") && list.contains("[awaiting ratification"), "{list}");

    // B ratifies on its own node through the kit: in force on both nodes.
    let b_ratification = act(b, &ab, "ratify", json!({}));
    sync_all(&all);
    for n in [a, b] {
        let s = state(n, &ab);
        assert_eq!(s["status"], "in-force", "{}: {s}", n.dir.display());
        let of_latest: Vec<&str> = s["ratifications"].as_array().unwrap().iter().filter(|r| r["of_latest"] == true).map(|r| r["party"].as_str().unwrap()).collect();
        assert_eq!(of_latest.len(), 2, "{}: {s}", n.dir.display());
        assert!(of_latest.contains(&a.id.as_str()) && of_latest.contains(&b.id.as_str()), "{}: {s}", n.dir.display());
    }

    // A's notices through the kit: a suspension in effect now (over REST),
    // and a withdrawal set for later, which it then cancels (the command
    // line): B's node shows A's suspension and the cancelled withdrawal.
    let suspension = made(a, &liaison, &ab, "give-notice", json!({ "notice_type": "suspension" }));
    let withdrawal = act(a, &ab, "give-notice", json!({ "notice_type": "withdrawal", "effective": "2099-01-01T00:00:00Z" }));
    let cancelled = act(a, &ab, "cancel-notice", json!({ "notice": withdrawal["id"] }));
    assert_eq!((cancelled["id"].clone(), cancelled["revoked"].clone()), (withdrawal["id"].clone(), json!(true)), "{cancelled}");
    sync_all(&all);
    let (on_a, on_b) = (state(a, &ab), state(b, &ab));
    assert_eq!(on_b, on_a, "B's node derives another state");
    assert_eq!(on_b["status_text"], format!("suspended by {}", a.id), "{on_b}");
    let notices = on_b["notices"].as_array().unwrap();
    let by_id = |id: &Value| notices.iter().find(|n| n["id"] == *id).cloned().unwrap_or_else(|| panic!("{id} is not on B's node: {on_b}"));
    assert_eq!((by_id(&suspension["id"])["in_effect"].clone(), by_id(&suspension["id"])["party"].clone()), (json!(true), json!(a.id)), "{on_b}");
    assert_eq!((by_id(&withdrawal["id"])["cancelled"].clone(), by_id(&withdrawal["id"])["in_effect"].clone()), (json!(true), json!(false)), "{on_b}");

    // Under A–C, a notice of A's made through the kit does reach C's node...
    let ac_notice = act(a, &ac, "give-notice", json!({ "notice_type": "suspension" }));
    sync_all(&all);
    let on_c = state(c, &ac);
    assert_eq!(on_c["status_text"], format!("suspended by {}", a.id), "{on_c}");
    assert!(on_c["notices"].as_array().unwrap().iter().any(|n| n["id"] == ac_notice["id"]), "{on_c}");

    // ...but nothing of A–B: no version of any of its records, and no view.
    let ab_made = [&amendment, &ratification, &b_ratification, &suspension, &withdrawal, &cancelled];
    let on_c: Vec<(String, String)> = c.versions().iter().map(version).collect();
    let leaked: Vec<(String, String)> = ab_made.iter().map(|r| version(r)).filter(|v| on_c.contains(v)).collect();
    assert!(leaked.is_empty(), "A–B records on C's node: {leaked:?}");
    assert!(!on_c.iter().any(|(id, _)| *id == ab), "the A–B agreement is on C's node");
    assert!(c.versions().iter().all(|o| o["agreement_ref"] != ab.as_str()), "a record of A–B is on C's node");
    let out = crate::entente(&c.dir, &["module", "state", &ab, "agreements"]);
    assert!(!out.status.success(), "C read A–B: {}", String::from_utf8_lossy(&out.stdout));
    let on_b = records(b, &ab, "x-entente-ratification").len() + records(b, &ab, "x-entente-notice").len() + versions.len();
    println!("kit agreements: {on_b} A–B versions on B's node, {} on C's", leaked.len());
}
