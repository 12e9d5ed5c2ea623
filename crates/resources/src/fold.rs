//! The resources module's state kept as records arrive
//! ([`partnership::Fold`]), so that a read of the burden-sharing page
//! costs the figures and the page's tables, not the ledger.
//!
//! The fold keeps every commitment, delivery, confirmation and correction
//! read once (their first version, what the append-only ledger counts),
//! indexed by what they name, and from them, **under a basis** (the
//! reader's agreement and the resource terms in force):
//!
//! - each delivery's contribution (giver, receiver, year, status, value in
//!   cents, quantity) and each commitment's (pledged value, delivered and
//!   by-due quantities, complete or not), re-derived for the entries a new
//!   record touches — a delivery, its commitment, the corrections and
//!   words naming either — and applied **by difference** (the old
//!   contribution taken off, the new one added) to
//! - per (year, party) aggregates (pledged, confirmed, pending, disputed,
//!   received, in cents: integers, so the order of updates does not
//!   matter), per (year, giver) on-time counts (those delivered in full by
//!   their due date, and the due dates of the others, sorted, so that the
//!   late ones are counted at the read's `now` by a binary search), the
//!   ledger's order (delivered at, created, id), the commitments' order
//!   (created, id), and the lists `needs` reads (deliveries awaiting the
//!   receiver's word, commitments not complete);
//! - the records that break a cross-record rule, with the property at
//!   fault (`ignored`).
//!
//! A read ([`Fold::finish`]) derives what is small from the records
//! themselves, by the same code as [`crate::rules::state`] (terms,
//! proposals, declared figures, projects, capacity requests, the in-kind
//! entries of other modules), computes the figures per year from the
//! aggregates (`rules::period`), and draws the newest
//! [`crate::rules::WINDOW`] commitments and ledger lines (a line's running
//! total is its giver's total less what it confirmed after the line).
//!
//! When the basis changes (new terms in force, an accepted amendment,
//! another agreement version: a rate may revalue every entry), the read
//! re-derives every contribution once from the kept readings. The fold
//! sits behind a mutex for that: reads of one scope are served one at a
//! time. A new version of a ledger record drops the fold (the kit's rule,
//! [`partnership::fold`]). A delivery's quantities toward its commitment
//! are summed in the ledger's order over that commitment's deliveries on
//! each change (so a commitment with k deliveries costs k per change),
//! which keeps the floating-point sums equal to the derivation's.
//!
//! Contract (tested in `tests/it/fold.rs`): for records in any order and
//! batches, the state read from the fold equals [`crate::rules::state`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use model::{StixId, Timestamp};
use partnership::{Context, Error, Fold, Record, Records};
use policy::{Agreement, PartnerId};
use serde_json::{json, Value};

use crate::in_kind::{self, Valued};
use crate::projects::{self, Flow};
use crate::rules::{self, first, Aggregate, Head, OwnLine};
use crate::types::{year_of, Commitment, Confirmation, Correction, Delivery, COMMITMENT, CONFIRMATION, CORRECTION, DELIVERY};

/// A record's reading, kept with the version it was read from.
type Kept<T> = HashMap<StixId, (Timestamp, Result<T, Error>)>;

/// The ledger's records, each read once: by id, with the version read.
/// [`crate::rules::state_with`] takes one (empty: everything is read on
/// the spot).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Commitments, with their receiver when reading got that far.
    commitments: HashMap<StixId, (Timestamp, Option<PartnerId>, Result<Commitment, Error>)>,
    deliveries: Kept<Delivery>,
    confirmations: Kept<Confirmation>,
    corrections: Kept<Correction>,
}

/// `r`'s kept reading if it was read from this version, else `r` read now.
fn kept<'a, T: Clone>(map: &'a Kept<T>, r: &Record, read: fn(&Record) -> Result<T, Error>) -> Result<Cow<'a, T>, Error> {
    match map.get(&r.id) {
        Some((at, k)) if *at == r.modified => k.as_ref().map(Cow::Borrowed).map_err(Clone::clone),
        _ => read(r).map(Cow::Owned),
    }
}

