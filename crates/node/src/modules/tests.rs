//! The cached view against a fresh one: whatever arrives, in whatever
//! batches, whatever is recalled, amended or deleted, a reader's cached
//! scope of a module and the state derived from it equal a scope read
//! afresh from the store through the reader's gate, and one reader's cache
//! never serves another.

use std::sync::Arc;

use model::{Object, StixId, Timestamp};
use partnership::{Action, Context, Draft, Error, Module, Record, Records};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use store::{ObservableKey, PutOptions, Query, Store, Versions};

use super::{view_at, Node};
use crate::release::{Agreements, Reader, Through};

const A: &str = "identity--0a000000-0000-4000-8000-000000000001";
const B: &str = "identity--0b000000-0000-4000-8000-000000000002";
const C: &str = "identity--0c000000-0000-4000-8000-000000000003";
const NOTE: &str = "x-entente-scope-note";
const EXTENSION: &str = "extension-definition--5c0e0000-0000-4000-8000-00000000000a";

/// A module of notes whose audience a note may narrow, and whose state
/// judges a due date against the read's `now`.
struct Notes;

impl Module for Notes {
    fn name(&self) -> &'static str {
        "scope-notes"
    }
    fn about(&self) -> &'static str {
        "notes, to test the cache of readers' scopes"
    }
    fn extension(&self) -> &'static str {
        EXTENSION
    }
    fn kinds(&self) -> &'static [&'static str] {
        &[NOTE]
    }
    fn kind(&self, name: &'static str) -> policy::kinds::Kind {
        policy::kinds::module(name, Some("audience_refs"))
    }
    fn actions(&self) -> &'static [Action] {
        &[Action { name: "note", about: "a note", kind: NOTE }, Action { name: "pledge", about: "a note that binds", kind: NOTE }]
    }
    fn liaison(&self) -> &'static [&'static str] {
        &["pledge"]
    }
    fn validate(&self, _: &Record, _: &Context<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn act(&self, action: &str, _: &Map<String, Value>, _: &Records, _: &Context<'_>) -> Result<Draft, Error> {
        Err(Error::NotFound(format!("no action {action}")))
    }
    fn state(&self, records: &Records, ctx: &Context<'_>) -> Value {
        let notes: Vec<Value> = records
            .iter()
            .map(|r| {
                let due = r.opt_time("due").ok().flatten();
                json!({ "id": r.id.as_str(), "by": r.author.as_str(), "text": r.properties.get("text"), "versions": records.versions(&r.id).len(), "overdue": due.is_some_and(|d| d < ctx.now) })
            })
            .collect();
        json!({ "notes": notes })
    }
}

fn id(s: &str) -> StixId {
    StixId::parse(s).unwrap()
}

