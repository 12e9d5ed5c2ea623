//! The OpenAPI 3.1 document of the REST API, served at `/api/v1/openapi.json`
//! without authentication (it describes, it releases nothing). Written by
//! hand beside the handlers, with the schema of every request and response
//! body ([`BODIES`]); tests check that every route is described and every
//! body has its schema, and schemathesis checks the server against it
//! (tests/interop/test_openapi_schemathesis.py).

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
            "429": { "$ref": "#/components/responses/Error" },
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
    "/api/v1/agreements/{id}/notices/{notice}/cancel",
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
    "/api/v1/modules",
    "/api/v1/inbox",
    "/api/v1/agreements/{id}/modules/{module}",
    "/api/v1/agreements/{id}/modules/{module}/records",
    "/api/v1/agreements/{id}/modules/{module}/actions/{action}",
];

/// The document.
pub fn spec() -> Value {
    let id = [("id", "path", "the STIX id")];
    let effective = [("id", "path", "the agreement id")];
    let mut spec = json!({
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
            "/api/v1/agreements/{id}/notices/{notice}/cancel": { "post": op("Cancel a notice the partner gave that is not in effect yet: a new version of the notice revokes it", "agreements", &[("id", "path", "the agreement id"), ("notice", "path", "the notice id")], None, "201") },
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
            "/api/v1/inbox": {
                "get": op("What needs the caller's partner across the agreements it is party to and every module: minutes awaiting its approval, action items it owns, objectives awaiting its endorsement, progress reports due; overdue first (docs/partnership.md#inbox)", "modules", &[], None, "200")
            },
            "/api/v1/modules": {
                "get": op("The partnership modules this node runs, with their record kinds and actions (docs/modules.md)", "modules", &[], None, "200")
            },
            "/api/v1/agreements/{id}/modules/{module}": {
                "get": op("A module's state under the agreement, derived now from the module's records the caller may see; 404 unless the caller's partner is a party", "modules", &[("id", "path", "the agreement id"), ("module", "path", "the module's name")], None, "200")
            },
            "/api/v1/agreements/{id}/modules/{module}/records": {
                "get": op("The versions of the module's records under the agreement that the caller may see, oldest first, a page at a time; a page may hold fewer than `limit` when `of` names a record other agreements' records name too", "modules", &[("id", "path", "the agreement id"), ("module", "path", "the module's name"), ("kind", "query", "only records of this kind (one of the module's)"), ("of", "query", "only records naming this record (a STIX id) in a `…_ref` or `…_refs` property: a channel's messages, an action item's updates"), ("limit", "query", "at most this many versions (the node's page size at most)"), ("next", "query", "the `next` of the previous page")], None, "200")
            },
            "/api/v1/agreements/{id}/modules/{module}/actions/{action}": {
                "post": op("Take one of the module's actions: the caller's partner authors the one record it makes (analyst or above)", "modules", &[("id", "path", "the agreement id"), ("module", "path", "the module's name"), ("action", "path", "the action's name")], Some("the action's input, a JSON object"), "201")
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
                    "description": "an error: what went wrong and what to do. 413: the body is over the node's `max_content_length`; 415: the body is not `application/json`; 429: too many failed authentications from the client's address; 503: the storage is unavailable, or the node holds as many request bodies as it may (with `Retry-After`)",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            }
        }
    });
    spec["components"]["schemas"] = schemas();
    for (name, schema) in module_schemas() {
        spec["components"]["schemas"][name] = schema;
    }
    describe_bodies(&mut spec);
    spec
}

