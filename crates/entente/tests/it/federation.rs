//! Two sovereign nodes over loopback: each learns the other's partner by its
//! identity, they ratify an agreement across nodes by pulling each other's
//! agreement records, and Borealis's node then pulls exactly what Aurelia's
//! agreements give Borealis — and keeps pulling only what is new.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{entente, free_port, stderr, Server};

/// Starts a node's server; it pulls from its peers every `sync` seconds
/// (0: only when told, with `entente sync`).
pub(crate) fn serve(dir: &Path, port: u16, sync: u64) -> Server {
    let s = Server(
        Command::new(env!("CARGO_BIN_EXE_entente"))
            .current_dir(dir)
            .env("ENTENTE_LOG", "warn")
            .env("ENTENTE_SYNC_INTERVAL", sync.to_string())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    s
}

pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = entente(dir, args);
    assert!(out.status.success(), "entente {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The node's own identity object, from its export.
pub(crate) fn identity(dir: &Path, id: &str) -> Value {
    let bundle: Value = serde_json::from_str(&ok(dir, &["export", "--type", "identity"])).unwrap();
    bundle["objects"].as_array().unwrap().iter().find(|o| o["id"] == id).unwrap().clone()
}

/// One sync round. The peer's server rereads agreements at least every
/// second (`release::INDEX_TTL`); records its command line just stored reach
/// its release decision by then.
fn sync(dir: &Path) -> Value {
    std::thread::sleep(Duration::from_millis(1100));
    let line = ok(dir, &["sync"]);
    serde_json::from_str(line.split_once(' ').unwrap().1).unwrap()
}

/// Ids of every object stored on a node.
pub(crate) fn stored(dir: &Path) -> Vec<String> {
    let bundle: Value = serde_json::from_str(&ok(dir, &["export"])).unwrap();
    bundle["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
}

pub(crate) fn object(n: u32, author: &str, ty: &str, marking: &str) -> Value {
    let mut o = json!({"type": ty, "spec_version": "2.1", "id": format!("{ty}--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author,
        "name": format!("object {n}"), "object_marking_refs": [marking]});
    if ty == "malware" {
        o["is_family"] = json!(false);
    }
    o
}

#[test]
fn two_nodes_ratify_across_and_pull_exactly_what_agreements_give() {
    let root = tempfile::tempdir().unwrap();
    let (a, b): (PathBuf, PathBuf) = (root.path().join("a"), root.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let a_id = ok(&a, &["init", "--name", "Aurelia"]);
    let b_id = ok(&b, &["init", "--name", "Borealis"]);
    // Each node learns the other's partner by its identity, with its key.
    std::fs::write(b.join("aurelia.json"), identity(&a, &a_id).to_string()).unwrap();
    std::fs::write(a.join("borealis.json"), identity(&b, &b_id).to_string()).unwrap();
    assert_eq!(ok(&a, &["partner", "add", "--identity", "borealis.json"]), b_id);
    assert_eq!(ok(&b, &["partner", "add", "--identity", "aurelia.json"]), a_id);
    // Each issues the other's partner a token; each peers with the other.
    let token_for = |dir: &Path, who: &str| ok(dir, &["token", "create", "--partner", who, "--role", "analyst"]).lines().last().unwrap().to_owned();
    std::fs::write(b.join("a.token"), token_for(&a, "Borealis")).unwrap();
    std::fs::write(a.join("b.token"), token_for(&b, "Aurelia")).unwrap();
    let (pa, pb) = (free_port(), free_port());
    let _sa = serve(&a, pa, 0);
    let sb = serve(&b, pb, 0);
    ok(&b, &["peer", "add", "--url", &format!("http://127.0.0.1:{pa}/taxii2/"), "--partner", "Aurelia", "--token-file", "a.token"]);
    ok(&a, &["peer", "add", "--url", &format!("http://127.0.0.1:{pb}/taxii2/"), "--partner", "Borealis", "--token-file", "b.token"]);

    // Aurelia proposes and ratifies on its node; Borealis pulls, ratifies on
    // its own; Aurelia pulls the ratification: in force on both.
    let terms = json!({
        "title": "A-B", "purpose": "share malware analysis", "party_refs": [a_id, b_id],
        "scope": {"object_types": ["malware"], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    std::fs::write(a.join("terms.json"), terms.to_string()).unwrap();
    let agreement = ok(&a, &["agreement", "propose", "--as", "Aurelia", "terms.json"]);
    ok(&a, &["agreement", "ratify", "--as", "Aurelia", &agreement]);
    let first = sync(&b);
    assert!(first["added"].as_u64().unwrap() >= 2, "the agreement and A's ratification arrive: {first}");
    ok(&b, &["agreement", "ratify", "--as", "Borealis", &agreement]);
    sync(&a);
    for dir in [&a, &b] {
        let list = ok(dir, &["agreement", "list"]);
        assert!(list.contains("[in force]"), "{}: {list}", dir.display());
    }

    // Aurelia's objects: in scope and shared (arrive), in scope but not
    // shared, out of scope (a tool), TLP:RED naming nobody.
    let amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    let red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
    let shared: Vec<Value> = (1..=30).map(|n| object(n, &a_id, "malware", amber)).collect();
    let bundle = |objs: &[Value]| json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objs}).to_string();
    std::fs::write(a.join("shared.json"), bundle(&shared)).unwrap();
    ok(&a, &["import", "--as", "Aurelia", "--share", &agreement, "shared.json"]);
    let kept = vec![object(40, &a_id, "malware", amber), object(41, &a_id, "tool", amber)];
    std::fs::write(a.join("kept.json"), bundle(&kept)).unwrap();
    ok(&a, &["import", "--as", "Aurelia", "kept.json"]);
    std::fs::write(a.join("red.json"), bundle(&[object(42, &a_id, "malware", red)])).unwrap();
    ok(&a, &["import", "--as", "Aurelia", "--share", &agreement, "red.json"]);

    let round = sync(&b);
    assert_eq!(round["added"], 30, "{round}");
    let on_b = stored(&b);
    let expected: Vec<String> = shared.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    let leaked: Vec<&String> = on_b.iter().filter(|id| id.contains("-8000-0000000000") && !expected.contains(id)).collect();
    let missing: Vec<&String> = expected.iter().filter(|id| !on_b.contains(id)).collect();
    println!("federation: objects checked={} leaked={} missing={}", expected.len() + 3, leaked.len(), missing.len());
    assert!(leaked.is_empty() && missing.is_empty(), "leaked {leaked:?}, missing {missing:?}");
    // Borealis's node holds them as received under the agreement: Borealis
    // sees them, and a round with nothing new stores nothing.
    let seen = ok(&b, &["export", "--for", &b_id]);
    assert!(seen.contains("malware--00000000-0000-4000-8000-000000000001"), "the holder sees what it received");
    // One request for the agreement records, one for the agreement's collection.
    let idle = sync(&b);
    assert_eq!((idle["added"].as_u64(), idle["pages"].as_u64()), (Some(0), Some(2)), "{idle}");
    // A new version travels; nothing else moves.
    let mut v2 = shared[0].clone();
    v2["modified"] = json!("2026-02-01T00:00:00Z");
    v2["name"] = json!("object 1, revised");
    std::fs::write(a.join("v2.json"), bundle(&[v2])).unwrap();
    ok(&a, &["import", "--as", "Aurelia", "--share", &agreement, "v2.json"]);
    let round = sync(&b);
    assert_eq!(round["added"], 1, "{round}");

    // A third partner hosted on Aurelia's node shares with Borealis under a
    // trilateral agreement. Until Borealis's node knows Caledonia's key it
    // can check neither Caledonia's ratification nor its objects: the
    // agreement is not in force there and nothing of Caledonia's arrives.
    let c_id = ok(&a, &["partner", "add", "--name", "Caledonia"]);
    let mut terms3 = terms.clone();
    terms3["party_refs"] = json!([a_id, b_id, c_id]);
    std::fs::write(a.join("terms3.json"), terms3.to_string()).unwrap();
    let trilateral = ok(&a, &["agreement", "propose", "--as", "Aurelia", "terms3.json"]);
    ok(&a, &["agreement", "ratify", "--as", "Aurelia", &trilateral]);
    ok(&a, &["agreement", "ratify", "--as", "Caledonia", &trilateral]);
    let round = sync(&b);
    let unknown = format!("its author {c_id} is not known here by a key (entente partner add --identity)");
    assert!(round["refused"][&unknown].as_u64() >= Some(1), "Caledonia's ratification: {round}");
    ok(&b, &["agreement", "ratify", "--as", "Borealis", &trilateral]);
    sync(&a);
    let c_object = object(50, &c_id, "malware", amber);
    std::fs::write(a.join("c.json"), bundle(std::slice::from_ref(&c_object))).unwrap();
    ok(&a, &["import", "--as", "Caledonia", "--share", &trilateral, "c.json"]);
    sync(&b);
    let c_object_id = c_object["id"].as_str().unwrap().to_owned();
    assert!(!stored(&b).contains(&c_object_id), "an object whose signature could not be checked was kept");
    // Borealis's operator adds Caledonia's identity: the node reads its
    // peers again from the start, Caledonia's ratification now verifies,
    // the agreement is in force, and Caledonia's signed object arrives.
    std::fs::write(b.join("caledonia.json"), identity(&a, &c_id).to_string()).unwrap();
    ok(&b, &["partner", "add", "--identity", "caledonia.json"]);
    let round = sync(&b);
    assert!(stored(&b).contains(&c_object_id), "{round}");
    assert!(ok(&b, &["agreement", "show", &trilateral]).lines().next().unwrap().contains("[in force]"));

    // Borealis's server pulls by itself every second: new objects arrive
    // with no `entente sync`, and the node's administrator sees how it goes.
    drop(sb);
    let pb = free_port();
    let _sb = serve(&b, pb, 1);
    let later: Vec<Value> = (60..=64).map(|n| object(n, &a_id, "malware", amber)).collect();
    std::fs::write(a.join("later.json"), bundle(&later)).unwrap();
    ok(&a, &["import", "--as", "Aurelia", "--share", &agreement, "later.json"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let want = later[4]["id"].as_str().unwrap().to_owned();
    while !stored(&b).contains(&want) {
        assert!(Instant::now() < deadline, "the server did not pull by itself");
        std::thread::sleep(Duration::from_millis(200));
    }
    let admin = ok(&b, &["token", "create", "--partner", "Borealis", "--role", "admin"]).lines().last().unwrap().to_owned();
    let peers: Value = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{pb}/api/v1/peers"))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let status = &peers["peers"][0]["sync"];
    assert!(status["pulled"].as_u64() >= Some(5) && status["last_error"].is_null() && status["last_sync"].is_string(), "{peers}");
    assert!(!peers.to_string().contains(&std::fs::read_to_string(b.join("a.token")).unwrap()), "the credential was served");
}
