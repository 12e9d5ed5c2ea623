//! Generate → import → export keeps every version of every object.

use std::collections::HashMap;

use serde_json::Value;

use crate::{entente, entente_env, stderr};

fn objects_of(bundle: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(bundle).expect("export is one JSON document");
    assert_eq!(v["type"], "bundle");
    v["objects"].as_array().expect("objects").clone()
}

fn key(o: &Value) -> (String, String) {
    let version = o.get("modified").or_else(|| o.get("created")).and_then(Value::as_str).unwrap_or("");
    (o["id"].as_str().unwrap().to_owned(), version.to_owned())
}

#[test]
fn generated_100k_round_trips_every_version() {
    round_trip(100_000, &[]);
}

#[test]
fn generated_20k_round_trips_every_version_on_postgres() {
    let url = store_postgres::testing::fresh_url();
    round_trip(20_000, &[("ENTENTE_DATABASE_URL", url.as_str())]);
}

/// Generates `n` objects, imports them, exports everything and compares.
fn round_trip(n: usize, env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let count = n.to_string();
    let out = entente(d, &["generate", "--objects", &count, "--producers", "6", "--seed", "42", "-o", "in.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let input = objects_of(&std::fs::read(d.join("in.json")).unwrap());
    assert_eq!(input.len(), n);

    let out = entente_env(d, &["import", "in.json"], env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{n} added, 0 unchanged, 0 conflicts, 0 rejected")), "{}", stderr(&out));

    let out = entente_env(d, &["export", "-o", "out.json"], env);
    assert!(out.status.success(), "{}", stderr(&out));
    let output = objects_of(&std::fs::read(d.join("out.json")).unwrap());
    // Everything imported, plus the node's own: its identity (with its
    // public key), Entente's identity and the 5 extension definitions.
    assert_eq!(output.len(), input.len() + 7);
    let node_identity: Vec<&Value> = output.iter().filter(|o| o["type"] == "identity" && o["created_by_ref"] == o["id"]).collect();
    assert_eq!(node_identity.len(), 1, "{node_identity:?}");
    assert_eq!(output.iter().filter(|o| o["type"] == "extension-definition").count(), 5);

    let exported: HashMap<_, _> = output.iter().map(|o| (key(o), o)).collect();
    assert_eq!(exported.len(), output.len(), "no version exported twice");
    let mut versions_per_id: HashMap<String, usize> = HashMap::new();
    for o in &input {
        let k = key(o);
        *versions_per_id.entry(k.0.clone()).or_default() += 1;
        assert_eq!(exported.get(&k), Some(&o), "version {k:?} differs or is missing");
    }
    assert!(versions_per_id.values().any(|n| *n > 1), "the generator makes some objects in several versions");

    // Importing the same file again changes nothing.
    let out = entente_env(d, &["import", "in.json"], env);
    assert!(stderr(&out).contains(&format!("0 added, {n} unchanged")), "{}", stderr(&out));
}

#[test]
fn generate_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["a.jsonl", "b.jsonl"] {
        let out = entente(d, &["generate", "--objects", "2000", "--seed", "9", "--format", "jsonl", "-o", name]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let a = std::fs::read(d.join("a.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(d.join("b.jsonl")).unwrap());
    let text = String::from_utf8(a).unwrap();
    let objs: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let indicators = objs.iter().filter(|o| o["type"] == "indicator").count();
    assert!((1200..1600).contains(&indicators), "about 70% indicators, got {indicators}");
    for ty in ["malware", "relationship", "sighting", "identity", "threat-actor"] {
        assert!(objs.iter().any(|o| o["type"] == ty), "no {ty}");
    }
    let other = entente(d, &["generate", "--objects", "2000", "--seed", "10", "--format", "jsonl"]);
    assert_ne!(other.stdout, text.as_bytes());
}
