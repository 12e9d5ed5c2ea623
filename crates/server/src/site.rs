//! What the server does for the web pages ([`web::Host`]): detection under
//! the node's request budgets and workers (the REST API's run), adding and
//! removing a peer, a sync round now, the sync status of each peer, the
//! configured feed sources and a pull of one now, and a request's client address.

use std::net::IpAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use node::detect::{Detection, Ready};
use node::Caller;

use crate::{ApiError, AppState, ClientAddr};

/// The server's state, as the pages' host.
pub struct Hosted(pub AppState);

/// An error of the REST API's run as the pages answer it.
fn problem(e: ApiError) -> web::Problem {
    if e.status().is_server_error() {
        // Already logged where it was made.
        web::Problem::client(e.status(), "internal error", "")
    } else {
        web::Problem::client(e.status(), "cannot do that", e.description())
    }
}

impl web::Host for Hosted {
    fn detect(&self, caller: Caller, ready: Vec<Ready>) -> web::Answer<Result<Detection, web::Problem>> {
        let state = self.0.clone();
        Box::pin(async move { crate::api::detect::detect_for(&state, &caller, ready, true, false, "web").await.map_err(problem) })
    }

    fn check_peer_url(&self, url: &str) -> Result<(), String> {
        crate::peers::check_url(url)
    }

    fn add_peer(&self, url: &str, partner: &str, token: &str, ca_pem: Option<String>) -> Result<store::PeerRecord, web::Refused> {
        let secrets = crate::peers::PeerSecrets::beside(&self.0.keys);
        crate::peers::add(&*self.0.registry, &secrets, url, partner, token, ca_pem).map_err(|e| web::Refused { field: e.field(), message: e.message().to_owned() })
    }

    fn remove_peer(&self, id: &str) -> Result<bool, String> {
        let secrets = crate::peers::PeerSecrets::beside(&self.0.keys);
        crate::peers::remove(&*self.0.registry, &secrets, id)
    }

    fn sync_now(&self, id: String) -> web::Answer<Result<String, web::Refused>> {
        let state = self.0.clone();
        Box::pin(async move {
            let (store, registry, limits) = (state.store.clone(), state.registry.clone(), state.limits);
            let secrets = crate::peers::PeerSecrets::beside(&state.keys);
            let failed = |message: String| web::Refused { field: None, message };
            let local = model::StixId::parse(&state.node.partner).map_err(|e| failed(format!("the node's partner: {e}")))?;
            let peer_id = id.clone();
            let registry_ = registry.clone();
            let peer = tokio::task::spawn_blocking(move || registry_.peers())
                .await
                .map_err(|e| failed(format!("reading the peers: {e}")))?
                .map_err(|e| failed(format!("reading the peers: {e}")))?
                .into_iter()
                .find(|p| p.id == peer_id)
                .ok_or_else(|| web::Refused { field: Some("id"), message: format!("no peer {id}") })?;
            let outcome = tokio::task::spawn_blocking(move || crate::sync::pull(&*store, &*registry, &secrets, &peer, &local, &limits))
                .await
                .unwrap_or_else(|e| Err(format!("the round stopped: {e}")));
            match outcome {
                Ok(report) => {
                    let (refused, _) = state.sync.succeeded(&id, &report, &model::Timestamp::now());
                    Ok(format!("{} versions stored, {refused} refused", report.added))
                }
                Err(e) => {
                    state.sync.failed(&id, &e);
                    Err(failed(e))
                }
            }
        })
    }

    fn peer_status(&self, id: &str) -> web::PeerSync {
        let s = self.0.sync.get(id).unwrap_or_default();
        web::PeerSync {
            last_sync: s.last_sync,
            last_error: s.last_error,
            failures: s.failures,
            pulled: s.pulled,
            refused: s.refused,
            cursor: s.cursor,
            lag_seconds: s.lag_seconds,
        }
    }

    fn client_ip(&self, parts: &Parts) -> Option<IpAddr> {
        parts.extensions.get::<ConnectInfo<ClientAddr>>().map(|c| c.0 .0.ip())
    }

    fn sources(&self) -> Vec<node::sources::Source> {
        self.0.sources.to_vec()
    }

    fn pull_source(&self, name: String) -> web::Answer<Result<String, web::Refused>> {
        let state = self.0.clone();
        Box::pin(async move {
            let failed = |message: String| web::Refused { field: None, message };
            let Some(source) = state.sources.iter().find(|s| s.name == name).cloned() else {
                return Err(web::Refused { field: Some("name"), message: format!("no feed source named {name:?} is configured") });
            };
            let holder = model::StixId::parse(&state.node.partner).map_err(|e| failed(format!("the node's partner: {e}")))?;
            let (node, dir) = (state.services(), state.keys.data_dir().to_owned());
            let status = tokio::task::spawn_blocking(move || crate::sources::pull_now(&node, &holder, &source, &dir, &model::Timestamp::now()))
                .await
                .map_err(|e| failed(format!("the pull stopped: {e}")))?
                .map_err(|e| failed(format!("keeping the source's status: {e}")))?;
            if status.added > 0 {
                // What was stored may hold indicators: detection indexes again.
                state.indicators.invalidate();
            }
            match status.error {
                Some(e) => Err(failed(e)),
                None => Ok(format!(
                    "{} objects offered, {} added, {} unchanged, {} refused",
                    status.offered, status.added, status.unchanged, status.refused
                )),
            }
        })
    }
}
