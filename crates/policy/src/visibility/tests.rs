//! Tests of when agreements enter into force on the store's clock, and of
//! the everything collection's dating rule against a poller that keeps only
//! its cursor.

use std::collections::BTreeMap;

use model::{StixId, Timestamp};
use proptest::prelude::*;

use crate::ext::agreement_object;
use crate::fixture::{id, partner, terms, ts};
use crate::keys::public_key;
use crate::visibility::{arrival, Arrivals};
use crate::{sign_agreement, Agreement, Notice, NoticeKind, Ratification};

/// Second `s` of the test's clock, in microseconds (store dates and
/// validity times alike).
fn at(s: i64) -> i64 {
    ts("2026-01-01T00:00:00Z").micros() + s * 1_000_000
}

/// Builds one agreement's records as a node stores them, one per second.
struct Book {
    n: u32,
    arrivals: Arrivals,
    /// The latest version's object, for signing.
    latest: Option<(model::Object, Agreement)>,
    next_id: u32,
}

impl Book {
    fn new(n: u32) -> Book {
        Book { n, arrivals: Arrivals::default(), latest: None, next_id: 0 }
    }

    fn fresh_id(&mut self, ty: &str) -> StixId {
        self.next_id += 1;
        id(ty, self.n * 10_000 + self.next_id)
    }

    /// A version naming `parties` (partner 0 first, the author), covering
    /// `types` (empty: all), valid from second `valid_from`, stored at `s`.
    fn version(&mut self, s: i64, parties: &[u32], types: &[&str], valid_from: i64) {
        let mut t = terms(parties);
        t.scope.object_types = types.iter().map(|x| (*x).to_owned()).collect();
        t.valid_from = Timestamp::from_micros(at(valid_from));
        t.valid_until = None;
        let o = agreement_object(
            &id("x-entente-agreement", self.n),
            &partner(0).0,
            &Timestamp::from_micros(at(-1000)),
            &Timestamp::from_micros(at(s)),
            &t,
        )
        .expect("agreement object");
        let a = Agreement::from_object(&o).expect("agreement");
        self.arrivals.versions.push((at(s), a.clone()));
        self.latest = Some((o, a));
    }

    /// `party` ratifies the latest version, stored at `s`.
    fn ratify(&mut self, s: i64, party: u32) {
        let Some((o, a)) = self.latest.clone() else { return };
        let (p, secret) = partner(party);
        let r = Ratification {
            id: self.fresh_id("x-entente-ratification"),
            author: p,
            version: Timestamp::from_micros(at(s)),
            revoked: false,
            agreement: a.id.clone(),
            agreement_version: a.version.clone(),
            signature: sign_agreement(o.json(), &secret).expect("sign"),
        };
        self.arrivals.ratifications.push((at(s), r));
    }

    /// `party` gives notice, stored at `s`, taking effect at second `effective`.
    fn notice(&mut self, s: i64, party: u32, kind: NoticeKind, effective: i64) {
        let n = Notice {
            id: self.fresh_id("x-entente-notice"),
            author: partner(party).0,
            version: Timestamp::from_micros(at(s)),
            revoked: false,
            agreement: id("x-entente-agreement", self.n),
            kind,
            effective: Timestamp::from_micros(at(effective)),
        };
        self.arrivals.notices.push((at(s), n));
    }

    /// Partner `party`'s key arrives at `s`.
    fn key(&mut self, s: i64, party: u32) {
        let (p, secret) = partner(party);
        self.arrivals.keys.push((at(s), p, public_key(&secret)));
    }

    /// The latest version stored by `x`.
    fn latest_at(&self, x: i64) -> Option<&Agreement> {
        self.arrivals.versions.iter().filter(|(d, _)| *d <= x).map(|(_, a)| a).max_by(|a, b| a.version.cmp(&b.version))
    }
}

/// Two parties with their keys at second 0, a version at 1, ratified by
/// partner 0 at 2.
fn half_ratified() -> Book {
    let mut b = Book::new(1);
    b.key(0, 0);
    b.key(0, 1);
    b.version(1, &[0, 1], &[], 0);
    b.ratify(2, 0);
    b
}

