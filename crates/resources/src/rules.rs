//! The resources state, derived from the records at `ctx.now`: pure.
//!
//! **Terms in force.** Resource terms are in force at their latest
//! version that every party accepted (`partnership::consent`); an
//! amendment awaiting acceptances leaves the version before it in force.
//! If several terms records are in force, the last created (then by id)
//! governs.
//!
//! **The ledger is append-only.** A commitment, delivery, confirmation or
//! correction counts as first recorded: a later version of it (the
//! actions never make one) is ignored. A correction by the author of the
//! commitment or delivery it names sets that entry's quantity (the last
//! correction, by creation then id, wins); a correction by anyone else is
//! ignored and listed.
//!
//! **A delivery counts once confirmed.** A delivery is by the giver of
//! its commitment (else ignored, and listed under `commitment_ref`); the
//! commitment's receiver confirms or disputes it (anyone else's word is
//! ignored, and listed under `delivery_ref`); the receiver's last word
//! counts, and only if it names the delivery's latest correction (a
//! correction after a confirmation needs a new one). Statuses:
//! `awaiting-confirmation`, `confirmed`, `disputed`.
//!
//! **Valuation.** Every entry is valued in the terms' common unit: money,
//! equipment and capabilities at the exchange rate of their currency for
//! their year (1 for the unit itself), personnel hours at the rate of
//! their category, training seats, hosting days and intelligence
//! contributions at theirs. A commitment's year is its `year`, a
//! delivery's the year of `delivered_at`. An entry with no rate is shown
//! unvalued, with the property at fault, and counts in no total.
//! Values are rounded to whole cents once (`round(quantity × rate × 100)`,
//! half away from zero, after rounding to a millionth of a cent) and then summed exactly as integers, so totals and
//! balances do not depend on the order of anything.
//!
//! **In-kind contributions from other modules** (crisis assistance,
//! placements, course seats: [`crate::in_kind`]) join the ledger in its
//! order, with their `source` (module, record, the record to link to);
//! they count in the aggregates and figures like confirmed or pending
//! deliveries, and their pledges in `pledged`.
//!
//! **Figures per year** (docs/partnership.md#resources-and-burden-sharing):
//! contributions `cᵢ` = confirmed deliveries' value; actual share
//! `aᵢ = cᵢ / Σc`; target share `tᵢ` by the key from the declared figures
//! (a party's latest declaration for the year, else for its latest earlier
//! year, shown as carried); balance `cᵢ − tᵢ·Σc`; fair-share ratio
//! `Rᵢ = aᵢ / gᵢ` with `gᵢ` the GNI share; the Gini coefficient of the R;
//! Spearman's ρ between GNI and burden `cᵢ / GNIᵢ` (Olson–Zeckhauser);
//! commitments delivered on time; defence spending as a share of GDP.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use model::{StixId, Timestamp};
use partnership::{consent, Context, Record, Records};
use policy::PartnerId;
use serde_json::{json, Value};

use crate::fold::Parsed;
use crate::in_kind;
use crate::projects::{self, Flow};
use crate::shares;
use crate::types::{
    measure, year_of, Commitment, Confirmation, Correction, Delivery, Figures, Key, Terms, ACCEPTANCE, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY, FIGURES, TERMS,
};

/// How far ahead a commitment not yet delivered in full shows in its giver's inbox: 30 days.
pub const DUE_SOON_DAYS: i64 = 30;
const DAY: i64 = 86_400_000_000;

/// An amount in cents of the common unit, shown in units.
fn units(cents: i128) -> f64 {
    cents as f64 / 100.0
}

/// `quantity × rate` in whole cents, half away from zero. The product is
/// first rounded to a millionth of a cent, so that a decimal half (7.5 h
/// at 95.13 = 713.475) is not lost to binary representation (71347.4999…).
pub fn cents(quantity: f64, rate: f64) -> i128 {
    let c = quantity * rate * 100.0;
    let c = if c.abs() < 1e9 { (c * 1e6).round() / 1e6 } else { c };
    c.round() as i128
}

/// The terms in force: the record, its version in force, the terms read.
pub struct InForce<'a> {
    /// The terms record.
    pub record: &'a Record,
    /// The version every party accepted.
    pub version: &'a Record,
    /// That version, read.
    pub terms: Terms,
}

/// The terms in force among `records`, if any (the module doc's rule).
pub fn terms_in_force<'a>(records: &'a Records, ctx: &Context<'_>) -> Option<InForce<'a>> {
    let parties = &ctx.agreement.terms.parties;
    records
        .of_kind(TERMS)
        .filter_map(|record| {
            records.versions(&record.id).iter().rev().filter(|v| !v.revoked).find_map(|v| {
                if !consent::of(records, ACCEPTANCE, v, parties).agreed() {
                    return None;
                }
                Terms::read(v, ctx.agreement).ok().map(|terms| InForce { record, version: v, terms })
            })
        })
        .last()
}

