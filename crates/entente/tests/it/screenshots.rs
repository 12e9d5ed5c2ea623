//! The documentation's screenshots, taken in headless Chromium from the
//! demo's own data: `entente demo` (the real command, a smaller scale)
//! starts the three nations' nodes and fills them; this test signs in on
//! Aurelia's node as its analyst, its liaison officer and its
//! administrator, opens the pages the README and docs/web.md show, checks
//! that each shows what it must (not only that it drew) and that no page
//! ran a script, and saves each as `target/browser/demo-<page>.png`. With
//! `ENTENTE_DOCS_SCREENSHOTS=1` it also writes them where the docs link them,
//! `docs/img/<page>.png` (to commit); without it, it checks that each is
//! there and that the docs link it.
//!
//! The browser is the server tests' WebDriver client
//! (`crates/server/tests/it/browser/driver.rs`), included as it is: with
//! no Chromium it fails in CI and is left out elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::demo::Demo;

#[allow(dead_code)]
#[path = "../../../server/tests/it/browser/driver.rs"]
mod driver;

use driver::Driver;

const NATIONS: [&str; 3] = ["Aurelia", "Borealis", "Caledonia"];

/// Objects per nation: enough for every page to show something, few
/// enough for the demo to be ready in seconds.
const OBJECTS: &str = "300";

/// The tallest screenshot of a whole page kept for the docs, in CSS pixels.
const TALLEST: f64 = 1800.0;

/// The window's height for a screenshot of part of a page.
const WINDOW: f64 = 1000.0;

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the test's screenshots go: `<workspace target>/browser`.
fn shots_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => workspace().join(t),
        None => workspace().join("target"),
    };
    target.join("browser")
}

