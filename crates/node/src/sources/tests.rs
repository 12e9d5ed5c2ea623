//! The sources' rules: the URL guard, the schedule, the conversions.

use super::*;

fn source(kind: Kind) -> Source {
    Source {
        name: "Open list".into(),
        kind,
        url: "https://feeds.example/list.txt".into(),
        interval: 3600,
        tlp: Some("green".into()),
        share: Vec::new(),
        column: 0,
        allow: Vec::new(),
        collection: None,
        credential_env: None,
    }
}

#[test]
fn a_taxii_source_names_its_collection_and_its_credential_by_variable() {
    let mut s = source(Kind::Taxii);
    assert!(s.check().unwrap_err().contains("`collection`: is required"));
    s.collection = Some("../x".into());
    assert!(s.check().unwrap_err().contains("`collection`"));
    s.collection = Some("91a7b528-80eb-42ed-a74d-c6fbd5a26116".into());
    s.credential_env = Some("A-B".into());
    assert!(s.check().unwrap_err().contains("`credential_env`"));
    s.credential_env = Some("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT".into());
    s.check().unwrap();
    let mut list = source(Kind::Csv);
    list.collection = Some("x".into());
    assert!(list.check().unwrap_err().contains("only for a taxii source"));
    // Unset: named; a bare token is Bearer; `Basic user:password` is encoded.
    std::env::remove_var("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT");
    assert!(s.authorization().unwrap_err().contains("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT"));
    std::env::set_var("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT", "secret");
    assert_eq!(s.authorization().unwrap().as_deref(), Some("Bearer secret"));
    std::env::set_var("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT", "Basic user:pass");
    assert_eq!(s.authorization().unwrap().as_deref(), Some("Basic dXNlcjpwYXNz"));
    std::env::set_var("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT", "two\nlines");
    assert!(s.authorization().is_err());
    std::env::remove_var("ENTENTE_TEST_SOURCE_CREDENTIAL_UNIT");
}

