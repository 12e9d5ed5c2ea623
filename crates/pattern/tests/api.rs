//! Integration tests of the public API: parse, display, validate, match, index.

use serde_json::json;

#[test]
fn parse_display_validate_match_index() {
    let src = "([ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value IN ('203.0.113.1', '203.0.113.2')] \
               FOLLOWEDBY [file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']) \
               WITHIN 600 SECONDS";
    let p = pattern::parse(src).expect("parses");
    assert_eq!(pattern::parse(&p.to_string()), Ok(p.clone()));
    assert!(pattern::validate(src).is_ok());

    let pairs = pattern::equality_observables(&p);
    assert_eq!(
        pairs[0],
        ("ipv4-addr:value".to_string(), "198.51.100.7".to_string())
    );
    assert_eq!(pairs.len(), 4);
    assert_eq!(pairs[3].0, "file:hashes.'SHA-256'");

    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "observed-data", "id": "observed-data--1", "number_observed": 1,
         "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
         "object_refs": ["ipv4-addr--1"]},
        {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "203.0.113.2"},
        {"type": "observed-data", "id": "observed-data--2", "number_observed": 1,
         "first_observed": "2024-01-01T00:05:00Z", "last_observed": "2024-01-01T00:05:00Z",
         "object_refs": ["file--1"]},
        {"type": "file", "id": "file--1",
         "hashes": {"SHA-256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}
    ]});
    let data = vec![bundle];
    assert_eq!(
        pattern::match_pattern(&p, &data, pattern::StixVersion::V21),
        Ok(true)
    );
    let late = pattern::parse(&src.replace("600", "60")).unwrap();
    assert_eq!(
        pattern::match_pattern(&late, &data, pattern::StixVersion::V21),
        Ok(false)
    );
}

#[test]
fn errors_have_spans_and_messages() {
    let e = pattern::parse("[file:size = ]").unwrap_err();
    assert_eq!(e.span.start, 13);
    assert!(e.to_string().contains("expected a literal"));
    let e = pattern::validate("[file:hashes.MD5 = 'abc']").unwrap_err();
    assert_eq!(
        e.kind,
        pattern::ErrorKind::InvalidHash {
            value: "abc".into(),
            algorithm: "MD5".into()
        }
    );
}

#[test]
fn from_str_and_jsonl() {
    let p: pattern::Pattern = "[a:b = 1]".parse().unwrap();
    assert_eq!(p.to_string(), "[a:b = 1]");
    let mut out = Vec::new();
    pattern::run_jsonl(
        &b"{\"kind\":\"validator\",\"pattern\":\"[a:b = 1] WITHIN 1 SECONDS WITHIN 2 SECONDS\"}\n"
            [..],
        &mut out,
    )
    .unwrap();
    assert_eq!(out, b"{\"valid\":false}\n");
}
