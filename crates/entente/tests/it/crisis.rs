//! A crisis across three sovereign nodes: Aurelia activates an exercise
//! crisis from a playbook every nation endorsed on its own node; Borealis
//! and Caledonia acknowledge on theirs; the tasks are worked by their
//! assignees, each nation files a situation report, Borealis requests
//! assistance that Caledonia commits and delivers; Aurelia closes it. Every
//! node shows the same common picture; a crisis under the A–B agreement
//! never reaches Caledonia, and an exercise crisis under that real-only
//! agreement is refused naming `exercise`; the closed crisis's review
//! report is produced on every node, the same bytes. The figure printed: records
//! checked on each node against the expected sets, leaked 0, missing 0.

use serde_json::{json, Value};

use crate::nodes::{malware_terms, three_nations, Node};

/// `node`'s partner takes `action` of the crisis module under `agreement`; the record's id.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> String {
    let out: Value = serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, "crisis", action, "--input", &input.to_string()])).unwrap();
    out["id"].as_str().unwrap().to_owned()
}

/// The crisis module's state under `agreement` on `node`.
fn state(node: &Node, agreement: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "crisis"])).unwrap();
    s["state"].clone()
}

/// One pull round on each node, in turn (the peers' servers reread
/// agreements at least every second: records just stored count by then).
fn sync_all(nodes: &[&Node]) {
    for n in nodes {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        n.ok(&["sync"]);
    }
}