/// The request and success bodies of each operation, by schema name in
/// `components/schemas` (`""`: no request body).
const BODIES: &[(&str, &str, &str, &str)] = &[
    ("/api/v1/agreements", "get", "", "AgreementList"),
    ("/api/v1/agreements", "post", "Terms", "Created"),
    ("/api/v1/agreements/{id}", "get", "", "Agreement"),
    ("/api/v1/agreements/{id}", "post", "Terms", "Created"),
    ("/api/v1/agreements/{id}/ratify", "post", "", "StixObject"),
    ("/api/v1/agreements/{id}/suspend", "post", "Notice", "StixObject"),
    ("/api/v1/agreements/{id}/resume", "post", "Notice", "StixObject"),
    ("/api/v1/agreements/{id}/withdraw", "post", "Notice", "StixObject"),
    ("/api/v1/agreements/{id}/notices/{notice}/cancel", "post", "", "StixObject"),
    ("/api/v1/objects", "get", "", "ObjectPage"),
    ("/api/v1/objects", "post", "Share", "ShareResults"),
    ("/api/v1/objects/{id}", "get", "", "StixObject"),
    ("/api/v1/objects/{id}/versions", "get", "", "Versions"),
    ("/api/v1/objects/{id}/release", "get", "", "Release"),
    ("/api/v1/objects/{id}/share", "post", "ShareStored", "SharedStored"),
    ("/api/v1/provenance", "post", "ProvenanceRequest", "Signatures"),
    ("/api/v1/objects/{id}/observables", "get", "", "ObjectObservables"),
    ("/api/v1/observables/{type}/{value}", "get", "", "Observable"),
    ("/api/v1/detect", "post", "Observations", "Detection"),
    ("/api/v1/partners", "get", "", "Partners"),
    ("/api/v1/partners", "post", "NewPartner", "PartnerCreated"),
    ("/api/v1/peers", "get", "", "Peers"),
    ("/api/v1/modules", "get", "", "Modules"),
    ("/api/v1/inbox", "get", "", "Inbox"),
    ("/api/v1/agreements/{id}/modules/{module}", "get", "", "ModuleState"),
    ("/api/v1/agreements/{id}/modules/{module}/records", "get", "", "ModuleRecords"),
    ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "ActionInput", "ModuleRecord"),
];

