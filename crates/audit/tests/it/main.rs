//! Integration tests of the release log: append and verify; every kind of
//! tampering named at its line; random mutations; reopening; many threads.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use audit::{Decision, Digest, Draft, Entry, Head, Item, ReleaseLog, Report, SharedLog};
use model::{StixId, Timestamp};
use proptest::prelude::*;

fn id(ty: &str, n: u64) -> StixId {
    StixId::parse(&format!("{ty}--00000000-0000-4000-8000-{n:012}")).unwrap()
}

/// The `n`th test draft: mostly releases of a few items, every fourth a denial.
fn draft(n: u64) -> Draft {
    let items = (0..n % 3 + 1)
        .map(|k| Item {
            object: id("indicator", 100 * n + k),
            version: Timestamp::from_micros(1_790_000_000_000_000 + (n * 10 + k) as i64),
            agreement: (k % 2 == 0).then(|| id("x-entente-agreement", 7)),
        })
        .collect::<Vec<Item>>();
    let recipient = id("identity", n % 2 + 1);
    let mut d = if n % 4 == 3 {
        Draft::deny(recipient, "api", "no agreement in force covers it", items)
    } else {
        Draft::release(recipient, "taxii", items)
    };
    d.time = Timestamp::from_micros(1_795_000_000_000_000 + n as i64);
    d
}

/// Writes a log of `n` entries in `dir`; returns its path and its lines (each with `\n`).
fn build(dir: &Path, n: u64) -> (PathBuf, Vec<String>) {
    let path = dir.join("release.log");
    let mut log = ReleaseLog::open(&path).unwrap();
    for k in 1..=n {
        log.append(draft(k)).unwrap();
    }
    log.sync().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text.split_inclusive('\n').map(str::to_owned).collect())
}

fn verify(lines: &[String]) -> Report {
    audit::verify(lines.concat().as_bytes())
}

/// Verifies `lines` and expects a problem at `line` whose text contains `what`.
fn check(lines: &[String], line: u64, what: &str) {
    let r = verify(lines);
    let p = r.problem.as_ref().unwrap_or_else(|| panic!("no problem found in:\n{}", lines.concat()));
    assert_eq!(p.line, line, "{p}");
    assert!(p.what.contains(what), "{p:?} does not say {what:?}");
    assert_eq!(r.entries, line - 1, "{r:?}");
}

#[test]
fn an_appended_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.log");
    let mut log = ReleaseLog::open(&path).unwrap();
    assert_eq!(log.head(), Head::EMPTY);
    for k in 1..=8 {
        let head = log.append(draft(k)).unwrap();
        assert_eq!(head.seq, k);
        assert_eq!(log.head(), head);
    }
    // Each line reads back as the entry drafted, chained to the one before.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut prev = Digest::ZERO;
    for (k, line) in (1..).zip(text.lines()) {
        let e: Entry = serde_json::from_str(line).unwrap();
        let d = draft(k);
        assert_eq!((e.seq, e.prev, &e.recipient, &e.channel, e.decision), (k, prev, &d.recipient, &d.channel, d.decision));
        assert_eq!(e.items.iter().collect::<audit::Items>(), d.items);
        assert_eq!(e.hash, e.content_hash());
        assert_eq!(e.to_line(), line);
        prev = e.hash;
    }
    let report = audit::verify(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    assert_eq!(
        report,
        Report { entries: 8, releases: 6, denials: 2, retention: 0, items_released: 14, head: Some(log.head()), problem: None }
    );
    assert_eq!(log.head().seq, 8);
    assert_eq!(audit::verify(&b""[..]), Report::default());
}

#[test]
fn entries_read_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 5);
    let read: Vec<Entry> = audit::entries(lines.concat().as_bytes()).map(Result::unwrap).collect();
    assert_eq!(read.len(), 5);
    assert_eq!(read[2].decision, Decision::Deny);
    assert_eq!(read[2].reason.as_deref(), Some("no agreement in force covers it"));
    assert_eq!(read[1].items[0].agreement, Some(id("x-entente-agreement", 7)));
    assert_eq!(read[1].items[1].agreement, None);
    for (e, line) in read.iter().zip(&lines) {
        assert_eq!(format!("{}\n", e.to_line()), *line);
    }
}

