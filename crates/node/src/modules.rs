//! The partnership modules' service, blocking, that the REST endpoints,
//! the pages and the `entente module` command all call: a module's records
//! under an agreement as one partner may see them ([`view`], a page at a
//! time with [`page`]; to a mediator no party, those naming it: [`named`]),
//! the one record an action authors ([`act`]), the
//! inbox across modules ([`inbox`]) and the check of a record that arrived
//! from a peer ([`check_arrival`]). Records are read through the caller's
//! release gate and every answer is recorded in the release log (the one
//! read path, [`crate::read`]); an agreement the caller is no party to is
//! "no such agreement", like one that does not exist. The build's modules
//! are listed by the server (`server::modules::registered`).

use std::sync::Arc;

use model::{StixId, Timestamp};
use partnership::{Context, Module, Record, Records};
use serde_json::{json, Map, Value};
use store::{ObservableKey, Outcome, PutOptions, Query, Store, Versions};

use crate::release::{Agreements, Reader, Through};

pub mod collections;
pub mod scopes;
#[cfg(test)]
mod tests;

/// The modules a node runs, shared by every request.
pub type Modules = Arc<[Arc<dyn Module>]>;

/// The modules a node runs, their record kinds registered with the release
/// decision ([`partnership::declare`]) before any of their records is read.
///
/// # Panics
/// When two modules declare one record type differently: a build that
/// cannot decide who receives a record must not start.
pub fn build(modules: impl IntoIterator<Item = Arc<dyn Module>>) -> Modules {
    let modules: Vec<Arc<dyn Module>> = modules.into_iter().collect();
    for module in &modules {
        if let Err(e) = partnership::declare(module.as_ref()) {
            panic!("{e}");
        }
    }
    crate::release::hold_with(&modules);
    modules.into()
}

/// The module called `name` among `modules`.
pub fn find(modules: &Modules, name: &str) -> Result<Arc<dyn Module>, Error> {
    modules.iter().find(|m| m.name() == name).cloned().ok_or_else(|| Error::NotFound(format!("no module `{name}`")))
}

/// Why a module's view or action failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module refused (a property at fault, not allowed, not found).
    #[error(transparent)]
    Module(#[from] partnership::Error),
    /// No such module or agreement (or one the caller is no party to).
    #[error("{0}")]
    NotFound(String),
    /// The store kept another version under the same id and time, or the
    /// record has another author.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The release log could not record the answer: nothing is answered.
    #[error("release log: {0}")]
    Log(String),
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::NotFound(m) => Error::NotFound(m),
            crate::Error::Conflict(m) => Error::Conflict(m),
            crate::Error::Store(s) => Error::Store(s),
            crate::Error::Log(m) => Error::Log(m),
            other => Error::Log(other.to_string()),
        }
    }
}

/// What the service reads and writes: the node's store, the agreements'
/// index, the release log and the limits on objects.
#[derive(Clone)]
pub struct Node {
    /// The node's objects.
    pub store: Arc<dyn Store>,
    /// The agreements' index.
    pub agreements: Arc<Agreements>,
    /// The release log.
    pub log: audit::SharedLog,
    /// Limits on objects read back.
    pub limits: model::Limits,
}

/// A module's records under one agreement as one partner may see them,
/// with the agreement as it stands: what views and actions start from.
pub struct Scope {
    /// The reader.
    pub me: StixId,
    /// The agreement's latest version.
    pub agreement: policy::Agreement,
    /// Its state now.
    pub state: policy::AgreementState,
    /// Now.
    pub now: Timestamp,
    /// The records, latest versions in canonical order (shared with the
    /// reader's cached scope: [`scopes`]).
    pub records: Arc<Records>,
    /// How many versions the records were derived from (every version of
    /// the module's records under the agreement released to the reader).
    pub versions: u64,
    /// How many of them this read released for the first time (stored
    /// since the reader's previous view, or all of them on a cold read).
    pub new: usize,
    /// When each record first arrived on this node (microseconds), by id.
    pub arrived: Arc<std::collections::HashMap<String, i64>>,
    fold: Option<scopes::SharedFold>,
    reader: Arc<Reader>,
}