#[test]
fn a_ratification_after_the_cursor_starts_the_period() {
    let mut b = half_ratified();
    assert_eq!(b.arrivals.in_force_since(at(5)), None);
    b.ratify(6, 1);
    assert_eq!(b.arrivals.in_force_since(at(9)), Some(at(6)));
    // A version shared at 3, before the ratification, arrives at 6: after
    // a cursor a poller took at 5.
    assert_eq!(arrival([(at(3), at(6))]), Some(at(6)));
}

#[test]
fn a_resumption_starts_a_new_period() {
    let mut b = half_ratified();
    b.ratify(3, 1);
    b.notice(4, 1, NoticeKind::Suspension, 4);
    assert_eq!(b.arrivals.in_force_since(at(6)), None);
    b.notice(8, 1, NoticeKind::Resumption, 8);
    assert_eq!(b.arrivals.in_force_since(at(9)), Some(at(8)));
}

#[test]
fn a_resumption_effective_later_starts_the_period_when_it_takes_effect() {
    let mut b = half_ratified();
    b.ratify(3, 1);
    b.notice(4, 1, NoticeKind::Suspension, 4);
    b.notice(8, 1, NoticeKind::Resumption, 12);
    assert_eq!(b.arrivals.in_force_since(at(10)), None);
    assert_eq!(b.arrivals.in_force_since(at(15)), Some(at(12)));
}

#[test]
fn a_suspension_effective_later_does_not_break_the_period_before_it_takes_effect() {
    let mut b = half_ratified();
    b.ratify(3, 1);
    b.notice(4, 1, NoticeKind::Suspension, 20);
    assert_eq!(b.arrivals.in_force_since(at(10)), Some(at(3)));
    assert_eq!(b.arrivals.in_force_since(at(21)), None);
}

#[test]
fn an_amendment_to_a_wider_scope_starts_a_new_period_once_ratified() {
    let mut b = Book::new(1);
    b.key(0, 0);
    b.key(0, 1);
    b.version(1, &[0, 1], &["indicator"], 0);
    b.ratify(2, 0);
    b.ratify(3, 1);
    assert_eq!(b.arrivals.in_force_since(at(5)), Some(at(3)));
    b.version(6, &[0, 1], &[], 0);
    assert_eq!(b.arrivals.in_force_since(at(7)), None, "an amendment needs ratifying again");
    b.ratify(7, 0);
    b.ratify(9, 1);
    assert_eq!(b.arrivals.in_force_since(at(10)), Some(at(9)));
}

#[test]
fn a_key_accepted_later_starts_the_period() {
    let mut b = Book::new(1);
    b.key(0, 0);
    b.version(1, &[0, 1], &[], 0);
    b.ratify(2, 0);
    b.ratify(3, 1);
    assert_eq!(b.arrivals.in_force_since(at(5)), None, "partner 1's ratification does not verify without its key");
    b.key(7, 1);
    assert_eq!(b.arrivals.in_force_since(at(8)), Some(at(7)));
}

#[test]
fn validity_starting_later_starts_the_period_when_it_comes() {
    let mut b = Book::new(1);
    b.key(0, 0);
    b.key(0, 1);
    b.version(1, &[0, 1], &[], 10);
    b.ratify(2, 0);
    b.ratify(3, 1);
    assert_eq!(b.arrivals.in_force_since(at(5)), None);
    assert_eq!(b.arrivals.in_force_since(at(12)), Some(at(10)));
}

#[test]
fn a_version_shared_later_under_another_agreement_arrives_when_shared() {
    // Through the agreement in force since 2 it joined at 7: it arrives at 7.
    assert_eq!(arrival([(at(7), at(2))]), Some(at(7)));
    // Through two agreements: the earlier path.
    assert_eq!(arrival([(at(7), at(2)), (at(1), at(4))]), Some(at(4)));
    assert_eq!(arrival(std::iter::empty()), None);
}

