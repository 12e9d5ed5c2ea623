//! The objectives' state, derived from the records at `ctx.now`: pure.
//!
//! **Adoption.** An objective is *adopted* when every party of the
//! agreement (its latest version) has endorsed the objective's latest
//! version with an endorsement record of its own (`partnership::consent`:
//! an endorsement of an earlier version, or a withdrawn one, does not
//! count). An amendment is a new version: it awaits every party's
//! endorsement again. A version marked `closed` is *closed*, whoever
//! endorsed it; a withdrawn objective leaves the state.
//!
//! **Progress.** A KPI with baseline `b` and target `t` whose latest
//! reported value (by its reporting party, measured at or before now) is
//! `x` has progress
//!
//! ```text
//! p = clamp((x − b) / (t − b), 0, 1)
//! ```
//!
//! so a KPI to decrease (`t < b`) progresses as `x` falls; no report yet
//! is `p = 0`. An objective's progress is the mean of its KPIs' progress
//! weighted by their weights: `Σ wᵢ·pᵢ / Σ wᵢ`.
//!
//! **Status** of a KPI at `now`, with `start` the objective's creation
//! (when its baselines were stated) and `due` the KPI's due date:
//!
//! ```text
//! expected = clamp((now − start) / (due − start), 0, 1)    (1 once due, also when due = start)
//! met       if p = 1                  (the latest value reached the target)
//! late      else if now > due
//! on-track  else if p ≥ expected − TOLERANCE
//! at-risk   otherwise
//! ```
//!
//! The objective's status is *met* when every KPI is met, else *late* if
//! any KPI is late, else *at-risk* if any is at risk, else *on-track*.
//! Statuses are given for adopted objectives only (an objective awaiting
//! endorsement or closed has progress but no status).
//!
//! Reports by anyone but the KPI's reporting party (in the objective's
//! latest version), reports of a KPI the latest version does not have, and
//! reports measured before the objective was created are left out (and
//! counted), so every node derives the same state from the same records.

use std::collections::BTreeMap;

use model::{StixId, Timestamp};
use partnership::{consent, Context, Record, Records};
use serde_json::{json, Value};

use crate::types::{Kpi, Objective, Report, ENDORSEMENT, OBJECTIVE, REPORT};

/// How far (in progress, 0 to 1) a KPI may trail the expected line and
/// still be on track: ten percentage points.
pub const TOLERANCE: f64 = 0.10;

/// A KPI's progress towards its target: `clamp((x − b) / (t − b), 0, 1)`.
/// `t ≠ b` for every valid KPI; a zero span counts as no progress.
pub fn progress(baseline: f64, target: f64, x: f64) -> f64 {
    let span = target - baseline;
    let p = (x - baseline) / span;
    if span == 0.0 || p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// The weighted mean `Σ wᵢ·pᵢ / Σ wᵢ` of `(weight, progress)` pairs; 0 with
/// no weight. Kept within the smallest and largest progress given.
pub fn weighted_mean(parts: &[(f64, f64)]) -> f64 {
    let total: f64 = parts.iter().map(|(w, _)| w).sum();
    if parts.is_empty() || total <= 0.0 || !total.is_finite() {
        return 0.0;
    }
    let mean = parts.iter().map(|(w, p)| w * p).sum::<f64>() / total;
    // Rounding may step a hair outside the values averaged.
    let lo = parts.iter().map(|(_, p)| *p).fold(f64::INFINITY, f64::min);
    let hi = parts.iter().map(|(_, p)| *p).fold(f64::NEG_INFINITY, f64::max);
    mean.clamp(lo, hi)
}

/// The progress expected at `now` on the straight line from 0 at `start`
/// to 1 at `due`.
pub fn expected(start: &Timestamp, due: &Timestamp, now: &Timestamp) -> f64 {
    if now >= due {
        return 1.0;
    }
    if now <= start {
        return 0.0;
    }
    let span = (due.micros() - start.micros()) as f64;
    (((now.micros() - start.micros()) as f64) / span).clamp(0.0, 1.0)
}

/// Where a KPI or an objective stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Progress at or above the expected line, less the tolerance.
    OnTrack,
    /// Below it, not yet due.
    AtRisk,
    /// Past due and not met.
    Late,
    /// The target is reached.
    Met,
}

impl Status {
    /// `met`, `on-track`, `at-risk` or `late`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::OnTrack => "on-track",
            Status::AtRisk => "at-risk",
            Status::Late => "late",
        }
    }
}

/// A KPI's status from its progress `p`, the progress `expected` now, and
/// whether `now` is past its `due` date (the rule in the module doc).
pub fn kpi_status(p: f64, expected: f64, now: &Timestamp, due: &Timestamp) -> Status {
    if p >= 1.0 {
        Status::Met
    } else if now > due {
        Status::Late
    } else if p >= expected - TOLERANCE {
        Status::OnTrack
    } else {
        Status::AtRisk
    }
}

