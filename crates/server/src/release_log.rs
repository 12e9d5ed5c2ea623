//! Appends what the node released (and refused on explicit request) to the
//! hash-chained release log ([`audit`]): one entry per response, naming the
//! recipient, the path out and, per object version, the agreement used.
//! A release that cannot be logged is not made.

use audit::{Draft, Item};
use model::{StixId, Timestamp};
use store::Record;

use crate::release::Reader;
use crate::{ApiError, AppState};

/// Logs the release of `records` to the reader (nothing when empty).
pub fn released(state: &AppState, reader: &Reader, channel: &str, records: &[Record]) -> Result<(), ApiError> {
    if records.is_empty() {
        return Ok(());
    }
    append(state, Draft::release(reader.partner.clone(), channel, items(reader, records)))
}

/// The log items of released records: each version and the agreement used.
pub fn items(reader: &Reader, records: &[Record]) -> Vec<Item> {
    records
        .iter()
        .filter_map(|r| {
            Some(Item {
                object: StixId::parse(&r.id).ok()?,
                version: Timestamp::parse(&r.version).ok()?,
                agreement: reader.released_under(r).flatten(),
            })
        })
        .collect()
}

/// Logs the refusal of an explicit request for `object`: the entry names
/// the object asked for in its reason and carries no item (no version was
/// released, and which versions exist is not the log's to say).
pub fn refused(state: &AppState, reader: &Reader, channel: &str, object: &StixId) -> Result<(), ApiError> {
    let reason = format!("request for {object}: not released to the recipient, or no such object");
    append(state, Draft::deny(reader.partner.clone(), channel, &reason, Vec::new()))
}

fn append(state: &AppState, draft: Draft) -> Result<(), ApiError> {
    state.log.append(draft).map(|_| ()).map_err(|e| ApiError::internal(format!("release log: {e}")))
}
