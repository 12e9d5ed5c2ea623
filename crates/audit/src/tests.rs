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
        ]
        .into(),
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
    release.reason = Some(" ".into());
    assert_eq!(Entry::seal(release.clone(), 1, Digest::ZERO).unwrap_err(), "a release's reason, when given, is not blank");
    release.reason = Some("scope of crisis under x-entente-agreement--…: 3 versions".into());
    let sealed = Entry::seal(release, 1, Digest::ZERO).expect("a release may say what it stands for");
    assert_eq!(crate::verify::parse_line(sealed.to_line().as_bytes()), Ok(sealed));
    let deny = Draft::deny(who.clone(), "taxii", "  ", vec![]);
    assert_eq!(Entry::seal(deny, 1, Digest::ZERO).unwrap_err(), "a denial needs a reason");
    for channel in ["", "two words", &"x".repeat(33), "tab\t"] {
        let d = Draft::release(who.clone(), channel, vec![]);
        assert!(Entry::seal(d, 1, Digest::ZERO).unwrap_err().starts_with("channel "), "{channel:?}");
    }
}

/// The entry as `serde_json` writes it: the reference the hand-written
/// serialisation must match byte for byte (the format says "as
/// `serde_json` writes them", and logs written before must still verify).
#[derive(serde::Serialize)]
struct SerdeBody<'a> {
    seq: u64,
    time: &'a str,
    recipient: &'a StixId,
    channel: &'a str,
    decision: Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    items: &'a [Item],
    prev: &'a Digest,
}

proptest::proptest! {
    #[test]
    fn lines_are_written_as_serde_json_writes_them(
        seq in 1u64..u64::MAX,
        channel in "[!-~]{1,32}",
        reason in proptest::option::of("(?s).{1,40}"),
        decision in 0u8..4,
        items in proptest::collection::vec((0u64..1 << 40, 0i64..4_000_000_000_000_000, proptest::option::of(0u64..1 << 40), 0usize..4), 0..6),
        prev in proptest::array::uniform32(0u8..),
    ) {
        let decision = [Decision::Release, Decision::Deny, Decision::Withhold, Decision::Delete][decision as usize];
        let reason = if decision == Decision::Release { None } else { Some(reason.filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "why".into())) };
        let items: Vec<Item> = items
            .iter()
            .map(|&(o, t, a, form)| Item {
                object: id(&format!("indicator--00000000-0000-4000-8000-{o:012x}")),
                // Versions as their authors wrote them: with six fractional
                // digits, or none.
                version: match form {
                    0 => ts(&Timestamp::from_micros(t - t % 1_000_000).as_str().replace(".000000", "")),
                    _ => Timestamp::from_micros(t),
                },
                agreement: a.map(|a| id(&format!("x-entente-agreement--00000000-0000-4000-8000-{a:012x}"))),
            })
            .collect();
        let draft = Draft {
            time: Timestamp::from_micros(1_795_000_000_000_000),
            recipient: id("identity--00000000-0000-4000-8000-000000000001"),
            channel,
            decision,
            reason,
            items: items.clone().into(),
        };
        let prev = Digest(prev);
        let (head, line) = crate::entry::seal_line(&draft, seq, prev).unwrap();
        let reference = serde_json::to_vec(&SerdeBody {
            seq,
            time: draft.time.as_str(),
            recipient: &draft.recipient,
            channel: &draft.channel,
            decision,
            reason: draft.reason.as_deref(),
            items: &items,
            prev: &prev,
        }).unwrap();
        proptest::prop_assert_eq!(head.hash, Digest::of(&reference));
        let cut = line.len() - ",\"hash\":\"\"}".len() - 64;
        proptest::prop_assert_eq!(&line[..cut], &reference[..reference.len() - 1]);
        // And it reads back as the same entry.
        let e = crate::verify::parse_line(&line).unwrap();
        proptest::prop_assert_eq!(e.items, items);
    }
}

#[test]
fn stored_text_that_is_not_an_id_or_a_timestamp_is_refused() {
    let mut items = crate::Items::default();
    let ok = "indicator--00000000-0000-4000-8000-000000000002";
    assert!(items.push_stored("indicator--\"x", "2026-11-01T00:00:00Z", None).is_err());
    assert!(items.push_stored(ok, "yesterday", None).is_err());
    assert!(items.is_empty());
    items.push_stored(ok, "2026-11-01T00:00:00Z", None).unwrap();
    assert_eq!(items.len(), 1);
}
