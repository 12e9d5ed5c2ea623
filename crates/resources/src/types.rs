//! The resources module's record kinds — the resource terms (common unit,
//! in-kind rates, exchange rates per year, the cost-share key) and their
//! acceptances, declared figures, commitments, deliveries, confirmations
//! and corrections, joint projects, requests for support, offers and
//! matches — and how each is read from a record, every fault
//! named by its property as a path (`exchange_rates[2].rate`).
//!
//! These checks look at one record and its agreement only (what
//! `Module::validate` may do). Checks against other records (a delivery
//! against the giver's own commitment, a confirmation by the receiver, a
//! currency with a rate for its year under the terms in force) are the
//! actions' ([`crate::actions`]); the state leaves out, and lists, what
//! fails them ([`crate::rules`]).

use std::collections::BTreeMap;

use model::{StixId, Timestamp};
use partnership::{consent, Error, Record};
use policy::{Agreement, PartnerId};
use serde_json::Value;

/// The `extension-definition` (`new-sdo`) the module's record types are defined by.
pub const EXTENSION: &str = "extension-definition--5b0e7c1a-3f64-4d2b-a8e9-71c2d40f6a35";

/// The resource terms: common unit, in-kind rates, exchange rates, cost-share key.
pub const TERMS: &str = "x-entente-resource-terms";
/// A party's acceptance of one exact version of the resource terms (`partnership::consent`).
pub const ACCEPTANCE: &str = "x-entente-resource-terms-acceptance";
/// A party's declared figures for a year (GNI, population, GDP, defence spending).
pub const FIGURES: &str = "x-entente-declared-figures";
/// A pledge by a party (the giver) to another (the receiver).
pub const COMMITMENT: &str = "x-entente-commitment";
/// A delivery against a commitment, by its giver.
pub const DELIVERY: &str = "x-entente-delivery";
/// The receiver's confirmation (or dispute) of a delivery.
pub const CONFIRMATION: &str = "x-entente-delivery-confirmation";
/// A correction of a commitment's or a delivery's quantity, by its author: a new record, never an edit.
pub const CORRECTION: &str = "x-entente-ledger-correction";

/// A joint technology project: a budget, participants, milestones and deliverables, led by its author.
pub const PROJECT: &str = "x-entente-joint-project";
/// A party's request for support (capacity building).
pub const REQUEST: &str = "x-entente-capacity-request";
/// Another party's offer against a request.
pub const OFFER: &str = "x-entente-capacity-offer";
/// The requester's acceptance of an offer: the offer is matched, and its offerer commits it.
pub const MATCH: &str = "x-entente-capacity-match";

/// The record kinds.
pub const KINDS: &[&str] = &[TERMS, ACCEPTANCE, FIGURES, COMMITMENT, DELIVERY, CONFIRMATION, CORRECTION, PROJECT, REQUEST, OFFER, MATCH];

/// What a commitment pledges. Money, equipment and capabilities are
/// stated in a currency; the others in their own measure, valued at the
/// terms' in-kind rates.
pub const RESOURCE_KINDS: &[&str] = &["money", "equipment", "capability", "personnel", "training", "hosting", "intelligence"];

/// The largest quantity, amount or figure: far beyond any budget in cents.
pub const MAX_AMOUNT: f64 = 1e15;
/// Years the ledger accepts.
pub const YEARS: std::ops::RangeInclusive<i64> = 1900..=2200;
const SHORT: usize = 300;
const LONG: usize = 20_000;
const MANY: usize = 1_000;

/// The in-kind rate's kind for crisis assistance (`crate::in_kind`): its
/// `category` is the unit a crisis request counts in (`people`, `hours`).
pub const ASSISTANCE_RATE: &str = "assistance";

/// Whether a resource kind is stated in a currency.
pub fn in_currency(kind: &str) -> bool {
    matches!(kind, "money" | "equipment" | "capability")
}

/// The measure a kind's quantity counts.
pub fn measure(kind: &str) -> &'static str {
    match kind {
        "personnel" => "hours",
        "training" => "seats",
        "hosting" => "days",
        "intelligence" => "contributions",
        _ => "currency",
    }
}

