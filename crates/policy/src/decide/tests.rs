//! Tests of the release decision and its explanations, one rule at a time.

use serde_json::{json, Value};

use model::tlp::Tlp;
use model::{Object, StixId};

use crate::ext::{release_extension, RELEASE_EXT};
use crate::fixture::{agreement, id, keys, notice, partner, ratify, terms, ts};
use crate::{
    decide, AgreementIndex, AgreementState, DataKind, Decision, NoticeKind, ObjectFacts, Reason,
    Reshare, Via,
};

const NOW: &str = "2026-06-01T00:00:00Z";

fn p(n: u32) -> StixId {
    partner(n).0
}

/// Agreement 1: parties 0, 1, 2, AMBER ceiling, re-share to parties only.
/// Agreement 2: parties 1, 3, RED ceiling, re-share under the recipient's agreements.
/// Agreement 3: parties 0, 3, not ratified by 3.
/// Agreement 4: parties 1, 2, re-share none.
fn index() -> AgreementIndex {
    let (o1, a1) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1, 2]));
    let mut t2 = terms(&[1, 3]);
    t2.tlp_ceiling = Tlp::Red;
    t2.handling.reshare = Reshare::RecipientAgreements;
    t2.scope.object_types = vec!["indicator".into(), "malware".into()];
    let (o2, a2) = agreement(2, "2025-12-01T00:00:00Z", &t2);
    let (o3, a3) = agreement(3, "2025-12-01T00:00:00Z", &terms(&[0, 3]));
    let mut t4 = terms(&[1, 2]);
    t4.handling.reshare = Reshare::None;
    t4.scope.labels = vec!["ransomware".into()];
    t4.scope.data_kind = DataKind::Real;
    let (o4, a4) = agreement(4, "2025-12-01T00:00:00Z", &t4);
    let mut rats = Vec::new();
    for i in [0, 1, 2] {
        rats.push(ratify(i, &a1, &o1));
    }
    for i in [1, 3] {
        rats.push(ratify(i, &a2, &o2));
    }
    rats.push(ratify(0, &a3, &o3));
    for i in [1, 2] {
        rats.push(ratify(i, &a4, &o4));
    }
    AgreementIndex::build(&[a1, a2, a3, a4], &rats, &[], &keys(4))
}

fn ag(n: u32) -> StixId {
    id("x-entente-agreement", n)
}

/// A malware object by partner `author`, with `edit` applied.
fn object(author: u32, edit: impl Fn(&mut Value)) -> Object {
    let mut v = json!({
        "type": "malware", "spec_version": "2.1", "id": id("malware", 1),
        "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
        "created_by_ref": p(author), "name": "x", "is_family": false,
        "labels": ["ransomware"],
        "object_marking_refs": [Tlp::Green.marking_id()]
    });
    edit(&mut v);
    Object::from_value(v).expect("valid object")
}

const AUTHOR: &str =
    "allowed: the recipient is the author (or it is one of Entente's published definitions)";

fn facts(o: &Object) -> ObjectFacts {
    ObjectFacts::from_object(o).expect("facts")
}

fn check(f: &ObjectFacts, to: u32, shares: &[u32], expect: &str) {
    let shares: Vec<StixId> = shares.iter().map(|n| ag(*n)).collect();
    let d = decide(f, &p(to), &ts(NOW), &shares, &index());
    assert_eq!(d.explain(), expect);
}

#[test]
fn own_objects_and_agreements_in_force() {
    let f = facts(&object(0, |_| {}));
    check(&f, 0, &[], AUTHOR);
    check(&f, 1, &[1], &format!("allowed under agreement {}", ag(1)));
    check(
        &f,
        1,
        &[],
        "denied:\n- the object is not shared under any agreement",
    );
    check(
        &f,
        3,
        &[1],
        &format!(
            "denied:\n- the recipient is not a party to agreement {}",
            ag(1)
        ),
    );
    check(
        &f,
        3,
        &[3, 9],
        &format!(
            "denied:\n- agreement {} is not in force (awaiting ratification by {})\n- agreement {} is not known",
            ag(3),
            p(3),
            ag(9)
        ),
    );
    // The first agreement that allows it is the one used.
    check(
        &f,
        1,
        &[3, 1],
        &format!("allowed under agreement {}", ag(1)),
    );
}

