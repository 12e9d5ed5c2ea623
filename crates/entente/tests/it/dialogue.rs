//! The dialogue module across three sovereign nodes, a trilateral and a
//! bilateral agreement: channel messages reach exactly their parties (the
//! third node never holds the bilateral's channel, nor a trilateral channel
//! of the other two: the figure printed is what leaked, 0); minutes
//! approved by each party on its own node are agreed on every node after
//! sync; an edit after approval makes them await approval everywhere.

use serde_json::{json, Value};

use crate::nodes::{federate, malware_terms, Node};

/// `node`'s partner takes `action` under `agreement`; the record made.
fn act(node: &Node, agreement: &str, action: &str, input: Value) -> Value {
    let out = node.ok(&["module", "act", "--as", &node.id, agreement, "dialogue", action, "--input", &input.to_string()]);
    serde_json::from_str(&out).unwrap()
}

/// The dialogue's state under `agreement` as `node`'s partner sees it.
fn state(node: &Node, agreement: &str) -> Value {
    serde_json::from_str(&node.ok(&["module", "state", agreement, "dialogue"])).unwrap()
}

fn id(record: &Value) -> String {
    record["id"].as_str().unwrap().to_owned()
}

/// One pull round from each of `node`'s peers (their servers reread
/// agreements at least every second: records just stored count by then).
fn sync(node: &Node) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    node.ok(&["sync"]);
}

/// One pull round on each node, in turn.
fn sync_all(nodes: &[&Node]) {
    for n in nodes {
        sync(n);
    }
}