fn string() -> Value {
    json!({ "type": "string" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn nullable_string() -> Value {
    json!({ "type": ["string", "null"] })
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An object with `properties`, all of them `required`.
fn record(properties: Value) -> Value {
    let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    json!({ "type": "object", "required": required, "properties": properties })
}

/// The schemas of the bodies of the partnership modules' endpoints.
fn module_schemas() -> [(&'static str, Value); 6] {
    let action = record(json!({ "name": string(), "about": string(), "kind": string() }));
    let module = record(json!({ "name": string(), "about": string(), "kinds": strings(), "actions": { "type": "array", "items": action } }));
    [
        ("Modules", record(json!({ "modules": { "type": "array", "items": module } }))),
        (
            "ModuleState",
            record(json!({
                "module": string(), "agreement": string(), "at": { "type": "string", "format": "date-time" },
                "records": { "type": "integer", "minimum": 0 },
                "state": { "type": "object", "description": "the module's own view, derived from its records" }
            })),
        ),
        ("Inbox", record(json!({ "inbox": { "type": "array", "items": record(json!({ "what": string(), "record": string(), "title": string(), "due": nullable_string(), "overdue": { "type": "boolean" }, "agreement": string(), "agreement_title": string(), "module": string() })) } }))),
        ("ModuleRecords", record(json!({ "records": { "type": "array", "items": schema("StixObject") }, "more": { "type": "boolean" }, "next": nullable_string() }))),
        ("ActionInput", json!({ "type": "object", "description": "the action's input; its properties are the module's (docs/modules.md)" })),
        ("ModuleRecord", record(json!({ "record": schema("StixObject") }))),
    ]
}

/// The schemas of every body the API takes or answers.
fn schemas() -> Value {
    json!({
        "StixObject": {
            "type": "object",
            "description": "a STIX 2.1 object, as stored",
            "required": ["type", "id"],
            "properties": { "type": string(), "id": string(), "spec_version": string() }
        },
        "Terms": {
            "type": "object",
            "description": "an agreement's terms; the author is always the caller's partner",
            "required": ["title", "party_refs", "scope", "tlp_ceiling", "handling", "valid_from"],
            "properties": {
                "title": string(),
                "purpose": string(),
                "party_refs": strings(),
                "scope": {
                    "type": "object",
                    "properties": { "object_types": strings(), "labels": strings(), "data_kind": { "type": "string", "enum": ["real", "exercise"] } }
                },
                "tlp_ceiling": string(),
                "handling": {
                    "type": "object",
                    "properties": { "reshare": string(), "attribution": string(), "permitted_actions": strings() }
                },
                "valid_from": { "type": "string", "format": "date-time" },
                "valid_until": { "type": "string", "format": "date-time" }
            }
        },
        "Created": record(json!({ "id": string(), "version": string() })),
        "Notice": {
            "type": "object",
            "description": "when the notice takes effect (default: now)",
            "properties": { "effective": { "type": "string", "format": "date-time" } }
        },
        "Agreement": record(json!({
            "id": string(),
            "author": string(),
            "version": string(),
            "state": string(),
            "state_detail": string(),
            "title": string(),
            "parties": strings(),
            "tlp_ceiling": string(),
            "valid_from": string(),
            "valid_until": nullable_string(),
            "versions": strings(),
            "ratifications": { "type": "array", "items": record(json!({ "party": string(), "version": string(), "signature_valid": { "type": "boolean" } })) },
            "notices": { "type": "array", "items": record(json!({ "party": string(), "kind": string(), "effective": string() })) },
            "object": schema("StixObject")
        })),
        "AgreementList": record(json!({ "agreements": { "type": "array", "items": schema("Agreement") } })),
        "ObjectPage": record(json!({
            "objects": { "type": "array", "items": schema("StixObject") },
            "more": { "type": "boolean" },
            "next": nullable_string()
        })),
        "Versions": record(json!({
            "id": string(),
            "versions": { "type": "array", "items": record(json!({ "version": string(), "date_added": string(), "object": schema("StixObject") })) }
        })),
        "Release": record(json!({
            "id": string(),
            "partner": string(),
            "at": string(),
            "versions": { "type": "array", "items": record(json!({
                "version": string(),
                "allowed": { "type": "boolean" },
                "agreement": nullable_string(),
                "reasons": strings(),
                "shared_under": strings(),
                "explanation": string()
            })) }
        })),
        "Share": {
            "type": "object",
            "required": ["objects"],
            "additionalProperties": false,
            "properties": {
                "objects": { "type": "array", "items": { "type": "object" } },
                "agreements": strings()
            }
        },
        "ShareResults": record(json!({
            "results": { "type": "array", "items": {
                "type": "object",
                "description": "a stored, unchanged or refused object (`id`, `version`), or one refused before it had an id (`index`)",
                "required": ["status"],
                "properties": {
                    "id": string(),
                    "version": nullable_string(),
                    "index": { "type": "integer" },
                    "status": { "type": "string", "enum": ["stored", "unchanged", "refused"] },
                    "message": string()
                }
            } }
        })),
        "ShareStored": { "type": "object", "required": ["agreements"], "additionalProperties": false, "properties": { "agreements": strings() } },
        "SharedStored": record(json!({ "id": string(), "versions": { "type": "integer" }, "shared_under": strings() })),
        "ProvenanceRequest": {
            "type": "object",
            "required": ["versions"],
            "additionalProperties": false,
            "properties": {
                "versions": { "type": "array", "items": {
                    "type": "object", "required": ["id"], "additionalProperties": false,
                    "properties": { "id": string(), "version": { "type": ["string", "null"], "format": "date-time" } }
                } }
            }
        },
        "Signatures": record(json!({
            "signatures": { "type": "array", "items": record(json!({
                "id": string(), "version": nullable_string(), "signer": string(), "signature": string(), "released_under": nullable_string()
            })) }
        })),
        "ObjectObservables": { "type": "object", "required": ["id", "observables"], "properties": { "id": string(), "also_reported_by": {}, "observables": { "type": "array" } } },
        "Observable": { "type": "object", "description": "who reported the value, when, and the objects involved" },
        "Observations": {
            "description": "observed-data with its SCOs: a bundle, a list, one object, or `{\"observations\": [...], \"sight\": true}`; JSON Lines too",
            "type": ["object", "array"]
        },
        "Detection": {
            "type": "object",
            "required": ["totals", "hits", "indicators", "sightings", "errors"],
            "properties": {
                "totals": { "type": "object" },
                "hits": { "type": "array", "items": { "type": "object" } },
                "indicators": { "type": "array", "items": schema("StixObject") },
                "sightings": strings(),
                "errors": strings()
            }
        },
        "Partners": record(json!({
            "partners": { "type": "array", "items": record(json!({ "id": string(), "name": string(), "hosted": { "type": "boolean" }, "node": { "type": "boolean" } })) }
        })),
        "NewPartner": {
            "type": "object",
            "description": "either `name` (a hosted partner) or `identity` (a known one, self-authored, with its key)",
            "additionalProperties": false,
            "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 200 }, "identity": { "type": "object" } }
        },
        "PartnerCreated": record(json!({ "id": string() })),
        "Peers": record(json!({
            "peers": { "type": "array", "items": {
                "type": "object",
                "required": ["id", "url", "partner", "own_ca", "created"],
                "properties": { "id": string(), "url": string(), "partner": string(), "own_ca": { "type": "boolean" }, "created": string(), "sync": {} }
            } }
        })),
        "Error": record(json!({ "title": string(), "description": string(), "http_status": string() }))
    })
}

/// Parameters whose values are more than any string: path, method, name,
/// schema, required.
fn typed_parameters() -> Vec<(&'static str, &'static str, &'static str, Value, bool)> {
    let boolean = || json!({ "type": "string", "enum": ["true", "false", "1", "0", "yes", "no"] });
    vec![
        ("/api/v1/objects", "get", "limit", json!({ "type": "integer", "minimum": 1 }), false),
        ("/api/v1/objects", "get", "versions", json!({ "type": "string", "enum": ["last", "first", "all"] }), false),
        ("/api/v1/objects", "get", "added_after", json!({ "type": "string", "format": "date-time" }), false),
        ("/api/v1/objects/{id}/release", "get", "partner", json!({ "type": "string", "pattern": "^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }), true),
        ("/api/v1/detect", "post", "sight", boolean(), false),
        ("/api/v1/detect", "post", "unindexed", boolean(), false),
        ("/api/v1/observables/{type}/{value}", "get", "noisy", boolean(), false),
    ]
}

/// Puts the schemas of [`BODIES`] and [`typed_parameters`] into `spec`'s operations.
fn describe_bodies(spec: &mut Value) {
    for (path, method, name, schema, required) in typed_parameters() {
        if let Some(params) = spec["paths"][path][method]["parameters"].as_array_mut() {
            for p in params.iter_mut().filter(|p| p["name"] == name) {
                p["schema"] = schema.clone();
                p["required"] = json!(required);
            }
        }
    }
    for (path, method, request, response) in BODIES {
        let op = &mut spec["paths"][*path][*method];
        if !request.is_empty() {
            op["requestBody"]["content"]["application/json"]["schema"] = schema(request);
            // A notice's body is optional: without one it takes effect now.
            if *request == "Notice" {
                op["requestBody"]["required"] = json!(false);
            }
        }
        let ok = op["responses"].as_object().and_then(|r| r.keys().find(|k| k.starts_with('2')).cloned()).unwrap_or_default();
        op["responses"][ok]["content"]["application/json"]["schema"] = schema(response);
    }
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

    #[test]
    fn every_body_has_a_schema_and_every_reference_resolves() {
        let spec = super::spec();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if let Some(body) = op.get("requestBody") {
                    let schema = &body["content"]["application/json"]["schema"];
                    assert!(schema.get("$ref").is_some(), "{method} {path}: request body without its schema: {schema}");
                }
                let ok = op["responses"].as_object().unwrap().iter().find(|(k, _)| k.starts_with('2')).unwrap().1;
                assert!(ok["content"]["application/json"]["schema"].get("$ref").is_some(), "{method} {path}: success without its schema");
            }
        }
        let text = spec.to_string();
        for reference in text.split("\"$ref\":\"").skip(1).map(|r| r.split('"').next().unwrap()) {
            let name = reference.rsplit('/').next().unwrap();
            let section = if reference.contains("/responses/") { "responses" } else { "schemas" };
            assert!(spec["components"][section].get(name).is_some(), "{reference} does not resolve");
        }
    }
}
