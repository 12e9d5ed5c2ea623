//! The contract every partnership module passes, written once
//! ([`crate::module_suite!`]): each module's tests instantiate it with the
//! module and a scenario of actions by the parties of a trilateral
//! agreement, as `store::conformance_suite!` is instantiated per backend.
//!
//! What it checks, for every step of the scenario:
//!
//! - the action authors exactly one record, of the kind it declares, by
//!   the caller, belonging to the agreement;
//! - a partner outside the agreement can take no action, and a record it
//!   authored is refused on arrival (naming `created_by_ref`);
//! - only a record's author versions it;
//! - the state derived from the records is the same whatever order they
//!   arrive in and however they are split between two arrivals (a
//!   property test over permutations);
//! - a record withdrawn by its author leaves the records the state is
//!   derived from;
//! - every kind is declared in `policy`'s table of kinds, and the release
//!   decision gives each record to the agreement's parties (those of its
//!   audience, when it narrows it), at any TLP, and to no one else.

use model::tlp::Tlp;
use model::{Object, StixId, Timestamp};
use policy::{Action as Iep, Agreement, AgreementState, AgreementTerms, Attribution, DataKind, Handling, Reshare, Scope};
use serde_json::{json, Map, Value};

use crate::{Action, Context, Draft, Error, Module, Record, Records};

/// One step of a scenario: which party acts (0, 1 or 2), the action, its
/// input. A string `"$N"` anywhere in the input stands for the id of the
/// record step `N` made (a message's channel, the meeting an approval is of).
pub type Step = (usize, &'static str, Value);

/// `input` with every string `"$N"` replaced by the id of the record made
/// at step `N` (left as it is if no such step was made yet).
pub fn resolve(input: &Value, made: &[(Object, Record)]) -> Value {
    match input {
        Value::String(s) => match s.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()).and_then(|n| made.get(n)) {
            Some((_, record)) => Value::from(record.id.as_str()),
            None => input.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, made)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v, made))).collect()),
        other => other.clone(),
    }
}

/// A trilateral agreement between partners 0, 1 and 2, in force; partner
/// 3 is no party to it.
pub struct World {
    /// The four partners.
    pub partners: Vec<StixId>,
    /// The agreement.
    pub agreement: Agreement,
    /// Its state (in force).
    pub state: AgreementState,
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

fn fixed(ty: &str, n: u32) -> StixId {
    StixId::parse(&format!("{ty}--00000000-0000-4000-8000-{n:012}")).expect("a valid id")
}

impl World {
    /// The world every suite runs in.
    pub fn new() -> World {
        let partners: Vec<StixId> = (1..=4).map(|n| fixed("identity", n)).collect();
        let t = Timestamp::parse("2026-01-01T00:00:00Z").expect("a timestamp");
        let terms = AgreementTerms {
            title: "Trilateral partnership".into(),
            purpose: "Run a partnership".into(),
            parties: partners[..3].to_vec(),
            scope: Scope { object_types: Vec::new(), labels: Vec::new(), data_kind: DataKind::Both },
            tlp_ceiling: Tlp::Amber,
            handling: Handling { reshare: Reshare::PartiesOnly, attribution: Attribution::Required, permitted_actions: vec![Iep::InternallyVisible], retention_days: None },
            valid_from: t.clone(),
            valid_until: None,
            meeting_cadence: Vec::new(),
            statement_procedure: Default::default(),
        };
        let object = policy::ext::agreement_object(&fixed(policy::ext::AGREEMENT_TYPE, 1), &partners[0], &t, &t, &terms).expect("a valid agreement");
        let agreement = Agreement::from_object(&object).expect("a valid agreement");
        World { partners, agreement, state: AgreementState::InForce }
    }

    /// The context of partner `who` at `now`.
    pub fn ctx(&self, who: usize, now: &Timestamp) -> Context<'_> {
        Context { me: &self.partners[who], now: now.clone(), agreement: &self.agreement, state: &self.state }
    }
}

