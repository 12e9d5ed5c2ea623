//! `cargo xtask bench detect`: detection throughput and the correlation
//! index's size.
//!
//! One data directory with two partners, Aurelia and Borealis, and a
//! ratified agreement between them. Aurelia imports generated intelligence
//! (`entente generate --author A`, about 70% indicators; `--indicators N`
//! sets how many objects are generated so that about N are indicators) plus
//! 200 indicators that cannot be pre-selected by value (`LIKE`, `MATCHES`,
//! ranges), all shared under the agreement. Borealis then runs
//! `entente detect` over generated observations (`--observations M`, JSON
//! Lines of bundles, each an observed-data with one or two SCOs; 1% of the
//! values are ones the indicators test for, the rest are not), first with
//! `--indexed-only`, then with the unindexed list too. Reported: wall time,
//! observations per second, peak RSS, hits, and the unindexed list's own
//! cost as the difference of the two runs. Last, the observable index's
//! size (SQLite `dbstat`, through Python's sqlite3) against the objects'
//! JSON bytes and against the whole `objects` table.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

use crate::bench::{flag, measure, today};
use crate::rng::Rng;
use crate::run as sh;

fn out_of(bin: &Path, data: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(data).args(args).output()?;
    if !out.status.success() {
        bail!("entente {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// The values indicators test with `=`, by kind, read from the generated
/// patterns (`[kind:path = 'value']`).
fn values_of(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for line in BufReader::new(std::fs::File::open(file)?).lines() {
        let line = line?;
        let Some(start) = line.find("\"pattern\":\"") else { continue };
        let pattern = &line[start + 11..];
        let pattern = &pattern[..pattern.find("\",").unwrap_or(pattern.len())];
        for part in pattern.split('[').skip(1) {
            let Some((path, rest)) = part.split_once(" = '") else { continue };
            let Some(value) = rest.split('\'').next() else { continue };
            let kind = path.split(':').next().unwrap_or_default().to_owned();
            out.push((kind, value.to_owned()));
        }
    }
    Ok(out)
}

fn sco(kind: &str, value: &str, n: u64, k: usize) -> String {
    let id = format!("{kind}--00000000-0000-4000-8{k:03}-{n:012}");
    match kind {
        "file" => format!(r#"{{"type":"file","id":"{id}","hashes":{{"SHA-256":"{value}"}},"name":"f{n}.bin"}}"#),
        _ => format!(r#"{{"type":"{kind}","id":"{id}","value":"{value}"}}"#),
    }
}

fn random_value(kind: &str, rng: &mut Rng) -> String {
    match kind {
        "ipv4-addr" => format!("{}.{}.{}.{}", 1 + rng.below(223), rng.below(256), rng.below(256), 1 + rng.below(254)),
        "ipv6-addr" => format!("2001:db8:{:x}:{:x}::{:x}", rng.below(65536), rng.below(65536), 1 + rng.below(65535)),
        "domain-name" => format!("host{}.observed{}.test", rng.below(1 << 30), rng.below(1000)),
        "url" => format!("http://site{}.observed.test/p/{}.html", rng.below(1 << 30), rng.below(1000)),
        _ => format!("{:016x}{:016x}{:016x}{:016x}", rng.next(), rng.next(), rng.next(), rng.next()),
    }
}

/// Writes `n` observations as JSON Lines of bundles.
fn observations(path: &Path, n: u64, known: &[(String, String)]) -> anyhow::Result<()> {
    let kinds = ["ipv4-addr", "domain-name", "url", "file", "ipv6-addr"];
    let mut rng = Rng(7);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut line = String::new();
    for i in 0..n {
        let count = 1 + (rng.below(4) == 0) as usize;
        let mut scos = Vec::new();
        for k in 0..count {
            let (kind, value) = if rng.below(100) == 0 && !known.is_empty() {
                let (kind, value) = &known[rng.below(known.len() as u64) as usize];
                (kind.clone(), value.clone())
            } else {
                let kind = kinds[rng.below(kinds.len() as u64) as usize];
                (kind.to_owned(), random_value(kind, &mut rng))
            };
            scos.push((sco(&kind, &value, i, k), format!("{kind}--00000000-0000-4000-8{k:03}-{i:012}")));
        }
        let secs = i % 86_400;
        let t = format!("2026-11-01T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
        let refs: Vec<String> = scos.iter().map(|(_, id)| format!("\"{id}\"")).collect();
        line.clear();
        write!(
            line,
            r#"{{"type":"bundle","id":"bundle--00000000-0000-4000-8000-{i:012}","objects":[{{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-{i:012}","created":"{t}","modified":"{t}","first_observed":"{t}","last_observed":"{t}","number_observed":1,"object_refs":[{}]}}"#,
            refs.join(",")
        )?;
        for (s, _) in &scos {
            line.push(',');
            line.push_str(s);
        }
        line.push_str("]}\n");
        w.write_all(line.as_bytes())?;
    }
    w.flush()?;
    Ok(())
}

/// Indicators no observable pre-selects, authored by `author`.
fn unindexed(author: &str, n: u64) -> String {
    // Each distinct (the number i is in every pattern).
    let patterns = [
        r"[domain-name:value LIKE '%.badzone{i}.test']",
        r"[url:value MATCHES '^http://[a-z]+[0-9]+\\.evil{i}\\.test/.*\\.php$']",
        r"[file:name LIKE 'invoice{i}%.exe']",
        r"[ipv4-addr:value NOT = '10.0.0.1' AND ipv4-addr:value LIKE '192.0.{i}.%']",
        r"[file:size > 400000{i}]",
    ];
    let mut out = String::new();
    for i in 0..n {
        let o = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-9000-{i:012}"),
            "created_by_ref": author,
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": patterns[i as usize % patterns.len()].replace("{i}", &i.to_string()), "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        });
        let _ = writeln!(out, "{o}");
    }
    out
}

fn summary(stderr: &str) -> anyhow::Result<serde_json::Value> {
    let line = stderr.lines().find_map(|l| l.strip_prefix("summary ")).context("no summary line from entente detect")?;
    Ok(serde_json::from_str(line)?)
}

pub fn run(root: &Path, bin: &Path, args: &[String]) -> anyhow::Result<()> {
    let indicators: u64 = flag(args, "--indicators").map(str::parse).transpose()?.unwrap_or(100_000);
    let n_obs: u64 = flag(args, "--observations").map(str::parse).transpose()?.unwrap_or(1_000_000);
    let work = root.join("target/bench/detect");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let data = work.join("data");
    let a = out_of(bin, &data, &["init", "--name", "Aurelia"])?;
    let b = out_of(bin, &data, &["partner", "add", "--name", "Borealis"])?;
    let terms = serde_json::json!({
        "title": "bench", "purpose": "detection benchmark", "party_refs": [a, b],
        "scope": {"object_types": [], "labels": [], "data_kind": "both"}, "tlp_ceiling": "amber",
        "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
        "valid_from": "2020-01-01T00:00:00Z"
    });
    std::fs::write(work.join("terms.json"), terms.to_string())?;
    let terms_path = work.join("terms.json");
    let ag = out_of(bin, &data, &["agreement", "propose", "--as", "Aurelia", terms_path.to_str().unwrap()])?;
    for who in ["Aurelia", "Borealis"] {
        out_of(bin, &data, &["agreement", "ratify", "--as", who, &ag])?;
    }
    let intel = work.join("intel.jsonl");
    let objects = indicators * 10 / 7;
    eprintln!("generating {objects} objects authored by Aurelia");
    sh(Command::new(bin)
        .args(["generate", "--objects", &objects.to_string(), "--seed", "1", "--author", &a, "--format", "jsonl", "-o"])
        .arg(&intel))?;
    let mut f = std::fs::OpenOptions::new().append(true).open(&intel)?;
    f.write_all(unindexed(&a, 200).as_bytes())?;
    drop(f);
    let imported = measure(
        Command::new(bin).env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&data).args(["import", "--as", "Aurelia", "--share", &ag]).arg(&intel),
    )?;
    eprintln!("imported in {:.1} s", imported.secs);
    let known = values_of(&intel)?;
    let obs = work.join("observations.jsonl");
    eprintln!("writing {n_obs} observations");
    observations(&obs, n_obs, &known)?;
    let obs_mb = std::fs::metadata(&obs)?.len() as f64 / 1e6;

    let mut rows = Vec::new();
    for indexed_only in [true, false] {
        let stderr_path = work.join(format!("detect-{indexed_only}.err"));
        let mut cmd = Command::new(bin);
        cmd.env("ENTENTE_LOG", "warn").arg("--data-dir").arg(&data).args(["detect", "--as", "Borealis", "-o"]);
        cmd.arg(work.join("hits.jsonl"));
        if indexed_only {
            cmd.arg("--indexed-only");
        }
        cmd.arg(&obs).stderr(std::fs::File::create(&stderr_path)?);
        let m = measure(&mut cmd)?;
        let s = summary(&std::fs::read_to_string(&stderr_path)?)?;
        rows.push((indexed_only, m, s));
    }

    // The observable index against the objects.
    let db = data.join("entente.db");
    let py = format!(
        "import sqlite3; c = sqlite3.connect('file:{}?mode=ro', uri=True)\n\
         size = lambda names: c.execute('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (%s)' % ','.join('?' * len(names)), names).fetchone()[0]\n\
         idx = size(['observables', 'observables_object'])\n\
         table = size(['objects', 'objects_id_version', 'objects_type'])\n\
         json = c.execute('SELECT sum(length(json)) FROM objects').fetchone()[0]\n\
         entries = c.execute('SELECT count(*) FROM observables').fetchone()[0]\n\
         objs = c.execute('SELECT count(*) FROM objects').fetchone()[0]\n\
         print(idx, table, json, entries, objs)",
        db.display()
    );
    let out = Command::new("python3").arg("-c").arg(&py).output()?;
    if !out.status.success() {
        bail!("measuring the index: {}", String::from_utf8_lossy(&out.stderr));
    }
    let nums: Vec<f64> = String::from_utf8(out.stdout)?.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    let [idx, table, json, entries, objs] = nums[..] else { bail!("unexpected index figures") };

    println!("\n## detection and correlation, {}", today());
    println!(
        "{} indicators loaded ({} pre-selected by value), {n_obs} observations ({obs_mb:.0} MB JSON Lines)\n",
        rows[0].2["indicators"], rows[0].2["indexed"]
    );
    println!("| run | observations/s | time (load) | hits | evaluations (indexed / unindexed) | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (indexed_only, m, s) in &rows {
        let t = &s["totals"];
        let secs = s["seconds"].as_f64().unwrap_or(m.secs);
        println!(
            "| {} | {:.0} | {:.2} s ({:.2} s) | {} | {} / {} | {:.0} MB |",
            if *indexed_only { "`--indexed-only`" } else { "with the unindexed list" },
            t["observations"].as_f64().unwrap_or(0.0) / secs,
            secs,
            s["load_seconds"].as_f64().unwrap_or(0.0),
            t["hits"],
            t["indexed_evaluations"],
            t["unindexed_evaluations"],
            m.peak_rss_mb
        );
    }
    let extra = rows[1].2["seconds"].as_f64().unwrap_or(0.0) - rows[0].2["seconds"].as_f64().unwrap_or(0.0);
    let evals = rows[1].2["totals"]["unindexed_evaluations"].as_f64().unwrap_or(0.0);
    println!("\nunindexed list: {evals:.0} evaluations in {extra:.2} s more ({:.0} evaluations/s)", evals / extra.max(1e-9));
    println!(
        "\nobservable index: {entries:.0} entries for {objs:.0} versions, {:.1} MB; objects' JSON {:.1} MB (ratio {:.3}); whole objects table with its indexes {:.1} MB (ratio {:.3})",
        idx / 1e6,
        json / 1e6,
        idx / json,
        table / 1e6,
        idx / table
    );
    Ok(())
}
