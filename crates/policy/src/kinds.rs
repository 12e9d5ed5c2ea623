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
//! Entente's own kinds are [`BUILT_IN`]; a partnership module declares its
//! kinds itself (`partnership::Module::kinds`, built with [`module`]) and
//! the node [`register`]s them when it builds its modules, so adding a
//! module edits nothing here. A record of an Entente type (the [`PREFIX`])
//! that no kind declares gets the narrowest reading ([`undeclared`]): a
//! forgotten registration can only withhold, never widen. Tests add
//! `x-entente-test-note` ([`TEST_NOTE`], feature `test-kinds`), a
//! module-style record the leak tests cover.

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
    /// Whether its module derives holds on release from records of this
    /// kind ([`crate::Hold`]: a dispute's remedy): storing one rebuilds the
    /// agreements' index, as [`Kind::feeds_index`] does, without the
    /// agreement's own records' reach.
    pub may_hold: bool,
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
    may_hold: false,
};

/// A party's ratification of one agreement version.
pub const RATIFICATION: Kind = Kind {
    name: RATIFICATION_TYPE,
    belongs: Belongs::Marker,
    feeds_index: true,
    named: &[],
    audience: None,
    made_by: BY_AGREEMENT_ACTIONS,
    may_hold: false,
};

/// A party's notice of suspension, resumption or withdrawal.
pub const NOTICE: Kind = Kind {
    name: NOTICE_TYPE,
    belongs: Belongs::Marker,
    feeds_index: true,
    named: &[],
    audience: None,
    made_by: BY_AGREEMENT_ACTIONS,
    may_hold: false,
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
    may_hold: false,
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
        may_hold: false,
    }
}

impl Kind {
    /// The same kind, also going to the identities listed in these
    /// properties ([`Kind::named`]): a dispute's `mediator_refs`.
    pub const fn naming(self, named: &'static [&'static str]) -> Kind {
        Kind { named, ..self }
    }

    /// The same kind, its records read for holds on release
    /// ([`Kind::may_hold`]).
    pub const fn holding(self) -> Kind {
        Kind { may_hold: true, ..self }
    }
}

/// The kinds Entente itself defines: the agreement, its ratifications and
/// notices (and, in tests, [`TEST_NOTE`]). A module's kinds are declared by
/// the module (`partnership::Module::kinds`) and [`register`]ed at start.
pub static BUILT_IN: &[Kind] = &[
    AGREEMENT,
    RATIFICATION,
    NOTICE,
    #[cfg(any(test, feature = "test-kinds"))]
    TEST_NOTE,
];

/// The prefix of every type Entente defines. A record of such a type that
/// no kind declares (a module this node does not run, or not registered)
/// is still a partnership record, with the narrowest reading
/// ([`undeclared`]): fail closed, never shared like intelligence.
pub const PREFIX: &str = "x-entente-";

/// The kind given to a record of an Entente type no kind declares: it
/// belongs by the marker (none: to its author alone), goes to the parties
/// its `audience_refs` lists when it has them, names no one else, and no
/// partner may post it.
pub const fn undeclared(name: &'static str) -> Kind {
    Kind { made_by: "a partnership module this node does not run", ..module(name, Some("audience_refs")) }
}

/// The modules' kinds, registered at start ([`register`]): append-only, read
/// through a per-thread copy refreshed when [`GENERATION`] moves, so a
/// release decision takes no lock.
static REGISTERED: std::sync::RwLock<&'static [Kind]> = std::sync::RwLock::new(&[]);
static GENERATION: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    static SEEN: std::cell::Cell<(usize, &'static [Kind])> = const { std::cell::Cell::new((0, &[])) };
}

/// Registers a module's record kinds; done once per module when the node
/// builds its modules (`node::modules::Modules`). Registering a kind again
/// with the same declaration does nothing.
///
/// # Errors
/// A name already declared differently (by Entente or another module):
/// two modules may not define one type.
pub fn register(kinds: &[Kind]) -> Result<(), String> {
    let mut registered = REGISTERED.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut next: Vec<Kind> = registered.to_vec();
    for kind in kinds {
        let known = BUILT_IN.iter().chain(next.iter()).find(|k| k.name == kind.name);
        match known {
            Some(k) if k == kind => {}
            Some(_) => return Err(format!("record kind {} is declared twice, differently", kind.name)),
            None if !kind.name.starts_with(PREFIX) => return Err(format!("record kind {} does not start with {PREFIX}", kind.name)),
            None => next.push(*kind),
        }
    }
    if next.len() != registered.len() {
        // Each change leaks one small table; registrations happen at start.
        *registered = Box::leak(next.into_boxed_slice());
        GENERATION.fetch_add(1, std::sync::atomic::Ordering::Release);
    }
    Ok(())
}

/// The registered modules' kinds, as this thread last saw them.
fn registered() -> &'static [Kind] {
    let generation = GENERATION.load(std::sync::atomic::Ordering::Acquire);
    SEEN.with(|seen| {
        let (at, kinds) = seen.get();
        if at == generation {
            return kinds;
        }
        let kinds = *REGISTERED.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.set((generation, kinds));
        kinds
    })
}

/// Every declared kind: Entente's own, then the registered modules'.
pub fn all() -> impl Iterator<Item = &'static Kind> {
    BUILT_IN.iter().chain(registered())
}

/// The kind of records of this STIX type, if it is a partnership record:
/// declared, or [`undeclared`] for any other Entente type.
pub fn of(object_type: &str) -> Option<Kind> {
    if let Some(kind) = all().find(|k| k.name == object_type) {
        return Some(*kind);
    }
    object_type.starts_with(PREFIX).then(|| undeclared(UNDECLARED))
}

/// The name [`of`] gives an undeclared kind (the type itself is the record's).
const UNDECLARED: &str = "x-entente-undeclared";

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
    all().filter(|k| k.feeds_index).map(|k| k.name).chain(["identity"])
}

/// The types whose storing changes what the agreements' index holds: those
/// it is built from ([`index_types`]) and those holds are derived from
/// ([`Kind::may_hold`]).
pub fn watched_types() -> impl Iterator<Item = &'static str> {
    index_types().chain(all().filter(|k| k.may_hold).map(|k| k.name))
}

/// Whether storing an object of this type changes what the agreements'
/// index holds ([`watched_types`]).
pub fn rebuilds_index(object_type: &str) -> bool {
    feeds_index(object_type) || of(object_type).is_some_and(|k| k.may_hold)
}

/// The types sync reads from a peer's everything collection: every
/// partnership record, and identities (everything else comes by agreement
/// collection).
pub fn synced_types() -> impl Iterator<Item = &'static str> {
    all().map(|k| k.name).chain(["identity"])
}