/// Runs a scenario: each step authored through [`crate::author`] at a
/// clock one minute after the last, from `start`. Returns every record
/// made, in order, with the object each was stored as. Panics, naming the
/// step, if a step is refused.
pub fn run(module: &dyn Module, world: &World, start: &Timestamp, steps: &[Step]) -> Vec<(Object, Record)> {
    let mut made: Vec<(Object, Record)> = Vec::new();
    for (i, (who, action, input)) in steps.iter().enumerate() {
        let now = Timestamp::from_micros(start.micros() + (i as i64 + 1) * 60_000_000);
        let records = Records::new(made.iter().map(|(_, r)| r.clone()));
        let Value::Object(input) = resolve(input, &made) else { panic!("step {i}: the input must be a JSON object") };
        let sign = sign_as(*who);
        let object = crate::author_signed(module, action, &input, &records, &world.ctx(*who, &now), Some(&sign)).unwrap_or_else(|e| panic!("step {i} ({action} by partner {who}): {e}"));
        let record = Record::from_object(&object).unwrap_or_else(|e| panic!("step {i}: {e}"));
        made.push((object, record));
    }
    made
}

/// Signs as partner `who` of the [`World`] (a test key of its own), for
/// the kinds a module signs ([`Module::signed`]).
pub fn sign_as(who: usize) -> impl Fn(&[u8]) -> Result<String, String> {
    move |message| policy::sign_agreement(message, &[who as u8 + 1; 32]).map_err(|e| e.to_string())
}

/// Every action authors one record of its kind, by the caller, belonging
/// to the agreement, marked with the module's extension for its kind.
pub fn authors_one_record_each(module: &dyn Module, steps: &[Step]) {
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let made = run(module, &world, &start, steps);
    assert_eq!(made.len(), steps.len());
    for ((who, action, _), (object, record)) in steps.iter().zip(&made) {
        let declared = module.actions().iter().find(|a| a.name == *action).expect("a declared action");
        assert_eq!(record.kind, declared.kind, "{action}");
        assert!(module.kinds().contains(&declared.kind), "{action} authors {}, which {} does not declare", declared.kind, module.name());
        assert_eq!(&record.author, &world.partners[*who], "{action}: the author is the caller");
        assert_eq!(record.agreement, world.agreement.id, "{action}: the record belongs to the agreement");
        let value = object.to_value();
        assert_eq!(value["extensions"][module.extension_of(&record.kind)]["extension_type"], "new-sdo", "{action}: {value}");
    }
}

/// A partner outside the agreement can take no action, and what it
/// authors is refused on arrival.
pub fn outsiders_neither_act_nor_arrive(module: &dyn Module, steps: &[Step]) {
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let made = run(module, &world, &start, steps);
    let records = Records::new(made.iter().map(|(_, r)| r.clone()));
    let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a timestamp");
    for (_, action, input) in steps {
        let Value::Object(input) = resolve(input, &made) else { continue };
        let refused = crate::author(module, action, &input, &records, &world.ctx(3, &now));
        assert!(matches!(refused, Err(crate::Error::Forbidden(_))), "{action} by a non-party: {refused:?}");
    }
    for (object, record) in &made {
        let mut forged = object.to_value();
        forged["created_by_ref"] = Value::from(world.partners[3].as_str());
        let forged = Object::from_value(forged).expect("still a valid object");
        let refused = crate::accept(module, &forged, &world.ctx(0, &now));
        match refused {
            Err(crate::Error::Invalid { property, .. }) => assert_eq!(property, "created_by_ref", "{}", record.id),
            other => panic!("{}: a record by a non-party was not refused for its author: {other:?}", record.id),
        }
    }
}

