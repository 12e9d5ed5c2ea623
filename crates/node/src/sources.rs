//! Feeds a node pulls on a schedule (issue 25, "scheduled feed pulls" and
//! "other feeds"): each [`Source`] of the configuration (`[[sources]]` in
//! `entente.toml`) is a URL serving a MISP feed, a STIX bundle or a plain
//! or CSV list of values, pulled every `interval` seconds. What it serves is
//! converted here to STIX, held by the node's partner (the source's own
//! identity stays the named author: docs/sources.md#sourced-intelligence),
//! marked with the source's TLP where it carries none, and stored through
//! the one write path ([`crate::Node::put_from`]); the store's idempotence
//! on id and version de-duplicates (a value of a list gets the same id on
//! every pull).
//!
//! This module holds the rules and the conversions; it fetches nothing.
//! The server's loop fetches with the outbound URL guard ([`guard`]) and
//! bounded size and time, and keeps each source's [`Status`] (last pull,
//! counts, error) in the data directory ([`Statuses`]), which `entente
//! sources` prints.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use model::Timestamp;
use policy::PartnerId;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::write::{Fate, To};
use crate::Node;

/// What a source serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A MISP feed: `<url>/manifest.json` and `<url>/<uuid>.json`.
    Misp,
    /// A STIX 2.1 bundle (or a JSON list of objects).
    Stix,
    /// One value a line (IP, domain, URL, e-mail, hash), or a CSV column
    /// of them (`column`); `#` starts a comment line.
    Csv,
    /// A TAXII 2.1 collection of another server: `url` is its API root,
    /// `collection` the collection's id; read page by page from the cursor
    /// of the last pull (`added_after`), as a client, without the partner
    /// rules of sync (the node's partner holds what it gives).
    Taxii,
}

/// One source, as the configuration names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Its name: unique, shown in `entente sources` and used for the
    /// source's identity and the ids of the indicators made from a list.
    pub name: String,
    /// What it serves.
    pub kind: Kind,
    /// Where: `http://` or `https://`.
    pub url: String,
    /// Seconds between pulls (at least 60; default 3600).
    #[serde(default = "default_interval")]
    pub interval: u64,
    /// The TLP put on what carries none (default `amber`).
    #[serde(default)]
    pub tlp: Option<String>,
    /// The agreements to share what it gives under (ids).
    #[serde(default)]
    pub share: Vec<String>,
    /// For `csv`: the column holding the value, from 0.
    #[serde(default)]
    pub column: usize,
    /// Addresses the URL may resolve to although they are loopback,
    /// private or link-local (a feed inside the CERT's own network), each
    /// named exactly (`["10.1.2.3"]`). None by default.
    #[serde(default)]
    pub allow: Vec<IpAddr>,
    /// For `taxii`: the collection's id at the API root `url`.
    #[serde(default)]
    pub collection: Option<String>,
    /// The environment variable holding the credential the server wants:
    /// `Bearer TOKEN`, `Basic USER:PASSWORD`, or a bare token (sent as
    /// Bearer). Never in the configuration file itself. None: no credential.
    #[serde(default)]
    pub credential_env: Option<String>,
}

fn default_interval() -> u64 {
    3600
}

/// The shortest interval a source may have.
pub const MIN_INTERVAL: u64 = 60;