impl Parsed {
    /// What [`Commitment::read`] says of `r` under `agreement`.
    pub fn commitment(&self, r: &Record, agreement: &Agreement) -> Result<Cow<'_, Commitment>, Error> {
        match self.commitments.get(&r.id) {
            Some((at, receiver, read)) if *at == r.modified => Commitment::checked(r, receiver.as_ref(), read.as_ref().map(Cow::Borrowed).map_err(Clone::clone), agreement),
            _ => Commitment::read(r, agreement).map(Cow::Owned),
        }
    }

    /// What [`Delivery::read`] says of `r`.
    pub fn delivery(&self, r: &Record) -> Result<Cow<'_, Delivery>, Error> {
        kept(&self.deliveries, r, Delivery::read)
    }

    /// What [`Confirmation::read`] says of `r`.
    pub fn confirmation(&self, r: &Record) -> Result<Cow<'_, Confirmation>, Error> {
        kept(&self.confirmations, r, Confirmation::read)
    }

    /// What [`Correction::read`] says of `r`.
    pub fn correction(&self, r: &Record) -> Result<Cow<'_, Correction>, Error> {
        kept(&self.corrections, r, Correction::read)
    }
}

/// A kept commitment: its first version's id, author, creation, the
/// receiver read and the reading (the receiver not yet checked against
/// the agreement).
#[derive(Debug, Clone)]
struct Com {
    record: Record,
    receiver: Option<PartnerId>,
    read: Result<Commitment, Error>,
}

/// A kept delivery.
#[derive(Debug, Clone)]
struct Del {
    record: Record,
    read: Result<Delivery, Error>,
}

/// A kept confirmation or correction: its author and reading.
#[derive(Debug, Clone)]
struct Said<T> {
    id: StixId,
    author: PartnerId,
    read: Result<T, Error>,
}

/// What the contributions are derived under: the reader's agreement
/// (a commitment's receiver must be a party) and the terms in force (the
/// rates).
#[derive(Debug, Clone)]
struct Basis {
    agreement: Agreement,
    terms: Option<crate::types::Terms>,
    /// The terms record and version in force, to compare bases cheaply.
    at: Option<(StixId, Timestamp)>,
}

impl Basis {
    fn same(&self, agreement: &Agreement, at: &Option<(StixId, Timestamp)>) -> bool {
        self.agreement.id == agreement.id && self.agreement.version == agreement.version && self.at == *at
    }
}

/// A delivery's contribution, as derived under the basis.
#[derive(Debug, Clone)]
struct DelOut {
    giver: PartnerId,
    receiver: PartnerId,
    commitment: StixId,
    year: i64,
    status: &'static str,
    quantity: f64,
    correction: Option<StixId>,
    word: Option<StixId>,
    value: Valued,
    /// The ledger's key: delivered at, created, id.
    key: (Timestamp, Timestamp, StixId),
}

/// A commitment's contribution, as derived under the basis.
#[derive(Debug, Clone)]
struct ComOut {
    giver: PartnerId,
    year: i64,
    due: Timestamp,
    quantity: f64,
    correction: Option<StixId>,
    value: Valued,
    done: f64,
    by_due: f64,
    funded: i128,
    /// Created, id: the commitments' order.
    key: (Timestamp, StixId),
}

/// Per (year, party): the aggregate, and how many valued entries made it
/// (a year shows once any valued entry falls in it).
type Cells = HashMap<(i64, PartnerId), Aggregate>;