/// What an entry is worth in the common unit, or why it has no value (the property, the reason).
pub fn value(terms: Option<&Terms>, commitment: &Commitment, quantity: f64, year: i64) -> Result<i128, (&'static str, String)> {
    let Some(terms) = terms else {
        return Err(("resource", "no resource terms are in force: propose them and have every party accept them".into()));
    };
    if let Some(cur) = &commitment.currency {
        let rate = terms.exchange_rate(cur, year).ok_or_else(|| ("currency", format!("the terms in force give no exchange rate for {cur} in {year}")))?;
        return Ok(cents(quantity, rate));
    }
    let rate = terms
        .in_kind_rate(&commitment.kind, commitment.category.as_deref())
        .ok_or_else(|| if commitment.category.is_some() { "category" } else { "resource" })
        .map_err(|at| (at, format!("the terms in force give no in-kind rate for {}{}", commitment.kind, commitment.category.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())))?;
    Ok(cents(quantity, rate))
}

/// What one party holds in one year, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregate {
    /// Pledged (commitments of the year, as corrected).
    pub pledged: i128,
    /// Delivered and confirmed.
    pub confirmed: i128,
    /// Delivered, awaiting the receiver's confirmation.
    pub pending: i128,
    /// Delivered and disputed by the receiver.
    pub disputed: i128,
    /// Received (confirmed deliveries to it).
    pub received: i128,
}

/// One delivery as the state sees it.
struct Entry<'a> {
    record: &'a Record,
    delivery: Cow<'a, Delivery>,
    commitment: &'a Record,
    quantity: f64,
    correction: Option<&'a Record>,
    status: &'static str,
    word: Option<&'a Record>,
    value: Result<i128, (&'static str, String)>,
}

/// A line of the ledger: a delivery of the module's own, or an in-kind
/// contribution another module recorded.
enum Line<'e, 'r> {
    Own(&'e Entry<'r>),
    Drawn(&'e in_kind::InKind<'r>),
}

impl Line<'_, '_> {
    /// The ledger's order: by delivery time, then creation, then record.
    fn key(&self) -> (&Timestamp, &Timestamp, &StixId) {
        match self {
            Line::Own(e) => (&e.delivery.delivered_at, &e.record.created, &e.record.id),
            Line::Drawn(k) => (&k.at, &k.record.created, &k.record.id),
        }
    }
}

/// The first version of a record: what the append-only ledger counts.
pub(crate) fn first<'a>(records: &'a Records, r: &'a Record) -> &'a Record {
    records.versions(&r.id).first().unwrap_or(r)
}

/// How many of the newest commitments and ledger lines the state holds
/// (`commitments`, `ledger`); every one is in [`full`] (the CSV files).
pub const WINDOW: usize = 250;

/// The module's state (see the module doc for every rule): [`full`] with
/// its lists bounded ([`lean`]).
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    lean(full(records, ctx))
}

/// The complete state: every commitment and ledger line (what the CSV
/// files export, `Module::file_state`).
pub fn full(records: &Records, ctx: &Context<'_>) -> Value {
    state_with(records, ctx, &Parsed::default())
}

/// The state with bounded lists, from the complete one: `ledger` and
/// `commitments` as their newest [`WINDOW`] (in their order, with
/// `ledger_count` and `commitments_count` for the pager); in full only
/// what `needs` reads: `awaiting` (the module's own deliveries awaiting
/// the receiver's word, in the ledger's order, without running totals)
/// and `open` (the commitments not complete, by creation); `ignored`
/// sorted by record, property and reason.
pub fn lean(mut full: Value) -> Value {
    let take = |v: &mut Value, key: &str| match v.get_mut(key).map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    let ledger = take(&mut full, "ledger");
    let commitments = take(&mut full, "commitments");
    let mut ignored = take(&mut full, "ignored");
    let awaiting: Vec<Value> = ledger.iter().filter(|e| e["status"] == "awaiting-confirmation" && e["source"].is_null()).map(awaiting_json).collect();
    let open: Vec<Value> = commitments.iter().filter(|c| c["complete"] != true).cloned().collect();
    ignored.sort_by(ignored_order);
    let obj = full.as_object_mut().expect("the state is an object");
    obj.insert("ledger_count".into(), json!(ledger.len()));
    obj.insert("commitments_count".into(), json!(commitments.len()));
    obj.insert("ledger".into(), Value::Array(newest(ledger)));
    obj.insert("commitments".into(), Value::Array(newest(commitments)));
    obj.insert("awaiting".into(), Value::Array(awaiting));
    obj.insert("open".into(), Value::Array(open));
    obj.insert("ignored".into(), Value::Array(ignored));
    full
}

/// The last [`WINDOW`] of `list`.
fn newest(mut list: Vec<Value>) -> Vec<Value> {
    let cut = list.len().saturating_sub(WINDOW);
    list.drain(..cut);
    list
}

/// The `ignored` list's order in the state: record, property, reason.
pub(crate) fn ignored_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let k = |v: &Value| (v["id"].as_str().unwrap_or_default().to_owned(), v["property"].as_str().unwrap_or_default().to_owned(), v["reason"].as_str().unwrap_or_default().to_owned());
    k(a).cmp(&k(b))
}

/// A ledger line awaiting confirmation as `awaiting` holds it.
pub(crate) fn awaiting_json(e: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for k in ["id", "giver", "receiver", "commitment", "resource", "quantity", "measure", "delivered_at", "year", "status", "value", "unvalued"] {
        out.insert(k.into(), e[k].clone());
    }
    Value::Object(out)
}

