//! Project chores, run as `cargo xtask <task>`: `tidy` (house rules and
//! dependency direction), `test` (the whole suite, as CI runs it), `faults`
//! (the federation fault test with many rounds, docs/reliability.md),
//! `bench` (the benchmarks behind docs/benchmarks.md).

mod bench;
mod bench_detect;
mod bench_misp;
mod bench_pattern;
mod bench_pg;
mod bench_sync;
mod bench_taxii;
mod browser;
mod faults;
mod interop;
mod pg;
#[allow(dead_code)] // the shared generator; the benchmarks use part of it
#[path = "../../crates/model/src/rng.rs"]
mod rng;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("tidy") => tidy::run(&root),
        Some("test") => test(&root, &args[1..]),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("interop") => interop::run(&root, &args[1..]),
        Some("faults") => faults::run(&args[1..]),
        Some("postgres") => {
            // A throwaway server for working by hand; stops on Enter.
            let server = pg::PgServer::for_tests(&root)?;
            println!("ENTENTE_TEST_DATABASE_URL={}", server.url);
            let _ = std::io::stdin().read_line(&mut String::new());
            Ok(())
        }
        _ => {
            eprintln!("usage: cargo xtask tidy | test [nextest args] | interop [pytest args, e.g. tests/interop/test_openapi_schemathesis.py] | faults [--rounds N] [--seed S] [--release] | bench <import|taxii|postgres|release|modules|crisis|ledger|all> [--objects N] [--big M] | bench scorecard [--objects N] [--sightings M] [--parties P] [--reads R] [--incremental-only] | bench misp [--events N] [--attributes M] | bench search [--postgres] [--small N] [--big M] [--reads R] [--secs S] | bench detect [--indicators N] [--observations M] | bench pattern [--secs S] [--rounds R] [--cases N]");
            std::process::exit(2);
        }
    }
}

/// The workspace root (the parent of this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Whether we run under CI, where a missing prerequisite is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Runs a command, failing with its name if it fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed: {status}");
    }
    Ok(())
}

/// The whole test suite: tidy, every crate's tests (the PostgreSQL backend's
/// against a throwaway server, the web pages' in headless Chromium), then
/// the real-client checks.
fn test(root: &Path, extra: &[String]) -> anyhow::Result<()> {
    tidy::run(root)?;
    // Chromium and chromedriver for the browser tests (installed in CI when missing).
    browser::ensure()?;
    browser::ensure_fonts()?;
    // A throwaway PostgreSQL, unless the caller points at one.
    let extra: Vec<String> = extra.to_vec();
    let mut skip_postgres = false;
    let _pg = if std::env::var_os("ENTENTE_TEST_DATABASE_URL").is_some() {
        None
    } else {
        match pg::PgServer::for_tests(root) {
            Ok(server) => {
                std::env::set_var("ENTENTE_TEST_DATABASE_URL", &server.url);
                Some(server)
            }
            Err(e) if in_ci() => return Err(e.context("PostgreSQL is required in CI")),
            Err(e) => {
                eprintln!("PostgreSQL tests LEFT OUT (outside CI only): {e:#}");
                skip_postgres = true;
                None
            }
        }
    };
    let has_nextest = Command::new("cargo")
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_nextest {
        // nextest does not run doctests; run them first so the suite's summary closes the log.
        run(Command::new("cargo").args(["test", "--workspace", "--doc", "--quiet"]))?;
        let mut nextest = Command::new("cargo");
        nextest.args(["nextest", "run", "--workspace", "--all-features", "--no-fail-fast"]).args(&extra);
        if skip_postgres {
            // Every PostgreSQL test says so in its name or lives in the backend's crate.
            nextest.args(["-E", "not (package(entente-store-postgres) | test(/postgres/))"]);
        }
        run(&mut nextest)?;
    } else if in_ci() {
        bail!("cargo-nextest is required in CI (cargo install cargo-nextest)");
    } else {
        eprintln!("cargo-nextest not found: falling back to cargo test");
        let mut test = Command::new("cargo");
        test.args(["test", "--workspace", "--all-features", "--no-fail-fast"]).args(&extra);
        if skip_postgres {
            test.args(["--exclude", "entente-store-postgres", "--", "--skip", "postgres"]);
        }
        run(&mut test)?;
    }
    // The real clients need the binary the integration tests built.
    run(Command::new("cargo").args(["build", "--quiet", "-p", "entente"]))?;
    interop::run(root, &[])
}