/// Only a record's author versions it: another party's new version of it
/// is refused.
pub fn only_the_author_versions(module: &dyn Module, steps: &[Step]) {
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let made = run(module, &world, &start, steps);
    let records = Records::new(made.iter().map(|(_, r)| r.clone()));
    let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a timestamp");
    for (_, record) in &made {
        let other = world.partners.iter().position(|p| *p != record.author).expect("another partner");
        let kind = module.kinds().iter().copied().find(|k| *k == record.kind).expect("a declared kind");
        let draft = Draft::revise(kind, &record.id, Map::new());
        let refused = crate::finish(module, draft.clone(), &records, &world.ctx(other, &now));
        assert!(matches!(refused, Err(crate::Error::Forbidden(_))), "{} revised by another: {refused:?}", record.id);
        let author = world.partners.iter().position(|p| *p == record.author).expect("its author");
        let own = crate::finish(module, draft, &records, &world.ctx(author, &now)).unwrap_or_else(|e| panic!("{}: its author's new version: {e}", record.id));
        let own = Record::from_object(&own).expect("a record");
        assert!(own.modified > record.modified, "a new version is later than the one it replaces");
        assert_eq!(own.created, record.created, "a new version keeps `created`");
    }
}

/// A record withdrawn by its author leaves the records a state is derived from.
pub fn withdrawn_records_leave(module: &dyn Module, steps: &[Step]) {
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let made = run(module, &world, &start, steps);
    let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a timestamp");
    for (_, record) in &made {
        let records = Records::new(made.iter().map(|(_, r)| r.clone()));
        let author = world.partners.iter().position(|p| *p == record.author).expect("its author");
        let kind = module.kinds().iter().copied().find(|k| *k == record.kind).expect("a declared kind");
        let draft = Draft { withdraw: true, ..Draft::revise(kind, &record.id, record_properties(record)) };
        let withdrawn = crate::finish(module, draft, &records, &world.ctx(author, &now)).unwrap_or_else(|e| panic!("{}: withdrawal: {e}", record.id));
        let withdrawn = Record::from_object(&withdrawn).expect("a record");
        let after = Records::new(made.iter().map(|(_, r)| r.clone()).chain([withdrawn]));
        assert!(after.iter().all(|r| r.id != record.id), "{} still counts after its withdrawal", record.id);
        assert_eq!(after.len() + 1, records.len());
    }
}

/// Every kind registers with `policy::kinds`, and each record goes to the
/// agreement's parties (narrowed or widened as its kind says) and to no
/// one else, whatever its TLP marking.
pub fn parties_alone_receive(module: &dyn Module, steps: &[Step]) {
    crate::declare(module).unwrap_or_else(|e| panic!("{e}"));
    for kind in module.kinds() {
        assert_eq!(policy::kinds::of(kind), Some(module.kind(kind)), "{kind} is registered as the module declares it");
    }
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let index = policy::AgreementIndex::build(std::slice::from_ref(&world.agreement), &[], &[], &policy::PartyKeys::new());
    let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a timestamp");
    for (object, record) in run(module, &world, &start, steps) {
        for tlp in [None, Some(Tlp::Clear), Some(Tlp::Red)] {
            let mut value = object.to_value();
            if let Some(t) = tlp {
                value["object_marking_refs"] = json!([t.marking_id()]);
            }
            let object = Object::from_value(value).expect("still a valid object");
            let facts = policy::ObjectFacts::from_object(&object).unwrap_or_else(|e| panic!("{}: {e}", record.id));
            // A record that narrows its audience (policy::kinds::Kind::audience)
            // goes to its author and the parties it lists alone.
            let audience: Option<Vec<String>> = policy::kinds::of(&record.kind)
                .and_then(|k| k.audience)
                .and_then(|a| record.properties.get(a))
                .map(|list| list.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect());
            for (i, partner) in world.partners.iter().enumerate() {
                let allowed = policy::decide(&facts, partner, &now, &[], &index).is_allowed();
                let listed = audience.as_ref().is_none_or(|a| a.iter().any(|p| p == partner.as_str()));
                let expected = *partner == record.author || (i < 3 && listed);
                assert_eq!(allowed, expected, "{} ({tlp:?}) to partner {i}: {}", record.id, if allowed { "released" } else { "refused" });
            }
        }
    }
}

