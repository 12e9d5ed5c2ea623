//! The demo's history: its nodes' stores written as if the coalition had
//! been sharing for the last 90 days.
//!
//! While the demo sets a nation's node up, every write it makes to the
//! node's store goes through [`Dated`], which dates each batch at the
//! moment the demo's [`Clock`] says (an import of history:
//! `store::PutOptions::added_at`). The store never dates a batch before
//! what it holds, so the history is written in date order, before anything
//! newer: the nodes' setup (identities, agreements) on the day before the
//! 90 days, then day by day each nation's intelligence made that day,
//! shared on its own node, and pulled by the other nations' nodes the same
//! day through their servers, by real federation (the sender's release
//! decision and release log; the log says when the release really
//! happened). The servers do not sync on their own meanwhile (a write of
//! theirs, dated now, would end the history: nothing after it could be
//! dated earlier). Once the history is written the clock is stopped and
//! every later write is dated now.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use store::{DateAdded, Outcome, Page, PutOptions, Query, Record, Result, Signature, Stats, Store, TextHit, TextQuery, Versions};

/// Microseconds of a day.
pub const DAY: i64 = 86_400_000_000;

/// The moment the demo's history is at (microseconds since the epoch), or
/// none (0): writes are dated now.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    /// Writes from now on are dated at `micros` (and after, as the store
    /// adds them).
    pub fn set(&self, micros: i64) {
        self.0.store(micros, Ordering::SeqCst);
    }

    /// Writes from now on are dated now.
    pub fn stop(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    fn at(&self) -> Option<DateAdded> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            micros => Some(DateAdded(micros)),
        }
    }
}

/// A store whose batches are dated by a [`Clock`] while it runs; every
/// other call passes through.
pub struct Dated {
    inner: Arc<dyn Store>,
    clock: Clock,
}

impl Dated {
    pub fn new(inner: Arc<dyn Store>, clock: Clock) -> Dated {
        Dated { inner, clock }
    }
}

impl Store for Dated {
    fn put(&self, objects: &[model::Object], options: &PutOptions) -> Result<Vec<Outcome>> {
        match (self.clock.at(), options.added_at) {
            (Some(at), None) => self.inner.put(objects, &PutOptions { added_at: Some(at), ..options.clone() }),
            _ => self.inner.put(objects, options),
        }
    }
    fn page(&self, query: &Query) -> Result<Page> {
        self.inner.page(query)
    }
    fn each(&self, query: &Query, f: &mut dyn FnMut(Record) -> std::result::Result<(), String>) -> Result<u64> {
        self.inner.each(query, f)
    }
    fn query(&self, query: &Query) -> Result<Page> {
        self.inner.query(query)
    }
    #[allow(clippy::type_complexity)]
    fn page_flagged(&self, query: &Query) -> Result<(Vec<(Record, bool, bool)>, bool)> {
        self.inner.page_flagged(query)
    }
    fn versions_of(&self, id: &str, collection: Option<&str>) -> Result<Vec<Record>> {
        self.inner.versions_of(id, collection)
    }
    fn visit(&self, query: &Query, f: &mut dyn FnMut(&Record) -> std::result::Result<(), String>) -> Result<bool> {
        self.inner.visit(query, f)
    }
    fn scan(&self, query: &Query, f: &mut dyn FnMut(Record) -> std::result::Result<(), String>) -> Result<u64> {
        self.inner.scan(query, f)
    }
    fn text_hits(&self, q: &TextQuery) -> Result<Vec<TextHit>> {
        self.inner.text_hits(q)
    }
    fn delete(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<u64> {
        self.inner.delete(id, versions, collection)
    }
    fn reoffer(&self, collection: &str, key: &str, value: &str) -> Result<bool> {
        self.inner.reoffer(collection, key, value)
    }
    fn removals(&self) -> Result<u64> {
        self.inner.removals()
    }
    fn stats(&self) -> Result<Stats> {
        self.inner.stats()
    }
    fn signatures(&self, versions: &[(String, i64)]) -> Result<Vec<Signature>> {
        self.inner.signatures(versions)
    }
    fn get(&self, id: &model::StixId, versions: &Versions) -> Result<Vec<Record>> {
        self.inner.get(id, versions)
    }
    fn get_in(&self, id: &model::StixId, versions: &Versions, collection: Option<&str>) -> Result<Vec<Record>> {
        self.inner.get_in(id, versions, collection)
    }
}
