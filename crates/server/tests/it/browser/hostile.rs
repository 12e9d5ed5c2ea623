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

/// A–B agreement (its title hostile too) and A's
/// hostile objects shared under it; returns the agreement's id and theirs.
async fn share_hostile(node: &Node) -> (String, Vec<String>) {
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
    (agreement, ids)
}

/// B opens every page that shows A's hostile objects; nothing runs.
#[tokio::test]
async fn hostile_objects_run_nothing_on_any_page() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let (agreement, ids) = share_hostile(&node).await;
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
    pages.extend([
        ("agreements", "/agreements".to_owned()),
        ("agreement", format!("/agreements/{agreement}")),
        ("share", "/share".to_owned()),
        ("dialogue", format!("/agreements/{agreement}/modules/dialogue")),
    ]);
    // A channel and a message of A's in the dialogue, every payload in them.
    let all = payloads().join(" ");
    let actions = format!("agreements/{agreement}/modules/dialogue/actions");
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{actions}/create-channel"), Some(json!({ "title": crate::web::PAYLOADS[0], "topic": all }))).await;
    assert_eq!(s, 201, "{v}");
    let channel = v["record"]["id"].as_str().unwrap().to_owned();
    let (s, v) = call(&node, &node.liaison[0], "POST", &format!("{actions}/post-message"), Some(json!({ "channel": channel, "text": all }))).await;
    assert_eq!(s, 201, "{v}");
    // A's records in other partnership modules, every payload in their text.
    let module = |m: &str, action: &str| format!("agreements/{agreement}/modules/{m}/actions/{action}");
    let short = crate::web::PAYLOADS.join(" ");
    for (m, action, input) in [
        ("crisis", "activate", json!({ "title": short, "severity": "severe", "exercise": false, "summary": all })),
        ("disputes", "raise", json!({ "clause": "title", "facts": all, "remedy": all })),
        ("statements", "draft-statement", json!({ "title": short, "text": all, "embargo": "2030-01-01T00:00:00Z", "cosigners": [node.a, node.b], "submit": true })),
        ("resources", "request-support", json!({ "resource": "training", "quantity": 5, "description": short, "needed_by": "2030-01-01T00:00:00Z" })),
    ] {
        let (s, v) = call(&node, &node.liaison[0], "POST", &module(m, action), Some(input)).await;
        assert_eq!(s, 201, "{m}: {v}");
        pages.push((m, format!("/agreements/{agreement}/modules/{m}")));
    }
    let mut visited = run_pages(&driver, &node, &pages).await;

    // Pages that answer a form: detection of the hostile URL (the hit names
    // the hostile indicator) and the workbench given a hostile pattern.
    let observed = json!({ "type": "bundle", "id": "bundle--7b1f5a3e-2c4d-4e8f-9a0b-000000000001", "objects": [
        { "type": "observed-data", "spec_version": "2.1", "id": "observed-data--7b1f5a3e-2c4d-4e8f-9a0b-000000000001",
          "created": "2026-02-01T00:00:00Z", "modified": "2026-02-01T00:00:00Z",
          "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:05:00Z", "number_observed": 1,
          "object_refs": ["url--7b1f5a3e-2c4d-4e8f-9a0b-000000000001"] },
        { "type": "url", "id": "url--7b1f5a3e-2c4d-4e8f-9a0b-000000000001", "value": hostile_url() }
    ]});
    let literal = payloads().join(" ").replace('\\', "\\\\").replace('\'', "\\'");
    let url_literal = hostile_url().replace('\\', "\\\\").replace('\'', "\\'");
    let forms: &[FormCase] = &[
        ("detection-hits", "/detection", &[("#observations", observed.to_string())], None, "1 hit"),
        ("workbench-error", "/workbench", &[("#pattern", format!("[url:value = '{literal}'] AND <script>alert(1)</script>"))], Some(422), "Pattern error"),
        ("workbench-match", "/workbench", &[("#pattern", format!("[url:value = '{url_literal}']")), ("#observed", observed.to_string())], None, "Matched 1 of 1 observation."),
    ];
    for (name, path, fields, refused, says) in forms {
        driver.goto(&format!("{}{path}", node.url)).await;
        for (css, value) in fields.iter() {
            driver.set_value(&driver.find(css).await, value).await;
        }
        driver.click(&driver.find("main form button[type='submit']").await).await;
        driver.wait_for("main").await;
        let visit = check_page(&driver, name, path, *refused).await;
        assert!(visit.2.text.contains(says), "{name}: {says:?} not in {}", visit.2.text);
        visited.push(visit);
    }
    report(&visited);
}

/// A page that answers a form: its name, path, the fields filled (CSS
/// selector, value), the answer's status when it is a refusal, and what the
/// answer must say.
type FormCase<'a> = (&'a str, &'a str, &'a [(&'a str, String)], Option<u16>, &'a str);

/// What one page did: its name and path, and its findings.
type Visit = (String, String, Findings);

/// Opens `pages` in turn and checks each.
async fn run_pages(driver: &Driver, node: &Node, pages: &[(&str, String)]) -> Vec<Visit> {
    let mut visited = Vec::new();
    for (name, path) in pages {
        driver.goto(&format!("{}{path}", node.url)).await;
        visited.push(check_page(driver, name, path, None).await);
    }
    visited
}

/// The current page: its findings and screenshot; it must show the payloads
/// as text. `refused`: the page is a form's answer with this status, which
/// the browser logs as a failed load (not a script), so that entry is let pass.
async fn check_page(driver: &Driver, name: &str, path: &str, refused: Option<u16>) -> Visit {
    let mut found: Findings = inspect(driver).await;
    if let Some(status) = refused {
        let logged = format!("{path} - Failed to load resource: the server responded with a status of {status}");
        let before = found.errors.len();
        found.errors.retain(|e| !e.contains(&logged));
        // Chromium logs the failed load asynchronously: it may not be in the
        // log yet when the page is read (seen once in CI), never twice.
        assert!(before - found.errors.len() <= 1, "{name}: the {status} answer was logged more than once: {found:?}");
    }
    screenshot(driver, "hostile", name).await;
    // Rendered, as text: the page shows the payloads themselves (in its text or a form field).
    assert!(found.text.contains("<script>"), "{name} ({path}) does not show the payloads as text: {}", found.text);
    assert!(!found.title.starts_with("Not found"), "{name} ({path}): {}", found.title);
    (name.to_owned(), path.to_owned(), found)
}

/// Prints the figure; fails if any page ran or injected anything.
fn report(visited: &[Visit]) {
    let executions: usize = visited.iter().map(|(_, _, f)| f.executions()).sum();
    let problems: Vec<String> = visited.iter().filter(|(_, _, f)| !f.is_clean()).map(|(n, p, f)| format!("{n} ({p}): {f:?}")).collect();
    println!("browser hostile: payloads={} pages={} executions={executions}", payloads().len(), visited.len());
    assert!(problems.is_empty(), "hostile text ran or was injected:\n{}", problems.join("\n"));
    assert_eq!(executions, 0);
}
