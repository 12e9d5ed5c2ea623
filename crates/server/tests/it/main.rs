//! HTTP tests of a node's routers against a real listener and a real store.

mod health;
mod taxii;

use std::sync::Arc;

use store::{Access, CollectionRecord, Registry, Role};

/// A running node with two partners (A is the node's own, B hosted),
/// tokens for them and three collections.
pub(crate) struct Node {
    pub url: String,
    pub a: String,
    pub b: String,
    pub token_a: String,
    pub token_b: String,
    pub viewer_a: String,
    /// Readable and writable by all.
    pub shared: String,
    /// Readable by all, writable by A only.
    pub a_only_write: String,
    /// Visible to A only.
    pub a_private: String,
    pub store: Arc<store_sqlite::SqliteStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub(crate) async fn start(config: server::taxii::TaxiiConfig) -> Node {
    server::telemetry::install();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let identity = server::node::init(&*store, &*store, "Aurelia").unwrap();
    let a = identity.partner.clone();
    let b = server::node::add_hosted_partner(&*store, &*store, "Borealis").unwrap();
    let token = |partner: &str, role: Role| {
        let (t, rec) = server::auth::issue(partner, "test", role, 0, None);
        store.put_token(&rec).unwrap();
        t
    };
    let (token_a, token_b, viewer_a) = (token(&a, Role::Analyst), token(&b, Role::Analyst), token(&a, Role::Viewer));
    let collection = |title: &str, readers: Access, writers: Access| {
        let id = uuid::Uuid::new_v4().to_string();
        store.put_collection(&CollectionRecord { id: id.clone(), title: title.into(), description: None, readers, writers }).unwrap();
        id
    };
    let shared = collection("shared", Access::All, Access::All);
    let a_only_write = collection("a writes", Access::All, Access::Partners(vec![a.clone()]));
    let a_private = collection("a private", Access::Partners(vec![a.clone()]), Access::Partners(vec![a.clone()]));
    let state = server::AppState::new(store.clone(), store.clone(), identity, config, model::Limits::default());
    let app = server::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        server::serve(listener, app, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Node { url, a, b, token_a, token_b, viewer_a, shared, a_only_write, a_private, store, stop: Some(tx), _dir: dir }
}
