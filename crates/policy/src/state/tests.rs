//! Tests of derived agreement state: ratification, signatures, notices and validity.

use serde_json::json;

use model::Object;

use crate::fixture::{agreement, keys, notice, partner, ratify, terms, ts};
use crate::{state, verify_ratification, Agreement, AgreementState, NoticeKind, Ratification};

const NOW: &str = "2026-06-01T00:00:00Z";

fn p(n: u32) -> model::StixId {
    partner(n).0
}

fn all_ratified() -> (Object, Agreement, Vec<Ratification>) {
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1, 2]));
    let rats = (0..3).map(|i| ratify(i, &a, &o)).collect();
    (o, a, rats)
}

#[test]
fn in_force_when_every_party_ratified_the_latest_version() {
    let (_, a, rats) = all_ratified();
    assert_eq!(
        state(std::slice::from_ref(&a), &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::InForce
    );
    assert_eq!(
        state(std::slice::from_ref(&a), &[], &[], &keys(3), &ts(NOW)),
        AgreementState::Draft
    );
    assert_eq!(
        state(
            std::slice::from_ref(&a),
            &rats[..2],
            &[],
            &keys(3),
            &ts(NOW)
        ),
        AgreementState::AwaitingRatification {
            missing: vec![p(2)]
        }
    );
    assert_eq!(
        state(&[], &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::Unknown
    );
    // Without the party's key the signature cannot be checked: it does not count.
    assert_eq!(
        state(&[a], &rats, &[], &keys(2), &ts(NOW)),
        AgreementState::AwaitingRatification {
            missing: vec![p(2)]
        }
    );
}

#[test]
fn validity_window_is_half_open() {
    let (_, a, rats) = all_ratified();
    let at = |t: &str| state(std::slice::from_ref(&a), &rats, &[], &keys(3), &ts(t));
    assert_eq!(
        at("2025-12-31T23:59:59.999999Z"),
        AgreementState::NotYetValid
    );
    assert_eq!(at("2026-01-01T00:00:00Z"), AgreementState::InForce);
    assert_eq!(at("2026-12-31T23:59:59.999999Z"), AgreementState::InForce);
    assert_eq!(at("2027-01-01T00:00:00Z"), AgreementState::Expired);
}

#[test]
fn ratification_of_an_older_version_does_not_count_for_the_newer() {
    let (o1, a1, rats) = all_ratified();
    let mut t2 = terms(&[0, 1, 2]);
    t2.tlp_ceiling = model::tlp::Tlp::Red;
    let (o2, a2) = agreement(1, "2025-12-10T00:00:00Z", &t2);
    let versions = [a1.clone(), a2.clone()];
    assert_eq!(
        state(&versions, &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::Draft
    );
    // A ratification that claims the new version but signed the old one fails.
    let mut claimed = rats[0].clone();
    claimed.agreement_version = a2.version.clone();
    assert!(!verify_ratification(
        &claimed,
        o2.json(),
        &crate::keys::public_key(&partner(0).1)
    ));
    assert!(verify_ratification(
        &rats[0],
        o1.json(),
        &crate::keys::public_key(&partner(0).1)
    ));
    let mut new_rats: Vec<Ratification> = (0..3).map(|i| ratify(i, &a2, &o2)).collect();
    assert_eq!(
        state(&versions, &new_rats, &[], &keys(3), &ts(NOW)),
        AgreementState::InForce
    );
    new_rats[1] = claimed;
    assert_eq!(
        state(&versions, &new_rats, &[], &keys(3), &ts(NOW)),
        AgreementState::AwaitingRatification {
            missing: vec![p(1)]
        }
    );
}

#[test]
fn tampered_agreement_is_detected() {
    let (o, _, rats) = all_ratified();
    let mut v = o.to_value();
    v["tlp_ceiling"] = json!("red");
    let tampered_obj = Object::from_value(v).unwrap();
    let tampered = Agreement::from_object(&tampered_obj).unwrap();
    assert_eq!(
        state(&[tampered], &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::Draft
    );
    let key = crate::keys::public_key(&partner(0).1);
    assert!(verify_ratification(&rats[0], o.json(), &key));
    assert!(!verify_ratification(&rats[0], tampered_obj.json(), &key));
}

#[test]
fn tampered_ratification_is_detected() {
    let (o, a, mut rats) = all_ratified();
    let key = crate::keys::public_key(&partner(0).1);
    let mut bad = rats[0].clone();
    let mut sig = bad.signature.into_bytes();
    sig[5] = if sig[5] == b'A' { b'B' } else { b'A' };
    bad.signature = String::from_utf8(sig).unwrap();
    assert!(!verify_ratification(&bad, o.json(), &key));
    // Signed by someone else's key.
    let mut forged = rats[0].clone();
    forged.signature = crate::sign_agreement(o.json(), &partner(1).1).unwrap();
    assert!(!verify_ratification(&forged, o.json(), &key));
    // Ratifying in another party's name does not count for that party.
    let mut impostor = rats[1].clone();
    impostor.author = p(0);
    rats[0] = bad;
    rats[1] = impostor;
    assert_eq!(
        state(&[a], &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::AwaitingRatification {
            missing: vec![p(0), p(1)]
        }
    );
}

#[test]
fn only_the_author_versions_an_agreement() {
    let (_, a, rats) = all_ratified();
    let mut t = terms(&[1, 0, 2]);
    t.tlp_ceiling = model::tlp::Tlp::Red;
    let (_, mut forged) = agreement(1, "2026-02-01T00:00:00Z", &t);
    forged.id = a.id.clone();
    assert_eq!(forged.author, p(1));
    assert_eq!(
        state(&[a, forged], &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::InForce
    );
}

#[test]
fn suspension_lasts_until_resumption() {
    let (_, a, rats) = all_ratified();
    let notices = [
        notice(1, 1, &a, NoticeKind::Suspension, "2026-03-01T00:00:00Z"),
        notice(2, 1, &a, NoticeKind::Resumption, "2026-04-01T00:00:00Z"),
    ];
    let at = |t: &str| state(std::slice::from_ref(&a), &rats, &notices, &keys(3), &ts(t));
    assert_eq!(at("2026-02-28T00:00:00Z"), AgreementState::InForce);
    assert_eq!(
        at("2026-03-01T00:00:00Z"),
        AgreementState::Suspended { by: vec![p(1)] }
    );
    assert_eq!(at("2026-04-01T00:00:00Z"), AgreementState::InForce);
    // A resumption by another party does not end it.
    let other = [
        notice(1, 1, &a, NoticeKind::Suspension, "2026-03-01T00:00:00Z"),
        notice(2, 2, &a, NoticeKind::Resumption, "2026-04-01T00:00:00Z"),
    ];
    assert_eq!(
        state(std::slice::from_ref(&a), &rats, &other, &keys(3), &ts(NOW)),
        AgreementState::Suspended { by: vec![p(1)] }
    );
    // A revoked suspension has no effect.
    let mut revoked = notice(1, 1, &a, NoticeKind::Suspension, "2026-03-01T00:00:00Z");
    revoked.revoked = true;
    assert_eq!(
        state(
            std::slice::from_ref(&a),
            &rats,
            &[revoked],
            &keys(3),
            &ts(NOW)
        ),
        AgreementState::InForce
    );
    // A notice by someone who is not a party has no effect.
    let outsider = notice(3, 5, &a, NoticeKind::Suspension, "2026-03-01T00:00:00Z");
    assert_eq!(
        state(&[a], &rats, &[outsider], &keys(3), &ts(NOW)),
        AgreementState::InForce
    );
}

#[test]
fn withdrawal_is_final() {
    let (_, a, rats) = all_ratified();
    let notices = [
        notice(1, 2, &a, NoticeKind::Withdrawal, "2026-03-01T00:00:00Z"),
        notice(2, 2, &a, NoticeKind::Resumption, "2026-04-01T00:00:00Z"),
    ];
    let at = |t: &str| state(std::slice::from_ref(&a), &rats, &notices, &keys(3), &ts(t));
    assert_eq!(at("2026-02-01T00:00:00Z"), AgreementState::InForce);
    assert_eq!(
        at("2026-03-01T00:00:00Z"),
        AgreementState::Withdrawn { by: vec![p(2)] }
    );
    assert_eq!(
        at("2026-05-01T00:00:00Z"),
        AgreementState::Withdrawn { by: vec![p(2)] }
    );
}

#[test]
fn revoked_agreement_is_not_in_force() {
    let (o, _, rats) = all_ratified();
    let mut v = o.to_value();
    v["revoked"] = json!(true);
    let a = Agreement::from_object(&Object::from_value(v).unwrap()).unwrap();
    assert_eq!(
        state(&[a], &rats, &[], &keys(3), &ts(NOW)),
        AgreementState::Revoked
    );
}

#[test]
fn states_read_well() {
    assert_eq!(
        AgreementState::Suspended { by: vec![p(1)] }.to_string(),
        format!("suspended by {}", p(1))
    );
    assert_eq!(AgreementState::NotYetValid.to_string(), "not yet valid");
    assert_eq!(AgreementState::InForce.name(), "in-force");
}