fn at(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

const T0: i64 = 1_780_000_000_000_000;
const DAY: i64 = 86_400_000_000;

struct World {
    _dir: tempfile::TempDir,
    node: Node,
    registry: Arc<dyn store::Registry>,
    modules: crate::modules::Modules,
    agreement: StixId,
}

fn terms(parties: &[&str], valid_until: Option<i64>) -> Map<String, Value> {
    let mut t = json!({
        "title": "A–B–C", "purpose": "share", "party_refs": parties,
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "parties-only", "attribution": "required", "permitted_actions": [], "retention_days": 1},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    if let Some(u) = valid_until {
        t["valid_until"] = json!(at(u).to_string());
    }
    t.as_object().unwrap().clone()
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
        let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
        let modules = crate::modules::build([Arc::new(Notes) as Arc<dyn Module>]);
        let agreement = crate::agreements::propose(&*store, &id(A), None, &terms(&[A, B, C], Some(T0 + 400 * DAY)), &[]).unwrap().id;
        let log = audit::SharedLog::open(dir.path().join("release.log")).unwrap();
        let node = Node { store, agreements: Arc::new(Agreements::default()), log, limits: model::Limits::default() };
        World { _dir: dir, node, registry, modules, agreement }
    }

    /// A version of note `n` by `author`, at `modified`, for `audience`
    /// (everyone when empty), withdrawing it if `revoked`.
    #[allow(clippy::too_many_arguments)]
    fn note(&self, n: u8, author: &str, created: i64, modified: i64, audience: &[&str], revoked: bool, text: &str) -> Object {
        let mut v = json!({
            "type": NOTE, "spec_version": "2.1", "id": format!("{NOTE}--00000000-0000-4000-8000-{n:012}"),
            "created": at(created).to_string(), "modified": at(modified).to_string(),
            "created_by_ref": author, "agreement_ref": self.agreement.as_str(),
            "extensions": { EXTENSION: { "extension_type": "new-sdo" } },
            "text": text, "due": at(created + 2 * DAY).to_string(),
        });
        if !audience.is_empty() {
            v["audience_refs"] = json!(audience);
        }
        if revoked {
            v["revoked"] = json!(true);
        }
        Object::from_value(v).unwrap()
    }

    fn put(&self, object: &Object, options: PutOptions) {
        self.node.store.put(std::slice::from_ref(object), &options).unwrap();
    }

    fn post(&self, object: &Object) {
        let author = object.to_value()["created_by_ref"].as_str().unwrap().to_owned();
        self.put(object, PutOptions { posted_by: Some(author), ..PutOptions::default() });
    }

    /// `me`'s scope read afresh: every version the gate lets through, no cache, no log.
    fn fresh(&self, me: &str) -> Records {
        let index = self.node.agreements.index(&*self.node.store).unwrap();
        let reader = Reader::new(id(me), index, Through::AnyShare);
        let query = Query {
            types: vec![NOTE.into()],
            observables: vec![ObservableKey::refers_to(self.agreement.as_str())],
            versions: Versions::ALL,
            gate: Some(reader.gate()),
            ..Query::default()
        };
        let mut records = Vec::new();
        self.node
            .store
            .scan(&query, &mut |r| {
                records.push(Record::from_stored(&r.json).unwrap());
                Ok(())
            })
            .unwrap();
        Records::new(records)
    }

    /// `me`'s cached view at `now` equals the fresh one, and so does the state.
    fn check(&self, me: &str, now: i64) -> Arc<Records> {
        let module = &*self.modules[0];
        let scope = view_at(&self.node, &id(me), &self.agreement, module, "test", at(now)).unwrap();
        let fresh = self.fresh(me);
        assert_eq!(*scope.records, fresh, "{me}'s cached scope");
        let ctx = scope.ctx();
        assert_eq!(module.state(&scope.records, &ctx), module.state(&fresh, &ctx), "{me}'s state");
        // Nothing narrowed to others reaches this reader.
        for r in scope.records.iter() {
            let audience = r.properties.get("audience_refs").and_then(Value::as_array);
            let named = audience.is_none_or(|a| a.iter().any(|p| p == me));
            assert!(r.author.as_str() == me || named, "{} reached {me}, outside its audience", r.id);
        }
        scope.records
    }
}

/// One step of the property test.
#[derive(Debug, Clone)]
enum Step {
    /// A batch of versions: (note, author, created day, modified day, audience narrowed to one partner, revoked).
    Post(Vec<(u8, usize, i64, i64, Option<usize>, bool)>),
    /// The agreement amended by A to these parties (A always one).
    Amend(bool, bool),
    /// A version of a note deleted (as retention or an administrator would),
    /// the deletion reported.
    Delete(u8),
    /// The clock moves by these days.
    Later(i64),
    /// The agreement amended by A to these parties through another server
    /// (this one not told), then the index rebuilt as its check finds it.
    AmendElsewhere(bool, bool),
    /// The index's periodic rebuild, nothing changed.
    Rebuild,
}

fn step() -> impl Strategy<Value = Step> {
    let version = (0u8..5, 0usize..3, 0i64..3, 0i64..4, proptest::option::weighted(0.3, 0usize..3), proptest::bool::weighted(0.15));
    prop_oneof![
        6 => proptest::collection::vec(version, 1..5).prop_map(Step::Post),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(b, c)| Step::Amend(b, c)),
        1 => (0u8..5).prop_map(Step::Delete),
        2 => (0i64..4).prop_map(Step::Later),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(b, c)| Step::AmendElsewhere(b, c)),
        1 => Just(Step::Rebuild),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_cached_scope_and_its_state_equal_a_fresh_read_for_each_reader(steps in proptest::collection::vec(step(), 1..14)) {
        let world = World::new();
        let partners = [A, B, C];
        let mut now = T0;
        let mut serial = 0u32;
        for step in steps {
            match step.clone() {
                Step::Post(batch) => {
                    for (n, author, created, modified, audience, revoked) in batch {
                        serial += 1;
                        let audience: Vec<&str> = audience.map(|p| partners[p]).into_iter().collect();
                        let (created, modified) = (T0 + created * DAY, T0 + (created + modified) * DAY + i64::from(serial));
                        let note = world.note(n, partners[author], created, modified, &audience, revoked, &format!("v{serial}"));
                        world.post(&note);
                    }
                }
                Step::Amend(b, c) | Step::AmendElsewhere(b, c) => {
                    let elsewhere = matches!(step, Step::AmendElsewhere(..));
                    let mut parties = vec![A];
                    parties.extend(b.then_some(B));
                    parties.extend(c.then_some(C));
                    if parties.len() == 1 {
                        parties.push(B);
                    }
                    // An amendment is a version of its own millisecond
                    // (`propose` stamps versions by the clock, to the ms).
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    crate::agreements::propose(&*world.node.store, &id(A), Some(&world.agreement), &terms(&parties, Some(T0 + 400 * DAY)), &[]).unwrap();
                    if elsewhere {
                        // Seen here by the index's check for new agreement records.
                        world.node.agreements.expire();
                    } else {
                        // What the service does after an agreement write (crate::Node::propose).
                        world.node.agreements.invalidate();
                    }
                }
                Step::Rebuild => world.node.agreements.expire(),
                Step::Delete(n) => {
                    let note = id(&format!("{NOTE}--00000000-0000-4000-8000-{n:012}"));
                    let versions = world.node.store.get(&note, &Versions::ALL).unwrap();
                    if let Some(first) = versions.first() {
                        world.node.store.delete(&note, &Versions::at(Timestamp::parse(&first.version).unwrap()), None).unwrap();
                        super::scopes::removed();
                    }
                }
                Step::Later(days) => now += days * DAY,
            }
            let index = world.node.agreements.index(&*world.node.store).unwrap();
            for me in [A, B] {
                if index.agreement(&world.agreement).is_some_and(|a| a.is_party(&id(me))) {
                    world.check(me, now);
                    // Twice: the second read comes from the cache alone.
                    world.check(me, now);
                }
            }
        }
    }
}

