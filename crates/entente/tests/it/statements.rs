//! Joint statements across three sovereign nodes: a statement drafted on
//! Aurelia's node is approved by Borealis and Caledonia each on its own
//! node, passes on every node once synced, and is published on every node
//! when its embargo (a few seconds ahead) comes; a statement whose embargo
//! is far ahead passes but is not published; what Aurelia and Borealis
//! state under their bilateral agreement never reaches Caledonia's node.
//! The public page of each co-signer's node shows a published statement,
//! signatures checked; a party that did not co-sign does not show it.

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

/// `node`'s partner takes a statements action; the record it authored.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> Value {
    serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, "statements", action, "--input", &input.to_string()])).unwrap()
}

/// The statement `id` in `node`'s state.
fn statement(node: &Node, agreement: &str, id: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "statements"])).unwrap();
    s["state"]["statements"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().unwrap_or_else(|| panic!("{}: no {id} in {s}", node.dir.display()))
}

fn draft(title: &str, embargo: &str, cosigners: &[&Node]) -> Value {
    json!({ "title": title, "text": "The parties attribute the campaign to <b>Dark Harbour</b>.", "embargo": embargo,
            "languages": { "fr": { "title": "Déclaration", "text": "Les parties attribuent la campagne." } },
            "cosigners": cosigners.iter().map(|n| n.id.clone()).collect::<Vec<_>>(), "submit": true })
}

