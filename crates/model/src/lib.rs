//! STIX 2.1 objects as Entente stores and exchanges them.
//!
//! Everything partners exchange is a versioned STIX 2.1 object with one author.
//! This crate parses such objects at the edge into a typed view
//! ([`Object`]) that keeps the object's JSON bytes, validates what a store
//! must be able to trust, and reads bundles, TAXII envelopes and JSON Lines
//! as streams. It knows nothing of storage, HTTP or async runtimes.

mod error;
mod id;
mod json;
mod kinds;
mod object;
pub mod reader;
pub mod rng;
mod timestamp;
pub mod tlp;

pub use error::{Error, ErrorKind};
pub use id::StixId;
pub use kinds::{category_of, specified_types, Category};
pub use object::{Limits, Object};
pub use timestamp::Timestamp;

/// The only STIX version Entente stores.
pub const SPEC_VERSION: &str = "2.1";

#[cfg(test)]
mod tests;
