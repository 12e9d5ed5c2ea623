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
}