/// How the cost shares are set.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// `1/n` each.
    Equal,
    /// Proportional to GNI.
    Gni,
    /// UN-scale-style: low per-capita income adjustment, floor, ceiling.
    UnScale {
        /// The low per-capita income gradient (the UN's is 0.8).
        gradient: f64,
        /// The smallest share.
        floor: f64,
        /// The largest share.
        ceiling: f64,
    },
    /// `α·equal + (1−α)·GNI`.
    Blend {
        /// The weight of equal shares.
        alpha: f64,
    },
    /// Shares as listed, per party.
    Fixed(BTreeMap<PartnerId, f64>),
    /// Proportional to GNI, the largest capped at the next-largest's share.
    Capped,
}

impl Key {
    /// Its method's name, as written in the terms.
    pub fn method(&self) -> &'static str {
        match self {
            Key::Equal => "equal",
            Key::Gni => "gni",
            Key::UnScale { .. } => "un-scale",
            Key::Blend { .. } => "blend",
            Key::Fixed(_) => "fixed",
            Key::Capped => "capped",
        }
    }

    /// Whether it needs the parties' declared GNI (and, UN-style, population).
    pub fn needs_figures(&self) -> bool {
        !matches!(self, Key::Equal | Key::Fixed(_))
    }
}

/// One in-kind rate: the value of one unit of a kind (per hour of a
/// personnel category, per training seat, per day of hosting, per
/// intelligence contribution) in the common unit.
#[derive(Debug, Clone, PartialEq)]
pub struct InKindRate {
    /// `personnel`, `training`, `hosting`, `intelligence` or `assistance`.
    pub kind: String,
    /// The personnel category (`analyst`), or the unit of crisis
    /// assistance (`people`); none for the other kinds.
    pub category: Option<String>,
    /// Common units per hour, seat, day or contribution.
    pub rate: f64,
}

/// The resource terms of an agreement, in force once every party
/// accepted their exact latest version.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// The common unit: an ISO 4217 code (`EUR`).
    pub unit: String,
    /// In-kind rates.
    pub in_kind: Vec<InKindRate>,
    /// Common units per one unit of a currency, per year: `(currency, year) → rate`.
    pub exchange: BTreeMap<(String, i64), f64>,
    /// Where the exchange rates come from (`ECB annual average`), if said.
    pub exchange_source: Option<String>,
    /// The cost-share key.
    pub key: Key,
}

impl Terms {
    /// Common units per one `currency` in `year`: 1 for the unit itself,
    /// else the rate the terms give, if they do.
    pub fn exchange_rate(&self, currency: &str, year: i64) -> Option<f64> {
        if currency == self.unit {
            return Some(1.0);
        }
        self.exchange.get(&(currency.to_owned(), year)).copied()
    }

    /// The in-kind rate for `kind` (and its personnel `category`).
    pub fn in_kind_rate(&self, kind: &str, category: Option<&str>) -> Option<f64> {
        self.in_kind.iter().find(|r| r.kind == kind && r.category.as_deref() == category).map(|r| r.rate)
    }

    /// The rate for crisis assistance counted in `unit` (its `assistance`
    /// rate whose category is the unit, compared trimmed and without case).
    pub fn assistance_rate(&self, unit: &str) -> Option<f64> {
        let unit = unit.trim().to_lowercase();
        self.in_kind.iter().find(|r| r.kind == ASSISTANCE_RATE && r.category.as_deref().is_some_and(|c| c.trim().to_lowercase() == unit)).map(|r| r.rate)
    }

