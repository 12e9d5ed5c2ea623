//! `entente import`: stream STIX files into the store.
//!
//! A reader thread parses and validates objects while the calling thread
//! writes batches to the store, so the two cores share the work and memory
//! stays bounded by a few batches, whatever the file size.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Instant;

use anyhow::Context;
use model::{Limits, Object};

use crate::cli::ImportArgs;
use crate::config::Config;

/// Rejection reasons printed in full; the rest are counted.
const SHOWN_REJECTIONS: u64 = 50;

/// What an import counted.
#[derive(Debug, Default)]
pub(super) struct Totals {
    added: u64,
    unchanged: u64,
    conflicts: u64,
    rejected: u64,
    failed_files: u64,
}

/// Objects with their position in the input, parsed or refused, as the
/// reader hands them to the writer.
pub(super) type Batch = Vec<(u64, Result<Object, model::Error>)>;

/// Where an import writes: the store, the submitting partner, the options
/// of every write and what `--share` checks of each object.
pub(super) struct Sink {
    store: std::sync::Arc<dyn store::Store>,
    /// The submitting partner: the node's own, or `--as`.
    pub partner: model::StixId,
    options: store::PutOptions,
    /// The partners' keys, with `--share` (no one speaks for a partner).
    keys: Option<policy::PartyKeys>,
}

impl Sink {
    /// Opens the node and checks `--as`, `--collection` and `--share`.
    pub(super) fn open(args: &ImportArgs, config: &Config) -> anyhow::Result<Sink> {
        let node = super::open(config)?;
        let store = node.store;
        // Imported objects are submitted by the node's own partner, or --as.
        if let Some(c) = &args.collection {
            if node.registry.collection(c)?.is_none() {
                anyhow::bail!("no collection {c} (see `entente collection list`)");
            }
        }
        let partner = match &args.actor {
            Some(a) => super::admin::resolve_partner(&*node.registry, a)?,
            None => node.identity.partner.clone(),
        };
        let me = model::StixId::parse(&partner).map_err(anyhow::Error::msg)?;
        let mut keys = None;
        if !args.shares.is_empty() {
            let book = server::agreements::Book::load(&*store)?;
            keys = Some(book.keys().clone());
            for a in &args.shares {
                let party = model::StixId::parse(a)
                    .ok()
                    .and_then(|id| book.index().agreement(&id).map(|ag| ag.is_party(&me)))
                    .unwrap_or(false);
                if !party {
                    anyhow::bail!("--share {a}: not an agreement {partner} is party to (see `entente agreement list`)");
                }
            }
        }
        let options = store::PutOptions {
            posted_by: Some(partner),
            collection: args.collection.clone(),
            shares: args.shares.clone(),
            only_author: !args.shares.is_empty(),
            holds_sources: !args.shares.is_empty(),
            ..store::PutOptions::default()
        };
        Ok(Sink { store, partner: me, options, keys })
    }

    /// With --share, the importing partner shares what it imports: its own
    /// objects, or a source's that it holds (docs/sources.md), never one
    /// naming another partner as author.
    fn check(&self, o: Object) -> Result<Object, String> {
        match &self.keys {
            Some(keys) => node::write::sourced_by(o, &self.partner, keys),
            None => Ok(o),
        }
    }

    /// Writes the batches `rx` gives, in order, through the one write path,
    /// counting into `totals` and naming rejections by `label`; `progress`
    /// hears how many objects were seen after each batch. A store error
    /// ends the import (dropping `rx` stops the reader).
    pub(super) fn write(
        &self,
        label: &str,
        rx: mpsc::Receiver<Batch>,
        totals: &mut Totals,
        progress: &mut dyn FnMut(u64),
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut store_secs = 0.0;
        let mut seen = 0u64;
        for batch in rx {
            let mut objects = Vec::with_capacity(batch.len());
            for (_, parsed) in batch {
                seen += 1;
                match parsed.map_err(|e| e.to_string()).and_then(|o| self.check(o)) {
                    Ok(o) => objects.push(o),
                    Err(e) => {
                        totals.rejected += 1;
                        report(label, totals, &e);
                    }
                }
            }
            let put_started = Instant::now();
            let put = node::write::put(&*self.store, &objects, &self.options);
            store_secs += put_started.elapsed().as_secs_f64();
            match put {
                Ok(outcomes) => tally(label, &outcomes, totals),
                Err(e) => return Err(anyhow::Error::new(e).context("writing to the store")),
            }
            metrics::counter!("entente_objects_ingested_total").increment(objects.len() as u64);
            progress(seen);
        }
        tracing::debug!(file = %label, store_secs, total_secs = started.elapsed().as_secs_f64(), "file imported");
        Ok(())
    }
}

