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
    let error = || json!({ "$ref": "#/components/responses/Error" });
    let mut o = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": parameters,
        "responses": {
            ok: { "description": "success", "content": { "application/json": { "schema": { "type": "object" } } } },
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "429": { "$ref": "#/components/responses/TooManyRequests" },
            "503": { "$ref": "#/components/responses/Unavailable" }
        }
    });
    // Query parameters the handler checks: 400 names the one at fault.
    if params.iter().any(|(_, place, _)| *place == "query") {
        o["responses"]["400"] = error();
    }
    // A path naming nothing the caller may see answers 404, like one that does not exist.
    if params.iter().any(|(_, place, _)| *place == "path") {
        o["responses"]["404"] = error();
    }
    if let Some(b) = body {
        o["requestBody"] = json!({ "required": true, "description": b, "content": { "application/json": { "schema": { "type": "object" } } } });
        // Not JSON (400), a body that stopped arriving (408), over the
        // limit (413), not `application/json` (415), not what the
        // operation takes (422): docs/security.md, request bodies.
        for status in ["400", "408", "413", "415", "422"] {
            o["responses"][status] = error();
        }
    }
    o
}

/// The scorecard report: a file, not JSON (its errors are JSON).
fn report_op() -> Value {
    let mut o = op("The report on the partnership scorecard for a review board (docs/assessment.md#the-report): summary, what changed since the caller's partner's last snapshot (up, down, new, gone), the indicators per party with n and intervals, the pairs, trends, actions and method, as a PDF or one self-contained HTML page; read through the caller's release gate and logged; 404 unless the caller's partner is a party", "modules", &[("id", "path", "the agreement id"), ("format", "query", "pdf (default) or html"), ("window", "query", "the window in days, 1 to 3650 (default 90)"), ("at", "query", "the time the report is for, a timestamp (default now)")], None, "200");
    o["responses"]["200"]["content"] = json!({
        "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
        "text/html": { "schema": { "type": "string", "contentMediaType": "text/html" } }
    });
    o
}

/// A module's file: a report or a table, in the file's own media type.
fn file_op() -> Value {
    let mut o = op("A file the module offers (`GET /api/v1/modules` lists each module's `files`): an exercise's after-action report or a crisis's review as HTML or PDF, the resources ledger as CSV; drawn from the module's state as the caller's partner may see it, read through its release gate and logged; 404 unless the caller's partner is a party, for a file the module does not offer, or for an `of` it cannot see", "modules", &[("id", "path", "the agreement id"), ("module", "path", "the module's name"), ("file", "path", "the file's name"), ("of", "query", "the record the file is about (an exercise, a crisis), where the file needs one")], None, "200");
    o["responses"]["200"]["content"] = json!({
        "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
        "text/html": { "schema": { "type": "string", "contentMediaType": "text/html" } },
        "text/csv": { "schema": { "type": "string", "contentMediaType": "text/csv" } }
    });
    o
}

