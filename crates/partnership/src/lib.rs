//! The partnership module kit: what every partnership module (dialogues,
//! objectives, disputes, statements, crises, exercises, resources, the
//! scorecard) implements, and what the kit gives each of them.
//!
//! A module is four things (docs/modules.md):
//!
//! - its **record kinds**: STIX types of Entente's, each record authored by
//!   one partner and belonging to one agreement (the `agreement_ref`
//!   marker), declared in `policy`'s table of kinds so that the release
//!   decision sends them to the agreement's parties and no one else;
//! - **validation** of a record against its agreement, errors naming the
//!   property ([`Error`]);
//! - **actions**, each authoring exactly one record as the caller's partner
//!   ([`Module::act`] returns a [`Draft`]; [`author`] finishes it);
//! - a pure **state** derived from the records the caller may see at a
//!   time ([`Module::state`]): never stored, so every node computes the
//!   same state from the same records, whatever order they arrived in.
//!
//! The kit finishes and checks every record the same way ([`author`],
//! [`accept`]), hands modules their records in one canonical order
//! ([`Records`]), and states the contract every module passes in its own
//! tests ([`module_suite!`], feature `testsuite`). The server gives each
//! registered module REST endpoints through the one read and write path.

pub mod consent;
pub mod files;
pub mod fold;
pub mod input;
mod record;
#[cfg(any(test, feature = "testsuite"))]
pub mod suite;
#[cfg(test)]
mod tests;

pub use fold::Fold;
pub use record::{belongs_to_itself, finish, Draft, Record, Records, AGREEMENT_REF};

use model::Timestamp;
use policy::{Agreement, AgreementState, PartnerId};
use serde_json::{Map, Value};

/// Why a module refused an action or a record. Names the property at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A property is missing or malformed.
    #[error("{object}: property `{property}`: {reason}")]
    Invalid {
        /// The record (its id), or `input` for an action's input.
        object: String,
        /// The property at fault, as a path (`kpis[2].baseline`).
        property: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The caller may not do this (not a party, not the author).
    #[error("{0}")]
    Forbidden(String),
    /// No such record (or not one the caller may see), or no such action.
    #[error("{0}")]
    NotFound(String),
}

impl Error {
    /// A property of `object` is missing or malformed.
    pub fn invalid(object: impl std::fmt::Display, property: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Invalid { object: object.to_string(), property: property.into(), reason: reason.into() }
    }

    /// A property of an action's input is missing or malformed.
    pub fn input(property: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::invalid("input", property, reason)
    }
}

/// Where an action or a check happens: who acts, when, under which agreement.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The partner acting (or reading): the author of what an action makes.
    pub me: &'a PartnerId,
    /// Now, by the node's clock (tests pass a controlled one).
    pub now: Timestamp,
    /// The latest version of the agreement the records belong to.
    pub agreement: &'a Agreement,
    /// The agreement's state now.
    pub state: &'a AgreementState,
}

/// One action a module offers: its name in paths and commands, what it
/// does, and the kind of the one record it authors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Lowercase, hyphenated (`post-message`, `approve-minutes`).
    pub name: &'static str,
    /// One sentence for the API description and `--help`.
    pub about: &'static str,
    /// The record kind it authors.
    pub kind: &'static str,
}

/// The least role a user of a party needs to take an action
/// ([`Module::role`]): the node checks it for every interface that acts for
/// a signed-in user or a token (REST and the pages; the CLI is the node's
/// operator). Roles above the least may always act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Day-to-day work: messages, reports, tasks, sitreps, deliveries.
    Analyst,
    /// What commits or speaks for the party: endorsements, approvals,
    /// pledges, disputes, joint statements, agreed terms.
    Liaison,
}

impl Role {
    /// The role's name, as the node's roles are named.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Liaison => "liaison",
        }
    }

    /// A liaison's role for the actions `liaison` names, an analyst's for
    /// the rest.
    pub fn of(action: &str, liaison: &[&str]) -> Role {
        if liaison.contains(&action) {
            Role::Liaison
        } else {
            Role::Analyst
        }
    }
}

/// Which records make threads a user reads ([`Module::threads`]): those
/// of `kind`, grouped by the property `by` (a record id, such as a
/// message's `channel_ref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threads {
    /// The records' type.
    pub kind: &'static str,
    /// The property naming the thread a record is in.
    pub by: &'static str,
}

