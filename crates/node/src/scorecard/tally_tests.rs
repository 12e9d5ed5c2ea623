//! The incremental scorecard against the full one: on a SQLite node whose
//! three hosted partners store random intelligence and reactions in random
//! batches (new versions, revocations, confidence changes, objects not
//! shared, reactions stored before the object they name), a tally kept
//! across the batches gives, after each, the same evidence and the same
//! figures as a gather read afresh.

use std::sync::Arc;

use model::{Object, StixId, Timestamp};
use proptest::prelude::*;
use serde_json::json;
use store::{PutOptions, Store};

use super::{gather, incremental, Ask, Tally};
use crate::modules::Node;
use crate::release::Agreements;

struct World {
    _dir: tempfile::TempDir,
    node: Node,
    modules: crate::modules::Modules,
    parties: Vec<StixId>,
    agreement: StixId,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let (store, registry): (Arc<dyn Store>, Arc<dyn store::Registry>) = (sqlite.clone(), sqlite);
    let keys = crate::keys::KeyDir::in_data_dir(dir.path());
    let a = crate::identity::init(&*store, &*registry, &keys, "Aurelia").unwrap().partner;
    let b = crate::identity::add_hosted_partner(&*store, &*registry, &keys, "Borealis").unwrap();
    let c = crate::identity::add_hosted_partner(&*store, &*registry, &keys, "Caledonia").unwrap();
    let parties: Vec<StixId> = [a, b, c].iter().map(|p| StixId::parse(p).unwrap()).collect();
    let terms = json!({
        "title": "A–B–C", "purpose": "share", "party_refs": parties,
        "scope": { "object_types": [], "labels": [], "data_kind": "both" }, "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z", "release_within_hours": 48,
    });
    let snapshots: Arc<dyn partnership::Module> = Arc::new(scorecard::Snapshots);
    let agreement = crate::agreements::propose(&*store, &parties[0], None, terms.as_object().unwrap(), std::slice::from_ref(&snapshots)).unwrap().id;
    for p in &parties {
        crate::agreements::ratify(&*store, &keys, p, &agreement).unwrap();
    }
    let log = audit::SharedLog::open(dir.path().join("release.log")).unwrap();
    let node = Node { store, agreements: Arc::new(Agreements::default()), log, limits: model::Limits::default() };
    World { _dir: dir, node, modules: crate::modules::build([snapshots]), parties, agreement }
}

const DAY: i64 = 86_400_000_000;

/// One thing a partner stores.
#[derive(Debug, Clone)]
enum Put {
    /// Indicator `n` by party `by`, created `day` days ago (a negative
    /// day: in the future), version `v`, confidence, revoked, pattern `p`,
    /// shared under the agreement or not, exercise data or not.
    Object { n: u8, by: usize, day: i64, v: i64, confidence: Option<u8>, revoked: bool, p: u8, shared: bool, exercise: bool },
    /// Reaction `n` (kind 0 sighting, 1 false-positive sighting, 2 opinion
    /// agreeing, 3 disagreeing, 4 note) by party `by` on indicators `of`,
    /// created `day` days ago, version `v`, revoked or not, exercise or not.
    Reaction { n: u8, by: usize, of: Vec<u8>, kind: u8, day: i64, v: i64, revoked: bool, exercise: bool },
}

fn put() -> impl Strategy<Value = Put> {
    prop_oneof![
        3 => ((0u8..12, 0usize..3, -2i64..300, 0i64..3, proptest::option::of(0u8..=100)), (proptest::bool::weighted(0.1), 0u8..6, proptest::bool::weighted(0.85), proptest::bool::weighted(0.1)))
            .prop_map(|((n, by, day, v, confidence), (revoked, p, shared, exercise))| Put::Object { n, by, day, v, confidence, revoked, p, shared, exercise }),
        2 => (0u8..10, 0usize..3, proptest::collection::vec(0u8..14, 1..3), 0u8..5, -2i64..300, 0i64..3, proptest::bool::weighted(0.1), proptest::bool::weighted(0.1))
            .prop_map(|(n, by, of, kind, day, v, revoked, exercise)| Put::Reaction { n, by, of, kind, day, v, revoked, exercise }),
    ]
}

