//! MISP's Common Exercise Format: a document in the form of the published
//! description and example (our own content; the example itself is not
//! copied) imports as a plan that runs here, exports back unchanged, and
//! re-imports equal; a document with every field and nesting of MISP's
//! published example (samples/misp-01.json; our own content) imports,
//! exports and re-imports equal, and so do the shapes the format's
//! description gives where the example differs; a plan made here exports
//! as CEXF that imports again; a document that does not follow the format
//! is refused naming the path.

use exercises::cexf;
use exercises::Exercises;
use model::Timestamp;
use partnership::suite::World;
use partnership::{Error, Module, Record, Records};
use serde_json::{json, Map, Value};

fn p(i: usize) -> String {
    World::new().partners[i].to_string()
}

/// An exercise in CEXF: an e-mail inject at the start plus ten minutes,
/// then a network inject once the first is resolved.
fn document() -> Value {
    json!({
        "exercise": {
            "description": "Invoice phishing against a partner's finance team",
            "expanded": "# Invoice phishing\nA finance team receives a malicious invoice.",
            "meta": { "author": "Entente tests", "level": "beginner" },
            "name": "Invoice phishing",
            "namespace": "phishing",
            "tags": ["exercise:software-scope=\"misp\"", "state:draft"],
            "total_duration": "5400",
            "uuid": "0b8f4d2e-1c3a-4e5f-9a7b-6c5d4e3f2a10",
            "valid_until": "20300101",
            "version": "20260601"
        },
        "inject_flow": [
            {
                "description": "The invoice arrives.",
                "inject_uuid": "5e0c9a7b-3d2f-4a1e-8b6c-7d9e0f1a2b3c",
                "reporting_callback": [],
                "requirements": {},
                "sequence": { "completion_trigger": ["time_expiration", "completion"], "followed_by": ["a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"], "trigger": ["startex"] },
                "timing": { "triggered_at": 600 }
            },
            {
                "description": "The macro calls home.",
                "inject_uuid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                "reporting_callback": [],
                "requirements": { "inject_uuid": "5e0c9a7b-3d2f-4a1e-8b6c-7d9e0f1a2b3c", "resolution_requirement": "Sharing" },
                "sequence": { "completion_trigger": ["completion"], "trigger": "inject-resolution" },
                "timing": { "triggered_at": null }
            }
        ],
        "inject_payloads": [
            {
                "name": "invoice-email",
                "parameters": {
                    "content": "RnJvbTogc29jQGV4YW1wbGUub3JnClN1YmplY3Q6IFN1c3BpY2lvdXMgaW52b2ljZQoKQSBjb2xsZWFndWUgcmVjZWl2ZWQgYW4gaW52b2ljZSBmcm9tIGJpbGxpbmdAaW52b2ljZXMuZXhhbXBsZSB3aXRoIGEgbWFjcm8gYXR0YWNobWVudC4K",
                    "content-type": "base64",
                    "filename": "invoice.eml"
                },
                "type": "file",
                "uuid": "c0ffee00-1234-4abc-8def-0123456789ab"
            },
            {
                "name": "call-home",
                "parameters": { "destination": "player_proxy", "port": "443", "source": "203.0.113.9" },
                "type": "tcp_connection",
                "uuid": "deadbeef-4321-4cba-9fed-ba9876543210"
            }
        ],
        "injects": [
            {
                "action": "email_to_participants",
                "action_payload_resource_uuid": "c0ffee00-1234-4abc-8def-0123456789ab",
                "inject_evaluation": [
                    { "parameters": [{ "Event.info": { "comparison": "contains", "values": ["invoice"] } }], "result": "Sharing", "score_range": [0, 10] },
                    { "parameters": [{ "Event.published": { "comparison": "is", "values": [1] } }], "result": "Publishing", "score_range": [0, 10] }
                ],
                "name": "malicious invoice received",
                "target_tool": "MISP",
                "uuid": "5e0c9a7b-3d2f-4a1e-8b6c-7d9e0f1a2b3c"
            },
            {
                "action": "network_connection",
                "action_payload_resource_uuid": "deadbeef-4321-4cba-9fed-ba9876543210",
                "inject_evaluation": [{ "parameters": [{ "source-ip": { "comparison": "is", "values": ["203.0.113.9"] } }], "result": "alert", "score_range": [0, 50] }],
                "name": "beacon to the proxy",
                "target_tool": "Suricata",
                "uuid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
            }
        ]
    })
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn participants() -> Value {
    json!([{ "party_ref": p(1), "teams": ["finance"] }, { "party_ref": p(2) }])
}

fn author(world: &World, action: &str, input: Value, records: &Records, now: &str) -> Result<Record, Error> {
    let Value::Object(input) = input else { panic!("an object") };
    let object = partnership::author(&Exercises, action, &input, records, &world.ctx(0, &at(now)))?;
    Ok(Record::from_object(&object).unwrap())
}

fn import(world: &World, doc: Value) -> Result<Record, Error> {
    let input = json!({ "cexf": doc, "participants": participants(), "start_date": "2026-06-01T08:00:00Z", "exercise_type": "functional" });
    author(world, "import-cexf", input, &Records::default(), "2026-05-01T00:00:00Z")
}

/// The plan's own properties (the kit's common ones left out).
fn own(r: &Record) -> Map<String, Value> {
    partnership::suite::record_properties(r)
}

#[test]
fn an_imported_exercise_runs_here_exports_unchanged_and_reimports_equal() {
    let world = World::new();
    let plan = import(&world, document()).unwrap();
    assert_eq!(plan.properties["end_date"], "2026-06-01T09:30:00.000000Z", "start plus total_duration");
    let state = Exercises.state(&Records::new([plan.clone()]), &world.ctx(0, &at("2026-05-02T00:00:00Z")));
    let x = &state["exercises"][0];
    assert_eq!(x["name"], "Invoice phishing");
    assert_eq!(x["objectives"][0]["competencies"], json!(["Sharing", "Publishing"]));
    let first = &x["msel"][0]["injects"][0];
    assert_eq!((first["offset_minutes"].as_u64(), first["channel"].as_str()), (Some(10), Some("email_to_participants")));
    assert!(first["content"].as_str().unwrap().contains("A colleague received an invoice"), "the Base64 e-mail is decoded: {first}");
    assert_eq!(x["msel"][1]["injects"][0]["trigger"], "inject-resolution of 5e0c9a7b-3d2f-4a1e-8b6c-7d9e0f1a2b3c: Sharing");
    assert_eq!(first["target_refs"], json!([p(1), p(2)]));
    // Export gives MISP's tools back what they gave.
    assert_eq!(x["cexf"], document());
    // Re-import: the same plan.
    let again = import(&world, x["cexf"].clone()).unwrap();
    assert_eq!(own(&again), own(&plan));
}

#[test]
fn a_plan_made_here_exports_as_cexf_that_imports_again() {
    let world = World::new();
    let made = author(&world, "plan-exercise", json!({
        "name": "Tabletop", "exercise_type": "tabletop", "start_date": "2026-06-01T08:00:00Z", "end_date": "2026-06-01T10:00:00Z",
        "participants": participants(),
        "objectives": [{ "id": "O-1", "title": "Warn" }],
        "msel": [{ "move": "1", "title": "Start", "injects": [
            { "id": "I-1", "offset_minutes": 5, "target_refs": [p(1)], "channel": "email", "content": "Ransom note\nfound on a server", "expected_action": "warn", "objective": "O-1" },
        ]}],
    }), &Records::default(), "2026-05-01T00:00:00Z").unwrap();
    let doc = cexf::export(&made.properties, made.id.as_str());
    cexf::check(&doc).unwrap();
    assert_eq!(doc["exercise"]["total_duration"], "7200");
    assert_eq!(doc["inject_flow"][0]["timing"]["triggered_at"], 300);
    // Named by UUIDs derived from the plan and the inject (the same on every export); its own id leads the name.
    let uuid = doc["injects"][0]["uuid"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&uuid).is_ok_and(|u| u.get_version_num() == 5), "{uuid}");
    assert!(uuid::Uuid::parse_str(doc["inject_payloads"][0]["uuid"].as_str().unwrap()).is_ok());
    assert_eq!(doc["injects"][0]["name"], "I-1: Ransom note");
    assert_eq!(doc["inject_flow"][0]["inject_uuid"], uuid.as_str());
    assert_eq!(cexf::export(&made.properties, made.id.as_str()), doc, "the same on every export");
    let back = import(&world, doc.clone()).unwrap();
    let inject = &back.properties["msel"][0]["injects"][0];
    assert_eq!((inject["id"].as_str(), inject["offset_minutes"].as_u64()), (Some(uuid.as_str()), Some(5)));
    assert!(inject["content"].as_str().unwrap().contains("Ransom note\nfound on a server"), "{inject}");
    // And round again: the same document.
    assert_eq!(cexf::export(&back.properties, back.id.as_str())["injects"], doc["injects"]);
}

