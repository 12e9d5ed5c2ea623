//! The cache of readers' scopes: per (reader, agreement, module), the
//! module's records that reader was released, kept as [`Records`] and
//! grown by what arrives, so that a view reads and releases only the
//! versions stored since the previous one ([`super::view_at`]).
//!
//! An entry serves a read only when everything a release decision of a
//! partnership record reads is as it was when the entry was built:
//!
//! - the same agreements' index (the same `Arc`): a new version of an
//!   agreement, a ratification, a notice, a partner's key, a hold, or the
//!   index's periodic rebuild ([`crate::release::INDEX_REBUILD`], which also
//!   bounds how long a deletion made through another server goes unseen)
//!   all make a new index, and every entry built under the old one is cold;
//! - no removal since ([`removed`], a node-wide generation): retention's
//!   deletions and withholdings ([`crate::retention::sweep`]), a deletion
//!   reported by a transport ([`crate::Node::records_changed`]) and every
//!   invalidation of the index bump it;
//! - no recall among the new versions: a version that revokes its record
//!   rebuilds the entry from the store, since a recall changes what the
//!   gate lets through of the record's earlier versions.
//!
//! The time does not enter: the decision for a partnership record
//! (`policy::decide_agreement_object`) reads the record's facts, the
//! agreement's parties and the recall, never the clock (a module's records
//! flow while an agreement is held or suspended), and a module's deadlines
//! are judged when its state is derived, with the read's `now`.
//!
//! Bounded: at most [`MAX_ENTRIES`] entries and [`MAX_VERSIONS`] versions
//! across them; past either, the least recently used entries go. A scope
//! larger than [`MAX_VERSIONS`] alone is not kept. An eviction costs its
//! reader one full read the next time, never a wrong answer; what one
//! partner reads can evict another's entries, so under that bound a
//! partner's reads can make another's slower, not different.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use partnership::Records;
use policy::AgreementIndex;
use sha2::{Digest as _, Sha256};

/// At most this many scopes are kept.
pub const MAX_ENTRIES: usize = 1024;

/// At most this many versions are kept across every scope.
pub const MAX_VERSIONS: u64 = 3_000_000;

static REMOVALS: AtomicU64 = AtomicU64::new(0);

/// Something that narrows what readers may be given was written or
/// deleted (a deletion, a recall spread, an index rebuilt): no cached
/// scope built before serves a read again.
pub fn removed() {
    REMOVALS.fetch_add(1, Ordering::SeqCst);
}

/// The node-wide removal generation ([`removed`]).
pub(crate) fn removals() -> u64 {
    REMOVALS.load(Ordering::SeqCst)
}

/// Whose scope: the reader, the agreement and the module.
pub(crate) type Key = (String, String, &'static str);

/// A module's fold, shared between the cache and the scopes read from it.
pub(crate) type SharedFold = Arc<Box<dyn partnership::Fold>>;

/// One reader's scope of one module under one agreement.
pub(crate) struct Entry {
    index: Arc<AgreementIndex>,
    removals: u64,
    /// The newest `date_added` read into it (the next read starts after it).
    pub cursor: Option<i64>,
    /// The records, as [`Records::new`] would make them from every version released.
    pub records: Arc<Records>,
    /// How many versions were released into it.
    pub count: u64,
    /// Their digest.
    pub sum: Sum,
    /// The module's state kept as they arrived, if it keeps one.
    pub fold: Option<SharedFold>,
    /// When each record first arrived on this node (its first version's
    /// `date_added`, microseconds), by id: what a user has not read yet.
    pub arrived: Arc<std::collections::HashMap<String, i64>>,
    used: u64,
}

impl Entry {
    /// An empty scope, built under `index`.
    pub fn new(index: Arc<AgreementIndex>) -> Entry {
        Entry { index, removals: removals(), cursor: None, records: Arc::default(), count: 0, sum: Sum::default(), fold: None, arrived: Arc::default(), used: 0 }
    }
}

/// The digest of a scope's versions: the sum, modulo 2²⁵⁶, of
/// SHA-256(`id` ␠ `version`) of each version as stored, so that it grows
/// one version at a time and does not depend on their order. An auditor
/// recomputes it from the store: every version of the module's kinds whose
/// `agreement_ref` is the agreement and that the reader was released.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sum([u64; 4]);

impl Sum {
    /// Adds one version.
    pub fn add(&mut self, id: &str, version: &str) {
        let mut h = Sha256::new();
        h.update(id.as_bytes());
        h.update(b" ");
        h.update(version.as_bytes());
        let h = h.finalize();
        let mut carry = 0u128;
        for (i, limb) in self.0.iter_mut().enumerate() {
            // The digest read big-endian; the least significant limb first.
            let at = 32 - 8 * (i + 1);
            let mut word = [0u8; 8];
            word.copy_from_slice(&h[at..at + 8]);
            let s = u128::from(*limb) + u128::from(u64::from_be_bytes(word)) + carry;
            *limb = s as u64;
            carry = s >> 64;
        }
    }

    /// As 64 lowercase hex digits (big-endian).
    pub fn hex(&self) -> String {
        self.0.iter().rev().map(|l| format!("{l:016x}")).collect()
    }
}

/// The cache (one per node, beside the agreements' index).
#[derive(Default)]
pub struct Scopes {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    tick: u64,
    versions: u64,
}

impl Scopes {
    /// Takes `key`'s entry out if it still serves a read under `index`;
    /// one that does not is dropped.
    pub(crate) fn take(&self, key: &Key, index: &Arc<AgreementIndex>) -> Option<Entry> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = inner.entries.remove(key)?;
        inner.versions -= entry.count;
        (Arc::ptr_eq(&entry.index, index) && entry.removals == removals()).then_some(entry)
    }

    /// Puts `key`'s entry back (or in), evicting the least recently used
    /// past the bounds.
    pub(crate) fn put(&self, key: Key, mut entry: Entry) {
        if entry.count > MAX_VERSIONS {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tick += 1;
        entry.used = inner.tick;
        inner.versions += entry.count;
        if let Some(old) = inner.entries.insert(key, entry) {
            // Two reads of one scope at once: either is right; the later stays.
            inner.versions -= old.count;
        }
        while inner.entries.len() > MAX_ENTRIES || inner.versions > MAX_VERSIONS {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.versions -= gone.count;
            }
        }
    }

    /// Forgets every scope.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.clear();
        inner.versions = 0;
    }

    /// How many scopes and versions are kept.
    pub fn size(&self) -> (usize, u64) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (inner.entries.len(), inner.versions)
    }
}
