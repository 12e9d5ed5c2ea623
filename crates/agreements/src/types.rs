//! The agreements' record kinds as `policy` defines them: their types,
//! extension definitions and release rules (Entente's built-in kinds), and
//! their validation by `policy`'s own parsing, errors naming the property.

use partnership::{Context, Error, Record};
use policy::{Agreement, Notice, Ratification};
use serde_json::Value;

/// An agreement version (belongs to itself).
pub const AGREEMENT: &str = policy::ext::AGREEMENT_TYPE;
/// A party's ratification of one version.
pub const RATIFICATION: &str = policy::ext::RATIFICATION_TYPE;
/// A party's notice of suspension, resumption or withdrawal.
pub const NOTICE: &str = policy::ext::NOTICE_TYPE;

/// The module's record kinds.
pub static KINDS: &[&str] = &[AGREEMENT, RATIFICATION, NOTICE];

/// The extension definition each kind's records have always carried.
pub fn extension_of(kind: &str) -> &'static str {
    match kind {
        RATIFICATION => policy::ext::RATIFICATION_EXT,
        NOTICE => policy::ext::NOTICE_EXT,
        _ => policy::ext::AGREEMENT_EXT,
    }
}

/// The release rule of each kind: Entente's built-in declaration, so that
/// registering the module changes nothing in who receives what.
pub fn kind(name: &'static str) -> policy::kinds::Kind {
    match name {
        RATIFICATION => policy::kinds::RATIFICATION,
        NOTICE => policy::kinds::NOTICE,
        AGREEMENT => policy::kinds::AGREEMENT,
        other => policy::kinds::undeclared(other),
    }
}

/// `policy`'s refusal as the kit's, the property kept apart.
pub fn refusal(object: &str, e: policy::Error) -> Error {
    match e {
        policy::Error::Model(m) => {
            let property = m.property.clone().unwrap_or_default();
            Error::invalid(object, property, m.to_string())
        }
        policy::Error::Missing { property, .. } => Error::invalid(object, property, "required but missing"),
        policy::Error::Invalid { property, why, .. } => Error::invalid(object, property, why),
        other => Error::invalid(object, "", other.to_string()),
    }
}

/// Checks a record as `policy` reads it (what the node's index is built
/// from): an agreement version whose proposer is one of its parties, a
/// ratification naming the version it signs, a notice of a known kind
/// with its effective time.
pub fn validate(record: &Record, _ctx: &Context<'_>) -> Result<(), Error> {
    let id = record.id.as_str();
    let object = model::Object::from_value(Value::Object(record.properties.clone())).map_err(|m| Error::invalid(id, m.property.clone().unwrap_or_default(), m.to_string()))?;
    match record.kind.as_str() {
        AGREEMENT => {
            let agreement = Agreement::from_object(&object).map_err(|e| refusal(id, e))?;
            if !agreement.is_party(&record.author) {
                return Err(Error::invalid(id, "party_refs", "the proposer must be one of the parties"));
            }
        }
        RATIFICATION => {
            Ratification::from_object(&object).map_err(|e| refusal(id, e))?;
        }
        NOTICE => {
            Notice::from_object(&object).map_err(|e| refusal(id, e))?;
        }
        other => return Err(Error::invalid(id, "type", format!("{other} is not a record of agreements"))),
    }
    Ok(())
}