#[test]
fn an_edited_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 5);
    // One character of an item's object id.
    let mut l = lines.clone();
    l[2] = l[2].replacen("-000000000300", "-000000000301", 1);
    assert_ne!(l, lines);
    check(&l, 3, "hash does not match its content (edited?)");
    // The recipient.
    let mut l = lines.clone();
    l[1] = l[1].replace("identity--00000000-0000-4000-8000-000000000001", "identity--00000000-0000-4000-8000-000000000002");
    assert_ne!(l, lines);
    check(&l, 2, "hash does not match its content");
    // A denial turned into a release, reason dropped.
    let mut l = lines.clone();
    l[2] = l[2].replace(r#""decision":"deny","reason":"no agreement in force covers it""#, r#""decision":"release""#);
    assert_ne!(l, lines);
    check(&l, 3, "hash does not match its content");
    // The hash itself.
    let mut l = lines.clone();
    let cut = l[4].rfind('"').unwrap() - 1;
    let flipped = if &l[4][cut..cut + 1] == "0" { "1" } else { "0" };
    l[4].replace_range(cut..cut + 1, flipped);
    check(&l, 5, "hash does not match its content");
    // Same content, other spacing.
    let mut l = lines.clone();
    l[0] = l[0].replacen(",", ", ", 1);
    check(&l, 1, "not in the canonical form");
    // A member added.
    let mut l = lines.clone();
    l[3] = l[3].replacen("{", r#"{"note":"x","#, 1);
    check(&l, 4, "malformed: unknown field `note`");
}

#[test]
fn a_removed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 6);
    let mut l = lines.clone();
    l.remove(3);
    check(&l, 4, "seq 5 where 4 was expected: entry 4 removed");
    let mut l = lines.clone();
    l.drain(1..4);
    check(&l, 2, "entries 2 to 4 removed");
    let mut l = lines.clone();
    l.remove(0);
    check(&l, 1, "seq 2 where 1 was expected");
}

#[test]
fn reordered_and_duplicated_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 6);
    let mut l = lines.clone();
    l.swap(1, 4);
    check(&l, 2, "seq 5 where 2 was expected");
    let mut l = lines.clone();
    l.swap(4, 5);
    check(&l, 5, "seq 6 where 5 was expected");
    let mut l = lines.clone();
    l.insert(3, l[2].clone());
    check(&l, 4, "seq 3 again: entry 3 is duplicated");
    let mut l = lines.clone();
    l.push(l[1].clone());
    check(&l, 7, "seq 2 comes after seq 6");
}

#[test]
fn malformed_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 4);
    for (bad, what) in [
        ("{not json\n", "malformed: key must be a string"),
        ("\n", "blank line"),
        ("[1,2]\n", "malformed"),
        ("{\"seq\":2}\n", "malformed: missing field `time`"),
        ("\u{0}\u{1}\u{2}\n", "malformed"),
    ] {
        let mut l = lines.clone();
        l[1] = bad.to_owned();
        check(&l, 2, what);
    }
    // Bad UTF-8.
    let mut bytes = lines.concat().into_bytes();
    let at = lines[0].len() + 20;
    bytes[at] = 0xff;
    let r = audit::verify(&bytes[..]);
    assert_eq!(r.problem.map(|p| p.line), Some(2));
    // Windows line ends.
    let mut l = lines.clone();
    l[2] = l[2].replace('\n', "\r\n");
    check(&l, 3, "not in the canonical form");
    // A last line cut short, or without its newline.
    let mut l = lines.clone();
    l[3].truncate(40);
    check(&l, 4, "incomplete line");
    let mut l = lines.clone();
    l[3].pop();
    check(&l, 4, "incomplete line");
}

/// The documented limit: removing the tail leaves a valid, shorter chain.
/// Only a head recorded elsewhere tells.
#[test]
fn a_truncated_tail_is_a_valid_chain_only_a_witnessed_head_tells() {
    let dir = tempfile::tempdir().unwrap();
    let (_, lines) = build(dir.path(), 5);
    let full = verify(&lines);
    let cut = verify(&lines[..3]);
    assert!(cut.is_intact());
    assert_eq!(cut.entries, 3);
    assert_ne!(cut.head, full.head);
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path(), 3);
    let head = {
        let log = ReleaseLog::open(&path).unwrap();
        assert_eq!(log.head().seq, 3);
        log.head()
    };
    let mut log = ReleaseLog::open(&path).unwrap();
    assert_eq!(log.head(), head);
    let e = log.append(draft(4)).unwrap();
    assert_eq!(e.seq, 4);
    log.append(draft(5)).unwrap();
    drop(log);
    let text = std::fs::read(&path).unwrap();
    let r = audit::verify(&text[..]);
    assert!(r.is_intact(), "{r:?}");
    assert_eq!(r.entries, 5);
}

