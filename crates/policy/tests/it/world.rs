//! Random worlds of partners, agreements, ratifications, notices and objects,
//! shared by the leak test and `examples/million.rs`.
#![allow(dead_code)] // shared with examples/million.rs, which uses other parts

use serde_json::{json, Value};

use model::tlp::MARKINGS;
use model::{Object, StixId, Timestamp};
use policy::ext::{agreement_object, notice_object, ratification_object, release_extension};
use policy::reference::{Verdict, World};
use policy::{
    decide, keys, Action, Agreement, AgreementId, AgreementIndex, AgreementTerms, Attribution,
    DataKind, Decision, Handling, Hold, Notice, NoticeKind, ObjectFacts, PartnerId, PartyKeys,
    Ratification, Reshare, Scope, Via,
};

/// The shared seeded generator (SplitMix64).
pub use model::rng::Rng;

/// Random STIX ids from the generator.
pub trait Ids {
    /// A well-formed id of type `ty`.
    fn id(&mut self, ty: &str) -> StixId;
}

impl Ids for Rng {
    fn id(&mut self, ty: &str) -> StixId {
        let (a, b) = (self.next(), self.next());
        let h = format!("{a:016x}{b:016x}");
        let raw = format!(
            "{ty}--{}-{}-4{}-8{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        );
        StixId::parse(&raw).expect("well-formed id")
    }
}

const DAY: i64 = 86_400_000_000;
/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000_000;
const TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "malware",
    "tool",
    "vulnerability",
    "threat-actor",
    "intrusion-set",
    "x-custom-thing",
];
const LABELS: &[&str] = &["apt", "ransomware", "phishing", "ics", "x-entente-exercise"];

fn ts(micros: i64) -> Timestamp {
    Timestamp::from_micros(micros)
}

/// One object version held by the node, with what the decision needs.
pub struct SimObject {
    pub object: Object,
    pub facts: ObjectFacts,
    pub shares: Vec<AgreementId>,
}

/// A random world, prepared both ways: the index for `decide`, the raw
/// objects for the reference model.
pub struct Sim {
    pub partners: Vec<PartnerId>,
    pub agreements: Vec<AgreementId>,
    pub objects: Vec<SimObject>,
    pub index: AgreementIndex,
    pub world: World,
    pub times: Vec<Timestamp>,
}

/// The outcome of comparing `decide` with the reference on one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Agree,
    Leak,
    WrongDenial,
    OtherAgreement,
}

impl Sim {
    pub fn check(
        &self,
        o: &SimObject,
        recipient: &PartnerId,
        now: &Timestamp,
    ) -> (Decision, Check) {
        let d = decide(&o.facts, recipient, now, &o.shares, &self.index);
        (d.clone(), compare(&d, &self.reference(o, recipient, now)))
    }

    pub fn reference(&self, o: &SimObject, recipient: &PartnerId, now: &Timestamp) -> Verdict {
        let held = o.facts.via.as_ref().map(|v| (&v.holder, &v.agreement));
        self.world
            .verdict_stored(&o.object, held, recipient, now, &o.shares, o.facts.recalled)
    }
}

pub fn compare(d: &Decision, v: &Verdict) -> Check {
    match (d, v) {
        (Decision::Allow { agreement }, Verdict::Allow(b)) if agreement == b => Check::Agree,
        (Decision::Allow { .. }, Verdict::Allow(_)) => Check::OtherAgreement,
        (Decision::Allow { .. }, Verdict::Deny) => Check::Leak,
        (Decision::Deny { reasons }, Verdict::Deny) if !reasons.is_empty() => Check::Agree,
        (Decision::Deny { .. }, Verdict::Deny) => Check::WrongDenial,
        (Decision::Deny { .. }, Verdict::Allow(_)) => Check::WrongDenial,
    }
}

