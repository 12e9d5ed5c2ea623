//! Provenance: the author's signature over each version it wrote, served
//! beside the objects rather than inside them.
//!
//! The signatures are made by [`policy::provenance`]: one Ed25519 signature
//! over the root of a Merkle tree of the versions one request asks for,
//! each version carrying its path to the root.
//!
//! Why beside: putting a signature into an object's JSON would change what
//! its author wrote, and a TAXII version is identified by id and `modified`
//! alone, so two nodes could hold "the same version" with different bytes.
//! Instead a node keeps, per version, the author's signature over the
//! object's RFC 8785 form and serves the
//! signatures of versions a caller may see from `POST /api/v1/provenance`;
//! a pulling node asks for one page's signatures in one request, checks
//! each against the author's key it knows, and keeps them with the objects
//! so it can pass them on: a third hop can check the first author's
//! signature just the same.
//!
//! The node signs for the partners it hosts (their keys are in
//! `<data-dir>/keys/`) when asked, one signed root per author and request,
//! and does not keep these signatures: it can sign again, and keeping them
//! would cost a write per page served. Only versions the partner submitted
//! itself and names as author are signed for it. What a node keeps are the
//! signatures of versions it received, which it cannot make.

use std::collections::HashMap;

use store::{Record, Signature, Store};

use crate::keys::KeyDir;

/// Most versions one provenance request may name.
pub const MAX_VERSIONS: usize = 5000;

/// The key a version's signature is kept under: its id and the microseconds
/// of its own version, 0 when it has none (then the store used the date it
/// was added as its version).
pub fn key_of(r: &Record) -> (String, i64) {
    let own = if r.version_micros == r.date_added.0 { 0 } else { r.version_micros };
    (r.id.clone(), own)
}