/// The module's own properties of a record (the common ones left out).
pub fn record_properties(record: &Record) -> Map<String, Value> {
    let common = ["type", "spec_version", "id", "created", "modified", "created_by_ref", crate::AGREEMENT_REF, "revoked", "extensions"];
    record.properties.iter().filter(|(k, _)| !common.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The state from the scenario's records, delivered in the order `order`
/// gives (a permutation of their indices) and split in two arrivals at
/// `split`: must equal the state from the records in scenario order.
pub fn same_state_in_any_order(module: &dyn Module, steps: &[Step], order: &[usize], split: usize) {
    let world = World::new();
    let start = Timestamp::parse("2026-06-01T00:00:00Z").expect("a timestamp");
    let made = run(module, &world, &start, steps);
    let now = Timestamp::parse("2026-07-01T00:00:00Z").expect("a timestamp");
    let records: Vec<Record> = made.iter().map(|(_, r)| r.clone()).collect();
    let expected = module.state(&Records::new(records.clone()), &world.ctx(0, &now));
    let shuffled: Vec<Record> = order.iter().map(|i| records[*i % records.len().max(1)].clone()).collect();
    let (first, second) = shuffled.split_at(split.min(shuffled.len()));
    let mut node = Records::new(first.to_vec());
    node = Records::new(node.iter().cloned().chain(second.iter().cloned()).chain(records.iter().cloned()));
    for who in 0..3 {
        assert_eq!(module.state(&node, &world.ctx(who, &now)), module.state(&Records::new(records.clone()), &world.ctx(who, &now)));
    }
    assert_eq!(module.state(&node, &world.ctx(0, &now)), expected);
    // A module that keeps its state as records arrive: fed one version at
    // a time in this order, in two batches (built again after the first
    // when it had to be), it reads as the state derived from them all, at
    // any time.
    if module.fold().is_some() {
        let (mut kept, mut fold) = (Records::default(), module.fold());
        for batch in [first.to_vec(), second.iter().chain(records.iter()).cloned().collect::<Vec<_>>()] {
            for r in batch {
                crate::fold::feed(&mut kept, &mut fold, r);
            }
            if fold.is_none() {
                fold = crate::fold::refold(module, &kept);
            }
            assert!(fold.is_some(), "{}: its fold takes every record from nothing", module.name());
        }
        assert_eq!(kept, Records::new(records.clone()));
        for who in 0..3 {
            for at in [&start, &now, &Timestamp::from_micros(start.micros() + 30 * 60_000_000), &Timestamp::parse("2027-01-01T00:00:00Z").expect("a timestamp")] {
                let ctx = world.ctx(who, at);
                assert_eq!(crate::fold::state(module, &kept, fold.as_deref(), &ctx), module.state(&kept, &ctx), "{}: folded at {at}", module.name());
            }
        }
    }
}

/// The example module's one record kind (declared in `policy`'s kinds
/// for tests, feature `test-kinds`).
pub const NOTE: &str = "x-entente-test-note";

/// An example module, the smallest of the shape every module has: notes
/// between the parties of an agreement, each optionally a reply to
/// another, editable by their author. The kit's and the server's tests
/// run on it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Notes;

impl Module for Notes {
    fn name(&self) -> &'static str {
        "notes"
    }
    fn about(&self) -> &'static str {
        "Notes between the parties of an agreement (the kit's test module)."
    }
    fn extension(&self) -> &'static str {
        "extension-definition--00000000-0000-4000-8000-00000000beef"
    }
    fn kinds(&self) -> &'static [&'static str] {
        &[NOTE]
    }
    fn kind(&self, _name: &'static str) -> policy::kinds::Kind {
        policy::kinds::TEST_NOTE
    }
    fn actions(&self) -> &'static [Action] {
        &[
            Action { name: "post", about: "Post a note.", kind: NOTE },
            Action { name: "edit", about: "Edit one of your notes.", kind: NOTE },
        ]
    }
    fn validate(&self, record: &Record, _ctx: &Context<'_>) -> Result<(), Error> {
        let text = record.str("text")?;
        if text.trim().is_empty() {
            return Err(Error::invalid(&record.id, "text", "must not be empty"));
        }
        if let Some(parent) = record.opt_str("reply_to")? {
            record.reference("reply_to", NOTE).map_err(|_| Error::invalid(&record.id, "reply_to", format!("`{parent}` is not a note")))?;
        }
        Ok(())
    }
    fn act(&self, action: &str, input: &Map<String, Value>, records: &Records, _ctx: &Context<'_>) -> Result<Draft, Error> {
        let text = input.get("text").and_then(Value::as_str).ok_or_else(|| Error::input("text", "is required"))?;
        let mut props = Map::new();
        props.insert("text".into(), Value::from(text));
        match action {
            "post" => {
                if let Some(r) = input.get("reply_to") {
                    // A reply is to a note the caller can see.
                    let parent = r.as_str().and_then(|p| model::StixId::parse(p).ok());
                    if !parent.is_some_and(|p| records.get(&p).is_some_and(|n| n.kind == NOTE && !n.revoked)) {
                        return Err(Error::input("reply_to", format!("no note {r}")));
                    }
                    props.insert("reply_to".into(), r.clone());
                }
                Ok(Draft::new(NOTE, props))
            }
            "edit" => {
                let id = input.get("note").and_then(Value::as_str).ok_or_else(|| Error::input("note", "is required"))?;
                let id = model::StixId::parse(id).map_err(|e| Error::input("note", e))?;
                Ok(Draft::revise(NOTE, &id, props))
            }
            other => Err(Error::NotFound(format!("no action {other}"))),
        }
    }
    fn state(&self, records: &Records, _ctx: &Context<'_>) -> Value {
        let notes: Vec<Value> = records
            .of_kind(NOTE)
            .map(|r| json!({ "id": r.id.as_str(), "author": r.author.as_str(), "text": r.properties["text"], "versions": records.versions(&r.id).len() }))
            .collect();
        json!({ "notes": notes })
    }
}

