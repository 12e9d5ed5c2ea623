//! Unit tests: small hand-written MISP events through both directions,
//! one attribute of every type the mapping covers, refusals named, the
//! same event giving the same objects, and arbitrary JSON never panicking.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::*;

const AUTHOR: &str = "identity--0d9a3c1e-1111-4a4a-8b8b-123456789abc";
const EVENT: &str = "5c066053-0e94-46eb-9746-4b7d950d210f";

fn author() -> model::StixId {
    model::StixId::parse(AUTHOR).unwrap()
}

fn attr(n: u32, kind: &str, value: &str, to_ids: bool) -> Value {
    json!({
        "uuid": format!("00000000-0000-4000-8000-{n:012}"),
        "type": kind, "category": "Network activity", "value": value,
        "to_ids": if to_ids { json!(true) } else { json!("0") },
        "timestamp": "1550654276", "comment": "",
    })
}

fn event(attributes: Vec<Value>, extra: Value) -> Value {
    let mut e = json!({
        "uuid": EVENT, "info": "test event", "date": "2018-11-27", "timestamp": "1550654276",
        "publish_timestamp": 1550654277, "threat_level_id": "3", "analysis": "0",
        "Orgc": { "name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f" },
        "Tag": [{ "name": "tlp:amber" }, { "name": "PAP:GREEN" }],
        "Attribute": attributes,
    });
    if let (Value::Object(e), Value::Object(x)) = (&mut e, extra) {
        e.extend(x);
    }
    json!({ "Event": e })
}

fn convert(ev: &Value) -> (Conversion, Vec<Refusal>) {
    let (event, refused) = Event::from_json(&serde_json::to_vec(ev).unwrap(), "test").unwrap();
    (event_to_stix(&event, &author()), refused)
}

fn of_type(c: &Conversion, ty: &str) -> Vec<Value> {
    c.objects.iter().filter(|o| o.object_type() == ty).map(|o| o.to_value()).collect()
}

