//! The after-action report as files (`report.html`, `report.pdf`): the PDF
//! read back by an independent reader (lopdf) holds the objectives, the
//! observations, the lesson and its action, with partner text whole; the
//! HTML escapes it; the node of a participant that holds no inject writes
//! the same bytes; a file not offered, a missing or unknown exercise are
//! refused.

use super::{at, p, Bench, Records, Record, INJECT};
use exercises::Exercises;
use partnership::{Error, Module};
use serde_json::{json, Value};

fn names(id: &str) -> String {
    if id == p(0) {
        "Aurelia".to_owned()
    } else if id == p(1) {
        "Borealis \"B\" <i>".to_owned()
    } else {
        id.to_owned()
    }
}

fn text_of(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text extracts").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_after_action_report_reads_back_and_is_the_same_on_a_node_without_the_injects() {
    let mut b = Bench::new();
    let x = b.started();
    let xid = x.id.as_str();
    b.act(0, "release-inject", json!({ "exercise": xid, "inject": "I-1" }), "2026-06-01T08:30:00Z");
    let o1 = b.act(0, "record-observation", json!({ "exercise": xid, "objective": "O-1", "rating": "met", "text": "shared in 10 minutes" }), "2026-06-01T09:00:00Z");
    let o2 = b.act(0, "record-observation", json!({ "exercise": xid, "objective": "O-2", "rating": "not-met", "text": "=cmd|' /C calc'!A0 (no holding line)" }), "2026-06-01T10:00:00Z");
    b.act(0, "end-exercise", json!({ "exercise": xid }), "2026-06-03T18:00:00Z");
    let lesson = b.act(2, "identify-lesson", json!({ "exercise": xid, "observation_refs": [o2.id.as_str(), o1.id.as_str()], "title": "No joint press line <script>x</script>" }), "2026-06-04T00:00:00Z");
    b.act(1, "add-remedial-action", json!({ "lesson": lesson.id.as_str(), "description": "Agree a press template", "owner_ref": p(1), "due": "2026-07-01T00:00:00Z" }), "2026-06-05T00:00:00Z");
    let now = "2026-07-02T00:00:00Z";

    let state = Exercises.state(&b.records(), &b.world.ctx(0, &at(now)));
    assert!(Exercises.files().iter().any(|f| f.name == "report.pdf"));
    let pdf = Exercises.file("report.pdf", Some(xid), &state, &names).expect("the PDF");
    assert_eq!(pdf.media_type, "application/pdf");
    assert!(pdf.name.starts_with("after-action-report-") && pdf.name.ends_with(".pdf"), "{}", pdf.name);
    let text = text_of(&pdf.bytes);
    for expected in [
        "After-action report: Cyber Coalition <b>2026</b>",
        "exercise control: Aurelia",
        "Objectives met: 1 of 2. Observations: 2. Lessons: 1 identified, 0 learned. Remedial actions: 1, 0 done, 1 overdue.",
        "Participant: Borealis \"B\" <i> (teams: CSIRT, SOC)",
        "Share indicators within an hour",
        "not-met",
        "=cmd|' /C calc'!A0 (no holding line)",
        "No joint press line <script>x</script>",
        "Agree a press template",
        "open, overdue",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text}");
    }

    let html = Exercises.file("report.html", Some(xid), &state, &names).expect("the page");
    let page = String::from_utf8(html.bytes.clone()).expect("utf-8");
    assert!(page.contains("Cyber Coalition &lt;b&gt;2026&lt;/b&gt;") && page.contains("&lt;script&gt;x&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>") && !page.contains("<b>2026") && !page.contains("<i>"), "partner text came out as markup");

    // Partner 2, a participant that was no inject's target, holds no inject: the same bytes.
    let on_2: Vec<Record> = b.made.iter().filter(|r| exercises::types::listed(r).contains(&p(2).as_str())).cloned().collect();
    assert!(on_2.iter().all(|r| r.kind != INJECT));
    let theirs = Exercises.state(&Records::new(on_2), &b.world.ctx(2, &at(now)));
    assert_eq!(Exercises.file("report.pdf", Some(xid), &theirs, &names).unwrap(), pdf);
    assert_eq!(Exercises.file("report.html", Some(xid), &theirs, &names).unwrap(), html);

    // Refused: a file not offered, no exercise named, an exercise not in the state.
    assert!(matches!(Exercises.file("ledger.csv", Some(xid), &state, &names), Err(Error::NotFound(_))));
    assert!(matches!(Exercises.file("report.pdf", None, &state, &names), Err(Error::Invalid { property, .. }) if property == "of"));
    let other = "x-entente-exercise--00000000-0000-4000-8000-000000000009";
    assert!(matches!(Exercises.file("report.pdf", Some(other), &state, &names), Err(Error::NotFound(_))));
    assert!(matches!(Exercises.file("report.pdf", Some(xid), &Value::Null, &names), Err(Error::NotFound(_))));
}
