//! The cache of readers' scopes: per (reader, agreement, module), the
//! module's records that reader was released, kept as [`Records`] and
//! grown by what arrives, so that a view reads and releases only the
//! versions stored since the previous one ([`super::view_at`]).
//!
//! An entry serves a read only when everything a release decision of a
//! partnership record reads is as it was when the entry was built:
//!
//! - the same agreements' index, or one in which the entry's agreement
//!   reads the same ([`same_decisions`]: its latest version, with its
//!   parties and terms, and the parties that ratified it — all a release
//!   decision of a partnership record reads of the index): a new version
//!   of that agreement, a ratification of it, or a partner's key that
//!   changes who ratified it make every entry of it cold, while a change
//!   to another agreement carries the entry over. The index's periodic
//!   rebuild ([`crate::release::INDEX_REBUILD`]) keeps the same `Arc` when
//!   the digest of what it is built from is unchanged and the store's
//!   removal generation has not moved;
//! - no removal since ([`removed`], a process-wide generation), bumped at
//!   once by retention's deletions and withholdings
//!   ([`crate::retention::sweep`]), a deletion reported by a transport
//!   ([`crate::Node::records_changed`]), every invalidation of the index,
//!   and an index built after the store's removal generation
//!   ([`store::Store::removals`]: a deletion, a withholding or a recall
//!   spread, by this process or another on the same database) moved, seen
//!   at the index's next check, within [`crate::release::INDEX_TTL`];
//! - an entry read from the store in full at most [`FULL_EVERY`] ago: a
//!   bound kept in case a removal escapes the generations (a database
//!   edited by hand). The node keeps its own partner's scopes warm
//!   ([`super::warm`]): it reads them again in full, in the background,
//!   before they reach that age, so no reader waits for it;
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
//! Bounded in memory: at most [`MAX_ENTRIES`] entries and a byte budget
//! across them ([`Scopes::set_max_bytes`]; [`DEFAULT_MAX_BYTES`] unless
//! configured: `scope_cache_mb` for `entente serve`), each entry counted at
//! an estimate of what it holds ([`cost`]: per version kept, from the
//! stored version's size; tested against the allocator's count in
//! `tests/scope_memory.rs`); past either, the least recently used entries
//! go. A scope larger than the budget alone is not kept. An eviction costs
//! its reader one full read the next time, never a wrong answer; what one
//! partner reads can evict another's entries, so under that bound a
//! partner's reads can make another's slower, not different.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use partnership::Records;
use policy::AgreementIndex;
use sha2::{Digest as _, Sha256};

/// At most this many scopes are kept.
pub const MAX_ENTRIES: usize = 1024;

/// The scopes' memory budget unless one is set ([`Scopes::set_max_bytes`]):
/// 10 GiB, at the estimate of [`cost`]. One scope of a 1,000,000-entry
/// ledger (about 8 GB) fits, and on a 24 GB machine there is room for the
/// second copy a background refresh builds before it drops the first.
pub const DEFAULT_MAX_BYTES: u64 = 10 << 30;

/// What a kept version costs at least, whatever its size: its record's
/// fixed parts (id, kind, author, agreement, times), its place in the
/// scope's maps, its arrival time, and a fold's reading of it.
pub const VERSION_BYTES: u64 = 3072;

/// What each byte of a version's stored JSON costs kept: its properties
/// parsed into a map of keys and values, each a small allocation.
pub const JSON_FACTOR: u64 = 8;

/// The estimated memory of one version kept in a scope, `json` bytes as
/// stored: [`VERSION_BYTES`] + [`JSON_FACTOR`] × `json`.
pub fn cost(json: usize) -> u64 {
    VERSION_BYTES + JSON_FACTOR * json as u64
}

/// A kept scope serves reads for at most this long after it was read from
/// the store in full; then the next read reads it in full again.
pub const FULL_EVERY: Duration = Duration::from_secs(15 * 60);

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
    /// The estimated memory it holds ([`cost`] of each version).
    pub bytes: u64,
    /// The module's state kept as they arrived, if it keeps one.
    pub fold: Option<SharedFold>,
    /// When each record first arrived on this node (its first version's
    /// `date_added`, microseconds), by id: what a user has not read yet.
    pub arrived: Arc<std::collections::HashMap<String, i64>>,
    /// When it was started empty (read from the store in full since).
    pub built: Instant,
    used: u64,
}

