//! A [`Tally`] saved in the node's data directory and loaded after a
//! restart (docs/assessment.md#incremental), so the first scorecard of a
//! new process is the saved tally brought up to date by an incremental
//! update, not a full read.
//!
//! One file per viewer and agreement, `<data dir>/tallies/<hash>.bin`
//! ([`path`]), written whole to a temporary file, synced, then renamed
//! over the old one: a reader finds the old file or the new one, never
//! half of one; the folder is 0700 and the files 0600 (what the node
//! holds, by object: its owner's alone, like the data directory's other
//! files). The file is [`MAGIC`], the format's version
//! ([`FORMAT`]), the payload's length and its SHA-256, then the payload
//! (`postcard`): the tally's basis, what it holds of each object and
//! reaction, the reactions kept aside, and the kept sums
//! ([`scorecard::Kept`]); the indexes derived from those (the reactions
//! naming each object, the patterns') are rebuilt on load.
//!
//! A file is loaded only when every check holds, else it is not used
//! ([`Loaded::Unusable`], with why, which the caller logs) and the tally
//! reads in full as on a new node: the magic, the version, the length
//! and the checksum (a torn or damaged file); the viewer and agreement;
//! the store's identity ([`mark`]: the first version it holds, with the
//! date its own clock gave it; another database, or a store swapped
//! under the data directory, has another); and the store's removal count
//! ([`store::Store::removals`], kept in the store, moved by every
//! deletion, withholding or recall spread by any process on it) equal to
//! the one read before the tally's last full read, so a removal made
//! while the node was down, or through another server on the same
//! database, forces a full read. Once loaded, the tally is kept by the
//! same rules as one kept in memory ([`Tally::update`]: the agreements'
//! fingerprint, [`FULL_EVERY_DAYS`](super::FULL_EVERY_DAYS), and reading
//! everything stored since its `through`, which covers what arrived while
//! the node was down).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use model::StixId;
use scorecard::Kept;
use sha2::Digest;
use store::{Query, Store, Versions};

use super::{Basis, Held, Said, Tally, MARGIN};
use crate::modules::Error;

/// The first bytes of a saved tally.
pub const MAGIC: &[u8; 8] = b"ENTALLY\n";

/// The saved format's version: a file of another is not used.
pub const FORMAT: u32 = 1;

/// Magic, format, length and checksum.
const HEADER: usize = 8 + 4 + 8 + 32;

/// The background saves written (or passed over for a later one), in the
/// order started ([`Tally::save_in_background`]).
static WRITES: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