#[test]
fn a_note_for_b_alone_stays_out_of_as_scope_and_a_recall_shows_on_the_next_read() {
    let world = World::new();
    world.post(&world.note(1, C, T0, T0, &[], false, "to all"));
    assert_eq!(world.check(A, T0).len(), 1);
    assert_eq!(world.check(B, T0).len(), 1);
    // C writes to B alone: B's cached scope grows, A's does not.
    world.post(&world.note(2, C, T0, T0 + 1, &[B], false, "to B"));
    assert_eq!(world.check(A, T0).len(), 1);
    assert_eq!(world.check(B, T0).len(), 2);
    // C recalls its first note: gone from both on the next read.
    world.post(&world.note(1, C, T0, T0 + 2, &[], true, "to all"));
    assert_eq!(world.check(A, T0).len(), 0);
    let b = world.check(B, T0);
    assert_eq!(b.iter().map(|r| r.properties["text"].as_str().unwrap()).collect::<Vec<_>>(), ["to B"]);
}

#[test]
fn a_view_logs_what_is_new_itemised_and_the_scope_counted_and_digested() {
    let world = World::new();
    let module = &*world.modules[0];
    for n in 0..3 {
        world.post(&world.note(n, A, T0, T0 + i64::from(n), &[], false, "x"));
    }
    let first = view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((first.versions, first.new), (3, 3));
    let again = view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((again.versions, again.new), (3, 0), "the second read comes from the cache");
    world.post(&world.note(3, A, T0, T0 + 9, &[], false, "y"));
    let third = view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((third.versions, third.new, third.records.len()), (4, 1, 4));
    let file = std::io::BufReader::new(std::fs::File::open(world.node.log.path()).unwrap());
    let entries: Vec<audit::Entry> = audit::entries(file).map(Result::unwrap).collect();
    let views: Vec<&audit::Entry> = entries.iter().filter(|e| e.channel == "test").collect();
    assert_eq!(views.iter().map(|e| e.items.len()).collect::<Vec<_>>(), [3, 0, 1], "each view itemises what is new to the reader");
    let reasons: Vec<&str> = views.iter().map(|e| e.reason.as_deref().unwrap()).collect();
    assert!(reasons[0].starts_with(&format!("scope scope-notes of {}: 3 versions, sum-sha256 ", world.agreement)), "{}", reasons[0]);
    assert!(reasons[2].contains(": 4 versions, ") && reasons[2].ends_with("; 1 new, itemised"), "{}", reasons[2]);
    // The digest is the auditor's to recompute: the same versions, the same sum, whatever the order.
    let digest = |r: &str| r.split("sum-sha256 ").nth(1).unwrap()[..64].to_owned();
    assert_eq!(digest(reasons[0]), digest(reasons[1]));
    let mut sum = super::scopes::Sum::default();
    for e in views.iter().rev() {
        for item in &e.items {
            sum.add(item.object.as_str(), item.version.as_str());
        }
    }
    assert_eq!(sum.hex(), digest(reasons[2]));
}

