//! The statements' actions: each drafts the one record it authors as the
//! caller's partner, from a JSON input, checked against the records the
//! caller may see (an approval of the latest version, an objection before
//! the deadline, by a co-signer of a submitted version).

use model::StixId;
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use policy::StatementProcedure;
use serde_json::{Map, Value};

use crate::types::{self, APPROVAL, COSIGNERS, OBJECTION, OBJECTS_TO_MODIFIED, OBJECTS_TO_REF, STATEMENT};
use partnership::input::take;

/// The actions a liaison must take ([`partnership::Module::liaison`]): a joint statement speaks for the party, from its draft to its approval.
pub const LIAISON: &[&str] = &["draft-statement", "revise-statement", "submit-statement", "withdraw-statement", "approve-statement", "object-to-statement"];

/// Every action, with the kind of the record it authors.
pub const ACTIONS: &[Action] = &[
    Action { name: "draft-statement", about: "Draft a joint statement (title, text, languages, embargo, cosigners; submit).", kind: STATEMENT },
    Action { name: "revise-statement", about: "A new version of one of your statements (its approvals and silence period start again; a correction once published).", kind: STATEMENT },
    Action { name: "submit-statement", about: "Submit your draft to its co-signers (approvals or the silence period start).", kind: STATEMENT },
    Action { name: "withdraw-statement", about: "Withdraw one of your statements (a new version, shown as withdrawn).", kind: STATEMENT },
    Action { name: "approve-statement", about: "Approve the latest version of a statement you co-sign, for your party.", kind: APPROVAL },
    Action { name: "object-to-statement", about: "Object in writing (reason) to the latest version of a statement you co-sign, before its deadline.", kind: OBJECTION },
];

const FIELDS: &[&str] = &["title", "text", "languages", "embargo", "cosigners"];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "draft-statement" => {
            let mut p = take(input, &[FIELDS, &["submit"]].concat(), &[])?;
            submit(&mut p)?;
            cosigners(&mut p, ctx);
            Ok(Draft::new(STATEMENT, p))
        }
        "revise-statement" => {
            let statement = own(input, records, ctx)?;
            let mut changes = take(input, &[FIELDS, &["submit"]].concat(), &["statement"])?;
            submit(&mut changes)?;
            cosigners(&mut changes, ctx);
            let mut p = merge(statement, changes);
            p.remove("withdrawn");
            Ok(Draft::revise(STATEMENT, &statement.id, p))
        }
        "submit-statement" => {
            let statement = own(input, records, ctx)?;
            take(input, &[], &["statement"])?;
            if types::flag(statement, "submitted") {
                return Err(Error::input("statement", format!("{} is already submitted", statement.id)));
            }
            let mut p = merge(statement, Map::new());
            p.insert("submitted".into(), Value::Bool(true));
            Ok(Draft::revise(STATEMENT, &statement.id, p))
        }
        "withdraw-statement" => {
            let statement = own(input, records, ctx)?;
            take(input, &[], &["statement"])?;
            let mut p = merge(statement, Map::new());
            p.insert("withdrawn".into(), Value::Bool(true));
            Ok(Draft::revise(STATEMENT, &statement.id, p))
        }
        "approve-statement" => {
            let statement = cosigned(input, records, ctx)?;
            take(input, &["version"], &["statement"])?;
            let version = latest_version(input, statement)?;
            Ok(Draft::new(APPROVAL, consent::draft(statement, Some(&version), records, "version")?))
        }
        "object-to-statement" => {
            let statement = cosigned(input, records, ctx)?;
            let mut p = take(input, &["version", "reason"], &["statement"])?;
            let version = latest_version(input, statement)?;
            let procedure = ctx.agreement.terms.statement_procedure;
            if procedure == StatementProcedure::Unanimity {
                return Err(Error::input("statement", "the agreement adopts statements by unanimity: withhold your approval instead of objecting"));
            }
            if let Some(deadline) = types::deadline(&statement.modified, procedure) {
                if ctx.now >= deadline {
                    return Err(Error::input("statement", format!("the silence period of {} ended at {deadline}: an objection now is too late", statement.id)));
                }
            }
            p.remove("version");
            p.insert(OBJECTS_TO_REF.into(), Value::from(statement.id.as_str()));
            p.insert(OBJECTS_TO_MODIFIED.into(), Value::from(version));
            Ok(Draft::new(OBJECTION, p))
        }
        other => Err(Error::NotFound(format!("statements has no action `{other}`"))),
    }
}