/// Registers a module's record kinds with the release decision
/// (`policy::kinds::register`): the node does it for every module it runs,
/// when it builds them (`node::modules::build`).
///
/// # Errors
/// A kind another module (or Entente) declares differently, a type
/// outside Entente's `x-entente-` namespace, a liaison action
/// ([`Module::liaison`]) that is none of the module's actions; a kind it
/// [reads](Module::reads) that is its own or outside that namespace.
pub fn declare(module: &dyn Module) -> Result<(), String> {
    if let Some(k) = module.reads().iter().find(|k| !k.starts_with("x-entente-") || module.kinds().contains(k)) {
        return Err(format!("module {}: reads {k}, which is its own kind or not another module's (x-entente-)", module.name()));
    }
    let kinds: Vec<policy::kinds::Kind> = module.kinds().iter().map(|name| module.kind(name)).collect();
    if let Some(k) = kinds.iter().zip(module.kinds()).find(|(k, name)| k.name != **name) {
        return Err(format!("module {}: kind({}) declares {}", module.name(), k.1, k.0.name));
    }
    if let Some(name) = module.liaison().iter().find(|name| !module.actions().iter().any(|a| a.name == **name)) {
        return Err(format!("module {}: liaison() names {name}, which is none of its actions", module.name()));
    }
    policy::kinds::register(&kinds).map_err(|e| format!("module {}: {e}", module.name()))
}

