//! The version decision on its own, without a backend (the conformance suite checks it through both).

use serde_json::json;

use super::{decide_version, Held};
use crate::{Error, Outcome, PutOptions};

struct V {
    version: i64,
    date_added: i64,
    author: Option<&'static str>,
}

impl Held for V {
    fn version(&self) -> i64 {
        self.version
    }
    fn date_added(&self) -> i64 {
        self.date_added
    }
    fn author(&self) -> Option<&str> {
        self.author
    }
}

const A: &str = "identity--0a000000-0000-4000-8000-00000000000a";
const B: &str = "identity--0b000000-0000-4000-8000-00000000000b";
const T1: &str = "2026-01-01T00:00:00Z";

fn object(author: &str, modified: &str, name: &str) -> model::Object {
    model::Object::from_value(json!({
        "type": "tool", "spec_version": "2.1", "id": "tool--00000000-0000-4000-8000-000000000001",
        "created": T1, "modified": modified, "created_by_ref": author, "name": name,
    }))
    .expect("valid")
}

fn micros(t: &str) -> i64 {
    model::Timestamp::parse(t).expect("timestamp").micros()
}

fn by(poster: &str) -> PutOptions {
    PutOptions { posted_by: Some(poster.to_owned()), only_author: true, ..PutOptions::default() }
}

fn check(o: &model::Object, options: &PutOptions, held: &[V], stored: &model::Object) -> Option<Outcome> {
    decide_version(o, options, held, |_| Ok(stored.json().to_vec())).expect("decides")
}

#[test]
fn only_the_author_unchanged_conflict_or_new() {
    let first = object(A, T1, "x");
    let held = [V { version: micros(T1), date_added: 7, author: Some(A) }];
    // New: nothing held, or another version held.
    assert!(check(&first, &by(A), &[], &first).is_none());
    let second = object(A, "2026-02-01T00:00:00Z", "y");
    assert!(check(&second, &by(A), &held, &first).is_none());
    // The same id and version: unchanged if the same value, else a conflict.
    assert!(matches!(check(&first, &by(A), &held, &first), Some(Outcome::Unchanged(d)) if d.0 == 7));
    let other = object(A, T1, "z");
    assert!(matches!(check(&other, &by(A), &held, &first), Some(Outcome::Conflict(m)) if m.contains("a different object")));
    // Only the author: not as someone else, not over another's versions.
    assert!(matches!(check(&first, &by(B), &[], &first), Some(Outcome::NotAuthor(m)) if m.contains("not the submitting partner")));
    let theirs = [V { version: micros(T1), date_added: 7, author: Some(B) }];
    assert!(matches!(check(&second, &by(A), &theirs, &first), Some(Outcome::NotAuthor(m)) if m.contains("earlier versions") && !m.contains(B)));
    // Without only_author, anyone's version is decided by id and version alone.
    assert!(check(&second, &PutOptions::default(), &theirs, &first).is_none());
}

#[test]
fn the_stored_json_is_read_only_for_the_same_version_and_its_error_passes_through() {
    let first = object(A, T1, "x");
    let held = [V { version: micros(T1), date_added: 7, author: Some(A) }];
    let second = object(A, "2026-02-01T00:00:00Z", "y");
    let refused = decide_version(&second, &by(A), &held, |_| -> crate::Result<Vec<u8>> { panic!("read for a new version") });
    assert!(matches!(refused, Ok(None)));
    let failed = decide_version(&first, &by(A), &held, |_| Err(Error::Unavailable("down".into())));
    assert!(matches!(failed, Err(Error::Unavailable(_))));
}
