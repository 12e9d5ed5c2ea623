//! Crisis assistance as an in-kind contribution in the resources ledger,
//! across three sovereign nodes: under the Aurelia–Borealis–Caledonia
//! agreement, Borealis requests responders in a real crisis, Caledonia
//! commits and delivers them on its own node, Borealis releases them on
//! its own; after sync the resources ledger on every node holds the same
//! entry with the same value, linked to the crisis; the same steps in an
//! exercise crisis count for nothing. Under the Borealis–Caledonia
//! agreement the same flow reaches neither Aurelia's node nor its reads.

use serde_json::{json, Value};

use crate::nodes::{agree, malware_terms, sync_all, three_nations, Node};

/// `node`'s partner takes `action` of `module` under `agreement`; the record's id.
fn act(node: &Node, agreement: &str, module: &str, action: &str, input: Value) -> String {
    let out: Value = serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, module, action, "--input", &input.to_string()])).unwrap();
    out["id"].as_str().unwrap().to_owned()
}

fn ledger(node: &Node, agreement: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "resources"])).unwrap();
    s["state"].clone()
}

/// Resource terms in euros: crisis assistance counted in people at 2,500 a person.
fn terms() -> Value {
    json!({
        "unit": "EUR",
        "in_kind_rates": [{ "kind": "assistance", "category": "people", "rate": 2500 }, { "kind": "hosting", "rate": 5000 }],
        "exchange_rates": [],
        "cost_share": { "method": "equal" },
    })
}

/// Terms proposed by `proposer` and accepted by every party, each on its own node.
fn accept_terms(proposer: &Node, others: &[&Node], agreement: &str) {
    let t = act(proposer, agreement, "resources", "propose-terms", terms());
    act(proposer, agreement, "resources", "accept-terms", json!({ "terms": t }));
    sync_all(others);
    for o in others {
        act(o, agreement, "resources", "accept-terms", json!({ "terms": t }));
    }
}

/// A crisis activated by `lead`; `requester` asks 4 people; `provider`
/// commits 4 and delivers 3; the requester releases them. The ids of the
/// crisis and of the delivery, and every record made.
fn assistance(lead: &Node, requester: &Node, provider: &Node, agreement: &str, exercise: bool) -> (String, String, Vec<String>) {
    let nodes = [lead, requester, provider];
    let crisis = act(lead, agreement, "crisis", "activate", json!({ "title": "Grid down", "severity": "severe", "exercise": exercise }));
    sync_all(&nodes);
    let request = act(requester, agreement, "crisis", "request-assistance", json!({ "crisis": crisis, "resource": "grid engineers <b>", "quantity": 4, "unit": "people" }));
    sync_all(&[provider]);
    let commit = act(provider, agreement, "crisis", "commit-assistance", json!({ "request": request, "quantity": 4 }));
    let deliver = act(provider, agreement, "crisis", "deliver-assistance", json!({ "request": request, "quantity": 3 }));
    sync_all(&[requester]);
    let release = act(requester, agreement, "crisis", "release-assistance", json!({ "request": request, "note": "received, thank you" }));
    sync_all(&nodes);
    sync_all(&nodes);
    (crisis.clone(), deliver.clone(), vec![crisis, request, commit, deliver, release])
}

#[test]
fn crisis_assistance_delivered_on_one_node_is_the_same_in_kind_entry_on_every_partys_node() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    let mut tri_terms = malware_terms("A–B–C", &[&a.id, &b.id, &c.id]);
    tri_terms["scope"]["data_kind"] = json!("both");
    let tri = agree(a, &[b, c], &tri_terms);
    let bc = agree(b, &[c], &malware_terms("B–C", &[&b.id, &c.id]));
    sync_all(&all);
    accept_terms(a, &[b, c], &tri);
    accept_terms(b, &[c], &bc);
    sync_all(&all);

    let (crisis, delivery, _) = assistance(a, b, c, &tri, false);
    let (_, drill_delivery, _) = assistance(a, b, c, &tri, true);
    let (_, bc_delivery, bc_made) = assistance(b, b, c, &bc, false);
    sync_all(&all);

    // The same ledger on every node of the trilateral agreement: one entry,
    // 3 people × 2,500, confirmed by Borealis's release, linked to the crisis.
    let states: Vec<Value> = all.iter().map(|n| ledger(n, &tri)).collect();
    let s = &states[0];
    let entries = s["ledger"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the real delivery alone: {s}");
    let e = &entries[0];
    assert_eq!(e["id"], delivery.as_str());
    assert_eq!((e["giver"].as_str(), e["receiver"].as_str()), (Some(c.id.as_str()), Some(b.id.as_str())), "{e}");
    assert_eq!((e["status"].as_str(), e["value"].as_f64(), e["quantity"].as_f64(), e["measure"].as_str()), (Some("confirmed"), Some(7500.0), Some(3.0), Some("people")), "{e}");
    assert_eq!(e["source"], json!({ "module": "crisis", "record": delivery, "of": crisis }));
    assert_eq!(s["exercise_left_out"], 2, "the drill's commitment and delivery: {s}");
    let year = &s["periods"][0];
    let row = |p: &str| year["parties"].as_array().unwrap().iter().find(|x| x["party"] == p).cloned().unwrap();
    assert_eq!((row(&c.id)["contributed"].as_f64(), row(&c.id)["pledged"].as_f64(), row(&b.id)["received"].as_f64()), (Some(7500.0), Some(10000.0), Some(7500.0)), "{year}");
    for (n, other) in all.iter().zip(&states) {
        assert_eq!(other["ledger"], s["ledger"], "{}: another ledger", n.dir.display());
        assert_eq!(other["periods"], s["periods"], "{}: other figures", n.dir.display());
    }
    assert!(!entries.iter().any(|e| e["id"] == drill_delivery.as_str() || e["id"] == bc_delivery.as_str()));

    // The Borealis–Caledonia ledger has its own entry, on their nodes alone.
    for n in [b, c] {
        let bc_ledger = ledger(n, &bc);
        assert_eq!(bc_ledger["ledger"].as_array().map(|l| l.iter().map(|e| e["id"].clone()).collect::<Vec<_>>()), Some(vec![json!(bc_delivery)]), "{bc_ledger}");
    }
    let out = crate::entente(&a.dir, &["module", "state", &bc, "resources"]);
    assert!(!out.status.success(), "Aurelia read the B–C ledger: {}", String::from_utf8_lossy(&out.stdout));
    let held = a.stored();
    let leaked: Vec<&String> = bc_made.iter().filter(|r| held.contains(r)).collect();
    println!("in kind: 1 entry, the same on 3 nodes; B–C records on Aurelia's node: {}", leaked.len());
    assert!(leaked.is_empty(), "{leaked:?}");
}
