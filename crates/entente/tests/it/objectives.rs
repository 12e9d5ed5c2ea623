//! Shared objectives across three sovereign nodes: an objective proposed on
//! Aurelia's node is endorsed by Borealis and Caledonia each on its own
//! node and is adopted on every node once synced; an amendment puts it back
//! to awaiting endorsement everywhere; a progress report by the KPI's
//! reporting party reaches the others; and what Aurelia and Borealis do
//! under their bilateral agreement never reaches Caledonia's node.

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

/// The objectives module's state on `node`, as its own partner sees it.
fn state(node: &Node, agreement: &str) -> Value {
    serde_json::from_str(&node.ok(&["module", "state", agreement, "objectives"])).unwrap()
}

/// `node`'s partner takes an objectives action; the record it authored.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> Value {
    serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, "objectives", action, "--input", &input.to_string()])).unwrap()
}

/// The objective `id` in `node`'s state.
fn objective(node: &Node, agreement: &str, id: &str) -> Value {
    let s = state(node, agreement);
    s["state"]["objectives"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().unwrap_or_else(|| panic!("{}: no {id} in {s}", node.dir.display()))
}

fn kpi(name: &str, baseline: f64, target: f64, reporter: &Node) -> Value {
    let direction = if target > baseline { "increase" } else { "decrease" };
    json!({ "name": name, "unit": "count", "baseline": baseline, "target": target, "direction": direction,
            "due": "2099-01-01T00:00:00Z", "weight": 1, "reporting_party_ref": reporter.id })
}

#[test]
fn objectives_are_endorsed_on_each_partys_node_and_reach_no_third_party() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];

    // A trilateral and an A–B agreement, each ratified on each party's own node.
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
    for (n, want) in [(a, 2), (b, 2), (c, 1)] {
        let list = n.ok(&["agreement", "list"]);
        assert_eq!(list.matches("[in force]").count(), want, "{}: {list}", n.dir.display());
    }

    // Bad input is refused naming the property, and nothing is stored.
    let out = crate::entente(&a.dir, &["module", "act", "--as", &a.id, &tri, "objectives", "propose", "--input",
        &json!({ "title": "x", "kpis": [kpi("hours", 4.0, 4.0, b)] }).to_string()]);
    assert!(!out.status.success());
    assert!(crate::stderr(&out).contains("kpis[0].target"), "{}", crate::stderr(&out));
    assert_eq!(state(a, &tri)["records"], 0);

    // Aurelia proposes and endorses on its node; Borealis and Caledonia each endorse on theirs.
    let proposed = act(a, &tri, "propose", json!({ "title": "Share critical indicators faster",
        "kpis": [kpi("hours to share", 12.0, 4.0, b), kpi("joint exercises", 1.0, 4.0, c)] }));
    let id = proposed["id"].as_str().unwrap().to_owned();
    act(a, &tri, "endorse", json!({ "objective": id }));
    sync_all(&[b, c]);
    assert_eq!(objective(b, &tri, &id)["stage"], "awaiting-endorsement");
    act(b, &tri, "endorse", json!({ "objective": id }));
    act(c, &tri, "endorse", json!({ "objective": id }));
    sync_all(&all);
    for n in all {
        let o = objective(n, &tri, &id);
        assert_eq!(o["stage"], "adopted", "{}: {o}", n.dir.display());
        assert_eq!(o["endorsed_by"].as_array().unwrap().len(), 3);
    }

    // Aurelia amends: awaiting every party's endorsement again, on every node.
    act(a, &tri, "amend", json!({ "objective": id, "title": "Share critical indicators within four hours" }));
    sync_all(&[b, c]);
    for n in all {
        let o = objective(n, &tri, &id);
        assert_eq!((o["stage"].as_str(), o["versions"].as_u64()), (Some("awaiting-endorsement"), Some(2)), "{}: {o}", n.dir.display());
        assert_eq!(o["awaiting"].as_array().unwrap().len(), 3);
    }

    // Borealis, the reporting party of "hours to share", reports on its node; the others receive it.
    let report = act(b, &tri, "report", json!({ "objective": id, "kpi": "hours to share", "value": 8, "note": "median over March" }));
    sync_all(&[a, c]);
    for n in all {
        let o = objective(n, &tri, &id);
        let history = &o["kpis"][0]["history"];
        assert_eq!(history.as_array().map(Vec::len), Some(1), "{}: {o}", n.dir.display());
        assert_eq!(history[0]["report"], report["id"]);
        assert_eq!(o["kpis"][0]["progress"], 0.5);
    }
    // Caledonia may not report for Borealis's KPI.
    let out = crate::entente(&c.dir, &["module", "act", "--as", &c.id, &tri, "objectives", "report", "--input",
        &json!({ "objective": id, "kpi": "hours to share", "value": 2 }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`kpi`"), "{}", crate::stderr(&out));

    // Under the bilateral agreement: an objective, both endorsements and a report.
    let own = act(a, &bi, "propose", json!({ "title": "Pool malware analysts", "kpis": [kpi("analysts", 2.0, 6.0, b)] }));
    let own_id = own["id"].as_str().unwrap().to_owned();
    let mut bilateral = vec![own_id.clone(), act(a, &bi, "endorse", json!({ "objective": own_id }))["id"].as_str().unwrap().to_owned()];
    sync_all(&[b]);
    bilateral.push(act(b, &bi, "endorse", json!({ "objective": own_id }))["id"].as_str().unwrap().to_owned());
    bilateral.push(act(b, &bi, "report", json!({ "objective": own_id, "kpi": "analysts", "value": 3 }))["id"].as_str().unwrap().to_owned());
    sync_all(&all);
    let o = objective(a, &bi, &own_id);
    assert_eq!((o["stage"].as_str(), o["kpis"][0]["latest"].as_f64()), (Some("adopted"), Some(3.0)), "{o}");
    let on_c = c.stored();
    let leaked: Vec<&String> = bilateral.iter().filter(|r| on_c.contains(r)).collect();
    println!("objectives: {} bilateral records, {} of them leaked to Caledonia's node", bilateral.len(), leaked.len());
    assert_eq!(leaked.len(), 0, "Caledonia's node holds bilateral records: {leaked:?}");
    assert!(on_c.contains(&id) && on_c.contains(&report["id"].as_str().unwrap().to_owned()), "the trilateral records did reach Caledonia");
}
