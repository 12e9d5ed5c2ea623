//! The scorecard's drill-down in a real browser: A's node holds indicators
//! A shared with B under their agreement (hostile names), one B shared
//! back and one A kept to itself; signed in as A, the scorecard page's
//! reciprocity figure for the pair A → B is clicked, the evidence section
//! lists what each gave the other (and not what A kept), and one of them
//! is clicked through to its object page. Nothing runs on any page.

use serde_json::json;

use super::driver::Driver;
use super::{inspect, screenshot, sign_in};
use crate::{call, ratified_agreement, start, Backend};

#[tokio::test]
async fn a_score_drills_down_to_its_evidence_and_on_to_an_object() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let agreement = ratified_agreement(&node, "A–B indicator exchange", &[0, 1], &["indicator"]).await;
    let indicator = |n: usize, by: &str, name: &str| {
        json!({ "type": "indicator", "spec_version": "2.1", "id": format!("indicator--5c0a1b2c-3d4e-4f5a-8b6c-{n:012}"),
            "created": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z", "created_by_ref": by, "name": name,
            "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"), "pattern_type": "stix", "valid_from": "2026-03-01T00:00:00Z" })
    };
    let hostile = crate::web::PAYLOADS.join(" ");
    let ours: Vec<serde_json::Value> = (1..=3).map(|n| indicator(n, &node.a, &format!("C2 {n} {hostile}"))).collect();
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": ours, "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    let theirs = indicator(50, &node.b, "B's own");
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(json!({ "objects": [theirs], "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    // One A keeps to itself: shared under no agreement, given to no one.
    let kept = indicator(60, &node.a, "A's own, kept");
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": [kept], "agreements": [] }))).await;
    assert_eq!(s, 200, "{v}");

    sign_in(&driver, &node, &node.liaison[0]).await;
    driver.goto(&format!("{}/agreements/{agreement}/scorecard?window=3650", node.url)).await;
    let found = inspect(&driver).await;
    assert!(found.is_clean(), "scorecard: {found:?}");
    // The pair A → B's reciprocity figure, as a person would click it.
    let figure = format!("table.scorecard a[href*='indicator=reciprocity'][href*='from={}&to={}']", node.a, node.b);
    driver.click(&driver.find(&figure).await).await;
    let section = driver.wait_for("#evidence").await;
    assert!(driver.url().await.contains("indicator=reciprocity"), "{}", driver.url().await);
    let text = driver.text(&section).await;
    assert!(text.contains("Evidence: reciprocity, Aurelia → Borealis"), "{text}");
    // Reciprocity weighs what each gave the other: A's three and B's one, n 4; not what A kept.
    for n in [1, 2, 3, 50] {
        assert!(text.contains(&format!("indicator--5c0a1b2c-3d4e-4f5a-8b6c-{n:012}")), "indicator {n} counted: {text}");
    }
    assert!(text.contains("n 4"), "{text}");
    assert!(!text.contains("indicator--5c0a1b2c-3d4e-4f5a-8b6c-000000000060"), "what A kept to itself is no evidence: {text}");
    let found = inspect(&driver).await;
    assert!(found.is_clean(), "evidence: {found:?}");
    screenshot(&driver, "scorecard", "evidence").await;

    // On to the object counted.
    driver.click(&driver.find("#evidence ul.evidence a[href='/intel/indicator--5c0a1b2c-3d4e-4f5a-8b6c-000000000001']").await).await;
    driver.wait_path("/intel/indicator--5c0a1b2c-3d4e-4f5a-8b6c-000000000001").await;
    let found = inspect(&driver).await;
    assert!(found.is_clean(), "object: {found:?}");
    assert!(found.text.contains("C2 1 <script>alert(1)</script>"), "the object's page shows its name as text: {}", found.text);
    screenshot(&driver, "scorecard", "evidence-object").await;
}
