//! The kept sums against the computation afresh: random evidence set
//! object by object in any order (some objects set first with other
//! content, some set and taken out again), then read at times from the
//! sums' own onwards, moved on with [`Kept::advance`]; and cases worked
//! out at the edges of the window, the 14 days of feedback, false
//! positives, items dated after the sums' time and exercise data.

use proptest::prelude::*;
use serde_json::Value;

use crate::{compute, compute_bare, Evidence, Indicator, Kept, Reaction, ReactionKind, Release, Scorecard, DAY};

const H: i64 = DAY / 24;
const PARTIES: [&str; 3] = ["A", "B", "C"];

/// One object: author, recipients, created (hours), arrival delay
/// (hours), quality, novel, exercise.
type Obj = (usize, Vec<usize>, i64, Option<i64>, f64, Option<bool>, bool);
/// One reaction: by, objects named, made (hours), kind, exercise.
type Rea = (usize, Vec<usize>, i64, usize, bool);

fn evidence(objects: &[Obj], reactions: &[Rea], at: i64, window_days: i64, sl: Option<i64>) -> Evidence {
    let mut e = Evidence { parties: PARTIES.iter().map(|p| (*p).to_owned()).collect(), at, window: window_days * DAY, service_level: sl, ..Evidence::default() };
    for (n, (by, to, created, delay, q, novel, ex)) in objects.iter().enumerate() {
        let to: std::collections::BTreeSet<&usize> = to.iter().collect();
        for r in to.into_iter().filter(|r| *r != by) {
            e.releases.push(Release { id: format!("o{n:02}"), author: PARTIES[*by].into(), recipient: PARTIES[*r].into(), created: created * H, arrived: delay.map(|d| (created + d) * H), quality: *q, novel: *novel, exercise: *ex });
        }
    }
    for (n, (by, of, t, kind, ex)) in reactions.iter().enumerate() {
        let kind = [ReactionKind::Sighting, ReactionKind::FalsePositive, ReactionKind::Opinion, ReactionKind::Note][*kind];
        for o in of.iter().filter(|o| **o < objects.len()) {
            e.reactions.push(Reaction { id: format!("x{n:02}"), by: PARTIES[*by].into(), of: format!("o{o:02}"), at: t * H, kind, exercise: *ex });
        }
    }
    e
}

/// Sets object `id`'s part from `e`.
fn set(kept: &mut Kept, e: &Evidence, id: &str) {
    let releases: Vec<Release> = e.releases.iter().filter(|r| r.id == id).cloned().collect();
    let reactions: Vec<Reaction> = e.reactions.iter().filter(|r| r.of == id).cloned().collect();
    kept.set(id, &releases, &reactions);
}

/// `kept` saved and loaded again ([`Kept::to_wire`], [`Kept::from_wire`])
/// through a table of ids, as the node's saved tally does.
fn round_trip(kept: &Kept) -> Kept {
    let mut table: Vec<std::sync::Arc<str>> = Vec::new();
    let mut numbers: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let wire = kept.to_wire(&mut |id| {
        *numbers.entry(id.to_owned()).or_insert_with(|| {
            table.push(id.into());
            (table.len() - 1) as u32
        })
    });
    Kept::from_wire(wire, &table).expect("the sums load")
}

fn json(card: &Scorecard) -> Value {
    serde_json::to_value(card).unwrap()
}

/// The kept figures at `e.at` equal the computation's, bare and with every
/// list, and the first `most` ids of each list with their total.
fn check(kept: &Kept, e: &Evidence) -> Result<(), TestCaseError> {
    let bare = kept.scorecard(e).expect("the sums stand at this time");
    prop_assert_eq!(json(&bare), json(&compute_bare(e)));
    let full = compute(e);
    let mut lists = bare.clone();
    kept.fill(&mut lists, e, None, None);
    prop_assert_eq!(json(&lists), json(&full));
    let mut paged = bare.clone();
    kept.fill(&mut paged, e, Some(2), None);
    for (p, q) in paged.pairs.iter().zip(&full.pairs).map(|(p, q)| (&p.figures, &q.figures)).chain(paged.parties.iter().zip(&full.parties).map(|(p, q)| (&p.figures, &q.figures))) {
        for (f, g) in p.iter().zip(q) {
            prop_assert_eq!(&f.evidence[..], &g.evidence[..g.evidence.len().min(2)]);
            prop_assert_eq!(f.evidence_total.unwrap_or(0), g.evidence.len());
        }
    }
    Ok(())
}

