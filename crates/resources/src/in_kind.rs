//! In-kind contributions recorded by other modules, counted in the ledger
//! of the same agreement: crisis assistance (the crisis module's EDXL-RM
//! commit and deliver steps) and exchanges (the exchanges module's
//! placements and confirmed course seats). The module declares the kinds
//! it reads ([`READS`], `Module::reads`) and reads them as records, by
//! their properties: it does not depend on the crisis or exercises crates.
//! The reader sees of them exactly what its gate lets through.
//!
//! **What counts** (docs/partnership.md#in-kind-contributions-from-other-modules):
//!
//! - a crisis **commit** step is a pledge by its author (the provider) to
//!   the requester; a **deliver** step is a contribution, awaiting the
//!   requester's word until the requester **releases** the request
//!   (EDXL-RM's ReleaseResource) with a release made at or after the
//!   delivery, then confirmed. Steps by the requester itself (other than
//!   its release) count for nothing, as on the crisis page;
//! - a **placement** is pledged by its host when offered and confirmed
//!   once its guest accepts it; a **course seat** counts, pledged and
//!   confirmed, once its provider confirmed the request while seats
//!   remained (the exchanges module's rule: confirmations in canonical
//!   order, never beyond the seats);
//! - **exercise** crisis records (`exercise: true`, on the step or its
//!   request) never count: they are left out of the ledger and every
//!   figure, and only counted (`exercise_left_out`);
//! - a record created after the read's `now` does not count yet.
//!
//! **Valuation**, by the resource terms in force: crisis assistance at the
//! terms' `assistance` rate for the unit its request counts in (the
//! rate's `category`, compared trimmed and without case); a placement of
//! type `course-seat` at the training rate for one seat, any other
//! placement at the hosting rate per day (the whole days from its start to
//! its end, a part day counted whole, at least one); course seats at the
//! training rate per seat. The year is the step's creation year for
//! crisis assistance, the start date's for placements and courses. With no
//! rate the entry is shown unvalued, the property at fault named, and
//! counts in no total (as for the module's own entries).

use model::Timestamp;
use partnership::{Record, Records};
use policy::PartnerId;
use serde_json::Value;

use crate::rules::cents;
use crate::types::{year_of, Terms};

/// One step of a crisis assistance exchange (the crisis module's kind).
pub const CRISIS_ASSISTANCE: &str = "x-entente-crisis-assistance";
/// A placement a host offers a guest (the exchanges module's kind).
pub const PLACEMENT: &str = "x-entente-placement";
/// The guest's acceptance of a placement.
pub const PLACEMENT_ACCEPTANCE: &str = "x-entente-placement-acceptance";
/// A course with seats for partners.
pub const COURSE: &str = "x-entente-course";
/// A partner's request for seats on a course.
pub const SEAT_REQUEST: &str = "x-entente-seat-request";
/// The provider's confirmation of a seat request.
pub const SEAT_CONFIRMATION: &str = "x-entente-seat-confirmation";

/// The other modules' kinds the resources module reads (`Module::reads`).
pub const READS: &[&str] = &[CRISIS_ASSISTANCE, PLACEMENT, PLACEMENT_ACCEPTANCE, COURSE, SEAT_REQUEST, SEAT_CONFIRMATION];

const DAY: i64 = 86_400_000_000;

/// A value in cents, or why there is none (the property, the reason).
pub type Valued = Result<i128, (&'static str, String)>;

/// One in-kind contribution drawn from another module's record.
#[derive(Debug)]
pub struct InKind<'a> {
    /// The record it is drawn from: a deliver step, a placement, a seat request.
    pub record: &'a Record,
    /// The module that recorded it: `crisis` or `exchanges`.
    pub module: &'static str,
    /// The record to link to on that module's page: the crisis, the placement, the course.
    pub of: String,
    /// Who gives it.
    pub giver: PartnerId,
    /// Who receives it.
    pub receiver: PartnerId,
    /// `assistance`, `hosting` or `training`.
    pub resource: &'static str,
    /// What a unit of its quantity is: the crisis request's unit, `days`, `seats`.
    pub measure: String,
    /// How many.
    pub quantity: f64,
    /// When it was delivered (the step's creation, the start date).
    pub at: Timestamp,
    /// Its year, for the figures.
    pub year: i64,
    /// What it is: the resource requested, the placement's topic, the course's title.
    pub note: String,
    /// `confirmed` or `awaiting-confirmation`.
    pub status: &'static str,
    /// The receiver's record that confirms it (the release, the acceptance, the seat confirmation).
    pub word: Option<&'a Record>,
    /// Its value in the common unit.
    pub value: Valued,
}

