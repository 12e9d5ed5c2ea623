//! `entente module`: the partnership modules' state, records, actions and files,
//! acting as a partner hosted on this node: the same service the REST API
//! calls (`server::modules`), each answer recorded in the release log
//! (channel `cli`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use model::StixId;
use serde_json::{Map, Value};

use super::admin::resolve_partner;
use crate::cli::ModuleCommand;
use crate::config::Config;

pub fn run(cmd: ModuleCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let modules = server::modules::registered();
    if let ModuleCommand::List = cmd {
        println!("{}", serde_json::to_string_pretty(&server::modules::describe(&modules))?);
        return Ok(ExitCode::SUCCESS);
    }
    let opened = super::open(config)?;
    let log = audit::SharedLog::open(config.data_dir.join("release.log")).context("opening the release log")?;
    let node = server::modules::Node {
        store: opened.store.clone(),
        agreements: std::sync::Arc::new(server::release::Agreements::default()),
        log,
        limits: config.limits,
    };
    let me = |actor: Option<&str>| -> anyhow::Result<StixId> {
        let id = match actor {
            Some(a) => resolve_partner(&*opened.registry, a)?,
            None => opened.identity.partner.clone(),
        };
        StixId::parse(&id).map_err(anyhow::Error::msg)
    };
    let agreement = |raw: &str| StixId::parse(raw).map_err(|e| anyhow::anyhow!("{raw:?} is not an agreement id: {e}"));
    let module = |name: &str| server::modules::find(&modules, name).map_err(anyhow::Error::msg);
    let mut out = std::io::stdout().lock();
    match cmd {
        ModuleCommand::List => unreachable!("answered above"),
        ModuleCommand::Inbox { actor } => {
            let entries = server::modules::inbox(&node, &modules, &me(actor.as_deref())?, None, "cli")?.needs;
            writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({ "inbox": entries }))?)?;
        }
        ModuleCommand::State { actor, agreement: a, module: m } => {
            let module = module(&m)?;
            let (me, agreement) = (me(actor.as_deref())?, agreement(&a)?);
            let json = match server::modules::view(&node, &me, &agreement, &*module, "cli") {
                Ok(scope) => server::modules::state_json(&*module, &scope),
                // No party: a mediator sees the records naming it, if any.
                Err(server::modules::Error::NotFound(_)) => node::modules::named_json(&*module, &agreement, &me, &node::modules::named(&node, &me, &agreement, &*module, "cli")?),
                Err(e) => return Err(e.into()),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        ModuleCommand::Records { actor, kind, of, agreement: a, module: m } => {
            let module = module(&m)?;
            let of = of.map(|o| StixId::parse(&o).map_err(|e| anyhow::anyhow!("--of {o}: {e}"))).transpose()?;
            let (me, agreement) = (me(actor.as_deref())?, agreement(&a)?);
            let mut listing = server::modules::Listing { kind, of, limit: 1000, after: None };
            loop {
                let page = server::modules::page(&node, &me, &agreement, &*module, &listing, "cli")?;
                for r in &page.records {
                    out.write_all(&r.json)?;
                    out.write_all(b"\n")?;
                }
                match page.next {
                    Some(next) if page.more => listing.after = Some(next),
                    _ => break,
                }
            }
        }
        ModuleCommand::Act { actor, agreement: a, module: m, action, input } => {
            let module = module(&m)?;
            let text = match input.strip_prefix('@') {
                Some(file) => std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?,
                None => input,
            };
            let input: Map<String, Value> = serde_json::from_str(&text).context("the input must be a JSON object")?;
            // Signed with the partner's key where the module signs (a ratification).
            let object = server::modules::act_signed(&node, &opened.keys, &me(Some(&actor))?, &agreement(&a)?, &*module, &action, &input, "cli")?;
            out.write_all(object.json())?;
            writeln!(out)?;
        }
        ModuleCommand::File { actor, of, output, agreement: a, module: m, file } => {
            let module = module(&m)?;
            let names: std::collections::HashMap<String, String> = opened.registry.partners()?.into_iter().map(|p| (p.id, p.name)).collect();
            let who = |p: &str| names.get(p).cloned().unwrap_or_else(|| p.to_owned());
            let made = node::modules::file(&node, &me(actor.as_deref())?, &agreement(&a)?, &*module, &file, of.as_deref(), &who, "cli")?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &made.bytes).with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote {} ({}, {} bytes)", path.display(), made.media_type, made.bytes.len());
                }
                None => out.write_all(&made.bytes)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
