//! The derived state of an agreement: computed from its versions, ratifications and notices, never stored.

use std::collections::HashMap;
use std::fmt;

use model::Timestamp;

use crate::keys::{verifies, PartyKeys};
use crate::{Agreement, Notice, NoticeKind, PartnerId, Ratification};

/// Where an agreement stands at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreementState {
    /// No version of the agreement is known.
    Unknown,
    /// No party has (verifiably) ratified the latest version yet.
    Draft,
    /// Some parties have ratified the latest version; these have not.
    AwaitingRatification {
        /// Parties without a verified ratification of the latest version.
        missing: Vec<PartnerId>,
    },
    /// Ratified by all, but `valid_from` is still ahead.
    NotYetValid,
    /// Ratified by all, but `valid_until` has passed.
    Expired,
    /// In force, except that these parties have suspended it.
    Suspended {
        /// Parties whose suspension is in effect.
        by: Vec<PartnerId>,
    },
    /// These parties have withdrawn (final).
    Withdrawn {
        /// Parties whose withdrawal is in effect.
        by: Vec<PartnerId>,
    },
    /// The author revoked the agreement.
    Revoked,
    /// In force, but sharing under it is held by a remedy its terms agreed
    /// for a dispute ([`Hold`]) while the dispute stands.
    Held {
        /// The disputes whose remedies hold, sorted.
        by: Vec<model::StixId>,
    },
    /// In force: objects may be released under it.
    InForce,
}

impl AgreementState {
    /// A short lowercase name (`in-force`, `awaiting-ratification`, …).
    pub fn name(&self) -> &'static str {
        match self {
            AgreementState::Unknown => "unknown",
            AgreementState::Draft => "draft",
            AgreementState::AwaitingRatification { .. } => "awaiting-ratification",
            AgreementState::NotYetValid => "not-yet-valid",
            AgreementState::Expired => "expired",
            AgreementState::Suspended { .. } => "suspended",
            AgreementState::Withdrawn { .. } => "withdrawn",
            AgreementState::Revoked => "revoked",
            AgreementState::Held { .. } => "held",
            AgreementState::InForce => "in-force",
        }
    }
}

impl fmt::Display for AgreementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[PartnerId]| v.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ");
        match self {
            AgreementState::AwaitingRatification { missing } => {
                write!(f, "awaiting ratification by {}", list(missing))
            }
            AgreementState::Suspended { by } => write!(f, "suspended by {}", list(by)),
            AgreementState::Withdrawn { by } => write!(f, "withdrawn by {}", list(by)),
            AgreementState::Held { by } => {
                write!(f, "sharing held by a remedy while dispute {} stands", by.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", "))
            }
            other => f.write_str(&other.name().replace('-', " ")),
        }
    }
}

/// Derives an agreement's state at `now`.
///
/// `versions` are the known versions of one agreement (those not by the
/// original proposer are ignored: only the author versions an agreement);
/// `ratifications` and `notices` may include objects about other agreements
/// (ignored). In force means: every party of the latest version has a
/// ratification of that exact version whose signature verifies with the
/// party's key; no party's withdrawal or suspension is in effect; and
/// `valid_from <= now < valid_until`.
pub fn state(
    versions: &[Agreement],
    ratifications: &[Ratification],
    notices: &[Notice],
    keys: &PartyKeys,
    now: &Timestamp,
) -> AgreementState {
    Timeline::derive(versions, ratifications, notices, keys).at(now.micros())
}

/// Everything about an agreement that does not depend on the time, from
/// which its state at any time follows cheaply.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    pub latest: Option<Agreement>,
    /// The parties of the latest version every one of its parties ratified
    /// (`None` while no version was): who a partnership module's records
    /// may reach, so an amendment adding a party gives it the partnership's
    /// records only once every party of the amendment ratified it.
    pub agreed: Option<Vec<PartnerId>>,
    missing: Vec<PartnerId>,
    /// Earliest effective withdrawal of each withdrawing party.
    withdrawals: Vec<(PartnerId, i64)>,
    /// Per party, its suspensions (`true`) and resumptions in effect order.
    suspensions: Vec<(PartnerId, Vec<(i64, bool)>)>,
    /// Remedies holding sharing under it ([`Hold`]).
    pub(crate) holds: Vec<Hold>,
}