#[test]
fn dialogue_records_reach_exactly_their_parties_and_minutes_are_agreed_across_nodes() {
    let root = tempfile::tempdir().unwrap();
    let mut nodes = ["Aurelia", "Borealis", "Caledonia"].map(|n| Node::init(root.path(), n));
    for n in &mut nodes {
        n.serve(0, &[]);
    }
    federate(&[&nodes[0], &nodes[1], &nodes[2]]);
    let [a, b, c] = &nodes;
    let all = [a, b, c];

    // A trilateral and an A–B agreement, each ratified by its parties on their own nodes.
    let mut ids = Vec::new();
    for (title, parties) in [("A–B–C", vec![&a.id, &b.id, &c.id]), ("A–B", vec![&a.id, &b.id])] {
        let parties: Vec<&str> = parties.iter().map(|p| p.as_str()).collect();
        std::fs::write(a.dir.join("terms.json"), malware_terms(title, &parties).to_string()).unwrap();
        let agreement = a.ok(&["agreement", "propose", "--as", &a.id, "terms.json"]);
        a.ok(&["agreement", "ratify", "--as", &a.id, &agreement]);
        ids.push(agreement);
    }
    let (tri, bi) = (ids[0].clone(), ids[1].clone());
    sync(b);
    sync(c);
    b.ok(&["agreement", "ratify", "--as", &b.id, &tri]);
    b.ok(&["agreement", "ratify", "--as", &b.id, &bi]);
    c.ok(&["agreement", "ratify", "--as", &c.id, &tri]);
    sync_all(&all);
    for (n, expected) in [(a, 2), (b, 2), (c, 1)] {
        let list = n.ok(&["agreement", "list"]);
        assert_eq!(list.matches("[in force]").count(), expected, "{}: {list}", n.dir.display());
    }

    // Channels: one of the A–B agreement, one of all three, and one of the
    // trilateral agreement for A and B alone; a message in each.
    let bi_channel = act(a, &bi, "create-channel", json!({ "title": "A–B desk" }));
    let bi_message = act(a, &bi, "post-message", json!({ "channel": id(&bi_channel), "text": "for Borealis", "tlp": "amber" }));
    let all_channel = act(a, &tri, "create-channel", json!({ "title": "Coalition", "topic": "weekly coordination" }));
    let all_message = act(a, &tri, "post-message", json!({ "channel": id(&all_channel), "text": "welcome, all", "tlp": "green" }));
    let narrow_channel = act(a, &tri, "create-channel", json!({ "title": "A and B within the coalition", "members": [b.id] }));
    let narrow_message = act(a, &tri, "post-message", json!({ "channel": id(&narrow_channel), "text": "between the two of us" }));
    sync_all(&[b, c]);
    // Borealis replies on its own node, in the coalition channel and in the narrow one.
    let reply = act(b, &tri, "post-message", json!({ "channel": id(&all_channel), "text": "thanks", "reply_to": id(&all_message) }));
    let narrow_reply = act(b, &tri, "post-message", json!({ "channel": id(&narrow_channel), "text": "agreed", "reply_to": id(&narrow_message) }));
    sync_all(&all);

    let on_b = state(b, &bi);
    assert_eq!(on_b["state"]["channels"][0]["messages"][0]["text"], "for Borealis", "{on_b}");
    let on_a = state(a, &tri);
    let titles = |s: &Value| -> Vec<String> { s["state"]["channels"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(titles(&on_a), ["Coalition", "A and B within the coalition"], "{on_a}");
    assert_eq!(on_a["state"]["channels"][0]["messages"][1]["thread"], id(&all_message).as_str(), "{on_a}");
    assert_eq!(on_a["state"]["channels"], state(b, &tri)["state"]["channels"], "A and B see the same channels");
    let on_c = state(c, &tri);
    assert_eq!(titles(&on_c), ["Coalition"], "{on_c}");
    assert_eq!(on_c["state"]["channels"][0]["messages"].as_array().unwrap().len(), 2, "{on_c}");
    // What the third node holds of what was not for it.
    let held = c.stored();
    let not_for_c = [&bi_channel, &bi_message, &narrow_channel, &narrow_message, &narrow_reply];
    let leaked = not_for_c.iter().filter(|r| held.contains(&id(r))).count();
    println!("dialogue: leaked {leaked} of {} records not for Caledonia", not_for_c.len());
    assert_eq!(leaked, 0);
    assert!(held.contains(&id(&reply)) && held.contains(&id(&all_message)), "the coalition's messages reached Caledonia");
    // Caledonia cannot reach the A–B agreement's dialogue at all.
    let out = crate::entente(&c.dir, &["module", "state", &bi, "dialogue"]);
    assert!(!out.status.success(), "Caledonia read the A–B dialogue");

    // A meeting of all three; each approves the minutes on its own node.
    let meeting = act(a, &tri, "record-meeting", json!({
        "title": "Senior dialogue", "meeting_type": "senior-dialogue", "date": "2026-01-15T10:00:00Z",
        "participants": [
            { "party": a.id, "name": "Head of delegation", "role": "chair" },
            { "party": b.id, "name": "Deputy director" },
            { "party": c.id, "name": "Liaison officer" },
        ],
        "agenda": ["threat picture"], "minutes": "The parties reviewed the threat picture.", "decisions": ["share more often"],
    }));
    let m = json!({ "meeting": id(&meeting) });
    act(a, &tri, "approve-minutes", m.clone());
    act(a, &tri, "add-action-item", json!({ "description": "circulate the sensor list", "owner": c.id, "due": "2099-01-01T00:00:00Z", "meeting": id(&meeting) }));
    sync_all(&[b, c]);
    // On Caledonia's own node, its inbox holds the minutes awaiting its
    // approval and the item Aurelia gave it; Borealis's holds the minutes
    // and not Caledonia's item.
    let inbox = |n: &Node| -> Vec<(String, String)> {
        let v: Value = serde_json::from_str(&n.ok(&["module", "inbox"])).unwrap();
        v["inbox"].as_array().unwrap().iter().map(|e| (e["what"].as_str().unwrap().to_owned(), e["record"].as_str().unwrap().to_owned())).collect()
    };
    let c_inbox = inbox(c);
    assert!(c_inbox.contains(&("approve-minutes".into(), id(&meeting))), "{c_inbox:?}");
    assert!(c_inbox.iter().any(|(what, _)| what == "action-item"), "{c_inbox:?}");
    let b_inbox = inbox(b);
    assert!(b_inbox.contains(&("approve-minutes".into(), id(&meeting))), "{b_inbox:?}");
    assert!(!b_inbox.iter().any(|(what, _)| what == "action-item"), "{b_inbox:?}");
    act(b, &tri, "approve-minutes", m.clone());
    act(c, &tri, "approve-minutes", m.clone());
    assert!(!inbox(c).iter().any(|(what, _)| what == "approve-minutes"), "approved minutes leave the inbox");
    sync_all(&all);
    let minutes = |n: &Node| state(n, &tri)["state"]["meetings"][0].clone();
    for n in all {
        let seen = minutes(n);
        assert_eq!(seen["minutes_status"], "agreed", "{}: {seen}", n.dir.display());
        assert_eq!(seen["action_items"].as_array().unwrap().len(), 1, "{seen}");
    }
    assert_eq!(minutes(a), minutes(c), "every node derives the same meeting");

    // An edit after approval: awaiting again, on every node.
    act(a, &tri, "edit-meeting", json!({ "meeting": id(&meeting), "minutes": "The parties reviewed the threat picture and agreed a plan." }));
    sync_all(&[b, c]);
    for n in all {
        let seen = minutes(n);
        assert_eq!(seen["minutes_status"], "awaiting", "{}: {seen}", n.dir.display());
        assert_eq!(seen["approved_by"], json!([]), "{seen}");
    }
}