#[test]
fn a_document_that_does_not_follow_the_format_is_refused_naming_the_path() {
    let world = World::new();
    type Break = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Break, &str)> = vec![
        (Box::new(|d| drop(d.as_object_mut().unwrap().remove("injects"))), "cexf.injects"),
        (Box::new(|d| d["exercise"]["name"] = json!(7)), "cexf.exercise.name"),
        (Box::new(|d| d["exercise"]["total_duration"] = json!("an hour")), "cexf.exercise.total_duration"),
        (Box::new(|d| d["inject_flow"][1]["inject_uuid"] = json!("no-such-inject")), "cexf.inject_flow[1].inject_uuid"),
        (Box::new(|d| d["injects"][0]["action_payload_resource_uuid"] = json!("nowhere")), "cexf.injects[0].action_payload_resource_uuid"),
        (Box::new(|d| d["injects"][1]["uuid"] = d["injects"][0]["uuid"].clone()), "cexf.injects[1].uuid"),
        (Box::new(|d| d["inject_flow"][0]["timing"]["triggered_at"] = json!("soon")), "cexf.inject_flow[0].timing.triggered_at"),
        (Box::new(|d| d["exercise"]["tags"] = json!([1])), "cexf.exercise.tags[0]"),
    ];
    for (break_it, path) in cases {
        let mut doc = document();
        break_it(&mut doc);
        match import(&world, doc) {
            Err(Error::Invalid { property, .. }) => assert_eq!(property, path),
            other => panic!("{path}: {other:?}"),
        }
    }
    // Not a document at all; no participants.
    assert!(matches!(import(&world, json!("<cexf/>")), Err(Error::Invalid { property, .. }) if property == "cexf"));
    let input = json!({ "cexf": document(), "start_date": "2026-06-01T08:00:00Z" });
    assert!(matches!(author(&world, "import-cexf", input, &Records::default(), "2026-05-01T00:00:00Z"), Err(Error::Invalid { property, .. }) if property == "participants"));
}