/// The signatures of these versions: those kept (of versions received from
/// other nodes), and for versions authored and submitted by a partner this
/// node hosts, new ones made now. Versions no one signed are left out.
pub fn signatures_for(store: &dyn Store, keys: &KeyDir, records: &[Record]) -> store::Result<Vec<Signature>> {
    // Versions this node signs (per author: one signed Merkle root per call),
    // and the others, whose kept signatures are looked up: a version is
    // never both, so the store is not asked about what is signed here.
    type Todo<'r> = HashMap<&'r str, Vec<(&'r Record, (String, i64))>>;
    let mut secrets: HashMap<&str, Option<[u8; 32]>> = HashMap::new();
    let mut todo: Todo<'_> = HashMap::new();
    let mut kept = Vec::new();
    for r in records {
        let key = key_of(r);
        match r.created_by_ref.as_deref() {
            Some(author)
                if r.posted_by.as_deref() == Some(author)
                    && secrets.entry(author).or_insert_with(|| keys.secret(author).ok()).is_some() =>
            {
                todo.entry(author).or_default().push((r, key));
            }
            _ => kept.push(key),
        }
    }
    let mut found = store.signatures(&kept)?;
    let mut made = Vec::new();
    for (author, versions) in todo {
        let Some(Some(secret)) = secrets.get(author) else { continue };
        let jsons: Vec<&[u8]> = versions.iter().map(|(r, _)| r.json.as_slice()).collect();
        let Ok(values) = policy::provenance::sign_objects(&jsons, secret) else { continue };
        for ((_, (id, version_micros)), value) in versions.into_iter().zip(values) {
            made.push(Signature { id, version_micros, signer: author.to_owned(), value });
        }
    }
    found.extend(made);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use store::{PutOptions, Query, Versions};

    use super::*;

    #[test]
    fn hosted_authors_sign_when_asked_and_nobody_else_is_signed_for() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
        let keys = KeyDir::in_data_dir(dir.path());
        let hosted = "identity--0a000000-0000-4000-8000-000000000001";
        let other = "identity--0b000000-0000-4000-8000-000000000002";
        let public = keys.create(hosted).unwrap();
        let malware = |n: u32, author: &str| {
            model::Object::from_value(json!({"type": "malware", "spec_version": "2.1",
                "id": format!("malware--00000000-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z", "created_by_ref": author, "name": "x", "is_family": false}))
            .unwrap()
        };
        let put = |o: model::Object, by: &str| {
            store.put(&[o], &PutOptions { posted_by: Some(by.into()), ..PutOptions::default() }).unwrap();
        };
        put(malware(1, hosted), hosted);
        put(malware(2, other), other); // a partner whose key this node does not hold
        put(malware(3, other), hosted); // submitted by the hosted partner, authored by another
        let mut records = Vec::new();
        store
            .scan(&Query { versions: Versions::ALL, ..Query::default() }, &mut |r| {
                records.push(r);
                Ok(())
            })
            .unwrap();
        let first = signatures_for(&*store, &keys, &records).unwrap();
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!((first[0].id.as_str(), first[0].signer.as_str()), ("malware--00000000-0000-4000-8000-000000000001", hosted));
        let key = policy::keys::verifying_key(&public).unwrap();
        assert!(policy::provenance::verify_object(&records[0].json, &first[0].value, &key));
        // Not kept: asked again, the node signs again, and a kept signature
        // (of a version received from elsewhere) is served as it is.
        assert!(store.signatures(&[key_of(&records[0])]).unwrap().is_empty());
        let kept = Signature { id: records[1].id.clone(), version_micros: key_of(&records[1]).1, signer: other.into(), value: "m1.kept".into() };
        store.put(&[], &PutOptions { signatures: vec![kept.clone()], ..PutOptions::default() }).unwrap();
        let again = signatures_for(&*store, &keys, &records).unwrap();
        assert_eq!(again.len(), 2, "{again:?}");
        assert!(again.contains(&kept));
        assert!(again.iter().any(|s| s.signer == hosted && policy::provenance::verify_object(&records[0].json, &s.value, &key)));
    }
}

/// What a node can tell of the signature of one version it holds, as an
/// object's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Authored by a partner this node hosts: its node signs when it serves it.
    Here,
    /// A kept signature that verifies with the author's key.
    Verified,
    /// A source's object (its author is no partner here): a kept signature
    /// of the partner that vouched for it (named), verified with its key.
    Vouched(String),
    /// A kept signature that does not verify (or names another signer).
    Invalid,
    /// No signature kept, or no key known for the author: why.
    Unchecked(&'static str),
}

/// The signature status of each of `versions` (of one object): signed
/// here when a partner `hosted` says is ours wrote it, else checked against
/// the signature kept and the author's key (or the vouching partner's)
/// among `keys`. Blocking.
pub fn status_of(store: &dyn Store, keys: &policy::PartyKeys, hosted: &dyn Fn(&str) -> bool, versions: &[Record]) -> store::Result<Vec<Status>> {
    let wanted: Vec<(String, i64)> = versions.iter().map(|v| (v.id.clone(), v.version_micros)).collect();
    let kept = store.signatures(&wanted)?;
    Ok(versions
        .iter()
        .map(|v| {
            let Some(author) = v.created_by_ref.as_deref() else { return Status::Unchecked("no author named") };
            if hosted(author) {
                return Status::Here;
            }
            let Some(s) = kept.iter().find(|s| s.id == v.id && s.version_micros == v.version_micros) else { return Status::Unchecked("none kept") };
            let Some(key) = model::StixId::parse(author).ok().and_then(|a| keys.get(&a).cloned()) else {
                // A source's object: the partner that held it vouches.
                let Some(key) = model::StixId::parse(&s.signer).ok().and_then(|a| keys.get(&a).cloned()) else { return Status::Unchecked("author's key unknown") };
                return if policy::provenance::verify_object(&v.json, &s.value, &key) { Status::Vouched(s.signer.clone()) } else { Status::Invalid };
            };
            if s.signer == author && policy::provenance::verify_object(&v.json, &s.value, &key) {
                Status::Verified
            } else {
                Status::Invalid
            }
        })
        .collect())
}