/// The module's state, the ledger's records read as `parsed` kept them
/// (the fold's, [`crate::fold`]; what it does not hold is read here).
pub fn state_with(records: &Records, ctx: &Context<'_>, parsed: &Parsed) -> Value {
    let parties: BTreeSet<&PartnerId> = ctx.agreement.terms.parties.iter().collect();
    let mut ignored: Vec<Value> = Vec::new();
    let mut ignore = |r: &Record, property: &str, reason: String| ignored.push(json!({ "id": r.id.as_str(), "property": property, "reason": reason }));

    let Head { in_force, proposals, declared } = head(records, ctx, &mut ignore);
    let terms = in_force.as_ref().map(|f| &f.terms);

    // Corrections by the author of what they correct: the last one counts.
    let mut corrections: BTreeMap<StixId, (&Record, Cow<'_, Correction>)> = BTreeMap::new();
    let mut correction_records: Vec<(&Record, Cow<'_, Correction>)> = Vec::new();
    for r in records.of_kind(CORRECTION).map(|r| first(records, r)) {
        match parsed.correction(r) {
            Ok(c) => correction_records.push((r, c)),
            Err(e) => ignore(r, "", e.to_string()),
        }
    }

    // Commitments.
    let mut commitments: BTreeMap<StixId, (&Record, Cow<'_, Commitment>)> = BTreeMap::new();
    for r in records.of_kind(COMMITMENT).map(|r| first(records, r)) {
        match parsed.commitment(r, ctx.agreement) {
            Ok(c) => {
                commitments.insert(r.id.clone(), (r, c));
            }
            Err(e) => ignore(r, "", e.to_string()),
        }
    }
    let mut deliveries_read: Vec<(&Record, Cow<'_, Delivery>)> = Vec::new();
    for r in records.of_kind(DELIVERY).map(|r| first(records, r)) {
        match parsed.delivery(r) {
            Ok(d) => match commitments.get(&d.commitment) {
                Some((c, _)) if c.author == r.author => deliveries_read.push((r, d)),
                Some((c, _)) => ignore(r, "commitment_ref", format!("{} is {}'s commitment: only its giver delivers against it", c.id, c.author)),
                None => ignore(r, "commitment_ref", format!("no commitment {} here (yet)", d.commitment)),
            },
            Err(e) => ignore(r, "", e.to_string()),
        }
    }
    let delivery_author: BTreeMap<&StixId, &PartnerId> = deliveries_read.iter().map(|(r, _)| (&r.id, &r.author)).collect();
    for (r, c) in correction_records {
        let author = commitments.get(&c.corrects).map(|(x, _)| &x.author).or_else(|| delivery_author.get(&c.corrects).copied());
        match author {
            Some(a) if *a == r.author => {
                corrections.insert(c.corrects.clone(), (r, c));
            }
            Some(a) => ignore(r, "corrects_ref", format!("{} is {a}'s: only its author corrects it", c.corrects)),
            None => ignore(r, "corrects_ref", format!("no commitment or delivery {} here (yet)", c.corrects)),
        }
    }

    // Confirmations by the receiver: the last one per delivery counts.
    let receiver_of: BTreeMap<&StixId, &PartnerId> =
        deliveries_read.iter().filter_map(|(r, d)| commitments.get(&d.commitment).map(|(_, k)| (&r.id, &k.receiver))).collect();
    let mut words: BTreeMap<StixId, (&Record, Cow<'_, Confirmation>)> = BTreeMap::new();
    for r in records.of_kind(CONFIRMATION).map(|r| first(records, r)) {
        let c = match parsed.confirmation(r) {
            Ok(c) => c,
            Err(e) => {
                ignore(r, "", e.to_string());
                continue;
            }
        };
        match receiver_of.get(&c.delivery).copied() {
            Some(p) if *p == r.author => {
                words.insert(c.delivery.clone(), (r, c));
            }
            Some(p) => ignore(r, "delivery_ref", format!("{} was delivered to {p}: only the receiver confirms it", c.delivery)),
            None => ignore(r, "delivery_ref", format!("no delivery {} here (yet)", c.delivery)),
        }
    }

    let mut entries: Vec<Entry<'_>> = deliveries_read
        .into_iter()
        .map(|(record, delivery)| {
            let (commitment, c) = &commitments[&delivery.commitment];
            let correction = corrections.get(&record.id);
            let quantity = correction.map_or(delivery.quantity, |(_, k)| k.quantity);
            let word = words.get(&record.id);
            let current = word.filter(|(_, w)| w.correction.as_ref() == correction.map(|(k, _)| &k.id));
            let status = match current {
                Some((_, w)) if w.confirmed => "confirmed",
                Some(_) => "disputed",
                None => "awaiting-confirmation",
            };
            let value = value(terms, c, quantity, year_of(&delivery.delivered_at));
            Entry { record, commitment, quantity, correction: correction.map(|(k, _)| *k), status, word: word.map(|(w, _)| *w), value, delivery }
        })
        .collect();
    // The ledger's order: by delivery time, then record.
    entries.sort_by(|a, b| (&a.delivery.delivered_at, &a.record.created, &a.record.id).cmp(&(&b.delivery.delivered_at, &b.record.created, &b.record.id)));

    // In-kind contributions the other modules recorded (crate::in_kind),
    // in the ledger's order among the deliveries.
    let mut drawn = in_kind::draw(records, terms, &ctx.now, &mut ignore);
    drawn.entries.sort_by(|a, b| (&a.at, &a.record.created, &a.record.id).cmp(&(&b.at, &b.record.created, &b.record.id)));
    let mut lines: Vec<Line<'_, '_>> = entries.iter().map(Line::Own).chain(drawn.entries.iter().map(Line::Drawn)).collect();
    lines.sort_by(|a, b| a.key().cmp(&b.key()));

    // Per-year aggregates, commitments' progress, the ledger with running totals.
    let mut aggregates: BTreeMap<i64, BTreeMap<&PartnerId, Aggregate>> = BTreeMap::new();
    let mut running: BTreeMap<&PartnerId, i128> = BTreeMap::new();
    let mut ledger = Vec::new();
    let mut progress: BTreeMap<&StixId, (f64, f64)> = BTreeMap::new(); // (confirmed quantity, confirmed by due)
    let mut funded: BTreeMap<&StixId, i128> = BTreeMap::new(); // confirmed value per commitment
    add_drawn_pledges(&mut aggregates, &drawn);
    for line in &lines {
        let e = match line {
            Line::Own(e) => *e,
            Line::Drawn(k) => {
                if let Some(v) = add_drawn(&mut aggregates, k) {
                    *running.entry(&k.giver).or_default() += v;
                }
                ledger.push(drawn_line(k, running.get(&k.giver).copied().unwrap_or(0)));
                continue;
            }
        };
        let (_, c) = &commitments[&e.delivery.commitment];
        let year = year_of(&e.delivery.delivered_at);
        if let Ok(v) = e.value {
            let giver = aggregates.entry(year).or_default().entry(&e.record.author).or_default();
            match e.status {
                "confirmed" => giver.confirmed += v,
                "disputed" => giver.disputed += v,
                _ => giver.pending += v,
            }
            if e.status == "confirmed" {
                aggregates.entry(year).or_default().entry(&c.receiver).or_default().received += v;
                *running.entry(&e.record.author).or_default() += v;
                *funded.entry(&e.commitment.id).or_default() += v;
            }
        }
        if e.status == "confirmed" {
            let p = progress.entry(&e.commitment.id).or_default();
            p.0 += e.quantity;
            if e.delivery.delivered_at <= c.due {
                p.1 += e.quantity;
            }
        }
        ledger.push(own_line(
            OwnLine { id: &e.record.id, giver: &e.record.author, commitment: &e.commitment.id, c, d: &e.delivery, quantity: e.quantity, correction: e.correction.map(|k| &k.id), status: e.status, word: e.word.map(|w| &w.id), value: &e.value },
            running.get(&e.record.author).copied().unwrap_or(0),
        ));
    }
    let exercise_left_out = drawn.exercise_left_out;
    let mut commitment_list = Vec::new();
    let mut on_time: BTreeMap<(i64, &PartnerId), (u64, u64)> = BTreeMap::new();
    let mut flows: BTreeMap<&StixId, Flow<'_>> = BTreeMap::new();
    for (id, (r, c)) in &commitments {
        let correction = corrections.get(id);
        let quantity = correction.map_or(c.quantity, |(_, k)| k.quantity);
        let v = value(terms, c, quantity, c.year);
        if let Ok(v) = v {
            aggregates.entry(c.year).or_default().entry(&r.author).or_default().pledged += v;
        }
        let (done, by_due) = progress.get(id).copied().unwrap_or_default();
        if c.project.is_some() || c.offer.is_some() {
            let flow = Flow {
                giver: &r.author,
                project: c.project.as_ref(),
                offer: c.offer.as_ref(),
                quantity,
                pledged: v.as_ref().ok().copied(),
                funded: funded.get(id).copied().unwrap_or(0),
                delivered: done,
            };
            flows.insert(id, flow);
        }
        // A commitment corrected to 0 is cancelled: neither on time nor late.
        let timely = timely(quantity, by_due, &c.due, &ctx.now);
        if let Some(t) = timely {
            let slot = on_time.entry((c.year, &r.author)).or_default();
            slot.1 += 1;
            slot.0 += u64::from(t);
        }
        commitment_list.push(((&r.created, &r.id), commitment_json(&r.id, &r.author, c, quantity, correction.map(|(k, x)| (&k.id, x.reason.as_str())), &v, done, timely)));
    }
    commitment_list.sort_by(|a, b| a.0.cmp(&b.0));
    let projects = projects::projects(records, ctx, &flows, &mut ignored);
    let requests = projects::requests(records, &flows, &mut ignored);

    // Figures per year.
    let years: BTreeSet<i64> = aggregates.keys().copied().collect();
    let periods: Vec<Value> = years.iter().map(|y| period(*y, &parties, &aggregates, &declared, &on_time, terms)).collect();
    let balances = balances_json(&parties, &aggregates, &periods);
    let figures = figures_json(&declared);
    json!({
        "terms": in_force_json(in_force.as_ref()),
        "proposals": proposals,
        "figures": figures,
        "commitments": commitment_list.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "ledger": ledger,
        "balances": balances,
        "periods": periods,
        "projects": projects,
        "requests": requests,
        "ignored": ignored,
        "exercise_left_out": exercise_left_out,
    })
}

/// Declared figures: per party and year, every version of every record,
/// the latest last.
pub(crate) type Declared<'a> = BTreeMap<(&'a PartnerId, i64), Vec<(&'a Record, Figures)>>;

/// What the state says besides the ledger: the terms in force, every
/// proposal, the declared figures.
pub(crate) struct Head<'a> {
    pub(crate) in_force: Option<InForce<'a>>,
    pub(crate) proposals: Vec<Value>,
    pub(crate) declared: Declared<'a>,
}

/// The terms, their proposals and the declared figures among `records`;
/// records that break a rule go to `ignore`.
pub(crate) fn head<'a>(records: &'a Records, ctx: &Context<'_>, ignore: &mut dyn FnMut(&Record, &str, String)) -> Head<'a> {
    // Terms.
    let in_force = terms_in_force(records, ctx);
    let mut proposals = Vec::new();
    for r in records.of_kind(TERMS) {
        let c = consent::of(records, ACCEPTANCE, r, &ctx.agreement.terms.parties);
        match Terms::read(r, ctx.agreement) {
            Ok(t) => proposals.push(json!({
                "id": r.id.as_str(),
                "author": r.author.as_str(),
                "version": r.modified.to_string(),
                "versions": records.versions(&r.id).len(),
                "accepted_by": c.given.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "awaiting": c.awaiting.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "in_force": in_force.as_ref().is_some_and(|f| f.record.id == r.id && f.version.modified == r.modified),
                "terms": terms_json(&t),
            })),
            Err(e) => ignore(r, "", e.to_string()),
        }
    }

    // Declared figures: per party and year, every version of every record, the latest counting.
    let mut declared: BTreeMap<(&PartnerId, i64), Vec<(&Record, Figures)>> = BTreeMap::new();
    for r in records.of_kind(FIGURES) {
        for v in records.versions(&r.id).iter().filter(|v| !v.revoked) {
            match Figures::read(v) {
                Ok(f) => declared.entry((&r.author, f.year)).or_default().push((v, f)),
                Err(e) => ignore(v, "", e.to_string()),
            }
        }
    }
    for list in declared.values_mut() {
        list.sort_by(|a, b| (&a.0.modified, &a.0.id).cmp(&(&b.0.modified, &b.0.id)));
    }
    Head { in_force, proposals, declared }
}

/// A ledger line of another module's in-kind entry, `running` its
/// giver's running confirmed total at it.
/// Adds the pledges other modules' records imply (`in_kind::Drawn`) to
/// their givers' per-year aggregates (the state from scratch and the fold
/// alike).
pub(crate) fn add_drawn_pledges<'a>(aggregates: &mut BTreeMap<i64, BTreeMap<&'a PartnerId, Aggregate>>, drawn: &'a in_kind::Drawn<'_>) {
    for p in &drawn.pledges {
        if let Ok(v) = p.value {
            aggregates.entry(p.year).or_default().entry(&p.giver).or_default().pledged += v;
        }
    }
}

/// Adds an in-kind entry another module recorded to the per-year
/// aggregates: confirmed, to its giver's contributions and its receiver's
/// receipts, returning the value (for the giver's running total); else as
/// the giver's pending. A value the terms could not set counts nowhere.
pub(crate) fn add_drawn<'a>(aggregates: &mut BTreeMap<i64, BTreeMap<&'a PartnerId, Aggregate>>, k: &'a in_kind::InKind<'_>) -> Option<i128> {
    let Ok(v) = k.value else { return None };
    let giver = aggregates.entry(k.year).or_default().entry(&k.giver).or_default();
    if k.status != "confirmed" {
        giver.pending += v;
        return None;
    }
    giver.confirmed += v;
    aggregates.entry(k.year).or_default().entry(&k.receiver).or_default().received += v;
    Some(v)
}

pub(crate) fn drawn_line(k: &in_kind::InKind<'_>, running: i128) -> Value {
    json!({
        "id": k.record.id.as_str(),
        "giver": k.giver.as_str(),
        "receiver": k.receiver.as_str(),
        "commitment": null,
        "resource": k.resource,
        "quantity": k.quantity,
        "measure": k.measure,
        "recorded_quantity": k.quantity,
        "correction": null,
        "delivered_at": k.at.to_string(),
        "year": k.year,
        "note": k.note,
        "status": k.status,
        "word": k.word.map(|w| w.id.as_str()),
        "value": k.value.as_ref().ok().map(|v| units(*v)),
        "unvalued": k.value.as_ref().err().map(|(p, why)| json!({ "property": p, "reason": why })),
        "running_confirmed": units(running),
        "source": { "module": k.module, "record": k.record.id.as_str(), "of": k.of },
    })
}

/// One of the module's own deliveries as a ledger line shows it.
pub(crate) struct OwnLine<'a> {
    pub(crate) id: &'a StixId,
    pub(crate) giver: &'a PartnerId,
    pub(crate) commitment: &'a StixId,
    pub(crate) c: &'a Commitment,
    pub(crate) d: &'a Delivery,
    pub(crate) quantity: f64,
    pub(crate) correction: Option<&'a StixId>,
    pub(crate) status: &'a str,
    pub(crate) word: Option<&'a StixId>,
    pub(crate) value: &'a in_kind::Valued,
}

/// A ledger line of the module's own delivery, `running` its giver's
/// running confirmed total at it.
pub(crate) fn own_line(l: OwnLine<'_>, running: i128) -> Value {
    let (c, d) = (l.c, l.d);
    json!({
        "id": l.id.as_str(),
        "giver": l.giver.as_str(),
        "receiver": c.receiver.as_str(),
        "commitment": l.commitment.as_str(),
        "resource": c.kind,
        "quantity": l.quantity,
        "measure": c.currency.clone().unwrap_or_else(|| measure(&c.kind).to_owned()),
        "recorded_quantity": d.quantity,
        "correction": l.correction.map(StixId::as_str),
        "delivered_at": d.delivered_at.to_string(),
        "year": year_of(&d.delivered_at),
        "note": d.note,
        "status": l.status,
        "word": l.word.map(StixId::as_str),
        "value": l.value.as_ref().ok().map(|v| units(*v)),
        "unvalued": l.value.as_ref().err().map(|(p, why)| json!({ "property": p, "reason": why })),
        "running_confirmed": units(running),
    })
}

/// Whether a commitment was delivered on time (`Some(true)`), late
/// (`Some(false)`: past due and not delivered in full by then) or neither
/// yet: `None` also for one corrected to 0 (cancelled).
pub(crate) fn timely(quantity: f64, by_due: f64, due: &Timestamp, now: &Timestamp) -> Option<bool> {
    if quantity == 0.0 {
        None
    } else if by_due >= quantity {
        Some(true)
    } else if now > due {
        Some(false)
    } else {
        None
    }
}

/// A commitment as the state lists it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn commitment_json(id: &StixId, giver: &PartnerId, c: &Commitment, quantity: f64, correction: Option<(&StixId, &str)>, v: &in_kind::Valued, done: f64, timely: Option<bool>) -> Value {
    json!({
        "id": id.as_str(),
        "giver": giver.as_str(),
        "receiver": c.receiver.as_str(),
        "resource": c.kind,
        "category": c.category,
        "description": c.description,
        "quantity": quantity,
        "recorded_quantity": c.quantity,
        "measure": c.currency.clone().unwrap_or_else(|| measure(&c.kind).to_owned()),
        "correction": correction.map(|(k, reason)| json!({ "id": k.as_str(), "reason": reason })),
        "year": c.year,
        "due": c.due.to_string(),
        "value": v.as_ref().ok().map(|v| units(*v)),
        "unvalued": v.as_ref().err().map(|(p, why)| json!({ "property": p, "reason": why })),
        "delivered": done,
        "outstanding": (quantity - done).max(0.0),
        "complete": done >= quantity,
        "cancelled": quantity == 0.0,
        "on_time": timely,
        "project": c.project.as_ref().map(StixId::as_str),
        "offer": c.offer.as_ref().map(StixId::as_str),
    })
}