impl Scope {
    /// The module's context for the reader.
    pub fn ctx(&self) -> Context<'_> {
        Context { me: &self.me, now: self.now.clone(), agreement: &self.agreement, state: &self.state }
    }
}

/// `module`'s state of `scope` (read for `module`) at the scope's `now`:
/// from the module's fold kept in the reader's cached scope when it keeps
/// one ([`partnership::Fold`]), else derived from the records
/// ([`Module::state`]); the same either way.
pub fn state_of(module: &dyn Module, scope: &Scope) -> Value {
    partnership::fold::state(module, &scope.records, scope.fold.as_deref().map(|b| &**b), &scope.ctx())
}

/// The records of `module` under `agreement` that `me` may see, now; the
/// release of every version read is logged on `channel`. Blocking.
pub fn view(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, channel: &str) -> Result<Scope, Error> {
    view_at(node, me, agreement, module, channel, Timestamp::now())
}

/// [`view`] with the clock given: the scope's `now`, from which the
/// agreement's state and the module's deadlines are judged (tests and the
/// demo's backdated history pass their own).
///
/// The reader's scope is cached per (reader, agreement, module)
/// ([`scopes`]): a read reuses it while the agreement reads the same in
/// the agreements' index as when it was built, nothing was removed since
/// and it is younger than [`scopes::FULL_EVERY`], and reads through
/// the reader's gate only the versions stored after the newest it holds.
/// The release log gets one entry per view: those new versions itemised,
/// and a reason naming the module, the agreement, how many versions the
/// records were derived from and their digest (docs/security.md, "A
/// module's view").
pub fn view_at(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, channel: &str, now: Timestamp) -> Result<Scope, Error> {
    scope_at(node, me, agreement, module, channel, now, false)
}

/// [`view_at`]; `full`: read from the store in full, whatever is kept (the
/// kept entry, if any, serves other reads meanwhile and is then replaced).
fn scope_at(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, channel: &str, now: Timestamp, full: bool) -> Result<Scope, Error> {
    let (index, latest) = known_to(node, me, agreement)?;
    let state = index.state(agreement, &now);
    let reader = Reader::new(me.clone(), index.clone(), Through::AnyShare);
    let key: scopes::Key = (me.to_string(), agreement.to_string(), module.name());
    let cache = node.agreements.scopes();
    let kept = if full { None } else { cache.take(&key, &index) };
    let mut entry = kept.unwrap_or_else(|| scopes::Entry::new(index.clone()));
    let mut read = read_scope(node, &reader, agreement, module, entry.cursor)?;
    if entry.cursor.is_some() && read.iter().any(|(_, r)| r.revoked) {
        // A recall changes what the gate lets through of the record's
        // earlier versions: the scope again from the store.
        entry = scopes::Entry::new(index.clone());
        read = read_scope(node, &reader, agreement, module, None)?;
    }
    let (count, mut sum) = (entry.count, entry.sum.clone());
    let summary = |kept: &[(store::Record, Record)]| {
        for (r, _) in kept {
            sum.add(&r.id, &r.version);
        }
        format!("scope {} of {agreement}: {} versions, sum-sha256 {}; {} new, itemised", module.name(), count + kept.len() as u64, sum.hex(), kept.len())
    };
    let kept = crate::read::Out::new(&node.log, &reader, channel).scope(read, summary)?.into_inner();
    let new = kept.len();
    if new > 0 {
        entry.sum = sum;
        entry.count += new as u64;
        entry.bytes += kept.iter().map(|(r, _)| scopes::cost(r.json.len())).sum::<u64>();
        // The fold as the cache holds it, or a copy if a reader still holds it.
        let mut fold = entry.fold.take().map(|f| Arc::try_unwrap(f).unwrap_or_else(|shared| shared.boxed_clone()));
        let fresh = entry.cursor.is_none();
        if fresh {
            fold = module.fold();
        }
        let records = Arc::make_mut(&mut entry.records);
        let arrived = Arc::make_mut(&mut entry.arrived);
        for (r, record) in kept {
            entry.cursor = Some(entry.cursor.map_or(r.date_added.0, |c| c.max(r.date_added.0)));
            // Date-added order: the first seen is the first arrival.
            arrived.entry(r.id.clone()).or_insert(r.date_added.0);
            partnership::fold::feed(records, &mut fold, record);
        }
        entry.fold = fold.map(Arc::new);
    }
    if entry.fold.is_none() {
        entry.fold = partnership::fold::refold(module, &entry.records).map(Arc::new);
    }
    let (records, versions, fold, arrived) = (entry.records.clone(), entry.count, entry.fold.clone(), entry.arrived.clone());
    cache.put(key, entry);
    Ok(Scope { me: me.clone(), agreement: latest, state, now, records, versions, new, arrived, fold, reader })
}