    /// Reads the terms' version, each part checked, parties of a fixed key
    /// checked against `agreement`.
    pub fn read(record: &Record, agreement: &Agreement) -> Result<Terms, Error> {
        let id = &record.id;
        let unit = currency(id, "unit", record.properties.get("unit"))?;
        let mut in_kind = Vec::new();
        for (i, v) in list(record, "in_kind_rates")?.iter().enumerate() {
            let at = |p: &str| format!("in_kind_rates[{i}].{p}");
            let map = v.as_object().ok_or_else(|| Error::invalid(id, format!("in_kind_rates[{i}]"), "must be an object"))?;
            only(id, &format!("in_kind_rates[{i}]"), map, &["kind", "category", "rate"])?;
            let kind = map.get("kind").and_then(Value::as_str).filter(|k| (!in_currency(k) && RESOURCE_KINDS.contains(k)) || *k == ASSISTANCE_RATE);
            let kind = kind.ok_or_else(|| Error::invalid(id, at("kind"), "must be personnel, training, hosting, intelligence or assistance"))?.to_owned();
            let category = match map.get("category") {
                None | Some(Value::Null) => None,
                Some(v) => Some(short(id, &at("category"), Some(v))?),
            };
            if (kind == "personnel" || kind == ASSISTANCE_RATE) != category.is_some() {
                return Err(Error::invalid(
                    id,
                    at("category"),
                    "is required for personnel (the category of staff) and assistance (the unit a crisis request counts in), and only for them",
                ));
            }
            let rate = amount(id, &at("rate"), map.get("rate"))?;
            if in_kind.iter().any(|r: &InKindRate| r.kind == kind && r.category == category) {
                return Err(Error::invalid(id, at("kind"), "repeats an earlier rate for the same kind and category"));
            }
            in_kind.push(InKindRate { kind, category, rate });
        }
        let mut exchange = BTreeMap::new();
        for (i, v) in list(record, "exchange_rates")?.iter().enumerate() {
            let at = |p: &str| format!("exchange_rates[{i}].{p}");
            let map = v.as_object().ok_or_else(|| Error::invalid(id, format!("exchange_rates[{i}]"), "must be an object"))?;
            only(id, &format!("exchange_rates[{i}]"), map, &["currency", "year", "rate"])?;
            let cur = currency(id, &at("currency"), map.get("currency"))?;
            if cur == unit {
                return Err(Error::invalid(id, at("currency"), format!("is the common unit ({unit}), whose rate is 1")));
            }
            let year = year(id, &at("year"), map.get("year"))?;
            let rate = amount(id, &at("rate"), map.get("rate"))?;
            if rate <= 0.0 {
                return Err(Error::invalid(id, at("rate"), "must be above 0"));
            }
            if exchange.insert((cur, year), rate).is_some() {
                return Err(Error::invalid(id, at("year"), "repeats an earlier rate for the same currency and year"));
            }
        }
        let exchange_source = opt_text(id, "exchange_source", record.properties.get("exchange_source"), SHORT)?;
        let key = read_key(record, agreement)?;
        Ok(Terms { unit, in_kind, exchange, exchange_source, key })
    }
}