#[test]
fn a_scope_outlives_an_index_rebuild_unless_its_agreement_changed() {
    let world = World::new();
    let module = &*world.modules[0];
    for n in 0..3 {
        world.post(&world.note(n, A, T0, T0 + i64::from(n), &[], false, "x"));
    }
    let read = || view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!(read().new, 3);
    // The periodic rebuild: a new index, the agreement as it was.
    world.node.agreements.expire();
    let index = world.node.agreements.index(&*world.node.store).unwrap();
    let again = read();
    assert_eq!((again.versions, again.new), (3, 0), "carried over the rebuild, not read again");
    assert!(Arc::ptr_eq(&index, &world.node.agreements.index(&*world.node.store).unwrap()));
    // Another agreement changing does not touch this one's scopes.
    let other = crate::agreements::propose(&*world.node.store, &id(A), None, &terms(&[A, B], None), &[]).unwrap().id;
    world.node.agreements.expire();
    assert!(world.node.agreements.index(&*world.node.store).unwrap().agreement(&other).is_some());
    assert_eq!(read().new, 0, "another agreement's proposal leaves the scope");
    // This agreement amended through another server (B no longer a party
    // of the version every party ratified is not enough: A alone with C):
    // the index sees it at its next check, and the scope is read again.
    std::thread::sleep(std::time::Duration::from_millis(2));
    crate::agreements::propose(&*world.node.store, &id(A), Some(&world.agreement), &terms(&[A, B, C], Some(T0 + 300 * DAY)), &[]).unwrap();
    world.node.agreements.expire();
    let amended = read();
    assert_eq!((amended.versions, amended.new), (3, 3), "an amended agreement: every version decided again");
    assert_eq!(*amended.records, world.fresh(B));
}