#[test]
fn ceiling_scope_and_data_kind() {
    let amber_strict = facts(&object(0, |v| {
        v["object_marking_refs"] = json!([Tlp::AmberStrict.marking_id()])
    }));
    check(
        &amber_strict,
        1,
        &[1],
        &format!("denied:\n- the object is TLP:AMBER+STRICT, above the TLP:AMBER ceiling of agreement {}", ag(1)),
    );
    let tool = facts(&object(1, |v| {
        v["type"] = json!("tool");
        v["id"] = json!(id("tool", 1));
    }));
    check(
        &tool,
        3,
        &[2],
        &format!(
            "denied:\n- agreement {} does not cover objects of type tool",
            ag(2)
        ),
    );
    let phishing = facts(&object(1, |v| v["labels"] = json!(["phishing"])));
    check(
        &phishing,
        2,
        &[4],
        &format!(
            "denied:\n- the object carries none of the labels agreement {} covers",
            ag(4)
        ),
    );
    let drill = facts(&object(1, |v| {
        v["labels"] = json!(["ransomware", "x-entente-exercise"])
    }));
    check(
        &drill,
        2,
        &[4],
        &format!(
            "denied:\n- agreement {} does not cover exercise data",
            ag(4)
        ),
    );
    check(
        &drill,
        2,
        &[1],
        &format!("allowed under agreement {}", ag(1)),
    );
}

#[test]
fn markings_combine_to_the_most_restrictive() {
    // Object-level GREEN, granular AMBER+STRICT: AMBER+STRICT.
    let o = object(0, |v| {
        v["granular_markings"] =
            json!([{ "marking_ref": Tlp::AmberStrict.marking_id(), "selectors": ["name"] }]);
    });
    assert_eq!(facts(&o).tlp, Some(Tlp::AmberStrict));
    // TLP 1.0 and 2.0 together.
    let o = object(0, |v| {
        v["object_marking_refs"] = json!([
            "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            Tlp::Green.marking_id()
        ])
    });
    assert_eq!(facts(&o).tlp, Some(Tlp::Amber));
    // Unmarked counts as AMBER.
    let o = object(0, |v| {
        v.as_object_mut().unwrap().remove("object_marking_refs");
    });
    let f = facts(&o);
    assert_eq!((f.tlp, f.effective_tlp()), (None, Tlp::Amber));
    let mut strict_green = terms(&[0, 1]);
    strict_green.tlp_ceiling = Tlp::Green;
    let (o5, a5) = agreement(5, "2025-12-01T00:00:00Z", &strict_green);
    let idx = AgreementIndex::build(
        std::slice::from_ref(&a5),
        &[ratify(0, &a5, &o5), ratify(1, &a5, &o5)],
        &[],
        &keys(2),
    );
    let d = decide(&f, &p(1), &ts(NOW), &[ag(5)], &idx);
    assert_eq!(
        d,
        Decision::Deny {
            reasons: vec![Reason::AboveCeiling {
                agreement: ag(5),
                tlp: Tlp::Amber,
                ceiling: Tlp::Green
            }]
        }
    );
}

#[test]
fn unknown_marking_means_deny() {
    let unknown = "marking-definition--11111111-2222-4333-8444-555555555555";
    let o = object(0, |v| {
        v["granular_markings"] = json!([{ "marking_ref": unknown, "selectors": ["name"] }])
    });
    check(
        &facts(&o),
        1,
        &[1],
        "denied:\n- the object carries a marking definition this node does not understand",
    );
    let o = object(0, |v| v["object_marking_refs"] = json!([unknown]));
    check(
        &facts(&o),
        1,
        &[1],
        "denied:\n- the object carries a marking definition this node does not understand",
    );
    // Still visible to its author.
    check(&facts(&o), 0, &[1], AUTHOR);
}

#[test]
fn red_only_to_named_recipients() {
    let red = |named: Vec<StixId>| {
        facts(&object(1, move |v| {
            v["object_marking_refs"] = json!([Tlp::Red.marking_id()]);
            let (k, ext) = release_extension(&named, false);
            v["extensions"] = json!({ k: ext });
        }))
    };
    check(
        &red(vec![]),
        3,
        &[2],
        "denied:\n- the object is TLP:RED and does not name the recipient",
    );
    check(
        &red(vec![p(3)]),
        3,
        &[2],
        &format!("allowed under agreement {}", ag(2)),
    );
    // Named, but the agreement's ceiling is AMBER.
    check(
        &red(vec![p(0)]),
        0,
        &[1],
        &format!(
            "denied:\n- the object is TLP:RED, above the TLP:AMBER ceiling of agreement {}",
            ag(1)
        ),
    );
    let bad = object(
        1,
        |v| v["extensions"] = json!({ RELEASE_EXT: { "extension_type": "property-extension", "recipient_refs": ["nobody"] } }),
    );
    assert!(ObjectFacts::from_object(&bad).is_err());
}

