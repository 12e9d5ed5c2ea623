//! The agreements module's state: the agreement as the node's index
//! derives it. Its status is `ctx.state`, which the node computes with
//! `policy::AgreementIndex` (ratifications verified against the parties'
//! keys, notices, the modules' holds) — not derived a second time here;
//! the versions, ratifications and notices are listed from the records.

use partnership::{Context, Record, Records};
use policy::Agreement;
use serde_json::{json, Value};

use crate::types::{AGREEMENT, NOTICE, RATIFICATION};

/// The agreement's latest version among the records and the context's
/// (the node's latest), the later one.
fn latest(records: &Records, ctx: &Context<'_>) -> Agreement {
    records
        .of_kind(AGREEMENT)
        .filter(|r| r.id == ctx.agreement.id)
        .filter_map(|r| model::Object::from_value(Value::Object(r.properties.clone())).ok())
        .filter_map(|o| Agreement::from_object(&o).ok())
        .find(|a| a.version > ctx.agreement.version)
        .unwrap_or_else(|| ctx.agreement.clone())
}

fn str_of<'a>(r: &'a Record, property: &str) -> &'a str {
    r.properties.get(property).and_then(Value::as_str).unwrap_or_default()
}

/// The state at `ctx.now`: `status` (the node's derivation), the latest
/// version's terms in brief, how many versions the reader holds, every
/// ratification (`of_latest`: of the latest version) and every notice
/// given (`cancelled` ones too, as `node::agreements::View` lists them;
/// `in_effect` at `ctx.now`).
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let agreement = latest(records, ctx);
    let version = agreement.version.to_string();
    let ratifications: Vec<Value> = records
        .of_kind(RATIFICATION)
        .map(|r| {
            let of = str_of(r, "agreement_version");
            let of_latest = model::Timestamp::parse(of).is_ok_and(|t| t == agreement.version);
            json!({ "id": r.id.as_str(), "party": r.author.as_str(), "version": of, "of_latest": of_latest })
        })
        .collect();
    let notices: Vec<Value> = records
        .of_kind_withdrawn_too(NOTICE)
        .map(|r| {
            let in_effect = !r.revoked && r.opt_time("effective").ok().flatten().is_some_and(|t| t.micros() <= ctx.now.micros());
            json!({ "id": r.id.as_str(), "party": r.author.as_str(), "notice_type": str_of(r, "notice_type"), "effective": str_of(r, "effective"), "cancelled": r.revoked, "in_effect": in_effect })
        })
        .collect();
    // The versions the reader holds, and the context's (the node's latest) if they lack it.
    let held = records.versions(&agreement.id);
    let versions = held.len() + usize::from(!held.iter().any(|r| r.modified == ctx.agreement.version));
    json!({
        "agreement": agreement.id.as_str(),
        "title": agreement.terms.title,
        "proposer": agreement.author.as_str(),
        "version": version,
        "versions": versions,
        "parties": agreement.terms.parties.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "status": ctx.state.name(),
        "status_text": ctx.state.to_string(),
        "ratifications": ratifications,
        "notices": notices,
    })
}
