//! Appends what the node released (and refused on explicit request) to the
//! hash-chained release log ([`audit`]): one entry per response, naming the
//! recipient, the path out and, per object version, the agreement used.
//! A release that cannot be logged is not made.

use audit::{Draft, Items};
use model::StixId;
use store::Record;

use crate::release::Reader;
use crate::{ApiError, AppState};

/// Logs the release of `records` to the reader (nothing when empty).
pub fn released(state: &AppState, reader: &Reader, channel: &str, records: &[Record]) -> Result<(), ApiError> {
    let items = items(reader, records).map_err(ApiError::internal)?;
    released_items(state, reader, channel, items)
}

/// Logs the release of versions already written as log items ([`item`]),
/// for callers that build a response as they read (nothing when empty).
pub fn released_items(state: &AppState, reader: &Reader, channel: &str, items: Items) -> Result<(), ApiError> {
    if items.is_empty() {
        return Ok(());
    }
    append(state, Draft::release(reader.partner.clone(), channel, items))
}

/// The log items of released records: each version and the agreement used.
pub fn items(reader: &Reader, records: &[Record]) -> Result<Items, String> {
    let mut items = Items::with_capacity(records.len());
    for r in records {
        item(reader, r, &mut items)?;
    }
    Ok(items)
}

/// Adds the log item of one released record to `items`. A stored id or
/// version the log cannot name (a damaged store) is an error: a release
/// that cannot be logged is not made.
pub fn item(reader: &Reader, r: &Record, items: &mut Items) -> Result<(), String> {
    let agreement = reader.released_under(r).flatten();
    items
        .push_stored(&r.id, &r.version, agreement.as_ref())
        .map_err(|e| format!("the release log cannot name stored version {:?} of {:?}: {e}", r.version, r.id))
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