/// Keeps `me`'s scopes warm, so that no reader of `me`'s waits for a full
/// read: for each agreement `me` is party to and each of `modules`, a
/// scope that is not kept, would not serve a read (its agreement changed,
/// something was removed) or was read in full more than half of
/// [`scopes::FULL_EVERY`] ago is read in full again as [`view`] reads it
/// (logged on `channel`: every version itemised, released to `me`'s
/// partner, as on any full read), the kept one serving reads meanwhile,
/// and its state derived once (a fold's first read values every entry).
/// Others are left alone: what was stored since is read by the next view.
/// The server runs it for its own partner at start and then each minute.
/// Returns how many scopes were read. A scope that fails is left for the
/// next round (logged). Blocking.
pub fn warm(node: &Node, modules: &Modules, me: &StixId, channel: &str) -> Result<usize, Error> {
    let index = node.agreements.index(&*node.store)?;
    let mut full = 0;
    for agreement in index.agreements_of(me) {
        for module in modules.iter() {
            let key: scopes::Key = (me.to_string(), agreement.to_string(), module.name());
            if node.agreements.scopes().serving(&key, &index).is_some_and(|b| b.elapsed() < scopes::FULL_EVERY / 2) {
                continue;
            }
            match scope_at(node, me, &agreement, &**module, channel, Timestamp::now(), true) {
                Ok(scope) => {
                    std::hint::black_box(state_of(&**module, &scope));
                    full += 1;
                }
                Err(Error::NotFound(_)) => {}
                Err(e) => tracing::warn!(agreement = %agreement, module = module.name(), error = %e, "keeping a scope warm failed"),
            }
        }
    }
    Ok(full)
}

/// The versions of `module`'s records (its kinds and those it reads) under `agreement` stored after
/// `cursor` (all of them without one) that the reader's gate lets
/// through, each with its record, in date-added order.
fn read_scope(node: &Node, reader: &Arc<Reader>, agreement: &StixId, module: &dyn Module, cursor: Option<i64>) -> Result<Vec<(store::Record, Record)>, Error> {
    // The agreement's records alone, by the index of what records name
    // (store::ObservableKey::refers_to), not every record of the kinds.
    // Its own kinds and the other modules' kinds it declares it reads
    // (`Module::reads`), through the same gate: no other.
    let query = Query {
        types: module.kinds().iter().chain(module.reads()).map(|k| (*k).to_owned()).collect(),
        observables: vec![ObservableKey::refers_to(agreement.as_str())],
        versions: Versions::ALL,
        gate: Some(reader.gate()),
        added_after: cursor,
        ..Query::default()
    };
    let mut read = Vec::new();
    let mut keep = |r: store::Record| {
        // A record the node holds but cannot read as one is left out: it
        // was checked at the edge, so only a damaged store holds one.
        if let Ok(record) = Record::from_stored(&r.json) {
            if &record.agreement == agreement {
                read.push((r, record));
            }
        }
        Ok(())
    };
    node.store.scan(&query, &mut keep)?;
    // The agreement itself, for a module whose kinds include it (it
    // belongs to itself and refers to nothing: read by its id), through
    // the same gate.
    let itself: Vec<String> = module.kinds().iter().filter(|k| partnership::belongs_to_itself(k)).map(|k| (*k).to_owned()).collect();
    if !itself.is_empty() {
        let query = Query { types: itself, ids: vec![agreement.to_string()], observables: Vec::new(), ..query };
        node.store.scan(&query, &mut keep)?;
        read.sort_by_key(|(r, _)| r.date_added.0);
    }
    Ok(read)
}