impl Source {
    /// Checks what the configuration says of it; the error names the
    /// source and the field.
    pub fn check(&self) -> Result<(), String> {
        let bad = |field: &str, why: String| Err(format!("sources: {:?}: `{field}`: {why}", self.name));
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            return Err(format!("sources: {:?}: `name`: must be non-empty text", self.name));
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return bad("url", format!("{:?} is not an http:// or https:// URL", self.url));
        }
        if self.interval < MIN_INTERVAL {
            return bad("interval", format!("{} s is under the minimum of {MIN_INTERVAL} s", self.interval));
        }
        if let Some(t) = &self.tlp {
            if model::tlp::Tlp::parse(t).is_none() {
                return bad("tlp", format!("{t:?} is not a TLP level (clear, green, amber, amber+strict, red)"));
            }
        }
        match (&self.kind, &self.collection) {
            (Kind::Taxii, None) => return bad("collection", "is required for a taxii source: the collection's id at the API root `url`".into()),
            (Kind::Taxii, Some(c)) if c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
                return bad("collection", format!("{c:?} is not a collection id (letters, digits and hyphens)"));
            }
            (Kind::Taxii, Some(_)) => {}
            (_, Some(_)) => return bad("collection", "is only for a taxii source".into()),
            (_, None) => {}
        }
        if let Some(v) = &self.credential_env {
            if v.is_empty() || !v.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
                return bad("credential_env", format!("{v:?} is not an environment variable's name"));
            }
        }
        Ok(())
    }

    /// The `Authorization` header's value, from the environment variable
    /// the source names (`credential_env`): none when it names none; an
    /// error naming the variable when it is unset or not one line.
    pub fn authorization(&self) -> Result<Option<String>, String> {
        let Some(name) = &self.credential_env else { return Ok(None) };
        let value = std::env::var(name).map_err(|_| format!("`credential_env`: the environment variable {name} is not set"))?;
        let value = value.trim();
        if value.is_empty() || value.contains(['\r', '\n']) {
            return Err(format!("`credential_env`: {name} must hold one line"));
        }
        if let Some(pair) = value.strip_prefix("Basic ") {
            use base64::Engine as _;
            return Ok(Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))));
        }
        Ok(Some(if value.starts_with("Bearer ") { value.to_owned() } else { format!("Bearer {value}") }))
    }

    /// The TLP marking applied to what carries none.
    pub fn marking(&self) -> &'static str {
        self.tlp.as_deref().and_then(model::tlp::Tlp::parse).unwrap_or(model::tlp::Tlp::Amber).marking_id()
    }

    /// The source's own identity: the named author of what a list gives.
    pub fn identity(&self) -> Value {
        json!({
            "type": "identity", "spec_version": "2.1", "id": self.identity_id(),
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
            "name": self.name, "identity_class": "organization",
            "external_references": [{ "source_name": "feed", "url": self.url }],
        })
    }

    fn identity_id(&self) -> String {
        format!("identity--{}", uuid::Uuid::new_v5(&NAMESPACE, format!("source|{}", self.name).as_bytes()))
    }
}

/// The namespace of the ids made here (fixed: a re-pull gives the same ids).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x2b7e_51a0_64c9_4d13_9f02_8ac4_d1e7_3f95);

/// Whether a source is due at `now`: never pulled, or `interval` seconds
/// after the last attempt began.
pub fn due(source: &Source, status: Option<&Status>, now: &Timestamp) -> bool {
    // An unreadable time (a hand-edited status file) counts as never.
    match status.and_then(|s| s.last_attempt.as_deref()).and_then(|t| Timestamp::parse(t).ok()) {
        None => true,
        Some(last) => now.micros() - last.micros() >= (source.interval as i64).saturating_mul(1_000_000),
    }
}

/// The outbound URL guard's rule on one address: a loopback, private,
/// link-local, unspecified, multicast or cloud metadata address is refused
/// unless the source names it in `allow`.
pub mod guard {
    use super::IpAddr;

    /// `Err(why)` when a fetch may not connect to `ip`.
    pub fn check(ip: IpAddr, allow: &[IpAddr]) -> Result<(), String> {
        if allow.contains(&ip) {
            return Ok(());
        }
        let why = match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                if v4.is_loopback() {
                    Some("loopback")
                } else if v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                    Some("private")
                } else if v4.is_link_local() {
                    Some("link-local (cloud metadata)")
                } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || o[0] == 0 || o[0] >= 240 {
                    Some("not a unicast address")
                } else {
                    None
                }
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return check(IpAddr::V4(v4), &[]).map_err(|e| format!("{ip} (mapped): {e}"));
                }
                if v6.is_loopback() {
                    Some("loopback")
                } else if v6.is_unspecified() || v6.is_multicast() {
                    Some("not a unicast address")
                } else if (s[0] & 0xfe00) == 0xfc00 {
                    Some("private (unique local)")
                } else if (s[0] & 0xffc0) == 0xfe80 {
                    Some("link-local")
                } else if s[0] == 0xfd00 && s[1] == 0x0ec2 {
                    Some("cloud metadata")
                } else {
                    None
                }
            }
        };
        match why {
            Some(w) => Err(format!("{ip} is a {w} address; a source reaches it only when its `allow` names it")),
            None => Ok(()),
        }
    }
}

/// What one pull of a source did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// When the last pull began (RFC 3339).
    pub last_attempt: Option<String>,
    /// When a pull last succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// Objects the last pull offered to the store.
    pub offered: usize,
    /// Of those, new versions stored.
    pub added: usize,
    /// Of those, already stored (unchanged).
    pub unchanged: usize,
    /// Items refused (an event, a line, an object), each counted.
    pub refused: usize,
    /// The first refusals' messages (at most 20).
    pub refusals: Vec<String>,
    /// Why the last pull failed as a whole, if it did.
    pub error: Option<String>,
    /// Pulls since the node started counting.
    pub pulls: u64,
    /// For a `taxii` source: the `X-TAXII-Date-Added-Last` of the last
    /// page stored, read from next (`added_after`).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The refusals a status keeps in full.
