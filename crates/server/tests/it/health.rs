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