/// Every party's totals over the years and its balance (the sum of its
/// yearly balances in `periods`).
pub(crate) fn balances_json(parties: &BTreeSet<&PartnerId>, aggregates: &BTreeMap<i64, BTreeMap<&PartnerId, Aggregate>>, periods: &[Value]) -> Vec<Value> {
    let mut balances = Vec::new();
    for p in parties {
        let mut total = Aggregate::default();
        for a in aggregates.values().filter_map(|m| m.get(p)) {
            total.pledged += a.pledged;
            total.confirmed += a.confirmed;
            total.pending += a.pending;
            total.disputed += a.disputed;
            total.received += a.received;
        }
        let balance: f64 = periods.iter().filter_map(|per| per["parties"].as_array()).flatten().filter(|x| x["party"] == p.as_str()).filter_map(|x| x["balance"].as_f64()).sum();
        balances.push(json!({
            "party": p.as_str(),
            "pledged": units(total.pledged),
            "confirmed": units(total.confirmed),
            "pending": units(total.pending),
            "disputed": units(total.disputed),
            "received": units(total.received),
            "balance": (balance * 100.0).round() / 100.0,
        }));
    }
    balances
}

/// The declared figures as the state lists them.
pub(crate) fn figures_json(declared: &Declared<'_>) -> Vec<Value> {
    declared
        .iter()
        .map(|((party, year), list)| {
            let (latest, f) = list.last().expect("a declaration");
            json!({
                "party": party.as_str(),
                "year": year,
                "record": latest.id.as_str(),
                "declared": latest.modified.to_string(),
                "version": list.len(),
                "earlier": list[..list.len() - 1].iter().map(|(r, f)| json!({ "declared": r.modified.to_string(), "gni": f.gni, "population": f.population })).collect::<Vec<_>>(),
                "currency": f.currency,
                "gni": f.gni,
                "population": f.population,
                "gdp": f.gdp,
                "defence_spending": f.defence_spending,
            })
        })
        .collect()
}