fn time(t: i64) -> String {
    Timestamp::from_micros(t).to_string()
}

impl World {
    fn store(&self, put: &Put, now: i64) {
        let (value, by, shared) = match put {
            Put::Object { n, by, day, v, confidence, revoked, p, shared, exercise } => {
                let created = now - day * DAY;
                let mut o = json!({
                    "type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{:012}", n),
                    "created": time(created), "modified": time(created + v * 1000 + 1000),
                    "created_by_ref": self.parties[*by].as_str(), "name": format!("i{n}"),
                    "pattern": format!("[ipv4-addr:value = '10.0.0.{p}']"), "pattern_type": "stix", "valid_from": time(created),
                });
                if let Some(c) = confidence {
                    o["confidence"] = json!(c);
                }
                if *revoked {
                    o["revoked"] = json!(true);
                }
                if *exercise {
                    o["labels"] = json!(["x-entente-exercise"]);
                }
                (o, *by, *shared)
            }
            Put::Reaction { n, by, of, kind, day, v, revoked, exercise } => {
                let created = now - day * DAY;
                let refs: Vec<String> = of.iter().map(|m| format!("indicator--00000000-0000-4000-8000-{:012}", m)).collect();
                let id = |t: &str| format!("{t}--00000000-0000-4000-9000-{:012}", n);
                let mut o = match kind {
                    0 | 1 => json!({ "type": "sighting", "id": id("sighting"), "sighting_of_ref": refs[0] }),
                    2 | 3 => json!({ "type": "opinion", "id": id("opinion"), "opinion": if *kind == 2 { "agree" } else { "disagree" }, "object_refs": refs }),
                    _ => json!({ "type": "note", "id": id("note"), "content": "seen", "object_refs": refs }),
                };
                o["spec_version"] = json!("2.1");
                o["created"] = json!(time(created));
                o["modified"] = json!(time(created + v * 1000 + 1000));
                o["created_by_ref"] = json!(self.parties[*by].as_str());
                match (*kind == 1, *exercise) {
                    (true, true) => o["labels"] = json!(["false-positive", "x-entente-exercise"]),
                    (true, false) => o["labels"] = json!(["false-positive"]),
                    (false, true) => o["labels"] = json!(["x-entente-exercise"]),
                    (false, false) => {}
                }
                if *revoked {
                    o["revoked"] = json!(true);
                }
                (o, *by, true)
            }
        };
        let object = Object::from_value(value).unwrap();
        let options = PutOptions { posted_by: Some(self.parties[by].to_string()), shares: if shared { vec![self.agreement.to_string()] } else { Vec::new() }, ..PutOptions::default() };
        // A version older than the stored one is refused by the store's
        // version decision: that is part of what arrives, not an error here.
        let _ = self.node.store.put(std::slice::from_ref(&object), &options);
    }
}

fn sorted(e: &scorecard::Evidence) -> (Vec<String>, Vec<String>) {
    let mut r: Vec<String> = e.releases.iter().map(|r| format!("{r:?}")).collect();
    let mut x: Vec<String> = e.reactions.iter().map(|r| format!("{r:?}")).collect();
    r.sort();
    x.sort();
    (r, x)
}

