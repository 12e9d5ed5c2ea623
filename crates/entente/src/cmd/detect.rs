//! `entente detect` and `entente correlate`: detection and correlation from
//! the command line, through the same release decision as the API, recorded
//! in the release log.
//!
//! Detection streams its input: a reader thread parses observations and
//! hands them on in batches while the calling thread matches them, so the
//! two cores share the work and memory stays bounded whatever the file size.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};
use server::detect::{self, Feed, Indicators, Ready, Session};
use server::release::{Reader, Through};

use crate::cli::{CorrelateArgs, DetectArgs};
use crate::config::Config;

/// Observations per batch handed from the reader to the matcher.
const BATCH: usize = 2048;

fn partner_of(node: &super::Node, actor: &Option<String>) -> anyhow::Result<model::StixId> {
    let p = match actor {
        Some(a) => super::admin::resolve_partner(&*node.registry, a)?,
        None => node.identity.partner.clone(),
    };
    model::StixId::parse(&p).map_err(anyhow::Error::msg)
}

/// Reads observations from `input` into batches on `tx`: JSON Lines when the
/// first non-blank line is a JSON value of its own (each line an object or a
/// bundle), else one document whose objects are streamed.
/// Batches the matcher is done with come back on `done` to be freed here:
/// memory is cheapest to free on the thread that allocated it.
fn read_input(
    input: Box<dyn Read + Send>,
    limits: model::Limits,
    tx: mpsc::SyncSender<Vec<Ready>>,
    done: mpsc::Receiver<Vec<Ready>>,
) -> anyhow::Result<u64> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let mut feed = Feed::default();
    let mut ready = Vec::with_capacity(BATCH);
    let mut bad = 0u64;
    let send = |ready: &mut Vec<Ready>, force: bool| -> anyhow::Result<()> {
        if ready.len() >= BATCH || (force && !ready.is_empty()) {
            tx.send(std::mem::take(ready)).map_err(|_| anyhow::anyhow!("matcher stopped"))?;
            while let Ok(old) = done.try_recv() {
                drop(old);
            }
        }
        Ok(())
    };
    let mut first = Vec::new();
    loop {
        first.clear();
        if input.read_until(b'\n', &mut first)? == 0 {
            return Ok(0);
        }
        if !first.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    if let Ok(doc) = serde_json::from_slice::<Value>(&first) {
        feed.push_document(doc, &mut ready);
        let mut line = Vec::new();
        let mut n = 1u64;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            n += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Value>(&line) {
                Ok(doc) => feed.push_document(doc, &mut ready),
                Err(e) => {
                    bad += 1;
                    if bad <= 20 {
                        eprintln!("line {n}: {e}");
                    }
                }
            }
            send(&mut ready, false)?;
        }
    } else {
        let whole = io::Cursor::new(first).chain(input);
        let mut sent = Ok(());
        model::reader::read_objects(BufReader::new(whole), &limits, &mut |(i, item)| {
            match item.map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice::<Value>(b).map_err(|e| e.to_string())) {
                Ok(v) => feed.push(v, &mut ready),
                Err(e) => {
                    bad += 1;
                    if bad <= 20 {
                        eprintln!("object {i}: {e}");
                    }
                }
            }
            sent = send(&mut ready, false);
            sent.as_ref().map(|_| ()).map_err(|e| e.to_string())
        })?;
    }
    feed.finish(&mut ready);
    send(&mut ready, true)?;
    Ok(bad)
}

