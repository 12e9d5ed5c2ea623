//! Tests of reading agreements, ratifications, notices and keys from STIX objects.

use serde_json::{json, Value};

use model::Object;

use crate::ext::{self, extension_definitions, partner_identity, public_key_of};
use crate::fixture::{agreement, id, partner, terms, ts};
use crate::{Agreement, Error, Notice, Ratification};

/// Reads an agreement after `edit` changed its JSON; the error text, or "ok".
fn check(edit: impl Fn(&mut Value), expect: &str) {
    let (o, _) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1]));
    let mut v = o.to_value();
    edit(&mut v);
    let got = match Object::from_value(v)
        .map_err(Error::from)
        .and_then(|o| Agreement::from_object(&o))
    {
        Ok(_) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, expect);
}

const A: &str = "x-entente-agreement--00000000-0000-4000-8000-000000000001";

#[test]
fn terms_round_trip() {
    let t = terms(&[0, 1, 2]);
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &t);
    assert_eq!(a.terms, t);
    assert_eq!(a.author, partner(0).0);
    assert_eq!(a.version, ts("2025-12-01T00:00:00Z"));
    assert!(o.is_custom());
    check(|_| {}, "ok");
}

#[test]
fn a_meeting_cadence_is_optional_round_trips_and_is_checked() {
    let mut t = terms(&[0, 1, 2]);
    t.meeting_cadence = vec![
        crate::Cadence { meeting_type: "senior-dialogue".into(), every_months: 3 },
        crate::Cadence { meeting_type: "technical-exchange".into(), every_months: 1 },
    ];
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &t);
    assert_eq!(a.terms, t);
    assert_eq!(o.to_value()["meeting_cadence"][0], json!({"meeting_type": "senior-dialogue", "every_months": 3}));
    // Absent: no cadence, and none written.
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1]));
    assert!(a.terms.meeting_cadence.is_empty() && o.to_value().get("meeting_cadence").is_none());
    for (cadence, expect) in [
        (json!("quarterly"), "property `meeting_cadence`: must be a list of {meeting_type, every_months}"),
        (json!([3]), "property `meeting_cadence[0]`: must be an object"),
        (json!([{"meeting_type": "", "every_months": 3}]), "property `meeting_cadence[0].meeting_type`: must be a name of 1 to 100 characters"),
        (json!([{"meeting_type": "a", "every_months": 0}]), "property `meeting_cadence[0].every_months`: must be a whole number of months from 1 to 60"),
        (json!([{"meeting_type": "a", "every_months": 1.5}]), "property `meeting_cadence[0].every_months`: must be a whole number of months from 1 to 60"),
        (json!([{"meeting_type": "a", "every_months": 3}, {"meeting_type": "a", "every_months": 6}]), "property `meeting_cadence[1].meeting_type`: names a meeting type twice"),
        (json!([{"meeting_type": "a", "every_months": 3, "place": "x"}]), "property `meeting_cadence[0].place`: is not a cadence property (meeting_type, every_months)"),
    ] {
        check(|v| v["meeting_cadence"] = cadence.clone(), &format!("{A}: {expect}"));
    }
}

#[test]
fn a_statement_procedure_is_optional_round_trips_and_is_checked() {
    let mut t = terms(&[0, 1, 2]);
    t.statement_procedure = crate::StatementProcedure::Silence { silence_days: 7 };
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &t);
    assert_eq!(a.terms, t);
    assert_eq!(o.to_value()["statement_procedure"], json!({"mode": "silence", "silence_days": 7}));
    // Absent: unanimity, and nothing written.
    let (o, a) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1]));
    assert_eq!(a.terms.statement_procedure, crate::StatementProcedure::Unanimity);
    assert!(o.to_value().get("statement_procedure").is_none());
    check(|v| v["statement_procedure"] = json!({"mode": "unanimity"}), "ok");
    for (procedure, expect) in [
        (json!("silence"), "property `statement_procedure`: must be {mode: unanimity} or {mode: silence, silence_days}"),
        (json!({"mode": "majority"}), "property `statement_procedure.mode`: must be unanimity or silence"),
        (json!({"mode": "silence"}), "property `statement_procedure.silence_days`: must be a whole number of days from 1 to 90"),
        (json!({"mode": "silence", "silence_days": 0}), "property `statement_procedure.silence_days`: must be a whole number of days from 1 to 90"),
        (json!({"mode": "unanimity", "silence_days": 3}), "property `statement_procedure.silence_days`: is only for the silence procedure"),
        (json!({"mode": "silence", "silence_days": 3, "x": 1}), "property `statement_procedure.x`: is not a statement procedure property (mode, silence_days)"),
    ] {
        check(|v| v["statement_procedure"] = procedure.clone(), &format!("{A}: {expect}"));
    }
}