/// A pledge drawn from another module's record: a crisis commitment, a
/// placement offered, a course seat confirmed.
#[derive(Debug)]
pub struct Pledge<'a> {
    /// The record.
    pub record: &'a Record,
    /// Who pledges.
    pub giver: PartnerId,
    /// Its year.
    pub year: i64,
    /// Its value in the common unit.
    pub value: Valued,
}

/// What the other modules' records under the agreement contribute.
#[derive(Debug, Default)]
pub struct Drawn<'a> {
    /// Contributions, in no particular order.
    pub entries: Vec<InKind<'a>>,
    /// Pledges.
    pub pledges: Vec<Pledge<'a>>,
    /// Exercise crisis records left out.
    pub exercise_left_out: u64,
}

fn str_of<'a>(r: &'a Record, property: &str) -> Option<&'a str> {
    r.properties.get(property).and_then(Value::as_str)
}

fn number(r: &Record, property: &str) -> Option<f64> {
    r.properties.get(property).and_then(Value::as_f64).filter(|q| q.is_finite() && *q >= 0.0)
}

fn is_exercise(r: &Record) -> bool {
    r.properties.get("exercise") == Some(&Value::Bool(true))
}

fn no_terms() -> (&'static str, String) {
    ("resource", "no resource terms are in force: propose them and have every party accept them".into())
}

/// Crisis assistance of `quantity` counted in `unit` (the request's).
pub fn assistance_value(terms: Option<&Terms>, unit: Option<&str>, quantity: f64) -> Valued {
    let terms = terms.ok_or_else(no_terms)?;
    let unit = unit.filter(|u| !u.trim().is_empty()).ok_or(("unit", "the crisis request names no unit: no assistance rate applies".to_owned()))?;
    let rate = terms.assistance_rate(unit).ok_or_else(|| ("unit", format!("the terms in force give no in-kind rate for assistance in {unit}")))?;
    Ok(cents(quantity, rate))
}

/// `quantity` of an in-kind `kind` (`hosting`, `training`).
pub fn rate_value(terms: Option<&Terms>, kind: &str, quantity: f64) -> Valued {
    let terms = terms.ok_or_else(no_terms)?;
    let rate = terms.in_kind_rate(kind, None).ok_or_else(|| ("resource", format!("the terms in force give no in-kind rate for {kind}")))?;
    Ok(cents(quantity, rate))
}

/// The whole days from `start` to `end`, a part day counted whole, at least one.
pub fn days(start: &Timestamp, end: &Timestamp) -> i64 {
    let span = (end.micros() - start.micros()).max(0);
    ((span + DAY - 1) / DAY).max(1)
}

/// Everything the other modules' records among `records` contribute at
/// `now`, valued by `terms` (the module doc's rules). Records that break
/// a rule are passed to `ignore` with the property at fault.
pub fn draw<'a>(records: &'a Records, terms: Option<&Terms>, now: &Timestamp, ignore: &mut dyn FnMut(&Record, &str, String)) -> Drawn<'a> {
    let mut out = Drawn::default();
    let counts = |r: &Record| &r.created <= now;
    crisis(records, terms, &counts, ignore, &mut out);
    placements(records, terms, &counts, &mut out);
    seats(records, terms, &counts, &mut out);
    out
}

fn crisis<'a>(records: &'a Records, terms: Option<&Terms>, counts: &dyn Fn(&Record) -> bool, ignore: &mut dyn FnMut(&Record, &str, String), out: &mut Drawn<'a>) {
    for step in records.of_kind(CRISIS_ASSISTANCE).filter(|r| counts(r)) {
        let kind = str_of(step, "step").unwrap_or_default();
        if !matches!(kind, "commit" | "deliver") {
            continue;
        }
        // An exercise step is left out before anything else is said of it.
        if is_exercise(step) {
            out.exercise_left_out += 1;
            continue;
        }
        let request = str_of(step, "request_ref").and_then(|id| model::StixId::parse(id).ok()).and_then(|id| records.get(&id)).filter(|q| !q.revoked);
        let Some(request) = request.filter(|q| q.kind == CRISIS_ASSISTANCE && str_of(q, "step") == Some("request")) else {
            ignore(step, "request_ref", format!("no crisis request {} here (yet)", str_of(step, "request_ref").unwrap_or_default()));
            continue;
        };
        if is_exercise(request) {
            out.exercise_left_out += 1;
            continue;
        }
        if step.author == request.author {
            ignore(step, "created_by_ref", format!("{} is the requester's own step: only another party {kind}s against a request", step.id));
            continue;
        }
        let Some(quantity) = number(step, "quantity") else {
            ignore(step, "quantity", "is required (a number of at least 0)".into());
            continue;
        };
        let unit = str_of(request, "unit");
        let value = assistance_value(terms, unit, quantity);
        let year = year_of(&step.created);
        if kind == "commit" {
            out.pledges.push(Pledge { record: step, giver: step.author.clone(), year, value });
            continue;
        }
        let word = records
            .of_kind(CRISIS_ASSISTANCE)
            .filter(|r| counts(r) && r.author == request.author && str_of(r, "step") == Some("release") && str_of(r, "request_ref") == Some(request.id.as_str()))
            .find(|r| r.created >= step.created);
        out.entries.push(InKind {
            record: step,
            module: "crisis",
            of: str_of(step, "crisis_ref").unwrap_or_default().to_owned(),
            giver: step.author.clone(),
            receiver: request.author.clone(),
            resource: "assistance",
            measure: unit.unwrap_or_default().to_owned(),
            quantity,
            at: step.created.clone(),
            year,
            note: str_of(request, "resource").unwrap_or_default().to_owned(),
            status: if word.is_some() { "confirmed" } else { "awaiting-confirmation" },
            word,
            value,
        });
    }
}

