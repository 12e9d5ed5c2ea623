//! The scorecard's evidence from module states, reactions and terms: each
//! mapping against a small state written out here.

use serde_json::json;

use super::checks;
use scorecard::{Reaction, Release};
use super::*;

const A: &str = "identity--0a000000-0000-4000-8000-000000000001";
const B: &str = "identity--0b000000-0000-4000-8000-000000000002";
const C: &str = "identity--0c000000-0000-4000-8000-000000000003";

fn now() -> Timestamp {
    Timestamp::parse("2026-06-30T00:00:00Z").unwrap()
}

fn ev() -> Evidence {
    Evidence { parties: vec![A.to_owned(), B.to_owned(), C.to_owned()], at: now().micros(), window: 90 * DAY, ..Evidence::default() }
}

fn summary(e: &Evidence) -> Vec<(Indicator, String, Option<String>, bool)> {
    e.checks.iter().map(|c| (c.indicator, c.party.clone(), c.towards.clone(), c.ok)).collect()
}

#[test]
fn objectives_count_each_adopted_kpi_for_its_reporting_party() {
    let s = json!({ "objectives": [
        { "id": "x-entente-objective--1", "status": "on-track", "kpis": [
            { "reporting_party": A, "status": "met" },
            { "reporting_party": B, "status": "at-risk" },
            { "reporting_party": B, "status": "on-track" } ] },
        { "id": "x-entente-objective--2", "status": null, "kpis": [ { "reporting_party": C, "status": null } ] },
    ]});
    let mut e = ev();
    checks::objectives(&s, now().micros(), &mut e);
    assert_eq!(summary(&e), [(Indicator::Objectives, A.to_owned(), None, true), (Indicator::Objectives, B.to_owned(), None, false), (Indicator::Objectives, B.to_owned(), None, true)]);
}

#[test]
fn crisis_counts_decided_steps_owed_to_the_lead_and_the_requester() {
    let s = json!({ "crises": [ {
        "id": "x-entente-crisis--1", "lead": A, "exercise": false,
        "acknowledgements": [
            { "party": B, "acknowledged_at": "2026-06-01T00:10:00Z", "deadline": "2026-06-01T00:30:00Z", "breached": false },
            { "party": C, "acknowledged_at": null, "deadline": "2026-06-01T00:30:00Z", "breached": true } ],
        "tasks": [
            { "assignee": B, "done_at": null, "complete_deadline": "2026-07-30T00:00:00Z", "complete_breached": false } ],
        "assistance": [ { "id": "x-entente-crisis-assistance--1", "requester": A, "needed_by": "2026-06-10T00:00:00Z", "steps": [
            { "by": A, "step": "request", "created": "2026-06-01T01:00:00Z" },
            { "by": B, "step": "offer", "created": "2026-06-01T02:00:00Z" },
            { "by": B, "step": "commit", "created": "2026-06-01T03:00:00Z" },
            { "by": C, "step": "offer", "created": "2026-06-01T02:30:00Z" } ] } ],
    }, { "id": "x-entente-crisis--2", "lead": B, "exercise": true,
        "acknowledgements": [ { "party": A, "acknowledged_at": "2026-06-02T00:00:00Z", "deadline": "2026-06-02T01:00:00Z", "breached": false } ] } ]});
    let mut e = ev();
    checks::crisis(&s, now().micros(), &mut e);
    // B in time, C breached; B's open task not decided yet; B committed,
    // C only offered and the need has passed; the exercise crisis flagged.
    assert_eq!(
        summary(&e),
        [
            (Indicator::Crisis, B.to_owned(), Some(A.to_owned()), true),
            (Indicator::Crisis, C.to_owned(), Some(A.to_owned()), false),
            (Indicator::Crisis, B.to_owned(), Some(A.to_owned()), true),
            (Indicator::Crisis, C.to_owned(), Some(A.to_owned()), false),
            (Indicator::Crisis, A.to_owned(), Some(B.to_owned()), true),
        ]
    );
    assert_eq!(e.checks.iter().map(|c| c.exercise).collect::<Vec<_>>(), [false, false, false, false, true]);
    assert_eq!(e.checks[2].id, "x-entente-crisis-assistance--1");
}