pub fn run(args: &ImportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let sink = Sink::open(args, config)?;
    let mut totals = Totals::default();
    let start = Instant::now();
    for path in &args.files {
        if let Err(e) = import_file(&sink, path, args.batch.max(1), config.limits, &mut totals) {
            totals.failed_files += 1;
            eprintln!("{}: {e:#}", path.display());
            if !args.keep_going {
                break;
            }
        }
    }
    Ok(summary(&totals, start, args.keep_going))
}

/// Prints the import's summary line; the exit code it calls for.
pub(super) fn summary(totals: &Totals, start: Instant, keep_going: bool) -> ExitCode {
    let secs = start.elapsed().as_secs_f64();
    let offered = totals.added + totals.unchanged + totals.conflicts + totals.rejected;
    eprintln!(
        "imported {offered} objects in {secs:.1}s ({:.0}/s): {} added, {} unchanged, {} conflicts, {} rejected{}",
        offered as f64 / secs.max(1e-9),
        totals.added,
        totals.unchanged,
        totals.conflicts,
        totals.rejected,
        if totals.failed_files > 0 { format!(", {} files failed", totals.failed_files) } else { String::new() },
    );
    let bad = totals.conflicts + totals.rejected + totals.failed_files > 0;
    if bad && !keep_going {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Counts bytes as they are read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn import_file(sink: &Sink, path: &Path, batch_size: usize, limits: Limits, totals: &mut Totals) -> anyhow::Result<()> {
    let (input, len): (Box<dyn Read + Send>, Option<u64>) = if path == Path::new("-") {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let read = Arc::new(AtomicU64::new(0));
    let label = path.display().to_string();
    let bar = match len {
        Some(len) => crate::progress::bytes(len, &label),
        None => crate::progress::counter(&label),
    };
    let counting = Counting { inner: input, read: read.clone() };
    let (tx, rx) = mpsc::sync_channel::<Batch>(4);

    let reader = std::thread::spawn(move || {
        let mut batch: Batch = Vec::with_capacity(batch_size);
        let result = model::reader::read_objects(BufReader::with_capacity(1 << 20, counting), &limits, &mut |(i, item)| {
            let parsed = item
                .and_then(|bytes| Object::parse(bytes, &limits))
                .map_err(|e| e.for_object(format!("object #{}", i + 1)));
            batch.push((i, parsed));
            if batch.len() >= batch_size {
                tx.send(std::mem::replace(&mut batch, Vec::with_capacity(batch_size)))
                    .map_err(|_| "the writer stopped".to_owned())?;
            }
            Ok(())
        });
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
        result
    });

    let started = Instant::now();
    let write_result = sink.write(&label, rx, totals, &mut |seen| {
        bar.set_position(if len.is_some() { read.load(Ordering::Relaxed) } else { seen });
        bar.set_message(format!("{:.0} objects/s", seen as f64 / started.elapsed().as_secs_f64().max(1e-9)));
    });
    bar.finish_and_clear();
    let read_result = reader.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
    write_result?;
    read_result.map(|_| ()).map_err(anyhow::Error::new)
}

fn tally(label: &str, outcomes: &[store::Outcome], totals: &mut Totals) {
    for o in outcomes {
        match o {
            store::Outcome::Added(_) => totals.added += 1,
            store::Outcome::Unchanged(_) => totals.unchanged += 1,
            store::Outcome::Conflict(why) | store::Outcome::NotAuthor(why) => {
                totals.conflicts += 1;
                report(label, totals, why);
            }
        }
    }
}

fn report(label: &str, totals: &Totals, why: &str) {
    let n = totals.rejected + totals.conflicts;
    if n <= SHOWN_REJECTIONS {
        eprintln!("{label}: rejected: {why}");
    } else if n == SHOWN_REJECTIONS + 1 {
        eprintln!("{label}: more rejections follow; the summary counts them");
    }
}