/// Every detection attribute type: its indicator's pattern, which must
/// parse with Entente's own parser.
#[test]
fn detection_attributes_become_indicators_with_patterns_entente_parses() {
    let cases = [
        ("ip-dst", "198.51.100.7", "[ipv4-addr:value = '198.51.100.7']"),
        ("ip-src", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        ("ip-dst", "203.0.113.0/24", "[ipv4-addr:value = '203.0.113.0/24']"),
        ("ip-dst|port", "198.51.100.7|443", "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]"),
        ("ip-src|port", "198.51.100.8|8080", "[network-traffic:src_ref.value = '198.51.100.8' AND network-traffic:src_port = 8080]"),
        ("domain", "evil.example", "[domain-name:value = 'evil.example']"),
        ("hostname", "c2.evil.example", "[domain-name:value = 'c2.evil.example']"),
        ("domain|ip", "evil.example|198.51.100.9", "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.9']"),
        ("hostname|port", "c2.evil.example|8443", "[network-traffic:dst_ref.value = 'c2.evil.example' AND network-traffic:dst_port = 8443]"),
        ("url", "http://evil.example/a?b='c'", r"[url:value = 'http://evil.example/a?b=\'c\'']"),
        ("uri", "/gate.php", "[url:value = '/gate.php']"),
        ("link", "https://blog.example/post", "[url:value = 'https://blog.example/post']"),
        ("email-src", "bad@evil.example", "[email-addr:value = 'bad@evil.example']"),
        ("email-dst", "victim@example.org", "[email-addr:value = 'victim@example.org']"),
        ("email", "x@evil.example", "[email-addr:value = 'x@evil.example']"),
        ("email-subject", "Invoice", "[email-message:subject = 'Invoice']"),
        ("filename", "dropper.exe", "[file:name = 'dropper.exe']"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"),
        ("sha256", &"a".repeat(64), &format!("[file:hashes.'SHA-256' = '{}']", "a".repeat(64))),
        ("sha512", &"b".repeat(128), &format!("[file:hashes.'SHA-512' = '{}']", "b".repeat(128))),
        ("sha3-256", &"c".repeat(64), &format!("[file:hashes.'SHA3-256' = '{}']", "c".repeat(64))),
        ("ssdeep", "96:abc:def", "[file:hashes.'SSDEEP' = '96:abc:def']"),
        ("filename|sha256", &format!("a.dll|{}", "d".repeat(64)), &format!("[file:name = 'a.dll' AND file:hashes.'SHA-256' = '{}']", "d".repeat(64))),
        ("malware-sample", "s.exe|d41d8cd98f00b204e9800998ecf8427e", "[file:name = 's.exe' AND file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"),
        ("mutex", "Global\\m", "[mutex:name = 'Global\\\\m']"),
        ("regkey", "HKLM\\Software\\Run", "[windows-registry-key:key = 'HKLM\\\\Software\\\\Run']"),
        ("regkey|value", "HKLM\\Run|evil.exe", "[windows-registry-key:key = 'HKLM\\\\Run' AND windows-registry-key:values[*].data = 'evil.exe']"),
        ("AS", "AS64496", "[autonomous-system:number = 64496]"),
        ("mac-address", "00-1A-2B-3C-4D-5E", "[mac-addr:value = '00:1a:2b:3c:4d:5e']"),
        ("x509-fingerprint-sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "[x509-certificate:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"),
    ];
    let attrs: Vec<Value> = cases.iter().enumerate().map(|(i, (k, v, _))| attr(i as u32, k, v, true)).collect();
    let (c, refused) = convert(&event(attrs, json!({})));
    assert!(refused.is_empty() && c.refusals.is_empty(), "{:?} {:?}", refused, c.refusals);
    let indicators = of_type(&c, "indicator");
    assert_eq!(indicators.len(), cases.len());
    for (i, (kind, _, want)) in cases.iter().enumerate() {
        let ind = indicators
            .iter()
            .find(|o| o["external_references"][0]["external_id"] == format!("00000000-0000-4000-8000-{i:012}"))
            .unwrap_or_else(|| panic!("no indicator for {kind}"));
        assert_eq!(ind["pattern"], *want, "{kind}");
        pattern::parse(want).unwrap_or_else(|e| panic!("{kind}: {want}: {e:?}"));
        assert_eq!(ind["created_by_ref"], AUTHOR);
        assert_eq!(ind["object_marking_refs"], json!([model::tlp::Tlp::Amber.marking_id()]), "{kind}");
        assert!(ind["labels"].as_array().unwrap().contains(&json!(format!("misp:type=\"{kind}\""))));
    }
}

/// The same attributes without to_ids: SCOs, with the SCOs they refer to.
#[test]
fn other_attributes_become_observables() {
    let cases = [
        ("ip-dst", "198.51.100.7", "ipv4-addr"),
        ("domain|ip", "evil.example|198.51.100.9", "domain-name"),
        ("ip-dst|port", "198.51.100.7|443", "network-traffic"),
        ("url", "http://evil.example/", "url"),
        ("email-src", "bad@evil.example", "email-addr"),
        ("email-subject", "Invoice", "email-message"),
        ("filename|md5", "a.exe|d41d8cd98f00b204e9800998ecf8427e", "file"),
        ("mutex", "m", "mutex"),
        ("regkey", "HKLM\\Run", "windows-registry-key"),
        ("AS", "64496", "autonomous-system"),
        ("mac-address", "00:1a:2b:3c:4d:5e", "mac-addr"),
        ("x509-fingerprint-sha256", &"e".repeat(64), "x509-certificate"),
    ];
    let attrs: Vec<Value> = cases.iter().enumerate().map(|(i, (k, v, _))| attr(i as u32, k, v, false)).collect();
    let (c, _) = convert(&event(attrs, json!({})));
    assert!(c.refusals.is_empty(), "{:?}", c.refusals);
    assert!(of_type(&c, "indicator").is_empty());
    for (i, (kind, _, ty)) in cases.iter().enumerate() {
        let uuid = format!("00000000-0000-4000-8000-{i:012}");
        let found = c.objects.iter().map(|o| o.to_value()).find(|o| o["x_misp_uuid"] == uuid.as_str());
        let sco = found.unwrap_or_else(|| panic!("no SCO for {kind}"));
        assert_eq!(sco["type"], *ty, "{kind}");
        assert_eq!(sco["x_misp_type"], *kind);
        assert!(sco.get("created_by_ref").is_none(), "SCOs have no author");
    }
    let domain = of_type(&c, "domain-name").pop().unwrap();
    let ip = domain["resolves_to_refs"][0].as_str().unwrap();
    assert!(c.objects.iter().any(|o| o.id().as_str() == ip), "the address it resolves to is there");
    let nt = of_type(&c, "network-traffic").pop().unwrap();
    assert_eq!(nt["dst_port"], 443);
    assert_eq!(nt["protocols"], json!(["ipv4"]));
}

#[test]
fn vulnerabilities_campaigns_and_unmapped_types_are_kept() {
    let attrs = vec![
        attr(1, "vulnerability", "CVE-2021-44228", false),
        attr(2, "campaign-name", "Operation Test", false),
        attr(3, "text", "free text about the event", false),
        attr(4, "some-future-type", "whatever", true),
    ];
    let (c, _) = convert(&event(attrs, json!({})));
    assert!(c.refusals.is_empty(), "{:?}", c.refusals);
    let v = of_type(&c, "vulnerability").pop().unwrap();
    assert_eq!(v["name"], "CVE-2021-44228");
    assert_eq!(v["external_references"][0], json!({ "source_name": "cve", "external_id": "CVE-2021-44228" }));
    assert_eq!(of_type(&c, "campaign").pop().unwrap()["name"], "Operation Test");
    let custom = of_type(&c, "x-misp-attribute");
    assert_eq!(custom.len(), 2);
    assert!(custom.iter().any(|o| o["x_misp_type"] == "some-future-type" && o["x_misp_value"] == "whatever"));
}

#[test]
fn bad_values_are_refused_by_name_and_the_rest_kept() {
    let attrs = vec![
        attr(1, "ip-dst", "not-an-ip", true),
        attr(2, "md5", "abc", true),
        attr(3, "domain", "evil.example", true),
        json!({ "type": "ip-dst", "value": "198.51.100.1" }),
        json!({ "uuid": "00000000-0000-4000-8000-000000000005", "type": "domain" }),
    ];
    let (c, refused) = convert(&event(attrs, json!({})));
    let all: Vec<String> = refused.iter().chain(c.refusals.iter()).map(|r| r.to_string()).collect();
    assert_eq!(all.len(), 4, "{all:?}");
    assert!(all.iter().any(|r| r.contains("00000000-0000-4000-8000-000000000001 (ip-dst)") && r.contains("not an IP")), "{all:?}");
    assert!(all.iter().any(|r| r.contains("000000000002 (md5)") && r.contains("md5 hash")), "{all:?}");
    assert!(all.iter().any(|r| r.contains("Attribute[3]") && r.contains("uuid")), "{all:?}");
    assert!(all.iter().any(|r| r.contains("000000000005") && r.contains("value")), "{all:?}");
    assert!(all.iter().all(|r| r.starts_with(&format!("event {EVENT}: attribute "))));
    assert_eq!(of_type(&c, "indicator").len(), 1, "the valid attribute is kept");
}

#[test]
fn bad_events_name_the_event_and_the_field() {
    let check = |bytes: &[u8], want: &str| {
        let err = Event::from_json(bytes, "feed/x.json").unwrap_err().to_string();
        assert!(err.contains(want), "{err} should contain {want}");
    };
    check(b"{not json", "feed/x.json: not JSON");
    check(b"[]", "event feed/x.json: Event: must be a JSON object");
    check(br#"{"Event": {"info": "x"}}"#, "event feed/x.json: Event.uuid: is missing");
    check(br#"{"Event": {"uuid": "nope"}}"#, "Event.uuid: is not a uuid");
    check(format!(r#"{{"Event": {{"uuid": "{EVENT}", "Attribute": 3}}}}"#).as_bytes(), &format!("event {EVENT}: Attribute: must be a list"));
    check(format!(r#"{{"Event": {{"uuid": "{EVENT}", "timestamp": "soon"}}}}"#).as_bytes(), "Event.timestamp: `soon` is not an integer");
    check(format!(r#"{{"Event": {{"uuid": "{EVENT}", "Object": [{{"uuid": "{EVENT}"}}]}}}}"#).as_bytes(), "Object[0].name");
}

#[test]
fn tags_become_markings_and_labels_and_galaxies_become_sdos_with_relationships() {
    let mut a = attr(1, "sha256", &"a".repeat(64), true);
    a["Tag"] = json!([{ "name": "tlp:red" }, { "name": "misp-galaxy:mitre-attack-pattern=\"Spearphishing Attachment - T1566.001\"" }]);
    a["Galaxy"] = json!([{ "type": "ransomware", "GalaxyCluster": [{ "type": "ransomware", "value": "SamSam", "uuid": "11111111-2222-4333-8444-555555555555", "description": "ransomware" }]}]);
    let mut ev = event(vec![a, attr(2, "ip-dst", "198.51.100.7", false)], json!({
        "Galaxy": [{ "type": "threat-actor", "GalaxyCluster": [{ "type": "threat-actor", "value": "APT Test", "description": "an actor" }]}],
    }));
    ev["Event"]["Tag"] = json!([
        { "name": "tlp:clear" }, { "name": "PAP:AMBER" }, { "name": "osint:source-type=\"blog-post\"" },
        { "name": "misp-galaxy:tool=\"Mimikatz\"" }, { "name": "misp-galaxy:country=\"france\"" },
    ]);
    let (c, _) = convert(&ev);
    assert!(c.refusals.is_empty(), "{:?}", c.refusals);
    let report = of_type(&c, "report").pop().unwrap();
    assert_eq!(report["labels"], json!(["PAP:AMBER", "osint:source-type=\"blog-post\"", "misp-galaxy:country=\"france\""]));
    assert_eq!(report["object_marking_refs"], json!([model::tlp::Tlp::Clear.marking_id()]));
    let ind = of_type(&c, "indicator").pop().unwrap();
    assert_eq!(ind["object_marking_refs"], json!([model::tlp::Tlp::Red.marking_id()]), "the attribute's own TLP wins");
    let sco = of_type(&c, "ipv4-addr").pop().unwrap();
    assert_eq!(sco["object_marking_refs"], json!([model::tlp::Tlp::Clear.marking_id()]), "the event's TLP otherwise");
    let ta = of_type(&c, "threat-actor").pop().unwrap();
    assert_eq!((ta["name"].as_str(), ta["description"].as_str()), (Some("APT Test"), Some("an actor")));
    let malware = of_type(&c, "malware").pop().unwrap();
    assert_eq!(malware["is_family"], true);
    let tool = of_type(&c, "tool").pop().unwrap();
    let ap = of_type(&c, "attack-pattern").pop().unwrap();
    assert_eq!(ap["external_references"][0], json!({ "source_name": "mitre-attack", "external_id": "T1566.001" }));
    let rels: Vec<(String, String, String)> = of_type(&c, "relationship")
        .iter()
        .map(|r| (r["source_ref"].as_str().unwrap().into(), r["relationship_type"].as_str().unwrap().into(), r["target_ref"].as_str().unwrap().into()))
        .collect();
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    assert!(rels.contains(&(id(&ind), "indicates".into(), id(&malware))), "{rels:?}");
    assert!(rels.contains(&(id(&ind), "indicates".into(), id(&ap))), "{rels:?}");
    assert!(rels.contains(&(id(&ta), "uses".into(), id(&tool))), "{rels:?}");
    // The report refers to everything else.
    let refs = report["object_refs"].as_array().unwrap();
    assert_eq!(refs.len(), c.objects.len() - 1);
}

#[test]
fn sightings_become_sightings_and_false_positives_opinions() {
    let mut a = attr(1, "domain", "evil.example", true);
    a["Sighting"] = json!([
        { "uuid": "99999999-0000-4000-8000-000000000001", "date_sighting": "1550700000", "type": "0", "source": "sensor", "Organisation": { "name": "CERT-X" } },
        { "date_sighting": 1550700001, "type": "1" },
        { "date_sighting": 1550700002, "type": "2" },
        { "type": "0", "source": "not saved yet, no date" },
    ]);
    let (c, _) = convert(&event(vec![a], json!({})));
    assert!(c.refusals.is_empty(), "{:?}", c.refusals);
    let ind = of_type(&c, "indicator").pop().unwrap();
    let s = of_type(&c, "sighting").pop().unwrap();
    assert_eq!(s["sighting_of_ref"], ind["id"]);
    assert_eq!(s["first_seen"], "2019-02-20T22:00:00.000000Z");
    assert_eq!((s["x_misp_source"].as_str(), s["x_misp_org"].as_str()), (Some("sensor"), Some("CERT-X")));
    let o = of_type(&c, "opinion").pop().unwrap();
    assert_eq!(o["opinion"], "strongly-disagree");
    assert_eq!(o["object_refs"], json!([ind["id"]]));
    assert_eq!(of_type(&c, "sighting").len() + of_type(&c, "opinion").len(), 2, "expirations are left out");
}

#[test]
fn misp_objects_become_one_observable_or_indicator() {
    let obj = |uuid: &str, name: &str, attrs: Vec<(&str, &str, &str, bool)>| {
        json!({ "uuid": uuid, "name": name, "meta-category": "network", "timestamp": "1550654276",
            "Attribute": attrs.iter().enumerate().map(|(i, (rel, kind, value, ids))| {
                let mut a = attr(100 + i as u32 + 10 * uuid.len() as u32, kind, value, *ids);
                a["uuid"] = json!(format!("{}{:02}", &uuid[..uuid.len() - 2], i));
                a["object_relation"] = json!(rel);
                a
            }).collect::<Vec<_>>() })
    };
    let objects = json!([
        obj("10000000-0000-4000-8000-000000000000", "file", vec![("filename", "filename", "a.exe", true), ("md5", "md5", "d41d8cd98f00b204e9800998ecf8427e", true), ("size-in-bytes", "size-in-bytes", "1024", false), ("path", "text", "C:\\x", false)]),
        obj("20000000-0000-4000-8000-000000000000", "domain-ip", vec![("domain", "domain", "evil.example", false), ("ip", "ip-dst", "198.51.100.1", false), ("ip", "ip-dst", "198.51.100.2", false)]),
        obj("30000000-0000-4000-8000-000000000000", "url", vec![("url", "url", "http://evil.example/x", true)]),
        obj("40000000-0000-4000-8000-000000000000", "ip-port", vec![("ip", "ip-dst", "198.51.100.3", true), ("dst-port", "port", "443", false)]),
        obj("50000000-0000-4000-8000-000000000000", "email", vec![("from", "email-src", "a@evil.example", false), ("to", "email-dst", "b@example.org", false), ("subject", "email-subject", "Hi", false)]),
        obj("60000000-0000-4000-8000-000000000000", "geolocation", vec![("city", "text", "Luxembourg", false)]),
    ]);
    let (c, _) = convert(&event(vec![], json!({ "Object": objects })));
    assert!(c.refusals.is_empty(), "{:?}", c.refusals);
    let patterns: Vec<String> = of_type(&c, "indicator").iter().map(|i| i["pattern"].as_str().unwrap().to_owned()).collect();
    assert!(patterns.contains(&"[file:name = 'a.exe' AND file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e' AND file:size = 1024]".to_owned()), "{patterns:?}");
    assert!(patterns.contains(&"[url:value = 'http://evil.example/x']".to_owned()), "{patterns:?}");
    assert!(patterns.contains(&"[network-traffic:dst_ref.value = '198.51.100.3' AND network-traffic:dst_port = 443]".to_owned()), "{patterns:?}");
    for p in &patterns {
        pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e:?}"));
    }
    let file = of_type(&c, "indicator").into_iter().find(|i| i["name"] == "file object").unwrap();
    assert_eq!(file["x_misp_attributes"][0]["value"], "C:\\x", "unmapped relations are kept");
    let domain = of_type(&c, "domain-name").pop().unwrap();
    assert_eq!(domain["resolves_to_refs"].as_array().unwrap().len(), 2);
    let email = of_type(&c, "email-message").pop().unwrap();
    assert_eq!(email["subject"], "Hi");
    assert!(email["from_ref"].as_str().unwrap().starts_with("email-addr--"));
    let geo = of_type(&c, "x-misp-object").pop().unwrap();
    assert_eq!(geo["x_misp_attributes"][0]["value"], "Luxembourg");
}

#[test]
fn the_same_event_gives_the_same_objects_and_ids_come_from_misp_uuids() {
    let ev = event(vec![attr(1, "ip-dst", "198.51.100.7", true), attr(2, "domain", "x.example", false)], json!({}));
    let (a, _) = convert(&ev);
    let (b, _) = convert(&ev);
    let bytes = |c: &Conversion| c.objects.iter().map(|o| o.json().to_vec()).collect::<Vec<_>>();
    assert_eq!(bytes(&a), bytes(&b));
    let ind = of_type(&a, "indicator").pop().unwrap();
    let want = uuid::Uuid::new_v5(&crate::NAMESPACE, format!("indicator|{AUTHOR}|00000000-0000-4000-8000-000000000001").as_bytes());
    assert_eq!(ind["id"], format!("indicator--{want}"));
    let report = of_type(&a, "report").pop().unwrap();
    assert_eq!(report["external_references"][0], json!({ "source_name": "misp", "external_id": EVENT, "description": "MISP event" }));
    assert_eq!(report["external_references"][1], json!({ "source_name": "misp-org", "external_id": "55f6ea5e-2c60-40e5-964f-47a8950d210f", "description": "CIRCL" }));
    assert_eq!(report["x_misp_orgc"], "CIRCL");
    assert_eq!(report["created_by_ref"], AUTHOR, "authored by the importing partner");
    // An edited attribute is a new version of its indicator, same id.
    let mut edited = ev.clone();
    edited["Event"]["Attribute"][0]["timestamp"] = json!("1560000000");
    edited["Event"]["Attribute"][0]["comment"] = json!("now with a comment");
    let (c, _) = convert(&edited);
    let ind2 = of_type(&c, "indicator").pop().unwrap();
    assert_eq!(ind2["id"], ind["id"]);
    assert_eq!(ind2["created"], ind["created"]);
    assert!(ind2["modified"].as_str() > ind["modified"].as_str());
    // Another partner importing the same event has objects of its own.
    let other = model::StixId::parse("identity--0d9a3c1e-2222-4a4a-8b8b-123456789abc").unwrap();
    let (event, _) = Event::from_value(&ev, "test").unwrap();
    let theirs = event_to_stix(&event, &other);
    let mine: std::collections::HashSet<&str> = a.objects.iter().map(|o| o.id().as_str()).collect();
    assert!(theirs.objects.iter().all(|o| !mine.contains(o.id().as_str())));
}

#[test]
fn an_empty_event_is_a_report_referring_to_its_importer() {
    let (c, _) = convert(&json!({ "Event": { "uuid": EVENT } }));
    assert_eq!(c.objects.len(), 1);
    let r = c.objects[0].to_value();
    assert_eq!(r["object_refs"], json!([AUTHOR]));
    assert_eq!(r["name"], format!("MISP event {EVENT}"));
}

#[test]
fn feeds_are_read_and_written() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![event(vec![attr(1, "ip-dst", "198.51.100.7", true)], json!({}))];
    assert_eq!(feed::write(dir.path(), &events).unwrap(), 1);
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest[EVENT]["info"], "test event");
    let hashes = std::fs::read_to_string(dir.path().join("hashes.csv")).unwrap();
    assert_eq!(hashes.lines().count(), 1, "{hashes}");
    let read = feed::read(dir.path()).unwrap();
    assert_eq!(read.len(), 1);
    let (event, refused) = read[0].1.as_ref().unwrap();
    assert!(refused.is_empty());
    assert_eq!(event.attributes[0].value, "198.51.100.7");
    // A manifest naming a missing file: that event fails, by name.
    std::fs::write(dir.path().join("manifest.json"), format!(r#"{{"{EVENT}": {{}}, "6c066053-0e94-46eb-9746-4b7d950d210f": {{}}}}"#)).unwrap();
    let read = feed::read(dir.path()).unwrap();
    assert!(read[0].1.is_ok());
    let err = read[1].1.as_ref().unwrap_err().to_string();
    assert!(err.contains("6c066053-0e94-46eb-9746-4b7d950d210f.json"), "{err}");
    std::fs::remove_file(dir.path().join("manifest.json")).unwrap();
    assert!(feed::read(dir.path()).unwrap_err().to_string().contains("manifest.json"));
}

#[test]
fn stix_goes_back_to_misp_events() {
    let mut ind = attr(1, "ip-dst", "198.51.100.7", true);
    ind["Sighting"] = json!([{ "date_sighting": "1550700000", "type": "0" }]);
    let mut ev = event(
        vec![
            ind,
            attr(2, "domain", "evil.example", false),
            attr(3, "vulnerability", "CVE-2021-44228", false),
            attr(4, "text", "note", false),
            attr(5, "hostname", "c2.example", false),
            attr(6, "ip-src", "198.51.100.8", true),
        ],
        json!({ "Galaxy": [{ "type": "threat-actor", "GalaxyCluster": [{ "value": "APT Test" }]}] }),
    );
    ev["Event"]["Tag"] = json!([{ "name": "tlp:green" }, { "name": "PAP:GREEN" }]);
    let (c, _) = convert(&ev);
    let mut objects: Vec<Value> = c.objects.iter().map(|o| o.to_value()).collect();
    // A loose indicator of another day, in no report.
    objects.push(json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--11111111-1111-4111-8111-111111111111",
        "created": "2024-05-01T10:00:00Z", "modified": "2024-05-02T10:00:00Z", "pattern_type": "stix",
        "pattern": "[file:hashes.'SHA-256' = 'aa' OR url:value = 'http://x.example/']", "valid_from": "2024-05-01T10:00:00Z",
    }));
    let org = Org { name: "Borealis".into(), uuid: Some("0d9a3c1e-1111-4a4a-8b8b-123456789abc".into()) };
    let out = stix_to_events(&objects, &org, AUTHOR, "2026-01-01");
    assert_eq!(out.events.len(), 2, "the report's event and one day's");
    let e = &out.events[0]["Event"];
    assert_eq!(e["uuid"], EVENT, "the MISP event keeps its uuid");
    assert_eq!(e["info"], "test event");
    let tags: Vec<&str> = e["Tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, ["tlp:green", "PAP:GREEN", "misp-galaxy:threat-actor=\"APT Test\""]);
    let attrs = e["Attribute"].as_array().unwrap();
    let by_type = |t: &str| attrs.iter().find(|a| a["type"] == t).unwrap_or_else(|| panic!("no {t} in {attrs:?}"));
    let ip = by_type("ip-dst");
    assert_eq!((ip["value"].as_str(), ip["to_ids"].as_bool()), (Some("198.51.100.7"), Some(true)));
    assert_eq!(ip["uuid"], "00000000-0000-4000-8000-000000000001", "attribute uuids survive the round trip");
    assert_eq!(ip["Sighting"].as_array().unwrap().len(), 1);
    assert_eq!(by_type("domain")["to_ids"], false);
    assert_eq!(by_type("hostname")["value"], "c2.example", "the MISP type comes back");
    assert_eq!(by_type("ip-src")["value"], "198.51.100.8", "the MISP type comes back");
    assert_eq!(by_type("vulnerability")["value"], "CVE-2021-44228");
    assert_eq!(by_type("text")["value"], "note");
    assert_eq!(attrs.len(), 6);
    let day = &out.events[1]["Event"];
    assert_eq!(day["date"], "2024-05-02");
    let values: Vec<(&str, &str)> = day["Attribute"].as_array().unwrap().iter().map(|a| (a["type"].as_str().unwrap(), a["value"].as_str().unwrap())).collect();
    assert_eq!(values, [("sha256", "aa"), ("url", "http://x.example/")]);
    // Each event says what it was made of: the loose indicator alone for the day's.
    assert_eq!(out.sources.len(), 2);
    assert_eq!(out.sources[1], ["indicator--11111111-1111-4111-8111-111111111111"]);
    let report = objects.iter().find(|o| o["type"] == "report").unwrap()["id"].as_str().unwrap();
    assert!(out.sources[0].iter().any(|id| id == report) && out.sources[0].iter().any(|id| id.starts_with("sighting--")), "{:?}", out.sources[0]);
    assert!(!out.sources[0].iter().any(|id| id.starts_with("indicator--1111")));
    // hashes.csv: the MD5 of every value with its event (both parts of a composite).
    let hashes = feed::hashes(&out.events).unwrap();
    assert!(hashes.contains(&format!("526291673f8700ef4e4902e29550a03b,{EVENT}\n")), "md5 of 198.51.100.7: {hashes}");
    let mut composite = event(vec![attr(1, "domain|ip", "evil.example|198.51.100.9", true)], json!({}));
    composite["Event"]["uuid"] = json!(EVENT);
    let lines = feed::hashes(&[composite]).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(lines.starts_with(&format!("{},{EVENT}", crate::md5_hex(b"evil.example"))), "{lines}");
    // What has no MISP form is counted, not lost silently.
    assert!(out.left_out.iter().all(|id| id.starts_with("relationship--")), "{:?}", out.left_out);
    // And back again: the exported event converts to the same indicator.
    let (again, _) = convert(&out.events[0]);
    let first = of_type(&c, "indicator").pop().unwrap();
    let second = of_type(&again, "indicator").pop().unwrap();
    assert_eq!((first["id"].clone(), first["pattern"].clone()), (second["id"].clone(), second["pattern"].clone()));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("5c066053-0e94-46eb-9746-4b7d950d210f".to_owned()),
            Just("ip-dst".to_owned()),
            Just("domain|ip".to_owned()),
            Just("tlp:red".to_owned()),
            Just("misp-galaxy:tool=\"x\"".to_owned()),
            Just("1550654276".to_owned()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("Event"), Just("uuid"), Just("type"), Just("value"), Just("Attribute"), Just("Object"), Just("Tag"),
            Just("name"), Just("Galaxy"), Just("GalaxyCluster"), Just("Sighting"), Just("timestamp"), Just("date"),
            Just("to_ids"), Just("object_relation"), Just("date_sighting"), Just("Orgc"),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever the JSON, reading and converting never panics, and every
    /// object that comes out is valid STIX.
    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        if let Ok((event, _)) = Event::from_value(&v, "fuzz") {
            let c = event_to_stix(&event, &author());
            let objects: Vec<Value> = c.objects.iter().map(|o| o.to_value()).collect();
            for o in &c.objects {
                prop_assert!(model::Object::parse(o.json(), &model::Limits::default()).is_ok());
            }
            let _ = stix_to_events(&objects, &Org::default(), "k", "2026-01-01");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Event::from_json(&bytes, "fuzz");
    }
}