#[test]
fn a_statement_approved_on_each_node_is_published_on_every_node_at_its_embargo_and_reaches_no_third_party() {
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

    // Co-signers that are not parties: refused naming the property, nothing stored.
    let out = crate::entente(&a.dir, &["module", "act", "--as", &a.id, &bi, "statements", "draft-statement", "--input",
        &draft("x", "2099-01-01T00:00:00Z", &[b, c]).to_string()]);
    assert!(!out.status.success());
    assert!(crate::stderr(&out).contains("cosigner_refs[2]"), "{}", crate::stderr(&out));

    // Drafted on Aurelia's node with an embargo a few seconds ahead, and one far ahead.
    let soon = model::Timestamp::from_micros(model::Timestamp::now().micros() + 6_000_000).to_string();
    let id = act(a, &tri, "draft-statement", draft("Joint attribution", &soon, &[b, c]))["id"].as_str().unwrap().to_owned();
    let later = act(a, &tri, "draft-statement", draft("Later attribution", "2099-01-01T00:00:00Z", &[b, c]))["id"].as_str().unwrap().to_owned();
    // Under the same agreement, one Caledonia does not co-sign.
    let duo = act(a, &tri, "draft-statement", draft("Two of three", &soon, &[b]))["id"].as_str().unwrap().to_owned();
    for s in [&id, &later, &duo] {
        act(a, &tri, "approve-statement", json!({ "statement": s }));
    }
    sync_all(&[b, c]);
    assert_eq!(statement(b, &tri, &id)["stage"], "awaiting-approvals");
    for n in [b, c] {
        for s in [&id, &later] {
            act(n, &tri, "approve-statement", json!({ "statement": s }));
        }
    }
    act(b, &tri, "approve-statement", json!({ "statement": duo }));
    sync_all(&all);
    // Wait for the embargo (by the statement's own time, not a fake clock).
    let wait = model::Timestamp::parse(&soon).unwrap().micros() - model::Timestamp::now().micros();
    if wait > 0 {
        std::thread::sleep(std::time::Duration::from_micros(wait as u64 + 200_000));
    }
    for n in all {
        let s = statement(n, &tri, &id);
        assert_eq!(s["stage"], "published", "{}: {s}", n.dir.display());
        assert!(s["signers"].as_array().unwrap().iter().all(|x| x["approved"] == true), "{s}");
        let l = statement(n, &tri, &later);
        assert_eq!((l["stage"].as_str(), l["published"].as_bool()), (Some("passed"), Some(false)), "{}: {l}", n.dir.display());
    }
    assert_eq!(statement(c, &tri, &duo)["stage"], "published", "Caledonia holds the statement it did not co-sign");

    // The public page of each co-signer's node, without sign-in, shows what
    // its partner co-signed, every signature checked with its key there;
    // Caledonia's does not show the statement it did not co-sign.
    let get = |n: &Node, path: &str| {
        let r = reqwest::blocking::get(format!("http://127.0.0.1:{}{path}", n.port)).unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    for (n, shows_duo) in [(a, true), (b, true), (c, false)] {
        let (status, list) = get(n, "/public/statements");
        assert_eq!(status, 200, "{}: {list}", n.dir.display());
        assert!(list.contains(&format!("/public/statements/{id}")), "{}: {list}", n.dir.display());
        assert!(!list.contains(&later), "{}: under embargo yet listed", n.dir.display());
        assert_eq!(list.contains(&format!("/public/statements/{duo}")), shows_duo, "{}: {list}", n.dir.display());
        let (status, page) = get(n, &format!("/public/statements/{duo}"));
        assert_eq!(status, if shows_duo { 200 } else { 404 }, "{}: {page}", n.dir.display());
        let (status, page) = get(n, &format!("/public/statements/{id}"));
        assert_eq!(status, 200, "{}: {page}", n.dir.display());
        // The proposer's version and the three approvals.
        assert_eq!(page.matches("signature verified by this node").count(), 4, "{}: {page}", n.dir.display());
        let (status, feed) = get(n, "/public/statements.atom");
        assert_eq!((status, feed.matches("<entry>").count()), (200, if shows_duo { 2 } else { 1 }), "{}: {feed}", n.dir.display());
    }
    println!("statements: published on each co-signer's public page, not on the page of a party that did not co-sign");

    // Under a silence procedure, an objection made on Caledonia's own node
    // is counted on Aurelia's and Borealis's: the statement is blocked on
    // every node, though the silence period has not run out.
    let mut silent = malware_terms("A–B–C silence", &[&a.id, &b.id, &c.id]);
    silent["statement_procedure"] = json!({"mode": "silence", "silence_days": 30});
    std::fs::write(a.dir.join("silent.json"), silent.to_string()).unwrap();
    let quiet = a.ok(&["agreement", "propose", "--as", &a.id, "silent.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &quiet]);
    sync_all(&[b, c]);
    b.ok(&["agreement", "ratify", "--as", &b.id, &quiet]);
    c.ok(&["agreement", "ratify", "--as", &c.id, &quiet]);
    sync_all(&all);
    let contested = draft("Contested attribution", "2099-01-01T00:00:00Z", &[b, c]);
    let contested = act(a, &quiet, "draft-statement", contested)["id"].as_str().unwrap().to_owned();
    sync_all(&[b, c]);
    assert_eq!(statement(b, &quiet, &contested)["stage"], "in-silence");
    let objection = act(c, &quiet, "object-to-statement", json!({ "statement": contested, "reason": "Our evidence does not support naming the state." }))["id"].as_str().unwrap().to_owned();
    assert_eq!(statement(c, &quiet, &contested)["stage"], "blocked");
    sync_all(&all);
    for n in [a, b] {
        assert!(n.stored().contains(&objection), "{}: the objection did not arrive", n.dir.display());
        let s = statement(n, &quiet, &contested);
        assert_eq!((s["stage"].as_str(), s["passed"].as_bool()), (Some("blocked"), Some(false)), "{}: {s}", n.dir.display());
    }
    println!("statements: Caledonia's objection, made on its node, blocks the statement on Aurelia's and Borealis's");

    // Under the bilateral agreement: a statement approved by both.
    let own = act(a, &bi, "draft-statement", draft("Bilateral statement", "2099-01-01T00:00:00Z", &[b]))["id"].as_str().unwrap().to_owned();
    let mut bilateral = vec![own.clone(), act(a, &bi, "approve-statement", json!({ "statement": own }))["id"].as_str().unwrap().to_owned()];
    sync_all(&[b]);
    bilateral.push(act(b, &bi, "approve-statement", json!({ "statement": own }))["id"].as_str().unwrap().to_owned());
    sync_all(&all);
    assert_eq!(statement(a, &bi, &own)["stage"], "passed");
    let on_c = c.stored();
    let leaked: Vec<&String> = bilateral.iter().filter(|r| on_c.contains(r)).collect();
    println!("statements: {} bilateral records, {} of them leaked to Caledonia's node", bilateral.len(), leaked.len());
    assert_eq!(leaked.len(), 0, "Caledonia's node holds bilateral records: {leaked:?}");
    assert!(on_c.contains(&id), "the trilateral statement did reach Caledonia");
}
