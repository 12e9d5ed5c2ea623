//! `cargo xtask faults [--rounds N] [--seed S] [--release]`: the federation
//! fault test (`crates/entente/tests/it/faults.rs`) with N rounds (default
//! 20), its output as it runs, and its figure line again at the end
//! (docs/reliability.md).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::bench::flag;

/// The test's path inside the `it` test binary.
const TEST: &str = "faults::pull_sync_converges_exactly_through_kills_cuts_delays_and_duplicate_pages";

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let rounds: u64 = flag(args, "--rounds").map(str::parse).transpose().context("--rounds")?.unwrap_or(20);
    let mut cmd = Command::new("cargo");
    cmd.args(["test", "--quiet", "-p", "entente", "--test", "it"]);
    if args.iter().any(|a| a == "--release") {
        cmd.arg("--release");
    }
    cmd.args(["--", "--exact", TEST, "--nocapture"]).env("ENTENTE_FAULT_ROUNDS", rounds.to_string());
    if let Some(seed) = flag(args, "--seed") {
        cmd.env("ENTENTE_FAULT_SEED", seed);
    }
    eprintln!("$ {cmd:?}");
    let mut child = cmd.stdout(Stdio::piped()).spawn().context("starting cargo test")?;
    let mut figure = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = line?;
        println!("{line}");
        if line.starts_with("faults: rounds=") {
            figure = Some(line);
        }
    }
    let status = child.wait()?;
    if let Some(f) = &figure {
        println!("\n{f}");
    }
    if !status.success() {
        bail!("the fault test failed ({status}); replay with the seed it printed: cargo xtask faults --rounds {rounds} --seed SEED");
    }
    if figure.is_none() {
        bail!("the fault test printed no figure line");
    }
    Ok(())
}
