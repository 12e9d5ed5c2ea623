//! Sovereign nodes for the multi-node tests: a node in its own folder with
//! its own server, partners that know each other by their identities, peers,
//! agreements ratified across nodes, and the objects they share.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{command, entente, free_port, stderr, Server};

/// TLP:AMBER's marking definition.
pub(crate) const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
/// TLP:RED's marking definition.
pub(crate) const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

/// One node: its data folder (the working directory of its commands), its
/// own partner's id, and its server while one runs.
pub(crate) struct Node {
    pub dir: PathBuf,
    pub id: String,
    /// The port its server listens on (a new one each start).
    pub port: u16,
    server: Option<Server>,
}

impl Node {
    /// A new node in `root/<name in lower case>` whose own partner is `name`.
    pub fn init(root: &Path, name: &str) -> Node {
        Node::init_on(root, name, false)
    }

    /// A new node as [`Node::init`], its store a fresh PostgreSQL schema
    /// when `postgres` (an `entente.toml` in its folder, where every command
    /// on the node runs, names the database).
    pub fn init_on(root: &Path, name: &str, postgres: bool) -> Node {
        let dir = root.join(name.to_lowercase());
        std::fs::create_dir_all(&dir).unwrap();
        if postgres {
            let url = store_postgres::testing::fresh_url();
            std::fs::write(dir.join("entente.toml"), format!("database_url = {}\n", toml_string(&url))).unwrap();
        }
        let id = ok(&dir, &["init", "--name", name]);
        Node { dir, id, port: 0, server: None }
    }

    /// Runs `entente args` on this node; it must succeed. Its output, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        ok(&self.dir, args)
    }

    /// Starts this node's server on a new port, stopping the one running if
    /// any; it pulls from its peers every `sync` seconds (0: only when told,
    /// with `entente sync`). `env` adds settings; the server's log goes to
    /// `serve.log` in the node's folder.
    pub fn serve(&mut self, sync: u64, env: &[(&str, &str)]) {
        self.stop();
        self.port = free_port();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("serve.log")).unwrap();
        let mut cmd = command(&self.dir, &["serve", "--listen", &format!("127.0.0.1:{}", self.port)]);
        cmd.env("ENTENTE_SYNC_INTERVAL", sync.to_string()).env("NO_COLOR", "1").stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.server = Some(Server(cmd.spawn().unwrap()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "{}: the server did not come up", self.dir.display());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server (SIGKILL) if one runs, and waits for it to go.
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// The process id of its server, while one runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(|s| s.0.id())
    }

    /// This node's TAXII root.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/taxii2/", self.port)
    }

    /// This node's own identity object, from its export.
    pub fn identity(&self) -> Value {
        let bundle: Value = serde_json::from_str(&self.ok(&["export", "--type", "identity"])).unwrap();
        bundle["objects"].as_array().unwrap().iter().find(|o| o["id"] == self.id.as_str()).unwrap().clone()
    }

    /// This node learns `other`'s partner by its identity, with its key.
    pub fn knows(&self, other: &Node) {
        let file = format!("{}.json", other.dir.file_name().unwrap().to_str().unwrap());
        std::fs::write(self.dir.join(&file), other.identity().to_string()).unwrap();
        assert_eq!(self.ok(&["partner", "add", "--identity", &file]), other.id);
    }

    /// A new token this node issues to `partner` (a name or id).
    pub fn token_for(&self, partner: &str, role: &str) -> String {
        self.ok(&["token", "create", "--partner", partner, "--role", role]).lines().last().unwrap().to_owned()
    }

    /// This node pulls from `other` at `url` (`other.url()`, or something in
    /// front of it), with a token `other` issues to this node's partner.
    /// Returns the peer's id.
    pub fn peers_with(&self, other: &Node, url: &str) -> String {
        let file = format!("{}.token", other.dir.file_name().unwrap().to_str().unwrap());
        std::fs::write(self.dir.join(&file), other.token_for(&self.id, "analyst")).unwrap();
        self.ok(&["peer", "add", "--url", url, "--partner", &other.id, "--token-file", &file])
    }

    /// One sync round, which must succeed: its report. The peer's server
    /// rereads agreements at least every second (`release::INDEX_TTL`);
    /// records its command line just stored reach its release decision by
    /// then.
    pub fn sync(&self) -> Value {
        std::thread::sleep(Duration::from_millis(1100));
        let line = self.ok(&["sync"]);
        serde_json::from_str(line.split_once(' ').unwrap().1).unwrap()
    }

    /// Every version stored on this node, as exported.
    pub fn versions(&self) -> Vec<Value> {
        let bundle: Value = serde_json::from_str(&self.ok(&["export"])).unwrap();
        bundle["objects"].as_array().unwrap().clone()
    }

    /// Ids of every object stored on this node.
    pub fn stored(&self) -> Vec<String> {
        self.versions().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
    }

    /// Imports `objects` as a bundle, as `partner`, shared under `share`
    /// (`None`: not shared).
    pub fn import(&self, partner: &str, share: Option<&str>, objects: &[Value]) {
        let file = self.dir.join("import.json");
        std::fs::write(&file, bundle(objects)).unwrap();
        let mut args = vec!["import", "--as", partner];
        if let Some(a) = share {
            args.extend(["--share", a]);
        }
        args.push("import.json");
        self.ok(&args);
    }
}

