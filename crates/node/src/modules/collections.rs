//! The TAXII collections modules derive from their state
//! ([`partnership::Module::collections`]: a crisis's own collection), as
//! one partner may see them: which there are ([`list`], [`find`]), which
//! objects belong to one ([`members`]), what of them a reader may see
//! ([`released`]) and the sightings of its indicators ([`sightings`]).
//!
//! An object belongs to a module's collection when it is under the
//! collection's agreement on this node (shared under it here, or received
//! under it from a peer) and either a container shared under it (a
//! report, grouping, note or opinion whose `object_refs`, or a
//! relationship whose `source_ref` or `target_ref`, names the anchor
//! record) is it or names it, or the module names it (a crisis's key
//! intelligence). That is how an analyst puts intelligence into a crisis
//! with any STIX tool: a grouping of it naming the crisis, shared under
//! the agreement (docs/modules.md, "A module's collections"). The
//! container's latest version the reader may see decides: one that no
//! longer names the anchor takes its objects out. Every answer goes
//! through the reader's gate and the release log ([`crate::read`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use model::StixId;
use partnership::{Collection, Module};
use serde_json::Value;
use store::{ObservableKey, Query, Record, Versions};

use super::{state_of, view, Error, Modules, Node};
use crate::release::{Reader, Through};

/// The most objects a module's collection holds: past it, the rest of
/// what its containers name is left out (the store reads them by id).
pub const MAX_MEMBERS: usize = 10_000;

/// A module's collection under one agreement.
#[derive(Clone)]
pub struct Found {
    /// The agreement it is under.
    pub agreement: StixId,
    /// The module that derives it.
    pub module: Arc<dyn Module>,
    /// The collection.
    pub collection: Collection,
}

/// Every module collection of the agreements `me` is party to, each
/// module's state read through [`view`] (logged on `channel`). Blocking.
pub fn list(node: &Node, modules: &Modules, me: &StixId, channel: &str) -> Result<Vec<Found>, Error> {
    let index = node.agreements.index(&*node.store)?;
    let mut out = Vec::new();
    for agreement in index.agreements_of(me) {
        out.extend(of_agreement(node, modules, me, &agreement, channel)?);
    }
    Ok(out)
}

/// The module collections of one agreement `me` is party to. Blocking.
pub fn of_agreement(node: &Node, modules: &Modules, me: &StixId, agreement: &StixId, channel: &str) -> Result<Vec<Found>, Error> {
    let mut out = Vec::new();
    for module in modules.iter().filter(|m| m.has_collections()) {
        let scope = view(node, me, agreement, &**module, channel)?;
        if scope.records.is_empty() {
            continue;
        }
        let state = state_of(&**module, &scope);
        out.extend(module.collections(&state).into_iter().map(|collection| Found { agreement: agreement.clone(), module: module.clone(), collection }));
    }
    Ok(out)
}

/// The module collection whose id is `id`, if `me` is party to its
/// agreement (else none, as for one that does not exist). Its anchor is
/// a module's record whose id has that UUID: the record, looked up by id
/// (only to learn its agreement), names the one agreement whose module
/// state is then read through [`view`] (logged on `channel`). Blocking.
pub fn find(node: &Node, modules: &Modules, me: &StixId, id: &str, channel: &str) -> Result<Option<Found>, Error> {
    // Collection ids are UUIDs: anything else is no module's.
    if uuid::Uuid::parse_str(id).is_err() {
        return Ok(None);
    }
    let index = node.agreements.index(&*node.store)?;
    let mine = index.agreements_of(me);
    for module in modules.iter().filter(|m| m.has_collections()) {
        for kind in module.kinds() {
            let Ok(anchor) = StixId::parse(&format!("{kind}--{id}")) else { continue };
            let held = node.store.get(&anchor, &Versions::LAST)?;
            let Some(record) = held.first().and_then(|r| partnership::Record::from_stored(&r.json).ok()) else { continue };
            if !mine.contains(&record.agreement) {
                return Ok(None);
            }
            return Ok(of_agreement(node, modules, me, &record.agreement, channel)?.into_iter().find(|f| f.collection.id == id));
        }
    }
    Ok(None)
}

