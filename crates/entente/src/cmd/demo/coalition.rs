//! The demo's coalition, set up in-process on each node's store with the
//! same calls as `entente init`, `partner add --identity`, `token create`,
//! `peer add`, `agreement propose|ratify`, `sync` and `import --share`:
//! three nations, each knowing the other two and pulling from them, a
//! trilateral and a bilateral agreement in force on every node, and
//! intelligence authored by each nation and shared under them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use model::{StixId, Timestamp};
use serde_json::{json, Value};
use server::agreements::Book;
use store::{PutOptions, Query, Role, Versions};

use super::history::{Clock, Dated, DAY};
use super::servers::Stop;
use crate::cmd::Node;
use crate::config::Config;
use crate::generate::Generator;

/// The nations, in port order.
pub const NATIONS: [&str; 3] = ["Aurelia", "Borealis", "Caledonia"];

/// The nations party to the bilateral agreement (the first two).
const BILATERAL_PARTIES: usize = 2;

/// Of the bilateral parties' objects, the percentage shared under the
/// bilateral agreement alone (the rest under the trilateral one).
const BILATERAL_PERCENT: u64 = 30;

/// Seeds the pool of values every nation draws from, so their indicators
/// overlap and correlation finds several reporters.
const POOL_SEED: u64 = 2026;

/// The share of indicators whose value comes from the shared pool.
const OVERLAP: f64 = 0.15;

/// Objects per store transaction.
const BATCH: usize = 5000;

/// A nation writes a report on every this many objects it shares under
/// the trilateral agreement ([`Reports`]), fewer in a small demo (a
/// twenty-fifth of its objects, at least 40).
const REPORT_EVERY: usize = 400;

/// At most this many objects a report refers to.
const REPORT_REFS: usize = 24;

/// The reports a nation writes as its intelligence is generated: every
/// [`REPORT_EVERY`] objects shared under the trilateral agreement, one
/// report (TLP:GREEN 2.0, published when the newest of them was made,
/// named after the malware, actor or campaign among them) referring to up
/// to [`REPORT_REFS`] of them, every type the report page groups by and
/// the relationships among them included.
struct Reports {
    /// (type, id, name, created) of the objects since the last report.
    pending: Vec<(String, String, Option<String>, String)>,
    written: u64,
    every: usize,
}

impl Reports {
    /// Notes `v`; returns a report once enough are noted.
    fn note(&mut self, v: &serde_json::Value, author: &str) -> Option<serde_json::Value> {
        let field = |k: &str| v[k].as_str().map(str::to_owned);
        let (Some(ty), Some(id), Some(created)) = (field("type"), field("id"), field("created")) else { return None };
        if ty == "sighting" || self.pending.iter().any(|(_, seen, ..)| *seen == id) {
            return None;
        }
        self.pending.push((ty, id, field("name"), created));
        (self.pending.len() >= self.every).then(|| self.write(author))
    }

    fn write(&mut self, author: &str) -> serde_json::Value {
        let pending = std::mem::take(&mut self.pending);
        self.written += 1;
        // Every named threat first (what the report is about), then every
        // n-th of the rest, up to the cap.
        let (named, rest): (Vec<_>, Vec<_>) = pending.iter().partition(|(ty, ..)| matches!(ty.as_str(), "malware" | "threat-actor" | "campaign" | "intrusion-set"));
        let step = (rest.len() / REPORT_REFS).max(1);
        let refs: Vec<&str> = named.iter().chain(rest.iter().step_by(step)).take(REPORT_REFS).map(|(_, id, ..)| id.as_str()).collect();
        let subject = named.iter().find_map(|(_, _, name, _)| name.clone()).unwrap_or_else(|| "indicators of the period".to_owned());
        let newest = pending.iter().map(|(.., c)| c.as_str()).max().unwrap_or_default().to_owned();
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("demo report {author} {}", self.written).as_bytes());
        serde_json::json!({
            "type": "report", "spec_version": "2.1", "id": format!("report--{id}"),
            "created": newest, "modified": newest, "published": newest,
            "created_by_ref": author,
            "name": format!("Intelligence summary {}: {subject}", self.written),
            "description": format!("What the CERT saw in the period: {} objects, {} of them named threats.", pending.len(), named.len()),
            "report_types": ["threat-report"],
            "object_refs": refs,
            "object_marking_refs": [model::tlp::Tlp::Green.marking_id()],
        })
    }
}

