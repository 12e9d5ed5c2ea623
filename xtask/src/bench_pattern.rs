//! `cargo xtask bench pattern`: Entente's STIX pattern matcher against
//! stix2-matcher, the OASIS reference, on the same cases in the same run.
//!
//! Two workloads, each a JSON Lines file of matcher cases fed to both sides:
//!
//! - `oasis`: the STIX 2.1 cases of stix2-matcher's own test suite
//!   (`target/oasis-cases/matcher.jsonl`, extracted as `cargo xtask interop`
//!   does when missing);
//! - `indicators`: generated indicator-like patterns (an address, a file
//!   hash, a domain OR a URL, a LIKE, an address subnet, a reference with a
//!   port, a FOLLOWEDBY ... WITHIN) against generated bundles of one to four
//!   observations, about half of them matching (fixed seed).
//!
//! The Rust side is `crates/pattern/examples/bench_match.rs` (release), the
//! Python side `crates/pattern/tests/oasis/bench_match.py` in the interop
//! virtualenv; both time `match_only` (patterns parsed before the clock
//! starts) and `parse_and_match`, repeating the case list for at least
//! `--secs` (default 2) each, one process at a time. The best of `--rounds`
//! (default 3) is kept for each figure, and the answers of both sides are
//! compared case by case.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::bench::{flag, today};
use crate::rng::Rng;
use crate::run as sh;

/// The reference's interpreter (created by `cargo xtask interop`).
const VENV_PYTHON: &str = "target/interop-venv/bin/python";
/// Where `cargo xtask interop` keeps the extracted OASIS cases.
const OASIS_CASES: &str = "target/oasis-cases";

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let secs: f64 = flag(args, "--secs").map(str::parse).transpose()?.unwrap_or(2.0);
    let rounds: usize = flag(args, "--rounds").map(str::parse).transpose()?.unwrap_or(3).max(1);
    let generated: usize = flag(args, "--cases").map(str::parse).transpose()?.unwrap_or(500);
    let python = root.join(VENV_PYTHON);
    if !python.is_file() {
        bail!("{} is missing: run `cargo xtask interop` once to create it (it installs stix2-matcher)", python.display());
    }
    let work = root.join("target/bench/pattern");
    std::fs::create_dir_all(&work)?;

    let oasis = root.join(OASIS_CASES).join("matcher.jsonl");
    if !oasis.is_file() {
        sh(Command::new(&python)
            .arg(root.join("crates/pattern/tests/oasis/extract_cases.py"))
            .arg("--out-dir")
            .arg(root.join(OASIS_CASES))
            .arg("--sdist-dir")
            .arg(root.join("target/oasis-sdists")))
        .context("extracting the OASIS matcher cases")?;
    }
    let indicators = work.join(format!("indicators-{generated}.jsonl"));
    std::fs::write(&indicators, generate(generated, 1))?;

    sh(Command::new("cargo").args(["build", "--release", "--quiet", "-p", "entente-pattern", "--example", "bench_match"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |d| root.join(d));
    let rust = target.join("release/examples/bench_match");
    let script = root.join("crates/pattern/tests/oasis/bench_match.py");
    let secs_arg = secs.to_string();

    let mut rows = Vec::new();
    for (name, file) in [("oasis", &oasis), ("indicators", &indicators)] {
        let mut best: [Option<Value>; 2] = [None, None];
        for round in 1..=rounds {
            eprintln!("{name}: round {round} of {rounds}");
            let ent = figures(Command::new(&rust).arg("--cases").arg(file).args(["--secs", &secs_arg]))?;
            let reference =
                figures(Command::new(&python).arg(&script).arg("--cases").arg(file).args(["--secs", &secs_arg]))?;
            for (slot, new) in best.iter_mut().zip([ent, reference]) {
                *slot = Some(match slot.take() {
                    None => new,
                    Some(old) => keep_best(old, &new),
                });
            }
        }
        let [Some(ent), Some(reference)] = best else { unreachable!("at least one round") };
        rows.push((name, ent, reference));
    }

    println!("\n## matcher against stix2-matcher, {}", today());
    println!("| workload | cases | variant | Entente evals/s | stix2-matcher evals/s | Entente ÷ stix2-matcher |");
    println!("|---|---:|---|---:|---:|---:|");
    let mut notes = Vec::new();
    for (name, ent, reference) in &rows {
        let cases = ent["cases"].as_u64().unwrap_or(0);
        for variant in ["match_only", "parse_and_match"] {
            let (e, r) = (rate(ent, variant), rate(reference, variant));
            println!("| {name} | {cases} | {} | {e:.0} | {r:.0} | {:.0}× |", variant.replace('_', " "), e / r);
        }
        notes.push(agreement(name, ent, reference));
    }
    println!();
    for n in notes {
        println!("{n}");
    }
    println!(
        "({} and {}; best of {rounds} rounds of at least {secs} s each; target: Entente ≥ 100× stix2-matcher)",
        ent_name(&rows),
        ref_name(&rows)
    );
    Ok(())
}

/// Runs one side and reads the JSON object it prints.
fn figures(cmd: &mut Command) -> anyhow::Result<Value> {
    let shown = format!("{cmd:?}");
    let out = cmd.stderr(std::process::Stdio::inherit()).output().with_context(|| format!("starting {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", out.status);
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("reading the figures of {shown}"))
}

fn rate(v: &Value, variant: &str) -> f64 {
    v[variant]["per_sec"].as_f64().unwrap_or(f64::NAN)
}

/// `old` with each timing replaced by `new`'s where that one is faster.
fn keep_best(mut old: Value, new: &Value) -> Value {
    for variant in ["match_only", "parse_and_match"] {
        if rate(new, variant) > rate(&old, variant) {
            old[variant] = new[variant].clone();
        }
    }
    old
}

/// A line saying how far the two sides' answers agree.
fn agreement(name: &str, ent: &Value, reference: &Value) -> String {
    let (a, b) = (ent["answers"].as_str().unwrap_or(""), reference["answers"].as_str().unwrap_or(""));
    let same = a.chars().zip(b.chars()).filter(|(x, y)| x == y).count();
    let count = |s: &str, c: char| s.chars().filter(|x| *x == c).count();
    format!(
        "{name}: answers agree on {same} of {} cases (Entente {} match, {} no match, {} error; stix2-matcher {} / {} / {})",
        a.len().max(b.len()),
        count(a, 'T'),
        count(a, 'F'),
        count(a, 'E'),
        count(b, 'T'),
        count(b, 'F'),
        count(b, 'E'),
    )
}

fn ent_name(rows: &[(&str, Value, Value)]) -> String {
    rows.first().and_then(|r| r.1["impl"].as_str()).unwrap_or("entente-pattern").to_owned()
}

fn ref_name(rows: &[(&str, Value, Value)]) -> String {
    let r = rows.first().map(|r| &r.2);
    let name = r.and_then(|r| r["impl"].as_str()).unwrap_or("stix2-matcher");
    match r.and_then(|r| r["python"].as_str()) {
        Some(py) => format!("{name} on Python {py}"),
        None => name.to_owned(),
    }
}

/// What the indicator cases are made of.
impl Rng {
    fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }

    fn id(&mut self, ty: &str) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{ty}--{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    fn ipv4(&mut self) -> String {
        format!("{}.{}.{}.{}", 1 + self.below(223), self.below(256), self.below(256), 1 + self.below(254))
    }

    fn domain(&mut self) -> String {
        const WORDS: &[&str] = &["update", "cdn", "mail", "secure", "login", "files", "static", "api", "news", "portal"];
        const TLDS: &[&str] = &["com", "net", "org", "info", "example"];
        format!(
            "{}-{}.{}",
            WORDS[self.below(WORDS.len() as u64) as usize],
            self.below(100_000),
            TLDS[self.below(TLDS.len() as u64) as usize]
        )
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits + 16);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }
}

