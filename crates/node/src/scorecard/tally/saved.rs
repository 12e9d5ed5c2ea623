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
//! (`postcard`, in three parts: [`Head`]): the tally's basis and a table
//! of every id and party it names, each once; what it holds of each
//! object and reaction and the reactions kept aside; and the kept sums
//! ([`scorecard::KeptWire`]); ids named by their number in the table.
//! A load makes each id once and shares it among every place that names
//! it (a million objects cost a million small allocations, not several),
//! reads and builds the kept sums on a second thread while it reads and
//! builds the rest (the checksum on a third), and rebuilds the indexes
//! derived from what is held (the reactions naming each object, the
//! patterns').
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
//! database, forces a full read; and the version last stored of those the
//! tally read still in the store as it was stored (its id, version and
//! `date_added`), so a store restored from a copy taken before it (the
//! same identity and removal count, versions the tally counted lost) is
//! read in full. Once loaded, the tally is kept by the
//! same rules as one kept in memory ([`Tally::update`]: the agreements'
//! fingerprint, [`FULL_EVERY_DAYS`](super::FULL_EVERY_DAYS), and reading
//! everything stored since its `through`, which covers what arrived while
//! the node was down).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use model::StixId;
use scorecard::{Kept, KeptWire};
use sha2::Digest;
use store::{Query, Store, Versions};

use super::{Basis, Held, Name, Said, Tally, MARGIN};
use crate::modules::Error;

/// The first bytes of a saved tally.
pub const MAGIC: &[u8; 8] = b"ENTALLY\n";

/// The saved format's version: a file of another is not used.
pub const FORMAT: u32 = 3;

/// Magic, format, length and checksum.
const HEADER: usize = 8 + 4 + 8 + 32;

/// The saves written (or passed over for a later one): every save takes
/// a turn when it starts ([`STARTED`]) and writes under this lock only if
/// no later turn was written first, so an older copy never replaces a
/// newer one, whether it was saved at once or in the background.
static WRITES: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

/// Told each time a save is written or passed over.
static WRITTEN: std::sync::Condvar = std::sync::Condvar::new();

/// The saves started (the next turn).
static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Waits until every save started in the background so far is written
/// (or failed, and was logged): what a test or a benchmark does before it
/// looks for the file or restarts the node.
pub fn wait_for_saves() {
    let started = STARTED.load(std::sync::atomic::Ordering::SeqCst);
    let mut written = WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    while *written < started {
        written = WRITTEN.wait(written).unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

/// Writes save `turn` unless a later one was written first (then `None`).
fn write_in_turn(turn: u64, file: &Path, payload: &[u8]) -> Option<std::io::Result<u64>> {
    let mut last = WRITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = (*last <= turn).then(|| write(file, payload));
    *last = (*last).max(turn + 1);
    WRITTEN.notify_all();
    result
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

/// The payload's first part: the basis and every id and party named
/// after it, each named below by its number in `names`. Loaded
/// borrowing the file's bytes. The payload is this, what the tally holds
/// ([`Holdings`]) and the kept sums ([`KeptWire`]), the first two each
/// behind its length (8 bytes), so that the last is read on a thread of
/// its own while the second is.
#[derive(serde::Serialize, serde::Deserialize)]
struct Head<'a> {
    viewer: &'a str,
    agreement: &'a str,
    store: (String, i64, i64),
    removals: u64,
    agreements: [u8; 32],
    full_at: i64,
    through: i64,
    /// The version last stored of those the tally read (`date_added`,
    /// id, version): the store must still hold it.
    newest: Option<(i64, String, i64)>,
    /// The objects' ids first, in their order.
    #[serde(borrow)]
    names: Vec<&'a str>,
}

/// What the tally holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Holdings {
    /// Each object held (its id the one numbered as its place).
    objects: Vec<Held<u32>>,
    reactions: Vec<(u32, Said<u32>)>,
    aside: Vec<(u32, Vec<u32>)>,
}

/// The numbers of the names a save writes: each name once, in the order
/// first asked.
#[derive(Default)]
struct Numbers<'a> {
    names: Vec<&'a str>,
    numbers: HashMap<&'a str, u32>,
}

