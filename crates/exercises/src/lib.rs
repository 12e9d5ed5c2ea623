//! The exercises partnership module: joint exercises between sovereign
//! partners, from plan to lessons learned, for the exercise planners,
//! controllers and observers of an agreement covering exercise data.
//!
//! - **Plan** (`x-entente-exercise`), by exercise control (its author):
//!   name, type (tabletop, functional, full-scale, cyber-range), dates,
//!   participating parties and their teams, observers, objectives (linked
//!   to shared objectives and competencies) and the MSEL: moves with
//!   injects (offset from the start or a trigger, target parties and team,
//!   channel, content, expected action, objective). Each participant
//!   endorses the exact latest version (`x-entente-exercise-endorsement`,
//!   `partnership::consent`); an edit needs new endorsements.
//! - **Conduct**: control starts and ends the exercise
//!   (`x-entente-exercise-phase`) and releases injects
//!   (`x-entente-exercise-inject`), which go to the targets (and control
//!   and observers) alone: `audience_refs`; targets respond
//!   (`x-entente-exercise-response`); control and observers record
//!   observations per objective (`x-entente-exercise-observation`).
//! - **Lessons**, NATO's chain: observation → lesson identified
//!   (`x-entente-exercise-lesson`, naming its observations) → remedial
//!   action (`x-entente-exercise-remedial-action`: owner party, due date;
//!   updates by the owner, `x-entente-exercise-remedial-update`) → lesson
//!   learned once control validates it (`x-entente-exercise-lesson-validation`).
//! - The **after-action report** is derived in the state, the same on every
//!   participant's node ([`rules`]), and offered as a file in HTML and PDF
//!   ([`report`]).
//!
//! MISP's Common Exercise Format imports as a plan and every plan exports
//! as one ([`cexf`]).
//!
//! Every record is exercise data (label `x-entente-exercise`) and is
//! refused under an agreement whose scope covers real data only.
//! The same crate holds the exchanges module ([`exchanges`]): placements
//! and a training catalogue, which are real data, not exercise data.
//!
//! docs/partnership.md#exercises describes it for its users.

mod actions;
pub mod cexf;
pub mod exchanges;
pub mod report;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use exchanges::Exchanges;
pub use types::{ENDORSEMENT, EXERCISE, EXTENSION, INJECT, KINDS, LABEL, LESSON, OBSERVATION, PHASE, REMEDIAL, REMEDIAL_UPDATE, RESPONSE, VALIDATION};

/// The exercises module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exercises;

impl Module for Exercises {
    fn name(&self) -> &'static str {
        "exercises"
    }

    fn about(&self) -> &'static str {
        "Joint exercises: a plan with its MSEL endorsed by the participants, injects released to their targets, observations, lessons and remedial actions, an after-action report."
    }

    fn extension(&self) -> &'static str {
        EXTENSION
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    /// Every record goes to the exercise's parties alone (`audience_refs`);
    /// a released inject and its responses to control, the targets and the
    /// observers.
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        policy::kinds::module(name, Some("audience_refs"))
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

    fn files(&self) -> &'static [partnership::files::Spec] {
        report::FILES
    }

    fn file(&self, name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<partnership::files::File, Error> {
        report::file(name, of, state, names)
    }
}