#[test]
fn warming_reads_the_partners_scopes_so_its_next_page_reads_nothing_old() {
    let world = World::new();
    let module = &*world.modules[0];
    for n in 0..3 {
        world.post(&world.note(n, B, T0, T0 + i64::from(n), &[], false, "x"));
    }
    // At start: nothing kept; each of A's scopes is read in full, in the background.
    assert_eq!(super::warm(&world.node, &world.modules, &id(A), "warm").unwrap(), 1);
    let page = view_at(&world.node, &id(A), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((page.versions, page.new), (3, 0), "the page found the scope warm");
    // The next round leaves a scope that serves alone (the page reads
    // what is new); B's scopes were never read.
    world.post(&world.note(3, B, T0, T0 + 9, &[], false, "y"));
    assert_eq!(super::warm(&world.node, &world.modules, &id(A), "warm").unwrap(), 0);
    let page = view_at(&world.node, &id(A), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((page.versions, page.new), (4, 1));
    assert_eq!(*page.records, world.fresh(A));
    assert_eq!(view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap().new, 4);
    // The agreement amended: A's scope no longer serves, and warming reads it again.
    std::thread::sleep(std::time::Duration::from_millis(2));
    crate::agreements::propose(&*world.node.store, &id(A), Some(&world.agreement), &terms(&[A, B, C], Some(T0 + 300 * DAY)), &[]).unwrap();
    world.node.agreements.invalidate();
    assert_eq!(super::warm(&world.node, &world.modules, &id(A), "warm").unwrap(), 1);
    let page = view_at(&world.node, &id(A), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((page.versions, page.new), (4, 0));
    // What warming read is in the release log, on its channel, itemised.
    let file = std::io::BufReader::new(std::fs::File::open(world.node.log.path()).unwrap());
    let warm: Vec<usize> = audit::entries(file).map(Result::unwrap).filter(|e| e.channel == "warm").map(|e| e.items.len()).collect();
    assert_eq!(warm, [3, 4]);
}

#[test]
fn a_retention_delete_shows_on_the_next_read() {
    let world = World::new();
    // A's notes, received by B's node from A's under the agreement (B holds them).
    let options = || PutOptions { posted_by: Some(B.into()), received_under: Some(world.agreement.to_string()), ..PutOptions::default() };
    world.put(&world.note(1, A, T0, T0, &[], false, "kept"), options());
    world.put(&world.note(2, A, T0, T0 + 1, &[], false, "received"), options());
    assert_eq!(world.check(B, T0).len(), 2);
    // Long after the agreement ended (valid until T0 + 400 days, one day of retention).
    let sweep = crate::retention::sweep(&*world.node.store, &*world.registry, &world.node.log, &at(T0 + 500 * DAY)).unwrap();
    assert!(sweep.deleted >= 2, "{sweep:?}");
    assert_eq!(world.check(B, T0).len(), 0, "what retention deleted left B's scope");
}

#[test]
fn a_folded_state_read_through_the_cache_equals_the_state_derived_afresh() {
    let world = World::new();
    let modules = crate::modules::build([Arc::new(crisis::Crisis) as Arc<dyn Module>]);
    let module = &*modules[0];
    let node = &world.node;
    let input = |v: Value| v.as_object().unwrap().clone();
    let act = |who: &str, action: &str, v: Value, at_: i64| super::act_at(node, &id(who), &world.agreement, module, action, &input(v), "test", at(at_)).unwrap();
    let tasks: Vec<Value> = (0..4).map(|i| json!({ "key": format!("t{i}"), "title": format!("task {i}"), "phase": "response", "assignee": B, "ack_within_minutes": 60, "complete_within_minutes": 600 })).collect();
    let crisis = act(A, "activate", json!({ "title": "Flood", "severity": "severe", "exercise": true, "tasks": tasks }), T0);
    let crisis = crisis.id().as_str().to_owned();
    // The state through the cache (the fold finished), against the state derived afresh, for both readers, at a few times.
    let check = |now: i64| {
        for me in [A, B] {
            let scope = view_at(node, &id(me), &world.agreement, module, "test", at(now)).unwrap();
            let fresh = {
                let index = node.agreements.index(&*node.store).unwrap();
                let reader = Reader::new(id(me), index, Through::AnyShare);
                let query = Query { types: module.kinds().iter().map(|k| (*k).to_owned()).collect(), observables: vec![ObservableKey::refers_to(world.agreement.as_str())], versions: Versions::ALL, gate: Some(reader.gate()), ..Query::default() };
                let mut records = Vec::new();
                node.store.scan(&query, &mut |r| {
                    records.push(Record::from_stored(&r.json).unwrap());
                    Ok(())
                }).unwrap();
                Records::new(records)
            };
            assert!(scope.fold.is_some(), "the crisis module's fold is kept");
            assert_eq!(super::state_of(module, &scope), module.state(&fresh, &scope.ctx()), "{me} at {now}");
        }
    };
    check(T0);
    for i in 0..12i64 {
        let status = ["acknowledged", "accepted", "in-progress", "done"][(i / 4) as usize % 4];
        act(B, "update-task", json!({ "crisis": crisis, "task": format!("t{}", i % 4), "status": status }), T0 + (i + 1) * 60_000_000);
        // Read before the update is due, at it, and long after (service levels breached).
        for now in [T0 + i * 60_000_000, T0 + (i + 1) * 60_000_000, T0 + DAY] {
            check(now);
        }
    }
    // A new version of the crisis (closed): the fold is built again.
    act(A, "close-crisis", json!({ "crisis": crisis, "reason": "over" }), T0 + 2 * DAY);
    check(T0 + 3 * DAY);
    check(T0 + DAY);
}

#[test]
fn an_action_that_binds_the_party_needs_a_liaison_and_the_others_an_analyst() {
    let may = |role: store::Role, action: &str| {
        let caller = crate::Caller::new(A, role, "t".into(), B).unwrap();
        super::may_act(&caller, &Notes, action).map_err(|e| e.to_string())
    };
    for role in [store::Role::Analyst, store::Role::Liaison, store::Role::Admin] {
        assert_eq!(may(role, "note"), Ok(()), "{role:?} may note");
    }
    assert_eq!(may(store::Role::Viewer, "note").unwrap_err(), "scope-notes note needs the analyst role or above");
    assert_eq!(may(store::Role::Analyst, "pledge").unwrap_err(), "scope-notes pledge needs the liaison role or above");
    assert_eq!(may(store::Role::Liaison, "pledge"), Ok(()));
    assert_eq!(may(store::Role::Admin, "pledge"), Ok(()));
    assert!(partnership::declare(&Notes).is_ok());
}

/// A module that reads the notes module's kind (`Module::reads`) and
/// authors none of its own records here.
struct NoteReader;

impl Module for NoteReader {
    fn name(&self) -> &'static str {
        "scope-note-reader"
    }
    fn about(&self) -> &'static str {
        "reads notes, to test a declared read"
    }
    fn extension(&self) -> &'static str {
        "extension-definition--5c0e0000-0000-4000-8000-00000000000b"
    }
    fn kinds(&self) -> &'static [&'static str] {
        &["x-entente-scope-note-mark"]
    }
    fn reads(&self) -> &'static [&'static str] {
        &[NOTE]
    }
    fn actions(&self) -> &'static [Action] {
        &[]
    }
    fn validate(&self, _: &Record, _: &Context<'_>) -> Result<(), Error> {
        Ok(())
    }
    fn act(&self, action: &str, _: &Map<String, Value>, _: &Records, _: &Context<'_>) -> Result<Draft, Error> {
        Err(Error::NotFound(format!("no action {action}")))
    }
    fn state(&self, records: &Records, _: &Context<'_>) -> Value {
        json!(records.of_kind(NOTE).map(|r| r.properties["text"].clone()).collect::<Vec<_>>())
    }
}