#[test]
fn exercises_count_participation_and_remedial_actions_closed_on_time() {
    let s = json!({ "exercises": [ {
        "id": "x-entente-exercise--1", "started_at": "2026-05-01T00:00:00Z", "endorsed_by": [A, B],
        "participants": [ { "party_ref": A }, { "party_ref": B }, { "party_ref": C } ],
        "aar": { "actions": [
            { "id": "r1", "owner": A, "status": "done", "overdue": false, "due": "2026-06-01T00:00:00Z", "updates": [ { "status": "done", "created": "2026-05-20T00:00:00Z" } ] },
            { "id": "r2", "owner": B, "status": "done", "overdue": false, "due": "2026-06-01T00:00:00Z", "updates": [ { "status": "done", "created": "2026-06-05T00:00:00Z" } ] },
            { "id": "r3", "owner": C, "status": "open", "overdue": true, "due": "2026-06-01T00:00:00Z", "updates": [] },
            { "id": "r4", "owner": C, "status": "open", "overdue": false, "due": "2026-09-01T00:00:00Z", "updates": [] } ] },
    } ]});
    let mut e = ev();
    checks::exercises(&s, now().micros(), &mut e);
    // A, B endorsed, C did not; r1 on time, r2 late, r3 overdue, r4 open and not due.
    let got: Vec<(String, bool)> = e.checks.iter().map(|c| (c.party.clone(), c.ok)).collect();
    assert_eq!(got, [(A.to_owned(), true), (B.to_owned(), true), (C.to_owned(), false), (A.to_owned(), true), (B.to_owned(), false), (C.to_owned(), false)]);
    assert!(e.checks.iter().all(|c| !c.exercise && c.indicator == Indicator::Exercises));
}

#[test]
fn dialogue_and_disputes_count_meetings_items_and_open_disputes() {
    let s = json!({
        "meetings": [
            { "id": "m1", "status": "held", "date": "2026-05-01T00:00:00Z", "participants": [ { "party_ref": A }, { "party_ref": A }, { "party_ref": B } ] },
            { "id": "m2", "status": "scheduled", "date": "2026-08-01T00:00:00Z", "participants": [ { "party_ref": C } ] } ],
        "cadence": [ { "meeting_type": "senior-dialogue", "missed": 1 } ],
        "action_items": [
            { "id": "i1", "owner": C, "status": "closed", "overdue": false, "due": "2026-06-01T00:00:00Z", "updates": [ { "update": "comment", "created": "2026-06-10T00:00:00Z" }, { "update": "close", "created": "2026-05-30T00:00:00Z" } ] },
            { "id": "i2", "owner": B, "status": "open", "overdue": true, "due": "2026-06-01T00:00:00Z", "updates": [] } ],
    });
    let mut e = ev();
    let parties = e.parties.clone();
    checks::dialogue(&s, now().micros(), &parties, &mut e);
    // m1: A once, B; the missed meeting: A, B, C; i1 closed in time; i2 overdue.
    let got: Vec<(String, bool)> = e.checks.iter().map(|c| (c.party.clone(), c.ok)).collect();
    assert_eq!(got, [(A.to_owned(), true), (B.to_owned(), true), (A.to_owned(), false), (B.to_owned(), false), (C.to_owned(), false), (C.to_owned(), true), (B.to_owned(), false)]);
    let d = json!({ "disputes": [
        { "id": "d1", "raised_by": A, "respondents": [B, C], "status": "consultation", "overdue": true },
        { "id": "d2", "raised_by": B, "respondents": [A, C], "status": "settled", "overdue": false, "settled_at": "2026-06-01T00:00:00Z" } ] });
    let mut e = ev();
    checks::disputes(&d, now().micros(), &mut e);
    assert_eq!(e.checks.iter().map(|c| c.ok).collect::<Vec<_>>(), [false, false, false, true, true, true]);
}

#[test]
fn burden_reads_the_latest_year_up_to_the_scorecards() {
    let s = json!({
        "periods": [
            { "year": 2025, "parties": [ { "party": A, "fair_share_ratio": 1.5 } ] },
            { "year": 2026, "parties": [ { "party": A, "fair_share_ratio": 0.75 }, { "party": B, "fair_share_ratio": null } ] },
            { "year": 2027, "parties": [ { "party": A, "fair_share_ratio": 0.1 } ] } ],
        "ledger": [ { "id": "l1", "giver": A, "status": "confirmed" }, { "id": "l2", "giver": A, "status": "awaiting-confirmation" } ],
    });
    let mut e = ev();
    checks::resources(&s, &now(), &mut e);
    assert_eq!(e.burden.len(), 1, "B has no ratio");
    assert_eq!((e.burden[0].year, e.burden[0].ratio, e.burden[0].n), (2026, 0.75, 1));
    assert_eq!(e.burden[0].evidence, ["l1"]);
}