/// `submit` (a boolean) becomes the record's `submitted`.
fn submit(p: &mut Map<String, Value>) -> Result<(), Error> {
    match p.remove("submit") {
        None => Ok(()),
        Some(Value::Bool(b)) => {
            p.insert("submitted".into(), Value::Bool(b));
            Ok(())
        }
        Some(_) => Err(Error::input("submit", "must be true or false")),
    }
}

/// `cosigners` becomes `cosigner_refs`, the caller first if it left itself out.
fn cosigners(p: &mut Map<String, Value>, ctx: &Context<'_>) {
    if let Some(v) = p.remove("cosigners") {
        let v = match v {
            Value::Array(mut list) => {
                if !list.iter().any(|m| m.as_str() == Some(ctx.me.as_str())) {
                    list.insert(0, Value::from(ctx.me.as_str()));
                }
                Value::Array(list)
            }
            other => other,
        };
        p.insert(COSIGNERS.into(), v);
    }
}

/// The version an approval or objection names: the latest, and only it.
fn latest_version(input: &Map<String, Value>, statement: &Record) -> Result<String, Error> {
    match input.get("version") {
        None => Ok(statement.modified.to_string()),
        Some(v) => {
            let raw = v.as_str().ok_or_else(|| Error::input("version", "must be a timestamp (the `modified` of the latest version)"))?;
            match model::Timestamp::parse(raw) {
                Ok(t) if t == statement.modified => Ok(statement.modified.to_string()),
                _ => Err(Error::input("version", format!("{raw} is not the latest version of {} ({})", statement.id, statement.modified))),
            }
        }
    }
}

/// The statement the input names, among those the caller may see.
fn find<'a>(input: &Map<String, Value>, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get("statement").and_then(Value::as_str).ok_or_else(|| Error::input("statement", format!("is required: the id of a {STATEMENT}")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input("statement", e))?;
    match records.get(&id) {
        Some(r) if r.kind == STATEMENT && !r.revoked => Ok(r),
        Some(r) if r.kind != STATEMENT => Err(Error::input("statement", format!("{id} is a {}, not a {STATEMENT}", r.kind))),
        _ => Err(Error::NotFound(format!("no {STATEMENT} {id}"))),
    }
}

/// One of the caller's own statements.
fn own<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let s = find(input, records)?;
    if &s.author != ctx.me {
        return Err(Error::Forbidden(format!("only its proposer ({}) versions {}", s.author, s.id)));
    }
    Ok(s)
}

/// A submitted, not withdrawn statement the caller co-signs.
fn cosigned<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let s = find(input, records)?;
    if !types::cosigners_of(s).contains(ctx.me) {
        return Err(Error::Forbidden(format!("{} is not a co-signer of {}", ctx.me, s.id)));
    }
    if types::flag(s, "withdrawn") {
        return Err(Error::input("statement", format!("{} is withdrawn", s.id)));
    }
    if !types::flag(s, "submitted") {
        return Err(Error::input("statement", format!("{} is a draft its proposer has not submitted yet", s.id)));
    }
    Ok(s)
}

/// A record's own properties with `changes` applied: what a new version carries.
fn merge(record: &Record, changes: Map<String, Value>) -> Map<String, Value> {
    const COMMON: [&str; 9] = ["type", "spec_version", "id", "created", "modified", "created_by_ref", partnership::AGREEMENT_REF, "revoked", "extensions"];
    let mut p: Map<String, Value> = record.properties.iter().filter(|(k, _)| !COMMON.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    p.extend(changes);
    p
}