/// The agreements' index and `agreement`'s latest version, if `me` may know
/// of it. Need-to-know: the agreement exists for the caller only if it is
/// a party to its latest version or its author, as on every other path.
fn known_to(node: &Node, me: &StixId, agreement: &StixId) -> Result<(Arc<policy::AgreementIndex>, policy::Agreement), Error> {
    let index = node.agreements.index(&*node.store)?;
    let Some(latest) = index.agreement(agreement).filter(|a| a.is_party(me) || &a.author == me).cloned() else {
        return Err(Error::NotFound("no such agreement".into()));
    };
    Ok((index, latest))
}

/// The versions of `module`'s records under `agreement` that name `me` in
/// a property by which their kind names further recipients
/// (`policy::kinds::Kind::named`: a dispute's `mediator_refs`): the view of
/// a reader that is no party, such as a mediator, on its own node, where
/// the agreement itself never arrives (so no state is derived from them).
/// Exactly those records, read through `me`'s gate and logged on
/// `channel`, oldest first; none: "no such agreement", as for anyone who
/// may not know of it. [`view`] answers a party. Blocking.
pub fn named(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, channel: &str) -> Result<Vec<store::Record>, Error> {
    let index = node.agreements.index(&*node.store)?;
    let reader = Reader::new(me.clone(), index, Through::AnyShare);
    let query = Query {
        types: module.kinds().iter().map(|k| (*k).to_owned()).collect(),
        observables: vec![ObservableKey::refers_to(agreement.as_str())],
        versions: Versions::ALL,
        gate: Some(reader.gate()),
        ..Query::default()
    };
    let names_me = |r: &Record| {
        policy::kinds::of(&r.kind).is_some_and(|k| {
            k.named.iter().any(|p| r.properties.get(*p).and_then(Value::as_array).is_some_and(|ids| ids.iter().any(|i| i.as_str() == Some(me.as_str()))))
        })
    };
    let mut stored = Vec::new();
    node.store.scan(&query, &mut |r| {
        if Record::from_stored(&r.json).is_ok_and(|record| &record.agreement == agreement && names_me(&record)) {
            stored.push(r);
        }
        Ok(())
    })?;
    if stored.is_empty() {
        return Err(Error::NotFound("no such agreement".into()));
    }
    Ok(crate::read::Out::new(&node.log, &reader, channel).records(stored)?.into_inner())
}

/// What [`named`] read, as JSON for the API, the command and the page:
/// the module, the agreement, the reader named, and each version read.
pub fn named_json(module: &dyn Module, agreement: &StixId, me: &StixId, stored: &[store::Record]) -> Value {
    let versions: Vec<Value> = stored.iter().filter_map(|r| serde_json::from_slice::<Value>(&r.json).ok()).collect();
    json!({ "module": module.name(), "agreement": agreement.as_str(), "named": me.as_str(), "records": versions.len(), "versions": versions })
}

/// Which of a module's records a [`page`] lists.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Only records of this kind (one of the module's).
    pub kind: Option<String>,
    /// Only records naming this record in a `…_ref`/`…_refs` property (the
    /// messages of a channel, the updates of an action item).
    pub of: Option<StixId>,
    /// At most this many versions.
    pub limit: usize,
    /// Continue after this cursor (from the previous page).
    pub after: Option<store::Cursor>,
}

