//! The crisis management partnership module: partners prepare joint
//! playbooks under an agreement and, when a crisis comes, respond at once
//! and together, each from its own node.
//!
//! - **Playbooks** (`x-entente-crisis-playbook`): the hazard, roles per
//!   party, phases with tasks (an owner role, service levels to
//!   acknowledge and complete), the communication plan, activation
//!   criteria; endorsed by every party at the exact latest version
//!   (`x-entente-crisis-playbook-endorsement`, `partnership::consent`).
//! - **Crises** (`x-entente-crisis`): activated by a party, which leads it,
//!   from an endorsed playbook (its tasks instantiated, assigned by role)
//!   or ad hoc; with a severity and `exercise: true|false` (EDXL's
//!   distribution status, which the agreement's `data_kind` must cover).
//!   The lead adds and reassigns tasks and closes the crisis, each a new
//!   version of its crisis record.
//! - **Acknowledgements**, **task updates** (by the assignee),
//!   **situation reports** (EDXL-SitRep fields, per party and period),
//!   **assistance** steps (EDXL-RM: request, offer, commit, deliver,
//!   release, return, each by the party taking it) and **after-action
//!   reviews**, each its author's own record naming the crisis.
//!
//! The state is the common operating picture, the same on every node from
//! the same records ([`rules`], the timing rule), kept as records arrive
//! by [`fold`] so that a read costs the picture, not the history.
//! docs/partnership.md#crises describes it for its users.

mod actions;
pub mod report;
pub mod fold;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{ACKNOWLEDGEMENT, ASSISTANCE, CRISIS, ENDORSEMENT, EXTENSION, KINDS, PLAYBOOK, REVIEW, SITREP, TASK_UPDATE};

/// The crisis module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Crisis;

impl Module for Crisis {
    fn name(&self) -> &'static str {
        "crisis"
    }

    fn about(&self) -> &'static str {
        "Joint crisis playbooks, activation (real or exercise), acknowledgements, tasks with service levels, situation reports, assistance and a common operating picture."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
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

    fn fold(&self) -> Option<Box<dyn partnership::Fold>> {
        Some(Box::new(fold::CrisisFold::default()))
    }

    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
        rules::needs(state, ctx.me.as_str())
    }

    fn files(&self) -> &'static [partnership::files::Spec] {
        report::FILES
    }

    fn file(&self, name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<partnership::files::File, Error> {
        report::file(name, of, state, names)
    }

    fn collections(&self, state: &Value) -> Vec<partnership::Collection> {
        rules::collections(state)
    }

    fn has_collections(&self) -> bool {
        true
    }
}