#[test]
fn reactions_read_false_positives_from_labels_and_disagreeing_opinions() {
    assert_eq!(reaction_kind(&json!({"type": "sighting"})), ReactionKind::Sighting);
    assert_eq!(reaction_kind(&json!({"type": "sighting", "labels": ["false-positive"]})), ReactionKind::FalsePositive);
    assert_eq!(reaction_kind(&json!({"type": "opinion", "opinion": "strongly-disagree"})), ReactionKind::FalsePositive);
    assert_eq!(reaction_kind(&json!({"type": "opinion", "opinion": "agree"})), ReactionKind::Opinion);
    assert_eq!(reaction_kind(&json!({"type": "note"})), ReactionKind::Note);
    assert_eq!(refs(br#"{"sighting_of_ref":"indicator--1"}"#), ["indicator--1"]);
    assert_eq!(refs(br#"{"object_refs":["a","b"]}"#), ["a", "b"]);
    assert_eq!(quality(&json!({"confidence": 40})), 0.4);
    assert_eq!(quality(&json!({})), 1.0);
    assert_eq!(quality(&json!({"confidence": 90, "revoked": true})), 0.0);
}

#[test]
fn a_bad_window_or_time_is_refused_naming_the_parameter() {
    let ask = Ask::parse(Some("30"), Some("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!((ask.window_days, ask.at.as_str()), (30, "2026-01-01T00:00:00Z"));
    for (w, t, name) in [(Some("0"), None, "window"), (Some("x"), None, "window"), (Some("99999"), None, "window"), (None, Some("yesterday"), "at")] {
        match Ask::parse(w, t) {
            Err(Error::Module(partnership::Error::Invalid { property, .. })) => assert_eq!(property, name),
            other => panic!("{w:?} {t:?}: {:?}", other.map(|a| a.window_days)),
        }
    }
}

#[test]
fn the_report_puts_the_summary_first_and_names_what_changed() {
    // A gave B six objects, B sighted four: B's actionability on A→B 0.67.
    let mut e = ev();
    for i in 0..6 {
        e.releases.push(Release { id: format!("indicator--{i}"), author: A.into(), recipient: B.into(), created: now().micros() - 10 * DAY, arrived: None, quality: 1.0, novel: None, exercise: false });
    }
    for i in 0..4 {
        e.reactions.push(Reaction { id: format!("sighting--{i}"), by: B.into(), of: format!("indicator--{i}"), at: now().micros() - 9 * DAY, kind: ReactionKind::Sighting, exercise: false });
    }
    let card = scorecard::compute(&e);
    let mut then = Value::Object(scorecard::snapshot::summary(&card));
    for p in then["pairs"].as_array_mut().unwrap() {
        if p["from"] == A && p["to"] == B {
            p["figures"]["actionability"] = json!(0.9);
        }
    }
    let last_at = Timestamp::parse("2026-05-31T00:00:00Z").unwrap();
    let review = report::Review {
        agreement: "agreement--1".into(),
        title: "Coalition <b>pact</b>".into(),
        viewer: A.into(),
        last: Some(report::Last { id: "x-entente-scorecard-snapshot--1".into(), at: last_at.clone(), changes: scorecard::changes::changes(&card, &then) }),
        history: vec![(last_at, [(A.to_owned(), Some(0.4))].into_iter().collect())],
        card,
    };
    let names = |p: &str| match p {
        A => "Aurelia".to_owned(),
        B => "Borealis <i>".to_owned(),
        _ => "Caledonia".to_owned(),
    };
    let doc = report::document(&review, &names);
    let headings: Vec<&str> = doc.sections.iter().map(|s| s.heading.as_str()).collect();
    assert_eq!(headings, ["Summary", "What changed since the last review", "Indicators per party", "Per pair", "Trends", "Actions for the review", "Method and limits"]);
    let changed = doc.sections[1].blocks.iter().find_map(|b| match b {
        ::report::Block::Table(t) => Some(t.clone()),
        _ => None,
    });
    let changed = changed.expect("a table of changes");
    assert!(changed.rows.contains(&vec!["Aurelia → Borealis <i>".to_owned(), "actionability".to_owned(), "0.90".to_owned(), "0.67".to_owned(), "down".to_owned()]), "{:?}", changed.rows);
    let html = doc.to_html();
    assert!(html.contains("Coalition &lt;b&gt;pact&lt;/b&gt;") && !html.contains("<b>pact"));
    assert!(html.contains("Borealis &lt;i&gt;") && !html.contains("Borealis <i>"));
    // The trend: the snapshot's point and now.
    assert!(html.contains("2026-05-31") && html.contains("2026-06-30 (now)"));
    assert!(doc.to_pdf().starts_with(b"%PDF-"));
}
