//! `cargo xtask bench`: the benchmarks behind docs/benchmarks.md.
//!
//! Every figure is measured beside its reference in the same run, because
//! this machine is shared and noisy: ratios hold where absolute rates drift.
//!
//! - `import`: generate N objects (default 1M), then time parsing the file
//!   with serde_json alone (the ceiling), `entente import` (peak memory
//!   included) and `entente export` of everything.
//! - `taxii`: Entente's TAXII server against medallion, then alone at scale
//!   (bench_taxii.rs).
//! - `release`: a partner's full paged read with the release policy against
//!   the same read without it, and the cost of one decision
//!   (`crates/server/examples/release_read.rs`).
//! - `modules`: a partnership module's first page (a channel of 1,000
//!   messages against one of 100,000; a board of 1,000 action items
//!   against one of 10,000) and the state of an agreement of 10,000
//!   records (`crates/server/examples/module_read.rs`).
//! - `crisis`: a crisis's page data at 1,000 against 10,000 timeline events
//!   (`crates/server/examples/crisis_read.rs`).
//! - `ledger`: the resources module's burden-sharing page data among 30
//!   parties over 10 years, a small ledger against a big one
//!   (`crates/server/examples/ledger_read.rs`).
//! - `scorecard`: a year of evidence for a ten-party agreement (1,000,000
//!   objects, 100,000 sightings): a full read, the full scorecard and the
//!   incremental one after a day's evidence
//!   (`crates/node/examples/scorecard_read.rs`).
//! - `detect`: `entente detect` over many observations against many
//!   indicators, and the observable index's size (bench_detect.rs).
//! - `sync`: one node pulling N objects (default 100,000) from another
//!   against the local import of the same objects, then N crisis records
//!   (`--crisis N`, default the same N) pulled the same way against the
//!   objects' rate, and an idle round (bench_sync.rs).
//!
//! The benchmarks that drive the binary build it in release, unless
//! `--bin PATH` names one already built.
//! - `misp`: `entente import --misp` of N MISP events against `entente
//!   import` of the equivalent STIX (bench_misp.rs).
//! - `pattern`: the STIX pattern matcher against stix2-matcher on the same
//!   cases (bench_pattern.rs).
//! - `search` (`--postgres`: on a throwaway PostgreSQL): a text search's first page at 100,000 objects against the
//!   same at 1,000,000, beside a plain listing
//!   (`crates/store-sqlite/examples/text_search.rs`).
//! - `object-page`: an object's page with 1,000 relationships and its
//!   graph two hops out (capped at 500 objects) in a store of N objects
//!   (`--objects`, default 1,000,000), served over HTTP, against a plain
//!   REST read of the object by id
//!   (`crates/server/examples/object_page.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::run as sh;

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let what = args.first().map(String::as_str).unwrap_or("import");
    if what == "pattern" {
        return crate::bench_pattern::run(root, args);
    }
    if what == "search" {
        // The store alone: no need for the release binary. With
        // `--postgres`, a throwaway server (the test suite's settings).
        let rest: Vec<&String> = args.iter().skip(1).filter(|a| *a != "--postgres").collect();
        if args.iter().any(|a| a == "--postgres") {
            let server = crate::pg::PgServer::for_tests(root)?;
            return sh(Command::new("cargo")
                .args(["run", "--release", "--quiet", "-p", "entente-store-postgres", "--example", "text_search_pg", "--"])
                .args(rest)
                .arg("--url")
                .arg(&server.url));
        }
        return sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-store-sqlite", "--example", "text_search", "--"])
            .args(rest)
            .arg("--dir")
            .arg(root.join("target/bench/search")));
    }
    if what == "object-page" {
        // The server's application in-process: no need for the release binary.
        return sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-server", "--example", "object_page", "--"])
            .args(args.iter().skip(1))
            .arg("--dir")
            .arg(root.join("target/bench/object-page")));
    }
    if what == "misp" {
        return crate::bench_misp::run(root, args);
    }
    if what == "scorecard" {
        // The node's services alone: no need for the release binary.
        return sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-node", "--example", "scorecard_read", "--"])
            .args(args.iter().skip(1))
            .arg("--dir")
            .arg(root.join("target/bench/scorecard")));
    }
    let objects: u64 = flag(args, "--objects").map(|v| v.parse()).transpose()?.unwrap_or(1_000_000);
    // `--bin PATH`: a binary already built (a debug build, say, on a
    // machine too busy for a release build; say so beside the figures).
    let bin = match flag(args, "--bin") {
        Some(path) => root.join(path),
        None => {
            sh(Command::new("cargo").args(["build", "--release", "--quiet", "-p", "entente"]))?;
            root.join("target/release/entente")
        }
    };
    let work = root.join("target/bench");
    std::fs::create_dir_all(&work)?;
    match what {
        "import" => import(&bin, &work, objects),
        "taxii" => crate::bench_taxii::run(root, &bin, &work, args),
        "postgres" => crate::bench_pg::run(root, objects),
        "detect" => crate::bench_detect::run(root, &bin, args),
        "sync" => crate::bench_sync::run(root, &bin, args),
        "release" => sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-server", "--example", "release_read", "--", "--objects"])
            .arg(objects.to_string())
            .args(["--rounds", "4"])
            .arg("--dir")
            .arg(work.join("release"))),
        "modules" => sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-server", "--example", "module_read", "--"])
            .args(args.iter().skip(1))
            .arg("--dir")
            .arg(work.join("modules"))),
        "crisis" => sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-server", "--example", "crisis_read", "--"])
            .args(args.iter().skip(1))
            .arg("--dir")
            .arg(work.join("crisis"))),
        "ledger" => sh(Command::new("cargo")
            .args(["run", "--release", "--quiet", "-p", "entente-server", "--example", "ledger_read", "--"])
            .args(args.iter().skip(1))
            .arg("--dir")
            .arg(work.join("ledger"))),
        "all" => {
            import(&bin, &work, objects)?;
            crate::bench_taxii::run(root, &bin, &work, &[])
        }
        other => bail!("unknown benchmark {other}; try import, taxii, postgres, release, modules, crisis, ledger, scorecard, object-page, search, detect, sync, misp or pattern"),
    }
}

