//! The release log: an append-only, hash-chained record of every disclosure
//! a node makes, and the verifier that checks it.
//!
//! Every time a node lets intelligence out — one TAXII page, one API
//! response, one export — or refuses an explicit request, it appends one
//! [`Entry`] to the log. One entry carries every object version disclosed
//! in that event, so the chain costs one hash per page, not per object.
//! This crate knows no HTTP, SQL or async runtime: it writes a file with
//! `std::fs`, and reads any [`std::io::BufRead`].
//!
//! # The format (stable: partners will witness it)
//!
//! The log is a file of JSON Lines, UTF-8, each line ended by `\n` (no
//! `\r`), one entry per line, nothing else — no blank lines, no comments:
//!
//! ```text
//! {"seq":1,"time":"2026-11-26T10:00:00.123456Z","recipient":"identity--…","channel":"taxii","decision":"release","items":[{"object":"indicator--…","version":"2026-…Z","agreement":"x-entente-agreement--…"}],"prev":"000…000","hash":"3f5a…"}
//! {"seq":2,"time":"2026-11-26T10:00:01.000002Z","recipient":"identity--…","channel":"api","decision":"deny","reason":"no agreement in force covers it","items":[{"object":"report--…","version":"2026-…Z"}],"prev":"3f5a…","hash":"9c0d…"}
//! ```
//!
//! The members, always in this order, written compactly (no whitespace
//! between tokens) as `serde_json` writes them:
//!
//! | member      | value |
//! |-------------|-------|
//! | `seq`       | integer: 1 for the first entry, then +1 each entry (so entry *n* is line *n*) |
//! | `time`      | STIX timestamp (RFC 3339, UTC, `Z`) of the disclosure |
//! | `recipient` | STIX id of the partner (`identity--…`) that received or was refused |
//! | `channel`   | the path out: `taxii`, `api`, `export`, `sync`, … (1 to 32 printable ASCII characters, no space) |
//! | `decision`  | `"release"`; `"deny"` (an explicit request that was refused); `"withhold"` (what the recipient holds from another node stops going anywhere else: the agreement it came under ended); `"delete"` (what the recipient held was deleted when that agreement's retention period was over) |
//! | `reason`    | for every decision but `"release"`: why, for a person (non-empty); absent for a release |
//! | `items`     | array, possibly empty, of `{"object": id, "version": timestamp, "agreement": id}`; `agreement` is absent when no agreement was needed (the recipient is the author) or, in a denial, none applied |
//! | `prev`      | 64 lowercase hex digits: the `hash` of the previous entry; 64 zeros for entry 1 |
//! | `hash`      | 64 lowercase hex digits: see below |
//!
//! Strings are escaped as `serde_json` escapes them: `\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, other control characters as `\u00XX` (lowercase hex),
//! everything else (non-ASCII included) written as UTF-8 as is.
//!
//! # The hash rule
//!
//! `hash` is the lowercase hex SHA-256 of the exact bytes of the entry's
//! JSON serialization *without* the `hash` member: the line with its final
//! `,"hash":"<64 hex>"` removed, so that it ends in `"prev":"<64 hex>"}`.
//! Because `hash` is always the last member, an auditor can check a line
//! without re-serialising any JSON; here is the whole chain check in Python:
//!
//! ```python
//! import hashlib, json, sys
//!
//! prev, seq = "0" * 64, 0
//! for line in open(sys.argv[1], "rb"):
//!     seq += 1
//!     assert line.endswith(b"\n"), f"entry {seq}: incomplete line"
//!     line = line[:-1]
//!     entry = json.loads(line)
//!     cut = line.rindex(b',"hash":"')
//!     assert line[cut:] == b',"hash":"%s"}' % entry["hash"].encode(), f"entry {seq}: hash not last"
//!     assert hashlib.sha256(line[:cut] + b"}").hexdigest() == entry["hash"], f"entry {seq}: edited"
//!     assert entry["seq"] == seq and entry["prev"] == prev, f"entry {seq}: removed or reordered"
//!     prev = entry["hash"]
//! print(f"{seq} entries, head seq={seq} hash={prev}: chain intact")
//! ```
//!
//! [`verify`] checks that and more: each line must also be in the canonical
//! form above (the bytes this crate would write for the same entry, so
//! there is exactly one way to write an entry and no room for duplicate
//! members or reformatting), with valid ids and timestamps, and a `reason`
//! exactly when the decision is a denial.
//!
//! # What verification detects, and what it cannot
//!
//! [`verify`] reads the log from the start and stops at the first line that
//! is wrong, naming it (1-based) in [`Problem`]:
//!
//! - an **edited** entry: its hash no longer matches its content (or the
//!   line is no longer well-formed or canonical);
//! - a **removed** entry (first, middle): a `seq` gap, and the next entry's
//!   `prev` no longer matches;
//! - **reordered** or **duplicated** entries: `seq` out of order;
//! - a **malformed** line (not JSON, unknown or missing members, bad ids,
//!   bad UTF-8, a blank line) or an **incomplete** last line (no `\n`).
//!
//! Rewriting the whole chain from some entry on (recomputing every hash
//! after an edit) is detected only against a head recorded elsewhere; and
//! **truncating the tail** (removing the last entries) leaves a valid,
//! shorter chain that no chain alone can tell from a log that was never
//! longer. That is why the head — `(seq, hash)` of the last entry, see
//! [`ReleaseLog::head`] — is what partners will witness: a witnessed head
//! the log no longer reaches, or no longer contains, proves tampering.
//!
//! # Writing, durability and crashes
//!
//! [`ReleaseLog::append`] writes each entry as one line straight to a file
//! opened for appending (no buffer in the process), so the line is with the
//! operating system when it returns; it does not `fsync`.
//! [`ReleaseLog::sync`] (or [`SharedLog::sync`], which does not block
//! appends) forces the data to disk: the server is to call it on a timer and
//! at shutdown. A failed write is rolled back (the file is cut back to its
//! last complete line); if even that fails, the log refuses further appends,
//! so a caller that releases only after a successful append fails closed.
//!
//! [`ReleaseLog::open`] does not repair anything. It finds the head from the
//! last line; if that line is incomplete or damaged (a crash or power loss
//! during a write), opening fails with [`Error::Damaged`] naming the line,
//! and the bytes stay where they are as evidence. An operator runs
//! `entente audit verify`, keeps a copy of the file, and removes the damaged
//! tail by hand before restarting. Open reads only the end of the file, so
//! it takes no longer for a log of gigabytes: the last line must be
//! complete, hashed right, and continue the line before it (or be entry 1);
//! when it is not, open reads the whole file to name the line at fault. A
//! full check of every line and link is [`verify`].
//!
//! Within a process, threads share a [`SharedLog`]. Several processes may
//! append to one log (the server, and `entente export` run beside it):
//! each append holds the file's advisory lock (`File::lock`) while it reads
//! the entries other processes appended since (checking that they continue
//! its chain) and writes its own after them, so two processes never chain
//! to the same head.

mod entry;
mod error;
mod log;
mod newest;
mod verify;

pub use entry::{Decision, Digest, Draft, Entry, Head, Item, Items};
pub use error::Error;
pub use log::{ReleaseLog, SharedLog};
pub use newest::{newest_first, NewestFirst};
pub use verify::{entries, verify, Entries, Problem, Report};

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
