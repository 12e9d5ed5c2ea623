//! The resources ledger across three sovereign nodes: terms accepted by
//! each party on its own node; pledges, deliveries and confirmations made
//! by Aurelia, Borealis and Caledonia each on its own node; after sync,
//! every node shows the same balances and figures; a delivery against
//! another's commitment and a confirmation by a non-receiver are refused
//! naming the property; and the ledger of the Aurelia–Borealis agreement
//! never reaches Caledonia's node.

use serde_json::{json, Value};

use crate::nodes::{malware_terms, three_nations, Node};

/// Every node pulls once from each of its peers (their servers reread
/// agreements at least every second: records just stored count by then).
fn sync_all(nodes: &[&Node]) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for n in nodes {
        n.ok(&["sync"]);
    }
}

/// The resources state on `node`, as its own partner sees it.
fn state(node: &Node, agreement: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "resources"])).unwrap();
    s["state"].clone()
}

/// `node`'s partner takes a resources action; the id of the record it authored.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> String {
    let out: Value = serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, "resources", action, "--input", &input.to_string()])).unwrap();
    out["id"].as_str().unwrap().to_owned()
}

/// Terms in euros, with a dollar rate for every year the test may run in.
fn terms() -> Value {
    let rates: Vec<Value> = (2020..=2100).map(|y| json!({ "currency": "USD", "year": y, "rate": 0.5 })).collect();
    json!({
        "unit": "EUR",
        "in_kind_rates": [{ "kind": "personnel", "category": "analyst", "rate": 100 }],
        "exchange_rates": rates,
        "cost_share": { "method": "gni" },
    })
}

fn commit(receiver: &Node, resource: &str, quantity: f64, currency: Option<&str>) -> Value {
    let mut c = json!({ "resource": resource, "quantity": quantity, "receiver": receiver.id, "year": 2026, "due": "2099-01-01T00:00:00Z", "description": format!("{resource} for {}", receiver.id) });
    match currency {
        Some(cur) => c["currency"] = json!(cur),
        None => c["category"] = json!("analyst"),
    }
    c
}