/// A nation records what its sensors observed of the shared pool's values
/// on every this many objects it makes (fewer in a small demo: a thirtieth
/// of its objects, at least 10): an observed-data (TLP:GREEN, under the
/// trilateral agreement) of two values, with their SCOs.
const OBSERVE_EVERY: u64 = 200;

/// The namespace of STIX 2.1's deterministic SCO ids.
const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// The SCO of `value` (of type `ty`) as `author` observed it: its id
/// derived from the author and the value (each nation holds its own SCO
/// of a value; correlation matches them by value).
fn sco(author: &str, ty: &str, value: &str) -> serde_json::Value {
    let id = format!("{ty}--{}", uuid::Uuid::new_v5(&SCO_NAMESPACE, format!("{author} {ty} {value}").as_bytes()));
    let mut o = json!({ "type": ty, "spec_version": "2.1", "id": id });
    if ty == "file" {
        o["hashes"] = json!({ "SHA-256": value });
    } else {
        o["value"] = json!(value);
    }
    o
}

/// An observed-data made when `made` (RFC 3339) by `author`, of `scos`
/// (their ids), seen `n` times over the hours before.
fn observed(author: &str, made: &str, scos: &[String], n: u64) -> serde_json::Value {
    let at = Timestamp::parse(made).map(|t| t.micros()).unwrap_or_else(|_| Timestamp::now().micros());
    let first = Timestamp::from_micros(at - (1 + n as i64 % 6) * 3_600_000_000).to_string();
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("demo observed-data {author} {made} {}", scos.join(" ")).as_bytes());
    json!({
        "type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--{id}"),
        "created": made, "modified": made, "created_by_ref": author,
        "first_observed": first, "last_observed": made, "number_observed": 1 + n % 9,
        "object_refs": scos,
        "object_marking_refs": [model::tlp::Tlp::Green.marking_id()],
    })
}

/// How long cross-node ratification may take.
const AGREE: Duration = Duration::from_secs(120);

/// One nation's node, opened in this process.
pub struct Nation {
    pub name: &'static str,
    /// Its data dir (absolute).
    pub dir: PathBuf,
    /// Its partner identity id.
    pub partner: StixId,
    pub node: Node,
    config: Config,
}

impl Nation {
    /// The nation's partner takes `action` of `module` under `agreement`
    /// as at `at`, through the service `entente module act` calls
    /// (`server::modules::act_at`: authored by the kit, stored as the
    /// partner's, its release logged on channel `cli`); the record's id.
    /// `at` lets the demo write a history of past weeks and months.
    pub fn act(&self, module: &dyn partnership::Module, agreement: &StixId, action: &str, input: Value, at: Timestamp) -> anyhow::Result<StixId> {
        let node = server::modules::Node {
            store: self.node.store.clone(),
            agreements: std::sync::Arc::new(server::release::Agreements::default()),
            log: audit::SharedLog::open(self.dir.join("release.log")).context("opening the release log")?,
            limits: model::Limits::default(),
        };
        let Value::Object(input) = input else { bail!("the input of {action} is not an object") };
        let object = server::modules::act_at(&node, &self.partner, agreement, module, action, &input, "cli", at)
            .with_context(|| format!("{}: {} {action}", self.name, module.name()))?;
        Ok(object.id().clone())
    }
}

/// The agreements the coalition ratified.
pub struct Agreements {
    pub trilateral: StixId,
    pub bilateral: StixId,
}

/// Opens (creating them the first time) the nations' stores in
/// `<dir>/<nation>`, on SQLite whatever the caller's configuration says.
/// Every write the demo makes to a store is dated by `clock` while it
/// runs (demo/history.rs).
pub fn open(dir: &std::path::Path, config: &Config, clock: &Clock) -> anyhow::Result<Vec<Nation>> {
    NATIONS
        .iter()
        .map(|&name| {
            let data = dir.join(name.to_lowercase());
            // Each node's data dir is its owner's alone from the start (0700).
            crate::cmd::datadir::prepare(&data)?;
            let data = std::fs::canonicalize(&data)?;
            let config = Config { data_dir: data.clone(), database_url: None, node_name: name.into(), ..config.clone() };
            let node = crate::cmd::open_with(&config, |store| std::sync::Arc::new(Dated::new(store, clock.clone())))?;
            let partner = StixId::parse(&node.identity.partner).map_err(anyhow::Error::msg)?;
            Ok(Nation { name, dir: data, partner, node, config })
        })
        .collect()
}

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/taxii2/")
}

