//! Resource sharing and burden sharing, for the parties' finance and
//! planning officers: a ledger every party can check. Under an agreement,
//! the parties accept **resource terms** (a common unit, in-kind rates,
//! exchange rates per year, a cost-share key); each party declares its
//! **figures** per year (GNI, population, GDP, defence spending); a party
//! **commits** money, personnel hours, equipment, a capability, training
//! seats, hosting days or intelligence contributions to another; it
//! records **deliveries** against its commitments, which count once the
//! receiver **confirms** them (or disputes them); **corrections** are new
//! records, never edits. Parties run **joint technology projects** (a
//! budget, participants, milestones, funded by commitments naming them)
//! and **capacity building** (a party requests support, others offer, the
//! requester matches offers, matched offers become commitments:
//! [`projects`]). The state shows every entry valued by the terms,
//! running balances, per-year aggregates, and the burden-sharing figures:
//! target and actual shares, balances, the fair-share ratio, its Gini
//! coefficient and Spearman's ρ between size and burden ([`rules`], with
//! the formulas in [`shares`]; docs/partnership.md). The ledger, the
//! commitments and the figures export as CSV ([`export`]). Crisis
//! assistance and exchange placements and course seats, recorded by those
//! modules under the same agreement, count as in-kind contributions
//! ([`in_kind`]: the kinds it reads, declared by `Module::reads`).
//!
//! A partnership module (docs/modules.md): record kinds and their parsing
//! in [`types`], the actions in [`actions`], the state in [`rules`]. The
//! REST endpoints and `entente module` commands are the kit's.

pub mod actions;
pub mod export;
pub mod fold;
pub mod in_kind;
pub mod projects;
pub mod rules;
pub mod shares;
pub mod types;
#[cfg(test)]
mod tests;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{ACCEPTANCE, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY, EXTENSION, FIGURES, KINDS, MATCH, OFFER, PROJECT, REQUEST, TERMS};

/// The resources module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resources;

impl Module for Resources {
    fn name(&self) -> &'static str {
        "resources"
    }

    fn about(&self) -> &'static str {
        "Commitments and deliveries between the parties, confirmed by the receiver and valued by agreed terms, with cost shares and fair-share figures."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn reads(&self) -> &'static [&'static str] {
        in_kind::READS
    }

    fn actions(&self) -> &'static [Action] {
        actions::ACTIONS
    }

    fn liaison(&self) -> &'static [&'static str] {
        actions::LIAISON
    }

    fn validate(&self, record: &Record, ctx: &Context<'_>) -> Result<(), Error> {
        types::validate(record, ctx.agreement)
    }

    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
        actions::act(action, input, records, ctx)
    }

    fn state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        rules::state(records, ctx)
    }

    fn file_state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        rules::full(records, ctx)
    }

    fn fold(&self) -> Option<Box<dyn partnership::Fold>> {
        Some(Box::new(fold::ResourcesFold::default()))
    }

    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
        rules::needs(state, ctx)
    }

    fn files(&self) -> &'static [partnership::files::Spec] {
        export::FILES
    }

    fn file(&self, name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<partnership::files::File, Error> {
        let _ = of;
        export::file(name, state, names)
    }
}
