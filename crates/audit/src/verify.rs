//! Reading a release log back: [`verify`] checks the whole chain and stops
//! at the first wrong line; [`entries`] reads entries one by one.

use std::fmt;
use std::io::BufRead;

use crate::entry::{Decision, Digest, Entry, Head};

/// The first wrong line of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The 1-based line (and so the position of the entry that should be there).
    pub line: u64,
    /// What is wrong, for a person.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}: {}", self.line, self.what)
    }
}

/// What [`verify`] found. The counts and the head cover the intact entries
/// before the problem, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Intact entries.
    pub entries: u64,
    /// Of which releases.
    pub releases: u64,
    /// Of which denials.
    pub denials: u64,
    /// Of which withholdings and deletions (an agreement ended).
    pub retention: u64,
    /// Object versions released: the items of the releases.
    pub items_released: u64,
    /// The last intact entry's `(seq, hash)`; `None` for an empty log.
    pub head: Option<Head>,
    /// The first wrong line; `None` when the chain is intact.
    pub problem: Option<Problem>,
}

impl Report {
    /// No problem found.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks a whole log: each line is one complete, well-formed, canonical
/// entry whose hash matches its content, with `seq` = its line number and
/// `prev` = the hash of the line before. Never panics, whatever the bytes;
/// stops at the first problem.
pub fn verify(reader: impl BufRead) -> Report {
    let mut report = Report::default();
    let mut prev = Digest::ZERO;
    for (line, read) in (1u64..).zip(Lines::new(reader)) {
        let entry = match read.and_then(|bytes| parse_line(&bytes)) {
            Ok(e) => e,
            Err(what) => {
                report.problem = Some(Problem { line, what });
                return report;
            }
        };
        if let Err(what) = chain(&entry, line, prev) {
            report.problem = Some(Problem { line, what });
            return report;
        }
        prev = entry.hash;
        report.entries += 1;
        match entry.decision {
            Decision::Release => {
                report.releases += 1;
                report.items_released += entry.items.len() as u64;
            }
            Decision::Deny => report.denials += 1,
            Decision::Withhold | Decision::Delete => report.retention += 1,
        }
        report.head = Some(Head { seq: entry.seq, hash: entry.hash });
    }
    report
}

/// Whether `entry`, found at `line` after an entry hashed `prev`, continues the chain.
fn chain(entry: &Entry, line: u64, prev: Digest) -> Result<(), String> {
    let seq = entry.seq;
    if seq < line {
        let last = line - 1;
        return Err(if seq == last {
            format!("seq {seq} again: entry {seq} is duplicated")
        } else {
            format!("seq {seq} comes after seq {last}: entries duplicated or reordered")
        });
    }
    if seq > line {
        return Err(if seq == line + 1 {
            format!("seq {seq} where {line} was expected: entry {line} removed, or entries reordered")
        } else {
            format!("seq {seq} where {line} was expected: entries {line} to {} removed, or entries reordered", seq - 1)
        });
    }
    if entry.prev != prev {
        return Err(if line == 1 {
            "prev is not 64 zeros, so this is not the first entry of a log (entries removed from the start?)".to_owned()
        } else {
            format!("prev does not match the hash of entry {}: entries removed, replaced or reordered", line - 1)
        });
    }
    Ok(())
}

/// Parses one line (without its `\n`) and checks it on its own: JSON
/// shape, canonical form, hash, and the rules every entry keeps.
pub(crate) fn parse_line(bytes: &[u8]) -> Result<Entry, String> {
    if bytes.is_empty() {
        return Err("blank line".to_owned());
    }
    let entry: Entry = serde_json::from_slice(bytes).map_err(|e| format!("malformed: {e}"))?;
    entry.check().map_err(|e| format!("malformed: {e}"))?;
    if entry.content_hash() != entry.hash {
        return Err("hash does not match its content (edited?)".to_owned());
    }
    if entry.to_line().as_bytes() != bytes {
        return Err("not in the canonical form: spacing, member order or escapes changed (edited?)".to_owned());
    }
    Ok(entry)
}

/// Lines of a reader, each without its `\n`; a last line without one is an
/// error, as is a read error.
struct Lines<R> {
    reader: R,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines { reader, done: false }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<Vec<u8>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) if buf.last() == Some(&b'\n') => {
                buf.pop();
                Some(Ok(buf))
            }
            Ok(_) => {
                self.done = true;
                Some(Err("incomplete line: no newline at its end (a write cut short?)".to_owned()))
            }
            Err(e) => {
                self.done = true;
                Some(Err(format!("cannot read: {e}")))
            }
        }
    }
}

/// Entries of a log, each checked on its own (well-formed, canonical, its
/// hash matching its content) but not against the chain; see [`entries`].
pub struct Entries<R> {
    lines: std::iter::Zip<std::ops::RangeFrom<u64>, Lines<R>>,
    failed: bool,
}

impl<R: BufRead> Iterator for Entries<R> {
    type Item = Result<Entry, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (line, read) = self.lines.next()?;
        let item = read.and_then(|b| parse_line(&b)).map_err(|what| Problem { line, what });
        self.failed = item.is_err();
        Some(item)
    }
}

/// Reads entries one by one, for listing and searching; stops after the
/// first line that cannot be read as an entry. Use [`verify`] to check the
/// chain.
pub fn entries<R: BufRead>(reader: R) -> Entries<R> {
    Entries { lines: (1u64..).zip(Lines::new(reader)), failed: false }
}
