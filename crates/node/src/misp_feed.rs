//! The MISP feed one partner's MISP pulls from this node (issue 25, "MISP
//! export ... served per partner with its token"): `manifest.json`,
//! `hashes.csv` and one `<uuid>.json` per event, in MISP's feed layout,
//! made by the `misp` crate from what the release decision gives that
//! partner now.
//!
//! Every answer goes out through the one read path ([`crate::read`]) on
//! channel [`CHANNEL`]: the manifest and the hashes are made from every
//! latest version the partner may see, released and logged as an export
//! is (an entry per thousand versions); an event file is made from exactly
//! the versions that event is made of (its report, members and sightings),
//! which are decided again and logged as one entry before the event is
//! made from them alone. An event the partner may not see (or none of that
//! uuid) is a not-found, logged as a refused request.

use serde_json::Value;
use store::{Query, Record, Store, Versions};

use crate::read::Out;
use crate::{Error, Result};

/// The release log's name for this path out.
pub const CHANNEL: &str = "misp-feed";

/// One file of the feed, as its name asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum File {
    /// `manifest.json`: every event's uuid and summary.
    Manifest,
    /// `hashes.csv`: the MD5 of every attribute value, with its event.
    Hashes,
    /// `<uuid>.json`: one event.
    Event(String),
}

impl File {
    /// The file a request names (`manifest.json`, `hashes.csv`,
    /// `<uuid>.json`); `None` for anything else.
    pub fn parse(name: &str) -> Option<File> {
        match name {
            "manifest.json" => Some(File::Manifest),
            "hashes.csv" => Some(File::Hashes),
            _ => {
                let uuid = name.strip_suffix(".json")?;
                let parsed = uuid::Uuid::parse_str(uuid).ok()?;
                // MISP names files by the hyphenated lower-case form only.
                (parsed.hyphenated().to_string() == uuid).then(|| File::Event(uuid.to_owned()))
            }
        }
    }
}

/// One answer: its media type and bytes.
#[derive(Debug)]
pub struct Answer {
    /// `application/json` or `text/csv`.
    pub content_type: &'static str,
    /// The file's bytes.
    pub body: Vec<u8>,
}

/// The feed as the reader of `out` sees it now, as events made by `org`,
/// dated `today` (`YYYY-MM-DD`, the observables event's date).
pub fn answer(store: &dyn Store, out: Out<'_>, org: &misp::Org, today: &str, file: &File) -> Result<Answer> {
    let key = out.reader.partner.to_string();
    match file {
        File::Manifest | File::Hashes => {
            let mut objects = Vec::new();
            out.stream(store, latest(), 1000, &mut |r| {
                objects.push(parse(r)?);
                Ok(())
            })?;
            let export = misp::stix_to_events(&objects, org, &key, today);
            if *file == File::Manifest {
                let manifest = misp::feed::manifest(&export.events).map_err(|e| Error::Internal(e.to_string()))?;
                Ok(Answer { content_type: "application/json", body: to_vec(&manifest)? })
            } else {
                let csv = misp::feed::hashes(&export.events).map_err(|e| Error::Internal(e.to_string()))?;
                Ok(Answer { content_type: "text/csv; charset=utf-8", body: csv.into_bytes() })
            }
        }
        File::Event(uuid) => {
            let not_found = "no such event in this partner's feed";
            // Which versions the event is made of: read through the gate
            // (nothing of it goes out from here), then released alone.
            let mut read: Vec<(Record, Value)> = Vec::new();
            let mut query = latest();
            query.gate = Some(out.reader.gate());
            store.scan(&query, &mut |r| {
                let v = parse(&r)?;
                read.push((r, v));
                Ok(())
            })?;
            let objects: Vec<Value> = read.iter().map(|(_, v)| v.clone()).collect();
            let export = misp::stix_to_events(&objects, org, &key, today);
            let Some(i) = export.events.iter().position(|e| e["Event"]["uuid"].as_str() == Some(uuid)) else {
                return Err(refuse(out, uuid, not_found));
            };
            let wanted: std::collections::HashSet<&str> = export.sources[i].iter().map(String::as_str).collect();
            let records: Vec<Record> = read.into_iter().filter(|(r, _)| wanted.contains(r.id.as_str())).map(|(r, _)| r).collect();
            let released = out.records(records)?.into_inner();
            let objects = released.iter().map(parse).collect::<std::result::Result<Vec<_>, _>>().map_err(Error::Internal)?;
            let export = misp::stix_to_events(&objects, org, &key, today);
            let event = export.events.into_iter().find(|e| e["Event"]["uuid"].as_str() == Some(uuid));
            let event = event.ok_or_else(|| Error::NotFound(not_found.to_owned()))?;
            Ok(Answer { content_type: "application/json", body: to_vec(&event)? })
        }
    }
}

/// The latest version of every object (the gate picks, per object, the
/// latest the reader may see).
fn latest() -> Query {
    Query { versions: Versions::LAST, ..Query::default() }
}

fn parse(r: &Record) -> std::result::Result<Value, String> {
    serde_json::from_slice(&r.json).map_err(|e| format!("stored {}: {e}", r.id))
}

fn to_vec(v: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Internal(e.to_string()))
}

/// A request for an event not in the reader's feed: logged as a
/// refused request (the reason names the uuid asked for).
fn refuse(out: Out<'_>, uuid: &str, not_found: &str) -> Error {
    let reason = format!("request for MISP event {uuid}: not in the recipient's feed");
    match out.log.append(audit::Draft::deny(out.reader.partner.clone(), out.channel, &reason, Vec::new())) {
        Ok(_) => Error::NotFound(not_found.to_owned()),
        Err(e) => Error::Log(e.to_string()),
    }
}

/// The feed's `Org` for a node whose partner is `partner` named `name`.
pub fn org(name: &str, partner: &str) -> misp::Org {
    misp::Org { name: name.to_owned(), uuid: partner.split_once("--").map(|(_, u)| u.to_owned()) }
}