pub fn run(args: &DetectArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let me = partner_of(&node, &args.actor)?;
    let store = node.store.clone();
    let start = Instant::now();
    let indicators = Indicators::default();
    indicators.refresh(&*store)?;
    let (live, indexed) = indicators.counts();
    let loaded = start.elapsed().as_secs_f64();
    eprintln!("{live} indicators ({indexed} pre-selected by value) loaded in {loaded:.2} s");
    let index = server::release::Agreements::default().index(&*store)?;
    let reader = Reader::new(me.clone(), index, Through::AnyShare);
    let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
    let input: Box<dyn Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?)
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let (tx, rx) = mpsc::sync_channel::<Vec<Ready>>(4);
    let (done_tx, done_rx) = mpsc::channel::<Vec<Ready>>();
    let limits = config.limits;
    let matching = Instant::now();
    let reading = std::thread::spawn(move || read_input(input, limits, tx, done_rx));
    let mut session = Session::new(&indicators, &*store, reader.clone());
    session.unindexed = !args.indexed_only;
    let mut sightings = 0u64;
    for batch in rx {
        let hits = session.run(&batch)?;
        let _ = done_tx.send(batch);
        if hits.is_empty() {
            continue;
        }
        let ids = if args.sight {
            detect::record_sightings(&*store, &me, &hits).map_err(anyhow::Error::msg)?
        } else {
            Vec::new()
        };
        sightings += ids.iter().flatten().count() as u64;
        let mut records: Vec<store::Record> = Vec::new();
        for (i, h) in hits.iter().enumerate() {
            if !records.iter().any(|r| r.id == h.indicator.id) {
                records.push(h.indicator.clone());
            }
            let mut line = json!({
                "indicator": h.indicator.id,
                "version": h.indicator.version,
                "agreement": h.agreement.as_ref().map(|a| a.to_string()),
                "observed_data": h.observed_data.get("id"),
            });
            if let Some(Some(s)) = ids.get(i) {
                line["sighting"] = json!(s);
            }
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        }
        node::read::Out::new(&log, &reader, "detect").records(records)?;
    }
    for a in &session.set_aside {
        eprintln!(
            "indicator {} ran out of its {} matching steps on {}: not evaluated further",
            a.indicator.id,
            session.budget.indicator_steps,
            a.observed_data.as_deref().unwrap_or("an observation")
        );
    }
    let bad = reading.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    out.flush()?;
    log.sync().context("syncing the release log")?;
    let secs = matching.elapsed().as_secs_f64();
    let t = session.totals;
    eprintln!(
        "{} observations in {secs:.2} s ({:.0}/s): {} hits, {} sightings; evaluated {} pre-selected and {} unindexed, {} errors, {} withdrawn, {bad} unreadable",
        t.observations,
        t.observations as f64 / secs.max(1e-9),
        t.hits,
        sightings,
        t.indexed_evaluations,
        t.unindexed_evaluations,
        t.errors,
        t.withdrawn,
    );
    eprintln!("summary {}", json!({"totals": t, "seconds": secs, "load_seconds": loaded, "indicators": live, "indexed": indexed, "unreadable": bad}));
    Ok(ExitCode::SUCCESS)
}

/// The kind of a bare value: hex of a hash length is a file hash, else
/// what its syntax says.
fn guess_kind(value: &str) -> &'static str {
    let v = value.trim();
    if matches!(v.len(), 32 | 40 | 64 | 128) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        "file"
    } else {
        pattern::observables::infer_kind(v)
    }
}

pub fn correlate(args: &CorrelateArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let me = partner_of(&node, &args.actor)?;
    let kind = match &args.kind {
        Some(k) => pattern::observables::kind(k).ok_or_else(|| {
            anyhow::anyhow!("--type {k}: observables are of these types: {}", pattern::observables::KINDS.join(", "))
        })?,
        None => guess_kind(&args.value),
    };
    let index = server::release::Agreements::default().index(&*node.store)?;
    let reader = Reader::new(me.clone(), index, Through::AnyShare);
    let (c, records) = detect::correlate(&*node.store, &reader, kind, &args.value, args.threshold, args.noisy, detect::NOISY_CAP)?;
    if !records.is_empty() {
        let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
        node::read::Out::new(&log, &reader, "correlate").records(records)?;
        log.sync().context("syncing the release log")?;
    }
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &c)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}
