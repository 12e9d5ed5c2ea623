//! HTTP tests of a node's routers against a real listener and a real store,
//! each on both backends: `on_both_backends!(case)` turns `async fn
//! case(backend: Backend)` into a `case_sqlite` and a `case_postgres` test.
//! The browser tests (`browser/`) drive headless Chromium against a node.

mod agreements;
mod agreements_kit;
mod bodies;
mod channel_page;
mod browser;
mod detect;
mod extract;
mod dialogue;
mod faults;
mod feed;
mod health;
mod leak;
mod leak_modules;
mod mediator;
mod misp_feed;
mod modules;
mod pair;
mod polling;
mod remedies;
mod sources;
mod statements;
mod sync_refused;
mod taxii;
mod unread;
mod web;
mod web_admin;
mod web_dashboard;
mod web_loose_ends;
mod web_share;
mod web_taxonomies;
mod web_warninglists;
mod web_agreements;
mod web_files;
mod web_modules;
mod web_scorecard;
mod web_search;
mod web_sources;

use std::sync::Arc;

use store::{Access, CollectionRecord, Role};

/// Which store a test node runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Generates a SQLite and a PostgreSQL test from `async fn $case(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $( #[tokio::test] async fn $case() { super::$case($crate::Backend::Sqlite).await } )*
        }
        mod on_postgres {
            $( #[tokio::test] async fn $case() { super::$case($crate::Backend::Postgres).await } )*
        }
    };
}

/// A running node with two partners (A is the node's own, B hosted),
/// tokens for them and three collections.
pub(crate) struct Node {
    pub url: String,
    pub a: String,
    pub b: String,
    pub token_a: String,
    pub token_b: String,
    pub viewer_a: String,
    /// A third partner, C, hosted too.
    pub c: String,
    /// Liaison tokens of A, B and C.
    pub liaison: [String; 3],
    /// Readable and writable by all.
    pub shared: String,
    /// Readable by all, writable by A only.
    pub a_only_write: String,
    /// Visible to A only.
    pub a_private: String,
    pub store: Arc<dyn store::Store>,
    pub registry: Arc<dyn store::Registry>,
    /// On PostgreSQL: the `application_name` of this node's connections.
    pub pg_name: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// The node's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub(crate) async fn start(backend: Backend, config: server::taxii::TaxiiConfig) -> Node {
    start_with(backend, config, Default::default()).await
}

/// [`start`] with these detection limits.
pub(crate) async fn start_with(backend: Backend, config: server::taxii::TaxiiConfig, detection: server::detect_limits::DetectLimits) -> Node {
    start_as(backend, config, detection, "Aurelia").await
}

/// [`start_with`], the node's own partner named `own` (hosted B and C as ever).
pub(crate) async fn start_as(backend: Backend, config: server::taxii::TaxiiConfig, detection: server::detect_limits::DetectLimits, own: &'static str) -> Node {
    start_sourced(backend, config, detection, own, Vec::new()).await
}

/// [`start_as`], the server given these feed sources as its configuration.
pub(crate) async fn start_sourced(
    backend: Backend,
    config: server::taxii::TaxiiConfig,
    detection: server::detect_limits::DetectLimits,
    own: &'static str,
    sources: Vec<node::sources::Source>,
) -> Node {
    server::telemetry::install();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    // Store calls block (the PostgreSQL client runs its own runtime): set up off the async workers.
    let (state, store, registry, ids) = tokio::task::spawn_blocking(move || {
        let (store, registry, pg_name): (Arc<dyn store::Store>, Arc<dyn store::Registry>, _) = match backend {
            Backend::Sqlite => {
                let s = Arc::new(store_sqlite::SqliteStore::open(&path).unwrap());
                (s.clone(), s, None)
            }
            Backend::Postgres => {
                let (s, name) = store_postgres::testing::fresh_with_name();
                (s.clone(), s, Some(name))
            }
        };
        let keys = server::keys::KeyDir::in_data_dir(&path);
        let identity = server::node::init(&*store, &*registry, &keys, own).unwrap();
        let a = identity.partner.clone();
        let b = server::node::add_hosted_partner(&*store, &*registry, &keys, "Borealis").unwrap();
        let token = |partner: &str, role: Role| {
            let (t, rec) = server::auth::issue(partner, "test", role, 0, None);
            registry.put_token(&rec).unwrap();
            t
        };
        let c = server::node::add_hosted_partner(&*store, &*registry, &keys, "Caldera").unwrap();
        let tokens = [token(&a, Role::Analyst), token(&b, Role::Analyst), token(&a, Role::Viewer)];
        let liaison = [token(&a, Role::Liaison), token(&b, Role::Liaison), token(&c, Role::Liaison)];
        let collection = |title: &str, readers: Access, writers: Access| {
            let id = uuid::Uuid::new_v4().to_string();
            registry
                .put_collection(&CollectionRecord { id: id.clone(), title: title.into(), description: None, readers, writers })
                .unwrap();
            id
        };
        let collections = [
            collection("shared", Access::All, Access::All),
            collection("a writes", Access::All, Access::Partners(vec![a.clone()])),
            collection("a private", Access::Partners(vec![a.clone()]), Access::Partners(vec![a.clone()])),
        ];
        let log = audit::SharedLog::open(path.join("release.log")).unwrap();
        let mut state = server::AppState::new(store.clone(), registry.clone(), identity, config, model::Limits::default(), keys, log);
        // The kit's example module first, as a build registers it, and the build's own.
        let notes = Arc::new(partnership::suite::Notes) as Arc<dyn partnership::Module>;
        state.modules = node::modules::build(std::iter::once(notes).chain(server::modules::registered().iter().filter(|m| m.name() != "notes").cloned()));
        (state, store, registry, (a, b, c, tokens, liaison, collections, pg_name))
    })
    .await
    .unwrap();
    let (a, b, c, [token_a, token_b, viewer_a], liaison, [shared, a_only_write, a_private], pg_name) = ids;
    let mut state = state;
    state.detection = Arc::new(server::detect_limits::Workers::new(detection));
    state.sources = Arc::new(sources);
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
    Node { url, a, b, token_a, token_b, viewer_a, c, liaison, shared, a_only_write, a_private, store, registry, pg_name, stop: Some(tx), _dir: dir }
}

/// Calls the REST API of `node` as `token`: the status and the JSON body
/// (`null` when there is none).
pub(crate) async fn call(
    node: &Node,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let url = format!("{}/api/v1/{path}", node.url);
    let mut r = reqwest::Client::new().request(method.parse().unwrap(), url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// An agreement among `parties` (indexes of A, B, C) to share
/// `object_types`, proposed by the first and ratified by all through the
/// REST API; returns its id.
pub(crate) async fn ratified_agreement(node: &Node, title: &str, parties: &[usize], object_types: &[&str]) -> String {
    let ids = [&node.a, &node.b, &node.c];
    let terms = serde_json::json!({
        "title": title,
        "purpose": "share indicators of shared threats",
        "party_refs": parties.iter().map(|p| ids[*p]).collect::<Vec<_>>(),
        "scope": { "object_types": object_types, "labels": [], "data_kind": "real" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &node.liaison[parties[0]], "POST", "agreements", Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    for p in parties {
        let (s, v) = call(node, &node.liaison[*p], "POST", &format!("agreements/{id}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    id
}