/// One page of the versions of `module`'s records under `agreement` that
/// `me` may see, oldest first, as [`Listing`] narrows them; the release of
/// what it holds logged on `channel`. Read by the index of what records
/// name (`store::ObservableKey::refers_to`), so a page costs the same in
/// a channel of a thousand messages as in one of a hundred thousand.
/// Records naming `of` that belong to another agreement are left out of
/// the page (it may then hold fewer than `limit`; `more` still tells).
/// Blocking.
pub fn page(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, listing: &Listing, channel: &str) -> Result<store::Page, Error> {
    let types = match &listing.kind {
        Some(kind) if module.kinds().contains(&kind.as_str()) => vec![kind.clone()],
        Some(kind) => return Err(Error::Module(partnership::Error::input("kind", format!("{kind} is not a record kind of {}", module.name())))),
        None => module.kinds().iter().map(|k| (*k).to_owned()).collect(),
    };
    let (index, _) = known_to(node, me, agreement)?;
    let reader = Reader::new(me.clone(), index, Through::AnyShare);
    let named = listing.of.as_ref().unwrap_or(agreement);
    let query = Query {
        types,
        observables: vec![ObservableKey::refers_to(named.as_str())],
        versions: Versions::ALL,
        gate: Some(reader.gate()),
        limit: Some(listing.limit.max(1)),
        after: listing.after,
        ..Query::default()
    };
    let mut page = node.store.query(&query)?;
    if listing.of.is_some() {
        page.records.retain(|r| {
            Record::from_stored(&r.json).ok().is_some_and(|rec| &rec.agreement == agreement)
        });
    }
    // Through the one read path: decided again and logged in one call.
    page.records = crate::read::Out::new(&node.log, &reader, channel).records(std::mem::take(&mut page.records))?.into_inner();
    Ok(page)
}

/// Refuses (forbidden, naming the role it needs) a caller whose role is
/// below the least `action` of `module` needs ([`Module::role`]: an
/// analyst's, or a liaison's for what commits or speaks for the party).
/// Every interface that acts for a user or a token checks it before
/// [`act`]; the command line is the node's operator.
pub fn may_act(caller: &crate::Caller, module: &dyn Module, action: &str) -> Result<(), crate::Error> {
    let least = match module.role(action) {
        partnership::Role::Analyst => store::Role::Analyst,
        partnership::Role::Liaison => store::Role::Liaison,
    };
    caller.must_be(least, &format!("{} {action} needs the {} role or above", module.name(), least.as_str()))
}

/// `me` takes `action` of `module` under `agreement` with `input`: the one
/// record it authors is checked, stored as `me`'s, and returned (its
/// release to `me` logged on `channel`). Blocking.
pub fn act(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, action: &str, input: &Map<String, Value>, channel: &str) -> Result<model::Object, Error> {
    act_at(node, me, agreement, module, action, input, channel, Timestamp::now())
}

/// [`act`] with the clock given: the record is authored as at `now` (its
/// `created` and `modified`, and the deadlines its checks judge against).
/// The demo writes a history of past weeks with it; interfaces use [`act`].
#[allow(clippy::too_many_arguments)]
pub fn act_at(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, action: &str, input: &Map<String, Value>, channel: &str, now: Timestamp) -> Result<model::Object, Error> {
    act_with(node, None, me, agreement, module, action, input, channel, now)
}

/// [`act`] for a node holding its parties' keys (`keys`): an action whose
/// record its module signs ([`Module::signed`]: a ratification) is signed
/// with `me`'s key, as `crate::agreements::ratify` signs; without the
/// key it is refused (forbidden). The REST endpoints and the pages call
/// it; [`act`] refuses signed actions. Blocking.
#[allow(clippy::too_many_arguments)]
pub fn act_signed(node: &Node, keys: &crate::keys::KeyDir, me: &StixId, agreement: &StixId, module: &dyn Module, action: &str, input: &Map<String, Value>, channel: &str) -> Result<model::Object, Error> {
    act_with(node, Some(keys), me, agreement, module, action, input, channel, Timestamp::now())
}

