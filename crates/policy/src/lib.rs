//! Agreements between security partners, their derived state, and the release decision.
//!
//! Pure Rust, no I/O. The pieces, in the order data flows through them:
//!
//! - [`ext`]: the STIX extension definitions Entente ships (agreement,
//!   ratification, notice, partner key, release properties) and builders for
//!   the objects they define.
//! - [`kinds`]: Entente's record kinds, declared once: which types are
//!   partnership records, the agreement each belongs to, who receives it.
//! - [`Agreement`], [`Ratification`], [`Notice`]: read from validated
//!   [`model::Object`]s, errors naming the property at fault.
//! - [`jcs`] and [`keys`]: RFC 8785 canonical JSON and Ed25519 signatures of
//!   agreement versions.
//! - [`state()`]: an agreement's [`AgreementState`] at a time, derived from its
//!   versions, ratifications and notices, never stored.
//! - [`ObjectFacts`], [`AgreementIndex`], [`decide()`]: the release decision,
//!   with reasons and [`Decision::explain`].
//! - [`reference`]: a deliberately plain second implementation of the same
//!   rules, against which `decide` is tested.

mod agreement;
mod decide;
mod error;
pub mod ext;
mod facts;
mod ids;
#[cfg(test)]
mod fixture;
pub mod jcs;
pub mod keys;
pub mod kinds;
pub mod provenance;
mod notice;
mod read;
pub mod reference;
mod state;
mod visibility;

pub use agreement::{
    Action, Agreement, AgreementTerms, Attribution, Cadence, DataKind, Handling, Reshare, Scope,
    StatementProcedure,
};
pub use decide::{decide, decide_agreement_object, explain_held, AgreementIndex, Decision, Reason};
pub use error::Error;
pub use facts::{ObjectFacts, Via, UNMARKED_TLP};
pub use keys::{generate_keypair, sign_agreement, verify_ratification, PartyKeys};
pub use notice::{Notice, NoticeKind, Ratification};
pub use state::{state, AgreementState, Hold};
pub use visibility::{arrival, Arrivals};

/// A partner, named by its `identity` id.
pub type PartnerId = model::StixId;
/// An agreement, named by its `x-entente-agreement` id.
pub type AgreementId = model::StixId;
