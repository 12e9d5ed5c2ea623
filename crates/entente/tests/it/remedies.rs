//! A dispute's remedy across three sovereign nodes. Aurelia and Borealis
//! share under an agreement whose dispute terms suspend sharing from
//! arbitration; Borealis and Caledonia share under another. Aurelia raises
//! a dispute on its own node, each party agrees to escalate on its own
//! node (the rule: every party's escalation record, at the later one), and
//! once synced the hold applies on Borealis's own node: what Borealis then
//! shares under A–B reaches Aurelia neither by sync nor by TAXII, while
//! B–C sharing still reaches Caledonia, whose node holds no record of the
//! dispute. Withdrawn by its raiser, what it held back reaches Aurelia at
//! its next sync and is re-offered to a TAXII poller whose cursor passed
//! it; a second dispute, settled by each party on its own node, releases
//! what it held back the same way.

use serde_json::json;

use crate::disputes::{act, dispute, sync_all};
use crate::nodes::{malware_terms, object, three_nations, Node, AMBER};

/// `proposer` proposes `terms` and ratifies; `other` ratifies on its own
/// node: in force on both. The agreement's id.
fn ratified(proposer: &Node, other: &Node, terms: &serde_json::Value) -> String {
    std::fs::write(proposer.dir.join("terms.json"), terms.to_string()).unwrap();
    let agreement = proposer.ok(&["agreement", "propose", "--as", &proposer.id, "terms.json"]);
    proposer.ok(&["agreement", "ratify", "--as", &proposer.id, &agreement]);
    sync_all(&[other]);
    other.ok(&["agreement", "ratify", "--as", &other.id, &agreement]);
    sync_all(&[proposer]);
    agreement
}

/// The everything collection's id.
const EVERYTHING: &str = "9f8b6c2e-5d4a-4e1b-8c3f-2a7d6e5b4c31";

/// `owner`'s TAXII collection `cid` (an agreement's id or [`EVERYTHING`]) as
/// `reader`'s partner polls it, with the token `owner` issued to it, from
/// `after` (`added_after`): the body and `X-TAXII-Date-Added-Last`.
fn poll(owner: &Node, reader: &Node, cid: &str, after: Option<&str>) -> (String, Option<String>) {
    let token = std::fs::read_to_string(reader.dir.join(format!("{}.token", owner.dir.file_name().unwrap().to_str().unwrap()))).unwrap();
    let cid = cid.trim_start_matches("x-entente-agreement--");
    let mut url = format!("{}root/collections/{cid}/objects/?limit=1000", owner.url());
    if let Some(a) = after {
        url.push_str(&format!("&added_after={a}"));
    }
    let r = reqwest::blocking::Client::new().get(url).bearer_auth(token.trim()).header("Accept", "application/taxii+json;version=2.1").send().unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let last = r.headers().get("X-TAXII-Date-Added-Last").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (r.text().unwrap(), last)
}

fn collection(owner: &Node, reader: &Node, agreement: &str) -> String {
    poll(owner, reader, agreement, None).0
}

/// The line of `entente agreement list` on `node` for the agreement titled `title`.
fn listed(node: &Node, title: &str) -> String {
    let list = node.ok(&["agreement", "list"]);
    list.lines().find(|l| l.contains(&format!("  {title}  "))).unwrap_or_else(|| panic!("{title} not in {list}")).to_owned()
}

fn id(n: u32) -> String {
    format!("malware--00000000-0000-4000-8000-{n:012}")
}