#[test]
fn entries_another_process_appended_are_taken_in() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = build(dir.path(), 2);
    let mut server = ReleaseLog::open(&path).unwrap();
    let mut export = ReleaseLog::open(&path).unwrap();
    server.append(draft(3)).unwrap();
    export.append(draft(4)).unwrap();
    export.append(draft(5)).unwrap();
    let e = server.append(draft(6)).unwrap();
    assert_eq!(e.seq, 6);
    let r = audit::verify(&std::fs::read(&path).unwrap()[..]);
    assert!(r.is_intact(), "{r:?}");
    assert_eq!(r.head, Some(server.head()));
    // Something appended that does not continue the chain is refused.
    let mut other = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut other, b"{\"seq\":7}\n").unwrap();
    let err = server.append(draft(7)).unwrap_err();
    assert!(err.to_string().contains("line 7: malformed"), "{err}");
}

#[test]
fn opening_a_damaged_log_names_the_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, lines) = build(dir.path(), 3);
    // A torn last line, as a crash mid-write leaves it.
    let torn = format!("{}{}", lines.concat(), &lines[2][..50]);
    std::fs::write(&path, &torn).unwrap();
    let err = ReleaseLog::open(&path).unwrap_err();
    assert!(matches!(err, audit::Error::Damaged { line: 4, .. }), "{err}");
    assert!(err.to_string().contains("line 4: incomplete line"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), torn);
    // A last line that does not continue the line before it.
    std::fs::write(&path, format!("{}{}", lines[0], lines[2])).unwrap();
    let err = ReleaseLog::open(&path).unwrap_err();
    assert!(err.to_string().contains("line 2: the last entry has seq 3"), "{err}");
    // A lone line that is not a first entry.
    std::fs::write(&path, &lines[2]).unwrap();
    let err = ReleaseLog::open(&path).unwrap_err();
    assert!(err.to_string().contains("line 1: the last entry has seq 3"), "{err}");
    // Open reads only the tail: a gap further back (the first entry cut
    // out) is for `verify` to find, and it does.
    std::fs::write(&path, lines[1..].concat()).unwrap();
    assert_eq!(ReleaseLog::open(&path).unwrap().head().seq, 3);
    assert!(!audit::verify(&std::fs::read(&path).unwrap()[..]).is_intact());
    // An edited last line.
    std::fs::write(&path, lines.concat().replace("covers it", "covers it!")).unwrap();
    let err = ReleaseLog::open(&path).unwrap_err();
    assert!(err.to_string().contains("line 3: hash does not match"), "{err}");
}

#[test]
fn bad_drafts_are_refused_and_leave_the_log_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (path, lines) = build(dir.path(), 2);
    let mut log = ReleaseLog::open(&path).unwrap();
    let mut d = draft(3);
    d.decision = Decision::Deny;
    d.reason = None;
    assert!(matches!(log.append(d), Err(audit::Error::Invalid(_))));
    assert_eq!(log.head().seq, 2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), lines.concat());
}

#[test]
fn many_threads_append_to_one_shared_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.log");
    let log = SharedLog::open(&path).unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let log = log.clone();
            s.spawn(move || {
                for k in 0..25 {
                    log.append(draft(t * 100 + k)).unwrap();
                    if k % 10 == 0 {
                        log.sync().unwrap();
                    }
                }
            });
        }
    });
    let r = audit::verify(&std::fs::read(&path).unwrap()[..]);
    assert!(r.is_intact(), "{r:?}");
    assert_eq!(r.entries, 200);
    assert_eq!(r.head, Some(log.head().unwrap()));
}

/// A small log, built once, as lines with their `\n`.
fn sample() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (_, lines) = build(dir.path(), 6);
        lines.into_iter().map(String::into_bytes).collect()
    })
}

