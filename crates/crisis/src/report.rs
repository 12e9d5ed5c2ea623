//! A crisis's after-action review as a document a person reads
//! (`report::Document`, rendered to HTML and PDF): what happened (the
//! crisis, who led it, when it was activated and closed), the
//! acknowledgements and tasks against their service levels, each party's
//! latest situation report, assistance, the review of every party (what
//! went well, what to improve) and the timeline — drawn from the crisis's
//! common picture in the module's state ([`crate::rules::state`]), so from
//! the records the reader may see; every party's node with the same
//! records writes the same bytes. Every string stays text: `report`
//! escapes it. An exercise crisis says so in its title and first line.

use ::report::Document;
use partnership::files::{self, text, File, Spec};
use partnership::Error;
use serde_json::Value;

/// The files the module offers: a crisis's after-action review.
pub const FILES: &[Spec] = &[
    Spec { name: "report.html", about: "A crisis's timeline and after-action review (acknowledgements, tasks, situation reports, assistance, each party's review) as one HTML page.", of: Some(crate::CRISIS) },
    Spec { name: "report.pdf", about: "A crisis's timeline and after-action review as a PDF.", of: Some(crate::CRISIS) },
];

/// File `name` of the crisis `state` about crisis `of`.
pub fn file(name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<File, Error> {
    if !FILES.iter().any(|f| f.name == name) {
        return Err(files::not_found("crisis", name));
    }
    let of = files::required(of, "crisis")?;
    let crisis = state["crises"].as_array().into_iter().flatten().find(|c| c["id"] == of.as_str()).ok_or_else(|| Error::NotFound(format!("no crisis {of}")))?;
    let doc = document(crisis, names);
    Ok(if name.ends_with(".pdf") {
        File { name: files::name_of("crisis-review", &of, "pdf"), media_type: files::PDF, bytes: doc.to_pdf() }
    } else {
        File { name: files::name_of("crisis-review", &of, "html"), media_type: files::HTML, bytes: doc.to_html().into_bytes() }
    })
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

fn yes(v: &Value, key: &str) -> &'static str {
    if v[key] == true {
        "yes"
    } else {
        "no"
    }
}

/// The after-action review of one `crisis` of the state (its picture).
pub fn document(crisis: &Value, names: &dyn Fn(&str) -> String) -> Document {
    let who = |v: &Value| v.as_str().map(names).unwrap_or_default();
    let exercise = crisis["exercise"] == true;
    let tag = if exercise { "[EXERCISE] " } else { "" };
    let mut doc = Document::new(format!("{tag}Crisis review: {}", text(crisis, "title")));
    let closed = match crisis["closed_at"].as_str() {
        Some(at) => format!("closed {at} ({})", text(crisis, "close_reason")),
        None => "still active".to_owned(),
    };
    doc.subtitle = Some(format!(
        "{}. Severity {}, hazard {}; led by {}; activated {}, {closed}.",
        if exercise { "Exercise data (distribution status: Exercise)" } else { "Real crisis (distribution status: Actual)" },
        text(crisis, "severity"),
        text(crisis, "hazard"),
        who(&crisis["lead"]),
        text(crisis, "activated"),
    ));

    let acks = list(crisis, "acknowledgements");
    let tasks = list(crisis, "tasks");
    let sitreps = list(crisis, "sitreps");
    let assistance = list(crisis, "assistance");
    let reviews = list(crisis, "reviews");
    let s = doc.section("Summary");
    let summary = text(crisis, "summary");
    if !summary.is_empty() {
        s.paragraph(summary);
    }
    let acked = acks.iter().filter(|a| a["acknowledged_at"].is_string()).count();
    let done = tasks.iter().filter(|t| t["status"] == "done").count();
    s.paragraph(format!(
        "Acknowledged by {acked} of {} parties. Tasks: {}, {done} done, {} open. Service levels breached (the crisis and its tasks): {} to acknowledge, {} to complete. Parties reporting the situation: {}. Assistance requests: {}. Reviews: {}.",
        acks.len(),
        tasks.len(),
        tasks.iter().filter(|t| t["open"] == true).count(),
        crisis["breaches"]["acknowledge"].as_u64().unwrap_or(0),
        crisis["breaches"]["complete"].as_u64().unwrap_or(0),
        sitreps.len(),
        assistance.len(),
        reviews.len(),
    ));

    let s = doc.section("Review");
    if reviews.is_empty() {
        s.paragraph("No party has filed its review yet.");
    } else {
        let rows = reviews.iter().map(|r| vec![who(&r["party"]), text(r, "went_well"), text(r, "to_improve"), text(r, "created")]).collect();
        s.table(vec!["Party".into(), "What went well".into(), "What to improve".into(), "Filed".into()], rows);
    }

    let s = doc.section("Acknowledgements");
    if acks.is_empty() {
        s.paragraph("No other party to acknowledge.");
    } else {
        let rows = acks
            .iter()
            .map(|a| vec![who(&a["party"]), text(a, "acknowledged_at"), text(a, "minutes_to_acknowledge"), text(a, "deadline"), yes(a, "breached").to_owned()])
            .collect();
        s.table(vec!["Party".into(), "Acknowledged".into(), "Minutes".into(), "Deadline".into(), "Breached".into()], rows);
        s.note(format!("The service level: acknowledge within {} minutes of the activation.", text(crisis, "ack_within_minutes")));
    }

    let s = doc.section("Tasks");
    if tasks.is_empty() {
        s.paragraph("No tasks.");
    } else {
        let rows = tasks
            .iter()
            .map(|t| {
                let mut status = text(t, "status");
                if let Some(reason) = t["reason"].as_str() {
                    status = format!("{status}: {reason}");
                }
                let breached = match (t["ack_breached"] == true, t["complete_breached"] == true) {
                    (true, true) => "acknowledge, complete",
                    (true, false) => "acknowledge",
                    (false, true) => "complete",
                    _ => "",
                };
                vec![text(t, "title"), text(t, "phase"), who(&t["assignee"]), status, text(t, "done_at"), breached.to_owned()]
            })
            .collect();
        s.table(vec!["Task".into(), "Phase".into(), "Assignee".into(), "Status".into(), "Done".into(), "Breached".into()], rows);
    }

    let s = doc.section("Situation reports");
    if sitreps.is_empty() {
        s.paragraph("No situation reports.");
    } else {
        s.note("Each party's latest report (OASIS EDXL-SitRep fields).");
        let rows = sitreps
            .iter()
            .map(|r| {
                let period = format!("{} – {}", text(r, "period_start"), text(r, "period_end"));
                let actions = [text(r, "actions_taken"), text(r, "actions_planned")].into_iter().filter(|a| !a.is_empty()).collect::<Vec<_>>().join("; then ");
                vec![who(&r["party"]), period.trim_matches([' ', '–']).to_owned(), text(r, "situation_summary"), actions, text(r, "impact")]
            })
            .collect();
        s.table(vec!["Party".into(), "Period".into(), "Situation".into(), "Actions taken; then planned".into(), "Impact".into()], rows);
    }

    let s = doc.section("Assistance");
    if assistance.is_empty() {
        s.paragraph("No assistance was requested.");
    } else {
        let rows = assistance
            .iter()
            .map(|a| {
                let providers: Vec<String> = a["providers"].as_array().into_iter().flatten().map(&who).collect();
                vec![
                    format!("{} {} {}", text(a, "quantity"), text(a, "unit"), text(a, "resource")).trim().to_owned(),
                    who(&a["requester"]),
                    providers.join(", "),
                    text(a, "stage"),
                    text(a, "committed"),
                    text(a, "delivered"),
                ]
            })
            .collect();
        s.table(vec!["Request".into(), "Requested by".into(), "Provided by".into(), "Stage".into(), "Committed".into(), "Delivered".into()], rows);
        s.note("OASIS EDXL-RM's steps: request, offer, commit, deliver, release or return; each step a record of the party that took it.");
    }

    let s = doc.section("Timeline");
    let timeline = list(crisis, "timeline");
    let total = crisis["timeline_total"].as_u64().unwrap_or(timeline.len() as u64);
    if (timeline.len() as u64) < total {
        s.note(format!("The newest {} of {total} events; the crisis page lists them all.", timeline.len()));
    }
    let rows = timeline.iter().map(|e| vec![text(e, "at"), text(e, "event"), who(&e["by"])]).collect();
    s.table(vec!["When".into(), "Event".into(), "By".into()], rows);
    doc
}