#[test]
fn reshared_objects_follow_the_rules_they_arrived_under() {
    // Partner 1 holds an object by partner 0 (a node elsewhere) that arrived under `arrived`.
    let held = |arrived: u32| {
        let o = object(0, |_| {});
        ObjectFacts::received(
            &o,
            Via {
                holder: p(1),
                agreement: ag(arrived),
            },
        )
        .unwrap()
    };
    // Arrived under 1 (parties-only: 0, 1, 2): to 2 under 4? 4 forbids nothing here, 2 is a party of 1.
    check(
        &held(1),
        2,
        &[1],
        &format!("allowed under agreement {}", ag(1)),
    );
    check(
        &held(1),
        3,
        &[2],
        &format!("denied:\n- the object arrived under agreement {}, which allows re-sharing only to its parties, and the recipient is not one", ag(1)),
    );
    // Arrived under 2 (recipient-agreements): onward under the holder's agreements.
    check(
        &held(2),
        2,
        &[1],
        &format!("allowed under agreement {}", ag(1)),
    );
    check(
        &held(2),
        3,
        &[1],
        &format!(
            "denied:\n- the recipient is not a party to agreement {}",
            ag(1)
        ),
    );
    // Arrived under 4 (none): never onward, but the holder and the author still see it.
    check(
        &held(4),
        2,
        &[1],
        &format!(
            "denied:\n- the object arrived under agreement {}, which forbids re-sharing",
            ag(4)
        ),
    );
    check(
        &held(4),
        1,
        &[],
        &format!("allowed under agreement {}", ag(4)),
    );
    check(&held(4), 0, &[], AUTHOR);
    check(
        &held(8),
        2,
        &[1],
        &format!(
            "denied:\n- the object arrived under agreement {}, which this node does not know",
            ag(8)
        ),
    );
    // The sharer of a held object is the holder, who must be a party.
    let by3 = ObjectFacts::received(
        &object(0, |_| {}),
        Via {
            holder: p(3),
            agreement: ag(2),
        },
    )
    .unwrap();
    check(
        &by3,
        2,
        &[1],
        &format!(
            "denied:\n- {}, who shares the object, is not a party to agreement {}",
            p(3),
            ag(1)
        ),
    );
}

#[test]
fn what_came_under_an_agreement_not_in_force_stays_with_its_holder() {
    // Partner 0 holds partner 3's object, received under agreement 3 (parties
    // 0 and 3), which 3 never ratified: 0 keeps seeing it, nobody else gets it
    // from 0, even under agreement 1 that would otherwise carry it.
    let held = ObjectFacts::received(&object(3, |_| {}), Via { holder: p(0), agreement: ag(3) }).unwrap();
    let d = decide(&held, &p(1), &ts(NOW), &[ag(1)], &index());
    assert!(
        matches!(&d, Decision::Deny { reasons } if matches!(reasons.as_slice(), [Reason::OriginNotInForce { agreement, .. }] if *agreement == ag(3))),
        "{d:?}"
    );
    assert!(d.explain().contains("it stays with its holder"), "{}", d.explain());
    assert!(decide(&held, &p(0), &ts(NOW), &[], &index()).is_allowed());
}

#[test]
fn revoked_versions_are_released_like_any_version() {
    let f = facts(&object(0, |v| v["revoked"] = json!(true)));
    assert!(f.revoked);
    check(&f, 1, &[1], &format!("allowed under agreement {}", ag(1)));
}

#[test]
fn recalled_objects_go_out_only_as_the_revoked_version() {
    let mut older = facts(&object(0, |_| {}));
    older.recalled = true;
    check(
        &older,
        1,
        &[1],
        "denied:\n- the author recalled the object; only its revoked version is released",
    );
    check(&older, 0, &[1], AUTHOR);
    let mut revoking = facts(&object(0, |v| v["revoked"] = json!(true)));
    revoking.recalled = true;
    check(&revoking, 1, &[1], &format!("allowed under agreement {}", ag(1)));
}

