//! The public statements in a real browser, signed out: a statement whose
//! title, text and language version carry script payloads, published by A
//! and B, is read on the public list and its own page; nothing runs, the
//! payloads read as text, the page has one h1 and fits a narrow window.

use serde_json::json;

use super::driver::Driver;
use super::{inspect, UNLABELLED};
use crate::{call, ratified_agreement, start, Backend};

#[tokio::test]
async fn a_hostile_published_statement_reads_as_text_signed_out() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let ab = ratified_agreement(&node, "A–B partnership", &[0, 1], &[]).await;
    let payloads = [crate::web::PAYLOADS.as_slice(), &["<img src=x onerror=\"window.__pwned=1;document.title='pwned'\">", "</title><script>alert(1)</script>"]].concat();
    let all = payloads.join(" ");
    let soon = model::Timestamp::from_micros(model::Timestamp::now().micros() + 3_000_000).to_string();
    let input = json!({ "title": format!("Statement {}", payloads[0]), "text": all, "embargo": soon, "cosigners": [node.b], "submit": true,
                        "languages": { "fr": { "title": all, "text": all } } });
    let base = format!("agreements/{ab}/modules/statements/actions");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{base}/draft-statement"), Some(input)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["record"]["id"].as_str().unwrap().to_owned();
    for token in [&node.liaison[0], &node.liaison[1]] {
        let (s, v) = call(&node, token, "POST", &format!("{base}/approve-statement"), Some(json!({ "statement": id }))).await;
        assert_eq!(s, 201, "{v}");
    }
    let wait = model::Timestamp::parse(&soon).unwrap().micros() - model::Timestamp::now().micros();
    if wait > 0 {
        tokio::time::sleep(std::time::Duration::from_micros(wait as u64 + 300_000)).await;
    }
    driver.resize(600, 900).await;
    for path in ["/public/statements".to_owned(), format!("/public/statements/{id}")] {
        driver.goto(&format!("{}{path}", node.url)).await;
        let found = inspect(&driver).await;
        assert!(found.is_clean(), "{path}: {found:?}");
        assert!(found.text.contains(payloads[0]), "{path}: the payload reads as text: {}", found.text);
        assert_eq!(driver.script(UNLABELLED, json!([])).await, json!([]), "{path}: structure");
        let overflow = driver.script("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
        let wide = driver.script("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))", json!([])).await;
        assert!(overflow.as_i64().is_some_and(|o| o <= 0), "{path} scrolls sideways by {overflow}px: {wide}");
    }
    // The statement's page: every payload as text, the signatures verified.
    let found = inspect(&driver).await;
    for p in &payloads {
        assert!(found.text.contains(p), "{p} missing from the page's text");
    }
    assert_eq!(found.text.matches("signature verified by this node").count(), 3, "{}", found.text);
}
