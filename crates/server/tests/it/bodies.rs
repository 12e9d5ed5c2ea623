//! Request bodies on every POST route: refused by `Content-Length` before
//! they are sent, cut off at the limit while they stream, held within the
//! node's in-flight budget, taken up to `max_content_length` by the REST
//! API as by TAXII, and every refusal in its area's error shape.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{call, start, Backend, Node};

const TAXII: &str = "application/taxii+json;version=2.1";

/// Every POST route of the node, read from its routers' source (so a new
/// route is covered without being listed here), ids filled in.
fn post_routes(node: &Node) -> Vec<String> {
    let sources = [include_str!("../../../rest/src/lib.rs"), include_str!("../../../web/src/lib.rs"), include_str!("../../src/taxii/mod.rs")];
    let mut routes = Vec::new();
    for source in sources {
        for piece in source.split(".route(\"").skip(1) {
            let path = piece.split('"').next().unwrap();
            let call = piece.split('\n').next().unwrap();
            if call.contains("post(") {
                routes.push(path.to_owned());
            }
        }
    }
    // TAXII's routes are built from the API root's path.
    routes.push(format!("/taxii2/root/collections/{}/objects/", node.shared));
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

/// How a request's body is sent.
enum Sending {
    /// `Content-Length: n`, and not one byte of the body.
    Declared(u64),
    /// Chunked: `total` bytes in parts of 16 KiB, or until the server answers.
    Chunked(usize),
}

/// One request (`Connection: close`) with `headers` and a body sent as
/// `send`: the status, the headers (names lower case) and the body.
async fn exchange(node: &Node, path: &str, headers: &[(&str, &str)], send: Sending) -> (u16, Vec<(String, String)>, String) {
    let addr = node.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match send {
        Sending::Declared(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        Sending::Chunked(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    let (mut rd, mut wr) = stream.split();
    wr.write_all(head.as_bytes()).await.unwrap();
    let writer = async {
        if let Sending::Chunked(total) = send {
            let part = vec![b'x'; 16 * 1024];
            let mut sent = 0;
            while sent < total {
                let frame = [format!("{:x}\r\n", part.len()).into_bytes(), part.clone(), b"\r\n".to_vec()].concat();
                if wr.write_all(&frame).await.is_err() {
                    break;
                }
                sent += part.len();
            }
            if sent >= total {
                let _ = wr.write_all(b"0\r\n\r\n").await;
            }
        }
        // Nothing more to send: wait for the answer.
        std::future::pending::<()>().await;
    };
    let mut answer = Vec::new();
    let reader = tokio::time::timeout(Duration::from_secs(20), rd.read_to_end(&mut answer));
    tokio::select! {
        r = reader => { r.unwrap_or_else(|_| panic!("{path}: no answer within 20 s")).unwrap_or_default(); }
        _ = writer => unreachable!(),
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{path}: {text}"));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// The answer is an error `status` in the shape of its area: a TAXII error
/// under `/taxii2/`, the JSON error shape under `/api/`, a page elsewhere.
fn assert_shape(path: &str, (status, headers, body): &(u16, Vec<(String, String)>, String), expect: u16) {
    assert_eq!(*status, expect, "{path}: {body}");
    let content_type = header(headers, "content-type");
    if path.starts_with("/taxii2/") || path.starts_with("/api/") {
        let want = if path.starts_with("/taxii2/") { TAXII } else { "application/json" };
        assert_eq!(content_type, want, "{path}");
        let body: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        assert_eq!(body["http_status"], expect.to_string(), "{path}: {body}");
        assert!(body["title"].is_string() && body["description"].is_string(), "{path}: {body}");
    } else {
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        assert!(header(headers, "content-security-policy").contains("default-src 'none'"), "{path}");
    }
}

/// The credentials every area asks for: a bearer token for TAXII and the
/// REST API, a session cookie for the pages.
async fn credentials(node: &Node) -> (String, String) {
    let browser = crate::web::sign_in(node, &node.token_a).await;
    (format!("Bearer {}", node.token_a), browser.cookie)
}

#[tokio::test]
async fn every_post_route_refuses_a_declared_oversized_body_before_it_is_sent() {
    let node = start(Backend::Sqlite, server::taxii::TaxiiConfig { max_content_length: 64 * 1024, ..Default::default() }).await;
    let (bearer, cookie) = credentials(&node).await;
    let routes = post_routes(&node);
    assert!(routes.len() >= 25, "{routes:?}");
    for path in &routes {
        // Not one byte of the body is sent: a server that read it first would never answer.
        let r = exchange(&node, path, &[("Authorization", &bearer), ("Cookie", &cookie), ("Content-Type", "application/json")], Sending::Declared(1 << 20)).await;
        assert_shape(path, &r, 413);
        let limit = server::body::limit_for(path, 64 * 1024);
        assert!(r.2.contains(&format!("{limit} bytes")), "{path}: the limit is named: {}", r.2);
    }
    // Without credentials, the same.
    let r = exchange(&node, "/api/v1/detect", &[], Sending::Declared(1 << 40)).await;
    assert_shape("/api/v1/detect", &r, 413);
    // Sign-in forms have their own, smaller limit.
    let r = exchange(&node, "/login", &[], Sending::Declared(server::body::SIGN_IN_LIMIT + 1)).await;
    assert_shape("/login", &r, 413);
}

#[tokio::test]
async fn every_post_route_cuts_a_streamed_body_off_at_the_limit() {
    let node = start(Backend::Sqlite, server::taxii::TaxiiConfig { max_content_length: 64 * 1024, ..Default::default() }).await;
    let (bearer, cookie) = credentials(&node).await;
    let reads_its_body = ["/api/v1/objects", "/api/v1/detect", "/api/v1/provenance", "/api/v1/partners", "/api/v1/agreements", "/login", "/workbench/validate", "/share", "/detection", "/peers"];
    for path in post_routes(&node) {
        let content_type = match path.as_str() {
            p if p.starts_with("/taxii2/") => TAXII,
            p if p.starts_with("/api/") || p == "/workbench/validate" => "application/json",
            _ => "application/x-www-form-urlencoded",
        };
        let r = exchange(&node, &path, &[("Authorization", &bearer), ("Cookie", &cookie), ("Content-Type", content_type)], Sending::Chunked(4 << 20)).await;
        if reads_its_body.contains(&path.as_str()) || path.starts_with("/taxii2/") {
            assert_shape(&path, &r, 413);
        } else {
            // A route that answers without its body (no such agreement, a
            // missing CSRF value) still answers in its area's shape.
            assert!((400..500).contains(&r.0), "{path}: {} {}", r.0, r.2);
            assert_shape(&path, &r, r.0);
        }
    }
}

#[tokio::test]
async fn the_in_flight_budget_refuses_with_503_and_gives_back() {
    let limits = server::taxii::TaxiiConfig { max_content_length: 256 * 1024, max_bodies_in_flight: 256 * 1024, ..Default::default() };
    let node = start(Backend::Sqlite, limits).await;
    let bearer = format!("Bearer {}", node.token_a);
    // One slow upload holds 192 KiB of the 256 KiB budget; another upload
    // of 128 KiB does not fit beside it: 503, Retry-After, the JSON shape.
    // (Until the server has read the slow one, the other may go first and
    // crowd it out instead: then both start again.)
    let addr = node.url.trim_start_matches("http://").to_owned();
    // An empty list of observations, padded to 128 KiB.
    let mut body = vec![b' '; 128 * 1024];
    (body[0], body[128 * 1024 - 1]) = (b'[', b']');
    let mut attempts = 0;
    let (slow, refused) = loop {
        attempts += 1;
        assert!(attempts <= 50, "the second upload was never refused beside the first");
        let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!("POST /api/v1/detect HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {bearer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        slow.write_all(head.as_bytes()).await.unwrap();
        for _ in 0..12 {
            slow.write_all(&[b"4000\r\n".to_vec(), vec![b' '; 0x4000], b"\r\n".to_vec()].concat()).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = reqwest::Client::new().post(format!("{}/api/v1/detect", node.url)).bearer_auth(&node.token_a).body(body.clone()).send().await.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            break (slow, r);
        }
        assert_eq!(r.status(), StatusCode::OK);
    };
    assert_eq!(refused.headers()["retry-after"], "1");
    let v: Value = refused.json().await.unwrap();
    assert_eq!(v["http_status"], "503", "{v}");
    // A small one still fits.
    let (s, v) = call(&node, &node.token_a, "POST", "detect", Some(json!({ "observations": [] }))).await;
    assert_eq!(s, 200, "{v}");
    // The slow upload goes away: what it held is given back.
    drop(slow);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = reqwest::Client::new().post(format!("{}/api/v1/detect", node.url)).bearer_auth(&node.token_a).body(body.clone()).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(tokio::time::Instant::now() < deadline, "the budget was not given back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn rest_takes_bodies_up_to_max_content_length_and_answers_json_errors() {
    let node = start(Backend::Sqlite, Default::default()).await;
    // A 3.4 MB envelope, over the framework's 2 MiB default: stored over REST as over TAXII.
    let big = json!({
        "type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000001",
        "created_by_ref": node.a, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
        "name": "big", "is_family": false, "description": "d".repeat(3_400_000)
    });
    let (s, v) = call(&node, &node.token_a, "POST", "objects", Some(json!({ "objects": [big], "agreements": [] }))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["status"], "stored", "{v}");
    // The pattern check of the workbench too.
    let browser = crate::web::sign_in(&node, &node.token_a).await;
    let csrf = crate::web::csrf_of(&browser.get("/workbench").await.2);
    let pattern = format!("[file:name = '{}']", "a".repeat(3_000_000));
    let r = crate::web::client()
        .post(format!("{}/workbench/validate", node.url))
        .header("Cookie", &browser.cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "pattern": pattern }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The framework's rejections, in the JSON error shape.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/objects", node.url);
    let cases: [(&str, &[u8], u16); 4] = [
        ("text/plain", b"{\"objects\": []}", 415),
        ("application/json", b"{\"objects\": [", 400),
        ("application/json", b"{\"objects\": 1}", 422),
        ("application/json", b"[]", 422),
    ];
    for (content_type, body, status) in cases {
        let r = http.post(&url).bearer_auth(&node.token_a).header("Content-Type", content_type).body(body.to_vec()).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{content_type} {:?}", String::from_utf8_lossy(body));
        assert_eq!(r.headers()["content-type"], "application/json");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["http_status"], status.to_string(), "{v}");
        assert!(!v["description"].as_str().unwrap().is_empty(), "{v}");
    }
    let r = http.delete(&url).bearer_auth(&node.token_a).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["http_status"], "405", "{v}");
}