/// Each node learns the other nations by their identity (with its key),
/// issues each of them a token, and then peers with their nodes (their
/// servers pull from the next second); each nation gets an admin token on
/// its own node. Returns those login tokens.
pub fn introduce(nations: &[Nation], ports: &[u16]) -> anyhow::Result<Vec<String>> {
    let mut identities = Vec::new();
    for n in nations {
        let record = n.node.store.get(&n.partner, &Versions::LAST)?.pop().with_context(|| format!("{}'s identity is not stored", n.name))?;
        identities.push(model::Object::parse(&record.json, &n.config.limits).map_err(anyhow::Error::msg)?);
    }
    let others = |x: usize| (0..nations.len()).filter(move |y| *y != x);
    for (x, n) in nations.iter().enumerate() {
        for y in others(x) {
            server::node::add_known_partner(&*n.node.store, &*n.node.registry, &identities[y])?;
        }
    }
    let now = Timestamp::now().micros();
    // tokens[x][y]: what `y`'s node issued to nation `x`, kept by `x`'s node as its peer credential.
    let mut tokens = vec![vec![String::new(); nations.len()]; nations.len()];
    for (x, n) in nations.iter().enumerate() {
        for y in others(x) {
            let (token, record) = server::auth::issue(n.partner.as_str(), "demo peer", Role::Analyst, now, None);
            nations[y].node.registry.put_token(&record)?;
            tokens[x][y] = token;
        }
    }
    for (x, n) in nations.iter().enumerate() {
        let secrets = server::peers::PeerSecrets::in_data_dir(&n.dir);
        for y in others(x) {
            let other = &nations[y];
            server::peers::add(&*n.node.registry, &secrets, &url(ports[y]), other.partner.as_str(), &tokens[x][y], None)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{} peering with {}", n.name, other.name))?;
        }
    }
    Ok(nations
        .iter()
        .map(|n| {
            let (token, record) = server::auth::issue(n.partner.as_str(), "demo", Role::Admin, now, None);
            n.node.registry.put_token(&record).map(|()| token)
        })
        .collect::<Result<_, _>>()?)
}

/// A liaison officer's and an analyst's token for each nation on its own node.
pub fn people(nations: &[Nation]) -> anyhow::Result<Vec<[String; 2]>> {
    let now = Timestamp::now().micros();
    let mut out = Vec::new();
    for n in nations {
        let issue = |role: Role, name: &str| -> anyhow::Result<String> {
            let (token, record) = server::auth::issue(n.partner.as_str(), name, role, now, None);
            n.node.registry.put_token(&record)?;
            Ok(token)
        };
        out.push([issue(Role::Liaison, "demo liaison")?, issue(Role::Analyst, "demo analyst")?]);
    }
    Ok(out)
}

