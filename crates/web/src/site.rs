//! [`Site`]: what the pages share with every request — the node's services
//! and records, the sessions, the modules — and [`Host`], the few things
//! only the server that mounts the pages can do (run detection under its
//! request budgets, add or remove a peer, sync with one now, tell how sync goes, pull a configured feed source
//! now, name a request's client address).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::http::request::Parts;
use node::detect::{Detection, Ready};
use node::release::{Reader, Through};
use node::Caller;

use crate::{Dashboards, Problem, Sessions};

/// A boxed future the [`Host`] answers with.
pub type Answer<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What only the server mounting the pages does for them.
pub trait Host: Send + Sync + 'static {
    /// Runs detection for `caller` on `ready` observations as the REST API
    /// does (its workers and request budgets), unindexed indicators
    /// included, no sightings, logged on the channel `web`.
    fn detect(&self, caller: Caller, ready: Vec<Ready>) -> Answer<Result<Detection, Problem>>;
    /// Whether a peer's URL is one the node would pull from; why not.
    fn check_peer_url(&self, url: &str) -> Result<(), String>;
    /// Adds a peer as `entente peer add` does (blocking): the record, or
    /// why not, naming the form's field at fault.
    fn add_peer(&self, url: &str, partner: &str, token: &str, ca_pem: Option<String>) -> Result<store::PeerRecord, Refused>;
    /// Removes the peer `id` and forgets its credential, as `entente peer
    /// remove` does (blocking): whether there was one, or why it failed.
    fn remove_peer(&self, id: &str) -> Result<bool, String>;
    /// Runs one sync round with the peer `id` now, as the scheduler does
    /// (on a blocking thread, its outcome in the peer's status): what it
    /// stored, or why not: the field `id` when there is no such peer, none
    /// when the round failed.
    fn sync_now(&self, id: String) -> Answer<Result<String, Refused>>;
    /// How sync with the peer `id` goes, as far as the node knows.
    fn peer_status(&self, id: &str) -> PeerSync;
    /// The address of the client of a request, if the server knows it.
    fn client_ip(&self, parts: &Parts) -> Option<IpAddr>;
    /// The feed sources the node's configuration names (`[[sources]]`);
    /// none when the server was given none.
    fn sources(&self) -> Vec<node::sources::Source> {
        Vec::new()
    }
    /// Pulls the configured source `name` now, as the scheduler would (on
    /// a blocking thread, its status kept in `sources.json`): what it
    /// stored, or why not: the field `name` when the configuration names
    /// no such source, none when the pull failed (its status says why too).
    fn pull_source(&self, name: String) -> Answer<Result<String, Refused>> {
        Box::pin(async move { Err(Refused { field: Some("name"), message: format!("no feed source named {name:?} is configured") }) })
    }
}

/// Why the server refused a form's input: the field at fault (none when
/// the server itself failed) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The form field at fault.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

/// What the node knows of its sync with one peer (the partners page).
#[derive(Debug, Default, Clone)]
pub struct PeerSync {
    /// When the last round ended well.
    pub last_sync: Option<String>,
    /// The last round's error, if it failed.
    pub last_error: Option<String>,
    /// Rounds that failed in a row.
    pub failures: u32,
    /// Versions stored from this peer since the node started.
    pub pulled: u64,
    /// Versions refused since the node started.
    pub refused: u64,
    /// The peer's date of the last version read.
    pub cursor: Option<String>,
    /// Seconds between the cursor and the end of the last good round.
    pub lag_seconds: Option<f64>,
}

/// What every page handler shares.
#[derive(Clone)]
pub struct Site {
    /// The node's objects.
    pub store: Arc<dyn store::Store>,
    /// The node's own records.
    pub registry: Arc<dyn store::Registry>,
    /// The node's own partner (its identity id).
    pub partner: String,
    /// Seals and opens paging cursors.
    pub cursors: taxii::CursorCodec,
    /// Failed sign-ins per client address.
    pub auth_failures: Arc<node::auth::FailureLimiter>,
    /// Limits on objects from partners.
    pub limits: model::Limits,
    /// Secret keys of the partners this node hosts.
    pub keys: node::keys::KeyDir,
    /// The agreements' index every release decision reads.
    pub agreements: Arc<node::release::Agreements>,
    /// Where every release is recorded.
    pub log: audit::SharedLog,
    /// The indicators, indexed for detection.
    pub indicators: Arc<node::detect::Indicators>,
    /// The pages' sessions.
    pub web: Arc<Sessions>,
    /// The dashboards counted lately, per partner.
    pub dashboards: Arc<Dashboards>,
    /// The partnership modules the node runs.
    pub modules: node::modules::Modules,
    /// The largest form body a page reads (the node's `max_content_length`).
    pub max_content_length: u64,
    /// What only the server does.
    pub host: Arc<dyn Host>,
}

