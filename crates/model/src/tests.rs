//! Unit tests of the model: ids, timestamps, validation errors and readers.

use crate::reader::{read_objects, Format};
use crate::{Limits, Object, StixId, Timestamp};

/// Parses `input` and compares the outcome with `expect`: `ok` or the error text.
fn check(input: &str, expect: &str) {
    let got = match Object::parse(input.as_bytes(), &Limits::default()) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, expect, "input: {input}");
}

const IND: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

fn indicator(extra: &str) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"{IND}","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"{extra}}}"#
    )
}

#[test]
fn valid_objects() {
    check(&indicator(""), "ok");
    check(r#"{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}"#, "ok");
    check(
        &indicator(r#","granular_markings":[{"selectors":["pattern"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]"#),
        "ok",
    );
}

#[test]
fn errors_name_object_and_property() {
    check("{", "object: malformed JSON: EOF while parsing an object at line 1 column 1");
    check(
        &indicator(r#","modified":"2015-01-01T00:00:00Z""#),
        &format!("{IND}: malformed JSON: duplicate key `modified` at line 1 column 310"),
    );
    check(
        &indicator("").replace(r#""modified":"2016-04-06T20:03:48.000Z""#, r#""modified":"2016-04-06T20:03:47.000Z""#),
        &format!("{IND}: property `modified`: 2016-04-06T20:03:47.000Z is earlier than created 2016-04-06T20:03:48.000Z"),
    );
    check(
        &indicator("").replace(r#""type":"indicator""#, r#""type":"malware""#),
        &format!("{IND}: property `id`: names type `indicator` but the object's type is `malware`"),
    );
    check(
        &indicator(r#","confidence":101"#),
        &format!("{IND}: property `confidence`: must be an integer from 0 to 100"),
    );
    check(
        &indicator(r#","created_by_ref":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f""#),
        &format!("{IND}: property `created_by_ref`: must refer to identity, not `malware`"),
    );
    check(
        &indicator(r#","object_marking_refs":["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]"#),
        &format!("{IND}: property `object_marking_refs[0]`: must refer to marking-definition, not `identity`"),
    );
    check(
        &indicator(r#","granular_markings":[{"selectors":["nope"],"marking_ref":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}]"#),
        &format!("{IND}: property `granular_markings[0].selectors[0]`: selector `nope` does not select a property of this object"),
    );
    check(
        &indicator("").replace(r#""spec_version":"2.1","#, ""),
        &format!("{IND}: property `spec_version`: required but missing"),
    );
    check(
        &indicator("").replace(r#""created":"2016-04-06T20:03:48.000Z""#, r#""created":"2016-04-06 20:03:48""#),
        &format!("{IND}: property `created`: `2016-04-06 20:03:48` is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)"),
    );
    check(
        &indicator("").replace(r#","pattern_type":"stix""#, ""),
        &format!("{IND}: property `pattern_type`: required but missing"),
    );
    check(
        r#"{"type":"foo-bar","id":"foo-bar--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1"}"#,
        "foo-bar--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: property `type`: `foo-bar` is not a STIX 2.1 type, and no extension definition declares it (extensions with extension_type new-sdo, new-sro or new-sco)",
    );
    check(r#"{"type":"indicator"}"#, "a `indicator` object: property `id`: required but missing");
    check(
        &indicator("").replace("[ipv4-addr:value = '198.51.100.1']", "[ipv4-addr:value = '198.51.100.1'"),
        &format!("{IND}: property `pattern`: unexpected end of pattern, expected ']' or a comparison operator (at byte 33)"),
    );
    check(
        &indicator("").replace("[ipv4-addr:value = '198.51.100.1']", "[file:hashes.MD5 = 'not-a-hash']"),
        &format!("{IND}: property `pattern`: 'not-a-hash' is not a valid MD5 hash (at byte 0)"),
    );
    // Valid for Python's `re` (and the strict validator), but no regex this node can run.
    check(
        &indicator("").replace("[ipv4-addr:value = '198.51.100.1']", r"[file:name MATCHES '^(a)\\\\1$']"),
        &format!(r"{IND}: property `pattern`: invalid literal: MATCHES '^(a)\\1$': this node cannot run it: backreferences are not supported (at byte 0)"),
    );
    check(&indicator("").replace("[ipv4-addr:value = '198.51.100.1']", "[file:name MATCHES '^evil.*[.]exe$']"), "ok");
}

#[test]
fn observables_of_indicators_and_scos() {
    let ind = Object::parse(indicator("").as_bytes(), &Limits::default()).unwrap();
    let got: Vec<_> = ind.observables().iter().map(|o| (o.kind, o.value.as_str())).collect();
    assert_eq!(got, [("ipv4-addr", "198.51.100.1")]);
    let sco = r#"{"type":"domain-name","id":"domain-name--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"Evil.Example"}"#;
    let sco = Object::parse(sco.as_bytes(), &Limits::default()).unwrap();
    let got: Vec<_> = sco.observables().iter().map(|o| (o.kind, o.value.as_str())).collect();
    assert_eq!(got, [("domain-name", "evil.example")]);
}

#[test]
fn custom_type_declared_by_extension_definition() {
    let obj = r#"{"type":"x-entente-agreement","spec_version":"2.1","id":"x-entente-agreement--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-sdo"}}}"#;
    let o = Object::parse(obj.as_bytes(), &Limits::default()).unwrap();
    assert!(o.is_custom());
    assert_eq!(o.category(), crate::Category::Sdo);
}

#[test]
fn size_limit() {
    let limits = Limits { max_object_bytes: 100 };
    let err = Object::parse(indicator("").as_bytes(), &limits).unwrap_err();
    assert!(err.to_string().ends_with("bytes is over the limit of 100 bytes"), "{err}");
}

#[test]
fn ids() {
    assert!(StixId::parse(IND).is_ok());
    assert_eq!(StixId::parse(IND).unwrap().object_type(), "indicator");
    for bad in ["indicator", "indicator--1234", "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "../../etc--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"] {
        assert!(StixId::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn timestamps() {
    let t = Timestamp::parse("2016-04-06T20:03:48.123456789Z").unwrap();
    assert_eq!(t.micros(), 1_459_973_028_123_456);
    assert_eq!(Timestamp::from_micros(t.micros()).as_str(), "2016-04-06T20:03:48.123456Z");
    assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").unwrap().micros(), 0);
    assert_eq!(Timestamp::from_micros(-1).as_str(), "1969-12-31T23:59:59.999999Z");
    for bad in ["2016-02-30T00:00:00Z", "2016-04-06T20:03:48+01:00", "2016-04-06T24:00:00Z", "2016-04-06T20:03:48.Z", "2016-04-06T20:03Z", "２016-04-06T20:03:48Z"] {
        assert!(Timestamp::parse(bad).is_err(), "{bad}");
        assert_eq!(Timestamp::check(bad), Timestamp::parse(bad).map(drop), "{bad}");
    }
    assert_eq!(Timestamp::check("2016-04-06T20:03:48.123456789Z"), Ok(()));
}

fn read_all(input: &str) -> (Format, Vec<String>) {
    let mut out = Vec::new();
    let fmt = read_objects(input.as_bytes(), &Limits::default(), &mut |(i, item)| {
        out.push(match item {
            Ok(b) => format!("{i}:{}", String::from_utf8_lossy(b)),
            Err(e) => format!("{i}:ERR {e}"),
        });
        Ok(())
    })
    .unwrap();
    (fmt, out)
}

#[test]
fn readers() {
    let (f, o) = read_all("{\"type\":\"bundle\",\"id\":\"bundle--x\",\n\"objects\":[{\"a\":1},\n {\"b\":2}]}");
    assert_eq!((f, o), (Format::Document, vec!["0:{\"a\":1}".to_owned(), "1:{\"b\":2}".to_owned()]));
    let (f, o) = read_all("{\"a\":1}\n\n{\"b\":\n{\"c\":3}\n");
    assert_eq!(f, Format::JsonLines);
    assert_eq!(o.len(), 3);
    assert!(o[1].starts_with("2:ERR line 3: malformed JSON"), "{o:?}");
    let (f, o) = read_all("{\"more\":false,\"objects\":[{\"a\":1}]}");
    assert_eq!((f, o), (Format::Document, vec!["0:{\"a\":1}".to_owned()]));
    let (_, o) = read_all("{\n \"type\": \"ipv4-addr\",\n \"value\": \"1.2.3.4\"\n}");
    assert_eq!(o, vec!["0:{\"type\":\"ipv4-addr\",\"value\":\"1.2.3.4\"}".to_owned()]);
}

#[test]
fn truncated_document_keeps_what_came_before() {
    let mut seen = 0;
    let err = read_objects(&b"{\"objects\":[{\"a\":1},{\"b\":2},{\"c\""[..], &Limits::default(), &mut |_| {
        seen += 1;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(seen, 2);
    assert!(err.to_string().starts_with("input is malformed after 2 objects"), "{err}");
}

#[test]
fn oversized_input_is_refused_without_holding_it() {
    let limits = Limits { max_object_bytes: 100 };
    // Objects are held up to hold_limit (here 100 + 64 KiB); past it, not at all.
    assert_eq!(crate::reader::hold_limit(&limits), 100 + 65_536);
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(100_000));
    // JSON Lines: the long line is reported and skipped, the next one read.
    let mut seen = Vec::new();
    let input = format!("{{\"a\":1}}\n{big}\n{{\"b\":2}}\n");
    read_objects(input.as_bytes(), &limits, &mut |(i, item)| {
        seen.push(match item {
            Ok(b) => format!("{i}:{}", String::from_utf8_lossy(b)),
            Err(e) => format!("{i}:ERR {e}"),
        });
        Ok(())
    })
    .unwrap();
    assert_eq!(seen[0], "0:{\"a\":1}");
    assert_eq!(seen[1], "1:ERR line 2: 100009 bytes is over the limit of 65636 bytes", "{seen:?}");
    assert_eq!(seen[2], "2:{\"b\":2}");
    // A document: reading stops at the big element, after the ones before it.
    let doc = format!("{{\"type\":\"bundle\",\n\"objects\":[{{\"a\":1}},{big},{{\"b\":2}}]}}");
    let mut n = 0;
    let err = read_objects(doc.as_bytes(), &limits, &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap_err();
    assert_eq!(n, 1);
    assert_eq!(err.to_string(), "input is malformed after 1 objects: object #2 is over 65636 bytes; reading stopped there");
    // Elements under the limit are not affected by the document's own size.
    let many: Vec<String> = (0..50).map(|i| format!("{{\"n\":{i}}}")).collect();
    let doc = format!("{{\"objects\":[{}]}}", many.join(","));
    let mut n = 0;
    read_objects(doc.as_bytes(), &limits, &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, 50);
}

proptest::proptest! {
    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = Object::parse(&bytes, &Limits::default());
    }

    #[test]
    fn parser_never_panics_on_near_valid(cut in 0usize..330, byte in proptest::num::u8::ANY) {
        let mut s = indicator("").into_bytes();
        let cut = cut.min(s.len() - 1);
        s[cut] = byte;
        let _ = Object::parse(&s, &Limits::default());
        let _ = read_objects(&s[..], &Limits { max_object_bytes: 64 }, &mut |_| Ok(()));
    }
}

/// The identifier rules written out plainly (split at the first `--`), the
/// reference [`StixId::parse`]'s shortcut must agree with.
fn reference_id_ok(raw: &str) -> bool {
    let Some(sep) = raw.find("--") else { return false };
    let (ty, uuid) = (&raw[..sep], &raw[sep + 2..]);
    let type_ok = (3..=250).contains(&ty.len())
        && ty.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ty.starts_with('-')
        && !ty.ends_with('-')
        && !ty.contains("--");
    let uuid_ok = uuid.len() == 36
        && uuid.bytes().enumerate().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == b'-' } else { c.is_ascii_hexdigit() });
    type_ok && uuid_ok
}

proptest::proptest! {
    // Near-valid ids (a valid one with a few bytes changed, inserted or
    // removed, drawn from the characters that matter): the shortcut and
    // the plain rules accept exactly the same ones.
    #[test]
    fn id_parse_agrees_with_the_rules(
        ty in "[a-z0-9-]{0,12}",
        edits in proptest::collection::vec((0usize..60, proptest::sample::select(vec!['-', 'a', 'F', '0', 'g', '-', 'é', '/']), 0u8..3), 0..4),
    ) {
        let mut s: Vec<char> = format!("{ty}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").chars().collect();
        for (at, c, op) in edits {
            let at = at.min(s.len());
            match op {
                0 if at < s.len() => s[at] = c,
                1 => s.insert(at, c),
                _ if at < s.len() => { s.remove(at); }
                _ => {}
            }
        }
        let raw: String = s.into_iter().collect();
        let parsed = StixId::parse(&raw);
        proptest::prop_assert_eq!(parsed.is_ok(), reference_id_ok(&raw), "{}", raw);
        proptest::prop_assert_eq!(StixId::check(&raw), parsed.as_ref().map(drop).map_err(Clone::clone), "{}", raw);
        if let Ok(id) = parsed {
            proptest::prop_assert_eq!(id.as_str(), raw.as_str());
            proptest::prop_assert_eq!(format!("{}--{}", id.object_type(), id.uuid()), raw);
        }
    }
}