/// Points each node's peers at the ports given now (a reused demo may run
/// on other ports than it was set up on): a peer whose URL changed is
/// removed and added again with the same credential.
pub fn repoint(nations: &[Nation], ports: &[u16]) -> anyhow::Result<()> {
    for n in nations {
        let secrets = server::peers::PeerSecrets::in_data_dir(&n.dir);
        for peer in n.node.registry.peers()? {
            let Some(y) = nations.iter().position(|o| o.partner.as_str() == peer.partner) else { continue };
            if peer.url == url(ports[y]) {
                continue;
            }
            let token = secrets.read(&peer.id).with_context(|| format!("{}: the credential of peer {}", n.name, peer.id))?;
            server::peers::remove(&*n.node.registry, &secrets, &peer.id).map_err(anyhow::Error::msg)?;
            server::peers::add(&*n.node.registry, &secrets, &url(ports[y]), &peer.partner, &token, peer.ca_pem).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

/// One sync round: `n` pulls from `from`'s node (as `entente sync` does).
pub(super) fn pull(n: &Nation, from: &Nation) -> anyhow::Result<()> {
    let peer = n.node.registry.peers()?.into_iter().find(|p| p.partner == from.partner.as_str());
    let peer = peer.with_context(|| format!("{} has no peer for {}", n.name, from.name))?;
    let secrets = server::peers::PeerSecrets::in_data_dir(&n.dir);
    server::sync::pull(&*n.node.store, &*n.node.registry, &secrets, &peer, &n.partner, &n.config.limits)
        .map_err(|e| anyhow::anyhow!("{} pulling from {}: {e}", n.name, from.name))?;
    Ok(())
}

/// Whether `n`'s node holds the agreement, and in force.
fn state(n: &Nation, agreement: &StixId) -> anyhow::Result<Option<policy::AgreementState>> {
    let book = Book::load(&*n.node.store)?;
    Ok(book.view(agreement, &n.partner, &Timestamp::now()).ok().map(|v| v.state))
}

/// Pulls (`pairs`: puller, peer) until `done`, or fails after a while.
pub fn pull_until(nations: &[Nation], pairs: &[(usize, usize)], stop: &Stop, what: &str, done: impl Fn() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = Instant::now() + AGREE;
    loop {
        for &(x, y) in pairs {
            pull(&nations[x], &nations[y])?;
        }
        if done()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what}: not done after {} s", AGREE.as_secs());
        }
        // The peers' servers reread agreements at most every INDEX_TTL.
        stop.sleep(Duration::from_millis(250))?;
    }
}

/// Aurelia proposes a trilateral agreement and a bilateral one with
/// Borealis and ratifies both; the others pull them, ratify on their own
/// nodes, and every node pulls the ratifications until both agreements are
/// in force on each of their parties' nodes.
pub fn agree(nations: &[Nation], stop: &Stop) -> anyhow::Result<Agreements> {
    let terms = |title: &str, purpose: &str, parties: &[Nation]| -> serde_json::Map<String, Value> {
        let v = json!({
            "title": title, "purpose": purpose,
            "party_refs": parties.iter().map(|n| n.partner.as_str()).collect::<Vec<_>>(),
            "scope": {"object_types": [], "labels": [], "data_kind": "real"}, "tlp_ceiling": "amber",
            "handling": {"reshare": "none", "attribution": "required", "permitted_actions": []},
            "valid_from": "2025-01-01T00:00:00Z",
            "meeting_cadence": [{"meeting_type": "senior-dialogue", "every_months": 3}],
            // A dispute that reaches arbitration suspends sharing until it is settled.
            "dispute_terms": {"remedies": [{"from": "arbitration", "effect": "suspend-sharing"}]}
        });
        v.as_object().cloned().unwrap_or_default()
    };
    let a = &nations[0];
    let names = |ns: &[Nation]| ns.iter().map(|n| n.name).collect::<Vec<_>>().join("–");
    // Each agreement, then its ratification: a peer reading them never sees a ratification before its agreement.
    let mut ids = Vec::new();
    let proposals = [
        (nations, "share threat intelligence across the coalition"),
        (&nations[..BILATERAL_PARTIES], "share what concerns the two alone"),
    ];
    for (parties, purpose) in proposals {
        let agreement = server::agreements::propose(&*a.node.store, &a.partner, None, &terms(&names(parties), purpose, parties), &a.node.modules)?;
        server::agreements::ratify(&*a.node.store, &a.node.keys, &a.partner, &agreement.id)?;
        ids.push(agreement.id);
    }
    let agreements = Agreements { trilateral: ids[0].clone(), bilateral: ids[1].clone() };
    let parties = |i: usize| -> Vec<&StixId> {
        let mut v = vec![&agreements.trilateral];
        if i < BILATERAL_PARTIES {
            v.push(&agreements.bilateral);
        }
        v
    };
    pull_until(nations, &[(1, 0), (2, 0)], stop, "the agreements reaching Borealis and Caledonia", || {
        for (i, n) in nations.iter().enumerate().skip(1) {
            for id in parties(i) {
                if state(n, id)?.is_none() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    })?;
    for (i, n) in nations.iter().enumerate().skip(1) {
        for id in parties(i) {
            server::agreements::ratify(&*n.node.store, &n.node.keys, &n.partner, id)?;
        }
    }
    let pairs: Vec<(usize, usize)> = (0..3).flat_map(|x| (0..3).filter(move |y| *y != x).map(move |y| (x, y))).collect();
    pull_until(nations, &pairs, stop, "the agreements coming into force on every node", || {
        for (i, n) in nations.iter().enumerate() {
            for id in parties(i) {
                if state(n, id)? != Some(policy::AgreementState::InForce) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    })?;
    Ok(agreements)
}

/// A stable hash of an id, to split objects between the agreements
/// (every version of an object goes the same way).
fn bucket(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h % 100
}

/// The share of each nation's objects made in the nine months before the
/// last 90 days (the rest within them).
const OLDER_PERCENT: u64 = 30;

/// What one nation stored.
pub struct Stored {
    pub objects: u64,
    /// Of which shared under the bilateral agreement alone.
    pub bilateral: u64,
}

/// The days of the demo's history: the nations' objects arrive over the
/// last this many days (to two days ago).
pub const HISTORY_DAYS: i64 = 90;

/// One nation's intelligence as it is generated, day by day.
struct Author {
    g: Generator,
    first: serde_json::Value,
    first_id: String,
    /// Generated, not yet shared: made after the day being written.
    next: Option<serde_json::Value>,
    made: u64,
    objects: u64,
    older: u64,
    now: i64,
    batches: [Vec<model::Object>; 2],
    counts: Stored,
    reports: Reports,
    /// Observed-data on every this many objects ([`OBSERVE_EVERY`]).
    observe_every: u64,
}

impl Author {
    /// The next object (the first is the pooled indicator), or none once
    /// `objects` were made.
    fn make(&mut self) -> Option<serde_json::Value> {
        if let Some(v) = self.next.take() {
            return Some(v);
        }
        if self.made == self.objects {
            return None;
        }
        if self.made == self.older {
            self.g.spread(self.now - 90 * 86_400, self.now - 2 * 86_400, self.objects - self.older);
        }
        self.made += 1;
        Some(if self.made == 1 { self.first.clone() } else { self.g.object() })
    }

    /// Adds to the batches every object made before `end` (Unix seconds:
    /// its `modified`, else `created`); with `end` none, every object left.
    /// Shares a batch under its agreement once it is full.
    fn until(&mut self, n: &Nation, i: usize, agreements: &Agreements, end: Option<i64>, stop: &Stop) -> anyhow::Result<bool> {
        let author = n.partner.as_str();
        let mut any = false;
        while let Some(v) = self.make() {
            let made = v["modified"].as_str().or(v["created"].as_str()).and_then(|t| Timestamp::parse(t).ok()).map(|t| t.micros() / 1_000_000);
            if let (Some(end), Some(made)) = (end, made) {
                if made >= end {
                    self.next = Some(v);
                    break;
                }
            }
            any = true;
            let stamp = v["modified"].as_str().or(v["created"].as_str()).map(str::to_owned);
            let id = v["id"].as_str().unwrap_or_default();
            let bilateral = i < BILATERAL_PARTIES && id != self.first_id && bucket(id) < BILATERAL_PERCENT;
            let report = if bilateral { None } else { self.reports.note(&v, author) };
            self.batches[usize::from(bilateral)].push(model::Object::from_value(v).map_err(anyhow::Error::msg)?);
            self.counts.objects += 1;
            self.counts.bilateral += u64::from(bilateral);
            if let Some(r) = report {
                self.batches[0].push(model::Object::from_value(r).map_err(anyhow::Error::msg)?);
                self.counts.objects += 1;
            }
            if self.made % self.observe_every == 0 {
                if let Some(made) = stamp {
                    let k = (self.made / self.observe_every) as usize;
                    let scos: Vec<serde_json::Value> = [2 * k, 2 * k + 1].iter().map(|&j| {
                        let (ty, value) = self.g.pooled_value(j);
                        sco(author, ty, &value)
                    }).collect();
                    let ids: Vec<String> = scos.iter().map(|o| o["id"].as_str().unwrap_or_default().to_owned()).collect();
                    for o in scos.into_iter().chain([observed(author, &made, &ids, self.made)]) {
                        self.batches[0].push(model::Object::from_value(o).map_err(anyhow::Error::msg)?);
                        self.counts.objects += 1;
                    }
                }
            }
            if self.batches.iter().any(|b| b.len() >= BATCH) {
                self.flush(n, agreements, stop)?;
            }
        }
        Ok(any)
    }

    /// Shares what the batches hold, each under its agreement.
    fn flush(&mut self, n: &Nation, agreements: &Agreements, stop: &Stop) -> anyhow::Result<()> {
        for (b, agreement) in [(0, &agreements.trilateral), (1, &agreements.bilateral)] {
            if !self.batches[b].is_empty() {
                share(n, &std::mem::take(&mut self.batches[b]), agreement)?;
                stop.check()?;
            }
        }
        Ok(())
    }
}

/// Generates `objects` objects per nation (its own seed, a pool of values
/// shared by all) authored by the nation, and stores them on its node,
/// shared under the trilateral agreement or, for a share of the bilateral
/// parties' objects, the bilateral one. Each nation's first object is a
/// TLP:GREEN indicator of the same value, under the trilateral agreement:
/// returns that value (SCO type, value), each nation's indicator of it, and
/// what each nation stored.
///
/// Written as history (demo/history.rs) over the last [`HISTORY_DAYS`]
/// days: on each day, at 09:00 UTC by `clock`, each nation shares on its
/// node what it made that day (what it made before the 90 days, on the
/// first), and at 17:00 the other nations' nodes pull it from that node's
/// server.
pub fn intelligence(nations: &[Nation], agreements: &Agreements, objects: u64, clock: &Clock, stop: &Stop) -> anyhow::Result<((String, String), Vec<String>, Vec<Stored>)> {
    let mut example = None;
    let mut indicators = Vec::new();
    let mut authors = Vec::new();
    let now = model::Timestamp::now().micros() / 1_000_000;
    for (i, n) in nations.iter().enumerate() {
        let author = n.partner.as_str();
        let mut g = Generator::authored(i as u64 + 1, author, POOL_SEED, OVERLAP, objects);
        // Made over the past year (to two days ago): the bulk over the last
        // 90 days (the dashboard and the analyst pages show them), a
        // thinner history over the nine months before (the scorecard's
        // year: every month has evidence).
        let older = objects * OLDER_PERCENT / 100;
        g.spread(now - 365 * 86_400, now - 90 * 86_400, older);
        // An address or a domain reads best in a URL path and a command line.
        let pick = (0..10).find(|&k| matches!(g.pooled_value(k).0, "ipv4-addr" | "domain-name")).unwrap_or(0);
        let (ty, value) = g.pooled_value(pick);
        example = Some((ty.to_owned(), value));
        let first = g.pooled_indicator(author, pick);
        let first_id = first["id"].as_str().unwrap_or_default().to_owned();
        indicators.push(first_id.clone());
        let every = usize::try_from(objects / 25).unwrap_or(REPORT_EVERY).clamp(40, REPORT_EVERY);
        authors.push(Author {
            g,
            first,
            first_id,
            next: None,
            made: 0,
            objects,
            older,
            now,
            batches: [Vec::new(), Vec::new()],
            counts: Stored { objects: 0, bilateral: 0 },
            reports: Reports { pending: Vec::new(), written: 0, every },
            observe_every: (objects / 30).clamp(10, OBSERVE_EVERY),
        });
    }
    // Each server re-offers an agreement's collection the first time it is
    // read in a period in force, dating its members now (docs/taxii.md):
    // a first round of pulls has it done while the collections are empty,
    // before the history.
    pull_all(nations, |_| true)?;
    let today = now - now % 86_400;
    let days = HISTORY_DAYS - 1;
    let mut reactions: Vec<Reactions> = nations.iter().map(|_| Reactions::default()).collect();
    let mut reacted = vec![false; nations.len()];
    for day in 0..days {
        let start = today - HISTORY_DAYS * 86_400 + day * 86_400;
        // The last day takes whatever is left.
        let end = (day + 1 < days).then_some(start + 86_400);
        clock.set(start * 1_000_000 + 9 * DAY / 24);
        let mut shared = Vec::new();
        for (i, (n, a)) in nations.iter().zip(&mut authors).enumerate() {
            let any = a.until(n, i, agreements, end, stop)?;
            a.flush(n, agreements, stop)?;
            shared.push(any);
        }
        clock.set(start * 1_000_000 + 17 * DAY / 24);
        pull_all(nations, |y| shared[y] || reacted[y])?;
        // At 18:00, each nation's sightings and notes of what it received,
        // dated by then (pulled by the others the next day).
        clock.set(start * 1_000_000 + 18 * DAY / 24);
        let until = match end {
            Some(end) => end * 1_000_000,
            None => start * 1_000_000 + DAY,
        };
        for (n, r) in nations.iter().zip(&mut reactions) {
            r.received(n, nations)?;
        }
        reacted = nations.iter().zip(&mut reactions).map(|(n, r)| r.write(n, agreements, until)).collect::<anyhow::Result<_>>()?;
        stop.check()?;
    }
    // What is dated after the history's last day: written now.
    clock.stop();
    let now = model::Timestamp::now().micros();
    for (n, r) in nations.iter().zip(&mut reactions) {
        r.write(n, agreements, now)?;
    }
    Ok((example.unwrap_or_default(), indicators, authors.into_iter().map(|a| a.counts).collect()))
}

/// Each nation's node pulls from every other whose node `from` names,
/// the nations side by side (each writes only its own store).
fn pull_all(nations: &[Nation], from: impl Fn(usize) -> bool + Sync) -> anyhow::Result<()> {
    std::thread::scope(|s| {
        let rounds: Vec<_> = (0..nations.len())
            .map(|x| {
                let from = &from;
                s.spawn(move || -> anyhow::Result<()> {
                    for y in (0..nations.len()).filter(|y| *y != x && from(*y)) {
                        pull(&nations[x], &nations[y])?;
                    }
                    Ok(())
                })
            })
            .collect();
        rounds.into_iter().try_for_each(|r| r.join().map_err(|_| anyhow::anyhow!("a pull panicked"))?)
    })
}

/// One nation's sightings and notes of its partners' indicators
/// ([`super::scorecard::reaction`]), made as they arrive and written in
/// date order.
#[derive(Default)]
struct Reactions {
    /// The latest `date_added` read.
    read: Option<i64>,
    /// The indicators already reacted to.
    seen: std::collections::HashSet<String>,
    /// Made, not yet written: (date, object).
    pending: Vec<(i64, model::Object)>,
}

impl Reactions {
    /// Reads the partners' indicators that arrived on `n`'s node since the
    /// last read, and makes its reactions to them.
    fn received(&mut self, n: &Nation, nations: &[Nation]) -> anyhow::Result<()> {
        let partners: Vec<String> = nations.iter().filter(|m| m.partner != n.partner).map(|m| m.partner.to_string()).collect();
        let q = Query { types: vec!["indicator".into()], authors: partners, versions: Versions::ALL, added_after: self.read, ..Query::default() };
        let (mut read, mut made) = (self.read, Vec::new());
        n.node.store.scan(&q, &mut |r| {
            read = Some(r.date_added.0);
            if self.seen.insert(r.id.clone()) {
                made.extend(super::scorecard::reaction(&n.partner, &r));
            }
            Ok(())
        })?;
        self.read = read;
        self.pending.extend(made);
        Ok(())
    }

    /// Writes, in date order, the reactions dated before `until`
    /// (microseconds) on `n`'s node, shared under the trilateral agreement.
    /// Whether it wrote any.
    fn write(&mut self, n: &Nation, agreements: &Agreements, until: i64) -> anyhow::Result<bool> {
        self.pending.sort_by_key(|(when, _)| *when);
        let due = self.pending.partition_point(|(when, _)| *when < until);
        let batch: Vec<model::Object> = self.pending.drain(..due).map(|(_, o)| o).collect();
        for chunk in batch.chunks(BATCH) {
            share(n, chunk, &agreements.trilateral)?;
        }
        Ok(!batch.is_empty())
    }
}

/// Stores `objects` authored by the nation, shared under `agreement`.
fn share(n: &Nation, objects: &[model::Object], agreement: &StixId) -> anyhow::Result<()> {
    let options = PutOptions {
        posted_by: Some(n.partner.to_string()),
        shares: vec![agreement.to_string()],
        only_author: true,
        // The SCOs its observed-data refer to name no author: the nation's.
        holds_sources: true,
        ..PutOptions::default()
    };
    for outcome in n.node.store.put(objects, &options)? {
        if let store::Outcome::Conflict(why) | store::Outcome::NotAuthor(why) = outcome {
            bail!("{}: {why}", n.name);
        }
    }
    Ok(())
}

/// One version: its id and version time.
pub type Version = (String, i64);

/// Versions authored by `author` in `n`'s store (its identity left out:
/// every node knows it apart from sync), through `gate` if given.
fn authored_by(n: &Nation, author: &StixId, gate: Option<store::Gate>) -> anyhow::Result<std::collections::HashSet<Version>> {
    let q = Query { authors: vec![author.to_string()], versions: Versions::ALL, gate, ..Query::default() };
    let mut versions = std::collections::HashSet::new();
    n.node.store.scan(&q, &mut |r| {
        // A received SCO names no author on the receiving node (STIX gives
        // it none): like identities, not counted on either side.
        if r.object_type != "identity" && model::category_of(&r.object_type) != Some(model::Category::Sco) {
            versions.insert((r.id, r.version_micros));
        }
        Ok(())
    })?;
    Ok(versions)
}

/// `[x][y]`: the versions authored by nation `y` its node releases to
/// nation `x` now (what `x`'s node will hold of `y`'s once synced).
pub fn expected(nations: &[Nation]) -> anyhow::Result<Vec<Vec<std::collections::HashSet<Version>>>> {
    let mut out = vec![vec![std::collections::HashSet::new(); nations.len()]; nations.len()];
    for (y, author) in nations.iter().enumerate() {
        let index = server::release::Agreements::default().index(&*author.node.store)?;
        for (x, reader) in nations.iter().enumerate().filter(|(x, _)| *x != y) {
            let reader = server::release::Reader::new(reader.partner.clone(), index.clone(), server::release::Through::AnyShare);
            out[x][y] = authored_by(author, &author.partner, Some(reader.gate()))?;
        }
    }
    Ok(out)
}

/// How many of the versions `expected` (`[x][y]`, as [`expected`] gives
/// them) are not `held` ([`held`]): by id and version, so that versions
/// held but no longer released (a suspended or amended agreement) do not
/// make up for versions still to come, as a count would.
pub fn missing(expected: &[Vec<std::collections::HashSet<Version>>], held: &[Vec<std::collections::HashSet<Version>>]) -> usize {
    expected.iter().zip(held).flat_map(|(e, h)| e.iter().zip(h)).map(|(e, h)| e.difference(h).count()).sum()
}

/// `[x][y]`: the versions authored by nation `y` nation `x`'s node holds.
pub fn held(nations: &[Nation]) -> anyhow::Result<Vec<Vec<std::collections::HashSet<Version>>>> {
    let mut out = vec![vec![std::collections::HashSet::new(); nations.len()]; nations.len()];
    for (x, n) in nations.iter().enumerate() {
        for (y, author) in nations.iter().enumerate().filter(|(y, _)| *y != x) {
            out[x][y] = authored_by(n, &author.partner, None)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn versions_held_but_no_longer_released_do_not_make_up_for_missing_ones() {
        let v = |id: &str, t: i64| (id.to_owned(), t);
        let expected = vec![vec![HashSet::new(), HashSet::from([v("indicator--1", 1), v("relationship--2", 1)])], vec![HashSet::new(), HashSet::new()]];
        // As many held as expected, one of them an older version no longer released.
        let held = vec![vec![HashSet::new(), HashSet::from([v("indicator--1", 1), v("indicator--1", 0)])], vec![HashSet::new(), HashSet::new()]];
        assert_eq!(super::missing(&expected, &held), 1);
        let held = vec![vec![HashSet::new(), HashSet::from([v("indicator--1", 1), v("indicator--1", 0), v("relationship--2", 1)])], vec![HashSet::new(), HashSet::new()]];
        assert_eq!(super::missing(&expected, &held), 0);
    }
}