#[allow(clippy::too_many_arguments)]
fn act_with(node: &Node, keys: Option<&crate::keys::KeyDir>, me: &StixId, agreement: &StixId, module: &dyn Module, action: &str, input: &Map<String, Value>, channel: &str, now: Timestamp) -> Result<model::Object, Error> {
    let scope = view_at(node, me, agreement, module, channel, now)?;
    let sign = |message: &[u8]| -> Result<String, String> {
        let keys = keys.ok_or("this interface holds no keys")?;
        let secret = keys.secret(me.as_str()).map_err(|e| format!("this node holds no key for {me}: {e}"))?;
        policy::sign_agreement(message, &secret).map_err(|e| e.to_string())
    };
    let object = partnership::author_signed(module, action, input, &scope.records, &scope.ctx(), Some(&sign))?;
    let options = PutOptions { posted_by: Some(me.to_string()), only_author: true, ..PutOptions::default() };
    match node.store.put(std::slice::from_ref(&object), &options)?.first() {
        Some(Outcome::Added(_) | Outcome::Unchanged(_)) => {}
        Some(Outcome::Conflict(why) | Outcome::NotAuthor(why)) => return Err(Error::Conflict(why.clone())),
        None => return Err(Error::Store(store::Error::Internal("the store answered nothing for one record".into()))),
    }
    // A record its module derives holds on release from (a dispute): the
    // index is rebuilt before the next decision.
    if crate::release::changes_agreements(std::slice::from_ref(&object)) {
        node.agreements.invalidate();
    }
    crate::read::authored(&node.log, &scope.reader.partner, channel, &object)?;
    Ok(object)
}

/// A partner's inbox ([`inbox`]): what needs it, and what a user of it has
/// not read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inbox {
    /// What needs the partner (docs/partnership.md#inbox): overdue entries
    /// first, then by due date.
    pub needs: Vec<Value>,
    /// The threads the user has not read in full, one entry each
    /// (`node::marks`); empty when no user was named.
    pub unread: Vec<Value>,
}

/// What needs `me`'s partner, across every agreement whose latest version
/// names it a party and every module (docs/partnership.md#inbox), and —
/// when `reader` names a user of `me` and the registry holding their read
/// marks — the threads that user has not read. One view per agreement and
/// module serves both: read through the one read path and logged on
/// `channel`, as each view is. Blocking.
pub fn inbox(node: &Node, modules: &Modules, me: &StixId, reader: Option<(&dyn store::Registry, &str)>, channel: &str) -> Result<Inbox, Error> {
    let index = node.agreements.index(&*node.store)?;
    let mut needs: Vec<(bool, Option<String>, Value)> = Vec::new();
    let mut unread = Vec::new();
    for agreement in index.agreements_of(me) {
        for module in modules.iter() {
            let scope = view(node, me, &agreement, &**module, channel)?;
            if scope.records.is_empty() {
                continue;
            }
            let ctx = scope.ctx();
            let state = state_of(&**module, &scope);
            for need in module.needs(&state, &ctx) {
                let mut entry = need.to_json();
                entry["agreement"] = json!(agreement.as_str());
                entry["agreement_title"] = json!(scope.agreement.terms.title);
                entry["module"] = json!(module.name());
                needs.push((need.overdue, need.due, entry));
            }
            if let (Some((registry, user)), Some(threads)) = (reader, module.threads()) {
                unread.extend(crate::marks::unread_entries(registry, &scope, &**module, threads, user)?);
            }
        }
    }
    // Overdue first; then what has a due date, soonest first; then the rest.
    needs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.is_none().cmp(&b.1.is_none())).then_with(|| a.1.cmp(&b.1)));
    Ok(Inbox { needs: needs.into_iter().map(|(_, _, e)| e).collect(), unread })
}