#[test]
fn a_declared_read_sees_the_other_modules_records_through_the_same_gate() {
    let world = World::new();
    let modules = crate::modules::build([Arc::new(Notes) as Arc<dyn Module>, Arc::new(NoteReader)]);
    world.post(&world.note(1, C, T0, T0, &[], false, "to all"));
    world.post(&world.note(2, C, T0, T0 + 1, &[B], false, "to B"));
    let state = |me: &str| {
        let scope = view_at(&world.node, &id(me), &world.agreement, &*modules[1], "test", at(T0)).unwrap();
        super::state_of(&*modules[1], &scope)
    };
    assert_eq!(state(A), json!(["to all"]), "a note narrowed to B stays out of A's read");
    assert_eq!(state(B), json!(["to all", "to B"]));
    // A module that does not declare the read sees none of them.
    struct Undeclared;
    impl Module for Undeclared {
        fn name(&self) -> &'static str {
            "scope-undeclared"
        }
        fn about(&self) -> &'static str {
            "declares no read"
        }
        fn extension(&self) -> &'static str {
            "extension-definition--5c0e0000-0000-4000-8000-00000000000c"
        }
        fn kinds(&self) -> &'static [&'static str] {
            &["x-entente-scope-undeclared"]
        }
        fn actions(&self) -> &'static [Action] {
            &[]
        }
        fn validate(&self, _: &Record, _: &Context<'_>) -> Result<(), Error> {
            Ok(())
        }
        fn act(&self, action: &str, _: &Map<String, Value>, _: &Records, _: &Context<'_>) -> Result<Draft, Error> {
            Err(Error::NotFound(format!("no action {action}")))
        }
        fn state(&self, records: &Records, _: &Context<'_>) -> Value {
            json!(records.len())
        }
    }
    let undeclared = crate::modules::build([Arc::new(Undeclared) as Arc<dyn Module>]);
    let scope = view_at(&world.node, &id(B), &world.agreement, &*undeclared[0], "test", at(T0)).unwrap();
    assert_eq!(scope.records.len(), 0);
    // A read of one's own kind, or outside Entente's kinds, is refused when the module is declared.
    struct Own;
    impl Module for Own {
        fn name(&self) -> &'static str {
            "scope-own"
        }
        fn about(&self) -> &'static str {
            "reads its own kind"
        }
        fn extension(&self) -> &'static str {
            "extension-definition--5c0e0000-0000-4000-8000-00000000000d"
        }
        fn kinds(&self) -> &'static [&'static str] {
            &["x-entente-scope-own"]
        }
        fn reads(&self) -> &'static [&'static str] {
            &["x-entente-scope-own", "indicator"]
        }
        fn actions(&self) -> &'static [Action] {
            &[]
        }
        fn validate(&self, _: &Record, _: &Context<'_>) -> Result<(), Error> {
            Ok(())
        }
        fn act(&self, action: &str, _: &Map<String, Value>, _: &Records, _: &Context<'_>) -> Result<Draft, Error> {
            Err(Error::NotFound(format!("no action {action}")))
        }
        fn state(&self, _: &Records, _: &Context<'_>) -> Value {
            Value::Null
        }
    }
    let refused = partnership::declare(&Own).unwrap_err();
    assert!(refused.contains("reads x-entente-scope-own"), "{refused}");
}