fn read_key(record: &Record, agreement: &Agreement) -> Result<Key, Error> {
    let id = &record.id;
    let map = record.properties.get("cost_share").and_then(Value::as_object).ok_or_else(|| Error::invalid(id, "cost_share", "is required (an object with a method)"))?;
    let method = map.get("method").and_then(Value::as_str).unwrap_or_default();
    let allowed: &[&str] = match method {
        "equal" | "gni" | "capped" => &["method"],
        "blend" => &["method", "alpha"],
        "un-scale" => &["method", "gradient", "floor", "ceiling"],
        "fixed" => &["method", "shares"],
        _ => return Err(Error::invalid(id, "cost_share.method", "must be equal, gni, un-scale, blend, fixed or capped")),
    };
    only(id, "cost_share", map, allowed)?;
    let fraction = |p: &str, default: Option<f64>| -> Result<f64, Error> {
        let at = format!("cost_share.{p}");
        let v = match (map.get(p), default) {
            (None, Some(d)) => d,
            (v, _) => v.and_then(Value::as_f64).ok_or_else(|| Error::invalid(id, &at, "is required (a number from 0 to 1)"))?,
        };
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::invalid(id, at, "must be a number from 0 to 1"));
        }
        Ok(v)
    };
    let n = agreement.terms.parties.len() as f64;
    Ok(match method {
        "equal" => Key::Equal,
        "gni" => Key::Gni,
        "capped" => Key::Capped,
        "blend" => Key::Blend { alpha: fraction("alpha", None)? },
        "un-scale" => {
            let (gradient, floor, ceiling) = (fraction("gradient", Some(0.8))?, fraction("floor", Some(0.0))?, fraction("ceiling", Some(1.0))?);
            if floor > ceiling {
                return Err(Error::invalid(id, "cost_share.floor", format!("is above the ceiling ({ceiling})")));
            }
            if floor * n > 1.0 + 1e-12 {
                return Err(Error::invalid(id, "cost_share.floor", format!("times the {n} parties exceeds 1")));
            }
            if ceiling * n < 1.0 - 1e-12 {
                return Err(Error::invalid(id, "cost_share.ceiling", format!("times the {n} parties does not reach 1")));
            }
            Key::UnScale { gradient, floor, ceiling }
        }
        _ => {
            let shares = map.get("shares").and_then(Value::as_object).ok_or_else(|| Error::invalid(id, "cost_share.shares", "is required (party id → share)"))?;
            let mut out = BTreeMap::new();
            for (party, v) in shares {
                let at = format!("cost_share.shares.{party}");
                let p = StixId::parse(party).map_err(|e| Error::invalid(id, &at, e))?;
                if !agreement.is_party(&p) {
                    return Err(Error::invalid(id, at, format!("{p} is not a party to {}", agreement.id)));
                }
                let s = v.as_f64().filter(|s| (0.0..=1.0).contains(s)).ok_or_else(|| Error::invalid(id, &at, "must be a number from 0 to 1"))?;
                out.insert(p, s);
            }
            if let Some(p) = agreement.terms.parties.iter().find(|p| !out.contains_key(*p)) {
                return Err(Error::invalid(id, "cost_share.shares", format!("names no share for the party {p}")));
            }
            let total: f64 = out.values().sum();
            if (total - 1.0).abs() > 1e-9 {
                return Err(Error::invalid(id, "cost_share.shares", format!("sum to {total}, not 1")));
            }
            Key::Fixed(out)
        }
    })
}

/// A party's declared figures for a year, in a currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The year they are for.
    pub year: i64,
    /// The currency of the money figures.
    pub currency: String,
    /// Gross national income.
    pub gni: f64,
    /// Population.
    pub population: f64,
    /// Gross domestic product, if declared.
    pub gdp: Option<f64>,
    /// Defence spending, if declared.
    pub defence_spending: Option<f64>,
}

impl Figures {
    /// Reads declared figures: a year, a currency, GNI and population above 0.
    pub fn read(record: &Record) -> Result<Figures, Error> {
        let id = &record.id;
        let year = year(id, "year", record.properties.get("year"))?;
        let currency = currency(id, "currency", record.properties.get("currency"))?;
        let gni = amount(id, "gni", record.properties.get("gni"))?;
        let population = amount(id, "population", record.properties.get("population"))?;
        if population <= 0.0 {
            return Err(Error::invalid(id, "population", "must be above 0"));
        }
        let opt = |p: &str| record.properties.get(p).filter(|v| !v.is_null()).map(|v| amount(id, p, Some(v))).transpose();
        Ok(Figures { year, currency, gni, population, gdp: opt("gdp")?, defence_spending: opt("defence_spending")? })
    }
}

/// A commitment: what the giver (its author) pledges to the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    /// One of [`RESOURCE_KINDS`].
    pub kind: String,
    /// How much: an amount in `currency`, or hours, seats, days, contributions.
    pub quantity: f64,
    /// The currency, for money, equipment and capabilities.
    pub currency: Option<String>,
    /// The personnel category, for personnel.
    pub category: Option<String>,
    /// The party receiving it, who confirms deliveries.
    pub receiver: PartnerId,
    /// The year it counts for.
    pub year: i64,
    /// When it is due in full.
    pub due: Timestamp,
    /// What it is.
    pub description: String,
    /// The joint project it funds, if any.
    pub project: Option<StixId>,
    /// The matched capacity-building offer it honours, if any.
    pub offer: Option<StixId>,
}

