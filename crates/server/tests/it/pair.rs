//! Two sovereign nodes in one test process, each party on its own node:
//! node A (its own partner Aurelia) and node B (its own partner Boreas),
//! each knowing the other's partner by its identity and key and pulling
//! from the other as a peer. [`Pair::sync`] runs one real round each way:
//! the federation crate's pull over TAXII with this build's module checks
//! on arrival (`server::sync::pull`, what the sync loop runs).

use serde_json::{json, Value};
use store::{PeerRecord, Role, Versions};

use crate::{call, start_as, Backend, Node};

/// Node A and node B, peers of each other.
pub(crate) struct Pair {
    pub a: Node,
    pub b: Node,
    /// A's peer record for B and B's for A, with where their credentials are kept.
    peers: [(PeerRecord, server::peers::PeerSecrets); 2],
}

/// The identity object of `node`'s own partner, as stored there.
fn own_identity(node: &Node) -> model::Object {
    let id = model::StixId::parse(&node.a).unwrap();
    let latest = node.store.get(&id, &Versions::ALL).unwrap().pop().expect("the node's identity");
    model::Object::from_value(serde_json::from_slice(&latest.json).unwrap()).unwrap()
}

/// `from` pulls from `to` with a credential `to` issued to `from`'s partner.
fn peer(from: &Node, to: &Node) -> (PeerRecord, server::peers::PeerSecrets) {
    let (token, record) = server::auth::issue(&from.a, "peer", Role::Analyst, 0, None);
    to.registry.put_token(&record).unwrap();
    let secrets = server::peers::PeerSecrets::in_data_dir(from.data_dir());
    let peer = server::peers::add(&*from.registry, &secrets, &format!("{}/taxii2/", to.url), &to.a, &token, None).unwrap();
    (peer, secrets)
}

/// Two nodes on SQLite, each the other's peer.
pub(crate) async fn pair() -> Pair {
    pair_paged(server::taxii::TaxiiConfig::default().max_page_size).await
}

/// [`pair`], each server serving at most `max_page_size` objects a page (a
/// round then reads many pages: what is checked on one thread is stored
/// on another).
pub(crate) async fn pair_paged(max_page_size: usize) -> Pair {
    let config = || server::taxii::TaxiiConfig { max_page_size, ..Default::default() };
    let a = start_as(Backend::Sqlite, config(), Default::default(), "Aurelia").await;
    let b = start_as(Backend::Sqlite, config(), Default::default(), "Boreas").await;
    // Each learns the other's partner by its identity before issuing it a credential.
    let (a, b, peers) = tokio::task::spawn_blocking(move || {
        server::node::add_known_partner(&*a.store, &*a.registry, &own_identity(&b)).unwrap();
        server::node::add_known_partner(&*b.store, &*b.registry, &own_identity(&a)).unwrap();
        let peers = [peer(&a, &b), peer(&b, &a)];
        (a, b, peers)
    })
    .await
    .unwrap();
    Pair { a, b, peers }
}

impl Pair {
    /// One sync round each way (A pulls from B, then B from A), each of
    /// which must succeed; returns the two reports. Then waits out the
    /// servers' agreement index check (`release::INDEX_TTL`) so that
    /// what arrived reaches their release decisions.
    pub(crate) async fn sync(&self) -> [federation::Report; 2] {
        let mut reports = Vec::new();
        for (node, (peer, secrets)) in [(&self.a, &self.peers[0]), (&self.b, &self.peers[1])] {
            let (store, registry, peer, secrets) = (node.store.clone(), node.registry.clone(), peer.clone(), secrets.clone());
            let local = model::StixId::parse(&node.a).unwrap();
            let report = tokio::task::spawn_blocking(move || {
                server::sync::pull(&*store, &*registry, &secrets, &peer, &local, &model::Limits::default())
            })
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("a sync round: {e}"));
            reports.push(report);
        }
        tokio::time::sleep(node::release::INDEX_TTL + std::time::Duration::from_millis(100)).await;
        reports.try_into().unwrap()
    }

    /// An agreement between A and B to share `object_types`, proposed and
    /// ratified by A's liaison on node A, ratified by B's on node B, and
    /// in force on both; its id.
    pub(crate) async fn agreement(&self, title: &str, object_types: &[&str]) -> String {
        let (a, b) = (&self.a, &self.b);
        let terms = json!({
            "title": title,
            "purpose": "talk and plan together",
            "party_refs": [a.a, b.a],
            "scope": { "object_types": object_types, "labels": [], "data_kind": "real" },
            "tlp_ceiling": "amber",
            "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
            "valid_from": "2020-01-01T00:00:00Z"
        });
        let (s, v) = call(a, &a.liaison[0], "POST", "agreements", Some(terms)).await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        let (s, v) = call(a, &a.liaison[0], "POST", &format!("agreements/{id}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
        self.sync().await;
        let (s, v) = call(b, &b.liaison[0], "POST", &format!("agreements/{id}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
        self.sync().await;
        for node in [a, b] {
            let (s, v) = call(node, &node.liaison[0], "GET", &format!("agreements/{id}"), None).await;
            assert_eq!((s.as_u16(), v["state"].clone()), (200, Value::from("in-force")), "{v}");
        }
        id
    }
}
