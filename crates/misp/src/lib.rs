//! MISP events and feeds, to STIX 2.1 and back, following MISP's own
//! mapping (the misp-stix project's), for `entente import --misp` and
//! `entente export --misp`.
//!
//! * [`Event`]: a MISP event read leniently from its JSON; faults in the
//!   event are an [`Error`] naming the event and the field, faults in one
//!   attribute a [`Refusal`] naming the attribute.
//! * [`event_to_stix`]: the event's STIX objects, authored by the importing
//!   partner, validated, with deterministic ids (UUIDv5 of the MISP uuids)
//!   so that a re-import gives the same objects.
//! * [`stix_to_events`]: STIX objects back to MISP events.
//! * [`feed`]: MISP's feed layout (`manifest.json` and `<uuid>.json`).
//!
//! Pure: no network, no store; the only I/O is reading and writing feed
//! files. docs/sources.md has the mapping table.

mod error;
pub mod feed;
mod from_stix;
mod objects;
mod observable;
pub mod tags;
mod to_stix;
mod types;

pub use error::Error;
pub use from_stix::{stix_to_events, Export};
pub use to_stix::{event_to_stix, Conversion};
pub use types::{Attribute, Cluster, Event, MispObject, Org, Refusal, Sighting};

use serde_json::{Map, Value};

/// The namespace of every UUIDv5 this crate derives (fixed forever: ids
/// made from it are what makes a re-import idempotent).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x4d1f_7c3a_9b2e_4f60_8a15_c7d2_e93b_0a64);

/// A UUIDv5 of `name` in this crate's namespace.
pub(crate) fn uuid_v5(name: &str) -> String {
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).hyphenated().to_string()
}

/// The MD5 of `bytes` in lower-case hex (MISP's `hashes.csv`).
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The STIX id of the object of type `ty` made from the MISP item `key`.
pub(crate) fn sid(ty: &str, key: &str) -> String {
    format!("{ty}--{}", uuid_v5(&format!("{ty}|{key}")))
}

/// The STIX id of an SCO made from `key` with these properties: the same
/// item with other values is another SCO (SCOs have one version only).
pub(crate) fn sid_of(ty: &str, key: &str, props: &Map<String, Value>) -> String {
    let content = serde_json::to_string(props).unwrap_or_default();
    format!("{ty}--{}", uuid_v5(&format!("{ty}|{key}|{content}")))
}

#[cfg(test)]
mod tests;
