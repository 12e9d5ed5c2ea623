//! The disputes' state, derived from the records at `ctx.now`: pure.
//!
//! **Timing rule.** A record counts at its own `modified`: the time its
//! author's node set when it authored that version, signed with the
//! record. A node decides whether an escalation or an acceptance came
//! before a deadline from that time alone, never from when the record
//! reached it, so every node computes the same state from the same
//! records in any arrival order. It does not protect against a party
//! whose node backdates its own records (docs/partnership.md#disputes).
//!
//! **Ladder.** The agreement's dispute terms give the stages and their days
//! (`dispute_terms.ladder`; the defaults of [`crate::STAGES`] when absent).
//! The first stage starts when the dispute was raised (`created`). Stage
//! `i` starting at `s` has deadline `s + days(i)`. It ends at the earliest of:
//!
//! - **settled** at `t`: a proposal of the dispute whose latest version
//!   every party has accepted (`partnership::consent`), `t` the latest of
//!   those acceptances, `t ≤ deadline`: the dispute is settled;
//! - **escalated** at `t`: every party filed an escalation from this stage,
//!   `t` the latest of them, `t ≤ deadline`: the next stage starts at `t`;
//! - **lapsed** at the deadline, when `deadline ≤ now`: the next stage
//!   starts at the deadline.
//!
//! A settlement and an escalation at the same time: the settlement wins.
//! The last stage of the ladder ends only by a settlement (its deadline is
//! shown, `overdue` once passed). Records dated after `now` do not count yet.
//!
//! **Remedies.** A remedy of the terms (`dispute_terms.remedies`: from a
//! stage, an effect) holds from the start of the first stage at or after
//! its `from` that a dispute reaches, until the dispute is settled or
//! withdrawn ([`holds`]). Since stages advance by deadlines, the times are
//! known from the records alone: [`holds`] reads the ladder as it will be
//! if no further record comes, and a record that comes later (a
//! settlement, an escalation) changes them, on every node alike.

use model::{StixId, Timestamp};
use partnership::{consent, Context, Record, Records};
use policy::PartnerId;
use serde_json::{json, Value};

use crate::types::{terms_or_default, Effect, ACCEPTANCE, DISPUTE, ESCALATION, MEDIATORS, POSITION, PROPOSAL};

const DAY: i64 = 86_400_000_000;

/// One stage of a dispute's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Index into the agreement's ladder.
    pub stage: usize,
    /// The stage's name.
    pub name: &'static str,
    /// When it started.
    pub start: Timestamp,
    /// Its deadline.
    pub deadline: Timestamp,
    /// When and how it ended (`settled`, `escalated`, `lapsed`), if it did.
    pub end: Option<(Timestamp, &'static str)>,
}

/// A dispute's ladder at `ctx.now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    /// The stages so far, the current one last.
    pub timeline: Vec<Entry>,
    /// The current stage (index into the agreement's ladder).
    pub current: usize,
    /// The proposal that settled it and when.
    pub settled: Option<(StixId, Timestamp)>,
}

/// The ladder of `dispute` from the records, at `ctx.now`.
pub fn ladder(dispute: &Record, records: &Records, ctx: &Context<'_>) -> Ladder {
    ladder_at(dispute, records, ctx.agreement, &ctx.now)
}

/// The ladder of `dispute` under `agreement` at `now`.
fn ladder_at(dispute: &Record, records: &Records, agreement: &policy::Agreement, now: &Timestamp) -> Ladder {
    let parties = &agreement.terms.parties;
    let stages = terms_or_default(agreement).ladder;
    let of_dispute = |r: &&Record| r.properties.get("dispute_ref").and_then(Value::as_str) == Some(dispute.id.as_str()) && &r.modified <= now;
    // The earliest time every party accepted one proposal's latest version.
    let mut settlement: Option<(Timestamp, StixId)> = None;
    for proposal in records.of_kind(PROPOSAL).filter(of_dispute) {
        if !consent::of(records, ACCEPTANCE, proposal, parties.iter()).agreed() {
            continue;
        }
        let at = parties.iter().map(|p| {
            records
                .of_kind(ACCEPTANCE)
                .filter(|a| &a.author == p && &a.modified <= now && consent::check(a, PROPOSAL).is_ok_and(|(to, v)| to == proposal.id && v == proposal.modified))
                .map(|a| a.modified.clone())
                .min()
        });
        let Some(at) = at.collect::<Option<Vec<_>>>().and_then(|v| v.into_iter().max()) else { continue };
        if settlement.as_ref().is_none_or(|(t, id)| (&at, &proposal.id) < (t, id)) {
            settlement = Some((at, proposal.id.clone()));
        }
    }
    let mut timeline = Vec::new();
    let mut start = dispute.created.clone();
    let mut settled = None;
    for (stage, (name, days)) in stages.iter().enumerate() {
        let deadline = Timestamp::from_micros(start.micros() + days * DAY);
        let escalated = if stage + 1 < stages.len() {
            parties
                .iter()
                .map(|p| {
                    records
                        .of_kind(ESCALATION)
                        .filter(of_dispute)
                        .filter(|e| &e.author == p && e.properties.get("stage").and_then(Value::as_str) == Some(name) && e.modified >= start)
                        .map(|e| e.modified.clone())
                        .min()
                })
                .collect::<Option<Vec<_>>>()
                .and_then(|v| v.into_iter().max())
                .filter(|t| t <= &deadline)
        } else {
            None
        };
        let settles = settlement.as_ref().filter(|(t, _)| t >= &start && t <= &deadline);
        let end = match (settles, escalated) {
            (Some((t, id)), e) if e.as_ref().is_none_or(|e| t <= e) => {
                settled = Some((id.clone(), t.clone()));
                Some((t.clone(), "settled"))
            }
            (_, Some(e)) => Some((e, "escalated")),
            _ if stage + 1 < stages.len() && &deadline <= now => Some((deadline.clone(), "lapsed")),
            _ => None,
        };
        let next = end.as_ref().map(|(t, _)| t.clone());
        timeline.push(Entry { stage, name, start: start.clone(), deadline, end });
        match next {
            Some(t) if settled.is_none() => start = t,
            _ => break,
        }
    }
    let current = timeline.last().map_or(0, |e| e.stage);
    Ladder { timeline, current, settled }
}