/// Whether to write the screenshots into `docs/img/`.
fn update_docs() -> bool {
    std::env::var_os("ENTENTE_DOCS_SCREENSHOTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What the demo printed and where its nodes are.
struct Setup {
    /// Per nation: base URL, admin token, liaison token, analyst token.
    nodes: BTreeMap<&'static str, [String; 4]>,
    /// The value every nation reported.
    example: String,
    /// The observations file the demo offers for detection.
    observations: PathBuf,
}

/// Starts `entente demo` in `root` on three free ports and waits until its
/// nodes have federated and the scorecard's year is written.
fn start_demo(root: &Path) -> (Demo, Setup) {
    let crate::demo::Spawned { demo, lines, errors, .. } = crate::demo::spawn(root, OBJECTS);
    let said = || errors.lock().unwrap().clone();

    let mut admins: Vec<(String, String)> = Vec::new();
    let mut people: Vec<(String, String)> = Vec::new();
    let (mut example, mut observations) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let line = match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => l,
            Err(e) => {
                std::thread::sleep(Duration::from_secs(2));
                panic!("the demo did not catch up ({e:?}): {}", said())
            }
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [_, url, "token", token] => admins.push((url.trim_end_matches('/').to_owned(), token.to_owned())),
            ["liaison", liaison, "analyst", analyst] => people.push((liaison.to_owned(), analyst.to_owned())),
            ["Intelligence:", "search", "for", value, ..] => example = Some(value.trim_end_matches(';').to_owned()),
            ["Detection:", "upload", file, ..] => observations = Some(root.join(file)),
            _ => {}
        }
        if line.starts_with("federation caught up") {
            break;
        }
    }
    let until = Instant::now() + Duration::from_secs(180);
    while !said().contains("scorecard: a year of monthly snapshots") {
        assert!(Instant::now() < until, "no scorecard history: {}", said());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!((admins.len(), people.len()), (3, 3), "{admins:?} {people:?}");
    let nodes = NATIONS
        .iter()
        .zip(admins.into_iter().zip(people))
        .map(|(n, ((url, admin), (liaison, analyst)))| (*n, [url, admin, liaison, analyst]))
        .collect();
    let setup = Setup { nodes, example: example.expect("a value to search"), observations: observations.expect("an observations file") };
    (demo, setup)
}

/// A REST call with a bearer token; the answer must be a success.
async fn api(http: &reqwest::Client, base: &str, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut r = http.request(method.clone(), format!("{base}/api/v1/{path}")).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_else(|e| panic!("{method} {path}: {status}, not JSON: {e}"));
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

/// Every object of `query` the token's partner may see (all pages).
async fn all(http: &reqwest::Client, base: &str, token: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut path = format!("objects?{query}&limit=1000");
        if let Some(n) = &next {
            path.push_str(&format!("&next={n}"));
        }
        let page = api(http, base, token, reqwest::Method::GET, &path, None).await;
        out.extend(page["objects"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(n) if page["more"] == true => next = Some(n.to_owned()),
            _ => return out,
        }
    }
}

/// The ids most often found at `key` in `objects`, most first.
fn most_named(objects: &[Value], key: &str) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for o in objects {
        if let Some(id) = o[key].as_str() {
            *counts.entry(id.to_owned()).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Reads what a page did that escaped text never could: alerts, console
/// errors and CSP reports, script elements the node did not serve, `on*`
/// handlers; then the text of its `main`.
const STATE: &str = r#"
const injected = [];
const own = (u) => u.startsWith(location.origin + '/');
for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' && !(el.src && own(el.src))) injected.push('script');
    if (['iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) injected.push(tag);
    for (const a of el.attributes) if (a.name.startsWith('on')) injected.push(tag + '[' + a.name + ']');
}
const main = document.querySelector('main');
return { injected, h1: document.querySelectorAll('h1').length, text: main ? main.innerText : '' };
"#;

/// The browser, the docs' list of what was shot, and where.
struct Shots {
    driver: Driver,
    base: String,
    taken: Vec<&'static str>,
}

impl Shots {
    /// Opens `path` on Aurelia's node.
    async fn open(&self, path: &str) {
        self.driver.goto(&format!("{}{path}", self.base)).await;
    }

    /// The current page is clean (no alert, no console error, no markup a
    /// page of the node never has, one `h1`) and its main text contains
    /// each of `must`; then its screenshot is `demo-<name>.png` (and
    /// `docs/img/<name>.png` when updating). Returns the main text.
    async fn shoot(&mut self, name: &'static str, must: &[&str]) -> String {
        self.shoot_from(name, None, must).await
    }

    /// As [`Shots::shoot`], the window (1280 × [`WINDOW`]) scrolled to
    /// put the element `css` at its top, as a reader scrolls to it.
    async fn shoot_at(&mut self, name: &'static str, css: &str, must: &[&str]) -> String {
        self.shoot_from(name, Some(css), must).await
    }

    async fn shoot_from(&mut self, name: &'static str, at: Option<&str>, must: &[&str]) -> String {
        assert!(self.driver.alert().await.is_none(), "{name}: an alert opened");
        let errors: Vec<String> =
            self.driver.logs().await.into_iter().filter(|e| e.level == "SEVERE" || e.source == "security").map(|e| format!("{} {}", e.source, e.message)).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let state = self.driver.script(STATE, json!([])).await;
        assert_eq!(state["injected"], json!([]), "{name}: markup no page has");
        assert_eq!(state["h1"], 1, "{name}: one h1");
        let text = state["text"].as_str().unwrap_or_default().to_owned();
        for m in must {
            assert!(text.contains(m), "{name} must show {m:?}; it shows:\n{text}");
        }
        let path = shots_dir().join(format!("demo-{name}.png"));
        match at {
            None => self.driver.screenshot_upto(&path, TALLEST).await,
            Some(css) => {
                self.driver.resize(1280, WINDOW as u32).await;
                let found = self.driver.script("const e = document.querySelector(arguments[0]); if (e) { e.scrollIntoView(); window.scrollBy(0, -24); } return !!e", json!([css])).await;
                assert_eq!(found, true, "{name}: no {css}");
                self.driver.screenshot_upto(&path, WINDOW).await;
                self.driver.resize(1280, 900).await;
            }
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20 * 1024, "{}: {} bytes", path.display(), bytes.len());
        if update_docs() {
            std::fs::write(workspace().join("docs/img").join(format!("{name}.png")), &bytes).unwrap();
        }
        self.taken.push(name);
        text
    }

    /// Signs in with `token` through the sign-in form, as a person would.
    async fn sign_in(&self, token: &str) {
        self.open("/login").await;
        let field = self.driver.find("#token").await;
        self.driver.set_value(&field, token).await;
        self.driver.submit(&field).await;
        self.driver.wait_path("/").await;
    }

    /// Signs out through the header's form.
    async fn sign_out(&self) {
        self.driver.click(&self.driver.find("form.signout button").await).await;
        self.driver.wait_path("/login").await;
    }

    /// The number of elements `css` matches on the current page.
    async fn count(&self, css: &str) -> u64 {
        self.driver.script("return document.querySelectorAll(arguments[0]).length", json!([css])).await.as_u64().unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_screenshots_from_the_demos_data() {
    let started = Instant::now();
    let Some(driver) = Driver::start().await else { return };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().to_owned();
    let (_demo, setup) = tokio::task::spawn_blocking(move || start_demo(&dir)).await.unwrap();
    let ready = started.elapsed();
    let http = reqwest::Client::new();
    let [base, admin, liaison, analyst] = setup.nodes["Aurelia"].clone();
    let [b_base, _, _, b_analyst] = setup.nodes["Borealis"].clone();
    let get = reqwest::Method::GET;

    // Who is who, and the agreements, from Aurelia's node.
    let partners = api(&http, &base, &analyst, get.clone(), "partners", None).await;
    let id_of = |name: &str| -> String {
        let p = partners["partners"].as_array().unwrap().iter().find(|p| p["name"] == name);
        p.unwrap_or_else(|| panic!("{name}: {partners}"))["id"].as_str().unwrap().to_owned()
    };
    let borealis = id_of("Borealis");
    let agreements = api(&http, &base, &liaison, get.clone(), "agreements", None).await;
    let agreement = |pred: &dyn Fn(&Value) -> bool| -> String {
        let a = agreements["agreements"].as_array().unwrap().iter().find(|a| pred(a));
        a.unwrap_or_else(|| panic!("{agreements}"))["id"].as_str().unwrap().to_owned()
    };
    let programme = agreement(&|a| a["title"].as_str().unwrap_or_default().contains("exercise programme"));
    let trilateral = agreement(&|a| a["parties"].as_array().unwrap().len() == 3 && a["id"] != programme.as_str());

    // The demo's data on Aurelia's node: the Borealis indicator most
    // linked (its relationships and sightings), and the malware most
    // indicators indicate.
    // Federation is eventual: the last pull of Borealis's relationships may
    // land just after the demo says it caught up, so the choice waits (a
    // minute at most) for a Borealis indicator that indicates something.
    let waited = Instant::now();
    let (relationships, indicator) = loop {
        let relationships = all(&http, &base, &analyst, "type=relationship").await;
        let sightings = all(&http, &base, &analyst, "type=sighting").await;
        let related: BTreeMap<String, usize> = most_named(&relationships, "source_ref").into_iter().collect();
        let mut links: BTreeMap<String, usize> = BTreeMap::new();
        for (id, n) in related.clone().into_iter().chain(most_named(&sightings, "sighting_of_ref")) {
            *links.entry(id).or_default() += n;
        }
        let theirs: Vec<Value> = all(&http, &base, &analyst, &format!("type=indicator&author={borealis}")).await;
        let indicator = theirs
            .iter()
            .filter_map(|o| o["id"].as_str())
            .filter(|id| related.contains_key(*id))
            .max_by_key(|id| (links.get(*id).copied().unwrap_or(0), std::cmp::Reverse(id.to_string())))
            .map(str::to_owned);
        match indicator {
            Some(indicator) => break (relationships, indicator),
            None => {
                assert!(waited.elapsed() < Duration::from_secs(60), "no Borealis indicator with a relationship on Aurelia's node: {} relationships, {} Borealis indicators", relationships.len(), theirs.len());
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    };
    let malware = most_named(&relationships, "target_ref").into_iter().find(|(id, _)| id.starts_with("malware--")).expect("a malware indicated").0;

    let mut shots = Shots { driver, base: base.clone(), taken: Vec::new() };

    // Aurelia's analyst: a first visit sets the dashboard's mark; then
    // Borealis's analyst shares an indicator on Borealis's node, and it
    // arrives on Aurelia's by sync.
    shots.sign_in(&analyst).await;
    let value = "198.51.100.231";
    let fresh = format!("indicator--{}", uuid::Uuid::new_v4());
    let now = model::Timestamp::now().to_string();
    let shared = json!({ "objects": [{
        "type": "indicator", "spec_version": "2.1", "id": fresh, "created": now, "modified": now, "created_by_ref": borealis,
        "name": "Phishing relay seen this morning", "description": "Relays the lure mails of the current campaign.",
        "pattern": format!("[ipv4-addr:value = '{value}']"), "pattern_type": "stix", "valid_from": now,
        "indicator_types": ["malicious-activity"], "labels": ["phishing"],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    }], "agreements": [trilateral] });
    api(&http, &b_base, &b_analyst, reqwest::Method::POST, "objects", Some(shared)).await;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let r = http.get(format!("{base}/api/v1/objects/{fresh}")).bearer_auth(&analyst).send().await.unwrap();
        if r.status().is_success() {
            break;
        }
        assert!(Instant::now() < until, "Borealis's new indicator did not reach Aurelia's node");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    shots.open("/").await;
    let text = shots.shoot("dashboard", &["Signed in for Aurelia as analyst", "Objects by type", "Objects by author", "Borealis", "Caledonia"]).await;
    assert!(shots.count("main svg").await >= 1, "the arrivals chart: {text}");
    // The demo's arrivals spread over the last 90 days: the chart has a bar
    // on most of its days, not one bar for the day the demo ran.
    let bars = shots.count("main figure.chart svg[role='img'] rect").await;
    assert!(bars >= 20, "the arrivals chart draws {bars} bar segments: {text}");
    let text = shots.shoot_at("dashboard-inbox", "section.fresh", &["New since your last visit", "Needs your attention", "Sightings of your objects", "Caledonia"]).await;
    assert!(shots.count("section.fresh a[href*='/intel?partner=']").await >= 1, "a count of what is new from Borealis, linked: {text}");
    assert!(text.contains("indicator: "), "each sighting names what it is of: {text}");

    // Search: a word of the demo's names, TLP badges on every row, counted.
    shots.open("/intel?q=raven").await;
    let text = shots.shoot("intel", &["Type", "Name", "TLP", "Author", "Labels", " of "]).await;
    let rows = shots.count("main table tbody tr").await;
    let badges = shots.count("main table tbody tr .tlp").await;
    assert!(rows >= 10 && badges >= rows, "{rows} rows, {badges} TLP badges: {text}");
    // A bare value: the observable, who reported it, and the indicator
    // shared a moment ago on the first page.
    shots.open(&format!("/intel?q={value}")).await;
    shots.shoot("search-value", &["Phishing relay seen this morning", "Borealis"]).await;
    // The value every nation reported: correlation across the three.
    shots.open(&format!("/intel?q={}", setup.example)).await;
    shots.shoot("correlation", &["Aurelia", "Borealis", "Caledonia", "first seen"]).await;

    // Borealis's indicator on Aurelia's node: linked knowledge.
    shots.open(&format!("/intel/{indicator}")).await;
    let text = shots.shoot("object", &["Borealis", "Relationships", "indicates", "malware:", "Sightings", "Versions"]).await;
    assert!(shots.count("main a[href^='/intel/malware--']").await >= 1, "links to its malware: {text}");
    shots.open(&format!("/intel/{malware}")).await;
    let text = shots.shoot("malware", &["Threat context", "indicators you may see indicate it", "indicates (by it)"]).await;
    assert!(shots.count("main a[href^='/intel/indicator--']").await >= 2, "links to the indicators: {text}");
    shots.open(&format!("/intel/{malware}/graph?depth=2")).await;
    let text = shots.shoot("graph", &["indicator", "malware", "indicates"]).await;
    assert!(shots.count("main svg a").await >= 5, "a graph of the malware, its indicators and theirs, each a link: {text}");
    shots.open("/intel/attack").await;
    let text = shots.shoot("attack", &["attack patterns you may see", "T1566", "Phishing"]).await;
    assert!(!text.contains("(no tactic)"), "every demo attack pattern has its tactic: {text}");

    // Detection on the demo's observations file: each nation's indicator of the value hits.
    shots.open("/detection").await;
    let observations = std::fs::read_to_string(&setup.observations).unwrap();
    let field = shots.driver.find("#observations").await;
    shots.driver.set_value(&field, &observations).await;
    shots.driver.click(&shots.driver.find("form[action='/detection'] button[type='submit']").await).await;
    shots.driver.wait_for("form[action='/detection/sightings']").await;
    shots.shoot("detection", &[setup.example.as_str(), "Aurelia", "Borealis", "Caledonia", "Create sightings"]).await;

    // The share form: a TLP:RED indicator with no agreement is warned of.
    shots.open("/share").await;
    for (css, text) in [("#indicator-name", "Loader download server"), ("#indicator-pattern", "[domain-name:value = 'update-check.example']")] {
        let f = shots.driver.find(css).await;
        shots.driver.set_value(&f, text).await;
    }
    shots.driver.click(&shots.driver.find("#indicator-tlp-red").await).await;
    shots.driver.click(&shots.driver.find("form[action='/share/indicator'] button[type='submit']").await).await;
    shots.driver.wait_for("div.warning").await;
    shots.shoot_at("share-warning", "form[action='/share/indicator']", &["No agreement is chosen", "TLP:RED", "would be stored as your partner's own and reach no partner", "Share it anyway"]).await;
    shots.sign_out().await;

    // Aurelia's liaison officer: the inbox, the agreement and its partnership pages.
    shots.sign_in(&liaison).await;
    shots.open("/inbox").await;
    shots.shoot("inbox", &["Aurelia–Borealis–Caledonia"]).await;
    shots.open(&format!("/agreements/{trilateral}")).await;
    shots.shoot("agreement", &["in force", "Aurelia", "Borealis", "Caledonia", "Modules"]).await;
    let pages: [(&'static str, String, &[&str]); 8] = [
        ("scorecard", format!("/agreements/{trilateral}/scorecard"), &["Aurelia", "Borealis", "Caledonia", "Composite"]),
        ("dialogue", format!("/agreements/{trilateral}/modules/dialogue"), &["Channels", "Meetings", "Minutes"]),
        ("objectives", format!("/agreements/{trilateral}/modules/objectives"), &["adopted", "KPI "]),
        ("resources", format!("/agreements/{trilateral}/modules/resources"), &["Ledger", "Pledged", "Balance", "Deliveries"]),
        ("disputes", format!("/agreements/{trilateral}/modules/disputes"), &["mediation"]),
        ("statements", format!("/agreements/{trilateral}/modules/statements"), &["published"]),
        ("exercises", format!("/agreements/{programme}/modules/exercises"), &["Coalition Shield", "Lessons"]),
        ("crisis", format!("/agreements/{programme}/modules/crisis"), &["EXERCISE", "Situation reports"]),
    ];
    for (name, path, must) in &pages {
        shots.open(path).await;
        shots.shoot(name, must).await;
    }
    shots.sign_out().await;

    // Aurelia's node's administrator: users, tokens, peers; the release log.
    shots.sign_in(&admin).await;
    shots.open("/admin").await;
    shots.shoot("admin", &["Users", "Tokens", "Peers", "Borealis", "Caledonia"]).await;
    shots.open("/admin/log").await;
    let text = shots.shoot("admin-log", &["Borealis"]).await;
    assert!(shots.count("main table tbody tr").await >= 10, "release log entries: {text}");

    // Every screenshot is committed in docs/img and linked from the docs.
    let docs: String = ["README.md", "docs/web.md"].iter().map(|f| std::fs::read_to_string(workspace().join(f)).unwrap()).collect();
    for name in &shots.taken {
        let file = workspace().join("docs/img").join(format!("{name}.png"));
        assert!(file.is_file(), "{} is missing: run this test with ENTENTE_DOCS_SCREENSHOTS=1 and commit it", file.display());
        assert!(docs.contains(&format!("img/{name}.png)")), "README.md or docs/web.md must show img/{name}.png");
    }
    println!("screenshots: {} pages from the demo's data; demo ready in {:.0} s, all in {:.0} s", shots.taken.len(), ready.as_secs_f64(), started.elapsed().as_secs_f64());
}
