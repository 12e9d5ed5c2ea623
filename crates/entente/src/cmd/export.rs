//! `entente export`: every stored version (or the latest), as one STIX 2.1
//! bundle, streamed from the stored bytes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::config::Config;

pub fn run(args: &ExportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let store = super::open(config)?.store;
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
    let n = store.scan(&query, &mut |record| {
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
