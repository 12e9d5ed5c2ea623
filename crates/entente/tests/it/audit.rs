//! `entente audit verify` and `entente audit show` on logs written with the
//! audit crate, intact and tampered with.

use std::path::Path;

use crate::{entente, stderr};

fn id(ty: &str, n: u64) -> model::StixId {
    model::StixId::parse(&format!("{ty}--00000000-0000-4000-8000-{n:012}")).unwrap()
}

/// Writes five entries (the third a denial) to `path`; returns its lines.
fn write_log(path: &Path) -> Vec<String> {
    let mut log = audit::ReleaseLog::open(path).unwrap();
    for n in 1..=5 {
        let items = vec![audit::Item {
            object: id("indicator", n),
            version: model::Timestamp::parse("2026-11-01T00:00:00.000Z").unwrap(),
            agreement: Some(id("x-entente-agreement", 9)),
        }];
        let draft = if n == 3 {
            audit::Draft::deny(id("identity", 1), "api", "no agreement in force covers it", items)
        } else {
            audit::Draft::release(id("identity", n % 2 + 1), "taxii", items)
        };
        log.append(draft).unwrap();
    }
    let text = std::fs::read_to_string(path).unwrap();
    text.split_inclusive('\n').map(str::to_owned).collect()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `entente audit verify` in `dir` and expects `code` and `expect` in its output.
fn verify(dir: &Path, code: i32, expect: &str) {
    let out = entente(dir, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(code), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(expect), "missing {expect:?} in:\n{}", stdout(&out));
}

#[test]
fn verify_names_the_first_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("entente-data")).unwrap();
    let path = d.join("entente-data/release.log");
    let lines = write_log(&path);
    let head = audit::verify(lines.concat().as_bytes()).head.unwrap();
    verify(
        d,
        0,
        &format!(
            "release log entente-data/release.log: 5 entries, 4 releases (4 object versions), 1 denials, head {head}: chain intact"
        ),
    );

    // One character of entry 3 (its recipient).
    let mut edited = lines.clone();
    edited[2] = edited[2].replace("-000000000001\"", "-000000000002\"");
    assert_ne!(edited, lines);
    std::fs::write(&path, edited.concat()).unwrap();
    verify(d, 1, "entry 3: hash does not match its content (edited?)");

    let mut removed = lines.clone();
    removed.remove(1);
    std::fs::write(&path, removed.concat()).unwrap();
    verify(d, 1, "entry 2: seq 3 where 2 was expected");

    let mut swapped = lines.clone();
    swapped.swap(1, 3);
    std::fs::write(&path, swapped.concat()).unwrap();
    verify(d, 1, "entry 2: seq 4 where 2 was expected");

    // --log elsewhere; a missing log is an error naming it.
    std::fs::write(d.join("other.log"), lines.concat()).unwrap();
    let out = entente(d, &["audit", "verify", "--log", "other.log"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("release log other.log: 5 entries"), "{}", stdout(&out));
    let out = entente(d, &["audit", "verify", "--log", "nope.log"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("release log nope.log"), "{}", stderr(&out));
}

#[test]
fn show_filters_by_recipient_and_object() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = write_log(&d.join("release.log"));
    let show = |args: &[&str]| {
        let mut all = vec!["audit", "show", "--log", "release.log"];
        all.extend_from_slice(args);
        let out = entente(d, &all);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(show(&[]), lines.concat());
    // Identity 1 received entries 2 and 4, and was refused entry 3.
    let recipient = id("identity", 1).to_string();
    assert_eq!(show(&["--recipient", &recipient]), lines[1..4].concat());
    assert_eq!(show(&["--recipient", &recipient, "--limit", "1"]), lines[3]);
    assert_eq!(show(&["--object", id("indicator", 5).as_str()]), lines[4]);
    let out = entente(d, &["audit", "show", "--log", "release.log", "--object", "nonsense"]);
    assert_eq!(out.status.code(), Some(1));
}

/// A node that never released anything has no log file: 0 entries is a
/// valid log, not an error. A missing `--log` file still is one.
#[test]
fn verify_accepts_a_node_that_never_released_anything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = entente(d, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!d.join("entente-data/release.log").exists());
    verify(d, 0, "release log entente-data/release.log: 0 entries, 0 releases (0 object versions), 0 denials, no head (empty): chain intact");
    let out = entente(d, &["audit", "verify", "--log", "no-such.log"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("no-such.log"), "{}", stderr(&out));
}
