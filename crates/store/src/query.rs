//! Query parameters and pages: the TAXII filter model, backend-neutral.

use model::Timestamp;

use crate::{DateAdded, Gate, ObservableKey, Record};

/// Which versions of each object a query selects. Several may be combined;
/// a version is selected when any of them selects it. The default is `last`.
/// With a gate, `first` and `last` are the first and last versions the gate
/// lets through ([`crate::chooses`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Every version.
    pub all: bool,
    /// The earliest version of each object.
    pub first: bool,
    /// The latest version of each object.
    pub last: bool,
    /// Versions whose version timestamp equals one of these.
    pub at: Vec<Timestamp>,
}

impl Default for Versions {
    fn default() -> Self {
        Versions::LAST
    }
}

impl Versions {
    /// Only the latest version of each object.
    pub const LAST: Versions = Versions { all: false, first: false, last: true, at: Vec::new() };
    /// Every version.
    pub const ALL: Versions = Versions { all: true, first: false, last: false, at: Vec::new() };
    /// Only the earliest version of each object.
    pub const FIRST: Versions = Versions { all: false, first: true, last: false, at: Vec::new() };

    /// Selects the given version timestamp only.
    pub fn at(ts: Timestamp) -> Versions {
        Versions { all: false, first: false, last: false, at: vec![ts] }
    }

    /// Whether a version with these properties is selected.
    pub fn selects(&self, is_first: bool, is_last: bool, version_micros: i64) -> bool {
        self.all
            || (self.first && is_first)
            || (self.last && is_last)
            || self.at.iter().any(|t| t.micros() == version_micros)
    }
}

/// Where a previous page ended: the `date_added` of its last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub DateAdded);

/// A query over stored versions. Lists are OR within themselves and the
/// fields are ANDed, as TAXII filters are. Empty lists do not filter.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Object types.
    pub types: Vec<String>,
    /// Object ids.
    pub ids: Vec<String>,
    /// Only versions added strictly after this time (microseconds).
    pub added_after: Option<i64>,
    /// Which versions of each object.
    pub versions: Versions,
    /// `spec_version` values.
    pub spec_versions: Vec<String>,
    /// Authors (`created_by_ref`).
    pub authors: Vec<String>,
    /// Only versions in this collection; their `date_added` is then the
    /// date they were added to it.
    pub collection: Option<String>,
    /// Only versions carrying one of these observables.
    pub observables: Vec<ObservableKey>,
    /// A read by arrival (without a collection): every version matching
    /// the filters once as stored (`Record::via` empty), and once more for
    /// each of its memberships of these collections (`via` the
    /// collection), dated by that membership; all in one `date_added`
    /// order. A reader's everything collection is read this way over the
    /// agreement collections it may use, so a version shared later under
    /// one of them arrives when it is shared (docs/taxii.md).
    pub through: Vec<String>,
    /// Page size; `None` means no limit.
    pub limit: Option<usize>,
    /// Continue after this cursor.
    pub after: Option<Cursor>,
    /// Only versions this gate lets through (the release decision for the
    /// reader); applied before `limit`.
    pub gate: Option<Gate>,
}

impl Query {
    /// Whether the query chooses `first` or `last` among the versions its
    /// gate lets through ([`crate::chooses`]): a backend then reads every
    /// version of each object and chooses row by row.
    pub fn chooses_among_gated(&self) -> bool {
        self.gate.is_some() && !self.versions.all && (self.versions.first || self.versions.last)
    }

    /// The exclusive lower bound on `date_added` from `added_after` and the cursor.
    pub fn lower_bound(&self) -> i64 {
        let cursor = self.after.map_or(i64::MIN, |c| c.0 .0);
        self.added_after.unwrap_or(i64::MIN).max(cursor)
    }
}

/// One page of a query.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records, in `date_added` order.
    pub records: Vec<Record>,
    /// Whether more records match after this page.
    pub more: bool,
    /// Where to continue, when `more`.
    pub next: Option<Cursor>,
}
