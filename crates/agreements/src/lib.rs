//! The agreements module: an agreement's own records — its versions, the
//! parties' ratifications and their notices — expressed through the
//! partnership module kit, for the liaison officers who make and keep
//! agreements.
//!
//! - **Agreement versions** (`x-entente-agreement`, `Belongs::Itself`: the
//!   agreement belongs to itself): `propose` makes a new version of the
//!   agreement acted under, its proposer's alone. A new agreement is
//!   proposed by `node::agreements::propose` (the kit acts under an
//!   agreement that exists).
//! - **Ratifications** (`x-entente-ratification`): `ratify` signs the
//!   latest version with the caller's party key, which the node holds
//!   ([`partnership::Module::signed`]).
//! - **Notices** (`x-entente-notice`): `give-notice` (suspension,
//!   resumption, withdrawal, effective now or later), `cancel-notice` (a
//!   notice not yet in effect, withdrawn by a new version of it).
//!
//! Each kind keeps the extension definition it always had
//! ([`partnership::Module::extension_of`]) and the release rule `policy`
//! declares for it ([`policy::kinds::BUILT_IN`]); the records' own
//! properties come from `policy::ext`'s builders, the ones
//! `node::agreements` writes, so the two paths author the same objects.
//! The state ([`rules`]) is the agreement as the node's index derives it.

mod actions;
pub mod rules;
pub mod types;

use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use serde_json::{Map, Value};

pub use types::{AGREEMENT, KINDS, NOTICE, RATIFICATION};

/// The agreements module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Agreements;

impl Module for Agreements {
    fn name(&self) -> &'static str {
        "agreements"
    }

    fn about(&self) -> &'static str {
        "An agreement's own records: its versions, the parties' signed ratifications and their notices of suspension, resumption or withdrawal."
    }

    fn extension(&self) -> &'static str {
        policy::ext::AGREEMENT_EXT
    }

    fn extension_of(&self, kind: &str) -> &'static str {
        types::extension_of(kind)
    }

    fn signed(&self, kind: &str, ctx: &Context<'_>) -> Option<Vec<u8>> {
        // A ratification signs the canonical JSON of the version it ratifies: the latest.
        (kind == RATIFICATION).then(|| ctx.agreement.canonical.clone())
    }

    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        types::kind(name)
    }

    fn actions(&self) -> &'static [Action] {
        actions::ACTIONS
    }

    fn liaison(&self) -> &'static [&'static str] {
        actions::LIAISON
    }

    fn validate(&self, record: &Record, ctx: &Context<'_>) -> Result<(), Error> {
        types::validate(record, ctx)
    }

    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
        actions::act(action, input, records, ctx)
    }

    fn state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        rules::state(records, ctx)
    }
}
