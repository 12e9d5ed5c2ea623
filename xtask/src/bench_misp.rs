//! `cargo xtask bench misp [--events N] [--attributes M] [--bin PATH]`:
//! MISP import against STIX import of the same objects, in one run
//! (issue 25's performance target: `entente import --misp` of 10,000
//! events with 1,000,000 attributes at ≥ 0.5 of the rate of `entente
//! import` of the equivalent STIX).
//!
//! It writes a MISP feed of N events of M attributes each (detection and
//! plain attributes of six common types, unique values, a TLP tag), times
//! `entente import --misp` of it into a fresh node, exports what that
//! stored as a STIX bundle (the equivalent STIX: the very objects the
//! conversion made), and times `entente import` of that bundle into
//! another fresh node. The ratio is the STIX import's time over the MISP
//! import's (the same objects either way). `--bin` measures a binary
//! already built (the release build is the default, built first).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::bench::flag;

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let events: usize = flag(args, "--events").map(str::parse).transpose()?.unwrap_or(10_000);
    let per_event: usize = flag(args, "--attributes").map(str::parse).transpose()?.unwrap_or(100);
    let bin = match flag(args, "--bin") {
        Some(b) => root.join(b),
        None => {
            crate::run(Command::new("cargo").args(["build", "--release", "--quiet", "-p", "entente"]))?;
            root.join("target/release/entente")
        }
    };
    let work = root.join("target/bench/misp");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let feed = work.join("feed");
    eprintln!("writing a MISP feed of {events} events with {per_event} attributes each");
    let bytes = write_feed(&feed, events, per_event)?;

    let misp_node = work.join("misp-node");
    entente(&bin, &misp_node, &["init", "--name", "Bench"])?;
    let (misp_secs, stderr) = timed(&bin, &misp_node, &["import", "--misp", feed.to_str().context("path")?])?;
    let objects = number_before(&stderr, " STIX objects").context("the import's summary")?;
    let bundle = work.join("equivalent.stix.json");
    entente(&bin, &misp_node, &["export", "--latest", "-o", bundle.to_str().context("path")?])?;
    let stix_node = work.join("stix-node");
    entente(&bin, &stix_node, &["init", "--name", "Bench"])?;
    let (stix_secs, _) = timed(&bin, &stix_node, &["import", bundle.to_str().context("path")?])?;

    let attributes = events * per_event;
    println!("| measure | events | attributes | STIX objects | time | objects/s | vs STIX import |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| `entente import` of the equivalent STIX (reference) | – | – | {objects} | {stix_secs:.2} s | {:.0} | 1.00 |",
        objects as f64 / stix_secs
    );
    println!(
        "| `entente import --misp` of the feed ({:.0} MB) | {events} | {attributes} | {objects} | {misp_secs:.2} s | {:.0} | {:.2} |",
        bytes as f64 / 1e6,
        objects as f64 / misp_secs,
        stix_secs / misp_secs
    );
    Ok(())
}

/// Writes the feed; returns its size in bytes.
fn write_feed(dir: &Path, events: usize, per_event: usize) -> anyhow::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut manifest = serde_json::Map::new();
    let mut total = 0u64;
    for e in 0..events {
        let uuid = format!("{e:08x}-0000-4000-8000-000000000000");
        let mut attributes = Vec::with_capacity(per_event);
        for a in 0..per_event {
            let n = e * per_event + a;
            let (ty, value) = match n % 6 {
                0 => ("ip-dst", format!("{}.{}.{}.{}", 11 + (n >> 24) % 200, (n >> 16) & 255, (n >> 8) & 255, n & 255)),
                1 => ("domain", format!("host{n}.bench-example.com")),
                2 => ("url", format!("https://bench{n}.example.net/gate?id={n}")),
                3 => ("md5", format!("{n:032x}")),
                4 => ("sha256", format!("{n:064x}")),
                _ => ("filename", format!("dropper-{n}.exe")),
            };
            attributes.push(serde_json::json!({
                "uuid": format!("{e:08x}-{:04x}-4000-8000-{a:012x}", a >> 16 & 0xffff),
                "type": ty, "category": "Network activity", "value": value, "to_ids": n % 3 != 2,
                "timestamp": "1767571200", "comment": "",
            }));
        }
        let event = serde_json::json!({ "Event": {
            "uuid": uuid, "info": format!("Bench event {e}"), "date": "2026-01-05", "timestamp": "1767571200",
            "analysis": "2", "threat_level_id": "2", "published": true,
            "Orgc": { "name": "Bench CERT", "uuid": "0d9a3c1e-1111-4a4a-8b8b-123456789abc" },
            "Tag": [{ "name": "tlp:green" }],
            "Attribute": attributes,
        }});
        let bytes = serde_json::to_vec(&event)?;
        total += bytes.len() as u64;
        std::fs::write(dir.join(format!("{uuid}.json")), bytes)?;
        manifest.insert(uuid, serde_json::json!({ "info": format!("Bench event {e}"), "timestamp": "1767571200" }));
    }
    let mut f = std::fs::File::create(dir.join("manifest.json"))?;
    f.write_all(&serde_json::to_vec(&manifest)?)?;
    Ok(total)
}

fn entente(bin: &Path, data: &Path, args: &[&str]) -> anyhow::Result<()> {
    timed(bin, data, args).map(|_| ())
}

/// Runs the binary on `data`; its wall time and standard error.
fn timed(bin: &Path, data: &Path, args: &[&str]) -> anyhow::Result<(f64, String)> {
    let start = Instant::now();
    let out = Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(data).args(args).output().with_context(|| format!("running {}", bin.display()))?;
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!("entente {args:?} failed: {}", &stderr[stderr.len().saturating_sub(2000)..]);
    }
    Ok((secs, stderr))
}

/// The number written just before `what` in `text`.
fn number_before(text: &str, what: &str) -> Option<u64> {
    let at = text.find(what)?;
    text[..at].rsplit(' ').next()?.parse().ok()
}
