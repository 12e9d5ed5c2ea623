//! The statements' state, derived from their records at `ctx.now`, never
//! stored: for each statement its stage, the approval and objection of
//! each co-signer, and every version with whether it passed and was
//! published. A version passes only when the agreement's rule is met:
//!
//! - **unanimity**: every co-signer it names approved that exact version;
//! - **silence**: its deadline (`modified` + the silence period) has come,
//!   before any later version, and no co-signer objected to it in time
//!   (the objection's `created` strictly before the deadline:
//!   [`crate::types::on_time`]).
//!
//! A passed version is published once its embargo has come (before any
//! later version replaced it). A later published version is a correction;
//! a withdrawal is a version of its own.

use model::Timestamp;
use partnership::{consent, Context, Record, Records};
use policy::StatementProcedure;
use serde_json::{json, Value};

use crate::types::{self, APPROVAL, OBJECTION, OBJECTS_TO_MODIFIED, OBJECTS_TO_REF, STATEMENT};

/// The state of the statements under one agreement, for any reader.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let statements: Vec<Value> = records.of_kind(STATEMENT).map(|s| statement(records, s, ctx)).collect();
    let published: Vec<Value> = statements.iter().filter(|s| s["public_version"].is_string()).map(|s| s["id"].clone()).collect();
    let procedure = match ctx.agreement.terms.statement_procedure {
        StatementProcedure::Unanimity => json!({ "mode": "unanimity" }),
        StatementProcedure::Silence { silence_days } => json!({ "mode": "silence", "silence_days": silence_days }),
    };
    json!({ "procedure": procedure, "statements": statements, "published": published })
}

/// What became of one version of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Its rule is met.
    pub passed: bool,
    /// Passed, and its embargo came before any later version.
    pub published: bool,
    /// The end of its silence period (silence procedure, submitted).
    pub deadline: Option<Timestamp>,
    /// A co-signer objected to it in time.
    pub blocked: bool,
}

/// The verdict on `versions[i]` at `now`.
pub fn verdict(records: &Records, versions: &[Record], i: usize, procedure: StatementProcedure, now: &Timestamp) -> Verdict {
    let v = &versions[i];
    // A version stops counting when the next one is made.
    let horizon = versions.get(i + 1).map_or_else(|| now.clone(), |n| if n.modified < *now { n.modified.clone() } else { now.clone() });
    let submitted = types::flag(v, "submitted") && !types::flag(v, "withdrawn");
    let cosigners = types::cosigners_of(v);
    let deadline = if submitted { types::deadline(&v.modified, procedure) } else { None };
    let blocked = deadline.as_ref().is_some_and(|d| objections(records, v).any(|o| cosigners.contains(&o.author) && types::on_time(o, d)));
    let passed = submitted
        && match &deadline {
            None => consent::of(records, APPROVAL, v, cosigners.iter()).agreed(),
            Some(d) => !blocked && *d <= horizon,
        };
    let embargo = v.properties.get("embargo").and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok());
    let published = passed && embargo.is_some_and(|e| e <= horizon);
    Verdict { passed, published, deadline, blocked }
}

/// The objections to exactly this version.
fn objections<'a>(records: &'a Records, version: &'a Record) -> impl Iterator<Item = &'a Record> + 'a {
    records.of_kind(OBJECTION).filter(move |o| {
        o.properties.get(OBJECTS_TO_REF).and_then(Value::as_str) == Some(version.id.as_str())
            && o.properties.get(OBJECTS_TO_MODIFIED).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&version.modified)
    })
}

fn get(r: &Record, property: &str) -> Value {
    r.properties.get(property).cloned().unwrap_or(Value::Null)
}

fn statement(records: &Records, s: &Record, ctx: &Context<'_>) -> Value {
    let procedure = ctx.agreement.terms.statement_procedure;
    let versions = records.versions(&s.id);
    let verdicts: Vec<Verdict> = (0..versions.len()).map(|i| verdict(records, versions, i, procedure, &ctx.now)).collect();
    let n = versions.len() - 1;
    let latest = &versions[n];
    let last = &verdicts[n];
    let earlier_published = verdicts[..n].iter().any(|v| v.published);
    let stage = if types::flag(latest, "withdrawn") {
        "withdrawn"
    } else if !types::flag(latest, "submitted") {
        "draft"
    } else if last.published {
        if earlier_published {
            "corrected"
        } else {
            "published"
        }
    } else if last.passed {
        "passed"
    } else if last.blocked {
        "blocked"
    } else if last.deadline.is_some() {
        "in-silence"
    } else {
        "awaiting-approvals"
    };
    // What the public sees: the latest published version, or a withdrawal
    // of a statement once published.
    let public_version = if stage == "withdrawn" && earlier_published {
        Some(latest.modified.as_str())
    } else {
        verdicts.iter().zip(versions).rev().find(|(v, _)| v.published).map(|(_, r)| r.modified.as_str())
    };
    let cosigners = types::cosigners_of(latest);
    let signers: Vec<Value> = cosigners
        .iter()
        .map(|p| {
            let approval = records.of_kind(APPROVAL).find(|a| {
                &a.author == p
                    && a.properties.get(consent::TO_REF).and_then(Value::as_str) == Some(s.id.as_str())
                    && a.properties.get(consent::TO_MODIFIED).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&latest.modified)
            });
            let objection = objections(records, latest).find(|o| &o.author == p);
            json!({
                "party": p.as_str(),
                "approved": approval.is_some(),
                "approval": approval.map(|a| a.id.as_str()),
                "objection": objection.map(|o| json!({
                    "id": o.id.as_str(),
                    "reason": get(o, "reason"),
                    "created": o.created.as_str(),
                    "in_time": last.deadline.as_ref().is_some_and(|d| types::on_time(o, d)),
                })),
            })
        })
        .collect();
    let history: Vec<Value> = versions
        .iter()
        .zip(&verdicts)
        .map(|(r, v)| {
            json!({
                "version": r.modified.as_str(),
                "title": get(r, "title"),
                "text": get(r, "text"),
                "languages": get(r, "languages"),
                "embargo": get(r, "embargo"),
                "cosigners": get(r, types::COSIGNERS),
                "submitted": types::flag(r, "submitted"),
                "withdrawn": types::flag(r, "withdrawn"),
                "passed": v.passed,
                "published": v.published,
                "deadline": v.deadline.as_ref().map(Timestamp::as_str),
            })
        })
        .collect();
    json!({
        "id": s.id.as_str(),
        "proposer": s.author.as_str(),
        "title": get(latest, "title"),
        "text": get(latest, "text"),
        "languages": get(latest, "languages"),
        "embargo": get(latest, "embargo"),
        "cosigners": cosigners.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "version": latest.modified.as_str(),
        "stage": stage,
        "deadline": last.deadline.as_ref().map(Timestamp::as_str),
        "passed": last.passed,
        "published": last.published,
        "public_version": public_version,
        "correction": stage == "corrected",
        "signers": signers,
        "versions": history,
    })
}