fn random_terms(rng: &mut Rng, parties: Vec<PartnerId>) -> AgreementTerms {
    let valid_from = T0 + (rng.below(200) as i64 - 100) * DAY;
    let valid_until = if rng.chance(30) {
        None
    } else {
        Some(ts(valid_from + (1 + rng.below(300) as i64) * DAY))
    };
    let object_types = if rng.chance(45) {
        Vec::new()
    } else {
        (0..1 + rng.below(4))
            .map(|_| rng.pick(TYPES).to_string())
            .collect()
    };
    let labels = if rng.chance(55) {
        Vec::new()
    } else {
        (0..1 + rng.below(2))
            .map(|_| rng.pick(LABELS).to_string())
            .collect()
    };
    AgreementTerms {
        title: format!("agreement {}", rng.below(1000)),
        purpose: "testing".into(),
        parties,
        scope: Scope {
            object_types,
            labels,
            data_kind: *rng.pick(&[
                DataKind::Real,
                DataKind::Exercise,
                DataKind::Both,
                DataKind::Both,
            ]),
        },
        tlp_ceiling: *rng.pick(&model::tlp::Tlp::ALL),
        handling: Handling {
            reshare: *rng.pick(&[
                Reshare::None,
                Reshare::PartiesOnly,
                Reshare::RecipientAgreements,
            ]),
            attribution: *rng.pick(&[Attribution::Required, Attribution::Withheld]),
            permitted_actions: vec![Action::InternallyVisible],
            retention_days: if rng.chance(50) {
                Some(1 + rng.below(365) as u32)
            } else {
                None
            },
        },
        valid_from: ts(valid_from),
        valid_until,
        meeting_cadence: Vec::new(),
        statement_procedure: Default::default(),
    }
}

fn pick_parties(rng: &mut Rng, partners: &[PartnerId]) -> Vec<PartnerId> {
    let k = 2 + rng.below(4) as usize;
    let mut parties: Vec<PartnerId> = Vec::new();
    while parties.len() < k.min(partners.len()) {
        let p = rng.pick(partners).clone();
        if !parties.contains(&p) {
            parties.push(p);
        }
    }
    parties
}

fn revoke(object: &Object) -> Object {
    let mut v = object.to_value();
    v["revoked"] = Value::Bool(true);
    Object::from_value(v).expect("still valid")
}

