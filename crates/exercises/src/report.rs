//! The after-action report of an exercise as a document a person reads
//! (`report::Document`, rendered to HTML and PDF): objectives and how they
//! were met, observations, lessons and remedial actions — drawn from the
//! `aar` of the module's state ([`crate::rules::aar`]) and the plan's own
//! properties, never from injects or responses (which only some parties
//! hold), so every participant's node writes the same bytes from the same
//! records. Every string stays text: `report` escapes it.

use partnership::files::{self, text, File, Spec};
use partnership::Error;
use ::report::Document;
use serde_json::Value;

/// The files the module offers: the after-action report of an exercise.
pub const FILES: &[Spec] = &[
    Spec { name: "report.html", about: "The after-action report of an exercise (objectives met, observations, lessons, remedial actions) as one HTML page.", of: Some(crate::EXERCISE) },
    Spec { name: "report.pdf", about: "The after-action report of an exercise as a PDF.", of: Some(crate::EXERCISE) },
];

/// File `name` of the exercises `state` about exercise `of`.
pub fn file(name: &str, of: Option<&str>, state: &Value, names: &dyn Fn(&str) -> String) -> Result<File, Error> {
    if !FILES.iter().any(|f| f.name == name) {
        return Err(files::not_found("exercises", name));
    }
    let of = files::required(of, "exercise")?;
    let exercise = state["exercises"].as_array().into_iter().flatten().find(|x| x["id"] == of.as_str()).ok_or_else(|| Error::NotFound(format!("no exercise {of}")))?;
    let doc = document(exercise, names);
    Ok(if name.ends_with(".pdf") {
        File { name: files::name_of("after-action-report", &of, "pdf"), media_type: files::PDF, bytes: doc.to_pdf() }
    } else {
        File { name: files::name_of("after-action-report", &of, "html"), media_type: files::HTML, bytes: doc.to_html().into_bytes() }
    })
}

fn count(v: &Value, key: &str) -> u64 {
    v["summary"][key].as_u64().unwrap_or(0)
}