/// The observables one observation holds, for building patterns from.
#[derive(Default)]
struct Seen {
    ips: Vec<String>,
    domains: Vec<String>,
    urls: Vec<String>,
    hashes: Vec<String>,
    flows: Vec<(String, u64)>,
}

/// One generated observation: an observed-data object and its SCOs.
fn observation(rng: &mut Rng, minute: u64, seen: &mut Seen) -> Vec<Value> {
    let mut scos = Vec::new();
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0 => {
                let ip = rng.ipv4();
                scos.push(json!({"type": "ipv4-addr", "spec_version": "2.1", "id": rng.id("ipv4-addr"), "value": ip}));
                seen.ips.push(ip);
            }
            1 => {
                let d = rng.domain();
                scos.push(json!({"type": "domain-name", "spec_version": "2.1", "id": rng.id("domain-name"), "value": d}));
                seen.domains.push(d);
            }
            2 => {
                let u = format!("https://{}/{}/{}.php", rng.domain(), rng.hex(6), rng.hex(4));
                scos.push(json!({"type": "url", "spec_version": "2.1", "id": rng.id("url"), "value": u}));
                seen.urls.push(u);
            }
            3 => {
                let sha = rng.hex(64);
                scos.push(json!({"type": "file", "spec_version": "2.1", "id": rng.id("file"),
                    "name": format!("{}.exe", rng.hex(8)), "size": 1000 + rng.below(5_000_000),
                    "hashes": {"SHA-256": sha, "MD5": rng.hex(32)}}));
                seen.hashes.push(sha);
            }
            _ => {
                let (src, dst) = (rng.ipv4(), rng.ipv4());
                let (src_id, dst_id) = (rng.id("ipv4-addr"), rng.id("ipv4-addr"));
                let port = [443, 80, 8080, 53, 25][rng.below(5) as usize];
                scos.push(json!({"type": "ipv4-addr", "spec_version": "2.1", "id": src_id, "value": src}));
                scos.push(json!({"type": "ipv4-addr", "spec_version": "2.1", "id": dst_id, "value": dst}));
                scos.push(json!({"type": "network-traffic", "spec_version": "2.1", "id": rng.id("network-traffic"),
                    "src_ref": src_id, "dst_ref": dst_id, "dst_port": port, "protocols": ["ipv4", "tcp"]}));
                seen.ips.push(src);
                seen.ips.push(dst.clone());
                seen.flows.push((dst, port));
            }
        }
    }
    let first = format!("2026-11-{:02}T{:02}:{:02}:{:02}Z", 1 + minute / 1440, minute / 60 % 24, minute % 60, rng.below(30));
    let last = format!("2026-11-{:02}T{:02}:{:02}:59Z", 1 + minute / 1440, minute / 60 % 24, minute % 60);
    let mut objects = vec![json!({
        "type": "observed-data", "spec_version": "2.1", "id": rng.id("observed-data"),
        "created": first, "modified": first,
        "first_observed": first, "last_observed": last, "number_observed": 1 + rng.below(3),
        "object_refs": scos.iter().map(|o| o["id"].clone()).collect::<Vec<_>>(),
    })];
    objects.extend(scos);
    objects
}