impl<'a> Numbers<'a> {
    fn of(&mut self, name: &'a str) -> u32 {
        *self.numbers.entry(name).or_insert_with(|| {
            self.names.push(name);
            (self.names.len() - 1) as u32
        })
    }
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
    /// what was removed, and the next update reads in full), or a later
    /// copy written first (by a save in the background started after it).
    pub fn save(&mut self, store: &dyn Store, data_dir: &Path) -> Result<Option<u64>, Error> {
        let Some((file, payload)) = self.encode(store, data_dir)? else { return Ok(None) };
        let turn = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match write_in_turn(turn, &file, &payload) {
            // A later copy was written first: this one is older.
            None => Ok(None),
            Some(written) => Ok(Some(written.map_err(|e| Error::Log(format!("saving the scorecard's tally in {}: {e}", file.display())))?)),
        }
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
        std::thread::spawn(move || match write_in_turn(turn, &file, &payload) {
            None => tracing::debug!("the scorecard's tally not saved: a later copy was"),
            Some(Ok(bytes)) => tracing::debug!(bytes, "the scorecard's tally saved"),
            Some(Err(e)) => tracing::warn!("the scorecard's tally was not saved in {}: {e}", file.display()),
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
        let mut numbers = Numbers { names: Vec::with_capacity(self.objects.len() + self.reactions.len()), numbers: HashMap::with_capacity(self.objects.len() + self.reactions.len()) };
        for id in self.objects.keys() {
            numbers.of(id);
        }
        let objects = self
            .objects
            .values()
            .map(|o| Held {
                author: numbers.of(&o.author),
                created: o.created,
                version: o.version,
                first_added: o.first_added,
                quality: o.quality,
                pattern: o.pattern,
                exercise: o.exercise,
                recipients: o.recipients.iter().map(|r| numbers.of(r)).collect(),
            })
            .collect();
        let reactions = self.reactions.iter().map(|(id, s)| (numbers.of(id), Said { by: numbers.of(&s.by), at: s.at, kind: s.kind, exercise: s.exercise, refs: s.refs.iter().map(|r| numbers.of(r)).collect() })).collect();
        let aside = self.aside.iter().map(|(id, refs)| (numbers.of(id), refs.iter().map(|r| numbers.of(r)).collect())).collect();
        // The sums name only ids of objects and reactions held (a new name
        // is added all the same).
        let mut pending: Vec<String> = Vec::new();
        let kept = kept.to_wire(&mut |id| match numbers.numbers.get(id) {
            Some(n) => *n,
            None => {
                pending.push(id.to_owned());
                (numbers.names.len() + pending.len() - 1) as u32
            }
        });
        let mut names = numbers.names;
        names.extend(pending.iter().map(String::as_str));
        let head = Head { viewer: basis.me.as_str(), agreement: basis.agreement.as_str(), store: mark, removals: basis.stored, agreements: basis.agreements, full_at: basis.full_at, through: self.through, newest: self.newest.clone(), names };
        let failed = |e: postcard::Error| Error::Log(format!("saving the scorecard's tally: {e}"));
        let mut payload = Vec::new();
        for part in [postcard::to_stdvec(&head).map_err(failed)?, postcard::to_stdvec(&Holdings { objects, reactions, aside }).map_err(failed)?] {
            payload.extend_from_slice(&(part.len() as u64).to_le_bytes());
            payload.extend_from_slice(&part);
        }
        payload.extend_from_slice(&postcard::to_stdvec(&kept).map_err(failed)?);
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
        let (payload, sum, [head, holdings, kept]) = match parts(&bytes) {
            Ok(p) => p,
            Err(why) => return unusable(&why),
        };
        // The checksum on a thread of its own while the parts are read (a
        // damaged part is read safely, then not used): a payload whose
        // checksum does not match is called damaged, whatever else it says.
        let tally = std::thread::scope(|scope| {
            let checked = scope.spawn(|| sha2::Sha256::digest(payload)[..] == *sum);
            let read = || -> Result<Tally, Result<String, Error>> {
                let head: Head = postcard::from_bytes(head).map_err(|e| Ok(format!("not readable: {e}")))?;
                if head.viewer != viewer.as_str() || head.agreement != agreement.as_str() {
                    return Err(Ok("saved for another viewer or agreement".to_owned()));
                }
                if mark(store).map_err(|e| Err(Error::from(e)))?.as_ref() != Some(&head.store) {
                    return Err(Ok("saved from another store".to_owned()));
                }
                if store.removals().map_err(|e| Err(Error::from(e)))? != head.removals {
                    return Err(Ok("something was removed from the store since (a deletion, withholding or recall)".to_owned()));
                }
                if let Some((added, id, version)) = &head.newest {
                    let q = Query { ids: vec![id.clone()], versions: Versions::ALL, ..Query::default() };
                    let held = store.query(&q).map_err(|e| Err(Error::from(e)))?.records.iter().any(|r| r.version_micros == *version && r.date_added.0 == *added);
                    if !held {
                        return Err(Ok(format!("the store no longer holds {id} as stored when the tally read it (restored from an older copy?)")));
                    }
                }
                build(scope, head, holdings, kept, viewer, agreement, generation).map_err(Ok)
            };
            let tally = read();
            if !checked.join().unwrap_or(false) {
                return Err(Ok("damaged: its checksum does not match".to_owned()));
            }
            tally
        });
        let tally = match tally {
            Ok(t) => t,
            Err(Ok(why)) => return unusable(&why),
            Err(Err(e)) => return Err(e),
        };
        Ok(Loaded::Tally(Box::new(tally)))
    }
}

/// The tally saved as `head`, `holdings` and `kept` (the payload's
/// parts, not yet read), every name made once from the table and shared:
/// the kept sums read and built on a thread of its own while the rest is.
/// An error names what is wrong.
fn build<'s, 'b: 's>(scope: &'s std::thread::Scope<'s, '_>, head: Head<'b>, holdings: &'b [u8], kept: &'b [u8], viewer: &StixId, agreement: &StixId, generation: u64) -> Result<Tally, String> {
    let names: std::sync::Arc<Vec<Name>> = std::sync::Arc::new(head.names.iter().map(|n| Name::from(*n)).collect());
    let kept = {
        let names = names.clone();
        scope.spawn(move || {
            let wire: KeptWire = postcard::from_bytes(kept).map_err(|e| format!("not readable: {e}"))?;
            Kept::from_wire(wire, &names)
        })
    };
    let name = |n: u32| names.get(n as usize).cloned().ok_or_else(|| format!("names {n}, beyond the {} saved", names.len()));
    let Holdings { objects, reactions, aside } = postcard::from_bytes(holdings).map_err(|e| format!("not readable: {e}"))?;
    if objects.len() > names.len() {
        return Err(format!("{} objects, {} names", objects.len(), names.len()));
    }
    // The parties named (a few), by number.
    let mut parties: Vec<(u32, Name)> = Vec::new();
    let mut party = |n: u32| -> Result<Name, String> {
        if let Some((_, p)) = parties.iter().find(|(m, _)| *m == n) {
            return Ok(p.clone());
        }
        let p = name(n)?;
        parties.push((n, p.clone()));
        Ok(p)
    };
    let mut held = Vec::with_capacity(objects.len());
    for (i, o) in objects.into_iter().enumerate() {
        let recipients = o.recipients.into_iter().map(&mut party).collect::<Result<_, _>>()?;
        let h = Held { author: party(o.author)?, created: o.created, version: o.version, first_added: o.first_added, quality: o.quality, pattern: o.pattern, exercise: o.exercise, recipients };
        held.push((names[i].clone(), h));
    }
    // Saved in the map's order: a sorted sequence builds it whole.
    let objects: BTreeMap<Name, Held> = held.into_iter().collect();
    let mut said = Vec::with_capacity(reactions.len());
    for (id, s) in reactions {
        let refs = s.refs.into_iter().map(name).collect::<Result<_, _>>()?;
        said.push((name(id)?, Said { by: party(s.by)?, at: s.at, kind: s.kind, exercise: s.exercise, refs }));
    }
    let reactions: BTreeMap<Name, Said> = said.into_iter().collect();
    let aside = aside.into_iter().map(|(id, refs)| Ok((name(id)?, refs.into_iter().map(name).collect::<Result<_, String>>()?))).collect::<Result<_, String>>()?;
    let mut tally = Tally {
        basis: Some(Basis { me: viewer.clone(), agreement: agreement.clone(), agreements: head.agreements, removals: generation, stored: head.removals, full_at: head.full_at }),
        through: head.through,
        newest: head.newest,
        objects,
        reactions,
        aside,
        parties: parties.into_iter().map(|(_, p)| p).collect(),
        margin: MARGIN,
        saved: Some(std::time::Instant::now()),
        ..Tally::new()
    };
    // The indexes derived from what is held, as the reads keep them.
    let mut named: HashMap<Name, BTreeSet<Name>> = HashMap::new();
    for (id, said) in &tally.reactions {
        for of in &said.refs {
            named.entry(of.clone()).or_default().insert(id.clone());
        }
    }
    tally.named = named;
    tally.index_patterns();
    tally.kept = Some(kept.join().map_err(|_| "the kept sums' thread failed".to_owned())??);
    Ok(tally)
}

/// A saved file's payload, its checksum, and the payload's three parts
/// ([`Head`]), after the header's checks.
fn parts(bytes: &[u8]) -> Result<(&[u8], &[u8], [&[u8]; 3]), String> {
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
    let mut rest = payload;
    let mut part = || -> Result<&[u8], String> {
        let n = rest.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())).ok_or("not readable: a part's length cut short")?;
        let n = usize::try_from(n).ok().filter(|n| rest.len() - 8 >= *n).ok_or("not readable: a part longer than the payload")?;
        let p = &rest[8..8 + n];
        rest = &rest[8 + n..];
        Ok(p)
    };
    let (head, holdings) = (part()?, part()?);
    Ok((payload, &bytes[20..HEADER], [head, holdings, rest]))
}

/// A temporary file this old in the tallies' folder is a save that never
/// finished (the process stopped while it wrote): removed by the next
/// save. An hour: a save takes seconds.
pub const STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the temporary files in `dir` last written [`STALE`] ago or
/// more (what a save that never finished left).
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age >= STALE);
        if name.starts_with('.') && name.ends_with(".tmp") && old {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!("removed {}, left by a save of the scorecard's tally that did not finish", entry.path().display()),
                Err(e) => tracing::warn!("could not remove {}: {e}", entry.path().display()),
            }
        }
    }
}

/// Writes `payload` behind its header to `file`: a temporary file beside
/// it, synced, renamed over it (the temporary files of saves that never
/// finished swept first). Returns the bytes written.
fn write(file: &Path, payload: &[u8]) -> std::io::Result<u64> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = file.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    sweep(dir);
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