/// A remedy an agreement's terms agreed for disputes under it, as it applies
/// to one dispute: sharing under the agreement is held from `from` until
/// `until` (exclusive; `None`: until a record ends it). A partnership module
/// derives holds from its records (the disputes module, from the ladder and
/// the settlement) and the node puts them in the index
/// ([`crate::AgreementIndex::with_holds`]); the decision reads them like a
/// suspension: nothing is released under the agreement while one holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The agreement.
    pub agreement: crate::AgreementId,
    /// The record it comes from (the dispute).
    pub cause: model::StixId,
    /// When it starts holding.
    pub from: Timestamp,
    /// When it stops holding.
    pub until: Option<Timestamp>,
}

impl Hold {
    /// Whether it holds at `now` (microseconds).
    pub fn holds_at(&self, now: i64) -> bool {
        self.from.micros() <= now && self.until.as_ref().is_none_or(|u| now < u.micros())
    }
}

impl Timeline {
    pub fn derive(
        versions: &[Agreement],
        ratifications: &[Ratification],
        notices: &[Notice],
        keys: &PartyKeys,
    ) -> Timeline {
        let latest = latest_version(versions);
        let agreed = agreed_parties(versions, ratifications, keys);
        let Some(agreement) = latest.clone() else {
            return Timeline {
                latest,
                agreed,
                missing: Vec::new(),
                withdrawals: Vec::new(),
                suspensions: Vec::new(),
                holds: Vec::new(),
            };
        };
        let ratifications = newest_by_id(ratifications.iter().map(|r| (&r.id, &r.version, r)));
        let missing = agreement
            .terms
            .parties
            .iter()
            .filter(|p| {
                !ratifications.iter().any(|r| {
                    !r.revoked
                        && &r.author == *p
                        && keys.get(p).is_some_and(|k| verifies(r, &agreement, k))
                })
            })
            .cloned()
            .collect();

        let notices = newest_by_id(notices.iter().map(|n| (&n.id, &n.version, n)));
        let mut withdrawals: Vec<(PartnerId, i64)> = Vec::new();
        let mut suspensions: Vec<(PartnerId, Vec<(i64, bool)>)> = Vec::new();
        for n in notices {
            if n.revoked || n.agreement != agreement.id || !agreement.is_party(&n.author) {
                continue;
            }
            let t = n.effective.micros();
            match n.kind {
                NoticeKind::Withdrawal => {
                    match withdrawals.iter_mut().find(|(p, _)| *p == n.author) {
                        Some((_, at)) => *at = (*at).min(t),
                        None => withdrawals.push((n.author.clone(), t)),
                    }
                }
                kind => {
                    let event = (t, kind == NoticeKind::Suspension);
                    match suspensions.iter_mut().find(|(p, _)| *p == n.author) {
                        Some((_, events)) => events.push(event),
                        None => suspensions.push((n.author.clone(), vec![event])),
                    }
                }
            }
        }
        // At equal times a resumption (false) sorts before a suspension (true),
        // so the suspension wins.
        for (_, events) in &mut suspensions {
            events.sort_unstable();
        }
        Timeline {
            latest,
            agreed,
            missing,
            withdrawals,
            suspensions,
            holds: Vec::new(),
        }
    }

    /// When the agreement ended for good (microseconds): the author's
    /// revoking version, the first withdrawal in effect, or `valid_until`,
    /// whichever came first; `None` if nothing ends it.
    pub fn ended(&self) -> Option<i64> {
        let a = self.latest.as_ref()?;
        let revoked = a.revoked.then(|| a.version.micros());
        let withdrawn = self.withdrawals.iter().map(|(_, t)| *t).min();
        let expires = a.terms.valid_until.as_ref().map(Timestamp::micros);
        [revoked, withdrawn, expires].into_iter().flatten().min()
    }

