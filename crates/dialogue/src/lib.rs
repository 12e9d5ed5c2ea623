//! The dialogue partnership module: how the parties of an agreement talk
//! between meetings and record what their meetings decided, for the
//! liaison officers who run a partnership day to day.
//!
//! - **Channels** (`x-entente-channel`): topics of an agreement, for all
//!   its parties or some (`audience_refs`); **messages**
//!   (`x-entente-message`) in them, threaded (`reply_to`), marked with a
//!   TLP no higher than the agreement's ceiling, optionally referring to
//!   intelligence objects by id, edited (a new version) or retracted by
//!   their author. A message carries its channel's members itself, so the
//!   release decision sends it to them alone (`policy::kinds::Kind::audience`).
//! - **Meetings** (`x-entente-meeting`) with agreed minutes: each
//!   participating party approves the exact version
//!   (`x-entente-minutes-approval`, through `partnership::consent`); an edit
//!   needs new approvals. Meetings held against those the agreement's
//!   `meeting_cadence` plans.
//! - **Action items** (`x-entente-action-item`), from a meeting or on their
//!   own, and their updates (`x-entente-action-update`): the owner party
//!   acknowledges, reports progress and closes; anyone comments; overdue
//!   by `ctx.now`.
//!
//! docs/partnership.md describes it for its users; docs/modules.md the kit.

mod actions;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{ACTION_ITEM, ACTION_UPDATE, APPROVAL, CHANNEL, EXTENSION, MEETING, MESSAGE};

/// The dialogue module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Dialogue;

impl Module for Dialogue {
    fn name(&self) -> &'static str {
        "dialogue"
    }

    /// A channel's messages are read in threads: unread per user.
    fn threads(&self) -> Option<partnership::Threads> {
        Some(partnership::Threads { kind: types::MESSAGE, by: "channel_ref" })
    }

    fn about(&self) -> &'static str {
        "Channels and messages, meetings with agreed minutes, and action items between the parties of an agreement."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        types::KINDS
    }

    /// Channels and their messages go to the channel's members alone, when
    /// it names them (`audience_refs`).
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        let narrows = name == types::CHANNEL || name == types::MESSAGE;
        policy::kinds::module(name, narrows.then_some("audience_refs"))
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

    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
        rules::needs(state, ctx.me.as_str())
    }
}