#[test]
fn entente_definitions_go_to_every_partner() {
    let f = facts(&object(0, |v| {
        v["created_by_ref"] = json!(crate::ext::ENTENTE_IDENTITY);
    }));
    check(&f, 5, &[], AUTHOR);
}

#[test]
fn facts_survive_encoding() {
    let mut f = facts(&object(0, |v| {
        v["object_marking_refs"] = json!([Tlp::Red.marking_id(), "marking-definition--00000000-0000-4000-8000-000000000000"]);
        v["extensions"] = json!({crate::ext::RELEASE_EXT: {"recipient_refs": [p(2).to_string()], "exercise": true}});
    }));
    f.via = Some(crate::Via { holder: p(1), agreement: ag(1) });
    let back = ObjectFacts::decode(f.id.clone(), f.version.clone(), &f.encode()).expect("decodes");
    assert_eq!(back, f);
    assert!(ObjectFacts::decode(f.id.clone(), None, b"not facts").is_none());
    assert!(ObjectFacts::decode(f.id.clone(), None, br#"{"t":"x","tlp":"purple"}"#).is_none());
}

#[test]
fn agreements_and_their_objects_go_only_to_parties() {
    let (o1, a1) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1, 2]));
    let idx = index();
    let f = facts(&o1);
    assert_eq!(f.agreement, Some(ag(1)));
    // Whatever it is shared under.
    assert_eq!(
        decide(&f, &p(3), &ts(NOW), &[ag(2)], &idx),
        Decision::Deny {
            reasons: vec![Reason::NotPartyToAgreement { agreement: ag(1) }]
        }
    );
    assert_eq!(
        decide(&f, &p(2), &ts(NOW), &[], &idx),
        Decision::Allow {
            agreement: Some(ag(1))
        }
    );
    let r = crate::ext::ratification_object(
        &id("x-entente-ratification", 1),
        &p(1),
        &ts(NOW),
        &a1,
        "c2ln",
    )
    .unwrap();
    let rf = facts(&r);
    assert_eq!(
        decide(&rf, &p(1), &ts(NOW), &[], &idx),
        Decision::Allow { agreement: None }
    );
    assert_eq!(
        decide(&rf, &p(2), &ts(NOW), &[], &idx),
        Decision::Allow {
            agreement: Some(ag(1))
        }
    );
    assert!(!decide(&rf, &p(3), &ts(NOW), &[], &idx).is_allowed());
    let n = crate::ext::notice_object(
        &id("x-entente-notice", 1),
        &p(2),
        &ts(NOW),
        &ag(9),
        NoticeKind::Withdrawal,
        &ts(NOW),
    )
    .unwrap();
    assert_eq!(
        decide(&facts(&n), &p(1), &ts(NOW), &[], &idx),
        Decision::Deny {
            reasons: vec![Reason::UnknownAgreement { agreement: ag(9) }]
        }
    );
}

#[test]
fn suspension_stops_release_and_is_explained() {
    let (o1, a1) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1, 2]));
    let rats: Vec<_> = (0..3).map(|i| ratify(i, &a1, &o1)).collect();
    let n = notice(1, 2, &a1, NoticeKind::Suspension, "2026-05-01T00:00:00Z");
    let idx = AgreementIndex::build(&[a1], &rats, &[n], &keys(3));
    let f = facts(&object(0, |_| {}));
    assert!(decide(&f, &p(1), &ts("2026-04-30T00:00:00Z"), &[ag(1)], &idx).is_allowed());
    let d = decide(&f, &p(1), &ts(NOW), &[ag(1)], &idx);
    assert_eq!(
        d,
        Decision::Deny {
            reasons: vec![Reason::NotInForce {
                agreement: ag(1),
                state: AgreementState::Suspended { by: vec![p(2)] }
            }]
        }
    );
    assert_eq!(idx.agreements_of(&p(2)), vec![ag(1)]);
    assert!(idx.agreements_of(&p(3)).is_empty());
    assert_eq!(
        idx.state(&ag(1), &ts(NOW)),
        AgreementState::Suspended { by: vec![p(2)] }
    );
}

#[test]
fn no_author_no_release() {
    let f = facts(&object(0, |v| {
        v.as_object_mut().unwrap().remove("created_by_ref");
    }));
    check(
        &f,
        1,
        &[1],
        "denied:\n- the object names no author (created_by_ref)",
    );
}