/// A document with the structure of MISP's published example
/// (samples/misp-01.json in github.com/MISP/cexf), key for key and nesting
/// for nesting, with content of our own: an exercise whose uuid is not a
/// well-formed UUID (as the example's), a first step triggered by
/// `startex` with `triggered_at: null`, a second on the resolution of the
/// first (`trigger` a string, `requirements`), a file payload in Base64
/// and a `tcp_connection` payload (`port` a string), five evaluations of
/// the first inject for MISP (parameters as a list of one comparison, with
/// values that are strings, numbers and `{type, value}` objects whose type
/// is a string or a list, a `count` comparison, and parameters as an `OR`
/// object) and one of the second for Suricata.
fn published_shape() -> Value {
    json!({
        "exercise": {
            "description": "Wire-transfer fraud announced by a partner CSIRT",
            "expanded": "# Wire-transfer fraud announced by a partner CSIRT",
            "meta": { "author": "Entente tests", "level": "intermediate" },
            "name": "Wire fraud",
            "namespace": "fraud",
            "tags": ["exercise:software-scope=\"misp\"", "state:experimental"],
            "total_duration": "3600",
            "uuid": "4a1c2e9-7b3d-4f6a-9c8e-1d2f3a4b5c6d",
            "valid_until": "20320101",
            "version": "20261207"
        },
        "inject_flow": [
            {
                "description": "A partner CSIRT reports the fraud by e-mail.",
                "inject_uuid": "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
                "reporting_callback": [],
                "requirements": {},
                "sequence": { "completion_trigger": ["time_expiration", "completion"], "followed_by": ["0e1d2c3b-4a59-4867-9756-4a3b2c1d0e9f"], "trigger": ["startex"] },
                "timing": { "triggered_at": null }
            },
            {
                "description": "The fraudster's server answers on the mail port.",
                "inject_uuid": "0e1d2c3b-4a59-4867-9756-4a3b2c1d0e9f",
                "reporting_callback": [],
                "requirements": { "inject_uuid": "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", "resolution_requirement": "Publishing" },
                "sequence": { "completion_trigger": ["time_expiration", "completion"], "trigger": "inject-resolution" },
                "timing": { "triggered_at": null }
            }
        ],
        "inject_payloads": [
            {
                "name": "partner-report",
                "parameters": {
                    "content": "RnJvbTogY3NpcnRAcGFydG5lci5leGFtcGxlCgpPdXIgdHJlYXN1cmVyIHdhcyBhc2tlZCB0byB3aXJlIGZ1bmRzIGJ5IGEgZmFrZSBDRU8uCg==",
                    "content-type": "base64",
                    "filename": "report.eml"
                },
                "type": "file",
                "uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e"
            },
            {
                "name": "mail-port-connection",
                "parameters": { "destination": "player_network_mail_server", "port": "25", "source": "198.51.100.23" },
                "type": "tcp_connection",
                "uuid": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6f"
            }
        ],
        "injects": [
            {
                "action": "email_to_participants",
                "action_payload_resource_uuid": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5e",
                "inject_evaluation": [
                    { "parameters": [{ "Event.info": { "comparison": "contains", "values": ["fraud", "wire"] } }], "result": "MISP event creation", "score_range": [0, 10] },
                    { "parameters": [{ "Event.attribute": { "comparison": "equals", "values": [
                        { "type": ["email-src", "email"], "value": "ceo@fraud.example" },
                        { "type": "domain", "value": "fraud.example" },
                        { "type": ["ip-src", "ip-dst"], "value": "198.51.100.23" }
                    ] } }], "result": "MISP attribute capture", "score_range": [0, 40] },
                    { "parameters": [{ "Event.Object": { "comparison": "count", "values": [">2"] } }], "result": "MISP object use", "score_range": [0, 30] },
                    { "parameters": { "OR": [
                        { "Event.EventTag.Tag.{n}.Tag.name": { "comparison": "contains", "values": ["T1534"] } },
                        { "Event.Attribute.{n}.AttributeTag.{n}.Tag.name": { "comparison": "contains", "values": ["T1534"] } }
                    ] }, "result": "Mitre ATT&CK use", "score_range": [0, 10] },
                    { "parameters": [{ "Event.published": { "comparison": "is", "values": [1] } }], "result": "Publishing", "score_range": [0, 10] }
                ],
                "name": "fraud report from a partner CSIRT",
                "target_tool": "MISP",
                "uuid": "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"
            },
            {
                "action": "network_connection",
                "action_payload_resource_uuid": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6f",
                "inject_evaluation": [{ "parameters": [{ "source-ip": { "comparison": "is", "values": ["198.51.100.23"] } }], "result": "alert", "score_range": [0, 50] }],
                "name": "connection from the fraudster",
                "target_tool": "Suricata",
                "uuid": "0e1d2c3b-4a59-4867-9756-4a3b2c1d0e9f"
            }
        ]
    })
}