/// One step of a random world: two agreements (0 and 1) between the author
/// (partner 0), the reader (partner 1) and another partner (2), four
/// objects (even: indicators, odd: malware), one second per step.
#[derive(Debug, Clone)]
enum Op {
    /// A new version of agreement `a` (its proposal, then amendments):
    /// with or without the reader, indicators only or every type, valid
    /// from a second ahead of now by `valid_in`.
    Version { a: usize, reader: bool, indicators_only: bool, valid_in: i64 },
    /// A party ratifies agreement `a`'s latest version.
    Ratify { a: usize, party: u32 },
    /// A party suspends or resumes agreement `a`, in effect after `delay` seconds.
    Notice { a: usize, party: u32, suspend: bool, delay: i64 },
    /// The reader's key arrives (a ratification of its then verifies).
    ReaderKey,
    /// The author shares object `o` under agreement `a`.
    Share { o: usize, a: usize },
    /// The reader polls with its cursor.
    Poll,
    /// Time passes.
    Wait,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..2usize, any::<bool>(), any::<bool>(), 0..4i64)
            .prop_map(|(a, reader, indicators_only, valid_in)| Op::Version { a, reader, indicators_only, valid_in }),
        8 => (0..2usize, 0..3u32).prop_map(|(a, party)| Op::Ratify { a, party }),
        2 => (0..2usize, 0..3u32, any::<bool>(), 0..4i64).prop_map(|(a, party, suspend, delay)| Op::Notice { a, party, suspend, delay }),
        1 => Just(Op::ReaderKey),
        4 => (0..4usize, 0..2usize).prop_map(|(o, a)| Op::Share { o, a }),
        4 => Just(Op::Poll),
        1 => Just(Op::Wait),
    ]
}

const OBJECTS: usize = 4;

struct World {
    books: Vec<Book>,
    /// Per object: (agreement, second it joined that agreement's collection).
    shares: Vec<Vec<(usize, i64)>>,
}