#[test]
fn pledges_deliveries_and_confirmations_on_three_nodes_give_the_same_balances_and_a_bilateral_ledger_stays_bilateral() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    std::fs::write(a.dir.join("tri.json"), malware_terms("A–B–C", &[&a.id, &b.id, &c.id]).to_string()).unwrap();
    std::fs::write(a.dir.join("bi.json"), malware_terms("A–B", &[&a.id, &b.id]).to_string()).unwrap();
    let tri = a.ok(&["agreement", "propose", "--as", &a.id, "tri.json"]);
    let bi = a.ok(&["agreement", "propose", "--as", &a.id, "bi.json"]);
    for id in [&tri, &bi] {
        a.ok(&["agreement", "ratify", "--as", &a.id, id]);
    }
    sync_all(&[b, c]);
    for id in [&tri, &bi] {
        b.ok(&["agreement", "ratify", "--as", &b.id, id]);
    }
    c.ok(&["agreement", "ratify", "--as", &c.id, &tri]);
    sync_all(&all);

    // Terms proposed on Aurelia's node, accepted by each party on its own.
    let t = act(a, &tri, "propose-terms", terms());
    act(a, &tri, "accept-terms", json!({ "terms": t }));
    sync_all(&[b, c]);
    act(b, &tri, "accept-terms", json!({ "terms": t }));
    act(c, &tri, "accept-terms", json!({ "terms": t }));
    sync_all(&all);
    for n in all {
        assert_eq!(state(n, &tri)["terms"]["record"], t.as_str(), "{}", n.dir.display());
    }

    // Figures (for 2026 and the year the test runs in, when the deliveries
    // count) and pledges, each on its party's node.
    let mut years = vec![2026, this_year()];
    years.dedup();
    for (n, gni, cur) in [(a, 600, "EUR"), (b, 600, "USD"), (c, 100, "EUR")] {
        for y in &years {
            act(n, &tri, "declare-figures", json!({ "year": y, "currency": cur, "gni": gni, "population": 10 }));
        }
    }
    let ca = act(a, &tri, "commit", commit(b, "money", 300.0, Some("EUR")));
    let cb = act(b, &tri, "commit", commit(c, "money", 200.0, Some("USD")));
    let cc = act(c, &tri, "commit", commit(a, "personnel", 1.0, None));
    sync_all(&all);

    // Caledonia may not deliver against Aurelia's commitment; Borealis may not confirm what goes to Aurelia.
    let out = crate::entente(&c.dir, &["module", "act", "--as", &c.id, &tri, "resources", "deliver", "--input", &json!({ "commitment": ca, "quantity": 300 }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`commitment`"), "{}", crate::stderr(&out));
    let da = act(a, &tri, "deliver", json!({ "commitment": ca, "quantity": 300 }));
    let db = act(b, &tri, "deliver", json!({ "commitment": cb, "quantity": 200 }));
    let dc = act(c, &tri, "deliver", json!({ "commitment": cc, "quantity": 1 }));
    sync_all(&all);
    let out = crate::entente(&b.dir, &["module", "act", "--as", &b.id, &tri, "resources", "confirm", "--input", &json!({ "delivery": dc, "verdict": "confirmed" }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`delivery`"), "{}", crate::stderr(&out));
    // Before any confirmation nothing counts, on any node.
    for n in all {
        let s = state(n, &tri);
        assert!(s["balances"].as_array().unwrap().iter().all(|x| x["confirmed"] == 0.0), "{}: {s}", n.dir.display());
    }
    act(b, &tri, "confirm", json!({ "delivery": da, "verdict": "confirmed" }));
    act(c, &tri, "confirm", json!({ "delivery": db, "verdict": "confirmed" }));
    act(a, &tri, "confirm", json!({ "delivery": dc, "verdict": "confirmed" }));
    sync_all(&all);
    sync_all(&all);

    let on_a = state(a, &tri);
    for n in [b, c] {
        let s = state(n, &tri);
        assert_eq!(s["balances"], on_a["balances"], "{}", n.dir.display());
        assert_eq!(s["periods"], on_a["periods"], "{}", n.dir.display());
        assert_eq!(s["ledger"], on_a["ledger"], "{}", n.dir.display());
    }
    let confirmed = |p: &Node| on_a["balances"].as_array().unwrap().iter().find(|x| x["party"] == p.id.as_str()).unwrap()["confirmed"].as_f64();
    assert_eq!((confirmed(a), confirmed(b), confirmed(c)), (Some(300.0), Some(100.0), Some(100.0)), "{on_a}");
    // GNI 600 : 300 : 100 against contributions 300 : 100 : 100: Borealis under, Caledonia over.
    let period = &on_a["periods"][0];
    let row = |p: &Node| period["parties"].as_array().unwrap().iter().find(|x| x["party"] == p.id.as_str()).unwrap().clone();
    assert_eq!((row(b)["balance"].as_f64(), row(c)["balance"].as_f64()), (Some(-50.0), Some(50.0)), "{period}");

    // The bilateral ledger: terms, a pledge, a delivery, a confirmation, between Aurelia and Borealis.
    let mut bilateral = vec![act(a, &bi, "propose-terms", terms())];
    bilateral.push(act(a, &bi, "accept-terms", json!({ "terms": bilateral[0] })));
    sync_all(&[b]);
    bilateral.push(act(b, &bi, "accept-terms", json!({ "terms": bilateral[0] })));
    sync_all(&[a]);
    bilateral.push(act(a, &bi, "commit", commit(b, "money", 50.0, Some("EUR"))));
    bilateral.push(act(a, &bi, "deliver", json!({ "commitment": bilateral[3], "quantity": 50 })));
    sync_all(&[b]);
    bilateral.push(act(b, &bi, "confirm", json!({ "delivery": bilateral[4], "verdict": "confirmed" })));
    sync_all(&all);
    let s = state(a, &bi);
    assert_eq!(s["ledger"][0]["status"], "confirmed", "{s}");
    let on_c = c.stored();
    let leaked: Vec<&String> = bilateral.iter().filter(|r| on_c.contains(r)).collect();
    println!("resources: {} bilateral ledger records, leaked {} to Caledonia's node", bilateral.len(), leaked.len());
    assert_eq!(leaked.len(), 0, "Caledonia's node holds the A–B ledger: {leaked:?}");
    assert!(on_c.contains(&da) && on_c.contains(&t), "the trilateral ledger did reach Caledonia");
}

/// The current year (UTC), from the system clock.
fn this_year() -> i64 {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 86_400;
    // Civil year from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}
