//! `/healthz`, `/metrics` and unknown paths.

use crate::Backend;

crate::on_both_backends!(healthz_metrics_and_unknown_paths);

async fn healthz_metrics_and_unknown_paths(backend: Backend) {
    let node = crate::start(backend, Default::default()).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/healthz", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"status":"ok"}"#);
    let r = http.get(format!("{}/metrics", node.url)).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"route="/healthz""#), "{body}");
    let r = http.get(format!("{}/nowhere", node.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // No answer may be kept by a cache: each carries what one caller may see.
    let taxii = "application/taxii+json;version=2.1";
    for (path, token) in [
        ("/healthz", None),
        ("/nowhere", None),
        ("/api/v1/partners", Some(&node.token_a)),
        ("/api/v1/objects", None),
        ("/taxii2/", Some(&node.token_a)),
        ("/taxii2/root/collections/", Some(&node.token_b)),
    ] {
        let mut request = http.get(format!("{}{path}", node.url)).header("Accept", taxii);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}: {}", r.status());
    }
    // The pages' stylesheet keeps its own rule.
    let r = http.get(format!("{}/static/style.css", node.url)).send().await.unwrap();
    assert_ne!(r.headers()["cache-control"], "no-store");
}

/// A POST refused before its body is read (here: no token) leaves the
/// connection open for the next request, on TAXII and the REST API alike,
/// even when the body arrives after the refusal.
#[tokio::test]
async fn an_early_refusal_keeps_the_connection_open() {
    let node = crate::start(crate::Backend::Sqlite, Default::default()).await;
    let addr = node.url.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let body = format!("{{\"objects\": [{}]}}", vec!["{}"; 5000].join(","));
        let taxii = "application/taxii+json;version=2.1";
        for path in ["/taxii2/root/collections/x/objects/", "/api/v1/objects"] {
            write!(s, "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {taxii}\r\nAccept: {taxii}\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
            s.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(100));
            let sent = s.write_all(body.as_bytes());
            let head = read_response(&mut s);
            assert!(sent.is_ok() && head.starts_with("HTTP/1.1 401"), "{path}: {sent:?} {head}");
        }
        write!(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let head = read_response(&mut s);
        assert!(head.starts_with("HTTP/1.1 200"), "the connection was closed after the refusals: {head:?}");
    })
    .await
    .unwrap();
}

/// Reads one HTTP/1.1 response (headers and a `Content-Length` body) from
/// `s`; what was read, empty if the connection was closed.
fn read_response(s: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return String::from_utf8_lossy(&buf).into_owned(),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).unwrap();
    head
}