/// The terms in force as the state names them.
pub(crate) fn in_force_json(in_force: Option<&InForce<'_>>) -> Value {
    json!(in_force.map(|f| json!({ "record": f.record.id.as_str(), "version": f.version.modified.to_string(), "unit": f.terms.unit, "key": f.terms.key.method() })))
}

fn terms_json(t: &Terms) -> Value {
    let key = match &t.key {
        Key::UnScale { gradient, floor, ceiling } => json!({ "method": "un-scale", "gradient": gradient, "floor": floor, "ceiling": ceiling }),
        Key::Blend { alpha } => json!({ "method": "blend", "alpha": alpha }),
        Key::Fixed(s) => json!({ "method": "fixed", "shares": s.iter().map(|(p, v)| (p.to_string(), json!(v))).collect::<serde_json::Map<_, _>>() }),
        k => json!({ "method": k.method() }),
    };
    json!({
        "unit": t.unit,
        "in_kind_rates": t.in_kind.iter().map(|r| json!({ "kind": r.kind, "category": r.category, "rate": r.rate })).collect::<Vec<_>>(),
        "exchange_rates": t.exchange.iter().map(|((c, y), r)| json!({ "currency": c, "year": y, "rate": r })).collect::<Vec<_>>(),
        "exchange_source": t.exchange_source,
        "cost_share": key,
    })
}