/// `n` matcher cases (JSON Lines): a pattern of each shape in turn, from the
/// bundle's own observables about half of the time, else from fresh ones.
fn generate(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::new();
    for i in 0..n {
        let mut seen = Seen::default();
        let mut objects = Vec::new();
        // One to four observations, a few minutes apart.
        let mut minute = rng.below(20_000);
        for _ in 0..1 + rng.below(4) {
            objects.extend(observation(&mut rng, minute, &mut seen));
            minute += 1 + rng.below(3);
        }
        // Fresh observables, so that any shape can be asked of any bundle.
        let fresh = Seen {
            ips: vec![rng.ipv4()],
            domains: vec![rng.domain()],
            urls: vec![format!("https://{}/{}/{}.php", rng.domain(), rng.hex(6), rng.hex(4))],
            hashes: vec![rng.hex(64)],
            flows: vec![(rng.ipv4(), 443)],
        };
        let own = rng.coin();
        let pick = |own_list: &[String], fresh_list: &[String], rng: &mut Rng| -> String {
            let list = if own && !own_list.is_empty() { own_list } else { fresh_list };
            list[rng.below(list.len() as u64) as usize].clone()
        };
        let pattern = match i % 7 {
            0 => format!("[ipv4-addr:value = '{}']", pick(&seen.ips, &fresh.ips, &mut rng)),
            1 => format!("[file:hashes.'SHA-256' = '{}']", pick(&seen.hashes, &fresh.hashes, &mut rng)),
            2 => format!(
                "[domain-name:value = '{}' OR url:value = '{}']",
                pick(&seen.domains, &fresh.domains, &mut rng),
                pick(&seen.urls, &fresh.urls, &mut rng)
            ),
            3 => {
                let url = pick(&seen.urls, &fresh.urls, &mut rng);
                let host = url.trim_start_matches("https://").split('/').next().unwrap_or("").to_owned();
                format!("[url:value LIKE 'https://{host}/%']")
            }
            4 => {
                let ip = pick(&seen.ips, &fresh.ips, &mut rng);
                let net: Vec<&str> = ip.split('.').take(2).collect();
                format!("[ipv4-addr:value ISSUBSET '{}.0.0/16']", net.join("."))
            }
            5 => {
                let (ip, port) = match seen.flows.first() {
                    Some(f) if own => f.clone(),
                    _ => fresh.flows[0].clone(),
                };
                format!("[network-traffic:dst_ref.value = '{ip}' AND network-traffic:dst_port = {port}]")
            }
            _ => format!(
                "([ipv4-addr:value = '{}'] FOLLOWEDBY [domain-name:value = '{}']) WITHIN 300 SECONDS",
                pick(&seen.ips, &fresh.ips, &mut rng),
                pick(&seen.domains, &fresh.domains, &mut rng)
            ),
        };
        let bundle = json!({"type": "bundle", "id": rng.id("bundle"), "objects": objects});
        let case = json!({"kind": "matcher", "pattern": pattern, "observed": [bundle], "stix_version": "2.1"});
        out.push_str(&case.to_string());
        out.push('\n');
    }
    out
}
