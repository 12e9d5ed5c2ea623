//! The one release path to the public: the joint statements a node's own
//! partner co-signed, as published, for anyone (docs/security.md#the-public-path,
//! docs/partnership.md#joint-statements).
//!
//! An anonymous reader has no partner identity, so the release decision is
//! not asked on its behalf (no partner is made up for it). This path
//! decides on its own, by one rule: of the statements under agreements the
//! node's partner is party to, it releases the version the statements
//! module's state names `public_version` at `now` (the latest published
//! version, or the withdrawal of a statement once published), and only
//! when the node's partner is among that version's co-signers. Nothing
//! else goes out: no drafts, no objections, no versions not yet
//! published, no other kinds, no agreement terms. With it go the records
//! that sign it — each co-signer's approval of that exact version, and the
//! version itself (its proposer's) — and the co-signers' public keys, so
//! that anyone can check the signatures.
//!
//! The records are read through the node partner's own release gate (what
//! it may read under the agreement), never logged as released to it: the
//! release is to the public, and each answer appends one release-log
//! entry, recipient [`READER`] (a STIX id of a type no partner can have)
//! on channel [`CHANNEL`], naming every version handed out.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use model::{StixId, Timestamp};
use partnership::{consent, Context, Record, Records};
use policy::PartnerId;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use store::{ObservableKey, Query, Versions};

use crate::modules::Modules;
use crate::release::{Reader, Through};
use crate::{Error, Node, Result};

/// The channel the release log names for the public path.
pub const CHANNEL: &str = "public";

/// The release log's recipient for the public: an id of a type that is no
/// identity, so no partner (`identity--…`) can ever be it.
pub const READER: &str = "x-entente-public-reader--00000000-0000-4000-8000-000000000000";

/// The module whose published statements this path releases.
const MODULE: &str = "statements";

/// One published statement, as the public sees it.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The statement's id.
    pub id: StixId,
    /// The agreement it was made under (its id only: never its terms).
    pub agreement: StixId,
    /// The version published (its `modified`).
    pub version: Timestamp,
    /// When this version became public: its embargo, or later when its
    /// rule was met later (the last approval; the end of the silence
    /// period); a withdrawal when it was made.
    pub published: Timestamp,
    /// When the statement first became public.
    pub first_published: Timestamp,
    /// Its title, partner text.
    pub title: String,
    /// Its text, partner text.
    pub text: String,
    /// Language versions: (tag, title, text), by tag.
    pub languages: Vec<(String, String, String)>,
    /// A withdrawal of a statement once published.
    pub withdrawn: bool,
    /// Earlier published versions this one corrects (when each became public).
    pub corrects: Vec<Timestamp>,
    /// The co-signers, in the order the version names them.
    pub cosigners: Vec<Cosigner>,
    /// The version as stored: the exact JSON its proposer signed.
    pub json: String,
}

/// One co-signer of a published version, with what it signed.
#[derive(Debug, Clone)]
pub struct Cosigner {
    /// The partner.
    pub partner: PartnerId,
    /// Its public key (base64 of the 32 Ed25519 bytes), if the node knows it.
    pub key: Option<String>,
    /// The SHA-256 of the key's 32 bytes, hex, in groups of four.
    pub fingerprint: Option<String>,
    /// The records it signed for this version: its approval of the exact
    /// version (unanimity) and, for the proposer, the version itself.
    pub signed: Vec<Signed>,
}

/// One record a co-signer signed, its signature and whether it checks out.
#[derive(Debug, Clone)]
pub struct Signed {
    /// What it is: `approval` or `statement`.
    pub what: &'static str,
    /// The record's id.
    pub id: StixId,
    /// The record's version.
    pub version: String,
    /// The record as stored, the exact JSON signed (in its RFC 8785 form).
    pub json: String,
    /// The provenance signature (`m1.…`, `policy::provenance`), if the
    /// node has one.
    pub signature: Option<String>,
    /// Whether the signature verifies with the co-signer's key here.
    pub verified: bool,
}

/// Every statement published for the node's partner `me`, newest first,
/// without the signed records (a list or a feed shows none: each
/// [`Cosigner::signed`] is empty, and nothing is signed for it); the
/// release logged as one entry. Blocking.
pub fn statements(node: &Node, modules: &Modules, me: &PartnerId, now: Timestamp) -> Result<Vec<Statement>> {
    let mut all = collect(node, modules, me, &now, None, false)?;
    all.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.id.as_str().cmp(b.id.as_str())));
    log(node, &all)?;
    Ok(all)
}

/// The published statement `id`, with the records that sign it; not found
/// (nothing logged: nothing went out) when there is none for `me`.
/// Blocking.
pub fn statement(node: &Node, modules: &Modules, me: &PartnerId, id: &StixId, now: Timestamp) -> Result<Statement> {
    let found = collect(node, modules, me, &now, Some(id), true)?.pop().ok_or_else(|| Error::NotFound("no such published statement".into()))?;
    log(node, std::slice::from_ref(&found))?;
    Ok(found)
}