    /// Whether the agreement is in force at `now` (microseconds).
    pub fn in_force(&self, now: i64) -> bool {
        let Some(a) = &self.latest else { return false };
        !a.revoked
            && self.missing.is_empty()
            && a.terms.valid_from.micros() <= now
            && a.terms
                .valid_until
                .as_ref()
                .is_none_or(|u| now < u.micros())
            && self.withdrawals.iter().all(|(_, t)| now < *t)
            && self
                .suspensions
                .iter()
                .all(|(_, events)| !suspended_at(events, now))
            && self.holds.iter().all(|h| !h.holds_at(now))
    }

    /// The state at `now` (microseconds).
    pub fn at(&self, now: i64) -> AgreementState {
        let Some(a) = &self.latest else {
            return AgreementState::Unknown;
        };
        if a.revoked {
            return AgreementState::Revoked;
        }
        let mut by: Vec<PartnerId> = self
            .withdrawals
            .iter()
            .filter(|(_, t)| *t <= now)
            .map(|(p, _)| p.clone())
            .collect();
        if !by.is_empty() {
            by.sort();
            return AgreementState::Withdrawn { by };
        }
        if self.missing.len() == a.terms.parties.len() {
            return AgreementState::Draft;
        }
        if !self.missing.is_empty() {
            return AgreementState::AwaitingRatification {
                missing: self.missing.clone(),
            };
        }
        if now < a.terms.valid_from.micros() {
            return AgreementState::NotYetValid;
        }
        if a.terms
            .valid_until
            .as_ref()
            .is_some_and(|u| u.micros() <= now)
        {
            return AgreementState::Expired;
        }
        let mut by: Vec<PartnerId> = self
            .suspensions
            .iter()
            .filter(|(_, events)| suspended_at(events, now))
            .map(|(p, _)| p.clone())
            .collect();
        if !by.is_empty() {
            by.sort();
            return AgreementState::Suspended { by };
        }
        let mut by: Vec<model::StixId> = self.holds.iter().filter(|h| h.holds_at(now)).map(|h| h.cause.clone()).collect();
        if !by.is_empty() {
            by.sort();
            by.dedup();
            return AgreementState::Held { by };
        }
        AgreementState::InForce
    }
}

fn suspended_at(events: &[(i64, bool)], now: i64) -> bool {
    events
        .iter()
        .take_while(|(t, _)| *t <= now)
        .last()
        .is_some_and(|(_, suspend)| *suspend)
}

/// The latest version by the agreement's proposer (the author of its
/// earliest version); versions of other ids or by others are ignored.
pub(crate) fn latest_version(versions: &[Agreement]) -> Option<Agreement> {
    let first = versions.iter().min_by(|a, b| a.version.cmp(&b.version))?;
    versions
        .iter()
        .filter(|v| v.id == first.id && v.author == first.author)
        .max_by(|a, b| a.version.cmp(&b.version))
        .cloned()
}

/// The parties of the latest version (by the agreement's proposer) that
/// every one of its parties ratified with a valid, unrevoked ratification.
fn agreed_parties(versions: &[Agreement], ratifications: &[Ratification], keys: &PartyKeys) -> Option<Vec<PartnerId>> {
    let first = versions.iter().min_by(|a, b| a.version.cmp(&b.version))?;
    let mut by_proposer: Vec<&Agreement> = versions.iter().filter(|v| v.id == first.id && v.author == first.author).collect();
    by_proposer.sort_by(|a, b| b.version.cmp(&a.version));
    let ratifications = newest_by_id(ratifications.iter().map(|r| (&r.id, &r.version, r)));
    by_proposer
        .into_iter()
        .find(|v| {
            v.terms.parties.iter().all(|p| {
                ratifications.iter().any(|r| !r.revoked && &r.author == p && keys.get(p).is_some_and(|k| verifies(r, v, k)))
            })
        })
        .map(|v| v.terms.parties.clone())
}

/// Keeps the newest version of each object.
fn newest_by_id<'a, T>(
    items: impl Iterator<Item = (&'a model::StixId, &'a Timestamp, &'a T)>,
) -> Vec<&'a T> {
    let mut newest: HashMap<&model::StixId, (&Timestamp, &T)> = HashMap::new();
    for (id, version, item) in items {
        match newest.get(id) {
            Some((v, _)) if *v >= version => {}
            _ => {
                newest.insert(id, (version, item));
            }
        }
    }
    newest.into_values().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests;