impl Site {
    /// The agreements' index for release decisions (rebuilt when stale).
    pub async fn agreement_index(&self) -> Result<Arc<policy::AgreementIndex>, Problem> {
        let (store, agreements) = (self.store.clone(), self.agreements.clone());
        crate::blocking(move || agreements.index(&*store)).await
    }

    /// The node's services over this site's store, index, log and keys.
    pub fn services(&self) -> node::Node {
        node::Node { store: self.store.clone(), agreements: self.agreements.clone(), log: self.log.clone(), keys: self.keys.clone(), limits: self.limits, modules: self.modules.clone() }
    }

    /// The module service's view of the node.
    pub fn modules_node(&self) -> node::modules::Node {
        node::modules::Node { store: self.store.clone(), agreements: self.agreements.clone(), log: self.log.clone(), limits: self.limits }
    }

    /// Where a release to `reader` on `channel` goes out and is recorded:
    /// the one read path ([`node::read`]).
    pub fn out<'a>(&'a self, reader: &'a Arc<Reader>, channel: &'a str) -> node::read::Out<'a> {
        node::read::Out::new(&self.log, reader, channel)
    }

    /// A reader for `partner` now, deciding through `through`.
    pub async fn reader(&self, partner: &policy::PartnerId, through: Through) -> Result<Arc<Reader>, Problem> {
        Ok(Reader::new(partner.clone(), self.agreement_index().await?, through))
    }
}

impl Site {
    /// The partners `caller` may know of ([`node::partners::known_to`]),
    /// as the REST API lists them.
    pub async fn partners_known_to(&self, caller: &Caller) -> Result<Vec<store::PartnerRecord>, Problem> {
        let registry = self.registry.clone();
        let all = crate::blocking(move || registry.partners()).await?;
        let index = self.agreement_index().await?;
        Ok(node::partners::known_to(all, &index, caller, &self.partner))
    }

    /// Every version of one object the reader may see, oldest first,
    /// released on `channel`; 404 (and the refusal logged) when there is
    /// none, as the REST API reads it.
    pub async fn visible_versions(&self, reader: &Arc<Reader>, id: &model::StixId, channel: &'static str) -> Result<node::read::Released<Vec<store::Record>>, Problem> {
        let (site, reader, id) = (self.clone(), reader.clone(), id.clone());
        crate::service(move || site.out(&reader, channel).versions(&*site.store, &id, "no such object")).await
    }

    /// Stores the caller's objects and shares them under the named
    /// agreements (422 for one its partner is no party to), as the REST
    /// API's share does ([`node::Node::share`]).
    pub async fn share_objects(&self, caller: &Caller, objects: &[&[u8]], agreements: &[String]) -> Result<Vec<node::share::Shared>, Problem> {
        let me = caller.partner.clone();
        let index = self.agreement_index().await?;
        let shares = node::share::agreements_of(&index, &me, agreements)
            .map_err(|m| Problem::client(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "unknown agreement", m))?;
        let owned: Vec<Vec<u8>> = objects.iter().map(|o| o.to_vec()).collect();
        let node = self.services();
        let (results, reoffered) = crate::blocking(move || {
            let input: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            node.share(&me, &input, shares)
        })
        .await?;
        if reoffered {
            self.indicators.invalidate();
        }
        Ok(results)
    }
}

/// Agreements are acted on (proposed, amended, ratified, given notice) by a
/// liaison or an administrator, as in the REST API.
pub(crate) fn must_be_liaison(caller: &Caller) -> Result<(), Problem> {
    if caller.can(store::Role::Liaison) {
        Ok(())
    } else {
        Err(Problem::client(axum::http::StatusCode::FORBIDDEN, "forbidden", "agreements need the liaison or admin role"))
    }
}

/// The id of an agreement in a path; 404 for anything else.
pub(crate) fn agreement_id(raw: &str) -> Result<model::StixId, Problem> {
    model::StixId::parse(raw)
        .ok()
        .filter(|id| id.object_type() == policy::ext::AGREEMENT_TYPE)
        .ok_or_else(|| Problem::not_found("no such agreement"))
}
