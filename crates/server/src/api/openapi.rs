//! The OpenAPI 3.1 document of the REST API, served at `/api/v1/openapi.json`
//! without authentication (it describes, it releases nothing). Written by
//! hand beside the handlers; a test checks that every route is described.

use axum::Json;
use serde_json::{json, Value};

fn op(summary: &str, tag: &str, params: &[(&str, &str, &str)], body: Option<&str>, ok: &str) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .map(|(name, place, description)| {
            json!({ "name": name, "in": place, "required": *place == "path", "description": description, "schema": { "type": "string" } })
        })
        .collect();
    let mut o = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": parameters,
        "responses": {
            ok: { "description": "success", "content": { "application/json": { "schema": { "type": "object" } } } },
            "400": { "$ref": "#/components/responses/Error" },
            "401": { "$ref": "#/components/responses/Error" },
            "403": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" },
            "422": { "$ref": "#/components/responses/Error" },
            "503": { "$ref": "#/components/responses/Error" }
        }
    });
    if let Some(b) = body {
        o["requestBody"] = json!({ "required": true, "description": b, "content": { "application/json": { "schema": { "type": "object" } } } });
        // A body over the limit, or not JSON (docs/security.md, request bodies).
        o["responses"]["413"] = json!({ "$ref": "#/components/responses/Error" });
        o["responses"]["415"] = json!({ "$ref": "#/components/responses/Error" });
    }
    o
}

/// Every path of the API, for the document and for the test that checks it.
pub const PATHS: &[&str] = &[
    "/api/v1/agreements",
    "/api/v1/agreements/{id}",
    "/api/v1/agreements/{id}/ratify",
    "/api/v1/agreements/{id}/suspend",
    "/api/v1/agreements/{id}/resume",
    "/api/v1/agreements/{id}/withdraw",
    "/api/v1/objects",
    "/api/v1/objects/{id}",
    "/api/v1/objects/{id}/versions",
    "/api/v1/objects/{id}/release",
    "/api/v1/objects/{id}/share",
    "/api/v1/provenance",
    "/api/v1/objects/{id}/observables",
    "/api/v1/observables/{type}/{value}",
    "/api/v1/detect",
    "/api/v1/partners",
    "/api/v1/peers",
];