/// A partnership module. Implementations are pure: no I/O, no clock of
/// their own (the time is [`Context::now`]), no state but the records.
pub trait Module: Send + Sync + 'static {
    /// The module's name in paths and commands (`dialogue`).
    fn name(&self) -> &'static str;

    /// One sentence: what it is, for whom.
    fn about(&self) -> &'static str;

    /// The `extension-definition` id (`new-sdo`) under which its record
    /// types are defined; the kit marks every record with it.
    fn extension(&self) -> &'static str;

    /// The `extension-definition` id its records of `kind` are marked
    /// with: [`Module::extension`] for every kind by default. A module whose
    /// kinds were each defined under an id of its own (the agreements':
    /// agreement, ratification, notice) names each.
    fn extension_of(&self, kind: &str) -> &'static str {
        let _ = kind;
        self.extension()
    }

    /// Whether its records of `kind` are signed by their author, and what
    /// the signature covers: the bytes a record of `kind` drafted for `ctx`
    /// signs (a ratification: the agreement version's canonical JSON). The
    /// node signs them with the caller's party key when it acts
    /// (`node::modules::act_signed`), and the kit puts the signature in the
    /// record's [`SIGNATURE`] property ([`author_signed`]); a module never
    /// holds a key. None (unsigned) by default.
    fn signed(&self, kind: &str, ctx: &Context<'_>) -> Option<Vec<u8>> {
        let _ = (kind, ctx);
        None
    }

    /// The record kinds (STIX types) it defines, each starting with
    /// `x-entente-`; [`declare`] registers them with `policy::kinds`.
    fn kinds(&self) -> &'static [&'static str];

    /// Other modules' record kinds it reads (a crisis's assistance, an
    /// exchange's placements): its view's records hold them too, read
    /// through the same reader's gate as its own (`node::modules::view`),
    /// so a module sees of them only what its reader may see, and nothing
    /// it did not declare. It never authors or validates them. None by
    /// default.
    fn reads(&self) -> &'static [&'static str] {
        &[]
    }

    /// Who receives a record of one of its kinds, for the release decision:
    /// by default every party of the agreement ([`policy::kinds::module`]);
    /// a module overrides it for kinds that narrow their audience (a
    /// channel's members) or name further recipients (a dispute's mediators).
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        policy::kinds::module(name, None)
    }

    /// The agreement terms it reads (top-level properties of an agreement,
    /// beyond Entente's own): a proposal may carry them, and
    /// [`Module::check_terms`] checks them. None by default.
    fn terms(&self) -> &'static [&'static str] {
        &[]
    }

    /// Checks its terms of a proposed agreement version: refused with the
    /// property at fault (`dispute_terms.ladder[1].days`), so a malformed
    /// term is never agreed. Well formed by default.
    fn check_terms(&self, agreement: &policy::Agreement) -> Result<(), Error> {
        let _ = agreement;
        Ok(())
    }

    /// Holds its records put on release under `agreement` (a dispute's
    /// remedy, as the agreement's terms agreed it): while one holds,
    /// nothing is released under the agreement. `records` are its records
    /// of the kinds marked [`policy::kinds::Kind::may_hold`] (and every other
    /// kind of its) under that agreement, as the node holds them; the holds
    /// must follow from them alone, so every node puts the same. None by
    /// default.
    fn holds(&self, records: &Records, agreement: &policy::Agreement) -> Vec<policy::Hold> {
        let _ = (records, agreement);
        Vec::new()
    }

    /// The actions it offers.
    fn actions(&self) -> &'static [Action];

    /// The actions that commit or speak for the party and so need a
    /// liaison (docs/modules.md#roles); the others need an analyst. Each
    /// name is one of [`Module::actions`] ([`declare`] checks it).
    fn liaison(&self) -> &'static [&'static str] {
        &[]
    }

    /// The least role that may take `action`, from [`Module::liaison`].
    fn role(&self, action: &str) -> Role {
        Role::of(action, self.liaison())
    }

    /// Checks a record of one of its kinds on its own and against its
    /// agreement: refuse with the property named. Called for records made
    /// here and for records arriving from partners (sync) alike, so it must
    /// not depend on which other records a node happens to hold yet (they
    /// may arrive in any order): checks against other records (a reply to
    /// a message that exists) belong in [`Module::act`], and the state
    /// treats a reference to a record not (yet) seen as such.
    fn validate(&self, record: &Record, ctx: &Context<'_>) -> Result<(), Error>;

    /// What `action` authors for `ctx.me`, from its `input`: one record,
    /// new or a new version of one of the caller's own ([`Draft::revises`]),
    /// checked against the records the caller may see (`records`).
    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<Draft, Error>;

    /// The module's state for an agreement, derived from the records the
    /// reader may see (latest versions, recalled ones left out) at
    /// `ctx.now`. Must depend on the set of records only: [`Records`]
    /// hands them over in one canonical order.
    fn state(&self, records: &Records, ctx: &Context<'_>) -> Value;

    /// Its state kept as records arrive, if it keeps one ([`fold`]): a
    /// fresh, empty fold. None by default (the state is derived on each
    /// read).
    fn fold(&self) -> Option<Box<dyn Fold>> {
        None
    }

    /// What needs `ctx.me`'s partner now, read from the module's `state`
    /// (as [`Module::state`] derived it for `ctx`): the entries of its
    /// inbox (minutes awaiting its approval, items it owns, objectives
    /// awaiting its endorsement). None by default.
    fn needs(&self, state: &Value, ctx: &Context<'_>) -> Vec<Need> {
        let _ = (state, ctx);
        Vec::new()
    }

    /// Which of its records a user reads in threads, and so has unread
    /// (a channel's messages: the node keeps each user's read marks,
    /// `node::marks`). None by default.
    fn threads(&self) -> Option<Threads> {
        None
    }

    /// The files it offers from its state ([`files`]: an after-action
    /// report, a ledger as CSV). None by default.
    fn files(&self) -> &'static [files::Spec] {
        &[]
    }

    /// The state its files are drawn from ([`Module::file`]): the state
    /// itself by default; a module whose state holds only the newest of
    /// long lists (a ledger's lines) derives here the complete one, every
    /// row of the export. Same records, same `ctx`, as [`Module::state`].
    fn file_state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        self.state(records, ctx)
    }

    /// File `name` drawn from its `state` (as [`Module::file_state`] derived it
    /// for the reader), `of` the record named when the file is about one;
    /// `names` gives a party's name to show for its id. Refused with
    /// [`Error::NotFound`] for a file it does not offer or a record not in
    /// the state. Must depend on its arguments alone, so every node with
    /// the same state writes the same bytes.
    fn file(&self, name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<files::File, Error> {
        let _ = (of, state, names);
        Err(files::not_found(self.name(), name))
    }

    /// The TAXII collections it derives from its `state` (as
    /// [`Module::state`] derived it for the reader): a crisis's own
    /// collection. The node serves each one as the objects shared under
    /// the agreement that a container names with the anchor, and those in
    /// `named` (docs/modules.md, "A module's collections"). None by default.
    fn collections(&self, state: &Value) -> Vec<Collection> {
        let _ = state;
        Vec::new()
    }

    /// Whether it may derive collections ([`Module::collections`]), so
    /// that the node reads its state when listing collections. False by
    /// default.
    fn has_collections(&self) -> bool {
        false
    }
}

/// A TAXII collection a module derives from its state
/// ([`Module::collections`]): what it is called, and what decides which of
/// the objects shared under the agreement belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// The collection's id: the UUID of the anchor record's id.
    pub id: String,
    /// Its title (a crisis's names it, an exercise's says so).
    pub title: String,
    /// Its description.
    pub description: String,
    /// The record it is about: a report, grouping, note or opinion shared
    /// under the agreement whose `object_refs` names it puts itself and
    /// the objects it names in the collection.
    pub anchor: String,
    /// Further ids that belong to it (a crisis's key intelligence).
    pub named: Vec<String>,
}