fn party(r: &Record, property: &str) -> Option<PartnerId> {
    str_of(r, property).and_then(|s| model::StixId::parse(s).ok())
}

fn placements<'a>(records: &'a Records, terms: Option<&Terms>, counts: &dyn Fn(&Record) -> bool, out: &mut Drawn<'a>) {
    for p in records.of_kind(PLACEMENT).filter(|r| counts(r)) {
        let (Some(guest), Ok(Some(start)), Ok(Some(end))) = (party(p, "guest_ref"), p.opt_time("start_date"), p.opt_time("end_date")) else { continue };
        let seat = str_of(p, "placement_type") == Some("course-seat");
        let (resource, measure, quantity) = if seat { ("training", "seats", 1.0) } else { ("hosting", "days", days(&start, &end) as f64) };
        let value = rate_value(terms, resource, quantity);
        let year = year_of(&start);
        let word = records.of_kind(PLACEMENT_ACCEPTANCE).filter(|a| counts(a) && a.author == guest && str_of(a, "placement_ref") == Some(p.id.as_str())).last();
        out.pledges.push(Pledge { record: p, giver: p.author.clone(), year, value: value.clone() });
        out.entries.push(InKind {
            record: p,
            module: "exchanges",
            of: p.id.to_string(),
            giver: p.author.clone(),
            receiver: guest,
            resource,
            measure: measure.to_owned(),
            quantity,
            at: start,
            year,
            note: str_of(p, "topic").unwrap_or_default().to_owned(),
            status: if word.is_some() { "confirmed" } else { "awaiting-confirmation" },
            word,
            value,
        });
    }
}

fn seats<'a>(records: &'a Records, terms: Option<&Terms>, counts: &dyn Fn(&Record) -> bool, out: &mut Drawn<'a>) {
    for course in records.of_kind(COURSE).filter(|r| counts(r)) {
        let Ok(Some(start)) = course.opt_time("start_date") else { continue };
        let mut left = course.properties.get("seats").and_then(Value::as_u64).unwrap_or(0);
        let requests: Vec<&Record> = records.of_kind(SEAT_REQUEST).filter(|r| counts(r) && r.author != course.author && str_of(r, "course_ref") == Some(course.id.as_str())).collect();
        let mut word: Vec<Option<&Record>> = vec![None; requests.len()];
        let mut decided = vec![false; requests.len()];
        for c in records.of_kind(SEAT_CONFIRMATION).filter(|c| counts(c) && c.author == course.author && str_of(c, "course_ref") == Some(course.id.as_str())) {
            let Some(i) = requests.iter().position(|r| Some(r.id.as_str()) == str_of(c, "request_ref")) else { continue };
            if decided[i] {
                continue;
            }
            decided[i] = true;
            let want = requests[i].properties.get("seats").and_then(Value::as_u64).unwrap_or(1);
            if want <= left {
                left -= want;
                word[i] = Some(c);
            }
        }
        for (r, w) in requests.into_iter().zip(word) {
            let Some(w) = w else { continue };
            let quantity = r.properties.get("seats").and_then(Value::as_u64).unwrap_or(1) as f64;
            let value = rate_value(terms, "training", quantity);
            let year = year_of(&start);
            out.pledges.push(Pledge { record: r, giver: course.author.clone(), year, value: value.clone() });
            out.entries.push(InKind {
                record: r,
                module: "exchanges",
                of: course.id.to_string(),
                giver: course.author.clone(),
                receiver: r.author.clone(),
                resource: "training",
                measure: "seats".to_owned(),
                quantity,
                at: start.clone(),
                year,
                note: str_of(course, "title").unwrap_or_default().to_owned(),
                status: "confirmed",
                word: Some(w),
                value,
            });
        }
    }
}