pub(crate) fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// Wall time and peak resident memory of a child process.
pub struct Measured {
    pub secs: f64,
    pub peak_rss_mb: f64,
}

/// Runs `cmd` to completion, timing it and reading its peak RSS.
pub fn measure(cmd: &mut Command) -> anyhow::Result<Measured> {
    let shown = format!("{cmd:?}");
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {shown}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child.
    #[allow(unsafe_code)]
    let (rc, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let rc = libc::wait4(pid, &mut status, 0, &mut usage);
        (rc, usage)
    };
    let secs = start.elapsed().as_secs_f64();
    if rc != pid {
        bail!("waiting for {shown} failed");
    }
    // The child has been reaped by wait4; make std's handle forget it.
    std::mem::forget(child.stdin.take());
    std::mem::forget(child);
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{shown} failed with status {status}");
    }
    Ok(Measured { secs, peak_rss_mb: usage.ru_maxrss as f64 / 1024.0 })
}

fn import(bin: &Path, work: &Path, objects: u64) -> anyhow::Result<()> {
    let data = work.join(format!("generated-{objects}.json"));
    if !data.exists() {
        eprintln!("generating {objects} objects");
        sh(Command::new(bin).args(["generate", "--objects", &objects.to_string(), "--producers", "10", "--seed", "1", "-o"]).arg(&data))?;
    }
    let db: PathBuf = work.join("import-data");
    let _ = std::fs::remove_dir_all(&db);
    let imp = measure(Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&db).arg("import").arg(&data))?;
    let out = work.join("export.json");
    let exp = measure(Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&db).args(["export", "-o"]).arg(&out))?;
    let exported = std::fs::metadata(&out)?.len();
    let _ = std::fs::remove_file(&out);

    // Last, so that this process's own peak (the parsed values) does not
    // count in the children's peak RSS, which Linux inherits across fork.
    let bytes = std::fs::read(&data)?;
    let size_mb = bytes.len() as f64 / 1e6;

    // The ceiling: serde_json parsing the same bytes into values, nothing else.
    let start = Instant::now();
    let value: serde_json::Value = serde_json::from_slice(&bytes)?;
    let parse_secs = start.elapsed().as_secs_f64();
    let parsed = value["objects"].as_array().map_or(0, Vec::len) as u64;
    drop(value);
    drop(bytes);
    if parsed != objects {
        bail!("parsed {parsed} objects, expected {objects}");
    }

    let rate = |secs: f64| objects as f64 / secs;
    let (p, i, e) = (rate(parse_secs), rate(imp.secs), rate(exp.secs));
    println!("\n## import / export, {objects} objects ({size_mb:.0} MB), {}", today());
    println!("| measure | objects/s | vs parse-only | time | peak RSS |");
    println!("|---|---:|---:|---:|---:|");
    println!("| serde_json parse only (ceiling) | {p:.0} | 1.00 | {parse_secs:.2} s | – |");
    println!("| `entente import` | {i:.0} | {:.2} | {:.2} s | {:.0} MB |", i / p, imp.secs, imp.peak_rss_mb);
    println!("| `entente export` | {e:.0} | {:.2} | {:.2} s | {:.0} MB |", e / p, exp.secs, exp.peak_rss_mb);
    println!("\nexported {:.0} MB; targets: import ≥ 0.25, export ≥ 0.50 of parse-only, import peak < 300 MB", exported as f64 / 1e6);
    Ok(())
}

pub(crate) fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
