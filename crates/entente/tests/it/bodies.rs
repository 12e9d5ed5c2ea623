//! The memory test: concurrent oversized bodies on every POST route of a
//! real `entente serve`, some declared by `Content-Length`, some streamed;
//! the server's resident memory stays under the bound docs/security.md
//! states (request bodies), and it goes on answering.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crate::nodes::Node;

/// The node's `max_content_length` and `max_bodies_in_flight` here.
const LIMIT: u64 = 4 << 20;
const BUDGET: u64 = 16 << 20;
/// What each oversized body would be, were it read whole.
const OVERSIZED: usize = 64 << 20;
/// Concurrent uploads per route: half declared, half streamed.
const PER_ROUTE: usize = 8;
/// How far resident memory may grow over the idle server's: three times
/// the budget (a body is held as its parts, then whole, then parsed) and
/// 48 MiB for the connections, buffers and tasks of the uploads.
const BOUND: u64 = 3 * BUDGET + (48 << 20);

/// Every POST route of the node, read from its routers' source, ids filled in.
fn post_routes() -> Vec<String> {
    let sources = [
        include_str!("../../../rest/src/lib.rs"),
        include_str!("../../../web/src/lib.rs"),
        include_str!("../../../server/src/taxii/mod.rs"),
    ];
    let mut routes: Vec<String> = sources
        .iter()
        .flat_map(|s| s.split(".route(\"").skip(1))
        .filter(|piece| piece.split('\n').next().unwrap().contains("post("))
        .map(|piece| piece.split('"').next().unwrap().to_owned())
        .collect();
    routes.push(format!("/taxii2/root/collections/{}/objects/", "9f8b6c2e-5d4a-4e1b-8c3f-2a7d6e5b4c31"));
    routes.iter().map(|r| fill(r)).collect()
}

/// `route` with a value in each of its `{parameters}`: an agreement's id
/// after `/agreements/`, an object's for another `{id}`, `x` for the rest.
fn fill(route: &str) -> String {
    let mut after = "";
    let filled: Vec<&str> = route
        .split('/')
        .map(|segment| {
            let value = match segment {
                s if !s.starts_with('{') => s,
                _ if after == "agreements" => "x-entente-agreement--00000000-0000-4000-8000-000000000001",
                "{id}" => "malware--00000000-0000-4000-8000-000000000001",
                _ => "x",
            };
            after = segment;
            value
        })
        .collect();
    filled.join("/")
}

/// A kibibyte of resident memory as `/proc/<pid>/status` reports `field`.
fn kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in {status}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// One POST of an oversized body to `path`: declared (`Content-Length`,
/// no byte of it sent) or streamed in chunks until the server answers.
/// The status, or 0 when the server closed without one.
fn upload(port: u16, path: &str, headers: &str, streamed: bool) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let length = if streamed { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {OVERSIZED}") };
    write!(s, "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}{length}\r\n\r\n").unwrap();
    let writer = streamed.then(|| {
        let mut w = s.try_clone().unwrap();
        std::thread::spawn(move || {
            let part = [b"10000\r\n".as_slice(), &[b' '; 0x10000], b"\r\n"].concat();
            for _ in 0..OVERSIZED / 0x10000 {
                if w.write_all(&part).is_err() {
                    return;
                }
            }
            let _ = w.write_all(b"0\r\n\r\n");
        })
    });
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let _ = s.shutdown(Shutdown::Both);
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ").and_then(|t| t.get(..3)).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Signs in to the pages with `token`: the session cookie.
fn sign_in(port: u16, token: &str) -> String {
    let get = |s: &mut TcpStream, req: String| {
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let form = get(&mut s, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".into());
    let cookie = |page: &str, name: &str| {
        let at = page.find(&format!("{name}=")).unwrap_or_else(|| panic!("no {name} cookie: {page}"));
        page[at..].split(';').next().unwrap().to_owned()
    };
    let login = cookie(&form, "entente_login");
    let csrf = form.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let body = format!("csrf={csrf}&token={token}");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let signed = get(
        &mut s,
        format!(
            "POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: {login}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(signed.starts_with("HTTP/1.1 303"), "{signed}");
    cookie(&signed, "entente_session")
}

#[test]
fn concurrent_oversized_bodies_on_every_route_stay_within_the_memory_bound() {
    let root = tempfile::tempdir().unwrap();
    let mut node = Node::init(root.path(), "Aurelia");
    let token = node.token_for(&node.id, "admin");
    node.serve(0, &[("ENTENTE_MAX_CONTENT_LENGTH", &LIMIT.to_string()), ("ENTENTE_MAX_BODIES_IN_FLIGHT", &BUDGET.to_string())]);
    let (port, pid) = (node.port, node.pid().unwrap());
    let session = sign_in(port, &token);
    let routes = post_routes();
    assert!(routes.len() >= 25, "{routes:?}");
    let idle = kib(pid, "VmRSS:") * 1024;

    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let handles: Vec<_> = routes
        .iter()
        .flat_map(|path| (0..PER_ROUTE).map(move |i| (path.clone(), i % 2 == 1)))
        .map(|(path, streamed)| {
            let content_type = match path.as_str() {
                p if p.starts_with("/taxii2/") => "application/taxii+json;version=2.1",
                p if p.starts_with("/api/") || p == "/workbench/validate" => "application/json",
                _ => "application/x-www-form-urlencoded",
            };
            let headers = format!("Authorization: Bearer {token}\r\nCookie: {session}\r\nContent-Type: {content_type}\r\n");
            std::thread::spawn(move || (path.clone(), streamed, upload(port, &path, &headers, streamed)))
        })
        .collect();
    for h in handles {
        let (path, streamed, status) = h.join().unwrap();
        *statuses.entry(status).or_default() += 1;
        if !streamed {
            assert_eq!(status, 413, "{path}: a declared oversized body");
        }
        assert!(status == 0 || status == 503 || (400..500).contains(&status), "{path}: {status}");
    }
    let (peak, after) = (kib(pid, "VmHWM:") * 1024, kib(pid, "VmRSS:") * 1024);
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "memory: {} uploads of {} MiB on {} routes (limit {} MiB, budget {} MiB): resident {:.0} MiB idle, {:.0} MiB at the peak, {:.0} MiB after; answers {statuses:?}",
        routes.len() * PER_ROUTE,
        OVERSIZED >> 20,
        routes.len(),
        LIMIT >> 20,
        BUDGET >> 20,
        mib(idle),
        mib(peak),
        mib(after)
    );
    assert!(peak.saturating_sub(idle) < BOUND, "resident memory grew by {:.0} MiB, over the bound of {:.0} MiB", mib(peak - idle), mib(BOUND));
    // And the node goes on answering.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut health = String::new();
    s.read_to_string(&mut health).unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}
