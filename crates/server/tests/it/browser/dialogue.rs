//! The dialogue and objectives pages in a real browser, through their forms
//! alone: A's liaison plans a meeting (its title hostile), writes the
//! minutes and approves them, B's liaison approves them on its own sign-in,
//! and both see them agreed; A gives B an action item, B acknowledges it;
//! A proposes an objective, both endorse it, B reports its KPI and the line
//! chart shows it. No page runs anything and every control has a label; a
//! screenshot of each step lands in `target/browser/`.

use super::driver::Driver;
use super::{inspect, screenshot, sign_in};
use crate::{ratified_agreement, start, Backend, Node};

/// The current page ran nothing and injected nothing, and every control
/// has a label (one `h1`, the language named, the skip link leading to the
/// content); its screenshot is `dialogue-<step>`.
async fn checked(driver: &Driver, step: &str) {
    let found = inspect(driver).await;
    assert!(found.is_clean(), "{step}: {found:?}");
    let problems = driver.script(super::UNLABELLED, serde_json::json!([])).await;
    assert_eq!(problems, serde_json::json!([]), "{step}: what assistive technology lacks");
    screenshot(driver, "dialogue", step).await;
}

/// Opens the page at `page?month=2026-01` (so that a form's redirect to
/// `page` is seen to land), and checks it.
async fn open(driver: &Driver, node: &Node, page: &str, step: &str) {
    driver.goto(&format!("{}{page}?month=2026-01", node.url)).await;
    driver.wait_path(&format!("{page}?month=2026-01")).await;
    checked(driver, step).await;
}

/// Clicks the submit button `css` and waits for the page again.
async fn press(driver: &Driver, page: &str, css: &str, step: &str) {
    driver.click(&driver.find(css).await).await;
    driver.wait_path(page).await;
    checked(driver, step).await;
}

async fn main_text(driver: &Driver) -> String {
    driver.text(&driver.find("main").await).await
}

async fn sign_out(driver: &Driver) {
    driver.click(&driver.find("form.signout button").await).await;
    driver.wait_path("/login").await;
}