fn obj() -> impl Strategy<Value = Obj> {
    (0..3usize, proptest::collection::vec(0..3usize, 0..3), 0..200 * 24i64, proptest::option::of(0..100i64), 0.0..=1.0f64, proptest::option::of(any::<bool>()), proptest::bool::weighted(0.1))
}

fn rea() -> impl Strategy<Value = Rea> {
    (0..3usize, proptest::collection::vec(0..24usize, 1..3), 0..200 * 24i64, 0..4usize, proptest::bool::weighted(0.1))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Set in any order, some first with other content, some taken out
    /// again: at every later time the sums stand at (moved on and the
    /// objects due set again), the figures and lists are the computation's.
    #[test]
    fn kept_sums_give_the_computed_figures(
        objects in proptest::collection::vec(obj(), 0..24),
        other in proptest::collection::vec(obj(), 24),
        reactions in proptest::collection::vec(rea(), 0..40),
        order in Just((0..24usize).collect::<Vec<_>>()).prop_shuffle(),
        first in 100 * 24i64..200 * 24,
        steps in proptest::collection::vec(0..30 * 24i64, 1..4),
        window_days in prop_oneof![Just(1i64), Just(14), Just(90), 1..200i64],
        sl in proptest::option::of(1..72i64),
        trust_kept in 0..3usize,
    ) {
        let sl = sl.map(|h| h * H);
        let mut at = first * H;
        let e = evidence(&objects, &reactions, at, window_days, sl);
        // Another version of every object first (ids beyond the real ones
        // are set and then taken out).
        let decoy = evidence(&other, &reactions, at, window_days, sl);
        let mut kept = Kept::new(&e.parties, sl, at);
        // Trust's sums kept for the window from the start (1), or first
        // for another half-life and rebuilt for the window midway (2), or
        // never (0: each reaction weighed at each scorecard).
        match trust_kept {
            1 => kept.keep_trust(e.window),
            2 => kept.keep_trust(e.window * 2 + 1),
            _ => {}
        }
        for &n in &order {
            let id = format!("o{n:02}");
            set(&mut kept, &decoy, &id);
        }
        for &n in &order {
            let id = format!("o{n:02}");
            if n < objects.len() {
                set(&mut kept, &e, &id);
            } else {
                kept.remove(&id);
            }
        }
        prop_assert_eq!(kept.len(), objects.len());
        prop_assert!(kept.stands_at(at));
        check(&kept, &e)?;
        // Saved and loaded, the sums give the same figures and go on as before.
        let mut kept = round_trip(&kept);
        check(&kept, &e)?;
        if trust_kept == 2 {
            kept.keep_trust(e.window);
            check(&kept, &e)?;
        }
        for step in steps {
            at += step * H;
            let e = Evidence { at, ..e.clone() };
            if kept.stands_at(at) {
                check(&kept, &e)?;
            }
            for id in kept.advance(at) {
                set(&mut kept, &e, &id);
            }
            prop_assert!(kept.stands_at(at));
            check(&kept, &e)?;
        }
    }
}

fn release(id: &str, from: &str, to: &str, created: i64) -> Release {
    Release { id: id.into(), author: from.into(), recipient: to.into(), created, arrived: None, quality: 1.0, novel: None, exercise: false }
}

fn reaction(id: &str, by: &str, of: &str, at: i64, kind: ReactionKind) -> Reaction {
    Reaction { id: id.into(), by: by.into(), of: of.into(), at, kind, exercise: false }
}

fn kept_of(e: &Evidence) -> Kept {
    let mut kept = Kept::new(&e.parties, e.service_level, e.at);
    let ids: std::collections::BTreeSet<String> = e.releases.iter().map(|r| r.id.clone()).collect();
    for id in ids {
        set(&mut kept, e, &id);
    }
    kept
}

