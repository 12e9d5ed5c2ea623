//! Times extraction from a 100-page report (about 3,000 characters a page,
//! an indicator or two per paragraph, half of them defanged), against a
//! reference pass over the same text in the same run: splitting it into
//! words. `cargo run --release -p entente-extract --example extract_bench`
//! (docs/benchmarks.md, "Indicators from report text").

use std::time::Instant;

fn main() {
    let pages = 100;
    let filler = "The operators moved laterally across the network during the weekend, using remote services and scheduled tasks before the encryption stage began; version 2.4.1.7 of the agent logged it. ";
    let mut text = String::new();
    let mut n = 0u32;
    while text.len() < pages * 3000 {
        n += 1;
        text.push_str(filler);
        let (a, b) = (n % 250, (n / 250) % 250);
        if n % 2 == 0 {
            text.push_str(&format!("C2 at 185.{a}.{b}[.]17 and hxxps://cdn{n}.frost-sync[.]com/api?id={n} ({n:032x}). "));
        } else {
            text.push_str(&format!("Beacon to 45.{a}.{b}.9, mail from ops{n}@relay-{n}.net, CVE-2025-{:04}, T1059.001. ", n % 10000));
        }
    }
    let runs = 20;
    let mut times = Vec::new();
    let mut reference = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let t = Instant::now();
        found = extract::extract(&text).len();
        times.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let words = text.split_whitespace().filter(|w| w.contains('.')).count();
        std::hint::black_box(words);
        reference.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    reference.sort_by(f64::total_cmp);
    let (p50, max) = (times[runs / 2], times[runs - 1]);
    println!(
        "extract: {pages} pages, {} KB, {found} candidates: p50 {:.1} ms, max {:.1} ms; reference (split into words) p50 {:.2} ms; ratio {:.0}x the reference",
        text.len() / 1024,
        p50 * 1e3,
        max * 1e3,
        reference[runs / 2] * 1e3,
        p50 / reference[runs / 2]
    );
}