/// A party's figures for `year`: its latest declaration for the year,
/// else for its latest earlier year (and that year).
fn figures_for<'a>(declared: &'a BTreeMap<(&'a PartnerId, i64), Vec<(&'a Record, Figures)>>, party: &'a PartnerId, year: i64) -> Option<(i64, &'a Figures)> {
    declared.range((party, i64::MIN)..=(party, year)).next_back().and_then(|((_, y), list)| list.last().map(|(_, f)| (*y, f)))
}

/// The target shares by the key for `year`, in the parties' order, or why not.
pub fn key_shares(key: &Key, parties: &[&PartnerId], gni: &[Option<f64>], population: &[Option<f64>]) -> Result<Vec<f64>, String> {
    let need = |v: &[Option<f64>], what: &str| -> Result<Vec<f64>, String> {
        v.iter().zip(parties).map(|(x, p)| x.ok_or_else(|| format!("{p} has declared no {what} for this year or before (or its currency has no exchange rate for the year declared)"))).collect()
    };
    let out = match key {
        Key::Equal => Ok(shares::equal(parties.len())),
        Key::Fixed(s) => shares::fixed(&parties.iter().map(|p| s.get(*p).copied().unwrap_or(0.0)).collect::<Vec<_>>()),
        Key::Gni => shares::proportional(&need(gni, "GNI")?),
        Key::Capped => shares::capped(&need(gni, "GNI")?),
        Key::Blend { alpha } => shares::blend(*alpha, &need(gni, "GNI")?),
        Key::UnScale { gradient, floor, ceiling } => shares::un_scale(&need(gni, "GNI")?, &need(population, "population")?, *gradient, *floor, *ceiling),
    };
    out.map_err(|e| e.0)
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The figures of one year (the module doc's formulas).
pub(crate) fn period(
    year: i64,
    parties: &BTreeSet<&PartnerId>,
    aggregates: &BTreeMap<i64, BTreeMap<&PartnerId, Aggregate>>,
    declared: &BTreeMap<(&PartnerId, i64), Vec<(&Record, Figures)>>,
    on_time: &BTreeMap<(i64, &PartnerId), (u64, u64)>,
    terms: Option<&Terms>,
) -> Value {
    let list: Vec<&PartnerId> = parties.iter().copied().collect();
    let empty = BTreeMap::new();
    let agg = aggregates.get(&year).unwrap_or(&empty);
    let c: Vec<i128> = list.iter().map(|p| agg.get(p).map_or(0, |a| a.confirmed)).collect();
    let total: i128 = c.iter().sum();
    let figs: Vec<Option<(i64, &Figures)>> = list.iter().map(|p| figures_for(declared, p, year)).collect();
    // GNI in the common unit, at the exchange rate of the figures' own year.
    let gni: Vec<Option<f64>> = figs.iter().map(|f| f.and_then(|(y, f)| terms.and_then(|t| t.exchange_rate(&f.currency, y)).map(|r| f.gni * r))).collect();
    let population: Vec<Option<f64>> = figs.iter().map(|f| f.map(|(_, f)| f.population)).collect();
    let target = match terms {
        None => Err("no resource terms are in force".to_owned()),
        Some(t) => key_shares(&t.key, &list, &gni, &population),
    };
    let gni_shares: Option<Vec<f64>> = gni.iter().copied().collect::<Option<Vec<f64>>>().and_then(|g| shares::proportional(&g).ok());
    let actual: Option<Vec<f64>> = (total > 0).then(|| c.iter().map(|x| *x as f64 / total as f64).collect());
    let ratios: Option<Vec<f64>> = match (&actual, &gni_shares) {
        (Some(a), Some(g)) => a.iter().zip(g).map(|(a, g)| shares::fair_share_ratio(*a, *g)).collect(),
        _ => None,
    };
    let burden: Option<Vec<f64>> = gni.iter().zip(&c).map(|(g, c)| g.filter(|g| *g > 0.0).map(|g| *c as f64 / 100.0 / g)).collect();
    let mut rows = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let a = agg.get(p).copied().unwrap_or_default();
        let t = target.as_ref().ok().map(|t| t[i]);
        let target_amount = t.map(|t| t * total as f64 / 100.0);
        let balance = target_amount.map(|ta| round(units(c[i]) - ta, 2));
        let f = figs[i].map(|(_, f)| f);
        let (done, due) = on_time.get(&(year, *p)).copied().unwrap_or_default();
        rows.push(json!({
            "party": p.as_str(),
            "pledged": units(a.pledged),
            "contributed": units(c[i]),
            "pending": units(a.pending),
            "disputed": units(a.disputed),
            "received": units(a.received),
            "target_share": t.map(|t| round(t, 6)),
            "target_amount": target_amount.map(|x| round(x, 2)),
            "actual_share": actual.as_ref().map(|a| round(a[i], 6)),
            "balance": balance,
            "position": balance.map(|b| if b > 0.0 { "over" } else if b < 0.0 { "under" } else { "even" }),
            "gni_share": gni_shares.as_ref().map(|g| round(g[i], 6)),
            "fair_share_ratio": ratios.as_ref().map(|r| round(r[i], 6)),
            "figures_year": figs[i].map(|(y, _)| y),
            "carried": figs[i].is_some_and(|(y, _)| y != year),
            "defence_share_of_gdp": f.and_then(|f| f.defence_spending.zip(f.gdp)).and_then(|(d, g)| (g > 0.0).then(|| round(d / g, 6))),
            "on_time": done,
            "due": due,
        }));
    }
    json!({
        "year": year,
        "total": units(total),
        "key_error": target.as_ref().err(),
        "gini_of_ratios": ratios.as_deref().and_then(shares::gini).map(|g| round(g, 6)),
        "spearman_size_burden": match (gni.iter().copied().collect::<Option<Vec<f64>>>(), &burden) {
            (Some(g), Some(b)) if total > 0 => shares::spearman(&g, b).map(|r| round(r, 6)),
            _ => None,
        },
        "parties": rows,
    })
}

/// What needs `ctx.me` in a resources `state` ([`state`]): terms awaiting
/// its acceptance, deliveries to it awaiting its confirmation, its
/// commitments not delivered in full that are due within
/// [`DUE_SOON_DAYS`] (overdue once past), offers against its open requests
/// it has not matched, its matched offers not yet committed, and the
/// milestones of projects it leads due within [`DUE_SOON_DAYS`].
pub fn needs(state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
    let me = ctx.me.as_str();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for t in state["proposals"].as_array().into_iter().flatten() {
        if t["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p == me)) {
            out.push(partnership::Need { what: "accept-resource-terms", record: text(t, "id"), title: format!("resource terms in {}", t["terms"]["unit"].as_str().unwrap_or_default()), due: None, overdue: false });
        }
    }
    // `awaiting` and `open` hold in full what the bounded `ledger` and `commitments` may not.
    let list = |full: &str, bounded: &str| state.get(full).or_else(|| state.get(bounded)).and_then(Value::as_array).cloned().unwrap_or_default();
    for e in list("awaiting", "ledger").iter() {
        // An in-kind entry of another module is confirmed there (`source`).
        if e["receiver"] == me && e["status"] == "awaiting-confirmation" && e["source"].is_null() {
            out.push(partnership::Need {
                what: "confirm-delivery",
                record: text(e, "id"),
                title: format!("{} {} {} from {}", e["quantity"], text(e, "measure"), text(e, "resource"), text(e, "giver")),
                due: None,
                overdue: false,
            });
        }
    }
    for c in list("open", "commitments").iter() {
        if c["giver"] != me || c["complete"] == true || c["cancelled"] == true {
            continue;
        }
        let Ok(due) = Timestamp::parse(c["due"].as_str().unwrap_or_default()) else { continue };
        if due.micros() - ctx.now.micros() > DUE_SOON_DAYS * DAY {
            continue;
        }
        out.push(partnership::Need { what: "deliver", record: text(c, "id"), title: text(c, "description"), due: Some(due.to_string()), overdue: due < ctx.now });
    }
    for q in state["requests"].as_array().into_iter().flatten() {
        if q["covered"] == true {
            continue;
        }
        for o in q["offers"].as_array().into_iter().flatten() {
            if q["requester"] == me && o["matched"] == false {
                out.push(partnership::Need { what: "consider-offer", record: text(o, "id"), title: text(q, "description"), due: Some(text(q, "needed_by")), overdue: false });
            }
            if o["offerer"] == me && o["matched"] == true && o["commitments"].as_array().is_some_and(Vec::is_empty) {
                out.push(partnership::Need { what: "commit-offer", record: text(o, "id"), title: text(q, "description"), due: Some(text(q, "needed_by")), overdue: false });
            }
        }
    }
    for p in state["projects"].as_array().into_iter().flatten() {
        if p["lead"] != me || p["status"] != "active" {
            continue;
        }
        for m in p["milestones"].as_array().into_iter().flatten() {
            let Ok(due) = Timestamp::parse(m["due"].as_str().unwrap_or_default()) else { continue };
            if m["done"] == true || due.micros() - ctx.now.micros() > DUE_SOON_DAYS * DAY {
                continue;
            }
            out.push(partnership::Need { what: "project-milestone", record: text(p, "id"), title: format!("{}: {}", text(p, "title"), text(m, "name")), due: Some(due.to_string()), overdue: due < ctx.now });
        }
    }
    out
}