/// Stores `batches` one after the other; after each, a tally kept across
/// them gives the same evidence and figures as a full gather, and every
/// read but the first is incremental.
fn incremental_equals_full(batches: &[Vec<Put>], viewer: usize) -> Result<(), TestCaseError> {
    let w = world();
    let me = w.parties[viewer].clone();
    let now = Timestamp::now().micros();
    let mut tally = Tally::without_margin();
    // A batch that narrows what was stored (a revocation recalls the
    // earlier versions) moves the store's removal generation; the index,
    // at a check (within `INDEX_TTL`), then moves the node's, and the next
    // update reads in full, as it should. Such a full read is explained
    // when the node's generation moved from before the previous update to
    // after this one; any other is not.
    let removals = crate::modules::scopes::removals;
    let (mut before_previous, mut unexplained) = (removals(), 0);
    for (i, batch) in batches.iter().enumerate() {
        for p in batch {
            w.store(p, now);
        }
        let ask = Ask { at: Timestamp::now(), window_days: 3650 };
        let full = gather(&w.node, &w.modules, &me, &w.agreement, &ask, "test").unwrap();
        let mut kept = tally.clone();
        let part = super::gather_into(&w.node, &w.modules, &me, &w.agreement, &ask, "test", &mut kept).unwrap();
        prop_assert_eq!(sorted(&part), sorted(&full), "evidence");
        let before = removals();
        let card = incremental(&w.node, &w.modules, &me, &w.agreement, &ask, "test", &mut tally).unwrap();
        prop_assert!(i > 0 || tally.was_full(), "the first read is full");
        unexplained += usize::from(i > 0 && tally.was_full() && removals() == before_previous);
        before_previous = before;
        let reference = scorecard::compute_bare(&full);
        prop_assert_eq!(serde_json::to_value(&card).unwrap(), serde_json::to_value(&reference).unwrap());
    }
    // The first read is full, every later one incremental (but after a removal).
    prop_assert_eq!(unexplained, 0, "a full read with no removal");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_incremental_scorecard_equals_the_full_one(batches in proptest::collection::vec(proptest::collection::vec(put(), 1..8), 1..6), viewer in 0usize..2) {
        incremental_equals_full(&batches, viewer)?;
    }
}

