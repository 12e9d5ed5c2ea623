//! Entente's record kinds, declared once: which STIX types are partnership records, the agreement each belongs to, who receives it.
//!
//! A **partnership record** is an object of one of Entente's own types that
//! belongs to one agreement: the agreement itself, a ratification or notice
//! of it, and each record a partnership module defines (a meeting note, a
//! dispute, a statement). Every one but the agreement carries the same
//! marker, the top-level property [`AGREEMENT_MARKER`] (`agreement_ref`),
//! naming the agreement it belongs to.
//!
//! A partnership record goes to its author, to the parties of its
//! agreement's latest version, and to the identities its kind names in the
//! properties [`Kind::named`], whatever its TLP, and to no one else
//! ([`crate::decide_agreement_object`]); all its versions alike, recalled or
//! not. It is never shared under an agreement like intelligence. A kind
//! may let a record narrow the parties it goes to ([`Kind::audience`]: a
//! channel of some of the parties, and its messages): of the parties, only
//! those the record lists there receive it.
//!
//! Everything that must tell these records apart asks this table, never a
//! list or a type prefix of its own: the facts ([`crate::ObjectFacts`]),
//! the decision, the reference model, the write path (what a partner may
//! post, what rebuilds the agreements' index) and sync (what it reads from
//! a peer's everything collection).
//!
//! A partnership module adds one line to [`KINDS`] per record type it
//! defines. Tests add `x-entente-test-note` ([`TEST_NOTE`], feature
//! `test-kinds`), a module-style record the leak tests cover.

use crate::ids::{AGREEMENT_TYPE, NOTICE_TYPE, RATIFICATION_TYPE};

/// The property of every partnership record (but the agreement itself)
/// naming the agreement it belongs to.
pub const AGREEMENT_MARKER: &str = "agreement_ref";

/// How a partnership record names the agreement it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Belongs {
    /// It is the agreement (its own id).
    Itself,
    /// By the [`AGREEMENT_MARKER`] property.
    Marker,
}

/// One kind of partnership record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The STIX type.
    pub name: &'static str,
    /// How a record names its agreement.
    pub belongs: Belongs,
    /// Whether the agreements' state is derived from records of this kind:
    /// storing one rebuilds the agreements' index.
    pub feeds_index: bool,
    /// Properties (lists of identity ids) naming further recipients besides
    /// the agreement's parties.
    pub named: &'static [&'static str],
    /// The property (a list of identity ids) by which a record of this kind
    /// may narrow its audience: when the record carries it, of the
    /// agreement's parties only those it lists receive the record (its
    /// author and the identities in [`Kind::named`] still do). Absent: every
    /// party. An empty list: no party but the author.
    pub audience: Option<&'static str>,
    /// What makes records of this kind on a node (a partner cannot post
    /// them through TAXII or the share API), for error messages.
    pub made_by: &'static str,
}

const BY_AGREEMENT_ACTIONS: &str =
    "the agreement actions (/api/v1/agreements, the agreement pages, entente agreement)";

/// The agreement itself.
pub const AGREEMENT: Kind = Kind {
    name: AGREEMENT_TYPE,
    belongs: Belongs::Itself,
    feeds_index: true,
    named: &[],
    audience: None,
    made_by: BY_AGREEMENT_ACTIONS,
};

/// A party's ratification of one agreement version.
pub const RATIFICATION: Kind = Kind {
    name: RATIFICATION_TYPE,
    belongs: Belongs::Marker,
    feeds_index: true,
    named: &[],
    audience: None,
    made_by: BY_AGREEMENT_ACTIONS,
};

/// A party's notice of suspension, resumption or withdrawal.
pub const NOTICE: Kind = Kind {
    name: NOTICE_TYPE,
    belongs: Belongs::Marker,
    feeds_index: true,
    named: &[],
    audience: None,
    made_by: BY_AGREEMENT_ACTIONS,
};

/// A module-style record for tests: a note belonging to an agreement, which
/// may name observers (`observer_refs`) besides the agreement's parties and
/// narrow the parties it goes to (`audience_refs`).
#[cfg(any(test, feature = "test-kinds"))]
pub const TEST_NOTE: Kind = Kind {
    name: "x-entente-test-note",
    belongs: Belongs::Marker,
    feeds_index: false,
    named: &["observer_refs"],
    audience: Some("audience_refs"),
    made_by: "tests",
};

/// A partnership module's record kind: belongs by the marker, does not
/// feed the agreements' index, names no further recipients; `audience` as
/// [`Kind::audience`].
pub const fn module(name: &'static str, audience: Option<&'static str>) -> Kind {
    Kind {
        name,
        belongs: Belongs::Marker,
        feeds_index: false,
        named: &[],
        audience,
        made_by: "the module's actions (/api/v1/agreements/{id}/modules/..., entente module act)",
    }
}

