//! Read marks: what each user of this node has read, per thread of a
//! module's records (a dialogue channel's messages). This is the user's
//! own state on this node: kept in the node's registry settings under
//! `read:<user>:<thread>`, never a partnership record, never synced, never
//! released. A user is the credential's public id (`user:NAME` for a user
//! account, a token's id otherwise: [`crate::Caller::token_id`]).
//!
//! A mark is the arrival on this node (the store's `date_added`) of the
//! newest record the user was shown in that thread; a record is unread
//! when it first arrived after the mark and another partner authored it.
//! Arrival, not `created`: a message written days ago on a partner's node
//! and pulled by the last sync is new here. An edit (a later version) does
//! not make a record unread again; a withdrawn one is not counted.
//!
//! A user's last visit of the dashboard is kept the same way (`visit:<user>`,
//! [`visit`]): what arrived from each partner since, counted through the
//! reader's release gate.

use std::collections::BTreeMap;

use model::StixId;
use serde_json::{json, Value};
use store::{PutOptions, Registry, Store};

use crate::modules::{self, Error, Scope};

/// The setting that holds `user`'s mark in `thread`.
pub fn key(user: &str, thread: &str) -> String {
    format!("read:{user}:{thread}")
}

/// Which records make threads: a module's (`partnership::Module::threads`).
pub use partnership::Threads;

/// One thread as a user sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Thread {
    /// Records another partner authored that arrived after the mark.
    pub unread: usize,
    /// The arrival (microseconds) of the newest record in the thread.
    pub newest: i64,
    /// The user's mark (0: nothing read yet).
    pub mark: i64,
}

/// The threads of `scope`'s records, with what `user` has not read in each.
pub fn unread(registry: &dyn Registry, scope: &Scope, threads: Threads, user: &str) -> store::Result<BTreeMap<String, Thread>> {
    let Threads { kind, by: thread } = threads;
    // The first arrival here of each record.
    let arrived = &scope.arrived;
    let mut threads: BTreeMap<String, Thread> = BTreeMap::new();
    let mut theirs: Vec<(i64, String)> = Vec::new();
    for r in scope.records.of_kind(kind) {
        let (Some(t), Some(&at)) = (r.properties.get(thread).and_then(Value::as_str), arrived.get(r.id.as_str())) else { continue };
        let th = threads.entry(t.to_owned()).or_default();
        th.newest = th.newest.max(at);
        if r.author != scope.me {
            theirs.push((at, t.to_owned()));
        }
    }
    for (t, th) in threads.iter_mut() {
        th.mark = registry.setting(&key(user, t))?.and_then(|v| v.parse().ok()).unwrap_or(0);
    }
    for (at, t) in theirs {
        if let Some(th) = threads.get_mut(&t) {
            if at > th.mark {
                th.unread += 1;
            }
        }
    }
    Ok(threads)
}

/// Marks `threads` read by `user` up to their newest record (a mark only
/// moves forward).
pub fn mark_read(store: &dyn Store, user: &str, threads: &BTreeMap<String, Thread>) -> store::Result<()> {
    for (t, th) in threads.iter().filter(|(_, th)| th.newest > th.mark) {
        store.put(&[], &PutOptions { checkpoint: Some((key(user, t), th.newest.to_string())), ..PutOptions::default() })?;
    }
    Ok(())
}

/// The threads of `module` in `scope` (a view of one agreement) that
/// `user` has not read in full, one entry each: the agreement, its title,
/// the module, the thread's id and title (the thread record's `title`),
/// how many are unread. [`modules::inbox`] gathers them across agreements
/// and modules, from the views it reads anyway.
pub fn unread_entries(registry: &dyn Registry, scope: &modules::Scope, module: &dyn partnership::Module, threads: Threads, user: &str) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for (t, th) in unread(registry, scope, threads, user)? {
        if th.unread == 0 {
            continue;
        }
        let title = StixId::parse(&t).ok().and_then(|id| scope.records.get(&id)).and_then(|r| r.properties.get("title")).and_then(Value::as_str).unwrap_or_default().to_owned();
        out.push(json!({
            "what": "unread", "thread": t, "title": title, "unread": th.unread,
            "agreement": scope.agreement.id.as_str(), "agreement_title": scope.agreement.terms.title, "module": module.name(),
        }));
    }
    Ok(out)
}

/// The setting that holds when `user` last visited the dashboard.
pub fn visit_key(user: &str) -> String {
    format!("visit:{user}")
}

/// A write may carry a date added a little before it commits: a visit's
/// mark is set this long before it, so such a write is counted at the
/// next visit (at worst twice, never missed).
const VISIT_SLACK_MICROS: i64 = 2_000_000;

/// What arrived on this node since a user's last visit, from each partner.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SinceVisit {
    /// The previous visit's mark (microseconds), `None` on a first visit
    /// (nothing is counted then).
    pub since: Option<i64>,
    /// Per author (the partner's identity id), how many objects the
    /// reader may see arrived after the mark (new objects and new
    /// versions, each object once).
    pub by_author: BTreeMap<String, usize>,
    /// Whether counting stopped at its cap: there may be more.
    pub capped: bool,
}

/// What arrived since `user`'s last visit that the reader's `gate` lets
/// through (the release decision: counts show no object, so they are not
/// entries in the release log), from partners other than `me` and not the
/// platform's own definitions; intelligence only (the partnership's
/// records, `x-entente-*`, have the inbox), reading at most `most`
/// versions; then the
/// visit is recorded (`now` less a little slack), so the next visit counts
/// from here. Another user's visit moves only that user's mark.
pub fn visit(store: &dyn Store, registry: &dyn Registry, gate: &store::Gate, me: &str, user: &str, now: i64, most: usize) -> store::Result<SinceVisit> {
    let key = visit_key(user);
    let since = registry.setting(&key)?.and_then(|v| v.parse::<i64>().ok());
    let mut out = SinceVisit { since, ..SinceVisit::default() };
    if let Some(mark) = since {
        let q = store::Query { added_after: Some(mark), versions: store::Versions::LAST, gate: Some(gate.clone()), limit: Some(most), ..store::Query::default() };
        let page = store.query(&q)?;
        out.capped = page.more;
        let mut seen = std::collections::HashSet::new();
        for r in page.records {
            if r.object_type.starts_with(policy::kinds::PREFIX) {
                continue;
            }
            let Some(author) = r.created_by_ref.filter(|a| a != me && a != policy::ext::ENTENTE_IDENTITY) else { continue };
            if seen.insert(r.id) {
                *out.by_author.entry(author).or_default() += 1;
            }
        }
    }
    let mark = now - VISIT_SLACK_MICROS;
    if since.is_none_or(|s| mark > s) {
        store.put(&[], &PutOptions { checkpoint: Some((key, mark.to_string())), ..PutOptions::default() })?;
    }
    Ok(out)
}
