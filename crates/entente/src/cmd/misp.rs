//! `entente import --misp PATH` and `entente export --misp DIR --for
//! PARTNER`: MISP events and feeds in and out (the `misp` crate converts).
//!
//! Import reads the events one at a time on a thread that converts each to
//! STIX authored by the importing partner (the MISP organisation stays on
//! each object as a `misp-org` external reference, and on the report as
//! `x_misp_orgc`) and hands the objects, already validated, to `entente
//! import`'s writer: the same batches, options, checks and summary, with
//! no bundle written and nothing parsed twice. Export reads what the
//! release decision gives the partner through `export`'s gate and release
//! log, and writes a MISP feed.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use serde_json::Value;

use crate::cli::{ExportArgs, ImportArgs};
use crate::config::Config;

/// Refusals printed in full; the rest are counted.
const SHOWN: usize = 50;

pub fn import(args: &ImportArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let Some(path) = &args.misp else { anyhow::bail!("--misp: no path") };
    let sink = super::import::Sink::open(args, config)?;
    let author = sink.partner.clone();
    let events = misp::feed::events(path).with_context(|| format!("reading MISP events from {}", path.display()))?;
    let (limits, batch_size) = (config.limits, args.batch.max(1));
    let label = path.display().to_string();
    let (tx, rx) = mpsc::sync_channel::<super::import::Batch>(4);

    let start = Instant::now();
    let converter = std::thread::spawn({
        let label = label.clone();
        move || convert(events, &author, limits, batch_size, &label, &tx)
    });
    let bar = crate::progress::counter(&label);
    let mut totals = super::import::Totals::default();
    let write_result = sink.write(&label, rx, &mut totals, &mut |seen| bar.set_position(seen));
    bar.finish_and_clear();
    let counts = converter.join().map_err(|_| anyhow::anyhow!("the MISP conversion panicked"))?;
    write_result?;
    eprintln!(
        "converted {} MISP events to {} STIX objects: {} attributes refused{}",
        counts.events,
        counts.objects,
        counts.refused,
        if counts.failed > 0 { format!(", {} events unreadable", counts.failed) } else { String::new() }
    );
    tracing::info!(events = counts.events, objects = counts.objects, refused = counts.refused, failed = counts.failed, "misp events converted");
    let code = super::import::summary(&totals, start, args.keep_going);
    let bad = counts.refused + counts.failed > 0 && !args.keep_going;
    Ok(if bad { ExitCode::FAILURE } else { code })
}

/// What the conversion counted.
#[derive(Debug, Default)]
struct Counts {
    events: usize,
    failed: usize,
    refused: usize,
    objects: usize,
}

/// Converts every event, sending its objects in batches of `batch_size`;
/// an object over the size limit is sent as refused (as `entente import`
/// refuses it), named by its id. Stops when the writer stops.
fn convert(
    events: impl Iterator<Item = misp::feed::ReadEvent>,
    author: &model::StixId,
    limits: model::Limits,
    batch_size: usize,
    label: &str,
    tx: &mpsc::SyncSender<super::import::Batch>,
) -> Counts {
    let mut counts = Counts::default();
    let mut shown = 0usize;
    let mut show = |line: String| {
        shown += 1;
        if shown <= SHOWN {
            eprintln!("{line}");
        } else if shown == SHOWN + 1 {
            eprintln!("{label}: more refusals follow; the summary counts them");
        }
    };
    let mut batch: super::import::Batch = Vec::with_capacity(batch_size);
    for (source, event) in events {
        let (event, mut refusals) = match event {
            Ok(e) => e,
            Err(e) => {
                counts.failed += 1;
                show(format!("{source}: {e}"));
                continue;
            }
        };
        let conversion = misp::event_to_stix(&event, author);
        refusals.extend(conversion.refusals);
        for r in &refusals {
            show(format!("{label}: refused: {r}"));
        }
        counts.refused += refusals.len();
        for o in conversion.objects {
            let size = o.json().len();
            let item = if size > limits.max_object_bytes {
                Err(model::Error {
                    object: Some(o.id().to_string()),
                    property: None,
                    kind: model::ErrorKind::TooLarge { size, limit: limits.max_object_bytes },
                })
            } else {
                Ok(o)
            };
            batch.push((counts.objects as u64, item));
            counts.objects += 1;
            if batch.len() >= batch_size && tx.send(std::mem::replace(&mut batch, Vec::with_capacity(batch_size))).is_err() {
                return counts;
            }
        }
        counts.events += 1;
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    counts
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