/// Checks a partnership record that arrived from a peer, before it is
/// stored: for the module that declares its kind, that it belongs to an
/// agreement, is authored by one of its parties and is valid for the
/// module on its own ([`partnership::accept`]). A record of an agreement
/// this node does not know yet is kept unchecked: the release decision
/// gives it to no one until the agreement arrives, and refusing it would
/// lose it for good (the cursor moves on). Kinds no module declares
/// and Entente's own (agreements, ratifications, notices, the agreements
/// module's too) are checked by `policy`.
pub fn check_arrival(modules: &Modules, object: &model::Object, index: &policy::AgreementIndex) -> Result<(), String> {
    // Entente's own kinds (the agreements module's) are `policy`'s to
    // check on arrival: an amendment or a ratification by a party the node
    // does not know yet must not be refused for the order it came in.
    if policy::kinds::BUILT_IN.iter().any(|k| k.name == object.object_type()) {
        return Ok(());
    }
    let Some(module) = modules.iter().find(|m| m.kinds().contains(&object.object_type())) else {
        return Ok(());
    };
    let record = Record::from_object(object).map_err(|e| e.to_string())?;
    let Some(agreement) = index.agreement(&record.agreement) else {
        return Ok(());
    };
    let now = Timestamp::now();
    let state = index.state(&record.agreement, &now);
    let author = record.author.clone();
    let ctx = Context { me: &author, now, agreement, state: &state };
    partnership::accept_record(&**module, record, &ctx).map(|_| ()).map_err(|e| e.to_string())
}

/// The modules as JSON: names, what they are, kinds and actions.
pub fn describe(modules: &Modules) -> Value {
    let modules: Vec<Value> = modules
        .iter()
        .map(|m| {
            let actions: Vec<Value> = m.actions().iter().map(|a| json!({ "name": a.name, "about": a.about, "kind": a.kind, "role": m.role(a.name).as_str() })).collect();
            let files: Vec<Value> = m.files().iter().map(|f| json!({ "name": f.name, "about": f.about, "of": f.of })).collect();
            json!({ "name": m.name(), "about": m.about(), "kinds": m.kinds(), "actions": actions, "files": files })
        })
        .collect();
    json!({ "modules": modules })
}

/// A module's state as JSON, as the API and the command show it.
pub fn state_json(module: &dyn Module, scope: &Scope) -> Value {
    json!({
        "module": module.name(),
        "agreement": scope.agreement.id.as_str(),
        "at": scope.now.to_string(),
        "records": scope.records.len(),
        "state": state_of(module, scope),
    })
}

/// File `name` of `module` under `agreement` as `me` may see it
/// (`partnership::files`: an after-action report, a ledger as CSV), `of`
/// the record it is about: drawn from the module's state of [`view`], so
/// from the records `me` may see, read through the one read path and
/// logged on `channel`. `names` gives a party's name for its id. Blocking.
#[allow(clippy::too_many_arguments)]
pub fn file(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, name: &str, of: Option<&str>, names: &dyn Fn(&str) -> String, channel: &str) -> Result<partnership::files::File, Error> {
    file_at(node, me, agreement, module, name, of, names, channel, Timestamp::now())
}

/// [`file`] with the clock given (the state's `now`).
#[allow(clippy::too_many_arguments)]
pub fn file_at(node: &Node, me: &StixId, agreement: &StixId, module: &dyn Module, name: &str, of: Option<&str>, names: &dyn Fn(&str) -> String, channel: &str, now: Timestamp) -> Result<partnership::files::File, Error> {
    if !module.files().iter().any(|f| f.name == name) {
        return Err(Error::NotFound(format!("{} offers no file `{name}`", module.name())));
    }
    let scope = view_at(node, me, agreement, module, channel, now)?;
    let state = module.file_state(&scope.records, &scope.ctx());
    Ok(module.file(name, of, &state, names)?)
}