/// The scorecard for now from the node's own tally (`listing`: warm after
/// the first read, figures and lists from the kept sums) against one
/// gathered and computed afresh at the same time: the same figures, every
/// list, each list's first ids with its total, one indicator's lists.
fn listing_equals_fresh(batches: &[Vec<Put>], viewer: usize) -> Result<(), TestCaseError> {
    use super::Lists;
    let w = world();
    let me = w.parties[viewer].clone();
    let now = Timestamp::now().micros();
    let removals = crate::modules::scopes::removals;
    let mut before_previous = removals();
    for (round, batch) in batches.iter().enumerate() {
        for p in batch {
            w.store(p, now);
        }
        for (k, lists) in [Lists::All, Lists::First(2), Lists::Only(scorecard::Indicator::Actionability), Lists::None].into_iter().enumerate() {
            let ask = Ask { at: Timestamp::now(), window_days: 90 };
            let before = removals();
            let card = super::listing(&w.node, &w.modules, &me, &w.agreement, &ask, "test", lists).unwrap();
            // A removal generation moved (a revocation narrowed what was
            // stored): a full read, as it should be (see above).
            let moved = removals() != std::mem::replace(&mut before_previous, before);
            let full = w.node.agreements.tally(&me, &w.agreement).lock().unwrap().was_full();
            prop_assert!(full == (round == 0 && k == 0) || (full && moved), "warm after the first");
            let at = Ask { at: Timestamp::from_micros(card.at), window_days: 90 };
            let fresh = gather(&w.node, &w.modules, &me, &w.agreement, &at, "test").unwrap();
            let (a, b) = (serde_json::to_string(&card).unwrap(), serde_json::to_string(&super::with_lists(&fresh, lists)).unwrap());
            if a != b {
                let from = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(0).saturating_sub(300);
                return Err(TestCaseError::fail(format!("{lists:?}: kept …{} against fresh …{}", a.get(from..from + 600).unwrap_or(&a[from..]), b.get(from..from + 600).unwrap_or(&b[from..]))));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_scorecard_for_now_from_the_kept_sums_equals_one_computed_afresh(batches in proptest::collection::vec(proptest::collection::vec(put(), 1..10), 1..4), viewer in 0usize..2) {
        listing_equals_fresh(&batches, viewer)?;
    }
}

fn object(n: u8, by: usize, day: i64, revoked: bool, shared: bool) -> Put {
    Put::Object { n, by, day, v: 0, confidence: None, revoked, p: 0, shared, exercise: false }
}

/// The case that failed on the CI clone (issue 26): a partner's object
/// shared, then a newer version of it, revoked and not shared. The store
/// keeps the new version and marks every version recalled, so the full
/// read counts none; the tally must drop what it held of the object
/// though the new version is no release.
#[test]
fn a_newer_unshared_version_that_recalls_an_object_drops_it_incrementally() {
    for viewer in 0..2 {
        incremental_equals_full(&[vec![object(0, 1, 127, false, true)], vec![object(0, 1, 0, true, false)]], viewer).unwrap();
        incremental_equals_full(&[vec![object(1, 0, 1, false, true)], vec![object(1, 0, 0, true, false)]], viewer).unwrap();
    }
}

/// What the store kept, not what was posted: the same version posted
/// again with other content is refused (a conflict) and changes nothing;
/// posted again unchanged but now shared, it is shared without a new
/// version, and the tally counts it.
#[test]
fn a_refused_copy_changes_nothing_and_a_later_share_of_a_stored_version_counts() {
    for viewer in 0..2 {
        // Conflict: same id and version, revoked and unshared: refused.
        incremental_equals_full(&[vec![object(0, 1, 5, false, true)], vec![object(0, 1, 5, true, false)]], viewer).unwrap();
        // Unchanged, then shared.
        incremental_equals_full(&[vec![object(0, 1, 5, false, false)], vec![object(0, 1, 5, false, true)]], viewer).unwrap();
        incremental_equals_full(&[vec![object(0, 0, 5, false, false)], vec![object(0, 0, 5, false, true)]], viewer).unwrap();
    }
    // And the tally sees the share: B's object reaches A only after it.
    let w = world();
    let (a, now) = (w.parties[0].clone(), Timestamp::now().micros());
    let mut tally = Tally::without_margin();
    let ask = || Ask { at: Timestamp::now(), window_days: 3650 };
    w.store(&object(0, 1, 5, false, false), now);
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert_eq!(e.releases.len(), 0);
    w.store(&object(0, 1, 5, false, true), now);
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert!(!tally.was_full());
    assert_eq!(e.releases.len(), 1, "{:?}", e.releases);
}

/// The world above counts what it should: B's shared indicators reach A
/// as releases, A's sightings of them as reactions, the unshared one not
/// at all; a sighting stored before its indicator counts once the
/// indicator arrives, read incrementally.
#[test]
fn the_world_counts_shared_objects_and_reactions_and_a_reaction_kept_aside() {
    let w = world();
    let (a, now) = (w.parties[0].clone(), Timestamp::now().micros());
    for n in 0..6 {
        w.store(&Put::Object { n, by: 1, day: 10, v: 0, confidence: None, revoked: false, p: n, shared: n != 5, exercise: false }, now);
    }
    // A sighting of indicator 9, which has not arrived yet.
    w.store(&Put::Reaction { n: 9, by: 0, of: vec![9], kind: 0, day: 1, v: 0, revoked: false, exercise: false }, now);
    for n in 0..3 {
        w.store(&Put::Reaction { n, by: 0, of: vec![n], kind: 0, day: 5, v: 0, revoked: false, exercise: false }, now);
    }
    let mut tally = Tally::without_margin();
    let ask = || Ask { at: Timestamp::now(), window_days: 3650 };
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert!(tally.was_full());
    assert_eq!(e.releases.len(), 5, "{:?}", e.releases);
    assert_eq!(e.reactions.len(), 3);
    w.store(&Put::Object { n: 9, by: 1, day: 3, v: 0, confidence: None, revoked: false, p: 9, shared: true, exercise: false }, now);
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert!(!tally.was_full());
    assert_eq!((e.releases.len(), e.reactions.len()), (6, 4));
    let card = incremental(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    let actionability = card.pair_figure(w.parties[1].as_str(), a.as_str(), scorecard::Indicator::Actionability).unwrap();
    assert_eq!((actionability.n, actionability.k, actionability.value), (6, 4.0, Some(4.0 / 6.0)));
}

/// A deletion made through another handle on the same database (another
/// server, `entente retention` beside `serve`) tells this process nothing:
/// the agreements' index finds the store's removal generation moved at its
/// next check, and the tally then reads in full and drops what was deleted.
#[test]
fn a_deletion_through_another_handle_on_the_store_makes_the_tally_read_in_full() {
    let w = world();
    let (a, now) = (w.parties[0].clone(), Timestamp::now().micros());
    for n in 0..4 {
        w.store(&object(n, 1, 10, false, true), now);
    }
    let mut tally = Tally::without_margin();
    let ask = || Ask { at: Timestamp::now(), window_days: 3650 };
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert_eq!((e.releases.len(), tally.was_full()), (4, true));
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert_eq!((e.releases.len(), tally.was_full()), (4, false), "kept while nothing changed");
    let other: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(w._dir.path()).unwrap());
    let deleted = StixId::parse("indicator--00000000-0000-4000-8000-000000000000").unwrap();
    assert_eq!(other.delete(&deleted, &store::Versions::ALL, None).unwrap(), 1);
    w.node.agreements.age(crate::release::INDEX_TTL);
    let e = super::gather_into(&w.node, &w.modules, &a, &w.agreement, &ask(), "test", &mut tally).unwrap();
    assert!(tally.was_full(), "the tally kept its sums past a deletion elsewhere");
    assert_eq!(e.releases.len(), 3, "{:?}", e.releases);
    assert!(e.releases.iter().all(|r| r.id != deleted.as_str()), "{:?}", e.releases);
}

/// The node keeps at most so many tallies (`release::TALLIES_KEPT`) and so
/// many objects and reactions in them (`release::TALLY_ITEMS_KEPT`): past
/// either the least recently asked for is dropped, and asked for again it
/// is rebuilt by a full read to the same figures as one computed afresh.
#[test]
fn an_evicted_tally_rebuilds_to_the_same_figures() {
    let w = world();
    let (a, b, now) = (w.parties[0].clone(), w.parties[1].clone(), Timestamp::now().micros());
    for n in 0..4 {
        w.store(&object(n, 1, 10, false, true), now);
        w.store(&object(n + 4, 0, 12, false, true), now);
    }
    w.store(&Put::Reaction { n: 0, by: 0, of: vec![0, 1], kind: 0, day: 5, v: 0, revoked: false, exercise: false }, now);
    w.store(&Put::Reaction { n: 1, by: 1, of: vec![4], kind: 1, day: 6, v: 0, revoked: false, exercise: false }, now);
    let listing = |me: &StixId| {
        let ask = Ask { at: Timestamp::now(), window_days: 90 };
        super::listing(&w.node, &w.modules, me, &w.agreement, &ask, "test", super::Lists::All).unwrap()
    };
    let fresh = |me: &StixId, card: &scorecard::Scorecard| {
        let at = Ask { at: Timestamp::from_micros(card.at), window_days: 90 };
        serde_json::to_value(scorecard::compute(&gather(&w.node, &w.modules, me, &w.agreement, &at, "test").unwrap())).unwrap()
    };
    let full = |me: &StixId| w.node.agreements.tally(me, &w.agreement).lock().unwrap().was_full();
    // By count: one tally kept; B's evicts A's.
    w.node.agreements.bound_tallies(1, usize::MAX);
    let first = listing(&a);
    assert_eq!(serde_json::to_value(&first).unwrap(), fresh(&a, &first));
    listing(&a);
    assert!(!full(&a), "warm while kept");
    listing(&b);
    assert!(w.node.agreements.keeps_tally(&b, &w.agreement));
    assert!(!w.node.agreements.keeps_tally(&a, &w.agreement), "the least recently used tally was kept past the bound");
    w.store(&object(9, 1, 1, false, true), now);
    let again = listing(&a);
    assert!(full(&a), "an evicted tally is rebuilt by a full read");
    assert_eq!(serde_json::to_value(&again).unwrap(), fresh(&a, &again), "the rebuilt tally's figures differ from a fresh computation");
    assert!(!w.node.agreements.keeps_tally(&b, &w.agreement));
    // By size: both fit under the count, not under the items.
    let items = w.node.agreements.tally(&a, &w.agreement).lock().unwrap().len();
    w.node.agreements.bound_tallies(16, items.0 + items.1);
    listing(&b);
    assert!(!w.node.agreements.keeps_tally(&a, &w.agreement), "the tallies held more than the bound's objects and reactions");
    let again = listing(&a);
    assert!(full(&a));
    assert_eq!(serde_json::to_value(&again).unwrap(), fresh(&a, &again));
    // Within both bounds, both are kept and warm.
    w.node.agreements.bound_tallies(16, usize::MAX);
    listing(&b);
    listing(&a);
    assert!(!full(&a) && w.node.agreements.keeps_tally(&b, &w.agreement));
}

/// The node of `w` as a new process finds it: the same store and data
/// directory, nothing in memory (a fresh agreements' index, no tally),
/// saving its tallies in the data directory.
fn restarted(w: &World) -> Node {
    super::tally::saved::wait_for_saves();
    let agreements = Arc::new(Agreements::default());
    agreements.save_tallies_in(w._dir.path());
    Node { store: w.node.store.clone(), agreements, log: w.node.log.clone(), limits: model::Limits::default() }
}

/// `me`'s scorecard for now on `node`, every list; whether its tally read in full.
fn listed(w: &World, node: &Node, me: &StixId) -> (scorecard::Scorecard, bool) {
    let ask = Ask { at: Timestamp::now(), window_days: 3650 };
    let card = super::listing(node, &w.modules, me, &w.agreement, &ask, "test", super::Lists::All).unwrap();
    let full = node.agreements.tally(me, &w.agreement).lock().unwrap().was_full();
    (card, full)
}

/// `card` against one gathered and computed afresh at its time.
fn equals_fresh(w: &World, me: &StixId, card: &scorecard::Scorecard) -> Result<(), TestCaseError> {
    let at = Ask { at: Timestamp::from_micros(card.at), window_days: 3650 };
    let fresh = scorecard::compute(&gather(&w.node, &w.modules, me, &w.agreement, &at, "test").unwrap());
    prop_assert_eq!(serde_json::to_value(card).unwrap(), serde_json::to_value(&fresh).unwrap());
    Ok(())
}

/// A tally saved after `before` (its first, full read), the node
/// restarted, `after` stored: the first scorecard of the new process is
/// the saved tally loaded and brought up to date incrementally (a full
/// read only when something was removed in between: a revocation
/// recalls earlier versions), with the same figures and lists as one
/// computed afresh.
fn saved_then_loaded_equals_fresh(before: &[Put], after: &[Put], viewer: usize) -> Result<(), TestCaseError> {
    let w = world();
    w.node.agreements.save_tallies_in(w._dir.path());
    let me = w.parties[viewer].clone();
    let now = Timestamp::now().micros();
    for p in before {
        w.store(p, now);
    }
    let (card, full) = listed(&w, &w.node, &me);
    prop_assert!(full);
    equals_fresh(&w, &me, &card)?;
    let file = super::tally::saved::path(w._dir.path(), &me, &w.agreement);
    super::tally::saved::wait_for_saves();
    prop_assert!(file.is_file(), "not saved after the full read");
    let removals = w.node.store.removals().unwrap();
    for p in after {
        w.store(p, now);
    }
    let node = restarted(&w);
    let (card, full) = listed(&w, &node, &me);
    prop_assert_eq!(full, w.node.store.removals().unwrap() != removals, "loaded unless something was removed since the save");
    equals_fresh(&w, &me, &card)?;
    // And kept warm from there.
    w.store(&object(13, 1 - viewer, 2, false, true), now);
    let (card, full) = listed(&w, &node, &me);
    prop_assert!(!full);
    equals_fresh(&w, &me, &card)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn a_tally_saved_and_loaded_after_a_restart_gives_the_figures_of_a_fresh_computation(before in proptest::collection::vec(put(), 0..10), after in proptest::collection::vec(put(), 0..8), viewer in 0usize..2) {
        saved_then_loaded_equals_fresh(&before, &after, viewer)?;
    }
}

/// Some evidence on `w`, then A's tally read in full and saved; returns A and the file.
fn saved_world(w: &World) -> (StixId, std::path::PathBuf) {
    w.node.agreements.save_tallies_in(w._dir.path());
    let (a, now) = (w.parties[0].clone(), Timestamp::now().micros());
    for n in 0..4 {
        w.store(&object(n, 1, 10, false, true), now);
        w.store(&object(n + 4, 0, 12, false, true), now);
    }
    w.store(&Put::Reaction { n: 0, by: 0, of: vec![0, 1], kind: 0, day: 5, v: 0, revoked: false, exercise: false }, now);
    let (_, full) = listed(w, &w.node, &a);
    assert!(full);
    let file = super::tally::saved::path(w._dir.path(), &a, &w.agreement);
    super::tally::saved::wait_for_saves();
    assert!(file.is_file());
    // What the node holds, by object: its owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&file), mode(file.parent().unwrap())), (0o600, 0o700));
    }
    (a, file)
}

/// Why the saved tally of `a` is not used on `store`, if it is not.
fn unusable(store: &dyn Store, w: &World, a: &StixId) -> Option<String> {
    match Tally::load(store, w._dir.path(), a, &w.agreement).unwrap() {
        super::tally::saved::Loaded::Unusable(why) => Some(why),
        super::tally::saved::Loaded::Tally(_) => None,
        super::tally::saved::Loaded::None => Some("none".into()),
    }
}

/// A store restored from a copy taken before a version the tally read
/// (the same first version, the same removal count: no removal since)
/// does not take the saved tally: it may hold versions the copy lost.
#[test]
fn a_store_restored_from_an_older_copy_does_not_take_the_saved_tally() {
    let w = world();
    let (a, _) = saved_world(&w);
    // The copy: the database as it stands (its log beside it; the shared
    // index is rebuilt by the copy's first reader).
    let copy = tempfile::tempdir().unwrap();
    for name in [store_sqlite::FILE_NAME.to_owned(), format!("{}-wal", store_sqlite::FILE_NAME)] {
        let from = w._dir.path().join(&name);
        if from.exists() {
            std::fs::copy(&from, copy.path().join(&name)).unwrap();
        }
    }
    let restored = store_sqlite::SqliteStore::open(copy.path()).unwrap();
    assert_eq!(unusable(&restored, &w, &a), None, "a copy holding all the tally read takes it");
    // Then a version the copy does not have, read by the tally and saved.
    w.store(&object(9, 1, 12, false, true), Timestamp::now().micros());
    listed(&w, &w.node, &a);
    assert!(super::save_tally(&w.node, &a, &w.agreement).unwrap().is_some());
    assert_eq!(unusable(&*w.node.store, &w, &a), None, "the store itself takes it");
    let why = unusable(&restored, &w, &a).expect("the older copy took the saved tally");
    assert!(why.contains("no longer holds") && why.contains("older copy"), "{why}");
}

/// A temporary file left by a save that never finished (the process
/// stopped while it wrote) is removed by a later save once it is an hour
/// old; a younger one (perhaps a save under way) is left alone.
#[test]
fn a_save_sweeps_what_an_unfinished_save_left() {
    let w = world();
    let (a, file) = saved_world(&w);
    let dir = file.parent().unwrap();
    let left = dir.join(".abandoned.bin.4242.0.tmp");
    let young = dir.join(".abandoned.bin.4242.1.tmp");
    for f in [&left, &young] {
        std::fs::write(f, b"half a tally").unwrap();
    }
    let old = std::time::SystemTime::now() - super::tally::saved::STALE - std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(&left).unwrap().set_modified(old).unwrap();
    // Something new to save, then saved at once.
    w.store(&object(9, 1, 12, false, true), Timestamp::now().micros());
    listed(&w, &w.node, &a);
    assert!(super::save_tally(&w.node, &a, &w.agreement).unwrap().is_some());
    assert!(!left.exists(), "the abandoned temporary file was kept");
    assert!(young.exists(), "a young temporary file was removed");
    assert!(file.is_file());
}

/// A torn or damaged file is not used (why, naming it, for the log) and
/// the tally reads in full, to the right figures; never a panic.
#[test]
fn a_truncated_or_corrupt_saved_tally_is_ignored_and_read_in_full() {
    let w = world();
    let (a, file) = saved_world(&w);
    let good = std::fs::read(&file).unwrap();
    assert_eq!(unusable(&*w.node.store, &w, &a), None, "the file as saved is used");
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x20;
    let mut wrong_format = good.clone();
    wrong_format[8] = 99;
    // A letter of the viewer's id changed (header 52 bytes, the first
    // part's length 8, the id's length 1): damaged, not another viewer's.
    let mut other_viewer = good.clone();
    other_viewer[52 + 8 + 1 + 20] ^= 0x01;
    let cases: [(&[u8], &str); 6] = [
        (&good[..good.len() / 2], "cut short"),
        (&good[..20], "cut short"),
        (&[], "not a saved tally"),
        (&flipped, "checksum does not match"),
        (&other_viewer, "checksum does not match"),
        (&wrong_format, "format 99"),
    ];
    for (bytes, says) in cases {
        std::fs::write(&file, bytes).unwrap();
        let why = unusable(&*w.node.store, &w, &a).expect("a damaged file was used");
        assert!(why.contains(says) && why.contains(&file.display().to_string()), "{why}");
        let node = restarted(&w);
        let (card, full) = listed(&w, &node, &a);
        assert!(full, "{says}: not read in full");
        equals_fresh(&w, &a, &card).unwrap();
        // Read in full, it was saved again, whole.
        super::tally::saved::wait_for_saves();
        assert_eq!(unusable(&*w.node.store, &w, &a), None);
        std::fs::write(&file, &good).unwrap();
    }
    // A checksum right over a payload that is not a tally: refused too.
    let mut forged = good[..52].to_vec();
    forged[12..20].copy_from_slice(&5u64.to_le_bytes());
    use sha2::Digest;
    forged[20..52].copy_from_slice(&sha2::Sha256::digest(b"\xff\xff\xff\xff\xff"));
    forged.extend_from_slice(b"\xff\xff\xff\xff\xff");
    std::fs::write(&file, &forged).unwrap();
    assert!(unusable(&*w.node.store, &w, &a).unwrap().contains("not readable"));
}

/// A deletion between the save and the restart (the node down, or
/// through another process on the store) moves the store's removal
/// count: the saved tally is not used, the read is full and the deleted
/// object is gone.
#[test]
fn a_deletion_between_save_and_load_forces_a_full_read() {
    let w = world();
    let (a, _) = saved_world(&w);
    let other: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(w._dir.path()).unwrap());
    let deleted = StixId::parse("indicator--00000000-0000-4000-8000-000000000000").unwrap();
    assert_eq!(other.delete(&deleted, &store::Versions::ALL, None).unwrap(), 1);
    assert!(unusable(&*w.node.store, &w, &a).unwrap().contains("removed from the store since"));
    let node = restarted(&w);
    let (card, full) = listed(&w, &node, &a);
    assert!(full, "a tally saved before a deletion was loaded");
    assert!(card.parties.iter().flat_map(|p| &p.figures).chain(card.pairs.iter().flat_map(|p| &p.figures)).all(|f| !f.evidence.contains(&deleted.to_string())));
    equals_fresh(&w, &a, &card).unwrap();
    // Saved again after that full read: a later restart loads it.
    let node = restarted(&w);
    let (card, full) = listed(&w, &node, &a);
    assert!(!full);
    equals_fresh(&w, &a, &card).unwrap();
}

/// A file saved from one store is not used on another (a database
/// swapped under the data directory, another server's): the store's
/// identity differs.
#[test]
fn a_saved_tally_from_another_store_is_not_used() {
    let w = world();
    let (a, _) = saved_world(&w);
    let other = world();
    assert!(unusable(&*other.node.store, &w, &a).unwrap().contains("another store"));
    // The same store through another handle (another server on it) is the same store.
    let same: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(w._dir.path()).unwrap());
    assert_eq!(unusable(&*same, &w, &a), None);
}

/// Only a tally whose basis still holds is saved: not one whose store
/// saw a removal since its last full read (it may hold what was removed).
#[test]
fn a_tally_is_not_saved_past_a_removal_and_is_saved_again_after_its_full_read() {
    let w = world();
    let (a, file) = saved_world(&w);
    std::fs::remove_file(&file).unwrap();
    let deleted = StixId::parse("indicator--00000000-0000-4000-8000-000000000001").unwrap();
    let other: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(w._dir.path()).unwrap());
    other.delete(&deleted, &store::Versions::ALL, None).unwrap();
    let tally = w.node.agreements.tally(&a, &w.agreement);
    let mut tally = tally.lock().unwrap();
    assert_eq!(tally.save(&*w.node.store, w._dir.path()).unwrap(), None, "saved past a removal");
    assert!(!file.exists());
    drop(tally);
    w.node.agreements.age(crate::release::INDEX_TTL);
    let (card, full) = listed(&w, &w.node, &a);
    assert!(full);
    equals_fresh(&w, &a, &card).unwrap();
    super::tally::saved::wait_for_saves();
    assert!(file.is_file(), "not saved after the full read");
}