const REFUSALS_KEPT: usize = 20;

impl Status {
    /// Notes a refusal.
    pub fn refuse(&mut self, message: String) {
        self.refused += 1;
        if self.refusals.len() < REFUSALS_KEPT {
            self.refusals.push(message);
        }
    }
}

/// Every source's status, by name, kept as one JSON file in the data
/// directory (`sources.json`), written whole after each pull.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Statuses {
    /// By source name.
    pub sources: BTreeMap<String, Status>,
}

impl Statuses {
    /// The file in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("sources.json")
    }

    /// Reads the file (none yet: empty).
    pub fn load(data_dir: &Path) -> std::io::Result<Statuses> {
        match std::fs::read(Self::path(data_dir)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Statuses::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the file whole (a temporary file renamed over it).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        let path = Self::path(data_dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        std::fs::rename(tmp, path)
    }
}

/// The largest number of events one pull of a MISP feed reads.
pub const MAX_EVENTS: usize = 10_000;

/// The event files a MISP feed's `manifest.json` lists, in its order (at
/// most [`MAX_EVENTS`]); an error names what is wrong with the manifest.
pub fn misp_manifest(bytes: &[u8]) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("manifest.json: not JSON: {e}"))?;
    let Value::Object(m) = v else { return Err("manifest.json: not a JSON object of event uuids".into()) };
    let mut out = Vec::new();
    for key in m.keys().take(MAX_EVENTS) {
        let uuid = uuid::Uuid::parse_str(key).map_err(|_| format!("manifest.json: key {key:?} is not an event uuid"))?;
        out.push(uuid.hyphenated().to_string());
    }
    Ok(out)
}

/// The STIX objects (raw JSON) of one MISP event file, authored by
/// `holder` with the MISP organisation kept as a reference (the `misp`
/// crate's mapping); refused attributes are noted in `status`.
pub fn from_misp_event(bytes: &[u8], name: &str, holder: &PartnerId, status: &mut Status) -> Result<Vec<Vec<u8>>, String> {
    let (event, refusals) = misp::Event::from_json(bytes, name).map_err(|e| e.to_string())?;
    let conversion = misp::event_to_stix(&event, holder);
    for r in refusals.iter().chain(&conversion.refusals) {
        status.refuse(format!("{name}: {r}"));
    }
    Ok(conversion.objects.iter().map(|o| o.json().to_vec()).collect())
}

/// The objects of a STIX bundle (or a JSON list of objects), as raw JSON;
/// not a bundle is an error (nothing of it is stored).
pub fn from_stix(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let objects = match &v {
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("bundle") => {
            m.get("objects").and_then(Value::as_array).ok_or("the bundle has no `objects` list")?
        }
        Value::Array(items) => items,
        _ => return Err("neither a STIX bundle nor a JSON list of objects".into()),
    };
    objects.iter().map(|o| serde_json::to_vec(o).map_err(|e| e.to_string())).collect()
}

/// The objects of one page of a TAXII 2.1 collection (its envelope:
/// `objects`, `more`, `next`), each as JSON, with whether more follow and
/// the `next` to ask for them by.
pub fn from_taxii_envelope(bytes: &[u8]) -> Result<(Vec<Vec<u8>>, bool, Option<String>), String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(m) = &v else { return Err("not a TAXII envelope (a JSON object)".into()) };
    let objects = match m.get("objects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|o| serde_json::to_vec(o).map_err(|e| e.to_string())).collect::<Result<_, _>>()?,
        Some(_) => return Err("the envelope's `objects` is not a list".into()),
    };
    let more = match m.get("more") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("the envelope's `more` is not true or false".into()),
    };
    let next = match m.get("next") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if !n.is_empty() && n.len() <= 1024 => Some(n.clone()),
        Some(_) => return Err("the envelope's `next` is not a short string".into()),
    };
    Ok((objects, more, next))
}

