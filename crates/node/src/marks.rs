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
