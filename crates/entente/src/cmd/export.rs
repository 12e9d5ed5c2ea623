//! `entente export`: every stored version (or the latest), as one STIX 2.1
//! bundle, streamed from the stored bytes. With `--for PARTNER`, only what
//! the release decision gives that partner now (with `--latest`, the latest
//! version of each object it may see), recorded in the release log (one
//! entry per thousand versions); without it, the operator's backup of the
//! whole store. `--misp DIR` writes the same release as a MISP feed
//! (`cmd/misp.rs`) through the same gate and log ([`released`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Config;

/// The release decision for one partner and the log its releases go to.
pub(super) type Release = (std::sync::Arc<server::release::Reader>, audit::SharedLog);

/// The release reader for `partner` (an identity id, as `--for` takes it).
pub(super) fn release_for(partner: &str, store: &dyn store::Store, config: &Config) -> anyhow::Result<Release> {
    let partner = model::StixId::parse(partner).map_err(|e| anyhow::anyhow!("--for: {e}"))?;
    let index = server::release::Agreements::default().index(store)?;
    let reader = server::release::Reader::new(partner, index, server::release::Through::AnyShare);
    let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
    Ok((reader, log))
}

/// Scans `query`, handing each record to `each`; for a partner
/// (`release`), through the one read path: its gate, and an entry in the
/// release log per thousand versions (channel `export`), synced before
/// returning.
pub(super) fn released(
    store: &dyn store::Store,
    query: store::Query,
    release: Option<&Release>,
    each: &mut dyn FnMut(&store::Record) -> Result<(), String>,
) -> anyhow::Result<u64> {
    let n = match release {
        Some((reader, log)) => node::read::Out::new(log, reader, "export").stream(store, query, 1000, each)?,
        None => store.scan(&query, &mut |record| each(&record))?,
    };
    if let Some((_, log)) = release {
        log.sync().context("syncing the release log")?;
    }
    Ok(n)
}

pub fn run(args: &ExportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    if args.misp.is_some() {
        return super::misp::export(args, config);
    }
    let store = super::open(config)?.store;
    let release = match &args.for_partner {
        Some(p) => Some(release_for(p, &*store, config)?),
        None => None,
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    if args.format != ExportFormat::Stix {
        return formatted(args, &*store, release.as_ref(), &mut out);
    }
    let query = store::Query {
        types: args.types.clone(),
        versions: if args.latest { store::Versions::LAST } else { store::Versions::ALL },
        ..Default::default()
    };
    let bar = crate::progress::counter("exporting");
    write!(out, r#"{{"type":"bundle","id":"bundle--{}","objects":["#, uuid::Uuid::new_v4())?;
    let mut first = true;
    let n = released(&*store, query, release.as_ref(), &mut |record| {
        let sep: &[u8] = if first { b"\n" } else { b",\n" };
        first = false;
        out.write_all(sep).and_then(|()| out.write_all(&record.json)).map_err(|e| e.to_string())?;
        bar.inc(1);
        Ok(())
    })?;
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    bar.finish_and_clear();
    tracing::info!(objects = n, "exported");
    Ok(ExitCode::SUCCESS)
}

/// `--format csv|iocs|suricata|sigma`: the latest version of each object
/// (for a partner, the latest it may see), through the same read path, in
/// an analyst's format (`node::formats`). Indicators a rule cannot say are
/// counted and left out.
fn formatted(args: &ExportArgs, store: &dyn store::Store, release: Option<&Release>, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let query = store::Query { types: args.types.clone(), versions: store::Versions::LAST, ..Default::default() };
    let format = match args.format {
        ExportFormat::Csv => node::formats::Format::Csv,
        ExportFormat::Iocs => node::formats::Format::Iocs,
        ExportFormat::Suricata => node::formats::Format::Suricata,
        ExportFormat::Sigma => node::formats::Format::Sigma,
        ExportFormat::Stix => unreachable!("written as a bundle"),
    };
    let mut f = node::formats::Formatter::new(format, args.sid);
    if let Some(header) = f.header() {
        writeln!(out, "{header}")?;
    }
    released(store, query, release, &mut |record| {
        let Ok(o) = serde_json::from_slice::<serde_json::Value>(&record.json) else { return Ok(()) };
        for line in f.lines(&o) {
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    let (written, left_out) = (f.written, f.left_out);
    out.flush()?;
    eprintln!("{written} written{}", if left_out > 0 { format!("; {left_out} indicators left out: no {} rule says their pattern (only a list of equalities on values it has a keyword for)", args.format.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())) } else { String::new() });
    Ok(ExitCode::SUCCESS)
}
