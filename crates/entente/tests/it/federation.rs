//! Two sovereign nodes over loopback: each learns the other's partner by its
//! identity, they ratify an agreement across nodes by pulling each other's
//! agreement records, and Borealis's node then pulls exactly what Aurelia's
//! agreements give Borealis — and keeps pulling only what is new.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::nodes::{federate, malware_terms, object, ratify_across, Node, AMBER, RED};

#[test]
fn two_nodes_ratify_across_and_pull_exactly_what_agreements_give() {
    two_nodes(false);
}

/// The same with both nodes on PostgreSQL: serving, the release decision
/// and the puller's writes (objects, signatures, its checkpoint) on the
/// other backend.
#[test]
fn two_nodes_on_postgresql_ratify_across_and_pull_exactly_what_agreements_give() {
    two_nodes(true);
}

fn two_nodes(postgres: bool) {
    let root = tempfile::tempdir().unwrap();
    let mut a = Node::init_on(root.path(), "Aurelia", postgres);
    let mut b = Node::init_on(root.path(), "Borealis", postgres);
    for n in [&a, &b] {
        assert_eq!(n.dir.join("entente-data/entente.db").exists(), !postgres, "the node's store is not where the test meant it");
    }
    let (a_id, b_id) = (a.id.clone(), b.id.clone());
    // Each node learns the other's partner by its identity, with its key;
    // each issues the other's partner a token; each peers with the other.
    a.serve(0, &[]);
    b.serve(0, &[]);
    federate(&[&a, &b]);

    // Aurelia proposes and ratifies on its node; Borealis pulls, ratifies on
    // its own; Aurelia pulls the ratification: in force on both.
    let terms = malware_terms("A-B", &[&a_id, &b_id]);
    let agreement = ratify_across(&a, &[], &[&b], &terms);

    // Aurelia's objects: in scope and shared (arrive), in scope but not
    // shared, out of scope (a tool), TLP:RED naming nobody.
    let shared: Vec<Value> = (1..=30).map(|n| object(n, &a_id, "malware", AMBER)).collect();
    a.import("Aurelia", Some(&agreement), &shared);
    a.import("Aurelia", None, &[object(40, &a_id, "malware", AMBER), object(41, &a_id, "tool", AMBER)]);
    a.import("Aurelia", Some(&agreement), &[object(42, &a_id, "malware", RED)]);

    let round = b.sync();
    assert_eq!(round["added"], 30, "{round}");
    let on_b = b.stored();
    let expected: Vec<String> = shared.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    let leaked: Vec<&String> = on_b.iter().filter(|id| id.contains("-8000-0000000000") && !expected.contains(id)).collect();
    let missing: Vec<&String> = expected.iter().filter(|id| !on_b.contains(id)).collect();
    println!("federation: objects checked={} leaked={} missing={}", expected.len() + 3, leaked.len(), missing.len());
    assert!(leaked.is_empty() && missing.is_empty(), "leaked {leaked:?}, missing {missing:?}");
    // Borealis's node holds them as received under the agreement: Borealis
    // sees them, and a round with nothing new stores nothing.
    let seen = b.ok(&["export", "--for", &b_id]);
    assert!(seen.contains("malware--00000000-0000-4000-8000-000000000001"), "the holder sees what it received");
    // One request for the agreement records, one for the agreement's collection.
    let idle = b.sync();
    assert_eq!((idle["added"].as_u64(), idle["pages"].as_u64()), (Some(0), Some(2)), "{idle}");
    // A new version travels; nothing else moves.
    let mut v2 = shared[0].clone();
    v2["modified"] = json!("2026-02-01T00:00:00Z");
    v2["name"] = json!("object 1, revised");
    a.import("Aurelia", Some(&agreement), &[v2]);
    let round = b.sync();
    assert_eq!(round["added"], 1, "{round}");

    // A third partner hosted on Aurelia's node shares with Borealis under a
    // trilateral agreement. Until Borealis's node knows Caledonia's key it
    // can check neither Caledonia's ratification nor its objects: the
    // agreement is not in force there and nothing of Caledonia's arrives.
    let c_id = a.ok(&["partner", "add", "--name", "Caledonia"]);
    let trilateral = ratify_across(&a, &["Caledonia"], &[&b], &malware_terms("A-B-C", &[&a_id, &b_id, &c_id]));
    let in_force = |n: &Node| n.ok(&["agreement", "show", &trilateral]).lines().next().unwrap().contains("[in force]");
    assert!(in_force(&a) && !in_force(&b), "in force on Borealis's node without Caledonia's verified ratification");
    let c_object = object(50, &c_id, "malware", AMBER);
    a.import("Caledonia", Some(&trilateral), std::slice::from_ref(&c_object));
    b.sync();
    let c_object_id = c_object["id"].as_str().unwrap().to_owned();
    assert!(!b.stored().contains(&c_object_id), "an object whose signature could not be checked was kept");
    // Borealis's operator adds Caledonia's identity: the node reads its
    // peers again from the start, Caledonia's ratification now verifies,
    // the agreement is in force, and Caledonia's signed object arrives.
    let identities: Value = serde_json::from_str(&a.ok(&["export", "--type", "identity"])).unwrap();
    let caledonia = identities["objects"].as_array().unwrap().iter().find(|o| o["id"] == c_id.as_str()).unwrap().clone();
    std::fs::write(b.dir.join("caledonia.json"), caledonia.to_string()).unwrap();
    b.ok(&["partner", "add", "--identity", "caledonia.json"]);
    let round = b.sync();
    let unknown = format!("its author {c_id} is not known here by a key (entente partner add --identity)");
    assert!(round["refused"].get(&unknown).is_none(), "{round}");
    assert!(b.stored().contains(&c_object_id) && in_force(&b), "{round}");

    // Borealis's server pulls by itself every second: new objects arrive
    // with no `entente sync`, and the node's administrator sees how it goes.
    b.serve(1, &[]);
    let later: Vec<Value> = (60..=64).map(|n| object(n, &a_id, "malware", AMBER)).collect();
    a.import("Aurelia", Some(&agreement), &later);
    let deadline = Instant::now() + Duration::from_secs(30);
    let want = later[4]["id"].as_str().unwrap().to_owned();
    while !b.stored().contains(&want) {
        assert!(Instant::now() < deadline, "the server did not pull by itself");
        std::thread::sleep(Duration::from_millis(200));
    }
    let admin = b.token_for("Borealis", "admin");
    let peers: Value = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{}/api/v1/peers", b.port))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let status = &peers["peers"][0]["sync"];
    assert!(status["pulled"].as_u64() >= Some(5) && status["last_error"].is_null() && status["last_sync"].is_string(), "{peers}");
    assert!(!peers.to_string().contains(&std::fs::read_to_string(b.dir.join("aurelia.token")).unwrap()), "the credential was served");
}
