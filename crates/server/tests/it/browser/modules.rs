//! The exercises, exchanges and resources pages in a real browser, through
//! their forms, every text field carrying script payloads: A (control)
//! plans an exercise with B as participant from typed rows (participant,
//! objective, inject), B endorses, A starts it and releases the inject, B
//! responds, A records an observation, B identifies a lesson and gives A
//! a remedial action; and in the ledger A pledges to B and delivers, B
//! confirms, and the balances move; and a crisis activated, acknowledged,
//! its task worked and a situation report filed, read back as the common
//! picture; and a dispute raised, escalated and settled, a joint statement
//! drafted, approved by each co-signer and read signed out on the public
//! page. No page runs anything, every control has a label; a screenshot
//! of each step lands in `target/browser/`.

use serde_json::{json, Value};

use super::driver::Driver;
use super::{checked, main_text, sign_in, sign_out, submit};
use crate::{call, start, Backend, Node};

/// An A–B agreement in force whose scope takes real and exercise data (the
/// exercises module's records are exercise data).
async fn agreement(node: &Node) -> String {
    let terms = json!({
        "title": "A–B training and burden sharing", "purpose": "exercise together and share the costs",
        "party_refs": [node.a, node.b],
        "scope": { "object_types": [], "labels": [], "data_kind": "both" },
        "tlp_ceiling": "amber",
        "handling": { "reshare": "parties-only", "attribution": "required", "permitted_actions": [] },
        "valid_from": "2020-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &node.liaison[0], "POST", "agreements", Some(terms)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    for p in [0, 1] {
        let (s, v) = call(node, &node.liaison[p], "POST", &format!("agreements/{id}/ratify"), None).await;
        assert_eq!(s, 201, "{v}");
    }
    id
}

#[tokio::test]
async fn an_exercise_from_plan_to_lesson_and_a_ledger_walk_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let id = agreement(&node).await;
    let hostile = crate::web::PAYLOADS.join(" ");
    let h = hostile.as_str();
    let exercises = format!("/agreements/{id}/modules/exercises");
    let (a, b) = (node.a.to_string(), node.b.to_string());

    // A plans from typed rows: B participates; one objective, one inject to B.
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    checked(&driver, "modules", "exercises-empty", false).await;
    let target = format!("input[name='injects[0].target_refs:list'][value='{b}']");
    submit(&driver, "modules", &exercises, "plan-exercise", &[
        ("[name='name']", &format!("Storm {h}")),
        ("[name='exercise_type']", "tabletop"),
        ("[name='description']", h),
        ("[name='start_date:time']", "2026-06-01T08:00"),
        ("[name='end_date:time']", "2026-06-02T18:00"),
        ("[name='participants[0].party_ref']", &b),
        ("[name='participants[0].teams:list']", "SOC"),
        ("[name='objectives[0].id']", "O-1"),
        ("[name='objectives[0].title']", &format!("Share fast {h}")),
        ("[name='injects[0].move']", "1"),
        ("[name='injects[0].move_title']", h),
        ("[name='injects[0].id']", "I-1"),
        ("[name='injects[0].offset_minutes:number']", "30"),
        (&target, ""),
        ("[name='injects[0].channel']", h),
        ("[name='injects[0].content']", &format!("Beaconing seen {h}")),
        ("[name='injects[0].expected_action']", h),
        ("[name='injects[0].objective']", "O-1"),
    ], "exercise-planned").await;
    checked(&driver, "modules", "exercise-planned-page", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("I-1 1 Borealis"), "the inject in the plan: {text}");
    sign_out(&driver).await;

    // B endorses on its own sign-in.
    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    submit(&driver, "modules", &exercises, "endorse-exercise", &[], "exercise-endorsed").await;
    sign_out(&driver).await;

    // A starts it and releases the inject.
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    submit(&driver, "modules", &exercises, "start-exercise", &[], "exercise-started").await;
    submit(&driver, "modules", &exercises, "release-inject", &[], "inject-released").await;
    checked(&driver, "modules", "inject-released-page", true).await;
    assert!(main_text(&driver).await.contains("Beaconing seen"), "the released inject's content");
    sign_out(&driver).await;

    // B responds.
    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    submit(&driver, "modules", &exercises, "respond-inject", &[("[name='text']", &format!("Indicator shared {h}")), ("[name='action_taken']", h)], "inject-answered").await;
    checked(&driver, "modules", "inject-answered-page", true).await;
    assert!(main_text(&driver).await.contains("Indicator shared"));
    sign_out(&driver).await;

    // A (control) records an observation.
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    submit(&driver, "modules", &exercises, "record-observation", &[("[name='objective']", "O-1"), ("[name='rating']", "partially-met"), ("[name='text']", &format!("Slow to share {h}"))], "observed").await;
    let observation = driver.script("return document.querySelector(\"section.exercise li small code\").textContent", json!([])).await;
    let observation = observation.as_str().expect("the observation's id on the page").to_owned();
    sign_out(&driver).await;

    // B identifies a lesson from it and gives A a remedial action.
    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{exercises}", node.url)).await;
    submit(&driver, "modules", &exercises, "identify-lesson", &[("[name='title']", &format!("Phone lists {h}")), ("[name='text']", h), ("[name='observation_refs:list']", &observation)], "lesson").await;
    submit(&driver, "modules", &exercises, "add-remedial-action", &[("[name='description']", &format!("Refresh the lists {h}")), ("[name='owner_ref']", &a), ("[name='due:time']", "2099-01-01T00:00")], "remedial-action").await;
    checked(&driver, "modules", "lesson-page", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("Phone lists") && text.contains("Refresh the lists") && text.contains("Slow to share"), "{text}");
    // The exchanges page of the same agreement, after all of it.
    driver.goto(&format!("{}/agreements/{id}/modules/exchanges", node.url)).await;
    checked(&driver, "modules", "exchanges", false).await;
    sign_out(&driver).await;

    // The ledger: terms in force (by REST), then A pledges and delivers, B confirms.
    let module = |action: &str| format!("agreements/{id}/modules/resources/actions/{action}");
    let (s, v) = call(&node, &node.liaison[0], "POST", &module("propose-terms"), Some(json!({ "unit": "EUR", "cost_share": { "method": "equal" } }))).await;
    assert_eq!(s, 201, "{v}");
    let terms = v["record"]["id"].as_str().unwrap().to_owned();
    for p in [0, 1] {
        let (s, v) = call(&node, &node.liaison[p], "POST", &module("accept-terms"), Some(json!({ "terms": terms }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let resources = format!("/agreements/{id}/modules/resources");
    let balance = |text: &str, who: &str| -> String {
        text.lines().find(|l| l.starts_with(who)).map(str::to_owned).unwrap_or_default()
    };
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{resources}", node.url)).await;
    checked(&driver, "modules", "ledger-empty", false).await;
    submit(&driver, "modules", &resources, "commit", &[
        ("[name='resource']", "money"), ("[name='quantity:number']", "1000"), ("[name='currency']", "EUR"), ("[name='receiver']", &b),
        ("[name='year:number']", "2026"), ("[name='due:time']", "2099-01-01T00:00"), ("[name='description']", &format!("Sensor grid {h}")),
    ], "pledged").await;
    submit(&driver, "modules", &resources, "deliver", &[("[name='quantity:number']", "400"), ("[name='note']", &format!("First tranche {h}"))], "delivered").await;
    checked(&driver, "modules", "delivered-page", true).await;
    let before = main_text(&driver).await;
    sign_out(&driver).await;
    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{resources}", node.url)).await;
    submit(&driver, "modules", &resources, "confirm", &[("[name='verdict']", "confirmed"), ("[name='note']", h)], "confirmed").await;
    checked(&driver, "modules", "confirmed-page", true).await;
    let after = main_text(&driver).await;
    // The partners' names as the pages show them.
    let names = driver.script("return Array.from(document.querySelectorAll('main table:first-of-type tbody tr td:first-child')).map(td => td.textContent)", json!([])).await;
    let names: Vec<String> = names.as_array().unwrap().iter().filter_map(Value::as_str).map(str::to_owned).collect();
    assert!(names.len() >= 2, "a balance row per party: {names:?}");
    for who in &names {
        assert_ne!(balance(&before, who), balance(&after, who), "{who}'s balance moved once B confirmed: before {before}\nafter {after}");
    }
    assert!(after.contains("confirmed"), "{after}");
}

/// The crisis page through its forms: A activates an exercise crisis ad hoc
/// and assigns B a task; B acknowledges the crisis, accepts and completes
/// the task and files a situation report; A reads the common picture with
/// B's acknowledgement, the task done and B's report. Every text field
/// carries the payloads; nothing runs.
#[tokio::test]
async fn a_crisis_activated_acknowledged_worked_and_reported_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let id = agreement(&node).await;
    let h = crate::web::PAYLOADS.join(" ");
    let h = h.as_str();
    let page = format!("/agreements/{id}/modules/crisis");
    let b = node.b.to_string();

    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{page}", node.url)).await;
    checked(&driver, "modules", "crisis-empty", false).await;
    submit(&driver, "modules", &page, "activate", &[("[name='title']", &format!("Floods {h}")), ("[name='severity']", "severe"), ("[name='exercise:json']", "true"), ("[name='summary']", h), ("[name='ack_within_minutes:number']", "60")], "crisis-activated").await;
    submit(&driver, "modules", &page, "add-task", &[
        ("[name='key']", "pumps"), ("[name='title']", &format!("Send pumps {h}")), ("[name='phase']", "response"), ("[name='assignee']", &b),
        ("[name='ack_within_minutes:number']", "30"), ("[name='complete_within_minutes:number']", "600"),
    ], "crisis-task").await;
    checked(&driver, "modules", "crisis-task-page", true).await;
    assert!(main_text(&driver).await.contains("EXERCISE"), "marked as an exercise");
    sign_out(&driver).await;

    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{page}", node.url)).await;
    submit(&driver, "modules", &page, "acknowledge", &[("[name='note']", h)], "crisis-acknowledged").await;
    submit(&driver, "modules", &page, "update-task", &[("[name='status']", "accepted"), ("[name='note']", h)], "task-accepted").await;
    submit(&driver, "modules", &page, "update-task", &[("[name='status']", "done"), ("[name='note']", h)], "task-done").await;
    submit(&driver, "modules", &page, "file-sitrep", &[
        ("[name='period_start:time']", "2026-06-01T00:00"), ("[name='period_end:time']", "2026-06-01T06:00"),
        ("[name='situation_summary']", &format!("Levels falling {h}")), ("[name='observations']", h), ("[name='actions_taken']", h),
        ("[name='impact']", h), ("[name='next_report_due:time']", "2099-01-01T00:00"),
    ], "sitrep").await;
    sign_out(&driver).await;

    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{page}", node.url)).await;
    checked(&driver, "modules", "crisis-picture", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("Levels falling") && text.contains("0 open (0 overdue), 1 done"), "B's report and the task done: {text}");
    assert!(text.contains("task pumps: done") && text.contains("acknowledged by Borealis"), "the timeline: {text}");
}

/// The disputes and statements pages through their forms, one browser:
/// A drafts a joint statement with B as co-signer, submits and approves
/// it; A raises a dispute and agrees to escalate; B files a position,
/// proposes a settlement, accepts it and agrees to escalate (the dispute
/// moves to senior dialogue) and approves the statement; A accepts and the
/// dispute is settled; the statement is read signed out on the public page
/// once its embargo passed. Every text field carries the payloads; nothing
/// runs.
#[tokio::test]
async fn a_dispute_settled_and_a_joint_statement_published_through_the_forms() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let id = agreement(&node).await;
    let h = crate::web::PAYLOADS.join(" ");
    let h = h.as_str();
    let disputes = format!("/agreements/{id}/modules/disputes");
    let statements = format!("/agreements/{id}/modules/statements");
    let b = node.b.to_string();

    // A drafts and submits a joint statement with B as co-signer, and
    // approves it; its embargo a minute or two ahead (the form takes
    // minutes), passing while the dispute is worked.
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{statements}", node.url)).await;
    checked(&driver, "disputes", "statements-empty", false).await;
    let minute = 60_000_000;
    // The next whole minute at least 40 s ahead (the form takes minutes;
    // the draft must be made before its embargo, even on a loaded machine).
    let embargo = model::Timestamp::from_micros((model::Timestamp::now().micros() + 40_000_000) / minute * minute + minute);
    let languages = json!({ "fr": { "title": format!("Déclaration {h}"), "text": h } }).to_string();
    let cosigner = format!("input[name='cosigners:list'][value='{b}']");
    submit(&driver, "disputes", &statements, "draft-statement", &[
        ("[name='title']", &format!("Joint statement {h}")), ("[name='text']", &format!("Together {h}")), ("[name='languages:json']", &languages),
        ("[name='embargo:time']", &embargo.as_str()[..16]), (&cosigner, ""), ("[name='submit:bool']", ""),
    ], "statement-drafted").await;
    submit(&driver, "disputes", &statements, "approve-statement", &[], "statement-approved-by-a").await;

    // A raises a dispute and agrees to escalate.
    driver.goto(&format!("{}{disputes}", node.url)).await;
    checked(&driver, "disputes", "disputes-empty", false).await;
    submit(&driver, "disputes", &disputes, "raise", &[("[name='clause']", "handling.reshare"), ("[name='facts']", &format!("Reshared {h}")), ("[name='remedy']", &format!("Recall {h}"))], "dispute-raised").await;
    submit(&driver, "disputes", &disputes, "escalate", &[], "dispute-escalated-by-a").await;
    checked(&driver, "disputes", "dispute-raised-page", true).await;
    sign_out(&driver).await;

    // B files a position, proposes, accepts, agrees to escalate; approves the statement.
    sign_in(&driver, &node, &node.liaison[1]).await;
    driver.goto(&format!("{}{disputes}", node.url)).await;
    submit(&driver, "disputes", &disputes, "file-position", &[("[name='text']", &format!("Our supervisor {h}"))], "dispute-position").await;
    submit(&driver, "disputes", &disputes, "propose", &[("[name='text']", &format!("We recall {h}"))], "dispute-proposal").await;
    submit(&driver, "disputes", &disputes, "accept", &[], "dispute-accepted-by-b").await;
    submit(&driver, "disputes", &disputes, "escalate", &[], "dispute-escalated-by-b").await;
    let text = main_text(&driver).await;
    assert!(text.contains("senior-dialogue (current)") && text.contains("escalated"), "both agreed: the next stage: {text}");
    driver.goto(&format!("{}{statements}", node.url)).await;
    submit(&driver, "disputes", &statements, "approve-statement", &[], "statement-approved-by-b").await;
    checked(&driver, "disputes", "statement-approved-page", true).await;
    sign_out(&driver).await;

    // A accepts: settled.
    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}{disputes}", node.url)).await;
    submit(&driver, "disputes", &disputes, "accept", &[], "dispute-settled").await;
    checked(&driver, "disputes", "dispute-settled-page", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("settled") && text.contains("the settlement") && text.contains("Our supervisor") && text.contains("We recall"), "{text}");
    sign_out(&driver).await;

    // Signed out, once the embargo passed: the public page shows it.
    let wait = embargo.micros() - model::Timestamp::now().micros();
    if wait > 0 {
        tokio::time::sleep(std::time::Duration::from_micros(wait as u64 + 300_000)).await;
    }
    driver.goto(&format!("{}/public/statements", node.url)).await;
    let found = super::inspect(&driver).await;
    assert!(found.is_clean() && found.text.contains("Joint statement <script>alert(1)</script>"), "published, the payloads as text: {found:?}");
    let href = driver.script("return document.querySelector('main table a').getAttribute('href')", json!([])).await;
    driver.goto(&format!("{}{}", node.url, href.as_str().expect("a link to the statement"))).await;
    checked(&driver, "disputes", "statement-public", true).await;
    let text = main_text(&driver).await;
    assert!(text.contains("Together") && text.contains("Déclaration") && text.matches("signature verified by this node").count() == 3, "{text}");
}
