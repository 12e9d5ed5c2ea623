//! Candidates as STIX 2.1: an indicator's pattern, an observable, and a
//! report gathering what the analyst chose.

use serde_json::{json, Value};

use crate::{Candidate, Kind};

/// The namespace of STIX 2.1 deterministic SCO ids (STIX 2.1 §2.9).
const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// A string as a STIX pattern literal: quotes and backslashes escaped.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Candidate {
    /// The STIX pattern an indicator of it has (`[ipv4-addr:value =
    /// '203.0.113.9']`); none for CVE and ATT&CK ids, which are not
    /// observable.
    pub fn pattern(&self) -> Option<String> {
        let v = literal(&self.value);
        Some(match self.kind {
            Kind::Ipv4 => format!("[ipv4-addr:value = {v}]"),
            Kind::Ipv6 => format!("[ipv6-addr:value = {v}]"),
            Kind::Domain => format!("[domain-name:value = {v}]"),
            Kind::Url => format!("[url:value = {v}]"),
            Kind::Email => format!("[email-addr:value = {v}]"),
            Kind::Md5 => format!("[file:hashes.MD5 = {v}]"),
            Kind::Sha1 => format!("[file:hashes.'SHA-1' = {v}]"),
            Kind::Sha256 => format!("[file:hashes.'SHA-256' = {v}]"),
            Kind::Sha512 => format!("[file:hashes.'SHA-512' = {v}]"),
            Kind::Cve | Kind::Attack => return None,
        })
    }

    /// The STIX cyber-observable of it, with its deterministic id (STIX 2.1
    /// §2.9: UUIDv5 of its id-contributing properties); none for CVE and
    /// ATT&CK ids.
    pub fn observable(&self) -> Option<Value> {
        let (ty, contributing) = match self.kind {
            Kind::Ipv4 => ("ipv4-addr", json!({ "value": self.value })),
            Kind::Ipv6 => ("ipv6-addr", json!({ "value": self.value })),
            Kind::Domain => ("domain-name", json!({ "value": self.value })),
            Kind::Url => ("url", json!({ "value": self.value })),
            Kind::Email => ("email-addr", json!({ "value": self.value })),
            Kind::Md5 => ("file", json!({ "hashes": { "MD5": self.value } })),
            Kind::Sha1 => ("file", json!({ "hashes": { "SHA-1": self.value } })),
            Kind::Sha256 => ("file", json!({ "hashes": { "SHA-256": self.value } })),
            Kind::Sha512 => ("file", json!({ "hashes": { "SHA-512": self.value } })),
            Kind::Cve | Kind::Attack => return None,
        };
        // serde_json's maps are sorted, so this is the canonical form for
        // these one- and two-level objects of strings.
        let id = uuid::Uuid::new_v5(&SCO_NAMESPACE, contributing.to_string().as_bytes());
        let mut o = contributing;
        o["type"] = json!(ty);
        o["spec_version"] = json!("2.1");
        o["id"] = json!(format!("{ty}--{id}"));
        Some(o)
    }
}

/// A report titled `title`, published at `now` (RFC 3339), with an
/// indicator for each observable candidate, a vulnerability for each CVE
/// id and an attack pattern for each ATT&CK id, every object marked with
/// `markings` (marking definition ids); the report first. Authorless: the
/// partner that shares them is their author (the REST API and the pages
/// author what names no one as the sharer).
pub fn report(title: &str, description: &str, chosen: &[Candidate], now: &str, markings: &[String]) -> Vec<Value> {
    let new_id = |ty: &str| format!("{ty}--{}", uuid::Uuid::new_v4());
    let mut objects = Vec::with_capacity(chosen.len() + 1);
    for c in chosen {
        let mut o = match (c.kind, c.pattern()) {
            (_, Some(pattern)) => json!({
                "type": "indicator", "id": new_id("indicator"), "name": c.value,
                "pattern": pattern, "pattern_type": "stix", "valid_from": now, "indicator_types": ["malicious-activity"],
            }),
            (Kind::Cve, None) => json!({
                "type": "vulnerability", "id": new_id("vulnerability"), "name": c.value,
                "external_references": [{ "source_name": "cve", "external_id": c.value }],
            }),
            _ => json!({
                "type": "attack-pattern", "id": new_id("attack-pattern"), "name": c.value,
                "external_references": [{ "source_name": "mitre-attack", "external_id": c.value }],
            }),
        };
        o["spec_version"] = json!("2.1");
        o["created"] = json!(now);
        o["modified"] = json!(now);
        if !markings.is_empty() {
            o["object_marking_refs"] = json!(markings);
        }
        objects.push(o);
    }
    let refs: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
    let mut r = json!({
        "type": "report", "spec_version": "2.1", "id": new_id("report"), "created": now, "modified": now,
        "name": title, "description": description, "published": now, "report_types": ["threat-report"], "object_refs": refs,
    });
    if !markings.is_empty() {
        r["object_marking_refs"] = json!(markings);
    }
    objects.insert(0, r);
    objects
}