fn world() -> Evidence {
    // Now is day 100 at noon; the window is 90 days: (day 10 noon, day 100 noon].
    Evidence { parties: PARTIES.iter().map(|p| (*p).to_owned()).collect(), at: 100 * DAY + 12 * H, window: 90 * DAY, ..Evidence::default() }
}

/// A release made exactly at the window's start is out, one a
/// microsecond later in, one at `at` in; both partial days are read item
/// by item, the days between from their counts.
#[test]
fn windows_are_exact_at_their_edges() {
    let mut e = world();
    let start = e.at - e.window;
    for (id, t) in [("o0", start), ("o1", start + 1), ("o2", e.at), ("o3", start - 1), ("o4", 50 * DAY), ("o5", 10 * DAY + 13 * H), ("o6", 100 * DAY)] {
        e.releases.push(release(id, "A", "B", t));
    }
    let kept = kept_of(&e);
    let card = kept.scorecard(&e).unwrap();
    let f = card.pair_figure("A", "B", Indicator::Actionability).unwrap();
    assert_eq!(f.n, 5, "o1, o2, o4, o5, o6: {f:?}");
    assert_eq!(json(&card), json(&compute_bare(&e)));
    let mut lists = card.clone();
    kept.fill(&mut lists, &e, None, Some(Indicator::Actionability));
    assert_eq!(lists.pair_figure("A", "B", Indicator::Actionability).unwrap().evidence, ["o1", "o2", "o4", "o5", "o6"]);
    // Only the indicator asked for is listed.
    assert!(lists.pair_figure("A", "B", Indicator::Reciprocity).unwrap().evidence.is_empty());
}

/// Accuracy counts the recipient's sightings and false positives made in
/// the window on anything it was given; trust weighs them all, decayed.
#[test]
fn false_positives_lower_accuracy_and_trust() {
    let mut e = world();
    for n in 0..6 {
        e.releases.push(release(&format!("o{n}"), "A", "B", 5 * DAY + n));
        let kind = if n < 2 { ReactionKind::FalsePositive } else { ReactionKind::Sighting };
        e.reactions.push(reaction(&format!("x{n}"), "B", &format!("o{n}"), 60 * DAY, kind));
    }
    // By another party than the recipient: not B's accuracy of A.
    e.reactions.push(reaction("x9", "C", "o0", 60 * DAY, ReactionKind::FalsePositive));
    let kept = kept_of(&e);
    let card = kept.scorecard(&e).unwrap();
    let f = card.pair_figure("A", "B", Indicator::Accuracy).unwrap();
    assert_eq!((f.n, f.k, f.value), (6, 4.0, Some(4.0 / 6.0)));
    let t = &card.pairs.iter().find(|p| p.from == "A" && p.to == "B").unwrap().trust;
    assert_eq!(t.events, 6);
    assert!(t.negative > 0.0 && t.positive > t.negative);
    assert_eq!(json(&card), json(&compute_bare(&e)));
}

/// Feedback: answered within 14 days of creation is kept; unanswered
/// counts as missed only once the 14 days are over; a reaction dated after
/// the sums' time counts only once they are moved on to it.
#[test]
fn feedback_and_items_dated_later() {
    let mut e = world();
    let at = e.at;
    for (id, created) in [("o0", at - 20 * DAY), ("o1", at - 14 * DAY), ("o2", at - 14 * DAY + 1), ("o3", at - 30 * DAY), ("o4", at - 40 * DAY), ("o5", at - 50 * DAY)] {
        e.releases.push(release(id, "A", "B", created));
    }
    e.reactions.push(reaction("x0", "B", "o0", at - 7 * DAY, ReactionKind::Note));
    e.reactions.push(reaction("x1", "B", "o3", at - 17 * DAY + 1, ReactionKind::Opinion));
    // Made after `at`: not yet.
    e.reactions.push(reaction("x2", "B", "o2", at + DAY, ReactionKind::Sighting));
    let mut kept = kept_of(&e);
    let card = kept.scorecard(&e).unwrap();
    let f = card.pair_figure("A", "B", Indicator::Feedback).unwrap();
    // o0, o3 answered in time; o1, o4, o5 missed; o2 still inside its 14 days.
    assert_eq!((f.n, f.k), (5, 2.0));
    assert_eq!(json(&card), json(&compute_bare(&e)));
    // A day later the sighting is made: the sums no longer stand, until moved on.
    let later = Evidence { at: at + DAY, ..e.clone() };
    assert!(!kept.stands_at(later.at));
    assert!(kept.scorecard(&later).is_none());
    assert_eq!(kept.advance(later.at), [std::sync::Arc::<str>::from("o2")]);
    set(&mut kept, &later, "o2");
    let card = kept.scorecard(&later).unwrap();
    assert_eq!(card.pair_figure("A", "B", Indicator::Actionability).unwrap().k, 1.0);
    assert_eq!(json(&card), json(&compute_bare(&later)));
}

