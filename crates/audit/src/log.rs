//! Writing the release log: [`ReleaseLog`] owns the file and the head;
//! [`SharedLog`] lets many threads append to one log.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::entry::{seal_line, Draft, Head};
use crate::verify::parse_line;
use crate::{Error, Result};

/// The release log file, open for appending.
#[derive(Debug)]
pub struct ReleaseLog {
    path: PathBuf,
    file: File,
    head: Head,
    /// Bytes of complete lines: where to cut back to after a failed write.
    len: u64,
    broken: bool,
}

impl ReleaseLog {
    /// Opens the log at `path`, creating an empty one (mode 0600) if there
    /// is none. An existing log is read to its end to find the head; its
    /// last line must be complete, well-formed, canonical, hashed right and
    /// numbered as its line, else [`Error::Damaged`] names the line and the
    /// file is left as it is (see the crate doc, "Writing, durability and
    /// crashes").
    pub fn open(path: impl AsRef<Path>) -> Result<ReleaseLog> {
        let path = path.as_ref().to_path_buf();
        let mut opts = OpenOptions::new();
        opts.read(true).append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(|e| Error::io(&path, e))?;
        let (head, len) = find_head(&file, &path)?;
        Ok(ReleaseLog { path, file, head, len, broken: false })
    }

    /// Records `draft` as the next entry: first takes in any entries another
    /// process appended meanwhile (checked, see the crate doc), then numbers
    /// it, chains it to the head, hashes it and writes it as one line
    /// straight to the file (no buffer in this process), so it is with the
    /// operating system on return; it is on disk after [`ReleaseLog::sync`]. A failed write is cut back off the
    /// file; if that fails too, every later append fails with
    /// [`Error::Broken`]. Returns the new head (the entry's `seq` and `hash`).
    pub fn append(&mut self, draft: Draft) -> Result<Head> {
        if self.broken {
            return Err(Error::Broken { path: self.path.clone() });
        }
        // Other processes (the server, `entente export`) append to the same
        // file: hold its advisory lock from catching up to writing, so two
        // appends never chain to the same head.
        self.file.lock().map_err(|e| Error::io(&self.path, e))?;
        let written = self.catch_up().and_then(|()| self.write(draft));
        let unlocked = self.file.unlock().map_err(|e| Error::io(&self.path, e));
        let head = written?;
        unlocked?;
        Ok(head)
    }

    fn write(&mut self, draft: Draft) -> Result<Head> {
        let (head, mut line) = seal_line(&draft, self.head.seq + 1, self.head.hash).map_err(Error::Invalid)?;
        line.push(b'\n');
        if let Err(e) = (&self.file).write_all(&line) {
            if self.file.set_len(self.len).is_err() {
                self.broken = true;
            }
            return Err(Error::io(&self.path, e));
        }
        self.len += line.len() as u64;
        self.head = head;
        Ok(head)
    }

    /// Takes in the entries another process appended since this one last
    /// wrote (an `entente export` while the server runs), checking that
    /// they continue the chain; costs one `fstat` when there are none.
    fn catch_up(&mut self) -> Result<()> {
        let size = self.file.metadata().map_err(|e| Error::io(&self.path, e))?.len();
        if size == self.len {
            return Ok(());
        }
        let damaged = |line: u64, what: &str| Error::Damaged { path: self.path.clone(), line, what: what.to_owned() };
        if size < self.len {
            return Err(damaged(self.head.seq, "the file is shorter than this process wrote it (truncated?)"));
        }
        let mut file = &self.file;
        file.seek(SeekFrom::Start(self.len)).map_err(|e| Error::io(&self.path, e))?;
        let mut reader = BufReader::new(file.take(size - self.len));
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(|e| Error::io(&self.path, e))?;
            if n == 0 {
                return Ok(());
            }
            let line = self.head.seq + 1;
            if buf.pop() != Some(b'\n') {
                return Err(damaged(line, "incomplete line appended by another process"));
            }
            let entry = parse_line(&buf).map_err(|what| damaged(line, &what))?;
            if entry.seq != line || entry.prev != self.head.hash {
                return Err(damaged(line, "an entry appended by another process does not continue the chain"));
            }
            self.head = Head { seq: entry.seq, hash: entry.hash };
            self.len += n as u64;
        }
    }

    /// Forces the entries written so far to disk (`fsync` of the data).
    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    /// The last entry's `(seq, hash)`; [`Head::EMPTY`] for an empty log.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads the file to its end: the head and the length of its complete lines.