/// Everything kept; see the module doc.
#[derive(Debug, Clone, Default)]
struct Book {
    coms: HashMap<StixId, Com>,
    dels: HashMap<StixId, Del>,
    words: HashMap<StixId, Said<Confirmation>>,
    fixes: HashMap<StixId, Said<Correction>>,
    /// Deliveries read, by the commitment they name.
    dels_of: HashMap<StixId, BTreeSet<StixId>>,
    /// Corrections read, by what they correct: (created, id), in order.
    fixes_of: HashMap<StixId, BTreeSet<(Timestamp, StixId)>>,
    /// Confirmations read, by the delivery they name: (created, id).
    words_of: HashMap<StixId, BTreeSet<(Timestamp, StixId)>>,
    /// Everything below is derived under this basis (none before the first read).
    basis: Option<Basis>,
    del_out: HashMap<StixId, DelOut>,
    com_out: HashMap<StixId, ComOut>,
    cells: Cells,
    years: BTreeMap<i64, u64>,
    /// Per (year, giver): commitments delivered in full by their due date,
    /// and the due dates of the others not cancelled (sorted).
    on_time: HashMap<(i64, PartnerId), (u64, Vec<Timestamp>)>,
    ledger: BTreeSet<(Timestamp, Timestamp, StixId)>,
    awaiting: BTreeSet<(Timestamp, Timestamp, StixId)>,
    commitments: BTreeSet<(Timestamp, StixId)>,
    open: BTreeSet<(Timestamp, StixId)>,
    /// Valid commitments naming a project or an offer.
    flowing: BTreeSet<StixId>,
    ignored: BTreeMap<StixId, Value>,
}

fn ignored(id: &StixId, property: &str, reason: String) -> Value {
    json!({ "id": id.as_str(), "property": property, "reason": reason })
}

impl Book {
    /// Keeps `record` (its first version among `records`) read.
    fn keep(&mut self, record: &Record, records: &Records) {
        let r = first(records, record);
        let created = record.created.clone();
        match r.kind.as_str() {
            COMMITMENT => {
                let (receiver, read) = Commitment::parse(r);
                self.coms.insert(r.id.clone(), Com { record: bare(r), receiver, read });
                self.commitment_arrived(&r.id);
            }
            DELIVERY => {
                let read = Delivery::read(r);
                if let Ok(d) = &read {
                    self.dels_of.entry(d.commitment.clone()).or_default().insert(r.id.clone());
                }
                self.dels.insert(r.id.clone(), Del { record: bare(r), read });
                self.refresh_delivery(&r.id);
            }
            CONFIRMATION => {
                let read = Confirmation::read(r);
                let named = read.as_ref().ok().map(|c| c.delivery.clone());
                if let Some(d) = &named {
                    self.words_of.entry(d.clone()).or_default().insert((created, r.id.clone()));
                }
                self.words.insert(r.id.clone(), Said { id: r.id.clone(), author: r.author.clone(), read });
                match named {
                    Some(d) => self.refresh_delivery(&d),
                    None => self.refresh_word(&r.id),
                }
            }
            CORRECTION => {
                let read = Correction::read(r);
                let named = read.as_ref().ok().map(|c| c.corrects.clone());
                if let Some(t) = &named {
                    self.fixes_of.entry(t.clone()).or_default().insert((created, r.id.clone()));
                }
                self.fixes.insert(r.id.clone(), Said { id: r.id.clone(), author: r.author.clone(), read });
                match named {
                    Some(t) if self.coms.contains_key(&t) => self.refresh_commitment(&t),
                    Some(t) if self.dels.contains_key(&t) => self.refresh_delivery(&t),
                    Some(t) => self.refresh_fixes(&t),
                    None => self.refresh_fix(&r.id),
                }
            }
            _ => {}
        }
    }

    /// A commitment just kept: it, the deliveries naming it, and it again
    /// (their progress).
    fn commitment_arrived(&mut self, id: &StixId) {
        self.refresh_commitment(id);
        for d in self.dels_of.get(id).cloned().unwrap_or_default() {
            self.refresh_delivery_only(&d);
        }
        self.refresh_commitment(id);
    }