/// Exercise releases and reactions never count and are set aside; taking
/// an object out takes its set-aside items too.
#[test]
fn exercise_data_is_set_aside_and_taken_out_with_its_object() {
    let mut e = world();
    for n in 0..5 {
        e.releases.push(release(&format!("o{n}"), "A", "B", 50 * DAY));
    }
    let mut x = release("o9", "A", "B", 50 * DAY);
    x.exercise = true;
    e.releases.push(x);
    let mut s = reaction("x0", "B", "o0", 51 * DAY, ReactionKind::Sighting);
    s.exercise = true;
    e.reactions.push(s);
    let mut kept = kept_of(&e);
    let card = kept.scorecard(&e).unwrap();
    assert_eq!(card.exercise_set_aside, 2);
    assert_eq!(card.pair_figure("A", "B", Indicator::Actionability).unwrap().k, 0.0);
    assert_eq!(json(&card), json(&compute_bare(&e)));
    kept.remove("o0");
    kept.remove("o9");
    e.releases.retain(|r| r.id != "o0" && r.id != "o9");
    e.reactions.clear();
    let card = kept.scorecard(&e).unwrap();
    assert_eq!((card.exercise_set_aside, card.pair_figure("A", "B", Indicator::Actionability).unwrap().n), (0, 4));
    assert_eq!(json(&card), json(&compute_bare(&e)));
}

/// Trust's weights summed per epoch and rescaled give the decay
/// `0.5^(age / half-life)` of each reaction (to 1e-12 relative, plus the
/// fixed point's 2⁻⁶⁰ a reaction) over many half-lives and epochs, kept or weighed afresh alike, and a reaction
/// taken out leaves the sums as if it had never been set.
#[test]
fn trust_sums_rescale_to_each_reactions_decay() {
    // A one-day window: a half-life of a day, a year of reactions (many epochs).
    let mut e = Evidence { window: DAY, ..world() };
    e.at = 353 * DAY + 5;
    let mut expected = [0.0f64; 2];
    for n in 0..40i64 {
        let id = format!("o{n:02}");
        e.releases.push(release(&id, "A", "B", n * 9 * DAY + 17));
        let kind = if n % 3 == 0 { ReactionKind::FalsePositive } else { ReactionKind::Sighting };
        let at = n * 9 * DAY + 3 * H + n;
        e.reactions.push(reaction(&format!("x{n:02}"), "B", &id, at, kind));
        expected[usize::from(n % 3 == 0)] += crate::stats::decay(e.at - at, e.window);
    }
    let mut kept = kept_of(&e);
    let weighed = kept.scorecard(&e).unwrap();
    kept.keep_trust(e.window);
    let card = kept.scorecard(&e).unwrap();
    assert_eq!(json(&card), json(&compute_bare(&e)));
    assert_eq!(json(&card), json(&weighed));
    let t = &card.pairs.iter().find(|p| p.from == "A" && p.to == "B").unwrap().trust;
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs() + 40.0 * 2f64.powi(-60);
    assert!(expected[0] > 1e-4 && expected[1] > 1e-4, "{expected:?}");
    assert!(near(t.positive, expected[0]) && near(t.negative, expected[1]) && t.events == 40, "{t:?} against {expected:?}");
    // The newest reaction set with another time, then back: the same sums.
    let mut moved = e.clone();
    moved.reactions.last_mut().unwrap().at -= 5 * DAY;
    set(&mut kept, &moved, "o39");
    assert_ne!(json(&kept.scorecard(&e).unwrap()), json(&card));
    set(&mut kept, &e, "o39");
    assert_eq!(json(&kept.scorecard(&e).unwrap()), json(&card));
}