#[test]
fn a_taxii_envelope_gives_its_objects_more_and_next_and_garbage_is_named() {
    let (objects, more, next) = from_taxii_envelope(br#"{"more": true, "next": "abc", "objects": [{"type": "indicator"}]}"#).unwrap();
    assert_eq!((objects.len(), more, next.as_deref()), (1, true, Some("abc")));
    let (objects, more, next) = from_taxii_envelope(b"{}").unwrap();
    assert_eq!((objects.len(), more, next), (0, false, None));
    assert!(from_taxii_envelope(b"[]").unwrap_err().contains("envelope"));
    assert!(from_taxii_envelope(br#"{"objects": 3}"#).unwrap_err().contains("`objects`"));
    assert!(from_taxii_envelope(br#"{"more": "yes"}"#).unwrap_err().contains("`more`"));
    assert!(from_taxii_envelope(b"<html>").unwrap_err().contains("not JSON"));
}

#[test]
fn the_guard_refuses_every_private_loopback_link_local_and_metadata_address() {
    for bad in [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "255.255.255.255", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "fd00:ec2::254",
        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "ff02::1",
    ] {
        let ip: IpAddr = bad.parse().unwrap();
        let e = guard::check(ip, &[]).expect_err(bad);
        assert!(e.contains(bad) && e.contains("`allow`"), "{e}");
        assert!(guard::check(ip, &[ip]).is_ok(), "allowed explicitly: {bad}");
        assert!(guard::check(ip, &["127.0.0.2".parse().unwrap()]).is_err() || bad == "127.0.0.2", "another address allowed: {bad}");
    }
    for good in ["8.8.8.8", "198.51.100.7", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888"] {
        assert!(guard::check(good.parse().unwrap(), &[]).is_ok(), "{good}");
    }
}

#[test]
fn a_source_is_due_an_interval_after_its_last_attempt() {
    let s = source(Kind::Csv);
    let t0 = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    assert!(due(&s, None, &t0), "never pulled");
    let status = Status { last_attempt: Some(t0.as_str().to_owned()), ..Status::default() };
    assert!(!due(&s, Some(&status), &Timestamp::parse("2026-01-01T00:59:59Z").unwrap()));
    assert!(due(&s, Some(&status), &Timestamp::parse("2026-01-01T01:00:00Z").unwrap()));
}

#[test]
fn bad_configuration_names_the_source_and_field() {
    let mut s = source(Kind::Stix);
    assert!(s.check().is_ok());
    s.interval = 5;
    assert!(s.check().unwrap_err().contains("`interval`"));
    s.interval = 60;
    s.url = "file:///etc/passwd".into();
    assert!(s.check().unwrap_err().contains("`url`"));
    s.url = "http://x.example/".into();
    s.tlp = Some("purple".into());
    let e = s.check().unwrap_err();
    assert!(e.contains("`tlp`") && e.contains("Open list"), "{e}");
}

#[test]
fn a_list_gives_the_same_indicators_on_every_pull_and_names_bad_lines() {
    let mut s = source(Kind::Csv);
    let text = b"# a comment\n198.51.100.7\nevil-domain[.]net\n\nhxxp://bad-site[.]org/gate\nnot a value at all\nd41d8cd98f00b204e9800998ecf8427e\n";
    let (mut st1, mut st2) = (Status::default(), Status::default());
    let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let first = from_list(text, &s, &now, &mut st1).unwrap();
    let later = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
    let second = from_list(text, &s, &later, &mut st2).unwrap();
    assert_eq!(first.len(), 5, "the identity and four indicators: {:?}", st1.refusals);
    let ids = |raws: &[Vec<u8>]| -> Vec<String> { raws.iter().map(|r| serde_json::from_slice::<Value>(r).unwrap()["id"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(ids(&first), ids(&second), "ids come from the source and the value");
    assert_eq!((st1.refused, st1.refusals[0].as_str().starts_with("line 6:")), (1, true), "{:?}", st1.refusals);
    let all: Vec<Value> = first.iter().map(|r| serde_json::from_slice(r).unwrap()).collect();
    assert_eq!(all[0]["type"], "identity");
    assert!(all[1..].iter().all(|o| o["created_by_ref"] == all[0]["id"] && o["object_marking_refs"][0] == model::tlp::Tlp::Green.marking_id()));
    assert_eq!(all[2]["pattern"], "[domain-name:value = 'evil-domain.net']");
    for raw in &first {
        model::Object::parse(raw, &model::Limits::default()).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(raw)));
    }
    // CSV: the named column; a row without it is refused by line.
    s.column = 1;
    let mut st = Status::default();
    let csv = from_list(b"first_seen,ip\n2026-01-01,203.0.113.5\n2026-01-02\n", &s, &now, &mut st).unwrap();
    assert_eq!(csv.len(), 2, "{:?}", st.refusals);
    assert_eq!(st.refused, 2, "the header and the short row: {:?}", st.refusals);
    assert!(st.refusals[1].starts_with("line 3: no column 1"), "{:?}", st.refusals);
}

#[test]
fn stix_and_misp_inputs_are_read_or_refused_whole() {
    let bundle = br#"{"type":"bundle","id":"bundle--6c066053-0e94-46eb-9746-4b7d950d210f","objects":[{"type":"ipv4-addr","id":"ipv4-addr--6c066053-0e94-46eb-9746-4b7d950d210f","value":"198.51.100.1"}]}"#;
    assert_eq!(from_stix(bundle).unwrap().len(), 1);
    assert!(from_stix(b"<html>oops</html>").unwrap_err().contains("not JSON"));
    assert!(from_stix(br#"{"type":"indicator"}"#).unwrap_err().contains("neither"));
    assert_eq!(misp_manifest(br#"{"5C066053-0E94-46EB-9746-4B7D950D210F": {}}"#).unwrap(), ["5c066053-0e94-46eb-9746-4b7d950d210f"]);
    assert!(misp_manifest(br#"{"../../etc/passwd": {}}"#).unwrap_err().contains("not an event uuid"));
    assert!(misp_manifest(b"[]").is_err());
}

#[test]
fn a_tlp_is_added_only_where_none_is() {
    let green = model::tlp::Tlp::Green.marking_id();
    let red = model::tlp::Tlp::Red.marking_id();
    let marked = with_tlp(format!(r#"{{"type":"indicator","object_marking_refs":["{red}"]}}"#).into_bytes(), green);
    let v: Value = serde_json::from_slice(&marked).unwrap();
    assert_eq!(v["object_marking_refs"], json!([red]));
    let v: Value = serde_json::from_slice(&with_tlp(br#"{"type":"indicator"}"#.to_vec(), green)).unwrap();
    assert_eq!(v["object_marking_refs"], json!([green]));
}