/// The after-action report of one `exercise` of the state (its plan's
/// properties and its `aar`).
pub fn document(exercise: &Value, names: &dyn Fn(&str) -> String) -> Document {
    let aar = &exercise["aar"];
    let who = |v: &Value| v.as_str().map(names).unwrap_or_default();
    let mut doc = Document::new(format!("After-action report: {}", text(exercise, "name")));
    let ran = match (aar["started_at"].as_str(), aar["ended_at"].as_str()) {
        (Some(s), Some(e)) => format!("run from {s} to {e}"),
        (Some(s), None) => format!("started {s}, not ended"),
        _ => "not started".to_owned(),
    };
    doc.subtitle = Some(format!(
        "Exercise data. A {} exercise planned for {} to {}, {ran}; exercise control: {}.",
        text(exercise, "exercise_type"),
        text(exercise, "start_date"),
        text(exercise, "end_date"),
        who(&exercise["control"]),
    ));

    let objectives = aar["objectives"].as_array().cloned().unwrap_or_default();
    let observations = aar["observations"].as_array().cloned().unwrap_or_default();
    let lessons = aar["lessons"].as_array().cloned().unwrap_or_default();
    let actions = aar["actions"].as_array().cloned().unwrap_or_default();
    let title_of_objective = |id: &str| objectives.iter().find(|o| o["id"] == id).map(|o| text(o, "title")).unwrap_or_default();
    let title_of_lesson = |id: &str| lessons.iter().find(|l| l["id"] == id).map(|l| text(l, "title")).unwrap_or_else(|| id.to_owned());

    let s = doc.section("Summary");
    s.paragraph(format!(
        "Objectives met: {} of {}. Observations: {}. Lessons: {} identified, {} learned. Remedial actions: {}, {} done, {} overdue.",
        count(aar, "objectives_met"),
        count(aar, "objectives"),
        count(aar, "observations"),
        count(aar, "lessons"),
        count(aar, "lessons_learned"),
        count(aar, "actions"),
        count(aar, "actions_done"),
        count(aar, "actions_overdue"),
    ));
    let mut parties: Vec<String> = exercise["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let teams: Vec<&str> = p["teams"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if teams.is_empty() {
                format!("Participant: {}", who(&p["party_ref"]))
            } else {
                format!("Participant: {} (teams: {})", who(&p["party_ref"]), teams.join(", "))
            }
        })
        .collect();
    parties.extend(exercise["observer_refs"].as_array().into_iter().flatten().map(|o| format!("Observer: {}", who(o))));
    if !parties.is_empty() {
        s.bullets(parties);
    }
    let description = text(exercise, "description");
    if !description.is_empty() {
        s.paragraph(description);
    }

    let rows: Vec<Vec<String>> = objectives
        .iter()
        .map(|o| {
            let competencies: Vec<&str> = o["competencies"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            vec![text(o, "id"), text(o, "title"), text(o, "assessment"), o["observations"].as_array().map_or(0, Vec::len).to_string(), competencies.join(", ")]
        })
        .collect();
    let s = doc.section("Objectives");
    if rows.is_empty() {
        s.paragraph("The plan names no objectives.");
    } else {
        s.table(vec!["Objective".into(), "Title".into(), "Assessment".into(), "Observations".into(), "Competencies".into()], rows);
    }
    s.note("An objective is met when every observation against it says met, not met when any says not met, partially met otherwise, and not assessed without observations (from exercise control and the observers only).");

    let s = doc.section("Observations");
    if observations.is_empty() {
        s.paragraph("No observations were recorded.");
    } else {
        let rows = observations
            .iter()
            .map(|o| {
                let objective = text(o, "objective");
                vec![format!("{objective} {}", title_of_objective(&objective)).trim().to_owned(), text(o, "rating"), who(&o["author"]), text(o, "text"), text(o, "created")]
            })
            .collect();
        s.table(vec!["Objective".into(), "Rating".into(), "By".into(), "Observation".into(), "Recorded".into()], rows);
    }

    let s = doc.section("Lessons");
    if lessons.is_empty() {
        s.paragraph("No lessons were identified.");
    } else {
        let rows = lessons
            .iter()
            .map(|l| {
                let status = match l["validated_at"].as_str() {
                    Some(at) => format!("{} ({at})", text(l, "status")),
                    None => text(l, "status"),
                };
                let from = match l["observations"].as_array().map_or(0, Vec::len) {
                    1 => "1 observation".to_owned(),
                    n => format!("{n} observations"),
                };
                vec![text(l, "title"), text(l, "text"), status, who(&l["author"]), from]
            })
            .collect();
        s.table(vec!["Lesson".into(), "What was learned".into(), "Status".into(), "Identified by".into(), "Drawn from".into()], rows);
        s.note("NATO's chain: a lesson identified from observations, remedial actions planned and done, learned once exercise control validates it.");
    }

    let s = doc.section("Remedial actions");
    if actions.is_empty() {
        s.paragraph("No remedial actions were raised.");
    } else {
        let rows = actions
            .iter()
            .map(|a| {
                let status = if a["overdue"] == true { format!("{}, overdue", text(a, "status")) } else { text(a, "status") };
                vec![text(a, "description"), title_of_lesson(a["lesson"].as_str().unwrap_or_default()), who(&a["owner"]), text(a, "due"), status]
            })
            .collect();
        s.table(vec!["Action".into(), "Lesson".into(), "Owner".into(), "Due".into(), "Status".into()], rows);
    }
    doc.section("About this report").note(
        "Derived from the exercise's records that every party of the exercise holds (the plan, observations, lessons, remedial actions and their updates, validations), so every participant's node writes the same report from the same records. Injects and responses, which only their targets hold, are on the exercise's page.",
    );
    doc
}
