//! A joint exercise across three sovereign nodes: planned on Aurelia's node
//! (exercise control) under a trilateral agreement covering exercise data,
//! endorsed by Borealis and Caledonia on their own nodes; an inject
//! released to Borealis alone reaches Borealis's node and not Caledonia's;
//! the response and the observations flow back; the lesson, its remedial
//! action and its validation travel; the after-action report is the same
//! on every participant's node, as state and as HTML and PDF files.

use serde_json::{json, Value};

use crate::nodes::{three_nations, Node};

fn sync_all(nodes: &[&Node]) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for n in nodes {
        n.ok(&["sync"]);
    }
}

fn act(node: &Node, agreement: &str, action: &str, input: Value) -> String {
    let out: Value = serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, "exercises", action, "--input", &input.to_string()])).unwrap();
    out["id"].as_str().unwrap().to_owned()
}

fn exercise(node: &Node, agreement: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "exercises"])).unwrap();
    s["state"]["exercises"][0].clone()
}

#[test]
fn an_exercise_planned_on_a_endorsed_on_b_and_c_runs_and_reports_the_same_everywhere() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    let terms = json!({
        "title": "Exercise partnership", "purpose": "train together", "party_refs": [a.id, b.id, c.id],
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    std::fs::write(a.dir.join("tri.json"), terms.to_string()).unwrap();
    let tri = a.ok(&["agreement", "propose", "--as", &a.id, "tri.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &tri]);
    sync_all(&[b, c]);
    b.ok(&["agreement", "ratify", "--as", &b.id, &tri]);
    c.ok(&["agreement", "ratify", "--as", &c.id, &tri]);
    sync_all(&all);
    sync_all(&all);
    for n in all {
        assert!(n.ok(&["agreement", "list"]).contains("[in force]"), "{}", n.dir.display());
    }

    let plan = json!({
        "name": "Coalition <script>alert(1)</script> Shield",
        "exercise_type": "tabletop",
        "start_date": "2026-06-01T08:00:00Z",
        "end_date": "2026-06-01T18:00:00Z",
        "participants": [{ "party_ref": b.id, "teams": ["CSIRT"] }, { "party_ref": c.id, "teams": ["CERT"] }],
        "objectives": [{ "id": "O-1", "title": "Warn the partners within an hour", "competencies": ["sharing"] }],
        "msel": [{ "move": "1", "injects": [
            { "id": "I-1", "offset_minutes": 0, "target_refs": [b.id], "channel": "email", "content": "Ransom note found on a Borealis server", "expected_action": "warn the partners", "objective": "O-1" },
            { "id": "I-2", "trigger": "after I-1", "target_refs": [b.id, c.id], "content": "Press enquiry", "objective": "O-1" },
        ]}],
    });
    // An inject for a party that does not participate: refused, naming it.
    let mut bad = plan.clone();
    bad["msel"][0]["injects"][0]["target_refs"] = json!([a.id]);
    let out = crate::entente(&a.dir, &["module", "act", "--as", &a.id, &tri, "exercises", "plan-exercise", "--input", &bad.to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("msel[0].injects[0].target_refs[0]"), "{}", crate::stderr(&out));

    let x = act(a, &tri, "plan-exercise", plan);
    sync_all(&[b, c]);
    act(b, &tri, "endorse-exercise", json!({ "exercise": x }));
    act(c, &tri, "endorse-exercise", json!({ "exercise": x }));
    sync_all(&[a]);
    assert_eq!(exercise(a, &tri)["status"], "endorsed");
    act(a, &tri, "start-exercise", json!({ "exercise": x }));
    let inject = act(a, &tri, "release-inject", json!({ "exercise": x, "inject": "I-1" }));
    sync_all(&all);
    // The inject reached its target's node, not the other participant's.
    assert!(b.stored().contains(&inject), "the target did not receive the inject");
    assert!(!c.stored().contains(&inject), "Caledonia, no target, received the inject");
    let on_b = exercise(b, &tri);
    assert_eq!(on_b["injects"][0]["status"], "released", "{on_b}");
    assert_eq!(on_b["injects"][0]["content"], "Ransom note found on a Borealis server");
    assert_eq!(exercise(c, &tri)["injects"][0]["status"], "for-others");

    let response = act(b, &tri, "respond-inject", json!({ "inject": inject, "text": "partners warned <b>at once</b>" }));
    let observation = act(a, &tri, "record-observation", json!({ "exercise": x, "objective": "O-1", "rating": "partially-met", "text": "warned after 70 minutes" }));
    act(a, &tri, "end-exercise", json!({ "exercise": x }));
    sync_all(&all);
    assert_eq!(exercise(a, &tri)["injects"][0]["responses"][0]["id"], response.as_str(), "the response flowed back to control");
    assert!(!c.stored().contains(&response), "the response went where the inject went");
    let lesson = act(c, &tri, "identify-lesson", json!({ "exercise": x, "observation_refs": [observation], "title": "The warning list is out of date" }));
    sync_all(&all);
    let action = act(a, &tri, "add-remedial-action", json!({ "lesson": lesson, "description": "Review the warning list each quarter", "owner_ref": c.id, "due": "2099-01-01T00:00:00Z" }));
    sync_all(&all);
    act(c, &tri, "update-remedial-action", json!({ "action": action, "status": "done" }));
    sync_all(&all);
    act(a, &tri, "validate-lesson", json!({ "lesson": lesson }));
    sync_all(&all);
    sync_all(&all);

    let reports: Vec<Value> = all.iter().map(|n| exercise(n, &tri)["aar"].clone()).collect();
    assert_eq!(reports[0]["lessons"][0]["status"], "learned", "{}", reports[0]);
    assert_eq!(reports[0]["objectives"][0]["assessment"], "partially-met");
    assert_eq!(reports[0]["summary"]["actions_done"], 1);
    for (n, r) in all.iter().zip(&reports) {
        assert_eq!(r, &reports[0], "{}: the after-action report differs", n.dir.display());
    }
    // The report as files (HTML and PDF), written on every participant's node: the same bytes.
    let mut files = Vec::new();
    for n in all {
        for file in ["report.html", "report.pdf"] {
            let path = n.dir.join(file);
            n.ok(&["module", "file", &tri, "exercises", file, "--of", &x, "-o", path.to_str().unwrap()]);
            files.push(std::fs::read(&path).unwrap());
        }
    }
    let html = String::from_utf8(files[0].clone()).unwrap();
    assert!(html.contains("After-action report: Coalition &lt;script&gt;alert(1)&lt;/script&gt; Shield") && !html.contains("<script>"), "{html}");
    assert!(html.contains("The warning list is out of date") && html.contains("Review the warning list each quarter"), "{html}");
    assert!(files[1].starts_with(b"%PDF-"));
    for (i, f) in files.iter().enumerate() {
        assert_eq!(f, &files[i % 2], "{}: the after-action report file differs", all[i / 2].dir.display());
    }
    // No exercise named: refused naming `of`.
    let out = crate::entente(&a.dir, &["module", "file", &tri, "exercises", "report.pdf"]);
    assert!(!out.status.success() && crate::stderr(&out).contains("`of`"), "{}", crate::stderr(&out));
    println!("exercises: the same after-action report on 3 nodes; the inject reached 1 of 2 participants");
}
