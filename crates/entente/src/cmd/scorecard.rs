//! `entente scorecard AGREEMENT [--as P] [--window D] [--at T] [--snapshot | --report FILE]`: the
//! partnership scorecard as a partner hosted on this node sees it, from the
//! same service as `GET /api/v1/agreements/{id}/scorecard`
//! (`node::scorecard`), the evidence it reads recorded in the release log
//! (channel `cli`). Prints JSON; with `--snapshot`, records the figures as
//! a snapshot (`node::scorecard::snapshot`) and prints the record; with
//! `--report FILE`, writes the report for a review board
//! (`node::scorecard::report`) as HTML or PDF by FILE's extension.

use std::process::ExitCode;

use anyhow::Context;
use model::StixId;

use super::admin::resolve_partner;
use crate::cli::ScorecardArgs;
use crate::config::Config;

pub fn run(args: &ScorecardArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let modules = server::modules::registered();
    let opened = super::open(config)?;
    let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
    let node = server::modules::Node { store: opened.store.clone(), agreements: std::sync::Arc::new(server::release::Agreements::default()), log, limits: config.limits };
    let me = match &args.actor {
        Some(a) => resolve_partner(&*opened.registry, a)?,
        None => opened.identity.partner.clone(),
    };
    let me = StixId::parse(&me).map_err(anyhow::Error::msg)?;
    let agreement = StixId::parse(&args.agreement).map_err(|e| anyhow::anyhow!("{:?} is not an agreement id: {e}", args.agreement))?;
    let window = args.window.to_string();
    let ask = node::scorecard::Ask::parse(Some(&window), args.at.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.snapshot {
        let record = node::scorecard::snapshot(&node, &modules, &me, &agreement, &ask, "cli")?;
        println!("{}", String::from_utf8_lossy(record.json()));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(file) = &args.report {
        use node::scorecard::report::{self, Format};
        let html = file.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        let format = if html { Format::Html } else { Format::Pdf };
        let review = report::review(&node, &modules, &me, &agreement, &ask, "cli")?;
        let names = opened.registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
        std::fs::write(file, report::render(&review, &names, format)).with_context(|| format!("writing {}", file.display()))?;
        let changes = review.last.as_ref().map_or_else(|| "no earlier snapshot to compare with".to_owned(), |l| format!("{} changes since the snapshot of {}", l.changes.len(), l.at));
        eprintln!("wrote {} ({}; {changes})", file.display(), format.extension());
        return Ok(ExitCode::SUCCESS);
    }
    let card = node::scorecard::scorecard(&node, &modules, &me, &agreement, &ask, "cli")?;
    println!("{}", serde_json::to_string_pretty(&server::scorecard::to_json(agreement.as_str(), me.as_str(), &card, None))?);
    Ok(ExitCode::SUCCESS)
}
