//! The one read path: what it hands out is what the reader's gate lets
//! through, and exactly that is in the release log.

use std::sync::Arc;

use serde_json::json;
use store::{PutOptions, Query, Store, Versions};

use super::*;
use crate::release::{Reader, Through};

const ME: &str = "identity--0a000000-0000-4000-8000-000000000001";
const OTHER: &str = "identity--0b000000-0000-4000-8000-000000000002";

fn malware(n: u32, author: &str) -> model::Object {
    model::Object::from_value(json!({"type": "malware", "spec_version": "2.1",
        "id": format!("malware--00000000-0000-4000-8000-{n:012}"), "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z", "created_by_ref": author, "name": "x", "is_family": false}))
    .unwrap()
}

fn logged(path: &std::path::Path) -> Vec<audit::Entry> {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    audit::entries(file).map(Result::unwrap).collect()
}

#[test]
fn only_what_the_reader_may_see_is_released_and_all_of_it_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    // Mine, and another partner's shared under no agreement: not for me.
    store.put(&[malware(1, ME)], &PutOptions { posted_by: Some(ME.into()), ..PutOptions::default() }).unwrap();
    store.put(&[malware(2, OTHER)], &PutOptions { posted_by: Some(OTHER.into()), ..PutOptions::default() }).unwrap();
    let everything = store.query(&Query { versions: Versions::ALL, ..Query::default() }).unwrap().records;
    assert_eq!(everything.len(), 2);
    let log_path = dir.path().join("release.log");
    let log = audit::SharedLog::open(&log_path).unwrap();
    let me = StixId::parse(ME).unwrap();
    let reader = Reader::new(me.clone(), Arc::default(), Through::AnyShare);
    let out = Out::new(&log, &reader, "test");

    // Read another way (no gate): decided here again, the other's left out.
    let released = out.records(everything).unwrap().into_inner();
    assert_eq!(released.iter().map(|r| r.created_by_ref.as_deref()).collect::<Vec<_>>(), [Some(ME)]);
    // Through a page: the gate is set by the read path.
    let page = out.page(&*store, Query { versions: Versions::ALL, ..Query::default() }).unwrap().into_inner();
    assert_eq!(page.records.len(), 1);
    // An object the reader may not see is not found, and its refusal logged.
    let theirs = malware(2, OTHER).id().clone();
    assert!(matches!(out.latest(&*store, &theirs, "no such object"), Err(Error::NotFound(m)) if m == "no such object"));

    let entries = logged(&log_path);
    assert_eq!(entries.len(), 3, "two releases and one refusal");
    for e in &entries[..2] {
        assert_eq!((e.recipient.as_str(), e.channel.as_str(), e.decision), (ME, "test", audit::Decision::Release));
        assert_eq!(e.items.iter().map(|i| i.object.as_str()).collect::<Vec<_>>(), [malware(1, ME).id().as_str()]);
    }
    assert_eq!(entries[2].decision, audit::Decision::Deny);
    assert!(entries[2].items.is_empty());
    assert!(entries[2].reason.as_deref().unwrap_or("").contains(theirs.as_str()));
}
