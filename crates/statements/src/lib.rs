//! The joint statements partnership module: how the parties of an
//! agreement speak with one voice, for the liaison officers who draft and
//! approve what they say in public together.
//!
//! - **Statements** (`x-entente-statement`): a proposer drafts a title, a
//!   text, language versions, an embargo time and the co-signers (parties
//!   of the agreement, the proposer among them); each revision is a new
//!   version; a draft is submitted to the co-signers; a correction or a
//!   withdrawal is a new version too.
//! - **Approvals** (`x-entente-statement-approval`, through
//!   `partnership::consent`): a co-signer's approval of the exact latest
//!   version (unanimity).
//! - **Objections** (`x-entente-statement-objection`): a co-signer's
//!   objection in writing to the latest version (silence procedure), which
//!   counts only if its author's node made it before the deadline
//!   ([`types::on_time`]).
//!
//! The agreement's `statement_procedure` fixes the rule; the state
//! ([`rules`]) says of each statement whether it passed and was published,
//! the same on every node from the same records in any order.
//! docs/partnership.md describes it for its users; docs/modules.md the kit.

mod actions;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{APPROVAL, EXTENSION, OBJECTION, STATEMENT};

/// The statements module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Statements;

impl Module for Statements {
    fn name(&self) -> &'static str {
        "statements"
    }

    fn about(&self) -> &'static str {
        "Joint statements of an agreement's parties, adopted by unanimity or silence procedure and published at their embargo."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        types::KINDS
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
