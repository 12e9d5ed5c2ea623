//! The node's services as one value a transport holds ([`Node`]): the
//! store, the agreements' index, the release log, hosted partners' keys and
//! the limits on objects, with the actions that write through them.
//!
//! The agreements' index is forgotten here, by the actions that write what
//! it is built from ([`Node::propose`], [`Node::ratify`],
//! [`Node::give_notice`], [`Node::cancel_notice`], [`Node::wrote`]), never
//! by a transport after the fact.

use std::sync::Arc;

use model::{Object, StixId, Timestamp};
use policy::{Agreement, NoticeKind};
use serde_json::{Map, Value};
use store::Store;

use crate::agreements;
use crate::keys::KeyDir;
use crate::release::{self, Agreements};

/// What the services read and write.
#[derive(Clone)]
pub struct Node {
    /// The node's objects.
    pub store: Arc<dyn Store>,
    /// The agreements' index every release decision reads.
    pub agreements: Arc<Agreements>,
    /// Where every release is recorded.
    pub log: audit::SharedLog,
    /// Secret keys of the partners this node hosts.
    pub keys: KeyDir,
    /// Limits on objects from partners.
    pub limits: model::Limits,
    /// The partnership modules the node runs (the agreement terms they read).
    pub modules: crate::modules::Modules,
}

impl Node {
    /// `author` proposes an agreement (`id` `None`) or a new version of its
    /// own (`id`), with `terms`. Blocking.
    pub fn propose(&self, author: &StixId, id: Option<&StixId>, terms: &Map<String, Value>) -> Result<Agreement, agreements::Error> {
        let a = agreements::propose(&*self.store, author, id, terms, &self.modules)?;
        self.agreements.invalidate();
        Ok(a)
    }

    /// `party` ratifies the current version of agreement `id`, signed with
    /// its hosted key. Blocking.
    pub fn ratify(&self, party: &StixId, id: &StixId) -> Result<Object, agreements::Error> {
        let r = agreements::ratify(&*self.store, &self.keys, party, id)?;
        self.agreements.invalidate();
        Ok(r)
    }

    /// `party` gives notice of `kind` on agreement `id`, taking effect at
    /// `effective` (now if `None`). Blocking.
    pub fn give_notice(&self, party: &StixId, id: &StixId, kind: NoticeKind, effective: Option<Timestamp>) -> Result<Object, agreements::Error> {
        let n = agreements::give_notice(&*self.store, party, id, kind, effective)?;
        self.agreements.invalidate();
        Ok(n)
    }

    /// `party` cancels its `notice` on agreement `id` before it takes
    /// effect. Blocking.
    pub fn cancel_notice(&self, party: &StixId, id: &StixId, notice: &StixId) -> Result<Object, agreements::Error> {
        let n = agreements::cancel_notice(&*self.store, party, id, notice)?;
        self.agreements.invalidate();
        Ok(n)
    }

    /// After `objects` were stored through another path: the index is
    /// forgotten when they change what release decisions read
    /// ([`release::changes_agreements`]). Returns whether it was.
    pub fn wrote(&self, objects: &[Object]) -> bool {
        let changed = release::changes_agreements(objects);
        if changed {
            self.agreements.invalidate();
        }
        changed
    }

    /// After something the index is built from was removed or added
    /// outside an object write (a deletion, a partner's identity and key):
    /// the index is forgotten.
    pub fn records_changed(&self) {
        crate::modules::scopes::removed();
        self.agreements.invalidate();
    }
}