impl Entry {
    /// An empty scope, built under `index`.
    pub fn new(index: Arc<AgreementIndex>) -> Entry {
        Entry { index, removals: removals(), cursor: None, records: Arc::default(), count: 0, sum: Sum::default(), bytes: 0, fold: None, arrived: Arc::default(), built: Instant::now(), used: 0 }
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

/// Whether every release decision of a record under `agreement` reads
/// the same in `old` and `new`: the decision for a partnership record
/// (`policy::decide_agreement_object`) reads of the index only the
/// agreement's latest version (its parties) and the parties that ratified
/// it; the rest is the record's own facts.
pub fn same_decisions(old: &AgreementIndex, new: &AgreementIndex, agreement: &policy::AgreementId) -> bool {
    // A version's canonical form holds its author, terms and revocation.
    fn read<'a>(i: &'a AgreementIndex, agreement: &policy::AgreementId) -> (Option<(&'a model::Timestamp, bool, &'a [u8])>, Option<&'a [policy::PartnerId]>) {
        (i.agreement(agreement).map(|a| (&a.version, a.revoked, a.canonical.as_slice())), i.agreed_parties(agreement))
    }
    read(old, agreement) == read(new, agreement)
}

/// The cache (one per node, beside the agreements' index).
pub struct Scopes {
    inner: Mutex<Inner>,
    max_bytes: AtomicU64,
}

impl Default for Scopes {
    fn default() -> Scopes {
        Scopes { inner: Mutex::default(), max_bytes: AtomicU64::new(DEFAULT_MAX_BYTES) }
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    tick: u64,
    versions: u64,
    bytes: u64,
}

impl Inner {
    fn remove(&mut self, key: &Key) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.versions -= entry.count;
        self.bytes -= entry.bytes;
        Some(entry)
    }
}

impl Scopes {
    /// Takes `key`'s entry out if it still serves a read under `index`;
    /// one that does not is dropped.
    pub(crate) fn take(&self, key: &Key, index: &Arc<AgreementIndex>) -> Option<Entry> {
        let mut entry = {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            inner.remove(key)?
        };
        if entry.removals != removals() || entry.built.elapsed() >= FULL_EVERY {
            return None;
        }
        if !Arc::ptr_eq(&entry.index, index) {
            let agreement = policy::AgreementId::parse(&key.1).ok()?;
            if !same_decisions(&entry.index, index, &agreement) {
                return None;
            }
            entry.index = index.clone();
        }
        Some(entry)
    }

    /// When `key`'s kept entry was read from the store in full, if one is
    /// kept that would serve a read under `index` ([`Scopes::take`]'s rule).
    pub(crate) fn serving(&self, key: &Key, index: &Arc<AgreementIndex>) -> Option<Instant> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = inner.entries.get(key)?;
        let fresh = entry.removals == removals() && entry.built.elapsed() < FULL_EVERY;
        let same = || Arc::ptr_eq(&entry.index, index) || policy::AgreementId::parse(&key.1).is_ok_and(|a| same_decisions(&entry.index, index, &a));
        (fresh && same()).then_some(entry.built)
    }

    /// Puts `key`'s entry back (or in), evicting the least recently used
    /// past the bounds; one over the byte budget alone is dropped.
    pub(crate) fn put(&self, key: Key, mut entry: Entry) {
        let max_bytes = self.max_bytes();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Two reads of one scope at once: either is right; the later stays.
        let old = inner.remove(&key);
        if entry.bytes > max_bytes {
            drop(inner);
            // Dropped outside the lock: freeing a big scope takes a while.
            drop((old, entry));
            return;
        }
        inner.tick += 1;
        entry.used = inner.tick;
        inner.versions += entry.count;
        inner.bytes += entry.bytes;
        inner.entries.insert(key, entry);
        let mut gone = vec![old];
        while inner.entries.len() > MAX_ENTRIES || inner.bytes > max_bytes {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            gone.push(inner.remove(&oldest));
        }
        drop(inner);
        drop(gone);
    }

    /// Sets the byte budget (at the estimate of [`cost`]); what is kept
    /// past it goes at the next [`Scopes::put`].
    pub fn set_max_bytes(&self, bytes: u64) {
        self.max_bytes.store(bytes, Ordering::Relaxed);
    }

    /// The byte budget.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes.load(Ordering::Relaxed)
    }

    /// Forgets every scope.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entries = std::mem::take(&mut inner.entries);
        (inner.versions, inner.bytes) = (0, 0);
        drop(inner);
        drop(entries);
    }

    /// How many scopes and versions are kept.
    pub fn size(&self) -> (usize, u64) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (inner.entries.len(), inner.versions)
    }

    /// The estimated memory the kept scopes hold ([`cost`]).
    pub fn bytes(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }

    /// Whether `key`'s scope is kept (whether or not it would serve a read).
    pub fn holds(&self, reader: &str, agreement: &str, module: &str) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).entries.keys().any(|k| k.0 == reader && k.1 == agreement && k.2 == module)
    }
}