    /// Derives everything again under `basis`.
    fn rebase(&mut self, basis: Basis) {
        self.basis = Some(basis);
        self.del_out.clear();
        self.com_out.clear();
        self.cells.clear();
        self.years.clear();
        self.on_time.clear();
        self.ledger.clear();
        self.awaiting.clear();
        self.commitments.clear();
        self.open.clear();
        self.flowing.clear();
        self.ignored.clear();
        let coms: Vec<StixId> = self.coms.keys().cloned().collect();
        let dels: Vec<StixId> = self.dels.keys().cloned().collect();
        let words: Vec<StixId> = self.words.keys().cloned().collect();
        let fixes: Vec<StixId> = self.fixes.keys().cloned().collect();
        for d in &dels {
            self.delivery_out(d);
        }
        for c in &coms {
            self.commitment_out(c);
        }
        for w in &words {
            self.refresh_word(w);
        }
        for k in &fixes {
            self.refresh_fix(k);
        }
    }

    /// The commitment `id` if it reads and its receiver is a party.
    fn valid_commitment(&self, id: &StixId) -> Option<(&Com, &Commitment)> {
        let basis = self.basis.as_ref()?;
        let com = self.coms.get(id)?;
        let c = com.read.as_ref().ok()?;
        match &com.receiver {
            Some(r) if !basis.agreement.is_party(r) => None,
            _ => Some((com, c)),
        }
    }