/// One change to one line (or to the order of lines).
#[derive(Debug, Clone)]
enum Mutation {
    SetByte(prop::sample::Index, prop::sample::Index, u8),
    InsertByte(prop::sample::Index, prop::sample::Index, u8),
    DeleteByte(prop::sample::Index, prop::sample::Index),
    Truncate(prop::sample::Index, prop::sample::Index),
    DeleteLine(prop::sample::Index),
    DuplicateLine(prop::sample::Index, prop::sample::Index),
    Swap(prop::sample::Index, prop::sample::Index),
    InsertLine(prop::sample::Index, Vec<u8>),
    ReplaceLine(prop::sample::Index, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    let i = || any::<Index>();
    prop_oneof![
        (i(), i(), any::<u8>()).prop_map(|(a, b, c)| Mutation::SetByte(a, b, c)),
        (i(), i(), any::<u8>()).prop_map(|(a, b, c)| Mutation::InsertByte(a, b, c)),
        (i(), i()).prop_map(|(a, b)| Mutation::DeleteByte(a, b)),
        (i(), i()).prop_map(|(a, b)| Mutation::Truncate(a, b)),
        i().prop_map(Mutation::DeleteLine),
        (i(), i()).prop_map(|(a, b)| Mutation::DuplicateLine(a, b)),
        (i(), i()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (i(), prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(a, b)| Mutation::InsertLine(a, b)),
        (i(), prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(a, b)| Mutation::ReplaceLine(a, b)),
    ]
}

fn apply(lines: &[Vec<u8>], m: &Mutation) -> Vec<u8> {
    let mut l = lines.to_vec();
    let n = l.len();
    match m {
        Mutation::SetByte(a, b, c) => {
            let line = &mut l[a.index(n)];
            let at = b.index(line.len());
            line[at] = *c;
        }
        Mutation::InsertByte(a, b, c) => {
            let line = &mut l[a.index(n)];
            let at = b.index(line.len() + 1);
            line.insert(at, *c);
        }
        Mutation::DeleteByte(a, b) => {
            let line = &mut l[a.index(n)];
            let at = b.index(line.len());
            line.remove(at);
        }
        Mutation::Truncate(a, b) => {
            let line = &mut l[a.index(n)];
            let keep = b.index(line.len());
            line.truncate(keep);
        }
        Mutation::DeleteLine(a) => {
            l.remove(a.index(n));
        }
        Mutation::DuplicateLine(a, b) => {
            let line = l[a.index(n)].clone();
            l.insert(b.index(n + 1), line);
        }
        Mutation::Swap(a, b) => l.swap(a.index(n), b.index(n)),
        Mutation::InsertLine(a, bytes) => {
            let mut line = bytes.clone();
            line.push(b'\n');
            l.insert(a.index(n + 1), line);
        }
        Mutation::ReplaceLine(a, bytes) => {
            let mut line = bytes.clone();
            line.push(b'\n');
            l[a.index(n)] = line;
        }
    }
    l.concat()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// No single-line change goes unnoticed, except removing the tail (the
    /// documented limit) and changes that change nothing.
    #[test]
    fn any_mutation_is_detected(m in mutation()) {
        let lines = sample();
        let original = lines.concat();
        let mutated = apply(lines, &m);
        let report = audit::verify(&mutated[..]);
        let tail_cut = original.starts_with(&mutated)
            && (mutated.is_empty() || mutated.ends_with(b"\n"));
        if mutated == original {
            prop_assert!(report.is_intact());
        } else if tail_cut {
            prop_assert!(report.is_intact());
            prop_assert!(report.entries < lines.len() as u64);
        } else {
            prop_assert!(report.problem.is_some(), "{m:?} went unnoticed");
        }
    }

    /// Whatever the bytes, verify answers and does not panic.
    #[test]
    fn verify_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), prefix in any::<prop::sample::Index>()) {
        let _ = audit::verify(&bytes[..]);
        // Also after a valid prefix, so later checks run too.
        let lines = sample();
        let mut log = lines[..prefix.index(lines.len() + 1)].concat();
        log.extend_from_slice(&bytes);
        let _ = audit::verify(&log[..]);
    }
}

/// Two processes' worth of writers (separate opens of one file, as the
/// server and `entente export` are) appending at once never fork the chain.
#[test]
fn concurrent_writers_on_one_file_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.log");
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut log = ReleaseLog::open(&path).unwrap();
                for n in 0..300 {
                    log.append(draft(w * 1000 + n)).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let report = audit::verify(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    assert!(report.problem.is_none(), "{:?}", report.problem);
    assert_eq!(report.entries, 600);
}