/// The ids of the objects in `found`'s collection as `me` may see them
/// (see the module docs), sorted; at most [`MAX_MEMBERS`]. An object is
/// under the agreement when its latest version the reader may see is
/// shared under it on this node or was received under it from a peer.
/// Only ids: what of them is answered is read through the gate and
/// logged ([`released`], or the TAXII listing with these ids). Blocking.
pub fn members(node: &Node, me: &StixId, found: &Found) -> Result<Vec<String>, Error> {
    let index = node.agreements.index(&*node.store)?;
    // A reader of its own, so that these reads leave nothing in the
    // ledger of the reader whose answer is logged.
    let reader = Reader::new(me.clone(), index, Through::Agreement(found.agreement.clone()));
    let anchor = found.collection.anchor.as_str();
    let mut containers = BTreeSet::new();
    let linking = Query {
        observables: vec![ObservableKey::linked(anchor)],
        types: store::LINK_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        versions: Versions::ALL,
        gate: Some(reader.gate()),
        ..Query::default()
    };
    node.store.scan(&linking, &mut |r| {
        containers.insert(r.id);
        Ok(())
    })?;
    let mut candidates: BTreeSet<String> = found.collection.named.iter().filter(|id| StixId::parse(id).is_ok()).cloned().collect();
    let mut ids = BTreeSet::new();
    // Each container's latest version the reader may see decides.
    latest(node, &reader, containers.into_iter().collect(), &mut |r| {
        let named = names(r);
        if under(r, &found.agreement) && named.iter().any(|n| n == anchor) {
            ids.insert(r.id.clone());
            candidates.extend(named.into_iter().filter(|n| n != anchor && StixId::parse(n).is_ok()));
        }
    })?;
    candidates.retain(|c| !ids.contains(c));
    latest(node, &reader, candidates.into_iter().take(MAX_MEMBERS).collect(), &mut |r| {
        if under(r, &found.agreement) {
            ids.insert(r.id.clone());
        }
    })?;
    Ok(ids.into_iter().take(MAX_MEMBERS).collect())
}

/// The latest version of each of `ids` that `reader` may see, to `each`.
fn latest(node: &Node, reader: &Arc<Reader>, ids: Vec<String>, each: &mut dyn FnMut(&Record)) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let query = Query { ids, versions: Versions::LAST, gate: Some(reader.gate()), ..Query::default() };
    node.store.scan(&query, &mut |r| {
        each(&r);
        Ok(())
    })?;
    Ok(())
}

/// Whether a stored version is under `agreement` on this node: shared
/// under it here, or received under it from a peer.
fn under(r: &Record, agreement: &StixId) -> bool {
    r.shared_under.split(' ').any(|a| a == agreement.as_str()) || crate::release::held_by(r).is_some_and(|via| &via.agreement == agreement)
}

/// The ids a container's stored version names: `object_refs`, and a
/// relationship's ends.
fn names(r: &Record) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(&r.json) else { return Vec::new() };
    let ends = ["source_ref", "target_ref"].into_iter().filter_map(|k| v.get(k).and_then(Value::as_str));
    let listed = v.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    ends.chain(listed).map(str::to_owned).collect()
}

/// The latest versions of `found`'s members (`ids`, from [`members`]) that
/// `me` may see through its agreement, at most `limit`, newest arrivals
/// last; released on `channel` (the reader's gate, the release log).
/// Blocking.
pub fn released(node: &Node, me: &StixId, found: &Found, ids: &[String], limit: usize, channel: &str) -> Result<Vec<Record>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let index = node.agreements.index(&*node.store)?;
    let reader = Reader::new(me.clone(), index, Through::Agreement(found.agreement.clone()));
    let query = Query {
        ids: ids.to_vec(),
        versions: Versions::LAST,
        limit: Some(limit),
        ..Query::default()
    };
    Ok(crate::read::Out::new(&node.log, &reader, channel).page(&*node.store, query)?.into_inner().records)
}

/// The sightings of `indicators` (ids) that `me` may see, under any
/// agreement or its own (detection hits recorded by the detection
/// service, `crate::detect::record_sightings`, and any partner's sighting
/// shared with it), latest versions, at most `limit`; released on
/// `channel`. Blocking.
pub fn sightings(node: &Node, me: &StixId, indicators: &[String], limit: usize, channel: &str) -> Result<Vec<Record>, Error> {
    if indicators.is_empty() {
        return Ok(Vec::new());
    }
    let index = node.agreements.index(&*node.store)?;
    let reader = Reader::new(me.clone(), index, Through::AnyShare);
    let query = Query {
        types: vec!["sighting".into()],
        observables: indicators.iter().map(|i| ObservableKey::sighting_of(i)).collect(),
        versions: Versions::LAST,
        limit: Some(limit),
        ..Query::default()
    };
    Ok(crate::read::Out::new(&node.log, &reader, channel).page(&*node.store, query)?.into_inner().records)
}
