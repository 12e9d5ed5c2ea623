//! `entente export`: every stored version (or the latest), as one STIX 2.1
//! bundle, streamed from the stored bytes. With `--for PARTNER`, only what
//! the release decision gives that partner now (with `--latest`, the latest
//! version of each object it may see), recorded in the release log (one
//! entry per thousand versions); without it, the operator's backup of the
//! whole store.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::config::Config;

pub fn run(args: &ExportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::open(config)?.store;
    let mut release = None;
    if let Some(p) = &args.for_partner {
        let partner = model::StixId::parse(p).map_err(|e| anyhow::anyhow!("--for: {e}"))?;
        let index = server::release::Agreements::default().index(&*store)?;
        let reader = server::release::Reader::new(partner, index, server::release::Through::AnyShare);
        let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
        release = Some((reader, log));
    }
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let query = store::Query {
        types: args.types.clone(),
        versions: if args.latest { store::Versions::LAST } else { store::Versions::ALL },
        ..Default::default()
    };
    let bar = crate::progress::counter("exporting");
    write!(out, r#"{{"type":"bundle","id":"bundle--{}","objects":["#, uuid::Uuid::new_v4())?;
    let mut first = true;
    let mut emit = |record: &store::Record| -> Result<(), String> {
        let sep: &[u8] = if first { b"\n" } else { b",\n" };
        first = false;
        out.write_all(sep).and_then(|()| out.write_all(&record.json)).map_err(|e| e.to_string())?;
        bar.inc(1);
        Ok(())
    };
    // For a partner, through the one read path: its gate, and an entry in
    // the release log per thousand versions.
    let n = match &release {
        Some((reader, log)) => node::read::Out::new(log, reader, "export").stream(&*store, query, 1000, &mut emit)?,
        None => store.scan(&query, &mut |record| emit(&record))?,
    };
    if let Some((_, log)) = &release {
        log.sync().context("syncing the release log")?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    bar.finish_and_clear();
    tracing::info!(objects = n, "exported");
    Ok(ExitCode::SUCCESS)
}
