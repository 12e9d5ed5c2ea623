//! The release decision: may this object version go to this partner now, and if not, why not.
//!
//! The rules, in the order they are applied:
//!
//! 1. Partnership records (agreements, ratifications, notices, modules'
//!    records: [`crate::kinds`]) go only to the parties of the agreement they
//!    belong to, to those their kind names, and to their own author:
//!    [`decide_agreement_object`].
//! 2. A partner always sees its own objects (`created_by_ref`), and the holder
//!    of a received object sees it. Entente's own published definitions
//!    (objects authored by [`crate::ext::ENTENTE_IDENTITY`]: the extension
//!    definitions partners need to read agreements) go to every partner.
//! 3. A recalled object (its latest version revokes it) goes to others only
//!    as that revoked version, so recipients learn of the recall and keep
//!    nothing else of it.
//! 4. A marking definition Entente does not understand means deny.
//! 5. An object that names recipients (`recipient_refs` of the release
//!    extension) goes only to them, whatever its TLP; TLP:RED must name them.
//! 6. The sharer (the author, or the holder of a received object) must be known.
//! 7. A received object may go on only while the agreement it arrived under
//!    is in force, and only as its handling rules allow: `none` never,
//!    `parties-only` to parties of that agreement, `recipient-agreements` as
//!    the holder's own objects.
//! 8. Otherwise it is released under the first agreement it is shared under
//!    that is in force now, has the sharer and the recipient among its
//!    parties, covers its type, topic (labels) and data kind, and whose TLP
//!    ceiling is at or above its TLP (unmarked counts as [`crate::UNMARKED_TLP`]).

use std::collections::HashMap;
use std::fmt;

use model::tlp::Tlp;
use model::Timestamp;

use crate::keys::PartyKeys;
use crate::state::Timeline;
use crate::{
    Agreement, AgreementId, AgreementState, Notice, ObjectFacts, PartnerId, Ratification, Reshare,
};

/// The agreements a node knows, with what is needed to derive their state
/// at any time; built once, read by every decision.
#[derive(Debug, Clone, Default)]
pub struct AgreementIndex {
    entries: HashMap<AgreementId, Timeline>,
}

impl AgreementIndex {
    /// Builds the index from every known agreement version, ratification and
    /// notice (in any order, for any agreements) and the partners' keys.
    pub fn build(
        versions: &[Agreement],
        ratifications: &[Ratification],
        notices: &[Notice],
        keys: &PartyKeys,
    ) -> AgreementIndex {
        type Parts = (Vec<Agreement>, Vec<Ratification>, Vec<Notice>);
        let mut by_id: HashMap<&AgreementId, Parts> = HashMap::new();
        for v in versions {
            by_id.entry(&v.id).or_default().0.push(v.clone());
        }
        for r in ratifications {
            if let Some(e) = by_id.get_mut(&r.agreement) {
                e.1.push(r.clone());
            }
        }
        for n in notices {
            if let Some(e) = by_id.get_mut(&n.agreement) {
                e.2.push(n.clone());
            }
        }
        let entries = by_id
            .into_iter()
            .map(|(id, (v, r, n))| (id.clone(), Timeline::derive(&v, &r, &n, keys)))
            .collect();
        AgreementIndex { entries }
    }

    /// The index with these remedies' holds ([`crate::Hold`]): while one
    /// holds, its agreement is not in force (state [`AgreementState::Held`])
    /// and nothing is released under it; its partnership records still
    /// flow. Holds for an agreement the index does not know are ignored.
    pub fn with_holds(mut self, holds: impl IntoIterator<Item = crate::Hold>) -> AgreementIndex {
        for hold in holds {
            if let Some(t) = self.entries.get_mut(&hold.agreement) {
                t.holds.push(hold);
            }
        }
        self
    }

    /// The latest version of an agreement.
    pub fn agreement(&self, id: &AgreementId) -> Option<&Agreement> {
        self.entries.get(id).and_then(|t| t.latest.as_ref())
    }

