//! The statements' record kinds, their extension definition, and the
//! checks each record passes on its own and against its agreement (errors
//! name the property): statements, approvals of an exact version,
//! objections in writing and the timing rule they obey.

use model::{StixId, Timestamp};
use partnership::{consent, Error, Record};
use policy::{Agreement, StatementProcedure};
use serde_json::Value;

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--5d2f7a1e-8b3c-4e6d-9f0a-1b2c3d4e5f61";

/// A joint statement: each version by its proposer.
pub const STATEMENT: &str = "x-entente-statement";
/// A co-signer's approval of the exact version of a statement (its signature).
pub const APPROVAL: &str = "x-entente-statement-approval";
/// A co-signer's objection in writing to a version (silence procedure).
pub const OBJECTION: &str = "x-entente-statement-objection";

/// The record kinds, in the order the module declares them.
pub const KINDS: &[&str] = &[STATEMENT, APPROVAL, OBJECTION];

/// The co-signers a statement names (its proposer among them).
pub const COSIGNERS: &str = "cosigner_refs";
/// The statement an objection is to.
pub const OBJECTS_TO_REF: &str = "objects_to_ref";
/// The exact version an objection is to (its `modified`).
pub const OBJECTS_TO_MODIFIED: &str = "objects_to_modified";

/// Longest title.
const SHORT: usize = 300;
/// Longest text or reason.
const LONG: usize = 20_000;
/// Most language versions.
const LANGUAGES: usize = 50;

const DAY: i64 = 86_400_000_000;

/// Checks a record of one of the statements' kinds on its own and against
/// its agreement (never against other records).
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    match record.kind.as_str() {
        STATEMENT => {
            text(record, "title", SHORT)?;
            text(record, "text", LONG)?;
            languages(record)?;
            let embargo = record.opt_time("embargo")?.ok_or_else(|| Error::invalid(&record.id, "embargo", "is required (a timestamp such as 2026-07-01T09:00:00Z)"))?;
            if embargo < record.created {
                return Err(Error::invalid(&record.id, "embargo", format!("{embargo} is before the statement was made ({})", record.created)));
            }
            cosigners(record, agreement)?;
            for flag in ["submitted", "withdrawn"] {
                if record.properties.get(flag).is_some_and(|v| !v.is_boolean()) {
                    return Err(Error::invalid(&record.id, flag, "must be true or false"));
                }
            }
            Ok(())
        }
        APPROVAL => consent::check(record, STATEMENT).map(drop),
        OBJECTION => {
            record.reference(OBJECTS_TO_REF, STATEMENT)?;
            let version = record.opt_time(OBJECTS_TO_MODIFIED)?.ok_or_else(|| Error::invalid(&record.id, OBJECTS_TO_MODIFIED, "is required"))?;
            text(record, "reason", LONG)?;
            // The timing rule: an objection counts only if its author's
            // node made it before the version's deadline.
            if let Some(deadline) = deadline(&version, agreement.terms.statement_procedure) {
                if !on_time(record, &deadline) {
                    return Err(Error::invalid(&record.id, "created", format!("{} is not before the deadline of the version objected to ({deadline}): too late", record.created)));
                }
            }
            Ok(())
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not a statements record"))),
    }
}

/// When the silence period of a version made at `version` ends, under the
/// silence procedure (`None` under unanimity).
pub fn deadline(version: &Timestamp, procedure: StatementProcedure) -> Option<Timestamp> {
    match procedure {
        StatementProcedure::Unanimity => None,
        StatementProcedure::Silence { silence_days } => Some(Timestamp::from_micros(version.micros() + i64::from(silence_days) * DAY)),
    }
}

/// The timing rule, the same on every node in any arrival order: an
/// objection was made in time when its `created` (set by its author's node
/// when the author made it, and signed with the record) is strictly before
/// the deadline. When it arrives elsewhere plays no part.
pub fn on_time(objection: &Record, deadline: &Timestamp) -> bool {
    objection.created < *deadline
}

/// A required text: not blank, at most `max` characters.
fn text(record: &Record, property: &str, max: usize) -> Result<(), Error> {
    let t = record.str(property)?;
    if t.trim().is_empty() {
        return Err(Error::invalid(&record.id, property, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(Error::invalid(&record.id, property, format!("is longer than {max} characters")));
    }
    Ok(())
}

/// A language tag: letters, digits and hyphens, starting with a letter
/// (`fr`, `de-CH`), at most 35 characters.
fn is_tag(tag: &str) -> bool {
    tag.len() <= 35 && tag.starts_with(|c: char| c.is_ascii_alphabetic()) && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Optional language versions: `{tag: {title, text}}`.
fn languages(record: &Record) -> Result<(), Error> {
    let Some(v) = record.properties.get("languages") else { return Ok(()) };
    let map = v.as_object().ok_or_else(|| Error::invalid(&record.id, "languages", "must be an object: language tag → {title, text}"))?;
    if map.len() > LANGUAGES {
        return Err(Error::invalid(&record.id, "languages", format!("has more than {LANGUAGES} language versions")));
    }
    for (tag, version) in map {
        if !is_tag(tag) {
            return Err(Error::invalid(&record.id, format!("languages.{tag}"), "is not a language tag (such as fr or de-CH)"));
        }
        let Value::Object(v) = version else {
            return Err(Error::invalid(&record.id, format!("languages.{tag}"), "must be {title, text}"));
        };
        if let Some(k) = v.keys().find(|k| !["title", "text"].contains(&k.as_str())) {
            return Err(Error::invalid(&record.id, format!("languages.{tag}.{k}"), "is not a language version property (title, text)"));
        }
        for (p, max) in [("title", SHORT), ("text", LONG)] {
            match v.get(p).and_then(Value::as_str) {
                Some(t) if !t.trim().is_empty() && t.chars().count() <= max => {}
                _ => return Err(Error::invalid(&record.id, format!("languages.{tag}.{p}"), format!("must be a text of 1 to {max} characters"))),
            }
        }
    }
    Ok(())
}

/// The co-signers: two or more parties of the agreement, each once, the
/// proposer among them.
fn cosigners(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let items = record.properties.get(COSIGNERS).and_then(Value::as_array).ok_or_else(|| Error::invalid(&record.id, COSIGNERS, "is required: a list of parties"))?;
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{COSIGNERS}[{i}]");
        let raw = item.as_str().ok_or_else(|| Error::invalid(&record.id, &at, "must be an identity id"))?;
        let id = StixId::parse(raw).map_err(|e| Error::invalid(&record.id, &at, e))?;
        if !agreement.is_party(&id) {
            return Err(Error::invalid(&record.id, at, format!("{id} is not a party to {}", agreement.id)));
        }
        if seen.contains(&raw) {
            return Err(Error::invalid(&record.id, at, format!("names {raw} twice")));
        }
        seen.push(raw);
    }
    if !seen.contains(&record.author.as_str()) {
        return Err(Error::invalid(&record.id, COSIGNERS, format!("must include the proposer, {}", record.author)));
    }
    if seen.len() < 2 {
        return Err(Error::invalid(&record.id, COSIGNERS, "must name at least two parties: a joint statement"));
    }
    Ok(())
}

/// The co-signers a version of a statement names.
pub fn cosigners_of(statement: &Record) -> Vec<StixId> {
    statement.properties.get(COSIGNERS).and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().and_then(|s| StixId::parse(s).ok())).collect()
}

/// A boolean flag of a statement version.
pub fn flag(statement: &Record, name: &str) -> bool {
    statement.properties.get(name).and_then(Value::as_bool).unwrap_or(false)
}