/// Statuses beyond those [`op`] gives from the operation's shape: 403 where a
/// role (or authorship) is needed, 404 and 422 where the handler answers them
/// without a path parameter or a body, 409 where a record conflicts.
const MORE_STATUSES: &[(&str, &str, &[&str])] = &[
    ("/api/v1/agreements", "post", &["403"]),
    ("/api/v1/agreements/{id}", "post", &["403"]),
    ("/api/v1/agreements/{id}/ratify", "post", &["403", "422"]),
    ("/api/v1/agreements/{id}/suspend", "post", &["403"]),
    ("/api/v1/agreements/{id}/resume", "post", &["403"]),
    ("/api/v1/agreements/{id}/withdraw", "post", &["403"]),
    ("/api/v1/agreements/{id}/notices/{notice}/cancel", "post", &["403", "422"]),
    ("/api/v1/objects", "post", &["403"]),
    ("/api/v1/objects/{id}/release", "get", &["403"]),
    ("/api/v1/objects/{id}/share", "post", &["403"]),
    ("/api/v1/detect", "post", &["403"]),
    ("/api/v1/extract", "post", &["422"]),
    ("/api/v1/partners", "post", &["403"]),
    ("/api/v1/peers", "get", &["403"]),
    ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", &["403", "409"]),
];

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
    "/api/v1/extract",
    "/api/v1/misp/feed/{file}",
    "/api/v1/partners",
    "/api/v1/peers",
    "/api/v1/modules",
    "/api/v1/inbox",
    "/api/v1/agreements/{id}/modules/{module}",
    "/api/v1/agreements/{id}/modules/{module}/records",
    "/api/v1/agreements/{id}/modules/{module}/actions/{action}",
    "/api/v1/agreements/{id}/modules/{module}/files/{file}",
    "/api/v1/agreements/{id}/scorecard",
    "/api/v1/agreements/{id}/scorecard/report",
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
            "/api/v1/extract": {
                "post": op("The indicators in a report's text (IPv4/IPv6, domains, URLs, e-mail addresses, hashes, CVE and ATT&CK ids; defanged forms too), each once, marked where the node's MISP warning lists name them benign; with `report`, the STIX objects of a report and its indicators to review and share (POST /api/v1/objects). Stores nothing; any role", "sources", &[], Some("{\"text\": …, \"html\": false, \"report\": {\"title\": …, \"tlp\": \"amber\"}}"), "200")
            },
            "/api/v1/misp/feed/{file}": {
                "get": op("The caller's partner's MISP feed, for a MISP instance subscribed to this node with the partner's token as `Authorization: Bearer` header (feed URL `<node>/api/v1/misp/feed`): `manifest.json`, `hashes.csv` and `<event uuid>.json`, made from what the release decision gives the partner now and recorded in the release log (channel `misp-feed`); an event file releases only the objects it is made of (docs/sources.md)", "sources", &[("file", "path", "`manifest.json`, `hashes.csv` or `<event uuid>.json`")], None, "200")
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
            "/api/v1/agreements/{id}/modules/{module}/files/{file}": {
                "get": file_op()
            },
            "/api/v1/agreements/{id}/scorecard": {
                "get": op("The partnership scorecard as the caller's partner sees it (docs/assessment.md): indicators per party and per directed pair over the window, each with its n, a 95 % Wilson interval and the ids of the evidence counted (none a number when its n is too small or its source is absent), the weighted geometric composite and beta-reputation trust; from what the caller may see, recorded in the release log; 404 unless the caller's partner is a party", "modules", &[("id", "path", "the agreement id"), ("window", "query", "the window in days, 1 to 3650 (default 90)"), ("at", "query", "the time the scorecard is for, a timestamp (default now)"), ("evidence", "query", "how many evidence ids each figure lists, 0 to 10000 (default 100); `evidence_total` says how many it counted")], None, "200")
            },
            "/api/v1/agreements/{id}/scorecard/report": {
                "get": report_op()
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
                    "description": "an error: what went wrong and what to do. 400: a malformed query parameter or body (named); 403: the caller's role (or partner) may not do this; 404: nothing the caller may see has this id; 408: the body stopped arriving; 409: the record conflicts with one stored; 413: the body is over the node's `max_content_length`; 415: the body is not `application/json`; 422: the request is well formed but the node refuses what it asks (named)",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "Unauthorized": {
                    "description": "no API token, or one the node does not know (or expired)",
                    "headers": { "WWW-Authenticate": { "required": true, "description": "`Bearer realm=\"entente\"`", "schema": { "type": "string", "pattern": "^Bearer " } } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "TooManyRequests": {
                    "description": "too many failed authentications from the client's address (or with this credential), or every detection worker the caller's partner may use is busy: retry after `Retry-After` seconds",
                    "headers": { "Retry-After": { "required": true, "description": "seconds to wait", "schema": { "type": "string", "pattern": "^[0-9]+$" } } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                },
                "Unavailable": {
                    "description": "the node's storage is unavailable, or the node holds as many request bodies as it may (then with `Retry-After`)",
                    "headers": { "Retry-After": { "required": false, "description": "seconds to wait", "schema": { "type": "string", "pattern": "^[0-9]+$" } } },
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
    for (path, method, statuses) in MORE_STATUSES {
        for status in *statuses {
            spec["paths"][*path][*method]["responses"][*status] = json!({ "$ref": "#/components/responses/Error" });
        }
    }
    for (path, method, id) in OPERATION_IDS {
        spec["paths"][*path][*method]["operationId"] = json!(id);
    }
    for (path, method, status, name, target, parameters) in links() {
        let mut link = json!({ "operationId": target, "parameters": parameters });
        if let Some(body) = link["parameters"].as_object_mut().and_then(|p| p.remove("requestBody")) {
            link["requestBody"] = body;
        }
        spec["paths"][path][method]["responses"][status]["links"][name] = link;
    }
    spec
}

/// Each operation's `operationId`, for generated clients and for [`links`].
const OPERATION_IDS: &[(&str, &str, &str)] = &[
    ("/api/v1/agreements", "get", "listAgreements"),
    ("/api/v1/agreements", "post", "proposeAgreement"),
    ("/api/v1/agreements/{id}", "get", "getAgreement"),
    ("/api/v1/agreements/{id}", "post", "amendAgreement"),
    ("/api/v1/agreements/{id}/ratify", "post", "ratifyAgreement"),
    ("/api/v1/agreements/{id}/suspend", "post", "suspendAgreement"),
    ("/api/v1/agreements/{id}/resume", "post", "resumeAgreement"),
    ("/api/v1/agreements/{id}/withdraw", "post", "withdrawAgreement"),
    ("/api/v1/agreements/{id}/notices/{notice}/cancel", "post", "cancelNotice"),
    ("/api/v1/objects", "get", "searchObjects"),
    ("/api/v1/objects", "post", "shareObjects"),
    ("/api/v1/objects/{id}", "get", "getObject"),
    ("/api/v1/objects/{id}/versions", "get", "getObjectVersions"),
    ("/api/v1/objects/{id}/release", "get", "explainRelease"),
    ("/api/v1/objects/{id}/share", "post", "shareStoredObject"),
    ("/api/v1/provenance", "post", "getProvenance"),
    ("/api/v1/objects/{id}/observables", "get", "getObjectObservables"),
    ("/api/v1/observables/{type}/{value}", "get", "getObservable"),
    ("/api/v1/detect", "post", "detect"),
    ("/api/v1/extract", "post", "extractIndicators"),
    ("/api/v1/misp/feed/{file}", "get", "getMispFeedFile"),
    ("/api/v1/partners", "get", "listPartners"),
    ("/api/v1/partners", "post", "addPartner"),
    ("/api/v1/peers", "get", "listPeers"),
    ("/api/v1/modules", "get", "listModules"),
    ("/api/v1/inbox", "get", "getInbox"),
    ("/api/v1/agreements/{id}/modules/{module}", "get", "getModuleState"),
    ("/api/v1/agreements/{id}/modules/{module}/records", "get", "listModuleRecords"),
    ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "takeModuleAction"),
    ("/api/v1/agreements/{id}/modules/{module}/files/{file}", "get", "getModuleFile"),
    ("/api/v1/agreements/{id}/scorecard", "get", "getScorecard"),
    ("/api/v1/agreements/{id}/scorecard/report", "get", "getScorecardReport"),
];

/// The object the link from a ratification shares: the caller's partner
/// becomes its author (it names none); its one version is stored once and
/// then answers `unchanged`.
fn linked_object() -> Value {
    json!({
        "type": "malware", "spec_version": "2.1", "id": "malware--4c2b5a1e-8f0d-4a7e-9b1c-0d6e2f3a4b5c",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": "shared once an agreement is ratified", "is_family": false
    })
}

/// The OpenAPI links between operations (path, method, status, link name,
/// target operationId, target parameters as runtime expressions, and the
/// body as `requestBody` among them when the link gives one): what an
/// answer names, the next call can use. Clients follow them, and
/// schemathesis's stateful phase walks them as sequences.
fn links() -> Vec<(&'static str, &'static str, &'static str, &'static str, &'static str, Value)> {
    let created_agreement = || json!({ "id": "$response.body#/id" });
    let same_agreement = || json!({ "id": "$request.path.id" });
    let first_agreement = || json!({ "id": "$response.body#/agreements/0/id" });
    let shared = || json!({ "id": "$response.body#/results/0/id" });
    let found = || json!({ "id": "$response.body#/objects/0/id" });
    let same_module = || json!({ "id": "$request.path.id", "module": "$request.path.module" });
    vec![
        ("/api/v1/agreements", "post", "201", "GetAgreement", "getAgreement", created_agreement()),
        ("/api/v1/agreements", "post", "201", "RatifyAgreement", "ratifyAgreement", created_agreement()),
        ("/api/v1/agreements", "post", "201", "AmendAgreement", "amendAgreement", created_agreement()),
        ("/api/v1/agreements", "post", "201", "SuspendAgreement", "suspendAgreement", created_agreement()),
        ("/api/v1/agreements", "post", "201", "WithdrawAgreement", "withdrawAgreement", created_agreement()),
        ("/api/v1/agreements", "post", "201", "GetModuleState", "getModuleState", created_agreement()),
        ("/api/v1/agreements", "post", "201", "TakeModuleAction", "takeModuleAction", created_agreement()),
        ("/api/v1/agreements", "get", "200", "GetAgreement", "getAgreement", first_agreement()),
        ("/api/v1/agreements", "get", "200", "RatifyAgreement", "ratifyAgreement", first_agreement()),
        ("/api/v1/agreements", "get", "200", "GetModuleState", "getModuleState", first_agreement()),
        ("/api/v1/agreements", "get", "200", "ListModuleRecords", "listModuleRecords", first_agreement()),
        ("/api/v1/agreements", "get", "200", "TakeModuleAction", "takeModuleAction", first_agreement()),
        ("/api/v1/agreements/{id}", "post", "201", "GetAgreement", "getAgreement", same_agreement()),
        ("/api/v1/agreements/{id}", "post", "201", "RatifyAgreement", "ratifyAgreement", same_agreement()),
        ("/api/v1/agreements/{id}/ratify", "post", "201", "GetAgreement", "getAgreement", same_agreement()),
        // Once ratified, share something under it.
        ("/api/v1/agreements/{id}/ratify", "post", "201", "ShareObjects", "shareObjects", json!({ "requestBody": { "objects": [linked_object()], "agreements": ["$request.path.id"] } })),
        ("/api/v1/agreements/{id}/suspend", "post", "201", "CancelNotice", "cancelNotice", json!({ "id": "$request.path.id", "notice": "$response.body#/id" })),
        ("/api/v1/agreements/{id}/suspend", "post", "201", "ResumeAgreement", "resumeAgreement", same_agreement()),
        ("/api/v1/agreements/{id}/withdraw", "post", "201", "CancelNotice", "cancelNotice", json!({ "id": "$request.path.id", "notice": "$response.body#/id" })),
        ("/api/v1/agreements/{id}/resume", "post", "201", "CancelNotice", "cancelNotice", json!({ "id": "$request.path.id", "notice": "$response.body#/id" })),
        ("/api/v1/agreements/{id}/notices/{notice}/cancel", "post", "201", "GetAgreement", "getAgreement", same_agreement()),
        ("/api/v1/objects", "post", "200", "GetObject", "getObject", shared()),
        ("/api/v1/objects", "post", "200", "GetObjectVersions", "getObjectVersions", shared()),
        ("/api/v1/objects", "post", "200", "GetObjectObservables", "getObjectObservables", shared()),
        ("/api/v1/objects", "post", "200", "ShareStoredObject", "shareStoredObject", json!({ "id": "$response.body#/results/0/id", "requestBody": { "agreements": ["$request.body#/agreements/0"] } })),
        ("/api/v1/objects", "post", "200", "ExplainRelease", "explainRelease", shared()),
        ("/api/v1/objects", "get", "200", "GetObject", "getObject", found()),
        ("/api/v1/objects", "get", "200", "GetObjectVersions", "getObjectVersions", found()),
        ("/api/v1/objects", "get", "200", "GetObjectObservables", "getObjectObservables", found()),
        ("/api/v1/objects/{id}", "get", "200", "GetObjectVersions", "getObjectVersions", json!({ "id": "$response.body#/id" })),
        ("/api/v1/objects/{id}", "get", "200", "ExplainRelease", "explainRelease", json!({ "id": "$response.body#/id" })),
        ("/api/v1/objects/{id}/observables", "get", "200", "GetObservable", "getObservable", json!({ "type": "$response.body#/observables/0/kind", "value": "$response.body#/observables/0/value" })),
        ("/api/v1/observables/{type}/{value}", "get", "200", "GetObject", "getObject", json!({ "id": "$response.body#/objects/0/id" })),
        ("/api/v1/detect", "post", "200", "GetObject", "getObject", json!({ "id": "$response.body#/hits/0/indicator" })),
        ("/api/v1/detect", "post", "200", "GetObjectObservables", "getObjectObservables", json!({ "id": "$response.body#/hits/0/indicator" })),
        ("/api/v1/inbox", "get", "200", "GetAgreement", "getAgreement", json!({ "id": "$response.body#/inbox/0/agreement" })),
        ("/api/v1/inbox", "get", "200", "GetModuleState", "getModuleState", json!({ "id": "$response.body#/inbox/0/agreement", "module": "$response.body#/inbox/0/module" })),
        ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "201", "ListModuleRecords", "listModuleRecords", json!({ "id": "$request.path.id", "module": "$request.path.module", "of": "$response.body#/record/id" })),
        ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "201", "GetModuleState", "getModuleState", same_module()),
        ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "201", "TakeModuleAction", "takeModuleAction", same_module()),
        ("/api/v1/agreements/{id}/modules/{module}/records", "get", "200", "GetObject", "getObject", json!({ "id": "$response.body#/records/0/id" })),
        ("/api/v1/partners", "post", "201", "ExplainRelease", "explainRelease", json!({ "partner": "$response.body#/id" })),
    ]
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
    ("/api/v1/extract", "post", "ExtractRequest", "Extraction"),
    ("/api/v1/misp/feed/{file}", "get", "", "MispFeedFile"),
    ("/api/v1/partners", "get", "", "Partners"),
    ("/api/v1/partners", "post", "NewPartner", "PartnerCreated"),
    ("/api/v1/peers", "get", "", "Peers"),
    ("/api/v1/modules", "get", "", "Modules"),
    ("/api/v1/inbox", "get", "", "Inbox"),
    ("/api/v1/agreements/{id}/modules/{module}", "get", "", "ModuleState"),
    ("/api/v1/agreements/{id}/modules/{module}/records", "get", "", "ModuleRecords"),
    ("/api/v1/agreements/{id}/modules/{module}/actions/{action}", "post", "ActionInput", "ModuleRecord"),
    ("/api/v1/agreements/{id}/scorecard", "get", "", "Scorecard"),
];

fn string() -> Value {
    json!({ "type": "string" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// A timestamp as the node reads them: RFC 3339 in UTC (`Z`).
const TIMESTAMP: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$";

/// A timestamp a request gives ([`TIMESTAMP`]).
fn timestamp() -> Value {
    json!({ "type": "string", "format": "date-time", "pattern": TIMESTAMP })
}

fn count() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

/// A STIX type name: lowercase letters, digits and single hyphens, 3 to
/// 250 characters (with [`stix_id`]'s `maxLength`).
const STIX_TYPE: &str = "^([a-z0-9]{3,}(-[a-z0-9]+)*|[a-z0-9]{1,2}(-[a-z0-9]+)+)$";

/// A UUID, as STIX ids end.
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// A STIX id: `type--UUID`.
fn stix_id() -> Value {
    let ty = &STIX_TYPE[1..STIX_TYPE.len() - 1];
    json!({ "type": "string", "maxLength": 250 + 2 + 36, "pattern": format!("^{ty}--{UUID}$") })
}

/// An agreement's id.
fn agreement_id() -> Value {
    json!({ "type": "string", "pattern": format!("^x-entente-agreement--{UUID}$") })
}

/// A partner's id (an identity's).
fn identity_id() -> Value {
    json!({ "type": "string", "pattern": format!("^identity--{UUID}$") })
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
fn module_schemas() -> [(&'static str, Value); 8] {
    let action = record(json!({ "name": string(), "about": string(), "kind": string(), "role": { "type": "string", "enum": ["analyst", "liaison"] } }));
    let file = record(json!({ "name": string(), "about": string(), "of": nullable_string() }));
    let module = record(json!({ "name": string(), "about": string(), "kinds": strings(), "actions": { "type": "array", "items": action }, "files": { "type": "array", "items": file } }));
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
        ("Inbox", record(json!({ "inbox": { "type": "array", "items": record(json!({ "what": string(), "record": string(), "title": string(), "due": nullable_string(), "overdue": { "type": "boolean" }, "agreement": string(), "agreement_title": string(), "module": string() })) }, "unread": { "type": "array", "items": record(json!({ "what": string(), "thread": string(), "title": string(), "unread": { "type": "integer", "minimum": 1 }, "agreement": string(), "agreement_title": string(), "module": string() })) } }))),
        ("ModuleRecords", record(json!({ "records": { "type": "array", "items": schema("StixObject") }, "more": { "type": "boolean" }, "next": nullable_string() }))),
        ("ActionInput", json!({ "type": "object", "description": "the action's input; its properties are the module's (docs/modules.md)" })),
        ("ModuleRecord", record(json!({ "record": schema("StixObject") }))),
        ("Scorecard", scorecard_schema()),
        ("MispFeedFile", json!({ "type": "object", "description": "`manifest.json`: each event's uuid with its summary (Orgc, Tag, info, date, analysis, threat_level_id, timestamp); `<uuid>.json`: one MISP event, `{\"Event\": {…}}`, as PyMISP loads it" })),
    ]
}

/// The scorecard (`server::scorecard::to_json`, docs/assessment.md).
fn scorecard_schema() -> Value {
    let unit = json!({ "type": ["number", "null"], "minimum": 0, "maximum": 1 });
    let interval = json!({ "type": ["array", "null"], "items": { "type": "number", "minimum": 0, "maximum": 1 }, "minItems": 2, "maxItems": 2 });
    let indicator = json!({ "type": "string", "enum": scorecard::Indicator::ALL.iter().map(|i| i.name()).collect::<Vec<_>>() });
    let figure = record(json!({
        "indicator": indicator,
        "status": { "type": "string", "enum": ["measured", "too-few", "absent"] },
        "value": unit, "n": { "type": "integer", "minimum": 0 }, "k": { "type": "number" }, "interval": interval,
        "note": nullable_string(), "evidence": strings(), "evidence_total": { "type": "integer", "minimum": 0 }
    }));
    let composite = record(json!({ "value": unit, "interval": interval, "over": { "type": "array", "items": indicator } }));
    let figures = json!({ "type": "array", "items": figure });
    let trust = record(json!({ "value": { "type": "number", "minimum": 0, "maximum": 1 }, "positive": { "type": "number" }, "negative": { "type": "number" }, "events": { "type": "integer", "minimum": 0 } }));
    record(json!({
        "agreement": string(), "viewer": string(), "at": { "type": "string", "format": "date-time" },
        "window_days": { "type": "integer", "minimum": 1 },
        "weights": { "type": "object", "additionalProperties": { "type": "number", "minimum": 0 } },
        "parties": { "type": "array", "items": record(json!({ "party": string(), "figures": figures, "composite": composite })) },
        "pairs": { "type": "array", "items": record(json!({ "from": string(), "to": string(), "figures": figures, "composite": composite, "trust": trust })) },
        "exercise_set_aside": { "type": "integer", "minimum": 0 }
    }))
}

/// The schemas of every body the API takes or answers.
fn schemas() -> Value {
    json!({
        "StixObject": {
            "type": "object",
            "description": "a STIX 2.1 object, as stored (its other properties are its type's, docs/stix.md)",
            "required": ["type", "id"],
            "properties": { "type": { "type": "string", "maxLength": 250, "pattern": STIX_TYPE }, "id": stix_id(), "spec_version": { "type": "string", "const": "2.1" } }
        },
        "Terms": {
            "type": "object",
            "description": "an agreement's terms; the author is always the caller's partner",
            "required": ["title", "purpose", "party_refs", "scope", "tlp_ceiling", "handling", "valid_from"],
            "properties": {
                "title": string(),
                "purpose": string(),
                "party_refs": { "type": "array", "minItems": 2, "uniqueItems": true, "items": identity_id(), "description": "the parties, the caller's partner among them" },
                "scope": {
                    "type": "object",
                    "required": ["data_kind"],
                    "properties": {
                        "object_types": { "type": "array", "items": { "type": "string", "maxLength": 250, "pattern": STIX_TYPE } },
                        "labels": strings(),
                        "data_kind": { "type": "string", "enum": ["real", "exercise", "both"] }
                    }
                },
                "tlp_ceiling": { "type": "string", "enum": ["clear", "white", "green", "amber", "amber+strict", "red"] },
                "handling": {
                    "type": "object",
                    "required": ["reshare", "attribution"],
                    "properties": {
                        "reshare": { "type": "string", "enum": ["none", "parties-only", "recipient-agreements"] },
                        "attribution": { "type": "string", "enum": ["required", "withheld"] },
                        "permitted_actions": { "type": "array", "items": { "type": "string", "enum": ["contact-for-instruction", "internally-visible", "externally-visible-indirect", "externally-visible-direct"] } },
                        "retention_days": { "type": "integer", "minimum": 1, "maximum": u32::MAX }
                    }
                },
                "valid_from": timestamp(),
                "valid_until": timestamp()
            }
        },
        "Created": record(json!({ "id": string(), "version": string() })),
        "Notice": {
            "type": "object",
            "description": "when the notice takes effect (absent or null: now)",
            "properties": { "effective": { "type": ["string", "null"], "format": "date-time", "pattern": TIMESTAMP } }
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
                "objects": { "type": "array", "items": {
                    "description": "a STIX 2.1 object; each is checked on its own, and one that is not a valid STIX object (or not a JSON object at all) is refused in its result, naming why, while the others are stored"
                } },
                "agreements": { "type": "array", "items": agreement_id() }
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
        "ShareStored": { "type": "object", "required": ["agreements"], "additionalProperties": false, "properties": { "agreements": { "type": "array", "minItems": 1, "items": agreement_id() } } },
        "SharedStored": record(json!({ "id": string(), "versions": { "type": "integer" }, "shared_under": strings() })),
        "ExtractRequest": {
            "type": "object",
            "additionalProperties": false,
            "required": ["text"],
            "properties": {
                "text": { "type": "string", "description": "the report: plain text, or HTML with `html`" },
                "html": { "type": "boolean" },
                "report": {
                    "type": ["object", "null"],
                    "additionalProperties": false,
                    "required": ["title"],
                    "properties": {
                        "title": { "type": "string", "minLength": 1, "pattern": "\\S" },
                        "description": { "type": "string" },
                        "tlp": { "type": "string", "enum": ["clear", "white", "green", "amber", "amber+strict", "red"] }
                    }
                }
            }
        },
        "Extraction": {
            "type": "object",
            "required": ["candidates", "warninglists"],
            "properties": {
                "candidates": { "type": "array", "items": {
                    "type": "object",
                    "required": ["kind", "value", "defanged", "count", "at"],
                    "properties": {
                        "kind": { "type": "string", "enum": ["ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "cve", "attack"] },
                        "value": { "type": "string" },
                        "defanged": { "type": "boolean" },
                        "count": { "type": "integer", "minimum": 1 },
                        "at": { "type": "integer", "minimum": 0 },
                        "warning": { "type": "string", "description": "the warning list naming it benign" }
                    }
                } },
                "warninglists": { "type": "integer", "minimum": 0, "description": "how many warning lists were checked" },
                "objects": { "type": "array", "items": { "$ref": "#/components/schemas/StixObject" }, "description": "with `report`: the report first, then its indicators, vulnerabilities and attack patterns" }
            }
        },
        "ProvenanceRequest": {
            "type": "object",
            "required": ["versions"],
            "additionalProperties": false,
            "properties": {
                "versions": { "type": "array", "items": {
                    "type": "object", "required": ["id"], "additionalProperties": false,
                    "properties": { "id": stix_id(), "version": { "type": ["string", "null"], "format": "date-time", "pattern": TIMESTAMP } }
                } }
            }
        },
        "Signatures": record(json!({
            "signatures": { "type": "array", "items": record(json!({
                "id": string(), "version": nullable_string(), "signer": string(), "signature": string(), "released_under": nullable_string()
            })) }
        })),
        "ObjectObservables": record(json!({
            "id": stix_id(),
            "also_reported_by": { "type": "integer", "minimum": 0, "description": "partners other than the object's author that reported any of its (not noisy) observables, as far as the caller may see" },
            "observables": { "type": "array", "items": schema("Observable") }
        })),
        "Observable": observable_schema(),
        "Observations": {
            "description": "observed-data with its SCOs: a bundle, a list, one object, or `{\"observations\": [...], \"sight\": true}`; JSON Lines too",
            "type": ["object", "array"],
            "examples": [observations_example()]
        },
        "Detection": detection_schema(),
        "Partners": record(json!({
            "partners": { "type": "array", "items": record(json!({ "id": string(), "name": string(), "hosted": { "type": "boolean" }, "node": { "type": "boolean" } })) }
        })),
        "NewPartner": {
            "type": "object",
            "description": "either `name` (a hosted partner) or `identity` (a known one, self-authored, with its key)",
            "additionalProperties": false,
            "properties": {
                "name": { "type": ["string", "null"], "minLength": 1, "maxLength": 200, "pattern": "\\S", "description": "a hosted partner's name (null: not given)" },
                "identity": {
                    "type": ["object", "null"],
                    "description": "the partner's own `identity` object (STIX 2.1, `created_by_ref` its own id), carrying its Ed25519 public key (null: not given)",
                    "required": ["type", "id"],
                    "properties": { "type": { "const": "identity" }, "id": identity_id() }
                }
            }
        },
        "PartnerCreated": record(json!({ "id": string() })),
        "Peers": record(json!({
            "peers": { "type": "array", "items": {
                "type": "object",
                "required": ["id", "url", "partner", "own_ca", "created"],
                "properties": {
                    "id": string(), "url": string(), "partner": string(), "own_ca": { "type": "boolean" }, "created": date_time(),
                    "sync": sync_schema()
                }
            } }
        })),
        "Error": record(json!({ "title": string(), "description": string(), "http_status": string() }))
    })
}

/// An observation of one IPv4 address, as a bundle.
fn observations_example() -> Value {
    let (od, ip) = ("observed-data--6d1f0b52-3c4a-4e8b-9f21-7a5c3e2d1b0a", "ipv4-addr--2f8e4c1a-5b3d-5e6f-8a7b-9c0d1e2f3a4b");
    json!({
        "type": "bundle",
        "id": "bundle--0c3e5a7b-9d1f-4b2a-8c4e-6f8a0b2c4d6e",
        "objects": [
            { "type": "observed-data", "spec_version": "2.1", "id": od, "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
              "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1, "object_refs": [ip] },
            { "type": "ipv4-addr", "spec_version": "2.1", "id": ip, "value": "198.51.100.7" }
        ]
    })
}

/// The schema of a peer's sync status.
fn sync_schema() -> Value {
    json!({
        "description": "what this node knows of its sync with the peer since it started (null before the first round)",
        "type": ["object", "null"],
        "required": ["last_sync", "last_error", "failures", "pulled", "refused", "cursor", "lag_seconds", "last_round_seconds"],
        "properties": {
            "last_sync": nullable_string(), "last_error": nullable_string(), "failures": count(), "pulled": count(), "refused": count(),
            "cursor": nullable_string(), "lag_seconds": { "type": ["number", "null"] }, "last_round_seconds": { "type": ["number", "null"] }
        }
    })
}

/// The schema of a correlation: who reported an observable.
fn observable_schema() -> Value {
    json!({
        "description": "who reported the value (normalised), when, and the objects involved, counting only the latest versions the caller may see",
        "type": "object",
        "additionalProperties": false,
        "required": ["kind", "value", "noisy", "object_count", "partners", "objects", "first_seen", "last_seen"],
        "properties": {
            "kind": { "type": "string", "description": "the observable's type (the path's `type`)" },
            "value": { "type": "string", "description": "the value, normalised" },
            "noisy": { "type": "boolean", "description": "carried by more objects than the threshold (100): `partners` and `objects` are then empty unless `noisy=true` was asked" },
            "object_count": { "type": "integer", "minimum": 0 },
            "partners": { "type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["partner", "objects", "first_seen", "last_seen"],
                "properties": { "partner": string(), "objects": { "type": "integer", "minimum": 1 }, "first_seen": date_time(), "last_seen": date_time() }
            } },
            "objects": { "type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["id", "type", "author", "date_added"],
                "properties": { "id": stix_id(), "type": string(), "author": string(), "date_added": date_time() }
            } },
            "first_seen": { "type": ["string", "null"], "format": "date-time" },
            "last_seen": { "type": ["string", "null"], "format": "date-time" }
        }
    })
}

/// The schema of a detection answer.
fn detection_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["complete", "totals", "hits", "indicators", "sightings", "limits", "errors"],
        "properties": {
            "complete": { "type": "boolean", "description": "false when an indicator was set aside for going over its matching steps (`limits`)" },
            "totals": {
                "type": "object",
                "additionalProperties": false,
                "required": ["observations", "hits", "indexed_evaluations", "unindexed_evaluations", "errors", "withdrawn", "steps"],
                "properties": {
                    "observations": count(), "hits": count(), "indexed_evaluations": count(), "unindexed_evaluations": count(),
                    "errors": count(), "withdrawn": count(), "steps": count()
                }
            },
            "hits": { "type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["indicator", "version", "agreement", "observed_data", "first_observed", "last_observed"],
                "properties": {
                    "indicator": stix_id(),
                    "version": string(),
                    "agreement": { "type": ["string", "null"], "description": "the agreement the indicator reached the caller under (null: the caller's own, or published)" },
                    "observed_data": { "description": "the matching observation's id, as sent (null when it had none)" },
                    "first_observed": { "description": "the observation's `first_observed`, as sent" },
                    "last_observed": { "description": "the observation's `last_observed`, as sent" },
                    "sighting": { "type": "string", "description": "the sighting made for the hit (with `sight`)" }
                }
            } },
            "indicators": { "type": "array", "items": schema("StixObject") },
            "sightings": strings(),
            "limits": { "type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["limit", "indicator", "version", "observed_data"],
                "properties": {
                    "limit": { "type": "string", "enum": ["indicator_steps"] },
                    "indicator": stix_id(),
                    "version": string(),
                    "observed_data": nullable_string()
                }
            } },
            "errors": { "type": "array", "items": string(), "description": "lines of a JSON Lines body that could not be read, by number, and observations that were not a list" }
        }
    })
}

/// Parameters whose values are more than any string: path, method, name,
/// schema, required.
fn typed_parameters() -> Vec<(&'static str, &'static str, &'static str, Value, bool)> {
    let boolean = || json!({ "type": "string", "enum": ["true", "false", "1", "0", "yes", "no"] });
    vec![
        ("/api/v1/objects", "get", "limit", json!({ "type": "integer", "minimum": 1 }), false),
        ("/api/v1/agreements/{id}/scorecard/report", "get", "format", json!({ "type": "string", "enum": ["pdf", "html"] }), false),
        ("/api/v1/objects", "get", "versions", json!({ "type": "string", "enum": ["last", "first", "all"] }), false),
        ("/api/v1/objects", "get", "added_after", timestamp(), false),
        ("/api/v1/objects/{id}/release", "get", "partner", json!({ "type": "string", "pattern": "^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }), true),
        ("/api/v1/detect", "post", "sight", boolean(), false),
        ("/api/v1/detect", "post", "unindexed", boolean(), false),
        ("/api/v1/observables/{type}/{value}", "get", "noisy", boolean(), false),
        ("/api/v1/observables/{type}/{value}", "get", "type", json!({ "type": "string", "enum": pattern::observables::KINDS }), true),
        ("/api/v1/agreements/{id}/modules/{module}/records", "get", "limit", json!({ "type": "integer", "minimum": 1 }), false),
        ("/api/v1/agreements/{id}/modules/{module}/records", "get", "of", stix_id(), false),
        ("/api/v1/agreements/{id}/modules/{module}/files/{file}", "get", "of", stix_id(), false),
    ]
}

/// Puts the schemas of [`BODIES`] and [`typed_parameters`] into `spec`'s operations.
fn describe_bodies(spec: &mut Value) {
    // Path ids: an agreement's under /agreements/, a STIX id elsewhere.
    for (path, item) in spec["paths"].as_object_mut().into_iter().flatten() {
        let id = if path.starts_with("/api/v1/agreements/") { agreement_id() } else { stix_id() };
        for op in item.as_object_mut().into_iter().flatten().map(|(_, op)| op) {
            for p in op["parameters"].as_array_mut().into_iter().flatten().filter(|p| p["in"] == "path") {
                match p["name"].as_str() {
                    Some("id") => p["schema"] = id.clone(),
                    Some("notice") => p["schema"] = stix_id(),
                    _ => {}
                }
            }
        }
    }
    for (path, method, name, schema, required) in typed_parameters() {
        if let Some(params) = spec["paths"][path][method]["parameters"].as_array_mut() {
            for p in params.iter_mut().filter(|p| p["name"] == name) {
                p["schema"] = schema.clone();
                p["required"] = json!(required);
            }
        }
    }
    // The MISP feed's files: JSON (manifest, events) or CSV (hashes).
    spec["paths"]["/api/v1/misp/feed/{file}"]["get"]["responses"]["200"]["content"] = json!({
        "application/json": { "schema": { "type": "object" } },
        "text/csv": { "schema": { "type": "string" } }
    });
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
        let source = include_str!("lib.rs");
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
    fn every_operation_has_an_id_and_every_link_names_a_real_operation_and_parameter() {
        let spec = super::spec();
        let mut ops = std::collections::BTreeMap::new();
        for item in spec["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let id = op["operationId"].as_str().expect("an operationId");
                assert!(ops.insert(id.to_owned(), op.clone()).is_none(), "{id} twice");
            }
        }
        let mut links = 0;
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    for (name, link) in response["links"].as_object().into_iter().flatten() {
                        links += 1;
                        let at = format!("{method} {path} {status} {name}");
                        let target = &ops[link["operationId"].as_str().unwrap()];
                        for param in link["parameters"].as_object().unwrap().keys() {
                            let known = target["parameters"].as_array().unwrap().iter().any(|p| p["name"] == param.as_str());
                            assert!(known, "{at}: {param} is not a parameter of {}", link["operationId"]);
                        }
                        if link.get("requestBody").is_some() {
                            assert!(target.get("requestBody").is_some(), "{at}: a body for an operation that takes none");
                        }
                    }
                }
            }
        }
        assert!(links >= 30, "{links}");
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
                // A file (the scorecard report) is described by its media types.
                let file = ok["content"].get("application/pdf").is_some() && ok["content"].get("application/json").is_none();
                assert!(file || ok["content"]["application/json"]["schema"].get("$ref").is_some(), "{method} {path}: success without its schema");
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
