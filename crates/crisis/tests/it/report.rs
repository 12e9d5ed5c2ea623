//! A crisis's after-action review as files (`report.html`, `report.pdf`):
//! the PDF read back by an independent reader (lopdf) holds the crisis,
//! the acknowledgements, tasks, sitreps, assistance, each party's review
//! and the timeline, partner text whole and marked as exercise; the HTML
//! escapes it; another party's state gives the same bytes; refusals.

use super::{at, p, sitrep, Bench};
use crisis::Crisis;
use partnership::{Error, Module};
use serde_json::json;

fn names(id: &str) -> String {
    ["Aurelia", "Borealis <b>", "Caledonia"].iter().enumerate().find(|(i, _)| p(*i) == id).map_or_else(|| id.to_owned(), |(_, n)| (*n).to_owned())
}

#[test]
fn the_crisis_review_reads_back_marked_as_exercise_and_is_the_same_for_every_party() {
    let mut b = Bench::new();
    let c = b.activated("2026-06-01T00:00:00Z");
    b.act(1, "acknowledge", json!({ "crisis": c }), "2026-06-01T00:10:00Z");
    b.act(2, "acknowledge", json!({ "crisis": c }), "2026-06-01T01:00:00Z");
    b.act(1, "update-task", json!({ "crisis": c, "task": "triage", "status": "done" }), "2026-06-01T01:00:00Z");
    b.act(2, "update-task", json!({ "crisis": c, "task": "hospitals", "status": "declined", "reason": "no liaison <free>" }), "2026-06-01T01:00:00Z");
    b.act(1, "file-sitrep", sitrep(&c, "=HYPERLINK(\"x\") two wards down"), "2026-06-01T06:00:00Z");
    let q = b.act(1, "request-assistance", json!({ "crisis": c, "resource": "incident responders", "quantity": 4, "unit": "people" }), "2026-06-01T07:00:00Z");
    b.act(2, "commit-assistance", json!({ "request": q.id.as_str(), "quantity": 4 }), "2026-06-01T08:00:00Z");
    b.act(0, "close-crisis", json!({ "crisis": c, "reason": "restored" }), "2026-06-04T00:00:00Z");
    b.act(1, "review", json!({ "crisis": c, "went_well": "fast <script>ack</script>", "to_improve": "sitrep cadence" }), "2026-06-05T00:00:00Z");
    let now = at("2026-06-06T00:00:00Z");

    let state = Crisis.state(&b.records(), &b.world.ctx(0, &now));
    let pdf = Crisis.file("report.pdf", Some(&c), &state, &names).expect("the PDF");
    assert_eq!(pdf.media_type, "application/pdf");
    let doc = lopdf::Document::load_mem(&pdf.bytes).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("its text extracts").split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "[EXERCISE] Crisis review: Hospitals encrypted",
        "Exercise data (distribution status: Exercise)",
        "led by Aurelia",
        "closed 2026-06-04T00:00:00Z (restored)",
        "Acknowledged by 2 of 2 parties. Tasks: 2, 1 done, 0 open. Service levels breached (the crisis and its tasks): 3 to acknowledge, 0 to complete.",
        "fast <script>ack</script>",
        "sitrep cadence",
        "declined: no liaison <free>",
        "=HYPERLINK(\"x\") two wards down",
        "4 people incident responders Borealis <b> Caledonia commit 4 0",
        "Borealis <b>",
        "assistance: commit",
        "closed",
        "review",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }
    let html = Crisis.file("report.html", Some(&c), &state, &names).expect("the page");
    let page = String::from_utf8(html.bytes.clone()).unwrap();
    assert!(page.contains("fast &lt;script&gt;ack&lt;/script&gt;") && !page.contains("<script>") && !page.contains("Borealis <b>"), "{page}");

    // Another party's view of the same records: the same bytes.
    let theirs = Crisis.state(&b.records(), &b.world.ctx(2, &now));
    assert_eq!(Crisis.file("report.pdf", Some(&c), &theirs, &names).unwrap(), pdf);
    assert_eq!(Crisis.file("report.html", Some(&c), &theirs, &names).unwrap(), html);

    assert!(matches!(Crisis.file("report.csv", Some(&c), &state, &names), Err(Error::NotFound(_))));
    assert!(matches!(Crisis.file("report.pdf", None, &state, &names), Err(Error::Invalid { property, .. }) if property == "of"));
    assert!(matches!(Crisis.file("report.pdf", Some("x-entente-crisis--00000000-0000-4000-8000-000000000009"), &state, &names), Err(Error::NotFound(_))));
}