/// The indicators of a list (one value a line, or column `source.column`
/// of CSV), authored by the source's identity (first in the output), each
/// with an id made of the source and the value (the same on every pull),
/// dated `now`. A line whose cell is no recognised value is refused by
/// its number; comments (`#`) and blank lines are skipped.
pub fn from_list(bytes: &[u8], source: &Source, now: &Timestamp, status: &mut Status) -> Result<Vec<Vec<u8>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let identity = source.identity();
    let author = identity["id"].as_str().unwrap_or_default().to_owned();
    let mut out = vec![serde_json::to_vec(&identity).map_err(|e| e.to_string())?];
    let stamp = now.as_str();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cell = if source.column == 0 && !line.contains(',') {
            Some(line)
        } else {
            line.split(',').nth(source.column).map(|c| c.trim().trim_matches('"'))
        };
        let Some(cell) = cell.filter(|c| !c.is_empty()) else {
            status.refuse(format!("line {}: no column {}", n + 1, source.column));
            continue;
        };
        // The cell is one value: the candidate found at its start that is all of it.
        let found = extract::extract(cell);
        let whole = extract::refang(cell);
        let single = found.len() == 1;
        let candidate = found.into_iter().find(|c| c.value.eq_ignore_ascii_case(&whole) || (single && c.at == 0));
        let Some((c, pattern)) = candidate.and_then(|c| c.pattern().map(|p| (c, p))) else {
            status.refuse(format!("line {}: {:?} is not an IP address, domain, URL, e-mail address or hash", n + 1, truncate(cell)));
            continue;
        };
        let id = format!("indicator--{}", uuid::Uuid::new_v5(&NAMESPACE, format!("{}|{}", source.name, c.value).as_bytes()));
        let o = json!({
            "type": "indicator", "spec_version": "2.1", "id": id, "created_by_ref": author,
            "created": stamp, "modified": stamp, "valid_from": stamp,
            "name": c.value, "pattern": pattern, "pattern_type": "stix", "indicator_types": ["malicious-activity"],
            "object_marking_refs": [source.marking()],
            "external_references": [{ "source_name": "feed", "url": source.url }],
        });
        out.push(serde_json::to_vec(&o).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `raw` with `marking` added when it carries no TLP marking (objects that
/// take markings: not marking definitions, and not a list's identity).
pub fn with_tlp(raw: Vec<u8>, marking: &str) -> Vec<u8> {
    let Ok(Value::Object(mut o)) = serde_json::from_slice::<Value>(&raw) else { return raw };
    if o.get("type").and_then(Value::as_str) == Some("marking-definition") {
        return raw;
    }
    let refs = o.get("object_marking_refs").and_then(Value::as_array);
    if refs.is_some_and(|r| r.iter().filter_map(Value::as_str).any(|m| model::tlp::Tlp::from_marking_id(m).is_some())) {
        return raw;
    }
    let mut list = refs.cloned().unwrap_or_default();
    list.push(json!(marking));
    o.insert("object_marking_refs".into(), Value::Array(list));
    serde_json::to_vec(&Value::Object(o)).unwrap_or(raw)
}

impl Node {
    /// Stores what a pull of `source` gave (`raws`, objects as JSON),
    /// held by `holder`, each without a TLP marked with the source's, and
    /// shared under the source's agreements; counts go to `status`. The
    /// valid rest is kept when some objects are refused. Blocking.
    pub fn store_pulled(&self, holder: &PartnerId, source: &Source, raws: Vec<Vec<u8>>, status: &mut Status) -> store::Result<()> {
        let marking = source.marking();
        let mut raws: Vec<Vec<u8>> = raws.into_iter().map(|r| with_tlp(r, marking)).collect();
        if source.kind == Kind::Csv {
            // A list's values are dated by the pull that first found them:
            // one already held is unchanged, whatever today's date says.
            let id_of = |r: &[u8]| serde_json::from_slice::<Value>(r).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
            let ids: Vec<String> = raws.iter().filter_map(|r| id_of(r)).collect();
            let mut held = std::collections::HashSet::new();
            for chunk in ids.chunks(500) {
                let query = store::Query { ids: chunk.to_vec(), versions: store::Versions::LAST, ..store::Query::default() };
                self.store.scan(&query, &mut |r| {
                    held.insert(r.id);
                    Ok(())
                })?;
            }
            raws.retain(|r| {
                let known = id_of(r).is_some_and(|id| held.contains(&id));
                if known {
                    status.offered += 1;
                    status.unchanged += 1;
                }
                !known
            });
        }
        let slices: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
        let to = To { collection: None, shares: source.share.clone(), author_unnamed: true };
        for fate in self.put_from(holder, &slices, &to)? {
            status.offered += 1;
            match fate {
                Fate::Invalid(m) => status.refuse(m),
                Fate::Offered(_, store::Outcome::Added(_)) => status.added += 1,
                Fate::Offered(_, store::Outcome::Unchanged(_)) => status.unchanged += 1,
                Fate::Offered(o, other) => status.refuse(format!("{}: {other:?}", o.id())),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
