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

/// The agreement term holding its dispute terms: the ladder and the
/// remedies (docs/partnership.md#disputes).
///
/// ```json
/// "dispute_terms": {
///   "ladder": [{ "stage": "consultation", "days": 7 }, { "stage": "arbitration", "days": 30 }],
///   "remedies": [{ "from": "arbitration", "effect": "suspend-sharing" }]
/// }
/// ```
pub const TERMS: &str = "dispute_terms";

/// What a remedy does while it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing is released under the agreement (intelligence; its
    /// partnership records still flow, so the parties can settle).
    SuspendSharing,
}

impl Effect {
    /// Its name in the terms.
    pub fn name(self) -> &'static str {
        match self {
            Effect::SuspendSharing => "suspend-sharing",
        }
    }
}

/// A remedy agreed in the terms: `effect` holds while a dispute stands at
/// stage `from` (an index into the ladder) or later and is neither settled
/// nor withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remedy {
    /// The first stage (index into [`Terms::ladder`]) at which it holds.
    pub from: usize,
    /// What it does.
    pub effect: Effect,
}

/// An agreement's dispute terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The stages, in [`STAGES`]' order (some may be left out), each with
    /// its duration in days.
    pub ladder: Vec<(&'static str, i64)>,
    /// The remedies.
    pub remedies: Vec<Remedy>,
}

impl Default for Terms {
    /// No dispute terms: the default ladder ([`STAGES`]), no remedies.
    fn default() -> Terms {
        Terms { ladder: STAGES.to_vec(), remedies: Vec::new() }
    }
}

/// The agreement's dispute terms ([`TERMS`]), the defaults when it has
/// none; a malformed one is refused with the property at fault (`dispute_terms.ladder[1].days`).
pub fn terms(agreement: &Agreement) -> Result<Terms, (String, String)> {
    let v: Value = serde_json::from_slice(&agreement.canonical).unwrap_or(Value::Null);
    let Some(t) = v.get(TERMS).filter(|t| !t.is_null()) else { return Ok(Terms::default()) };
    let Some(t) = t.as_object() else { return Err((TERMS.into(), "must be an object with `ladder` and/or `remedies`".into())) };
    if let Some(k) = t.keys().find(|k| *k != "ladder" && *k != "remedies") {
        return Err((format!("{TERMS}.{k}"), "is not a dispute term (ladder, remedies)".into()));
    }
    let mut terms = Terms::default();
    if let Some(l) = t.get("ladder") {
        let at = format!("{TERMS}.ladder");
        let list = l.as_array().filter(|l| !l.is_empty() && l.len() <= STAGES.len()).ok_or_else(|| (at.clone(), format!("must be a list of 1 to {} stages", STAGES.len())))?;
        let mut ladder = Vec::new();
        let mut after = None;
        for (i, step) in list.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let name = step.get("stage").and_then(Value::as_str).unwrap_or_default();
            let Some(index) = STAGES.iter().position(|(s, _)| *s == name) else {
                return Err((format!("{at}.stage"), format!("must be one of {}", STAGES.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))));
            };
            if after.is_some_and(|a| index <= a) {
                return Err((format!("{at}.stage"), format!("{name} must come after the stage before it, each once, in the order {}", STAGES.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))));
            }
            after = Some(index);
            let days = step.get("days").and_then(Value::as_i64).filter(|d| (1..=365).contains(d)).ok_or_else(|| (format!("{at}.days"), "must be a whole number of days from 1 to 365".to_owned()))?;
            ladder.push((STAGES[index].0, days));
        }
        terms.ladder = ladder;
    }
    if let Some(r) = t.get("remedies") {
        let at = format!("{TERMS}.remedies");
        let list = r.as_array().filter(|l| l.len() <= 5).ok_or_else(|| (at.clone(), "must be a list of at most 5 remedies".to_owned()))?;
        for (i, remedy) in list.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let from = remedy.get("from").and_then(Value::as_str).unwrap_or_default();
            let from = terms.ladder.iter().position(|(s, _)| *s == from).ok_or_else(|| (format!("{at}.from"), format!("must be a stage of the ladder ({})", terms.ladder.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))))?;
            let effect = match remedy.get("effect").and_then(Value::as_str) {
                Some("suspend-sharing") => Effect::SuspendSharing,
                _ => return Err((format!("{at}.effect"), "must be suspend-sharing".into())),
            };
            terms.remedies.push(Remedy { from, effect });
        }
    }
    Ok(terms)
}

/// [`terms`], or the defaults when the agreement's are malformed (a
/// proposal with malformed terms is refused; one that arrived so from a
/// partner is read with the default ladder and no remedy).
pub fn terms_or_default(agreement: &Agreement) -> Terms {
    terms(agreement).unwrap_or_default()
}

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
            let ladder = terms_or_default(agreement).ladder;
            if !ladder.iter().any(|(s, _)| *s == stage) {
                return Err(Error::invalid(&record.id, "stage", format!("must be a stage of the agreement's ladder: {}", ladder.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))));
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
