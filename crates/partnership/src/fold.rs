//! A module's state kept as records arrive ([`Fold`]), for the modules
//! whose state is costly to derive from every record on each read (a
//! crisis's picture, a ledger's figures). Optional: a module without one
//! is read with [`crate::Module::state`] alone.
//!
//! The contract (checked by [`crate::module_suite!`] for every module that
//! offers a fold): for any records, arriving one version at a time in any
//! order and in any batches, [`state`] over the records with the fold they
//! fed equals [`crate::Module::state`] over [`Records::new`] of them all.
//! A fold takes only a record new to the scope (the first version of an
//! id, not withdrawn); a new version of a known record, a withdrawal, or
//! anything the fold says it cannot take ([`Fold::add`] answers `false`)
//! drops it, and it is built again from every record ([`refold`]), the cost
//! of one derivation. Deadlines are judged when the state is read
//! ([`Fold::finish`] takes the read's context), never when a record is
//! folded in.

use serde_json::Value;

use crate::{Context, Module, Record, Records};

/// A module's state, kept as records arrive.
pub trait Fold: Send + Sync {
    /// Takes `record`, new to `records` (which already hold it): its first
    /// version, not withdrawn. `false` when it cannot (the fold is then
    /// built again from every record).
    fn add(&mut self, record: &Record, records: &Records) -> bool;

    /// The state at `ctx`: equal to the module's [`Module::state`] of
    /// `records` (the records the fold was fed).
    fn finish(&self, records: &Records, ctx: &Context<'_>) -> Value;

    /// A copy, for a reader still holding the one before.
    fn boxed_clone(&self) -> Box<dyn Fold>;
}

/// Adds one version to `records` and feeds it to `fold` when it is a record
/// new to them; anything else drops the fold (see the module docs).
pub fn feed(records: &mut Records, fold: &mut Option<Box<dyn Fold>>, record: Record) {
    let new = !record.revoked && records.versions(&record.id).is_empty();
    let id = record.id.clone();
    if !records.insert(record) {
        return;
    }
    let Some(f) = fold else { return };
    let taken = new && records.versions(&id).len() == 1 && records.get(&id).is_some_and(|r| f.add(r, records));
    if !taken {
        *fold = None;
    }
}

/// `module`'s fold of `records` built from nothing: every record added in
/// canonical order. `None` when the module keeps none (or its fold could
/// not take them: its state is then derived on each read).
pub fn refold(module: &dyn Module, records: &Records) -> Option<Box<dyn Fold>> {
    let mut fold = module.fold()?;
    records.iter().all(|r| fold.add(r, records)).then_some(fold)
}

/// The state of `records` at `ctx`: from `fold` when there is one (fed
/// with exactly those records), else derived ([`Module::state`]).
pub fn state(module: &dyn Module, records: &Records, fold: Option<&dyn Fold>, ctx: &Context<'_>) -> Value {
    match fold {
        Some(f) => f.finish(records, ctx),
        None => module.state(records, ctx),
    }
}
