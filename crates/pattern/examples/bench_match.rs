//! Matcher throughput on a file of JSON Lines matcher cases: the Rust half of
//! `cargo xtask bench pattern` (the Python half, for stix2-matcher, is
//! `crates/pattern/tests/oasis/bench_match.py`; both follow the same scheme).
//!
//! `cargo run --release -p entente-pattern --example bench_match -- --cases FILE [--secs S]`
//!
//! Every `"kind": "matcher"` line (STIX 2.1) is one case. Two timings, each
//! repeating the whole case list until at least S seconds (default 2) pass:
//! `match_only` parses each pattern once before the clock starts, then calls
//! `pattern::match_pattern`; `parse_and_match` parses inside the loop. A case
//! that fails is an evaluation like any other (answer `E`); in `match_only` a
//! pattern that did not parse answers `E` at no cost. Prints one JSON object:
//! the figures and the answers (one letter per case: `T`, `F` or `E`).

use std::hint::black_box;
use std::time::Instant;

use pattern::{match_pattern, Pattern, StixVersion};
use serde_json::{json, Value};

struct Case {
    pattern: String,
    observed: Vec<Value>,
}

fn letter(r: pattern::Result<bool>) -> u8 {
    match r {
        Ok(true) => b'T',
        Ok(false) => b'F',
        Err(_) => b'E',
    }
}

fn match_only(cases: &[Case], parsed: &[Option<Pattern>], out: &mut Vec<u8>) {
    out.clear();
    for (c, p) in cases.iter().zip(parsed) {
        out.push(match p {
            Some(p) => letter(match_pattern(
                black_box(p),
                black_box(&c.observed),
                StixVersion::V21,
            )),
            None => b'E',
        });
    }
}

fn parse_and_match(cases: &[Case], out: &mut Vec<u8>) {
    out.clear();
    for c in cases {
        let r = pattern::parse(black_box(&c.pattern))
            .and_then(|p| match_pattern(&p, &c.observed, StixVersion::V21));
        out.push(letter(r));
    }
}

/// Repeats `pass` until `secs` have passed: passes, evaluations, seconds, rate.
fn timed(n: usize, secs: f64, mut pass: impl FnMut()) -> Value {
    let mut passes = 0u64;
    let start = Instant::now();
    let elapsed = loop {
        pass();
        passes += 1;
        let e = start.elapsed().as_secs_f64();
        if e >= secs {
            break e;
        }
    };
    let evals = passes * n as u64;
    json!({ "passes": passes, "evals": evals, "secs": elapsed, "per_sec": evals as f64 / elapsed })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let path = flag("--cases").ok_or("usage: bench_match --cases FILE [--secs S]")?;
    let secs: f64 = flag("--secs")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2.0);

    let mut cases = Vec::new();
    for line in std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let mut v: Value = serde_json::from_str(line)?;
        let version = v
            .get("stix_version")
            .and_then(Value::as_str)
            .unwrap_or("2.1");
        if v.get("kind").and_then(Value::as_str) != Some("matcher") || version != "2.1" {
            continue;
        }
        let pattern = v
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or("case without a pattern")?
            .to_owned();
        let observed = match v.get_mut("observed").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => return Err("case without an observed list".into()),
        };
        cases.push(Case { pattern, observed });
    }
    if cases.is_empty() {
        return Err(format!("no STIX 2.1 matcher cases in {path}").into());
    }
    let n = cases.len();
    let parsed: Vec<Option<Pattern>> = cases
        .iter()
        .map(|c| pattern::parse(&c.pattern).ok())
        .collect();

    // One untimed pass of each: warm-up, and the answers to report.
    let (mut answers, mut other) = (Vec::new(), Vec::new());
    parse_and_match(&cases, &mut answers);
    match_only(&cases, &parsed, &mut other);
    if answers != other {
        return Err("parsed patterns answered differently from parse-and-match".into());
    }

    let mut scratch = Vec::with_capacity(n);
    let mo = timed(n, secs, || match_only(&cases, &parsed, &mut scratch));
    let pm = timed(n, secs, || parse_and_match(&cases, &mut scratch));

    let figures = json!({
        "impl": concat!("entente-pattern ", env!("CARGO_PKG_VERSION")),
        "cases": n,
        "compile_errors": parsed.iter().filter(|p| p.is_none()).count(),
        "answers": String::from_utf8(answers)?,
        "match_only": mo,
        "parse_and_match": pm,
    });
    println!("{figures}");
    Ok(())
}
