//! The web pages in a real browser: headless Chromium driven over WebDriver
//! ([`driver`]). First the detector is shown to fire (a page that runs a
//! script is caught), then hostile partner text on every page runs nothing
//! ([`hostile`]), sign-in and sign-out work through the forms, and
//! screenshots of every page visited land under `target/browser/`.
//!
//! SQLite only: the HTTP tests in `web.rs` cover both backends; these test
//! what only a browser can tell.

mod dialogue;
mod driver;
mod hostile;
mod modules;
mod public;
mod scorecard;
mod walk;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use self::driver::Driver;
use crate::{call, ratified_agreement, start, Backend, Node};

/// The folder screenshots go to: `<workspace target>/browser`.
pub(crate) fn shots_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => workspace.join(t),
        None => workspace.join("target"),
    };
    target.join("browser")
}

/// Saves the window as `target/browser/<test>-<page>.png` and checks the file.
async fn screenshot(driver: &Driver, test: &str, page: &str) -> PathBuf {
    let path = shots_dir().join(format!("{test}-{page}.png"));
    driver.screenshot(&path).await;
    assert_png(&path);
    path
}

/// A real PNG: the signature and more than 5 KB (a blank window is less).
fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
    assert!(bytes.len() > 5 * 1024, "{} has only {} bytes", path.display(), bytes.len());
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What a page did that escaped text never could, and what it shows.
#[derive(Debug, Default)]
struct Findings {
    /// Texts of the alerts it opened (each dismissed).
    alerts: Vec<String>,
    /// Console errors, uncaught exceptions and CSP violation reports.
    errors: Vec<String>,
    /// `window.__pwned` set or the title set to `pwned` by a payload.
    marker: bool,
    /// Elements or attributes no page of the node has: a payload parsed as markup.
    injected: Vec<String>,
    /// `document.title`.
    title: String,
    /// `document.body.innerText`, then the values of the form fields.
    text: String,
}

impl Findings {
    /// Scripts that ran (or tried to and were stopped by the CSP).
    fn executions(&self) -> usize {
        self.alerts.len() + self.errors.len() + usize::from(self.marker)
    }

    fn is_clean(&self) -> bool {
        self.executions() == 0 && self.injected.is_empty()
    }
}

/// Reads the page's state: markers the payloads set, and markup no page of
/// the node has (inline or foreign scripts, frames, embeds, `<base>`, `on*`
/// handlers, `javascript:`/`data:` links). Images and SVG are left alone
/// (a chart may come); a payload's carry an `on*` handler.
const STATE: &str = r#"
const injected = [];
const own = (u) => u.startsWith(location.origin + '/');
for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' && !(el.src && own(el.src))) injected.push('script');
    if (['iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) injected.push(tag);
    for (const a of el.attributes) {
        if (a.name.startsWith('on')) injected.push(tag + '[' + a.name + ']');
        if (['href', 'src', 'action', 'formaction'].includes(a.name) && /^\s*(javascript|data|vbscript):/i.test(a.value)) injected.push(tag + '[' + a.name + '=' + a.value + ']');
    }
}
const fields = Array.from(document.querySelectorAll('input:not([type=hidden]):not([type=password]), textarea'), (f) => f.value);
const text = [document.body ? document.body.innerText : ''].concat(fields).join('\n');
return { marker: window.__pwned !== undefined || document.title === 'pwned', injected, title: document.title, text };
"#;

/// What a page lacks for assistive technology: form controls no label
/// names, a missing or repeated h1, no `lang`, a skip link that leads nowhere.
const UNLABELLED: &str = r#"
const out = [];
for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (c.id && document.querySelector('label[for="' + c.id + '"]')) || c.closest('label') || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby');
    if (!labelled) out.push((c.tagName + ' ' + (c.name || c.id)).trim());
}
if (document.querySelectorAll('h1').length !== 1) out.push('h1 count ' + document.querySelectorAll('h1').length);
if (!document.documentElement.lang) out.push('no lang');
const skip = document.querySelector('a.skip');
if (!skip || !document.querySelector(skip.getAttribute('href'))) out.push('skip link');
return out;
"#;