    /// The parties of the latest version of an agreement that every one of
    /// its parties ratified (`None` while no version was).
    pub fn agreed_parties(&self, id: &AgreementId) -> Option<&[PartnerId]> {
        self.entries.get(id).and_then(|t| t.agreed.as_deref())
    }

    /// An agreement's state at `now`.
    pub fn state(&self, id: &AgreementId, now: &Timestamp) -> AgreementState {
        self.entries
            .get(id)
            .map_or(AgreementState::Unknown, |t| t.at(now.micros()))
    }

    /// When an agreement ends for good, if it does (revoked, withdrawn or
    /// expiring; suspensions are not an end), whether before or after `now`.
    pub fn ended(&self, id: &AgreementId) -> Option<Timestamp> {
        self.entries.get(id)?.ended().map(Timestamp::from_micros)
    }

    /// Whether an agreement is in force at `now`.
    pub fn in_force(&self, id: &AgreementId, now: &Timestamp) -> bool {
        self.entries.get(id).is_some_and(|t| t.in_force(now.micros()))
    }

    /// The agreements whose latest version names `partner` as a party
    /// (whatever their state), sorted by id.
    pub fn agreements_of(&self, partner: &PartnerId) -> Vec<AgreementId> {
        let mut ids: Vec<AgreementId> = self
            .entries
            .iter()
            .filter(|(_, t)| t.latest.as_ref().is_some_and(|a| a.is_party(partner)))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Every agreement id in the index, sorted.
    pub fn ids(&self) -> Vec<AgreementId> {
        let mut ids: Vec<AgreementId> = self.entries.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// The outcome of a release decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Release. `agreement` is the agreement that allows it, or `None` when
    /// the recipient is the object's own author.
    Allow {
        /// The agreement used.
        agreement: Option<AgreementId>,
    },
    /// Do not release, for these reasons (never empty).
    Deny {
        /// Why not.
        reasons: Vec<Reason>,
    },
}

impl Decision {
    /// Whether the object may be released.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// The decision in words, one line per reason.
    pub fn explain(&self) -> String {
        match self {
            Decision::Allow { agreement: None } => {
                "allowed: the recipient is the author (or it is one of Entente's published definitions)".into()
            }
            Decision::Allow { agreement: Some(a) } => format!("allowed under agreement {a}"),
            Decision::Deny { reasons } => {
                let lines: Vec<String> = reasons
                    .iter()
                    .map(|r| format!("- {}", r.explain()))
                    .collect();
                format!("denied:\n{}", lines.join("\n"))
            }
        }
    }
}

/// Why the holder of a received object has it, and what it may do with it,
/// in words: the explanation of [`decide`]'s verdict for `via.holder`
/// (named `holder` here), which is allowed under the agreement the object
/// arrived by. The agreement is named by its title when it is known.
pub fn explain_held(holder: &str, via: &crate::Via, index: &AgreementIndex, now: &Timestamp) -> String {
    let Some(a) = index.agreement(&via.agreement) else {
        return format!(
            "allowed: {holder} holds it, received under agreement {}, which this node does not know: it stays with {holder}",
            via.agreement
        );
    };
    let title = &a.terms.title;
    let may = match a.terms.handling.reshare {
        Reshare::None => format!("{holder} may keep and use it but never pass it on"),
        Reshare::PartiesOnly => format!("{holder} may pass it on only to parties of \"{title}\""),
        Reshare::RecipientAgreements => {
            format!("{holder} may pass it on under its own agreements, as it shares its own objects")
        }
    };
    let state = index.state(&via.agreement, now);
    if index.in_force(&via.agreement, now) {
        format!("allowed: {holder} holds it, received under agreement \"{title}\"; {may}")
    } else {
        format!("allowed: {holder} holds it, received under agreement \"{title}\", which is {state} now: it stays with {holder}")
    }
}

/// One reason for a denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The object refers to a marking definition Entente does not understand.
    UnknownMarking,
    /// TLP:RED and the recipient is not among the named recipients.
    RedNotNamed,
    /// The object names its recipients and this one is not among them.
    NotNamed,
    /// The object names no author, and nobody here holds it.
    NoAuthor,
    /// The object was recalled (its latest version revokes it) and this is
    /// not the revoked version.
    Recalled,
    /// The object is not shared under any agreement.
    NotShared,
    /// The agreement a received object arrived under is not known here.
    OriginUnknown {
        /// That agreement.
        agreement: AgreementId,
    },
    /// The agreement it arrived under is no longer (or not yet) in force:
    /// what came under a withdrawn, terminated or expired agreement stays
    /// with its holder.
    OriginNotInForce {
        /// That agreement.
        agreement: AgreementId,
        /// Its state now.
        state: AgreementState,
    },
    /// The agreement it arrived under forbids any re-sharing.
    ReshareForbidden {
        /// That agreement.
        agreement: AgreementId,
    },
    /// The agreement it arrived under allows re-sharing only among its parties.
    ReshareOutsideParties {
        /// That agreement.
        agreement: AgreementId,
    },
    /// An agreement the object is shared under is not known here.
    UnknownAgreement {
        /// The agreement.
        agreement: AgreementId,
    },
    /// The agreement is not in force now.
    NotInForce {
        /// The agreement.
        agreement: AgreementId,
        /// Its state now.
        state: AgreementState,
    },
    /// The sharer (author or holder) is not a party to the agreement.
    SharerNotParty {
        /// The agreement.
        agreement: AgreementId,
        /// The sharer.
        sharer: PartnerId,
    },
    /// The recipient is not a party to the agreement.
    RecipientNotParty {
        /// The agreement.
        agreement: AgreementId,
    },
    /// The agreement's scope does not include the object's type.
    TypeOutOfScope {
        /// The agreement.
        agreement: AgreementId,
        /// The object's type.
        object_type: String,
    },
    /// The object carries none of the labels the agreement covers.
    TopicOutOfScope {
        /// The agreement.
        agreement: AgreementId,
    },
    /// The agreement does not cover this kind of data (real or exercise).
    DataKindOutOfScope {
        /// The agreement.
        agreement: AgreementId,
        /// Whether the object is exercise data.
        exercise: bool,
    },
    /// The object's TLP is above the agreement's ceiling.
    AboveCeiling {
        /// The agreement.
        agreement: AgreementId,
        /// The object's TLP (as applied).
        tlp: Tlp,
        /// The agreement's ceiling.
        ceiling: Tlp,
    },
    /// An agreement-related object, and the recipient is not a party to that agreement.
    NotPartyToAgreement {
        /// The agreement.
        agreement: AgreementId,
    },
}

impl Reason {
    /// The reason in words.
    pub fn explain(&self) -> String {
        match self {
            Reason::UnknownMarking => {
                "the object carries a marking definition this node does not understand".into()
            }
            Reason::RedNotNamed => "the object is TLP:RED and does not name the recipient".into(),
            Reason::NotNamed => "the object names its recipients and this one is not among them".into(),
            Reason::NoAuthor => "the object names no author (created_by_ref)".into(),
            Reason::Recalled => {
                "the author recalled the object; only its revoked version is released".into()
            }
            Reason::NotShared => "the object is not shared under any agreement".into(),
            Reason::OriginUnknown { agreement } => {
                format!("the object arrived under agreement {agreement}, which this node does not know")
            }
            Reason::OriginNotInForce { agreement, state } => format!(
                "it was received under agreement {agreement}, which is {state} now: it stays with its holder"
            ),
            Reason::ReshareForbidden { agreement } => {
                format!("the object arrived under agreement {agreement}, which forbids re-sharing")
            }
            Reason::ReshareOutsideParties { agreement } => format!(
                "the object arrived under agreement {agreement}, which allows re-sharing only to its parties, and the recipient is not one"
            ),
            Reason::UnknownAgreement { agreement } => format!("agreement {agreement} is not known"),
            Reason::NotInForce { agreement, state } => {
                format!("agreement {agreement} is not in force ({state})")
            }
            Reason::SharerNotParty { agreement, sharer } => {
                format!("{sharer}, who shares the object, is not a party to agreement {agreement}")
            }
            Reason::RecipientNotParty { agreement } => {
                format!("the recipient is not a party to agreement {agreement}")
            }
            Reason::TypeOutOfScope { agreement, object_type } => {
                format!("agreement {agreement} does not cover objects of type {object_type}")
            }
            Reason::TopicOutOfScope { agreement } => {
                format!("the object carries none of the labels agreement {agreement} covers")
            }
            Reason::DataKindOutOfScope { agreement, exercise: true } => {
                format!("agreement {agreement} does not cover exercise data")
            }
            Reason::DataKindOutOfScope { agreement, exercise: false } => {
                format!("agreement {agreement} covers only exercise data")
            }
            Reason::AboveCeiling { agreement, tlp, ceiling } => {
                format!("the object is {tlp}, above the {ceiling} ceiling of agreement {agreement}")
            }
            Reason::NotPartyToAgreement { agreement } => {
                format!("the recipient is not a party to agreement {agreement}")
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}

fn deny(reason: Reason) -> Decision {
    Decision::Deny {
        reasons: vec![reason],
    }
}

/// Decides whether `object` may be released to `recipient` at `now`, given
/// the agreements its sharer chose (`shares`, tried in order).
pub fn decide(
    object: &ObjectFacts,
    recipient: &PartnerId,
    now: &Timestamp,
    shares: &[AgreementId],
    index: &AgreementIndex,
) -> Decision {
    if object.agreement.is_some() {
        return decide_agreement_object(object, recipient, index);
    }
    if object.author.as_ref() == Some(recipient) {
        return Decision::Allow { agreement: None };
    }
    if let Some(via) = &object.via {
        if &via.holder == recipient {
            return Decision::Allow {
                agreement: Some(via.agreement.clone()),
            };
        }
    }
    if object
        .author
        .as_ref()
        .is_some_and(|a| a.as_str() == crate::ext::ENTENTE_IDENTITY)
    {
        return Decision::Allow { agreement: None };
    }
    if object.recalled && !object.revoked {
        return deny(Reason::Recalled);
    }
    if object.unknown_marking {
        return deny(Reason::UnknownMarking);
    }
    let tlp = object.effective_tlp();
    if tlp == Tlp::Red && !object.recipients.contains(recipient) {
        return deny(Reason::RedNotNamed);
    }
    if !object.recipients.is_empty() && !object.recipients.contains(recipient) {
        return deny(Reason::NotNamed);
    }
    let sharer = match (&object.via, &object.author) {
        (Some(via), _) => &via.holder,
        (None, Some(author)) => author,
        (None, None) => return deny(Reason::NoAuthor),
    };
    if let Some(via) = &object.via {
        let Some(origin) = index.agreement(&via.agreement) else {
            return deny(Reason::OriginUnknown {
                agreement: via.agreement.clone(),
            });
        };
        if !index.in_force(&via.agreement, now) {
            return deny(Reason::OriginNotInForce {
                agreement: via.agreement.clone(),
                state: index.state(&via.agreement, now),
            });
        }
        match origin.terms.handling.reshare {
            Reshare::None => {
                return deny(Reason::ReshareForbidden {
                    agreement: via.agreement.clone(),
                })
            }
            Reshare::PartiesOnly if !origin.is_party(recipient) => {
                return deny(Reason::ReshareOutsideParties {
                    agreement: via.agreement.clone(),
                })
            }
            _ => {}
        }
    }
    if shares.is_empty() {
        return deny(Reason::NotShared);
    }

    let now_us = now.micros();
    let mut reasons = Vec::new();
    for id in shares {
        let Some(timeline) = index.entries.get(id) else {
            reasons.push(Reason::UnknownAgreement {
                agreement: id.clone(),
            });
            continue;
        };
        let Some(a) = timeline.latest.as_ref() else {
            reasons.push(Reason::UnknownAgreement {
                agreement: id.clone(),
            });
            continue;
        };
        let before = reasons.len();
        if !timeline.in_force(now_us) {
            reasons.push(Reason::NotInForce {
                agreement: id.clone(),
                state: timeline.at(now_us),
            });
        }
        if !a.is_party(sharer) {
            reasons.push(Reason::SharerNotParty {
                agreement: id.clone(),
                sharer: sharer.clone(),
            });
        }
        if !a.is_party(recipient) {
            reasons.push(Reason::RecipientNotParty {
                agreement: id.clone(),
            });
        }
        let scope = &a.terms.scope;
        if !scope.object_types.is_empty() && !scope.object_types.contains(&object.object_type) {
            reasons.push(Reason::TypeOutOfScope {
                agreement: id.clone(),
                object_type: object.object_type.clone(),
            });
        }
        if !scope.labels.is_empty() && !object.labels.iter().any(|l| scope.labels.contains(l)) {
            reasons.push(Reason::TopicOutOfScope {
                agreement: id.clone(),
            });
        }
        if !scope.data_kind.covers(object.exercise) {
            reasons.push(Reason::DataKindOutOfScope {
                agreement: id.clone(),
                exercise: object.exercise,
            });
        }
        if tlp > a.terms.tlp_ceiling {
            reasons.push(Reason::AboveCeiling {
                agreement: id.clone(),
                tlp,
                ceiling: a.terms.tlp_ceiling,
            });
        }
        if reasons.len() == before {
            return Decision::Allow {
                agreement: Some(id.clone()),
            };
        }
    }
    Decision::Deny { reasons }
}

/// Decides whether a partnership record (an agreement, a ratification or
/// notice of one, a module's record: [`crate::kinds`]) may go to
/// `recipient`: only to its own author, the identities its kind names, and
/// the parties of the agreement's latest version (membership is
/// need-to-know) — of them only those in the record's audience when it
/// narrows it ([`crate::kinds::Kind::audience`]) — whatever the
/// agreement's state and the record's TLP.
pub fn decide_agreement_object(
    object: &ObjectFacts,
    recipient: &PartnerId,
    index: &AgreementIndex,
) -> Decision {
    if object.author.as_ref() == Some(recipient) {
        return Decision::Allow { agreement: None };
    }
    let Some(id) = &object.agreement else {
        return deny(Reason::NotShared);
    };
    if object.named.contains(recipient) {
        return Decision::Allow {
            agreement: Some(id.clone()),
        };
    }
    match index.agreement(id) {
        None => deny(Reason::UnknownAgreement {
            agreement: id.clone(),
        }),
        // A module's records reach a party of the latest version only if it
        // was also a party of the latest version every party ratified: a
        // pending amendment adding a party does not hand it the
        // partnership's records (the agreement's own records, which it
        // needs to ratify, do reach it).
        Some(a)
            if a.is_party(recipient)
                && (crate::kinds::feeds_index(&object.object_type)
                    || index
                        .agreed_parties(id)
                        .is_none_or(|agreed| agreed.contains(recipient))) =>
        {
            match &object.audience {
            Some(audience) if !audience.contains(recipient) => deny(Reason::NotNamed),
                _ => Decision::Allow {
                    agreement: Some(id.clone()),
                },
            }
        }
        Some(_) => deny(Reason::NotPartyToAgreement {
            agreement: id.clone(),
        }),
    }
}

#[cfg(test)]
mod tests;