impl World {
    fn object_type(o: usize) -> &'static str {
        if o.is_multiple_of(2) { "indicator" } else { "malware" }
    }

    /// Whether agreement `a` releases object `o` to the reader at `x`:
    /// in force, the author and the reader parties of its latest version,
    /// the object's type in scope (the reference, decided afresh).
    fn releases(&self, a: usize, o: usize, x: i64) -> bool {
        let book = &self.books[a];
        book.arrivals.in_force_at(x)
            && book.latest_at(x).is_some_and(|v| {
                v.is_party(&partner(0).0)
                    && v.is_party(&partner(1).0)
                    && (v.terms.scope.object_types.is_empty()
                        || v.terms.scope.object_types.iter().any(|t| t == World::object_type(o)))
            })
    }

    /// The agreements releasing object `o` to the reader at `x`, among
    /// those it had joined by then.
    fn paths(&self, o: usize, x: i64) -> Vec<usize> {
        self.shares[o].iter().filter(|(a, j)| at(*j) <= x && self.releases(*a, o, x)).map(|(a, _)| *a).collect()
    }

    /// The rule under test: each object's date in the reader's everything
    /// collection at `x`, with the agreements that give it.
    fn dated(&self, o: usize, x: i64) -> Option<(i64, Vec<usize>)> {
        let paths: Vec<(usize, i64, i64)> = self.shares[o]
            .iter()
            .filter(|(a, j)| at(*j) <= x && self.releases(*a, o, x))
            .filter_map(|(a, j)| Some((*a, at(*j), self.books[*a].arrivals.in_force_since(x)?)))
            .collect();
        let date = arrival(paths.iter().map(|(_, joined, since)| (*joined, *since)))?;
        Some((date, paths.iter().filter(|(_, j, s)| (*j).max(*s) == date).map(|(a, _, _)| *a).collect()))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The period found from the turning points is the one a check of
    /// every second finds.
    #[test]
    fn in_force_since_matches_a_check_of_every_second(ops in proptest::collection::vec(op(), 1..40)) {
        let mut book = Book::new(1);
        book.key(0, 0);
        book.key(0, 2);
        for (i, op) in ops.iter().enumerate() {
            let s = i as i64 + 1;
            match *op {
                Op::Version { reader, indicators_only, valid_in, .. } => {
                    let parties: &[u32] = if reader { &[0, 1, 2] } else { &[0, 2] };
                    book.version(s, parties, if indicators_only { &["indicator"] } else { &[] }, s + valid_in);
                }
                Op::Ratify { party, .. } => book.ratify(s, party),
                Op::Notice { party, suspend, delay, .. } => {
                    book.notice(s, party, if suspend { NoticeKind::Suspension } else { NoticeKind::Resumption }, s + delay);
                }
                Op::ReaderKey => book.key(s, 1),
                _ => {}
            }
            let expected = if book.arrivals.in_force_at(at(s)) {
                let mut since = s;
                while since > 0 && book.arrivals.in_force_at(at(since - 1)) {
                    since -= 1;
                }
                Some(at(since))
            } else {
                None
            };
            prop_assert_eq!(book.arrivals.in_force_since(at(s)), expected, "second {}", s);
        }
    }

    /// A poller of the everything collection that keeps only its cursor
    /// (the latest date it was given) gets every version visible to it when
    /// it polls that it was not given since it last became visible, never
    /// one it may not see, and never one again while the agreement that
    /// first gave it still releases it.
    #[test]
    fn a_poller_keeping_only_its_cursor_misses_nothing(reader_key in any::<bool>(), ops in proptest::collection::vec(op(), 1..80)) {
        let mut world = World { books: vec![Book::new(1), Book::new(2)], shares: vec![Vec::new(); OBJECTS] };
        for b in &mut world.books {
            b.key(0, 0);
            b.key(0, 2);
            if reader_key {
                b.key(0, 1);
            }
            b.version(0, &[0, 1, 2], &[], 0);
        }
        let mut cursor = i64::MIN;
        // Per object: given, and visible at every second since (`had`);
        // the agreements that gave it, while one still releases it (`held`).
        let mut had = [false; OBJECTS];
        let mut held: Vec<Vec<usize>> = vec![Vec::new(); OBJECTS];
        for (i, op) in ops.iter().enumerate() {
            let s = i as i64 + 1;
            match *op {
                Op::Version { a, reader, indicators_only, valid_in } => {
                    let parties: &[u32] = if reader { &[0, 1, 2] } else { &[0, 2] };
                    world.books[a].version(s, parties, if indicators_only { &["indicator"] } else { &[] }, s + valid_in);
                }
                Op::Ratify { a, party } => world.books[a].ratify(s, party),
                Op::Notice { a, party, suspend, delay } => {
                    let kind = if suspend { NoticeKind::Suspension } else { NoticeKind::Resumption };
                    world.books[a].notice(s, party, kind, s + delay);
                }
                Op::ReaderKey => {
                    for b in &mut world.books {
                        b.key(s, 1);
                    }
                }
                Op::Share { o, a } => {
                    if !world.shares[o].iter().any(|(x, _)| *x == a) {
                        world.shares[o].push((a, s));
                    }
                }
                Op::Poll | Op::Wait => {}
            }
            let x = at(s);
            for o in 0..OBJECTS {
                let paths = world.paths(o, x);
                if paths.is_empty() {
                    had[o] = false;
                }
                held[o].retain(|a| paths.contains(a));
            }
            if let Op::Poll = op {
                let mut page: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
                for o in 0..OBJECTS {
                    if let Some((date, _)) = world.dated(o, x) {
                        prop_assert!(date <= x, "object {} dated {} after now {}", o, date, x);
                        if date > cursor {
                            page.entry(date).or_default().push(o);
                        }
                    }
                }
                for (date, objects) in page {
                    for o in objects {
                        prop_assert!(!world.paths(o, x).is_empty(), "object {} given but not released at second {}", o, s);
                        prop_assert!(held[o].is_empty(), "object {} given again at second {} while agreement {:?} still releases it", o, s, held[o]);
                        had[o] = true;
                        held[o] = world.dated(o, x).map(|(_, by)| by).unwrap_or_default();
                    }
                    cursor = cursor.max(date);
                }
                for (o, had) in had.iter().enumerate() {
                    prop_assert!(world.paths(o, x).is_empty() || *had, "object {} visible at second {} but never given", o, s);
                }
            }
        }
    }
}