/// What the current page did: alerts (dismissed), console errors and CSP
/// reports since the last look, markers, injected markup.
async fn inspect(driver: &Driver) -> Findings {
    let mut f = Findings::default();
    // An open alert blocks every other command: note each and dismiss it.
    while let Some(text) = driver.alert().await {
        f.alerts.push(text);
        driver.dismiss_alert().await;
        assert!(f.alerts.len() < 100, "alerts without end");
    }
    for e in driver.logs().await {
        if e.level == "SEVERE" || e.source == "security" {
            f.errors.push(format!("{} {}: {}", e.level, e.source, e.message));
        }
    }
    let state = driver.script(STATE, json!([])).await;
    f.marker = state["marker"] == true;
    f.injected = state["injected"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    f.title = state["title"].as_str().unwrap_or_default().to_owned();
    f.text = state["text"].as_str().unwrap_or_default().to_owned();
    f
}

/// Signs in with `token` through the sign-in form, as a person would.
async fn sign_in(driver: &Driver, node: &Node, token: &str) {
    driver.goto(&format!("{}/login", node.url)).await;
    let field = driver.find("#token").await;
    driver.set_value(&field, token).await;
    driver.submit(&field).await;
    driver.wait_path("/").await;
}

/// Signs out through the header's form.
async fn sign_out(driver: &Driver) {
    driver.click(&driver.find("form.signout button").await).await;
    driver.wait_path("/login").await;
}

/// The text of the page's `main`.
async fn main_text(driver: &Driver) -> String {
    driver.text(&driver.find("main").await).await
}

/// The current page ran nothing, injected nothing, shows the payloads as
/// text where `hostile` says so, and every control has a label (one `h1`,
/// the language named, the skip link leading to the content); its
/// screenshot is `<test>-<step>`.
async fn checked(driver: &Driver, test: &str, step: &str, hostile: bool) {
    let found = inspect(driver).await;
    assert!(found.is_clean(), "{step}: {found:?}");
    if hostile {
        assert!(found.text.contains("<script>alert(1)</script>"), "{step}: the payloads show as text: {}", found.text);
    }
    let problems = driver.script(UNLABELLED, json!([])).await;
    assert_eq!(problems, json!([]), "{step}: what assistive technology lacks");
    screenshot(driver, test, step).await;
}

/// Fills the fields of the first form posting `action` (each a CSS
/// selector within it and a value; a checkbox is ticked), as a person
/// typing would leave them, and submits it; waits for `page` again, which
/// must not be a refusal and must run nothing. Screenshot `<test>-<step>`.
async fn submit(driver: &Driver, test: &str, page: &str, action: &str, fields: &[(&str, &str)], step: &str) {
    const FILL: &str = r#"
        const form = document.querySelector("form[action$='/actions/" + arguments[0] + "']");
        if (!form) return 'no form ' + arguments[0];
        for (const [css, value] of arguments[1]) {
            const e = form.querySelector(css);
            if (!e) return 'no field ' + css;
            if (e.type === 'checkbox') e.checked = true; else e.value = value;
        }
        return null;
    "#;
    let fields: Vec<Value> = fields.iter().map(|(css, v)| json!([css, v])).collect();
    let missing = driver.script(FILL, json!([action, fields])).await;
    assert_eq!(missing, Value::Null, "{step}");
    driver.click(&driver.find(&format!("form[action$='/actions/{action}'] button[type='submit']")).await).await;
    driver.wait_for("main").await;
    let found = inspect(driver).await;
    assert!(found.is_clean(), "{step}: {found:?}");
    assert!(!found.text.contains("Check the field"), "{step} was refused: {}", found.text);
    driver.wait_path(page).await;
    let found = inspect(driver).await;
    assert!(found.is_clean(), "{step}: {found:?}");
    screenshot(driver, test, step).await;
}

/// A page as a `data:` URL.
fn data_url(html: &str) -> String {
    let mut url = "data:text/html;charset=utf-8,".to_owned();
    for b in html.bytes() {
        if b.is_ascii_alphanumeric() {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// The detector can fail: pages that do run script are caught, each by the
/// signal it gives, and a plain page is not.
#[tokio::test]
async fn the_detector_sees_scripts_that_run() {
    let Some(driver) = Driver::start().await else { return };
    type Caught = fn(&Findings) -> bool;
    let cases: &[(&str, &str, Caught)] = &[
        ("alert", "<p>x</p><script>alert(1)</script>", |f| f.alerts == ["1"]),
        ("console error and throw", "<p>x</p><script>console.error('boom'); throw new Error('thrown')</script>", |f| {
            f.errors.iter().any(|e| e.contains("boom")) && f.errors.iter().any(|e| e.contains("thrown"))
        }),
        ("marker", "<p>x</p><script>window.__pwned = 1</script>", |f| f.marker),
        ("title marker", "<p>x</p><img src=x onerror=\"document.title='pwned'\">", |f| f.marker && f.injected.iter().any(|i| i == "img[onerror]")),
        (
            "blocked by a CSP",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"><p>x</p><script>alert(1)</script>",
            |f| f.alerts.is_empty() && f.errors.iter().any(|e| e.contains("Content Security Policy")) && f.injected == ["script"],
        ),
    ];
    for (what, html, caught) in cases {
        driver.goto(&data_url(html)).await;
        let f = inspect(&driver).await;
        assert!(caught(&f), "{what}: not caught: {f:?}");
        assert!(!f.is_clean() && f.executions() + f.injected.len() > 0, "{what}: {f:?}");
    }
    driver.goto(&data_url("<title>plain</title><p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")).await;
    let f = inspect(&driver).await;
    assert!(f.is_clean(), "a plain page: {f:?}");
    assert_eq!(f.text.trim(), "<script>alert(1)</script>");
    assert!(driver.source().await.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// Sign-in and sign-out through the forms; the session cookie is out of
/// scripts' reach.
#[tokio::test]
async fn sign_in_and_out_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;

    driver.goto(&format!("{}/", node.url)).await;
    driver.wait_path("/login").await;
    let shot = screenshot(&driver, "sign-in", "form").await;
    std::fs::copy(&shot, shots_dir().join("sign-in.png")).unwrap();

    // A wrong token: the form again, with the error.
    let field = driver.find("#token").await;
    driver.set_value(&field, "ent_000000000000_nope").await;
    driver.submit(&field).await;
    let error = driver.wait_for("p.error").await;
    assert_eq!(driver.text(&error).await, "That token was not accepted.");
    assert!(driver.url().await.ends_with("/login"));
    let found = inspect(&driver).await;
    // The refusal is a 401, which Chromium logs; nothing else.
    assert!(found.errors.len() == 1 && found.errors[0].contains("network") && found.errors[0].contains("401"), "{found:?}");
    screenshot(&driver, "sign-in", "refused").await;

    // The right one: B's dashboard.
    sign_in(&driver, &node, &node.token_b).await;
    let lead = driver.text(&driver.find("p.lead").await).await;
    assert!(lead.contains("Borealis"), "{lead}");
    assert!(driver.title().await.starts_with("Dashboard"));
    screenshot(&driver, "sign-in", "dashboard").await;

    // The session cookie is HttpOnly: the browser has it, scripts do not.
    let cookies = driver.cookies().await;
    let session = cookies.iter().find(|c| c["name"] == "entente_session").expect("the session cookie");
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    let seen = driver.script("return document.cookie", json!([])).await;
    assert!(!seen.as_str().unwrap().contains("entente_session"), "{seen}");

    // Sign-out: back to the form, and the dashboard is out of reach.
    driver.click(&driver.find("form.signout button").await).await;
    driver.wait_path("/login").await;
    driver.goto(&format!("{}/intel", node.url)).await;
    driver.wait_path("/login").await;
    assert!(driver.try_find("form.signout").await.is_none());
    let found = inspect(&driver).await;
    assert!(found.is_clean(), "{found:?}");
}

/// Screenshots for the README: A's dashboard and pages with some data.
#[tokio::test]
async fn screenshots_of_pages_with_data() {
    let Some(driver) = Driver::start().await else { return };
    let node = start(Backend::Sqlite, Default::default()).await;
    let agreement = ratified_agreement(&node, "Aurelia–Borealis indicator exchange", &[0, 1], &["indicator", "malware", "report"]).await;
    ratified_agreement(&node, "Regional malware watch", &[0, 1, 2], &["malware"]).await;
    let object = |kind: &str, n: usize, by: &str, name: &str, extra: Value| {
        let mut o = json!({ "type": kind, "spec_version": "2.1", "id": format!("{kind}--0a1b2c3d-4e5f-4a6b-8c7d-{n:012}"),
            "created": "2026-03-01T08:00:00Z", "modified": "2026-03-02T09:30:00Z", "created_by_ref": by, "name": name,
            "description": format!("{name}, seen by the national CERT.") });
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    let ip = |n: usize, host: usize, by: &str| {
        object("indicator", n, by, &format!("C2 server 203.0.113.{host}"), json!({ "pattern": format!("[ipv4-addr:value = '203.0.113.{host}']"),
            "pattern_type": "stix", "valid_from": "2026-03-01T00:00:00Z", "indicator_types": ["malicious-activity"] }))
    };
    let mut objects: Vec<Value> = (1..=6).map(|n| ip(n, n, &node.a)).collect();
    objects.push(object("malware", 20, &node.a, "Stormcrow loader", json!({ "is_family": true, "malware_types": ["dropper"] })));
    objects.push(object("malware", 21, &node.a, "Quietfox", json!({ "is_family": true, "malware_types": ["backdoor"] })));
    let report = json!({ "published": "2026-03-02T09:30:00Z", "object_refs": ["indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000001"] });
    objects.push(object("report", 30, &node.a, "Phishing wave against ministries", report));
    let (s, v) = call(&node, &node.liaison[0], "POST", "objects", Some(json!({ "objects": objects, "agreements": [agreement] }))).await;
    assert_eq!(s, 200, "{v}");
    // B reports one of the same addresses.
    let theirs = json!({ "objects": [ip(101, 1, &node.b)], "agreements": [agreement] });
    let (s, v) = call(&node, &node.liaison[1], "POST", "objects", Some(theirs)).await;
    assert_eq!(s, 200, "{v}");

    sign_in(&driver, &node, &node.token_a).await;
    let pages: &[(&str, String)] = &[
        ("dashboard", "/".into()),
        ("intel", "/intel?type=indicator,malware,report".into()),
        ("object", "/intel/indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000001".into()),
        ("scorecard", format!("/agreements/{agreement}/scorecard?window=3650")),
        ("scorecard-evidence", format!("/agreements/{agreement}/scorecard?window=3650&indicator=reciprocity&from={}&to={}#evidence", node.a, node.b)),
        // The report's own policy allows its style by hash: no violation, no error.
        ("scorecard-report", format!("/agreements/{agreement}/scorecard/report.html?window=3650")),
    ];
    for (name, path) in pages {
        driver.goto(&format!("{}{path}", node.url)).await;
        let found = inspect(&driver).await;
        assert!(found.is_clean(), "{name}: {found:?}");
        if *name == "scorecard-report" {
            assert!(found.errors.is_empty(), "the report's style or policy: {found:?}");
        }
        let shot = screenshot(&driver, "pages", name).await;
        std::fs::copy(&shot, shots_dir().join(format!("{name}.png"))).unwrap();
    }
    for (name, _) in pages {
        assert_png(&shots_dir().join(format!("{name}.png")));
    }

    // Accessible forms and structure on every page with a form: each control
    // has a label (or an aria-label), one h1, the language named, and the
    // skip link leads to the content.
    driver.goto(&data_url("<html><body><h1>x</h1><input name=q></body></html>")).await;
    let control = driver.script(UNLABELLED, json!([])).await;
    assert_eq!(control, json!(["INPUT q", "no lang", "skip link"]), "the check sees what is missing");
    for path in ["/login", "/", "/intel", "/agreements/new", "/share", "/detection", "/workbench", "/partners", "/agreements"] {
        driver.goto(&format!("{}{path}", node.url)).await;
        let problems = driver.script(UNLABELLED, json!([])).await;
        assert_eq!(problems, json!([]), "{path}: controls without a label, or structure missing");
    }

    // The words of table cells that the page lays out on more than one line.
    const BROKEN_WORDS: &str = "const broken = []; for (const cell of document.querySelectorAll('td, th')) { const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT); let n; while ((n = walker.nextNode())) { const re = /[^\\s\\-\\/+.,:;()–—]+/g; let m; while ((m = re.exec(n.data))) { if (m[0].length > 24) continue; const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length); if (r.getClientRects().length > 1) broken.push(m[0]); } } } return broken.slice(0, 8);";
    // A tablet (820 × 1180, portrait) and a narrow window: every page fits
    // the width, with no sideways scrolling.
    for (width, height, device) in [(820, 1180, "tablet"), (600, 900, "narrow")] {
        driver.resize(width, height).await;
        for (name, path) in pages.iter().chain([("agreements", "/agreements".to_owned()), ("share", "/share".to_owned())].iter()) {
            driver.goto(&format!("{}{path}", node.url)).await;
            let overflow = driver.script("return document.documentElement.scrollWidth - window.innerWidth", json!([])).await;
            let wide = driver.script("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))", json!([])).await;
            assert!(overflow.as_i64().is_some_and(|o| o <= 0), "{name} at {width}px scrolls sideways by {overflow}px: {wide}");
            // No word in a table is broken across lines (a table too wide
            // scrolls in its own box instead); ids and hashes may wrap, and a
            // line may break at a hyphen, slash or dash.
            let broken = driver.script(BROKEN_WORDS, json!([])).await;
            assert_eq!(broken, json!([]), "{name} at {width}px breaks words in its tables");
            screenshot(&driver, device, name).await;
        }
    }
}
