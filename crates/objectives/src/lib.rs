//! Shared objectives of a partnership, for the parties' liaison officers:
//! a party proposes an objective under an agreement with KPIs (baseline,
//! target, direction, due date, weight, the party that reports it); it is
//! **adopted** once every party endorsed its exact latest version; each
//! KPI's reporting party reports values over time; the state shows each
//! KPI's and each objective's progress and status (met, on-track,
//! at-risk, late) by the rules in [`rules`] (docs/partnership.md).
//!
//! A partnership module (docs/modules.md): record kinds and their parsing
//! in [`types`], the actions in [`actions`], the state in [`rules`]. The
//! REST endpoints and `entente module` commands are the kit's.

pub mod actions;
pub mod rules;
pub mod types;
#[cfg(test)]
mod tests;

use partnership::{consent, Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{Direction, Kpi, Objective, Report, ENDORSEMENT, EXTENSION, OBJECTIVE, REPORT};

/// The objectives module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Objectives;

impl Module for Objectives {
    fn name(&self) -> &'static str {
        "objectives"
    }

    fn about(&self) -> &'static str {
        "Shared objectives with KPIs, adopted when every party endorses them, and progress reported by each KPI's reporting party."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[OBJECTIVE, ENDORSEMENT, REPORT]
    }

    fn actions(&self) -> &'static [Action] {
        actions::ACTIONS
    }

    fn liaison(&self) -> &'static [&'static str] {
        actions::LIAISON
    }

    fn validate(&self, record: &Record, ctx: &Context<'_>) -> Result<(), Error> {
        match record.kind.as_str() {
            OBJECTIVE => Objective::read(record)?.check_parties(record, ctx.agreement),
            ENDORSEMENT => consent::check(record, OBJECTIVE).map(drop),
            REPORT => Report::read(record).map(drop),
            other => Err(Error::invalid(&record.id, "type", format!("{other} is not a record of the objectives module"))),
        }
    }

    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
        actions::act(action, input, records, ctx)
    }

    fn state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        rules::state(records, ctx)
    }

    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
        rules::needs(state, ctx)
    }
}
