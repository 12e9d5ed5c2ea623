//! HTTP tests of the node's routers against a real listener and store.

use std::sync::Arc;

async fn start() -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>, tempfile::TempDir) {
    server::telemetry::install();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store_sqlite::SqliteStore::open(dir.path()).unwrap());
    let app = server::router(server::AppState { store });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        server::serve(listener, app, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (url, tx, task, dir)
}

async fn get(url: &str) -> (u16, String, String) {
    // A minimal HTTP/1.1 client over a raw socket keeps dev-dependencies small.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn healthz_and_metrics() {
    let (url, stop, task, _dir) = start().await;
    let (status, _, body) = get(&format!("{url}/healthz")).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");
    let (status, head, body) = get(&format!("{url}/metrics")).await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain"), "{head}");
    assert!(body.contains("entente_http_request_duration_seconds"), "{body}");
    assert!(body.contains(r#"route="/healthz""#), "{body}");
    let (status, _, _) = get(&format!("{url}/nowhere")).await;
    assert_eq!(status, 404);
    stop.send(()).unwrap();
    task.await.unwrap();
}
