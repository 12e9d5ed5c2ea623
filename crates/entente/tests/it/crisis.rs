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

use crate::nodes::{agree, malware_terms, sync_all, three_nations, Node};

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

/// A TAXII GET on `node` with `token`: the status and the JSON body (null when empty or not JSON).
fn taxii(node: &Node, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .get(format!("{}root/{path}", node.url()))
        .bearer_auth(token)
        .header("accept", "application/taxii+json;version=2.1")
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, serde_json::from_str(&r.text().unwrap()).unwrap_or(Value::Null))
}

/// The ids in a TAXII envelope, sorted.
fn ids_of(envelope: &Value) -> Vec<String> {
    let mut ids: Vec<String> = envelope["objects"].as_array().into_iter().flatten().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

#[test]
fn intelligence_shared_into_a_crisis_is_its_collection_on_each_partys_node_with_hits_on_its_page() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    // A–B covers exercise data and the intelligence; Caledonia is no party.
    let mut terms = malware_terms("A–B", &[&a.id, &b.id]);
    terms["scope"]["data_kind"] = json!("both");
    terms["scope"]["object_types"] = json!(["indicator", "grouping", "sighting", "malware"]);
    let ab = agree(a, &[b], &terms);
    let crisis = act(a, &ab, "activate", json!({ "title": "<script>alert('t')</script> Floods", "severity": "severe", "exercise": true }));
    let uuid = crisis.split_once("--").unwrap().1.to_owned();
    sync_all(&[b]);

    // Borealis shares into the crisis as any STIX tool can: a grouping
    // naming the crisis and its indicator, under the agreement. Another
    // indicator shared under the agreement stays out of the crisis.
    let t = "2026-06-01T00:00:00Z";
    let indicator = "indicator--5a1e0c6e-0000-4000-8000-000000000001";
    let other = "indicator--5a1e0c6e-0000-4000-8000-000000000002";
    let grouping = "grouping--5a1e0c6e-0000-4000-8000-000000000003";
    let ind = |id: &str, name: &str, domain: &str| json!({ "type": "indicator", "spec_version": "2.1", "id": id, "created_by_ref": b.id, "created": t, "modified": t,
        "name": name, "pattern": format!("[domain-name:value = '{domain}']"), "pattern_type": "stix", "valid_from": t });
    b.import(&b.id, Some(&ab), &[
        ind(indicator, "<img src=x onerror=alert(1)> flood C2", "flood-c2.example"),
        ind(other, "Unrelated beacon", "other.example"),
        json!({ "type": "grouping", "spec_version": "2.1", "id": grouping, "created_by_ref": b.id, "created": t, "modified": t,
            "name": "Floods: Borealis's indicators", "context": "suspicious-activity", "object_refs": [crisis, indicator] }),
    ]);
    sync_all(&[a, c]);

    // On both parties' nodes: the crisis's collection is listed, titled
    // after the crisis and marked an exercise, and holds the grouping and
    // its indicator, not the other one.
    let expected = vec![grouping.to_owned(), indicator.to_owned()];
    for n in [a, b] {
        let token = n.token_for(&n.id, "viewer");
        let (status, list) = taxii(n, &token, "collections/");
        assert_eq!(status, 200, "{list}");
        let mine = list["collections"].as_array().unwrap().iter().find(|k| k["id"] == uuid.as_str()).unwrap_or_else(|| panic!("{}: {list}", n.dir.display()));
        assert!(mine["title"].as_str().unwrap().starts_with("[EXERCISE] Crisis: <script>"), "{mine}");
        assert_eq!((mine["can_read"].as_bool(), mine["can_write"].as_bool()), (Some(true), Some(false)), "{mine}");
        let (status, envelope) = taxii(n, &token, &format!("collections/{uuid}/objects/"));
        assert_eq!(status, 200, "{envelope}");
        let whole = taxii(n, &token, &format!("collections/{}/objects/", ab.split_once("--").unwrap().1)).1;
        assert_eq!(ids_of(&envelope), expected, "{}: {envelope}; the agreement's collection: {:?}", n.dir.display(), ids_of(&whole));
        let (status, _) = taxii(n, &token, &format!("collections/{uuid}/objects/{other}/"));
        assert_eq!(status, 404, "an object of the agreement not in the crisis");
        let (status, envelope) = taxii(n, &token, &format!("collections/{uuid}/objects/?match[type]=indicator"));
        assert_eq!((status, ids_of(&envelope)), (200, vec![indicator.to_owned()]), "{envelope}");
    }
    // Caledonia, no party: 404 on Aurelia's node, nothing on its own.
    for n in [a, c] {
        let token = n.token_for(&c.id, "viewer");
        let (status, list) = taxii(n, &token, "collections/");
        assert_eq!(status, 200);
        assert!(!list.to_string().contains(&uuid), "{}: {list}", n.dir.display());
        for path in [format!("collections/{uuid}/"), format!("collections/{uuid}/objects/")] {
            assert_eq!(taxii(n, &token, &path).0, 404, "{}: {path}", n.dir.display());
        }
    }
    let held = c.stored();
    assert!(!held.contains(&indicator.to_owned()) && !held.contains(&grouping.to_owned()), "the crisis's intelligence reached a non-party");

    // Aurelia detects the indicator in its own traffic and records a sighting.
    let obs = [
        r#"{"type":"domain-name","id":"domain-name--5a1e0c6e-0000-4000-8000-000000000004","value":"flood-c2.example"}"#,
        r#"{"type":"observed-data","spec_version":"2.1","id":"observed-data--5a1e0c6e-0000-4000-8000-000000000005","created":"2026-06-02T00:00:00Z","modified":"2026-06-02T00:00:00Z","first_observed":"2026-06-02T00:00:00Z","last_observed":"2026-06-02T00:00:00Z","number_observed":3,"object_refs":["domain-name--5a1e0c6e-0000-4000-8000-000000000004"]}"#,
    ];
    std::fs::write(a.dir.join("obs.jsonl"), obs.join("\n")).unwrap();
    let hits = a.ok(&["detect", "--as", &a.id, "--sight", "obs.jsonl"]);
    assert!(hits.contains(indicator), "{hits}");
    sync_all(&[b]);

    // The crisis page on each party's node: the collection's URL, the
    // indicator linked (its hostile name escaped), the hit, not the other.
    for n in [a, b] {
        let pages = crate::dialogue::Pages::sign_in(n);
        let (status, html) = pages.get(&format!("/agreements/{ab}/modules/crisis"));
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&format!("/taxii2/root/collections/{uuid}/objects/")), "{}: no collection URL", n.dir.display());
        assert!(html.contains(&format!("href=\"/intel/{indicator}\"")), "{}: the indicator is not linked", n.dir.display());
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; flood C2") && !html.contains("<img src=x"), "{}: the name is not escaped", n.dir.display());
        assert!(!html.contains("<script>alert('t')"), "{}: the crisis's title is not escaped", n.dir.display());
        assert!(!html.contains(other), "{}: an object outside the crisis is linked", n.dir.display());
        let hit = html.find("Detection hits").unwrap_or_else(|| panic!("{}: no hits section", n.dir.display()));
        assert!(html[hit..].contains(&format!("sighted 3× by {}", "Aurelia")), "{}: no hit shown: {}", n.dir.display(), &html[hit..(hit + 600).min(html.len())]);
    }
}