/// An objective's status from its KPIs': met when all are met, else the
/// worst of late, at-risk, on-track.
pub fn objective_status(kpis: impl IntoIterator<Item = Status>) -> Status {
    let mut all_met = true;
    let mut worst = Status::OnTrack;
    for s in kpis {
        all_met &= s == Status::Met;
        worst = match (worst, s) {
            (Status::Late, _) | (_, Status::Late) => Status::Late,
            (Status::AtRisk, _) | (_, Status::AtRisk) => Status::AtRisk,
            _ => Status::OnTrack,
        };
    }
    if all_met {
        Status::Met
    } else {
        worst
    }
}

/// One value in a KPI's history.
struct Point<'a> {
    record: &'a Record,
    report: Report,
    progress: f64,
}

/// Whether an objective has been adopted at some version, and when.
struct Adoption {
    version: Timestamp,
    /// When the last endorsement that completed it was made.
    at: Timestamp,
}

/// The latest version of `objective` every party endorsed (not closed),
/// newest first, and when its last needed endorsement was made.
fn last_adopted(records: &Records, objective: &Record, parties: &[policy::PartnerId]) -> Option<Adoption> {
    records.versions(&objective.id).iter().rev().filter(|v| !v.revoked && !matches!(v.properties.get("closed"), Some(Value::Bool(true)))).find_map(|v| {
        if !consent::of(records, ENDORSEMENT, v, parties).agreed() {
            return None;
        }
        // Each party's earliest endorsement of this version; the last of them adopted it.
        let mut first: BTreeMap<&policy::PartnerId, &Timestamp> = BTreeMap::new();
        for e in endorsements_of(records, v) {
            let at = first.entry(&e.author).or_insert(&e.created);
            if e.created < **at {
                *at = &e.created;
            }
        }
        let at = parties.iter().filter_map(|p| first.get(p)).max().map(|t| (*t).clone())?;
        Some(Adoption { version: v.modified.clone(), at })
    })
}

/// The endorsements (latest versions, not withdrawn) of exactly `version`.
fn endorsements_of<'a>(records: &'a Records, version: &'a Record) -> impl Iterator<Item = &'a Record> + 'a {
    records.of_kind(ENDORSEMENT).filter(move |e| {
        consent::check(e, OBJECTIVE).is_ok_and(|(to, at)| to == version.id && at == version.modified)
    })
}

/// The module's state (see the module doc for every rule).
pub fn state(records: &Records, ctx: &Context<'_>) -> Value {
    let parties = &ctx.agreement.terms.parties;
    let now = &ctx.now;
    let mut unreadable: Vec<Value> = Vec::new();
    // Each objective's reports, in the records' canonical order.
    let mut by_objective: BTreeMap<StixId, Vec<(&Record, Report)>> = BTreeMap::new();
    for r in records.of_kind(REPORT) {
        match Report::read(r) {
            Ok(report) => by_objective.entry(report.objective.clone()).or_default().push((r, report)),
            Err(e) => unreadable.push(json!({ "id": r.id.as_str(), "error": e.to_string() })),
        }
    }
    let mut objectives = Vec::new();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ignored = 0u64;
    for record in records.of_kind(OBJECTIVE) {
        let objective = match Objective::read(record) {
            Ok(o) => o,
            Err(e) => {
                unreadable.push(json!({ "id": record.id.as_str(), "error": e.to_string() }));
                continue;
            }
        };
        let consent = consent::of(records, ENDORSEMENT, record, parties);
        let adoption = last_adopted(records, record, parties);
        let stage = if objective.closed {
            "closed"
        } else if consent.agreed() {
            "adopted"
        } else {
            "awaiting-endorsement"
        };
        *counts.entry(stage).or_default() += 1;
        let mut history: Vec<Vec<Point<'_>>> = objective.kpis.iter().map(|_| Vec::new()).collect();
        for (r, report) in by_objective.remove(&record.id).unwrap_or_default() {
            let Some(i) = objective.kpis.iter().position(|k| k.name == report.kpi) else {
                ignored += 1;
                continue;
            };
            let kpi = &objective.kpis[i];
            if r.author != kpi.reporting_party || report.measured_at < record.created {
                ignored += 1;
                continue;
            }
            if report.measured_at > *now {
                continue;
            }
            let p = progress(kpi.baseline, kpi.target, report.value);
            history[i].push(Point { record: r, report, progress: p });
        }
        let mut statuses = Vec::new();
        let mut weighted = Vec::new();
        let mut weighted_expected = Vec::new();
        let mut kpis = Vec::new();
        for (kpi, mut points) in objective.kpis.iter().zip(history) {
            // Records come by creation; the history goes by when each value was measured.
            points.sort_by(|a, b| a.report.measured_at.cmp(&b.report.measured_at));
            let p = points.last().map_or(0.0, |pt| pt.progress);
            let e = expected(&record.created, &kpi.due, now);
            let status = kpi_status(p, e, now, &kpi.due);
            statuses.push(status);
            weighted.push((kpi.weight, p));
            weighted_expected.push((kpi.weight, e));
            kpis.push(kpi_json(kpi, &points, p, e, (stage == "adopted").then_some(status)));
        }
        let status = (stage == "adopted").then(|| objective_status(statuses).name());
        objectives.push(json!({
            "id": record.id.as_str(),
            "author": record.author.as_str(),
            "title": objective.title,
            "description": objective.description,
            "created": record.created.to_string(),
            "version": record.modified.to_string(),
            "versions": records.versions(&record.id).len(),
            "stage": stage,
            "endorsed_by": consent.given.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "awaiting": if objective.closed { Vec::new() } else { consent.awaiting.iter().map(|p| p.as_str()).collect::<Vec<_>>() },
            "adopted_version": adoption.as_ref().map(|a| a.version.to_string()),
            "adopted_at": adoption.as_ref().map(|a| a.at.to_string()),
            "closing_note": objective.closing_note,
            "progress": weighted_mean(&weighted),
            "expected": weighted_mean(&weighted_expected),
            "status": status,
            "kpis": kpis,
        }));
    }
    json!({
        "objectives": objectives,
        "counts": counts,
        "ignored_reports": ignored,
        "unreadable": unreadable,
        "tolerance": TOLERANCE,
    })
}

