//! The exchanges partnership module: exchange programmes and a training
//! catalogue between the parties of an agreement, for the people who run a
//! partnership's capacity building.
//!
//! - **Placements** (`x-entente-placement`): a host party offers a guest
//!   party a fellowship, technical assistance visit, secondment or course
//!   seat, with dates; the guest accepts (`x-entente-placement-acceptance`)
//!   naming its participant by a role or pseudonym it chooses — no other
//!   personal data; host and guest record outputs
//!   (`x-entente-placement-output`) and feedback
//!   (`x-entente-placement-feedback`).
//! - **Training catalogue**: a party offers courses with seats
//!   (`x-entente-course`); partners request seats
//!   (`x-entente-seat-request`); the provider confirms them
//!   (`x-entente-seat-confirmation`) while seats remain.
//!
//! These are real data, not exercise data: any agreement carries them.
//! docs/partnership.md#exchanges-and-training describes it for its users.

mod actions;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

/// The exchanges module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exchanges;

impl Module for Exchanges {
    fn name(&self) -> &'static str {
        "exchanges"
    }

    fn about(&self) -> &'static str {
        "Exchange programmes (placements with outputs and feedback) and a training catalogue (courses with seats partners request and providers confirm)."
    }

    fn extension(&self) -> &'static str {
        types::EXTENSION
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

    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
        rules::needs(state, ctx.me.as_str())
    }
}