#[test]
fn a_remedy_agreed_by_a_and_b_holds_on_bs_own_node_and_leaves_c_untouched() {
    let root = tempfile::tempdir().unwrap();
    let nodes = three_nations(root.path());
    let [a, b, c] = &nodes;
    let mut terms = malware_terms("A–B", &[&a.id, &b.id]);
    terms["dispute_terms"] = json!({
        "ladder": [{ "stage": "consultation", "days": 14 }, { "stage": "arbitration", "days": 60 }],
        "remedies": [{ "from": "arbitration", "effect": "suspend-sharing" }]
    });
    let ab = ratified(a, b, &terms);
    let bc = ratified(b, c, &malware_terms("B–C", &[&b.id, &c.id]));
    assert!(listed(a, "A–B").contains("[in force]") && listed(c, "B–C").contains("[in force]"));

    // Before: what B shares under A–B reaches A, under B–C reaches C.
    b.import(&b.id, Some(&ab), &[object(1, &b.id, "malware", AMBER)]);
    b.import(&b.id, Some(&bc), &[object(2, &b.id, "malware", AMBER)]);
    sync_all(&[a, c]);
    assert!(a.stored().contains(&id(1)) && c.stored().contains(&id(2)), "in force: sharing flows");

    // A raises a dispute and agrees to escalate on its node; B agrees on its own.
    let d = act(a, &ab, "disputes", "raise", json!({ "clause": "handling.reshare", "facts": "a report went beyond the parties", "remedy": "recall it" }));
    let mut records = vec![d.clone(), act(a, &ab, "disputes", "escalate", json!({ "dispute": d }))];
    sync_all(&[b]);
    assert_eq!(dispute(b, &ab)["stage"], "consultation", "one party's escalation does not escalate");
    assert!(listed(b, "A–B").contains("[in force]"));
    records.push(act(b, &ab, "disputes", "escalate", json!({ "dispute": d })));
    sync_all(&[a]);
    for n in [a, b] {
        let s = dispute(n, &ab);
        assert_eq!((s["stage"].as_str(), s["remedies"][0]["in_force"].as_bool()), (Some("arbitration"), Some(true)), "{}: {s}", n.dir.display());
        assert!(listed(n, "A–B").contains("[sharing held by a remedy while dispute"), "{}", n.dir.display());
    }

    // Held on B's own node: B's new object under A–B goes nowhere; B–C flows.
    b.import(&b.id, Some(&ab), &[object(3, &b.id, "malware", AMBER)]);
    b.import(&b.id, Some(&bc), &[object(4, &b.id, "malware", AMBER)]);
    // A record that flows while held, stored after it.
    records.push(act(b, &ab, "disputes", "file-position", json!({ "dispute": d, "text": "it went to our supervisor" })));
    sync_all(&[a, c]);
    let held_back = [a.stored().contains(&id(3)), collection(b, a, &ab).contains(&id(3))];
    assert_eq!(held_back, [false, false], "held: B's node releases nothing under A–B to A, by sync or TAXII");
    assert!(c.stored().contains(&id(4)), "B–C sharing is not held");
    // A poller of B's everything collection: its cursor passes the held object.
    let (page, cursor) = poll(b, a, EVERYTHING, None);
    assert!(!page.contains(&id(3)) && page.contains(records.last().unwrap().as_str()), "{page}");

    // A withdraws the dispute on its node: once B's node holds the
    // withdrawal, what the remedy kept back is re-offered after the
    // poller's cursor and reaches A's node.
    act(a, &ab, "disputes", "withdraw", json!({ "dispute": d }));
    sync_all(&[b]);
    assert!(listed(b, "A–B").contains("[in force]"), "withdrawn: the hold ends on B's node");
    let (page, _) = poll(b, a, EVERYTHING, cursor.as_deref());
    let reoffered = page.contains(&id(3));
    assert!(reoffered, "withdrawn: what the remedy kept back is re-offered after the poller's cursor: {page}");
    sync_all(&[a]);
    let after_withdrawal = a.stored().contains(&id(3));
    assert!(after_withdrawal, "withdrawn: what the remedy kept back reaches A at its next sync");

    // A second dispute, escalated by both: held again; settled by each
    // party on its own node, what it kept back reaches A.
    let d2 = act(a, &ab, "disputes", "raise", json!({ "clause": "tlp_ceiling", "facts": "amber marked red", "remedy": "relabel" }));
    records.extend([d2.clone(), act(a, &ab, "disputes", "escalate", json!({ "dispute": d2 }))]);
    sync_all(&[b]);
    records.push(act(b, &ab, "disputes", "escalate", json!({ "dispute": d2 })));
    b.import(&b.id, Some(&ab), &[object(5, &b.id, "malware", AMBER)]);
    sync_all(&[a]);
    assert!(listed(a, "A–B").contains("[sharing held by a remedy") && !a.stored().contains(&id(5)), "held again");
    let proposal = act(b, &ab, "disputes", "propose", json!({ "dispute": d2, "text": "we relabel it" }));
    records.push(proposal.clone());
    records.push(act(b, &ab, "disputes", "accept", json!({ "proposal": proposal })));
    sync_all(&[a]);
    records.push(act(a, &ab, "disputes", "accept", json!({ "proposal": proposal })));
    sync_all(&[b]);
    for n in [a, b] {
        assert_eq!(dispute(n, &ab)["status"], "settled", "{}", n.dir.display());
        assert!(listed(n, "A–B").contains("[in force]"), "{}", n.dir.display());
    }
    sync_all(&[a]);
    let after_settlement = a.stored().contains(&id(5));
    assert!(after_settlement, "settled: what the hold kept back reaches A at its next sync");
    assert!(collection(b, a, &ab).contains(&id(5)), "and B's TAXII collection offers it to A");

    sync_all(&[c]);
    let on_c = c.stored();
    let dispute_on_c = records.iter().filter(|r| on_c.contains(r)).count();
    assert_eq!(dispute_on_c, 0, "C is no party and no mediator: no record of the disputes on its node");
    assert!(!on_c.contains(&ab) && ![1, 3, 5].iter().any(|n| on_c.contains(&id(*n))), "nor anything of A–B");
    println!(
        "remedy across nodes: held on B's node 1 object per dispute (reached A while held: {}); after the withdrawal re-offered to a TAXII poller past it {}, reached A by sync {}; after the settlement reached A {}; B–C shared while held reached C 1; dispute records on C {dispute_on_c} of {}",
        held_back.iter().filter(|x| **x).count(),
        u8::from(reoffered),
        u8::from(after_withdrawal),
        u8::from(after_settlement),
        records.len()
    );
}