/// Instantiates the contract for a module: `module_suite!(MyModule::default(), scenario())`,
/// where the scenario is a `Vec<partnership::suite::Step>` of actions by partners 0–2.
#[macro_export]
macro_rules! module_suite {
    ($module:expr, $steps:expr) => {
        mod module_contract {
            use super::*;

            #[test]
            fn authors_one_record_each() {
                $crate::suite::authors_one_record_each(&$module, &$steps);
            }

            #[test]
            fn outsiders_neither_act_nor_arrive() {
                $crate::suite::outsiders_neither_act_nor_arrive(&$module, &$steps);
            }

            #[test]
            fn only_the_author_versions() {
                $crate::suite::only_the_author_versions(&$module, &$steps);
            }

            #[test]
            fn parties_alone_receive() {
                $crate::suite::parties_alone_receive(&$module, &$steps);
            }

            #[test]
            fn withdrawn_records_leave() {
                $crate::suite::withdrawn_records_leave(&$module, &$steps);
            }

            $crate::suite::proptest::proptest! {
                #![proptest_config($crate::suite::proptest::prelude::ProptestConfig::with_cases(64))]
                #[test]
                fn same_state_in_any_order(order in $crate::suite::proptest::collection::vec(0usize..1000, 0..40), split in 0usize..40) {
                    let steps = $steps;
                    let n = steps.len().max(1);
                    let order: Vec<usize> = order.into_iter().map(|i| i % n).collect();
                    $crate::suite::same_state_in_any_order(&$module, &steps, &order, split);
                }
            }
        }
    };
}

pub use proptest;
