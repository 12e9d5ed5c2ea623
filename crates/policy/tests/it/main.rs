//! Integration tests of the policy crate: `decide` against the reference model on random worlds.

mod world;

use proptest::prelude::*;

use world::{generate, Check, Tally};

fn check_world(seed: u64, objects: usize, tally: &mut Tally) {
    let sim = generate(seed, 12, 55, objects);
    for o in &sim.objects {
        for p in &sim.partners {
            for now in &sim.times {
                let (d, c) = sim.check(o, p, now);
                if c != Check::Agree {
                    let v = sim.reference(o, p, now);
                    panic!(
                        "seed {seed}: {c:?} for {} to {p} at {now}: decide {d:?}, reference {v:?}\nfacts {:?}\nshares {:?}",
                        o.facts.id, o.facts, o.shares
                    );
                }
                tally.add(&d, c);
            }
        }
    }
}

#[test]
fn decide_equals_reference_on_random_worlds() {
    let tally = std::cell::RefCell::new(Tally::default());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&any::<u64>(), |seed| {
        let mut t = Tally::default();
        check_world(seed, 250, &mut t);
        let mut all = tally.borrow_mut();
        all.decisions += t.decisions;
        all.allowed += t.allowed;
        Ok(())
    });
    result.unwrap();
    let tally = tally.into_inner();
    println!(
        "leak test: decisions checked={} allowed={} leaked={} wrongly_denied={} other_agreement={}",
        tally.decisions, tally.allowed, tally.leaked, tally.wrongly_denied, tally.other_agreement
    );
    assert!(
        tally.decisions >= 100_000,
        "too few decisions: {}",
        tally.decisions
    );
    assert!(
        tally.allowed * 50 > tally.decisions,
        "too few allows to be meaningful: {tally:?}"
    );
}

/// The random worlds must exercise every state, or the leak test proves little.
#[test]
fn random_worlds_cover_every_agreement_state() {
    let mut seen = std::collections::BTreeMap::<&'static str, u32>::new();
    for seed in 0..8 {
        let sim = generate(seed, 12, 55, 0);
        for a in &sim.agreements {
            for now in &sim.times {
                *seen.entry(sim.index.state(a, now).name()).or_default() += 1;
            }
        }
    }
    println!("agreement states seen: {seen:?}");
    for state in [
        "draft",
        "awaiting-ratification",
        "not-yet-valid",
        "expired",
        "suspended",
        "withdrawn",
        "in-force",
        "revoked",
    ] {
        assert!(
            seen.get(state).is_some_and(|n| *n > 0),
            "no agreement was {state}: {seen:?}"
        );
    }
}
