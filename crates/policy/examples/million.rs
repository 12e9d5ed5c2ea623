//! At least a million random release decisions checked against the reference model, and the average cost of `decide`.
//!
//! `cargo run --release --example million [-- DECISIONS]` prints
//! `decisions=N leaked=0 wrongly_denied=0 other_agreement=0` and the average
//! nanoseconds per `decide` call on a prepared index.

#[path = "../tests/it/world.rs"]
mod world;

use std::hint::black_box;
use std::time::Instant;

use world::{compare, generate, Rng, Tally};

fn main() {
    let target: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let per_world = 100_000usize;
    let mut tally = Tally::default();
    let mut decide_nanos: u128 = 0;
    let mut seed = 0x5eed_u64;
    while tally.decisions < target {
        let sim = generate(seed, 12, 60, 2_000);
        let mut rng = Rng(seed ^ 0xdead_beef);
        seed += 1;
        let queries: Vec<(usize, usize, usize)> = (0..per_world)
            .map(|_| {
                (
                    rng.below(sim.objects.len() as u64) as usize,
                    rng.below(sim.partners.len() as u64) as usize,
                    rng.below(sim.times.len() as u64) as usize,
                )
            })
            .collect();
        let start = Instant::now();
        let decisions: Vec<policy::Decision> = queries
            .iter()
            .map(|&(o, p, t)| {
                let o = &sim.objects[o];
                black_box(policy::decide(
                    black_box(&o.facts),
                    &sim.partners[p],
                    &sim.times[t],
                    &o.shares,
                    &sim.index,
                ))
            })
            .collect();
        decide_nanos += start.elapsed().as_nanos();
        for (&(o, p, t), d) in queries.iter().zip(&decisions) {
            let v = sim.reference(&sim.objects[o], &sim.partners[p], &sim.times[t]);
            tally.add(d, compare(d, &v));
        }
        eprintln!("world {seed:#x}: {} decisions so far", tally.decisions);
    }
    println!(
        "decisions={} allowed={} leaked={} wrongly_denied={} other_agreement={}",
        tally.decisions, tally.allowed, tally.leaked, tally.wrongly_denied, tally.other_agreement
    );
    println!(
        "decide: {:.0} ns per decision on average ({} build)",
        decide_nanos as f64 / tally.decisions as f64,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    if tally.mismatches() > 0 {
        std::process::exit(1);
    }
}
