//! Tags from MISP's taxonomies on an analyst's note: with the node's
//! taxonomies installed (`<data dir>/taxonomies`), the object page's note
//! form offers their tags (escaped) and a note takes any of them as MISP
//! writes it; a tag in no taxonomy is refused naming the property; without
//! them, only TLP, PAP and the admiralty scale.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::web::{csrf_of, sign_in};
use crate::{call, ratified_agreement, start, Backend, Node};

crate::on_both_backends!(a_note_takes_tags_of_the_installed_taxonomies, without_taxonomies_only_the_built_in_tags);

/// A shares an indicator with B; its id.
async fn shared(node: &Node) -> String {
    let ab = ratified_agreement(node, "A–B", &[0, 1], &["indicator"]).await;
    let id = "indicator--00000000-0000-4000-8000-000000000001".to_owned();
    let object = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
        "created_by_ref": node.a, "name": "watched", "pattern": "[ipv4-addr:value = '185.220.101.4']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    let (s, v) = call(node, &node.token_a, "POST", "objects", Some(json!({ "objects": [object], "agreements": [ab] }))).await;
    assert_eq!(s, 200, "{v}");
    id
}

async fn a_note_takes_tags_of_the_installed_taxonomies(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let dir = node.data_dir().join("taxonomies/estimative-language");
    std::fs::create_dir_all(&dir).unwrap();
    let taxonomy = json!({
        "namespace": "estimative-language", "description": "d", "version": 1,
        "predicates": [{ "value": "likelihood-probability" }, { "value": "x<script>alert(1)</script>" }],
        "values": [{ "predicate": "likelihood-probability", "entry": [{ "value": "very-likely" }, { "value": "almost-no-chance" }] }]
    });
    std::fs::write(dir.join("machinetag.json"), taxonomy.to_string()).unwrap();
    let id = shared(&node).await;
    let b = sign_in(&node, &node.token_b).await;
    let (s, _, page) = b.get(&format!("/intel/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Tags from MISP taxonomies (1 installed"), "{page}");
    assert!(page.contains("<option value=\"estimative-language:likelihood-probability=&quot;very-likely&quot;\">"), "the picker offers the tag: {page}");
    assert!(page.contains("estimative-language:x&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert(1)"), "escaped: {page}");
    let token = csrf_of(&page);

    // A tag of the taxonomy, beside a built-in one and an empty picker field.
    let tag = "estimative-language:likelihood-probability=\"very-likely\"";
    let r = b.post(&format!("/intel/{id}/note"), &[("csrf", token.as_str()), ("content", "seen again"), ("tags", "admiralty-scale:source-reliability=\"b\""), ("tags", tag), ("tags", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()[LOCATION], format!("/intel/{id}#notes"));
    let (_, notes) = call(&node, &node.token_b, "GET", "objects?type=note", None).await;
    let labels: Vec<Value> = notes["objects"].as_array().unwrap().iter().flat_map(|n| n["labels"].as_array().cloned().unwrap_or_default()).collect();
    assert_eq!(labels, [json!("admiralty-scale:source-reliability=\"b\""), json!(tag)], "{notes}");

    // Not in the taxonomy: a value it does not define, a predicate with values written bare.
    for bad in ["estimative-language:likelihood-probability=\"maybe\"", "estimative-language:likelihood-probability"] {
        let r = b.post(&format!("/intel/{id}/note"), &[("csrf", token.as_str()), ("content", "again"), ("tags", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = r.text().await.unwrap();
        assert!(html.contains("tags: “") && html.contains("is in no taxonomy of this node"), "{html}");
    }
}

async fn without_taxonomies_only_the_built_in_tags(backend: Backend) {
    let node = start(backend, Default::default()).await;
    let id = shared(&node).await;
    let b = sign_in(&node, &node.token_b).await;
    let (_, _, page) = b.get(&format!("/intel/{id}")).await;
    assert!(!page.contains("Tags from MISP taxonomies"), "{page}");
    let token = csrf_of(&page);
    let r = b.post(&format!("/intel/{id}/note"), &[("csrf", token.as_str()), ("content", "seen"), ("tags", "estimative-language:likelihood-probability=\"very-likely\"")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not in the taxonomy (TLP, PAP, admiralty scale)"));
}