/// Generates a world.
pub fn generate(seed: u64, n_partners: usize, n_agreements: usize, n_objects: usize) -> Sim {
    let mut rng = Rng(seed);
    let partners: Vec<PartnerId> = (0..n_partners).map(|_| rng.id("identity")).collect();
    let secrets: Vec<[u8; 32]> = (0..n_partners)
        .map(|_| {
            let mut s = [0u8; 32];
            for chunk in s.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next().to_le_bytes());
            }
            s
        })
        .collect();
    let key_list: Vec<(PartnerId, String)> = partners
        .iter()
        .zip(&secrets)
        .map(|(p, s)| (p.clone(), keys::public_key(s)))
        .collect();
    let mut party_keys = PartyKeys::new();
    for (p, k) in &key_list {
        party_keys.insert(p.clone(), k).expect("valid key");
    }
    let secret_of =
        |p: &PartnerId| secrets[partners.iter().position(|x| x == p).expect("a partner")];

    let mut agreement_objects = Vec::new();
    let mut ratification_objects = Vec::new();
    let mut notice_objects = Vec::new();
    let mut holds: Vec<Hold> = Vec::new();
    let mut agreement_ids = Vec::new();
    let mut parties_of: Vec<Vec<PartnerId>> = Vec::new();

    for _ in 0..n_agreements {
        let id = rng.id("x-entente-agreement");
        let parties = pick_parties(&mut rng, &partners);
        let author = parties[0].clone();
        let created = T0 - 200 * DAY + rng.below(50) as i64 * DAY;
        let mut versions: Vec<(Object, Agreement)> = Vec::new();
        let v1 = agreement_object(
            &id,
            &author,
            &ts(created),
            &ts(created),
            &random_terms(&mut rng, parties.clone()),
        )
        .expect("valid agreement");
        versions.push((v1.clone(), Agreement::from_object(&v1).expect("reads")));
        if rng.chance(30) {
            let mut p2 = parties.clone();
            if rng.chance(50) {
                let extra = rng.pick(&partners).clone();
                if !p2.contains(&extra) {
                    p2.push(extra);
                }
            } else if p2.len() > 2 {
                p2.pop();
            }
            let modified = created + (1 + rng.below(10) as i64) * DAY;
            let v2 = agreement_object(
                &id,
                &author,
                &ts(created),
                &ts(modified),
                &random_terms(&mut rng, p2),
            )
            .expect("valid amendment");
            versions.push((v2.clone(), Agreement::from_object(&v2).expect("reads")));
        }
        if rng.chance(5) {
            // The author revokes the agreement with a new version, which the
            // parties (oddly) ratify: only the revocation keeps it out of force.
            let (o, a) = versions.last().expect("one version");
            let mut v = o.to_value();
            v["revoked"] = json!(true);
            v["modified"] = json!(ts(a.version.micros() + DAY).as_str());
            let o = Object::from_value(v).expect("valid revocation");
            let a = Agreement::from_object(&o).expect("reads");
            versions.push((o, a));
        }
        let latest_parties = versions
            .last()
            .expect("one version")
            .1
            .terms
            .parties
            .clone();
        for (i, (_, a)) in versions.iter().enumerate() {
            let is_latest = i + 1 == versions.len();
            for p in &a.terms.parties {
                if !rng.chance(if is_latest { 88 } else { 70 }) {
                    continue;
                }
                let sig = if rng.chance(4) {
                    // Signed something else: a tampered copy of the agreement.
                    let mut forged = a.canonical.clone();
                    forged.extend_from_slice(b" ");
                    keys::sign_agreement(&forged, &secret_of(p)).unwrap_or_default()
                } else if rng.chance(3) {
                    let other = rng.pick(&partners);
                    keys::sign_agreement(&a.canonical, &secret_of(other)).expect("signs")
                } else {
                    keys::sign_agreement(&a.canonical, &secret_of(p)).expect("signs")
                };
                let r = ratification_object(
                    &rng.id("x-entente-ratification"),
                    p,
                    &ts(created + DAY),
                    a,
                    &sig,
                )
                .expect("valid ratification");
                let r = if rng.chance(3) { revoke(&r) } else { r };
                ratification_objects.push(r);
            }
        }
        let (mut last_obj, last) = versions.pop().expect("one version");
        if rng.chance(5) {
            // The stored latest version is tampered with after it was signed.
            let mut v = last_obj.to_value();
            v["title"] = json!("tampered");
            last_obj = Object::from_value(v).expect("still valid");
        }
        for (o, _) in versions {
            agreement_objects.push(o);
        }
        agreement_objects.push(last_obj);
        if rng.chance(5) && latest_parties.len() > 1 {
            // A version by someone else than the proposer: must be ignored.
            let forger = latest_parties[1].clone();
            let terms = AgreementTerms {
                parties: latest_parties.clone(),
                ..last.terms.clone()
            };
            let f = agreement_object(&id, &forger, &ts(created), &ts(created + 20 * DAY), &terms)
                .expect("valid");
            agreement_objects.push(f);
        }

        let from = last.terms.valid_from.micros();
        let notice = |rng: &mut Rng, by: &PartnerId, kind: NoticeKind, at: i64| {
            let n = notice_object(
                &rng.id("x-entente-notice"),
                by,
                &ts(created),
                &id,
                kind,
                &ts(at),
            )
            .expect("valid");
            if rng.chance(4) {
                revoke(&n)
            } else {
                n
            }
        };
        if rng.chance(25) {
            let by = rng.pick(&latest_parties).clone();
            let at = from + (rng.below(200) as i64 - 20) * DAY;
            notice_objects.push(notice(&mut rng, &by, NoticeKind::Suspension, at));
            if rng.chance(50) {
                let back = at + rng.below(60) as i64 * DAY;
                notice_objects.push(notice(&mut rng, &by, NoticeKind::Resumption, back));
            }
        }
        if rng.chance(12) {
            let by = rng.pick(&latest_parties).clone();
            let at = from + (rng.below(250) as i64 - 20) * DAY;
            notice_objects.push(notice(&mut rng, &by, NoticeKind::Withdrawal, at));
        }
        if rng.chance(5) {
            let by = rng.pick(&partners).clone();
            let kind = *rng.pick(&[NoticeKind::Suspension, NoticeKind::Withdrawal]);
            notice_objects.push(notice(&mut rng, &by, kind, from));
        }
        // A dispute's remedy holding sharing for a while (or for good).
        if rng.chance(20) {
            let start = from + (rng.below(200) as i64 - 20) * DAY;
            let until = rng.chance(60).then(|| start + (1 + rng.below(60) as i64) * DAY);
            holds.push(Hold { agreement: id.clone(), cause: rng.id("x-entente-dispute"), from: ts(start), until: until.map(ts) });
        }
        agreement_ids.push(id);
        parties_of.push(latest_parties);
    }

    let versions: Vec<Agreement> = agreement_objects
        .iter()
        .map(|o| Agreement::from_object(o).expect("reads"))
        .collect();
    let rats: Vec<Ratification> = ratification_objects
        .iter()
        .map(|o| Ratification::from_object(o).expect("reads"))
        .collect();
    let notices: Vec<Notice> = notice_objects
        .iter()
        .map(|o| Notice::from_object(o).expect("reads"))
        .collect();
    let index = AgreementIndex::build(&versions, &rats, &notices, &party_keys).with_holds(holds.clone());
    let world = World::new(
        &agreement_objects,
        &ratification_objects,
        &notice_objects,
        &key_list,
    )
    .with_holds(holds.iter().map(|h| (h.agreement.to_string(), h.from.micros(), h.until.as_ref().map(Timestamp::micros))));

    let mut objects = Vec::new();
    for o in agreement_objects
        .iter()
        .chain(&ratification_objects)
        .chain(&notice_objects)
    {
        let facts = ObjectFacts::from_object(o).expect("facts");
        objects.push(SimObject {
            object: o.clone(),
            facts,
            shares: Vec::new(),
        });
    }
    let unknown_agreement = rng.id("x-entente-agreement");
    // A module's records (one per ten objects, from a generator of their
    // own so the rest of the world stays as the seed made it): notes
    // belonging to an agreement, known or not, at any TLP, recalled or not,
    // some naming observers, some narrowed to an audience, some also
    // naming TLP:RED recipients.
    let mut notes = Rng(seed ^ 0x7e57_4e07e);
    for _ in 0..n_objects / 10 {
        let ty = policy::kinds::TEST_NOTE.name;
        let created = ts(T0 - 300 * DAY + notes.below(200) as i64 * DAY);
        let agreement = if notes.chance(5) { unknown_agreement.clone() } else { notes.pick(&agreement_ids).clone() };
        let author = notes.pick(&partners).clone();
        let mut v = json!({
            "type": ty, "spec_version": "2.1", "id": notes.id(ty),
            "created": created.as_str(), "modified": created.as_str(),
            "created_by_ref": author, "agreement_ref": agreement,
        });
        if notes.chance(80) {
            v["object_marking_refs"] = json!([notes.pick(&MARKINGS).id]);
        }
        if notes.chance(30) {
            let observers: Vec<PartnerId> = (0..1 + notes.below(2)).map(|_| notes.pick(&partners).clone()).collect();
            v["observer_refs"] = json!(observers);
        }
        if notes.chance(30) {
            // Narrowed to some of the partners (parties of its agreement or not).
            let audience: Vec<PartnerId> = (0..notes.below(4)).map(|_| notes.pick(&partners).clone()).collect();
            v["audience_refs"] = json!(audience);
        }
        if notes.chance(20) {
            let (k, ext) = release_extension(&[notes.pick(&partners).clone()], notes.chance(50));
            v["extensions"] = json!({ k: ext });
        }
        if notes.chance(10) {
            v["revoked"] = json!(true);
        }
        let object = Object::from_value(v).expect("valid note");
        let mut facts = ObjectFacts::from_object(&object).expect("facts");
        facts.recalled = notes.chance(10);
        let shares = if notes.chance(30) { vec![notes.pick(&agreement_ids).clone()] } else { Vec::new() };
        objects.push(SimObject { object, facts, shares });
    }
    for _ in 0..n_objects {
        let ty = *rng.pick(TYPES);
        let id = rng.id(ty);
        let created = ts(T0 - 300 * DAY + rng.below(200) as i64 * DAY);
        let author = if rng.chance(4) {
            None
        } else {
            Some(rng.pick(&partners).clone())
        };
        let mut v = json!({
            "type": ty, "spec_version": "2.1", "id": id,
            "created": created.as_str(), "modified": created.as_str(),
            "name": "thing", "is_family": false,
        });
        if let Some(a) = &author {
            v["created_by_ref"] = json!(a);
        }
        let labels: Vec<&str> = (0..rng.below(3)).map(|_| *rng.pick(LABELS)).collect();
        if !labels.is_empty() {
            v["labels"] = json!(labels);
        }
        if !rng.chance(25) {
            let refs: Vec<&str> = (0..1 + rng.below(2))
                .map(|_| rng.pick(&MARKINGS).id)
                .collect();
            v["object_marking_refs"] = json!(refs);
        }
        if rng.chance(15) {
            v["granular_markings"] =
                json!([{ "marking_ref": rng.pick(&MARKINGS).id, "selectors": ["name"] }]);
        }
        if rng.chance(4) {
            let unknown = rng.id("marking-definition");
            if rng.chance(50) {
                v["object_marking_refs"] = json!([unknown]);
            } else {
                v["granular_markings"] = json!([{ "marking_ref": unknown, "selectors": ["name"] }]);
            }
        }
        let recipients: Vec<PartnerId> = (0..rng.below(4))
            .map(|_| rng.pick(&partners).clone())
            .collect();
        let exercise = rng.chance(15);
        if !recipients.is_empty() || exercise {
            let (k, ext) = release_extension(&recipients, exercise);
            v["extensions"] = json!({ k: ext });
        }
        if rng.chance(10) {
            v["revoked"] = json!(true);
        }
        let object = Object::from_value(v).expect("valid object");
        let via = if rng.chance(25) {
            let holder = rng.pick(&partners).clone();
            let agreement = if rng.chance(4) {
                unknown_agreement.clone()
            } else {
                rng.pick(&agreement_ids).clone()
            };
            Some(Via { holder, agreement })
        } else {
            None
        };
        let sharer = via.as_ref().map(|v| v.holder.clone()).or(author.clone());
        let mut shares = Vec::new();
        for _ in 0..rng.below(4) {
            let own: Vec<&AgreementId> = agreement_ids
                .iter()
                .zip(&parties_of)
                .filter(|(_, ps)| sharer.as_ref().is_some_and(|s| ps.contains(s)))
                .map(|(a, _)| a)
                .collect();
            let a = if rng.chance(3) {
                unknown_agreement.clone()
            } else if !own.is_empty() && rng.chance(75) {
                (*rng.pick(&own)).clone()
            } else {
                rng.pick(&agreement_ids).clone()
            };
            shares.push(a);
        }
        let facts = match via {
            Some(via) => ObjectFacts::received(&object, via),
            None => ObjectFacts::from_object(&object),
        }
        .expect("facts");
        objects.push(SimObject {
            object,
            facts,
            shares,
        });
    }

    let mut times: Vec<Timestamp> = (0..6)
        .map(|_| ts(T0 + (rng.below(400) as i64 - 150) * DAY))
        .collect();
    times.push(ts(T0));
    Sim {
        partners,
        agreements: agreement_ids,
        objects,
        index,
        world,
        times,
    }
}

/// Counts from comparing every (object, partner, time) of a world.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub decisions: u64,
    pub allowed: u64,
    pub leaked: u64,
    pub wrongly_denied: u64,
    pub other_agreement: u64,
}

impl Tally {
    pub fn add(&mut self, d: &Decision, c: Check) {
        self.decisions += 1;
        self.allowed += u64::from(d.is_allowed());
        match c {
            Check::Agree => {}
            Check::Leak => self.leaked += 1,
            Check::WrongDenial => self.wrongly_denied += 1,
            Check::OtherAgreement => self.other_agreement += 1,
        }
    }
    pub fn mismatches(&self) -> u64 {
        self.leaked + self.wrongly_denied + self.other_agreement
    }
}
