//! The disputes' actions: each drafts one record as the caller's partner,
//! checked against the records the caller may see (the dispute exists and
//! is not settled, the proposal accepted is at its latest version and not
//! yet accepted by the caller). Every record of a dispute carries the
//! dispute's `mediator_refs`, so the release decision gives it to them.

use model::StixId;
use partnership::{consent, Action, Context, Draft, Error, Record, Records};
use serde_json::{Map, Value};

use crate::rules;
use crate::types::{ACCEPTANCE, DISPUTE, ESCALATION, MEDIATORS, POSITION, PROPOSAL};
use partnership::input::own;

/// The actions a liaison must take ([`partnership::Module::liaison`]): every step of a dispute speaks for the party.
pub const LIAISON: &[&str] = &["raise", "name-mediator", "file-position", "propose", "accept", "escalate", "withdraw"];

/// Every action the module offers.
pub static ACTIONS: &[Action] = &[
    Action { name: "raise", about: "Raise a dispute under the agreement (clause, facts, fact_refs, remedy, mediators).", kind: DISPUTE },
    Action { name: "name-mediator", about: "Name the mediators of a dispute you raised (dispute, mediators): identities that are not parties.", kind: DISPUTE },
    Action { name: "file-position", about: "File your position in a dispute (dispute, text).", kind: POSITION },
    Action { name: "propose", about: "Propose a settlement of a dispute (dispute, text).", kind: PROPOSAL },
    Action { name: "accept", about: "Accept the latest version of a proposal (proposal, version).", kind: ACCEPTANCE },
    Action { name: "escalate", about: "Agree to escalate a dispute from its current stage (dispute).", kind: ESCALATION },
    Action { name: "withdraw", about: "Withdraw a dispute you raised that is not settled (dispute): its remedies end.", kind: DISPUTE },
];

/// What `action` drafts for `ctx.me` from `input`.
pub fn act(action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error> {
    match action {
        "raise" => {
            only(input, &["clause", "facts", "fact_refs", "remedy", "mediators"])?;
            let mut props = Map::new();
            for key in ["clause", "facts", "fact_refs", "remedy"] {
                if let Some(v) = input.get(key) {
                    props.insert(key.into(), v.clone());
                }
            }
            if let Some(m) = input.get("mediators") {
                props.insert(MEDIATORS.into(), m.clone());
            }
            Ok(Draft::new(DISPUTE, props))
        }
        "name-mediator" => {
            only(input, &["dispute", "mediators"])?;
            let dispute = open(input, records, ctx)?;
            let mut props = own(dispute);
            props.insert(MEDIATORS.into(), input.get("mediators").cloned().ok_or_else(|| Error::input("mediators", "is required (identity ids)"))?);
            Ok(Draft::revise(DISPUTE, &dispute.id, props))
        }
        "file-position" | "propose" => {
            only(input, &["dispute", "text"])?;
            let dispute = open(input, records, ctx)?;
            let mut props = of_dispute(dispute);
            props.insert("text".into(), input.get("text").cloned().unwrap_or(Value::Null));
            Ok(Draft::new(if action == "propose" { PROPOSAL } else { POSITION }, props))
        }
        "accept" => {
            only(input, &["proposal", "version"])?;
            let proposal = find(input, "proposal", PROPOSAL, records)?;
            let dispute_id = proposal.reference("dispute_ref", DISPUTE)?;
            let dispute = match records.get(&dispute_id) {
                Some(d) if !d.revoked => d,
                _ => return Err(Error::input("proposal", format!("its dispute {dispute_id} is not here"))),
            };
            settled(dispute, records, ctx, "proposal")?;
            let version = match input.get("version") {
                None | Some(Value::Null) => None,
                Some(Value::String(v)) => Some(v.as_str()),
                Some(_) => return Err(Error::input("version", "must be a timestamp (the proposal's `modified`)")),
            };
            let mut props = consent::draft(proposal, version, records, "version")?;
            let at = props.get(consent::TO_MODIFIED).and_then(Value::as_str).unwrap_or_default().to_owned();
            if at != proposal.modified.as_str() {
                return Err(Error::input("version", format!("{at} is not the latest version of {} ({})", proposal.id, proposal.modified)));
            }
            let already = records.of_kind(ACCEPTANCE).any(|e| &e.author == ctx.me && consent::check(e, PROPOSAL).is_ok_and(|(to, v)| to == proposal.id && v.as_str() == at));
            if already {
                return Err(Error::input("proposal", format!("you already accepted version {at} of {}", proposal.id)));
            }
            props.extend(of_dispute(dispute));
            Ok(Draft::new(ACCEPTANCE, props))
        }
        "escalate" => {
            only(input, &["dispute"])?;
            let dispute = open(input, records, ctx)?;
            let ladder = crate::types::terms_or_default(ctx.agreement).ladder;
            let stage = rules::ladder(dispute, records, ctx).current;
            if stage + 1 >= ladder.len() {
                return Err(Error::input("dispute", format!("{} is at {}, the last stage of the agreement's ladder", dispute.id, ladder[stage].0)));
            }
            let mut props = of_dispute(dispute);
            props.insert("stage".into(), Value::from(ladder[stage].0));
            Ok(Draft::new(ESCALATION, props))
        }
        "withdraw" => {
            only(input, &["dispute"])?;
            let dispute = open(input, records, ctx)?;
            if &dispute.author != ctx.me {
                return Err(Error::input("dispute", format!("only its raiser {} withdraws {}", dispute.author, dispute.id)));
            }
            Ok(Draft { withdraw: true, ..Draft::revise(DISPUTE, &dispute.id, own(dispute)) })
        }
        other => Err(Error::NotFound(format!("disputes has no action `{other}`"))),
    }
}

/// A dispute record's `dispute_ref` and the dispute's mediators.
fn of_dispute(dispute: &Record) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert("dispute_ref".into(), Value::from(dispute.id.as_str()));
    if let Some(m) = dispute.properties.get(MEDIATORS) {
        props.insert(MEDIATORS.into(), m.clone());
    }
    props
}

/// The dispute `input.dispute` names, not settled.
fn open<'a>(input: &Map<String, Value>, records: &'a Records, ctx: &Context<'_>) -> Result<&'a Record, Error> {
    let dispute = find(input, "dispute", DISPUTE, records)?;
    settled(dispute, records, ctx, "dispute")?;
    Ok(dispute)
}

fn settled(dispute: &Record, records: &Records, ctx: &Context<'_>, property: &str) -> Result<(), Error> {
    if rules::ladder(dispute, records, ctx).settled.is_some() {
        return Err(Error::input(property, format!("{} is settled", dispute.id)));
    }
    Ok(())
}

/// Refuses a property of `input` not in `known`, naming it.
fn only(input: &Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match input.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::input(k.as_str(), format!("is not a property of this action (it takes {})", known.join(", ")))),
        None => Ok(()),
    }
}

/// The record of `kind` that `input[property]` names, among those the caller may see.
fn find<'a>(input: &Map<String, Value>, property: &str, kind: &str, records: &'a Records) -> Result<&'a Record, Error> {
    let raw = input.get(property).and_then(Value::as_str).ok_or_else(|| Error::input(property, format!("is required (the id of a {kind})")))?;
    let id = StixId::parse(raw).map_err(|e| Error::input(property, e))?;
    match records.get(&id) {
        Some(r) if r.kind == kind && !r.revoked => Ok(r),
        _ => Err(Error::input(property, format!("no {kind} {id} here"))),
    }
}