/// A disputes record's kind: a module kind that also names the dispute's
/// mediators (`mediator_refs`) as recipients.
pub const fn disputes(name: &'static str) -> Kind {
    Kind { named: &["mediator_refs"], ..module(name, None) }
}

/// Every kind of partnership record: the registry.
pub static KINDS: &[Kind] = &[
    AGREEMENT,
    RATIFICATION,
    NOTICE,
    // dialogue (crates/dialogue): channels and their messages go to the
    // channel's members only, when it names them.
    module("x-entente-channel", Some("audience_refs")),
    module("x-entente-message", Some("audience_refs")),
    module("x-entente-meeting", None),
    module("x-entente-minutes-approval", None),
    module("x-entente-action-item", None),
    module("x-entente-action-update", None),
    // objectives (crates/objectives)
    module("x-entente-objective", None),
    module("x-entente-endorsement", None),
    module("x-entente-progress-report", None),
    // statements (crates/statements): to every party of the agreement.
    module("x-entente-statement", None),
    module("x-entente-statement-approval", None),
    module("x-entente-statement-objection", None),
    // disputes (crates/disputes): every record of a dispute also goes to
    // the mediators it names (`mediator_refs`, never a party).
    disputes("x-entente-dispute"),
    disputes("x-entente-dispute-position"),
    disputes("x-entente-dispute-proposal"),
    disputes("x-entente-dispute-acceptance"),
    disputes("x-entente-dispute-escalation"),
    // resources (crates/resources): the ledger goes to every party of the agreement.
    module("x-entente-resource-terms", None),
    module("x-entente-resource-terms-acceptance", None),
    module("x-entente-declared-figures", None),
    module("x-entente-commitment", None),
    module("x-entente-delivery", None),
    module("x-entente-delivery-confirmation", None),
    module("x-entente-ledger-correction", None),
    module("x-entente-joint-project", None),
    module("x-entente-capacity-request", None),
    module("x-entente-capacity-offer", None),
    module("x-entente-capacity-match", None),
    // exercises (crates/exercises): every record goes to the exercise's
    // parties alone; a released inject and its responses to control, the
    // targets and the observers.
    module("x-entente-exercise", Some("audience_refs")),
    module("x-entente-exercise-endorsement", Some("audience_refs")),
    module("x-entente-exercise-phase", Some("audience_refs")),
    module("x-entente-exercise-inject", Some("audience_refs")),
    module("x-entente-exercise-response", Some("audience_refs")),
    module("x-entente-exercise-observation", Some("audience_refs")),
    module("x-entente-exercise-lesson", Some("audience_refs")),
    module("x-entente-exercise-remedial-action", Some("audience_refs")),
    module("x-entente-exercise-remedial-update", Some("audience_refs")),
    module("x-entente-exercise-lesson-validation", Some("audience_refs")),
    // exchanges (crates/exercises, src/exchanges): placements and the
    // training catalogue, to every party of the agreement.
    module("x-entente-placement", None),
    module("x-entente-placement-acceptance", None),
    module("x-entente-placement-output", None),
    module("x-entente-placement-feedback", None),
    module("x-entente-course", None),
    module("x-entente-seat-request", None),
    module("x-entente-seat-confirmation", None),
    // crisis (crates/crisis): to every party of the agreement.
    module("x-entente-crisis-playbook", None),
    module("x-entente-crisis-playbook-endorsement", None),
    module("x-entente-crisis", None),
    module("x-entente-crisis-acknowledgement", None),
    module("x-entente-crisis-task-update", None),
    module("x-entente-crisis-sitrep", None),
    module("x-entente-crisis-assistance", None),
    module("x-entente-crisis-review", None),
    // scorecard (crates/scorecard): snapshots, to every party.
    module("x-entente-scorecard-snapshot", None),
    #[cfg(any(test, feature = "test-kinds"))]
    TEST_NOTE,
];

/// The kind of records of this STIX type, if it is a partnership record.
pub fn of(object_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == object_type)
}

/// Whether objects of this type are partnership records.
pub fn is_record(object_type: &str) -> bool {
    of(object_type).is_some()
}

/// Whether storing an object of this type changes what the agreements'
/// index is built from: a record of a kind that feeds it, or an identity
/// (partners' keys verify ratifications).
pub fn feeds_index(object_type: &str) -> bool {
    object_type == "identity" || of(object_type).is_some_and(|k| k.feeds_index)
}

/// The types the agreements' index is built from (see [`feeds_index`]).
pub fn index_types() -> impl Iterator<Item = &'static str> {
    KINDS.iter().filter(|k| k.feeds_index).map(|k| k.name).chain(["identity"])
}

/// The types sync reads from a peer's everything collection: every
/// partnership record, and identities (everything else comes by agreement
/// collection).
pub fn synced_types() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|k| k.name).chain(["identity"])
}
