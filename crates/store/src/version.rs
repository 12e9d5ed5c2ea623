//! The version decision every backend makes for each submitted version: refused (only the author versions), unchanged, conflict, or new.

use crate::{same_json, DateAdded, Outcome, PutOptions, Result};

/// A version of an object a backend already holds, as the decision sees it.
pub trait Held {
    /// The version, in microseconds (`modified`, else `created`; for objects
    /// without either, the date it was added).
    fn version(&self) -> i64;
    /// Its store date.
    fn date_added(&self) -> i64;
    /// Its author (`created_by_ref`, else the partner that posted it).
    fn author(&self) -> Option<&str>;
}

/// What to do with `object`, submitted with `options`, given the versions of
/// it the store holds (`existing`): `Some(outcome)` when it is not added
/// (refused because only the author versions an object, or this id and
/// version is stored already: unchanged if the JSON is the same value,
/// else a conflict), `None` when it is a new version to add.
/// `stored_json` reads a held version's JSON; it is called at most once,
/// only when the same version is held.
pub fn decide_version<H: Held>(
    object: &model::Object,
    options: &PutOptions,
    existing: &[H],
    stored_json: impl FnOnce(&H) -> Result<Vec<u8>>,
) -> Result<Option<Outcome>> {
    let id = object.id().as_str();
    if options.only_author {
        if let (Some(author), Some(poster)) = (object.created_by_ref(), &options.posted_by) {
            // A partner holding its sources answers for a source's object.
            if author.as_str() != poster && !options.holds_sources {
                return Ok(Some(Outcome::NotAuthor(format!(
                    "{id}: created_by_ref names {author}, not the submitting partner"
                ))));
            }
        }
        // The message names no author: the poster may not be allowed to see
        // the earlier versions, or know who wrote them.
        if existing.iter().any(|e| e.author() != options.posted_by.as_deref()) {
            return Ok(Some(Outcome::NotAuthor(format!(
                "{id}: earlier versions are another partner's; only the author may version an object"
            ))));
        }
    }
    // Objects without a version (SCOs) have exactly one.
    let same = match object.version() {
        Some(v) => existing.iter().find(|e| e.version() == v.micros()),
        None => existing.first(),
    };
    let Some(e) = same else { return Ok(None) };
    let stored = stored_json(e)?;
    Ok(Some(if same_json(&stored, object.json()) {
        Outcome::Unchanged(DateAdded(e.date_added()))
    } else {
        Outcome::Conflict(format!("{id}: a different object with this id and version is already stored"))
    }))
}

#[cfg(test)]
mod tests;