    /// Why commitment `id` is not in the ledger, if it is not.
    fn commitment_fault(&self, id: &StixId) -> Option<String> {
        let basis = self.basis.as_ref()?;
        let com = self.coms.get(id)?;
        match (&com.receiver, &com.read) {
            (Some(r), _) if !basis.agreement.is_party(r) => Some(Error::invalid(id, "receiver_ref", format!("{r} is not a party to {}", basis.agreement.id)).to_string()),
            (_, Err(e)) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The delivery `id` if it is in the ledger: read, against a valid
    /// commitment by its own giver.
    fn valid_delivery(&self, id: &StixId) -> Option<(&Del, &Delivery, &Com, &Commitment)> {
        let del = self.dels.get(id)?;
        let d = del.read.as_ref().ok()?;
        let (com, c) = self.valid_commitment(&d.commitment)?;
        (com.record.author == del.record.author).then_some((del, d, com, c))
    }

    /// The correction of `target` that counts: the last by its author.
    fn correction_of(&self, target: &StixId, author: &PartnerId) -> Option<(&StixId, &Correction)> {
        self.fixes_of.get(target)?.iter().rev().find_map(|(_, k)| {
            let s = self.fixes.get(k)?;
            (s.author == *author).then_some(())?;
            s.read.as_ref().ok().map(|c| (&s.id, c))
        })
    }

    /// Re-derives delivery `id` and what depends on it: its commitment's
    /// progress, the corrections and words naming it.
    fn refresh_delivery(&mut self, id: &StixId) {
        let before = self.del_out.get(id).map(|o| o.commitment.clone());
        self.refresh_delivery_only(id);
        let after = self.del_out.get(id).map(|o| o.commitment.clone());
        for c in before.into_iter().chain(after) {
            self.refresh_commitment(&c);
        }
    }

    /// Re-derives delivery `id`, the corrections and words naming it (not its commitment).
    fn refresh_delivery_only(&mut self, id: &StixId) {
        self.delivery_out(id);
        self.refresh_fixes(id);
        for (_, w) in self.words_of.get(id).cloned().unwrap_or_default() {
            self.refresh_word(&w);
        }
    }

    /// Delivery `id`'s contribution taken off and derived again.
    fn delivery_out(&mut self, id: &StixId) {
        if self.basis.is_none() {
            return;
        }
        if let Some(old) = self.del_out.remove(id) {
            self.apply_delivery(&old, -1);
        }
        self.ignored.remove(id);
        let Some(del) = self.dels.get(id) else { return };
        let d = match &del.read {
            Ok(d) => d,
            Err(e) => {
                self.ignored.insert(id.clone(), ignored(id, "", e.to_string()));
                return;
            }
        };
        let fault = match self.valid_commitment(&d.commitment) {
            Some((com, _)) if com.record.author == del.record.author => None,
            Some((com, _)) => Some(format!("{} is {}'s commitment: only its giver delivers against it", com.record.id, com.record.author)),
            None => Some(format!("no commitment {} here (yet)", d.commitment)),
        };
        if let Some(why) = fault {
            self.ignored.insert(id.clone(), ignored(id, "commitment_ref", why));
            return;
        }
        let (del, d, _, c) = self.valid_delivery(id).expect("checked above");
        let correction = self.correction_of(id, &del.record.author);
        let quantity = correction.map_or(d.quantity, |(_, k)| k.quantity);
        let word = self.words_of.get(id).and_then(|ws| {
            ws.iter().rev().find_map(|(_, w)| {
                let s = self.words.get(w)?;
                (s.author == c.receiver).then_some(())?;
                s.read.as_ref().ok().map(|x| (&s.id, x))
            })
        });
        let current = word.filter(|(_, w)| w.correction.as_ref() == correction.map(|(k, _)| k));
        let status = match current {
            Some((_, w)) if w.confirmed => "confirmed",
            Some(_) => "disputed",
            None => "awaiting-confirmation",
        };
        let terms = self.basis.as_ref().and_then(|b| b.terms.as_ref());
        let out = DelOut {
            giver: del.record.author.clone(),
            receiver: c.receiver.clone(),
            commitment: d.commitment.clone(),
            year: year_of(&d.delivered_at),
            status,
            quantity,
            correction: correction.map(|(k, _)| k.clone()),
            word: word.map(|(w, _)| w.clone()),
            value: rules::value(terms, c, quantity, year_of(&d.delivered_at)),
            key: (d.delivered_at.clone(), del.record.created.clone(), id.clone()),
        };
        self.apply_delivery(&out, 1);
        self.del_out.insert(id.clone(), out);
    }

    /// Adds (`sign` 1) or takes off (−1) a delivery's contribution.
    fn apply_delivery(&mut self, o: &DelOut, sign: i128) {
        if let Ok(v) = o.value {
            let giver = self.cells.entry((o.year, o.giver.clone())).or_default();
            match o.status {
                "confirmed" => giver.confirmed += sign * v,
                "disputed" => giver.disputed += sign * v,
                _ => giver.pending += sign * v,
            }
            if o.status == "confirmed" {
                self.cells.entry((o.year, o.receiver.clone())).or_default().received += sign * v;
            }
            count(&mut self.years, o.year, sign);
        }
        let key = o.key.clone();
        if sign > 0 {
            self.ledger.insert(key.clone());
            if o.status == "awaiting-confirmation" {
                self.awaiting.insert(key);
            }
        } else {
            self.ledger.remove(&key);
            self.awaiting.remove(&key);
        }
    }

    /// Re-derives commitment `id` and the corrections naming it.
    fn refresh_commitment(&mut self, id: &StixId) {
        self.commitment_out(id);
        self.refresh_fixes(id);
    }

    /// Commitment `id`'s contribution taken off and derived again.
    fn commitment_out(&mut self, id: &StixId) {
        if self.basis.is_none() {
            return;
        }
        if let Some(old) = self.com_out.remove(id) {
            self.apply_commitment(id, &old, -1);
        }
        self.ignored.remove(id);
        if let Some(why) = self.commitment_fault(id) {
            self.ignored.insert(id.clone(), ignored(id, "", why));
            return;
        }
        let Some((com, c)) = self.valid_commitment(id) else { return };
        let correction = self.correction_of(id, &com.record.author);
        let quantity = correction.map_or(c.quantity, |(_, k)| k.quantity);
        // Progress: the confirmed deliveries in the ledger's order.
        let mut confirmed: Vec<&DelOut> = self.dels_of.get(id).into_iter().flatten().filter_map(|d| self.del_out.get(d)).filter(|o| o.status == "confirmed" && o.commitment == *id).collect();
        confirmed.sort_by(|a, b| a.key.cmp(&b.key));
        let (mut done, mut by_due, mut funded) = (0.0, 0.0, 0i128);
        for o in confirmed {
            done += o.quantity;
            if o.key.0 <= c.due {
                by_due += o.quantity;
            }
            if let Ok(v) = o.value {
                funded += v;
            }
        }
        let terms = self.basis.as_ref().and_then(|b| b.terms.as_ref());
        let out = ComOut {
            giver: com.record.author.clone(),
            year: c.year,
            due: c.due.clone(),
            quantity,
            correction: correction.map(|(k, _)| k.clone()),
            value: rules::value(terms, c, quantity, c.year),
            done,
            by_due,
            funded,
            key: (com.record.created.clone(), id.clone()),
        };
        let flows = c.project.is_some() || c.offer.is_some();
        self.apply_commitment(id, &out, 1);
        if flows {
            self.flowing.insert(id.clone());
        }
        self.com_out.insert(id.clone(), out);
    }

    /// Adds (`sign` 1) or takes off (−1) a commitment's contribution.
    fn apply_commitment(&mut self, id: &StixId, o: &ComOut, sign: i128) {
        if let Ok(v) = o.value {
            self.cells.entry((o.year, o.giver.clone())).or_default().pledged += sign * v;
            count(&mut self.years, o.year, sign);
        }
        let slot = self.on_time.entry((o.year, o.giver.clone())).or_default();
        if o.quantity != 0.0 {
            if o.by_due >= o.quantity {
                slot.0 = if sign > 0 { slot.0 + 1 } else { slot.0 - 1 };
            } else {
                let at = slot.1.partition_point(|d| *d < o.due);
                if sign > 0 {
                    slot.1.insert(at, o.due.clone());
                } else {
                    slot.1.remove(at);
                }
            }
        }
        let open = o.done < o.quantity;
        if sign > 0 {
            self.commitments.insert(o.key.clone());
            if open {
                self.open.insert(o.key.clone());
            }
        } else {
            self.commitments.remove(&o.key);
            self.open.remove(&o.key);
            self.flowing.remove(id);
        }
    }

    /// Re-says whether each correction naming `target` counts.
    fn refresh_fixes(&mut self, target: &StixId) {
        for (_, k) in self.fixes_of.get(target).cloned().unwrap_or_default() {
            self.refresh_fix(&k);
        }
    }

    /// Whether correction `id` is listed as ignored, and why.
    fn refresh_fix(&mut self, id: &StixId) {
        if self.basis.is_none() {
            return;
        }
        self.ignored.remove(id);
        let Some(s) = self.fixes.get(id) else { return };
        let why = match &s.read {
            Err(e) => Some(("", e.to_string())),
            Ok(k) => {
                let author = self.valid_commitment(&k.corrects).map(|(c, _)| &c.record.author).or_else(|| self.valid_delivery(&k.corrects).map(|(d, ..)| &d.record.author));
                match author {
                    Some(a) if *a == s.author => None,
                    Some(a) => Some(("corrects_ref", format!("{} is {a}'s: only its author corrects it", k.corrects))),
                    None => Some(("corrects_ref", format!("no commitment or delivery {} here (yet)", k.corrects))),
                }
            }
        };
        if let Some((p, why)) = why {
            self.ignored.insert(id.clone(), ignored(id, p, why));
        }
    }

    /// Whether confirmation `id` is listed as ignored, and why.
    fn refresh_word(&mut self, id: &StixId) {
        if self.basis.is_none() {
            return;
        }
        self.ignored.remove(id);
        let Some(s) = self.words.get(id) else { return };
        let why = match &s.read {
            Err(e) => Some(("", e.to_string())),
            Ok(w) => match self.valid_delivery(&w.delivery).map(|(.., c)| &c.receiver) {
                Some(p) if *p == s.author => None,
                Some(p) => Some(("delivery_ref", format!("{} was delivered to {p}: only the receiver confirms it", w.delivery))),
                None => Some(("delivery_ref", format!("no delivery {} here (yet)", w.delivery))),
            },
        };
        if let Some((p, why)) = why {
            self.ignored.insert(id.clone(), ignored(id, p, why));
        }
    }

    /// The ledger line of delivery `id` (in the ledger), `running` its giver's running total.
    fn own_line(&self, id: &StixId, running: i128) -> Option<Value> {
        let (del, d, com, c) = self.valid_delivery(id)?;
        let o = self.del_out.get(id)?;
        let line = OwnLine {
            id,
            giver: &del.record.author,
            commitment: &com.record.id,
            c,
            d,
            quantity: o.quantity,
            correction: o.correction.as_ref(),
            status: o.status,
            word: o.word.as_ref(),
            value: &o.value,
        };
        Some(rules::own_line(line, running))
    }

    /// Commitment `id` as the state lists it, judged at `now`.
    fn commitment_json(&self, id: &StixId, now: &Timestamp) -> Option<Value> {
        let (com, c) = self.valid_commitment(id)?;
        let o = self.com_out.get(id)?;
        let reason = o.correction.as_ref().and_then(|k| self.fixes.get(k)).and_then(|s| s.read.as_ref().ok()).map(|k| k.reason.as_str()).unwrap_or_default();
        let timely = rules::timely(o.quantity, o.by_due, &o.due, now);
        Some(rules::commitment_json(id, &com.record.author, c, o.quantity, o.correction.as_ref().map(|k| (k, reason)), &o.value, o.done, timely))
    }
}

/// `years[year]` counted up or down; gone at 0.
fn count(years: &mut BTreeMap<i64, u64>, year: i64, sign: i128) {
    let n = years.entry(year).or_default();
    if sign > 0 {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
        if *n == 0 {
            years.remove(&year);
        }
    }
}

/// What the fold keeps of a record: its identity, author and times, not
/// its properties (the reading holds what counts).
fn bare(r: &Record) -> Record {
    Record { properties: Default::default(), ..r.clone() }
}

/// The resources module's fold.
#[derive(Debug, Default)]
pub struct ResourcesFold {
    book: Mutex<Book>,
}

impl ResourcesFold {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Fold for ResourcesFold {
    fn add(&mut self, record: &Record, records: &Records) -> bool {
        self.book.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).keep(record, records);
        true
    }

    fn finish(&self, records: &Records, ctx: &Context<'_>) -> Value {
        let mut book = self.book();
        let mut ignored: Vec<Value> = Vec::new();
        let mut ignore = |r: &Record, property: &str, reason: String| ignored.push(json!({ "id": r.id.as_str(), "property": property, "reason": reason }));
        let Head { in_force, proposals, declared } = rules::head(records, ctx, &mut ignore);
        let at = in_force.as_ref().map(|f| (f.record.id.clone(), f.version.modified.clone()));
        if !book.basis.as_ref().is_some_and(|b| b.same(ctx.agreement, &at)) {
            book.rebase(Basis { agreement: ctx.agreement.clone(), terms: in_force.as_ref().map(|f| f.terms.clone()), at });
        }
        let book = &*book;
        let terms = in_force.as_ref().map(|f| &f.terms);
        let parties: BTreeSet<&PartnerId> = ctx.agreement.terms.parties.iter().collect();

        // Other modules' in-kind entries: few, drawn from the records.
        let mut drawn = in_kind::draw(records, terms, &ctx.now, &mut ignore);
        drawn.entries.sort_by(|a, b| (&a.at, &a.record.created, &a.record.id).cmp(&(&b.at, &b.record.created, &b.record.id)));

        // The aggregates: the fold's, the drawn entries added.
        let mut aggregates: BTreeMap<i64, BTreeMap<&PartnerId, Aggregate>> = book.years.keys().map(|y| (*y, BTreeMap::new())).collect();
        for ((y, p), a) in &book.cells {
            if let Some(m) = aggregates.get_mut(y) {
                m.insert(p, *a);
            }
        }
        let mut totals: HashMap<&PartnerId, i128> = HashMap::new();
        for ((_, p), a) in &book.cells {
            *totals.entry(p).or_default() += a.confirmed;
        }
        rules::add_drawn_pledges(&mut aggregates, &drawn);
        for k in &drawn.entries {
            if let Some(v) = rules::add_drawn(&mut aggregates, k) {
                *totals.entry(&k.giver).or_default() += v;
            }
        }
        let mut on_time: BTreeMap<(i64, &PartnerId), (u64, u64)> = BTreeMap::new();
        for ((y, p), (timely, dues)) in &book.on_time {
            let late = dues.partition_point(|d| *d < ctx.now) as u64;
            if *timely + late > 0 {
                on_time.insert((*y, p), (*timely, *timely + late));
            }
        }

        // The newest lines, own and drawn merged, with running totals.
        let mut after: HashMap<&PartnerId, i128> = HashMap::new();
        let mut own = book.ledger.iter().rev().peekable();
        let mut other = drawn.entries.iter().rev().peekable();
        let mut ledger = Vec::new();
        while ledger.len() < rules::WINDOW {
            let take_own = match (own.peek(), other.peek()) {
                (Some(o), Some(k)) => (&o.0, &o.1, &o.2) > (&k.at, &k.record.created, &k.record.id),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_own {
                let (_, _, id) = own.next().expect("peeked");
                let o = &book.del_out[id];
                let run = totals.get(&o.giver).copied().unwrap_or(0) - after.get(&o.giver).copied().unwrap_or(0);
                ledger.extend(book.own_line(id, run));
                if let (Ok(v), "confirmed") = (&o.value, o.status) {
                    *after.entry(&o.giver).or_default() += v;
                }
            } else {
                let k = other.next().expect("peeked");
                let run = totals.get(&k.giver).copied().unwrap_or(0) - after.get(&k.giver).copied().unwrap_or(0);
                ledger.push(rules::drawn_line(k, run));
                if let (Ok(v), "confirmed") = (&k.value, k.status) {
                    *after.entry(&k.giver).or_default() += v;
                }
            }
        }
        ledger.reverse();
        let awaiting: Vec<Value> = book.awaiting.iter().filter_map(|(_, _, id)| book.own_line(id, 0)).map(|l| rules::awaiting_json(&l)).collect();
        let mut commitments: Vec<Value> = book.commitments.iter().rev().take(rules::WINDOW).filter_map(|(_, id)| book.commitment_json(id, &ctx.now)).collect();
        commitments.reverse();
        let open: Vec<Value> = book.open.iter().filter_map(|(_, id)| book.commitment_json(id, &ctx.now)).collect();

        // Projects and capacity requests, from the commitments funding them.
        let mut flows: BTreeMap<&StixId, Flow<'_>> = BTreeMap::new();
        for id in &book.flowing {
            let (Some((com, c)), Some(o)) = (book.valid_commitment(id), book.com_out.get(id)) else { continue };
            flows.insert(
                id,
                Flow { giver: &com.record.author, project: c.project.as_ref(), offer: c.offer.as_ref(), quantity: o.quantity, pledged: o.value.as_ref().ok().copied(), funded: o.funded, delivered: o.done },
            );
        }
        let exercise_left_out = drawn.exercise_left_out;
        let ledger_count = book.ledger.len() + drawn.entries.len();
        let years: BTreeSet<i64> = aggregates.keys().copied().collect();
        let periods: Vec<Value> = years.iter().map(|y| rules::period(*y, &parties, &aggregates, &declared, &on_time, terms)).collect();
        let balances = rules::balances_json(&parties, &aggregates, &periods);
        let figures = rules::figures_json(&declared);
        let projects = projects::projects(records, ctx, &flows, &mut ignored);
        let requests = projects::requests(records, &flows, &mut ignored);
        ignored.extend(book.ignored.values().cloned());
        ignored.sort_by(rules::ignored_order);
        json!({
            "terms": rules::in_force_json(in_force.as_ref()),
            "proposals": proposals,
            "figures": figures,
            "commitments": commitments,
            "ledger": ledger,
            "balances": balances,
            "periods": periods,
            "projects": projects,
            "requests": requests,
            "ignored": ignored,
            "exercise_left_out": exercise_left_out,
            "ledger_count": ledger_count,
            "commitments_count": book.commitments.len(),
            "awaiting": awaiting,
            "open": open,
        })
    }

    fn boxed_clone(&self) -> Box<dyn Fold> {
        Box::new(ResourcesFold { book: Mutex::new(self.book().clone()) })
    }
}