impl Commitment {
    /// Reads a commitment, the receiver a party of `agreement` other than the giver.
    pub fn read(record: &Record, agreement: &Agreement) -> Result<Commitment, Error> {
        let (receiver, read) = Commitment::parse(record);
        Commitment::checked(record, receiver.as_ref(), read, agreement)
    }

    /// Reads a commitment without its agreement (what a fold keeps): the
    /// receiver, when reading got that far, and the rest of the reading.
    /// [`Commitment::checked`] then says what [`Commitment::read`] says.
    pub fn parse(record: &Record) -> (Option<PartnerId>, Result<Commitment, Error>) {
        let mut seen = None;
        let read = Commitment::read_as(record, &mut |r: &PartnerId| {
            seen = Some(r.clone());
            Ok(())
        });
        (seen, read)
    }

    /// What [`Commitment::read`] says of a [`Commitment::parse`]: the
    /// receiver is checked against `agreement` first, as `read` does.
    pub fn checked<T>(record: &Record, receiver: Option<&PartnerId>, read: Result<T, Error>, agreement: &Agreement) -> Result<T, Error> {
        match receiver {
            Some(r) if !agreement.is_party(r) => Err(Error::invalid(&record.id, "receiver_ref", format!("{r} is not a party to {}", agreement.id))),
            _ => read,
        }
    }

    fn read_as(record: &Record, party: &mut dyn FnMut(&PartnerId) -> Result<(), Error>) -> Result<Commitment, Error> {
        let id = &record.id;
        let kind = record.str("resource")?;
        if !RESOURCE_KINDS.contains(&kind) {
            return Err(Error::invalid(id, "resource", format!("must be one of {}", RESOURCE_KINDS.join(", "))));
        }
        let quantity = positive(id, "quantity", record.properties.get("quantity"))?;
        let currency = match (in_currency(kind), record.properties.get("currency")) {
            (true, v) => Some(currency(id, "currency", v)?),
            (false, None | Some(Value::Null)) => None,
            (false, Some(_)) => return Err(Error::invalid(id, "currency", format!("is only for money, equipment and capabilities ({kind} counts {})", measure(kind)))),
        };
        let category = match (kind == "personnel", record.properties.get("category")) {
            (true, v) => Some(short(id, "category", v)?),
            (false, None | Some(Value::Null)) => None,
            (false, Some(_)) => return Err(Error::invalid(id, "category", "is only for personnel")),
        };
        let receiver = record.reference("receiver_ref", "identity")?;
        party(&receiver)?;
        if receiver == record.author {
            return Err(Error::invalid(id, "receiver_ref", "is the giver: a commitment is to another party"));
        }
        let year = year(id, "year", record.properties.get("year"))?;
        let due = record.opt_time("due")?.ok_or_else(|| Error::invalid(id, "due", "is required (a timestamp)"))?;
        let description = short(id, "description", record.properties.get("description"))?;
        let project = opt_ref(record, "project_ref", PROJECT)?;
        let offer = opt_ref(record, "offer_ref", OFFER)?;
        Ok(Commitment { kind: kind.to_owned(), quantity, currency, category, receiver, year, due, description, project, offer })
    }
}

/// A delivery against a commitment, by its giver.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The commitment (its giver must be the delivery's author).
    pub commitment: StixId,
    /// How much, in the commitment's measure or currency.
    pub quantity: f64,
    /// When it was delivered; not after the record was made. Its year is
    /// the year it counts for.
    pub delivered_at: Timestamp,
    /// A remark, if any.
    pub note: Option<String>,
}

impl Delivery {
    /// Reads a delivery.
    pub fn read(record: &Record) -> Result<Delivery, Error> {
        let id = &record.id;
        let commitment = record.reference("commitment_ref", COMMITMENT)?;
        let quantity = positive(id, "quantity", record.properties.get("quantity"))?;
        let delivered_at = record.opt_time("delivered_at")?.ok_or_else(|| Error::invalid(id, "delivered_at", "is required (a timestamp)"))?;
        if delivered_at > record.created {
            return Err(Error::invalid(id, "delivered_at", format!("is after the delivery was recorded ({})", record.created)));
        }
        if !YEARS.contains(&year_of(&delivered_at)) {
            return Err(Error::invalid(id, "delivered_at", format!("must be in the years {} to {}", YEARS.start(), YEARS.end())));
        }
        let note = opt_text(id, "note", record.properties.get("note"), LONG)?;
        Ok(Delivery { commitment, quantity, delivered_at, note })
    }
}

