//! The agreements module's actions, each authoring one record as the
//! caller's party: `propose` (a new version of the agreement acted under),
//! `ratify` (signed by the node with the caller's key), `give-notice`,
//! `cancel-notice`. Their properties come from `policy::ext`, as
//! `node::agreements` writes them.

use model::{StixId, Timestamp};
use partnership::{Action, Context, Draft, Error, Records};
use policy::NoticeKind;
use serde_json::{Map, Value};

use crate::types::{AGREEMENT, NOTICE, RATIFICATION};

/// The actions.
pub static ACTIONS: &[Action] = &[
    Action { name: "propose", about: "Propose a new version of the agreement (its proposer only): Entente's terms as given, the modules' terms kept.", kind: AGREEMENT },
    Action { name: "ratify", about: "Ratify the agreement's latest version, signed with your party's key.", kind: RATIFICATION },
    Action { name: "give-notice", about: "Give notice of suspension, resumption or withdrawal, effective now or at `effective`.", kind: NOTICE },
    Action { name: "cancel-notice", about: "Cancel a notice you gave that has not taken effect yet.", kind: NOTICE },
];

/// Every action binds the party: a liaison's.
pub static LIAISON: &[&str] = &["propose", "ratify", "give-notice", "cancel-notice"];

/// The STIX envelope of a record (common properties): never a term.
const ENVELOPE: &[&str] = &[
    "type", "spec_version", "id", "created", "modified", "created_by_ref", partnership::AGREEMENT_REF, "revoked", "extensions", "labels", "confidence", "lang",
    "external_references", "object_marking_refs", "granular_markings",
];

/// What `action` authors for `ctx.me`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "propose" => propose(input, ctx),
        "ratify" => {
            only(input, &[])?;
            Ok(Draft::new(RATIFICATION, policy::ext::ratification_properties(ctx.agreement)))
        }
        "give-notice" => give_notice(input, ctx),
        "cancel-notice" => cancel_notice(input, records, ctx),
        other => Err(Error::NotFound(format!("agreements has no action `{other}`"))),
    }
}

/// Refuses an input property not in `known`.
fn only(input: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match input.keys().find(|k| !known.contains(&k.as_str())) {
        Some(bad) if known.is_empty() => Err(Error::input(bad.as_str(), "this action takes no input")),
        Some(bad) => Err(Error::input(bad.as_str(), format!("is not an input of this action ({})", known.join(", ")))),
        None => Ok(()),
    }
}

/// A new version of the agreement: Entente's terms as given (all of them,
/// as `node::agreements::propose` takes them), the modules' terms of the
/// latest version kept (each module checks its own where they are amended:
/// `/api/v1/agreements/{id}`).
fn propose(input: &Map<String, Value>, ctx: &Context<'_>) -> Result<Draft, Error> {
    let terms = policy::ext::AGREEMENT_TERMS;
    if let Some(bad) = input.keys().find(|k| !terms.contains(&k.as_str())) {
        return Err(Error::input(bad.as_str(), format!("is not an agreement term ({})", terms.join(", "))));
    }
    let latest: Map<String, Value> = serde_json::from_slice(&ctx.agreement.canonical).unwrap_or_default();
    let mut properties: Map<String, Value> = latest.into_iter().filter(|(k, _)| !ENVELOPE.contains(&k.as_str()) && !terms.contains(&k.as_str())).collect();
    properties.extend(input.clone());
    Ok(Draft::revise(AGREEMENT, &ctx.agreement.id, properties))
}

fn give_notice(input: &Map<String, Value>, ctx: &Context<'_>) -> Result<Draft, Error> {
    only(input, &["notice_type", "effective"])?;
    let raw = input.get("notice_type").and_then(Value::as_str).ok_or_else(|| Error::input("notice_type", "is required: suspension, resumption or withdrawal"))?;
    let kind = NoticeKind::parse(raw).ok_or_else(|| Error::input("notice_type", format!("`{raw}` is none of suspension, resumption, withdrawal")))?;
    let effective = match input.get("effective") {
        None | Some(Value::Null) => ctx.now.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => ctx.now.clone(),
        Some(Value::String(s)) => Timestamp::parse(s.trim()).map_err(|e| Error::input("effective", e.to_string()))?,
        Some(_) => return Err(Error::input("effective", "must be a timestamp (RFC 3339)")),
    };
    Ok(Draft::new(NOTICE, policy::ext::notice_properties(kind, &effective)))
}

/// A new version of one of the caller's notices, withdrawn: the record
/// keeps that it was given. Refused once it took effect (a suspension ends
/// by a resumption; a withdrawal is final) or when it is cancelled already.
fn cancel_notice(input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    only(input, &["notice"])?;
    let raw = input.get("notice").and_then(Value::as_str).ok_or_else(|| Error::input("notice", "is required: the notice to cancel"))?;
    let id = StixId::parse(raw).map_err(|e| Error::input("notice", e.to_string()))?;
    let notice = records.get(&id).filter(|r| r.kind == NOTICE).ok_or_else(|| Error::input("notice", format!("no notice {id} of this agreement")))?;
    if notice.revoked {
        return Err(Error::input("notice", format!("notice {id} is already cancelled")));
    }
    if let Some(effective) = notice.opt_time("effective")? {
        if effective.micros() <= ctx.now.micros() {
            return Err(Error::input("notice", format!("notice {id} took effect at {effective}: it cannot be cancelled")));
        }
    }
    let properties: Map<String, Value> = notice.properties.iter().filter(|(k, _)| !ENVELOPE.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(Draft { withdraw: true, ..Draft::revise(NOTICE, &id, properties) })
}