#[test]
fn errors_name_the_property() {
    check(
        |v| v["party_refs"] = json!([partner(0).0]),
        &format!("{A}: property `party_refs`: must list at least two identities"),
    );
    check(
        |v| v["party_refs"] = json!([partner(1).0, partner(2).0]),
        &format!("{A}: property `party_refs`: must include the author (created_by_ref)"),
    );
    check(
        |v| v["party_refs"] = json!([partner(0).0, partner(0).0]),
        &format!("{A}: property `party_refs`: names a party twice"),
    );
    check(
        |v| v["tlp_ceiling"] = json!("purple"),
        &format!(
            "{A}: property `tlp_ceiling`: must be one of clear, green, amber, amber+strict, red"
        ),
    );
    check(
        |v| v["handling"]["reshare"] = json!("anyone"),
        &format!("{A}: property `handling.reshare`: must be one of none, parties-only, recipient-agreements"),
    );
    check(
        |v| v["handling"]["permitted_actions"] = json!(["internally-visible", "nuke"]),
        &format!("{A}: property `handling.permitted_actions[1]`: must be one of contact-for-instruction, internally-visible, externally-visible-indirect, externally-visible-direct"),
    );
    check(
        |v| v["handling"]["retention_days"] = json!(0),
        &format!("{A}: property `handling.retention_days`: must be a positive integer"),
    );
    check(
        |v| v["scope"]["data_kind"] = json!("fake"),
        &format!("{A}: property `scope.data_kind`: must be one of real, exercise, both"),
    );
    check(
        |v| v["scope"]["object_types"] = json!(["Not A Type"]),
        &format!("{A}: property `scope.object_types[0]`: is not a STIX type name"),
    );
    check(
        |v| {
            v.as_object_mut().unwrap().remove("scope");
        },
        &format!("{A}: property `scope`: required but missing"),
    );
    check(
        |v| {
            v.as_object_mut().unwrap().remove("title");
        },
        &format!("{A}: property `title`: required but missing"),
    );
    check(
        |v| {
            v.as_object_mut().unwrap().remove("valid_from");
        },
        &format!("{A}: property `valid_from`: required but missing"),
    );
    check(
        |v| {
            v["party_refs"] = json!([
                "indicator--00000000-0000-4000-8000-000000000001",
                partner(0).0
            ])
        },
        &format!("{A}: property `party_refs[0]`: must refer to identity, not `indicator`"),
    );
}

#[test]
fn wrong_type_is_refused() {
    let (o, _) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1]));
    let err = Ratification::from_object(&o).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{A}: is a `x-entente-agreement`, expected `x-entente-ratification`")
    );
    assert!(Notice::from_object(&o).is_err());
}

#[test]
fn notice_type_must_be_known() {
    let (_, a) = agreement(1, "2025-12-01T00:00:00Z", &terms(&[0, 1]));
    let n = ext::notice_object(
        &id("x-entente-notice", 1),
        &partner(1).0,
        &ts("2026-01-01T00:00:00Z"),
        &a.id,
        crate::NoticeKind::Suspension,
        &ts("2026-02-01T00:00:00Z"),
    )
    .unwrap();
    let mut v = n.to_value();
    v["notice_type"] = json!("pause");
    let err = Notice::from_object(&Object::from_value(v).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("property `notice_type`: must be one of suspension, resumption, withdrawal"),
        "{err}"
    );
}

#[test]
fn extension_definitions_are_valid_stix() {
    let defs = extension_definitions();
    assert_eq!(defs.len(), 5);
    for d in defs.into_iter().chain([ext::entente_identity()]) {
        let o = Object::from_value(d).expect("valid STIX");
        assert_eq!(o.version(), Some(&ts("2026-11-01T00:00:00.000Z")));
    }
}

#[test]
fn identity_carries_its_public_key() {
    let (secret, public) = crate::generate_keypair().expect("keys");
    assert_eq!(crate::keys::public_key(&secret), public);
    let who = id("identity", 7);
    let o =
        partner_identity(&who, "CERT-X", &public, &ts("2026-01-01T00:00:00Z")).expect("identity");
    assert_eq!(public_key_of(&o).unwrap(), Some(public));
    assert!(partner_identity(&who, "CERT-X", "not base64!", &ts("2026-01-01T00:00:00Z")).is_err());
    assert!(partner_identity(&who, "CERT-X", "AAAA", &ts("2026-01-01T00:00:00Z")).is_err());
}

#[test]
fn new_ids_are_version_4() {
    let a = ext::new_id("x-entente-agreement").unwrap();
    let b = ext::new_id("x-entente-agreement").unwrap();
    assert_ne!(a, b);
    assert_eq!(&a.uuid()[14..15], "4");
}