impl World {
    /// A second handle on the world's database, as another server or a
    /// command on the same data directory holds one: its own store
    /// connection, agreements' index and cache of scopes. What it removes,
    /// it removes without telling this process (no `scopes::removed`).
    fn other_handle(&self) -> Node {
        let store: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(self._dir.path()).unwrap());
        let log = audit::SharedLog::open(self._dir.path().join("other-release.log")).unwrap();
        Node { store, agreements: Arc::new(Agreements::default()), log, limits: model::Limits::default() }
    }

    /// `me`'s view now: how many versions it holds and how many were read
    /// afresh for it (all of them when its cached scope did not serve),
    /// checked against a fresh read.
    fn versions_and_new(&self, me: &str) -> (u64, usize) {
        let scope = view_at(&self.node, &id(me), &self.agreement, &*self.modules[0], "test", at(T0)).unwrap();
        let out = (scope.versions, scope.new);
        self.check(me, T0);
        out
    }
}

#[test]
fn an_index_rebuild_that_changes_nothing_keeps_every_readers_scope() {
    let world = World::new();
    for n in 0..3 {
        world.post(&world.note(n, C, T0, T0 + i64::from(n), &[], false, "to all"));
    }
    world.post(&world.note(3, C, T0, T0 + 3, &[B], false, "to B"));
    assert_eq!(world.versions_and_new(A), (3, 3));
    assert_eq!(world.versions_and_new(B), (4, 4));
    let before = world.node.agreements.index(&*world.node.store).unwrap();
    // The periodic rebuild, and the checks between, with nothing changed.
    for age in [crate::release::INDEX_TTL, crate::release::INDEX_REBUILD, crate::release::INDEX_REBUILD * 3] {
        world.node.agreements.age(age);
        assert_eq!(world.versions_and_new(A), (3, 0), "A's scope kept past {age:?}");
        assert_eq!(world.versions_and_new(B), (4, 0), "B's scope kept past {age:?}");
    }
    assert!(Arc::ptr_eq(&before, &world.node.agreements.index(&*world.node.store).unwrap()), "the same index");
    // What arrives since is read alone, into the kept scope.
    world.post(&world.note(4, C, T0, T0 + 4, &[], false, "later"));
    world.node.agreements.age(crate::release::INDEX_REBUILD);
    assert_eq!(world.versions_and_new(A), (4, 1));
}

#[test]
fn a_removal_through_another_handle_on_the_store_makes_the_scopes_cold_at_the_next_check() {
    let world = World::new();
    let other = world.other_handle();
    for n in 0..4 {
        world.post(&world.note(n, C, T0, T0 + i64::from(n), &[], false, "to all"));
    }
    assert_eq!(world.versions_and_new(A), (4, 4));
    let note = |n: u32| id(&format!("{NOTE}--00000000-0000-4000-8000-{n:012}"));
    // A deletion through the other handle: at the next check (past
    // INDEX_TTL), the index is built again and every scope read afresh.
    assert_eq!(other.store.delete(&note(0), &Versions::ALL, None).unwrap(), 1);
    world.node.agreements.age(crate::release::INDEX_TTL);
    assert_eq!(world.versions_and_new(A), (3, 3), "the deleted note left A's scope");
    // The same, found at the periodic rebuild rather than a check.
    assert_eq!(other.store.delete(&note(1), &Versions::ALL, None).unwrap(), 1);
    world.node.agreements.age(crate::release::INDEX_REBUILD);
    assert_eq!(world.versions_and_new(A), (2, 2), "found at the rebuild");
    // A withholding recorded through the other handle.
    other.store.put(&[], &PutOptions { checkpoint: Some(("retention:withheld:x".into(), "now".into())), narrows: true, ..PutOptions::default() }).unwrap();
    world.node.agreements.age(crate::release::INDEX_REBUILD);
    assert_eq!(world.versions_and_new(A), (2, 2), "a withholding elsewhere");
    // A recall spread through the other handle to a version A holds.
    other.store.put(&[world.note(2, C, T0, T0 + 9, &[], true, "to all")], &PutOptions { posted_by: Some(C.into()), ..PutOptions::default() }).unwrap();
    world.node.agreements.age(crate::release::INDEX_TTL);
    assert_eq!(world.versions_and_new(A), (3, 3), "read afresh, the recall with it");
    // Nothing more removed: kept again.
    world.node.agreements.age(crate::release::INDEX_REBUILD);
    assert_eq!(world.versions_and_new(A), (3, 0));
}

