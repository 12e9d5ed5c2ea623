//! Unit tests: negotiation, filters, cursors, envelopes.

use crate::filter::Endpoint;
use crate::*;

#[test]
fn accept_header() {
    for ok in [None, Some(""), Some("*/*"), Some("application/taxii+json;version=2.1"), Some("application/taxii+json"),
        Some("text/html, application/taxii+json; version=2.1"), Some("application/*"), Some("APPLICATION/TAXII+JSON;Version=\"2.1\"")] {
        assert!(accepts_taxii(ok), "{ok:?}");
    }
    for bad in ["application/taxii+json;version=2.0", "application/json", "text/html", "application/stix+json;version=2.1"] {
        assert!(!accepts_taxii(Some(bad)), "{bad}");
    }
    assert!(is_taxii_content_type(Some("application/taxii+json;version=2.1")));
    assert!(is_taxii_content_type(Some("application/taxii+json")));
    assert!(!is_taxii_content_type(Some("application/json")));
    assert!(!is_taxii_content_type(None));
}

fn check(query: &str, expect: &str) {
    let got = match Filter::parse(query, Endpoint::Listing) {
        Ok(f) => format!("ok {}", f.fingerprint()),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, expect, "query: {query}");
}

#[test]
fn filters() {
    check("", "ok a=|i=|t=|v=|s=");
    check("match%5Btype%5D=malware,indicator&match[version]=all,2016-01-01T00:00:00Z&limit=5&foo=bar",
        "ok a=|i=|t=indicator,malware|v=1451606400000000,all|s=");
    check("added_after=yesterday", "added_after: `yesterday` is not an RFC 3339 UTC timestamp");
    check("limit=-1", "limit: `-1` is not a positive integer");
    check("limit=0", "limit: `0` is not a positive integer");
    check("match[version]=bogus", "match[version]: `bogus` is not first, last, all or a timestamp");
    check("match[id]=../../etc/passwd", "match[id]: `../../etc/passwd` is not of the form type--UUID");
    check("match[type]=Indicator", "match[type]: `Indicator` is not a STIX type name");
    check("match[spec_version]=2.x", "match[spec_version]: `2.x` is not a STIX version such as 2.1");
    check("match[color]=red", "match[color]: this filter is not supported on this endpoint");
    let e = Filter::parse("match[type]=indicator", Endpoint::Versions).unwrap_err();
    assert_eq!(e.parameter, "match[type]");
}

#[test]
fn cursors_bind_to_their_query_and_resist_tampering() {
    let codec = CursorCodec::new(b"secret");
    let c = codec.seal(1_700_000_000_123_456, "collection-a|t=indicator");
    assert_eq!(codec.open(&c, "collection-a|t=indicator"), Ok(1_700_000_000_123_456));
    assert_eq!(codec.open(&c, "collection-b|t=indicator"), Err(CursorError::OtherQuery));
    assert_eq!(CursorCodec::new(b"other").open(&c, "collection-a|t=indicator"), Err(CursorError::Invalid));
    let mut bytes = c.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    assert_eq!(codec.open(std::str::from_utf8(&bytes).unwrap(), "collection-a|t=indicator"), Err(CursorError::Invalid));
    assert_eq!(codec.open("", "x"), Err(CursorError::Invalid));
    assert_eq!(codec.open("not base64 !", "x"), Err(CursorError::Invalid));
}

/// A whole envelope, through [`EnvelopeWriter`] as a listing writes one.
fn envelope<'a>(more: bool, next: Option<&str>, objects: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut w = EnvelopeWriter::with_capacity(0);
    for o in objects {
        w.push(o);
    }
    let (mut bytes, start) = w.finish(more, next);
    bytes.drain(..start);
    bytes
}

#[test]
fn envelopes() {
    assert_eq!(envelope(false, None, []), b"{}");
    assert_eq!(envelope(true, Some("n"), []), b"{\"more\":true,\"next\":\"n\"}");
    let objs: [&[u8]; 2] = [b"{\"a\":1}", b"{\"b\":2}"];
    assert_eq!(
        String::from_utf8(envelope(true, Some("n\"x"), objs)).unwrap(),
        r#"{"more":true,"next":"n\"x","objects":[{"a":1},{"b":2}]}"#
    );
    assert_eq!(envelope(false, None, objs), br#"{"more":false,"objects":[{"a":1},{"b":2}]}"#);
    // A `next` longer than the room kept for the opening members still
    // comes first, whole.
    let long = "c".repeat(300);
    let expected = format!(r#"{{"more":true,"next":"{long}","objects":[{{"a":1}}]}}"#);
    assert_eq!(String::from_utf8(envelope(true, Some(&long), [objs[0]])).unwrap(), expected);
    let mut w = EnvelopeWriter::with_capacity(0);
    w.push(b"[]");
    assert_eq!(w.count(), 1);
    let (bytes, start) = w.finish(false, Some("n"));
    assert_eq!(&bytes[start..], br#"{"more":false,"next":"n","objects":[[]]}"#);
}

proptest::proptest! {
    #[test]
    fn filter_parser_never_panics(q in ".{0,200}") {
        let _ = Filter::parse(&q, Endpoint::Listing);
    }

    #[test]
    fn cursor_open_never_panics(c in ".{0,80}") {
        let _ = CursorCodec::new(b"k").open(&c, "ctx");
    }
}
