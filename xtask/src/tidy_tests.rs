//! Tests that tidy fails when a rule breaks.

use serde_json::json;

use super::{check_graph, check_text, image_links};

fn problems_of_text(text: &str) -> Vec<String> {
    let mut p = Vec::new();
    check_text("x.rs", text, &mut p);
    p
}

#[test]
fn files_need_a_module_doc_and_no_ignored_tests() {
    assert!(problems_of_text("//! What lives here.\nfn f() {}\n").is_empty());
    assert_eq!(
        problems_of_text("\n// a plain comment\nfn f() {}\n"),
        vec!["x.rs: must open with a `//!` line saying what lives there"]
    );
    let ignored = ["//! Doc.\n#[", "ignore]\n#[test]\nfn t() {}\n"].concat();
    assert_eq!(problems_of_text(&ignored), vec!["x.rs: no ignored or should-panic tests"]);
}

/// A metadata document where `from` depends (normally) on `to`, and `to` on `leaf`.
fn graph(from: &str, to: &str, leaf: &str, kind: Option<&str>) -> serde_json::Value {
    json!({
        "packages": [
            {"id": "a", "name": from}, {"id": "b", "name": to}, {"id": "c", "name": leaf}
        ],
        "resolve": {"nodes": [
            {"id": "a", "deps": [{"pkg": "b", "dep_kinds": [{"kind": kind}]}]},
            {"id": "b", "deps": [{"pkg": "c", "dep_kinds": [{"kind": null}]}]}
        ]}
    })
}

#[test]
fn model_may_not_reach_tokio_even_indirectly() {
    let mut p = Vec::new();
    check_graph(&graph("entente-model", "some-helper", "tokio", None), &mut p);
    assert_eq!(p, vec!["entente-model must not depend on tokio (ARCHITECTURE.md, Invariants)"]);
    // Dev-dependencies do not count.
    let mut p = Vec::new();
    check_graph(&graph("entente-model", "some-helper", "tokio", Some("dev")), &mut p);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn the_release_log_stays_below_the_store() {
    let mut p = Vec::new();
    check_graph(&graph("entente-audit", "entente-store", "serde", None), &mut p);
    assert_eq!(p, vec!["entente-audit must not depend on entente-store (ARCHITECTURE.md, Invariants)"]);
    let mut p = Vec::new();
    check_graph(&graph("entente-audit", "entente-model", "serde", None), &mut p);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn the_binary_reaches_sql_only_through_a_store_crate() {
    let mut p = Vec::new();
    check_graph(&graph("entente", "rusqlite", "libsqlite3-sys", None), &mut p);
    assert_eq!(p, vec!["entente must not depend directly on rusqlite (ARCHITECTURE.md, Invariants)"]);
    let mut p = Vec::new();
    check_graph(&graph("entente", "entente-store-sqlite", "rusqlite", None), &mut p);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn only_the_server_the_rest_api_and_the_binary_use_federation() {
    let mut p = Vec::new();
    check_graph(&graph("entente-node", "entente-federation", "entente-model", None), &mut p);
    assert_eq!(
        p,
        vec!["entente-node must not depend on entente-federation: only entente-server and entente-rest and entente do (ARCHITECTURE.md, Invariants)"]
    );
    let mut p = Vec::new();
    check_graph(&graph("entente-server", "entente-federation", "entente-node", None), &mut p);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn only_the_pages_render_html_and_they_never_reach_the_server() {
    let mut p = Vec::new();
    check_graph(&graph("entente-server", "maud", "itoa", None), &mut p);
    assert_eq!(p, vec!["entente-server must not depend on maud: only entente-web do (ARCHITECTURE.md, Invariants)"]);
    // The server mounts the pages: maud through them is fine.
    let mut p = Vec::new();
    check_graph(&graph("entente-server", "entente-web", "maud", None), &mut p);
    assert!(p.is_empty(), "{p:?}");
    let mut p = Vec::new();
    check_graph(&graph("entente-web", "entente-server", "entente-node", None), &mut p);
    assert_eq!(p, vec!["entente-web must not depend on entente-server (ARCHITECTURE.md, Invariants)"]);
}

/// A module crate `a` (by its manifest) depending on `b`, which depends on `c`.
fn module_graph(uses: &[&str], b: &str, b_is_module: bool, c: &str) -> serde_json::Value {
    let mut g = graph("entente-one", b, c, None);
    g["packages"][0]["metadata"] = json!({ "entente": { "layer": "module", "uses": uses } });
    if b_is_module {
        g["packages"][1]["metadata"] = json!({ "entente": { "layer": "module" } });
    }
    g
}

#[test]
fn a_module_is_known_by_its_manifest_and_uses_other_modules_only_where_declared() {
    let mut p = Vec::new();
    check_graph(&module_graph(&[], "some-helper", false, "tokio"), &mut p);
    assert_eq!(p, vec!["entente-one must not depend on tokio: a partnership module is pure (ARCHITECTURE.md, Invariants)"]);
    let mut p = Vec::new();
    check_graph(&module_graph(&[], "entente-two", true, "serde"), &mut p);
    assert_eq!(p, vec!["entente-one depends on the module entente-two without declaring it in [package.metadata.entente] uses (docs/modules.md)"]);
    let mut p = Vec::new();
    check_graph(&module_graph(&["entente-two"], "entente-two", true, "serde"), &mut p);
    assert!(p.is_empty(), "{p:?}");
    // A crate without the manifest line is not held to the module rule.
    let mut p = Vec::new();
    check_graph(&graph("entente-one", "some-helper", "tokio", None), &mut p);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn the_images_markdown_shows_are_found() {
    let text = "# T\n![A dashboard](img/dashboard.png)\ntext [a link](other.md) and ![two](../x/y.png \"title\")\n\
                <img alt=\"z\" src=\"img/z.png\">\n![remote](https://example.org/a.png)\n";
    assert_eq!(image_links(text), vec!["img/dashboard.png", "../x/y.png", "img/z.png"]);
    assert!(image_links("no images, [a link](x.png)").is_empty());
}
