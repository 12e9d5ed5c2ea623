//! `entente agreement`: propose, amend, ratify, give notice, list and show,
//! acting as a partner hosted on this node (the same calls as the REST API).

use std::process::ExitCode;

use anyhow::{bail, Context};
use model::{StixId, Timestamp};
use server::agreements::{self, Book, View};

use super::admin::resolve_partner;
use crate::cli::{AgreementCommand, ShareArgs};
use crate::config::Config;

fn print(v: &View) {
    let a = &v.agreement;
    println!("{}  {}  [{}]", a.id, a.terms.title, v.state);
    println!("  proposer {}  version {}  TLP ceiling {}", a.author, a.version, a.terms.tlp_ceiling);
    println!("  parties  {}", a.terms.parties.iter().map(StixId::as_str).collect::<Vec<_>>().join(", "));
    for (party, version, ok) in &v.ratifications {
        println!("  ratified by {party} (version {version}){}", if *ok { "" } else { "  SIGNATURE DOES NOT VERIFY" });
    }
    for n in &v.notices {
        println!("  {} by {} effective {}", n.kind.name(), n.author, n.effective);
    }
}

pub fn run(cmd: AgreementCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let me = |actor: Option<&str>| -> anyhow::Result<StixId> {
        let id = match actor {
            Some(a) => resolve_partner(&*node.registry, a)?,
            None => node.identity.partner.clone(),
        };
        StixId::parse(&id).map_err(anyhow::Error::msg)
    };
    let agreement_id = |raw: &str| StixId::parse(raw).map_err(anyhow::Error::msg);
    let notice = |actor: &str, kind: policy::NoticeKind, id: &str, effective: Option<&str>| -> anyhow::Result<()> {
        let effective = effective.map(Timestamp::parse).transpose().map_err(anyhow::Error::msg)?;
        agreements::give_notice(&*node.store, &me(Some(actor))?, &agreement_id(id)?, kind, effective)?;
        eprintln!("notice given: {}", kind.name());
        Ok(())
    };
    match cmd {
        AgreementCommand::Propose { actor, terms, amend } => {
            let text = std::fs::read_to_string(&terms).with_context(|| format!("reading {}", terms.display()))?;
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).with_context(|| format!("{} is not a JSON object of terms", terms.display()))?;
            let amend = amend.as_deref().map(agreement_id).transpose()?;
            let a = agreements::propose(&*node.store, &me(Some(&actor))?, amend.as_ref(), &map, &node.modules)?;
            println!("{}", a.id);
        }
        AgreementCommand::Ratify { actor, id } => {
            agreements::ratify(&*node.store, &node.keys, &me(Some(&actor))?, &agreement_id(&id)?)?;
            eprintln!("ratified");
        }
        AgreementCommand::Notice { actor, kind, id, effective } => {
            let Some(kind) = policy::NoticeKind::parse(&kind) else {
                bail!("{kind:?} is not suspension, resumption or withdrawal");
            };
            notice(&actor, kind, &id, effective.as_deref())?;
        }
        AgreementCommand::Suspend(n) => notice(&n.actor, policy::NoticeKind::Suspension, &n.id, n.effective.as_deref())?,
        AgreementCommand::Resume(n) => notice(&n.actor, policy::NoticeKind::Resumption, &n.id, n.effective.as_deref())?,
        AgreementCommand::Withdraw(n) => notice(&n.actor, policy::NoticeKind::Withdrawal, &n.id, n.effective.as_deref())?,
        AgreementCommand::List { actor } => {
            let book = Book::load(&*node.store)?;
            for v in book.list(&me(actor.as_deref())?, &Timestamp::now()) {
                print(&v);
            }
        }
        AgreementCommand::Show { actor, id } => {
            let book = Book::load(&*node.store)?;
            print(&book.view(&agreement_id(&id)?, &me(actor.as_deref())?, &Timestamp::now())?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `entente share`: shares stored objects under more of a hosted partner's
/// agreements (its own objects, or ones it received from another node).
pub fn share(args: &ShareArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let me = match &args.actor {
        Some(a) => resolve_partner(&*node.registry, a)?,
        None => node.identity.partner.clone(),
    };
    let me = StixId::parse(&me).map_err(anyhow::Error::msg)?;
    let book = Book::load(&*node.store)?;
    for a in &args.agreements {
        let ok = StixId::parse(a).ok().and_then(|id| book.index().agreement(&id).cloned()).is_some_and(|ag| ag.is_party(&me));
        if !ok {
            bail!("{a} is not an agreement {me} is party to");
        }
    }
    for raw in &args.ids {
        let id = StixId::parse(raw).map_err(|e| anyhow::anyhow!("{raw}: {e}"))?;
        match server::release::share_stored(&*node.store, &me, &id, &args.agreements, &config.limits) {
            Ok(n) => eprintln!("{id}: {n} version(s) shared"),
            Err(server::release::ShareError::NotFound) => bail!("{id}: no such object here"),
            Err(server::release::ShareError::NotYours(m)) => bail!("{id}: {m}"),
            Err(server::release::ShareError::Store(e)) => return Err(e.into()),
        }
    }
    Ok(ExitCode::SUCCESS)
}