/// The receiver's word on a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    /// The delivery.
    pub delivery: StixId,
    /// The correction of the delivery it confirms (its latest when made), if any.
    pub correction: Option<StixId>,
    /// `true`: confirmed; `false`: disputed.
    pub confirmed: bool,
    /// A remark (why it is disputed), if any.
    pub note: Option<String>,
}

impl Confirmation {
    /// Reads a confirmation.
    pub fn read(record: &Record) -> Result<Confirmation, Error> {
        let id = &record.id;
        let delivery = record.reference("delivery_ref", DELIVERY)?;
        let correction = match record.opt_str("correction_ref")? {
            None => None,
            Some(_) => Some(record.reference("correction_ref", CORRECTION)?),
        };
        let confirmed = match record.str("verdict")? {
            "confirmed" => true,
            "disputed" => false,
            _ => return Err(Error::invalid(id, "verdict", "must be `confirmed` or `disputed`")),
        };
        let note = opt_text(id, "note", record.properties.get("note"), LONG)?;
        Ok(Confirmation { delivery, correction, confirmed, note })
    }
}

/// A correction: the new quantity of a commitment or a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The commitment or delivery corrected (by its author).
    pub corrects: StixId,
    /// The quantity it should have had (0 cancels it).
    pub quantity: f64,
    /// Why.
    pub reason: String,
}

impl Correction {
    /// Reads a correction.
    pub fn read(record: &Record) -> Result<Correction, Error> {
        let id = &record.id;
        let raw = record.str("corrects_ref")?;
        let corrects = StixId::parse(raw).map_err(|e| Error::invalid(id, "corrects_ref", e))?;
        if ![COMMITMENT, DELIVERY].contains(&corrects.object_type()) {
            return Err(Error::invalid(id, "corrects_ref", format!("must name a {COMMITMENT} or a {DELIVERY}")));
        }
        let quantity = amount(id, "quantity", record.properties.get("quantity"))?;
        let reason = short(id, "reason", record.properties.get("reason"))?;
        Ok(Correction { corrects, quantity, reason })
    }
}

/// One milestone of a joint project.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Unique within the project.
    pub name: String,
    /// When it is due.
    pub due: Timestamp,
    /// What it delivers (a shared capability), if said.
    pub deliverable: Option<String>,
    /// Whether the lead marked it done.
    pub done: bool,
}

/// A joint technology project, led by its author.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// A short title.
    pub title: String,
    /// What it builds, if said.
    pub description: Option<String>,
    /// Its budget in the terms' common unit.
    pub budget: f64,
    /// The parties taking part besides the lead.
    pub participants: Vec<PartnerId>,
    /// Its milestones.
    pub milestones: Vec<Milestone>,
    /// `active`, `completed` or `cancelled`.
    pub status: String,
}

