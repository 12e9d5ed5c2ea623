//! The text search benchmark's data and timing, shared by each backend's
//! example (`cargo xtask bench search`, `--postgres` for PostgreSQL): the
//! objects it stores, the searches it times and the table it prints.
//!
//! The objects are indicators, malware and reports with names,
//! descriptions (a dozen words), labels and patterns drawn from a
//! vocabulary of 5,000 made-up words, skewed (word `i` drawn with weight
//! about `1/(i+1)`, 17 draws an object). A page is what `/intel?q=` asks
//! of the store: 50 objects through [`crate::text::search_counted`] with a
//! gate that refuses a third of the objects (one author of three) and a
//! last-version choice, JSON included; the matches counted beyond the page
//! are read as the page reads them, without their JSON
//! ([`crate::TextQuery::without_json`]).

use std::time::Instant;

use model::Object;
use serde_json::json;
use crate::text::{search_counted, TextOrder, TextQuery};
use crate::{Gate, PutOptions, Query, Record, Store};

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const VOCABULARY: usize = 5_000;
const SYLLABLES: &[&str] = &["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "gla", "cier", "frost", "bor", "ea", "lis", "dra", "gon", "per", "tal"];

/// Word `i` of the made-up vocabulary: syllables spelling `i`'s digits in base 18, and `i` itself, so every word is distinct.
fn word(i: usize) -> String {
    let mut w = String::new();
    let mut n = i;
    loop {
        w.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
        if n == 0 {
            break;
        }
    }
    format!("{w}{i}")
}

/// A word drawn with weight about `1/(i+1)` (a harmonic draw).
fn draw(rng: &mut Rng) -> usize {
    let h = (VOCABULARY as f64 + 1.0).ln();
    (((rng.unit() * h).exp() - 1.0) as usize).min(VOCABULARY - 1)
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words).map(|_| word(draw(rng))).collect::<Vec<_>>().join(" ")
}

const AUTHORS: [&str; 3] = [
    "identity--0a000000-0000-4000-8000-000000000001",
    "identity--0b000000-0000-4000-8000-000000000002",
    "identity--0c000000-0000-4000-8000-000000000003",
];

fn object(rng: &mut Rng, n: usize) -> Object {
    let author = AUTHORS[n % 3];
    let name = sentence(rng, 3);
    let description = sentence(rng, 12);
    let labels = [word(draw(rng) % 40)];
    let v = match n % 10 {
        0 => json!({ "type": "malware", "name": name, "is_family": true }),
        1 => json!({ "type": "report", "name": name, "published": "2026-01-01T00:00:00Z", "object_refs": [format!("malware--00000000-0000-4000-8000-{:012}", n - 1)] }),
        _ => json!({ "type": "indicator", "name": name, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "pattern": format!("[domain-name:value = '{}.{}.example'] OR [ipv4-addr:value = '10.{}.{}.{}']", word(draw(rng)), word(draw(rng)), n >> 16 & 255, n >> 8 & 255, n & 255) }),
    };
    let mut v = v;
    let ty = v["type"].as_str().unwrap_or_default().to_owned();
    v["id"] = json!(format!("{ty}--00000000-0000-4000-8000-{n:012}"));
    v["spec_version"] = json!("2.1");
    v["created"] = json!("2026-01-01T00:00:00Z");
    v["modified"] = json!("2026-01-01T00:00:00Z");
    v["created_by_ref"] = json!(author);
    v["description"] = json!(description);
    v["labels"] = json!(labels);
    Object::from_value(v).expect("a valid object")
}

fn fill(store: &dyn Store, rng: &mut Rng, from: usize, to: usize) {
    let mut batch = Vec::with_capacity(10_000);
    for n in from..to {
        batch.push(object(rng, n));
        if batch.len() == 10_000 || n + 1 == to {
            store.put(&batch, &PutOptions::default()).expect("put");
            batch.clear();
        }
    }
}

/// Milliseconds at the 50th and 99th percentiles.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

