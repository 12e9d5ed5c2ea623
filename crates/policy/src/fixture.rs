//! Test fixtures: partners with keys, and agreements, ratifications and notices built from them.

use model::tlp::Tlp;
use model::{Object, StixId, Timestamp};

use crate::ext::{agreement_object, notice_object, ratification_object};
use crate::{
    sign_agreement, Action, Agreement, AgreementTerms, Attribution, DataKind, Handling, Notice,
    NoticeKind, PartyKeys, Ratification, Reshare, Scope,
};

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

pub fn id(ty: &str, n: u32) -> StixId {
    StixId::parse(&format!("{ty}--00000000-0000-4000-8000-{n:012}")).expect("id")
}

/// Partner `n` (0-based): an identity id and a fixed secret key.
pub fn partner(n: u32) -> (StixId, [u8; 32]) {
    (id("identity", n + 1), [n as u8 + 1; 32])
}

pub fn keys(n: u32) -> PartyKeys {
    let mut k = PartyKeys::new();
    for i in 0..n {
        let (p, s) = partner(i);
        k.insert(p, &crate::keys::public_key(&s)).expect("key");
    }
    k
}

pub fn terms(parties: &[u32]) -> AgreementTerms {
    AgreementTerms {
        title: "Ransomware exchange".into(),
        purpose: "Share ransomware indicators".into(),
        parties: parties.iter().map(|n| partner(*n).0).collect(),
        scope: Scope {
            object_types: Vec::new(),
            labels: Vec::new(),
            data_kind: DataKind::Both,
        },
        tlp_ceiling: Tlp::Amber,
        handling: Handling {
            reshare: Reshare::PartiesOnly,
            attribution: Attribution::Required,
            permitted_actions: vec![Action::InternallyVisible, Action::ContactForInstruction],
            retention_days: Some(365),
        },
        valid_from: ts("2026-01-01T00:00:00Z"),
        valid_until: Some(ts("2027-01-01T00:00:00Z")),
        meeting_cadence: Vec::new(),
        statement_procedure: Default::default(),
    }
}

/// Agreement `n`, version at `modified`, by partner `parties[0]`.
pub fn agreement(n: u32, modified: &str, terms: &AgreementTerms) -> (Object, Agreement) {
    let author = &terms.parties[0];
    let o = agreement_object(
        &id("x-entente-agreement", n),
        author,
        &ts("2025-12-01T00:00:00Z"),
        &ts(modified),
        terms,
    )
    .expect("agreement object");
    let a = Agreement::from_object(&o).expect("agreement");
    (o, a)
}

/// Partner `party`'s ratification of `a`, signed with its own key.
pub fn ratify(party: u32, a: &Agreement, o: &Object) -> Ratification {
    let (p, secret) = partner(party);
    let sig = sign_agreement(o.json(), &secret).expect("sign");
    let r = ratification_object(
        &id("x-entente-ratification", 1000 + party),
        &p,
        &ts("2025-12-15T00:00:00Z"),
        a,
        &sig,
    )
    .expect("ratification object");
    Ratification::from_object(&r).expect("ratification")
}

pub fn notice(n: u32, party: u32, a: &Agreement, kind: NoticeKind, effective: &str) -> Notice {
    let o = notice_object(
        &id("x-entente-notice", n),
        &partner(party).0,
        &ts("2025-12-20T00:00:00Z"),
        &a.id,
        kind,
        &ts(effective),
    )
    .expect("notice object");
    Notice::from_object(&o).expect("notice")
}
