//! The public statements pages of a served node: the Atom feed's links
//! absolute under the configured `public_url`, each client address limited
//! to `public_rate_limit` requests a minute (then 429 with `Retry-After`),
//! and a `public_url` that is no absolute http(s) URL refused by name.

use crate::nodes::Node;

#[test]
fn the_feed_links_under_the_public_url_and_each_client_is_limited() {
    let root = tempfile::tempdir().unwrap();
    let mut node = Node::init(root.path(), "Aurelia");
    node.serve(0, &[("ENTENTE_PUBLIC_URL", "https://cert.example.org/"), ("ENTENTE_PUBLIC_RATE_LIMIT", "3")]);
    let get = |path: &str| reqwest::blocking::get(format!("http://127.0.0.1:{}{path}", node.port)).unwrap();
    let feed = get("/public/statements.atom");
    assert_eq!(feed.status(), 200);
    let xml = feed.text().unwrap();
    let hrefs: Vec<&str> = xml.split("href=\"").skip(1).map(|h| &h[..h.find('"').unwrap()]).collect();
    assert_eq!(hrefs, ["https://cert.example.org/public/statements.atom", "https://cert.example.org/public/statements"], "{xml}");
    assert_eq!(get("/public/statements").status(), 200);
    assert_eq!(get("/public/statements/x-entente-statement--00000000-0000-4000-8000-000000000001").status(), 404);
    // The fourth request within the minute, on any public page.
    let r = get("/public/statements");
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The signed-in pages and the API are not counted here.
    assert_eq!(get("/healthz").status(), 200);
    println!("public pages: 3 answered, the 4th 429 with Retry-After {wait} s; feed links absolute 2 of 2");

    let out = crate::entente_env(&node.dir, &["agreement", "list"], &[("ENTENTE_PUBLIC_URL", "javascript:alert(1)")]);
    assert!(!out.status.success() && crate::stderr(&out).contains("public_url"), "{}", crate::stderr(&out));
}
