//! `entente import --misp PATH` and `entente export --misp DIR --for
//! PARTNER`: MISP events and feeds in and out (the `misp` crate converts).
//!
//! Import converts every event to STIX authored by the importing partner
//! (the MISP organisation stays on each object as a `misp-org` external
//! reference, and on the report as `x_misp_orgc`), writes one bundle to a
//! private temporary directory and hands it to `entente import`'s own path,
//! unchanged. Export reads what the release decision gives the partner
//! through `export`'s gate and release log, and writes a MISP feed.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use crate::cli::{ExportArgs, ImportArgs};
use crate::config::Config;

/// Refusals printed in full; the rest are counted.
const SHOWN: usize = 50;

pub fn import(args: &ImportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let Some(path) = &args.misp else { anyhow::bail!("--misp: no path") };
    let author = {
        let node = super::open(config)?;
        match &args.actor {
            Some(a) => super::admin::resolve_partner(&*node.registry, a)?,
            None => node.identity.partner.clone(),
        }
    };
    let author = model::StixId::parse(&author).map_err(anyhow::Error::msg)?;
    let read = misp::feed::read(path).with_context(|| format!("reading MISP events from {}", path.display()))?;

    let dir = tempfile::Builder::new().prefix("entente-misp-").tempdir().context("making a temporary directory")?;
    let name = path.file_name().map_or_else(|| "misp".into(), |n| n.to_string_lossy().into_owned());
    let bundle = dir.path().join(format!("{name}.stix.json"));
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&bundle).with_context(|| format!("creating {}", bundle.display()))?,
    );
    write!(out, r#"{{"type":"bundle","id":"bundle--{}","objects":["#, uuid::Uuid::new_v4())?;
    let (mut events, mut failed, mut refused, mut objects) = (0usize, 0usize, 0usize, 0usize);
    let mut shown = 0usize;
    let mut show = |line: String| {
        shown += 1;
        if shown <= SHOWN {
            eprintln!("{line}");
        } else if shown == SHOWN + 1 {
            eprintln!("{}: more refusals follow; the summary counts them", path.display());
        }
    };
    for (source, event) in read {
        let (event, mut refusals) = match event {
            Ok(e) => e,
            Err(e) => {
                failed += 1;
                show(format!("{source}: {e}"));
                continue;
            }
        };
        let conversion = misp::event_to_stix(&event, &author);
        refusals.extend(conversion.refusals);
        for r in &refusals {
            show(format!("{}: refused: {r}", path.display()));
        }
        refused += refusals.len();
        for o in &conversion.objects {
            out.write_all(if objects == 0 { b"\n" } else { b",\n" })?;
            out.write_all(o.json())?;
            objects += 1;
        }
        events += 1;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    drop(out);
    eprintln!(
        "converted {events} MISP events to {objects} STIX objects: {refused} attributes refused{}",
        if failed > 0 { format!(", {failed} events unreadable") } else { String::new() }
    );
    tracing::info!(events, objects, refused, failed, "misp events converted");

    let stix = ImportArgs {
        files: vec![bundle],
        keep_going: args.keep_going,
        batch: args.batch,
        collection: args.collection.clone(),
        shares: args.shares.clone(),
        actor: args.actor.clone(),
        misp: None,
    };
    let code = super::import::run(&stix, config)?;
    let bad = refused + failed > 0 && !args.keep_going;
    Ok(if bad { ExitCode::FAILURE } else { code })
}

pub fn export(args: &ExportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let (Some(dir), Some(partner)) = (&args.misp, &args.for_partner) else {
        anyhow::bail!("--misp needs --for PARTNER");
    };
    let node = super::open(config)?;
    let release = super::export::release_for(partner, &*node.store, config)?;
    let query = store::Query { types: args.types.clone(), versions: store::Versions::LAST, ..Default::default() };
    let mut objects: Vec<Value> = Vec::new();
    super::export::released(&*node.store, query, Some(&release), &mut |record| {
        let v = serde_json::from_slice(&record.json).map_err(|e| format!("{}: {e}", record.id))?;
        objects.push(v);
        Ok(())
    })?;
    let org = misp::Org {
        name: node.identity.name.clone(),
        uuid: node.identity.partner.split_once("--").map(|(_, u)| u.to_owned()),
    };
    let today = model::Timestamp::now().as_str()[..10].to_owned();
    let export = misp::stix_to_events(&objects, &org, partner, &today);
    let n = misp::feed::write(dir, &export.events).with_context(|| format!("writing the MISP feed in {}", dir.display()))?;
    let attributes: usize = export.events.iter().map(|e| e["Event"]["Attribute"].as_array().map_or(0, Vec::len)).sum();
    eprintln!(
        "exported {} objects as {n} MISP events with {attributes} attributes to {} ({} objects have no MISP form)",
        objects.len(),
        dir.display(),
        export.left_out.len()
    );
    tracing::info!(objects = objects.len(), events = n, attributes, left_out = export.left_out.len(), "misp feed exported");
    Ok(ExitCode::SUCCESS)
}
