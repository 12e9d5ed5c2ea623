//! Joint technology projects and capacity building, derived from the
//! records at `ctx.now`: pure. Both feed the ledger through commitments
//! that name them (`project_ref`, `offer_ref`), so their funding is the
//! ledger's own figures ([`crate::rules`]).
//!
//! **Projects.** A project is its lead's (its author's) latest version:
//! budget, participants, milestones (each `done` or not, `overdue` once
//! past due and not done), status. Pledged: the value of the commitments
//! naming it by its lead or a participant; funded: their confirmed
//! deliveries; `funded_share = funded / budget`.
//!
//! **Capacity building.** A party requests support; the other parties
//! offer (an offer by the requester itself is ignored); the requester
//! matches the offers it accepts (a match by anyone else is ignored); the
//! offerer then commits what it offered, naming the offer. A request shows
//! what was offered, matched, committed and delivered (confirmed), in its
//! own measure; it is `covered` once the matched offers' commitments reach
//! the quantity requested.

use std::collections::BTreeMap;

use model::StixId;
use partnership::{Context, Record, Records};
use policy::PartnerId;
use serde_json::{json, Value};

use crate::types::{measure, Offer, Project, Request, MATCH, OFFER, PROJECT, REQUEST};

/// What the ledger says of one commitment, for the projects and requests it serves.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    /// The giver.
    pub giver: &'a PartnerId,
    /// The project it funds.
    pub project: Option<&'a StixId>,
    /// The offer it honours.
    pub offer: Option<&'a StixId>,
    /// Its quantity (as corrected).
    pub quantity: f64,
    /// Its value in cents, if valued.
    pub pledged: Option<i128>,
    /// Its confirmed deliveries' value in cents.
    pub funded: i128,
    /// Its confirmed deliveries' quantity.
    pub delivered: f64,
}

fn units(cents: i128) -> f64 {
    cents as f64 / 100.0
}

/// The projects.
pub fn projects(records: &Records, ctx: &Context<'_>, flows: &BTreeMap<&StixId, Flow<'_>>, ignored: &mut Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for r in records.of_kind(PROJECT) {
        let p = match Project::read(r, ctx.agreement) {
            Ok(p) => p,
            Err(e) => {
                ignored.push(json!({ "id": r.id.as_str(), "property": "", "reason": e.to_string() }));
                continue;
            }
        };
        let mut by_party: BTreeMap<&PartnerId, (i128, i128)> = BTreeMap::new();
        for f in flows.values().filter(|f| f.project == Some(&r.id)) {
            if *f.giver != r.author && !p.participants.contains(f.giver) {
                continue;
            }
            let slot = by_party.entry(f.giver).or_default();
            slot.0 += f.pledged.unwrap_or(0);
            slot.1 += f.funded;
        }
        let pledged: i128 = by_party.values().map(|x| x.0).sum();
        let funded: i128 = by_party.values().map(|x| x.1).sum();
        let milestones: Vec<Value> = p
            .milestones
            .iter()
            .map(|m| json!({ "name": m.name, "due": m.due.to_string(), "deliverable": m.deliverable, "done": m.done, "overdue": !m.done && m.due < ctx.now }))
            .collect();
        out.push(json!({
            "id": r.id.as_str(),
            "lead": r.author.as_str(),
            "title": p.title,
            "description": p.description,
            "budget": p.budget,
            "participants": p.participants.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            "status": p.status,
            "versions": records.versions(&r.id).len(),
            "milestones": milestones,
            "milestones_done": p.milestones.iter().filter(|m| m.done).count(),
            "pledged": units(pledged),
            "funded": units(funded),
            "funded_share": (p.budget > 0.0).then(|| ((units(funded) / p.budget) * 1e6).round() / 1e6),
            "contributions": by_party.iter().map(|(who, (pl, fu))| json!({ "party": who.as_str(), "pledged": units(*pl), "funded": units(*fu) })).collect::<Vec<_>>(),
        }));
    }
    out
}

/// The requests for support, each with its offers.
pub fn requests(records: &Records, flows: &BTreeMap<&StixId, Flow<'_>>, ignored: &mut Vec<Value>) -> Vec<Value> {
    let mut offers: BTreeMap<StixId, Vec<(&Record, Offer)>> = BTreeMap::new();
    for r in records.of_kind(OFFER) {
        match Offer::read(r) {
            Ok(o) => offers.entry(o.request.clone()).or_default().push((r, o)),
            Err(e) => ignored.push(json!({ "id": r.id.as_str(), "property": "", "reason": e.to_string() })),
        }
    }
    let matches: std::collections::BTreeSet<(&PartnerId, &str)> =
        records.of_kind(MATCH).filter_map(|m| m.properties.get("offer_ref").and_then(Value::as_str).map(|o| (&m.author, o))).collect();
    let mut by_offer: BTreeMap<&StixId, Vec<(&StixId, &Flow<'_>)>> = BTreeMap::new();
    for (id, f) in flows {
        if let Some(o) = f.offer {
            by_offer.entry(o).or_default().push((id, f));
        }
    }
    let mut out = Vec::new();
    for r in records.of_kind(REQUEST) {
        let q = match Request::read(r) {
            Ok(q) => q,
            Err(e) => {
                ignored.push(json!({ "id": r.id.as_str(), "property": "", "reason": e.to_string() }));
                continue;
            }
        };
        let (mut offered, mut matched, mut committed, mut delivered) = (0.0, 0.0, 0.0, 0.0);
        let mut list = Vec::new();
        for (o, offer) in offers.remove(&r.id).unwrap_or_default() {
            if o.author == r.author {
                ignored.push(json!({ "id": o.id.as_str(), "property": "request_ref", "reason": "an offer against one's own request" }));
                continue;
            }
            let is_matched = matches.contains(&(&r.author, o.id.as_str()));
            // The offerer's commitments honouring it (only counted once matched).
            let honouring: Vec<&(&StixId, &Flow<'_>)> = by_offer.get(&o.id).into_iter().flatten().filter(|(_, f)| *f.giver == o.author).collect();
            offered += offer.quantity;
            if is_matched {
                matched += offer.quantity;
                committed += honouring.iter().map(|(_, f)| f.quantity).sum::<f64>();
                delivered += honouring.iter().map(|(_, f)| f.delivered).sum::<f64>();
            }
            list.push(json!({
                "id": o.id.as_str(),
                "offerer": o.author.as_str(),
                "quantity": offer.quantity,
                "note": offer.note,
                "matched": is_matched,
                "commitments": if is_matched { honouring.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>() } else { Vec::new() },
            }));
        }
        out.push(json!({
            "id": r.id.as_str(),
            "requester": r.author.as_str(),
            "resource": q.kind,
            "measure": q.currency.clone().unwrap_or_else(|| measure(&q.kind).to_owned()),
            "category": q.category,
            "quantity": q.quantity,
            "description": q.description,
            "needed_by": q.needed_by.to_string(),
            "offered": offered,
            "matched": matched,
            "committed": committed,
            "delivered": delivered,
            "covered": committed >= q.quantity,
            "offers": list,
        }));
    }
    out
}
