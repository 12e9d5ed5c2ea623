//! The disputes' record kinds and the checks each record passes on its own
//! and against its agreement (errors name the property).

use model::StixId;
use partnership::{consent, Error, Record};
use policy::Agreement;
use serde_json::Value;

/// The extension definition (`new-sdo`) under which the kinds are defined.
pub const EXTENSION: &str = "extension-definition--6d2f7a41-0c3b-4e8a-9b15-2a7c4e9d8f10";

/// A dispute: the clause in question, the facts, the remedy sought.
pub const DISPUTE: &str = "x-entente-dispute";
/// A party's position in a dispute.
pub const POSITION: &str = "x-entente-dispute-position";
/// A party's proposal to settle a dispute.
pub const PROPOSAL: &str = "x-entente-dispute-proposal";
/// A party's acceptance of the exact version of a proposal.
pub const ACCEPTANCE: &str = "x-entente-dispute-acceptance";
/// A party's agreement to escalate a dispute from a stage.
pub const ESCALATION: &str = "x-entente-dispute-escalation";

/// The record kinds.
pub const KINDS: &[&str] = &[DISPUTE, POSITION, PROPOSAL, ACCEPTANCE, ESCALATION];

/// The property naming a dispute's mediators, on the dispute and copied
/// onto each of its records (the kinds table's `named`).
pub const MEDIATORS: &str = "mediator_refs";

/// The ladder, in order, with each stage's default duration in days.
pub const STAGES: &[(&str, i64)] = &[("consultation", 14), ("senior-dialogue", 14), ("mediation", 30), ("conciliation", 30), ("arbitration", 60)];

const SHORT: usize = 200;
const LONG: usize = 20_000;
const MANY: usize = 200;

/// Checks a record of one of the kinds on its own and against its agreement.
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    mediators(record, agreement)?;
    match record.kind.as_str() {
        DISPUTE => {
            let clause = record.str("clause")?;
            clause_exists(agreement, clause).map_err(|reason| Error::invalid(&record.id, "clause", reason))?;
            text(record, "facts", LONG, true)?;
            text(record, "remedy", LONG, true)?;
            for (i, v) in record.properties.get("fact_refs").and_then(Value::as_array).into_iter().flatten().enumerate() {
                v.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(&record.id, format!("fact_refs[{i}]"), "must be a STIX id"))?;
            }
            if record.properties.get("fact_refs").and_then(Value::as_array).is_some_and(|a| a.len() > MANY) {
                return Err(Error::invalid(&record.id, "fact_refs", format!("at most {MANY}")));
            }
            Ok(())
        }
        POSITION | PROPOSAL => {
            record.reference("dispute_ref", DISPUTE)?;
            text(record, "text", LONG, true)
        }
        ACCEPTANCE => {
            record.reference("dispute_ref", DISPUTE)?;
            consent::check(record, PROPOSAL).map(drop)
        }
        ESCALATION => {
            record.reference("dispute_ref", DISPUTE)?;
            let stage = record.str("stage")?;
            if !STAGES.iter().any(|(s, _)| *s == stage) {
                return Err(Error::invalid(&record.id, "stage", format!("must be one of {}", STAGES.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))));
            }
            Ok(())
        }
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not a disputes record"))),
    }
}

/// The clause path (`handling.reshare`, `scope.0`) names a term the
/// agreement has.
pub fn clause_exists(agreement: &Agreement, clause: &str) -> Result<(), String> {
    if clause.is_empty() || clause.len() > SHORT {
        return Err(format!("must be a path into the agreement's terms of 1 to {SHORT} characters"));
    }
    let mut at = Value::Object(agreement.terms.to_properties());
    for part in clause.split('.') {
        let next = match &at {
            Value::Object(map) => map.get(part).cloned(),
            Value::Array(list) => part.parse::<usize>().ok().and_then(|i| list.get(i).cloned()),
            _ => None,
        };
        at = next.ok_or_else(|| format!("{} has no term `{clause}`", agreement.id))?;
    }
    Ok(())
}

/// `mediator_refs`, when present: identities, none a party of the agreement.
fn mediators(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    let Some(v) = record.properties.get(MEDIATORS) else { return Ok(()) };
    let list = v.as_array().filter(|l| l.len() <= 5).ok_or_else(|| Error::invalid(&record.id, MEDIATORS, "must be a list of at most 5 identities"))?;
    for (i, m) in list.iter().enumerate() {
        let at = format!("{MEDIATORS}[{i}]");
        let id = m.as_str().and_then(|s| StixId::parse(s).ok()).filter(|id| id.object_type() == "identity").ok_or_else(|| Error::invalid(&record.id, &at, "must be an identity id"))?;
        if agreement.terms.parties.iter().any(|p| p.as_str() == id.as_str()) {
            return Err(Error::invalid(&record.id, at, format!("{id} is a party of the dispute: a mediator may not be")));
        }
    }
    Ok(())
}

fn text(record: &Record, property: &str, max: usize, required: bool) -> Result<(), Error> {
    match record.opt_str(property)? {
        None if required => Err(Error::invalid(&record.id, property, "is required")),
        Some(s) if s.trim().is_empty() && required => Err(Error::invalid(&record.id, property, "is required")),
        Some(s) if s.chars().count() > max => Err(Error::invalid(&record.id, property, format!("at most {max} characters"))),
        _ => Ok(()),
    }
}