#[test]
fn an_agreement_changed_through_another_handle_makes_a_new_index() {
    let world = World::new();
    let other = world.other_handle();
    world.post(&world.note(1, A, T0, T0, &[], false, "to all"));
    assert_eq!(world.versions_and_new(B), (1, 1));
    let before = world.node.agreements.index(&*world.node.store).unwrap();
    // An amendment stored through the other handle (another server):
    // seen at the next check, a new index, B's scope read afresh.
    std::thread::sleep(std::time::Duration::from_millis(2));
    crate::agreements::propose(&*other.store, &id(A), Some(&world.agreement), &terms(&[A, B], Some(T0 + 400 * DAY)), &[]).unwrap();
    world.node.agreements.age(crate::release::INDEX_TTL);
    assert_eq!(world.versions_and_new(B), (1, 1));
    let after = world.node.agreements.index(&*world.node.store).unwrap();
    assert!(!Arc::ptr_eq(&before, &after), "a new index");
    assert!(!after.agreement(&world.agreement).unwrap().is_party(&id(C)), "the amendment is in it");
    // Another amendment, found by the digest at the periodic rebuild.
    std::thread::sleep(std::time::Duration::from_millis(2));
    crate::agreements::propose(&*other.store, &id(A), Some(&world.agreement), &terms(&[A, B, C], Some(T0 + 400 * DAY)), &[]).unwrap();
    world.node.agreements.age(crate::release::INDEX_REBUILD);
    assert_eq!(world.versions_and_new(B), (1, 1));
    let last = world.node.agreements.index(&*world.node.store).unwrap();
    assert!(!Arc::ptr_eq(&after, &last), "a new index");
    assert!(last.agreement(&world.agreement).unwrap().is_party(&id(C)), "the second amendment is in it");
}

#[test]
fn a_cache_over_its_byte_budget_evicts_the_least_recently_used_and_the_next_read_is_still_right() {
    let world = World::new();
    let cache = world.node.agreements.scopes();
    let agreement = world.agreement.to_string();
    for n in 0..6 {
        world.post(&world.note(n, C, T0, T0 + i64::from(n), &[], false, "to all"));
    }
    // Room for one reader's scope (six versions), not two.
    let one = 6 * super::scopes::cost(world.node.store.get(&id(&format!("{NOTE}--00000000-0000-4000-8000-{:012}", 0)), &Versions::ALL).unwrap()[0].json.len());
    cache.set_max_bytes(one + one / 2);
    world.check(A, T0);
    assert!(cache.holds(A, &agreement, "scope-notes"));
    assert!(cache.bytes() >= one && cache.bytes() <= cache.max_bytes(), "the estimate counted: {}", cache.bytes());
    // B's read puts B's scope in: A's, the least recently used, goes.
    world.check(B, T0);
    assert!(cache.holds(B, &agreement, "scope-notes"));
    assert!(!cache.holds(A, &agreement, "scope-notes"), "A's scope evicted past the budget");
    assert_eq!(cache.size().0, 1);
    assert!(cache.bytes() <= cache.max_bytes());
    // A's next read is a full read, and right; then B's is gone.
    world.post(&world.note(7, B, T0, T0 + 10, &[], false, "later"));
    let module = &*world.modules[0];
    let a = view_at(&world.node, &id(A), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((a.versions, a.new), (7, 7), "read in full after its eviction");
    assert_eq!(*a.records, world.fresh(A));
    assert!(cache.holds(A, &agreement, "scope-notes") && !cache.holds(B, &agreement, "scope-notes"));
    // A scope over the whole budget alone is not kept; its reads are still right.
    cache.set_max_bytes(one / 2);
    assert_eq!(world.check(B, T0).len(), 7);
    assert!(!cache.holds(B, &agreement, "scope-notes"), "too big to keep");
    let b = view_at(&world.node, &id(B), &world.agreement, module, "test", at(T0)).unwrap();
    assert_eq!((b.versions, b.new), (7, 7), "read in full each time");
    assert_eq!(*b.records, world.fresh(B));
    assert_eq!(module.state(&b.records, &b.ctx()), module.state(&world.fresh(B), &b.ctx()));
}
