//! `entente import --misp` and `entente export --misp`: MISP events and
//! feeds in through the import path, out through the release decision.

use serde_json::{json, Value};

use crate::cli::propose_a_b;
use crate::{entente, stderr};

const EVENT: &str = "5c066053-0e94-46eb-9746-4b7d950d210f";

fn event(attributes: Value) -> Value {
    json!({ "Event": {
        "uuid": EVENT, "info": "SamSam infrastructure", "date": "2026-01-10", "timestamp": "1768000000",
        "Orgc": { "name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f" },
        "Tag": [{ "name": "tlp:green" }, { "name": "PAP:GREEN" }, { "name": "misp-galaxy:ransomware=\"SamSam\"" }],
        "Attribute": attributes,
    }})
}

fn attr(n: u32, kind: &str, value: &str, to_ids: bool) -> Value {
    json!({ "uuid": format!("00000000-0000-4000-8000-{n:012}"), "type": kind, "category": "Network activity",
        "value": value, "to_ids": to_ids, "timestamp": "1768000000" })
}

fn objects(bundle: &[u8]) -> Vec<Value> {
    let b: Value = serde_json::from_slice(bundle).unwrap();
    b["objects"].as_array().unwrap().clone()
}

#[test]
fn misp_import_is_idempotent_from_a_file_or_a_feed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = String::from_utf8(entente(d, &["init", "--name", "Aurelia"]).stdout).unwrap().trim().to_owned();
    let ev = event(json!([attr(1, "ip-dst", "198.51.100.7", true), attr(2, "domain", "c2.example", false)]));
    std::fs::write(d.join("event.json"), ev.to_string()).unwrap();
    let out = entente(d, &["import", "--misp", "event.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // report, indicator, domain-name, malware, relationship-free event
    assert!(stderr(&out).contains("converted 1 MISP events to 4 STIX objects: 0 attributes refused"), "{}", stderr(&out));
    assert!(stderr(&out).contains("4 added, 0 unchanged"), "{}", stderr(&out));
    // The second import stores nothing new.
    let out = entente(d, &["import", "--misp", "event.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 added, 4 unchanged, 0 conflicts"), "{}", stderr(&out));
    // Nor does the same event from a feed directory.
    let feed = d.join("feed");
    std::fs::create_dir(&feed).unwrap();
    std::fs::write(feed.join(format!("{EVENT}.json")), ev.to_string()).unwrap();
    std::fs::write(feed.join("manifest.json"), json!({ EVENT: { "info": "SamSam infrastructure" } }).to_string()).unwrap();
    let out = entente(d, &["import", "--misp", "feed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 added, 4 unchanged, 0 conflicts"), "{}", stderr(&out));

    // Another partner hosted here importing the same event gets objects of its own.
    entente(d, &["partner", "add", "--name", "Borealis"]);
    let out = entente(d, &["import", "--misp", "event.json", "--as", "Borealis"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("4 added, 0 unchanged, 0 conflicts"), "{}", stderr(&out));

    let stored: Vec<Value> = objects(&entente(d, &["export"]).stdout)
        .into_iter()
        .filter(|o| o.get("created_by_ref").is_none_or(|c| *c == json!(a)))
        .collect();
    let indicator = stored.iter().find(|o| o["type"] == "indicator").unwrap();
    assert_eq!(indicator["pattern"], "[ipv4-addr:value = '198.51.100.7']");
    assert_eq!(indicator["created_by_ref"], json!(a), "authored as the importing partner");
    let refs = indicator["external_references"].as_array().unwrap();
    assert!(refs.contains(&json!({ "source_name": "misp", "external_id": "00000000-0000-4000-8000-000000000001", "description": "MISP attribute" })));
    assert!(refs.contains(&json!({ "source_name": "misp-org", "external_id": "55f6ea5e-2c60-40e5-964f-47a8950d210f", "description": "CIRCL" })));
    let report = stored.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(report["object_refs"].as_array().unwrap().len(), 3);
    assert_eq!(report["labels"], json!(["PAP:GREEN"]));
    assert!(stored.iter().any(|o| o["type"] == "malware" && o["name"] == "SamSam"));
}

#[test]
fn misp_import_names_refused_attributes_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    entente(d, &["init", "--name", "Aurelia"]);
    let ev = event(json!([attr(1, "ip-dst", "not-an-address", true), attr(2, "domain", "c2.example", true)]));
    std::fs::write(d.join("event.json"), ev.to_string()).unwrap();
    let out = entente(d, &["import", "--misp", "event.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("refused: event {EVENT}: attribute 00000000-0000-4000-8000-000000000001 (ip-dst): `not-an-address` is not an IP address")), "{err}");
    assert!(err.contains("3 added"), "the valid rest is stored: {err}");
    let stored = objects(&entente(d, &["export"]).stdout);
    assert!(stored.iter().any(|o| o["pattern"] == "[domain-name:value = 'c2.example']"));
    let out = entente(d, &["import", "--misp", "event.json", "--keep-going"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Not a MISP event at all: the file and the field are named.
    std::fs::write(d.join("bad.json"), r#"{"Event": {"info": "no uuid"}}"#).unwrap();
    let out = entente(d, &["import", "--misp", "bad.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.json: Event.uuid: is missing"), "{}", stderr(&out));
}

#[test]
fn misp_export_is_what_the_release_decision_gives_and_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_a, b, id) = propose_a_b(d);
    for who in ["Aurelia", "Borealis"] {
        assert!(entente(d, &["agreement", "ratify", "--as", who, &id]).status.success());
    }
    let c = String::from_utf8(entente(d, &["partner", "add", "--name", "Caledonia"]).stdout).unwrap().trim().to_owned();
    let mut red = attr(3, "url", "http://secret.example/", true);
    red["Tag"] = json!([{ "name": "tlp:red" }]);
    let ev = event(json!([attr(1, "ip-dst", "198.51.100.7", true), attr(2, "sha256", &"a".repeat(64), true), red]));
    std::fs::write(d.join("event.json"), ev.to_string()).unwrap();
    let out = entente(d, &["import", "--misp", "event.json", "--as", "Aurelia", "--share", &id]);
    assert!(out.status.success(), "{}", stderr(&out));

    let export = |p: &str, to: &str| {
        let out = entente(d, &["export", "--misp", to, "--for", p]);
        assert!(out.status.success(), "{}", stderr(&out));
        let manifest: Value = serde_json::from_slice(&std::fs::read(d.join(to).join("manifest.json")).unwrap()).unwrap();
        manifest
            .as_object()
            .unwrap()
            .keys()
            .map(|u| serde_json::from_slice::<Value>(&std::fs::read(d.join(to).join(format!("{u}.json"))).unwrap()).unwrap())
            .collect::<Vec<Value>>()
    };
    let events = export(&b, "for-b");
    let report_event = events.iter().find(|e| e["Event"]["uuid"] == EVENT).expect("the MISP event keeps its uuid");
    let values: Vec<&str> = report_event["Event"]["Attribute"].as_array().unwrap().iter().map(|a| a["value"].as_str().unwrap()).collect();
    assert!(values.contains(&"198.51.100.7") && values.contains(&"a".repeat(64).as_str()), "{values:?}");
    assert!(!values.contains(&"http://secret.example/"), "TLP:RED went to a partner it does not name");
    assert_eq!(export(&c, "for-c"), Vec::<Value>::new(), "a partner under no agreement gets none of it");
    // The release is in the log, under the export channel, and the chain holds.
    let shown = String::from_utf8(entente(d, &["audit", "show", "--recipient", &b]).stdout).unwrap();
    assert!(shown.contains("\"channel\":\"export\"") && shown.contains(&id), "{shown}");
    assert!(entente(d, &["audit", "verify"]).status.success());
    // --misp without --for is refused before anything is read.
    let out = entente(d, &["export", "--misp", "all"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
