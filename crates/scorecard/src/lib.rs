//! The partnership scorecard (docs/assessment.md): indicators per directed
//! pair (A→B, what A gave B and what B made of it) and per party over a
//! window, each normalised to [0, 1] with its n, a 95 % Wilson interval and
//! the ids of the evidence it counted; a weighted geometric composite; a
//! beta-reputation trust estimate per pair, with decay.
//!
//! Pure: an [`Evidence`] value in (gathered by `node::scorecard` from what
//! the viewing partner's node holds and may see), a [`Scorecard`] out. An
//! indicator whose evidence source is missing says so ([`Status::Absent`])
//! and one with fewer than [`MIN_N`] observations is [`Status::TooFew`]:
//! neither is ever shown as a number. Exercise data never counts.
//!
//! The module `scorecard` ([`Snapshots`], `snapshot.rs`) keeps snapshots
//! of the figures as partnership records and reads the agreement's
//! scorecard terms ([`terms`]); `changes.rs` compares a scorecard with one
//! (what changed since the last review). [`Kept`] (`kept.rs`) keeps the
//! sums per pair between computations, so that a scorecard and a new
//! object cost what they touch, not the year of evidence.

pub mod changes;
mod compute;
pub mod kept;
pub mod snapshot;
pub mod stats;
pub mod terms;

#[cfg(test)]
mod kept_tests;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use compute::{compute, compute_bare};
pub use kept::{Kept, KeptWire};
pub use snapshot::{Snapshots, SNAPSHOT};

/// Microseconds in a day.
pub const DAY: i64 = 86_400_000_000;

/// The default window: 90 days.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// How long after an object's `created` an answer counts as feedback: 14 days.
pub const FEEDBACK_DAYS: i64 = 14;

/// The fewest observations a proportion is shown for: below it, "too few".
pub const MIN_N: u64 = 5;

/// The indicators, in the order a scorecard lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 1 − |V_ab − V_ba| / (V_ab + V_ba), V the quality-weighted objects released.
    Reciprocity,
    /// Share released within the agreement's service level, creation to arrival.
    Timeliness,
    /// Share of received objects the recipient sighted.
    Actionability,
    /// 1 − false positives / (sightings + false positives) on a party's objects.
    Accuracy,
    /// Share of received objects the recipient learned first from this party.
    Novelty,
    /// Share of received objects answered (sighting, opinion, note) within 14 days.
    Feedback,
    /// 1 − handling violations / decisions.
    Compliance,
    /// The resources ledger's fair-share ratio, capped at 1.
    Burden,
    /// Share of shared objectives' KPIs met or on track.
    Objectives,
    /// Crisis steps in time: acknowledgements within service level, assistance committed.
    Crisis,
    /// Exercises and learning: participation, remedial actions closed on time.
    Exercises,
    /// Dialogue and disputes: meetings held against planned, disputes not left open.
    Dialogue,
}

impl Indicator {
    /// Every indicator, in order.
    pub const ALL: [Indicator; 12] = [
        Indicator::Reciprocity,
        Indicator::Timeliness,
        Indicator::Actionability,
        Indicator::Accuracy,
        Indicator::Novelty,
        Indicator::Feedback,
        Indicator::Compliance,
        Indicator::Burden,
        Indicator::Objectives,
        Indicator::Crisis,
        Indicator::Exercises,
        Indicator::Dialogue,
    ];

    /// Its name, as in JSON, weights and URLs.
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Reciprocity => "reciprocity",
            Indicator::Timeliness => "timeliness",
            Indicator::Actionability => "actionability",
            Indicator::Accuracy => "accuracy",
            Indicator::Novelty => "novelty",
            Indicator::Feedback => "feedback",
            Indicator::Compliance => "compliance",
            Indicator::Burden => "burden",
            Indicator::Objectives => "objectives",
            Indicator::Crisis => "crisis",
            Indicator::Exercises => "exercises",
            Indicator::Dialogue => "dialogue",
        }
    }

    /// The indicator called `name`.
    pub fn parse(name: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Whether it is computed from checks ([`Check`]) rather than releases.
    pub fn from_checks(self) -> bool {
        matches!(self, Indicator::Compliance | Indicator::Objectives | Indicator::Crisis | Indicator::Exercises | Indicator::Dialogue)
    }
}

/// An object one party (`author`) released to another (`recipient`) under
/// the agreement: one entry per object and recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// The object's id.
    pub id: String,
    /// Its author.
    pub author: String,
    /// The party it went to.
    pub recipient: String,
    /// Its `created`, microseconds.
    pub created: i64,
    /// When it reached the recipient's node (`date_added` there), if known:
    /// only the recipient's node knows it.
    pub arrived: Option<i64>,
    /// Its quality weight in [0, 1] (docs/assessment.md#quality).
    pub quality: f64,
    /// Whether the recipient learned it first from this author, if known:
    /// only the recipient's node knows.
    pub novel: Option<bool>,
    /// Exercise data: never counted.
    pub exercise: bool,
}

/// What a recipient did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReactionKind {
    /// A sighting of it (a confirmation).
    Sighting,
    /// A false positive reported on it (a sighting labelled so, or a
    /// disagreeing opinion).
    FalsePositive,
    /// Another opinion on it.
    Opinion,
    /// A note on it.
    Note,
}