/// Appends the release of `statements` (each published version and the
/// records that sign it) to the public.
fn log(node: &Node, statements: &[Statement]) -> Result<()> {
    let mut items = audit::Items::with_capacity(statements.len() * 3);
    for s in statements {
        items.push_stored(s.id.as_str(), s.version.as_str(), Some(&s.agreement)).map_err(Error::Log)?;
        for signed in s.cosigners.iter().flat_map(|c| &c.signed).filter(|x| x.what != "statement") {
            items.push_stored(signed.id.as_str(), &signed.version, Some(&s.agreement)).map_err(Error::Log)?;
        }
    }
    if items.is_empty() {
        return Ok(());
    }
    let reader = StixId::parse(READER).map_err(Error::Internal)?;
    node.log.append(audit::Draft::release(reader, CHANNEL, items)).map(|_| ()).map_err(|e| Error::Log(e.to_string()))
}

fn collect(node: &Node, modules: &Modules, me: &PartnerId, now: &Timestamp, only: Option<&StixId>, signed: bool) -> Result<Vec<Statement>> {
    let Some(module) = modules.iter().find(|m| m.name() == MODULE).cloned() else { return Ok(Vec::new()) };
    let index = node.agreements.index(&*node.store)?;
    let keys = node.agreements.keys(&*node.store)?;
    let mut out = Vec::new();
    for agreement in index.agreements_of(me) {
        let Some(terms) = index.agreement(&agreement).cloned() else { continue };
        // What the node's partner may read under the agreement, through its
        // own gate; not a release to it, so not logged as one.
        let reader = Reader::new(me.clone(), index.clone(), Through::AnyShare);
        let query = Query {
            types: module.kinds().iter().map(|k| (*k).to_owned()).collect(),
            observables: vec![ObservableKey::refers_to(agreement.as_str())],
            versions: Versions::ALL,
            gate: Some(reader.gate()),
            ..Query::default()
        };
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        node.store.scan(&query, &mut |r| {
            if let Ok(record) = Record::from_stored(&r.json) {
                if record.agreement == agreement {
                    records.push(record);
                    stored.push(r);
                }
            }
            Ok(())
        })?;
        let records = Records::new(records);
        // One statement asked for: only the agreement that holds it is judged.
        if records.is_empty() || only.is_some_and(|o| records.get(o).is_none()) {
            continue;
        }
        let state = index.state(&agreement, now);
        let ctx = Context { me, now: now.clone(), agreement: &terms, state: &state };
        let view = module.state(&records, &ctx);
        for s in view["statements"].as_array().into_iter().flatten() {
            let Some(id) = s["id"].as_str().and_then(|i| StixId::parse(i).ok()) else { continue };
            if only.is_some_and(|o| o != &id) {
                continue;
            }
            if let Some(p) = published(node, &keys, &records, &stored, s, (&id, &agreement, me), signed)? {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The public form of one statement of the module's state `s`, if it has a
/// public version the node's partner co-signed.
#[allow(clippy::too_many_arguments)]
fn published(node: &Node, keys: &policy::PartyKeys, records: &Records, stored: &[store::Record], s: &Value, (id, agreement, me): (&StixId, &StixId, &PartnerId), with_signed: bool) -> Result<Option<Statement>> {
    let Some(public) = s["public_version"].as_str().and_then(|v| Timestamp::parse(v).ok()) else { return Ok(None) };
    let Some(version) = records.versions(id).iter().find(|v| v.modified == public) else { return Ok(None) };
    let history: Vec<&Value> = s["versions"].as_array().into_iter().flatten().collect();
    // The version as the module's state describes it (its history entry).
    let Some(h) = history.iter().find(|h| h["version"].as_str().and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&public)) else { return Ok(None) };
    let cosigners = cosigners_of(h);
    if !cosigners.contains(me) {
        return Ok(None);
    }
    let withdrawn = h["withdrawn"] == true;
    // When each published version became public.
    let mut became: Vec<(Timestamp, Timestamp)> = Vec::new();
    for h in history.iter().filter(|h| h["published"] == true) {
        let Some(v) = h["version"].as_str().and_then(|t| Timestamp::parse(t).ok()) else { continue };
        let Some(record) = records.versions(id).iter().find(|r| r.modified == v) else { continue };
        became.push((v, public_at(records, record, h, &cosigners_of(h))));
    }
    let published = if withdrawn { version.modified.clone() } else { became.iter().find(|(v, _)| *v == public).map_or_else(|| public.clone(), |(_, at)| at.clone()) };
    let first_published = became.first().map_or_else(|| published.clone(), |(_, at)| at.clone());
    let corrects = became.iter().filter(|(v, _)| *v < public).map(|(_, at)| at.clone()).collect();
    let text = |k: &str| h[k].as_str().unwrap_or_default().to_owned();
    let mut languages: Vec<(String, String, String)> = h["languages"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(tag, v)| (tag.clone(), v["title"].as_str().unwrap_or_default().to_owned(), v["text"].as_str().unwrap_or_default().to_owned()))
        .collect();
    languages.sort();
    // The stored versions that sign it: the version itself (its proposer's)
    // and each co-signer's approval of exactly it.
    let stored_of = |rid: &StixId, at: &Timestamp| stored.iter().find(|r| r.id == rid.as_str() && r.version_micros == at.micros());
    let mut signing: Vec<(&'static str, &Record, &store::Record)> = Vec::new();
    // A list or a feed (`!with_signed`): no signed records, nothing to sign.
    if let Some(r) = stored_of(id, &public).filter(|_| with_signed) {
        signing.push(("statement", version, r));
    }
    for a in records.iter().filter(|a| {
        with_signed
            && a.properties.get(consent::TO_REF).and_then(Value::as_str) == Some(id.as_str())
            && a.properties.get(consent::TO_MODIFIED).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&public)
            && cosigners.contains(&a.author)
    }) {
        if let Some(r) = stored_of(&a.id, &a.modified) {
            signing.push(("approval", a, r));
        }
    }
    let rows: Vec<store::Record> = signing.iter().map(|(_, _, r)| (*r).clone()).collect();
    let signatures = if rows.is_empty() { Vec::new() } else { crate::provenance::signatures_for(&*node.store, &node.keys, &rows)? };
    let cosigners = cosigners
        .into_iter()
        .map(|partner| {
            let key = keys.get(&partner);
            let signed = signing
                .iter()
                .filter(|(_, rec, _)| rec.author == partner)
                .map(|(what, rec, r)| {
                    let (sid, micros) = crate::provenance::key_of(r);
                    let signature = signatures.iter().find(|x| x.id == sid && x.version_micros == micros && x.signer == partner.as_str()).map(|x| x.value.clone());
                    let verified = match (&signature, key) {
                        (Some(sig), Some(k)) => policy::provenance::verify_object(&r.json, sig, k),
                        _ => false,
                    };
                    Signed { what, id: rec.id.clone(), version: r.version.clone(), json: String::from_utf8_lossy(&r.json).into_owned(), signature, verified }
                })
                .collect();
            Cosigner { key: key.map(|k| STANDARD.encode(k.as_bytes())), fingerprint: key.map(|k| fingerprint(k.as_bytes())), partner, signed }
        })
        .collect();
    let json = stored_of(id, &public).map(|r| String::from_utf8_lossy(&r.json).into_owned()).unwrap_or_default();
    Ok(Some(Statement {
        id: id.clone(),
        agreement: agreement.clone(),
        version: public,
        published,
        first_published,
        title: text("title"),
        text: text("text"),
        languages,
        withdrawn,
        corrects,
        cosigners,
        json,
    }))
}

/// When a published version became public: the later of its embargo and
/// the moment its rule was met (the last co-signer's approval of it under
/// unanimity, the end of its silence period otherwise).
fn public_at(records: &Records, version: &Record, history: &Value, cosigners: &[PartnerId]) -> Timestamp {
    let embargo = history["embargo"].as_str().and_then(|t| Timestamp::parse(t).ok()).unwrap_or_else(|| version.modified.clone());
    let met = match history["deadline"].as_str().and_then(|t| Timestamp::parse(t).ok()) {
        Some(deadline) => deadline,
        None => records
                .iter()
                .filter(|a| {
                    a.properties.get(consent::TO_REF).and_then(Value::as_str) == Some(version.id.as_str())
                        && a.properties.get(consent::TO_MODIFIED).and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok()).as_ref() == Some(&version.modified)
                        && cosigners.contains(&a.author)
                })
                .map(|a| a.created.clone())
                .max()
                .unwrap_or_else(|| version.modified.clone()),
    };
    if met > embargo {
        met
    } else {
        embargo
    }
}

/// The co-signers a version names, as the module's state lists them.
fn cosigners_of(history: &Value) -> Vec<PartnerId> {
    history["cosigners"].as_array().into_iter().flatten().filter_map(|v| v.as_str().and_then(|s| StixId::parse(s).ok())).collect()
}

/// A public key's fingerprint: the SHA-256 of its bytes, lowercase hex in
/// groups of four, as the partners page shows it.
pub fn fingerprint(key: &[u8]) -> String {
    let hex: String = Sha256::digest(key).iter().map(|b| format!("{b:02x}")).collect();
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}