/// The document.
pub fn spec() -> Value {
    let id = [("id", "path", "the STIX id")];
    let effective = [("id", "path", "the agreement id")];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Entente node API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Agreements, intelligence and partners of an Entente node. Every object returned has passed the node's release decision for the caller's partner and is recorded in the release log; an object the caller may not see answers 404 like one that does not exist."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/agreements": {
                "get": op("Agreements the caller's partner is party to, with derived state", "agreements", &[], None, "200"),
                "post": op("Propose an agreement (liaison)", "agreements", &[], Some("terms: title, purpose, party_refs, scope, tlp_ceiling, handling, valid_from, valid_until"), "201")
            },
            "/api/v1/agreements/{id}": {
                "get": op("One agreement: versions, state, ratifications, notices", "agreements", &effective, None, "200"),
                "post": op("Amend (a new version; proposer only)", "agreements", &effective, Some("the new terms"), "201")
            },
            "/api/v1/agreements/{id}/ratify": { "post": op("Ratify the latest version with the partner's key", "agreements", &effective, None, "201") },
            "/api/v1/agreements/{id}/suspend": { "post": op("Give notice of suspension", "agreements", &effective, Some("optional `effective` timestamp"), "201") },
            "/api/v1/agreements/{id}/resume": { "post": op("Give notice of resumption", "agreements", &effective, Some("optional `effective` timestamp"), "201") },
            "/api/v1/agreements/{id}/withdraw": { "post": op("Give notice of withdrawal", "agreements", &effective, Some("optional `effective` timestamp"), "201") },
            "/api/v1/objects": {
                "get": op("Search what the caller may see, paged", "intelligence", &[
                    ("type", "query", "object types, comma-separated"),
                    ("id", "query", "object ids, comma-separated"),
                    ("author", "query", "authors (identity ids), comma-separated"),
                    ("added_after", "query", "only versions added after this timestamp"),
                    ("versions", "query", "last (default), first or all"),
                    ("limit", "query", "page size, at most the server maximum"),
                    ("next", "query", "the `next` of the previous page")
                ], None, "200"),
                "post": op("Store the caller's objects and share them under agreements", "intelligence", &[], Some("{\"objects\": [STIX objects], \"agreements\": [agreement ids]}"), "200")
            },
            "/api/v1/objects/{id}": { "get": op("The latest version the caller may see", "intelligence", &id, None, "200") },
            "/api/v1/objects/{id}/versions": { "get": op("Every version the caller may see", "intelligence", &id, None, "200") },
            "/api/v1/objects/{id}/release": {
                "get": op("Why a partner may or may not receive each version (author or node admin)", "intelligence", &[("id", "path", "the STIX id"), ("partner", "query", "the recipient's identity id")], None, "200")
            },
            "/api/v1/objects/{id}/share": {
                "post": op("Share every stored version of an object under more agreements: the author's own, or one the caller's partner received from another node (its onward release still follows the handling rules of the agreement it arrived under); analyst", "intelligence", &id, Some("{\"agreements\": [agreement ids]}"), "200")
            },
            "/api/v1/provenance": {
                "post": op("The authors' Ed25519 signatures (over RFC 8785 JSON) of the named versions the caller may see; at most 5000 per request", "federation", &[], Some("{\"versions\": [{\"id\": …, \"version\": …}]}"), "200")
            },
            "/api/v1/objects/{id}/observables": {
                "get": op("The object's observables, who reported each, and how many partners besides its author reported any (`also_reported_by`)", "correlation", &id, None, "200")
            },
            "/api/v1/observables/{type}/{value}": {
                "get": op("Which partners reported a value (normalised), first and last seen, the objects involved; only what the caller may see. Values carried by more than 100 objects are flagged `noisy` and listed only with `noisy=true`", "correlation", &[("type", "path", "the observable's SCO type: ipv4-addr, ipv6-addr, domain-name, url, email-addr, mac-addr, file (hashes), artifact, x509-certificate, autonomous-system, windows-registry-key, mutex, directory, user-account, software"), ("value", "path", "the value"), ("noisy", "query", "true: list noisy values' objects too")], None, "200")
            },
            "/api/v1/detect": {
                "post": op("Match observations (observed-data with its SCOs: a bundle, a list, JSON Lines, or {\"observations\": [...], \"sight\": true}) against the indicators the caller may see; with `sight`, each hit becomes a sighting for the indicator's author (analyst)", "detection", &[("sight", "query", "true: create a sighting per hit"), ("unindexed", "query", "false: skip indicators that cannot be pre-selected by value")], Some("observations"), "200")
            },
            "/api/v1/peers": {
                "get": op("Nodes this node pulls from: URL, partner, own CA or public roots (node admin; credentials are never served)", "federation", &[], None, "200")
            },
            "/api/v1/partners": {
                "get": op("Partners the caller may know of: its own, the node's, and its co-parties in agreements (all of them for the node's administrator)", "partners", &[], None, "200"),
                "post": op("Add a hosted partner (`name`) or a known one (`identity`, self-authored, with its key); node admin", "partners", &[], Some("{\"name\": …} or {\"identity\": {…}}"), "201")
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "an Entente API token (`entente token create`)" } },
            "responses": {
                "Error": {
                    "description": "an error: what went wrong and what to do. 413: the body is over the node's `max_content_length`; 415: the body is not `application/json`; 503: the storage is unavailable, or the node holds as many request bodies as it may (with `Retry-After`)",
                    "content": { "application/json": { "schema": { "type": "object", "properties": { "title": { "type": "string" }, "description": { "type": "string" }, "http_status": { "type": "string" } } } } }
                }
            }
        }
    })
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_described() {
        let spec = super::spec();
        let source = include_str!("../api.rs");
        let routes: Vec<&str> = source
            .split(".route(\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|r| *r != "/api/v1/openapi.json")
            .collect();
        assert!(routes.len() >= 10, "{routes:?}");
        for r in &routes {
            assert!(super::PATHS.contains(r), "{r} is routed but not in PATHS");
        }
        for p in super::PATHS {
            assert!(spec["paths"].get(*p).is_some(), "{p} is not described");
            assert!(routes.contains(p), "{p} is described but not routed");
        }
    }

    #[test]
    fn every_operation_with_a_body_describes_its_refusals() {
        let spec = super::spec();
        let mut with_body = 0;
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                assert!(op["responses"].get("503").is_some(), "{method} {path}: no 503");
                if op.get("requestBody").is_some() {
                    with_body += 1;
                    for status in ["413", "415"] {
                        assert!(op["responses"].get(status).is_some(), "{method} {path}: no {status}");
                    }
                }
            }
        }
        assert!(with_body >= 8, "{with_body}");
    }
}