/// Finds the head and the length of a log. It reads from the end only as
/// far back as the last two lines, however long the log (a busy node's
/// grows by gigabytes, and every start and every `entente export` opens
/// it): the last line must be complete and sound and continue the line
/// before it (`seq` one more, `prev` that line's hash), or be a first entry.
/// Anything else, and the whole file is read to name the line at fault.
/// Checking every line is [`crate::verify`]'s work.
fn find_head(file: &File, path: &Path) -> Result<(Head, u64)> {
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Ok((Head::EMPTY, 0));
    }
    match head_from_tail(file, path, len)? {
        Some(head) => Ok((head, len)),
        None => scan_for_head(file, path),
    }
}

/// The head from the log's last two lines, if they are a sound pair.
fn head_from_tail(file: &File, path: &Path, len: u64) -> Result<Option<Head>> {
    const CHUNK: u64 = 1 << 16;
    let (mut tail, mut start) = (Vec::new(), len);
    // Back to the start of the line before the last (three newlines), or
    // to the start of the file; each read twice the last.
    while start > 0 && tail.iter().filter(|b| **b == b'\n').count() < 3 {
        let from = start.saturating_sub(CHUNK.max(tail.len() as u64));
        let mut chunk = vec![0; (start - from) as usize];
        let mut f = file;
        f.seek(SeekFrom::Start(from)).and_then(|_| f.read_exact(&mut chunk)).map_err(|e| Error::io(path, e))?;
        chunk.extend_from_slice(&tail);
        (tail, start) = (chunk, from);
    }
    let Some(body) = tail.strip_suffix(b"\n") else { return Ok(None) };
    let (before, last) = match body.iter().rposition(|b| *b == b'\n') {
        Some(i) => (Some(&body[..i]), &body[i + 1..]),
        None => (None, body),
    };
    let Ok(entry) = parse_line(last) else { return Ok(None) };
    let continues = match before {
        None => entry.seq == 1 && entry.prev == Head::EMPTY.hash,
        Some(before) => {
            let previous = before.iter().rposition(|b| *b == b'\n').map_or(before, |i| &before[i + 1..]);
            parse_line(previous).is_ok_and(|p| entry.seq == p.seq + 1 && entry.prev == p.hash)
        }
    };
    Ok(continues.then_some(Head { seq: entry.seq, hash: entry.hash }))
}

/// The head found by reading every line, naming the line at fault.
fn scan_for_head(file: &File, path: &Path) -> Result<(Head, u64)> {
    let mut f = file;
    f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let (mut last, mut buf) = (Vec::new(), Vec::new());
    let (mut lines, mut len) = (0u64, 0u64);
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        lines += 1;
        len += n as u64;
        if buf.last() != Some(&b'\n') {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                line: lines,
                what: "incomplete line: no newline at its end (a write cut short?)".to_owned(),
            });
        }
        std::mem::swap(&mut last, &mut buf);
    }
    if lines == 0 {
        return Ok((Head::EMPTY, 0));
    }
    last.pop();
    let damaged = |what| Error::Damaged { path: path.to_path_buf(), line: lines, what };
    let entry = parse_line(&last).map_err(damaged)?;
    if entry.seq != lines {
        return Err(damaged(format!(
            "the last entry has seq {} but is line {lines}: entries removed, duplicated or reordered",
            entry.seq
        )));
    }
    Ok((Head { seq: entry.seq, hash: entry.hash }, len))
}

/// One release log shared by many threads: appends are serialised by a
/// mutex; [`SharedLog::sync`] syncs through its own handle, without waiting
/// for appends. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SharedLog {
    log: Arc<Mutex<ReleaseLog>>,
    syncer: Arc<File>,
    path: Arc<Path>,
}

impl SharedLog {
    /// Opens the log at `path` ([`ReleaseLog::open`]) for sharing.
    pub fn open(path: impl AsRef<Path>) -> Result<SharedLog> {
        SharedLog::new(ReleaseLog::open(path)?)
    }

    /// Shares an open log.
    pub fn new(log: ReleaseLog) -> Result<SharedLog> {
        let syncer = log.file.try_clone().map_err(|e| Error::io(&log.path, e))?;
        let path = Arc::from(log.path.as_path());
        Ok(SharedLog { log: Arc::new(Mutex::new(log)), syncer: Arc::new(syncer), path })
    }

    /// [`ReleaseLog::append`], from any thread. Fails with
    /// [`Error::Poisoned`] once a thread has panicked while appending.
    pub fn append(&self, draft: Draft) -> Result<Head> {
        self.log.lock().map_err(|_| Error::Poisoned)?.append(draft)
    }

    /// Forces the entries written so far to disk, without blocking appends.
    pub fn sync(&self) -> Result<()> {
        self.syncer.sync_data().map_err(|e| Error::io(&self.path, e))
    }

    /// The current head.
    pub fn head(&self) -> Result<Head> {
        Ok(self.log.lock().map_err(|_| Error::Poisoned)?.head())
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