/// An entry of a partner's inbox: one record of a module that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// What it needs, hyphenated (`approve-minutes`, `action-item`,
    /// `endorse-objective`, `report-progress`).
    pub what: &'static str,
    /// The record it concerns.
    pub record: String,
    /// A line to show: the record's title or description.
    pub title: String,
    /// When it is due, if it is.
    pub due: Option<String>,
    /// Whether that is past (`ctx.now`).
    pub overdue: bool,
}

impl Need {
    /// The entry as JSON, as the API and the command show it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "what": self.what, "record": self.record, "title": self.title, "due": self.due, "overdue": self.overdue })
    }
}

/// Turns what `action` drafts into the record to store: the common
/// properties set (type, id, times, `created_by_ref` = the caller,
/// `agreement_ref` = the agreement), parsed as a STIX object and checked
/// by the module ([`Module::validate`]). Only parties of the agreement act;
/// only a record's author versions it.
pub fn author(module: &dyn Module, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>) -> Result<model::Object, Error> {
    author_signed(module, action, input, records, ctx, None)
}

/// The property of a signed kind's record ([`Module::signed`]) holding its
/// author's signature.
pub const SIGNATURE: &str = "signature";

/// Signs bytes with the acting party's key (the node holds it): the
/// signature as the record carries it, or why it cannot sign.
pub type Signer<'a> = &'a dyn Fn(&[u8]) -> Result<String, String>;

/// [`author`], with the acting party's `signer` for an action whose kind
/// is signed ([`Module::signed`]): the draft's [`SIGNATURE`] is set to the
/// signature of what the module says the kind signs. Without a signer such
/// an action is refused (forbidden: only the node holding the party's key
/// signs for it).
pub fn author_signed(module: &dyn Module, action: &str, input: &Map<String, Value>, records: &Records, ctx: &Context<'_>, signer: Option<Signer<'_>>) -> Result<model::Object, Error> {
    let declared = module
        .actions()
        .iter()
        .find(|a| a.name == action)
        .ok_or_else(|| Error::NotFound(format!("{} has no action `{action}`", module.name())))?;
    if !ctx.agreement.is_party(ctx.me) {
        return Err(Error::Forbidden(format!("{} is not a party to {}", ctx.me, ctx.agreement.id)));
    }
    let mut draft = module.act(action, input, records, ctx)?;
    if draft.kind != declared.kind {
        return Err(Error::Forbidden(format!("action `{action}` authors {}, not {}", declared.kind, draft.kind)));
    }
    if let Some(message) = module.signed(draft.kind, ctx) {
        let sign = signer.ok_or_else(|| Error::Forbidden(format!("{} `{action}` is signed with {}'s key: only a node holding it takes it", module.name(), ctx.me)))?;
        let signature = sign(&message).map_err(|e| Error::Forbidden(format!("{} `{action}`: cannot sign as {}: {e}", module.name(), ctx.me)))?;
        draft.properties.insert(SIGNATURE.into(), Value::from(signature));
    }
    let object = finish(module, draft, records, ctx)?;
    let record = Record::from_object(&object)?;
    module.validate(&record, ctx)?;
    Ok(object)
}

/// Checks a record that arrived from a partner (sync) before it is
/// stored: one of the module's kinds, belonging to `ctx.agreement`,
/// authored by one of its parties, valid for the module on its own.
pub fn accept(module: &dyn Module, object: &model::Object, ctx: &Context<'_>) -> Result<Record, Error> {
    accept_record(module, Record::from_object(object)?, ctx)
}

/// [`accept`] of a record already read from its object (a sync reads it
/// once to find its agreement, then checks it).
pub fn accept_record(module: &dyn Module, record: Record, ctx: &Context<'_>) -> Result<Record, Error> {
    if !module.kinds().contains(&record.kind.as_str()) {
        return Err(Error::invalid(&record.id, "type", format!("not a record of {}", module.name())));
    }
    if record.agreement != ctx.agreement.id {
        return Err(Error::invalid(&record.id, AGREEMENT_REF, format!("must be {}", ctx.agreement.id)));
    }
    if !ctx.agreement.is_party(&record.author) {
        return Err(Error::invalid(&record.id, "created_by_ref", format!("{} is not a party to {}", record.author, ctx.agreement.id)));
    }
    module.validate(&record, ctx)?;
    Ok(record)
}