fn kpi_json(kpi: &Kpi, points: &[Point<'_>], p: f64, e: f64, status: Option<Status>) -> Value {
    let history: Vec<Value> = points
        .iter()
        .map(|pt| {
            json!({
                "measured_at": pt.report.measured_at.to_string(),
                "value": pt.report.value,
                "progress": pt.progress,
                "report": pt.record.id.as_str(),
                "note": pt.report.note,
            })
        })
        .collect();
    json!({
        "name": kpi.name,
        "unit": kpi.unit,
        "baseline": kpi.baseline,
        "target": kpi.target,
        "direction": kpi.direction.name(),
        "due": kpi.due.to_string(),
        "weight": kpi.weight,
        "reporting_party": kpi.reporting_party.as_str(),
        "latest": points.last().map(|pt| pt.report.value),
        "progress": p,
        "expected": e,
        "status": status.map(Status::name),
        "history": history,
    })
}

/// How long a KPI's reporting party may go without reporting on an adopted
/// objective before a report is due again: 30 days.
pub const REPORT_EVERY_DAYS: i64 = 30;

/// What needs `ctx.me` in an objectives `state` ([`state`]): objectives
/// awaiting its endorsement of their latest version, and the KPIs of
/// adopted objectives it reports on, not yet met, whose latest report was
/// measured more than [`REPORT_EVERY_DAYS`] before `ctx.now` (or that have
/// none): a report is due, overdue once the KPI's own due date has passed.
pub fn needs(state: &Value, ctx: &Context<'_>) -> Vec<partnership::Need> {
    let me = ctx.me.as_str();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let every = REPORT_EVERY_DAYS * 86_400_000_000;
    let mut out = Vec::new();
    for o in state["objectives"].as_array().into_iter().flatten() {
        if o["stage"] == "awaiting-endorsement" && o["awaiting"].as_array().is_some_and(|a| a.iter().any(|p| p == me)) {
            out.push(partnership::Need { what: "endorse-objective", record: text(o, "id"), title: text(o, "title"), due: None, overdue: false });
        }
        if o["stage"] != "adopted" {
            continue;
        }
        for k in o["kpis"].as_array().into_iter().flatten() {
            if k["reporting_party"] != me || k["status"] == "met" {
                continue;
            }
            let last = k["history"].as_array().and_then(|h| h.iter().filter_map(|p| p["measured_at"].as_str()).filter_map(|t| Timestamp::parse(t).ok()).max());
            if last.is_some_and(|t| ctx.now.micros() - t.micros() <= every) {
                continue;
            }
            let due = Timestamp::parse(k["due"].as_str().unwrap_or_default()).ok();
            out.push(partnership::Need {
                what: "report-progress",
                record: text(o, "id"),
                title: format!("{}: {}", text(o, "title"), text(k, "name")),
                due: due.as_ref().map(ToString::to_string),
                overdue: due.is_some_and(|d| d < ctx.now),
            });
        }
    }
    out
}
