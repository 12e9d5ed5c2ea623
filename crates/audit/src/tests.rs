//! Unit tests: digests, the canonical line and its hash (pinned, since
//! partners will re-implement the rule).

use model::{StixId, Timestamp};

use crate::entry::{Decision, Digest, Draft, Entry, Item};

fn id(s: &str) -> StixId {
    StixId::parse(s).unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn digests_are_64_lowercase_hex_digits() {
    let d = Digest::of(b"abc");
    assert_eq!(d.to_string(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(Digest::parse(&d.to_string()), Ok(d));
    assert_eq!(Digest::ZERO.to_string(), "0".repeat(64));
    assert!(Digest::parse(&d.to_string().to_uppercase()).is_err());
    assert!(Digest::parse(&d.to_string()[1..]).is_err());
    assert!(Digest::parse(&format!("{d}0")).is_err());
    assert!(Digest::parse(&"é".repeat(32)).is_err());
}

/// The format is stable: this line and its hash must never change.
#[test]
fn the_canonical_line_and_its_hash_are_pinned() {
    let draft = Draft {
        time: ts("2026-11-26T10:00:00.123456Z"),
        recipient: id("identity--00000000-0000-4000-8000-000000000001"),
        channel: "taxii".into(),
        decision: Decision::Release,
        reason: None,
        items: vec![
            Item {
                object: id("indicator--00000000-0000-4000-8000-000000000002"),
                version: ts("2026-11-01T00:00:00.000Z"),
                agreement: Some(id("x-entente-agreement--00000000-0000-4000-8000-000000000003")),
            },
            Item {
                object: id("report--00000000-0000-4000-8000-000000000004"),
                version: ts("2026-11-02T00:00:00Z"),
                agreement: None,
            },
        ],
    };
    let e = Entry::seal(draft, 1, Digest::ZERO).unwrap();
    let body = concat!(
        r#"{"seq":1,"time":"2026-11-26T10:00:00.123456Z","recipient":"identity--00000000-0000-4000-8000-000000000001","#,
        r#""channel":"taxii","decision":"release","items":[{"object":"indicator--00000000-0000-4000-8000-000000000002","#,
        r#""version":"2026-11-01T00:00:00.000Z","agreement":"x-entente-agreement--00000000-0000-4000-8000-000000000003"},"#,
        r#"{"object":"report--00000000-0000-4000-8000-000000000004","version":"2026-11-02T00:00:00Z"}],"#,
        r#""prev":"0000000000000000000000000000000000000000000000000000000000000000"}"#
    );
    assert_eq!(String::from_utf8(e.body()).unwrap(), body);
    assert_eq!(e.hash, Digest::of(body.as_bytes()));
    assert_eq!(e.hash.to_string(), "deb7f36b83fe956b8dc829ffb777e3cee3d7e25195f268d806c02aec119c9b09");
    assert_eq!(e.to_line(), format!("{},\"hash\":\"{}\"}}", &body[..body.len() - 1], e.hash));
}

#[test]
fn a_denial_carries_its_reason_after_the_decision() {
    let mut draft = Draft::deny(
        id("identity--00000000-0000-4000-8000-000000000001"),
        "api",
        "no agreement in force covers it: \"tlp\"\n",
        vec![],
    );
    draft.time = ts("2026-11-26T10:00:00Z");
    let e = Entry::seal(draft, 7, Digest::of(b"x")).unwrap();
    let line = e.to_line();
    assert!(
        line.contains(r#""decision":"deny","reason":"no agreement in force covers it: \"tlp\"\n","items":[],"prev":"#),
        "{line}"
    );
    assert_eq!(crate::verify::parse_line(line.as_bytes()), Ok(e));
}

#[test]
fn drafts_that_break_the_rules_are_refused() {
    let who = id("identity--00000000-0000-4000-8000-000000000001");
    let mut release = Draft::release(who.clone(), "taxii", vec![]);
    release.reason = Some("why".into());
    assert_eq!(Entry::seal(release, 1, Digest::ZERO).unwrap_err(), "a release carries no reason");
    let deny = Draft::deny(who.clone(), "taxii", "  ", vec![]);
    assert_eq!(Entry::seal(deny, 1, Digest::ZERO).unwrap_err(), "a denial needs a reason");
    for channel in ["", "two words", &"x".repeat(33), "tab\t"] {
        let d = Draft::release(who.clone(), channel, vec![]);
        assert!(Entry::seal(d, 1, Digest::ZERO).unwrap_err().starts_with("channel "), "{channel:?}");
    }
}