/// The searches timed: (label, words, order, matches counted up to).
fn searches() -> Vec<(String, String, TextOrder, usize)> {
    let mut out = Vec::new();
    for (what, text) in [
        ("common word", word(0)),
        ("middling word", word(100)),
        ("rare word", word(4_000)),
        ("two words", format!("{} {}", word(1), word(2))),
    ] {
        for (order, by) in [(TextOrder::Newest, "newest"), (TextOrder::Rank, "best match")] {
            out.push((format!("{what} `{text}`, {by}"), text.clone(), order, 0));
        }
        out.push((format!("{what} `{text}`, newest, counted to 1,000"), text.clone(), TextOrder::Newest, 1_000));
    }
    // Counted as the page counts when a label is asked for: the hits
    // beyond the page read with their JSON (`TextQuery::keep_reads_json`).
    out.push((format!("middling word `{}`, newest, counted to 1,000 with the JSON", word(100)), word(100), TextOrder::Newest, 1_000));
    out.push((format!("common word as a prefix `{}*`, newest", word(0)), format!("{}*", word(0)), TextOrder::Newest, 0));
    let prefix = SYLLABLES[8].to_owned() + SYLLABLES[9];
    out.push((format!("prefix of a few words `{prefix}*`, newest"), format!("{prefix}*"), TextOrder::Newest, 0));
    out
}

/// Runs `f` `reads` times, or fewer when `secs` seconds ran out (at
/// least 5): the milliseconds of each.
fn repeat(reads: usize, secs: f64, f: &mut dyn FnMut()) -> Vec<f64> {
    let start = Instant::now();
    let mut ms = Vec::with_capacity(reads);
    while ms.len() < reads && (ms.len() < 5 || start.elapsed().as_secs_f64() < secs) {
        let t = Instant::now();
        f();
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms
}

/// p50 and p99 of each search's first page, how many reads, and how many it showed.
fn time(store: &dyn Store, reads: usize, secs: f64) -> Vec<(String, f64, f64, usize, usize)> {
    let gate = Gate::new(|r: &Record| r.created_by_ref.as_deref() != Some(AUTHORS[1]));
    let mut out = Vec::new();
    let listing = Query { versions: crate::Versions::LAST, gate: Some(gate.clone()), limit: Some(50), ..Query::default() };
    let mut shown = 0;
    let ms = repeat(reads, secs, &mut || shown = store.query(&listing).expect("listing").records.len());
    let n = ms.len();
    let (p50, p99) = percentiles(ms);
    out.push(("listing, oldest 50 (reference)".to_owned(), p50, p99, n, shown));
    for (what, text, order, count_to) in searches() {
        let q = TextQuery { order, keep_reads_json: what.ends_with("with the JSON"), ..TextQuery::new(&text) };
        let mut shown = 0;
        let ms = repeat(reads, secs, &mut || shown = search_counted(store, &q, &gate, &|_| true, 50, 10_000, count_to, 4_000).expect("search").0.records.len());
        let n = ms.len();
        let (p50, p99) = percentiles(ms);
        eprintln!("{what}: p50 {p50:.2} ms, p99 {p99:.2} ms over {n} reads");
        out.push((what, p50, p99, n, shown));
    }
    out
}

/// Fills `store` with `small` objects, times the searches, grows it to
/// `big` and times them again; the table (markdown) of both, for
/// `backend`. `filled` runs after each filling (PostgreSQL's `ANALYZE`,
/// which autovacuum would run later: its planner needs the statistics).
pub fn run(store: &dyn Store, backend: &str, small: usize, big: usize, reads: usize, secs: f64, filled: &dyn Fn()) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t = Instant::now();
    fill(store, &mut rng, 0, small);
    eprintln!("stored {small} objects in {:.1} s", t.elapsed().as_secs_f64());
    filled();
    let at_small = time(store, reads, secs);
    let t = Instant::now();
    fill(store, &mut rng, small, big);
    eprintln!("stored {} more in {:.1} s", big - small, t.elapsed().as_secs_f64());
    filled();
    let at_big = time(store, reads, secs);
    let mut out = format!("## text search on {backend}, first page of 50 (gated), {small} against {big} objects, up to {reads} reads or {secs} s each, {}\n\n", model::Timestamp::now().as_str());
    out.push_str(&format!("| search | shown | reads | p50 at {small} (ms) | p99 at {small} (ms) | reads | p50 at {big} (ms) | p99 at {big} (ms) | p99 ratio |\n"));
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for ((what, p50s, p99s, ns, _), (_, p50b, p99b, nb, shown)) in at_small.iter().zip(&at_big) {
        out.push_str(&format!("| {what} | {shown} | {ns} | {p50s:.2} | {p99s:.2} | {nb} | {p50b:.2} | {p99b:.2} | {:.2} |\n", p99b / p99s.max(0.001)));
    }
    out
}
