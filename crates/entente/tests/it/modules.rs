//! A partnership module's records across sovereign nodes, on the kit's
//! example module (notes): what a party authors on its own node reaches the
//! other party's node by the ordinary sync and not a third node's; a reply
//! made there comes back; both parties' nodes derive the same state.

use serde_json::Value;

use crate::nodes::{malware_terms, three_nations, Node};

/// One pull round from each of `node`'s peers (their servers reread
/// agreements at least every second: records just stored count by then).
fn sync(node: &Node) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    node.ok(&["sync"]);
}

/// The module's state on `node` as its own partner sees it.
fn state(node: &Node, agreement: &str) -> Value {
    serde_json::from_str(&node.ok(&["module", "state", agreement, "notes"])).unwrap()
}

#[test]
fn notes_reach_the_other_party_and_no_third_node() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    // An A–B agreement, ratified on each party's own node.
    std::fs::write(a.dir.join("terms.json"), malware_terms("A–B partnership", &[&a.id, &b.id]).to_string()).unwrap();
    let agreement = a.ok(&["agreement", "propose", "--as", &a.id, "terms.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &agreement]);
    sync(b);
    b.ok(&["agreement", "ratify", "--as", &b.id, &agreement]);
    sync(a);
    for n in [a, b] {
        assert!(n.ok(&["agreement", "list"]).contains("[in force]"), "{}", n.dir.display());
    }

    let note: Value = serde_json::from_str(&a.ok(&["module", "act", "--as", &a.id, &agreement, "notes", "post", "--input", r#"{"text":"agenda: the joint exercise"}"#])).unwrap();
    let note_id = note["id"].as_str().unwrap().to_owned();
    sync(b);
    sync(c);
    assert_eq!(state(b, &agreement)["records"], 1, "the note reached Borealis's node");
    assert!(b.stored().contains(&note_id));
    assert!(!c.stored().contains(&note_id), "Caledonia's node, no party, holds the note");

    // Borealis replies on its own node; the reply comes back to Aurelia's.
    let input = format!(r#"{{"text":"agreed","reply_to":"{note_id}"}}"#);
    let reply: Value = serde_json::from_str(&b.ok(&["module", "act", "--as", &b.id, &agreement, "notes", "post", "--input", &input])).unwrap();
    assert_eq!(reply["created_by_ref"], b.id.as_str());
    sync(a);
    sync(c);
    let (on_a, on_b) = (state(a, &agreement), state(b, &agreement));
    assert_eq!(on_a["records"], 2, "{on_a}");
    assert_eq!(on_a["state"], on_b["state"], "both nodes derive the same state");
    assert!(!c.stored().contains(&reply["id"].as_str().unwrap().to_owned()), "the reply stayed off Caledonia's node");
}