/// `terms` proposed and ratified on `a`'s node, then ratified by each of
/// `others` on its own: in force on each party's node. The agreement's id.
fn agree(a: &Node, others: &[&Node], terms: &Value) -> String {
    std::fs::write(a.dir.join("terms.json"), terms.to_string()).unwrap();
    let agreement = a.ok(&["agreement", "propose", "--as", &a.id, "terms.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &agreement]);
    sync_all(others);
    for o in others {
        o.ok(&["agreement", "ratify", "--as", &o.id, &agreement]);
    }
    sync_all(&[a]);
    sync_all(others);
    for n in std::iter::once(a).chain(others.iter().copied()) {
        assert!(n.ok(&["agreement", "list"]).contains("[in force]"), "{}", n.dir.display());
    }
    agreement
}

#[test]
fn an_exercise_crisis_from_an_endorsed_playbook_runs_across_three_nodes_with_one_common_picture() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    // The trilateral agreement covers real and exercise data; the A–B one real data only.
    let mut terms = malware_terms("A–B–C", &[&a.id, &b.id, &c.id]);
    terms["scope"]["data_kind"] = json!("both");
    let tri = agree(a, &[b, c], &terms);
    let bi = agree(a, &[b], &malware_terms("A–B", &[&a.id, &b.id]));

    let playbook = act(a, &tri, "draft-playbook", json!({
        "title": "Ransomware across hospitals", "hazard": "cyber-incident", "ack_within_minutes": 600,
        "roles": [{ "role": "lead", "party_ref": a.id }, { "role": "cert", "party_ref": b.id }, { "role": "health", "party_ref": c.id }],
        "phases": [
            { "phase": "alert", "tasks": [{ "key": "triage", "title": "Triage the alert", "owner_role": "cert", "ack_within_minutes": 600, "complete_within_minutes": 1200 }] },
            { "phase": "response", "tasks": [{ "key": "hospitals", "title": "Brief the hospitals", "owner_role": "health", "ack_within_minutes": 600, "complete_within_minutes": 1200 }] },
        ],
        "communication": { "channel": "coalition desk" },
        "activation_criteria": "<b>two</b> hospitals hit",
    }));
    let mut made = vec![playbook.clone()];
    made.push(act(a, &tri, "endorse-playbook", json!({ "playbook": playbook })));
    sync_all(&[b, c]);
    for n in [b, c] {
        made.push(act(n, &tri, "endorse-playbook", json!({ "playbook": playbook })));
    }
    sync_all(&[a]);
    assert_eq!(state(a, &tri)["playbooks"][0]["endorsed"], true, "every nation endorsed on its own node");
    let crisis = act(a, &tri, "activate", json!({ "playbook": playbook, "title": "Hospitals encrypted", "severity": "severe", "exercise": true }));
    made.push(crisis.clone());
    sync_all(&[b, c]);

    // Borealis and Caledonia acknowledge on their own nodes, as their inboxes ask.
    for n in [b, c] {
        let inbox: Value = serde_json::from_str(&n.ok(&["module", "inbox"])).unwrap();
        assert!(inbox["inbox"].as_array().unwrap().iter().any(|e| e["what"] == "acknowledge-crisis" && e["record"] == crisis.as_str()), "{}: {inbox}", n.dir.display());
        made.push(act(n, &tri, "acknowledge", json!({ "crisis": crisis })));
    }
    // Each assignee works its own task; nobody else can.
    let out = crate::entente(&c.dir, &["module", "act", "--as", &c.id, &tri, "crisis", "update-task", "--input", &json!({ "crisis": crisis, "task": "triage", "status": "done" }).to_string()]);
    assert!(!out.status.success(), "Caledonia moved Borealis's task");
    for (n, task) in [(b, "triage"), (c, "hospitals")] {
        for status in ["accepted", "done"] {
            made.push(act(n, &tri, "update-task", json!({ "crisis": crisis, "task": task, "status": status })));
        }
    }
    // A situation report from each nation.
    for n in all {
        made.push(act(n, &tri, "file-sitrep", json!({
            "crisis": crisis, "period_start": "2026-06-01T00:00:00Z", "period_end": "2026-06-01T06:00:00Z",
            "situation_summary": format!("{}: <script>alert(1)</script> systems isolated", n.dir.display()),
            "actions_taken": "isolated", "next_report_due": "2099-01-01T00:00:00Z",
        })));
    }
    // Borealis asks for responders; Caledonia commits and delivers them.
    let request = act(b, &tri, "request-assistance", json!({ "crisis": crisis, "resource": "incident responders", "quantity": 4, "unit": "people" }));
    made.push(request.clone());
    sync_all(&[c]);
    let out = crate::entente(&c.dir, &["module", "act", "--as", &c.id, &tri, "crisis", "commit-assistance", "--input", &json!({ "request": request, "quantity": 5 }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`quantity`"), "{}", crate::stderr(&out));
    made.push(act(c, &tri, "commit-assistance", json!({ "request": request, "quantity": 4 })));
    made.push(act(c, &tri, "deliver-assistance", json!({ "request": request, "quantity": 4 })));
    sync_all(&all);
    sync_all(&all);

    // The same common picture on every node.
    let pictures: Vec<Value> = all.iter().map(|n| state(n, &tri)["crises"][0].clone()).collect();
    let p = &pictures[0];
    assert_eq!((p["distribution_status"].as_str(), p["status"].as_str()), (Some("Exercise"), Some("active")), "{p}");
    assert_eq!(p["sitreps"].as_array().map(Vec::len), Some(3), "{p}");
    assert_eq!(p["open_tasks"], json!([]), "{p}");
    assert_eq!(p["acknowledgements"].as_array().unwrap().iter().filter(|x| x["acknowledged_at"].is_string() && x["breached"] == false).count(), 2, "{p}");
    let help = &p["assistance"][0];
    assert_eq!((help["stage"].as_str(), help["committed"].as_f64(), help["delivered"].as_f64()), (Some("deliver"), Some(4.0), Some(4.0)), "{help}");
    for (n, picture) in all.iter().zip(&pictures) {
        assert_eq!(picture, p, "{} derives another picture", n.dir.display());
    }

    // Under the A–B agreement (real data only): an exercise crisis is refused; a real one stays with A and B.
    let out = crate::entente(&a.dir, &["module", "act", "--as", &a.id, &bi, "crisis", "activate", "--input", &json!({ "title": "Drill", "severity": "minor", "exercise": true }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`exercise`"), "{}", crate::stderr(&out));
    let bilateral = act(a, &bi, "activate", json!({ "title": "A–B outage", "severity": "moderate", "exercise": false }));

    // Aurelia closes the crisis; a sitrep after it is refused; reviews follow.
    made.push(act(a, &tri, "close-crisis", json!({ "crisis": crisis, "reason": "systems restored" })));
    sync_all(&all);
    let out = crate::entente(&b.dir, &["module", "act", "--as", &b.id, &tri, "crisis", "file-sitrep", "--input",
        &json!({ "crisis": crisis, "period_start": "2026-06-02T00:00:00Z", "period_end": "2026-06-02T06:00:00Z", "situation_summary": "late" }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`crisis`") && crate::stderr(&out).contains("is closed"), "{}", crate::stderr(&out));
    made.push(act(b, &tri, "review", json!({ "crisis": crisis, "went_well": "acknowledged within minutes", "to_improve": "sitrep cadence" })));
    sync_all(&all);
    for n in all {
        let s = &state(n, &tri)["crises"][0];
        assert_eq!((s["status"].as_str(), s["reviews"].as_array().map(Vec::len)), (Some("closed"), Some(1)), "{}: {s}", n.dir.display());
    }
    // The after-action review as a report (HTML and PDF), produced on every node: the same bytes.
    let mut reports = Vec::new();
    for n in all {
        for file in ["report.html", "report.pdf"] {
            let path = n.dir.join(file);
            n.ok(&["module", "file", &tri, "crisis", file, "--of", &crisis, "-o", path.to_str().unwrap()]);
            reports.push(std::fs::read(&path).unwrap());
        }
    }
    let html = String::from_utf8(reports[0].clone()).unwrap();
    assert!(html.contains("Crisis review:") && html.contains("sitrep cadence") && html.contains("systems restored"), "{html}");
    assert!(reports[1].starts_with(b"%PDF-"));
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r, &reports[i % 2], "{}: the crisis report differs", all[i / 2].dir.display());
    }

    // Every record on every node it belongs on, and the A–B crisis on A and B alone.
    let mut checked = 0;
    let mut missing = Vec::new();
    let mut leaked = Vec::new();
    for n in all {
        let held = n.stored();
        for r in &made {
            checked += 1;
            if !held.contains(r) {
                missing.push(format!("{} on {}", r, n.dir.display()));
            }
        }
        checked += 1;
        match (n.id == c.id, held.contains(&bilateral)) {
            (true, true) => leaked.push(bilateral.clone()),
            (false, false) => missing.push(format!("{bilateral} on {}", n.dir.display())),
            _ => {}
        }
    }
    println!("crisis: {checked} records checked on 3 nodes against the expected sets, leaked {}, missing {}", leaked.len(), missing.len());
    assert_eq!(leaked.len(), 0, "{leaked:?}");
    assert_eq!(missing.len(), 0, "{missing:?}");
}

/// The demo's crisis (crates/entente/src/cmd/demo/crisis.rs) as each
/// nation's node shows it, read through `api` (a nation, a path): under the
/// exercise programme, an active exercise with open tasks, a situation
/// report from each nation and a committed assistance request, the same
/// picture on every node.
pub(crate) fn demo_crisis(api: &dyn Fn(&str, &str) -> Value) {
    let mut pictures = Vec::new();
    for name in ["Aurelia", "Borealis", "Caledonia"] {
        let list = api(name, "/api/v1/agreements");
        let programme = list["agreements"].as_array().unwrap().iter().find(|a| a["title"] == "Aurelia–Borealis–Caledonia exercise programme");
        let programme = programme.unwrap_or_else(|| panic!("{name}: {list}"))["id"].as_str().unwrap().to_owned();
        let state = api(name, &format!("/api/v1/agreements/{programme}/modules/crisis"));
        let c = state["state"]["crises"][0].clone();
        assert_eq!((c["status"].as_str(), c["distribution_status"].as_str()), (Some("active"), Some("Exercise")), "{name}: {state}");
        assert_eq!(c["sitreps"].as_array().map(Vec::len), Some(3), "{name}: {c}");
        assert_eq!((c["assistance"][0]["stage"].as_str(), c["assistance"][0]["committed"].as_f64()), (Some("commit"), Some(3.0)), "{name}: {c}");
        assert!(c["open_tasks"].as_array().is_some_and(|t| t.len() >= 2), "{name}: {c}");
        pictures.push(c);
    }
    assert!(pictures.iter().all(|p| *p == pictures[0]), "the nodes derive different pictures: {pictures:?}");
    println!("demo: an exercise crisis on each node, {} open tasks, {} acknowledgement breach(es)", pictures[0]["open_tasks"].as_array().map_or(0, Vec::len), pictures[0]["breaches"]["acknowledge"]);
}
