//! The disputes partnership module: a party raises a dispute under an
//! agreement (the clause in question, the facts, the remedy sought); the
//! dispute climbs an escalation ladder (consultation, senior dialogue,
//! mediation, conciliation, arbitration), each stage with a deadline; the
//! parties file positions and proposals; a settlement is a proposal every
//! party accepts (exact version, `partnership::consent`); a mediator the
//! raiser names (never a party) receives the dispute's records
//! (`mediator_refs`, the kinds table's `named`) and nothing else.
//!
//! The timing rule (docs/partnership.md#disputes): a record counts at its
//! own `modified`, set by its author's node when authored and signed with
//! it; the state is computed from the records and `ctx.now` alone.

mod actions;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{ACCEPTANCE, DISPUTE, ESCALATION, EXTENSION, KINDS, MEDIATORS, POSITION, PROPOSAL, STAGES};

/// The disputes module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Disputes;

impl Module for Disputes {
    fn name(&self) -> &'static str {
        "disputes"
    }

    fn about(&self) -> &'static str {
        "Disputes under an agreement, on an escalation ladder with deadlines, settled when every party accepts a proposal."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn terms(&self) -> &'static [&'static str] {
        &[types::TERMS]
    }

    fn check_terms(&self, agreement: &policy::Agreement) -> Result<(), Error> {
        types::terms(agreement).map(drop).map_err(|(property, why)| Error::invalid(&agreement.id, property, why))
    }

    /// Every record of a dispute also goes to the mediators it names
    /// (`mediator_refs`, never a party); storing any of them may change a
    /// remedy's hold on release, so the node rebuilds its index.
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        policy::kinds::module(name, None).naming(&["mediator_refs"]).holding()
    }

    /// The remedies of the agreement's dispute terms, as they apply to its
    /// disputes ([`rules::holds`]).
    fn holds(&self, records: &Records, agreement: &policy::Agreement) -> Vec<policy::Hold> {
        rules::holds(records, agreement)
            .into_iter()
            .filter(|h| h.effect == types::Effect::SuspendSharing)
            .map(|h| policy::Hold { agreement: agreement.id.clone(), cause: h.dispute, from: h.from, until: h.until })
            .collect()
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
}