/// Runs `entente args` in `dir`; it must succeed. Its output, trimmed.
pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    let out = entente(dir, args);
    assert!(out.status.success(), "entente {args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The three nations' nodes (Aurelia, Borealis, Caledonia) under `root`,
/// serving and federated: what every three-node test starts from.
pub(crate) fn three_nations(root: &Path) -> [Node; 3] {
    let mut nodes = ["Aurelia", "Borealis", "Caledonia"].map(|n| Node::init(root, n));
    for n in &mut nodes {
        n.serve(0, &[]);
    }
    federate(&[&nodes[0], &nodes[1], &nodes[2]]);
    nodes
}

/// Nodes that each know every other's partner and pull from every other
/// directly.
pub(crate) fn federate(nodes: &[&Node]) {
    for n in nodes {
        for o in nodes.iter().filter(|o| o.id != n.id) {
            n.knows(o);
        }
    }
    for n in nodes {
        for o in nodes.iter().filter(|o| o.id != n.id) {
            n.peers_with(o, &o.url());
        }
    }
}

/// Terms for an agreement between `parties` to share malware analysis,
/// real data, up to TLP:AMBER, no resharing.
pub(crate) fn malware_terms(title: &str, parties: &[&str]) -> Value {
    json!({
        "title": title, "purpose": "share malware analysis", "party_refs": parties,
        "scope": {"object_types": ["malware"], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    })
}

/// `proposer` proposes `terms` and ratifies as its own partner (and as each
/// partner in `hosted` it hosts), then each node in `others` pulls the
/// records and ratifies on its own, and the proposer pulls their
/// ratifications: in force on every node. Returns the agreement's id.
pub(crate) fn ratify_across(proposer: &Node, hosted: &[&str], others: &[&Node], terms: &Value) -> String {
    std::fs::write(proposer.dir.join("terms.json"), terms.to_string()).unwrap();
    let agreement = proposer.ok(&["agreement", "propose", "--as", &proposer.id, "terms.json"]);
    proposer.ok(&["agreement", "ratify", "--as", &proposer.id, &agreement]);
    for h in hosted {
        proposer.ok(&["agreement", "ratify", "--as", h, &agreement]);
    }
    for o in others {
        let first = o.sync();
        assert!(first["added"].as_u64().unwrap() >= 2, "the agreement and its proposer's ratification arrive: {first}");
        o.ok(&["agreement", "ratify", "--as", &o.id, &agreement]);
    }
    proposer.sync();
    for n in std::iter::once(proposer).chain(others.iter().copied()) {
        let list = n.ok(&["agreement", "list"]);
        assert!(list.contains("[in force]"), "{}: {list}", n.dir.display());
    }
    agreement
}

/// One pull round on each node, in turn (the peers' servers reread
/// agreements at least every second: records just stored count by then).
pub(crate) fn sync_all(nodes: &[&Node]) {
    for n in nodes {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        n.ok(&["sync"]);
    }
}

/// `terms` proposed and ratified on `a`'s node, then ratified by each of
/// `others` on its own after a pull, and pulled back around: in force on
/// each party's node (any number of parties, unlike [`ratify_across`],
/// whose others never pull from each other). The agreement's id.
pub(crate) fn agree(a: &Node, others: &[&Node], terms: &Value) -> String {
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

/// Object number `n` of type `ty` (malware or tool), by `author`, marked
/// `marking`; its id ends in `n`.
pub(crate) fn object(n: u32, author: &str, ty: &str, marking: &str) -> Value {
    let mut o = json!({"type": ty, "spec_version": "2.1", "id": format!("{ty}--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "created_by_ref": author,
        "name": format!("object {n}"), "object_marking_refs": [marking]});
    if ty == "malware" {
        o["is_family"] = json!(false);
    }
    o
}

/// A STIX bundle of `objects`.
pub(crate) fn bundle(objects: &[Value]) -> String {
    json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}).to_string()
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
