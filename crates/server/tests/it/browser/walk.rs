//! A whole partnership in the browser, through the pages alone: A's liaison
//! proposes an agreement with B and ratifies it, B's liaison ratifies it,
//! A's analyst shares an indicator through the form, B finds it by its
//! observable and opens its page with A as author, and C, not a party,
//! finds it nowhere. A screenshot of every step lands in `target/browser/`.

use super::driver::Driver;
use super::{inspect, screenshot, sign_in};
use crate::{start, Backend, Node};

/// The observable the shared indicator names.
const ADDRESS: &str = "198.51.100.77";

/// Opens `path`, checks no script ran, and keeps a screenshot as `walk-<step>`.
async fn visit(driver: &Driver, node: &Node, path: &str, step: &str) {
    driver.goto(&format!("{}{path}", node.url)).await;
    checked(driver, step).await;
}

/// The current page ran nothing; its screenshot is `walk-<step>`.
async fn checked(driver: &Driver, step: &str) {
    let found = inspect(driver).await;
    assert!(found.is_clean(), "{step}: {found:?}");
    screenshot(driver, "walk", step).await;
}

async fn sign_out(driver: &Driver) {
    driver.click(&driver.find("form.signout button").await).await;
    driver.wait_path("/login").await;
}

async fn body_text(driver: &Driver) -> String {
    driver.text(&driver.find("main").await).await
}

/// The path of the current page, without the origin.
async fn path_of(driver: &Driver, node: &Node) -> String {
    driver.url().await.strip_prefix(&node.url).unwrap_or_default().to_owned()
}

/// Waits (30 s at most: a loaded CI machine) until the browser is on a page whose path starts
/// with `prefix`, after `what` submitted a form; that path.
async fn landed_under(driver: &Driver, node: &Node, prefix: &str, what: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let path = path_of(driver, node).await;
        if path.starts_with(prefix) {
            return path;
        }
        assert!(std::time::Instant::now() < deadline, "{what} did not lead under {prefix}: {}", body_text(driver).await);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Presses the agreement page's Ratify button and waits for the page again.
async fn ratify(driver: &Driver, node: &Node, page: &str, step: &str) {
    visit(driver, node, page, &format!("{step}-before")).await;
    driver.click(&driver.find("form[action$='/ratify'] button").await).await;
    driver.wait_path(page).await;
    checked(driver, step).await;
}

#[tokio::test]
async fn a_partnership_from_proposal_to_a_shared_indicator() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;

    // A's liaison proposes an A–B agreement through the form.
    sign_in(&driver, &node, &node.liaison[0]).await;
    visit(&driver, &node, "/agreements/new", "propose-form").await;
    driver.set_value(&driver.find("#title").await, "Aurelia–Borealis indicator exchange").await;
    driver.set_value(&driver.find("#purpose").await, "Share indicators of the threats both CERTs face.").await;
    driver.click(&driver.find(&format!("input[name='parties'][value='{}']", node.b)).await).await;
    driver.set_value(&driver.find("#object_types").await, "indicator, sighting").await;
    driver.set_value(&driver.find("#valid_from").await, "2026-01-01").await;
    driver.click(&driver.find("form.terms button[type='submit']").await).await;
    let page = landed_under(&driver, &node, "/agreements/x-entente-agreement--", "proposing").await;
    let agreement = page.strip_prefix("/agreements/").unwrap().to_owned();
    checked(&driver, "proposed").await;
    ratify(&driver, &node, &page, "ratified-by-a").await;
    let text = body_text(&driver).await;
    assert!(text.contains("awaiting ratification"), "after A's ratification: {text}");
    sign_out(&driver).await;

    // B's liaison ratifies on its own sign-in; the agreement is in force.
    sign_in(&driver, &node, &node.liaison[1]).await;
    visit(&driver, &node, "/agreements", "b-agreements").await;
    assert!(body_text(&driver).await.contains("Aurelia–Borealis indicator exchange"));
    ratify(&driver, &node, &page, "ratified-by-b").await;
    let text = body_text(&driver).await;
    assert!(text.contains("in force") || text.contains("in-force"), "after B's ratification: {text}");
    sign_out(&driver).await;

    // A's analyst shares an indicator under it through the form.
    sign_in(&driver, &node, &node.token_a).await;
    visit(&driver, &node, "/share", "share-form").await;
    driver.set_value(&driver.find("#indicator-name").await, "Stormcrow C2").await;
    driver.set_value(&driver.find("#indicator-pattern").await, &format!("[ipv4-addr:value = '{ADDRESS}']")).await;
    driver.click(&driver.find("form[action='/share/indicator'] input[name='tlp'][value='green']").await).await;
    driver.click(&driver.find(&format!("form[action='/share/indicator'] input[name='agreement'][value='{agreement}']")).await).await;
    driver.click(&driver.find("form[action='/share/indicator'] button[type='submit']").await).await;
    let object = landed_under(&driver, &node, "/intel/indicator--", "sharing").await;
    checked(&driver, "shared").await;
    assert!(body_text(&driver).await.contains("Aurelia–Borealis indicator exchange"), "shared under the agreement");
    sign_out(&driver).await;

    // B finds it by the observable and opens it: A is the author.
    sign_in(&driver, &node, &node.liaison[1]).await;
    visit(&driver, &node, &format!("/intel?observable=ipv4-addr:{ADDRESS}"), "b-finds").await;
    let link = driver.find(&format!("a[href='{object}']")).await;
    driver.click(&link).await;
    driver.wait_path(&object).await;
    checked(&driver, "b-opens").await;
    let author = driver.script("return [...document.querySelectorAll('dl.facts dt')].find(d => d.textContent === 'Author').nextElementSibling.textContent", serde_json::json!([])).await;
    assert_eq!(author, "Aurelia", "B sees A as the author");
    sign_out(&driver).await;

    // C, not a party, finds it nowhere, and its page is the 404 of a missing object.
    sign_in(&driver, &node, &node.liaison[2]).await;
    visit(&driver, &node, &format!("/intel?observable=ipv4-addr:{ADDRESS}"), "c-searches").await;
    assert!(driver.try_find(&format!("a[href='{object}']")).await.is_none(), "C must not find it");
    visit(&driver, &node, "/intel?type=indicator", "c-lists").await;
    assert!(driver.try_find(&format!("a[href='{object}']")).await.is_none(), "C must not list it");
    refused(&driver, &node, &object, "c-refused").await;
    refused(&driver, &node, &page, "c-agreement").await;
}

/// `path` answers the 404 page (the browser logs the 404 itself, and nothing else).
async fn refused(driver: &Driver, node: &Node, path: &str, step: &str) {
    driver.goto(&format!("{}{path}", node.url)).await;
    assert!(driver.title().await.starts_with("Not found"), "{step}: {path} is not the 404 page");
    let found = inspect(driver).await;
    assert!(found.executions() == found.errors.len() && found.injected.is_empty(), "{step}: {found:?}");
    assert!(found.errors.iter().all(|e| e.contains("status of 404")), "{step}: {found:?}");
    screenshot(driver, "walk", step).await;
}