/// A module's record (`x-entente-test-note`, belonging to agreement 1:
/// parties 0, 1, 2) by partner `author`, naming `observers`, with `edit` applied.
fn note(author: u32, observers: &[u32], edit: impl Fn(&mut Value)) -> Object {
    let mut v = json!({
        "type": crate::kinds::TEST_NOTE.name, "spec_version": "2.1", "id": id(crate::kinds::TEST_NOTE.name, 1),
        "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
        "created_by_ref": p(author), "agreement_ref": ag(1),
    });
    if !observers.is_empty() {
        v["observer_refs"] = json!(observers.iter().map(|n| p(*n)).collect::<Vec<_>>());
    }
    edit(&mut v);
    Object::from_value(v).expect("valid object")
}

#[test]
fn an_undeclared_entente_record_goes_to_parties_alone_and_names_no_one() {
    // A module this node does not run (or forgot to register): its records
    // still go only to the parties, never by their TLP, and never to the
    // identities a kind would have named.
    let under = format!("allowed under agreement {}", ag(1));
    let not_party = format!("denied:\n- the recipient is not a party to agreement {}", ag(1));
    let f = facts(&note(0, &[4], |v| {
        v["type"] = json!("x-entente-undeclared-thing");
        v["id"] = json!(id("x-entente-undeclared-thing", 1));
        v["object_marking_refs"] = json!([Tlp::Clear.marking_id()]);
    }));
    assert_eq!(f.agreement, Some(ag(1)));
    assert!(f.named.is_empty(), "an undeclared kind names no one: {:?}", f.named);
    check(&f, 1, &[], &under);
    check(&f, 3, &[2], &not_party);
    // Its audience narrows it, as any module record's would.
    let narrowed = facts(&note(0, &[], |v| {
        v["type"] = json!("x-entente-undeclared-thing");
        v["id"] = json!(id("x-entente-undeclared-thing", 1));
        v["audience_refs"] = json!([p(1)]);
    }));
    check(&narrowed, 1, &[], &under);
    assert!(!decide(&narrowed, &p(2), &ts(NOW), &[], &index()).is_allowed(), "a party its audience leaves out");
}

#[test]
fn modules_register_their_kinds_once_and_consistently() {
    use crate::kinds::{self, module, register};
    let channel = module("x-entente-test-channel", Some("audience_refs"));
    register(&[channel]).expect("a new kind registers");
    register(&[channel]).expect("the same declaration again is a no-op");
    assert_eq!(kinds::of(channel.name), Some(channel));
    assert!(kinds::synced_types().any(|t| t == channel.name), "sync reads registered kinds");
    let err = register(&[module("x-entente-test-channel", None)]).unwrap_err();
    assert!(err.contains("x-entente-test-channel") && err.contains("twice"), "{err}");
    let err = register(&[module("x-entente-agreement", None)]).unwrap_err();
    assert!(err.contains("twice"), "Entente's own kinds cannot be redeclared: {err}");
    let err = register(&[module("meeting", None)]).unwrap_err();
    assert!(err.contains("x-entente-"), "{err}");
    // Another thread sees the registration.
    std::thread::spawn(move || assert_eq!(kinds::of(channel.name), Some(channel))).join().unwrap();
}

