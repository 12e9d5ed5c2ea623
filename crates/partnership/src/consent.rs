//! Consent to an exact version of a record: the approvals of minutes, the
//! endorsements of objectives, the signatures under a joint statement.
//!
//! A consent is a record of its own, authored by the consenting party
//! (so its node signs it, and it travels like every record), naming the
//! record consented to (`consents_to_ref`) and the exact version
//! (`consents_to_modified`). The rule, the same on every node:
//!
//! - a party has consented to a record when one of its consent records
//!   (latest version, not withdrawn) names the record's **latest** version;
//!   a consent to an earlier version does not count (an edit needs new
//!   consents), and a withdrawn consent counts for nothing;
//! - the record is **agreed** when every party required has consented.
//!
//! Modules declare their own consent kind (`x-entente-minutes-approval`,
//! `x-entente-endorsement`) and use [`draft`], [`check`] and [`of`].

use std::collections::BTreeSet;

use model::{StixId, Timestamp};
use policy::PartnerId;
use serde_json::{Map, Value};

use crate::{Error, Record, Records};

/// The record consented to.
pub const TO_REF: &str = "consents_to_ref";
/// The exact version consented to (its `modified`).
pub const TO_MODIFIED: &str = "consents_to_modified";

/// Who consented to the latest version of a record, among the parties required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The version in question (the record's latest `modified`).
    pub version: Timestamp,
    /// The required parties that consented to that version.
    pub given: BTreeSet<PartnerId>,
    /// The required parties that have not (yet).
    pub awaiting: BTreeSet<PartnerId>,
}

impl Consent {
    /// Every required party consented to the latest version.
    pub fn agreed(&self) -> bool {
        self.awaiting.is_empty()
    }
}

/// The properties of a consent to `target`'s `version` (its latest if
/// `None`) for an action's draft. Refuses a version `target` never had,
/// naming `property` of the action's input.
pub fn draft(target: &Record, version: Option<&str>, records: &Records, property: &str) -> Result<Map<String, Value>, Error> {
    let version = match version {
        None => records.get(&target.id).map_or_else(|| target.modified.clone(), |r| r.modified.clone()),
        Some(raw) => {
            let at = Timestamp::parse(raw).map_err(|e| Error::input(property, e.to_string()))?;
            if !records.versions(&target.id).iter().any(|v| v.modified == at) {
                return Err(Error::input(property, format!("{} has no version {at}", target.id)));
            }
            at
        }
    };
    let mut properties = Map::new();
    properties.insert(TO_REF.into(), Value::from(target.id.to_string()));
    properties.insert(TO_MODIFIED.into(), Value::from(version.to_string()));
    Ok(properties)
}

/// Reads and checks a consent record's own properties: the record it
/// names must be of `kind` (the kind consented to), the version a time.
pub fn check(record: &Record, kind: &str) -> Result<(StixId, Timestamp), Error> {
    let to = record.reference(TO_REF, kind)?;
    let version = record.opt_time(TO_MODIFIED)?.ok_or_else(|| Error::invalid(&record.id, TO_MODIFIED, "is required"))?;
    Ok((to, version))
}

/// Who among `required` consented (with a record of `consent_kind`) to the
/// latest version of `target`.
pub fn of<'a>(records: &Records, consent_kind: &str, target: &Record, required: impl IntoIterator<Item = &'a PartnerId>) -> Consent {
    let version = target.modified.clone();
    let given_by: BTreeSet<&PartnerId> = records
        .of_kind(consent_kind)
        .filter(|c| {
            c.properties.get(TO_REF).and_then(Value::as_str) == Some(target.id.as_str())
                && c.properties.get(TO_MODIFIED).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&version)
        })
        .map(|c| &c.author)
        .collect();
    let (given, awaiting) = required.into_iter().cloned().partition(|p| given_by.contains(p));
    Consent { version, given, awaiting }
}
