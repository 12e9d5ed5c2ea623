//! When versions become visible, on the store's own clock: the dates a
//! reader's everything collection is polled by (docs/taxii.md, "Polling
//! the everything collection").
//!
//! An agreement's records (its versions, ratifications, notices and the
//! parties' keys) reach a node at dates its store assigns. Whether the
//! agreement is in force at a point `x` of that clock is decided from the
//! records that had arrived by `x`, at time `x` ([`Arrivals::in_force_at`]);
//! [`Arrivals::in_force_since`] is where its current unbroken period in
//! force began — at a ratification's, resumption's or key's arrival, or
//! when `valid_from` or a resumption's effective time came. A version
//! shared under it is visible through it from the later of that point and
//! the date it joined the agreement's collection ([`arrival`]).

use crate::keys::PartyKeys;
use crate::state::Timeline;
use crate::{Agreement, Notice, PartnerId, Ratification};

/// The records of one agreement, each with the date (microseconds on the
/// store's clock) the node stored it.
#[derive(Debug, Clone, Default)]
pub struct Arrivals {
    /// Its versions.
    pub versions: Vec<(i64, Agreement)>,
    /// Ratifications (of any of its versions).
    pub ratifications: Vec<(i64, Ratification)>,
    /// Notices about it.
    pub notices: Vec<(i64, Notice)>,
    /// Partners' public keys (base64), as their identities arrived; a later
    /// one replaces an earlier one.
    pub keys: Vec<(i64, PartnerId, String)>,
    /// Remedies holding sharing under it ([`crate::Hold`]), as
    /// `(from, until)` on this clock: `until` no earlier than the arrival
    /// of the records that ended the hold, so what a hold kept back is
    /// re-offered once the node knows it ended.
    pub holds: Vec<(i64, Option<i64>)>,
}

impl Arrivals {
    /// Whether the agreement is in force at `x`: judged from the records
    /// stored by `x`, at time `x`.
    pub fn in_force_at(&self, x: i64) -> bool {
        let arrived = |d: &i64| *d <= x;
        let versions: Vec<Agreement> = self.versions.iter().filter(|(d, _)| arrived(d)).map(|(_, a)| a.clone()).collect();
        let ratifications: Vec<Ratification> =
            self.ratifications.iter().filter(|(d, _)| arrived(d)).map(|(_, r)| r.clone()).collect();
        let notices: Vec<Notice> = self.notices.iter().filter(|(d, _)| arrived(d)).map(|(_, n)| n.clone()).collect();
        let mut keys: Vec<&(i64, PartnerId, String)> = self.keys.iter().filter(|(d, _, _)| arrived(d)).collect();
        keys.sort_by_key(|(d, _, _)| *d);
        let mut party_keys = PartyKeys::new();
        for (_, p, k) in keys {
            // A malformed key verifies nothing, as in the agreements' index.
            let _ = party_keys.insert(p.clone(), k);
        }
        let held = self.holds.iter().any(|(from, until)| *from <= x && until.is_none_or(|u| x < u));
        !held && Timeline::derive(&versions, &ratifications, &notices, &party_keys).in_force(x)
    }

    /// Every point where [`Arrivals::in_force_at`] may change: the records'
    /// arrivals, the versions' validity bounds and the notices' effective
    /// times. Between two of them it stays as it is at the first.
    fn turns(&self) -> Vec<i64> {
        let mut turns: Vec<i64> = Vec::new();
        for (d, a) in &self.versions {
            turns.push(*d);
            turns.push(a.terms.valid_from.micros());
            turns.extend(a.terms.valid_until.as_ref().map(model::Timestamp::micros));
        }
        turns.extend(self.ratifications.iter().map(|(d, _)| *d));
        for (d, n) in &self.notices {
            turns.push(*d);
            turns.push(n.effective.micros());
        }
        turns.extend(self.keys.iter().map(|(d, _, _)| *d));
        for (from, until) in &self.holds {
            turns.push(*from);
            turns.extend(*until);
        }
        turns.sort_unstable();
        turns.dedup();
        turns
    }

    /// The first point after `x` where [`Arrivals::in_force_at`] may
    /// change (`None`: it never changes again unless records arrive), so
    /// [`Arrivals::in_force_since`] can be kept until then.
    pub fn next_turn(&self, x: i64) -> Option<i64> {
        self.turns().into_iter().find(|t| *t > x)
    }

    /// Where the agreement's current unbroken period in force began, as of
    /// `now`: the earliest point from which it is in force at every point
    /// up to `now`; `None` when it is not in force at `now`.
    pub fn in_force_since(&self, now: i64) -> Option<i64> {
        if !self.in_force_at(now) {
            return None;
        }
        let mut since = None;
        for t in self.turns().into_iter().rev().filter(|t| *t <= now) {
            if !self.in_force_at(t) {
                break;
            }
            since = Some(t);
        }
        // In force at `now` needs a version stored by then, hence a turn.
        since
    }
}

/// The date a version enters a reader's everything collection: through
/// each agreement that releases it to the reader now, the later of the
/// date it joined that agreement's collection and the date that agreement
/// last entered into force ([`Arrivals::in_force_since`]); the earliest of
/// these. `None` when no agreement releases it.
pub fn arrival(paths: impl IntoIterator<Item = (i64, i64)>) -> Option<i64> {
    paths.into_iter().map(|(joined, since)| joined.max(since)).min()
}

#[cfg(test)]
mod tests;