/// Import, export (the state's `cexf`), re-import: the same document and
/// the same plan.
fn round_trip(world: &World, doc: Value) -> Record {
    let plan = import(world, doc.clone()).unwrap_or_else(|e| panic!("{e}"));
    let state = Exercises.state(&Records::new([plan.clone()]), &world.ctx(0, &at("2026-05-02T00:00:00Z")));
    let exported = state["exercises"][0]["cexf"].clone();
    assert_eq!(exported, doc, "the export is the document imported");
    let again = import(world, exported).unwrap();
    assert_eq!(own(&again), own(&plan), "the re-import is the same plan");
    plan
}

#[test]
fn the_published_example_s_structure_imports_exports_and_reimports_equal() {
    let world = World::new();
    let plan = round_trip(&world, published_shape());
    let p = &plan.properties;
    assert_eq!((p["name"].as_str(), p["description"].as_str()), (Some("Wire fraud"), Some("Wire-transfer fraud announced by a partner CSIRT")));
    assert_eq!(p["end_date"], "2026-06-01T09:00:00.000000Z");
    let first = &p["msel"][0]["injects"][0];
    assert_eq!(first["offset_minutes"], 0, "startex with triggered_at null: at the start");
    assert_eq!(first["objective"], "6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f");
    assert!(first["content"].as_str().unwrap().contains("asked to wire funds by a fake CEO"), "{first}");
    assert_eq!(p["objectives"][0]["competencies"], json!(["MISP event creation", "MISP attribute capture", "MISP object use", "Mitre ATT&CK use", "Publishing"]));
    let second = &p["msel"][1]["injects"][0];
    assert_eq!(second["trigger"], "inject-resolution of 6f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f: Publishing");
    assert!(second["offset_minutes"].is_null());
    assert!(second["content"].as_str().unwrap().contains("destination: player_network_mail_server, port: 25, source: 198.51.100.23"), "{second}");
    assert_eq!(second["channel"], "network_connection");
}

#[test]
fn the_shapes_of_the_format_s_description_are_read_too() {
    let world = World::new();
    // `meta` as an array of key-value pairs, `inject_evaluation` as one object.
    let mut doc = published_shape();
    doc["exercise"]["meta"] = json!([{ "author": "Entente tests" }, { "level": "intermediate" }]);
    doc["injects"][1]["inject_evaluation"] = json!({ "parameters": [{ "source-ip": { "comparison": "is", "values": ["198.51.100.23"] } }], "result": "alert", "score_range": [0, 50] });
    let plan = round_trip(&world, doc);
    assert_eq!(plan.properties["objectives"][1]["competencies"], json!(["alert"]));
    // Neither shape: refused naming the path.
    let mut doc = published_shape();
    doc["exercise"]["meta"] = json!("author: me");
    assert!(matches!(import(&world, doc), Err(Error::Invalid { property, .. }) if property == "cexf.exercise.meta"));
    let mut doc = published_shape();
    doc["injects"][0]["inject_evaluation"] = json!("alert");
    assert!(matches!(import(&world, doc), Err(Error::Invalid { property, .. }) if property == "cexf.injects[0].inject_evaluation"));
}
