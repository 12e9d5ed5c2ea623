//! A dispute across three sovereign nodes: raised on Aurelia's node under
//! the A–B agreement, answered on Borealis's node, mediated by Caledonia (a
//! partner of the federation, no party of the A–B agreement): Caledonia's
//! node receives the dispute's records and nothing else of the agreement;
//! a proposal accepted by each party on its own node settles the dispute
//! on every party's node.

use serde_json::{json, Value};

use crate::nodes::{malware_terms, three_nations, Node};

pub(crate) fn sync_all(nodes: &[&Node]) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for n in nodes {
        n.ok(&["sync"]);
    }
}

pub(crate) fn act(node: &Node, agreement: &str, module: &str, action: &str, input: Value) -> String {
    let out: Value = serde_json::from_str(&node.ok(&["module", "act", "--as", &node.id, agreement, module, action, "--input", &input.to_string()])).unwrap();
    out["id"].as_str().unwrap().to_owned()
}

pub(crate) fn dispute(node: &Node, agreement: &str) -> Value {
    let s: Value = serde_json::from_str(&node.ok(&["module", "state", agreement, "disputes"])).unwrap();
    s["state"]["disputes"][0].clone()
}

#[test]
fn a_dispute_raised_on_a_answered_on_b_mediated_by_c_settles_everywhere_and_c_gets_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let all = [a, b, c];
    std::fs::write(a.dir.join("bi.json"), malware_terms("A–B", &[&a.id, &b.id]).to_string()).unwrap();
    let bi = a.ok(&["agreement", "propose", "--as", &a.id, "bi.json"]);
    a.ok(&["agreement", "ratify", "--as", &a.id, &bi]);
    sync_all(&[b]);
    b.ok(&["agreement", "ratify", "--as", &b.id, &bi]);
    sync_all(&[a]);

    // A mediator who is a party is refused, naming the property.
    let out = crate::entente(&a.dir, &["module", "act", "--as", &a.id, &bi, "disputes", "raise", "--input",
        &json!({ "clause": "handling.reshare", "facts": "f", "remedy": "r", "mediators": [b.id] }).to_string()]);
    assert!(!out.status.success() && crate::stderr(&out).contains("mediator_refs[0]"), "{}", crate::stderr(&out));

    // Something else of the agreement: a dialogue channel, which must not reach Caledonia.
    let other = act(a, &bi, "dialogue", "create-channel", json!({ "title": "Coordination" }));
    let d = act(a, &bi, "disputes", "raise", json!({ "clause": "handling.reshare", "facts": "a report went beyond the parties", "remedy": "recall it", "mediators": [c.id] }));
    sync_all(&[b]);
    let position = act(b, &bi, "disputes", "file-position", json!({ "dispute": d, "text": "it went to our supervisor" }));
    let proposal = act(b, &bi, "disputes", "propose", json!({ "dispute": d, "text": "we recall it" }));
    act(b, &bi, "disputes", "accept", json!({ "proposal": proposal }));
    sync_all(&[a]);
    assert_eq!(dispute(a, &bi)["status"], "consultation");
    let acceptance = act(a, &bi, "disputes", "accept", json!({ "proposal": proposal }));
    sync_all(&all);
    for n in [a, b] {
        let s = dispute(n, &bi);
        assert_eq!((s["status"].as_str(), s["settled_by"].as_str()), (Some("settled"), Some(proposal.as_str())), "{}: {s}", n.dir.display());
    }
    let on_c = c.stored();
    for r in [&d, &position, &proposal, &acceptance] {
        assert!(on_c.contains(r), "the mediator did not receive {r}");
    }
    let leaked: Vec<&String> = [&bi, &other].into_iter().filter(|r| on_c.contains(r)).collect();
    // The mediator's own view on its own node: exactly the records naming it.
    let view: Value = serde_json::from_str(&c.ok(&["module", "state", &bi, "disputes"])).unwrap();
    assert_eq!(view["named"], c.id.as_str(), "{view}");
    let mut seen: Vec<&str> = view["versions"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut expected = vec![d.as_str(), position.as_str(), proposal.as_str(), acceptance.as_str()];
    expected.sort_unstable();
    assert_eq!(seen.len(), 5, "the four above and B's acceptance: {view}");
    assert!(expected.iter().all(|r| seen.contains(r)) && !seen.contains(&other.as_str()), "{view}");
    // Another module of the agreement names no one: still "no such agreement" to C.
    let out = crate::entente(&c.dir, &["module", "state", &bi, "dialogue"]);
    assert!(!out.status.success() && crate::stderr(&out).contains("no such agreement"), "{}", crate::stderr(&out));
    println!("disputes: the mediator received 4 dispute records, leaked {}; its own view lists {} records", leaked.len(), seen.len());
    assert_eq!(leaked.len(), 0, "Caledonia's node holds more of the A–B agreement: {leaked:?}");
}
