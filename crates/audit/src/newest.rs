//! The log read newest first, a block at a time from its end: a page of
//! the newest entries costs what it shows, not the whole log (the admin's
//! release-log viewer). Each line is checked as [`crate::entries`] checks
//! it (parsed, its hash, its canonical form); the chain is [`crate::verify`]'s.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use crate::verify::parse_line;
use crate::{Entry, Problem};

/// How much is read from the end at a time.
const BLOCK: u64 = 64 * 1024;

/// Entries newest first ([`newest_first`]). A line that cannot be read as
/// an entry comes as a [`Problem`] naming it by its position from the end
/// (1 for the last line), and reading goes on with the line before it.
pub struct NewestFirst {
    file: File,
    /// Where the bytes not read yet end.
    pos: u64,
    /// The start of a line whose beginning is before `pos`.
    carry: Vec<u8>,
    /// Whole lines read, oldest first (taken from the end).
    ready: Vec<Vec<u8>>,
    /// Lines given so far.
    given: u64,
    /// Whether the file's last byte was looked at.
    looked_at_end: bool,
}

/// Reads `file`'s entries newest first.
///
/// # Errors
/// The file's length cannot be read.
pub fn newest_first(file: File) -> std::io::Result<NewestFirst> {
    let pos = file.metadata()?.len();
    Ok(NewestFirst { file, pos, carry: Vec::new(), ready: Vec::new(), given: 0, looked_at_end: false })
}

impl NewestFirst {
    fn problem(&mut self, what: String) -> Problem {
        self.given += 1;
        Problem { line: self.given, what: format!("{what} (counting from the end)") }
    }

    /// Reads the block before `pos` into `ready` (and `carry`).
    fn read_block(&mut self) -> Result<Option<Problem>, Problem> {
        let n = BLOCK.min(self.pos);
        self.pos -= n;
        let mut block = vec![0; usize::try_from(n).unwrap_or(usize::MAX)];
        let read = self.file.seek(SeekFrom::Start(self.pos)).and_then(|_| self.file.read_exact(&mut block));
        if let Err(e) = read {
            self.pos = 0;
            self.carry.clear();
            return Err(self.problem(format!("reading the log: {e}")));
        }
        let mut cut = None;
        if !self.looked_at_end {
            self.looked_at_end = true;
            if block.last() == Some(&b'\n') {
                block.pop();
            } else if !block.is_empty() {
                // The last write was cut short: name it, then read on.
                let start = block.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                block.truncate(start.saturating_sub(1));
                if start == 0 {
                    block.clear();
                }
                cut = Some(self.problem("incomplete line: no newline at its end (a write cut short?)".to_owned()));
            }
        }
        block.extend_from_slice(&self.carry);
        let mut lines = block.split(|b| *b == b'\n').map(<[u8]>::to_vec);
        self.carry = lines.next().unwrap_or_default();
        self.ready = lines.collect();
        Ok(cut)
    }
}

impl Iterator for NewestFirst {
    type Item = Result<Entry, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(line) = self.ready.pop() {
                self.given += 1;
                let given = self.given;
                return Some(parse_line(&line).map_err(|what| Problem { line: given, what: format!("{what} (counting from the end)") }));
            }
            if self.pos == 0 {
                if self.carry.is_empty() {
                    return None;
                }
                self.ready.push(std::mem::take(&mut self.carry));
                continue;
            }
            match self.read_block() {
                Ok(None) => {}
                Ok(Some(cut)) => return Some(Err(cut)),
                Err(p) => return Some(Err(p)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use model::{StixId, Timestamp};
    use proptest::prelude::*;

    use crate::{Draft, Item, ReleaseLog};

    /// A log of entries carrying `sizes[i]` items each (lines from a few
    /// hundred bytes to several blocks long).
    fn log(sizes: &[usize]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("release.log");
        let mut log = ReleaseLog::open(&path).unwrap();
        let who = StixId::parse("identity--00000000-0000-4000-8000-000000000001").unwrap();
        for (n, size) in sizes.iter().enumerate() {
            let items: Vec<Item> = (0..*size)
                .map(|i| Item { object: StixId::parse(&format!("indicator--00000000-0000-4000-8000-{:012}", n * 1000 + i)).unwrap(), version: Timestamp::parse("2026-11-01T00:00:00Z").unwrap(), agreement: None })
                .collect();
            log.append(Draft::release(who.clone(), "taxii", items)).unwrap();
        }
        log.sync().unwrap();
        (dir, path)
    }

    fn seqs_newest_first(path: &std::path::Path) -> Vec<Result<u64, String>> {
        super::newest_first(std::fs::File::open(path).unwrap()).unwrap().map(|r| r.map(|e| e.seq).map_err(|p| p.to_string())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Newest first is the forward reading reversed, whatever the lines'
        /// lengths against the blocks.
        #[test]
        fn newest_first_is_the_log_reversed(sizes in proptest::collection::vec(prop_oneof![0usize..4, 300usize..1500], 0..60)) {
            let (_dir, path) = log(&sizes);
            let forward: Vec<u64> = crate::entries(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).map(|e| e.unwrap().seq).collect();
            let backward: Vec<u64> = seqs_newest_first(&path).into_iter().map(Result::unwrap).collect();
            prop_assert_eq!(forward.len(), sizes.len());
            prop_assert_eq!(backward, forward.into_iter().rev().collect::<Vec<_>>());
        }
    }

    /// A last write cut short and an edited line are named, counting from
    /// the end, and the entries before them are still read.
    #[test]
    fn damaged_lines_are_named_and_the_rest_read() {
        let (_dir, path) = log(&[1, 2, 3]);
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replacen("\"taxii\"", "\"TAXII\"", 1);
        std::fs::write(&path, edited).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"seq\":4,").unwrap();
        let read = seqs_newest_first(&path);
        assert_eq!(read.len(), 4, "{read:?}");
        assert!(read[0].as_ref().is_err_and(|e| e.starts_with("entry 1: incomplete line")), "{read:?}");
        assert_eq!(read[1..3], [Ok(3), Ok(2)]);
        assert!(read[3].as_ref().is_err_and(|e| e.starts_with("entry 4: hash does not match") && e.ends_with("(counting from the end)")), "{read:?}");
    }
}