impl Project {
    /// Reads a project version: participants parties of `agreement`.
    pub fn read(record: &Record, agreement: &Agreement) -> Result<Project, Error> {
        let id = &record.id;
        let title = short(id, "title", record.properties.get("title"))?;
        let description = opt_text(id, "description", record.properties.get("description"), LONG)?;
        let budget = amount(id, "budget", record.properties.get("budget"))?;
        let mut participants = Vec::new();
        for (i, v) in list(record, "participant_refs")?.iter().enumerate() {
            let at = format!("participant_refs[{i}]");
            let p = v.as_str().and_then(|s| StixId::parse(s).ok()).ok_or_else(|| Error::invalid(id, &at, "must be an identity id"))?;
            if !agreement.is_party(&p) || p == record.author {
                return Err(Error::invalid(id, at, format!("{p} must be a party to {} other than the lead", agreement.id)));
            }
            if !participants.contains(&p) {
                participants.push(p);
            }
        }
        let mut milestones: Vec<Milestone> = Vec::new();
        for (i, v) in list(record, "milestones")?.iter().enumerate() {
            let at = |p: &str| format!("milestones[{i}].{p}");
            let map = v.as_object().ok_or_else(|| Error::invalid(id, format!("milestones[{i}]"), "must be an object"))?;
            only(id, &format!("milestones[{i}]"), map, &["name", "due", "deliverable", "done"])?;
            let name = short(id, &at("name"), map.get("name"))?;
            if milestones.iter().any(|m| m.name == name) {
                return Err(Error::invalid(id, at("name"), "repeats an earlier milestone's name"));
            }
            let raw = map.get("due").and_then(Value::as_str).ok_or_else(|| Error::invalid(id, at("due"), "is required (a timestamp)"))?;
            let due = Timestamp::parse(raw).map_err(|e| Error::invalid(id, at("due"), e))?;
            let deliverable = opt_text(id, &at("deliverable"), map.get("deliverable"), SHORT)?;
            let done = match map.get("done") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(Error::invalid(id, at("done"), "must be true or false")),
            };
            milestones.push(Milestone { name, due, deliverable, done });
        }
        let status = match record.opt_str("status")? {
            None => "active".to_owned(),
            Some(s @ ("active" | "completed" | "cancelled")) => s.to_owned(),
            Some(_) => return Err(Error::invalid(id, "status", "must be active, completed or cancelled")),
        };
        Ok(Project { title, description, budget, participants, milestones, status })
    }
}

/// A request for support: what a party needs, by when.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// One of [`RESOURCE_KINDS`].
    pub kind: String,
    /// How much.
    pub quantity: f64,
    /// The currency, for money, equipment and capabilities.
    pub currency: Option<String>,
    /// The personnel category, for personnel.
    pub category: Option<String>,
    /// What for.
    pub description: String,
    /// When it is needed.
    pub needed_by: Timestamp,
}

impl Request {
    /// Reads a request for support.
    pub fn read(record: &Record) -> Result<Request, Error> {
        let id = &record.id;
        let kind = record.str("resource")?;
        if !RESOURCE_KINDS.contains(&kind) {
            return Err(Error::invalid(id, "resource", format!("must be one of {}", RESOURCE_KINDS.join(", "))));
        }
        let quantity = positive(id, "quantity", record.properties.get("quantity"))?;
        let currency = match (in_currency(kind), record.properties.get("currency")) {
            (true, v) => Some(currency(id, "currency", v)?),
            (false, None | Some(Value::Null)) => None,
            (false, Some(_)) => return Err(Error::invalid(id, "currency", "is only for money, equipment and capabilities")),
        };
        let category = match (kind == "personnel", record.properties.get("category")) {
            (true, v) => Some(short(id, "category", v)?),
            (false, None | Some(Value::Null)) => None,
            (false, Some(_)) => return Err(Error::invalid(id, "category", "is only for personnel")),
        };
        let description = short(id, "description", record.properties.get("description"))?;
        let needed_by = record.opt_time("needed_by")?.ok_or_else(|| Error::invalid(id, "needed_by", "is required (a timestamp)"))?;
        Ok(Request { kind: kind.to_owned(), quantity, currency, category, description, needed_by })
    }
}

/// An offer against a request for support.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The request.
    pub request: StixId,
    /// How much of it the offerer would give.
    pub quantity: f64,
    /// What exactly, if said.
    pub note: Option<String>,
}

impl Offer {
    /// Reads an offer.
    pub fn read(record: &Record) -> Result<Offer, Error> {
        let id = &record.id;
        let request = record.reference("request_ref", REQUEST)?;
        let quantity = positive(id, "quantity", record.properties.get("quantity"))?;
        let note = opt_text(id, "note", record.properties.get("note"), LONG)?;
        Ok(Offer { request, quantity, note })
    }
}

