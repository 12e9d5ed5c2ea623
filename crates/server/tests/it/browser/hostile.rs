//! Hostile content in a real browser: A shares objects whose every string
//! carries script payloads, B signs in through the form and opens every
//! page that shows them; no page may run any of it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::driver::Driver;
use super::{enc, inspect, screenshot, sign_in, Findings};
use crate::{call, ratified_agreement, start, Backend, Node};

/// Payloads beyond `web::PAYLOADS`: tag and attribute breakouts, a title
/// breakout, script-bearing URLs, and two that set the markers
/// [`super::inspect`] reads (`window.__pwned`, `document.title = 'pwned'`).
const MORE: &[&str] = &[
    "<img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "</title><script>alert(1)</script>",
    "\"><svg/onload=alert(1)>",
    "'><img src=x onerror=\"window.__pwned=1;document.title='pwned'\">",
    "<script>window.__pwned=1;document.title='pwned'</script>",
    "</textarea></code></td></table><script>alert(1)</script>",
    "<a href=\"javascript:window.__pwned=1\">click</a>",
    "data:text/html,<script>alert(1)</script>",
    "javascript:window.__pwned=1//",
];

/// Every payload, once.
fn payloads() -> Vec<&'static str> {
    let mut seen = BTreeSet::new();
    crate::web::PAYLOADS.iter().chain(MORE).copied().filter(|p| seen.insert(*p)).collect()
}

/// The URL the indicator's pattern tests, hostile too.
fn hostile_url() -> String {
    format!("http://evil.example/{}", payloads().join(""))
}

/// An object of type `kind` by A whose string properties all carry every
/// payload: `all` in single strings, one payload per item in lists.
fn hostile(node: &Node, kind: &str, n: usize, extra: Value) -> Value {
    let all = payloads().join(" ");
    let each: Vec<String> = payloads().iter().map(|p| p.to_string()).collect();
    let mut references: Vec<Value> = each.iter().map(|p| json!({ "source_name": p, "description": p, "external_id": p, "url": p })).collect();
    references.push(json!({ "source_name": "javascript url", "url": "javascript:alert(1)" }));
    references.push(json!({ "source_name": "data url", "url": "data:text/html,<script>window.__pwned=1;alert(1)</script>" }));
    let mut o = json!({
        "type": kind, "spec_version": "2.1", "id": format!("{kind}--6b1f5a3e-2c4d-4e8f-9a0b-{n:012}"),
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-02T00:00:00Z",
        "created_by_ref": node.a,
        "name": format!("hostile {kind} {all}"),
        "description": all,
        "labels": each,
        "external_references": references,
        "x_hostile_note": all,
    });
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

/// A–B agreement (its title hostile too) and A's hostile objects shared
/// under it; returns their ids.
async fn share_hostile(node: &Node) -> Vec<String> {
    let all = payloads().join(" ");
    let each: Vec<String> = payloads().iter().map(|p| p.to_string()).collect();
    let phases: Vec<Value> = each.iter().map(|p| json!({ "kill_chain_name": p, "phase_name": p })).collect();
    let types = ["indicator", "malware", "attack-pattern", "report", "note"];
    let agreement = ratified_agreement(node, &format!("A–B hostile {all}"), &[0, 1], &types).await;
    let literal = hostile_url().replace('\\', "\\\\").replace('\'', "\\'");
    let indicator = hostile(
        node,
        "indicator",
        1,
        json!({
            "indicator_types": each, "kill_chain_phases": phases,
            "pattern": format!("[ipv4-addr:value = '198.51.100.7'] OR [url:value = '{literal}']"),
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        }),
    );
    let malware = hostile(node, "malware", 2, json!({ "is_family": true, "malware_types": each, "aliases": each, "kill_chain_phases": phases }));
    let attack = hostile(node, "attack-pattern", 3, json!({ "aliases": each, "kill_chain_phases": phases }));
    let refs = [&indicator["id"], &malware["id"], &attack["id"]];
    let report = hostile(node, "report", 4, json!({ "report_types": each, "published": "2026-01-02T00:00:00Z", "object_refs": refs }));
    let mut note = hostile(node, "note", 5, json!({ "abstract": all, "content": all, "authors": each, "object_refs": refs }));
    note.as_object_mut().unwrap().remove("name");
    let objects = vec![indicator, malware, attack, report, note];
    let ids = objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect();
    let (s, v) = call(node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": objects, "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    for r in v["results"].as_array().unwrap() {
        assert_eq!(r["status"], "stored", "{v}");
    }
    ids
}

/// B opens every page that shows A's hostile objects; nothing runs.
#[tokio::test]
async fn hostile_objects_run_nothing_on_any_page() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let ids = share_hostile(&node).await;
    sign_in(&driver, &node, &node.liaison[1]).await;

    // The pages that show the objects: one line each, later pages append theirs.
    // (The observable search lists objects by id, so it is searched by the
    // hostile URL, which its field shows.)
    let mut pages: Vec<(&str, String)> = vec![
        ("dashboard", "/".into()),
        ("search-text", "/intel?q=hostile".into()),
        ("search-payload", format!("/intel?q={}", enc("<svg onload=alert(1)>"))),
        ("search-type", "/intel?type=indicator,malware,attack-pattern,report,note".into()),
        ("search-observable-url", format!("/intel?observable=url:{}", enc(&hostile_url()))),
    ];
    let names = ["indicator", "malware", "attack-pattern", "report", "note"];
    pages.extend(names.iter().zip(&ids).map(|(name, id)| (*name, format!("/intel/{id}"))));
    run_pages(&driver, &node, &pages).await;
}

/// Opens `pages` in turn; asserts each rendered the payloads as text and ran none.
async fn run_pages(driver: &Driver, node: &Node, pages: &[(&str, String)]) {
    let mut executions = 0;
    let mut problems = Vec::new();
    for (name, path) in pages {
        driver.goto(&format!("{}{path}", node.url)).await;
        let found: Findings = inspect(driver).await;
        screenshot(driver, "hostile", name).await;
        executions += found.executions();
        if !found.is_clean() {
            problems.push(format!("{name} ({path}): {found:?}"));
        }
        // Rendered, as text: the page shows the payloads themselves (in its text or a search field).
        assert!(found.text.contains("<script>"), "{name} ({path}) does not show the payloads as text: {}", found.text);
        assert!(!found.title.starts_with("Not found"), "{name} ({path}): {}", found.title);
    }
    println!("browser hostile: payloads={} pages={} executions={executions}", payloads().len(), pages.len());
    assert!(problems.is_empty(), "hostile text ran or was injected:\n{}", problems.join("\n"));
    assert_eq!(executions, 0);
}