#[test]
fn partnership_records_go_to_parties_and_named_only_at_any_tlp() {
    let under = format!("allowed under agreement {}", ag(1));
    let not_party = format!("denied:\n- the recipient is not a party to agreement {}", ag(1));
    for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::Red] {
        let f = facts(&note(0, &[4], |v| v["object_marking_refs"] = json!([tlp.marking_id()])));
        assert_eq!(f.agreement, Some(ag(1)), "the marker names the agreement");
        assert_eq!(f.named, vec![p(4)]);
        // Whatever it is shared under, to whomever it names as TLP:RED recipients.
        check(&f, 0, &[2], AUTHOR);
        check(&f, 1, &[], &under);
        check(&f, 2, &[2], &under);
        check(&f, 4, &[], &under);
        check(&f, 3, &[2], &not_party);
        let mut red = facts(&note(0, &[], |v| {
            v["object_marking_refs"] = json!([tlp.marking_id()]);
            let (k, ext) = release_extension(&[p(3)], false);
            v["extensions"] = json!({ k: ext });
        }));
        check(&red, 3, &[2], &not_party);
        check(&red, 5, &[1], &format!("denied:\n- the recipient is not a party to agreement {}", ag(1)));
        // A recall does not widen or narrow it.
        red.recalled = true;
        check(&red, 2, &[], &under);
        check(&red, 3, &[], &not_party);
    }
    // The marker is required and must name an agreement; the named list must hold identities.
    let err = ObjectFacts::from_object(&note(0, &[], |v| {
        v.as_object_mut().unwrap().remove("agreement_ref");
    }))
    .unwrap_err();
    assert!(err.to_string().contains("agreement_ref"), "{err}");
    let err = ObjectFacts::from_object(&note(0, &[], |v| v["agreement_ref"] = json!(id("malware", 1))))
        .unwrap_err();
    assert!(err.to_string().contains("agreement_ref"), "{err}");
    let err = ObjectFacts::from_object(&note(0, &[], |v| v["observer_refs"] = json!([id("malware", 1)])))
        .unwrap_err();
    assert!(err.to_string().contains("observer_refs[0]"), "{err}");
    // The named recipients survive encoding.
    let f = facts(&note(0, &[3, 4], |_| {}));
    assert_eq!(ObjectFacts::decode(f.id.clone(), f.version.clone(), &f.encode()), Some(f));
}

#[test]
fn a_record_that_narrows_its_audience_goes_to_those_parties_alone() {
    let under = format!("allowed under agreement {}", ag(1));
    let outside = "denied:\n- the object names its recipients and this one is not among them";
    let not_party = format!("denied:\n- the recipient is not a party to agreement {}", ag(1));
    for tlp in [Tlp::Clear, Tlp::Amber, Tlp::Red] {
        // Parties 0, 1 and 2; the note (by 0) is for 0 and 1 alone, and observer 4.
        let f = facts(&note(0, &[4], |v| {
            v["object_marking_refs"] = json!([tlp.marking_id()]);
            v["audience_refs"] = json!([p(0), p(1), p(3)]);
        }));
        assert_eq!(f.audience, Some(vec![p(0), p(1), p(3)]));
        check(&f, 0, &[], AUTHOR);
        check(&f, 1, &[], &under);
        check(&f, 2, &[2], outside);
        // The audience narrows the parties; it adds no one.
        check(&f, 3, &[], &not_party);
        check(&f, 4, &[], &under);
        // The audience survives encoding.
        assert_eq!(ObjectFacts::decode(f.id.clone(), f.version.clone(), &f.encode()), Some(f));
    }
    // An empty audience: the author alone (and whom the kind names).
    let f = facts(&note(1, &[], |v| v["audience_refs"] = json!([])));
    check(&f, 1, &[], AUTHOR);
    check(&f, 0, &[], outside);
    check(&f, 2, &[], outside);
    // Without the property, every party.
    let f = facts(&note(1, &[], |_| {}));
    assert_eq!(f.audience, None);
    check(&f, 2, &[], &under);
    // The audience must list identities (a list of ids, as the model checks), and is named when it does not.
    let err = ObjectFacts::from_object(&note(0, &[], |v| v["audience_refs"] = json!([id("malware", 1)]))).unwrap_err();
    assert!(err.to_string().contains("audience_refs[0]"), "{err}");
}

#[test]
fn the_kinds_declaration_answers_for_every_record_type() {
    use crate::kinds;
    for t in ["x-entente-agreement", "x-entente-ratification", "x-entente-notice"] {
        assert!(kinds::is_record(t) && kinds::feeds_index(t), "{t}");
    }
    // A module's record is a partnership record that does not feed the index.
    assert!(kinds::is_record(kinds::TEST_NOTE.name));
    assert!(!kinds::feeds_index(kinds::TEST_NOTE.name));
    // Identities feed the index (partners' keys) but are not partnership records;
    // the prefix alone makes a record (below).
    assert!(kinds::feeds_index("identity") && !kinds::is_record("identity"));
    // An Entente type no kind declares is a record read narrowly (fail closed), never intelligence.
    assert!(kinds::is_record("x-entente-other") && !kinds::feeds_index("x-entente-other"));
    assert_eq!(kinds::of("x-entente-other").map(|k| (k.audience, k.named)), Some((Some("audience_refs"), &[][..])));
    assert!(!kinds::is_record("x-other-vendor"));
    let index: Vec<&str> = kinds::index_types().collect();
    assert_eq!(index, ["x-entente-agreement", "x-entente-ratification", "x-entente-notice", "identity"]);
    let synced: Vec<&str> = kinds::synced_types().collect();
    assert!(synced.contains(&kinds::TEST_NOTE.name) && synced.contains(&"identity"));
}