/// Checks a record of one of the kinds on its own and against its agreement.
pub fn validate(record: &Record, agreement: &Agreement) -> Result<(), Error> {
    match record.kind.as_str() {
        TERMS => Terms::read(record, agreement).map(drop),
        ACCEPTANCE => consent::check(record, TERMS).map(drop),
        FIGURES => Figures::read(record).map(drop),
        COMMITMENT => Commitment::read(record, agreement).map(drop),
        DELIVERY => Delivery::read(record).map(drop),
        CONFIRMATION => Confirmation::read(record).map(drop),
        CORRECTION => Correction::read(record).map(drop),
        PROJECT => Project::read(record, agreement).map(drop),
        REQUEST => Request::read(record).map(drop),
        OFFER => Offer::read(record).map(drop),
        MATCH => record.reference("offer_ref", OFFER).map(drop),
        other => Err(Error::invalid(&record.id, "type", format!("{other} is not a record of the resources module"))),
    }
}

/// The calendar year (UTC) of a time.
pub fn year_of(t: &Timestamp) -> i64 {
    t.to_string().get(..4).and_then(|y| y.parse().ok()).unwrap_or(0)
}

/// A number from 0 to [`MAX_AMOUNT`]: a negative amount is refused, naming `path`.
pub fn amount(id: &StixId, path: &str, value: Option<&Value>) -> Result<f64, Error> {
    let n = value.and_then(Value::as_f64).ok_or_else(|| Error::invalid(id, path, "is required (a number)"))?;
    if n < 0.0 {
        return Err(Error::invalid(id, path, format!("must not be negative ({n}): a correction is a new record")));
    }
    if !n.is_finite() || n > MAX_AMOUNT {
        return Err(Error::invalid(id, path, format!("must be at most {MAX_AMOUNT:e}")));
    }
    Ok(n)
}

fn positive(id: &StixId, path: &str, value: Option<&Value>) -> Result<f64, Error> {
    let n = amount(id, path, value)?;
    if n == 0.0 {
        return Err(Error::invalid(id, path, "must be above 0"));
    }
    Ok(n)
}

fn year(id: &StixId, path: &str, value: Option<&Value>) -> Result<i64, Error> {
    value
        .and_then(Value::as_i64)
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| Error::invalid(id, path, format!("must be a year from {} to {}", YEARS.start(), YEARS.end())))
}

/// An ISO 4217-style code: three capital letters.
fn currency(id: &StixId, path: &str, value: Option<&Value>) -> Result<String, Error> {
    let code = value.and_then(Value::as_str).ok_or_else(|| Error::invalid(id, path, "is required (a currency code such as EUR)"))?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(id, path, "must be a currency code of three capital letters (ISO 4217, such as EUR)"));
    }
    Ok(code.to_owned())
}

fn short(id: &StixId, path: &str, value: Option<&Value>) -> Result<String, Error> {
    let text = value.and_then(Value::as_str).ok_or_else(|| Error::invalid(id, path, "is required (a string)"))?;
    if text.trim().is_empty() {
        return Err(Error::invalid(id, path, "must not be empty"));
    }
    if text.chars().count() > SHORT {
        return Err(Error::invalid(id, path, format!("must be at most {SHORT} characters")));
    }
    Ok(text.to_owned())
}

fn opt_text(id: &StixId, path: &str, value: Option<&Value>, max: usize) -> Result<Option<String>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(Error::invalid(id, path, format!("must be at most {max} characters"))),
        Some(_) => Err(Error::invalid(id, path, "must be a string")),
    }
}

fn opt_ref(record: &Record, property: &str, kind: &str) -> Result<Option<StixId>, Error> {
    match record.opt_str(property)? {
        None => Ok(None),
        Some(_) => record.reference(property, kind).map(Some),
    }
}

fn list<'a>(record: &'a Record, property: &str) -> Result<&'a [Value], Error> {
    match record.properties.get(property) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(l)) if l.len() <= MANY => Ok(l),
        Some(Value::Array(_)) => Err(Error::invalid(&record.id, property, format!("must list at most {MANY}"))),
        Some(_) => Err(Error::invalid(&record.id, property, "must be a list")),
    }
}

fn only(id: &StixId, at: &str, map: &serde_json::Map<String, Value>, known: &[&str]) -> Result<(), Error> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::invalid(id, format!("{at}.{k}"), format!("is not known here (it takes {})", known.join(", ")))),
        None => Ok(()),
    }
}
