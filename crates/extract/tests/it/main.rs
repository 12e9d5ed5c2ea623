//! Extraction against report-like texts with known indicators (defanged
//! forms, HTML, benign values on warning lists, distractors such as
//! versions, file names and code), scored as precision and recall; the
//! STIX the candidates become; and input that must never panic.

use std::collections::BTreeSet;
use std::path::Path;

use extract::{extract, html_text, refang, Candidate, Kind, WarningLists};
use proptest::prelude::*;
use serde_json::Value;

/// A small warning list directory in MISP's format: private ranges, two
/// public resolvers, documentation sites.
fn lists() -> (tempfile::TempDir, WarningLists) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: Value| {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("list.json"), body.to_string()).unwrap();
    };
    write("rfc1918", serde_json::json!({"name": "RFC 1918", "type": "cidr", "list": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], "matching_attributes": ["ip-src", "ip-dst"]}));
    write("resolvers", serde_json::json!({"name": "Public resolvers", "type": "cidr", "list": ["8.8.8.8/32", "1.1.1.1"], "matching_attributes": ["ip-src", "ip-dst"]}));
    write("examples", serde_json::json!({"name": "Documentation sites", "type": "hostname", "list": ["example.org", "example.net"], "matching_attributes": ["domain", "hostname", "url"]}));
    let w = WarningLists::load(dir.path(), 1000).unwrap();
    (dir, w)
}

fn found_in(name: &str, w: &WarningLists) -> Vec<Candidate> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/reports").join(name);
    let raw = std::fs::read_to_string(path).unwrap();
    let text = if name.ends_with(".html") { html_text(&raw) } else { raw };
    let mut found = extract(&text);
    w.mark(&mut found);
    found
}

#[test]
fn report_texts_give_their_indicators_with_precision_and_recall_above_0_95() {
    let expected: serde_json::Map<String, Value> = serde_json::from_str(include_str!("expected.json")).unwrap();
    let (_dir, w) = lists();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut flagged = 0;
    for (name, want) in &expected {
        let want: BTreeSet<(String, String)> = want.as_array().unwrap().iter().map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned())).collect();
        let found = found_in(name, &w);
        flagged += found.iter().filter(|c| c.warning.is_some()).count();
        let got: BTreeSet<(String, String)> = found.iter().filter(|c| c.warning.is_none()).map(|c| (c.kind.name().to_owned(), c.value.clone())).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        let missed: Vec<_> = want.difference(&got).collect();
        println!("{name}: {} expected, {} found, extra {extra:?}, missed {missed:?}", want.len(), got.len());
        tp += got.intersection(&want).count();
        fp += extra.len();
        fn_ += missed.len();
    }
    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    println!("extraction: indicators={} true={tp} false={fp} missed={fn_} precision={precision:.3} recall={recall:.3} benign flagged={flagged}", tp + fn_);
    assert!(precision >= 0.95 && recall >= 0.95, "precision {precision:.3}, recall {recall:.3}");
    assert_eq!(flagged, 6, "two resolvers, two private addresses and two documentation URLs are flagged");
}

#[test]
fn defanged_forms_are_refanged_and_said_so() {
    assert_eq!(refang("hxxps://evil[.]example[dot]com/a"), "https://evil.example.com/a");
    assert_eq!(refang("1[.]2(.)3{.}4"), "1.2.3.4");
    assert_eq!(refang("user[@]mail[.]example[.]com"), "user@mail.example.com");
    assert_eq!(refang("HXXP[:]//x[.]com"), "http://x.com");
    assert_eq!(refang("a shxxp word"), "a shxxp word", "hxxp only as a scheme");
    let found = extract("seen 203.0.113[.]5 twice: 203.0.113.5, and hxxp://bad[.]example[.]com/x");
    let ip = found.iter().find(|c| c.kind == Kind::Ipv4).unwrap();
    assert_eq!((ip.value.as_str(), ip.count, ip.defanged, ip.at), ("203.0.113.5", 2, true, 5));
    assert!(found.iter().any(|c| c.kind == Kind::Url && c.value == "http://bad.example.com/x" && c.defanged));
}

#[test]
fn every_candidate_becomes_valid_stix() {
    let (_dir, w) = lists();
    let mut all = Vec::new();
    for name in ["01-glacierlock.txt", "02-phish.html", "03-apt.txt", "04-plain.txt"] {
        all.extend(found_in(name, &w).into_iter().filter(|c| c.warning.is_none()));
    }
    for c in &all {
        if let Some(p) = c.pattern() {
            pattern::parse(&p).unwrap_or_else(|e| panic!("{}: {p}: {e}", c.value));
        }
        if let Some(o) = c.observable() {
            model::Object::from_value(o.clone()).unwrap_or_else(|e| panic!("{o}: {e}"));
        }
    }
    let bundle = extract::report("GlacierLock", "from a vendor report", &all, "2026-03-20T00:00:00Z", &[model::tlp::Tlp::Amber.marking_id().to_owned()]);
    assert_eq!(bundle.len(), all.len() + 1);
    for o in &bundle {
        model::Object::from_value(o.clone()).unwrap_or_else(|e| panic!("{o}: {e}"));
    }
    assert_eq!(bundle[0]["object_refs"].as_array().unwrap().len(), all.len());
    // The same address gives the same observable id on every node (STIX's deterministic id).
    let ip = Candidate { kind: Kind::Ipv4, value: "203.0.113.5".into(), defanged: false, count: 1, at: 0, warning: None };
    assert_eq!(ip.observable().unwrap()["id"], ip.observable().unwrap()["id"]);
    assert!(ip.observable().unwrap()["id"].as_str().unwrap().starts_with("ipv4-addr--"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn any_text_is_scanned_without_panicking_and_values_are_refanged(text in ".{0,400}") {
        let found = extract(&text);
        for c in &found {
            prop_assert!(!c.value.contains("[.]") && !c.value.starts_with("hxxp"), "{:?}", c);
            prop_assert!(c.count >= 1 && c.at < text.len().max(1));
        }
        let _ = html_text(&text);
    }

    #[test]
    fn a_found_value_written_alone_is_found_again(text in "[a-z0-9\\.\\[\\]:/@ -]{0,200}") {
        for c in extract(&text) {
            let again = extract(&c.value);
            prop_assert!(again.iter().any(|d| d.kind == c.kind && d.value == c.value), "{:?} then {:?}", c, again);
        }
    }
}
