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
    let items = items(reader, records).map_err(ApiError::internal)?;
    released_items(state, reader, channel, items)
}

/// Logs the release of versions already made into log items ([`item`]),
/// for callers that write a response as they read (nothing when empty).
pub fn released_items(state: &AppState, reader: &Reader, channel: &str, items: Vec<Item>) -> Result<(), ApiError> {
    if items.is_empty() {
        return Ok(());
    }
    append(state, Draft::release(reader.partner.clone(), channel, items))
}

/// The log items of released records: each version and the agreement used.
pub fn items(reader: &Reader, records: &[Record]) -> Result<Vec<Item>, String> {
    records.iter().map(|r| item(reader, r)).collect()
}

/// The log item of one released record. A stored id or version the log
/// cannot name (a damaged store) is an error: a release that cannot be
/// logged is not made.
pub fn item(reader: &Reader, r: &Record) -> Result<Item, String> {
    let named = |what: &str, e: &dyn std::fmt::Display| format!("the release log cannot name stored {what} of {:?}: {e}", r.id);
    Ok(Item {
        object: StixId::parse(&r.id).map_err(|e| named("id", &e))?,
        version: Timestamp::parse(&r.version).map_err(|e| named("version", &e))?,
        agreement: reader.released_under(r).flatten(),
    })
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
