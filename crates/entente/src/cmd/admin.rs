//! `entente init`, `partner`, `token`, `user` and `collection`: the node operator's commands.

use std::process::ExitCode;

use anyhow::{bail, Context};
use store::{Access, CollectionRecord};

use crate::cli::{CollectionCommand, PartnerCommand, PeerCommand, TokenCommand, UserCommand};
use crate::config::Config;

pub fn init(config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    println!("{}", node.identity.partner);
    eprintln!("node partner: {} ({})", node.identity.name, node.identity.partner);
    Ok(ExitCode::SUCCESS)
}

pub fn partner(cmd: PartnerCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    match cmd {
        PartnerCommand::Add { name: Some(name), .. } => {
            let id = server::node::add_hosted_partner(&*node.store, &*node.registry, &node.keys, &name)?;
            println!("{id}");
        }
        PartnerCommand::Add { identity: Some(path), .. } => {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let identity = model::Object::parse(&bytes, &config.limits).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            server::node::check_known_partner(&identity).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let id = server::node::add_known_partner(&*node.store, &*node.registry, &identity)?;
            println!("{id}");
        }
        PartnerCommand::Add { .. } => bail!("give --name (a hosted partner) or --identity FILE (a known one)"),
        PartnerCommand::List => {
            println!("{:<48} {:<8} name", "id", "hosted");
            for p in node.registry.partners()? {
                let mark = if p.id == node.identity.partner { " (this node)" } else { "" };
                println!("{:<48} {:<8} {}{mark}", p.id, p.hosted, p.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Finds a partner by identity id or by name.
pub fn resolve_partner(registry: &dyn store::Registry, key: &str) -> anyhow::Result<String> {
    let partners = registry.partners()?;
    if let Some(p) = partners.iter().find(|p| p.id == key) {
        return Ok(p.id.clone());
    }
    let named: Vec<_> = partners.iter().filter(|p| p.name == key).collect();
    match named.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("no partner with id or name {key:?} (see `entente partner list`)"),
        _ => bail!("several partners are named {key:?}; give the identity id"),
    }
}

pub fn token(cmd: TokenCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    match cmd {
        TokenCommand::Create { partner, role, feed, expires, user } => {
            let partner = resolve_partner(&*node.registry, &partner)?;
            let now = model::Timestamp::now().micros();
            let expires = expires.map(|e| server::auth::lifetime(&e)).transpose().map_err(anyhow::Error::msg)?.map(|l| now + l);
            if feed {
                let (token, record) = server::auth::issue_feed(&partner, &user, now, expires);
                node.registry.put_token(&record)?;
                println!("{token}");
                eprintln!("feed token {} for {partner}: reads /inbox.atom only; shown once, keep it safe", record.id);
                return Ok(ExitCode::SUCCESS);
            }
            let role = server::auth::role(&role.unwrap_or_default()).map_err(anyhow::Error::msg)?;
            let (token, record) = server::auth::issue(&partner, &user, role, now, expires);
            node.registry.put_token(&record)?;
            println!("{token}");
            eprintln!("token {} for {partner} as {}: shown once, keep it safe", record.id, role.as_str());
        }
        TokenCommand::List => {
            println!("{:<14} {:<8} {:<10} {:<28} {:<48} user", "id", "role", "state", "expires", "partner");
            let now = model::Timestamp::now().micros();
            for t in node.registry.tokens()? {
                let state = server::auth::token_state(&t, now);
                let expires = t.expires.map_or("never".to_owned(), |e| model::Timestamp::from_micros(e).to_string());
                println!("{:<14} {:<8} {:<10} {:<28} {:<48} {}", t.id, t.role.as_str(), state, expires, t.partner, t.user);
            }
        }
        TokenCommand::Revoke { id } => {
            let id = server::auth::token_id(&id);
            if !node.registry.revoke_token(&id)? {
                bail!("no token {id}");
            }
            eprintln!("token {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn user(cmd: UserCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    match cmd {
        UserCommand::Add { name, partner, role } => {
            let name = server::auth::user_name(&name).map_err(anyhow::Error::msg)?;
            let partner = resolve_partner(&*node.registry, &partner)?;
            let role = server::auth::role(&role).map_err(anyhow::Error::msg)?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let record = server::auth::new_user(&name, &partner, role, password, model::Timestamp::now().micros()).map_err(anyhow::Error::msg)?;
            node.registry.put_user(&record)?;
            eprintln!("user {name} for {partner} as {}: can sign in at /login", role.as_str());
        }
        UserCommand::List => {
            println!("{:<24} {:<8} {:<9} {:<28} partner", "name", "role", "state", "created");
            for u in node.registry.users()? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{:<24} {:<8} {:<9} {:<28} {}", u.name, u.role.as_str(), state, model::Timestamp::from_micros(u.created).to_string(), u.partner);
            }
        }
        UserCommand::Disable { name } => {
            let Some(u) = node.registry.user(&name)? else { bail!("no user {name:?}") };
            node.registry.put_user(&store::UserRecord { disabled: true, ..u })?;
            eprintln!("user {name} disabled");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn access(registry: &dyn store::Registry, spec: &str) -> anyhow::Result<Access> {
    if spec.trim() == "all" {
        return Ok(Access::All);
    }
    let partners = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| resolve_partner(registry, p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Access::Partners(partners))
}

pub fn collection(cmd: CollectionCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    match cmd {
        CollectionCommand::Create { title, id, description, read, write } => {
            let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            if uuid::Uuid::parse_str(&id).is_err() {
                bail!("collection id {id:?} is not a UUID");
            }
            let writers = match write {
                Some(w) => access(&*node.registry, &w)?,
                None => Access::Partners(vec![node.identity.partner.clone()]),
            };
            let record = CollectionRecord { id: id.clone(), title, description, readers: access(&*node.registry, &read)?, writers };
            if !node.registry.put_collection(&record)? {
                bail!("a collection with id {id} exists");
            }
            println!("{id}");
        }
        CollectionCommand::List => {
            println!("{:<38} {:<24} {:<24} title", "id", "read", "write");
            let show = |a: &Access| match a {
                Access::All => "all".to_owned(),
                Access::Partners(p) => format!("{} partners", p.len()),
            };
            for c in node.registry.collections()? {
                println!("{:<38} {:<24} {:<24} {}", c.id, show(&c.readers), show(&c.writers), c.title);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn peer(cmd: PeerCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let secrets = server::peers::PeerSecrets::in_data_dir(&config.data_dir);
    match cmd {
        PeerCommand::Add { url, partner, token_file, token, ca } => {
            let partner = resolve_partner(&*node.registry, &partner)?;
            let token = match (token_file, token) {
                (Some(f), _) => std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?,
                (None, Some(t)) => t,
                (None, None) => bail!("give --token-file FILE (or --token)"),
            };
            let ca_pem = match ca {
                Some(p) => Some(std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?),
                None => None,
            };
            let peer = server::peers::add(&*node.registry, &secrets, &url, &partner, &token, ca_pem).map_err(anyhow::Error::msg)?;
            println!("{}", peer.id);
        }
        PeerCommand::List => {
            println!("{:<36} {:<48} {:<4} url", "id", "partner", "ca");
            for p in node.registry.peers()? {
                println!("{:<36} {:<48} {:<4} {}", p.id, p.partner, if p.ca_pem.is_some() { "own" } else { "web" }, p.url);
            }
        }
        PeerCommand::Remove { id } => {
            if !server::peers::remove(&*node.registry, &secrets, &id).map_err(anyhow::Error::msg)? {
                bail!("no peer {id} (see `entente peer list`)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sync(only: Option<&str>, config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let secrets = server::peers::PeerSecrets::in_data_dir(&config.data_dir);
    let local = model::StixId::parse(&node.identity.partner).map_err(anyhow::Error::msg)?;
    let peers: Vec<_> = node.registry.peers()?.into_iter().filter(|p| only.is_none_or(|id| p.id == id)).collect();
    if peers.is_empty() {
        bail!("no peer to pull from (see `entente peer list`)");
    }
    let mut failed = false;
    for peer in peers {
        match server::sync::pull(&*node.store, &*node.registry, &secrets, &peer, &local, &config.limits) {
            Ok(report) => println!("{} {}", peer.id, serde_json::to_string(&report)?),
            Err(e) => {
                failed = true;
                eprintln!("{} ({}): {e}", peer.id, peer.url);
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `entente retention`: one retention sweep now; prints what it did as JSON.
pub fn retention(config: &Config) -> anyhow::Result<ExitCode> {
    let node = super::open(config)?;
    let log = audit::SharedLog::open(config.data_dir.join("release.log"))
        .with_context(|| format!("opening the release log in {}", config.data_dir.display()))?;
    let sweep = server::retention::sweep(&*node.store, &*node.registry, &log, &model::Timestamp::now()).map_err(anyhow::Error::msg)?;
    log.sync()?;
    println!("{}", serde_json::to_string(&sweep)?);
    Ok(ExitCode::SUCCESS)
}
