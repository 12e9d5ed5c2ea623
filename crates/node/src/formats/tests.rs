//! The formats on indicators and observables, hostile strings included.

use serde_json::json;

use super::*;

fn indicator(pattern: &str, name: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--0a2b4c6d-0000-4000-8000-000000000001",
        "created": "2026-03-01T10:00:00Z", "modified": "2026-03-02T10:00:00Z", "name": name,
        "created_by_ref": "identity--0a2b4c6d-0000-4000-8000-0000000000aa", "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-03-01T10:00:00Z", "labels": ["c2", "ransomware"],
        "object_marking_refs": [model::tlp::Tlp::Amber.marking_id()]})
}

#[test]
fn csv_rows_quote_what_needs_it_and_never_make_a_formula() {
    let o = indicator("[domain-name:value = 'evil.example' OR domain-name:value = 'bad.example']", "=HYPERLINK(\"http://x\",\"y\"), then");
    let row = csv_row(&o);
    assert_eq!(CSV_HEADER.split(',').count(), 10);
    assert!(row.starts_with("indicator--0a2b4c6d-0000-4000-8000-000000000001,indicator,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\"), then\","), "{row}");
    assert!(row.contains(",evil.example bad.example,"), "{row}");
    assert!(row.contains(",amber,c2;ransomware,"), "{row}");
    let sco = json!({"type": "ipv4-addr", "id": "ipv4-addr--0a2b4c6d-0000-4000-8000-000000000002", "value": "-1+2"});
    assert!(csv_row(&sco).contains(",'-1+2,'-1+2,"), "a name and value that start like a formula: {}", csv_row(&sco));
}

#[test]
fn only_a_disjunction_of_equalities_makes_rules() {
    assert_eq!(any_of("[ipv4-addr:value = '198.51.100.7']"), Some(vec![("ipv4-addr:value".into(), "198.51.100.7".into())]));
    assert_eq!(any_of("[domain-name:value IN ('a.example', 'b.example')] OR [url:value = 'https://c.example/x']").map(|v| v.len()), Some(3));
    for widening in [
        "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'a.example']",
        "[ipv4-addr:value = '198.51.100.7' AND ipv4-addr:value = '198.51.100.8']",
        "[ipv4-addr:value != '198.51.100.7']",
        "[ipv4-addr:value = '198.51.100.7'] REPEATS 3 TIMES",
        "[domain-name:value LIKE '%.example']",
    ] {
        assert_eq!(any_of(widening), None, "{widening}");
        assert!(suricata(&indicator(widening, "x"), &mut 1).is_err() && sigma(&indicator(widening, "x")).is_err(), "{widening}");
    }
}

#[test]
fn suricata_rules_per_value_with_hostile_text_escaped() {
    let o = indicator("[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'c2\";drop.example'] OR [url:value = 'https://evil.example/a;b|c']", "C2 \"quoted\"; sid:1; | pipe");
    let mut sid = 9_100_000;
    let rules = suricata(&o, &mut sid).unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(sid, 9_100_003);
    assert!(rules[0].starts_with("alert ip $HOME_NET any -> 198.51.100.7 any (msg:\"Entente C2 quoted sid1  pipe\";"), "{}", rules[0]);
    assert!(rules[1].contains("dns.query; content:\"c2|22||3B|drop.example\"; nocase;"), "{}", rules[1]);
    assert!(rules[2].contains("http.host; content:\"evil.example\"; nocase; http.uri; content:\"/a|3B|b|7C|c\";"), "{}", rules[2]);
    for r in &rules {
        assert!(r.ends_with("rev:1;)") && r.matches("sid:").count() == 1, "{r}");
        // Outside the quoted contents, no stray quote or semicolon from the indicator.
        assert_eq!(r.matches('"').count() % 2, 0, "{r}");
    }
    assert!(suricata(&json!({"type": "malware", "id": "malware--0a2b4c6d-0000-4000-8000-000000000003"}), &mut sid).is_err());
}

#[test]
fn sigma_rules_per_kind_of_value() {
    let o = indicator("[domain-name:value = 'evil.example'] OR [domain-name:value = 'it\\'s.example'] OR [file:hashes.'SHA-256' = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']", "Frost's loader");
    let rules = sigma(&o).unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert!(rules[0].contains("title: 'Entente Frost''s loader'\nid: 0a2b4c6d-0000-4000-8000-000000000001\n"), "{}", rules[0]);
    assert!(rules[0].contains("logsource:\n    category: dns\ndetection:\n    selection:\n        query:\n            - 'evil.example'\n            - 'it''s.example'\n"), "{}", rules[0]);
    assert!(rules[0].contains("date: 2026/03/01\n") && rules[0].contains("tags:\n    - tlp.amber\n"), "{}", rules[0]);
    assert!(rules[1].contains("category: process_creation") && rules[1].contains("Hashes|contains:\n            - 'SHA256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"), "{}", rules[1]);
    assert_ne!(rules[1].lines().nth(1), rules[0].lines().nth(1), "each rule its own id");
}

#[test]
fn values_of_indicators_and_observables() {
    assert_eq!(values(&indicator("[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'a.example']", "x")), ["198.51.100.7", "a.example"]);
    assert_eq!(values(&json!({"type": "domain-name", "value": "b.example"})), ["b.example"]);
    assert_eq!(values(&json!({"type": "file", "hashes": {"SHA-256": "aa00"}})), ["aa00"]);
}
