//! `entente serve`: health, metrics, the pages' cookie setting and a
//! graceful stop on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, Server};

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

#[test]
fn serves_health_and_metrics_then_stops_on_sigterm() {
    serve_then_stop(None);
}

/// On PostgreSQL too: the store closes its connections cleanly at the end.
#[test]
fn on_postgres_serves_then_stops_on_sigterm() {
    serve_then_stop(Some(store_postgres::testing::fresh_url()));
}

fn serve_then_stop(database_url: Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_entente"));
    // On SQLite the node says it stands behind a TLS proxy: its pages' cookies are Secure.
    let secure = database_url.is_none();
    if let Some(url) = &database_url {
        command.env("ENTENTE_DATABASE_URL", url);
    }
    if secure {
        command.env("ENTENTE_SECURE_COOKIES", "true");
    }
    let mut server = Server(
        command
            .current_dir(dir.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log-format", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut server.0;
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        if let Some(r) = http_get(port, "/healthz") {
            break r;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let login = http_get(port, "/login").unwrap();
    let cookie = login.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie: entente_login=")).unwrap_or_else(|| panic!("{login}"));
    assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
    let metrics = http_get(port, "/metrics").unwrap();
    // The node's own objects: its identity, Entente's, 5 extension definitions.
    assert!(metrics.contains("entente_objects_stored 7"), "{metrics}");
    // SIGTERM: a clean exit.
    let rc = unsafe_free_kill(child.id());
    assert_eq!(rc, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(log.contains(r#""message":"shutdown signal received"#), "{log}");
    assert!(log.lines().all(|l| l.starts_with('{')), "json logs: {log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// Sends SIGTERM with the `kill` command, keeping the test free of unsafe code.
fn unsafe_free_kill(pid: u32) -> i32 {
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().code().unwrap_or(-1)
}

/// With `metrics_access = "token"`, `/metrics` (node-wide counts) answers
/// only a token of the node's own partner, even on the node's own machine.
#[test]
fn metrics_need_a_token_of_the_node_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = crate::entente(d, &["init", "--name", "Aurelia"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let node = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = crate::entente(d, &["token", "create", "--partner", &node, "--role", "viewer"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let _server = Server(
        crate::command(d, &["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ENTENTE_METRICS_ACCESS", "token")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let without = http_get(port, "/metrics").unwrap();
    assert!(without.starts_with("HTTP/1.1 401"), "{without}");
    assert!(!without.contains("entente_objects_stored"), "{without}");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut with = String::new();
    s.read_to_string(&mut with).unwrap();
    assert!(with.starts_with("HTTP/1.1 200"), "{with}");
    assert!(with.contains("entente_objects_stored"), "{with}");
}

/// `auth_failure_limit` sets how many failed authentications an address may
/// make in a minute before it is answered 429 (and 0 is refused).
#[test]
fn the_auth_failure_limit_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = crate::entente(d, &["init", "--name", "Aurelia"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let out = crate::command(d, &["serve", "--listen", "127.0.0.1:0"]).env("ENTENTE_AUTH_FAILURE_LIMIT", "0").output().unwrap();
    assert!(!out.status.success() && crate::stderr(&out).contains("auth_failure_limit"), "{}", crate::stderr(&out));
    let port = free_port();
    let _server = Server(
        crate::command(d, &["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ENTENTE_AUTH_FAILURE_LIMIT", "3")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let attempt = || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET /api/v1/agreements HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ent_nothing_wrong\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    };
    for n in 1..=3 {
        let a = attempt();
        assert!(a.starts_with("HTTP/1.1 401"), "failure {n}: {a}");
    }
    let a = attempt();
    assert!(a.starts_with("HTTP/1.1 429") && a.to_ascii_lowercase().contains("retry-after:"), "past the limit: {a}");
}

/// `entente token create --feed`: a token that reads the partner's inbox
/// feed and nothing else (TAXII and the REST API refuse
/// it); `token list` labels it; `token revoke` with its text ends it.
#[test]
fn a_feed_token_reads_the_inbox_feed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = crate::entente(d, &["init", "--name", "Aurelia"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let node = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = crate::entente(d, &["token", "create", "--partner", &node]);
    assert!(!out.status.success(), "a role or --feed is required");
    let out = crate::entente(d, &["token", "create", "--partner", &node, "--feed", "--role", "admin"]);
    assert!(!out.status.success(), "--feed takes no role");
    let out = crate::entente(d, &["token", "create", "--partner", &node, "--feed", "--user", "reader"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let feed = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(feed.starts_with("entfeed_"), "{feed}");
    let list = String::from_utf8(crate::entente(d, &["token", "list"]).stdout).unwrap();
    assert!(list.contains("inbox feed only: reader"), "{list}");
    let port = free_port();
    let _server = Server(
        crate::command(d, &["serve", "--listen", &format!("127.0.0.1:{port}")]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_get(port, "/healthz").is_none() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let with = |path: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {feed}\r\nConnection: close\r\n\r\n").unwrap();
        let mut r = String::new();
        s.read_to_string(&mut r).unwrap();
        r
    };
    let r = with("/inbox.atom");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), "{r}");
    for path in ["/taxii2/", "/api/v1/inbox", "/api/v1/objects", "/api/v1/agreements"] {
        let r = with(path);
        assert!(r.starts_with("HTTP/1.1 401") || r.starts_with("HTTP/1.1 403"), "{path}: {r}");
    }
    let out = crate::entente(d, &["token", "revoke", &feed]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let r = with("/inbox.atom");
    assert!(r.starts_with("HTTP/1.1 401"), "revoked: {r}");
}
