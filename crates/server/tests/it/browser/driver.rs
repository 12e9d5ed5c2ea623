//! A small WebDriver client for the browser tests: starts `chromedriver` on
//! a free loopback port, opens one headless Chromium session in a fresh
//! profile, and speaks the W3C WebDriver protocol over HTTP with reqwest
//! (plus chromedriver's `se/log` for the browser console).
//!
//! One [`Driver`] per test, reused across pages: Chromium takes a moment to
//! start. Dropping it (also when a test panics) ends the session, then
//! kills the browser and chromedriver by their process ids.
//!
//! Prerequisites: `chromedriver` and Chromium (Debian: `apt-get install
//! chromium chromium-driver`), found at `ENTENTE_CHROMEDRIVER` and
//! `ENTENTE_CHROMIUM` if set, else `/usr/bin`, else on `PATH`. Without them
//! [`Driver::start`] fails the test when `CI` is set and otherwise says
//! "browser tests LEFT OUT" and returns `None`.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a page load, a wait or a single WebDriver command may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// Whether we run under CI, where a missing prerequisite is a failure (as `xtask::in_ci`).
pub(crate) fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The first of `names` that is an executable file: `env` if set, then
/// `/usr/bin/<name>`, then `PATH`.
fn program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::iter::once(PathBuf::from("/usr/bin")).chain(std::env::split_paths(&path)).collect();
    names.iter().flat_map(|n| dirs.iter().map(move |d| d.join(n))).find(|p| p.is_file())
}

/// An error answer of the WebDriver server.
#[derive(Debug)]
pub(crate) struct WdError {
    /// The WebDriver error code, e.g. `no such alert`.
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub(crate) struct Element(String);

/// One entry of the browser's console log.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, …
    pub level: String,
    /// `console-api`, `javascript` (uncaught errors), `security` (CSP), `network`, …
    pub source: String,
    pub message: String,
}

/// A chromedriver process and one headless Chromium session.
pub(crate) struct Driver {
    http: reqwest::Client,
    port: u16,
    base: String,
    session: String,
    browser_pid: Option<u64>,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Driver {
    /// Starts chromedriver and a session, or `None` (with a loud line)
    /// outside CI when chromedriver or Chromium is missing. In CI a missing
    /// prerequisite fails the test.
    pub async fn start() -> Option<Driver> {
        let (Some(chromedriver), Some(chromium)) = (
            program("ENTENTE_CHROMEDRIVER", &["chromedriver"]),
            program("ENTENTE_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]),
        ) else {
            let why = "chromedriver or chromium not found (Debian: apt-get install chromium chromium-driver; or set ENTENTE_CHROMEDRIVER and ENTENTE_CHROMIUM)";
            assert!(!in_ci(), "the browser tests are required in CI: {why}");
            eprintln!("browser tests LEFT OUT (outside CI only): {why}");
            return None;
        };
        Some(Driver::launch(&chromedriver, &chromium).await)
    }

    async fn launch(chromedriver: &Path, chromium: &Path) -> Driver {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free loopback port").port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let profile = tempfile::tempdir().expect("a profile folder");
        let http = reqwest::Client::builder().timeout(PATIENCE).build().unwrap();
        let mut driver =
            Driver { http, port, base: format!("http://127.0.0.1:{port}"), session: String::new(), browser_pid: None, chromedriver: child, _profile: profile };
        // Ready when /status says so.
        let started = Instant::now();
        loop {
            let ready = match driver.http.get(format!("{}/status", driver.base)).send().await {
                Ok(r) => r.json::<Value>().await.ok().is_some_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                break;
            }
            if let Ok(Some(status)) = driver.chromedriver.try_wait() {
                panic!("chromedriver exited before it was ready: {status}");
            }
            assert!(started.elapsed() < PATIENCE, "chromedriver was not ready after {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", driver._profile.path().display()),
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "timeouts": { "pageLoad": PATIENCE.as_millis() as u64, "script": 10_000, "implicit": 0 },
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let v = driver.send(reqwest::Method::POST, "/session", Some(capabilities)).await.unwrap_or_else(|e| panic!("starting a Chromium session: {e}"));
        driver.session = v["sessionId"].as_str().expect("a session id").to_owned();
        driver.browser_pid = v["capabilities"]["goog:processID"].as_u64();
        driver
    }

    /// A command: the `value` of the answer, or the WebDriver error.
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let mut r = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_else(|e| panic!("{method} {path}: {status}, not JSON: {e}"));
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let text = |k: &str| value[k].as_str().unwrap_or_default().to_owned();
        Err(WdError { error: text("error"), message: text("message").lines().next().unwrap_or_default().to_owned() })
    }

    /// A command in this session that must succeed.
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let full = format!("/session/{}{path}", self.session);
        self.send(method.clone(), &full, body).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The current page's URL.
    pub async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or_default().to_owned()
    }

    /// The current page's title.
    pub async fn title(&self) -> String {
        self.get("/title").await.as_str().unwrap_or_default().to_owned()
    }

    /// The current page's source, as the browser serialises its DOM.
    pub async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let path = format!("/session/{}/element", self.session);
        match self.send(reqwest::Method::POST, &path, Some(json!({ "using": "css selector", "value": css }))).await {
            Ok(v) => Some(Element(v[ELEMENT].as_str().unwrap_or_else(|| panic!("finding {css}: not an element: {v}")).to_owned())),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("finding {css}: {e}"),
        }
    }