/// The state: every dispute (latest version, not withdrawn) with its
/// ladder, positions and proposals side by side.
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let parties: &[PartnerId] = &ctx.agreement.terms.parties;
    let disputes: Vec<Value> = records
        .of_kind(DISPUTE)
        .filter(|d| !d.revoked)
        .map(|d| {
            let l = ladder(d, records, ctx);
            let mine = |kind: &'static str| -> Vec<Value> {
                records
                    .of_kind(kind)
                    .filter(|r| r.properties.get("dispute_ref").and_then(Value::as_str) == Some(d.id.as_str()))
                    .map(|r| {
                        let mut v = json!({ "id": r.id.as_str(), "author": r.author.as_str(), "text": r.properties.get("text"), "modified": r.modified.as_str() });
                        if kind == PROPOSAL {
                            let c = consent::of(records, ACCEPTANCE, r, parties.iter());
                            v["accepted_by"] = c.given.iter().map(|p| Value::from(p.as_str())).collect();
                            v["awaiting"] = c.awaiting.iter().map(|p| Value::from(p.as_str())).collect();
                        }
                        v
                    })
                    .collect()
            };
            let timeline: Vec<Value> = l
                .timeline
                .iter()
                .map(|e| json!({ "stage": e.name, "start": e.start.as_str(), "deadline": e.deadline.as_str(), "end": e.end.as_ref().map(|(t, _)| t.as_str()), "ended_by": e.end.as_ref().map(|(_, how)| *how) }))
                .collect();
            let current = &l.timeline[l.timeline.len() - 1];
            json!({
                "id": d.id.as_str(),
                "raised_by": d.author.as_str(),
                "respondents": parties.iter().filter(|p| **p != d.author).map(|p| p.as_str()).collect::<Vec<_>>(),
                "clause": d.properties.get("clause"),
                "facts": d.properties.get("facts"),
                "fact_refs": d.properties.get("fact_refs"),
                "remedy": d.properties.get("remedy"),
                "mediators": d.properties.get(MEDIATORS),
                "status": if l.settled.is_some() { "settled" } else { current.name },
                "stage": current.name,
                "deadline": current.deadline.as_str(),
                "overdue": l.settled.is_none() && current.deadline <= ctx.now,
                "settled_by": l.settled.as_ref().map(|(id, _)| id.as_str()),
                "settled_at": l.settled.as_ref().map(|(_, t)| t.as_str()),
                "timeline": timeline,
                "ladder": terms_or_default(ctx.agreement).ladder.iter().map(|(name, days)| json!({ "stage": name, "days": days })).collect::<Vec<_>>(),
                "remedies": holds_of(d, records, ctx.agreement).iter().map(|h| json!({
                    "effect": h.effect.name(), "from": h.from.as_str(), "until": h.until.as_ref().map(Timestamp::as_str),
                    "in_force": h.holds_at(&ctx.now),
                })).collect::<Vec<_>>(),
                "positions": mine(POSITION),
                "proposals": mine(PROPOSAL),
            })
        })
        .collect();
    json!({ "disputes": disputes })
}

/// A remedy of the terms as it applies to one dispute: `effect` from
/// `from` until `until` (exclusive; none: until a record ends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The dispute.
    pub dispute: StixId,
    /// What it does.
    pub effect: Effect,
    /// When it starts holding.
    pub from: Timestamp,
    /// When it stops: the settlement or the withdrawal.
    pub until: Option<Timestamp>,
}

impl Hold {
    /// Whether it holds at `now`.
    pub fn holds_at(&self, now: &Timestamp) -> bool {
        &self.from <= now && self.until.as_ref().is_none_or(|u| now < u)
    }
}

/// Every remedy of `agreement`'s dispute terms as it applies to each of its
/// disputes in `records` (latest versions), at any time: the rule in the
/// module documentation. The same records give the same holds on every node.
/// A withdrawn dispute's remedies count too, until the withdrawal: what they
/// kept back is then re-offered like a settled one's.
pub fn holds(records: &Records, agreement: &policy::Agreement) -> Vec<Hold> {
    records.of_kind_withdrawn_too(DISPUTE).flat_map(|d| holds_of(d, records, agreement)).collect()
}

/// When the remedies hold for one dispute.
fn holds_of(dispute: &Record, records: &Records, agreement: &policy::Agreement) -> Vec<Hold> {
    let remedies = terms_or_default(agreement).remedies;
    if remedies.is_empty() {
        return Vec::new();
    }
    // Every deadline lapsed: the ladder as it stands if no record comes.
    let l = ladder_at(dispute, records, agreement, &Timestamp::from_micros(i64::MAX / 2));
    let withdrawn = dispute.revoked.then(|| dispute.modified.clone());
    let settled = l.settled.as_ref().map(|(_, t)| t.clone());
    let until = [withdrawn, settled].into_iter().flatten().min();
    remedies
        .iter()
        .filter_map(|r| {
            let from = l.timeline.iter().find(|e| e.stage >= r.from)?.start.clone();
            let hold = Hold { dispute: dispute.id.clone(), effect: r.effect, from, until: until.clone() };
            hold.until.as_ref().is_none_or(|u| &hold.from < u).then_some(hold)
        })
        .collect()
}