#[tokio::test]
async fn minutes_agreed_an_item_acknowledged_and_a_kpi_reported_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let id = ratified_agreement(&node, "A–B", &[0, 1], &["indicator"]).await;
    let page = format!("/agreements/{id}/modules/dialogue");
    let hostile = crate::web::PAYLOADS.join(" ");

    // A plans a meeting of both parties, writes its minutes and approves them.
    sign_in(&driver, &node, &node.liaison[0]).await;
    open(&driver, &node, &page, "a-before").await;
    driver.set_value(&driver.find("#meeting-title").await, &hostile).await;
    driver.set_value(&driver.find("#meeting-type").await, "senior-dialogue").await;
    driver.set_value(&driver.find("#meeting-date").await, "2026-01-15T10:00:00Z").await;
    driver.set_value(&driver.find("#pname-0").await, "Head of delegation").await;
    driver.set_value(&driver.find("#pname-1").await, "Deputy director").await;
    driver.set_value(&driver.find("#meeting-agenda").await, "threat picture").await;
    press(&driver, &page, "form.plan button[type='submit']", "a-planned").await;
    let meeting = driver.script("return document.querySelector('section.meeting').id.slice('meeting-'.length)", serde_json::json!([])).await;
    let meeting = meeting.as_str().expect("a meeting section").to_owned();
    assert!(main_text(&driver).await.contains(&hostile), "the hostile title shows as text");
    open(&driver, &node, &page, "a-minutes-form").await;
    driver.click(&driver.find(&format!("section[id='meeting-{meeting}'] details summary")).await).await;
    driver.set_value(&driver.find(&format!("textarea[id='minutes-{meeting}']")).await, "The parties reviewed the threat picture.").await;
    press(&driver, &page, &format!("section[id='meeting-{meeting}'] form[action$='/edit-meeting'] button"), "a-minutes").await;
    assert!(main_text(&driver).await.contains("Minutes: awaiting approval"));
    open(&driver, &node, &page, "a-approve").await;
    press(&driver, &page, "form[action$='/approve-minutes'] button", "a-approved").await;
    let text = main_text(&driver).await;
    assert!(text.contains("Minutes: awaiting approval") && text.contains("approved this version") && text.contains("awaiting its approval"), "{text}");

    // A gives B an action item.
    open(&driver, &node, &page, "a-item-form").await;
    driver.set_value(&driver.find("#item-description").await, &format!("circulate the sensor list {hostile}")).await;
    driver.click(&driver.find(&format!("#item-owner option[value='{}']", node.b)).await).await;
    driver.set_value(&driver.find("#item-due").await, "2099-01-01T00:00:00Z").await;
    press(&driver, &page, "form[action$='/add-action-item'] button", "a-item").await;
    assert!(driver.try_find("article.item form.update input[value='acknowledge']").await.is_none(), "only the owner acknowledges");
    sign_out(&driver).await;

    // B approves on its own sign-in: agreed; B acknowledges its item.
    sign_in(&driver, &node, &node.liaison[1]).await;
    open(&driver, &node, &page, "b-before").await;
    press(&driver, &page, "form[action$='/approve-minutes'] button", "b-approved").await;
    let text = main_text(&driver).await;
    assert!(text.contains("Minutes: agreed") && text.matches("approved this version").count() == 2, "{text}");
    assert!(driver.try_find("form[action$='/approve-minutes']").await.is_none(), "nothing left to approve");
    open(&driver, &node, &page, "b-item").await;
    press(&driver, &page, "article.item form.update:has(input[value='acknowledge']) button", "b-acknowledged").await;
    let text = driver.text(&driver.find("section[aria-label='Open'] article.item").await).await;
    assert!(text.contains("acknowledged") && text.contains("circulate the sensor list"), "{text}");
    sign_out(&driver).await;

    // A sees them agreed too; then proposes an objective whose KPI B reports.
    sign_in(&driver, &node, &node.liaison[0]).await;
    open(&driver, &node, &page, "a-agreed").await;
    assert!(main_text(&driver).await.contains("Minutes: agreed"));
    let objectives = format!("/agreements/{id}/modules/objectives");
    open(&driver, &node, &objectives, "a-objective-form").await;
    driver.set_value(&driver.find("#objective-title").await, &hostile).await;
    driver.set_value(&driver.find("#kpi-name-0").await, "hours to share").await;
    driver.set_value(&driver.find("#kpi-unit-0").await, "hours").await;
    driver.set_value(&driver.find("#kpi-baseline-0").await, "12").await;
    driver.set_value(&driver.find("#kpi-target-0").await, "4").await;
    driver.click(&driver.find("#kpi-direction-0 option[value='decrease']").await).await;
    driver.set_value(&driver.find("#kpi-due-0").await, "2099-01-01T00:00:00Z").await;
    driver.click(&driver.find(&format!("#kpi-party-0 option[value='{}']", node.b)).await).await;
    press(&driver, &objectives, "form.propose button[type='submit']", "a-proposed").await;
    open(&driver, &node, &objectives, "a-endorse").await;
    press(&driver, &objectives, "form[action$='/endorse'] button", "a-endorsed").await;
    sign_out(&driver).await;

    sign_in(&driver, &node, &node.liaison[1]).await;
    open(&driver, &node, &objectives, "b-endorse").await;
    press(&driver, &objectives, "form[action$='/endorse'] button", "b-endorsed").await;
    open(&driver, &node, &objectives, "b-report").await;
    driver.set_value(&driver.find("form.report input[name='value:number']").await, "8").await;
    press(&driver, &objectives, "form.report button", "b-reported").await;
    let text = main_text(&driver).await;
    assert!(text.contains("adopted") && text.contains("50%"), "{text}");
    assert!(driver.try_find("figure.chart svg polyline.expected").await.is_some() && driver.try_find("figure.chart svg circle").await.is_some(), "the line chart");
}