/// The background saves started.
static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits until every save started in the background so far is written
/// (or failed, and was logged): what a test or a benchmark does before it
/// looks for the file or restarts the node.
pub fn wait_for_saves() {
    let started = STARTED.load(std::sync::atomic::Ordering::SeqCst);
    while *WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner) < started {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A tally kept in memory is saved again at most this often (besides
/// after each full read): ten minutes.
pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// The store's identity: its first stored version (id, version and the
/// `date_added` its clock gave it). Every process on one database reads
/// the same; another store, or a store swapped under the data
/// directory, has another. None for an empty store.
pub fn mark(store: &dyn Store) -> store::Result<Option<(String, i64, i64)>> {
    let page = store.query(&Query { versions: Versions::ALL, limit: Some(1), ..Query::default() })?;
    Ok(page.records.first().map(|r| (r.id.clone(), r.version_micros, r.date_added.0)))
}

/// The file of `viewer`'s tally of `agreement` under `data_dir`.
pub fn path(data_dir: &Path, viewer: &StixId, agreement: &StixId) -> PathBuf {
    let h = sha2::Sha256::digest(format!("{viewer}\n{agreement}").as_bytes());
    let name: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
    data_dir.join("tallies").join(format!("{name}.bin"))
}

/// What is saved; loaded into an owned one.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved<'a> {
    viewer: Cow<'a, str>,
    agreement: Cow<'a, str>,
    store: (String, i64, i64),
    removals: u64,
    agreements: [u8; 32],
    full_at: i64,
    through: i64,
    objects: Cow<'a, BTreeMap<String, Held>>,
    reactions: Cow<'a, BTreeMap<String, Said>>,
    aside: Cow<'a, HashMap<String, Vec<String>>>,
    kept: Cow<'a, Kept>,
}

/// What [`Tally::load`] found.
pub enum Loaded {
    /// No saved tally.
    None,
    /// A file that is not used, and why (naming it).
    Unusable(String),
    /// The saved tally.
    Tally(Box<Tally>),
}

impl Tally {
    /// Whether it was ever brought up to date (or loaded).
    pub fn started(&self) -> bool {
        self.basis.is_some()
    }

    /// Whether it is due to be saved: never saved (or loaded) since its
    /// last full read, or last saved [`SAVE_EVERY`] ago.
    pub fn save_due(&self) -> bool {
        self.basis.is_some() && self.kept.is_some() && self.saved.is_none_or(|t| t.elapsed() >= SAVE_EVERY)
    }

    /// Saves the tally under `data_dir` ([`path`]), atomically. Returns
    /// the bytes written, or none when it is not to be saved: nothing
    /// kept yet, an empty store, or a removal since its last full read
    /// (the store's count or the node's generation moved: it may hold
    /// what was removed, and the next update reads in full).
    pub fn save(&mut self, store: &dyn Store, data_dir: &Path) -> Result<Option<u64>, Error> {
        let Some((file, payload)) = self.encode(store, data_dir)? else { return Ok(None) };
        let written = write(&file, &payload).map_err(|e| Error::Log(format!("saving the scorecard's tally in {}: {e}", file.display())))?;
        Ok(Some(written))
    }

    /// As [`Tally::save`], but only the encoding is done here (while the
    /// caller holds the tally): the checksum, the write and its syncs
    /// (most of a save's time: seconds at a million objects) are done by a
    /// thread of their own, so the request that found the tally due does
    /// not wait for the disk. Returns whether a save was started; a
    /// failure of the write is logged. Writes are made one at a time, in
    /// the order they were started, so an older copy never replaces a
    /// newer one.
    pub fn save_in_background(&mut self, store: &dyn Store, data_dir: &Path) -> Result<bool, Error> {
        let Some((file, payload)) = self.encode(store, data_dir)? else { return Ok(false) };
        let turn = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::spawn(move || {
            let mut last = WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // A later save already written: this one is older.
            if *last > turn {
                return;
            }
            match write(&file, &payload) {
                Ok(bytes) => tracing::debug!(bytes, "the scorecard's tally saved"),
                Err(e) => tracing::warn!("the scorecard's tally was not saved in {}: {e}", file.display()),
            }
            *last = turn + 1;
        });
        Ok(true)
    }

    /// The file a save writes and its payload, marking the tally saved
    /// now; none when it is not to be saved (see [`Tally::save`]).
    fn encode(&mut self, store: &dyn Store, data_dir: &Path) -> Result<Option<(PathBuf, Vec<u8>)>, Error> {
        let (Some(basis), Some(kept)) = (&self.basis, &self.kept) else { return Ok(None) };
        if basis.removals != crate::modules::scopes::removals() || store.removals()? != basis.stored {
            return Ok(None);
        }
        let Some(mark) = mark(store)? else { return Ok(None) };
        let saved = Saved {
            viewer: Cow::Borrowed(basis.me.as_str()),
            agreement: Cow::Borrowed(basis.agreement.as_str()),
            store: mark,
            removals: basis.stored,
            agreements: basis.agreements,
            full_at: basis.full_at,
            through: self.through,
            objects: Cow::Borrowed(&self.objects),
            reactions: Cow::Borrowed(&self.reactions),
            aside: Cow::Borrowed(&self.aside),
            kept: Cow::Borrowed(kept),
        };
        let payload = postcard::to_stdvec(&saved).map_err(|e| Error::Log(format!("saving the scorecard's tally: {e}")))?;
        let file = path(data_dir, &basis.me, &basis.agreement);
        self.saved = Some(std::time::Instant::now());
        Ok(Some((file, payload)))
    }

    /// The tally of `viewer` and `agreement` saved under `data_dir`, if
    /// there is one and every check holds (see the module's doc).
    pub fn load(store: &dyn Store, data_dir: &Path, viewer: &StixId, agreement: &StixId) -> Result<Loaded, Error> {
        let file = path(data_dir, viewer, agreement);
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::None),
            Err(e) => return Ok(Loaded::Unusable(format!("{}: {e}", file.display()))),
        };
        let unusable = |why: &str| Ok(Loaded::Unusable(format!("{}: {why}", file.display())));
        // The node's generation first: a removal after the checks below moves it.
        let generation = crate::modules::scopes::removals();
        let saved = match decode(&bytes) {
            Ok(s) => s,
            Err(why) => return unusable(&why),
        };
        if saved.viewer != viewer.as_str() || saved.agreement != agreement.as_str() {
            return unusable("saved for another viewer or agreement");
        }
        if mark(store)?.as_ref() != Some(&saved.store) {
            return unusable("saved from another store");
        }
        if store.removals()? != saved.removals {
            return unusable("something was removed from the store since (a deletion, withholding or recall)");
        }
        let mut tally = Tally {
            basis: Some(Basis { me: viewer.clone(), agreement: agreement.clone(), agreements: saved.agreements, removals: generation, stored: saved.removals, full_at: saved.full_at }),
            through: saved.through,
            objects: saved.objects.into_owned(),
            reactions: saved.reactions.into_owned(),
            aside: saved.aside.into_owned(),
            kept: Some(saved.kept.into_owned()),
            margin: MARGIN,
            saved: Some(std::time::Instant::now()),
            ..Tally::new()
        };
        // The indexes derived from what is held, as the reads keep them.
        for (id, said) in &tally.reactions {
            for of in &said.refs {
                tally.named.entry(of.clone()).or_default().insert(id.clone());
            }
        }
        for (id, o) in &tally.objects {
            if let Some(p) = &o.pattern {
                tally.patterns.entry(p.clone()).or_default().insert((o.first_added, id.clone(), o.author.clone()));
            }
        }
        Ok(Loaded::Tally(Box::new(tally)))
    }
}

/// The payload of a saved file, checked.
fn decode(bytes: &[u8]) -> Result<Saved<'static>, String> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err("not a saved tally (or cut short)".into());
    }
    let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
    if format != FORMAT {
        return Err(format!("saved in format {format}, not {FORMAT}"));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != len {
        return Err(format!("cut short or overlong: {} bytes of payload, {len} expected", payload.len()));
    }
    if sha2::Sha256::digest(payload)[..] != bytes[20..HEADER] {
        return Err("damaged: its checksum does not match".into());
    }
    postcard::from_bytes::<Saved<'static>>(payload).map_err(|e| format!("not readable: {e}"))
}

/// Writes `payload` behind its header to `file`: a temporary file beside
/// it, synced, renamed over it. Returns the bytes written.
fn write(file: &Path, payload: &[u8]) -> std::io::Result<u64> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = file.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&temp)?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT.to_le_bytes());
        header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        header.extend_from_slice(&sha2::Sha256::digest(payload));
        f.write_all(&header)?;
        f.write_all(payload)?;
        f.sync_all()?;
        std::fs::rename(&temp, file)?;
        // The rename itself made durable (where a directory can be synced).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok((HEADER + payload.len()) as u64)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The tallies' folder, its owner's alone (0700) like the data dir's others.
fn create_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}