    /// The first element matching `css`; fails the test if there is none.
    pub async fn find(&self, css: &str) -> Element {
        self.try_find(css).await.unwrap_or_else(|| panic!("no element matches {css}"))
    }

    /// Waits until an element matches `css` (a page loaded by a form, say).
    pub async fn wait_for(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(e) = self.try_find(css).await {
                return e;
            }
            assert!(started.elapsed() < PATIENCE, "no element matched {css} after {PATIENCE:?}; at {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the current URL's path (and query) is `path`.
    pub async fn wait_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let url = self.url().await;
            let here = url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
            if here == path && self.script("return document.readyState", json!([])).await == "complete" {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "still at {url} after {PATIENCE:?}, waiting for {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into an element (keys as a person would press them).
    pub async fn send_keys(&self, e: &Element, text: &str) {
        self.post(&format!("/element/{}/value", e.0), json!({ "text": text })).await;
    }

    /// Empties a text field.
    pub async fn clear(&self, e: &Element) {
        self.post(&format!("/element/{}/clear", e.0), json!({})).await;
    }

    /// Replaces a text field's content with `text`.
    pub async fn set_value(&self, e: &Element, text: &str) {
        self.clear(e).await;
        self.send_keys(e, text).await;
    }

    /// Clicks an element.
    pub async fn click(&self, e: &Element) {
        self.post(&format!("/element/{}/click", e.0), json!({})).await;
    }

    /// Submits the form of a field by pressing Enter in it.
    pub async fn submit(&self, e: &Element) {
        self.send_keys(e, "\u{E007}").await;
    }

    /// An element's rendered text.
    pub async fn text(&self, e: &Element) -> String {
        self.get(&format!("/element/{}/text", e.0)).await.as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns
    /// its result. Tests use this to read the page's state, never to drive it.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    /// Sets the window's size in CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height })).await;
    }

    /// Saves a PNG screenshot of the whole page (the window grown to the
    /// page's height, at most 4,000 pixels, then put back) to `path` (its
    /// folder is made).
    pub async fn screenshot(&self, path: &Path) {
        self.screenshot_upto(path, 4000.0).await;
    }

    /// As [`Driver::screenshot`], the window grown to at most `tallest` pixels.
    pub async fn screenshot_upto(&self, path: &Path, tallest: f64) {
        use base64::Engine as _;
        let window = self.get("/window/rect").await;
        let page = self.script("return document.documentElement.scrollHeight", json!([])).await.as_f64().unwrap_or(0.0);
        let inner = self.script("return window.innerHeight", json!([])).await.as_f64().unwrap_or(0.0);
        let height = window["height"].as_f64().unwrap_or(900.0);
        let grow = page > inner;
        if grow {
            let want = (height + page - inner).min(tallest);
            self.post("/window/rect", json!({ "width": window["width"], "height": want })).await;
        }
        let png = self.get("/screenshot").await;
        if grow {
            self.post("/window/rect", json!({ "width": window["width"], "height": height })).await;
        }
        let png = base64::engine::general_purpose::STANDARD.decode(png.as_str().expect("base64 PNG")).expect("base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The text of the open alert, confirm or prompt, if one is open.
    pub async fn alert(&self) -> Option<String> {
        let path = format!("/session/{}/alert/text", self.session);
        match self.send(reqwest::Method::GET, &path, None).await {
            Ok(v) => Some(v.as_str().unwrap_or_default().to_owned()),
            Err(e) if e.error == "no such alert" => None,
            Err(e) => panic!("reading the alert: {e}"),
        }
    }

    /// Dismisses the open alert (the session leaves prompts open).
    pub async fn dismiss_alert(&self) {
        self.post("/alert/dismiss", json!({})).await;
    }

    /// The browser console's entries since the last call (chromedriver's
    /// `se/log`): `console.*` calls, uncaught errors, CSP violations.
    pub async fn logs(&self) -> Vec<LogEntry> {
        let v = self.post("/se/log", json!({ "type": "browser" })).await;
        let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_owned();
        v.as_array().into_iter().flatten().map(|e| LogEntry { level: text(e, "level"), source: text(e, "source"), message: text(e, "message") }).collect()
    }

    /// The cookies the browser holds for the current page, as WebDriver
    /// reports them (`name`, `value`, `httpOnly`, `sameSite`, …).
    pub async fn cookies(&self) -> Vec<Value> {
        self.get("/cookie").await.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Quit the browser through chromedriver; Drop cannot await, so a
        // plain HTTP/1.1 request on a socket.
        let quit = || -> std::io::Result<()> {
            let mut s = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)), Duration::from_secs(2))?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(s, "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.session, self.port)?;
            // The answer comes once the browser has quit; chromedriver may keep the socket open after it.
            match s.read(&mut [0; 512])? {
                0 => Err(std::io::ErrorKind::UnexpectedEof.into()),
                _ => Ok(()),
            }
        };
        let quit_ok = !self.session.is_empty() && quit().is_ok();
        if let (false, Some(pid)) = (quit_ok, self.browser_pid) {
            // No orderly quit: kill the browser this session started, by its id.
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
        }
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}