#[test]
fn the_holder_is_told_it_holds_a_received_object_and_what_it_may_do() {
    // Partner 1 received partner 3's object under agreement 2 (re-share
    // under its own agreements), and under agreement 1 (parties only).
    let now = ts(NOW);
    let under = |a: u32| ObjectFacts::received(&object(3, |_| {}), Via { holder: p(1), agreement: ag(a) }).unwrap();
    for (a, may) in [
        (2, "Holder may pass it on under its own agreements, as it shares its own objects"),
        (1, "Holder may pass it on only to parties of"),
        (4, "Holder may keep and use it but never pass it on"),
    ] {
        let f = under(a);
        let d = decide(&f, &p(1), &now, &[], &index());
        assert_eq!(d, Decision::Allow { agreement: Some(ag(a)) });
        let why = crate::explain_held("Holder", f.via.as_ref().unwrap(), &index(), &now);
        let title = index().agreement(&ag(a)).unwrap().terms.title.clone();
        assert!(why.starts_with(&format!("allowed: Holder holds it, received under agreement \"{title}\"")), "{why}");
        assert!(why.contains(may), "{why}");
        assert!(!why.contains("author"), "{why}");
    }
    // Under agreement 3, never in force for partner 3's side: it stays.
    let f = ObjectFacts::received(&object(3, |_| {}), Via { holder: p(0), agreement: ag(3) }).unwrap();
    let why = crate::explain_held("Holder", f.via.as_ref().unwrap(), &index(), &now);
    assert!(why.ends_with("it stays with Holder"), "{why}");
    let unknown = Via { holder: p(0), agreement: ag(9) };
    assert!(crate::explain_held("Holder", &unknown, &index(), &now).contains("which this node does not know"));
}

/// An amendment adding a party gives it the agreement's own records at once
/// (it must read the amendment to ratify it) but a module's records only
/// once every party of the amendment ratified it; until then they go to the
/// parties of the version last ratified by all.
#[test]
fn a_party_an_amendment_adds_gets_module_records_once_every_party_ratified_it() {
    use crate::ext::ratification_object;
    use crate::sign_agreement;
    let (o1, a1) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1, 2]));
    let (o2, a2) = agreement(1, "2026-01-10T00:00:00Z", &terms(&[0, 1, 2, 3]));
    let ratify_v2 = |party: u32| {
        let (who, secret) = partner(party);
        let sig = sign_agreement(o2.json(), &secret).expect("sign");
        let r = ratification_object(&id("x-entente-ratification", 2000 + party), &who, &ts("2026-01-11T00:00:00Z"), &a2, &sig).expect("ratification");
        crate::Ratification::from_object(&r).expect("ratification")
    };
    let mut rats: Vec<crate::Ratification> = [0, 1, 2].iter().map(|i| ratify(*i, &a1, &o1)).collect();
    rats.push(ratify_v2(0));
    let pending = AgreementIndex::build(&[a1.clone(), a2.clone()], &rats, &[], &keys(4));
    assert_eq!(pending.agreed_parties(&ag(1)), Some(&[p(0), p(1), p(2)][..]));
    let now = ts(NOW);
    let n = facts(&note(1, &[], |_| {}));
    let amendment = ObjectFacts::from_object(&o2).expect("facts");
    assert!(decide(&n, &p(2), &now, &[], &pending).is_allowed());
    assert!(!decide(&n, &p(3), &now, &[], &pending).is_allowed(), "the added party waits for every ratification");
    assert!(decide(&amendment, &p(3), &now, &[], &pending).is_allowed(), "but reads the amendment it is to ratify");
    for i in [1, 2, 3] {
        rats.push(ratify_v2(i));
    }
    let agreed = AgreementIndex::build(&[a1, a2], &rats, &[], &keys(4));
    assert_eq!(agreed.agreed_parties(&ag(1)).map(<[_]>::len), Some(4));
    assert!(decide(&n, &p(3), &now, &[], &agreed).is_allowed());
}