/// A sighting, opinion or note by `by` on object `of`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaction {
    /// The reaction's own id.
    pub id: String,
    /// Its author.
    pub by: String,
    /// The object it is about.
    pub of: String,
    /// Its `created`, microseconds.
    pub at: i64,
    /// What it says.
    pub kind: ReactionKind,
    /// Exercise data: never counted.
    pub exercise: bool,
}

/// One yes-or-no observation of a party for a check-based indicator: a
/// KPI on track, an acknowledgement in time, a meeting held, a release
/// decision without violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The indicator it feeds (one with [`Indicator::from_checks`]).
    pub indicator: Indicator,
    /// The party it is about.
    pub party: String,
    /// The party it was owed to, when one (pair rows count it).
    pub towards: Option<String>,
    /// The record or log entry it comes from.
    pub id: String,
    /// When it was due or happened, microseconds.
    pub at: i64,
    /// Kept (true) or not.
    pub ok: bool,
    /// Exercise data: never counted.
    pub exercise: bool,
}

/// A party's fair-share ratio for one year from the resources ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Burden {
    /// The party.
    pub party: String,
    /// The year.
    pub year: i64,
    /// Actual share / GNI share.
    pub ratio: f64,
    /// The confirmed deliveries behind it.
    pub n: u64,
    /// The evidence (ledger records).
    pub evidence: Vec<String>,
}

/// Everything a scorecard is computed from, gathered from one node.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The agreement's parties.
    pub parties: Vec<String>,
    /// The time the scorecard is for, microseconds.
    pub at: i64,
    /// The window's length, microseconds (counted: `(at − window, at]`).
    pub window: i64,
    /// The agreement's release service level, microseconds, if it states one.
    pub service_level: Option<i64>,
    /// Objects released between parties (any time; the window is applied here).
    pub releases: Vec<Release>,
    /// Sightings, opinions and notes on them.
    pub reactions: Vec<Reaction>,
    /// Yes-or-no observations for the check-based indicators.
    pub checks: Vec<Check>,
    /// Fair-share ratios.
    pub burden: Vec<Burden>,
    /// Indicators whose evidence source is missing, with why.
    pub absent: BTreeMap<Indicator, String>,
    /// The agreement's weights; empty means every indicator weighs 1.
    pub weights: BTreeMap<Indicator, f64>,
}

/// Whether a figure is a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Measured: `value` is set.
    Measured,
    /// Fewer observations than the minimum: no value.
    TooFew,
    /// The evidence source is missing: no value.
    Absent,
}

/// One indicator's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// The indicator.
    pub indicator: Indicator,
    /// Measured, too few or absent.
    pub status: Status,
    /// The value in [0, 1], when measured.
    pub value: Option<f64>,
    /// Observations counted.
    pub n: u64,
    /// Successes (quality-weighted for reciprocity), of `n`.
    pub k: f64,
    /// 95 % interval, when measured and the figure is a proportion.
    pub interval: Option<[f64; 2]>,
    /// Why there is no value, or how to read it.
    pub note: Option<String>,
    /// The ids of the evidence counted (objects, records, log entries),
    /// sorted; all of them, or their first page (`evidence_total` set).
    pub evidence: Vec<String>,
    /// How many ids the figure counted, when `evidence` lists only the
    /// first of them (a page: `Kept::fill`); `None` when it lists all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_total: Option<usize>,
}

/// The composite of a row: weighted geometric mean of its measured figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Composite {
    /// The value, when some measured figure has a positive weight.
    pub value: Option<f64>,
    /// The geometric mean of the figures' interval bounds (those with one).
    pub interval: Option<[f64; 2]>,
    /// The indicators it was computed over.
    pub over: Vec<Indicator>,
}

/// Beta reputation of a party as its partner sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trust {
    /// Expected value `(r + 1) / (r + s + 2)`.
    pub value: f64,
    /// Decayed positive evidence.
    pub positive: f64,
    /// Decayed negative evidence.
    pub negative: f64,
    /// Events counted.
    pub events: u64,
}

/// The row of a directed pair A→B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    /// A: the party assessed.
    pub from: String,
    /// B: its partner.
    pub to: String,
    /// The figures.
    pub figures: Vec<Figure>,
    /// Their composite.
    pub composite: Composite,
    /// B's trust in A.
    pub trust: Trust,
}

/// The row of one party, over all its partners.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    /// The party.
    pub party: String,
    /// The figures.
    pub figures: Vec<Figure>,
    /// Their composite.
    pub composite: Composite,
}

/// A scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// When it is for, microseconds.
    pub at: i64,
    /// The window, in days.
    pub window_days: i64,
    /// The weights used (every indicator's, 0 for one left out).
    pub weights: BTreeMap<Indicator, f64>,
    /// Per party.
    pub parties: Vec<Party>,
    /// Per directed pair.
    pub pairs: Vec<Pair>,
    /// Exercise items set aside.
    pub exercise_set_aside: u64,
}

impl Scorecard {
    /// The figure of `indicator` in the row of `party`.
    pub fn party_figure(&self, party: &str, indicator: Indicator) -> Option<&Figure> {
        self.parties.iter().find(|p| p.party == party)?.figures.iter().find(|f| f.indicator == indicator)
    }

    /// The figure of `indicator` in the row of pair `from`→`to`.
    pub fn pair_figure(&self, from: &str, to: &str, indicator: Indicator) -> Option<&Figure> {
        self.pairs.iter().find(|p| p.from == from && p.to == to)?.figures.iter().find(|f| f.indicator == indicator)
    }
}
